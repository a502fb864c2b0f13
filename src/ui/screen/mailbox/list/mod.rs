//! The message list: a window onto the store's rows, fetched a page at a time as they come into
//! view, in either order, as messages or as conversations (`threads.rs`), or the results of a
//! search. Its own messages page it; what it asks of the main window (open a row, start over, a
//! store that did not answer) is its `Event`.

mod threads;
mod view;

use std::collections::{HashMap, HashSet};

use iced::Task;
use iced::widget::{Id, scrollable};
use tayori::store::{ListScope, MessageSummary, Page, RowKey, Seek, SortOrder, ThreadSummary};

pub use threads::{Entry, Expanded};
pub use view::view;

use crate::ui::db::Db;
use crate::ui::problem::Problem;

/// Rows fetched from the store at a time.
pub const PAGE: usize = 200;
/// The height of one row of the list, in logical pixels (fixed: it is what makes the list virtual).
pub const ROW_HEIGHT: f32 = 68.0;
/// Rows built beyond the visible ones, so a quick scroll never shows a gap.
const OVERSCAN: usize = 6;

pub const LIST_ID: &str = "message-list";

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
    /// The generation the next list (or search) gets.
    next_generation: u64,
    pub total: Option<usize>,
    pub pages: HashMap<usize, Vec<MessageSummary>>,
    /// The sort keys of each loaded page's first and last row (of `pages`, or of `thread_pages`
    /// in the conversations view): the next page starts from one of them (keyset paging).
    keys: HashMap<usize, (RowKey, RowKey)>,
    requested: HashSet<usize>,
    /// While searching: the query and what the store's full-text index found.
    pub search: Option<(String, Option<Vec<MessageSummary>>)>,
    /// How many stored messages the search index did not cover yet when the search ran (it is
    /// built after a sync): the results say they may be incomplete.
    pub search_waiting: usize,
    /// Scroll position and visible height of the list, in pixels.
    pub scroll_y: f32,
    pub height: f32,
    pub selected: Option<usize>,
    /// The conversations view: one row per thread (`thread_pages`, by thread position), with the
    /// expanded threads' messages as rows under them.
    pub threads: bool,
    pub thread_pages: HashMap<usize, Vec<ThreadSummary>>,
    /// Expanded threads, by position in the thread list (ascending).
    pub expanded: Vec<Expanded>,
}

#[derive(Debug, Clone)]
pub enum Message {
    CountLoaded(u64, Result<usize, Problem>),
    PageLoaded(u64, usize, Result<Page<MessageSummary>, Problem>),
    Scrolled(scrollable::Viewport),
    /// The window's new size (until the list reports its own height when scrolled).
    Resized(iced::Size),
    Open(usize),
    ToggleOrder,
    ToggleConversations(bool),
    ToggleThread(usize),
    ThreadPageLoaded(u64, usize, Result<Page<ThreadSummary>, Problem>),
    ThreadLoaded(u64, i64, Result<Vec<MessageSummary>, Problem>),
}

/// What the list asks of the main window.
pub enum Event {
    /// Open this row in the reader (clicked).
    Open(usize),
    /// The selected row arrived after it was selected (j pressed past the loaded rows): open it
    /// if the reader is still empty.
    SelectedArrived(usize),
    /// Show the list again from the top (the order or the view changed).
    StartOver,
    /// The store could not answer.
    Problem(Problem),
}

impl List {
    pub fn new(source: Source, order: SortOrder, generation: u64, height: f32) -> Self {
        List {
            source,
            order,
            generation,
            next_generation: generation + 1,
            total: None,
            pages: HashMap::new(),
            keys: HashMap::new(),
            requested: HashSet::new(),
            search: None,
            search_waiting: 0,
            scroll_y: 0.0,
            height,
            selected: None,
            threads: false,
            thread_pages: HashMap::new(),
            expanded: Vec::new(),
        }
    }

    /// A new generation: what arrives for an older one is dropped.
    fn bump(&mut self) -> u64 {
        let generation = self.next_generation;
        self.next_generation += 1;
        generation
    }

