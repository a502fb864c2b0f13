//! HTML mail for the reader: sanitised with `ammonia` (no scripts, forms, styles, frames or event
//! handlers survive), then turned into styled text pieces — paragraphs, bold and italic, links
//! with their address shown, list items as bullets. Images are never fetched: their addresses are
//! only collected, so the reader can say how many remote images were held back and list them on
//! request.
//!
//! A hostile body (nesting thousands deep, a 100 MB style attribute, a table of a million cells)
//! must cost bounded time and memory: the input, the nesting followed and the text produced are
//! capped ([`MAX_INPUT`], [`MAX_DEPTH`], [`MAX_OUTPUT`]), and [`Rendered::limit`] says which cap
//! was met, so the reader can show the plain text instead and say why. The reader runs this on a
//! blocking thread, never in the window's `update`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The largest HTML body converted (bytes). Gmail clips messages at about 100 KB; a body 80
/// times that is no letter, and parsing it would hold hundreds of megabytes.
pub const MAX_INPUT: usize = 8 << 20;

/// How deep nested elements are followed; what is deeper is left out.
pub const MAX_DEPTH: usize = 100;

/// The most text an HTML body becomes (bytes); the rest of a hostile body is left out.
pub const MAX_OUTPUT: usize = 1 << 20;

/// List items are indented by their depth up to this many levels.
const MAX_INDENT: usize = 8;

/// Which bound a hostile body met; the reader then prefers the plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The body is larger than [`MAX_INPUT`]: it was not converted at all.
    Input,
    /// Elements were nested deeper than [`MAX_DEPTH`]: the deeper content is left out.
    Depth,
    /// The text reached [`MAX_OUTPUT`]: the rest is left out.
    Output,
}

/// Stands for an image without a description; the reader shows a word in its place.
pub const IMAGE: char = '\u{fffc}';

/// One run of text with its style.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Piece {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    /// The address of the link this text is part of.
    pub link: Option<String>,
}

/// An HTML body made safe to show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendered {
    pub pieces: Vec<Piece>,
    /// Addresses of remote images, in order, none of them loaded.
    pub remote_images: Vec<String>,
    /// The bound the body met, if it met one (its pieces are then incomplete or empty).
    pub limit: Option<Limit>,
}

/// Elements whose content a browser reads as raw text (`<noscript>` while scripts run, `<noframes>`
/// always). Tayori runs no scripts and shows no frames, so for it their content is the message:
/// it is parsed as HTML and sanitised like the rest, never shown as source.
const FALLBACK_CONTENT: [&str; 2] = ["noscript", "noframes"];

/// How deep `<noscript>` inside `<noscript>` is followed; deeper content is dropped.
const FALLBACK_DEPTH: usize = 3;

/// The sanitised HTML: only formatting tags, links (http, https, mailto) and no image sources.
/// The remote images' addresses are returned once each, in order of appearance — from `src`, from
/// `srcset` and from `<picture>`'s `<source srcset>`.
pub fn sanitize(html: &str) -> (String, Vec<String>) {
    let mut images = Vec::new();
    let clean = sanitize_into(html, &mut images, 0);
    let mut seen = HashSet::new();
    images.retain(|url| seen.insert(url.clone()));
    (clean, images)
}

fn sanitize_into(html: &str, images: &mut Vec<String>, depth: usize) -> String {
    let found = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&found);
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        // `<title>` names the document for a browser's tab; it is not part of the letter.
        .add_clean_content_tags(["title"])
        // Kept only to be found again below (their raw content is parsed on its own).
        .add_tags(FALLBACK_CONTENT)
        // `<picture><source srcset>`: the sources are read for their addresses, then dropped.
        .add_tags(["source"])
        .add_tag_attributes("img", ["srcset"])
        .add_tag_attributes("source", ["srcset", "src"])
        // No tracking pixels, no remote content of any kind: an image's source is recorded and
        // dropped, whatever its scheme.
        .attribute_filter(
            move |element, attribute, value| match (element, attribute) {
                ("img" | "source", "src" | "srcset") => {
                    let mut list = seen.lock().unwrap_or_else(|p| p.into_inner());
                    let urls = if attribute == "srcset" {
                        srcset_urls(value)
                    } else {
                        vec![value.trim()]
                    };
                    list.extend(urls.into_iter().filter(|u| is_remote(u)).map(str::to_owned));
                    None
                }
                _ => Some(value.into()),
            },
        );
    let clean = builder.clean(html).to_string();
    images.extend(found.lock().unwrap_or_else(|p| p.into_inner()).drain(..));
    replace_fallback_content(&clean, depth, |inner, depth| {
        sanitize_into(inner, images, depth)
    })
}

/// An address fetched from the network (http, https, or scheme-relative).
pub fn is_remote(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//")
}

