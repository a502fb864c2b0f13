//! The list and its paging, sort, search and conversations view, over a store on disk; the
//! sidebar's folders and counts. (The figures for 100,000 messages are in `tests/mod.rs`, where
//! `benches/gui.sh` finds them.)

use tayori::i18n::{Lang, Text};
use tayori::store::{FolderRole, Store};

use super::*;

#[test]
fn folders_list_reader_search_sort_keys_and_delete() {
    let (_home, context) = home_with_mail(3000);
    let mut person = Person::new(context, Lang::En);
    person.settle();

    // The sidebar: all inboxes, each account's folders, special-use ones first, unread counts.
    assert!(person.sees("All inboxes"));
    assert!(person.sees(HANAKO) && person.sees(ALEX));
    let names: Vec<_> = person
        .state
        .folders()
        .iter()
        .filter(|f| f.account == HANAKO)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "INBOX",
            "Drafts",
            "Sent",
            "Archive",
            "Trash",
            "Projects",
            "Projects/2025"
        ]
    );
    let inbox_unread = person
        .state
        .folders()
        .iter()
        .filter(|f| f.role == Some(FolderRole::Inbox))
        .map(|f| f.unread)
        .sum::<u32>();
    assert_eq!(inbox_unread, 3000_u32.div_ceil(7) + 300_u32.div_ceil(7));
    assert!(
        person.sees(&inbox_unread.to_string()),
        "the unread count is shown"
    );

    // The unified inbox, newest first; only the rows in view were fetched and built.
    assert_eq!(person.state.list.len(), 3300);
    assert_eq!(
        person.state.list.pages.len(),
        1,
        "one page for the first screenful"
    );
    assert!(person.state.list.visible().len() < 40);
    assert!(
        subject_of(&person, 0).ends_with("#2999"),
        "{}",
        subject_of(&person, 0)
    );

    // Opening the newest message shows its text and marks it read.
    let newest = subject_of(&person, 0);
    person.open(0);
    person.settle();
    match person.state.reader() {
        Content::Shown { decoded, .. } => {
            assert!(decoded.text.as_deref().unwrap().contains("ご確認のほど"))
        }
        _ => panic!("the message is shown"),
    }
    assert!(person.sees(&newest));
    assert!(person.sees("Date"));
    assert!(person.state.list.row(0).unwrap().flags.seen);

    // j moves down, k up; the reader follows.
    person.key(iced::keyboard::Key::Character("j".into()));
    person.settle();
    assert_eq!(person.state.list.selected, Some(1));
    person.key(iced::keyboard::Key::Named(
        iced::keyboard::key::Named::ArrowUp,
    ));
    person.settle();
    assert_eq!(person.state.list.selected, Some(0));

    // Far down the list: End jumps to the oldest, whose page is fetched on the way.
    person.key(iced::keyboard::Key::Named(iced::keyboard::key::Named::End));
    person.settle();
    assert_eq!(person.state.list.selected, Some(3299));
    assert!(matches!(
        person.state.reader(),
        Content::NotDownloaded(_) | Content::Shown { .. }
    ));

    // Oldest first.
    person.click("⇅ Newest first");
    person.settle();
    assert!(person.sees("⇅ Oldest first"));
    assert!(
        subject_of(&person, 0).ends_with("#0"),
        "{}",
        subject_of(&person, 0)
    );

    // A folder: Hanako's Sent.
    let sent = person
        .state
        .folders()
        .iter()
        .find(|f| f.account == HANAKO && f.role == Some(FolderRole::Sent))
        .unwrap()
        .id;
    person.apply(Message::Select(Source::Folder(sent)));
    person.settle();
    assert_eq!(person.state.list.len(), 40);

    // Search over the store's full-text index, in Japanese.
    person.apply(Message::Search(search::Message::Changed("請求書".into())));
    person.apply(Message::Search(search::Message::Submit));
    person.settle();
    let found = person.state.list.len();
    assert!(found > 0 && found <= 500, "{found}");
    assert!(
        (0..found).all(|i| person.state.list.row(i).unwrap().subject.contains("請求書")),
        "every hit is about the invoice"
    );
    assert!(person.sees(&format!("{found} messages match “請求書”")));
    person.click("Clear");
    person.settle();
    assert!(person.state.list.search.is_none());

    // Delete removes the message from the list (and queues the deletion for the server).
    person.apply(Message::Select(Source::Folder(sent)));
    person.settle();
    person.open(0);
    person.settle();
    let doomed = person.state.list.row(0).unwrap().id;
    person.key(iced::keyboard::Key::Named(
        iced::keyboard::key::Named::Delete,
    ));
    person.settle();
    assert_eq!(person.state.list.len(), 39);
    assert_ne!(person.state.list.row(0).unwrap().id, doomed);
}

