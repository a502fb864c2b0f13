//! HTML mail laid out as its sender meant it: tables, colours, fonts, inline images. The layout is
//! litehtml's (a C++ HTML/CSS engine, vendored); the text and the pixels are Tayori's own, drawn
//! with the window's text engine (cosmic-text, with its Japanese-first font fallback) and its
//! software rasteriser (tiny-skia) into an image the reader shows.
//!
//! The engine has no network and runs no script. Every resource it asks for comes from
//! [`Painter`]: `cid:` parts of the message and `data:` images (decoded here, within size caps),
//! and remote images only when the person has allowed them, from bytes Tayori's own HTTP client
//! fetched ([`Request::remote`]). Everything else — a remote image not allowed, a CSS `url()`,
//! an `@import` — is answered with nothing and counted.
//!
//! Bounded: the body was sanitised and capped before ([`super::screen::mailbox::html`]); the page
//! is painted to at most [`MAX_HEIGHT`] logical pixels and [`MAX_PAGE_BYTES`] of pixels, in tiles
//! of [`TILE`] rows (a GPU texture's limit).
//!
//! Sharp on high-density screens: the page is laid out in CSS pixels (the window's logical ones)
//! and painted at the window's scale factor ([`Request::scale`]), text rasterised at its size on
//! the screen, as a browser does.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::rc::Rc;
use std::sync::Arc;

use iced::advanced::graphics::text::cosmic_text as ct;
use litehtml::{
    BackgroundLayer, BorderRadiuses, BorderStyle, Borders, Color, DocumentContainer, DrawContext,
    FontDescription, FontHandle, FontMetrics, FontStyle, LinearGradient, ListMarker, ListStyleType,
    MediaFeatures, MediaType, Position, Size, TextDecorationLine,
};

use super::fonts;
use super::screen::mailbox::html::{LayoutHtml, is_remote};

/// The tallest page painted (logical pixels): about twenty screens, 31 MB of pixels at 640 wide.
/// A longer message is cut there, and the reader shows the rest as text.
pub const MAX_HEIGHT: u32 = 12_000;

/// Rows per tile (device pixels): each tile is one image for the GPU, well within any texture
/// size limit.
pub const TILE: u32 = 2048;

/// The most pixels one page holds (bytes, one copy): a long message on a high-density screen is
/// cut sooner than [`MAX_HEIGHT`] rather than taking hundreds of megabytes.
pub const MAX_PAGE_BYTES: u64 = 128 << 20;

/// The largest image decoded (either side, pixels) and the most memory one may take.
const IMAGE_MAX_SIDE: u32 = 8192;
const IMAGE_MAX_BYTES: u64 = 128 << 20;

/// The sheet every message starts from, after litehtml's own (the HTML standard's defaults):
/// mail is read in a sans-serif face, and images never overflow the reader.
const MAIL_CSS: &str = "body { margin: 8px; font-family: sans-serif; }\n\
    img { max-width: 100%; }\n";

/// What to lay out.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub html: Arc<LayoutHtml>,
    /// The message's inline parts by Content-ID (`cid:` without the scheme).
    pub inline: Arc<Vec<(String, Vec<u8>)>>,
    /// Remote images the person allowed, fetched by Tayori: address → bytes.
    pub remote: Arc<HashMap<String, Vec<u8>>>,
    /// Width of the page in logical pixels.
    pub width: u32,
    /// Device pixels per logical pixel (the window's scale factor); 1 when unset.
    pub scale: f32,
    /// Paint a darkened copy too, for the dark theme ([`darken`]).
    pub darken: bool,
}

/// A laid-out message, painted.
#[derive(Debug, Clone)]
pub struct Page {
    /// Logical pixels, as laid out (links and text are placed in these).
    pub width: u32,
    pub height: u32,
    /// Device pixels per logical pixel the tiles are painted at, and their width in device pixels.
    pub scale: f32,
    pub pixels_wide: u32,
    pub tiles: Vec<Tile>,
    /// The same tiles darkened, when asked for ([`Request::darken`]).
    pub dark_tiles: Option<Vec<Tile>>,
    pub links: Vec<LinkArea>,
    /// Remote addresses the message asked for (images, CSS backgrounds), none loaded unless in
    /// [`Request::remote`]; in order, once each.
    pub remote_asked: Vec<String>,
    /// Remote images made 2×2 pixels or less, or hidden: tracking pixels, never loaded.
    pub trackers: Vec<String>,
    /// The page was taller than [`MAX_HEIGHT`] (or [`MAX_PAGE_BYTES`]) and is cut there.
    pub cut: bool,
    /// Every piece of text drawn (litehtml draws word by word, spaces apart), in reading order:
    /// what the person selects and copies.
    pub text: Vec<TextRun>,
    /// The message's own parts drawn on the page (`cid:` images, by Content-ID): the reader does
    /// not list them as attachments as well.
    pub inline_drawn: Vec<String>,
}

/// A word or a space as drawn, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub text: String,
    pub at: Position,
}

/// How long the reader waits for a page before it shows the message as text instead.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// A page to lay out, and where its answer goes.
struct Job {
    request: Request,
    answer: tokio::sync::oneshot::Sender<Result<Page, PageError>>,
}

/// Lays out and paints a message on the reader's layout thread (one for the process: it holds
/// the fonts). Never on the window's thread; a page not ready within [`PATIENCE`] is an error
/// (the thread finishes it and drops it).
pub async fn lay_out(request: Request) -> Result<Page, PageError> {
    static THREAD: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let jobs = THREAD.get_or_init(|| {
        let (send, receive) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("html-layout".into())
            .spawn(move || {
                let mut engine = Engine::new(window_fonts());
                for job in receive {
                    // A job whose reader moved on (another message, another width) is skipped.
                    if job.answer.is_closed() {
                        continue;
                    }
                    let _ = job.answer.send(engine.render(&job.request));
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "the HTML layout thread could not start");
        }
        std::sync::Mutex::new(send)
    });
    let (answer, answered) = tokio::sync::oneshot::channel();
    jobs.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .send(Job { request, answer })
        .map_err(|_| PageError::Unavailable)?;
    match tokio::time::timeout(PATIENCE, answered).await {
        Ok(Ok(page)) => page,
        Ok(Err(_)) => Err(PageError::Unavailable),
        Err(_) => Err(PageError::TooSlow),
    }
}

/// A font system over the window's font database (the system's fonts and Tayori's own).
fn window_fonts() -> ct::FontSystem {
    let mut system = iced::advanced::graphics::text::font_system()
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let raw = system.raw();
    ct::FontSystem::new_with_locale_and_db(raw.locale().to_owned(), raw.db().clone())
}

/// The next `height` rows of the page (device pixels), straight RGBA (the page is opaque).
#[derive(Debug, Clone)]
pub struct Tile {
    pub height: u32,
    pub rgba: Arc<Vec<u8>>,
}

/// Where a link was laid out: one rectangle per line it spans.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkArea {
    pub href: String,
    pub boxes: Vec<Position>,
}

