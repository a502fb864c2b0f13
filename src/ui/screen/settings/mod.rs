//! Settings, over the main window (which goes on syncing underneath): how the window looks and
//! speaks, notifications, how much mail is downloaded, and the accounts — their server details,
//! signing in again, adding a shared mailbox a Microsoft 365 account is a member of, removing one,
//! and the record of every connection made for it ("Connections", read from disk by a `Task`).
//!
//! A choice takes effect at once and is written to `tayori.toml` by a `Task` (the administrator's
//! own settings in that file are kept). Signing in and removing run in the core, as the command
//! line does them.

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use iced::widget::{Space, button, column, container, row, scrollable, text, text_input, toggler};
use iced::{Center, Element, Fill, Task};
use tayori::account::setup::Revocation;
use tayori::account::{Account, AccountAuth, Server};
use tayori::config::{HtmlMailDark, LanguageChoice, Settings, ThemeChoice};
use tayori::connections::{Connection, ConnectionLog};
use tayori::discovery::Security;
use tayori::i18n::{Lang, Plural, Text, fill};

use crate::ui::context::Context;
use crate::ui::failure::Failure;
use crate::ui::proxy_sign_in;
use crate::ui::style;

/// The choices of "download whole messages of the last … days", in days (`None`: all).
pub const SYNC_WINDOWS: [Option<u32>; 4] = [None, Some(30), Some(90), Some(365)];

pub struct State {
    context: Context,
    accounts: Vec<Account>,
    /// Per account: the sign-in again under way, or what came of it.
    accounts_state: HashMap<String, AccountState>,
    /// A proxy that asked an account's sign-in for its user name and password: the form, and the
    /// account whose sign-in runs again once they are saved.
    proxy_sign_in: Option<(String, proxy_sign_in::State)>,
    /// The account whose removal waits for "Remove" to be pressed again, and how many of its
    /// messages wait in the outbox (once counted).
    confirm_remove: Option<String>,
    unsent: Option<usize>,
    /// Why the last choice could not be written to the settings file.
    save_problem: Option<String>,
    /// Per account whose "Connections" are open: the record as read from disk.
    connections: HashMap<String, ConnectionsView>,
    /// The account removed last, and what became of its sign-in at the provider: what the
    /// person is told until they dismiss it.
    removed: Option<(String, Revocation)>,
}

/// An account's connections record, as the screen has it.
#[derive(Debug, Clone)]
pub enum ConnectionsView {
    Loading,
    Loaded(Vec<Connection>),
    Failed(String),
}

#[derive(Debug, Default)]
pub struct AccountState {
    /// For password accounts: the new (app) password as typed. Only ever kept in memory.
    pub password: String,
    pub busy: bool,
    pub signed_in: bool,
    pub problem: Option<Problem>,
    /// A Microsoft 365 account's "Add a shared mailbox": the address as typed, whether it is being
    /// checked, and what came of the last one.
    pub shared: String,
    pub shared_busy: bool,
    pub shared_outcome: Option<SharedOutcome>,
    /// "Check again" was pressed: IMAP is asked at the next sync whether it is on again.
    pub imap_check_asked: bool,
}

/// What came of adding a shared mailbox.
#[derive(Debug, Clone)]
pub enum SharedOutcome {
    Added(String),
    Failed(String, Failure),
}

/// What went wrong with an account, shown in the person's language.
#[derive(Debug, Clone)]
pub enum Problem {
    SignIn(Failure),
    Remove(String),
}

#[derive(Debug, Clone)]
pub enum Message {
    Close,
    Language(LanguageChoice),
    Theme(ThemeChoice),
    HtmlMailDark(HtmlMailDark),
    NewMailNotifications(bool),
    SyncWindow(Option<u32>),
    Saved(Result<(), String>),
    Password(String, String),
    SignInAgain(String),
    SignedInAgain(String, Result<(), Failure>),
    Remove(String),
    UnsentCounted(String, usize),
    CancelRemove,
    Removed(String, Result<Revocation, String>),
    /// The person read what the removal did.
    DismissRemoved,
    /// Opens or closes an account's connections record.
    ToggleConnections(String),
    ConnectionsLoaded(String, Result<Vec<Connection>, String>),
    /// The shared mailbox's address typed on a member's card (member, typed).
    SharedAddress(String, String),
    /// "Add a shared mailbox" on the member's card.
    AddShared(String),
    SharedAdded(String, String, Result<Box<Account>, Failure>),
    /// The proxy's sign-in form.
    ProxySignIn(proxy_sign_in::Message),
    /// "Check again" beside "IMAP is turned off for your mailbox".
    CheckImapAgain(String),
    CheckImapAsked(String, Result<bool, String>),
}

