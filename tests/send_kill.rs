//! kill -9 during sending: a message is never sent twice behind the person's back, and nothing
//! reported "Queued" is lost.
//!
//! **Deterministic kills.** A submission server written for the purpose (tests/hostile/smtp.rs)
//! hands every message on to the rig's Postfix (so it really reaches the recipient's INBOX on the
//! rig's Dovecot) and tells the test the instant the dialogue reaches a point: the RCPT before DATA,
//! the end-of-data dot (the message is delivered, the 250 held back), the 250 just written, QUIT
//! (the client is done with the message). The test kills `tayori send` or `tayori outbox flush`
//! right there, runs `tayori outbox flush` again, and counts the Message-ID in the recipient's
//! INBOX and the sender's Sent folder.
//!
//! No client can know whether a server that took the end-of-data dot kept the message before it
//! could answer (RFC 1047). So after a kill in that window Tayori either finds the message in Sent
//! (where the provider files sent mail itself) or asks the person — "may have been sent", Send
//! again or Discard — and never sends it again by itself.
//!
//! **Random kills.** `random_kill_trials` sends through the rig's real Dovecot submission and kills
//! `tayori send` and `tayori outbox flush` at random moments, then flushes to the end and counts.
//! CI runs a short form; `tests/send-kill-trials.sh` runs ≥ 50 runs of 30 messages.

#[path = "hostile/mod.rs"]
mod hostile;
mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use hostile::measure::{Run, Running, Tayori};
use hostile::smtp::{self, Point};
use rand::{Rng, SeedableRng};
use tayori::account::{Account, AccountAuth, Accounts, SentCopy, Server};
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::config::Paths;
use tayori::discovery::Security;
use tayori::redact::Secret;

const SENDER: &str = "k01@example.test";
const SENDER_PASSWORD: &str = "k01-app-password";
const RECIPIENT: &str = "k02@example.test";
const RECIPIENT_PASSWORD: &str = "k02-app-password";

/// The random trials' own pair, so their hundreds of messages stay out of the other mailboxes.
const TRIAL_SENDER: &str = "k03@example.test";
const TRIAL_SENDER_PASSWORD: &str = "k03-app-password";
const TRIAL_RECIPIENT: &str = "k04@example.test";
const TRIAL_RECIPIENT_PASSWORD: &str = "k04-app-password";

/// The English and Japanese words for a message that may have gone out before a crash.
const MAYBE_SENT_EN: &str = "may have been sent";
const MAYBE_SENT_JA: &str = "送信された可能性があります";

async fn home_for(
    email: &str,
    password: &str,
    smtp_host: &str,
    smtp_port: u16,
    sent_copy: Option<SentCopy>,
) -> tempfile::TempDir {
    keyring_store::save(email, SecretKind::AppPassword, &Secret::new(password))
        .await
        .expect("the test keyring (run inside tests/rig/with-secret-service.sh)");
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let server = |host: &str, port, security| Server {
        host: host.into(),
        port,
        security,
        username: email.into(),
    };
    Accounts::new(&paths)
        .upsert(Account {
            email: email.into(),
            display_name: None,
            provider: None,
            imap: server("mail.example.test", 10993, Security::Tls),
            smtp: server(smtp_host, smtp_port, Security::StartTls),
            auth: AccountAuth::Password,
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        })
        .unwrap();
    home
}

fn send_command(home: &Path, from: &str, to: &str, subject: &str) -> Tayori {
    Tayori::new(
        home,
        &["send", "--from", from, "--to", to, "--subject", subject],
    )
    .stdin("Once, whatever happens.\n")
    .deadline(Duration::from_secs(60))
}

async fn finish(running: Running) -> Run {
    tokio::task::spawn_blocking(move || running.finish())
        .await
        .unwrap()
}

async fn run(tayori: Tayori) -> Run {
    tokio::task::spawn_blocking(move || tayori.run())
        .await
        .unwrap()
}

