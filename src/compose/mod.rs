//! The compose model: what a person writes (a [`Draft`]) and how it becomes an RFC 5322 message.
//!
//! GUI-free: the window, the command line and the outbox all use these types. A draft is checked
//! ([`Draft::validate`]) before anything is queued, so a line break smuggled into a subject, a name
//! or an address (header injection) is refused with a clear error instead of becoming a header.
//!
//! Building ([`Draft::build`]) uses lettre's message builder: UTF-8 everywhere, RFC 2047 encoded
//! words for non-ASCII headers, RFC 2231 file names, `format=flowed` (RFC 3676) or hard-wrapped
//! plain text. The built bytes keep the `Bcc` header — they are the copy for Sent and Drafts — and
//! [`strip_bcc`] removes it for the copy that goes to the submission server.

pub mod flowed;
pub mod receipt;
pub mod reply;

use std::path::Path;
use std::time::SystemTime;

use lettre::message::header::{self, ContentTransferEncoding, ContentType};
use lettre::message::{Attachment as LettreAttachment, Body, MultiPart, SinglePart};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use reply::{ForwardMode, ReplyMode, forward_subject, reply_subject};

/// The width a composed line is wrapped to (RFC 3676 recommends at most 78; 72 leaves room for
/// the "> " of replies).
pub const WRAP_WIDTH: usize = 72;

/// References kept in a reply: the thread's first message and the most recent ones. Long threads
/// otherwise grow a header some servers refuse.
const MAX_REFERENCES: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ComposeError {
    #[error(
        "the {field} contains a line break; a line break there could add hidden headers or recipients, so Tayori refuses it. Remove it and try again."
    )]
    LineBreak { field: &'static str },
    #[error(
        "the {field} contains an invisible control character (code {code:#04x}); remove it and try again"
    )]
    ControlCharacter { field: &'static str, code: u32 },
    #[error("{address:?} is not a valid email address ({reason})")]
    BadAddress { address: String, reason: String },
    #[error("the message has no recipient; add at least one address in To, Cc or Bcc")]
    NoRecipient,
    #[error("the attachment {path} could not be read: {reason}")]
    Attachment { path: String, reason: String },
    #[error("the message could not be put together: {0}")]
    Build(String),
}

/// An address with an optional display name, as a person typed or a message carried it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    pub fn new(name: Option<&str>, address: &str) -> Self {
        Self {
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            address: address.trim().to_owned(),
        }
    }

    /// Reads `Name <address>`, `"Name, Inc." <address>` or a bare address. Line breaks and control
    /// characters are refused before anything else looks at the text.
    pub fn parse(text: &str) -> Result<Self, ComposeError> {
        check_text("address", text)?;
        let parsed: lettre::message::Mailbox =
            text.trim()
                .parse()
                .map_err(
                    |e: lettre::address::AddressError| ComposeError::BadAddress {
                        address: text.to_owned(),
                        reason: e.to_string(),
                    },
                )?;
        Ok(Self::new(parsed.name.as_deref(), parsed.email.as_ref()))
    }

    /// The address in lower case, for comparisons (the local part is case-sensitive in theory and
    /// case-insensitive at every real provider).
    pub fn key(&self) -> String {
        self.address.to_lowercase()
    }

    fn to_lettre(&self, field: &'static str) -> Result<lettre::message::Mailbox, ComposeError> {
        if let Some(name) = &self.name {
            check_text(field, name)?;
        }
        check_text(field, &self.address)?;
        let email: lettre::Address =
            self.address
                .parse()
                .map_err(
                    |e: lettre::address::AddressError| ComposeError::BadAddress {
                        address: self.address.clone(),
                        reason: e.to_string(),
                    },
                )?;
        Ok(lettre::message::Mailbox::new(self.name.clone(), email))
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// How the text body is laid out on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    /// `format=flowed` (RFC 3676): soft line breaks that readers re-flow; the default.
    #[default]
    Flowed,
    /// Lines hard-wrapped at [`WRAP_WIDTH`], for recipients whose programs show flowed text badly.
    Plain,
}

/// A file attached to a message. The bytes are held, not the path: a file moved or deleted after
/// attaching must not change or lose what the person sends.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("size", &self.data.len())
            .finish()
    }
}

