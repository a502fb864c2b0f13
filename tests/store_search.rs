//! What a person types into search is words, not FTS5 syntax: quotes, `*`, `NEAR`, `-`, parentheses,
//! column filters and unbalanced quotes go through `Store::search` on a real SQLite file and neither
//! fail nor change what is found (every typed word must match, by word prefix).

use tayori::store::{Flags, FolderRole, NewBody, NewEnvelope, Store};

fn message(uid: u32, subject: &str, body: &str) -> (NewEnvelope, NewBody) {
    let raw = format!(
        "From: Taro <taro@example.jp>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <fts{uid}@example.jp>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n\
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

fn store_with_mail() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("mail.sqlite3")).unwrap();
    let account = store.account_id("alice@example.test").unwrap();
    store
        .set_folder_list(
            account,
            &[(
                "INBOX".into(),
                Some("/".into()),
                Some(FolderRole::Inbox),
                true,
            )],
        )
        .unwrap();
    let inbox = store.folder_states(account).unwrap()[0].id;
    store
        .set_folder_state(inbox, 1, Some(10), Some(1), true)
        .unwrap();
    let messages = [
        message(1, "Quarterly budget", "The budget report for Q3."),
        message(
            2,
            "Draft near final",
            "This draft is NEAR the final version.",
        ),
        message(3, "subject: hello", "hello world from the subject line"),
        message(4, "会議室の予約", "明日の会議室を予約しました。"),
        message(5, "Parenthesis (note)", "see note (a) and note (b) or not"),
    ];
    let envelopes: Vec<_> = messages.iter().map(|(e, _)| e.clone()).collect();
    let bodies: Vec<_> = messages.iter().map(|(_, b)| b.clone()).collect();
    store.add_envelopes(inbox, &envelopes).unwrap();
    store.add_bodies(inbox, &bodies).unwrap();
    (dir, store)
}

fn found(store: &Store, typed: &str) -> Vec<String> {
    let mut subjects: Vec<String> = store
        .search(typed, 50)
        .unwrap_or_else(|e| panic!("searching {typed:?} failed: {e}"))
        .into_iter()
        .map(|m| m.subject)
        .collect();
    subjects.sort();
    subjects
}

#[test]
fn fts_syntax_typed_by_a_person_is_searched_as_words() {
    let (_dir, store) = store_with_mail();
    let budget = vec!["Quarterly budget".to_owned()];
    let draft = vec!["Draft near final".to_owned()];
    let hello = vec!["subject: hello".to_owned()];
    let note = vec!["Parenthesis (note)".to_owned()];
    let cases: &[(&str, &Vec<String>)] = &[
        ("budget", &budget),
        ("\"budget", &budget), // an unbalanced quote
        ("budget\"", &budget),
        ("\"budget report\"", &budget), // a phrase: both words
        ("budg*", &budget),             // a star is not FTS5's prefix operator here
        ("*budget", &budget),
        ("-budget", &budget), // a minus is not "everything but"
        ("budget -report", &budget),
        ("NEAR(draft final)", &draft), // NEAR is a word
        ("draft NEAR final", &draft),
        ("(note)", &note), // parentheses are not grouping
        ("((note", &note),
        ("note)", &note),
        ("subject:hello", &hello), // a column filter is two words
        ("{subject}:hello", &hello),
        ("subject : hello", &hello),
        ("^hello", &hello), // the initial-token operator is punctuation
        ("hello +", &hello),
    ];
    for (typed, expected) in cases {
        assert_eq!(&found(&store, typed), *expected, "typed {typed:?}");
    }
    // Operators alone are searched as words (or as nothing), never an error.
    for typed in [
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "\"",
        "\"\"",
        "*",
        "-",
        "()",
        ":",
        "subject:",
        "a OR",
        "\"\"\"",
        "NEAR(",
        "col:(a OR b)",
        "'",
        "''",
        "\\",
        "%",
        "_",
    ] {
        found(&store, typed);
    }
    // Every typed word must match, an operator word too: no message has "nothing" or "NOT".
    for typed in [
        "budget AND nothing",
        "budget OR nothing",
        "budget NOT report",
    ] {
        assert!(found(&store, typed).is_empty(), "typed {typed:?}");
    }
    // Japanese text with FTS punctuation around it.
    assert_eq!(found(&store, "\"会議室"), vec!["会議室の予約".to_owned()]);
    assert_eq!(found(&store, "予約*"), vec!["会議室の予約".to_owned()]);
    assert_eq!(found(&store, "(会議)"), vec!["会議室の予約".to_owned()]);
}
