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
pub mod session;
pub mod syntax;

use thiserror::Error;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::auth::AuthError;
use crate::error::ErrorKind;
use crate::net::NetError;

/// Kept at its old path (`auth::Credentials` is the owner) for the window and the command line.
pub use crate::auth::Credentials;
pub use conn::{CommandError, Conn};
pub use connect::{bearer_mechanism, connect, login};
pub use syntax::{decode_mailbox_name, parse_internal_date};

/// A signed-in session as async-imap drives it.
pub type Session = async_imap::Session<TlsStream<TcpStream>>;

/// Why connecting or signing in failed.
#[derive(Debug, Error)]
pub enum ImapError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("the IMAP server {host} does not behave as expected: {reason}")]
    Protocol { host: String, reason: String },
    #[error("the IMAP server {host} refused STARTTLS, so Tayori did not continue unencrypted")]
    NoStartTls { host: String },
    #[error("the IMAP server refused the sign-in: {reason}{}", advice.map(|a| format!("\n{a}")).unwrap_or_default())]
    Refused {
        reason: String,
        advice: Option<&'static str>,
    },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl ImapError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ImapError::Net(error) => error.kind(),
            ImapError::NoStartTls { .. } => ErrorKind::Tls,
            ImapError::Refused { .. } => ErrorKind::Refused,
            ImapError::Auth(error) => error.kind(),
            ImapError::Protocol { .. } => ErrorKind::Other,
        }
    }
}
