//! The IMAP engine (async-imap over the TLS in [`crate::net`]): one long-lived session per account,
//! IDLE, CONDSTORE/QRESYNC. Filled in by the sync issue.
