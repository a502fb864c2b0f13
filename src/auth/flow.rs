//! The authorization code flow with PKCE for a native app (RFC 6749, 7636, 8252, 9207, 9700): build
//! the request, open it in the person's browser, catch the redirect on the loopback listener, swap
//! the code for tokens. Also the refresh. Token requests go through the `oauth2` crate over Tayori's
//! one HTTP client.

use std::time::{Duration, SystemTime};

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, StandardErrorResponse, TokenResponse, TokenUrl,
};
use url::Url;

use super::AuthError;
use super::browser::Browser;
use super::loopback::Loopback;
use super::pkce::{Pkce, random_token};
use crate::net::http::Http;
use crate::redact::Secret;

/// A registered public client at one authorization server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub client_id: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// The issuer, checked against RFC 9207 `iss` in the redirect.
    pub issuer: Option<String>,
    /// The server promised `iss` in every response (metadata), so its absence is an attack sign.
    pub iss_required: bool,
    pub scopes: Vec<String>,
}

/// Tokens from a sign-in or a refresh. Access tokens stay in memory; the refresh token goes to the
/// keyring and nowhere else.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<SystemTime>,
}

/// How the sign-in meets the person.
#[derive(Debug, Clone)]
pub struct SignInOptions {
    pub browser: Browser,
    /// The address, so the provider's page is filled in (`login_hint`).
    pub login_hint: Option<String>,
    /// How long to wait for the person in the browser (MFA can take a while).
    pub timeout: Duration,
}

impl Default for SignInOptions {
    fn default() -> Self {
        Self {
            browser: Browser::System,
            login_hint: None,
            timeout: Duration::from_secs(600),
        }
    }
}

/// The authorization request URL. Never `prompt=consent`: at Microsoft that forces a consent screen
/// on every sign-in; `offline_access` alone asks for a refresh token.
pub fn authorization_url(
    client: &OAuthClient,
    redirect_uri: &str,
    pkce: &Pkce,
    state: &str,
    nonce: Option<&str>,
    login_hint: Option<&str>,
) -> Result<Url, AuthError> {
    let mut url = Url::parse(&client.authorization_endpoint).map_err(|_| {
        AuthError::BadMetadata(format!(
            "invalid authorization endpoint {}",
            client.authorization_endpoint
        ))
    })?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &client.scopes.join(" "))
            .append_pair("state", state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", Pkce::METHOD);
        if let Some(nonce) = nonce {
            query.append_pair("nonce", nonce);
        }
        if let Some(hint) = login_hint {
            query.append_pair("login_hint", hint);
        }
    }
    Ok(url)
}

type OAuthBasic = oauth2::Client<
    StandardErrorResponse<BasicErrorResponseType>,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn oauth_client(client: &OAuthClient, redirect_uri: Option<&str>) -> Result<OAuthBasic, AuthError> {
    let bad = |what: &str| AuthError::BadMetadata(format!("invalid {what}"));
    let mut basic = BasicClient::new(ClientId::new(client.client_id.clone()))
        .set_auth_uri(
            AuthUrl::new(client.authorization_endpoint.clone())
                .map_err(|_| bad("authorization endpoint"))?,
        )
        .set_token_uri(
            TokenUrl::new(client.token_endpoint.clone()).map_err(|_| bad("token endpoint"))?,
        )
        // A public client: the client id goes in the body, there is no secret.
        .set_auth_type(AuthType::RequestBody);
    if let Some(uri) = redirect_uri {
        basic = basic
            .set_redirect_uri(RedirectUrl::new(uri.to_owned()).map_err(|_| bad("redirect URI"))?);
    }
    Ok(basic)
}

fn tokens_from(response: &oauth2::basic::BasicTokenResponse) -> Tokens {
    Tokens {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|t| Secret::new(t.secret().clone())),
        expires_at: response.expires_in().map(|d| SystemTime::now() + d),
    }
}

