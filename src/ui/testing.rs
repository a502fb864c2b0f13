//! What the screens' tests share (chatmail's `test_utils`): one module, so no screen's tests
//! import another's.
//!
//! - A person in front of a screen: iced's simulator shows the screen and turns clicks and typing
//!   into messages; the screen's tasks (and, on request, its subscriptions) run on a real runtime
//!   (the store on disk, the rig's servers) and what they produce goes back to the screen. One
//!   driver for the application, the main window alone, the composer and the settings (the
//!   wizard's tests keep their own: they watch passing phases).
//! - The rig: where its state is (`TAYORI_RIG_STATE`), the settings an administrator would give
//!   Tayori for it, its private users, their app passwords in the test session's keyring, and
//!   `take_turn` for the two people whose keyring entries several tests share.
//! - A store filled the way the sync engine fills it (`fill_store`).

pub mod pictures;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::{BoxStream, SelectAll};
use iced::widget::Id;
use iced::{Element, Subscription, Task};
use iced_test::futures::subscription::{Tracker, into_recipes};
use iced_test::simulator::Simulator;
use tayori::account::{Account, AccountAuth, Server};
use tayori::config::{Paths, Settings};
use tayori::discovery::Security;
use tayori::i18n::Lang;
use tayori::store::{Flags, FolderRole, NewBody, NewEnvelope, Store};

use crate::ui::App;
use crate::ui::background::Background;
use crate::ui::context::Context;
use crate::ui::screen::mailbox;

/// The composer, as the application builds it for the main window's tests.
pub type Composer = crate::ui::screen::composer::State;

/// What the driver needs of a screen (or of the whole application).
pub trait Screen {
    type Message: Send + std::fmt::Debug + 'static;
    /// What the screen asks of the application is not the driver's business: tests that care
    /// call the screen's own `update`.
    fn update(&mut self, message: Self::Message) -> Task<Self::Message>;
    fn view(&self, lang: Lang) -> Element<'_, Self::Message>;
    /// What runs beside the screen (sync engines, the outbox worker); run only by a person who
    /// calls `run_subscriptions`.
    fn subscription(&self) -> Subscription<Self::Message> {
        Subscription::none()
    }
}

/// The screen's subscriptions as the window's runtime keeps them: iced's own `Tracker` starts a
/// subscription when it appears and stops it when it goes.
struct Subscriptions<M> {
    tracker: Tracker,
    sender: futures::channel::mpsc::Sender<M>,
}

pub struct Person<S: Screen> {
    pub state: S,
    /// The language the screen is drawn in (the application keeps its own).
    pub lang: Lang,
    pub size: iced::Size,
    pub runtime: tokio::runtime::Runtime,
    pub running: SelectAll<BoxStream<'static, S::Message>>,
    /// What the screen's tasks wrote to the clipboard, oldest first (the window's clipboard).
    pub clipboard: Arc<std::sync::Mutex<Vec<String>>>,
    subscriptions: Option<Subscriptions<S::Message>>,
}

impl<S: Screen> Person<S> {
    /// A person at `state`, with its first task under way.
    pub fn start(state: S, lang: Lang, first: Task<S::Message>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the screen's tasks");
        let mut person = Self::with_runtime(state, lang, runtime);
        person.spawn(first);
        person
    }

    /// A person at `state` whose tasks run on `runtime` (a test that set up the servers with it).
    pub fn with_runtime(state: S, lang: Lang, runtime: tokio::runtime::Runtime) -> Self {
        Person {
            state,
            lang,
            size: iced::Size::new(1280.0, 800.0),
            runtime,
            running: SelectAll::new(),
            clipboard: Arc::default(),
            subscriptions: None,
        }
    }

