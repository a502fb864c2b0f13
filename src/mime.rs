//! Reading messages: mail-parser (0.11, with `full_encoding`) turns raw RFC 5322 bytes into the fields
//! a mail client shows and indexes — with Japanese first-class: ISO-2022-JP, Shift_JIS and EUC-JP
//! bodies and RFC 2047/2231 encoded words and file names come out as Unicode text.
//!
//! Input from the network is never trusted: a message that cannot be parsed is not dropped but kept
//! raw and marked [`Decoded::parse_ok`] `= false`, so the store keeps it and sync goes on.

use mail_parser::{MessageParser, MimeHeaders};

/// An address as shown: display name (decoded) and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

/// An attachment's description (the bytes stay in the raw message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub file_name: Option<String>,
    pub content_type: String,
    pub size: usize,
    /// The part's Content-ID without its angle brackets: an image the HTML body shows (`cid:`)
    /// is part of the page, not an attachment to list.
    pub content_id: Option<String>,
}

/// A `message/external-body` part (RFC 2046 §5.2.3): not content but a reference to content kept
/// elsewhere (a URL, an FTP site, a file on the sender's network). It is shown as what it is and
/// never fetched or opened: the place is the sender's word, and fetching it would tell them the
/// message was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalBody {
    /// `access-type`: `URL`, `anon-ftp`, `ftp`, `tftp`, `local-file`, `mail-server`, …
    pub access_type: String,
    /// Where it is, as the reference says: the URL, or site, directory and name put together.
    pub location: Option<String>,
    /// The type of the referenced content, from the part's inner header, when given.
    pub content_type: Option<String>,
    /// `size` in bytes, when given.
    pub size: Option<u64>,
    /// `expiration`, as written.
    pub expiration: Option<String>,
}

/// What Tayori needs from a message for the list, the reader, threading and search.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    pub parse_ok: bool,
    pub subject: Option<String>,
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Seconds since 1970, UTC.
    pub date: Option<i64>,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The plain-text body (from text/plain, or derived from HTML when there is none).
    pub text: Option<String>,
    /// The HTML body as sent; it must be sanitised before display (the reader's job).
    pub html: Option<String>,
    pub attachments: Vec<AttachmentInfo>,
    /// References to content outside the message (`message/external-body` parts).
    pub external_bodies: Vec<ExternalBody>,
    /// Where the sender asks a read receipt to go (`Disposition-Notification-To`, RFC 8098).
    pub receipt_to: Vec<Mailbox>,
    /// Images the HTML body refers to as `cid:` (a pasted screenshot, a signature's logo): the
    /// reader only, up to [`INLINE_IMAGES_MAX`] bytes in all.
    pub inline_images: Vec<InlineImage>,
}

/// A part with a `Content-ID` that an HTML body can show as `<img src="cid:…">`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    /// The Content-ID without its angle brackets, as `cid:` URLs name it (RFC 2392).
    pub content_id: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The most bytes of inline images the reader keeps for one message; parts past it are shown as
/// missing images, so a hostile message cannot make the reader hold gigabytes.
pub const INLINE_IMAGES_MAX: usize = 32 << 20;

/// A Content-ID as `cid:` URLs name it: without white space and angle brackets.
fn bare_content_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// The message's parts with a Content-ID and an image type, in order, within the cap.
fn inline_images(message: &mail_parser::Message<'_>) -> Vec<InlineImage> {
    let mut total = 0usize;
    let mut images = Vec::new();
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let Some(id) = part.content_id() else {
            continue;
        };
        if !ct.ctype().eq_ignore_ascii_case("image") {
            continue;
        }
        let bytes = part.contents();
        total = total.saturating_add(bytes.len());
        if total > INLINE_IMAGES_MAX {
            break;
        }
        images.push(InlineImage {
            content_id: bare_content_id(id),
            content_type: format!("image/{}", ct.subtype().unwrap_or("octet-stream")),
            bytes: bytes.to_vec(),
        });
    }
    images
}

