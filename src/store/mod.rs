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
//! file to back up, atomic with the message row, and measured fast enough (see `benches/sync.sh`).
//!
//! The store is synchronous (rusqlite). Async callers — the sync engine, the GUI — run it on a
//! blocking thread (`tokio::task::spawn_blocking`), never on a UI or reactor thread.

mod fts;
mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use thiserror::Error;

use crate::config::Paths;
use crate::mime;

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
    #[error("there is no message {0} in the local store (it may have been deleted meanwhile)")]
    NoSuchMessage(i64),
}

/// A SPECIAL-USE role (RFC 6154), which decides a folder's place and icon in the sidebar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FolderRole {
    Inbox,
    Drafts,
    Sent,
    Archive,
    Junk,
    Trash,
    All,
    Flagged,
}

impl FolderRole {
    pub fn as_str(self) -> &'static str {
        match self {
            FolderRole::Inbox => "inbox",
            FolderRole::Drafts => "drafts",
            FolderRole::Sent => "sent",
            FolderRole::Archive => "archive",
            FolderRole::Junk => "junk",
            FolderRole::Trash => "trash",
            FolderRole::All => "all",
            FolderRole::Flagged => "flagged",
        }
    }

    pub fn parse(text: &str) -> Option<FolderRole> {
        Some(match text {
            "inbox" => FolderRole::Inbox,
            "drafts" => FolderRole::Drafts,
            "sent" => FolderRole::Sent,
            "archive" => FolderRole::Archive,
            "junk" => FolderRole::Junk,
            "trash" => FolderRole::Trash,
            "all" => FolderRole::All,
            "flagged" => FolderRole::Flagged,
            _ => return None,
        })
    }

    /// The role a SPECIAL-USE attribute (`\Sent`, …) names.
    pub fn from_special_use(attribute: &str) -> Option<FolderRole> {
        Some(match attribute.to_ascii_lowercase().as_str() {
            "\\drafts" => FolderRole::Drafts,
            "\\sent" => FolderRole::Sent,
            "\\archive" => FolderRole::Archive,
            "\\junk" => FolderRole::Junk,
            "\\trash" => FolderRole::Trash,
            "\\all" => FolderRole::All,
            "\\flagged" => FolderRole::Flagged,
            _ => return None,
        })
    }

    /// The names servers without SPECIAL-USE give the folder with this role, most usual first.
    /// They are compared, ignoring ASCII case, with the last part of a folder's (decoded) name, so
    /// `INBOX.Sent` and `INBOX/Sent` are found too. The one list both the sidebar (sync) and sending
    /// (the Sent and Drafts copies) go by.
    pub fn usual_names(self) -> &'static [&'static str] {
        match self {
            FolderRole::Sent => &[
                "Sent",
                "Sent Items",
                "Sent Messages",
                "Sent Mail",
                "送信済みアイテム",
                "送信済み",
            ],
            FolderRole::Drafts => &["Drafts", "Draft", "下書き"],
            FolderRole::Trash => &[
                "Trash",
                "Deleted Items",
                "Deleted Messages",
                "ごみ箱",
                "削除済みアイテム",
            ],
            FolderRole::Junk => &["Junk", "Spam", "Junk E-mail", "Junk Email", "迷惑メール"],
            FolderRole::Archive => &["Archive", "Archives", "アーカイブ"],
            // INBOX is found by its name, which IMAP reserves; the others have no usual name.
            FolderRole::Inbox | FolderRole::All | FolderRole::Flagged => &[],
        }
    }

    /// Where `name` (a folder's decoded name) stands among this role's [`usual names`]
    /// (0 = the most usual), if it is one of them.
    ///
    /// [`usual names`]: FolderRole::usual_names
    pub fn usual_name_rank(self, name: &str) -> Option<usize> {
        let leaf = name.rsplit(['/', '.']).next().unwrap_or(name);
        self.usual_names()
            .iter()
            .position(|usual| usual.eq_ignore_ascii_case(leaf))
    }

    /// The role a folder's (decoded) name suggests, for servers without SPECIAL-USE.
    pub fn from_usual_name(name: &str) -> Option<FolderRole> {
        FolderRole::ALL
            .into_iter()
            .find(|role| role.usual_name_rank(name).is_some())
    }

    /// Every role, in the sidebar's order.
    pub const ALL: [FolderRole; 8] = [
        FolderRole::Inbox,
        FolderRole::Drafts,
        FolderRole::Sent,
        FolderRole::Archive,
        FolderRole::Junk,
        FolderRole::Trash,
        FolderRole::All,
        FolderRole::Flagged,
    ];
}

/// A folder as the sidebar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: i64,
    pub account: String,
    pub name: String,
    pub delimiter: Option<String>,
    pub role: Option<FolderRole>,
    pub total: u32,
    pub unread: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

/// IMAP system flags, stored as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    pub seen: bool,
    pub answered: bool,
    pub flagged: bool,
    pub deleted: bool,
    pub draft: bool,
}

impl Flags {
    pub fn bits(self) -> i64 {
        (self.seen as i64)
            | (self.answered as i64) << 1
            | (self.flagged as i64) << 2
            | (self.deleted as i64) << 3
            | (self.draft as i64) << 4
    }

    pub fn from_bits(bits: i64) -> Flags {
        Flags {
            seen: bits & 1 != 0,
            answered: bits & 2 != 0,
            flagged: bits & 4 != 0,
            deleted: bits & 8 != 0,
            draft: bits & 16 != 0,
        }
    }