    /// From now on the screen's subscriptions run too, as in the window: started when the screen
    /// asks for them, stopped when it no longer does (after every message).
    pub fn run_subscriptions(&mut self) {
        let (sender, receiver) = futures::channel::mpsc::channel(100);
        self.running.push(receiver.boxed());
        self.subscriptions = Some(Subscriptions {
            tracker: Tracker::new(),
            sender,
        });
        self.track_subscriptions();
    }

    fn track_subscriptions(&mut self) {
        let Some(subscriptions) = &mut self.subscriptions else {
            return;
        };
        let recipes = into_recipes(self.state.subscription());
        for future in subscriptions
            .tracker
            .update(recipes.into_iter(), subscriptions.sender.clone())
        {
            self.runtime.spawn(future);
        }
    }

    pub fn ui(&self) -> Simulator<'_, S::Message> {
        Simulator::with_size(
            iced::Settings {
                default_font: crate::ui::fonts::init(Lang::from_system()),
                ..iced::Settings::default()
            },
            self.size,
            self.state.view(self.lang),
        )
    }

    pub fn sees(&self, text: &str) -> bool {
        self.ui().find(text).is_ok()
    }

    pub fn spawn(&mut self, task: Task<S::Message>) {
        if let Some(stream) = iced_test::runtime::task::into_stream(task) {
            // What the task produces for the screen, and what it writes to the clipboard; focus
            // and the window's other actions are the window's.
            let clipboard = Arc::clone(&self.clipboard);
            self.running.push(
                stream
                    .filter_map(move |action| {
                        let clipboard = Arc::clone(&clipboard);
                        async move {
                            match action {
                                iced_test::runtime::Action::Output(message) => Some(message),
                                iced_test::runtime::Action::Clipboard(
                                    iced_test::runtime::clipboard::Action::Write {
                                        contents, ..
                                    },
                                ) => {
                                    clipboard
                                        .lock()
                                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                                        .push(contents);
                                    None
                                }
                                _ => None,
                            }
                        }
                    })
                    .boxed(),
            );
        }
    }

    pub fn apply(&mut self, message: S::Message) {
        let task = self.state.update(message);
        self.spawn(task);
        self.track_subscriptions();
    }

    pub fn click(&mut self, text: &str) {
        let messages: Vec<S::Message> = {
            let mut ui = self.ui();
            ui.click(text)
                .unwrap_or_else(|e| panic!("no {text:?} to click: {e}"));
            ui.into_messages().collect()
        };
        assert!(!messages.is_empty(), "clicking {text:?} did nothing");
        for message in messages {
            self.apply(message);
        }
    }

    /// Clicks into the field showing `placeholder` and types `typed`.
    pub fn type_into(&mut self, placeholder: &str, typed: &str) {
        let messages: Vec<S::Message> = {
            let mut ui = self.ui();
            ui.click(placeholder)
                .unwrap_or_else(|e| panic!("no field {placeholder:?}: {e}"));
            let _ = ui.typewrite(typed);
            ui.into_messages().collect()
        };
        for message in messages {
            self.apply(message);
        }
    }

    /// Clicks into the field with this id and types `typed`.
    pub fn type_into_id(&mut self, id: &'static str, typed: &str) {
        let messages: Vec<S::Message> = {
            let mut ui = self.ui();
            ui.click(Id::new(id))
                .unwrap_or_else(|e| panic!("no field {id}: {e}"));
            let _ = ui.typewrite(typed);
            ui.into_messages().collect()
        };
        for message in messages {
            self.apply(message);
        }
    }

    /// Handles the next message the screen's tasks produce, waiting at most `wait`; false when
    /// none came.
    pub fn step(&mut self, wait: Duration) -> bool {
        let next = self
            .runtime
            .block_on(async { tokio::time::timeout(wait, self.running.next()).await });
        match next {
            Ok(Some(message)) => {
                self.apply(message);
                true
            }
            Ok(None) | Err(_) => false,
        }
    }

    /// Handles messages until `done` holds (tasks that never end, such as sync engines, may run
    /// meanwhile); fails after 30 s.
    pub fn settle_until(&mut self, done: impl Fn(&Self) -> bool) {
        self.settle_within(Duration::from_secs(30), "what the test waited for", done);
    }

    /// Handles messages until `done` holds; fails after `limit`, naming `what` did not happen.
    pub fn settle_within(&mut self, limit: Duration, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what} did not happen in {} s",
                limit.as_secs()
            );
            self.step(Duration::from_millis(100));
        }
    }

    /// Runs the screen's tasks until nothing is left to do.
    pub fn settle(&mut self) {
        // Frames drawn at most: a widget may speak at every frame (a list fetching the rows it
        // shows), so "until quiet" could be never.
        self.settle_drawing(3);
    }

    /// Runs the window's tasks until none is left, drawing no frame: what the figures time.
    pub fn settle_tasks(&mut self) {
        self.settle_drawing(0);
    }

    fn settle_drawing(&mut self, mut frames: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = self
                .runtime
                .block_on(async { tokio::time::timeout(left, self.running.next()).await });
            match next {
                Ok(Some(message)) => self.apply(message),
                // A frame is drawn, as the window draws one after each update: widgets that
                // report what they were given speak then (the reader's page measures its width).
                // Done when that starts no new work.
                Ok(None) => {
                    if frames == 0 {
                        return;
                    }
                    frames -= 1;
                    self.redraw();
                    if self.running.is_empty() {
                        return;
                    }
                }
                Err(_) => panic!("the window's tasks did not finish in 60 s"),
            }
        }
    }

    /// Draws one frame and applies what the widgets said during it.
    pub fn redraw(&mut self) {
        let messages: Vec<S::Message> = {
            let mut ui = self.ui();
            let _ = ui.simulate([iced::Event::Window(iced::window::Event::RedrawRequested(
                iced::time::Instant::now(),
            ))]);
            ui.into_messages().collect()
        };
        for message in messages {
            self.apply(message);
        }
    }

    /// Draws the screen into `target/screenshots/<name>-<renderer>.png` (look at it) and returns
    /// that file's path.
    pub fn picture(&self, name: &str, theme: &iced::Theme) -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshots folder");
        // `matches_image` keeps an existing file: remove the last run's, for a fresh picture.
        for entry in std::fs::read_dir(&dir)
            .expect("the screenshots folder")
            .flatten()
        {
            let path = entry.path();
            if path
                .file_stem()
                .is_some_and(|s| s.to_string_lossy().starts_with(&format!("{name}-")))
            {
                let _ = std::fs::remove_file(path);
            }
        }
        let snapshot = self.ui().snapshot(theme).expect("a picture of the window");
        assert!(
            snapshot
                .matches_image(dir.join(format!("{name}.png")))
                .expect("the picture saved")
        );
        std::fs::read_dir(&dir)
            .expect("the screenshots folder")
            .flatten()
            .map(|entry| entry.path())
            .find(|path| {
                path.file_stem()
                    .is_some_and(|s| s.to_string_lossy().starts_with(&format!("{name}-")))
            })
            .expect("the picture just saved")
    }
}

