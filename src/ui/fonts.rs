//! Which font the window speaks in. The text engine's generic "sans-serif" names a family that many
//! systems lack (it then lands on whatever comes first, often a monospace face), so Tayori asks the
//! font database for a family it knows reads well on each platform — a Japanese one first when the
//! window starts in Japanese, so kana, kanji and Latin letters share one design.

use std::sync::OnceLock;

use iced::Font;
use iced::advanced::graphics::text::cosmic_text;
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

static UI_FONT: OnceLock<Choice> = OnceLock::new();
/// Whether a Japanese family was found (installed, or loaded from Tayori's own font folders).
static JAPANESE_FOUND: OnceLock<bool> = OnceLock::new();

/// Where Tayori looks for fonts of its own, beside the system's: a folder in its data folder (a
/// person or an administrator can put a font there), and the `fonts` folder an installer may ship
/// beside the program (`<prefix>/share/tayori/fonts` on Linux, `fonts` beside `tayori.exe`,
/// `Contents/Resources/fonts` in the macOS app).
pub fn own_font_dirs(data_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![data_dir.join("fonts")];
    if let Ok(exe) = std::env::current_exe()
        && let Some(bin) = exe.parent()
    {
        dirs.push(bin.join("fonts"));
        dirs.push(bin.join("../share/tayori/fonts"));
        dirs.push(bin.join("../Resources/fonts"));
    }
    dirs
}

/// Adds the fonts in `dirs` to the text engine's database, before the window's font is chosen:
/// a system without a Japanese font still shows Japanese text once one is there.
pub fn load_own_fonts(dirs: &[std::path::PathBuf]) {
    let mut system = iced::advanced::graphics::text::font_system()
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for dir in dirs.iter().filter(|dir| dir.is_dir()) {
        let before = system.raw().db().len();
        system.raw().db_mut().load_fonts_dir(dir);
        let added = system.raw().db().len() - before;
        if added > 0 {
            tracing::info!(folder = %dir.display(), faces = added, "fonts loaded");
        }
    }
}

/// False when no Japanese font was found: the settings then say how to get one.
pub fn japanese_available() -> bool {
    JAPANESE_FOUND.get().copied().unwrap_or(true)
}

/// The families the window draws with, chosen from what is installed: its own family (Japanese
/// first in the Japanese window, a Latin one in the English window) and the Japanese family that
/// kanji and kana are drawn in whichever the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// The window's family; `None` leaves the text engine's default.
    pub window: Option<&'static str>,
    /// The Japanese family found, if any.
    pub japanese: Option<&'static str>,
    /// The weight of headings and labels: one both families have.
    pub heavy: Weight,
}

/// Headings and labels: semibold if the families have it, else the nearest heavier weight.
const HEAVY: [(u16, Weight); 5] = [
    (600, Weight::Semibold),
    (700, Weight::Bold),
    (500, Weight::Medium),
    (800, Weight::ExtraBold),
    (900, Weight::Black),
];

impl Choice {
    /// What the window picks for `lang` among the `installed` faces (family, weight).
    pub fn among(installed: &[(String, u16)], lang: Lang) -> Self {
        let has = |name: &str| installed.iter().any(|(f, _)| f.eq_ignore_ascii_case(name));
        let japanese = JAPANESE.into_iter().find(|name| has(name));
        let latin = LATIN.into_iter().find(|name| has(name));
        let window = match lang {
            Lang::Ja => japanese.or(latin),
            Lang::En => latin.or(japanese),
        };
        // The text engine falls back only to faces of exactly the weight asked for (cosmic-text
        // 0.15): a weight one family lacks (semibold, with Debian's Noto Sans CJK in regular and
        // bold only) sent bold text that the window's family lacks to whatever face came first.
        let weighs = |family: Option<&str>, weight: u16| {
            family.is_none_or(|family| {
                installed
                    .iter()
                    .any(|(f, w)| *w == weight && f.eq_ignore_ascii_case(family))
            })
        };
        let heavy = HEAVY
            .iter()
            .find(|(w, _)| weighs(window, *w) && weighs(japanese, *w))
            .or_else(|| HEAVY.iter().find(|(w, _)| weighs(window, *w)))
            .map_or(Weight::Semibold, |(_, weight)| *weight);
        Choice {
            window,
            japanese,
            heavy,
        }
    }

