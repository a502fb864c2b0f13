//! The IMAP sync engine: keeps the local store (`crate::store`) in step with an account's server.
//!
//! One pass ([`Engine::sync_once`], what `tayori sync` runs):
//! 1. sign in (OAuth bearer or app password, token refreshed once on rejection — `crate::imap`);
//! 2. replay the changes made offline, in the order they were made;
//! 3. list the folders with their SPECIAL-USE roles, and — where the server has LIST-STATUS — the
//!    state of every folder in the same round trip, so unchanged folders are not even selected;
//! 4. for each changed folder: with QRESYNC (RFC 7162) the SELECT itself returns the flag changes
//!    and the expunged UIDs (`VANISHED`); with CONDSTORE only, a `CHANGEDSINCE` FETCH and a UID
//!    SEARCH; with neither, a UID/flags listing compared with the store. New messages' headers
//!    come first, newest first, so the list is usable at once; bodies follow in the background;
//! 5. a changed UIDVALIDITY voids every UID: the folder is re-listed and messages found again by
//!    their Message-ID keep their downloaded bodies and local state.
//!
//! [`Engine::watch`] keeps one connection open, waits in IDLE (RFC 2177) on INBOX so new mail lands
//! without polling, checks the other folders every few minutes, and reconnects with backoff after
//! any network error.
//!
//! **Crash safety.** Messages and the folder's sync state are committed in the same order the
//! server is read: envelopes before the folder is marked complete, flags before HIGHESTMODSEQ is
//! saved. Killed at any point, the next pass fetches exactly what is missing — nothing is lost and
//! nothing is stored twice (UIDs are unique per folder in the schema).

mod conn;
pub mod notice;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_imap::imap_proto::{
    AttributeValue, MailboxDatum, MessageSection, NameAttribute, Response, ResponseCode,
    SectionPath, Status, StatusAttribute,
};
use thiserror::Error;
use tokio::sync::{Notify, mpsc};

use conn::{Conn, quote, uid_set};
pub use conn::{decode_mailbox_name, parse_internal_date};

use crate::account::Account;
use crate::auth::Credentials;
use crate::imap::ImapError;
use crate::net::dns::Dns;
use crate::store::{
    ActionKind, BodyWindow, FolderRole, FolderState, NewBody, NewEnvelope, PreparedBody, Store,
    StoreError,
};

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(
        "the connection to {host} was lost: {reason}. Mail already downloaded is safe; Tayori tries again"
    )]
    Connection { host: String, reason: String },
    #[error("the IMAP server {host} refused a request: {reason}")]
    Refused { host: String, reason: String },
    #[error(transparent)]
    SignIn(#[from] ImapError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the message is no longer on the server (it was moved or deleted elsewhere)")]
    Gone,
}

impl SyncError {
    /// Whether trying again later can help (a network problem), as opposed to something the person
    /// must act on (sign in again, free disk space).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SyncError::Connection { .. }
                | SyncError::SignIn(ImapError::Net(_))
                | SyncError::SignIn(ImapError::Protocol { .. })
        )
    }

    /// Whether the account must be signed in again (the refresh token or password was refused).
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            SyncError::SignIn(ImapError::Refused { .. }) | SyncError::SignIn(ImapError::Auth(_))
        )
    }
}

/// What the engine reports while it works (for a progress bar or the status bar).
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    Connecting,
    Connected,
    /// Offline changes sent to the server.
    ActionsReplayed(usize),
    FolderStarted {
        folder: String,
    },
    Envelopes {
        folder: String,
        done: usize,
        total: usize,
    },
    Bodies {
        folder: String,
        done: usize,
        total: usize,
        bytes: u64,
    },
    FolderDone {
        folder: String,
    },
    Finished(Summary),
    /// Waiting in IDLE for new mail.
    Idle,
    /// New messages arrived in a folder that had been fully listed before (never for the first
    /// pass over a folder, when everything is "new"). What a new-mail notification needs.
    NewMail {
        folder: String,
        count: usize,
        /// Whether the folder is the account's inbox.
        inbox: bool,
        /// How many of the new messages are unread (not read elsewhere before they were fetched).
        unread: usize,
        /// The newest unread ones, at most [`NEW_MAIL_DETAILS`].
        newest: Vec<crate::store::MessageSummary>,
    },
    /// Offline or a server problem; the next attempt is in `retry_in`.
    Offline {
        error: String,
        retry_in: Duration,
    },
    /// The server refused the sign-in: the person must sign in again.
    NeedsSignIn {
        error: String,
    },
}

/// How many new messages a [`SyncEvent::NewMail`] describes one by one.
pub const NEW_MAIL_DETAILS: usize = 3;

/// Counts for one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub folders: usize,
    pub folders_checked: usize,
    pub new_messages: usize,
    pub flag_changes: usize,
    pub removed: usize,
    pub bodies: usize,
    pub body_bytes: u64,
    pub actions_replayed: usize,
}

pub type Progress = Arc<dyn Fn(SyncEvent) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub bodies: BodyWindow,
    /// How often `watch` checks the folders other than INBOX.
    pub poll_interval: Duration,
}

impl SyncOptions {
    /// The options the settings file (`[sync]`) and the settings screen choose.
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        SyncOptions {
            bodies: match settings.sync.body_days {
                Some(days) => BodyWindow::Days(days),
                None => BodyWindow::All,
            },
            ..SyncOptions::default()
        }
    }
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            bodies: BodyWindow::All,
            poll_interval: Duration::from_secs(300),
        }
    }
}

