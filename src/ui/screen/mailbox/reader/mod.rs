//! The reader: the message opened from the list, and what its toolbar and keys do to it — `r`
//! reply, `a` or Shift+R reply all, `f` forward, `s` flag, `u` mark unread — attachments saved or
//! opened, links opened only after the reader has shown where they go.
//!
//! Flag and read changes go through the store (`set_flagged`, `set_seen`), which records them at
//! once and queues them for the sync engine; the list row and the sidebar follow without waiting
//! (the reader's `Event`).

mod page_tiles;
mod view;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use iced::Task;
use tayori::attachment;
use tayori::compose::ReplyMode;
use tayori::i18n::Lang;
use tayori::mime::{Decoded, Mailbox};
use tayori::store::{Flags, MessageSummary, Store, StoreError};

pub use view::view;

use super::html::{self, LinkTarget};
use crate::ui::context::Context;
use crate::ui::db::Db;
use crate::ui::html_page::{self, LinkArea, PageError};
use crate::ui::problem::Problem;

/// The reader: what it shows, a link waiting for confirmation, what the last action said.
#[derive(Default)]
pub struct Reader {
    pub(super) content: Content,
    /// A web link clicked in the reader, waiting for the person to confirm where it goes.
    pub(super) link: Option<PendingLink>,
    /// What the last reader action said (an attachment saved, or why it could not be).
    pub(super) notice: Option<Notice>,
    /// The read receipt the shown message asks for, while it is a question or just answered.
    pub(super) receipt: Option<Receipt>,
    /// Messages whose request for a read receipt was answered (sent or declined) in this run:
    /// the question is not asked twice.
    receipts_answered: HashSet<i64>,
    /// The width the reader's body has (logical pixels), as last drawn: HTML is laid out to it.
    width: Option<u32>,
    /// Pages laid out lately, newest first: going back to a message (j, k) shows it at once.
    pages: VecDeque<(PageKey, Arc<PageView>)>,
    /// Bumped for each layout asked for: only the newest answer is shown.
    generation: u64,
    /// The link under the mouse in the HTML page.
    pub(super) hovered: Option<String>,
    /// Where the mouse is on the HTML page.
    pointer: Option<iced::Point>,
    /// Text being selected, or selected, on the HTML page.
    pub(super) selection: Option<Selection>,
    /// Whether pages are painted darkened too, for the dark theme (a setting).
    darken: bool,
    /// The window's scale factor (device pixels per logical pixel), once the window said it:
    /// pages are painted at it, sharp on high-density screens.
    scale: Option<f32>,
}

/// A selection on the HTML page: from where the button went down to where the mouse is (or was
/// when it came up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    pub anchor: iced::Point,
    pub focus: iced::Point,
    pub dragging: bool,
}

/// Pages kept for going back and forth: at most this many, and this many bytes of pixels.
const PAGES_KEPT: usize = 8;
const PAGES_KEPT_BYTES: usize = 64 << 20;

/// What a page was laid out from: the message, the width, how many remote images it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageKey {
    id: i64,
    width: u32,
    remote: usize,
    darken: bool,
    /// The scale factor's bits (a float, compared exactly).
    scale: u32,
}

/// An HTML body laid out: its tiles ready for the GPU, where its links are, what it asked for.
#[derive(Debug)]
pub struct PageView {
    /// Logical pixels; the tiles hold `scale` device pixels for each.
    pub width: u32,
    pub scale: f32,
    /// Bytes of pixels its tiles hold.
    pub bytes: usize,
    pub tiles: Vec<(iced::widget::image::Handle, u32)>,
    /// The same, darkened for the dark theme, when the person chose that.
    pub dark_tiles: Option<Vec<(iced::widget::image::Handle, u32)>>,
    pub links: Vec<LinkArea>,
    /// Remote addresses it asked for that are not trackers: what "Load remote images" loads.
    pub remote: Vec<String>,
    pub trackers: usize,
    pub cut: bool,
    /// The words and spaces as drawn, in reading order (for selecting and copying).
    pub text: Vec<html_page::TextRun>,
    /// The message's parts drawn on the page (Content-IDs): not listed as attachments too.
    pub inline_drawn: Vec<String>,
}

