//! The search index, built after the sync: a first sync stores every message's bytes as they arrive
//! (readable offline at once, `body_state` [`STORED`]), and the decoding for the list's preview, the
//! attachment mark and the full-text index is done afterwards by [`Store::build_index`] — on the
//! two cores a laptop has, decoding and indexing while downloading made the download itself wait.
//!
//! **Crash safety.** A message leaves [`STORED`] in the same transaction that writes its index row
//! (the old row, the header's, deleted first), so an indexing killed at any point resumes with
//! exactly the messages still waiting: none is indexed twice, none is forgotten. Transactions are
//! `IMMEDIATE` (the write lock taken before the state is read), so two indexers — the window's and
//! a `tayori sync` in a terminal — never index the same message twice either.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::bodies::{PreparedBody, head_of_raw};
use super::{Store, StoreError, sqlite};

/// `body_state` (of the stored message and of each folder's membership of it) of a message whose
/// bytes are stored but not yet decoded and indexed (shown as downloaded: it can be read).
pub(super) const STORED: i64 = 4;
/// How many messages are decoded and written at a time: a transaction short enough that the sync
/// and the window, which write to the same store, never wait long for it. Up to three batches are
/// held at once (one read and decoded, one waiting, one written), with their decoded parts: at
/// 4 MB a batch, indexing mail with attachments was the peak of a first sync's memory (63–66 MB
/// against 58–61 MB at 2 MB, `benches/sync.sh` with `MAIL=realistic`), and no faster.
const BATCH_COUNT: usize = 100;
const BATCH_BYTES: usize = 2 * 1024 * 1024;
/// How many messages' header fields are indexed at a time (they are short).
const HEADER_BATCH_COUNT: i64 = 1000;

/// A message waiting in `index_queue`: its search key, and its body state, subject and addresses
/// (none when the message is gone).
type QueuedHeader = (i64, Option<i64>, Option<String>, Option<String>);

/// Messages to decode: their stored-message ids and first bytes.
type Heads = Vec<(i64, Vec<u8>)>;
/// Messages decoded for the index, by stored-message id.
type Decoded = Vec<(i64, PreparedBody)>;

