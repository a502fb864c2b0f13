//! An account's folders as the store keeps them: the account rows they hang from, the folder list
//! the server last gave (with each folder's role), and each folder's sync state (UIDVALIDITY,
//! UIDNEXT, HIGHESTMODSEQ) — including what a new UIDVALIDITY does to the messages already here.
//! [`FolderRole`] owns the roles and the names servers without SPECIAL-USE give them.

use rusqlite::{OptionalExtension, params};

use super::messages::delete_rows;
use super::{Store, StoreError, now, sqlite};

/// A SPECIAL-USE role (RFC 6154), which decides a folder's place and icon in the sidebar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FolderRole {
    Inbox,
    Drafts,
    Sent,
    Archive,
    Junk,
    Trash,
    All,
    Flagged,
}

impl FolderRole {
    pub fn as_str(self) -> &'static str {
        match self {
            FolderRole::Inbox => "inbox",
            FolderRole::Drafts => "drafts",
            FolderRole::Sent => "sent",
            FolderRole::Archive => "archive",
            FolderRole::Junk => "junk",
            FolderRole::Trash => "trash",
            FolderRole::All => "all",
            FolderRole::Flagged => "flagged",
        }
    }

    pub fn parse(text: &str) -> Option<FolderRole> {
        Some(match text {
            "inbox" => FolderRole::Inbox,
            "drafts" => FolderRole::Drafts,
            "sent" => FolderRole::Sent,
            "archive" => FolderRole::Archive,
            "junk" => FolderRole::Junk,
            "trash" => FolderRole::Trash,
            "all" => FolderRole::All,
            "flagged" => FolderRole::Flagged,
            _ => return None,
        })
    }

    /// The role a SPECIAL-USE attribute (`\Sent`, …) names.
    pub fn from_special_use(attribute: &str) -> Option<FolderRole> {
        Some(match attribute.to_ascii_lowercase().as_str() {
            "\\drafts" => FolderRole::Drafts,
            "\\sent" => FolderRole::Sent,
            "\\archive" => FolderRole::Archive,
            "\\junk" => FolderRole::Junk,
            "\\trash" => FolderRole::Trash,
            "\\all" => FolderRole::All,
            "\\flagged" => FolderRole::Flagged,
            _ => return None,
        })
    }

    /// The names servers without SPECIAL-USE give the folder with this role, most usual first.
    /// They are compared, ignoring ASCII case, with the last part of a folder's (decoded) name, so
    /// `INBOX.Sent` and `INBOX/Sent` are found too. The one list both the sidebar (sync) and sending
    /// (the Sent and Drafts copies) go by.
    pub fn usual_names(self) -> &'static [&'static str] {
        match self {
            FolderRole::Sent => &[
                "Sent",
                "Sent Items",
                "Sent Messages",
                "Sent Mail",
                "送信済みアイテム",
                "送信済み",
            ],
            FolderRole::Drafts => &["Drafts", "Draft", "下書き"],
            FolderRole::Trash => &[
                "Trash",
                "Deleted Items",
                "Deleted Messages",
                "ごみ箱",
                "削除済みアイテム",
            ],
            FolderRole::Junk => &["Junk", "Spam", "Junk E-mail", "Junk Email", "迷惑メール"],
            FolderRole::Archive => &["Archive", "Archives", "アーカイブ"],
            // INBOX is found by its name, which IMAP reserves; the others have no usual name.
            FolderRole::Inbox | FolderRole::All | FolderRole::Flagged => &[],
        }
    }

    /// Where `name` (a folder's decoded name) stands among this role's [`usual names`]
    /// (0 = the most usual), if it is one of them.
    ///
    /// [`usual names`]: FolderRole::usual_names
    pub fn usual_name_rank(self, name: &str) -> Option<usize> {
        let leaf = name.rsplit(['/', '.']).next().unwrap_or(name);
        self.usual_names()
            .iter()
            .position(|usual| usual.eq_ignore_ascii_case(leaf))
    }

    /// The role a folder's (decoded) name suggests, for servers without SPECIAL-USE.
    pub fn from_usual_name(name: &str) -> Option<FolderRole> {
        FolderRole::ALL
            .into_iter()
            .find(|role| role.usual_name_rank(name).is_some())
    }

    /// Every role, in the sidebar's order.
    pub const ALL: [FolderRole; 8] = [
        FolderRole::Inbox,
        FolderRole::Drafts,
        FolderRole::Sent,
        FolderRole::Archive,
        FolderRole::Junk,
        FolderRole::Trash,
        FolderRole::All,
        FolderRole::Flagged,
    ];
}

