//! `mailto:` links (RFC 6068): what the desktop hands Tayori when someone clicks a mail link.
//!
//! The link comes from a web page, so it is hostile input: header fields other than the ones a link
//! may set are ignored, and a CR or LF in a header value (header injection) rejects the link.

use thiserror::Error;

/// A parsed link: the start of a new message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailtoLink {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub in_reply_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MailtoError {
    #[error("not a mailto: link")]
    NotMailto,
    #[error("the link is not valid UTF-8 after decoding")]
    BadEncoding,
    #[error("the link tries to add a line break to the {0} field; it was refused")]
    HeaderInjection(String),
}

fn percent_decode(text: &str) -> Result<String, MailtoError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(high << 4 | low);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| MailtoError::BadEncoding)
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

fn addresses(value: &str) -> Result<Vec<String>, MailtoError> {
    // Addresses are split before decoding: an encoded comma (%2C) belongs to a quoted local part.
    value
        .split(',')
        .map(|part| percent_decode(part.trim()))
        .filter(|decoded| !matches!(decoded, Ok(d) if d.is_empty()))
        .collect()
}

fn no_line_breaks(field: &str, value: String) -> Result<String, MailtoError> {
    if value.contains(['\r', '\n']) {
        return Err(MailtoError::HeaderInjection(field.to_owned()));
    }
    Ok(value)
}

/// Parses a `mailto:` link.
pub fn parse(link: &str) -> Result<MailtoLink, MailtoError> {
    let link = link.trim();
    let rest = link
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
        .map(|_| &link[7..])
        .ok_or(MailtoError::NotMailto)?;
    let (to_part, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut parsed = MailtoLink {
        to: addresses(to_part)?,
        ..MailtoLink::default()
    };
    for field in query.split('&').filter(|f| !f.is_empty()) {
        let (name, value) = field.split_once('=').unwrap_or((field, ""));
        match percent_decode(name)?.to_ascii_lowercase().as_str() {
            "to" => parsed.to.extend(addresses(value)?),
            "cc" => parsed.cc.extend(addresses(value)?),
            "bcc" => parsed.bcc.extend(addresses(value)?),
            "subject" => parsed.subject = Some(no_line_breaks("subject", percent_decode(value)?)?),
            "in-reply-to" => {
                parsed.in_reply_to = Some(no_line_breaks("In-Reply-To", percent_decode(value)?)?)
            }
            // The body may have line breaks (RFC 6068 writes them as %0D%0A).
            "body" => parsed.body = Some(percent_decode(value)?),
            // Anything else (From, Received, Bcc tricks in other spellings…) is not a link's to set.
            _ => {}
        }
    }
    for address in parsed.to.iter().chain(&parsed.cc).chain(&parsed.bcc) {
        if address.contains(['\r', '\n']) {
            return Err(MailtoError::HeaderInjection("recipient".into()));
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6068_examples() {
        assert_eq!(
            parse("mailto:chris@example.com").unwrap().to,
            ["chris@example.com"]
        );
        assert_eq!(
            parse("mailto:infobot@example.com?subject=current-issue")
                .unwrap()
                .subject
                .as_deref(),
            Some("current-issue")
        );
        assert_eq!(
            parse("mailto:infobot@example.com?body=send%20current-issue")
                .unwrap()
                .body
                .as_deref(),
            Some("send current-issue")
        );
        assert_eq!(
            parse("mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E")
                .unwrap()
                .in_reply_to
                .as_deref(),
            Some("<3469A91.D10AF4C@example.com>")
        );
        let link = parse("mailto:joe@example.com?cc=bob@example.com&body=hello").unwrap();
        assert_eq!(
            (link.to, link.cc, link.body.as_deref()),
            (
                vec!["joe@example.com".to_string()],
                vec!["bob@example.com".to_string()],
                Some("hello")
            )
        );
        assert_eq!(
            parse("mailto:gorby%25kremvax@example.com").unwrap().to,
            ["gorby%kremvax@example.com"]
        );
        assert_eq!(
            parse("mailto:?to=addr1@an.example,addr2@an.example")
                .unwrap()
                .to,
            ["addr1@an.example", "addr2@an.example"]
        );
        assert_eq!(
            parse("mailto:addr1@an.example?to=addr2@an.example")
                .unwrap()
                .to,
            ["addr1@an.example", "addr2@an.example"]
        );
        assert_eq!(
            parse("mailto:%22not%40me%22@example.org").unwrap().to,
            ["\"not@me\"@example.org"]
        );
        assert_eq!(
            parse("mailto:user@example.org?subject=%E3%82%B8%E3%83%A7%E3%83%B3")
                .unwrap()
                .subject
                .as_deref(),
            Some("ジョン")
        );
        let multi_line = parse("mailto:a@example.org?body=line1%0D%0Aline2").unwrap();
        assert_eq!(multi_line.body.as_deref(), Some("line1\r\nline2"));
    }

    #[test]
    fn hostile_links_are_refused_or_ignored() {
        assert_eq!(
            parse("mailto:a@example.org?subject=hi%0D%0ABcc:%20victim@example.org"),
            Err(MailtoError::HeaderInjection("subject".into()))
        );
        assert!(matches!(
            parse("mailto:a@example.org%0D%0ABcc:x@example.org"),
            Err(MailtoError::HeaderInjection(_))
        ));
        let ignored = parse("mailto:a@example.org?from=ceo@example.org&X-Evil=1").unwrap();
        assert_eq!(
            ignored,
            MailtoLink {
                to: vec!["a@example.org".into()],
                ..Default::default()
            }
        );
        assert_eq!(parse("https://example.org"), Err(MailtoError::NotMailto));
        assert_eq!(
            parse("mailto:%FF%FE@example.org"),
            Err(MailtoError::BadEncoding)
        );
        assert_eq!(parse("MAILTO:A@example.org").unwrap().to, ["A@example.org"]);
        // A stray percent sign is kept literally rather than failing.
        assert_eq!(
            parse("mailto:a@example.org?subject=100%")
                .unwrap()
                .subject
                .as_deref(),
            Some("100%")
        );
    }
}
