//! The composer in iced's simulator, over the whole application: opened from the main window
//! (button and `c`), from a `mailto:` link, and sending through the outbox to the rig's
//! submission server — checked by reading the recipient's mailbox over IMAP.

use std::time::{Duration, Instant};

use futures::StreamExt;
use tayori::account::{Account, Accounts};
use tayori::config::Paths;
use tayori::i18n::Lang;

use super::*;
use crate::ui::App;
use crate::ui::app::Message as AppMessage;
use crate::ui::testing;

/// A private rig user: no other test reads or writes this mailbox.
const USER: &str = "s22@example.test";
const PASSWORD: &str = "s22-app-password";

/// The composer's rig user, with the name its messages go out under.
fn rig_account(email: &str) -> Account {
    let mut account = testing::rig_account(email);
    account.display_name = Some("Composer Test".into());
    account
}

fn home(accounts: &[Account]) -> (tempfile::TempDir, Context) {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    for account in accounts {
        Accounts::new(&paths).upsert(account.clone()).unwrap();
    }
    let context = Context {
        paths,
        // The rig's names are answered by its own DNS server, as an admin would configure it.
        settings: toml::from_str("[network]\ndns_server = \"127.0.0.1:10053\"\n").unwrap(),
        browser: tayori::auth::browser::Browser::Command("true".into()),
    };
    (home, context)
}

/// A person at the application window.
type Person = crate::ui::testing::Person<App>;

impl Person {
    fn new(context: Context, mailto: Option<tayori::mailto::MailtoLink>) -> Self {
        let (app, task) = App::with_context(context, mailto);
        let mut person = Person::start(app, Lang::En, task);
        person.size = iced::Size::new(1100.0, 720.0);
        person
    }

    fn composer(&self) -> &State {
        self.state.composer().expect("the composer is open")
    }
}

/// The messages in `user`'s INBOX with exactly this subject, whole, read over IMAP.
async fn in_inbox(dns: &tayori::net::dns::Dns, user: &str, subject: &str) -> Vec<Vec<u8>> {
    in_folder(dns, user, "INBOX", subject).await
}

/// The messages in `user`'s `folder` with exactly this subject, whole, read over IMAP.
async fn in_folder(
    dns: &tayori::net::dns::Dns,
    user: &str,
    folder: &str,
    subject: &str,
) -> Vec<Vec<u8>> {
    let credentials = tayori::imap::Credentials::Password(tayori::redact::Secret::new(format!(
        "{}-app-password",
        user.split('@').next().unwrap()
    )));
    let mut session = tayori::imap::login(dns, &rig_account(user).imap, &credentials)
        .await
        .expect("IMAP login to the rig");
    session.select(folder).await.expect("SELECT");
    let found = session
        .uid_search(format!("SUBJECT \"{subject}\""))
        .await
        .expect("SEARCH");
    let mut messages = Vec::new();
    for uid in found {
        let fetches: Vec<_> = session
            .uid_fetch(uid.to_string(), "BODY.PEEK[]")
            .await
            .expect("FETCH")
            .collect::<Vec<_>>()
            .await;
        for fetch in fetches {
            let fetch = fetch.expect("FETCH response");
            let raw = fetch.body().unwrap_or_default().to_vec();
            // SEARCH SUBJECT matches substrings: compare the whole subject.
            let decoded = tayori::mime::decode(&raw);
            if decoded.subject.as_deref() == Some(subject) {
                messages.push(raw);
            }
        }
    }
    let _ = session.logout().await;
    messages
}

#[test]
fn split_addresses_keeps_quoted_commas() {
    assert_eq!(
        split_addresses("\"Yamada, Hanako\" <h@example.test>, b@example.test,, "),
        vec!["\"Yamada, Hanako\" <h@example.test>", "b@example.test"]
    );
    assert_eq!(split_addresses("a@example.test、b@example.test").len(), 2);
}

