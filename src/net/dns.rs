//! One DNS resolver for everything Tayori looks up (MX, SRV, host names for HTTP and mail servers).
//!
//! By default it reads the system configuration. An organisation (or a test rig) can point it at its
//! own name server with the `TAYORI_DNS_SERVER=IP:PORT` environment variable or `dns_server` in the
//! settings file — the same way an admin points any machine at an internal resolver.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use thiserror::Error;

/// Environment variable naming the one DNS server to ask (`IP:PORT`, e.g. `10.0.0.53:53`).
pub const DNS_SERVER_ENV: &str = "TAYORI_DNS_SERVER";

#[derive(Debug, Clone, Error)]
pub enum DnsError {
    #[error("{name} does not exist in DNS")]
    NoSuchName { name: String },
    #[error("DNS has no {kind} record for {name}")]
    NoRecords { name: String, kind: &'static str },
    #[error("DNS lookup of {name} failed: {reason}")]
    Failed { name: String, reason: String },
    #[error("the DNS server setting {value:?} is not IP:PORT")]
    BadServer { value: String },
    #[error("the system's DNS configuration could not be read: {0}")]
    SystemConfig(String),
}

/// An MX record, lowest preference first when returned from [`Dns::mx`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    pub preference: u16,
    pub host: String,
}

/// An SRV record (RFC 2782), ordered by priority then weight when returned from [`Dns::srv`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// A cheap-to-clone handle on the resolver, and the proxy rule the mail connections made with it
/// follow (every IMAP and SMTP connection is opened with this handle: `net::connect_tcp`).
#[derive(Clone)]
pub struct Dns {
    resolver: Arc<TokioResolver>,
    proxy: Arc<crate::net::proxy::ProxySettings>,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns").finish_non_exhaustive()
    }
}

/// Parses `IP:PORT` (`[v6]:port` for IPv6).
pub fn parse_server(value: &str) -> Result<SocketAddr, DnsError> {
    value
        .trim()
        .parse::<SocketAddr>()
        .map_err(|_| DnsError::BadServer {
            value: value.to_owned(),
        })
}

impl Dns {
    /// The system resolver, or the one server named by `server`.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Self, DnsError> {
        let mut builder = match server {
            Some(addr) => {
                let mut config = ResolverConfig::new();
                config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
                config.add_name_server(NameServerConfig::new(addr, Protocol::Tcp));
                TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            }
            None => {
                TokioResolver::builder_tokio().map_err(|e| DnsError::SystemConfig(e.to_string()))?
            }
        };
        // Discovery has its own deadline; one attempt per server keeps a dead resolver from eating it.
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = timeout;
        options.attempts = 1;
        Ok(Self {
            resolver: Arc::new(builder.build()),
            proxy: Arc::new(crate::net::proxy::ProxySettings::direct()),
        })
    }

    /// The same resolver, with connections opened through it following `proxy`.
    pub fn with_proxy(mut self, proxy: crate::net::proxy::ProxySettings) -> Self {
        self.proxy = Arc::new(proxy);
        self
    }

    /// The proxy rule connections opened with this handle follow.
    pub fn proxy(&self) -> &crate::net::proxy::ProxySettings {
        &self.proxy
    }

    /// The resolver chosen by `TAYORI_DNS_SERVER` if set, else `configured` (from the settings file),
    /// else the system's.
    pub fn from_env_or(
        configured: Option<SocketAddr>,
        timeout: Duration,
    ) -> Result<Self, DnsError> {
        let server = match std::env::var(DNS_SERVER_ENV) {
            Ok(value) if !value.trim().is_empty() => Some(parse_server(&value)?),
            _ => configured,
        };
        Self::new(server, timeout)
    }

    fn error(name: &str, kind: &'static str, error: hickory_resolver::ResolveError) -> DnsError {
        if error.is_nx_domain() {
            DnsError::NoSuchName {
                name: name.to_owned(),
            }
        } else if error.is_no_records_found() {
            DnsError::NoRecords {
                name: name.to_owned(),
                kind,
            }
        } else {
            DnsError::Failed {
                name: name.to_owned(),
                reason: error.to_string(),
            }
        }
    }

    /// Addresses of a host name (A and AAAA).
    pub async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let lookup = self
            .resolver
            .lookup_ip(fqdn(host))
            .await
            .map_err(|e| Self::error(host, "A/AAAA", e))?;
        Ok(lookup.iter().collect())
    }

    /// MX records, most preferred first.
    pub async fn mx(&self, domain: &str) -> Result<Vec<Mx>, DnsError> {
        let lookup = self
            .resolver
            .mx_lookup(fqdn(domain))
            .await
            .map_err(|e| Self::error(domain, "MX", e))?;
        let mut records: Vec<Mx> = lookup
            .iter()
            .map(|mx| Mx {
                preference: mx.preference(),
                host: trim_dot(&mx.exchange().to_utf8()),
            })
            .filter(|mx| !mx.host.is_empty()) // "." is the null MX (RFC 7505): no mail here
            .collect();
        records.sort_by_key(|mx| mx.preference);
        Ok(records)
    }

    /// SRV records in the order RFC 2782 says to try them (lowest priority first, heaviest weight
    /// first within a priority). A target of "." means "not offered here" and is dropped.
    pub async fn srv(&self, name: &str) -> Result<Vec<Srv>, DnsError> {
        let lookup = self
            .resolver
            .srv_lookup(fqdn(name))
            .await
            .map_err(|e| Self::error(name, "SRV", e))?;
        let mut records: Vec<Srv> = lookup
            .iter()
            .map(|srv| Srv {
                priority: srv.priority(),
                weight: srv.weight(),
                port: srv.port(),
                target: trim_dot(&srv.target().to_utf8()),
            })
            .filter(|srv| !srv.target.is_empty() && srv.port != 0)
            .collect();
        records.sort_by_key(|srv| (srv.priority, std::cmp::Reverse(srv.weight)));
        Ok(records)
    }
}

