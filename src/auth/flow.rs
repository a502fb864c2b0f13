//! The authorization code flow with PKCE for a native app (RFC 6749, 7636, 8252, 9207, 9700): build
//! the request, open it in the person's browser, catch the redirect on the loopback listener, swap
//! the code for tokens. Also the refresh. Token requests go through the `oauth2` crate over Tayori's
//! one HTTP client.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use oauth2::basic::{BasicErrorResponseType, BasicTokenType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::AuthError;
use super::browser::Browser;
use super::loopback::{BrowserPage, CallbackError, Loopback};
use super::pkce::{Pkce, random_token};
use super::refusal::{Refusal, RefusalKind};
use crate::net::http::Http;
use crate::redact::{SERVER_TEXT_CHARS, Secret, server_text, server_words};

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
    /// The secret of a desktop-app registration where the provider wants one at its token endpoint
    /// although it is not confidential (Google's "Desktop app" clients). Never saved to a file.
    pub client_secret: Option<Secret>,
}

impl OAuthClient {
    /// Codes, verifiers and refresh tokens travel only over HTTPS: checked before a browser opens
    /// and before every refresh, so an account saved before this check (or edited by hand) with a
    /// plain-HTTP address sends nothing there.
    pub fn check_endpoints(&self) -> Result<(), AuthError> {
        use super::metadata::{Binding, check_endpoint};
        check_endpoint(
            "authorization endpoint",
            &self.authorization_endpoint,
            None,
            Binding::AsConfigured,
        )?;
        check_endpoint(
            "token endpoint",
            &self.token_endpoint,
            None,
            Binding::AsConfigured,
        )
    }

    /// Whether this is Google's authorization server, which issues a refresh token only when asked
    /// for offline access (`access_type=offline`) and only at the first consent.
    pub fn is_google(&self) -> bool {
        host_of(&self.authorization_endpoint).as_deref() == Some("accounts.google.com")
    }
}

fn host_of(address: &str) -> Option<String> {
    Url::parse(address)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

/// Tokens from a sign-in or a refresh. Access tokens stay in memory; the refresh token goes to the
/// keyring and nowhere else.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<SystemTime>,
    /// The directory (tenant) the person belongs to, from the ID token's `tid` (Entra), so later
    /// refreshes go to the tenant's own authority.
    pub tenant_id: Option<String>,
}

/// How the sign-in meets the person.
#[derive(Debug, Clone)]
pub struct SignInOptions {
    pub browser: Browser,
    /// The address, so the provider's page is filled in (`login_hint`).
    pub login_hint: Option<String>,
    /// How long to wait for the person in the browser (MFA can take a while).
    pub timeout: Duration,
    /// Ask Google to show its consent screen again, so that it issues a new refresh token (it sends
    /// one only at the first consent). Ignored for every other provider: at Microsoft
    /// `prompt=consent` would force a consent screen that users of many tenants may not answer.
    pub ask_google_consent_again: bool,
}

impl Default for SignInOptions {
    fn default() -> Self {
        Self {
            browser: Browser::System,
            login_hint: None,
            timeout: Duration::from_secs(600),
            ask_google_consent_again: false,
        }
    }
}

/// The authorization request URL. Never `prompt=consent` to Microsoft: there it forces a consent
/// screen on every sign-in; `offline_access` alone asks for a refresh token. Google wants
/// `access_type=offline` for one, and `prompt=consent` only when a new one is needed
/// (`ask_google_consent_again`).
pub fn authorization_url(
    client: &OAuthClient,
    redirect_uri: &str,
    pkce: &Pkce,
    state: &str,
    nonce: Option<&str>,
    login_hint: Option<&str>,
    ask_google_consent_again: bool,
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
        if client.is_google() {
            query.append_pair("access_type", "offline");
            if ask_google_consent_again {
                query.append_pair("prompt", "consent");
            }
        }
    }
    Ok(url)
}

/// The token response with the ID token, when `openid` was asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct IdToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl oauth2::ExtraTokenFields for IdToken {}

type TokenAnswer = StandardTokenResponse<IdToken, BasicTokenType>;

