//! The other side of the sync tests: a person's mailbox on the rig's Dovecot, changed "elsewhere"
//! (another mail program, webmail) over plain IMAP, and read back to compare with Tayori's store.
//!
//! Each sync test owns one of the rig's private users (`s01@example.test` … `s24@example.test`,
//! app password `<name>-app-password`), so tests running at the same time never see each other's mail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::TryStreamExt;

use super::{ImapSession, imap_connect};

/// A message as both sides must agree on it: flags (as Tayori's bit set) and the raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub flags: i64,
    pub raw: Option<Vec<u8>>,
}

pub struct TestMailbox {
    pub user: String,
    pub session: ImapSession,
}

pub fn app_password(user: &str) -> String {
    format!("{}-app-password", user.split('@').next().unwrap())
}

/// The mailbox folders the rig creates for everyone.
pub const FOLDERS: [&str; 6] = ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"];

impl TestMailbox {
    /// async-imap stops reading once 100 unsolicited responses (EXISTS after each APPEND to the
    /// selected folder, say) wait unread in its channel; the tests do not need them.
    fn drain(&mut self) {
        while self.session.unsolicited_responses.try_recv().is_ok() {}
    }

    pub async fn login(user: &str) -> TestMailbox {
        let client = imap_connect(10993).await;
        let session = client
            .login(user, app_password(user))
            .await
            .map_err(|(e, _)| e)
            .expect("test login");
        TestMailbox {
            user: user.to_owned(),
            session,
        }
    }

    /// Empties every folder and removes folders other than the standard ones.
    pub async fn reset(&mut self) {
        self.drain();
        let names: Vec<String> = self
            .session
            .list(Some(""), Some("*"))
            .await
            .unwrap()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .iter()
            .map(|n| n.name().to_owned())
            .collect();
        for name in names {
            if name.starts_with("[Gmail]") {
                // The Gmail-like layout's virtual folders (tests/rig/dovecot): they show what the
                // real folders hold; deleting one would delete its definition.
                continue;
            }
            if FOLDERS.contains(&name.as_str()) {
                let status = self.session.select(&name).await.unwrap();
                if status.exists > 0 {
                    self.session
                        .run_command_and_check_ok("STORE 1:* +FLAGS.SILENT (\\Deleted)")
                        .await
                        .unwrap();
                    self.session
                        .run_command_and_check_ok("EXPUNGE")
                        .await
                        .unwrap();
                }
            } else {
                self.session.run_command_and_check_ok("UNSELECT").await.ok();
                self.session.delete(&name).await.unwrap();
            }
        }
        self.session.run_command_and_check_ok("UNSELECT").await.ok();
    }

    pub async fn append(&mut self, folder: &str, raw: &[u8], flags: &str) {
        self.drain();
        let flags = (!flags.is_empty()).then(|| format!("({flags})"));
        let flags = flags.as_deref();
        self.session
            .append(folder, flags, None, raw)
            .await
            .expect("append");
    }

    pub async fn select(&mut self, folder: &str) -> async_imap::types::Mailbox {
        self.drain();
        self.session.select(folder).await.expect("select")
    }

    /// Runs a command on `folder` (e.g. `UID STORE 3 +FLAGS (\Seen)`).
    pub async fn command(&mut self, folder: &str, command: &str) {
        self.drain();
        self.select(folder).await;
        self.session
            .run_command_and_check_ok(command)
            .await
            .unwrap_or_else(|e| panic!("{command}: {e}"));
    }

    /// UID → flags and raw bytes of every message in `folder`.
    pub async fn state(&mut self, folder: &str) -> BTreeMap<u32, Copy> {
        self.drain();
        let status = self.select(folder).await;
        if status.exists == 0 {
            return BTreeMap::new();
        }
        let fetches: Vec<_> = self
            .session
            .uid_fetch("1:*", "(UID FLAGS BODY.PEEK[])")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        fetches
            .iter()
            .map(|f| {
                let words: Vec<String> = f
                    .flags()
                    .map(|flag| match flag {
                        async_imap::types::Flag::Seen => "\\Seen".to_owned(),
                        async_imap::types::Flag::Answered => "\\Answered".to_owned(),
                        async_imap::types::Flag::Flagged => "\\Flagged".to_owned(),
                        async_imap::types::Flag::Deleted => "\\Deleted".to_owned(),
                        async_imap::types::Flag::Draft => "\\Draft".to_owned(),
                        other => format!("{other:?}"),
                    })
                    .collect();
                let (flags, _) = tayori::store::Flags::from_imap(words.iter().map(String::as_str));
                (
                    f.uid.unwrap(),
                    Copy {
                        flags: flags.bits(),
                        raw: f.body().map(<[u8]>::to_vec),
                    },
                )
            })
            .collect()
    }
}

