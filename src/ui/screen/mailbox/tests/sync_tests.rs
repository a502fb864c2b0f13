//! The sync engines as the main window follows them through the application: the list fills and
//! the status bar says where each engine is; a refused sign-in stops the engine and shows the
//! banner; a change made in the window wakes the engine and reaches the server at once.

use std::time::{Duration, Instant};

use tayori::i18n::{Lang, Plural, Text, fill};
use tayori::store::FolderRole;

use super::*;
use crate::ui::sync;
use crate::ui::testing::{
    forget_app_password, message, rig_account, rig_context, save_app_password,
};

/// The main window's sync engine against the rig's Dovecot: Bob's account (an app password in the
/// keyring), the engine's stream fed to the window as its subscription would feed it — the
/// folders appear, the status bar says where it is, and the list fills.
#[test]
fn the_sync_engine_fills_the_window_and_the_status_bar_follows_it() {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    // A separate keyring name, so the wizard's tests (which add Bob) are not disturbed.
    let email = "bob@example.test";
    let bob = rig_account(email);
    tayori::account::Accounts::new(&paths)
        .upsert(bob.clone())
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _turn = testing::take_turn();
    save_app_password(&runtime, email, "bob-app-password");

    let mut person = window(context.clone(), Lang::En, runtime);
    let mut engine = Box::pin(sync::run_for_test(sync::Key {
        account: bob,
        context,
        restart: 0,
    }));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut saw_progress = false;
    loop {
        let next = person
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(60), engine.next()).await });
        let Ok(Some((from, update))) = next else {
            panic!("the engine stopped without finishing a pass");
        };
        assert_eq!(from, email);
        let finished = matches!(
            update,
            sync::Update::Event(tayori::sync::SyncEvent::Finished(_))
        );
        if let sync::Update::CouldNotStart(detail) = &update {
            panic!("the engine could not start: {detail}");
        }
        if matches!(
            update,
            sync::Update::Event(tayori::sync::SyncEvent::FolderStarted { .. })
        ) {
            saw_progress = true;
            person.engine_says(&from, update);
            assert!(person.sync_line(Lang::En).unwrap().contains("Updating"));
            continue;
        }
        person.engine_says(&from, update);
        person.settle();
        if finished || Instant::now() > deadline {
            break;
        }
    }
    drop(engine);
    assert!(saw_progress, "the status bar showed the work");
    assert_eq!(
        person.sync_line(Lang::En).as_deref(),
        Some("bob@example.test: Up to date")
    );
    let folders = person.main_window().folders();
    assert!(
        folders
            .iter()
            .any(|f| f.account == email && f.role == Some(FolderRole::Inbox)),
        "the server's folders are in the sidebar: {folders:?}"
    );
    let inbox_total: usize = folders
        .iter()
        .filter(|f| f.role == Some(FolderRole::Inbox))
        .map(|f| f.total as usize)
        .sum();
    assert_eq!(
        person.main_window().list.len(),
        inbox_total,
        "the list shows what the store holds"
    );
    let _ = person.runtime.block_on(tayori::auth::keyring_store::delete(
        email,
        tayori::auth::keyring_store::SecretKind::AppPassword,
    ));
}

/// A long sync message (an engine that cannot start says why) keeps the status bar one line high.
#[test]
fn a_long_status_never_grows_the_status_bar() {
    let (_home, context) = home_with_mail(50);
    let mut person = Person::new(context, Lang::Ja);
    person.settle();
    let before = person.status_bar_top();
    // As the application keeps it: what the engine said (nothing for the list to follow).
    let event = person.state.background.synced(
        HANAKO.into(),
        sync::Update::CouldNotStart(
            "no keyring is available to keep your sign-in safe (No default store has been set, \
             so cannot search or create entries); install and start a Secret Service"
                .into(),
        ),
    );
    assert!(event.is_none());
    assert_eq!(
        person.status_bar_top(),
        before,
        "the bar stayed where it was"
    );
    person.picture("mailbox-long-status-ja", &iced::Theme::Light);
}