/// What the screen asks of the application.
#[derive(Debug, Clone)]
pub enum Event {
    Close,
    /// The settings changed: apply and save them, then send `Message::Saved` with the outcome.
    Changed(Box<Settings>),
    /// The account signed in again: its sync can start afresh.
    SignedIn(String),
    /// The account was removed from this computer.
    Removed(String),
    /// An account was added (a shared mailbox): its engine starts.
    Added(Box<Account>),
    /// The person asked for IMAP to be checked now: the account's engine starts afresh and asks.
    CheckImapAgain(String),
}

impl State {
    pub fn new(context: Context, accounts: Vec<Account>) -> Self {
        State {
            context,
            accounts,
            accounts_state: HashMap::new(),
            proxy_sign_in: None,
            confirm_remove: None,
            unsent: None,
            save_problem: None,
            connections: HashMap::new(),
            removed: None,
        }
    }

    #[cfg(test)]
    pub fn connections_of(&self, email: &str) -> Option<&ConnectionsView> {
        self.connections.get(email)
    }

    #[cfg(test)]
    pub fn context_paths(&self) -> tayori::config::Paths {
        self.context.paths.clone()
    }

    #[cfg(test)]
    pub fn busy(&self, email: &str) -> bool {
        self.accounts_state.get(email).is_some_and(|s| s.busy)
    }

    #[cfg(test)]
    pub fn shared_busy(&self, member: &str) -> bool {
        self.accounts_state
            .get(member)
            .is_some_and(|s| s.shared_busy)
    }

    /// What came of the last shared mailbox added on `member`'s card.
    #[cfg(test)]
    pub fn shared_outcome(&self, member: &str) -> Option<&SharedOutcome> {
        self.accounts_state.get(member)?.shared_outcome.as_ref()
    }

    /// What went wrong with the account, as shown.
    #[cfg(test)]
    pub fn problem_line(&self, email: &str, lang: Lang) -> Option<String> {
        match self.accounts_state.get(email)?.problem.as_ref()? {
            Problem::SignIn(failure) => Some(failure.line(lang)),
            Problem::Remove(detail) => Some(detail.clone()),
        }
    }

