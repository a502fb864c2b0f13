//! Secrets in the OS keyring — Secret Service on Linux, Keychain on macOS, Credential Manager on
//! Windows — and nowhere else. When the keyring is locked, missing or failing, the error says so and
//! what to do; there is no fallback to a file.

use thiserror::Error;

use crate::error::ErrorKind;
use crate::redact::Secret;

/// The keyring "service" under which Tayori's entries are filed.
pub const SERVICE: &str = "org.tayori.Tayori";

/// Which secret of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    RefreshToken,
    AppPassword,
    /// A desktop-app client secret the person or administrator configured (Google's are not
    /// confidential, but they are kept with the other secrets all the same).
    ClientSecret,
    /// `user:password` for a proxy, filed under the proxy's `host:port`.
    ProxyPassword,
}

impl SecretKind {
    fn prefix(self) -> &'static str {
        match self {
            SecretKind::RefreshToken => "refresh-token",
            SecretKind::AppPassword => "app-password",
            SecretKind::ClientSecret => "client-secret",
            SecretKind::ProxyPassword => "proxy-password",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyringError {
    #[error(
        "your keyring is locked, so Tayori cannot read or save your sign-in. Unlock it (sign in to your \
         desktop session, or open your password manager such as \"Passwords and Keys\") and try again."
    )]
    Locked,
    #[error(
        "no keyring is available to keep your sign-in safe ({0}). On Linux, install and start a Secret \
         Service such as GNOME Keyring or KWallet; Tayori never stores passwords or tokens in a file instead."
    )]
    Unavailable(String),
    #[error("the keyring refused the request: {0}")]
    Failed(String),
}

impl KeyringError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            KeyringError::Locked => ErrorKind::KeyringLocked,
            KeyringError::Unavailable(_) | KeyringError::Failed(_) => ErrorKind::Keyring,
        }
    }
}

impl KeyringError {
    fn from_keyring(error: keyring::Error) -> Self {
        match error {
            keyring::Error::NoStorageAccess(_) => KeyringError::Locked,
            keyring::Error::NoDefaultStore | keyring::Error::PlatformFailure(_) => {
                KeyringError::Unavailable(error.to_string())
            }
            other => KeyringError::Failed(other.to_string()),
        }
    }
}

fn entry(account: &str, kind: SecretKind) -> Result<keyring::Entry, KeyringError> {
    keyring::Entry::new(SERVICE, &format!("{}:{account}", kind.prefix()))
        .map_err(KeyringError::from_keyring)
}

/// Saves a secret (replacing any older one). Runs off the async executor: keyring calls block.
pub async fn save(account: &str, kind: SecretKind, secret: &Secret) -> Result<(), KeyringError> {
    let (account, value) = (account.to_owned(), secret.expose().to_owned());
    tokio::task::spawn_blocking(move || {
        entry(&account, kind)?
            .set_password(&value)
            .map_err(KeyringError::from_keyring)
    })
    .await
    .map_err(|e| KeyringError::Failed(e.to_string()))?
}

/// Reads a secret; `Ok(None)` when there is none.
pub async fn load(account: &str, kind: SecretKind) -> Result<Option<Secret>, KeyringError> {
    let account = account.to_owned();
    tokio::task::spawn_blocking(move || match entry(&account, kind)?.get_password() {
        Ok(value) => Ok(Some(Secret::new(value))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(KeyringError::from_keyring(e)),
    })
    .await
    .map_err(|e| KeyringError::Failed(e.to_string()))?
}

/// Deletes a secret; deleting one that is not there is fine.
pub async fn delete(account: &str, kind: SecretKind) -> Result<(), KeyringError> {
    let account = account.to_owned();
    tokio::task::spawn_blocking(move || match entry(&account, kind)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(KeyringError::from_keyring(e)),
    })
    .await
    .map_err(|e| KeyringError::Failed(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_failures_say_what_to_do() {
        let locked = KeyringError::from_keyring(keyring::Error::NoStorageAccess(Box::new(
            std::io::Error::other("locked"),
        )));
        assert_eq!(locked, KeyringError::Locked);
        assert!(locked.to_string().contains("Unlock"));
        let missing = KeyringError::from_keyring(keyring::Error::NoDefaultStore);
        assert!(matches!(missing, KeyringError::Unavailable(_)));
        assert!(
            missing.to_string().contains("Secret Service")
                && missing.to_string().contains("never stores")
        );
    }
}
