//! The office network of tests/rig/proxy/: a PC (a network namespace) behind a firewall that refuses
//! the Internet, with the office's proxies on the proxy host — squid, dante, mitmproxy — a PAC/WPAD
//! server and the office DNS. The proxy tests run the `tayori` binary on that PC, configured as an
//! office's IT department or its people would configure it, and read the proxies' own logs to see
//! which way each connection went.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The proxies' logs are shared: a test that reads them must be the only one using the office
/// (a line of another test could otherwise satisfy its check, or break its "nothing went through
/// here"). Holding an [`Office`] is holding the turn; tests in one binary take turns, and test
/// binaries run one after another.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What tests/rig/proxy/start.sh wrote into `proxy.env`, and the turn to use the office.
#[derive(Debug)]
pub struct Office {
    _turn: std::sync::MutexGuard<'static, ()>,
    /// tests/rig/proxy/in-office.sh: runs a command on the office PC.
    pub in_office: PathBuf,
    /// The proxy host's name on the office network (its DNS answers it).
    pub proxy_host: String,
    pub squid_web_port: u16,
    pub squid_auth_http_port: u16,
    pub squid_mail_port: u16,
    pub squid_auth_tls_port: u16,
    pub squid_ntlm_port: u16,
    /// squid asking for Negotiate (Kerberos) only.
    pub squid_kerberos_port: u16,
    /// squid over TLS with Basic authentication, CONNECT to the mail ports too.
    pub squid_mail_tls_port: u16,
    /// The office PC's krb5.conf (its realm and KDC), given as KRB5_CONFIG.
    pub krb5_config: PathBuf,
    /// The office worker's principal (`tanaka@OFFICE.TEST`) and keytab, for `kinit`.
    pub krb5_principal: String,
    pub krb5_user_keytab: PathBuf,
    pub kdc_log: PathBuf,
    pub socks_port: u16,
    pub mitm_port: u16,
    pub dead_port: u16,
    pub pac_base: String,
    pub proxy_user: String,
    pub proxy_password: String,
    pub inspection_ca_name: String,
    pub squid_log: PathBuf,
    pub dante_log: PathBuf,
    pub mitm_log: PathBuf,
    pub pac_log: PathBuf,
}

impl Office {
    pub fn load() -> Office {
        let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let state_dir = std::env::var_os("TAYORI_RIG_STATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/rig"));
        let env_file = state_dir.join("proxy.env");
        let text = std::fs::read_to_string(&env_file).unwrap_or_else(|e| {
            panic!(
                "the office network is not up ({}: {e}).\nStart it with tests/rig/start.sh && \
                 tests/rig/proxy/start.sh, or run the whole suite with tests/run.sh",
                env_file.display()
            )
        });
        let vars: HashMap<String, String> = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let get = |key: &str| {
            vars.get(key)
                .cloned()
                .unwrap_or_else(|| panic!("{key} missing from {}", env_file.display()))
        };
        let port = |key: &str| {
            get(key)
                .parse::<u16>()
                .unwrap_or_else(|e| panic!("{key}: {e}"))
        };
        Office {
            _turn: turn,
            in_office: PathBuf::from(get("RIG_IN_OFFICE")),
            proxy_host: format!("proxy.{}", get("RIG_OFFICE_DOMAIN")),
            squid_web_port: port("RIG_SQUID_WEB_PORT"),
            squid_auth_http_port: port("RIG_SQUID_AUTH_HTTP_PORT"),
            squid_mail_port: port("RIG_SQUID_MAIL_PORT"),
            squid_auth_tls_port: port("RIG_SQUID_AUTH_TLS_PORT"),
            squid_ntlm_port: port("RIG_SQUID_NTLM_PORT"),
            squid_kerberos_port: port("RIG_SQUID_KERBEROS_PORT"),
            squid_mail_tls_port: port("RIG_SQUID_MAIL_TLS_PORT"),
            krb5_config: PathBuf::from(get("RIG_KRB5_CONFIG")),
            krb5_principal: format!("{}@{}", get("RIG_KRB5_USER"), get("RIG_KRB5_REALM")),
            krb5_user_keytab: PathBuf::from(get("RIG_KRB5_USER_KEYTAB")),
            kdc_log: PathBuf::from(get("RIG_KDC_LOG")),
            socks_port: port("RIG_SOCKS_PORT"),
            mitm_port: port("RIG_MITM_PORT"),
            dead_port: port("RIG_DEAD_PROXY_PORT"),
            pac_base: get("RIG_PAC_BASE"),
            proxy_user: get("RIG_OFFICE_PROXY_USER"),
            proxy_password: get("RIG_OFFICE_PROXY_PASSWORD"),
            inspection_ca_name: get("RIG_INSPECTION_CA_NAME"),
            squid_log: PathBuf::from(get("RIG_SQUID_ACCESS_LOG")),
            dante_log: PathBuf::from(get("RIG_DANTE_LOG")),
            mitm_log: PathBuf::from(get("RIG_MITM_LOG")),
            pac_log: PathBuf::from(get("RIG_PAC_LOG")),
        }
    }

    /// `http://proxy.office.test:PORT`
    pub fn http_proxy(&self, port: u16) -> String {
        format!("http://{}:{port}", self.proxy_host)
    }

    /// `host:port` of the proxy host, as PAC files and proxy error messages name it.
    pub fn proxy_at(&self, port: u16) -> String {
        format!("{}:{port}", self.proxy_host)
    }

    /// The URL of one of the rig's PAC files (tests/rig/proxy/pac/NAME).
    pub fn pac(&self, name: &str) -> String {
        format!("{}/{name}", self.pac_base)
    }
}