    /// Changes the settings and tells the application, which applies and saves them (once) and
    /// reports back with `Saved`.
    fn change(&mut self, edit: impl FnOnce(&mut Settings)) -> (Task<Message>, Option<Event>) {
        let mut settings = self.context.settings.clone();
        edit(&mut settings);
        if settings == self.context.settings {
            return (Task::none(), None);
        }
        self.context.settings = settings.clone();
        (Task::none(), Some(Event::Changed(Box::new(settings))))
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        match message {
            Message::Close => return (Task::none(), Some(Event::Close)),
            Message::Language(choice) => return self.change(|s| s.ui.language = choice),
            Message::Theme(choice) => return self.change(|s| s.ui.theme = choice),
            Message::HtmlMailDark(choice) => {
                return self.change(|s| s.ui.html_mail_dark = choice);
            }
            Message::NewMailNotifications(on) => {
                return self.change(|s| s.notifications.new_mail = on);
            }
            Message::SyncWindow(days) => return self.change(|s| s.sync.body_days = days),
            Message::Saved(result) => self.save_problem = result.err(),
            Message::Password(email, typed) => {
                self.accounts_state.entry(email).or_default().password = typed;
            }
            Message::SignInAgain(email) => return (self.sign_in_again(email), None),
            Message::ProxySignIn(message) => {
                let Some((email, form)) = &mut self.proxy_sign_in else {
                    return (Task::none(), None);
                };
                let (task, event) = form.update(message);
                if event == Some(proxy_sign_in::Event::Saved) {
                    // Saved in the keyring: the sign-in that the proxy stopped runs again.
                    let email = email.clone();
                    self.proxy_sign_in = None;
                    return (self.sign_in_again(email), None);
                }
                return (task.map(Message::ProxySignIn), None);
            }
            Message::SignedInAgain(email, result) => {
                let state = self.accounts_state.entry(email.clone()).or_default();
                state.busy = false;
                match result {
                    Ok(()) => {
                        state.signed_in = true;
                        state.problem = None;
                        // One sign-in renews a member and the shared mailboxes it opens.
                        let member = self
                            .accounts
                            .iter()
                            .find(|a| a.email == email)
                            .and_then(|a| a.shared_via.clone())
                            .unwrap_or_else(|| email.clone());
                        for account in self.accounts.iter_mut().filter(|a| {
                            a.email == member || a.shared_via.as_deref() == Some(member.as_str())
                        }) {
                            account.needs_sign_in = None;
                        }
                        return (Task::none(), Some(Event::SignedIn(email)));
                    }
                    Err(failure) => {
                        if let Some(proxy) = &failure.proxy_sign_in
                            && self
                                .proxy_sign_in
                                .as_ref()
                                .is_none_or(|(_, form)| &form.proxy != proxy)
                        {
                            self.proxy_sign_in =
                                Some((email.clone(), proxy_sign_in::State::new(proxy.clone())));
                        }
                        state.problem = Some(Problem::SignIn(failure));
                    }
                }
            }
            Message::Remove(email) => {
                if self.confirm_remove.as_deref() != Some(email.as_str()) {
                    self.confirm_remove = Some(email.clone());
                    self.unsent = None;
                    // Messages this account still has to send stay in the outbox (the person
                    // can add the account again or discard them there): the question says so.
                    let data_dir = self.context.paths.data_dir.clone();
                    let owner = email.clone();
                    return (
                        Task::perform(
                            async move {
                                tokio::task::spawn_blocking(move || {
                                    tayori::outbox::Outbox::open_in(&data_dir)
                                        .and_then(|outbox| outbox.list(false))
                                        .map(|entries| {
                                            entries.iter().filter(|e| e.account == owner).count()
                                        })
                                        .unwrap_or(0)
                                })
                                .await
                                .unwrap_or(0)
                            },
                            move |count| Message::UnsentCounted(email.clone(), count),
                        ),
                        None,
                    );
                }
                self.confirm_remove = None;
                let paths = self.context.paths.clone();
                let owner = email.clone();
                return (
                    Task::perform(
                        async move {
                            // The keyring, the provider's revocation endpoint and the files:
                            // all in this task, never on the UI thread.
                            tayori::account::setup::remove_account(&paths, &owner)
                                .await
                                .map(|removed| removed.revocation)
                                .map_err(|e| e.to_string())
                        },
                        move |result| Message::Removed(email.clone(), result),
                    ),
                    None,
                );
            }
            Message::UnsentCounted(email, count) => {
                if self.confirm_remove.as_deref() == Some(email.as_str()) {
                    self.unsent = Some(count);
                }
            }
            Message::CancelRemove => self.confirm_remove = None,
            Message::CheckImapAgain(email) => {
                let accounts = tayori::account::Accounts::new(&self.context.paths);
                let owner = email.clone();
                return (
                    Task::perform(
                        async move {
                            tokio::task::spawn_blocking(move || accounts.check_imap_soon(&owner))
                                .await
                                .map_err(|e| e.to_string())
                                .and_then(|asked| asked.map_err(|e| e.to_string()))
                        },
                        move |asked| Message::CheckImapAsked(email.clone(), asked),
                    ),
                    None,
                );
            }
            Message::CheckImapAsked(email, asked) => match asked {
                Ok(true) => {
                    self.accounts_state
                        .entry(email.clone())
                        .or_default()
                        .imap_check_asked = true;
                    return (Task::none(), Some(Event::CheckImapAgain(email)));
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "could not ask for IMAP to be checked again")
                }
            },
            Message::ToggleConnections(email) => {
                if self.connections.remove(&email).is_some() {
                    return (Task::none(), None);
                }
                self.connections
                    .insert(email.clone(), ConnectionsView::Loading);
                let log = ConnectionLog::new(&self.context.paths);
                let owner = email.clone();
                return (
                    Task::perform(
                        async move {
                            tokio::task::spawn_blocking(move || {
                                log.list(&owner).map_err(|e| e.to_string())
                            })
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|listed| listed)
                        },
                        move |result| Message::ConnectionsLoaded(email.clone(), result),
                    ),
                    None,
                );
            }
            Message::ConnectionsLoaded(email, result) => {
                // Closed meanwhile: stays closed.
                if let Some(view) = self.connections.get_mut(&email) {
                    *view = match result {
                        Ok(list) => ConnectionsView::Loaded(list),
                        Err(detail) => ConnectionsView::Failed(detail),
                    };
                }
            }
            Message::SharedAddress(member, typed) => {
                self.accounts_state.entry(member).or_default().shared = typed;
            }
            Message::AddShared(member) => return (self.add_shared(member), None),
            Message::SharedAdded(member, shared, result) => {
                let state = self.accounts_state.entry(member).or_default();
                state.shared_busy = false;
                match result {
                    Ok(account) => {
                        state.shared.clear();
                        state.shared_outcome = Some(SharedOutcome::Added(account.email.clone()));
                        self.accounts.retain(|a| a.email != account.email);
                        self.accounts.push((*account).clone());
                        return (Task::none(), Some(Event::Added(account)));
                    }
                    Err(failure) => {
                        state.shared_outcome = Some(SharedOutcome::Failed(shared, failure));
                    }
                }
            }
            Message::DismissRemoved => self.removed = None,
            Message::Removed(email, result) => match result {
                Ok(revocation) => {
                    self.accounts.retain(|a| a.email != email);
                    self.accounts_state.remove(&email);
                    self.connections.remove(&email);
                    self.removed = Some((email.clone(), revocation));
                    return (Task::none(), Some(Event::Removed(email)));
                }
                Err(problem) => {
                    self.accounts_state.entry(email).or_default().problem =
                        Some(Problem::Remove(problem));
                }
            },
        }
        (Task::none(), None)
    }

    /// Adds the shared mailbox typed on `member`'s card, as `tayori account add-shared SHARED
    /// --via MEMBER` does: the member's own sign-in, both servers checked, then saved.
    fn add_shared(&mut self, member: String) -> Task<Message> {
        let state = self.accounts_state.entry(member.clone()).or_default();
        let shared = state.shared.trim().to_owned();
        if state.shared_busy || shared.is_empty() {
            return Task::none();
        }
        state.shared_busy = true;
        state.shared_outcome = None;
        let context = self.context.clone();
        let address = shared.clone();
        Task::perform(
            async move {
                let result = async {
                    let net = tayori::net::Net::from_settings(&context.settings)
                        .map_err(tayori::account::setup::SetupError::from)?;
                    let accounts = tayori::account::Accounts::new(&context.paths);
                    tayori::account::setup::add_shared_mailbox(&net, &accounts, &member, &address)
                        .await
                }
                .await;
                (
                    member,
                    result.map(Box::new).map_err(|e| Failure::from_setup(&e)),
                )
            },
            move |(member, result)| Message::SharedAdded(member, shared.clone(), result),
        )
    }

    fn sign_in_again(&mut self, email: String) -> Task<Message> {
        let Some(account) = self.accounts.iter().find(|a| a.email == email).cloned() else {
            return Task::none();
        };
        let state = self.accounts_state.entry(email.clone()).or_default();
        if state.busy {
            return Task::none();
        }
        state.busy = true;
        state.signed_in = false;
        state.problem = None;
        let password = std::mem::take(&mut state.password);
        Task::perform(
            crate::ui::reauth::sign_in_again(self.context.clone(), account, password),
            move |result| Message::SignedInAgain(email.clone(), result),
        )
    }
}

