//! Signing in: the OAuth client for the provider (configured, registered on the spot, or named by
//! the mail server itself), the sign-in in the system browser, and the app password's one check.
//! How an OAuth account is stored, and read back.

use std::sync::Arc;
use std::time::Duration;

use super::{Plan, SetupError};
use crate::account::{AccountAuth, Server};
use crate::auth::browser::Browser;
use crate::auth::flow::{self, OAuthClient, SignInOptions};
use crate::auth::loopback::BrowserPage;
use crate::auth::metadata::Binding;
use crate::auth::tokens::TokenManager;
use crate::auth::{clients, metadata, sasl};
use crate::config::Settings;
use crate::discovery::Source;
use crate::imap;
use crate::net::Net;
use crate::redact::Secret;

/// Scopes asked from a generic OpenID provider found through discovery or a server's hint.
pub const GENERIC_SCOPES: [&str; 3] = ["openid", "email", "offline_access"];

/// How long the person has to finish in the browser (MFA, a phone in another room).
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(600);

/// Asks the IMAP server where to sign in: a bearer attempt with no token is refused with the RFC 7628
/// JSON naming the provider's `openid-configuration` (and the scope it wants).
pub async fn issuer_hint_from_server(
    net: &Net,
    server: &Server,
) -> Result<(String, Option<String>), SetupError> {
    let (stream, _) = imap::connect(&net.dns, server).await?;
    let client = async_imap::Client::new(stream);
    struct Probe {
        initial: Vec<u8>,
        sent: bool,
        challenge: Option<Vec<u8>>,
    }
    impl async_imap::Authenticator for &mut Probe {
        type Response = Vec<u8>;
        fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
            if self.sent {
                self.challenge = Some(challenge.to_vec());
                return Vec::new();
            }
            self.sent = true;
            self.initial.clone()
        }
    }
    // A placeholder bearer that no server accepts: Dovecot (like any server checking the token's
    // form first) refuses an empty one at once, without the RFC 7628 challenge that names the
    // sign-in service — the challenge comes for a token it tried and refused.
    let placeholder = Secret::new("tayori-asks-where-to-sign-in");
    let initial = sasl::oauthbearer(&server.username, &server.host, server.port, &placeholder);
    let mut probe = Probe {
        initial: initial.expose().as_bytes().to_vec(),
        sent: false,
        challenge: None,
    };
    let _ = client.authenticate("OAUTHBEARER", &mut probe).await;
    let failure = probe
        .challenge
        .as_deref()
        .and_then(sasl::BearerFailure::parse)
        .ok_or(SetupError::NoIssuerHint)?;
    let configuration = failure
        .openid_configuration
        .ok_or(SetupError::NoIssuerHint)?;
    Ok((configuration, failure.scope))
}

/// The OAuth client for an account, and — when the mail server had to be asked — the address of the
/// sign-in service it named.
#[derive(Debug, Clone)]
pub struct ResolvedClient {
    pub client: OAuthClient,
    pub named_by_server: Option<String>,
}

