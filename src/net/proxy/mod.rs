//! Which way a connection goes on an organisation's network: directly, or through the proxy the
//! admin policy, the person's own setting, the environment or the desktop names (issue 26), and
//! what to tell the person when the network says no ([`Refusal`]).
//!
//! Where the answer comes from, the first that says anything deciding:
//! 1. the admin policy's `[proxy]` (final unless it says `user_may_override = true`),
//! 2. the person's `tayori.toml` `[proxy]`,
//! 3. the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper or lower case),
//! 4. the system's own setting ([`system`]): GNOME's `org.gnome.system.proxy` (through
//!    `gsettings`), KDE's `kioslaverc`, Windows' Internet Settings (the WinINet/IE settings group
//!    policy writes, per user or per machine) and then its WinHTTP machine proxy (`netsh winhttp
//!    set proxy`), macOS's network settings (`scutil --proxy`),
//! 5. otherwise direct connections.

pub mod negotiate;
pub mod pac;
mod refusal;
mod system;
pub mod tunnel;

use std::net::IpAddr;
use std::sync::Arc;

use serde::Deserialize;
use url::Url;

pub use refusal::{PacProblem, Refusal};

// The person's `[proxy]` table is part of `tayori.toml`, so its types live in `config`.
pub use crate::config::{MailMode, ProxyConfig};

/// The admin policy's `[proxy]`: the same keys, and whether the person may replace them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyProxy {
    pub url: Option<String>,
    pub pac_url: Option<String>,
    pub wpad: bool,
    pub exceptions: Vec<String>,
    pub mail: Option<MailMode>,
    pub user_may_override: bool,
}

impl PolicyProxy {
    fn config(&self) -> ProxyConfig {
        ProxyConfig {
            url: self.url.clone(),
            pac_url: self.pac_url.clone(),
            wpad: self.wpad,
            exceptions: self.exceptions.clone(),
            mail: self.mail,
        }
    }
}

/// The `[proxy]` table of the admin policy file at `path`; `Ok(None)` when there is no file or no
/// table. Only this table is read here: the rest of the file is discovery's (which checks it whole).
fn policy_proxy(path: &std::path::Path) -> Result<Option<PolicyProxy>, String> {
    #[derive(Deserialize)]
    struct ProxyTableOnly {
        #[serde(default)]
        proxy: Option<PolicyProxy>,
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "the admin policy file {} could not be read: {e}",
                path.display()
            ));
        }
    };
    let table: ProxyTableOnly = toml::from_str(&text).map_err(|e| {
        format!(
            "the admin policy file {} is not valid: {}. Ask your administrator to correct it.",
            path.display(),
            e.message()
        )
    })?;
    Ok(table.proxy)
}

/// Why a proxy sign-in could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum ProxySignInError {
    #[error("a proxy user name cannot contain ':'")]
    UserHasColon,
    #[error(transparent)]
    Keyring(#[from] crate::keyring_store::KeyringError),
}

/// Whether `user` can be kept: it is stored as `user:password`, so a colon in the name would
/// split it wrongly when read back. (The window checks as the person types.)
pub fn check_user(user: &str) -> Result<(), ProxySignInError> {
    if user.contains(':') {
        Err(ProxySignInError::UserHasColon)
    } else {
        Ok(())
    }
}

/// Keeps the proxy's user name and password in the system keyring under `proxy` (`host:port`,
/// as refusals name it), where every request through that proxy reads them; never in a file.
/// (`tayori proxy sign-in` and the window's form both come here.)
pub async fn save_sign_in(
    proxy: &str,
    user: &str,
    password: crate::redact::Secret,
) -> Result<(), ProxySignInError> {
    check_user(user)?;
    let value = crate::redact::Secret::new(format!("{user}:{}", password.expose()));
    crate::keyring_store::save(
        proxy,
        crate::keyring_store::SecretKind::ProxyPassword,
        &value,
    )
    .await?;
    Ok(())
}

