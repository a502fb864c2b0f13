//! Reading through Microsoft Graph where Exchange Online has IMAP switched off for the mailbox, or
//! the administrator's policy pins `transport = "graph"` (issue 27). It fills the same store the
//! IMAP engine fills — folders with their roles, one stored message per message, folder
//! memberships, read and flagged states — so the window, search and the CLI need not know which
//! protocol brought the mail.
//!
//! One pass ([`Engine::sync_once`] with a [`Graph`]):
//! 1. replay the changes made here (read, flagged, moved, deleted), oldest first, as `PATCH`,
//!    `move` and `DELETE` on the message's immutable id;
//! 2. list the folders (`/mailFolders`, their `childFolders`) and learn the roles from Graph's
//!    well-known names (`inbox`, `sentitems`, `drafts`, `deleteditems`, `archive`, `junkemail`);
//! 3. per folder, follow its delta query page by page (`@odata.nextLink`, bounded pages) to its
//!    `@odata.deltaLink`; a new message's MIME comes from `/messages/{id}/$value`, byte for byte.
//!
//! **Identity.** A message is stored under `graph:<immutable id>`: with `Prefer:
//! IdType="ImmutableId"` Exchange keeps one id for an item for its whole life in the mailbox, moves
//! between folders included, so a message moved on the server (an `@removed` in one folder's delta,
//! a new item in another's) finds its stored bytes again and is not downloaded twice. The
//! internetMessageId is not unique enough (copies, resends, a stranger reusing one) and a default
//! (REST) id changes with every move. Nothing IMAP-specific is in it; an account that later reads
//! through IMAP again stores its messages under IMAP's identities.
//!
//! **Crash safety.** Per page, the messages are committed first (envelope, then bytes), then their
//! flags and removals, and only then the page's link — the next page's, or at the end the delta
//! link. Killed anywhere, the next pass asks again for the last committed link: Graph serves the
//! same page again, a message already stored is recognised by its id and only its state is
//! applied, and a message whose bytes did not make it is fetched by the missing-bodies step.
//! Nothing is lost and nothing is stored twice. A full listing started over (a first sync, or a
//! delta link Graph no longer knows, `410`) marks what it has not seen yet and drops that at its
//! end.
//!
//! Throttling (`429` with `Retry-After`) is obeyed by [`crate::graph`]'s request loop.

use std::collections::HashMap;

use futures::StreamExt;

use super::{Engine, Summary, SyncError, SyncEvent};
use crate::graph::{DeltaItem, Graph, GraphError};
use crate::store::{
    ActionKind, Flags, FolderRole, GraphFolderState, NewBody, NewEnvelope, QueuedAction,
};

/// Graph's well-known folder names and the roles they give.
const WELL_KNOWN: [(&str, FolderRole); 6] = [
    ("inbox", FolderRole::Inbox),
    ("drafts", FolderRole::Drafts),
    ("sentitems", FolderRole::Sent),
    ("deleteditems", FolderRole::Trash),
    ("junkemail", FolderRole::Junk),
    ("archive", FolderRole::Archive),
];
/// Messages downloaded before they are committed, in bytes (a page's messages are committed in
/// batches no larger, so memory stays bounded whatever the page holds).
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Messages downloaded at once. Microsoft Graph allows an app four concurrent requests per
/// mailbox and answers a fifth `429` ("MailboxConcurrency"); one is left for what the person does
/// meanwhile (opening a message outside the body window, sending through the outbox), so that
/// never waits out a `Retry-After` behind the sync.
const CONCURRENT_FETCHES: usize = 3;
/// Times a folder's listing is started over within one pass after Graph forgot its delta state.
const MAX_RESTARTS: usize = 2;

/// What [`Engine::graph_fetch_new`] found for a message new in a folder.
enum NewBytes {
    /// Stored already (moved here on the server): nothing downloaded.
    Stored(Vec<u8>),
    /// Outside the body window: its header only, and the message's size where Exchange gave it.
    Header(Vec<u8>, Option<u32>),
    /// Its MIME, downloaded.
    Downloaded(Vec<u8>),
    /// Deleted on the server meanwhile.
    Gone,
}

