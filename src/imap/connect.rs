//! Connecting and signing in: implicit TLS or strict STARTTLS (never a plaintext fallback), the
//! capabilities asked for after TLS, then OAUTHBEARER or XOAUTH2 chosen by capability, or LOGIN for
//! passwords. A refused OAuth token is refreshed once and tried once more.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::client::TlsStream;

use super::reader::STALL;
use super::{Credentials, ImapError, Session};
use crate::auth::guidance;
use crate::auth::sasl;
use crate::net::{self, MailStream, dns::Dns};
use crate::server::{Security, Server};

/// Reads one line without reading past it (the stream is handed to async-imap afterwards, so no
/// byte of the next response may be swallowed), within [`STALL`].
async fn read_line<S: AsyncRead + Unpin>(
    stream: &mut S,
    host: &str,
    what: &'static str,
) -> Result<String, ImapError> {
    tokio::time::timeout(STALL, read_line_now(stream, host))
        .await
        .map_err(|_| ImapError::Stalled {
            host: host.to_owned(),
            what,
        })?
}

async fn read_line_now<S: AsyncRead + Unpin>(
    stream: &mut S,
    host: &str,
) -> Result<String, ImapError> {
    let mut line = Vec::new();
    loop {
        let byte = stream.read_u8().await.map_err(|e| ImapError::Protocol {
            host: host.to_owned(),
            reason: e.to_string(),
        })?;
        line.push(byte);
        if byte == b'\n' {
            return Ok(String::from_utf8_lossy(&line).trim_end().to_owned());
        }
        if line.len() > 64 * 1024 {
            return Err(ImapError::Protocol {
                host: host.to_owned(),
                reason: "over-long line".into(),
            });
        }
    }
}

/// Sends a command and collects `* CAPABILITY` words until its tagged reply.
async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    tag: &str,
    text: &str,
    caps: &mut Vec<String>,
) -> Result<String, ImapError> {
    stream
        .write_all(format!("{tag} {text}\r\n").as_bytes())
        .await
        .map_err(|e| ImapError::Protocol {
            host: host.to_owned(),
            reason: e.to_string(),
        })?;
    for _ in 0..1000 {
        let line = read_line(stream, host, "answer").await?;
        let upper = line.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix("* CAPABILITY ") {
            caps.extend(rest.split_whitespace().map(str::to_owned));
        }
        if upper.starts_with(&format!("{} ", tag.to_ascii_uppercase())) {
            return Ok(upper);
        }
    }
    Err(ImapError::Protocol {
        host: host.to_owned(),
        reason: "no end to the reply".into(),
    })
}

/// Connects and secures the connection; returns the stream (greeting consumed) and the capabilities
/// the server announces after TLS.
pub async fn connect(
    dns: &Dns,
    server: &Server,
) -> Result<(TlsStream<MailStream>, Vec<String>), ImapError> {
    let host = server.host.as_str();
    let mut tls = match server.security {
        Security::Tls => {
            let mut tls = net::connect_tls(dns, host, server.port).await?;
            let greeting = read_line(&mut tls, host, "greeting").await?;
            if !greeting.to_ascii_uppercase().starts_with("* OK") {
                return Err(ImapError::Protocol {
                    host: host.to_owned(),
                    reason: format!(
                        "greeting {:?}",
                        crate::redact::server_text(&greeting, crate::redact::SERVER_TEXT_CHARS)
                    ),
                });
            }
            tls
        }
        Security::StartTls => {
            let mut tcp = net::connect_tcp(dns, host, server.port).await?;
            let greeting = read_line(&mut tcp, host, "greeting").await?;
            if !greeting.to_ascii_uppercase().starts_with("* OK") {
                return Err(ImapError::Protocol {
                    host: host.to_owned(),
                    reason: format!(
                        "greeting {:?}",
                        crate::redact::server_text(&greeting, crate::redact::SERVER_TEXT_CHARS)
                    ),
                });
            }
            let mut ignored = Vec::new();
            let reply = command(&mut tcp, host, "s1", "STARTTLS", &mut ignored).await?;
            if !reply.starts_with("S1 OK") {
                return Err(ImapError::NoStartTls {
                    host: host.to_owned(),
                });
            }
            // Bytes already waiting after the OK were sent before TLS began, yet would be read as
            // if they came over it (RFC 2595 §3.1; the "NO STARTTLS" class of attacks): refuse.
            if tcp.has_unread_bytes() {
                return Err(ImapError::StartTlsInjection {
                    host: host.to_owned(),
                });
            }
            // Capabilities seen before TLS are discarded: they could have been injected.
            net::start_tls(tcp, host, server.port).await?
        }
    };
    tracing::debug!(host, "IMAP connection secured; asking for capabilities");
    let mut caps = Vec::new();
    command(&mut tls, host, "c1", "CAPABILITY", &mut caps).await?;
    tracing::debug!(host, capabilities = caps.join(" "), "IMAP capabilities");
    Ok((tls, caps))
}

/// Which bearer mechanism to use: OAUTHBEARER (the standard) where offered, else XOAUTH2
/// (Microsoft and Google speak only XOAUTH2).
pub fn bearer_mechanism(caps: &[String]) -> &'static str {
    if caps.iter().any(|c| c == "AUTH=OAUTHBEARER") {
        "OAUTHBEARER"
    } else {
        "XOAUTH2"
    }
}

