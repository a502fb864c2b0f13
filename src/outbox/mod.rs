//! The durable outbox: every message a person sends is written here, to disk, before any network
//! work — and leaves only once a server has accepted it or the person discards it.
//!
//! # Its own database
//!
//! The outbox is `<data_dir>/outbox.sqlite3`, separate from the mail store (`mail.sqlite3`). The
//! store is a cache: it can be thrown away and rebuilt from the server. The outbox and local
//! drafts cannot — they hold the only copy of what a person wrote. So the outbox has its own file,
//! schema versions and migrations (`PRAGMA user_version`), runs with `synchronous=FULL` (a commit
//! is on disk before Tayori says "queued") and is never deleted to "repair" something: a schema
//! newer than this Tayori knows is refused, not rewritten.
//!
//! # States
//!
//! `queued → sending → sent`, or `failed`:
//! - **queued**: waiting for its next attempt (`next_attempt_at`). Offline, a network error, a
//!   4xx reply: it goes back to queued with a backoff ([`BACKOFF_SECONDS`]) and its reason.
//!   After [`GIVE_UP_AFTER`] of transient failures it becomes failed (the person decides).
//! - **sending**: a worker is submitting it right now.
//! - **sent**: the server accepted it (250 after DATA). `submitted_at` and the server's reply are
//!   recorded in the same commit. The Sent-folder copy has its own state ([`CopyState`]): pending
//!   until it is appended, or `by_server` for servers that file submitted mail themselves.
//! - **failed**: the server refused it (5xx), the sign-in was refused or expired, or it could not
//!   go out for too long. The reason — the server's words and Tayori's plain-words explanation —
//!   stays with it. Nothing is lost: `tayori outbox retry ID` or discard.
//!
//! # One sender at a time, and no silent duplicate after a crash
//!
//! Only the holder of the outbox lock (`outbox.lock`, an OS file lock released when the process
//! dies) sends. So a row found in `sending` by a worker that has just taken the lock was left by a
//! process that crashed (or was killed) mid-send. Such a row is not sent again blindly:
//!
//! 1. It is marked *interrupted* and queued.
//! 2. If DATA had not begun (`data_started`, committed on disk before DATA goes out), the server
//!    never had the message: it is sent.
//! 3. Where the server files sent mail itself (Microsoft 365, Gmail: [`SentCopy::Server`]), the
//!    Sent folder is searched for its Message-ID (IMAP `UID SEARCH HEADER Message-ID`). Found: it
//!    went out before the crash — it is marked sent, not resent. Not found: it is submitted again.
//!    If the Sent folder cannot be checked (offline), it waits and the check is retried; it is
//!    never resent unchecked.
//! 4. Elsewhere (Tayori appends the Sent copy, after the server accepted the message) nothing can
//!    tell whether the server took it (RFC 1047): it becomes *failed* as
//!    [`Failure::MaybeSent`] — "may have been sent", in the person's language — and waits for
//!    Send again (`tayori outbox retry`) or Discard. It is never sent twice on its own.
//!
//! The window those cases cover is as small as the code allows: `sent` is committed (with
//! `synchronous = FULL`) the moment the server's 250 to the end of the data is read — before QUIT,
//! before the Sent copy ([`crate::smtp::Submission`]). A crash after that commit leaves a `sent`
//! row whose copy may still be pending (only the append is retried; before appending, Sent is
//! searched for the Message-ID, so a copy appended just before a crash is not appended twice).

mod db;
mod drafts;
mod graph_send;
mod migrations;
pub mod reason;
pub mod server_copy;
#[cfg(test)]
mod testing;
mod worker;

use std::path::PathBuf;

use serde::Serialize;
use thiserror::Error;

pub use db::{Entry, Outbox};
pub use drafts::DraftEntry;
pub use worker::{Outcome, Worker};

use crate::account::{Account, SentCopy};
use crate::discovery::KnownProvider;

/// The outbox's file name in the data folder.
pub const FILE_NAME: &str = "outbox.sqlite3";
/// The lock that makes one process the sender.
pub const LOCK_NAME: &str = "outbox.lock";

/// Waits between attempts after a transient failure (the last repeats). Short at first, because the
/// usual cause is a moment offline; longer later, not to hammer a server that is down.
pub const BACKOFF_SECONDS: &[i64] = &[5, 15, 30, 60, 120, 300, 600, 900];

/// After this long of transient failures a message is marked failed (it stays in the outbox).
pub const GIVE_UP_AFTER: std::time::Duration = std::time::Duration::from_secs(2 * 24 * 3600);