/// The user name and password saved for the `https://` proxy at `proxy` (`host:port`), if any.
pub async fn load_sign_in(proxy: &str) -> Option<(String, crate::redact::Secret)> {
    match crate::keyring_store::load(proxy, crate::keyring_store::SecretKind::ProxyPassword).await {
        Ok(Some(saved)) => saved
            .expose()
            .split_once(':')
            .map(|(user, password)| (user.to_owned(), crate::redact::Secret::new(password))),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(proxy, "proxy sign-in not read: {e}");
            None
        }
    }
}

/// Where the proxy setting in force came from (shown by `tayori proxy show` and logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Policy,
    Person,
    Environment,
    Gnome,
    Kde,
    Windows,
    /// The machine's WinHTTP proxy (`netsh winhttp set proxy`).
    WinHttp,
    MacOs,
    Nothing,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Policy => "the admin policy",
            Source::Person => "your Tayori settings",
            Source::Environment => "the environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)",
            Source::Gnome => "GNOME's network proxy settings",
            Source::Kde => "KDE's proxy settings (kioslaverc)",
            Source::Windows => "Windows' proxy settings (Internet Options, or group policy)",
            Source::WinHttp => "Windows' machine-wide WinHTTP proxy (netsh winhttp)",
            Source::MacOs => "macOS's proxy settings (System Settings → Network)",
            Source::Nothing => "nothing (direct connections)",
        }
    }
}

/// One way to reach a server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Route {
    Direct,
    /// An HTTP proxy spoken to in plain HTTP (CONNECT for TLS inside).
    Http {
        host: String,
        port: u16,
    },
    /// An HTTP proxy spoken to over TLS (the only kind Tayori sends a proxy password to).
    Https {
        host: String,
        port: u16,
    },
    /// A SOCKS5 server; `remote_dns`: the proxy resolves the name (`socks5h://`).
    Socks5 {
        host: String,
        port: u16,
        remote_dns: bool,
    },
}

impl Route {
    /// `direct`, `http://host:port`, `https://…`, `socks5://…`, `socks5h://…`, or `host:port`
    /// (an HTTP proxy, as environment variables often name it).
    pub fn parse(value: &str) -> Result<Route, String> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("direct") {
            return Ok(Route::Direct);
        }
        let with_scheme = if value.contains("://") {
            value.to_owned()
        } else {
            format!("http://{value}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| format!("{value:?}: {e}"))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{value:?} names no proxy host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let scheme = url.scheme().to_ascii_lowercase();
        let port = url.port().unwrap_or(match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => 1080,
        });
        match scheme.as_str() {
            "http" => Ok(Route::Http { host, port }),
            "https" => Ok(Route::Https { host, port }),
            "socks5" | "socks" => Ok(Route::Socks5 {
                host,
                port,
                remote_dns: false,
            }),
            "socks5h" => Ok(Route::Socks5 {
                host,
                port,
                remote_dns: true,
            }),
            other => Err(format!(
                "{value:?}: Tayori speaks to http://, https:// and socks5:// proxies, not {other}://"
            )),
        }
    }

    /// `host:port` of the proxy, as refusals name it; `None` for a direct route.
    pub fn proxy_at(&self) -> Option<String> {
        match self {
            Route::Direct => None,
            Route::Http { host, port }
            | Route::Https { host, port }
            | Route::Socks5 { host, port, .. } => Some(format!("{host}:{port}")),
        }
    }

    /// The URL reqwest is given for this route.
    pub fn proxy_url(&self) -> Option<Url> {
        let text = match self {
            Route::Direct => return None,
            Route::Http { host, port } => format!("http://{}:{port}", url_host(host)),
            Route::Https { host, port } => format!("https://{}:{port}", url_host(host)),
            Route::Socks5 {
                host,
                port,
                remote_dns,
            } => format!(
                "{}://{}:{port}",
                if *remote_dns { "socks5h" } else { "socks5" },
                url_host(host)
            ),
        };
        Url::parse(&text).ok()
    }
}