struct Sasl {
    initial: Vec<u8>,
    sent: bool,
    challenge: Option<String>,
}

impl async_imap::Authenticator for &mut Sasl {
    type Response = Vec<u8>;
    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        if self.sent {
            // The RFC 7628 error challenge: remember it, answer with an empty response.
            self.challenge = Some(String::from_utf8_lossy(challenge).into_owned());
            return Vec::new();
        }
        self.sent = true;
        self.initial.clone()
    }
}

/// The server's own words from async-imap's NO/BAD text, which arrives Debug-formatted
/// (`code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`).
fn server_words(text: &str) -> String {
    match text.split_once("info: Some(\"") {
        Some((_, rest)) => rest
            .strip_suffix("\")")
            .unwrap_or(rest)
            .replace("\\\"", "\"")
            .trim()
            .to_owned(),
        None => text.trim().to_owned(),
    }
}

fn refused(error: async_imap::error::Error, challenge: Option<String>) -> ImapError {
    let reason = match error {
        async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => {
            server_words(&text)
        }
        other => other.to_string(),
    };
    let reason = match challenge {
        Some(json) => format!("{reason} ({json})"),
        None => reason,
    };
    // RFC 5530: the server's authentication backend failed (Dovecot: "Temporary authentication
    // failure"); the credentials were not refused.
    if reason.to_ascii_uppercase().starts_with("[UNAVAILABLE]") {
        return ImapError::Unavailable { reason };
    }
    let advice = guidance::explain(&reason).map(|g| g.text(crate::i18n::Lang::En));
    ImapError::Refused { reason, advice }
}

/// The error for a server's NO to the sign-in carrying `text`, for the sync's tests.
#[cfg(test)]
pub(crate) fn refused_for_test(text: &str) -> ImapError {
    refused(async_imap::error::Error::No(text.into()), None)
}

/// Signs in. With OAuth, a refused token is refreshed once and tried once more before the server's
/// reason is returned.
pub async fn login(
    dns: &Dns,
    server: &Server,
    credentials: &Credentials,
) -> Result<Session, ImapError> {
    let (stream, caps) = connect(dns, server).await?;
    let mut client = async_imap::Client::new(stream);
    match credentials {
        Credentials::Password(password) => {
            if caps.iter().any(|c| c == "LOGINDISABLED") {
                return Err(ImapError::Refused {
                    reason: "the server does not allow password login".into(),
                    advice: guidance::explain("basic authentication is disabled")
                        .map(|g| g.text(crate::i18n::Lang::En)),
                });
            }
            client
                .login(&server.username, password.expose())
                .await
                .map_err(|(e, _)| refused(e, None))
        }
        Credentials::OAuth(tokens) => {
            let mechanism = bearer_mechanism(&caps);
            let mut token = tokens.access_token(&server.host).await?;
            for attempt in 0..2 {
                let initial = match mechanism {
                    "OAUTHBEARER" => {
                        sasl::oauthbearer(&server.username, &server.host, server.port, &token)
                    }
                    _ => sasl::xoauth2(&server.username, &token),
                };
                let mut sasl = Sasl {
                    initial: initial.expose().as_bytes().to_vec(),
                    sent: false,
                    challenge: None,
                };
                match client.authenticate(mechanism, &mut sasl).await {
                    Ok(session) => return Ok(session),
                    Err((error, returned)) => {
                        if attempt == 1 {
                            return Err(refused(error, sasl.challenge));
                        }
                        tracing::info!(host = %server.host, "token refused; refreshing once and retrying");
                        client = returned;
                        token = tokens.refresh_after_rejection(&server.host, &token).await?;
                    }
                }
            }
            unreachable!("the loop returns on its second attempt")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_command_reads_capabilities_until_its_tagged_reply_whatever_the_case() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        let server_side = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let n = server.read(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"c1 CAPABILITY\r\n");
            server
                .write_all(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN Auth=OAuthBearer\r\nc1 OK Capability completed.\r\n")
                .await
                .unwrap();
        });
        let mut caps = Vec::new();
        let reply = command(&mut client, "h", "c1", "CAPABILITY", &mut caps)
            .await
            .unwrap();
        assert!(reply.starts_with("C1 OK"));
        assert_eq!(caps, ["IMAP4REV1", "AUTH=PLAIN", "AUTH=OAUTHBEARER"]);
        server_side.await.unwrap();
    }

    #[test]
    fn oauthbearer_is_preferred_where_offered() {
        let caps = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            bearer_mechanism(&caps(&["IMAP4REV1", "AUTH=XOAUTH2", "AUTH=OAUTHBEARER"])),
            "OAUTHBEARER"
        );
        assert_eq!(
            bearer_mechanism(&caps(&["IMAP4REV1", "AUTH=XOAUTH2"])),
            "XOAUTH2"
        );
    }

    #[test]
    fn the_servers_words_are_taken_out_of_async_imaps_debug_text() {
        assert_eq!(
            server_words(
                r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(server_words("plain words"), "plain words");
    }

    #[test]
    fn refusals_carry_the_servers_words_and_advice() {
        let err = refused(
            async_imap::error::Error::No(
                "AUTHENTICATE failed: basic authentication is disabled".into(),
            ),
            None,
        );
        let text = err.to_string();
        assert!(
            text.contains("basic authentication is disabled")
                && text.contains("modern authentication"),
            "{text}"
        );
    }
}
