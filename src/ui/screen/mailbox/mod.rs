//! The main window: accounts and folders on the left (special-use folders first, unread counts, all
//! inboxes together), the message list in the middle — virtual: only the rows in view are built, and
//! rows come from the store a page at a time — and the reader on the right. A status bar at the
//! bottom; keyboard shortcuts (j/k or arrows, `/` to search, Delete).
//!
//! Its parts have their own messages and say what they need of the window through their own
//! `Event` (halloy's sidebar): the list and its paging (`list`), search (`search`), the reader with
//! its toolbar, attachments and links (`reader`), the "needs sign-in" banner (`banner`). The
//! sidebar, the outbox panel and the status bar only draw.
//!
//! What runs whatever screen is shown — the sync engines, the outbox worker — is the application's
//! (`crate::ui::background`), lent to `update` and `view`. To write a message the window says what
//! to write (`Event::Compose`); the application builds the composer.
//!
//! Every store call runs on a blocking thread from a `Task` (`Db::run`); `update` and `view` only
//! move and draw what came back.

mod banner;
pub mod html;
mod list;
mod outbox;
mod reader;
mod search;
mod sidebar;
#[cfg(test)]
mod tests;
mod view;

use iced::keyboard::{self, Key, key::Named};
use iced::widget::Id;
use iced::{Element, Subscription, Task};
use tayori::account::Account;
use tayori::compose::{Draft, ReplyMode};
use tayori::i18n::Lang;
use tayori::mailto::MailtoLink;
use tayori::store::{Folder, Store};
use tayori::sync::SyncEvent;

pub use list::{List, ROW_HEIGHT, Source};
use reader::Reply;

use crate::ui::background::Background;
use crate::ui::context::Context;
use crate::ui::db::Db;
use crate::ui::problem::Problem;

/// How long an attachment written for opening stays in the cache.
const OPENED_ATTACHMENTS_KEPT: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

pub struct State {
    context: Context,
    db: Option<Db>,
    store_problem: Option<Problem>,
    folders: Vec<Folder>,
    pub list: List,
    reader: reader::Reader,
    search: search::Search,
    banner: banner::Banner,
    /// The language the window was last drawn in: replies started from the keyboard quote in it.
    view_lang: std::cell::Cell<Lang>,
}

#[derive(Debug, Clone)]
pub enum Message {
    SwitchLanguage,
    AddAccount,
    OpenSettings,
    /// A new message (the sidebar's button, `c`).
    Compose,
    StoreOpened(Result<Db, Problem>),
    FoldersLoaded(Result<Vec<Folder>, Problem>),
    Select(Source),
    Key(keyboard::Event),
    /// The window's scale factor (device pixels per logical pixel), as the system reports it.
    ScaleFactor(f32),
    MarkedSeen(Result<(), Problem>),
    Deleted(Result<(), Problem>),
    List(list::Message),
    Search(search::Message),
    Reader(reader::Message),
    Banner(banner::Message),
    /// The outbox panel (what it shows is the application's).
    Outbox(crate::ui::outbox::Msg),
}

/// What the screen asks of the application.
pub enum Event {
    SwitchLanguage,
    AddAccount,
    OpenSettings,
    /// Write a message: the application builds the composer.
    Compose(Compose),
    /// The store is open: a composer opened before it completes addresses from it too.
    StoreOpened(Db),
    /// "Always for this sender": mail from this address shows its remote images (a setting).
    LoadRemoteImagesFrom(String),
}

/// What the person wants to write.
#[derive(Debug, Clone)]
pub enum Compose {
    New,
    /// A `mailto:` link clicked in a message.
    Link(MailtoLink),
    /// A reply or a forward, made by the core from the original; sent from `account`.
    Draft {
        account: String,
        draft: Box<Draft>,
    },
}

/// The list's height before the window reports its size: the default window less the bars.
const INITIAL_LIST_HEIGHT: f32 = 720.0 - 120.0;

impl State {
    pub fn new(context: Context) -> Self {
        State {
            context,
            db: None,
            store_problem: None,
            folders: Vec::new(),
            list: List::new(
                Source::Unified,
                tayori::store::SortOrder::NewestFirst,
                0,
                INITIAL_LIST_HEIGHT,
            ),
            reader: reader::Reader::default(),
            search: search::Search::default(),
            banner: banner::Banner::default(),
            view_lang: std::cell::Cell::new(Lang::En),
        }
    }

