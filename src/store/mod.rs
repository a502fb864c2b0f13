//! The local mail store: one SQLite file per profile (`<data>/mail.sqlite3`), so mail is readable
//! offline and the list opens instantly.
//!
//! **Durability.** WAL journal with `synchronous = NORMAL`: a committed transaction survives a crash
//! or `kill -9` of Tayori (the WAL is written before COMMIT returns); a power failure or OS crash may
//! lose the last transactions but never corrupts the file. Nothing is lost either way: the store is
//! a copy of the server, and the sync state (UIDNEXT, HIGHESTMODSEQ) is committed in the same
//! transaction as the messages it describes, so the next sync fetches exactly what is missing.
//! What exists only here — the queue of changes made offline — is written before the change is
//! shown as done.
//!
//! **Bodies** are kept in the database (`bodies` table) rather than as files: one fsync domain, one
//! file to back up, atomic with the message row, and measured fast enough (see `benches/sync.sh`);
//! zstd-compressed where that pays (with a dictionary trained from the account's first messages:
//! `packing.rs`), read back byte-exact.
//!
//! **One copy per message.** A message is stored once per account (`stored_messages`: its bytes
//! and its search entry) under an identity that is not tied to IMAP (see
//! [`message_identity`]); each folder that holds it has a `messages` row — the
//! membership, with that folder's UID and flags — which is what the list, the window's selection
//! and the queued changes name by its id. Copies in other folders (labels, All Mail) and moves
//! are recognised from their headers, before any body is downloaded.
//!
//! The store is synchronous (rusqlite). Async callers — the sync engine, the GUI — run it on a
//! blocking thread (`tokio::task::spawn_blocking`), never on a UI or reactor thread.
//!
//! Where things are: `messages.rs` (rows, pages, what sync writes), `bodies.rs` (whole messages
//! and what is still to download), `folders.rs` (accounts, folders, roles, sync state),
//! `threads.rs` (conversations), `paging.rs` (keyset pages of the list and the conversations), `changes.rs` (the queue of changes made here), `search.rs` and
//! `fts.rs` (full-text search), `index.rs` (the search index built after the sync), `migrations.rs` (the schema). Opening and migrating go through
//! [`crate::sqlite`], as the outbox's do. Row ids are never handed out twice (`AUTOINCREMENT`),
//! so an id the window holds never comes to mean another message, folder or account.

mod bodies;
mod changes;
mod checkpoint;
mod folders;
mod fts;
mod graph;
mod index;
mod messages;
mod migrations;
mod packing;
mod paging;
mod search;
#[cfg(test)]
mod testing;
mod threads;

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use thiserror::Error;

pub use bodies::{BodyWindow, NewBody, PreparedBody, SpooledBody};
pub use changes::{ActionKind, QueuedAction};
pub use checkpoint::Checkpointer;
pub use folders::{Folder, FolderRole, FolderState};
pub use graph::GraphFolderState;
pub use messages::{
    Address, BodyState, Flags, MessageSummary, NewEnvelope, PreparedEnvelopes, SortOrder,
    message_identity,
};
pub use packing::Packer;
pub use paging::{Page, RowKey, Seek};
pub use threads::{ListScope, ThreadSummary};

use crate::config::Paths;
use crate::error::ErrorKind;
use crate::sqlite::{Database, Durability, OpenError};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "the disk is full, so Tayori could not save mail to {0}. Free some disk space and sync again; \
         nothing already saved was lost"
    )]
    DiskFull(PathBuf),
    #[error(
        "the mail store {path} was written by a newer version of Tayori (schema {found}, this version \
         knows {known}). Update Tayori, or move the file away to start a fresh copy from the server"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("the mail store {path} could not be used: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("could not create the folder for the mail store {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "Tayori could not keep a downloaded message in a temporary file next to the mail store {path}: {source}. \
         Nothing already saved was lost; sync again once the disk has room"
    )]
    Spool {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("there is no message {0} in the local store (it may have been deleted meanwhile)")]
    NoSuchMessage(i64),
    #[error(
        "a message in the mail store {path} was saved by a newer version of Tayori (stored format \
         {format}, which this version cannot read). Update Tayori to read it; the copy on the server \
         is unaffected"
    )]
    NewerFormat { path: PathBuf, format: i64 },
    #[error(
        "a message in the mail store {path} was compressed with dictionary {dictionary}, which the \
         store does not have (the file was damaged or edited). The copy on the server is unaffected: \
         move the file away and sync again to download a fresh copy"
    )]
    MissingDictionary { path: PathBuf, dictionary: u32 },
    #[error(
        "a message in the mail store {path} cannot be read back ({reason}): the file was damaged. The \
         copy on the server is unaffected: move the file away and sync again to download a fresh copy"
    )]
    Damaged { path: PathBuf, reason: String },
}

impl StoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::DiskFull(_) | StoreError::Folder { .. } | StoreError::Spool { .. } => {
                ErrorKind::Save
            }
            _ => ErrorKind::Other,
        }
    }
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The compression dictionaries this connection has prepared for reading.
    decoders: packing::Decoders,
}

fn now() -> i64 {
    crate::clock::now_seconds() as i64
}

/// The mail store as a database: its migrations; commits durable against a crash of Tayori (the
/// store is a copy of the server, see the module's notes on durability); a page cache sized for big
/// body writes.
const DATABASE: Database = Database {
    name: "mail store",
    migrations: migrations::MIGRATIONS,
    durability: Durability::Normal,
    owner_only: false,
    configure: |conn| {
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // 8 MB: the hot B-tree pages of the indexes and one body batch of the sync (2 MB) fit; a
        // bigger cache only holds body pages that are written once and not read again.
        conn.pragma_update(None, "cache_size", -8_000)?;
        // A checkpoint (copying the WAL into the database) fsyncs both files under
        // synchronous=NORMAL: every 64 MB of WAL rather than SQLite's 4 MB, so a first sync of
        // hundreds of MB does a few of them, not a hundred. The WAL file is cut back to 16 MB after.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        conn.pragma_update(None, "journal_size_limit", 16 * 1024 * 1024)
    },
};

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = DATABASE.open(path).map_err(|error| match error {
            OpenError::Folder { path, source } | OpenError::Permissions { path, source } => {
                StoreError::Folder { path, source }
            }
            OpenError::Sqlite { path, source, .. } => sqlite(&path, source),
            OpenError::TooNew { path, found, known } => StoreError::TooNew { path, found, known },
        })?;
        Ok(Store {
            conn,
            path: path.to_owned(),
            decoders: packing::Decoders::default(),
        })
    }

    /// The profile's store, `<data>/mail.sqlite3`.
    pub fn open_in(paths: &Paths) -> Result<Store, StoreError> {
        Store::open(&Store::path_in(paths))
    }

    pub fn path_in(paths: &Paths) -> PathBuf {
        paths.data_dir.join("mail.sqlite3")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        sqlite(&self.path, source)
    }

    /// Gives the memory of this connection's page cache back (what a long write left in it is
    /// not read again soon): after a sync pass, so that the index built next, on a connection of
    /// its own, does not add its cache to a full one.
    pub fn release_memory(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("PRAGMA shrink_memory")
            .map_err(|e| self.error(e))
    }

    /// The schema version (for diagnostics and tests).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.error(e))
    }
}

fn sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, _) = &source
        && code.code == rusqlite::ErrorCode::DiskFull
    {
        return StoreError::DiskFull(path.to_owned());
    }
    StoreError::Sqlite {
        path: path.to_owned(),
        source,
    }
}
