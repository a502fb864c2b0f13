//! Saving a verified account (the account in `accounts.toml`, an app password in the keyring) and
//! removing one from this computer.

use super::{Plan, SetupError};
use crate::account::{Account, AccountAuth, Accounts, now_seconds};
use crate::auth::keyring_store::{self, SecretKind};
use crate::imap::Credentials;

/// Removes an account from this computer: from the account list first (so it is gone even if a
/// later step fails), then its sign-in from the keyring, then its mail from the local store. The
/// mail on the server is not touched.
pub async fn remove_account(
    paths: &crate::config::Paths,
    email: &str,
) -> Result<Account, SetupError> {
    let removed = Accounts::new(paths).remove(email)?;
    keyring_store::delete(&removed.email, SecretKind::RefreshToken).await?;
    keyring_store::delete(&removed.email, SecretKind::AppPassword).await?;
    keyring_store::delete(&removed.email, SecretKind::ClientSecret).await?;
    let store_path = crate::store::Store::path_in(paths);
    if store_path.exists() {
        let email = removed.email.clone();
        tokio::task::spawn_blocking(move || {
            crate::store::Store::open(&store_path)?.remove_account(&email)
        })
        .await
        .map_err(|e| SetupError::Network(e.to_string()))??;
    }
    Ok(removed)
}

/// Saves a verified account: an app password into the keyring (the refresh token is already there),
/// the account into `accounts.toml`.
pub async fn save(
    accounts: &Accounts,
    plan: &Plan,
    display_name: Option<String>,
    auth: AccountAuth,
    credentials: &Credentials,
) -> Result<Account, SetupError> {
    if let Credentials::Password(password) = credentials {
        keyring_store::save(&plan.email, SecretKind::AppPassword, password).await?;
    }
    let account = Account {
        email: plan.email.clone(),
        display_name: display_name.filter(|n| !n.trim().is_empty()),
        provider: plan.provider,
        imap: plan.imap.clone(),
        smtp: plan.smtp.clone(),
        auth,
        last_sign_in: Some(now_seconds()),
        needs_sign_in: None,
        // Decided from the provider when sending (`outbox::sent_copy_for`) unless set by hand.
        sent_copy: None,
    };
    accounts.upsert(account.clone())?;
    Ok(account)
}
