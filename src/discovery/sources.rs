//! What the discovery sources share, and which function runs each. Each source lives in the file
//! named after it (`policy`, `autoconfig`, `ispdb`, `mx`, `autodiscover`, `srv`, `guess`), beside
//! the parser of what it reads. Each records every query it makes in the trace and ends with an
//! answer, nothing, or "this provider cannot be used by Tayori" (POP3 only, plaintext only).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::future::Shared;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use url::Url;

use super::probe::ProbeResult;
use super::providers::{self, Provider};
use super::{
    Candidate, DiscoveryOptions, Endpoint, Outcome, SignIn, Source, SourceResult, Tracer,
    autoconfig, autodiscover, domain, guess, ispdb, known, mx, policy, srv,
};
use crate::connections::{Contact, Detail, Purpose};
use crate::net::dns::{Dns, DnsError, Mx, Srv};
use crate::net::http::{Fetched, Http, HttpError};

/// A DNS answer more than one source needs, asked once.
type SharedLookup<T> = Shared<BoxFuture<'static, Result<T, DnsError>>>;

#[derive(Clone)]
pub(super) struct Context {
    pub email: String,
    pub domain: String,
    pub dns: Dns,
    pub http: Http,
    pub options: DiscoveryOptions,
    pub tracer: Tracer,
    /// The domain's MX records (the MX source and the Microsoft gate).
    mx: SharedLookup<Vec<Mx>>,
    /// `_autodiscover._tcp.<domain>` (AutoDiscover and the Microsoft gate).
    autodiscover_srv: SharedLookup<Vec<Srv>>,
    contacted: Arc<Mutex<Vec<Contact>>>,
    asked_microsoft: Arc<AtomicBool>,
}

