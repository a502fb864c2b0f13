//! Read receipts (message disposition notifications, RFC 8098), sent only when the person said yes.
//!
//! A message with `Disposition-Notification-To` asks for one; Japanese business mail often does.
//! Tayori never answers on its own (RFC 8098 §2.1: "MUST NOT" be sent without the user's consent
//! unless configured to, and a silent answer tells the sender when you read their mail). When the
//! person agrees, the receipt is built here and goes through the outbox like any other message.
//!
//! The envelope sender is the person's own address, not the null sender RFC 8098 recommends:
//! submission servers (Exchange Online, Gmail) refuse a `MAIL FROM` that is not the signed-in user.

use std::time::SystemTime;

use lettre::message::Body;
use lettre::message::header::{ContentTransferEncoding, ContentType};

use super::{Built, ComposeError, Mailbox, bracketed, check_text, new_message_id};
use crate::i18n::{Lang, Text, fill};

/// What a receipt is built from: the original message and whose mailbox shows it.
pub struct ReceiptRequest<'a> {
    /// The person's own address (the account the message came to).
    pub me: &'a Mailbox,
    /// Where the original asks the receipt to go (`Disposition-Notification-To`).
    pub to: &'a Mailbox,
    /// The original's subject and Message-ID (without brackets, as mail-parser gives it).
    pub subject: &'a str,
    pub original_message_id: Option<&'a str>,
}

/// Builds the read receipt: `multipart/report; report-type=disposition-notification` with a
/// human-readable part in the window's language and the machine-readable
/// `message/disposition-notification` part ("manual-action/MDN-sent-manually; displayed").
pub fn read_receipt(
    request: &ReceiptRequest<'_>,
    lang: Lang,
    date: SystemTime,
) -> Result<Built, ComposeError> {
    check_text("subject", request.subject)?;
    let me = request.me.to_lettre("sender")?;
    let to = request.to.to_lettre("receipt address")?;
    let message_id = new_message_id(&request.me.address);
    let original_id = request
        .original_message_id
        .map(bracketed)
        .filter(|id| super::is_message_id(id));
    let subject = fill(
        lang.text(Text::ReceiptSubject),
        &[("subject", request.subject)],
    );
    let human = fill(
        lang.text(Text::ReceiptBody),
        &[("subject", request.subject), ("address", me.email.as_ref())],
    );
    let mut report = format!(
        "Reporting-UA: Tayori; {}\r\nFinal-Recipient: rfc822; {}\r\n",
        crate::user_agent(),
        me.email
    );
    if let Some(id) = &original_id {
        report.push_str(&format!("Original-Message-ID: {id}\r\n"));
    }
    report.push_str("Disposition: manual-action/MDN-sent-manually; displayed\r\n");
    // The boundary is random, so no line of the parts can contain it.
    let boundary = new_message_id("boundary@tayori.invalid")
        .trim_matches(['<', '>'])
        .replace('@', "=_");
    use base64::Engine;
    let human_base64 = base64::engine::general_purpose::STANDARD.encode(human.as_bytes());
    let wrapped: Vec<&str> = human_base64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let body = format!(
        "This is a read receipt (RFC 8098).\r\n\r\n--{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}\r\n--{boundary}\r\nContent-Type: message/disposition-notification\r\n\r\n\
         {report}--{boundary}--\r\n",
        wrapped.join("\r\n")
    );
    let content_type = ContentType::parse(&format!(
        "multipart/report; report-type=disposition-notification; boundary=\"{boundary}\""
    ))
    .map_err(|e| ComposeError::Build(e.to_string()))?;
    let mut builder = lettre::Message::builder()
        .from(me)
        .to(to)
        .subject(subject)
        .message_id(Some(message_id.clone()))
        .date(date)
        .user_agent(crate::user_agent())
        .header(content_type);
    if let Some(id) = &original_id {
        builder = builder.in_reply_to(id.clone()).references(id.clone());
    }
    // Every line above is ASCII (the human-readable part is base64): 7bit as it stands. lettre's
    // own check would also refuse lines of 76 characters or more, which a long Message-ID makes.
    let message = builder
        .body(Body::dangerous_pre_encoded(
            body.into_bytes(),
            ContentTransferEncoding::SevenBit,
        ))
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    let envelope = message.envelope();
    Ok(Built {
        message_id,
        raw: message.formatted(),
        envelope_from: envelope
            .from()
            .map(|a| a.to_string())
            .unwrap_or_else(|| request.me.address.clone()),
        recipients: envelope.to().iter().map(|a| a.to_string()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use mail_parser::MimeHeaders;

    use super::*;

    #[test]
    fn a_receipt_is_a_disposition_report_to_the_asked_address() {
        let me = Mailbox::new(None, "hanako@example.test");
        let to = Mailbox::new(Some("佐藤 健"), "receipts@example.co.jp");
        let request = ReceiptRequest {
            me: &me,
            to: &to,
            subject: "会議資料",
            original_message_id: Some("orig-1@example.co.jp"),
        };
        let built = read_receipt(&request, Lang::Ja, SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(built.recipients, ["receipts@example.co.jp"]);
        assert_eq!(built.envelope_from, "hanako@example.test");
        let message = mail_parser::MessageParser::default()
            .parse(&built.raw)
            .unwrap();
        let ct = message.content_type().unwrap();
        assert_eq!(
            (ct.ctype(), ct.subtype()),
            ("multipart", Some("report")),
            "{}",
            String::from_utf8_lossy(&built.raw)
        );
        assert_eq!(
            ct.attribute("report-type"),
            Some("disposition-notification")
        );
        assert_eq!(message.subject(), Some("開封確認: 会議資料"));
        assert_eq!(
            message.in_reply_to().as_text(),
            Some("orig-1@example.co.jp")
        );
        let text = message.body_text(0).unwrap();
        assert!(text.contains("会議資料"), "{text}");
        let raw = String::from_utf8_lossy(&built.raw);
        for line in [
            "Content-Type: message/disposition-notification",
            "Final-Recipient: rfc822; hanako@example.test",
            "Original-Message-ID: <orig-1@example.co.jp>",
            "Disposition: manual-action/MDN-sent-manually; displayed",
        ] {
            assert!(raw.contains(line), "{line} missing in:\n{raw}");
        }
        // A line break smuggled in through the subject is refused, not sent as a header.
        let bad = ReceiptRequest {
            subject: "x\r\nBcc: spy@example.test",
            ..request
        };
        assert!(read_receipt(&bad, Lang::En, SystemTime::UNIX_EPOCH).is_err());
    }
}