fn outbox(home: &Path) -> Vec<serde_json::Value> {
    let run = Tayori::new(home, &["outbox", "list", "--all", "--json"]).run();
    assert_eq!(run.code, Some(0), "{}", run.excerpt());
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.excerpt()))
}

/// Waits until `message_id` reached the INBOX (through Postfix and LMTP) or 20 s passed, then a
/// little longer so that a second copy would have arrived too; returns the number of copies.
async fn delivered(user: &str, password: &str, message_id: &str) -> usize {
    let started = Instant::now();
    loop {
        let found = hostile::message_ids(user, password, "INBOX").await;
        if found.contains_key(message_id) || started.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    hostile::message_ids(user, password, "INBOX")
        .await
        .get(message_id)
        .copied()
        .unwrap_or(0)
}

async fn in_sent(message_id: &str) -> usize {
    hostile::message_ids(SENDER, SENDER_PASSWORD, "Sent")
        .await
        .get(message_id)
        .copied()
        .unwrap_or(0)
}

/// Which command the harness kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Killed {
    Send,
    /// `tayori outbox flush`, sending a message that an earlier `send` left (killed before DATA).
    Flush,
}

/// A message whose sending was killed at `point`, and what is needed to look at it afterwards.
struct AfterKill {
    home: tempfile::TempDir,
    server: smtp::Server,
    id: i64,
    message_id: String,
    killed: Run,
}

async fn kill_at(point: Point, killed: Killed, server_files_sent: bool) -> AfterKill {
    let mut config = smtp::Config::new(smtp::Security::StartTls, smtp::Misbehaviour::None);
    config.relay = true;
    if server_files_sent {
        config.files_sent = Some((SENDER.into(), SENDER_PASSWORD.into()));
    }
    let mut server = smtp::start(config).await;
    let sent_copy = server_files_sent.then_some(SentCopy::Server);
    let home = home_for(SENDER, SENDER_PASSWORD, "127.0.0.1", server.port, sent_copy).await;
    let subject = format!("killed at {point:?} during {killed:?}");
    if killed == Killed::Flush {
        // Leave the message in the outbox: `send` killed before DATA.
        server.hold_at(Point::BeforeData);
        let mut running = send_command(home.path(), SENDER, RECIPIENT, &subject).spawn();
        tokio::time::timeout(Duration::from_secs(30), server.reached(Point::BeforeData))
            .await
            .expect("send reached RCPT");
        running.kill9();
        finish(running).await;
    }
    server.hold_at(point);
    let mut running = match killed {
        Killed::Send => send_command(home.path(), SENDER, RECIPIENT, &subject).spawn(),
        Killed::Flush => Tayori::new(home.path(), &["outbox", "flush"])
            .deadline(Duration::from_secs(60))
            .spawn(),
    };
    let reached = tokio::time::timeout(Duration::from_secs(30), server.reached(point)).await;
    running.kill9();
    let killed_run = finish(running).await;
    reached.unwrap_or_else(|_| {
        panic!(
            "the dialogue never reached {point:?}:\n{}",
            killed_run.excerpt()
        )
    });
    assert_eq!(
        killed_run.signal,
        Some(libc::SIGKILL),
        "killed at {point:?}: {}",
        killed_run.excerpt()
    );
    if killed == Killed::Send {
        assert!(
            killed_run.stdout.contains("Queued as #"),
            "the person was told it was queued: {}",
            killed_run.excerpt()
        );
    }
    let entries = outbox(home.path());
    assert_eq!(entries.len(), 1, "{entries:?}");
    AfterKill {
        id: entries[0]["id"].as_i64().unwrap(),
        message_id: entries[0]["message_id"].as_str().unwrap().to_owned(),
        home,
        server,
        killed: killed_run,
    }
}

impl AfterKill {
    async fn flush(&self) -> Run {
        let run =
            run(Tayori::new(self.home.path(), &["outbox", "flush"])
                .deadline(Duration::from_secs(60)))
            .await;
        run.assert_no_panic();
        run
    }

