//! One HTTP client for everything Tayori fetches (discovery documents, OAuth metadata): rustls with the
//! platform trust store, names resolved through [`Dns`], no cookies, never any credentials, bodies capped,
//! redirects followed by hand so every hop can be checked (count, https→http downgrade, and — by the
//! caller — which domain the answer finally came from).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thiserror::Error;
use url::Url;

use super::dns::Dns;
use super::proxy::{ProxySettings, Refusal, Route, negotiate, tunnel};
use super::{NetError, tls_client_config};
use crate::redact::Secret;

/// Bodies larger than this are refused: no discovery document is anywhere near it.
pub const MAX_BODY: usize = 1024 * 1024;
/// Redirect hops followed before giving up.
pub const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Clone, Error)]
pub enum HttpError {
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} sent more than {limit} bytes; refused")]
    TooLarge { url: String, limit: usize },
    #[error("more than {MAX_REDIRECTS} redirects starting at {url}")]
    TooManyRedirects { url: String },
    #[error("{from} redirected to the unencrypted {to}; refused")]
    Downgrade { from: String, to: String },
    #[error("{url} redirected to an invalid location")]
    BadRedirect { url: String },
    #[error("{url} did not answer in time")]
    Timeout { url: String },
    #[error("could not reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The network, the proxy or TLS inspection said no, in words for the person.
    #[error("{refusal}")]
    Refused { url: String, refusal: Refusal },
}

impl HttpError {
    /// What went wrong without the URL, for places that show the URL already (the discovery trace).
    pub fn reason(&self) -> String {
        match self {
            HttpError::Status { status, .. } => format!("HTTP {status}"),
            HttpError::TooLarge { limit, .. } => {
                format!("answer larger than {limit} bytes; refused")
            }
            HttpError::TooManyRedirects { .. } => format!("more than {MAX_REDIRECTS} redirects"),
            HttpError::Downgrade { to, .. } => {
                format!("redirected to the unencrypted {to}; refused")
            }
            HttpError::BadRedirect { .. } => "redirected to an invalid location".into(),
            HttpError::Timeout { .. } => "no answer in time".into(),
            HttpError::Unreachable { reason, .. } => reason.clone(),
            HttpError::Refused { refusal, .. } => refusal.to_string(),
        }
    }
}

/// A response that ended in 2xx, with the path that led to it.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Every URL visited, the requested one first and the one that answered last.
    pub hops: Vec<Url>,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn final_url(&self) -> &Url {
        self.hops.last().expect("at least the requested URL")
    }
}

#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    dns: Dns,
    proxy: Arc<ProxySettings>,
    /// What the network refused so far, with the host it was refused for, first first.
    refusals: Arc<Mutex<Vec<(String, Refusal)>>>,
    /// Saved proxy sign-ins (user, password) by the proxy's `host:port`: only for `https://`
    /// proxies, loaded from the keyring once ([`Http::ready`]).
    proxy_sign_ins: Arc<std::sync::RwLock<HashMap<String, (String, Secret)>>>,
    sign_ins_loaded: Arc<tokio::sync::OnceCell<()>>,
    /// How many requests got an HTTP answer (any status but a proxy's 407): a refusal explains a
    /// failed discovery only where nothing answered at all.
    answered: Arc<std::sync::atomic::AtomicUsize>,
    /// One client per route, for URLs whose PAC answer names fallbacks.
    by_route: Arc<Mutex<HashMap<Route, reqwest::Client>>>,
    /// What each HTTP proxy (`host:port`) is known to want: `true` Negotiate (Kerberos), learnt
    /// from its 407; `false` it let a request through without. Unknown until then.
    negotiate: Arc<Mutex<HashMap<String, bool>>>,
    timeout: Duration,
}

/// How one request by one route ended.
enum Attempt {
    Failed(reqwest::Error),
    /// Refused before anything was sent (no Kerberos ticket for a proxy that wants one).
    Refused(Refusal),
}

impl Http {
    /// A client that connects directly (no proxy).
    pub fn new(dns: Dns, timeout: Duration) -> Result<Self, NetError> {
        Self::with_proxy(dns, timeout, ProxySettings::direct())
    }

