//! SMTP submission with lettre over rustls: implicit TLS (465) or STARTTLS that is required (587) —
//! never plaintext. XOAUTH2 with the account's access token, or PLAIN/LOGIN with an app password.
//! A 535 with OAuth is answered by one refresh and one retry. [`verify`] is what account setup
//! uses; [`submit`] is what the outbox (`crate::outbox`) sends each message with, and its
//! [`SubmitError`] sorts failures by what happens next: retry later, or wait for the person.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials as SmtpCredentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use thiserror::Error;

use crate::auth::{AuthError, Credentials, guidance};
use crate::i18n::{Lang, Text};
use crate::net::dns::Dns;
use crate::redact::Secret;
use crate::server::{Security, Server};

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

/// lettre cannot answer the error challenge (`334` and a JSON error, RFC 7628 §3.2.2) that
/// Dovecot and Gmail send when they refuse a bearer token: the refusal reaches Tayori as this
/// client error instead of the `535` that would follow the (empty) answer.
const XOAUTH2_ERROR_CHALLENGE: &str = "does not expect a challenge";

fn is_bearer_refusal(error: &lettre::transport::smtp::Error) -> bool {
    error.is_client() && error.to_string().contains(XOAUTH2_ERROR_CHALLENGE)
}

fn classify(error: lettre::transport::smtp::Error) -> SmtpError {
    if is_bearer_refusal(&error) {
        return SmtpError::Refused {
            reason: "the server refused the access token".into(),
            advice: None,
        };
    }
    let text = error.to_string();
    let auth_failure = (error.is_permanent() && text.contains("535"))
        || text.to_ascii_lowercase().contains("authentication");
    if auth_failure {
        return SmtpError::Refused {
            advice: guidance::explain(&text).map(|g| g.text(Lang::En)),
            reason: text,
        };
    }
    SmtpError::Connection(crate::net::http::root_cause(&error))
}

/// A TLS stream lettre can speak over (its stream trait is lettre's, the stream tokio-rustls's).
#[derive(Debug)]
struct Tunnelled(tokio_rustls::client::TlsStream<tokio::net::TcpStream>);