impl Page {
    /// Bytes held by the painted tiles.
    pub fn bytes(&self) -> usize {
        self.tiles.iter().map(|tile| tile.rgba.len()).sum()
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    #[error("the layout engine could not read this message's HTML")]
    Unreadable,
    #[error("this message is too large to lay out")]
    TooLarge,
    #[error("laying this message out took too long")]
    TooSlow,
    #[error("the layout engine is not available")]
    Unavailable,
}

/// The fonts and glyph cache pages are painted with. Made once (it reads the system's fonts) and
/// kept by the thread that lays out.
pub struct Engine {
    fonts: ct::FontSystem,
    glyphs: ct::SwashCache,
    families: Families,
}

impl Engine {
    /// An engine over `fonts` (a copy of the window's font database), set up with Tayori's
    /// Japanese-first fallback.
    pub fn new(mut fonts: ct::FontSystem) -> Self {
        let choice = fonts::configure(&mut fonts, tayori::i18n::Lang::En);
        let families = Families::new(fonts.db(), choice);
        Engine {
            fonts,
            glyphs: ct::SwashCache::new(),
            families,
        }
    }

    /// Lays out and paints a message.
    pub fn render(&mut self, request: &Request) -> Result<Page, PageError> {
        let width = request.width.clamp(200, 4000);
        let scale = if request.scale.is_finite() && request.scale > 0.0 {
            request.scale.clamp(0.5, 4.0)
        } else {
            1.0
        };
        let pixels_wide = (width as f32 * scale).round().max(1.0) as u32;
        let canvas = Rc::new(Canvas::default());
        let mut painter = Painter::new(self, request, width, scale, Rc::clone(&canvas));
        let mut document =
            litehtml::Document::from_html(&request.html.html, &mut painter, None, Some(MAIL_CSS))
                .map_err(|_| PageError::Unreadable)?;
        let _ = document.render(width as f32);
        let full = document.height().ceil().max(1.0) as u32;
        let rows_affordable = MAX_PAGE_BYTES / (u64::from(pixels_wide) * 4);
        let height = full
            .min(MAX_HEIGHT)
            .min((rows_affordable as f32 / scale) as u32);
        let device_height = (height as f32 * scale).round().max(1.0) as u32;
        let links = request
            .html
            .links
            .iter()
            .enumerate()
            .filter_map(|(n, href)| {
                let root = document.root()?;
                let element = root.select_one(&format!("#tayori-link-{n}"))?;
                let mut boxes = element.inline_boxes();
                if boxes.is_empty() {
                    boxes.push(element.placement());
                }
                Some(LinkArea {
                    href: href.clone(),
                    boxes,
                })
            })
            .collect();
        let trackers = request
            .html
            .images
            .iter()
            .enumerate()
            .filter(|(_, image)| is_remote(&image.src))
            .filter(|(n, image)| {
                image.tiny
                    || document
                        .root()
                        .and_then(|root| root.select_one(&format!("#tayori-img-{n}")))
                        .is_some_and(|img| {
                            let at = img.placement();
                            (at.width > 0.0 && at.width <= 2.0)
                                || (at.height > 0.0 && at.height <= 2.0)
                        })
            })
            .map(|(_, image)| image.src.clone())
            .collect();
        let mut tiles = Vec::new();
        let mut dark_tiles = Vec::new();
        let mut top = 0;
        while top < device_height {
            let rows = TILE.min(device_height - top);
            let pixmap = tiny_skia::Pixmap::new(pixels_wide, rows).ok_or(PageError::TooLarge)?;
            canvas.begin(pixmap, top);
            // litehtml draws what meets this rectangle of the page (logical pixels, a row more
            // either side for what the rounding cuts).
            document.draw(
                DrawContext(0),
                0.0,
                0.0,
                Some(Position {
                    x: 0.0,
                    y: (top as f32 / scale).floor() - 1.0,
                    width: width as f32,
                    height: (rows as f32 / scale).ceil() + 2.0,
                }),
            );
            let pixmap = canvas.end().ok_or(PageError::TooLarge)?;
            if request.darken {
                let mut dark = pixmap.data().to_vec();
                darken(&mut dark, pixels_wide, top, rows, &canvas.pictures.borrow());
                dark_tiles.push(Tile {
                    height: rows,
                    rgba: Arc::new(dark),
                });
            }
            tiles.push(Tile {
                height: rows,
                rgba: Arc::new(pixmap.take()),
            });
            top += rows;
        }
        drop(document);
        let mut text = std::mem::take(&mut painter.runs);
        sort_in_reading_order(&mut text);
        Ok(Page {
            inline_drawn: painter.inline_drawn,
            dark_tiles: request.darken.then_some(dark_tiles),
            text,
            width,
            height,
            scale,
            pixels_wide,
            tiles,
            links,
            remote_asked: painter.remote_asked,
            trackers,
            cut: full > height,
        })
    }
}

/// The tile being painted and its first row on the page (device pixels), shared by
/// [`Engine::render`] and the painter (which litehtml holds while the document lives).
#[derive(Default)]
struct Canvas {
    pixmap: RefCell<Option<tiny_skia::Pixmap>>,
    top: Cell<u32>,
    /// Where pictures were painted (page, device pixels): darkening leaves them as they are.
    pictures: RefCell<Vec<Position>>,
}

impl Canvas {
    fn begin(&self, mut pixmap: tiny_skia::Pixmap, top: u32) {
        pixmap.fill(tiny_skia::Color::WHITE);
        *self.pixmap.borrow_mut() = Some(pixmap);
        self.top.set(top);
    }

