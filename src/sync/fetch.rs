//! The header and body pipeline: new messages' headers first, newest first, so the list is usable
//! at once; then the bodies, streamed from the network through a decoder into the store in
//! batches, three stages at once with bounded channels so memory stays flat whatever the mailbox
//! size. Also the download of one message on demand ([`Engine::fetch_body_now`]).

use tokio::sync::mpsc;

use super::{Engine, SyncError, SyncEvent};
use crate::imap::Conn;
use crate::store::{NewBody, PreparedBody, StoreError};

/// How many headers to ask for per FETCH.
const ENVELOPE_CHUNK: usize = 1000;
/// How many whole messages to ask for per FETCH (bounded further by size).
const BODY_CHUNK: usize = 2000;
const BODY_CHUNK_BYTES: u64 = 128 * 1024 * 1024;
/// How much the writer gets at a time: big enough that one transaction carries many messages.
const WRITE_BATCH_BYTES: usize = 8 * 1024 * 1024;
const WRITE_BATCH_COUNT: usize = 400;

impl Engine {
    /// Fetches headers for `missing` (ascending UIDs), newest first, storing each chunk while the
    /// next one is on the wire.
    pub(super) async fn fetch_envelopes(
        &self,
        conn: &mut Conn,
        folder: &str,
        folder_id: i64,
        missing: Vec<u32>,
    ) -> Result<usize, SyncError> {
        let total = missing.len();
        if total == 0 {
            return Ok(0);
        }
        let mut done = 0;
        let mut added = 0;
        let mut pending: Option<tokio::task::JoinHandle<Result<usize, StoreError>>> = None;
        for chunk in missing.rchunks(ENVELOPE_CHUNK) {
            let mut envelopes = conn.fetch_envelopes(chunk).await?;
            // Newest first within the chunk too, so the top of the list fills first.
            envelopes.sort_by_key(|e| std::cmp::Reverse(e.uid));
            if let Some(previous) = pending.take() {
                added += previous.await.expect("the store task does not panic")?;
            }
            let store = self.store.clone();
            pending = Some(tokio::task::spawn_blocking(move || {
                store
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .add_envelopes(folder_id, &envelopes)
            }));
            done += chunk.len();
            self.emit(SyncEvent::Envelopes {
                folder: folder.to_owned(),
                done,
                total,
            });
        }
        if let Some(previous) = pending.take() {
            added += previous.await.expect("the store task does not panic")?;
        }
        Ok(added)
    }

    /// Downloads the bodies the store lacks (within the window), newest first. The network side
    /// streams into a bounded channel; a writer stores batches in transactions meanwhile.
    pub(super) async fn fetch_bodies(
        &self,
        conn: &mut Conn,
        folder: &str,
        folder_id: i64,
    ) -> Result<(usize, u64), SyncError> {
        let window = self.options.bodies;
        let missing = self
            .db(move |store| store.missing_bodies(folder_id, window))
            .await?;
        if missing.is_empty() {
            return Ok((0, 0));
        }
        let total = missing.len();
        // Three stages run at once: the network side reads (TLS, IMAP parsing), a decoder turns
        // each batch into stored form (MIME decoding, index text), and the writer commits the
        // previous batch. Bounded channels keep memory flat whatever the mailbox size.
        let (sender, mut receiver) = mpsc::channel::<Vec<NewBody>>(2);
        let (decoded_sender, mut decoded_receiver) = mpsc::channel::<Vec<PreparedBody>>(2);
        let decoder = tokio::spawn(async move {
            while let Some(batch) = receiver.recv().await {
                let prepared = tokio::task::spawn_blocking(move || {
                    batch.into_iter().map(PreparedBody::new).collect::<Vec<_>>()
                })
                .await
                .expect("decoding does not panic");
                if decoded_sender.send(prepared).await.is_err() {
                    break;
                }
            }
        });
        let store = self.store.clone();
        let progress = self.progress.clone();
        let folder_name = folder.to_owned();
        let writer = tokio::spawn(async move {
            let (mut stored, mut bytes) = (0usize, 0u64);
            while let Some(batch) = decoded_receiver.recv().await {
                let batch_bytes: u64 = batch.iter().map(|b| b.len() as u64).sum();
                let batch_len = batch.len();
                let store = store.clone();
                tokio::task::spawn_blocking(move || {
                    store
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .add_prepared_bodies(folder_id, &batch)
                })
                .await
                .expect("the store task does not panic")?;
                stored += batch_len;
                bytes += batch_bytes;
                progress(SyncEvent::Bodies {
                    folder: folder_name.clone(),
                    done: stored,
                    total,
                    bytes,
                });
            }
            Ok::<_, StoreError>((stored, bytes))
        });

        let network = async {
            let mut start = 0;
            while start < missing.len() {
                // A chunk: up to BODY_CHUNK messages or BODY_CHUNK_BYTES, newest first.
                let mut end = start;
                let mut chunk_bytes = 0u64;
                while end < missing.len()
                    && end - start < BODY_CHUNK
                    && (end == start || chunk_bytes + u64::from(missing[end].1) <= BODY_CHUNK_BYTES)
                {
                    chunk_bytes += u64::from(missing[end].1);
                    end += 1;
                }
                let mut uids: Vec<u32> = missing[start..end].iter().map(|(uid, _)| *uid).collect();
                uids.sort_unstable();
                start = end;
                let mut bodies = conn.fetch_bodies(&uids).await?;
                let mut batch = Vec::new();
                let mut batch_bytes = 0;
                while let Some(body) = bodies.next().await? {
                    batch_bytes += body.raw.len();
                    batch.push(body);
                    if batch.len() >= WRITE_BATCH_COUNT || batch_bytes >= WRITE_BATCH_BYTES {
                        batch_bytes = 0;
                        if sender.send(std::mem::take(&mut batch)).await.is_err() {
                            // The writer stopped (its error is returned below).
                            return Ok(());
                        }
                    }
                }
                if !batch.is_empty() && sender.send(batch).await.is_err() {
                    return Ok(());
                }
            }
            Ok::<_, SyncError>(())
        };
        let network_result = network.await;
        drop(sender);
        decoder.await.expect("the decoder task does not panic");
        let written = writer.await.expect("the writer task does not panic");
        // A store error (disk full) explains a stopped download better than the network side does.
        let written = written?;
        network_result?;
        Ok(written)
    }

    /// Downloads one message's body now (it was outside the background window, or not reached
    /// yet) and stores it. Returns the raw bytes.
    pub async fn fetch_body_now(&self, message_id: i64) -> Result<Vec<u8>, SyncError> {
        let location = self
            .db(move |store| {
                let summary = store
                    .message(message_id)?
                    .ok_or(StoreError::NoSuchMessage(message_id))?;
                let (_, folder) = store.message_location(message_id)?;
                Ok((summary.folder_id, summary.uid, folder))
            })
            .await?;
        let (folder_id, Some(uid), folder) = location else {
            return Err(SyncError::Gone);
        };
        let mut conn = self.connect().await?;
        conn.examine(&folder).await?;
        let mut raw = None;
        let mut bodies = conn.fetch_bodies(&[uid]).await?;
        while let Some(body) = bodies.next().await? {
            if body.uid == uid {
                raw = Some(body.raw);
            }
        }
        conn.logout().await;
        let raw = raw.ok_or(SyncError::Gone)?;
        let stored = raw.clone();
        self.db(move |store| store.add_bodies(folder_id, &[NewBody { uid, raw: stored }]))
            .await?;
        Ok(raw)
    }
}