#[test]
fn the_main_window_speaks_japanese_and_is_drawn() {
    let (_home, context) = home_with_mail(500);
    for lang in [Lang::En, Lang::Ja] {
        let tag = if lang == Lang::En { "en" } else { "ja" };
        let mut person = Person::new(context.clone(), lang);
        person.settle();
        for text in [
            Text::UnifiedInbox,
            Text::FolderInbox,
            Text::FolderSent,
            Text::SelectAMessage,
        ] {
            assert!(person.sees(lang.text(text)), "{tag}: {text:?}");
            assert!(
                !person.sees(lang.other().text(text)),
                "{tag}: {text:?} twice"
            );
        }
        person.open(1);
        person.settle();
        assert!(person.sees(lang.text(Text::HeaderFrom)));
        person.picture(&format!("mailbox-populated-{tag}"), &iced::Theme::Light);
    }
}

/// The conversations view: one row per thread (its newest message, a count, unread and flagged
/// when any message is), expanded under its row and closed again; the reader with attachments
/// and its toolbar beside it, drawn in English and Japanese.
#[test]
fn conversations_group_threads_expand_under_their_row_and_are_drawn() {
    for lang in [Lang::En, Lang::Ja] {
        // A fresh mailbox each round: the first one reads and flags mail.
        let (_home, context) =
            home_with_conversations(tayori::auth::browser::Browser::Command("true".into()));
        let mut person = Person::new(context, lang);
        person.settle();
        assert_eq!(person.state.list.len(), 14, "messages, one row each");
        assert!(
            !person.state.list.row(0).unwrap().flags.seen,
            "{:?}",
            person.state.list.row(0)
        );
        person.click(lang.text(Text::Conversations));
        person.settle();
        assert!(person.state.list.threads);
        assert_eq!(person.state.list.len(), 10, "one row per conversation");
        let Some(list::Entry::Thread {
            summary: Some(first),
            expanded: false,
            ..
        }) = person.state.list.entry(0)
        else {
            panic!("the first row is a closed thread");
        };
        assert_eq!(first.count, 4);
        assert_eq!(
            (first.unread, first.flagged),
            (1, true),
            "{first:?} {:?}",
            person.state.list.pages
        );
        assert_eq!(first.newest.message_id.as_deref(), Some("q4@example.test"));
        assert!(person.sees("4"), "the count is shown");

        // Expand: the four messages under the thread, newest first; the rows below move down.
        let lunch = person.state.list.row(1).unwrap().id;
        person.click("▸");
        person.settle();
        assert_eq!(person.state.list.len(), 14);
        let ids: Vec<_> = (1..=4)
            .map(|i| {
                person
                    .state
                    .list
                    .row(i)
                    .unwrap()
                    .message_id
                    .clone()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            ids,
            [
                "q4@example.test",
                "q3@example.test",
                "q2@example.test",
                "q1@example.test"
            ]
        );
        assert_eq!(person.state.list.row(5).unwrap().id, lunch);

        // Open the oldest of the thread from its row, then the newest (with attachments).
        person.open(4);
        person.settle();
        assert!(person.sees("見積書の件 の本文です。"));
        person.open(1);
        person.settle();
        let Some(list::Entry::Thread {
            summary: Some(first),
            ..
        }) = person.state.list.entry(0)
        else {
            panic!("the thread row is there");
        };
        assert_eq!(
            first.unread, 0,
            "reading the unread message clears the thread's mark"
        );
        assert!(person.sees("見積書.pdf"));
        assert!(person.sees("明細.csv"), "the name lost its path");
        assert!(person.sees("setup.exe"));
        assert!(person.sees(&format!(
            "application/pdf  ·  {} KB",
            binary_file().len().div_ceil(1024)
        )));
        person.picture(
            &format!(
                "mailbox-conversations-{}",
                if lang == Lang::En { "en" } else { "ja" }
            ),
            &iced::Theme::Light,
        );

        // Collapse: back to one row per thread, the selection on the thread.
        person.click("▾");
        person.settle();
        assert_eq!(person.state.list.len(), 10);
        assert_eq!(person.state.list.selected, Some(0));
        assert_eq!(person.state.list.row(1).unwrap().id, lunch);

        // → and ← open and close the selected conversation.
        person.key(iced::keyboard::Key::Named(
            iced::keyboard::key::Named::ArrowRight,
        ));
        person.settle();
        assert_eq!(person.state.list.len(), 14);
        person.key(iced::keyboard::Key::Named(
            iced::keyboard::key::Named::ArrowDown,
        ));
        person.settle();
        assert_eq!(person.state.list.selected, Some(1));
        person.key(iced::keyboard::Key::Named(
            iced::keyboard::key::Named::ArrowLeft,
        ));
        person.settle();
        assert_eq!(person.state.list.len(), 10);
        assert_eq!(
            person.state.list.selected,
            Some(0),
            "back on the thread's row"
        );

        // Flagging from the keyboard marks the thread row; turning the view off lists messages.
        person.open(1);
        person.settle();
        person.press("s");
        person.settle();
        let Some(list::Entry::Thread {
            summary: Some(lunch_thread),
            ..
        }) = person.state.list.entry(1)
        else {
            panic!("the lunch thread");
        };
        assert!(lunch_thread.flagged);
        person.press("s");
        person.settle();
        person.click(lang.text(Text::Conversations));
        person.settle();
        assert!(!person.state.list.threads);
        assert_eq!(person.state.list.len(), 14);
    }
}

/// Mail of an account that is no longer in the account list (removed by `tayori account remove`
/// while the window was closed, or while its sync was still writing) is forgotten when the window
/// opens; an account list that cannot be read forgets nothing.
#[test]
fn mail_of_accounts_no_longer_listed_is_forgotten_when_the_window_opens() {
    let (_home, context) = home_with_mail(30);
    let (unreadable, load) = Mailbox::new(
        context.clone(),
        Vec::new(),
        Some("accounts.toml: expected a table".into()),
    );
    let mut person = Person::start(unreadable, Lang::En, load);
    person.settle();
    assert!(
        person.state.folders().iter().any(|f| f.account == ALEX),
        "nothing is forgotten when the list could not be read"
    );

    let (state, load) = Mailbox::new(context.clone(), vec![account(HANAKO)], None);
    let mut person = Person::start(state, Lang::En, load);
    person.settle();
    assert!(person.state.folders().iter().all(|f| f.account == HANAKO));
    assert!(person.state.folders().iter().any(|f| f.account == HANAKO));
    let store = Store::open_in(&context.paths).unwrap();
    assert!(store.folders().unwrap().iter().all(|f| f.account == HANAKO));
}

/// A search while the search index is still being built after a sync (the messages are stored
/// and readable, their text not yet indexed) says that its results may be incomplete, in English
/// and Japanese; once the index is complete the note is gone.
#[test]
fn a_search_while_the_index_is_being_built_says_it_may_be_incomplete() {
    use std::sync::atomic::AtomicBool;
    use tayori::store::{NewBody, PreparedBody};

    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let messages: Vec<_> = (1..=3u32)
        .map(|uid| {
            let raw = plain(&format!("m{uid}@example.jp"), "議事録", 1_790_000_000, None);
            (uid, raw, Flags::default())
        })
        .collect();
    inbox_with(&paths, &messages);
    // Two of them as a sync stores them: their bytes, the index still to be built.
    {
        let mut store = Store::open_in(&paths).unwrap();
        let inbox = store.folder_by_name(HANAKO, "INBOX").unwrap().unwrap().id;
        let waiting = messages[1..]
            .iter()
            .map(|(uid, raw, _)| {
                PreparedBody::undecoded(NewBody {
                    uid: *uid,
                    raw: raw.clone(),
                })
            })
            .collect();
        store.add_prepared_bodies(inbox, waiting).unwrap();
    }
    let context = || Context {
        paths: paths.clone(),
        settings: Settings::default(),
        browser: tayori::auth::browser::Browser::Command("true".into()),
    };
    let search = |person: &mut Person| {
        person.apply(Message::Search(search::Message::Changed("議事録".into())));
        person.apply(Message::Search(search::Message::Submit));
        person.settle();
    };
    let mut person = Person::new(context(), Lang::En);
    person.settle();
    search(&mut person);
    assert!(person.sees(
        "The search index is still being built: 2 messages cannot be found by their text yet, so results may be incomplete."
    ));
    let mut person = Person::new(context(), Lang::Ja);
    person.settle();
    search(&mut person);
    assert!(person.sees(
        "検索インデックスを作成中です。まだ 2 件のメッセージは本文で検索できないため、結果が不完全な場合があります。"
    ));

    Store::open_in(&paths)
        .unwrap()
        .build_index(&AtomicBool::new(false), &mut |_, _| {})
        .unwrap();
    search(&mut person);
    assert_eq!(person.state.list.len(), 3);
    assert!(!person.sees(
        "検索インデックスを作成中です。まだ 2 件のメッセージは本文で検索できないため、結果が不完全な場合があります。"
    ));
}

/// The rows in view are the store's, in the store's order (the OFFSET query the list used to page
/// with is the reference), however the list got there: scrolled row by row, dragged to a deep
/// position (a keyset seek from the top, the bottom or a loaded page), up again across a page
/// boundary (the page before a loaded one), after new mail read the list again, in either order.
#[test]
fn jumps_and_scrolls_show_the_stores_rows_in_the_stores_order() {
    use tayori::store::SortOrder;
    let (home, context) = home_with_mail(3000);
    let paths = context.paths.clone();
    let mut person = Person::new(context, Lang::En);
    person.settle();
    let shows = |person: &mut Person, row: usize, reference: &[i64]| {
        person.state.list.scroll_y = row as f32 * list::ROW_HEIGHT;
        let db = person.state.db();
        let task = person
            .state
            .list
            .fetch_visible(db.as_ref())
            .map(Message::List);
        person.spawn(task);
        person.settle();
        for index in person.state.list.visible() {
            assert_eq!(
                person.state.list.row(index).map(|m| m.id),
                Some(reference[index]),
                "row {index} with the list at {row}"
            );
        }
    };
    let reference = |order| -> Vec<i64> {
        let store = Store::open_in(&paths).unwrap();
        store
            .unified_inbox(order, 0, 10_000)
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect()
    };
    let newest_first = reference(SortOrder::NewestFirst);
    assert_eq!(newest_first.len(), 3300);
    for row in [2_000, 1_990, 1_790, 3_290, 600, 601, 1_205, 1_195, 0] {
        shows(&mut person, row, &newest_first);
    }

    // New mail (a newest message and an undated one: the two ends of the order) while the list
    // is deep down; the window reads it again in place.
    {
        let mut store = Store::open_in(&paths).unwrap();
        let inbox = store
            .folders()
            .unwrap()
            .into_iter()
            .find(|f| f.account == HANAKO && f.role == Some(FolderRole::Inbox))
            .unwrap()
            .id;
        let now = chrono::Utc::now().timestamp();
        let undated = b"From: a@example.test\r\nSubject: no date\r\nMessage-ID: <undated@example.test>\r\n\r\n";
        let envelopes = [
            (9_001_u32, testing::message(9_001, now + 60, false)),
            (9_002, undated.to_vec()),
        ]
        .map(|(uid, header)| NewEnvelope {
            server_identity: None,
            uid,
            flags: Flags::default(),
            keywords: Vec::new(),
            modseq: None,
            internal_date: None,
            size: header.len() as u32,
            header,
        });
        store.add_envelopes(inbox, &envelopes).unwrap();
    }
    shows(&mut person, 1_500, &newest_first);
    let refresh = person.state.synced(&tayori::sync::SyncEvent::NewMail {
        folder: "INBOX".into(),
        count: 2,
        inbox: true,
        unread: 2,
        newest: Vec::new(),
    });
    person.spawn(refresh);
    person.settle();
    let newest_first = reference(SortOrder::NewestFirst);
    assert_eq!(newest_first.len(), 3302);
    for row in [1_500, 1_300, 3_301, 0] {
        shows(&mut person, row, &newest_first);
    }

    // Oldest first: the same, from the other end.
    person.apply(Message::List(list::Message::ToggleOrder));
    person.settle();
    let oldest_first = reference(SortOrder::OldestFirst);
    for row in [0, 2_500, 2_399, 3_301, 10] {
        shows(&mut person, row, &oldest_first);
    }
    drop(home);
}
