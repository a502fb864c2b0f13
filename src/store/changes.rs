//! Changes made here — read, flagged, moved, deleted — shown at once and queued, in order, for the
//! sync engine to replay on the server. This queue is the one thing in the store that exists only
//! here, so a change is committed before it is shown as done.

use rusqlite::{Connection, OptionalExtension, params};

use super::messages::{Flags, delete_rows};
use super::{Store, StoreError, now, sqlite};

/// A change made here that must reach the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    AddFlags(Flags),
    RemoveFlags(Flags),
    /// Move to the named folder.
    Move(String),
    /// Remove for good (`\Deleted` + expunge).
    Expunge,
}

/// A queued change as the sync engine replays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedAction {
    pub id: i64,
    pub kind: ActionKind,
    pub folder: String,
    pub uidvalidity: u32,
    pub uid: u32,
    pub message_id: Option<String>,
    pub attempts: u32,
}

impl Store {
    /// Marks a message read or unread here at once and queues the change for the server.
    pub fn set_seen(&mut self, id: i64, seen: bool) -> Result<(), StoreError> {
        let change = Flags {
            seen: true,
            ..Flags::default()
        };
        self.change_flags(id, change, seen)
    }

    pub fn set_flagged(&mut self, id: i64, flagged: bool) -> Result<(), StoreError> {
        let change = Flags {
            flagged: true,
            ..Flags::default()
        };
        self.change_flags(id, change, flagged)
    }

    pub fn set_answered(&mut self, id: i64, answered: bool) -> Result<(), StoreError> {
        let change = Flags {
            answered: true,
            ..Flags::default()
        };
        self.change_flags(id, change, answered)
    }

    fn change_flags(&mut self, id: i64, change: Flags, add: bool) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let source = action_source(&tx, id).map_err(|e| sqlite(&path, e))?;
        let Some((account_id, folder, uidvalidity, uid, flags, message_id)) = source else {
            return Err(StoreError::NoSuchMessage(id));
        };
        let new_flags = if add {
            flags | change.bits()
        } else {
            flags & !change.bits()
        };
        tx.execute(
            "UPDATE messages SET flags = ?2 WHERE id = ?1",
            params![id, new_flags],
        )
        .map_err(|e| sqlite(&path, e))?;
        if let (Some(uidvalidity), Some(uid)) = (uidvalidity, uid) {
            let kind = if add { "add-flags" } else { "remove-flags" };
            tx.execute(
                "INSERT INTO actions (account_id, kind, folder, uidvalidity, uid, message_id, argument,
                     created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    account_id,
                    kind,
                    folder,
                    uidvalidity,
                    uid,
                    message_id,
                    change.bits().to_string(),
                    now()
                ],
            )
            .map_err(|e| sqlite(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// Moves a message to another folder of the same account: it shows there at once (without a UID
    /// until the server assigns one) and the move is queued.
    pub fn move_to(&mut self, id: i64, folder_id: i64) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let Some((account_id, folder, uidvalidity, uid, _, message_id)) =
            action_source(&tx, id).map_err(|e| sqlite(&path, e))?
        else {
            return Err(StoreError::NoSuchMessage(id));
        };
        let target: Option<String> = tx
            .query_row(
                "SELECT name FROM folders WHERE id = ?1 AND account_id = ?2",
                params![folder_id, account_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sqlite(&path, e))?;
        let Some(target) = target else {
            return Err(StoreError::NoSuchMessage(id));
        };
        if target == folder {
            return Ok(());
        }
        tx.execute(
            "UPDATE messages SET folder_id = ?2, uid = NULL WHERE id = ?1",
            params![id, folder_id],
        )
        .map_err(|e| sqlite(&path, e))?;
        if let (Some(uidvalidity), Some(uid)) = (uidvalidity, uid) {
            tx.execute(
                "INSERT INTO actions (account_id, kind, folder, uidvalidity, uid, message_id, argument,
                     created_at)
                 VALUES (?1, 'move', ?2, ?3, ?4, ?5, ?6, ?7)",
                params![account_id, folder, uidvalidity, uid, message_id, target, now()],
            )
            .map_err(|e| sqlite(&path, e))?;
        }
        tx.commit().map_err(|e| sqlite(&path, e))
    }

    /// Deletes a message the way people expect: to the account's Trash, or — already in Trash, or
    /// with no Trash folder — for good.
    pub fn delete(&mut self, id: i64) -> Result<(), StoreError> {
        let trash: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT t.id, m.folder_id FROM messages m JOIN folders f ON f.id = m.folder_id
                 JOIN folders t ON t.account_id = f.account_id AND t.role = 'trash'
                 WHERE m.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        match trash {
            Some((trash, current)) if trash != current => self.move_to(id, trash),
            _ => {
                let path = self.path.clone();
                let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
                let Some((account_id, folder, uidvalidity, uid, _, message_id)) =
                    action_source(&tx, id).map_err(|e| sqlite(&path, e))?
                else {
                    return Err(StoreError::NoSuchMessage(id));
                };
                delete_rows(&tx, &[id]).map_err(|e| sqlite(&path, e))?;
                if let (Some(uidvalidity), Some(uid)) = (uidvalidity, uid) {
                    tx.execute(
                        "INSERT INTO actions (account_id, kind, folder, uidvalidity, uid, message_id,
                             created_at)
                         VALUES (?1, 'expunge', ?2, ?3, ?4, ?5, ?6)",
                        params![account_id, folder, uidvalidity, uid, message_id, now()],
                    )
                    .map_err(|e| sqlite(&path, e))?;
                }
                tx.commit().map_err(|e| sqlite(&path, e))
            }
        }
    }