    /// Opens the store; the folders and the unified inbox follow. Mail of accounts that are no
    /// longer in `background`'s list goes (never when the list could not be read: an unreadable
    /// list is not an empty one).
    pub fn load(&self, background: &Background) -> Task<Message> {
        let path = Store::path_in(&self.context.paths);
        let cache_dir = self.context.paths.cache_dir.clone();
        // Attachments opened more than a week ago go from the cache (they are in the mail still).
        let prune = Task::future(async move {
            let removed = tokio::task::spawn_blocking(move || {
                tayori::attachment::prune_opened(&cache_dir, OPENED_ATTACHMENTS_KEPT)
            })
            .await
            .unwrap_or(0);
            if removed > 0 {
                tracing::info!(removed, "old opened attachments removed from the cache");
            }
        })
        .discard();
        let keep: Option<Vec<String>> = background.problem().is_none().then(|| {
            background
                .accounts()
                .iter()
                .map(|a| a.email.clone())
                .collect()
        });
        let open = Task::perform(
            async move {
                let db = Db::open(path).await?;
                if let Some(keep) = keep {
                    let gone = db
                        .run(move |store| store.forget_accounts_except(&keep))
                        .await?;
                    if !gone.is_empty() {
                        tracing::info!(?gone, "mail of removed accounts forgotten");
                    }
                }
                Ok(db)
            },
            Message::StoreOpened,
        );
        // An account that turned to Microsoft Graph while no window told it (the window closed
        // before it could): told now, once.
        let told = banner::Banner::take_read_notices(&self.context.paths).map(Message::Banner);
        Task::batch([open, prune, told])
    }

    /// New settings from the settings screen (the application restarts the engines if needed).
    pub fn apply_settings(&mut self, settings: tayori::config::Settings) {
        self.context.settings = settings;
    }

    /// The account signed in again from the settings screen: its banner goes.
    pub fn signed_in_again(&mut self, email: &str) {
        self.banner.signed_in_again(email);
    }

    pub fn folders(&self) -> &[Folder] {
        &self.folders
    }

    /// What the reader shows.
    #[cfg(test)]
    pub fn reader(&self) -> &reader::Content {
        &self.reader.content
    }

    /// Text selected in the reader's HTML page.
    #[cfg(test)]
    pub fn reader_selection(&self) -> Option<reader::Selection> {
        self.reader.selection
    }

    /// A link in the reader waiting for confirmation.
    #[cfg(test)]
    pub fn reader_link(&self) -> Option<&reader::PendingLink> {
        self.reader.link.as_ref()
    }

    #[cfg(test)]
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The store, once open.
    pub fn db(&self) -> Option<Db> {
        self.db.clone()
    }

    fn reload_folders(&self) -> Task<Message> {
        let Some(db) = self.db() else {
            return Task::none();
        };
        Task::perform(
            async move { db.run(|store| store.folders()).await },
            Message::FoldersLoaded,
        )
    }

    /// Shows `source` from the top.
    fn show(&mut self, source: Source) -> Task<Message> {
        self.list.show(source);
        self.search.text.clear();
        self.reader.clear();
        Task::batch([
            self.list.count(self.db.as_ref()).map(Message::List),
            List::scroll_to_top(),
        ])
    }

    /// Reloads the current list in place (after a change): same scroll position, fresh rows.
    fn refresh(&mut self) -> Task<Message> {
        let expanded = self.list.reload();
        let db = self.db.as_ref();
        Task::batch([
            self.list.count(db).map(Message::List),
            self.reload_folders(),
            self.list.load_threads(expanded, db).map(Message::List),
        ])
    }

    fn clear_search(&mut self) -> Task<Message> {
        if self.list.search.is_none() {
            return Task::none();
        }
        self.show(self.list.source)
    }

