//! The folders of an account: the server's list with each folder's role (recorded in the store),
//! and bringing one folder up to date — its UIDVALIDITY checked (a new one voids every UID; messages
//! found again by Message-ID keep their bodies), flag changes and expunges applied, then the new
//! messages handed to the header and body pipeline (`fetch.rs`).

use std::collections::{BTreeSet, HashSet};

use super::{Engine, NEW_MAIL_DETAILS, RefusedFolder, Summary, SyncError, SyncEvent};
use crate::imap::Conn;
use crate::imap::mailbox::{ListedFolder, MailboxStatus, Selected};
use crate::redact::{SERVER_TEXT_CHARS, server_text};
use crate::store::{FolderRole, FolderState};

/// Folders looked at per round trip where the server cannot list their states
/// ([`Engine::unchanged_by_looking`]): a bounded pipeline, each answer a SELECT and one line per
/// message.
const LOOK_AHEAD: usize = 20;

impl Engine {
    /// Lists the server's folders and records them (new ones added, vanished ones dropped with their
    /// messages); returns the list and every folder's stored sync state.
    pub(super) async fn list_folders(
        &self,
        conn: &mut Conn,
    ) -> Result<(Vec<ListedFolder>, Vec<FolderState>), SyncError> {
        let server_folders = conn.list_folders().await?;
        let account_id = self.account_id;
        let listed: Vec<_> = server_folders
            .iter()
            .map(|f| (f.name.clone(), f.delimiter.clone(), f.role, f.selectable))
            .collect();
        let states = self
            .db(move |store| {
                store.set_folder_list(account_id, &listed)?;
                store.folder_states(account_id)
            })
            .await?;
        Ok((server_folders, states))
    }

    /// Whether LIST-STATUS shows that nothing changed since the folder was last complete.
    pub(super) async fn unchanged(
        &self,
        state: &FolderState,
        status: Option<&MailboxStatus>,
    ) -> Result<bool, SyncError> {
        let Some(status) = status else {
            return Ok(false);
        };
        let same = state.envelopes_complete
            && status.uidvalidity.is_some()
            && state.uidvalidity == status.uidvalidity
            && state.uidnext == status.uidnext
            // Without HIGHESTMODSEQ a flag change elsewhere is invisible here: always look.
            && status.highestmodseq.is_some()
            && state.highestmodseq == status.highestmodseq;
        if !same {
            return Ok(false);
        }
        let folder_id = state.id;
        let window = self.options.bodies;
        let missing = self
            .db(move |store| store.missing_bodies(folder_id, window))
            .await?;
        Ok(missing.is_empty())
    }

    /// The folders (their store ids) a server without CONDSTORE shows unchanged since the last
    /// complete pass: the same UIDVALIDITY and UIDNEXT, the same UIDs with the same flags as
    /// stored, no body missing. Such a server (Exchange Online) cannot say so in one LIST as
    /// LIST-STATUS does, so each folder's SELECT and `UID FETCH 1:* (UID FLAGS)` go out pipelined,
    /// [`LOOK_AHEAD`] folders per round trip ([`Conn::look_at_folders`]). Only what this
    /// comparison cannot clear is synced one folder at a time; nothing is written here.
    pub(super) async fn unchanged_by_looking(
        &self,
        conn: &mut Conn,
        folders: &[&ListedFolder],
        states: &[FolderState],
    ) -> Result<HashSet<i64>, SyncError> {
        let mut unchanged = HashSet::new();
        if conn.has_condstore() {
            return Ok(unchanged);
        }
        // Folders completely listed before, whose LIST gave no state to compare.
        let candidates: Vec<&FolderState> = folders
            .iter()
            .filter(|f| f.status.is_none())
            .filter_map(|f| states.iter().find(|s| s.name == f.name))
            .filter(|s| s.envelopes_complete && s.uidvalidity.is_some() && s.uidnext.is_some())
            .collect();
        for group in candidates.chunks(LOOK_AHEAD) {
            let names: Vec<&str> = group.iter().map(|s| s.name.as_str()).collect();
            let looks = conn.look_at_folders(&names).await?;
            let mut compare = Vec::new();
            for (state, look) in group.iter().zip(looks) {
                // A refusal here is told by the folder's own sync below, as before.
                let Ok(look) = look else { continue };
                if look.selected.uidvalidity == state.uidvalidity
                    && look.selected.uidnext == state.uidnext
                {
                    compare.push((state.id, look.on_server, look.flags));
                }
            }
            let window = self.options.bodies;
            let same = self
                .db(move |store| {
                    let mut same = Vec::new();
                    for (folder_id, on_server, flags) in compare {
                        let stored = store.flags_by_uid(folder_id)?;
                        let matches = stored.len() == on_server.len()
                            && on_server.iter().all(|uid| stored.contains_key(uid))
                            && flags
                                .iter()
                                .all(|(uid, flags, _)| stored.get(uid) == Some(&flags.bits()))
                            && store.missing_bodies(folder_id, window)?.is_empty();
                        if matches {
                            same.push(folder_id);
                        }
                    }
                    Ok(same)
                })
                .await?;
            unchanged.extend(same);
        }
        Ok(unchanged)
    }