/// Which language Tayori is run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    fn locale(self) -> &'static str {
        match self {
            Lang::En => "en_US.UTF-8",
            Lang::Ja => "ja_JP.UTF-8",
        }
    }
}

/// How one `tayori` command runs on the office PC.
pub struct OfficeRun {
    pub lang: Lang,
    /// Extra environment (proxy variables, desktop settings), applied last.
    pub env: Vec<(String, OsString)>,
    pub stdin: Option<String>,
    /// Run with the office's TLS inspection root installed in the system trust store (as IT
    /// would install it); only for this command, in a private mount namespace.
    pub trust_inspection_ca: bool,
    /// The admin policy file; `None`: no policy.
    pub policy: Option<PathBuf>,
}

impl Default for OfficeRun {
    fn default() -> Self {
        OfficeRun {
            lang: Lang::En,
            env: Vec::new(),
            stdin: None,
            trust_inspection_ca: false,
            policy: None,
        }
    }
}

impl OfficeRun {
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    pub fn lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    pub fn stdin(mut self, input: &str) -> Self {
        self.stdin = Some(input.to_owned());
        self
    }

    pub fn policy(mut self, path: &Path) -> Self {
        self.policy = Some(path.to_owned());
        self
    }

    pub fn trusting_inspection_ca(mut self) -> Self {
        self.trust_inspection_ca = true;
        self
    }
}

/// Variables that would leak the machine's own proxy or desktop settings into a test.
const AMBIENT: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "XDG_CURRENT_DESKTOP",
    "DESKTOP_SESSION",
    "KDE_FULL_SESSION",
    "GNOME_DESKTOP_SESSION_ID",
    "GSETTINGS_BACKEND",
    "TAYORI_DNS_SERVER",
    "TAYORI_TEST_BROWSER_PROXY",
    // The machine's own Kerberos tickets and realm: a test gives the office's, or none.
    "KRB5CCNAME",
    "KRB5_CONFIG",
];

