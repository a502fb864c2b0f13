//! The main window over a real store on disk (SQLite, filled through the store's own API the way the
//! sync engine fills it), driven in iced's simulator, one file per part of the window: the list
//! (folders and counts, the virtual list, paging, sort, search, conversations, delete), the reader
//! (its toolbar, keys, attachments and links), the "needs sign-in" banner, the sync engines as the
//! status bar follows them, and the outbox panel. The figures for 100,000 messages are here, at
//! the path `benches/gui.sh` runs.
//!
//! The window alone (`testing::Mailbox`) is driven where the store is all that matters; where the
//! engines' or the outbox worker's reports must reach it, the whole application is (`Window`), as
//! in the window.

mod banner_tests;
mod leftover_tests;
mod list_tests;
mod outbox_tests;
mod reader_tests;
mod sync_tests;

use std::time::{Duration, Instant};

use futures::StreamExt;
use tayori::config::{LanguageChoice, Paths, Settings};
use tayori::i18n::Lang;
use tayori::store::{Flags, FolderRole, NewBody, NewEnvelope, Store};

use super::reader::Content;
use super::*;
use crate::ui::App;
use crate::ui::app::Message as AppMessage;
use crate::ui::background::Report;
use crate::ui::testing::{self, ALEX, HANAKO, Mailbox, Screen, account, fill_store};

/// A person at the main window alone.
type Person = testing::Person<Mailbox>;

impl Person {
    fn new(context: Context, lang: Lang) -> Self {
        let (state, load) = Mailbox::new(context, vec![account(HANAKO), account(ALEX)], None);
        Person::start(state, lang, load)
    }

    fn key(&mut self, key: iced::keyboard::Key) {
        self.apply(Message::Key(testing::key_event(key)));
    }

    fn press(&mut self, key: &str) {
        self.key(iced::keyboard::Key::Character(key.into()));
    }

    fn open(&mut self, index: usize) {
        self.apply(Message::List(list::Message::Open(index)));
    }

    /// Runs the window's tasks and returns the composer one of them asked for, built as the
    /// application builds it.
    fn settle_for_composer(&mut self) -> Option<testing::Composer> {
        let mut composer = None;
        while let Some(message) = self
            .runtime
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(10), self.running.next()).await
            })
            .unwrap()
        {
            let (task, event) = self.state.update(message);
            self.spawn(task);
            if let Some(Event::Compose(intent)) = event {
                composer = Some(self.state.composer_for(intent));
            }
        }
        composer
    }

    fn inbox_unread(&self) -> u32 {
        self.state
            .folders()
            .iter()
            .filter(|f| f.role == Some(FolderRole::Inbox))
            .map(|f| f.unread)
            .sum()
    }
}

/// A person at the whole application, at its main window: what the engines and the outbox worker
/// report reaches the window through the application.
type Window = testing::Person<App>;

/// The application over `context`'s saved accounts, drawn in `lang`, its tasks on `runtime`.
fn window(mut context: Context, lang: Lang, runtime: tokio::runtime::Runtime) -> Window {
    context.settings.ui.language = match lang {
        Lang::En => LanguageChoice::En,
        Lang::Ja => LanguageChoice::Ja,
    };
    let (app, task) = App::with_context(context, None);
    let mut window = Window::with_runtime(app, lang, runtime);
    window.spawn(task);
    window.settle();
    window
}

impl Window {
    fn main_window(&self) -> &State {
        self.state.mailbox().expect("the main window is shown")
    }

    fn tell(&mut self, message: Message) {
        self.apply(AppMessage::Mailbox(message));
    }

    /// What an account's engine reported, as the application's subscription hands it over.
    fn engine_says(&mut self, email: &str, update: crate::ui::sync::Update) {
        self.apply(AppMessage::Background(Report::Sync(email.into(), update)));
    }

    fn sync_line(&self, lang: Lang) -> Option<String> {
        view::sync_line(self.state.background(), lang)
    }
}

fn home_with_mail(inbox: usize) -> (tempfile::TempDir, Context) {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    fill_store(&paths, inbox);
    let context = Context {
        paths,
        settings: Settings::default(),
        browser: tayori::auth::browser::Browser::Command("true".into()),
    };
    (home, context)
}

