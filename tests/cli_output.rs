//! The command line as scripts and terminals use it, over a local store written through the store's
//! own API (no server needed): a closed pipe ends `list`/`search` quietly, folder arguments resolve
//! by name, then by role (in English and Japanese), then case-insensitively, and nothing from a
//! message can reach the terminal as a control sequence.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use tayori::store::{Flags, FolderRole, NewBody, NewEnvelope, Store};

const ACCOUNT: &str = "cli-output@example.test";

fn message(uid: u32, from: &str, subject: &str, body: &str) -> (NewEnvelope, NewBody) {
    let raw = format!(
        "From: {from}\r\nTo: {ACCOUNT}\r\nSubject: {subject}\r\n\
         Message-ID: <cli{uid}@example.test>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    let header_end = raw.find("\r\n\r\n").unwrap() + 4;
    (
        NewEnvelope {
            server_identity: None,
            uid,
            flags: Flags::default(),
            keywords: vec![],
            modseq: Some(1),
            internal_date: None,
            size: raw.len() as u32,
            header: raw.as_bytes()[..header_end].to_vec(),
        },
        NewBody {
            uid,
            raw: raw.into_bytes(),
        },
    )
}

/// RFC 2047 base64 encoded word: how control characters reach a header past any 7-bit check.
fn encoded(text: &str) -> String {
    use base64::Engine;
    format!(
        "=?utf-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// A TAYORI_HOME whose store holds the folders of a classic `INBOX.`-prefixed server (Cyrus,
/// Courier) with their roles, `count` plain messages in INBOX and one hostile message.
fn home_with_store(count: u32) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let paths = tayori::config::Paths::under(home.path());
    paths.create_all().unwrap();
    let mut store = Store::open(&Store::path_in(&paths)).unwrap();
    let account = store.account_id(ACCOUNT).unwrap();
    let folder = |name: &str, role| (name.to_owned(), Some(".".to_owned()), role, true);
    store
        .set_folder_list(
            account,
            &[
                folder("INBOX", Some(FolderRole::Inbox)),
                folder("INBOX.Sent", Some(FolderRole::Sent)),
                folder("INBOX.Drafts", Some(FolderRole::Drafts)),
                folder("INBOX.Trash", Some(FolderRole::Trash)),
                folder("INBOX.Junk", Some(FolderRole::Junk)),
                folder("INBOX.Archive", Some(FolderRole::Archive)),
                folder("INBOX.Projects", None),
            ],
        )
        .unwrap();
    let states = store.folder_states(account).unwrap();
    for (index, state) in states.iter().enumerate() {
        store
            .set_folder_state(state.id, 100 + index as u32, Some(1), Some(1), true)
            .unwrap();
        let mut messages: Vec<_> = if state.name == "INBOX" {
            (1..=count)
                .map(|uid| {
                    message(
                        uid,
                        "Taro <taro@example.jp>",
                        &format!("Pipe test message number {uid} with a long enough subject line"),
                        "plain words",
                    )
                })
                .collect()
        } else {
            vec![message(
                1,
                "Taro <taro@example.jp>",
                &format!("the only message in {}", state.name),
                "plain words",
            )]
        };
        if state.name == "INBOX" {
            // OSC 52 (writes the terminal's clipboard), CSI colour, a C1 CSI, BEL and a backspace.
            messages.push(message(
                count + 1,
                &format!("{} <evil@example.test>", encoded("Evil\u{1b}[31mRed")),
                &encoded("Hostile \u{1b}]52;c;SGVsbG8=\u{7} clipboard \u{9b}2J\u{8} subject"),
                "Body \u{1b}]52;c;SGVsbG8=\u{7} and \u{1b}[2J clear \u{9b}31m end",
            ));
        }
        let envelopes: Vec<_> = messages.iter().map(|(e, _)| e.clone()).collect();
        let bodies: Vec<_> = messages.iter().map(|(_, b)| b.clone()).collect();
        store.add_envelopes(state.id, &envelopes).unwrap();
        store.add_bodies(state.id, &bodies).unwrap();
    }
    home
}

fn tayori(home: &Path, args: &[&str]) -> Output {
    support::run_tayori(home, args, &[], None)
}

/// Runs tayori with its standard output going into a pipe whose reading end is already closed, as
/// with `tayori list | head -1` once head has read its line.
fn into_closed_pipe(home: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_tayori"))
        .args(args)
        .env("TAYORI_HOME", home)
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn list_and_search_into_a_closed_pipe_end_quietly() {
    let home = home_with_store(3000);
    for args in [
        &["list", "--limit", "3000"][..],
        &["search", "pipe"][..],
        &["show", "1"][..],
    ] {
        let out = into_closed_pipe(home.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "tayori {args:?} | head: {:?}, stderr: {stderr}",
            out.status
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "tayori {args:?}: {stderr}"
        );
    }
}

/// Folder arguments: the exact name, else the role's name (English or Japanese, any case), else
/// the name in any case; the role beats a case-insensitive match of another folder.
#[test]
fn folder_arguments_resolve_by_name_then_role_then_case() {
    let home = home_with_store(2);
    for (typed, folder) in [
        ("INBOX.Sent", "INBOX.Sent"),
        ("Sent", "INBOX.Sent"),
        ("sent", "INBOX.Sent"),
        ("送信済み", "INBOX.Sent"),
        ("Drafts", "INBOX.Drafts"),
        ("下書き", "INBOX.Drafts"),
        ("Trash", "INBOX.Trash"),
        ("ごみ箱", "INBOX.Trash"),
        ("Junk", "INBOX.Junk"),
        ("迷惑メール", "INBOX.Junk"),
        ("Archive", "INBOX.Archive"),
        ("アーカイブ", "INBOX.Archive"),
        ("inbox", "INBOX"),
        ("inbox.projects", "INBOX.Projects"),
    ] {
        let out = tayori(home.path(), &["list", typed]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "tayori list {typed}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let first = stdout.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("{ACCOUNT} {folder} ")),
            "tayori list {typed} should show {folder}: {first}"
        );
    }
    let out = tayori(home.path(), &["list", "Nonexistent"]);
    assert!(!out.status.success());
}

/// Nothing from a message reaches the terminal as a control sequence: ESC, BEL, backspace and the
/// C1 controls are shown escaped in `list`, `search` and `show`.
#[test]
fn control_characters_from_mail_never_reach_the_terminal() {
    let home = home_with_store(2);
    let hostile = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        text.chars()
            .find(|c| {
                (c.is_control() && *c != '\n' && *c != '\t') || ('\u{80}'..='\u{9f}').contains(c)
            })
            .map(|c| format!("U+{:04X}", c as u32))
    };
    let list = tayori(home.path(), &["list"]);
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(text.contains("Hostile"), "{text}");
    let id = text
        .lines()
        .find(|l| l.contains("Hostile"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    for args in [
        &["list"][..],
        &["search", "hostile"][..],
        &["show", &id][..],
    ] {
        let out = tayori(home.path(), args);
        assert!(out.status.success(), "{args:?}");
        assert_eq!(
            hostile(&out.stdout),
            None,
            "tayori {args:?} printed a control character:\n{}",
            String::from_utf8_lossy(&out.stdout).escape_debug()
        );
    }
}
