//! The header and body pipeline: new messages' headers first, newest first, so the list is usable
//! at once; then the bodies, streamed from the network into the store in batches, three stages at
//! once with bounded channels so memory stays flat whatever the mailbox size (decoded for the
//! search index after the sync, `index.rs`). Also the download of one message on demand ([`Engine::fetch_body_now`]).

use std::collections::BTreeSet;

use tokio::sync::mpsc;

use super::{Engine, Skipped, SyncError, SyncEvent, joined};
use crate::imap::{CommandError, Conn, Item, RequestId};
use crate::redact::{SERVER_TEXT_CHARS, server_text};
use crate::store::{
    Checkpointer, Flags, NewBody, NewEnvelope, Packer, PreparedBody, PreparedEnvelopes,
    SpooledBody, StoreError,
};

/// How many headers to ask for per FETCH: a chunk is what each stage (each connection's reader,
/// the channel, the decoder, the writer) holds at a time, so it bounds the header phase's memory.
const ENVELOPE_CHUNK: usize = 500;
/// From how many new messages on, a second connection reads the older half of the headers
/// meanwhile (below it, opening one costs more than it saves).
const BESIDE_FROM: usize = 3000;
/// How many chunks of headers may wait for the store while the network goes on.
const STORE_BEHIND: usize = 2;
/// How many whole messages to ask for per FETCH (bounded further by size).
const BODY_CHUNK: usize = 2000;
const BODY_CHUNK_BYTES: u64 = 128 * 1024 * 1024;
/// How much the writer gets at a time: enough that one transaction carries many messages, small
/// enough that the batches in flight (one being read, one in each channel, one being decoded, one
/// being written) keep the sync's memory flat and small whatever the mailbox size.
const WRITE_BATCH_BYTES: usize = 2 * 1024 * 1024;
const WRITE_BATCH_COUNT: usize = 200;
/// A message bigger than this (by its RFC822.SIZE) is never held whole: it is downloaded in pieces
/// of [`SPOOL_PIECE`] (`BODY.PEEK[]<offset.len>`) into a temporary file, and copied from there
/// into the store.
const SPOOL_ABOVE: u32 = 1024 * 1024;
const SPOOL_PIECE: u32 = 1024 * 1024;

/// Whether a message of RFC822.SIZE `size` is downloaded in pieces. A size of 0 says nothing (a
/// server that does not know it, or estimates it as Exchange does, may answer so): such a message
/// could be of any size, and only the pieces keep memory bounded whatever it turns out to be.
fn spooled(size: u32) -> bool {
    size == 0 || size > SPOOL_ABOVE
}
/// How many messages one pass over a folder may skip on a broken connection (each costs a new
/// connection) before the folder is given up on: a server that breaks on every message is not
/// worth hundreds of reconnections.
const MAX_RECONNECTS: usize = 10;

/// The header kept for a message whose header the server could not deliver: the list shows it,
/// with its UID and why, until the server delivers it (the body pass still asks for it).
fn placeholder(uid: u32, reason: &str) -> NewEnvelope {
    let reason = server_text(reason, SERVER_TEXT_CHARS);
    NewEnvelope {
        server_identity: None,
        uid,
        flags: Flags::default(),
        keywords: Vec::new(),
        modseq: None,
        internal_date: None,
        size: 0,
        header: format!(
            "Subject: (message UID {uid}: the server could not deliver it; skipped)\r\n\
             X-Tayori-Skipped: {reason}\r\n\r\n"
        )
        .into_bytes(),
    }
}

/// A batch below this is compressed on one thread: splitting it would cost more than it saves.
const SPLIT_ABOVE_BYTES: usize = 256 * 1024;