/// The stored identity of a Graph message (see the module's notes).
pub fn graph_identity(immutable_id: &str) -> String {
    format!("graph:{immutable_id}")
}

/// The header block of a raw message (up to the blank line), for the envelope.
fn header_of(raw: &[u8]) -> &[u8] {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let end = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => raw.len(),
    };
    &raw[..end]
}

/// The flag bits Graph reports, over those only kept here (answered, deleted).
fn merged_flags(local: i64, is_read: bool, flagged: bool, draft: bool) -> Flags {
    let mut flags = Flags::from_bits(local);
    flags.seen = is_read;
    flags.flagged = flagged;
    flags.draft = draft;
    flags
}

/// Entra's codes for a permission nobody consented to (the token for Graph's scopes is refused).
const NO_CONSENT: [&str; 3] = ["AADSTS65001", "AADSTS90094", "AADSTS65004"];

/// Exchange Online's refusal of IMAP for a mailbox that has IMAP turned off (`ImapEnabled` false),
/// in the server's words, if `error` is one ([`crate::imap::exchange_imap_off`]).
pub fn imap_turned_off(error: &SyncError) -> Option<String> {
    use crate::imap::ImapError;
    let reason = match error {
        SyncError::SignIn(ImapError::Refused { reason, .. })
            if crate::imap::exchange_imap_off(reason) =>
        {
            reason
        }
        SyncError::Refused { reason, .. } | SyncError::Misbehaved { reason, .. }
            if crate::imap::not_connected(reason) =>
        {
            reason
        }
        _ => return None,
    };
    Some(crate::redact::server_text(
        reason,
        crate::redact::SERVER_TEXT_CHARS,
    ))
}

#[cfg(test)]
mod imap_off_tests {
    use super::*;
    use crate::imap::ImapError;

    #[test]
    fn exchanges_imap_off_refusals_are_recognised_and_nothing_else() {
        let refused = |reason: &str| {
            SyncError::SignIn(ImapError::Refused {
                reason: reason.into(),
                advice: None,
            })
        };
        assert!(imap_turned_off(&refused("AUTHENTICATE failed.")).is_some());
        assert!(imap_turned_off(&refused("LOGIN failed.")).is_some());
        assert!(
            imap_turned_off(&SyncError::Refused {
                host: "outlook.office365.com".into(),
                reason: "Bad Response: User is authenticated but not connected.".into()
            })
            .is_some()
        );
        // Dovecot's refusal of a bad token, and other refusals, are not "IMAP is off"
        assert!(
            imap_turned_off(&refused("[AUTHENTICATIONFAILED] Authentication failed.")).is_none()
        );
        assert!(
            imap_turned_off(&refused(
                "AUTHENTICATE failed: basic authentication is disabled"
            ))
            .is_none()
        );
        assert!(
            imap_turned_off(&SyncError::Connection {
                host: "h".into(),
                reason: "AUTHENTICATE failed".into()
            })
            .is_none()
        );
    }
}

impl Engine {
    /// After IMAP failed with `error`: where that is Exchange Online refusing IMAP for the mailbox
    /// ([`imap_turned_off`]) and Microsoft Graph reads it with the same sign-in, the account reads
    /// through Graph from now on (told by [`SyncEvent::ReadingThroughGraph`]). Where Graph is not
    /// permitted yet, the error says both and carries the admin-consent link with Graph's scopes;
    /// otherwise `error` stands.
    pub(super) async fn turn_to_graph_if_imap_off(
        &self,
        error: SyncError,
    ) -> Result<&Graph, SyncError> {
        let (Some(graph), Some(because)) =
            (self.graph_if_imap_off.as_ref(), imap_turned_off(&error))
        else {
            return Err(error);
        };
        tracing::info!(%because, "Exchange Online refused IMAP for the mailbox; trying Microsoft Graph with the same sign-in");
        match graph.well_known("inbox").await {
            Ok(_) => {
                self.imap_off
                    .store(true, std::sync::atomic::Ordering::Release);
                tracing::info!("IMAP is off for the mailbox; reading through Microsoft Graph");
                self.emit(SyncEvent::ReadingThroughGraph { because });
                Ok(graph)
            }
            Err(graph_error) => match self.graph_error(graph_error) {
                SyncError::GraphReadDenied {
                    code,
                    message,
                    consent_url,
                } => Err(SyncError::ImapOffGraphDenied {
                    because,
                    code,
                    message,
                    consent_url,
                }),
                transient if transient.is_transient() => Err(transient),
                other => {
                    tracing::info!(error = %other, "Microsoft Graph did not read the mailbox either");
                    Err(error)
                }
            },
        }
    }

