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
        let _ = JAPANESE_FOUND.set(japanese.is_some());
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
