//! Shared pieces of the end-to-end tests: where the rig is, a stand-in for a person at a browser who
//! completes the provider's real login form, and small IMAP helpers.
//!
//! The rig (tests/rig/) is started by the README's test command. A test that needs it and cannot find
//! it fails with instructions instead of skipping: a skipped end-to-end test proves nothing.
#![allow(dead_code)] // each test binary uses a different part of this module

pub mod discovering;
pub mod mailbox;
pub mod office;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use regex::Regex;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::client::TlsStream;

pub const ALICE: &str = "alice@example.test";
pub const ALICE_IDP_PASSWORD: &str = "alice-idp-secret";
pub const ALICE_APP_PASSWORD: &str = "alice-app-password";
pub const BOB: &str = "bob@example.test";
pub const BOB_IDP_PASSWORD: &str = "bob-idp-secret";
pub const BOB_APP_PASSWORD: &str = "bob-app-password";
/// The rig's public client for Tayori (PKCE, loopback redirect, refresh tokens).
pub const CLIENT_ID: &str = "tayori";
/// The host name the rig's certificate carries for its mail server.
pub const MAIL_HOST: &str = "localhost";

/// What `tests/rig/start.sh` wrote into `rig.env`.
#[derive(Debug, Clone)]
pub struct Rig {
    pub state_dir: PathBuf,
    pub log_dir: PathBuf,
    pub issuer: String,
    pub imaps_port: u16,
    pub imap_port: u16,
    pub submission_port: u16,
    pub submissions_port: u16,
}

impl Rig {
    pub fn load() -> Rig {
        let state_dir = std::env::var_os("TAYORI_RIG_STATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/rig"));
        let env_file = state_dir.join("rig.env");
        let text = std::fs::read_to_string(&env_file).unwrap_or_else(|e| {
            panic!(
                "the test rig is not running ({}: {e}).\nStart it with tests/rig/setup.sh && tests/rig/start.sh, \
                 or run the whole suite with tests/run.sh",
                env_file.display()
            )
        });
        let vars: HashMap<String, String> = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_owned(),
                    v.trim().trim_matches('"').trim_matches('\'').to_owned(),
                )
            })
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
        Rig {
            log_dir: PathBuf::from(get("RIG_LOG_DIR")),
            issuer: get("RIG_ISSUER"),
            imaps_port: port("RIG_IMAPS_PORT"),
            imap_port: port("RIG_IMAP_PORT"),
            submission_port: port("RIG_SUBMISSION_PORT"),
            submissions_port: port("RIG_SUBMISSIONS_PORT"),
            state_dir,
        }
    }
}

/// Tokens from one sign-in. Test code only: the product keeps these in `Secret`s and the keyring.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
}

/// The provider's discovery document, read into the product's own metadata type.
pub type ProviderMetadata = tayori::auth::metadata::ServerMetadata;

