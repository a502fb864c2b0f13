//! Saving a verified account (the account in `accounts.toml`, an app password in the keyring) and
//! removing one from this computer.

use super::{Plan, SetupError};
use crate::account::{Account, AccountAuth, Accounts, now_seconds};
use crate::auth::keyring_store::{self, SecretKind};
use crate::connections::{Contact, Detail, Purpose};
use crate::imap::Credentials;

/// What became of an account's sign-in at its provider when the account was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// The provider withdrew the refresh token (RFC 7009) at this host.
    Revoked { host: String },
    /// The provider offers no revocation to programs (Microsoft): the sign-in ends when it
    /// expires, or when the person removes the app's access in their account's security page.
    NotOffered,
    /// Nothing to withdraw: a password account, a shared mailbox (its member's sign-in stays),
    /// or no saved sign-in.
    NothingToWithdraw,
    /// The provider could not be reached or refused; the token is deleted here all the same.
    Failed(String),
}

/// An account removed from this computer, and what became of its sign-in at the provider.
#[derive(Debug, Clone)]
pub struct Removed {
    pub account: Account,
    pub revocation: Revocation,
}

/// Withdraws the account's refresh token at its provider, where the provider's metadata names a
/// revocation endpoint (RFC 7009; Google's does). Sent only there, over HTTPS, as a form.
async fn withdraw_sign_in(paths: &crate::config::Paths, account: &Account) -> Revocation {
    if account.shared_via.is_some() {
        return Revocation::NothingToWithdraw;
    }
    let Some(client) = account.oauth_client() else {
        return Revocation::NothingToWithdraw;
    };
    let token = match keyring_store::load(&account.email, SecretKind::RefreshToken).await {
        Ok(Some(token)) => token,
        Ok(None) => return Revocation::NothingToWithdraw,
        Err(error) => return Revocation::Failed(error.to_string()),
    };
    let settings = crate::config::Settings::load(paths).unwrap_or_default();
    let net = match crate::net::Net::from_settings(&settings) {
        Ok(net) => net,
        Err(error) => return Revocation::Failed(error.to_string()),
    };
    let Some(issuer) = client.issuer.as_deref() else {
        return Revocation::NotOffered;
    };
    // Fetched as configured (HTTPS checked, endpoints may sit on other hosts of the provider, as
    // Google's do); what binds the revocation endpoint is below: the refresh token goes only to
    // the organisation its token endpoint — checked at sign-in — already belongs to.
    let endpoint = match crate::auth::metadata::for_issuer_as_configured(&net.http, issuer).await {
        Ok(metadata) => metadata.revocation_endpoint,
        Err(error) => return Revocation::Failed(error.to_string()),
    };
    let Some(endpoint) = endpoint else {
        return Revocation::NotOffered;
    };
    let url = match url::Url::parse(&endpoint) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => url,
        _ => {
            return Revocation::Failed(format!(
                "the revocation endpoint {endpoint:?} is not an https URL"
            ));
        }
    };
    let token_host = url::Url::parse(&client.token_endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if !crate::auth::metadata::same_site(url.host_str().unwrap_or_default(), &token_host) {
        return Revocation::Failed(format!(
            "the revocation endpoint {endpoint:?} is not at the sign-in's token service ({token_host})"
        ));
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token.expose())
        .append_pair("token_type_hint", "refresh_token")
        .append_pair("client_id", &client.client_id)
        .finish();
    let host = url.host_str().unwrap_or_default().to_owned();
    let sent = net
        .http
        .client_for_url(url.as_str())
        .await
        .post(url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Revocation::Revoked { host },
        Ok(response) => Revocation::Failed(format!(
            "{host} answered HTTP {}",
            response.status().as_u16()
        )),
        Err(error) => Revocation::Failed(crate::net::http::root_cause(&error)),
    }
}

/// Removes an account from this computer: from the account list first (so it is gone even if a
/// later step fails), then its sign-in — withdrawn at the provider where the provider offers
/// that, deleted from the keyring —, its connections record, and its mail from the local store.
/// The mail on the server is not touched.
pub async fn remove_account(
    paths: &crate::config::Paths,
    email: &str,
) -> Result<Removed, SetupError> {
    let removed = Accounts::new(paths).remove(email)?;
    let revocation = withdraw_sign_in(paths, &removed).await;
    // A shared mailbox has no secrets of its own: its member's stay.
    if removed.shared_via.is_none() {
        keyring_store::delete(&removed.email, SecretKind::RefreshToken).await?;
        keyring_store::delete(&removed.email, SecretKind::AppPassword).await?;
        keyring_store::delete(&removed.email, SecretKind::ClientSecret).await?;
    }
    // Its connections record goes with it.
    let log = crate::connections::ConnectionLog::new(paths);
    let owner = removed.email.clone();
    match tokio::task::spawn_blocking(move || log.forget(&owner)).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!("{error}"),
        Err(error) => tracing::warn!("forgetting connections: {error}"),
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
    Ok(Removed {
        account: removed,
        revocation,
    })
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
        send_via_graph: None,
        read_via_graph: None,
        read_via_imap_again: None,
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
    let check = super::verify_smtp(net, &account.smtp, &credentials).await?;
    accounts.upsert(account.clone())?;
    super::record_smtp_check(accounts, &account.email, &check)?;
    Ok(accounts.get(&account.email)?)
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
        send_via_graph: None,
        read_via_graph: None,
        read_via_imap_again: None,
    };
    accounts.upsert(account.clone())?;
    crate::connections::note(&account.email, setup_contacts(plan, &account)).await;
    Ok(account)
}

/// What setting the account up contacted: discovery's hosts, the sign-in service (its page in
/// the browser, given the address as `login_hint`; its token endpoint, given no address), and
/// the IMAP and SMTP servers the check signed in to.
fn setup_contacts(plan: &Plan, account: &Account) -> Vec<Contact> {
    let mut contacts = plan.contacted.clone();
    contacts.extend(sign_in_contacts(&account.auth));
    for (server, purpose, detail) in [
        (&account.imap, Purpose::Imap, Detail::ImapCheck),
        (&account.smtp, Purpose::Smtp, Detail::SmtpCheck),
    ] {
        contacts.push(crate::connections::mail_server(
            &server.host,
            server.port,
            purpose,
            detail,
            &server.username,
            &account.email,
        ));
    }
    contacts
}

/// What a browser sign-in contacted: the sign-in service's metadata (at its issuer), its page in
/// the browser (given the address as `login_hint`) and its token endpoint (given no address).
/// Nothing for a password account.
pub fn sign_in_contacts(auth: &AccountAuth) -> Vec<Contact> {
    let AccountAuth::OAuth2 {
        issuer,
        authorization_endpoint,
        token_endpoint,
        ..
    } = auth
    else {
        return Vec::new();
    };
    let contact = |url: &str, detail, address_sent| {
        url::Url::parse(url)
            .ok()
            .and_then(|url| Contact::for_url(&url, Purpose::SignIn, detail, address_sent))
    };
    issuer
        .as_deref()
        .and_then(|issuer| contact(issuer, Detail::SignInMetadata, false))
        .into_iter()
        .chain(contact(authorization_endpoint, Detail::SignInPage, true))
        .chain(contact(token_endpoint, Detail::CodeExchange, false))
        .collect()
}

/// Records a sign-in made again for an existing account (`tayori account reauth`, the window's
/// "Sign in again"), as setting the account up recorded the first.
pub async fn note_sign_in(email: &str, auth: &AccountAuth) {
    crate::connections::note(email, sign_in_contacts(auth)).await;
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
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
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