fn subject_of(person: &Person, index: usize) -> String {
    person.state.list.row(index).unwrap().subject.clone()
}

/// A PDF-like file with every byte value in it, so a decoding slip would show.
fn binary_file() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(5000));
    bytes
}

/// A message with three attachments: a Japanese-named PDF, a CSV and a program.
fn message_with_attachments(message_id: &str, date: i64, references: Option<&str>) -> Vec<u8> {
    use base64::Engine;
    let b64 = |bytes: &[u8]| {
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        text.as_bytes()
            .chunks(76)
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n")
    };
    let date = chrono::DateTime::from_timestamp(date, 0)
        .unwrap()
        .to_rfc2822();
    let references = references
        .map(|r| format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: 佐藤 健 <ken.sato@example.co.jp>\r\nTo: {HANAKO}\r\nSubject: Re: 見積書の件\r\n\
         Date: {date}\r\nMessage-ID: <{message_id}>\r\n{references}MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n\
         --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n見積書を添付いたします。ご確認ください。\r\n\
         --XYZ\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --XYZ\r\nContent-Type: text/csv; charset=utf-8\r\n\
         Content-Disposition: attachment; filename=\"../../明細.csv\"\r\n\r\n品目,金額\r\n保守,120000\r\n\
         --XYZ\r\nContent-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=\"setup.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --XYZ--\r\n",
        b64(&binary_file()),
        b64(b"MZ\x90\x00"),
    )
    .into_bytes()
}

/// Stores raw messages in a folder the way the sync engine does (envelope, then body).
/// Hanako's INBOX alone in a fresh store under `paths`, holding these messages whole.
fn inbox_with(paths: &Paths, messages: &[(u32, Vec<u8>, Flags)]) {
    let mut store = Store::open_in(paths).unwrap();
    let id = store.account_id(HANAKO).unwrap();
    store
        .set_folder_list(
            id,
            &[(
                "INBOX".into(),
                Some("/".into()),
                Some(FolderRole::Inbox),
                true,
            )],
        )
        .unwrap();
    let inbox = store.folder_by_name(HANAKO, "INBOX").unwrap().unwrap().id;
    add_raw(&mut store, inbox, messages);
}

fn add_raw(store: &mut Store, folder: i64, messages: &[(u32, Vec<u8>, Flags)]) {
    let envelopes: Vec<NewEnvelope> = messages
        .iter()
        .map(|(uid, raw, flags)| {
            let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            NewEnvelope {
                server_identity: None,
                uid: *uid,
                flags: *flags,
                keywords: Vec::new(),
                modseq: None,
                internal_date: None,
                size: raw.len() as u32,
                header: raw[..end].to_vec(),
            }
        })
        .collect();
    store.add_envelopes(folder, &envelopes).unwrap();
    let bodies: Vec<NewBody> = messages
        .iter()
        .map(|(uid, raw, _)| NewBody {
            uid: *uid,
            raw: raw.clone(),
        })
        .collect();
    store.add_bodies(folder, &bodies).unwrap();
}

fn plain(message_id: &str, subject: &str, date: i64, references: Option<&str>) -> Vec<u8> {
    let date = chrono::DateTime::from_timestamp(date, 0)
        .unwrap()
        .to_rfc2822();
    let references = references
        .map(|r| format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: 山田 花子 <{HANAKO}>\r\nTo: ken.sato@example.co.jp\r\nSubject: {subject}\r\n\
         Date: {date}\r\nMessage-ID: <{message_id}>\r\n{references}MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{subject} の本文です。\r\n"
    )
    .into_bytes()
}

