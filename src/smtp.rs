//! SMTP submission with lettre over rustls: implicit TLS (465) or STARTTLS that is required (587) —
//! never plaintext. XOAUTH2 with the account's access token, or PLAIN/LOGIN with an app password.
//!
//! Tayori brings the connection up to TLS itself ([`open`]) and hands lettre a stream that is
//! already encrypted: lettre 0.11 keeps its read buffer across its own STARTTLS upgrade, so bytes
//! that arrived with the `220` (before encryption) were read as replies that came over TLS — the
//! injection of RFC 3207 §6. Here the `220` is read byte by byte and anything already waiting after
//! it ends the session ([`SmtpError::StartTlsInjection`]); a server that does not offer STARTTLS is
//! refused in words that say what that can mean ([`SmtpError::NoStartTls`]).
//! A 535 with OAuth is answered by one refresh and one retry. [`verify`] is what account setup
//! uses; [`submit`] is what the outbox (`crate::outbox`) sends each message with, and its
//! [`SubmitError`] sorts failures by what happens next: retry later, or wait for the person.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials as SmtpCredentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_rustls::client::TlsStream;

use crate::auth::{AuthError, Credentials, guidance};
use crate::error::ErrorKind;
use crate::i18n::Lang;
use crate::net::{self, MailStream, NetError, dns::Dns};
use crate::redact::{SERVER_TEXT_CHARS, Secret, server_text};
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
    /// A 4xx answer to the sign-in (`454 4.7.0 Temporary authentication failure`): the server could
    /// not check the sign-in just now (its directory or token check is down). Not a refusal: the
    /// password or token may be fine, and asking the person for another would not help.
    #[error(
        "the SMTP server could not check the sign-in just now and asked to try again later: {reason}"
    )]
    TryLater { reason: String },
    #[error(
        "the SMTP server {host} no longer offers encryption (STARTTLS), which can mean an attack on the network; nothing was sent"
    )]
    NoStartTls { host: String },
    #[error(
        "the connection to the SMTP server {host} was tampered with: data arrived right after the server agreed to STARTTLS, before encryption began (a known attack); nothing was sent"
    )]
    StartTlsInjection { host: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl SmtpError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SmtpError::Refused { .. } => ErrorKind::Refused,
            SmtpError::Resolve { .. } | SmtpError::Connection(_) | SmtpError::TryLater { .. } => {
                ErrorKind::Network
            }
            // Not a certificate problem, so not `Tls` (whose advice is about certificates).
            SmtpError::NoStartTls { .. } | SmtpError::StartTlsInjection { .. } => ErrorKind::Other,
            SmtpError::Auth(error) => error.kind(),
        }
    }
}

/// How long one step of the dialogue (a reply, the handshake) may take.
const STEP_LIMIT: Duration = Duration::from_secs(30);
/// The longest reply read before TLS (a greeting or an EHLO list is a few hundred bytes).
const PLAIN_REPLY_LIMIT: usize = 16 * 1024;

/// A stream that is already TLS, with the server's greeting (read before STARTTLS) put back in
/// front, so that lettre starts its dialogue (greeting, EHLO) as on a fresh connection. The
/// greeting is the server's own, from before the upgrade; everything after it comes over TLS.
#[derive(Debug)]
struct Upgraded {
    greeting: Vec<u8>,
    served: usize,
    tls: TlsStream<MailStream>,
}

impl AsyncRead for Upgraded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.served < self.greeting.len() {
            let n = buf.remaining().min(self.greeting.len() - self.served);
            let start = self.served;
            buf.put_slice(&self.greeting[start..start + n]);
            self.served += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.tls).poll_read(cx, buf)
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Upgraded {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.tls.get_ref().0.peer_addr()
    }
}