/// The addresses of a `srcset` ("a.png 1x, b.png 2x" or "a.png 480w, …"), as the HTML standard
/// splits it: an address is a run without white space; commas ending it end the candidate;
/// otherwise the descriptors run to the next comma outside parentheses.
fn srcset_urls(srcset: &str) -> Vec<&str> {
    let mut urls = Vec::new();
    let mut rest = srcset;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            return urls;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (url, after) = rest.split_at(end);
        if url.ends_with(',') {
            urls.push(url.trim_end_matches(','));
            rest = after;
            continue;
        }
        urls.push(url);
        let mut depth = 0_u32;
        let mut next = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    next = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &after[next..];
    }
}

/// Sanitised HTML in which each `<noscript>`/`<noframes>` holds its content as raw source (how the
/// parser reads them): that source is sanitised on its own and put in their place, inside a `div`.
/// (`sanitize` does the same to that source, one level deeper.)
fn replace_fallback_content(
    clean: &str,
    depth: usize,
    mut sanitize: impl FnMut(&str, usize) -> String,
) -> String {
    let mut out = String::with_capacity(clean.len());
    let mut rest = clean;
    while let Some((start, name)) = FALLBACK_CONTENT
        .iter()
        .filter_map(|name| Some((rest.find(&format!("<{name}>"))?, *name)))
        .min()
    {
        out.push_str(&rest[..start]);
        let inner = &rest[start + name.len() + 2..];
        // The raw content cannot hold its own end tag (it would have ended there).
        let close = format!("</{name}>");
        let end = inner.find(&close).unwrap_or(inner.len());
        if depth < FALLBACK_DEPTH {
            out.push_str("<div>");
            out.push_str(&sanitize(&inner[..end], depth + 1));
            out.push_str("</div>");
        }
        rest = inner.get(end + close.len()..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Sanitises and converts an HTML body, within the bounds above.
pub fn render(html: &str) -> Rendered {
    if html.len() > MAX_INPUT {
        return Rendered {
            limit: Some(Limit::Input),
            ..Rendered::default()
        };
    }
    // The parser's cost grows with the square of the nesting, so what is nested deeper than any
    // letter is cut off before it parses (what [`MAX_DEPTH`] would leave out anyway).
    let cut = nesting_cut(html, PARSE_DEPTH);
    let html = cut.map_or(html, |at| &html[..at]);
    let (clean, remote_images) = sanitize(html);
    let (pieces, limit) = to_pieces(&clean);
    Rendered {
        pieces,
        remote_images,
        limit: limit.or(cut.map(|_| Limit::Depth)),
    }
}

/// The most table cells a body may have to be laid out as HTML; a bigger table is shown as text
/// (a letter's tables hold hundreds; laying out a million would hold the engine for minutes).
pub const MAX_LAYOUT_CELLS: usize = 20_000;

/// An HTML body made safe for the layout engine (src/ui/html_page.rs): styles, tables, colours
/// and images kept; scripts, forms, frames, objects, `<meta>`, `<base>`, `<link>` and event
/// handlers gone. Every link and image carries an id (`tayori-link-N`, `tayori-img-N`) so that
/// the engine can say where each one was laid out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayoutHtml {
    pub html: String,
    /// Link `N`'s address.
    pub links: Vec<String>,
    /// Image `N`: `cid:`, `data:` or a remote address (never fetched by the engine).
    pub images: Vec<LayoutImage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayoutImage {
    pub src: String,
    /// Made 2×2 pixels or less, or hidden, by its attributes: a tracking pixel.
    pub tiny: bool,
}

/// Whether an `<img>` tag makes itself invisible: a width or height of at most 2 pixels, or a
/// style that hides it.
fn is_tiny(tag: &str) -> bool {
    let small = |name: &str| {
        attribute(tag, name).is_some_and(|value| {
            value
                .trim()
                .trim_end_matches("px")
                .trim()
                .parse::<f32>()
                .is_ok_and(|n| n <= 2.0)
        })
    };
    let style: String = attribute(tag, "style")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .split_whitespace()
        .collect();
    small("width")
        || small("height")
        || style.contains("display:none")
        || style.contains("visibility:hidden")
        || [
            "width:0",
            "width:0px",
            "width:1px",
            "width:2px",
            "height:0",
            "height:0px",
            "height:1px",
            "height:2px",
        ]
        .iter()
        .any(|rule| {
            style
                .split(';')
                .any(|declaration| declaration.trim_end_matches("!important") == *rule)
        })
}

/// Sanitises a body for layout, or says which bound it met (the reader then shows [`render`]'s
/// text and why).
pub fn sanitize_for_layout(html: &str) -> Result<LayoutHtml, Limit> {
    if html.len() > MAX_INPUT {
        return Err(Limit::Input);
    }
    if nesting_cut(html, PARSE_DEPTH).is_some() {
        return Err(Limit::Depth);
    }
    let clean = sanitize_layout_fragment(html, 0);
    let cells = clean.matches("<td").count() + clean.matches("<th").count();
    if cells > MAX_LAYOUT_CELLS {
        return Err(Limit::Output);
    }
    Ok(tag_links_and_images(&clean))
}

/// One fragment sanitised for layout; `<noscript>`/`<noframes>` content (raw source to the parser)
/// is sanitised the same way and laid out in their place, as a browser without scripts or frames
/// shows it.
fn sanitize_layout_fragment(html: &str, depth: usize) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        // `<style>` stays (the engine reads it; it fetches nothing `url()` or `@import` name).
        .rm_clean_content_tags(["style"])
        .add_clean_content_tags(["title"])
        .add_tags([
            "style", "font", "center", "big", "small", "strike", "s", "u",
        ])
        .add_tags(FALLBACK_CONTENT)
        .add_generic_attributes([
            "style",
            "class",
            "align",
            "valign",
            "bgcolor",
            "width",
            "height",
            "dir",
            "border",
            "cellpadding",
            "cellspacing",
            "color",
            "face",
            "size",
            "nowrap",
        ])
        .add_tag_attributes("img", ["srcset"])
        .url_relative(ammonia::UrlRelative::Deny)
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid", "data"]))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("img", "src") => layout_image_source(value).then(|| value.into()),
            // An image given only by `srcset` shows its first candidate (see
            // `tag_links_and_images`); the candidates themselves go.
            ("img", "srcset") => srcset_urls(value)
                .into_iter()
                .find(|url| layout_image_source(url))
                .map(|url| url.to_owned().into()),
            (_, "href") => matches!(link_target(value), LinkTarget::Web(_) | LinkTarget::Mail(_))
                .then(|| value.into()),
            _ => Some(value.into()),
        });
    let clean = builder.clean(html).to_string();
    replace_fallback_content(&clean, depth, sanitize_layout_fragment)
}