    /// From IMAP flag words (`\Seen`, …); keywords are returned separately.
    pub fn from_imap<'a>(words: impl IntoIterator<Item = &'a str>) -> (Flags, Vec<String>) {
        let mut flags = Flags::default();
        let mut keywords = Vec::new();
        for word in words {
            match word.to_ascii_lowercase().as_str() {
                "\\seen" => flags.seen = true,
                "\\answered" => flags.answered = true,
                "\\flagged" => flags.flagged = true,
                "\\deleted" => flags.deleted = true,
                "\\draft" => flags.draft = true,
                "\\recent" => {}
                _ => keywords.push(word.to_owned()),
            }
        }
        (flags, keywords)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    NewestFirst,
    OldestFirst,
}

/// Whether a message's full text is here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    NotDownloaded,
    Downloaded,
    /// Downloaded, but the bytes are not a parseable message; kept raw so nothing is lost.
    Unparseable,
}

/// A row of the message list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    pub id: i64,
    pub folder_id: i64,
    /// `None` while a local move waits for the server.
    pub uid: Option<u32>,
    /// Seconds since 1970, UTC: the Date header, else the server's arrival time.
    pub date: Option<i64>,
    pub from: Option<Address>,
    pub subject: String,
    pub flags: Flags,
    pub size: u32,
    pub has_attachments: bool,
    pub thread_id: i64,
    pub message_id: Option<String>,
    pub body_state: BodyState,
    pub preview: String,
}

/// What a list shows: one folder, or every account's inbox together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListScope {
    Folder(i64),
    UnifiedInbox,
}

impl ListScope {
    /// The condition on `messages m` for this scope, and its parameter.
    fn condition(self) -> (&'static str, Option<i64>) {
        match self {
            ListScope::Folder(id) => ("m.folder_id = ?1", Some(id)),
            ListScope::UnifiedInbox => (
                "m.folder_id IN (SELECT id FROM folders WHERE role = 'inbox') AND ?1 IS NULL",
                None,
            ),
        }
    }
}

/// A row of the conversations view: a thread as its newest message, with the whole thread's
/// figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    pub newest: MessageSummary,
    /// Messages of the thread in the list's scope.
    pub count: u32,
    pub unread: u32,
    /// Whether any of them is flagged.
    pub flagged: bool,
}

/// A folder's sync state, for the sync engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderState {
    pub id: i64,
    pub name: String,
    pub role: Option<FolderRole>,
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    pub envelopes_complete: bool,
}

/// What the sync engine hands over for a message it has not stored yet: its headers.
#[derive(Debug, Clone)]
pub struct NewEnvelope {
    pub uid: u32,
    pub flags: Flags,
    pub keywords: Vec<String>,
    pub modseq: Option<u64>,
    pub internal_date: Option<i64>,
    pub size: u32,
    /// The raw header block (`BODY.PEEK[HEADER]`).
    pub header: Vec<u8>,
}

/// A whole message from the server.
#[derive(Debug, Clone)]
pub struct NewBody {
    pub uid: u32,
    pub raw: Vec<u8>,
}

/// A downloaded message decoded and shaped for the index — CPU work that needs no database, done
/// before the store is locked.
#[derive(Debug, Clone)]
pub struct PreparedBody {
    uid: u32,
    raw: Vec<u8>,
    parse_ok: bool,
    subject: Option<String>,
    has_attachments: bool,
    preview: String,
    index_subject: String,
    index_addresses: String,
    index_body: String,
}

impl PreparedBody {
    pub fn new(body: NewBody) -> PreparedBody {
        let decoded = mime::decode(&body.raw);
        let text = decoded.text.as_deref().unwrap_or("");
        PreparedBody {
            uid: body.uid,
            parse_ok: decoded.parse_ok,
            has_attachments: !decoded.attachments.is_empty(),
            preview: preview_of(text),
            index_subject: fts::index_text(decoded.subject.as_deref().unwrap_or("")),
            index_addresses: fts::index_text(&address_text(&decoded)),
            index_body: fts::index_text(text),
            subject: decoded.subject,
            raw: body.raw,
        }
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

/// A change made here that must reach the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    AddFlags(Flags),
    RemoveFlags(Flags),
    /// Move to the named folder.
    Move(String),
    /// Remove for good (`\Deleted` + expunge).
    Expunge,
}

/// A queued change as the sync engine replays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedAction {
    pub id: i64,
    pub kind: ActionKind,
    pub folder: String,
    pub uidvalidity: u32,
    pub uid: u32,
    pub message_id: Option<String>,
    pub attempts: u32,
}

/// Which bodies to download in the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyWindow {
    All,
    /// Messages dated within the last N days (older ones are fetched when opened).
    Days(u32),
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SUMMARY_COLUMNS: &str = "m.id, m.folder_id, m.uid, COALESCE(m.date, m.internal_date), m.from_name, \
     m.from_addr, m.subject, m.flags, m.size, m.has_attachments, COALESCE(m.thread_id, 0), m.message_id, \
     m.body_state, m.preview";

fn summary_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<MessageSummary> {
    let from_name: Option<String> = row.get(4)?;
    let from_addr: Option<String> = row.get(5)?;
    Ok(MessageSummary {
        id: row.get(0)?,
        folder_id: row.get(1)?,
        uid: row.get(2)?,
        date: row.get(3)?,
        from: from_addr.map(|email| Address {
            name: from_name,
            email,
        }),
        subject: row.get(6)?,
        flags: Flags::from_bits(row.get(7)?),
        size: row.get(8)?,
        has_attachments: row.get(9)?,
        thread_id: row.get(10)?,
        message_id: row.get(11)?,
        body_state: match row.get::<_, i64>(12)? {
            1 => BodyState::Downloaded,
            2 => BodyState::Unparseable,
            _ => BodyState::NotDownloaded,
        },
        preview: row.get(13)?,
    })
}

fn now() -> i64 {
    crate::clock::now_seconds() as i64
}