/// Works out the OAuth client from discovery, the provider's metadata and, failing those, the mail
/// server's own hint.
pub async fn oauth_client(
    net: &Net,
    settings: &Settings,
    plan: &Plan,
) -> Result<ResolvedClient, SetupError> {
    let found = plan.oauth_offer().cloned().unwrap_or_default();
    // Why the metadata could not be had, for the error if discovery gave no endpoints either.
    let mut metadata_problem = None;
    let mut named_by_server = None;
    // A provider Tayori knows and one the administrator pinned are taken as configured; any other
    // authorization server (from a discovery answer or the mail server's hint) keeps its
    // endpoints in its issuer's domain.
    let binding = if plan.provider.is_some() || plan.source == Some(Source::AdminPolicy) {
        Binding::AsConfigured
    } else {
        Binding::ToIssuer
    };
    let (meta, mut scopes) = match &found.issuer {
        Some(issuer) => (
            match binding {
                Binding::AsConfigured => {
                    metadata::for_issuer_as_configured(&net.http, issuer).await
                }
                Binding::ToIssuer => metadata::for_issuer(&net.http, issuer).await,
            }
            .map_err(|e| metadata_problem = Some(e.to_string()))
            .ok(),
            found.scopes.clone(),
        ),
        // Both endpoints given (an administrator's policy pins them, perhaps without an issuer):
        // taken as given, checked below; the mail server is not asked where to sign in.
        None if found.authorization_endpoint.is_some() && found.token_endpoint.is_some() => {
            (None, found.scopes.clone())
        }
        None => {
            let (configuration, scope) = issuer_hint_from_server(net, &plan.imap).await?;
            let meta = metadata::from_configuration_url(&net.http, &configuration).await?;
            named_by_server = Some(configuration);
            let mut scopes: Vec<String> = GENERIC_SCOPES.map(String::from).to_vec();
            scopes.extend(
                scope
                    .iter()
                    .flat_map(|s| s.split_whitespace().map(str::to_owned)),
            );
            (Some(meta), scopes)
        }
    };
    if scopes.is_empty() {
        scopes = GENERIC_SCOPES.map(String::from).to_vec();
    }
    let unknown = |what: &str| {
        SetupError::NoSignInService(
            metadata_problem
                .clone()
                .unwrap_or_else(|| format!("the sign-in service's {what} is unknown")),
        )
    };
    let (authorization_endpoint, token_endpoint, issuer, iss_required, registration) = match &meta {
        Some(m) => (
            m.authorization_endpoint.clone(),
            m.token_endpoint.clone(),
            Some(m.issuer.clone()).filter(|i| !i.contains('{')),
            m.authorization_response_iss_parameter_supported && !m.issuer.contains('{'),
            m.registration_endpoint.clone(),
        ),
        None => {
            // No metadata: the discovery document's own endpoints, checked as metadata would be
            // (HTTPS, and in the issuer's domain), before any browser opens.
            let authorization = found
                .authorization_endpoint
                .clone()
                .ok_or_else(|| unknown("address"))?;
            let token = found
                .token_endpoint
                .clone()
                .ok_or_else(|| unknown("token address"))?;
            let issuer = found.issuer.as_deref();
            metadata::check_endpoint("authorization endpoint", &authorization, issuer, binding)?;
            metadata::check_endpoint("token endpoint", &token, issuer, binding)?;
            (authorization, token, None, false, None)
        }
    };
    // A server named by the mail server must say who answers (RFC 9207 `iss`), whatever its
    // metadata claims: that is what tells a mix-up apart.
    let iss_required = iss_required || (named_by_server.is_some() && issuer.is_some());
    let (client_id, source) = clients::resolve(
        &net.http,
        settings,
        plan.policy_client_id.as_deref(),
        plan.provider,
        issuer.as_deref().or(found.issuer.as_deref()),
        registration.as_deref(),
    )
    .await?;
    tracing::info!(?source, "OAuth client id chosen");
    let client_secret = clients::secret_for(
        settings,
        &client_id,
        plan.provider,
        issuer.as_deref().or(found.issuer.as_deref()),
    );
    Ok(ResolvedClient {
        client: OAuthClient {
            client_id,
            authorization_endpoint,
            token_endpoint,
            issuer,
            iss_required,
            scopes,
            client_secret,
        },
        named_by_server,
    })
}

/// A finished browser sign-in: the account's tokens (refresh token in the keyring), the client as
/// learned from it (Entra: the person's own tenant), and the browser's page, still waiting to be
/// told whether the account works.
pub struct SignedIn {
    pub manager: Arc<TokenManager>,
    pub client: OAuthClient,
    pub page: BrowserPage,
}

