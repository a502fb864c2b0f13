//! Full-text search text shaping for FTS5, so that Japanese (written without spaces) is searchable.
//!
//! FTS5's `unicode61` tokenizer splits on spaces and punctuation, which makes a whole run of kanji and
//! kana a single token: `会議室の予約` could then only be found by typing all of it. Tayori indexes
//! every run of CJK characters as overlapping bigrams (`会議 議室 室の の予 予約 約`), which finds
//! any substring of two or more characters. A single character is found by prefix (every character
//! starts one token: the run's last character is indexed on its own). Latin text keeps unicode61's
//! word tokens and is matched by word prefix.
//!
//! The index keeps which messages hold a token, not where (`detail=none`, schema 10): positions
//! took more room than the words themselves. So a typed run of three or more characters is asked
//! of the index as all of its bigrams (`会議 AND 議室`), and each message found is checked for
//! the bigrams next to each other ([`Query::holds_phrases`]) — what a phrase query of the
//! positions did before.

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

/// What a person typed, as the index is asked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The FTS5 query: every word must match (AND).
    pub fts: String,
    /// The runs of three or more CJK characters, each as its bigrams in index text (`" 会議 議室 "`):
    /// the index only says that a message holds each bigram, and a message found must hold them
    /// one after the other.
    phrases: Vec<String>,
}

impl Query {
    /// Whether the matches must be checked against the text (see [`Query::holds_phrases`]).
    pub fn needs_check(&self) -> bool {
        !self.phrases.is_empty()
    }

    /// Whether the fields of a message (each as [`index_text`] shaped it) hold every typed run,
    /// each within one field, as the index's phrase query would have found it.
    pub fn holds_phrases(&self, fields: &[&str]) -> bool {
        self.phrases
            .iter()
            .all(|phrase| fields.iter().any(|field| field.contains(phrase.as_str())))
    }
}

/// The FTS5 query for what a person typed: every word must match (AND). Returns `None` when
/// nothing searchable is left (only punctuation, say), so the caller can show "no results" without
/// asking.
pub fn query(typed: &str) -> Option<Query> {
    let mut terms = Vec::new();
    let mut phrases = Vec::new();
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
        let flush_run = |run: &mut Vec<char>,
                         terms: &mut Vec<String>,
                         phrases: &mut Vec<String>| {
            match run.len() {
                0 => {}
                1 => terms.push(format!("\"{}\"*", run[0])),
                _ => {
                    let grams: Vec<String> = run.windows(2).map(|p| p.iter().collect()).collect();
                    for gram in &grams {
                        let term = format!("\"{gram}\"");
                        if !terms.contains(&term) {
                            terms.push(term);
                        }
                    }
                    if grams.len() > 1 {
                        phrases.push(format!(" {} ", grams.join(" ")));
                    }
                }
            }
            run.clear();
        };
        for c in word.chars() {
            if is_cjk(c) {
                flush_latin(&mut latin, &mut terms);
                run.push(c);
            } else {
                flush_run(&mut run, &mut terms, &mut phrases);
                latin.push(c);
            }
        }
        flush_latin(&mut latin, &mut terms);
        flush_run(&mut run, &mut terms, &mut phrases);
    }
    if terms.is_empty() {
        None
    } else {
        Some(Query {
            fts: terms.join(" AND "),
            phrases,
        })
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

    fn fts(typed: &str) -> Option<String> {
        query(typed).map(|q| q.fts)
    }

    #[test]
    fn queries_are_bigrams_or_word_prefixes() {
        assert_eq!(fts("会議室").as_deref(), Some("\"会議\" AND \"議室\""));
        assert_eq!(fts("会").as_deref(), Some("\"会\"*"));
        assert_eq!(
            fts("budget 予算").as_deref(),
            Some("\"budget\"* AND \"予算\"")
        );
        // A bigram that comes twice is asked once.
        assert_eq!(fts("ははは").as_deref(), Some("\"はは\""));
        // FTS5 syntax typed by a person is taken literally, never as operators.
        assert_eq!(
            fts("a\"b OR NEAR(").as_deref(),
            Some("\"a\"* AND \"b\"* AND \"OR\"* AND \"NEAR\"*")
        );
        assert_eq!(query("  ...  "), None);
    }

    #[test]
    fn a_run_of_three_or_more_must_be_found_in_one_piece() {
        let typed = query("会議室 予算").unwrap();
        assert!(typed.needs_check());
        let here = index_text("第二会議室の予算");
        assert!(typed.holds_phrases(&[here.as_str()]));
        // Every bigram is there, but not one after the other.
        let apart = index_text("会議の後で議室を…予算");
        assert!(!typed.holds_phrases(&[apart.as_str()]));
        // Each run within one field, but the runs may be in different fields.
        let subject = index_text("会議室");
        let body = index_text("予算");
        assert!(typed.holds_phrases(&[subject.as_str(), body.as_str()]));
        // Two characters are one token: the index alone decides.
        assert!(!query("予算 budget").unwrap().needs_check());
    }
}
