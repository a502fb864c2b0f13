//! Sending end to end against the rig: `tayori send` with XOAUTH2 over STARTTLS (and PLAIN over
//! implicit TLS), the recipient reading the message back over IMAP, exactly one copy in Sent,
//! refusals by the server kept in the outbox with their reason, a 20 MB attachment, Japanese text,
//! header injection refused, an expired token refreshed once, crash recovery without a duplicate,
//! and drafts on the server.

mod sending;
mod support;

use std::time::{Duration, Instant, SystemTime};

use mail_parser::{MessageParser, MimeHeaders};
use sending::*;
use support::*;
use tayori::account::{Accounts, SentCopy};
use tayori::compose::{Draft, Mailbox};
use tayori::config::Paths;
use tayori::discovery::Security;
use tayori::outbox::server_copy::{self, Special};
use tayori::outbox::{Outbox, Outcome, Worker};

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_bytes(len: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

#[tokio::test]
async fn send_with_xoauth2_reaches_the_recipient_with_headers_and_attachment_and_one_sent_copy() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    let home = alice_home(
        &rig,
        Login::OAuth,
        rig.submission_port,
        Security::StartTls,
        None,
    );
    let attachment = random_bytes(150_000);
    let path = home.path().join("quarterly report.pdf");
    std::fs::write(&path, &attachment).unwrap();
    let body = "Hi Bob,\n\nthe report is attached. This line is long enough that it has to be wrapped as flowed text on its way.\n\nAlice\n";
    let out = tayori(
        home.path(),
        &[
            "send",
            "--from",
            ALICE,
            "--to",
            "Bob Example <bob@example.test>",
            "--bcc",
            ALICE,
            "--subject",
            "Quarterly report",
            "--attach",
            path.to_str().unwrap(),
        ],
        Some(body),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("Sent.") && said.contains("copy filed"),
        "{said}"
    );
    let message_id = message_id_of(&out);

    // Bob reads it over IMAP.
    let received = delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id).await;
    assert_eq!(received.len(), 1, "bob got it exactly once");
    let raw = &received[0];
    let headers = header_section(raw);
    assert!(
        !headers.to_ascii_lowercase().contains("\nbcc:"),
        "the Bcc header must not reach recipients:\n{headers}"
    );
    let parsed = MessageParser::default().parse(raw).unwrap();
    assert_eq!(parsed.subject(), Some("Quarterly report"));
    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Alice Example"), Some(ALICE))
    );
    let to = parsed.to().unwrap().first().unwrap();
    assert_eq!((to.name(), to.address()), (Some("Bob Example"), Some(BOB)));
    assert_eq!(
        parsed.message_id(),
        Some(message_id.trim_matches(['<', '>']))
    );
    assert!(parsed.date().is_some());
    let text_part = parsed.text_bodies().next().unwrap();
    assert_eq!(
        text_part.content_type().unwrap().attribute("format"),
        Some("flowed")
    );
    let text_body = parsed.body_text(0).unwrap().replace("\r\n", "\n");
    assert_eq!(tayori::compose::flowed::decode(&text_body), body);
    let part = parsed.attachments().next().expect("attachment");
    assert_eq!(part.attachment_name(), Some("quarterly report.pdf"));
    let ct = part.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("application", Some("pdf")));
    assert_eq!(sha256(part.contents()), sha256(&attachment));

    // The Bcc reached alice herself.
    assert_eq!(
        delivered(ALICE, ALICE_APP_PASSWORD, "INBOX", &message_id)
            .await
            .len(),
        1
    );
    // Exactly one copy in Sent, with the Bcc kept for the sender.
    let sent = copies(ALICE, ALICE_APP_PASSWORD, "Sent", &message_id).await;
    assert_eq!(sent.len(), 1, "one copy in Sent");
    assert!(
        header_section(&sent[0]).contains("Bcc: alice@example.test"),
        "{}",
        header_section(&sent[0])
    );

    let entries = outbox_json(home.path());
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["state"], "sent");
    assert_eq!(entries[0]["copy_state"], "filed");
    assert_eq!(entries[0]["attempts"], 1);
    assert!(
        entries[0]["server_reply"]
            .as_str()
            .unwrap()
            .starts_with("250"),
        "{:?}",
        entries[0]
    );
    // No secret in any file Tayori wrote (outbox, logs, settings).
    let refresh = tayori::auth::keyring_store::load(
        ALICE,
        tayori::auth::keyring_store::SecretKind::RefreshToken,
    )
    .await
    .unwrap()
    .expect("refresh token in the keyring");
    let mut scanned = 0;
    let mut stack = vec![home.path().to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let content = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        scanned += 1;
        for secret in [refresh.expose(), ALICE_IDP_PASSWORD, ALICE_APP_PASSWORD] {
            assert!(!content.contains(secret), "a secret in {}", path.display());
        }
        assert!(
            !content.contains("auth=Bearer"),
            "a SASL string in {}",
            path.display()
        );
    }
    assert!(scanned >= 3, "outbox, accounts and log scanned ({scanned})");
    // Running the outbox again sends nothing and files nothing twice.
    let out = tayori(home.path(), &["outbox", "flush"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        copies(ALICE, ALICE_APP_PASSWORD, "Sent", &message_id)
            .await
            .len(),
        1
    );
    assert_eq!(
        copies(BOB, BOB_APP_PASSWORD, "INBOX", &message_id)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn an_app_password_sends_over_implicit_tls() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    let home = alice_home(
        &rig,
        Login::AppPassword,
        rig.submissions_port,
        Security::Tls,
        None,
    );
    let out = tayori(
        home.path(),
        &[
            "send",
            "--from",
            ALICE,
            "--to",
            BOB,
            "--subject",
            "over 465",
            "--plain",
        ],
        Some("Sent with an app password over implicit TLS.\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let message_id = message_id_of(&out);
    let received = delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id).await;
    assert_eq!(received.len(), 1);
    assert!(!header_section(&received[0]).contains("format=flowed"));
    assert_eq!(
        copies(ALICE, ALICE_APP_PASSWORD, "Sent", &message_id)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_rejected_recipient_stays_in_the_outbox_with_the_servers_reason() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    let home = alice_home(
        &rig,
        Login::OAuth,
        rig.submission_port,
        Security::StartTls,
        None,
    );
    // The rig's Postfix relays nothing off the machine: RCPT to another domain gets a 550.
    let out = tayori(
        home.path(),
        &[
            "send",
            "--from",
            ALICE,
            "--to",
            "someone@elsewhere.invalid",
            "--subject",
            "will be refused",
        ],
        Some("This cannot be delivered.\n"),
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("550") && said.contains("5.1.1"),
        "the server's words: {said}"
    );
    assert!(
        said.contains("does not accept one of the recipients"),
        "plain words: {said}"
    );
    assert!(said.contains("tayori outbox retry"), "{said}");
    let message_id = message_id_of(&out);

    let entries = outbox_json(home.path());
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["state"], "failed");
    assert_eq!(entries[0]["failure"], "rejected");
    assert!(
        entries[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("Recipient address rejected"),
        "{:?}",
        entries[0]
    );
    // The message is intact in the outbox.
    let outbox = Outbox::open_in(&Paths::under(home.path()).data_dir).unwrap();
    let id = entries[0]["id"].as_i64().unwrap();
    let raw = outbox.raw(id).unwrap();
    assert_eq!(
        MessageParser::default()
            .parse(&raw)
            .unwrap()
            .body_text(0)
            .unwrap()
            .trim_end(),
        "This cannot be delivered."
    );
    drop(outbox);

    let listed = text(&tayori(home.path(), &["outbox"], None));
    assert!(
        listed.contains("not sent")
            && listed.contains("Recipient address rejected")
            && listed.contains(&format!("tayori outbox discard {id}")),
        "{listed}"
    );
    // Retrying asks the server again: refused again, still there, one more attempt.
    let out = tayori(home.path(), &["outbox", "retry", &id.to_string()], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(outbox_json(home.path())[0]["attempts"], 2);
    assert!(
        copies(ALICE, ALICE_APP_PASSWORD, "Sent", &message_id)
            .await
            .is_empty(),
        "nothing refused is filed as sent"
    );
    let out = tayori(home.path(), &["outbox", "discard", &id.to_string()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(outbox_json(home.path()).is_empty());
}

#[tokio::test]
async fn a_20_mb_attachment_goes_through() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    let home = alice_home(
        &rig,
        Login::OAuth,
        rig.submission_port,
        Security::StartTls,
        None,
    );
    let attachment = random_bytes(20 * 1024 * 1024);
    let path = home.path().join("big.bin");
    std::fs::write(&path, &attachment).unwrap();
    let started = Instant::now();
    let out = tayori(
        home.path(),
        &[
            "send",
            "--from",
            ALICE,
            "--to",
            BOB,
            "--subject",
            "20 MB",
            "--attach",
            path.to_str().unwrap(),
        ],
        Some("A big one.\n"),
    );
    let send_time = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let message_id = message_id_of(&out);
    let received = delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id).await;
    let delivered_time = started.elapsed();
    assert_eq!(received.len(), 1);
    let parsed = MessageParser::default().parse(&received[0]).unwrap();
    let part = parsed.attachments().next().expect("attachment");
    assert_eq!(part.contents().len(), attachment.len());
    assert_eq!(sha256(part.contents()), sha256(&attachment));
    let sent = copies(ALICE, ALICE_APP_PASSWORD, "Sent", &message_id).await;
    assert_eq!(sent.len(), 1);
    eprintln!(
        "FIGURE 20 MiB attachment ({} bytes on the wire): `tayori send` (build, queue, submit, Sent copy) {:.1} s; in bob's INBOX after {:.1} s",
        received[0].len(),
        send_time.as_secs_f64(),
        delivered_time.as_secs_f64()
    );
}

#[tokio::test]
async fn a_japanese_subject_and_body_round_trip() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    let home = alice_home(
        &rig,
        Login::OAuth,
        rig.submission_port,
        Security::StartTls,
        None,
    );
    let subject = "来週の会議について【重要】資料のご確認をお願いいたします（第３四半期）";
    let body = "ボブさん\n\nお世話になっております。アリスです。\n来週の会議の資料を送ります。ご確認のほど、よろしくお願いいたします。\n\n— アリス\n";
    let out = tayori(
        home.path(),
        &[
            "send",
            "--from",
            ALICE,
            "--to",
            "ボブ <bob@example.test>",
            "--subject",
            subject,
        ],
        Some(body),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let message_id = message_id_of(&out);
    let received = delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id).await;
    assert_eq!(received.len(), 1);
    // The rig's submission offers no SMTPUTF8: headers must travel as RFC 2047 encoded words.
    let headers = header_section(&received[0]);
    assert!(
        headers.is_ascii() && headers.contains("=?utf-8?"),
        "{headers}"
    );
    let decoded = tayori::mime::decode(&received[0]);
    assert_eq!(decoded.subject.as_deref(), Some(subject));
    assert_eq!(decoded.to[0].name.as_deref(), Some("ボブ"));
    let text_body = decoded.text.unwrap().replace("\r\n", "\n");
    assert_eq!(tayori::compose::flowed::decode(&text_body), body);
    let parsed = MessageParser::default().parse(&received[0]).unwrap();
    assert_eq!(
        parsed
            .text_bodies()
            .next()
            .unwrap()
            .content_type()
            .unwrap()
            .attribute("charset")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("utf-8")
    );
}

#[test]
fn header_injection_is_refused_before_anything_is_queued() {
    let rig = Rig::load();
    // App-password account: nothing here may reach the keyring or the network anyway.
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let server = |port, security| tayori::account::Server {
        host: MAIL_SERVER.into(),
        port,
        security,
        username: ALICE.into(),
    };
    Accounts::new(&paths)
        .upsert(tayori::account::Account {
            email: ALICE.into(),
            display_name: None,
            provider: None,
            imap: server(rig.imaps_port, Security::Tls),
            smtp: server(rig.submission_port, Security::StartTls),
            auth: tayori::account::AccountAuth::Password,
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        })
        .unwrap();
    for (field, args) in [
        (
            "subject",
            vec!["--to", BOB, "--subject", "Hello\r\nBcc: eve@example.test"],
        ),
        (
            "subject",
            vec!["--to", BOB, "--subject", "Hello\nX-Evil: 1"],
        ),
        (
            "address",
            vec![
                "--to",
                "bob@example.test\r\nBcc: eve@example.test",
                "--subject",
                "x",
            ],
        ),
        (
            "address",
            vec![
                "--to",
                BOB,
                "--cc",
                "Carol\r\nBcc: eve@example.test <carol@example.test>",
                "--subject",
                "x",
            ],
        ),
    ] {
        let mut full = vec!["send", "--from", ALICE];
        full.extend(args.iter().copied());
        let out = tayori(home.path(), &full, Some("body\n"));
        let said = text(&out);
        assert_eq!(out.status.code(), Some(65), "{args:?}: {said}");
        assert!(
            said.contains(&format!("the {field} contains a line break")),
            "{args:?}: {said}"
        );
        assert!(!said.contains("Queued"), "{said}");
    }
    // An attachment whose name carries a line break is refused the same way.
    let evil = home.path().join("a\r\nBcc: eve@example.test");
    std::fs::write(&evil, b"x").unwrap();
    let out = tayori(
        home.path(),
        &[
            "send",
            "--from",
            ALICE,
            "--to",
            BOB,
            "--subject",
            "x",
            "--attach",
            evil.to_str().unwrap(),
        ],
        Some("body\n"),
    );
    assert_eq!(out.status.code(), Some(65), "{}", text(&out));
    assert!(outbox_json(home.path()).is_empty(), "nothing may be queued");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_submission_retried() {
    let rig = Rig::load();
    // `tayori-short` access tokens live a few seconds; this test has its own keyring entry.
    let client = rig_oauth_client(&rig, "tayori-short").await;
    let tokens = product_sign_in(&client, ALICE, ALICE_IDP_PASSWORD).await;
    let keyring_account = format!("send-expiry-{}@example.test", std::process::id());
    tayori::auth::keyring_store::save(
        &keyring_account,
        tayori::auth::keyring_store::SecretKind::RefreshToken,
        tokens.refresh_token.as_ref().unwrap(),
    )
    .await
    .unwrap();
    let manager = tayori::auth::tokens::TokenManager::new(
        product_http(),
        client,
        keyring_account.clone(),
        MAIL_SERVER,
    );
    // Seeded without an expiry, so the manager cannot know the token died: the server says so.
    manager
        .seed(&tayori::auth::flow::Tokens {
            expires_at: None,
            ..tokens
        })
        .await
        .unwrap();
    let short_ttl: u64 = std::fs::read_to_string(rig.state_dir.join("run/idp-short-ttl"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(10);
    tokio::time::sleep(Duration::from_secs(short_ttl + 1)).await;

    let mut draft = Draft::new(Mailbox::new(None, ALICE));
    draft.to.push(Mailbox::new(None, BOB));
    draft.subject = "after a token expired".into();
    draft.body = "The first token had expired.\n".into();
    let built = draft.build().unwrap();
    let server = tayori::account::Server {
        host: MAIL_SERVER.into(),
        port: rig.submission_port,
        security: Security::StartTls,
        username: ALICE.into(),
    };
    let accepted = tayori::smtp::submit(
        &rig_dns(),
        &server,
        &tayori::imap::Credentials::OAuth(manager.clone()),
        ALICE,
        &built.recipients,
        &tayori::compose::strip_bcc(&built.raw),
        &mut tayori::smtp::Unrecorded,
    )
    .await
    .expect("sent after one refresh");
    assert!(accepted.reply.starts_with("250"), "{}", accepted.reply);
    assert_eq!(manager.refresh_count(), 1, "exactly one refresh");
    assert_eq!(
        delivered(BOB, BOB_APP_PASSWORD, "INBOX", &built.message_id)
            .await
            .len(),
        1
    );
    tayori::auth::keyring_store::delete(
        &keyring_account,
        tayori::auth::keyring_store::SecretKind::RefreshToken,
    )
    .await
    .unwrap();
}

/// A queued message claimed by a worker that then "crashes" (its lock released, its row left in
/// `sending`), after `work` did what the crashed process got done (with the outbox and the row's
/// id, to record what the crashed process recorded).
async fn crash_mid_send(
    home: &std::path::Path,
    subject: &str,
    work: impl AsyncFnOnce(&Outbox, i64, &tayori::account::Account, &tayori::compose::Built),
) -> (i64, String) {
    let paths = Paths::under(home);
    let account = Accounts::new(&paths).get(ALICE).unwrap();
    let mut draft = Draft::new(Mailbox::new(None, ALICE));
    draft.to.push(Mailbox::new(None, BOB));
    draft.subject = subject.into();
    draft.body = "Sent once, whatever happens.\n".into();
    let built = draft.build().unwrap();
    let worker = Worker::acquire(&paths, rig_dns(), product_http()).unwrap();
    let id = worker
        .outbox()
        .enqueue(ALICE, subject, &built, None)
        .unwrap();
    assert!(worker.outbox().claim(id).unwrap());
    work(worker.outbox(), id, &account, &built).await;
    drop(worker); // the crash: nothing more is recorded
    (id, built.message_id)
}

/// The real window (issue 21): the server took the message and said 250, and the process died
/// before it recorded `sent`. What the crashed process recorded is what the product records: DATA
/// begun (committed before DATA), nothing after. At a server where Tayori files the Sent copy (the
/// rig's Dovecot), nothing can tell whether the message went out: it is never resent on its own,
/// but waits as "may have been sent" for the person's Send again or Discard.
#[tokio::test]
async fn a_send_interrupted_after_the_server_took_it_is_not_sent_again() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    let home = alice_home(
        &rig,
        Login::OAuth,
        rig.submission_port,
        Security::StartTls,
        None,
    );
    let http = product_http();
    struct DiesAfterThe250<'a> {
        outbox: &'a Outbox,
        id: i64,
    }
    impl tayori::smtp::Submission for DiesAfterThe250<'_> {
        fn data_begins(&mut self) -> Result<(), String> {
            self.outbox
                .mark_data_started(self.id)
                .map_err(|e| e.to_string())
        }
        // The kill lands here: the 250 arrived, `sent` was never committed.
        fn accepted(&mut self, _: &tayori::smtp::Accepted) {}
    }
    let (id, message_id) = crash_mid_send(
        home.path(),
        "interrupted after submission",
        async |outbox, id, account, built| {
            let credentials = account.credentials(&http).await.unwrap();
            tayori::smtp::submit(
                &rig_dns(),
                &account.smtp,
                &credentials,
                &built.envelope_from,
                &built.recipients,
                &tayori::compose::strip_bcc(&built.raw),
                &mut DiesAfterThe250 { outbox, id },
            )
            .await
            .expect("the server took it before the crash");
        },
    )
    .await;
    let paths = Paths::under(home.path());
    let mut worker = Worker::acquire(&paths, rig_dns(), product_http()).unwrap();
    let entry = worker.outbox().entry(id).unwrap();
    assert!(entry.interrupted && entry.data_started, "{entry:?}");
    let outcome = worker.send(id).await.unwrap();
    assert!(
        matches!(
            outcome,
            Outcome::Failed {
                failure: tayori::outbox::Failure::MaybeSent,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(worker.outbox().entry(id).unwrap().attempts, 1, "not resent");
    // Later passes leave it for the person too.
    let due = worker.send_due().await.unwrap();
    assert!(due.is_empty(), "{due:?}");
    drop(worker);
    assert_eq!(
        delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id)
            .await
            .len(),
        1,
        "bob has it exactly once"
    );
    // The person's words, in English and Japanese.
    for (lang, words) in [
        ("C.UTF-8", "may have been sent"),
        ("ja_JP.UTF-8", "送信された可能性"),
    ] {
        let out = run_tayori(home.path(), &["outbox"], &[("LANG", lang.as_ref())], None);
        assert!(text(&out).contains(words), "{lang}: {}", text(&out));
    }
    // Discard is the person's decision: it leaves the outbox, nothing is sent.
    let out = tayori(home.path(), &["outbox", "discard", &id.to_string()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_send_interrupted_before_the_server_took_it_is_sent_once_on_restart() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    let home = alice_home(
        &rig,
        Login::OAuth,
        rig.submission_port,
        Security::StartTls,
        None,
    );
    let (id, message_id) = crash_mid_send(
        home.path(),
        "interrupted before submission",
        async |_, _, _, _| {},
    )
    .await;
    // The next `tayori outbox flush` recovers it: not in Sent, so it is sent now — once.
    let out = tayori(home.path(), &["outbox", "flush"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let entries = outbox_json(home.path());
    let entry = entries.iter().find(|e| e["id"] == id).unwrap();
    assert_eq!(entry["state"], "sent");
    assert_eq!(entry["attempts"], 2);
    assert_eq!(
        delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id)
            .await
            .len(),
        1
    );
    assert_eq!(
        copies(ALICE, ALICE_APP_PASSWORD, "Sent", &message_id)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn where_the_server_files_sent_mail_itself_tayori_adds_no_copy() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    // Configured as for Microsoft 365 or Gmail. The rig's server does not file submissions, so
    // an empty Sent folder proves Tayori appended nothing (which there would be a duplicate).
    let home = alice_home(
        &rig,
        Login::OAuth,
        rig.submission_port,
        Security::StartTls,
        Some(SentCopy::Server),
    );
    let out = tayori(
        home.path(),
        &["send", "--from", ALICE, "--to", BOB, "--subject", "no copy"],
        Some("The server files this one.\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("the server files sent mail itself"),
        "{}",
        text(&out)
    );
    let message_id = message_id_of(&out);
    assert_eq!(
        delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id)
            .await
            .len(),
        1
    );
    assert!(
        copies(ALICE, ALICE_APP_PASSWORD, "Sent", &message_id)
            .await
            .is_empty()
    );
    assert_eq!(outbox_json(home.path())[0]["copy_state"], "by_server");
}

#[tokio::test]
async fn drafts_are_saved_on_the_server_replaced_on_resave_and_removed_once_sent() {
    let _turn = alice_turn().await;
    let rig = Rig::load();
    let home = alice_home(
        &rig,
        Login::OAuth,
        rig.submission_port,
        Security::StartTls,
        None,
    );
    let paths = Paths::under(home.path());
    let account = Accounts::new(&paths).get(ALICE).unwrap();
    let http = product_http();
    let credentials = account.credentials(&http).await.unwrap();
    let dns = rig_dns();
    let net = tayori::net::Net {
        dns: dns.clone(),
        http: http.clone(),
    };
    let outbox = Outbox::open_in(&paths.data_dir).unwrap();

    // Typed so far: no recipient yet. Saved locally, then on the server.
    let mut draft = Draft::new(Mailbox::new(Some("Alice Example"), ALICE));
    draft.subject = "下書き: plans".into();
    draft.body = "First version.\n".into();
    let (id, message_id) = outbox.save_draft(None, ALICE, &draft).unwrap();
    tayori::outbox::save_draft_on_server(&outbox, id, &net, &account, &credentials)
        .await
        .unwrap();
    let on_server = copies(ALICE, ALICE_APP_PASSWORD, "Drafts", &message_id).await;
    assert_eq!(on_server.len(), 1);
    assert!(
        tayori::mime::decode(&on_server[0])
            .text
            .unwrap()
            .contains("First version.")
    );

    // Edited and saved again: still one copy, the new one.
    draft.to.push(Mailbox::new(None, BOB));
    draft.body = "Second version.\n".into();
    outbox.save_draft(Some(id), ALICE, &draft).unwrap();
    tayori::outbox::save_draft_on_server(&outbox, id, &net, &account, &credentials)
        .await
        .unwrap();
    let on_server = copies(ALICE, ALICE_APP_PASSWORD, "Drafts", &message_id).await;
    assert_eq!(on_server.len(), 1, "the older version was replaced");
    assert!(
        tayori::mime::decode(&on_server[0])
            .text
            .unwrap()
            .contains("Second version.")
    );
    assert_eq!(
        server_copy::count(&dns, &account, &credentials, Special::Drafts, &message_id)
            .await
            .unwrap(),
        1
    );

    // Sent: the draft leaves the local drafts and the server's Drafts folder.
    let (_, loaded, _) = outbox.load_draft(id).unwrap();
    let built = loaded
        .build_with(&tayori::compose::new_message_id(ALICE), SystemTime::now())
        .unwrap();
    let queued = outbox
        .enqueue(ALICE, &loaded.subject, &built, Some(id))
        .unwrap();
    assert!(outbox.list_drafts().unwrap().is_empty());
    let mut worker = Worker::acquire(&paths, dns.clone(), http.clone()).unwrap();
    let outcome = worker.send(queued).await.unwrap();
    assert!(matches!(outcome, Outcome::Sent { .. }), "{outcome:?}");
    assert!(
        copies(ALICE, ALICE_APP_PASSWORD, "Drafts", &message_id)
            .await
            .is_empty(),
        "the draft left the Drafts folder"
    );
    assert_eq!(
        delivered(BOB, BOB_APP_PASSWORD, "INBOX", &built.message_id)
            .await
            .len(),
        1
    );
}
