//! Japanese line breaking (kinsoku shori) as the window wraps message text: Japanese mail laid out
//! by the window's own text engine (cosmic-text, with the font system `super::configure` sets up
//! for each language) at every width from 4 to 40 characters, wrapped as the reader's body and the
//! composer's editor wrap (`style::PROSE`). No line may start with closing punctuation, a full
//! stop, a comma or a middle dot (。、」』）】！？・… — JIS X 4051's 行頭禁則), and none may end with
//! an opening bracket (「『（【 — 行末禁則). Small kana and ー may start a line, as in CSS
//! `line-break: normal` and most Japanese word processors by default.
//!
//! The same layout wrapped at any glyph (`Wrapping::Glyph`) must break the rules, so the check is
//! shown able to fail.

use iced::advanced::graphics::text::{
    cosmic_text, font_system, to_attributes, to_shaping, to_wrap,
};
use iced::advanced::text::Shaping;
use iced::widget::text::Wrapping;
use tayori::i18n::Lang;

use super::configure;
use crate::ui::style;

/// Must not begin a line: closing brackets and quotes, stops and commas, ！？, middle dots,
/// iteration marks, the wave dash and the ellipsis.
const NO_LINE_START: &str = "。、，．」』）】〕〉》］｝’”！？‼・：；ゝゞヽヾ々〜…‥";
/// Must not end a line: opening brackets and quotes.
const NO_LINE_END: &str = "「『（【〔〈《［｛‘“";

/// Business mail as Japanese offices write it: long sentences, quotes, brackets, ！？ and lists.
const SAMPLES: &[&str] = &[
    "お世話になっております。株式会社便りの山田です。先日ご依頼いただいた「背景資料（第二版）」を添付いたしました。ご確認のほど、よろしくお願いいたします。",
    "【重要】来週の会議は、十時から第一会議室（本館三階）で行います！資料の準備はお済みですか？ご不明な点は、総務部・佐藤までお問い合わせください。",
    "「はい」『いいえ』「わかりました」と、それぞれ返事がありました……。次回の打ち合わせは、〔未定〕です。々ゝ〜",
    "Tayori は OAuth でサインインし、メール 3 通を確認しました。背景、背中、胸、胃（内科）。「OK」！？",
];

/// The first and last character of each line `text` is broken into at `width`.
fn lines(
    system: &mut cosmic_text::FontSystem,
    text: &str,
    font: iced::Font,
    wrapping: Wrapping,
    width: f32,
) -> Vec<(char, char)> {
    let mut buffer = cosmic_text::Buffer::new(
        system,
        cosmic_text::Metrics::new(style::BODY, style::BODY * 1.3),
    );
    buffer.set_wrap(system, to_wrap(wrapping));
    buffer.set_size(system, Some(width), None);
    buffer.set_text(
        system,
        text,
        &to_attributes(font),
        to_shaping(Shaping::Advanced, text),
        None,
    );
    buffer.shape_until_scroll(system, false);
    buffer
        .layout_runs()
        .filter_map(|run| {
            let start = run.glyphs.iter().map(|g| g.start).min()?;
            let end = run.glyphs.iter().map(|g| g.end).max()?;
            let shown = run.text[start..end].trim();
            Some((shown.chars().next()?, shown.chars().last()?))
        })
        .collect()
}

/// Every break that breaks the rules, over all samples and widths.
fn violations(
    system: &mut cosmic_text::FontSystem,
    font: iced::Font,
    wrapping: Wrapping,
) -> (usize, Vec<String>) {
    let mut breaks = 0;
    let mut found = Vec::new();
    for sample in SAMPLES {
        // From 4 to 40 full-width characters, a quarter of a character at a time.
        for quarter in 16..=160 {
            let width = style::BODY * quarter as f32 / 4.0;
            let lines = lines(system, sample, font, wrapping, width);
            breaks += lines.len().saturating_sub(1);
            for pair in lines.windows(2) {
                let (end, start) = (pair[0].1, pair[1].0);
                if NO_LINE_START.contains(start) {
                    found.push(format!(
                        "{start} starts a line at width {width} in {sample}"
                    ));
                }
                if NO_LINE_END.contains(end) {
                    found.push(format!("{end} ends a line at width {width} in {sample}"));
                }
            }
        }
    }
    (breaks, found)
}

#[test]
fn japanese_text_breaks_lines_by_kinsoku_rules() {
    let (locale, db) = {
        let mut system = font_system().write().unwrap_or_else(|p| p.into_inner());
        (system.raw().locale().to_owned(), system.raw().db().clone())
    };
    for lang in [Lang::Ja, Lang::En] {
        let mut system =
            cosmic_text::FontSystem::new_with_locale_and_db(locale.clone(), db.clone());
        let choice = configure(&mut system, lang);
        for font in [choice.regular(), choice.bold()] {
            let (breaks, found) = violations(&mut system, font, style::PROSE);
            println!(
                "[{lang:?} {:?}]: {breaks} line breaks checked, {} against kinsoku",
                font.weight,
                found.len()
            );
            assert!(
                breaks > 1000,
                "the samples were broken into lines: {breaks}"
            );
            assert!(found.is_empty(), "{lang:?}: {}", found.join("\n"));
        }
        // Wrapped at any glyph, the same text breaks the rules: the check can fail.
        let (_, at_any_glyph) = violations(&mut system, choice.regular(), Wrapping::Glyph);
        println!(
            "[{lang:?} wrapped at any glyph]: {} against kinsoku",
            at_any_glyph.len()
        );
        assert!(!at_any_glyph.is_empty());
    }
}
