//! Which font the window speaks in. The text engine's generic "sans-serif" names a family that many
//! systems lack (it then lands on whatever comes first, often a monospace face), so Tayori asks the
//! font database for a family it knows reads well on each platform — a Japanese one first when the
//! window starts in Japanese, so kana, kanji and Latin letters share one design.

use std::sync::OnceLock;

use iced::Font;
use iced::font::Weight;
use tayori::i18n::Lang;

/// Families for Japanese, most preferred first (Linux, Windows, macOS).
const JAPANESE: [&str; 6] = [
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Yu Gothic UI",
    "Meiryo UI",
    "Hiragino Sans",
    "IPAexGothic",
];

/// Families for everything else.
const LATIN: [&str; 8] = [
    "Noto Sans",
    "Cantarell",
    "Ubuntu",
    "DejaVu Sans",
    "Segoe UI",
    "Helvetica Neue",
    "Arial",
    "Liberation Sans",
];

static UI_FONT: OnceLock<Font> = OnceLock::new();

/// The installed families, from the text engine's own database.
fn installed() -> Vec<String> {
    let mut system = iced::advanced::graphics::text::font_system()
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut families: Vec<String> = system
        .raw()
        .db()
        .faces()
        .flat_map(|face| face.families.iter().map(|(name, _)| name.clone()))
        .collect();
    families.sort();
    families.dedup();
    families
}

/// Picks the window's font once (the first call decides); later calls return the same.
pub fn init(lang: Lang) -> Font {
    *UI_FONT.get_or_init(|| {
        let families = installed();
        let has = |name: &str| families.iter().any(|f| f.eq_ignore_ascii_case(name));
        let japanese = JAPANESE.into_iter().find(|name| has(name));
        let preferred = match lang {
            Lang::Ja => japanese.or_else(|| LATIN.into_iter().find(|name| has(name))),
            Lang::En => LATIN.into_iter().find(|name| has(name)).or(japanese),
        };
        if japanese.is_none() {
            // Japanese text then depends on whatever fallback the system has.
            tracing::warn!(
                "no Japanese font found among {} families; install one (e.g. Noto Sans CJK JP)",
                families.len()
            );
        }
        match preferred {
            Some(name) => {
                tracing::info!(font = name, "window font");
                Font::with_name(name)
            }
            None => Font::DEFAULT,
        }
    })
}

/// The window's font (the default until [`init`] ran).
pub fn regular() -> Font {
    UI_FONT.get().copied().unwrap_or(Font::DEFAULT)
}

/// The same family, heavier: headings and labels.
pub fn bold() -> Font {
    Font {
        weight: Weight::Semibold,
        ..regular()
    }
}
