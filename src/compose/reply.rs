//! Reply, reply-all and forward: drafts that start from an original message (its raw bytes).
//!
//! - Threading: `In-Reply-To` is the original's Message-ID; `References` is the original's chain
//!   (or its In-Reply-To when it has none) followed by that Message-ID (RFC 5322 §3.6.4).
//! - Subjects get one prefix, never a pile: "Re: Re: RE: x" → "Re: x", "Fwd: FW: x" → "Fwd: x".
//! - Recipients: Reply-To wins over From; reply-all adds To and Cc. The account's own addresses
//!   are removed and every address appears once (To before Cc).
//! - Quoting: an attribution line, then the original text (re-flowed first when it was
//!   `format=flowed`) with `> ` markers.

use mail_parser::{MessageParser, MimeHeaders};

use super::{Attachment, Draft, Mailbox, bracketed};
use crate::i18n::{Lang, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    /// Only the sender (or the Reply-To addresses).
    Sender,
    /// The sender and every other recipient except this account.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardMode {
    /// The original text quoted in the body, its attachments attached again.
    Inline,
    /// The original message attached whole (`message/rfc822`).
    AsAttachment,
}

/// Reply prefixes in the languages Tayori's people receive mail in. Compared case-insensitively,
/// followed by an ASCII or full-width colon, optionally with a counter (`Re[2]:`, `Re(2):`).
const REPLY_PREFIXES: &[&str] = &["re", "aw", "sv", "antw", "vs", "ref", "rif", "返信"];
const FORWARD_PREFIXES: &[&str] = &["fwd", "fw", "wg", "tr", "rv", "enc", "转发", "転送"];

/// Removes one leading prefix from `prefixes` (with its colon and following spaces), if present.
fn strip_one<'a>(subject: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    let trimmed = subject.trim_start();
    for prefix in prefixes {
        let Some(head) = trimmed.get(..prefix.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(prefix) {
            continue;
        }
        let mut rest = &trimmed[prefix.len()..];
        // An optional counter: Re[2]: or Re(2):
        for (open, close) in [('[', ']'), ('(', ')')] {
            if let Some(inner) = rest.strip_prefix(open)
                && let Some(end) = inner.find(close)
                && inner[..end].chars().all(|c| c.is_ascii_digit())
            {
                rest = &inner[end + 1..];
            }
        }
        let rest = rest.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：')) {
            return Some(after.trim_start());
        }
    }
    None
}

/// "Re: " and the subject without its own reply prefixes.
pub fn reply_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    while let Some(stripped) = strip_one(rest, REPLY_PREFIXES) {
        rest = stripped;
    }
    format!("Re: {rest}")
}

/// "Fwd: " and the subject without its own forward prefixes.
pub fn forward_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    while let Some(stripped) = strip_one(rest, FORWARD_PREFIXES) {
        rest = stripped;
    }
    format!("Fwd: {rest}")
}

/// What a reply or forward needs from the original.
struct Original {
    decoded: crate::mime::Decoded,
    reply_to: Vec<Mailbox>,
    date: Option<mail_parser::DateTime>,
    /// The plain text, re-flowed when it was sent flowed.
    text: String,
    attachments: Vec<Attachment>,
}

fn to_mailboxes(list: &[crate::mime::Mailbox]) -> Vec<Mailbox> {
    list.iter()
        .map(|m| Mailbox::new(m.name.as_deref(), &m.address))
        .collect()
}

impl Original {
    fn parse(raw: &[u8]) -> Self {
        let decoded = crate::mime::decode(raw);
        let parsed = MessageParser::default().parse(raw);
        let (reply_to, date, flowed, attachments) = match &parsed {
            Some(message) => {
                let reply_to = message
                    .reply_to()
                    .map(|list| {
                        list.iter()
                            .filter_map(|a| Some(Mailbox::new(a.name(), a.address()?)))
                            .collect()
                    })
                    .unwrap_or_default();
                let flowed = message.text_bodies().next().and_then(|part| {
                    let ct = part.content_type()?;
                    let is_flowed = ct
                        .attribute("format")
                        .is_some_and(|f| f.eq_ignore_ascii_case("flowed"));
                    let delsp = ct
                        .attribute("delsp")
                        .is_some_and(|d| d.eq_ignore_ascii_case("yes"));
                    is_flowed.then_some(delsp)
                });
                let attachments = message
                    .attachments()
                    .map(|part| {
                        let name = part
                            .attachment_name()
                            .map(str::to_owned)
                            .unwrap_or_else(|| "attachment".into());
                        let mut attachment = Attachment::new(name, part.contents().to_vec());
                        if let Some(ct) = part.content_type()
                            && let Some(sub) = ct.subtype()
                        {
                            attachment.content_type = format!("{}/{}", ct.ctype(), sub);
                        }
                        attachment
                    })
                    .collect();
                (reply_to, message.date().cloned(), flowed, attachments)
            }
            None => (Vec::new(), None, None, Vec::new()),
        };
        let mut text = decoded
            .text
            .clone()
            .unwrap_or_default()
            .replace("\r\n", "\n");
        if let Some(delsp) = flowed {
            text = super::flowed::decode_with(&text, delsp);
        }
        Self {
            decoded,
            reply_to,
            date,
            text,
            attachments,
        }
    }

