//! Network plumbing shared by every protocol: one TLS configuration that trusts what the operating
//! system trusts (the platform verifier: the system store on Linux, Keychain on macOS, the Windows
//! certificate store). An organisation that runs its own CA installs it there, as it does for
//! browsers, and Tayori follows — there is no switch to turn certificate checks off.

pub mod dns;
pub mod http;
pub mod issuer;
pub mod proxy;
pub mod remote_images;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use std::pin::Pin;
use std::task::{Context, Poll};

use rustls::ClientConfig;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::Settings;
use crate::error::ErrorKind;
use dns::Dns;
use http::Http;

#[derive(Debug, Error)]
pub enum NetError {
    #[error(
        "the system's certificate store could not be loaded ({0}); TLS connections are impossible until it is repaired"
    )]
    TrustStore(String),
    #[error("{host} is not a valid server name")]
    BadHostName { host: String },
    #[error(
        "could not connect to {host}:{port}: {source}. Check the server name and your network connection."
    )]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    /// The network, the proxy or TLS inspection said no, in words for the person.
    #[error("{0}")]
    Refused(proxy::Refusal),
    #[error(
        "the secure connection to {host}:{port} failed: {source}. If your organisation inspects TLS traffic, its certificate must be installed in the system's certificate store."
    )]
    Tls {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    /// The handshake failed for a reason other than the certificate: a corrupt or unexpected TLS
    /// record. A proxy that inspects traffic fails on the certificate instead, so a missing company
    /// certificate is not the explanation; a broken server or interference on the network is.
    #[error(
        "the secure connection to {host}:{port} broke while it was being set up ({source}): the server sent something that is not valid TLS. The server may be broken, or something on the network may be interfering; nothing was sent"
    )]
    TlsBroken {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

/// How long a TLS handshake may take.
const HANDSHAKE_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether a failed handshake was about the certificate (not trusted, wrong name, expired) — what
/// a TLS-inspecting proxy without its certificate installed causes.
fn certificate_problem(source: &std::io::Error) -> bool {
    let Some(error) = source
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return false;
    };
    use rustls::AlertDescription as Alert;
    matches!(
        error,
        rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::InvalidCertRevocationList(_)
            | rustls::Error::AlertReceived(
                Alert::BadCertificate
                    | Alert::UnsupportedCertificate
                    | Alert::CertificateRevoked
                    | Alert::CertificateExpired
                    | Alert::CertificateUnknown
                    | Alert::UnknownCA
            )
    )
}

impl NetError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            NetError::Tls { .. } | NetError::TrustStore(_) => ErrorKind::Tls,
            NetError::Connect { .. } | NetError::BadHostName { .. } => ErrorKind::Network,
            // Not about a certificate: the TLS advice (install your organisation's root) is wrong.
            NetError::TlsBroken { .. } => ErrorKind::Other,
            // What the network refused: TLS re-signed by an unknown root is the certificate advice;
            // the rest (proxy down, 407, CONNECT refused, PAC) is the network's.
            NetError::Refused(refusal) => refusal.kind(),
        }
    }
}

/// The resolver and HTTP client every network step uses (account setup, sync, sending), built from
/// the settings file and the environment.
#[derive(Clone)]
pub struct Net {
    pub dns: Dns,
    pub http: Http,
}

/// The resolver or the HTTP client could not be built (a malformed DNS server setting, no TLS
/// trust store).
#[derive(Debug, Error)]
#[error("the network could not be set up: {reason}")]
pub struct NetSetupError {
    pub reason: String,
}

impl Net {
    pub fn from_settings(settings: &Settings) -> Result<Net, NetSetupError> {
        let network = |e: &dyn std::fmt::Display| NetSetupError {
            reason: e.to_string(),
        };
        let configured = settings
            .network
            .dns_server
            .as_deref()
            .map(dns::parse_server)
            .transpose()
            .map_err(|e| network(&e))?;
        let proxy = proxy::ProxySettings::for_process(settings).map_err(|e| network(&e))?;
        let dns = Dns::from_env_or(configured, Duration::from_secs(5))
            .map_err(|e| network(&e))?
            .with_proxy(proxy.clone());
        let http = Http::with_proxy(dns.clone(), Duration::from_secs(15), proxy)
            .map_err(|e| network(&e))?;
        Ok(Net { dns, http })
    }
}

