//! An HTTP CONNECT spoken by hand: reqwest's own tunnel error says neither the status nor the
//! challenge, so when a proxy refuses, one CONNECT is repeated here to learn what it said and turn
//! it into a [`Refusal`].

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Refusal, Route};
use crate::net::dns::Dns;

/// A proxy's answer to CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectAnswer {
    pub status: u16,
    /// The status as the proxy sent it: "403 Forbidden".
    pub status_text: String,
    /// The schemes of its `Proxy-Authenticate` challenges, in order ("Basic", "NTLM").
    pub schemes: Vec<String>,
}

/// Longest answer head read before giving up.
const MAX_HEAD: usize = 16 * 1024;

/// Sends `CONNECT host:port` over `stream` and reads the answer's head, byte by byte so nothing
/// of the tunnelled protocol after it is consumed.
pub async fn http_connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    port: u16,
    authorization: Option<&str>,
) -> std::io::Result<ConnectAnswer> {
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {}\r\n",
        crate::user_agent()
    );
    if let Some(authorization) = authorization {
        request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the proxy's answer to CONNECT is too long",
            ));
        }
        if stream.read(&mut byte).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the proxy closed the connection before answering CONNECT",
            ));
        }
        head.push(byte[0]);
    }
    parse_answer(&String::from_utf8_lossy(&head)).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the proxy's answer to CONNECT is not HTTP",
        )
    })
}

fn parse_answer(head: &str) -> Option<ConnectAnswer> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(2, ' ');
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status_text = parts.next()?.trim().to_owned();
    let status: u16 = status_text.split(' ').next()?.parse().ok()?;
    let schemes = lines
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authenticate"))
        .filter_map(|(_, value)| value.split_whitespace().next().map(str::to_owned))
        .collect();
    Some(ConnectAnswer {
        status,
        status_text,
        schemes,
    })
}

/// What a proxy's refusal of CONNECT means for the person. `user`: whose saved credentials were
/// sent, if any.
pub fn refusal_for(
    route: &Route,
    host: &str,
    port: u16,
    answer: &ConnectAnswer,
    user: Option<&str>,
) -> Option<Refusal> {
    let proxy = route.proxy_at()?;
    if (200..300).contains(&answer.status) {
        return None;
    }
    if matches!(answer.status, 502..=504) {
        // The proxy could not reach the server (no such host, down): not a refusal by policy.
        return None;
    }
    if answer.status != 407 {
        return Some(Refusal::ConnectRefused {
            proxy,
            host: host.to_owned(),
            port,
            status: answer.status_text.clone(),
        });
    }
    let offers_basic = answer
        .schemes
        .iter()
        .any(|s| s.eq_ignore_ascii_case("basic"));
    let basic_over_tls = offers_basic && matches!(route, Route::Https { .. });
    // A Negotiate challenge still standing means the computer had no Kerberos ticket for the
    // proxy (or the proxy refused it): unless a password over TLS would do instead, that is what
    // the person hears — not "unsupported", and not NTLM's name where the proxy offers both.
    if !basic_over_tls && super::negotiate::offered(&answer.schemes) {
        return Some(Refusal::ProxyKerberosUnavailable { proxy });
    }
    if !offers_basic {
        let scheme = answer
            .schemes
            .first()
            .cloned()
            .unwrap_or_else(|| "?".to_owned());
        return Some(Refusal::ProxySchemeUnsupported { proxy, scheme });
    }
    Some(match (route, user) {
        (Route::Https { .. }, Some(user)) => Refusal::ProxyCredentialsRefused {
            proxy,
            user: user.to_owned(),
        },
        (Route::Https { .. }, None) => Refusal::ProxyCredentialsNeeded { proxy },
        _ => Refusal::ProxyPasswordUnencrypted { proxy },
    })
}