/// A batch shaped for the store, compressed on two threads: compression is the stage the
/// download waits for (zstd's fast level still takes longer than reading TLS or writing SQLite),
/// and a second thread lets it use the core the others leave. Order is kept.
fn compressed_batch(mut batch: Vec<NewBody>, packer: &Packer) -> Vec<PreparedBody> {
    let bytes: usize = batch.iter().map(|body| body.raw.len()).sum();
    if batch.len() < 2 || bytes < SPLIT_ABOVE_BYTES {
        return batch
            .into_iter()
            .map(|body| packer.undecoded(body))
            .collect();
    }
    // Halves by size, not count: one big message makes one side's work.
    let (mut first_bytes, mut split) = (0, 0);
    while split < batch.len() && first_bytes * 2 < bytes {
        first_bytes += batch[split].raw.len();
        split += 1;
    }
    // Taken by the second thread, or by this one if there is none.
    let second = std::sync::Mutex::new(Some(batch.split_off(split.clamp(1, batch.len() - 1))));
    let take = || second.lock().ok().and_then(|mut half| half.take());
    let compress = |bodies: Vec<NewBody>| -> Vec<PreparedBody> {
        bodies
            .into_iter()
            .map(|body| packer.undecoded(body))
            .collect()
    };
    std::thread::scope(|scope| {
        let other = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn_scoped(scope, || take().map(compress));
        let mut prepared = compress(batch);
        let rest = match other {
            Ok(handle) => match handle.join() {
                Ok(rest) => rest,
                // As a panic of the stage itself would be.
                Err(panic) => std::panic::resume_unwind(panic),
            },
            // No second thread to be had: this one does both halves.
            Err(_) => take().map(compress),
        };
        prepared.extend(rest.unwrap_or_default());
        prepared
    })
}

/// What the network side hands the decoder: a batch of whole messages, or one spooled message.
enum Downloaded {
    Batch(Vec<NewBody>),
    Spooled(SpooledBody),
}

/// The reconnections of one pass over a folder's messages.
#[derive(Default)]
struct Reconnects {
    count: usize,
    /// The messages a lost connection broke off once already.
    lost: BTreeSet<u32>,
}

/// Where the header phase's time goes: the server's answers, or the store.
#[derive(Default)]
struct HeaderTiming {
    reading: std::time::Duration,
    blocked: std::time::Duration,
}

/// Why a spooled download stopped.
enum Spooling {
    Command(CommandError),
    Store(StoreError),
}

impl Engine {
    /// Downloads one message too big to hold whole, piece by piece into an unnamed temporary file
    /// beside the store. `Ok(None)`: the server no longer has it.
    async fn spool(&self, conn: &mut Conn, uid: u32) -> Result<Option<SpooledBody>, Spooling> {
        use tokio::io::AsyncWriteExt;
        let dir = self.spool_dir.clone();
        let io = |source| {
            Spooling::Store(StoreError::Spool {
                path: self.spool_dir.clone(),
                source,
            })
        };
        let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
            .await
            .unwrap_or_else(|_| Err(std::io::Error::other("the task creating it stopped")))
            .map_err(io)?;
        let mut file = tokio::fs::File::from_std(file);
        let mut len = 0u64;
        loop {
            let Some(piece) = conn
                .fetch_body_part(uid, len, SPOOL_PIECE)
                .await
                .map_err(Spooling::Command)?
            else {
                return Ok(None);
            };
            file.write_all(&piece).await.map_err(io)?;
            len += piece.len() as u64;
            if piece.len() < SPOOL_PIECE as usize {
                break;
            }
        }
        file.flush().await.map_err(io)?;
        Ok(Some(SpooledBody {
            uid,
            file: file.into_std().await,
            len,
        }))
    }

    /// After a command broke off in the middle of one message's answer: that message is the one
    /// to skip (`Some`), on a new connection with the folder selected again. A connection that was
    /// merely lost (closed or reset, as a restarting server or an administrator's kick does) gives
    /// the message one more try on the new connection first (`None`: ask again); losing it on the
    /// same message twice skips it. Errors that name no message among `candidates` (or too many
    /// reconnections) stop the folder as before.
    async fn skip_and_reconnect(
        &self,
        conn: &mut Conn,
        folder: &str,
        error: CommandError,
        candidates: impl Fn(u32) -> bool,
        reconnects: &mut Reconnects,
    ) -> Result<Option<(u32, String)>, SyncError> {
        let Some(uid) = conn.broken_uid().filter(|uid| candidates(*uid)) else {
            return Err(error.into());
        };
        if reconnects.count >= MAX_RECONNECTS {
            return Err(error.into());
        }
        reconnects.count += 1;
        if matches!(error, CommandError::Connection { .. }) && reconnects.lost.insert(uid) {
            tracing::warn!(folder, uid, %error, "the connection was lost; reconnecting to try the message again");
            *conn = self.connect().await?;
            conn.select(folder, None).await?;
            return Ok(None);
        }
        let reason = match &error {
            CommandError::Connection { reason, .. }
            | CommandError::Stalled { reason, .. }
            | CommandError::Misbehaved { reason, .. }
            | CommandError::Refused { reason, .. } => reason.clone(),
            CommandError::Unreadable { .. } => "its answer could not be read".into(),
        };
        tracing::warn!(folder, uid, %error, "skipping the message and reconnecting");
        *conn = self.connect().await?;
        conn.select(folder, None).await?;
        Ok(Some((uid, reason)))
    }