/// A folder as the server lists it.
#[derive(Debug, Clone)]
struct ServerFolder {
    name: String,
    delimiter: Option<String>,
    role: Option<FolderRole>,
    selectable: bool,
    status: Option<ServerStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ServerStatus {
    uidvalidity: Option<u32>,
    uidnext: Option<u32>,
    highestmodseq: Option<u64>,
    messages: Option<u32>,
}

/// What a SELECT told us.
#[derive(Debug, Default)]
struct Selected {
    uidvalidity: Option<u32>,
    uidnext: Option<u32>,
    highestmodseq: Option<u64>,
    exists: u32,
    vanished: Vec<std::ops::RangeInclusive<u32>>,
    changed: Vec<(u32, crate::store::Flags, Option<u64>)>,
}

/// The fields of one FETCH response the engine uses.
#[derive(Default)]
struct Fetched<'a> {
    uid: Option<u32>,
    flags: Option<(crate::store::Flags, Vec<String>)>,
    modseq: Option<u64>,
    internal_date: Option<i64>,
    size: Option<u32>,
    header: Option<&'a [u8]>,
    body: Option<&'a [u8]>,
}

fn fetched<'a>(attributes: &'a [AttributeValue<'a>]) -> Fetched<'a> {
    let mut out = Fetched::default();
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(uid) => out.uid = Some(*uid),
            AttributeValue::Flags(words) => {
                out.flags = Some(crate::store::Flags::from_imap(
                    words.iter().map(|w| w.as_ref()),
                ))
            }
            AttributeValue::ModSeq(modseq) => out.modseq = Some(*modseq),
            AttributeValue::InternalDate(text) => out.internal_date = parse_internal_date(text),
            AttributeValue::Rfc822Size(size) => out.size = Some(*size),
            AttributeValue::BodySection {
                section: Some(SectionPath::Full(MessageSection::Header)),
                data,
                ..
            } => out.header = Some(data.as_deref().unwrap_or(b"")),
            AttributeValue::BodySection {
                section: None,
                data,
                ..
            } => out.body = Some(data.as_deref().unwrap_or(b"")),
            AttributeValue::Rfc822(data) => out.body = Some(data.as_deref().unwrap_or(b"")),
            _ => {}
        }
    }
    out
}

/// A whole message from a FETCH response, if it is one.
fn body_of(response: &Response<'_>) -> Option<NewBody> {
    let Response::Fetch(_, attributes) = response else {
        return None;
    };
    let fields = fetched(attributes);
    Some(NewBody {
        uid: fields.uid?,
        raw: fields.body?.to_vec(),
    })
}

