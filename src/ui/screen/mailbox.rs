//! The main window. For now it lists the configured accounts with their state and offers "Add
//! account"; folders, the message list and the reader replace its body when the mail store lands.

use iced::widget::{Space, button, column, container, row, rule, scrollable, text};
use iced::{Center, Element, Fill, Length};
use tayori::account::Account;
use tayori::i18n::{Lang, Text, fill};

use crate::ui::style;

pub struct State {
    accounts: Vec<Account>,
    /// Why the account list could not be read, if it could not.
    problem: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    SwitchLanguage,
    AddAccount,
}

/// What the screen asks of the application.
pub enum Event {
    SwitchLanguage,
    AddAccount,
}

impl State {
    pub fn new(accounts: Vec<Account>, problem: Option<String>) -> Self {
        Self { accounts, problem }
    }

    #[cfg(test)]
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::SwitchLanguage => Some(Event::SwitchLanguage),
            Message::AddAccount => Some(Event::AddAccount),
        }
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        let mut list = column![].spacing(4);
        for account in &self.accounts {
            let state = match &account.needs_sign_in {
                Some(_) => text(lang.text(Text::AccountNeedsSignIn))
                    .size(style::TINY)
                    .style(style::danger),
                None => text(lang.text(Text::AccountReady))
                    .size(style::TINY)
                    .style(style::success),
            };
            let mut lines = column![].spacing(2);
            if let Some(name) = account.display_name.as_deref().filter(|n| !n.is_empty()) {
                lines = lines.push(text(name).size(style::BODY).font(style::bold()));
            }
            lines = lines
                .push(text(&account.email).size(style::SMALL))
                .push(state);
            list = list.push(container(lines).padding([8, 12]).width(Fill));
        }
        let sidebar = container(
            column![
                text(lang.text(Text::AccountsHeading))
                    .size(style::SMALL)
                    .font(style::bold())
                    .style(style::muted),
                scrollable(list).height(Fill),
                button(text(lang.text(Text::AddAccount)).size(style::SMALL))
                    .style(style::outline_button)
                    .padding([8, 12])
                    .width(Fill)
                    .on_press(Message::AddAccount),
            ]
            .spacing(10),
        )
        .padding(14)
        .width(Length::Fixed(260.0))
        .height(Fill)
        .style(style::backdrop);

        let mut body = column![
            text(lang.text(Text::AppName))
                .size(style::TITLE)
                .font(style::bold()),
            text(lang.text(Text::MailboxPlaceholder))
                .size(style::BODY)
                .style(style::muted),
        ]
        .spacing(12)
        .max_width(560);
        if let Some(problem) = &self.problem {
            body = body.push(
                container(
                    text(fill(
                        lang.text(Text::AccountsUnreadable),
                        &[("detail", problem)],
                    ))
                    .size(style::SMALL),
                )
                .padding(12)
                .style(style::problem),
            );
        }
        let top = row![
            Space::new().width(Fill),
            button(text(lang.text(Text::SwitchLanguage)).size(style::SMALL))
                .style(style::link_button)
                .on_press(Message::SwitchLanguage),
        ]
        .align_y(Center);
        row![
            sidebar,
            rule::vertical(1),
            column![top, container(body).center(Fill)]
                .padding(16)
                .width(Fill),
        ]
        .into()
    }
}
