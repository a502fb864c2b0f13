//! Negotiate (Kerberos) sign-in to a proxy: the single sign-on of a Windows domain, where the
//! proxy's 407 says `Proxy-Authenticate: Negotiate` and the computer answers with a ticket it
//! already holds (the person signed in to Windows, or ran `kinit`). No password is asked or kept:
//! the answer is a Kerberos ticket for the proxy's service (`HTTP/proxy-host`), good once.
//!
//! * Windows: SSPI's Negotiate package (through `cross-krb5`), insisting on Kerberos.
//! * Linux and other Unix systems: GSSAPI, loaded at run time ([`gssapi`]), so Tayori still starts
//!   and works without proxies of this kind on a computer that has no Kerberos library; macOS's GSS
//!   framework the same way.
//!
//! Each token is made for one connection: a Kerberos authenticator is refused when it is seen a
//! second time (the proxy's replay cache), so a token is never reused.

#[cfg(unix)]
mod gssapi;

/// Why the computer cannot answer a Negotiate challenge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiateError {
    /// No Kerberos library (GSSAPI) is installed.
    #[error(
        "this computer has no Kerberos library (GSSAPI: libgssapi_krb5); install it, or ask your IT department"
    )]
    NoKerberos,
    /// The library is there, but no ticket for the proxy could be had: not signed in to the domain
    /// (no ticket at all, or an expired one), or the proxy is not known to the domain's KDC.
    #[error("no Kerberos sign-in for HTTP/{host}: {reason}")]
    NoTicket { host: String, reason: String },
}

/// The `Proxy-Authorization` value (`Negotiate <base64 token>`) for the proxy on `host`, from the
/// ticket the system holds; a new token on every call.
pub async fn authorization(host: &str) -> Result<String, NegotiateError> {
    let owned = host.to_owned();
    let token = tokio::task::spawn_blocking(move || system_token(&owned))
        .await
        .map_err(|e| NegotiateError::NoTicket {
            host: host.to_owned(),
            reason: e.to_string(),
        })??;
    use base64::Engine;
    Ok(format!(
        "Negotiate {}",
        base64::engine::general_purpose::STANDARD.encode(token)
    ))
}

/// Whether a proxy's challenges (`Proxy-Authenticate` schemes) include Negotiate.
pub fn offered(schemes: &[String]) -> bool {
    schemes.iter().any(|s| s.eq_ignore_ascii_case("negotiate"))
}

/// The first SPNEGO token for `HTTP@host` (GSSAPI's host-based service name; the KDC's principal
/// `HTTP/host@REALM`), from the default credentials (`KRB5CCNAME`, or the system's cache).
#[cfg(unix)]
fn system_token(host: &str) -> Result<Vec<u8>, NegotiateError> {
    gssapi::first_token(host)
}

/// The first token of SSPI's Negotiate package for `HTTP/host`, from the signed-in Windows user's
/// Kerberos tickets (never NTLM: cross-krb5 refuses a Negotiate that fell back to it).
#[cfg(windows)]
fn system_token(host: &str) -> Result<Vec<u8>, NegotiateError> {
    use cross_krb5::{ClientCtx, InitiateFlags};
    // Only the first leg: a proxy has nothing to send back that Tayori needs, so mutual
    // authentication and confidentiality are not asked for.
    let flags = InitiateFlags::NEGOTIATE_TOKEN
        | InitiateFlags::DISABLE_MUTUAL_AUTH
        | InitiateFlags::DISABLE_CONFIDENTIALITY;
    match ClientCtx::new(flags, None, &format!("HTTP/{host}"), None) {
        Ok((_pending, token)) => Ok(token.to_vec()),
        Err(e) => Err(NegotiateError::NoTicket {
            host: host.to_owned(),
            reason: format!("{e:#}"),
        }),
    }
}

#[cfg(not(any(unix, windows)))]
fn system_token(_host: &str) -> Result<Vec<u8>, NegotiateError> {
    Err(NegotiateError::NoKerberos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiate_is_found_among_the_challenges_in_any_case() {
        let schemes = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(offered(&schemes(&["Basic", "NEGOTIATE"])));
        assert!(offered(&schemes(&["Negotiate"])));
        assert!(!offered(&schemes(&["NTLM", "Basic"])));
    }
}