/// A plain message with a unique Message-ID; `padding` bytes of text make it bigger.
pub fn message(tag: &str, index: usize, padding: usize) -> Vec<u8> {
    let filler: String = "The quick brown fox jumps over the lazy dog. "
        .chars()
        .cycle()
        .take(padding)
        .collect();
    let mut wrapped = String::new();
    for (i, c) in filler.chars().enumerate() {
        wrapped.push(c);
        if i % 76 == 75 {
            wrapped.push_str("\r\n");
        }
    }
    format!(
        "From: Sender {index} <sender{index}@example.jp>\r\nTo: someone@example.test\r\n\
         Subject: {tag} message {index}\r\nMessage-ID: <{tag}.{index}@test.example.jp>\r\n\
         Date: Mon, 2 Nov 2026 10:{:02}:{:02} +0900\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello {index}\r\n{wrapped}\r\n",
        index / 60 % 60,
        index % 60
    )
    .into_bytes()
}

/// A Tayori home set up with `user`'s account (password sign-in; the app password goes into the
/// Secret Service like a person's would). The tests run inside tests/rig/with-secret-service.sh.
pub fn account_home(user: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let out = super::run_tayori(
        home.path(),
        &["account", "add", user, "--auth", "password"],
        &[],
        Some(&format!("{}\n", app_password(user))),
    );
    assert!(
        out.status.success(),
        "account add failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    home
}

pub fn store_path(home: &Path) -> PathBuf {
    tayori::store::Store::path_in(&tayori::config::Paths::under(home))
}

/// What Tayori's store holds for `folder`: UID → flags and raw bytes (when downloaded). Rows
/// without a UID and duplicate UIDs fail the test here — the store must match the server exactly.
pub fn local_state(home: &Path, user: &str, folder: &str) -> BTreeMap<u32, Copy> {
    let store = tayori::store::Store::open(&store_path(home)).unwrap();
    let Some(found) = store.folder_by_name(user, folder).unwrap() else {
        return BTreeMap::new();
    };
    let rows = store
        .messages(
            found.id,
            tayori::store::SortOrder::NewestFirst,
            0,
            usize::MAX >> 1,
        )
        .unwrap();
    let mut state = BTreeMap::new();
    for row in rows {
        let uid = row
            .uid
            .unwrap_or_else(|| panic!("a row without UID in {folder}: {row:?}"));
        let copy = Copy {
            flags: row.flags.bits(),
            raw: store.message_raw(row.id).unwrap(),
        };
        assert!(
            state.insert(uid, copy).is_none(),
            "UID {uid} stored twice in {folder}"
        );
    }
    state
}

/// Starts the `tayori` binary for `home` in the background (for commands that must be killed, cut
/// off or left running); `capture` keeps its output for `wait_with_output`.
pub fn spawn_tayori(home: &Path, args: &[&str], capture: bool) -> std::process::Child {
    let output = || {
        if capture {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        }
    };
    std::process::Command::new(env!("CARGO_BIN_EXE_tayori"))
        .args(args)
        .env("TAYORI_HOME", home)
        .env("TAYORI_DNS_SERVER", "127.0.0.1:10053")
        .env("TAYORI_POLICY_FILE", home.join("none.toml"))
        .stdout(output())
        .stderr(output())
        .spawn()
        .expect("start tayori")
}

/// Runs `tayori sync` for `home` and returns its output (panics with it on failure).
pub fn sync(home: &Path) -> String {
    let out = super::run_tayori(home, &["sync"], &[], None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "tayori sync failed:\n{text}");
    text
}

/// Everything Tayori wrote to its log files under `home`.
pub fn log_text(home: &Path) -> String {
    std::fs::read_dir(home.join("data/logs"))
        .expect("the log folder")
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect()
}

/// The rig's Dovecot administration tool (for changes a server admin makes: UIDVALIDITY, kicking
/// a user's connections).
pub fn doveadm(args: &[&str]) -> String {
    let rig = super::Rig::load();
    let config = rig.state_dir.join("dovecot/dovecot.conf");
    let out = std::process::Command::new("doveadm")
        .arg("-c")
        .arg(&config)
        .args(args)
        .output()
        .expect("doveadm");
    assert!(
        out.status.success(),
        "doveadm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