    fn end(&self) -> Option<tiny_skia::Pixmap> {
        self.pixmap.borrow_mut().take()
    }
}

/// Lines top to bottom (a run joins the line whose first run's middle its own middle is near),
/// each left to right. (Two plain sorts: one comparison deciding both would not be a total order.)
fn sort_in_reading_order(runs: &mut [TextRun]) {
    let middle = |run: &TextRun| run.at.y + run.at.height / 2.0;
    runs.sort_by(|a, b| middle(a).total_cmp(&middle(b)));
    let mut start = 0;
    while start < runs.len() {
        let line = middle(&runs[start]);
        let half = runs[start].at.height / 2.0;
        let end = runs[start..]
            .iter()
            .position(|run| middle(run) - line >= half)
            .map_or(runs.len(), |n| start + n);
        runs[start..end].sort_by(|a, b| a.at.x.total_cmp(&b.at.x));
        start = end.max(start + 1);
    }
}

/// The text of the runs from the point `from` to the point `to` (either order), page coordinates:
/// whole runs, in reading order, lines apart.
pub fn text_between(runs: &[TextRun], from: (f32, f32), to: (f32, f32)) -> (usize, usize) {
    // A point is before a run when it is above the run's line, or on it left of the run's middle.
    let before = |point: (f32, f32), run: &TextRun| {
        point.1 < run.at.y
            || (point.1 < run.at.y + run.at.height && point.0 <= run.at.x + run.at.width / 2.0)
    };
    let (start, end) = if (from.1, from.0) <= (to.1, to.0) {
        (from, to)
    } else {
        (to, from)
    };
    let first = runs
        .iter()
        .position(|run| before(start, run))
        .unwrap_or(runs.len());
    let last = runs
        .iter()
        .position(|run| before(end, run))
        .unwrap_or(runs.len());
    (first, last.max(first))
}

/// The selected runs' text, a line break between lines.
pub fn selected_text(runs: &[TextRun]) -> String {
    let mut out = String::new();
    let mut previous: Option<&TextRun> = None;
    for run in runs {
        if let Some(previous) = previous {
            let next_line = run.at.y >= previous.at.y + previous.at.height / 2.0;
            if next_line {
                let trimmed = out.trim_end_matches(' ').len();
                out.truncate(trimmed);
                out.push('\n');
            }
        }
        if !(out.ends_with('\n') || out.is_empty()) || !run.text.trim().is_empty() {
            out.push_str(&run.text);
        }
        previous = Some(run);
    }
    out.trim_end().to_owned()
}

/// Font families as the mail names them, resolved to installed ones.
struct Families {
    installed: HashMap<String, String>,
    sans: Option<String>,
    serif: Option<String>,
    mono: Option<String>,
    japanese: Option<String>,
}

/// Families Japanese mail names (Windows and macOS ones), drawn in the Japanese family found
/// when they are not installed.
const JAPANESE_NAMES: [&str; 17] = [
    "ms gothic",
    "ms pgothic",
    "ms ui gothic",
    "ｍｓ ゴシック",
    "ｍｓ ｐゴシック",
    "meiryo",
    "メイリオ",
    "yu gothic",
    "游ゴシック",
    "hiragino kaku gothic pro",
    "hiragino sans",
    "ヒラギノ角ゴ pro w3",
    "ms mincho",
    "ms pmincho",
    "ｍｓ 明朝",
    "yu mincho",
    "游明朝",
];

const SERIF: [&str; 5] = [
    "Noto Serif",
    "DejaVu Serif",
    "Liberation Serif",
    "Times New Roman",
    "Georgia",
];
const MONO: [&str; 5] = [
    "Noto Sans Mono",
    "DejaVu Sans Mono",
    "Liberation Mono",
    "Consolas",
    "Menlo",
];

impl Families {
    fn new(db: &ct::fontdb::Database, choice: fonts::Choice) -> Self {
        let installed: HashMap<String, String> = db
            .faces()
            .flat_map(|face| face.families.iter().map(|(name, _)| name.clone()))
            .map(|name| (name.to_lowercase(), name))
            .collect();
        let first = |list: &[&str]| {
            list.iter()
                .find_map(|name| installed.get(&name.to_lowercase()).cloned())
        };
        let sans = choice.window.map(str::to_owned);
        Families {
            serif: first(&SERIF).or_else(|| sans.clone()),
            mono: first(&MONO),
            japanese: choice.japanese.map(str::to_owned),
            sans,
            installed,
        }
    }

    /// The installed family for a CSS `font-family` list.
    fn resolve(&self, list: &str) -> Option<String> {
        for name in list.split(',') {
            let name = name.trim().trim_matches(['"', '\'']).trim().to_lowercase();
            let found = match name.as_str() {
                "" => None,
                "sans-serif" | "system-ui" | "-apple-system" | "blinkmacsystemfont" => {
                    self.sans.clone()
                }
                "serif" => self.serif.clone(),
                "monospace" => self.mono.clone(),
                other => self.installed.get(other).cloned().or_else(|| {
                    JAPANESE_NAMES
                        .contains(&other)
                        .then(|| self.japanese.clone())
                        .flatten()
                }),
            };
            if found.is_some() {
                return found;
            }
        }
        self.sans.clone()
    }
}

struct Font {
    family: Option<String>,
    size: f32,
    weight: u16,
    italic: bool,
    metrics: FontMetrics,
    decoration: TextDecorationLine,
}

impl Font {
    fn attrs(&self) -> ct::Attrs<'_> {
        let family = match &self.family {
            Some(name) => ct::Family::Name(name),
            None => ct::Family::SansSerif,
        };
        ct::Attrs::new()
            .family(family)
            .weight(ct::Weight(self.weight))
            .style(if self.italic {
                ct::Style::Italic
            } else {
                ct::Style::Normal
            })
    }
}