/// Sent messages are kept in the outbox this long (for "what happened to my message?"), then the
/// copy in the Sent folder is the record.
pub const KEEP_SENT: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// SMTP hosts whose servers put every message submitted through them into the mailbox's Sent
/// folder themselves. Appending a copy there too would show each message twice.
/// - Microsoft 365 / Outlook.com: Exchange files SMTP AUTH submissions in "Sent Items".
/// - Gmail and Google Workspace: Gmail files every message sent through smtp.gmail.com in Sent.
const FILES_SENT_ITSELF: &[&str] = &[
    "smtp.office365.com",
    "outlook.office365.com",
    "smtp-mail.outlook.com",
    "smtp.gmail.com",
    "smtp.googlemail.com",
];

/// Who files the Sent copy for `account`: its explicit setting, else its provider.
pub fn sent_copy_for(account: &Account) -> SentCopy {
    if let Some(setting) = account.sent_copy {
        return setting;
    }
    let host = account.smtp.host.trim_end_matches('.').to_ascii_lowercase();
    let known_host = FILES_SENT_ITSELF
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")));
    if known_host
        || matches!(
            account.provider,
            Some(KnownProvider::Microsoft | KnownProvider::Google)
        )
    {
        SentCopy::Server
    } else {
        SentCopy::Append
    }
}

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Queued,
    Sending,
    Sent,
    Failed,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => State::Queued,
            "sending" => State::Sending,
            "sent" => State::Sent,
            "failed" => State::Failed,
            _ => return None,
        })
    }

    /// The state in the person's language.
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        use crate::i18n::Text;
        lang.text(match self {
            State::Queued => Text::OutboxQueued,
            State::Sending => Text::OutboxSending,
            State::Sent => Text::OutboxSent,
            State::Failed => Text::OutboxFailed,
        })
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a message is failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The server refused the message (5xx).
    Rejected,
    /// The sign-in was refused, expired or revoked: sign in again, then retry.
    SignIn,
    /// Transient failures for longer than [`GIVE_UP_AFTER`].
    GaveUp,
    /// The sending was interrupted after the message went to the server (DATA) and before its
    /// answer was recorded, at a server where Tayori cannot tell from the Sent folder: it may have
    /// been sent. Only the person decides: Send again, or Discard.
    MaybeSent,
    /// The account is no longer set up.
    NoAccount,
}

impl Failure {
    fn as_str(self) -> &'static str {
        match self {
            Failure::Rejected => "rejected",
            Failure::SignIn => "sign_in",
            Failure::GaveUp => "gave_up",
            Failure::MaybeSent => "maybe_sent",
            Failure::NoAccount => "no_account",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "rejected" => Failure::Rejected,
            "sign_in" => Failure::SignIn,
            "gave_up" => Failure::GaveUp,
            "maybe_sent" => Failure::MaybeSent,
            "no_account" => Failure::NoAccount,
            _ => return None,
        })
    }
}

/// The Sent-folder copy of a sent message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyState {
    /// Not yet appended (the server accepted the message; the append comes next or is retried).
    Pending,
    /// In the Sent folder (appended by Tayori, or found there).
    Filed,
    /// The server files sent mail itself; Tayori adds no copy.
    ByServer,
}

impl CopyState {
    fn as_str(self) -> &'static str {
        match self {
            CopyState::Pending => "pending",
            CopyState::Filed => "filed",
            CopyState::ByServer => "by_server",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => CopyState::Pending,
            "filed" => CopyState::Filed,
            "by_server" => CopyState::ByServer,
            _ => return None,
        })
    }
}

