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
//! 6. the messages are stored as they arrive; the search index is built from them afterwards
//!    (`index.rs`), so a sync is done — everything readable offline — without waiting for it.
//!
//! [`Engine::watch`] keeps one connection open, waits in IDLE (RFC 2177) on INBOX so new mail lands
//! without polling, checks the other folders every few minutes, and reconnects with backoff after
//! any network error.
//!
//! **Crash safety.** Messages and the folder's sync state are committed in the same order the
//! server is read: envelopes before the folder is marked complete, flags before HIGHESTMODSEQ is
//! saved. Killed at any point, the next pass fetches exactly what is missing — nothing is lost and
//! nothing is stored twice (UIDs are unique per folder in the schema).
//!
//! Where things are: [`AccountSync`] (`account.rs`) opens an account's engine and drives it the way
//! the window and `tayori sync` both do; `folders.rs` lists the folders and brings each one up to
//! date (UIDVALIDITY changes included); `fetch.rs` is the header and body pipeline; `index.rs` builds the search index
//! afterwards; `replay.rs`
//! sends the changes made offline; `watch.rs` is the IDLE loop; `notice.rs` words new-mail
//! notifications. The IMAP commands themselves are in [`crate::imap`].

mod account;
mod fetch;
mod folders;
mod graph;
mod index;
pub mod notice;
mod replay;
mod watch;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thiserror::Error;

/// Kept at their old paths (the IMAP syntax is [`crate::imap::syntax`]'s) for the window and CLI.
pub use crate::imap::{decode_mailbox_name, parse_internal_date};
pub use account::{AccountSync, OpenError};
pub use graph::{graph_identity, imap_turned_off};
pub use index::build_search_index;

use crate::account::Account;
use crate::auth::Credentials;
use crate::error::ErrorKind;
use crate::imap::mailbox::ListedFolder;
use crate::imap::{CommandError, Conn, ImapError};
use crate::net::dns::Dns;
use crate::store::{BodyWindow, Store, StoreError};

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(
        "the connection to {host} was lost: {reason}. Mail already downloaded is safe; the next sync picks up where this one stopped"
    )]
    Connection { host: String, reason: String },
    #[error("the IMAP server {host} refused a request: {reason}")]
    Refused { host: String, reason: String },
    #[error(
        "the IMAP server {host} did not answer in time ({reason}), so Tayori gave up on it for now. Mail already downloaded is safe"
    )]
    Stalled { host: String, reason: String },
    #[error(
        "the IMAP server {host} broke the protocol ({reason}), so Tayori stopped talking to it. Mail already downloaded is safe; if this happens again, tell whoever runs the server"
    )]
    Misbehaved { host: String, reason: String },
    #[error(
        "the IMAP server {host} sent an answer Tayori cannot read{}. Mail already downloaded is safe; if this happens again, tell whoever runs the server",
        uid.map(|u| format!(" (message UID {u})")).unwrap_or_default()
    )]
    Unreadable { host: String, uid: Option<u32> },
    #[error(transparent)]
    SignIn(#[from] ImapError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading through Microsoft Graph failed (`crate::graph` says how).
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    /// Microsoft Graph refused to let Tayori read the mailbox: the permission was not granted.
    #[error(
        "Microsoft 365 does not let Tayori read this mailbox ({code}: {message}). Tayori needs the Microsoft Graph permission Mail.ReadWrite, which in most organisations only an administrator can grant: ask your administrator to grant it to Tayori (admin consent{}), then sync again",
        consent_url.as_deref().map(|u| format!(": {u}")).unwrap_or_default()
    )]
    GraphReadDenied {
        code: String,
        message: String,
        /// The admin-consent link naming Graph's scopes, where the sign-in service is Entra.
        consent_url: Option<String>,
    },
    /// Exchange Online refused IMAP the way it does when IMAP is turned off for the mailbox, and
    /// Microsoft Graph, the way around it, is not permitted yet.
    #[error(
        "IMAP is turned off for your mailbox (the server said \"{because}\"), and Microsoft 365 does not yet let Tayori read it through Microsoft Graph instead ({code}: {message}). Tayori needs the Microsoft Graph permission Mail.ReadWrite, which in most organisations only an administrator can grant: ask your administrator to grant it to Tayori (admin consent{}) or to turn IMAP on for your mailbox, then sync again",
        consent_url.as_deref().map(|u| format!(": {u}")).unwrap_or_default()
    )]
    ImapOffGraphDenied {
        because: String,
        code: String,
        message: String,
        consent_url: Option<String>,
    },
    #[error("the message is no longer on the server (it was moved or deleted elsewhere)")]
    Gone,
    /// A task of the sync stopped unexpectedly (a bug). Nothing stored so far is lost.
    #[error(
        "Tayori stopped this sync after an internal error ({what}); mail already downloaded is safe. Please report this"
    )]
    Internal { what: &'static str },
}