/// Repeats one CONNECT to `host:port` through the HTTP proxy of `route` and says what its refusal
/// means; `None` when it lets the tunnel through, or it cannot be asked.
pub async fn diagnose(
    dns: &Dns,
    route: &Route,
    host: &str,
    port: u16,
    sign_in: Option<&(String, crate::redact::Secret)>,
) -> Option<Refusal> {
    let answer = challenge(dns, route, host, port, sign_in).await?;
    let user = match route {
        Route::Https { .. } => sign_in.map(|(user, _)| user.as_str()),
        _ => None,
    };
    refusal_for(route, host, port, &answer, user)
}

/// What the HTTP proxy of `route` answers to one CONNECT to `host:port` (with the saved Basic
/// sign-in where the proxy is spoken to over TLS); `None` when it cannot be asked.
pub async fn challenge(
    dns: &Dns,
    route: &Route,
    host: &str,
    port: u16,
    sign_in: Option<&(String, crate::redact::Secret)>,
) -> Option<ConnectAnswer> {
    let (proxy_host, proxy_port) = match route {
        Route::Http { host, port } | Route::Https { host, port } => (host.clone(), *port),
        _ => return None,
    };
    let probe = async {
        let tcp = crate::net::connect_direct(dns, &proxy_host, proxy_port)
            .await
            .ok()?;
        match route {
            Route::Https { .. } => {
                let mut tls = crate::net::start_tls(tcp, &proxy_host, proxy_port)
                    .await
                    .ok()?;
                let authorization = sign_in.map(|(user, password)| basic(user, password));
                http_connect(&mut tls, host, port, authorization.as_deref())
                    .await
                    .ok()
            }
            _ => {
                let mut tcp = tcp;
                http_connect(&mut tcp, host, port, None).await.ok()
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), probe)
        .await
        .ok()
        .flatten()
}

/// `Basic base64(user:password)`, the only form a proxy password is sent in (over TLS only).
pub fn basic(user: &str, password: &crate::redact::Secret) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(head: &str) -> ConnectAnswer {
        parse_answer(head).unwrap()
    }

    #[test]
    fn answers_map_to_refusals() {
        let http = Route::Http {
            host: "proxy.test".into(),
            port: 3128,
        };
        let https = Route::Https {
            host: "proxy.test".into(),
            port: 3443,
        };
        let forbidden = answer("HTTP/1.1 403 Forbidden\r\nServer: squid\r\n\r\n");
        assert_eq!(
            refusal_for(&http, "mail.test", 993, &forbidden, None),
            Some(Refusal::ConnectRefused {
                proxy: "proxy.test:3128".into(),
                host: "mail.test".into(),
                port: 993,
                status: "403 Forbidden".into()
            })
        );
        let basic = answer(
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n",
        );
        assert!(matches!(
            refusal_for(&http, "h", 443, &basic, None),
            Some(Refusal::ProxyPasswordUnencrypted { .. })
        ));
        assert!(matches!(
            refusal_for(&https, "h", 443, &basic, None),
            Some(Refusal::ProxyCredentialsNeeded { .. })
        ));
        assert!(matches!(
            refusal_for(&https, "h", 443, &basic, Some("tanaka")),
            Some(Refusal::ProxyCredentialsRefused { .. })
        ));
        let ntlm = answer(
            "HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: NTLM\r\n\r\n",
        );
        assert_eq!(
            refusal_for(&http, "h", 443, &ntlm, None),
            Some(Refusal::ProxySchemeUnsupported {
                proxy: "proxy.test:3128".into(),
                scheme: "NTLM".into()
            })
        );
        assert_eq!(
            refusal_for(&http, "h", 443, &answer("HTTP/1.1 200 OK\r\n\r\n"), None),
            None
        );
        assert!(parse_answer("SSH-2.0\r\n\r\n").is_none());
        // A domain's proxy: Negotiate and NTLM offered; the computer could not answer.
        let domain = answer(
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\n\r\n",
        );
        assert_eq!(
            refusal_for(&http, "h", 443, &domain, None),
            Some(Refusal::ProxyKerberosUnavailable {
                proxy: "proxy.test:3128".into()
            })
        );
        // …where a password over TLS is also offered, that is asked for instead.
        let both = answer(
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n",
        );
        assert!(matches!(
            refusal_for(&https, "h", 443, &both, None),
            Some(Refusal::ProxyCredentialsNeeded { .. })
        ));
    }
}

