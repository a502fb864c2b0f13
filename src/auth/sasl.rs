//! SASL initial responses for bearer tokens.
//!
//! - XOAUTH2 (Google, Microsoft): `user=<address>^Aauth=Bearer <token>^A^A`.
//! - OAUTHBEARER (RFC 7628): `n,a=<address>,^Ahost=<host>^Aport=<port>^Aauth=Bearer <token>^A^A`.
//!
//! Both are secrets (they contain the token), so they come back as [`Secret`]. On failure the server
//! sends a JSON challenge (RFC 7628 §3.2.2); the client must answer it with an empty response, after
//! which the server sends the final failure.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::redact::Secret;

/// Wraps a SASL string and also registers its base64 form: that is how it travels on the wire, and
/// how a protocol library's trace would print it.
fn sasl_secret(raw: String) -> Secret {
    let wire = STANDARD.encode(raw.as_bytes());
    Secret::new(raw).with_wire_form(wire)
}

/// The XOAUTH2 initial client response (before base64, which the IMAP/SMTP library applies).
pub fn xoauth2(user: &str, access_token: &Secret) -> Secret {
    sasl_secret(format!(
        "user={user}\x01auth=Bearer {}\x01\x01",
        access_token.expose()
    ))
}

/// The OAUTHBEARER (RFC 7628) initial client response. A comma or `=` in the authorization identity
/// is escaped as RFC 5801 requires.
pub fn oauthbearer(user: &str, host: &str, port: u16, access_token: &Secret) -> Secret {
    let authzid = user.replace('=', "=3D").replace(',', "=2C");
    sasl_secret(format!(
        "n,a={authzid},\x01host={host}\x01port={port}\x01auth=Bearer {}\x01\x01",
        access_token.expose()
    ))
}

/// Parses the JSON error a server sends when it refuses a bearer token (RFC 7628 §3.2.2). Its
/// `openid-configuration` names the authorization server that issues tokens this server accepts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct BearerFailure {
    pub status: String,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(rename = "openid-configuration", default)]
    pub openid_configuration: Option<String>,
}

impl BearerFailure {
    /// Reads the challenge; `None` when it is not the RFC 7628 JSON (some servers send nothing).
    pub fn parse(challenge: &[u8]) -> Option<Self> {
        serde_json::from_slice(challenge).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_has_the_exact_wire_form() {
        let token = Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
        let sasl = xoauth2("someuser@example.com", &token);
        assert_eq!(
            sasl.expose(),
            "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
        );
        assert_eq!(format!("{sasl:?}"), "[redacted]");
        // The base64 form (as on the wire) is blanked in logs too.
        let wire = STANDARD.encode(sasl.expose());
        let line = format!("encode: input: None, Ok({wire:?})");
        assert!(!crate::redact::redact(&line).contains(&wire));
    }

    #[test]
    fn oauthbearer_matches_rfc7628_and_escapes_the_authzid() {
        let token = Secret::new("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
        let sasl = oauthbearer("user@example.com", "server.example.com", 143, &token);
        // RFC 7628 §4.1 example, byte for byte.
        assert_eq!(
            sasl.expose(),
            "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        let odd = oauthbearer("a,b=c@example.com", "h", 993, &token);
        assert!(
            odd.expose().starts_with("n,a=a=2Cb=3Dc@example.com,\x01"),
            "{:?}",
            odd.expose()
        );
    }

    #[test]
    fn bearer_failure_json_is_read() {
        let dovecot = br#"{"status":"invalid_token","openid-configuration":"https://127.0.0.1:9443/.well-known/openid-configuration"}"#;
        let failure = BearerFailure::parse(dovecot).unwrap();
        assert_eq!(failure.status, "invalid_token");
        assert_eq!(
            failure.openid_configuration.as_deref(),
            Some("https://127.0.0.1:9443/.well-known/openid-configuration")
        );
        assert_eq!(BearerFailure::parse(b"not json"), None);
        assert_eq!(BearerFailure::parse(b""), None);
    }
}
