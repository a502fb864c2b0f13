//! Replaying the changes made offline (read, flagged, moved, deleted), in the order they were made.
//! Each change names its message by folder, UIDVALIDITY and UID at the time it was made; if the
//! folder's UIDVALIDITY changed since, the message is found again by its Message-ID or the change
//! is dropped.

use super::{Engine, SyncError, SyncEvent};
use crate::imap::Conn;
use crate::store::{ActionKind, QueuedAction};

impl Engine {
    /// Sends the changes made offline, oldest first. A change the server refuses (the message was
    /// deleted elsewhere meanwhile) is dropped with a log line; a network error stops the replay
    /// with the rest still queued.
    pub(super) async fn replay_actions(&self, conn: &mut Conn) -> Result<usize, SyncError> {
        let account_id = self.account_id;
        let actions = self
            .db(move |store| store.queued_actions(account_id))
            .await?;
        if actions.is_empty() {
            return Ok(0);
        }
        let mut replayed = 0;
        for action in actions {
            let outcome = self.replay_one(conn, &action).await;
            match outcome {
                Ok(()) => replayed += 1,
                Err(SyncError::Refused { reason, .. }) => {
                    tracing::warn!(action = action.id, %reason, "the server refused a queued change; dropping it");
                }
                Err(SyncError::Gone) => {
                    tracing::info!(
                        action = action.id,
                        "a queued change's message is gone; dropping it"
                    );
                }
                Err(other) => {
                    let text = other.to_string();
                    let id = action.id;
                    self.db(move |store| store.action_failed(id, &text)).await?;
                    return Err(other);
                }
            }
            let id = action.id;
            self.db(move |store| store.finish_action(id)).await?;
        }
        self.emit(SyncEvent::ActionsReplayed(replayed));
        Ok(replayed)
    }

    async fn replay_one(&self, conn: &mut Conn, action: &QueuedAction) -> Result<(), SyncError> {
        if conn.selected() != Some(action.folder.as_str()) {
            // Selected without a stored state: all the change needs is the current UIDVALIDITY.
            conn.select(&action.folder, None).await?;
        }
        let uid = if conn.selected_uidvalidity() == Some(action.uidvalidity) {
            action.uid
        } else {
            // The UIDs recorded with the change no longer mean the same messages (UIDVALIDITY
            // changed): find the message again by its Message-ID, or give up on this change.
            let Some(message_id) = &action.message_id else {
                return Err(SyncError::Gone);
            };
            let found = conn.search_message_id(message_id).await?;
            match found.as_slice() {
                [uid] => *uid,
                _ => return Err(SyncError::Gone),
            }
        };
        match &action.kind {
            ActionKind::AddFlags(flags) => conn.store_flags(uid, true, *flags).await?,
            ActionKind::RemoveFlags(flags) => conn.store_flags(uid, false, *flags).await?,
            ActionKind::Move(target) => conn.move_message(uid, target).await?,
            ActionKind::Expunge => conn.expunge_uid(uid).await?,
        }
        Ok(())
    }
}