    /// The window's font.
    pub fn regular(&self) -> Font {
        self.window.map(Font::with_name).unwrap_or(Font::DEFAULT)
    }

    /// The same family, heavier: headings and labels.
    pub fn bold(&self) -> Font {
        Font {
            weight: self.heavy,
            ..self.regular()
        }
    }
}

/// Tayori's font fallback: kanji, kana and the full-width forms between them are drawn in the
/// Japanese family the window found, before anything the platform's list would pick. The platform
/// lists pick the CJK face by the system's locale and only for a bare `ja` (`ja-JP` does not match),
/// so an English window, or a Japanese one on a `ja-JP` system, drew kanji in a Chinese face
/// (Noto Sans CJK SC, Microsoft YaHei, PingFang SC): other glyph shapes for the same characters.
/// Everything else is the platform's list.
struct JapaneseFirst {
    platform: cosmic_text::PlatformFallback,
    common: Vec<&'static str>,
    japanese: Vec<&'static str>,
}

impl JapaneseFirst {
    fn new(japanese: Option<&'static str>) -> Self {
        use cosmic_text::Fallback as _;
        let platform = cosmic_text::PlatformFallback;
        let first = japanese.into_iter();
        let common = first
            .clone()
            .chain(platform.common_fallback().iter().copied())
            .collect();
        let japanese = first
            .chain(
                platform
                    .script_fallback(unicode_script::Script::Han, "ja")
                    .iter()
                    .copied(),
            )
            .collect();
        JapaneseFirst {
            platform,
            common,
            japanese,
        }
    }
}

impl cosmic_text::Fallback for JapaneseFirst {
    fn common_fallback(&self) -> &[&'static str] {
        &self.common
    }

    fn forbidden_fallback(&self) -> &[&'static str] {
        self.platform.forbidden_fallback()
    }

    fn script_fallback(&self, script: unicode_script::Script, locale: &str) -> &[&'static str] {
        use unicode_script::Script;
        match script {
            Script::Han | Script::Hiragana | Script::Katakana => &self.japanese,
            _ => self.platform.script_fallback(script, locale),
        }
    }
}

/// The faces in a font database: each family name with the face's weight.
fn faces(db: &cosmic_text::fontdb::Database) -> Vec<(String, u16)> {
    let mut faces: Vec<(String, u16)> = db
        .faces()
        .flat_map(|face| {
            face.families
                .iter()
                .map(move |(name, _)| (name.clone(), face.weight.0))
        })
        .collect();
    faces.sort();
    faces.dedup();
    faces
}

/// Sets a font system up as the window's and returns what it picked for `lang`. The window calls
/// this once on the text engine's own font system; the glyph test on copies of it.
pub fn configure(system: &mut cosmic_text::FontSystem, lang: Lang) -> Choice {
    let choice = Choice::among(&faces(system.db()), lang);
    // The fallback is fixed when a font system is made: make the same one again, with Tayori's.
    let empty = cosmic_text::FontSystem::new_with_locale_and_db(
        String::new(),
        cosmic_text::fontdb::Database::new(),
    );
    let (locale, db) = std::mem::replace(system, empty).into_locale_and_db();
    *system = cosmic_text::FontSystem::new_with_locale_and_db_and_fallback(
        locale,
        db,
        JapaneseFirst::new(choice.japanese),
    );
    choice
}

