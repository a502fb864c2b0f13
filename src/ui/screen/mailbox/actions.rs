//! What the reader's toolbar and keys do to a message — flag, mark unread, save or open an
//! attachment, follow a link — and the conversations view's threads opening and closing.
//!
//! Flag and read changes go through the store (`set_flagged`, `set_seen`), which records them at
//! once and queues them for the sync engine; the list row and the sidebar follow without waiting.

use std::path::PathBuf;

use iced::Task;
use tayori::attachment;
use tayori::store::{MessageSummary, StoreError};

use super::html::{self, LinkTarget};
use super::{Db, Event, Message, Reader, State};

/// A web link waiting for the person to confirm where it goes.
#[derive(Debug, Clone)]
pub struct PendingLink {
    pub url: url::Url,
    /// When the link's text names another site than it leads to: (shown, real).
    pub deceptive: Option<(String, String)>,
}

/// What the reader says after an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Saved { name: String, path: PathBuf },
    SaveFailed { name: String, detail: String },
    OpenFailed { name: String, detail: String },
    LinkFailed { detail: String },
    MailtoInvalid { detail: String },
    ActionFailed { detail: String },
}

/// The attachment's bytes, from the message as stored.
async fn attachment_bytes(db: &Db, id: i64, index: usize) -> Result<Vec<u8>, String> {
    let raw = db
        .run(move |store| store.message_raw(id)?.ok_or(StoreError::NoSuchMessage(id)))
        .await?;
    tokio::task::spawn_blocking(move || {
        tayori::mime::attachment_bytes(&raw, index)
            .ok_or_else(|| "the attachment is no longer in the message".to_owned())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Writes attachment `index` of message `id` to `path` (the place the save dialog returned).
pub async fn save_attachment_to(
    db: Db,
    id: i64,
    index: usize,
    path: PathBuf,
) -> Result<PathBuf, String> {
    let bytes = attachment_bytes(&db, id, index).await?;
    tokio::task::spawn_blocking(move || {
        attachment::write_file(&path, &bytes)
            .map(|()| path)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Writes attachment `index` of message `id` into the private attachments folder under the cache
/// folder, for opening; returns the file.
pub async fn attachment_to_cache(
    db: Db,
    cache_dir: PathBuf,
    id: i64,
    index: usize,
    name: String,
) -> Result<PathBuf, String> {
    let bytes = attachment_bytes(&db, id, index).await?;
    tokio::task::spawn_blocking(move || {
        attachment::write_for_opening(&cache_dir, id, &name, &bytes).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

impl State {
    /// The message in the reader, whatever its state.
    fn reader_summary_mut(&mut self) -> Option<&mut MessageSummary> {
        match &mut self.reader {
            Reader::Loading(summary)
            | Reader::NotDownloaded(summary)
            | Reader::Shown { summary, .. } => Some(summary),
            Reader::Empty | Reader::Failed(_) => None,
        }
    }

    /// Flag or unflag the message in the reader (`s`).
    pub(super) fn toggle_flagged(&mut self) -> Task<Message> {
        self.toggle_flag(
            |flags| &mut flags.flagged,
            |store, id, on| store.set_flagged(id, on),
        )
    }

    /// Mark the message in the reader unread, or read again (`u`).
    pub(super) fn toggle_seen(&mut self) -> Task<Message> {
        self.toggle_flag(
            |flags| &mut flags.seen,
            |store, id, on| store.set_seen(id, on),
        )
    }

    /// Turns one flag of the message in the reader over: at once in the reader and the list, then
    /// in the store (which queues the change for the server).
    fn toggle_flag(
        &mut self,
        flag: fn(&mut tayori::store::Flags) -> &mut bool,
        save: fn(&mut tayori::store::Store, i64, bool) -> Result<(), tayori::store::StoreError>,
    ) -> Task<Message> {
        let Some(db) = self.db() else {
            return Task::none();
        };
        let Some(summary) = self.reader_summary_mut() else {
            return Task::none();
        };
        let on = !*flag(&mut summary.flags);
        *flag(&mut summary.flags) = on;
        let id = summary.id;
        self.list.change_flags(id, |flags| *flag(flags) = on);
        Task::perform(
            async move { db.run(move |store| save(store, id, on)).await },
            Message::FlagsSaved,
        )
    }

    /// The store has the change: the sidebar's counts are read again, and in the conversations
    /// view the threads in view too (a thread's figures cover messages not loaded here).
    pub(super) fn flags_saved(&mut self, result: Result<(), String>) -> Task<Message> {
        if let Err(detail) = result {
            self.notice = Some(Notice::ActionFailed { detail });
            return self.refresh();
        }
        // The change is queued in the store: the engines take it to the server now.
        self.wake_sync();
        let mut tasks = vec![self.reload_folders()];
        if self.list.threads
            && self.list.search.is_none()
            && let Some(db) = self.db()
        {
            let generation = self.list.generation;
            let scope = self.list.source.scope();
            let order = self.list.order;
            for &page in self.list.thread_pages.keys() {
                let db = db.clone();
                tasks.push(Task::perform(
                    async move {
                        db.run(move |store| {
                            store.threads(scope, order, page * super::PAGE, super::PAGE)
                        })
                        .await
                    },
                    move |rows| Message::ThreadPageLoaded(generation, page, rows),
                ));
            }
        }
        Task::batch(tasks)
    }

    /// The store, the message's id and the safe file name of attachment `index` of the message in
    /// the reader.
    fn shown_attachment(&self, index: usize) -> Option<(Db, i64, String)> {
        let (
            Reader::Shown {
                summary, decoded, ..
            },
            Some(db),
        ) = (&self.reader, self.db())
        else {
            return None;
        };
        let info = decoded.attachments.get(index)?;
        let name = attachment::safe_file_name(info.file_name.as_deref(), &info.content_type, index);
        Some((db, summary.id, name))
    }

    /// "Save…": the system's save dialog, then the bytes written where the person chose.
    pub(super) fn save_attachment(&mut self, index: usize) -> Task<Message> {
        let Some((db, id, name)) = self.shown_attachment(index) else {
            return Task::none();
        };
        let shown = name.clone();
        Task::perform(
            async move {
                let Some(file) = rfd::AsyncFileDialog::new()
                    .set_file_name(&name)
                    .save_file()
                    .await
                else {
                    return Ok(None);
                };
                save_attachment_to(db, id, index, file.path().to_owned())
                    .await
                    .map(Some)
            },
            move |result| Message::AttachmentSaved(shown.clone(), result),
        )
    }

    /// "Open": the attachment written to the private cache folder, then opened with the system's
    /// program for its type. Programs and scripts are refused (they can be saved).
    pub(super) fn open_attachment(&mut self, index: usize) -> Task<Message> {
        let Some((db, id, name)) = self.shown_attachment(index) else {
            return Task::none();
        };
        let cache = self.context.paths.cache_dir.clone();
        let shown = name.clone();
        Task::perform(
            async move {
                let path = attachment_to_cache(db, cache, id, index, name).await?;
                attachment::open_file(&path).map_err(|e| e.to_string())?;
                Ok(path)
            },
            move |result| Message::AttachmentOpened(shown.clone(), result),
        )
    }

    /// A click on a link in the reader. A web link is not opened at once: the reader first shows
    /// where it leads (and warns when its text names another site).
    pub(super) fn link_clicked(&mut self, href: &str) -> (Task<Message>, Option<Event>) {
        match html::link_target(href) {
            LinkTarget::Web(url) => {
                let deceptive = match &self.reader {
                    Reader::Shown {
                        html: Some(rendered),
                        ..
                    } => html::deceptive_hosts(&rendered.link_text(href), &url),
                    _ => None,
                };
                self.link = Some(PendingLink { url, deceptive });
                (Task::none(), None)
            }
            LinkTarget::Mail(link) => match tayori::mailto::parse(&link) {
                Ok(link) => (
                    Task::none(),
                    Some(Event::Compose(Box::new(self.composer_for_link(&link)))),
                ),
                Err(error) => {
                    self.notice = Some(Notice::MailtoInvalid {
                        detail: error.to_string(),
                    });
                    (Task::none(), None)
                }
            },
            LinkTarget::Ignored => (Task::none(), None),
        }
    }

    /// The person confirmed: the link goes to their browser.
    pub(super) fn open_link(&mut self) -> Task<Message> {
        let Some(link) = self.link.take() else {
            return Task::none();
        };
        let browser = self.context.browser.clone();
        let url = link.url.to_string();
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || browser.open(&url).map_err(|e| e.to_string()))
                    .await
                    .map_err(|e| e.to_string())?
            },
            Message::LinkOpened,
        )
    }

    /// Opens or closes a conversation in the list.
    pub(super) fn toggle_thread(&mut self, position: usize) -> Task<Message> {
        match self.list.toggle_thread(position) {
            Some(thread) => self.load_threads(vec![thread]),
            None => Task::none(),
        }
    }

    /// → opens the selected conversation, ← closes it (also from one of its messages).
    pub(super) fn expand_selected(&mut self, open: bool) -> Task<Message> {
        if !self.list.threads || self.list.search.is_some() {
            return Task::none();
        }
        let Some(selected) = self.list.selected else {
            return Task::none();
        };
        let position = self.list.thread_of(selected);
        let expanded = self.list.expanded.iter().any(|e| e.position == position);
        let several = matches!(
            self.list.entry(selected),
            Some(super::list::Entry::Thread { summary: Some(t), .. }) if t.count > 1
        );
        if (open && !expanded && several) || (!open && expanded) {
            self.toggle_thread(position)
        } else {
            Task::none()
        }
    }

    /// Reads expanded conversations' messages from the store.
    pub(super) fn load_threads(&self, threads: Vec<i64>) -> Task<Message> {
        let Some(db) = self.db() else {
            return Task::none();
        };
        let generation = self.list.generation;
        let scope = self.list.source.scope();
        let order = self.list.order;
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