type OAuthBasic = oauth2::Client<
    StandardErrorResponse<BasicErrorResponseType>,
    TokenAnswer,
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
    let mut basic = oauth2::Client::<
        StandardErrorResponse<BasicErrorResponseType>,
        TokenAnswer,
        oauth2::basic::BasicTokenIntrospectionResponse,
        oauth2::StandardRevocableToken,
        oauth2::basic::BasicRevocationErrorResponse,
    >::new(ClientId::new(client.client_id.clone()))
    .set_auth_uri(
        AuthUrl::new(client.authorization_endpoint.clone())
            .map_err(|_| bad("authorization endpoint"))?,
    )
    .set_token_uri(TokenUrl::new(client.token_endpoint.clone()).map_err(|_| bad("token endpoint"))?)
    // A public client: the client id goes in the body, with the desktop-app secret where the
    // provider issued one.
    .set_auth_type(AuthType::RequestBody);
    if let Some(secret) = &client.client_secret {
        basic = basic.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    if let Some(uri) = redirect_uri {
        basic = basic
            .set_redirect_uri(RedirectUrl::new(uri.to_owned()).map_err(|_| bad("redirect URI"))?);
    }
    Ok(basic)
}

fn tokens_from(response: &TokenAnswer) -> Tokens {
    Tokens {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|t| Secret::new(t.secret().clone())),
        // `expires_in` is the server's number: one beyond any clock is no expiry Tayori can keep
        // (the token is then used until it is refused, and refreshed once).
        expires_at: response
            .expires_in()
            .and_then(|d| SystemTime::now().checked_add(d)),
        tenant_id: response
            .extra_fields()
            .id_token
            .as_deref()
            .and_then(tenant_of_id_token),
    }
}

/// The biggest answer read from a token endpoint. Real ones are a few KiB (an access token, a
/// refresh token, an ID token); a server that sends megabytes is refused at this size.
const TOKEN_RESPONSE_LIMIT: usize = 256 * 1024;

/// Why a token request got no usable answer from the HTTP layer.
#[derive(Debug, thiserror::Error)]
enum TokenHttpError {
    #[error("{0}")]
    Request(String),
    #[error("the sign-in service's answer was larger than {} KiB, so Tayori did not read it", TOKEN_RESPONSE_LIMIT / 1024)]
    TooLarge,
}