    /// Fetches headers for `missing` (ascending UIDs), newest first, in chunks. Three things
    /// overlap: the server works on the next chunk's FETCH (sent before the answer to the one
    /// before it is read), Tayori reads and parses the current one, and the store writes the ones
    /// before it, in a task of its own a bounded number of chunks behind. A message whose answer
    /// cannot be read, or breaks the connection, is stored as a placeholder and reported in
    /// `skipped`; the others go on. A big folder's older half is read meanwhile on a second
    /// connection ([`Engine::envelopes_beside`]); what that one does not deliver, this one reads
    /// after its own half.
    pub(super) async fn fetch_envelopes(
        &self,
        conn: &mut Conn,
        folder: &str,
        folder_id: i64,
        missing: Vec<u32>,
        skipped: &mut Vec<Skipped>,
    ) -> Result<usize, SyncError> {
        use std::time::{Duration, Instant};
        let total = missing.len();
        if total == 0 {
            return Ok(0);
        }
        let phase = Instant::now();
        // Chunks read but not yet stored wait here (a chunk's headers are a few MB at most, so
        // memory stays bounded whatever the folder's size). Each is committed in one transaction
        // and reported as done only then, so the list shows what the store has.
        let (sender, mut receiver) = mpsc::channel::<(usize, Vec<NewEnvelope>)>(STORE_BEHIND);
        let store = self.store.clone();
        let progress = self.progress.clone();
        let folder_name = folder.to_owned();
        // Two stages on threads of their own: a chunk's headers are decoded while the store
        // writes the chunk before it (the store is what the header phase waits for). Writes go
        // one at a time, in order; each is reported as soon as it is committed.
        let writer = tokio::spawn(async move {
            type Write = tokio::task::JoinHandle<Result<(usize, Duration), StoreError>>;
            let (mut added, mut done, mut busy) = (0, 0, Duration::ZERO);
            let mut committed = |asked: usize, written| -> Result<(), SyncError> {
                let (count, took) = joined(written, "the mail store")?;
                added += count;
                busy += took;
                done += asked;
                progress(SyncEvent::Envelopes {
                    folder: folder_name.clone(),
                    done,
                    total,
                });
                Ok(())
            };
            let mut writing: Option<(usize, Write)> = None;
            loop {
                let received = match writing.take() {
                    Some((asked, mut write)) => tokio::select! {
                        written = &mut write => {
                            committed(asked, written)?;
                            continue;
                        }
                        received = receiver.recv() => {
                            writing = Some((asked, write));
                            received
                        }
                    },
                    None => receiver.recv().await,
                };
                let Some((asked, envelopes)) = received else {
                    break;
                };
                let prepared = tokio::task::spawn_blocking(move || {
                    Ok::<_, StoreError>(PreparedEnvelopes::new(envelopes))
                })
                .await;
                let prepared = joined(prepared, "decoding headers")?;
                if let Some((asked, write)) = writing.take() {
                    committed(asked, write.await)?;
                }
                let store = store.clone();
                writing = Some((
                    asked,
                    tokio::task::spawn_blocking(move || {
                        let started = Instant::now();
                        let count = store
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .add_prepared_envelopes(folder_id, &prepared)?;
                        Ok((count, started.elapsed()))
                    }),
                ));
            }
            if let Some((asked, write)) = writing {
                committed(asked, write.await)?;
            }
            Ok::<_, SyncError>((added, busy))
        });
        let mut timing = HeaderTiming::default();
        let mut reconnects = Reconnects::default();
        let chunks: Vec<&[u32]> = missing.rchunks(ENVELOPE_CHUNK).collect();
        let beside = if total >= BESIDE_FROM {
            chunks.len() / 2
        } else {
            0
        };
        let (mine, theirs) = chunks.split_at(chunks.len() - beside);
        let uidvalidity = conn.selected_uidvalidity();
        let (mut outcome, left) = tokio::join!(
            self.envelope_chunks(
                conn,
                folder,
                mine,
                &sender,
                skipped,
                &mut reconnects,
                &mut timing
            ),
            self.envelopes_beside(folder, uidvalidity, theirs, &sender),
        );
        let read_beside = theirs.iter().map(|c| c.len()).sum::<usize>() - left.len();
        if outcome.is_ok() && !left.is_empty() {
            let left: Vec<&[u32]> = left.rchunks(ENVELOPE_CHUNK).collect();
            outcome = self
                .envelope_chunks(
                    conn,
                    folder,
                    &left,
                    &sender,
                    skipped,
                    &mut reconnects,
                    &mut timing,
                )
                .await;
        }
        drop(sender);
        let network_ms = phase.elapsed().as_millis() as u64;
        let tail = Instant::now();
        // A store error (disk full) explains a stopped fetch better than the network side does.
        let (added, store_busy) = joined(writer.await, "the mail store")?;
        tracing::debug!(
            total,
            read_beside,
            ms = phase.elapsed().as_millis() as u64,
            network_ms,
            reading_ms = timing.reading.as_millis() as u64,
            blocked_on_store_ms = timing.blocked.as_millis() as u64,
            store_tail_ms = tail.elapsed().as_millis() as u64,
            store_busy_ms = store_busy.as_millis() as u64,
            "fetching headers"
        );
        outcome?;
        Ok(added)
    }