impl PageView {
    /// The page's tiles handed to the GPU's image handles (without a copy when the layout thread
    /// let go of the page, as it does).
    fn new(page: Arc<html_page::Page>) -> Self {
        let page = Arc::unwrap_or_clone(page);
        let bytes = page.bytes() * if page.dark_tiles.is_some() { 2 } else { 1 };
        let trackers: HashSet<&String> = page.trackers.iter().collect();
        let remote = page
            .remote_asked
            .iter()
            .filter(|url| !trackers.contains(url))
            .cloned()
            .collect();
        let wide = page.pixels_wide;
        let handles = |tiles: Vec<html_page::Tile>| {
            tiles
                .into_iter()
                .map(|tile| {
                    let pixels = Arc::unwrap_or_clone(tile.rgba);
                    let handle = iced::widget::image::Handle::from_rgba(wide, tile.height, pixels);
                    (handle, tile.height)
                })
                .collect()
        };
        PageView {
            width: page.width,
            scale: page.scale,
            bytes,
            remote,
            trackers: page.trackers.len(),
            tiles: handles(page.tiles),
            dark_tiles: page.dark_tiles.map(handles),
            links: page.links,
            cut: page.cut,
            text: page.text,
            inline_drawn: page.inline_drawn,
        }
    }

    /// The runs a selection covers.
    pub fn selected(&self, selection: &Selection) -> &[html_page::TextRun] {
        let (first, last) = html_page::text_between(
            &self.text,
            (selection.anchor.x, selection.anchor.y),
            (selection.focus.x, selection.focus.y),
        );
        &self.text[first..last]
    }

    fn link_at(&self, point: iced::Point) -> Option<&str> {
        self.links
            .iter()
            .find(|link| {
                link.boxes.iter().any(|b| {
                    point.x >= b.x
                        && point.x < b.x + b.width
                        && point.y >= b.y
                        && point.y < b.y + b.height
                })
            })
            .map(|link| link.href.as_str())
    }
}

/// The HTML body as laid out, or why it is not.
#[derive(Debug, Default)]
pub enum PageState {
    /// No HTML body, or one the sanitiser's bounds sent to the text view.
    #[default]
    None,
    Waiting,
    Ready(Arc<PageView>),
    /// The engine failed or took too long: the text view shows it, and says why.
    Failed(PageError),
}

/// What an HTML body is laid out from, kept to lay it out again (another width, remote images).
#[derive(Debug, Clone, Default)]
pub struct PageSource {
    html: Arc<html::LayoutHtml>,
    inline: Arc<Vec<(String, Vec<u8>)>>,
    remote: Arc<HashMap<String, Vec<u8>>>,
}

/// Where loading the message's remote images stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RemoteState {
    #[default]
    Blocked,
    Loading,
    Loaded {
        failed: usize,
    },
}

/// A read receipt asked for by the message shown (`Disposition-Notification-To`). Nothing is sent
/// unless the person says yes.
#[derive(Debug, Clone, PartialEq)]
pub enum Receipt {
    Asked {
        /// Who sent the message, as shown.
        sender: String,
        /// Where the receipt would go.
        to: Mailbox,
        /// The receipt would go to another address than the sender's (a tracking service, say).
        elsewhere: bool,
    },
    Sending,
    Queued {
        address: String,
    },
    Failed {
        detail: String,
    },
}

impl Receipt {
    /// The question for `decoded`, if it asks for a receipt.
    fn asked_by(decoded: &Decoded) -> Option<Self> {
        let to = decoded.receipt_to.first()?.clone();
        let from = decoded.from.first();
        let sender = match from {
            Some(Mailbox {
                name: Some(name),
                address,
            }) => format!("{name} <{address}>"),
            Some(Mailbox { address, .. }) => address.clone(),
            None => to.address.clone(),
        };
        let elsewhere = !decoded
            .from
            .iter()
            .any(|f| f.address.eq_ignore_ascii_case(&to.address));
        Some(Receipt::Asked {
            sender,
            to,
            elsewhere,
        })
    }
}

/// What the reader shows.
#[derive(Default)]
pub enum Content {
    #[default]
    Empty,
    Loading(MessageSummary),
    Shown {
        summary: MessageSummary,
        decoded: Box<Decoded>,
        /// The HTML body, sanitised and turned into styled text (shown when it cannot be laid
        /// out; its words serve the link check).
        html: Option<Box<html::Rendered>>,
        /// Whether the person asked to see this message's remote images (listed, never fetched
        /// before that).
        remote_images: bool,
        /// The HTML body laid out as its sender meant it.
        page: PageState,
        source: Option<PageSource>,
        remote: RemoteState,
    },
    /// Only the headers are here so far.
    NotDownloaded(MessageSummary),
    Failed(Problem),
}

