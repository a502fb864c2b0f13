//! Account discovery: from an email address to IMAP and SMTP servers and the sign-in method.
//!
//! Every source runs at once, each with its own timeout; the answers are ranked and the best one is
//! returned as soon as no source still running could beat it:
//!
//! 1. an admin-provisioned policy file,
//! 1. the big providers' own address domains (gmail.com, outlook.com, hotmail.co.jp …), known
//!    without DNS,
//! 2. autoconfig over HTTPS (`autoconfig.<domain>` and `/.well-known/autoconfig/`),
//! 3. the ISPDB (Thunderbird's database, or an organisation's mirror),
//! 4. MX → a known provider, or the ISPDB entry of the MX's domain,
//! 5. Exchange AutoDiscover: v1 (POX) at the domain's own hosts, and Microsoft's central v2 (JSON)
//!    only when the domain's DNS says Microsoft or the person said so (`microsoft`) — always
//!    unauthenticated,
//! 6. RFC 6186 SRV records,
//! 7. guessing `imap.`/`mail.`/`smtp.` host names by probing TLS and STARTTLS — never plaintext,
//! 8. autoconfig over plain HTTP (legacy, unverified).
//!
//! Safety rules: no credential is ever sent; no name above the email's registrable domain is queried
//! (the 2021 Autodiscover leak); an answer that leads to another registrable domain through a redirect,
//! SRV or MX needs the person's confirmation unless that domain is a known provider's; documents are
//! capped in size and parsed without external entities; one broken source never stops the others.
//!
//! Privacy rules: the address goes only where the protocol needs it — the domain's own autoconfig
//! over HTTPS, the domain's own AutoDiscover hosts, and Microsoft's central AutoDiscover only for
//! Microsoft mailboxes (`microsoft`); never over plain HTTP, never to the ISPDB (asked by domain).
//! Every host contacted is listed in [`Discovered::contacted`], for the account's connections record.

pub mod autoconfig;
pub mod autodiscover;
pub mod domain;
mod guess;
mod ispdb;
mod known;
pub mod microsoft;
mod mx;
pub mod policy;
pub mod probe;
pub mod providers;
mod sources;
mod srv;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;
use thiserror::Error;
use tokio::sync::mpsc;
use url::Url;

use crate::connections::Contact;
use crate::net::dns::Dns;
use crate::net::http::Http;
pub use providers::KnownProvider;
// `Security` is a shared value type (`crate::server`); kept here too, where discovery output names it.
pub use crate::server::Security;

/// The public ISPDB.
pub const DEFAULT_ISPDB_URL: &str = "https://autoconfig.thunderbird.net/v1.1/";
/// Environment variable for an organisation's ISPDB mirror.
pub const ISPDB_URL_ENV: &str = "TAYORI_ISPDB_URL";

/// A server to connect to, with the user name to sign in as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
}

/// Where to get tokens. Fields are empty when only the server can tell (its OAUTHBEARER failure names
/// the issuer, RFC 7628).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
pub struct OAuthSettings {
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub scopes: Vec<String>,
}

/// A way to sign in, most preferred first in [`Discovered::sign_in`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SignIn {
    #[serde(rename = "oauth2")]
    OAuth2(OAuthSettings),
    Password,
}

/// The sources, in priority order (earlier beats later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    AdminPolicy,
    /// Tayori's own table of the big providers' address domains (no network at all).
    KnownProvider,
    Autoconfig,
    Ispdb,
    Mx,
    Autodiscover,
    Srv,
    Guess,
    AutoconfigHttp,
}

impl Source {
    pub const ALL: [Source; 9] = [
        Source::AdminPolicy,
        Source::KnownProvider,
        Source::Autoconfig,
        Source::Ispdb,
        Source::Mx,
        Source::Autodiscover,
        Source::Srv,
        Source::Guess,
        Source::AutoconfigHttp,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Source::AdminPolicy => "admin policy",
            Source::KnownProvider => "known provider",
            Source::Autoconfig => "autoconfig (HTTPS)",
            Source::Ispdb => "ISPDB",
            Source::Mx => "MX records",
            Source::Autodiscover => "Exchange AutoDiscover",
            Source::Srv => "SRV records (RFC 6186)",
            Source::Guess => "guessing server names",
            Source::AutoconfigHttp => "autoconfig (plain HTTP, legacy)",
        }
    }
}