/// Roles by conventional name, for servers without SPECIAL-USE.
fn role_by_name(name: &str) -> Option<FolderRole> {
    let leaf = name
        .rsplit(['/', '.'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    Some(match leaf.as_str() {
        "sent" | "sent items" | "sent messages" | "送信済み" | "送信済みアイテム" => {
            FolderRole::Sent
        }
        "drafts" | "draft" | "下書き" => FolderRole::Drafts,
        "trash" | "deleted items" | "deleted messages" | "ごみ箱" | "削除済みアイテム" => {
            FolderRole::Trash
        }
        "junk" | "spam" | "junk e-mail" | "junk email" | "迷惑メール" => FolderRole::Junk,
        "archive" | "archives" | "アーカイブ" => FolderRole::Archive,
        _ => return None,
    })
}

/// How many headers to ask for per FETCH.
const ENVELOPE_CHUNK: usize = 1000;
/// How many whole messages to ask for per FETCH (bounded further by size).
const BODY_CHUNK: usize = 2000;
const BODY_CHUNK_BYTES: u64 = 128 * 1024 * 1024;
/// How much the writer gets at a time: big enough that one transaction carries many messages.
const WRITE_BATCH_BYTES: usize = 8 * 1024 * 1024;
const WRITE_BATCH_COUNT: usize = 400;

pub struct Engine {
    store: Arc<Mutex<Store>>,
    account: Account,
    account_id: i64,
    credentials: Credentials,
    dns: Dns,
    options: SyncOptions,
    progress: Progress,
}

impl Engine {
    /// Opens the store for `account`. `progress` receives [`SyncEvent`]s from any thread.
    pub async fn open(
        store_path: PathBuf,
        account: Account,
        credentials: Credentials,
        dns: Dns,
        options: SyncOptions,
        progress: Progress,
    ) -> Result<Engine, SyncError> {
        let email = account.email.clone();
        let (store, account_id) = tokio::task::spawn_blocking(move || {
            let store = Store::open(&store_path)?;
            let id = store.account_id(&email)?;
            Ok::<_, StoreError>((store, id))
        })
        .await
        .expect("the store task does not panic")?;
        Ok(Engine {
            store: Arc::new(Mutex::new(store)),
            account,
            account_id,
            credentials,
            dns,
            options,
            progress,
        })
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Runs store work on a blocking thread.
    async fn db<T, F>(&self, work: F) -> Result<T, SyncError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut store)
        })
        .await
        .expect("the store task does not panic")?;
        Ok(result)
    }

    fn emit(&self, event: SyncEvent) {
        (self.progress)(event);
    }

    /// Signs in and prepares the connection (capabilities, QRESYNC enabled where offered).
    pub async fn connect(&self) -> Result<Conn, SyncError> {
        self.emit(SyncEvent::Connecting);
        let session = crate::imap::login(&self.dns, &self.account.imap, &self.credentials).await?;
        let mut conn = Conn::new(session, &self.account.imap.host);
        conn.refresh_capabilities().await?;
        if conn.has("QRESYNC") {
            conn.run_quietly("ENABLE QRESYNC").await?;
        } else if conn.has("CONDSTORE") {
            conn.run_quietly("ENABLE CONDSTORE").await?;
        }
        tracing::info!(
            host = %conn.host,
            qresync = conn.has("QRESYNC"),
            condstore = conn.has("CONDSTORE"),
            idle = conn.has("IDLE"),
            "IMAP connection ready for sync"
        );
        self.emit(SyncEvent::Connected);
        Ok(conn)
    }

    /// One complete pass: connect, bring everything up to date, log out.
    pub async fn sync_once(&self) -> Result<Summary, SyncError> {
        let mut conn = self.connect().await?;
        let summary = self.sync_all(&mut conn).await?;
        conn.logout().await;
        Ok(summary)
    }

    /// Replays queued changes, then brings every folder up to date.
    pub async fn sync_all(&self, conn: &mut Conn) -> Result<Summary, SyncError> {
        let mut summary = Summary {
            actions_replayed: self.replay_actions(conn).await?,
            ..Summary::default()
        };
        let server_folders = self.list_folders(conn).await?;
        let account_id = self.account_id;
        let listed: Vec<_> = server_folders
            .iter()
            .map(|f| (f.name.clone(), f.delimiter.clone(), f.role, f.selectable))
            .collect();
        let states = self
            .db(move |store| {
                store.set_folder_list(account_id, &listed)?;
                store.folder_states(account_id)
            })
            .await?;
        summary.folders = server_folders.iter().filter(|f| f.selectable).count();
        // INBOX first, then the other special folders, then the rest: what people look at first.
        let mut order: Vec<&ServerFolder> =
            server_folders.iter().filter(|f| f.selectable).collect();
        order.sort_by_key(|f| (f.role.is_none(), f.role, f.name.to_lowercase()));
        for folder in order {
            let Some(state) = states.iter().find(|s| s.name == folder.name).cloned() else {
                continue;
            };
            if self.unchanged(&state, folder.status.as_ref()).await? {
                continue;
            }
            summary.folders_checked += 1;
            self.sync_folder(conn, state, &mut summary).await?;
        }
        self.emit(SyncEvent::Finished(summary.clone()));
        Ok(summary)
    }

    /// Whether LIST-STATUS shows that nothing changed since the folder was last complete.
    async fn unchanged(
        &self,
        state: &FolderState,
        status: Option<&ServerStatus>,
    ) -> Result<bool, SyncError> {
        let Some(status) = status else {
            return Ok(false);
        };
        let same = state.envelopes_complete
            && status.uidvalidity.is_some()
            && state.uidvalidity == status.uidvalidity
            && state.uidnext == status.uidnext
            // Without HIGHESTMODSEQ a flag change elsewhere is invisible here: always look.
            && status.highestmodseq.is_some()
            && state.highestmodseq == status.highestmodseq;
        if !same {
            return Ok(false);
        }
        let folder_id = state.id;
        let window = self.options.bodies;
        let missing = self
            .db(move |store| store.missing_bodies(folder_id, window))
            .await?;
        Ok(missing.is_empty())
    }

    async fn list_folders(&self, conn: &mut Conn) -> Result<Vec<ServerFolder>, SyncError> {
        let special_use = conn.has("SPECIAL-USE");
        let list_status = conn.has("LIST-STATUS");
        let condstore = conn.has("CONDSTORE") || conn.has("QRESYNC");
        let mut command = String::from("LIST \"\" \"*\"");
        let mut returns = Vec::new();
        if special_use {
            returns.push("SPECIAL-USE".to_owned());
        }
        if list_status {
            returns.push(format!(
                "STATUS (MESSAGES UIDNEXT UIDVALIDITY{})",
                if condstore { " HIGHESTMODSEQ" } else { "" }
            ));
        }
        if !returns.is_empty() {
            command.push_str(&format!(" RETURN ({})", returns.join(" ")));
        }
        let mut folders: Vec<ServerFolder> = Vec::new();
        let mut statuses: HashMap<String, ServerStatus> = HashMap::new();
        conn.run(&command, |response| match response {
            Response::MailboxData(MailboxDatum::List(list)) => {
                let mut role = None;
                let mut selectable = true;
                for attribute in &list.name_attributes {
                    match attribute {
                        NameAttribute::NoSelect => selectable = false,
                        NameAttribute::Extension(word)
                            if word.eq_ignore_ascii_case("\\NonExistent") =>
                        {
                            selectable = false
                        }
                        NameAttribute::Sent => role = Some(FolderRole::Sent),
                        NameAttribute::Drafts => role = Some(FolderRole::Drafts),
                        NameAttribute::Trash => role = Some(FolderRole::Trash),
                        NameAttribute::Junk => role = Some(FolderRole::Junk),
                        NameAttribute::Archive => role = Some(FolderRole::Archive),
                        NameAttribute::All => role = Some(FolderRole::All),
                        NameAttribute::Flagged => role = Some(FolderRole::Flagged),
                        _ => {}
                    }
                }
                let name = list.name.to_string();
                if name.eq_ignore_ascii_case("INBOX") {
                    role = Some(FolderRole::Inbox);
                } else if role.is_none() && !special_use {
                    role = role_by_name(&decode_mailbox_name(&name));
                }
                folders.push(ServerFolder {
                    name,
                    delimiter: list.delimiter.as_ref().map(|d| d.to_string()),
                    role,
                    selectable,
                    status: None,
                });
            }
            Response::MailboxData(MailboxDatum::Status { mailbox, status }) => {
                let mut parsed = ServerStatus::default();
                for attribute in status {
                    match attribute {
                        StatusAttribute::UidValidity(v) => parsed.uidvalidity = Some(*v),
                        StatusAttribute::UidNext(v) => parsed.uidnext = Some(*v),
                        StatusAttribute::HighestModSeq(v) => parsed.highestmodseq = Some(*v),
                        StatusAttribute::Messages(v) => parsed.messages = Some(*v),
                        _ => {}
                    }
                }
                statuses.insert(mailbox.to_string(), parsed);
            }
            _ => {}
        })
        .await?;
        // The same role twice (a server quirk) would put two "Sent" in the sidebar: keep the first.
        let mut seen_roles = BTreeSet::new();
        for folder in &mut folders {
            if let Some(role) = folder.role
                && !seen_roles.insert(role)
            {
                folder.role = None;
            }
            folder.status = statuses.remove(&folder.name);
        }
        Ok(folders)
    }

    async fn select(&self, conn: &mut Conn, state: &FolderState) -> Result<Selected, SyncError> {
        let mut command = format!("SELECT {}", quote(&state.name));
        if conn.has("QRESYNC")
            && let (Some(uidvalidity), Some(modseq), true) = (
                state.uidvalidity,
                state.highestmodseq,
                state.envelopes_complete,
            )
        {
            command.push_str(&format!(" (QRESYNC ({uidvalidity} {modseq}))"));
        } else if conn.has("CONDSTORE") || conn.has("QRESYNC") {
            command.push_str(" (CONDSTORE)");
        }
        let mut selected = Selected::default();
        conn.selected = None;
        conn.run(&command, |response| match response {
            Response::Data {
                status: Status::Ok,
                outcome,
            } => match &outcome.code {
                Some(ResponseCode::UidValidity(v)) => selected.uidvalidity = Some(*v),
                Some(ResponseCode::UidNext(v)) => selected.uidnext = Some(*v),
                Some(ResponseCode::HighestModSeq(v)) => selected.highestmodseq = Some(*v),
                _ => {}
            },
            Response::MailboxData(MailboxDatum::Exists(n)) => selected.exists = *n,
            Response::Vanished { uids, .. } => selected.vanished.extend(uids.iter().cloned()),
            Response::Fetch(_, attributes) => {
                let fields = fetched(attributes);
                if let (Some(uid), Some((flags, _))) = (fields.uid, fields.flags) {
                    selected.changed.push((uid, flags, fields.modseq));
                }
            }
            _ => {}
        })
        .await?;
        conn.selected = Some(state.name.clone());
        conn.selected_uidvalidity = selected.uidvalidity;
        Ok(selected)
    }

    /// Brings one folder up to date.
    async fn sync_folder(
        &self,
        conn: &mut Conn,
        mut state: FolderState,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let name = state.name.clone();
        self.emit(SyncEvent::FolderStarted {
            folder: name.clone(),
        });
        let folder_id = state.id;
        let selected = self.select(conn, &state).await?;
        let Some(uidvalidity) = selected.uidvalidity else {
            return Err(SyncError::Refused {
                host: conn.host.clone(),
                reason: format!("no UIDVALIDITY for {name}"),
            });
        };
        if let Some(known) = state.uidvalidity
            && known != uidvalidity
        {
            tracing::warn!(folder = %name, known, now = uidvalidity, "UIDVALIDITY changed; re-listing the folder");
            self.db(move |store| store.forget_uids(folder_id)).await?;
            state.uidvalidity = None;
            state.uidnext = None;
            state.highestmodseq = None;
            state.envelopes_complete = false;
        }
        let condstore = conn.has("CONDSTORE") || conn.has("QRESYNC");
        let mut local: BTreeSet<u32> = self
            .db(move |store| store.uids(folder_id))
            .await?
            .into_iter()
            .collect();

        // --- changes to messages already here
        let mut flag_changes = selected.changed;
        let mut vanished: Vec<u32> = local
            .iter()
            .copied()
            .filter(|uid| selected.vanished.iter().any(|r| r.contains(uid)))
            .collect();
        let qresync_used = conn.has("QRESYNC")
            && state.envelopes_complete
            && state.highestmodseq.is_some()
            && state.uidvalidity.is_some();
        if !qresync_used && !local.is_empty() {
            let top = *local.last().expect("not empty");
            if condstore
                && state.envelopes_complete
                && let Some(since) = state.highestmodseq
            {
                if selected.highestmodseq != Some(since) {
                    conn.run(
                        &format!("UID FETCH 1:{top} (UID FLAGS) (CHANGEDSINCE {since})"),
                        |response| {
                            if let Response::Fetch(_, attributes) = response {
                                let fields = fetched(attributes);
                                if let (Some(uid), Some((flags, _))) = (fields.uid, fields.flags) {
                                    flag_changes.push((uid, flags, fields.modseq));
                                }
                            }
                        },
                    )
                    .await?;
                    let on_server = self.uid_search(conn, &format!("UID 1:{top}")).await?;
                    vanished.extend(local.iter().filter(|uid| !on_server.contains(uid)));
                }
            } else {
                // No CONDSTORE (or an interrupted first sync): compare every UID and its flags.
                let mut on_server = BTreeSet::new();
                conn.run(&format!("UID FETCH 1:{top} (UID FLAGS)"), |response| {
                    if let Response::Fetch(_, attributes) = response {
                        let fields = fetched(attributes);
                        if let Some(uid) = fields.uid {
                            on_server.insert(uid);
                            if let Some((flags, _)) = fields.flags {
                                flag_changes.push((uid, flags, fields.modseq));
                            }
                        }
                    }
                })
                .await?;
                vanished.extend(local.iter().filter(|uid| !on_server.contains(uid)));
            }
        }
        vanished.sort_unstable();
        vanished.dedup();
        if !flag_changes.is_empty() || !vanished.is_empty() {
            let (changes, gone) = (flag_changes, vanished.clone());
            let (changed, removed) = self
                .db(move |store| {
                    Ok((
                        store.set_flags(folder_id, &changes)?,
                        store.remove_uids(folder_id, &gone)?,
                    ))
                })
                .await?;
            summary.flag_changes += changed;
            summary.removed += removed;
            for uid in &vanished {
                local.remove(uid);
            }
        }

        // --- new messages: headers first, newest first
        let missing: Vec<u32> = if state.envelopes_complete
            && let Some(uidnext) = state.uidnext
        {
            if selected.uidnext.is_some_and(|next| next <= uidnext) {
                Vec::new()
            } else {
                // New UIDs are above the old UIDNEXT; `n:*` also returns the top message when
                // nothing is new, which the filter drops.
                self.uid_search(conn, &format!("UID {uidnext}:*"))
                    .await?
                    .into_iter()
                    .filter(|uid| *uid >= uidnext && !local.contains(uid))
                    .collect()
            }
        } else if selected.exists == 0 {
            Vec::new()
        } else {
            self.uid_search(conn, "ALL")
                .await?
                .into_iter()
                .filter(|uid| !local.contains(uid))
                .collect()
        };
        let fetched_range = missing
            .iter()
            .copied()
            .min()
            .zip(missing.iter().copied().max());
        let new = self
            .fetch_envelopes(conn, &name, folder_id, missing)
            .await?;
        summary.new_messages += new;
        if new > 0
            && state.envelopes_complete
            && let Some((first, last)) = fetched_range
        {
            let (unread, newest) = self
                .db(move |store| {
                    store.unread_in_uid_range(folder_id, first, last, NEW_MAIL_DETAILS)
                })
                .await?;
            self.emit(SyncEvent::NewMail {
                folder: name.clone(),
                count: new,
                inbox: state.role == Some(FolderRole::Inbox),
                unread,
                newest,
            });
        }
        // Everything below UIDNEXT is here now: record it, with HIGHESTMODSEQ, in one statement.
        let (uidnext, modseq) = (selected.uidnext, selected.highestmodseq);
        let account_id = self.account_id;
        let folder_name = name.clone();
        self.db(move |store| {
            store.set_folder_state(folder_id, uidvalidity, uidnext, modseq, true)?;
            let pending = store.pending_moves_into(account_id, &folder_name)?;
            store.drop_unmatched(folder_id, pending)
        })
        .await?;

        // --- bodies, newest first
        let (count, bytes) = self.fetch_bodies(conn, &name, folder_id).await?;
        summary.bodies += count;
        summary.body_bytes += bytes;
        self.emit(SyncEvent::FolderDone { folder: name });
        Ok(())
    }

    async fn uid_search(&self, conn: &mut Conn, criteria: &str) -> Result<Vec<u32>, SyncError> {
        let mut uids = Vec::new();
        conn.run(&format!("UID SEARCH {criteria}"), |response| {
            if let Response::MailboxData(MailboxDatum::Search(found)) = response {
                uids.extend(found);
            }
        })
        .await?;
        uids.sort_unstable();
        Ok(uids)
    }

    /// Fetches headers for `missing` (ascending UIDs), newest first, storing each chunk while the
    /// next one is on the wire.
    async fn fetch_envelopes(
        &self,
        conn: &mut Conn,
        folder: &str,
        folder_id: i64,
        missing: Vec<u32>,
    ) -> Result<usize, SyncError> {
        let total = missing.len();
        if total == 0 {
            return Ok(0);
        }
        let modseq = if conn.has("CONDSTORE") || conn.has("QRESYNC") {
            " MODSEQ"
        } else {
            ""
        };
        let mut done = 0;
        let mut added = 0;
        let mut pending: Option<tokio::task::JoinHandle<Result<usize, StoreError>>> = None;
        for chunk in missing.rchunks(ENVELOPE_CHUNK) {
            let command = format!(
                "UID FETCH {} (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER]{modseq})",
                uid_set(chunk)
            );
            let tag = conn.send(&command).await?;
            let mut envelopes = Vec::with_capacity(chunk.len());
            while let Some(envelope) = conn
                .next(&tag, |response| {
                    let Response::Fetch(_, attributes) = response else {
                        return None;
                    };
                    let fields = fetched(attributes);
                    let (Some(uid), Some(header)) = (fields.uid, fields.header) else {
                        return None;
                    };
                    let (flags, keywords) = fields.flags.unwrap_or_default();
                    Some(NewEnvelope {
                        uid,
                        flags,
                        keywords,
                        modseq: fields.modseq,
                        internal_date: fields.internal_date,
                        size: fields.size.unwrap_or(0),
                        header: header.to_vec(),
                    })
                })
                .await?
            {
                envelopes.extend(envelope);
            }
            // Newest first within the chunk too, so the top of the list fills first.
            envelopes.sort_by_key(|e| std::cmp::Reverse(e.uid));
            if let Some(previous) = pending.take() {
                added += previous.await.expect("the store task does not panic")?;
            }
            let store = self.store.clone();
            pending = Some(tokio::task::spawn_blocking(move || {
                store
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .add_envelopes(folder_id, &envelopes)
            }));
            done += chunk.len();
            self.emit(SyncEvent::Envelopes {
                folder: folder.to_owned(),
                done,
                total,
            });
        }
        if let Some(previous) = pending.take() {
            added += previous.await.expect("the store task does not panic")?;
        }
        Ok(added)
    }

    /// Downloads the bodies the store lacks (within the window), newest first. The network side
    /// streams into a bounded channel; a writer stores batches in transactions meanwhile.
    async fn fetch_bodies(
        &self,
        conn: &mut Conn,
        folder: &str,
        folder_id: i64,
    ) -> Result<(usize, u64), SyncError> {
        let window = self.options.bodies;
        let missing = self
            .db(move |store| store.missing_bodies(folder_id, window))
            .await?;
        if missing.is_empty() {
            return Ok((0, 0));
        }
        let total = missing.len();
        // Three stages run at once: the network side reads (TLS, IMAP parsing), a decoder turns
        // each batch into stored form (MIME decoding, index text), and the writer commits the
        // previous batch. Bounded channels keep memory flat whatever the mailbox size.
        let (sender, mut receiver) = mpsc::channel::<Vec<NewBody>>(2);
        let (decoded_sender, mut decoded_receiver) = mpsc::channel::<Vec<PreparedBody>>(2);
        let decoder = tokio::spawn(async move {
            while let Some(batch) = receiver.recv().await {
                let prepared = tokio::task::spawn_blocking(move || {
                    batch.into_iter().map(PreparedBody::new).collect::<Vec<_>>()
                })
                .await
                .expect("decoding does not panic");
                if decoded_sender.send(prepared).await.is_err() {
                    break;
                }
            }
        });
        let store = self.store.clone();
        let progress = self.progress.clone();
        let folder_name = folder.to_owned();
        let writer = tokio::spawn(async move {
            let (mut stored, mut bytes) = (0usize, 0u64);
            while let Some(batch) = decoded_receiver.recv().await {
                let batch_bytes: u64 = batch.iter().map(|b| b.len() as u64).sum();
                let batch_len = batch.len();
                let store = store.clone();
                tokio::task::spawn_blocking(move || {
                    store
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .add_prepared_bodies(folder_id, &batch)
                })
                .await
                .expect("the store task does not panic")?;
                stored += batch_len;
                bytes += batch_bytes;
                progress(SyncEvent::Bodies {
                    folder: folder_name.clone(),
                    done: stored,
                    total,
                    bytes,
                });
            }
            Ok::<_, StoreError>((stored, bytes))
        });

        let network = async {
            let mut start = 0;
            while start < missing.len() {
                // A chunk: up to BODY_CHUNK messages or BODY_CHUNK_BYTES, newest first.
                let mut end = start;
                let mut chunk_bytes = 0u64;
                while end < missing.len()
                    && end - start < BODY_CHUNK
                    && (end == start || chunk_bytes + u64::from(missing[end].1) <= BODY_CHUNK_BYTES)
                {
                    chunk_bytes += u64::from(missing[end].1);
                    end += 1;
                }
                let mut uids: Vec<u32> = missing[start..end].iter().map(|(uid, _)| *uid).collect();
                uids.sort_unstable();
                start = end;
                let tag = conn
                    .send(&format!("UID FETCH {} (UID BODY.PEEK[])", uid_set(&uids)))
                    .await?;
                let mut batch = Vec::new();
                let mut batch_bytes = 0;
                while let Some(body) = conn.next(&tag, body_of).await? {
                    if let Some(body) = body {
                        batch_bytes += body.raw.len();
                        batch.push(body);
                    }
                    if batch.len() >= WRITE_BATCH_COUNT || batch_bytes >= WRITE_BATCH_BYTES {
                        batch_bytes = 0;
                        if sender.send(std::mem::take(&mut batch)).await.is_err() {
                            // The writer stopped (its error is returned below).
                            return Ok(());
                        }
                    }
                }
                if !batch.is_empty() && sender.send(batch).await.is_err() {
                    return Ok(());
                }
            }
            Ok::<_, SyncError>(())
        };
        let network_result = network.await;
        drop(sender);
        decoder.await.expect("the decoder task does not panic");
        let written = writer.await.expect("the writer task does not panic");
        // A store error (disk full) explains a stopped download better than the network side does.
        let written = written?;
        network_result?;
        Ok(written)
    }

    /// Sends the changes made offline, oldest first. A change the server refuses (the message was
    /// deleted elsewhere meanwhile) is dropped with a log line; a network error stops the replay
    /// with the rest still queued.
    async fn replay_actions(&self, conn: &mut Conn) -> Result<usize, SyncError> {
        let account_id = self.account_id;
        let actions = self
            .db(move |store| store.queued_actions(account_id))
            .await?;
        if actions.is_empty() {
            return Ok(0);
        }
        let mut replayed = 0;
        for action in actions {
            let outcome = self.replay_one(conn, &action).await;
            match outcome {
                Ok(()) => replayed += 1,
                Err(SyncError::Refused { reason, .. }) => {
                    tracing::warn!(action = action.id, %reason, "the server refused a queued change; dropping it");
                }
                Err(SyncError::Gone) => {
                    tracing::info!(
                        action = action.id,
                        "a queued change's message is gone; dropping it"
                    );
                }
                Err(other) => {
                    let text = other.to_string();
                    let id = action.id;
                    self.db(move |store| store.action_failed(id, &text)).await?;
                    return Err(other);
                }
            }
            let id = action.id;
            self.db(move |store| store.finish_action(id)).await?;
        }
        self.emit(SyncEvent::ActionsReplayed(replayed));
        Ok(replayed)
    }

    async fn replay_one(
        &self,
        conn: &mut Conn,
        action: &crate::store::QueuedAction,
    ) -> Result<(), SyncError> {
        if conn.selected.as_deref() != Some(action.folder.as_str()) {
            let state = FolderState {
                id: 0,
                name: action.folder.clone(),
                role: None,
                uidvalidity: None,
                uidnext: None,
                highestmodseq: None,
                envelopes_complete: false,
            };
            conn.selected_uidvalidity = self.select(conn, &state).await?.uidvalidity;
        }
        let uid = if conn.selected_uidvalidity == Some(action.uidvalidity) {
            action.uid
        } else {
            // The UIDs recorded with the change no longer mean the same messages (UIDVALIDITY
            // changed): find the message again by its Message-ID, or give up on this change.
            let Some(message_id) = &action.message_id else {
                return Err(SyncError::Gone);
            };
            let found = self
                .uid_search(conn, &format!("HEADER Message-ID {}", quote(message_id)))
                .await?;
            match found.as_slice() {
                [uid] => *uid,
                _ => return Err(SyncError::Gone),
            }
        };
        let flag_list = |flags: crate::store::Flags| {
            let mut words = Vec::new();
            if flags.seen {
                words.push("\\Seen");
            }
            if flags.answered {
                words.push("\\Answered");
            }
            if flags.flagged {
                words.push("\\Flagged");
            }
            if flags.deleted {
                words.push("\\Deleted");
            }
            if flags.draft {
                words.push("\\Draft");
            }
            words.join(" ")
        };
        match &action.kind {
            ActionKind::AddFlags(flags) => {
                conn.run_quietly(&format!(
                    "UID STORE {uid} +FLAGS.SILENT ({})",
                    flag_list(*flags)
                ))
                .await?;
            }
            ActionKind::RemoveFlags(flags) => {
                conn.run_quietly(&format!(
                    "UID STORE {uid} -FLAGS.SILENT ({})",
                    flag_list(*flags)
                ))
                .await?;
            }
            ActionKind::Move(target) => {
                if conn.has("MOVE") {
                    conn.run_quietly(&format!("UID MOVE {uid} {}", quote(target)))
                        .await?;
                } else {
                    conn.run_quietly(&format!("UID COPY {uid} {}", quote(target)))
                        .await?;
                    self.expunge_uid(conn, uid).await?;
                }
            }
            ActionKind::Expunge => self.expunge_uid(conn, uid).await?,
        }
        Ok(())
    }

    async fn expunge_uid(&self, conn: &mut Conn, uid: u32) -> Result<(), SyncError> {
        conn.run_quietly(&format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"))
            .await?;
        if conn.has("UIDPLUS") {
            conn.run_quietly(&format!("UID EXPUNGE {uid}")).await?;
        } else {
            // Without UIDPLUS, EXPUNGE also removes other messages someone marked \Deleted — which
            // is what they asked for by marking them.
            conn.run_quietly("EXPUNGE").await?;
        }
        Ok(())
    }

    /// Downloads one message's body now (it was outside the background window, or not reached
    /// yet) and stores it. Returns the raw bytes.
    pub async fn fetch_body_now(&self, message_id: i64) -> Result<Vec<u8>, SyncError> {
        let location = self
            .db(move |store| {
                let summary = store
                    .message(message_id)?
                    .ok_or(StoreError::NoSuchMessage(message_id))?;
                let (_, folder) = store.message_location(message_id)?;
                Ok((summary.folder_id, summary.uid, folder))
            })
            .await?;
        let (folder_id, Some(uid), folder) = location else {
            return Err(SyncError::Gone);
        };
        let mut conn = self.connect().await?;
        let tag = conn.send(&format!("EXAMINE {}", quote(&folder))).await?;
        while conn.next(&tag, |_| ()).await?.is_some() {}
        let tag = conn
            .send(&format!("UID FETCH {uid} (UID BODY.PEEK[])"))
            .await?;
        let mut raw = None;
        while let Some(body) = conn.next(&tag, body_of).await? {
            if let Some(body) = body.filter(|b| b.uid == uid) {
                raw = Some(body.raw);
            }
        }
        conn.logout().await;
        let raw = raw.ok_or(SyncError::Gone)?;
        let stored = raw.clone();
        self.db(move |store| store.add_bodies(folder_id, &[NewBody { uid, raw: stored }]))
            .await?;
        Ok(raw)
    }

    /// Keeps the account in step until `stop` is notified: a full pass, then IDLE on INBOX (new
    /// mail lands within a moment), a check of all folders every `poll_interval`, and a pass
    /// whenever `wake` is notified (a change was queued here). Network errors lead to a reconnect
    /// after 1, 2, 4 … 300 seconds; a refused sign-in is reported and waited out the same way.
    pub async fn watch(&self, wake: Arc<Notify>, stop: Arc<Notify>) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let session = self.watch_session(&wake, &mut backoff);
            tokio::select! {
                _ = stop.notified() => return,
                result = session => {
                    let error = match result {
                        Ok(()) => return,
                        Err(error) => error,
                    };
                    if error.needs_sign_in() {
                        self.emit(SyncEvent::NeedsSignIn { error: error.to_string() });
                    } else {
                        self.emit(SyncEvent::Offline { error: error.to_string(), retry_in: backoff });
                    }
                    tracing::warn!(error = %error, retry_in = ?backoff, "sync interrupted");
                }
            }
            tokio::select! {
                _ = stop.notified() => return,
                _ = tokio::time::sleep(backoff) => {}
                _ = wake.notified() => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(300));
        }
    }

    async fn watch_session(&self, wake: &Notify, backoff: &mut Duration) -> Result<(), SyncError> {
        let mut conn = self.connect().await?;
        self.sync_all(&mut conn).await?;
        *backoff = Duration::from_secs(1);
        let mut last_full = Instant::now();
        loop {
            let inbox = self.inbox_state().await?;
            let woke = if conn.has("IDLE") {
                if conn.selected.as_deref() != inbox.as_ref().map(|s| s.name.as_str())
                    && let Some(state) = &inbox
                {
                    self.select(&mut conn, state).await?;
                }
                let until_poll = self
                    .options
                    .poll_interval
                    .saturating_sub(last_full.elapsed());
                // Servers drop IDLE after 30 minutes; renew well before.
                let limit = until_poll.min(Duration::from_secs(25 * 60));
                self.emit(SyncEvent::Idle);
                let (returned, woke) = idle(conn, limit, wake).await?;
                conn = returned;
                woke
            } else {
                self.emit(SyncEvent::Idle);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(60)) => false,
                    _ = wake.notified() => true,
                }
            };
            if woke || last_full.elapsed() >= self.options.poll_interval {
                self.sync_all(&mut conn).await?;
                last_full = Instant::now();
            } else if let Some(state) = inbox {
                let mut summary = Summary::default();
                self.replay_actions(&mut conn).await?;
                self.sync_folder(&mut conn, state, &mut summary).await?;
            }
        }
    }

    async fn inbox_state(&self) -> Result<Option<FolderState>, SyncError> {
        let account_id = self.account_id;
        Ok(self
            .db(move |store| store.folder_states(account_id))
            .await?
            .into_iter()
            .find(|s| s.role == Some(FolderRole::Inbox)))
    }
}

