//! Proxy auto-configuration: a PAC script (from the policy, the desktop, or WPAD) asked per URL,
//! its answer (`DIRECT`, `PROXY h:p`, `HTTPS h:p`, `SOCKS5 h:p`; fallbacks in order) turned into
//! routes. A PAC file can come from whoever answers `wpad.<domain>`: it is hostile code, so it runs
//! in QuickJS with a memory cap, a stack cap and a deadline, on the calling thread, and its answer
//! per URL is kept for the process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{PacProblem, Route};

/// How long the script may take to load and to answer.
const DEADLINE: Duration = Duration::from_secs(2);
const MEMORY_LIMIT: usize = 16 * 1024 * 1024;
const STACK_LIMIT: usize = 256 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// One PAC script: fetched once, asked per URL.
pub struct PacScript {
    pub url: String,
    script: tokio::sync::OnceCell<Result<String, PacProblem>>,
    /// A problem that makes the whole script unusable (not loaded, not JavaScript, hangs).
    broken: Mutex<Option<PacProblem>>,
    answers: Mutex<HashMap<String, Result<Vec<Route>, PacProblem>>>,
}

impl std::fmt::Debug for PacScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacScript").field("url", &self.url).finish()
    }
}

impl PartialEq for PacScript {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
    }
}

impl Eq for PacScript {}

