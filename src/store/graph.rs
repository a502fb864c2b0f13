//! Folders read through Microsoft Graph (issue 27): the same folders, messages and stored messages
//! the IMAP engine fills, with what Graph needs besides. Graph names a message by an id, not a
//! UID; `graph_items` gives each (folder, Graph id) a local number that plays the UID's part in
//! `messages` and in the queue of local changes, so everything keyed by (folder, uid) serves both
//! protocols. A folder keeps the last committed link of its delta query: a killed sync resumes
//! from it.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::messages::delete_rows;
use super::{Store, StoreError, sqlite};

/// A folder as the Graph engine keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphFolderState {
    pub id: i64,
    pub name: String,
    /// The folder's Graph id.
    pub remote_id: Option<String>,
    /// The last committed `@odata.nextLink` (a round under way) or `@odata.deltaLink`.
    pub delta_link: Option<String>,
}

impl Store {
    pub fn graph_folder_states(
        &self,
        account_id: i64,
    ) -> Result<Vec<GraphFolderState>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT id, name, remote_id, delta_link FROM folders WHERE account_id = ?1",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map([account_id], |r| {
                Ok(GraphFolderState {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    remote_id: r.get(2)?,
                    delta_link: r.get(3)?,
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// Records a folder's Graph id. Its UIDVALIDITY is a constant 1: the local numbers never
    /// change meaning, and changes made here are queued against them.
    pub fn set_graph_folder(&self, folder_id: i64, remote_id: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE folders SET remote_id = ?2, uidvalidity = 1 WHERE id = ?1",
                params![folder_id, remote_id],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// Commits the folder's delta link (`None`: start over with a full listing).
    pub fn set_delta_link(&self, folder_id: i64, link: Option<&str>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE folders SET delta_link = ?2, envelopes_complete = ?3 WHERE id = ?1",
                params![
                    folder_id,
                    link,
                    link.is_some_and(|l| l.contains("deltatoken="))
                ],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// A full listing of the folder starts: every item known here counts as unseen until the
    /// listing names it again ([`Store::graph_uids`]); [`Store::end_graph_listing`] drops the rest.
    pub fn begin_graph_listing(&self, folder_id: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE graph_items SET listed = 0 WHERE folder_id = ?1",
                [folder_id],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    /// A full listing ended: items it did not name are gone from the folder.
    pub fn end_graph_listing(&mut self, folder_id: i64) -> Result<usize, StoreError> {
        let unseen: Vec<String> = self
            .conn
            .prepare("SELECT graph_id FROM graph_items WHERE folder_id = ?1 AND listed = 0")
            .and_then(|mut s| s.query_map([folder_id], |r| r.get(0))?.collect())
            .map_err(|e| self.error(e))?;
        self.graph_remove(folder_id, &unseen)
    }

    /// The local numbers of Graph items in a folder, assigned to the new ones (one transaction;
    /// numbers only grow, so one is never reused for another message). Marks them listed.
    pub fn graph_uids(
        &mut self,
        folder_id: i64,
        ids: &[String],
    ) -> Result<HashMap<String, u32>, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut out = HashMap::with_capacity(ids.len());
        {
            let mut find = tx
                .prepare_cached(
                    "SELECT uid FROM graph_items WHERE folder_id = ?1 AND graph_id = ?2",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut listed = tx
                .prepare_cached(
                    "UPDATE graph_items SET listed = 1 WHERE folder_id = ?1 AND graph_id = ?2",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO graph_items (folder_id, graph_id, uid) VALUES (?1, ?2,
                         MAX((SELECT COALESCE(MAX(uid), 0) FROM graph_items WHERE folder_id = ?1),
                             (SELECT COALESCE(uidnext, 1) - 1 FROM folders WHERE id = ?1)) + 1)",
                )
                .map_err(|e| sqlite(&path, e))?;
            for id in ids {
                let uid: Option<u32> = find
                    .query_row(params![folder_id, id], |r| r.get(0))
                    .optional()
                    .map_err(|e| sqlite(&path, e))?;
                let uid = match uid {
                    Some(uid) => {
                        listed
                            .execute(params![folder_id, id])
                            .map_err(|e| sqlite(&path, e))?;
                        uid
                    }
                    None => {
                        insert
                            .execute(params![folder_id, id])
                            .map_err(|e| sqlite(&path, e))?;
                        find.query_row(params![folder_id, id], |r| r.get(0))
                            .map_err(|e| sqlite(&path, e))?
                    }
                };
                out.insert(id.clone(), uid);
            }
            // The highest number handed out, so a number freed by a removal is never reused.
            tx.execute(
                "UPDATE folders SET uidnext = (SELECT COALESCE(MAX(uid), 0) + 1 FROM graph_items
                     WHERE folder_id = ?1) WHERE id = ?1 AND COALESCE(uidnext, 0) <=
                     (SELECT COALESCE(MAX(uid), 0) FROM graph_items WHERE folder_id = ?1)",
                [folder_id],
            )
            .map_err(|e| sqlite(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(out)
    }

    /// Removes Graph items from a folder (deleted there or moved out), with their memberships.
    pub fn graph_remove(&mut self, folder_id: i64, ids: &[String]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut rows = Vec::new();
        {
            let mut find = tx
                .prepare_cached(
                    "SELECT m.id FROM graph_items g JOIN messages m
                         ON m.folder_id = g.folder_id AND m.uid = g.uid
                     WHERE g.folder_id = ?1 AND g.graph_id = ?2",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut forget = tx
                .prepare_cached("DELETE FROM graph_items WHERE folder_id = ?1 AND graph_id = ?2")
                .map_err(|e| sqlite(&path, e))?;
            for id in ids {
                if let Some(row) = find
                    .query_row(params![folder_id, id], |r| r.get::<_, i64>(0))
                    .optional()
                    .map_err(|e| sqlite(&path, e))?
                {
                    rows.push(row);
                }
                forget
                    .execute(params![folder_id, id])
                    .map_err(|e| sqlite(&path, e))?;
            }
        }
        delete_rows(&tx, &rows).map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(rows.len())
    }

    /// The Graph id behind a local number of the account's folder `folder`.
    pub fn graph_id(
        &self,
        account_id: i64,
        folder: &str,
        uid: u32,
    ) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT g.graph_id FROM graph_items g JOIN folders f ON f.id = g.folder_id
                 WHERE f.account_id = ?1 AND f.name = ?2 AND g.uid = ?3",
                params![account_id, folder, uid],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// The Graph ids of a folder's messages whose body is still to be downloaded.
    pub fn graph_missing_bodies(
        &self,
        folder_id: i64,
        window: crate::store::BodyWindow,
    ) -> Result<Vec<(u32, String)>, StoreError> {
        let since = match window {
            crate::store::BodyWindow::All => i64::MIN,
            crate::store::BodyWindow::Days(days) => {
                crate::clock::now_seconds() as i64 - i64::from(days) * 86_400
            }
        };
        self.conn
            .prepare_cached(
                "SELECT g.uid, g.graph_id FROM graph_items g JOIN messages m
                     ON m.folder_id = g.folder_id AND m.uid = g.uid
                 WHERE g.folder_id = ?1 AND m.body_state = 0
                   AND COALESCE(m.date, m.internal_date, 0) >= ?2",
            )
            .and_then(|mut s| {
                s.query_map(rusqlite::params![folder_id, since], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect()
            })
            .map_err(|e| self.error(e))
    }

    /// The Graph id of the message `uid` of a folder read through Graph.
    pub fn graph_id_of(&self, folder_id: i64, uid: u32) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        self.conn
            .query_row(
                "SELECT graph_id FROM graph_items WHERE folder_id = ?1 AND uid = ?2",
                rusqlite::params![folder_id, uid],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// The account reads through IMAP again (the administrator turned IMAP back on for the
    /// mailbox): what only Graph needed goes — its item numbers, folder ids and delta links — and
    /// every folder that was read through Graph is listed afresh by IMAP, as after a new
    /// UIDVALIDITY. Its messages keep their stored bytes, flags and identities but lose their
    /// numbers; IMAP's header pass adopts each one it finds again by Message-ID
    /// ([`Store::add_envelopes`]), so nothing is downloaded again but the headers, and drops the
    /// rest ([`Store::drop_unmatched`]). Graph's "Inbox" is IMAP's INBOX. Nothing to do (and
    /// answers 0) for an account with no folder read through Graph; else answers how many.
    pub fn leave_graph(&mut self, account_id: i64) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let folders: Vec<i64> = tx
            .prepare_cached(
                "SELECT id FROM folders WHERE account_id = ?1 AND remote_id IS NOT NULL",
            )
            .and_then(|mut s| s.query_map([account_id], |r| r.get(0))?.collect())
            .map_err(|e| sqlite(&path, e))?;
        if folders.is_empty() {
            return Ok(0);
        }
        tx.execute(
            "UPDATE folders SET name = 'INBOX'
             WHERE account_id = ?1 AND remote_id IS NOT NULL AND role = 'inbox' AND name <> 'INBOX'
               AND NOT EXISTS (SELECT 1 FROM folders WHERE account_id = ?1 AND name = 'INBOX')",
            [account_id],
        )
        .map_err(|e| sqlite(&path, e))?;
        for folder in &folders {
            tx.execute("DELETE FROM graph_items WHERE folder_id = ?1", [folder])
                .map_err(|e| sqlite(&path, e))?;
            tx.execute(
                "UPDATE messages SET uid = NULL WHERE folder_id = ?1",
                [folder],
            )
            .map_err(|e| sqlite(&path, e))?;
            tx.execute(
                "UPDATE folders SET remote_id = NULL, delta_link = NULL, uidvalidity = NULL,
                     uidnext = NULL, highestmodseq = NULL, envelopes_complete = 0
                 WHERE id = ?1",
                [folder],
            )
            .map_err(|e| sqlite(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(folders.len())
    }

    /// The raw bytes of a message already stored under `identity` (a message moved between
    /// folders is not downloaded again), if its body is here.
    pub fn stored_raw(
        &self,
        account_id: i64,
        identity: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let found: Option<(Vec<u8>, i64)> = self
            .conn
            .query_row(
                "SELECT b.raw, b.format FROM stored_messages s JOIN bodies b ON b.stored_id = s.id
                 WHERE s.account_id = ?1 AND s.identity = ?2",
                params![account_id, identity],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        found
            .map(|(raw, format)| self.unpacked(raw, format))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::store::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn local_numbers_are_stable_and_never_reused() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let first = store.graph_uids(inbox, &ids(&["a", "b"])).unwrap();
        let again = store.graph_uids(inbox, &ids(&["b", "a"])).unwrap();
        assert_eq!(first, again, "an id keeps its number");
        assert_ne!(first["a"], first["b"]);
        store.graph_remove(inbox, &ids(&["b"])).unwrap();
        let c = store.graph_uids(inbox, &ids(&["c"])).unwrap()["c"];
        assert!(
            c > first["a"].max(first["b"]),
            "a removed item's number is not handed out again"
        );
    }

    #[test]
    fn a_message_moved_between_folders_is_found_by_its_identity() {
        let (_dir, mut store) = open();
        let (account, inbox, trash) = setup(&mut store);
        let uid = store.graph_uids(inbox, &ids(&["imm-1"])).unwrap()["imm-1"];
        let (mut envelope, mut body) = message(uid, "moved", "the text");
        envelope.server_identity = Some("graph:imm-1".into());
        body.uid = uid;
        let raw = body.raw.clone();
        store
            .add_envelopes(inbox, std::slice::from_ref(&envelope))
            .unwrap();
        store.add_bodies(inbox, &[body]).unwrap();
        // the source's @removed before the destination's new item
        assert_eq!(store.graph_remove(inbox, &ids(&["imm-1"])).unwrap(), 1);
        assert_eq!(
            store.stored_raw(account, "graph:imm-1").unwrap(),
            Some(raw),
            "the bytes stay until the pass ends"
        );
        let uid = store.graph_uids(trash, &ids(&["imm-1"])).unwrap()["imm-1"];
        store
            .add_envelopes(trash, &[NewEnvelope { uid, ..envelope }])
            .unwrap();
        assert!(
            store
                .graph_missing_bodies(trash, crate::store::BodyWindow::All)
                .unwrap()
                .is_empty(),
            "nothing to download again"
        );
        assert_eq!(store.drop_unreferenced(account).unwrap(), 0);
        assert_eq!(
            store.graph_id(account, "Trash", uid).unwrap().as_deref(),
            Some("imm-1")
        );
    }

    #[test]
    fn a_full_listing_drops_what_it_did_not_see_even_across_a_restart() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let uids = store.graph_uids(inbox, &ids(&["a", "b", "c"])).unwrap();
        let mut envelopes = Vec::new();
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            let (mut envelope, _) = message(uids[*id], &format!("m{i}"), "x");
            envelope.server_identity = Some(format!("graph:{id}"));
            envelopes.push(envelope);
        }
        store.add_envelopes(inbox, &envelopes).unwrap();
        store.set_delta_link(inbox, None).unwrap();
        store.begin_graph_listing(inbox).unwrap();
        store.graph_uids(inbox, &ids(&["a"])).unwrap();
        // killed here: the next pass goes on from the committed next link, sees "c", ends
        store.graph_uids(inbox, &ids(&["c"])).unwrap();
        assert_eq!(store.end_graph_listing(inbox).unwrap(), 1);
        let left: Vec<u32> = store.uids(inbox).unwrap();
        assert_eq!(left.len(), 2);
        assert!(!left.contains(&uids["b"]));
    }

    #[test]
    fn the_delta_link_is_kept_and_a_complete_round_marks_the_folder_complete() {
        let (_dir, mut store) = open();
        let (account, inbox, _) = setup(&mut store);
        store.set_graph_folder(inbox, "AQMk-inbox").unwrap();
        store
            .set_delta_link(inbox, Some("https://graph.microsoft.com/v1.0/me/mailFolders/x/messages/delta?$deltatoken=t"))
            .unwrap();
        let state = store
            .graph_folder_states(account)
            .unwrap()
            .into_iter()
            .find(|s| s.id == inbox)
            .unwrap();
        assert_eq!(state.remote_id.as_deref(), Some("AQMk-inbox"));
        assert!(state.delta_link.unwrap().contains("deltatoken=t"));
        assert!(
            store
                .folder_states(account)
                .unwrap()
                .iter()
                .any(|s| s.id == inbox && s.envelopes_complete && s.uidvalidity == Some(1))
        );
    }
}