    /// A client that goes the way `proxy` says for each URL.
    pub fn with_proxy(dns: Dns, timeout: Duration, proxy: ProxySettings) -> Result<Self, NetError> {
        let tls = (*tls_client_config()?).clone();
        let proxy = Arc::new(proxy);
        let routing = proxy.clone();
        let proxy_sign_ins: Arc<std::sync::RwLock<HashMap<String, (String, Secret)>>> =
            Arc::default();
        let sign_ins = proxy_sign_ins.clone();
        // Only this rule decides (reqwest's own reading of the environment is off once a proxy
        // is given): it already holds the policy, the person's setting and the environment.
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .dns_resolver(Arc::new(dns.clone()))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(crate::user_agent())
            .timeout(timeout)
            .connect_timeout(timeout)
            .proxy(reqwest::Proxy::custom(move |url| {
                let route = routing.route(url);
                let mut proxy_url = route.proxy_url()?;
                // A password goes only to a proxy spoken to over TLS.
                if let (Route::Https { .. }, Some(at)) = (&route, route.proxy_at())
                    && let Some((user, password)) =
                        sign_ins.read().ok().and_then(|map| map.get(&at).cloned())
                {
                    let _ = proxy_url.set_username(user.as_str());
                    let _ = proxy_url.set_password(Some(password.expose()));
                }
                Some(proxy_url)
            }))
            .build()
            .map_err(|e| NetError::TrustStore(e.to_string()))?;
        Ok(Self {
            client,
            dns,
            proxy,
            refusals: Arc::default(),
            proxy_sign_ins,
            sign_ins_loaded: Arc::default(),
            answered: Arc::default(),
            by_route: Arc::default(),
            negotiate: Arc::default(),
            timeout,
        })
    }

    /// Loads the saved sign-ins of the `https://` proxies the setting names (once per client);
    /// called before every request, and by users of [`Http::client`] before theirs.
    pub async fn ready(&self) {
        // Half the request's time at most for the PAC file: the request needs the rest.
        self.proxy.prepare(&self.dns, self.timeout / 2).await;
        self.sign_ins_loaded
            .get_or_init(|| async {
                for at in self.proxy.https_proxies() {
                    match crate::keyring_store::load(
                        &at,
                        crate::keyring_store::SecretKind::ProxyPassword,
                    )
                    .await
                    {
                        Ok(Some(saved)) => {
                            if let Some((user, password)) = saved.expose().split_once(':')
                                && let Ok(mut map) = self.proxy_sign_ins.write()
                            {
                                map.insert(at.clone(), (user.to_owned(), Secret::new(password)));
                            }
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!(proxy = %at, "proxy sign-in not read: {e}"),
                    }
                }
            })
            .await;
    }

    /// A client builder with everything but the proxy: Tayori's resolver, TLS, no redirects.
    fn builder(&self) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder()
            .dns_resolver(Arc::new(self.dns.clone()))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(crate::user_agent())
            .timeout(self.timeout)
            .connect_timeout(self.timeout);
        if let Ok(tls) = tls_client_config() {
            builder = builder.use_preconfigured_tls((*tls).clone());
        }
        builder
    }

    /// The client that goes exactly by `route`.
    fn client_for(&self, route: &Route) -> reqwest::Client {
        if let Some(client) = self
            .by_route
            .lock()
            .ok()
            .and_then(|m| m.get(route).cloned())
        {
            return client;
        }
        let mut builder = self.builder();
        builder = match route.proxy_url() {
            None => builder.no_proxy(),
            Some(mut proxy_url) => {
                if let Some((user, password)) = self.sign_in_for(route) {
                    let _ = proxy_url.set_username(&user);
                    let _ = proxy_url.set_password(Some(password.expose()));
                }
                match reqwest::Proxy::all(proxy_url.as_str()) {
                    Ok(proxy) => builder.proxy(proxy),
                    Err(_) => builder.no_proxy(),
                }
            }
        };
        let client = builder.build().unwrap_or_else(|_| self.client.clone());
        if let Ok(mut map) = self.by_route.lock() {
            map.insert(route.clone(), client.clone());
        }
        client
    }

    /// Whether the HTTP proxy of `route` is known to want Negotiate (`None`: not known yet).
    fn wants_negotiate(&self, route: &Route) -> Option<bool> {
        let at = route.proxy_at()?;
        self.negotiate.lock().ok()?.get(&at).copied()
    }

    fn learn_negotiate(&self, route: &Route, wants: bool) {
        if let (Some(at), Ok(mut map)) = (route.proxy_at(), self.negotiate.lock()) {
            map.insert(at, wants);
        }
    }