/// Image sources the layout keeps: a part of the message, an inline image, or a remote address
/// (kept to be counted and, once the person allows it, loaded by Tayori).
fn layout_image_source(src: &str) -> bool {
    let lower = src.trim().to_ascii_lowercase();
    lower.starts_with("cid:")
        || ["data:image/png", "data:image/jpeg", "data:image/gif"]
            .iter()
            .any(|prefix| lower.starts_with(prefix))
        || lower.starts_with("http:")
        || lower.starts_with("https:")
}

/// Gives each `<a href>` and `<img src>` of sanitised HTML an id, recording its address. The
/// sanitiser's output quotes every attribute value with `"`, so a tag ends at the first `>`
/// outside quotes.
fn tag_links_and_images(clean: &str) -> LayoutHtml {
    let mut out = LayoutHtml {
        html: String::with_capacity(clean.len() + 64),
        ..LayoutHtml::default()
    };
    let mut rest = clean;
    while let Some(start) = rest.find('<') {
        out.html.push_str(&rest[..start]);
        rest = &rest[start..];
        let mut quoted = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map_or(rest.len(), |(i, _)| i + 1);
        let tag = &rest[..end];
        let named = |name: &str| {
            tag.len() > name.len() + 1
                && tag[1..].starts_with(name)
                && tag.as_bytes()[name.len() + 1].is_ascii_whitespace()
        };
        if named("a")
            && let Some(href) = attribute(tag, "href")
        {
            out.html
                .push_str(&format!("<a id=\"tayori-link-{}\"", out.links.len()));
            out.html.push_str(&tag[2..]);
            out.links.push(href);
        } else if named("img")
            && let Some(src) = attribute(tag, "src").or_else(|| attribute(tag, "srcset"))
        {
            // The sanitiser left `srcset` its first usable candidate: the image's source when it
            // has no `src`; the attribute itself goes either way.
            let attributes = match tag.find(" srcset=\"") {
                Some(at) => {
                    let value_end = tag[at + 9..]
                        .find('"')
                        .map_or(tag.len(), |e| at + 9 + e + 1);
                    format!("{}{}", &tag[4..at], &tag[value_end..])
                }
                None => tag[4..].to_owned(),
            };
            let with_src = if attribute(tag, "src").is_none() {
                format!(
                    " src=\"{}\"",
                    src.replace('&', "&amp;").replace('"', "&quot;")
                )
            } else {
                String::new()
            };
            out.html.push_str(&format!(
                "<img id=\"tayori-img-{}\"{with_src}{attributes}",
                out.images.len()
            ));
            out.images.push(LayoutImage {
                tiny: is_tiny(tag),
                src,
            });
        } else {
            out.html.push_str(tag);
        }
        rest = &rest[end..];
    }
    out.html.push_str(rest);
    out
}

/// How deep the pre-parser lets elements nest (a few times [`MAX_DEPTH`]: it estimates from tags
/// alone, and a browser's own nesting of honest mail stays far below it).
const PARSE_DEPTH: usize = 4 * MAX_DEPTH;

