//! What kind of failure an error is, for whoever shows it: the window picks its headline and advice
//! by it, the command line its exit wording, notifications whether to speak at all.
//!
//! Every core error that reaches a person answers [`kind`](ErrorKind) from its own variants, so no
//! front end rebuilds a kind from an error's text or reaches into a protocol's error type to find
//! out. This module sits at the bottom of the house: it imports nothing of Tayori.

/// What a failure is, sorted by what the person (or their administrator) can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The server or the sign-in service could not be reached: check the network, try later.
    Network,
    /// The secure connection failed or the server would not encrypt.
    Tls,
    /// The server refused the sign-in (a wrong or revoked password, IMAP/SMTP switched off).
    Refused,
    /// The sign-in service refused, or a saved sign-in no longer works: sign in again.
    SignIn,
    /// Nobody finished the sign-in in the browser in time.
    Timeout,
    /// The browser could not be opened.
    Browser,
    /// Tayori has no app registration for the service.
    NoClient,
    /// The server says nothing about where to sign in with a browser.
    NoBrowserSignIn,
    /// The keyring is locked: unlock it and try again.
    KeyringLocked,
    /// No keyring, or it refused.
    Keyring,
    /// The administrator's policy does not allow it.
    Policy,
    /// Saving on this computer failed (the disk is full, a file is not writable).
    Save,
    /// Anything else: the details say what.
    Other,
}

impl ErrorKind {
    /// Whether signing in again is what helps.
    pub fn needs_sign_in(self) -> bool {
        matches!(self, ErrorKind::SignIn | ErrorKind::Refused)
    }
}
