//! IMAP: every command Tayori sends to an IMAP server, and the reading of the answers.
//!
//! - [`connect`]: connecting (implicit TLS or strict STARTTLS) and signing in ([`login`]).
//! - [`conn`]: [`Conn`], one signed-in connection as the sync engine drives it — commands written
//!   by hand and responses read one at a time, each read with a time limit; IDLE.
//! - [`mailbox`]: LIST (with SPECIAL-USE roles and LIST-STATUS) and SELECT/EXAMINE (with
//!   CONDSTORE/QRESYNC).
//! - [`fetch`]: UID SEARCH and the FETCHes of flags, headers and whole messages.
//! - [`changes`]: changes sent to the server: UID STORE of flags, MOVE (or COPY), EXPUNGE.
//! - [`session`]: one-off work on a plain session for sending: finding the Sent or Drafts folder,
//!   a message by its Message-ID, APPEND, and removing copies.
//! - [`syntax`]: IMAP's text forms (quoted strings, UID sets, modified UTF-7 mailbox names,
//!   INTERNALDATE).
//!
//! What a folder's role is called and which names servers without SPECIAL-USE give it belongs to
//! the folder type, [`crate::store::FolderRole`]; this module only reads it off the wire.

pub mod changes;
pub mod conn;
pub mod connect;
pub mod fetch;
pub mod mailbox;
pub mod reader;
pub mod session;
pub mod syntax;

use thiserror::Error;
use tokio_rustls::client::TlsStream;

use crate::auth::AuthError;
use crate::error::ErrorKind;
use crate::net::NetError;

/// Kept at its old path (`auth::Credentials` is the owner) for the window and the command line.
pub use crate::auth::Credentials;
pub use async_imap::imap_proto::RequestId;
pub use conn::{CommandError, Conn, Item};
pub use connect::{bearer_mechanism, connect, login};
pub use syntax::{decode_mailbox_name, parse_internal_date};

/// A signed-in session as async-imap drives it.
pub type Session = async_imap::Session<TlsStream<crate::net::MailStream>>;

/// Why connecting or signing in failed.
#[derive(Debug, Error)]
pub enum ImapError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("the IMAP server {host} does not behave as expected: {reason}")]
    Protocol { host: String, reason: String },
    #[error("the IMAP server {host} refused STARTTLS, so Tayori did not continue unencrypted")]
    NoStartTls { host: String },
    #[error(
        "the IMAP server {host} did not answer: it sent no {what} within {} s. Check that the server name and port are right; if they are, the server may be overloaded",
        reader::STALL.as_secs()
    )]
    Stalled { host: String, what: &'static str },
    #[error(
        "the connection to the IMAP server {host} was tampered with: data arrived right after the server agreed to encrypt the connection, before encryption began (a known attack on STARTTLS, possibly by something on the network). Tayori stopped and sent nothing; mail already downloaded is safe"
    )]
    StartTlsInjection { host: String },
    #[error("the IMAP server refused the sign-in: {reason}{}", advice.map(|a| format!("\n{a}")).unwrap_or_default())]
    Refused {
        reason: String,
        advice: Option<&'static str>,
    },
    /// `NO [UNAVAILABLE]` (RFC 5530) to the sign-in: the server's sign-in backend is down. An
    /// outage, not a refusal of the password or token.
    #[error(
        "the IMAP server could not check the sign-in just now: {reason}. Tayori tries again later; mail already downloaded is safe"
    )]
    Unavailable { reason: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// Whether an IMAP server's `reason` is one of Exchange Online's documented answers for a mailbox
/// with IMAP turned off (`ImapEnabled` false): `NO AUTHENTICATE failed.` to a token Entra has just
/// issued (Microsoft's "Authenticate an IMAP, POP or SMTP connection using OAuth"), or a sign-in
/// taken and then `BAD User is authenticated but not connected.`. The first also answers a token
/// Exchange refuses for another reason: the words only lead to trying Microsoft Graph with the
/// same sign-in, which decides.
pub fn exchange_imap_off(reason: &str) -> bool {
    let words = reason.trim().trim_end_matches('.');
    words.eq_ignore_ascii_case("AUTHENTICATE failed")
        || words.eq_ignore_ascii_case("LOGIN failed")
        || not_connected(reason)
}

/// Exchange Online's `User is authenticated but not connected.`
pub fn not_connected(reason: &str) -> bool {
    reason
        .to_ascii_lowercase()
        .contains("user is authenticated but not connected")
}

impl ImapError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ImapError::Net(error) => error.kind(),
            ImapError::NoStartTls { .. } => ErrorKind::Tls,
            ImapError::Refused { .. } => ErrorKind::Refused,
            ImapError::Auth(error) => error.kind(),
            ImapError::Protocol { .. } | ImapError::StartTlsInjection { .. } => ErrorKind::Other,
            // A server that does not answer: like the network, trying later may help.
            ImapError::Stalled { .. } | ImapError::Unavailable { .. } => ErrorKind::Network,
        }
    }
}

#[cfg(test)]
mod tests {
    use async_imap::imap_proto::Response;

    /// Server lines that panicked imap-proto 0.17.0 (an unwrap on `INTERNALDATE NIL`, an unwrap on
    /// a METADATA mailbox name that is not UTF-8, a slice inside a character of the status text):
    /// the fork in third_party/imap-proto (Cargo.toml `[patch.crates-io]`) makes each an error or
    /// keeps the text. This fails if the patch is dropped.
    #[test]
    fn responses_that_panicked_imap_proto_do_not() {
        let nil = b"* 7 FETCH (UID 7 INTERNALDATE NIL RFC822.SIZE 10)\r\n";
        let nil = std::panic::catch_unwind(|| match Response::parse(nil) {
            Ok((_, Response::Fetch(7, attributes))) => !attributes
                .iter()
                .any(|a| matches!(a, async_imap::imap_proto::AttributeValue::InternalDate(_))),
            _ => true,
        });
        assert!(nil.unwrap());
        let metadata = b"* METADATA \"INBOX\xff\xfe\" (/private/comment \"x\")\r\n";
        assert!(std::panic::catch_unwind(|| Response::parse(metadata).is_err()).unwrap());
        let status = b"* OK [CAPABILITY IMAP4rev1]\xe0\xbb\x90\x8becot ready.\r\n";
        assert!(std::panic::catch_unwind(|| Response::parse(status).is_ok()).unwrap());
    }
}