/// The result of a store or decoding task: a task that panicked is an [`SyncError::Internal`],
/// not a panic of the sync.
pub(crate) fn joined<T, E>(
    result: Result<Result<T, E>, tokio::task::JoinError>,
    what: &'static str,
) -> Result<T, SyncError>
where
    SyncError: From<E>,
{
    match result {
        Ok(result) => Ok(result?),
        Err(error) => {
            tracing::error!(%error, what, "a sync task failed");
            Err(SyncError::Internal { what })
        }
    }
}

impl SyncError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SyncError::Connection { .. } => ErrorKind::Network,
            SyncError::Stalled { .. } => ErrorKind::Network,
            SyncError::Refused { .. }
            | SyncError::Misbehaved { .. }
            | SyncError::Unreadable { .. }
            | SyncError::Gone
            | SyncError::Internal { .. } => ErrorKind::Other,
            SyncError::SignIn(error) => error.kind(),
            SyncError::Store(error) => error.kind(),
            SyncError::Graph(crate::graph::GraphError::Auth(error)) => error.kind(),
            SyncError::Graph(crate::graph::GraphError::SignIn { .. }) => ErrorKind::SignIn,
            SyncError::Graph(error) if error.is_transient() => ErrorKind::Network,
            SyncError::Graph(_) => ErrorKind::Other,
            SyncError::GraphReadDenied { .. } | SyncError::ImapOffGraphDenied { .. } => {
                ErrorKind::Refused
            }
        }
    }
}

impl From<CommandError> for SyncError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Connection { host, reason } => SyncError::Connection { host, reason },
            CommandError::Refused { host, reason } => SyncError::Refused { host, reason },
            CommandError::Stalled { host, reason } => SyncError::Stalled { host, reason },
            CommandError::Misbehaved { host, reason } => SyncError::Misbehaved { host, reason },
            CommandError::Unreadable { host, uid } => SyncError::Unreadable { host, uid },
        }
    }
}

impl SyncError {
    /// The sign-in service's refusal behind this error, if that is what stopped the sync.
    pub fn auth_error(&self) -> Option<&crate::auth::AuthError> {
        match self {
            SyncError::SignIn(ImapError::Auth(error)) => Some(error),
            _ => None,
        }
    }

    /// Whether trying again later can help (a network problem), as opposed to something the person
    /// must act on (sign in again, free disk space).
    pub fn is_transient(&self) -> bool {
        // A stalled or misbehaving server, a tampered STARTTLS or a broken TLS record would
        // only happen again at once: trying again is for the next sync, not this one.
        matches!(self, SyncError::Graph(error) if error.is_transient())
            || matches!(
                self,
                SyncError::Connection { .. } | SyncError::SignIn(ImapError::Protocol { .. })
            )
            || matches!(self, SyncError::SignIn(ImapError::Net(net)) if !matches!(net, crate::net::NetError::TlsBroken { .. }))
    }

    /// Whether the account must be signed in again (the refresh token or password was refused).
    /// A sign-in service that cannot be reached is not a refusal: the engine retries.
    pub fn needs_sign_in(&self) -> bool {
        match self {
            SyncError::SignIn(_) => self.kind().needs_sign_in(),
            SyncError::Graph(
                crate::graph::GraphError::SignIn { .. } | crate::graph::GraphError::Auth(_),
            ) => self.kind().needs_sign_in(),
            _ => false,
        }
    }