/// Runs `tayori ARGS` on the office PC for `home`: its own resolver (the office DNS, no
/// TAYORI_DNS_SERVER), no proxy setting unless `run.env` or `run.policy` gives one, the rig's ISPDB
/// mirror, and a desktop configuration folder of its own under `home` (`XDG_CONFIG_HOME`).
pub fn office_tayori(office: &Office, home: &Path, args: &[&str], run: OfficeRun) -> Output {
    use std::io::Write;
    let mut command = Command::new(&office.in_office);
    if run.trust_inspection_ca {
        command.arg("--trust-inspection-ca");
    }
    command.arg(env!("CARGO_BIN_EXE_tayori")).args(args);
    for key in AMBIENT {
        command.env_remove(key);
    }
    command
        .env("TAYORI_HOME", home)
        .env("TAYORI_ISPDB_URL", "https://ispdb.example.test/v1.1/")
        .env(
            "TAYORI_POLICY_FILE",
            run.policy
                .clone()
                .unwrap_or_else(|| home.join("no-policy.toml")),
        )
        .env("XDG_CONFIG_HOME", home.join("desktop-config"))
        .env("LANG", run.lang.locale())
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("TAYORI_LOG", "debug")
        // The person's browser uses the office's web proxy (tests/browser-driver.py).
        .env(
            "TAYORI_TEST_BROWSER_PROXY",
            office.http_proxy(office.squid_web_port),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in &run.env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("run tayori on the office PC");
    if let Some(input) = &run.stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("tayori output")
}

/// Runs a helper command (gsettings, curl) on the office PC with the same desktop configuration
/// folder as [`office_tayori`] gives Tayori.
pub fn office_command(office: &Office, home: &Path, program: &str, args: &[&str]) -> Output {
    let mut command = Command::new(&office.in_office);
    command.arg(program).args(args);
    for key in AMBIENT {
        command.env_remove(key);
    }
    command
        .env("XDG_CONFIG_HOME", home.join("desktop-config"))
        .output()
        .expect("run a command on the office PC")
}

/// Signs the office worker in to the domain on the office PC: `kinit` with the worker's keytab,
/// the ticket kept in `cache` (a `KRB5CCNAME` of the test's own). Returns the `KRB5CCNAME` value.
pub fn office_kinit(office: &Office, cache: &Path) -> String {
    let ccname = format!("FILE:{}", cache.display());
    let out = Command::new(&office.in_office)
        .args(["kinit", "-kt"])
        .arg(&office.krb5_user_keytab)
        .args(["-c", &ccname, &office.krb5_principal])
        .env("KRB5_CONFIG", &office.krb5_config)
        .output()
        .expect("run kinit on the office PC");
    assert!(out.status.success(), "kinit: {}", said(&out));
    ccname
}

/// Everything a command said, stdout then stderr.
pub fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The part of a log written after this mark was taken: each test looks only at its own lines.
pub struct LogMark {
    path: PathBuf,
    offset: u64,
}

impl LogMark {
    pub fn new(path: &Path) -> LogMark {
        LogMark {
            path: path.to_owned(),
            offset: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        }
    }

    /// Lines appended since the mark (waiting briefly: squid and dante write when a connection
    /// ends).
    pub fn since(&self) -> String {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let bytes = std::fs::read(&self.path).unwrap_or_default();
        let start = (self.offset as usize).min(bytes.len());
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }
}

/// A TAYORI_HOME for the office tests, with the organisation's client id for the rig's provider
/// (as IT would configure it).
pub fn office_home(client_id: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::create_dir_all(home.path().join("desktop-config")).unwrap();
    std::fs::write(
        home.path().join("config/tayori.toml"),
        format!("[oauth.client_ids]\n\"https://127.0.0.1:9443\" = \"{client_id}\"\n"),
    )
    .unwrap();
    home
}

/// Writes an admin policy file into `dir` and returns its path.
pub fn write_policy(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).expect("write policy");
    path
}

/// The texts Tayori shows when the network refuses something, in both languages, exactly: each
/// names the layer that refused and who can fix it (issue 26, point 5).
pub mod refusal {
    use super::Lang;

    /// Nothing is configured, and the office's firewall refuses the direct connection.
    pub fn direct_refused_no_proxy(lang: Lang) -> String {
        match lang {
            Lang::En => "The network refused a direct connection, and no proxy is set. If your organisation reaches the Internet through a proxy, set it in the system's network settings or ask your IT department.".into(),
            Lang::Ja => "ネットワークが直接の接続を拒否しました。プロキシは設定されていません。組織がプロキシ経由でインターネットに接続している場合は、システムのネットワーク設定でプロキシを設定するか、IT 部門に確認してください。".into(),
        }
    }

    /// The proxy itself cannot be reached (`proxy` is `host:port`).
    pub fn proxy_unreachable(lang: Lang, proxy: &str) -> String {
        match lang {
            Lang::En => format!(
                "The proxy server {proxy} cannot be reached (connection refused). Check the proxy setting, or ask your IT department whether the proxy is running."
            ),
            Lang::Ja => format!(
                "プロキシ サーバー {proxy} に接続できません（接続が拒否されました）。プロキシの設定を確認するか、プロキシが動いているか IT 部門に確認してください。"
            ),
        }
    }

