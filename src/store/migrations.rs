//! The store's schema, as an ordered list of migrations. `PRAGMA user_version` records how many have
//! run; opening a store runs the missing ones (`crate::sqlite::Database`, in one transaction). A store
//! written by a newer Tayori (a higher version than this one knows) is refused rather than damaged.

/// Migration `i` brings the schema from version `i` to `i + 1`. Never edit a released entry: append.
pub const MIGRATIONS: &[&str] = &[
    // 1: accounts, folders, messages, bodies, threads, full-text index, offline action queue.
    r#"
    CREATE TABLE accounts (
        id      INTEGER PRIMARY KEY,
        email   TEXT NOT NULL UNIQUE
    );

    -- One row per IMAP mailbox. The sync state (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) is what the
    -- server said when this folder was last brought fully up to date; `envelopes_complete` says
    -- whether every message below `uidnext` has its envelope here (an interrupted first sync has not).
    CREATE TABLE folders (
        id                 INTEGER PRIMARY KEY,
        account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name               TEXT NOT NULL,
        delimiter          TEXT,
        role               TEXT,
        selectable         INTEGER NOT NULL DEFAULT 1,
        uidvalidity        INTEGER,
        uidnext            INTEGER,
        highestmodseq      INTEGER,
        envelopes_complete INTEGER NOT NULL DEFAULT 0,
        synced_at          INTEGER,
        UNIQUE (account_id, name)
    );

    CREATE TABLE threads (
        id    INTEGER PRIMARY KEY,
        root  TEXT NOT NULL UNIQUE
    );

    -- `uid` is NULL while a message is not (yet) known under a UID of its folder: after a local
    -- move waiting for the server, or after a UIDVALIDITY change until it is found again by its
    -- Message-ID. `flags` is a bit set (see store::Flags). `body_state`: 0 not downloaded,
    -- 1 downloaded and decoded, 2 downloaded but not parseable (kept raw).
    CREATE TABLE messages (
        id               INTEGER PRIMARY KEY,
        folder_id        INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        uid              INTEGER,
        modseq           INTEGER,
        flags            INTEGER NOT NULL DEFAULT 0,
        keywords         TEXT,
        internal_date    INTEGER,
        date             INTEGER,
        size             INTEGER NOT NULL DEFAULT 0,
        subject          TEXT NOT NULL DEFAULT '',
        from_name        TEXT,
        from_addr        TEXT,
        recipients       TEXT NOT NULL DEFAULT '',
        message_id       TEXT,
        in_reply_to      TEXT,
        refs             TEXT,
        thread_id        INTEGER REFERENCES threads(id),
        has_attachments  INTEGER NOT NULL DEFAULT 0,
        body_state       INTEGER NOT NULL DEFAULT 0,
        preview          TEXT NOT NULL DEFAULT '',
        -- The message's row in the full-text index (see store::search_key).
        search_key       INTEGER
    );
    CREATE UNIQUE INDEX messages_by_search_key ON messages(search_key);
    CREATE UNIQUE INDEX messages_by_uid ON messages(folder_id, uid);
    CREATE INDEX messages_by_date ON messages(folder_id, date DESC, id DESC);
    CREATE INDEX messages_by_message_id ON messages(message_id);
    CREATE INDEX messages_pending_bodies ON messages(folder_id, body_state, uid);

    -- Raw RFC 5322 bytes, exactly as the server sent them.
    CREATE TABLE bodies (
        message_id  INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        raw         BLOB NOT NULL
    );

    -- Contentless: the text lives in `messages`/`bodies`; the index only maps words to rowids
    -- (= messages.search_key: date-ordered, so the newest matches come first). See store::fts for how Japanese text is shaped before it goes in.
    CREATE VIRTUAL TABLE message_text USING fts5(
        subject, addresses, body,
        content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2'
    );

    -- Changes made here (flags, moves, deletions) wait for the server in order. The source is
    -- recorded by name, UIDVALIDITY and UID at the time of the change, so the action still means
    -- the same message when it is replayed even if the local row has moved on.
    CREATE TABLE actions (
        id           INTEGER PRIMARY KEY,
        account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind         TEXT NOT NULL,
        folder       TEXT NOT NULL,
        uidvalidity  INTEGER NOT NULL,
        uid          INTEGER NOT NULL,
        -- The Message-ID finds the message again if the folder's UIDVALIDITY changed meanwhile.
        message_id   TEXT,
        argument     TEXT,
        created_at   INTEGER NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT
    );
    "#,
    // 2: the sidebar's unread counts read a small index instead of every message row.
    r#"
    CREATE INDEX messages_by_flags ON messages(folder_id, flags);
    "#,
    // 3: the conversations view groups a folder's messages by thread from this index alone (it
    // holds everything the grouping reads), and finds each thread's newest message in it.
    r#"
    CREATE INDEX messages_by_thread ON messages(folder_id, thread_id, date, flags);
    "#,
    // 4: ids are never handed out twice. Without AUTOINCREMENT SQLite gives a new row the highest
    // id + 1, so after the newest message is deleted the next one gets its id — while the window
    // may still hold it (an open message, a selection, a task under way) and would then act on
    // another message. Accounts (the sync engine holds its account's id) and folders (the window
    // holds the shown folder's) get the same guarantee; threads are never deleted and actions are
    // read and finished within one pass. SQLite's procedure for changing a table: build the new
    // one, copy every row as it is (ids included), drop the old one, rename, recreate the indexes
    // (`crate::sqlite` runs this with foreign keys off and checks them before the commit).
    r#"
    CREATE TABLE accounts_v4 (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        email   TEXT NOT NULL UNIQUE
    );
    INSERT INTO accounts_v4 (id, email) SELECT id, email FROM accounts;
    DROP TABLE accounts;
    ALTER TABLE accounts_v4 RENAME TO accounts;

    CREATE TABLE folders_v4 (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id         INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name               TEXT NOT NULL,
        delimiter          TEXT,
        role               TEXT,
        selectable         INTEGER NOT NULL DEFAULT 1,
        uidvalidity        INTEGER,
        uidnext            INTEGER,
        highestmodseq      INTEGER,
        envelopes_complete INTEGER NOT NULL DEFAULT 0,
        synced_at          INTEGER,
        UNIQUE (account_id, name)
    );
    INSERT INTO folders_v4 (id, account_id, name, delimiter, role, selectable, uidvalidity, uidnext,
                            highestmodseq, envelopes_complete, synced_at)
        SELECT id, account_id, name, delimiter, role, selectable, uidvalidity, uidnext,
               highestmodseq, envelopes_complete, synced_at
        FROM folders;
    DROP TABLE folders;
    ALTER TABLE folders_v4 RENAME TO folders;

    CREATE TABLE messages_v4 (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        folder_id        INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        uid              INTEGER,
        modseq           INTEGER,
        flags            INTEGER NOT NULL DEFAULT 0,
        keywords         TEXT,
        internal_date    INTEGER,
        date             INTEGER,
        size             INTEGER NOT NULL DEFAULT 0,
        subject          TEXT NOT NULL DEFAULT '',
        from_name        TEXT,
        from_addr        TEXT,
        recipients       TEXT NOT NULL DEFAULT '',
        message_id       TEXT,
        in_reply_to      TEXT,
        refs             TEXT,
        thread_id        INTEGER REFERENCES threads(id),
        has_attachments  INTEGER NOT NULL DEFAULT 0,
        body_state       INTEGER NOT NULL DEFAULT 0,
        preview          TEXT NOT NULL DEFAULT '',
        search_key       INTEGER
    );
    INSERT INTO messages_v4 (id, folder_id, uid, modseq, flags, keywords, internal_date, date, size,
                             subject, from_name, from_addr, recipients, message_id, in_reply_to, refs,
                             thread_id, has_attachments, body_state, preview, search_key)
        SELECT id, folder_id, uid, modseq, flags, keywords, internal_date, date, size,
               subject, from_name, from_addr, recipients, message_id, in_reply_to, refs,
               thread_id, has_attachments, body_state, preview, search_key
        FROM messages;
    DROP TABLE messages;
    ALTER TABLE messages_v4 RENAME TO messages;
    CREATE UNIQUE INDEX messages_by_search_key ON messages(search_key);
    CREATE UNIQUE INDEX messages_by_uid ON messages(folder_id, uid);
    CREATE INDEX messages_by_date ON messages(folder_id, date DESC, id DESC);
    CREATE INDEX messages_by_message_id ON messages(message_id);
    CREATE INDEX messages_pending_bodies ON messages(folder_id, body_state, uid);
    CREATE INDEX messages_by_flags ON messages(folder_id, flags);
    CREATE INDEX messages_by_thread ON messages(folder_id, thread_id, date, flags);
    "#,
];