/// How a server is reached, in one line: "mail.example.com:993, SSL/TLS".
fn server_line(server: &Server, lang: Lang) -> String {
    let security = match server.security {
        Security::Tls => lang.text(Text::EncryptionTls),
        Security::StartTls => lang.text(Text::EncryptionStartTls),
    };
    format!("{}:{}  ·  {security}", server.host, server.port)
}

fn section<'a>(title: Text, lang: Lang, content: Element<'a, Message>) -> Element<'a, Message> {
    container(column![text(lang.text(title)).size(17).font(style::bold()), content].spacing(12))
        .padding(18)
        .width(Fill)
        .style(style::card)
        .into()
}

/// A row of buttons, one per choice, the chosen one filled: every choice visible at once.
fn choices<'a, T: Copy + PartialEq + 'a, const N: usize>(
    options: [(String, T); N],
    chosen: T,
    on_choose: fn(T) -> Message,
) -> Element<'a, Message> {
    let mut line = row![].spacing(6);
    for (name, value) in options {
        line = line.push(
            button(text(name).size(style::SMALL))
                .padding([5, 12])
                .style(if value == chosen {
                    style::primary_button
                } else {
                    style::outline_button
                })
                .on_press(on_choose(value)),
        );
    }
    line.wrap().into()
}

fn label<'a>(key: Text, lang: Lang) -> Element<'a, Message> {
    text(lang.text(key))
        .size(style::SMALL)
        .style(style::muted)
        .width(180)
        .into()
}

impl State {
    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        let settings = &self.context.settings;
        let top = row![
            text(lang.text(Text::SettingsTitle))
                .size(style::TITLE)
                .font(style::bold())
                .width(Fill),
            button(text(lang.text(Text::BackToMail)).size(style::SMALL))
                .style(style::outline_button)
                .padding([6, 14])
                .on_press(Message::Close),
        ]
        .align_y(Center);

        let language = row![
            label(Text::SettingsLanguage, lang),
            choices(
                [
                    (Text::FollowSystem, LanguageChoice::System),
                    (Text::LanguageJapanese, LanguageChoice::Ja),
                    (Text::LanguageEnglish, LanguageChoice::En),
                ]
                .map(|(key, choice)| (lang.text(key).to_owned(), choice)),
                settings.ui.language,
                Message::Language,
            ),
        ]
        .align_y(Center);
        let theme = row![
            label(Text::SettingsTheme, lang),
            choices(
                [
                    (Text::FollowSystem, ThemeChoice::System),
                    (Text::ThemeLight, ThemeChoice::Light),
                    (Text::ThemeDark, ThemeChoice::Dark),
                ]
                .map(|(key, choice)| (lang.text(key).to_owned(), choice)),
                settings.ui.theme,
                Message::Theme,
            ),
        ]
        .align_y(Center);
        let html_dark = row![
            label(Text::SettingsHtmlMailDark, lang),
            choices(
                [
                    (Text::HtmlMailDarkKeep, HtmlMailDark::Keep),
                    (Text::HtmlMailDarkDarken, HtmlMailDark::Darken),
                ]
                .map(|(key, choice)| (lang.text(key).to_owned(), choice)),
                settings.ui.html_mail_dark,
                Message::HtmlMailDark,
            ),
        ]
        .align_y(Center);
        let mut appearance = column![language, theme, html_dark].spacing(14);
        if !crate::ui::fonts::japanese_available() {
            let folder = self.context.paths.data_dir.join("fonts");
            appearance = appearance.push(
                text(fill(
                    lang.text(Text::JapaneseFontMissing),
                    &[("folder", &folder.display().to_string())],
                ))
                .size(style::SMALL)
                .style(style::danger),
            );
        }
        let appearance = section(Text::SettingsAppearance, lang, appearance.into());

