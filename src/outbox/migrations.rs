//! The outbox's schema, as an ordered list of migrations recorded in `PRAGMA user_version` and run
//! by [`crate::sqlite::Database`] when the outbox is opened. A schema newer than this Tayori knows
//! is refused, never rewritten.

/// Migration N (1-based) brings the schema to `user_version` N. Never edit one that has shipped:
/// add the next.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: messages and drafts.
    r#"
CREATE TABLE message (
    id               INTEGER PRIMARY KEY,
    account          TEXT    NOT NULL,
    message_id       TEXT    NOT NULL UNIQUE,
    subject          TEXT    NOT NULL,
    envelope_from    TEXT    NOT NULL,
    recipients       TEXT    NOT NULL,          -- JSON array of addresses (To, Cc, Bcc)
    raw              BLOB    NOT NULL,          -- the message as built, Bcc header included
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    interrupted      INTEGER NOT NULL DEFAULT 0, -- left in 'sending' by a crash: check Sent first
    last_error       TEXT,
    failure          TEXT CHECK (failure IN ('rejected', 'sign_in', 'gave_up', 'no_account')),
    created_at       INTEGER NOT NULL,
    submitted_at     INTEGER,
    server_reply     TEXT,
    copy_state       TEXT    NOT NULL DEFAULT 'pending' CHECK (copy_state IN ('pending', 'filed', 'by_server')),
    copy_error       TEXT,
    draft_message_id TEXT                         -- the server Drafts copy to remove once sent
);
CREATE INDEX message_due ON message (state, next_attempt_at);
CREATE TABLE draft (
    id              INTEGER PRIMARY KEY,
    account         TEXT    NOT NULL,
    message_id      TEXT    NOT NULL UNIQUE,
    content         TEXT    NOT NULL,            -- JSON of compose::Draft (attachments apart)
    updated_at      INTEGER NOT NULL,
    server_saved_at INTEGER
);
CREATE TABLE draft_attachment (
    draft_id     INTEGER NOT NULL REFERENCES draft (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    file_name    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    PRIMARY KEY (draft_id, position)
);
"#,
    // 2: ids are never handed out twice. Without AUTOINCREMENT SQLite gives a new row the highest
    // id + 1, so the id of a message discarded or pruned last — or of a draft just sent — would go
    // to the next one while the window (a selected row, an open draft) or a worker task still
    // holds it, and an action meant for one would reach another. SQLite's procedure for changing a
    // table: build the new one, copy every row as it is, drop the old one, rename, recreate the
    // index (run with foreign keys off, checked before the commit).
    r#"
CREATE TABLE message_v2 (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account          TEXT    NOT NULL,
    message_id       TEXT    NOT NULL UNIQUE,
    subject          TEXT    NOT NULL,
    envelope_from    TEXT    NOT NULL,
    recipients       TEXT    NOT NULL,          -- JSON array of addresses (To, Cc, Bcc)
    raw              BLOB    NOT NULL,          -- the message as built, Bcc header included
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    interrupted      INTEGER NOT NULL DEFAULT 0, -- left in 'sending' by a crash: check Sent first
    last_error       TEXT,
    failure          TEXT CHECK (failure IN ('rejected', 'sign_in', 'gave_up', 'no_account')),
    created_at       INTEGER NOT NULL,
    submitted_at     INTEGER,
    server_reply     TEXT,
    copy_state       TEXT    NOT NULL DEFAULT 'pending' CHECK (copy_state IN ('pending', 'filed', 'by_server')),
    copy_error       TEXT,
    draft_message_id TEXT                         -- the server Drafts copy to remove once sent
);
INSERT INTO message_v2 (id, account, message_id, subject, envelope_from, recipients, raw, state,
                        attempts, next_attempt_at, interrupted, last_error, failure, created_at,
                        submitted_at, server_reply, copy_state, copy_error, draft_message_id)
    SELECT id, account, message_id, subject, envelope_from, recipients, raw, state,
           attempts, next_attempt_at, interrupted, last_error, failure, created_at,
           submitted_at, server_reply, copy_state, copy_error, draft_message_id
    FROM message;
DROP TABLE message;
ALTER TABLE message_v2 RENAME TO message;
CREATE INDEX message_due ON message (state, next_attempt_at);

CREATE TABLE draft_v2 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account         TEXT    NOT NULL,
    message_id      TEXT    NOT NULL UNIQUE,
    content         TEXT    NOT NULL,            -- JSON of compose::Draft (attachments apart)
    updated_at      INTEGER NOT NULL,
    server_saved_at INTEGER
);
INSERT INTO draft_v2 (id, account, message_id, content, updated_at, server_saved_at)
    SELECT id, account, message_id, content, updated_at, server_saved_at FROM draft;
