use std::path::Path;

use super::*;

#[test]
fn locale_tags_pick_the_language() {
    for tag in ["ja_JP.UTF-8", "ja-JP", "ja", "JA_jp", "ja_JP@euro"] {
        assert_eq!(Lang::from_locale_tag(tag), Lang::Ja, "{tag}");
    }
    for tag in ["en_US.UTF-8", "en-GB", "C", "POSIX", "de_DE", "", "jam"] {
        assert_eq!(Lang::from_locale_tag(tag), Lang::En, "{tag}");
    }
}

/// Texts that are the same in both languages on purpose (technical names).
const SAME_IN_BOTH: [Text; 1] = [Text::EncryptionTls];
/// Japanese texts written in Latin letters on purpose: the language switch names English in
/// English; an example address is an address; "CC" is what Japanese mail programs show.
const LATIN_IN_JAPANESE: [Text; 4] = [
    Text::SwitchLanguage,
    Text::EmailPlaceholder,
    Text::HeaderCc,
    Text::HeaderBcc,
];

/// Checks one English/Japanese pair; `name` says which text (and form) it is.
fn check_pair(name: &str, en: &str, ja: &str, same_allowed: bool, latin_allowed: bool) {
    assert!(!en.trim().is_empty(), "{name} has no English text");
    assert!(!ja.trim().is_empty(), "{name} has no Japanese text");
    if !same_allowed {
        assert_ne!(en, ja, "{name} is untranslated");
    }
    if !same_allowed && !latin_allowed {
        assert!(
            !ja.is_ascii(),
            "{name}: the Japanese text has no Japanese in it: {ja}"
        );
    }
    assert_eq!(
        placeholders(en),
        placeholders(ja),
        "{name}: the two languages fill in different values"
    );
}

#[test]
fn every_text_is_translated_with_the_same_placeholders() {
    let mut checked = 0;
    for key in Text::all() {
        check_pair(
            &format!("{key:?}"),
            Lang::En.text(key),
            Lang::Ja.text(key),
            SAME_IN_BOTH.contains(&key),
            LATIN_IN_JAPANESE.contains(&key),
        );
        assert!(
            !placeholders(Lang::En.text(key)).contains(&"count"),
            "{key:?} takes a {{count}}: it belongs under `plurals`"
        );
        checked += 1;
    }
    assert!(checked > 100, "only {checked} texts were checked");
    let mut plurals = 0;
    for key in Plural::all() {
        // English "one" and "other", each against the one Japanese form.
        for count in [1, 2] {
            let (en, ja) = (
                Lang::En.plural_template(key, count),
                Lang::Ja.plural_template(key, count),
            );
            check_pair(&format!("{key:?} ({count})"), en, ja, false, false);
            assert!(
                placeholders(en).contains(&"count"),
                "{key:?}: the form for {count} does not show the count: {en}"
            );
        }
        plurals += 1;
    }
    assert!(plurals >= 10, "only {plurals} plurals were checked");
}

#[test]
fn placeholders_are_filled_by_name() {
    let ja = Lang::Ja.text(Text::TrustBody);
    assert_eq!(placeholders(ja), ["domain", "domains", "email", "reason"]);
    let filled = fill(
        ja,
        &[
            ("email", "a@corp.test"),
            ("domains", "hoster.test"),
            ("domain", "corp.test"),
            ("reason", "MX"),
        ],
    );
    assert!(!filled.contains('{'), "{filled}");
    assert!(filled.contains("hoster.test を指しています"), "{filled}");
}

#[test]
fn the_compile_time_placeholder_check_reads_placeholders_as_the_runtime_does() {
    assert!(same_placeholders("{a} and {b}", "{b}、{a}、{a}"));
    assert!(!same_placeholders("{a} and {b}", "{a}"));
    assert!(!same_placeholders("{a}", "{a} {b}"));
    // Not placeholders: empty, upper case, unclosed.
    assert!(same_placeholders("{} {A} {open", "none"));
    assert!(contains("{count}件", "{count}"));
    assert!(!contains("{counts}", "{count}"));
}