/// A short one-line preview from the body text.
fn preview_of(text: &str) -> String {
    let mut preview = String::with_capacity(200);
    for word in text
        .lines()
        .filter(|line| !line.trim_start().starts_with('>'))
        .flat_map(str::split_whitespace)
    {
        if preview.chars().count() > 160 {
            break;
        }
        if !preview.is_empty() {
            preview.push(' ');
        }
        preview.push_str(word);
    }
    preview
}

fn address_text(decoded: &mime::Decoded) -> String {
    decoded
        .from
        .iter()
        .chain(&decoded.to)
        .chain(&decoded.cc)
        .map(|m| match &m.name {
            Some(name) => format!("{name} {}", m.address),
            None => m.address.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
                path: parent.to_owned(),
                source,
            })?;
        }
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(sqlite)?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.configure().map_err(|e| store.error(e))?;
        store.migrate()?;
        Ok(store)
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

    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(std::time::Duration::from_secs(10))?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Big body writes: a larger page cache keeps the B-tree pages of the hot indexes in memory.
        self.conn.pragma_update(None, "cache_size", -32_000)?;
        Ok(())
    }

    /// Runs the missing migrations. The version is read inside an IMMEDIATE transaction, so two
    /// processes opening a new store at once (the window and `tayori sync`) cannot both migrate.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = schema::MIGRATIONS.len() as i64;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| sqlite(&path, e))?;
        let found: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sqlite(&path, e))?;
        if found > known {
            return Err(StoreError::TooNew { path, found, known });
        }
        for (index, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql)
                .and_then(|_| tx.pragma_update(None, "user_version", index as i64 + 1))
                .map_err(|e| sqlite(&path, e))?;
            tracing::info!(version = index + 1, "mail store schema migrated");
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        sqlite(&self.path, source)
    }

    /// The schema version (for diagnostics and tests).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.error(e))
    }

    // ------------------------------------------------------------------ reading (GUI and CLI)

    /// Every folder of every account, special-use folders first (Inbox, Drafts, Sent, …), then by
    /// name, with total and unread counts.
    pub fn folders(&self) -> Result<Vec<Folder>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT f.id, a.email, f.name, f.delimiter, f.role,
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id),
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND (m.flags & 1) = 0)
                 FROM folders f JOIN accounts a ON a.id = f.account_id
                 WHERE f.selectable = 1",
            )
            .map_err(|e| self.error(e))?;
        let mut folders: Vec<Folder> = statement
            .query_map([], |row| {
                Ok(Folder {
                    id: row.get(0)?,
                    account: row.get(1)?,
                    name: row.get(2)?,
                    delimiter: row.get(3)?,
                    role: row
                        .get::<_, Option<String>>(4)?
                        .as_deref()
                        .and_then(FolderRole::parse),
                    total: row.get(5)?,
                    unread: row.get(6)?,
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        folders.sort_by(|a, b| {
            a.account
                .cmp(&b.account)
                .then(a.role.is_none().cmp(&b.role.is_none()))
                .then(a.role.cmp(&b.role))
                .then(a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Ok(folders)
    }

    /// The folder of `account` called `name` (case-insensitive for INBOX), if it is known.
    pub fn folder_by_name(&self, account: &str, name: &str) -> Result<Option<Folder>, StoreError> {
        Ok(self.folders()?.into_iter().find(|f| {
            f.account.eq_ignore_ascii_case(account)
                && (f.name == name
                    || (f.role == Some(FolderRole::Inbox) && name.eq_ignore_ascii_case("inbox")))
        }))
    }

    pub fn message_count(&self, folder_id: i64) -> Result<usize, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1",
                [folder_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.error(e))
    }

    /// A page of a folder's message list.
    pub fn messages(
        &self,
        folder_id: i64,
        order: SortOrder,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let direction = match order {
            SortOrder::NewestFirst => "DESC",
            SortOrder::OldestFirst => "ASC",
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.folder_id = ?1
             ORDER BY m.date {direction}, m.id {direction} LIMIT ?2 OFFSET ?3"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_map(
                params![folder_id, limit as i64, offset as i64],
                summary_from_row,
            )
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// A page of all accounts' inboxes together.
    pub fn unified_inbox(
        &self,
        order: SortOrder,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let direction = match order {
            SortOrder::NewestFirst => "DESC",
            SortOrder::OldestFirst => "ASC",
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m JOIN folders f ON f.id = m.folder_id
             WHERE f.role = 'inbox' ORDER BY m.date {direction}, m.id {direction} LIMIT ?1 OFFSET ?2"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_map(params![limit as i64, offset as i64], summary_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// How many threads the scope's messages form (the conversations view's length).
    pub fn thread_count(&self, scope: ListScope) -> Result<usize, StoreError> {
        let (condition, param) = scope.condition();
        let sql = format!("SELECT count(DISTINCT m.thread_id) FROM messages m WHERE {condition}");
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_row([param], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.error(e))
    }

    /// A page of the conversations view: threads ordered by their newest message, each with its
    /// count, unread count and whether any message is flagged. The grouping reads only the
    /// `messages_by_thread` index; the newest message of each of the page's threads is then one
    /// index lookup.
    pub fn threads(
        &self,
        scope: ListScope,
        order: SortOrder,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        let direction = match order {
            SortOrder::NewestFirst => "DESC",
            SortOrder::OldestFirst => "ASC",
        };
        let (condition, param) = scope.condition();
        // The newest message of a thread is looked up by thread (`INDEXED BY`): left to itself,
        // SQLite walks the date index to avoid a sort and reads the whole folder per thread.
        // Every stored message has a thread (a message without Message-ID is a thread of its
        // own, see `thread_id`), so grouping by it never merges strangers.
        let groups_sql = format!(
            "SELECT m.thread_id, max(m.date) AS latest, count(*), sum((m.flags & 1) = 0),
                    max((m.flags & 4) != 0)
             FROM messages m WHERE {condition} GROUP BY m.thread_id
             ORDER BY latest {direction}, m.thread_id {direction} LIMIT ?2 OFFSET ?3"
        );
        let newest_sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m INDEXED BY messages_by_thread
             WHERE {condition} AND m.thread_id = ?2 ORDER BY m.date DESC, m.id DESC LIMIT 1"
        );
        let groups: Vec<(i64, u32, u32, bool)> = self
            .conn
            .prepare_cached(&groups_sql)
            .and_then(|mut statement| {
                statement
                    .query_map(params![param, limit as i64, offset as i64], |r| {
                        Ok((r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect()
            })
            .map_err(|e| self.error(e))?;
        let mut newest = self
            .conn
            .prepare_cached(&newest_sql)
            .map_err(|e| self.error(e))?;
        let mut threads = Vec::with_capacity(groups.len());
        for (thread, count, unread, flagged) in groups {
            let Some(message) = newest
                .query_row(params![param, thread], summary_from_row)
                .optional()
                .map_err(|e| self.error(e))?
            else {
                continue;
            };
            threads.push(ThreadSummary {
                newest: message,
                count,
                unread,
                flagged,
            });
        }
        Ok(threads)
    }

    /// The messages of one thread within the scope, in the list's order.
    pub fn thread_messages(
        &self,
        scope: ListScope,
        thread_id: i64,
        order: SortOrder,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let direction = match order {
            SortOrder::NewestFirst => "DESC",
            SortOrder::OldestFirst => "ASC",
        };
        let (condition, param) = scope.condition();
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m INDEXED BY messages_by_thread
             WHERE {condition} AND m.thread_id = ?2 ORDER BY m.date {direction}, m.id {direction}"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_map(params![param, thread_id], summary_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    pub fn message(&self, id: i64) -> Result<Option<MessageSummary>, StoreError> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.id = ?1");
        self.conn
            .query_row(&sql, [id], summary_from_row)
            .optional()
            .map_err(|e| self.error(e))
    }

    /// The message's raw RFC 5322 bytes, when downloaded.
    pub fn message_raw(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row("SELECT raw FROM bodies WHERE message_id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Full-text search over subject, addresses and body text, newest first (as mail programs show
    /// search results; ranking by relevance costs a score for every match, which is slow for
    /// common words in a large mailbox).
    pub fn search(&self, typed: &str, limit: usize) -> Result<Vec<MessageSummary>, StoreError> {
        let Some(query) = fts::query(typed) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM
                 (SELECT rowid AS key FROM message_text WHERE message_text MATCH ?1
                  ORDER BY rowid DESC LIMIT ?2) t
             JOIN messages m ON m.search_key = t.key ORDER BY t.key DESC"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_map(params![query, limit as i64], summary_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// Which account and folder a message is in.
    pub fn message_location(&self, id: i64) -> Result<(String, String), StoreError> {
        self.conn
            .query_row(
                "SELECT a.email, f.name FROM messages m JOIN folders f ON f.id = m.folder_id
                 JOIN accounts a ON a.id = f.account_id WHERE m.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?
            .ok_or(StoreError::NoSuchMessage(id))
    }

    // ------------------------------------------------------------------ changes made here

    /// Marks a message read or unread here at once and queues the change for the server.
    pub fn set_seen(&mut self, id: i64, seen: bool) -> Result<(), StoreError> {
        let change = Flags {
            seen: true,
            ..Flags::default()
        };
        self.change_flags(id, change, seen)
    }

    pub fn set_flagged(&mut self, id: i64, flagged: bool) -> Result<(), StoreError> {
        let change = Flags {
            flagged: true,
            ..Flags::default()
        };
        self.change_flags(id, change, flagged)
    }

    pub fn set_answered(&mut self, id: i64, answered: bool) -> Result<(), StoreError> {
        let change = Flags {
            answered: true,
            ..Flags::default()
        };
        self.change_flags(id, change, answered)
    }

    fn change_flags(&mut self, id: i64, change: Flags, add: bool) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let source = action_source(&tx, id).map_err(|e| sqlite(&path, e))?;
        let Some((account_id, folder, uidvalidity, uid, flags, message_id)) = source else {
            return Err(StoreError::NoSuchMessage(id));
        };
        let new_flags = if add {
            flags | change.bits()
        } else {
            flags & !change.bits()
        };
        tx.execute(
            "UPDATE messages SET flags = ?2 WHERE id = ?1",
            params![id, new_flags],
        )
        .map_err(|e| sqlite(&path, e))?;
        if let (Some(uidvalidity), Some(uid)) = (uidvalidity, uid) {
            let kind = if add { "add-flags" } else { "remove-flags" };
            tx.execute(
                "INSERT INTO actions (account_id, kind, folder, uidvalidity, uid, message_id, argument,
                     created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    account_id,
                    kind,
                    folder,
                    uidvalidity,
                    uid,
                    message_id,
                    change.bits().to_string(),
                    now()
                ],
            )
            .map_err(|e| sqlite(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// Moves a message to another folder of the same account: it shows there at once (without a UID
    /// until the server assigns one) and the move is queued.
    pub fn move_to(&mut self, id: i64, folder_id: i64) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let Some((account_id, folder, uidvalidity, uid, _, message_id)) =
            action_source(&tx, id).map_err(|e| sqlite(&path, e))?
        else {
            return Err(StoreError::NoSuchMessage(id));
        };
        let target: Option<String> = tx
            .query_row(
                "SELECT name FROM folders WHERE id = ?1 AND account_id = ?2",
                params![folder_id, account_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sqlite(&path, e))?;
        let Some(target) = target else {
            return Err(StoreError::NoSuchMessage(id));
        };
        if target == folder {
            return Ok(());
        }
        tx.execute(
            "UPDATE messages SET folder_id = ?2, uid = NULL WHERE id = ?1",
            params![id, folder_id],
        )
        .map_err(|e| sqlite(&path, e))?;
        if let (Some(uidvalidity), Some(uid)) = (uidvalidity, uid) {
            tx.execute(
                "INSERT INTO actions (account_id, kind, folder, uidvalidity, uid, message_id, argument,
                     created_at)
                 VALUES (?1, 'move', ?2, ?3, ?4, ?5, ?6, ?7)",
                params![account_id, folder, uidvalidity, uid, message_id, target, now()],
            )
            .map_err(|e| sqlite(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// Deletes a message the way people expect: to the account's Trash, or — already in Trash, or
    /// with no Trash folder — for good.
    pub fn delete(&mut self, id: i64) -> Result<(), StoreError> {
        let trash: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT t.id, m.folder_id FROM messages m JOIN folders f ON f.id = m.folder_id
                 JOIN folders t ON t.account_id = f.account_id AND t.role = 'trash'
                 WHERE m.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        match trash {
            Some((trash, current)) if trash != current => self.move_to(id, trash),
            _ => {
                let path = self.path.clone();
                let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
                let Some((account_id, folder, uidvalidity, uid, _, message_id)) =
                    action_source(&tx, id).map_err(|e| sqlite(&path, e))?
                else {
                    return Err(StoreError::NoSuchMessage(id));
                };
                delete_rows(&tx, &[id]).map_err(|e| sqlite(&path, e))?;
                if let (Some(uidvalidity), Some(uid)) = (uidvalidity, uid) {
                    tx.execute(
                        "INSERT INTO actions (account_id, kind, folder, uidvalidity, uid, message_id,
                             created_at)
                         VALUES (?1, 'expunge', ?2, ?3, ?4, ?5, ?6)",
                        params![account_id, folder, uidvalidity, uid, message_id, now()],
                    )
                    .map_err(|e| sqlite(&path, e))?;
                }
                tx.commit().map_err(|e| sqlite(&path, e))
            }
        }
    }

    // ------------------------------------------------------------------ for the sync engine

    /// The account's row id, created on first use.
    pub fn account_id(&self, email: &str) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO accounts (email) VALUES (?1) ON CONFLICT (email) DO NOTHING",
                [email],
            )
            .map_err(|e| self.error(e))?;
        self.conn
            .query_row("SELECT id FROM accounts WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .map_err(|e| self.error(e))
    }

    /// Forgets every account not in `keep` with all its mail, and returns their addresses: mail
    /// of an account removed while its sync was still writing (or removed by another program) does
    /// not linger in the store.
    pub fn forget_accounts_except(&self, keep: &[String]) -> Result<Vec<String>, StoreError> {
        let known: Vec<String> = {
            let mut statement = self
                .conn
                .prepare("SELECT email FROM accounts")
                .map_err(|e| self.error(e))?;
            statement
                .query_map([], |r| r.get(0))
                .and_then(|rows| rows.collect::<Result<_, _>>())
                .map_err(|e| self.error(e))?
        };
        let gone: Vec<String> = known.into_iter().filter(|e| !keep.contains(e)).collect();
        for email in &gone {
            self.remove_account(email)?;
        }
        Ok(gone)
    }

    /// Forgets an account and all its mail (the account was removed).
    pub fn remove_account(&self, email: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM accounts WHERE email = ?1", [email])
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    pub fn folder_states(&self, account_id: i64) -> Result<Vec<FolderState>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT id, name, role, uidvalidity, uidnext, highestmodseq, envelopes_complete
                 FROM folders WHERE account_id = ?1",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map([account_id], |row| {
                Ok(FolderState {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    role: row
                        .get::<_, Option<String>>(2)?
                        .as_deref()
                        .and_then(FolderRole::parse),
                    uidvalidity: row.get(3)?,
                    uidnext: row.get(4)?,
                    highestmodseq: row.get::<_, Option<i64>>(5)?.map(|v| v as u64),
                    envelopes_complete: row.get(6)?,
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// Records the server's folder list: new folders are added, known ones updated, and folders the
    /// server no longer has are dropped with their messages (they are gone on the server too).
    pub fn set_folder_list(
        &mut self,
        account_id: i64,
        folders: &[(String, Option<String>, Option<FolderRole>, bool)],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO folders (account_id, name, delimiter, role, selectable)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (account_id, name) DO UPDATE
                     SET delimiter = excluded.delimiter, role = excluded.role,
                         selectable = excluded.selectable",
                )
                .map_err(|e| sqlite(&path, e))?;
            for (name, delimiter, role, selectable) in folders {
                upsert
                    .execute(params![
                        account_id,
                        name,
                        delimiter,
                        role.map(FolderRole::as_str),
                        selectable
                    ])
                    .map_err(|e| sqlite(&path, e))?;
            }
            let known: Vec<(i64, String)> = tx
                .prepare("SELECT id, name FROM folders WHERE account_id = ?1")
                .and_then(|mut s| {
                    s.query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect()
                })
                .map_err(|e| sqlite(&path, e))?;
            for (id, name) in known {
                if !folders.iter().any(|(n, ..)| *n == name) {
                    let ids: Vec<i64> = tx
                        .prepare("SELECT id FROM messages WHERE folder_id = ?1")
                        .and_then(|mut s| s.query_map([id], |r| r.get(0))?.collect())
                        .map_err(|e| sqlite(&path, e))?;
                    delete_rows(&tx, &ids).map_err(|e| sqlite(&path, e))?;
                    tx.execute("DELETE FROM folders WHERE id = ?1", [id])
                        .map_err(|e| sqlite(&path, e))?;
                }
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// Saves what the server said about a folder after its changes were applied.
    pub fn set_folder_state(
        &self,
        folder_id: i64,
        uidvalidity: u32,
        uidnext: Option<u32>,
        highestmodseq: Option<u64>,
        envelopes_complete: bool,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE folders SET uidvalidity = ?2, uidnext = ?3, highestmodseq = ?4,
                     envelopes_complete = ?5, synced_at = ?6 WHERE id = ?1",
                params![
                    folder_id,
                    uidvalidity,
                    uidnext,
                    highestmodseq.map(|v| v as i64),
                    envelopes_complete,
                    now()
                ],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// The UIDVALIDITY of the folder changed: every UID known here is void. The rows are kept
    /// without a UID (with their downloaded bodies) so the re-sync finds them again by Message-ID
    /// instead of downloading everything anew; [`Store::drop_unmatched`] removes the rest.
    pub fn forget_uids(&self, folder_id: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE messages SET uid = NULL WHERE folder_id = ?1",
                [folder_id],
            )
            .and_then(|_| {
                self.conn.execute(
                    "UPDATE folders SET uidvalidity = NULL, uidnext = NULL, highestmodseq = NULL,
                         envelopes_complete = 0 WHERE id = ?1",
                    [folder_id],
                )
            })
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// After a complete envelope pass: rows still without a UID were not found on the server.
    /// Rows waiting for a queued move are kept (the server has not seen the move yet).
    pub fn drop_unmatched(
        &mut self,
        folder_id: i64,
        pending_moves: usize,
    ) -> Result<usize, StoreError> {
        if pending_moves > 0 {
            return Ok(0);
        }
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let ids: Vec<i64> = tx
            .prepare("SELECT id FROM messages WHERE folder_id = ?1 AND uid IS NULL")
            .and_then(|mut s| s.query_map([folder_id], |r| r.get(0))?.collect())
            .map_err(|e| sqlite(&path, e))?;
        delete_rows(&tx, &ids).map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(ids.len())
    }

    /// UIDs stored for a folder, ascending.
    pub fn uids(&self, folder_id: i64) -> Result<Vec<u32>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid FROM messages WHERE folder_id = ?1 AND uid IS NOT NULL ORDER BY uid",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map([folder_id], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// UID → (flags bits, keywords) for a folder, to compare with the server's.
    pub fn flags_by_uid(&self, folder_id: i64) -> Result<HashMap<u32, i64>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid, flags FROM messages WHERE folder_id = ?1 AND uid IS NOT NULL",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map([folder_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// Stores new messages' envelopes (one transaction). A row without a UID with the same
    /// Message-ID (a local move, or a UIDVALIDITY change) is adopted instead of duplicated. UIDs
    /// already stored are skipped, so replaying a batch after a crash is harmless.
    pub fn add_envelopes(
        &mut self,
        folder_id: i64,
        envelopes: &[NewEnvelope],
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut added = 0;
        {
            let mut exists = tx
                .prepare_cached("SELECT 1 FROM messages WHERE folder_id = ?1 AND uid = ?2")
                .map_err(|e| sqlite(&path, e))?;
            let mut adopt = tx
                .prepare_cached(
                    "UPDATE messages SET uid = ?3, flags = ?4, modseq = ?5
                     WHERE id = (SELECT id FROM messages WHERE folder_id = ?1 AND uid IS NULL
                                 AND message_id = ?2 LIMIT 1)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (folder_id, uid, modseq, flags, keywords, internal_date, date,
                         size, subject, from_name, from_addr, recipients, message_id, in_reply_to, refs,
                         thread_id, has_attachments)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut index = tx
                .prepare_cached(
                    "INSERT INTO message_text (rowid, subject, addresses, body) VALUES (?1, ?2, ?3, '')",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut set_key = tx
                .prepare_cached("UPDATE messages SET search_key = ?2 WHERE id = ?1")
                .map_err(|e| sqlite(&path, e))?;
            for envelope in envelopes {
                if exists
                    .exists(params![folder_id, envelope.uid])
                    .map_err(|e| sqlite(&path, e))?
                {
                    continue;
                }
                let decoded = mime::decode(&envelope.header);
                if let Some(message_id) = &decoded.message_id {
                    let adopted = adopt
                        .execute(params![
                            folder_id,
                            message_id,
                            envelope.uid,
                            envelope.flags.bits(),
                            envelope.modseq.map(|v| v as i64)
                        ])
                        .map_err(|e| sqlite(&path, e))?;
                    if adopted > 0 {
                        added += 1;
                        continue;
                    }
                }
                let thread_id = thread_id(&tx, &decoded, folder_id, envelope.uid)
                    .map_err(|e| sqlite(&path, e))?;
                let from = decoded.from.first();
                let recipients = address_text(&decoded);
                let subject = decoded.subject.clone().unwrap_or_default();
                // multipart/mixed (or a Content-Disposition: attachment header) announces files;
                // the exact list comes with the body.
                let header_text = String::from_utf8_lossy(&envelope.header).to_ascii_lowercase();
                let has_attachments = header_text.contains("multipart/mixed");
                insert
                    .execute(params![
                        folder_id,
                        envelope.uid,
                        envelope.modseq.map(|v| v as i64),
                        envelope.flags.bits(),
                        (!envelope.keywords.is_empty()).then(|| envelope.keywords.join(" ")),
                        envelope.internal_date,
                        decoded.date.or(envelope.internal_date),
                        envelope.size,
                        subject,
                        from.and_then(|m| m.name.clone()),
                        from.map(|m| m.address.clone()),
                        recipients,
                        decoded.message_id,
                        decoded.in_reply_to.join(" "),
                        decoded.references.join(" "),
                        thread_id,
                        has_attachments,
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                let id = tx.last_insert_rowid();
                let key = search_key(decoded.date.or(envelope.internal_date), id);
                set_key
                    .execute(params![id, key])
                    .map_err(|e| sqlite(&path, e))?;
                index
                    .execute(params![
                        key,
                        fts::index_text(&subject),
                        fts::index_text(&recipients)
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                added += 1;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(added)
    }

    /// UIDs of messages whose body is not here yet, newest first, within the window.
    pub fn missing_bodies(
        &self,
        folder_id: i64,
        window: BodyWindow,
    ) -> Result<Vec<(u32, u32)>, StoreError> {
        let since = match window {
            BodyWindow::All => i64::MIN,
            BodyWindow::Days(days) => now() - i64::from(days) * 86_400,
        };
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid, size FROM messages WHERE folder_id = ?1 AND body_state = 0
                 AND uid IS NOT NULL AND COALESCE(date, internal_date, 0) >= ?2 ORDER BY uid DESC",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map(params![folder_id, since], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// Stores downloaded messages (one transaction): the raw bytes, the decoded fields, and the
    /// full-text index. A message that does not parse is kept raw and marked; it never stops sync.
    pub fn add_bodies(&mut self, folder_id: i64, bodies: &[NewBody]) -> Result<usize, StoreError> {
        let prepared: Vec<PreparedBody> = bodies.iter().cloned().map(PreparedBody::new).collect();
        self.add_prepared_bodies(folder_id, &prepared)
    }

    /// [`Store::add_bodies`] for messages already decoded with [`PreparedBody::new`] (which the
    /// sync engine does on another thread while the previous batch is being written).
    pub fn add_prepared_bodies(
        &mut self,
        folder_id: i64,
        bodies: &[PreparedBody],
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut stored = 0;
        {
            let mut find = tx
                .prepare_cached(
                    "SELECT id, search_key FROM messages WHERE folder_id = ?1 AND uid = ?2",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut body = tx
                .prepare_cached("INSERT OR REPLACE INTO bodies (message_id, raw) VALUES (?1, ?2)")
                .map_err(|e| sqlite(&path, e))?;
            let mut update = tx
                .prepare_cached(
                    "UPDATE messages SET body_state = ?2, has_attachments = ?3, preview = ?4,
                         subject = CASE WHEN ?5 IS NULL THEN subject ELSE ?5 END
                     WHERE id = ?1",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut unindex = tx
                .prepare_cached("DELETE FROM message_text WHERE rowid = ?1")
                .map_err(|e| sqlite(&path, e))?;
            let mut index = tx
                .prepare_cached(
                    "INSERT INTO message_text (rowid, subject, addresses, body) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|e| sqlite(&path, e))?;
            for prepared in bodies {
                let Some((id, key)): Option<(i64, i64)> = find
                    .query_row(params![folder_id, prepared.uid], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                    .map_err(|e| sqlite(&path, e))?
                else {
                    // Expunged meanwhile: nothing to attach the body to.
                    continue;
                };
                body.execute(params![id, prepared.raw])
                    .map_err(|e| sqlite(&path, e))?;
                if !prepared.parse_ok {
                    tracing::warn!(
                        folder_id,
                        uid = prepared.uid,
                        "a message could not be parsed; it is kept as raw bytes"
                    );
                }
                update
                    .execute(params![
                        id,
                        if prepared.parse_ok { 1 } else { 2 },
                        prepared.has_attachments,
                        prepared.preview,
                        prepared.subject,
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                unindex.execute([key]).map_err(|e| sqlite(&path, e))?;
                index
                    .execute(params![
                        key,
                        prepared.index_subject,
                        prepared.index_addresses,
                        prepared.index_body
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                stored += 1;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(stored)
    }

    /// Applies the server's flags for messages that changed.
    pub fn set_flags(
        &mut self,
        folder_id: i64,
        changes: &[(u32, Flags, Option<u64>)],
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut changed = 0;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE messages SET flags = ?3, modseq = COALESCE(?4, modseq)
                     WHERE folder_id = ?1 AND uid = ?2 AND flags != ?3",
                )
                .map_err(|e| sqlite(&path, e))?;
            for (uid, flags, modseq) in changes {
                changed += update
                    .execute(params![
                        folder_id,
                        uid,
                        flags.bits(),
                        modseq.map(|v| v as i64)
                    ])
                    .map_err(|e| sqlite(&path, e))?;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(changed)
    }

    /// Removes messages the server expunged.
    pub fn remove_uids(&mut self, folder_id: i64, uids: &[u32]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut ids = Vec::new();
        {
            let mut find = tx
                .prepare_cached("SELECT id FROM messages WHERE folder_id = ?1 AND uid = ?2")
                .map_err(|e| sqlite(&path, e))?;
            for uid in uids {
                if let Some(id) = find
                    .query_row(params![folder_id, uid], |r| r.get::<_, i64>(0))
                    .optional()
                    .map_err(|e| sqlite(&path, e))?
                {
                    ids.push(id);
                }
            }
        }
        delete_rows(&tx, &ids).map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(ids.len())
    }

    /// The account's queued changes, oldest first.
    pub fn queued_actions(&self, account_id: i64) -> Result<Vec<QueuedAction>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT id, kind, folder, uidvalidity, uid, argument, attempts, message_id FROM actions
                 WHERE account_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.error(e))?;
        type Row = (
            i64,
            String,
            String,
            u32,
            u32,
            Option<String>,
            u32,
            Option<String>,
        );
        let rows: Vec<Row> = statement
            .query_map([account_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(id, kind, folder, uidvalidity, uid, argument, attempts, message_id)| {
                    let bits = || {
                        argument
                            .as_deref()
                            .and_then(|a| a.parse().ok())
                            .unwrap_or(0)
                    };
                    let kind = match kind.as_str() {
                        "add-flags" => ActionKind::AddFlags(Flags::from_bits(bits())),
                        "remove-flags" => ActionKind::RemoveFlags(Flags::from_bits(bits())),
                        "move" => ActionKind::Move(argument?),
                        "expunge" => ActionKind::Expunge,
                        _ => return None,
                    };
                    Some(QueuedAction {
                        id,
                        kind,
                        folder,
                        uidvalidity,
                        uid,
                        message_id,
                        attempts,
                    })
                },
            )
            .collect())
    }

    /// How many queued moves still target `folder` (their rows wait there without a UID).
    pub fn pending_moves_into(&self, account_id: i64, folder: &str) -> Result<usize, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM actions WHERE account_id = ?1 AND kind = 'move' AND argument = ?2",
                params![account_id, folder],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.error(e))
    }

    pub fn finish_action(&self, id: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM actions WHERE id = ?1", [id])
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    pub fn action_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE actions SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Whole-account figures for summaries: (messages, bodies downloaded).
    pub fn counts(&self, account_id: i64) -> Result<(usize, usize), StoreError> {
        self.conn
            .query_row(
                "SELECT count(*), COALESCE(sum(m.body_state != 0), 0) FROM messages m
                 JOIN folders f ON f.id = m.folder_id WHERE f.account_id = ?1",
                [account_id],
                |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize)),
            )
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

type ActionSource = (i64, String, Option<u32>, Option<u32>, i64, Option<String>);

/// (account, folder name, UIDVALIDITY, UID, flags) of a message, for recording a change.
fn action_source(tx: &Connection, id: i64) -> rusqlite::Result<Option<ActionSource>> {
    tx.query_row(
        "SELECT f.account_id, f.name, f.uidvalidity, m.uid, m.flags, m.message_id
         FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )
    .optional()
}

/// Deletes message rows with their bodies and index entries.
fn delete_rows(tx: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    let mut unindex = tx.prepare_cached(
        "DELETE FROM message_text WHERE rowid = (SELECT search_key FROM messages WHERE id = ?1)",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
    for id in ids {
        unindex.execute([id])?;
        delete.execute([id])?;
    }
    Ok(())
}

/// The full-text index's row number for a message: its date in the high bits, so that FTS5 —
/// which walks its lists in row-number order — yields the newest matches first and a search can
/// stop after the first page however many messages match. The low 24 bits (the message's row id)
/// keep keys unique.
fn search_key(date: Option<i64>, id: i64) -> i64 {
    let date = date.unwrap_or(0).clamp(0, (1 << 38) - 1);
    (date << 24) | (id & 0xFF_FFFF)
}

/// The thread of a new message: the row for its root Message-ID, created on first sight.
fn thread_id(
    tx: &Connection,
    decoded: &mime::Decoded,
    folder_id: i64,
    uid: u32,
) -> rusqlite::Result<i64> {
    // A message without any Message-ID is a thread of its own.
    let root = mime::thread_root(decoded).unwrap_or_else(|| format!("\u{0}{folder_id}:{uid}"));
    tx.prepare_cached("INSERT INTO threads (root) VALUES (?1) ON CONFLICT (root) DO NOTHING")?
        .execute([&root])?;
    tx.prepare_cached("SELECT id FROM threads WHERE root = ?1")?
        .query_row([&root], |r| r.get(0))
}

// ---------------------------------------------------------------------------------------------
// Address completion (added for the composer). Read-only.

impl Store {
    /// People who have written to this mailbox whose address or name starts with `typed` (any
    /// case), most frequent first: what the composer offers while an address is typed.
    pub fn known_senders(
        &self,
        typed: &str,
        limit: usize,
    ) -> Result<Vec<(Option<String>, String)>, StoreError> {
        // LIKE's wildcards in what was typed are matched literally.
        let escaped = typed
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("{escaped}%");
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT max(from_name), lower(from_addr) AS addr FROM messages
                 WHERE from_addr IS NOT NULL AND from_addr != ''
                   AND (lower(from_addr) LIKE ?1 ESCAPE '\\' OR lower(from_name) LIKE ?1 ESCAPE '\\')
                 GROUP BY addr ORDER BY count(*) DESC, addr LIMIT ?2",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(rusqlite::params![pattern, limit as i64], |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(e))
    }
}

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------------
// New-mail notifications. Read-only.

impl Store {
    /// The unread messages of a folder whose UIDs are in `first..=last` (the range a sync pass has
    /// just fetched), newest first: how many there are, and the first `limit` of them. Messages
    /// already read elsewhere (`\Seen` on the server) are not counted — nobody wants to be told
    /// about mail they have read on their phone.
    pub fn unread_in_uid_range(
        &self,
        folder_id: i64,
        first: u32,
        last: u32,
        limit: usize,
    ) -> Result<(usize, Vec<MessageSummary>), StoreError> {
        let count = self
            .conn
            .query_row(
                "SELECT count(*) FROM messages
                 WHERE folder_id = ?1 AND uid BETWEEN ?2 AND ?3 AND flags & 1 = 0",
                params![folder_id, first, last],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| self.error(e))? as usize;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m
             WHERE m.folder_id = ?1 AND m.uid BETWEEN ?2 AND ?3 AND m.flags & 1 = 0
             ORDER BY COALESCE(m.date, m.internal_date) DESC, m.uid DESC LIMIT ?4"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(
                params![folder_id, first, last, limit as i64],
                summary_from_row,
            )
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        Ok((count, rows))
    }
}