/// An HTTP client that behaves like a browser for the provider's pages: keeps cookies and follows
/// redirects, and trusts what the system trusts (the rig's CA is installed there).
pub fn browser() -> reqwest::Client {
    let tls = (*tayori::net::tls_client_config().expect("platform trust")).clone();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .cookie_store(true)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

pub async fn provider_metadata(rig: &Rig) -> ProviderMetadata {
    browser()
        .get(format!("{}/.well-known/openid-configuration", rig.issuer))
        .send()
        .await
        .expect("discovery document")
        .error_for_status()
        .expect("discovery document status")
        .json()
        .await
        .expect("discovery JSON")
}

fn random_urlsafe(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A `<form>` on a provider page: its action and its fields (hidden inputs with their values).
#[derive(Debug)]
struct Form {
    id: String,
    action: String,
    fields: Vec<(String, String)>,
}

fn attributes(tag: &str) -> HashMap<String, String> {
    let attr = Regex::new(r#"([a-zA-Z_:-]+)\s*=\s*"([^"]*)""#).unwrap();
    attr.captures_iter(tag)
        .map(|c| (c[1].to_ascii_lowercase(), html_unescape(&c[2])))
        .collect()
}

fn html_unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

fn forms(html: &str) -> Vec<Form> {
    let form_re = Regex::new(r"(?is)<form\b([^>]*)>(.*?)</form>").unwrap();
    let input_re = Regex::new(r"(?is)<input\b([^>]*)>").unwrap();
    form_re
        .captures_iter(html)
        .map(|c| {
            let attrs = attributes(&c[1]);
            let fields = input_re
                .captures_iter(&c[2])
                .filter_map(|i| {
                    let a = attributes(&i[1]);
                    Some((
                        a.get("name")?.clone(),
                        a.get("value").cloned().unwrap_or_default(),
                    ))
                })
                .collect();
            Form {
                id: attrs.get("id").cloned().unwrap_or_default(),
                action: attrs.get("action").cloned().unwrap_or_default(),
                fields,
            }
        })
        .collect()
}

/// The query parameters of the one request the loopback listener received.
pub type Callback = HashMap<String, String>;

/// A one-shot loopback redirect catcher on 127.0.0.1 and a random port (RFC 8252 §7.3) — test code
/// standing in for the product's listener until the auth issue lands.
pub struct Catcher {
    pub redirect_uri: String,
    received: tokio::task::JoinHandle<Callback>,
}

impl Catcher {
    pub async fn start() -> Catcher {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let head = String::from_utf8_lossy(&head);
            let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let url = url::Url::parse(&format!("http://127.0.0.1{target}")).unwrap();
            let page = "signed in; you can close this window";
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
            url.query_pairs().into_owned().collect()
        });
        Catcher {
            redirect_uri: format!("http://127.0.0.1:{port}/callback"),
            received,
        }
    }

    pub async fn callback(self) -> Callback {
        tokio::time::timeout(Duration::from_secs(20), self.received)
            .await
            .expect("the provider never redirected to the loopback listener")
            .expect("catcher task")
    }
}

/// Signs in as a person would: authorization code + PKCE (S256), the provider's own login and consent
/// forms, the redirect caught on a loopback listener, then the code exchanged for tokens.
/// No `prompt=consent` — a refresh token must come from `offline_access` alone, as at Microsoft.
pub async fn sign_in(rig: &Rig, client_id: &str, user: &str, password: &str) -> Tokens {
    let meta = provider_metadata(rig).await;
    let verifier = random_urlsafe(48);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_urlsafe(16);
    let catcher = Catcher::start().await;
    let redirect_uri = catcher.redirect_uri.clone();

    let mut auth_url = url::Url::parse(&meta.authorization_endpoint).unwrap();
    auth_url
        .query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", "openid email offline_access mail")
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("login_hint", user);

    let browser = browser();
    let mut page = browser
        .get(auth_url.as_str())
        .send()
        .await
        .expect("authorization request");
    // Login, then consent (the first time): each form POST is followed by the provider's redirects,
    // the last of which lands on the loopback catcher.
    for _ in 0..4 {
        if page.url().host_str() == Some("127.0.0.1") && page.url().path() == "/callback" {
            break;
        }
        let url = page.url().clone();
        let html = page.text().await.expect("provider page");
        let forms = forms(&html);
        let (form, extra): (&Form, Vec<(&str, &str)>) =
            if let Some(login) = forms.iter().find(|f| f.id == "login") {
                (login, vec![("username", user), ("password", password)])
            } else if let Some(consent) = forms.iter().find(|f| f.id == "consent") {
                (consent, vec![])
            } else {
                panic!("unexpected provider page at {url}:\n{html}");
            };
        let mut body: Vec<(String, String)> = form
            .fields
            .iter()
            .filter(|(name, _)| name != "username" && name != "password")
            .cloned()
            .collect();
        body.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
        let action = url.join(&form.action).expect("form action");
        page = browser
            .post(action)
            .form(&body)
            .send()
            .await
            .expect("form POST");
    }
    let callback = catcher.callback().await;
    assert_eq!(
        callback.get("state"),
        Some(&state),
        "state must come back unchanged"
    );
    if meta.authorization_response_iss_parameter_supported {
        assert_eq!(callback.get("iss"), Some(&meta.issuer), "RFC 9207 iss");
    }
    let code = callback
        .get("code")
        .unwrap_or_else(|| panic!("no code in the redirect: {callback:?}"))
        .clone();
    token_request(
        &meta,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", client_id),
            ("code_verifier", &verifier),
        ],
    )
    .await
    .expect("code exchange")
}

