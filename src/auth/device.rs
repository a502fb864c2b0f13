//! The device authorization grant (RFC 8628), for where a browser on this computer cannot reach the
//! loopback listener (remote desktop, VDI, kiosks, locked-down browsers): Tayori shows a short code
//! and an address; the person signs in on any device; Tayori polls the token endpoint meanwhile.
//!
//! Microsoft Entra offers it at `{authority}/oauth2/v2.0/devicecode` for apps with "Allow public
//! client flows" on (else AADSTS7000218 at the token endpoint). Google's device flow does not allow
//! the Gmail scope ("OAuth 2.0 for TV and Limited-Input Device Applications", allowed scopes), so it is
//! never offered there.

use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;

use super::AuthError;
use super::flow::{OAuthClient, Tokens, tenant_of_id_token};
use super::refusal::Refusal;
use crate::net::http::{Http, root_cause};
use crate::redact::Secret;

/// What the person is shown: where to go and which code to type there.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub user_code: String,
    pub verification_uri: String,
    /// When the code stops working.
    pub expires_at: Instant,
    interval: Duration,
    device_code: Secret,
}

impl DeviceAuthorization {
    /// Seconds left before the code expires (for a countdown).
    pub fn seconds_left(&self) -> u64 {
        self.expires_at
            .saturating_duration_since(Instant::now())
            .as_secs()
    }
}