#[test]
fn english_counts_one_and_other_japanese_counts_the_same_way_for_all() {
    let cases = [
        (Lang::En, 0, "0 messages"),
        (Lang::En, 1, "1 message"),
        (Lang::En, 2, "2 messages"),
        (Lang::Ja, 0, "0 件"),
        (Lang::Ja, 1, "1 件"),
        (Lang::Ja, 2, "2 件"),
    ];
    for (lang, count, expected) in cases {
        assert_eq!(lang.plural(Plural::StatusMessages, count), expected);
    }
    assert_eq!(Lang::En.plural(Plural::AttachmentBytes, 1), "1 byte");
    assert_eq!(Lang::En.plural(Plural::AttachmentBytes, 1024), "1024 bytes");
    assert_eq!(Lang::En.plural(Plural::SyncWindowDays, 1), "The last 1 day");
    assert_eq!(
        Lang::En.plural(Plural::SyncWindowDays, 30),
        "The last 30 days"
    );
    assert_eq!(Lang::Ja.plural(Plural::SyncWindowDays, 1), "過去 1 日間");
    assert_eq!(Lang::En.plural(Plural::OutboxAttempts, 0), "0 attempts");
    assert_eq!(Lang::En.plural(Plural::OutboxAttempts, 1), "1 attempt");
    assert_eq!(Lang::Ja.plural(Plural::OutboxAttempts, 2), "2 回試行");
}

#[test]
fn a_plural_leaves_its_other_placeholders_to_fill() {
    let search = |lang: Lang, count| {
        fill(
            &lang.plural(Plural::SearchCount, count),
            &[("query", "請求書")],
        )
    };
    assert_eq!(search(Lang::En, 0), "0 messages match “請求書”");
    assert_eq!(search(Lang::En, 1), "1 message matches “請求書”");
    assert_eq!(search(Lang::En, 2), "2 messages match “請求書”");
    for count in [0, 1, 2] {
        assert_eq!(
            search(Lang::Ja, count),
            format!("「請求書」に一致するメッセージ: {count} 件")
        );
    }
    let new_mail = fill(
        &Lang::En.plural(Plural::NewMailCount, 1),
        &[("email", "a@example.test")],
    );
    assert_eq!(new_mail, "1 new message for a@example.test");
}

#[test]
fn every_plural_fills_its_count_in_both_languages() {
    for key in Plural::all() {
        for lang in [Lang::En, Lang::Ja] {
            for count in [0, 1, 2] {
                let text = lang.plural(key, count);
                assert!(
                    text.contains(&count.to_string()) && !text.contains("{count}"),
                    "{key:?} in {lang:?} for {count}: {text}"
                );
            }
        }
        // Japanese has one form; English "1" differs from "2" only where the words inflect.
        assert_eq!(
            Lang::Ja.plural_template(key, 1),
            Lang::Ja.plural_template(key, 2)
        );
    }
}

/// Every `.rs` file under `dir`, except those under `skip`, appended to `code`.
fn read_sources(dir: &Path, skip: &Path, code: &mut String) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.starts_with(skip) {
            continue;
        }
        if path.is_dir() {
            read_sources(&path, skip, code);
        } else if path.extension().is_some_and(|e| e == "rs") {
            code.push_str(&std::fs::read_to_string(&path).expect("a readable source file"));
            code.push('\n');
        }
    }
}

/// Whether `code` names `path` (`Text::Reply`) as a whole word (not `Text::ReplyAll`).
fn names(code: &str, path: &str) -> bool {
    code.match_indices(path).any(|(at, found)| {
        !code[at + found.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    })
}

/// A key no code names is a text nobody sees: it is deleted, not kept "for later". Code names a key
/// as `Text::Name` or `Plural::Name` (the catalog's keys are associated constants, so there is no
/// glob import that could hide a use); the catalog's own files, `src/i18n/`, do not count.
#[test]
fn every_key_is_used() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut code = String::new();
    read_sources(&src, &src.join("i18n"), &mut code);
    assert!(
        names(&code, "Text::AppName"),
        "the scan read no code that uses the catalog"
    );
    let unused: Vec<String> = Text::all()
        .map(|key| format!("Text::{key:?}"))
        .chain(Plural::all().map(|key| format!("Plural::{key:?}")))
        .filter(|path| !names(&code, path))
        .collect();
    assert!(
        unused.is_empty(),
        "keys that no code outside src/i18n/ uses; delete them from the catalog: {unused:?}"
    );
}

#[test]
fn a_key_is_named_as_a_whole_word() {
    assert!(names("lang.text(Text::Reply)", "Text::Reply"));
    assert!(!names("lang.text(Text::ReplyAll)", "Text::Reply"));
    assert!(!names("Text::Reply_x", "Text::Reply"));
}