/// The plain-text body. For HTML-only mail it is derived from the HTML with a line break at the
/// end of every block (mail-parser breaks lines only at `<br>` and `</p>`, so a reply to Gmail's or
/// Outlook's `<div>` lines quoted them as one paragraph, and table rows ran together).
fn body_text(message: &mail_parser::Message<'_>) -> Option<String> {
    let html_only = message.text_part(0).is_none_or(|part| part.is_text_html());
    match message
        .html_part(0)
        .filter(|part| html_only && part.is_text_html())
    {
        Some(part) => {
            let html = part.text_contents()?;
            Some(html_to_text(html))
        }
        None => message.body_text(0).map(|t| t.into_owned()),
    }
}

/// HTML as text: blocks (paragraphs, `<div>`s, list items, table rows, headings, quotes) on lines
/// of their own, table cells apart, list items with a bullet; `<br>` breaks as written.
pub fn html_to_text(html: &str) -> String {
    /// A block's start or end: a line break unless the text is at a line's start already.
    const SOFT_BREAK: char = '\u{1}';
    const BLOCKS: [&str; 17] = [
        "div",
        "p",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "table",
        "ul",
        "ol",
        "pre",
        "dd",
        "dt",
    ];
    let lower = html.to_ascii_lowercase();
    let mut marked = String::with_capacity(html.len() + html.len() / 8);
    let mut at = 0;
    while let Some(found) = lower[at..].find('<') {
        let start = at + found;
        marked.push_str(&html[at..start].replace(SOFT_BREAK, ""));
        let tag = &lower[start + 1..];
        let closing = tag.starts_with('/');
        let name_start = usize::from(closing);
        let name: String = tag[name_start..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if BLOCKS.contains(&name.as_str()) || name == "hr" {
            marked.push(SOFT_BREAK);
            if name == "li" && !closing {
                marked.push_str("\u{2022} ");
            }
        } else if (name == "td" || name == "th") && !closing {
            marked.push_str(" \u{a0} ");
        }
        marked.push('<');
        at = start + 1;
    }
    marked.push_str(&html[at..]);
    let text = mail_parser::decoders::html::html_to_text(&marked);
    let mut lines = String::with_capacity(text.len());
    for c in text.chars() {
        if c == SOFT_BREAK {
            let kept = lines.trim_end_matches([' ', '\u{a0}']).len();
            lines.truncate(kept);
            if !lines.is_empty() && !lines.ends_with('\n') {
                lines.push('\n');
            }
        } else {
            lines.push(c);
        }
    }
    // Lines trimmed, runs of empty lines made one, none at the start or the end.
    let mut out = String::with_capacity(lines.len());
    let mut empty = false;
    for line in lines.lines() {
        let line = line.trim_matches([' ', '\u{a0}']);
        if line.is_empty() {
            empty = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if empty { "\n\n" } else { "\n" });
        }
        empty = false;
        out.push_str(line);
    }
    out
}

/// Whether a part is a `message/external-body` reference.
fn is_external_body(part: &mail_parser::MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("message")
            && ct
                .subtype()
                .is_some_and(|sub| sub.eq_ignore_ascii_case("external-body"))
    })
}

/// The parts listed as attachments: files, never references to content elsewhere. The reader's
/// numbering and [`attachment_bytes`] both come from here.
fn listed_attachments<'a>(
    message: &'a mail_parser::Message<'a>,
) -> impl Iterator<Item = &'a mail_parser::MessagePart<'a>> {
    message.attachments().filter(|part| !is_external_body(part))
}