    /// For an account read through Graph because IMAP was off for its mailbox: once its check is
    /// due (a day after the last one, [`crate::account::imap_check_at`]), one IMAP sign-in asks
    /// whether the administrator turned IMAP on again. Refused (or failing otherwise), the account
    /// goes on through Graph and asks again a day later. Accepted, the changes made here are sent
    /// the way they were made (through Graph) and the account reads through IMAP from this pass
    /// on (told by [`SyncEvent::ReadingThroughImapAgain`]); the store is kept
    /// ([`crate::store::Store::leave_graph`]). Answers IMAP's connection then.
    pub(super) async fn imap_on_again(
        &self,
        graph: &Graph,
    ) -> Result<Option<crate::imap::Conn>, SyncError> {
        let now = crate::account::now_seconds();
        {
            let mut at = self.imap_check_at.lock().unwrap_or_else(|p| p.into_inner());
            match *at {
                Some(due) if now >= due => {
                    *at = Some(now + crate::account::IMAP_CHECK_INTERVAL);
                }
                _ => return Ok(None),
            }
        }
        self.emit(SyncEvent::ImapChecked);
        let conn = match self.connect().await {
            Ok(conn) => conn,
            Err(error) => {
                match imap_turned_off(&error) {
                    Some(because) => {
                        tracing::info!(%because, "IMAP is still off for the mailbox; reading through Microsoft Graph")
                    }
                    None => {
                        tracing::info!(%error, "IMAP could not be checked; reading through Microsoft Graph")
                    }
                }
                return Ok(None);
            }
        };
        tracing::info!("IMAP is on again for the mailbox; reading through IMAP again");
        if let Err(error) = self.graph_replay(graph).await {
            // asked again at the next pass
            *self.imap_check_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(0);
            return Err(error);
        }
        self.imap_off
            .store(false, std::sync::atomic::Ordering::Release);
        *self.imap_check_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.emit(SyncEvent::ReadingThroughImapAgain);
        Ok(Some(conn))
    }

    /// A Graph refusal in the words that say what to do next: a permission not granted (Graph's
    /// `403 ErrorAccessDenied`, or Entra refusing the token for want of consent) names the
    /// permission and carries the admin-consent link with Graph's scopes.
    fn graph_error(&self, error: GraphError) -> SyncError {
        let consent_url = || {
            let mut scopes: Vec<&str> = crate::graph::READ_SCOPES.to_vec();
            scopes.extend(crate::graph::SEND_SCOPES);
            self.account.oauth_client().and_then(|client| {
                crate::auth::consent::admin_consent_url_with(&client, &self.account.email, &scopes)
            })
        };
        match error {
            GraphError::Denied { code, message } => SyncError::GraphReadDenied {
                code,
                message,
                consent_url: consent_url(),
            },
            GraphError::Auth(auth)
                if NO_CONSENT
                    .iter()
                    .any(|code| auth.to_string().contains(code)) =>
            {
                let text = auth.to_string();
                let code = NO_CONSENT
                    .iter()
                    .find(|c| text.contains(**c))
                    .map(|c| (*c).to_owned())
                    .unwrap_or_default();
                SyncError::GraphReadDenied {
                    code,
                    message: crate::redact::server_text(&text, crate::redact::SERVER_TEXT_CHARS),
                    consent_url: consent_url(),
                }
            }
            other => SyncError::Graph(other),
        }
    }

