//! The "needs sign-in" banner over the list, one per account whose server refused its saved
//! sign-in: "Sign in again" does what `tayori account reauth` does — the browser for OAuth
//! accounts, the password typed here otherwise — and the account's engine starts afresh. And the
//! proxy's sign-in, where the office's proxy asked the sync for its user name and password: the
//! same form as the wizard's (what `tayori proxy sign-in` does), then every engine starts afresh.
//! And the notice that an account reads through Microsoft 365 because IMAP is turned off for its
//! mailbox: taken from the account list (marked told there, so a restart does not tell it again)
//! and kept over the list until the person closes it; likewise the notice that such an account
//! found IMAP on again and reads through IMAP again.

use std::collections::HashMap;

use iced::widget::{Id, column, row, text};
use iced::{Element, Task};
use tayori::account::Account;
use tayori::i18n::{Lang, Text, fill};

use crate::ui::context::Context;
use crate::ui::failure::Failure;
use crate::ui::proxy_sign_in;
use crate::ui::style;

/// Signing in again, per account that needs it.
#[derive(Debug, Default)]
pub struct Banner {
    pub reauth: HashMap<String, Reauth>,
    /// The proxy that asked a sync for its user name and password, with the form for them.
    pub proxy: Option<proxy_sign_in::State>,
    /// The accounts whose "reads through Microsoft 365" notice is shown, until closed.
    pub read_via_graph: Vec<String>,
    /// The accounts whose "reads through IMAP again" notice is shown, until closed.
    pub imap_again: Vec<String>,
}

/// One account's "Sign in again" in the banner.
#[derive(Debug, Default)]
pub struct Reauth {
    /// For password accounts: the new (app) password as typed. Only ever kept in memory.
    pub password: String,
    pub busy: bool,
    pub problem: Option<Failure>,
}

#[derive(Debug, Clone)]
pub enum Message {
    /// The banner's "Sign in again" for an account.
    SignInAgain(String),
    Password(String, String),
    SignedInAgain(String, Result<(), Failure>),
    ProxySignIn(proxy_sign_in::Message),
    /// The accounts just marked told in the account list: their notice is shown.
    ReadNotices(Vec<String>),
    /// The person closed an account's "reads through Microsoft 365" notice.
    DismissReadNotice(String),
    /// The accounts just marked told that they read through IMAP again.
    ImapAgainNotices(Vec<String>),
    DismissImapAgainNotice(String),
}

/// What the banner asks of the main window.
pub enum Event {
    /// The account signed in again: its mark goes and its engine starts afresh.
    SignedIn(String),
    /// The proxy's sign-in is in the keyring: every engine tries again at once.
    ProxySignedIn,
}

impl Banner {
    pub fn update(
        &mut self,
        message: Message,
        accounts: &[Account],
        context: &Context,
    ) -> (Task<Message>, Option<Event>) {
        match message {
            Message::SignInAgain(email) => (self.sign_in_again(email, accounts, context), None),
            Message::ProxySignIn(message) => {
                let Some(form) = &mut self.proxy else {
                    return (Task::none(), None);
                };
                let (task, event) = form.update(message);
                if event == Some(proxy_sign_in::Event::Saved) {
                    self.proxy = None;
                    return (Task::none(), Some(Event::ProxySignedIn));
                }
                (task.map(Message::ProxySignIn), None)
            }
            Message::ReadNotices(untold) => {
                for email in untold {
                    if !self.read_via_graph.contains(&email) {
                        self.read_via_graph.push(email);
                    }
                }
                (Task::none(), None)
            }
            Message::DismissReadNotice(email) => {
                self.read_via_graph.retain(|shown| *shown != email);
                (Task::none(), None)
            }
            Message::ImapAgainNotices(untold) => {
                for email in untold {
                    // IMAP is back: the older "reads through Microsoft 365" notice is void
                    self.read_via_graph.retain(|shown| *shown != email);
                    if !self.imap_again.contains(&email) {
                        self.imap_again.push(email);
                    }
                }
                (Task::none(), None)
            }
            Message::DismissImapAgainNotice(email) => {
                self.imap_again.retain(|shown| *shown != email);
                (Task::none(), None)
            }
            Message::Password(email, password) => {
                self.reauth.entry(email).or_default().password = password;
                (Task::none(), None)
            }
            Message::SignedInAgain(email, result) => {
                let reauth = self.reauth.entry(email.clone()).or_default();
                reauth.busy = false;
                match result {
                    // A new key for the subscription: the engine starts again, signed in.
                    Ok(()) => {
                        self.reauth.remove(&email);
                        (Task::none(), Some(Event::SignedIn(email)))
                    }
                    Err(problem) => {
                        reauth.problem = Some(problem);
                        (Task::none(), None)
                    }
                }
            }
        }
    }

    /// The same sign-in as `tayori account reauth`: the browser for OAuth accounts, the typed
    /// password otherwise; both servers checked; then the account is marked signed in.
    fn sign_in_again(
        &mut self,
        email: String,
        accounts: &[Account],
        context: &Context,
    ) -> Task<Message> {
        let Some(account) = accounts.iter().find(|a| a.email == email).cloned() else {
            return Task::none();
        };
        let reauth = self.reauth.entry(email.clone()).or_default();
        if reauth.busy {
            return Task::none();
        }
        reauth.busy = true;
        reauth.problem = None;
        let password = std::mem::take(&mut reauth.password);
        Task::perform(
            crate::ui::reauth::sign_in_again(context.clone(), account, password),
            move |result| Message::SignedInAgain(email.clone(), result),
        )
    }

