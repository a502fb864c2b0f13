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
    // A shared mailbox has no secrets of its own: its member's stay.
    if removed.shared_via.is_none() {
        keyring_store::delete(&removed.email, SecretKind::RefreshToken).await?;
        keyring_store::delete(&removed.email, SecretKind::AppPassword).await?;
        keyring_store::delete(&removed.email, SecretKind::ClientSecret).await?;
    }
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

/// A shared mailbox opened with a signed-in member's own sign-in: the member's servers and OAuth
/// client, IMAP signing in as the shared address (Exchange Online's XOAUTH2 `user=<shared address>`
/// with the member's token), SMTP as the member (sending as the shared address needs "Send As").
/// Only for OAuth accounts: a password is the member's alone.
pub fn shared_mailbox(member: &Account, shared: &str) -> Result<Account, SetupError> {
    if !matches!(member.auth, AccountAuth::OAuth2 { .. }) {
        return Err(SetupError::SharedNeedsOAuth {
            member: member.email.clone(),
        });
    }
    let shared = shared.trim().to_owned();
    let mut imap = member.imap.clone();
    imap.username = shared.clone();
    Ok(Account {
        email: shared,
        display_name: None,
        provider: member.provider,
        imap,
        smtp: member.smtp.clone(),
        auth: member.auth.clone(),
        last_sign_in: Some(now_seconds()),
        needs_sign_in: None,
        sent_copy: None,
        shared_via: Some(member.email.clone()),
    })
}

/// Adds a shared mailbox that `member` (a signed-in account) is a member of: opened with the
/// member's own sign-in, checked on both servers (IMAP as the shared address, SMTP as the member)
/// before it is saved. No second sign-in: `tayori account add-shared` and the settings screen.
pub async fn add_shared_mailbox(
    net: &crate::net::Net,
    accounts: &Accounts,
    member: &str,
    shared: &str,
) -> Result<Account, SetupError> {
    let member = accounts.get(member)?;
    let account = shared_mailbox(&member, shared)?;
    let credentials = account.credentials(&net.http).await?;
    super::verify_imap(net, &account.imap, &credentials).await?;
    super::verify_smtp(net, &account.smtp, &credentials).await?;
    accounts.upsert(account.clone())?;
    Ok(account)
}

/// The account whose sign-in opens `account`: itself, or a shared mailbox's member — the one to
/// sign in again when either is refused.
pub fn sign_in_owner(accounts: &Accounts, account: &Account) -> Result<Account, SetupError> {
    match &account.shared_via {
        Some(member) => Ok(accounts.get(member)?),
        None => Ok(account.clone()),
    }
}

/// After `member` signed in again: it and every shared mailbox it opens no longer wait for a new
/// sign-in (they all use its token). Returns their addresses.
pub fn signed_in_again(accounts: &Accounts, member: &str) -> Result<Vec<String>, SetupError> {
    let mut renewed = Vec::new();
    for account in accounts.list()? {
        let opens_with_member = account.email.eq_ignore_ascii_case(member)
            || account
                .shared_via
                .as_deref()
                .is_some_and(|via| via.eq_ignore_ascii_case(member));
        if opens_with_member {
            accounts.set_needs_sign_in(&account.email, None)?;
            renewed.push(account.email);
        }
    }
    Ok(renewed)
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
        shared_via: None,
    };
    accounts.upsert(account.clone())?;
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Server;
    use crate::server::Security;

    fn member(auth: AccountAuth) -> Account {
        let server = |host: &str, port| Server {
            host: host.into(),
            port,
            security: Security::Tls,
            username: "adele@contoso.com".into(),
        };
        Account {
            email: "adele@contoso.com".into(),
            display_name: Some("Adele".into()),
            provider: Some(crate::discovery::KnownProvider::Microsoft),
            imap: server("outlook.office365.com", 993),
            smtp: server("smtp.office365.com", 587),
            auth,
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
            shared_via: None,
        }
    }

    #[test]
    fn a_shared_mailbox_signs_in_to_imap_as_itself_with_the_members_sign_in() {
        let oauth = AccountAuth::OAuth2 {
            client_id: "app".into(),
            issuer: None,
            authorization_endpoint: "https://login.microsoftonline.com/t/oauth2/v2.0/authorize"
                .into(),
            token_endpoint: "https://login.microsoftonline.com/t/oauth2/v2.0/token".into(),
            iss_required: false,
            scopes: Vec::new(),
        };
        let shared = shared_mailbox(&member(oauth.clone()), " info@contoso.com ").unwrap();
        assert_eq!(shared.email, "info@contoso.com");
        assert_eq!(shared.imap.username, "info@contoso.com", "XOAUTH2 user=");
        assert_eq!(
            shared.smtp.username, "adele@contoso.com",
            "SMTP as the member"
        );
        assert_eq!(shared.shared_via.as_deref(), Some("adele@contoso.com"));
        assert_eq!(shared.auth, oauth);
        let refused = shared_mailbox(&member(AccountAuth::Password), "info@contoso.com");
        assert!(matches!(refused, Err(SetupError::SharedNeedsOAuth { .. })));
    }
}