    /// One complete pass through Microsoft Graph.
    pub(super) async fn graph_sync_once(&self, graph: &Graph) -> Result<Summary, SyncError> {
        self.emit(SyncEvent::Connecting);
        let mut summary = Summary {
            actions_replayed: self.graph_replay(graph).await?,
            ..Summary::default()
        };
        let folders = graph.folders().await.map_err(|e| self.graph_error(e))?;
        self.emit(SyncEvent::Connected);
        let mut roles: HashMap<String, FolderRole> = HashMap::new();
        for (name, role) in WELL_KNOWN {
            if let Some(id) = graph
                .well_known(name)
                .await
                .map_err(|e| self.graph_error(e))?
            {
                roles.insert(id, role);
            }
        }
        let list: Vec<(String, Option<String>, Option<FolderRole>, bool)> = folders
            .iter()
            .map(|f| {
                (
                    f.path.clone(),
                    Some("/".to_owned()),
                    roles.get(&f.id).copied(),
                    true,
                )
            })
            .collect();
        let account_id = self.account_id;
        let remote: Vec<(String, String)> = folders
            .iter()
            .map(|f| (f.path.clone(), f.id.clone()))
            .collect();
        let states = self
            .db(move |store| {
                store.set_folder_list(account_id, &list)?;
                let states = store.folder_states(account_id)?;
                for (path, id) in &remote {
                    if let Some(state) = states.iter().find(|s| &s.name == path) {
                        store.set_graph_folder(state.id, id)?;
                    }
                }
                store.graph_folder_states(account_id)
            })
            .await?;
        summary.folders = states.len();
        let mut order: Vec<GraphFolderState> = states;
        order.sort_by_key(|s| {
            let role = folders
                .iter()
                .find(|f| f.path == s.name)
                .and_then(|f| roles.get(&f.id).copied());
            (role.is_none(), role, s.name.to_lowercase())
        });
        for state in order {
            if state.remote_id.is_none() {
                continue;
            }
            summary.folders_checked += 1;
            self.graph_sync_folder(graph, state, &mut summary).await?;
        }
        self.db(move |store| store.drop_unreferenced(account_id))
            .await?;
        self.emit(SyncEvent::Finished(summary.clone()));
        Ok(summary)
    }

    async fn graph_sync_folder(
        &self,
        graph: &Graph,
        state: GraphFolderState,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let folder_id = state.id;
        let remote = state.remote_id.clone().unwrap_or_default();
        self.emit(SyncEvent::FolderStarted {
            folder: state.name.clone(),
        });
        let mut link = match state.delta_link {
            Some(link) => link,
            None => {
                self.db(move |store| store.begin_graph_listing(folder_id))
                    .await?;
                graph.delta_start(&remote)
            }
        };
        let mut restarts = 0;
        loop {
            let page = match graph.delta_page(&link).await {
                Ok(page) => page,
                Err(GraphError::SyncStateGone) if restarts < MAX_RESTARTS => {
                    restarts += 1;
                    tracing::info!(
                        "Microsoft Graph no longer knows the folder's delta state; listing it anew"
                    );
                    self.db(move |store| {
                        store.begin_graph_listing(folder_id)?;
                        store.set_delta_link(folder_id, None)
                    })
                    .await?;
                    link = graph.delta_start(&remote);
                    continue;
                }
                Err(error) => return Err(self.graph_error(error)),
            };
            self.graph_apply_page(graph, folder_id, &state.name, &page.items, summary)
                .await?;
            let done = page.delta_link.is_some();
            let next = page.next_link.or(page.delta_link).unwrap_or_default();
            let committed = next.clone();
            self.db(move |store| store.set_delta_link(folder_id, Some(&committed)))
                .await?;
            if done {
                summary.removed += self
                    .db(move |store| store.end_graph_listing(folder_id))
                    .await?;
                break;
            }
            link = next;
        }
        self.graph_missing_bodies(graph, folder_id, summary).await?;
        self.emit(SyncEvent::FolderDone {
            folder: state.name.clone(),
        });
        Ok(())
    }

