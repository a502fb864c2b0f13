//! Draws every character Japanese mail uses through the window's own text engine and checks that
//! each one takes its own place: JIS X 0208 (symbols, full-width digits and letters, kana, the 6,355
//! kanji of levels 1 and 2), the Windows (NEC/IBM) extensions that Japanese mail also carries, the
//! half-width katakana, and the combining voiced sound marks on their kana.
//!
//! The font system is built as the window builds its own: the same font database (iced's, with the
//! system's fonts), the same locale, set up by [`super::configure`] for each language, drawn with
//! [`super::Choice::regular`] and [`super::Choice::bold`] through iced's own conversions (font to
//! attributes, shaping). Each character is drawn twice:
//! - first thing in a freshly made font system (fresh shaping caches), as the first text a window
//!   draws: `背` collapsed exactly there;
//! - in running text, each JIS row as one line in one font system, as a message body is drawn.
//!
//! A spacing character must be drawn with a real glyph (not the missing-glyph box), from the window's
//! family or its Japanese family whenever one of them has it (never a Chinese or Korean face picked
//! by chance), with a positive advance, and its ink must not reach into its right-hand neighbour's
//! (more than a tenth of an em: Γ's bar and box-drawing lines reach a little by design). A combining
//! mark must be attached to its base: composed with it, or drawn with no advance and its ink within
//! the base's box. Characters the shaper puts in one cluster (ﾊﾞ, or ―― drawn as one long dash)
//! keep an advance each, or are drawn as one glyph that takes their place.
//!
//! Run alone with `cargo test --bin tayori glyph_test -- --nocapture` to read the counts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use iced::advanced::graphics::text::{cosmic_text, font_system, to_attributes, to_shaping};
use iced::advanced::text::Shaping;
use tayori::i18n::Lang;

use super::{Choice, configure};

/// Large enough that a fraction of a pixel is a fraction of a percent of a glyph.
const SIZE: f32 = 32.0;
/// How far a combining mark's ink may reach past its base's box.
const INK_TOLERANCE: f32 = 0.25;

/// One character to draw, and where it comes from (for the failure list).
#[derive(Debug, Clone)]
struct Sample {
    text: String,
    origin: String,
    group: Group,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    /// JIS X 0208 rows 1–8: symbols, full-width digits and Latin letters, kana, Greek, Cyrillic,
    /// box drawing.
    NonKanji,
    /// JIS X 0208 rows 16–47.
    KanjiLevel1,
    /// JIS X 0208 rows 48–84.
    KanjiLevel2,
    /// Row 13 (NEC special characters: ①, Ⅰ, ㈱ …) and rows 89–92 (NEC-selected IBM kanji: 髙,
    /// 﨑 …), which Windows writes into Japanese mail.
    WindowsExtensions,
    /// U+FF61–U+FF9F.
    HalfWidthKatakana,
    /// A kana followed by U+3099 or U+309A (decomposed text, as macOS writes file names).
    CombiningMarks,
}

