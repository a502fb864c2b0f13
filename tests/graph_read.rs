//! Reading through Microsoft Graph (issue 27, phase 2), end to end through the command line
//! against the rig: the Entra emulator signs in, the Exchange Online emulator
//! (tests/rig/idp/exchange.mjs) serves Graph's mail folders, delta queries, MIME and changes from
//! the rig's Dovecot, so what Graph says is checked against Dovecot's own storage (doveadm) — the
//! same mail IMAP would serve.
//!
//! People (Contoso, its own app registration admin-consented with Graph's Mail.ReadWrite, the
//! policy pinning `transport = "graph"`): `t06@contoso.test` for the two-way sync and throttling; `t07@contoso.test` for the kill trials; `t08@contoso.test` without Graph's consent. The tests
//! that withdraw Contoso's tenant-wide Graph consent run alone.
//!
//! IMAP turned off for the mailbox (`Set-CASMailbox -ImapEnabled $false`, the Exchange emulator's
//! IMAP switch in front of Dovecot; no `transport` in the policy, Tayori decides): `t01@contoso.test`
//! has IMAP off from the start; `t02@contoso.test` has it turned off after it was added;
//! `t17@contoso.test` has it turned on again (the way back to IMAP).

mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use support::mailbox::{doveadm, store_path};
use support::*;

const ENTRA_ADMIN: &str = "127.0.0.30:9000";
const EXCHANGE_ADMIN: &str = "127.0.0.31:9000";
const CONTOSO_APP: &str = "c0c00000-0000-4000-8000-00000000a004";
const CONTOSO_TID: &str = "aaaabbbb-0000-4c0c-8000-000000000001";
const EXCHANGE_SCOPES: &str = r#""openid","profile","email","offline_access","https://outlook.office.com/IMAP.AccessAsUser.All","https://outlook.office.com/SMTP.Send""#;

/// Tests that need Contoso's Graph consent run side by side (they use different people); the one
/// that withdraws it runs alone.
static CONSENT: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn with_consent() -> std::sync::RwLockReadGuard<'static, ()> {
    let guard = CONSENT.read().unwrap_or_else(|p| p.into_inner());
    contoso_grant(true);
    guard
}

fn without_consent() -> std::sync::RwLockWriteGuard<'static, ()> {
    let guard = CONSENT.write().unwrap_or_else(|p| p.into_inner());
    contoso_grant(false);
    guard
}

fn admin(addr: &str, method: &str, path: &str, body: Option<&str>) -> String {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| {
        panic!("the rig's emulator at {addr} is not running ({e}): start the rig with tests/rig/start.sh")
    });
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 2") || answer.starts_with("HTTP/1.0 2"),
        "{method} {path}: {answer}"
    );
    answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

fn exchange_state() -> serde_json::Value {
    serde_json::from_str(&admin(EXCHANGE_ADMIN, "GET", "/state", None)).unwrap()
}

/// How many requests of `route` Exchange has counted for `mailbox`.
fn requests(mailbox: &str, route: &str) -> u64 {
    exchange_state()["mailbox_requests"][mailbox][route]
        .as_u64()
        .unwrap_or(0)
}