    /// Selects the folder, asking QRESYNC for the changes since the last complete pass where the
    /// stored state allows it.
    pub(super) async fn select(
        &self,
        conn: &mut Conn,
        state: &FolderState,
    ) -> Result<Selected, SyncError> {
        let known = match (
            state.uidvalidity,
            state.highestmodseq,
            state.envelopes_complete,
        ) {
            (Some(uidvalidity), Some(modseq), true) => Some((uidvalidity, modseq)),
            _ => None,
        };
        Ok(conn.select(&state.name, known).await?)
    }

    /// A UIDVALIDITY other than the stored one voids every UID known here: the rows lose their UIDs
    /// (keeping their bodies and local state) and the folder is listed again from scratch; the
    /// header pass then adopts the rows it finds again by Message-ID (`Store::add_envelopes`) and
    /// drops the rest (`Store::drop_unmatched`).
    async fn adopt_uidvalidity(
        &self,
        state: &mut FolderState,
        uidvalidity: u32,
    ) -> Result<(), SyncError> {
        let Some(known) = state.uidvalidity else {
            return Ok(());
        };
        if known == uidvalidity {
            return Ok(());
        }
        let folder_id = state.id;
        tracing::warn!(folder = %state.name, known, now = uidvalidity, "UIDVALIDITY changed; re-listing the folder");
        self.db(move |store| store.forget_uids(folder_id)).await?;
        state.uidvalidity = None;
        state.uidnext = None;
        state.highestmodseq = None;
        state.envelopes_complete = false;
        Ok(())
    }