#[cfg(test)]
mod tests {
    use rusqlite::Connection;
    use rusqlite::types::Value;

    use super::super::testing::*;
    use super::*;
    use crate::sqlite::Database;
    use crate::store::*;

    #[test]
    fn a_new_store_has_the_latest_schema_and_a_newer_one_is_refused() {
        let (dir, store) = open();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        store.conn.pragma_update(None, "user_version", 99).unwrap();
        drop(store);
        let err = Store::open(&dir.path().join("mail.sqlite3")).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer version of Tayori"));
    }

    /// Every row of every table, every column as SQLite stores it (`SELECT *`, by rowid).
    fn every_row(conn: &Connection) -> Vec<(String, Vec<Vec<Value>>)> {
        let tables = [
            "accounts", "folders", "threads", "messages", "bodies", "actions",
        ];
        tables
            .iter()
            .map(|table| {
                let mut statement = conn
                    .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
                    .unwrap();
                let columns = statement.column_count();
                let rows = statement
                    .query_map([], |row| {
                        (0..columns).map(|i| row.get::<_, Value>(i)).collect()
                    })
                    .unwrap()
                    .collect::<Result<Vec<Vec<Value>>, _>>()
                    .unwrap();
                (table.to_string(), rows)
            })
            .collect()
    }

