//! The discovery sources. Each records every query it makes in the trace and ends with an answer,
//! nothing, or "this provider cannot be used by Tayori" (POP3 only, plaintext only).

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use url::Url;

use super::autoconfig::{self, AutoconfigError};
use super::autodiscover::{self, V1Answer};
use super::policy::Policy;
use super::probe::{self, ProbeResult};
use super::providers::{self, Provider};
use super::{
    Candidate, DiscoveryOptions, Endpoint, Outcome, Security, SignIn, Source, SourceResult, Tracer,
    domain,
};
use crate::net::dns::{Dns, DnsError};
use crate::net::http::{Fetched, Http, HttpError};

#[derive(Clone)]
pub(super) struct Context {
    pub email: String,
    pub domain: String,
    pub dns: Dns,
    pub http: Http,
    pub options: DiscoveryOptions,
    pub tracer: Tracer,
}

impl Context {
    fn record(&self, source: Source, query: impl Into<String>, outcome: Outcome, started: Instant) {
        self.tracer.record(source, query, outcome, started);
    }

    /// The domain-based sources refuse to run for an address at a public suffix.
    fn domain_queries_allowed(&self, source: Source) -> bool {
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
enum Attempt<T> {
    Hit(T),
    Miss,
    Unsupported(String),
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs queries at once and returns the most preferred hit (lowest index) as soon as every query
/// preferred over it has finished. `Unsupported` is kept as a fallback explanation.
async fn first_by_preference<'a, T: Send + 'a>(
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
        Source::AdminPolicy => admin_policy(context).await,
        Source::Autoconfig => autoconfig_https(context).await,
        Source::Ispdb => ispdb(context).await,
        Source::Mx => mx(context).await,
        Source::Autodiscover => autodiscover(context).await,
        Source::Srv => srv(context).await,
        Source::Guess => guess(context).await,
        Source::AutoconfigHttp => autoconfig_http(context).await,
    };
    match attempt {
        Attempt::Hit(candidate) => SourceResult::Found(Box::new(candidate)),
        Attempt::Miss => SourceResult::Nothing,
        Attempt::Unsupported(reason) => SourceResult::Unsupported(reason),
    }
}

fn describe_http_error(error: &HttpError) -> Outcome {
    match error {
        HttpError::Status {
            status: 404 | 410, ..
        } => Outcome::NotFound(error.reason()),
        HttpError::Timeout { .. } => Outcome::TimedOut,
        _ => Outcome::Failed(error.reason()),
    }
}

fn describe_dns_error(error: &DnsError) -> Outcome {
    match error {
        DnsError::NoSuchName { .. } | DnsError::NoRecords { .. } => {
            Outcome::NotFound(error.to_string())
        }
        _ => Outcome::Failed(error.to_string()),
    }
}

fn hop_hosts(fetched: &Fetched) -> Vec<(String, &'static str)> {
    fetched
        .hops
        .iter()
        .skip(1)
        .filter_map(|hop| hop.host_str().map(|h| (h.to_ascii_lowercase(), "redirect")))
        .collect()
}

/// A candidate from a parsed autoconfig document.
fn candidate_from_config(
    context: &Context,
    source: Source,
    config: &autoconfig::ClientConfig,
    verified: bool,
    reached_through: Vec<(String, &'static str)>,
) -> Result<Candidate, AutoconfigError> {
    let offer = autoconfig::offer(config, &context.email)?;
    let provider = providers::by_mail_host(&offer.imap.host);
    Ok(Candidate {
        source,
        provider: provider.map(|p| p.id),
        provider_name: config
            .display_name
            .clone()
            .or_else(|| provider.map(|p| p.id.display_name().to_owned())),
        imap: offer.imap,
        smtp: offer.smtp,
        sign_in: offer.sign_in,
        verified,
        reached_through,
    })
}

/// Fetches and reads one autoconfig document.
async fn fetch_config(
    context: &Context,
    source: Source,
    url: Url,
    verified: bool,
    extra: Vec<(String, &'static str)>,
) -> Attempt<Candidate> {
    let started = Instant::now();
    let query = redact_query(&url);
    let fetched = match context.http.get(url).await {
        Ok(fetched) => fetched,
        Err(error) => {
            context.record(source, query, describe_http_error(&error), started);
            return Attempt::Miss;
        }
    };
    let text = String::from_utf8_lossy(&fetched.body);
    let config = match autoconfig::parse(&text) {
        Ok(config) => config,
        Err(error) => {
            context.record(
                source,
                query,
                Outcome::Failed(format!("unusable document: {error}")),
                started,
            );
            return Attempt::Miss;
        }
    };
    let mut reached = extra;
    reached.extend(hop_hosts(&fetched));
    match candidate_from_config(context, source, &config, verified, reached) {
        Ok(candidate) => {
            context.record(source, query, Outcome::Found(summary(&candidate)), started);
            Attempt::Hit(candidate)
        }
        Err(error) => {
            context.record(source, query, Outcome::NotFound(error.to_string()), started);
            match error {
                AutoconfigError::NoImap { .. }
                | AutoconfigError::ImapOnlyPlaintext
                | AutoconfigError::SmtpOnlyPlaintext => Attempt::Unsupported(error.to_string()),
                _ => Attempt::Miss,
            }
        }
    }
}

/// The query string of autoconfig URLs carries the address; the trace shows the URL without it.
fn redact_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

fn summary(candidate: &Candidate) -> String {
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

async fn admin_policy(context: &Context) -> Attempt<Candidate> {
    let started = Instant::now();
    let Some(path) = &context.options.policy_file else {
        return Attempt::Miss;
    };
    let query = path.display().to_string();
    let policy = match Policy::load(path) {
        Ok(Some(policy)) => policy,
        Ok(None) => {
            context.record(
                Source::AdminPolicy,
                query,
                Outcome::NotFound("no policy file".into()),
                started,
            );
            return Attempt::Miss;
        }
        Err(error) => {
            context.record(
                Source::AdminPolicy,
                query,
                Outcome::Failed(error.to_string()),
                started,
            );
            return Attempt::Miss;
        }
    };
    let Some(entry) = policy.for_domain(&context.domain) else {
        context.record(
            Source::AdminPolicy,
            query,
            Outcome::NotFound(format!("no entry for {}", context.domain)),
            started,
        );
        return Attempt::Miss;
    };
    let (imap, smtp) = entry.endpoints(&context.email);
    let provider = providers::by_mail_host(&imap.host);
    let candidate = Candidate {
        source: Source::AdminPolicy,
        provider: provider.map(|p| p.id),
        provider_name: entry.name.clone(),
        imap,
        smtp,
        sign_in: entry.sign_in(),
        verified: true,
        reached_through: Vec::new(),
    };
    context.record(
        Source::AdminPolicy,
        query,
        Outcome::Found(summary(&candidate)),
        started,
    );
    Attempt::Hit(candidate)
}

fn autoconfig_urls(context: &Context, scheme: &str) -> Vec<Url> {
    let domain = &context.domain;
    let mut first = Url::parse(&format!(
        "{scheme}://autoconfig.{domain}/mail/config-v1.1.xml"
    ))
    .expect("valid URL");
    first
        .query_pairs_mut()
        .append_pair("emailaddress", &context.email);
    let second = Url::parse(&format!(
        "{scheme}://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"
    ))
    .expect("valid URL");
    vec![first, second]
}

async fn autoconfig_https(context: &Context) -> Attempt<Candidate> {
    if !context.domain_queries_allowed(Source::Autoconfig) {
        return Attempt::Miss;
    }
    let queries = autoconfig_urls(context, "https")
        .into_iter()
        .map(|url| {
            Box::pin(fetch_config(
                context,
                Source::Autoconfig,
                url,
                true,
                Vec::new(),
            )) as BoxFuture<'_, _>
        })
        .collect();
    first_by_preference(queries).await
}

async fn autoconfig_http(context: &Context) -> Attempt<Candidate> {
    if !context.domain_queries_allowed(Source::AutoconfigHttp) {
        return Attempt::Miss;
    }
    let url = autoconfig_urls(context, "http").swap_remove(0);
    fetch_config(context, Source::AutoconfigHttp, url, false, Vec::new()).await
}

async fn ispdb_lookup(
    context: &Context,
    source: Source,
    domain: &str,
    reached: Vec<(String, &'static str)>,
    verified: bool,
) -> Attempt<Candidate> {
    let Ok(url) = context.options.ispdb_url.join(domain) else {
        return Attempt::Miss;
    };
    fetch_config(context, source, url, verified, reached).await
}

async fn ispdb(context: &Context) -> Attempt<Candidate> {
    ispdb_lookup(
        context,
        Source::Ispdb,
        &context.domain.clone(),
        Vec::new(),
        true,
    )
    .await
}

fn provider_candidate(
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
        reached_through,
    }
}

async fn mx(context: &Context) -> Attempt<Candidate> {
    let started = Instant::now();
    let query = format!("MX {}", context.domain);
    let records = match context.dns.mx(&context.domain).await {
        Ok(records) if !records.is_empty() => records,
        Ok(_) => {
            context.record(
                Source::Mx,
                query,
                Outcome::NotFound("no MX record".into()),
                started,
            );
            return Attempt::Miss;
        }
        Err(error) => {
            context.record(Source::Mx, query, describe_dns_error(&error), started);
            return Attempt::Miss;
        }
    };
    let mx_host = records[0].host.clone();
    // DNS answers are not authenticated, so an MX-derived answer is never "verified".
    if let Some(provider) = providers::by_mx(&mx_host) {
        let candidate = provider_candidate(
            context,
            Source::Mx,
            provider,
            false,
            vec![(mx_host.clone(), "MX record")],
        );
        context.record(
            Source::Mx,
            query,
            Outcome::Found(format!(
                "{mx_host} is {}; {}",
                provider.id.display_name(),
                summary(&candidate)
            )),
            started,
        );
        return Attempt::Hit(candidate);
    }
    context.record(
        Source::Mx,
        query,
        Outcome::Found(format!("mail is received by {mx_host}")),
        started,
    );
    match domain::registrable(&mx_host) {
        Some(mx_domain) if mx_domain != context.domain => {
            ispdb_lookup(
                context,
                Source::Mx,
                &mx_domain,
                vec![(mx_host, "MX record")],
                false,
            )
            .await
        }
        _ => Attempt::Miss,
    }
}

/// Asks AutoDiscover v1 at `url` (POST), following one `redirectUrl`/`redirectAddr`.
async fn autodiscover_v1(
    context: &Context,
    url: Url,
    mut reached: Vec<(String, &'static str)>,
) -> Attempt<Candidate> {
    let mut url = url;
    let mut email = context.email.clone();
    for _ in 0..2 {
        let started = Instant::now();
        let query = format!("POST {url}");
        let fetched = match context
            .http
            .post(
                url.clone(),
                "text/xml; charset=utf-8",
                autodiscover::v1_request(&email).into_bytes(),
            )
            .await
        {
            Ok(fetched) => fetched,
            Err(error) => {
                context.record(
                    Source::Autodiscover,
                    query,
                    describe_http_error(&error),
                    started,
                );
                return Attempt::Miss;
            }
        };
        reached.extend(hop_hosts(&fetched));
        let answer = match autodiscover::parse_v1(&String::from_utf8_lossy(&fetched.body), &email) {
            Ok(answer) => answer,
            Err(reason) => {
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::Failed(reason),
                    started,
                );
                return Attempt::Miss;
            }
        };
        match answer {
            V1Answer::RedirectUrl(next) => {
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::NotFound(format!("redirected to {next}")),
                    started,
                );
                match Url::parse(&next) {
                    Ok(next) if next.scheme() == "https" => {
                        if let Some(host) = next.host_str() {
                            reached.push((host.to_ascii_lowercase(), "AutoDiscover redirect"));
                        }
                        url = next;
                    }
                    _ => return Attempt::Miss,
                }
            }
            V1Answer::RedirectAddress(address) => {
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::NotFound(format!("redirected to the address {address}")),
                    started,
                );
                if let Some(other) = domain::email_domain(&address) {
                    reached.push((other, "AutoDiscover redirect"));
                }
                email = address;
            }
            V1Answer::Settings {
                imap: Some(imap),
                smtp: Some(smtp),
                ..
            } => {
                let provider = providers::by_mail_host(&imap.host);
                let mut sign_in = Vec::new();
                if let Some(oauth) = provider.and_then(|p| p.oauth.clone()) {
                    sign_in.push(SignIn::OAuth2(oauth));
                }
                sign_in.push(SignIn::Password);
                let candidate = Candidate {
                    source: Source::Autodiscover,
                    imap,
                    smtp,
                    sign_in,
                    provider: provider.map(|p| p.id),
                    provider_name: provider.map(|p| p.id.display_name().to_owned()),
                    verified: true,
                    reached_through: reached,
                };
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::Found(summary(&candidate)),
                    started,
                );
                return Attempt::Hit(candidate);
            }
            V1Answer::Settings { offered, .. } => {
                let reason = format!(
                    "offers {} but no encrypted IMAP and SMTP",
                    if offered.is_empty() {
                        "nothing".into()
                    } else {
                        offered.join(", ")
                    }
                );
                context.record(
                    Source::Autodiscover,
                    query,
                    Outcome::NotFound(reason),
                    started,
                );
                return Attempt::Miss;
            }
        }
    }
    Attempt::Miss
}

/// AutoDiscover v2: Microsoft's endpoint says whether the mailbox is in Exchange Online.
async fn autodiscover_v2(context: &Context, url: Url) -> Attempt<Candidate> {
    let started = Instant::now();
    let query = redact_query(&url);
    let fetched = match context.http.get(url).await {
        Ok(fetched) => fetched,
        Err(error) => {
            context.record(
                Source::Autodiscover,
                query,
                describe_http_error(&error),
                started,
            );
            return Attempt::Miss;
        }
    };
    let answer = match autodiscover::parse_v2(&fetched.body) {
        Ok(answer) => answer,
        Err(reason) => {
            context.record(
                Source::Autodiscover,
                query,
                Outcome::Failed(reason),
                started,
            );
            return Attempt::Miss;
        }
    };
    let Ok(target) = Url::parse(&answer.url) else {
        return Attempt::Miss;
    };
    let host = target.host_str().unwrap_or_default().to_ascii_lowercase();
    if let Some(provider) = providers::by_mail_host(&host) {
        let candidate =
            provider_candidate(context, Source::Autodiscover, provider, true, Vec::new());
        context.record(
            Source::Autodiscover,
            query,
            Outcome::Found(format!(
                "mailbox is in {}; {}",
                provider.id.display_name(),
                summary(&candidate)
            )),
            started,
        );
        return Attempt::Hit(candidate);
    }
    context.record(
        Source::Autodiscover,
        query,
        Outcome::Found(format!("mailbox is on premises at {host}")),
        started,
    );
    if target.scheme() != "https" {
        return Attempt::Miss;
    }
    autodiscover_v1(context, target, vec![(host, "AutoDiscover redirect")]).await
}

async fn autodiscover(context: &Context) -> Attempt<Candidate> {
    let email = &context.email;
    let mut v2_first =
        Url::parse("https://autodiscover-s.outlook.com/autodiscover/autodiscover.json")
            .expect("valid");
    v2_first
        .query_pairs_mut()
        .append_pair("Email", email)
        .append_pair("Protocol", "AutodiscoverV1");
    let mut v2_second =
        Url::parse("https://outlook.office365.com/autodiscover/autodiscover.json/v1.0/")
            .expect("valid");
    v2_second
        .path_segments_mut()
        .expect("base")
        .pop_if_empty()
        .push(email);
    v2_second
        .query_pairs_mut()
        .append_pair("Protocol", "AutodiscoverV1");

    let mut queries: Vec<BoxFuture<'_, Attempt<Candidate>>> = vec![
        Box::pin(autodiscover_v2(context, v2_first)),
        Box::pin(autodiscover_v2(context, v2_second)),
    ];
    if context.domain_queries_allowed(Source::Autodiscover) {
        let domain = &context.domain;
        for url in [
            format!("https://autodiscover.{domain}/autodiscover/autodiscover.xml"),
            format!("https://{domain}/autodiscover/autodiscover.xml"),
        ] {
            let url = Url::parse(&url).expect("valid");
            queries.push(Box::pin(autodiscover_v1(context, url, Vec::new())));
        }
        queries.push(Box::pin(autodiscover_http_redirect(context)));
        queries.push(Box::pin(autodiscover_srv(context)));
    }
    first_by_preference(queries).await
}

/// The legacy form: plain HTTP GET to `autodiscover.<domain>`, used only for its redirect to HTTPS.
async fn autodiscover_http_redirect(context: &Context) -> Attempt<Candidate> {
    let started = Instant::now();
    let url = Url::parse(&format!(
        "http://autodiscover.{}/autodiscover/autodiscover.xml",
        context.domain
    ))
    .expect("valid");
    let query = format!("GET {url} (redirect only)");
    match context.http.redirect_target(url).await {
        Ok(Some(target)) if target.scheme() == "https" => {
            context.record(
                Source::Autodiscover,
                query,
                Outcome::Found(format!("redirects to {target}")),
                started,
            );
            let host = target.host_str().unwrap_or_default().to_ascii_lowercase();
            autodiscover_v1(context, target, vec![(host, "redirect")]).await
        }
        Ok(Some(target)) => {
            context.record(
                Source::Autodiscover,
                query,
                Outcome::Failed(format!("redirects to the unencrypted {target}; refused")),
                started,
            );
            Attempt::Miss
        }
        Ok(None) => {
            context.record(
                Source::Autodiscover,
                query,
                Outcome::NotFound("no redirect".into()),
                started,
            );
            Attempt::Miss
        }
        Err(error) => {
            context.record(
                Source::Autodiscover,
                query,
                describe_http_error(&error),
                started,
            );
            Attempt::Miss
        }
    }
}

/// The preferred SRV record for `name`, with the query recorded in the trace; `None` when there is
/// no usable record.
async fn first_srv(context: &Context, source: Source, name: &str) -> Option<crate::net::dns::Srv> {
    let started = Instant::now();
    let query = format!("SRV {name}");
    match context.dns.srv(name).await {
        Ok(records) if !records.is_empty() => {
            let record = records[0].clone();
            let found = format!("{}:{}", record.target, record.port);
            context.record(source, query, Outcome::Found(found), started);
            Some(record)
        }
        Ok(_) => {
            context.record(
                source,
                query,
                Outcome::NotFound("no usable record".into()),
                started,
            );
            None
        }
        Err(error) => {
            context.record(source, query, describe_dns_error(&error), started);
            None
        }
    }
}

async fn autodiscover_srv(context: &Context) -> Attempt<Candidate> {
    let name = format!("_autodiscover._tcp.{}", context.domain);
    let Some(target) = first_srv(context, Source::Autodiscover, &name).await else {
        return Attempt::Miss;
    };
    let Ok(url) = Url::parse(&format!(
        "https://{}:{}/autodiscover/autodiscover.xml",
        target.target, target.port
    )) else {
        return Attempt::Miss;
    };
    autodiscover_v1(context, url, vec![(target.target, "SRV record")]).await
}

/// Sign-in methods for a server found by SRV or guessing: the provider's, or OAuth when the server
/// offers a bearer mechanism (its failure reply names the issuer), and the password path.
fn sign_in_for(imap_host: &str, probe: Option<&ProbeResult>) -> Vec<SignIn> {
    let mut methods = Vec::new();
    if let Some(oauth) = providers::by_mail_host(imap_host).and_then(|p| p.oauth.clone()) {
        methods.push(SignIn::OAuth2(oauth));
    } else if probe.is_some_and(ProbeResult::offers_oauth) {
        methods.push(SignIn::OAuth2(Default::default()));
    }
    methods.push(SignIn::Password);
    methods
}

async fn srv_lookup(context: &Context, service: &str, security: Security) -> Attempt<Endpoint> {
    let name = format!("{service}.{}", context.domain);
    match first_srv(context, Source::Srv, &name).await {
        Some(record) => Attempt::Hit(Endpoint {
            host: record.target,
            port: record.port,
            security,
            username: context.email.clone(),
        }),
        None => Attempt::Miss,
    }
}

async fn srv(context: &Context) -> Attempt<Candidate> {
    if !context.domain_queries_allowed(Source::Srv) {
        return Attempt::Miss;
    }
    // RFC 8314: implicit TLS first.
    let imap = first_by_preference(vec![
        Box::pin(srv_lookup(context, "_imaps._tcp", Security::Tls)) as BoxFuture<'_, _>,
        Box::pin(srv_lookup(context, "_imap._tcp", Security::StartTls)),
    ]);
    let smtp = first_by_preference(vec![
        Box::pin(srv_lookup(context, "_submissions._tcp", Security::Tls)) as BoxFuture<'_, _>,
        Box::pin(srv_lookup(context, "_submission._tcp", Security::StartTls)),
    ]);
    let (Attempt::Hit(imap), Attempt::Hit(smtp)) = futures::join!(imap, smtp) else {
        return Attempt::Miss;
    };
    let started = Instant::now();
    let probe = probe::imap(&context.dns, &imap.host, imap.port, imap.security).await;
    let query = format!("{}:{} {}", imap.host, imap.port, imap.security);
    match &probe {
        Ok(_) => context.record(
            Source::Srv,
            query,
            Outcome::Found("IMAP server answers".into()),
            started,
        ),
        Err(reason) => {
            context.record(Source::Srv, query, Outcome::Failed(reason.clone()), started);
            return Attempt::Miss;
        }
    }
    let reached = vec![
        (imap.host.clone(), "SRV record"),
        (smtp.host.clone(), "SRV record"),
    ];
    let candidate = Candidate {
        source: Source::Srv,
        sign_in: sign_in_for(&imap.host, probe.as_ref().ok()),
        provider: providers::by_mail_host(&imap.host).map(|p| p.id),
        provider_name: None,
        imap,
        smtp,
        verified: false,
        reached_through: reached,
    };
    Attempt::Hit(candidate)
}

async fn probe_one(
    context: &Context,
    imap: bool,
    host: String,
    port: u16,
    security: Security,
) -> Attempt<(Endpoint, ProbeResult)> {
    let started = Instant::now();
    let query = format!(
        "{} {host}:{port} {security}",
        if imap { "IMAP" } else { "SMTP" }
    );
    let result = if imap {
        probe::imap(&context.dns, &host, port, security).await
    } else {
        probe::smtp(&context.dns, &host, port, security).await
    };
    match result {
        Ok(found) => {
            context.record(
                Source::Guess,
                query,
                Outcome::Found("answers".into()),
                started,
            );
            Attempt::Hit((
                Endpoint {
                    host,
                    port,
                    security,
                    username: context.email.clone(),
                },
                found,
            ))
        }
        Err(reason) => {
            context.record(Source::Guess, query, Outcome::NotFound(reason), started);
            Attempt::Miss
        }
    }
}

async fn guess(context: &Context) -> Attempt<Candidate> {
    if !context.domain_queries_allowed(Source::Guess) {
        return Attempt::Miss;
    }
    let domain = &context.domain;
    // Most likely first; implicit TLS before STARTTLS. Never a plaintext port.
    let imap_tries = [
        (format!("imap.{domain}"), 993, Security::Tls),
        (format!("mail.{domain}"), 993, Security::Tls),
        (format!("imap.{domain}"), 143, Security::StartTls),
        (format!("mail.{domain}"), 143, Security::StartTls),
    ];
    let smtp_tries = [
        (format!("smtp.{domain}"), 465, Security::Tls),
        (format!("mail.{domain}"), 465, Security::Tls),
        (format!("smtp.{domain}"), 587, Security::StartTls),
        (format!("mail.{domain}"), 587, Security::StartTls),
    ];
    let imap = first_by_preference::<(Endpoint, ProbeResult)>(
        imap_tries
            .into_iter()
            .map(|(h, p, s)| Box::pin(probe_one(context, true, h, p, s)) as BoxFuture<'_, _>)
            .collect(),
    );
    let smtp = first_by_preference::<(Endpoint, ProbeResult)>(
        smtp_tries
            .into_iter()
            .map(|(h, p, s)| Box::pin(probe_one(context, false, h, p, s)) as BoxFuture<'_, _>)
            .collect(),
    );
    let (Attempt::Hit((imap, imap_probe)), Attempt::Hit((smtp, _))) = futures::join!(imap, smtp)
    else {
        return Attempt::Miss;
    };
    Attempt::Hit(Candidate {
        source: Source::Guess,
        sign_in: sign_in_for(&imap.host, Some(&imap_probe)),
        provider: None,
        provider_name: None,
        imap,
        smtp,
        verified: false,
        reached_through: Vec::new(),
    })
}