    /// The proxy (`host:port`) whose user name and password would let the connection through: it
    /// asked for them over TLS, or refused the saved ones.
    pub fn proxy_to_sign_in(&self) -> Option<String> {
        match self {
            SyncError::SignIn(ImapError::Net(crate::net::NetError::Refused(refusal))) => {
                refusal.proxy_to_sign_in().map(str::to_owned)
            }
            _ => None,
        }
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
    /// The search index is being built for the messages a sync stored (they are readable; a
    /// search may miss them until it is complete).
    Indexing {
        done: usize,
        total: usize,
    },
    /// Every stored message is in the search index.
    IndexComplete {
        indexed: usize,
    },
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
        /// The proxy (`host:port`) that asked for its user name and password, where that is what
        /// stopped the connection: the window asks for them (as `tayori proxy sign-in` does).
        proxy_sign_in: Option<String>,
    },
    /// The server refused the sign-in: the person must sign in again.
    NeedsSignIn {
        error: String,
    },
    /// Exchange Online refused IMAP for the mailbox the way it does when IMAP is turned off for it
    /// (`because`: its words), and Microsoft Graph reads it with the same sign-in: the account
    /// reads through Microsoft 365 from now on (recorded in the account list).
    ReadingThroughGraph {
        because: String,
    },
    /// An account read through Microsoft Graph because IMAP was off asked IMAP (once a day, or when
    /// the person asked to check again) whether the administrator turned it on again (recorded
    /// in the account list, so the next check is a day later whatever the answer).
    ImapChecked,
    /// ... and IMAP accepted the mailbox: the account reads through IMAP again from now on, its
    /// store kept (recorded in the account list; the person is told once).
    ReadingThroughImapAgain,
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
    /// Messages the server could not deliver; the rest went on without them.
    pub skipped: Vec<Skipped>,
    /// Folders the server refused to open (SELECT answered NO); the others were synced.
    pub refused_folders: Vec<RefusedFolder>,
}

/// A folder the server lists but refused to open this time (permissions changed on the server,
/// a damaged folder). It costs that folder alone; the next sync tries it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedFolder {
    pub folder: String,
    /// The server's words (bounded; `redact::server_text`).
    pub reason: String,
}

impl RefusedFolder {
    /// The folder's name as a person reads it (IMAP's modified UTF-7 decoded).
    pub fn name(&self) -> String {
        decode_mailbox_name(&self.folder)
    }

    /// The server's words, to be followed by a sentence of Tayori's: without their own full stop,
    /// which they often end with.
    pub fn server_words(&self) -> &str {
        self.reason.trim_end_matches('.')
    }
}

impl std::fmt::Display for RefusedFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server refused to open the folder {}: {}. The other folders are up to date; the next sync tries it again",
            self.name(),
            self.server_words()
        )
    }
}

/// A message the server could not deliver (its answer broke off, was bigger than the message,
/// too slow, or unreadable). It costs that message alone: the others are stored, and the message
/// is kept as a placeholder with its UID (a header) or marked (a body, fetched again when opened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub folder: String,
    pub uid: u32,
    /// Whether only the full text was skipped (the header is in the list).
    pub body_only: bool,
    /// What went wrong, in Tayori's words (bounded; no mail content).
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let folder = decode_mailbox_name(&self.folder);
        if self.body_only {
            write!(
                f,
                "the full text of message UID {} in {folder} was skipped: {}. Opening the message tries again",
                self.uid, self.reason
            )
        } else {
            write!(
                f,
                "message UID {} in {folder} was skipped: {}. It is listed as a placeholder",
                self.uid, self.reason
            )
        }
    }
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