#[derive(Debug, Error)]
pub enum OutboxError {
    #[error(
        "the outbox {path} could not be opened: {reason}. Check that the disk is not full and that you may write there; Tayori changed nothing."
    )]
    Open { path: PathBuf, reason: String },
    #[error(
        "the outbox {path} was written by a newer Tayori (schema {found}; this version knows up to {known}). Update Tayori; the outbox was left untouched so no message is lost."
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "the outbox could not be read or written: {0}. Check that the disk is not full; nothing was sent."
    )]
    Db(String),
    #[error("there is no message {0} in the outbox; `tayori outbox` lists them")]
    NotFound(i64),
    #[error("there is no draft {0}")]
    NoDraft(i64),
    /// Microsoft Graph refused or failed a draft's save (`crate::graph` says how).
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    #[error("message {id} is {state}, so it cannot be {action}")]
    WrongState {
        id: i64,
        state: State,
        action: &'static str,
    },
    #[error(
        "another Tayori (the window, or another command) is sending from this outbox right now; it will send this message too"
    )]
    Busy,
    #[error(transparent)]
    Compose(#[from] crate::compose::ComposeError),
    #[error(transparent)]
    Accounts(#[from] crate::account::AccountsError),
    #[error(transparent)]
    Server(#[from] server_copy::CopyError),
}

impl From<rusqlite::Error> for OutboxError {
    fn from(error: rusqlite::Error) -> Self {
        OutboxError::Db(error.to_string())
    }
}

/// Puts the current version of the locally saved draft `id` into the account's Drafts folder (the
/// window calls this when the person saves; typing only saves locally). The previous server copy
/// is replaced — appended first, then the old one removed — and the draft keeps one Message-ID
/// across versions so the old copy can be found.
///
/// An account read through Microsoft Graph saves it through Graph the same way: the new version
/// created in Drafts (`POST /me/messages` with the MIME), then the older ones (same
/// internetMessageId) deleted.
pub async fn save_draft_on_server(
    outbox: &Outbox,
    id: i64,
    net: &crate::net::Net,
    account: &Account,
    credentials: &crate::auth::Credentials,
) -> Result<(), OutboxError> {
    let (_, draft, message_id) = outbox.load_draft(id)?;
    let built = draft.build_draft(&message_id, std::time::SystemTime::now())?;
    match (
        credentials,
        crate::account::reading_way(account).through_graph(),
    ) {
        (crate::auth::Credentials::OAuth(tokens), true) => {
            let shared = account.shared_via.as_ref().map(|_| account.email.as_str());
            let graph = crate::graph::Graph::reader(net.http.clone(), tokens.clone(), shared);
            let older = graph.find("drafts", &message_id).await?;
            let created = graph.create_draft(&built.raw).await?;
            for old in older.iter().filter(|old| **old != created) {
                match graph.delete(old).await {
                    Ok(()) | Err(crate::graph::GraphError::NotFound) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        _ => {
            server_copy::save_draft(&net.dns, account, credentials, &message_id, &built.raw).await?
        }
    }
    outbox.mark_draft_on_server(id)?;
    Ok(())
}

/// Removes a sent draft's copies (Message-ID `message_id`) from the account's Drafts folder the
/// way the account reads: through Microsoft Graph for one read through it (IMAP may well be off
/// for its mailbox, whichever way it sends), through IMAP otherwise. Returns how many there were.
pub async fn remove_draft_on_server(
    dns: &crate::net::dns::Dns,
    http: &crate::net::http::Http,
    account: &Account,
    credentials: &crate::auth::Credentials,
    message_id: &str,
) -> Result<usize, OutboxError> {
    match (
        credentials,
        crate::account::reading_way(account).through_graph(),
    ) {
        (crate::auth::Credentials::OAuth(tokens), true) => {
            let shared = account.shared_via.as_ref().map(|_| account.email.as_str());
            let graph = crate::graph::Graph::reader(http.clone(), tokens.clone(), shared);
            let copies = graph.find("drafts", message_id).await?;
            for copy in &copies {
                match graph.delete(copy).await {
                    // Gone meanwhile (deleted in Outlook on the web): what was wanted.
                    Ok(()) | Err(crate::graph::GraphError::NotFound) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            Ok(copies.len())
        }
        _ => Ok(server_copy::remove_draft(dns, account, credentials, message_id).await?),
    }
}

/// Seconds since 1970.
fn now() -> i64 {
    crate::clock::now_seconds() as i64
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones.
pub fn backoff(attempts: u32) -> i64 {
    let index = (attempts.max(1) as usize - 1).min(BACKOFF_SECONDS.len() - 1);
    BACKOFF_SECONDS[index]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountAuth;
    use crate::server::{Security, Server};

    fn account(host: &str, provider: Option<KnownProvider>) -> Account {
        let server = Server {
            host: host.into(),
            port: 587,
            security: Security::StartTls,
            username: "a@example.test".into(),
        };
        Account {
            email: "a@example.test".into(),
            display_name: None,
            provider,
            imap: server.clone(),
            smtp: server,
            auth: AccountAuth::Password,
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        }
    }

    #[test]
    fn servers_that_file_sent_mail_themselves_get_no_copy() {
        assert_eq!(
            sent_copy_for(&account("smtp.office365.com", None)),
            SentCopy::Server
        );
        assert_eq!(
            sent_copy_for(&account("SMTP.Gmail.com.", None)),
            SentCopy::Server
        );
        assert_eq!(
            sent_copy_for(&account("mail.corp.test", Some(KnownProvider::Microsoft))),
            SentCopy::Server
        );
        assert_eq!(
            sent_copy_for(&account("mail.example.test", None)),
            SentCopy::Append
        );
        assert_eq!(
            sent_copy_for(&account("evil-smtp.gmail.com.example", None)),
            SentCopy::Append
        );
        let mut overridden = account("smtp.gmail.com", None);
        overridden.sent_copy = Some(SentCopy::Append);
        assert_eq!(sent_copy_for(&overridden), SentCopy::Append);
    }

    #[test]
    fn backoff_grows_then_levels() {
        assert_eq!(backoff(0), 5);
        assert_eq!(backoff(1), 5);
        assert_eq!(backoff(2), 15);
        assert_eq!(backoff(100), 900);
    }
}
