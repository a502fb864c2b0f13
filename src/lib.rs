//! Tayori's GUI-free core.
//!
//! Everything a mail client does that is not drawing pixels lives here: finding servers (`discovery`),
//! signing in (`auth`), talking IMAP and SMTP (`imap`, `smtp`), keeping mail on disk (`store`),
//! decoding messages (`mime`), settings and paths (`config`), and logging that never leaks a
//! secret (`logging`, `redact`). The iced front end (`ui`, behind the `gui` feature) and the command
//! line both use this core the same way; the core imports no GUI type.
//!
//! At the bottom of the house, importing no other module of Tayori: the shared value types
//! (`server`: `Server`, `Security`), the clock (`clock`) and the one way a SQLite database is
//! opened and migrated (`sqlite`, used by the mail store and the outbox).
// No unsafe code, with three audited exceptions: opening a file on Windows through ShellExecuteW
// (`attachment::open_with_system`), so that a file name never reaches a shell; the calls into
// the system's GSSAPI library, loaded at run time to answer a proxy's Kerberos challenge
// (`net::proxy::negotiate::gssapi`); and one call to glibc's `mallopt` at start-up (`memory`).
#![deny(unsafe_code)]

pub mod account;
pub mod attachment;
pub mod auth;
pub mod clock;
pub mod compose;
pub mod config;
pub mod connections;
pub mod discovery;
pub mod error;
pub mod graph;
pub mod i18n;
pub mod imap;
pub mod keyring_store;
pub mod logging;
pub mod mailto;
pub mod memory;
pub mod mime;
pub mod net;
pub mod outbox;
pub mod redact;
pub mod server;
pub mod smtp;
pub mod sqlite;
pub mod store;
pub mod sync;

/// The version printed by `tayori --version` and sent in the IMAP ID / HTTP User-Agent.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `Tayori/0.1.0`: how the client names itself to servers.
pub fn user_agent() -> String {
    format!("Tayori/{VERSION}")
}