/// Sends a token request through Tayori's HTTP client and reads at most [`TOKEN_RESPONSE_LIMIT`]
/// bytes of the answer (oauth2's own reqwest adapter reads it whole).
async fn capped_request(
    client: reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, TokenHttpError> {
    let request =
        reqwest::Request::try_from(request).map_err(|e| TokenHttpError::Request(e.to_string()))?;
    let mut response = client
        .execute(request)
        .await
        .map_err(|e| TokenHttpError::Request(crate::net::http::root_cause(&e)))?;
    let refusal = !response.status().is_success();
    if !refusal
        && response
            .content_length()
            .is_some_and(|len| len > TOKEN_RESPONSE_LIMIT as u64)
    {
        return Err(TokenHttpError::TooLarge);
    }
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| TokenHttpError::Request(crate::net::http::root_cause(&e)))?
    {
        if body.len() + chunk.len() > TOKEN_RESPONSE_LIMIT {
            if !refusal {
                return Err(TokenHttpError::TooLarge);
            }
            // An oversized refusal still says why (`invalid_grant` means: sign in again): its
            // error code and the start of its description are kept, the rest is not read.
            body.extend_from_slice(&chunk[..TOKEN_RESPONSE_LIMIT - body.len()]);
            body = trimmed_refusal(&body);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    builder
        .body(body)
        .map_err(|e| TokenHttpError::Request(e.to_string()))
}

/// How much of an oversized refusal's `error_description` is kept.
const TRIMMED_DESCRIPTION: usize = 2048;

/// A refusal cut off at [`TOKEN_RESPONSE_LIMIT`] as JSON again: its `error` and the start of its
/// `error_description` (what oauth2 reads), found by their keys in the bytes that arrived.
fn trimmed_refusal(partial: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(partial);
    let field = |key: &str, limit: usize| -> Option<String> {
        let at = text.find(&format!("\"{key}\""))? + key.len() + 2;
        let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
        let rest = rest.strip_prefix('"')?;
        // The string up to its closing quote, or as far as it arrived (at most `limit` bytes).
        let mut end = 0;
        let mut escaped = false;
        for (index, c) in rest.char_indices() {
            if index >= limit {
                break;
            }
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => break,
                _ => escaped = false,
            }
            end = index + c.len_utf8();
        }
        let raw = &rest[..end];
        // Decoded as JSON where the cut left a whole string; kept as it came where it did not.
        let decoded = (0..8)
            .filter_map(|drop| raw.get(..raw.len().saturating_sub(drop)))
            .find_map(|candidate| serde_json::from_str::<String>(&format!("\"{candidate}\"")).ok());
        Some(decoded.unwrap_or_else(|| raw.to_owned()))
    };
    let error = field("error", 80).unwrap_or_else(|| "invalid_request".into());
    let mut refusal = serde_json::json!({ "error": error });
    if let Some(description) = field("error_description", TRIMMED_DESCRIPTION) {
        refusal["error_description"] = format!("{description} … (cut short)").into();
    }
    refusal.to_string().into_bytes()
}

/// The `tid` claim of an ID token. The token came straight from the token endpoint over TLS (OpenID
/// Connect Core §3.1.3.7: its signature need not be checked then); the tenant only picks the
/// authority path on the same server for later refreshes.
pub(crate) fn tenant_of_id_token(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let tid = claims.get("tid")?.as_str()?;
    // A tenant id is a GUID; anything else is not used to build an address.
    (tid.len() == 36 && tid.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .then(|| tid.to_ascii_lowercase())
}

fn token_error(
    error: RequestTokenError<TokenHttpError, StandardErrorResponse<BasicErrorResponseType>>,
) -> AuthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            // The server's words are bounded and escaped before they are shown or kept (they end
            // up in accounts.toml as the reason to sign in again).
            let code = server_text(response.error().as_ref(), 80);
            // Line breaks are the server's layout: spaces, so no literal "\r\n" reaches the person.
            let description = response
                .error_description()
                .map(|d| server_words(d, SERVER_TEXT_CHARS));
            let refusal = Refusal::new(&code, description.as_deref());
            if let Some(description) = &description {
                // The whole (bounded) text, trace ids included, is for whoever reads the log.
                tracing::info!(error = %code, %description, "the token endpoint refused");
            }
            if refusal.sign_in_again_helps() {
                AuthError::NeedsSignIn {
                    reason: refusal.to_string(),
                }
            } else if refusal.kind == RefusalKind::Unavailable {
                AuthError::Unavailable(refusal)
            } else {
                AuthError::Refused(refusal)
            }
        }
        RequestTokenError::Request(TokenHttpError::TooLarge) => {
            AuthError::Unusable(TokenHttpError::TooLarge.to_string())
        }
        RequestTokenError::Request(TokenHttpError::Request(e)) => AuthError::Network(e),
        RequestTokenError::Parse(e, _) => AuthError::Network(format!(
            "unreadable token response: {}",
            server_text(&e.to_string(), SERVER_TEXT_CHARS)
        )),
        RequestTokenError::Other(e) => AuthError::Network(e),
    }
}