/// A key pressed with no modifier, as the window reports it.
pub fn key_event(key: iced::keyboard::Key) -> iced::keyboard::Event {
    iced::keyboard::Event::KeyPressed {
        key: key.clone(),
        modified_key: key,
        physical_key: iced::keyboard::key::Physical::Unidentified(
            iced::keyboard::key::NativeCode::Unidentified,
        ),
        location: iced::keyboard::Location::Standard,
        modifiers: iced::keyboard::Modifiers::default(),
        text: None,
        repeat: false,
    }
}

impl Screen for App {
    type Message = crate::ui::app::Message;
    fn update(&mut self, message: Self::Message) -> Task<Self::Message> {
        App::update(self, message)
    }
    fn view(&self, _lang: Lang) -> Element<'_, Self::Message> {
        App::view(self)
    }
    fn subscription(&self) -> Subscription<Self::Message> {
        App::subscription(self)
    }
}

/// A key pressed in the main window, as the application receives it.
pub fn main_window_key(key: iced::keyboard::Key) -> crate::ui::app::Message {
    crate::ui::app::Message::Mailbox(mailbox::Message::Key(key_event(key)))
}

/// The main window alone, with what the application lends it: the accounts (and no engine or
/// worker, unless a test feeds what one reports into `background`). Tests that follow engines
/// through the application drive `App` instead.
pub struct Mailbox {
    pub state: mailbox::State,
    pub background: Background,
}