/// Elements that never nest: void elements, and those whose end tag HTML lets a writer leave out
/// (the next one of its kind, or its parent's end, closes it).
const NON_NESTING: [&str; 30] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "basefont", "p", "li", "dt", "dd", "tr", "td", "th", "thead",
    "tbody", "tfoot", "option", "optgroup", "rt", "rp",
];

/// The byte offset of the start tag that would nest elements deeper than `max`, judged from the
/// tags alone (start tags of nesting elements minus their end tags), or `None`. A linear scan: it
/// runs before the parser so the parser never sees such nesting.
fn nesting_cut(html: &str, max: usize) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(found) = bytes[at..].iter().position(|&b| b == b'<') {
        let start = at + found;
        let rest = &html[start + 1..];
        if rest.starts_with("!--") {
            at = rest
                .find("-->")
                .map_or(bytes.len(), |end| start + 1 + end + 3);
            continue;
        }
        let end_tag = rest.starts_with('/');
        let name_from = usize::from(end_tag);
        let name_len = rest[name_from..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let close = rest.find('>').map_or(bytes.len(), |end| start + 1 + end);
        at = close.max(start + 1);
        if name_len == 0 || !rest.as_bytes()[name_from].is_ascii_alphabetic() {
            continue;
        }
        let name = rest[name_from..name_from + name_len].to_ascii_lowercase();
        if NON_NESTING.contains(&name.as_str()) {
            continue;
        }
        if end_tag {
            depth = depth.saturating_sub(1);
        } else if !html[start..at].ends_with('/') {
            depth += 1;
            if depth > max {
                return Some(start);
            }
        }
    }
    None
}

/// What a clicked link asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// A web page: opened in the browser once the person has seen where it goes.
    Web(url::Url),
    /// A new message (`mailto:`), for the composer.
    Mail(String),
    /// Anything else is not opened from mail.
    Ignored,
}

/// Sorts a link by its scheme. Only http, https and mailto links survive sanitising; anything
/// else that comes here is ignored all the same.
pub fn link_target(href: &str) -> LinkTarget {
    match url::Url::parse(href.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            LinkTarget::Web(url)
        }
        Ok(url) if url.scheme() == "mailto" => LinkTarget::Mail(href.trim().to_owned()),
        _ => LinkTarget::Ignored,
    }
}

/// The address a link rewritten by Microsoft Defender for Office 365 Safe Links
/// (`https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2F…&data=…`) leads to, when
/// `url` is one: an organisation's mail server rewrites every link so that each click is checked
/// first, which hides where links go. Links wrapped twice (forwarded mail) are unwrapped through.
pub fn safe_links_target(url: &url::Url) -> Option<url::Url> {
    let mut target = None;
    let mut current = url.clone();
    // Each round removes one wrapping; a few are all that real forwarding chains produce.
    for _ in 0..4 {
        let host = current.host_str()?.to_ascii_lowercase();
        let wrapped = [
            ".safelinks.protection.outlook.com",
            ".safelinks.protection.office365.us",
        ]
        .iter()
        .any(|suffix| host.ends_with(suffix));
        if !wrapped || current.scheme() != "https" {
            break;
        }
        let Some(inner) = current
            .query_pairs()
            .find(|(key, _)| key == "url")
            .and_then(|(_, value)| url::Url::parse(value.trim()).ok())
            .filter(|inner| matches!(inner.scheme(), "http" | "https") && inner.has_host())
        else {
            break;
        };
        target = Some(inner.clone());
        current = inner;
    }
    target
}

impl Rendered {
    /// The words shown for a link (every piece that links to `href`).
    pub fn link_text(&self, href: &str) -> String {
        self.pieces
            .iter()
            .filter(|p| p.link.as_deref() == Some(href))
            .map(|p| p.text.as_str())
            .collect::<String>()
            .trim()
            .to_owned()
    }
}

/// When a link's text is itself an address (`https://bank.example/` or `www.bank.example`) on
/// another site than the link leads to — the classic phishing disguise — the two sites, as
/// (shown, real).
pub fn deceptive_hosts(text: &str, target: &url::Url) -> Option<(String, String)> {
    let real = target
        .host_str()?
        .trim_start_matches("www.")
        .to_ascii_lowercase();
    let word = text.trim().trim_end_matches(['.', ',', ')']);
    if word.is_empty() || word.contains(char::is_whitespace) {
        return None;
    }
    let shown = if word.contains("://") {
        url::Url::parse(word).ok()?.host_str()?.to_owned()
    } else {
        // A bare name with a dot and a known-looking ending: "www.bank.example/login".
        let host = word.split(['/', '?', '#']).next()?;
        if !host.contains('.') || host.starts_with('.') || host.ends_with('.') || host.contains('@')
        {
            return None;
        }
        url::Url::parse(&format!("https://{host}"))
            .ok()?
            .host_str()?
            .to_owned()
    };
    let shown = shown.trim_start_matches("www.").to_ascii_lowercase();
    // A site name ends in a word (`.example`, `.jp`, `.xn--…`), not in a number like "v1.2".
    let top = shown.rsplit('.').next().unwrap_or_default();
    if top.len() < 2 || !(top.starts_with("xn--") || top.chars().all(char::is_alphabetic)) {
        return None;
    }
    (shown != real).then_some((shown, real))
}