    /// A client for one request through the proxy of `route` with a fresh Negotiate token from
    /// the system's Kerberos ticket (a token is good once: the proxy keeps a replay cache, so
    /// each request gets its own client, connection and token).
    async fn negotiate_client(&self, route: &Route) -> Result<reqwest::Client, Refusal> {
        let (Route::Http { host, .. } | Route::Https { host, .. }) = route else {
            return Ok(self.client.clone());
        };
        let proxy = route.proxy_at().unwrap_or_default();
        let authorization = negotiate::authorization(host).await.map_err(|e| {
            tracing::info!(
                proxy,
                "the proxy's Kerberos challenge was not answered: {e}"
            );
            Refusal::ProxyKerberosUnavailable {
                proxy: proxy.clone(),
            }
        })?;
        let mut value = reqwest::header::HeaderValue::from_str(&authorization).map_err(|_| {
            Refusal::ProxyKerberosUnavailable {
                proxy: proxy.clone(),
            }
        })?;
        value.set_sensitive(true);
        let proxy_url = route.proxy_url().ok_or(Refusal::ProxyKerberosUnavailable {
            proxy: proxy.clone(),
        })?;
        let with_token = reqwest::Proxy::all(proxy_url.as_str())
            .map(|p| p.custom_http_auth(value))
            .map_err(|_| Refusal::ProxyKerberosUnavailable {
                proxy: proxy.clone(),
            })?;
        tracing::debug!(
            proxy,
            "answering the proxy's Negotiate challenge with a Kerberos ticket"
        );
        self.builder()
            .proxy(with_token)
            .build()
            .map_err(|_| Refusal::ProxyKerberosUnavailable { proxy })
    }