    /// Brings one folder up to date.
    pub(super) async fn sync_folder(
        &self,
        conn: &mut Conn,
        mut state: FolderState,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let name = state.name.clone();
        self.emit(SyncEvent::FolderStarted {
            folder: name.clone(),
        });
        let folder_id = state.id;
        let selected = match self.select(conn, &state).await {
            // A refusal leaves the connection in step and no folder selected: the other
            // folders go on (RFC 3501 6.3.1).
            Err(SyncError::Refused { reason, .. }) if !conn.is_broken() => {
                tracing::warn!(folder = %name, %reason, "the server refused to open the folder");
                summary.refused_folders.push(RefusedFolder {
                    folder: name,
                    reason: server_text(&reason, SERVER_TEXT_CHARS),
                });
                return Ok(());
            }
            selected => selected?,
        };
        let Some(uidvalidity) = selected.uidvalidity else {
            return Err(SyncError::Refused {
                host: conn.host().to_owned(),
                reason: format!("no UIDVALIDITY for {name}"),
            });
        };
        self.adopt_uidvalidity(&mut state, uidvalidity).await?;
        let condstore = conn.has_condstore();
        let mut local: BTreeSet<u32> = self
            .db(move |store| store.uids(folder_id))
            .await?
            .into_iter()
            .collect();

        // --- changes to messages already here
        let mut flag_changes = selected.changed;
        let mut vanished: Vec<u32> = local
            .iter()
            .copied()
            .filter(|uid| selected.vanished.iter().any(|r| r.contains(uid)))
            .collect();
        let qresync_used = conn.has("QRESYNC")
            && state.envelopes_complete
            && state.highestmodseq.is_some()
            && state.uidvalidity.is_some();
        if !qresync_used && !local.is_empty() {
            let top = *local.last().expect("not empty");
            if condstore
                && state.envelopes_complete
                && let Some(since) = state.highestmodseq
            {
                if selected.highestmodseq != Some(since) {
                    flag_changes.extend(conn.flags_changed_since(top, since).await?);
                    let on_server = conn.uid_search(&format!("UID 1:{top}")).await?;
                    vanished.extend(local.iter().filter(|uid| !on_server.contains(uid)));
                }
            } else {
                // No CONDSTORE (or an interrupted first sync): compare every UID and its flags.
                let (on_server, flags) = conn.all_flags(top).await?;
                flag_changes.extend(flags);
                vanished.extend(local.iter().filter(|uid| !on_server.contains(uid)));
            }
        }
        vanished.sort_unstable();
        vanished.dedup();
        if !flag_changes.is_empty() || !vanished.is_empty() {
            let (changes, gone) = (flag_changes, vanished.clone());
            let (changed, removed) = self
                .db(move |store| {
                    Ok((
                        store.set_flags(folder_id, &changes)?,
                        store.remove_uids(folder_id, &gone)?,
                    ))
                })
                .await?;
            summary.flag_changes += changed;
            summary.removed += removed;
            for uid in &vanished {
                local.remove(uid);
            }
        }

        // --- new messages: headers first, newest first
        let missing: Vec<u32> = if state.envelopes_complete
            && let Some(uidnext) = state.uidnext
        {
            if selected.uidnext.is_some_and(|next| next <= uidnext) {
                Vec::new()
            } else {
                // New UIDs are above the old UIDNEXT; `n:*` also returns the top message when
                // nothing is new, which the filter drops.
                conn.uid_search(&format!("UID {uidnext}:*"))
                    .await?
                    .into_iter()
                    .filter(|uid| *uid >= uidnext && !local.contains(uid))
                    .collect()
            }
        } else if selected.exists == 0 {
            Vec::new()
        } else {
            conn.uid_search("ALL")
                .await?
                .into_iter()
                .filter(|uid| !local.contains(uid))
                .collect()
        };
        let fetched_range = missing
            .iter()
            .copied()
            .min()
            .zip(missing.iter().copied().max());
        let new = self
            .fetch_envelopes(conn, &name, folder_id, missing, &mut summary.skipped)
            .await?;
        summary.new_messages += new;
        if new > 0
            && state.envelopes_complete
            && let Some((first, last)) = fetched_range
        {
            let (unread, newest) = self
                .db(move |store| {
                    store.unread_in_uid_range(folder_id, first, last, NEW_MAIL_DETAILS)
                })
                .await?;
            self.emit(SyncEvent::NewMail {
                folder: name.clone(),
                count: new,
                inbox: state.role == Some(FolderRole::Inbox),
                unread,
                newest,
            });
        }
        // Everything below UIDNEXT is here now: record it, with HIGHESTMODSEQ, in one statement.
        let (uidnext, modseq) = (selected.uidnext, selected.highestmodseq);
        let account_id = self.account_id;
        let folder_name = name.clone();
        self.db(move |store| {
            store.set_folder_state(folder_id, uidvalidity, uidnext, modseq, true)?;
            let pending = store.pending_moves_into(account_id, &folder_name)?;
            store.drop_unmatched(folder_id, pending)
        })
        .await?;

        // --- bodies, newest first
        let (count, bytes) = self
            .fetch_bodies(conn, &name, folder_id, &mut summary.skipped)
            .await?;
        summary.bodies += count;
        summary.body_bytes += bytes;
        self.emit(SyncEvent::FolderDone { folder: name });
        Ok(())
    }

    /// The stored state of the account's inbox, once the folder list is known.
    pub(super) async fn inbox_state(&self) -> Result<Option<FolderState>, SyncError> {
        let account_id = self.account_id;
        Ok(self
            .db(move |store| store.folder_states(account_id))
            .await?
            .into_iter()
            .find(|s| s.role == Some(FolderRole::Inbox)))
    }
}