impl Dns {
    /// The name `name` is an alias of (its CNAME record), or `None` when it is not an alias.
    pub async fn cname(&self, name: &str) -> Result<Option<String>, DnsError> {
        use hickory_resolver::proto::rr::{RData, RecordType};
        let lookup = match self.resolver.lookup(fqdn(name), RecordType::CNAME).await {
            Ok(lookup) => lookup,
            Err(error) if error.is_no_records_found() || error.is_nx_domain() => return Ok(None),
            Err(error) => return Err(Self::error(name, "CNAME", error)),
        };
        Ok(lookup.iter().find_map(|data| match data {
            RData::CNAME(target) => Some(trim_dot(&target.0.to_utf8())),
            _ => None,
        }))
    }

    /// The TXT records of `name`, each as one string (its parts joined, lossily decoded).
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        let lookup = self
            .resolver
            .txt_lookup(fqdn(name))
            .await
            .map_err(|e| Self::error(name, "TXT", e))?;
        Ok(lookup
            .iter()
            .map(|txt| {
                txt.txt_data()
                    .iter()
                    .map(|part| String::from_utf8_lossy(part).into_owned())
                    .collect::<String>()
            })
            .collect())
    }
}

/// Names are looked up as absolute, so no search domain of the machine is ever appended.
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    }
}

fn trim_dot(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Lets reqwest resolve through the same resolver.
impl reqwest::dns::Resolve for Dns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let dns = self.clone();
        Box::pin(async move {
            let ips = dns
                .ips(name.as_str())
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_setting_is_ip_and_port() {
        assert_eq!(
            parse_server("127.0.0.1:10053").unwrap(),
            "127.0.0.1:10053".parse().unwrap()
        );
        assert_eq!(
            parse_server(" [::1]:53 ").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert!(matches!(
            parse_server("dns.example"),
            Err(DnsError::BadServer { .. })
        ));
        assert!(matches!(
            parse_server("127.0.0.1"),
            Err(DnsError::BadServer { .. })
        ));
    }

    #[test]
    fn names_are_absolute_and_answers_lower_case() {
        assert_eq!(fqdn("example.test"), "example.test.");
        assert_eq!(fqdn("example.test."), "example.test.");
        assert_eq!(trim_dot("Mail.Example.TEST."), "mail.example.test");
    }
}