    /// The account's queued changes, oldest first.
    pub fn queued_actions(&self, account_id: i64) -> Result<Vec<QueuedAction>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT id, kind, folder, uidvalidity, uid, argument, attempts, message_id FROM actions
                 WHERE account_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.error(e))?;
        type Row = (
            i64,
            String,
            String,
            u32,
            u32,
            Option<String>,
            u32,
            Option<String>,
        );
        let rows: Vec<Row> = statement
            .query_map([account_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(id, kind, folder, uidvalidity, uid, argument, attempts, message_id)| {
                    let bits = || {
                        argument
                            .as_deref()
                            .and_then(|a| a.parse().ok())
                            .unwrap_or(0)
                    };
                    let kind = match kind.as_str() {
                        "add-flags" => ActionKind::AddFlags(Flags::from_bits(bits())),
                        "remove-flags" => ActionKind::RemoveFlags(Flags::from_bits(bits())),
                        "move" => ActionKind::Move(argument?),
                        "expunge" => ActionKind::Expunge,
                        _ => return None,
                    };
                    Some(QueuedAction {
                        id,
                        kind,
                        folder,
                        uidvalidity,
                        uid,
                        message_id,
                        attempts,
                    })
                },
            )
            .collect())
    }

    /// How many queued moves still target `folder` (their rows wait there without a UID).
    pub fn pending_moves_into(&self, account_id: i64, folder: &str) -> Result<usize, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM actions WHERE account_id = ?1 AND kind = 'move' AND argument = ?2",
                params![account_id, folder],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.error(e))
    }

    pub fn finish_action(&self, id: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM actions WHERE id = ?1", [id])
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    pub fn action_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE actions SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}

type ActionSource = (i64, String, Option<u32>, Option<u32>, i64, Option<String>);

/// (account, folder name, UIDVALIDITY, UID, flags) of a message, for recording a change.
fn action_source(tx: &Connection, id: i64) -> rusqlite::Result<Option<ActionSource>> {
    tx.query_row(
        "SELECT f.account_id, f.name, f.uidvalidity, m.uid, m.flags, m.message_id
         FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::*;

    #[test]
    fn local_changes_show_at_once_and_are_queued_in_order() {
        let (_dir, mut store) = open();
        let (account, inbox, trash) = setup(&mut store);
        let (e1, _) = message(10, "one", "");
        let (e2, _) = message(11, "two", "");
        store.add_envelopes(inbox, &[e1, e2]).unwrap();
        let ids: Vec<i64> = store
            .messages(inbox, SortOrder::OldestFirst, 0, 10)
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        store.set_seen(ids[0], true).unwrap();
        store.set_flagged(ids[0], true).unwrap();
        store.delete(ids[1]).unwrap();

        assert!(store.message(ids[0]).unwrap().unwrap().flags.seen);
        let moved = store.message(ids[1]).unwrap().unwrap();
        assert_eq!((moved.folder_id, moved.uid), (trash, None));
        let actions = store.queued_actions(account).unwrap();
        let kinds: Vec<_> = actions.iter().map(|a| (a.kind.clone(), a.uid)).collect();
        assert_eq!(
            kinds,
            [
                (
                    ActionKind::AddFlags(Flags {
                        seen: true,
                        ..Flags::default()
                    }),
                    10
                ),
                (
                    ActionKind::AddFlags(Flags {
                        flagged: true,
                        ..Flags::default()
                    }),
                    10
                ),
                (ActionKind::Move("Trash".into()), 11),
            ]
        );
        assert!(
            actions
                .iter()
                .all(|a| a.folder == "INBOX" && a.uidvalidity == 7)
        );

        // The server later reports the moved message in Trash under a new UID: the row is adopted,
        // not duplicated.
        let (mut in_trash, _) = message(11, "two", "");
        in_trash.uid = 3;
        store.add_envelopes(trash, &[in_trash]).unwrap();
        assert_eq!(store.message_count(trash).unwrap(), 1);
        assert_eq!(store.message(ids[1]).unwrap().unwrap().uid, Some(3));

        // Deleting from Trash removes for good.
        store.delete(ids[1]).unwrap();
        assert!(store.message(ids[1]).unwrap().is_none());
        assert_eq!(
            store.queued_actions(account).unwrap().last().unwrap().kind,
            ActionKind::Expunge
        );
    }
}