/// Hanako's inbox with conversations: "見積書の件" (four messages, the newest with attachments,
/// one unread, one flagged), "Lunch" (two) and eight messages on their own.
fn home_with_conversations(
    browser: tayori::auth::browser::Browser,
) -> (tempfile::TempDir, Context) {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let now = chrono::Utc::now().timestamp();
    let hour = 3600;
    {
        let mut store = Store::open_in(&paths).unwrap();
        let id = store.account_id(HANAKO).unwrap();
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
                        "Trash".into(),
                        Some("/".into()),
                        Some(FolderRole::Trash),
                        true,
                    ),
                ],
            )
            .unwrap();
        let inbox = store.folder_by_name(HANAKO, "INBOX").unwrap().unwrap().id;
        let seen = Flags {
            seen: true,
            ..Flags::default()
        };
        let flagged = Flags {
            seen: true,
            flagged: true,
            ..Flags::default()
        };
        let mut messages = vec![
            (
                1,
                plain("q1@example.test", "見積書の件", now - 50 * hour, None),
                seen,
            ),
            (
                2,
                plain(
                    "q2@example.test",
                    "Re: 見積書の件",
                    now - 40 * hour,
                    Some("q1@example.test"),
                ),
                flagged,
            ),
            (
                3,
                plain(
                    "q3@example.test",
                    "Re: 見積書の件",
                    now - 30 * hour,
                    Some("q1@example.test"),
                ),
                seen,
            ),
            (
                4,
                message_with_attachments("q4@example.test", now - hour, Some("q1@example.test")),
                Flags::default(),
            ),
            (
                5,
                plain("l1@example.test", "Lunch on Friday?", now - 20 * hour, None),
                seen,
            ),
            (
                6,
                plain(
                    "l2@example.test",
                    "Re: Lunch on Friday?",
                    now - 2 * hour,
                    Some("l1@example.test"),
                ),
                seen,
            ),
        ];
        for n in 0..8 {
            messages.push((
                10 + n,
                plain(
                    &format!("s{n}@example.test"),
                    &format!("お知らせ {n}"),
                    now - (60 + i64::from(n)) * hour,
                    None,
                ),
                seen,
            ));
        }
        add_raw(&mut store, inbox, &messages);
    }
    let context = Context {
        paths,
        settings: Settings::default(),
        browser,
    };
    (home, context)
}