/// What happened to one query of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    Found(String),
    NotFound(String),
    Failed(String),
    TimedOut,
    /// A better answer was already in, so this query was stopped.
    NotNeeded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceEntry {
    pub source: Source,
    /// What was asked: a URL, a DNS name, a host:port.
    pub query: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub elapsed_ms: u64,
}

/// Another registrable domain the answer leads to, which the email's domain did not vouch for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsConfirmation {
    pub domains: Vec<String>,
    /// Why: "redirect", "SRV record", "MX record", "plain HTTP".
    pub reason: String,
}

/// The result of discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovered {
    pub email: String,
    pub imap: Endpoint,
    pub smtp: Endpoint,
    pub sign_in: Vec<SignIn>,
    pub provider: Option<KnownProvider>,
    pub provider_name: Option<String>,
    pub source: Source,
    /// True when the answer came over HTTPS from the domain itself, the ISPDB, DNS-free provider
    /// knowledge or an admin; false for plain HTTP and guesses that need a second look.
    pub verified: bool,
    /// Set when the person must confirm a move to another domain before any credential is sent.
    pub needs_confirmation: Option<NeedsConfirmation>,
    pub trace: Vec<TraceEntry>,
    /// Every host a request reached, why, and whether the address went with it.
    pub contacted: Vec<Contact>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Error)]
pub enum DiscoveryError {
    #[error("{0:?} is not an email address; type it as name@example.com")]
    BadAddress(String),
    #[error(
        "no mail settings were found for {domain}. Enter the servers by hand: ask your mail provider or \
         administrator for the IMAP server (usually imap.{domain}, port 993, SSL/TLS) and the SMTP server \
         (usually smtp.{domain}, port 465 SSL/TLS or 587 STARTTLS)."
    )]
    NothingFound {
        domain: String,
        trace: Vec<TraceEntry>,
        /// Whether Microsoft's central AutoDiscover was asked. When it was not, the person may be
        /// asked "Is this a Microsoft 365 or Exchange account?" and discovery asked again with
        /// [`Discoverer::discover_microsoft`].
        asked_microsoft: bool,
        contacted: Vec<Contact>,
    },
    #[error("{domain}: {reason}")]
    Unsupported {
        domain: String,
        reason: String,
        trace: Vec<TraceEntry>,
    },
    #[error("discovery could not start: {0}")]
    Setup(String),
    /// Nothing was found because the network refused (the firewall, the proxy, TLS inspection):
    /// the refusal says which layer and who can fix it.
    #[error("{refusal}")]
    Refused {
        domain: String,
        refusal: Box<crate::net::proxy::Refusal>,
        trace: Vec<TraceEntry>,
    },
}

/// Settings for discovery.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// Base URL of the ISPDB; the domain is appended (`…/v1.1/example.com`).
    pub ispdb_url: Url,
    /// The admin policy file, if any.
    pub policy_file: Option<PathBuf>,
    /// How long each source may take.
    pub source_timeout: Duration,
    /// Domains the person already said to trust (`--trust`).
    pub trusted_domains: Vec<String>,
    /// Whether to probe guessed host names.
    pub guess: bool,
    /// The person said this is a Microsoft 365 or Exchange account: Microsoft's central
    /// AutoDiscover may hear the address even when the domain's DNS does not point there.
    pub microsoft_account: bool,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        Self {
            ispdb_url: Url::parse(DEFAULT_ISPDB_URL).expect("valid default URL"),
            policy_file: policy::default_policy_file(),
            source_timeout: Duration::from_millis(2500),
            trusted_domains: Vec::new(),
            guess: true,
            microsoft_account: false,
        }
    }
}

impl DiscoveryOptions {
    /// Defaults, then the settings file, then the environment (`TAYORI_ISPDB_URL`, and
    /// `TAYORI_POLICY_FILE` when the system has no policy file), each overriding the one before.
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, DiscoveryError> {
        let mut options = Self::default();
        let ispdb = std::env::var(ISPDB_URL_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| settings.discovery.ispdb_url.clone());
        if let Some(value) = ispdb {
            options.ispdb_url = parse_base_url(&value)
                .map_err(|e| DiscoveryError::Setup(format!("ISPDB URL {value:?}: {e}")))?;
        }
        options.policy_file = crate::config::policy_file_for_process();
        Ok(options)
    }
}

