//! Network plumbing shared by every protocol: one TLS configuration that trusts what the operating
//! system trusts (the platform verifier: the system store on Linux, Keychain on macOS, the Windows
//! certificate store). An organisation that runs its own CA installs it there, as it does for
//! browsers, and Tayori follows — there is no switch to turn certificate checks off.

pub mod dns;
pub mod http;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::ClientConfig;
use rustls_platform_verifier::BuilderVerifierExt;
use thiserror::Error;
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
    #[error(
        "the secure connection to {host}:{port} failed: {source}. If your organisation inspects TLS traffic, its certificate must be installed in the system's certificate store."
    )]
    Tls {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

impl NetError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            NetError::Tls { .. } | NetError::TrustStore(_) => ErrorKind::Tls,
            NetError::Connect { .. } | NetError::BadHostName { .. } => ErrorKind::Network,
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
        let dns = Dns::from_env_or(configured, Duration::from_secs(5)).map_err(|e| network(&e))?;
        let http = Http::new(dns.clone(), Duration::from_secs(15)).map_err(|e| network(&e))?;
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
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::TrustStore(e.to_string()))?
        .with_platform_verifier()
        .map_err(|e| NetError::TrustStore(e.to_string()))?
        .with_no_client_auth();
    Ok(TLS_CONFIG.get_or_init(|| Arc::new(config)).clone())
}

/// Opens a TCP connection to `host`, resolved through Tayori's one resolver, trying each address in
/// turn (IPv6 and IPv4 alike).
pub async fn connect_tcp(dns: &dns::Dns, host: &str, port: u16) -> Result<TcpStream, NetError> {
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
) -> Result<TlsStream<TcpStream>, NetError> {
    let tcp = connect_tcp(dns, host, port).await?;
    start_tls(tcp, host, port).await
}

/// Upgrades an already connected stream to TLS (after STARTTLS, the caller discards anything the
/// server sent before this point).
pub async fn start_tls(
    tcp: TcpStream,
    host: &str,
    port: u16,
) -> Result<TlsStream<TcpStream>, NetError> {
    let server_name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|_| {
        NetError::BadHostName {
            host: host.to_owned(),
        }
    })?;
    TlsConnector::from(tls_client_config()?)
        .connect(server_name, tcp)
        .await
        .map_err(|source| NetError::Tls {
            host: host.to_owned(),
            port,
            source,
        })
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
        assert!(matches!(err, NetError::Tls { .. }), "{err}");
        server.abort();
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
