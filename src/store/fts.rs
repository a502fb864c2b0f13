//! Full-text search text shaping for FTS5, so that Japanese (written without spaces) is searchable.
//!
//! FTS5's `unicode61` tokenizer splits on spaces and punctuation, which makes a whole run of kanji and
//! kana a single token: `会議室の予約` could then only be found by typing all of it. Tayori indexes
//! every run of CJK characters as overlapping bigrams (`会議 議室 室の の予 予約 約`) and turns a
//! query the same way into a phrase, which finds any substring of two or more characters. A single
//! character is found by prefix (every character starts one token: the run's last character is
//! indexed on its own). Latin text keeps unicode61's word tokens and is matched by word prefix.

/// Whether a character belongs to a script written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // Hiragana, Katakana
        | 0x31F0..=0x31FF   // Katakana phonetic extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // half-width Katakana
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0x20000..=0x2FFFF // CJK extensions B and later
    )
}

/// Pushes the bigram tokens of one CJK run, space-separated, followed by its last character alone.
fn push_bigrams(run: &[char], out: &mut String) {
    for pair in run.windows(2) {
        out.push(' ');
        out.extend(pair);
    }
    if let Some(last) = run.last() {
        out.push(' ');
        out.push(*last);
    }
    out.push(' ');
}

/// The text to put into the FTS index for `text`.
pub fn index_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut run: Vec<char> = Vec::new();
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            push_bigrams(&run, &mut out);
            run.clear();
        }
        out.push(c);
    }
    push_bigrams(&run, &mut out);
    out
}

/// An FTS5 query for what a person typed: every word must match (AND). Returns `None` when nothing
/// searchable is left (only punctuation, say), so the caller can show "no results" without asking.
pub fn query(typed: &str) -> Option<String> {
    let mut terms = Vec::new();
    for word in typed.split_whitespace() {
        let mut run: Vec<char> = Vec::new();
        let mut latin = String::new();
        let flush_latin = |latin: &mut String, terms: &mut Vec<String>| {
            // Keep only what unicode61 would keep in a token; quotes are doubled inside the phrase.
            let cleaned: String = latin
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { ' ' })
                .collect();
            for part in cleaned.split_whitespace() {
                terms.push(format!("\"{part}\"*"));
            }
            latin.clear();
        };
        let flush_run = |run: &mut Vec<char>, terms: &mut Vec<String>| {
            match run.len() {
                0 => {}
                1 => terms.push(format!("\"{}\"*", run[0])),
                _ => {
                    let grams: Vec<String> = run.windows(2).map(|p| p.iter().collect()).collect();
                    terms.push(format!("\"{}\"", grams.join(" ")));
                }
            }
            run.clear();
        };
        for c in word.chars() {
            if is_cjk(c) {
                flush_latin(&mut latin, &mut terms);
                run.push(c);
            } else {
                flush_run(&mut run, &mut terms);
                latin.push(c);
            }
        }
        flush_latin(&mut latin, &mut terms);
        flush_run(&mut run, &mut terms);
    }
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_runs_become_bigrams_and_latin_stays_words() {
        assert_eq!(
            index_text("Meeting 会議室の予約")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["Meeting", "会議", "議室", "室の", "の予", "予約", "約"]
        );
        assert_eq!(
            index_text("A案と").split_whitespace().collect::<Vec<_>>(),
            ["A", "案と", "と"]
        );
    }

    #[test]
    fn queries_are_phrases_of_bigrams_or_word_prefixes() {
        assert_eq!(query("会議室").as_deref(), Some("\"会議 議室\""));
        assert_eq!(query("会").as_deref(), Some("\"会\"*"));
        assert_eq!(
            query("budget 予算").as_deref(),
            Some("\"budget\"* AND \"予算\"")
        );
        // FTS5 syntax typed by a person is taken literally, never as operators.
        assert_eq!(
            query("a\"b OR NEAR(").as_deref(),
            Some("\"a\"* AND \"b\"* AND \"OR\"* AND \"NEAR\"*")
        );
        assert_eq!(query("  ...  "), None);
    }
}