        let notifications = section(
            Text::SettingsNotifications,
            lang,
            toggler(settings.notifications.new_mail)
                .label(lang.text(Text::NotifyNewMail))
                .text_size(style::SMALL)
                .on_toggle(Message::NewMailNotifications)
                .into(),
        );

        let windows = row![
            label(Text::SyncWindowLabel, lang),
            choices(
                SYNC_WINDOWS.map(|days| {
                    let name = match days {
                        None => lang.text(Text::SyncWindowAll).to_owned(),
                        Some(days) => lang.plural(Plural::SyncWindowDays, days.into()),
                    };
                    (name, days)
                }),
                settings.sync.body_days,
                Message::SyncWindow,
            ),
        ]
        .align_y(Center);
        let sync = section(
            Text::SettingsSync,
            lang,
            column![
                windows,
                text(lang.text(Text::SyncWindowHint))
                    .size(style::TINY)
                    .style(style::muted)
            ]
            .spacing(8)
            .into(),
        );

        let mut accounts = column![].spacing(14);
        if let Some((email, revocation)) = &self.removed {
            accounts = accounts.push(removed_view(email, revocation, lang));
        }
        if self.accounts.is_empty() {
            accounts = accounts.push(
                text(lang.text(Text::NoAccountYet))
                    .size(style::SMALL)
                    .style(style::muted),
            );
        }
        for account in &self.accounts {
            accounts = accounts.push(self.account_view(account, lang));
        }
        let accounts = section(Text::SettingsAccounts, lang, accounts.into());

        // The version and the app registrations this build signs in with (as `tayori --version`).
        let mut about = column![
            text(fill(
                lang.text(Text::AboutVersion),
                &[("version", env!("CARGO_PKG_VERSION"))]
            ))
            .size(style::SMALL)
        ]
        .spacing(4);
        for line in tayori::auth::clients::built_in_lines(lang) {
            about = about.push(text(line).size(style::SMALL).style(style::muted));
        }
        let about = section(Text::SettingsAbout, lang, about.into());