    /// `source` from the top, in the same order and view; nothing loaded yet.
    pub fn show(&mut self, source: Source) {
        let generation = self.bump();
        let mut list = List::new(source, self.order, generation, self.height);
        list.next_generation = self.next_generation;
        list.threads = self.threads;
        *self = list;
    }

    /// The same list read again in place (after a change): same scroll position and selection;
    /// expanded conversations stay open and are returned, to read their messages again.
    pub fn reload(&mut self) -> Vec<i64> {
        let generation = self.bump();
        let mut list = List::new(self.source, self.order, generation, self.height);
        list.next_generation = self.next_generation;
        list.scroll_y = self.scroll_y;
        list.selected = self.selected;
        list.threads = self.threads;
        list.expanded = std::mem::take(&mut self.expanded);
        *self = list;
        self.expanded.iter().map(|e| e.thread).collect()
    }

    /// A search for `query` starts: its results replace the rows; returns its generation.
    pub fn begin_search(&mut self, query: String) -> u64 {
        let generation = self.bump();
        self.generation = generation;
        self.search = Some((query, None));
        self.selected = None;
        self.scroll_y = 0.0;
        generation
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
            // A page whose page above is on its way waits for it and then starts from its last
            // row, rather than seek as far again on its own (keyset paging: see `seek`).
            if page > 0 && self.requested.contains(&(page - 1)) {
                continue;
            }
            if !here && self.requested.insert(page) {
                missing.push(page);
            }
        }
        missing
    }

    pub fn update(&mut self, message: Message, db: Option<&Db>) -> (Task<Message>, Option<Event>) {
        let task = match message {
            Message::CountLoaded(generation, result) => {
                if generation != self.generation {
                    return (Task::none(), None);
                }
                match result {
                    Ok(total) => {
                        self.total = Some(total);
                        if let Some(selected) = self.selected
                            && selected >= total
                        {
                            self.selected = total.checked_sub(1);
                        }
                        self.fetch_visible(db)
                    }
                    Err(problem) => return (Task::none(), Some(Event::Problem(problem))),
                }
            }
            Message::PageLoaded(generation, page, result) => {
                if generation != self.generation {
                    return (Task::none(), None);
                }
                self.requested.remove(&page);
                match result {
                    Ok(rows) => {
                        self.remember_keys(page, &rows);
                        self.pages.insert(page, rows.rows);
                        // The visible pages that waited for this one.
                        let next = self.fetch_visible(db);
                        if let Some(selected) = self.selected
                            && selected / PAGE == page
                        {
                            return (next, Some(Event::SelectedArrived(selected)));
                        }
                        next
                    }
                    Err(problem) => return (Task::none(), Some(Event::Problem(problem))),
                }
            }
            Message::Scrolled(viewport) => {
                self.scroll_y = viewport.absolute_offset().y;
                self.height = viewport.bounds().height;
                self.fetch_visible(db)
            }
            Message::Resized(size) => {
                // Until the list reports its own height when scrolled, the window's tells roughly.
                self.height = (size.height - 120.0).max(ROW_HEIGHT);
                self.fetch_visible(db)
            }
            Message::Open(index) => return (Task::none(), Some(Event::Open(index))),
            Message::ToggleOrder => {
                self.order = match self.order {
                    SortOrder::NewestFirst => SortOrder::OldestFirst,
                    SortOrder::OldestFirst => SortOrder::NewestFirst,
                };
                return (Task::none(), Some(Event::StartOver));
            }
            Message::ToggleConversations(on) => {
                self.threads = on;
                return (Task::none(), Some(Event::StartOver));
            }
            Message::ToggleThread(position) => self.toggle_thread_at(position, db),
            Message::ThreadPageLoaded(generation, page, result) => {
                if generation != self.generation {
                    return (Task::none(), None);
                }
                self.requested.remove(&page);
                match result {
                    Ok(rows) => {
                        self.remember_keys(page, &rows);
                        self.thread_page_arrived(page, rows.rows);
                        let next = self.fetch_visible(db);
                        // A row selected before its page was here opens now.
                        if let Some(selected) = self.selected
                            && self.row(selected).is_some()
                        {
                            return (next, Some(Event::SelectedArrived(selected)));
                        }
                        next
                    }
                    Err(problem) => return (Task::none(), Some(Event::Problem(problem))),
                }
            }
            Message::ThreadLoaded(generation, thread, result) => {
                if generation != self.generation {
                    return (Task::none(), None);
                }
                match result {
                    Ok(messages) => self.thread_arrived(thread, messages),
                    Err(problem) => return (Task::none(), Some(Event::Problem(problem))),
                }
                Task::none()
            }
        };
        (task, None)
    }

    /// How many rows the list has, from the store: messages, conversations, or all inboxes'.
    pub fn count(&self, db: Option<&Db>) -> Task<Message> {
        let Some(db) = db.cloned() else {
            return Task::none();
        };
        let generation = self.generation;
        let source = self.source;
        if self.threads {
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
    pub fn fetch_visible(&mut self, db: Option<&Db>) -> Task<Message> {
        let Some(db) = db.cloned() else {
            return Task::none();
        };
        let generation = self.generation;
        let source = self.source;
        let order = self.order;
        let scope = source.scope();
        let missing = self.missing_pages();
        if self.threads {
            return Task::batch(missing.into_iter().map(|page| {
                let db = db.clone();
                let (seek, limit) = self.seek(page);
                Task::perform(
                    async move {
                        db.run(move |store| store.thread_page(scope, order, seek, limit))
                            .await
                    },
                    move |rows| Message::ThreadPageLoaded(generation, page, rows),
                )
            }));
        }
        Task::batch(missing.into_iter().map(|page| {
            let db = db.clone();
            let (seek, limit) = self.seek(page);
            Task::perform(
                async move {
                    db.run(move |store| store.message_page(scope, order, seek, limit))
                        .await
                },
                move |rows| Message::PageLoaded(generation, page, rows),
            )
        }))
    }

    /// Where page `page` starts, and how many rows to read: after the last row of the page above
    /// or before the first of the page below when one is here (the usual scroll); else — a jump —
    /// from whichever known point is nearest (the top, the bottom, a loaded page), passing over
    /// the rows between on the date index alone (`store::paging`).
    fn seek(&self, page: usize) -> (Seek, usize) {
        let start = page * PAGE;
        if page == 0 {
            return (
                Seek::Forward {
                    after: None,
                    skip: 0,
                },
                PAGE,
            );
        }
        if let Some((_, last)) = self.keys.get(&(page - 1)) {
            return (
                Seek::Forward {
                    after: Some(*last),
                    skip: 0,
                },
                PAGE,
            );
        }
        if let Some((first, _)) = self.keys.get(&(page + 1)) {
            return (
                Seek::Backward {
                    before: Some(*first),
                    skip: 0,
                },
                PAGE,
            );
        }
        let mut best = (
            start,
            Seek::Forward {
                after: None,
                skip: start,
            },
            PAGE,
        );
        if let Some(total) = self.total {
            let end = (start + PAGE).min(total);
            if end > start && total - end < best.0 {
                best = (
                    total - end,
                    Seek::Backward {
                        before: None,
                        skip: total - end,
                    },
                    end - start,
                );
            }
        }
        for (&loaded, &(first, last)) in &self.keys {
            if loaded < page {
                let skip = start - (loaded + 1) * PAGE;
                if skip < best.0 {
                    let after = Some(last);
                    best = (skip, Seek::Forward { after, skip }, PAGE);
                }
            } else if loaded > page {
                let skip = (loaded - page - 1) * PAGE;
                if skip < best.0 {
                    let before = Some(first);
                    best = (skip, Seek::Backward { before, skip }, PAGE);
                }
            }
        }
        (best.1, best.2)
    }

    /// Pages asked of the store and not here yet.
    #[cfg(test)]
    pub fn pending_pages(&self) -> usize {
        self.requested.len()
    }

    fn remember_keys<T>(&mut self, page: usize, rows: &Page<T>) {
        match (rows.first, rows.last) {
            (Some(first), Some(last)) => {
                self.keys.insert(page, (first, last));
            }
            _ => {
                self.keys.remove(&page);
            }
        }
    }

    /// The conversations in view read again (a thread's figures cover messages not loaded here).
    pub fn reload_thread_pages(&self, db: Option<&Db>) -> Task<Message> {
        let Some(db) = db else {
            return Task::none();
        };
        if !self.threads || self.search.is_some() {
            return Task::none();
        }
        let generation = self.generation;
        let scope = self.source.scope();
        let order = self.order;
        Task::batch(self.thread_pages.keys().map(|&page| {
            let db = db.clone();
            let (seek, limit) = self.seek(page);
            Task::perform(
                async move {
                    db.run(move |store| store.thread_page(scope, order, seek, limit))
                        .await
                },
                move |rows| Message::ThreadPageLoaded(generation, page, rows),
            )
        }))
    }

    /// Scrolls back to the top.
    pub fn scroll_to_top<T: Send + 'static>() -> Task<T> {
        iced::widget::operation::scroll_to(
            Id::new(LIST_ID),
            scrollable::AbsoluteOffset { x: 0.0, y: 0.0 },
        )
    }

    /// Scrolls so that row `index` is fully visible.
    pub fn keep_in_view(&mut self, index: usize, db: Option<&Db>) -> Task<Message> {
        let top = index as f32 * ROW_HEIGHT;
        let bottom = top + ROW_HEIGHT;
        let y = if top < self.scroll_y {
            top
        } else if bottom > self.scroll_y + self.height {
            bottom - self.height
        } else {
            return Task::none();
        };
        self.scroll_y = y;
        Task::batch([
            iced::widget::operation::scroll_to(
                Id::new(LIST_ID),
                scrollable::AbsoluteOffset { x: 0.0, y },
            ),
            self.fetch_visible(db),
        ])
    }

    /// The row `by` rows away from the selection (the first when none is selected), if the list
    /// has rows.
    pub fn step(&self, by: isize) -> Option<usize> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        Some(match self.selected {
            Some(current) => current.saturating_add_signed(by).min(len - 1),
            None => 0,
        })
    }

    /// Opens or closes a conversation, and reads its messages when it opens.
    fn toggle_thread_at(&mut self, position: usize, db: Option<&Db>) -> Task<Message> {
        match self.toggle_thread(position) {
            Some(thread) => self.load_threads(vec![thread], db),
            None => Task::none(),
        }
    }

    /// → opens the selected conversation, ← closes it (also from one of its messages).
    pub fn expand_selected(&mut self, open: bool, db: Option<&Db>) -> Task<Message> {
        if !self.threads || self.search.is_some() {
            return Task::none();
        }
        let Some(selected) = self.selected else {
            return Task::none();
        };
        let position = self.thread_of(selected);
        let expanded = self.expanded.iter().any(|e| e.position == position);
        let several = matches!(
            self.entry(selected),
            Some(Entry::Thread { summary: Some(t), .. }) if t.count > 1
        );
        if (open && !expanded && several) || (!open && expanded) {
            self.toggle_thread_at(position, db)
        } else {
            Task::none()
        }
    }

    /// Reads expanded conversations' messages from the store.
    pub fn load_threads(&self, threads: Vec<i64>, db: Option<&Db>) -> Task<Message> {
        let Some(db) = db else {
            return Task::none();
        };
        let generation = self.generation;
        let scope = self.source.scope();
        let order = self.order;
        Task::batch(threads.into_iter().map(|thread| {
            let db = db.clone();
            Task::perform(
                async move {
                    db.run(move |store| store.thread_messages(scope, thread, order))
                        .await
                },
                move |messages| Message::ThreadLoaded(generation, thread, messages),
            )
        }))
    }
}