/// Every two-byte EUC-JP code, decoded (EUC-JP's two-byte codes are JIS X 0208 row/cell plus
/// 0xA0), and the half-width katakana (EUC-JP's 0x8E single shift), from the WHATWG table that
/// `encoding_rs` implements.
fn japanese_mail_characters() -> Vec<Sample> {
    let mut samples = Vec::new();
    for lead in 0xA1u8..=0xFE {
        for trail in 0xA1u8..=0xFE {
            let code = [lead, trail];
            let Some(text) =
                encoding_rs::EUC_JP.decode_without_bom_handling_and_without_replacement(&code)
            else {
                continue;
            };
            let (row, cell) = (lead - 0xA0, trail - 0xA0);
            let group = match row {
                1..=8 => Group::NonKanji,
                16..=47 => Group::KanjiLevel1,
                48..=84 => Group::KanjiLevel2,
                13 | 89..=92 => Group::WindowsExtensions,
                _ => panic!("EUC-JP row {row} decoded to {text:?}: not a row this test knows"),
            };
            samples.push(Sample {
                text: text.into_owned(),
                origin: format!("JIS {row:02}-{cell:02}"),
                group,
            });
        }
    }
    for trail in 0xA1u8..=0xDF {
        let code = [0x8E, trail];
        let text = encoding_rs::EUC_JP
            .decode_without_bom_handling_and_without_replacement(&code)
            .expect("every half-width katakana decodes");
        samples.push(Sample {
            text: text.into_owned(),
            origin: format!("EUC-JP 8E {trail:02X}"),
            group: Group::HalfWidthKatakana,
        });
    }
    // Every kana that takes a voiced (or semi-voiced) sound mark, written decomposed.
    let voiced = "かきくけこさしすせそたちつてとはひふへほうカキクケコサシスセソタチツテトハヒフヘホウワヰヱヲ";
    let semi_voiced = "はひふへほハヒフヘホ";
    for (bases, mark) in [(voiced, '\u{3099}'), (semi_voiced, '\u{309A}')] {
        for base in bases.chars() {
            samples.push(Sample {
                text: format!("{base}{mark}"),
                origin: format!("U+{:04X} U+{:04X}", base as u32, mark as u32),
                group: Group::CombiningMarks,
            });
        }
    }
    samples
}

/// One drawn glyph: where it is, how wide, which face, and its ink (left, right) on the line.
#[derive(Debug, Clone)]
struct Drawn {
    start: usize,
    end: usize,
    x: f32,
    advance: f32,
    glyph: u16,
    face: String,
    ink: Option<(f32, f32)>,
}

/// Lays `text` out on one line and measures each glyph's ink from its outline.
fn draw(
    system: &mut cosmic_text::FontSystem,
    scaler: &mut swash::scale::ScaleContext,
    text: &str,
    font: iced::Font,
) -> Vec<Drawn> {
    let mut buffer = cosmic_text::Buffer::new(system, cosmic_text::Metrics::new(SIZE, SIZE * 1.3));
    buffer.set_size(system, None, None);
    buffer.set_text(
        system,
        text,
        &to_attributes(font),
        to_shaping(Shaping::default(), text),
        None,
    );
    buffer.shape_until_scroll(system, false);
    let glyphs: Vec<cosmic_text::LayoutGlyph> = buffer
        .layout_runs()
        .flat_map(|run| run.glyphs.iter().cloned())
        .collect();
    glyphs
        .into_iter()
        .map(|glyph| {
            let face = system
                .db()
                .face(glyph.font_id)
                .and_then(|face| face.families.first())
                .map(|(name, _)| name.clone())
                .unwrap_or_default();
            let ink = system
                .get_font(glyph.font_id, glyph.font_weight)
                .and_then(|font| {
                    let mut scaler = scaler
                        .builder(font.as_swash())
                        .size(glyph.font_size)
                        .build();
                    scaler.scale_outline(glyph.glyph_id)
                })
                .map(|outline| outline.bounds())
                .filter(|bounds| bounds.max.x > bounds.min.x)
                .map(|bounds| {
                    let origin = glyph.x + glyph.x_offset * glyph.font_size;
                    (origin + bounds.min.x, origin + bounds.max.x)
                });
            Drawn {
                start: glyph.start,
                end: glyph.end,
                x: glyph.x,
                advance: glyph.w,
                glyph: glyph.glyph_id,
                face,
                ink,
            }
        })
        .collect()
}

/// One way the window draws: a language's choice, regular or bold.
struct Setup {
    name: String,
    lang: Lang,
    font: iced::Font,
    /// The window's family and its Japanese family.
    families: Vec<&'static str>,
}

