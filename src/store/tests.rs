use super::*;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("mail.sqlite3")).unwrap();
    (dir, store)
}

fn setup(store: &mut Store) -> (i64, i64, i64) {
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

fn message(uid: u32, subject: &str, body: &str) -> (NewEnvelope, NewBody) {
    let raw = format!(
        "From: Taro <taro@example.jp>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <m{uid}@example.jp>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    let header_end = raw.find("\r\n\r\n").unwrap() + 4;
    (
        NewEnvelope {
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

#[test]
fn a_new_store_has_the_latest_schema_and_a_newer_one_is_refused() {
    let (dir, store) = open();
    assert_eq!(
        store.schema_version().unwrap(),
        schema::MIGRATIONS.len() as i64
    );
    store.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    let err = Store::open(&dir.path().join("mail.sqlite3")).err().unwrap();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer version of Tayori"));
}

#[test]
fn envelopes_then_bodies_fill_the_list_and_the_search_index_in_japanese_too() {
    let (_dir, mut store) = open();
    let (_, inbox, _) = setup(&mut store);
    let (e1, b1) = message(
        1,
        "会議室の予約について",
        "来週の打ち合わせは第二会議室です。",
    );
    let (e2, b2) = message(2, "Budget review", "Numbers attached.");
    assert_eq!(store.add_envelopes(inbox, &[e1.clone(), e2]).unwrap(), 2);
    // Replaying the same batch after a crash adds nothing.
    assert_eq!(store.add_envelopes(inbox, &[e1]).unwrap(), 0);

    let list = store
        .messages(inbox, SortOrder::NewestFirst, 0, 10)
        .unwrap();
    assert_eq!(list.len(), 2);
    assert!(
        list.iter()
            .all(|m| m.body_state == BodyState::NotDownloaded)
    );
    assert_eq!(
        store.search("会議室", 10).unwrap().len(),
        1,
        "subject indexed at envelope time"
    );
    assert!(
        store.search("打ち合わせ", 10).unwrap().is_empty(),
        "body not here yet"
    );
    assert_eq!(
        store.missing_bodies(inbox, BodyWindow::All).unwrap().len(),
        2
    );

    assert_eq!(store.add_bodies(inbox, &[b1, b2]).unwrap(), 2);
    let hits = store.search("打ち合わせ", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].subject, "会議室の予約について");
    assert!(hits[0].preview.starts_with("来週の打ち合わせ"));
    assert_eq!(store.search("budg", 10).unwrap().len(), 1, "word prefix");
    assert_eq!(store.search("taro", 10).unwrap().len(), 2, "addresses");
    assert!(
        store
            .missing_bodies(inbox, BodyWindow::All)
            .unwrap()
            .is_empty()
    );
    let raw = store.message_raw(hits[0].id).unwrap().unwrap();
    assert!(String::from_utf8(raw).unwrap().contains("第二会議室"));
}

#[test]
fn a_message_that_does_not_parse_is_kept_raw_and_marked() {
    let (_dir, mut store) = open();
    let (_, inbox, _) = setup(&mut store);
    let garbage = b"\x00\x01\x02 not a message at all \xff\xfe".to_vec();
    store
        .add_envelopes(
            inbox,
            &[NewEnvelope {
                uid: 5,
                flags: Flags::default(),
                keywords: vec![],
                modseq: None,
                internal_date: Some(1_800_000_000),
                size: garbage.len() as u32,
                header: garbage.clone(),
            }],
        )
        .unwrap();
    store
        .add_bodies(
            inbox,
            &[NewBody {
                uid: 5,
                raw: garbage.clone(),
            }],
        )
        .unwrap();
    let list = store
        .messages(inbox, SortOrder::NewestFirst, 0, 10)
        .unwrap();
    assert_eq!(list[0].body_state, BodyState::Unparseable);
    assert_eq!(
        list[0].date,
        Some(1_800_000_000),
        "falls back to the arrival time"
    );
    assert_eq!(store.message_raw(list[0].id).unwrap().unwrap(), garbage);
}

#[test]
fn local_changes_show_at_once_and_are_queued_in_order() {
    let (_dir, mut store) = open();
    let (account, inbox, trash) = setup(&mut store);
    let (e1, _) = message(10, "one", "");
    let (e2, _) = message(11, "two", "");
    store.add_envelopes(inbox, &[e1, e2]).unwrap();
    let ids: Vec<i64> = store
        .messages(inbox, SortOrder::OldestFirst, 0, 10)
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    store.set_seen(ids[0], true).unwrap();
    store.set_flagged(ids[0], true).unwrap();
    store.delete(ids[1]).unwrap();

    assert!(store.message(ids[0]).unwrap().unwrap().flags.seen);
    let moved = store.message(ids[1]).unwrap().unwrap();
    assert_eq!((moved.folder_id, moved.uid), (trash, None));
    let actions = store.queued_actions(account).unwrap();
    let kinds: Vec<_> = actions.iter().map(|a| (a.kind.clone(), a.uid)).collect();
    assert_eq!(
        kinds,
        [
            (
                ActionKind::AddFlags(Flags {
                    seen: true,
                    ..Flags::default()
                }),
                10
            ),
            (
                ActionKind::AddFlags(Flags {
                    flagged: true,
                    ..Flags::default()
                }),
                10
            ),
            (ActionKind::Move("Trash".into()), 11),
        ]
    );
    assert!(
        actions
            .iter()
            .all(|a| a.folder == "INBOX" && a.uidvalidity == 7)
    );

    // The server later reports the moved message in Trash under a new UID: the row is adopted,
    // not duplicated.
    let (mut in_trash, _) = message(11, "two", "");
    in_trash.uid = 3;
    store.add_envelopes(trash, &[in_trash]).unwrap();
    assert_eq!(store.message_count(trash).unwrap(), 1);
    assert_eq!(store.message(ids[1]).unwrap().unwrap().uid, Some(3));

    // Deleting from Trash removes for good.
    store.delete(ids[1]).unwrap();
    assert!(store.message(ids[1]).unwrap().is_none());
    assert_eq!(
        store.queued_actions(account).unwrap().last().unwrap().kind,
        ActionKind::Expunge
    );
}

#[test]
fn a_uidvalidity_change_keeps_bodies_of_messages_found_again() {
    let (_dir, mut store) = open();
    let (_, inbox, _) = setup(&mut store);
    let (e1, b1) = message(1, "kept", "body one");
    let (e2, _) = message(2, "gone", "");
    store.add_envelopes(inbox, &[e1.clone(), e2]).unwrap();
    store.add_bodies(inbox, &[b1]).unwrap();

    store.forget_uids(inbox).unwrap();
    let mut renumbered = e1;
    renumbered.uid = 100;
    store.add_envelopes(inbox, &[renumbered]).unwrap();
    assert_eq!(store.drop_unmatched(inbox, 0).unwrap(), 1);
    let list = store
        .messages(inbox, SortOrder::NewestFirst, 0, 10)
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].uid, list[0].body_state),
        (Some(100), BodyState::Downloaded)
    );
    assert_eq!(
        store.search("gone", 10).unwrap().len(),
        0,
        "index entry removed too"
    );
}

#[test]
fn server_flag_changes_and_expunges_apply() {
    let (_dir, mut store) = open();
    let (_, inbox, _) = setup(&mut store);
    let (e1, _) = message(1, "a", "");
    let (e2, _) = message(2, "b", "");
    store.add_envelopes(inbox, &[e1, e2]).unwrap();
    let seen = Flags {
        seen: true,
        ..Flags::default()
    };
    assert_eq!(
        store
            .set_flags(inbox, &[(1, seen, Some(9)), (2, Flags::default(), None)])
            .unwrap(),
        1
    );
    assert_eq!(store.remove_uids(inbox, &[2, 99]).unwrap(), 1);
    assert_eq!(store.uids(inbox).unwrap(), [1]);
    assert_eq!(store.flags_by_uid(inbox).unwrap()[&1], seen.bits());
    let folders = store.folders().unwrap();
    assert_eq!(folders[0].role, Some(FolderRole::Inbox));
    assert_eq!((folders[0].total, folders[0].unread), (1, 0));
}

#[test]
fn flags_round_trip_through_imap_words_and_bits() {
    let (flags, keywords) = Flags::from_imap(["\\Seen", "\\Flagged", "$Forwarded", "\\Recent"]);
    assert!(flags.seen && flags.flagged && !flags.answered);
    assert_eq!(keywords, ["$Forwarded"]);
    assert_eq!(Flags::from_bits(flags.bits()), flags);
}

#[test]
fn search_results_come_newest_first_and_stop_at_the_page_size() {
    let (_dir, mut store) = open();
    let (_, inbox, _) = setup(&mut store);
    let mut envelopes = Vec::new();
    // Inserted oldest last (as a first sync does, newest first), dates one day apart.
    for uid in (1..=30u32).rev() {
        let (mut envelope, _) = message(uid, &format!("report {uid}"), "");
        envelope.header = String::from_utf8(envelope.header)
            .unwrap()
            .replace("Mon, 2 Nov 2026", &format!("{} Oct 2026", uid.min(28)))
            .into_bytes();
        envelope.internal_date = Some(1_790_000_000 + i64::from(uid) * 86_400);
        envelopes.push(envelope);
    }
    store.add_envelopes(inbox, &envelopes).unwrap();
    let hits = store.search("report", 5).unwrap();
    assert_eq!(hits.len(), 5);
    let dates: Vec<i64> = hits.iter().map(|h| h.date.unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    let newest = store.messages(inbox, SortOrder::NewestFirst, 0, 1).unwrap()[0].date;
    assert_eq!(
        Some(dates[0]),
        newest,
        "the first hit is the newest message"
    );
}

/// A message of a conversation: `parent` (a Message-ID without brackets) makes it a reply.
fn conversation_message(uid: u32, day: u32, parent: Option<&str>) -> NewEnvelope {
    let references = parent
        .map(|p| format!("In-Reply-To: <{p}>\r\nReferences: <{p}>\r\n"))
        .unwrap_or_default();
    let header = format!(
        "From: Taro <taro@example.jp>\r\nTo: alice@example.test\r\nSubject: message {uid}\r\n\
         Message-ID: <t{uid}@example.jp>\r\n{references}Date: {day} Nov 2026 10:00:00 +0900\r\n\r\n"
    );
    NewEnvelope {
        uid,
        flags: Flags::default(),
        keywords: vec![],
        modseq: Some(1),
        internal_date: None,
        size: header.len() as u32,
        header: header.into_bytes(),
    }
}

#[test]
fn threads_group_a_folder_by_conversation_newest_first_with_counts() {
    let (_dir, mut store) = open();
    let (_, inbox, trash) = setup(&mut store);
    // Thread A: 1 (day 1) ← 2 (day 5) ← 4 (day 9, replying to 1 too); thread B: 3 (day 7);
    // thread C: 5 (day 3) ← 6 (day 4).
    store
        .add_envelopes(
            inbox,
            &[
                conversation_message(1, 1, None),
                conversation_message(2, 5, Some("t1@example.jp")),
                conversation_message(3, 7, None),
                conversation_message(4, 9, Some("t1@example.jp")),
                conversation_message(5, 3, None),
                conversation_message(6, 4, Some("t5@example.jp")),
            ],
        )
        .unwrap();
    let id = |uid: u32| {
        store
            .messages(inbox, SortOrder::NewestFirst, 0, 100)
            .unwrap()
            .into_iter()
            .find(|m| m.uid == Some(uid))
            .unwrap()
            .id
    };
    let (m1, m2, m3, m6) = (id(1), id(2), id(3), id(6));
    store.set_seen(m1, true).unwrap();
    store.set_seen(m3, true).unwrap();
    store.set_flagged(m2, true).unwrap();
    let scope = ListScope::Folder(inbox);
    assert_eq!(store.thread_count(scope).unwrap(), 3);

    let threads = store.threads(scope, SortOrder::NewestFirst, 0, 10).unwrap();
    let shape: Vec<_> = threads
        .iter()
        .map(|t| (t.newest.uid.unwrap(), t.count, t.unread, t.flagged))
        .collect();
    assert_eq!(
        shape,
        [(4, 3, 2, true), (3, 1, 0, false), (6, 2, 2, false)],
        "newest first; A has 2 unread of 3 and a flag"
    );
    let oldest = store.threads(scope, SortOrder::OldestFirst, 0, 10).unwrap();
    let uids: Vec<_> = oldest.iter().map(|t| t.newest.uid.unwrap()).collect();
    assert_eq!(uids, [6, 3, 4]);
    // Paging by offset.
    let second = store.threads(scope, SortOrder::NewestFirst, 1, 1).unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].newest.id, m3);

    // Expanding A: its three messages in the list's order.
    let thread_a = threads[0].newest.thread_id;
    let uids: Vec<_> = store
        .thread_messages(scope, thread_a, SortOrder::NewestFirst)
        .unwrap()
        .iter()
        .map(|m| m.uid.unwrap())
        .collect();
    assert_eq!(uids, [4, 2, 1]);

    // A message moved to Trash leaves the inbox's thread; the count follows at once.
    store.delete(m6).unwrap();
    let threads = store.threads(scope, SortOrder::NewestFirst, 0, 10).unwrap();
    assert_eq!(threads[2].count, 1);
    assert_eq!(threads[2].newest.uid, Some(5));
    assert_eq!(store.thread_count(ListScope::Folder(trash)).unwrap(), 1);
    // Marking read updates the unread figure.
    store.set_seen(threads[0].newest.id, true).unwrap();
    store.set_seen(m2, true).unwrap();
    let threads = store.threads(scope, SortOrder::NewestFirst, 0, 1).unwrap();
    assert_eq!((threads[0].unread, threads[0].flagged), (0, true));
}

