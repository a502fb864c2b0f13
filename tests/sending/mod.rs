//! Helpers shared by the sending tests (tests/send.rs, tests/send_outage.rs): an account for alice
//! in a fresh TAYORI_HOME, her sign-in in the rig's keyring, and reading mailboxes back over IMAP
//! as the recipient would.
#![allow(dead_code)] // each test binary uses a different part

use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use tayori::account::{Account, AccountAuth, Accounts, SentCopy, Server};
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::config::Paths;
use tayori::discovery::Security;

use crate::support::*;

pub const RIG_DNS: &str = "127.0.0.1:10053";
pub const MAIL_SERVER: &str = "mail.example.test";

/// Alice's keyring entry is shared by every test that signs in as her, and refresh tokens rotate
/// (using an old one revokes the grant): tests that use it take turns.
/// An async lock: the turn is held across awaits, and a failed test does not poison it.
static ALICE_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn alice_turn() -> tokio::sync::MutexGuard<'static, ()> {
    ALICE_TURN.lock().await
}

static SIGNED_IN: OnceLock<tayori::auth::flow::OAuthClient> = OnceLock::new();

fn block_on_thread<T: Send + 'static>(
    future: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    // Tests may already run inside a runtime; a fresh thread gets its own.
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(future)
    })
    .join()
    .expect("helper thread")
}

/// Signs alice in once per test binary (the browser driver on the IdP's real form) and puts her
/// refresh token in the keyring, as `tayori account add` does. Returns the OAuth client.
pub fn alice_signed_in(rig: &Rig) -> tayori::auth::flow::OAuthClient {
    SIGNED_IN
        .get_or_init(|| {
            let rig = rig.clone();
            block_on_thread(async move {
                let client = rig_oauth_client(&rig, CLIENT_ID).await;
                let tokens = product_sign_in(&client, ALICE, ALICE_IDP_PASSWORD).await;
                keyring_store::save(
                    ALICE,
                    SecretKind::RefreshToken,
                    tokens.refresh_token.as_ref().expect("refresh token"),
                )
                .await
                .expect("keyring");
                client
            })
        })
        .clone()
}

/// How alice's account signs in for a test.
pub enum Login {
    OAuth,
    AppPassword,
}

/// A TAYORI_HOME with alice's account (IMAPS 10993; SMTP on `smtp_port` with `security`).
pub fn alice_home(
    rig: &Rig,
    login: Login,
    smtp_port: u16,
    security: Security,
    sent_copy: Option<SentCopy>,
) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let auth = match login {
        Login::OAuth => {
            let client = alice_signed_in(rig);
            AccountAuth::OAuth2 {
                client_id: client.client_id,
                issuer: client.issuer,
                authorization_endpoint: client.authorization_endpoint,
                token_endpoint: client.token_endpoint,
                iss_required: client.iss_required,
                scopes: client.scopes,
            }
        }
        Login::AppPassword => {
            block_on_thread(async {
                keyring_store::save(
                    ALICE,
                    SecretKind::AppPassword,
                    &tayori::redact::Secret::new(ALICE_APP_PASSWORD),
                )
                .await
                .expect("keyring")
            });
            AccountAuth::Password
        }
    };
    let server = |port, security| Server {
        host: MAIL_SERVER.into(),
        port,
        security,
        username: ALICE.into(),
    };
    Accounts::new(&paths)
        .upsert(Account {
            email: ALICE.into(),
            display_name: Some("Alice Example".into()),
            provider: None,
            imap: server(rig.imaps_port, Security::Tls),
            smtp: server(smtp_port, security),
            auth,
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        })
        .unwrap();
    home
}

/// The rig's name server, as the product is configured for it.
pub fn rig_dns() -> tayori::net::dns::Dns {
    tayori::net::dns::Dns::new(Some(RIG_DNS.parse().unwrap()), Duration::from_secs(5)).unwrap()
}

pub fn tayori(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run_tayori(home, args, &[("TAYORI_LOG", "debug".as_ref())], stdin)
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The Message-ID `tayori send` printed ("… Message-ID <…>").
pub fn message_id_of(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let start = stdout
        .find("Message-ID <")
        .unwrap_or_else(|| panic!("no Message-ID in: {}", text(out)))
        + "Message-ID ".len();
    let end = stdout[start..].find('>').unwrap() + start + 1;
    stdout[start..end].to_owned()
}

/// `tayori outbox list --all --json`.
pub fn outbox_json(home: &Path) -> Vec<serde_json::Value> {
    let out = tayori(home, &["outbox", "list", "--all", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

async fn login(user: &str, password: &str) -> ImapSession {
    let rig = Rig::load();
    imap_connect(rig.imaps_port)
        .await
        .login(user, password)
        .await
        .map_err(|(e, _)| e)
        .expect("IMAP login")
}

/// Every message in `mailbox` of `user` whose Message-ID is `message_id`, raw.
pub async fn copies(user: &str, password: &str, mailbox: &str, message_id: &str) -> Vec<Vec<u8>> {
    let mut session = login(user, password).await;
    session.examine(mailbox).await.expect("examine");
    let uids = session
        .uid_search(format!("HEADER Message-ID \"{message_id}\""))
        .await
        .expect("search");
    let mut found = Vec::new();
    if !uids.is_empty() {
        let set = uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetches: Vec<_> = session
            .uid_fetch(set, "BODY.PEEK[]")
            .await
            .expect("fetch")
            .try_collect()
            .await
            .expect("fetch stream");
        found = fetches
            .iter()
            .filter_map(|f| f.body().map(<[u8]>::to_vec))
            .collect();
    }
    let _ = session.logout().await;
    found
}

/// Waits until `message_id` is in `user`'s `mailbox` (delivery goes through Postfix and LMTP), then
/// waits a little more so that a duplicate would have arrived too; returns every copy.
pub async fn delivered(
    user: &str,
    password: &str,
    mailbox: &str,
    message_id: &str,
) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = copies(user, password, mailbox, message_id).await;
        if !found.is_empty() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            return copies(user, password, mailbox, message_id).await;
        }
        assert!(
            Instant::now() < deadline,
            "{message_id} did not arrive in {user}'s {mailbox}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The header section of a raw message, for checks on header lines.
pub fn header_section(raw: &[u8]) -> String {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).into_owned()
}