    fn from(&self) -> Vec<Mailbox> {
        to_mailboxes(&self.decoded.from)
    }

    fn date_text(&self, lang: Lang) -> String {
        match (&self.date, lang) {
            (Some(d), Lang::Ja) => format!(
                "{:04}/{:02}/{:02} {:02}:{:02}",
                d.year, d.month, d.day, d.hour, d.minute
            ),
            (Some(d), Lang::En) => d.to_rfc822(),
            (None, _) => "?".into(),
        }
    }

    fn references(&self) -> Vec<String> {
        let mut chain: Vec<String> = if self.decoded.references.is_empty() {
            self.decoded
                .in_reply_to
                .iter()
                .map(|id| bracketed(id))
                .collect()
        } else {
            self.decoded
                .references
                .iter()
                .map(|id| bracketed(id))
                .collect()
        };
        if let Some(id) = &self.decoded.message_id {
            let id = bracketed(id);
            if !chain.contains(&id) {
                chain.push(id);
            }
        }
        // Ids that could not go into a header again (spaces, junk from a broken sender) are
        // dropped rather than making the whole reply unsendable.
        chain.retain(|id| super::is_message_id(id));
        chain
    }
}

fn names(list: &[Mailbox]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds `candidates` to `into`, skipping this account's addresses and addresses already present
/// in `into` or `seen`.
fn add_unique(into: &mut Vec<Mailbox>, candidates: &[Mailbox], seen: &mut Vec<String>) {
    for mailbox in candidates {
        let key = mailbox.key();
        if key.is_empty() || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        into.push(mailbox.clone());
    }
}

/// Quotes `text` with "> ", one level deeper for lines already quoted.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 10);
    for line in text.trim_end_matches('\n').split('\n') {
        if line.starts_with('>') {
            out.push('>');
        } else if !line.is_empty() {
            out.push_str("> ");
        } else {
            out.push('>');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

impl Draft {
    /// A reply to `original` (its raw bytes) from `me`. `my_addresses` are every address of the
    /// account (aliases included): they are never replied to.
    pub fn reply(
        original: &[u8],
        me: &Mailbox,
        my_addresses: &[String],
        mode: ReplyMode,
        lang: Lang,
    ) -> Draft {
        let original = Original::parse(original);
        let mut mine: Vec<String> = my_addresses.iter().map(|a| a.to_lowercase()).collect();
        mine.push(me.key());
        let is_mine = |m: &Mailbox| mine.contains(&m.key());
        let from = original.from();
        let to = to_mailboxes(&original.decoded.to);
        let cc = to_mailboxes(&original.decoded.cc);
        // Replying to one's own sent message continues the conversation with its recipients.
        let primary: Vec<Mailbox> = if !from.is_empty() && from.iter().all(is_mine) {
            to.clone()
        } else if !original.reply_to.is_empty() {
            original.reply_to.clone()
        } else {
            from.clone()
        };
        let mut draft = Draft::new(me.clone());
        let mut seen = mine.clone();
        add_unique(&mut draft.to, &primary, &mut seen);
        if mode == ReplyMode::All {
            add_unique(&mut draft.to, &to, &mut seen);
            add_unique(&mut draft.cc, &cc, &mut seen);
        }
        // Replying to oneself only (a note to self): keep the address rather than an empty reply.
        if draft.to.is_empty() && draft.cc.is_empty() {
            draft.to = primary;
        }
        draft.subject = reply_subject(original.decoded.subject.as_deref().unwrap_or_default());
        draft.in_reply_to = original
            .decoded
            .message_id
            .as_deref()
            .map(bracketed)
            .filter(|id| super::is_message_id(id));
        draft.references = original.references();
        let who = from
            .first()
            .map(|m| m.name.clone().unwrap_or_else(|| m.address.clone()))
            .unwrap_or_default();
        let attribution = lang
            .text(Text::ReplyAttribution)
            .replace("{date}", &original.date_text(lang))
            .replace("{who}", &who);
        draft.body = format!("\n\n{attribution}\n{}", quote(&original.text));
        draft
    }

    /// A forward of `original` from `me`: quoted inline with its attachments, or attached whole.
    pub fn forward(original_raw: &[u8], me: &Mailbox, mode: ForwardMode, lang: Lang) -> Draft {
        let original = Original::parse(original_raw);
        let subject = original.decoded.subject.clone().unwrap_or_default();
        let mut draft = Draft::new(me.clone());
        draft.subject = forward_subject(&subject);
        match mode {
            ForwardMode::Inline => {
                let mut block = format!("\n\n{}\n", lang.text(Text::ForwardedMessage));
                let mut field = |label: Text, value: String| {
                    if !value.is_empty() {
                        block.push_str(&format!("{}: {value}\n", lang.text(label)));
                    }
                };
                field(Text::HeaderFrom, names(&original.from()));
                field(Text::HeaderDate, original.date_text(lang));
                field(Text::HeaderSubject, subject.clone());
                field(Text::HeaderTo, names(&to_mailboxes(&original.decoded.to)));
                field(Text::HeaderCc, names(&to_mailboxes(&original.decoded.cc)));
                block.push('\n');
                block.push_str(&original.text);
                draft.body = block;
                draft.attachments = original.attachments;
            }
            ForwardMode::AsAttachment => {
                let base: String = subject
                    .chars()
                    .filter(|c| !c.is_control() && !"/\\:*?\"<>|".contains(*c))
                    .take(60)
                    .collect();
                let base = if base.trim().is_empty() {
                    "message".to_owned()
                } else {
                    base.trim().to_owned()
                };
                draft.attachments.push(Attachment {
                    file_name: format!("{base}.eml"),
                    content_type: "message/rfc822".into(),
                    data: original_raw.to_vec(),
                });
            }
        }
        draft
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Mailbox {
        Mailbox::new(Some("Alice"), "alice@example.test")
    }

    const ORIGINAL: &str = "From: Bob <bob@example.test>\r\n\
To: Alice <ALICE@example.test>, Carol <carol@example.test>\r\n\
Cc: dave@example.test, alice.alias@example.test, carol@example.test\r\n\
Subject: Re: RE: Re[2]: Lunch\r\n\
Date: Wed, 01 May 2024 12:30:00 +0900\r\n\
Message-ID: <m3@example.test>\r\n\
In-Reply-To: <m2@example.test>\r\n\
References: <m1@example.test> <m2@example.test>\r\n\
Content-Type: text/plain; charset=utf-8; format=flowed\r\n\
\r\n\
Shall we have lunch at the new place near the station on \r\n\
Friday?\r\n\
> earlier text\r\n";

    #[test]
    fn subjects_get_one_prefix() {
        assert_eq!(reply_subject("Lunch"), "Re: Lunch");
        assert_eq!(reply_subject("Re: Re: RE: Lunch"), "Re: Lunch");
        assert_eq!(reply_subject("re:Lunch"), "Re: Lunch");
        assert_eq!(reply_subject("Re[3]: Re(2): Lunch"), "Re: Lunch");
        assert_eq!(reply_subject("AW: Sv: Lunch"), "Re: Lunch");
        assert_eq!(reply_subject("返信： 会議"), "Re: 会議");
        assert_eq!(reply_subject("Fwd: Lunch"), "Re: Fwd: Lunch");
        assert_eq!(reply_subject("Reading list"), "Re: Reading list");
        assert_eq!(reply_subject("Re"), "Re: Re");
        assert_eq!(reply_subject(""), "Re: ");
        assert_eq!(forward_subject("Lunch"), "Fwd: Lunch");
        assert_eq!(forward_subject("FW: Fwd: Lunch"), "Fwd: Lunch");
        assert_eq!(forward_subject("転送: 会議"), "Fwd: 会議");
        assert_eq!(forward_subject("Re: Lunch"), "Fwd: Re: Lunch");
        assert_eq!(forward_subject("Fwdx: Lunch"), "Fwd: Fwdx: Lunch");
    }

    #[test]
    fn reply_goes_to_the_sender_with_threading_and_quote() {
        let draft = Draft::reply(ORIGINAL.as_bytes(), &me(), &[], ReplyMode::Sender, Lang::En);
        assert_eq!(draft.to, [Mailbox::new(Some("Bob"), "bob@example.test")]);
        assert!(draft.cc.is_empty());
        assert_eq!(draft.subject, "Re: Lunch");
        assert_eq!(draft.in_reply_to.as_deref(), Some("<m3@example.test>"));
        assert_eq!(
            draft.references,
            [
                "<m1@example.test>",
                "<m2@example.test>",
                "<m3@example.test>"
            ]
        );
        assert!(
            draft.body.contains("Bob wrote:"),
            "attribution: {}",
            draft.body
        );
        // The flowed original was re-flowed before quoting: one quoted paragraph line.
        assert!(
            draft.body.contains(
                "> Shall we have lunch at the new place near the station on Friday?\n>> earlier text\n"
            ),
            "{}",
            draft.body
        );
        let built = draft.build().unwrap();
        let back = crate::mime::decode(&built.raw);
        assert_eq!(back.in_reply_to, ["m3@example.test"]);
        assert_eq!(
            back.references,
            ["m1@example.test", "m2@example.test", "m3@example.test"]
        );
    }

    #[test]
    fn reply_all_dedups_and_leaves_out_my_own_addresses() {
        let draft = Draft::reply(
            ORIGINAL.as_bytes(),
            &me(),
            &["Alice.Alias@example.test".into()],
            ReplyMode::All,
            Lang::En,
        );
        let to: Vec<&str> = draft.to.iter().map(|m| m.address.as_str()).collect();
        let cc: Vec<&str> = draft.cc.iter().map(|m| m.address.as_str()).collect();
        assert_eq!(to, ["bob@example.test", "carol@example.test"]);
        assert_eq!(cc, ["dave@example.test"]);
    }

    #[test]
    fn reply_to_header_wins_and_replying_to_my_own_message_goes_to_its_recipients() {
        let with_reply_to =
            ORIGINAL.replace("Subject:", "Reply-To: List <list@example.test>\r\nSubject:");
        let draft = Draft::reply(
            with_reply_to.as_bytes(),
            &me(),
            &[],
            ReplyMode::Sender,
            Lang::En,
        );
        assert_eq!(draft.to[0].address, "list@example.test");

        let mine = ORIGINAL.replace("From: Bob <bob@example.test>", "From: alice@example.test");
        let draft = Draft::reply(mine.as_bytes(), &me(), &[], ReplyMode::Sender, Lang::En);
        let to: Vec<&str> = draft.to.iter().map(|m| m.address.as_str()).collect();
        assert_eq!(to, ["carol@example.test"], "my own address is left out");
    }

    #[test]
    fn japanese_attribution_and_date() {
        let draft = Draft::reply(ORIGINAL.as_bytes(), &me(), &[], ReplyMode::Sender, Lang::Ja);
        assert!(
            draft
                .body
                .contains("2024/05/01 12:30、Bob さんは書きました:"),
            "{}",
            draft.body
        );
    }

    #[test]
    fn forward_inline_carries_the_text_and_attachments() {
        let original = "From: Bob <bob@example.test>\r\n\
To: alice@example.test\r\n\
Subject: Report\r\n\
Message-ID: <r1@example.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Here it is.\r\n\
--b\r\n\
Content-Type: application/pdf; name=\"report.pdf\"\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--b--\r\n";
        let mut draft = Draft::forward(original.as_bytes(), &me(), ForwardMode::Inline, Lang::En);
        assert_eq!(draft.subject, "Fwd: Report");
        assert!(draft.in_reply_to.is_none());
        assert!(draft.body.contains("Forwarded message"), "{}", draft.body);
        assert!(draft.body.contains("From: Bob <bob@example.test>"));
        assert!(draft.body.contains("Here it is."));
        assert_eq!(draft.attachments.len(), 1);
        assert_eq!(draft.attachments[0].file_name, "report.pdf");
        assert_eq!(draft.attachments[0].content_type, "application/pdf");
        assert_eq!(draft.attachments[0].data, b"%PDF-1.4\n");
        draft.to.push(Mailbox::new(None, "carol@example.test"));
        draft.build().unwrap();
    }

    #[test]
    fn forward_as_attachment_keeps_the_original_bytes_unencoded() {
        let mut draft = Draft::forward(
            ORIGINAL.as_bytes(),
            &me(),
            ForwardMode::AsAttachment,
            Lang::En,
        );
        assert_eq!(draft.subject, "Fwd: Re: RE: Re[2]: Lunch");
        assert_eq!(draft.attachments[0].content_type, "message/rfc822");
        draft.to.push(Mailbox::new(None, "carol@example.test"));
        let built = draft.build().unwrap();
        let text = String::from_utf8_lossy(&built.raw);
        assert!(text.contains("Content-Type: message/rfc822"), "{text}");
        assert!(text.contains("Content-Transfer-Encoding: 7bit"), "{text}");
        assert!(text.contains("Subject: Re: RE: Re[2]: Lunch"), "{text}");
        let parsed = MessageParser::default().parse(&built.raw).unwrap();
        let inner = parsed.attachments().next().unwrap().message().unwrap();
        assert_eq!(inner.message_id(), Some("m3@example.test"));
    }
}