impl PacScript {
    pub fn new(url: String) -> Self {
        PacScript {
            url,
            script: tokio::sync::OnceCell::new(),
            broken: Mutex::new(None),
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Fetches the script (directly, once), and checks that it is JavaScript defining
    /// FindProxyForURL; waits at most `wait` (a PAC server that does not answer must not hold up
    /// every request: the script is then taken as unusable, and connections go direct).
    pub async fn load(&self, dns: &crate::net::dns::Dns, wait: Duration) {
        if self.broken.lock().map(|b| b.is_some()).unwrap_or(true) {
            return;
        }
        let loading = self.script.get_or_init(|| async {
            let fetched = fetch(dns, &self.url).await;
            match fetched {
                Ok(text) => {
                    let copy = text.clone();
                    match tokio::task::spawn_blocking(move || evaluate(&copy, None)).await {
                        Ok(Ok(_)) => Ok(text),
                        Ok(Err(problem)) => Err(problem),
                        Err(_) => Err(PacProblem::NotJavaScript),
                    }
                }
                Err(problem) => Err(problem),
            }
        });
        let problem = match tokio::time::timeout(wait, loading).await {
            Ok(Ok(_)) => return,
            Ok(Err(problem)) => problem.clone(),
            Err(_) => PacProblem::NoAnswer,
        };
        tracing::warn!(url = %self.url, ?problem, "the PAC file cannot be used; going direct");
        if let Ok(mut broken) = self.broken.lock() {
            broken.get_or_insert(problem);
        }
    }

    /// Why the script could not be used, if it could not.
    pub fn problem(&self) -> Option<PacProblem> {
        if let Some(problem) = self.broken.lock().ok()?.clone() {
            return Some(problem);
        }
        self.answers
            .lock()
            .ok()?
            .values()
            .find_map(|answer| answer.as_ref().err().cloned())
    }

    /// The routes the script gives `url` (DIRECT where it is not loaded or fails).
    pub fn routes(&self, url: &url::Url) -> Vec<Route> {
        let Some(Ok(script)) = self.script.get() else {
            return vec![Route::Direct];
        };
        if self.broken.lock().map(|b| b.is_some()).unwrap_or(true) {
            return vec![Route::Direct];
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let key = format!(
            "{}://{}:{}/",
            url.scheme(),
            host,
            url.port_or_known_default().unwrap_or(0)
        );
        if let Some(answer) = self.answers.lock().ok().and_then(|a| a.get(&key).cloned()) {
            return answer.unwrap_or_else(|_| vec![Route::Direct]);
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let answer = evaluate(script, Some((key.as_str(), host))).map(|text| parse_answer(&text));
        tracing::debug!(url = %key, ?answer, "PAC answer");
        if let Err(PacProblem::NoAnswer) = &answer {
            // A script that hangs once would hang for every URL.
            if let Ok(mut broken) = self.broken.lock() {
                *broken = Some(PacProblem::NoAnswer);
            }
        }
        if let Ok(mut answers) = self.answers.lock() {
            answers.insert(key, answer.clone());
        }
        answer.unwrap_or_else(|_| vec![Route::Direct])
    }
}

async fn fetch(dns: &crate::net::dns::Dns, url: &str) -> Result<String, PacProblem> {
    let parsed =
        url::Url::parse(url).map_err(|e| PacProblem::Unreadable(format!("not a URL: {e}")))?;
    let bytes = match parsed.scheme() {
        "file" => {
            let path = parsed
                .to_file_path()
                .map_err(|_| PacProblem::Unreadable("not a file path".into()))?;
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| PacProblem::Unreadable(e.to_string()))?;
            if bytes.len() > crate::net::http::MAX_BODY {
                return Err(PacProblem::Unreadable("larger than 1 MiB".into()));
            }
            bytes
        }
        "http" | "https" => {
            // The script is fetched directly (it is what says which proxy to use), without
            // following redirects, its size capped.
            let unreadable = |e: &dyn std::fmt::Display| PacProblem::Unreadable(e.to_string());
            let tls = crate::net::tls_client_config().map_err(|e| unreadable(&e))?;
            let client = reqwest::Client::builder()
                .use_preconfigured_tls((*tls).clone())
                .dns_resolver(std::sync::Arc::new(dns.clone()))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(crate::user_agent())
                .timeout(FETCH_TIMEOUT)
                .no_proxy()
                .build()
                .map_err(|e| unreadable(&e))?;
            let failed = |e: reqwest::Error| {
                if e.is_timeout() {
                    PacProblem::NoAnswer
                } else {
                    PacProblem::Unreadable(crate::net::http::root_cause(&e))
                }
            };
            let mut response = client.get(parsed).send().await.map_err(failed)?;
            if !response.status().is_success() {
                return Err(PacProblem::Status(response.status().as_u16()));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(failed)? {
                if body.len() + chunk.len() > crate::net::http::MAX_BODY {
                    return Err(PacProblem::Unreadable("larger than 1 MiB".into()));
                }
                body.extend_from_slice(&chunk);
            }
            body
        }
        other => {
            return Err(PacProblem::Unreadable(format!(
                "{other}:// is not a way to fetch a PAC file"
            )));
        }
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Loads the script and, with `ask`, calls `FindProxyForURL(url, host)`.
fn evaluate(script: &str, ask: Option<(&str, &str)>) -> Result<String, PacProblem> {
    use rquickjs::{Context, Function, Runtime};
    let runtime = Runtime::new().map_err(|_| PacProblem::NotJavaScript)?;
    runtime.set_memory_limit(MEMORY_LIMIT);
    runtime.set_max_stack_size(STACK_LIMIT);
    let deadline = Instant::now() + DEADLINE;
    runtime.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
    let context = Context::full(&runtime).map_err(|_| PacProblem::NotJavaScript)?;
    let timed_out = || Instant::now() > deadline;
    context.with(|ctx| {
        let globals = ctx.globals();
        let natives = (|| -> rquickjs::Result<()> {
            globals.set(
                "dnsResolve",
                Function::new(ctx.clone(), |host: String| dns_resolve(&host))?,
            )?;
            globals.set("myIpAddress", Function::new(ctx.clone(), my_ip_address)?)?;
            ctx.eval::<(), _>(PAC_UTILS)
        })();
        if natives.is_err() {
            return Err(PacProblem::NotJavaScript);
        }
        if ctx.eval::<(), _>(script).is_err() {
            return Err(if timed_out() {
                PacProblem::NoAnswer
            } else {
                PacProblem::NotJavaScript
            });
        }
        let find: Function = globals
            .get("FindProxyForURL")
            .map_err(|_| PacProblem::NotJavaScript)?;
        let Some((url, host)) = ask else {
            return Ok(String::new());
        };
        find.call::<_, rquickjs::Coerced<String>>((url, host))
            .map(|answer| answer.0)
            .map_err(|_| {
                if timed_out() {
                    PacProblem::NoAnswer
                } else {
                    PacProblem::FindProxyFailed
                }
            })
    })
}

/// `DIRECT; PROXY a:1; SOCKS5 b:2` → routes in order; unknown entries are skipped, and an answer
/// with nothing usable means DIRECT.
pub fn parse_answer(answer: &str) -> Vec<Route> {
    let mut routes = Vec::new();
    for entry in answer.split(';') {
        let mut words = entry.split_whitespace();
        let Some(kind) = words.next() else {
            continue;
        };
        let kind = kind.to_ascii_uppercase();
        if kind == "DIRECT" {
            routes.push(Route::Direct);
            continue;
        }
        let Some(at) = words.next() else {
            continue;
        };
        let Some((host, port)) = at.rsplit_once(':') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        routes.push(match kind.as_str() {
            "PROXY" | "HTTP" => Route::Http { host, port },
            "HTTPS" => Route::Https { host, port },
            "SOCKS" | "SOCKS5" => Route::Socks5 {
                host,
                port,
                remote_dns: true,
            },
            _ => continue,
        });
    }
    if routes.is_empty() {
        routes.push(Route::Direct);
    }
    routes
}

fn dns_resolve(host: &str) -> Option<String> {
    use std::net::ToSocketAddrs;
    let addrs = (host, 0).to_socket_addrs().ok()?;
    let addrs: Vec<_> = addrs.collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .map(|a| a.ip().to_string())
}

/// The address this computer would use to reach the Internet (a UDP "connect" sends nothing).
fn my_ip_address() -> String {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok();
    socket
        .and_then(|s| {
            s.connect("198.51.100.1:53").ok()?;
            s.local_addr().ok()
        })
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".into())
}

/// The helper functions PAC files expect, as Netscape defined them (after Mozilla's
/// ascii_pac_utils.js); dnsResolve and myIpAddress are native.
const PAC_UTILS: &str = r#"
function dnsDomainIs(host, domain) {
  return host.length >= domain.length && host.substring(host.length - domain.length) == domain;
}
function dnsDomainLevels(host) { return host.split('.').length - 1; }
function isValidIpAddress(ip) {
  var m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  return m != null && m[1] <= 255 && m[2] <= 255 && m[3] <= 255 && m[4] <= 255;
}
function convert_addr(ip) {
  var b = ip.split('.');
  return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
}
function isInNet(ip, pattern, mask) {
  if (!isValidIpAddress(pattern) || !isValidIpAddress(mask)) return false;
  if (!isValidIpAddress(ip)) { ip = dnsResolve(ip); if (ip == null) return false; }
  return (convert_addr(ip) & convert_addr(mask)) == (convert_addr(pattern) & convert_addr(mask));
}
function isPlainHostName(host) { return host.search('(\\.)|:') == -1; }
function isResolvable(host) { return dnsResolve(host) != null; }
function localHostOrDomainIs(host, hostdom) {
  return host == hostdom || hostdom.lastIndexOf(host + '.', 0) == 0;
}
function shExpMatch(url, pattern) {
  pattern = pattern.replace(/\./g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp('^' + pattern + '$').test(url);
}
var wdays = {SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6};
var months = {JAN: 0, FEB: 1, MAR: 2, APR: 3, MAY: 4, JUN: 5, JUL: 6, AUG: 7, SEP: 8, OCT: 9, NOV: 10, DEC: 11};
function weekdayRange() {
  function getDay(d) { return d in wdays ? wdays[d] : -1; }
  var date = new Date(), argc = arguments.length, wday;
  if (argc < 1) return false;
  if (arguments[argc - 1] == 'GMT') { argc--; wday = date.getUTCDay(); } else { wday = date.getDay(); }
  var wd1 = getDay(arguments[0]), wd2 = argc == 2 ? getDay(arguments[1]) : wd1;
  if (wd1 == -1 || wd2 == -1) return false;
  if (wd1 <= wd2) return wd1 <= wday && wday <= wd2;
  return wd2 >= wday || wday >= wd1;
}
function dateRange() {
  function getMonth(name) { return name in months ? months[name] : -1; }
  var date = new Date(), argc = arguments.length;
  if (argc < 1) return false;
  var isGMT = arguments[argc - 1] == 'GMT';
  if (isGMT) argc--;
  if (argc == 1) {
    var tmp = parseInt(arguments[0]);
    if (isNaN(tmp)) return (isGMT ? date.getUTCMonth() : date.getMonth()) == getMonth(arguments[0]);
    if (tmp < 32) return (isGMT ? date.getUTCDate() : date.getDate()) == tmp;
    return (isGMT ? date.getUTCFullYear() : date.getFullYear()) == tmp;
  }
  var year = date.getFullYear();
  var date1 = new Date(year, 0, 1, 0, 0, 0), date2 = new Date(year, 11, 31, 23, 59, 59);
  var adjustMonth = false;
  for (var i = 0; i < (argc >> 1); i++) {
    var tmp = parseInt(arguments[i]);
    if (isNaN(tmp)) { var mon = getMonth(arguments[i]); date1.setMonth(mon); }
    else if (tmp < 32) { adjustMonth = argc <= 2; date1.setDate(tmp); }
    else { date1.setFullYear(tmp); }
  }
  for (var i = argc >> 1; i < argc; i++) {
    var tmp = parseInt(arguments[i]);
    if (isNaN(tmp)) { var mon = getMonth(arguments[i]); date2.setMonth(mon); }
    else if (tmp < 32) { date2.setDate(tmp); }
    else { date2.setFullYear(tmp); }
  }
  if (adjustMonth) { date1.setMonth(date.getMonth()); date2.setMonth(date.getMonth()); }
  if (isGMT) {
    var tmp = date; tmp.setFullYear(date.getUTCFullYear()); tmp.setMonth(date.getUTCMonth());
    tmp.setDate(date.getUTCDate()); tmp.setHours(date.getUTCHours());
    tmp.setMinutes(date.getUTCMinutes()); tmp.setSeconds(date.getUTCSeconds()); date = tmp;
  }
  return date1 <= date2 ? date1 <= date && date <= date2 : date2 >= date || date >= date1;
}
function timeRange() {
  var argc = arguments.length, date = new Date(), isGMT = false;
  if (argc < 1) return false;
  if (arguments[argc - 1] == 'GMT') { isGMT = true; argc--; }
  var hour = isGMT ? date.getUTCHours() : date.getHours();
  var date1 = new Date(), date2 = new Date();
  if (argc == 1) return hour == arguments[0];
  else if (argc == 2) return arguments[0] <= hour && hour < arguments[1];
  else {
    switch (argc) {
      case 6: date1.setSeconds(arguments[2]); date2.setSeconds(arguments[5]);
      case 4:
        var middle = argc >> 1;
        date1.setHours(arguments[0]); date1.setMinutes(arguments[1]);
        date2.setHours(arguments[middle]); date2.setMinutes(arguments[middle + 1]);
        if (middle == 2) date2.setSeconds(59);
        break;
      default: return false;
    }
  }
  if (isGMT) {
    date.setFullYear(date.getUTCFullYear()); date.setMonth(date.getUTCMonth());
    date.setDate(date.getUTCDate()); date.setHours(date.getUTCHours());
    date.setMinutes(date.getUTCMinutes()); date.setSeconds(date.getUTCSeconds());
  }
  return date1 <= date2 ? date1 <= date && date < date2 : date2 >= date || date >= date1;
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_routes_in_order() {
        assert_eq!(
            parse_answer("PROXY p.test:3999; PROXY p.test:3130; DIRECT"),
            vec![
                Route::Http {
                    host: "p.test".into(),
                    port: 3999
                },
                Route::Http {
                    host: "p.test".into(),
                    port: 3130
                },
                Route::Direct
            ]
        );
        assert_eq!(
            parse_answer("SOCKS5 s.test:1080; HTTPS h.test:443; BOGUS x:1"),
            vec![
                Route::Socks5 {
                    host: "s.test".into(),
                    port: 1080,
                    remote_dns: true
                },
                Route::Https {
                    host: "h.test".into(),
                    port: 443
                }
            ]
        );
        assert_eq!(parse_answer(""), vec![Route::Direct]);
    }

    #[test]
    fn scripts_are_asked_and_hostile_ones_are_stopped() {
        let split = r#"function FindProxyForURL(url, host) {
            if (dnsDomainIs(host, ".office.test") || shExpMatch(url, "imaps:*")) return "DIRECT";
            if (isInNet("10.26.0.5", "10.26.0.0", "255.255.255.0")) return "PROXY p:1";
            return "DIRECT"; }"#;
        assert_eq!(
            evaluate(split, Some(("https://a.test:443/", "a.test"))).unwrap(),
            "PROXY p:1"
        );
        assert_eq!(
            evaluate(split, Some(("imaps://m.test:993/", "m.test"))).unwrap(),
            "DIRECT"
        );
        assert_eq!(
            evaluate("function FindProxyForURL(u, h) {", None),
            Err(PacProblem::NotJavaScript)
        );
        assert_eq!(
            evaluate(
                "function FindProxyForURL(u, h) { return nothing(h); }",
                Some(("https://a/", "a"))
            ),
            Err(PacProblem::FindProxyFailed)
        );
        assert_eq!(
            evaluate(
                "function FindProxyForURL(u, h) { while (true) {} }",
                Some(("https://a/", "a"))
            ),
            Err(PacProblem::NoAnswer)
        );
        // Memory growth is stopped by the cap, not by the machine.
        assert!(
            evaluate(
                "function FindProxyForURL(u, h) { var s = 'x'; while (true) s += s; }",
                Some(("https://a/", "a"))
            )
            .is_err()
        );
    }
}