fn url_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// The proxy setting in force for this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    pub source: Source,
    pub rule: Rule,
    pub mail: MailMode,
}

/// What the setting says about a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Direct,
    /// One proxy per URL scheme (`other` for anything without its own), hosts in `exceptions`
    /// direct.
    Fixed {
        http: Option<Route>,
        https: Option<Route>,
        other: Option<Route>,
        exceptions: Vec<String>,
    },
    /// A proxy auto-configuration script (named, or found by WPAD).
    Pac(Arc<pac::PacScript>),
}

impl Default for ProxySettings {
    fn default() -> Self {
        ProxySettings::direct()
    }
}

impl ProxySettings {
    /// No proxy: every connection direct.
    pub fn direct() -> Self {
        ProxySettings {
            source: Source::Nothing,
            rule: Rule::Direct,
            mail: MailMode::Auto,
        }
    }

    /// Whether anything names a proxy at all (for the "no proxy is set" refusal).
    pub fn names_a_proxy(&self) -> bool {
        !matches!(self.rule, Rule::Direct)
    }

    /// The routes for `url`, to be tried in order.
    pub fn routes(&self, url: &Url) -> Vec<Route> {
        match &self.rule {
            Rule::Direct => vec![Route::Direct],
            Rule::Fixed {
                http,
                https,
                other,
                exceptions,
            } => {
                let host = url.host_str().unwrap_or_default();
                if is_exception(host, exceptions) {
                    return vec![Route::Direct];
                }
                let chosen = match url.scheme() {
                    "http" => http.clone().or_else(|| other.clone()),
                    "https" => https.clone().or_else(|| other.clone()),
                    _ => other
                        .clone()
                        .or_else(|| https.clone())
                        .or_else(|| http.clone()),
                };
                vec![chosen.unwrap_or(Route::Direct)]
            }
            Rule::Pac(script) => script.routes(url),
        }
    }

    /// Loads what the rule needs before it can answer (the PAC script, once), waiting at most
    /// `wait`.
    pub async fn prepare(&self, dns: &crate::net::dns::Dns, wait: std::time::Duration) {
        if let Rule::Pac(script) = &self.rule {
            script.load(dns, wait).await;
        }
    }

    /// The PAC script's URL and why it could not be used, if it could not.
    pub fn pac_problem(&self) -> Option<(String, PacProblem)> {
        match &self.rule {
            Rule::Pac(script) => script.problem().map(|p| (script.url.clone(), p)),
            _ => None,
        }
    }