/// litehtml's container: fonts, measuring, painting, and the answer to every resource request.
struct Painter<'e> {
    fonts: RefCell<&'e mut ct::FontSystem>,
    glyphs: RefCell<&'e mut ct::SwashCache>,
    families: &'e Families,
    font_list: HashMap<usize, Font>,
    next_font: usize,
    widths: RefCell<HashMap<(usize, String), f32>>,
    images: HashMap<String, tiny_skia::Pixmap>,
    inline: HashMap<String, &'e [u8]>,
    remote: &'e HashMap<String, Vec<u8>>,
    remote_asked: Vec<String>,
    asked: HashSet<String>,
    clips: Vec<Position>,
    width: u32,
    /// Device pixels per logical pixel: litehtml places everything in logical pixels, and every
    /// drawing call scales to the tile's device pixels.
    scale: f32,
    canvas: Rc<Canvas>,
    /// The text drawn so far, once each (a line across two tiles is drawn twice).
    runs: Vec<TextRun>,
    /// `cid:` images drawn, by Content-ID, once each.
    inline_drawn: Vec<String>,
    drawn: HashSet<(i32, i32, String)>,
}

impl<'e> Painter<'e> {
    fn new(
        engine: &'e mut Engine,
        request: &'e Request,
        width: u32,
        scale: f32,
        canvas: Rc<Canvas>,
    ) -> Self {
        Painter {
            fonts: RefCell::new(&mut engine.fonts),
            glyphs: RefCell::new(&mut engine.glyphs),
            families: &engine.families,
            font_list: HashMap::new(),
            next_font: 1,
            widths: RefCell::new(HashMap::new()),
            images: HashMap::new(),
            inline: request
                .inline
                .iter()
                .map(|(id, bytes)| (id.clone(), bytes.as_slice()))
                .collect(),
            remote: &request.remote,
            remote_asked: Vec::new(),
            asked: HashSet::new(),
            clips: Vec::new(),
            width,
            scale,
            canvas,
            runs: Vec::new(),
            inline_drawn: Vec::new(),
            drawn: HashSet::new(),
        }
    }

    /// Shapes one line of text.
    fn shape(&self, text: &str, font: &Font) -> ct::Buffer {
        let mut fonts = self.fonts.borrow_mut();
        let metrics = ct::Metrics::new(font.size, font.metrics.height.max(1.0));
        let mut buffer = ct::Buffer::new(&mut fonts, metrics);
        buffer.set_size(&mut fonts, None, None);
        buffer.set_text(&mut fonts, text, &font.attrs(), ct::Shaping::Advanced, None);
        buffer.shape_until_scroll(&mut fonts, false);
        buffer
    }

    /// A rectangle of the page in device pixels.
    fn device(&self, at: Position) -> Position {
        Position {
            x: at.x * self.scale,
            y: at.y * self.scale,
            width: at.width * self.scale,
            height: at.height * self.scale,
        }
    }

    /// The current clip on the tile: the intersection of litehtml's clips, in tile coordinates.
    fn clip(&self, pixmap: &tiny_skia::Pixmap, top: u32) -> Option<tiny_skia::IntRect> {
        let mut rect = Position {
            x: 0.0,
            y: top as f32,
            width: pixmap.width() as f32,
            height: pixmap.height() as f32,
        };
        for clip in &self.clips {
            rect = intersect(rect, self.device(*clip))?;
        }
        let x0 = rect.x.floor().max(0.0) as i32;
        let y0 = (rect.y - top as f32).floor().max(0.0) as i32;
        let x1 = (rect.x + rect.width).ceil() as i32;
        let y1 = (rect.y + rect.height - top as f32).ceil() as i32;
        tiny_skia::IntRect::from_ltrb(x0, y0, x1, y1)
    }

    /// Runs `paint` on the tile being painted, with the clip in the tile's coordinates and the
    /// tile's first row on the page (device pixels); nothing while no tile is being painted or all
    /// is clipped.
    fn on_tile(&self, paint: impl FnOnce(&mut tiny_skia::Pixmap, tiny_skia::IntRect, f32)) {
        let top = self.canvas.top.get();
        let mut slot = self.canvas.pixmap.borrow_mut();
        let Some(pixmap) = slot.as_mut() else {
            return;
        };
        if let Some(clip) = self.clip(pixmap, top) {
            paint(pixmap, clip, top as f32);
        }
    }

    /// Fills a page rectangle (logical pixels) with a paint, within the clip.
    fn fill(&self, area: Position, paint: &tiny_skia::Paint<'_>) {
        let area = self.device(area);
        self.on_tile(|pixmap, clip, top| {
            let area = Position {
                y: area.y - top,
                ..area
            };
            let clip = Position {
                x: clip.x() as f32,
                y: clip.y() as f32,
                width: clip.width() as f32,
                height: clip.height() as f32,
            };
            if let Some(at) = intersect(area, clip)
                && let Some(rect) = tiny_skia::Rect::from_xywh(at.x, at.y, at.width, at.height)
            {
                pixmap.fill_rect(rect, paint, tiny_skia::Transform::identity(), None);
            }
        });
    }

