//! The server side of sending: the Sent and Drafts folders over IMAP.
//!
//! - A message is looked for by its Message-ID before anything is appended, which is how a copy is
//!   never appended twice and how a message interrupted by a crash is recognised as sent.
//! - Copies are added with `APPEND` (`\Seen`; drafts also `\Draft`); older versions of a draft
//!   are removed after the new one is in.
//!
//! Each operation signs in with [`crate::imap::login`], runs its IMAP commands
//! ([`crate::imap::session`]) and logs out again: sending is rare next to reading, and a separate
//! connection keeps it independent of the sync engine's.

use thiserror::Error;

use crate::account::Account;
use crate::auth::Credentials;
use crate::imap::session::{self as commands, SessionError};
use crate::imap::{self, ImapError, Session};
use crate::net::dns::Dns;
use crate::store::FolderRole;

#[derive(Debug, Error)]
pub enum CopyError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Command(#[from] SessionError),
}

impl CopyError {
    /// Whether a later attempt can help (offline, server down) — as opposed to a folder missing.
    pub fn is_transient(&self) -> bool {
        !matches!(
            self,
            CopyError::Command(SessionError::NoFolder(_) | SessionError::BadMessageId(_))
        )
    }
}

/// The special folders sending uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Sent,
    Drafts,
}

impl Special {
    /// The folder role (which owns the folder's usual names).
    pub fn role(self) -> FolderRole {
        match self {
            Special::Sent => FolderRole::Sent,
            Special::Drafts => FolderRole::Drafts,
        }
    }
}

/// Finds the account's `which` folder: the one LIST marks with the special-use attribute, else one
/// with a usual name.
pub async fn find_folder(session: &mut Session, which: Special) -> Result<String, CopyError> {
    Ok(commands::find_folder(session, which.role()).await?)
}

async fn sign_in(
    dns: &Dns,
    account: &Account,
    credentials: &Credentials,
) -> Result<Session, CopyError> {
    crate::connections::note(
        &account.email,
        vec![crate::connections::mail_server(
            &account.imap.host,
            account.imap.port,
            crate::connections::Purpose::Imap,
            crate::connections::Detail::ImapSentCopy,
            &account.imap.username,
            &account.email,
        )],
    )
    .await;
    Ok(imap::login(dns, &account.imap, credentials).await?)
}

async fn finish<T>(mut session: Session, result: Result<T, CopyError>) -> Result<T, CopyError> {
    let _ = session.logout().await;
    result
}

/// How many messages with `message_id` the account's `which` folder holds.
pub async fn count(
    dns: &Dns,
    account: &Account,
    credentials: &Credentials,
    which: Special,
    message_id: &str,
) -> Result<usize, CopyError> {
    let mut session = sign_in(dns, account, credentials).await?;
    let result = async {
        let folder = find_folder(&mut session, which).await?;
        Ok(commands::find_message(&mut session, &folder, message_id)
            .await?
            .len())
    }
    .await;
    finish(session, result).await
}

/// What [`file_in_sent`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    Appended,
    /// A copy was there already (appended before a crash, or filed by the server itself).
    AlreadyThere,
}

/// Puts `raw` into the Sent folder unless a message with `message_id` is there already.
pub async fn file_in_sent(
    dns: &Dns,
    account: &Account,
    credentials: &Credentials,
    message_id: &str,
    raw: &[u8],
) -> Result<Filed, CopyError> {
    let mut session = sign_in(dns, account, credentials).await?;
    let result = async {
        let folder = find_folder(&mut session, Special::Sent).await?;
        if !commands::find_message(&mut session, &folder, message_id)
            .await?
            .is_empty()
        {
            return Ok(Filed::AlreadyThere);
        }
        commands::append(&mut session, &folder, "(\\Seen)", raw).await?;
        Ok(Filed::Appended)
    }
    .await;
    finish(session, result).await
}

/// Saves a draft's current version in the Drafts folder: the new version is appended first, then
/// older versions (same Message-ID) are removed — at no moment is there no copy.
pub async fn save_draft(
    dns: &Dns,
    account: &Account,
    credentials: &Credentials,
    message_id: &str,
    raw: &[u8],
) -> Result<(), CopyError> {
    let mut session = sign_in(dns, account, credentials).await?;
    let result = async {
        let folder = find_folder(&mut session, Special::Drafts).await?;
        let older = commands::find_message(&mut session, &folder, message_id).await?;
        commands::append(&mut session, &folder, "(\\Seen \\Draft)", raw).await?;
        Ok(commands::remove(&mut session, &folder, &older).await?)
    }
    .await;
    finish(session, result).await
}

/// Removes a draft's copies from the Drafts folder (after it was sent or discarded); returns how
/// many there were.
pub async fn remove_draft(
    dns: &Dns,
    account: &Account,
    credentials: &Credentials,
    message_id: &str,
) -> Result<usize, CopyError> {
    let mut session = sign_in(dns, account, credentials).await?;
    let result = async {
        let folder = find_folder(&mut session, Special::Drafts).await?;
        let uids = commands::find_message(&mut session, &folder, message_id).await?;
        commands::remove(&mut session, &folder, &uids).await?;
        Ok(uids.len())
    }
    .await;
    finish(session, result).await
}