    /// The client for one request to `url` made outside [`Http::get`]/[`Http::post`] (the OAuth
    /// library's token requests, registration, revocation): the shared one, or — where the URL's
    /// proxy wants Negotiate — one with a fresh Kerberos token. A proxy not yet known is asked
    /// once with a CONNECT.
    pub async fn client_for_url(&self, url: &str) -> reqwest::Client {
        self.ready().await;
        let Ok(url) = Url::parse(url) else {
            return self.client.clone();
        };
        let route = self.proxy.route(&url);
        if !matches!(route, Route::Http { .. } | Route::Https { .. }) {
            return self.client.clone();
        }
        let wants = match self.wants_negotiate(&route) {
            Some(wants) => wants,
            None => {
                let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
                    return self.client.clone();
                };
                let sign_in = self.sign_in_for(&route);
                match tunnel::challenge(&self.dns, &route, host, port, sign_in.as_ref()).await {
                    Some(answer) => {
                        let wants = answer.status == 407 && negotiate::offered(&answer.schemes);
                        self.learn_negotiate(&route, wants);
                        wants
                    }
                    None => false,
                }
            }
        };
        if !wants {
            return self.client.clone();
        }
        self.negotiate_client(&route)
            .await
            .unwrap_or_else(|_| self.client.clone())
    }

    /// One request by `route`: with a Negotiate token where its proxy is known to want one; and
    /// where an HTTP proxy not yet known answers with a Negotiate challenge, once more with one.
    async fn send_by(
        &self,
        url: &Url,
        route: &Route,
        shared: bool,
        make: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Attempt> {
        if self.wants_negotiate(route) == Some(true) {
            let client = self
                .negotiate_client(route)
                .await
                .map_err(Attempt::Refused)?;
            return make(&client).send().await.map_err(Attempt::Failed);
        }
        let client = if shared {
            self.client.clone()
        } else {
            self.client_for(route)
        };
        let first = make(&client).send().await;
        if !matches!(route, Route::Http { .. } | Route::Https { .. }) {
            return first.map_err(Attempt::Failed);
        }
        let challenged = match &first {
            Ok(response)
                if response.status() == reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED =>
            {
                negotiate::offered(&challenge_schemes(response))
            }
            Ok(_) => {
                self.learn_negotiate(route, false);
                false
            }
            // reqwest does not say what the proxy answered to CONNECT: it is asked once more.
            Err(e) if url.scheme() == "https" && !e.is_timeout() && !connection_refused(e) => {
                let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
                    return first.map_err(Attempt::Failed);
                };
                let sign_in = self.sign_in_for(route);
                tunnel::challenge(&self.dns, route, host, port, sign_in.as_ref())
                    .await
                    .is_some_and(|answer| {
                        answer.status == 407 && negotiate::offered(&answer.schemes)
                    })
            }
            Err(_) => false,
        };
        if !challenged {
            return first.map_err(Attempt::Failed);
        }
        self.learn_negotiate(route, true);
        let client = self
            .negotiate_client(route)
            .await
            .map_err(Attempt::Refused)?;
        make(&client).send().await.map_err(Attempt::Failed)
    }

    /// Sends the request `make` builds, by the routes the setting gives `url` in order: the next
    /// route only when the proxy of this one could not be reached (a PAC file's fallbacks).
    async fn send(
        &self,
        url: &Url,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, HttpError> {
        let routes = match self.proxy.routes(url) {
            routes if routes.is_empty() => vec![Route::Direct],
            routes => routes,
        };
        // A single route is the shared client's own (its proxy rule gives the same answer).
        let shared = routes.len() == 1;
        let mut last = None;
        for (index, route) in routes.iter().enumerate() {
            match self.send_by(url, route, shared, &make).await {
                Ok(response) => return Ok(response),
                Err(Attempt::Refused(refusal)) => {
                    self.record(url, &refusal);
                    return Err(HttpError::Refused {
                        url: url.to_string(),
                        refusal,
                    });
                }
                Err(Attempt::Failed(e))
                    if index + 1 < routes.len() && route.proxy_at().is_some() && e.is_connect() =>
                {
                    tracing::info!(url = %url, proxy = ?route.proxy_at(), "proxy unreachable; trying the next one");
                    last = Some((e, route));
                }
                Err(Attempt::Failed(e)) => return Err(self.failed(url, &e, Some(route)).await),
            }
        }
        match last {
            Some((e, route)) => Err(self.failed(url, &e, Some(route)).await),
            None => Err(HttpError::Unreachable {
                url: url.to_string(),
                reason: "no route".into(),
            }),
        }
    }

    fn sign_in_for(&self, route: &Route) -> Option<(String, Secret)> {
        if !matches!(route, Route::Https { .. }) {
            return None;
        }
        let at = route.proxy_at()?;
        self.proxy_sign_ins.read().ok()?.get(&at).cloned()
    }

    /// The proxy setting this client follows.
    pub fn proxy(&self) -> &ProxySettings {
        &self.proxy
    }

    /// What the network refused, preferring a refusal for a host in `domain` (the one the person
    /// asked about), else the first.
    pub fn refusal_for_domain(&self, domain: &str) -> Option<Refusal> {
        // Only where nothing answered at all: a 404 from one source means the network works.
        if self.answered.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            return None;
        }
        let refusals = self.refusals.lock().ok()?;
        let suffix = format!(".{domain}");
        refusals
            .iter()
            .find(|(host, _)| host == domain || host.ends_with(&suffix))
            .or_else(|| refusals.first())
            .map(|(_, refusal)| refusal.clone())
    }

    fn record(&self, url: &Url, refusal: &Refusal) {
        if let Ok(mut refusals) = self.refusals.lock() {
            refusals.push((
                url.host_str().unwrap_or_default().to_ascii_lowercase(),
                refusal.clone(),
            ));
        }
    }

    /// Turns a failed request into the error to show: a refusal named by its layer where the
    /// failure says which, otherwise the innermost cause.
    async fn failed(&self, url: &Url, error: &reqwest::Error, route: Option<&Route>) -> HttpError {
        if error.is_timeout() {
            return HttpError::Timeout {
                url: url.to_string(),
            };
        }
        let route = route.cloned().unwrap_or_else(|| self.proxy.route(url));
        match self.refusal_of(url, error, route).await {
            Some(refusal) => {
                self.record(url, &refusal);
                HttpError::Refused {
                    url: url.to_string(),
                    refusal,
                }
            }
            None => classify(url, error),
        }
    }

    async fn refusal_of(&self, url: &Url, error: &reqwest::Error, route: Route) -> Option<Refusal> {
        let host = url.host_str()?.to_owned();
        let port = url.port_or_known_default()?;
        let chain = error_chain(error);
        if chain.contains("UnknownIssuer") {
            let issuer = super::issuer::untrusted_issuer(&host)?;
            return Some(match route {
                Route::Direct => Refusal::TlsUnknownIssuer { host, issuer },
                _ => Refusal::TlsResigned { host, issuer },
            });
        }
        if connection_refused(error) {
            return match route.proxy_at() {
                Some(proxy) => Some(Refusal::ProxyUnreachable { proxy }),
                None => match self.proxy.pac_problem() {
                    Some((url, problem)) => Some(Refusal::PacUnusable { url, problem }),
                    None if !self.proxy.names_a_proxy() => Some(Refusal::DirectRefusedNoProxy),
                    None => None,
                },
            };
        }
        match &route {
            Route::Http { .. } | Route::Https { .. } if url.scheme() == "https" => {
                let sign_in = self.sign_in_for(&route);
                tunnel::diagnose(&self.dns, &route, &host, port, sign_in.as_ref()).await
            }
            Route::Socks5 { .. } if chain.contains("SOCKS") && chain.contains("not allowed") => {
                Some(Refusal::SocksRefused {
                    proxy: route.proxy_at()?,
                    host,
                    port,
                })
            }
            _ => None,
        }
    }

    /// A 407 to a plain-HTTP request sent through a proxy: what its challenge means.
    fn proxy_challenge(&self, url: &Url, response: &reqwest::Response) -> Option<Refusal> {
        let route = self.proxy.route(url);
        route.proxy_at()?;
        let answer = tunnel::ConnectAnswer {
            status: 407,
            status_text: "407 Proxy Authentication Required".into(),
            schemes: challenge_schemes(response),
        };
        let sign_in = self.sign_in_for(&route);
        tunnel::refusal_for(
            &route,
            url.host_str()?,
            url.port_or_known_default()?,
            &answer,
            sign_in.as_ref().map(|(user, _)| user.as_str()),
        )
    }

    /// The underlying client (redirects off, no cookies), for the OAuth library's token requests.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// GET, following redirects by hand.
    pub async fn get(&self, url: Url) -> Result<Fetched, HttpError> {
        self.fetch(url, None).await
    }

    /// POST a body (AutoDiscover v1 asks with an XML POST); redirects re-POST, as Outlook does.
    pub async fn post(
        &self,
        url: Url,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Fetched, HttpError> {
        self.fetch(url, Some((content_type.to_owned(), body))).await
    }

    /// One GET without following: the `Location` of a redirect, or `None` when the answer is not one.
    pub async fn redirect_target(&self, url: Url) -> Result<Option<Url>, HttpError> {
        self.ready().await;
        let response = self.send(&url, |client| client.get(url.clone())).await?;
        self.answered
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !response.status().is_redirection() {
            return Ok(None);
        }
        response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| url.join(location).ok())
            .map(Some)
            .ok_or_else(|| HttpError::BadRedirect {
                url: url.to_string(),
            })
    }

    async fn fetch(&self, url: Url, post: Option<(String, Vec<u8>)>) -> Result<Fetched, HttpError> {
        self.ready().await;
        let mut hops = vec![url];
        loop {
            let current = hops.last().expect("non-empty").clone();
            let mut response = self
                .send(&current, |client| match &post {
                    Some((content_type, body)) => client
                        .post(current.clone())
                        .header(reqwest::header::CONTENT_TYPE, content_type)
                        .body(body.clone()),
                    None => client.get(current.clone()),
                })
                .await?;
            let status = response.status();
            if status != reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
                self.answered
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if status == reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED
                && let Some(refusal) = self.proxy_challenge(&current, &response)
            {
                self.record(&current, &refusal);
                return Err(HttpError::Refused {
                    url: current.to_string(),
                    refusal,
                });
            }
            if status.is_redirection() {
                if hops.len() > MAX_REDIRECTS {
                    return Err(HttpError::TooManyRedirects {
                        url: hops[0].to_string(),
                    });
                }
                let next = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|location| current.join(location).ok())
                    .filter(|next| matches!(next.scheme(), "http" | "https"))
                    .ok_or_else(|| HttpError::BadRedirect {
                        url: current.to_string(),
                    })?;
                if current.scheme() == "https" && next.scheme() == "http" {
                    return Err(HttpError::Downgrade {
                        from: current.to_string(),
                        to: next.to_string(),
                    });
                }
                hops.push(next);
                continue;
            }
            if !status.is_success() {
                return Err(HttpError::Status {
                    url: current.to_string(),
                    status: status.as_u16(),
                });
            }
            if response
                .content_length()
                .is_some_and(|len| len > MAX_BODY as u64)
            {
                return Err(HttpError::TooLarge {
                    url: current.to_string(),
                    limit: MAX_BODY,
                });
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| classify(&current, &e))? {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(HttpError::TooLarge {
                        url: current.to_string(),
                        limit: MAX_BODY,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                hops,
                status: status.as_u16(),
                content_type,
                body,
            });
        }
    }
}

