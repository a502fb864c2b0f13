//! The application: which screen is showing, and the messages that move between them.

use iced::{Element, Subscription, Task, Theme};
use tayori::account::{Account, Accounts};
use tayori::config::{LanguageChoice, Paths, Settings, ThemeChoice};
use tayori::i18n::{Lang, Text};

use super::context::Context;
use super::screen::{composer, mailbox, settings, wizard};
use super::window_state::WindowState;

pub struct App {
    lang: Lang,
    context: Context,
    screen: Screen,
    /// The message being written, over the main window (which goes on syncing underneath).
    composer: Option<Box<composer::State>>,
    /// The settings, over the main window (which goes on syncing underneath).
    settings: Option<Box<settings::State>>,
    /// Where the window is, to open it there next time.
    window: WindowState,
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
    /// The window moved or was resized; whether it is maximised now.
    WindowChanged(iced::window::Event, bool),
    WindowEvent(iced::window::Id, iced::window::Event),
    /// The window is closing: its place is saved first.
    WindowClosing(Option<iced::Point>),
    WindowSaved,
    PreferencesSaved(Result<(), String>),
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
        // shows at once (no flash of the wizard for people who have accounts).
        let (screen, task) = match Accounts::new(&context.paths).list() {
            Ok(accounts) if accounts.is_empty() => (
                Screen::Wizard(Box::new(wizard::State::new(context.clone(), false))),
                wizard::State::focus().map(Message::Wizard),
            ),
            Ok(accounts) => {
                let state = mailbox::State::new(context.clone(), accounts, None);
                let load = state.load().map(Message::Mailbox);
                (Screen::Mailbox(Box::new(state)), load)
            }
            // A list that cannot be read is not an empty one: never offer to start over on top of it.
            Err(error) => {
                let state =
                    mailbox::State::new(context.clone(), Vec::new(), Some(error.to_string()));
                let load = state.load().map(Message::Mailbox);
                (Screen::Mailbox(Box::new(state)), load)
            }
        };
        // A `mailto:` link opens the composer filled from it, over the mailbox. Without an account
        // the wizard comes first; the link is kept in the log rather than dropped silently.
        let mut composer = None;
        let mut task = task;
        if let Some(link) = &mailto {
            match &screen {
                Screen::Mailbox(state) => {
                    composer = Some(Box::new(state.composer_for_link(link)));
                    task = Task::batch([task, composer::State::focus().map(Message::Composer)]);
                }
                Screen::Wizard(_) => tracing::info!(
                    recipients = link.to.len(),
                    "mailto link received before any account was added; add one, then open the link again"
                ),
            }
        }
        (
            Self {
                lang: context.settings.ui.language.lang(),
                window: WindowState::default(),
                context,
                screen,
                composer,
                settings: None,
            },
            task,
        )
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

