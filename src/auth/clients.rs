//! Which OAuth client id to use: the admin policy's (an organisation's own Entra app registration),
//! else the settings file's (by provider or issuer), else the project's own registration built into
//! this program (Microsoft, Google), else — where the server allows it — one registered on the spot
//! (RFC 7591, as draft-ietf-mailmaint-oauth-public suggests for open mail clients). With none of
//! these, the person is told so plainly and offered the password path.
//!
//! The built-in registrations are read at build time from `TAYORI_MICROSOFT_CLIENT_ID`,
//! `TAYORI_GOOGLE_CLIENT_ID` and `TAYORI_GOOGLE_CLIENT_SECRET` (the release workflow sets them from
//! the repository's variables; README, "Signing in", says how the apps are registered).

use serde::Deserialize;

use super::AuthError;
use crate::config::Settings;
use crate::discovery::KnownProvider;
use crate::net::http::Http;
use crate::redact::Secret;

/// Where a client id came from (shown by `tayori account list`, useful to admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientIdSource {
    AdminPolicy,
    Settings,
    BuiltIn,
    Registered,
}

const fn non_empty(value: Option<&'static str>) -> Option<&'static str> {
    match value {
        Some(v) if !v.is_empty() => Some(v),
        _ => None,
    }
}

/// The project's Microsoft registration (multi-tenant, work, school and personal accounts).
pub const BUILT_IN_MICROSOFT: Option<&str> = non_empty(option_env!("TAYORI_MICROSOFT_CLIENT_ID"));
/// The project's Google registration (a Desktop app).
pub const BUILT_IN_GOOGLE: Option<&str> = non_empty(option_env!("TAYORI_GOOGLE_CLIENT_ID"));
/// The secret Google issues with a Desktop app client: it wants it at its token endpoint, and
/// documents it as not confidential ("OAuth 2.0 for Mobile & Desktop Apps").
const BUILT_IN_GOOGLE_SECRET: Option<&str> = non_empty(option_env!("TAYORI_GOOGLE_CLIENT_SECRET"));

/// The registration built into this program for a provider.
pub fn built_in(provider: KnownProvider) -> Option<&'static str> {
    match provider {
        KnownProvider::Microsoft => BUILT_IN_MICROSOFT,
        KnownProvider::Google => BUILT_IN_GOOGLE,
    }
}

/// The built-in desktop secret that goes with `client_id`, if it is the built-in Google client.
pub fn built_in_secret(client_id: &str) -> Option<&'static str> {
    (BUILT_IN_GOOGLE == Some(client_id))
        .then_some(BUILT_IN_GOOGLE_SECRET)
        .flatten()
}

/// What `tayori --version` says about the built-in registrations (client ids are public; the secret
/// is not shown).
pub fn built_in_summary() -> String {
    built_in_lines(crate::i18n::Lang::En).join("\n")
}

/// The built-in registrations, one line per provider, in `lang` (Settings, "About Tayori").
pub fn built_in_lines(lang: crate::i18n::Lang) -> Vec<String> {
    use crate::i18n::{Text, fill};
    let line = |name: &str, id: Option<&str>| match id {
        Some(id) => fill(
            lang.text(Text::AboutBuiltInRegistration),
            &[("service", name), ("id", id)],
        ),
        None => fill(
            lang.text(Text::AboutNoBuiltInRegistration),
            &[("service", name)],
        ),
    };
    vec![
        line("Microsoft", BUILT_IN_MICROSOFT),
        line("Google", BUILT_IN_GOOGLE),
    ]
}

/// The client secret for `client_id`: the built-in one, else the settings' (by provider, issuer or
/// the client id itself).
pub fn secret_for(
    settings: &Settings,
    client_id: &str,
    provider: Option<KnownProvider>,
    issuer: Option<&str>,
) -> Option<Secret> {
    if let Some(secret) = built_in_secret(client_id) {
        return Some(Secret::new(secret));
    }
    let secrets = &settings.oauth.client_secrets;
    let configured_id = |key: &str| settings.oauth.client_ids.get(key).map(String::as_str);
    provider
        .map(provider_key)
        .filter(|key| configured_id(key) == Some(client_id))
        .and_then(|key| secrets.get(key))
        .or_else(|| {
            let issuer = issuer?.trim_end_matches('/');
            secrets
                .iter()
                .find(|(k, _)| k.trim_end_matches('/') == issuer)
                .map(|(_, v)| v)
        })
        .or_else(|| secrets.get(client_id))
        .map(|s| Secret::new(s.clone()))
}

fn provider_key(provider: KnownProvider) -> &'static str {
    match provider {
        KnownProvider::Microsoft => "microsoft",
        KnownProvider::Google => "google",
    }
}