/// Signs in through the browser and keeps the refresh token in the keyring; the tokens go only to
/// hosts of the mail service whose IMAP server is `mail_host` ([`crate::auth::audience`]). `opened` gets the
/// sign-in page's address once the browser was asked to open it. Dropping the future (or `cancel`
/// finishing) stops the wait and closes the loopback listener.
///
/// Google sends a refresh token only at the first consent: when a sign-in brings none (the person
/// allowed Tayori before, on another computer), Google is asked once more with its consent screen
/// (`prompt=consent`, which is never sent to Microsoft).
pub async fn sign_in_oauth(
    net: &Net,
    client: &OAuthClient,
    email: &str,
    mail_host: &str,
    browser: Browser,
    opened: impl FnOnce(&url::Url),
    cancel: impl std::future::Future<Output = ()>,
) -> Result<SignedIn, SetupError> {
    let mut options = SignInOptions {
        browser,
        login_hint: Some(email.to_owned()),
        timeout: SIGN_IN_TIMEOUT,
        ask_google_consent_again: false,
    };
    let mut cancel = std::pin::pin!(cancel);
    let (mut tokens, mut page) =
        flow::sign_in_reporting(&net.http, client, &options, opened, cancel.as_mut()).await?;
    if tokens.refresh_token.is_none() && client.is_google() {
        tracing::info!("Google issued no refresh token; asking for its consent once more");
        options.ask_google_consent_again = true;
        drop(page);
        (tokens, page) =
            flow::sign_in_reporting(&net.http, client, &options, |_| {}, cancel.as_mut()).await?;
    }
    if tokens.refresh_token.is_none() {
        tracing::warn!(
            "the provider issued no refresh token; the person will have to sign in again when the access token expires"
        );
    }
    let client = match &tokens.tenant_id {
        Some(tenant) => with_tenant(client, tenant),
        None => client.clone(),
    };
    let manager = TokenManager::new(net.http.clone(), client.clone(), email, mail_host);
    manager.seed(&tokens).await?;
    Ok(SignedIn {
        manager,
        client,
        page,
    })
}

/// Signs in with a code shown to the person (RFC 8628) instead of the loopback redirect: `shown`
/// gets the code and the address to show (with its expiry, for a countdown); the person signs in on
/// any device while Tayori polls. Returns the token manager and the client as learned (the tenant).
pub async fn sign_in_device(
    net: &Net,
    client: &OAuthClient,
    email: &str,
    mail_host: &str,
    shown: impl FnOnce(&crate::auth::device::DeviceAuthorization),
    cancel: impl std::future::Future<Output = ()>,
) -> Result<(Arc<TokenManager>, OAuthClient), SetupError> {
    use crate::auth::device;
    let authorization = device::start(&net.http, client).await?;
    shown(&authorization);
    let tokens = device::wait(&net.http, client, &authorization, cancel).await?;
    let client = match &tokens.tenant_id {
        Some(tenant) => with_tenant(client, tenant),
        None => client.clone(),
    };
    let manager = TokenManager::new(net.http.clone(), client.clone(), email, mail_host);
    manager.seed(&tokens).await?;
    Ok((manager, client))
}

/// Entra's authorities that stand for many tenants; after a sign-in the person's own is used.
const MULTI_TENANT_AUTHORITIES: [&str; 3] = ["common", "organizations", "consumers"];
/// The tenant of personal Microsoft accounts, whose authority is `consumers`.
const MICROSOFT_PERSONAL_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// The client at the person's own tenant: `/common/oauth2/v2.0/token` becomes
/// `/{tenant}/oauth2/v2.0/token` (and the same for the authorization endpoint), so refreshes and later
/// sign-ins go to the directory that issued the tokens, as Entra asks of multi-tenant apps. A client
/// already pinned to a tenant (an admin policy) is kept as it is.
pub fn with_tenant(client: &OAuthClient, tenant: &str) -> OAuthClient {
    let authority = if tenant == MICROSOFT_PERSONAL_TENANT {
        "consumers"
    } else {
        tenant
    };
    let retarget = |endpoint: &str| -> Option<String> {
        let mut url = url::Url::parse(endpoint).ok()?;
        let first = url.path_segments()?.next()?.to_owned();
        if !MULTI_TENANT_AUTHORITIES.contains(&first.as_str()) {
            return None;
        }
        let rest = url.path()[first.len() + 1..].to_owned();
        url.set_path(&format!("/{authority}{rest}"));
        Some(url.to_string())
    };
    let (Some(authorization_endpoint), Some(token_endpoint)) = (
        retarget(&client.authorization_endpoint),
        retarget(&client.token_endpoint),
    ) else {
        return client.clone();
    };
    let issuer = url::Url::parse(&token_endpoint)
        .ok()
        .map(|u| format!("{}/{tenant}/v2.0", u.origin().ascii_serialization()));
    tracing::info!(%tenant, "the tenant is learned; later sign-ins and refreshes go to it");
    OAuthClient {
        authorization_endpoint,
        token_endpoint,
        issuer,
        iss_required: false,
        ..client.clone()
    }
}

