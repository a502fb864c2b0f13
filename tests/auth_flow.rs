//! Tayori's own sign-in code against the rig's real OpenID Connect provider and Dovecot: the browser
//! is tests/browser-driver.py, which completes the provider's HTML login form as a person would.

mod support;

use std::time::Duration;

use support::*;
use tayori::auth::browser::Browser;
use tayori::auth::flow::{self, SignInOptions};
use tayori::auth::{AuthError, metadata, sasl};
use tayori::redact::Secret;

async fn imap_accepts(
    rig: &Rig,
    mechanism: &str,
    user: &str,
    token: &Secret,
) -> Result<(), String> {
    let initial = match mechanism {
        "XOAUTH2" => sasl::xoauth2(user, token),
        _ => sasl::oauthbearer(user, MAIL_HOST, rig.imaps_port, token),
    };
    let mut auth = BearerSasl::new(initial.expose().to_owned());
    let client = imap_connect(rig.imaps_port).await;
    match client.authenticate(mechanism, &mut auth).await {
        Ok(mut session) => {
            let _ = session.logout().await;
            Ok(())
        }
        Err((e, _)) => Err(format!(
            "{e}; challenges {:?}",
            auth.challenges.lock().unwrap()
        )),
    }
}

#[tokio::test]
async fn sign_in_in_the_browser_then_imap_and_refresh() {
    let rig = Rig::load();
    let client = rig_oauth_client(&rig, CLIENT_ID).await;
    assert!(
        client.iss_required,
        "the rig's provider promises iss (RFC 9207), so Tayori requires it"
    );
    let tokens = product_sign_in(&client, BOB, BOB_IDP_PASSWORD).await;
    let refresh_token = tokens
        .refresh_token
        .clone()
        .expect("offline_access gives a refresh token, without prompt=consent");
    assert!(tokens.expires_at.is_some());
    imap_accepts(&rig, "XOAUTH2", BOB, &tokens.access_token)
        .await
        .expect("XOAUTH2");
    imap_accepts(&rig, "OAUTHBEARER", BOB, &tokens.access_token)
        .await
        .expect("OAUTHBEARER");

    // Refresh: a new access token that works, and a rotated refresh token.
    let refreshed = flow::refresh(&product_http(), &client, &refresh_token)
        .await
        .expect("refresh");
    let rotated = refreshed
        .refresh_token
        .clone()
        .expect("rotated refresh token");
    assert_ne!(rotated.expose(), refresh_token.expose());
    imap_accepts(&rig, "XOAUTH2", BOB, &refreshed.access_token)
        .await
        .expect("refreshed token");

    // Revoked (as by an admin, or a password change): the refresh ends in "needs sign-in".
    revoke_refresh_token(&rig, rotated.expose()).await;
    let err = flow::refresh(&product_http(), &client, &rotated)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::NeedsSignIn { .. }), "{err}");
}

#[tokio::test]
async fn an_access_token_that_expired_is_refused_and_a_refresh_fixes_it() {
    let rig = Rig::load();
    let client = rig_oauth_client(&rig, "tayori-short").await;
    let tokens = product_sign_in(&client, ALICE, ALICE_IDP_PASSWORD).await;
    imap_accepts(&rig, "XOAUTH2", ALICE, &tokens.access_token)
        .await
        .expect("fresh token");
    let lifetime = tokens
        .expires_at
        .unwrap()
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    assert!(
        lifetime <= Duration::from_secs(15),
        "the short client's tokens live seconds, got {lifetime:?}"
    );
    tokio::time::sleep(lifetime + Duration::from_secs(2)).await;
    assert!(
        imap_accepts(&rig, "XOAUTH2", ALICE, &tokens.access_token)
            .await
            .is_err(),
        "an expired token is refused"
    );
    let refreshed = flow::refresh(
        &product_http(),
        &client,
        tokens.refresh_token.as_ref().unwrap(),
    )
    .await
    .expect("refresh");
    imap_accepts(&rig, "XOAUTH2", ALICE, &refreshed.access_token)
        .await
        .expect("refreshed token works");
}