impl Person {
    /// Where the status bar's message count sits, from the top of the window.
    fn status_bar_top(&self) -> f32 {
        let count = self.lang.plural(Plural::StatusMessages, 350);
        let unread = self.lang.plural(Plural::StatusUnread, 51);
        let label = format!("{count}  ·  {unread}");
        self.ui()
            .find(label.as_str())
            .unwrap_or_else(|e| panic!("no status bar {label:?}: {e}"))
            .visible_bounds()
            .unwrap()
            .y
    }
}

/// A refused sign-in stops the account's sync engine (no retry every few minutes with the same
/// refused password), marks the account in accounts.toml, and the window shows the banner.
#[test]
fn a_refused_sign_in_stops_the_sync_engine_until_the_account_signs_in_again() {
    let email = "s17@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    let s17 = rig_account(email);
    let accounts = tayori::account::Accounts::new(&paths);
    accounts.upsert(s17.clone()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    save_app_password(&runtime, email, "a-password-the-server-refuses");
    let mut person = window(context.clone(), Lang::En, runtime);
    let mut engine = Box::pin(sync::run_for_test(sync::Key {
        account: s17,
        context,
        restart: 0,
    }));
    let mut refused = false;
    loop {
        let next = person
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(60), engine.next()).await })
            .expect("the engine stops within a minute of a refused sign-in");
        let Some((_, update)) = next else {
            break;
        };
        if let sync::Update::Event(tayori::sync::SyncEvent::NeedsSignIn { .. }) = &update {
            refused = true;
        }
        assert!(
            !matches!(
                update,
                sync::Update::Event(tayori::sync::SyncEvent::Offline { .. })
            ),
            "a refused sign-in is not retried as if offline: {update:?}"
        );
        person.engine_says(email, update);
    }
    assert!(refused, "the engine said why it stopped");
    assert!(
        accounts.get(email).unwrap().needs_sign_in.is_some(),
        "the mark is kept for the next start"
    );
    assert!(
        person.state.background().accounts()[0]
            .needs_sign_in
            .is_some()
    );
    assert!(person.sees(&fill(
        Lang::En.text(Text::NeedsSignInBanner),
        &[("email", email)]
    )));
    assert_eq!(
        person.sync_line(Lang::En).as_deref(),
        Some("s17@example.test: Sign-in needed")
    );
    forget_app_password(&person.runtime, email);
}

