//! A person in front of a screen, for tests: iced's simulator shows the screen and turns clicks and
//! typing into messages; the screen's tasks run on a real runtime (the store on disk, the rig's
//! servers) and what they produce goes back to the screen. One driver for the main window, the
//! composer and the settings (the wizard's tests keep their own: they watch passing phases).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::{BoxStream, SelectAll};
use iced::widget::Id;
use iced::{Element, Subscription, Task};
use iced_test::futures::subscription::{Tracker, into_recipes};
use iced_test::simulator::Simulator;
use tayori::i18n::Lang;

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
            // Only what the task produces for the screen matters here; focus and clipboard
            // actions are the window's.
            self.running.push(
                stream
                    .filter_map(|action| async move {
                        match action {
                            iced_test::runtime::Action::Output(message) => Some(message),
                            _ => None,
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
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = self
                .runtime
                .block_on(async { tokio::time::timeout(left, self.running.next()).await });
            match next {
                Ok(Some(message)) => self.apply(message),
                Ok(None) => return,
                Err(_) => panic!("the window's tasks did not finish in 60 s"),
            }
        }
    }

    /// Draws the screen into `target/screenshots/<name>-<renderer>.png` (look at it).
    pub fn picture(&self, name: &str, theme: &iced::Theme) {
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

impl Screen for crate::ui::App {
    type Message = crate::ui::app::Message;
    fn update(&mut self, message: Self::Message) -> Task<Self::Message> {
        crate::ui::App::update(self, message)
    }
    fn view(&self, _lang: Lang) -> Element<'_, Self::Message> {
        crate::ui::App::view(self)
    }
    fn subscription(&self) -> Subscription<Self::Message> {
        crate::ui::App::subscription(self)
    }
}

impl Screen for crate::ui::screen::mailbox::State {
    type Message = crate::ui::screen::mailbox::Message;
    fn update(&mut self, message: Self::Message) -> Task<Self::Message> {
        crate::ui::screen::mailbox::State::update(self, message).0
    }
    fn view(&self, lang: Lang) -> Element<'_, Self::Message> {
        crate::ui::screen::mailbox::State::view(self, lang)
    }
}