#[test]
fn unified_threads_span_every_inbox_and_nothing_else() {
    let (_dir, mut store) = open();
    let (_, inbox, trash) = setup(&mut store);
    let bob = store.account_id("bob@example.test").unwrap();
    store
        .set_folder_list(
            bob,
            &[(
                "INBOX".into(),
                Some("/".into()),
                Some(FolderRole::Inbox),
                true,
            )],
        )
        .unwrap();
    let bob_inbox = store.folder_states(bob).unwrap()[0].id;
    store
        .add_envelopes(inbox, &[conversation_message(1, 1, None)])
        .unwrap();
    // Bob got the reply to the same conversation: one thread across both inboxes.
    store
        .add_envelopes(
            bob_inbox,
            &[
                conversation_message(2, 2, Some("t1@example.jp")),
                conversation_message(3, 3, None),
            ],
        )
        .unwrap();
    store
        .add_envelopes(trash, &[conversation_message(9, 9, None)])
        .unwrap();
    let scope = ListScope::UnifiedInbox;
    assert_eq!(store.thread_count(scope).unwrap(), 2);
    let threads = store.threads(scope, SortOrder::NewestFirst, 0, 10).unwrap();
    let shape: Vec<_> = threads
        .iter()
        .map(|t| (t.newest.uid.unwrap(), t.count))
        .collect();
    assert_eq!(shape, [(3, 1), (2, 2)]);
    let members = store
        .thread_messages(scope, threads[1].newest.thread_id, SortOrder::OldestFirst)
        .unwrap();
    assert_eq!(
        members.iter().map(|m| m.folder_id).collect::<Vec<_>>(),
        [inbox, bob_inbox]
    );
}