    /// Applies one delta page: new messages stored (their bytes downloaded unless a message moved
    /// here is stored already), states of known ones, removals.
    async fn graph_apply_page(
        &self,
        graph: &Graph,
        folder_id: i64,
        folder: &str,
        items: &[DeltaItem],
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let changed: Vec<(String, bool, bool, bool, Option<i64>)> = items
            .iter()
            .filter_map(|item| match item {
                DeltaItem::Changed {
                    id,
                    is_read,
                    flagged,
                    draft,
                    dated,
                } => Some((id.clone(), *is_read, *flagged, *draft, *dated)),
                DeltaItem::Removed { .. } => None,
            })
            .collect();
        // Older mail comes as headers only, as the IMAP engine keeps it (`body_days`); opening
        // such a message fetches it ([`Engine::fetch_body_now`]).
        let bodies_since = match self.options.bodies {
            crate::store::BodyWindow::All => None,
            crate::store::BodyWindow::Days(days) => {
                Some(crate::account::now_seconds() as i64 - i64::from(days) * 86_400)
            }
        };
        let removed: Vec<String> = items
            .iter()
            .filter_map(|item| match item {
                DeltaItem::Removed { id } => Some(id.clone()),
                DeltaItem::Changed { .. } => None,
            })
            .collect();
        let ids: Vec<String> = changed.iter().map(|c| c.0.clone()).collect();
        let (uids, known) = self
            .db(move |store| {
                let uids = store.graph_uids(folder_id, &ids)?;
                let known = store.flags_by_uid(folder_id)?;
                Ok((uids, known))
            })
            .await?;
        // Known messages: only their state. New ones: their bytes, fetched a few at a time.
        let mut flag_changes = Vec::new();
        let mut new_items = Vec::new();
        for (id, is_read, flagged, draft, dated) in &changed {
            let Some(&uid) = uids.get(id) else { continue };
            if let Some(&bits) = known.get(&uid) {
                let flags = merged_flags(bits, *is_read, *flagged, *draft);
                if flags.bits() != bits {
                    flag_changes.push((uid, flags, None));
                }
                continue;
            }
            let header_only = bodies_since.is_some_and(|since| dated.is_some_and(|d| d < since));
            new_items.push((
                uid,
                id.clone(),
                merged_flags(0, *is_read, *flagged, *draft),
                header_only,
            ));
        }
        // In page order, at most CONCURRENT_FETCHES requests in flight: the messages come out of
        // the stream in the order they went in, so a batch commits a prefix of the page.
        let mut fetched = futures::stream::iter(new_items)
            .map(|(uid, id, flags, header_only)| async move {
                let identity = graph_identity(&id);
                let fetched = self
                    .graph_fetch_new(graph, &id, &identity, header_only)
                    .await?;
                Ok::<_, SyncError>((uid, flags, identity, fetched))
            })
            .buffered(CONCURRENT_FETCHES);
        let mut envelopes = Vec::new();
        let mut bodies = Vec::new();
        let mut batch = 0usize;
        let mut new_here = 0usize;
        while let Some(next) = fetched.next().await {
            let (uid, flags, identity, fetched) = next?;
            let (raw, download, size) = match fetched {
                NewBytes::Stored(raw) => (raw, false, None),
                NewBytes::Header(raw, size) => (raw, false, size),
                NewBytes::Downloaded(raw) => (raw, true, None),
                // Gone meanwhile: its removal comes with a later page or round.
                NewBytes::Gone => continue,
            };
            envelopes.push(NewEnvelope {
                uid,
                flags,
                keywords: Vec::new(),
                modseq: None,
                internal_date: None,
                // A header alone is not the message's size: Exchange's own is, where it gave one.
                size: size.unwrap_or_else(|| u32::try_from(raw.len()).unwrap_or(u32::MAX)),
                header: header_of(&raw).to_vec(),
                server_identity: Some(identity),
            });
            new_here += 1;
            if download {
                summary.bodies += 1;
                summary.body_bytes += raw.len() as u64;
                batch += raw.len();
                bodies.push(NewBody { uid, raw });
            }
            if batch >= BATCH_BYTES {
                self.graph_store(
                    folder_id,
                    std::mem::take(&mut envelopes),
                    std::mem::take(&mut bodies),
                )
                .await?;
                batch = 0;
            }
        }
        drop(fetched);
        self.graph_store(folder_id, envelopes, bodies).await?;
        summary.new_messages += new_here;
        if new_here > 0 {
            self.emit(SyncEvent::Envelopes {
                folder: folder.to_owned(),
                done: new_here,
                total: new_here,
            });
        }
        let (flagged, gone) = self
            .db(move |store| {
                let flagged = store.set_flags(folder_id, &flag_changes)?;
                let gone = store.graph_remove(folder_id, &removed)?;
                Ok((flagged, gone))
            })
            .await?;
        summary.flag_changes += flagged;
        summary.removed += gone;
        Ok(())
    }