    fn open(&mut self, index: usize) -> Task<Message> {
        let Some(summary) = self.list.row(index).cloned() else {
            return Task::none();
        };
        self.list.selected = Some(index);
        let Some(db) = self.db() else {
            return Task::none();
        };
        let id = summary.id;
        let unread = !summary.flags.seen;
        let load = self.reader.open(summary, &db).map(Message::Reader);
        let mark = if unread {
            self.list.change_flags(id, |flags| flags.seen = true);
            let db = db.clone();
            Task::perform(
                async move { db.run(move |store| store.set_seen(id, true)).await },
                Message::MarkedSeen,
            )
        } else {
            Task::none()
        };
        let scroll = self.list.keep_in_view(index, Some(&db)).map(Message::List);
        Task::batch([load, mark, scroll])
    }

    fn move_selection(&mut self, by: isize) -> Task<Message> {
        let Some(next) = self.list.step(by) else {
            return Task::none();
        };
        if self.list.row(next).is_none() {
            // Not loaded yet: bring it into view first; the row arrives with its page.
            self.list.selected = Some(next);
            return self
                .list
                .keep_in_view(next, self.db.as_ref())
                .map(Message::List);
        }
        self.open(next)
    }

    fn delete_selected(&mut self) -> Task<Message> {
        let (Some(index), Some(db)) = (self.list.selected, self.db()) else {
            return Task::none();
        };
        let Some(id) = self.list.row(index).map(|row| row.id) else {
            return Task::none();
        };
        self.reader.clear();
        Task::perform(
            async move { db.run(move |store| store.delete(id)).await },
            Message::Deleted,
        )
    }

    pub fn update(
        &mut self,
        message: Message,
        background: &mut Background,
    ) -> (Task<Message>, Option<Event>) {
        let task = match message {
            Message::SwitchLanguage => return (Task::none(), Some(Event::SwitchLanguage)),
            Message::AddAccount => return (Task::none(), Some(Event::AddAccount)),
            Message::OpenSettings => return (Task::none(), Some(Event::OpenSettings)),
            Message::Compose => return (Task::none(), Some(Event::Compose(Compose::New))),
            Message::StoreOpened(Ok(db)) => {
                self.db = Some(db.clone());
                let task = Task::batch([
                    self.reload_folders(),
                    self.list.count(Some(&db)).map(Message::List),
                ]);
                return (task, Some(Event::StoreOpened(db)));
            }
            Message::StoreOpened(Err(problem)) | Message::FoldersLoaded(Err(problem)) => {
                self.store_problem = Some(problem);
                Task::none()
            }
            Message::FoldersLoaded(Ok(folders)) => {
                self.folders = folders;
                Task::none()
            }
            Message::Select(source) => self.show(source),
            Message::Key(event) => return self.key(event, background),
            Message::ScaleFactor(scale) => {
                return self.update_reader(reader::Message::ScaleFactor(scale), background);
            }
            Message::MarkedSeen(result) => {
                match result {
                    Ok(()) => background.wake(),
                    Err(problem) => tracing::warn!("marking a message read failed: {problem}"),
                }
                self.reload_folders()
            }
            Message::Deleted(result) => {
                match result {
                    Ok(()) => background.wake(),
                    Err(problem) => self.store_problem = Some(problem),
                }
                if self.list.search.is_some() {
                    self.run_search()
                } else {
                    self.refresh()
                }
            }
            Message::List(message) => self.update_list(message),
            Message::Search(message) => {
                let (task, event) = self
                    .search
                    .update(message, &mut self.list, self.db.as_ref());
                Task::batch([task.map(Message::Search), self.on_search(event)])
            }
            Message::Reader(message) => return self.update_reader(message, background),
            Message::Banner(message) => {
                let (task, event) =
                    self.banner
                        .update(message, background.accounts(), &self.context);
                match event {
                    // A new key for the subscription: the engine starts again, signed in.
                    Some(banner::Event::SignedIn(email)) => background.signed_in_again(&email),
                    // The proxy's sign-in is saved: every engine starts again through it now
                    // rather than at the end of its wait.
                    Some(banner::Event::ProxySignedIn) => background.restart_all(),
                    None => {}
                }
                task.map(Message::Banner)
            }
            Message::Outbox(message) => background
                .outbox
                .update(message, &self.context)
                .map(Message::Outbox),
        };
        (task, None)
    }

