//! A keyring that refuses to save the rotated refresh token (locked by the screen lock, or by the
//! person, between Tayori reading the old token and saving the new one). With rotating refresh
//! tokens the old one is spent the moment the provider answers: a lost new one means the person
//! must sign in again, and presenting the spent one again makes providers with reuse detection
//! revoke the whole grant. So the rotated token is kept in memory and used for the next renewal,
//! and saved once the keyring takes it again.
//!
//! The keyring is the real one (gnome-keyring's Secret Service), locked and unlocked over D-Bus as
//! the desktop does. Locking it affects every program on that session bus, so the test runs itself
//! again inside a Secret Service of its own (tests/rig/with-secret-service.sh with a private keyring
//! folder): the other tests keep their keyring unlocked.
//!
//! Needs the rig's PKI (tests/rig/start.sh) for the token endpoint's certificate.

#![cfg(target_os = "linux")]

#[path = "hostile/mod.rs"]
mod hostile;
mod support;

use std::path::PathBuf;
use std::process::Command;

use hostile::token;
use tayori::auth::flow::OAuthClient;
use tayori::auth::keyring_store::{self, KeyringError, SecretKind};
use tayori::auth::tokens::TokenManager;
use tayori::redact::Secret;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};

/// Set in the copy of this test that runs inside its own Secret Service.
const INSIDE: &str = "TAYORI_TEST_PRIVATE_KEYRING";
/// The password with-secret-service.sh gives the login keyring.
const KEYRING_PASSWORD: &str = "tayori-keyring-refusal";
const LOGIN: &str = "/org/freedesktop/secrets/collection/login";
const MAIL_HOST: &str = "mail.example.test";

/// Runs `test` (this file's test of that name) again inside a Secret Service of its own; true in
/// the outer run, which then has nothing more to do.
fn rerun_in_private_keyring(test: &str) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        return false;
    }
    let keyring = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/rig/with-secret-service.sh");
    let output = Command::new(script)
        .arg(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .env("TAYORI_RIG_KEYRING_DIR", keyring.path())
        .env("TAYORI_RIG_KEYRING_FRESH", "1")
        .env("TAYORI_RIG_KEYRING_PW", KEYRING_PASSWORD)
        // The renewal lock and anything else Tayori writes stay in this test's own folder.
        .env("TAYORI_HOME", home.path())
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the test inside its own keyring failed:\n{printed}"
    );
    // The inner run must have run the test (a filter that matched nothing passes too).
    assert!(
        printed.contains("1 passed"),
        "the inner run ran no test:\n{printed}"
    );
    true
}

async fn secret_service() -> zbus::Proxy<'static> {
    let connection = zbus::Connection::session().await.expect("the session bus");
    zbus::Proxy::new(
        &connection,
        "org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service",
    )
    .await
    .unwrap()
}

/// Locks the login keyring, as the desktop's screen lock does.
async fn lock_keyring() {
    let login = ObjectPath::try_from(LOGIN).unwrap();
    let (locked, _prompt): (Vec<OwnedObjectPath>, OwnedObjectPath) = secret_service()
        .await
        .call("Lock", &(vec![login],))
        .await
        .expect("Secret Service Lock");
    assert_eq!(locked.len(), 1, "the login keyring was not locked");
}

/// Unlocks it with its password, as the desktop does at log-in (gnome-keyring's interface for
/// that, which needs no prompt window).
async fn unlock_keyring() {
    let service = secret_service().await;
    let (_, session): (OwnedValue, OwnedObjectPath) = service
        .call("OpenSession", &("plain", Value::from("")))
        .await
        .expect("Secret Service OpenSession");
    let internal = zbus::Proxy::new(
        service.connection(),
        "org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
    )
    .await
    .unwrap();
    let login = ObjectPath::try_from(LOGIN).unwrap();
    let master = (
        session.as_ref(),
        Vec::<u8>::new(),
        KEYRING_PASSWORD.as_bytes().to_vec(),
        "text/plain",
    );
    let () = internal
        .call("UnlockWithMasterPassword", &(login, master))
        .await
        .expect("unlock the login keyring with its password");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_token_the_keyring_refuses_is_kept_and_saved_when_it_takes_it_again() {
    if rerun_in_private_keyring(
        "a_rotated_token_the_keyring_refuses_is_kept_and_saved_when_it_takes_it_again",
    ) {
        return;
    }
    let account = "rotation@example.test";
    keyring_store::save(account, SecretKind::RefreshToken, &Secret::new("rt-0"))
        .await
        .expect("the private keyring takes the first sign-in");
    let mut server = token::start_rotating().await;
    let client = OAuthClient {
        client_id: "tayori".into(),
        authorization_endpoint: format!("https://127.0.0.1:{}/authorize", server.port),
        token_endpoint: server.url(),
        issuer: None,
        iss_required: false,
        scopes: vec!["mail".into(), "offline_access".into()],
        client_secret: None,
    };
    let http = tayori::net::http::Http::new(
        tayori::net::dns::Dns::new(None, std::time::Duration::from_secs(5)).unwrap(),
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    let manager = TokenManager::new(http, client, account, MAIL_HOST);

    // First renewal: Tayori reads rt-0 from the keyring and presents it; while the provider is
    // answering, the keyring is locked, so the rotated rt-1 cannot be saved.
    let first = tokio::spawn({
        let manager = manager.clone();
        async move { manager.access_token(MAIL_HOST).await }
    });
    assert_eq!(server.arrived().await, "rt-0");
    lock_keyring().await;
    server.answer();
    let access = first.await.unwrap().expect("the renewal itself succeeded");
    assert_eq!(access.expose(), "at-1");
    assert_eq!(
        keyring_store::load(account, SecretKind::RefreshToken)
            .await
            .unwrap_err(),
        KeyringError::Locked,
        "the keyring was not locked, so nothing was refused"
    );

    // Second renewal, the keyring still locked: the rotated token kept in memory is presented,
    // never the spent rt-0 (which the keyring still holds).
    server.answer();
    let access = manager
        .refresh_after_rejection(MAIL_HOST, &access)
        .await
        .expect("renewed with the token kept in memory");
    assert_eq!(access.expose(), "at-2");

    // The keyring is unlocked again: the next renewal presents rt-2 and its successor is saved.
    unlock_keyring().await;
    server.answer();
    let access = manager
        .refresh_after_rejection(MAIL_HOST, &access)
        .await
        .expect("renewed");
    assert_eq!(access.expose(), "at-3");
    assert_eq!(
        server.presented(),
        ["rt-0", "rt-1", "rt-2"],
        "a spent refresh token was presented again, or the rotated one was lost"
    );
    let saved = keyring_store::load(account, SecretKind::RefreshToken)
        .await
        .unwrap()
        .expect("a saved sign-in");
    assert_eq!(
        saved.expose(),
        "rt-3",
        "the newest refresh token is not the one in the keyring"
    );
    // A new process (the window after a restart) starts from the keyring: the newest token.
    keyring_store::delete(account, SecretKind::RefreshToken)
        .await
        .unwrap();
}
