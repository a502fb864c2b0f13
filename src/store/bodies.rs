//! Whole messages: the raw bytes exactly as the server sent them (`bodies` table), decoded once for
//! the list's preview, the attachment mark and the full-text index, and which ones are still to be
//! downloaded within the window the settings choose.

use rusqlite::{OptionalExtension, params};

use super::messages::address_text;
use super::search::search_key;
use super::{Store, StoreError, fts, now, sqlite};
use crate::mime;

/// A whole message from the server.
#[derive(Debug, Clone)]
pub struct NewBody {
    pub uid: u32,
    pub raw: Vec<u8>,
}

/// A whole message too big to hold in memory, downloaded piece by piece into a temporary file
/// (unnamed where the system allows, so a killed sync leaves nothing behind).
#[derive(Debug)]
pub struct SpooledBody {
    pub uid: u32,
    pub file: std::fs::File,
    pub len: u64,
}

/// How much of a spooled message is decoded for the list's preview and the search index: the
/// headers and text come first in real mail; what follows is attachments.
const SPOOLED_DECODED: u64 = 1024 * 1024;
/// How much of a spooled message is copied into the store at a time.
const SPOOL_COPY: usize = 256 * 1024;

/// A message's bytes: in memory, or in a temporary file.
#[derive(Debug)]
enum Raw {
    Inline(Vec<u8>),
    Spooled { file: std::fs::File, len: u64 },
}

use super::packing::{AS_SENT, Dictionary, Packer, Unpacking, ZSTD, ZSTD_LEVEL};

/// A spooled message's bytes as the store keeps them: compressed from file to file (a temporary
/// file in `dir`) when that saves a sixteenth, else the file as it is.
fn packed_spool(
    mut file: std::fs::File,
    len: u64,
    dir: &std::path::Path,
) -> std::io::Result<(Raw, i64)> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(0))?;
    let mut packed = tempfile::tempfile_in(dir)?;
    let mut encoder = zstd::stream::write::Encoder::new(&mut packed, ZSTD_LEVEL)?;
    std::io::copy(&mut file, &mut encoder)?;
    encoder.finish()?;
    let packed_len = packed.stream_position()?;
    Ok(if packed_len < len - len / 16 {
        (
            Raw::Spooled {
                file: packed,
                len: packed_len,
            },
            ZSTD,
        )
    } else {
        (Raw::Spooled { file, len }, AS_SENT)
    })
}

/// A downloaded message decoded and shaped for the index — CPU work that needs no database, done
/// before the store is locked — or, from [`PreparedBody::undecoded`], its bytes alone: the sync
/// stores those, and the index is built afterwards (`index.rs`).
#[derive(Debug)]
pub struct PreparedBody {
    uid: u32,
    raw: Raw,
    /// `raw`'s format (`bodies.format`) and the message's own size.
    format: i64,
    /// The dictionary `raw` was compressed with (saved with the first message that uses it).
    dictionary: Option<std::sync::Arc<Dictionary>>,
    size: u64,
    /// Whether the fields below were decoded (else the message waits for the indexer).
    decoded: bool,
    pub(super) parse_ok: bool,
    pub(super) subject: Option<String>,
    pub(super) has_attachments: bool,
    pub(super) preview: String,
    index_subject: String,
    index_addresses: String,
    index_body: String,
}

impl PreparedBody {
    /// A message decoded for the index and packed without a dictionary (see
    /// [`Packer::decoded`] for one packed as the store's others are).
    pub fn new(body: NewBody) -> PreparedBody {
        Packer::without_training(None).decoded(body)
    }

    /// A message stored as it arrived (compressed where that pays, without a dictionary; the sync
    /// uses [`Packer::undecoded`]), decoded and indexed later by [`Store::build_index`].
    pub fn undecoded(body: NewBody) -> PreparedBody {
        Packer::without_training(None).undecoded(body)
    }

