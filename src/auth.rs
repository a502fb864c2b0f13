//! Signing in: OAuth 2.0 authorization code + PKCE in the system browser, app passwords as the
//! fallback, refresh tokens in the OS keyring. The auth issue completes this; what is here so far:
//! the SASL strings that carry a bearer token, PKCE and the loopback redirect listener.

pub mod loopback;
pub mod pkce;
pub mod sasl;