    /// A 407 asking for Basic credentials over TLS, and none are saved yet.
    pub fn proxy_credentials_needed(lang: Lang, proxy: &str) -> String {
        match lang {
            Lang::En => format!(
                "The proxy server {proxy} asks for your proxy user name and password. Enter them when Tayori asks, or with `tayori proxy sign-in`; they are kept in the system keyring."
            ),
            Lang::Ja => format!(
                "プロキシ サーバー {proxy} がプロキシのユーザー名とパスワードを求めています。Tayori の入力欄か `tayori proxy sign-in` で入力してください（システムのキーリングに保存されます）。"
            ),
        }
    }

    /// A 407 after the saved credentials were sent.
    pub fn proxy_credentials_refused(lang: Lang, proxy: &str, user: &str) -> String {
        match lang {
            Lang::En => format!(
                "The proxy server {proxy} refused the proxy user name and password of {user}. Enter them again with `tayori proxy sign-in`; if they are right, your IT department can check the proxy account."
            ),
            Lang::Ja => format!(
                "プロキシ サーバー {proxy} が {user} のプロキシ ユーザー名とパスワードを拒否しました。`tayori proxy sign-in` でもう一度入力してください。正しい場合は、プロキシのアカウントを IT 部門に確認してもらってください。"
            ),
        }
    }

    /// A 407 asking for Basic credentials over an unencrypted connection: Tayori does not send them.
    pub fn proxy_password_unencrypted(lang: Lang, proxy: &str) -> String {
        match lang {
            Lang::En => format!(
                "The proxy server {proxy} asks for a password over an unencrypted connection. Tayori sends passwords only over encrypted connections: your IT department can offer the proxy over HTTPS."
            ),
            Lang::Ja => format!(
                "プロキシ サーバー {proxy} が暗号化されていない接続でパスワードを求めています。Tayori はパスワードを暗号化された接続でしか送りません。HTTPS 経由のプロキシを用意するよう IT 部門に依頼してください。"
            ),
        }
    }

    /// A 407 with only schemes Tayori does not speak (`scheme` as the proxy names it, e.g. NTLM).
    pub fn proxy_scheme_unsupported(lang: Lang, proxy: &str, scheme: &str) -> String {
        match lang {
            Lang::En => format!(
                "The proxy server {proxy} asks for sign-in by {scheme}, which Tayori does not support. Your IT department can allow sign-in with a user name and password over HTTPS for this proxy."
            ),
            Lang::Ja => format!(
                "プロキシ サーバー {proxy} が {scheme} によるサインインを求めていますが、Tayori はこの方式に対応していません。このプロキシで HTTPS 経由のユーザー名とパスワードによるサインインを使えるよう IT 部門に依頼してください。"
            ),
        }
    }

    /// A 407 asking for Negotiate (a Windows domain's Kerberos sign-in) the computer has no ticket for.
    pub fn proxy_kerberos_unavailable(lang: Lang, proxy: &str) -> String {
        match lang {
            Lang::En => format!(
                "The proxy server {proxy} asks for a Windows sign-in (Kerberos) that this computer does not have: it is not signed in to your organisation's domain, or that sign-in has expired. Sign in to this computer with your organisation's account (on Linux or macOS: `kinit`), then try again; if you are signed in, your IT department can check the proxy."
            ),
            Lang::Ja => format!(
                "プロキシ サーバー {proxy} が Windows のサインイン（Kerberos）を求めていますが、このコンピューターにはそのサインインがありません。組織のドメインにサインインしていないか、サインインの有効期限が切れています。組織のアカウントでこのコンピューターにサインインしてから（Linux と macOS では `kinit`）、もう一度試してください。サインインしている場合は、IT 部門にプロキシを確認してもらってください。"
            ),
        }
    }

    /// Why a PAC file could not be used.
    #[derive(Debug, Clone, Copy)]
    pub enum PacProblem {
        Http404,
        NotJavaScript,
        FindProxyFailed,
        NoAnswer,
    }