/// The characters the setup's families have (a character neither has may come from any face).
fn covered_by(system: &mut cosmic_text::FontSystem, families: &[&str]) -> BTreeSet<u32> {
    let ids: Vec<_> = system
        .db()
        .faces()
        .filter(|face| {
            face.families
                .iter()
                .any(|(name, _)| families.iter().any(|f| name.eq_ignore_ascii_case(f)))
        })
        .map(|face| (face.id, face.weight))
        .collect();
    let fonts: Vec<_> = ids
        .into_iter()
        .filter_map(|(id, weight)| system.get_font(id, weight))
        .collect();
    let mut covered = BTreeSet::new();
    for font in &fonts {
        font.as_swash().charmap().enumerate(|code, _| {
            covered.insert(code);
        });
    }
    covered
}

/// How far a glyph's ink may reach into its neighbour's: designs do reach a little (the bar of Γ,
/// box-drawing lines that join up); a collapsed glyph covers its neighbour whole.
const OVERLAP_LIMIT_EM: f32 = 0.1;

/// A cluster: the glyphs the shaper drew for one stretch of text (usually one character; two for a
/// half-width kana and its half-width sound mark, or a ligature such as ―― drawn as one dash).
struct Cluster<'a> {
    start: usize,
    end: usize,
    glyphs: Vec<&'a Drawn>,
}

fn clusters(drawn: &[Drawn]) -> Vec<Cluster<'_>> {
    let mut clusters: Vec<Cluster<'_>> = Vec::new();
    for glyph in drawn {
        match clusters.last_mut() {
            Some(last) if last.start == glyph.start && last.end == glyph.end => {
                last.glyphs.push(glyph)
            }
            _ => clusters.push(Cluster {
                start: glyph.start,
                end: glyph.end,
                glyphs: vec![glyph],
            }),
        }
    }
    clusters
}

/// What is wrong with a cluster holding `samples` (indexes into `all`), if anything.
fn check_cluster(
    cluster: &Cluster<'_>,
    samples: &[usize],
    all: &[Sample],
    setup: &Setup,
    covered: &BTreeSet<u32>,
) -> Option<String> {
    let glyphs = &cluster.glyphs;
    if let Some(missing) = glyphs.iter().find(|g| g.glyph == 0) {
        return Some(format!("missing-glyph box from {}", missing.face));
    }
    let in_families = |g: &&Drawn| {
        setup
            .families
            .iter()
            .any(|f| g.face.eq_ignore_ascii_case(f))
    };
    let all_covered = samples
        .iter()
        .flat_map(|&i| all[i].text.chars())
        .all(|c| covered.contains(&(c as u32)));
    if all_covered && let Some(other) = glyphs.iter().find(|g| !in_families(g)) {
        return Some(format!(
            "drawn in {}, though {} has it",
            other.face,
            setup.families.join(" / ")
        ));
    }
    let spacing = glyphs.iter().filter(|g| g.advance > 0.0).count();
    if samples.len() > 1 {
        // Several characters in one cluster: each keeps its own advance, or the font drew the
        // sequence as one glyph (a ligature) that takes their place.
        let ligature = glyphs.len() < samples.len() && spacing > 0;
        if spacing < samples.len() && !ligature {
            return Some(format!(
                "{} characters in one cluster, {spacing} with an advance",
                samples.len()
            ));
        }
        return None;
    }
    let sample = &all[samples[0]];
    let first = glyphs[0];
    if sample.group == Group::CombiningMarks && glyphs.len() > 1 {
        // Base and mark apart: the mark has no advance and its ink sits on the base.
        let left = first.x - INK_TOLERANCE;
        let right = first.x + first.advance + INK_TOLERANCE;
        for mark in &glyphs[1..] {
            if mark.advance != 0.0 {
                return Some(format!("the mark has an advance of {:.2}", mark.advance));
            }
            match mark.ink {
                Some((l, r)) if l >= left && r <= right => {}
                Some((l, r)) => {
                    return Some(format!(
                        "the mark's ink {l:.1}..{r:.1} is off its base {left:.1}..{right:.1}"
                    ));
                }
                None => return Some("the mark has no ink".into()),
            }
        }
    }
    if spacing == 0 {
        let advance: f32 = glyphs.iter().map(|g| g.advance).sum();
        return Some(format!("advance {advance:.2}"));
    }
    None
}