    /// Reads `chunks` of headers (newest first) on `conn` into the store's writer, each chunk's
    /// FETCH sent before the answer to the one before it is read.
    #[allow(clippy::too_many_arguments)]
    async fn envelope_chunks(
        &self,
        conn: &mut Conn,
        folder: &str,
        chunks: &[&[u32]],
        writer: &mpsc::Sender<(usize, Vec<NewEnvelope>)>,
        skipped: &mut Vec<Skipped>,
        reconnects: &mut Reconnects,
        timing: &mut HeaderTiming,
    ) -> Result<(), SyncError> {
        use std::time::Instant;
        // The FETCH already sent for the chunk to be read next.
        let mut ahead = None;
        let mut outcome = Ok(());
        for (at, chunk) in chunks.iter().enumerate() {
            let mut envelopes = Vec::new();
            let asked = Instant::now();
            let fetched = self
                .fetch_envelope_chunk(
                    conn,
                    folder,
                    (chunk, chunks.get(at + 1).copied()),
                    &mut ahead,
                    &mut envelopes,
                    skipped,
                    reconnects,
                )
                .await;
            timing.reading += asked.elapsed();
            // Newest first within the chunk too, so the top of the list fills first.
            envelopes.sort_by_key(|e| std::cmp::Reverse(e.uid));
            // What arrived is committed even when the chunk broke off.
            let waited = Instant::now();
            let sent = writer.send((chunk.len(), envelopes)).await;
            timing.blocked += waited.elapsed();
            if let Err(error) = fetched {
                outcome = Err(error);
                break;
            }
            if sent.is_err() {
                // The writer stopped: its error is returned by the caller.
                break;
            }
        }
        if let Some(tag) = ahead.take() {
            // Stopped early: the answer to the FETCH sent ahead is read and dropped, so the
            // connection stays in step for whatever comes next.
            conn.discard_answer(&tag).await;
        }
        outcome
    }