/// Figures for the targets, printed: the first frame of a mailbox with 100,000 cached
/// messages, and the time to update, build, lay out and draw a frame while scrolling and switching
/// folders (one headless renderer, kept across frames as the window keeps its own).
/// Run with `cargo test --bin tayori -- --ignored --nocapture mailbox_figures`; `benches/gui.sh`
/// runs it by this path (`ui::screen::mailbox::tests::mailbox_figures`) and checks the goals.
#[test]
#[ignore = "a benchmark: run it and read the figures"]
fn mailbox_figures() {
    use iced::advanced::renderer::Headless;
    use iced_test::runtime::user_interface::{Cache, UserInterface};

    let started = Instant::now();
    let (home, context) = home_with_mail(100_000);
    println!(
        "store filled with 100,300 messages in {:?}",
        started.elapsed()
    );
    let size = std::fs::metadata(Store::path_in(&context.paths))
        .unwrap()
        .len();
    println!("store file: {} MB", size / 1_000_000);
    report_memory("before launch");

    let window = iced::Size::new(1280.0, 800.0);
    let theme = iced::Theme::Light;
    let style = iced::advanced::renderer::Style {
        text_color: theme.palette().text,
    };
    let font = crate::ui::fonts::init(Lang::from_system());
    let renderer_started = Instant::now();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut renderer = runtime
        .block_on(<iced::Renderer as Headless>::new(
            font,
            iced::Pixels(16.0),
            None,
        ))
        .expect("a headless renderer");
    println!(
        "renderer ({}) created in {:?} (the window's own start-up, not counted below)",
        renderer.name(),
        renderer_started.elapsed()
    );

    // Launch to first frame: open the store, load folders, counts and the first page, then build,
    // lay out and draw the view.
    let launch = Instant::now();
    let mut person = Person::new(context, Lang::En);
    person.settle();
    let mut ui = UserInterface::build(
        Screen::view(&person.state, Lang::En),
        window,
        Cache::default(),
        &mut renderer,
    );
    ui.draw(
        &mut renderer,
        &theme,
        &style,
        iced::mouse::Cursor::Unavailable,
    );
    let mut cache = ui.into_cache();
    let first_frame = launch.elapsed();
    println!(
        "launch to first frame (store open, folders, counts, first page, layout, draw): {first_frame:?}"
    );
    assert_eq!(person.state.list.len(), 100_300);

    // Scrolling three rows per frame through the first 2,000 rows, then jumps deep into the list.
    // A frame is what the window does between two pictures: the scroll update, the view built, laid
    // out and drawn. Pages the new rows need arrive asynchronously (placeholders meanwhile); their
    // fetch times are reported apart.
    let mut frames = Vec::new();
    let mut fetches = Vec::new();
    let positions: Vec<f32> = (0..600)
        .map(|i| i as f32 * 3.0 * ROW_HEIGHT)
        .chain((0..40).map(|i| i as f32 * 2_500.0 * ROW_HEIGHT))
        .collect();
    for y in positions {
        let frame = Instant::now();
        person.state.list.scroll_y = y;
        let db = person.state.db();
        let task = person
            .state
            .list
            .fetch_visible(db.as_ref())
            .map(Message::List);
        let mut ui = UserInterface::build(
            Screen::view(&person.state, Lang::En),
            window,
            cache,
            &mut renderer,
        );
        ui.draw(
            &mut renderer,
            &theme,
            &style,
            iced::mouse::Cursor::Unavailable,
        );
        cache = ui.into_cache();
        frames.push(frame.elapsed());
        let fetch = Instant::now();
        person.spawn(task);
        let pending = person.running.len();
        person.settle();
        if pending > 0 {
            fetches.push(fetch.elapsed());
        }
    }
    print_frames("scrolling (update + view + layout + draw)", &mut frames);
    if !fetches.is_empty() {
        print_frames(
            "page fetches while scrolling (async, 200 rows each)",
            &mut fetches,
        );
    }

    let mut frames = Vec::new();
    let folders: Vec<i64> = person.state.folders().iter().map(|f| f.id).collect();
    for round in 0..28 {
        let started = Instant::now();
        person.apply(Message::Select(Source::Folder(
            folders[round % folders.len()],
        )));
        person.settle();
        let mut ui = UserInterface::build(
            Screen::view(&person.state, Lang::En),
            window,
            cache,
            &mut renderer,
        );
        ui.draw(
            &mut renderer,
            &theme,
            &style,
            iced::mouse::Cursor::Unavailable,
        );
        cache = ui.into_cache();
        frames.push(started.elapsed());
    }
    print_frames(
        "switching folders (count + first page from the store, then the frame)",
        &mut frames,
    );
    report_memory("after scrolling and switching");

    // The conversations view over all inboxes (every message a thread of its own here: the most
    // rows the grouping can make), then scrolling through it.
    person.apply(Message::Select(Source::Unified));
    person.settle();
    let started = Instant::now();
    person.apply(Message::List(list::Message::ToggleConversations(true)));
    person.settle();
    let mut ui = UserInterface::build(
        Screen::view(&person.state, Lang::En),
        window,
        cache,
        &mut renderer,
    );
    ui.draw(
        &mut renderer,
        &theme,
        &style,
        iced::mouse::Cursor::Unavailable,
    );
    cache = ui.into_cache();
    println!(
        "conversations on (thread count + first page of threads, then the frame): {:?}",
        started.elapsed()
    );
    // Alex's 300 messages carry the Message-IDs of Hanako's first 300: the same conversations.
    assert_eq!(person.state.list.len(), 100_000);
    let mut frames = Vec::new();
    for i in 0..40 {
        let started = Instant::now();
        person.state.list.scroll_y = i as f32 * 2_500.0 * ROW_HEIGHT;
        let db = person.state.db();
        let task = person
            .state
            .list
            .fetch_visible(db.as_ref())
            .map(Message::List);
        person.spawn(task);
        person.settle();
        let mut ui = UserInterface::build(
            Screen::view(&person.state, Lang::En),
            window,
            cache,
            &mut renderer,
        );
        ui.draw(
            &mut renderer,
            &theme,
            &style,
            iced::mouse::Cursor::Unavailable,
        );
        cache = ui.into_cache();
        frames.push(started.elapsed());
    }
    print_frames(
        "conversations: jumps deep into the list (page of threads from the store, then the frame)",
        &mut frames,
    );
    drop(home);
}

fn print_frames(what: &str, frames: &mut [Duration]) {
    frames.sort();
    let at = |p: f64| frames[((frames.len() - 1) as f64 * p) as usize];
    println!(
        "{what}: {} frames, median {:?}, p95 {:?}, max {:?}",
        frames.len(),
        at(0.5),
        at(0.95),
        frames[frames.len() - 1]
    );
}

fn report_memory(when: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: unknown");
    println!("memory {when}: {}", rss.trim_start_matches("VmRSS:").trim());
}