/// Signs in: opens the browser, waits for the redirect (or `cancel`), exchanges the code. The browser
/// is sent back to Tayori (it does not say "signed in": nothing was checked or saved here).
pub async fn sign_in(
    http: &Http,
    client: &OAuthClient,
    options: &SignInOptions,
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Tokens, AuthError> {
    let (tokens, _page) = sign_in_reporting(http, client, options, |_| {}, cancel).await?;
    Ok(tokens)
}

/// Like [`sign_in`], and hands `opened` the sign-in page's address once the browser was asked to
/// open it — the window offers "open again" and "copy the address" with it while it waits. Dropping
/// the returned future closes the loopback listener. The browser's page is returned unanswered: the
/// caller says "signed in" only once the account works and is saved ([`BrowserPage::signed_in`]);
/// dropped, it sends the person back to Tayori.
pub async fn sign_in_reporting(
    http: &Http,
    client: &OAuthClient,
    options: &SignInOptions,
    opened: impl FnOnce(&Url),
    cancel: impl std::future::Future<Output = ()>,
) -> Result<(Tokens, BrowserPage), AuthError> {
    client.check_endpoints()?;
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
        options.ask_google_consent_again,
    )?;
    tracing::info!(endpoint = %client.authorization_endpoint, "opening the sign-in page in the browser");
    options
        .browser
        .open(url.as_str())
        .map_err(AuthError::Browser)?;
    opened(&url);
    let (response, page) = loopback
        .wait(
            &state,
            client.issuer.as_deref(),
            client.iss_required,
            options.timeout,
            cancel,
        )
        .await
        .map_err(|error| match error {
            CallbackError::Provider { error, description } => {
                if let Some(description) = &description {
                    tracing::info!(%error, %description, "the sign-in service refused");
                }
                AuthError::Refused(Refusal::new(&error, description.as_deref()))
            }
            other => AuthError::Callback(other),
        })?;
    let web = http.client_for_url(&client.token_endpoint).await;
    let exchanged = oauth_client(client, Some(&redirect_uri))?
        .exchange_code(AuthorizationCode::new(response.code.expose().to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce.verifier.expose().to_owned()))
        .request_async(&|request| capped_request(web.clone(), request))
        .await;
    let token = match exchanged {
        Ok(token) => token,
        Err(error) => {
            page.failed().await;
            return Err(token_error(error));
        }
    };
    tracing::info!("tokens received");
    Ok((tokens_from(&token), page))
}

/// Swaps a refresh token for new tokens. A rotated refresh token comes back in `refresh_token`;
/// `invalid_grant` (revoked, expired, password or policy changed) becomes [`AuthError::NeedsSignIn`].
pub async fn refresh(
    http: &Http,
    client: &OAuthClient,
    refresh_token: &Secret,
) -> Result<Tokens, AuthError> {
    refresh_for(http, client, refresh_token, None).await
}

