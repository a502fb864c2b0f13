//! The main window: accounts and folders on the left (special-use folders first, unread counts, all
//! inboxes together), the message list in the middle — virtual: only the rows in view are built, and
//! rows come from the store a page at a time — and the reader on the right. A status bar at the
//! bottom; keyboard shortcuts (j/k or arrows, `/` to search, Delete).
//!
//! Reader and list actions (`actions.rs`): the reader's toolbar and keys — `r` reply, `a` or
//! Shift+R reply all, `f` forward, `s` flag, `u` mark unread — attachments saved or opened, links
//! opened only after the reader has shown where they go; and the list's conversations view, one
//! row per thread, expanded in place.
//!
//! Every store call runs on a blocking thread from a `Task` (`db::Db::run`); `update` and `view`
//! only move and draw what came back.

mod actions;
mod db;
pub mod html;
mod list;
pub mod notify;
mod outbox;
mod reader;
mod sidebar;
mod sync;
#[cfg(test)]
pub mod tests;

use std::collections::{HashMap, HashSet};

use iced::keyboard::{self, Key, key::Named};
use iced::widget::{Id, column, container, row, rule, scrollable, text};
use iced::{Element, Fill, FillPortion, Subscription, Task};
use tayori::account::Account;
use tayori::compose::{Draft, ReplyMode};
use tayori::i18n::{Lang, Plural, Text, fill};
use tayori::mime::Decoded;
use tayori::store::{Folder, ListScope, MessageSummary, SortOrder, Store, ThreadSummary};

pub use db::Db;

use super::composer;
use crate::ui::context::Context;
use crate::ui::style;

/// Rows fetched from the store at a time.
pub const PAGE: usize = 200;
/// The height of one row of the list, in logical pixels (fixed: it is what makes the list virtual).
pub const ROW_HEIGHT: f32 = 68.0;
/// Rows built beyond the visible ones, so a quick scroll never shows a gap.
const OVERSCAN: usize = 6;
/// How long an attachment written for opening stays in the cache.
const OPENED_ATTACHMENTS_KEPT: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);
/// Results shown for a search.
const SEARCH_LIMIT: usize = 500;

pub const LIST_ID: &str = "message-list";
pub const SEARCH_ID: &str = "search";

/// What the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Every account's inbox together.
    Unified,
    Folder(i64),
}

impl Source {
    pub fn scope(self) -> ListScope {
        match self {
            Source::Unified => ListScope::UnifiedInbox,
            Source::Folder(id) => ListScope::Folder(id),
        }
    }
}

/// The message list: a window onto the store's rows, filled a page at a time.
pub struct List {
    pub source: Source,
    pub order: SortOrder,
    /// Bumped whenever the list changes, so pages that arrive late for an old list are dropped.
    pub generation: u64,
    pub total: Option<usize>,
    pub pages: HashMap<usize, Vec<MessageSummary>>,
    requested: HashSet<usize>,
    /// While searching: the query and what the store's full-text index found.
    pub search: Option<(String, Option<Vec<MessageSummary>>)>,
    /// Scroll position and visible height of the list, in pixels.
    pub scroll_y: f32,
    pub height: f32,
    pub selected: Option<usize>,
    /// The conversations view: one row per thread (`thread_pages`, by thread position), with the
    /// expanded threads' messages as rows under them.
    pub threads: bool,
    pub thread_pages: HashMap<usize, Vec<ThreadSummary>>,
    /// Expanded threads, by position in the thread list (ascending).
    pub expanded: Vec<list::Expanded>,
}

impl List {
    fn new(source: Source, order: SortOrder, generation: u64, height: f32) -> Self {
        List {
            source,
            order,
            generation,
            total: None,
            pages: HashMap::new(),
            requested: HashSet::new(),
            search: None,
            scroll_y: 0.0,
            height,
            selected: None,
            threads: false,
            thread_pages: HashMap::new(),
            expanded: Vec::new(),
        }
    }

    /// How many rows the list has now.
    pub fn len(&self) -> usize {
        match &self.search {
            Some((_, Some(results))) => results.len(),
            Some((_, None)) => 0,
            None if self.threads => self.thread_len(),
            None => self.total.unwrap_or(0),
        }
    }

    pub fn row(&self, index: usize) -> Option<&MessageSummary> {
        match &self.search {
            Some((_, results)) => results.as_ref()?.get(index),
            None if self.threads => self.entry(index)?.message(),
            None => self.pages.get(&(index / PAGE))?.get(index % PAGE),
        }
    }

    /// The rows in view (plus a few either side), as an index range.
    pub fn visible(&self) -> std::ops::Range<usize> {
        let first = (self.scroll_y / ROW_HEIGHT).floor().max(0.0) as usize;
        let count = (self.height / ROW_HEIGHT).ceil() as usize + 1;
        let start = first.saturating_sub(OVERSCAN);
        let end = (first + count + OVERSCAN).min(self.len());
        start.min(end)..end
    }