impl Attachment {
    /// Reads a file; the content type comes from its name (`mime_guess`), as recipients' programs
    /// expect — `application/octet-stream` when the extension says nothing.
    pub fn from_file(path: &Path) -> Result<Self, ComposeError> {
        let data = std::fs::read(path).map_err(|e| ComposeError::Attachment {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        Ok(Self::new(file_name, data))
    }

    /// An attachment from bytes; the content type is guessed from the name.
    pub fn new(file_name: String, data: Vec<u8>) -> Self {
        let content_type = mime_guess::from_path(&file_name)
            .first_or_octet_stream()
            .essence_str()
            .to_owned();
        Self {
            file_name,
            content_type,
            data,
        }
    }
}

/// What a person writes: the GUI edits one, `tayori send` fills one from its arguments, reply and
/// forward start one from an original message. Serialised (without attachment bytes, which the
/// outbox keeps in their own table) for locally saved drafts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub from: Mailbox,
    #[serde(default)]
    pub to: Vec<Mailbox>,
    #[serde(default)]
    pub cc: Vec<Mailbox>,
    #[serde(default)]
    pub bcc: Vec<Mailbox>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub format: BodyFormat,
    /// The Message-ID (with angle brackets) of the message this replies to.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(skip)]
    pub attachments: Vec<Attachment>,
}

/// A built message, ready for the outbox.
#[derive(Clone)]
pub struct Built {
    /// With angle brackets, as in the header.
    pub message_id: String,
    /// The whole message, `Bcc` included (the copy for Sent and Drafts).
    pub raw: Vec<u8>,
    /// The envelope: sender and every recipient (To, Cc and Bcc).
    pub envelope_from: String,
    pub recipients: Vec<String>,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Built")
            .field("message_id", &self.message_id)
            .field("size", &self.raw.len())
            .field("envelope_from", &self.envelope_from)
            .field("recipients", &self.recipients)
            .finish()
    }
}

