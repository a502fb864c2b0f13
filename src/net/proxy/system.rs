//! The proxy the system itself names, read the way each desktop keeps it: GNOME (`gsettings`), KDE
//! (`kioslaverc`), Windows (the Internet Settings that Internet Options and group policy write,
//! read with `reg query`, then the machine's WinHTTP proxy that `netsh winhttp set proxy` writes)
//! and macOS (`scutil --proxy`). Each reader is a parser of what the
//! system's own tool prints, so every one is tested on every platform; only running the tool is
//! platform-bound.

use super::{MailMode, ProxySettings, Route, Rule, Source, pac_rule, wpad_rule};

/// The setting the system names, if it names one (`None`: nothing set, or not readable).
pub(super) fn settings(env: &dyn Fn(&str) -> Option<String>) -> Option<ProxySettings> {
    if cfg!(target_os = "windows") {
        // The person's (or group policy's) Internet Settings first, as WinINet programs follow
        // them; then the machine's WinHTTP proxy an administrator set with netsh.
        from_windows().or_else(from_winhttp)
    } else if cfg!(target_os = "macos") {
        from_macos()
    } else {
        from_gnome(env).or_else(|| from_kde(env))
    }
}

/// A desktop's "SOCKS host" box read as a route: `host:port` parses as an HTTP proxy, but it names
/// a SOCKS server, which is asked to resolve the name itself (as the desktops' own clients do).
fn socks_route(route: Route) -> Route {
    match route {
        Route::Http { host, port } => Route::Socks5 {
            host,
            port,
            remote_dns: true,
        },
        other => other,
    }
}

/// Runs one of the system's own tools and returns what it printed, if it ran and succeeded.
fn run(program: &str, args: &[&str]) -> Option<String> {
    let mut command = std::process::Command::new(program);
    command
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(windows)]
    {
        // CREATE_NO_WINDOW: a window program starting a console tool would flash a console.
        use std::os::windows::process::CommandExt;
        command.creation_flags(0x0800_0000);
    }
    let output = command.output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// GNOME's settings (`org.gnome.system.proxy`), read with `gsettings` so any backend (dconf, the
/// keyfile backend) answers; only on a GNOME desktop (`XDG_CURRENT_DESKTOP`).
fn from_gnome(env: &dyn Fn(&str) -> Option<String>) -> Option<ProxySettings> {
    let desktop = env("XDG_CURRENT_DESKTOP").unwrap_or_default();
    if !desktop.split(':').any(|d| {
        matches!(
            d.to_ascii_lowercase().as_str(),
            "gnome" | "unity" | "budgie"
        )
    }) {
        return None;
    }
    parse_gnome(&run(
        "gsettings",
        &["list-recursively", "org.gnome.system.proxy"],
    )?)
}

