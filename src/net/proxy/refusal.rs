//! What the network refused, named by its layer and by who can fix it, in the person's language.

use crate::error::ErrorKind;
use crate::i18n::{Lang, Text, fill};

/// Why a proxy configuration script could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacProblem {
    /// The server answered this HTTP status.
    Status(u16),
    NotJavaScript,
    FindProxyFailed,
    NoAnswer,
    /// It could not be fetched or read (the reason as the system gave it).
    Unreadable(String),
}

/// A refusal by the network, the proxy or TLS inspection (issue 26, point 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No proxy is configured and the network refused the direct connection.
    DirectRefusedNoProxy,
    /// The proxy (`host:port`) refused or did not take the connection.
    ProxyUnreachable { proxy: String },
    /// A 407 asking for a password over TLS, with none saved.
    ProxyCredentialsNeeded { proxy: String },
    /// A 407 after the saved credentials of `user` were sent.
    ProxyCredentialsRefused { proxy: String, user: String },
    /// A 407 asking for a password over plain HTTP: none is sent.
    ProxyPasswordUnencrypted { proxy: String },
    /// A 407 asking for Negotiate (Kerberos: a Windows domain's sign-in), which this computer could
    /// not answer: no ticket, an expired one, or none the proxy accepted.
    ProxyKerberosUnavailable { proxy: String },
    /// A 407 with only schemes Tayori does not speak.
    ProxySchemeUnsupported { proxy: String, scheme: String },
    /// The PAC file could not be used, and the direct connection was refused.
    PacUnusable { url: String, problem: PacProblem },
    /// An HTTP proxy refused the CONNECT (`status`: "403 Forbidden").
    ConnectRefused {
        proxy: String,
        host: String,
        port: u16,
        status: String,
    },
    /// A SOCKS5 server refused by its rules.
    SocksRefused {
        proxy: String,
        host: String,
        port: u16,
    },
    /// Through a proxy, the certificate was signed by a root this computer does not trust.
    TlsResigned { host: String, issuer: String },
    /// Without a proxy, the certificate was issued by a root this computer does not trust.
    TlsUnknownIssuer { host: String, issuer: String },
}

impl Refusal {
    /// The proxy (`host:port`) whose user name and password would answer this refusal: it asked
    /// for them over TLS, or refused the saved ones. (Over plain HTTP there is nothing to ask.)
    pub fn proxy_to_sign_in(&self) -> Option<&str> {
        match self {
            Refusal::ProxyCredentialsNeeded { proxy }
            | Refusal::ProxyCredentialsRefused { proxy, .. } => Some(proxy),
            _ => None,
        }
    }

    /// A certificate re-signed by a root this computer does not trust is the certificate advice
    /// (IT must install its root); every other refusal is the network's.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Refusal::TlsResigned { .. } | Refusal::TlsUnknownIssuer { .. } => ErrorKind::Tls,
            _ => ErrorKind::Network,
        }
    }
}

/// What a tunnel to `port` carries, as the refusal names it.
fn protocol_name(port: u16) -> &'static str {
    match port {
        993 | 143 | 10993 | 10143 => "IMAP",
        465 | 587 | 25 | 10465 | 10587 => "SMTP",
        _ => "HTTPS",
    }
}