    fn packed_with(mut self, packer: &Packer, raw: Vec<u8>) -> PreparedBody {
        self.size = raw.len() as u64;
        let packed = packer.pack(raw);
        self.raw = Raw::Inline(packed.bytes);
        self.format = packed.format;
        self.dictionary = packed.dictionary;
        self
    }

    /// [`PreparedBody::undecoded`] for a spooled message (compressed from file to file in `dir`
    /// where that pays, then copied into the store piece by piece).
    pub fn spooled_undecoded(
        body: SpooledBody,
        dir: &std::path::Path,
    ) -> std::io::Result<PreparedBody> {
        let mut prepared = PreparedBody::waiting(body.uid);
        prepared.size = body.len;
        (prepared.raw, prepared.format) = packed_spool(body.file, body.len, dir)?;
        Ok(prepared)
    }

    fn waiting(uid: u32) -> PreparedBody {
        PreparedBody {
            uid,
            raw: Raw::Inline(Vec::new()),
            format: AS_SENT,
            dictionary: None,
            size: 0,
            decoded: false,
            parse_ok: false,
            subject: None,
            has_attachments: false,
            preview: String::new(),
            index_subject: String::new(),
            index_addresses: String::new(),
            index_body: String::new(),
        }
    }

    /// The stored message's first bytes ([`head_of_raw`]) decoded for the index.
    pub(super) fn decode_head(head: &[u8]) -> PreparedBody {
        PreparedBody::decoded(0, head)
    }

    /// The subject, addresses and text as they went into the search index.
    pub(super) fn index_fields(&self) -> [&str; 3] {
        [&self.index_subject, &self.index_addresses, &self.index_body]
    }

    /// A spooled message: its first [`SPOOLED_DECODED`] bytes are decoded (a bigger message is
    /// never held whole); it is compressed from file to file (a temporary file in `dir`, beside
    /// the store) when that pays, and the store copies the file into the database piece by piece.
    pub fn spooled(body: SpooledBody, dir: &std::path::Path) -> std::io::Result<PreparedBody> {
        use std::io::{Read, Seek};
        let mut file = body.file;
        file.seek(std::io::SeekFrom::Start(0))?;
        let mut head = Vec::with_capacity(body.len.min(SPOOLED_DECODED) as usize);
        (&mut file).take(SPOOLED_DECODED).read_to_end(&mut head)?;
        let mut prepared = PreparedBody::decoded(body.uid, &head);
        prepared.size = body.len;
        (prepared.raw, prepared.format) = packed_spool(file, body.len, dir)?;
        Ok(prepared)
    }

    /// Decodes `raw` (the raw bytes are set by the caller).
    fn decoded(uid: u32, raw: &[u8]) -> PreparedBody {
        // The bytes are the network's: a panic while decoding them (the last fence; none is known)
        // costs this message its decoding — it is kept raw and marked — not the sync.
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let decoded = mime::decode_for_index(raw);
            let text = decoded.text.as_deref().unwrap_or("");
            (
                decoded.parse_ok,
                !decoded.attachments.is_empty(),
                preview_of(text),
                fts::index_text(decoded.subject.as_deref().unwrap_or("")),
                fts::index_text(&address_text(&decoded)),
                fts::index_text(text),
                decoded.subject.clone(),
            )
        }));
        let Ok((parse_ok, has_attachments, preview, subject_text, addresses, text, subject)) =
            decoded
        else {
            tracing::warn!(uid, "decoding a message failed; kept raw");
            return PreparedBody {
                uid,
                raw: Raw::Inline(Vec::new()),
                format: AS_SENT,
                dictionary: None,
                size: 0,
                decoded: true,
                parse_ok: false,
                subject: None,
                has_attachments: false,
                preview: String::new(),
                index_subject: String::new(),
                index_addresses: String::new(),
                index_body: String::new(),
            };
        };
        PreparedBody {
            uid,
            parse_ok,
            has_attachments,
            preview,
            index_subject: subject_text,
            index_addresses: addresses,
            index_body: text,
            subject,
            raw: Raw::Inline(Vec::new()),
            format: AS_SENT,
            dictionary: None,
            size: 0,
            decoded: true,
        }
    }

    /// The message's size (as downloaded, whatever the store keeps).
    pub fn len(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Packer {
    /// [`PreparedBody::undecoded`], packed as the store's messages are (with its dictionary).
    pub fn undecoded(&self, body: NewBody) -> PreparedBody {
        PreparedBody::waiting(body.uid).packed_with(self, body.raw)
    }

    /// [`PreparedBody::new`], packed as the store's messages are (with its dictionary).
    pub fn decoded(&self, body: NewBody) -> PreparedBody {
        PreparedBody::decoded(body.uid, &body.raw).packed_with(self, body.raw)
    }
}

/// Which bodies to download in the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyWindow {
    All,
    /// Messages dated within the last N days (older ones are fetched when opened).
    Days(u32),
}