/// Posts to the token endpoint; `Err` carries the OAuth error code (e.g. `invalid_grant`).
pub async fn token_request(
    meta: &ProviderMetadata,
    form: &[(&str, &str)],
) -> Result<Tokens, String> {
    let response = browser()
        .post(&meta.token_endpoint)
        .form(form)
        .send()
        .await
        .expect("token endpoint");
    let status = response.status();
    let json: serde_json::Value = response.json().await.expect("token JSON");
    if !status.is_success() {
        return Err(json["error"].as_str().unwrap_or("unknown").to_owned());
    }
    Ok(Tokens {
        access_token: json["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned(),
        refresh_token: json["refresh_token"].as_str().map(str::to_owned),
        expires_in: json["expires_in"].as_u64(),
    })
}

pub type ImapClient = async_imap::Client<TlsStream<tayori::net::MailStream>>;
pub type ImapSession = async_imap::Session<TlsStream<tayori::net::MailStream>>;

/// Connects over implicit TLS (verified against the system trust store) and reads the greeting.
pub async fn imap_connect(port: u16) -> ImapClient {
    let dns = tayori::net::dns::Dns::new(None, Duration::from_secs(5)).expect("system resolver");
    let tls = tayori::net::connect_tls(&dns, MAIL_HOST, port)
        .await
        .expect("IMAPS connection");
    let mut client = async_imap::Client::new(tls);
    let greeting = client
        .read_response()
        .await
        .expect("greeting")
        .expect("greeting line");
    assert!(
        matches!(
            greeting.parsed(),
            async_imap::imap_proto::Response::Data {
                status: async_imap::imap_proto::Status::Ok,
                ..
            }
        ),
        "unexpected greeting {:?}",
        greeting.parsed()
    );
    client
}

/// A SASL client for bearer tokens: sends the initial response once, and answers any further
/// challenge (the RFC 7628 JSON error) with an empty line, remembering what the server said.
pub struct BearerSasl {
    pub initial: String,
    pub sent: bool,
    pub challenges: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl BearerSasl {
    pub fn new(initial: String) -> Self {
        Self {
            initial,
            sent: false,
            challenges: Default::default(),
        }
    }
}

impl async_imap::Authenticator for &mut BearerSasl {
    type Response = Vec<u8>;
    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        if !self.sent {
            self.sent = true;
            return self.initial.as_bytes().to_vec();
        }
        self.challenges
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(challenge).into_owned());
        Vec::new()
    }
}

/// Fetches every message of a mailbox (raw bytes), for read-back checks.
pub async fn fetch_all(session: &mut ImapSession, mailbox: &str) -> Vec<Vec<u8>> {
    use futures::TryStreamExt;
    let status = session.select(mailbox).await.expect("select");
    if status.exists == 0 {
        return Vec::new();
    }
    let fetches: Vec<_> = session
        .fetch("1:*", "BODY.PEEK[]")
        .await
        .expect("fetch")
        .try_collect()
        .await
        .expect("fetch stream");
    fetches
        .iter()
        .filter_map(|f| f.body().map(<[u8]>::to_vec))
        .collect()
}

/// Tayori's own HTTP client, on the system resolver (the rig's IdP is reached by IP).
pub fn product_http() -> tayori::net::http::Http {
    let dns = tayori::net::dns::Dns::new(None, Duration::from_secs(5)).expect("system resolver");
    tayori::net::http::Http::new(dns, Duration::from_secs(10)).expect("http client")
}

