//! Setting up an account, step by step: what the command line's `tayori account add` and the
//! window's first-run wizard both do, in one place so the two cannot drift apart.
//!
//! The steps: discovery (with live progress for the window), the plan it yields (servers, the sign-in
//! methods offered and what the administrator allows), the OAuth client for the provider (configured,
//! registered on the spot, or named by the mail server itself), the sign-in in the browser or with an
//! app password, verification of IMAP and SMTP, and saving — the account in `accounts.toml`, its
//! secret in the keyring only. Nothing is saved for an account that did not verify.
//!
//! One file per step — `discover`, `plan`, `sign_in`, `verify`, `save` — gathered here under one
//! name with the error they share, [`SetupError`]: the wizard and the CLI call `setup::…`.

mod discover;
mod plan;
mod save;
mod sign_in;
mod verify;

use thiserror::Error;

use crate::account::AccountsError;
use crate::auth::AuthError;
use crate::auth::guidance::{self, Guidance};
use crate::auth::keyring_store::KeyringError;
use crate::discovery::DiscoveryError;
use crate::error::ErrorKind;
use crate::imap::ImapError;
use crate::net::NetSetupError;
use crate::smtp::SmtpError;

pub use discover::{DiscoveryProgress, discover_stream};
pub use plan::{Method, Plan, policy_client_id};
pub use save::{
    Removed, Revocation, add_shared_mailbox, note_sign_in, remove_account, save, shared_mailbox,
    sign_in_contacts, sign_in_owner, signed_in_again,
};
pub use sign_in::{
    GENERIC_SCOPES, ResolvedClient, SIGN_IN_TIMEOUT, SignedIn, issuer_hint_from_server,
    non_empty_password, oauth_auth, oauth_client, saved_oauth_client, sign_in_device,
    sign_in_oauth, with_graph_scopes, with_tenant,
};
pub use verify::{
    Check, ImapCheck, SmtpCheck, VerifyProgress, forget_unverified, record_imap_check,
    record_smtp_check, verify_and_save_stream, verify_imap, verify_smtp,
};

/// Error codes with which a provider refuses the app itself (not the person): where an app password
/// is the way out — if the administrator allows them.
const APP_REFUSED: [&str; 5] = [
    "AADSTS700016",
    "AADSTS65001",
    "AADSTS90094",
    "unauthorized_client",
    "access_denied",
];

#[derive(Debug, Error)]
pub enum SetupError {
    #[error("the network could not be set up: {0}")]
    Network(String),
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error("your administrator allows only {allowed} for {email}")]
    NotAllowed {
        email: String,
        allowed: &'static str,
    },
    #[error("the mail server does not say where to sign in")]
    NoIssuerHint,
    #[error("{0}")]
    NoSignInService(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error("no password given")]
    NoPassword,
    #[error(
        "{member} signs in with a password; a shared mailbox needs a member who signs in through the browser (Microsoft 365)"
    )]
    SharedNeedsOAuth { member: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Exchange Online refused IMAP the way it does when IMAP is turned off for the mailbox, and
    /// Microsoft Graph, the way around it, did not read the mailbox either.
    #[error(
        "IMAP is turned off for this mailbox (the server said \"{because}\"), and Microsoft 365 does not yet let Tayori read it through Microsoft Graph instead ({reason}). Tayori needs the Microsoft Graph permission Mail.ReadWrite, which in most organisations only an administrator can grant: ask your administrator to grant it to Tayori (admin consent{}) or to turn IMAP on for your mailbox, then add the account again",
        consent_url.as_deref().map(|u| format!(": {u}")).unwrap_or_default()
    )]
    ImapOffGraphDenied {
        because: String,
        reason: String,
        consent_url: Option<String>,
    },
}

impl SetupError {
    /// The proxy (`host:port`) whose user name and password would let this through: it asked
    /// for them over TLS, or refused the saved ones (discovery's web requests, or the mail check).
    pub fn proxy_to_sign_in(&self) -> Option<String> {
        let refusal = match self {
            SetupError::Discovery(DiscoveryError::Refused { refusal, .. }) => refusal.as_ref(),
            SetupError::Imap(ImapError::Net(crate::net::NetError::Refused(refusal))) => refusal,
            _ => return None,
        };
        refusal.proxy_to_sign_in().map(str::to_owned)
    }

    /// What kind of failure this is, for the window, the command line and notifications.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SetupError::Network(_) => ErrorKind::Network,
            SetupError::Discovery(_) => ErrorKind::Other,
            SetupError::NoSignInService(_) => ErrorKind::SignIn,
            SetupError::NotAllowed { .. } => ErrorKind::Policy,
            SetupError::NoIssuerHint => ErrorKind::NoBrowserSignIn,
            SetupError::Auth(error) => error.kind(),
            SetupError::Imap(error) => error.kind(),
            SetupError::Smtp(error) => error.kind(),
            SetupError::Keyring(error) => error.kind(),
            SetupError::Accounts(_) | SetupError::Store(_) => ErrorKind::Save,
            SetupError::NoPassword => ErrorKind::Refused,
            SetupError::SharedNeedsOAuth { .. } => ErrorKind::Policy,
            SetupError::ImapOffGraphDenied { .. } => ErrorKind::Refused,
        }
    }

    /// The sign-in service's error behind this one (a refused browser sign-in, or a token refused
    /// while IMAP or SMTP signed in), for the advice the front ends give.
    pub fn auth_error(&self) -> Option<&AuthError> {
        match self {
            SetupError::Auth(error)
            | SetupError::Imap(ImapError::Auth(error))
            | SetupError::Smtp(SmtpError::Auth(error)) => Some(error),
            _ => None,
        }
    }
}

impl SetupError {
    /// The plain-words explanation for a provider's error code in this error, if there is one.
    pub fn guidance(&self) -> Option<&'static Guidance> {
        guidance::explain(&self.server_words()?)
    }

    /// Whether the provider refused the app itself, so an app password may be the way out.
    pub fn app_refused(&self) -> bool {
        self.server_words().is_some_and(|words| app_refused(&words))
    }

    /// What the server or the sign-in service said, where it said something: the only text in
    /// which a provider's error code (AADSTS…, 5.7.139) can be, and so the only text searched
    /// for one.
    pub fn server_words(&self) -> Option<String> {
        match self {
            SetupError::Auth(error)
            | SetupError::Imap(ImapError::Auth(error))
            | SetupError::Smtp(SmtpError::Auth(error)) => error.server_words(),
            SetupError::Imap(ImapError::Refused { reason, .. })
            | SetupError::Smtp(SmtpError::Refused { reason, .. }) => Some(reason.clone()),
            _ => None,
        }
    }

    /// Whether the person pressed Cancel (nothing to explain).
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            SetupError::Auth(AuthError::Callback(
                crate::auth::loopback::CallbackError::Cancelled
            ))
        )
    }
}

/// Whether a sign-in failure's text says the provider refused the app itself.
pub fn app_refused(text: &str) -> bool {
    APP_REFUSED.iter().any(|code| text.contains(code))
}

impl From<NetSetupError> for SetupError {
    fn from(error: NetSetupError) -> Self {
        SetupError::Network(error.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_being_refused_is_recognised() {
        assert!(app_refused("the sign-in service answered: access_denied"));
        assert!(app_refused("AADSTS65001: consent"));
        assert!(!app_refused("invalid_grant"));
    }
}