    /// `host:port` of every `https://` proxy the setting names (the ones a saved password may
    /// be sent to).
    pub fn https_proxies(&self) -> Vec<String> {
        match &self.rule {
            Rule::Fixed {
                http, https, other, ..
            } => [http, https, other]
                .into_iter()
                .flatten()
                .filter(|route| matches!(route, Route::Https { .. }))
                .filter_map(Route::proxy_at)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The first route for `url`.
    pub fn route(&self, url: &Url) -> Route {
        self.routes(url).into_iter().next().unwrap_or(Route::Direct)
    }

    /// Resolves the setting in force from the admin policy, the person's settings, the
    /// environment (`env`) and the desktop, in that order.
    pub fn resolve(
        policy: Option<&PolicyProxy>,
        person: &ProxyConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ProxySettings, String> {
        if let Some(policy) = policy
            && (!policy.user_may_override || !person.says_anything())
        {
            return from_config(Source::Policy, &policy.config());
        }
        if person.says_anything() {
            return from_config(Source::Person, person);
        }
        if let Some(settings) = from_environment(env)? {
            return Ok(settings);
        }
        if let Some(settings) = system::settings(env) {
            return Ok(settings);
        }
        Ok(ProxySettings::direct())
    }

    /// The setting for this process: the policy file (`TAYORI_POLICY_FILE` or the system's), the
    /// person's settings and the process environment.
    pub fn for_process(settings: &crate::config::Settings) -> Result<ProxySettings, String> {
        let policy = match crate::config::policy_file_for_process() {
            Some(path) => policy_proxy(&path)?,
            None => None,
        };
        let resolved = ProxySettings::resolve(policy.as_ref(), &settings.proxy, &|key| {
            std::env::var(key).ok()
        })?;
        tracing::debug!(source = resolved.source.label(), rule = ?resolved.rule, "proxy setting");
        Ok(resolved)
    }
}

fn from_config(source: Source, config: &ProxyConfig) -> Result<ProxySettings, String> {
    let mail = config.mail.unwrap_or_default();
    let rule = if let Some(url) = &config.url {
        match Route::parse(url)? {
            Route::Direct => Rule::Direct,
            route => Rule::Fixed {
                http: None,
                https: None,
                other: Some(route),
                exceptions: config.exceptions.clone(),
            },
        }
    } else if let Some(pac) = &config.pac_url {
        pac_rule(pac.clone())
    } else if config.wpad {
        wpad_rule().unwrap_or(Rule::Direct)
    } else {
        Rule::Direct
    };
    Ok(ProxySettings { source, rule, mail })
}

fn pac_rule(url: String) -> Rule {
    Rule::Pac(Arc::new(pac::PacScript::new(url)))
}

/// WPAD by DNS: `http://wpad.<search domain>/wpad.dat`, the search domain from resolv.conf.
fn wpad_rule() -> Option<Rule> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    let domain = conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        match words.next()? {
            "search" | "domain" => words.next().map(|d| d.trim_end_matches('.').to_owned()),
            _ => None,
        }
    })?;
    Some(pac_rule(format!("http://wpad.{domain}/wpad.dat")))
}

/// Upper or lower case, lower case first (curl's order); empty counts as unset.
fn env_var(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(&name.to_ascii_lowercase())
        .or_else(|| env(name))
        .filter(|v| !v.trim().is_empty())
}

fn from_environment(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<ProxySettings>, String> {
    let parse = |name: &str| -> Result<Option<Route>, String> {
        env_var(env, name)
            .map(|v| Route::parse(&v).map_err(|e| format!("{name}: {e}")))
            .transpose()
    };
    let https = parse("HTTPS_PROXY")?;
    let http = parse("HTTP_PROXY")?;
    let other = parse("ALL_PROXY")?;
    if https.is_none() && http.is_none() && other.is_none() {
        return Ok(None);
    }
    let exceptions = env_var(env, "NO_PROXY")
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(ProxySettings {
        source: Source::Environment,
        rule: Rule::Fixed {
            http,
            https,
            other,
            exceptions,
        },
        mail: MailMode::Auto,
    }))
}