/// Picks the window's font once (the first call decides); later calls return the same.
pub fn init(lang: Lang) -> Font {
    UI_FONT
        .get_or_init(|| {
            let mut system = iced::advanced::graphics::text::font_system()
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let choice = configure(system.raw(), lang);
            let _ = JAPANESE_FOUND.set(choice.japanese.is_some());
            if choice.japanese.is_none() {
                // Japanese text then depends on whatever fallback the system has.
                tracing::warn!(
                    "no Japanese font found among {} faces; install one (e.g. Noto Sans CJK JP)",
                    system.raw().db().len()
                );
            }
            match choice.window {
                Some(name) => tracing::info!(
                    font = name,
                    japanese = ?choice.japanese,
                    heavy = ?choice.heavy,
                    "window font"
                ),
                None => tracing::warn!("none of the window's families is installed"),
            }
            choice
        })
        .regular()
}

/// The window's family, heavier: headings and labels (the default until [`init`] ran).
pub fn bold() -> Font {
    UI_FONT.get().map_or(
        Font {
            weight: Weight::Semibold,
            ..Font::DEFAULT
        },
        Choice::bold,
    )
}

#[cfg(test)]
mod glyph_test;
#[cfg(test)]
mod line_break_test;

#[cfg(test)]
mod tests {
    use super::*;

    /// A font put into Tayori's own font folder is added to what the window can draw with.
    #[test]
    fn fonts_in_the_own_folder_are_loaded() {
        let font = first_ttf(std::path::Path::new("/usr/share/fonts"))
            .expect("no .ttf font on this machine to copy (tests/run.sh installs fonts)");
        let data = tempfile::tempdir().unwrap();
        let own = data.path().join("fonts");
        std::fs::create_dir_all(&own).unwrap();
        std::fs::copy(font, own.join("copied.ttf")).unwrap();
        let count = || {
            iced::advanced::graphics::text::font_system()
                .write()
                .unwrap()
                .raw()
                .db()
                .len()
        };
        let before = count();
        load_own_fonts(&own_font_dirs(data.path()));
        assert!(count() > before, "the copied font was not loaded");
    }

    fn installed(faces: &[(&str, u16)]) -> Vec<(String, u16)> {
        faces.iter().map(|(f, w)| (f.to_string(), *w)).collect()
    }

    /// Headings ask for a weight both families have: Debian's Noto Sans CJK has regular and bold
    /// only, and a semibold request then matched no face for fallback at all.
    #[test]
    fn headings_use_a_weight_both_families_have() {
        let debian = installed(&[
            ("Noto Sans CJK JP", 400),
            ("Noto Sans CJK JP", 700),
            ("DejaVu Sans", 200),
            ("DejaVu Sans", 400),
            ("DejaVu Sans", 700),
        ]);
        let en = Choice::among(&debian, Lang::En);
        assert_eq!(en.window, Some("DejaVu Sans"));
        assert_eq!(en.japanese, Some("Noto Sans CJK JP"));
        assert_eq!(en.heavy, Weight::Bold);
        let ja = Choice::among(&debian, Lang::Ja);
        assert_eq!(ja.window, Some("Noto Sans CJK JP"));
        assert_eq!(ja.bold().weight, Weight::Bold);

        let with_extra = installed(&[
            ("Noto Sans CJK JP", 400),
            ("Noto Sans CJK JP", 500),
            ("Noto Sans CJK JP", 700),
            ("Noto Sans", 400),
            ("Noto Sans", 500),
            ("Noto Sans", 600),
        ]);
        // Semibold only in the Latin family: the weight both have comes first.
        assert_eq!(Choice::among(&with_extra, Lang::En).heavy, Weight::Medium);
        // No Japanese family: the window's own family decides.
        let latin_only = installed(&[("Noto Sans", 400), ("Noto Sans", 600)]);
        let choice = Choice::among(&latin_only, Lang::Ja);
        assert_eq!(
            (choice.window, choice.japanese, choice.heavy),
            (Some("Noto Sans"), None, Weight::Semibold)
        );
    }

    fn first_ttf(dir: &std::path::Path) -> Option<std::path::PathBuf> {
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            let found = if path.is_dir() {
                first_ttf(&path)
            } else {
                path.extension().is_some_and(|e| e == "ttf").then_some(path)
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
}