/// A folder as the sidebar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: i64,
    pub account: String,
    pub name: String,
    pub delimiter: Option<String>,
    pub role: Option<FolderRole>,
    pub total: u32,
    pub unread: u32,
}

/// A folder's sync state, for the sync engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderState {
    pub id: i64,
    pub name: String,
    pub role: Option<FolderRole>,
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    pub envelopes_complete: bool,
}

impl Store {
    /// Every folder of every account, special-use folders first (Inbox, Drafts, Sent, …), then by
    /// name, with total and unread counts.
    pub fn folders(&self) -> Result<Vec<Folder>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT f.id, a.email, f.name, f.delimiter, f.role,
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id),
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND (m.flags & 1) = 0)
                 FROM folders f JOIN accounts a ON a.id = f.account_id
                 WHERE f.selectable = 1",
            )
            .map_err(|e| self.error(e))?;
        let mut folders: Vec<Folder> = statement
            .query_map([], |row| {
                Ok(Folder {
                    id: row.get(0)?,
                    account: row.get(1)?,
                    name: row.get(2)?,
                    delimiter: row.get(3)?,
                    role: row
                        .get::<_, Option<String>>(4)?
                        .as_deref()
                        .and_then(FolderRole::parse),
                    total: row.get(5)?,
                    unread: row.get(6)?,
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        folders.sort_by(|a, b| {
            a.account
                .cmp(&b.account)
                .then(a.role.is_none().cmp(&b.role.is_none()))
                .then(a.role.cmp(&b.role))
                .then(a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Ok(folders)
    }

    /// The folder of `account` called `name` (case-insensitive for INBOX), if it is known.
    pub fn folder_by_name(&self, account: &str, name: &str) -> Result<Option<Folder>, StoreError> {
        Ok(self.folders()?.into_iter().find(|f| {
            f.account.eq_ignore_ascii_case(account)
                && (f.name == name
                    || (f.role == Some(FolderRole::Inbox) && name.eq_ignore_ascii_case("inbox")))
        }))
    }

    /// The account's row id, created on first use.
    pub fn account_id(&self, email: &str) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO accounts (email) VALUES (?1) ON CONFLICT (email) DO NOTHING",
                [email],
            )
            .map_err(|e| self.error(e))?;
        self.conn
            .query_row("SELECT id FROM accounts WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .map_err(|e| self.error(e))
    }

    /// Forgets every account not in `keep` with all its mail, and returns their addresses: mail
    /// of an account removed while its sync was still writing (or removed by another program) does
    /// not linger in the store.
    pub fn forget_accounts_except(&self, keep: &[String]) -> Result<Vec<String>, StoreError> {
        let known: Vec<String> = {
            let mut statement = self
                .conn
                .prepare("SELECT email FROM accounts")
                .map_err(|e| self.error(e))?;
            statement
                .query_map([], |r| r.get(0))
                .and_then(|rows| rows.collect::<Result<_, _>>())
                .map_err(|e| self.error(e))?
        };
        let gone: Vec<String> = known.into_iter().filter(|e| !keep.contains(e)).collect();
        for email in &gone {
            self.remove_account(email)?;
        }
        Ok(gone)
    }

    /// Forgets an account and all its mail (the account was removed), so that nothing of that
    /// mail stays readable in the store's file, as the person was told:
    /// - its rows, through the foreign keys;
    /// - what those do not reach: its words in the search index and its place in the indexer's
    ///   queue (both keyed by search key), the threads only its messages made (their roots are
    ///   Message-IDs), and the compression dictionary when no account is left to need it (it is
    ///   trained from the first messages stored);
    /// - FTS5 keeps a deleted row's terms in its segments until they are merged: merged here;
    /// - SQLite leaves deleted content in the file's free space: overwritten with zeros
    ///   (`secure_delete` for this step), and the write-ahead log emptied into the file.
    pub fn remove_account(&self, email: &str) -> Result<(), StoreError> {
        let run = |sql: &str| self.conn.execute_batch(sql).map_err(|e| self.error(e));
        run("PRAGMA secure_delete = ON")?;
        let removed = self.forget_account_rows(email);
        let merged = removed
            .and_then(|()| run("INSERT INTO message_text (message_text) VALUES ('optimize')"));
        let reset = run("PRAGMA secure_delete = OFF");
        merged?;
        reset?;
        // A reader holding an old snapshot (the window) may keep part of the log for now: the
        // next checkpoint writes the zeros over the rest.
        if let Err(error) = run("PRAGMA wal_checkpoint(TRUNCATE)") {
            tracing::warn!(%error, "the removed account's pages wait for the next checkpoint");
        }
        Ok(())
    }

    fn forget_account_rows(&self, email: &str) -> Result<(), StoreError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| self.error(e))?;
        let account_id: Option<i64> = tx
            .query_row("SELECT id FROM accounts WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.error(e))?;
        let Some(account_id) = account_id else {
            return Ok(());
        };
        tx.execute_batch(&format!(
            "DELETE FROM message_text WHERE rowid IN
                 (SELECT search_key FROM stored_messages WHERE account_id = {account_id});
             DELETE FROM index_queue WHERE key IN
                 (SELECT search_key FROM stored_messages WHERE account_id = {account_id});
             DELETE FROM accounts WHERE id = {account_id};
             DELETE FROM threads WHERE id NOT IN
                 (SELECT thread_id FROM messages WHERE thread_id IS NOT NULL);
             DELETE FROM dictionaries WHERE NOT EXISTS (SELECT 1 FROM accounts);"
        ))
        .map_err(|e| self.error(e))?;
        tx.commit().map_err(|e| self.error(e))
    }

    pub fn folder_states(&self, account_id: i64) -> Result<Vec<FolderState>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT id, name, role, uidvalidity, uidnext, highestmodseq, envelopes_complete
                 FROM folders WHERE account_id = ?1",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map([account_id], |row| {
                Ok(FolderState {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    role: row
                        .get::<_, Option<String>>(2)?
                        .as_deref()
                        .and_then(FolderRole::parse),
                    uidvalidity: row.get(3)?,
                    uidnext: row.get(4)?,
                    highestmodseq: row.get::<_, Option<i64>>(5)?.map(|v| v as u64),
                    envelopes_complete: row.get(6)?,
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// Records the server's folder list: new folders are added, known ones updated, and folders the
    /// server no longer has are dropped with their messages (they are gone on the server too).
    pub fn set_folder_list(
        &mut self,
        account_id: i64,
        folders: &[(String, Option<String>, Option<FolderRole>, bool)],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO folders (account_id, name, delimiter, role, selectable)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (account_id, name) DO UPDATE
                     SET delimiter = excluded.delimiter, role = excluded.role,
                         selectable = excluded.selectable",
                )
                .map_err(|e| sqlite(&path, e))?;
            for (name, delimiter, role, selectable) in folders {
                upsert
                    .execute(params![
                        account_id,
                        name,
                        delimiter,
                        role.map(FolderRole::as_str),
                        selectable
                    ])
                    .map_err(|e| sqlite(&path, e))?;
            }
            let known: Vec<(i64, String)> = tx
                .prepare("SELECT id, name FROM folders WHERE account_id = ?1")
                .and_then(|mut s| {
                    s.query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect()
                })
                .map_err(|e| sqlite(&path, e))?;
            for (id, name) in known {
                if !folders.iter().any(|(n, ..)| *n == name) {
                    let ids: Vec<i64> = tx
                        .prepare("SELECT id FROM messages WHERE folder_id = ?1")
                        .and_then(|mut s| s.query_map([id], |r| r.get(0))?.collect())
                        .map_err(|e| sqlite(&path, e))?;
                    delete_rows(&tx, &ids).map_err(|e| sqlite(&path, e))?;
                    tx.execute("DELETE FROM folders WHERE id = ?1", [id])
                        .map_err(|e| sqlite(&path, e))?;
                }
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// Saves what the server said about a folder after its changes were applied.
    pub fn set_folder_state(
        &self,
        folder_id: i64,
        uidvalidity: u32,
        uidnext: Option<u32>,
        highestmodseq: Option<u64>,
        envelopes_complete: bool,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE folders SET uidvalidity = ?2, uidnext = ?3, highestmodseq = ?4,
                     envelopes_complete = ?5, synced_at = ?6 WHERE id = ?1",
                params![
                    folder_id,
                    uidvalidity,
                    uidnext,
                    highestmodseq.map(|v| v as i64),
                    envelopes_complete,
                    now()
                ],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// The UIDVALIDITY of the folder changed: every UID known here is void. The rows are kept
    /// without a UID (with their downloaded bodies) so the re-sync finds them again by Message-ID
    /// instead of downloading everything anew; [`Store::drop_unmatched`] removes the rest.
    pub fn forget_uids(&self, folder_id: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE messages SET uid = NULL WHERE folder_id = ?1",
                [folder_id],
            )
            .and_then(|_| {
                self.conn.execute(
                    "UPDATE folders SET uidvalidity = NULL, uidnext = NULL, highestmodseq = NULL,
                         envelopes_complete = 0 WHERE id = ?1",
                    [folder_id],
                )
            })
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// After a complete envelope pass: rows still without a UID were not found on the server.
    /// Rows waiting for a queued move are kept (the server has not seen the move yet).
    pub fn drop_unmatched(
        &mut self,
        folder_id: i64,
        pending_moves: usize,
    ) -> Result<usize, StoreError> {
        if pending_moves > 0 {
            return Ok(0);
        }
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let ids: Vec<i64> = tx
            .prepare("SELECT id FROM messages WHERE folder_id = ?1 AND uid IS NULL")
            .and_then(|mut s| s.query_map([folder_id], |r| r.get(0))?.collect())
            .map_err(|e| sqlite(&path, e))?;
        delete_rows(&tx, &ids).map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(ids.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::*;

    /// Removing an account leaves nothing of its mail readable in the store's file: not its rows,
    /// not its words in the search index (FTS5 keeps a deleted row's terms until its segments are
    /// merged), not the bytes SQLite freed (left in the file unless overwritten). The other
    /// account's mail stays, searchable.
    #[test]
    fn a_removed_accounts_mail_leaves_no_trace_in_the_store_file() {
        let (dir, mut store) = open();
        let (_, alice_inbox, _) = setup(&mut store);
        let (_, bob_inbox) = account_with_inbox(&mut store, "bob@example.test");
        let (alices, alices_body) = message(1, "Quixotic zephyrs", "xylophonist wombats");
        let (mut bobs, mut bobs_body) = message(2, "Marmalade", "kumquat preserves");
        (bobs.uid, bobs_body.uid) = (1, 1);
        store.add_envelopes(alice_inbox, &[alices]).unwrap();
        store.add_bodies(alice_inbox, &[alices_body]).unwrap();
        store.add_envelopes(bob_inbox, &[bobs]).unwrap();
        store.add_bodies(bob_inbox, &[bobs_body]).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        store.build_index(&stop, &mut |_, _| {}).unwrap();
        assert_eq!(store.search("xylophonist", 10).unwrap().len(), 1);

        store.remove_account("alice@example.test").unwrap();
        drop(store);
        let mut file = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            file.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        file.make_ascii_lowercase();
        for trace in [
            "quixotic",
            "zephyrs",
            "xylophonist",
            "wombats",
            "m1@example.jp",
        ] {
            assert!(
                !file.windows(trace.len()).any(|w| w == trace.as_bytes()),
                "{trace:?} is still in the store's file"
            );
        }
        let store = Store::open(&dir.path().join("mail.sqlite3")).unwrap();
        assert!(store.search("xylophonist", 10).unwrap().is_empty());
        assert_eq!(store.search("kumquat", 10).unwrap().len(), 1);
        let threads: i64 = store
            .conn
            .query_row("SELECT count(*) FROM threads", [], |r| r.get(0))
            .unwrap();
        assert_eq!(threads, 1, "Bob's thread alone");
    }

    #[test]
    fn a_uidvalidity_change_keeps_bodies_of_messages_found_again() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let (e1, b1) = message(1, "kept", "body one");
        let (e2, _) = message(2, "gone", "");
        store.add_envelopes(inbox, &[e1.clone(), e2]).unwrap();
        store.add_bodies(inbox, &[b1]).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        store.build_index(&stop, &mut |_, _| {}).unwrap();
        assert_eq!(store.search("gone", 10).unwrap().len(), 1);

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
    fn accounts_no_longer_configured_are_forgotten_with_their_mail() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let (envelope, _) = message(1, "件名", "");
        store.add_envelopes(inbox, &[envelope]).unwrap();
        account_with_inbox(&mut store, "other@example.test");
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
            FolderRole::Sent.usual_name_rank("Sent")
                < FolderRole::Sent.usual_name_rank("Sent Items")
        );
        assert_eq!(FolderRole::Inbox.usual_name_rank("INBOX"), None);
    }
}
