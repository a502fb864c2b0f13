//! Signing in: OAuth 2.0 authorization code + PKCE in the system browser, app passwords as the
//! fallback, refresh tokens in the OS keyring (the auth issue fills this in).
//!
//! What exists now is what every later part needs first: the SASL strings that carry a bearer token to
//! IMAP and SMTP.

pub mod sasl;