    fn schema_of(conn: &Connection, table: &str) -> String {
        conn.query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn a_store_of_the_previous_schema_keeps_every_row_and_byte_and_its_ids_are_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.sqlite3");
        // A store as the previous Tayori wrote it (schema 3), filled the way sync and the window
        // fill it: two accounts, messages with bodies (one not a parseable message at all), a read
        // mark, a flag and a move queued for the server.
        {
            let previous = Database {
                migrations: &MIGRATIONS[..3],
                ..super::super::DATABASE
            };
            let mut store = Store {
                conn: previous.open(&path).unwrap(),
                path: path.clone(),
            };
            assert_eq!(store.schema_version().unwrap(), 3);
            let (_, inbox, _) = setup(&mut store);
            let (e1, b1) = message(1, "会議室の予約について", "第二会議室です。");
            let (e2, b2) = message(2, "Budget", "Numbers");
            let (e3, _) = message(3, "not downloaded", "");
            let mut garbage = message(4, "", "").0;
            garbage.header = b"\x00\x01 not a message \xff\xfe".to_vec();
            store.add_envelopes(inbox, &[e1, e2, e3, garbage]).unwrap();
            store
                .add_bodies(
                    inbox,
                    &[
                        b1,
                        b2,
                        NewBody {
                            uid: 4,
                            raw: b"\x00\x01 not a message \xff\xfe".to_vec(),
                        },
                    ],
                )
                .unwrap();
            let other = store.account_id("bob@example.test").unwrap();
            store
                .set_folder_list(
                    other,
                    &[("INBOX".into(), None, Some(FolderRole::Inbox), true)],
                )
                .unwrap();
            let ids: Vec<i64> = store
                .messages(inbox, SortOrder::OldestFirst, 0, 10)
                .unwrap()
                .iter()
                .map(|m| m.id)
                .collect();
            store.set_seen(ids[0], true).unwrap();
            store.set_flagged(ids[1], true).unwrap();
            store.delete(ids[2]).unwrap();
        }
        let before = every_row(&Connection::open(&path).unwrap());
        assert!(
            before.iter().all(|(_, rows)| !rows.is_empty()),
            "{before:?}"
        );

        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert_eq!(every_row(&store.conn), before, "every row and byte kept");
        for table in ["accounts", "folders", "messages"] {
            assert!(
                schema_of(&store.conn, table).contains("AUTOINCREMENT"),
                "{table}"
            );
        }
        let check: String = store
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let orphans: i64 = store
            .conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(orphans, 0);
        let enforced: i64 = store
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(enforced, 1);
        // The index and the bodies still belong to their messages.
        let hits = store.search("会議室", 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert!(
            String::from_utf8(store.message_raw(hits[0].id).unwrap().unwrap())
                .unwrap()
                .contains("第二会議室")
        );

        // The newest message goes; the next one does not get its id.
        let inbox = store
            .folder_by_name("alice@example.test", "INBOX")
            .unwrap()
            .unwrap()
            .id;
        let newest_id: i64 = store
            .conn
            .query_row("SELECT max(id) FROM messages", [], |r| r.get(0))
            .unwrap();
        let newest_uid = store.message(newest_id).unwrap().unwrap().uid.unwrap();
        store.remove_uids(inbox, &[newest_uid]).unwrap();
        store
            .add_envelopes(inbox, &[message(9, "new", "").0])
            .unwrap();
        let new_id = store
            .messages(inbox, SortOrder::NewestFirst, 0, 10)
            .unwrap()
            .into_iter()
            .find(|m| m.uid == Some(9))
            .unwrap()
            .id;
        assert!(new_id > newest_id, "{new_id} reuses {newest_id}");
        // Nor does a new account or folder take a removed one's id (Bob's were the newest).
        let bob = store.account_id("bob@example.test").unwrap();
        let bob_inbox = store
            .folder_by_name("bob@example.test", "INBOX")
            .unwrap()
            .unwrap()
            .id;
        store.remove_account("bob@example.test").unwrap();
        let carol = store.account_id("carol@example.test").unwrap();
        assert!(carol > bob, "{carol} reuses {bob}");
        store
            .set_folder_list(
                carol,
                &[("INBOX".into(), None, Some(FolderRole::Inbox), true)],
            )
            .unwrap();
        let carol_inbox = store
            .folder_by_name("carol@example.test", "INBOX")
            .unwrap()
            .unwrap()
            .id;
        assert!(carol_inbox > bob_inbox, "{carol_inbox} reuses {bob_inbox}");
    }
}