/// The mail server alone tells Tayori where to sign in: its RFC 7628 failure names the provider.
#[tokio::test]
async fn the_issuer_named_in_the_oauthbearer_failure_works_end_to_end() {
    let rig = Rig::load();
    let probe_token = Secret::new("no-token-yet-just-asking-where-to-sign-in");
    let mut auth = BearerSasl::new(
        sasl::oauthbearer(ALICE, MAIL_HOST, rig.imaps_port, &probe_token)
            .expose()
            .to_owned(),
    );
    let client = imap_connect(rig.imaps_port).await;
    assert!(client.authenticate("OAUTHBEARER", &mut auth).await.is_err());
    let hint = auth
        .challenges
        .lock()
        .unwrap()
        .iter()
        .find_map(|c| sasl::BearerFailure::parse(c.as_bytes()))
        .and_then(|f| f.openid_configuration)
        .expect("the server names its provider");
    let meta = metadata::from_configuration_url(&product_http(), &hint)
        .await
        .expect("metadata from the hint");
    let client = oauth_client_from(meta, CLIENT_ID);
    let tokens = product_sign_in(&client, ALICE, ALICE_IDP_PASSWORD).await;
    imap_accepts(&rig, "OAUTHBEARER", ALICE, &tokens.access_token)
        .await
        .expect("token from the hinted issuer");
}

#[tokio::test]
async fn a_wrong_password_at_the_provider_never_yields_tokens() {
    let rig = Rig::load();
    let client = rig_oauth_client(&rig, CLIENT_ID).await;
    // The driver says how the browser session ended: the test must see the provider refuse the
    // password, not any failure at all (an unreachable page or a crash would also time out).
    let report = tempfile::NamedTempFile::new().unwrap();
    let command = format!(
        "{} --report {}",
        driver_command(ALICE, "wrong-password"),
        report.path().display()
    );
    let options = SignInOptions {
        browser: Browser::Command(command),
        login_hint: Some(ALICE.into()),
        timeout: Duration::from_secs(8),
        ask_google_consent_again: false,
    };
    let err = flow::sign_in(&product_http(), &client, &options, std::future::pending())
        .await
        .unwrap_err();
    let ended = std::fs::read_to_string(report.path()).unwrap();
    assert_eq!(
        ended.trim(),
        "refused 401: invalid email or password",
        "the provider itself refused the password"
    );
    assert!(
        matches!(
            err,
            AuthError::Callback(tayori::auth::loopback::CallbackError::TimedOut(_))
        ),
        "no code ever reached Tayori's listener, so sign-in ends by waiting: {err}"
    );
    // The same driver with the right password signs in: the refusal above was the password's.
    let report = tempfile::NamedTempFile::new().unwrap();
    let command = format!(
        "{} --report {}",
        driver_command(ALICE, ALICE_IDP_PASSWORD),
        report.path().display()
    );
    let options = SignInOptions {
        browser: Browser::Command(command),
        login_hint: Some(ALICE.into()),
        timeout: Duration::from_secs(30),
        ask_google_consent_again: false,
    };
    let tokens = flow::sign_in(&product_http(), &client, &options, std::future::pending())
        .await
        .expect("the right password signs in");
    assert_eq!(driver_report(report.path()).trim(), "redirected");
    assert!(!tokens.access_token.expose().is_empty());
}