/// Reads one SMTP reply (all its lines) without reading past it: byte by byte, bounded in size
/// and time. Returns the reply code and its text.
async fn plain_reply(tcp: &mut MailStream, host: &str) -> Result<(u16, String), SmtpError> {
    let read = async {
        let mut reply = Vec::new();
        let mut line_start = 0;
        loop {
            let byte = tcp.read_u8().await?;
            reply.push(byte);
            if reply.len() > PLAIN_REPLY_LIMIT {
                return Err(std::io::Error::other("the reply is too long"));
            }
            if byte == b'\n' {
                let line = &reply[line_start..];
                // "250-…" continues, "250 …" (or a bare "250") ends the reply.
                if line.len() < 4 || line[3] != b'-' {
                    return Ok(reply);
                }
                line_start = reply.len();
            }
        }
    };
    let reply = tokio::time::timeout(STEP_LIMIT, read)
        .await
        .map_err(|_| {
            SmtpError::Connection(format!(
                "{host} did not answer within {} s",
                STEP_LIMIT.as_secs()
            ))
        })?
        .map_err(|e| SmtpError::Connection(format!("{host}: {e}")))?;
    let text = String::from_utf8_lossy(&reply).into_owned();
    let code = text
        .get(..3)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| {
            SmtpError::Connection(format!(
                "{host} did not answer as an SMTP server: {:?}",
                server_text(&text, 80)
            ))
        })?;
    Ok((code, text))
}

async fn plain_command(tcp: &mut MailStream, host: &str, command: &str) -> Result<(), SmtpError> {
    tokio::time::timeout(STEP_LIMIT, async {
        tcp.write_all(command.as_bytes()).await?;
        tcp.flush().await
    })
    .await
    .map_err(|_| SmtpError::Connection(format!("{host} stopped reading")))?
    .map_err(|e| SmtpError::Connection(format!("{host}: {e}")))
}

fn net_error(error: NetError) -> SmtpError {
    SmtpError::Connection(error.to_string())
}

/// The name Tayori gives in EHLO: the address literal `[127.0.0.1]` (RFC 5321 §4.1.4 allows an
/// address literal where the client has no name to give). Not the machine's host name, which lands
/// in the Received header of every message sent and often names the person or the organisation
/// (`TARO-YAMADA-PC.corp.example.co.jp`).
fn hello_name() -> ClientId {
    ClientId::Ipv4(std::net::Ipv4Addr::LOCALHOST)
}

/// Connects to `server`, encrypted before anything but the greeting, EHLO and STARTTLS is said:
/// returns lettre's connection (greeted, EHLO'd over TLS), ready to sign in.
async fn open(dns: &Dns, server: &Server) -> Result<AsyncSmtpConnection, SmtpError> {
    let host = server.host.as_str();
    let hello = hello_name();
    let stream = match server.security {
        Security::Tls => {
            let tls = net::connect_tls(dns, host, server.port)
                .await
                .map_err(net_error)?;
            Upgraded {
                greeting: Vec::new(),
                served: 0,
                tls,
            }
        }
        Security::StartTls => {
            let mut tcp = net::connect_tcp(dns, host, server.port)
                .await
                .map_err(net_error)?;
            let (code, greeting) = plain_reply(&mut tcp, host).await?;
            if code != 220 {
                return Err(SmtpError::Connection(format!(
                    "{host} did not greet: {}",
                    server_text(greeting.trim_end(), SERVER_TEXT_CHARS)
                )));
            }
            plain_command(&mut tcp, host, &format!("EHLO {hello}\r\n")).await?;
            let (code, ehlo) = plain_reply(&mut tcp, host).await?;
            let offers_starttls = code == 250
                && ehlo.lines().any(|line| {
                    line.get(4..)
                        .and_then(|rest| rest.split_whitespace().next())
                        .is_some_and(|word| word.eq_ignore_ascii_case("STARTTLS"))
                });
            if !offers_starttls {
                return Err(SmtpError::NoStartTls {
                    host: host.to_owned(),
                });
            }
            plain_command(&mut tcp, host, "STARTTLS\r\n").await?;
            let (code, _) = plain_reply(&mut tcp, host).await?;
            if code != 220 {
                return Err(SmtpError::NoStartTls {
                    host: host.to_owned(),
                });
            }
            // Anything already waiting was sent before encryption, yet would be read as if it
            // came over it.
            if tcp.has_unread_bytes() {
                return Err(SmtpError::StartTlsInjection {
                    host: host.to_owned(),
                });
            }
            let tls = net::start_tls(tcp, host, server.port)
                .await
                .map_err(net_error)?;
            Upgraded {
                greeting: greeting.into_bytes(),
                served: 0,
                tls,
            }
        }
    };
    tokio::time::timeout(
        STEP_LIMIT,
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello),
    )
    .await
    .map_err(|_| SmtpError::Connection(format!("{host} did not answer EHLO in time")))?
    .map_err(classify)
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
    if error.is_transient() {
        // 4xx (RFC 4954 §6: 454 "Temporary authentication failure"): try again later, whatever
        // the words say — "authentication" in a 454 is not a refusal.
        return SmtpError::TryLater { reason: text };
    }
    let auth_failure = (error.is_permanent() && text.contains("535"))
        || text.to_ascii_lowercase().contains("authentication");
    if auth_failure {
        return SmtpError::Refused {
            // in the person's language: this is shown as it is (issue 27: English advice under a
            // Japanese locale)
            advice: guidance::explain(&text).map(|g| g.text(Lang::from_system())),
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
    let mut connection = open(dns, server).await?;
    let signed_in = tokio::time::timeout(STEP_LIMIT, connection.auth(&mechanisms, &credentials))
        .await
        .map_err(|_| SmtpError::Connection(format!("{} did not answer the sign-in", server.host)))
        .and_then(|result| result.map_err(classify))
        // lettre returns the last reply of the exchange: anything but 235 is no sign-in.
        .and_then(|reply| {
            if reply.has_code(235) {
                Ok(())
            } else {
                Err(SmtpError::Refused {
                    reason: format!("unexpected reply {} to the sign-in", reply.code()),
                    advice: None,
                })
            }
        });
    let _ = tokio::time::timeout(Duration::from_secs(5), connection.quit()).await;
    signed_in
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
            let token: Secret = tokens.access_token(&server.host).await?;
            let creds = SmtpCredentials::new(server.username.clone(), token.expose().to_owned());
            match try_once(dns, server, creds, vec![Mechanism::Xoauth2]).await {
                Err(SmtpError::Refused { reason, .. }) if !smtp_auth_disabled(&reason) => {
                    tracing::info!(host = %server.host, "SMTP refused the token; refreshing once and retrying");
                    let token = tokens.refresh_after_rejection(&server.host, &token).await?;
                    let creds =
                        SmtpCredentials::new(server.username.clone(), token.expose().to_owned());
                    try_once(dns, server, creds, vec![Mechanism::Xoauth2]).await
                }
                other => other,
            }
        }
    }
}

