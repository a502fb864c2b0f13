//! The `tayori` binary as a person or a script meets it.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn tayori(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tayori"))
        .args(args)
        .env("TAYORI_HOME", home)
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("run tayori")
}

#[test]
fn version_prints_the_package_version() {
    let home = tempfile::tempdir().unwrap();
    let out = tayori(home.path(), &["-V"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("tayori {}", env!("CARGO_PKG_VERSION"))
    );
    // --version adds which app registrations this build carries (tests/providers.rs checks them)
    let out = tayori(home.path(), &["--version"]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    let mut lines = said.lines();
    assert_eq!(
        lines.next(),
        Some(format!("tayori {}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("Microsoft sign-in: ")),
        "{said}"
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("Google sign-in: ")),
        "{said}"
    );
}

#[test]
fn sync_without_an_account_says_how_to_add_one() {
    let home = tempfile::tempdir().unwrap();
    let out = tayori(home.path(), &["sync"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("tayori account add"), "{stderr}");
    assert!(out.stdout.is_empty(), "printed to stdout as if it worked");
    let list = tayori(home.path(), &["list"]);
    assert_eq!(list.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&list.stderr).contains("run `tayori sync`"));
}

#[test]
fn send_from_an_address_with_no_account_fails_and_queues_nothing() {
    let home = tempfile::tempdir().unwrap();
    let out = tayori(
        home.path(),
        &[
            "send",
            "--from",
            "a@example.test",
            "--to",
            "b@example.test",
            "--subject",
            "hi",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("there is no account a@example.test"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing may look like success");
    let out = tayori(home.path(), &["outbox"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("The outbox is empty"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn japanese_locale_gets_japanese_text_first() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tayori"))
        .args(["sync"])
        .env("TAYORI_HOME", home.path())
        .env("LANG", "ja_JP.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("アカウントがまだ設定されていません"),
        "{stderr}"
    );
}

#[test]
fn tayori_home_holds_config_data_cache_and_the_log() {
    let home = tempfile::tempdir().unwrap();
    let _ = tayori(home.path(), &["sync"]);
    for dir in ["config", "data", "cache", "data/logs"] {
        assert!(
            home.path().join(dir).is_dir(),
            "{dir} not created under TAYORI_HOME"
        );
    }
    let logs: Vec<_> = std::fs::read_dir(home.path().join("data/logs"))
        .unwrap()
        .collect();
    assert_eq!(logs.len(), 1, "one log file expected");
    let log = std::fs::read_to_string(logs[0].as_ref().unwrap().path()).unwrap();
    assert!(log.contains("Tayori starting"), "{log}");
    assert!(
        log.contains("tayori sync"),
        "the log records what was asked: {log}"
    );
}

#[test]
fn unknown_arguments_are_rejected_with_usage() {
    let home = tempfile::tempdir().unwrap();
    let out = tayori(home.path(), &["discover"]);
    assert_eq!(out.status.code(), Some(2), "missing EMAIL is a usage error");
    let out = tayori(home.path(), &["discover", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2), "missing EMAIL is a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an email address"));
}

#[test]
fn account_commands_explain_themselves_without_any_account() {
    let home = tempfile::tempdir().unwrap();
    let out = tayori(home.path(), &["account", "list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("No accounts yet"));
    for args in [
        &["account", "remove", "nobody@example.test"][..],
        &["account", "reauth", "nobody@example.test"],
    ] {
        let out = tayori(home.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("there is no account nobody@example.test")
                && stderr.contains("tayori account list"),
            "{stderr}"
        );
    }
}

#[test]
fn a_hostile_mailto_link_is_refused_before_any_window_opens() {
    let home = tempfile::tempdir().unwrap();
    let out = tayori(
        home.path(),
        &["mailto:a@example.org?subject=hi%0D%0ABcc:%20victim@example.org"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line break"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ------------------------------------------------------------------------------------------------
// The command line's own lines in Japanese (issue 14, "the CLI speaks the person's language")
// ------------------------------------------------------------------------------------------------

/// Every English text of the catalog (src/i18n/*.rs, `en: "…"` and the English plural forms),
/// cut at its `{placeholders}` into the fixed words between them.
fn english_catalog_phrases() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/i18n");
    let mut phrases = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let mut rest = source.as_str();
        while let Some(at) = rest.find("en: ") {
            rest = &rest[at + 4..];
            // `en: "…"` for a text, `en: { one: "…", other: "…" }` up to `ja:` for a plural.
            let english = if let Some(literal) = rest.strip_prefix('"') {
                &rest[..literal.find("\",").map_or(rest.len(), |end| end + 2)]
            } else {
                &rest[..rest.find("ja: ").unwrap_or(rest.len())]
            };
            for literal in string_literals(english) {
                for piece in literal.split('{').map(|p| p.rsplit('}').next().unwrap()) {
                    let piece = piece.trim();
                    // A phrase is two or more words; single words ("ok", "Sent.") may be data.
                    let words = piece
                        .split_whitespace()
                        .filter(|w| w.chars().filter(char::is_ascii_alphabetic).count() >= 2)
                        .count();
                    if words >= 2 {
                        phrases.push(piece.to_owned());
                    }
                }
            }
        }
    }
    assert!(phrases.len() > 300, "only {} phrases read", phrases.len());
    phrases
}

/// The string literals in a piece of Rust source (with `\"` and `\n` unescaped).
fn string_literals(source: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => literal.push('\n'),
                    Some(other) => literal.push(other),
                    None => break,
                },
                '"' => break,
                _ => literal.push(c),
            }
        }
        literals.push(literal);
    }
    literals
}

/// `tayori ARGS` for the rig under a Japanese locale; its standard output and error together.
fn japanese(home: &Path, args: &[&str], stdin: Option<&str>) -> (Option<i32>, String) {
    let out = support::run_tayori(home, args, &[("LANG", "ja_JP.UTF-8".as_ref())], stdin);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), said)
}

/// No sentence of Tayori's own English catalog in what a Japanese locale was told. The discovery
/// trace's rows (`·`/`✓`/`✗` and their `→` answers) are left out: what each source was asked and
/// answered is the core's technical record, shown in English as the window's trace shows it.
fn assert_no_english(args: &[&str], said: &str, phrases: &[String]) {
    let said: String = said
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            !["·", "✓", "✗", "→"]
                .iter()
                .any(|mark| line.starts_with(mark))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    for phrase in phrases {
        assert!(
            !said.contains(phrase.as_str()),
            "`tayori {}` under ja_JP said the English {phrase:?}:\n{said}",
            args.join(" ")
        );
    }
}

/// A command (arguments, standard input), what it must say, and its exit status.
type Step<'a> = (Vec<&'a str>, Option<&'a str>, Vec<&'a str>, i32);

#[tokio::test]
async fn the_command_line_speaks_japanese_under_a_japanese_locale() {
    let _ = support::Rig::load();
    let user = "s11@example.test";
    let mut mailbox = support::mailbox::TestMailbox::login(user).await;
    mailbox.reset().await;
    for (index, subject) in ["会議の資料", "来週の予定"].iter().enumerate() {
        let raw = format!(
            "From: 山田 <yamada@example.jp>\r\nTo: {user}\r\nSubject: {subject}\r\n\
             Message-ID: <ja-cli.{index}@example.jp>\r\nDate: Mon, 2 Nov 2026 10:0{index}:00 +0900\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nよろしくお願いします。\r\n"
        );
        mailbox.append("INBOX", raw.as_bytes(), "").await;
    }
    let phrases = english_catalog_phrases();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let password = format!("{}\n", support::mailbox::app_password(user));
    let steps: Vec<Step> = vec![
        (
            vec!["account", "add", user, "--auth", "password"],
            Some(password.as_str()),
            vec![
                "メール サーバーを探しています",
                "確認しています",
                "を追加しました",
            ],
            0,
        ),
        (vec!["account", "list"], None, vec!["パスワード", "正常"], 0),
        (vec!["account", "verify"], None, vec!["正常"], 0),
        (
            vec!["discover", user],
            None,
            vec!["の設定", "受信（IMAP）", "問い合わせ先"],
            0,
        ),
        (
            vec!["sync"],
            None,
            vec!["フォルダー", "新着 2 件", "ダウンロード"],
            0,
        ),
        (
            vec!["list"],
            None,
            vec!["2 件", "未読 2 件", "会議の資料"],
            0,
        ),
        (
            vec!["list", "存在しない"],
            None,
            vec!["フォルダーはありません"],
            1,
        ),
        (vec!["search", "会議"], None, vec!["会議の資料"], 0),
        (
            vec!["search", "zzzzqqq"],
            None,
            vec!["一致するメッセージはありません"],
            1,
        ),
        (
            vec!["show", "999999"],
            None,
            vec!["メッセージ 999999 はありません"],
            1,
        ),
        (
            vec![
                "send",
                "--from",
                user,
                "--to",
                user,
                "--subject",
                "日本語のテスト",
            ],
            Some("本文です。\n"),
            vec!["送信トレイに #", "送信しました", "送信済みフォルダー"],
            0,
        ),
        (
            vec!["outbox", "list", "--all"],
            None,
            vec!["送信済み", "日本語のテスト"],
            0,
        ),
        (vec!["outbox"], None, vec!["送信トレイは空です"], 0),
        // Issue 25: the connections record, with what each host was contacted for, in Japanese
        // (the record keeps codes; the words are the catalog's).
        (
            vec!["account", "connections", user],
            None,
            // One row per host, port and purpose, named by its latest use: the IMAP server's
            // by the copy of the message just sent.
            vec![
                "のための接続",
                "ドメイン自身の設定ファイル",
                "IMAP サーバーの応答確認",
                "メールの送信",
                "送信したメールの控え",
            ],
            0,
        ),
        (vec!["outbox", "flush"], None, vec!["送信トレイは空です"], 0),
        (
            vec!["outbox", "discard", "424242"],
            None,
            vec!["メッセージ 424242 はありません"],
            1,
        ),
        (
            vec![
                "send",
                "--from",
                "nobody@example.test",
                "--to",
                user,
                "--subject",
                "x",
            ],
            Some("x\n"),
            vec!["アカウント nobody@example.test はありません"],
            1,
        ),
        (
            vec!["account", "remove", user],
            None,
            vec!["を削除しました"],
            0,
        ),
        (
            vec!["account", "list"],
            None,
            vec!["アカウントはまだありません"],
            0,
        ),
        (
            vec!["sync"],
            None,
            vec!["アカウントがまだ設定されていません"],
            1,
        ),
    ];
    for (args, stdin, expected, status) in steps {
        let (code, said) = japanese(home, &args, stdin);
        assert_eq!(code, Some(status), "`tayori {}`:\n{said}", args.join(" "));
        for words in expected {
            assert!(
                said.contains(words),
                "`tayori {}` did not say {words:?}:\n{said}",
                args.join(" ")
            );
        }
        // `tayori sync` without an account says it in English too, for a web search; the rest
        // speaks Japanese only.
        if args != ["sync"] || status == 0 {
            assert_no_english(&args, &said, &phrases);
        }
        // The words the record's first version stored in English, whatever the language.
        if args.get(1) == Some(&"connections") {
            for english in [
                "IMAP sync",
                "SMTP (sending)",
                "account check",
                "copy of sent mail",
            ] {
                assert!(!said.contains(english), "{english:?} under ja_JP:\n{said}");
            }
        }
    }
}