DROP TABLE draft;
ALTER TABLE draft_v2 RENAME TO draft;
"#,
    // 3: whether DATA was begun in the last attempt (a crash after that point may have left the
    // message with the server; before it, the server never had it), and the failure
    // 'maybe_sent'. SQLite cannot change a CHECK: the table is rebuilt, its rows and its
    // AUTOINCREMENT counter kept (ids are never reused).
    r#"
CREATE TABLE message_v3 (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account          TEXT    NOT NULL,
    message_id       TEXT    NOT NULL UNIQUE,
    subject          TEXT    NOT NULL,
    envelope_from    TEXT    NOT NULL,
    recipients       TEXT    NOT NULL,          -- JSON array of addresses (To, Cc, Bcc)
    raw              BLOB    NOT NULL,          -- the message as built, Bcc header included
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    interrupted      INTEGER NOT NULL DEFAULT 0, -- left in 'sending' by a crash: check first
    last_error       TEXT,
    failure          TEXT CHECK (failure IN ('rejected', 'sign_in', 'gave_up', 'maybe_sent', 'no_account')),
    created_at       INTEGER NOT NULL,
    submitted_at     INTEGER,
    server_reply     TEXT,
    copy_state       TEXT    NOT NULL DEFAULT 'pending' CHECK (copy_state IN ('pending', 'filed', 'by_server')),
    copy_error       TEXT,
    draft_message_id TEXT,                        -- the server Drafts copy to remove once sent
    data_started     INTEGER NOT NULL DEFAULT 0   -- DATA begun in the last attempt
);
INSERT INTO message_v3 (id, account, message_id, subject, envelope_from, recipients, raw, state,
                        attempts, next_attempt_at, interrupted, last_error, failure, created_at,
                        submitted_at, server_reply, copy_state, copy_error, draft_message_id)
    SELECT id, account, message_id, subject, envelope_from, recipients, raw, state,
           attempts, next_attempt_at, interrupted, last_error, failure, created_at,
           submitted_at, server_reply, copy_state, copy_error, draft_message_id
    FROM message;
DELETE FROM sqlite_sequence WHERE name = 'message_v3';
INSERT INTO sqlite_sequence (name, seq) SELECT 'message_v3', seq FROM sqlite_sequence WHERE name = 'message';
DROP TABLE message;
ALTER TABLE message_v3 RENAME TO message;
CREATE INDEX message_due ON message (state, next_attempt_at);
"#,
    // 4: the Microsoft Graph draft made for a message sent through Graph (its immutable id), so
    // a message is sent from one draft only, and after a crash the draft and Sent Items decide.
    r#"
ALTER TABLE message ADD COLUMN graph_draft_id TEXT;
"#,
];

#[cfg(test)]
mod tests {
    use rusqlite::Connection;
    use rusqlite::types::Value;

    use super::super::testing::*;
    use super::super::{FILE_NAME, Outbox};
    use super::*;
    use crate::compose::Attachment;
    use crate::sqlite::{Database, Durability, nothing_more};

