//! The outbox panel over the status bar, fed by the application's outbox worker sending through
//! the rig's submission server.

use std::time::{Duration, Instant};

use tayori::i18n::{Lang, Text, fill};

use super::*;
use crate::ui::testing::{forget_app_password, rig_account, rig_context, save_app_password};

/// While the window is open its worker sends what waits in the outbox (through the rig's
/// submission server), without holding the outbox lock between rounds; a message the server
/// refuses stays, counted in the status bar, and the panel gives the server's reason and a
/// "Try again" that queues it for another attempt.
#[test]
fn the_outbox_worker_sends_what_is_due_and_shows_refusals_with_their_reason() {
    let email = "s16@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    let s16 = rig_account(email);
    tayori::account::Accounts::new(&paths)
        .upsert(s16.clone())
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    save_app_password(&runtime, email, "s16-app-password");

    // Two messages wait, as the composer leaves them when it could not send at once.
    let outbox = tayori::outbox::Outbox::open_in(&paths.data_dir).unwrap();
    let queue = |to: &str, subject: &str| {
        let mut draft = tayori::compose::Draft::new(tayori::compose::Mailbox::new(None, email));
        draft.to.push(tayori::compose::Mailbox::new(None, to));
        draft.subject = subject.into();
        draft.body = "送信トレイのテストです。\n".into();
        outbox
            .enqueue(email, subject, &draft.build().unwrap(), None)
            .unwrap()
    };
    let good = queue(email, "送信トレイから自動送信");
    // The rig's Postfix relays nothing off the machine: RCPT to another domain gets a 550.
    let refused = queue("someone@elsewhere.invalid", "Will be refused");

    let mut person = window(context.clone(), Lang::En, runtime);
    let mut worker = Box::pin(crate::ui::outbox::run_for_test(context.clone()));
    let mut next_update = |person: &mut Window| {
        let update = person
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(60), worker.next()).await })
            .expect("the outbox worker reports within a minute")
            .expect("the outbox worker runs as long as the window");
        person.apply(AppMessage::Background(Report::Outbox(update.clone())));
        update
    };
    // First what waits, then — after one round of sending — what is left: the refused one.
    let first = next_update(&mut person);
    assert!(
        matches!(&first, crate::ui::outbox::Update::Items(items) if items.len() == 2),
        "{first:?}"
    );
    assert!(person.sees(&outbox::status_words(2, 0, Lang::En)));
    let started = Instant::now();
    let after = next_update(&mut person);
    eprintln!("outbox round trip: {:?}", started.elapsed());
    let crate::ui::outbox::Update::Items(items) = &after else {
        panic!("{after:?}");
    };
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].id, refused);
    assert!(items[0].failed);
    let reason = items[0].reason.clone().unwrap();
    assert!(reason.contains("550"), "the server's words: {reason}");
    let sent = outbox.entry(good).unwrap();
    assert_eq!(sent.state, tayori::outbox::State::Sent, "{sent:?}");

    // Between rounds the lock is free: `tayori outbox flush` or the composer can send.
    let net = tayori::net::Net::from_settings(&context.settings).unwrap();
    drop(tayori::outbox::Worker::acquire(&paths, net.dns, net.http).expect("the lock is free"));

    // The status bar counts it; a click opens the panel with the reason and "Try again".
    let status = outbox::status_words(0, 1, Lang::En);
    assert_eq!(status, "Outbox: 1 not sent");
    person.click(&status);
    let shown = fill(Lang::En.text(Text::OutboxReason), &[("reason", &reason)]);
    assert!(person.sees(&shown), "the reason is shown: {shown}");
    assert!(person.sees(Lang::En.text(Text::OutboxFailed)));
    person.picture("mailbox-outbox-panel", &iced::Theme::Light);
    person.tell(Message::SwitchLanguage);
    assert!(person.sees(&outbox::status_words(0, 1, Lang::Ja)));
    assert!(person.sees(Lang::Ja.text(Text::OutboxRetry)));
    person.tell(Message::SwitchLanguage);
    let attempts = outbox.entry(refused).unwrap().attempts;
    person.click(Lang::En.text(Text::OutboxRetry));
    person.settle();
    // Queued again, tried again by the worker, refused again (the server has not changed its mind).
    let deadline = Instant::now() + Duration::from_secs(60);
    while outbox.entry(refused).unwrap().attempts <= attempts {
        assert!(Instant::now() < deadline, "the retry was not attempted");
        let _ = next_update(&mut person);
    }
    while person
        .state
        .background()
        .outbox
        .items
        .first()
        .is_some_and(|i| !i.failed)
    {
        let _ = next_update(&mut person);
    }

    // Discarding asks once more (it is the only copy), then the message and the count go.
    person.click(Lang::En.text(Text::OutboxDiscard));
    assert!(outbox.entry(refused).is_ok(), "one click does not discard");
    person.click(Lang::En.text(Text::OutboxDiscardConfirm));
    person.settle();
    assert!(outbox.entry(refused).is_err(), "discarded");
    assert!(
        !person.sees(&status),
        "nothing waits: no outbox in the status bar"
    );
    forget_app_password(&person.runtime, email);
}
