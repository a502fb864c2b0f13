//! The application: which screen is showing, the messages that move between them, and what runs
//! whatever screen is shown — the sync engines and the outbox worker (`background`).
//!
//! Screens never build one another: a screen says what it wants (the mailbox's
//! `Event::Compose`), and the application builds the next screen (iced's "Scaling Applications").

#[cfg(test)]
mod tests;

use iced::{Element, Subscription, Task, Theme};
use tayori::account::Account;
use tayori::config::{LanguageChoice, Paths, Settings, ThemeChoice};
use tayori::i18n::{Lang, Text};

use super::background::{self, Background};
use super::context::Context;
use super::db::Db;
use super::notify;
use super::screen::{composer, mailbox, settings, wizard};
use super::window_state::WindowState;

pub struct App {
    lang: Lang,
    context: Context,
    /// The saved accounts, their sync engines and the outbox, whatever screen is shown.
    background: Background,
    screen: Screen,
    /// The message being written, over the main window (which goes on syncing underneath).
    composer: Option<Box<composer::State>>,
    /// The settings, over the main window (which goes on syncing underneath).
    settings: Option<Box<settings::State>>,
    /// Where the window is, to open it there next time.
    window: WindowState,
    /// The window's scale factor, once the system said it: HTML mail is painted at it.
    scale_factor: Option<f32>,
}

pub enum Screen {
    Wizard(Box<wizard::State>),
    Mailbox(Box<mailbox::State>),
}

#[derive(Debug, Clone)]
pub enum Message {
    Wizard(wizard::Message),
    Mailbox(mailbox::Message),
    Composer(composer::Message),
    Settings(settings::Message),
    /// An account's sync engine or the outbox worker reported.
    Background(background::Report),
    /// The window moved or was resized; whether it is maximised now.
    WindowChanged(iced::window::Event, bool),
    WindowEvent(iced::window::Id, iced::window::Event),
    /// The window's scale factor, asked for when it opened or reported when it changed.
    ScaleFactor(f32),
    /// The window is closing: its place is saved first.
    WindowClosing(WindowAtClose),
    WindowSaved,
    PreferencesSaved(Result<(), String>),
}

/// The window as the system reports it when the person closes it.
#[derive(Debug, Clone, Copy)]
pub struct WindowAtClose {
    maximized: bool,
    size: iced::Size,
    position: Option<iced::Point>,
}

impl App {
    /// No account yet → the wizard; otherwise the mailbox.
    pub fn new(
        paths: Paths,
        settings: Settings,
        mailto: Option<tayori::mailto::MailtoLink>,
    ) -> (Self, Task<Message>) {
        Self::with_context(Context::new(paths, settings), mailto)
    }

    /// Where the window opens (read once by `ui::run`, which opens it there): what is saved when
    /// it closes starts from this.
    pub fn with_window(mut self, window: WindowState) -> Self {
        self.window = window;
        self
    }

    pub fn with_context(
        context: Context,
        mailto: Option<tayori::mailto::MailtoLink>,
    ) -> (Self, Task<Message>) {
        // The account list is one small file, read once before the first frame so the right screen
        // shows at once (no flash of the wizard for people who have accounts). A list that cannot
        // be read is not an empty one: never offer to start over on top of it.
        let background = Background::read(&context.paths);
        let (screen, task) = if background.accounts().is_empty() && background.problem().is_none() {
            (
                Screen::Wizard(Box::new(wizard::State::new(context.clone(), false))),
                wizard::State::focus().map(Message::Wizard),
            )
        } else {
            let state = mailbox::State::new(context.clone());
            let load = state.load(&background).map(Message::Mailbox);
            (Screen::Mailbox(Box::new(state)), load)
        };
        let mut app = Self {
            lang: context.settings.ui.language.lang(),
            window: WindowState::default(),
            scale_factor: None,
            context,
            background,
            screen,
            composer: None,
            settings: None,
        };
        // The window's scale factor, for HTML mail painted at the screen's density (asked here
        // too: the window may open before the window events are listened to).
        let scale = iced::window::oldest()
            .and_then(iced::window::scale_factor)
            .map(Message::ScaleFactor);
        // A `mailto:` link opens the composer filled from it, over the mailbox. Without an account
        // the wizard comes first; the link is kept in the log rather than dropped silently.
        let mut task = Task::batch([task, scale]);
        if let Some(link) = mailto {
            match &app.screen {
                Screen::Mailbox(_) => {
                    task = Task::batch([task, app.compose(mailbox::Compose::Link(link), None)]);
                }
                Screen::Wizard(_) => tracing::info!(
                    recipients = link.to.len(),
                    "mailto link received before any account was added; add one, then open the link again"
                ),
            }
        }
        (app, task)
    }