    fn update_list(&mut self, message: list::Message) -> Task<Message> {
        let (task, event) = self.list.update(message, self.db.as_ref());
        let task = task.map(Message::List);
        let follow = match event {
            None => return task,
            Some(list::Event::Open(index)) => self.open(index),
            Some(list::Event::SelectedArrived(index)) if self.reader.is_empty() => self.open(index),
            Some(list::Event::SelectedArrived(_)) => Task::none(),
            Some(list::Event::StartOver) => self.show(self.list.source),
            Some(list::Event::Problem(problem)) => {
                self.store_problem = Some(problem);
                Task::none()
            }
        };
        Task::batch([task, follow])
    }

    fn run_search(&mut self) -> Task<Message> {
        let (task, event) = self.search.run(&mut self.list, self.db.as_ref());
        Task::batch([task.map(Message::Search), self.on_search(event)])
    }

    fn on_search(&mut self, event: Option<search::Event>) -> Task<Message> {
        match event {
            None => Task::none(),
            Some(search::Event::Started) => {
                self.reader.clear();
                Task::none()
            }
            Some(search::Event::Cleared) => self.clear_search(),
            Some(search::Event::Problem(problem)) => {
                self.store_problem = Some(problem);
                Task::none()
            }
        }
    }

    fn update_reader(
        &mut self,
        message: reader::Message,
        background: &Background,
    ) -> (Task<Message>, Option<Event>) {
        let (task, event) = self.reader.update(message, self.db.as_ref(), &self.context);
        let task = task.map(Message::Reader);
        let Some(event) = event else {
            return (task, None);
        };
        let follow = match event {
            reader::Event::FlagChanged { id, flag, on } => {
                self.list.change_flags(id, |flags| *flag.of(flags) = on);
                Task::none()
            }
            // The store has the change: it goes to the server now, the sidebar's counts are read
            // again, and in the conversations view the threads in view too (a thread's figures
            // cover messages not loaded here).
            reader::Event::FlagsSaved => {
                background.wake();
                Task::batch([
                    self.reload_folders(),
                    self.list
                        .reload_thread_pages(self.db.as_ref())
                        .map(Message::List),
                ])
            }
            reader::Event::FlagsNotSaved => self.refresh(),
            reader::Event::Answer {
                kind,
                account,
                raw,
                lang,
            } => {
                let draft = answer(background.accounts(), kind, &account, &raw, lang);
                let compose = Compose::Draft {
                    account,
                    draft: Box::new(draft),
                };
                return (task, Some(Event::Compose(compose)));
            }
            reader::Event::Compose(link) => {
                return (task, Some(Event::Compose(Compose::Link(link))));
            }
            reader::Event::Delete => self.delete_selected(),
            reader::Event::LoadRemoteImagesFrom(address) => {
                return (task, Some(Event::LoadRemoteImagesFrom(address)));
            }
        };
        (Task::batch([task, follow]), None)
    }

