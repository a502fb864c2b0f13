//! Proves the test rig: real Dovecot, a real OpenID Connect provider, real submission and a real
//! Secret Service, reached the way Tayori will reach them (rustls with the system trust store, the
//! rig's CA installed there like an enterprise CA).
//!
//! Run by tests/run.sh with the rig started and inside a D-Bus session with gnome-keyring.

mod support;

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use support::*;
use tayori::auth::sasl;
use tayori::redact::Secret;

#[tokio::test]
async fn an_app_password_logs_in_and_selects_inbox() {
    let rig = Rig::load();
    let client = imap_connect(rig.imaps_port).await;
    let mut session = client
        .login(ALICE, ALICE_APP_PASSWORD)
        .await
        .map_err(|(e, _)| e)
        .expect("login");
    let inbox = session.select("INBOX").await.expect("select INBOX");
    assert!(inbox.uid_validity.is_some(), "INBOX has a UIDVALIDITY");
    let capabilities = session.capabilities().await.expect("capabilities");
    for needed in ["IDLE", "CONDSTORE", "QRESYNC", "MOVE", "SPECIAL-USE"] {
        assert!(
            capabilities.has_str(needed),
            "the rig's IMAP server lacks {needed}"
        );
    }
    session.logout().await.expect("logout");
}

#[tokio::test]
async fn a_wrong_app_password_is_refused() {
    let rig = Rig::load();
    let client = imap_connect(rig.imaps_port).await;
    let refused = client.login(ALICE, "not-the-app-password").await;
    assert!(refused.is_err(), "a wrong password must not log in");
}

#[tokio::test]
async fn a_garbage_token_is_refused_and_the_server_names_its_provider() {
    let rig = Rig::load();
    let garbage = Secret::new("garbage-token-that-no-provider-issued");
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let initial = match mechanism {
            "XOAUTH2" => sasl::xoauth2(ALICE, &garbage),
            _ => sasl::oauthbearer(ALICE, MAIL_HOST, rig.imaps_port, &garbage),
        };
        let mut auth = BearerSasl::new(initial.expose().to_owned());
        let client = imap_connect(rig.imaps_port).await;
        let result = client.authenticate(mechanism, &mut auth).await;
        assert!(
            result.is_err(),
            "{mechanism}: a garbage token must be refused"
        );
        let challenges = auth.challenges.lock().unwrap().clone();
        let failure = challenges
            .iter()
            .find_map(|c| sasl::BearerFailure::parse(c.as_bytes()))
            .unwrap_or_else(|| panic!("{mechanism}: no RFC 7628 JSON challenge in {challenges:?}"));
        assert_eq!(
            failure.openid_configuration.as_deref(),
            Some(format!("{}/.well-known/openid-configuration", rig.issuer).as_str()),
            "{mechanism}: the failure must name the provider"
        );
    }
}