#[derive(Deserialize)]
struct DeviceAnswer {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    expires_in: u64,
    #[serde(default)]
    interval: Option<u64>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// The device authorization endpoint of an Entra-shaped client (`…/oauth2/v2.0/authorize` →
/// `…/oauth2/v2.0/devicecode`); `None` where the provider has none Tayori may use.
pub fn device_endpoint(client: &OAuthClient) -> Option<String> {
    if client.is_google() {
        return None;
    }
    client
        .authorization_endpoint
        .strip_suffix("/oauth2/v2.0/authorize")
        .map(|authority| format!("{authority}/oauth2/v2.0/devicecode"))
}

async fn post(
    http: &Http,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Result<(u16, Vec<u8>), AuthError> {
    let response = http
        .client_for_url(endpoint)
        .await
        .post(endpoint)
        .form(form)
        .send()
        .await
        .map_err(|e| AuthError::Network(root_cause(&e)))?;
    let status = response.status().as_u16();
    // Device answers and refusals are a few hundred bytes; a server that sends more is not read.
    let body = crate::net::http::read_capped(response, 64 * 1024)
        .await
        .map_err(AuthError::Network)?;
    Ok((status, body))
}

fn refusal_from(body: &[u8], status: u16) -> AuthError {
    match serde_json::from_slice::<ErrorAnswer>(body) {
        Ok(answer) => {
            if let Some(description) = &answer.error_description {
                tracing::info!(error = %answer.error, %description, "the device sign-in was refused");
            }
            AuthError::Refused(Refusal::new(
                &answer.error,
                answer.error_description.as_deref(),
            ))
        }
        Err(_) => AuthError::Network(format!(
            "the sign-in service answered HTTP {status} without an explanation"
        )),
    }
}

/// Asks for a code (RFC 8628 §3.1).
pub async fn start(http: &Http, client: &OAuthClient) -> Result<DeviceAuthorization, AuthError> {
    client.check_endpoints()?;
    let endpoint = device_endpoint(client).ok_or(AuthError::DeviceCodeUnavailable)?;
    let scope = client.scopes.join(" ");
    let (status, body) = post(
        http,
        &endpoint,
        &[("client_id", &client.client_id), ("scope", &scope)],
    )
    .await?;
    if !(200..300).contains(&status) {
        return Err(refusal_from(&body, status));
    }
    let answer: DeviceAnswer = serde_json::from_slice(&body)
        .map_err(|e| AuthError::BadMetadata(format!("unreadable device authorization: {e}")))?;
    Ok(DeviceAuthorization {
        user_code: answer.user_code,
        verification_uri: answer.verification_uri,
        expires_at: Instant::now() + Duration::from_secs(answer.expires_in),
        interval: Duration::from_secs(answer.interval.unwrap_or(5).max(1)),
        device_code: Secret::new(answer.device_code),
    })
}

/// The longest pause between polls while the token endpoint is unavailable.
const OUTAGE_INTERVAL_LIMIT: Duration = Duration::from_secs(60);

/// Polls the token endpoint until the person finished (RFC 8628 §3.4, §3.5: `authorization_pending`
/// waits, `slow_down` adds five seconds), the code expired, or `cancel` completes.
///
/// The person may be half-way through signing in on their phone when the token endpoint has a
/// moment's outage (`temporarily_unavailable`, `server_error`, a 5xx without an answer, a dropped
/// connection): polling goes on, each pause twice the last (up to a minute), and only if the code
/// expires during the outage is the outage what the person is told.
pub async fn wait(
    http: &Http,
    client: &OAuthClient,
    authorization: &DeviceAuthorization,
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Tokens, AuthError> {
    let mut interval = authorization.interval;
    let polling = async {
        let mut outage: Option<AuthError> = None;
        loop {
            let pause = match &outage {
                Some(_) => interval.min(OUTAGE_INTERVAL_LIMIT),
                None => interval,
            };
            tokio::time::sleep(pause).await;
            if Instant::now() >= authorization.expires_at {
                return Err(outage.unwrap_or(AuthError::DeviceCodeExpired));
            }
            let answer = post(
                http,
                &client.token_endpoint,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", &client.client_id),
                    ("device_code", authorization.device_code.expose()),
                ],
            )
            .await;
            let (status, body) = match answer {
                Ok(answer) => answer,
                Err(error) => {
                    tracing::info!(%error, "the sign-in service did not answer a poll; polling on");
                    (interval, outage) = (interval * 2, Some(error));
                    continue;
                }
            };
            if (200..300).contains(&status) {
                let answer: TokenAnswer = serde_json::from_slice(&body)
                    .map_err(|e| AuthError::Network(format!("unreadable token response: {e}")))?;
                return Ok(Tokens {
                    access_token: Secret::new(answer.access_token),
                    refresh_token: answer.refresh_token.map(Secret::new),
                    expires_at: answer
                        .expires_in
                        .map(|s| SystemTime::now() + Duration::from_secs(s)),
                    tenant_id: answer.id_token.as_deref().and_then(tenant_of_id_token),
                });
            }
            if outage.take().is_some() {
                // The service answers again: back to the pace it asked for.
                interval = authorization.interval;
            }
            match serde_json::from_slice::<ErrorAnswer>(&body) {
                Ok(answer) if answer.error == "authorization_pending" => {}
                Ok(answer) if answer.error == "slow_down" => interval += Duration::from_secs(5),
                Ok(answer) if answer.error == "expired_token" => {
                    return Err(AuthError::DeviceCodeExpired);
                }
                _ => {
                    let error = refusal_from(&body, status);
                    if !is_outage(&error) {
                        return Err(error);
                    }
                    tracing::info!(%error, "the sign-in service is unavailable for a moment; polling on");
                    (interval, outage) = (interval * 2, Some(error));
                }
            }
        }
    };
    tokio::select! {
        result = polling => result,
        () = cancel => Err(AuthError::Callback(super::loopback::CallbackError::Cancelled)),
    }
}

/// Whether a poll's failure is the service being down for a moment (not the person's sign-in
/// being refused): an answer without an explanation, or `temporarily_unavailable` / `server_error`.
fn is_outage(error: &AuthError) -> bool {
    match error {
        AuthError::Network(_) => true,
        AuthError::Refused(refusal) => refusal.kind == super::refusal::RefusalKind::Unavailable,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(authorization_endpoint: &str) -> OAuthClient {
        OAuthClient {
            client_id: "app".into(),
            authorization_endpoint: authorization_endpoint.into(),
            token_endpoint: String::new(),
            issuer: None,
            iss_required: false,
            scopes: Vec::new(),
            client_secret: None,
        }
    }

    #[test]
    fn entra_has_a_device_endpoint_and_google_is_never_asked() {
        assert_eq!(
            device_endpoint(&client(
                "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
            ))
            .as_deref(),
            Some("https://login.microsoftonline.com/common/oauth2/v2.0/devicecode")
        );
        assert_eq!(
            device_endpoint(&client("https://accounts.google.com/o/oauth2/v2/auth")),
            None
        );
        assert_eq!(
            device_endpoint(&client("https://idp.example.test/authorize")),
            None
        );
    }
}