    /// The message being written, if one is.
    #[cfg(test)]
    pub fn composer(&self) -> Option<&composer::State> {
        self.composer.as_deref()
    }

    #[cfg(test)]
    pub fn settings_screen(&self) -> Option<&settings::State> {
        self.settings.as_deref()
    }

    #[cfg(test)]
    pub fn lang(&self) -> Lang {
        self.lang
    }

    #[cfg(test)]
    pub fn mailbox(&self) -> Option<&mailbox::State> {
        match &self.screen {
            Screen::Mailbox(state) => Some(state),
            Screen::Wizard(_) => None,
        }
    }

    #[cfg(test)]
    pub fn background(&self) -> &Background {
        &self.background
    }

    pub fn title(&self) -> String {
        self.lang.text(Text::AppName).to_string()
    }

    /// As chosen in the settings; `None` follows the system's light or dark mode.
    pub fn theme(&self) -> Option<Theme> {
        match self.context.settings.ui.theme {
            ThemeChoice::System => None,
            ThemeChoice::Light => Some(Theme::Light),
            ThemeChoice::Dark => Some(Theme::Dark),
        }
    }

    /// The quick language switch (wizard, sidebar): remembered as the chosen language.
    fn switch_language(&mut self) -> Task<Message> {
        self.lang = self.lang.other();
        let mut settings = self.context.settings.clone();
        settings.ui.language = match self.lang {
            Lang::En => LanguageChoice::En,
            Lang::Ja => LanguageChoice::Ja,
        };
        self.apply_settings(settings)
    }

