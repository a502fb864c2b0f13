//! Where codes, verifiers and refresh tokens may go: only to HTTPS endpoints of the authorization
//! server that was asked, whatever a discovery answer, a mail server's hint or a saved account says.
//! Against the rig's fixture server (tests/rig/https/fixtures: as.mixup.test, huge.mixup.test,
//! autoconfig.oauth-http.test) and its IdP.

mod support;

use std::path::Path;

use support::*;
use tayori::auth::{clients, metadata};

fn fixture_log(rig: &Rig) -> String {
    std::fs::read_to_string(rig.log_dir.join("https.log")).unwrap_or_default()
}

/// A mail server (RFC 7628 hint) or an unverified answer names an authorization server. Its
/// metadata may not send the person, the code or the tokens to another host: here it names
/// as.mixup.test as issuer and the rig's IdP (127.0.0.1:9443) as endpoints.
#[tokio::test]
async fn a_named_authorization_server_cannot_bind_endpoints_on_another_host() {
    let _ = Rig::load();
    let result = metadata::from_configuration_url(
        &product_http(),
        "https://as.mixup.test/.well-known/openid-configuration",
    )
    .await;
    assert!(
        result.is_err(),
        "endpoints of another host were accepted: {result:?}"
    );
}

/// Every endpoint of the metadata must be HTTPS, the registration and revocation ones too.
#[tokio::test]
async fn metadata_with_a_plain_http_registration_or_revocation_endpoint_is_refused() {
    let _ = Rig::load();
    let result = metadata::for_issuer(&product_http(), "https://as.mixup.test/reghttp").await;
    match result {
        Err(_) => {}
        Ok(meta) => {
            for endpoint in [&meta.registration_endpoint, &meta.revocation_endpoint]
                .into_iter()
                .flatten()
            {
                assert!(
                    endpoint.starts_with("https://"),
                    "a plain-HTTP endpoint was kept: {endpoint}"
                );
            }
        }
    }
}

/// A registration endpoint that answers 12 MiB is not read whole.
#[tokio::test]
async fn a_huge_registration_answer_is_refused_not_read_whole() {
    let _ = Rig::load();
    let result = clients::register(&product_http(), "https://huge.mixup.test/reg").await;
    assert!(
        result.is_err(),
        "a 12 MiB registration answer was accepted: {:?}",
        result.map(|id| id.len())
    );
}

/// Discovery gives an authorization server without metadata and a plain-HTTP token address: Tayori
/// stops before the browser opens, so no code, verifier or token can travel in clear.
#[test]
fn a_plain_http_token_endpoint_from_discovery_is_refused_before_the_browser_opens() {
    let rig = Rig::load();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/tayori.toml"),
        "[oauth.client_ids]\n\"https://nometa.oauth-http.test\" = \"tayori\"\n",
    )
    .unwrap();
    let report = home.path().join("browser-report");
    let out = run_tayori(
        home.path(),
        &[
            "account",
            "add",
            "kana@oauth-http.test",
            "--trust",
            "example.test",
            "--browser",
            &format!(
                "{} --report {}",
                driver_command(ALICE, ALICE_IDP_PASSWORD),
                report.display()
            ),
        ],
        &[],
        None,
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{said}");
    assert!(
        !Path::new(&report).exists(),
        "the browser was opened for a sign-in whose code would go over plain HTTP: {said}"
    );
    assert!(
        !fixture_log(&rig).contains("/token-oauth-http"),
        "the plain-HTTP token endpoint was contacted"
    );
    assert!(said.contains("https") || said.contains("HTTPS"), "{said}");
}

/// An account saved before this check (or edited by hand) with a plain-HTTP token address: its
/// refresh token is not sent there; the person is told what is wrong.
#[test]
fn a_saved_account_with_a_plain_http_token_endpoint_sends_no_refresh_token() {
    use tayori::account::{Account, AccountAuth, Accounts, Server};
    use tayori::auth::keyring_store::{self, SecretKind};
    use tayori::discovery::Security;
    let rig = Rig::load();
    let home = tempfile::tempdir().unwrap();
    let paths = tayori::config::Paths::under(home.path());
    paths.create_all().unwrap();
    let email = format!("saved-http-{}@example.test", std::process::id());
    let path = format!("/token-saved-{}", rand::random::<u32>());
    let server = |port| Server {
        host: "mail.example.test".into(),
        port,
        security: Security::Tls,
        username: email.clone(),
    };
    Accounts::new(&paths)
        .upsert(Account {
            email: email.clone(),
            display_name: None,
            provider: None,
            imap: server(rig.imaps_port),
            smtp: server(rig.submissions_port),
            auth: AccountAuth::OAuth2 {
                client_id: "tayori".into(),
                issuer: None,
                authorization_endpoint: "https://127.0.0.1:9443/auth".into(),
                token_endpoint: format!("http://127.0.0.10{path}"),
                iss_required: false,
                scopes: vec!["mail".into()],
            },
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        })
        .unwrap();
    let canary = tayori::redact::Secret::new(format!("refresh-canary-{}", rand::random::<u64>()));
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(keyring_store::save(
            &email,
            SecretKind::RefreshToken,
            &canary,
        ))
        .expect("keyring (run through tests/rig/with-secret-service.sh)");
    let out = run_tayori(home.path(), &["sync", "--account", &email], &[], None);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(
        !fixture_log(&rig).contains(&path),
        "the refresh token was posted to the plain-HTTP endpoint: {said}"
    );
    assert!(said.contains("https") || said.contains("HTTPS"), "{said}");
}