/// Contoso's administrator grants its app Exchange's scopes, and Graph's reading and sending ones
/// (for the person's own mailbox and the shared ones they are a member of) when `graph` (else only
/// Graph's User.Read, which reads no mail).
fn contoso_grant(graph: bool) {
    let graph_scopes = if graph {
        r#","https://graph.microsoft.com/Mail.ReadWrite","https://graph.microsoft.com/Mail.Send","https://graph.microsoft.com/Mail.ReadWrite.Shared","https://graph.microsoft.com/Mail.Send.Shared""#
    } else {
        r#","https://graph.microsoft.com/User.Read""#
    };
    admin(
        ENTRA_ADMIN,
        "POST",
        "/tenants/contoso.test/grants",
        Some(&format!(
            r#"{{"client_id":"{CONTOSO_APP}","scopes":[{EXCHANGE_SCOPES}{graph_scopes}]}}"#
        )),
    );
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A home with the Contoso policy pinning Graph, and `upn`'s account added in the browser.
struct Home {
    dir: tempfile::TempDir,
    policy: PathBuf,
    upn: String,
}

impl Home {
    fn new(upn: &str) -> Home {
        Home::with_transport(upn, Some("graph"))
    }

    /// `transport`: what the policy pins (`None`: nothing, Tayori decides).
    fn with_transport(upn: &str, transport: Option<&str>) -> Home {
        let home = Home::unsigned(upn, transport);
        let out = home.add();
        assert!(out.status.success(), "account add: {}", text(&out));
        home
    }

    /// Adds the account in the browser.
    fn add(&self) -> Output {
        let password = format!("{}-entra-secret", self.upn.split('@').next().unwrap());
        let driver = driver_command(&self.upn, &password);
        self.run(
            &["account", "add", &self.upn, "--browser", &driver],
            "en_US.UTF-8",
        )
    }

    fn unsigned(upn: &str, transport: Option<&str>) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let transport = transport
            .map(|t| format!("transport = \"{t}\"\n"))
            .unwrap_or_default();
        let policy = dir.path().join("policy.toml");
        std::fs::write(
            &policy,
            format!(
                r#"[[provider]]
name = "Contoso"
domains = ["contoso.test"]
imap = {{ host = "outlook.office365.com", port = 993, security = "tls" }}
smtp = {{ host = "smtp.office365.com", port = 587, security = "starttls" }}
sign_in = ["oauth2"]
{transport}[provider.oauth2]
issuer = "https://login.microsoftonline.com/{CONTOSO_TID}/v2.0"
authorization_endpoint = "https://login.microsoftonline.com/{CONTOSO_TID}/oauth2/v2.0/authorize"
token_endpoint = "https://login.microsoftonline.com/{CONTOSO_TID}/oauth2/v2.0/token"
scopes = ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"]
client_id = "{CONTOSO_APP}"
"#
            ),
        )
        .unwrap();
        Home {
            dir,
            policy,
            upn: upn.to_owned(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str], lang: &str) -> Output {
        run_tayori(
            self.path(),
            args,
            &[
                ("TAYORI_POLICY_FILE", self.policy.as_os_str()),
                ("LANG", lang.as_ref()),
            ],
            None,
        )
    }

    fn sync(&self) -> String {
        let out = self.run(&["sync"], "en_US.UTF-8");
        let said = text(&out);
        assert!(out.status.success(), "tayori sync failed:\n{said}");
        said
    }

    fn spawn_sync(&self) -> std::process::Child {
        std::process::Command::new(env!("CARGO_BIN_EXE_tayori"))
            .arg("sync")
            .env("TAYORI_HOME", self.path())
            .env("TAYORI_DNS_SERVER", "127.0.0.1:10053")
            .env("TAYORI_POLICY_FILE", &self.policy)
            .env("LANG", "en_US.UTF-8")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start tayori")
    }

    fn store(&self) -> tayori::store::Store {
        tayori::store::Store::open(&store_path(self.path())).unwrap()
    }

    /// Message-ID → (flags, raw bytes, how many rows) for the folder with `role`'s name.
    fn folder(
        &self,
        name: &str,
    ) -> BTreeMap<String, (tayori::store::Flags, Option<Vec<u8>>, usize)> {
        self.folder_of(&self.upn, name)
    }

    /// [`Home::folder`] of another account in this home (a shared mailbox).
    fn folder_of(
        &self,
        account: &str,
        name: &str,
    ) -> BTreeMap<String, (tayori::store::Flags, Option<Vec<u8>>, usize)> {
        let store = self.store();
        let Some(folder) = store.folder_by_name(account, name).unwrap() else {
            return BTreeMap::new();
        };
        let mut out: BTreeMap<String, (tayori::store::Flags, Option<Vec<u8>>, usize)> =
            BTreeMap::new();
        for row in store
            .messages(
                folder.id,
                tayori::store::SortOrder::NewestFirst,
                0,
                usize::MAX >> 1,
            )
            .unwrap()
        {
            // the store keeps Message-IDs without their angle brackets
            let key = format!("<{}>", row.message_id.clone().unwrap_or_default());
            let raw = store.message_raw(row.id).unwrap();
            out.entry(key)
                .and_modify(|e| e.2 += 1)
                .or_insert((row.flags, raw, 1));
        }
        out
    }

    fn id_of(&self, folder: &str, message_id: &str) -> i64 {
        let store = self.store();
        let folder = store.folder_by_name(&self.upn, folder).unwrap().unwrap();
        store
            .messages(
                folder.id,
                tayori::store::SortOrder::NewestFirst,
                0,
                usize::MAX >> 1,
            )
            .unwrap()
            .into_iter()
            .find(|r| r.message_id.as_deref() == Some(message_id.trim_matches(['<', '>'])))
            .unwrap_or_else(|| panic!("{message_id} not in {folder:?}"))
            .id
    }
}

/// A message as a person's mail program would have sent it (CRLF lines, as IMAP serves them).
fn seed_message(tag: &str, index: usize) -> Vec<u8> {
    let mut raw = format!(
        "From: Sender {index} <sender{index}@example.jp>\r\nTo: someone@contoso.test\r\n\
         Subject: {tag} {index}\r\nMessage-ID: <{tag}.{index}@graph.example.jp>\r\n\
         Date: Mon, 2 Nov 2026 10:{:02}:{:02} +0900\r\nMIME-Version: 1.0\r\n",
        index / 60 % 60,
        index % 60
    )
    .into_bytes();
    if index.is_multiple_of(5) {
        // Japanese mail as Japanese programs send it: ISO-2022-JP, 7 bit
        raw.extend_from_slice(
            b"Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B\r\n",
        );
    } else {
        raw.extend_from_slice(
            format!("Content-Type: text/plain; charset=utf-8\r\n\r\nHello {index}\r\n").as_bytes(),
        );
        for line in 0..(index % 7) * 20 {
            raw.extend_from_slice(format!("line {line} of message {index}\r\n").as_bytes());
        }
    }
    raw
}

fn message_id(tag: &str, index: usize) -> String {
    format!("<{tag}.{index}@graph.example.jp>")
}

/// Empties `user`'s mailbox and saves `count` messages into INBOX (and `archive` into Archive).
fn seed(user: &str, tag: &str, count: usize, archive: usize) -> HashMap<String, Vec<u8>> {
    for folder in ["INBOX", "Archive", "Trash", "Sent", "Drafts", "Junk"] {
        doveadm(&["expunge", "-u", user, "mailbox", folder, "all"]);
    }
    let rig = Rig::load();
    let config = rig.state_dir.join("dovecot/dovecot.conf");
    // doveadm save takes one message per run: three at a time
    let indexes: Vec<usize> = (0..count + archive).collect();
    std::thread::scope(|scope| {
        for part in indexes.chunks(indexes.len().div_ceil(3)) {
            let config = &config;
            scope.spawn(move || {
                for &index in part {
                    let folder = if index < count { "INBOX" } else { "Archive" };
                    let mut child = std::process::Command::new("doveadm")
                        .arg("-c")
                        .arg(config)
                        .args(["save", "-u", user, "-m", folder])
                        .stdin(std::process::Stdio::piped())
                        .spawn()
                        .unwrap();
                    child
                        .stdin
                        .take()
                        .unwrap()
                        .write_all(&seed_message(tag, index))
                        .unwrap();
                    assert!(child.wait().unwrap().success());
                }
            });
        }
    });
    (0..count + archive)
        .map(|index| (message_id(tag, index), seed_message(tag, index)))
        .collect()
}

fn guid_of(user: &str, folder: &str, message_id: &str) -> String {
    let out = doveadm(&[
        "fetch",
        "-u",
        user,
        "guid",
        "mailbox",
        folder,
        "header",
        "message-id",
        message_id,
    ]);
    out.lines()
        .find_map(|l| l.strip_prefix("guid: "))
        .unwrap_or_else(|| panic!("{message_id} not in {user}'s {folder}"))
        .trim()
        .to_owned()
}

fn flags_on_server(user: &str, folder: &str, message_id: &str) -> String {
    doveadm(&[
        "fetch",
        "-u",
        user,
        "flags",
        "mailbox",
        folder,
        "header",
        "message-id",
        message_id,
    ])
}

/// An account pinned to Graph syncs its mailbox through Graph into the same store: every message
/// byte-exact against what Dovecot holds, folders with their roles; then a read, a flag and a move
/// made on the server arrive (the move downloads nothing again), and a read, a flag, a move and a
/// delete made here reach the server, through a throttled mailbox (429 + Retry-After) waited out:
/// the request after Retry-After succeeds, none comes earlier.
#[test]
fn an_account_pinned_to_graph_syncs_through_it_both_ways() {
    let _ = Rig::load();
    let _turn = with_consent();
    let user = "t06@contoso.test";
    let seeded = seed(user, "gr", 56, 3);
    let home = Home::new(user);

    // the account says which way it reads and sends, and why (en and ja)
    let said = text(&home.run(&["account", "list"], "en_US.UTF-8"));
    assert!(
        said.contains("Reads mail through Microsoft 365 (Microsoft Graph): your administrator's policy says so."),
        "{said}"
    );
    let said = text(&home.run(&["account", "list"], "ja_JP.UTF-8"));
    assert!(
        said.contains("Microsoft 365（Microsoft Graph）経由でメールを受信します。管理者のポリシーでそう設定されています。"),
        "{said}"
    );

    let imap_logins_before = std::fs::read_to_string(Rig::load().state_dir.join("log/dovecot.log"))
        .unwrap_or_default()
        .matches(&format!("imap-login: Login: user=<{user}>"))
        .count();
    home.sync();
    let inbox = home.folder("Inbox");
    let archive = home.folder("Archive");
    assert_eq!(inbox.len(), 56, "every INBOX message, once");
    assert_eq!(archive.len(), 3);
    for (folder, name) in [(&inbox, "Inbox"), (&archive, "Archive")] {
        for (mid, (_, raw, rows)) in folder.iter() {
            assert_eq!(*rows, 1, "{mid} stored once in {name}");
            assert_eq!(
                raw.as_deref(),
                Some(&seeded[mid][..]),
                "{mid}: the bytes Dovecot holds, exactly"
            );
        }
    }
    let store = home.store();
    let roles: Vec<(String, Option<tayori::store::FolderRole>)> = store
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.role))
        .collect();
    for role in [
        tayori::store::FolderRole::Inbox,
        tayori::store::FolderRole::Sent,
        tayori::store::FolderRole::Drafts,
        tayori::store::FolderRole::Trash,
        tayori::store::FolderRole::Junk,
        tayori::store::FolderRole::Archive,
    ] {
        assert!(
            roles.iter().any(|(_, r)| *r == Some(role)),
            "{role:?} in {roles:?}"
        );
    }
    drop(store);
    // The 59 messages came a few at a time, within Graph's four concurrent requests per mailbox
    // ("Outlook service limits"; the emulator answers a fifth 429 and counts it).
    let state = exchange_state();
    let most = state["max_concurrent"][user].as_u64().unwrap_or(0);
    assert!(
        (2..=4).contains(&most),
        "requests in flight at once for {user}: at most {most}"
    );
    assert_eq!(
        state["concurrency_refusals"][user].as_u64().unwrap_or(0),
        0,
        "never past the mailbox's concurrency limit"
    );
    let imap_logins_after = std::fs::read_to_string(Rig::load().state_dir.join("log/dovecot.log"))
        .unwrap_or_default()
        .matches(&format!("imap-login: Login: user=<{user}>"))
        .count();
    assert_eq!(
        imap_logins_before, imap_logins_after,
        "no IMAP while the policy pins Graph"
    );

    // changes made on the server arrive
    let (read, flagged, moved) = (
        message_id("gr", 1),
        message_id("gr", 2),
        message_id("gr", 3),
    );
    doveadm(&[
        "flags",
        "add",
        "-u",
        user,
        "\\Seen",
        "mailbox",
        "INBOX",
        "header",
        "message-id",
        &read,
    ]);
    doveadm(&[
        "flags",
        "add",
        "-u",
        user,
        "\\Flagged",
        "mailbox",
        "INBOX",
        "header",
        "message-id",
        &flagged,
    ]);
    doveadm(&[
        "move",
        "-u",
        user,
        "Archive",
        "mailbox",
        "INBOX",
        "header",
        "message-id",
        &moved,
    ]);
    let downloads_before = requests(user, "GET $value");
    home.sync();
    let downloads_after = requests(user, "GET $value");
    let inbox = home.folder("Inbox");
    let archive = home.folder("Archive");
    assert!(inbox[&read].0.seen && !inbox[&read].0.flagged);
    assert!(inbox[&flagged].0.flagged && !inbox[&flagged].0.seen);
    assert!(
        !inbox.contains_key(&moved) && archive.contains_key(&moved),
        "moved"
    );
    assert_eq!(archive[&moved].1.as_deref(), Some(&seeded[&moved][..]));
    assert_eq!(
        downloads_before, downloads_after,
        "a move downloads nothing again"
    );
    assert_eq!(inbox.len() + archive.len(), 59);

    // changes made here reach the server
    let (local_read, local_flag, local_move, local_delete) = (
        message_id("gr", 4),
        message_id("gr", 6),
        message_id("gr", 7),
        message_id("gr", 8),
    );
    {
        let mut store = home.store();
        let archive_id = store.folder_by_name(user, "Archive").unwrap().unwrap().id;
        store
            .set_seen(home.id_of("Inbox", &local_read), true)
            .unwrap();
        store
            .set_flagged(home.id_of("Inbox", &local_flag), true)
            .unwrap();
        store
            .move_to(home.id_of("Inbox", &local_move), archive_id)
            .unwrap();
        store.delete(home.id_of("Inbox", &local_delete)).unwrap();
    }
    // ... through a throttled mailbox: one 429 with Retry-After: 2, waited out before the next
    // request
    admin(
        EXCHANGE_ADMIN,
        "PUT",
        &format!("/throttle/{user}"),
        Some(r#"{"times":1,"retry_after":2}"#),
    );
    let started = Instant::now();
    let said = home.sync();
    let took = started.elapsed();
    let state = exchange_state();
    assert_eq!(
        state["early_retries"][user].as_u64(),
        Some(0),
        "no request before Retry-After"
    );
    assert_eq!(
        state["throttle"][user]["times"].as_u64(),
        Some(0),
        "the 429 was met"
    );
    assert!(
        took >= Duration::from_secs(2),
        "waited Retry-After: {took:?}"
    );
    assert!(
        flags_on_server(user, "INBOX", &local_read).contains("\\Seen"),
        "{said}"
    );
    assert!(flags_on_server(user, "INBOX", &local_flag).contains("\\Flagged"));
    guid_of(user, "Archive", &local_move);
    guid_of(user, "Trash", &local_delete);
    let inbox = home.folder("Inbox");
    let archive = home.folder("Archive");
    let trash = home.folder("Deleted Items");
    let trash = if trash.is_empty() {
        home.folder("Trash")
    } else {
        trash
    };
    assert!(inbox[&local_read].0.seen && inbox[&local_flag].0.flagged);
    assert_eq!(
        archive[&local_move].2, 1,
        "the moved message is in Archive once"
    );
    assert!(trash.contains_key(&local_delete) && !inbox.contains_key(&local_delete));
    assert_eq!(inbox.len(), 56 - 3);
}

