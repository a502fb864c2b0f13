//! The `tayori` binary as a person or a script meets it.

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
