//! Tayori against servers written to misbehave (tests/hostile/): poison FETCH data, oversized
//! literals, endless lines, stalls, a wrong tag, BYE during IDLE, an injecting STARTTLS (IMAP and
//! SMTP), SMTP without STARTTLS, and a token endpoint with huge or impossible answers.
//!
//! Every case runs the real `tayori` binary and checks four things:
//! 1. no panic (exit status and standard error);
//! 2. the good messages are stored (one bad message costs that message alone);
//! 3. memory and time are bounded (peak RSS from the kernel, wall time; both printed as FIGURE
//!    lines, which the suite's log keeps);
//! 4. what the person is told is true (and carries no mail content).
//!
//! Needs the rig's PKI and Secret Service (tests/rig/start.sh, tests/rig/with-secret-service.sh);
//! the SMTP and account cases also use the rig's Dovecot for the Sent folder.

#[path = "hostile/mod.rs"]
mod hostile;
mod support;

use std::path::Path;
use std::time::Duration;

use hostile::imap::{self, Misbehaviour as Imap};
use hostile::measure::{Run, Tayori};
use hostile::smtp;
use hostile::token;
use hostile::{SECRET_CONTENT, Verdict};
use support::mailbox::{Copy, local_state, log_text};
use tayori::account::{Account, AccountAuth, Accounts, Server};
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::config::Paths;
use tayori::discovery::Security;
use tayori::redact::Secret;

/// A hostile server is given up on in well under a minute.
const GIVE_UP: Duration = Duration::from_secs(45);
/// An error that shows at once (a parse error, a refused literal) costs seconds, not minutes.
const AT_ONCE: Duration = Duration::from_secs(20);
/// Killed (and failed) after this long: today's code needs 615 s and 660 s for two of the cases.
const DEADLINE: Duration = Duration::from_secs(100);
/// Peak memory of a command against a hostile server. A sync of ten small messages needs about
/// a fifth of this; the 400 MB literal made today's code allocate 415 MB.
const MEMORY_MIB: f64 = 150.0;

/// The app password the hostile IMAP and SMTP servers accept (any would do).
const PASSWORD: &str = "hostile-app-password";

async fn save_password(email: &str, password: &str) {
    keyring_store::save(email, SecretKind::AppPassword, &Secret::new(password))
        .await
        .expect("the test keyring (run inside tests/rig/with-secret-service.sh)");
}

fn server(host: &str, port: u16, security: Security, username: &str) -> Server {
    Server {
        host: host.into(),
        port,
        security,
        username: username.into(),
    }
}

/// A Tayori home with one account whose servers and sign-in are given.
fn home_with(account: Account) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    Accounts::new(&paths).upsert(account).unwrap();
    home
}

/// A home whose account reads mail from the hostile IMAP server on `port` (password sign-in).
async fn imap_home(case: &str, port: u16, security: imap::Security) -> (tempfile::TempDir, String) {
    let email = format!("{case}@hostile.example.test");
    save_password(&email, PASSWORD).await;
    let security = match security {
        imap::Security::Tls => Security::Tls,
        imap::Security::StartTls => Security::StartTls,
    };
    let home = home_with(Account {
        email: email.clone(),
        display_name: None,
        provider: None,
        imap: server("127.0.0.1", port, security, &email),
        // Nothing listens there; these cases never send.
        smtp: server("127.0.0.1", 9, Security::Tls, &email),
        auth: AccountAuth::Password,
        last_sign_in: None,
        needs_sign_in: None,
        sent_copy: None,
        shared_via: None,
        send_via_graph: None,
        read_via_graph: None,
        read_via_imap_again: None,
    });
    (home, email)
}

async fn run(tayori: Tayori) -> Run {
    tokio::task::spawn_blocking(move || tayori.run())
        .await
        .unwrap()
}

async fn sync(home: &Path) -> Run {
    run(Tayori::new(home, &["sync"]).deadline(DEADLINE)).await
}

fn stored(home: &Path, email: &str) -> std::collections::BTreeMap<u32, Copy> {
    if !tayori::store::Store::path_in(&Paths::under(home)).exists() {
        return Default::default();
    }
    local_state(home, email, "INBOX")
}

fn logs(home: &Path) -> String {
    std::fs::read_dir(home.join("data/logs"))
        .map(|_| log_text(home))
        .unwrap_or_default()
}

/// No mail content in what the person sees or in the log ("safe to share").
fn check_no_mail_content(verdict: &mut Verdict, run: &Run, home: &Path) {
    verdict.check(
        !run.text().contains(SECRET_CONTENT),
        "mail content reached the terminal",
    );
    verdict.check(
        !logs(home).contains(SECRET_CONTENT),
        "mail content reached the log file",
    );
}

