//! How a message's bytes are packed in `bodies` (`bodies.format`), and the store's compression
//! dictionary.
//!
//! Mail repeats itself from one message to the next — header names, the same senders, mailers
//! and boundaries, signatures, the markup of a newsletter — but one message alone is too short for
//! zstd to learn that. A dictionary trained from the account's first messages gives every later
//! message that knowledge up front (figures at [`DICTIONARY_LEVEL`]).
//!
//! **Versions.** Every frame made with a dictionary carries the dictionary's id (zstd writes it in
//! the frame header); `dictionaries` keeps each dictionary under that id and is only ever added
//! to, so a row packed with any dictionary this store ever had stays readable, and rows packed
//! before it had one (formats 0 and 1) are read as before. A frame naming a dictionary the store
//! lacks, or a format this version does not know (a newer Tayori's), is a clear error, never
//! bytes passed off as the message.
//!
//! **Crash safety.** A dictionary is written in the same transaction as the first message packed
//! with it (`Store::add_prepared_bodies`), so no committed row ever names a dictionary that is
//! not there; a sync killed while training simply trains again next time.

use std::sync::{Arc, Mutex, OnceLock};

use zstd::zstd_safe;

/// `bodies.format`: the bytes exactly as the server sent them.
pub(super) const AS_SENT: i64 = 0;
/// One zstd frame, without a dictionary (the rows stored before the store had one, and big
/// messages compressed from file to file).
pub(super) const ZSTD: i64 = 1;
/// One zstd frame made with a dictionary of `dictionaries`, named by its id in the frame.
pub(super) const ZSTD_DICTIONARY: i64 = 2;

/// zstd's fast end for messages packed without a dictionary.
pub(super) const ZSTD_LEVEL: i32 = 1;
/// The level for messages packed with the dictionary. Measured on the bench mail (20,000
/// messages, 424.7 MB; one thread, a loaded 2-core machine, two runs): without a dictionary level 1
/// keeps 0.626 of the mail in 4.2–6.5 s; with one, level 1 0.609 in 5.2–6.0 s, level 2 0.602 in
/// 5.7–6.0 s, level 3 0.594 in 6.8 s. Compression is the stage the download waits for, so the
/// level that costs about what today's does.
const DICTIONARY_LEVEL: i32 = 2;
/// Below this a message is kept as it is (a frame's header and the lost CPU buy nothing).
pub(super) const COMPRESS_ABOVE: usize = 512;

/// The dictionary's size: zstd's own default (its trainer's recommendation for a corpus of small
/// documents); a bigger one learned little more on the bench mail.
const DICTIONARY_BYTES: usize = 112 * 1024;
/// How many of the account's first messages it is trained from, and how much of each: the start
/// of a message (its header and the first of its text) is what repeats; attachments further on
/// teach nothing. These bounds keep the training itself to a fraction of a second.
pub(super) const TRAINING_MESSAGES: usize = 400;
pub(super) const TRAINING_BYTES_EACH: usize = 6 * 1024;
/// Fewer messages than this teach too little (zstd's trainer refuses a very small corpus).
const TRAINING_MINIMUM: usize = 100;

/// A dictionary, prepared once for compression.
pub(super) struct Dictionary {
    /// zstd's id of the dictionary (in every frame made with it): its `dictionaries.id`.
    pub(super) id: u32,
    pub(super) bytes: Vec<u8>,
    compress: zstd_safe::CDict<'static>,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dictionary({}, {} bytes)", self.id, self.bytes.len())
    }
}

impl std::fmt::Debug for Packer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Packer")
    }
}

impl Dictionary {
    /// `bytes` (a trained dictionary, which names itself), prepared for compression.
    pub(super) fn new(bytes: Vec<u8>) -> Option<Dictionary> {
        let id = zstd_safe::get_dict_id_from_dict(&bytes)?.get();
        let compress = zstd_safe::create_cdict(&bytes, DICTIONARY_LEVEL);
        Some(Dictionary {
            id,
            bytes,
            compress,
        })
    }

