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

fn validate(
    metadata: ServerMetadata,
    expected_issuer: Option<&str>,
) -> Result<ServerMetadata, AuthError> {
    if let Some(expected) = expected_issuer
        && !issuer_matches(expected, &metadata.issuer)
    {
        return Err(AuthError::IssuerMismatch {
            expected: expected.to_owned(),
            got: metadata.issuer,
        });
    }
    for endpoint in [&metadata.authorization_endpoint, &metadata.token_endpoint] {
        let url = Url::parse(endpoint)
            .map_err(|_| AuthError::BadMetadata(format!("invalid endpoint {endpoint}")))?;
        if url.scheme() != "https" {
            return Err(AuthError::BadMetadata(format!(
                "endpoint {endpoint} is not HTTPS"
            )));
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

/// Fetches and checks the metadata of an issuer.
pub async fn for_issuer(http: &Http, issuer: &str) -> Result<ServerMetadata, AuthError> {
    let mut last_error = String::new();
    for url in metadata_urls(issuer)? {
        match get_json(http, url).await {
            Ok(metadata) => return validate(metadata, Some(issuer)),
            Err(error) => last_error = error,
        }
    }
    Err(AuthError::Metadata(last_error))
}

/// Fetches the metadata a mail server pointed to (RFC 7628 `openid-configuration`). The issuer it
/// names must be on the same host as the URL, so a mail server cannot redirect the sign-in to an
/// arbitrary third party.
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
    validate(metadata, None)
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
        assert!(validate(meta("https://idp.test"), Some("https://idp.test/")).is_ok());
        assert!(matches!(
            validate(meta("https://evil.test"), Some("https://idp.test")),
            Err(AuthError::IssuerMismatch { .. })
        ));
        assert!(
            validate(
                meta("https://login.microsoftonline.com/{tenantid}/v2.0"),
                Some("https://login.microsoftonline.com/common/v2.0")
            )
            .is_ok()
        );
    }

    #[test]
    fn servers_without_s256_or_with_http_endpoints_are_refused() {
        let mut plain = meta("https://idp.test");
        plain.code_challenge_methods_supported = vec!["plain".into()];
        assert!(validate(plain, None).is_err());
        let mut http = meta("https://idp.test");
        http.token_endpoint = "http://idp.test/token".into();
        assert!(validate(http, None).is_err());
    }
}