/// Every message but `bad` is stored whole (header and exact bytes).
fn check_good_messages_stored(
    verdict: &mut Verdict,
    home: &Path,
    email: &str,
    count: u32,
    bad: Option<u32>,
) {
    let local = stored(home, email);
    let good: Vec<u32> = (1..=count).filter(|uid| Some(*uid) != bad).collect();
    let missing: Vec<u32> = good
        .iter()
        .copied()
        .filter(|uid| !local.contains_key(uid))
        .collect();
    verdict.check(
        missing.is_empty(),
        format!(
            "{} of {} good messages stored (missing UIDs {missing:?})",
            good.len() - missing.len(),
            good.len()
        ),
    );
    let without_body: Vec<u32> = good
        .iter()
        .copied()
        .filter(|uid| {
            local.get(uid).and_then(|c| c.raw.as_deref())
                != Some(&imap::message(*uid, false, false)[..])
        })
        .collect();
    verdict.check(
        without_body.is_empty(),
        format!(
            "{} of {} good messages stored with their exact bytes (without: UIDs {without_body:?})",
            good.len() - without_body.len(),
            good.len()
        ),
    );
}

/// The bad message is kept (raw, or as a placeholder with its UID) and the person is told which
/// one it was and that it was skipped.
fn check_bad_message_accounted_for(
    verdict: &mut Verdict,
    run: &Run,
    home: &Path,
    email: &str,
    bad: u32,
) {
    verdict.check(
        stored(home, email).contains_key(&bad),
        format!("the bad message (UID {bad}) is not in the store, not even as a placeholder"),
    );
    let text = run.text();
    verdict.check(
        text.contains(&format!("UID {bad}")) && text.to_lowercase().contains("skipped"),
        format!("the person is not told that message UID {bad} was skipped"),
    );
}

/// What the bad message may cost.
#[derive(Clone, Copy, PartialEq)]
enum Cost {
    /// The message is skipped: kept as a placeholder with its UID (or its body marked), and the
    /// person told which one.
    Skipped,
    /// Only the broken item is lost (an arrival date that is not a date): the message is stored
    /// whole, nothing to tell.
    Item,
}

/// A sync against ten good messages and one bad one (UID 7 of 11).
async fn one_bad_message(case: &str, misbehaviour: Imap, time: Duration) {
    one_bad(case, misbehaviour, time, Cost::Skipped).await
}

async fn one_bad(case: &str, misbehaviour: Imap, time: Duration, cost: Cost) {
    let bad = 7;
    let mut config = imap::Config::new(misbehaviour);
    config.messages = 11;
    let server = imap::start(config).await;
    let (home, email) = imap_home(case, server.port, imap::Security::Tls).await;
    let mut verdict = Verdict::new(case);
    let first = sync(home.path()).await;
    verdict.saw("first sync", &first);
    verdict.no_panic(&first);
    verdict.bounded(&first, time, MEMORY_MIB);
    verdict.exit(&first, 0, "one bad message does not fail the account");
    match cost {
        Cost::Skipped => {
            check_good_messages_stored(&mut verdict, home.path(), &email, 11, Some(bad));
            check_bad_message_accounted_for(&mut verdict, &first, home.path(), &email, bad);
        }
        Cost::Item => {
            check_good_messages_stored(&mut verdict, home.path(), &email, 11, Some(bad));
            let kept = stored(home.path(), &email)
                .get(&bad)
                .and_then(|copy| copy.raw.clone());
            verdict.check(
                kept.as_deref() == Some(&imap::message(bad, true, false)[..]),
                format!("message UID {bad} (only its arrival date broken) is not stored whole"),
            );
        }
    }
    check_no_mail_content(&mut verdict, &first, home.path());
    // The next sync is just as calm: the bad message does not disable the account.
    let again = sync(home.path()).await;
    verdict.saw("second sync", &again);
    verdict.no_panic(&again);
    verdict.bounded(&again, time, MEMORY_MIB);
    verdict.exit(
        &again,
        0,
        "the second sync is not stopped by the same message",
    );
    check_no_mail_content(&mut verdict, &again, home.path());
    eprintln!(
        "SERVER {case}: {} connections, {} commands",
        server.seen.connections(),
        server.seen.commands().len()
    );
    verdict.finish();
}

// ---------------------------------------------------------------- one bad message among good ones