#[test]
fn unread_mail_in_a_uid_range_is_counted_newest_first_without_mail_read_elsewhere() {
    let (_dir, mut store) = open();
    let (_, inbox, _) = setup(&mut store);
    let envelopes: Vec<NewEnvelope> = (1..=6)
        .map(|uid| {
            let (mut envelope, _) = message(uid, &format!("件名 {uid}"), "");
            // UID 5 was read on another device before this pass fetched it.
            envelope.flags.seen = uid == 5;
            envelope
        })
        .collect();
    store.add_envelopes(inbox, &envelopes).unwrap();
    let (count, newest) = store.unread_in_uid_range(inbox, 3, 6, 2).unwrap();
    assert_eq!(count, 3, "UIDs 3, 4 and 6: 5 was read elsewhere");
    let subjects: Vec<_> = newest.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["件名 6", "件名 4"]);
    assert_eq!(
        newest[0].from.as_ref().map(|a| a.email.as_str()),
        Some("taro@example.jp")
    );
    assert_eq!(store.unread_in_uid_range(inbox, 7, 9, 2).unwrap().0, 0);
}

#[test]
fn accounts_no_longer_configured_are_forgotten_with_their_mail() {
    let (_dir, mut store) = open();
    let (_, inbox, _) = setup(&mut store);
    let (envelope, _) = message(1, "件名", "");
    store.add_envelopes(inbox, &[envelope]).unwrap();
    let other = store.account_id("other@example.test").unwrap();
    store
        .set_folder_list(
            other,
            &[(
                "INBOX".into(),
                Some("/".into()),
                Some(FolderRole::Inbox),
                true,
            )],
        )
        .unwrap();
    let kept: Vec<String> = store
        .folders()
        .unwrap()
        .iter()
        .filter(|f| f.account != "other@example.test")
        .map(|f| f.account.clone())
        .collect();
    assert!(!kept.is_empty());
    let gone = store.forget_accounts_except(&kept[..1]).unwrap();
    assert_eq!(gone, ["other@example.test"]);
    let folders = store.folders().unwrap();
    assert!(folders.iter().all(|f| f.account == kept[0]));
    assert_eq!(
        store.message_count(inbox).unwrap(),
        1,
        "the kept account's mail stays"
    );
    assert!(store.forget_accounts_except(&kept[..1]).unwrap().is_empty());
}