/// A web link waiting for the person to confirm where it goes.
#[derive(Debug, Clone)]
pub struct PendingLink {
    /// The address opened (a Safe Links address stays one: the organisation's check of each
    /// click is its policy, as in Outlook).
    pub url: url::Url,
    /// Where a link rewritten by Microsoft Defender Safe Links really leads.
    pub real: Option<url::Url>,
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

/// What the composer is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Reply(ReplyMode),
    Forward,
}

/// A flag the reader turns over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Flagged,
    Seen,
}

impl Flag {
    pub fn of(self, flags: &mut Flags) -> &mut bool {
        match self {
            Flag::Flagged => &mut flags.flagged,
            Flag::Seen => &mut flags.seen,
        }
    }

    fn save(self, store: &mut Store, id: i64, on: bool) -> Result<(), StoreError> {
        match self {
            Flag::Flagged => store.set_flagged(id, on),
            Flag::Seen => store.set_seen(id, on),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Opened(i64, Result<Option<Opened>, Problem>),
    /// Load this message's remote images (its trackers stay blocked).
    LoadRemoteImages,
    /// Load them, and from now on for every message from its sender.
    LoadRemoteImagesAlways,
    RemoteImagesLoaded(i64, Arc<Vec<(String, Vec<u8>)>>, usize),
    /// The body's width, as drawn (the page is laid out to it).
    PageWidth(f32),
    /// The window's scale factor, as the system reports it (at the start, and when the window
    /// moves to a screen of another density).
    ScaleFactor(f32),
    PageLaid(u64, i64, Result<Arc<html_page::Page>, PageError>),
    /// The mouse moved over the page (a point of the page).
    PageHover(iced::Point),
    PagePressed,
    PageReleased,
    /// Copy the text selected on the HTML page.
    CopySelection,
    /// The person agreed to send the read receipt the message asks for (in this language).
    SendReceipt(Lang),
    /// The person declined to send a read receipt.
    DeclineReceipt,
    ReceiptQueued(Result<String, Problem>),
    /// A link in an HTML message was clicked: web links wait for a confirmation, `mailto:` opens
    /// the composer, anything else is ignored.
    LinkClicked(String),
    OpenLink,
    CancelLink,
    LinkOpened(Result<(), Problem>),
    ToggleFlagged,
    ToggleSeen,
    FlagsSaved(Result<(), Problem>),
    SaveAttachment(usize),
    AttachmentSaved(String, Result<Option<PathBuf>, Problem>),
    OpenAttachment(usize),
    AttachmentOpened(String, Result<PathBuf, Problem>),
    /// A reply or forward, its quote line in the window's language.
    Reply(ReplyMode, Lang),
    Forward(Lang),
    /// The original's account and raw bytes, for a reply or a forward.
    OriginalLoaded(Reply, Lang, Result<(String, Vec<u8>), Problem>),
    Delete,
}

/// A message read and decoded, its HTML body (if any) converted: both done off the window's thread.
#[derive(Debug, Clone)]
pub struct Opened {
    decoded: Box<Decoded>,
    html: Option<Box<html::Rendered>>,
    layout: Option<Arc<html::LayoutHtml>>,
}

/// What the reader asks of the main window.
pub enum Event {
    /// A flag of the message shown was turned over here: the list shows it at once.
    FlagChanged { id: i64, flag: Flag, on: bool },
    /// The store has the flag change (queued for the server).
    FlagsSaved,
    /// The store refused the flag change (the reader says why): the list is read again.
    FlagsNotSaved,
    /// Answer the original (its account and raw bytes).
    Answer {
        kind: Reply,
        account: String,
        raw: Vec<u8>,
        lang: Lang,
    },
    /// A `mailto:` link was clicked.
    Compose(tayori::mailto::MailtoLink),
    /// Delete the message (the toolbar's Delete).
    Delete,
    /// "Always for this sender": remember to load remote images from this address.
    LoadRemoteImagesFrom(String),
}

impl Reader {
    pub fn is_empty(&self) -> bool {
        matches!(self.content, Content::Empty)
    }

    /// Shows nothing.
    pub fn clear(&mut self) {
        self.content = Content::Empty;
    }

    /// Escape: a link waiting for confirmation is dismissed; false if none was.
    pub fn dismiss_link(&mut self) -> bool {
        self.link.take().is_some()
    }

    /// Reads and decodes `summary`'s message from the store (marked read here: the toolbar offers
    /// "Mark unread" from the start).
    pub fn open(&mut self, mut summary: MessageSummary, db: &Db) -> Task<Message> {
        let id = summary.id;
        summary.flags.seen = true;
        self.content = Content::Loading(summary);
        self.link = None;
        self.notice = None;
        self.receipt = None;
        let db = db.clone();
        Task::perform(
            async move {
                let raw = db.run(move |store| store.message_raw(id)).await?;
                let Some(raw) = raw else {
                    return Ok(None);
                };
                // Decoding a big message and converting its HTML take a moment (a hostile body
                // up to the converter's bounds): they happen on a blocking thread, never in the
                // window, which stays responsive meanwhile.
                let opened = tokio::task::spawn_blocking(move || {
                    let decoded = Box::new(tayori::mime::decode(&raw));
                    let html = decoded.html.as_deref().map(|h| Box::new(html::render(h)));
                    let layout = decoded
                        .html
                        .as_deref()
                        .and_then(|h| html::sanitize_for_layout(h).ok())
                        .map(Arc::new);
                    Opened {
                        decoded,
                        html,
                        layout,
                    }
                })
                .await?;
                Ok(Some(opened))
            },
            move |opened| Message::Opened(id, opened),
        )
    }

    pub fn update(
        &mut self,
        message: Message,
        db: Option<&Db>,
        context: &Context,
    ) -> (Task<Message>, Option<Event>) {
        let darken = context.settings.ui.html_mail_dark == tayori::config::HtmlMailDark::Darken;
        if darken != self.darken {
            self.darken = darken;
            // The page shown is painted again with (or without) its dark copy.
            let again = self.lay_out();
            let (task, event) = self.update(message, db, context);
            return (Task::batch([again, task]), event);
        }
        let task = match message {
            Message::Opened(id, result) => {
                let current = match &self.content {
                    Content::Loading(summary) if summary.id == id => summary.clone(),
                    _ => return (Task::none(), None),
                };
                if let Ok(Some(opened)) = &result {
                    // Asked once per message; never answered without the person.
                    self.receipt = Receipt::asked_by(&opened.decoded)
                        .filter(|_| !self.receipts_answered.contains(&id));
                }
                self.hovered = None;
                self.selection = None;
                self.content = match result {
                    Ok(Some(Opened {
                        decoded,
                        html,
                        layout,
                    })) => {
                        let source = layout.map(|html| PageSource {
                            html,
                            inline: Arc::new(
                                decoded
                                    .inline_images
                                    .iter()
                                    .map(|image| (image.content_id.clone(), image.bytes.clone()))
                                    .collect(),
                            ),
                            remote: Arc::default(),
                        });
                        Content::Shown {
                            summary: current,
                            html,
                            decoded,
                            remote_images: false,
                            page: if source.is_some() {
                                PageState::Waiting
                            } else {
                                PageState::None
                            },
                            source,
                            remote: RemoteState::Blocked,
                        }
                    }
                    Ok(None) => Content::NotDownloaded(current),
                    Err(problem) => Content::Failed(problem),
                };
                self.lay_out()
            }
            Message::LoadRemoteImages => self.load_remote_images(db, context),
            Message::LoadRemoteImagesAlways => {
                let sender = match &self.content {
                    Content::Shown { decoded, .. } => {
                        decoded.from.first().map(|from| from.address.clone())
                    }
                    _ => None,
                };
                let task = self.load_remote_images(db, context);
                return (task, sender.map(Event::LoadRemoteImagesFrom));
            }
            Message::RemoteImagesLoaded(id, images, failed) => {
                if let Content::Shown {
                    summary,
                    source: Some(source),
                    remote,
                    ..
                } = &mut self.content
                    && summary.id == id
                {
                    *remote = RemoteState::Loaded { failed };
                    source.remote = Arc::new(images.iter().cloned().collect());
                    return (self.lay_out(), None);
                }
                Task::none()
            }
            Message::PageWidth(width) => {
                let width = width.floor().max(1.0) as u32;
                if self.width == Some(width) {
                    return (Task::none(), None);
                }
                self.width = Some(width);
                self.lay_out()
            }
            Message::ScaleFactor(scale) => {
                let scale = Some(scale).filter(|s| s.is_finite() && *s > 0.0);
                if scale.is_none() || self.scale == scale {
                    return (Task::none(), None);
                }
                self.scale = scale;
                self.lay_out()
            }
            Message::PageLaid(generation, id, result) => {
                if generation != self.generation {
                    return (Task::none(), None);
                }
                let Content::Shown {
                    summary,
                    page,
                    source: Some(source),
                    ..
                } = &mut self.content
                else {
                    return (Task::none(), None);
                };
                if summary.id != id {
                    return (Task::none(), None);
                }
                *page = match result {
                    Ok(laid) => {
                        tracing::debug!(
                            width = laid.width,
                            height = laid.height,
                            trackers = laid.trackers.len(),
                            "html page laid out"
                        );
                        // Words move with a new layout: a selection would cover others.
                        self.selection = None;
                        let key = PageKey {
                            id,
                            width: laid.width,
                            remote: source.remote.len(),
                            darken: laid.dark_tiles.is_some(),
                            scale: laid.scale.to_bits(),
                        };
                        let view = Arc::new(PageView::new(laid));
                        self.pages.retain(|(k, _)| *k != key);
                        self.pages.push_front((key, Arc::clone(&view)));
                        self.pages.truncate(PAGES_KEPT);
                        let mut total = 0;
                        self.pages.retain(|(_, kept)| {
                            total += kept.bytes;
                            total <= PAGES_KEPT_BYTES || Arc::ptr_eq(kept, &view)
                        });
                        PageState::Ready(view)
                    }
                    Err(error) => {
                        tracing::warn!(%error, "an HTML message is shown as text");
                        PageState::Failed(error)
                    }
                };
                // A sender the person trusts with remote images: loaded without asking.
                let trusted = match &self.content {
                    Content::Shown {
                        decoded,
                        remote: RemoteState::Blocked,
                        page: PageState::Ready(view),
                        ..
                    } if !view.remote.is_empty() => decoded.from.first().is_some_and(|from| {
                        context.settings.ui.loads_remote_images_from(&from.address)
                    }),
                    _ => false,
                };
                if trusted {
                    self.load_remote_images(db, context)
                } else {
                    Task::none()
                }
            }
            Message::PageHover(point) => {
                self.pointer = Some(point);
                if let Some(selection) = &mut self.selection
                    && selection.dragging
                {
                    selection.focus = point;
                }
                self.hovered = match &self.content {
                    Content::Shown {
                        page: PageState::Ready(view),
                        ..
                    } => view.link_at(point).map(str::to_owned),
                    _ => None,
                };
                Task::none()
            }
            Message::PagePressed => match (self.hovered.clone(), self.pointer) {
                (Some(href), _) => return self.link_clicked(&href),
                (None, Some(point)) => {
                    self.selection = Some(Selection {
                        anchor: point,
                        focus: point,
                        dragging: true,
                    });
                    Task::none()
                }
                (None, None) => Task::none(),
            },
            Message::PageReleased => {
                if let Some(selection) = &mut self.selection {
                    selection.dragging = false;
                    if selection.anchor == selection.focus {
                        self.selection = None;
                    }
                }
                Task::none()
            }
            Message::CopySelection => match (&self.content, &self.selection) {
                (
                    Content::Shown {
                        page: PageState::Ready(view),
                        ..
                    },
                    Some(selection),
                ) => iced::clipboard::write(html_page::selected_text(view.selected(selection))),
                _ => Task::none(),
            },
            Message::SendReceipt(lang) => self.send_receipt(lang, db, context),
            Message::DeclineReceipt => {
                if let Content::Shown { summary, .. } = &self.content {
                    self.receipts_answered.insert(summary.id);
                }
                self.receipt = None;
                Task::none()
            }
            Message::ReceiptQueued(result) => {
                if self.receipt == Some(Receipt::Sending) {
                    self.receipt = Some(match result {
                        Ok(address) => Receipt::Queued { address },
                        Err(problem) => Receipt::Failed {
                            detail: problem.detail,
                        },
                    });
                }
                Task::none()
            }
            Message::LinkClicked(href) => return self.link_clicked(&href),
            Message::OpenLink => self.open_link(context),
            Message::CancelLink => {
                self.link = None;
                Task::none()
            }
            Message::LinkOpened(result) => {
                self.notice = result.err().map(|detail| Notice::LinkFailed {
                    detail: detail.to_string(),
                });
                Task::none()
            }
            Message::ToggleFlagged => return self.toggle(Flag::Flagged, db),
            Message::ToggleSeen => return self.toggle(Flag::Seen, db),
            Message::FlagsSaved(Ok(())) => return (Task::none(), Some(Event::FlagsSaved)),
            Message::FlagsSaved(Err(detail)) => {
                self.notice = Some(Notice::ActionFailed {
                    detail: detail.to_string(),
                });
                return (Task::none(), Some(Event::FlagsNotSaved));
            }
            Message::SaveAttachment(index) => self.save_attachment(index, db),
            Message::AttachmentSaved(name, result) => {
                self.notice = match result {
                    Ok(None) => None,
                    Ok(Some(path)) => Some(Notice::Saved { name, path }),
                    Err(detail) => Some(Notice::SaveFailed {
                        name,
                        detail: detail.to_string(),
                    }),
                };
                Task::none()
            }
            Message::OpenAttachment(index) => self.open_attachment(index, db, context),
            Message::AttachmentOpened(name, result) => {
                self.notice = result.err().map(|detail| Notice::OpenFailed {
                    name,
                    detail: detail.to_string(),
                });
                Task::none()
            }
            Message::Reply(mode, lang) => self.load_original(Reply::Reply(mode), lang, db),
            Message::Forward(lang) => self.load_original(Reply::Forward, lang, db),
            Message::OriginalLoaded(kind, lang, result) => match result {
                Ok((account, raw)) => {
                    let answer = Event::Answer {
                        kind,
                        account,
                        raw,
                        lang,
                    };
                    return (Task::none(), Some(answer));
                }
                Err(problem) => {
                    self.content = Content::Failed(problem);
                    Task::none()
                }
            },
            Message::Delete => return (Task::none(), Some(Event::Delete)),
        };
        (task, None)
    }

    /// Device pixels per logical pixel pages are painted at (1 until the window says).
    fn scale(&self) -> f32 {
        self.scale.unwrap_or(1.0)
    }

    /// Lays the shown message's HTML body out to the reader's width: from the pages kept if it
    /// was laid out so lately, else on the layout thread (the page shown meanwhile stays).
    fn lay_out(&mut self) -> Task<Message> {
        let scale = self.scale();
        let (
            Some(width),
            Content::Shown {
                summary,
                page,
                source: Some(source),
                ..
            },
        ) = (self.width, &mut self.content)
        else {
            return Task::none();
        };
        let key = PageKey {
            id: summary.id,
            width,
            remote: source.remote.len(),
            darken: self.darken,
            scale: scale.to_bits(),
        };
        if let Some((_, view)) = self.pages.iter().find(|(k, _)| *k == key) {
            *page = PageState::Ready(Arc::clone(view));
            self.selection = None;
            self.generation += 1;
            return Task::none();
        }
        if !matches!(page, PageState::Ready(_)) {
            *page = PageState::Waiting;
        }
        self.generation += 1;
        let generation = self.generation;
        let id = summary.id;
        let request = html_page::Request {
            html: Arc::clone(&source.html),
            inline: Arc::clone(&source.inline),
            remote: Arc::clone(&source.remote),
            width,
            scale,
            darken: self.darken,
        };
        Task::perform(html_page::lay_out(request), move |laid| {
            Message::PageLaid(generation, id, laid.map(Arc::new))
        })
    }

    /// "Load remote images": the page's remote images, trackers left out, through Tayori's own
    /// HTTP client; the connection record notes each host.
    fn load_remote_images(&mut self, db: Option<&Db>, context: &Context) -> Task<Message> {
        let Content::Shown {
            summary,
            remote_images,
            page,
            remote,
            ..
        } = &mut self.content
        else {
            return Task::none();
        };
        *remote_images = true;
        let PageState::Ready(view) = page else {
            return Task::none();
        };
        if view.remote.is_empty() || *remote != RemoteState::Blocked {
            return Task::none();
        }
        *remote = RemoteState::Loading;
        let urls = view.remote.clone();
        let id = summary.id;
        let settings = context.settings.clone();
        let db = db.cloned();
        Task::perform(
            async move {
                let Ok(net) = tayori::net::Net::from_settings(&settings) else {
                    return (Vec::new(), urls.len());
                };
                let loaded = tayori::net::remote_images::fetch(&net.http, &urls).await;
                if let Some(db) = db
                    && let Ok((account, _)) = db.run(move |store| store.message_location(id)).await
                {
                    tayori::connections::note_remote_images(&account, &loaded.asked).await;
                }
                (loaded.images, loaded.failed)
            },
            move |(images, failed)| Message::RemoteImagesLoaded(id, Arc::new(images), failed),
        )
    }

    /// "Send receipt": a read receipt for the message shown, from the account it came to, put in
    /// the outbox (whose worker sends it like any other message).
    fn send_receipt(&mut self, lang: Lang, db: Option<&Db>, context: &Context) -> Task<Message> {
        let (
            Some(Receipt::Asked { to, .. }),
            Content::Shown {
                summary, decoded, ..
            },
            Some(db),
        ) = (&self.receipt, &self.content, db.cloned())
        else {
            return Task::none();
        };
        let id = summary.id;
        self.receipts_answered.insert(id);
        let to = tayori::compose::Mailbox::new(to.name.as_deref(), &to.address);
        let subject = decoded
            .subject
            .clone()
            .unwrap_or_else(|| summary.subject.clone());
        let original_id = decoded.message_id.clone();
        let data_dir = context.paths.data_dir.clone();
        self.receipt = Some(Receipt::Sending);
        Task::perform(
            async move {
                let (account, _) = db.run(move |store| store.message_location(id)).await?;
                tokio::task::spawn_blocking(move || {
                    let me = tayori::compose::Mailbox::new(None, &account);
                    let request = tayori::compose::receipt::ReceiptRequest {
                        me: &me,
                        to: &to,
                        subject: &subject,
                        original_message_id: original_id.as_deref(),
                    };
                    let built = tayori::compose::receipt::read_receipt(
                        &request,
                        lang,
                        std::time::SystemTime::now(),
                    )
                    .map_err(Problem::other)?;
                    let outbox =
                        tayori::outbox::Outbox::open_in(&data_dir).map_err(Problem::other)?;
                    // As the outbox panel lists it.
                    let listed = tayori::i18n::fill(
                        lang.text(tayori::i18n::Text::ReceiptSubject),
                        &[("subject", &subject)],
                    );
                    outbox
                        .enqueue(&account, &listed, &built, None)
                        .map_err(Problem::other)?;
                    Ok(to.address)
                })
                .await?
            },
            Message::ReceiptQueued,
        )
    }

    /// The message in the reader, whatever its state.
    fn summary_mut(&mut self) -> Option<&mut MessageSummary> {
        match &mut self.content {
            Content::Loading(summary)
            | Content::NotDownloaded(summary)
            | Content::Shown { summary, .. } => Some(summary),
            Content::Empty | Content::Failed(_) => None,
        }
    }

    /// Turns one flag of the message in the reader over (`s` flags, `u` marks unread): at once
    /// here and — through the event — in the list, then in the store (which queues the change
    /// for the server).
    fn toggle(&mut self, flag: Flag, db: Option<&Db>) -> (Task<Message>, Option<Event>) {
        let Some(db) = db.cloned() else {
            return (Task::none(), None);
        };
        let Some(summary) = self.summary_mut() else {
            return (Task::none(), None);
        };
        let on = !*flag.of(&mut summary.flags);
        *flag.of(&mut summary.flags) = on;
        let id = summary.id;
        let task = Task::perform(
            async move { db.run(move |store| flag.save(store, id, on)).await },
            Message::FlagsSaved,
        );
        (task, Some(Event::FlagChanged { id, flag, on }))
    }

    /// Reads the message in the reader, for a reply or a forward.
    pub fn load_original(&self, kind: Reply, lang: Lang, db: Option<&Db>) -> Task<Message> {
        let (Content::Shown { summary, .. }, Some(db)) = (&self.content, db.cloned()) else {
            return Task::none();
        };
        let id = summary.id;
        Task::perform(
            async move {
                db.run(move |store| {
                    let (email, _) = store.message_location(id)?;
                    let raw = store
                        .message_raw(id)?
                        .ok_or(StoreError::NoSuchMessage(id))?;
                    Ok((email, raw))
                })
                .await
            },
            move |result| Message::OriginalLoaded(kind, lang, result),
        )
    }

    /// The store, the message's id and the safe file name of attachment `index` of the message in
    /// the reader.
    fn shown_attachment(&self, index: usize, db: Option<&Db>) -> Option<(Db, i64, String)> {
        let (
            Content::Shown {
                summary, decoded, ..
            },
            Some(db),
        ) = (&self.content, db)
        else {
            return None;
        };
        let info = decoded.attachments.get(index)?;
        let name = attachment::safe_file_name(info.file_name.as_deref(), &info.content_type, index);
        Some((db.clone(), summary.id, name))
    }

    /// "Save…": the system's save dialog, then the bytes written where the person chose.
    fn save_attachment(&mut self, index: usize, db: Option<&Db>) -> Task<Message> {
        let Some((db, id, name)) = self.shown_attachment(index, db) else {
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
    fn open_attachment(
        &mut self,
        index: usize,
        db: Option<&Db>,
        context: &Context,
    ) -> Task<Message> {
        let Some((db, id, name)) = self.shown_attachment(index, db) else {
            return Task::none();
        };
        let cache = context.paths.cache_dir.clone();
        let shown = name.clone();
        Task::perform(
            async move {
                let path = attachment_to_cache(db, cache, id, index, name).await?;
                attachment::open_file(&path)?;
                Ok(path)
            },
            move |result| Message::AttachmentOpened(shown.clone(), result),
        )
    }

    /// A click on a link in the reader. A web link is not opened at once: the reader first shows
    /// where it leads (and warns when its text names another site).
    fn link_clicked(&mut self, href: &str) -> (Task<Message>, Option<Event>) {
        match html::link_target(href) {
            LinkTarget::Web(url) => {
                let real = html::safe_links_target(&url);
                let deceptive = match &self.content {
                    Content::Shown {
                        html: Some(rendered),
                        ..
                    } => html::deceptive_hosts(
                        &rendered.link_text(href),
                        real.as_ref().unwrap_or(&url),
                    ),
                    _ => None,
                };
                self.link = Some(PendingLink {
                    url,
                    real,
                    deceptive,
                });
                (Task::none(), None)
            }
            LinkTarget::Mail(link) => match tayori::mailto::parse(&link) {
                Ok(link) => (Task::none(), Some(Event::Compose(link))),
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
    fn open_link(&mut self, context: &Context) -> Task<Message> {
        let Some(link) = self.link.take() else {
            return Task::none();
        };
        let browser = context.browser.clone();
        let url = link.url.to_string();
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || browser.open(&url))
                    .await?
                    .map_err(Problem::from)
            },
            Message::LinkOpened,
        )
    }
}

/// The attachment's bytes, from the message as stored.
async fn attachment_bytes(db: &Db, id: i64, index: usize) -> Result<Vec<u8>, Problem> {
    let raw = db
        .run(move |store| store.message_raw(id)?.ok_or(StoreError::NoSuchMessage(id)))
        .await?;
    tokio::task::spawn_blocking(move || tayori::mime::attachment_bytes(&raw, index))
        .await?
        .ok_or_else(|| Problem::other("the attachment is no longer in the message"))
}

/// Writes attachment `index` of message `id` to `path` (the place the save dialog returned).
pub async fn save_attachment_to(
    db: Db,
    id: i64,
    index: usize,
    path: PathBuf,
) -> Result<PathBuf, Problem> {
    let bytes = attachment_bytes(&db, id, index).await?;
    Ok(
        tokio::task::spawn_blocking(move || attachment::write_file(&path, &bytes).map(|()| path))
            .await??,
    )
}

/// Writes attachment `index` of message `id` into the private attachments folder under the cache
/// folder, for opening; returns the file.
pub async fn attachment_to_cache(
    db: Db,
    cache_dir: PathBuf,
    id: i64,
    index: usize,
    name: String,
) -> Result<PathBuf, Problem> {
    let bytes = attachment_bytes(&db, id, index).await?;
    Ok(tokio::task::spawn_blocking(move || {
        attachment::write_for_opening(&cache_dir, id, &name, &bytes)
    })
    .await??)
}