impl Context {
    pub(super) fn new(
        email: String,
        domain: String,
        dns: Dns,
        http: Http,
        options: DiscoveryOptions,
        tracer: Tracer,
    ) -> Self {
        let mx = {
            let (dns, domain) = (dns.clone(), domain.clone());
            (Box::pin(async move { dns.mx(&domain).await }) as BoxFuture<'static, _>).shared()
        };
        let autodiscover_srv = {
            let (dns, name) = (dns.clone(), format!("_autodiscover._tcp.{domain}"));
            (Box::pin(async move { dns.srv(&name).await }) as BoxFuture<'static, _>).shared()
        };
        Self {
            email,
            domain,
            dns,
            http,
            options,
            tracer,
            mx,
            autodiscover_srv,
            contacted: Arc::default(),
            asked_microsoft: Arc::default(),
        }
    }

    pub(super) fn mx(&self) -> SharedLookup<Vec<Mx>> {
        self.mx.clone()
    }

    pub(super) fn autodiscover_srv(&self) -> SharedLookup<Vec<Srv>> {
        self.autodiscover_srv.clone()
    }

    /// Notes that Microsoft's central service was asked about the address.
    pub(super) fn note_asked_microsoft(&self) {
        self.asked_microsoft.store(true, Ordering::Relaxed);
    }

    pub(super) fn asked_microsoft(&self) -> bool {
        self.asked_microsoft.load(Ordering::Relaxed)
    }

    /// Notes a host a request reached.
    pub(super) fn contact(&self, contact: Contact) {
        let mut contacted = self.contacted.lock().unwrap_or_else(|p| p.into_inner());
        match contacted.iter_mut().find(|c| {
            (c.host.as_str(), c.port, c.purpose)
                == (contact.host.as_str(), contact.port, contact.purpose)
        }) {
            Some(known) => known.address_sent |= contact.address_sent,
            None => contacted.push(contact),
        }
    }

    /// Notes the host a request is about to go to — before it goes, so a request stopped midway
    /// (a better answer came in) is accounted for too. A name that does not resolve is never
    /// contacted (the HTTP client asks the same resolver, which then answers from its cache).
    /// `sends_address`: the request body carries the address.
    pub(super) async fn note_request(&self, url: &Url, detail: Detail, sends_address: bool) {
        let Some(host) = url.host_str() else {
            return;
        };
        if self.dns.ips(host).await.is_err() {
            return;
        }
        let carries = sends_address || url_carries_address(url, &self.email);
        if let Some(contact) = Contact::for_url(url, Purpose::Discovery, detail, carries) {
            self.contact(contact);
        }
    }

    /// Notes the redirect hops an answer went through (a re-POST carries the body again).
    pub(super) fn note_hops(&self, fetched: &Fetched, detail: Detail, sends_address: bool) {
        for url in fetched.hops.iter().skip(1) {
            let carries = sends_address || url_carries_address(url, &self.email);
            if let Some(contact) = Contact::for_url(url, Purpose::Discovery, detail, carries) {
                self.contact(contact);
            }
        }
    }

    /// Every host contacted so far, in the order first contacted.
    pub(super) fn contacted(&self) -> Vec<Contact> {
        self.contacted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(super) fn record(
        &self,
        source: Source,
        query: impl Into<String>,
        outcome: Outcome,
        started: Instant,
    ) {
        self.tracer.record(source, query, outcome, started);
    }

    /// The domain-based sources refuse to run for an address at a public suffix.
    pub(super) fn domain_queries_allowed(&self, source: Source) -> bool {
        if domain::registrable(&self.domain).is_some() {
            return true;
        }
        self.record(
            source,
            self.domain.clone(),
            Outcome::NotFound(format!(
                "not asked: {} is a public suffix, not an organisation's domain",
                self.domain
            )),
            Instant::now(),
        );
        false
    }
}

/// One query's result inside a source.
pub(super) enum Attempt<T> {
    Hit(T),
    Miss,
    Unsupported(String),
}

pub(super) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs queries at once and returns the most preferred hit (lowest index) as soon as every query
/// preferred over it has finished. `Unsupported` is kept as a fallback explanation.
pub(super) async fn first_by_preference<'a, T: Send + 'a>(
    queries: Vec<BoxFuture<'a, Attempt<T>>>,
) -> Attempt<T> {
    let count = queries.len();
    let mut running: FuturesUnordered<_> = queries
        .into_iter()
        .enumerate()
        .map(|(index, query)| async move { (index, query.await) })
        .collect();
    let mut done = vec![false; count];
    let mut hits: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let mut unsupported = None;
    while let Some((index, attempt)) = running.next().await {
        done[index] = true;
        match attempt {
            Attempt::Hit(value) => hits[index] = Some(value),
            Attempt::Unsupported(reason) => {
                unsupported.get_or_insert(reason);
            }
            Attempt::Miss => {}
        }
        if let Some(best) = hits.iter().position(Option::is_some)
            && done[..best].iter().all(|d| *d)
        {
            return Attempt::Hit(hits[best].take().expect("present"));
        }
    }
    match unsupported {
        Some(reason) => Attempt::Unsupported(reason),
        None => Attempt::Miss,
    }
}

pub(super) async fn run(source: Source, context: &Context) -> SourceResult {
    let attempt = match source {
        Source::AdminPolicy => policy::ask(context).await,
        Source::KnownProvider => known::ask(context),
        Source::Autoconfig => autoconfig::ask_https(context).await,
        Source::Ispdb => ispdb::ask(context).await,
        Source::Mx => mx::ask(context).await,
        Source::Autodiscover => autodiscover::ask(context).await,
        Source::Srv => srv::ask(context).await,
        Source::Guess => guess::ask(context).await,
        Source::AutoconfigHttp => autoconfig::ask_http(context).await,
    };
    match attempt {
        Attempt::Hit(candidate) => SourceResult::Found(Box::new(candidate)),
        Attempt::Miss => SourceResult::Nothing,
        Attempt::Unsupported(reason) => SourceResult::Unsupported(reason),
    }
}

pub(super) fn describe_http_error(error: &HttpError) -> Outcome {
    match error {
        HttpError::Status {
            status: 404 | 410, ..
        } => Outcome::NotFound(error.reason()),
        HttpError::Timeout { .. } => Outcome::TimedOut,
        _ => Outcome::Failed(error.reason()),
    }
}

pub(super) fn describe_dns_error(error: &DnsError) -> Outcome {
    match error {
        DnsError::NoSuchName { .. } | DnsError::NoRecords { .. } => {
            Outcome::NotFound(error.to_string())
        }
        _ => Outcome::Failed(error.to_string()),
    }
}

pub(super) fn hop_hosts(fetched: &Fetched) -> Vec<(String, &'static str)> {
    fetched
        .hops
        .iter()
        .skip(1)
        .filter_map(|hop| hop.host_str().map(|h| (h.to_ascii_lowercase(), "redirect")))
        .collect()
}

/// Whether a URL carries the address (in its path or query, plain or percent-encoded).
pub(super) fn url_carries_address(url: &Url, email: &str) -> bool {
    crate::connections::url_carries_address(url, email)
}

/// Whether any URL on the way to the answer was plain HTTP.
pub(super) fn any_plain_http_hop(fetched: &Fetched) -> bool {
    fetched.hops.iter().any(|hop| hop.scheme() != "https")
}

/// The query string of autoconfig URLs carries the address; the trace shows the URL without it.
pub(super) fn redact_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

/// One line for the trace: the servers and the sign-in methods found.
pub(super) fn summary(candidate: &Candidate) -> String {
    let methods: Vec<&str> = candidate
        .sign_in
        .iter()
        .map(|m| match m {
            SignIn::OAuth2(_) => "OAuth 2.0",
            SignIn::Password => "password",
        })
        .collect();
    format!(
        "IMAP {}:{} {}, SMTP {}:{} {}; sign-in: {}",
        candidate.imap.host,
        candidate.imap.port,
        candidate.imap.security,
        candidate.smtp.host,
        candidate.smtp.port,
        candidate.smtp.security,
        methods.join(", ")
    )
}

/// A candidate from what Tayori knows about a provider.
pub(super) fn provider_candidate(
    context: &Context,
    source: Source,
    provider: &Provider,
    verified: bool,
    reached_through: Vec<(String, &'static str)>,
) -> Candidate {
    let endpoint = |t: &providers::ServerTemplate| Endpoint {
        host: t.host.to_owned(),
        port: t.port,
        security: t.security,
        username: context.email.clone(),
    };
    let mut sign_in = Vec::new();
    if let Some(oauth) = &provider.oauth {
        sign_in.push(SignIn::OAuth2(oauth.clone()));
    }
    sign_in.push(SignIn::Password);
    Candidate {
        source,
        imap: endpoint(&provider.imap),
        smtp: endpoint(&provider.smtp),
        sign_in,
        provider: Some(provider.id),
        provider_name: Some(provider.id.display_name().to_owned()),
        verified,
        plain_http: false,
        reached_through,
    }
}

/// Sign-in methods for a server found by SRV or guessing: the provider's, or OAuth when the server
/// offers a bearer mechanism (its failure reply names the issuer), and the password path.
pub(super) fn sign_in_for(imap_host: &str, probe: Option<&ProbeResult>) -> Vec<SignIn> {
    let mut methods = Vec::new();
    if let Some(oauth) = providers::by_mail_host(imap_host).and_then(|p| p.oauth.clone()) {
        methods.push(SignIn::OAuth2(oauth));
    } else if probe.is_some_and(ProbeResult::offers_oauth) {
        methods.push(SignIn::OAuth2(Default::default()));
    }
    methods.push(SignIn::Password);
    methods
}
