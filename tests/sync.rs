//! End-to-end sync against the rig's Dovecot (QRESYNC, CONDSTORE, LIST-STATUS, IDLE): `tayori sync`
//! as a person runs it, with the mailbox changed "elsewhere" over IMAP between runs, and the store
//! compared with the server message by message (flags and exact bytes).

mod support;

use std::time::{Duration, Instant};

use support::mailbox::{
    TestMailbox, account_home, doveadm, local_state, log_text, message, spawn_tayori, store_path,
    sync,
};
use tayori::store::{SortOrder, Store};

/// Asserts that every standard folder holds exactly what the server holds.
/// `bytes` in base64 as a mail body carries it: lines of 76 characters, each ended by CRLF.
fn base64_lines(bytes: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut lines = String::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for line in encoded.as_bytes().chunks(76) {
        lines.push_str(std::str::from_utf8(line).unwrap());
        lines.push_str("\r\n");
    }
    lines
}

async fn assert_matches_server(home: &std::path::Path, mailbox: &mut TestMailbox) {
    assert_folders_match_server(home, mailbox, &support::mailbox::FOLDERS).await;
}

/// The Gmail-like layout's \All folder (tests/rig/dovecot/dovecot.conf.in, users g01..g04).
const ALL_MAIL: &str = "[Gmail]/All Mail";

/// [`assert_matches_server`] for the Gmail-like layout: the standard folders and All Mail; and
/// every message is stored once — as many stored messages as different messages on the server,
/// holding exactly their bytes.
async fn assert_matches_server_stored_once(home: &std::path::Path, mailbox: &mut TestMailbox) {
    let mut folders = support::mailbox::FOLDERS.to_vec();
    folders.push(ALL_MAIL);
    assert_folders_match_server(home, mailbox, &folders).await;
    let mut different = std::collections::BTreeSet::new();
    for folder in &folders {
        for copy in mailbox.state(folder).await.into_values() {
            different.insert(copy.raw.expect("the server sends every message"));
        }
    }
    let store = Store::open(&store_path(home)).unwrap();
    let bytes: usize = different.iter().map(Vec::len).sum();
    assert_eq!(
        store.stored_totals().unwrap(),
        (different.len(), bytes as u64),
        "each message stored once, with its bytes once"
    );
}