#[test]
fn conventional_names_give_roles_where_the_server_has_no_special_use() {
    assert_eq!(
        FolderRole::from_usual_name("Sent Items"),
        Some(FolderRole::Sent)
    );
    assert_eq!(
        FolderRole::from_usual_name("INBOX.Trash"),
        Some(FolderRole::Trash)
    );
    assert_eq!(
        FolderRole::from_usual_name("迷惑メール"),
        Some(FolderRole::Junk)
    );
    assert_eq!(FolderRole::from_usual_name("Projects"), None);
}

#[test]
fn one_list_of_usual_names_serves_the_sidebar_and_sending() {
    // What the sidebar's lookup (sync) lacked and sending's list (the outbox) had, and the reverse.
    assert_eq!(
        FolderRole::from_usual_name("Sent Mail"),
        Some(FolderRole::Sent)
    );
    assert_eq!(
        FolderRole::from_usual_name("送信済み"),
        Some(FolderRole::Sent)
    );
    assert_eq!(
        FolderRole::from_usual_name("Deleted Messages"),
        Some(FolderRole::Trash)
    );
    // Sending's nested names are found by their last part, whatever the delimiter and case.
    for name in ["INBOX.Sent", "INBOX/Sent", "inbox.sent items"] {
        assert_eq!(
            FolderRole::from_usual_name(name),
            Some(FolderRole::Sent),
            "{name}"
        );
    }
    assert_eq!(
        FolderRole::from_usual_name("INBOX/Drafts"),
        Some(FolderRole::Drafts)
    );
    // Every usual name leads back to its own role, and to no other (one list, no overlaps).
    for role in FolderRole::ALL {
        for (rank, name) in role.usual_names().iter().enumerate() {
            assert_eq!(FolderRole::from_usual_name(name), Some(role), "{name}");
            assert_eq!(role.usual_name_rank(name), Some(rank), "{name}");
            for other in FolderRole::ALL.into_iter().filter(|r| *r != role) {
                assert_eq!(
                    other.usual_name_rank(name),
                    None,
                    "{name} is also {other:?}"
                );
            }
        }
    }
    // Sending prefers the most usual name: "Sent" over "Sent Items".
    assert!(
        FolderRole::Sent.usual_name_rank("Sent") < FolderRole::Sent.usual_name_rank("Sent Items")
    );
    assert_eq!(FolderRole::Inbox.usual_name_rank("INBOX"), None);
}
