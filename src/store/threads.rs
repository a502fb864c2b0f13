//! Conversations: the thread each message belongs to (by its root Message-ID) and the
//! conversations view — threads ordered by their newest message, with their counts.

use rusqlite::{Connection, OptionalExtension, params};

use super::messages::{MessageSummary, SUMMARY_COLUMNS, SortOrder, summary_from_row};
use super::{Store, StoreError};
use crate::mime;

/// What a list shows: one folder, or every account's inbox together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListScope {
    Folder(i64),
    UnifiedInbox,
}

impl ListScope {
    /// The condition on `messages m` for this scope, and its parameter.
    pub(super) fn condition(self) -> (&'static str, Option<i64>) {
        match self {
            ListScope::Folder(id) => ("m.folder_id = ?1", Some(id)),
            ListScope::UnifiedInbox => (
                "m.folder_id IN (SELECT id FROM folders WHERE role = 'inbox') AND ?1 IS NULL",
                None,
            ),
        }
    }
}

/// A row of the conversations view: a thread as its newest message, with the whole thread's
/// figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    pub newest: MessageSummary,
    /// Messages of the thread in the list's scope.
    pub count: u32,
    pub unread: u32,
    /// Whether any of them is flagged.
    pub flagged: bool,
}

impl Store {
    /// How many threads the scope's messages form (the conversations view's length).
    pub fn thread_count(&self, scope: ListScope) -> Result<usize, StoreError> {
        let (condition, param) = scope.condition();
        let sql = format!("SELECT count(DISTINCT m.thread_id) FROM messages m WHERE {condition}");
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_row([param], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|e| self.error(e))
    }