    fn every_row(path: &std::path::Path) -> Vec<Vec<Vec<Value>>> {
        let conn = Connection::open(path).unwrap();
        ["message", "draft", "draft_attachment"]
            .iter()
            .map(|table| {
                let mut statement = conn
                    .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
                    .unwrap();
                let columns = statement.column_count();
                statement
                    .query_map([], |row| {
                        (0..columns).map(|i| row.get::<_, Value>(i)).collect()
                    })
                    .unwrap()
                    .collect::<Result<Vec<Vec<Value>>, _>>()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn an_outbox_of_the_first_schema_keeps_every_row_and_byte_and_its_ids_are_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        // An outbox as the previous Tayori wrote it (schema 1): a queued message, a sent one, a
        // draft with an attachment.
        let first = Database {
            name: "outbox",
            migrations: &MIGRATIONS[..1],
            durability: Durability::Full,
            owner_only: true,
            configure: nothing_more,
        };
        drop(first.open(&path).unwrap());
        let (discarded, draft_gone) = {
            let outbox = Outbox::open_with(&path, first).unwrap();
            let (_, one) = built(1);
            let (_, two) = built(2);
            outbox
                .enqueue("alice@example.test", "one", &one, None)
                .unwrap();
            let sent = outbox
                .enqueue("alice@example.test", "two", &two, None)
                .unwrap();
            // Claimed as the Tayori of that schema did (today's `claim` sets a later column).
            Connection::open(&path)
                .unwrap()
                .execute("UPDATE message SET state = 'sending' WHERE id = ?1", [sent])
                .unwrap();
            outbox
                .mark_sent(sent, "250 2.0.0 Ok", super::super::CopyState::Pending)
                .unwrap();
            let (mut draft, _) = built(3);
            draft
                .attachments
                .push(Attachment::new("資料.pdf".into(), vec![0, 1, 2, 255]));
            outbox
                .save_draft(None, "alice@example.test", &draft)
                .unwrap();
            let (newest_draft, _) = outbox
                .save_draft(None, "alice@example.test", &draft)
                .unwrap();
            let (_, three) = built(4);
            let newest = outbox
                .enqueue("alice@example.test", "three", &three, None)
                .unwrap();
            (newest, newest_draft)
        };
        let before = every_row(&path);
        assert!(before.iter().all(|rows| !rows.is_empty()));

        let outbox = Outbox::open(&path).unwrap();
        assert_eq!(Outbox::schema_version(), 4);
        let mut after = every_row(&path);
        // Migration 4 adds `graph_draft_id`, NULL for every message; migration 3 `data_started`,
        // 0 for every message.
        for row in &mut after[0] {
            assert_eq!(row.pop(), Some(Value::Null));
            assert_eq!(row.pop(), Some(Value::Integer(0)));
        }
        assert_eq!(after, before, "every row and byte kept");
        let conn = Connection::open(&path).unwrap();
        for table in ["message", "draft"] {
            let sql: String = conn
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(sql.contains("AUTOINCREMENT"), "{table}");
        }
        assert_eq!(
            outbox.load_draft(draft_gone).unwrap().1.attachments[0].data,
            [0, 1, 2, 255],
            "the attachment still belongs to its draft"
        );

        // The newest message and draft go; the next ones do not get their ids.
        outbox.discard(discarded).unwrap();
        let (_, five) = built(5);
        let next = outbox
            .enqueue("alice@example.test", "five", &five, None)
            .unwrap();
        assert!(next > discarded, "{next} reuses {discarded}");
        outbox.delete_draft(draft_gone).unwrap();
        let (draft, _) = built(6);
        let (next_draft, _) = outbox
            .save_draft(None, "alice@example.test", &draft)
            .unwrap();
        assert!(next_draft > draft_gone, "{next_draft} reuses {draft_gone}");
        let attachments: i64 = conn
            .query_row("SELECT count(*) FROM draft_attachment", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            attachments, 1,
            "the deleted draft's attachment went with it"
        );
    }

    /// Migration 3 rebuilds the message table: a message discarded before it keeps its id
    /// retired, and a failure of the new kind can be recorded.
    #[test]
    fn the_rebuild_for_maybe_sent_keeps_ids_retired() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let second = Database {
            name: "outbox",
            migrations: &MIGRATIONS[..2],
            durability: Durability::Full,
            owner_only: true,
            configure: nothing_more,
        };
        let discarded = {
            let conn = second.open(&path).unwrap();
            for n in 1..=2 {
                let (_, built) = built(n);
                conn.execute(
                    "INSERT INTO message (account, message_id, subject, envelope_from, recipients,
                         raw, state, next_attempt_at, created_at)
                     VALUES ('alice@example.test', ?1, 's', 'alice@example.test', '[]', ?2,
                         'queued', 0, 0)",
                    rusqlite::params![built.message_id, built.raw],
                )
                .unwrap();
            }
            let newest = conn.last_insert_rowid();
            conn.execute("DELETE FROM message WHERE id = ?1", [newest])
                .unwrap();
            newest
        };
        let outbox = Outbox::open(&path).unwrap();
        let (_, three) = built(3);
        let next = outbox
            .enqueue("alice@example.test", "three", &three, None)
            .unwrap();
        assert!(next > discarded, "{next} reuses {discarded}");
        outbox
            .mark_failed(next, "may have been sent", super::super::Failure::MaybeSent)
            .unwrap();
        assert_eq!(
            outbox.entry(next).unwrap().failure,
            Some(super::super::Failure::MaybeSent)
        );
    }
}