    /// A sync was stopped by `proxy` asking for its user name and password: the form is shown
    /// (kept as it is while the same proxy asks again, so nothing typed is lost).
    pub fn proxy_asks(&mut self, proxy: &str) {
        if self.proxy.as_ref().is_none_or(|form| form.proxy != proxy) {
            self.proxy = Some(proxy_sign_in::State::new(proxy.to_owned()));
        }
    }

    /// The accounts not yet told that they read through Microsoft 365, taken from the account list
    /// on a blocking thread and marked told there (as `tayori sync` tells them once): the window
    /// shows them until closed, and no later start shows them again.
    /// (And those not yet told that they read through IMAP again, the same way.)
    pub fn take_read_notices(paths: &tayori::config::Paths) -> Task<Message> {
        fn take(
            accounts: tayori::account::Accounts,
            which: fn(
                &tayori::account::Accounts,
            ) -> Result<Vec<String>, tayori::account::AccountsError>,
            told: fn(Vec<String>) -> Message,
        ) -> Task<Message> {
            Task::perform(
                async move {
                    tokio::task::spawn_blocking(move || which(&accounts))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|taken| taken.map_err(|e| e.to_string()))
                },
                move |taken| match taken {
                    Ok(untold) => told(untold),
                    Err(error) => {
                        tracing::warn!(%error, "could not record that the person was told");
                        told(Vec::new())
                    }
                },
            )
        }
        let accounts = tayori::account::Accounts::new(paths);
        // one after the other: both change the account list under its lock
        take(
            accounts.clone(),
            tayori::account::Accounts::take_read_notices,
            Message::ReadNotices,
        )
        .chain(take(
            accounts,
            tayori::account::Accounts::take_imap_again_notices,
            Message::ImapAgainNotices,
        ))
    }

    /// One account's "reads through Microsoft 365 because IMAP is off" notice, with its close
    /// button.
    pub fn read_notice_view<'a>(&'a self, email: &'a str, lang: Lang) -> Element<'a, Message> {
        Self::notice_view(
            lang.text(Text::ReadViaGraphNotice),
            email,
            lang,
            Message::DismissReadNotice(email.to_owned()),
        )
    }

    /// One account's "reads through IMAP again" notice, with its close button.
    pub fn imap_again_view<'a>(&'a self, email: &'a str, lang: Lang) -> Element<'a, Message> {
        Self::notice_view(
            lang.text(Text::ReadViaImapAgainNotice),
            email,
            lang,
            Message::DismissImapAgainNotice(email.to_owned()),
        )
    }

    fn notice_view<'a>(
        words: &str,
        email: &str,
        lang: Lang,
        dismiss: Message,
    ) -> Element<'a, Message> {
        row![
            text(fill(words, &[("account", email)]))
                .size(style::SMALL)
                .width(iced::Fill),
            iced::widget::button(text(lang.text(Text::DismissNotice)).size(style::SMALL))
                .style(style::outline_button)
                .padding([4, 12])
                .on_press(dismiss),
        ]
        .spacing(8)
        .align_y(iced::Center)
        .into()
    }

    /// The proxy's sign-in form, where a proxy asked for one.
    pub fn proxy_view(&self, lang: Lang) -> Option<Element<'_, Message>> {
        self.proxy
            .as_ref()
            .map(|form| form.view(lang).map(Message::ProxySignIn))
    }

    /// The account signed in again elsewhere (the settings): its banner goes.
    pub fn signed_in_again(&mut self, email: &str) {
        self.reauth.remove(email);
    }

    /// The banner for one account.
    pub fn view<'a>(&'a self, account: &'a Account, lang: Lang) -> Element<'a, Message> {
        let email = account.email.as_str();
        let reauth = self.reauth.get(email);
        let busy = reauth.is_some_and(|r| r.busy);
        let mut banner = column![
            text(fill(
                lang.text(
                    if account.needs_sign_in.as_deref().is_some_and(|reason| {
                        !tayori::auth::refusal::Refusal::new("", Some(reason))
                            .sign_in_again_helps_or_unknown()
                    }) {
                        Text::RefusedBanner
                    } else {
                        Text::NeedsSignInBanner
                    }
                ),
                &[("email", email)]
            ))
            .size(style::SMALL)
        ]
        .spacing(6);
        let mut line = row![].spacing(8).align_y(iced::Center);
        let oauth = tayori::account::setup::saved_oauth_client(&account.auth).is_some();
        if !oauth {
            let owner = account.email.clone();
            line = line.push(
                iced::widget::text_input(
                    &fill(lang.text(Text::PasswordForAccount), &[("email", email)]),
                    reauth.map_or("", |r| r.password.as_str()),
                )
                .secure(true)
                .id(Id::from(format!("reauth-{email}")))
                .on_input(move |typed| Message::Password(owner.clone(), typed))
                .on_submit(Message::SignInAgain(account.email.clone()))
                .size(style::SMALL)
                .padding(5)
                .width(260),
            );
        }
        let mut button =
            iced::widget::button(text(lang.text(Text::SignInAgain)).size(style::SMALL))
                .style(style::primary_button)
                .padding([4, 12]);
        if !busy {
            button = button.on_press(Message::SignInAgain(account.email.clone()));
        }
        line = line.push(button);
        if busy {
            line = line.push(
                text(fill(lang.text(Text::SigningInAgain), &[("email", email)]))
                    .size(style::TINY)
                    .style(style::muted),
            );
        }
        banner = banner.push(line);
        if let Some(problem) = reauth.and_then(|r| r.problem.as_ref()) {
            banner = banner.push(
                text(fill(
                    lang.text(Text::SignInAgainFailed),
                    &[("email", email), ("detail", &problem.line(lang))],
                ))
                .size(style::TINY)
                .style(style::danger),
            );
        }
        banner.into()
    }
}