        let mut page = column![top].spacing(16).padding(24).max_width(880);
        if let Some(problem) = &self.save_problem {
            page = page.push(
                container(
                    text(fill(
                        lang.text(Text::SettingsSaveFailed),
                        &[("detail", problem)],
                    ))
                    .size(style::SMALL),
                )
                .padding([8, 12])
                .width(Fill)
                .style(style::problem),
            );
        }
        page = page
            .push(accounts)
            .push(appearance)
            .push(notifications)
            .push(sync)
            .push(about);
        container(scrollable(container(page).width(Fill).align_x(Center)))
            .width(Fill)
            .height(Fill)
            .style(style::backdrop)
            .into()
    }

    fn account_view<'a>(&'a self, account: &'a Account, lang: Lang) -> Element<'a, Message> {
        let email = account.email.as_str();
        let state = self.accounts_state.get(email);
        let busy = state.is_some_and(|s| s.busy);
        let oauth = tayori::account::setup::saved_oauth_client(&account.auth).is_some();
        let method = match &account.auth {
            AccountAuth::OAuth2 { .. } => lang.text(Text::AccountSignInBrowser),
            AccountAuth::Password => lang.text(Text::AccountSignInPassword),
        };
        let detail =
            |key: Text, value: Element<'a, Message>| row![label(key, lang), value].spacing(8);
        let plain = |value: String| text(value).size(style::SMALL).into();
        let mut card = column![
            row![
                text(email).size(style::BODY).font(style::bold()),
                text(account.display_name.clone().unwrap_or_default())
                    .size(style::SMALL)
                    .style(style::muted),
            ]
            .spacing(10)
            .align_y(Center),
            detail(Text::AccountSignInMethod, plain(method.to_owned())),
        ]
        .spacing(6);
        // Where "Sign in again" sends the browser.
        if let AccountAuth::OAuth2 {
            authorization_endpoint,
            ..
        } = &account.auth
            && let Some(host) = url::Url::parse(authorization_endpoint)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
        {
            card = card.push(detail(Text::AccountSignInPage, plain(host)));
        }
        if let Some(member) = &account.shared_via {
            card = card.push(detail(
                Text::AccountSharedVia,
                plain(fill(
                    lang.text(Text::SharedMailboxOpensWith),
                    &[("member", member)],
                )),
            ));
        }
        let (reading, sending) = (
            tayori::account::reading_way(account),
            tayori::account::sending_way(account),
        );
        card = card.push(
            column![
                detail(
                    if reading.through_graph() {
                        Text::AccountIncomingGraph
                    } else {
                        Text::AccountIncoming
                    },
                    plain(match reading {
                        tayori::account::ReadingWay::Imap => server_line(&account.imap, lang),
                        way => way.describe(account, lang),
                    })
                ),
                // IMAP was off: asked once a day whether it is on again, or now on request
                if tayori::account::imap_check_at(account).is_none() {
                    Element::from(Space::new())
                } else if state.is_some_and(|s| s.imap_check_asked) {
                    text(lang.text(Text::CheckImapAgainAsked))
                        .size(style::SMALL)
                        .style(style::muted)
                        .into()
                } else {
                    button(text(lang.text(Text::CheckImapAgain)).size(style::SMALL))
                        .style(style::outline_button)
                        .padding([4, 12])
                        .on_press(Message::CheckImapAgain(account.email.clone()))
                        .into()
                },
                detail(
                    if sending == tayori::account::SendingWay::Smtp {
                        Text::AccountOutgoing
                    } else {
                        Text::AccountOutgoingGraph
                    },
                    plain(match sending {
                        tayori::account::SendingWay::Smtp => server_line(&account.smtp, lang),
                        way => way.describe(account, lang),
                    })
                ),
            ]
            .spacing(6),
        );
        let status = match (&account.needs_sign_in, state.is_some_and(|s| s.signed_in)) {
            (_, true) => text(lang.text(Text::AccountSignedInAgain))
                .size(style::SMALL)
                .style(style::success),
            (Some(reason), false) => text(fill(
                lang.text(
                    if tayori::auth::refusal::Refusal::new("", Some(reason))
                        .sign_in_again_helps_or_unknown()
                    {
                        Text::AccountNeedsSignInBecause
                    } else {
                        Text::AccountRefusedBecause
                    },
                ),
                &[("reason", reason)],
            ))
            .size(style::SMALL)
            .style(style::danger),
            (None, false) => text(lang.text(Text::AccountSignedIn))
                .size(style::SMALL)
                .style(style::success),
        };
        card = card.push(detail(Text::AccountStatus, status.into()));
        // What the recorded refusal means, and — where the organisation has not approved Tayori —
        // the admin-consent link to send to the administrator.
        if let Some(reason) = &account.needs_sign_in
            && !state.is_some_and(|s| s.signed_in)
        {
            let advice = tayori::auth::guidance::Advice::for_recorded(
                reason,
                account.oauth_client().as_ref(),
                email,
            );
            if let Some(guidance) = advice.guidance {
                card = card.push(text(guidance.text(lang)).size(style::SMALL));
            }
            if let Some(link) = advice.admin_consent_link {
                card = card.push(text(lang.text(Text::FailAdminConsentLink)).size(style::SMALL));
                card = card.push(
                    text(link)
                        .size(style::SMALL)
                        .font(iced::Font::MONOSPACE)
                        .wrapping(iced::widget::text::Wrapping::Glyph),
                );
            }
        }

        let mut actions = row![].spacing(8).align_y(Center);
        if !oauth {
            let owner = account.email.clone();
            actions = actions.push(
                text_input(
                    &fill(lang.text(Text::PasswordForAccount), &[("email", email)]),
                    state.map_or("", |s| s.password.as_str()),
                )
                .secure(true)
                .id(iced::widget::Id::from(format!("settings-password-{email}")))
                .on_input(move |typed| Message::Password(owner.clone(), typed))
                .on_submit(Message::SignInAgain(account.email.clone()))
                .size(style::SMALL)
                .padding(5)
                .width(240),
            );
        }
        // A shared mailbox has no sign-in of its own: the button says whose it renews.
        // Where the provider refused for a reason signing in again does not fix (consent,
        // conditional access), the button is the retry for after the administrator has acted.
        let refused_for_the_admin = account.needs_sign_in.as_deref().is_some_and(|reason| {
            !tayori::auth::refusal::Refusal::new("", Some(reason)).sign_in_again_helps_or_unknown()
        }) && !state.is_some_and(|s| s.signed_in);
        let again_label = match (&account.shared_via, refused_for_the_admin) {
            (_, true) => lang.text(Text::TryAgainAfterAdmin).to_owned(),
            (Some(member), false) => fill(lang.text(Text::SignInAgainAs), &[("member", member)]),
            (None, false) => lang.text(Text::SignInAgain).to_owned(),
        };
        let mut again = button(text(again_label).size(style::SMALL))
            .style(style::outline_button)
            .padding([5, 12]);
        if !busy {
            again = again.on_press(Message::SignInAgain(account.email.clone()));
        }
        actions = actions.push(again);
        actions = actions.push(Space::new().width(Fill));
        if self.confirm_remove.as_deref() == Some(email) {
            actions = actions
                .push(
                    button(text(lang.text(Text::Cancel)).size(style::SMALL))
                        .style(style::outline_button)
                        .padding([5, 12])
                        .on_press(Message::CancelRemove),
                )
                .push(
                    button(text(lang.text(Text::RemoveAccountYes)).size(style::SMALL))
                        .style(style::danger_button)
                        .padding([5, 12])
                        .on_press(Message::Remove(account.email.clone())),
                );
        } else {
            actions = actions.push(
                button(text(lang.text(Text::RemoveAccount)).size(style::SMALL))
                    .style(style::outline_button)
                    .padding([5, 12])
                    .on_press(Message::Remove(account.email.clone())),
            );
        }
        card = card.push(actions);
        let open = self.connections.get(email);
        card = card.push(
            button(
                text(lang.text(if open.is_some() {
                    Text::ConnectionsHide
                } else {
                    Text::ConnectionsShow
                }))
                .size(style::SMALL),
            )
            .style(style::link_button)
            .padding([2, 0])
            .on_press(Message::ToggleConnections(account.email.clone())),
        );
        if let Some(view) = open {
            card = card.push(connections_view(email, view, lang));
        }
        if busy {
            card = card.push(
                text(fill(lang.text(Text::SigningInAgain), &[("email", email)]))
                    .size(style::TINY)
                    .style(style::muted),
            );
        }
        if self.confirm_remove.as_deref() == Some(email) {
            card = card.push(
                text(fill(
                    lang.text(Text::RemoveAccountConfirm),
                    &[("email", email)],
                ))
                .size(style::SMALL)
                .style(style::danger),
            );
            if let Some(count) = self.unsent.filter(|&count| count > 0) {
                card = card.push(
                    text(lang.plural(Plural::RemoveAccountUnsent, count as u64))
                        .size(style::SMALL)
                        .style(style::danger),
                );
            }
        }
        if oauth
            && account.shared_via.is_none()
            && account.provider == Some(tayori::discovery::KnownProvider::Microsoft)
        {
            card = card.push(self.shared_view(account, lang));
        }
        if let Some(problem) = state.and_then(|s| s.problem.as_ref()) {
            let line = match problem {
                Problem::SignIn(failure) => fill(
                    lang.text(Text::SignInAgainFailed),
                    &[("email", email), ("detail", &failure.line(lang))],
                ),
                Problem::Remove(detail) => fill(
                    lang.text(Text::RemoveAccountFailed),
                    &[("email", email), ("detail", detail)],
                ),
            };
            card = card.push(text(line).size(style::TINY).style(style::danger));
        }
        if let Some((owner, form)) = &self.proxy_sign_in
            && owner == email
        {
            card = card.push(form.view(lang).map(Message::ProxySignIn));
        }
        container(card)
            .padding(14)
            .width(Fill)
            .style(style::inset)
            .into()
    }

    /// "Add a shared mailbox" on a Microsoft 365 account's card.
    fn shared_view<'a>(&'a self, member: &'a Account, lang: Lang) -> Element<'a, Message> {
        let email = member.email.as_str();
        let state = self.accounts_state.get(email);
        let busy = state.is_some_and(|s| s.shared_busy);
        let typed = state.map_or("", |s| s.shared.as_str());
        let owner = member.email.clone();
        let mut add = button(text(lang.text(Text::SharedMailboxAdd)).size(style::SMALL))
            .style(style::outline_button)
            .padding([5, 12]);
        if !busy && !typed.trim().is_empty() {
            add = add.on_press(Message::AddShared(member.email.clone()));
        }
        let mut shared = column![
            text(fill(
                lang.text(Text::SharedMailboxHint),
                &[("email", email)]
            ))
            .size(style::TINY)
            .style(style::muted),
            row![
                text_input(lang.text(Text::SharedMailboxAddress), typed)
                    .id(iced::widget::Id::from(format!("settings-shared-{email}")))
                    .on_input(move |typed| Message::SharedAddress(owner.clone(), typed))
                    .on_submit(Message::AddShared(member.email.clone()))
                    .size(style::SMALL)
                    .padding(5)
                    .width(280),
                add,
            ]
            .spacing(8)
            .align_y(Center),
        ]
        .spacing(6);
        if busy {
            shared = shared.push(
                text(fill(
                    lang.text(Text::SharedMailboxChecking),
                    &[("shared", typed.trim()), ("member", email)],
                ))
                .size(style::TINY)
                .style(style::muted),
            );
        }
        match state.and_then(|s| s.shared_outcome.as_ref()) {
            Some(SharedOutcome::Added(address)) => {
                shared = shared.push(
                    text(fill(
                        lang.text(Text::SharedMailboxAdded),
                        &[("shared", address)],
                    ))
                    .size(style::SMALL)
                    .style(style::success),
                );
            }
            Some(SharedOutcome::Failed(address, failure)) => {
                shared = shared.push(
                    text(fill(
                        lang.text(Text::SharedMailboxFailed),
                        &[("shared", address), ("detail", &failure.line(lang))],
                    ))
                    .size(style::SMALL)
                    .style(style::danger),
                );
            }
            None => {}
        }
        shared.into()
    }
}

