//! The first screen a person sees. For now it introduces Tayori; the account wizard replaces its body.

use iced::widget::{button, column, container, text};
use iced::{Center, Element, Fill};
use tayori::i18n::{Lang, Text};

#[derive(Debug, Default)]
pub struct State;

#[derive(Debug, Clone)]
pub enum Message {
    SwitchLanguage,
}

/// What the screen asks of the application.
pub enum Event {
    SwitchLanguage,
}

impl State {
    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::SwitchLanguage => Some(Event::SwitchLanguage),
        }
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        let content = column![
            text(lang.text(Text::AppName)).size(40),
            text(lang.text(Text::Tagline)).size(18),
            text(lang.text(Text::WelcomeBody)).size(15),
            text(lang.text(Text::AddAccountSoon)).size(13),
            button(text(lang.text(Text::SwitchLanguage)))
                .style(button::secondary)
                .on_press(Message::SwitchLanguage),
        ]
        .spacing(18)
        .align_x(Center)
        .max_width(640);
        container(content).center(Fill).padding(32).into()
    }
}