fn token_error<E: std::error::Error>(
    error: RequestTokenError<E, StandardErrorResponse<BasicErrorResponseType>>,
) -> AuthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let code = response.error().as_ref().to_owned();
            let description = response.error_description().cloned();
            if *response.error() == BasicErrorResponseType::InvalidGrant {
                AuthError::NeedsSignIn {
                    reason: description.unwrap_or(code),
                }
            } else {
                AuthError::Token {
                    error: code,
                    description,
                }
            }
        }
        RequestTokenError::Request(e) => AuthError::Network(crate::net::http::root_cause(&e)),
        RequestTokenError::Parse(e, _) => {
            AuthError::Network(format!("unreadable token response: {e}"))
        }
        RequestTokenError::Other(e) => AuthError::Network(e),
    }
}

/// Signs in: opens the browser, waits for the redirect (or `cancel`), exchanges the code.
pub async fn sign_in(
    http: &Http,
    client: &OAuthClient,
    options: &SignInOptions,
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Tokens, AuthError> {
    sign_in_reporting(http, client, options, |_| {}, cancel).await
}

/// Like [`sign_in`], and hands `opened` the sign-in page's address once the browser was asked to
/// open it — the window offers "open again" and "copy the address" with it while it waits. Dropping
/// the returned future closes the loopback listener.
pub async fn sign_in_reporting(
    http: &Http,
    client: &OAuthClient,
    options: &SignInOptions,
    opened: impl FnOnce(&Url),
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Tokens, AuthError> {
    let pkce = Pkce::new();
    let state = random_token(16);
    let nonce = client
        .scopes
        .iter()
        .any(|s| s == "openid")
        .then(|| random_token(16));
    let loopback = Loopback::bind().await.map_err(AuthError::Callback)?;
    let redirect_uri = loopback.redirect_uri();
    let url = authorization_url(
        client,
        &redirect_uri,
        &pkce,
        &state,
        nonce.as_deref(),
        options.login_hint.as_deref(),
    )?;
    tracing::info!(endpoint = %client.authorization_endpoint, "opening the sign-in page in the browser");
    options
        .browser
        .open(url.as_str())
        .map_err(AuthError::Browser)?;
    opened(&url);
    let response = loopback
        .wait(
            &state,
            client.issuer.as_deref(),
            client.iss_required,
            options.timeout,
            cancel,
        )
        .await
        .map_err(AuthError::Callback)?;
    http.ready().await;
    let token = oauth_client(client, Some(&redirect_uri))?
        .exchange_code(AuthorizationCode::new(response.code.expose().to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce.verifier.expose().to_owned()))
        .request_async(http.client())
        .await
        .map_err(token_error)?;
    tracing::info!("signed in; tokens received");
    Ok(tokens_from(&token))
}

/// Swaps a refresh token for new tokens. A rotated refresh token comes back in `refresh_token`;
/// `invalid_grant` (revoked, expired, password or policy changed) becomes [`AuthError::NeedsSignIn`].
pub async fn refresh(
    http: &Http,
    client: &OAuthClient,
    refresh_token: &Secret,
) -> Result<Tokens, AuthError> {
    http.ready().await;
    let token = oauth_client(client, None)?
        .exchange_refresh_token(&RefreshToken::new(refresh_token.expose().to_owned()))
        .request_async(http.client())
        .await
        .map_err(token_error)?;
    Ok(tokens_from(&token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_url_has_pkce_state_and_no_prompt() {
        let client = OAuthClient {
            client_id: "tayori".into(),
            authorization_endpoint:
                "https://login.microsoftonline.com/common/oauth2/v2.0/authorize".into(),
            token_endpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/token".into(),
            issuer: None,
            iss_required: false,
            scopes: vec![
                "https://outlook.office.com/IMAP.AccessAsUser.All".into(),
                "offline_access".into(),
            ],
        };
        let pkce = Pkce::new();
        let url = authorization_url(
            &client,
            "http://127.0.0.1:5555/",
            &pkce,
            "st",
            None,
            Some("a@contoso.com"),
        )
        .unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce.challenge);
        assert_eq!(q["state"], "st");
        assert_eq!(q["login_hint"], "a@contoso.com");
        assert_eq!(
            q["scope"],
            "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
        );
        assert!(!q.contains_key("prompt"), "never prompt=consent");
        assert!(
            !q.contains_key("code_verifier"),
            "the verifier never goes to the browser"
        );
    }
}