/// Parses a base URL and makes sure it ends in `/`, so joining a domain appends rather than replaces.
pub fn parse_base_url(value: &str) -> Result<Url, url::ParseError> {
    let value = value.trim();
    if value.ends_with('/') {
        Url::parse(value)
    } else {
        Url::parse(&format!("{value}/"))
    }
}

/// Replaces the autoconfig placeholders in a user name template.
pub fn expand_username(template: &str, email: &str) -> String {
    let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    template
        .replace("%EMAILADDRESS%", email)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
}

/// One source's answer before ranking.
#[derive(Debug, Clone)]
struct Candidate {
    source: Source,
    imap: Endpoint,
    smtp: Endpoint,
    sign_in: Vec<SignIn>,
    provider: Option<KnownProvider>,
    provider_name: Option<String>,
    verified: bool,
    /// The document itself came over plain HTTP (legacy autoconfig, an `http://` ISPDB, a redirect
    /// that ended on `http://`): anyone on the network could have written it, servers included.
    plain_http: bool,
    /// Host names the answer was reached through or points at, with how (for the cross-domain rule).
    reached_through: Vec<(String, &'static str)>,
}

/// Collects trace entries and passes each on to a progress listener (the wizard's live view).
#[derive(Clone)]
struct Tracer {
    entries: Arc<Mutex<Vec<TraceEntry>>>,
    progress: Option<mpsc::UnboundedSender<TraceEntry>>,
}

impl Tracer {
    fn record(&self, source: Source, query: impl Into<String>, outcome: Outcome, started: Instant) {
        let entry = TraceEntry {
            source,
            query: query.into(),
            outcome,
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        if let Some(progress) = &self.progress {
            let _ = progress.send(entry.clone());
        }
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry);
    }

    fn entries(&self) -> Vec<TraceEntry> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// What one source ended with.
enum SourceResult {
    Found(Box<Candidate>),
    /// Nothing usable; the reason is already in the trace.
    Nothing,
    /// The provider exists but cannot be used by Tayori (POP3 only, plaintext only).
    Unsupported(String),
}

/// The discovery engine: one resolver, one HTTP client, the options.
#[derive(Clone)]
pub struct Discoverer {
    dns: Dns,
    http: Http,
    options: DiscoveryOptions,
}

impl Discoverer {
    pub fn new(dns: Dns, http: Http, options: DiscoveryOptions) -> Self {
        Self { dns, http, options }
    }

    /// Builds the engine from the settings file and the environment (DNS server, ISPDB mirror,
    /// policy file).
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, DiscoveryError> {
        let options = DiscoveryOptions::from_settings(settings)?;
        let configured_dns = settings
            .network
            .dns_server
            .as_deref()
            .map(crate::net::dns::parse_server)
            .transpose()
            .map_err(|e| DiscoveryError::Setup(e.to_string()))?;
        let proxy = crate::net::proxy::ProxySettings::for_process(settings)
            .map_err(DiscoveryError::Setup)?;
        let dns = Dns::from_env_or(configured_dns, options.source_timeout)
            .map_err(|e| DiscoveryError::Setup(e.to_string()))?
            .with_proxy(proxy.clone());
        let http = Http::with_proxy(dns.clone(), options.source_timeout, proxy)
            .map_err(|e| DiscoveryError::Setup(e.to_string()))?;
        Ok(Self::new(dns, http, options))
    }

    pub fn options(&self) -> &DiscoveryOptions {
        &self.options
    }

    pub fn options_mut(&mut self) -> &mut DiscoveryOptions {
        &mut self.options
    }

    pub async fn discover(&self, email: &str) -> Result<Discovered, DiscoveryError> {
        self.discover_with_progress(email, None).await
    }

    /// After nothing was found and the person answered yes to "Is this a Microsoft 365 or
    /// Exchange account?": AutoDiscover again, Microsoft's central service included.
    pub async fn discover_microsoft(&self, email: &str) -> Result<Discovered, DiscoveryError> {
        let mut options = self.options.clone();
        options.microsoft_account = true;
        let engine = Discoverer::new(self.dns.clone(), self.http.clone(), options);
        engine.run(email, None, &[Source::Autodiscover]).await
    }