/// The schemes of a 407's `Proxy-Authenticate` challenges, in order.
fn challenge_schemes(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(reqwest::header::PROXY_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Whether a connection was refused (a TCP reset to the SYN): by the firewall when direct, by the
/// proxy host when through a proxy.
fn connection_refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(inner) = source {
        if let Some(io) = inner.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = inner.source();
    }
    false
}

/// Reads at most `limit` bytes of an answer that came outside [`Http::get`]/[`Http::post`] (a
/// JSON POST to a sign-in service); `Err` names the cause, and says so when the answer was larger.
pub async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(format!(
            "the answer was larger than {} KiB; not read",
            limit / 1024
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| root_cause(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(format!(
                "the answer was larger than {} KiB; not read",
                limit / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn classify(url: &Url, error: &reqwest::Error) -> HttpError {
    if error.is_timeout() {
        return HttpError::Timeout {
            url: url.to_string(),
        };
    }
    HttpError::Unreachable {
        url: url.to_string(),
        reason: root_cause(error),
    }
}

/// The innermost cause: reqwest's outer messages only repeat the URL ("error sending request for
/// url …: client error (Connect)"), the last one says what happened ("certificate not trusted",
/// "connection refused", "… does not exist in DNS").
pub fn root_cause(error: &dyn std::error::Error) -> String {
    let mut deepest = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        deepest = inner.to_string();
        source = inner.source();
    }
    deepest
}

/// "outer: inner: innermost" — reqwest's own message alone rarely says what went wrong.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A tiny plain-HTTP server on loopback answering each connection with the next canned reply.
    async fn serve(replies: Vec<String>) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = tokio::spawn(async move {
            let mut requests = Vec::new();
            for reply in replies {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap();
                requests.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                socket
                    .write_all(reply.replace("{port}", &port.to_string()).as_bytes())
                    .await
                    .unwrap();
                let _ = socket.shutdown().await;
            }
            requests
        });
        (port, handle)
    }

    fn http() -> Http {
        Http::new(
            Dns::new(None, Duration::from_secs(2)).unwrap(),
            Duration::from_secs(2),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn redirects_are_followed_and_recorded_without_credentials() {
        let (port, server) = serve(vec![
            "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n".into(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5\r\n\r\n<ok/>".into(),
        ])
        .await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/start")).unwrap();
        let fetched = http().get(url).await.unwrap();
        assert_eq!(fetched.body, b"<ok/>");
        assert_eq!(fetched.hops.len(), 2);
        assert_eq!(fetched.final_url().path(), "/next");
        for request in server.await.unwrap() {
            let lower = request.to_ascii_lowercase();
            assert!(
                !lower.contains("authorization:") && !lower.contains("cookie:"),
                "{request}"
            );
            assert!(lower.contains("user-agent: tayori/"), "{request}");
        }
    }

    #[tokio::test]
    async fn bodies_over_the_cap_are_refused() {
        let big = "x".repeat(MAX_BODY + 10);
        let (port, _server) = serve(vec![format!(
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{big}"
        )])
        .await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/big")).unwrap();
        assert!(matches!(
            http().get(url).await,
            Err(HttpError::TooLarge { .. })
        ));
    }

    #[tokio::test]
    async fn endless_redirects_stop() {
        let loop_reply =
            "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n".to_string();
        let (port, _server) = serve(vec![loop_reply; MAX_REDIRECTS + 2]).await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/again")).unwrap();
        assert!(matches!(
            http().get(url).await,
            Err(HttpError::TooManyRedirects { .. })
        ));
    }

    #[tokio::test]
    async fn error_statuses_are_errors() {
        let (port, _server) = serve(vec![
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".into(),
        ])
        .await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/missing")).unwrap();
        assert!(matches!(
            http().get(url).await,
            Err(HttpError::Status { status: 404, .. })
        ));
    }
}
