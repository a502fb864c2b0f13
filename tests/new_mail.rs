//! What the sync engine tells about new mail, against the rig's Dovecot: nothing for the first pass
//! over a fresh account (everything is "new" then), and afterwards — for the inbox — the new
//! messages nobody has read yet with their senders and subjects, which is what the window's
//! desktop notification says (one message: who and what; several: how many).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::mailbox::{TestMailbox, message};
use tayori::account::{Account, AccountAuth, Server};
use tayori::discovery::Security;
use tayori::i18n::Lang;
use tayori::imap::Credentials;
use tayori::net::dns::Dns;
use tayori::redact::Secret;
use tayori::sync::{Engine, SyncEvent, SyncOptions, notice};

const USER: &str = "s14@example.test";

fn account() -> Account {
    let server = |port| Server {
        host: "mail.example.test".into(),
        port,
        security: Security::Tls,
        username: USER.into(),
    };
    Account {
        email: USER.into(),
        display_name: None,
        provider: None,
        imap: server(10993),
        smtp: server(10465),
        auth: AccountAuth::Password,
        last_sign_in: None,
        needs_sign_in: None,
        sent_copy: None,
        shared_via: None,
        send_via_graph: None,
        read_via_graph: None,
        read_via_imap_again: None,
    }
}

fn from(name: &str, address: &str, subject: &str, index: usize) -> Vec<u8> {
    format!(
        "From: {name} <{address}>\r\nTo: {USER}\r\nSubject: {subject}\r\n\
         Message-ID: <new-mail-{index}@example.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0900\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody {index}\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn new_mail_is_reported_after_the_first_pass_only_and_never_for_mail_read_elsewhere() {
    let mut mailbox = TestMailbox::login(USER).await;
    mailbox.reset().await;
    for i in 0..3 {
        let flags = if i == 0 { "\\Seen" } else { "" };
        mailbox.append("INBOX", &message("old", i, 10), flags).await;
    }
    let home = tempfile::tempdir().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let progress = {
        let events = events.clone();
        Arc::new(move |event: SyncEvent| {
            if matches!(event, SyncEvent::NewMail { .. }) {
                events.lock().unwrap().push(event)
            }
        })
    };
    let dns = Dns::new(
        Some("127.0.0.1:10053".parse().unwrap()),
        Duration::from_secs(5),
    )
    .unwrap();
    let engine = Engine::open(
        tayori::store::Store::path_in(&tayori::config::Paths::under(home.path())),
        account(),
        Credentials::Password(Secret::new(support::mailbox::app_password(USER))),
        dns,
        SyncOptions::default(),
        progress,
    )
    .await
    .unwrap();
    let take = || std::mem::take(&mut *events.lock().unwrap());

    // A fresh account: three "new" messages, no notification.
    let first = engine.sync_once().await.unwrap();
    assert_eq!(first.new_messages, 3);
    assert_eq!(take(), [], "the first pass never reports new mail");

    // One unread message in the inbox, one already read on another device, one filed elsewhere.
    mailbox
        .append(
            "INBOX",
            &from("佐藤 健", "ken@example.co.jp", "見積書の件", 1),
            "",
        )
        .await;
    mailbox
        .append(
            "INBOX",
            &from("Ken", "ken@example.co.jp", "read on the phone", 2),
            "\\Seen",
        )
        .await;
    mailbox
        .append(
            "Archive",
            &from("Bot", "bot@example.test", "filed by a rule", 3),
            "",
        )
        .await;
    engine.sync_once().await.unwrap();
    let events = take();
    let inbox: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, SyncEvent::NewMail { inbox: true, .. }))
        .collect();
    assert_eq!(inbox.len(), 1, "{events:?}");
    let SyncEvent::NewMail {
        count,
        unread,
        newest,
        ..
    } = inbox[0]
    else {
        unreachable!()
    };
    assert_eq!((*count, *unread, newest.len()), (2, 1, 1), "{events:?}");
    assert_eq!(newest[0].subject, "見積書の件");
    let said = notice::new_mail(Lang::Ja, USER, inbox[0]).unwrap();
    assert_eq!(said.summary, "佐藤 健 から新着メール");
    assert_eq!(said.body, "見積書の件");
    assert!(
        events.iter().any(
            |e| matches!(e, SyncEvent::NewMail { inbox: false, folder, .. } if folder == "Archive")
        ),
        "other folders are reported, not notified: {events:?}"
    );
    assert!(
        events
            .iter()
            .filter(|e| !matches!(e, SyncEvent::NewMail { inbox: true, .. }))
            .all(|e| notice::new_mail(Lang::En, USER, e).is_none())
    );

    // Five at once: counted, the newest three listed.
    for i in 10..15 {
        mailbox
            .append(
                "INBOX",
                &from("Alex", "alex@corp.example", &format!("Update {i}"), i),
                "",
            )
            .await;
    }
    engine.sync_once().await.unwrap();
    let events = take();
    let said = events
        .iter()
        .find_map(|e| notice::new_mail(Lang::En, USER, e))
        .expect("a notification for five new messages");
    assert_eq!(said.summary, format!("5 new messages for {USER}"));
    assert_eq!(said.body.lines().count(), 4, "{}", said.body);
    assert!(said.body.ends_with("and 2 more"), "{}", said.body);

    // Nothing new: nothing said.
    engine.sync_once().await.unwrap();
    assert_eq!(take(), []);
}