    /// Fills a path (logical pixels, a shader's too), or strokes it, within `within` and the clip.
    /// A mask is made only when the path reaches past them (most boxes lie inside their clip).
    fn draw_path(
        &self,
        path: &tiny_skia::Path,
        paint: &tiny_skia::Paint<'_>,
        stroke: Option<&tiny_skia::Stroke>,
        within: Position,
    ) {
        let scale = self.scale;
        let within = self.device(within);
        self.on_tile(|pixmap, clip, top| {
            let clip = Position {
                x: clip.x() as f32,
                y: clip.y() as f32,
                width: clip.width() as f32,
                height: clip.height() as f32,
            };
            let within = Position {
                y: within.y - top,
                ..within
            };
            let Some(area) = intersect(within, clip) else {
                return;
            };
            let transform = tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, 0.0, -top);
            let Some(bounds) = path.bounds().transform(transform) else {
                return;
            };
            let reach = stroke.map_or(0.0, |stroke| stroke.width * scale / 2.0);
            let inside = bounds.left() - reach >= area.x
                && bounds.top() - reach >= area.y
                && bounds.right() + reach <= area.x + area.width
                && bounds.bottom() + reach <= area.y + area.height;
            let mask = if inside {
                None
            } else {
                let Some(mut mask) = tiny_skia::Mask::new(pixmap.width(), pixmap.height()) else {
                    return;
                };
                let Some(rect) =
                    tiny_skia::Rect::from_xywh(area.x, area.y, area.width, area.height)
                else {
                    return;
                };
                mask.fill_path(
                    &tiny_skia::PathBuilder::from_rect(rect),
                    tiny_skia::FillRule::Winding,
                    false,
                    tiny_skia::Transform::identity(),
                );
                Some(mask)
            };
            match stroke {
                Some(stroke) => pixmap.stroke_path(path, paint, stroke, transform, mask.as_ref()),
                None => pixmap.fill_path(
                    path,
                    paint,
                    tiny_skia::FillRule::Winding,
                    transform,
                    mask.as_ref(),
                ),
            }
        });
    }

    /// A background layer's shape: its border box with rounded corners where it has them, else
    /// its clip box.
    fn layer_path(layer: &BackgroundLayer) -> Option<tiny_skia::Path> {
        let radii = layer.border_radius();
        if has_radius(&radii) {
            rounded_rect(layer.border_box(), &radii)
        } else {
            let at = layer.clip_box();
            tiny_skia::Rect::from_xywh(at.x, at.y, at.width, at.height)
                .map(tiny_skia::PathBuilder::from_rect)
        }
    }

    /// Fills a background layer with a gradient, in its shape; with its first colour where
    /// tiny-skia made no gradient of it (one colour, or no length).
    fn fill_gradient(
        &mut self,
        layer: &BackgroundLayer,
        shader: Option<tiny_skia::Shader<'_>>,
        points: &[litehtml::ColorPoint],
    ) {
        let Some(shader) = shader else {
            if let Some(first) = points.first() {
                self.draw_solid_fill(DrawContext(0), layer, first.color);
            }
            return;
        };
        let Some(path) = Self::layer_path(layer) else {
            return;
        };
        let paint = tiny_skia::Paint {
            shader,
            anti_alias: true,
            ..tiny_skia::Paint::default()
        };
        self.draw_path(&path, &paint, None, layer.clip_box());
    }

    fn fill_color(&self, area: Position, color: Color) {
        if color.a == 0 {
            return;
        }
        let mut paint = tiny_skia::Paint::default();
        paint.set_color_rgba8(color.r, color.g, color.b, color.a);
        self.fill(area, &paint);
    }

    /// Decodes an image the message holds (or the person allowed), within the caps.
    fn decode(&self, src: &str) -> Option<tiny_skia::Pixmap> {
        let trimmed = src.trim();
        let bytes: std::borrow::Cow<'_, [u8]> = if let Some(id) = strip_scheme(trimmed, "cid:") {
            let id = percent_decode(id);
            std::borrow::Cow::Borrowed(*self.inline.get(id.as_str())?)
        } else if let Some(data) = strip_scheme(trimmed, "data:") {
            std::borrow::Cow::Owned(data_url_bytes(data)?)
        } else {
            std::borrow::Cow::Borrowed(self.remote.get(trimmed)?.as_slice())
        };
        let mut reader = image::ImageReader::new(Cursor::new(bytes.as_ref()))
            .with_guessed_format()
            .ok()?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(IMAGE_MAX_SIDE);
        limits.max_image_height = Some(IMAGE_MAX_SIDE);
        limits.max_alloc = Some(IMAGE_MAX_BYTES);
        reader.limits(limits);
        let rgba = reader.decode().ok()?.into_rgba8();
        let (w, h) = rgba.dimensions();
        let mut data = rgba.into_raw();
        for px in data.chunks_exact_mut(4) {
            let a = u16::from(px[3]);
            for c in &mut px[..3] {
                *c = ((u16::from(*c) * a + 127) / 255) as u8;
            }
        }
        tiny_skia::Pixmap::from_vec(data, tiny_skia::IntSize::from_wh(w, h)?)
    }

    fn ask(&mut self, src: &str) {
        if is_remote(src) && self.asked.insert(src.to_owned()) {
            self.remote_asked.push(src.to_owned());
        }
    }
}

fn has_radius(radii: &BorderRadiuses) -> bool {
    [
        radii.top_left_x,
        radii.top_left_y,
        radii.top_right_x,
        radii.top_right_y,
        radii.bottom_right_x,
        radii.bottom_right_y,
        radii.bottom_left_x,
        radii.bottom_left_y,
    ]
    .iter()
    .any(|r| *r > 0.0)
}

/// A rectangle with rounded corners (each an ellipse's quarter, radii cut to half the sides, as
/// CSS does when they would overlap).
fn rounded_rect(at: Position, radii: &BorderRadiuses) -> Option<tiny_skia::Path> {
    // A quarter circle as one cubic Bézier: the control points this far along the tangents.
    const K: f32 = 0.552_284_8;
    let Position {
        x,
        y,
        width: w,
        height: h,
    } = at;
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let fit = |rx: f32, ry: f32| (rx.clamp(0.0, w / 2.0), ry.clamp(0.0, h / 2.0));
    let (tl, tr) = (
        fit(radii.top_left_x, radii.top_left_y),
        fit(radii.top_right_x, radii.top_right_y),
    );
    let (br, bl) = (
        fit(radii.bottom_right_x, radii.bottom_right_y),
        fit(radii.bottom_left_x, radii.bottom_left_y),
    );
    let mut path = tiny_skia::PathBuilder::new();
    path.move_to(x + tl.0, y);
    path.line_to(x + w - tr.0, y);
    path.cubic_to(
        x + w - tr.0 * (1.0 - K),
        y,
        x + w,
        y + tr.1 * (1.0 - K),
        x + w,
        y + tr.1,
    );
    path.line_to(x + w, y + h - br.1);
    path.cubic_to(
        x + w,
        y + h - br.1 * (1.0 - K),
        x + w - br.0 * (1.0 - K),
        y + h,
        x + w - br.0,
        y + h,
    );
    path.line_to(x + bl.0, y + h);
    path.cubic_to(
        x + bl.0 * (1.0 - K),
        y + h,
        x,
        y + h - bl.1 * (1.0 - K),
        x,
        y + h - bl.1,
    );
    path.line_to(x, y + tl.1);
    path.cubic_to(
        x,
        y + tl.1 * (1.0 - K),
        x + tl.0 * (1.0 - K),
        y,
        x + tl.0,
        y,
    );
    path.close();
    path.finish()
}

/// A CSS gradient's colour stops for tiny-skia.
fn stops(points: &[litehtml::ColorPoint]) -> Vec<tiny_skia::GradientStop> {
    points
        .iter()
        .map(|point| {
            let c = point.color;
            tiny_skia::GradientStop::new(
                point.offset.clamp(0.0, 1.0),
                tiny_skia::Color::from_rgba8(c.r, c.g, c.b, c.a),
            )
        })
        .collect()
}