/// Waits in IDLE for up to `limit`. Returns the connection and whether `wake` ended the wait.
async fn idle(conn: Conn, limit: Duration, wake: &Notify) -> Result<(Conn, bool), SyncError> {
    let Conn {
        session,
        host,
        caps,
        selected,
        selected_uidvalidity,
    } = conn;
    let broken = |e: async_imap::error::Error| SyncError::Connection {
        host: host.clone(),
        reason: e.to_string(),
    };
    let mut handle = session.idle();
    handle.init().await.map_err(broken)?;
    let woke = {
        let (wait, _interrupt) = handle.wait_with_timeout(limit);
        tokio::select! {
            response = wait => {
                let response = response.map_err(broken)?;
                tracing::debug!(?response, "IDLE ended");
                false
            }
            _ = wake.notified() => true,
        }
    };
    let session = tokio::time::timeout(Duration::from_secs(30), handle.done())
        .await
        .map_err(|_| SyncError::Connection {
            host: host.clone(),
            reason: "no answer to DONE".into(),
        })?
        .map_err(broken)?;
    Ok((
        Conn {
            session,
            host,
            caps,
            selected,
            selected_uidvalidity,
        },
        woke,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_names_give_roles_where_the_server_has_no_special_use() {
        assert_eq!(role_by_name("Sent Items"), Some(FolderRole::Sent));
        assert_eq!(role_by_name("INBOX.Trash"), Some(FolderRole::Trash));
        assert_eq!(role_by_name("迷惑メール"), Some(FolderRole::Junk));
        assert_eq!(role_by_name("Projects"), None);
    }

    #[test]
    fn transient_errors_are_told_apart_from_ones_that_need_the_person() {
        let lost = SyncError::Connection {
            host: "h".into(),
            reason: "reset".into(),
        };
        assert!(lost.is_transient() && !lost.needs_sign_in());
        let refused = SyncError::SignIn(ImapError::Refused {
            reason: "AUTHENTICATE failed".into(),
            advice: None,
        });
        assert!(!refused.is_transient() && refused.needs_sign_in());
        assert!(lost.to_string().contains("Mail already downloaded is safe"));
    }
}