impl Store {
    /// How many messages are not yet (wholly) in the search index: downloaded ones whose text
    /// waits for the indexer, and those whose subject and addresses wait for it (`index_queue`).
    /// A search meanwhile may miss them.
    pub fn unindexed_count(&self) -> Result<usize, StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM stored_messages WHERE body_state = ?1)
                        + (SELECT count(*) FROM index_queue q WHERE NOT EXISTS
                              (SELECT 1 FROM stored_messages s
                               WHERE s.search_key = q.key AND s.body_state = ?1))",
                [STORED],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.error(e))
    }

    /// The messages waiting, in the order of their index rows: FTS5 keeps what is written in
    /// memory until a row number lower than the last one comes (or a megabyte is pending), so rows
    /// written in ascending order make a few big segments instead of one per message, each of
    /// which would have to be merged again.
    fn unindexed_ids(&self) -> Result<Vec<i64>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT id FROM stored_messages WHERE body_state = ?1 ORDER BY search_key",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map([STORED], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// A read-only connection to the store at `path`, for reading beside a writer.
    fn reader(path: &std::path::Path) -> Result<Store, StoreError> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sqlite(path, e))?;
        Ok(Store {
            conn,
            path: path.to_owned(),
            decoders: Default::default(),
        })
    }

    /// The bytes to decode of the messages `ids` that still wait (at most [`BATCH_BYTES`] in all,
    /// but always the first one); returns how many of `ids` were looked at.
    fn unindexed_heads(&self, ids: &[i64]) -> Result<(Heads, usize), StoreError> {
        let (mut heads, mut bytes, mut looked) = (Vec::new(), 0, 0);
        for &id in ids {
            if bytes >= BATCH_BYTES || heads.len() >= BATCH_COUNT {
                break;
            }
            looked += 1;
            let waiting: Option<i64> = self
                .conn
                .prepare_cached("SELECT body_state FROM stored_messages WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
                .map_err(|e| self.error(e))?;
            if waiting != Some(STORED) {
                continue;
            }
            if let Some(head) = head_of_raw(self, id)? {
                bytes += head.len();
                heads.push((id, head));
            }
        }
        Ok((heads, looked))
    }

    /// Decodes and indexes every downloaded message not yet in the search index, a batch per
    /// transaction, decoding the next batch on another thread while one is written. Messages
    /// stored meanwhile are indexed too. `progress(done, total)` follows each batch; `stop` ends
    /// the work after the batch being written (what is done stays done). Returns how many
    /// messages were indexed.
    pub fn build_index(
        &mut self,
        stop: &AtomicBool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            let ids = self.unindexed_ids()?;
            if stop.load(Ordering::Relaxed) {
                return Ok(done);
            }
            if ids.is_empty() {
                // What the bodies did not bring: the header fields of messages without one.
                return Ok(done + self.index_queued_headers(stop, done, progress)?);
            }
            let total = done + ids.len();
            progress(done, total);
            let written = std::thread::scope(|scope| {
                // The reading (a copy of each message's bytes out of the database) and the
                // decoding are done on a second thread with a connection of its own (WAL: it reads
                // beside the writer); this thread only writes.
                let (to_writer, decoded) = mpsc::sync_channel::<Result<Decoded, StoreError>>(1);
                let (path, ids) = (self.path.clone(), &ids);
                scope.spawn(move || {
                    let reader = match Store::reader(&path) {
                        Ok(reader) => reader,
                        Err(error) => {
                            let _ = to_writer.send(Err(error));
                            return;
                        }
                    };
                    let mut rest = &ids[..];
                    while !rest.is_empty() && !stop.load(Ordering::Relaxed) {
                        let batch = reader.unindexed_heads(rest).map(|(heads, looked)| {
                            rest = &rest[looked..];
                            heads
                                .into_iter()
                                .map(|(id, head)| (id, PreparedBody::decode_head(&head)))
                                .collect()
                        });
                        let failed = batch.is_err();
                        if to_writer.send(batch).is_err() || failed {
                            return;
                        }
                    }
                });
                let mut written = 0;
                for batch in decoded {
                    written += self.write_index(batch?)?;
                    progress(done + written, total);
                }
                Ok::<_, StoreError>(written)
            })?;
            done += written;
            if written == 0 {
                // Nothing could be indexed (every waiting message changed meanwhile).
                return Ok(done + self.index_queued_headers(stop, done, progress)?);
            }
        }
    }

    /// Puts the subject and addresses of the messages in `index_queue` into the index, in the
    /// order of their keys (see [`Store::unindexed_ids`]), a batch per transaction; each leaves
    /// the queue in the transaction that indexes it, so a kill at any point neither loses nor
    /// doubles a row. A message whose text is indexed already (decoded meanwhile, `body_state`
    /// 1 or 2) or that is gone only leaves the queue. Run after the bodies: those still waiting
    /// for theirs (`STORED`, their bytes missing) get their header fields meanwhile.
    fn index_queued_headers(
        &mut self,
        stop: &AtomicBool,
        done: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let waiting: i64 = self
            .conn
            .query_row("SELECT count(*) FROM index_queue", [], |r| r.get(0))
            .map_err(|e| self.error(e))?;
        if waiting == 0 {
            return Ok(0);
        }
        let total = done + waiting as usize;
        let (mut indexed, mut after) = (0, i64::MIN);
        while !stop.load(Ordering::Relaxed) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| sqlite(&path, e))?;
            let batch: Vec<QueuedHeader> = tx
                .prepare_cached(
                    "SELECT q.key, s.body_state, m.subject, m.recipients FROM index_queue q
                     LEFT JOIN stored_messages s ON s.search_key = q.key
                     LEFT JOIN messages m
                         ON m.id = (SELECT min(id) FROM messages WHERE stored_id = s.id)
                     WHERE q.key > ?1 ORDER BY q.key LIMIT ?2",
                )
                .and_then(|mut s| {
                    s.query_map(params![after, HEADER_BATCH_COUNT], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })?
                    .collect()
                })
                .map_err(|e| sqlite(&path, e))?;
            let Some(last) = batch.last() else {
                break;
            };
            after = last.0;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO message_text (rowid, subject, addresses, body)
                         VALUES (?1, ?2, ?3, '')",
                    )
                    .map_err(|e| sqlite(&path, e))?;
                let mut dequeue = tx
                    .prepare_cached("DELETE FROM index_queue WHERE key = ?1")
                    .map_err(|e| sqlite(&path, e))?;
                for (key, state, subject, recipients) in &batch {
                    if let (Some(0 | 3 | STORED), Some(subject), Some(recipients)) =
                        (state, subject, recipients)
                    {
                        insert
                            .execute(params![
                                key,
                                super::fts::index_text(subject),
                                super::fts::index_text(recipients)
                            ])
                            .map_err(|e| sqlite(&path, e))?;
                    }
                    dequeue.execute([key]).map_err(|e| sqlite(&path, e))?;
                }
            }
            tx.commit().map_err(|e| sqlite(&path, e))?;
            indexed += batch.len();
            progress(done + indexed, total);
        }
        Ok(indexed)
    }

    /// Writes one decoded batch: each message's decoded fields and its index row, in one
    /// transaction. A message deleted or re-downloaded meanwhile is passed over.
    fn write_index(&mut self, batch: Decoded) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sqlite(&path, e))?;
        let mut written = 0;
        {
            let mut update = tx
                .prepare_cached(
                    // The preview is kept in the memberships only (schema 10).
                    "UPDATE stored_messages SET body_state = ?2, has_attachments = ?3
                     WHERE id = ?1 AND body_state = ?4 RETURNING search_key",
                )
                .map_err(|e| sqlite(&path, e))?;
            // Every folder's membership of the message shows the same.
            let mut memberships = tx
                .prepare_cached(
                    "UPDATE messages SET body_state = ?2, has_attachments = ?3, preview = ?4,
                         subject = CASE WHEN ?5 IS NULL THEN subject ELSE ?5 END
                     WHERE stored_id = ?1",
                )
                .map_err(|e| sqlite(&path, e))?;
            for (id, prepared) in batch {
                let state = if prepared.parse_ok { 1 } else { 2 };
                let key: Option<Option<i64>> = update
                    .query_row(params![id, state, prepared.has_attachments, STORED], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(|e| sqlite(&path, e))?;
                let Some(key) = key else {
                    continue;
                };
                memberships
                    .execute(params![
                        id,
                        state,
                        prepared.has_attachments,
                        prepared.preview,
                        prepared.subject,
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                let key =
                    super::bodies::search_key_of(&tx, id, key).map_err(|e| sqlite(&path, e))?;
                super::bodies::index_row(&tx, key, &prepared).map_err(|e| sqlite(&path, e))?;
                written += 1;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::*;

    fn stored_undecoded(store: &mut Store, folder: i64, bodies: Vec<NewBody>) {
        let prepared = bodies.into_iter().map(PreparedBody::undecoded).collect();
        store.add_prepared_bodies(folder, prepared).unwrap();
    }

    #[test]
    fn stored_messages_are_readable_at_once_and_searchable_once_indexed() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let (e1, b1) = message(1, "会議室の予約について", "第二会議室です。");
        let (e2, b2) = message(2, "Budget", "Numbers for the quarter");
        store.add_envelopes(inbox, &[e1, e2]).unwrap();
        stored_undecoded(&mut store, inbox, vec![b1, b2.clone()]);

        let list = store
            .messages(inbox, SortOrder::OldestFirst, 0, 10)
            .unwrap();
        assert!(list.iter().all(|m| m.body_state == BodyState::Downloaded));
        assert_eq!(store.message_raw(list[1].id).unwrap().unwrap(), b2.raw);
        assert_eq!(store.unindexed_count().unwrap(), 2);
        // Neither the subject nor the text is searchable before the indexer has run.
        assert!(store.search("Budget", 10).unwrap().is_empty());
        assert!(store.search("quarter", 10).unwrap().is_empty());

        let mut seen = Vec::new();
        let indexed = store
            .build_index(&AtomicBool::new(false), &mut |done, total| {
                seen.push((done, total))
            })
            .unwrap();
        assert_eq!(indexed, 2);
        assert_eq!(seen.last(), Some(&(2, 2)));
        assert_eq!(store.unindexed_count().unwrap(), 0);
        assert_eq!(store.search("quarter", 10).unwrap().len(), 1);
        assert_eq!(store.search("第二会議室", 10).unwrap().len(), 1);
        assert_eq!(store.search("Budget", 10).unwrap().len(), 1, "one row each");
        let list = store
            .messages(inbox, SortOrder::OldestFirst, 0, 10)
            .unwrap();
        assert!(
            list[1].preview.starts_with("Numbers"),
            "{:?}",
            list[1].preview
        );
        // Nothing left: a second run does nothing.
        let again = store
            .build_index(&AtomicBool::new(false), &mut |_, _| {})
            .unwrap();
        assert_eq!(again, 0);
        let rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM message_text", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2);
    }

    #[test]
    fn an_interrupted_index_resumes_without_losing_or_doubling_rows() {
        let (_dir, mut store) = open();
        let (account, inbox, _) = setup(&mut store);
        let mut envelopes = Vec::new();
        let mut bodies = Vec::new();
        for uid in 1..=(BATCH_COUNT as u32 * 5 + 7) {
            let (e, b) = message(
                uid,
                &format!("note {uid}"),
                &format!("token{uid}end common"),
            );
            envelopes.push(e);
            bodies.push(b);
        }
        let total = bodies.len();
        store.add_envelopes(inbox, &envelopes).unwrap();
        stored_undecoded(&mut store, inbox, bodies);
        // Stopped after its first batch (as the window stops it when the account goes away; a
        // kill -9 leaves the same state: what was committed, and nothing half).
        let stop = AtomicBool::new(false);
        let first = store
            .build_index(&stop, &mut |done, _| {
                if done > 0 {
                    stop.store(true, Ordering::Relaxed)
                }
            })
            .unwrap();
        assert!(first > 0 && first < total, "{first}");
        assert_eq!(store.unindexed_count().unwrap(), total - first);
        // A message removed meanwhile (expunged from its one folder, then dropped as the sync
        // drops what no folder holds) is simply gone from the work.
        let gone = store.messages(inbox, SortOrder::NewestFirst, 0, 1).unwrap()[0].clone();
        store.remove_uids(inbox, &[gone.uid.unwrap()]).unwrap();
        store.drop_unreferenced(account).unwrap();
        let rest = store
            .build_index(&AtomicBool::new(false), &mut |_, _| {})
            .unwrap();
        assert_eq!(store.unindexed_count().unwrap(), 0);
        assert!(first + rest <= total && first + rest >= total - 1);
        let rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM message_text", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows as usize, total - 1, "one index row per message");
        assert_eq!(store.search("common", 1000).unwrap().len(), total - 1);
        assert_eq!(store.search("token7end", 10).unwrap().len(), 1);
    }
}