fn strip_scheme<'s>(url: &'s str, scheme: &str) -> Option<&'s str> {
    url.get(..scheme.len())
        .filter(|head| head.eq_ignore_ascii_case(scheme))
        .map(|_| &url[scheme.len()..])
}

/// `cid:` URLs are percent-encoded (RFC 2392).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The bytes of a `data:` URL (after the scheme): base64 or percent-encoded.
fn data_url_bytes(data: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let (meta, payload) = data.split_once(',')?;
    if meta.to_ascii_lowercase().ends_with(";base64") {
        let compact: String = payload.split_ascii_whitespace().collect();
        // Padding is dropped first: senders pad, or do not.
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(compact.trim_end_matches('='))
            .ok()
    } else {
        Some(percent_decode(payload).into_bytes())
    }
}

fn intersect(a: Position, b: Position) -> Option<Position> {
    let x0 = a.x.max(b.x);
    let y0 = a.y.max(b.y);
    let x1 = (a.x + a.width).min(b.x + b.width);
    let y1 = (a.y + a.height).min(b.y + b.height);
    (x1 > x0 && y1 > y0).then_some(Position {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    })
}

impl DocumentContainer for Painter<'_> {
    fn create_font(&mut self, descr: &FontDescription) -> (FontHandle, FontMetrics) {
        let size = descr.size().max(1.0);
        let family = self.families.resolve(descr.family());
        let weight = descr.weight().clamp(100, 900) as u16;
        let italic = matches!(descr.style(), FontStyle::Italic);
        let mut font = Font {
            family,
            size,
            weight,
            italic,
            metrics: FontMetrics::default(),
            decoration: descr.decoration_line(),
        };
        // The face's own metrics, for the line height and baseline a browser would use.
        let (ascent, descent, leading, x_height) = {
            let mut fonts = self.fonts.borrow_mut();
            let family = match &font.family {
                Some(name) => ct::fontdb::Family::Name(name),
                None => ct::fontdb::Family::SansSerif,
            };
            let id = fonts.db().query(&ct::fontdb::Query {
                families: &[family],
                weight: ct::fontdb::Weight(weight),
                stretch: ct::fontdb::Stretch::Normal,
                style: if italic {
                    ct::fontdb::Style::Italic
                } else {
                    ct::fontdb::Style::Normal
                },
            });
            id.and_then(|id| fonts.get_font(id, ct::Weight(weight)))
                .map(|face| {
                    let m = face.as_swash().metrics(&[]).scale(size);
                    (m.ascent, m.descent, m.leading, m.x_height)
                })
                .unwrap_or((size * 0.9, size * 0.25, 0.0, size * 0.5))
        };
        let height = (ascent + descent + leading).ceil();
        font.metrics = FontMetrics {
            font_size: size,
            height,
            ascent: ascent.round(),
            descent: (height - ascent.round()).max(0.0),
            x_height,
            ch_width: size * 0.5,
            draw_spaces: true,
            sub_shift: size * 0.3,
            super_shift: size * 0.4,
        };
        font.metrics.ch_width = self.shape("0", &font).layout_runs().map(|r| r.line_w).sum();
        let handle = self.next_font;
        self.next_font += 1;
        let metrics = font.metrics;
        self.font_list.insert(handle, font);
        (FontHandle(handle), metrics)
    }

    fn delete_font(&mut self, font: FontHandle) {
        self.font_list.remove(&font.0);
    }

    fn text_width(&self, text: &str, font: FontHandle) -> f32 {
        let Some(face) = self.font_list.get(&font.0) else {
            return 0.0;
        };
        let key = (font.0, text.to_owned());
        if let Some(width) = self.widths.borrow().get(&key) {
            return *width;
        }
        let width = self
            .shape(text, face)
            .layout_runs()
            .map(|run| run.line_w)
            .sum();
        self.widths.borrow_mut().insert(key, width);
        width
    }

    fn draw_text(
        &mut self,
        _hdc: DrawContext,
        text: &str,
        font: FontHandle,
        color: Color,
        pos: Position,
    ) {
        let Some(face) = self.font_list.get(&font.0) else {
            return;
        };
        if pos.y < MAX_HEIGHT as f32
            && self
                .drawn
                .insert((pos.x.round() as i32, pos.y.round() as i32, text.to_owned()))
        {
            self.runs.push(TextRun {
                text: text.to_owned(),
                at: Position {
                    height: pos.height.max(face.metrics.height),
                    ..pos
                },
            });
        }
        let buffer = self.shape(text, face);
        let baseline = pos.y + face.metrics.ascent;
        let base = ct::Color::rgba(color.r, color.g, color.b, color.a);
        self.on_tile(|pixmap, clip, top| {
            let width = pixmap.width() as usize;
            let data = pixmap.data_mut();
            let mut fonts = self.fonts.borrow_mut();
            let mut glyphs = self.glyphs.borrow_mut();
            for run in buffer.layout_runs() {
                for glyph in run.glyphs {
                    let physical = glyph.physical(
                        (pos.x * self.scale, baseline * self.scale - top),
                        self.scale,
                    );
                    glyphs.with_pixels(&mut fonts, physical.cache_key, base, |x, y, pixel| {
                        let (px, py) = (physical.x + x, physical.y + y);
                        if px >= clip.left()
                            && px < clip.right()
                            && py >= clip.top()
                            && py < clip.bottom()
                        {
                            blend(data, width, px as usize, py as usize, pixel);
                        }
                    });
                }
            }
        });
        let line = |offset: f32| Position {
            x: pos.x,
            y: baseline + offset,
            width: pos.width,
            height: (face.size / 16.0).max(1.0),
        };
        if face.decoration.contains(TextDecorationLine::UNDERLINE) {
            self.fill_color(line((face.size / 10.0).max(1.0)), color);
        }
        if face.decoration.contains(TextDecorationLine::LINE_THROUGH) {
            self.fill_color(line(-face.metrics.x_height / 2.0), color);
        }
    }

    fn default_font_size(&self) -> f32 {
        15.0
    }

    fn default_font_name(&self) -> &str {
        "sans-serif"
    }

    fn draw_list_marker(&mut self, hdc: DrawContext, marker: &ListMarker) {
        let pos = marker.pos();
        let color = marker.color();
        match marker.marker_type() {
            ListStyleType::None => {}
            ListStyleType::Square => self.fill_color(pos, color),
            ListStyleType::Disc | ListStyleType::Circle => {
                let radius = pos.width.min(pos.height) / 2.0;
                let Some(circle) = tiny_skia::PathBuilder::from_circle(
                    pos.x + pos.width / 2.0,
                    pos.y + pos.height / 2.0,
                    radius,
                ) else {
                    return;
                };
                let mut paint = tiny_skia::Paint::default();
                paint.set_color_rgba8(color.r, color.g, color.b, color.a);
                paint.anti_alias = true;
                let scale = self.scale;
                let device = self.device(pos);
                self.on_tile(|pixmap, clip, top| {
                    // A bullet is drawn whole or not at all: clipped away only with its line.
                    let inside = device.x >= clip.left() as f32
                        && device.x + device.width <= clip.right() as f32
                        && device.y - top >= clip.top() as f32
                        && device.y + device.height - top <= clip.bottom() as f32;
                    if !inside {
                        return;
                    }
                    let at = tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, 0.0, -top);
                    if matches!(marker.marker_type(), ListStyleType::Circle) {
                        let stroke = tiny_skia::Stroke {
                            width: (radius / 3.0).max(1.0),
                            ..tiny_skia::Stroke::default()
                        };
                        pixmap.stroke_path(&circle, &paint, &stroke, at, None);
                    } else {
                        pixmap.fill_path(&circle, &paint, tiny_skia::FillRule::Winding, at, None);
                    }
                });
            }
            _ => {
                let text = format!("{}.", marker.index());
                self.draw_text(hdc, &text, marker.font(), color, pos);
            }
        }
    }

    fn load_image(&mut self, src: &str, _baseurl: &str, _redraw_on_ready: bool) {
        if self.images.contains_key(src) {
            return;
        }
        self.ask(src);
        if let Some(image) = self.decode(src) {
            self.images.insert(src.to_owned(), image);
        }
    }

    fn get_image_size(&self, src: &str, _baseurl: &str) -> Size {
        self.images
            .get(src)
            .map(|image| Size {
                width: image.width() as f32,
                height: image.height() as f32,
            })
            .unwrap_or_default()
    }

    fn draw_image(&mut self, _hdc: DrawContext, layer: &BackgroundLayer, url: &str, _base: &str) {
        let Some(image) = self.images.get(url) else {
            return;
        };
        let origin = layer.origin_box();
        if origin.width <= 0.0 || origin.height <= 0.0 {
            return;
        }
        let top = self.canvas.top.get() as f32;
        let s = self.scale;
        let sx = origin.width * s / image.width() as f32;
        let sy = origin.height * s / image.height() as f32;
        let shader = tiny_skia::Pattern::new(
            image.as_ref(),
            tiny_skia::SpreadMode::Pad,
            tiny_skia::FilterQuality::Bilinear,
            1.0,
            tiny_skia::Transform::from_row(sx, 0.0, 0.0, sy, origin.x * s, origin.y * s - top),
        );
        let paint = tiny_skia::Paint {
            shader,
            ..tiny_skia::Paint::default()
        };
        let area = intersect(origin, layer.clip_box()).unwrap_or(origin);
        self.fill(area, &paint);
        self.canvas.pictures.borrow_mut().push(self.device(area));
        if let Some(id) = strip_scheme(url.trim(), "cid:") {
            let id = percent_decode(id);
            if !self.inline_drawn.contains(&id) {
                self.inline_drawn.push(id);
            }
        }
    }

    fn draw_solid_fill(&mut self, _hdc: DrawContext, layer: &BackgroundLayer, color: Color) {
        if !layer.is_root() && color.a > 0 && has_radius(&layer.border_radius()) {
            // A box with rounded corners (buttons in newsletters and signatures).
            if let Some(path) = Self::layer_path(layer) {
                let mut paint = tiny_skia::Paint::default();
                paint.set_color_rgba8(color.r, color.g, color.b, color.a);
                paint.anti_alias = true;
                self.draw_path(&path, &paint, None, layer.clip_box());
            }
            return;
        }
        let area = if layer.is_root() {
            Position {
                x: 0.0,
                y: 0.0,
                width: self.width as f32,
                height: MAX_HEIGHT as f32,
            }
        } else {
            layer.clip_box()
        };
        self.fill_color(area, color);
    }

    fn draw_linear_gradient(
        &mut self,
        _hdc: DrawContext,
        layer: &BackgroundLayer,
        gradient: &LinearGradient,
    ) {
        let points = gradient.color_points();
        let (start, end) = (gradient.start(), gradient.end());
        let origin = layer.border_box();
        let shader = tiny_skia::LinearGradient::new(
            tiny_skia::Point::from_xy(origin.x + start.x, origin.y + start.y),
            tiny_skia::Point::from_xy(origin.x + end.x, origin.y + end.y),
            stops(&points),
            tiny_skia::SpreadMode::Pad,
            tiny_skia::Transform::identity(),
        );
        self.fill_gradient(layer, shader, &points);
    }

    fn draw_radial_gradient(
        &mut self,
        _hdc: DrawContext,
        layer: &BackgroundLayer,
        gradient: &litehtml::RadialGradient,
    ) {
        let points = gradient.color_points();
        let origin = layer.border_box();
        let (centre, radius) = (gradient.position(), gradient.radius());
        let centre = tiny_skia::Point::from_xy(origin.x + centre.x, origin.y + centre.y);
        // An elliptical gradient as a circle of its larger radius: close enough for mail.
        let shader = tiny_skia::RadialGradient::new(
            centre,
            centre,
            radius.x.max(radius.y).max(0.001),
            stops(&points),
            tiny_skia::SpreadMode::Pad,
            tiny_skia::Transform::identity(),
        );
        self.fill_gradient(layer, shader, &points);
    }

    fn draw_conic_gradient(
        &mut self,
        _hdc: DrawContext,
        layer: &BackgroundLayer,
        gradient: &litehtml::ConicGradient,
    ) {
        // tiny-skia draws no conic gradient: its first colour keeps the shape and contrast.
        if let Some(first) = gradient.color_points().first() {
            self.draw_solid_fill(DrawContext(0), layer, first.color);
        }
    }

    fn draw_borders(
        &mut self,
        _hdc: DrawContext,
        borders: &Borders,
        draw_pos: Position,
        _root: bool,
    ) {
        let visible =
            |style: BorderStyle| !matches!(style, BorderStyle::None | BorderStyle::Hidden);
        // Rounded corners, one width and colour all round (a button, a framed box): the outline
        // stroked along the rounded rectangle.
        let sides = [&borders.top, &borders.right, &borders.bottom, &borders.left];
        if has_radius(&borders.radius)
            && sides.iter().all(|side| {
                visible(side.style)
                    && side.width > 0.0
                    && side.width == borders.top.width
                    && side.color == borders.top.color
            })
        {
            let half = borders.top.width / 2.0;
            let shrink = |r: f32| (r - half).max(0.0);
            let r = &borders.radius;
            let inner = BorderRadiuses {
                top_left_x: shrink(r.top_left_x),
                top_left_y: shrink(r.top_left_y),
                top_right_x: shrink(r.top_right_x),
                top_right_y: shrink(r.top_right_y),
                bottom_right_x: shrink(r.bottom_right_x),
                bottom_right_y: shrink(r.bottom_right_y),
                bottom_left_x: shrink(r.bottom_left_x),
                bottom_left_y: shrink(r.bottom_left_y),
            };
            let middle = Position {
                x: draw_pos.x + half,
                y: draw_pos.y + half,
                width: draw_pos.width - 2.0 * half,
                height: draw_pos.height - 2.0 * half,
            };
            if let Some(path) = rounded_rect(middle, &inner) {
                let color = borders.top.color;
                let mut paint = tiny_skia::Paint::default();
                paint.set_color_rgba8(color.r, color.g, color.b, color.a);
                paint.anti_alias = true;
                let stroke = tiny_skia::Stroke {
                    width: borders.top.width,
                    ..tiny_skia::Stroke::default()
                };
                self.draw_path(&path, &paint, Some(&stroke), draw_pos);
                return;
            }
        }
        let Position {
            x,
            y,
            width,
            height,
        } = draw_pos;
        let sides = [
            (
                &borders.top,
                Position {
                    x,
                    y,
                    width,
                    height: borders.top.width,
                },
            ),
            (
                &borders.bottom,
                Position {
                    x,
                    y: y + height - borders.bottom.width,
                    width,
                    height: borders.bottom.width,
                },
            ),
            (
                &borders.left,
                Position {
                    x,
                    y,
                    width: borders.left.width,
                    height,
                },
            ),
            (
                &borders.right,
                Position {
                    x: x + width - borders.right.width,
                    y,
                    width: borders.right.width,
                    height,
                },
            ),
        ];
        for (border, area) in sides {
            if border.width > 0.0 && visible(border.style) {
                self.fill_color(area, border.color);
            }
        }
    }

    fn import_css(&self, _url: &str, _baseurl: &str) -> (String, Option<String>) {
        // `@import` and `<link>` are never fetched: the message shows with its own styles.
        (String::new(), None)
    }

    fn set_clip(&mut self, pos: Position, _radius: BorderRadiuses) {
        self.clips.push(pos);
    }

    fn del_clip(&mut self) {
        self.clips.pop();
    }

    fn get_viewport(&self) -> Position {
        Position {
            x: 0.0,
            y: 0.0,
            width: self.width as f32,
            height: 800.0,
        }
    }

    fn get_media_features(&self) -> MediaFeatures {
        MediaFeatures {
            media_type: MediaType::Screen,
            width: self.width as f32,
            height: 800.0,
            device_width: self.width as f32,
            device_height: 800.0,
            color: 8,
            color_index: 0,
            monochrome: 0,
            resolution: 96.0,
        }
    }
}