/// Refuses line breaks (header injection) and other control characters in a header value.
/// Tabs are allowed: they are folding white space, harmless in a header.
pub fn check_text(field: &'static str, text: &str) -> Result<(), ComposeError> {
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\u{2028}' | '\u{2029}' | '\u{85}' => {
                return Err(ComposeError::LineBreak { field });
            }
            '\t' => {}
            c if c.is_control() => {
                return Err(ComposeError::ControlCharacter {
                    field,
                    code: c as u32,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Message-ID ids go into headers and IMAP searches unquoted by some servers: only dot-atom
/// characters are accepted from elsewhere.
fn is_message_id(id: &str) -> bool {
    let Some(inner) = id.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return false;
    };
    let Some((left, right)) = inner.split_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    !left.is_empty()
        && !right.is_empty()
        && left.chars().all(atext)
        && right.chars().all(|c| atext(c) || c == '[' || c == ']')
}

/// `<id>` for an id as mail-parser gives it (without brackets) or as a header carries it.
pub fn bracketed(id: &str) -> String {
    let id = id.trim();
    if id.starts_with('<') {
        id.to_owned()
    } else {
        format!("<{id}>")
    }
}

/// A new, globally unique Message-ID under the sender's domain: 128 random bits, so two messages
/// never share one (the outbox relies on that to recognise a message in the Sent folder).
pub fn new_message_id(from_address: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let random: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let domain = from_address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| {
            !d.is_empty()
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
        .unwrap_or("tayori.invalid");
    format!("<{random}@{domain}>")
}

impl Draft {
    /// An empty message from `from`.
    pub fn new(from: Mailbox) -> Self {
        Self {
            from,
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: String::new(),
            body: String::new(),
            format: BodyFormat::default(),
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
        }
    }

    /// Every recipient address, To then Cc then Bcc.
    pub fn recipients(&self) -> impl Iterator<Item = &Mailbox> {
        self.to.iter().chain(&self.cc).chain(&self.bcc)
    }

    /// Checks everything that goes into a header, so a bad draft is refused before it is queued.
    pub fn validate(&self) -> Result<(), ComposeError> {
        self.validate_fields()?;
        if self.recipients().next().is_none() {
            return Err(ComposeError::NoRecipient);
        }
        Ok(())
    }

    /// [`Draft::validate`] without requiring a recipient (an unfinished draft may have none).
    fn validate_fields(&self) -> Result<(), ComposeError> {
        check_text("subject", &self.subject)?;
        self.from.to_lettre("sender")?;
        for (field, list) in [("To", &self.to), ("Cc", &self.cc), ("Bcc", &self.bcc)] {
            for mailbox in list {
                mailbox.to_lettre(field)?;
            }
        }
        for attachment in &self.attachments {
            check_text("attachment name", &attachment.file_name)?;
            check_text("attachment type", &attachment.content_type)?;
            ContentType::parse(&attachment.content_type).map_err(|e| {
                ComposeError::Build(format!(
                    "attachment type {:?}: {e}",
                    attachment.content_type
                ))
            })?;
        }
        for id in self.in_reply_to.iter().chain(&self.references) {
            if !is_message_id(id) {
                return Err(ComposeError::Build(format!(
                    "{id:?} is not a valid Message-ID"
                )));
            }
        }
        Ok(())
    }

    /// The body as it goes on the wire (wrapped or flowed), with its content type.
    fn text_part(&self) -> Result<SinglePart, ComposeError> {
        let (text, content_type) = match self.format {
            BodyFormat::Flowed => (
                flowed::encode(&self.body, WRAP_WIDTH),
                "text/plain; charset=utf-8; format=flowed",
            ),
            BodyFormat::Plain => (
                flowed::hard_wrap(&self.body, WRAP_WIDTH),
                "text/plain; charset=utf-8",
            ),
        };
        let content_type =
            ContentType::parse(content_type).map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok(SinglePart::builder().header(content_type).body(text))
    }

    fn attachment_part(attachment: &Attachment) -> Result<SinglePart, ComposeError> {
        let content_type = ContentType::parse(&attachment.content_type)
            .map_err(|e| ComposeError::Build(e.to_string()))?;
        if attachment
            .content_type
            .eq_ignore_ascii_case("message/rfc822")
        {
            // RFC 2046 §5.2.1: a message/rfc822 part may only be 7bit, 8bit or binary, never
            // base64 — readers open the forwarded message inline only when it is left as is.
            let body =
                Body::new_with_encoding(attachment.data.clone(), ContentTransferEncoding::SevenBit)
                    .or_else(|data| {
                        Body::new_with_encoding(data, ContentTransferEncoding::EightBit)
                    })
                    .unwrap_or_else(Body::new);
            return Ok(SinglePart::builder()
                .header(content_type)
                .header(header::ContentDisposition::attachment(
                    &attachment.file_name,
                ))
                .body(body));
        }
        Ok(LettreAttachment::new(attachment.file_name.clone())
            .body(attachment.data.clone(), content_type))
    }

    /// Builds the message with a new Message-ID and the current date.
    pub fn build(&self) -> Result<Built, ComposeError> {
        self.build_with(&new_message_id(&self.from.address), SystemTime::now())
    }

    /// Builds the message with the given Message-ID (`<…>`) and date.
    pub fn build_with(&self, message_id: &str, date: SystemTime) -> Result<Built, ComposeError> {
        self.validate()?;
        self.assemble(message_id, date, false)
    }

    /// Builds the copy saved in the server's Drafts folder: like [`Draft::build_with`], but an
    /// unfinished draft may still lack recipients.
    pub fn build_draft(&self, message_id: &str, date: SystemTime) -> Result<Built, ComposeError> {
        self.validate_fields()?;
        self.assemble(message_id, date, true)
    }

    fn assemble(
        &self,
        message_id: &str,
        date: SystemTime,
        draft: bool,
    ) -> Result<Built, ComposeError> {
        if !is_message_id(message_id) {
            return Err(ComposeError::Build(format!(
                "{message_id:?} is not a valid Message-ID"
            )));
        }
        let mut builder = lettre::Message::builder()
            .from(self.from.to_lettre("sender")?)
            .subject(self.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .date(date)
            .user_agent(crate::user_agent())
            // The built bytes are the Sent/Drafts copy; strip_bcc makes the submitted copy.
            .keep_bcc();
        for mailbox in &self.to {
            builder = builder.to(mailbox.to_lettre("To")?);
        }
        for mailbox in &self.cc {
            builder = builder.cc(mailbox.to_lettre("Cc")?);
        }
        for mailbox in &self.bcc {
            builder = builder.bcc(mailbox.to_lettre("Bcc")?);
        }
        if let Some(id) = &self.in_reply_to {
            builder = builder.in_reply_to(id.clone());
        }
        if !self.references.is_empty() {
            builder = builder.references(trim_references(&self.references).join(" "));
        }
        if draft {
            // lettre wants an envelope; a draft is never submitted, so any valid one will do.
            let me = self.from.to_lettre("sender")?.email;
            builder = builder.envelope(
                lettre::address::Envelope::new(Some(me.clone()), vec![me])
                    .map_err(|e| ComposeError::Build(e.to_string()))?,
            );
        }
        let text = self.text_part()?;
        let message = if self.attachments.is_empty() {
            builder.singlepart(text)
        } else {
            let mut parts = MultiPart::mixed().singlepart(text);
            for attachment in &self.attachments {
                parts = parts.singlepart(Self::attachment_part(attachment)?);
            }
            builder.multipart(parts)
        }
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        let envelope = message.envelope();
        let envelope_from = envelope
            .from()
            .map(|a| a.to_string())
            .unwrap_or_else(|| self.from.address.clone());
        let mut recipients: Vec<String> = Vec::new();
        for address in envelope.to().iter().filter(|_| !draft) {
            let address = address.to_string();
            if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&address)) {
                recipients.push(address);
            }
        }
        Ok(Built {
            message_id: message_id.to_owned(),
            raw: message.formatted(),
            envelope_from,
            recipients,
        })
    }
}

/// The first reference (the thread's root) and the most recent ones.
fn trim_references(references: &[String]) -> Vec<String> {
    if references.len() <= MAX_REFERENCES {
        return references.to_vec();
    }
    let mut kept = vec![references[0].clone()];
    kept.extend_from_slice(&references[references.len() - (MAX_REFERENCES - 1)..]);
    kept
}

/// The message without its top-level `Bcc` field — what goes to the submission server, so no
/// recipient learns who was blind-copied. Headers of attached messages are left alone.
pub fn strip_bcc(raw: &[u8]) -> Vec<u8> {
    let header_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .unwrap_or(raw.len());
    let mut out = Vec::with_capacity(raw.len());
    let mut skipping = false;
    let mut start = 0;
    while start < header_end {
        let end = raw[start..header_end]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| start + p + 1)
            .unwrap_or(header_end);
        let line = &raw[start..end];
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            skipping = line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"bcc:");
        }
        if !skipping {
            out.extend_from_slice(line);
        }
        start = end;
    }
    out.extend_from_slice(&raw[header_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Mailbox {
        Mailbox::new(Some("Alice"), "alice@example.test")
    }

    fn draft() -> Draft {
        let mut d = Draft::new(alice());
        d.to.push(Mailbox::new(None, "bob@example.test"));
        d.subject = "Hello".into();
        d.body = "Hi Bob,\nsee you.\n".into();
        d
    }

    #[test]
    fn line_breaks_anywhere_in_a_header_are_refused_before_building() {
        let mut d = draft();
        d.subject = "Hi\r\nBcc: evil@example.net".into();
        assert_eq!(
            d.validate().unwrap_err(),
            ComposeError::LineBreak { field: "subject" }
        );
        assert!(d.build().is_err());
        let mut d = draft();
        d.subject = "Hi\nX-Injected: 1".into();
        assert!(matches!(d.validate(), Err(ComposeError::LineBreak { .. })));
        let mut d = draft();
        d.to[0].name = Some("Bob\r\nBcc: evil@example.net".into());
        assert_eq!(
            d.validate().unwrap_err(),
            ComposeError::LineBreak { field: "To" }
        );
        let mut d = draft();
        d.cc.push(Mailbox::new(
            None,
            "carol@example.test\r\nBcc: evil@example.net",
        ));
        assert!(matches!(d.validate(), Err(ComposeError::LineBreak { .. })));
        assert!(matches!(
            Mailbox::parse("bob@example.test\nBcc: evil@example.net"),
            Err(ComposeError::LineBreak { .. })
        ));
        let mut d = draft();
        d.subject = "nul\0byte".into();
        assert!(matches!(
            d.validate(),
            Err(ComposeError::ControlCharacter { code: 0, .. })
        ));
        let mut d = draft();
        d.attachments
            .push(Attachment::new("a\r\nb.txt".into(), b"x".to_vec()));
        assert!(matches!(d.validate(), Err(ComposeError::LineBreak { .. })));
        // A tab is folding white space, not an injection.
        let mut d = draft();
        d.subject = "a\tb".into();
        d.validate().unwrap();
    }

    #[test]
    fn bad_addresses_and_no_recipient_are_refused() {
        assert!(matches!(
            Mailbox::parse("not an address"),
            Err(ComposeError::BadAddress { .. })
        ));
        let mut d = draft();
        d.to.clear();
        assert_eq!(d.validate().unwrap_err(), ComposeError::NoRecipient);
        let parsed = Mailbox::parse("\"Yamada, Taro\" <taro@example.jp>").unwrap();
        assert_eq!(parsed.name.as_deref(), Some("Yamada, Taro"));
        assert_eq!(parsed.address, "taro@example.jp");
        assert_eq!(
            Mailbox::parse(" bob@example.test ").unwrap(),
            Mailbox::new(None, "bob@example.test")
        );
    }

    #[test]
    fn a_built_message_reads_back_with_its_headers_and_the_bcc_only_in_our_copy() {
        let mut d = draft();
        d.cc.push(Mailbox::new(Some("キャロル"), "carol@example.test"));
        d.bcc.push(Mailbox::new(None, "dave@example.test"));
        d.in_reply_to = Some("<orig@example.test>".into());
        d.references = vec!["<root@example.test>".into(), "<orig@example.test>".into()];
        let built = d.build().unwrap();
        assert!(built.message_id.ends_with("@example.test>"));
        assert_eq!(built.envelope_from, "alice@example.test");
        assert_eq!(
            built.recipients,
            [
                "bob@example.test",
                "carol@example.test",
                "dave@example.test"
            ]
        );
        let ours = crate::mime::decode(&built.raw);
        assert!(ours.parse_ok);
        assert_eq!(ours.subject.as_deref(), Some("Hello"));
        assert_eq!(ours.cc[0].name.as_deref(), Some("キャロル"));
        assert_eq!(
            ours.message_id.as_deref(),
            Some(built.message_id.trim_matches(['<', '>']))
        );
        assert_eq!(ours.in_reply_to, ["orig@example.test"]);
        assert_eq!(ours.references, ["root@example.test", "orig@example.test"]);
        let text = String::from_utf8_lossy(&built.raw);
        assert!(text.contains("\r\nBcc: dave@example.test\r\n"), "{text}");
        assert!(text.contains("format=flowed"));

        let wire = strip_bcc(&built.raw);
        let wire_text = String::from_utf8_lossy(&wire);
        assert!(
            !wire_text.to_ascii_lowercase().contains("bcc:"),
            "{wire_text}"
        );
        assert!(!wire_text.contains("dave@example.test"));
        assert_eq!(
            wire.len() + "Bcc: dave@example.test\r\n".len(),
            built.raw.len()
        );
        let sent = crate::mime::decode(&wire);
        assert_eq!(sent.subject, ours.subject);
        assert_eq!(sent.text, ours.text);
    }

    #[test]
    fn strip_bcc_removes_folded_bcc_fields_and_leaves_the_body_alone() {
        let raw = b"From: a@x.test\r\nBcc: one@x.test,\r\n two@x.test\r\nTo: b@x.test\r\nbcc: three@x.test\r\n\r\nBcc: this is body text\r\n";
        let stripped = strip_bcc(raw);
        assert_eq!(
            stripped,
            b"From: a@x.test\r\nTo: b@x.test\r\n\r\nBcc: this is body text\r\n"
        );
        // A Bcc-like field name is not a Bcc.
        let raw = b"Bcc-Note: x\r\n\r\n";
        assert_eq!(strip_bcc(raw), raw);
    }

    #[test]
    fn japanese_subject_names_body_and_file_names_round_trip() {
        let mut d = draft();
        d.from.name = Some("山田 太郎".into());
        d.subject =
            "来週の会議の資料について（ご確認のお願い）— 長い件名が折り返されても壊れないこと"
                .into();
        d.body =
            "お世話になっております。\n来週の会議の資料を送ります。\nよろしくお願いいたします。\n"
                .into();
        d.attachments.push(Attachment::new(
            "会議資料.pdf".into(),
            b"%PDF-1.4 not really".to_vec(),
        ));
        let built = d.build().unwrap();
        assert!(
            built.raw.is_ascii(),
            "headers are RFC 2047 encoded, the body transfer-encoded"
        );
        let back = crate::mime::decode(&built.raw);
        assert_eq!(back.subject.as_deref(), Some(d.subject.as_str()));
        assert_eq!(back.from[0].name.as_deref(), Some("山田 太郎"));
        assert_eq!(
            back.text.as_deref().map(|t| t.replace("\r\n", "\n")),
            Some(d.body.clone())
        );
        assert_eq!(back.attachments.len(), 1);
        assert_eq!(
            back.attachments[0].file_name.as_deref(),
            Some("会議資料.pdf")
        );
        assert_eq!(back.attachments[0].content_type, "application/pdf");
    }

    #[test]
    fn attachments_get_their_type_from_the_name_and_keep_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.png");
        let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        std::fs::write(&path, &bytes).unwrap();
        let attachment = Attachment::from_file(&path).unwrap();
        assert_eq!(attachment.content_type, "image/png");
        assert_eq!(
            Attachment::new("notes.unknownext".into(), vec![]).content_type,
            "application/octet-stream"
        );
        let mut d = draft();
        d.attachments.push(attachment);
        let built = d.build().unwrap();
        let parsed = mail_parser::MessageParser::default()
            .parse(&built.raw)
            .unwrap();
        use mail_parser::MimeHeaders;
        let part = parsed.attachments().next().unwrap();
        assert_eq!(part.attachment_name(), Some("photo.png"));
        assert_eq!(part.contents(), &bytes[..]);
        assert!(matches!(
            Attachment::from_file(&dir.path().join("missing.txt")),
            Err(ComposeError::Attachment { .. })
        ));
    }

    #[test]
    fn message_ids_are_unique_and_well_formed() {
        let a = new_message_id("alice@example.test");
        let b = new_message_id("alice@example.test");
        assert_ne!(a, b);
        assert!(is_message_id(&a), "{a}");
        assert!(new_message_id("weird@exa mple").ends_with("@tayori.invalid>"));
        assert!(!is_message_id("<a b@c>"));
        assert!(!is_message_id("<a@c>\r\nX: y"));
        assert_eq!(bracketed("x@y"), "<x@y>");
        assert_eq!(bracketed("<x@y>"), "<x@y>");
    }

    #[test]
    fn a_draft_without_recipients_can_be_saved_but_not_sent() {
        let mut d = draft();
        d.to.clear();
        let id = new_message_id("alice@example.test");
        let built = d.build_draft(&id, SystemTime::now()).unwrap();
        assert!(built.recipients.is_empty());
        let back = crate::mime::decode(&built.raw);
        assert!(back.to.is_empty() && back.subject.as_deref() == Some("Hello"));
        assert!(d.build().is_err());
        d.subject = "x\ny".into();
        assert!(d.build_draft(&id, SystemTime::now()).is_err());
    }

    #[test]
    fn long_reference_chains_keep_the_root_and_the_latest() {
        let refs: Vec<String> = (0..50).map(|i| format!("<m{i}@x.test>")).collect();
        let kept = trim_references(&refs);
        assert_eq!(kept.len(), MAX_REFERENCES);
        assert_eq!(kept[0], "<m0@x.test>");
        assert_eq!(kept.last().unwrap(), "<m49@x.test>");
        let mut d = draft();
        d.references = refs;
        let back = crate::mime::decode(&d.build().unwrap().raw);
        assert_eq!(back.references.len(), MAX_REFERENCES);
    }
}