    /// Pages the visible rows need that are neither here nor asked for.
    fn missing_pages(&mut self) -> Vec<usize> {
        if self.search.is_some() {
            return Vec::new();
        }
        let range = self.visible();
        if range.is_empty() {
            return Vec::new();
        }
        // In the conversations view pages are of threads: the rows in view, less the expanded
        // threads' messages, name the threads needed.
        let (first, last) = if self.threads {
            (self.thread_of(range.start), self.thread_of(range.end - 1))
        } else {
            (range.start, range.end - 1)
        };
        let mut missing = Vec::new();
        for page in first / PAGE..=last / PAGE {
            let here = if self.threads {
                self.thread_pages.contains_key(&page)
            } else {
                self.pages.contains_key(&page)
            };
            if !here && self.requested.insert(page) {
                missing.push(page);
            }
        }
        missing
    }
}

/// What the reader shows.
pub enum Reader {
    Empty,
    Loading(MessageSummary),
    Shown {
        summary: MessageSummary,
        decoded: Box<Decoded>,
        /// The HTML body, sanitised and turned into styled text.
        html: Option<Box<html::Rendered>>,
        /// Whether the person asked to see this message's remote images (listed, never fetched
        /// before that).
        remote_images: bool,
    },
    /// Only the headers are here so far.
    NotDownloaded(MessageSummary),
    Failed(String),
}

pub struct State {
    context: Context,
    accounts: Vec<Account>,
    /// Why the account list could not be read, if it could not.
    problem: Option<String>,
    db: Option<Db>,
    store_problem: Option<String>,
    folders: Vec<Folder>,
    pub list: List,
    reader: Reader,
    search_text: String,
    next_generation: u64,
    /// What each account's sync engine said last.
    sync: std::collections::BTreeMap<String, sync::Update>,
    /// Signing in again, per account that needs it.
    reauth: HashMap<String, Reauth>,
    /// Bumped when an account signed in again, so its sync engine starts afresh.
    restarts: HashMap<String, u64>,
    /// Each running engine's waker.
    wakers: HashMap<String, sync::Waker>,
    // Reader and list actions
    /// A web link clicked in the reader, waiting for the person to confirm where it goes.
    link: Option<actions::PendingLink>,
    /// What the last reader action said (an attachment saved, or why it could not be).
    notice: Option<actions::Notice>,
    /// The language the window was last drawn in: replies started from the keyboard quote in it.
    view_lang: std::cell::Cell<Lang>,
    /// What waits in the outbox (its worker runs while the window is open).
    outbox: outbox::View,
}

/// One account's "Sign in again" in the banner.
#[derive(Debug, Default)]
pub struct Reauth {
    /// For password accounts: the new (app) password as typed. Only ever kept in memory.
    pub password: String,
    pub busy: bool,
    pub problem: Option<crate::ui::failure::Failure>,
}

#[derive(Debug, Clone)]
pub enum Message {
    SwitchLanguage,
    AddAccount,
    OpenSettings,
    StoreOpened(Result<Db, String>),
    FoldersLoaded(Result<Vec<Folder>, String>),
    Select(Source),
    CountLoaded(u64, Result<usize, String>),
    PageLoaded(u64, usize, Result<Vec<MessageSummary>, String>),
    Scrolled(scrollable::Viewport),
    Resized(iced::Size),
    Open(usize),
    Opened(i64, Result<Option<Box<Decoded>>, String>),
    MarkedSeen(Result<(), String>),
    ToggleOrder,
    SearchChanged(String),
    Search,
    SearchResults(u64, Result<Vec<MessageSummary>, String>),
    ClearSearch,
    Key(keyboard::Event),
    Delete,
    Deleted(Result<(), String>),
    Sync(String, sync::Update),
    /// A new message (`c`).
    Compose,
    /// Show this message's remote image addresses.
    LoadRemoteImages,
    /// A link in an HTML message was clicked: web links wait for a confirmation, `mailto:` opens
    /// the composer, anything else is ignored.
    LinkClicked(String),
    /// The banner's "Sign in again" for an account.
    SignInAgain(String),
    ReauthPassword(String, String),
    SignedInAgain(String, Result<(), crate::ui::failure::Failure>),
    /// A reply or forward, its quote line in the window's language.
    Reply(ReplyMode, Lang),
    Forward(Lang),
    /// The original's account and raw bytes, for a reply or a forward.
    OriginalLoaded(Reply, Lang, Result<(String, Vec<u8>), String>),
    // Reader and list actions
    ToggleFlagged,
    ToggleSeen,
    FlagsSaved(Result<(), String>),
    SaveAttachment(usize),
    AttachmentSaved(String, Result<Option<std::path::PathBuf>, String>),
    OpenAttachment(usize),
    AttachmentOpened(String, Result<std::path::PathBuf, String>),
    OpenLink,
    CancelLink,
    LinkOpened(Result<(), String>),
    ToggleConversations(bool),
    ToggleThread(usize),
    ThreadPageLoaded(u64, usize, Result<Vec<ThreadSummary>, String>),
    ThreadLoaded(u64, i64, Result<Vec<MessageSummary>, String>),
    /// The outbox's worker and panel.
    Outbox(outbox::Msg),
}

