//! The application: which screen is showing, and the messages that move between them.

use iced::{Element, Task, Theme};
use tayori::config::Paths;
use tayori::i18n::{Lang, Text};

use super::screen::welcome;

pub struct App {
    lang: Lang,
    screen: Screen,
    /// Kept for the screens that will read and write the store.
    #[allow(dead_code)]
    paths: Paths,
}

enum Screen {
    Welcome(welcome::State),
}

#[derive(Debug, Clone)]
pub enum Message {
    Welcome(welcome::Message),
}

impl App {
    pub fn new(paths: Paths, mailto: Option<tayori::mailto::MailtoLink>) -> Self {
        if let Some(link) = &mailto {
            // The composer arrives with the GUI issue; until then say so in the log rather than drop it silently.
            tracing::info!(
                recipients = link.to.len(),
                "mailto link received; the composer is not available yet"
            );
        }
        Self {
            lang: Lang::from_system(),
            screen: Screen::Welcome(welcome::State),
            paths,
        }
    }

    pub fn title(&self) -> String {
        self.lang.text(Text::AppName).to_string()
    }

    /// `None` follows the system's light or dark mode.
    pub fn theme(&self) -> Option<Theme> {
        None
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match (&mut self.screen, message) {
            (Screen::Welcome(state), Message::Welcome(message)) => {
                match state.update(message) {
                    Some(welcome::Event::SwitchLanguage) => self.lang = self.lang.other(),
                    None => {}
                }
                Task::none()
            }
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        match &self.screen {
            Screen::Welcome(state) => state.view(self.lang).map(Message::Welcome),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_language_changes_the_title() {
        let root = tempfile::tempdir().unwrap();
        let mut app = App::new(Paths::under(root.path()), None);
        let before = app.lang;
        let _ = app.update(Message::Welcome(welcome::Message::SwitchLanguage));
        assert_eq!(app.lang, before.other());
        assert_eq!(app.title(), app.lang.text(Text::AppName));
    }
}