fn parse_gnome(listing: &str) -> Option<ProxySettings> {
    let mut values = std::collections::HashMap::new();
    for line in listing.lines() {
        let mut parts = line.splitn(3, ' ');
        if let (Some(schema), Some(key), Some(value)) = (parts.next(), parts.next(), parts.next()) {
            values.insert(format!("{schema} {key}"), value.trim().to_owned());
        }
    }
    let get = |schema: &str, key: &str| {
        values
            .get(&format!("org.gnome.system.proxy{schema} {key}"))
            .cloned()
            .unwrap_or_default()
    };
    let string = |v: String| v.trim_matches('\'').to_owned();
    let list = |v: String| -> Vec<String> {
        v.trim_start_matches("@as ")
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|s| s.trim().trim_matches('\'').to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let mode = string(get("", "mode"));
    let rule = match mode.as_str() {
        "manual" => {
            let route = |schema: &str, make: fn(String, u16) -> Route| {
                let host = string(get(schema, "host"));
                let port: u16 = get(schema, "port").trim().parse().unwrap_or(0);
                (!host.is_empty() && port != 0).then(|| make(host, port))
            };
            let https = route(".https", |host, port| Route::Http { host, port });
            let http = route(".http", |host, port| Route::Http { host, port });
            let socks = route(".socks", |host, port| Route::Socks5 {
                host,
                port,
                remote_dns: true,
            });
            Rule::Fixed {
                http: http.or_else(|| socks.clone()),
                https: https.or_else(|| socks.clone()),
                other: socks,
                exceptions: list(get("", "ignore-hosts")),
            }
        }
        "auto" => {
            let url = string(get("", "autoconfig-url"));
            if url.is_empty() {
                wpad_rule()?
            } else {
                pac_rule(url)
            }
        }
        _ => return None,
    };
    Some(ProxySettings {
        source: Source::Gnome,
        rule,
        mail: MailMode::Auto,
    })
}

/// KDE's settings: `[Proxy Settings]` in `$XDG_CONFIG_HOME/kioslaverc` (ProxyType 1 manual,
/// 2 a PAC URL, 3 WPAD; 4 "from the environment" is the environment, already read).
fn from_kde(env: &dyn Fn(&str) -> Option<String>) -> Option<ProxySettings> {
    let desktop = env("XDG_CURRENT_DESKTOP").unwrap_or_default();
    if !desktop.split(':').any(|d| d.eq_ignore_ascii_case("kde")) {
        return None;
    }
    let config_dir = env("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| env("HOME").map(|h| std::path::PathBuf::from(h).join(".config")))?;
    let text = std::fs::read_to_string(config_dir.join("kioslaverc")).ok()?;
    parse_kde(&text)
}

fn parse_kde(text: &str) -> Option<ProxySettings> {
    let mut in_section = false;
    let mut values = std::collections::HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_section = line == "[Proxy Settings]";
        } else if in_section && let Some((key, value)) = line.split_once('=') {
            values.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    let get = |key: &str| values.get(key).cloned().unwrap_or_default();
    // KDE writes "http://proxy.example.com 8080" (a space before the port) or "host:port".
    let route = |key: &str| -> Option<Route> {
        let value = get(key);
        if value.is_empty() {
            return None;
        }
        let joined = match value.rsplit_once(' ') {
            Some((host, port)) if port.parse::<u16>().is_ok() => format!("{host}:{port}"),
            _ => value,
        };
        Route::parse(&joined).ok()
    };
    let rule = match get("ProxyType").as_str() {
        "1" => Rule::Fixed {
            http: route("httpProxy"),
            https: route("httpsProxy"),
            other: route("socksProxy").map(socks_route),
            exceptions: get("NoProxyFor")
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        },
        "2" => {
            let url = get("Proxy Config Script");
            if url.is_empty() {
                return None;
            }
            pac_rule(url)
        }
        "3" => wpad_rule()?,
        _ => return None,
    };
    Some(ProxySettings {
        source: Source::Kde,
        rule,
        mail: MailMode::Auto,
    })
}

/// The Internet Settings key Internet Options writes for the person.
const WINDOWS_USER_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings";
/// The same settings for the whole machine, used when group policy says "per machine".
const WINDOWS_MACHINE_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings";
/// Where group policy says whether proxy settings are per user (`ProxySettingsPerUser`, 0: per
/// machine).
const WINDOWS_POLICY_KEY: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";

/// Windows' proxy setting: the WinINet settings Internet Options (and group policy, which writes
/// the same values) keep per user, or per machine where the policy `ProxySettingsPerUser` is 0.
fn from_windows() -> Option<ProxySettings> {
    let per_machine = run("reg", &["query", WINDOWS_POLICY_KEY])
        .map(|listing| registry_values(&listing))
        .and_then(|values| values.get("proxysettingsperuser").cloned())
        .is_some_and(|value| dword(&value) == Some(0));
    let key = if per_machine {
        WINDOWS_MACHINE_KEY
    } else {
        WINDOWS_USER_KEY
    };
    let settings = run("reg", &["query", key])?;
    let connections = run("reg", &["query", &format!(r"{key}\Connections")]).unwrap_or_default();
    parse_windows(&settings, &connections)
}

/// The values `reg query KEY` printed for KEY itself, by lower-case name. Its lines are
/// `    Name    REG_TYPE    data` (four spaces apart; names may hold single spaces, data may be
/// empty); lines without the indent name subkeys and are skipped.
fn registry_values(listing: &str) -> std::collections::HashMap<String, String> {
    let mut values = std::collections::HashMap::new();
    for line in listing.lines() {
        let Some(line) = line.strip_prefix("    ") else {
            continue;
        };
        let mut parts = line.splitn(3, "    ");
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !kind.trim().starts_with("REG_") {
            continue;
        }
        let data = parts.next().unwrap_or_default().trim();
        values.insert(name.trim().to_ascii_lowercase(), data.to_owned());
    }
    values
}

/// A `REG_BINARY` as `reg` prints it (two hex digits a byte), as bytes.
fn registry_binary(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// A `REG_DWORD` as `reg` prints it (`0x1`).
fn dword(value: &str) -> Option<u32> {
    u32::from_str_radix(value.trim().trim_start_matches("0x"), 16).ok()
}

/// The Internet Settings values and the `Connections` key (whose `DefaultConnectionSettings`
/// holds the "Automatically detect settings" box: flag 0x08 of its ninth byte).
fn parse_windows(settings: &str, connections: &str) -> Option<ProxySettings> {
    let values = registry_values(settings);
    let get = |name: &str| values.get(name).cloned().unwrap_or_default();
    let detect = registry_values(connections)
        .get("defaultconnectionsettings")
        .and_then(|hex| registry_binary(hex)?.get(8).copied())
        .is_some_and(|flags| flags & 0x08 != 0);
    // WinINet tries the script first, then the proxy typed in; Tayori follows one of them: the
    // script when there is one (its answers name the proxy anyway), else the typed proxy.
    let rule = if !get("autoconfigurl").is_empty() {
        pac_rule(get("autoconfigurl"))
    } else if dword(&get("proxyenable")).unwrap_or(0) != 0 && !get("proxyserver").is_empty() {
        windows_fixed(&get("proxyserver"), &get("proxyoverride"))?
    } else if detect {
        wpad_rule()?
    } else {
        return None;
    };
    Some(ProxySettings {
        source: Source::Windows,
        rule,
        mail: MailMode::Auto,
    })
}

/// `ProxyServer` is one `host:port` for everything, or `http=h:p;https=h:p;socks=h:p`;
/// `ProxyOverride` lists exceptions separated by `;`, with `*` wildcards and `<local>`.
fn windows_fixed(server: &str, overrides: &str) -> Option<Rule> {
    let (mut http, mut https, mut other) = (None, None, None);
    if server.contains('=') {
        for entry in server.split(';') {
            let Some((scheme, at)) = entry.split_once('=') else {
                continue;
            };
            let route = |at: &str| Route::parse(at).ok();
            match scheme.trim().to_ascii_lowercase().as_str() {
                "http" => http = route(at),
                "https" => https = route(at),
                // WinINet's "Socks" box: the host and port of a SOCKS server.
                "socks" => other = route(at).map(socks_route),
                _ => {}
            }
        }
    } else {
        other = Some(Route::parse(server).ok()?);
    }
    if http.is_none() && https.is_none() && other.is_none() {
        return None;
    }
    Some(Rule::Fixed {
        http,
        https,
        other,
        exceptions: overrides
            .split(';')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
    })
}

/// Where `netsh winhttp set proxy` (and group policy's "WinHTTP proxy" preference) keeps the
/// machine's WinHTTP proxy: the binary value `WinHttpSettings` of this key.
const WINHTTP_CONNECTIONS_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";

/// The machine's WinHTTP proxy (`netsh winhttp show proxy`), read from the registry value netsh
/// writes rather than from netsh's own words, which Windows translates (a Japanese Windows prints
/// 「現在の WinHTTP プロキシ設定」): services and administrators set it where the person's own
/// settings say nothing.
fn from_winhttp() -> Option<ProxySettings> {
    let listing = run(
        "reg",
        &["query", WINHTTP_CONNECTIONS_KEY, "/v", "WinHttpSettings"],
    )?;
    parse_winhttp(&listing)
}

/// `WinHttpSettings` as `reg query` prints it: the connection-settings layout WinINet also uses
/// for `DefaultConnectionSettings` — little-endian DWORDs: a version, a change counter, flags
/// (0x01 direct, 0x02 a proxy), the proxy list's length and its bytes, the bypass list's length
/// and its bytes.
fn parse_winhttp(listing: &str) -> Option<ProxySettings> {
    let bytes = registry_binary(&registry_values(listing).remove("winhttpsettings")?)?;
    let dword = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    let text = |at: usize| -> Option<(String, usize)> {
        let len = dword(at)? as usize;
        let start = at + 4;
        let value = bytes.get(start..start.checked_add(len)?)?;
        Some((String::from_utf8_lossy(value).into_owned(), start + len))
    };
    let flags = dword(8)?;
    if flags & 0x02 == 0 {
        return None;
    }
    let (servers, next) = text(12)?;
    let bypass = text(next).map(|(list, _)| list).unwrap_or_default();
    let rule = windows_fixed(&servers, &bypass)?;
    Some(ProxySettings {
        source: Source::WinHttp,
        rule,
        mail: MailMode::Auto,
    })
}

/// macOS's setting for the network in use, as `scutil --proxy` prints it.
fn from_macos() -> Option<ProxySettings> {
    parse_scutil(&run("scutil", &["--proxy"])?)
}

/// `scutil --proxy` prints a dictionary: `  Key : value` lines, and `ExceptionsList : <array> {`
/// with `    N : entry` lines up to `}`.
fn parse_scutil(listing: &str) -> Option<ProxySettings> {
    let mut values = std::collections::HashMap::new();
    let mut exceptions = Vec::new();
    let mut in_exceptions = false;
    for line in listing.lines() {
        let line = line.trim();
        if in_exceptions {
            if line == "}" {
                in_exceptions = false;
            } else if let Some((_, entry)) = line.split_once(" : ") {
                exceptions.push(mac_exception(entry.trim()));
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(" : ") {
            let value = value.trim();
            if key == "ExceptionsList" {
                in_exceptions = value.starts_with("<array>");
            } else {
                values.insert(key.trim().to_owned(), value.to_owned());
            }
        }
    }
    let get = |key: &str| values.get(key).cloned().unwrap_or_default();
    let enabled = |key: &str| get(key) == "1";
    if enabled("ExcludeSimpleHostnames") {
        exceptions.push("<local>".to_owned());
    }
    let route = |kind: &str| -> Option<Route> {
        if !enabled(&format!("{kind}Enable")) {
            return None;
        }
        let host = get(&format!("{kind}Proxy"));
        let port: u16 = get(&format!("{kind}Port")).parse().ok()?;
        (!host.is_empty()).then_some(Route::Http { host, port })
    };
    let rule = if enabled("ProxyAutoConfigEnable") && !get("ProxyAutoConfigURLString").is_empty() {
        pac_rule(get("ProxyAutoConfigURLString"))
    } else if let (http, https, socks) = (route("HTTP"), route("HTTPS"), route("SOCKS"))
        && (http.is_some() || https.is_some() || socks.is_some())
    {
        Rule::Fixed {
            http,
            https,
            other: socks.map(socks_route),
            exceptions,
        }
    } else if enabled("ProxyAutoDiscoveryEnable") {
        wpad_rule()?
    } else {
        return None;
    };
    Some(ProxySettings {
        source: Source::MacOs,
        rule,
        mail: MailMode::Auto,
    })
}

/// macOS writes networks short (`169.254/16`, `10/8`): written out so the exception matcher reads
/// them as networks.
fn mac_exception(entry: &str) -> String {
    match entry.split_once('/') {
        Some((net, bits)) if !net.contains(':') && net.split('.').count() < 4 => {
            let mut octets: Vec<&str> = net.split('.').collect();
            octets.resize(4, "0");
            format!("{}/{bits}", octets.join("."))
        }
        _ => entry.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap()
    }

    #[test]
    fn gnome_manual_and_auto() {
        let manual = "org.gnome.system.proxy autoconfig-url ''\n\
            org.gnome.system.proxy ignore-hosts ['localhost', '127.0.0.0/8', '::1']\n\
            org.gnome.system.proxy mode 'manual'\n\
            org.gnome.system.proxy.http host 'proxy.office.test'\n\
            org.gnome.system.proxy.http port 3128\n\
            org.gnome.system.proxy.https host 'proxy.office.test'\n\
            org.gnome.system.proxy.https port 3130\n\
            org.gnome.system.proxy.socks host ''\n\
            org.gnome.system.proxy.socks port 0\n";
        let settings = parse_gnome(manual).unwrap();
        assert_eq!(
            settings.route(&url("https://a.test/")).proxy_at().unwrap(),
            "proxy.office.test:3130"
        );
        assert_eq!(settings.route(&url("https://127.0.0.1/")), Route::Direct);
        let auto = "org.gnome.system.proxy autoconfig-url 'http://wpad.office.test/x.pac'\n\
            org.gnome.system.proxy mode 'auto'\n";
        match parse_gnome(auto).unwrap().rule {
            Rule::Pac(script) => assert_eq!(script.url, "http://wpad.office.test/x.pac"),
            other => panic!("{other:?}"),
        }
        assert!(parse_gnome("org.gnome.system.proxy mode 'none'\n").is_none());
    }

    #[test]
    fn kde_manual_and_script() {
        let manual = "[Proxy Settings]\nProxyType=1\nhttpsProxy=http://proxy.office.test 3128\nNoProxyFor=.office.test\n";
        let settings = parse_kde(manual).unwrap();
        assert_eq!(
            settings.route(&url("https://a.test/")).proxy_at().unwrap(),
            "proxy.office.test:3128"
        );
        assert_eq!(
            settings.route(&url("https://x.office.test/")),
            Route::Direct
        );
        let script = "[General]\nx=1\n[Proxy Settings]\nProxyType=2\nProxy Config Script=http://w.test/o.pac\n";
        match parse_kde(script).unwrap().rule {
            Rule::Pac(script) => assert_eq!(script.url, "http://w.test/o.pac"),
            other => panic!("{other:?}"),
        }
        assert!(parse_kde("[Proxy Settings]\nProxyType=0\n").is_none());
    }

    /// What `reg query` prints on Windows 11 for a person whose proxy Internet Options set (names
    /// with spaces, binary values and subkeys included, as the real listing has them).
    const REG_USER_MANUAL: &str = "\r
HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\r
    User Agent    REG_SZ    Mozilla/4.0 (compatible; MSIE 8.0; Win32)\r
    IE5_UA_Backup_Flag    REG_SZ    5.0\r
    ZonesSecurityUpgrade    REG_BINARY    D3B5E1C2A3F4D901\r
    EnableNegotiate    REG_DWORD    0x1\r
    ProxyEnable    REG_DWORD    0x1\r
    MigrateProxy    REG_DWORD    0x1\r
    ProxyServer    REG_SZ    proxy.office.test:8080\r
    ProxyOverride    REG_SZ    *.office.test;10.*;<local>\r
\r
HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\5.0\r
HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\r
";

    #[test]
    fn windows_manual_proxy_with_wildcard_exceptions() {
        let settings = parse_windows(REG_USER_MANUAL, "").unwrap();
        assert_eq!(settings.source, Source::Windows);
        let through = |u: &str| settings.route(&url(u)).proxy_at();
        assert_eq!(
            through("https://login.microsoftonline.com/").as_deref(),
            Some("proxy.office.test:8080")
        );
        assert_eq!(
            through("imaps://outlook.office365.com:993").as_deref(),
            Some("proxy.office.test:8080")
        );
        assert_eq!(through("https://intranet.office.test/"), None);
        assert_eq!(through("https://10.1.2.3/"), None);
        assert_eq!(through("https://fileserver/"), None);
        // Switched off: the proxy typed in stays in the registry but is not used.
        let off = REG_USER_MANUAL.replace(
            "ProxyEnable    REG_DWORD    0x1",
            "ProxyEnable    REG_DWORD    0x0",
        );
        assert!(parse_windows(&off, "").is_none());
    }

    #[test]
    fn windows_per_scheme_servers_script_and_detection() {
        let per_scheme = "\r\nHKEY_CURRENT_USER\\x\r\n    ProxyEnable    REG_DWORD    0x1\r\n    ProxyServer    REG_SZ    http=web.office.test:3128;https=secure.office.test:3129;socks=socks.office.test:1080\r\n    ProxyOverride    REG_SZ    \r\n";
        let settings = parse_windows(per_scheme, "").unwrap();
        let through = |u: &str| settings.route(&url(u));
        assert_eq!(
            through("http://a.test/").proxy_at().as_deref(),
            Some("web.office.test:3128")
        );
        assert_eq!(
            through("https://a.test/").proxy_at().as_deref(),
            Some("secure.office.test:3129")
        );
        assert!(matches!(
            through("imaps://a.test:993"),
            Route::Socks5 { port: 1080, .. }
        ));

        let script = "\r\nHKEY_CURRENT_USER\\x\r\n    ProxyEnable    REG_DWORD    0x1\r\n    ProxyServer    REG_SZ    proxy.office.test:8080\r\n    AutoConfigURL    REG_SZ    http://wpad.office.test/proxy.pac\r\n";
        match parse_windows(script, "").unwrap().rule {
            Rule::Pac(script) => assert_eq!(script.url, "http://wpad.office.test/proxy.pac"),
            other => panic!("{other:?}"),
        }
        // Neither a script nor a proxy, and "Automatically detect settings" off (flags 0x01: direct).
        let nothing = "\r\nHKEY_CURRENT_USER\\x\r\n    ProxyEnable    REG_DWORD    0x0\r\n";
        let direct = "\r\nHKEY_CURRENT_USER\\x\\Connections\r\n    DefaultConnectionSettings    REG_BINARY    46000000030000000100000000000000\r\n";
        assert!(parse_windows(nothing, direct).is_none());
        assert_eq!(
            registry_values(direct)
                .get("defaultconnectionsettings")
                .map(|v| &v[16..18]),
            Some("01")
        );
    }

    /// What `reg query "HKLM\...\Internet Settings\Connections" /v WinHttpSettings` prints after
    /// `netsh winhttp reset proxy` (direct) and after
    /// `netsh winhttp set proxy proxy-server="proxy.office.test:8080" bypass-list="*.office.test;<local>"`.
    const REG_WINHTTP_DIRECT: &str = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\r\n    WinHttpSettings    REG_BINARY    1800000000000000010000000000000000000000\r\n\r\n";
    const REG_WINHTTP_PROXY: &str = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\r\n    WinHttpSettings    REG_BINARY    2800000000000000030000001600000070726F78792E6F66666963652E746573743A38303830150000002A2E6F66666963652E746573743B3C6C6F63616C3E\r\n\r\n";

    #[test]
    fn winhttp_machine_proxy_with_its_bypass_list() {
        assert!(parse_winhttp(REG_WINHTTP_DIRECT).is_none());
        let settings = parse_winhttp(REG_WINHTTP_PROXY).unwrap();
        assert_eq!(settings.source, Source::WinHttp);
        let through = |u: &str| settings.route(&url(u)).proxy_at();
        assert_eq!(
            through("https://login.microsoftonline.com/").as_deref(),
            Some("proxy.office.test:8080")
        );
        assert_eq!(
            through("imaps://outlook.office365.com:993").as_deref(),
            Some("proxy.office.test:8080")
        );
        assert_eq!(through("https://intranet.office.test/"), None);
        assert_eq!(through("https://fileserver/"), None);
        // Per-scheme servers, as `netsh winhttp set proxy "http=…;https=…"` writes them.
        let per_scheme = REG_WINHTTP_PROXY.replace(
            "2800000000000000030000001600000070726F78792E6F66666963652E746573743A38303830150000002A2E6F66666963652E746573743B3C6C6F63616C3E",
            "28000000050000000300000037000000687474703D7765622E6F66666963652E746573743A333132383B68747470733D7365637572652E6F66666963652E746573743A3331323900000000",
        );
        let settings = parse_winhttp(&per_scheme).unwrap();
        assert_eq!(
            settings
                .route(&url("https://a.test/"))
                .proxy_at()
                .as_deref(),
            Some("secure.office.test:3129")
        );
        assert_eq!(
            settings.route(&url("http://a.test/")).proxy_at().as_deref(),
            Some("web.office.test:3128")
        );
        // A value cut short, or not hex, is no proxy and no panic.
        for broken in [
            "    WinHttpSettings    REG_BINARY    2800000000000000030000001600000070726F",
            "    WinHttpSettings    REG_BINARY    28000000000000000300000016000000FFFFFFFF",
            "    WinHttpSettings    REG_BINARY    zz",
            "    WinHttpSettings    REG_BINARY    ",
        ] {
            assert!(parse_winhttp(broken).is_none(), "{broken}");
        }
    }

    /// What `scutil --proxy` prints on macOS 15 with a proxy set in System Settings → Network.
    const SCUTIL_MANUAL: &str = "<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
    2 : office.test
  }
  ExcludeSimpleHostnames : 1
  FTPPassive : 1
  HTTPEnable : 1
  HTTPPort : 3128
  HTTPProxy : proxy.office.test
  HTTPSEnable : 1
  HTTPSPort : 3128
  HTTPSProxy : proxy.office.test
  ProxyAutoConfigEnable : 0
  SOCKSEnable : 0
}
";

    #[test]
    fn macos_manual_proxy_script_and_exceptions() {
        let settings = parse_scutil(SCUTIL_MANUAL).unwrap();
        assert_eq!(settings.source, Source::MacOs);
        let through = |u: &str| settings.route(&url(u)).proxy_at();
        assert_eq!(
            through("https://accounts.google.com/").as_deref(),
            Some("proxy.office.test:3128")
        );
        assert_eq!(through("https://mail.office.test/"), None);
        assert_eq!(through("https://169.254.10.1/"), None);
        assert_eq!(through("https://printer/"), None);
        let script = "<dictionary> {\n  ProxyAutoConfigEnable : 1\n  ProxyAutoConfigURLString : http://wpad.office.test/proxy.pac\n}\n";
        match parse_scutil(script).unwrap().rule {
            Rule::Pac(script) => assert_eq!(script.url, "http://wpad.office.test/proxy.pac"),
            other => panic!("{other:?}"),
        }
        assert!(parse_scutil("<dictionary> {\n  HTTPEnable : 0\n  FTPPassive : 1\n}\n").is_none());
    }
}