impl Refusal {
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Refusal::DirectRefusedNoProxy => lang.text(Text::NetDirectRefusedNoProxy).to_owned(),
            Refusal::ProxyUnreachable { proxy } => {
                fill(lang.text(Text::NetProxyUnreachable), &[("proxy", proxy)])
            }
            Refusal::ProxyCredentialsNeeded { proxy } => fill(
                lang.text(Text::NetProxyCredentialsNeeded),
                &[("proxy", proxy)],
            ),
            Refusal::ProxyCredentialsRefused { proxy, user } => fill(
                lang.text(Text::NetProxyCredentialsRefused),
                &[("proxy", proxy), ("user", user)],
            ),
            Refusal::ProxyPasswordUnencrypted { proxy } => fill(
                lang.text(Text::NetProxyPasswordUnencrypted),
                &[("proxy", proxy)],
            ),
            Refusal::ProxyKerberosUnavailable { proxy } => fill(
                lang.text(Text::NetProxyKerberosUnavailable),
                &[("proxy", proxy)],
            ),
            Refusal::ProxySchemeUnsupported { proxy, scheme } => fill(
                lang.text(Text::NetProxySchemeUnsupported),
                &[("proxy", proxy), ("scheme", scheme)],
            ),
            Refusal::PacUnusable { url, problem } => {
                let reason = match problem {
                    PacProblem::Status(status) => format!("HTTP {status}"),
                    PacProblem::NotJavaScript => lang.text(Text::NetPacNotJavaScript).to_owned(),
                    PacProblem::FindProxyFailed => {
                        lang.text(Text::NetPacFindProxyFailed).to_owned()
                    }
                    PacProblem::NoAnswer => lang.text(Text::NetPacNoAnswer).to_owned(),
                    PacProblem::Unreadable(reason) => reason.clone(),
                };
                fill(
                    lang.text(Text::NetPacUnusable),
                    &[("url", url), ("reason", &reason)],
                )
            }
            Refusal::ConnectRefused {
                proxy,
                host,
                port,
                status,
            } => fill(
                lang.text(Text::NetConnectRefused),
                &[
                    ("proxy", proxy),
                    ("host", host),
                    ("port", &port.to_string()),
                    ("status", status),
                    ("protocol", protocol_name(*port)),
                ],
            ),
            Refusal::SocksRefused { proxy, host, port } => fill(
                lang.text(Text::NetSocksRefused),
                &[
                    ("proxy", proxy),
                    ("host", host),
                    ("port", &port.to_string()),
                    ("protocol", protocol_name(*port)),
                ],
            ),
            Refusal::TlsResigned { host, issuer } => fill(
                lang.text(Text::NetTlsResigned),
                &[("host", host), ("issuer", issuer)],
            ),
            Refusal::TlsUnknownIssuer { host, issuer } => fill(
                lang.text(Text::NetTlsUnknownIssuer),
                &[("host", host), ("issuer", issuer)],
            ),
        }
    }
}

/// In the system's language: a refusal is the one message a person forwards to IT as it is.
impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::from_system()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_fill_every_placeholder_in_both_languages() {
        let all = [
            Refusal::DirectRefusedNoProxy,
            Refusal::ProxyUnreachable {
                proxy: "p:1".into(),
            },
            Refusal::ProxyCredentialsNeeded {
                proxy: "p:1".into(),
            },
            Refusal::ProxyCredentialsRefused {
                proxy: "p:1".into(),
                user: "u".into(),
            },
            Refusal::ProxyPasswordUnencrypted {
                proxy: "p:1".into(),
            },
            Refusal::ProxySchemeUnsupported {
                proxy: "p:1".into(),
                scheme: "NTLM".into(),
            },
            Refusal::ProxyKerberosUnavailable {
                proxy: "p:1".into(),
            },
            Refusal::PacUnusable {
                url: "http://w/x.pac".into(),
                problem: PacProblem::Status(404),
            },
            Refusal::PacUnusable {
                url: "http://w/x.pac".into(),
                problem: PacProblem::NotJavaScript,
            },
            Refusal::PacUnusable {
                url: "http://w/x.pac".into(),
                problem: PacProblem::FindProxyFailed,
            },
            Refusal::PacUnusable {
                url: "http://w/x.pac".into(),
                problem: PacProblem::NoAnswer,
            },
            Refusal::ConnectRefused {
                proxy: "p:1".into(),
                host: "h".into(),
                port: 993,
                status: "403 Forbidden".into(),
            },
            Refusal::SocksRefused {
                proxy: "p:1".into(),
                host: "h".into(),
                port: 465,
            },
            Refusal::TlsResigned {
                host: "h".into(),
                issuer: "CA".into(),
            },
            Refusal::TlsUnknownIssuer {
                host: "h".into(),
                issuer: "CA".into(),
            },
        ];
        for refusal in all {
            for lang in [Lang::En, Lang::Ja] {
                let text = refusal.text(lang);
                assert!(!text.contains('{'), "{text}");
            }
        }
        let text = Refusal::ConnectRefused {
            proxy: "p:1".into(),
            host: "h".into(),
            port: 993,
            status: "403 Forbidden".into(),
        }
        .text(Lang::En);
        assert!(text.contains("allow IMAP on port 993"), "{text}");
    }
}
