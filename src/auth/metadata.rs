//! Authorization server metadata: RFC 8414 and OpenID Connect discovery. Learnt from an issuer (from
//! discovery's `<oAuth2>` element or Tayori's provider table) or straight from the
//! `openid-configuration` URL a mail server names in its RFC 7628 OAUTHBEARER failure.

use serde::Deserialize;
use url::Url;

use super::AuthError;
use crate::net::http::Http;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: the server puts `iss` in every authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// The metadata URLs to try for an issuer: OpenID Connect's, then RFC 8414's (with the issuer's path
/// inserted after the well-known segment, as §3.1 says).
pub fn metadata_urls(issuer: &str) -> Result<Vec<Url>, AuthError> {
    let issuer_url = Url::parse(issuer).map_err(|_| AuthError::BadIssuer(issuer.to_owned()))?;
    if issuer_url.scheme() != "https" {
        return Err(AuthError::BadIssuer(issuer.to_owned()));
    }
    let trimmed = issuer.trim_end_matches('/');
    let oidc = Url::parse(&format!("{trimmed}/.well-known/openid-configuration"))
        .map_err(|_| AuthError::BadIssuer(issuer.to_owned()))?;
    let path = issuer_url.path().trim_end_matches('/');
    let mut rfc8414 = issuer_url.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    Ok(vec![oidc, rfc8414])
}

/// Whether the metadata's `issuer` is the one asked for. Microsoft's multi-tenant metadata names a
/// template (`https://login.microsoftonline.com/{tenantid}/v2.0`), accepted for Microsoft's host only.
fn issuer_matches(asked: &str, said: &str) -> bool {
    let norm = |s: &str| s.trim_end_matches('/').to_owned();
    if norm(asked) == norm(said) {
        return true;
    }
    said.starts_with("https://login.microsoftonline.com/{tenantid}/")
        && asked.starts_with("https://login.microsoftonline.com/")
}

/// Whether the endpoints of an authorization server must lie in its issuer's own domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// A provider Tayori knows, or one pinned by the administrator: taken as configured (Google's
    /// token endpoint is on googleapis.com, its issuer on accounts.google.com).
    AsConfigured,
    /// Learnt from a mail server's hint (RFC 7628) or a discovery answer: every endpoint must be
    /// at the issuer's registrable domain (its very host when it has none, e.g. an IP address), so
    /// whoever named the server cannot send the person, the code or the tokens somewhere else.
    ToIssuer,
}