/// Why a SOCKS5 server did not open the connection (RFC 1928 §6 replies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocksFailure {
    /// Reply 2: not allowed by the server's rules.
    NotAllowed,
    /// Any other failure, in words.
    Other(String),
}

/// RFC 1928 without authentication: asks the SOCKS5 server on `stream` to connect to
/// `host:port`, sending the name itself when `remote_dns` (`socks5h`), else the address `ip`.
pub async fn socks5_connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    ip: Option<std::net::IpAddr>,
    port: u16,
) -> Result<(), SocksFailure> {
    let io = |e: std::io::Error| SocksFailure::Other(e.to_string());
    stream.write_all(&[5, 1, 0]).await.map_err(io)?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await.map_err(io)?;
    if choice != [5, 0] {
        return Err(SocksFailure::Other(
            "the SOCKS server wants a sign-in method Tayori does not offer".into(),
        ));
    }
    let mut request = vec![5, 1, 0];
    match ip.or_else(|| host.parse().ok()) {
        Some(std::net::IpAddr::V4(v4)) => {
            request.push(1);
            request.extend_from_slice(&v4.octets());
        }
        Some(std::net::IpAddr::V6(v6)) => {
            request.push(4);
            request.extend_from_slice(&v6.octets());
        }
        None => {
            let name = host.as_bytes();
            let len = u8::try_from(name.len())
                .map_err(|_| SocksFailure::Other("host name too long for SOCKS".into()))?;
            request.push(3);
            request.push(len);
            request.extend_from_slice(name);
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await.map_err(io)?;
    let mut head = [0u8; 4];
    stream.read_exact(&mut head).await.map_err(io)?;
    if head[0] != 5 {
        return Err(SocksFailure::Other("the answer is not SOCKS5".into()));
    }
    match head[1] {
        0 => {}
        2 => return Err(SocksFailure::NotAllowed),
        code => {
            let reason = match code {
                1 => "general SOCKS server failure",
                3 => "network unreachable",
                4 => "host unreachable",
                5 => "connection refused by the destination",
                6 => "TTL expired",
                7 => "command not supported",
                8 => "address type not supported",
                _ => "unknown SOCKS reply",
            };
            return Err(SocksFailure::Other(reason.into()));
        }
    }
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut len = [0u8; 1];
            stream.read_exact(&mut len).await.map_err(io)?;
            len[0] as usize + 2
        }
        _ => return Err(SocksFailure::Other("malformed SOCKS reply".into())),
    };
    let mut bound = vec![0u8; rest];
    stream.read_exact(&mut bound).await.map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod socks_tests {
    use super::*;

    /// A one-connection SOCKS5 server answering `reply` to the CONNECT; returns the request.
    async fn serve(reply: u8) -> (u16, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut greeting = [0u8; 3];
            socket.read_exact(&mut greeting).await.unwrap();
            socket.write_all(&[5, 0]).await.unwrap();
            let mut request = vec![0u8; 4 + 1 + 9 + 2];
            socket.read_exact(&mut request).await.unwrap();
            socket
                .write_all(&[5, reply, 0, 1, 127, 0, 0, 1, 0, 25])
                .await
                .unwrap();
            request
        });
        (port, handle)
    }

    #[tokio::test]
    async fn the_name_is_sent_and_replies_are_understood() {
        let (port, server) = serve(0).await;
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        socks5_connect(&mut tcp, "mail.test", None, 993)
            .await
            .unwrap();
        let request = server.await.unwrap();
        assert_eq!(&request[..5], &[5, 1, 0, 3, 9]);
        assert_eq!(&request[5..14], b"mail.test");
        assert_eq!(&request[14..], &993u16.to_be_bytes());

        let (port, _server) = serve(2).await;
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        assert_eq!(
            socks5_connect(&mut tcp, "mail.test", None, 993).await,
            Err(SocksFailure::NotAllowed)
        );
    }
}