/// The dark theme's page: every pixel's lightness turned over (white to near black, black to
/// white), its hue and saturation kept, so text stays readable and colours stay what they are;
/// pictures (`pictures`, page coordinates) keep their pixels. `rgba` is rows `top..top + rows`, all
/// in device pixels.
pub fn darken(rgba: &mut [u8], width: u32, top: u32, rows: u32, pictures: &[Position]) {
    // The page's white becomes the dark theme's near black, not pure black.
    const FLOOR: u32 = 30;
    let tile = Position {
        x: 0.0,
        y: top as f32,
        width: width as f32,
        height: rows as f32,
    };
    let kept: Vec<(u32, u32, u32, u32)> = pictures
        .iter()
        .filter_map(|picture| intersect(*picture, tile))
        .map(|p| {
            (
                p.x.max(0.0) as u32,
                (p.y - top as f32).max(0.0) as u32,
                (p.x + p.width).ceil() as u32,
                (p.y + p.height - top as f32).ceil() as u32,
            )
        })
        .collect();
    for (index, pixel) in rgba.chunks_exact_mut(4).enumerate() {
        let (x, y) = (index as u32 % width, index as u32 / width);
        if kept
            .iter()
            .any(|&(x0, y0, x1, y1)| x >= x0 && x < x1 && y >= y0 && y < y1)
        {
            continue;
        }
        let [r, g, b] = [pixel[0], pixel[1], pixel[2]].map(u32::from);
        let (high, low) = (r.max(g).max(b), r.min(g).min(b));
        // c + 255 - (max + min): lightness mirrored, differences between channels kept.
        let turned = [r, g, b].map(|c| {
            let inverted = c + 255 - high - low;
            (FLOOR + inverted * (255 - FLOOR) / 255) as u8
        });
        pixel[..3].copy_from_slice(&turned);
    }
}

/// Source-over of one glyph pixel onto premultiplied RGBA.
fn blend(data: &mut [u8], width: usize, x: usize, y: usize, pixel: ct::Color) {
    let at = (y * width + x) * 4;
    let Some(dst) = data.get_mut(at..at + 4) else {
        return;
    };
    let a = u32::from(pixel.a());
    if a == 0 {
        return;
    }
    let src = [pixel.r(), pixel.g(), pixel.b()];
    for (d, s) in dst.iter_mut().zip(src) {
        *d = ((u32::from(s) * a + u32::from(*d) * (255 - a) + 127) / 255) as u8;
    }
    dst[3] = (a + u32::from(dst[3]) * (255 - a) / 255).min(255) as u8;
}

#[cfg(test)]
mod tests;