static TLS_CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();

/// The process-wide TLS client configuration: ring crypto, TLS 1.2+, platform trust.
pub fn tls_client_config() -> Result<Arc<ClientConfig>, NetError> {
    if let Some(config) = TLS_CONFIG.get() {
        return Ok(config.clone());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let platform = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| NetError::TrustStore(e.to_string()))?;
    // `dangerous()` is only the API's door to a custom verifier: the platform verifier still makes
    // every decision; the wrapper remembers who issued a certificate it refused (for the refusal
    // that names TLS inspection's root).
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::TrustStore(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(issuer::IssuerRecording(Arc::new(platform))))
        .with_no_client_auth();
    Ok(TLS_CONFIG.get_or_init(|| Arc::new(config)).clone())
}

/// What a mail protocol speaks over before its own TLS begins: a TCP connection — direct, or a
/// tunnel through an `http://` or SOCKS proxy — or a tunnel inside the TLS connection to an
/// `https://` proxy. Implicit TLS and STARTTLS run over either end to end, the same way.
#[derive(Debug)]
pub enum MailStream {
    Tcp(TcpStream),
    /// CONNECT inside TLS to the proxy: the mail server's own TLS runs inside this one.
    ProxyTls(Box<TlsStream<TcpStream>>),
}

impl MailStream {
    /// Whether bytes are already waiting, without waiting for any: after a server's "go ahead"
    /// to STARTTLS, anything already sent came before encryption, yet would be read as if it came
    /// over it (the STARTTLS injection attacks). Over TLS to a proxy the check sees what the
    /// proxy's TLS has already decrypted as well as what waits on the socket.
    pub fn has_unread_bytes(&mut self) -> bool {
        let mut context = Context::from_waker(std::task::Waker::noop());
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        match Pin::new(self).poll_read(&mut context, &mut buf) {
            Poll::Ready(Ok(())) => !buf.filled().is_empty(),
            // Nothing yet; or a broken connection, which the TLS handshake will report.
            Poll::Ready(Err(_)) | Poll::Pending => false,
        }
    }

    /// The address of the machine at the other end of the socket (the server, or the proxy).
    pub fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        match self {
            MailStream::Tcp(tcp) => tcp.peer_addr(),
            MailStream::ProxyTls(tls) => tls.get_ref().0.peer_addr(),
        }
    }
}

impl AsyncRead for MailStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Tcp(tcp) => Pin::new(tcp).poll_read(cx, buf),
            MailStream::ProxyTls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            MailStream::Tcp(tcp) => Pin::new(tcp).poll_write(cx, buf),
            MailStream::ProxyTls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Tcp(tcp) => Pin::new(tcp).poll_flush(cx),
            MailStream::ProxyTls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Tcp(tcp) => Pin::new(tcp).poll_shutdown(cx),
            MailStream::ProxyTls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

/// How long a direct attempt may take before the proxy is tried instead (`mail = "auto"`): a
/// firewall that drops rather than refuses must not cost the person a minute.
const DIRECT_FIRST_TIMEOUT: Duration = Duration::from_secs(8);

/// The URL a mail connection is routed by (PAC files and proxy rules are asked with it).
fn mail_url(host: &str, port: u16) -> Option<url::Url> {
    let scheme = match port {
        993 | 10993 => "imaps",
        143 | 10143 => "imap",
        465 | 10465 => "smtps",
        _ => "smtp",
    };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    url::Url::parse(&format!("{scheme}://{host}:{port}/")).ok()
}