    /// A dictionary trained from `samples` (the starts of messages), if zstd's trainer could make
    /// one of them.
    fn train(samples: &Samples) -> Option<Dictionary> {
        let started = std::time::Instant::now();
        let bytes =
            zstd::dict::from_continuous(&samples.bytes, &samples.sizes, DICTIONARY_BYTES).ok()?;
        tracing::debug!(
            samples = samples.sizes.len(),
            sample_bytes = samples.bytes.len(),
            dictionary_bytes = bytes.len(),
            ms = started.elapsed().as_millis() as u64,
            "trained the store's compression dictionary"
        );
        Dictionary::new(bytes)
    }
}

/// The starts of the first messages packed, for training.
#[derive(Default)]
struct Samples {
    bytes: Vec<u8>,
    sizes: Vec<usize>,
}

/// Packs the messages of a sync for the store: with the store's dictionary when it has one; else
/// the first [`TRAINING_MESSAGES`] are packed without one, a dictionary is trained from them, and
/// every message after is packed with it. Cloned into each compressing thread (they share one
/// training).
#[derive(Clone)]
pub struct Packer(Arc<PackerState>);

struct PackerState {
    dictionary: OnceLock<Option<Arc<Dictionary>>>,
    /// Collected until there are enough to train from (`None` once the training is done or not
    /// needed).
    samples: Mutex<Option<Samples>>,
}

/// A message's bytes as the store keeps them.
pub(super) struct Packed {
    pub(super) bytes: Vec<u8>,
    pub(super) format: i64,
    /// The dictionary of a [`ZSTD_DICTIONARY`] frame, saved with the first message that uses it.
    pub(super) dictionary: Option<Arc<Dictionary>>,
}

impl Packer {
    /// A packer with `dictionary` (the store's), or one that trains its own.
    pub(super) fn new(dictionary: Option<Arc<Dictionary>>) -> Packer {
        let state = PackerState {
            dictionary: OnceLock::new(),
            samples: Mutex::new(dictionary.is_none().then(Samples::default)),
        };
        if dictionary.is_some() {
            let _ = state.dictionary.set(dictionary);
        }
        Packer(Arc::new(state))
    }

    /// A packer with a dictionary trained from `heads` (the starts of messages already stored),
    /// or, if none could be trained from them, one that trains its own.
    pub(super) fn trained_from(heads: &[Vec<u8>]) -> Packer {
        let mut samples = Samples::default();
        for head in heads {
            let start = &head[..head.len().min(TRAINING_BYTES_EACH)];
            samples.bytes.extend_from_slice(start);
            samples.sizes.push(start.len());
        }
        let trained = (samples.sizes.len() >= TRAINING_MINIMUM)
            .then(|| Dictionary::train(&samples))
            .flatten();
        Packer::new(trained.map(Arc::new))
    }

    /// A packer that uses `dictionary` if there is one and never trains (for a message or two
    /// stored on their own).
    pub(super) fn without_training(dictionary: Option<Arc<Dictionary>>) -> Packer {
        let state = PackerState {
            dictionary: OnceLock::new(),
            samples: Mutex::new(None),
        };
        let _ = state.dictionary.set(dictionary);
        Packer(Arc::new(state))
    }

    /// The dictionary to pack with now, if any; `raw` counts towards the training while there is
    /// none (and the message that completes the samples trains it, on this thread).
    fn dictionary_for(&self, raw: &[u8]) -> Option<Arc<Dictionary>> {
        if let Some(dictionary) = self.0.dictionary.get() {
            return dictionary.clone();
        }
        let full = {
            let mut samples = self.0.samples.lock().unwrap_or_else(|p| p.into_inner());
            let Some(collected) = samples.as_mut() else {
                return self.0.dictionary.get().cloned().flatten();
            };
            let start = &raw[..raw.len().min(TRAINING_BYTES_EACH)];
            collected.bytes.extend_from_slice(start);
            collected.sizes.push(start.len());
            if collected.sizes.len() < TRAINING_MESSAGES {
                return None;
            }
            samples.take()
        };
        // The other threads pack without a dictionary meanwhile (they find no samples to add to).
        let trained = full
            .filter(|samples| samples.sizes.len() >= TRAINING_MINIMUM)
            .and_then(|samples| Dictionary::train(&samples))
            .map(Arc::new);
        let _ = self.0.dictionary.set(trained);
        self.0.dictionary.get().cloned().flatten()
    }