    /// Like [`discover`](Self::discover), sending each trace entry to `progress` as it happens.
    pub async fn discover_with_progress(
        &self,
        email: &str,
        progress: Option<mpsc::UnboundedSender<TraceEntry>>,
    ) -> Result<Discovered, DiscoveryError> {
        let sources: Vec<Source> = Source::ALL
            .into_iter()
            .filter(|source| *source != Source::Guess || self.options.guess)
            .collect();
        self.run(email, progress, &sources).await
    }

    async fn run(
        &self,
        email: &str,
        progress: Option<mpsc::UnboundedSender<TraceEntry>>,
        sources: &[Source],
    ) -> Result<Discovered, DiscoveryError> {
        let started = Instant::now();
        let email = email.trim().to_owned();
        let email_domain = domain::email_domain(&email)
            .ok_or_else(|| DiscoveryError::BadAddress(email.clone()))?;
        let tracer = Tracer {
            entries: Arc::default(),
            progress,
        };
        let context = sources::Context::new(
            email.clone(),
            email_domain.clone(),
            self.dns.clone(),
            self.http.clone(),
            self.options.clone(),
            tracer.clone(),
        );

        let mut running: FuturesUnordered<_> = sources
            .iter()
            .copied()
            .map(|source| {
                let context = context.clone();
                let timeout = self.options.source_timeout;
                async move {
                    let begun = Instant::now();
                    let result = match tokio::time::timeout(timeout, sources::run(source, &context))
                        .await
                    {
                        Ok(result) => result,
                        Err(_) => {
                            context
                                .tracer
                                .record(source, source.label(), Outcome::TimedOut, begun);
                            SourceResult::Nothing
                        }
                    };
                    (source, result)
                }
            })
            .collect();
        let mut pending: BTreeSet<Source> = sources.iter().copied().collect();

        let mut found: Vec<(Candidate, Option<NeedsConfirmation>)> = Vec::new();
        let mut unsupported: Vec<String> = Vec::new();
        while let Some((source, result)) = running.next().await {
            pending.remove(&source);
            match result {
                SourceResult::Found(candidate) => {
                    let confirmation = self.confirmation_needed(&email_domain, &candidate);
                    found.push((*candidate, confirmation));
                }
                SourceResult::Unsupported(reason) => unsupported.push(reason),
                SourceResult::Nothing => {}
            }
            if let Some(best) = best_candidate(&found) {
                let (candidate, confirmation) = &found[best];
                // A safe answer wins once every source that ranks above it is done; an answer that
                // needs confirmation waits for all sources, since any of them might find a safe one.
                let can_still_be_beaten = if confirmation.is_none() {
                    pending.iter().any(|p| *p < candidate.source)
                } else {
                    !pending.is_empty()
                };
                if !can_still_be_beaten {
                    break;
                }
            }
        }
        for source in &pending {
            tracer.record(*source, source.label(), Outcome::NotNeeded, started);
        }
        drop(running); // stops every query still in flight

        let trace = tracer.entries();
        let contacted = context.contacted();
        let Some(best) = best_candidate(&found) else {
            if let Some(reason) = unsupported.into_iter().next() {
                return Err(DiscoveryError::Unsupported {
                    domain: email_domain,
                    reason,
                    trace,
                });
            }
            if let Some(refusal) = self.http.refusal_for_domain(&email_domain) {
                return Err(DiscoveryError::Refused {
                    domain: email_domain,
                    refusal: Box::new(refusal),
                    trace,
                });
            }
            return Err(DiscoveryError::NothingFound {
                domain: email_domain,
                trace,
                asked_microsoft: context.asked_microsoft(),
                contacted,
            });
        };
        let (candidate, needs_confirmation) = found.swap_remove(best);
        Ok(Discovered {
            email,
            imap: candidate.imap,
            smtp: candidate.smtp,
            sign_in: candidate.sign_in,
            provider: candidate.provider,
            provider_name: candidate.provider_name,
            source: candidate.source,
            verified: candidate.verified && !candidate.plain_http,
            needs_confirmation,
            trace,
            contacted,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// Applies the cross-domain rule to one answer.
    ///
    /// A host is vouched for when its registrable domain is the email's own, a known provider's, or
    /// one the person trusted. A host with no registrable domain (an IP address, a public suffix)
    /// is vouched for by nobody. An answer that came over plain HTTP vouches for nothing at all: its
    /// own domain and every server it names are confirmed by the person.
    fn confirmation_needed(
        &self,
        email_domain: &str,
        candidate: &Candidate,
    ) -> Option<NeedsConfirmation> {
        let own = domain::registrable(email_domain);
        let trusted_by_person = |d: &str| {
            self.options
                .trusted_domains
                .iter()
                .any(|t| t.eq_ignore_ascii_case(d.trim_end_matches('.')))
        };
        let mut hosts: Vec<(String, &'static str)> = candidate.reached_through.clone();
        if candidate.plain_http {
            for server in [&candidate.imap, &candidate.smtp] {
                hosts.push((server.host.to_ascii_lowercase(), PLAIN_HTTP));
            }
        }
        let mut domains = Vec::new();
        let mut reasons = Vec::new();
        for (host, how) in &hosts {
            let (name, trusted) = match domain::registrable(host) {
                Some(registrable) => {
                    let trusted = (Some(&registrable) == own.as_ref() && !candidate.plain_http)
                        || providers::is_provider_domain(&registrable)
                        || trusted_by_person(&registrable);
                    (registrable, trusted)
                }
                // An IP address or a public suffix: no domain vouches for it.
                None => {
                    let bare = host.trim_end_matches('.').to_owned();
                    let trusted = trusted_by_person(&bare);
                    (bare, trusted)
                }
            };
            if !trusted && !domains.contains(&name) {
                domains.push(name);
                if !reasons.contains(how) {
                    reasons.push(*how);
                }
            }
        }
        if candidate.plain_http
            && let Some(own) = own
            && !trusted_by_person(&own)
            && !domains.contains(&own)
        {
            domains.push(own);
            if !reasons.contains(&PLAIN_HTTP) {
                reasons.push(PLAIN_HTTP);
            }
        }
        (!domains.is_empty()).then(|| NeedsConfirmation {
            domains,
            reason: reasons.join(", "),
        })
    }
}

/// Why an answer read over plain HTTP is confirmed.
const PLAIN_HTTP: &str = "plain HTTP (could have been altered on the way)";

/// Index of the best answer: safe before needs-confirmation, then by source priority.
fn best_candidate(found: &[(Candidate, Option<NeedsConfirmation>)]) -> Option<usize> {
    found
        .iter()
        .enumerate()
        .min_by_key(|(_, (candidate, confirmation))| (confirmation.is_some(), candidate.source))
        .map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_templates_expand() {
        let email = "taro.yamada@example.co.jp";
        assert_eq!(expand_username("%EMAILADDRESS%", email), email);
        assert_eq!(expand_username("%EMAILLOCALPART%", email), "taro.yamada");
        assert_eq!(
            expand_username("%EMAILLOCALPART%@%EMAILDOMAIN%", email),
            email
        );
        assert_eq!(expand_username("fixed", email), "fixed");
    }

    #[test]
    fn base_urls_always_end_in_a_slash() {
        assert_eq!(
            parse_base_url("https://ispdb.example/v1.1")
                .unwrap()
                .as_str(),
            "https://ispdb.example/v1.1/"
        );
        let joined = parse_base_url("https://ispdb.example/v1.1")
            .unwrap()
            .join("gmail.com")
            .unwrap();
        assert_eq!(joined.as_str(), "https://ispdb.example/v1.1/gmail.com");
    }

    fn candidate(source: Source) -> Candidate {
        let endpoint = Endpoint {
            host: "imap.example.test".into(),
            port: 993,
            security: Security::Tls,
            username: "a@example.test".into(),
        };
        Candidate {
            source,
            imap: endpoint.clone(),
            smtp: endpoint,
            sign_in: vec![SignIn::Password],
            provider: None,
            provider_name: None,
            verified: true,
            plain_http: false,
            reached_through: Vec::new(),
        }
    }

    #[test]
    fn safe_answers_beat_unconfirmed_ones_then_priority_decides() {
        let confirm = Some(NeedsConfirmation {
            domains: vec!["other.test".into()],
            reason: "redirect".into(),
        });
        let found = vec![
            (candidate(Source::Autoconfig), confirm.clone()),
            (candidate(Source::Guess), None),
            (candidate(Source::Srv), None),
        ];
        assert_eq!(
            best_candidate(&found),
            Some(2),
            "SRV (safe) beats guess (safe) and autoconfig (unconfirmed)"
        );
        let only_unconfirmed = vec![(candidate(Source::Autoconfig), confirm)];
        assert_eq!(best_candidate(&only_unconfirmed), Some(0));
        assert_eq!(best_candidate(&[]), None);
    }
}