/// Opens a connection to `host:port` the way the proxy rule of `dns` says for mail: directly
/// (names resolved through Tayori's one resolver, each address in turn), through an HTTP proxy's
/// CONNECT (over TLS to an `https://` proxy, with its saved sign-in), or through SOCKS5. With
/// `mail = "auto"` a SOCKS proxy is always used, an HTTP proxy only where the direct connection is
/// refused or unanswered. TLS (implicit or STARTTLS) runs over the returned stream end to end, as
/// without a proxy.
pub async fn connect_tcp(dns: &dns::Dns, host: &str, port: u16) -> Result<MailStream, NetError> {
    let settings = dns.proxy();
    settings.prepare(dns, Duration::from_secs(10)).await;
    let route = mail_url(host, port)
        .map(|url| settings.route(&url))
        .unwrap_or(proxy::Route::Direct);
    match (settings.mail, &route) {
        (_, proxy::Route::Direct) | (proxy::MailMode::Direct, _) => {
            let result = connect_direct(dns, host, port).await.map(MailStream::Tcp);
            match result {
                Err(NetError::Connect { source, .. })
                    if source.kind() == std::io::ErrorKind::ConnectionRefused =>
                {
                    // Without a proxy setting a refused connection is what it always was (at
                    // home: a server not listening); with an unusable PAC file, that is named.
                    if let Some((url, problem)) = settings.pac_problem() {
                        Err(NetError::Refused(proxy::Refusal::PacUnusable {
                            url,
                            problem,
                        }))
                    } else {
                        Err(NetError::Connect {
                            host: host.to_owned(),
                            port,
                            source,
                        })
                    }
                }
                other => other,
            }
        }
        (proxy::MailMode::Proxy, _) | (_, proxy::Route::Socks5 { .. }) => {
            connect_via(dns, &route, host, port).await
        }
        (proxy::MailMode::Auto, _) => {
            match tokio::time::timeout(DIRECT_FIRST_TIMEOUT, connect_direct(dns, host, port)).await
            {
                Ok(Ok(stream)) => Ok(MailStream::Tcp(stream)),
                Ok(Err(NetError::Connect { source, .. })) => {
                    tracing::info!(host, port, %source, "direct connection failed; trying the proxy");
                    connect_via(dns, &route, host, port).await
                }
                Ok(Err(other)) => Err(other),
                Err(_) => {
                    tracing::info!(host, port, "no answer directly; trying the proxy");
                    connect_via(dns, &route, host, port).await
                }
            }
        }
    }
}

/// A tunnel to `host:port` through the proxy of `route`.
async fn connect_via(
    dns: &dns::Dns,
    route: &proxy::Route,
    host: &str,
    port: u16,
) -> Result<MailStream, NetError> {
    let (proxy_host, proxy_port) = match route {
        proxy::Route::Direct => return connect_direct(dns, host, port).await.map(MailStream::Tcp),
        proxy::Route::Http {
            host: proxy_host,
            port: proxy_port,
        }
        | proxy::Route::Https {
            host: proxy_host,
            port: proxy_port,
        }
        | proxy::Route::Socks5 {
            host: proxy_host,
            port: proxy_port,
            ..
        } => (proxy_host.as_str(), *proxy_port),
    };
    let proxy_at = route.proxy_at().unwrap_or_default();
    let mut stream = match connect_direct(dns, proxy_host, proxy_port).await {
        Ok(stream) => stream,
        Err(NetError::Connect { source, .. })
            if source.kind() == std::io::ErrorKind::ConnectionRefused =>
        {
            return Err(NetError::Refused(proxy::Refusal::ProxyUnreachable {
                proxy: proxy_at,
            }));
        }
        Err(other) => return Err(other),
    };
    let failed = |reason: String| NetError::Connect {
        host: host.to_owned(),
        port,
        source: std::io::Error::other(format!("through the proxy {proxy_at}: {reason}")),
    };
    match route {
        proxy::Route::Socks5 { remote_dns, .. } => {
            let ip = if *remote_dns {
                None
            } else {
                let ips = dns.ips(host).await.map_err(|e| failed(e.to_string()))?;
                ips.into_iter().next()
            };
            match proxy::tunnel::socks5_connect(&mut stream, host, ip, port).await {
                Ok(()) => Ok(MailStream::Tcp(stream)),
                Err(proxy::tunnel::SocksFailure::NotAllowed) => {
                    Err(NetError::Refused(proxy::Refusal::SocksRefused {
                        proxy: proxy_at,
                        host: host.to_owned(),
                        port,
                    }))
                }
                Err(proxy::tunnel::SocksFailure::Other(reason)) => Err(failed(reason)),
            }
        }
        proxy::Route::Https { .. } => {
            // TLS to the proxy first (its certificate checked like any server's), then CONNECT
            // inside it with the proxy's saved sign-in: a password crosses only this encryption.
            let mut tls = Box::new(start_tls(stream, proxy_host, proxy_port).await?);
            let sign_in = proxy::load_sign_in(&proxy_at).await;
            let authorization = sign_in
                .as_ref()
                .map(|(user, password)| proxy::tunnel::basic(user, password));
            let answer =
                proxy::tunnel::http_connect(&mut tls, host, port, authorization.as_deref())
                    .await
                    .map_err(|e| failed(e.to_string()))?;
            let user = sign_in.as_ref().map(|(user, _)| user.as_str());
            match proxy::tunnel::refusal_for(route, host, port, &answer, user) {
                None if (200..300).contains(&answer.status) => Ok(MailStream::ProxyTls(tls)),
                None => Err(failed(answer.status_text)),
                Some(refusal) => Err(NetError::Refused(refusal)),
            }
        }
        _ => {
            let mut answer = proxy::tunnel::http_connect(&mut stream, host, port, None)
                .await
                .map_err(|e| failed(e.to_string()))?;
            if answer.status == 407 && proxy::negotiate::offered(&answer.schemes) {
                // The proxy wants the computer's Kerberos ticket: asked again on a new
                // connection, with a token made for it. Without a ticket, the 407 stands and is
                // named below.
                match proxy::negotiate::authorization(proxy_host).await {
                    Ok(authorization) => {
                        stream = connect_direct(dns, proxy_host, proxy_port).await?;
                        answer = proxy::tunnel::http_connect(
                            &mut stream,
                            host,
                            port,
                            Some(&authorization),
                        )
                        .await
                        .map_err(|e| failed(e.to_string()))?;
                    }
                    Err(e) => {
                        tracing::info!(proxy = %proxy_at, "the proxy's Kerberos challenge was not answered: {e}");
                    }
                }
            }
            match proxy::tunnel::refusal_for(route, host, port, &answer, None) {
                None if (200..300).contains(&answer.status) => Ok(MailStream::Tcp(stream)),
                None => Err(failed(answer.status_text)),
                Some(refusal) => Err(NetError::Refused(refusal)),
            }
        }
    }
}