    /// New settings: used at once by every screen, and saved in the background.
    fn apply_settings(&mut self, settings: Settings) -> Task<Message> {
        self.lang = settings.ui.language.lang();
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
            // Where the window is now is asked for at the end too: not every system reports moves
            // (an X11 window moved without a window manager sends none).
            Event::CloseRequested => iced::window::position(id).map(Message::WindowClosing),
            _ => Task::none(),
        }
    }

    fn save_window(&mut self, position: Option<iced::Point>) -> Task<Message> {
        if let Some(position) = position
            && !self.window.maximized
        {
            self.window
                .record(&iced::window::Event::Moved(position), false);
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
                if let Screen::Mailbox(state) = &mut self.screen {
                    state.signed_in_again(&email);
                }
                task
            }
            Some(settings::Event::Removed(email)) => {
                tracing::info!(account = email, "account removed from this computer");
                // The mailbox starts again from the account list; with no account left, the
                // wizard comes instead (and the settings close).
                let load = self.show_mailbox(None);
                if matches!(self.screen, Screen::Wizard(_)) {
                    self.settings = None;
                }
                Task::batch([task, load])
            }
        }
    }

    fn show_mailbox(&mut self, added: Option<Account>) -> Task<Message> {
        let (mut accounts, problem) = match Accounts::new(&self.context.paths).list() {
            Ok(accounts) => (accounts, None),
            Err(error) => (Vec::new(), Some(error.to_string())),
        };
        if let Some(added) = added
            && !accounts.iter().any(|a| a.email == added.email)
        {
            accounts.push(added);
        }
        if accounts.is_empty() && problem.is_none() {
            self.screen = Screen::Wizard(Box::new(wizard::State::new(self.context.clone(), false)));
            return wizard::State::focus().map(Message::Wizard);
        }
        let state = mailbox::State::new(self.context.clone(), accounts, problem);
        let load = state.load().map(Message::Mailbox);
        self.screen = Screen::Mailbox(Box::new(state));
        load
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        let message = match message {
            Message::Settings(message) => return self.update_settings(message),
            Message::WindowEvent(id, event) => return self.on_window(id, event),
            Message::WindowChanged(event, maximized) => {
                self.window.record(&event, maximized);
                return Task::none();
            }
            Message::WindowClosing(position) => return self.save_window(position),
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
        // A composer opened by a mailto: link before the store was open completes addresses too.
        if let (Message::Mailbox(mailbox::Message::StoreOpened(Ok(db))), Some(composer)) =
            (&message, &mut self.composer)
        {
            composer.offer_store(db.clone());
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
                let (task, event) = state.update(message);
                let task = task.map(Message::Mailbox);
                match event {
                    Some(mailbox::Event::SwitchLanguage) => {
                        Task::batch([task, self.switch_language()])
                    }
                    Some(mailbox::Event::OpenSettings) => {
                        self.settings = Some(Box::new(settings::State::new(
                            self.context.clone(),
                            state.accounts().to_vec(),
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
                    Some(mailbox::Event::Compose(composer)) => {
                        self.composer = Some(composer);
                        Task::batch([task, composer::State::focus().map(Message::Composer)])
                    }
                    // Here, where the window's language and the current settings are.
                    Some(mailbox::Event::NewMail(email, event)) => Task::batch([
                        task,
                        mailbox::notify::new_mail(
                            &self.context.settings,
                            self.lang,
                            &email,
                            &event,
                        ),
                    ]),
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
            Screen::Mailbox(state) => state.view(self.lang).map(Message::Mailbox),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Screen::Mailbox(state) => assert_eq!(state.accounts()[0].email, "hanako@example.test"),
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
}

#[cfg(test)]
mod background_tests {
    use std::time::Duration;

    use tayori::account::{AccountAuth, Server};
    use tayori::auth::keyring_store::{self, SecretKind};
    use tayori::discovery::Security;
    use tayori::redact::Secret;
    use tayori::store::{SortOrder, Store};

    use super::*;
    use crate::ui::testing::Person;

    /// A private rig user: no other test reads or writes this mailbox.
    const EMAIL: &str = "s20@example.test";
    const PASSWORD: &str = "s20-app-password";

    /// The message with this subject in the account's inbox, as the window's store holds it.
    fn stored(paths: &Paths, subject: &str) -> bool {
        let Ok(store) = Store::open_in(paths) else {
            return false;
        };
        let Ok(Some(inbox)) = store.folder_by_name(EMAIL, "INBOX") else {
            return false;
        };
        store
            .messages(inbox.id, SortOrder::NewestFirst, 0, 1000)
            .is_ok_and(|rows| rows.iter().any(|m| m.subject == subject))
    }

    /// "Add account" shows the wizard in place of the main window, but the accounts already there
    /// go on: mail that arrives while the wizard is open reaches the store, and a message waiting in
    /// the outbox is sent (the rig's Dovecot and Postfix, through the application's subscriptions
    /// run as the window's runtime runs them).
    #[test]
    fn sync_and_sending_go_on_while_the_wizard_adds_an_account() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        paths.create_all().unwrap();
        let server = |port| Server {
            host: "mail.example.test".into(),
            port,
            security: Security::Tls,
            username: EMAIL.into(),
        };
        let account = Account {
            email: EMAIL.into(),
            display_name: None,
            provider: None,
            imap: server(10993),
            smtp: server(10465),
            auth: AccountAuth::Password,
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
        };
        Accounts::new(&paths).upsert(account.clone()).unwrap();
        let context = Context {
            paths: paths.clone(),
            settings: toml::from_str("[network]\ndns_server = \"127.0.0.1:10053\"\n").unwrap(),
            browser: tayori::auth::browser::Browser::Command("true".into()),
        };
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime
            .block_on(keyring_store::save(
                EMAIL,
                SecretKind::AppPassword,
                &Secret::new(PASSWORD),
            ))
            .expect("keyring (run through tests/rig/with-secret-service.sh)");
        // The server's inbox starts empty.
        let net = tayori::account::setup::Net::from_settings(&context.settings).unwrap();
        let credentials = tayori::imap::Credentials::Password(Secret::new(PASSWORD));
        let mut session = runtime.block_on(async {
            let mut session = tayori::imap::login(&net.dns, &account.imap, &credentials)
                .await
                .expect("s20 signs in on the rig");
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
        });

        let (app, task) = App::with_context(context, None);
        let mut person = Person::with_runtime(app, Lang::En, runtime);
        person.spawn(task);
        person.run_subscriptions();
        let lang = person.state.lang();
        let first_pass = paths.clone();
        person.settle_within(Duration::from_secs(60), "the first sync pass", move |_| {
            Store::open_in(&first_pass)
                .and_then(|store| store.folder_by_name(EMAIL, "INBOX"))
                .is_ok_and(|inbox| inbox.is_some())
        });

        // "Add account": the wizard shows instead of the main window.
        person.click(lang.text(Text::AddAccount));
        assert!(person.sees(lang.text(Text::AddressHeading)));

        // Meanwhile mail arrives, and a message is waiting in the outbox.
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let arrived = format!("Arrived while adding an account {stamp}");
        let raw = format!(
            "From: Ken Sato <ken.sato@example.co.jp>\r\nTo: {EMAIL}\r\nSubject: {arrived}\r\n\
             Message-ID: <arrived-{stamp}@example.co.jp>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n新しいアカウントを追加中に届いたメールです。\r\n"
        );
        person
            .runtime
            .block_on(session.append("INBOX", None, None, raw.as_bytes()))
            .unwrap();
        let queued = format!("Sent while adding an account {stamp}");
        let mut draft = tayori::compose::Draft::new(tayori::compose::Mailbox::new(None, EMAIL));
        draft.to.push(tayori::compose::Mailbox::new(None, EMAIL));
        draft.subject = queued.clone();
        draft.body = "アカウント追加中の送信です。\n".into();
        let outbox = tayori::outbox::Outbox::open_in(&paths.data_dir).unwrap();
        let waiting = outbox
            .enqueue(EMAIL, &queued, &draft.build().unwrap(), None)
            .unwrap();

        // Both happen while the wizard is still what the window shows.
        let (store_paths, outbox_dir) = (paths.clone(), paths.data_dir.clone());
        person.settle_within(
            Duration::from_secs(90),
            "sync and sending while the wizard is open",
            move |_| {
                let sent = tayori::outbox::Outbox::open_in(&outbox_dir)
                    .and_then(|outbox| outbox.entry(waiting))
                    .is_ok_and(|entry| entry.state == tayori::outbox::State::Sent);
                sent && stored(&store_paths, &arrived) && stored(&store_paths, &queued)
            },
        );
        assert!(
            person.sees(lang.text(Text::AddressHeading)),
            "the wizard was open throughout"
        );
        assert!(person.state.mailbox().is_none());
        let _ = person.runtime.block_on(session.logout());
        let _ = person
            .runtime
            .block_on(keyring_store::delete(EMAIL, SecretKind::AppPassword));
    }
}
