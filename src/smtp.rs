//! SMTP submission with lettre over rustls: implicit TLS (465) or STARTTLS that is required (587) —
//! never plaintext. XOAUTH2 with the account's access token, or PLAIN/LOGIN with an app password.
//! A 535 with OAuth is answered by one refresh and one retry. The durable outbox is the sending
//! issue's; [`verify`] is what account setup uses.

use lettre::transport::smtp::authentication::{Credentials as SmtpCredentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use thiserror::Error;

use crate::account::Server;
use crate::auth::{AuthError, guidance};
use crate::discovery::Security;
use crate::imap::Credentials;
use crate::net::dns::Dns;
use crate::redact::Secret;

#[derive(Debug, Error)]
pub enum SmtpError {
    #[error("the SMTP server {host} could not be found: {reason}")]
    Resolve { host: String, reason: String },
    #[error("the SMTP server refused the sign-in: {reason}{}", advice.map(|a| format!("\n{a}")).unwrap_or_default())]
    Refused {
        reason: String,
        advice: Option<&'static str>,
    },
    #[error("the SMTP server could not be reached: {0}")]
    Connection(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// A transport for `server`, connecting to the address Tayori's resolver found while checking the
/// certificate for the host name.
async fn transport(
    dns: &Dns,
    server: &Server,
    credentials: SmtpCredentials,
    mechanisms: Vec<Mechanism>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpError> {
    let ip = dns
        .ips(&server.host)
        .await
        .map_err(|e| SmtpError::Resolve {
            host: server.host.clone(),
            reason: e.to_string(),
        })?
        .into_iter()
        .next()
        .ok_or_else(|| SmtpError::Resolve {
            host: server.host.clone(),
            reason: "no address".into(),
        })?;
    let parameters = TlsParameters::new(server.host.clone())
        .map_err(|e| SmtpError::Connection(e.to_string()))?;
    let tls = match server.security {
        Security::Tls => Tls::Wrapper(parameters),
        Security::StartTls => Tls::Required(parameters),
    };
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(ip.to_string())
            .port(server.port)
            .tls(tls)
            .credentials(credentials)
            .authentication(mechanisms)
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build(),
    )
}

fn classify(error: lettre::transport::smtp::Error) -> SmtpError {
    let text = error.to_string();
    let auth_failure = (error.is_permanent() && text.contains("535"))
        || text.to_ascii_lowercase().contains("authentication");
    if auth_failure {
        return SmtpError::Refused {
            advice: guidance::explain(&text).map(|g| g.en),
            reason: text,
        };
    }
    SmtpError::Connection(crate::net::http::root_cause(&error))
}

async fn try_once(
    dns: &Dns,
    server: &Server,
    credentials: SmtpCredentials,
    mechanisms: Vec<Mechanism>,
) -> Result<(), SmtpError> {
    let transport = transport(dns, server, credentials, mechanisms).await?;
    transport
        .test_connection()
        .await
        .map_err(classify)
        .map(|_| ())
}

/// Connects and authenticates (then says goodbye): proves the account can send.
pub async fn verify(
    dns: &Dns,
    server: &Server,
    credentials: &Credentials,
) -> Result<(), SmtpError> {
    match credentials {
        Credentials::Password(password) => {
            let creds = SmtpCredentials::new(server.username.clone(), password.expose().to_owned());
            try_once(dns, server, creds, vec![Mechanism::Plain, Mechanism::Login]).await
        }
        Credentials::OAuth(tokens) => {
            let token: Secret = tokens.access_token().await?;
            let creds = SmtpCredentials::new(server.username.clone(), token.expose().to_owned());
            match try_once(dns, server, creds, vec![Mechanism::Xoauth2]).await {
                Err(SmtpError::Refused { .. }) => {
                    tracing::info!(host = %server.host, "SMTP refused the token; refreshing once and retrying");
                    let token = tokens.refresh_after_rejection(&token).await?;
                    let creds =
                        SmtpCredentials::new(server.username.clone(), token.expose().to_owned());
                    try_once(dns, server, creds, vec![Mechanism::Xoauth2]).await
                }
                other => other,
            }
        }
    }
}