/// Swaps a refresh token for an access token for the resource of `scopes` (Microsoft: one resource
/// per token; the same refresh token redeems for every resource the person consented to). `None`:
/// the scopes of the sign-in.
pub async fn refresh_for(
    http: &Http,
    client: &OAuthClient,
    refresh_token: &Secret,
    scopes: Option<&[String]>,
) -> Result<Tokens, AuthError> {
    client.check_endpoints()?;
    let web = http.client_for_url(&client.token_endpoint).await;
    let oauth = oauth_client(client, None)?;
    let refresh = RefreshToken::new(refresh_token.expose().to_owned());
    let mut request = oauth.exchange_refresh_token(&refresh);
    for scope in scopes.unwrap_or_default() {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let token = request
        .request_async(&|request| capped_request(web.clone(), request))
        .await
        .map_err(token_error)?;
    Ok(tokens_from(&token))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token endpoint that is down says so in OAuth's words (`temporarily_unavailable`,
    /// `server_error`; Entra adds AADSTS90033): that is an outage, not a refusal, and a new sign-in
    /// would not help.
    #[test]
    fn an_outage_of_the_token_endpoint_is_not_a_refusal() {
        for (code, description) in [
            (
                "temporarily_unavailable",
                Some("AADSTS90033: A transient error has occurred. Please try again."),
            ),
            ("server_error", None),
        ] {
            let response = StandardErrorResponse::new(
                BasicErrorResponseType::Extension(code.into()),
                description.map(str::to_owned),
                None,
            );
            let error = token_error(RequestTokenError::ServerResponse(response));
            assert_eq!(
                error.kind(),
                crate::error::ErrorKind::Network,
                "{code}: {error}"
            );
            assert!(!error.sign_in_again_helps(), "{code}: {error}");
            assert!(error.to_string().contains(code), "{error}");
        }
    }

    #[test]
    fn entras_line_breaks_become_spaces_not_escapes_in_a_refusal() {
        let description = "AADSTS65001: The user or administrator has not consented to use the application with ID 'x' named 'Tayori'.\r\nTrace ID: 0b7e5a1c\r\nCorrelation ID: 1c2d3e4f\r\nTimestamp: 2026-12-06 04:00:00Z";
        let response = StandardErrorResponse::new(
            BasicErrorResponseType::InvalidGrant,
            Some(description.to_owned()),
            None,
        );
        let said = match token_error(RequestTokenError::ServerResponse(response)) {
            AuthError::Refused(refusal) => refusal.to_string(),
            AuthError::NeedsSignIn { reason } => reason,
            other => panic!("{other:?}"),
        };
        assert!(!said.contains("\\r") && !said.contains('\r'), "{said}");
        assert!(said.contains("named 'Tayori'."), "{said}");
        assert!(!said.contains("Trace ID"), "{said}");
    }

    #[test]
    fn an_oversized_refusal_keeps_its_error_and_the_start_of_its_reason() {
        let mut partial =
            br#"{"error": "invalid_grant", "error_description": "AADSTS70000: expired \u001b[2J"#
                .to_vec();
        partial.extend(std::iter::repeat_n(b'x', 5000));
        let trimmed: serde_json::Value =
            serde_json::from_slice(&trimmed_refusal(&partial)).unwrap();
        assert_eq!(trimmed["error"], "invalid_grant");
        let description = trimmed["error_description"].as_str().unwrap();
        assert!(
            description.starts_with("AADSTS70000: expired \u{1b}[2J"),
            "{description}"
        );
        assert!(description.len() < TRIMMED_DESCRIPTION + 100);
        // Cut inside an escape: still JSON.
        let cut = br#"{"error":"invalid_grant","error_description":"abc\u00"#;
        let trimmed: serde_json::Value = serde_json::from_slice(&trimmed_refusal(cut)).unwrap();
        assert_eq!(trimmed["error"], "invalid_grant");
        assert!(
            trimmed["error_description"]
                .as_str()
                .unwrap()
                .starts_with("abc")
        );
    }

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
            client_secret: None,
        };
        let pkce = Pkce::new();
        let url = authorization_url(
            &client,
            "http://127.0.0.1:5555/",
            &pkce,
            "st",
            None,
            Some("a@contoso.com"),
            true,
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
        assert!(
            !q.contains_key("prompt") && !q.contains_key("access_type"),
            "never prompt=consent to Microsoft, even when Google would be asked again"
        );
        assert!(
            !q.contains_key("code_verifier"),
            "the verifier never goes to the browser"
        );
    }

    #[test]
    fn google_is_asked_for_offline_access_and_consent_only_when_needed() {
        let client = OAuthClient {
            client_id: "desktop.apps.googleusercontent.com".into(),
            authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_endpoint: "https://oauth2.googleapis.com/token".into(),
            issuer: Some("https://accounts.google.com".into()),
            iss_required: false,
            scopes: vec!["https://mail.google.com/".into()],
            client_secret: Some(Secret::new("GOCSPX-not-confidential")),
        };
        let pkce = Pkce::new();
        let query = |again| -> std::collections::HashMap<String, String> {
            authorization_url(
                &client,
                "http://127.0.0.1:5/",
                &pkce,
                "s",
                None,
                None,
                again,
            )
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
        };
        assert_eq!(query(false)["access_type"], "offline");
        assert!(!query(false).contains_key("prompt"));
        assert_eq!(query(true)["prompt"], "consent");
        assert!(
            !query(true).values().any(|v| v.contains("GOCSPX")),
            "the secret goes to the token endpoint only"
        );
    }

    #[test]
    fn the_tenant_is_read_from_the_id_token() {
        let encode = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        let token = format!(
            "{}.{}.sig",
            encode(r#"{"alg":"RS256"}"#),
            encode(r#"{"tid":"AAAABBBB-0000-4FAB-8000-000000000002","iss":"x"}"#)
        );
        assert_eq!(
            tenant_of_id_token(&token).as_deref(),
            Some("aaaabbbb-0000-4fab-8000-000000000002")
        );
        let hostile = format!("x.{}.y", encode(r#"{"tid":"../../evil.test/x"}"#));
        assert_eq!(tenant_of_id_token(&hostile), None);
        assert_eq!(tenant_of_id_token("not a token"), None);
    }
}
