//! Signing in: the OAuth client for the provider (configured, registered on the spot, or named by
//! the mail server itself), the sign-in in the system browser, and the app password's one check.
//! How an OAuth account is stored, and read back.

use std::sync::Arc;
use std::time::Duration;

use super::{Plan, SetupError};
use crate::account::{AccountAuth, Server};
use crate::auth::browser::Browser;
use crate::auth::flow::{self, OAuthClient, SignInOptions};
use crate::auth::tokens::TokenManager;
use crate::auth::{clients, metadata, sasl};
use crate::config::Settings;
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
    let empty = Secret::new(String::new());
    let initial = sasl::oauthbearer(&server.username, &server.host, server.port, &empty);
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
    let (meta, mut scopes) = match &found.issuer {
        Some(issuer) => (
            metadata::for_issuer(&net.http, issuer)
                .await
                .map_err(|e| metadata_problem = Some(e.to_string()))
                .ok(),
            found.scopes.clone(),
        ),
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
        None => (
            found
                .authorization_endpoint
                .clone()
                .ok_or_else(|| unknown("address"))?,
            found
                .token_endpoint
                .clone()
                .ok_or_else(|| unknown("token address"))?,
            None,
            false,
            None,
        ),
    };
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
    Ok(ResolvedClient {
        client: OAuthClient {
            client_id,
            authorization_endpoint,
            token_endpoint,
            issuer,
            iss_required,
            scopes,
        },
        named_by_server,
    })
}

/// Signs in through the browser and keeps the refresh token in the keyring. `opened` gets the
/// sign-in page's address once the browser was asked to open it. Dropping the future (or `cancel`
/// finishing) stops the wait and closes the loopback listener.
pub async fn sign_in_oauth(
    net: &Net,
    client: &OAuthClient,
    email: &str,
    browser: Browser,
    opened: impl FnOnce(&url::Url),
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Arc<TokenManager>, SetupError> {
    let options = SignInOptions {
        browser,
        login_hint: Some(email.to_owned()),
        timeout: SIGN_IN_TIMEOUT,
    };
    let tokens = flow::sign_in_reporting(&net.http, client, &options, opened, cancel).await?;
    if tokens.refresh_token.is_none() {
        tracing::warn!(
            "the provider issued no refresh token; the person will have to sign in again when the access token expires"
        );
    }
    let manager = TokenManager::new(net.http.clone(), client.clone(), email);
    manager.seed(&tokens).await?;
    Ok(manager)
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
        }),
        AccountAuth::Password => None,
    }
}

/// Reads a password that must not be empty.
pub fn non_empty_password(password: String) -> Result<Secret, SetupError> {
    if password.is_empty() {
        return Err(SetupError::NoPassword);
    }
    Ok(Secret::new(password))
}