    /// Reads `chunks` of headers on a second connection of its own, beside the one that syncs:
    /// the server reads its message files for both at once (on a 20,000-message folder the
    /// header phase takes about half as long). Returns the UIDs it did not deliver, ascending,
    /// for the first connection to read: all of them if no second connection could be had (a
    /// server's connection limit) or the folder is not the one the first connection selected.
    /// It never skips a message or reconnects itself: whatever goes wrong here is left to the
    /// first connection, which knows how to.
    async fn envelopes_beside(
        &self,
        folder: &str,
        uidvalidity: Option<u32>,
        chunks: &[&[u32]],
        writer: &mpsc::Sender<(usize, Vec<NewEnvelope>)>,
    ) -> Vec<u32> {
        let mut left: BTreeSet<u32> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        if left.is_empty() {
            return Vec::new();
        }
        let read = async {
            let mut conn = self.open_connection().await.map_err(|e| e.to_string())?;
            let selected = conn
                .examine_reporting(folder)
                .await
                .map_err(|e| e.to_string())?;
            if uidvalidity.is_none() || selected.uidvalidity != uidvalidity {
                return Err("the folder is not the one the sync selected".to_owned());
            }
            let mut ahead = None;
            for (at, chunk) in chunks.iter().enumerate() {
                let tag = match ahead.take() {
                    Some(tag) => tag,
                    None => conn
                        .send_envelope_fetch(chunk)
                        .await
                        .map_err(|e| e.to_string())?,
                };
                if let Some(next) = chunks.get(at + 1) {
                    ahead = Some(
                        conn.send_envelope_fetch(next)
                            .await
                            .map_err(|e| e.to_string())?,
                    );
                }
                let (mut envelopes, mut unreadable) = (Vec::new(), Vec::new());
                let answered = conn
                    .read_envelopes(&tag, &mut envelopes, &mut unreadable)
                    .await;
                // Only what was asked of this connection, once: the rest is the first one's.
                envelopes.retain(|e| left.remove(&e.uid));
                envelopes.sort_by_key(|e| std::cmp::Reverse(e.uid));
                let delivered = envelopes.len();
                if writer.send((delivered, envelopes)).await.is_err() {
                    return Err("the store stopped".to_owned());
                }
                answered.map_err(|e| e.to_string())?;
            }
            conn.logout().await;
            Ok(())
        };
        if let Err(reason) = read.await {
            // A connection that broke or was refused here is dropped, not mended.
            tracing::debug!(
                folder,
                left = left.len(),
                %reason,
                "the second connection stopped reading headers; the first reads the rest"
            );
        }
        left.into_iter().collect()
    }