    fn entry(&self) -> serde_json::Value {
        outbox(self.home.path())
            .into_iter()
            .find(|e| e["id"] == self.id)
            .expect("still in the outbox")
    }

    /// How many times the submission server took this message (each is a delivery).
    fn accepted(&self) -> usize {
        self.server
            .seen
            .accepted()
            .iter()
            .filter(|id| **id == self.message_id)
            .count()
    }

    async fn inbox(&self) -> usize {
        delivered(RECIPIENT, RECIPIENT_PASSWORD, &self.message_id).await
    }

    /// The message went out exactly once and is recorded as sent with its Sent copy.
    async fn assert_sent_once_with_one_copy(&self, flushed: &Run) {
        assert_eq!(flushed.code, Some(0), "{}", flushed.excerpt());
        assert_eq!(self.inbox().await, 1, "delivered exactly once");
        assert_eq!(self.accepted(), 1, "submitted exactly once");
        assert_eq!(in_sent(&self.message_id).await, 1, "one copy in Sent");
        let entry = self.entry();
        assert_eq!(entry["state"], "sent", "{entry:?}");
        assert_ne!(entry["copy_state"], "pending", "{entry:?}");
        // A second flush changes nothing.
        let again = self.flush().await;
        assert_eq!(again.code, Some(0), "{}", again.excerpt());
        assert_eq!(self.accepted(), 1);
        assert_eq!(in_sent(&self.message_id).await, 1);
    }

