//! Text layout for the wire: `format=flowed` (RFC 3676) and plain hard wrapping.
//!
//! Flowed text keeps the person's paragraphs as paragraphs: a long line is broken at spaces and
//! every break but the last ends with a space (a "soft" break), which readers join again. Quote
//! markers (`>`) are repeated on every piece of a quoted line, lines that begin with a space or
//! `From ` are space-stuffed, and trailing spaces the person typed are dropped (they would turn a
//! hard break into a soft one).
//!
//! Lines are only broken at spaces. Japanese text has none, so a long Japanese line stays one line:
//! that is allowed (the transfer encoding keeps wire lines short) and keeps the text intact.

/// Splits a line into its quote depth (leading `>`s) and the rest.
fn quote_depth(line: &str) -> (usize, &str) {
    let depth = line.bytes().take_while(|&b| b == b'>').count();
    (depth, &line[depth..])
}

/// Breaks `content` into pieces of at most `width` characters at spaces. Each piece but the last
/// keeps the space it was broken at (at its end). A word longer than `width` stays whole.
fn break_at_spaces(content: &str, width: usize) -> Vec<&str> {
    let width = width.max(10);
    let mut pieces = Vec::new();
    let mut rest = content;
    while rest.chars().count() > width {
        // The last space within the first `width` characters (inclusive of the one at `width`).
        let limit = rest
            .char_indices()
            .nth(width)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let cut = rest[..limit]
            .rfind(' ')
            .filter(|&i| i > 0)
            .or_else(|| rest[limit..].find(' ').map(|i| i + limit));
        match cut {
            Some(i) => {
                pieces.push(&rest[..=i]);
                rest = &rest[i + 1..];
            }
            None => break,
        }
    }
    pieces.push(rest);
    pieces
}

/// Encodes `text` as `format=flowed` with lines of at most `width` characters where spaces allow.
pub fn encode(text: &str, width: usize) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    for line in text.split('\n') {
        // The signature separator keeps its trailing space (RFC 3676 §4.3).
        if line == "-- " {
            out.push_str("-- \n");
            continue;
        }
        let line = line.trim_end_matches(' ');
        let (depth, content) = quote_depth(line);
        let prefix = ">".repeat(depth);
        // In quoted lines the one space after the markers is space-stuffing; keep one.
        let content = if depth > 0 {
            content.strip_prefix(' ').unwrap_or(content)
        } else {
            content
        };
        let available = width.saturating_sub(depth + 1);
        for piece in break_at_spaces(content, available) {
            out.push_str(&prefix);
            // An empty quoted line is just its markers: "> " would read as a soft break.
            if (depth > 0 && !piece.is_empty())
                || piece.starts_with(' ')
                || piece.starts_with("From ")
            {
                out.push(' ');
            }
            out.push_str(piece);
            out.push('\n');
        }
    }
    // Every line got a newline; the last one has none in the input (after a final newline the
    // last "line" is the empty piece `split` yields).
    out.pop();
    out
}

/// Decodes `format=flowed` text (DelSp=no): soft breaks are joined, quote depth and stuffing
/// removed from the joined lines' markers.
pub fn decode(text: &str) -> String {
    decode_with(text, false)
}

/// Decodes `format=flowed` text; with `delsp` (the `DelSp=yes` parameter, common in Japanese
/// mail, where words are not separated by spaces) the space of each soft break is removed.
pub fn decode_with(text: &str, delsp: bool) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    let mut paragraph: Option<(usize, String)> = None;
    let lines: Vec<&str> = text.split('\n').collect();
    let count = lines.len();
    for (index, line) in lines.into_iter().enumerate() {
        if index + 1 == count && line.is_empty() {
            break;
        }
        let (depth, content) = quote_depth(line);
        let content = content.strip_prefix(' ').unwrap_or(content);
        let soft = content.ends_with(' ') && content != "-- ";
        if let Some((open_depth, _)) = &paragraph
            && *open_depth != depth
        {
            // A change of depth ends a paragraph even after a soft break (RFC 3676 §4.5).
            let (d, p) = paragraph.take().unwrap_or_default();
            push_line(&mut out, d, &p);
        }
        let entry = paragraph.get_or_insert_with(|| (depth, String::new()));
        if soft && delsp {
            entry.1.push_str(&content[..content.len() - 1]);
        } else {
            entry.1.push_str(content);
        }
        if !soft {
            let (d, p) = paragraph.take().unwrap_or_default();
            push_line(&mut out, d, &p);
        }
    }
    if let Some((d, p)) = paragraph {
        push_line(&mut out, d, &p);
    }
    out
}