/// The parameters of a raw `Content-Type` field value (`type/sub; name=value; name="value"`),
/// names in lower case. RFC 2017 lets an external body's URL be folded across lines inside its
/// quotes, which mail-parser's parser stops at; this reads the field as written.
fn raw_parameters(value: &str) -> Vec<(String, String)> {
    let unfolded = value.replace("\r\n", "").replace('\n', "");
    let mut parameters = Vec::new();
    let mut rest = unfolded.as_str();
    // Skip the type itself.
    match rest.find(';') {
        Some(at) => rest = &rest[at + 1..],
        None => return parameters,
    }
    while !rest.trim().is_empty() {
        let Some(eq) = rest.find('=') else {
            break;
        };
        let name = rest[..eq]
            .trim()
            .trim_start_matches(';')
            .trim()
            .to_ascii_lowercase();
        let after = rest[eq + 1..].trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            let next = quoted[end..]
                .find(';')
                .map_or("", |at| &quoted[end + at + 1..]);
            (value, next)
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (
                after[..end].trim().to_owned(),
                after.get(end + 1..).unwrap_or(""),
            )
        };
        if !name.is_empty() {
            parameters.push((name, value));
        }
        rest = next;
    }
    parameters
}

fn external_body(part: &mail_parser::MessagePart<'_>, raw: &[u8]) -> ExternalBody {
    let field = part
        .headers()
        .iter()
        .find(|h| h.name == mail_parser::HeaderName::ContentType)
        .and_then(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    let parameters = raw_parameters(&field);
    let attribute = |name: &str| -> Option<String> {
        parameters
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let access_type = attribute("access-type").unwrap_or_else(|| "unknown".into());
    // RFC 2017: the URL may be folded into pieces; white space in it is not part of it.
    let location = attribute("url")
        .map(|url| url.split_whitespace().collect::<String>())
        .or_else(|| {
            let pieces: Vec<String> = ["site", "directory", "name"]
                .iter()
                .filter_map(|key| attribute(key))
                .collect();
            (!pieces.is_empty()).then(|| pieces.join(" / "))
        })
        .or_else(|| attribute("server"));
    // The part's body starts with the referenced content's own header lines.
    let contents = String::from_utf8_lossy(part.contents()).into_owned();
    let content_type = contents
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-type")
                .then(|| value.split(';').next().unwrap_or("").trim().to_owned())
        })
        .filter(|v| !v.is_empty());
    ExternalBody {
        access_type,
        location,
        content_type,
        size: attribute("size").and_then(|s| s.parse().ok()),
        expiration: attribute("expiration"),
    }
}

/// The addresses of a raw address header (`Disposition-Notification-To` is not among those
/// mail-parser reads as addresses by default).
fn raw_addresses(raw: &str) -> Vec<Mailbox> {
    let one = format!("To:{}\r\n\r\n", raw.trim_end());
    MessageParser::default()
        .parse_headers(one.as_bytes())
        .map(|m| mailboxes(m.to()))
        .unwrap_or_default()
}