    fn pac_reason(lang: Lang, problem: PacProblem) -> &'static str {
        match (lang, problem) {
            (Lang::En, PacProblem::Http404) => "HTTP 404",
            (Lang::Ja, PacProblem::Http404) => "HTTP 404",
            (Lang::En, PacProblem::NotJavaScript) => "it is not valid JavaScript",
            (Lang::Ja, PacProblem::NotJavaScript) => "JavaScript として正しくありません",
            (Lang::En, PacProblem::FindProxyFailed) => "FindProxyForURL failed",
            (Lang::Ja, PacProblem::FindProxyFailed) => "FindProxyForURL がエラーになりました",
            (Lang::En, PacProblem::NoAnswer) => "no answer in time",
            (Lang::Ja, PacProblem::NoAnswer) => "時間内に応答がありません",
        }
    }

    /// The PAC file could not be used; the direct connection Tayori then tried was refused too.
    pub fn pac_unusable(lang: Lang, url: &str, problem: PacProblem) -> String {
        let reason = pac_reason(lang, problem);
        match lang {
            Lang::En => format!(
                "The proxy configuration script {url} cannot be used ({reason}). Tayori tried a direct connection instead, which the network refused. Your IT department maintains this script."
            ),
            Lang::Ja => format!(
                "プロキシ設定スクリプト {url} を使用できません（{reason}）。代わりに直接接続しましたが、ネットワークに拒否されました。このスクリプトは IT 部門が管理しています。"
            ),
        }
    }

    /// What the refused tunnel was for, as the refusal names it.
    pub fn protocol_name(port: u16) -> &'static str {
        match port {
            993 | 143 | 10993 | 10143 => "IMAP",
            465 | 587 | 10465 | 10587 => "SMTP",
            _ => "HTTPS",
        }
    }

    /// An HTTP proxy refused the CONNECT (`status` as the proxy sent it, e.g. "403 Forbidden").
    pub fn connect_refused(lang: Lang, proxy: &str, host: &str, port: u16, status: &str) -> String {
        let protocol = protocol_name(port);
        match lang {
            Lang::En => format!(
                "The proxy server {proxy} refused to connect to {host} port {port} (HTTP {status}). Your IT department can allow {protocol} on port {port} through the proxy."
            ),
            Lang::Ja => format!(
                "プロキシ サーバー {proxy} が {host} のポート {port} への接続を拒否しました（HTTP {status}）。プロキシ経由の {protocol}（ポート {port}）を許可するよう IT 部門に依頼してください。"
            ),
        }
    }

    /// A SOCKS5 server refused the connection by its rules (reply 2).
    pub fn socks_refused(lang: Lang, proxy: &str, host: &str, port: u16) -> String {
        let protocol = protocol_name(port);
        match lang {
            Lang::En => format!(
                "The SOCKS proxy {proxy} refused to connect to {host} port {port} (not allowed by its rules). Your IT department can allow {protocol} on port {port} through the proxy."
            ),
            Lang::Ja => format!(
                "SOCKS プロキシ {proxy} が {host} のポート {port} への接続を拒否しました（規則で許可されていません）。プロキシ経由の {protocol}（ポート {port}）を許可するよう IT 部門に依頼してください。"
            ),
        }
    }

    /// A mail server's certificate came from an issuer this computer does not trust.
    pub fn tls_unknown_issuer(lang: Lang, host: &str, issuer: &str) -> String {
        match lang {
            Lang::En => format!(
                "The secure connection to {host} presented a certificate issued by “{issuer}”, which this computer does not trust. If your organisation inspects encrypted connections, your IT department must install its root certificate on this computer. Tayori does not turn certificate checks off."
            ),
            Lang::Ja => format!(
                "{host} への暗号化接続で提示された証明書は「{issuer}」が発行したもので、このコンピューターはこの発行者を信頼していません。組織が暗号化通信を検査している場合は、IT 部門にルート証明書をこのコンピューターにインストールしてもらってください。Tayori では証明書の確認を無効にできません。"
            ),
        }
    }

    /// The certificate presented through a proxy was signed by a root this computer does not trust.
    pub fn tls_resigned(lang: Lang, host: &str, issuer: &str) -> String {
        match lang {
            Lang::En => format!(
                "The secure connection to {host} was re-signed by “{issuer}”, which this computer does not trust. Your network inspects encrypted connections: your IT department must install its root certificate on this computer. Tayori does not turn certificate checks off."
            ),
            Lang::Ja => format!(
                "{host} への暗号化接続は「{issuer}」によって署名し直されていますが、このコンピューターはこの発行者を信頼していません。ネットワークが暗号化通信を検査しています。IT 部門にルート証明書をこのコンピューターにインストールしてもらってください。Tayori では証明書の確認を無効にできません。"
            ),
        }
    }
}