/// kill -9 during the Graph sync, at random moments: every next sync resumes from the last
/// committed delta link, and in the end every message is stored once, byte-exact. Trials:
/// TAYORI_GRAPH_KILL_TRIALS (default 3).
#[test]
fn a_killed_graph_sync_resumes_without_loss_or_duplicates() {
    let _ = Rig::load();
    let _turn = with_consent();
    let user = "t07@contoso.test";
    let seeded = seed(user, "gk", 50, 0);
    let home = Home::new(user);
    let trials: usize = std::env::var("TAYORI_GRAPH_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut rng = rand::rngs::StdRng::seed_from_u64(27);
    let mut killed = 0;
    for _ in 0..trials {
        let mut child = home.spawn_sync();
        std::thread::sleep(Duration::from_millis(rng.random_range(200..1000)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        // a consistent store after every kill: no message twice
        for (mid, (_, _, rows)) in home.folder("Inbox") {
            assert_eq!(rows, 1, "{mid} stored twice after a kill");
        }
    }
    home.sync();
    let inbox = home.folder("Inbox");
    assert_eq!(inbox.len(), seeded.len(), "nothing lost");
    for (mid, (_, raw, rows)) in &inbox {
        assert_eq!(*rows, 1, "{mid}");
        assert_eq!(raw.as_deref(), Some(&seeded[mid][..]), "{mid} byte-exact");
    }
    eprintln!("graph kill trials: {trials}, killed mid-sync: {killed}");
}

/// Without Graph's Mail.ReadWrite consented, the sync says what is missing and who can grant it;
/// a token for another resource (Exchange's IMAP audience) is refused by Graph with 401 and
/// WWW-Authenticate, and a token without a mail scope with 403 ErrorAccessDenied.
#[test]
fn missing_consent_and_wrong_tokens_are_told_clearly() {
    let _ = Rig::load();
    let _turn = without_consent();
    let user = "t08@contoso.test";
    let home = Home::new(user);
    let out = home.run(&["sync"], "en_US.UTF-8");
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("Mail.ReadWrite"),
        "names the permission: {said}"
    );
    assert!(said.contains("administrator"), "says who grants it: {said}");
    assert!(
        said.contains("/adminconsent?client_id=")
            && said.contains("graph.microsoft.com%2FMail.ReadWrite"),
        "the admin-consent link names Graph's scope: {said}"
    );

    // straight at Graph with tokens the account's refresh token redeems for other resources
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dns = tayori::net::dns::Dns::new(
            Some("127.0.0.1:10053".parse().unwrap()),
            Duration::from_secs(5),
        )
        .unwrap();
        let http = tayori::net::http::Http::new(dns, Duration::from_secs(10)).unwrap();
        let paths = tayori::config::Paths::under(home.path());
        let account = tayori::account::Accounts::new(&paths).get(user).unwrap();
        let tayori::auth::Credentials::OAuth(tokens) = account.credentials(&http).await.unwrap()
        else {
            panic!("an OAuth account")
        };
        let imap = tokens
            .resource_token(
                "outlook.office365.com",
                &["https://outlook.office.com/IMAP.AccessAsUser.All".to_owned()],
            )
            .await
            .unwrap();
        let url = "https://graph.microsoft.com/v1.0/me/mailFolders";
        let client = http.client_for_url(url).await;
        let answer = client
            .get(url)
            .bearer_auth(imap.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 401);
        let challenge = answer
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(
            answer
                .text()
                .await
                .unwrap()
                .contains("InvalidAuthenticationToken")
        );

        let user_read = tokens
            .resource_token(
                "graph.microsoft.com",
                &["https://graph.microsoft.com/User.Read".to_owned()],
            )
            .await;
        let token = user_read.expect("User.Read is granted");
        let answer = client
            .get(url)
            .bearer_auth(token.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 403);
        assert!(answer.text().await.unwrap().contains("ErrorAccessDenied"));
    });
}