/// The "browser" for Tayori's sign-in: tests/browser-driver.py completing the provider's real login
/// form as `user`.
pub fn driver_command(user: &str, password: &str) -> String {
    format!(
        "python3 {}/tests/browser-driver.py {user} {password}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The rig provider's endpoints for `client_id`, read from its metadata as Tayori reads them.
pub async fn rig_oauth_client(rig: &Rig, client_id: &str) -> tayori::auth::flow::OAuthClient {
    let meta = tayori::auth::metadata::for_issuer(&product_http(), &rig.issuer)
        .await
        .expect("provider metadata");
    oauth_client_from(meta, client_id)
}

/// The OAuth client for `client_id` at the server `meta` describes, with the rig's scopes.
pub fn oauth_client_from(
    meta: ProviderMetadata,
    client_id: &str,
) -> tayori::auth::flow::OAuthClient {
    tayori::auth::flow::OAuthClient {
        client_id: client_id.into(),
        authorization_endpoint: meta.authorization_endpoint,
        token_endpoint: meta.token_endpoint,
        issuer: Some(meta.issuer),
        iss_required: meta.authorization_response_iss_parameter_supported,
        scopes: ["openid", "email", "offline_access", "mail"]
            .map(String::from)
            .to_vec(),
        client_secret: None,
    }
}

/// Signs in with Tayori's own flow, the browser driver playing the person.
pub async fn product_sign_in(
    client: &tayori::auth::flow::OAuthClient,
    user: &str,
    password: &str,
) -> tayori::auth::flow::Tokens {
    let options = tayori::auth::flow::SignInOptions {
        browser: tayori::auth::browser::Browser::Command(driver_command(user, password)),
        login_hint: Some(user.into()),
        timeout: Duration::from_secs(30),
        ask_google_consent_again: false,
    };
    tayori::auth::flow::sign_in(&product_http(), client, &options, std::future::pending())
        .await
        .unwrap_or_else(|e| panic!("sign-in: {e}"))
}

/// Revokes a refresh token at the provider (RFC 7009), as an administrator or a password change would.
pub async fn revoke_refresh_token(rig: &Rig, token: &str) {
    let endpoint = provider_metadata(rig)
        .await
        .revocation_endpoint
        .expect("revocation endpoint");
    let response = browser()
        .post(endpoint)
        .form(&[
            ("token", token),
            ("token_type_hint", "refresh_token"),
            ("client_id", CLIENT_ID),
        ])
        .send()
        .await
        .expect("revocation request");
    assert!(
        response.status().is_success(),
        "revocation refused: {}",
        response.status()
    );
}

/// Runs the `tayori` binary the way an organisation would configure it for the rig: `TAYORI_HOME`,
/// the rig's name server and ISPDB mirror, no admin policy unless `env` names one, English output.
/// `env` entries are applied last, so they override the defaults.
pub fn run_tayori(
    home: &std::path::Path,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut command = Command::new(env!("CARGO_BIN_EXE_tayori"));
    command
        .args(args)
        .env("TAYORI_HOME", home)
        .env("TAYORI_DNS_SERVER", "127.0.0.1:10053")
        .env("TAYORI_ISPDB_URL", "https://ispdb.example.test/v1.1/")
        .env("TAYORI_POLICY_FILE", home.join("no-policy.toml"))
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("run tayori");
    if let Some(input) = stdin {
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

/// An organisation's admin policy for example.test (the rig's provider, OAuth only, STARTTLS ports,
/// the client id pinned), written into `dir`; returns its path.
pub fn write_example_corp_policy(dir: &std::path::Path) -> std::path::PathBuf {
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        r#"
[[provider]]
name = "Example Corp IT"
domains = ["example.test"]
imap = { host = "mail.example.test", port = 10143, security = "starttls" }
smtp = { host = "mail.example.test", port = 10587, security = "starttls" }
sign_in = ["oauth2"]
[provider.oauth2]
issuer = "https://127.0.0.1:9443"
scopes = ["openid", "email", "offline_access", "mail"]
client_id = "tayori"
"#,
    )
    .expect("write policy");
    policy
}
