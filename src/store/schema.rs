//! The store's schema, as an ordered list of migrations. `PRAGMA user_version` records how many have
//! run; opening a store runs the missing ones in one transaction each. A store written by a newer
//! Tayori (a higher version than this one knows) is refused rather than damaged.

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
];