#[tokio::test]
async fn the_refresh_token_lives_in_the_keyring_and_is_deleted_with_the_account() {
    use tayori::account::{Account, Accounts, Server};
    use tayori::auth::keyring_store::{self, SecretKind};
    use tayori::discovery::Security;
    let rig = Rig::load();
    let client = rig_oauth_client(&rig, CLIENT_ID).await;
    let tokens = product_sign_in(&client, ALICE, ALICE_IDP_PASSWORD).await;
    let refresh = tokens.refresh_token.expect("refresh token");
    // An account of its own (the keyring entry is keyed by the address), saved as setup saves one.
    let email = format!("keyring-test-{}@example.test", std::process::id());
    let home = tempfile::tempdir().unwrap();
    let paths = tayori::config::Paths::under(home.path());
    paths.create_all().unwrap();
    let server = |port| Server {
        host: MAIL_HOST.into(),
        port,
        security: Security::Tls,
        username: ALICE.into(),
    };
    Accounts::new(&paths)
        .upsert(Account {
            email: email.clone(),
            display_name: None,
            provider: None,
            imap: server(rig.imaps_port),
            smtp: server(rig.submissions_port),
            auth: tayori::account::setup::oauth_auth(&client),
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        })
        .unwrap();
    keyring_store::save(&email, SecretKind::RefreshToken, &refresh)
        .await
        .unwrap_or_else(|e| panic!("{e} (run the tests through tests/rig/with-secret-service.sh)"));
    let read = keyring_store::load(&email, SecretKind::RefreshToken)
        .await
        .unwrap()
        .expect("saved");
    assert_eq!(read.expose(), refresh.expose());
    // The stored token still works after a round trip through the keyring.
    let refreshed = flow::refresh(&product_http(), &client, &read)
        .await
        .expect("refresh from the keyring");
    imap_accepts(&rig, "XOAUTH2", ALICE, &refreshed.access_token)
        .await
        .expect("token works");

    // Removing the account (what `tayori account remove` and the settings screen do) takes its
    // sign-in out of the keyring.
    let removed = tayori::account::setup::remove_account(&paths, &email)
        .await
        .expect("remove the account");
    assert_eq!(removed.account.email, email);
    assert!(
        Accounts::new(&paths).list().unwrap().is_empty(),
        "the account is gone from the list"
    );
    assert!(
        keyring_store::load(&email, SecretKind::RefreshToken)
            .await
            .unwrap()
            .is_none(),
        "the refresh token is gone from the keyring"
    );
    // Removing again says there is no such account, and touches nothing.
    assert!(
        tayori::account::setup::remove_account(&paths, &email)
            .await
            .is_err()
    );
}

/// Any program on the machine can connect to the loopback listener while the person signs in:
/// connections that say nothing and a forged redirect (wrong state) neither end nor hold up the
/// sign-in; the provider's real redirect still completes it.
/// How the browser driver's session ended (`--report`). The browser gets its page as the sign-in
/// returns, and the driver writes the line just after: waited for, up to five seconds.
fn driver_report(path: &std::path::Path) -> String {
    for _ in 0..50 {
        let ended = std::fs::read_to_string(path).unwrap_or_default();
        if !ended.is_empty() {
            return ended;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    String::new()
}

#[tokio::test]
async fn a_local_program_can_neither_abort_nor_stall_the_loopback_listener() {
    let rig = Rig::load();
    let client = rig_oauth_client(&rig, CLIENT_ID).await;
    let report = tempfile::NamedTempFile::new().unwrap();
    let command = format!(
        "{} --report {} --hostile-neighbour 4",
        driver_command(BOB, BOB_IDP_PASSWORD),
        report.path().display()
    );
    let options = SignInOptions {
        browser: Browser::Command(command),
        login_hint: Some(BOB.into()),
        timeout: Duration::from_secs(25),
        ask_google_consent_again: false,
    };
    let started = std::time::Instant::now();
    let result = flow::sign_in(&product_http(), &client, &options, std::future::pending()).await;
    let took = started.elapsed();
    let ended = driver_report(report.path());
    let tokens = result.unwrap_or_else(|e| {
        panic!("the neighbour ended the sign-in after {took:?}: {e} (browser: {ended})")
    });
    assert!(!tokens.access_token.expose().is_empty());
    assert_eq!(ended.trim(), "redirected");
    assert!(
        took < Duration::from_secs(15),
        "silent connections held the sign-in up for {took:?}"
    );
}