    /// One chunk of headers, narrowed past messages that break the connection. `ahead` is the
    /// FETCH already sent for `chunk`, if any; before the answer to it is read, the FETCH for
    /// `next` is sent and left in `ahead` (none after a reconnection: the new connection has
    /// nothing outstanding).
    #[allow(clippy::too_many_arguments)]
    async fn fetch_envelope_chunk(
        &self,
        conn: &mut Conn,
        folder: &str,
        (chunk, next): (&[u32], Option<&[u32]>),
        ahead: &mut Option<RequestId>,
        envelopes: &mut Vec<NewEnvelope>,
        skipped: &mut Vec<Skipped>,
        reconnects: &mut Reconnects,
    ) -> Result<(), SyncError> {
        let mut remaining = chunk.to_vec();
        loop {
            let before = envelopes.len();
            let mut unreadable = Vec::new();
            let result = async {
                let tag = match ahead.take() {
                    Some(tag) => tag,
                    None => conn.send_envelope_fetch(&remaining).await?,
                };
                if let Some(next) = next {
                    *ahead = Some(conn.send_envelope_fetch(next).await?);
                }
                conn.read_envelopes(&tag, envelopes, &mut unreadable).await
            }
            .await;
            let mut handled: BTreeSet<u32> = envelopes[before..].iter().map(|e| e.uid).collect();
            let mut bad: Vec<u32> = unreadable
                .iter()
                .flatten()
                .copied()
                .filter(|uid| remaining.contains(uid) && !handled.contains(uid))
                .collect();
            let unnamed = unreadable.iter().filter(|uid| uid.is_none()).count();
            if result.is_ok() && unnamed > 0 {
                // Responses that named no UID: attributable only when exactly that many are missing.
                let missing: Vec<u32> = remaining
                    .iter()
                    .copied()
                    .filter(|uid| !handled.contains(uid) && !bad.contains(uid))
                    .collect();
                if missing.len() == unnamed {
                    bad.extend(missing);
                }
            }
            bad.sort_unstable();
            bad.dedup();
            for uid in bad {
                let reason = "its answer could not be read";
                envelopes.push(placeholder(uid, reason));
                skipped.push(Skipped {
                    folder: folder.to_owned(),
                    uid,
                    body_only: false,
                    reason: reason.into(),
                });
                handled.insert(uid);
            }
            let error = match result {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            let open: Vec<u32> = remaining
                .iter()
                .copied()
                .filter(|uid| !handled.contains(uid))
                .collect();
            if conn.is_broken() {
                // What was sent ahead is gone with this connection (a new one may replace it
                // below). On a connection still in step (a refusal), it is read and dropped by
                // the caller when the error stops the folder.
                *ahead = None;
            }
            let Some((uid, reason)) = self
                .skip_and_reconnect(conn, folder, error, |uid| open.contains(&uid), reconnects)
                .await?
            else {
                remaining = open;
                continue;
            };
            envelopes.push(placeholder(uid, &reason));
            skipped.push(Skipped {
                folder: folder.to_owned(),
                uid,
                body_only: false,
                reason,
            });
            remaining = open.into_iter().filter(|u| *u != uid).collect();
            if remaining.is_empty() {
                return Ok(());
            }
        }
    }

    /// Downloads the bodies the store lacks (within the window), newest first. The network side
    /// streams into a bounded channel; a writer stores batches in transactions meanwhile.
    pub(super) async fn fetch_bodies(
        &self,
        conn: &mut Conn,
        folder: &str,
        folder_id: i64,
        skipped: &mut Vec<Skipped>,
    ) -> Result<(usize, u64), SyncError> {
        let window = self.options.bodies;
        let missing = self
            .db(move |store| store.missing_bodies(folder_id, window))
            .await?;
        if missing.is_empty() {
            return Ok((0, 0));
        }
        let total = missing.len();
        // Three stages run at once: the network side reads (TLS, IMAP parsing), a middle stage
        // shapes each batch for the store, and the writer commits the previous batch. Bounded
        // channels keep memory flat whatever the mailbox size. The decoding for the preview and
        // the search index is not done here: it follows the sync (`index.rs`).
        let (sender, mut receiver) = mpsc::channel::<Downloaded>(1);
        let (decoded_sender, mut decoded_receiver) =
            mpsc::channel::<Result<Vec<PreparedBody>, StoreError>>(1);
        let spool_dir = self.spool_dir.clone();
        // With the store's compression dictionary, or one trained from this pass's first messages.
        let packer = self.db(|store| store.packer()).await?;
        let decoder = tokio::spawn(async move {
            let mut busy = std::time::Duration::ZERO;
            while let Some(downloaded) = receiver.recv().await {
                let started = std::time::Instant::now();
                // A failed task here ends the pass through the writer's closed channel.
                let (spool_dir, packer) = (spool_dir.clone(), packer.clone());
                let Ok(prepared) = tokio::task::spawn_blocking(move || match downloaded {
                    // Stored as they came (compressed where that pays): decoding them for the
                    // list's preview and the search index waits until the sync is done
                    // (`store/index.rs`).
                    Downloaded::Batch(batch) => Ok(compressed_batch(batch, &packer)),
                    Downloaded::Spooled(body) => PreparedBody::spooled_undecoded(body, &spool_dir)
                        .map(|prepared| vec![prepared])
                        .map_err(|source| StoreError::Spool {
                            path: spool_dir,
                            source,
                        }),
                })
                .await
                else {
                    break;
                };
                busy += started.elapsed();
                if decoded_sender.send(prepared).await.is_err() {
                    break;
                }
            }
            tracing::debug!(busy_ms = busy.as_millis() as u64, "compressing bodies");
        });
        let store = self.store.clone();
        let progress = self.progress.clone();
        let folder_name = folder.to_owned();
        let writer = tokio::spawn(async move {
            let (mut stored, mut bytes) = (0usize, 0u64);
            let mut busy = std::time::Duration::ZERO;
            while let Some(batch) = decoded_receiver.recv().await {
                let started = std::time::Instant::now();
                let batch = batch?;
                let batch_bytes: u64 = batch.iter().map(PreparedBody::len).sum();
                let batch_len = batch.len();
                let store = store.clone();
                let written = tokio::task::spawn_blocking(move || {
                    store
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .add_prepared_bodies(folder_id, batch)
                })
                .await;
                joined(written, "storing messages")?;
                busy += started.elapsed();
                stored += batch_len;
                bytes += batch_bytes;
                progress(SyncEvent::Bodies {
                    folder: folder_name.clone(),
                    done: stored,
                    total,
                    bytes,
                });
            }
            tracing::debug!(busy_ms = busy.as_millis() as u64, stored, "writing bodies");
            Ok::<_, SyncError>((stored, bytes))
        });

        // The WAL is copied into the database beside the writer, not by it (`store/checkpoint.rs`).
        let checkpointer = {
            let path = self.store_path.clone();
            tokio::task::spawn_blocking(move || Checkpointer::start(&path))
                .await
                .ok()
        };
        let phase = std::time::Instant::now();
        let mut blocked = std::time::Duration::ZERO;
        let network = async {
            let mut start = 0;
            let mut reconnects = Reconnects::default();
            while start < missing.len() {
                let (uid, size) = missing[start];
                if spooled(size) {
                    start += 1;
                    let bad = match self.spool(conn, uid).await {
                        Ok(Some(body)) => {
                            if sender.send(Downloaded::Spooled(body)).await.is_err() {
                                return Ok(());
                            }
                            continue;
                        }
                        Ok(None) => continue,
                        Err(Spooling::Store(error)) => return Err(error.into()),
                        Err(Spooling::Command(error)) => {
                            let skip = self
                                .skip_and_reconnect(
                                    conn,
                                    folder,
                                    error,
                                    |broken| broken == uid,
                                    &mut reconnects,
                                )
                                .await?;
                            match skip {
                                Some(bad) => bad,
                                None => {
                                    // Again, on the new connection.
                                    start -= 1;
                                    continue;
                                }
                            }
                        }
                    };
                    self.body_skipped(folder, folder_id, bad, skipped).await?;
                    continue;
                }
                // A chunk: up to BODY_CHUNK messages or BODY_CHUNK_BYTES, newest first, up to the
                // next message that is spooled.
                let mut end = start;
                let mut chunk_bytes = 0u64;
                while end < missing.len()
                    && !spooled(missing[end].1)
                    && end - start < BODY_CHUNK
                    && (end == start || chunk_bytes + u64::from(missing[end].1) <= BODY_CHUNK_BYTES)
                {
                    chunk_bytes += u64::from(missing[end].1);
                    end += 1;
                }
                let mut wanted: Vec<(u32, u32)> = missing[start..end].to_vec();
                wanted.sort_unstable();
                start = end;
                while !wanted.is_empty() {
                    let mut handled = BTreeSet::new();
                    let mut bad = Vec::new();
                    let mut batch = Vec::new();
                    let mut batch_bytes = 0;
                    let outcome: Result<(), CommandError> = 'fetch: {
                        let mut bodies = match conn.fetch_bodies(&wanted).await {
                            Ok(bodies) => bodies,
                            Err(error) => break 'fetch Err(error),
                        };
                        loop {
                            match bodies.next().await {
                                Ok(Some(Item::Read(body))) => {
                                    handled.insert(body.uid);
                                    batch_bytes += body.raw.len();
                                    batch.push(body);
                                    if batch.len() >= WRITE_BATCH_COUNT
                                        || batch_bytes >= WRITE_BATCH_BYTES
                                    {
                                        batch_bytes = 0;
                                        let full = Downloaded::Batch(std::mem::take(&mut batch));
                                        let waited = std::time::Instant::now();
                                        let sent = sender.send(full).await;
                                        blocked += waited.elapsed();
                                        if sent.is_err() {
                                            // The writer stopped (its error is returned below).
                                            return Ok(());
                                        }
                                    }
                                }
                                Ok(Some(Item::Unreadable { uid, .. })) => {
                                    if let Some(uid) = uid {
                                        bad.push((uid, "its answer could not be read".to_owned()));
                                    }
                                }
                                Ok(None) => break 'fetch Ok(()),
                                Err(error) => break 'fetch Err(error),
                            }
                        }
                    };
                    // What arrived before a break is kept.
                    if !batch.is_empty() && sender.send(Downloaded::Batch(batch)).await.is_err() {
                        return Ok(());
                    }
                    let finished = outcome.is_ok();
                    if let Err(error) = outcome {
                        let open: Vec<u32> = wanted
                            .iter()
                            .map(|(uid, _)| *uid)
                            .filter(|uid| !handled.contains(uid))
                            .collect();
                        bad.extend(
                            self.skip_and_reconnect(
                                conn,
                                folder,
                                error,
                                |uid| open.contains(&uid),
                                &mut reconnects,
                            )
                            .await?,
                        );
                    }
                    for (uid, reason) in bad {
                        handled.insert(uid);
                        self.body_skipped(folder, folder_id, (uid, reason), skipped)
                            .await?;
                    }
                    if finished {
                        break;
                    }
                    wanted.retain(|(uid, _)| !handled.contains(uid));
                }
            }
            Ok::<_, SyncError>(())
        };
        let network_result = network.await;
        tracing::debug!(
            network_ms = phase.elapsed().as_millis() as u64,
            blocked_ms = blocked.as_millis() as u64,
            "downloading bodies"
        );
        drop(sender);
        let decoded = decoder.await;
        // A store error (disk full) explains a stopped download better than the network side does.
        let written = joined(writer.await, "storing messages")?;
        if decoded.is_err() {
            return Err(SyncError::Internal {
                what: "decoding messages",
            });
        }
        if let Some(checkpointer) = checkpointer {
            // Joining it waits for at most the checkpoint under way.
            let _ = tokio::task::spawn_blocking(move || drop(checkpointer)).await;
        }
        network_result?;
        Ok(written)
    }