    fn key(
        &mut self,
        event: keyboard::Event,
        background: &mut Background,
    ) -> (Task<Message>, Option<Event>) {
        let keyboard::Event::KeyPressed { key, modifiers, .. } = event else {
            return (Task::none(), None);
        };
        // Ctrl+, (⌘, on macOS): the settings, as in most desktop programs.
        if modifiers.command() && !modifiers.alt() && key.as_ref() == Key::Character(",") {
            return (Task::none(), Some(Event::OpenSettings));
        }
        // Ctrl+C (⌘C): the text selected on the HTML page (a field with the focus copies its own).
        if modifiers.command() && !modifiers.alt() && key.as_ref() == Key::Character("c") {
            return self.update_reader(reader::Message::CopySelection, background);
        }
        if modifiers.control() || modifiers.alt() || modifiers.logo() {
            return (Task::none(), None);
        }
        let lang = self.view_lang.get();
        let db = self.db.clone();
        let task = match key.as_ref() {
            Key::Character("c") => return (Task::none(), Some(Event::Compose(Compose::New))),
            Key::Character("j") | Key::Named(Named::ArrowDown) => self.move_selection(1),
            Key::Character("k") | Key::Named(Named::ArrowUp) => self.move_selection(-1),
            Key::Named(Named::PageDown) => {
                self.move_selection((self.list.height / ROW_HEIGHT) as isize)
            }
            Key::Named(Named::PageUp) => {
                self.move_selection(-((self.list.height / ROW_HEIGHT) as isize))
            }
            Key::Named(Named::Home) => self.move_selection(isize::MIN / 2),
            Key::Named(Named::End) => self.move_selection(isize::MAX / 2),
            Key::Character("/") => iced::widget::operation::focus(Id::new(search::SEARCH_ID)),
            Key::Named(Named::Delete) => self.delete_selected(),
            // Check for mail now, in every folder of every account.
            Key::Named(Named::F5) => {
                background.wake();
                Task::none()
            }
            // The reader's keys.
            Key::Character("r") => self
                .reader
                .load_original(Reply::Reply(ReplyMode::Sender), lang, db.as_ref())
                .map(Message::Reader),
            Key::Character("a" | "R") => self
                .reader
                .load_original(Reply::Reply(ReplyMode::All), lang, db.as_ref())
                .map(Message::Reader),
            Key::Character("f") => self
                .reader
                .load_original(Reply::Forward, lang, db.as_ref())
                .map(Message::Reader),
            Key::Character("s") => {
                return self.update_reader(reader::Message::ToggleFlagged, background);
            }
            Key::Character("u") => {
                return self.update_reader(reader::Message::ToggleSeen, background);
            }
            // The conversations view: → opens the selected conversation, ← closes it.
            Key::Named(Named::ArrowRight) => self
                .list
                .expand_selected(true, db.as_ref())
                .map(Message::List),
            Key::Named(Named::ArrowLeft) => self
                .list
                .expand_selected(false, db.as_ref())
                .map(Message::List),
            // Escape first dismisses a link waiting for confirmation, then a search.
            Key::Named(Named::Escape) => {
                if self.reader.dismiss_link() || self.list.search.is_none() {
                    Task::none()
                } else {
                    self.search.text.clear();
                    self.clear_search()
                }
            }
            _ => Task::none(),
        };
        (task, None)
    }

    /// An engine reported (the application keeps what it said): new mail or a folder done reads
    /// the folders and the list again.
    pub fn synced(&mut self, event: &SyncEvent) -> Task<Message> {
        if let SyncEvent::Offline {
            proxy_sign_in: Some(proxy),
            ..
        } = event
        {
            self.banner.proxy_asks(proxy);
        }
        // The engine recorded the turn in the account list: the notice is taken from there, so it
        // is marked told and stays over the list (the status line moves on with the next event).
        if matches!(
            event,
            SyncEvent::ReadingThroughGraph { .. } | SyncEvent::ReadingThroughImapAgain
        ) {
            return banner::Banner::take_read_notices(&self.context.paths).map(Message::Banner);
        }
        let refresh = matches!(
            event,
            SyncEvent::FolderDone { .. } | SyncEvent::Finished(_) | SyncEvent::NewMail { .. }
        );
        if refresh && self.list.search.is_none() {
            self.refresh()
        } else if refresh {
            self.reload_folders()
        } else {
            Task::none()
        }
    }

    /// The keys and the window's size (the engines and the outbox worker are the application's).
    pub fn subscription(&self) -> Subscription<Message> {
        Subscription::batch([
            keyboard::listen().map(Message::Key),
            iced::window::resize_events()
                .map(|(_, size)| Message::List(list::Message::Resized(size))),
        ])
    }

    pub fn view<'a>(&'a self, lang: Lang, background: &'a Background) -> Element<'a, Message> {
        self.view_lang.set(lang);
        view::window(self, background, lang)
    }
}

/// A reply or a forward, made by the core from the original, in the window's language.
fn answer(accounts: &[Account], kind: Reply, email: &str, raw: &[u8], lang: Lang) -> Draft {
    let account = accounts.iter().find(|a| a.email == email);
    let me = tayori::compose::Mailbox::new(account.and_then(|a| a.display_name.as_deref()), email);
    match kind {
        Reply::Reply(mode) => Draft::reply(raw, &me, &[email.to_owned()], mode, lang),
        Reply::Forward => Draft::forward(raw, &me, tayori::compose::ForwardMode::Inline, lang),
    }
}