impl tokio::io::AsyncRead for Tunnelled {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Tunnelled {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Tunnelled {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

/// Where a proxy is named, SMTP goes over a connection Tayori opens itself (`net::connect_tcp`:
/// direct, or tunnelled through HTTP CONNECT or SOCKS5): implicit TLS is set up before the
/// greeting, STARTTLS is required (lettre refuses when the server does not offer it), then the
/// sign-in. Without a proxy, lettre's own transport connects (`transport`).
async fn tunnelled_session(
    dns: &Dns,
    server: &Server,
    credentials: &SmtpCredentials,
    mechanisms: &[Mechanism],
) -> Result<AsyncSmtpConnection, TunnelledError> {
    let hello = ClientId::default();
    let tcp = crate::net::connect_tcp(dns, &server.host, server.port)
        .await
        .map_err(TunnelledError::Net)?;
    let mut connection = match server.security {
        Security::Tls => {
            let tls = crate::net::start_tls(tcp, &server.host, server.port)
                .await
                .map_err(TunnelledError::Net)?;
            AsyncSmtpConnection::connect_with_transport(Box::new(Tunnelled(tls)), &hello)
                .await
                .map_err(TunnelledError::Smtp)?
        }
        Security::StartTls => {
            let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
                .await
                .map_err(TunnelledError::Smtp)?;
            let parameters = TlsParameters::new(server.host.clone()).map_err(|e| {
                TunnelledError::Net(crate::net::NetError::TrustStore(e.to_string()))
            })?;
            connection
                .starttls(parameters, &hello)
                .await
                .map_err(TunnelledError::Smtp)?;
            connection
        }
    };
    connection
        .auth(mechanisms, credentials)
        .await
        .map_err(TunnelledError::Smtp)?;
    Ok(connection)
}

enum TunnelledError {
    Net(crate::net::NetError),
    Smtp(lettre::transport::smtp::Error),
}

async fn try_once(
    dns: &Dns,
    server: &Server,
    credentials: SmtpCredentials,
    mechanisms: Vec<Mechanism>,
) -> Result<(), SmtpError> {
    if dns.proxy().names_a_proxy() {
        return match tunnelled_session(dns, server, &credentials, &mechanisms).await {
            Ok(mut connection) => {
                let _ = connection.quit().await;
                Ok(())
            }
            Err(TunnelledError::Net(e)) => Err(SmtpError::Connection(e.to_string())),
            Err(TunnelledError::Smtp(e)) => Err(classify(e)),
        };
    }
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

/// Why a message was not accepted, sorted by what happens next.
#[derive(Debug, Error)]
pub enum SubmitError {
    /// Offline, the server down or busy (4xx, network, timeout): the outbox tries again later.
    #[error("the message could not be sent now: {reason}")]
    Transient { reason: String },
    /// The server refused the message (5xx): it stays in the outbox until the person acts.
    #[error("the SMTP server refused the message: {reason}")]
    Permanent { code: Option<u16>, reason: String },
    /// The server refused the sign-in (535), after one refresh for OAuth.
    #[error("the SMTP server refused the sign-in: {reason}")]
    SignIn { reason: String },
    /// No usable token (the sign-in expired or was revoked) or the keyring failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl SubmitError {
    /// Whether trying again later by itself can help.
    pub fn is_transient(&self) -> bool {
        // A refresh that could not reach the sign-in service, or a locked keyring, can pass.
        matches!(
            self,
            SubmitError::Transient { .. }
                | SubmitError::Auth(AuthError::Network(_) | AuthError::Keyring(_))
        )
    }
}

/// What the server said when it took the message (e.g. `250 2.0.0 Ok: queued as …`).
#[derive(Debug, Clone)]
pub struct Accepted {
    pub reply: String,
}

fn reply_text(error: &lettre::transport::smtp::Error) -> String {
    match (error.status(), std::error::Error::source(error)) {
        (Some(code), Some(text)) => format!("{code} {text}"),
        (Some(code), None) => code.to_string(),
        (None, _) => crate::net::http::root_cause(error),
    }
}

fn classify_submit(error: lettre::transport::smtp::Error) -> SubmitError {
    if is_bearer_refusal(&error) {
        return SubmitError::SignIn {
            reason: "the server refused the access token (XOAUTH2)".into(),
        };
    }
    let reason = reply_text(&error);
    let code = error.status().map(u16::from);
    if error.is_permanent() {
        if code == Some(535) || code == Some(534) || code == Some(530) {
            return SubmitError::SignIn { reason };
        }
        return SubmitError::Permanent { code, reason };
    }
    if error.is_client() {
        // lettre refuses before sending: the server lacks STARTTLS (never sent in clear), or the
        // message needs an extension (8BITMIME, SMTPUTF8) it lacks. Retrying cannot help.
        return SubmitError::Permanent { code: None, reason };
    }
    // 4xx replies, network and TLS errors, timeouts.
    SubmitError::Transient { reason }
}

async fn submit_once(
    dns: &Dns,
    server: &Server,
    credentials: SmtpCredentials,
    mechanisms: Vec<Mechanism>,
    envelope: &Envelope,
    message: &[u8],
) -> Result<Accepted, SubmitError> {
    if dns.proxy().names_a_proxy() {
        let mut connection = match tunnelled_session(dns, server, &credentials, &mechanisms).await {
            Ok(connection) => connection,
            Err(TunnelledError::Net(e)) => {
                return Err(SubmitError::Transient {
                    reason: e.to_string(),
                });
            }
            Err(TunnelledError::Smtp(e)) => return Err(classify_submit(e)),
        };
        let result = connection.send(envelope, message).await;
        let _ = connection.quit().await;
        let response = result.map_err(classify_submit)?;
        return Ok(Accepted {
            reply: format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            ),
        });
    }
    let transport = transport(dns, server, credentials, mechanisms)
        .await
        .map_err(|e| SubmitError::Transient {
            reason: e.to_string(),
        })?;
    let result = transport.send_raw(envelope, message).await;
    // The pool would keep the connection open; say goodbye now.
    transport.shutdown().await;
    let response = result.map_err(classify_submit)?;
    Ok(Accepted {
        reply: format!(
            "{} {}",
            response.code(),
            response.message().collect::<Vec<_>>().join(" ")
        ),
    })
}

/// Submits `message` (exactly these bytes) for `recipients`. With OAuth, a refused token (535) is
/// refreshed once and the submission tried once more — safe, because a refused sign-in happens
/// before the server has seen any of the message.
pub async fn submit(
    dns: &Dns,
    server: &Server,
    credentials: &Credentials,
    envelope_from: &str,
    recipients: &[String],
    message: &[u8],
) -> Result<Accepted, SubmitError> {
    let parse = |address: &str| {
        address
            .parse::<lettre::Address>()
            .map_err(|e| SubmitError::Permanent {
                code: None,
                reason: format!("{address:?} is not a valid address: {e}"),
            })
    };
    let to = recipients
        .iter()
        .map(|r| parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let envelope =
        Envelope::new(Some(parse(envelope_from)?), to).map_err(|e| SubmitError::Permanent {
            code: None,
            reason: e.to_string(),
        })?;
    match credentials {
        Credentials::Password(password) => {
            let creds = SmtpCredentials::new(server.username.clone(), password.expose().to_owned());
            submit_once(
                dns,
                server,
                creds,
                vec![Mechanism::Plain, Mechanism::Login],
                &envelope,
                message,
            )
            .await
        }
        Credentials::OAuth(tokens) => {
            let token: Secret = tokens.access_token().await?;
            let creds = SmtpCredentials::new(server.username.clone(), token.expose().to_owned());
            match submit_once(
                dns,
                server,
                creds,
                vec![Mechanism::Xoauth2],
                &envelope,
                message,
            )
            .await
            {
                Err(SubmitError::SignIn { reason }) => {
                    tracing::info!(host = %server.host, %reason, "SMTP refused the token; refreshing once and retrying");
                    let token = tokens.refresh_after_rejection(&token).await?;
                    let creds =
                        SmtpCredentials::new(server.username.clone(), token.expose().to_owned());
                    submit_once(
                        dns,
                        server,
                        creds,
                        vec![Mechanism::Xoauth2],
                        &envelope,
                        message,
                    )
                    .await
                }
                other => other,
            }
        }
    }
}

/// The server's reason in plain words, in `lang`: what happened and what the person (or their
/// administrator) can do. `None` when the reply says nothing Tayori can explain better.
pub fn plain_words(reason: &str, lang: Lang) -> Option<&'static str> {
    if let Some(guidance) = guidance::explain(reason) {
        return Some(guidance.text(lang));
    }
    let reason = reason.trim_start();
    let code = reason
        .get(..3)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
    // The enhanced status code (RFC 3463) after the reply code says more than the code itself.
    let enhanced = reason
        .split_whitespace()
        .find(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .unwrap_or("");
    let text = match (code, enhanced) {
        (Some("535" | "534" | "530"), _) => Text::SmtpAuthRefused,
        (_, e) if e.starts_with("5.1.") => Text::SmtpRecipientRejected,
        (_, "5.2.2" | "4.2.2") => Text::SmtpMailboxFull,
        (_, "5.3.4" | "5.2.3") | (Some("552"), "") => Text::SmtpTooBig,
        (_, e) if e.starts_with("5.7.") => Text::SmtpPolicy,
        (Some("550" | "553"), "") => Text::SmtpRecipientRejected,
        (Some(c), _) if c.starts_with('4') => Text::SmtpTemporary,
        (None, _) => Text::SmtpUnreachable,
        _ => return None,
    };
    Some(lang.text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_for_the_replies_people_meet() {
        let en = |r: &str| plain_words(r, Lang::En).unwrap_or("(none)");
        assert!(en("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.")
            .contains("Set-TransportConfig"));
        assert!(
            plain_words("535 5.7.139 Authentication unsuccessful", Lang::Ja)
                .unwrap()
                .contains("SMTP AUTH")
        );
        assert!(en("550 5.1.1 <x@y>: Recipient address rejected").contains("recipients"));
        assert!(en("552 5.2.2 Mailbox full").contains("full"));
        assert!(en("552 5.3.4 Message size exceeds fixed limit").contains("larger"));
        assert!(en("552 Too much mail data").contains("larger"));
        assert!(en("550 5.7.1 Sender not allowed").contains("policy"));
        assert!(en("535 5.7.8 Authentication credentials invalid").contains("Sign in again"));
        assert!(en("421 4.4.0 Failed to connect to relay server").contains("try again"));
        assert!(en("Connection refused (os error 111)").contains("could not be reached"));
        assert_eq!(plain_words("554 Transaction failed", Lang::En), None);
    }
}
