//! `tayori account …` end to end: discovery through the rig's DNS, sign-in in "the browser"
//! (tests/browser-driver.py on the provider's real login form), verification against Dovecot's IMAP
//! and submission, the refresh token in the rig's Secret Service, and no secret anywhere on disk.

mod support;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use support::*;
use tayori::auth::AuthError;
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::auth::tokens::TokenManager;
use tayori::net::dns::Dns;

const RIG_DNS: &str = "127.0.0.1:10053";
/// The rig's mail server, where alice's tokens are used.
const MAIL_HOST_OF_ALICE: &str = "mail.example.test";

/// The rig has two people, and their keyring entries are shared by every test that adds them:
/// tests that add alice or bob take turns.
static SHARED_IDENTITIES: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    SHARED_IDENTITIES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn tayori(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run_tayori(home, args, &[("TAYORI_LOG", "debug".as_ref())], stdin)
}

/// `tayori account add|reauth USER` with the browser driver signing in as `user`.
fn with_browser(home: &Path, action: &str, user: &str, password: &str) -> Output {
    tayori(
        home,
        &[
            "account",
            action,
            user,
            "--browser",
            &driver_command(user, password),
        ],
        None,
    )
}

/// A TAYORI_HOME whose settings carry the organisation's client id for the rig's provider.
fn home_with_org_client_id() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/tayori.toml"),
        "[oauth.client_ids]\n\"https://127.0.0.1:9443\" = \"tayori\"\n",
    )
    .unwrap();
    home
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir` (config, data, logs, SQLite) must be free of every secret.
fn assert_no_secret_under(dir: &Path, secrets: &[String]) -> usize {
    let mut scanned = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        let content = String::from_utf8_lossy(&bytes);
        for (index, secret) in secrets.iter().enumerate() {
            assert!(
                !content.contains(secret.as_str()),
                "secret #{index} found in {}",
                path.display()
            );
        }
    }
    scanned
}

#[test]
fn add_with_oauth_list_reauth_remove_and_no_secret_on_disk() {
    let _turn = take_turn();
    let _ = Rig::load();
    let home = home_with_org_client_id();

    let out = with_browser(home.path(), "add", ALICE, ALICE_IDP_PASSWORD);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("Checking incoming mail")
            && said.contains("Checking outgoing mail")
            && said.contains("added"),
        "{said}"
    );
    assert!(
        said.contains("Multi-factor sign-in"),
        "the person is told MFA happens in the browser: {said}"
    );

    let out = tayori(home.path(), &["account", "list"], None);
    let listed = text(&out);
    assert!(
        listed.contains(ALICE) && listed.contains("OAuth 2.0") && listed.contains(" ok"),
        "{listed}"
    );

    // Issue 25: every host the setup contacted is accounted for, with whether the address went
    // there: the domain's autoconfig (over HTTPS, with the address), the ISPDB (by domain only),
    // the sign-in service, the IMAP and SMTP servers it checked.
    let out = tayori(
        home.path(),
        &["account", "connections", ALICE, "--json"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = record["connections"].as_array().unwrap();
    let row = |host: &str, port: u16, purpose: &str| {
        rows.iter()
            .find(|r| r["host"] == host && r["port"] == port && r["purpose"] == purpose)
            .unwrap_or_else(|| panic!("no {purpose} row for {host}:{port}: {record:#}"))
    };
    assert_eq!(
        row("autoconfig.example.test", 443, "discovery")["address_sent"],
        true,
        "{record:#}"
    );
    // Over plain HTTP the address is never sent, nor to the ISPDB (asked by domain) — where
    // those queries went out before the autoconfig answer stopped them.
    for (host, port) in [("autoconfig.example.test", 80), ("ispdb.example.test", 443)] {
        for r in rows
            .iter()
            .filter(|r| r["host"] == host && r["port"] == port)
        {
            assert_eq!(r["address_sent"], false, "{r}");
        }
    }
    assert_eq!(
        row("mail.example.test", 10993, "imap")["address_sent"],
        true
    );
    assert_eq!(
        row("mail.example.test", 10465, "smtp")["address_sent"],
        true
    );
    assert!(
        rows.iter()
            .any(|r| r["purpose"] == "sign_in" && r["host"] == "127.0.0.1"),
        "{record:#}"
    );
    for r in rows {
        assert!(
            !["autodiscover-s.outlook.com", "outlook.office365.com"]
                .contains(&r["host"].as_str().unwrap()),
            "example.test is not Microsoft's: {r}"
        );
        assert!(r["last_at"].as_u64().unwrap() > 0 && r["count"].as_u64().unwrap() >= 1);
    }
    let japanese = [
        ("LANG", "ja_JP.UTF-8".as_ref()),
        ("LC_ALL", "ja_JP.UTF-8".as_ref()),
    ];
    let out = run_tayori(
        home.path(),
        &["account", "connections", ALICE],
        &japanese,
        None,
    );
    let said = text(&out);
    assert!(
        out.status.success()
            && said.contains("のための接続")
            && said.contains("autoconfig.example.test:443")
            && said.contains("アドレスを送信"),
        "{said}"
    );

    // The refresh token is in the keyring, and only there.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let refresh = runtime
        .block_on(keyring_store::load(ALICE, SecretKind::RefreshToken))
        .expect("keyring readable (run through tests/rig/with-secret-service.sh)")
        .expect("refresh token saved");
    let accounts_file = std::fs::read_to_string(home.path().join("config/accounts.toml")).unwrap();
    assert!(
        accounts_file.contains("client_id = \"tayori\""),
        "{accounts_file}"
    );

    let out = with_browser(home.path(), "reauth", ALICE, ALICE_IDP_PASSWORD);
    assert!(out.status.success(), "{}", text(&out));
    let rotated = runtime
        .block_on(keyring_store::load(ALICE, SecretKind::RefreshToken))
        .unwrap()
        .unwrap();
    assert_ne!(
        rotated.expose(),
        refresh.expose(),
        "reauth saves the new sign-in"
    );

    let scanned = assert_no_secret_under(
        home.path(),
        &[
            refresh.expose().to_owned(),
            rotated.expose().to_owned(),
            ALICE_IDP_PASSWORD.to_owned(),
            ALICE_APP_PASSWORD.to_owned(),
        ],
    );
    assert!(
        scanned >= 3,
        "config, accounts and the log file were scanned ({scanned} files)"
    );

    let out = tayori(home.path(), &["account", "remove", ALICE], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        runtime
            .block_on(keyring_store::load(ALICE, SecretKind::RefreshToken))
            .unwrap()
            .is_none(),
        "keyring entry deleted"
    );
    assert!(!text(&tayori(home.path(), &["account", "list"], None)).contains(ALICE));
    // Its connections record went with it.
    let log = tayori::connections::ConnectionLog::new(&tayori::config::Paths::under(home.path()));
    assert!(log.list(ALICE).unwrap().is_empty());
}

#[test]
fn with_no_client_id_configured_tayori_registers_itself_where_the_server_allows() {
    let _turn = take_turn();
    let _ = Rig::load();
    let home = tempfile::tempdir().unwrap();
    let out = with_browser(home.path(), "add", BOB, BOB_IDP_PASSWORD);
    assert!(out.status.success(), "{}", text(&out));
    let accounts_file = std::fs::read_to_string(home.path().join("config/accounts.toml")).unwrap();
    assert!(
        !accounts_file.contains("client_id = \"tayori\""),
        "a registered client id, not the preconfigured one: {accounts_file}"
    );
    let _ = tayori(home.path(), &["account", "remove", BOB], None);
}

#[test]
fn an_app_password_is_verified_before_it_is_saved() {
    let _turn = take_turn();
    let _ = Rig::load();
    let home = tempfile::tempdir().unwrap();
    let wrong = tayori(
        home.path(),
        &["account", "add", BOB, "--auth", "password"],
        Some("not-the-password\n"),
    );
    assert!(!wrong.status.success(), "{}", text(&wrong));
    assert!(text(&wrong).contains("refused"), "{}", text(&wrong));
    assert!(
        !text(&tayori(home.path(), &["account", "list"], None)).contains(BOB),
        "nothing saved for a failed account"
    );

    let out = tayori(
        home.path(),
        &["account", "add", BOB, "--auth", "password"],
        Some(&format!("{BOB_APP_PASSWORD}\n")),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("app password"),
        "the password path says why it is offered: {}",
        text(&out)
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stored = runtime
        .block_on(keyring_store::load(BOB, SecretKind::AppPassword))
        .unwrap()
        .unwrap();
    assert_eq!(stored.expose(), BOB_APP_PASSWORD);
    assert_no_secret_under(home.path(), &[BOB_APP_PASSWORD.to_owned()]);
    let _ = tayori(home.path(), &["account", "remove", BOB], None);
    assert!(
        runtime
            .block_on(keyring_store::load(BOB, SecretKind::AppPassword))
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn concurrent_users_share_one_refresh_and_a_revoked_grant_means_sign_in_again() {
    let rig = Rig::load();
    let http = product_http();
    let client = rig_oauth_client(&rig, CLIENT_ID).await;
    let tokens = product_sign_in(&client, ALICE, ALICE_IDP_PASSWORD).await;
    let account = format!("shared-refresh-{}@example.test", std::process::id());
    keyring_store::save(
        &account,
        SecretKind::RefreshToken,
        tokens.refresh_token.as_ref().unwrap(),
    )
    .await
    .unwrap();

    // Nothing cached: eight users ask at once. With rotating refresh tokens, two refreshes would
    // revoke the grant; one shared refresh serves everyone.
    let manager: Arc<TokenManager> = TokenManager::new(
        http.clone(),
        client.clone(),
        account.clone(),
        MAIL_HOST_OF_ALICE,
    );
    let mut users = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let manager = manager.clone();
        users.spawn(async move { manager.access_token(MAIL_HOST_OF_ALICE).await });
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(result) = users.join_next().await {
        seen.insert(result.unwrap().expect("token").expose().to_owned());
    }
    assert_eq!(manager.refresh_count(), 1);
    assert_eq!(seen.len(), 1, "everyone got the same token");
    let rotated = keyring_store::load(&account, SecretKind::RefreshToken)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        rotated.expose(),
        tokens.refresh_token.as_ref().unwrap().expose(),
        "the rotated token was saved"
    );

    // The grant is revoked (an admin, a password change): the next refresh says "sign in again".
    revoke_refresh_token(&rig, rotated.expose()).await;
    let stale = manager.access_token(MAIL_HOST_OF_ALICE).await.unwrap();
    let err = manager
        .refresh_after_rejection(MAIL_HOST_OF_ALICE, &stale)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::NeedsSignIn { .. }), "{err}");
    keyring_store::delete(&account, SecretKind::RefreshToken)
        .await
        .unwrap();
}

#[test]
fn a_revoked_sign_in_is_marked_needs_sign_in_and_reauth_clears_it() {
    let _turn = take_turn();
    let rig = Rig::load();
    // Revocation below is done as the client that owns the token: the organisation's client id.
    let home = home_with_org_client_id();
    let out = with_browser(home.path(), "add", ALICE, ALICE_IDP_PASSWORD);
    assert!(out.status.success(), "{}", text(&out));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let refresh = runtime
        .block_on(keyring_store::load(ALICE, SecretKind::RefreshToken))
        .unwrap()
        .unwrap();
    let out = tayori(home.path(), &["account", "verify"], None);
    assert!(
        out.status.success() && text(&out).contains(": ok"),
        "{}",
        text(&out)
    );

    // An administrator revokes the grant (or the password changed).
    runtime.block_on(async {
        revoke_refresh_token(&rig, refresh.expose()).await;
    });
    let out = tayori(home.path(), &["account", "verify", ALICE], None);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("needs sign-in") && text(&out).contains("tayori account reauth"),
        "{}",
        text(&out)
    );
    let listed = text(&tayori(home.path(), &["account", "list"], None));
    assert!(listed.contains("needs sign-in"), "{listed}");

    let out = with_browser(home.path(), "reauth", ALICE, ALICE_IDP_PASSWORD);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&tayori(home.path(), &["account", "list"], None)).contains("needs sign-in"));
    let _ = tayori(home.path(), &["account", "remove", ALICE], None);
}

#[test]
fn without_a_secret_service_the_error_says_so_and_nothing_is_saved_in_a_file() {
    let _turn = take_turn();
    let _ = Rig::load();
    let home = tempfile::tempdir().unwrap();
    // No session bus: as on a desktop without a keyring service.
    let no_bus = std::ffi::OsString::from(format!("unix:path={}/no-bus", home.path().display()));
    let out = run_tayori(
        home.path(),
        &["account", "add", BOB, "--auth", "password"],
        &[("DBUS_SESSION_BUS_ADDRESS", no_bus.as_os_str())],
        Some(&format!("{BOB_APP_PASSWORD}\n")),
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("no keyring is available"),
        "{}",
        text(&out)
    );
    assert!(
        !home.path().join("config/accounts.toml").exists(),
        "no account without its secret"
    );
    assert_no_secret_under(home.path(), &[BOB_APP_PASSWORD.to_owned()]);
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_retry_succeeds() {
    let rig = Rig::load();
    let http = product_http();
    let client = rig_oauth_client(&rig, CLIENT_ID).await;
    let mut tokens = product_sign_in(&client, BOB, BOB_IDP_PASSWORD).await;
    let account = format!("retry-{}@example.test", std::process::id());
    // The cached access token is one the server no longer accepts (revoked, or expired early).
    tokens.access_token = tayori::redact::Secret::new("an-access-token-the-server-refuses");
    tokens.expires_at = Some(std::time::SystemTime::now() + Duration::from_secs(3600));
    let manager = TokenManager::new(http.clone(), client, account.clone(), MAIL_HOST_OF_ALICE);
    manager.seed(&tokens).await.unwrap();
    let server = tayori::account::Server {
        host: "mail.example.test".into(),
        port: rig.imaps_port,
        security: tayori::discovery::Security::Tls,
        username: BOB.into(),
    };
    let dns = Dns::new(Some(RIG_DNS.parse().unwrap()), Duration::from_secs(5)).unwrap();
    let mut session = tayori::imap::login(
        &dns,
        &server,
        &tayori::imap::Credentials::OAuth(manager.clone()),
    )
    .await
    .expect("the retry after one refresh signs in");
    assert_eq!(manager.refresh_count(), 1);
    let _ = session.logout().await;
    keyring_store::delete(&account, SecretKind::RefreshToken)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_it_is_used() {
    let rig = Rig::load();
    let http = product_http();
    let client = rig_oauth_client(&rig, CLIENT_ID).await;
    let mut tokens = product_sign_in(&client, BOB, BOB_IDP_PASSWORD).await;
    let account = format!("ahead-{}@example.test", std::process::id());
    // 30 s left: inside the refresh margin, so the first use refreshes instead of risking a failure.
    tokens.expires_at = Some(std::time::SystemTime::now() + Duration::from_secs(30));
    let manager = TokenManager::new(http.clone(), client, account.clone(), MAIL_HOST_OF_ALICE);
    manager.seed(&tokens).await.unwrap();
    let first = manager.access_token(MAIL_HOST_OF_ALICE).await.unwrap();
    assert_eq!(manager.refresh_count(), 1, "refreshed ahead of expiry");
    assert_ne!(first.expose(), tokens.access_token.expose());
    let second = manager.access_token(MAIL_HOST_OF_ALICE).await.unwrap();
    assert_eq!(manager.refresh_count(), 1, "the fresh token is reused");
    assert_eq!(second.expose(), first.expose());
    keyring_store::delete(&account, SecretKind::RefreshToken)
        .await
        .unwrap();
}

#[test]
fn the_admin_policy_pins_servers_client_id_and_allowed_methods() {
    let _turn = take_turn();
    let _ = Rig::load();
    let home = tempfile::tempdir().unwrap();
    let policy = write_example_corp_policy(home.path());
    let run = |args: &[&str], stdin: Option<&str>| {
        run_tayori(
            home.path(),
            args,
            &[("TAYORI_POLICY_FILE", policy.as_os_str())],
            stdin,
        )
    };
    // The administrator allows OAuth only: the password path is refused before anything is asked.
    let out = run(
        &["account", "add", BOB, "--auth", "password"],
        Some("bob-app-password\n"),
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("allows only sign-in through the browser"),
        "{}",
        text(&out)
    );

    let out = run(
        &[
            "account",
            "add",
            BOB,
            "--browser",
            &driver_command(BOB, BOB_IDP_PASSWORD),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Your organisation's policy"),
        "{}",
        text(&out)
    );
    let accounts_file = std::fs::read_to_string(home.path().join("config/accounts.toml")).unwrap();
    assert!(
        accounts_file.contains("client_id = \"tayori\""),
        "the pinned client id, not a registered one: {accounts_file}"
    );
    assert!(
        accounts_file.contains("port = 10143") && accounts_file.contains("security = \"starttls\""),
        "{accounts_file}"
    );
    let _ = run(&["account", "remove", BOB], None);
}