pub struct Engine {
    store: Arc<Mutex<Store>>,
    store_path: PathBuf,
    /// Builds the search index after a pass that stored mail (`watch`).
    indexer: index::Indexer,
    /// Where a message too big to hold whole is downloaded to (the store's folder).
    spool_dir: PathBuf,
    account: Account,
    account_id: i64,
    credentials: Credentials,
    dns: Dns,
    options: SyncOptions,
    progress: Progress,
    /// Set when the account reads through Microsoft Graph instead of IMAP (`graph.rs`).
    graph: Option<crate::graph::Graph>,
    /// For a Microsoft 365 account read through IMAP: the Graph it turns to when Exchange refuses
    /// IMAP for the mailbox (`graph::imap_turned_off`), and whether it has (from then on every pass
    /// goes through Graph).
    graph_if_imap_off: Option<crate::graph::Graph>,
    imap_off: std::sync::atomic::AtomicBool,
    /// While reading through Graph because IMAP was off: when (seconds since 1970) to ask IMAP
    /// whether it is on again (`graph::Engine::imap_on_again`).
    imap_check_at: std::sync::Mutex<Option<u64>>,
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
        let path = store_path.clone();
        let spool_dir = store_path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        let store = tokio::task::spawn_blocking(move || {
            let store = Store::open(&path)?;
            let id = store.account_id(&email)?;
            Ok::<_, StoreError>((store, id))
        })
        .await;
        let (store, account_id) = joined(store, "opening the mail store")?;
        Ok(Engine {
            store: Arc::new(Mutex::new(store)),
            store_path,
            indexer: index::Indexer::default(),
            spool_dir,
            account,
            account_id,
            credentials,
            dns,
            options,
            progress,
            graph: None,
            graph_if_imap_off: None,
            imap_off: std::sync::atomic::AtomicBool::new(false),
            imap_check_at: std::sync::Mutex::new(None),
        })
    }

    /// Reads the account through Microsoft Graph from now on (IMAP is off for the mailbox, or the
    /// administrator's policy pins Graph).
    pub fn read_through_graph(&mut self, graph: crate::graph::Graph) {
        self.graph = Some(graph);
    }

    /// Turns to `graph` should Exchange Online refuse IMAP for the mailbox the way it does when
    /// IMAP is turned off for it (a Microsoft 365 account read through IMAP).
    pub fn read_through_graph_if_imap_off(&mut self, graph: crate::graph::Graph) {
        self.graph_if_imap_off = Some(graph);
    }

    /// Reads through `graph` because Exchange refused IMAP for the mailbox (recorded earlier), and
    /// asks IMAP again from `check_at` on (seconds since 1970; then once a day) whether the
    /// administrator turned it on again: if so, the account reads through IMAP again, keeping its
    /// store, and turns to Graph again should IMAP be turned off once more.
    pub fn read_through_graph_while_imap_off(&mut self, graph: crate::graph::Graph, check_at: u64) {
        self.graph_if_imap_off = Some(graph);
        self.imap_off
            .store(true, std::sync::atomic::Ordering::Release);
        *self.imap_check_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(check_at);
    }

    /// Whether the account reads through Microsoft Graph.
    pub fn reads_through_graph(&self) -> bool {
        self.reading_graph().is_some()
    }

    /// The Graph the account reads through now, if it does.
    pub(crate) fn reading_graph(&self) -> Option<&crate::graph::Graph> {
        self.graph.as_ref().or_else(|| {
            self.imap_off
                .load(std::sync::atomic::Ordering::Acquire)
                .then_some(self.graph_if_imap_off.as_ref())
                .flatten()
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
        .await;
        joined(result, "the mail store")
    }

    fn emit(&self, event: SyncEvent) {
        (self.progress)(event);
    }

    /// Signs in and prepares the connection (capabilities, QRESYNC enabled where offered).
    pub async fn connect(&self) -> Result<Conn, SyncError> {
        self.emit(SyncEvent::Connecting);
        let conn = self.open_connection().await?;
        self.emit(SyncEvent::Connected);
        Ok(conn)
    }

    /// [`Engine::connect`] without telling the person: a second connection that reads beside the
    /// first (`fetch.rs`) is no news to them, and its failure is none either.
    async fn open_connection(&self) -> Result<Conn, SyncError> {
        let server = &self.account.imap;
        crate::connections::note(
            &self.account.email,
            vec![crate::connections::mail_server(
                &server.host,
                server.port,
                crate::connections::Purpose::Imap,
                crate::connections::Detail::ImapSync,
                &server.username,
                &self.account.email,
            )],
        )
        .await;
        let session = crate::imap::login(&self.dns, server, &self.credentials).await?;
        let mut conn = Conn::new(session, &self.account.imap.host);
        conn.refresh_capabilities().await?;
        conn.enable_change_tracking().await?;
        tracing::info!(
            host = %conn.host(),
            qresync = conn.has("QRESYNC"),
            condstore = conn.has("CONDSTORE"),
            idle = conn.has("IDLE"),
            "IMAP connection ready for sync"
        );
        Ok(conn)
    }

    /// One complete pass: connect, bring everything up to date, log out.
    pub async fn sync_once(&self) -> Result<Summary, SyncError> {
        if let Some(graph) = self.reading_graph() {
            match self.imap_on_again(graph).await? {
                // IMAP is on again: this pass and the next go through it
                Some(mut conn) => {
                    let summary = self.sync_all(&mut conn).await?;
                    conn.logout().await;
                    return Ok(summary);
                }
                None => return self.graph_sync_once(graph).await,
            }
        }
        let mut conn = match self.connect().await {
            Ok(conn) => conn,
            Err(error) => {
                let graph = self.turn_to_graph_if_imap_off(error).await?;
                return self.graph_sync_once(graph).await;
            }
        };
        let summary = self.sync_all(&mut conn).await?;
        conn.logout().await;
        Ok(summary)
    }

    /// Replays queued changes, then brings every folder up to date: INBOX first, then the other
    /// special folders, then the rest.
    pub async fn sync_all(&self, conn: &mut Conn) -> Result<Summary, SyncError> {
        // Folders last read through Graph (IMAP was off, and is on again) are listed afresh, their
        // messages found again; a no-op otherwise (one query).
        let account_id = self.account_id;
        let left = self.db(move |store| store.leave_graph(account_id)).await?;
        if left > 0 {
            tracing::info!(
                folders = left,
                "reading through IMAP again; folders read through Microsoft Graph are listed afresh"
            );
        }
        let mut summary = Summary {
            actions_replayed: self.replay_actions(conn).await?,
            ..Summary::default()
        };
        let (server_folders, states) = self.list_folders(conn).await?;
        summary.folders = server_folders.iter().filter(|f| f.selectable).count();
        // INBOX first, then the other special folders, then the rest: what people look at first.
        let mut order: Vec<&ListedFolder> =
            server_folders.iter().filter(|f| f.selectable).collect();
        order.sort_by_key(|f| (f.role.is_none(), f.role, f.name.to_lowercase()));
        let looked_unchanged = self.unchanged_by_looking(conn, &order, &states).await?;
        for folder in order {
            let Some(state) = states.iter().find(|s| s.name == folder.name).cloned() else {
                continue;
            };
            if looked_unchanged.contains(&state.id)
                || self.unchanged(&state, folder.status.as_ref()).await?
            {
                continue;
            }
            summary.folders_checked += 1;
            self.sync_folder(conn, state, &mut summary).await?;
        }
        // Every folder is up to date: a message no folder holds any more has left the account
        // (a move's source went before its destination was seen; now both have been). A pass that
        // found every folder unchanged can have made no such message: the look over the whole
        // account (linear in its size) is left to the next pass that changes something.
        let account_id = self.account_id;
        let changed = summary.folders_checked > 0 || summary.actions_replayed > 0;
        self.db(move |store| {
            if changed {
                store.drop_unreferenced(account_id)?;
            }
            store.release_memory()
        })
        .await?;
        self.emit(SyncEvent::Finished(summary.clone()));
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn an_unreachable_sign_in_service_is_not_a_refused_sign_in() {
        use crate::auth::AuthError;
        let offline = SyncError::SignIn(ImapError::Auth(AuthError::Network("timed out".into())));
        assert_eq!(offline.kind(), ErrorKind::Network);
        assert!(
            !offline.needs_sign_in(),
            "offline must not ask for a new sign-in"
        );
        let revoked = SyncError::SignIn(ImapError::Auth(AuthError::Token {
            error: "invalid_grant".into(),
            description: None,
        }));
        assert!(revoked.needs_sign_in());
    }

    /// Only what a new sign-in cures stops the sync for one: an answer too large to read, a locked
    /// keyring, or a mail server whose sign-in backend is down are something else.
    #[test]
    fn only_what_a_new_sign_in_cures_asks_for_one() {
        use crate::auth::AuthError;
        use crate::keyring_store::KeyringError;
        for not_a_refusal in [
            SyncError::SignIn(ImapError::Auth(AuthError::Unusable(
                "the sign-in service's answer was larger than 1 MiB".into(),
            ))),
            SyncError::SignIn(ImapError::Auth(AuthError::Keyring(KeyringError::Locked))),
            SyncError::SignIn(crate::imap::connect::refused_for_test(
                "[UNAVAILABLE] Temporary authentication failure",
            )),
        ] {
            assert!(!not_a_refusal.needs_sign_in(), "{not_a_refusal}");
        }
        let wrong_password = SyncError::SignIn(crate::imap::connect::refused_for_test(
            "[AUTHENTICATIONFAILED] Authentication failed.",
        ));
        assert!(wrong_password.needs_sign_in());
    }
}