/// Whether `host` goes direct by the exceptions list: `*` (everything), `host` (and its
/// subdomains, as curl reads NO_PROXY), `.domain` / `*.domain` (the domain and below),
/// `10.0.0.0/8` (addresses in a network), `<local>` (names without a dot), and `*` anywhere else
/// as a wildcard (`10.*`, as Windows writes them).
pub fn is_exception(host: &str, exceptions: &[String]) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let ip: Option<IpAddr> = host.parse().ok();
    exceptions.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        if entry == "*" {
            return true;
        }
        if entry == "<local>" {
            return ip.is_none() && !host.contains('.');
        }
        if let Some((net, bits)) = entry.split_once('/') {
            return match (ip, net.parse::<IpAddr>(), bits.parse::<u32>()) {
                (Some(ip), Ok(net), Ok(bits)) => in_network(ip, net, bits),
                _ => false,
            };
        }
        if entry.trim_start_matches("*.").contains('*') {
            // Windows writes wildcards anywhere: `10.*`, `192.168.1.*`, `*contoso*`.
            return wildcard_match(&entry, &host);
        }
        let domain = entry
            .trim_start_matches("*.")
            .trim_start_matches('.')
            .trim_end_matches('.');
        if domain.is_empty() {
            return false;
        }
        host == domain || host.ends_with(&format!(".{domain}"))
    })
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is currently taken to end at.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn the_environment_names_a_proxy_per_scheme_with_exceptions() {
        let env = env_of(&[
            ("HTTPS_PROXY", "http://proxy.office.test:3128"),
            ("http_proxy", "proxy.office.test:8080"),
            ("NO_PROXY", "intranet.test, .corp.test,10.0.0.0/8"),
        ]);
        let settings = ProxySettings::resolve(None, &ProxyConfig::default(), &env).unwrap();
        assert_eq!(settings.source, Source::Environment);
        assert_eq!(
            settings.route(&url("https://a.example.test/")),
            Route::Http {
                host: "proxy.office.test".into(),
                port: 3128
            }
        );
        assert_eq!(
            settings.route(&url("http://a.example.test/")).proxy_at(),
            Some("proxy.office.test:8080".into())
        );
        for direct in [
            "https://intranet.test/",
            "https://www.intranet.test/",
            "https://corp.test/",
            "https://x.corp.test/",
            "https://10.1.2.3/",
        ] {
            assert_eq!(settings.route(&url(direct)), Route::Direct, "{direct}");
        }
        assert_ne!(
            settings.route(&url("https://notintranet.test/")),
            Route::Direct
        );
    }

    #[test]
    fn wildcards_match_anywhere_as_windows_writes_them() {
        let list = |s: &[&str]| s.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        let windows = list(&["10.*", "192.168.1.*", "*contoso*", "*.office.test"]);
        for host in [
            "10.2.3.4",
            "192.168.1.20",
            "mail.contoso.com",
            "office.test",
            "a.office.test",
        ] {
            assert!(is_exception(host, &windows), "{host}");
        }
        for host in [
            "110.2.3.4",
            "192.168.10.1",
            "fabrikam.com",
            "notoffice.test",
        ] {
            assert!(!is_exception(host, &windows), "{host}");
        }
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(wildcard_match("**", ""));
    }

    #[test]
    fn socks5h_from_all_proxy() {
        let env = env_of(&[("ALL_PROXY", "socks5h://proxy.office.test:1080")]);
        let settings = ProxySettings::resolve(None, &ProxyConfig::default(), &env).unwrap();
        assert_eq!(
            settings.route(&url("https://a.test/")),
            Route::Socks5 {
                host: "proxy.office.test".into(),
                port: 1080,
                remote_dns: true
            }
        );
    }

    #[test]
    fn the_policy_is_final_unless_it_lets_the_person_override() {
        let env = env_of(&[("HTTPS_PROXY", "http://env.test:1")]);
        let person = ProxyConfig {
            url: Some("http://person.test:2".into()),
            ..ProxyConfig::default()
        };
        let mut policy = PolicyProxy {
            url: Some("http://policy.test:3".into()),
            ..PolicyProxy::default()
        };
        let pinned = ProxySettings::resolve(Some(&policy), &person, &env).unwrap();
        assert_eq!(pinned.source, Source::Policy);
        assert_eq!(
            pinned.route(&url("https://a.test/")).proxy_at().unwrap(),
            "policy.test:3"
        );
        policy.user_may_override = true;
        let overridden = ProxySettings::resolve(Some(&policy), &person, &env).unwrap();
        assert_eq!(overridden.source, Source::Person);
        let unset = ProxySettings::resolve(Some(&policy), &ProxyConfig::default(), &env).unwrap();
        assert_eq!(unset.source, Source::Policy);
    }

    #[test]
    fn nothing_set_is_direct_and_a_bad_url_is_an_error() {
        let none = ProxySettings::resolve(None, &ProxyConfig::default(), &env_of(&[])).unwrap();
        assert!(!none.names_a_proxy());
        assert!(
            ProxySettings::resolve(
                None,
                &ProxyConfig::default(),
                &env_of(&[("HTTPS_PROXY", "ftp://x:1")])
            )
            .is_err()
        );
    }
}