    /// The bytes of a message new in a folder: the stored ones where the message is stored
    /// already (moved here on the server), its header alone outside the body window, else its
    /// MIME from `$value`.
    async fn graph_fetch_new(
        &self,
        graph: &Graph,
        id: &str,
        identity: &str,
        header_only: bool,
    ) -> Result<NewBytes, SyncError> {
        let account_id = self.account_id;
        let lookup = identity.to_owned();
        if let Some(raw) = self
            .db(move |store| store.stored_raw(account_id, &lookup))
            .await?
        {
            return Ok(NewBytes::Stored(raw));
        }
        let answer = if header_only {
            graph
                .header(id)
                .await
                .map(|(header, size)| NewBytes::Header(header, size))
        } else {
            graph.mime(id).await.map(NewBytes::Downloaded)
        };
        match answer {
            Ok(bytes) => Ok(bytes),
            Err(GraphError::NotFound) => Ok(NewBytes::Gone),
            Err(error) => Err(self.graph_error(error)),
        }
    }

    /// Commits messages: envelopes first, then their bytes.
    async fn graph_store(
        &self,
        folder_id: i64,
        envelopes: Vec<NewEnvelope>,
        bodies: Vec<NewBody>,
    ) -> Result<(), SyncError> {
        if envelopes.is_empty() {
            return Ok(());
        }
        self.db(move |store| {
            store.add_envelopes(folder_id, &envelopes)?;
            if !bodies.is_empty() {
                store.add_bodies(folder_id, &bodies)?;
            }
            Ok(())
        })
        .await
    }

    /// Downloads the bytes of messages whose envelope was committed without them (a sync killed
    /// between the two).
    async fn graph_missing_bodies(
        &self,
        graph: &Graph,
        folder_id: i64,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let window = self.options.bodies;
        let missing = self
            .db(move |store| store.graph_missing_bodies(folder_id, window))
            .await?;
        let mut fetched = futures::stream::iter(missing)
            .map(|(uid, id)| async move { (uid, graph.mime(&id).await) })
            .buffered(CONCURRENT_FETCHES);
        while let Some((uid, answer)) = fetched.next().await {
            let raw = match answer {
                Ok(raw) => raw,
                Err(GraphError::NotFound) => continue,
                Err(error) => return Err(self.graph_error(error)),
            };
            summary.bodies += 1;
            summary.body_bytes += raw.len() as u64;
            self.db(move |store| store.add_bodies(folder_id, &[NewBody { uid, raw }]))
                .await?;
        }
        Ok(())
    }

