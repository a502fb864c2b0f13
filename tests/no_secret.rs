//! No secret on disk or in a log, shown on the product's own paths: `tayori account add` (sign-in in
//! "the browser" at the rig's provider), `send`, `sync` and a `sync` after the access token expired
//! (so a refresh with rotation runs), all with the most verbose logging. Afterwards every file Tayori
//! wrote (config, account list, SQLite store and outbox with their journals, log files), every rig
//! log, and everything the commands printed are searched for every secret the provider issued to
//! this sign-in (read from the provider's own token store), the passwords, and the SASL strings that
//! carry the tokens.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use support::*;

/// The rig's client whose access tokens live seconds (`RIG_SHORT_TTL`), so the second sync refreshes.
const SHORT_CLIENT: &str = "tayori-short";

fn tayori(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run_tayori(
        home,
        args,
        &[
            ("TAYORI_LOG", "trace".as_ref()),
            ("RUST_LOG", "trace".as_ref()),
        ],
        stdin,
    )
}

fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every token value the provider issued for `user` since `since` (seconds): opaque access and
/// refresh tokens and authorization codes are stored under their own value by the rig's adapter.
fn issued_secrets(rig: &Rig, user: &str, since: u64) -> Vec<(String, String)> {
    let path = rig.state_dir.join("run/idp-store.json");
    // The adapter coalesces writes (50 ms).
    std::thread::sleep(Duration::from_millis(300));
    let store: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    let mut found = Vec::new();
    for model in ["AccessToken", "RefreshToken", "AuthorizationCode"] {
        let Some(entries) = store[model].as_object() else {
            continue;
        };
        for (value, entry) in entries {
            let payload = &entry["payload"];
            let iat = payload["iat"].as_u64().unwrap_or(0);
            if payload["accountId"] == user && iat + 1 >= since {
                found.push((model.to_owned(), value.clone()));
            }
        }
    }
    found
}

/// Reads every file under `dir` and fails if any secret appears. Returns how many files it read.
fn scan(dir: &Path, secrets: &[(String, String)], scanned: &mut Vec<PathBuf>) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        check(&path.display().to_string(), &bytes, secrets);
        scanned.push(path);
    }
}

fn check(place: &str, bytes: &[u8], secrets: &[(String, String)]) {
    let text = String::from_utf8_lossy(bytes);
    for (kind, secret) in secrets {
        if let Some(at) = text.find(secret.as_str()) {
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            let context: String = text[start..end]
                .replace(secret.as_str(), "<SECRET>")
                .chars()
                .take(300)
                .collect();
            panic!("a {kind} leaked into {place}:\n{context}");
        }
    }
}