fn mailboxes(address: Option<&mail_parser::Address<'_>>) -> Vec<Mailbox> {
    address
        .map(|list| {
            list.iter()
                .filter_map(|addr| {
                    Some(Mailbox {
                        name: addr.name().map(str::to_owned).filter(|n| !n.is_empty()),
                        address: addr.address()?.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn id_list(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    value
        .as_text_list()
        .map(|ids| ids.iter().map(|id| id.to_string()).collect())
        .unwrap_or_default()
}

/// Decodes a raw message. Never fails: unparseable input gives `parse_ok: false` and empty fields.
pub fn decode(raw: &[u8]) -> Decoded {
    decode_fields(raw, true)
}

/// [`decode`] for the store's list and search index: the same fields except the ones only the
/// reader shows (`html`, `external_bodies`, `receipt_to` stay empty), which a sync would otherwise
/// compute for every message it downloads (a plain-text message's HTML rendering among them).
pub fn decode_for_index(raw: &[u8]) -> Decoded {
    decode_fields(raw, false)
}

/// The parser for the store and the search index: only the fields [`decode_for_index`] gives are
/// parsed; every other header is kept raw. mail-parser's default parses each header it knows
/// (every `Received:` line into its parts, and so on), which cost a fifth of a first sync's header
/// phase for nothing that is kept.
static INDEX_PARSER: std::sync::LazyLock<MessageParser> = std::sync::LazyLock::new(|| {
    MessageParser::new()
        .with_mime_headers()
        .with_address_headers()
        .with_message_ids()
        .header_date(mail_parser::HeaderName::Date)
        .header_text(mail_parser::HeaderName::Subject)
});

fn decode_fields(raw: &[u8], for_reader: bool) -> Decoded {
    let parsed = if for_reader {
        MessageParser::default().parse(raw)
    } else {
        INDEX_PARSER.parse(raw)
    };
    let Some(message) = parsed else {
        return Decoded::default();
    };
    // mail-parser accepts almost anything; without one header of RFC 5322 shape (a field name of
    // visible ASCII) the bytes are not a message.
    let is_field_name =
        |name: &str| !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
    if !message.headers().iter().any(|h| is_field_name(h.name())) {
        return Decoded::default();
    }
    Decoded {
        parse_ok: true,
        subject: message.subject().map(str::to_owned),
        from: mailboxes(message.from()),
        to: mailboxes(message.to()),
        cc: mailboxes(message.cc()),
        date: message.date().map(|d| d.to_timestamp()),
        message_id: message.message_id().map(str::to_owned),
        in_reply_to: id_list(message.in_reply_to()),
        references: id_list(message.references()),
        text: body_text(&message),
        // mail-parser lists a plain-text part among the HTML bodies too (it can render it as
        // HTML); only a real text/html part is HTML mail.
        // (body_html renders a plain-text part as HTML: not done unless the reader needs it.)
        html: for_reader
            .then(|| message.body_html(0))
            .flatten()
            .filter(|_| message.html_part(0).is_some_and(|part| part.is_text_html()))
            .map(|h| h.into_owned()),
        external_bodies: message
            .attachments()
            .filter(|part| for_reader && is_external_body(part))
            .map(|part| external_body(part, raw))
            .collect(),
        receipt_to: message
            .header_raw("Disposition-Notification-To")
            .filter(|_| for_reader)
            .map(raw_addresses)
            .unwrap_or_default(),
        inline_images: if for_reader {
            inline_images(&message)
        } else {
            Vec::new()
        },
        attachments: listed_attachments(&message)
            .map(|part| AttachmentInfo {
                file_name: part.attachment_name().map(str::to_owned),
                content_type: part
                    .content_type()
                    .map(|ct| match ct.subtype() {
                        Some(sub) => format!("{}/{}", ct.ctype(), sub),
                        None => ct.ctype().to_owned(),
                    })
                    .unwrap_or_else(|| "application/octet-stream".into()),
                size: part.contents().len(),
                content_id: part.content_id().map(bare_content_id),
            })
            .collect(),
    }
}

/// The decoded bytes of the message's attachment number `index`, in the order of
/// [`Decoded::attachments`] (the same parse, so the numbers agree). `None` when the message has no
/// such attachment (it changed meanwhile, or the bytes are not a message).
pub fn attachment_bytes(raw: &[u8], index: usize) -> Option<Vec<u8>> {
    let message = MessageParser::default().parse(raw)?;
    listed_attachments(&message)
        .nth(index)
        .map(|part| part.contents().to_vec())
}

/// The thread a message belongs to: the first of its References, else its In-Reply-To, else itself
/// (the JWZ idea reduced to what needs no other message).
pub fn thread_root(decoded: &Decoded) -> Option<String> {
    decoded
        .references
        .first()
        .or_else(|| decoded.in_reply_to.first())
        .cloned()
        .or_else(|| decoded.message_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mail-parser 0.11.9 asserted (in debug builds) on this message, a part whose multipart
    /// ancestor it loses; the fork in third_party/mail-parser keeps the release behaviour: the
    /// message decodes as far as it parsed, its headers intact.
    #[test]
    fn a_part_without_its_multipart_is_decoded_not_a_panic() {
        let raw =
            include_bytes!("../fuzz/corpus/mime/crash-mail-parser-invalid-part-id-debug-assert");
        let decoded = decode(raw);
        assert!(decoded.parse_ok);
        assert_eq!(decoded.subject.as_deref(), Some("attachments"));
        assert_eq!(decoded.from[0].address, "a@example.test");
        assert_eq!(decoded.message_id.as_deref(), Some("m2@example.test"));
    }

    /// HTML-only mail as Gmail and Outlook write it: each `<div>` a line, an empty `<div><br></div>`
    /// an empty line, list items and table rows on lines of their own. (A reply quotes this text.)
    #[test]
    fn html_only_mail_reads_as_lines_of_text() {
        let raw = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/html-mail/gmail-reply.eml"),
        )
        .unwrap();
        // The corpus message has a text part; its HTML alone is what an HTML-only message gives.
        let html = decode(&raw).html.unwrap();
        assert_eq!(
            html_to_text(&html),
            "Thanks, that works for me.\n\n\
             Could you also send the invoice for October? The address is the same as before:\n\
             \u{2022} Example Trading K.K.\n\
             \u{2022} Accounts Payable\n\
             Best,\n\
             Priya\n\n\
             On Mon, 2 Nov 2026 at 10:03, Ken Ito <ken@example.jp> wrote:\n\
             Hello Priya,\n\n\
             Shall we move the call to Thursday at 15:00?\n\n\
             Ken"
        );
        let table = "<table><tr><th>Region</th><th>Orders</th></tr>\
            <tr><td>Kanto</td><td>12,480</td></tr></table><p>Thanks</p>";
        assert_eq!(
            html_to_text(table),
            "Region \u{a0} Orders\nKanto \u{a0} 12,480\nThanks"
        );
        let message = "From: a@example.test\r\nSubject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
             <div>one</div><div>two</div>";
        assert_eq!(decode(message.as_bytes()).text.as_deref(), Some("one\ntwo"));
    }

    /// Encodes text in a legacy Japanese charset, as a Japanese mail program would send it.
    fn encode(text: &str, encoding: &'static encoding_rs::Encoding) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "test text must be representable");
        bytes.into_owned()
    }

    /// An RFC 2047 encoded word in ISO-2022-JP, the way Japanese mail programs write headers.
    fn encoded_word(text: &str) -> String {
        use base64::Engine;
        let bytes = encode(text, encoding_rs::ISO_2022_JP);
        format!(
            "=?ISO-2022-JP?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    fn japanese_message(
        charset: &str,
        encoding: &'static encoding_rs::Encoding,
        transfer: &str,
    ) -> Vec<u8> {
        let body = "お世話になっております。\r\n来週の会議の資料を送ります。\r\n";
        let mut raw = format!(
            "From: {} <yamada@example.co.jp>\r\n\
             To: suzuki@example.co.jp\r\n\
             Subject: {}\r\n\
             Date: Mon, 23 Nov 2026 09:30:00 +0900\r\n\
             Message-ID: <jp-1@example.co.jp>\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset={charset}\r\n\
             Content-Transfer-Encoding: {transfer}\r\n\r\n",
            encoded_word("山田 太郎"),
            encoded_word("会議資料"),
        )
        .into_bytes();
        raw.extend(encode(body, encoding));
        raw
    }

    #[test]
    fn the_index_decoding_has_the_fields_of_the_full_one_without_the_readers() {
        let raw = b"From: Taro <taro@example.jp>\r\nTo: a@example.jp\r\nSubject: plan\r\n\
            Disposition-Notification-To: taro@example.jp\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
            see the plan\r\n--b\r\nContent-Type: application/pdf\r\n\
            Content-Disposition: attachment; filename=plan.pdf\r\n\r\n%PDF\r\n--b--\r\n";
        let full = decode(raw);
        let index = decode_for_index(raw);
        assert!(index.parse_ok);
        assert_eq!(index.subject, full.subject);
        assert_eq!(index.from, full.from);
        assert_eq!(index.to, full.to);
        assert_eq!(index.text, full.text);
        assert_eq!(index.attachments.len(), 1);
        assert_eq!(index.attachments.len(), full.attachments.len());
        assert_eq!(
            full.receipt_to.len(),
            1,
            "the reader's fields are in the full decoding"
        );
        assert!(index.receipt_to.is_empty() && index.html.is_none());
    }

    /// The index's own parser reads the fields it keeps as the reader's does, for every message
    /// the fuzzer's corpus and these tests hold (Japanese, malformed, multipart, threads).
    #[test]
    fn the_index_parser_reads_the_fields_it_keeps_as_the_full_parser_does() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/mime");
        let mut messages: Vec<Vec<u8>> = std::fs::read_dir(&corpus)
            .expect("the fuzz corpus")
            .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
            .collect();
        for (charset, encoding) in [
            ("ISO-2022-JP", encoding_rs::ISO_2022_JP),
            ("Shift_JIS", encoding_rs::SHIFT_JIS),
        ] {
            messages.push(japanese_message(charset, encoding, "7bit"));
        }
        messages.push(
            b"Received: from a (a [192.0.2.1]) by b with ESMTPS id 1; Mon, 2 Nov 2026 10:00:00 +0900\r\n\
              From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>, bob@example.jp\r\n\
              To: group: c@example.jp, d@example.jp;\r\nCc: \"Q, R\" <q@example.jp>\r\n\
              Date: Mon, 2 Nov 2026 10:00:00 +0900\r\nMessage-ID: <m1@example.jp>\r\n\
              In-Reply-To: <m0@example.jp>\r\nReferences: <a@x> <m0@example.jp>\r\n\
              Subject: =?ISO-2022-JP?B?GyRCMnFEOxsoQg==?=\r\n\r\nbody\r\n"
                .to_vec(),
        );
        assert!(
            messages.len() > 8,
            "the corpus is there: {}",
            corpus.display()
        );
        for raw in &messages {
            let (full, index) = (decode(raw), decode_for_index(raw));
            let shown = String::from_utf8_lossy(&raw[..raw.len().min(200)]);
            assert_eq!(index.parse_ok, full.parse_ok, "{shown}");
            assert_eq!(index.subject, full.subject, "{shown}");
            assert_eq!(index.from, full.from, "{shown}");
            assert_eq!(index.to, full.to, "{shown}");
            assert_eq!(index.cc, full.cc, "{shown}");
            assert_eq!(index.date, full.date, "{shown}");
            assert_eq!(index.message_id, full.message_id, "{shown}");
            assert_eq!(index.in_reply_to, full.in_reply_to, "{shown}");
            assert_eq!(index.references, full.references, "{shown}");
            assert_eq!(index.text, full.text, "{shown}");
            assert_eq!(
                format!("{:?}", index.attachments),
                format!("{:?}", full.attachments),
                "{shown}"
            );
        }
    }

    #[test]
    fn iso_2022_jp_subject_sender_and_body_become_unicode() {
        let decoded = decode(&japanese_message(
            "ISO-2022-JP",
            encoding_rs::ISO_2022_JP,
            "7bit",
        ));
        assert!(decoded.parse_ok);
        assert_eq!(decoded.subject.as_deref(), Some("会議資料"));
        assert_eq!(decoded.from[0].name.as_deref(), Some("山田 太郎"));
        assert_eq!(decoded.from[0].address, "yamada@example.co.jp");
        assert!(
            decoded
                .text
                .as_deref()
                .unwrap()
                .contains("来週の会議の資料を送ります。"),
            "{:?}",
            decoded.text
        );
        // 09:30 in Japan is 00:30 UTC: `date -u -d "2026-11-23 00:30:00" +%s`.
        assert_eq!(decoded.date, Some(1_795_393_800));
    }

    #[test]
    fn shift_jis_and_euc_jp_bodies_become_unicode() {
        for (charset, encoding) in [
            ("Shift_JIS", encoding_rs::SHIFT_JIS),
            ("EUC-JP", encoding_rs::EUC_JP),
        ] {
            let decoded = decode(&japanese_message(charset, encoding, "8bit"));
            let text = decoded.text.unwrap_or_default();
            assert!(
                text.contains("お世話になっております。"),
                "{charset}: {text:?}"
            );
        }
    }

    #[test]
    fn rfc2231_file_names_and_threading_headers() {
        let raw = b"From: a@example.test\r\n\
Subject: Re: =?UTF-8?B?6KaL56mN?=\r\n\
Message-ID: <c@example.test>\r\n\
In-Reply-To: <b@example.test>\r\n\
References: <a@example.test> <b@example.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n\
--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n\
--XX\r\nContent-Type: application/pdf\r\n\
Content-Disposition: attachment; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n";
        let decoded = decode(raw);
        assert_eq!(decoded.subject.as_deref(), Some("Re: 見積"));
        assert_eq!(decoded.references, ["a@example.test", "b@example.test"]);
        assert_eq!(decoded.in_reply_to, ["b@example.test"]);
        assert_eq!(thread_root(&decoded).as_deref(), Some("a@example.test"));
        assert_eq!(decoded.attachments.len(), 1);
        assert_eq!(
            decoded.attachments[0].file_name.as_deref(),
            Some("見積書.pdf")
        );
        assert_eq!(decoded.attachments[0].content_type, "application/pdf");
        assert_eq!(decoded.attachments[0].size, 9);
    }

    #[test]
    fn attachment_bytes_are_the_decoded_contents_in_the_listed_order() {
        use base64::Engine;
        let pdf = b"%PDF-1.4\n\x00\xff binary \r\n end".to_vec();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
        let raw = format!(
            "From: a@example.test\r\nSubject: files\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
             --B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n\
             --B\r\nContent-Type: text/csv; name=\"a.csv\"\r\nContent-Disposition: attachment; filename=\"a.csv\"\r\n\r\nx,y\r\n1,2\r\n\
             --B\r\nContent-Type: application/pdf\r\n\
             Content-Disposition: attachment; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--B--\r\n"
        );
        let decoded = decode(raw.as_bytes());
        let names: Vec<_> = decoded
            .attachments
            .iter()
            .map(|a| a.file_name.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(names, ["a.csv", "見積書.pdf"]);
        assert_eq!(attachment_bytes(raw.as_bytes(), 1).unwrap(), pdf);
        assert_eq!(attachment_bytes(raw.as_bytes(), 0).unwrap(), b"x,y\r\n1,2");
        assert_eq!(decoded.attachments[1].size, pdf.len());
        assert_eq!(attachment_bytes(raw.as_bytes(), 2), None);
        assert_eq!(attachment_bytes(b"", 0), None);
    }

    #[test]
    fn broken_input_is_marked_not_dropped_and_never_panics() {
        for raw in [&b""[..], b"\x00\x01\x02 not a message", b"\r\n\r\n\r\n"] {
            let decoded = decode(raw);
            assert!(!decoded.parse_ok, "{raw:?}");
        }
        // Damaged but recognisable: headers survive even with a truncated multipart body.
        let truncated = b"Subject: half\r\nContent-Type: multipart/mixed; boundary=Q\r\n\r\n--Q\r\nContent-Type: text/plain\r\n\r\nhel";
        let decoded = decode(truncated);
        assert!(decoded.parse_ok);
        assert_eq!(decoded.subject.as_deref(), Some("half"));
        // An 8-bit header (raw UTF-8, as some servers send) is read as UTF-8.
        let decoded = decode("Subject: 生の UTF-8\r\n\r\nbody".as_bytes());
        assert_eq!(decoded.subject.as_deref(), Some("生の UTF-8"));
    }

    #[test]
    fn only_a_text_html_part_is_html_mail() {
        let plain = decode(b"From: a@example.test\r\nSubject: plain\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n");
        assert_eq!(plain.text.as_deref().map(str::trim), Some("hello"));
        assert_eq!(plain.html, None, "a text/plain message is not HTML mail");
        let html = decode(b"From: a@example.test\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hello <b>there</b></p>\r\n");
        assert!(html.html.as_deref().unwrap().contains("<b>there</b>"));
        assert!(html.text.as_deref().unwrap().contains("hello"));
    }
}