/// Text with the entities ammonia's serialiser writes decoded.
fn unescape(text: &str) -> String {
    text.replace("&nbsp;", "\u{a0}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The value of `name="…"` in a start tag as ammonia writes it.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

struct Builder {
    pieces: Vec<Piece>,
    /// Bytes of text so far; nothing is added past [`MAX_OUTPUT`].
    len: usize,
    /// Elements open around the current position.
    depth: usize,
    limit: Option<Limit>,
    bold: u32,
    italic: u32,
    link: Option<String>,
    link_text: String,
    /// Nested lists: `None` for bullets, `Some(n)` for the next number.
    lists: Vec<Option<u32>>,
    /// Inside `<pre>`: white space is kept.
    pre: u32,
}

impl Builder {
    /// Whether more text may be added (below the depth and output bounds).
    fn open(&mut self) -> bool {
        if self.depth > MAX_DEPTH {
            self.limit.get_or_insert(Limit::Depth);
            return false;
        }
        if self.len >= MAX_OUTPUT {
            self.limit = Some(Limit::Output);
            return false;
        }
        true
    }

    fn push(&mut self, text: &str) {
        if text.is_empty() || !self.open() {
            return;
        }
        // Cut at the bound (on a character boundary).
        let mut room = MAX_OUTPUT - self.len;
        let text = if text.len() > room {
            while !text.is_char_boundary(room) {
                room -= 1;
            }
            &text[..room]
        } else {
            text
        };
        let text = if self.pre > 0 {
            text.to_owned()
        } else {
            // HTML collapses white space; a space after a line break is dropped.
            let mut out = String::new();
            let mut last_space = self.ends_with_space();
            for c in text.chars() {
                if c.is_whitespace() && c != '\u{a0}' {
                    if !last_space {
                        out.push(' ');
                    }
                    last_space = true;
                } else {
                    out.push(c);
                    last_space = false;
                }
            }
            out
        };
        if self.link.is_some() && self.link_text.len() < MAX_OUTPUT {
            self.link_text.push_str(&text);
        }
        self.len += text.len();
        let (bold, italic, link) = (self.bold > 0, self.italic > 0, self.link.clone());
        match self.pieces.last_mut() {
            Some(last) if last.bold == bold && last.italic == italic && last.link == link => {
                last.text.push_str(&text)
            }
            _ => self.pieces.push(Piece {
                text,
                bold,
                italic,
                link,
            }),
        }
    }

    fn ends_with_space(&self) -> bool {
        self.pieces
            .last()
            .is_none_or(|p| p.text.ends_with([' ', '\n']))
    }

    /// Starts a new line unless at the start of one; `blank` leaves an empty line (paragraphs).
    fn block(&mut self, blank: bool) {
        let Some(last) = self.pieces.last_mut() else {
            return;
        };
        while last.text.ends_with(' ') {
            last.text.pop();
        }
        let wanted = if blank { "\n\n" } else { "\n" };
        if !last.text.ends_with(wanted) {
            let have = if last.text.ends_with('\n') { 1 } else { 0 };
            let need = wanted.len() - have;
            let breaks = "\n".repeat(need);
            self.raw(&breaks);
        }
    }

    /// Text added as is (line breaks, bullets), unstyled.
    fn raw(&mut self, text: &str) {
        if !self.open() || text.len() > MAX_OUTPUT - self.len {
            return;
        }
        self.len += text.len();
        match self.pieces.last_mut() {
            Some(last) if !last.bold && !last.italic && last.link.is_none() => {
                last.text.push_str(text)
            }
            _ => self.pieces.push(Piece {
                text: text.to_owned(),
                ..Piece::default()
            }),
        }
    }
}

/// Elements ammonia writes without an end tag.
const VOID: [&str; 7] = ["area", "br", "col", "hr", "img", "source", "wbr"];

/// Sanitised HTML (as ammonia writes it: well formed, attributes quoted) to styled text, and the
/// bound it met if it met one. Linear in the input: each tag is looked at once and the text grows
/// by at most a bounded amount per tag, up to [`MAX_OUTPUT`].
fn to_pieces(clean: &str) -> (Vec<Piece>, Option<Limit>) {
    let mut b = Builder {
        pieces: Vec::new(),
        len: 0,
        depth: 0,
        limit: None,
        bold: 0,
        italic: 0,
        link: None,
        link_text: String::new(),
        lists: Vec::new(),
        pre: 0,
    };
    let mut rest = clean;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            b.push(&unescape(rest));
            break;
        };
        b.push(&unescape(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if closing {
            b.depth = b.depth.saturating_sub(1);
        } else if !VOID.contains(&name.as_str()) && !tag.ends_with('/') {
            b.depth += 1;
        }
        if b.limit == Some(Limit::Output) {
            break;
        }
        match (name.as_str(), closing) {
            ("b" | "strong" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th", false) => {
                if name.starts_with('h') && name != "th" {
                    b.block(true);
                }
                b.bold += 1;
            }
            ("b" | "strong" | "th", true) => b.bold = b.bold.saturating_sub(1),
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => {
                b.bold = b.bold.saturating_sub(1);
                b.block(true);
            }
            ("i" | "em" | "cite", false) => b.italic += 1,
            ("i" | "em" | "cite", true) => b.italic = b.italic.saturating_sub(1),
            ("a", false) => {
                b.link = attribute(tag, "href");
                b.link_text.clear();
            }
            ("a", true) => {
                // The address is shown unless the text already is it.
                if let Some(href) = b.link.take() {
                    // A link wrapped by Safe Links shows the address it really leads to.
                    let real = url::Url::parse(href.trim())
                        .ok()
                        .as_ref()
                        .and_then(safe_links_target)
                        .map(String::from);
                    let shown = real.as_deref().unwrap_or(&href);
                    let shown = shown.trim_start_matches("mailto:");
                    let words = b.link_text.trim();
                    if words != shown && (real.is_some() || words != href) {
                        b.push(&format!(" <{shown}>"));
                    }
                }
            }
            ("br", _) => b.raw("\n"),
            ("p" | "div" | "blockquote" | "table" | "section" | "article", _) => b.block(true),
            ("tr" | "dt" | "dd" | "hr", _) => b.block(false),
            ("td", true) => b.push(" "),
            ("pre", false) => {
                b.block(true);
                b.pre += 1;
            }
            ("pre", true) => {
                b.pre = b.pre.saturating_sub(1);
                b.block(true);
            }
            ("ul", false) => {
                b.block(false);
                b.lists.push(None);
            }
            ("ol", false) => {
                b.block(false);
                b.lists.push(Some(1));
            }
            ("ul" | "ol", true) => {
                b.lists.pop();
                b.block(true);
            }
            ("li", false) => {
                b.block(false);
                let depth = b.lists.len().saturating_sub(1).min(MAX_INDENT);
                let marker = match b.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "• ".to_owned(),
                };
                b.raw(&format!("{}{marker}", "    ".repeat(depth)));
            }
            ("li", true) => b.block(false),
            ("img", _) => {
                let alt = attribute(tag, "alt").unwrap_or_default();
                if alt.is_empty() {
                    // The reader puts the word for "image" in the person's language here.
                    b.push(&IMAGE.to_string());
                } else {
                    b.push(&format!("[{alt}]"));
                }
            }
            _ => {}
        }
    }
    // No trailing blank lines.
    while let Some(last) = b.pieces.last_mut() {
        let trimmed = last.text.trim_end().len();
        last.text.truncate(trimmed);
        if last.text.is_empty() {
            b.pieces.pop();
        } else {
            break;
        }
    }
    if let Some(first) = b.pieces.first_mut() {
        let start = first.text.len() - first.text.trim_start().len();
        first.text.drain(..start);
    }
    (b.pieces, b.limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_text(rendered: &Rendered) -> String {
        rendered.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn hostile_html_yields_no_script_and_no_remote_content() {
        let hostile = r#"<html><head><style>body{background:url(https://track.example/css.png)}</style>
            <script>alert('x')</script><link rel="stylesheet" href="https://evil.example/a.css">
            <meta http-equiv="refresh" content="0;url=https://evil.example/"></head>
            <body onload="steal()"><p style="background-image:url('https://track.example/bg.png')">Hello
            <img src="https://track.example/pixel.gif" width="1" height="1" onerror="steal()">
            <img src="//cdn.example/logo.png" alt="Logo">
            <img src="data:image/png;base64,AAAA" alt="inline"></p>
            <iframe src="https://evil.example/frame"></iframe>
            <form action="https://evil.example/phish"><input name="password" value="x"><button>Log in</button></form>
            <a href="javascript:alert(1)">click</a><object data="https://evil.example/x.swf"></object>
            <svg><script>alert(2)</script></svg><video src="https://track.example/v.mp4"></video>
            </body></html>"#;
        let (clean, images) = sanitize(hostile);
        let lower = clean.to_ascii_lowercase();
        for banned in [
            "<script",
            "alert(",
            "onload",
            "onerror",
            "<iframe",
            "<form",
            "<input",
            "<style",
            "url(",
            "javascript:",
            "<object",
            "<link",
            "<meta",
            "<video",
            "track.example",
            "evil.example",
            "cdn.example",
            "style=",
            "src=",
        ] {
            assert!(!lower.contains(banned), "{banned:?} survived: {clean}");
        }
        assert_eq!(
            images,
            vec![
                "https://track.example/pixel.gif".to_owned(),
                "//cdn.example/logo.png".to_owned()
            ],
            "remote images are listed, not loaded"
        );
        let rendered = render(hostile);
        let text = all_text(&rendered);
        assert!(text.starts_with("Hello"), "{text:?}");
        assert_eq!(
            text.matches(IMAGE).count(),
            1,
            "the pixel stands as an image: {text:?}"
        );
        assert!(text.contains("[Logo]"));
        assert!(!text.contains("alert"), "{text:?}");
        assert!(
            rendered.pieces.iter().all(|p| p.link.is_none()),
            "the javascript: link is no link"
        );
    }

    /// The size of what the reader would lay out.
    fn output_len(rendered: &Rendered) -> usize {
        rendered.pieces.iter().map(|p| p.text.len()).sum()
    }

    /// Deep nesting made the output quadratic (each of n nested list items indented n times):
    /// 100 KB of `<ul><li>` became tens of megabytes of text to lay out. Depth and output are
    /// capped; what is past the caps is left out, never laid out.
    #[test]
    fn deeply_nested_lists_make_bounded_output() {
        for depth in [3_000, 20_000] {
            let hostile = format!("<p>Dear Hanako</p>{}x", "<ul><li>".repeat(depth));
            let rendered = render(&hostile);
            let len = output_len(&rendered);
            assert!(
                len <= MAX_OUTPUT + 64,
                "{depth} levels: {len} bytes of text"
            );
            assert!(all_text(&rendered).starts_with("Dear Hanako"));
            assert_eq!(rendered.limit, Some(Limit::Depth));
        }
        // Nesting a real letter has (a quoted reply in a table in a list) is nowhere near the cap.
        let honest = format!("{}Hello{}", "<div>".repeat(40), "</div>".repeat(40));
        assert_eq!(render(&honest).limit, None);
    }

    /// html5ever checks the open elements from the innermost outwards for many start tags, so a
    /// body of nothing but start tags cost time growing with the square of its length: 20,000
    /// nested lists (40,000 start tags, 160 KB) took 39 s in the test build here, so the 1.6
    /// million `<div>` below (8 MB, within [`MAX_INPUT`]) would keep a core busy for hours. Nesting
    /// is cut before the parser sees it.
    #[test]
    fn a_body_of_nothing_but_start_tags_is_cut_before_parsing() {
        let hostile = format!("<p>Dear Hanako</p>{}", "<div>".repeat(MAX_INPUT / 5 - 10));
        assert!(hostile.len() <= MAX_INPUT);
        let rendered = render(&hostile);
        assert_eq!(rendered.limit, Some(Limit::Depth));
        assert!(all_text(&rendered).starts_with("Dear Hanako"));
    }

    /// Where the pre-parser cuts: it counts only elements that nest (no void elements, no
    /// elements whose end tag may be left out, no comments), so sloppy but honest HTML is whole.
    #[test]
    fn the_nesting_cut_counts_only_elements_that_nest() {
        let honest = format!(
            "<!-- <div><div> -->{}<br><img src=x><hr/>{}",
            "<p>para<li>item<td>cell".repeat(5_000),
            "<div><b>x</b></div>".repeat(5_000)
        );
        assert_eq!(nesting_cut(&honest, 10), None);
        // Closed elements give their level back: the cut comes at the 11th level, not the 11th tag.
        let deep = format!(
            "{}{}",
            "<table>x</table>".repeat(20),
            "<div>\n<SPAN class=a>".repeat(8)
        );
        let at = nesting_cut(&deep, 10).unwrap();
        assert_eq!(&deep[at..at + 5], "<div>");
        assert_eq!(deep[..at].matches("<SPAN").count(), 5);
    }

    /// A body larger than any letter (here a 100 MB style attribute) is not parsed at all: the
    /// reader shows the plain text instead.
    #[test]
    fn a_100_mb_style_attribute_is_not_parsed() {
        let hostile = format!("<p style=\"{}\">Hi</p>", "color:red;".repeat(10 << 20));
        let rendered = render(&hostile);
        assert_eq!(rendered.limit, Some(Limit::Input));
        assert!(rendered.pieces.is_empty());
    }

    /// A table of 200,000 rows is 2.6 MB of HTML and more to lay out than any screen shows: the
    /// output stops at the cap.
    #[test]
    fn a_huge_table_makes_bounded_output() {
        let hostile = format!(
            "<table>{}</table>",
            "<tr><td>cell</td><td>cell</td></tr>".repeat(200_000)
        );
        let rendered = render(&hostile);
        assert!(output_len(&rendered) <= MAX_OUTPUT + 64);
        assert_eq!(rendered.limit, Some(Limit::Output));
        assert!(all_text(&rendered).starts_with("cell cell"));
    }

    #[test]
    fn links_are_sorted_by_scheme() {
        assert!(matches!(
            link_target("https://example.test/a?b=c"),
            LinkTarget::Web(url) if url.host_str() == Some("example.test")
        ));
        assert!(matches!(
            link_target(" http://例え.jp/ "),
            LinkTarget::Web(_)
        ));
        assert_eq!(
            link_target("mailto:ken@example.co.jp?subject=Hi"),
            LinkTarget::Mail("mailto:ken@example.co.jp?subject=Hi".into())
        );
        for other in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.test/",
            "data:text/html,hi",
            "not a link",
            "https://",
        ] {
            assert_eq!(link_target(other), LinkTarget::Ignored, "{other}");
        }
    }

    #[test]
    fn a_link_whose_text_names_another_site_is_caught() {
        let to = |u: &str| url::Url::parse(u).unwrap();
        assert_eq!(
            deceptive_hosts("https://bank.example/login", &to("https://evil.example/x")),
            Some(("bank.example".into(), "evil.example".into()))
        );
        assert_eq!(
            deceptive_hosts("www.bank.example", &to("http://bank.example.evil.example/")),
            Some(("bank.example".into(), "bank.example.evil.example".into()))
        );
        // Honest links: plain words, or the same site (with or without www).
        assert_eq!(
            deceptive_hosts("the report", &to("https://evil.example/")),
            None
        );
        assert_eq!(
            deceptive_hosts("こちら", &to("https://evil.example/")),
            None
        );
        assert_eq!(
            deceptive_hosts("https://www.example.test/a", &to("https://example.test/b")),
            None
        );
        // Version numbers and the like are not sites.
        assert_eq!(deceptive_hosts("v1.2", &to("https://example.test/")), None);
        let rendered =
            render("<p>Log in at <a href=\"https://evil.example/\">https://bank.example/</a></p>");
        assert_eq!(
            rendered.link_text("https://evil.example/"),
            "https://bank.example/"
        );
    }

    #[test]
    fn formatting_links_and_lists_become_styled_text() {
        let rendered = render(
            "<p>Dear <b>Hanako</b>,</p><p>See <i>the</i> <a href=\"https://example.test/doc\">report</a>.</p>\
             <ul><li>one</li><li>two &amp; three</li></ul><ol><li>first</li><li>second</li></ol>",
        );
        let text = all_text(&rendered);
        assert_eq!(
            text,
            "Dear Hanako,\n\nSee the report <https://example.test/doc>.\n\n• one\n• two & three\n\n1. first\n2. second"
        );
        assert!(rendered.pieces.iter().any(|p| p.bold && p.text == "Hanako"));
        assert!(rendered.pieces.iter().any(|p| p.italic && p.text == "the"));
        assert!(rendered.pieces.iter().any(|p| {
            p.link.as_deref() == Some("https://example.test/doc") && p.text == "report"
        }));
        assert!(rendered.remote_images.is_empty());
        assert_eq!(rendered.limit, None);
    }

    #[test]
    fn srcset_addresses_are_split_as_the_html_standard_says() {
        assert_eq!(srcset_urls("a.png 1x, b.png 2x"), ["a.png", "b.png"]);
        assert_eq!(
            srcset_urls(" https://x.example/a,1.png 480w,https://x.example/b.png 800w "),
            ["https://x.example/a,1.png", "https://x.example/b.png"]
        );
        // A comma ending the address ends the candidate; descriptors may hold commas in brackets.
        assert_eq!(srcset_urls("a.png,b.png"), ["a.png,b.png"]);
        assert_eq!(srcset_urls("a.png, b.png"), ["a.png", "b.png"]);
        assert_eq!(srcset_urls("a.png (x, y), b.png"), ["a.png", "b.png"]);
        assert!(srcset_urls(" , ,").is_empty());
    }

    #[test]
    fn safe_links_are_unwrapped_only_on_microsofts_hosts() {
        let to = |u: &str| url::Url::parse(u).unwrap();
        let real = safe_links_target(&to(
            "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.test%2Fa%3Fb%3Dc&data=05%7C01&reserved=0",
        ));
        assert_eq!(
            real.map(String::from).as_deref(),
            Some("https://example.test/a?b=c")
        );
        // Wrapped twice (a forwarded message), and the US government cloud.
        let inner =
            "https://gcc02.safelinks.protection.office365.us/?url=https%3A%2F%2Fportal.example%2F";
        let twice = format!(
            "https://jpn01.safelinks.protection.outlook.com/?url={}&data=x",
            url::form_urlencoded::byte_serialize(inner.as_bytes()).collect::<String>()
        );
        assert_eq!(
            safe_links_target(&to(&twice)).map(String::from).as_deref(),
            Some("https://portal.example/")
        );
        for not_wrapped in [
            "https://safelinks.protection.outlook.com.evil.example/?url=https%3A%2F%2Fbank.example%2F",
            "https://evil.example/?url=https%3A%2F%2Fbank.example%2F",
            "http://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fbank.example%2F",
            "https://nam12.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)",
            "https://nam12.safelinks.protection.outlook.com/?data=x",
        ] {
            assert_eq!(safe_links_target(&to(not_wrapped)), None, "{not_wrapped}");
        }
    }
}
