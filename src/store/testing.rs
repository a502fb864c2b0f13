//! Fixtures for the store's unit tests: a store in a temporary folder with an account, its inbox
//! and trash, and messages to put in them.

use super::*;

pub(super) fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("mail.sqlite3")).unwrap();
    (dir, store)
}

pub(super) fn setup(store: &mut Store) -> (i64, i64, i64) {
    let account = store.account_id("alice@example.test").unwrap();
    store
        .set_folder_list(
            account,
            &[
                (
                    "INBOX".into(),
                    Some("/".into()),
                    Some(FolderRole::Inbox),
                    true,
                ),
                (
                    "Trash".into(),
                    Some("/".into()),
                    Some(FolderRole::Trash),
                    true,
                ),
            ],
        )
        .unwrap();
    let states = store.folder_states(account).unwrap();
    let inbox = states.iter().find(|f| f.name == "INBOX").unwrap().id;
    let trash = states.iter().find(|f| f.name == "Trash").unwrap().id;
    store
        .set_folder_state(inbox, 7, Some(1), Some(1), true)
        .unwrap();
    store
        .set_folder_state(trash, 8, Some(1), Some(1), true)
        .unwrap();
    (account, inbox, trash)
}

/// Another account, `email`, with an inbox only: its (account, inbox) ids.
pub(super) fn account_with_inbox(store: &mut Store, email: &str) -> (i64, i64) {
    let account = store.account_id(email).unwrap();
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
    (account, store.folder_states(account).unwrap()[0].id)
}

pub(super) fn message(uid: u32, subject: &str, body: &str) -> (NewEnvelope, NewBody) {
    let raw = format!(
        "From: Taro <taro@example.jp>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <m{uid}@example.jp>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    envelope_and_body(uid, raw)
}

/// A message as the sync hands it to the store: the envelope (its header) and the whole `raw`.
pub(super) fn envelope_and_body(uid: u32, raw: String) -> (NewEnvelope, NewBody) {
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

/// A message of a conversation: `parent` (a Message-ID without brackets) makes it a reply.
pub(super) fn conversation_message(uid: u32, day: u32, parent: Option<&str>) -> NewEnvelope {
    let references = parent
        .map(|p| format!("In-Reply-To: <{p}>\r\nReferences: <{p}>\r\n"))
        .unwrap_or_default();
    let header = format!(
        "From: Taro <taro@example.jp>\r\nTo: alice@example.test\r\nSubject: message {uid}\r\n\
         Message-ID: <t{uid}@example.jp>\r\n{references}Date: {day} Nov 2026 10:00:00 +0900\r\n\r\n"
    );
    NewEnvelope {
        server_identity: None,
        uid,
        flags: Flags::default(),
        keywords: vec![],
        modseq: Some(1),
        internal_date: None,
        size: header.len() as u32,
        header: header.into_bytes(),
    }
}