/// Draws `texts` side by side on one line and returns, per text, what is wrong with it.
fn check_line(
    system: &mut cosmic_text::FontSystem,
    scaler: &mut swash::scale::ScaleContext,
    indexes: &[usize],
    all: &[Sample],
    setup: &Setup,
    covered: &BTreeSet<u32>,
) -> Vec<(usize, String)> {
    let mut line = String::new();
    let mut ranges = Vec::new();
    for &index in indexes {
        let from = line.len();
        line.push_str(&all[index].text);
        ranges.push((from, line.len(), index));
    }
    let drawn = draw(system, scaler, &line, setup.font);
    let mut failures = Vec::new();
    let sample_at = |byte: usize| {
        ranges
            .iter()
            .find(|(from, to, _)| (*from..*to).contains(&byte))
            .map(|r| r.2)
    };
    let clusters = clusters(&drawn);
    let mut seen = BTreeSet::new();
    for cluster in &clusters {
        let samples: Vec<usize> = ranges
            .iter()
            .filter(|(from, to, _)| *from >= cluster.start && *to <= cluster.end)
            .map(|r| r.2)
            .collect();
        seen.extend(samples.iter().copied());
        if samples.is_empty() {
            // A cluster inside one sample (a base and its mark drawn as two clusters).
            continue;
        }
        if let Some(why) = check_cluster(cluster, &samples, all, setup, covered) {
            failures.extend(samples.iter().map(|&i| (i, why.clone())));
        }
    }
    failures.extend(
        indexes
            .iter()
            .filter(|i| !seen.contains(i))
            .map(|&i| (i, "nothing drawn".to_owned())),
    );
    // Neighbours: each spacing glyph's ink against the next spacing glyph's.
    let spacing: Vec<&Drawn> = drawn.iter().filter(|g| g.advance > 0.0).collect();
    for pair in spacing.windows(2) {
        let (Some((_, left_end)), Some((right_start, _))) = (pair[0].ink, pair[1].ink) else {
            continue;
        };
        let reach = left_end - right_start;
        if reach > OVERLAP_LIMIT_EM * SIZE
            && let Some(index) = sample_at(pair[0].start)
        {
            failures.push((
                index,
                format!("its ink reaches {reach:.1} px into the next character's"),
            ));
        }
    }
    failures
}

/// The whole check for one setup; returns (checked, failures).
fn check_setup(
    setup: &Setup,
    samples: &[Sample],
    locale: &str,
    db: &cosmic_text::fontdb::Database,
) -> (usize, Vec<String>) {
    let mut scaler = swash::scale::ScaleContext::new();
    let window_like = || {
        let mut system =
            cosmic_text::FontSystem::new_with_locale_and_db(locale.to_owned(), db.clone());
        configure(&mut system, setup.lang);
        system
    };
    let covered = covered_by(&mut window_like(), &setup.families);
    assert!(
        covered.contains(&('背' as u32)) && covered.contains(&('A' as u32)),
        "the window's families ({:?}) were not found in the font database",
        setup.families
    );
    let mut failures = BTreeMap::<usize, String>::new();

    // 1. Each character the first thing drawn (twice side by side, so it has a neighbour).
    for index in 0..samples.len() {
        let mut system = window_like();
        for (i, why) in check_line(
            &mut system,
            &mut scaler,
            &[index, index],
            samples,
            setup,
            &covered,
        ) {
            failures.entry(i).or_insert(format!("{why} (drawn first)"));
        }
    }

    // 2. Running text: the samples of one group, 40 to a line, in one font system.
    let mut system = window_like();
    let mut start = 0;
    while start < samples.len() {
        let group = samples[start].group;
        let end = (start..samples.len())
            .take(40)
            .take_while(|&i| samples[i].group == group)
            .last()
            .map_or(start + 1, |last| last + 1);
        let indexes: Vec<usize> = (start..end).collect();
        for (i, why) in check_line(&mut system, &mut scaler, &indexes, samples, setup, &covered) {
            failures
                .entry(i)
                .or_insert(format!("{why} (in running text)"));
        }
        start = end;
    }

    let list = failures
        .into_iter()
        .map(|(index, why)| {
            let sample = &samples[index];
            let code = sample
                .text
                .chars()
                .map(|c| format!("U+{:04X}", c as u32))
                .collect::<Vec<_>>()
                .join(" ");
            format!(
                "{} {} {code} ({:?}, {}): {why}",
                setup.name, sample.text, sample.group, sample.origin
            )
        })
        .collect();
    (samples.len(), list)
}