fn push_line(out: &mut String, depth: usize, text: &str) {
    if depth > 0 {
        out.push_str(&">".repeat(depth));
        if !text.is_empty() {
            out.push(' ');
        }
    }
    out.push_str(text);
    out.push('\n');
}

/// Hard-wraps `text` at `width` characters at spaces (no trailing spaces), repeating quote markers.
pub fn hard_wrap(text: &str, width: usize) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    for line in text.split('\n') {
        let line = line.trim_end_matches(' ');
        let (depth, content) = quote_depth(line);
        let content = if depth > 0 {
            content.strip_prefix(' ').unwrap_or(content)
        } else {
            content
        };
        let prefix = if depth > 0 {
            format!("{} ", ">".repeat(depth))
        } else {
            String::new()
        };
        let available = width.saturating_sub(prefix.chars().count());
        for piece in break_at_spaces(content, available) {
            let piece = piece.trim_end_matches(' ');
            if piece.is_empty() {
                out.push_str(prefix.trim_end());
            } else {
                out.push_str(&prefix);
                out.push_str(piece);
            }
            out.push('\n');
        }
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &str = "This paragraph is deliberately long so that it has to be broken into several lines when it is sent as flowed text.";

    #[test]
    fn long_lines_get_soft_breaks_that_decode_back() {
        let text = format!("Hello,\n\n{LONG}\n\nBye\n");
        let encoded = encode(&text, 40);
        for line in encoded.lines() {
            assert!(line.chars().count() <= 40, "{line:?}");
        }
        let soft = encoded.lines().filter(|l| l.ends_with(' ')).count();
        assert!(soft >= 2, "{encoded}");
        assert_eq!(decode(&encoded), text);
    }

    #[test]
    fn quotes_keep_their_markers_on_every_piece() {
        let text = format!("> {LONG}\n>\n>> nested\nmine\n");
        let encoded = encode(&text, 40);
        let quoted: Vec<&str> = encoded
            .lines()
            .take_while(|l| l.starts_with("> "))
            .collect();
        assert!(quoted.len() >= 3, "{encoded}");
        assert!(encoded.contains("\n>> nested\n"), "{encoded}");
        assert_eq!(decode(&encoded), text);
    }

    #[test]
    fn stuffing_and_trailing_spaces() {
        let encoded = encode("From here\n indented\ntrailing   \n-- \nsig", 72);
        assert_eq!(encoded, " From here\n  indented\ntrailing\n-- \nsig");
        assert_eq!(
            decode(&encoded),
            "From here\n indented\ntrailing\n-- \nsig\n"
        );
    }

    #[test]
    fn japanese_lines_without_spaces_stay_whole() {
        let line = "お世話になっております。".repeat(10);
        let text = format!("{line}\n");
        assert_eq!(encode(&text, 72), text);
        assert_eq!(hard_wrap(&text, 72), text);
        assert_eq!(decode(&encode(&text, 72)), text);
    }

    #[test]
    fn delsp_yes_joins_japanese_without_a_space() {
        let wire = "お世話になって \nおります。\n";
        assert_eq!(decode_with(wire, true), "お世話になっております。\n");
        assert_eq!(decode_with(wire, false), "お世話になって おります。\n");
    }

    #[test]
    fn hard_wrap_breaks_without_trailing_spaces() {
        let wrapped = hard_wrap(&format!("> {LONG}\n{LONG}"), 40);
        for line in wrapped.lines() {
            assert!(
                line.chars().count() <= 40 && !line.ends_with(' '),
                "{line:?}"
            );
        }
        assert!(wrapped.lines().take(3).all(|l| l.starts_with("> ")));
        let joined: String = wrapped
            .lines()
            .filter(|l| !l.starts_with('>'))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(joined, LONG);
    }

    #[test]
    fn a_word_longer_than_the_width_is_not_cut() {
        let url = "https://example.test/".to_owned() + &"a".repeat(100);
        let encoded = encode(&format!("see {url} now"), 40);
        assert!(encoded.lines().any(|l| l.contains(&url)), "{encoded}");
    }
}