/// How an OAuth account is stored.
pub fn oauth_auth(client: &OAuthClient) -> AccountAuth {
    AccountAuth::OAuth2 {
        client_id: client.client_id.clone(),
        issuer: client.issuer.clone(),
        authorization_endpoint: client.authorization_endpoint.clone(),
        token_endpoint: client.token_endpoint.clone(),
        iss_required: client.iss_required,
        scopes: client.scopes.clone(),
    }
}

/// The OAuth client an account was set up with.
pub fn saved_oauth_client(auth: &AccountAuth) -> Option<OAuthClient> {
    match auth {
        AccountAuth::OAuth2 {
            client_id,
            issuer,
            authorization_endpoint,
            token_endpoint,
            iss_required,
            scopes,
        } => Some(OAuthClient {
            client_id: client_id.clone(),
            authorization_endpoint: authorization_endpoint.clone(),
            token_endpoint: token_endpoint.clone(),
            issuer: issuer.clone(),
            iss_required: *iss_required,
            scopes: scopes.clone(),
            // The built-in desktop secret; a configured one is read from the keyring when needed.
            client_secret: clients::built_in_secret(client_id).map(Secret::new),
        }),
        AccountAuth::Password => None,
    }
}

/// The client for signing `account` in again, asking also for Microsoft Graph's sending
/// permissions where the account (or a shared mailbox opened with its sign-in) sends through
/// Graph: incremental consent — the consent page lists only what is missing, and the one refresh
/// token then redeems Graph tokens too.
pub fn with_graph_scopes(
    mut client: OAuthClient,
    accounts: &crate::account::Accounts,
    account: &crate::account::Account,
) -> OAuthClient {
    use crate::account::{SendingWay, sending_way};
    let all = accounts.list().unwrap_or_default();
    let mut wanted: Vec<&str> = Vec::new();
    if sending_way(account) != SendingWay::Smtp {
        wanted.extend(crate::graph::SEND_SCOPES);
    }
    if all.iter().any(|a| {
        a.shared_via
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case(&account.email))
            && sending_way(a) != SendingWay::Smtp
    }) {
        wanted.extend(crate::graph::SHARED_SEND_SCOPES);
    }
    for scope in wanted {
        if !client.scopes.iter().any(|s| s == scope) {
            client.scopes.push(scope.to_owned());
        }
    }
    client
}

/// Reads a password that must not be empty.
pub fn non_empty_password(password: String) -> Result<Secret, SetupError> {
    if password.is_empty() {
        return Err(SetupError::NoPassword);
    }
    Ok(Secret::new(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn microsoft(authority: &str) -> OAuthClient {
        OAuthClient {
            client_id: "app".into(),
            authorization_endpoint: format!(
                "https://login.microsoftonline.com/{authority}/oauth2/v2.0/authorize"
            ),
            token_endpoint: format!(
                "https://login.microsoftonline.com/{authority}/oauth2/v2.0/token"
            ),
            issuer: None,
            iss_required: false,
            scopes: vec!["offline_access".into()],
            client_secret: None,
        }
    }

    #[test]
    fn the_tenant_learned_replaces_a_multi_tenant_authority_only() {
        let tid = "aaaabbbb-0000-4fab-8000-000000000002";
        let learned = with_tenant(&microsoft("common"), tid);
        assert_eq!(
            learned.token_endpoint,
            format!("https://login.microsoftonline.com/{tid}/oauth2/v2.0/token")
        );
        assert_eq!(
            learned.authorization_endpoint,
            format!("https://login.microsoftonline.com/{tid}/oauth2/v2.0/authorize")
        );
        assert_eq!(
            learned.issuer.as_deref(),
            Some(format!("https://login.microsoftonline.com/{tid}/v2.0").as_str())
        );
        let personal = with_tenant(&microsoft("common"), MICROSOFT_PERSONAL_TENANT);
        assert!(
            personal
                .token_endpoint
                .contains("/consumers/oauth2/v2.0/token")
        );
        let pinned = microsoft("contoso.onmicrosoft.com");
        assert_eq!(
            with_tenant(&pinned, tid),
            pinned,
            "an admin's pinned tenant stays"
        );
    }
}