    /// `raw` packed: compressed (with the dictionary once there is one) if that saves at least a
    /// sixteenth, else as it is.
    pub(super) fn pack(&self, raw: Vec<u8>) -> Packed {
        if raw.len() < COMPRESS_ABOVE {
            return Packed::as_sent(raw);
        }
        let dictionary = self.dictionary_for(&raw);
        match compressed(&raw, dictionary.as_deref()) {
            Some(bytes) => Packed {
                bytes,
                format: if dictionary.is_some() {
                    ZSTD_DICTIONARY
                } else {
                    ZSTD
                },
                dictionary,
            },
            None => Packed::as_sent(raw),
        }
    }
}

impl Packed {
    fn as_sent(raw: Vec<u8>) -> Packed {
        Packed {
            bytes: raw,
            format: AS_SENT,
            dictionary: None,
        }
    }
}

/// `raw` compressed (with `dictionary`, if given), if that saves at least a sixteenth. Each thread
/// keeps one compression context (a new one per message would allocate and free its tables every
/// time, and the sync's peak memory shows it); the result holds no more memory than it needs.
fn compressed(raw: &[u8], dictionary: Option<&Dictionary>) -> Option<Vec<u8>> {
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<zstd_safe::CCtx<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    let limit = raw.len() - raw.len() / 16;
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = zstd_safe::CCtx::try_create();
        }
        let context = cell.as_mut()?;
        // A buffer of the size that pays: a frame that does not fit is not worth keeping.
        let mut packed = Vec::with_capacity(limit);
        let written = match dictionary {
            Some(dictionary) => {
                context.compress_using_cdict(&mut packed, raw, &dictionary.compress)
            }
            None => context.compress(&mut packed, raw, ZSTD_LEVEL),
        };
        written.ok()?;
        packed.shrink_to_fit();
        (packed.len() < limit).then_some(packed)
    })
}

/// Why stored bytes could not be unpacked.
#[derive(Debug)]
pub(super) enum Unpacking {
    /// A format this version does not know (written by a newer Tayori).
    NewerFormat(i64),
    /// A frame made with a dictionary the store does not have (or that names none).
    MissingDictionary(u32),
    /// The bytes are not what their format says (damaged).
    Damaged(String),
}

/// The dictionaries a store's reader has prepared for decompression, by id.
#[derive(Default)]
pub(super) struct Decoders(Mutex<std::collections::HashMap<u32, Arc<zstd_safe::DDict<'static>>>>);

impl Decoders {
    /// The message's bytes from what `bodies` holds; `load(id)` reads a dictionary's bytes from
    /// the store the first time one is needed.
    pub(super) fn unpack(
        &self,
        stored: Vec<u8>,
        format: i64,
        load: impl FnOnce(u32) -> Result<Option<Vec<u8>>, Unpacking>,
    ) -> Result<Vec<u8>, Unpacking> {
        match format {
            AS_SENT => Ok(stored),
            ZSTD => zstd::stream::decode_all(&stored[..])
                .map_err(|error| Unpacking::Damaged(error.to_string())),
            ZSTD_DICTIONARY => {
                let id = zstd_safe::get_dict_id_from_frame(&stored)
                    .ok_or(Unpacking::MissingDictionary(0))?
                    .get();
                let dictionary = self.dictionary(id, load)?;
                let size = match zstd_safe::get_frame_content_size(&stored) {
                    Ok(Some(size)) => size,
                    _ => return Err(Unpacking::Damaged("the frame has no size".into())),
                };
                let size = usize::try_from(size)
                    .map_err(|_| Unpacking::Damaged("the frame's size is impossible".into()))?;
                let mut context = zstd_safe::DCtx::try_create()
                    .ok_or_else(|| Unpacking::Damaged("out of memory".into()))?;
                let mut raw = Vec::new();
                raw.try_reserve_exact(size)
                    .map_err(|_| Unpacking::Damaged("the frame's size is impossible".into()))?;
                context
                    .decompress_using_ddict(&mut raw, &stored, &dictionary)
                    .map_err(|code| Unpacking::Damaged(zstd_safe::get_error_name(code).into()))?;
                Ok(raw)
            }
            other => Err(Unpacking::NewerFormat(other)),
        }
    }

    fn dictionary(
        &self,
        id: u32,
        load: impl FnOnce(u32) -> Result<Option<Vec<u8>>, Unpacking>,
    ) -> Result<Arc<zstd_safe::DDict<'static>>, Unpacking> {
        if let Some(known) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(known.clone());
        }
        let bytes = load(id)?.ok_or(Unpacking::MissingDictionary(id))?;
        if zstd_safe::get_dict_id_from_dict(&bytes).map(|n| n.get()) != Some(id) {
            return Err(Unpacking::MissingDictionary(id));
        }
        let prepared = Arc::new(zstd_safe::create_ddict(&bytes));
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, prepared.clone());
        Ok(prepared)
    }
}