#[test]
fn sign_in_send_sync_and_refresh_with_logging_on_leave_no_secret_anywhere() {
    let rig = Rig::load();
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/tayori.toml"),
        format!(
            "[oauth.client_ids]\n\"{}\" = \"{SHORT_CLIENT}\"\n",
            rig.issuer
        ),
    )
    .unwrap();
    let mut outputs = Vec::new();
    // The provider's store drops a token once it expires (the rig's adapter), and the access
    // tokens here live seconds: what it issued is read after every step, not only at the end.
    let mut issued: Vec<(String, String)> = Vec::new();
    let mut remember = |found: Vec<(String, String)>| {
        for secret in found {
            if !issued.contains(&secret) {
                issued.push(secret);
            }
        }
    };

    // 1. Sign in as a person does.
    let out = tayori(
        home.path(),
        &[
            "account",
            "add",
            ALICE,
            "--browser",
            &driver_command(ALICE, ALICE_IDP_PASSWORD),
        ],
        None,
    );
    assert!(out.status.success(), "{}", printed(&out));
    outputs.push(("account add", out));
    remember(issued_secrets(&rig, ALICE, since));

    // 2. Send (to herself, so the next sync stores it too), with an attachment.
    let marker = format!("no-secret-{}-{}", std::process::id(), rand::random::<u32>());
    let attachment = home.path().join("notes.txt");
    std::fs::write(&attachment, "attached words\n").unwrap();
    let out = tayori(
        home.path(),
        &[
            "send",
            "--from",
            ALICE,
            "--to",
            ALICE,
            "--subject",
            &marker,
            "--attach",
            attachment.to_str().unwrap(),
        ],
        Some("Hello from the no-secret test.\n"),
    );
    assert!(out.status.success(), "{}", printed(&out));
    outputs.push(("send", out));
    remember(issued_secrets(&rig, ALICE, since));

    // 3. Sync; then again once the short-lived access token has expired, which refreshes it.
    let out = tayori(home.path(), &["sync", "--account", ALICE], None);
    assert!(out.status.success(), "{}", printed(&out));
    outputs.push(("sync", out));
    remember(issued_secrets(&rig, ALICE, since));
    let ttl: u64 = std::fs::read_to_string(rig.state_dir.join("rig.env"))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("RIG_SHORT_TTL=")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(10);
    std::thread::sleep(Duration::from_secs(ttl + 2));
    let out = tayori(home.path(), &["sync", "--account", ALICE], None);
    assert!(out.status.success(), "{}", printed(&out));
    outputs.push(("sync after expiry", out));
    remember(issued_secrets(&rig, ALICE, since));
    let out = tayori(home.path(), &["search", &marker], None);
    assert!(printed(&out).contains(&marker), "{}", printed(&out));
    outputs.push(("search", out));

    // The secrets: what the provider issued to this sign-in, the passwords, and the SASL strings.
    remember(issued_secrets(&rig, ALICE, since));
    let count = |kind: &str| issued.iter().filter(|(k, _)| k == kind).count();
    assert!(
        count("AccessToken") >= 2 && count("RefreshToken") >= 2,
        "a sign-in and a refresh must have happened: {} access, {} refresh tokens",
        count("AccessToken"),
        count("RefreshToken")
    );
    let mut secrets = issued.clone();
    for (kind, token) in &issued {
        if kind != "AccessToken" {
            continue;
        }
        let xoauth2 = format!("user={ALICE}\x01auth=Bearer {token}\x01\x01");
        secrets.push(("XOAUTH2 string".into(), STANDARD.encode(xoauth2)));
        for port in [rig.imaps_port, rig.submissions_port, rig.submission_port] {
            for host in ["mail.example.test", MAIL_HOST] {
                let bearer = format!(
                    "n,a={ALICE},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
                );
                secrets.push(("OAUTHBEARER string".into(), STANDARD.encode(bearer)));
            }
        }
    }
    secrets.push(("IdP password".into(), ALICE_IDP_PASSWORD.into()));
    secrets.push(("app password".into(), ALICE_APP_PASSWORD.into()));

    let mut scanned = Vec::new();
    scan(home.path(), &secrets, &mut scanned);
    let tayori_files = scanned.len();
    scan(&rig.log_dir, &secrets, &mut scanned);
    for (command, out) in &outputs {
        check(&format!("the output of {command}"), &out.stdout, &secrets);
        check(&format!("the output of {command}"), &out.stderr, &secrets);
    }
    // The scan saw what it must have: the account list, the store, the outbox and a verbose log.
    let names: Vec<String> = scanned.iter().map(|p| p.display().to_string()).collect();
    for expected in ["accounts.toml", ".sqlite", "log"] {
        assert!(
            names.iter().any(|n| n.contains(expected)),
            "no {expected} file was scanned: {names:#?}"
        );
    }
    let log_bytes: u64 = scanned
        .iter()
        .filter(|p| p.starts_with(home.path()) && p.to_string_lossy().contains("log"))
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(
        log_bytes > 10_000,
        "Tayori's trace log should be substantial, found {log_bytes} bytes"
    );
    println!(
        "scanned {} files ({tayori_files} of Tayori's, {log_bytes} bytes of its logs) and the output of {} commands for {} secrets",
        scanned.len(),
        outputs.len(),
        secrets.len()
    );
}