    /// Records that the server could not deliver a message's body (it is not asked for again in
    /// the background; opening it tries again).
    async fn body_skipped(
        &self,
        folder: &str,
        folder_id: i64,
        (uid, reason): (u32, String),
        skipped: &mut Vec<Skipped>,
    ) -> Result<(), SyncError> {
        self.db(move |store| store.mark_body_skipped(folder_id, uid))
            .await?;
        skipped.push(Skipped {
            folder: folder.to_owned(),
            uid,
            body_only: true,
            reason,
        });
        Ok(())
    }

    /// Downloads one message's body now (it was outside the background window, or not reached
    /// yet, or the background pass could not get it) and stores it; read it from the store then.
    /// A message too big to hold whole (by its RFC822.SIZE, or of unknown size) comes as the
    /// background pass downloads it: in pieces into a temporary file beside the store, copied
    /// into the store from there, so opening a 30 MB message costs no more memory than syncing it.
    pub async fn fetch_body_now(&self, message_id: i64) -> Result<(), SyncError> {
        if let Some(graph) = self.reading_graph() {
            return self.graph_fetch_body_now(graph, message_id).await;
        }
        let location = self
            .db(move |store| {
                let summary = store
                    .message(message_id)?
                    .ok_or(StoreError::NoSuchMessage(message_id))?;
                let (_, folder) = store.message_location(message_id)?;
                Ok((summary.folder_id, summary.uid, summary.size, folder))
            })
            .await?;
        let (folder_id, Some(uid), size, folder) = location else {
            return Err(SyncError::Gone);
        };
        let mut conn = self.connect().await?;
        conn.examine(&folder).await?;
        let downloaded = if spooled(size) {
            self.spool(&mut conn, uid)
                .await
                .map(|body| body.map(Downloaded::Spooled))
                .map_err(|error| match error {
                    Spooling::Command(error) => SyncError::from(error),
                    Spooling::Store(error) => SyncError::from(error),
                })
        } else {
            Self::fetch_whole(&mut conn, uid, size)
                .await
                .map(|body| body.map(|body| Downloaded::Batch(vec![body])))
        };
        conn.logout().await;
        match downloaded?.ok_or(SyncError::Gone)? {
            // Decoded for the preview and the index now (the person is opening it).
            Downloaded::Batch(bodies) => {
                self.db(move |store| store.add_bodies(folder_id, &bodies))
                    .await?;
            }
            Downloaded::Spooled(body) => {
                let dir = self.spool_dir.clone();
                let prepared = tokio::task::spawn_blocking(move || {
                    PreparedBody::spooled(body, &dir)
                        .map_err(|source| StoreError::Spool { path: dir, source })
                })
                .await;
                let prepared = joined(prepared, "storing the message")?;
                self.db(move |store| store.add_prepared_bodies(folder_id, vec![prepared]))
                    .await?;
            }
        }
        Ok(())
    }

    /// One message small enough to hold whole, in one FETCH. `Ok(None)`: the server sent nothing
    /// for it (it was expunged meanwhile).
    async fn fetch_whole(
        conn: &mut Conn,
        uid: u32,
        size: u32,
    ) -> Result<Option<NewBody>, SyncError> {
        let mut found = None;
        let mut unreadable = false;
        let mut bodies = conn.fetch_bodies(&[(uid, size)]).await?;
        while let Some(item) = bodies.next().await? {
            match item {
                Item::Read(body) if body.uid == uid => found = Some(body),
                Item::Read(_) => {}
                Item::Unreadable { .. } => unreadable = true,
            }
        }
        if found.is_none() && unreadable {
            return Err(SyncError::Unreadable {
                host: conn.host().to_owned(),
                uid: Some(uid),
            });
        }
        Ok(found)
    }
}
