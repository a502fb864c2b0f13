//! Signing in: OAuth 2.0 authorization code + PKCE in the system browser, app passwords as the
//! fallback, refresh tokens in the OS keyring. What is here so far: the SASL strings that carry a
//! bearer token, PKCE, the loopback redirect listener, the browser launcher, server metadata and the
//! code and refresh exchanges. Account storage, the keyring and the CLI commands come with the rest
//! of the auth issue.

pub mod audience;
pub mod browser;
pub mod clients;
pub mod consent;
pub mod device;
pub mod flow;
pub mod guidance;
/// The keyring lives below every protocol (the proxy's password is kept there too); sign-in
/// code and its users keep reaching it as `auth::keyring_store`.
pub use crate::keyring_store;
pub mod loopback;
pub mod metadata;
pub mod pkce;
pub mod refusal;
pub mod sasl;
pub mod tokens;

use std::sync::Arc;

use thiserror::Error;

use crate::error::ErrorKind;
use crate::redact::Secret;

/// How an account proves who it is, to IMAP and SMTP alike.
#[derive(Clone)]
pub enum Credentials {
    /// A bearer token from the account's refresh token (fetched and refreshed as needed).
    OAuth(Arc<tokens::TokenManager>),
    /// A password or app password.
    Password(Secret),
}

/// What can go wrong while signing in, each saying what the person can do next.
#[derive(Debug, Clone, Error)]
pub enum AuthError {
    #[error("{0:?} is not a valid sign-in service address (it must start with https://)")]
    BadIssuer(String),
    #[error(
        "the sign-in service identifies itself as {got:?}, not {expected:?}; Tayori stopped to keep your account safe"
    )]
    IssuerMismatch { expected: String, got: String },
    #[error("the sign-in service's settings could not be read: {0}")]
    Metadata(String),
    #[error("the sign-in service's settings are not usable: {0}")]
    BadMetadata(String),
    #[error(transparent)]
    Browser(#[from] browser::BrowserError),
    #[error(transparent)]
    Callback(#[from] loopback::CallbackError),
    #[error("the sign-in service refused: {error}{}", description.as_deref().map(|d| format!(" — {d}")).unwrap_or_default())]
    Token {
        error: String,
        description: Option<String>,
    },
    /// The sign-in expired or the provider wants a new interactive sign-in (MFA, sign-in frequency):
    /// signing in again helps.
    #[error("you need to sign in again ({reason})")]
    NeedsSignIn { reason: String },
    /// The provider refused for a reason a new sign-in does not fix (consent, conditional access,
    /// an unknown app): [`refusal::Refusal::kind`] says which.
    #[error("the sign-in service refused: {0}")]
    Refused(refusal::Refusal),
    #[error("the sign-in service could not be reached: {0}")]
    Network(String),
    /// The account names a server its sign-in's mail service does not vouch for: its access
    /// token is not sent there ([`audience::Audience`]).
    #[error(
        "Tayori did not send your sign-in to {host}: that server does not belong to the mail service you signed in to. Check the account's server settings — a wrong or altered setting can name another company's server"
    )]
    ForeignHost { host: String },
    /// The sign-in service answered that it is down or overloaded (an outage, not a refusal).
    #[error(
        "the sign-in service is unavailable for now ({0}); Tayori tries again later. Mail already downloaded is safe"
    )]
    Unavailable(refusal::Refusal),
    /// The sign-in service answered with something Tayori does not accept (too large).
    #[error("{0}")]
    Unusable(String),
    #[error(
        "Tayori has no app registration for {service}, and the service does not let apps register \
         themselves. Ask your administrator for the client id of your organisation's app (it goes into \
         Tayori's admin policy or settings), or sign in with a password instead (--auth password)."
    )]
    NoClientId { service: String },
    #[error(transparent)]
    Keyring(#[from] keyring_store::KeyringError),
    #[error(
        "sign-in with a code is not available for this account: Google does not allow it for mail, and other services offer it only where their sign-in service supports it. Sign in through the browser instead."
    )]
    DeviceCodeUnavailable,
    #[error("the sign-in code expired before the sign-in was finished; start again for a new code")]
    DeviceCodeExpired,
}

impl AuthError {
    /// The provider's refusal in this error, with what kind it is.
    pub fn refusal(&self) -> Option<refusal::Refusal> {
        match self {
            AuthError::Refused(refusal) => Some(refusal.clone()),
            AuthError::NeedsSignIn { reason } => {
                let refusal = refusal::Refusal::new("invalid_grant", Some(reason));
                refusal.sign_in_again_helps().then_some(refusal)
            }
            AuthError::Callback(loopback::CallbackError::Provider { error, description }) => {
                Some(refusal::Refusal::new(error, description.as_deref()))
            }
            _ => None,
        }
    }

    /// Whether signing in again can fix it (so "sign in again" is worth saying).
    pub fn sign_in_again_helps(&self) -> bool {
        match self {
            AuthError::NeedsSignIn { .. } => true,
            AuthError::Refused(refusal) => refusal.sign_in_again_helps(),
            _ => false,
        }
    }
}

impl AuthError {
    /// What the sign-in service said (its error code and description), where it said something.
    pub fn server_words(&self) -> Option<String> {
        match self {
            AuthError::Token { error, description }
            | AuthError::Callback(loopback::CallbackError::Provider { error, description }) => {
                Some(match description {
                    Some(description) => format!("{error} — {description}"),
                    None => error.clone(),
                })
            }
            AuthError::NeedsSignIn { reason } => Some(reason.clone()),
            AuthError::Refused(refusal) | AuthError::Unavailable(refusal) => {
                Some(refusal.to_string())
            }
            _ => None,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            AuthError::NoClientId { .. } => ErrorKind::NoClient,
            AuthError::Browser(_) => ErrorKind::Browser,
            AuthError::Callback(loopback::CallbackError::TimedOut(_)) => ErrorKind::Timeout,
            // An outage of the sign-in service is like the network being down: try again later.
            AuthError::Network(_) | AuthError::Metadata(_) | AuthError::Unavailable(_) => {
                ErrorKind::Network
            }
            AuthError::Refused(refusal) if refusal.kind == refusal::RefusalKind::Unavailable => {
                ErrorKind::Network
            }
            // An answer too large to read is the service's fault; a new sign-in would meet it too.
            AuthError::Unusable(_) => ErrorKind::Other,
            AuthError::Keyring(error) => error.kind(),
            AuthError::DeviceCodeExpired => ErrorKind::Timeout,
            AuthError::DeviceCodeUnavailable | AuthError::ForeignHost { .. } => ErrorKind::Other,
            // A refusal stops the account (retrying the same token helps nobody) and is recorded;
            // the advice (`guidance::Advice`) says whether signing in again or the administrator
            // is what helps.
            AuthError::Refused(_) => ErrorKind::SignIn,
            AuthError::BadIssuer(_)
            | AuthError::IssuerMismatch { .. }
            | AuthError::BadMetadata(_)
            | AuthError::Callback(_)
            | AuthError::Token { .. }
            | AuthError::NeedsSignIn { .. } => ErrorKind::SignIn,
        }
    }
}