/// `INTERNALDATE NIL` is no date: the message is stored without its arrival date (its Date
/// header orders it), nothing else is lost.
#[tokio::test(flavor = "multi_thread")]
async fn internaldate_nil_costs_that_message_alone() {
    one_bad(
        "internaldate-nil",
        Imap::InternalDateNil(7),
        AT_ONCE,
        Cost::Item,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_internaldate_literal_with_8bit_bytes_costs_that_message_alone() {
    one_bad(
        "internaldate-8bit",
        Imap::InternalDateLiteral8Bit(7),
        AT_ONCE,
        Cost::Item,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unparseable_fetch_item_costs_that_message_alone_and_stays_out_of_the_log() {
    one_bad_message("unparseable-item", Imap::UnparseableItem(7), AT_ONCE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_literal_announced_over_the_cap_costs_that_message_alone() {
    one_bad_message("literal-over-cap", Imap::LiteralOverCap(7), AT_ONCE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_400_mb_literal_announcement_is_refused_before_any_allocation() {
    one_bad_message("literal-400mb", Imap::HugeLiteral(7), AT_ONCE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_100_mb_line_without_crlf_is_given_up_on_in_seconds() {
    one_bad_message("line-100mb", Imap::EndlessLine(7), AT_ONCE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_400_mb_body_for_a_small_message_is_refused_by_its_size() {
    one_bad_message("body-400mb", Imap::HugeBodyLiteral(7), AT_ONCE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_dropped_mid_literal_costs_that_message_alone() {
    one_bad_message("drop-mid-literal", Imap::DropMidLiteral(7), GIVE_UP).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_sent_at_one_byte_a_second_is_given_up_on_in_under_a_minute() {
    one_bad_message("throttle-1bps", Imap::Throttle(7), GIVE_UP).await;
}

/// A server without CONDSTORE (Exchange) is asked for every message's flags on every sync: one
/// unreadable FLAGS answer must not stop the account's sync, nor make its message look deleted.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_flags_answer_costs_that_messages_flags_alone() {
    let bad = 7;
    let mut config = imap::Config::new(Imap::UnparseableFlags(bad));
    config.messages = 11;
    let server = imap::start(config).await;
    let (home, email) = imap_home("unparseable-flags", server.port, imap::Security::Tls).await;
    let mut verdict = Verdict::new("unparseable-flags");
    let first = sync(home.path()).await;
    verdict.saw("first sync", &first);
    verdict.no_panic(&first);
    verdict.exit(&first, 0, "the first sync asks no flags");
    // The second sync compares every UID and its flags.
    let again = sync(home.path()).await;
    verdict.saw("second sync", &again);
    verdict.no_panic(&again);
    verdict.bounded(&again, AT_ONCE, MEMORY_MIB);
    verdict.exit(
        &again,
        0,
        "one unreadable FLAGS answer does not stop the sync",
    );
    check_good_messages_stored(&mut verdict, home.path(), &email, 11, Some(bad));
    verdict.check(
        stored(home.path(), &email).contains_key(&bad),
        format!("message UID {bad} was dropped as if deleted on the server"),
    );
    check_no_mail_content(&mut verdict, &again, home.path());
    verdict.finish();
}

/// Found while writing this suite: imap-proto turns the mailbox name of any METADATA response
/// (RFC 5464) into a `str` with `from_utf8(..).unwrap()`, and parses such a response whenever a
/// server sends one — asked for or not. One line from a server panics every client.
#[tokio::test(flavor = "multi_thread")]
async fn an_unsolicited_metadata_response_that_is_not_utf8_does_not_panic() {
    let server = imap::start(imap::Config::new(Imap::MetadataNotUtf8)).await;
    let (home, email) = imap_home("metadata-utf8", server.port, imap::Security::Tls).await;
    let mut verdict = Verdict::new("metadata-not-utf8");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    // An unsolicited response Tayori has no use for is passed over: the folder syncs.
    verdict.exit(
        &run,
        0,
        "an unsolicited response Tayori does not use is passed over",
    );
    check_good_messages_stored(&mut verdict, home.path(), &email, 10, None);
    verdict.finish();
}

// ---------------------------------------------------------------- big but legitimate

/// Exchange has no CONDSTORE, so every sync of a big Microsoft 365 folder reads a UID SEARCH
/// answer that grows with the mailbox: 100,000 UIDs are one line of about 690 KB, which must be
/// read — a line cap has to allow it.
#[tokio::test(flavor = "multi_thread")]
async fn a_100000_uid_search_answer_is_read() {
    let count = 100_000;
    let mut config = imap::Config::new(Imap::None);
    config.messages = count;
    config.tiny_old_messages = true;
    let server = imap::start(config).await;
    let (home, email) = imap_home("search-100k", server.port, imap::Security::Tls).await;
    // Headers only (the messages are from 2001, outside a 30-day body window).
    std::fs::write(
        home.path().join("config/tayori.toml"),
        "[sync]\nbody_days = 30\n",
    )
    .unwrap();
    let mut verdict = Verdict::new("search-100k");
    let first = run(Tayori::new(home.path(), &["sync"]).deadline(Duration::from_secs(400))).await;
    verdict.saw("first sync", &first);
    verdict.no_panic(&first);
    verdict.exit(&first, 0, "a big mailbox syncs");
    verdict.check(
        first.stdout.contains(&format!("{count} new")),
        format!("the summary does not say {count} new"),
    );
    let stored = stored(home.path(), &email).len();
    verdict.check(
        stored == count as usize,
        format!("{stored} of {count} messages stored"),
    );
    verdict.check(
        server.seen.count("UID SEARCH") >= 1,
        "no UID SEARCH was asked",
    );
    verdict.finish();
}

/// The other side of the line cap: a SEARCH answer for a folder of ten messages that never ends is
/// refused in seconds (the folder's EXISTS says how long it can be).
#[tokio::test(flavor = "multi_thread")]
async fn an_endless_search_answer_for_a_small_folder_is_refused_in_seconds() {
    let server = imap::start(imap::Config::new(Imap::EndlessSearch)).await;
    let (home, _) = imap_home("endless-search", server.port, imap::Security::Tls).await;
    let mut verdict = Verdict::new("endless-search");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.exit(&run, 1, "the folder could not be listed");
    verdict.check(
        run.text().contains("127.0.0.1") && run.text().contains("too long"),
        "the person is not told that the server's answer was too long",
    );
    verdict.finish();
}

// ---------------------------------------------------------------- servers that stall or lie

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_greets_is_given_up_on_in_under_a_minute() {
    let server = imap::start(imap::Config::new(Imap::NoGreeting)).await;
    let (home, _) = imap_home("no-greeting", server.port, imap::Security::Tls).await;
    let mut verdict = Verdict::new("no-greeting");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, GIVE_UP, MEMORY_MIB);
    verdict.exit(&run, 1, "nothing could be synced");
    let text = run.text();
    verdict.check(
        text.contains("127.0.0.1") && text.to_lowercase().contains("did not"),
        "the person is not told which server did not answer",
    );
    verdict.check(
        !text.to_lowercase().contains("certificate"),
        "a silent server is not a certificate problem",
    );
    verdict.finish();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_with_the_wrong_tag_is_a_protocol_error_not_a_two_minute_wait() {
    let server = imap::start(imap::Config::new(Imap::WrongTag)).await;
    let (home, _) = imap_home("wrong-tag", server.port, imap::Security::Tls).await;
    let mut verdict = Verdict::new("wrong-tag");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.exit(&run, 1, "nothing could be synced");
    verdict.check(
        run.text().contains("127.0.0.1") && run.text().contains("tag"),
        "the person is not told that the server answered out of turn",
    );
    verdict.finish();
}

#[tokio::test(flavor = "multi_thread")]
async fn bye_during_idle_is_followed_by_a_reconnect_that_brings_the_new_mail() {
    let server = imap::start(imap::Config::new(Imap::ByeDuringIdle)).await;
    let (home, email) = imap_home("bye-idle", server.port, imap::Security::Tls).await;
    let mut verdict = Verdict::new("bye-idle");
    let watching = Tayori::new(home.path(), &["sync", "--watch"])
        .deadline(Duration::from_secs(60))
        .spawn();
    let started = std::time::Instant::now();
    // The first session stores 10, then IDLE ends in BYE; by the next session an 11th is there.
    while stored(home.path(), &email).len() < 11 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reconnected_in = started.elapsed();
    // Ctrl-C, as a person at the terminal stops it.
    unsafe { libc::kill(watching.pid, libc::SIGINT) };
    let run = tokio::task::spawn_blocking(move || watching.finish())
        .await
        .unwrap();
    verdict.saw("sync --watch, then Ctrl-C", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, Duration::from_secs(60), MEMORY_MIB);
    verdict.exit(&run, 0, "Ctrl-C ends a watch normally");
    verdict.check(
        server.seen.connections() >= 2,
        format!(
            "no reconnect after BYE ({} connections)",
            server.seen.connections()
        ),
    );
    check_good_messages_stored(&mut verdict, home.path(), &email, 11, None);
    eprintln!(
        "FIGURE hostile bye-idle: the 11th message was stored {:.1} s after the start",
        reconnected_in.as_secs_f64()
    );
    let logs = logs(home.path());
    verdict.check(
        logs.contains("the server is restarting")
            || run.text().contains("the server is restarting"),
        "the server's reason for BYE is not recorded (the log says the connection broke)",
    );
    verdict.finish();
}

// ---------------------------------------------------------------- STARTTLS

/// What a person must not be told about a STARTTLS that was tampered with: that a company
/// certificate is missing (it is not), and the same sentence twice.
fn check_told_of_tampering_once(verdict: &mut Verdict, run: &Run) {
    let text = run.text();
    verdict.check(
        !text.to_lowercase().contains("certificate"),
        "a tampered STARTTLS is explained as a missing (company) certificate",
    );
    let lines = text.lines().filter(|l| l.contains("127.0.0.1")).count();
    verdict.check(lines > 0, "the server is not named");
    verdict.check(lines <= 1, format!("said {lines} times"));
}

#[tokio::test(flavor = "multi_thread")]
async fn imap_starttls_injection_fails_closed_and_says_why_once() {
    let mut config = imap::Config::new(Imap::StartTlsInjection);
    config.security = imap::Security::StartTls;
    let server = imap::start(config).await;
    let (home, email) = imap_home("imap-inject", server.port, imap::Security::StartTls).await;
    let mut verdict = Verdict::new("imap-starttls-injection");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.exit(&run, 1, "nothing could be synced");
    // Fails closed: the credentials never reached the server, nothing was stored.
    verdict.check(
        server.seen.count("LOGIN") == 0,
        "the password reached the server",
    );
    verdict.check(
        stored(home.path(), &email).is_empty(),
        "something was stored",
    );
    verdict.check(
        server.seen.connections() == 1,
        format!(
            "tampering was retried as a passing network problem ({} connections)",
            server.seen.connections()
        ),
    );
    check_told_of_tampering_once(&mut verdict, &run);
    verdict.finish();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_tls_record_after_imap_starttls_is_not_called_a_missing_certificate() {
    let mut config = imap::Config::new(Imap::BrokenTlsRecord);
    config.security = imap::Security::StartTls;
    let server = imap::start(config).await;
    let (home, _) = imap_home("broken-record", server.port, imap::Security::StartTls).await;
    let mut verdict = Verdict::new("broken-tls-record");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.exit(&run, 1, "nothing could be synced");
    verdict.check(
        server.seen.count("LOGIN") == 0,
        "the password reached the server",
    );
    verdict.check(
        server.seen.connections() == 1,
        format!(
            "a broken TLS record was retried as a passing network problem ({} connections)",
            server.seen.connections()
        ),
    );
    check_told_of_tampering_once(&mut verdict, &run);
    verdict.finish();
}

// ---------------------------------------------------------------- SMTP submission

/// k01 sends; the rig's Dovecot keeps its Sent folder.
const SENDER: &str = "k01@example.test";
const SENDER_PASSWORD: &str = "k01-app-password";
const RECIPIENT: &str = "k02@example.test";

/// A home whose account submits to the hostile SMTP server on `port` and keeps its folders on
/// the rig's Dovecot.
async fn smtp_home(port: u16, security: Security) -> tempfile::TempDir {
    save_password(SENDER, SENDER_PASSWORD).await;
    home_with(Account {
        email: SENDER.into(),
        display_name: Some("K One".into()),
        provider: None,
        imap: server("mail.example.test", 10993, Security::Tls, SENDER),
        smtp: server("127.0.0.1", port, security, SENDER),
        auth: AccountAuth::Password,
        last_sign_in: None,
        needs_sign_in: None,
        sent_copy: None,
        shared_via: None,
        send_via_graph: None,
        read_via_graph: None,
        read_via_imap_again: None,
    })
}

async fn send(home: &Path, subject: &str, body: &str) -> Run {
    run(Tayori::new(
        home,
        &[
            "send",
            "--from",
            SENDER,
            "--to",
            RECIPIENT,
            "--subject",
            subject,
        ],
    )
    .stdin(body)
    .deadline(DEADLINE))
    .await
}

fn outbox(home: &Path) -> Vec<serde_json::Value> {
    let run = Tayori::new(home, &["outbox", "list", "--all", "--json"]).run();
    assert_eq!(run.code, Some(0), "{}", run.excerpt());
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.excerpt()))
}

async fn sent_copies(message_id: &str) -> usize {
    hostile::message_ids(SENDER, SENDER_PASSWORD, "Sent")
        .await
        .get(message_id)
        .copied()
        .unwrap_or(0)
}

/// The issue's finding: the server answers STARTTLS with `220` and a fake EHLO reply in one
/// write, takes the sign-in and refuses the message with 554 after the data. A client one reply
/// late reads the 354 as the answer to its message and reports it sent.
#[tokio::test(flavor = "multi_thread")]
async fn smtp_starttls_injection_is_never_reported_sent() {
    let server = smtp::start(smtp::Config::new(
        smtp::Security::StartTls,
        smtp::Misbehaviour::StartTlsInjection,
    ))
    .await;
    let home = smtp_home(server.port, Security::StartTls).await;
    let mut verdict = Verdict::new("smtp-starttls-injection");
    let run = send(
        home.path(),
        "injected STARTTLS",
        "This must not be reported sent.\n",
    )
    .await;
    verdict.saw("send", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    let text = run.text();
    verdict.check(run.code != Some(0), "exit 0 for a refused message");
    verdict.check(
        !text.contains("Sent."),
        "a refused message is reported \"Sent.\"",
    );
    let entries = outbox(home.path());
    verdict.check(
        entries.len() == 1 && entries[0]["state"] != "sent",
        format!("the outbox marks it sent: {entries:?}"),
    );
    if let Some(message_id) = entries.first().and_then(|e| e["message_id"].as_str()) {
        let copies = sent_copies(message_id).await;
        verdict.check(copies == 0, format!("{copies} copy filed in Sent"));
    }
    // The session ended at the injection: no sign-in and no message went over the tampered link.
    let commands = server.seen.commands();
    verdict.check(
        !commands
            .iter()
            .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
        format!("the session went on after the injection: {commands:?}"),
    );
    verdict.check(
        text.to_lowercase().contains("starttls"),
        "the person is not told that the STARTTLS answer was tampered with",
    );
    verdict.finish();
}

/// `tayori account add` for a person of Example Corp, whose administrator's policy names the rig's
/// Dovecot for IMAP and `server` for SMTP (password sign-in); the home and the run.
async fn add_with_smtp_at(server: &smtp::Server) -> (tempfile::TempDir, Run) {
    let security = match server.security {
        smtp::Security::StartTls => "starttls",
        smtp::Security::Tls => "tls",
    };
    let home = tempfile::tempdir().unwrap();
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            r#"
[[provider]]
name = "Example Corp IT"
domains = ["example.test"]
imap = {{ host = "mail.example.test", port = 10993, security = "tls" }}
smtp = {{ host = "127.0.0.1", port = {}, security = "{security}" }}
sign_in = ["password"]
"#,
            server.port
        ),
    )
    .unwrap();
    let run = run(Tayori::new(
        home.path(),
        &["account", "add", SENDER, "--auth", "password"],
    )
    .env("TAYORI_POLICY_FILE", &policy)
    .stdin(&format!("{SENDER_PASSWORD}\n"))
    .deadline(DEADLINE))
    .await;
    (home, run)
}

#[tokio::test(flavor = "multi_thread")]
async fn account_add_refuses_an_smtp_server_whose_starttls_injects() {
    let server = smtp::start(smtp::Config::new(
        smtp::Security::StartTls,
        smtp::Misbehaviour::StartTlsInjectionRefusingSignIn,
    ))
    .await;
    let mut verdict = Verdict::new("account-add-smtp-injection");
    // The injecting server refuses every sign-in after TLS (535): the check can only pass if the
    // replies are read one step late.
    let (home, run) = add_with_smtp_at(&server).await;
    verdict.saw("account add", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.check(
        run.code != Some(0),
        "an SMTP server that injects into STARTTLS and refuses the sign-in passed the check",
    );
    let accounts = Accounts::new(&Paths::under(home.path())).list().unwrap();
    verdict.check(accounts.is_empty(), "the account was saved");
    verdict.check(
        !server.seen.commands().iter().any(|c| c.starts_with("AUTH")),
        "the password went over the tampered session",
    );
    verdict.finish();
}

/// `454 4.7.0 Temporary authentication failure` is the server saying it cannot check the sign-in
/// right now, not that the password is wrong: setup says to try again later, never that the sign-in
/// was refused (which sends people resetting a password that was fine), and saves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_temporary_sign_in_failure_of_smtp_is_not_called_a_refusal() {
    let server = smtp::start(smtp::Config::new(
        smtp::Security::Tls,
        smtp::Misbehaviour::SignInTemporarilyFails,
    ))
    .await;
    let mut verdict = Verdict::new("account-add-smtp-454");
    let (home, run) = add_with_smtp_at(&server).await;
    verdict.saw("account add", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.check(
        run.code != Some(0),
        "setup passed without SMTP checking the sign-in",
    );
    verdict.check(
        server.seen.commands().iter().any(|c| c.starts_with("AUTH")),
        "the SMTP server was never asked to sign in",
    );
    let accounts = Accounts::new(&Paths::under(home.path())).list().unwrap();
    verdict.check(accounts.is_empty(), "the account was saved");
    let text = run.text().to_lowercase();
    verdict.check(
        text.contains("try again later") && text.contains("454"),
        "not told that the server could not check the sign-in now and to try again later",
    );
    verdict.check(
        !text.contains("refused the sign-in") && !text.contains("password is wrong"),
        "a temporary failure was called a refused sign-in",
    );
    verdict.finish();
}

#[tokio::test(flavor = "multi_thread")]
async fn smtp_without_starttls_says_encryption_is_gone_and_nothing_was_sent() {
    let server = smtp::start(smtp::Config::new(
        smtp::Security::StartTls,
        smtp::Misbehaviour::NoStartTls,
    ))
    .await;
    let home = smtp_home(server.port, Security::StartTls).await;
    let mut verdict = Verdict::new("smtp-no-starttls");
    let run = send(home.path(), "no STARTTLS", "Never in clear text.\n").await;
    verdict.saw("send", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.exit(&run, 1, "refused: it waits for the person");
    // Nothing went in clear text.
    let commands = server.seen.commands();
    verdict.check(
        !commands
            .iter()
            .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
        format!("sent in clear text: {commands:?}"),
    );
    let entries = outbox(home.path());
    verdict.check(
        entries.first().is_some_and(|e| e["state"] == "failed"),
        format!("not kept as failed: {entries:?}"),
    );
    let text = run.text().to_lowercase();
    verdict.check(
        text.contains("no longer offers encryption")
            && text.contains("attack")
            && text.contains("nothing was sent"),
        "not told that the server no longer offers encryption (possibly an attack) and nothing was sent",
    );
    verdict.check(
        !text.contains("could not be reached") && !text.contains("try again by itself"),
        "told it is an outage that Tayori retries by itself",
    );
    // In Japanese too.
    let listed = run_ja_outbox(home.path()).await;
    verdict.saw("outbox (ja)", &listed);
    verdict.check(
        listed.text().contains("暗号化"),
        "the Japanese outbox does not explain it",
    );
    verdict.finish();
}

async fn run_ja_outbox(home: &Path) -> Run {
    run(Tayori::new(home, &["outbox"]).env("LANG", "ja_JP.UTF-8")).await
}

// ---------------------------------------------------------------- the token endpoint

/// A home with an OAuth account whose token endpoint is `token_url` and whose mail is on the
/// (working) hostile IMAP server on `imap_port`; a refresh token waits in the keyring.
async fn oauth_home(case: &str, token_url: &str, imap_port: u16) -> (tempfile::TempDir, String) {
    let email = format!("{case}@hostile.example.test");
    keyring_store::save(
        &email,
        SecretKind::RefreshToken,
        &Secret::new("hostile-refresh-token"),
    )
    .await
    .expect("keyring");
    let home = home_with(Account {
        email: email.clone(),
        display_name: None,
        provider: None,
        imap: server("127.0.0.1", imap_port, Security::Tls, &email),
        smtp: server("127.0.0.1", 9, Security::Tls, &email),
        auth: AccountAuth::OAuth2 {
            client_id: "tayori".into(),
            issuer: None,
            authorization_endpoint: "https://127.0.0.1:9/authorize".into(),
            token_endpoint: token_url.into(),
            iss_required: false,
            scopes: vec!["mail".into(), "offline_access".into()],
        },
        last_sign_in: None,
        needs_sign_in: None,
        sent_copy: None,
        shared_via: None,
        send_via_graph: None,
        read_via_graph: None,
        read_via_imap_again: None,
    });
    (home, email)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_10_mb_error_description_is_bounded_and_escaped_everywhere() {
    let tokens = token::start(token::Misbehaviour::HugeErrorDescription).await;
    let imap = imap::start(imap::Config::new(Imap::None)).await;
    let (home, _) = oauth_home("huge-error", &tokens.url(), imap.port).await;
    let mut verdict = Verdict::new("token-huge-error-description");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.exit(&run, 1, "the sign-in was refused");
    verdict.check(tokens.requests() >= 1, "the token endpoint was not asked");
    let printed = run.stdout_len + run.stderr_len;
    verdict.check(
        printed < 16 * 1024,
        format!("{printed} bytes printed (the server's text in full)"),
    );
    verdict.check(
        !run.text().contains('\u{1b}'),
        "a terminal escape sequence from the server reached the terminal",
    );
    let text = run.text();
    verdict.check(
        text.contains(token::DESCRIPTION_START) && text.contains("tayori account reauth"),
        "not told to sign in again with the server's reason (bounded)",
    );
    let accounts = std::fs::read_to_string(home.path().join("config/accounts.toml")).unwrap();
    verdict.check(
        accounts.len() < 16 * 1024,
        format!("accounts.toml grew to {} bytes", accounts.len()),
    );
    verdict.check(
        !accounts.contains('\u{1b}'),
        "a terminal escape sequence was kept in accounts.toml",
    );
    let logs = logs(home.path());
    verdict.check(
        logs.len() < 256 * 1024,
        format!("the log holds {} bytes", logs.len()),
    );
    verdict.check(
        !logs.contains('\u{1b}'),
        "a terminal escape sequence reached the log",
    );
    // Every later command reads accounts.toml: it stays quick and small.
    let listed = run_list_accounts(home.path()).await;
    verdict.saw("account list", &listed);
    verdict.no_panic(&listed);
    verdict.bounded(&listed, Duration::from_secs(5), MEMORY_MIB);
    verdict.check(
        listed.stdout_len + listed.stderr_len < 16 * 1024,
        format!(
            "`account list` printed {} bytes",
            listed.stdout_len + listed.stderr_len
        ),
    );
    verdict.finish();
}

async fn run_list_accounts(home: &Path) -> Run {
    run(Tayori::new(home, &["account", "list"])).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_10_mb_token_answer_is_refused_at_the_cap() {
    let tokens = token::start(token::Misbehaviour::HugeAnswer).await;
    let imap = imap::start(imap::Config::new(Imap::None)).await;
    let (home, _) = oauth_home("huge-answer", &tokens.url(), imap.port).await;
    let mut verdict = Verdict::new("token-huge-answer");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.exit(&run, 1, "the answer is refused");
    verdict.check(
        run.text().contains("larger than"),
        "not told that the sign-in service's answer was too large",
    );
    verdict.finish();
}

/// An outage of the sign-in service (503 `temporarily_unavailable`) is not a refusal: the person is
/// told the service is unavailable and that Tayori tries again, never to sign in again, and the
/// account is not marked as needing a new sign-in (which would stop its sync until they did).
#[tokio::test(flavor = "multi_thread")]
async fn an_outage_of_the_sign_in_service_is_not_a_reason_to_sign_in_again() {
    let tokens = token::start(token::Misbehaviour::Outage).await;
    let imap = imap::start(imap::Config::new(Imap::None)).await;
    let (home, _) = oauth_home("outage", &tokens.url(), imap.port).await;
    let mut verdict = Verdict::new("token-outage");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    verdict.exit(&run, 1, "nothing could be synced this time");
    verdict.check(tokens.requests() >= 1, "the token endpoint was not asked");
    let text = run.text();
    verdict.check(
        !text.contains("account reauth") && !text.to_lowercase().contains("sign in again"),
        "told to sign in again during an outage",
    );
    verdict.check(
        text.contains("temporarily_unavailable") && text.contains("tries again"),
        "not told that the sign-in service is unavailable for now and that Tayori tries again",
    );
    let accounts = std::fs::read_to_string(home.path().join("config/accounts.toml")).unwrap();
    verdict.check(
        !accounts.contains("needs_sign_in"),
        "the account was marked as needing a new sign-in",
    );
    verdict.finish();
}

/// Signing in with a code (RFC 8628) takes the person a minute or two on their phone; a moment's
/// outage of the sign-in service meanwhile (`temporarily_unavailable`, a gateway's 502) must not
/// throw their sign-in away: polling goes on and the account is added when they finish.
#[tokio::test(flavor = "multi_thread")]
async fn a_device_sign_in_survives_a_moments_outage_of_the_sign_in_service() {
    let tokens = token::start(token::Misbehaviour::DeviceFlowWithOutages).await;
    let imap = imap::start(imap::Config::new(Imap::None)).await;
    let submission = smtp::start(smtp::Config::new(
        smtp::Security::Tls,
        smtp::Misbehaviour::None,
    ))
    .await;
    let home = tempfile::tempdir().unwrap();
    let policy = home.path().join("policy.toml");
    let authority = format!(
        "https://127.0.0.1:{}/hostile-tenant/oauth2/v2.0",
        tokens.port
    );
    std::fs::write(
        &policy,
        format!(
            r#"
[[provider]]
name = "Hostile Corp"
domains = ["hostile.example.test"]
imap = {{ host = "127.0.0.1", port = {}, security = "tls" }}
smtp = {{ host = "127.0.0.1", port = {}, security = "tls" }}
sign_in = ["oauth2"]
[provider.oauth2]
authorization_endpoint = "{authority}/authorize"
token_endpoint = "{authority}/token"
scopes = ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"]
client_id = "hostile-app"
device_code = true
"#,
            imap.port, submission.port
        ),
    )
    .unwrap();
    let email = "device@hostile.example.test";
    let mut verdict = Verdict::new("device-code-outage");
    let run = run(Tayori::new(
        home.path(),
        &["account", "add", email, "--browser", "false"],
    )
    .env("TAYORI_POLICY_FILE", &policy)
    .deadline(DEADLINE))
    .await;
    verdict.saw("account add (device code)", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, GIVE_UP, MEMORY_MIB);
    verdict.check(
        run.text().contains(token::DEVICE_USER_CODE),
        "the code to type was not shown",
    );
    verdict.check(
        tokens.requests() >= 5,
        format!(
            "{} requests: polling stopped at the outage",
            tokens.requests()
        ),
    );
    verdict.exit(
        &run,
        0,
        "the person finished signing in: the account is added",
    );
    let accounts = Accounts::new(&Paths::under(home.path())).list().unwrap();
    verdict.check(
        accounts.iter().any(|a| a.email == email),
        "the account was not saved",
    );
    let _ = keyring_store::delete(email, SecretKind::RefreshToken).await;
    verdict.finish();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expires_in_beyond_any_clock_does_not_panic() {
    let tokens = token::start(token::Misbehaviour::ExpiresInOverflow).await;
    let imap = imap::start(imap::Config::new(Imap::None)).await;
    let (home, email) = oauth_home("expires-overflow", &tokens.url(), imap.port).await;
    let mut verdict = Verdict::new("token-expires-in-overflow");
    let run = sync(home.path()).await;
    verdict.saw("sync", &run);
    verdict.no_panic(&run);
    verdict.bounded(&run, AT_ONCE, MEMORY_MIB);
    // The token works (the hostile IMAP server takes any): mail is synced.
    verdict.exit(&run, 0, "the token is usable");
    check_good_messages_stored(&mut verdict, home.path(), &email, 10, None);
    verdict.finish();
}