    /// [`Engine::fetch_body_now`] for an account read through Graph: the message's MIME from
    /// `$value`, stored.
    pub(super) async fn graph_fetch_body_now(
        &self,
        graph: &Graph,
        message_id: i64,
    ) -> Result<(), SyncError> {
        let found = self
            .db(move |store| {
                let summary = store
                    .message(message_id)?
                    .ok_or(crate::store::StoreError::NoSuchMessage(message_id))?;
                let Some(uid) = summary.uid else {
                    return Ok(None);
                };
                Ok(store
                    .graph_id_of(summary.folder_id, uid)?
                    .map(|id| (summary.folder_id, uid, id)))
            })
            .await?;
        let Some((folder_id, uid, id)) = found else {
            return Err(SyncError::Gone);
        };
        let raw = match graph.mime(&id).await {
            Ok(raw) => raw,
            Err(GraphError::NotFound) => return Err(SyncError::Gone),
            Err(error) => return Err(self.graph_error(error)),
        };
        self.db(move |store| store.add_bodies(folder_id, &[NewBody { uid, raw }]))
            .await?;
        Ok(())
    }

    /// Sends the changes made here, oldest first (the IMAP engine's queue, replayed on Graph).
    async fn graph_replay(&self, graph: &Graph) -> Result<usize, SyncError> {
        let account_id = self.account_id;
        let actions = self
            .db(move |store| store.queued_actions(account_id))
            .await?;
        if actions.is_empty() {
            return Ok(0);
        }
        let mut replayed = 0;
        for action in actions {
            match self.graph_replay_one(graph, &action).await {
                Ok(()) => replayed += 1,
                Err(SyncError::Gone) | Err(SyncError::Graph(GraphError::NotFound)) => {
                    tracing::info!(
                        action = action.id,
                        "a queued change's message is gone; dropping it"
                    );
                }
                Err(error) if !error.is_transient() && !error.needs_sign_in() => {
                    if matches!(error, SyncError::GraphReadDenied { .. }) {
                        return Err(error);
                    }
                    tracing::warn!(action = action.id, %error, "Microsoft Graph refused a queued change; dropping it");
                }
                Err(error) => {
                    let text = error.to_string();
                    let id = action.id;
                    self.db(move |store| store.action_failed(id, &text)).await?;
                    return Err(error);
                }
            }
            let id = action.id;
            self.db(move |store| store.finish_action(id)).await?;
        }
        self.emit(SyncEvent::ActionsReplayed(replayed));
        Ok(replayed)
    }

    async fn graph_replay_one(
        &self,
        graph: &Graph,
        action: &QueuedAction,
    ) -> Result<(), SyncError> {
        let account_id = self.account_id;
        let (folder, uid) = (action.folder.clone(), action.uid);
        let Some(id) = self
            .db(move |store| store.graph_id(account_id, &folder, uid))
            .await?
        else {
            return Err(SyncError::Gone);
        };
        let result = match &action.kind {
            ActionKind::AddFlags(flags) | ActionKind::RemoveFlags(flags) => {
                let add = matches!(action.kind, ActionKind::AddFlags(_));
                graph
                    .update(&id, flags.seen.then_some(add), flags.flagged.then_some(add))
                    .await
            }
            ActionKind::Move(target) => {
                let target = target.clone();
                let states = self
                    .db(move |store| store.graph_folder_states(account_id))
                    .await?;
                let Some(remote) = states
                    .into_iter()
                    .find(|s| s.name == target)
                    .and_then(|s| s.remote_id)
                else {
                    return Err(SyncError::Gone);
                };
                graph.move_message(&id, &remote).await
            }
            ActionKind::Expunge => graph.delete(&id).await,
        };
        result.map_err(|e| self.graph_error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_block_ends_at_the_first_blank_line() {
        assert_eq!(
            header_of(b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore"),
            b"A: 1\r\nB: 2\r\n\r\n"
        );
        assert_eq!(header_of(b"A: 1\n\nbody"), b"A: 1\n\n");
        assert_eq!(header_of(b"A: 1"), b"A: 1");
    }

    #[test]
    fn the_server_decides_read_flagged_and_draft_and_answered_stays() {
        let answered = Flags {
            answered: true,
            seen: true,
            ..Flags::default()
        }
        .bits();
        let merged = merged_flags(answered, false, true, false);
        assert!(merged.answered && merged.flagged && !merged.seen && !merged.draft);
    }

    #[test]
    fn the_identity_is_the_immutable_id() {
        assert_eq!(graph_identity("AAkALg"), "graph:AAkALg");
    }
}
