//! The application's own behaviour: which screen opens, the language switch, and what runs
//! whatever screen is shown.

use std::time::Duration;

use tayori::account::Accounts;
use tayori::store::{SortOrder, Store};

use super::*;
use crate::ui::testing::{self, Person};

#[test]
fn switching_language_changes_the_title() {
    let root = tempfile::tempdir().unwrap();
    let (mut app, _) = App::new(Paths::under(root.path()), Settings::default(), None);
    let before = app.lang;
    let _ = app.update(Message::Wizard(wizard::Message::SwitchLanguage));
    assert_eq!(app.lang, before.other());
    assert_eq!(app.title(), app.lang.text(Text::AppName));
}

#[test]
fn no_accounts_opens_the_wizard_and_a_saved_account_the_mailbox() {
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    paths.create_all().unwrap();
    let (app, _) = App::new(paths.clone(), Settings::default(), None);
    assert!(matches!(app.screen, Screen::Wizard(_)));

    std::fs::write(
        paths.config_dir.join("accounts.toml"),
        r#"
[[account]]
email = "hanako@example.test"
display_name = "山田 花子"
imap = { host = "mail.example.test", port = 993, security = "tls", username = "hanako@example.test" }
smtp = { host = "mail.example.test", port = 465, security = "tls", username = "hanako@example.test" }
auth = { method = "password" }
"#,
    )
    .unwrap();
    let (mut app, _) = App::new(paths.clone(), Settings::default(), None);
    match &app.screen {
        Screen::Mailbox(_) => assert_eq!(app.background.accounts()[0].email, "hanako@example.test"),
        Screen::Wizard(_) => panic!("a saved account must open the mailbox"),
    }
    // "Add account" opens the wizard, and leaving it goes back.
    let _ = app.update(Message::Mailbox(mailbox::Message::AddAccount));
    assert!(matches!(app.screen, Screen::Wizard(_)));
    let _ = app.update(Message::Wizard(wizard::Message::Leave));
    assert!(matches!(app.screen, Screen::Mailbox(_)));

    // A corrupt list is reported, never treated as "no accounts".
    std::fs::write(
        paths.config_dir.join("accounts.toml"),
        "[[account]]\nemail = 5",
    )
    .unwrap();
    let (app, _) = App::new(paths, Settings::default(), None);
    assert!(matches!(app.screen, Screen::Mailbox(_)));
}

/// The message with this subject in the account's inbox, as the window's store holds it.
fn stored(paths: &Paths, email: &str, subject: &str) -> bool {
    let Ok(store) = Store::open_in(paths) else {
        return false;
    };
    let Ok(Some(inbox)) = store.folder_by_name(email, "INBOX") else {
        return false;
    };
    store
        .messages(inbox.id, SortOrder::NewestFirst, 0, 1000)
        .is_ok_and(|rows| rows.iter().any(|m| m.subject == subject))
}

/// "Add account" shows the wizard in place of the main window, but the accounts already there go
/// on: mail that arrives while the wizard is open reaches the store, and a message waiting in the
/// outbox is sent (the rig's Dovecot and Postfix, through the application's subscriptions run as
/// the window's runtime runs them).
#[test]
fn sync_and_sending_go_on_while_the_wizard_adds_an_account() {
    // A private rig user: no other test reads or writes this mailbox.
    let email = "s20@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let mut context = testing::rig_context(&paths);
    context.settings.ui.language = LanguageChoice::En;
    let account = testing::rig_account(email);
    Accounts::new(&paths).upsert(account.clone()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    testing::save_app_password(&runtime, email, "s20-app-password");
    // The server's inbox starts empty.
    let net = tayori::net::Net::from_settings(&context.settings).unwrap();
    let mut session = runtime.block_on(testing::empty_rig_inbox(&net.dns, &account));

    let (app, task) = App::with_context(context, None);
    let mut person = Person::with_runtime(app, Lang::En, runtime);
    person.spawn(task);
    person.run_subscriptions();
    let first_pass = paths.clone();
    person.settle_within(Duration::from_secs(60), "the first sync pass", move |_| {
        Store::open_in(&first_pass)
            .and_then(|store| store.folder_by_name(email, "INBOX"))
            .is_ok_and(|inbox| inbox.is_some())
    });

    // "Add account": the wizard shows instead of the main window.
    person.click(Lang::En.text(Text::AddAccount));
    assert!(person.sees(Lang::En.text(Text::AddressHeading)));

    // Meanwhile mail arrives, and a message is waiting in the outbox.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let arrived = format!("Arrived while adding an account {stamp}");
    let raw = format!(
        "From: Ken Sato <ken.sato@example.co.jp>\r\nTo: {email}\r\nSubject: {arrived}\r\n\
         Message-ID: <arrived-{stamp}@example.co.jp>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n新しいアカウントを追加中に届いたメールです。\r\n"
    );
    person
        .runtime
        .block_on(session.append("INBOX", None, None, raw.as_bytes()))
        .unwrap();
    let queued = format!("Sent while adding an account {stamp}");
    let mut draft = tayori::compose::Draft::new(tayori::compose::Mailbox::new(None, email));
    draft.to.push(tayori::compose::Mailbox::new(None, email));
    draft.subject = queued.clone();
    draft.body = "アカウント追加中の送信です。\n".into();
    let outbox = tayori::outbox::Outbox::open_in(&paths.data_dir).unwrap();
    let waiting = outbox
        .enqueue(email, &queued, &draft.build().unwrap(), None)
        .unwrap();

    // Both happen while the wizard is still what the window shows: the new mail and the sent
    // message (delivered back to this inbox) reach the store, and the outbox has sent it.
    let (store_paths, outbox_dir) = (paths.clone(), paths.data_dir.clone());
    person.settle_within(
        Duration::from_secs(90),
        "sync and sending while the wizard is open",
        move |_| {
            let sent = tayori::outbox::Outbox::open_in(&outbox_dir)
                .and_then(|outbox| outbox.entry(waiting))
                .is_ok_and(|entry| entry.state == tayori::outbox::State::Sent);
            sent && stored(&store_paths, email, &arrived) && stored(&store_paths, email, &queued)
        },
    );
    assert!(
        person.sees(Lang::En.text(Text::AddressHeading)),
        "the wizard was open throughout"
    );
    assert!(person.state.mailbox().is_none());
    let _ = person.runtime.block_on(session.logout());
    testing::forget_app_password(&person.runtime, email);
}
