//! How to reach a mail server: host, port, how the connection is secured and whom to sign in as.
//!
//! These are plain values shared by everything that talks to or stores a server (`imap`, `smtp`,
//! `account`, `discovery`). They live at the bottom of the house and import no other module of
//! Tayori, so none of those modules needs another one just to name a server.

use serde::{Deserialize, Serialize};

/// How a connection is secured. There is no plaintext variant: Tayori never offers one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS (IMAPS 993, submissions 465) — preferred (RFC 8314).
    Tls,
    /// STARTTLS, required: the connection fails rather than continue unencrypted.
    #[serde(rename = "starttls")]
    StartTls,
}

impl std::fmt::Display for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Security::Tls => "TLS",
            Security::StartTls => "STARTTLS",
        })
    }
}

/// A server as an account stores it (discovery's `Endpoint` without its serde shape tied to
/// discovery output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
}