/// The longest preview, in characters.
const PREVIEW_CHARS: usize = 200;

/// A short one-line preview from the body text: whole words up to about 160 characters, and never
/// more than [`PREVIEW_CHARS`] (a single "word" of a megabyte — base64 pasted as text, a line of
/// dashes — is cut with an ellipsis).
fn preview_of(text: &str) -> String {
    let mut preview = String::with_capacity(PREVIEW_CHARS + 4);
    let mut count = 0;
    for word in text
        .lines()
        .filter(|line| !line.trim_start().starts_with('>'))
        .flat_map(str::split_whitespace)
    {
        if count > 160 {
            break;
        }
        if !preview.is_empty() {
            preview.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= PREVIEW_CHARS {
                preview.push('…');
                return preview;
            }
            preview.push(c);
            count += 1;
        }
    }
    preview
}

impl Store {
    /// The message's raw RFC 5322 bytes, when downloaded.
    pub fn message_raw(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row(
                "SELECT b.raw, b.format FROM messages m JOIN bodies b ON b.stored_id = m.stored_id
                 WHERE m.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?
            .map(|(stored, format)| self.unpacked(stored, format))
            .transpose()
    }

    /// The message's bytes from what `bodies` holds (`stored`, packed as `format` says).
    pub(super) fn unpacked(&self, stored: Vec<u8>, format: i64) -> Result<Vec<u8>, StoreError> {
        self.decoders
            .unpack(stored, format, |id| {
                self.conn
                    .prepare_cached("SELECT bytes FROM dictionaries WHERE id = ?1")
                    .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
                    .map_err(|e| Unpacking::Damaged(e.to_string()))
            })
            .map_err(|error| match error {
                Unpacking::NewerFormat(format) => StoreError::NewerFormat {
                    path: self.path.clone(),
                    format,
                },
                Unpacking::MissingDictionary(dictionary) => StoreError::MissingDictionary {
                    path: self.path.clone(),
                    dictionary,
                },
                Unpacking::Damaged(reason) => StoreError::Damaged {
                    path: self.path.clone(),
                    reason,
                },
            })
    }

    /// What the sync packs a pass's messages with: the store's newest dictionary, or, while it
    /// has none, one the packer trains from the first messages it packs.
    ///
    /// A store that holds enough messages but no dictionary (one migrated from a version without
    /// them, or whose first syncs were each cut short) has one trained from its newest messages
    /// here, once: it is saved with the first message packed with it.
    pub fn packer(&self) -> Result<Packer, StoreError> {
        if let Some(dictionary) = self.dictionary()? {
            return Ok(Packer::new(Some(dictionary)));
        }
        let newest: Vec<(i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT stored_id, format FROM bodies WHERE format IN (?1, ?2)
                 ORDER BY stored_id DESC LIMIT ?3",
            )
            .and_then(|mut s| {
                s.query_map(
                    params![AS_SENT, ZSTD, super::packing::TRAINING_MESSAGES as i64],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .collect()
            })
            .map_err(|e| self.error(e))?;
        if newest.len() < super::packing::TRAINING_MESSAGES {
            return Ok(Packer::new(None));
        }
        let mut heads = Vec::with_capacity(newest.len());
        for (id, format) in newest {
            let limit = super::packing::TRAINING_BYTES_EACH as u64;
            if let Some(head) =
                head_of_plain(&self.conn, id, format, limit).map_err(|e| self.error(e))?
            {
                heads.push(head);
            }
        }
        Ok(Packer::trained_from(&heads))
    }

    /// The store's newest compression dictionary, prepared for compression.
    fn dictionary(&self) -> Result<Option<std::sync::Arc<Dictionary>>, StoreError> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT bytes FROM dictionaries ORDER BY created_at DESC, rowid DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(bytes.and_then(Dictionary::new).map(std::sync::Arc::new))
    }

    /// UIDs of messages whose body is not here yet, newest first, within the window.
    pub fn missing_bodies(
        &self,
        folder_id: i64,
        window: BodyWindow,
    ) -> Result<Vec<(u32, u32)>, StoreError> {
        let since = match window {
            BodyWindow::All => i64::MIN,
            BodyWindow::Days(days) => now() - i64::from(days) * 86_400,
        };
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid, size FROM messages WHERE folder_id = ?1 AND body_state = 0
                 AND uid IS NOT NULL AND COALESCE(date, internal_date, 0) >= ?2 ORDER BY uid DESC",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map(params![folder_id, since], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// Marks the body of `uid` as one the server could not deliver: the background sync no longer
    /// asks for it (it would fail the same way each time); opening the message tries again.
    pub fn mark_body_skipped(&mut self, folder_id: i64, uid: u32) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE messages SET body_state = 3 WHERE folder_id = ?1 AND uid = ?2 AND body_state = 0",
                params![folder_id, uid],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Stores downloaded messages (one transaction): the raw bytes, the decoded fields, and the
    /// full-text index — once per stored message, shown in every folder that holds it. A message
    /// that does not parse is kept raw and marked; it never stops sync.
    pub fn add_bodies(&mut self, folder_id: i64, bodies: &[NewBody]) -> Result<usize, StoreError> {
        let packer = Packer::without_training(self.dictionary()?);
        let prepared: Vec<PreparedBody> = bodies
            .iter()
            .cloned()
            .map(|body| packer.decoded(body))
            .collect();
        self.add_prepared_bodies(folder_id, prepared)
    }

    /// [`Store::add_bodies`] for messages already prepared with [`PreparedBody::new`] (which the
    /// sync engine does on another thread while the previous batch is being written), or stored
    /// undecoded for the indexer ([`PreparedBody::undecoded`]).
    pub fn add_prepared_bodies(
        &mut self,
        folder_id: i64,
        bodies: Vec<PreparedBody>,
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut stored = 0;
        {
            let mut find = tx
                .prepare_cached(
                    "SELECT s.id, s.search_key FROM messages m
                     JOIN stored_messages s ON s.id = m.stored_id
                     WHERE m.folder_id = ?1 AND m.uid = ?2",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut body = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO bodies (stored_id, raw, format, size)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut body_space = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO bodies (stored_id, raw, format, size)
                     VALUES (?1, zeroblob(?2), ?3, ?4)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut update = tx
                .prepare_cached(
                    "UPDATE messages SET body_state = ?2, has_attachments = ?3, preview = ?4,
                         subject = CASE WHEN ?5 IS NULL THEN subject ELSE ?5 END
                     WHERE stored_id = ?1",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut update_stored = tx
                .prepare_cached(
                    // The preview is kept in the memberships only (schema 10).
                    "UPDATE stored_messages SET body_state = ?2, has_attachments = ?3 WHERE id = ?1",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut stored_only = tx
                .prepare_cached("UPDATE messages SET body_state = ?2 WHERE stored_id = ?1")
                .map_err(|e| sqlite(&path, e))?;
            let mut stored_only_stored = tx
                .prepare_cached("UPDATE stored_messages SET body_state = ?2 WHERE id = ?1")
                .map_err(|e| sqlite(&path, e))?;
            let mut save_dictionary = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO dictionaries (id, bytes, created_at) VALUES (?1, ?2, ?3)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut saved_dictionary = None;
            for mut prepared in bodies {
                let Some((id, key)): Option<(i64, Option<i64>)> = find
                    .query_row(params![folder_id, prepared.uid], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                    .map_err(|e| sqlite(&path, e))?
                else {
                    // Expunged meanwhile: nothing to attach the body to.
                    continue;
                };
                // The dictionary goes in with the first message packed with it.
                if let Some(dictionary) = &prepared.dictionary
                    && saved_dictionary != Some(dictionary.id)
                {
                    save_dictionary
                        .execute(params![dictionary.id, dictionary.bytes, now()])
                        .map_err(|e| sqlite(&path, e))?;
                    saved_dictionary = Some(dictionary.id);
                }
                match &mut prepared.raw {
                    Raw::Inline(raw) => {
                        body.execute(params![id, &*raw, prepared.format, prepared.size as i64])
                            .map_err(|e| sqlite(&path, e))?;
                    }
                    Raw::Spooled { file, len } => {
                        let len = i64::try_from(*len).map_err(|_| {
                            sqlite(
                                &path,
                                rusqlite::Error::ToSqlConversionFailure("size".into()),
                            )
                        })?;
                        body_space
                            .execute(params![id, len, prepared.format, prepared.size as i64])
                            .map_err(|e| sqlite(&path, e))?;
                        copy_into_blob(&tx, id, file).map_err(|e| match e {
                            Spool::Sqlite(e) => sqlite(&path, e),
                            Spool::Io(source) => StoreError::Spool {
                                path: path.clone(),
                                source,
                            },
                        })?;
                    }
                }
                if !prepared.decoded {
                    for statement in [&mut stored_only, &mut stored_only_stored] {
                        statement
                            .execute(params![id, super::index::STORED])
                            .map_err(|e| sqlite(&path, e))?;
                    }
                    stored += 1;
                    continue;
                }
                if !prepared.parse_ok {
                    tracing::warn!(
                        folder_id,
                        uid = prepared.uid,
                        "a message could not be parsed; it is kept as raw bytes"
                    );
                }
                update
                    .execute(params![
                        id,
                        if prepared.parse_ok { 1 } else { 2 },
                        prepared.has_attachments,
                        prepared.preview,
                        prepared.subject,
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                update_stored
                    .execute(params![
                        id,
                        if prepared.parse_ok { 1 } else { 2 },
                        prepared.has_attachments,
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                let key = search_key_of(&tx, id, key).map_err(|e| sqlite(&path, e))?;
                index_row(&tx, key, &prepared).map_err(|e| sqlite(&path, e))?;
                stored += 1;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(stored)
    }
}

/// The search-index key of stored message `id` (`known`, else a new one, saved).
pub(super) fn search_key_of(
    tx: &rusqlite::Connection,
    id: i64,
    known: Option<i64>,
) -> rusqlite::Result<i64> {
    if let Some(key) = known {
        return Ok(key);
    }
    let key = search_key(None, id);
    tx.prepare_cached("UPDATE stored_messages SET search_key = ?2 WHERE id = ?1")?
        .execute(params![id, key])?;
    Ok(key)
}

/// Puts a decoded message's text into the full-text index under `key` (its row from the header,
/// if any, replaced).
pub(super) fn index_row(
    tx: &rusqlite::Connection,
    key: i64,
    prepared: &PreparedBody,
) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM message_text WHERE rowid = ?1")?
        .execute([key])?;
    // Its header fields come with the text: they no longer wait for the indexer.
    tx.prepare_cached("DELETE FROM index_queue WHERE key = ?1")?
        .execute([key])?;
    tx.prepare_cached(
        "INSERT INTO message_text (rowid, subject, addresses, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        key,
        prepared.index_subject,
        prepared.index_addresses,
        prepared.index_body
    ])?;
    Ok(())
}

/// The first [`SPOOLED_DECODED`] bytes of stored message `stored_id` (what is decoded for the
/// preview and the index: headers and text come first in real mail), read from its blob — and
/// decompressed as far as needed — without loading the rest; `None` if it has no stored bytes.
pub(super) fn head_of_raw(store: &Store, stored_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
    let conn = &store.conn;
    let Some(format): Option<i64> = conn
        .prepare_cached("SELECT format FROM bodies WHERE stored_id = ?1")
        .and_then(|mut s| s.query_row([stored_id], |r| r.get(0)).optional())
        .map_err(|e| store.error(e))?
    else {
        return Ok(None);
    };
    if format != AS_SENT && format != ZSTD {
        // Packed with a dictionary (never a spooled message: these are small) or in a format
        // unknown here, which says so.
        let stored: Vec<u8> = conn
            .prepare_cached("SELECT raw FROM bodies WHERE stored_id = ?1")
            .and_then(|mut s| s.query_row([stored_id], |r| r.get(0)))
            .map_err(|e| store.error(e))?;
        let mut head = store.unpacked(stored, format)?;
        head.truncate(SPOOLED_DECODED as usize);
        return Ok(Some(head));
    }
    head_of_plain(conn, stored_id, format, SPOOLED_DECODED).map_err(|e| store.error(e))
}

/// [`head_of_raw`] of a row kept as sent or as a frame without a dictionary, streamed.
fn head_of_plain(
    conn: &rusqlite::Connection,
    stored_id: i64,
    format: i64,
    limit: u64,
) -> rusqlite::Result<Option<Vec<u8>>> {
    use std::io::Read;
    // `bodies.stored_id` is the INTEGER PRIMARY KEY: the rowid.
    let blob = conn.blob_open(rusqlite::MAIN_DB, "bodies", "raw", stored_id, true)?;
    let unreadable = |e: std::io::Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
    let mut head = Vec::new();
    if format == ZSTD {
        zstd::stream::read::Decoder::new(blob)
            .map_err(unreadable)?
            .take(limit)
            .read_to_end(&mut head)
            .map_err(unreadable)?;
    } else {
        blob.take(limit)
            .read_to_end(&mut head)
            .map_err(unreadable)?;
    }
    Ok(Some(head))
}

enum Spool {
    Sqlite(rusqlite::Error),
    Io(std::io::Error),
}

/// Copies a spooled message into its row's blob (`bodies.raw`, sized beforehand with zeroblob),
/// a piece at a time: never the whole message in memory.
fn copy_into_blob(
    tx: &rusqlite::Transaction<'_>,
    stored_id: i64,
    file: &mut std::fs::File,
) -> Result<(), Spool> {
    use std::io::{Read, Seek, Write};
    // `bodies.stored_id` is the INTEGER PRIMARY KEY: the rowid.
    let mut blob = tx
        .blob_open(rusqlite::MAIN_DB, "bodies", "raw", stored_id, false)
        .map_err(Spool::Sqlite)?;
    file.seek(std::io::SeekFrom::Start(0)).map_err(Spool::Io)?;
    let mut piece = vec![0u8; SPOOL_COPY];
    loop {
        let read = file.read(&mut piece).map_err(Spool::Io)?;
        if read == 0 {
            break;
        }
        blob.write_all(&piece[..read]).map_err(Spool::Io)?;
    }
    blob.close().map_err(Spool::Sqlite)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::*;

    #[test]
    fn one_endless_word_makes_a_short_preview() {
        // Base64 pasted as text, a line of dashes: one "word" of a megabyte.
        let word = "x".repeat(1 << 20);
        let preview = preview_of(&format!("Hello {word} world"));
        assert!(
            preview.chars().count() <= PREVIEW_CHARS + 1,
            "{} characters",
            preview.chars().count()
        );
        assert!(preview.starts_with("Hello xxx") && preview.ends_with('…'));
        let japanese = "あ".repeat(100_000);
        assert!(preview_of(&japanese).chars().count() <= PREVIEW_CHARS + 1);
        // Ordinary text is unchanged: whole words, quotes left out.
        assert_eq!(preview_of("> quoted\nshort text"), "short text");
    }

    #[test]
    fn a_message_that_does_not_parse_is_kept_raw_and_marked() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let garbage = b"\x00\x01\x02 not a message at all \xff\xfe".to_vec();
        store
            .add_envelopes(
                inbox,
                &[NewEnvelope {
                    server_identity: None,
                    uid: 5,
                    flags: Flags::default(),
                    keywords: vec![],
                    modseq: None,
                    internal_date: Some(1_800_000_000),
                    size: garbage.len() as u32,
                    header: garbage.clone(),
                }],
            )
            .unwrap();
        store
            .add_bodies(
                inbox,
                &[NewBody {
                    uid: 5,
                    raw: garbage.clone(),
                }],
            )
            .unwrap();
        let list = store
            .messages(inbox, SortOrder::NewestFirst, 0, 10)
            .unwrap();
        assert_eq!(list[0].body_state, BodyState::Unparseable);
        assert_eq!(
            list[0].date,
            Some(1_800_000_000),
            "falls back to the arrival time"
        );
        assert_eq!(store.message_raw(list[0].id).unwrap().unwrap(), garbage);
    }

    /// Random bytes, as a JPEG or a ZIP is to a compressor.
    fn incompressible(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn messages_are_kept_compressed_where_it_pays_and_read_back_byte_exact() {
        let (dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        // Text that compresses (a newsletter), an attachment that does not, and a big one that
        // goes through a temporary file — each read back exactly as sent.
        let text = "日本語のお知らせ。The quarterly report is attached below.\r\n".repeat(400);
        let (e1, b1) = message(1, "text", &text);
        let (e2, mut b2) = message(2, "photo", "");
        b2.raw.extend_from_slice(&incompressible(200_000));
        let (e3, mut b3) = message(3, "big", &text);
        b3.raw.extend_from_slice(text.repeat(20).as_bytes());
        b3.raw.extend_from_slice(&incompressible(1_500_000));
        store
            .add_envelopes(
                inbox,
                &[
                    e1,
                    NewEnvelope {
                        size: b2.raw.len() as u32,
                        ..e2
                    },
                    e3,
                ],
            )
            .unwrap();
        store.add_bodies(inbox, &[b1.clone(), b2.clone()]).unwrap();
        let mut spool = tempfile::tempfile_in(dir.path()).unwrap();
        std::io::Write::write_all(&mut spool, &b3.raw).unwrap();
        let big = PreparedBody::spooled(
            SpooledBody {
                uid: 3,
                file: spool,
                len: b3.raw.len() as u64,
            },
            dir.path(),
        )
        .unwrap();
        assert_eq!(big.len(), b3.raw.len() as u64, "the message's own size");
        store.add_prepared_bodies(inbox, vec![big]).unwrap();

        let formats: Vec<(i64, i64, i64)> = store
            .conn
            .prepare("SELECT format, length(raw), size FROM bodies ORDER BY stored_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(formats[0].0, ZSTD, "text is compressed");
        assert!(formats[0].1 * 5 < formats[0].2, "{formats:?}");
        assert_eq!(formats[1].0, AS_SENT, "random bytes are kept as they are");
        assert_eq!(formats[1].1, formats[1].2);
        assert_eq!(formats[2].0, ZSTD, "the spooled one too");
        assert!(formats[2].1 < formats[2].2, "{formats:?}");
        for (uid, raw) in [(1, &b1.raw), (2, &b2.raw), (3, &b3.raw)] {
            let id = store
                .messages(inbox, SortOrder::NewestFirst, 0, 10)
                .unwrap()
                .into_iter()
                .find(|m| m.uid == Some(uid))
                .unwrap()
                .id;
            assert_eq!(&store.message_raw(id).unwrap().unwrap(), raw, "UID {uid}");
        }
        assert!(store.stored_bytes().unwrap() < store.stored_totals().unwrap().1);
        // The decoded text is not kept beside the bytes: the index (contentless) holds no text,
        // only which words are in which message.
        assert_eq!(store.search("quarterly", 10).unwrap().len(), 2);
        let kept_text: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM message_text WHERE body IS NOT NULL OR subject IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept_text, 0);
    }
}