/// The configured client id, without asking any server.
pub fn configured(
    settings: &Settings,
    policy_client_id: Option<&str>,
    provider: Option<KnownProvider>,
    issuer: Option<&str>,
) -> Option<(String, ClientIdSource)> {
    if let Some(id) = policy_client_id.filter(|id| !id.is_empty()) {
        return Some((id.to_owned(), ClientIdSource::AdminPolicy));
    }
    let ids = &settings.oauth.client_ids;
    provider
        .and_then(|p| ids.get(provider_key(p)))
        .or_else(|| {
            let issuer = issuer?.trim_end_matches('/');
            ids.iter()
                .find(|(k, _)| k.trim_end_matches('/') == issuer)
                .map(|(_, v)| v)
        })
        .map(|id| (id.clone(), ClientIdSource::Settings))
        .or_else(|| {
            provider
                .and_then(built_in)
                .map(|id| (id.to_owned(), ClientIdSource::BuiltIn))
        })
}

#[derive(Deserialize)]
struct Registered {
    client_id: String,
}

/// The biggest registration answer read: a real one is a few hundred bytes of JSON.
const REGISTRATION_ANSWER_LIMIT: usize = 64 * 1024;

/// Registers Tayori as a native public client (RFC 7591): loopback redirect, PKCE, no secret. The
/// endpoint must be HTTPS (it was checked with the metadata; checked again here).
pub async fn register(http: &Http, registration_endpoint: &str) -> Result<String, AuthError> {
    super::metadata::check_endpoint(
        "registration endpoint",
        registration_endpoint,
        None,
        super::metadata::Binding::AsConfigured,
    )?;
    let body = serde_json::json!({
        "client_name": "Tayori",
        "application_type": "native",
        "redirect_uris": ["http://127.0.0.1/"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    let response = http
        .client_for_url(registration_endpoint)
        .await
        .post(registration_endpoint)
        .json(&body)
        .send()
        .await
        .map_err(|e| AuthError::Network(crate::net::http::root_cause(&e)))?;
    let status = response.status();
    let bytes = crate::net::http::read_capped(response, REGISTRATION_ANSWER_LIMIT)
        .await
        .map_err(AuthError::Network)?;
    if !status.is_success() {
        return Err(AuthError::Token {
            error: format!("client registration refused (HTTP {})", status.as_u16()),
            description: Some(String::from_utf8_lossy(&bytes).chars().take(200).collect()),
        });
    }
    let registered: Registered = serde_json::from_slice(&bytes)
        .map_err(|e| AuthError::BadMetadata(format!("unreadable registration answer: {e}")))?;
    Ok(registered.client_id)
}

/// The client id to use: configured, else registered where the server allows it.
pub async fn resolve(
    http: &Http,
    settings: &Settings,
    policy_client_id: Option<&str>,
    provider: Option<KnownProvider>,
    issuer: Option<&str>,
    registration_endpoint: Option<&str>,
) -> Result<(String, ClientIdSource), AuthError> {
    if let Some(found) = configured(settings, policy_client_id, provider, issuer) {
        return Ok(found);
    }
    if let Some(endpoint) = registration_endpoint {
        return Ok((register(http, endpoint).await?, ClientIdSource::Registered));
    }
    Err(AuthError::NoClientId {
        service: provider
            .map(|p| p.display_name().to_owned())
            .or_else(|| issuer.map(str::to_owned))
            .unwrap_or_else(|| "this mail service".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_policy_beats_settings_and_settings_match_provider_or_issuer() {
        let mut settings = Settings::default();
        settings
            .oauth
            .client_ids
            .insert("microsoft".into(), "from-settings".into());
        settings
            .oauth
            .client_ids
            .insert("https://idp.test/".into(), "by-issuer".into());
        assert_eq!(
            configured(
                &settings,
                Some("from-policy"),
                Some(KnownProvider::Microsoft),
                None
            ),
            Some(("from-policy".into(), ClientIdSource::AdminPolicy))
        );
        assert_eq!(
            configured(&settings, None, Some(KnownProvider::Microsoft), None),
            Some(("from-settings".into(), ClientIdSource::Settings))
        );
        assert_eq!(
            configured(&settings, None, None, Some("https://idp.test"))
                .unwrap()
                .0,
            "by-issuer"
        );
        assert_eq!(
            configured(&settings, None, Some(KnownProvider::Google), None),
            BUILT_IN_GOOGLE.map(|id| (id.to_owned(), ClientIdSource::BuiltIn)),
            "without settings, the built-in registration (if this build has one)"
        );
    }

    #[tokio::test]
    async fn with_no_client_id_and_no_registration_the_error_offers_the_password_path() {
        let http = Http::new(
            crate::net::dns::Dns::new(None, std::time::Duration::from_secs(1)).unwrap(),
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        let err = resolve(
            &http,
            &Settings::default(),
            None,
            None,
            Some("https://login.example.test"),
            None,
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("login.example.test") && text.contains("--auth password"),
            "{text}"
        );
    }
}
