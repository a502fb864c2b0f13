//! Discovery configured the way an organisation would: the rig's DNS server and its ISPDB mirror,
//! with no test-only switch in the product.

use tayori::discovery::{Discovered, Discoverer, DiscoveryOptions};
use tayori::net::dns::Dns;
use tayori::net::http::Http;

use super::Rig;

/// The rig's dnsmasq (tests/rig/dns/zone.conf).
pub const RIG_DNS: &str = "127.0.0.1:10053";
/// The rig's copy of Thunderbird's ISPDB, served by its HTTPS fixture server.
pub const ISPDB_MIRROR: &str = "https://ispdb.example.test/v1.1/";

/// A discoverer asking the rig's DNS and ISPDB mirror, with `configure` changing its options.
pub fn discoverer(configure: impl FnOnce(&mut DiscoveryOptions)) -> Discoverer {
    let mut options = DiscoveryOptions {
        ispdb_url: url::Url::parse(ISPDB_MIRROR).unwrap(),
        policy_file: None,
        ..DiscoveryOptions::default()
    };
    configure(&mut options);
    let dns = Dns::new(Some(RIG_DNS.parse().unwrap()), options.source_timeout).unwrap();
    let http = Http::new(dns.clone(), options.source_timeout).unwrap();
    Discoverer::new(dns, http, options)
}

/// What discovery finds for `email` with the default options; panics with the error otherwise.
pub async fn discover(email: &str) -> Discovered {
    let _ = Rig::load();
    discoverer(|_| {})
        .discover(email)
        .await
        .unwrap_or_else(|e| panic!("{email}: {e}"))
}
