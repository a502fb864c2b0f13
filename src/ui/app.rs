//! The application: which screen is showing, and the messages that move between them.

use iced::{Element, Subscription, Task, Theme};
use tayori::account::{Account, Accounts};
use tayori::config::{Paths, Settings};
use tayori::i18n::{Lang, Text};

use super::context::Context;
use super::screen::{composer, mailbox, wizard};

pub struct App {
    lang: Lang,
    context: Context,
    screen: Screen,
    /// The message being written, over the main window (which goes on syncing underneath).
    composer: Option<Box<composer::State>>,
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
                lang: Lang::from_system(),
                context,
                screen,
                composer,
            },
            task,
        )
    }

    /// The message being written, if one is.
    #[cfg(test)]
    pub fn composer(&self) -> Option<&composer::State> {
        self.composer.as_deref()
    }

    pub fn title(&self) -> String {
        self.lang.text(Text::AppName).to_string()
    }

    /// `None` follows the system's light or dark mode.
    pub fn theme(&self) -> Option<Theme> {
        None
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
        let state = mailbox::State::new(self.context.clone(), accounts, problem);
        let load = state.load().map(Message::Mailbox);
        self.screen = Screen::Mailbox(Box::new(state));
        load
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
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
        // While a message is being written, the keys are the composer's, not the list's.
        if self.composer.is_some() && matches!(message, Message::Mailbox(mailbox::Message::Key(_)))
        {
            return Task::none();
        }
        match (&mut self.screen, message) {
            (Screen::Wizard(state), Message::Wizard(message)) => {
                let (task, event) = state.update(message);
                let task = task.map(Message::Wizard);
                match event {
                    Some(wizard::Event::SwitchLanguage) => {
                        self.lang = self.lang.other();
                        task
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
                        self.lang = self.lang.other();
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
        match &self.screen {
            Screen::Wizard(state) => state.subscription().map(Message::Wizard),
            Screen::Mailbox(state) => state.subscription().map(Message::Mailbox),
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
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
