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
    // 5: one copy per message. A message that lives in several folders (Gmail's labels and its
    // All Mail, a Sent copy, an Archive move the server has not told us about yet) is one
    // `stored_messages` row — its raw bytes (`bodies`), its words in the search index — and a
    // `messages` row per folder it is in: that row is the membership (folder, UID, the folder's
    // flags and MODSEQ) and carries the list's columns so a folder's page stays one index walk.
    // `identity` is protocol-neutral text, unique per account: "x-gm-msgid:…" (Gmail),
    // "emailid:…" (RFC 8474), "rfc5322:<sha256 of size and header block>" for a message with a
    // Message-ID on other servers; a later Graph sync adds its own scheme. NULL: never shared
    // (a placeholder, a message without Message-ID, and the rows stored before this version).
    // Existing rows keep their ids: each message becomes a stored message with the same id, so
    // `bodies` keeps every blob under the same key and the index keeps its keys.
    r#"
    CREATE TABLE stored_messages (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        identity         TEXT,
        -- The message's row in the full-text index (see store::search_key).
        search_key       INTEGER,
        -- What the body told (see messages.body_state): a membership found later copies it.
        body_state       INTEGER NOT NULL DEFAULT 0,
        has_attachments  INTEGER NOT NULL DEFAULT 0,
        preview          TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX stored_messages_by_identity ON stored_messages(account_id, identity);
    CREATE UNIQUE INDEX stored_messages_by_search_key ON stored_messages(search_key);
    INSERT INTO stored_messages (id, account_id, identity, search_key, body_state, has_attachments,
                                 preview)
        SELECT m.id, f.account_id, NULL, m.search_key, m.body_state, m.has_attachments, m.preview
        FROM messages m JOIN folders f ON f.id = m.folder_id;

    ALTER TABLE messages ADD COLUMN stored_id INTEGER REFERENCES stored_messages(id);
    UPDATE messages SET stored_id = id;
    CREATE INDEX messages_by_stored ON messages(stored_id);
    DROP INDEX messages_by_search_key;
    ALTER TABLE messages DROP COLUMN search_key;

    CREATE TABLE bodies_v5 (
        stored_id  INTEGER PRIMARY KEY REFERENCES stored_messages(id) ON DELETE CASCADE,
        raw        BLOB NOT NULL
    );
    INSERT INTO bodies_v5 (stored_id, raw) SELECT message_id, raw FROM bodies;
    DROP TABLE bodies;
    ALTER TABLE bodies_v5 RENAME TO bodies;
    "#,
    // 6: raw messages compressed. `format` 0: the bytes exactly as the server sent them (every
    // body stored before this version, and those that do not compress); 1: one zstd frame of
    // them. `size`: the message's own length (NULL for the rows before: their length(raw)).
    r#"
    ALTER TABLE bodies ADD COLUMN format INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE bodies ADD COLUMN size INTEGER;
    "#,
    // 7: folders read through Microsoft Graph (issue 27). Graph names a message by an id, not a
    // UID: `graph_items` gives each (folder, Graph id) a local number that plays the UID's part in
    // `messages` (and in the queue of local changes), so everything keyed by (folder, uid) serves
    // both protocols. `listed` marks the items seen by a full listing still under way (a listing
    // started over drops what it did not see). `remote_id`: the folder's Graph id; `delta_link`:
    // the last committed `@odata.nextLink` or `@odata.deltaLink` of the folder's delta query.
    r#"
    CREATE TABLE graph_items (
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        graph_id TEXT NOT NULL,
        uid INTEGER NOT NULL,
        listed INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (folder_id, graph_id)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX graph_items_uid ON graph_items (folder_id, uid);
    ALTER TABLE folders ADD COLUMN remote_id TEXT;
    ALTER TABLE folders ADD COLUMN delta_link TEXT;
    "#,
    // 8: `raw` last in `bodies`. SQLite builds a row in memory before it writes it; the
    // `zeroblob(n)` a message too big to hold is copied into piece by piece (`bodies.rs`,
    // `copy_into_blob`) stays unallocated only when nothing follows it in the row but NULLs and
    // the constants 0 and 1. With `format` and `size` after `raw` (version 6), making room for a
    // 30 MB message allocated 30 MB of zeros at once, and a sync's peak memory showed it. Every
    // row is kept as it is (same key, format, size and bytes).
    r#"
    CREATE TABLE bodies_v8 (
        stored_id  INTEGER PRIMARY KEY REFERENCES stored_messages(id) ON DELETE CASCADE,
        format     INTEGER NOT NULL DEFAULT 0,
        size       INTEGER,
        raw        BLOB NOT NULL
    );
    INSERT INTO bodies_v8 (stored_id, format, size, raw)
        SELECT stored_id, format, size, raw FROM bodies;
    DROP TABLE bodies;
    ALTER TABLE bodies_v8 RENAME TO bodies;
    "#,
    // 9: the store's compression dictionaries (store::packing). `bodies.format` 2: one zstd frame
    // made with the dictionary whose id the frame names — zstd's own id of the dictionary, the
    // key here. Only ever added to, so every row stays readable; the rows before keep formats 0
    // and 1, read as before.
    r#"
    CREATE TABLE dictionaries (
        id          INTEGER PRIMARY KEY,
        bytes       BLOB NOT NULL,
        created_at  INTEGER NOT NULL
    );
    "#,
    // 10: a smaller search index. The index kept each token's positions (FTS5 `detail=full`),
    // which only phrase queries read, and they took most of its room (0.14x the mail at 20,000
    // messages). It now keeps which messages hold a token (`detail=none`); a typed Japanese run is
    // asked as its bigrams and each match checked against the text (store::fts). FTS5 cannot
    // change a table's detail, and its contentless rows cannot be read back, so the index is built
    // again by the indexer (store::index), a batch per transaction after the store opens: every
    // message whose text was indexed waits for it again (`body_state` 4, shown as downloaded as
    // before), and the header fields of those without a body wait in `index_queue`, the indexer's
    // queue of messages whose subject and addresses are to go into the index (by search key).
    // Searches meanwhile say that the index is incomplete.
    // Also: the preview is no longer kept twice (below).
    r#"
    DROP TABLE message_text;
    CREATE VIRTUAL TABLE message_text USING fts5(
        subject, addresses, body,
        content = '', contentless_delete = 1, detail = none,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TABLE index_queue (
        key  INTEGER PRIMARY KEY
    );
    UPDATE stored_messages SET body_state = 4
        WHERE body_state IN (1, 2) AND EXISTS (SELECT 1 FROM bodies WHERE stored_id = stored_messages.id);
    INSERT INTO index_queue (key)
        SELECT search_key FROM stored_messages
        WHERE search_key IS NOT NULL AND body_state != 4;
    -- The preview was kept twice: in each membership (the list reads it there) and here. It is
    -- now kept in the memberships only.
    ALTER TABLE stored_messages DROP COLUMN preview;
    "#,
];

#[cfg(test)]
mod tests {
    use rusqlite::Connection;
    use rusqlite::types::Value;

    use super::super::messages::{SUMMARY_COLUMNS, summary_from_row};
    use super::super::testing::*;
    use super::*;
    use crate::sqlite::Database;
    use crate::store::*;

    /// A spooled message's room in `bodies` (`zeroblob`) is not allocated in memory only if `raw`
    /// is the row's last column (see migration 8); a column added after it brings back a whole
    /// message in memory per big message (benches/sync.sh `MAIL=realistic` shows the peak).
    #[test]
    fn raw_is_the_last_column_of_bodies() {
        let (_dir, store) = open();
        let columns: Vec<String> = store
            .conn
            .prepare("SELECT name FROM pragma_table_info('bodies') ORDER BY cid")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            columns.last().map(String::as_str),
            Some("raw"),
            "{columns:?}"
        );
    }

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

    /// Fills a store of schema 3 or 4 (the same columns) as the Tayori of that time did, in plain
    /// SQL (today's store code writes today's schema): two accounts; in Alice's INBOX, Japanese
    /// mail with its body, a body that is not a message at all, a message not downloaded yet, and
    /// the same message (one Message-ID) also in Archive, stored twice as that Tayori did; a read
    /// mark, a flag; a move queued for the server; Bob's INBOX with a message of its own.
    fn fill_previous_schema(conn: &Connection) {
        /// (id, folder, uid, flags, subject, Message-ID, thread, body, date)
        type OldRow<'a> = (
            i64,
            i64,
            u32,
            i64,
            &'a str,
            Option<&'a str>,
            i64,
            Option<&'a [u8]>,
            i64,
        );
        use crate::store::fts::index_text;
        use crate::store::search::search_key;
        conn.execute_batch(
            "INSERT INTO accounts (id, email) VALUES (1, 'alice@example.test'), (2, 'bob@example.test');
             INSERT INTO folders (id, account_id, name, delimiter, role, uidvalidity, uidnext,
                                  highestmodseq, envelopes_complete)
             VALUES (1, 1, 'INBOX', '/', 'inbox', 7, 10, 5, 1),
                    (2, 1, 'Trash', '/', 'trash', 8, 1, 1, 1),
                    (3, 1, 'Archive', '/', 'archive', 9, 3, 2, 1),
                    (4, 2, 'INBOX', '/', 'inbox', 3, 2, 1, 1);
             INSERT INTO threads (id, root) VALUES (1, 'm1@example.jp'), (2, 'm2@example.jp'),
                    (3, 'm3@example.jp'), (4, 'no-message-id 1:4'), (5, 'b1@example.jp');
             INSERT INTO actions (account_id, kind, folder, uidvalidity, uid, message_id, argument,
                                  created_at)
             VALUES (1, 'move', 'INBOX', 7, 3, 'm3@example.jp', 'Archive', 1800000000);",
        )
        .unwrap();
        let rows: [OldRow; 6] = [
            (1, 1, 1, 1, "会議室の予約について", Some("m1@example.jp"), 1,
             Some("From: Taro <taro@example.jp>\r\nSubject: 会議室の予約について\r\n\r\n第二会議室です。\r\n".as_bytes()),
             1_800_000_000),
            (2, 1, 2, 4, "Budget", Some("m2@example.jp"), 2,
             Some(b"From: Taro <taro@example.jp>\r\nSubject: Budget\r\n\r\nNumbers\r\n"),
             1_800_000_100),
            (3, 1, 3, 0, "not downloaded", Some("m3@example.jp"), 3, None, 1_800_000_200),
            (4, 1, 4, 0, "", None, 4, Some(b"\x00\x01 not a message \xff\xfe"), 1_800_000_300),
            (5, 3, 1, 1, "Budget", Some("m2@example.jp"), 2,
             Some(b"From: Taro <taro@example.jp>\r\nSubject: Budget\r\n\r\nNumbers\r\n"),
             1_800_000_100),
            (6, 4, 1, 0, "Bob's", Some("b1@example.jp"), 5,
             Some(b"From: Bob <bob@example.test>\r\nSubject: Bob's\r\n\r\nHello\r\n"),
             1_800_000_400),
        ];
        for (id, folder, uid, flags, subject, message_id, thread, body, date) in rows {
            let key = search_key(Some(date), id);
            let state = match body {
                None => 0,
                Some(raw) if raw.starts_with(b"\x00") => 2,
                Some(_) => 1,
            };
            conn.execute(
                "INSERT INTO messages (id, folder_id, uid, modseq, flags, internal_date, date, size,
                     subject, from_name, from_addr, recipients, message_id, thread_id, body_state,
                     preview, search_key)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5, ?6, ?7, 'Taro', 'taro@example.jp',
                         'Taro taro@example.jp', ?8, ?9, ?10, ?11, ?12)",
                rusqlite::params![
                    id, folder, uid, flags, date, body.map_or(0, <[u8]>::len) as i64, subject,
                    message_id, thread, state,
                    body.map(|b| String::from_utf8_lossy(b).chars().rev().take(8).collect::<String>())
                        .unwrap_or_default(),
                    key
                ],
            )
            .unwrap();
            let text = body
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            conn.execute(
                "INSERT INTO message_text (rowid, subject, addresses, body) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![
                    key,
                    index_text(subject),
                    index_text("Taro taro@example.jp"),
                    index_text(&text)
                ],
            )
            .unwrap();
            if let Some(raw) = body {
                conn.execute(
                    "INSERT INTO bodies (message_id, raw) VALUES (?1, ?2)",
                    rusqlite::params![id, raw],
                )
                .unwrap();
            }
        }
    }

    fn store_of_schema(path: &std::path::Path, version: usize) -> Store {
        let previous = Database {
            migrations: &MIGRATIONS[..version],
            ..super::super::DATABASE
        };
        let store = Store {
            conn: previous.open(path).unwrap(),
            path: path.to_owned(),
            decoders: Default::default(),
        };
        assert_eq!(store.schema_version().unwrap(), version as i64);
        store
    }

    #[test]
    fn a_store_of_schema_3_keeps_every_row_and_byte_and_its_ids_are_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.sqlite3");
        fill_previous_schema(&store_of_schema(&path, 3).conn);
        let before = every_row(&Connection::open(&path).unwrap());
        assert!(
            before.iter().all(|(_, rows)| !rows.is_empty()),
            "{before:?}"
        );

        let migrated = store_of_schema(&path, 4);
        assert_eq!(every_row(&migrated.conn), before, "every row and byte kept");
        drop(migrated);
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
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
        // The index and the bodies still belong to their messages (the index built again
        // from them: schema 10).
        let stop = std::sync::atomic::AtomicBool::new(false);
        store.build_index(&stop, &mut |_, _| {}).unwrap();
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
        let newest = store.message(newest_id).unwrap().unwrap();
        store
            .remove_uids(newest.folder_id, &[newest.uid.unwrap()])
            .unwrap();
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

    /// Schema 10: the search index without positions is built again by the indexer from the
    /// stored messages (their text) and the header fields (those without a body); until then a
    /// search says it is incomplete. The preview is kept once. Nothing else moves.
    #[test]
    fn a_schema_9_store_gets_the_smaller_index_built_again_with_the_same_hits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.sqlite3");
        fill_previous_schema(&store_of_schema(&path, 4).conn);
        let (messages, hits_before) = {
            let old = store_of_schema(&path, 9);
            let hits: Vec<Vec<i64>> = ["会議室", "budget", "not downloaded", "hello"]
                .iter()
                .map(|typed| {
                    old.search(typed, 10)
                        .unwrap()
                        .iter()
                        .map(|m| m.id)
                        .collect()
                })
                .collect();
            (summaries(&old.conn), hits)
        };
        assert!(hits_before.iter().all(|h| !h.is_empty()), "{hits_before:?}");

        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 10);
        assert!(schema_of(&store.conn, "message_text").contains("detail = none"));
        assert!(!schema_of(&store.conn, "stored_messages").contains("preview"));
        assert_eq!(summaries(&store.conn), messages, "the list as it was");
        // Five bodies to decode again and one message (not downloaded) by its header fields.
        let queued: i64 = store
            .conn
            .query_row("SELECT count(*) FROM index_queue", [], |r| r.get(0))
            .unwrap();
        assert_eq!((store.unindexed_count().unwrap(), queued), (6, 1));
        assert!(store.search("budget", 10).unwrap().is_empty());
        let stop = std::sync::atomic::AtomicBool::new(false);
        assert_eq!(store.build_index(&stop, &mut |_, _| {}).unwrap(), 6);
        assert_eq!(store.unindexed_count().unwrap(), 0);
        for (typed, before) in ["会議室", "budget", "not downloaded", "hello"]
            .iter()
            .zip(&hits_before)
        {
            let after: Vec<i64> = store
                .search(typed, 10)
                .unwrap()
                .iter()
                .map(|m| m.id)
                .collect();
            assert_eq!(&after, before, "{typed}");
        }
        let list = summaries(&store.conn);
        assert_eq!(list.len(), messages.len());
        assert_eq!(
            list[3].body_state,
            BodyState::Unparseable,
            "decoded again, the same"
        );
    }

    /// Every message of a schema-4 store, as the list reads it (the summary columns have not
    /// changed), by id.
    fn summaries(conn: &Connection) -> Vec<MessageSummary> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM messages m ORDER BY m.id");
        let mut statement = conn.prepare(&sql).unwrap();
        statement
            .query_map([], summary_from_row)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn one_copy_per_message_keeps_every_message_byte_exact_with_its_flags_folder_thread_and_search()
    {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.sqlite3");
        let searches = ["会議室", "budget", "taro", "hello", "numbers"];
        let (messages, raws, others, hits_before) = {
            let old = store_of_schema(&path, 4);
            fill_previous_schema(&old.conn);
            let raws: Vec<(i64, Vec<u8>)> = old
                .conn
                .prepare("SELECT message_id, raw FROM bodies ORDER BY message_id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let hits: Vec<Vec<i64>> = searches
                .iter()
                .map(|typed| {
                    old.conn
                        .prepare(
                            "SELECT m.id FROM message_text t JOIN messages m ON m.search_key = t.rowid
                             WHERE message_text MATCH ?1 ORDER BY t.rowid DESC",
                        )
                        .unwrap()
                        .query_map([crate::store::fts::query(typed).unwrap().fts], |r| r.get(0))
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap()
                })
                .collect();
            let others: Vec<_> = every_row(&old.conn)
                .into_iter()
                .filter(|(table, _)| {
                    ["accounts", "folders", "threads", "actions"].contains(&table.as_str())
                })
                .collect();
            (summaries(&old.conn), raws, others, hits)
        };
        assert_eq!(raws.len(), 5);
        assert!(
            hits_before.iter().all(|hits| !hits.is_empty()),
            "{hits_before:?}"
        );

        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
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
        // Every message as the list shows it: folder, UID, flags, thread, downloaded state, preview.
        assert_eq!(summaries(&store.conn), messages);
        for message in &messages {
            assert_eq!(store.message(message.id).unwrap().as_ref(), Some(message));
        }
        // Every body byte for byte, under the message's id.
        for (id, raw) in &raws {
            assert_eq!(
                store.message_raw(*id).unwrap().as_ref(),
                Some(raw),
                "message {id}"
            );
        }
        assert_eq!(
            store.message_raw(3).unwrap(),
            None,
            "not downloaded stays so"
        );
        // Accounts, folders (with their sync state), threads and the queued move unchanged (a
        // later version's added columns aside: they are new, NULL for what was there).
        let kept: Vec<_> = every_row(&store.conn)
            .into_iter()
            .filter(|(table, _)| {
                ["accounts", "folders", "threads", "actions"].contains(&table.as_str())
            })
            .map(|(table, rows)| {
                let width = others
                    .iter()
                    .find(|(t, _)| *t == table)
                    .and_then(|(_, rows)| rows.first().map(Vec::len));
                let rows = rows
                    .into_iter()
                    .map(|mut row| {
                        if let Some(width) = width {
                            assert!(row[width..].iter().all(|v| *v == Value::Null), "{table}");
                            row.truncate(width);
                        }
                        row
                    })
                    .collect();
                (table, rows)
            })
            .collect();
        assert_eq!(kept, others);
        // The same hits, in the same order, once the index is built again (schema 10); before,
        // a search says it is incomplete.
        assert_eq!(store.unindexed_count().unwrap(), 6);
        let stop = std::sync::atomic::AtomicBool::new(false);
        assert_eq!(store.build_index(&stop, &mut |_, _| {}).unwrap(), 6);
        assert_eq!(store.unindexed_count().unwrap(), 0);
        // The schema-4 rows above were indexed with Taro's address whatever their bytes say;
        // built again from the bytes, Bob's message (6) and the one that is not a message (4)
        // are no longer Taro's.
        for (typed, before) in searches.iter().zip(&hits_before) {
            let before: Vec<i64> = match *typed {
                "taro" => before
                    .iter()
                    .copied()
                    .filter(|id| ![4, 6].contains(id))
                    .collect(),
                _ => before.clone(),
            };
            let before = &before;
            let after: Vec<i64> = store
                .search(typed, 100)
                .unwrap()
                .iter()
                .map(|m| m.id)
                .collect();
            assert_eq!(&after, before, "{typed}");
        }

        // After: a message that arrives in two folders is stored once, and the ids of the
        // migrated messages are not handed out again.
        let archive = store
            .folder_by_name("alice@example.test", "Archive")
            .unwrap()
            .unwrap()
            .id;
        let inbox = store
            .folder_by_name("alice@example.test", "INBOX")
            .unwrap()
            .unwrap()
            .id;
        let (envelope, body) = message(20, "after", "new words");
        store
            .add_envelopes(inbox, std::slice::from_ref(&envelope))
            .unwrap();
        store.add_bodies(inbox, &[body]).unwrap();
        store
            .add_envelopes(
                archive,
                &[NewEnvelope {
                    uid: 21,
                    ..envelope
                }],
            )
            .unwrap();
        assert!(
            store
                .missing_bodies(archive, BodyWindow::All)
                .unwrap()
                .is_empty()
        );
        let new_ids: Vec<i64> = store
            .search("after", 10)
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(new_ids.len(), 1, "one message, one hit");
        assert!(new_ids[0] > 6);
        let (stored, _) = store.stored_totals().unwrap();
        assert_eq!(stored, 7, "six migrated and one new, stored once");
    }
}
