//! Probing a guessed server: does it speak IMAP or SMTP behind TLS or STARTTLS, and which SASL
//! mechanisms does it offer? A probe never sends a user name or password, and never continues on an
//! unencrypted connection beyond asking for STARTTLS.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use super::Security;
use crate::net::{self, NetError, dns::Dns};

/// A probe's failure in a few words for the trace ("connection refused", "certificate not trusted").
fn short(error: NetError) -> String {
    match error {
        NetError::Connect { source, .. }
        | NetError::Tls { source, .. }
        | NetError::TlsBroken { source, .. } => net::http::root_cause(&source),
        other => other.to_string(),
    }
}

/// Writes a command and flushes it (TLS buffers writes; an unflushed command never leaves).
async fn send<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8]) -> Result<(), String> {
    writer.write_all(bytes).await.map_err(|e| e.to_string())?;
    writer.flush().await.map_err(|e| e.to_string())
}

/// Longest line and most lines a probe reads before calling the server broken.
const MAX_LINE: usize = 8 * 1024;
const MAX_LINES: usize = 100;

/// What a probe learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// SASL mechanisms offered after TLS (`PLAIN`, `XOAUTH2`, `OAUTHBEARER`, …), upper case.
    pub auth_mechanisms: Vec<String>,
}

impl ProbeResult {
    pub fn offers_oauth(&self) -> bool {
        self.auth_mechanisms
            .iter()
            .any(|m| m == "XOAUTH2" || m == "OAUTHBEARER")
    }
}

async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Result<String, String> {
    let mut line = Vec::new();
    let mut limited = (&mut *reader).take(MAX_LINE as u64);
    use tokio::io::AsyncReadExt;
    let n = limited
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| e.to_string())?;
    if n == 0 {
        return Err("the server closed the connection".into());
    }
    if !line.ends_with(b"\n") {
        return Err("the server sent an over-long line".into());
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_owned())
}

/// Reads IMAP lines until one starts with `tag` (or, with `tag` empty, the greeting); collects
/// capabilities from `* CAPABILITY` and `[CAPABILITY …]`.
async fn imap_until<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    tag: &str,
    caps: &mut Vec<String>,
) -> Result<String, String> {
    for _ in 0..MAX_LINES {
        let line = read_line(reader).await?;
        let upper = line.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix("* CAPABILITY ") {
            caps.extend(rest.split_whitespace().map(str::to_owned));
        } else if let Some(start) = upper.find("[CAPABILITY ") {
            let rest = &upper[start + 12..];
            let end = rest.find(']').unwrap_or(rest.len());
            caps.extend(rest[..end].split_whitespace().map(str::to_owned));
        }
        if tag.is_empty() {
            if upper.starts_with("* OK") || upper.starts_with("* PREAUTH") {
                return Ok(line);
            }
            return Err(format!("not an IMAP greeting: {}", truncate(&line)));
        }
        if upper.starts_with(&format!("{} ", tag.to_ascii_uppercase())) {
            return Ok(line);
        }
    }
    Err("the server sent too many lines".into())
}

fn truncate(line: &str) -> String {
    line.chars().take(80).collect()
}

fn sasl_from_imap(caps: &[String]) -> Vec<String> {
    caps.iter()
        .filter_map(|c| c.strip_prefix("AUTH=").map(str::to_owned))
        .collect()
}

/// Probes an IMAP server.
pub async fn imap(
    dns: &Dns,
    host: &str,
    port: u16,
    security: Security,
) -> Result<ProbeResult, String> {
    match security {
        Security::Tls => {
            let tls = net::connect_tls(dns, host, port).await.map_err(short)?;
            imap_after_tls(tls, false).await
        }
        Security::StartTls => {
            let tcp = net::connect_tcp(dns, host, port).await.map_err(short)?;
            let mut reader = BufReader::new(tcp);
            let mut caps = Vec::new();
            imap_until(&mut reader, "", &mut caps).await?;
            send(reader.get_mut(), b"p1 STARTTLS\r\n").await?;
            let reply = imap_until(&mut reader, "p1", &mut caps).await?;
            if !reply.to_ascii_uppercase().starts_with("P1 OK") {
                return Err(format!("STARTTLS refused: {}", truncate(&reply)));
            }
            // Anything buffered before the handshake is discarded (STARTTLS response injection).
            let tcp = reader.into_inner();
            let tls = net::start_tls(tcp, host, port).await.map_err(short)?;
            imap_after_tls(tls, true).await
        }
    }
}