/// Opens a direct TCP connection to `host`, resolved through Tayori's one resolver, trying each
/// address in turn (IPv6 and IPv4 alike).
pub(crate) async fn connect_direct(
    dns: &dns::Dns,
    host: &str,
    port: u16,
) -> Result<TcpStream, NetError> {
    let connect_error = |source| NetError::Connect {
        host: host.to_owned(),
        port,
        source,
    };
    let ips = dns.ips(host).await.map_err(|e| {
        connect_error(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            e.to_string(),
        ))
    })?;
    let mut last_error = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
    for ip in ips {
        match TcpStream::connect((ip, port)).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last_error = e,
        }
    }
    Err(connect_error(last_error))
}

/// Opens a TCP connection and completes a TLS handshake verified against the platform trust store
/// (implicit TLS: IMAPS 993, submissions 465).
pub async fn connect_tls(
    dns: &dns::Dns,
    host: &str,
    port: u16,
) -> Result<TlsStream<MailStream>, NetError> {
    let tcp = connect_tcp(dns, host, port).await?;
    start_tls(tcp, host, port).await
}

/// Upgrades an already connected stream to TLS (after STARTTLS, the caller discards anything the
/// server sent before this point).
pub async fn start_tls<S: AsyncRead + AsyncWrite + Unpin>(
    tcp: S,
    host: &str,
    port: u16,
) -> Result<TlsStream<S>, NetError> {
    let server_name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|_| {
        NetError::BadHostName {
            host: host.to_owned(),
        }
    })?;
    let handshake = TlsConnector::from(tls_client_config()?).connect(server_name, tcp);
    match tokio::time::timeout(HANDSHAKE_LIMIT, handshake).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(source)) if certificate_problem(&source) || !is_tls_error(&source) => {
            // A certificate from an issuer this computer does not know is named, as on the web
            // path: that is what a firewall inspecting IMAPS/SMTPS presents, and IT needs the name.
            if unknown_issuer(&source)
                && let Some(issuer) = issuer::untrusted_issuer(host)
            {
                return Err(NetError::Refused(proxy::Refusal::TlsUnknownIssuer {
                    host: host.to_owned(),
                    issuer,
                }));
            }
            Err(NetError::Tls {
                host: host.to_owned(),
                port,
                source,
            })
        }
        Ok(Err(source)) => Err(NetError::TlsBroken {
            host: host.to_owned(),
            port,
            source,
        }),
        Err(_) => Err(NetError::Connect {
            host: host.to_owned(),
            port,
            source: std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "no answer to the TLS handshake within {} s",
                    HANDSHAKE_LIMIT.as_secs()
                ),
            ),
        }),
    }
}