#[test]
fn every_character_of_japanese_mail_takes_its_own_place() {
    let samples = japanese_mail_characters();
    let mut per_group = BTreeMap::<Group, usize>::new();
    for sample in &samples {
        *per_group.entry(sample.group).or_default() += 1;
    }
    // The table is JIS X 0208's: 524 non-kanji, 2,965 + 3,390 kanji.
    assert_eq!(per_group[&Group::NonKanji], 524, "{per_group:?}");
    assert_eq!(per_group[&Group::KanjiLevel1], 2965, "{per_group:?}");
    assert_eq!(per_group[&Group::KanjiLevel2], 3390, "{per_group:?}");
    assert_eq!(per_group[&Group::HalfWidthKatakana], 63, "{per_group:?}");

    // The window's own font database and locale (iced's font system, as the window starts it).
    let (locale, db) = {
        let mut system = font_system().write().unwrap_or_else(|p| p.into_inner());
        (system.raw().locale().to_owned(), system.raw().db().clone())
    };
    let mut setups = Vec::new();
    for lang in [Lang::Ja, Lang::En] {
        let mut system =
            cosmic_text::FontSystem::new_with_locale_and_db(locale.clone(), db.clone());
        let choice: Choice = configure(&mut system, lang);
        assert!(
            choice.japanese.is_some(),
            "no Japanese font installed (tests/run.sh installs fonts-noto-cjk)"
        );
        let mut families: Vec<&'static str> =
            choice.window.into_iter().chain(choice.japanese).collect();
        families.dedup();
        for (weight, font) in [("regular", choice.regular()), ("bold", choice.bold())] {
            setups.push(Setup {
                name: format!(
                    "[{lang:?} {weight}: {}]",
                    choice.window.unwrap_or("default")
                ),
                lang,
                font,
                families: families.clone(),
            });
        }
    }

    let mut report = String::new();
    let mut all_failures = Vec::new();
    for setup in &setups {
        let started = std::time::Instant::now();
        let (checked, failures) = check_setup(setup, &samples, &locale, &db);
        let _ = writeln!(
            report,
            "{}: {checked} characters checked ({}), {} failed, in {:.1?}",
            setup.name,
            per_group
                .iter()
                .map(|(group, n)| format!("{group:?} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            failures.len(),
            started.elapsed()
        );
        all_failures.extend(failures);
    }
    println!("{report}");
    for failure in all_failures.iter().take(200) {
        println!("FAIL {failure}");
    }
    if all_failures.len() > 200 {
        println!("… and {} more", all_failures.len() - 200);
    }
    let list = std::env::temp_dir().join("japanese-glyph-failures.txt");
    let _ = std::fs::write(&list, all_failures.join("\n"));
    assert!(
        all_failures.is_empty(),
        "{} characters are not drawn right (all listed in {}):\n{report}",
        all_failures.len(),
        list.display()
    );
}