/// What the composer is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Reply(ReplyMode),
    Forward,
}

/// What the screen asks of the application.
pub enum Event {
    SwitchLanguage,
    AddAccount,
    OpenSettings,
    Compose(Box<composer::State>),
    /// An account's sync engine reported new mail: a notification, in the window's language.
    NewMail(String, tayori::sync::SyncEvent),
}

/// The list's height before the window reports its size: the default window less the bars.
const INITIAL_LIST_HEIGHT: f32 = 720.0 - 120.0;

impl State {
    pub fn new(context: Context, accounts: Vec<Account>, problem: Option<String>) -> Self {
        State {
            context,
            accounts,
            problem,
            db: None,
            store_problem: None,
            folders: Vec::new(),
            list: List::new(
                Source::Unified,
                SortOrder::NewestFirst,
                0,
                INITIAL_LIST_HEIGHT,
            ),
            reader: Reader::Empty,
            search_text: String::new(),
            next_generation: 1,
            sync: std::collections::BTreeMap::new(),
            reauth: HashMap::new(),
            restarts: HashMap::new(),
            wakers: HashMap::new(),
            link: None,
            notice: None,
            view_lang: std::cell::Cell::new(Lang::En),
            outbox: outbox::View::default(),
        }
    }

    /// Opens the store; the folders and the unified inbox follow.
    pub fn load(&self) -> Task<Message> {
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
        // Mail of accounts that are no longer in the list goes (never when the list could not be
        // read: an unreadable list is not an empty one).
        let keep: Option<Vec<String>> = self
            .problem
            .is_none()
            .then(|| self.accounts.iter().map(|a| a.email.clone()).collect());
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
        Task::batch([open, prune])
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// New settings from the settings screen. A new download range restarts the sync engines
    /// so they follow it at once.
    pub fn apply_settings(&mut self, settings: tayori::config::Settings) {
        let restart = settings.sync != self.context.settings.sync;
        self.context.settings = settings;
        if restart {
            for account in &self.accounts {
                *self.restarts.entry(account.email.clone()).or_default() += 1;
            }
        }
    }

    #[cfg(test)]
    pub fn restarts_of(&self, email: &str) -> u64 {
        self.restarts.get(email).copied().unwrap_or(0)
    }

    /// The account signed in again (from the settings screen): its banner goes and its engine
    /// starts afresh.
    pub fn signed_in_again(&mut self, email: &str) {
        self.reauth.remove(email);
        if let Some(account) = self.accounts.iter_mut().find(|a| a.email == email) {
            account.needs_sign_in = None;
        }
        self.sync.remove(email);
        *self.restarts.entry(email.to_owned()).or_default() += 1;
    }

    pub fn folders(&self) -> &[Folder] {
        &self.folders
    }

    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    fn db(&self) -> Option<Db> {
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
        let generation = self.next_generation;
        self.next_generation += 1;
        let threads = self.list.threads;
        self.list = List::new(source, self.list.order, generation, self.list.height);
        self.list.threads = threads;
        self.search_text.clear();
        self.reader = Reader::Empty;
        let count = self.count_task();
        Task::batch([
            count,
            iced::widget::operation::scroll_to(
                Id::new(LIST_ID),
                scrollable::AbsoluteOffset { x: 0.0, y: 0.0 },
            ),
        ])
    }

    /// Reloads the current list in place (after a delete): same scroll position, fresh rows.
    fn refresh(&mut self) -> Task<Message> {
        let generation = self.next_generation;
        self.next_generation += 1;
        let mut list = List::new(
            self.list.source,
            self.list.order,
            generation,
            self.list.height,
        );
        list.scroll_y = self.list.scroll_y;
        list.selected = self.list.selected;
        // Expanded conversations stay open; their messages are read again.
        list.threads = self.list.threads;
        list.expanded = std::mem::take(&mut self.list.expanded);
        self.list = list;
        let expanded = self.list.expanded.iter().map(|e| e.thread).collect();
        Task::batch([
            self.count_task(),
            self.reload_folders(),
            self.load_threads(expanded),
        ])
    }

    fn count_task(&self) -> Task<Message> {
        let Some(db) = self.db() else {
            return Task::none();
        };
        let generation = self.list.generation;
        let source = self.list.source;
        if self.list.threads {
            let scope = source.scope();
            return Task::perform(
                async move { db.run(move |store| store.thread_count(scope)).await },
                move |count| Message::CountLoaded(generation, count),
            );
        }
        Task::perform(
            async move {
                db.run(move |store| match source {
                    Source::Folder(id) => store.message_count(id),
                    Source::Unified => Ok(store
                        .folders()?
                        .iter()
                        .filter(|f| f.role == Some(tayori::store::FolderRole::Inbox))
                        .map(|f| f.total as usize)
                        .sum()),
                })
                .await
            },
            move |count| Message::CountLoaded(generation, count),
        )
    }

    /// Asks the store for the pages the visible rows need.
    fn fetch_visible(&mut self) -> Task<Message> {
        let Some(db) = self.db() else {
            return Task::none();
        };
        let generation = self.list.generation;
        let source = self.list.source;
        let order = self.list.order;
        if self.list.threads {
            let scope = source.scope();
            return Task::batch(self.list.missing_pages().into_iter().map(|page| {
                let db = db.clone();
                Task::perform(
                    async move {
                        db.run(move |store| store.threads(scope, order, page * PAGE, PAGE))
                            .await
                    },
                    move |rows| Message::ThreadPageLoaded(generation, page, rows),
                )
            }));
        }
        Task::batch(self.list.missing_pages().into_iter().map(|page| {
            let db = db.clone();
            Task::perform(
                async move {
                    db.run(move |store| match source {
                        Source::Folder(id) => store.messages(id, order, page * PAGE, PAGE),
                        Source::Unified => store.unified_inbox(order, page * PAGE, PAGE),
                    })
                    .await
                },
                move |rows| Message::PageLoaded(generation, page, rows),
            )
        }))
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
        let mut summary = summary;
        // Opening reads it: the reader's toolbar offers "Mark unread" from the start.
        summary.flags.seen = true;
        self.reader = Reader::Loading(summary);
        self.link = None;
        self.notice = None;
        let load = {
            let db = db.clone();
            Task::perform(
                async move {
                    db.run(move |store| {
                        // Decoding a big message takes a moment: it happens here, not in the window.
                        Ok(store
                            .message_raw(id)?
                            .map(|raw| Box::new(tayori::mime::decode(&raw))))
                    })
                    .await
                },
                move |decoded| Message::Opened(id, decoded),
            )
        };
        let mark = if unread {
            self.list.change_flags(id, |flags| flags.seen = true);
            Task::perform(
                async move { db.run(move |store| store.set_seen(id, true)).await },
                Message::MarkedSeen,
            )
        } else {
            Task::none()
        };
        Task::batch([load, mark, self.keep_in_view(index)])
    }

    /// Scrolls so that row `index` is fully visible.
    fn keep_in_view(&mut self, index: usize) -> Task<Message> {
        let top = index as f32 * ROW_HEIGHT;
        let bottom = top + ROW_HEIGHT;
        let y = if top < self.list.scroll_y {
            top
        } else if bottom > self.list.scroll_y + self.list.height {
            bottom - self.list.height
        } else {
            return Task::none();
        };
        self.list.scroll_y = y;
        Task::batch([
            iced::widget::operation::scroll_to(
                Id::new(LIST_ID),
                scrollable::AbsoluteOffset { x: 0.0, y },
            ),
            self.fetch_visible(),
        ])
    }

    fn move_selection(&mut self, by: isize) -> Task<Message> {
        let len = self.list.len();
        if len == 0 {
            return Task::none();
        }
        let next = match self.list.selected {
            Some(current) => current.saturating_add_signed(by).min(len - 1),
            None => 0,
        };
        if self.list.row(next).is_none() {
            // Not loaded yet: bring it into view first; the row arrives with its page.
            self.list.selected = Some(next);
            return self.keep_in_view(next);
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
        self.reader = Reader::Empty;
        Task::perform(
            async move { db.run(move |store| store.delete(id)).await },
            Message::Deleted,
        )
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        let task = match message {
            Message::SwitchLanguage => return (Task::none(), Some(Event::SwitchLanguage)),
            Message::AddAccount => return (Task::none(), Some(Event::AddAccount)),
            Message::OpenSettings => return (Task::none(), Some(Event::OpenSettings)),
            Message::StoreOpened(Ok(db)) => {
                self.db = Some(db);
                Task::batch([self.reload_folders(), self.count_task()])
            }
            Message::StoreOpened(Err(problem)) => {
                self.store_problem = Some(problem);
                Task::none()
            }
            Message::FoldersLoaded(Ok(folders)) => {
                self.folders = folders;
                Task::none()
            }
            Message::FoldersLoaded(Err(problem)) => {
                self.store_problem = Some(problem);
                Task::none()
            }
            Message::Select(source) => self.show(source),
            Message::CountLoaded(generation, result) => {
                if generation != self.list.generation {
                    return (Task::none(), None);
                }
                match result {
                    Ok(total) => {
                        self.list.total = Some(total);
                        if let Some(selected) = self.list.selected
                            && selected >= total
                        {
                            self.list.selected = total.checked_sub(1);
                        }
                        self.fetch_visible()
                    }
                    Err(problem) => {
                        self.store_problem = Some(problem);
                        Task::none()
                    }
                }
            }
            Message::PageLoaded(generation, page, result) => {
                if generation != self.list.generation {
                    return (Task::none(), None);
                }
                self.list.requested.remove(&page);
                match result {
                    Ok(rows) => {
                        self.list.pages.insert(page, rows);
                        // A selection made before its row was here (j pressed past the loaded
                        // rows) opens now.
                        if let Some(selected) = self.list.selected
                            && selected / PAGE == page
                            && matches!(self.reader, Reader::Empty)
                        {
                            return (self.open(selected), None);
                        }
                        Task::none()
                    }
                    Err(problem) => {
                        self.store_problem = Some(problem);
                        Task::none()
                    }
                }
            }
            Message::Scrolled(viewport) => {
                self.list.scroll_y = viewport.absolute_offset().y;
                self.list.height = viewport.bounds().height;
                self.fetch_visible()
            }
            Message::Resized(size) => {
                // Until the list reports its own height when scrolled, the window's tells roughly.
                self.list.height = (size.height - 120.0).max(ROW_HEIGHT);
                self.fetch_visible()
            }
            Message::Open(index) => self.open(index),
            Message::Opened(id, result) => {
                let current = match &self.reader {
                    Reader::Loading(summary) if summary.id == id => summary.clone(),
                    _ => return (Task::none(), None),
                };
                self.reader = match result {
                    Ok(Some(decoded)) => Reader::Shown {
                        summary: current,
                        html: decoded.html.as_deref().map(|h| Box::new(html::render(h))),
                        decoded,
                        remote_images: false,
                    },
                    Ok(None) => Reader::NotDownloaded(current),
                    Err(problem) => Reader::Failed(problem),
                };
                Task::none()
            }
            Message::MarkedSeen(result) => {
                match result {
                    Ok(()) => self.wake_sync(),
                    Err(problem) => tracing::warn!("marking a message read failed: {problem}"),
                }
                self.reload_folders()
            }
            Message::ToggleOrder => {
                self.list.order = match self.list.order {
                    SortOrder::NewestFirst => SortOrder::OldestFirst,
                    SortOrder::OldestFirst => SortOrder::NewestFirst,
                };
                self.show(self.list.source)
            }
            Message::SearchChanged(text) => {
                self.search_text = text;
                if self.search_text.trim().is_empty() {
                    self.clear_search()
                } else {
                    Task::none()
                }
            }
            Message::Search => self.search(),
            Message::SearchResults(generation, result) => {
                if generation != self.list.generation {
                    return (Task::none(), None);
                }
                match result {
                    Ok(rows) => {
                        if let Some((_, results)) = &mut self.list.search {
                            *results = Some(rows);
                        }
                    }
                    Err(problem) => self.store_problem = Some(problem),
                }
                Task::none()
            }
            Message::ClearSearch => {
                self.search_text.clear();
                self.clear_search()
            }
            Message::Key(event) => return self.key(event),
            Message::Compose => {
                return (
                    Task::none(),
                    Some(Event::Compose(Box::new(self.composer()))),
                );
            }
            Message::LoadRemoteImages => {
                if let Reader::Shown { remote_images, .. } = &mut self.reader {
                    *remote_images = true;
                }
                Task::none()
            }
            // Reader and list actions
            Message::LinkClicked(href) => return self.link_clicked(&href),
            Message::OpenLink => self.open_link(),
            Message::CancelLink => {
                self.link = None;
                Task::none()
            }
            Message::LinkOpened(result) => {
                self.notice = result
                    .err()
                    .map(|detail| actions::Notice::LinkFailed { detail });
                Task::none()
            }
            Message::ToggleFlagged => self.toggle_flagged(),
            Message::ToggleSeen => self.toggle_seen(),
            Message::FlagsSaved(result) => self.flags_saved(result),
            Message::SaveAttachment(index) => self.save_attachment(index),
            Message::AttachmentSaved(name, result) => {
                self.notice = match result {
                    Ok(None) => None,
                    Ok(Some(path)) => Some(actions::Notice::Saved { name, path }),
                    Err(detail) => Some(actions::Notice::SaveFailed { name, detail }),
                };
                Task::none()
            }
            Message::OpenAttachment(index) => self.open_attachment(index),
            Message::AttachmentOpened(name, result) => {
                self.notice = result
                    .err()
                    .map(|detail| actions::Notice::OpenFailed { name, detail });
                Task::none()
            }
            Message::ToggleConversations(on) => {
                self.list.threads = on;
                self.show(self.list.source)
            }
            Message::ToggleThread(thread) => self.toggle_thread(thread),
            Message::ThreadPageLoaded(generation, page, result) => {
                if generation != self.list.generation {
                    return (Task::none(), None);
                }
                self.list.requested.remove(&page);
                match result {
                    Ok(rows) => {
                        self.list.thread_page_arrived(page, rows);
                        // A row selected before its page was here opens now.
                        match self.list.selected {
                            Some(selected)
                                if matches!(self.reader, Reader::Empty)
                                    && self.list.row(selected).is_some() =>
                            {
                                self.open(selected)
                            }
                            _ => Task::none(),
                        }
                    }
                    Err(problem) => {
                        self.store_problem = Some(problem);
                        Task::none()
                    }
                }
            }
            Message::ThreadLoaded(generation, thread, result) => {
                if generation != self.list.generation {
                    return (Task::none(), None);
                }
                match result {
                    Ok(messages) => self.list.thread_arrived(thread, messages),
                    Err(problem) => self.store_problem = Some(problem),
                }
                Task::none()
            }
            Message::SignInAgain(email) => self.sign_in_again(email),
            Message::ReauthPassword(email, password) => {
                self.reauth.entry(email).or_default().password = password;
                Task::none()
            }
            Message::SignedInAgain(email, result) => {
                let reauth = self.reauth.entry(email.clone()).or_default();
                reauth.busy = false;
                match result {
                    // A new key for the subscription: the engine starts again, signed in.
                    Ok(()) => self.signed_in_again(&email),
                    Err(problem) => reauth.problem = Some(problem),
                }
                Task::none()
            }
            Message::Reply(mode, lang) => self.load_original(Reply::Reply(mode), lang),
            Message::Forward(lang) => self.load_original(Reply::Forward, lang),
            Message::OriginalLoaded(kind, lang, result) => match result {
                Ok((email, raw)) => {
                    return (
                        Task::none(),
                        Some(Event::Compose(Box::new(
                            self.answer(kind, &email, &raw, lang),
                        ))),
                    );
                }
                Err(problem) => {
                    self.reader = Reader::Failed(problem);
                    Task::none()
                }
            },
            Message::Sync(email, update) => return self.on_sync(email, update),
            Message::Outbox(message) => outbox::update(self, message),
            Message::Delete => self.delete_selected(),
            Message::Deleted(result) => {
                match result {
                    Ok(()) => self.wake_sync(),
                    Err(problem) => self.store_problem = Some(problem),
                }
                if self.list.search.is_some() {
                    self.search()
                } else {
                    self.refresh()
                }
            }
        };
        (task, None)
    }

    /// Asks every running engine for a pass now: a change made here (queued in the store) goes to
    /// the server at once, and new mail elsewhere than the inbox is fetched.
    fn wake_sync(&self) {
        for waker in self.wakers.values() {
            waker.wake();
        }
    }

    fn on_sync(&mut self, email: String, update: sync::Update) -> (Task<Message>, Option<Event>) {
        use tayori::sync::SyncEvent;
        if let sync::Update::Ready(waker) = update {
            self.wakers.insert(email, waker);
            return (Task::none(), None);
        }
        let new_mail = match &update {
            sync::Update::Event(event @ SyncEvent::NewMail { .. }) => {
                Some(Event::NewMail(email.clone(), event.clone()))
            }
            _ => None,
        };
        let refresh = matches!(
            &update,
            sync::Update::Event(
                SyncEvent::FolderDone { .. } | SyncEvent::Finished(_) | SyncEvent::NewMail { .. }
            )
        );
        if let sync::Update::Event(SyncEvent::NeedsSignIn { error }) = &update
            && let Some(account) = self.accounts.iter_mut().find(|a| a.email == email)
        {
            account.needs_sign_in = Some(error.clone());
            // The engine stops; the next one (after signing in again) hands back a new waker.
            self.wakers.remove(&email);
        }
        // Progress within a folder is kept; the other events replace it.
        self.sync.insert(email, update);
        let task = if refresh && self.list.search.is_none() {
            self.refresh()
        } else if refresh {
            self.reload_folders()
        } else {
            Task::none()
        };
        (task, new_mail)
    }

    /// One line for the status bar: the busiest account's state.
    fn sync_line(&self, lang: Lang) -> Option<String> {
        use tayori::sync::SyncEvent;
        let n = |v: usize| v.to_string();
        let mut lines = self.sync.iter().map(|(email, update)| {
            let line = match update {
                sync::Update::Ready(_) => lang.text(Text::SyncConnecting).to_owned(),
                sync::Update::CouldNotStart(detail) => {
                    fill(lang.text(Text::SyncNotRunning), &[("detail", detail)])
                }
                sync::Update::Event(event) => match event {
                    SyncEvent::Connecting | SyncEvent::Connected => {
                        lang.text(Text::SyncConnecting).to_owned()
                    }
                    SyncEvent::ActionsReplayed(_) | SyncEvent::FolderDone { .. } => {
                        lang.text(Text::SyncConnecting).to_owned()
                    }
                    SyncEvent::FolderStarted { folder } => {
                        fill(lang.text(Text::SyncFolder), &[("folder", folder)])
                    }
                    SyncEvent::Envelopes {
                        folder,
                        done,
                        total,
                    } => fill(
                        &lang.plural(Plural::SyncEnvelopes, *total as u64),
                        &[("folder", folder), ("done", &n(*done))],
                    ),
                    SyncEvent::Bodies {
                        folder,
                        done,
                        total,
                        ..
                    } => fill(
                        lang.text(Text::SyncBodies),
                        &[
                            ("folder", folder),
                            ("done", &n(*done)),
                            ("total", &n(*total)),
                        ],
                    ),
                    SyncEvent::Finished(_) | SyncEvent::Idle | SyncEvent::NewMail { .. } => {
                        lang.text(Text::SyncUpToDate).to_owned()
                    }
                    SyncEvent::Offline { retry_in, .. } => fill(
                        lang.text(Text::SyncOffline),
                        &[("seconds", &retry_in.as_secs().to_string())],
                    ),
                    SyncEvent::NeedsSignIn { .. } => lang.text(Text::SyncNeedsSignIn).to_owned(),
                },
            };
            format!("{email}: {line}")
        });
        let first = lines.next()?;
        Some(match lines.next() {
            None => first,
            Some(second) => format!("{first}  ·  {second}"),
        })
    }

    fn search(&mut self) -> Task<Message> {
        let query = self.search_text.trim().to_owned();
        if query.is_empty() {
            return self.clear_search();
        }
        let Some(db) = self.db() else {
            return Task::none();
        };
        let generation = self.next_generation;
        self.next_generation += 1;
        self.list.generation = generation;
        self.list.search = Some((query.clone(), None));
        self.list.selected = None;
        self.list.scroll_y = 0.0;
        self.reader = Reader::Empty;
        Task::batch([
            Task::perform(
                async move {
                    db.run(move |store| store.search(&query, SEARCH_LIMIT))
                        .await
                },
                move |rows| Message::SearchResults(generation, rows),
            ),
            iced::widget::operation::scroll_to(
                Id::new(LIST_ID),
                scrollable::AbsoluteOffset { x: 0.0, y: 0.0 },
            ),
        ])
    }

    fn clear_search(&mut self) -> Task<Message> {
        if self.list.search.is_none() {
            return Task::none();
        }
        self.show(self.list.source)
    }

    fn key(&mut self, event: keyboard::Event) -> (Task<Message>, Option<Event>) {
        let keyboard::Event::KeyPressed { key, modifiers, .. } = event else {
            return (Task::none(), None);
        };
        if modifiers.control() || modifiers.alt() || modifiers.logo() {
            return (Task::none(), None);
        }
        let lang = self.view_lang.get();
        let task = match key.as_ref() {
            Key::Character("c") => {
                return (
                    Task::none(),
                    Some(Event::Compose(Box::new(self.composer()))),
                );
            }
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
            Key::Character("/") => iced::widget::operation::focus(Id::new(SEARCH_ID)),
            Key::Named(Named::Delete) => self.delete_selected(),
            // Check for mail now, in every folder of every account.
            Key::Named(Named::F5) => {
                self.wake_sync();
                Task::none()
            }
            // Reader and list actions
            Key::Character("r") => self.load_original(Reply::Reply(ReplyMode::Sender), lang),
            Key::Character("a" | "R") => self.load_original(Reply::Reply(ReplyMode::All), lang),
            Key::Character("f") => self.load_original(Reply::Forward, lang),
            Key::Character("s") => self.toggle_flagged(),
            Key::Character("u") => self.toggle_seen(),
            Key::Named(Named::ArrowRight) => self.expand_selected(true),
            Key::Named(Named::ArrowLeft) => self.expand_selected(false),
            // Reader and list actions: Escape first dismisses a link waiting for confirmation.
            Key::Named(Named::Escape) if self.link.is_some() => {
                self.link = None;
                Task::none()
            }
            Key::Named(Named::Escape) if self.list.search.is_some() => {
                self.search_text.clear();
                self.clear_search()
            }
            _ => Task::none(),
        };
        (task, None)
    }

    /// The same sign-in as `tayori account reauth`: the browser for OAuth accounts, the typed
    /// password otherwise; both servers checked; then the account is marked signed in.
    fn sign_in_again(&mut self, email: String) -> Task<Message> {
        let Some(account) = self.accounts.iter().find(|a| a.email == email).cloned() else {
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
            crate::ui::reauth::sign_in_again(self.context.clone(), account, password),
            move |result| Message::SignedInAgain(email.clone(), result),
        )
    }

    /// An empty composer for these accounts.
    pub fn composer(&self) -> composer::State {
        composer::State::new(self.context.clone(), self.accounts.clone(), self.db())
    }

    /// A composer filled from the link.
    pub fn composer_for_link(&self, link: &tayori::mailto::MailtoLink) -> composer::State {
        composer::State::from_mailto(self.context.clone(), self.accounts.clone(), self.db(), link)
    }

    /// Reads the message in the reader, for a reply or a forward.
    fn load_original(&mut self, kind: Reply, lang: Lang) -> Task<Message> {
        let (Reader::Shown { summary, .. }, Some(db)) = (&self.reader, self.db()) else {
            return Task::none();
        };
        let id = summary.id;
        Task::perform(
            async move {
                db.run(move |store| {
                    let (email, _) = store.message_location(id)?;
                    let raw = store
                        .message_raw(id)?
                        .ok_or(tayori::store::StoreError::NoSuchMessage(id))?;
                    Ok((email, raw))
                })
                .await
            },
            move |result| Message::OriginalLoaded(kind, lang, result),
        )
    }

    /// The composer for a reply or a forward, made by the core from the original.
    fn answer(&self, kind: Reply, email: &str, raw: &[u8], lang: Lang) -> composer::State {
        let account = self.accounts.iter().find(|a| a.email == email);
        let me =
            tayori::compose::Mailbox::new(account.and_then(|a| a.display_name.as_deref()), email);
        let draft = match kind {
            Reply::Reply(mode) => Draft::reply(raw, &me, &[email.to_owned()], mode, lang),
            Reply::Forward => Draft::forward(raw, &me, tayori::compose::ForwardMode::Inline, lang),
        };
        composer::State::from_draft(
            self.context.clone(),
            self.accounts.clone(),
            self.db(),
            email,
            draft,
        )
    }

    pub fn subscription(&self) -> Subscription<Message> {
        // No engine for an account that must sign in again: it would only be refused again. The
        // engine that was refused ends here too (its subscription goes); signing in again clears
        // the mark and bumps `restarts`, which starts a new one.
        let engines = self
            .accounts
            .iter()
            .filter(|a| a.needs_sign_in.is_none())
            .map(|account| {
                sync::subscription(sync::Key {
                    account: account.clone(),
                    context: self.context.clone(),
                    restart: self.restarts.get(&account.email).copied().unwrap_or(0),
                })
                .map(|(email, update)| Message::Sync(email, update))
            });
        Subscription::batch(
            [
                keyboard::listen().map(Message::Key),
                iced::window::resize_events().map(|(_, size)| Message::Resized(size)),
                outbox::subscription(self.context.clone())
                    .map(|update| Message::Outbox(outbox::Msg::Update(update))),
            ]
            .into_iter()
            .chain(engines),
        )
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        self.view_lang.set(lang);
        let mut middle = column![list::header(self, lang)];
        for account in &self.accounts {
            if account.needs_sign_in.is_some() {
                middle = middle.push(
                    container(self.sign_in_banner(account, lang))
                        .padding([8, 12])
                        .width(Fill)
                        .style(style::notice),
                );
            }
        }
        for problem in [&self.problem, &self.store_problem].into_iter().flatten() {
            middle = middle.push(
                container(
                    text(fill(
                        lang.text(Text::StoreUnavailable),
                        &[("detail", problem)],
                    ))
                    .size(style::SMALL),
                )
                .padding([8, 12])
                .width(Fill)
                .style(style::problem),
            );
        }
        middle = middle.push(list::view(self, lang));
        let panes = row![
            sidebar::view(self, lang),
            rule::vertical(1),
            container(middle).width(FillPortion(2)).height(Fill),
            rule::vertical(1),
            container(reader::view(self, lang))
                .width(FillPortion(3))
                .height(Fill),
        ]
        .height(Fill);
        let mut window = column![panes];
        if let Some(panel) = outbox::panel(&self.outbox, lang) {
            window = window.push(rule::horizontal(1)).push(panel);
        }
        window
            .push(rule::horizontal(1))
            .push(self.status_bar(lang))
            .into()
    }

    fn sign_in_banner<'a>(&'a self, account: &'a Account, lang: Lang) -> Element<'a, Message> {
        let email = account.email.as_str();
        let reauth = self.reauth.get(email);
        let busy = reauth.is_some_and(|r| r.busy);
        let mut banner = column![
            text(fill(
                lang.text(Text::NeedsSignInBanner),
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
                .on_input(move |typed| Message::ReauthPassword(owner.clone(), typed))
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

    fn status_bar(&self, lang: Lang) -> Element<'_, Message> {
        let (total, unread) = match self.list.source {
            Source::Unified => self
                .folders
                .iter()
                .filter(|f| f.role == Some(tayori::store::FolderRole::Inbox))
                .fold((0, 0), |(t, u), f| (t + f.total, u + f.unread)),
            Source::Folder(id) => self
                .folders
                .iter()
                .find(|f| f.id == id)
                .map_or((0, 0), |f| (f.total, f.unread)),
        };
        let count = |plural: Plural, n: u32| lang.plural(plural, n.into());
        let outbox = outbox::status(&self.outbox, lang);
        container(
            row![
                text(format!(
                    "{}  ·  {}",
                    count(Plural::StatusMessages, total),
                    count(Plural::StatusUnread, unread)
                ))
                .size(style::TINY),
                // What waits in the outbox; a click shows each message and why.
                outbox,
                // The sync line takes the room there is and is cut, never wrapped: the bar stays
                // one line high whatever an engine reports.
                container(
                    text(self.sync_line(lang).unwrap_or_default())
                        .size(style::TINY)
                        .style(style::accent)
                        .wrapping(iced::widget::text::Wrapping::None),
                )
                .width(Fill)
                .clip(true),
                text(lang.text(Text::ShortcutsHint))
                    .size(style::TINY)
                    .style(style::muted)
                    .wrapping(iced::widget::text::Wrapping::None),
            ]
            .spacing(12),
        )
        .padding([5, 12])
        .width(Fill)
        .style(style::backdrop)
        .into()
    }
}