async fn imap_after_tls<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    greeted: bool,
) -> Result<ProbeResult, String> {
    let mut reader = BufReader::new(stream);
    let mut caps = Vec::new();
    if !greeted {
        imap_until(&mut reader, "", &mut caps).await?;
    }
    if caps.is_empty() || greeted {
        caps.clear();
        send(reader.get_mut(), b"p2 CAPABILITY\r\n").await?;
        imap_until(&mut reader, "p2", &mut caps).await?;
    }
    let _ = send(reader.get_mut(), b"p3 LOGOUT\r\n").await;
    if !caps.iter().any(|c| c.starts_with("IMAP4")) {
        return Err("the server did not say it speaks IMAP4rev1".into());
    }
    Ok(ProbeResult {
        auth_mechanisms: sasl_from_imap(&caps),
    })
}

/// Reads one SMTP reply (possibly multi-line); returns the code and the text lines.
async fn smtp_reply<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> Result<(u16, Vec<String>), String> {
    let mut lines = Vec::new();
    for _ in 0..MAX_LINES {
        let line = read_line(reader).await?;
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| format!("not an SMTP reply: {}", truncate(&line)))?;
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or_default().to_owned());
        if !more {
            return Ok((code, lines));
        }
    }
    Err("the server sent too many lines".into())
}

fn sasl_from_ehlo(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let upper = l.to_ascii_uppercase();
            upper
                .strip_prefix("AUTH ")
                .or_else(|| upper.strip_prefix("AUTH="))
                .map(|m| m.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        })
        .flatten()
        .collect()
}

const EHLO: &[u8] = b"EHLO [127.0.0.1]\r\n";

/// Probes an SMTP submission server.
pub async fn smtp(
    dns: &Dns,
    host: &str,
    port: u16,
    security: Security,
) -> Result<ProbeResult, String> {
    match security {
        Security::Tls => {
            let tls = net::connect_tls(dns, host, port).await.map_err(short)?;
            smtp_after_tls(tls, true).await
        }
        Security::StartTls => {
            let tcp = net::connect_tcp(dns, host, port).await.map_err(short)?;
            let mut reader = BufReader::new(tcp);
            let (code, _) = smtp_reply(&mut reader).await?;
            if code != 220 {
                return Err(format!("SMTP greeting {code}"));
            }
            send(reader.get_mut(), EHLO).await?;
            let (code, lines) = smtp_reply(&mut reader).await?;
            if code != 250 || !lines.iter().any(|l| l.eq_ignore_ascii_case("STARTTLS")) {
                return Err("the server does not offer STARTTLS".into());
            }
            send(reader.get_mut(), b"STARTTLS\r\n").await?;
            let (code, _) = smtp_reply(&mut reader).await?;
            if code != 220 {
                return Err(format!("STARTTLS refused ({code})"));
            }
            let tls = net::start_tls(reader.into_inner(), host, port)
                .await
                .map_err(short)?;
            smtp_after_tls(tls, false).await
        }
    }
}

async fn smtp_after_tls<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    expect_greeting: bool,
) -> Result<ProbeResult, String> {
    let mut reader = BufReader::new(stream);
    if expect_greeting {
        let (code, _) = smtp_reply(&mut reader).await?;
        if code != 220 {
            return Err(format!("SMTP greeting {code}"));
        }
    }
    send(reader.get_mut(), EHLO).await?;
    let (code, lines) = smtp_reply(&mut reader).await?;
    if code != 250 {
        return Err(format!("EHLO refused ({code})"));
    }
    let _ = send(reader.get_mut(), b"QUIT\r\n").await;
    Ok(ProbeResult {
        auth_mechanisms: sasl_from_ehlo(&lines),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_mechanisms_are_read_from_capabilities_and_ehlo() {
        let caps: Vec<String> = ["IMAP4rev1", "AUTH=PLAIN", "AUTH=XOAUTH2", "IDLE"]
            .map(String::from)
            .to_vec();
        assert_eq!(sasl_from_imap(&caps), ["PLAIN", "XOAUTH2"]);
        let ehlo: Vec<String> = [
            "mail.example.test",
            "PIPELINING",
            "AUTH PLAIN LOGIN OAUTHBEARER",
            "8BITMIME",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(sasl_from_ehlo(&ehlo), ["PLAIN", "LOGIN", "OAUTHBEARER"]);
        assert!(
            ProbeResult {
                auth_mechanisms: sasl_from_ehlo(&ehlo)
            }
            .offers_oauth()
        );
    }

    #[tokio::test]
    async fn a_server_that_talks_garbage_is_an_error_not_a_hang_or_panic() {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            for _ in 0..2 {
                let (mut socket, _) = listener.accept().await.unwrap();
                let _ = socket.write_all(&vec![b'x'; MAX_LINE + 10]).await;
            }
        });
        let dns = Dns::new(None, std::time::Duration::from_secs(1)).unwrap();
        let imap = imap(&dns, "127.0.0.1", port, Security::StartTls).await;
        assert!(imap.is_err(), "{imap:?}");
        let smtp = smtp(&dns, "127.0.0.1", port, Security::StartTls).await;
        assert!(smtp.is_err(), "{smtp:?}");
    }
}