#[tokio::test]
async fn a_keyring_entry_written_in_the_secret_service_reads_back() {
    let value = format!("rig-keyring-check-{}", std::process::id());
    let expected = value.clone();
    let read = tokio::task::spawn_blocking(move || -> Result<String, keyring::Error> {
        let entry = keyring::Entry::new("org.tayori.test", "rig-foundation")?;
        entry.set_password(&value)?;
        let read = keyring::Entry::new("org.tayori.test", "rig-foundation")?.get_password()?;
        entry.delete_credential()?;
        Ok(read)
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| {
        panic!(
            "the Secret Service is not usable ({e}); run the tests through tests/rig/with-secret-service.sh \
             (tests/run.sh does)"
        )
    });
    assert_eq!(read, expected);
}

/// The whole modern-auth path, then a scan of every log for every secret it used.
#[tokio::test]
async fn oauth_tokens_work_for_imap_and_smtp_and_no_secret_reaches_a_log() {
    let rig = Rig::load();

    // Tayori's own logging, at the most verbose level, into a private TAYORI_HOME, so the scan below
    // also covers what the app would have written.
    let home = tempfile::tempdir().unwrap();
    let paths = tayori::config::Paths::under(home.path());
    paths.create_all().unwrap();
    tayori::logging::init(&paths, false, Some("trace")).expect("logging");

    // 1. Sign in the way a person does: browser, provider login form, loopback redirect, PKCE.
    let tokens = sign_in(&rig, CLIENT_ID, ALICE, ALICE_IDP_PASSWORD).await;
    let refresh_token = tokens
        .refresh_token
        .clone()
        .expect("offline_access must yield a refresh token without prompt=consent");
    let access = Secret::new(tokens.access_token.clone());
    // A careless log line from product code must still come out clean.
    tracing::debug!(
        "token response: access_token={} refresh_token={refresh_token}",
        access.expose()
    );

    // 2. IMAP with XOAUTH2 and with OAUTHBEARER.
    let mut sasl_strings = Vec::new();
    for mechanism in ["XOAUTH2", "OAUTHBEARER"] {
        let initial = match mechanism {
            "XOAUTH2" => sasl::xoauth2(ALICE, &access),
            _ => sasl::oauthbearer(ALICE, MAIL_HOST, rig.imaps_port, &access),
        };
        sasl_strings.push(STANDARD.encode(initial.expose()));
        let mut auth = BearerSasl::new(initial.expose().to_owned());
        let client = imap_connect(rig.imaps_port).await;
        let mut session = client
            .authenticate(mechanism, &mut auth)
            .await
            .map_err(|(e, _)| e)
            .unwrap_or_else(|e| panic!("{mechanism} with a fresh token: {e}"));
        session
            .select("INBOX")
            .await
            .expect("select after bearer auth");
        session.logout().await.expect("logout");
    }

    // 3. SMTP submission (STARTTLS required) with XOAUTH2, to Bob, with an attachment.
    let marker = format!("rig-check-{}-{}", std::process::id(), rand::random::<u32>());
    let attachment_bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    let message = lettre::Message::builder()
        .from(ALICE.parse::<Mailbox>().unwrap())
        .to(BOB.parse::<Mailbox>().unwrap())
        .subject(format!("便り {marker}"))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("こんにちは、ボブさん。\n".to_string()))
                .singlepart(Attachment::new("data.bin".to_string()).body(
                    attachment_bytes.clone(),
                    ContentType::parse("application/octet-stream").unwrap(),
                )),
        )
        .unwrap();
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(MAIL_HOST)
        .unwrap()
        .port(rig.submission_port)
        .credentials(Credentials::new(
            ALICE.to_owned(),
            access.expose().to_owned(),
        ))
        .authentication(vec![Mechanism::Xoauth2])
        .timeout(Some(Duration::from_secs(20)))
        .build();
    mailer.send(message).await.expect("submission with XOAUTH2");

    // 4. Read it back from Bob's INBOX over IMAP.
    let client = imap_connect(rig.imaps_port).await;
    let mut bob = client
        .login(BOB, BOB_APP_PASSWORD)
        .await
        .map_err(|(e, _)| e)
        .expect("bob login");
    let deadline = Instant::now() + Duration::from_secs(15);
    let delivered = loop {
        let found = fetch_all(&mut bob, "INBOX")
            .await
            .into_iter()
            .find(|raw| String::from_utf8_lossy(raw).contains(&marker));
        if let Some(raw) = found {
            break raw;
        }
        assert!(
            Instant::now() < deadline,
            "the message never arrived in Bob's INBOX"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let parsed = mail_parser::MessageParser::default()
        .parse(&delivered)
        .expect("parse delivered mail");
    assert_eq!(parsed.subject(), Some(format!("便り {marker}").as_str()));
    assert_eq!(
        parsed.body_text(0).as_deref().map(str::trim_end),
        Some("こんにちは、ボブさん。")
    );
    let attachment = parsed.attachment(0).expect("attachment delivered");
    assert_eq!(
        attachment.contents(),
        attachment_bytes.as_slice(),
        "attachment bytes intact"
    );
    bob.logout().await.expect("logout");

    // 5. The refresh token works and rotates.
    let meta = provider_metadata(&rig).await;
    let refreshed = token_request(
        &meta,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("client_id", CLIENT_ID),
        ],
    )
    .await
    .expect("refresh");
    let rotated = refreshed
        .refresh_token
        .clone()
        .expect("a rotated refresh token");
    assert_ne!(
        rotated, refresh_token,
        "refresh tokens rotate, as at real providers"
    );

    // 6. No secret in any rig log or in Tayori's log.
    let secrets: Vec<String> = [
        tokens.access_token.clone(),
        refresh_token,
        refreshed.access_token.clone(),
        rotated,
        ALICE_IDP_PASSWORD.to_owned(),
        ALICE_APP_PASSWORD.to_owned(),
        BOB_APP_PASSWORD.to_owned(),
    ]
    .into_iter()
    .chain(sasl_strings)
    .collect();
    let scanned = assert_no_secret_in(&[rig.log_dir.clone(), paths.log_dir()], &secrets);
    assert!(
        scanned >= 2,
        "expected rig logs and Tayori's log to be scanned, found {scanned} files"
    );
}

/// Reads every file under the folders and fails if any secret appears. Returns how many files it read.
fn assert_no_secret_in(dirs: &[std::path::PathBuf], secrets: &[String]) -> usize {
    let mut scanned = 0;
    let mut stack: Vec<_> = dirs.to_vec();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        scanned += 1;
        let text = String::from_utf8_lossy(&bytes);
        for (index, secret) in secrets.iter().enumerate() {
            if let Some(at) = text.find(secret.as_str()) {
                // Show the line around the leak with the secret itself blanked, so the report is safe.
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                let context: String = text[start..end].replace(secret.as_str(), "<SECRET>");
                panic!("secret #{index} leaked into {}:\n{context}", path.display());
            }
        }
    }
    scanned
}