impl std::fmt::Debug for Decoders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decoders")
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::*;

    /// A mailbox of `count` varied messages (seeded): newsletters, notifications and replies from
    /// a handful of senders and mailers, some in Japanese — what a dictionary can learn from.
    fn mailbox(count: u32) -> Vec<(NewEnvelope, NewBody)> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let senders = [
            "Taro <taro@example.jp>",
            "GitLab <gitlab@example.com>",
            "花子 <hanako@example.jp>",
            "News <news@lists.example.org>",
        ];
        let words = [
            "meeting", "invoice", "release", "budget", "review", "会議", "資料", "確認",
            "schedule", "pipeline", "merge", "request", "approved", "failed",
        ];
        (1..=count)
            .map(|uid| {
                let sender = senders[next(senders.len())];
                let mut text = String::new();
                for _ in 0..(20 + next(200)) {
                    text.push_str(words[next(words.len())]);
                    text.push(if next(12) == 0 { '\n' } else { ' ' });
                }
                let raw = format!(
                    "Return-Path: <bounce@example.com>\r\nReceived: from mx{}.example.com (mx.example.com [192.0.2.{}])\r\n\tby mail.example.test with ESMTPS id {uid:08x}\r\n\
                     From: {sender}\r\nTo: alice@example.test\r\nSubject: [project] {} #{uid}\r\n\
                     Message-ID: <{uid}.{}@example.com>\r\nDate: Mon, 2 Nov 2026 10:{:02}:00 +0900\r\n\
                     MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\
                     X-Mailer: Example Mailer 4.2\r\nList-Unsubscribe: <https://lists.example.org/unsubscribe?id={uid}>\r\n\r\n\
                     {text}\r\n-- \r\nYou are receiving this because you are subscribed to this thread.\r\nReply to this email directly or view it on the web.\r\n",
                    next(9), next(250), words[next(words.len())], next(1_000_000), next(60)
                );
                envelope_and_body(uid, raw)
            })
            .collect()
    }

    fn formats(store: &Store) -> Vec<(i64, i64)> {
        store
            .conn
            .prepare("SELECT format, length(raw) FROM bodies ORDER BY stored_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn id_of(store: &Store, folder: i64, uid: u32) -> i64 {
        store
            .conn
            .query_row(
                "SELECT id FROM messages WHERE folder_id = ?1 AND uid = ?2",
                rusqlite::params![folder, uid],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// Stores `mail` as the sync does: packed by one packer, in batches.
    fn sync_into(store: &mut Store, folder: i64, mail: &[(NewEnvelope, NewBody)]) {
        let envelopes: Vec<NewEnvelope> = mail.iter().map(|(e, _)| e.clone()).collect();
        store.add_envelopes(folder, &envelopes).unwrap();
        let packer = store.packer().unwrap();
        for batch in mail.chunks(64) {
            let prepared = batch
                .iter()
                .map(|(_, body)| packer.undecoded(body.clone()))
                .collect();
            store.add_prepared_bodies(folder, prepared).unwrap();
        }
    }

    #[test]
    fn a_dictionary_trained_from_the_first_messages_packs_the_rest_smaller_and_byte_exact() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let count = TRAINING_MESSAGES as u32 + 300;
        let mail = mailbox(count);
        sync_into(&mut store, inbox, &mail);

        let formats = formats(&store);
        assert_eq!(formats.len(), count as usize);
        // The message that completes the samples is the first packed with the dictionary.
        let (before, after) = formats.split_at(TRAINING_MESSAGES - 1);
        assert!(before.iter().all(|(f, _)| *f == ZSTD), "{before:?}");
        assert!(
            after.iter().all(|(f, _)| *f == ZSTD_DICTIONARY),
            "{after:?}"
        );
        let dictionaries: Vec<i64> = store
            .conn
            .prepare("SELECT id FROM dictionaries")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            dictionaries.len(),
            1,
            "one dictionary, saved with its first message"
        );
        // Smaller than the same messages packed alone.
        let with: i64 = after.iter().map(|(_, len)| len).sum();
        let without: usize = mail[TRAINING_MESSAGES - 1..]
            .iter()
            .map(|(_, body)| zstd::bulk::compress(&body.raw, ZSTD_LEVEL).unwrap().len())
            .sum();
        assert!(
            (with as f64) < without as f64 * 0.8,
            "with the dictionary {with} bytes, without {without}"
        );
        // Every message back byte for byte, from a new connection too (the dictionary is read
        // from the store), and its text still found by the indexer.
        drop(store);
        let mut store = Store::open(&_dir.path().join("mail.sqlite3")).unwrap();
        for (envelope, body) in &mail {
            let raw = store
                .message_raw(id_of(&store, inbox, envelope.uid))
                .unwrap();
            assert_eq!(raw.as_ref(), Some(&body.raw), "UID {}", envelope.uid);
        }
        let stop = std::sync::atomic::AtomicBool::new(false);
        assert_eq!(
            store.build_index(&stop, &mut |_, _| {}).unwrap(),
            count as usize
        );
        assert!(!store.search("pipeline", 1000).unwrap().is_empty());

        // The next sync packs with the store's dictionary from its first message, and trains no
        // other.
        let more: Vec<_> = mailbox(count + 20)
            .into_iter()
            .skip(count as usize)
            .collect();
        sync_into(&mut store, inbox, &more);
        let formats = self::formats(&store);
        assert!(
            formats[count as usize..]
                .iter()
                .all(|(f, _)| *f == ZSTD_DICTIONARY)
        );
        let dictionaries: i64 = store
            .conn
            .query_row("SELECT count(*) FROM dictionaries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(dictionaries, 1);
    }

    #[test]
    fn a_missing_dictionary_or_a_newer_format_is_a_clear_error_and_older_rows_still_read() {
        let (dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let mail = mailbox(TRAINING_MESSAGES as u32 + 10);
        sync_into(&mut store, inbox, &mail);
        let packed_alone = id_of(&store, inbox, 1);
        let with_dictionary = id_of(&store, inbox, mail.len() as u32);
        let dictionary: i64 = store
            .conn
            .query_row("SELECT id FROM dictionaries", [], |r| r.get(0))
            .unwrap();
        // The dictionary gone (a damaged or edited file): the message says which one it needs.
        store.conn.execute("DELETE FROM dictionaries", []).unwrap();
        drop(store);
        let store = Store::open(&dir.path().join("mail.sqlite3")).unwrap();
        let error = store.message_raw(with_dictionary).unwrap_err();
        assert!(
            matches!(error, StoreError::MissingDictionary { dictionary: d, .. } if i64::from(d) == dictionary),
            "{error}"
        );
        assert!(error.to_string().contains("sync again"), "{error}");
        // Another dictionary under its id is not taken for it.
        store
            .conn
            .execute(
                "INSERT INTO dictionaries (id, bytes, created_at) VALUES (?1, x'37a430ec01000000', 0)",
                [dictionary],
            )
            .unwrap();
        assert!(matches!(
            Store::open(&dir.path().join("mail.sqlite3"))
                .unwrap()
                .message_raw(with_dictionary),
            Err(StoreError::MissingDictionary { .. })
        ));
        // Rows packed before the dictionary read as before.
        assert_eq!(
            store.message_raw(packed_alone).unwrap().as_ref(),
            Some(&mail[0].1.raw)
        );
        // A format from a newer Tayori is not passed off as the message.
        store
            .conn
            .execute(
                "UPDATE bodies SET format = 9 WHERE stored_id = (SELECT stored_id FROM messages WHERE id = ?1)",
                [packed_alone],
            )
            .unwrap();
        let error = store.message_raw(packed_alone).unwrap_err();
        assert!(
            matches!(error, StoreError::NewerFormat { format: 9, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("Update Tayori"), "{error}");
    }

    #[test]
    fn a_store_without_dictionaries_is_migrated_with_every_message_byte_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.sqlite3");
        let mail = mailbox(TRAINING_MESSAGES as u32 + 40);
        {
            // Schema 7, as the Tayori before this one wrote it: rows as sent and single frames.
            let previous = crate::sqlite::Database {
                migrations: &super::super::migrations::MIGRATIONS[..7],
                ..super::super::DATABASE
            };
            let mut old = Store {
                conn: previous.open(&path).unwrap(),
                path: path.clone(),
                decoders: Default::default(),
            };
            let (_, inbox, _) = setup(&mut old);
            let envelopes: Vec<NewEnvelope> = mail.iter().map(|(e, _)| e.clone()).collect();
            // Today's add_envelopes queues the header fields for the indexer (schema 10): the
            // old store is lent the queue for the fill, and the queue goes again.
            old.conn
                .execute_batch("CREATE TABLE index_queue (key INTEGER PRIMARY KEY)")
                .unwrap();
            old.add_envelopes(inbox, &envelopes).unwrap();
            old.conn.execute_batch("DROP TABLE index_queue").unwrap();
            for (i, (_, body)) in mail.iter().enumerate() {
                let (bytes, format) = if i % 2 == 0 {
                    (body.raw.clone(), AS_SENT)
                } else {
                    (zstd::bulk::compress(&body.raw, 1).unwrap(), ZSTD)
                };
                old.conn
                    .execute(
                        "INSERT INTO bodies (stored_id, raw, format, size)
                         SELECT stored_id, ?2, ?3, ?4 FROM messages WHERE uid = ?1",
                        rusqlite::params![body.uid, bytes, format, body.raw.len() as i64],
                    )
                    .unwrap();
            }
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            super::super::migrations::MIGRATIONS.len() as i64
        );
        let inbox = store
            .folder_by_name("alice@example.test", "INBOX")
            .unwrap()
            .unwrap()
            .id;
        for (envelope, body) in &mail {
            let raw = store
                .message_raw(id_of(&store, inbox, envelope.uid))
                .unwrap();
            assert_eq!(raw.as_ref(), Some(&body.raw), "UID {}", envelope.uid);
        }
        // New mail beside them is packed from its first message with a dictionary trained from
        // the newest of them; the old rows are untouched.
        let more: Vec<_> = mailbox(mail.len() as u32 + 20)
            .into_iter()
            .skip(mail.len())
            .collect();
        sync_into(&mut store, inbox, &more);
        let formats = formats(&store);
        assert!(
            formats[mail.len()..]
                .iter()
                .all(|(f, _)| *f == ZSTD_DICTIONARY),
            "{formats:?}"
        );
        for (envelope, body) in mail.iter().chain(&more) {
            let raw = store
                .message_raw(id_of(&store, inbox, envelope.uid))
                .unwrap();
            assert_eq!(raw.as_ref(), Some(&body.raw), "UID {}", envelope.uid);
        }
    }
}
