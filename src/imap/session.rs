//! One-off work on a plain signed-in session (async-imap's own commands), for sending: the outbox
//! signs in, does one of these and logs out, independent of the sync engine's connection.
//!
//! - A special folder is found by its SPECIAL-USE attribute (RFC 6154: `\Sent`, `\Drafts`) from
//!   LIST, falling back to the names servers without it use ([`FolderRole::usual_names`]).
//! - A message is found by its Message-ID (`UID SEARCH HEADER Message-ID`).
//! - Copies are added with APPEND and removed by UID.

use futures::TryStreamExt;
use thiserror::Error;

use super::Session;
use super::mailbox::role_of;
use super::syntax::decode_mailbox_name;
use crate::store::FolderRole;

/// Why a command on a plain session did not do its work.
#[derive(Debug, Error)]
pub enum SessionError {
    #[error("the IMAP server did not complete {command}: {reason}")]
    Command {
        command: &'static str,
        reason: String,
    },
    #[error(
        "the account has no {} folder (none is marked as such and none has a usual name); create one in your mail provider's web mail",
        english_name(*.0)
    )]
    NoFolder(FolderRole),
    #[error("{0:?} cannot be searched for")]
    BadMessageId(String),
}

/// The folder's name in the English error text.
fn english_name(role: FolderRole) -> &'static str {
    match role {
        FolderRole::Inbox => "Inbox",
        FolderRole::Drafts => "Drafts",
        FolderRole::Sent => "Sent",
        FolderRole::Archive => "Archive",
        FolderRole::Junk => "Junk",
        FolderRole::Trash => "Trash",
        FolderRole::All => "All Mail",
        FolderRole::Flagged => "Flagged",
    }
}

fn command_error(command: &'static str) -> impl Fn(async_imap::error::Error) -> SessionError {
    move |error| SessionError::Command {
        command,
        reason: match error {
            async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => text,
            other => other.to_string(),
        },
    }
}

/// An IMAP quoted string for a Message-ID. Message-IDs are checked to be dot-atoms before they get
/// here; quotes and backslashes are escaped anyway and line breaks refused.
fn quoted_message_id(text: &str) -> Result<String, SessionError> {
    if text.chars().any(|c| c.is_control()) || !text.is_ascii() {
        return Err(SessionError::BadMessageId(text.to_owned()));
    }
    Ok(format!(
        "\"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// Finds the folder with `role`: the one LIST marks with the special-use attribute, else the one
/// whose name is the most usual for the role (a top-level folder before a nested one, then in
/// LIST's order).
pub async fn find_folder(session: &mut Session, role: FolderRole) -> Result<String, SessionError> {
    let names: Vec<_> = session
        .list(Some(""), Some("*"))
        .await
        .map_err(command_error("LIST"))?
        .try_collect()
        .await
        .map_err(command_error("LIST"))?;
    let marked = names
        .iter()
        .find(|name| name.attributes().iter().any(|a| role_of(a) == Some(role)));
    if let Some(name) = marked {
        return Ok(name.name().to_owned());
    }
    names
        .iter()
        .filter_map(|name| {
            let decoded = decode_mailbox_name(name.name());
            let rank = role.usual_name_rank(&decoded)?;
            let nested = name.delimiter().is_some_and(|d| decoded.contains(d));
            Some(((rank, nested), name))
        })
        .min_by_key(|(order, _)| *order)
        .map(|(_, name)| name.name().to_owned())
        .ok_or(SessionError::NoFolder(role))
}

/// UIDs of the messages in `folder` whose Message-ID header is `message_id` (`<…>`), ascending.
pub async fn find_message(
    session: &mut Session,
    folder: &str,
    message_id: &str,
) -> Result<Vec<u32>, SessionError> {
    let query = format!("HEADER Message-ID {}", quoted_message_id(message_id)?);
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
) -> Result<(), SessionError> {
    session
        .append(folder, Some(flags), None, raw)
        .await
        .map_err(command_error("APPEND"))
}

/// Removes the messages `uids` from `folder` — only them: with UIDPLUS by `UID EXPUNGE`; without
/// it they are only flagged deleted (a plain EXPUNGE would also remove other messages someone
/// flagged deleted).
pub async fn remove(session: &mut Session, folder: &str, uids: &[u32]) -> Result<(), SessionError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_quoted_and_line_breaks_refused() {
        assert_eq!(quoted_message_id("<a@b>").unwrap(), "\"<a@b>\"");
        assert_eq!(quoted_message_id("<a\"b@c>").unwrap(), "\"<a\\\"b@c>\"");
        assert!(quoted_message_id("<a@b>\r\nA1 DELETE INBOX").is_err());
        assert!(quoted_message_id("<ä@b>").is_err());
    }

    #[test]
    fn a_missing_folder_is_named_in_english_as_before() {
        assert!(
            SessionError::NoFolder(FolderRole::Sent)
                .to_string()
                .starts_with("the account has no Sent folder")
        );
        assert!(
            SessionError::NoFolder(FolderRole::Drafts)
                .to_string()
                .starts_with("the account has no Drafts folder")
        );
    }
}
