//! IMAP's text forms: quoted strings, UID sets, mailbox names in modified UTF-7 and INTERNALDATE.

/// An IMAP quoted string for a mailbox name or other argument. A quoted string cannot hold CR, LF or
/// NUL; a command with one in it is refused before it is sent (`conn::Connection::send`).
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
    let mut parts = text.split_whitespace();
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
    // The text is the server's: out-of-range numbers would overflow the arithmetic below, and a
    // zone with 8-bit bytes must not be sliced inside a character.
    if !(1..=9999).contains(&year)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..=60).contains(&s)
    {
        return None;
    }
    let zone = zone.as_bytes();
    if zone.len() != 5 || !zone[1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sign = match zone[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = |pair: &[u8]| i64::from(pair[0] - b'0') * 10 + i64::from(pair[1] - b'0');
    let (zh, zm) = (digits(&zone[1..3]), digits(&zone[3..5]));
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

    #[test]
    fn internal_dates_from_a_hostile_server_are_refused_without_a_panic() {
        // Five bytes, four characters: slicing the zone at byte 1 panicked.
        assert_eq!(parse_internal_date("02-Nov-2026 10:00:00 é000"), None);
        assert_eq!(parse_internal_date("02-Nov-2026 10:00:00 +0é0"), None);
        assert_eq!(
            parse_internal_date("02-Nov-99999999999999999 10:00:00 +0000"),
            None
        );
        assert_eq!(parse_internal_date("99-Nov-2026 10:00:00 +0000"), None);
        assert_eq!(parse_internal_date("02-Nov-2026 99:00:00 +0000"), None);
    }
}