async fn assert_folders_match_server(
    home: &std::path::Path,
    mailbox: &mut TestMailbox,
    folders: &[&str],
) {
    for &folder in folders {
        let server = mailbox.state(folder).await;
        let local = local_state(home, &mailbox.user, folder);
        assert_eq!(
            local.keys().collect::<Vec<_>>(),
            server.keys().collect::<Vec<_>>(),
            "UIDs in {folder}"
        );
        for (uid, copy) in &server {
            assert_eq!(
                local[uid].flags, copy.flags,
                "flags of UID {uid} in {folder}"
            );
            assert_eq!(local[uid].raw, copy.raw, "bytes of UID {uid} in {folder}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn first_sync_then_changes_elsewhere_come_in_incrementally() {
    let user = "s01@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..40 {
        mailbox.append("INBOX", &message("life", i, 500), "").await;
    }
    mailbox
        .append("Sent", &message("sent", 0, 100), "\\Seen")
        .await;
    let home = account_home(user);

    let first = sync(home.path());
    assert!(first.contains("41 new"), "{first}");
    assert_matches_server(home.path(), &mut mailbox).await;

    // Nothing changed: no folder is even selected (LIST-STATUS answered for all of them).
    let again = sync(home.path());
    assert!(again.contains("(0 checked), 0 new"), "{again}");

    // Elsewhere: read two, flag one, delete one, a new one arrives.
    mailbox.command("INBOX", "STORE 1:2 +FLAGS (\\Seen)").await;
    mailbox.command("INBOX", "STORE 3 +FLAGS (\\Flagged)").await;
    mailbox
        .command("INBOX", "STORE 4 +FLAGS.SILENT (\\Deleted)")
        .await;
    mailbox.command("INBOX", "EXPUNGE").await;
    mailbox.append("INBOX", &message("life", 100, 50), "").await;
    let incremental = sync(home.path());
    assert!(
        incremental.contains("(1 checked), 1 new, 3 flag changes, 1 removed"),
        "{incremental}"
    );
    assert_matches_server(home.path(), &mut mailbox).await;

    // A folder created elsewhere appears; one deleted elsewhere disappears with its messages.
    // Modified UTF-7 on the wire: 東京 is &Z3FOrA-.
    mailbox.session.create("Projects/&Z3FOrA-").await.unwrap();
    let created = sync(home.path());
    assert!(created.contains("7 folders"), "{created}");
    let store = Store::open(&store_path(home.path())).unwrap();
    let names: Vec<String> = store
        .folders()
        .unwrap()
        .iter()
        .map(|f| tayori::sync::decode_mailbox_name(&f.name))
        .collect();
    assert!(names.contains(&"Projects/東京".to_owned()), "{names:?}");
    mailbox.session.delete("Projects/&Z3FOrA-").await.unwrap();
    sync(home.path());
    assert_eq!(
        Store::open(&store_path(home.path()))
            .unwrap()
            .folders()
            .unwrap()
            .len(),
        6
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_made_offline_reach_the_server_in_order() {
    let user = "s02@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..5 {
        mailbox
            .append("INBOX", &message("offline", i, 10), "")
            .await;
    }
    let home = account_home(user);
    sync(home.path());

    // Offline: the person reads, flags, archives and deletes; the store shows it at once.
    {
        let mut store = Store::open(&store_path(home.path())).unwrap();
        let inbox = store.folder_by_name(user, "INBOX").unwrap().unwrap();
        let archive = store.folder_by_name(user, "Archive").unwrap().unwrap();
        let rows = store
            .messages(inbox.id, SortOrder::OldestFirst, 0, 10)
            .unwrap();
        store.set_seen(rows[0].id, true).unwrap();
        store.set_flagged(rows[1].id, true).unwrap();
        store.set_flagged(rows[1].id, false).unwrap();
        store.set_seen(rows[1].id, true).unwrap();
        store.move_to(rows[2].id, archive.id).unwrap();
        store.delete(rows[3].id).unwrap();
        assert_eq!(store.message_count(inbox.id).unwrap(), 3);
        assert_eq!(store.message_count(archive.id).unwrap(), 1);
    }
    let out = sync(home.path());
    assert!(out.contains("6 offline changes sent"), "{out}");

    let inbox = mailbox.state("INBOX").await;
    let seen = tayori::store::Flags {
        seen: true,
        ..Default::default()
    }
    .bits();
    assert_eq!(inbox.len(), 3);
    let remaining: Vec<_> = inbox.values().collect();
    assert_eq!(remaining[0].flags, seen);
    assert_eq!(
        remaining[1].flags, seen,
        "flag added then removed, seen added"
    );
    assert_eq!(mailbox.state("Archive").await.len(), 1);
    let trash = mailbox.state("Trash").await;
    assert_eq!(trash.len(), 1);
    assert!(
        String::from_utf8_lossy(trash.values().next().unwrap().raw.as_ref().unwrap())
            .contains("offline message 3")
    );
    // The moved messages were adopted under their new UIDs, not stored twice.
    assert_matches_server(home.path(), &mut mailbox).await;
    let store = Store::open(&store_path(home.path())).unwrap();
    let account = store.account_id(user).unwrap();
    assert!(store.queued_actions(account).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_uidvalidity_change_resyncs_without_downloading_again_or_losing_queued_changes() {
    let user = "s03@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..10 {
        mailbox.append("INBOX", &message("uidv", i, 2000), "").await;
    }
    let home = account_home(user);
    sync(home.path());
    let before = mailbox.select("INBOX").await.uid_validity.unwrap();

    // A flag set here while offline, then the server's admin rebuilds the mailbox.
    {
        let mut store = Store::open(&store_path(home.path())).unwrap();
        let inbox = store.folder_by_name(user, "INBOX").unwrap().unwrap();
        let rows = store
            .messages(inbox.id, SortOrder::OldestFirst, 0, 1)
            .unwrap();
        store.set_flagged(rows[0].id, true).unwrap();
    }
    mailbox
        .session
        .run_command_and_check_ok("UNSELECT")
        .await
        .unwrap();
    doveadm(&[
        "mailbox",
        "update",
        "--uid-validity",
        &(before + 1000).to_string(),
        "-u",
        user,
        "INBOX",
    ]);
    assert_ne!(mailbox.select("INBOX").await.uid_validity.unwrap(), before);

    let out = sync(home.path());
    assert!(out.contains("1 offline change sent"), "{out}");
    assert!(
        out.contains("0 messages downloaded"),
        "messages found again by Message-ID keep their bodies: {out}"
    );
    assert_matches_server(home.path(), &mut mailbox).await;
    let flagged = mailbox
        .state("INBOX")
        .await
        .values()
        .filter(|c| c.flags & 4 != 0)
        .count();
    assert_eq!(flagged, 1, "the flag set offline reached the server");
}

#[tokio::test(flavor = "multi_thread")]
async fn japanese_malformed_8bit_and_25_mb_messages_are_all_kept() {
    let user = "s04@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;

    // ISO-2022-JP, as Japanese mail programs still send it.
    let (subject, _, _) = encoding_rs::ISO_2022_JP.encode("来週の会議室予約について");
    let (body, _, _) =
        encoding_rs::ISO_2022_JP.encode("山田様\r\n第二会議室を十四時から押さえました。\r\n");
    use base64::Engine;
    let mut jis = format!(
        "From: =?ISO-2022-JP?B?{}?= <yamada@example.jp>\r\nTo: {user}\r\nSubject: =?ISO-2022-JP?B?{}?=\r\n\
         Message-ID: <jis.1@example.jp>\r\nDate: Mon, 2 Nov 2026 09:00:00 +0900\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
        base64::engine::general_purpose::STANDARD.encode(encoding_rs::ISO_2022_JP.encode("山田").0),
        base64::engine::general_purpose::STANDARD.encode(&subject),
    )
    .into_bytes();
    jis.extend_from_slice(&body);
    mailbox.append("INBOX", &jis, "").await;

    // Raw 8-bit Shift_JIS in a header (no encoded words), as some old systems send.
    let mut eight_bit = b"From: legacy@example.jp\r\nSubject: ".to_vec();
    eight_bit.extend_from_slice(&encoding_rs::SHIFT_JIS.encode("請求書").0);
    eight_bit.extend_from_slice(b"\r\nMessage-ID: <sjis.1@example.jp>\r\n\r\nbody\r\n");
    mailbox.append("INBOX", &eight_bit, "").await;

    // Not a message at all.
    // (No NUL: IMAP cannot carry it in a plain literal, and Dovecot replaces it.)
    let garbage = b"\x01\x02\x03 this is not RFC 5322 \xff\xfe\r\n".to_vec();
    mailbox.append("INBOX", &garbage, "").await;

    // 25 MB attachment.
    let attachment: Vec<u8> = (0..25 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let mut big = format!(
        "From: big@example.jp\r\nTo: {user}\r\nSubject: big file\r\nMessage-ID: <big.1@example.jp>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    );
    big.push_str(&base64_lines(&attachment));
    big.push_str("--b--\r\n");
    mailbox.append("INBOX", big.as_bytes(), "").await;

    let home = account_home(user);
    let out = sync(home.path());
    assert!(out.contains("4 new"), "{out}");
    assert_matches_server(home.path(), &mut mailbox).await;

    let store = Store::open(&store_path(home.path())).unwrap();
    let hits = store.search("会議室", 10).unwrap();
    assert_eq!(hits.len(), 1, "found by a word of the ISO-2022-JP subject");
    assert_eq!(hits[0].subject, "来週の会議室予約について");
    assert_eq!(hits[0].from.as_ref().unwrap().name.as_deref(), Some("山田"));
    assert_eq!(
        store.search("十四時", 10).unwrap().len(),
        1,
        "and by its body"
    );
    let shown = support::run_tayori(home.path(), &["show", &hits[0].id.to_string()], &[], None);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("第二会議室を十四時から押さえました。"),
        "{shown}"
    );

    let inbox = store.folder_by_name(user, "INBOX").unwrap().unwrap();
    let rows = store
        .messages(inbox.id, SortOrder::NewestFirst, 0, 10)
        .unwrap();
    let garbage_row = rows
        .iter()
        .find(|r| {
            let raw = store.message_raw(r.id).unwrap().unwrap_or_default();
            raw.windows(20).any(|w| w == b"this is not RFC 5322")
        })
        .expect("the garbage is kept (byte for byte: compared with the server above)");
    assert_eq!(
        garbage_row.body_state,
        tayori::store::BodyState::Unparseable
    );
    let big_row = rows.iter().find(|r| r.subject == "big file").unwrap();
    assert!(big_row.has_attachments);
    let raw = store.message_raw(big_row.id).unwrap().unwrap();
    let decoded = tayori::mime::decode(&raw);
    assert_eq!(decoded.attachments[0].size, attachment.len());
    let legacy = rows
        .iter()
        .find(|r| r.message_id.as_deref() == Some("sjis.1@example.jp"));
    assert!(
        legacy.is_some(),
        "the 8-bit header message is stored: {rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_cut_mid_fetch_resumes_and_completes() {
    let user = "s05@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..150 {
        mailbox
            .append("INBOX", &message("cut", i, 300_000), "")
            .await;
    }
    let home = account_home(user);
    let child = spawn_tayori(home.path(), &["sync"], true);
    // Wait until bodies are arriving, then cut every connection of the user at the server.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let downloaded = Store::open(&store_path(home.path()))
            .ok()
            .and_then(|s| {
                let account = s.account_id(user).ok()?;
                s.counts(account).ok()
            })
            .map(|(_, bodies)| bodies)
            .unwrap_or(0);
        if downloaded > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no body arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    doveadm(&["kick", user]);
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    // Noticed between two answers (the pass stops and `tayori sync` tries again), or inside one
    // (the engine reconnects and asks for that message again: a lost connection is not the
    // message's fault, and nothing is skipped).
    assert!(
        text.contains("trying again") || text.contains("reconnecting to try the message again"),
        "the cut was noticed: {text}"
    );
    assert!(!text.contains("skipped"), "nothing was skipped: {text}");
    // The kick also closed this test's own connection.
    let mut mailbox = TestMailbox::login(user).await;
    assert_matches_server(home.path(), &mut mailbox).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn new_mail_during_idle_lands_in_the_store_within_a_second() {
    let user = "s07@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    mailbox.append("INBOX", &message("idle", 0, 10), "").await;
    let home = account_home(user);
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _watcher = Kill(spawn_tayori(home.path(), &["sync", "--watch"], false));
    let count = |home: &std::path::Path| local_state(home, user, "INBOX").len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(home.path()) < 1 {
        assert!(Instant::now() < deadline, "first sync did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let it settle into IDLE, then deliver through the real delivery path (LMTP).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut timings = Vec::new();
    for round in 1..=3 {
        let delivered = Instant::now();
        deliver_lmtp(user, &message("idle", round, 10));
        while count(home.path()) < round + 1 {
            assert!(
                delivered.elapsed() < Duration::from_secs(10),
                "new mail did not arrive via IDLE"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        timings.push(delivered.elapsed());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!("IDLE delivery to store: {timings:?}");
    // Generous for a loaded CI machine; benches/sync.sh reports the real figure.
    assert!(
        timings.iter().any(|t| *t < Duration::from_secs(1)),
        "{timings:?}"
    );

    // The server drops the connection (an admin kick, a restart): the watcher reconnects after
    // its backoff and new mail still arrives.
    doveadm(&["kick", user]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let delivered = Instant::now();
    deliver_lmtp(user, &message("idle", 99, 10));
    while count(home.path()) < 5 {
        assert!(
            delivered.elapsed() < Duration::from_secs(20),
            "no reconnect after the connection was dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "after a dropped connection, new mail arrived in {:?}",
        delivered.elapsed()
    );
}

fn deliver_lmtp(user: &str, raw: &[u8]) {
    use std::io::{BufRead, BufReader, Write};
    let stream = std::net::TcpStream::connect("127.0.0.1:10024").unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut line = String::new();
    let mut expect = |reader: &mut BufReader<std::net::TcpStream>, code: &str| loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with(code), "LMTP: {line}");
        if line.as_bytes().get(3) == Some(&b' ') {
            break;
        }
    };
    expect(&mut reader, "220");
    for (command, code) in [
        ("LHLO test\r\n".to_owned(), "250"),
        ("MAIL FROM:<sender@example.jp>\r\n".to_owned(), "250"),
        (format!("RCPT TO:<{user}>\r\n"), "250"),
        ("DATA\r\n".to_owned(), "354"),
    ] {
        writer.write_all(command.as_bytes()).unwrap();
        expect(&mut reader, code);
    }
    writer.write_all(raw).unwrap();
    writer.write_all(b".\r\n").unwrap();
    expect(&mut reader, "250");
    writer.write_all(b"QUIT\r\n").unwrap();
}

/// `tayori sync` killed with SIGKILL at random moments (while the mailbox also changes elsewhere),
/// then run to the end: the store must match the server exactly — nothing lost, nothing twice.
/// Against the Exchange-shaped profile (no CONDSTORE/QRESYNC: every resync compares UIDs and flags;
/// 5 connections per mailbox, which killed runs must not exhaust); the trials on the Gmail-like
/// layout below run against the full Dovecot (QRESYNC).
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_random_points_never_loses_or_duplicates_mail() {
    kill_9_trials("s06@example.test", false).await;
}

/// The kill -9 trials on the Gmail-like layout: every message is also in All Mail, and messages
/// move between folders between runs. Nothing lost, nothing twice — in any folder, and in the
/// store's one copy per message.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_with_all_mail_and_moves_never_loses_or_duplicates_mail() {
    kill_9_trials("g02@example.test", true).await;
}

/// The kill trials' account: on the Gmail-like layout as set up; else pointed at the
/// Exchange-shaped profile, as a person would enter the server by hand.
fn trial_home(user: &str, all_mail: bool) -> tempfile::TempDir {
    let home = account_home(user);
    if !all_mail {
        use_exchange_profile(home.path());
    }
    home
}

/// Points the account in `home` at the rig's Exchange-shaped profile (`exchange.example.test`), as
/// a person would enter the server by hand in the manual settings.
fn use_exchange_profile(home: &std::path::Path) {
    let accounts = home.join("config/accounts.toml");
    let text = std::fs::read_to_string(&accounts).unwrap();
    assert!(text.contains("host = \"mail.example.test\""), "{text}");
    std::fs::write(
        &accounts,
        text.replacen(
            "host = \"mail.example.test\"",
            "host = \"exchange.example.test\"",
            1,
        ),
    )
    .unwrap();
}

async fn kill_9_trials(user: &str, all_mail: bool) {
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..150 {
        // Mixed sizes: small notes, 200 KB reports, and 1.5 MB files (downloaded in pieces into a
        // temporary file and copied into the store: a kill may hit either step).
        let padding = match i {
            _ if i % 50 == 7 => 1_500_000,
            _ if i % 5 == 0 => 200_000,
            _ => 2_000,
        };
        mailbox
            .append("INBOX", &message("kill", i, padding), "")
            .await;
    }
    for i in 0..20 {
        mailbox
            .append("Archive", &message("kill-archive", i, 20_000), "\\Seen")
            .await;
    }
    if !all_mail {
        // Enough short notes that the store trains its compression dictionary (from the first
        // 400 messages a pass packs, or from those stored once a killed pass left that many) and
        // packs the rest with it: killed runs meet that too.
        for i in 0..300 {
            mailbox
                .append("INBOX", &message("kill-note", i, 600), "")
                .await;
        }
    }

    // How long an undisturbed first sync takes, to spread the kills over it.
    let probe = trial_home(user, all_mail);
    let started = Instant::now();
    sync(probe.path());
    let full = started.elapsed();

    let home = trial_home(user, all_mail);
    let mut killed_mid_run = 0;
    let mut trials = 0;
    // Until 20 kills have hit a running sync: each later run has less to do (it resumes), so
    // the mailbox also gets new mail, flag changes and expunges between runs.
    while killed_mid_run < 20 {
        trials += 1;
        assert!(
            trials <= 120,
            "too few kills hit a running sync ({killed_mid_run} of {trials})"
        );
        let mut child = spawn_tayori(home.path(), &["sync"], false);
        let window = if trials <= 4 { full } else { full / 3 };
        tokio::time::sleep(window.mul_f64(rand::random::<f64>())).await;
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        mailbox
            .append("INBOX", &message("kill-new", 1000 + trials, 150_000), "")
            .await;
        match trials % 3 {
            0 => {
                let command = format!("STORE {} +FLAGS (\\Seen)", trials % 50 + 1);
                mailbox.command("INBOX", &command).await;
            }
            1 => {
                let command = format!("STORE {} +FLAGS.SILENT (\\Deleted)", trials % 40 + 2);
                mailbox.command("INBOX", &command).await;
                mailbox.command("INBOX", "EXPUNGE").await;
            }
            _ if all_mail => {
                // A message already here moves to another folder (and keeps its All Mail copy).
                let command = format!("MOVE {} Archive", trials % 30 + 1);
                mailbox.command("INBOX", &command).await;
            }
            _ => {
                mailbox
                    .append("Archive", &message("kill-more", trials, 3_000), "")
                    .await
            }
        }
    }
    eprintln!(
        "kill -9: {trials} runs over a {full:?} first sync, {killed_mid_run} killed while running"
    );
    sync(home.path());
    if all_mail {
        assert_matches_server_stored_once(home.path(), &mut mailbox).await;
    } else {
        assert_matches_server(home.path(), &mut mailbox).await;
        assert!(
            log_text(home.path()).contains("condstore=false"),
            "the trials ran against the Exchange-shaped profile"
        );
    }
    // The search index too, built after each sync and killed as often: one row per stored
    // message, none left waiting.
    let db = rusqlite::Connection::open(store_path(home.path())).unwrap();
    let (messages, rows, keyed, waiting): (i64, i64, i64, i64) = db
        .query_row(
            "SELECT (SELECT count(*) FROM stored_messages), (SELECT count(*) FROM message_text),
                    (SELECT count(*) FROM stored_messages WHERE search_key IN (SELECT rowid FROM message_text)),
                    (SELECT count(*) FROM stored_messages WHERE body_state = 4)
                    + (SELECT count(*) FROM messages WHERE body_state = 4)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((rows, keyed, waiting), (messages, messages, 0));
    if !all_mail {
        // Messages packed with the store's dictionary are among those compared byte for byte.
        let (dictionaries, packed): (i64, i64) = db
            .query_row(
                "SELECT (SELECT count(*) FROM dictionaries),
                        (SELECT count(*) FROM bodies WHERE format = 2)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(
            dictionaries >= 1 && packed > 0,
            "{dictionaries} dictionaries, {packed} rows packed with one"
        );
    }
}

/// A Gmail-like mailbox (Dovecot's virtual plugin gives an "[Gmail]/All Mail" folder, \All,
/// holding every message again): each message is downloaded and stored once, whatever folders it
/// is in; All Mail adds no download and no stored bytes; moves between folders — MOVE, and COPY
/// then EXPUNGE — download nothing again; a message expunged from every folder leaves the store.
#[tokio::test(flavor = "multi_thread")]
async fn all_mail_and_moves_add_no_download_and_no_stored_bytes() {
    let user = "g01@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..30 {
        mailbox
            .append("INBOX", &message("gmail", i, 2_000 + i * 100), "")
            .await;
    }
    for i in 0..5 {
        mailbox
            .append("Archive", &message("gmail-archive", i, 5_000), "\\Seen")
            .await;
    }
    for i in 0..3 {
        mailbox
            .append("Sent", &message("gmail-sent", i, 700), "\\Seen")
            .await;
    }
    assert_eq!(
        mailbox.select(ALL_MAIL).await.exists,
        38,
        "the rig's All Mail"
    );
    let home = account_home(user);

    let first = sync(home.path());
    assert!(
        first.contains("76 new") && first.contains("38 messages downloaded"),
        "every message in two folders, downloaded once: {first}"
    );
    assert_matches_server_stored_once(home.path(), &mut mailbox).await;
    // Kept compressed, shown as sent: `tayori show --raw` of each All Mail copy is the server's
    // bytes.
    let store = Store::open(&store_path(home.path())).unwrap();
    let all_mail = store.folder_by_name(user, ALL_MAIL).unwrap().unwrap();
    let server = mailbox.state(ALL_MAIL).await;
    for row in store
        .messages(all_mail.id, SortOrder::NewestFirst, 0, 100)
        .unwrap()
    {
        let shown = support::run_tayori(
            home.path(),
            &["show", "--raw", &row.id.to_string()],
            &[],
            None,
        );
        assert!(shown.status.success());
        assert_eq!(Some(shown.stdout), server[&row.uid.unwrap()].raw);
    }
    assert!(
        store.stored_bytes().unwrap() < store.stored_totals().unwrap().1 / 2,
        "mail text is kept compressed"
    );
    drop(store);

    // Elsewhere: three to Trash the old way (COPY, then EXPUNGE), five to Archive (MOVE).
    // Sequence numbers: the UIDs go on from an earlier run of this test.
    mailbox.command("INBOX", "COPY 6:8 Trash").await;
    mailbox
        .command("INBOX", "STORE 6:8 +FLAGS.SILENT (\\Deleted)")
        .await;
    mailbox.command("INBOX", "EXPUNGE").await;
    mailbox.command("INBOX", "MOVE 1:5 Archive").await;
    assert_eq!(mailbox.select("Trash").await.exists, 3);
    let moved = sync(home.path());
    assert!(
        moved.contains("0 messages downloaded"),
        "moves download nothing: {moved}"
    );
    assert_matches_server_stored_once(home.path(), &mut mailbox).await;

    // Deleted for good: gone from the store, bytes and all.
    mailbox
        .command("Trash", "STORE 1:* +FLAGS.SILENT (\\Deleted)")
        .await;
    mailbox.command("Trash", "EXPUNGE").await;
    let deleted = sync(home.path());
    assert!(deleted.contains("0 messages downloaded"), "{deleted}");
    assert_matches_server_stored_once(home.path(), &mut mailbox).await;
    let store = Store::open(&store_path(home.path())).unwrap();
    assert_eq!(store.stored_totals().unwrap().0, 35);
    assert_eq!(
        store.search("gmail", 100).unwrap().len(),
        35,
        "one hit per message"
    );
}

/// Sync signed in with OAuth (XOAUTH2/OAUTHBEARER token from the rig's IdP, refresh token in the
/// Secret Service) works like the password path.
#[tokio::test(flavor = "multi_thread")]
async fn sync_signs_in_with_oauth() {
    let user = "carol@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    mailbox.append("INBOX", &message("oauth", 1, 100), "").await;
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/tayori.toml"),
        "[oauth.client_ids]\n\"https://127.0.0.1:9443\" = \"tayori\"\n",
    )
    .unwrap();
    let added = support::run_tayori(
        home.path(),
        &[
            "account",
            "add",
            user,
            "--browser",
            &support::driver_command(user, "carol-idp-secret"),
        ],
        &[],
        None,
    );
    assert!(
        added.status.success(),
        "{}{}",
        String::from_utf8_lossy(&added.stdout),
        String::from_utf8_lossy(&added.stderr)
    );
    let out = sync(home.path());
    assert!(out.contains("1 new"), "{out}");
    assert_matches_server(home.path(), &mut mailbox).await;
    let log = log_text(home.path());
    assert!(
        !log.to_lowercase().contains("bearer "),
        "no token in the log"
    );
}

/// A server of the old kind (the rig's Dovecot on legacy.example.test announces only IMAP4rev1-era
/// capabilities: no CONDSTORE/QRESYNC, MOVE, LIST-STATUS or SPECIAL-USE): flags and expunges come
/// from comparing UIDs and flags, moves are COPY + EXPUNGE, folder roles come from their names.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_condstore_move_or_list_status_syncs_too() {
    let user = "s21@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..6 {
        mailbox
            .append("INBOX", &message("legacy", i, 300), "")
            .await;
    }
    let home = account_home(user);
    // As a person would enter the server by hand in the manual settings.
    let accounts = home.path().join("config/accounts.toml");
    let text = std::fs::read_to_string(&accounts).unwrap();
    assert!(text.contains("host = \"mail.example.test\""), "{text}");
    std::fs::write(
        &accounts,
        text.replacen(
            "host = \"mail.example.test\"",
            "host = \"legacy.example.test\"",
            1,
        ),
    )
    .unwrap();

    let first = sync(home.path());
    assert!(first.contains("6 new"), "{first}");
    assert_matches_server(home.path(), &mut mailbox).await;
    let log = log_text(home.path());
    assert!(
        log.contains("condstore=false") && log.contains("qresync=false"),
        "the fallback path must be the one tested"
    );
    let store = Store::open(&store_path(home.path())).unwrap();
    let roles: Vec<_> = store
        .folders()
        .unwrap()
        .iter()
        .filter_map(|f| f.role)
        .collect();
    assert!(
        roles.contains(&tayori::store::FolderRole::Sent)
            && roles.contains(&tayori::store::FolderRole::Trash),
        "roles by name: {roles:?}"
    );
    drop(store);

    // Changes elsewhere, found by comparing every UID and its flags.
    mailbox.command("INBOX", "STORE 1 +FLAGS (\\Seen)").await;
    mailbox
        .command("INBOX", "STORE 2 +FLAGS.SILENT (\\Deleted)")
        .await;
    mailbox.command("INBOX", "EXPUNGE").await;
    let second = sync(home.path());
    assert!(second.contains("1 flag change, 1 removed"), "{second}");

    // A move made here goes out as COPY + EXPUNGE.
    {
        let mut store = Store::open(&store_path(home.path())).unwrap();
        let inbox = store.folder_by_name(user, "INBOX").unwrap().unwrap();
        let archive = store.folder_by_name(user, "Archive").unwrap().unwrap();
        let rows = store
            .messages(inbox.id, SortOrder::OldestFirst, 0, 1)
            .unwrap();
        store.move_to(rows[0].id, archive.id).unwrap();
    }
    let third = sync(home.path());
    assert!(third.contains("1 offline change sent"), "{third}");
    assert_eq!(mailbox.state("Archive").await.len(), 1);
    assert_matches_server(home.path(), &mut mailbox).await;
}

/// The rig's Exchange-shaped profile (exchange.example.test: the capabilities Exchange Online
/// announces — no CONDSTORE, QRESYNC, LIST-STATUS or ENABLE — and a limit of 5 IMAP connections per
/// mailbox; tests/rig/README.md). A resync finds a flag changed and a message expunged elsewhere by
/// comparing UIDs and flags; Tayori never asks for CONDSTORE, which Dovecot would grant even
/// unannounced; a message past 1 MiB (downloaded in `BODY.PEEK[]<offset.len>` pieces) reads back
/// byte-exact through `tayori show --raw`; and the sync, its IDLE watch and a message sent
/// meanwhile (SMTP, then its copy appended to Sent) stay within the connection limit, beside one
/// connection of the person's other device (this test's own session).
#[tokio::test(flavor = "multi_thread")]
async fn an_exchange_shaped_server_resyncs_by_uids_and_flags_within_its_connection_limit() {
    let user = "s22@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..6 {
        mailbox
            .append("INBOX", &message("exchange", i, 300), "")
            .await;
    }
    // 2.5 MB that does not compress (a photo, a PDF scan), base64 as mail carries it.
    let photo: Vec<u8> = (0..1_900_000).map(|_| rand::random::<u8>()).collect();
    let mut big = format!(
        "From: camera@example.jp\r\nTo: {user}\r\nSubject: big photo\r\n\
         Message-ID: <photo.1@example.jp>\r\nMIME-Version: 1.0\r\n\
         Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    );
    big.push_str(&base64_lines(&photo));
    mailbox.append("INBOX", big.as_bytes(), "").await;

    let home = account_home(user);
    use_exchange_profile(home.path());

    let first = sync(home.path());
    assert!(first.contains("7 new"), "{first}");
    assert_matches_server(home.path(), &mut mailbox).await;
    let log = log_text(home.path());
    assert!(
        log.contains("condstore=false") && log.contains("qresync=false"),
        "the UID and flag comparison must be the path tested"
    );
    // Dovecot answers `SELECT … (CONDSTORE)` or `ENABLE QRESYNC` with mod-sequences even where it
    // does not announce them (tests/rig/README.md); none in the store: Tayori never asked.
    let db = rusqlite::Connection::open(store_path(home.path())).unwrap();
    let modseqs: i64 = db
        .query_row(
            "SELECT (SELECT count(*) FROM folders WHERE highestmodseq IS NOT NULL)
                  + (SELECT count(*) FROM messages WHERE modseq IS NOT NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        modseqs, 0,
        "mod-sequences from a server that announced none"
    );
    drop(db);
    let store = Store::open(&store_path(home.path())).unwrap();
    let inbox = store.folder_by_name(user, "INBOX").unwrap().unwrap();
    let rows = store
        .messages(inbox.id, SortOrder::NewestFirst, 0, 10)
        .unwrap();
    let photo_row = rows.iter().find(|r| r.subject == "big photo").unwrap();
    let shown = support::run_tayori(
        home.path(),
        &["show", &photo_row.id.to_string(), "--raw"],
        &[],
        None,
    );
    assert!(shown.status.success());
    assert!(
        shown.stdout == big.as_bytes(),
        "show --raw gives the message byte for byte ({} bytes, not {})",
        shown.stdout.len(),
        big.len()
    );
    drop(store);

    // Changes elsewhere, found by comparing every UID and its flags.
    mailbox.command("INBOX", "STORE 1 +FLAGS (\\Seen)").await;
    mailbox
        .command("INBOX", "STORE 2 +FLAGS.SILENT (\\Deleted)")
        .await;
    mailbox.command("INBOX", "EXPUNGE").await;
    let second = sync(home.path());
    assert!(second.contains("1 flag change, 1 removed"), "{second}");
    assert_matches_server(home.path(), &mut mailbox).await;
    // Nothing changed since: every folder's SELECT and flags, pipelined, match the store, and no
    // folder is synced one by one.
    let third = sync(home.path());
    assert!(third.contains("(0 checked)"), "{third}");

    // The connection limit: the watcher (its sync, then IDLE), new mail, and a message sent
    // meanwhile; Dovecot's own count of the mailbox's connections is sampled throughout.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let dovecot_log = support::Rig::load().log_dir.join("dovecot.log");
    let log_before = std::fs::metadata(&dovecot_log).map_or(0, |m| m.len() as usize);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let who = doveadm(&["who", "-1", user]);
                peak = peak.max(who.lines().filter(|l| l.contains(" imap ")).count());
                std::thread::sleep(Duration::from_millis(25));
            }
            peak
        })
    };
    let _watcher = Kill(spawn_tayori(home.path(), &["sync", "--watch"], false));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    deliver_lmtp(user, &message("exchange-new", 1, 500));
    let sent = support::run_tayori(
        home.path(),
        &[
            "send",
            "--from",
            user,
            "--to",
            "alice@example.test",
            "--subject",
            "within the limit",
        ],
        &[],
        Some("Sent while the watcher idles.\n"),
    );
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !local_state(home.path(), user, "INBOX")
        .values()
        .any(|copy| {
            copy.raw
                .as_ref()
                .is_some_and(|raw| raw.windows(12).any(|w| w == b"exchange-new"))
        })
    {
        assert!(
            Instant::now() < deadline,
            "new mail did not arrive via IDLE"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    eprintln!("peak IMAP connections of {user} (limit 5, one of them this test's): {peak}");
    assert!((2..=5).contains(&peak), "sampled {peak} connections");
    let sent_copies = mailbox.state("Sent").await;
    assert_eq!(sent_copies.len(), 1, "the sent message's copy is in Sent");
    let dovecot_log = std::fs::read(&dovecot_log).unwrap();
    assert!(
        !String::from_utf8_lossy(&dovecot_log[log_before.min(dovecot_log.len())..])
            .lines()
            .any(|l| l.contains("Maximum number of connections") && l.contains(user)),
        "a connection of Tayori's was refused for the limit"
    );
}

/// `tayori sync` says an account is synced (every message stored, readable offline) before it
/// builds the search index, and then says that the index is complete. A search while the index is
/// incomplete — as a sync killed before it finished the index leaves it — says so, in English and
/// Japanese; the next sync completes the index with one row per message.
#[tokio::test(flavor = "multi_thread")]
async fn synced_comes_before_the_index_and_a_search_meanwhile_says_it_is_incomplete() {
    let user = "s09@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for i in 0..30 {
        mailbox.append("INBOX", &message("index", i, 300), "").await;
    }
    let home = account_home(user);
    let out = support::run_tayori(home.path(), &["sync"], &[], None);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].contains("30 new"),
        "the synced line first: {stdout}"
    );
    assert_eq!(lines[1], "search index complete (30 messages indexed)");
    let search = |env: &[(&str, &std::ffi::OsStr)]| {
        let out = support::run_tayori(
            home.path(),
            &["search", "Hello", "--limit", "100"],
            env,
            None,
        );
        (
            String::from_utf8_lossy(&out.stdout).lines().count(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (hits, note) = search(&[]);
    assert_eq!((hits, note.as_str()), (30, ""), "complete: no note");

    // What a sync killed after storing ten messages and before indexing them leaves: their bytes
    // stored (state 4) and only their header in the index.
    {
        let db = rusqlite::Connection::open(store_path(home.path())).unwrap();
        db.execute_batch(
            "CREATE TEMP TABLE waiting AS SELECT s.id, s.search_key, m.subject
                 FROM stored_messages s JOIN messages m ON m.stored_id = s.id
                 ORDER BY s.id LIMIT 10;
             UPDATE stored_messages SET body_state = 4 WHERE id IN (SELECT id FROM waiting);
             UPDATE messages SET body_state = 4, preview = '' WHERE stored_id IN (SELECT id FROM waiting);
             DELETE FROM message_text WHERE rowid IN (SELECT search_key FROM waiting);
             INSERT INTO message_text (rowid, subject, addresses, body)
                 SELECT search_key, subject, '', '' FROM waiting;",
        )
        .unwrap();
    }
    let (hits, note) = search(&[]);
    assert_eq!(hits, 20, "the text of the ten is not indexed");
    assert!(
        note.contains("the search index is still being built: 10 messages cannot be found"),
        "{note}"
    );
    let ja = std::ffi::OsStr::new("ja_JP.UTF-8");
    let (_, note) = search(&[("LANG", ja), ("LC_ALL", ja)]);
    assert!(
        note.contains("検索インデックスを作成中です。まだ 10 件"),
        "{note}"
    );
    // Subjects stay searchable meanwhile.
    let out = support::run_tayori(
        home.path(),
        &["search", "index", "message", "--limit", "100"],
        &[],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 30);

    let out = sync(home.path());
    assert!(
        out.contains("0 new") && out.contains("search index complete (10 messages indexed)"),
        "{out}"
    );
    let (hits, note) = search(&[]);
    assert_eq!((hits, note.as_str()), (30, ""));
    let db = rusqlite::Connection::open(store_path(home.path())).unwrap();
    let (rows, keys): (i64, i64) = db
        .query_row(
            "SELECT (SELECT count(*) FROM message_text),
                    (SELECT count(*) FROM stored_messages WHERE search_key IN (SELECT rowid FROM message_text))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, keys), (30, 30), "one index row per message");
}

/// Opening a message outside the body window (`body_days`) downloads it then: a big one in
/// `BODY.PEEK[]<offset.len>` pieces into a temporary file and from there into the store, as the
/// background pass does — never whole in memory. Dovecot's own count of the body pieces it sent on
/// that connection (`body_count` in its logout line) shows the pieces; `show --raw` gives the
/// message byte for byte, and the text before its attachment is found by search.
#[tokio::test(flavor = "multi_thread")]
async fn a_big_message_opened_outside_the_body_window_comes_in_pieces_byte_exact() {
    let user = "s19@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    mailbox
        .append("INBOX", &message("window", 0, 300), "")
        .await;
    // 3.3 MB that does not compress, from 2001: outside a 30-day window.
    let scan: Vec<u8> = (0..2_500_000).map(|_| rand::random::<u8>()).collect();
    let mut big = format!(
        "From: scanner@example.jp\r\nTo: {user}\r\nSubject: old scan\r\n\
         Message-ID: <scan.2001@example.jp>\r\nDate: Mon, 5 Mar 2001 09:00:00 +0900\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
         The quarterly zebrafinch scan is attached.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    );
    big.push_str(&base64_lines(&scan));
    big.push_str("--b--\r\n");
    mailbox.append("INBOX", big.as_bytes(), "").await;

    let home = account_home(user);
    let settings = home.path().join("config/tayori.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap_or_default();
    assert!(!text.contains("[sync]"), "{text}");
    text.push_str("\n[sync]\nbody_days = 30\n");
    std::fs::write(&settings, text).unwrap();
    let first = sync(home.path());
    assert!(first.contains("2 new"), "{first}");
    let store = Store::open(&store_path(home.path())).unwrap();
    let inbox = store.folder_by_name(user, "INBOX").unwrap().unwrap();
    let rows = store
        .messages(inbox.id, SortOrder::NewestFirst, 0, 10)
        .unwrap();
    let row = rows.iter().find(|r| r.subject == "old scan").unwrap();
    assert_eq!(
        store.message_raw(row.id).unwrap(),
        None,
        "outside the window: headers only"
    );
    drop(store);

    let log = support::Rig::load().log_dir.join("dovecot.log");
    let from = std::fs::metadata(&log).unwrap().len() as usize;
    let shown = support::run_tayori(
        home.path(),
        &["show", &row.id.to_string(), "--raw"],
        &[],
        None,
    );
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(
        shown.stdout == big.as_bytes(),
        "show --raw gives the message byte for byte ({} bytes, not {})",
        shown.stdout.len(),
        big.len()
    );
    // Dovecot logs the connection's figures when it closes: the one that sent this message's
    // bytes sent them as one piece per MiB (and a last, shorter one).
    let pieces = (big.len() >> 20) + 1;
    let wanted = format!("body_bytes={}", big.len());
    let deadline = Instant::now() + Duration::from_secs(10);
    let logout = loop {
        let text = std::fs::read(&log).unwrap();
        let found = String::from_utf8_lossy(&text[from.min(text.len())..])
            .lines()
            .find(|line| {
                line.contains(&format!("imap({user})"))
                    && line.contains("Logged out")
                    && line.split_whitespace().any(|field| field == wanted)
            })
            .map(str::to_owned);
        if let Some(line) = found {
            break line;
        }
        assert!(
            Instant::now() < deadline,
            "no logout line with {wanted} in Dovecot's log"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        logout
            .split_whitespace()
            .any(|field| field == format!("body_count={pieces}")),
        "{} bytes in {pieces} pieces of 1 MiB: {logout}",
        big.len()
    );
    // Stored: read again from the store, no download; the text before the attachment indexed.
    let store = Store::open(&store_path(home.path())).unwrap();
    assert_eq!(
        store.message_raw(row.id).unwrap().as_deref(),
        Some(big.as_bytes())
    );
    drop(store);
    let found = support::run_tayori(home.path(), &["search", "zebrafinch"], &[], None);
    assert!(
        String::from_utf8_lossy(&found.stdout).contains("old scan"),
        "{}",
        String::from_utf8_lossy(&found.stdout)
    );
}

/// Where the rig's Dovecot keeps `user`'s mail (Maildir++: a folder is a `.Name` directory).
fn maildir(user: &str) -> std::path::PathBuf {
    let (local, domain) = user.split_once('@').unwrap();
    support::Rig::load()
        .state_dir
        .join("mail")
        .join(domain)
        .join(local)
        .join("Maildir")
}

/// Puts `count` messages straight into `user`'s INBOX as Dovecot keeps them (Maildir files, then a
/// resync of its index): thousands of APPENDs would take a test minutes.
fn seed_inbox_files(user: &str, tag: &str, count: usize) {
    let cur = maildir(user).join("cur");
    for index in 0..count {
        let file = cur.join(format!("{}.M{index}P1.seed:2,", 1_790_000_000 + index));
        std::fs::write(&file, message(tag, index, 200)).unwrap();
        std::os::unix::fs::chown(&file, Some(5000), Some(5000)).unwrap();
    }
    doveadm(&["force-resync", "-u", user, "INBOX"]);
}

/// What Dovecot logged since `from` (a byte offset of its log): per session of `user` that ended,
/// how many headers it sent (`hdr_count` in its logout line). Waits up to 5 s for `sessions` of
/// them: Dovecot logs a logout a moment after the client has gone.
fn headers_sent_per_session(from: usize, user: &str, sessions: usize) -> Vec<u64> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = std::fs::read(support::Rig::load().log_dir.join("dovecot.log")).unwrap();
        let sent: Vec<u64> = String::from_utf8_lossy(&log[from.min(log.len())..])
            .lines()
            .filter(|l| l.contains(&format!("imap({user})")) && l.contains("Disconnected"))
            .filter_map(|l| {
                l.split("hdr_count=")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        if sent.iter().filter(|&&n| n > 0).count() >= sessions || Instant::now() > deadline {
            return sent;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `tayori sync` as [`sync`] runs it, with the engine's debug lines in its log file (the header
/// phase's account of itself).
fn sync_with_debug_log(home: &std::path::Path) -> String {
    let out = support::run_tayori(
        home,
        &["sync"],
        &[("TAYORI_LOG", std::ffi::OsStr::new("tayori=debug"))],
        None,
    );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tayori sync failed:\n{text}");
    text
}

fn dovecot_log_len() -> usize {
    std::fs::metadata(support::Rig::load().log_dir.join("dovecot.log"))
        .map_or(0, |m| m.len() as usize)
}

/// A big folder's headers come over two connections at once, the older half on the second: the
/// server reads its message files for both together, and the list is filled in about half the
/// time. Each message is stored once, byte-exact.
#[tokio::test(flavor = "multi_thread")]
async fn a_big_folders_headers_come_over_two_connections_at_once() {
    let user = "s13@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    seed_inbox_files(user, "beside", 3_200);
    let home = account_home(user);
    let from = dovecot_log_len();
    let text = sync_with_debug_log(home.path());
    assert!(text.contains("3200 new"), "{text}");
    assert_matches_server(home.path(), &mut mailbox).await;
    let log = log_text(home.path());
    let read_beside: usize = log
        .lines()
        .find(|l| l.contains("fetching headers"))
        .and_then(|l| {
            l.split("read_beside=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no account of the header phase in the log:\n{log}"));
    assert!(
        (1..3_200).contains(&read_beside),
        "headers read on the second connection: {read_beside}"
    );
    // The server's own account: two sessions of this person sent headers, together every one.
    let sent = headers_sent_per_session(from, user, 2);
    assert_eq!(
        sent.iter().filter(|&&n| n > 0).count(),
        2,
        "sessions that sent headers: {sent:?}"
    );
    assert!(sent.iter().sum::<u64>() >= 3_200, "{sent:?}");
}

/// Where the server's connection limit refuses the second connection, the first reads every
/// header itself: nothing is missing, nothing is told to the person.
#[tokio::test(flavor = "multi_thread")]
async fn headers_the_connection_limit_keeps_from_a_second_connection_are_read_by_the_first() {
    let user = "s16@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    seed_inbox_files(user, "limit", 3_200);
    let home = account_home(user);
    use_exchange_profile(home.path());
    // The person's other devices hold four of the five connections the Exchange-shaped profile
    // allows; Tayori's sync gets the last.
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(TestMailbox::login(user).await);
    }
    let from = dovecot_log_len();
    let text = sync_with_debug_log(home.path());
    assert!(text.contains("3200 new"), "{text}");
    assert!(
        !text.to_lowercase().contains("connection"),
        "told the person: {text}"
    );
    let log = std::fs::read(support::Rig::load().log_dir.join("dovecot.log")).unwrap();
    assert!(
        String::from_utf8_lossy(&log[from.min(log.len())..])
            .lines()
            .any(|l| l.contains("Maximum number of connections") && l.contains(user)),
        "the second connection was not refused: the test shows nothing"
    );
    let log = log_text(home.path());
    assert!(
        log.contains("the second connection stopped reading headers")
            && log.contains("read_beside=0"),
        "{log}"
    );
    drop(others);
    assert_matches_server(home.path(), &mut mailbox).await;
    let sent = headers_sent_per_session(from, user, 1);
    assert_eq!(sent.iter().filter(|&&n| n > 0).count(), 1, "{sent:?}");
}

/// A folder the server lists but refuses to open (its administrator took it away, or it is
/// damaged) costs that folder alone: the others sync, the person is told which folder and why,
/// and once the server lets it be opened again the next sync brings it up to date. On the
/// Exchange-shaped profile the refusal comes in the middle of the pipelined look at every folder.
#[tokio::test(flavor = "multi_thread")]
async fn a_folder_the_server_refuses_to_open_costs_that_folder_alone() {
    use std::os::unix::fs::PermissionsExt;
    struct Reopen(std::path::PathBuf);
    impl Drop for Reopen {
        fn drop(&mut self) {
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
        }
    }
    let user = "s17@example.test";
    let mut mailbox = TestMailbox::login(user).await;
    mailbox.reset().await;
    for folder in ["Projects", "Zeta"] {
        mailbox.session.create(folder).await.unwrap();
    }
    for (index, folder) in ["INBOX", "Projects", "Zeta"].into_iter().enumerate() {
        mailbox
            .append(folder, &message("refused", index, 100), "")
            .await;
    }
    let home = account_home(user);
    use_exchange_profile(home.path());
    let first = sync(home.path());
    assert!(first.contains("3 new"), "{first}");

    // The server stops letting the mailbox's owner open Projects; mail arrives around it.
    let projects = Reopen(maildir(user).join(".Projects"));
    std::fs::set_permissions(&projects.0, std::fs::Permissions::from_mode(0o000)).unwrap();
    for (index, folder) in [(3, "INBOX"), (4, "Zeta")] {
        mailbox
            .append(folder, &message("refused", index, 100), "")
            .await;
    }
    let out = support::run_tayori(home.path(), &["sync"], &[], None);
    let (said, told) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{said}{told}");
    assert!(said.contains("2 new"), "{said}{told}");
    assert!(
        told.contains("the server refused to open the folder Projects")
            && told.contains("the next sync tries it again"),
        "{told}"
    );
    for (folder, count) in [("INBOX", 2), ("Zeta", 2), ("Projects", 1)] {
        assert_eq!(
            local_state(home.path(), user, folder).len(),
            count,
            "{folder}"
        );
    }

    // Mended on the server: the next sync brings Projects up to date and says nothing of it.
    drop(projects);
    mailbox
        .append("Projects", &message("refused", 5, 100), "")
        .await;
    let third = support::run_tayori(home.path(), &["sync"], &[], None);
    assert!(third.status.success());
    assert!(
        !String::from_utf8_lossy(&third.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
    assert_folders_match_server(home.path(), &mut mailbox, &["INBOX", "Projects", "Zeta"]).await;
}