    /// The message was taken by the server before the kill and is not sent again: it waits for
    /// the person, in English and Japanese, with both ways out.
    async fn assert_waits_for_the_person(&self, flushed: &Run) {
        assert_eq!(self.inbox().await, 1, "delivered once, not again");
        assert_eq!(self.accepted(), 1, "not submitted again");
        assert_eq!(
            flushed.code,
            Some(1),
            "flush says something needs the person:\n{}",
            flushed.excerpt()
        );
        assert!(
            !flushed.stdout.contains("Sent."),
            "not claimed sent:\n{}",
            flushed.excerpt()
        );
        let entry = self.entry();
        assert_eq!(entry["state"], "failed", "{entry:?}");
        assert_eq!(entry["failure"], "maybe_sent", "{entry:?}");
        let listed = run(Tayori::new(self.home.path(), &["outbox"])).await.text();
        assert!(
            listed.contains(MAYBE_SENT_EN)
                && listed.contains(&format!("tayori outbox retry {}", self.id))
                && listed.contains(&format!("tayori outbox discard {}", self.id)),
            "the outbox offers Send again and Discard:\n{listed}"
        );
        let japanese = run(Tayori::new(self.home.path(), &["outbox"]).env("LANG", "ja_JP.UTF-8"))
            .await
            .text();
        assert!(japanese.contains(MAYBE_SENT_JA), "{japanese}");
        // More flushes leave it alone.
        let again = self.flush().await;
        assert_eq!(self.accepted(), 1, "{}", again.excerpt());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_killed_before_data_is_sent_once_by_the_next_flush() {
    let after = kill_at(Point::BeforeData, Killed::Send, false).await;
    assert_eq!(after.accepted(), 0);
    let flushed = after.flush().await;
    after.assert_sent_once_with_one_copy(&flushed).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_killed_after_the_dot_waits_for_the_person_and_send_again_is_theirs() {
    let after = kill_at(Point::AfterDot, Killed::Send, false).await;
    let flushed = after.flush().await;
    after.assert_waits_for_the_person(&flushed).await;
    // The person decides to send it again: then, and only then, it goes a second time.
    let retried = run(Tayori::new(
        after.home.path(),
        &["outbox", "retry", &after.id.to_string()],
    ))
    .await;
    assert_eq!(retried.code, Some(0), "{}", retried.excerpt());
    assert_eq!(after.accepted(), 2);
    assert_eq!(
        after.inbox().await,
        2,
        "sent again by the person's decision"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_killed_after_the_dot_can_be_discarded() {
    let after = kill_at(Point::AfterDot, Killed::Send, false).await;
    let flushed = after.flush().await;
    after.assert_waits_for_the_person(&flushed).await;
    let discarded = run(Tayori::new(
        after.home.path(),
        &["outbox", "discard", &after.id.to_string()],
    ))
    .await;
    assert_eq!(discarded.code, Some(0), "{}", discarded.excerpt());
    assert!(outbox(after.home.path()).is_empty());
    assert_eq!(after.inbox().await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn where_the_server_files_sent_mail_a_send_killed_after_the_dot_is_found_there() {
    let after = kill_at(Point::AfterDot, Killed::Send, true).await;
    let flushed = after.flush().await;
    assert_eq!(flushed.code, Some(0), "{}", flushed.excerpt());
    assert!(
        flushed.stdout.contains("found in the Sent folder"),
        "{}",
        flushed.excerpt()
    );
    assert_eq!(after.inbox().await, 1);
    assert_eq!(after.accepted(), 1);
    assert_eq!(in_sent(&after.message_id).await, 1, "the server's own copy");
    let entry = after.entry();
    assert_eq!(entry["state"], "sent", "{entry:?}");
    assert_eq!(entry["copy_state"], "by_server", "{entry:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_killed_the_instant_the_250_is_written_never_goes_twice() {
    let after = kill_at(Point::At250, Killed::Send, false).await;
    let flushed = after.flush().await;
    assert_eq!(after.accepted(), 1, "{}", flushed.excerpt());
    assert_eq!(after.inbox().await, 1);
    let entry = after.entry();
    // Either Tayori recorded the 250 before it died (sent, and the copy is filed now), or it did
    // not and asks the person.
    match entry["state"].as_str() {
        Some("sent") => {
            assert_eq!(flushed.code, Some(0), "{}", flushed.excerpt());
            assert_eq!(in_sent(&after.message_id).await, 1);
        }
        _ => after.assert_waits_for_the_person(&flushed).await,
    }
    eprintln!(
        "FIGURE send-kill at 250: recorded {} before the kill",
        entry["state"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_killed_after_it_recorded_the_250_files_the_copy_and_never_resends() {
    let after = kill_at(Point::Quit, Killed::Send, false).await;
    let flushed = after.flush().await;
    after.assert_sent_once_with_one_copy(&flushed).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flush_killed_after_the_dot_waits_for_the_person() {
    let after = kill_at(Point::AfterDot, Killed::Flush, false).await;
    let flushed = after.flush().await;
    after.assert_waits_for_the_person(&flushed).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flush_killed_after_it_recorded_the_250_never_resends() {
    let after = kill_at(Point::Quit, Killed::Flush, false).await;
    let flushed = after.flush().await;
    after.assert_sent_once_with_one_copy(&flushed).await;
    assert!(
        after.killed.stdout.is_empty() || !after.killed.stdout.contains("Sent."),
        "{}",
        after.killed.excerpt()
    );
}

// ---------------------------------------------------------------- random kills

/// What the random trials found.
#[derive(Debug, Default)]
struct Counts {
    runs: usize,
    sends: usize,
    sends_killed: usize,
    flushes: usize,
    flushes_killed: usize,
    /// Messages in the outboxes (every enqueue that committed).
    messages: usize,
    /// Of those, how many `tayori send` had reported "Queued".
    reported_queued: usize,
    delivered_once: usize,
    /// Waiting for the person ("may have been sent"): delivered once / not delivered.
    awaiting_delivered: usize,
    awaiting_not_delivered: usize,
    /// Delivered twice or more without the person's decision.
    duplicated: usize,
    /// Reported queued, then neither delivered nor waiting for the person.
    lost: usize,
    /// Not reported queued (killed before), and not in any outbox either: nothing to count.
    sent_copy_duplicates: usize,
    sent_copy_missing: usize,
    /// Rows in an unexpected state after the final flush (queued, failed for another reason).
    stuck: usize,
}

fn median(values: &[Duration], default: Duration) -> Duration {
    if values.len() < 3 {
        return default;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// Runs `tayori` and kills it after a random delay with probability `p_kill`. Returns the run and
/// whether it was killed.
async fn maybe_killed(
    tayori: Tayori,
    rng: &mut rand::rngs::StdRng,
    p_kill: f64,
    typical: Duration,
) -> (Run, bool) {
    let kill = rng.random_bool(p_kill);
    let delay = Duration::from_micros(rng.random_range(0..=(typical.as_micros() as u64 * 13 / 10)));
    let mut running = tayori.spawn();
    if kill {
        tokio::time::sleep(delay).await;
        running.kill9();
    }
    let run = finish(running).await;
    let killed = run.signal == Some(libc::SIGKILL);
    (run, killed)
}

async fn random_trials(runs: usize, per_run: usize, seed: u64) -> Counts {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut counts = Counts {
        runs,
        ..Counts::default()
    };
    let mut send_times = Vec::new();
    let mut flush_times = Vec::new();
    for trial in 0..runs {
        let home = home_for(
            TRIAL_SENDER,
            TRIAL_SENDER_PASSWORD,
            "mail.example.test",
            10587,
            None,
        )
        .await;
        let mut reported: Vec<String> = Vec::new();
        for i in 0..per_run {
            let subject = format!("trial {seed}.{trial}.{i}");
            let typical = median(&send_times, Duration::from_millis(800));
            let (sent, killed) = maybe_killed(
                send_command(home.path(), TRIAL_SENDER, TRIAL_RECIPIENT, &subject),
                &mut rng,
                0.7,
                typical,
            )
            .await;
            sent.assert_no_panic_unless_killed();
            counts.sends += 1;
            if killed {
                counts.sends_killed += 1;
            } else {
                send_times.push(sent.elapsed);
            }
            if let Some(at) = sent.stdout.find("Message-ID <") {
                let rest = &sent.stdout[at + "Message-ID ".len()..];
                reported.push(rest[..=rest.find('>').unwrap()].to_owned());
            }
            if i % 5 == 4 {
                let typical = median(&flush_times, Duration::from_millis(1500));
                let (flushed, killed) = maybe_killed(
                    Tayori::new(home.path(), &["outbox", "flush"])
                        .deadline(Duration::from_secs(60)),
                    &mut rng,
                    0.6,
                    typical,
                )
                .await;
                flushed.assert_no_panic_unless_killed();
                counts.flushes += 1;
                if killed {
                    counts.flushes_killed += 1;
                } else {
                    flush_times.push(flushed.elapsed);
                }
            }
        }
        // To the end: whatever waits for a retry is sent now (backoff included).
        let last = run(
            Tayori::new(home.path(), &["outbox", "flush", "--wait", "120"])
                .deadline(Duration::from_secs(180)),
        )
        .await;
        last.assert_no_panic();
        let entries = outbox(home.path());
        // Wait for Postfix and LMTP to deliver what was sent.
        let wanted: Vec<String> = entries
            .iter()
            .filter(|e| e["state"] == "sent")
            .map(|e| e["message_id"].as_str().unwrap().to_owned())
            .collect();
        let started = Instant::now();
        let mut inbox: HashMap<String, usize>;
        loop {
            inbox = hostile::message_ids(TRIAL_RECIPIENT, TRIAL_RECIPIENT_PASSWORD, "INBOX").await;
            if wanted.iter().all(|id| inbox.contains_key(id))
                || started.elapsed() > Duration::from_secs(30)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        inbox = hostile::message_ids(TRIAL_RECIPIENT, TRIAL_RECIPIENT_PASSWORD, "INBOX").await;
        let sent = hostile::message_ids(TRIAL_SENDER, TRIAL_SENDER_PASSWORD, "Sent").await;
        counts.messages += entries.len();
        for entry in &entries {
            let id = entry["message_id"].as_str().unwrap();
            let delivered = inbox.get(id).copied().unwrap_or(0);
            let copies = sent.get(id).copied().unwrap_or(0);
            let was_reported = reported.iter().any(|r| r == id);
            counts.reported_queued += usize::from(was_reported);
            let awaiting = entry["state"] == "failed" && entry["failure"] == "maybe_sent";
            if copies > 1 {
                counts.sent_copy_duplicates += 1;
            }
            if delivered > 1 {
                counts.duplicated += 1;
                eprintln!("DUPLICATE {id}: delivered {delivered} times; outbox {entry}");
            } else if awaiting {
                if delivered == 1 {
                    counts.awaiting_delivered += 1;
                } else {
                    counts.awaiting_not_delivered += 1;
                }
            } else if entry["state"] == "sent" && delivered == 1 {
                counts.delivered_once += 1;
                if copies == 0 {
                    counts.sent_copy_missing += 1;
                }
            } else if delivered == 0 && was_reported {
                counts.lost += 1;
                eprintln!("LOST {id}: outbox {entry}");
            } else {
                counts.stuck += 1;
                eprintln!("STUCK {id}: delivered {delivered}; outbox {entry}");
            }
        }
        // A message reported queued must have an outbox row.
        for id in &reported {
            if !entries.iter().any(|e| e["message_id"] == id.as_str()) {
                counts.lost += 1;
                eprintln!("LOST {id}: reported queued, not in the outbox");
            }
        }
    }
    counts
}

trait KilledRun {
    fn assert_no_panic_unless_killed(&self);
}

impl KilledRun for Run {
    fn assert_no_panic_unless_killed(&self) {
        if self.signal != Some(libc::SIGKILL) {
            self.assert_no_panic();
        }
    }
}

/// Short in CI (2 runs of 8 messages); `tests/send-kill-trials.sh` sets TAYORI_KILL_RUNS=50 and
/// TAYORI_KILL_MESSAGES=30.
#[tokio::test(flavor = "multi_thread")]
async fn random_kill_trials() {
    let env = |key: &str, default: usize| {
        std::env::var(key)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let runs = env("TAYORI_KILL_RUNS", 2);
    let per_run = env("TAYORI_KILL_MESSAGES", 8);
    let seed = std::env::var("TAYORI_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::rng().random::<u32>() as u64);
    let started = Instant::now();
    let counts = random_trials(runs, per_run, seed).await;
    eprintln!(
        "FIGURE send-kill random trials (seed {seed}, {:.0} s): {} runs x {per_run} sends; \
         send killed {}/{}, flush killed {}/{}; {} messages queued ({} reported \"Queued\"); \
         delivered once {}; waiting for the person {} (delivered {} / not delivered {}); \
         DUPLICATED {}; LOST {}; Sent copies duplicated {} missing {}; stuck {}",
        started.elapsed().as_secs_f64(),
        counts.runs,
        counts.sends_killed,
        counts.sends,
        counts.flushes_killed,
        counts.flushes,
        counts.messages,
        counts.reported_queued,
        counts.delivered_once,
        counts.awaiting_delivered + counts.awaiting_not_delivered,
        counts.awaiting_delivered,
        counts.awaiting_not_delivered,
        counts.duplicated,
        counts.lost,
        counts.sent_copy_duplicates,
        counts.sent_copy_missing,
        counts.stuck,
    );
    assert_eq!(
        counts.duplicated, 0,
        "sent twice without the person: {counts:?}"
    );
    assert_eq!(counts.lost, 0, "lost after \"Queued\": {counts:?}");
    assert_eq!(counts.sent_copy_duplicates, 0, "{counts:?}");
    assert_eq!(counts.sent_copy_missing, 0, "{counts:?}");
    assert_eq!(counts.stuck, 0, "{counts:?}");
}
