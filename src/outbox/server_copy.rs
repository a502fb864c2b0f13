//! The server side of sending: the Sent and Drafts folders over IMAP.
//!
//! - Folders are found by their SPECIAL-USE attribute (RFC 6154: `\Sent`, `\Drafts`) from `LIST`,
//!   falling back to the names servers without it use.
//! - A message is found by its Message-ID (`UID SEARCH HEADER Message-ID`), which is how a copy
//!   is never appended twice and how a message interrupted by a crash is recognised as sent.
//! - Copies are added with `APPEND` (`\Seen`; drafts also `\Draft`).
//!
//! Each operation signs in with [`crate::imap::login`] and logs out again: sending is rare next to
//! reading, and a separate connection keeps it independent of the sync engine's.

use futures::TryStreamExt;
use thiserror::Error;

use crate::account::Account;
use crate::auth::Credentials;
use crate::imap::{self, ImapError, Session};
use crate::net::dns::Dns;

#[derive(Debug, Error)]
pub enum CopyError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("the IMAP server did not complete {command}: {reason}")]
    Command {
        command: &'static str,
        reason: String,
    },
    #[error(
        "the account has no {0} folder (none is marked as such and none has a usual name); create one in your mail provider's web mail"
    )]
    NoFolder(&'static str),
    #[error("{0:?} cannot be searched for")]
    BadMessageId(String),
}

impl CopyError {
    /// Whether a later attempt can help (offline, server down) — as opposed to a folder missing.
    pub fn is_transient(&self) -> bool {
        !matches!(self, CopyError::NoFolder(_) | CopyError::BadMessageId(_))
    }
}

/// The special folders sending uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Sent,
    Drafts,
}

impl Special {
    fn label(self) -> &'static str {
        match self {
            Special::Sent => "Sent",
            Special::Drafts => "Drafts",
        }
    }

    /// Names used by servers without SPECIAL-USE (checked case-insensitively, in this order).
    fn usual_names(self) -> &'static [&'static str] {
        match self {
            Special::Sent => &[
                "Sent",
                "Sent Items",
                "Sent Messages",
                "Sent Mail",
                "INBOX.Sent",
                "INBOX/Sent",
                "送信済みアイテム",
                "送信済み",
            ],
            Special::Drafts => &["Drafts", "Draft", "INBOX.Drafts", "INBOX/Drafts", "下書き"],
        }
    }
}

fn command_error(command: &'static str) -> impl Fn(async_imap::error::Error) -> CopyError {
    move |error| CopyError::Command {
        command,
        reason: match error {
            async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => text,
            other => other.to_string(),
        },
    }
}

/// An IMAP quoted string. Message-IDs are checked to be dot-atoms before they get here; quotes and
/// backslashes are escaped anyway and line breaks refused.
fn quoted(text: &str) -> Result<String, CopyError> {
    if text.chars().any(|c| c.is_control()) || !text.is_ascii() {
        return Err(CopyError::BadMessageId(text.to_owned()));
    }
    Ok(format!(
        "\"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// Finds the folder for `which`: the one LIST marks with the special-use attribute, else one
/// with a usual name.
pub async fn find_folder(session: &mut Session, which: Special) -> Result<String, CopyError> {
    use async_imap::imap_proto::NameAttribute;
    let names: Vec<_> = session
        .list(Some(""), Some("*"))
        .await
        .map_err(command_error("LIST"))?
        .try_collect()
        .await
        .map_err(command_error("LIST"))?;
    let marked = names.iter().find(|name| {
        name.attributes().iter().any(|a| match which {
            Special::Sent => matches!(a, NameAttribute::Sent),
            Special::Drafts => matches!(a, NameAttribute::Drafts),
        })
    });
    if let Some(name) = marked {
        return Ok(name.name().to_owned());
    }
    for usual in which.usual_names() {
        if let Some(name) = names.iter().find(|n| n.name().eq_ignore_ascii_case(usual)) {
            return Ok(name.name().to_owned());
        }
    }
    Err(CopyError::NoFolder(which.label()))
}

/// UIDs of the messages in `folder` whose Message-ID header is `message_id` (`<…>`).
pub async fn find_message(
    session: &mut Session,
    folder: &str,
    message_id: &str,
) -> Result<Vec<u32>, CopyError> {
    let query = format!("HEADER Message-ID {}", quoted(message_id)?);
    session
        .examine(folder)
        .await
        .map_err(command_error("EXAMINE"))?;
    let mut uids: Vec<u32> = session
        .uid_search(&query)
        .await
        .map_err(command_error("UID SEARCH"))?
        .into_iter()
        .collect();
    uids.sort_unstable();
    Ok(uids)
}

/// Appends `raw` to `folder` with `flags` (e.g. `(\Seen)`).
pub async fn append(
    session: &mut Session,
    folder: &str,
    flags: &str,
    raw: &[u8],
) -> Result<(), CopyError> {
    session
        .append(folder, Some(flags), None, raw)
        .await
        .map_err(command_error("APPEND"))
}

/// Removes the messages `uids` from `folder` — only them: with UIDPLUS by `UID EXPUNGE`; without
/// it they are only flagged deleted (a plain EXPUNGE would also remove other messages someone
/// flagged deleted).
pub async fn remove(session: &mut Session, folder: &str, uids: &[u32]) -> Result<(), CopyError> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    session
        .select(folder)
        .await
        .map_err(command_error("SELECT"))?;
    let _: Vec<_> = session
        .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
        .await
        .map_err(command_error("UID STORE"))?
        .try_collect()
        .await
        .map_err(command_error("UID STORE"))?;
    let uidplus = session
        .capabilities()
        .await
        .map_err(command_error("CAPABILITY"))?
        .has_str("UIDPLUS");
    if uidplus {
        let _: Vec<_> = session
            .uid_expunge(&set)
            .await
            .map_err(command_error("UID EXPUNGE"))?
            .try_collect()
            .await
            .map_err(command_error("UID EXPUNGE"))?;
    }
    Ok(())
}

async fn sign_in(
    dns: &Dns,
    account: &Account,
    credentials: &Credentials,
) -> Result<Session, CopyError> {
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
        Ok(find_message(&mut session, &folder, message_id).await?.len())
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
        if !find_message(&mut session, &folder, message_id)
            .await?
            .is_empty()
        {
            return Ok(Filed::AlreadyThere);
        }
        append(&mut session, &folder, "(\\Seen)", raw).await?;
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
        let older = find_message(&mut session, &folder, message_id).await?;
        append(&mut session, &folder, "(\\Seen \\Draft)", raw).await?;
        remove(&mut session, &folder, &older).await
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
        let uids = find_message(&mut session, &folder, message_id).await?;
        remove(&mut session, &folder, &uids).await?;
        Ok(uids.len())
    }
    .await;
    finish(session, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_quoted_and_line_breaks_refused() {
        assert_eq!(quoted("<a@b>").unwrap(), "\"<a@b>\"");
        assert_eq!(quoted("<a\"b@c>").unwrap(), "\"<a\\\"b@c>\"");
        assert!(quoted("<a@b>\r\nA1 DELETE INBOX").is_err());
        assert!(quoted("<ä@b>").is_err());
    }
}