/// What removing an account did: what went from this computer, what stays on the server, and
/// whether the provider withdrew the sign-in (as `tayori account remove` says it).
fn removed_view<'a>(
    email: &'a str,
    revocation: &'a Revocation,
    lang: Lang,
) -> Element<'a, Message> {
    let mut said = column![
        text(fill(
            lang.text(Text::AccountRemovedNotice),
            &[("email", email)]
        ))
        .size(style::SMALL)
    ]
    .spacing(6);
    let at_provider = match revocation {
        Revocation::Revoked { host } => {
            Some(fill(lang.text(Text::RevokedAtProvider), &[("host", host)]))
        }
        Revocation::NotOffered => Some(lang.text(Text::RevocationNotOffered).to_owned()),
        Revocation::Failed(detail) => Some(fill(
            lang.text(Text::RevocationFailed),
            &[("detail", detail)],
        )),
        Revocation::NothingToWithdraw => None,
    };
    if let Some(words) = at_provider {
        said = said.push(text(words).size(style::SMALL));
    }
    container(
        row![
            said.width(Fill),
            button(text(lang.text(Text::DismissNotice)).size(style::SMALL))
                .style(button::secondary)
                .on_press(Message::DismissRemoved),
        ]
        .spacing(10)
        .align_y(Center),
    )
    .padding([8, 12])
    .width(Fill)
    .style(style::notice)
    .into()
}

