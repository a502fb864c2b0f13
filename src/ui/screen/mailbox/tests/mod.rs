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
/// A person at the main window with `raw` alone in Hanako's inbox, opened in the reader.
fn reading(raw: &[u8], lang: Lang) -> (tempfile::TempDir, Person) {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    inbox_with(&paths, &[(1, raw.to_vec(), Flags::default())]);
    let context = Context {
        paths,
        settings: Settings::default(),
        browser: tayori::auth::browser::Browser::Command("true".into()),
    };
    let mut person = Person::new(context, lang);
    person.settle();
    person.open(0);
    person.settle();
    (home, person)
}

/// The HTML page the reader shows, once it is laid out.
fn laid_out(person: &Person) -> Option<std::sync::Arc<reader::PageView>> {
    match person.state.reader() {
        reader::Content::Shown {
            page: reader::PageState::Ready(view),
            ..
        } => Some(std::sync::Arc::clone(view)),
        _ => None,
    }
}

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
    let paths = context.paths.clone();
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
    let mut renderer = headless_renderer(font);
    println!(
        "renderer ({}) created in {:?} (the window's own start-up, not counted below)",
        renderer.name(),
        renderer_started.elapsed()
    );

    // Launch to first frame: open the store, load folders, counts and the first page, then build,
    // lay out and draw the view.
    let launch = Instant::now();
    let mut person = Person::new(context, Lang::En);
    person.settle_tasks();
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
        let asked = person.state.list.pending_pages();
        person.spawn(task);
        person.settle_tasks();
        if asked > 0 {
            fetches.push(fetch.elapsed());
        }
    }
    print_frames("scrolling (update + view + layout + draw)", &mut frames);
    // Only the frames that asked the store for a page (most frames find their rows loaded).
    print_frames(
        "page fetches while scrolling (keyset, 200 rows each; a jump seeks from the nearest loaded page)",
        &mut fetches,
    );

    // A scrollbar dragged anywhere after new mail made the list read again (no page loaded near:
    // the seek starts from the top, the bottom or the page in view), at positions spread over
    // the whole list.
    let mut fetches = Vec::new();
    let mut position: u64 = 12_345;
    for _ in 0..30 {
        let refresh = person.state.synced(&SyncEvent::NewMail {
            folder: "INBOX".into(),
            count: 1,
            inbox: true,
            unread: 0,
            newest: Vec::new(),
        });
        person.spawn(refresh);
        person.settle_tasks();
        position = position
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let row = ((position >> 24) % 100_300) as f32;
        person.state.list.scroll_y = row * ROW_HEIGHT;
        let db = person.state.db();
        let fetch = Instant::now();
        let task = person
            .state
            .list
            .fetch_visible(db.as_ref())
            .map(Message::List);
        person.spawn(task);
        person.settle_tasks();
        fetches.push(fetch.elapsed());
        assert!(person.state.list.row(row as usize).is_some());
    }
    print_frames(
        "page fetches after a scrollbar drag (keyset seek over the date index, 200 rows)",
        &mut fetches,
    );
    offset_against_keyset(&paths);

    let mut frames = Vec::new();
    let folders: Vec<i64> = person.state.folders().iter().map(|f| f.id).collect();
    for round in 0..28 {
        let started = Instant::now();
        person.apply(Message::Select(Source::Folder(
            folders[round % folders.len()],
        )));
        person.settle_tasks();
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
    person.settle_tasks();
    let started = Instant::now();
    person.apply(Message::List(list::Message::ToggleConversations(true)));
    person.settle_tasks();
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
    let mut fetches = Vec::new();
    for i in 0..40 {
        let started = Instant::now();
        person.state.list.scroll_y = i as f32 * 2_500.0 * ROW_HEIGHT;
        let db = person.state.db();
        let task = person
            .state
            .list
            .fetch_visible(db.as_ref())
            .map(Message::List);
        let fetch = Instant::now();
        person.spawn(task);
        person.settle_tasks();
        fetches.push(fetch.elapsed());
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
    print_frames(
        "conversations: page fetches (keyset, 200 threads; a jump seeks from the nearest loaded page)",
        &mut fetches,
    );
    drop(cache);
    frames_while_a_sync_writes(&mut person, &paths, &mut renderer, window);
    drop(home);
}

/// The same deep pages read by OFFSET (the list before keyset paging) and by keyset from the top
/// (a jump with nothing loaded: the slowest keyset case), interleaved, the order alternating; both
/// must be the same rows.
fn offset_against_keyset(paths: &Paths) {
    use tayori::store::{ListScope, Seek, SortOrder};
    let store = Store::open_in(paths).unwrap();
    let (mut offset, mut keyset) = (Vec::new(), Vec::new());
    let mut ratios = Vec::new();
    for round in 0..5 {
        let at = 50_000;
        let by_offset = || {
            let started = Instant::now();
            let rows = store
                .unified_inbox(SortOrder::NewestFirst, at, 200)
                .unwrap();
            (started.elapsed(), rows)
        };
        let by_keyset = || {
            let started = Instant::now();
            let seek = Seek::Forward {
                after: None,
                skip: at,
            };
            let page = store
                .message_page(ListScope::UnifiedInbox, SortOrder::NewestFirst, seek, 200)
                .unwrap();
            (started.elapsed(), page.rows)
        };
        let ((a, rows_a), (b, rows_b)) = if round % 2 == 0 {
            let a = by_offset();
            (a, by_keyset())
        } else {
            let b = by_keyset();
            (by_offset(), b)
        };
        assert_eq!(rows_a, rows_b, "the same page at {at}");
        ratios.push(b.as_secs_f64() / a.as_secs_f64());
        offset.push(a);
        keyset.push(b);
    }
    ratios.sort_by(f64::total_cmp);
    offset.sort();
    keyset.sort();
    println!(
        "deep page at 50,000 of 100,300 (unified inbox), interleaved x5: OFFSET min {:?} median {:?}; keyset (seek from the top) min {:?} median {:?}; keyset/OFFSET median {:.3}",
        offset[0],
        offset[offset.len() / 2],
        keyset[0],
        keyset[keyset.len() / 2],
        ratios[ratios.len() / 2]
    );
}

/// Scrolling while a first sync writes into the same store: another connection (a thread of its
/// own) adds envelopes and then their bodies 200 at a time through the store's own sync-side calls
/// (`add_envelopes`, `add_bodies`, as `sync::fetch` does), at most at the measured sync
/// rate (20,000 messages of ~21 kB in 11.4 s; a debug build writes slower: the rate reached is
/// printed), into a folder of Hanako's; each chunk is reported to the window as a folder done, which
/// reads the list and the folders again — as during a real first sync.
fn frames_while_a_sync_writes(
    person: &mut Person,
    paths: &Paths,
    renderer: &mut iced::Renderer,
    window: iced::Size,
) {
    use iced_test::runtime::user_interface::{Cache, UserInterface};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, mpsc};

    // Envelopes come in chunks of 1,000 in the sync; 200 here, so the window is told more often.
    const CHUNK: usize = 200;
    const MESSAGES_PER_SECOND: f64 = 20_000.0 / 11.4;
    let stop = Arc::new(AtomicBool::new(false));
    let (chunks, arrived) = mpsc::channel::<usize>();
    let writer = {
        let paths = paths.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut store = Store::open_in(&paths).unwrap();
            let folder = store
                .folders()
                .unwrap()
                .iter()
                .find(|f| f.account == HANAKO && f.name == "Archive")
                .unwrap()
                .id;
            let filler =
                "定例会議の議事録と来期の予算案を共有します。 The quarterly report follows. "
                    .repeat(200);
            let now = chrono::Utc::now().timestamp();
            let started = Instant::now();
            let mut written = 0;
            while !stop.load(Ordering::Relaxed) && written < 20_000 {
                let raws: Vec<Vec<u8>> = (written..written + CHUNK)
                    .map(|n| {
                        let mut raw = testing::message(1_000_000 + n, now - n as i64 * 60, true);
                        raw.extend_from_slice(format!("{n} {filler}\r\n").as_bytes());
                        raw
                    })
                    .collect();
                let envelopes: Vec<NewEnvelope> = raws
                    .iter()
                    .enumerate()
                    .map(|(i, raw)| {
                        let header_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        NewEnvelope {
                            server_identity: None,
                            uid: (written + i + 1) as u32,
                            flags: Flags::default(),
                            keywords: Vec::new(),
                            modseq: None,
                            internal_date: Some(now),
                            size: raw.len() as u32,
                            header: raw[..header_end].to_vec(),
                        }
                    })
                    .collect();
                store.add_envelopes(folder, &envelopes).unwrap();
                let bodies: Vec<NewBody> = raws
                    .into_iter()
                    .enumerate()
                    .map(|(i, raw)| NewBody {
                        uid: (written + i + 1) as u32,
                        raw,
                    })
                    .collect();
                store.add_bodies(folder, &bodies).unwrap();
                written += CHUNK;
                let _ = chunks.send(written);
                let due = Duration::from_secs_f64(written as f64 / MESSAGES_PER_SECOND);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            (written, started.elapsed())
        })
    };
    let theme = iced::Theme::Light;
    let style = iced::advanced::renderer::Style {
        text_color: theme.palette().text,
    };
    person.apply(Message::List(list::Message::ToggleConversations(false)));
    person.settle();
    let mut cache = Cache::default();
    let mut frames = Vec::new();
    let mut fetches = Vec::new();
    let mut refreshes = 0;
    // Three seconds of frames (the writer's first chunk is under way at once).
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < Duration::from_secs(3) {
        i += 1;
        while arrived.try_recv().is_ok() {
            refreshes += 1;
            // A first sync reports a folder done (one per folder; here one per chunk: more often
            // than a real one, so the window reads the list again more often than it would).
            let refresh = person.state.synced(&SyncEvent::FolderDone {
                folder: "Archive".into(),
            });
            person.spawn(refresh);
        }
        let frame = Instant::now();
        person.state.list.scroll_y = (i % 200) as f32 * 3.0 * ROW_HEIGHT;
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
            renderer,
        );
        ui.draw(renderer, &theme, &style, iced::mouse::Cursor::Unavailable);
        cache = ui.into_cache();
        frames.push(frame.elapsed());
        let fetch = Instant::now();
        let asked = person.state.list.pending_pages();
        person.spawn(task);
        person.settle();
        if asked > 0 {
            fetches.push(fetch.elapsed());
        }
    }
    stop.store(true, Ordering::Relaxed);
    let (written, took) = writer.join().unwrap();
    println!(
        "a first sync writing meanwhile: {written} messages (envelopes, then bodies of ~21 kB) in {took:.1?} ({:.0}/s) into the same store; the window read the list again {refreshes} times",
        written as f64 / took.as_secs_f64()
    );
    print_frames(
        "scrolling while a first sync writes (update + view + layout + draw)",
        &mut frames,
    );
    print_frames(
        "page fetches while a first sync writes (keyset, 200 rows)",
        &mut fetches,
    );
}

/// The renderer the figures draw with: iced's own, off screen (wgpu where a GPU or a software
/// Vulkan is there, else tiny-skia), as the window draws.
fn headless_renderer(font: iced::Font) -> iced::Renderer {
    use iced::advanced::renderer::Headless;
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(<iced::Renderer as Headless>::new(
            font,
            iced::Pixels(16.0),
            None,
        ))
        .expect("a headless renderer")
}

fn print_frames(what: &str, frames: &mut [Duration]) {
    if frames.is_empty() {
        println!("{what}: none");
        return;
    }
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