/// Whether an SMTP refusal says that Exchange Online has SMTP AUTH switched off for the mailbox or
/// the organisation (`535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is
/// disabled for the Tenant/Mailbox`, the other 5.7.139 wordings, `530 5.7.57 Client not
/// authenticated`): a new token cannot help; Microsoft Graph can (`crate::graph`).
pub fn smtp_auth_disabled(reply: &str) -> bool {
    reply.contains("5.7.139") || reply.contains("5.7.57")
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
    pub fn kind(&self) -> ErrorKind {
        match self {
            SubmitError::Transient { .. } => ErrorKind::Network,
            // The message was refused, not the sign-in: signing in again does not help.
            SubmitError::Permanent { .. } => ErrorKind::Other,
            SubmitError::SignIn { .. } => ErrorKind::Refused,
            SubmitError::Auth(error) => error.kind(),
        }
    }
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

/// What the outbox records while a message is submitted, at the two moments that decide what an
/// interruption (a crash, kill -9, power loss) leaves behind.
pub trait Submission {
    /// DATA is about to be sent: before this the server cannot have the message. An error stops
    /// the submission here (nothing was sent).
    fn data_begins(&mut self) -> Result<(), String>;
    /// The server took the message (its reply to the end of the data): called at once, before
    /// QUIT and before anything else, so that what the server acknowledged is recorded first.
    fn accepted(&mut self, accepted: &Accepted);
}

/// A [`Submission`] that records nothing (account checks, tests of the transport).
pub struct Unrecorded;

impl Submission for Unrecorded {
    fn data_begins(&mut self) -> Result<(), String> {
        Ok(())
    }
    fn accepted(&mut self, _: &Accepted) {}
}

/// MAIL FROM's parameters for this envelope and message, or why the server cannot take them.
fn mail_parameters(
    connection: &AsyncSmtpConnection,
    envelope: &Envelope,
    message: &[u8],
) -> Result<Vec<MailParameter>, SubmitError> {
    let info = connection.server_info();
    let mut parameters = Vec::new();
    let non_ascii_address = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|address| !AsRef::<str>::as_ref(address).is_ascii());
    if non_ascii_address {
        if !info.supports_feature(Extension::SmtpUtfEight) {
            return Err(SubmitError::Permanent {
                code: None,
                reason:
                    "the server does not accept addresses with non-ASCII characters (no SMTPUTF8)"
                        .into(),
            });
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !message.is_ascii() {
        if !info.supports_feature(Extension::EightBitMime) {
            return Err(SubmitError::Permanent {
                code: None,
                reason: "the server does not accept 8-bit messages (no 8BITMIME)".into(),
            });
        }
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    Ok(parameters)
}

async fn submit_once(
    dns: &Dns,
    server: &Server,
    credentials: SmtpCredentials,
    mechanisms: Vec<Mechanism>,
    envelope: &Envelope,
    message: &[u8],
    submission: &mut impl Submission,
) -> Result<Accepted, SubmitError> {
    let mut connection = open(dns, server).await.map_err(|error| match error {
        // Nothing was sent, and trying again by itself would meet the same server: the person
        // decides.
        SmtpError::NoStartTls { .. } | SmtpError::StartTlsInjection { .. } => {
            SubmitError::Permanent {
                code: None,
                reason: error.to_string(),
            }
        }
        other => SubmitError::Transient {
            reason: other.to_string(),
        },
    })?;
    let late = |what: &str| SubmitError::Transient {
        reason: format!("{} did not answer {what} in time", server.host),
    };
    let result = async {
        tokio::time::timeout(STEP_LIMIT, connection.auth(&mechanisms, &credentials))
            .await
            .map_err(|_| late("the sign-in"))?
            .map_err(classify_submit)?;
        let parameters = mail_parameters(&connection, envelope, message)?;
        tokio::time::timeout(
            STEP_LIMIT,
            connection.command(Mail::new(envelope.from().cloned(), parameters)),
        )
        .await
        .map_err(|_| late("MAIL FROM"))?
        .map_err(classify_submit)?;
        for recipient in envelope.to() {
            tokio::time::timeout(
                STEP_LIMIT,
                connection.command(Rcpt::new(recipient.clone(), Vec::new())),
            )
            .await
            .map_err(|_| late("RCPT TO"))?
            .map_err(classify_submit)?;
        }
        submission
            .data_begins()
            .map_err(|reason| SubmitError::Transient { reason })?;
        tokio::time::timeout(STEP_LIMIT, connection.command(Data))
            .await
            .map_err(|_| late("DATA"))?
            .map_err(classify_submit)?;
        // The message itself may take long on a slow link: bounded by its size.
        let limit = STEP_LIMIT + Duration::from_secs(message.len() as u64 / (16 * 1024));
        let response = tokio::time::timeout(limit, connection.message(message))
            .await
            .map_err(|_| late("the end of the message"))?
            .map_err(classify_submit)?;
        let accepted = Accepted {
            reply: server_text(
                &format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                ),
                SERVER_TEXT_CHARS,
            ),
        };
        submission.accepted(&accepted);
        Ok(accepted)
    }
    .await;
    // Say goodbye; the outcome is already known (and recorded).
    let _ = tokio::time::timeout(Duration::from_secs(5), connection.quit()).await;
    result
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
    submission: &mut impl Submission,
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
                submission,
            )
            .await
        }
        Credentials::OAuth(tokens) => {
            let token: Secret = tokens.access_token(&server.host).await?;
            let creds = SmtpCredentials::new(server.username.clone(), token.expose().to_owned());
            match submit_once(
                dns,
                server,
                creds,
                vec![Mechanism::Xoauth2],
                &envelope,
                message,
                submission,
            )
            .await
            {
                Err(SubmitError::SignIn { reason }) if !smtp_auth_disabled(&reason) => {
                    tracing::info!(host = %server.host, %reason, "SMTP refused the token; refreshing once and retrying");
                    let token = tokens.refresh_after_rejection(&server.host, &token).await?;
                    let creds =
                        SmtpCredentials::new(server.username.clone(), token.expose().to_owned());
                    submit_once(
                        dns,
                        server,
                        creds,
                        vec![Mechanism::Xoauth2],
                        &envelope,
                        message,
                        submission,
                    )
                    .await
                }
                other => other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_names_no_machine() {
        assert_eq!(hello_name().to_string(), "[127.0.0.1]");
    }
}