fn set_imap(user: &str, enabled: bool) {
    admin(
        EXCHANGE_ADMIN,
        "PUT",
        &format!("/mailboxes/{user}"),
        Some(&format!(r#"{{"imap_enabled":{enabled}}}"#)),
    );
}

const IMAP_OFF_EN: &str = "IMAP is turned off for your mailbox";
const IMAP_OFF_JA: &str =
    "では IMAP が無効になっています。Tayori は代わりに Microsoft 365 経由でメールを受信します。";

/// A Microsoft 365 mailbox with IMAP turned off (Exchange answers `NO AUTHENTICATE failed.` to a
/// good token): adding the account succeeds through Microsoft Graph instead of failing at the IMAP
/// check, the person is told once, the settings say why (en, ja), and the mail arrives through
/// Graph byte-exact; later passes do not knock at IMAP again.
#[test]
fn an_account_whose_mailbox_has_imap_off_is_added_and_read_through_graph() {
    let _ = Rig::load();
    let _turn = with_consent();
    let user = "t01@contoso.test";
    set_imap(user, false);
    let seeded = seed(user, "io", 12, 0);
    let home = Home::unsigned(user, None);
    let out = home.add();
    let said = text(&out);
    assert!(out.status.success(), "account add: {said}");
    assert_eq!(
        said.matches(IMAP_OFF_EN).count(),
        1,
        "told once that IMAP is off and Tayori reads through Microsoft 365: {said}"
    );
    assert!(requests(user, "IMAP refused") >= 1, "Exchange refused IMAP");

    let said = text(&home.run(&["account", "list"], "en_US.UTF-8"));
    assert!(
        said.contains("Reads mail through Microsoft 365 (Microsoft Graph): IMAP is turned off for your mailbox."),
        "{said}"
    );
    let said = text(&home.run(&["account", "list"], "ja_JP.UTF-8"));
    assert!(
        said.contains("このメールボックスでは IMAP が無効になっているためです。"),
        "{said}"
    );

    let imap_before = requests(user, "IMAP AUTHENTICATE");
    let said = home.sync();
    assert!(!said.contains(IMAP_OFF_EN), "told only once: {said}");
    let inbox = home.folder("Inbox");
    assert_eq!(inbox.len(), 12, "{said}");
    for (mid, (_, raw, rows)) in &inbox {
        assert_eq!(*rows, 1, "{mid}");
        assert_eq!(raw.as_deref(), Some(&seeded[mid][..]), "{mid} byte-exact");
    }
    assert_eq!(
        requests(user, "IMAP AUTHENTICATE"),
        imap_before,
        "once the way is known, IMAP is not tried again"
    );

    // Exchange's other refusal: the sign-in taken, then "BAD User is authenticated but not
    // connected." to every command; adding the account finds it and reads through Graph too
    admin(
        EXCHANGE_ADMIN,
        "PUT",
        &format!("/mailboxes/{user}"),
        Some(r#"{"imap_refusal":"not_connected"}"#),
    );
    let other = Home::unsigned(user, None);
    let out = other.add();
    admin(
        EXCHANGE_ADMIN,
        "PUT",
        &format!("/mailboxes/{user}"),
        Some(r#"{"imap_refusal":"authenticate"}"#),
    );
    let said = text(&out);
    assert!(out.status.success(), "account add: {said}");
    assert_eq!(said.matches(IMAP_OFF_EN).count(), 1, "{said}");
    other.sync();
    assert_eq!(other.folder("Inbox").len(), 12);
}

/// IMAP turned off for a mailbox after its account was added: the next sync turns to Graph. While
/// Graph's Mail.ReadWrite is not consented, the sync says IMAP is off and gives the admin-consent
/// link with Graph's scopes (and the account stays as it was); once consented, the sync reads
/// through Graph, records why and tells the person once (en), and not again (ja).
#[test]
fn imap_turned_off_later_switches_to_graph_once_consented() {
    let _ = Rig::load();
    let _turn = without_consent();
    let user = "t02@contoso.test";
    set_imap(user, true);
    let seeded = seed(user, "il", 5, 0);
    let home = Home::with_transport(user, None);
    set_imap(user, false);

    let out = home.run(&["sync"], "en_US.UTF-8");
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("IMAP is turned off for your mailbox"),
        "{said}"
    );
    assert!(
        said.contains("Mail.ReadWrite") && said.contains("administrator"),
        "{said}"
    );
    assert!(
        said.contains("/adminconsent?client_id=")
            && said.contains("graph.microsoft.com%2FMail.ReadWrite"),
        "the admin-consent link names Graph's scope: {said}"
    );
    let account = tayori::account::Accounts::new(&tayori::config::Paths::under(home.path()))
        .get(user)
        .unwrap();
    assert!(account.read_via_graph.is_none(), "nothing decided yet");
    assert!(
        account.needs_sign_in.is_none(),
        "a new sign-in would not help"
    );

    contoso_grant(true);
    let said = home.sync();
    assert_eq!(said.matches(IMAP_OFF_EN).count(), 1, "{said}");
    let inbox = home.folder("Inbox");
    assert_eq!(inbox.len(), 5, "{said}");
    for (mid, (_, raw, _)) in &inbox {
        assert_eq!(raw.as_deref(), Some(&seeded[mid][..]), "{mid} byte-exact");
    }
    let out = home.run(&["sync"], "ja_JP.UTF-8");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(!said.contains(IMAP_OFF_JA), "told only once: {said}");
    let said = text(&home.run(&["account", "list"], "ja_JP.UTF-8"));
    assert!(
        said.contains("このメールボックスでは IMAP が無効になっているためです。"),
        "{said}"
    );
    set_imap(user, true);
}

const IMAP_AGAIN_EN: &str = "IMAP is turned on again for your mailbox";
const IMAP_AGAIN_JA: &str =
    "で IMAP が再び有効になりました。Tayori は再び IMAP でメールを受信します。";

/// The way back: an account that reads through Graph because IMAP was off for its mailbox asks
/// IMAP once a day whether the administrator turned it on again (not before: IMAP on within the
/// day goes unasked). Once IMAP accepts, a change made here meanwhile goes out through Graph, the
/// way it was made, and the account reads through IMAP from that pass on, told once (en, not again
/// in ja), its store kept: the same rows with the same bytes (nothing downloaded again, only the
/// headers read to find each message again), and new mail comes through IMAP, Graph no longer
/// asked. "Check again" (`tayori account check-imap`) asks at the next sync; an account the
/// administrator's policy pins to Graph never asks IMAP.
#[test]
fn imap_turned_on_again_is_found_by_the_daily_check_and_the_store_is_kept() {
    let _ = Rig::load();
    let _turn = with_consent();
    let user = "t17@contoso.test";
    set_imap(user, false);
    let seeded = seed(user, "ib", 6, 0);
    let home = Home::unsigned(user, None);
    let out = home.add();
    assert!(out.status.success(), "account add: {}", text(&out));
    home.sync();
    let before = home.folder("Inbox");
    assert_eq!(before.len(), 6);
    let rows: HashMap<String, i64> = before
        .keys()
        .map(|mid| (mid.clone(), home.id_of("Inbox", mid)))
        .collect();

    // IMAP on again: within the day of the turn to Graph the account does not ask
    set_imap(user, true);
    let imap_before = requests(user, "IMAP AUTHENTICATE");
    let said = home.sync();
    assert!(!said.contains(IMAP_AGAIN_EN), "{said}");
    assert_eq!(
        requests(user, "IMAP AUTHENTICATE"),
        imap_before,
        "not asked within the day"
    );

    // a change made here while reading through Graph, then a day passes since the last check
    let read_here = message_id("ib", 1);
    home.store().set_seen(rows[&read_here], true).unwrap();
    let paths = tayori::config::Paths::under(home.path());
    let accounts = tayori::account::Accounts::new(&paths);
    accounts
        .set_imap_checked(user, tayori::account::now_seconds() - 86_400 - 60)
        .unwrap();
    let patches = requests(user, "PATCH message");
    let said = home.sync();
    assert_eq!(said.matches(IMAP_AGAIN_EN).count(), 1, "told once: {said}");
    assert!(
        requests(user, "IMAP AUTHENTICATE") > imap_before,
        "IMAP asked"
    );
    assert_eq!(
        requests(user, "PATCH message"),
        patches + 1,
        "the change made while reading through Graph went out through Graph"
    );
    assert!(flags_on_server(user, "INBOX", &read_here).contains("\\Seen"));
    assert!(
        said.contains("0 messages downloaded"),
        "nothing downloaded again: {said}"
    );
    let said = text(&home.run(&["account", "list"], "en_US.UTF-8"));
    // The list names the IMAP server on each account's line and adds a line only for an account
    // read through Microsoft 365: back on IMAP, that line is gone.
    assert!(
        said.contains(&format!("{user}  IMAP outlook.office365.com:993"))
            && !said.contains("Reads mail through Microsoft 365"),
        "{said}"
    );
    let account = accounts.get(user).unwrap();
    assert!(account.read_via_graph.is_none());

    // the store kept: the same rows (Graph's Inbox is IMAP's INBOX), the same bytes, the flag
    let inbox = home.folder("INBOX");
    assert_eq!(inbox.len(), 6);
    for (mid, (flags, raw, count)) in &inbox {
        assert_eq!(*count, 1, "{mid} once");
        assert_eq!(raw.as_deref(), Some(&seeded[mid][..]), "{mid} byte-exact");
        assert_eq!(
            home.id_of("INBOX", mid),
            rows[mid],
            "{mid}: the same stored message"
        );
        assert_eq!(flags.seen, *mid == read_here, "{mid}");
    }

    // new mail comes through IMAP; Graph is not asked; told once only (ja)
    let new = seed_message("ib", 40);
    save_into_inbox(user, &new);
    let deltas = requests(user, "GET delta");
    let out = home.run(&["sync"], "ja_JP.UTF-8");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(!said.contains(IMAP_AGAIN_JA), "told only once: {said}");
    assert_eq!(requests(user, "GET delta"), deltas, "Graph no longer asked");
    let inbox = home.folder("INBOX");
    assert_eq!(inbox.len(), 7);
    assert_eq!(inbox[&message_id("ib", 40)].1.as_deref(), Some(&new[..]));

    // "Check again": IMAP off once more, recorded; the check asked for runs at the next sync
    // (before the day is out), finds IMAP still off and goes on through Graph
    set_imap(user, false);
    accounts
        .set_read_via_graph(user, "AUTHENTICATE failed.")
        .unwrap();
    accounts
        .set_imap_checked(user, tayori::account::now_seconds())
        .unwrap();
    let said = text(&home.run(&["account", "check-imap", user], "en_US.UTF-8"));
    assert!(
        said.contains("IMAP will be checked at the next sync."),
        "{said}"
    );
    let imap_before = requests(user, "IMAP AUTHENTICATE");
    home.sync();
    assert!(requests(user, "IMAP AUTHENTICATE") > imap_before, "asked");
    let checked = accounts.get(user).unwrap().read_via_graph.unwrap();
    assert!(checked.imap_checked.unwrap() + 60 > tayori::account::now_seconds());

    // pinned to Graph by the policy: IMAP is never asked, however long ago the last check
    set_imap(user, true);
    accounts.set_imap_checked(user, 0).unwrap();
    let pinned = std::fs::read_to_string(&home.policy).unwrap().replace(
        "[provider.oauth2]",
        "transport = \"graph\"\n[provider.oauth2]",
    );
    std::fs::write(&home.policy, pinned).unwrap();
    let imap_before = requests(user, "IMAP AUTHENTICATE");
    let said = home.sync();
    assert!(!said.contains(IMAP_AGAIN_EN), "{said}");
    assert_eq!(
        requests(user, "IMAP AUTHENTICATE"),
        imap_before,
        "the policy pins Graph"
    );
}

/// Saves `raw` into `user`'s INBOX as delivered mail.
fn save_into_inbox(user: &str, raw: &[u8]) {
    let config = Rig::load().state_dir.join("dovecot/dovecot.conf");
    let mut child = std::process::Command::new("doveadm")
        .arg("-c")
        .arg(config)
        .args(["save", "-u", user, "-m", "INBOX"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(raw).unwrap();
    assert!(child.wait().unwrap().success());
}

/// (Then drafts both ways through Graph, on the same mailbox, and a draft sent through SMTP
/// leaving Drafts through Graph, IMAP being off.)
/// With `body_days`, the Graph engine keeps older mail as headers only (from Graph's
/// internetMessageHeaders, no `$value`), as the IMAP engine does, and downloads whole the mail of
/// the window; opening an older message fetches its MIME through Graph (`$value`) and stores it,
/// byte for byte.
#[test]
fn graph_keeps_older_mail_as_headers_and_fetches_a_body_when_opened() {
    let _ = Rig::load();
    let _turn = with_consent();
    let user = "t02@contoso.test";
    set_imap(user, true);
    // seeded mail is dated 2 November 2026: outside a 30-day window from December on
    let seeded = seed(user, "bw", 4, 0);
    let now = std::process::Command::new("date")
        .arg("-R")
        .output()
        .unwrap();
    let now = String::from_utf8(now.stdout).unwrap();
    let recent: Vec<(String, Vec<u8>)> = (0..2)
        .map(|i| {
            let mid = format!("<bw.new{i}@graph.example.jp>");
            let raw = format!(
                "From: Sender <sender@example.jp>\r\nTo: {user}\r\nSubject: bw new {i}\r\n\
                 Message-ID: {mid}\r\nDate: {}\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\nHello {i}\r\n",
                now.trim()
            );
            (mid, raw.into_bytes())
        })
        .collect();
    for (_, raw) in &recent {
        save_into_inbox(user, raw);
    }
    let home = Home::new(user);
    std::fs::write(
        home.path().join("config/tayori.toml"),
        "[sync]\nbody_days = 30\n",
    )
    .unwrap();
    let downloads = requests(user, "GET $value");
    home.sync();
    assert_eq!(
        requests(user, "GET $value") - downloads,
        2,
        "only the mail of the window is downloaded"
    );
    let inbox = home.folder("Inbox");
    assert_eq!(inbox.len(), 6);
    for (mid, raw) in &recent {
        assert_eq!(inbox[mid].1.as_deref(), Some(&raw[..]), "{mid} whole");
    }
    for mid in seeded.keys() {
        assert_eq!(inbox[mid].1, None, "{mid}: headers only");
    }
    let old = message_id("bw", 1);
    let id = home.id_of("Inbox", &old);
    let summary = home.store().message(id).unwrap().unwrap();
    assert_eq!(summary.subject, "bw 1", "the header came through Graph");
    assert_eq!(
        summary.size as usize,
        seeded[&old].len(),
        "the message's size as Exchange keeps it (PidTagMessageSize), not its header's"
    );

    let out = home.run(&["show", "--raw", &id.to_string()], "en_US.UTF-8");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        out.stdout, seeded[&old],
        "opened through Graph, byte for byte"
    );
    assert_eq!(requests(user, "GET $value") - downloads, 3);
    assert_eq!(
        home.folder("Inbox")[&old].1.as_deref(),
        Some(&seeded[&old][..]),
        "and stored"
    );

    // Drafts both ways, with IMAP off for the mailbox (so nothing can go the IMAP way). Saved
    // here: created in Drafts through Graph, a new version replacing the older one.
    set_imap(user, false);
    let paths = tayori::config::Paths::under(home.path());
    // (the policy file is the child processes'; here the account knows it by what it learned)
    let accounts = tayori::account::Accounts::new(&paths);
    accounts
        .set_read_via_graph(user, "AUTHENTICATE failed.")
        .unwrap();
    let account = accounts.get(user).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let net = || {
        let dns = tayori::net::dns::Dns::new(
            Some("127.0.0.1:10053".parse().unwrap()),
            Duration::from_secs(5),
        )
        .unwrap();
        let http = tayori::net::http::Http::new(dns.clone(), Duration::from_secs(10)).unwrap();
        tayori::net::Net { dns, http }
    };
    let (local_draft, draft_id) = rt.block_on(async {
        let dns = tayori::net::dns::Dns::new(
            Some("127.0.0.1:10053".parse().unwrap()),
            Duration::from_secs(5),
        )
        .unwrap();
        let http = tayori::net::http::Http::new(dns.clone(), Duration::from_secs(10)).unwrap();
        let net = tayori::net::Net { dns, http };
        let credentials = account.credentials(&net.http).await.unwrap();
        let outbox = tayori::outbox::Outbox::open_in(&paths.data_dir).unwrap();
        let mut draft = tayori::compose::Draft::new(tayori::compose::Mailbox::new(None, user));
        draft.subject = "下書き graph".into();
        draft.body = "First version.\n".into();
        let (id, draft_id) = outbox.save_draft(None, user, &draft).unwrap();
        tayori::outbox::save_draft_on_server(&outbox, id, &net, &account, &credentials)
            .await
            .unwrap();
        draft.body = "Second version.\n".into();
        outbox.save_draft(Some(id), user, &draft).unwrap();
        tayori::outbox::save_draft_on_server(&outbox, id, &net, &account, &credentials)
            .await
            .unwrap();
        (id, draft_id)
    });
    let on_server = doveadm(&[
        "fetch",
        "-u",
        user,
        "text",
        "mailbox",
        "Drafts",
        "header",
        "message-id",
        &draft_id,
    ]);
    assert_eq!(
        on_server.matches("Second version.").count(),
        1,
        "{on_server}"
    );
    assert!(
        !on_server.contains("First version."),
        "replaced: {on_server}"
    );

    // Made on the server (Outlook on the web): arrives in Tayori's Drafts, as a draft.
    let server_draft = b"From: t02@contoso.test\r\nSubject: from the web\r\n\
        Message-ID: <web.draft@contoso.test>\r\nMIME-Version: 1.0\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\r\nWritten in Outlook on the web\r\n";
    let config = Rig::load().state_dir.join("dovecot/dovecot.conf");
    let mut child = std::process::Command::new("doveadm")
        .arg("-c")
        .arg(config)
        .args(["save", "-u", user, "-m", "Drafts"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(server_draft).unwrap();
    assert!(child.wait().unwrap().success());
    doveadm(&[
        "flags",
        "add",
        "-u",
        user,
        "\\Draft",
        "mailbox",
        "Drafts",
        "header",
        "message-id",
        "<web.draft@contoso.test>",
    ]);
    home.sync();
    let drafts = home.folder("Drafts");
    let web = &drafts["<web.draft@contoso.test>"];
    assert!(web.0.draft, "a draft here too");
    assert_eq!(web.1.as_deref(), Some(&server_draft[..]));
    assert!(
        drafts.contains_key(&format!("<{}>", draft_id.trim_matches(['<', '>']))),
        "the draft saved here is there too: {:?}",
        drafts.keys()
    );
    // Sent from that draft through SMTP (SMTP AUTH is on for this mailbox, IMAP off): once out,
    // the draft leaves Drafts through Graph, the way the account reads.
    let drafts_deleted = requests(user, "DELETE message");
    let outcome = rt.block_on(async {
        let paths = tayori::config::Paths::under(home.path());
        let outbox = tayori::outbox::Outbox::open_in(&paths.data_dir).unwrap();
        let (_, mut draft, _) = outbox.load_draft(local_draft).unwrap();
        draft.to = vec![tayori::compose::Mailbox::new(None, user)];
        let built = draft.build().unwrap();
        let queued = outbox
            .enqueue(user, &draft.subject, &built, Some(local_draft))
            .unwrap();
        drop(outbox);
        let net = net();
        let mut worker = tayori::outbox::Worker::acquire(&paths, net.dns, net.http).unwrap();
        worker.send(queued).await.unwrap()
    });
    assert!(
        matches!(outcome, tayori::outbox::Outcome::Sent { .. }),
        "sent through SMTP: {outcome:?}"
    );
    let on_server = doveadm(&[
        "search",
        "-u",
        user,
        "mailbox",
        "Drafts",
        "header",
        "message-id",
        &draft_id,
    ]);
    assert!(
        on_server.trim().is_empty(),
        "the sent draft left Drafts: {on_server}"
    );
    assert!(
        requests(user, "DELETE message") > drafts_deleted,
        "through Graph"
    );
    let said = home.sync();
    assert!(
        !home
            .folder("Drafts")
            .contains_key(&format!("<{}>", draft_id.trim_matches(['<', '>']))),
        "and from Tayori's Drafts at the next sync: {said}"
    );

    // The same when it goes through Graph too (SMTP AUTH off for the mailbox, as learned).
    accounts
        .set_send_via_graph(user, "535 5.7.139 Authentication unsuccessful")
        .unwrap();
    let account = accounts.get(user).unwrap();
    let (outcome, draft_id) = rt.block_on(async {
        let net = net();
        let credentials = account.credentials(&net.http).await.unwrap();
        let outbox = tayori::outbox::Outbox::open_in(&paths.data_dir).unwrap();
        let mut draft = tayori::compose::Draft::new(tayori::compose::Mailbox::new(None, user));
        draft.subject = "下書き graph 2".into();
        draft.to = vec![tayori::compose::Mailbox::new(None, user)];
        let (id, draft_id) = outbox.save_draft(None, user, &draft).unwrap();
        tayori::outbox::save_draft_on_server(&outbox, id, &net, &account, &credentials)
            .await
            .unwrap();
        let queued = outbox
            .enqueue(user, &draft.subject, &draft.build().unwrap(), Some(id))
            .unwrap();
        drop(outbox);
        let mut worker = tayori::outbox::Worker::acquire(&paths, net.dns, net.http).unwrap();
        (worker.send(queued).await.unwrap(), draft_id)
    });
    assert!(
        matches!(outcome, tayori::outbox::Outcome::Sent { .. }),
        "sent through Graph: {outcome:?}"
    );
    let on_server = doveadm(&[
        "search",
        "-u",
        user,
        "mailbox",
        "Drafts",
        "header",
        "message-id",
        &draft_id,
    ]);
    assert!(
        on_server.trim().is_empty(),
        "the draft sent through Graph left Drafts: {on_server}"
    );
    set_imap(user, true);
}

/// A shared mailbox (info@contoso.test; adele is a member with Full Access) added beside adele's
/// account, which reads through Microsoft Graph (the policy pins Graph), is read through Graph
/// from its own mailbox (`/users/info@contoso.test/…` with adele's token, Mail.ReadWrite.Shared):
/// its mail arrives in its own account byte-exact, none of it in adele's, and IMAP is not tried.
#[test]
fn a_shared_mailbox_is_read_through_graph() {
    let _ = Rig::load();
    let _turn = with_consent();
    let member = "adele@contoso.test";
    let shared = "info@contoso.test";
    let seeded = seed(shared, "sh", 6, 0);
    let home = Home::new(member);
    let out = home.run(
        &["account", "add-shared", shared, "--via", member],
        "en_US.UTF-8",
    );
    assert!(out.status.success(), "{}", text(&out));
    let imap = |mailbox: &str| requests(mailbox, "IMAP AUTHENTICATE");
    let imap_before = (imap(member), imap(shared));
    let deltas = requests(shared, "GET delta");
    let downloads = requests(shared, "GET $value");
    let said = home.sync();
    let inbox = home.folder_of(shared, "Inbox");
    assert_eq!(inbox.len(), 6, "{said}");
    for (mid, (_, raw, rows)) in &inbox {
        assert_eq!(*rows, 1, "{mid}");
        assert_eq!(raw.as_deref(), Some(&seeded[mid][..]), "{mid} byte-exact");
    }
    let own = home.folder("Inbox");
    assert!(
        seeded.keys().all(|mid| !own.contains_key(mid)),
        "the shared mailbox's mail is not in adele's own: {:?}",
        own.keys()
    );
    assert!(
        requests(shared, "GET delta") > deltas,
        "read from the shared mailbox's own folders"
    );
    assert_eq!(requests(shared, "GET $value") - downloads, 6);
    assert_eq!((imap(member), imap(shared)), imap_before, "no IMAP");
    let _ = home.run(&["account", "remove", shared], "en_US.UTF-8");
    let _ = home.run(&["account", "remove", member], "en_US.UTF-8");
}