/// A change made in the window reaches the server at once: the window wakes the account's engine
/// out of IDLE (the engine's own poll of the other folders is minutes away). Opening a message
/// marks it read and `s` flags it; both are on the rig's Dovecot within seconds; F5 fetches mail
/// that arrived in a folder IDLE does not watch.
#[test]
fn changes_made_in_the_window_reach_the_server_at_once() {
    let email = "s13@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    let settings = context.settings.clone();
    let s13 = rig_account(email);
    tayori::account::Accounts::new(&paths)
        .upsert(s13.clone())
        .unwrap();
    let credentials =
        tayori::imap::Credentials::Password(tayori::redact::Secret::new("s13-app-password"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let net = tayori::net::Net::from_settings(&settings).unwrap();
    let _turn = testing::take_turn();
    save_app_password(&runtime, email, "s13-app-password");

    // The server: one unread message in the inbox, an empty Archive.
    let raw = message(1, chrono::Utc::now().timestamp(), true);
    let mut session = runtime.block_on(async {
        let mut session = tayori::imap::login(&net.dns, &s13.imap, &credentials)
            .await
            .expect("s13 signs in on the rig");
        for folder in ["INBOX", "Archive"] {
            let _ = session.create(folder).await;
            let status = session.select(folder).await.unwrap();
            if status.exists > 0 {
                session
                    .run_command_and_check_ok("STORE 1:* +FLAGS.SILENT (\\Deleted)")
                    .await
                    .unwrap();
                session.run_command_and_check_ok("EXPUNGE").await.unwrap();
            }
            session.run_command_and_check_ok("UNSELECT").await.unwrap();
        }
        session.append("INBOX", None, None, &raw).await.unwrap();
        session
    });

    let mut person = window(context.clone(), Lang::En, runtime);
    run_engine(&mut person, s13, context);
    wait_for(&mut person, "the first pass", &mut |p| {
        at_rest(p, email) && p.main_window().list.row(0).is_some()
    });

    let server_flags = |person: &mut Window, session: &mut tayori::imap::Session| {
        person.runtime.block_on(async {
            session.select("INBOX").await.unwrap();
            let flags: Vec<String> = {
                let mut fetches = session.fetch("1", "FLAGS").await.unwrap();
                let mut flags = Vec::new();
                while let Some(fetch) = fetches.next().await {
                    let fetch = fetch.unwrap();
                    flags.extend(fetch.flags().map(|f| format!("{f:?}")));
                }
                flags
            };
            session.run_command_and_check_ok("UNSELECT").await.unwrap();
            flags.join(" ")
        })
    };
    person.tell(Message::List(list::Message::Open(0)));
    person.apply(testing::main_window_key(iced::keyboard::Key::Character(
        "s".into(),
    )));
    let took = wait_for(
        &mut person,
        "\\Seen and \\Flagged on the server",
        &mut |p| {
            let flags = server_flags(p, &mut session);
            flags.contains("Seen") && flags.contains("Flagged")
        },
    );
    println!("read + flag reached the server in {took:?}");

    // New mail in a folder IDLE does not watch: F5 fetches it.
    person.runtime.block_on(async {
        session
            .append(
                "Archive",
                None,
                None,
                &message(2, chrono::Utc::now().timestamp(), true),
            )
            .await
            .unwrap()
    });
    person.apply(testing::main_window_key(iced::keyboard::Key::Named(
        iced::keyboard::key::Named::F5,
    )));
    let took = wait_for(&mut person, "the Archive message after F5", &mut |p| {
        p.main_window()
            .folders()
            .iter()
            .any(|f| f.account == email && f.name == "Archive" && f.total == 1)
    });
    println!("F5 fetched the Archive message in {took:?}");
    let _ = person.runtime.block_on(session.logout());
}

/// A folder the server will not open (its administrator took it away, or it is damaged) costs
/// that folder alone, and the window says so where the person looks: the status line names it,
/// the sidebar marks it, and its list says why it may be behind, in the server's words. The next
/// pass that opens it (F5, once the server lets it) takes all of that away. The real engine
/// against the rig's Exchange-shaped profile, where the refusal comes at SELECT.
#[test]
fn a_folder_the_server_will_not_open_is_marked_until_a_sync_opens_it() {
    use std::os::unix::fs::PermissionsExt;
    struct Reopen(std::path::PathBuf);
    impl Drop for Reopen {
        fn drop(&mut self) {
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
        }
    }
    let email = "s09@example.test";
    let lang = Lang::En;
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    let mut s09 = rig_account(email);
    // As a person would enter the server by hand: the profile without LIST-STATUS.
    s09.imap.host = "exchange.example.test".into();
    tayori::account::Accounts::new(&paths)
        .upsert(s09.clone())
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let net = tayori::net::Net::from_settings(&context.settings).unwrap();
    let _turn = testing::take_turn();
    save_app_password(&runtime, email, "s09-app-password");
    let mut session = runtime.block_on(async {
        let mut session = testing::empty_rig_inbox(&net.dns, &s09).await;
        let _ = session.create("Projects").await;
        session
            .append(
                "INBOX",
                None,
                None,
                &message(1, chrono::Utc::now().timestamp(), true),
            )
            .await
            .unwrap();
        session
    });
    // The server stops letting the mailbox's owner open Projects.
    let state = std::env::var_os("TAYORI_RIG_STATE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/rig"));
    let projects = Reopen(state.join("mail/example.test/s09/Maildir/.Projects"));
    std::fs::set_permissions(&projects.0, std::fs::Permissions::from_mode(0o000)).unwrap();

    let mut person = window(context.clone(), lang, runtime);
    run_engine(&mut person, s09, context);
    wait_for(&mut person, "the first pass", &mut |p| {
        at_rest(p, email) && p.main_window().list.row(0).is_some()
    });

    let refused = person.state.background().refused(email).to_vec();
    assert_eq!(
        refused
            .iter()
            .map(|r| r.folder.as_str())
            .collect::<Vec<_>>(),
        ["Projects"],
        "{refused:?}"
    );
    assert_eq!(
        person.sync_line(lang).as_deref(),
        Some("s09@example.test: Up to date, except Projects: the server would not open it")
    );
    // The inbox was synced all the same.
    assert!(person.main_window().list.row(0).is_some());
    assert!(
        view::sync_line(person.state.background(), Lang::Ja).is_some_and(
            |line| line.ends_with("最新の状態です（Projects はサーバーが開けませんでした）")
        ),
        "the status line in Japanese"
    );
    let why = fill(
        lang.text(Text::FolderRefusedTip),
        &[("reason", refused[0].server_words())],
    );
    assert!(!why.contains(".."), "{why}");
    assert!(
        !refused[0].reason.is_empty() && !person.sees(&why),
        "the reason is shown with the folder, not over the inbox"
    );
    // The sidebar marks the folder; opening it shows why it may be behind.
    let projects_id = person
        .main_window()
        .folders()
        .iter()
        .find(|f| f.account == email && f.name == "Projects")
        .map(|f| f.id)
        .expect("Projects is in the sidebar: the server lists it");
    assert!(
        sidebar::refused_because(
            person.state.background(),
            person
                .main_window()
                .folders()
                .iter()
                .find(|f| f.id == projects_id)
                .unwrap(),
            lang
        )
        .is_some_and(|tip| tip == why)
    );
    person.click("Projects");
    wait_for(&mut person, "the list of Projects", &mut |p| {
        p.main_window().list.source == Source::Folder(projects_id)
            && !p.sees(lang.text(Text::Loading))
    });
    assert!(person.sees(&why), "the list of Projects says: {why}");
    person.picture("mailbox-folder-refused-en", &iced::Theme::Light);

    // Mended on the server: F5, and the next pass opens it; the marks go.
    drop(projects);
    person.apply(testing::main_window_key(iced::keyboard::Key::Named(
        iced::keyboard::key::Named::F5,
    )));
    wait_for(&mut person, "a pass that opens Projects", &mut |p| {
        p.state.background().refused(email).is_empty() && at_rest(p, email)
    });
    assert_eq!(
        person.sync_line(lang).as_deref(),
        Some("s09@example.test: Up to date")
    );
    assert!(!person.sees(&why), "the line over the list went");
    let _ = person.runtime.block_on(session.logout());
}

/// Runs `account`'s engine as the application's subscription runs it, its updates fed to the
/// window. Its stream never ends (it waits in IDLE), so the window's work is then run by
/// [`wait_for`], never by `settle`.
fn run_engine(person: &mut Window, account: tayori::account::Account, context: Context) {
    person.running.push(
        sync::run_for_test(sync::Key {
            account,
            context,
            restart: 0,
        })
        .map(|(email, update)| AppMessage::Background(Report::Sync(email, update)))
        .boxed(),
    );
}

/// Runs the window's work (the engine's updates among it) until `done`, for at most 30 s; returns
/// how long that took.
fn wait_for(
    person: &mut Window,
    what: &str,
    done: &mut dyn FnMut(&mut Window) -> bool,
) -> Duration {
    let started = Instant::now();
    while !done(person) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: not within 30 s"
        );
        let next = person.runtime.block_on(async {
            tokio::time::timeout(Duration::from_millis(200), person.running.next()).await
        });
        if let Ok(Some(message)) = next {
            person.apply(message);
        }
    }
    started.elapsed()
}

/// Whether `email`'s engine finished a pass and rests. The search index is built beside IDLE, so
/// its last report may come before or after `Idle` (on a slow machine, after).
fn at_rest(person: &Window, email: &str) -> bool {
    person.state.background().is_awake(email)
        && matches!(
            person.state.background().sync().get(email),
            Some(sync::Update::Event(
                tayori::sync::SyncEvent::Finished(_)
                    | tayori::sync::SyncEvent::Idle
                    | tayori::sync::SyncEvent::IndexComplete { .. }
            ))
        )
}