    /// New settings: used at once by every screen, and saved in the background. A new download
    /// range restarts the sync engines so they follow it at once.
    fn apply_settings(&mut self, settings: Settings) -> Task<Message> {
        self.lang = settings.ui.language.lang();
        if settings.sync != self.context.settings.sync {
            self.background.restart_all();
        }
        self.context.settings = settings.clone();
        if let Screen::Mailbox(state) = &mut self.screen {
            state.apply_settings(settings.clone());
        }
        let paths = self.context.paths.clone();
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || settings.save_preferences(&paths))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())
            },
            Message::PreferencesSaved,
        )
    }

    fn on_window(&mut self, id: iced::window::Id, event: iced::window::Event) -> Task<Message> {
        use iced::window::Event;
        match event {
            Event::Moved(_) | Event::Resized(_) => iced::window::is_maximized(id)
                .map(move |maximized| Message::WindowChanged(event.clone(), maximized)),
            Event::Opened { .. } => iced::window::scale_factor(id).map(Message::ScaleFactor),
            Event::Rescaled(scale) => Task::done(Message::ScaleFactor(scale)),
            // Where and how large the window is now is asked for at the end too: not every system
            // reports moves (an X11 window moved without a window manager sends none), and the
            // answer to the last resize's `is_maximized` may arrive after the close request's.
            Event::CloseRequested => iced::window::is_maximized(id).then(move |maximized| {
                iced::window::size(id).then(move |size| {
                    iced::window::position(id).map(move |position| {
                        Message::WindowClosing(WindowAtClose {
                            maximized,
                            size,
                            position,
                        })
                    })
                })
            }),
            _ => Task::none(),
        }
    }

    fn save_window(&mut self, at_close: WindowAtClose) -> Task<Message> {
        self.window.record(
            &iced::window::Event::Resized(at_close.size),
            at_close.maximized,
        );
        if let Some(position) = at_close.position {
            self.window
                .record(&iced::window::Event::Moved(position), at_close.maximized);
        }
        let window = self.window;
        let data_dir = self.context.paths.data_dir.clone();
        Task::perform(
            async move {
                let saved = tokio::task::spawn_blocking(move || window.save(&data_dir)).await;
                if let Ok(Err(error)) = saved {
                    tracing::warn!("the window's place could not be saved: {error}");
                }
            },
            |()| Message::WindowSaved,
        )
    }

    fn update_settings(&mut self, message: settings::Message) -> Task<Message> {
        let Some(state) = &mut self.settings else {
            return Task::none();
        };
        let (task, event) = state.update(message);
        let task = task.map(Message::Settings);
        match event {
            None => task,
            Some(settings::Event::Close) => {
                self.settings = None;
                task
            }
            Some(settings::Event::Changed(settings)) => {
                Task::batch([task, self.apply_settings(*settings)])
            }
            Some(settings::Event::SignedIn(email)) => {
                self.background.signed_in_again(&email);
                if let Screen::Mailbox(state) = &mut self.screen {
                    state.signed_in_again(&email);
                }
                task
            }
            Some(settings::Event::CheckImapAgain(email)) => {
                self.background.check_imap_again(&email);
                task
            }
            Some(settings::Event::Added(account)) => {
                tracing::info!(account = account.email, "shared mailbox added");
                // The main window starts again from the account list, the new one's engine with it.
                Task::batch([task, self.show_mailbox(Some(*account))])
            }
            Some(settings::Event::Removed(email)) => {
                tracing::info!(account = email, "account removed from this computer");
                // The mailbox starts again from the account list; with no account left, the
                // wizard comes instead, once the person has read in the settings what the
                // removal did (and closed them).
                let load = self.show_mailbox(None);
                Task::batch([task, load])
            }
        }
    }

    /// The main window, afresh from the account list (after the wizard, or an account removed).
    /// The engines of the accounts still there go on.
    fn show_mailbox(&mut self, added: Option<Account>) -> Task<Message> {
        let (mut accounts, problem) = background::read_accounts(&self.context.paths);
        if let Some(added) = added
            && !accounts.iter().any(|a| a.email == added.email)
        {
            accounts.push(added);
        }
        let empty = accounts.is_empty() && problem.is_none();
        self.background.set_accounts(accounts, problem);
        if empty {
            self.screen = Screen::Wizard(Box::new(wizard::State::new(self.context.clone(), false)));
            return wizard::State::focus().map(Message::Wizard);
        }
        // A new main window: the outbox panel starts closed, as everything else in it.
        self.background.outbox.open = false;
        self.background.outbox.discarding = None;
        let state = mailbox::State::new(self.context.clone());
        let load = state.load(&self.background).map(Message::Mailbox);
        self.screen = Screen::Mailbox(Box::new(state));
        match self.scale_factor {
            Some(scale) => Task::batch([
                load,
                Task::done(Message::Mailbox(mailbox::Message::ScaleFactor(scale))),
            ]),
            None => load,
        }
    }

    /// Opens the composer for `intent`, over the main window (the parent builds the next screen).
    fn compose(&mut self, intent: mailbox::Compose, db: Option<Db>) -> Task<Message> {
        let composer = composer_for(&self.context, self.background.accounts(), db, intent);
        self.composer = Some(Box::new(composer));
        composer::State::focus().map(Message::Composer)
    }

    /// An engine or the outbox worker reported: kept by the application, followed by the main
    /// window if it is shown, and new mail notified — whatever screen is shown.
    fn on_background(&mut self, report: background::Report) -> Task<Message> {
        match report {
            background::Report::Outbox(update) => {
                self.background.outbox.report(update);
                Task::none()
            }
            background::Report::Sync(email, update) => {
                let Some(event) = self.background.synced(email.clone(), update) else {
                    return Task::none();
                };
                let follow = match &mut self.screen {
                    Screen::Mailbox(state) => state.synced(&event).map(Message::Mailbox),
                    Screen::Wizard(_) => Task::none(),
                };
                // Here, where the window's language and the current settings are.
                let notice = match &event {
                    tayori::sync::SyncEvent::NewMail { .. } => {
                        notify::new_mail(&self.context.settings, self.lang, &email, &event)
                    }
                    _ => Task::none(),
                };
                Task::batch([follow, notice])
            }
        }
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        let message = match message {
            Message::Settings(message) => return self.update_settings(message),
            Message::Background(report) => return self.on_background(report),
            Message::WindowEvent(id, event) => return self.on_window(id, event),
            Message::ScaleFactor(scale) => {
                // Kept for a main window opened later (after the wizard); told to this one.
                self.scale_factor = Some(scale);
                return self.update(Message::Mailbox(mailbox::Message::ScaleFactor(scale)));
            }
            Message::WindowChanged(event, maximized) => {
                self.window.record(&event, maximized);
                return Task::none();
            }
            Message::WindowClosing(at_close) => return self.save_window(at_close),
            Message::WindowSaved => return iced::exit(),
            Message::PreferencesSaved(result) => {
                if let Err(error) = &result {
                    tracing::warn!("the settings could not be saved: {error}");
                }
                // The settings screen, if open, says so where the choice was made.
                return match &mut self.settings {
                    Some(_) => self.update_settings(settings::Message::Saved(result)),
                    None => Task::none(),
                };
            }
            message => message,
        };
        if let Message::Composer(message) = message {
            let Some(composer) = &mut self.composer else {
                return Task::none();
            };
            let (task, event) = composer.update(message);
            if let Some(composer::Event::Close) = event {
                self.composer = None;
            }
            return task.map(Message::Composer);
        }
        // While a message is being written or the settings are open, the keys are theirs, not
        // the list's.
        if (self.composer.is_some() || self.settings.is_some())
            && matches!(message, Message::Mailbox(mailbox::Message::Key(_)))
        {
            return Task::none();
        }
        match (&mut self.screen, message) {
            (Screen::Wizard(state), Message::Wizard(message)) => {
                let (task, event) = state.update(message);
                let task = task.map(Message::Wizard);
                match event {
                    Some(wizard::Event::SwitchLanguage) => {
                        Task::batch([task, self.switch_language()])
                    }
                    Some(wizard::Event::Finished(account)) => self.show_mailbox(Some(*account)),
                    Some(wizard::Event::Left) => self.show_mailbox(None),
                    None => task,
                }
            }
            (Screen::Mailbox(state), Message::Mailbox(message)) => {
                let (task, event) = state.update(message, &mut self.background);
                let task = task.map(Message::Mailbox);
                match event {
                    Some(mailbox::Event::SwitchLanguage) => {
                        Task::batch([task, self.switch_language()])
                    }
                    Some(mailbox::Event::OpenSettings) => {
                        tracing::info!("settings opened");
                        self.settings = Some(Box::new(settings::State::new(
                            self.context.clone(),
                            self.background.accounts().to_vec(),
                        )));
                        task
                    }
                    Some(mailbox::Event::AddAccount) => {
                        self.screen = Screen::Wizard(Box::new(wizard::State::new(
                            self.context.clone(),
                            true,
                        )));
                        wizard::State::focus().map(Message::Wizard)
                    }
                    Some(mailbox::Event::Compose(intent)) => {
                        let db = state.db();
                        Task::batch([task, self.compose(intent, db)])
                    }
                    // A composer opened by a mailto: link before the store was open completes
                    // addresses too.
                    Some(mailbox::Event::StoreOpened(db)) => {
                        if let Some(composer) = &mut self.composer {
                            composer.offer_store(db);
                        }
                        task
                    }
                    Some(mailbox::Event::LoadRemoteImagesFrom(address)) => {
                        let mut settings = self.context.settings.clone();
                        if !settings.ui.loads_remote_images_from(&address) {
                            settings.ui.remote_images_from.push(address.to_lowercase());
                        }
                        Task::batch([task, self.apply_settings(settings)])
                    }
                    None => task,
                }
            }
            // A message for a screen that is no longer showing (a late task result): nothing to do.
            _ => Task::none(),
        }
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let screen = match &self.screen {
            Screen::Wizard(state) => state.subscription().map(Message::Wizard),
            Screen::Mailbox(state) => state.subscription().map(Message::Mailbox),
        };
        Subscription::batch([
            screen,
            // Whatever screen is shown: "Add account" stops no engine and no sending.
            self.background
                .subscription(&self.context)
                .map(Message::Background),
            iced::window::events().map(|(id, event)| Message::WindowEvent(id, event)),
        ])
    }

    pub fn view(&self) -> Element<'_, Message> {
        if let Some(settings) = &self.settings {
            return settings.view(self.lang).map(Message::Settings);
        }
        if let Some(composer) = &self.composer {
            return composer.view(self.lang).map(Message::Composer);
        }
        match &self.screen {
            Screen::Wizard(state) => state.view(self.lang).map(Message::Wizard),
            Screen::Mailbox(state) => state
                .view(self.lang, &self.background)
                .map(Message::Mailbox),
        }
    }
}

/// The composer for what the main window asked to write, from every account (the parent builds
/// the next screen: the mailbox never names the composer).
pub fn composer_for(
    context: &Context,
    accounts: &[Account],
    db: Option<Db>,
    intent: mailbox::Compose,
) -> composer::State {
    let (context, accounts) = (context.clone(), accounts.to_vec());
    match intent {
        mailbox::Compose::New => composer::State::new(context, accounts, db),
        mailbox::Compose::Link(link) => composer::State::from_mailto(context, accounts, db, &link),
        mailbox::Compose::Draft { account, draft } => {
            composer::State::from_draft(context, accounts, db, &account, *draft)
        }
    }
}