/// A new message typed in the composer goes out through the outbox to the rig's submission
/// server and arrives once; the composer says so.
#[test]
fn a_typed_message_is_sent_through_the_outbox_and_arrives_once() {
    let (_home, context) = home(&[rig_account(USER)]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _turn = testing::take_turn();
    runtime
        .block_on(tayori::auth::keyring_store::save(
            USER,
            tayori::auth::keyring_store::SecretKind::AppPassword,
            &tayori::redact::Secret::new(PASSWORD),
        ))
        .expect("keyring (run through tests/rig/with-secret-service.sh)");

    let mut person = Person::new(context.clone(), None);
    person.settle();
    assert!(person.state.composer().is_none());
    person.click(Lang::from_system().text(Text::NewMessage));
    person.settle();
    let subject = format!(
        "Composer test {}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    person.type_into_id(TO_ID, USER);
    person.type_into_id(SUBJECT_ID, &subject);
    person.type_into_id(BODY_ID, "Hello from the composer. こんにちは。");
    // What the file dialog hands back (the dialog itself needs a desktop portal).
    let file = _home.path().join("議事録.txt");
    std::fs::write(&file, "議事録の本文\n").unwrap();
    person.apply(AppMessage::Composer(Message::Attached(Ok(vec![
        Attachment::from_file(&file).unwrap(),
    ]))));
    assert!(person.sees("⎘ 議事録.txt  (1 KB)"));
    assert_eq!(person.composer().to, USER);
    assert_eq!(person.composer().subject, subject);
    assert!(person.composer().body.text().contains("こんにちは"));
    person.picture("composer", &iced::Theme::Light);

    // Typing paused: the draft is saved locally (one draft, however many keystrokes).
    person.settle();
    let outbox = tayori::outbox::Outbox::open_in(&context.paths.data_dir).unwrap();
    let drafts = outbox.list_drafts().unwrap();
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    assert_eq!(drafts[0].subject, subject);
    let (_, saved, _) = outbox.load_draft(drafts[0].id).unwrap();
    assert_eq!(
        saved.attachments.len(),
        1,
        "the attachment is in the draft too"
    );

    // "Save draft" puts it into the Drafts folder on the server.
    let net = tayori::net::Net::from_settings(&context.settings).unwrap();
    person.click(Lang::from_system().text(Text::ComposeSaveDraft));
    person.settle();
    assert_eq!(person.composer().draft_note, Some(Ok(())));
    assert!(person.sees(Lang::from_system().text(Text::DraftSavedOnServer)));
    let drafts_on_server = runtime.block_on(in_folder(&net.dns, USER, "Drafts", &subject));
    assert_eq!(drafts_on_server.len(), 1, "one copy in Drafts");

    person.click(Lang::from_system().text(Text::ComposeSend));
    assert_eq!(person.composer().status, Status::Sending);
    person.settle();
    assert_eq!(person.composer().status, Status::Sent { told: Vec::new() });
    assert!(person.sees(Lang::from_system().text(Text::SendDone)));

    // Delivery by the rig's Postfix/Dovecot takes a moment.
    let deadline = Instant::now() + Duration::from_secs(30);
    let arrived = loop {
        let n = runtime.block_on(in_inbox(&net.dns, USER, &subject)).len();
        if n > 0 || Instant::now() > deadline {
            break n;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(arrived, 1, "the message arrived exactly once");
    // The outbox records it as sent: nothing left to send again.
    assert!(outbox.due().unwrap().is_empty());
    assert!(
        outbox.list_drafts().unwrap().is_empty(),
        "the local draft is gone once the outbox holds the message"
    );
    assert!(
        runtime
            .block_on(in_folder(&net.dns, USER, "Drafts", &subject))
            .is_empty(),
        "the server's draft is removed once the message is sent"
    );
    std::thread::sleep(Duration::from_secs(2));
    let arrived = runtime.block_on(in_inbox(&net.dns, USER, &subject));
    assert_eq!(arrived.len(), 1);
    let decoded = tayori::mime::decode(&arrived[0]);
    assert!(
        decoded
            .text
            .as_deref()
            .unwrap_or_default()
            .contains("こんにちは"),
        "the body arrived: {:?}",
        decoded.text
    );
    assert_eq!(
        decoded
            .attachments
            .iter()
            .map(|a| a.file_name.as_deref().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec!["議事録.txt"],
        "the attachment arrived"
    );

    let _ = runtime.block_on(tayori::auth::keyring_store::delete(
        USER,
        tayori::auth::keyring_store::SecretKind::AppPassword,
    ));
}

/// `tayori mailto:…` opens the composer filled from the link; a bad address is refused before
/// anything is queued, in words.
#[test]
fn a_mailto_link_fills_the_composer() {
    let (_home, context) = home(&[rig_account(USER)]);
    let link = tayori::mailto::parse(
        "mailto:hanako@example.test?cc=ken@example.test&subject=%E4%BC%9A%E8%AD%B0&body=Line%201%0D%0ALine%202",
    )
    .unwrap();
    let mut person = Person::new(context.clone(), Some(link));
    person.settle();
    let composer = person.composer();
    assert_eq!(composer.to, "hanako@example.test");
    assert_eq!(composer.cc, "ken@example.test");
    assert_eq!(composer.subject, "会議");
    assert_eq!(composer.body.text().trim_end(), "Line 1\nLine 2");
    assert!(person.sees("会議"));
    assert!(
        composer.has_store(),
        "the store that opened after the link completes addresses"
    );

    // A broken address is refused in the window; the outbox stays empty.
    person.type_into_id(BCC_ID, "not an address");
    person.click(Lang::from_system().text(Text::ComposeSend));
    assert!(matches!(person.composer().status, Status::Refused(_)));
    person.settle();
    let outbox = tayori::outbox::Outbox::open_in(&context.paths.data_dir).unwrap();
    assert!(outbox.list(true).unwrap().is_empty());

    // Closing goes back to the main window, and `c` opens a new, empty message.
    person.click(Lang::from_system().text(Text::ComposeClose));
    assert!(person.state.composer().is_none());
    let c = iced::keyboard::Key::Character("c".into());
    person.apply(testing::main_window_key(c));
    assert_eq!(person.composer().to, "");
}

/// Completion offers the people the store knows.
#[test]
fn addresses_are_completed_from_the_store() {
    let (_home, context) = home(&[rig_account(USER)]);
    {
        let mut store = tayori::store::Store::open_in(&context.paths).unwrap();
        let account = store.account_id(USER).unwrap();
        store
            .set_folder_list(
                account,
                &[(
                    "INBOX".into(),
                    Some("/".into()),
                    Some(tayori::store::FolderRole::Inbox),
                    true,
                )],
            )
            .unwrap();
        let folder = store.folder_by_name(USER, "INBOX").unwrap().unwrap().id;
        let raw = b"From: =?UTF-8?B?5bGx55SwIOiKseWtkA==?= <hanako.yamada@example.co.jp>\r\nTo: s22@example.test\r\nSubject: hi\r\nMessage-ID: <c1@example.test>\r\n\r\nhello\r\n".to_vec();
        store
            .add_envelopes(
                folder,
                &[tayori::store::NewEnvelope {
                    server_identity: None,
                    uid: 1,
                    flags: tayori::store::Flags::default(),
                    keywords: Vec::new(),
                    modseq: None,
                    internal_date: None,
                    size: raw.len() as u32,
                    header: raw,
                }],
            )
            .unwrap();
    }
    let mut person = Person::new(context, None);
    person.settle();
    person.click(Lang::from_system().text(Text::NewMessage));
    person.type_into_id(TO_ID, "hana");
    person.settle();
    assert!(person.sees("山田 花子 <hanako.yamada@example.co.jp>"));
    person.click("山田 花子 <hanako.yamada@example.co.jp>");
    assert_eq!(
        person.composer().to,
        "山田 花子 <hanako.yamada@example.co.jp>, "
    );
}