/// Whether the certificate was refused because no trusted root issued it.
fn unknown_issuer(source: &std::io::Error) -> bool {
    matches!(
        source
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        ))
    )
}

/// Whether the handshake failed on TLS itself (rather than on the connection under it).
fn is_tls_error(source: &std::io::Error) -> bool {
    source
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_config_is_built_once_and_shared() {
        let first = tls_client_config().expect("platform trust store loads");
        let second = tls_client_config().unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_refused() {
        // A throwaway TLS server on loopback with a self-signed certificate nobody installed: the
        // handshake must fail, proving there is no silent "accept anything" path.
        let cert = rcgen_self_signed();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let _ = cert.accept(tcp).await;
        });
        let dns = dns::Dns::new(None, std::time::Duration::from_secs(2)).unwrap();
        let err = connect_tls(&dns, "localhost", port).await.unwrap_err();
        // …and the refusal names who issued what was presented, for IT (rcgen's own issuer name).
        match &err {
            NetError::Refused(proxy::Refusal::TlsUnknownIssuer { host, issuer }) => {
                assert_eq!(host, "localhost");
                assert!(issuer.contains("rcgen"), "{issuer}");
            }
            other => panic!("expected the issuer to be named, got {other:?}"),
        }
        assert_eq!(err.kind(), crate::error::ErrorKind::Tls);
        server.abort();
    }

    /// After a server's "go ahead" to STARTTLS, bytes it already sent are seen — on a plain TCP
    /// connection and inside TLS to an `https://` proxy alike — and nothing is seen when it sent
    /// nothing more.
    #[tokio::test]
    async fn bytes_sent_before_tls_begins_are_seen_on_both_kinds_of_stream() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        for (reply, injected) in [("OK\r\n", false), ("OK\r\n* injected\r\n", true)] {
            // Plain TCP.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                let (mut tcp, _) = listener.accept().await.unwrap();
                tcp.write_all(reply.as_bytes()).await.unwrap();
                tokio::time::sleep(Duration::from_millis(500)).await;
            });
            let mut stream =
                MailStream::Tcp(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
            let mut ok = [0u8; 4];
            stream.read_exact(&mut ok).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(stream.has_unread_bytes(), injected, "TCP, {reply:?}");
            server.abort();

            // Inside TLS to a proxy (the proxy here: a TLS server that sends the reply).
            let (certified, acceptor) = rcgen_acceptor();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut tls = acceptor.accept(tcp).await.unwrap();
                tls.write_all(reply.as_bytes()).await.unwrap();
                tls.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(500)).await;
            });
            let mut roots = rustls::RootCertStore::empty();
            roots.add(certified.cert.der().clone()).unwrap();
            let config = ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
            let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let tls = TlsConnector::from(Arc::new(config))
                .connect(
                    rustls::pki_types::ServerName::try_from("localhost").unwrap(),
                    tcp,
                )
                .await
                .unwrap();
            let mut stream = MailStream::ProxyTls(Box::new(tls));
            let mut ok = [0u8; 4];
            stream.read_exact(&mut ok).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(
                stream.has_unread_bytes(),
                injected,
                "TLS to a proxy, {reply:?}"
            );
            server.abort();
        }
    }

    fn rcgen_acceptor() -> (
        rcgen::CertifiedKey<rcgen::KeyPair>,
        tokio_rustls::TlsAcceptor,
    ) {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
        (certified, tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }

    /// A minimal rustls server with a certificate generated on the fly.
    struct SelfSigned(tokio_rustls::TlsAcceptor);

    impl SelfSigned {
        async fn accept(&self, tcp: TcpStream) -> std::io::Result<()> {
            self.0.accept(tcp).await.map(|_| ())
        }
    }

    fn rcgen_self_signed() -> SelfSigned {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
        SelfSigned(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}
