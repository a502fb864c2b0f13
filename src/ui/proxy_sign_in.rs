//! The proxy's user name and password, asked in the window where a proxy answered 407 to Tayori
//! (the same as `tayori proxy sign-in`): kept in the system keyring under the proxy's `host:port`,
//! never in a file, and sent by the core only over the encrypted connection to that proxy.

use iced::widget::{button, column, row, text, text_input};
use iced::{Center, Element, Fill, Task};
use tayori::i18n::{Lang, Text, fill};
use tayori::net::proxy::{ProxySignInError, check_user, save_sign_in};

use super::style;

#[derive(Debug, Clone)]
pub struct State {
    /// `host:port` of the proxy that asked, as the refusal named it.
    pub proxy: String,
    user: String,
    password: String,
    saving: bool,
    problem: Option<Problem>,
}

#[derive(Debug, Clone)]
pub enum Problem {
    /// The user name holds a colon.
    Colon,
    /// The keyring refused, in its own words.
    NotSaved(String),
}

#[derive(Debug, Clone)]
pub enum Message {
    User(String),
    Password(String),
    Save,
    Saved(Result<(), Problem>),
}

/// What the embedding screen does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Saved in the keyring: try again.
    Saved,
}

impl State {
    pub fn new(proxy: String) -> Self {
        State {
            proxy,
            user: String::new(),
            password: String::new(),
            saving: false,
            problem: None,
        }
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        match message {
            Message::User(user) => self.user = user,
            Message::Password(password) => self.password = password,
            Message::Save => {
                let user = self.user.trim().to_owned();
                if user.is_empty() || self.password.is_empty() || self.saving {
                    return (Task::none(), None);
                }
                if check_user(&user).is_err() {
                    self.problem = Some(Problem::Colon);
                    return (Task::none(), None);
                }
                self.saving = true;
                self.problem = None;
                let password = std::mem::take(&mut self.password);
                let at = self.proxy.clone();
                let save = async move {
                    save_sign_in(&at, &user, password.into())
                        .await
                        .map_err(|e| match e {
                            ProxySignInError::UserHasColon => Problem::Colon,
                            other => Problem::NotSaved(other.to_string()),
                        })
                };
                return (Task::perform(save, Message::Saved), None);
            }
            Message::Saved(Ok(())) => {
                self.saving = false;
                return (Task::none(), Some(Event::Saved));
            }
            Message::Saved(Err(problem)) => {
                self.saving = false;
                self.problem = Some(problem);
            }
        }
        (Task::none(), None)
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        let ready = !self.user.trim().is_empty() && !self.password.is_empty() && !self.saving;
        let save_label = if self.saving {
            Text::ProxySignInSaving
        } else {
            Text::ProxySignInSave
        };
        let mut save = button(text(lang.text(save_label)).size(style::SMALL))
            .style(style::primary_button)
            .padding([6, 14]);
        if ready {
            save = save.on_press(Message::Save);
        }
        let mut content = column![
            text(fill(
                lang.text(Text::ProxySignInHeading),
                &[("proxy", &self.proxy)]
            ))
            .size(style::BODY)
            .font(style::bold()),
            text(lang.text(Text::ProxySignInNote))
                .size(style::SMALL)
                .style(style::muted),
            row![
                text_input(lang.text(Text::ProxySignInUser), &self.user)
                    .id(iced::widget::Id::new("proxy-sign-in-user"))
                    .on_input(Message::User)
                    .size(style::SMALL)
                    .padding(6)
                    .width(Fill),
                text_input(lang.text(Text::ProxySignInPassword), &self.password)
                    .id(iced::widget::Id::new("proxy-sign-in-password"))
                    .secure(true)
                    .on_input(Message::Password)
                    .on_submit(Message::Save)
                    .size(style::SMALL)
                    .padding(6)
                    .width(Fill),
            ]
            .spacing(8)
            .align_y(Center)
            .width(iced::Length::Fill),
            // On its own line: the form also sits in the main window's narrow middle pane.
            save,
        ]
        .spacing(8);
        if let Some(problem) = &self.problem {
            let said = match problem {
                Problem::Colon => lang.text(Text::ProxySignInColon).to_owned(),
                Problem::NotSaved(reason) => {
                    fill(lang.text(Text::ProxySignInNotSaved), &[("reason", reason)])
                }
            };
            content = content.push(text(said).size(style::SMALL).style(style::danger));
        }
        content.into()
    }
}
