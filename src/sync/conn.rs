//! One signed-in IMAP connection as the sync engine drives it: commands written by hand (so that
//! CONDSTORE/QRESYNC, LIST-STATUS and big pipelined FETCHes are exactly what we ask for) and the
//! responses read one at a time through async-imap's parser (imap-proto).
//!
//! Every read has a time limit, so a server that stops answering is noticed and the connection is
//! dropped and made again rather than hanging the sync forever.

use std::time::Duration;

use async_imap::imap_proto::{RequestId, Response, Status};

use super::SyncError;
use crate::imap::Session;

/// How long one response may take to start arriving. A big literal (a 25 MB attachment) arrives
/// in pieces, each of which resets nothing here — the limit is generous for that reason.
const READ_LIMIT: Duration = Duration::from_secs(120);

pub struct Conn {
    pub(super) session: Session,
    pub(super) host: String,
    pub(super) caps: Vec<String>,
    /// The mailbox currently selected, if any.
    pub(super) selected: Option<String>,
    pub(super) selected_uidvalidity: Option<u32>,
}

impl Conn {
    pub fn new(session: Session, host: &str) -> Conn {
        Conn {
            session,
            host: host.to_owned(),
            caps: Vec::new(),
            selected: None,
            selected_uidvalidity: None,
        }
    }

    pub fn has(&self, capability: &str) -> bool {
        self.caps.iter().any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// Asks for the capabilities after sign-in (they may differ from before it).
    pub async fn refresh_capabilities(&mut self) -> Result<(), SyncError> {
        let mut caps = Vec::new();
        self.run("CAPABILITY", |response| {
            if let Response::Capabilities(list) = response {
                caps.extend(list.iter().map(capability_text));
            }
        })
        .await?;
        self.caps = caps;
        Ok(())
    }

    pub async fn send(&mut self, command: &str) -> Result<RequestId, SyncError> {
        tracing::trace!(host = %self.host, command, "IMAP command");
        self.session
            .run_command(command)
            .await
            .map_err(|e| self.broken(e.to_string()))
    }

    /// Reads the next response to the command tagged `tag` and hands it to `look`; `None` once the
    /// command completed with OK. A NO or BAD becomes [`SyncError::Refused`] with the server's words.
    pub async fn next<T>(
        &mut self,
        tag: &RequestId,
        look: impl FnOnce(&Response<'_>) -> T,
    ) -> Result<Option<T>, SyncError> {
        let response = tokio::time::timeout(READ_LIMIT, self.session.read_response())
            .await
            .map_err(|_| self.broken("no answer for two minutes".into()))?
            .map_err(|e| self.broken(e.to_string()))?
            .ok_or_else(|| self.broken("the server closed the connection".into()))?;
        match response.parsed() {
            Response::Done {
                tag: done,
                status,
                outcome,
            } if done == tag => match status {
                Status::Ok => Ok(None),
                _ => Err(SyncError::Refused {
                    host: self.host.clone(),
                    reason: outcome
                        .information
                        .as_deref()
                        .unwrap_or("(no reason given)")
                        .to_owned(),
                }),
            },
            Response::Data {
                status: Status::Bye,
                outcome,
            } => Err(self.broken(format!(
                "the server ended the session: {}",
                outcome.information.as_deref().unwrap_or("")
            ))),
            parsed => Ok(Some(look(parsed))),
        }
    }

    /// Runs a command, handing each response to `look` until it completes.
    pub async fn run(
        &mut self,
        command: &str,
        mut look: impl FnMut(&Response<'_>),
    ) -> Result<(), SyncError> {
        let tag = self.send(command).await?;
        while self.next(&tag, &mut look).await?.is_some() {}
        Ok(())
    }

    /// Runs a command whose responses need no attention (beyond its OK).
    pub async fn run_quietly(&mut self, command: &str) -> Result<(), SyncError> {
        self.run(command, |_| {}).await
    }

    fn broken(&self, reason: String) -> SyncError {
        SyncError::Connection {
            host: self.host.clone(),
            reason,
        }
    }

    pub async fn logout(mut self) {
        // Best effort: the server may already be gone.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.session.logout()).await;
    }
}

fn capability_text(capability: &async_imap::imap_proto::Capability<'_>) -> String {
    use async_imap::imap_proto::Capability;
    match capability {
        Capability::Imap4rev1 => "IMAP4REV1".into(),
        Capability::Auth(mechanism) => format!("AUTH={}", mechanism.to_ascii_uppercase()),
        Capability::Atom(atom) => atom.to_ascii_uppercase(),
    }
}

/// An IMAP quoted string for a mailbox name or other argument.
pub fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// A UID set in IMAP syntax, with runs compressed (`1:5,7,9:12`). `uids` must be sorted.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut index = 0;
    while index < uids.len() {
        let start = uids[index];
        let mut end = start;
        while index + 1 < uids.len() && uids[index + 1] == end + 1 {
            index += 1;
            end = uids[index];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        index += 1;
    }
    out
}

/// Decodes a mailbox name from IMAP's modified UTF-7 (RFC 3501 §5.1.3), as Japanese folder names
/// arrive (`&MMYwuTDI-` is `テスト`). Invalid input is returned as it came.
pub fn decode_mailbox_name(name: &str) -> String {
    use base64::Engine;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::IMAP_MUTF7,
        base64::engine::general_purpose::NO_PAD,
    );
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('-') else {
            return name.to_owned();
        };
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let Ok(bytes) = engine.decode(encoded) else {
                return name.to_owned();
            };
            if bytes.len() % 2 != 0 {
                return name.to_owned();
            }
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            match String::from_utf16(&units) {
                Ok(text) => out.push_str(&text),
                Err(_) => return name.to_owned(),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Parses an INTERNALDATE (`17-Jul-1996 02:44:25 -0700`) into seconds since 1970.
pub fn parse_internal_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().split_whitespace();
    let date = parts.next()?;
    let time = parts.next()?;
    let zone = parts.next()?;
    let mut dmy = date.split('-');
    let day: i64 = dmy.next()?.trim().parse().ok()?;
    let month = match dmy.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: i64 = dmy.next()?.parse().ok()?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if zone.len() != 5 {
        return None;
    }
    let sign = match &zone[..1] {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let zh: i64 = zone[1..3].parse().ok()?;
    let zm: i64 = zone[3..5].parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s - sign * (zh * 3600 + zm * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[42]), "42");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn mailbox_names_are_quoted_safely() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn japanese_folder_names_decode_from_modified_utf7() {
        assert_eq!(decode_mailbox_name("&MMYwuTDI-"), "テスト");
        assert_eq!(decode_mailbox_name("INBOX/&U9dP4Q-"), "INBOX/受信");
        assert_eq!(decode_mailbox_name("Tom &- Jerry"), "Tom & Jerry");
        assert_eq!(decode_mailbox_name("broken &AAA"), "broken &AAA");
    }

    #[test]
    fn internal_dates_parse_with_their_zone() {
        assert_eq!(parse_internal_date("01-Jan-1970 00:00:00 +0000"), Some(0));
        assert_eq!(
            parse_internal_date("17-Jul-1996 02:44:25 -0700"),
            Some(837_596_665)
        );
        assert_eq!(
            parse_internal_date(" 2-Nov-2026 10:00:00 +0900"),
            Some(1_793_581_200)
        );
        assert_eq!(parse_internal_date("garbage"), None);
    }
}