impl Mailbox {
    /// The main window for these accounts, with its first task (opening the store).
    pub fn new(
        context: Context,
        accounts: Vec<Account>,
        problem: Option<String>,
    ) -> (Self, Task<mailbox::Message>) {
        let background = Background::new(accounts, problem);
        let state = mailbox::State::new(context);
        let load = state.load(&background);
        (Mailbox { state, background }, load)
    }

    /// The screen's own `update`, with what it asks of the application.
    pub fn update(
        &mut self,
        message: mailbox::Message,
    ) -> (Task<mailbox::Message>, Option<mailbox::Event>) {
        self.state.update(message, &mut self.background)
    }

    /// The composer the application would open for what the window asked to write.
    pub fn composer_for(&self, intent: mailbox::Compose) -> Composer {
        crate::ui::app::composer_for(
            self.state.context(),
            self.background.accounts(),
            self.state.db(),
            intent,
        )
    }
}

impl std::ops::Deref for Mailbox {
    type Target = mailbox::State;
    fn deref(&self) -> &mailbox::State {
        &self.state
    }
}

impl std::ops::DerefMut for Mailbox {
    fn deref_mut(&mut self) -> &mut mailbox::State {
        &mut self.state
    }
}

impl Screen for Mailbox {
    type Message = mailbox::Message;
    fn update(&mut self, message: Self::Message) -> Task<Self::Message> {
        Mailbox::update(self, message).0
    }
    fn view(&self, lang: Lang) -> Element<'_, Self::Message> {
        self.state.view(lang, &self.background)
    }
}

// ------------------------------------------------------------------------------------ The rig

/// The rig has two people whose keyring entries every test that adds them shares: take turns.
static SHARED_IDENTITIES: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    SHARED_IDENTITIES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Fails with instructions when the rig is not running: a skipped end-to-end test proves nothing.
pub fn require_rig() {
    let state = std::env::var_os("TAYORI_RIG_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/rig"));
    let env = state.join("rig.env");
    assert!(
        env.exists(),
        "the test rig is not running ({} is missing). Start it with tests/rig/setup.sh && tests/rig/start.sh, \
         or run the whole suite with tests/run.sh",
        env.display()
    );
}

/// The settings an organisation would give Tayori for the rig: its name server, its ISPDB mirror,
/// and the client id of its app registration at the rig's provider. Fails when the rig is not
/// running.
pub fn rig_settings() -> Settings {
    require_rig();
    toml::from_str(
        r#"
[network]
dns_server = "127.0.0.1:10053"
[discovery]
ispdb_url = "https://ispdb.example.test/v1.1/"
[oauth.client_ids]
"https://127.0.0.1:9443" = "tayori"
"#,
    )
    .expect("valid settings")
}

/// Folders under `paths` (created), the rig's settings, a browser that opens nothing.
pub fn rig_context(paths: &Paths) -> Context {
    paths.create_all().unwrap();
    Context {
        paths: paths.clone(),
        settings: rig_settings(),
        browser: tayori::auth::browser::Browser::Command("true".into()),
    }
}