/// Checks one endpoint: HTTPS, and with [`Binding::ToIssuer`] in the issuer's domain.
pub fn check_endpoint(
    what: &str,
    endpoint: &str,
    issuer: Option<&str>,
    binding: Binding,
) -> Result<(), AuthError> {
    let url = Url::parse(endpoint).map_err(|_| {
        AuthError::BadMetadata(format!("the {what} {endpoint:?} is not an address"))
    })?;
    if url.scheme() != "https" {
        return Err(AuthError::BadMetadata(format!(
            "the {what} {endpoint} is not HTTPS; Tayori sends sign-in codes and tokens only over HTTPS"
        )));
    }
    if binding == Binding::ToIssuer
        && let Some(issuer) = issuer
    {
        let issuer_host = Url::parse(issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .ok_or_else(|| AuthError::BadIssuer(issuer.to_owned()))?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if !same_site(&issuer_host, &host) {
            return Err(AuthError::BadMetadata(format!(
                "the {what} {endpoint} is not at the sign-in service {issuer_host}"
            )));
        }
    }
    Ok(())
}

/// Two hosts of one organisation: the same registrable domain, or the very same host when there
/// is none (an IP address, a public suffix).
pub fn same_site(a: &str, b: &str) -> bool {
    use crate::discovery::domain::registrable;
    match (registrable(a), registrable(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.trim_end_matches('.') == b.trim_end_matches('.'),
    }
}

/// Checks metadata: the issuer it names, every endpoint (HTTPS, and bound to the issuer when asked)
/// and PKCE S256.
pub fn validate(
    metadata: ServerMetadata,
    expected_issuer: Option<&str>,
    binding: Binding,
) -> Result<ServerMetadata, AuthError> {
    if let Some(expected) = expected_issuer
        && !issuer_matches(expected, &metadata.issuer)
    {
        return Err(AuthError::IssuerMismatch {
            expected: expected.to_owned(),
            got: metadata.issuer,
        });
    }
    let issuer = Some(metadata.issuer.as_str());
    check_endpoint(
        "authorization endpoint",
        &metadata.authorization_endpoint,
        issuer,
        binding,
    )?;
    check_endpoint("token endpoint", &metadata.token_endpoint, issuer, binding)?;
    for (what, endpoint) in [
        ("revocation endpoint", &metadata.revocation_endpoint),
        ("registration endpoint", &metadata.registration_endpoint),
    ] {
        if let Some(endpoint) = endpoint {
            check_endpoint(what, endpoint, issuer, binding)?;
        }
    }
    // PKCE S256 is mandatory for Tayori; a server that lists methods without S256 cannot be used.
    if !metadata.code_challenge_methods_supported.is_empty()
        && !metadata
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
    {
        return Err(AuthError::BadMetadata(
            "the server does not support PKCE S256".into(),
        ));
    }
    Ok(metadata)
}

async fn get_json(http: &Http, url: Url) -> Result<ServerMetadata, String> {
    let fetched = http.get(url).await.map_err(|e| e.to_string())?;
    serde_json::from_slice(&fetched.body).map_err(|e| format!("not valid metadata: {e}"))
}

/// Fetches and checks the metadata of an issuer, its endpoints bound to it (a server learnt from
/// discovery); [`for_issuer_as_configured`] for the providers Tayori knows and admin-pinned ones.
pub async fn for_issuer(http: &Http, issuer: &str) -> Result<ServerMetadata, AuthError> {
    for_issuer_bound(http, issuer, Binding::ToIssuer).await
}

/// Fetches and checks the metadata of a provider Tayori knows or the administrator pinned: its
/// endpoints may be on other hosts of that provider (Google: accounts.google.com and
/// oauth2.googleapis.com), but HTTPS all the same.
pub async fn for_issuer_as_configured(
    http: &Http,
    issuer: &str,
) -> Result<ServerMetadata, AuthError> {
    for_issuer_bound(http, issuer, Binding::AsConfigured).await
}

async fn for_issuer_bound(
    http: &Http,
    issuer: &str,
    binding: Binding,
) -> Result<ServerMetadata, AuthError> {
    let mut last_error = String::new();
    for url in metadata_urls(issuer)? {
        match get_json(http, url).await {
            Ok(metadata) => return validate(metadata, Some(issuer), binding),
            Err(error) => last_error = error,
        }
    }
    Err(AuthError::Metadata(last_error))
}

/// Fetches the metadata a mail server pointed to (RFC 7628 `openid-configuration`). The issuer it
/// names must be on the same host as the URL and every endpoint in the issuer's domain, so a mail
/// server cannot redirect the sign-in (or the code and tokens) to an arbitrary third party.
pub async fn from_configuration_url(
    http: &Http,
    configuration_url: &str,
) -> Result<ServerMetadata, AuthError> {
    let url = Url::parse(configuration_url)
        .map_err(|_| AuthError::BadIssuer(configuration_url.to_owned()))?;
    if url.scheme() != "https" {
        return Err(AuthError::BadIssuer(configuration_url.to_owned()));
    }
    let metadata = get_json(http, url.clone())
        .await
        .map_err(AuthError::Metadata)?;
    let issuer_host = Url::parse(&metadata.issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    if issuer_host.as_deref() != url.host_str() {
        return Err(AuthError::IssuerMismatch {
            expected: url.host_str().unwrap_or_default().to_owned(),
            got: metadata.issuer,
        });
    }
    validate(metadata, None, Binding::ToIssuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_follow_oidc_and_rfc8414() {
        let urls = metadata_urls("https://login.example/tenant/v2.0").unwrap();
        assert_eq!(
            urls[0].as_str(),
            "https://login.example/tenant/v2.0/.well-known/openid-configuration"
        );
        assert_eq!(
            urls[1].as_str(),
            "https://login.example/.well-known/oauth-authorization-server/tenant/v2.0"
        );
        assert!(metadata_urls("http://insecure.example").is_err());
        assert!(metadata_urls("not a url").is_err());
    }

    fn meta(issuer: &str) -> ServerMetadata {
        ServerMetadata {
            issuer: issuer.into(),
            authorization_endpoint: "https://idp.test/auth".into(),
            token_endpoint: "https://idp.test/token".into(),
            revocation_endpoint: None,
            registration_endpoint: None,
            code_challenge_methods_supported: vec!["S256".into()],
            authorization_response_iss_parameter_supported: true,
        }
    }

    #[test]
    fn the_issuer_must_be_the_one_asked_for() {
        assert!(
            validate(
                meta("https://idp.test"),
                Some("https://idp.test/"),
                Binding::ToIssuer
            )
            .is_ok()
        );
        assert!(matches!(
            validate(
                meta("https://evil.test"),
                Some("https://idp.test"),
                Binding::ToIssuer
            ),
            Err(AuthError::IssuerMismatch { .. })
        ));
        assert!(
            validate(
                meta("https://login.microsoftonline.com/{tenantid}/v2.0"),
                Some("https://login.microsoftonline.com/common/v2.0"),
                Binding::AsConfigured
            )
            .is_ok()
        );
    }

    #[test]
    fn servers_without_s256_or_with_http_endpoints_are_refused() {
        let mut plain = meta("https://idp.test");
        plain.code_challenge_methods_supported = vec!["plain".into()];
        assert!(validate(plain, None, Binding::AsConfigured).is_err());
        let mut http = meta("https://idp.test");
        http.token_endpoint = "http://idp.test/token".into();
        assert!(validate(http, None, Binding::AsConfigured).is_err());
        for field in [0, 1] {
            let mut other = meta("https://idp.test");
            let plain = Some("http://idp.test/other".to_owned());
            if field == 0 {
                other.registration_endpoint = plain;
            } else {
                other.revocation_endpoint = plain;
            }
            assert!(validate(other, None, Binding::AsConfigured).is_err());
        }
    }

    #[test]
    fn a_bound_server_keeps_every_endpoint_in_its_issuers_domain() {
        let mut google = meta("https://accounts.google.com");
        google.authorization_endpoint = "https://accounts.google.com/o/oauth2/v2/auth".into();
        google.token_endpoint = "https://oauth2.googleapis.com/token".into();
        assert!(validate(google.clone(), None, Binding::AsConfigured).is_ok());
        assert!(validate(google, None, Binding::ToIssuer).is_err());
        let mut same_domain = meta("https://login.idp.test");
        same_domain.token_endpoint = "https://token.idp.test/token".into();
        assert!(validate(same_domain, None, Binding::ToIssuer).is_ok());
        let mut elsewhere = meta("https://as.mixup.test");
        elsewhere.token_endpoint = "https://127.0.0.1:9443/token".into();
        assert!(validate(elsewhere, None, Binding::ToIssuer).is_err());
        let mut by_address = meta("https://127.0.0.1:9443");
        by_address.authorization_endpoint = "https://127.0.0.1:9443/auth".into();
        by_address.token_endpoint = "https://127.0.0.1:9443/token".into();
        assert!(validate(by_address, None, Binding::ToIssuer).is_ok());
    }
}