/// An account's connections record: one line per host, port and purpose, most recent first.
fn connections_view<'a>(
    email: &str,
    view: &'a ConnectionsView,
    lang: Lang,
) -> Element<'a, Message> {
    let intro = text(fill(lang.text(Text::ConnectionsIntro), &[("email", email)]))
        .size(style::TINY)
        .style(style::muted);
    let mut list = column![intro].spacing(8);
    match view {
        ConnectionsView::Loading => {
            list = list.push(
                text(lang.text(Text::ConnectionsLoading))
                    .size(style::SMALL)
                    .style(style::muted),
            );
        }
        ConnectionsView::Failed(detail) => {
            list = list.push(
                text(fill(
                    lang.text(Text::ConnectionsUnreadable),
                    &[("detail", detail)],
                ))
                .size(style::SMALL)
                .style(style::danger),
            );
        }
        ConnectionsView::Loaded(record) if record.is_empty() => {
            list = list.push(
                text(lang.text(Text::ConnectionsEmpty))
                    .size(style::SMALL)
                    .style(style::muted),
            );
        }
        ConnectionsView::Loaded(record) => {
            for connection in record {
                list = list.push(connection_row(connection, lang));
            }
        }
    }
    container(list)
        .padding([10, 12])
        .width(Fill)
        .style(style::card)
        .into()
}

fn connection_row(connection: &Connection, lang: Lang) -> Element<'_, Message> {
    let when = chrono::DateTime::from_timestamp(connection.last_at as i64, 0)
        .map(|utc| {
            utc.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let address = if connection.address_sent {
        text(lang.text(Text::ConnectionsAddressSent))
            .size(style::TINY)
            .style(style::danger)
    } else {
        text(lang.text(Text::ConnectionsNoAddress))
            .size(style::TINY)
            .style(style::muted)
    };
    column![
        row![
            text(format!("{}:{}", connection.host, connection.port))
                .size(style::SMALL)
                .font(style::bold())
                .width(Fill),
            text(lang.text(connection.purpose.label())).size(style::SMALL),
        ]
        .spacing(8)
        .align_y(Center),
        row![
            text(
                connection
                    .detail
                    .map(|detail| lang.text(detail.label()))
                    .unwrap_or_default()
            )
            .size(style::TINY)
            .style(style::muted)
            .width(Fill),
            address,
            text(format!(
                "{} · {}",
                fill(lang.text(Text::ConnectionsLast), &[("when", &when)]),
                lang.plural(Plural::ConnectionsTimes, connection.count)
            ))
            .size(style::TINY)
            .style(style::muted),
        ]
        .spacing(10)
        .align_y(Center),
    ]
    .spacing(2)
    .into()
}