/// An account with an app password over implicit TLS at mail.example.test.
pub fn account(email: &str) -> Account {
    let server = Server {
        host: "mail.example.test".into(),
        port: 993,
        security: Security::Tls,
        username: email.into(),
    };
    Account {
        email: email.into(),
        display_name: None,
        provider: None,
        imap: server.clone(),
        smtp: Server {
            port: 465,
            ..server
        },
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

/// One of the rig's users (`s01` … `s24` have a private mailbox each), signed in with its app
/// password over implicit TLS on the rig's ports.
pub fn rig_account(email: &str) -> Account {
    let mut account = account(email);
    account.imap.port = 10993;
    account.smtp.port = 10465;
    account
}

/// The rig user's app password in the test session's keyring, where the window reads it.
pub fn save_app_password(runtime: &tokio::runtime::Runtime, email: &str, password: &str) {
    runtime
        .block_on(tayori::auth::keyring_store::save(
            email,
            tayori::auth::keyring_store::SecretKind::AppPassword,
            &tayori::redact::Secret::new(password),
        ))
        .expect("keyring (run through tests/rig/with-secret-service.sh)");
}

pub fn forget_app_password(runtime: &tokio::runtime::Runtime, email: &str) {
    let _ = runtime.block_on(tayori::auth::keyring_store::delete(
        email,
        tayori::auth::keyring_store::SecretKind::AppPassword,
    ));
}

/// Signs `account` in on the rig with its app password (`<name>-app-password`) and empties its
/// inbox; the session stays open for the test.
pub async fn empty_rig_inbox(
    dns: &tayori::net::dns::Dns,
    account: &Account,
) -> tayori::imap::Session {
    let name = account.email.split('@').next().unwrap_or_default();
    let credentials = tayori::imap::Credentials::Password(tayori::redact::Secret::new(format!(
        "{name}-app-password"
    )));
    let mut session = tayori::imap::login(dns, &account.imap, &credentials)
        .await
        .unwrap_or_else(|e| panic!("{} signs in on the rig: {e}", account.email));
    let status = session.select("INBOX").await.unwrap();
    if status.exists > 0 {
        session
            .run_command_and_check_ok("STORE 1:* +FLAGS.SILENT (\\Deleted)")
            .await
            .unwrap();
        session.run_command_and_check_ok("EXPUNGE").await.unwrap();
    }
    session.run_command_and_check_ok("UNSELECT").await.unwrap();
    session
}

// ------------------------------------------------------------------------ A store with mail in it

/// The HTML mail corpus under tests/html-mail as people's mail programs send it (the hostile
/// messages apart), each with reference pictures.
pub const HTML_CORPUS: [&str; 5] = [
    "outlook-table-signature.eml",
    "gmail-reply.eml",
    "ja-iso-2022-jp.eml",
    "ja-shift-jis.eml",
    "newsletter-remote-images.eml",
];

pub const HANAKO: &str = "hanako@example.test";
pub const ALEX: &str = "alex@corp.example";

const SENDERS: [(&str, &str); 6] = [
    ("山田 花子", "hanako.yamada@example.co.jp"),
    ("佐藤 健", "ken.sato@example.co.jp"),
    ("Alex Smith", "alex@corp.example"),
    ("経理部", "keiri@example.co.jp"),
    ("GitHub", "noreply@github.example"),
    ("鈴木 一郎", "ichiro@example.ne.jp"),
];
const SUBJECTS: [&str; 6] = [
    "来週の定例会議について",
    "Quarterly report draft — please review",
    "【至急】請求書の確認をお願いします",
    "Re: 出張申請の件",
    "Build failed on main",
    "新年会のお知らせ",
];

/// Message `n` as a server would send it (only the header unless `body`).
pub fn message(n: usize, date: i64, body: bool) -> Vec<u8> {
    let (name, address) = SENDERS[n % SENDERS.len()];
    let subject = SUBJECTS[n % SUBJECTS.len()];
    let date = chrono::DateTime::from_timestamp(date, 0)
        .unwrap()
        .to_rfc2822();
    let mut raw = format!(
        "From: {name} <{address}>\r\nTo: 山田 花子 <{HANAKO}>\r\nSubject: {subject} #{n}\r\n\
         Date: {date}\r\nMessage-ID: <m{n}@example.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n"
    );
    if body {
        raw.push_str(&format!(
            "お疲れさまです。{name}です。\r\n\r\n件名の件（#{n}）、資料を共有します。\r\nご確認のほど、よろしくお願いいたします。\r\n\r\nBest regards,\r\n{name}\r\n"
        ));
    }
    raw.into_bytes()
}

/// Fills a store under `paths` the way the sync engine does: folders from the server's list,
/// envelopes, a few bodies. `inbox` messages in Hanako's inbox, a handful elsewhere.
pub fn fill_store(paths: &Paths, inbox: usize) {
    let mut store = Store::open_in(paths).unwrap();
    let now = chrono::Utc::now().timestamp();
    for email in [HANAKO, ALEX] {
        let id = store.account_id(email).unwrap();
        store
            .set_folder_list(
                id,
                &[
                    (
                        "INBOX".into(),
                        Some("/".into()),
                        Some(FolderRole::Inbox),
                        true,
                    ),
                    (
                        "Sent".into(),
                        Some("/".into()),
                        Some(FolderRole::Sent),
                        true,
                    ),
                    (
                        "Drafts".into(),
                        Some("/".into()),
                        Some(FolderRole::Drafts),
                        true,
                    ),
                    (
                        "Trash".into(),
                        Some("/".into()),
                        Some(FolderRole::Trash),
                        true,
                    ),
                    (
                        "Archive".into(),
                        Some("/".into()),
                        Some(FolderRole::Archive),
                        true,
                    ),
                    ("Projects".into(), Some("/".into()), None, true),
                    ("Projects/2025".into(), Some("/".into()), None, true),
                ],
            )
            .unwrap();
    }
    let folders = store.folders().unwrap();
    let folder = |email: &str, name: &str| {
        folders
            .iter()
            .find(|f| f.account == email && f.name == name)
            .unwrap()
            .id
    };
    let fill = |store: &mut Store, folder: i64, count: usize, bodies: usize, age: i64| {
        for chunk in (0..count).collect::<Vec<_>>().chunks(5000) {
            let envelopes: Vec<NewEnvelope> = chunk
                .iter()
                .map(|&n| NewEnvelope {
                    server_identity: None,
                    uid: n as u32 + 1,
                    flags: Flags {
                        seen: n % 7 != 0,
                        flagged: n % 23 == 0,
                        answered: n % 11 == 0,
                        ..Flags::default()
                    },
                    keywords: Vec::new(),
                    modseq: None,
                    internal_date: Some(now - age - (count - n) as i64 * 600),
                    size: 2048,
                    header: message(n, now - age - (count - n) as i64 * 600, false),
                })
                .collect();
            store.add_envelopes(folder, &envelopes).unwrap();
        }
        let newest: Vec<NewBody> = (count.saturating_sub(bodies)..count)
            .map(|n| NewBody {
                uid: n as u32 + 1,
                raw: message(n, now - age - (count - n) as i64 * 600, true),
            })
            .collect();
        store.add_bodies(folder, &newest).unwrap();
    };
    // Alex's mail is a day older, so the newest and the oldest of all inboxes are Hanako's.
    fill(&mut store, folder(HANAKO, "INBOX"), inbox, 50, 0);
    fill(&mut store, folder(HANAKO, "Sent"), 40, 10, 0);
    fill(&mut store, folder(HANAKO, "Projects/2025"), 12, 0, 0);
    fill(&mut store, folder(ALEX, "INBOX"), 300, 20, 86_400);
    // As after a sync: the indexer has put the header fields of the mail without a body into the
    // search index too.
    store
        .build_index(&std::sync::atomic::AtomicBool::new(false), &mut |_, _| {})
        .unwrap();
}