    /// The messages of one thread within the scope, in the list's order.
    pub fn thread_messages(
        &self,
        scope: ListScope,
        thread_id: i64,
        order: SortOrder,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let direction = match order {
            SortOrder::NewestFirst => "DESC",
            SortOrder::OldestFirst => "ASC",
        };
        let (condition, param) = scope.condition();
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m INDEXED BY messages_by_thread
             WHERE {condition} AND m.thread_id = ?2 ORDER BY m.date {direction}, m.id {direction}"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_map(params![param, thread_id], summary_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }
}

/// The thread of a new message: the row for its root Message-ID, created on first sight.
pub(super) fn thread_id(
    tx: &Connection,
    decoded: &mime::Decoded,
    folder_id: i64,
    uid: u32,
) -> rusqlite::Result<i64> {
    // A message without any Message-ID is a thread of its own.
    let root = mime::thread_root(decoded).unwrap_or_else(|| format!("\u{0}{folder_id}:{uid}"));
    // One statement for a new root (most of a first sync's); a known one is looked up after.
    let created: Option<i64> = tx
        .prepare_cached(
            "INSERT INTO threads (root) VALUES (?1)
             ON CONFLICT (root) DO UPDATE SET root = root WHERE 0 RETURNING id",
        )?
        .query_row([&root], |r| r.get(0))
        .optional()?;
    match created {
        Some(id) => Ok(id),
        None => tx
            .prepare_cached("SELECT id FROM threads WHERE root = ?1")?
            .query_row([&root], |r| r.get(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::*;

    #[test]
    fn threads_group_a_folder_by_conversation_newest_first_with_counts() {
        let (_dir, mut store) = open();
        let (_, inbox, trash) = setup(&mut store);
        // Thread A: 1 (day 1) ← 2 (day 5) ← 4 (day 9, replying to 1 too); thread B: 3 (day 7);
        // thread C: 5 (day 3) ← 6 (day 4).
        store
            .add_envelopes(
                inbox,
                &[
                    conversation_message(1, 1, None),
                    conversation_message(2, 5, Some("t1@example.jp")),
                    conversation_message(3, 7, None),
                    conversation_message(4, 9, Some("t1@example.jp")),
                    conversation_message(5, 3, None),
                    conversation_message(6, 4, Some("t5@example.jp")),
                ],
            )
            .unwrap();
        let id = |uid: u32| {
            store
                .messages(inbox, SortOrder::NewestFirst, 0, 100)
                .unwrap()
                .into_iter()
                .find(|m| m.uid == Some(uid))
                .unwrap()
                .id
        };
        let (m1, m2, m3, m6) = (id(1), id(2), id(3), id(6));
        store.set_seen(m1, true).unwrap();
        store.set_seen(m3, true).unwrap();
        store.set_flagged(m2, true).unwrap();
        let scope = ListScope::Folder(inbox);
        assert_eq!(store.thread_count(scope).unwrap(), 3);

        let threads = store
            .thread_page(
                scope,
                SortOrder::NewestFirst,
                Seek::Forward {
                    after: None,
                    skip: 0,
                },
                10,
            )
            .unwrap()
            .rows;
        let shape: Vec<_> = threads
            .iter()
            .map(|t| (t.newest.uid.unwrap(), t.count, t.unread, t.flagged))
            .collect();
        assert_eq!(
            shape,
            [(4, 3, 2, true), (3, 1, 0, false), (6, 2, 2, false)],
            "newest first; A has 2 unread of 3 and a flag"
        );
        let oldest = store
            .thread_page(
                scope,
                SortOrder::OldestFirst,
                Seek::Forward {
                    after: None,
                    skip: 0,
                },
                10,
            )
            .unwrap()
            .rows;
        let uids: Vec<_> = oldest.iter().map(|t| t.newest.uid.unwrap()).collect();
        assert_eq!(uids, [6, 3, 4]);
        // A page further down.
        let second = store
            .thread_page(
                scope,
                SortOrder::NewestFirst,
                Seek::Forward {
                    after: None,
                    skip: 1,
                },
                1,
            )
            .unwrap()
            .rows;
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].newest.id, m3);

        // Expanding A: its three messages in the list's order.
        let thread_a = threads[0].newest.thread_id;
        let uids: Vec<_> = store
            .thread_messages(scope, thread_a, SortOrder::NewestFirst)
            .unwrap()
            .iter()
            .map(|m| m.uid.unwrap())
            .collect();
        assert_eq!(uids, [4, 2, 1]);

        // A message moved to Trash leaves the inbox's thread; the count follows at once.
        store.delete(m6).unwrap();
        let threads = store
            .thread_page(
                scope,
                SortOrder::NewestFirst,
                Seek::Forward {
                    after: None,
                    skip: 0,
                },
                10,
            )
            .unwrap()
            .rows;
        assert_eq!(threads[2].count, 1);
        assert_eq!(threads[2].newest.uid, Some(5));
        assert_eq!(store.thread_count(ListScope::Folder(trash)).unwrap(), 1);
        // Marking read updates the unread figure.
        store.set_seen(threads[0].newest.id, true).unwrap();
        store.set_seen(m2, true).unwrap();
        let threads = store
            .thread_page(
                scope,
                SortOrder::NewestFirst,
                Seek::Forward {
                    after: None,
                    skip: 0,
                },
                1,
            )
            .unwrap()
            .rows;
        assert_eq!((threads[0].unread, threads[0].flagged), (0, true));
    }

    #[test]
    fn unified_threads_span_every_inbox_and_nothing_else() {
        let (_dir, mut store) = open();
        let (_, inbox, trash) = setup(&mut store);
        let (_, bob_inbox) = account_with_inbox(&mut store, "bob@example.test");
        store
            .add_envelopes(inbox, &[conversation_message(1, 1, None)])
            .unwrap();
        // Bob got the reply to the same conversation: one thread across both inboxes.
        store
            .add_envelopes(
                bob_inbox,
                &[
                    conversation_message(2, 2, Some("t1@example.jp")),
                    conversation_message(3, 3, None),
                ],
            )
            .unwrap();
        store
            .add_envelopes(trash, &[conversation_message(9, 9, None)])
            .unwrap();
        let scope = ListScope::UnifiedInbox;
        assert_eq!(store.thread_count(scope).unwrap(), 2);
        let threads = store
            .thread_page(
                scope,
                SortOrder::NewestFirst,
                Seek::Forward {
                    after: None,
                    skip: 0,
                },
                10,
            )
            .unwrap()
            .rows;
        let shape: Vec<_> = threads
            .iter()
            .map(|t| (t.newest.uid.unwrap(), t.count))
            .collect();
        assert_eq!(shape, [(3, 1), (2, 2)]);
        let members = store
            .thread_messages(scope, threads[1].newest.thread_id, SortOrder::OldestFirst)
            .unwrap();
        assert_eq!(
            members.iter().map(|m| m.folder_id).collect::<Vec<_>>(),
            [inbox, bob_inbox]
        );
    }
}
