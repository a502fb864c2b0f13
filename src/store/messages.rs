//! Messages as the list shows them: their rows (envelope fields, flags, the thread they belong to),
//! the pages of a folder or of every inbox together, and what the sync engine writes — new
//! envelopes (adopting rows found again by Message-ID), the server's flag changes and expunges.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::search::search_key;
use super::threads::thread_id;
use super::{Store, StoreError, sqlite};
use crate::mime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

/// IMAP system flags, stored as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    pub seen: bool,
    pub answered: bool,
    pub flagged: bool,
    pub deleted: bool,
    pub draft: bool,
}

impl Flags {
    pub fn bits(self) -> i64 {
        (self.seen as i64)
            | (self.answered as i64) << 1
            | (self.flagged as i64) << 2
            | (self.deleted as i64) << 3
            | (self.draft as i64) << 4
    }

    pub fn from_bits(bits: i64) -> Flags {
        Flags {
            seen: bits & 1 != 0,
            answered: bits & 2 != 0,
            flagged: bits & 4 != 0,
            deleted: bits & 8 != 0,
            draft: bits & 16 != 0,
        }
    }

    /// From IMAP flag words (`\Seen`, …); keywords are returned separately.
    pub fn from_imap<'a>(words: impl IntoIterator<Item = &'a str>) -> (Flags, Vec<String>) {
        let mut flags = Flags::default();
        let mut keywords = Vec::new();
        for word in words {
            match word.to_ascii_lowercase().as_str() {
                "\\seen" => flags.seen = true,
                "\\answered" => flags.answered = true,
                "\\flagged" => flags.flagged = true,
                "\\deleted" => flags.deleted = true,
                "\\draft" => flags.draft = true,
                "\\recent" => {}
                _ => keywords.push(word.to_owned()),
            }
        }
        (flags, keywords)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    NewestFirst,
    OldestFirst,
}

/// Whether a message's full text is here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    NotDownloaded,
    Downloaded,
    /// Downloaded, but the bytes are not a parseable message; kept raw so nothing is lost.
    Unparseable,
    /// The server could not deliver it (its answer broke off, was too big or too slow): not
    /// downloaded, and not asked for again by the background sync; opening it tries again.
    Skipped,
}

/// A row of the message list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    pub id: i64,
    pub folder_id: i64,
    /// `None` while a local move waits for the server.
    pub uid: Option<u32>,
    /// Seconds since 1970, UTC: the Date header, else the server's arrival time.
    pub date: Option<i64>,
    pub from: Option<Address>,
    pub subject: String,
    pub flags: Flags,
    pub size: u32,
    pub has_attachments: bool,
    pub thread_id: i64,
    pub message_id: Option<String>,
    pub body_state: BodyState,
    pub preview: String,
}

/// What the sync engine hands over for a message it has not stored yet: its headers.
#[derive(Debug, Clone)]
pub struct NewEnvelope {
    pub uid: u32,
    pub flags: Flags,
    pub keywords: Vec<String>,
    pub modseq: Option<u64>,
    pub internal_date: Option<i64>,
    pub size: u32,
    /// The raw header block (`BODY.PEEK[HEADER]`).
    pub header: Vec<u8>,
    /// The server's own lasting identity for the message, scheme first, when it has one:
    /// `x-gm-msgid:…` (Gmail, X-GM-EXT-1) or `emailid:…` (RFC 8474 OBJECTID). Copies of one
    /// message in several folders (labels, All Mail) share it; see [`message_identity`].
    pub server_identity: Option<String>,
}

/// New envelopes with what [`Store::add_envelopes`] works out from each header alone (the decoded
/// fields, the identity, the recipients' text), made before the store is locked: a sync decodes
/// the next batch on another thread while the store writes this one.
pub struct PreparedEnvelopes(Vec<PreparedEnvelope>);

struct PreparedEnvelope {
    envelope: NewEnvelope,
    decoded: mime::Decoded,
    identity: Option<String>,
    recipients: String,
    /// multipart/mixed (or a Content-Disposition: attachment header) announces files; the exact
    /// list comes with the body.
    has_attachments: bool,
}

impl PreparedEnvelopes {
    pub fn new(envelopes: Vec<NewEnvelope>) -> Self {
        PreparedEnvelopes(
            envelopes
                .into_iter()
                .map(|envelope| {
                    let decoded = mime::decode_for_index(&envelope.header);
                    let identity = message_identity(
                        envelope.server_identity.as_deref(),
                        decoded.message_id.is_some(),
                        envelope.size,
                        &envelope.header,
                    );
                    PreparedEnvelope {
                        recipients: address_text(&decoded),
                        has_attachments: contains_ignoring_case(
                            &envelope.header,
                            b"multipart/mixed",
                        ),
                        envelope,
                        decoded,
                        identity,
                    }
                })
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The identity under which a message is stored once per account, whichever folders it is in:
/// the server's own (`server_identity`) where it has one; otherwise, for a message with a
/// Message-ID, `rfc5322:` and a SHA-256 of its size and header block — copies made by COPY, MOVE
/// or a virtual folder have the same bytes, while a stranger reusing a Message-ID (to hide
/// behind a message already here) does not share its header and size. Computed from what the
/// header pass fetched, so a copy is recognised before its body is downloaded. `None`: never
/// shared (no Message-ID, or a placeholder). Nothing in it is tied to IMAP: another protocol
/// (Microsoft Graph: internetMessageId, immutable ids) brings its own scheme.
pub fn message_identity(
    server_identity: Option<&str>,
    has_message_id: bool,
    size: u32,
    header: &[u8],
) -> Option<String> {
    use sha2::{Digest, Sha256};
    if let Some(identity) = server_identity {
        return Some(identity.to_owned());
    }
    if !has_message_id || header.is_empty() {
        return None;
    }
    let mut hash = Sha256::new();
    hash.update(u64::from(size).to_le_bytes());
    hash.update(header);
    let digest = hash.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(8 + 64);
    text.push_str("rfc5322:");
    for byte in digest {
        text.push(HEX[usize::from(byte >> 4)] as char);
        text.push(HEX[usize::from(byte & 15)] as char);
    }
    Some(text)
}

pub(super) const SUMMARY_COLUMNS: &str = "m.id, m.folder_id, m.uid, COALESCE(m.date, m.internal_date), m.from_name, \
     m.from_addr, m.subject, m.flags, m.size, m.has_attachments, COALESCE(m.thread_id, 0), m.message_id, \
     m.body_state, m.preview";

pub(super) fn summary_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<MessageSummary> {
    let from_name: Option<String> = row.get(4)?;
    let from_addr: Option<String> = row.get(5)?;
    Ok(MessageSummary {
        id: row.get(0)?,
        folder_id: row.get(1)?,
        uid: row.get(2)?,
        date: row.get(3)?,
        from: from_addr.map(|email| Address {
            name: from_name,
            email,
        }),
        subject: row.get(6)?,
        flags: Flags::from_bits(row.get(7)?),
        size: row.get(8)?,
        has_attachments: row.get(9)?,
        thread_id: row.get(10)?,
        message_id: row.get(11)?,
        body_state: match row.get::<_, i64>(12)? {
            // 4: stored, its index still to be built (`index.rs`): readable all the same.
            1 | 4 => BodyState::Downloaded,
            2 => BodyState::Unparseable,
            3 => BodyState::Skipped,
            _ => BodyState::NotDownloaded,
        },
        preview: row.get(13)?,
    })
}

/// What [`Store::add_envelopes`] reads once per batch rather than once per message.
struct BatchLookups {
    account_id: i64,
    /// The batch's UIDs already stored in the folder (a batch replayed after a crash), and
    /// those stored by this batch so far.
    present: std::collections::HashSet<u32>,
    /// Whether the folder has rows without a UID, which a new envelope may adopt (a local move,
    /// a UIDVALIDITY change): without any, nothing is looked up per message.
    unplaced: bool,
    /// The id the next stored message gets: above every id handed out so far, the deleted ones
    /// included (what AUTOINCREMENT would give; `sqlite_sequence` records the highest).
    next_stored_id: i64,
}

impl BatchLookups {
    fn read(
        tx: &Connection,
        folder_id: i64,
        envelopes: &PreparedEnvelopes,
    ) -> rusqlite::Result<Self> {
        let account_id: i64 = tx.query_row(
            "SELECT account_id FROM folders WHERE id = ?1",
            [folder_id],
            |r| r.get(0),
        )?;
        let (low, high) = envelopes.0.iter().fold((u32::MAX, 0), |(low, high), e| {
            (low.min(e.envelope.uid), high.max(e.envelope.uid))
        });
        let present = tx
            .prepare_cached(
                "SELECT uid FROM messages WHERE folder_id = ?1 AND uid BETWEEN ?2 AND ?3",
            )?
            .query_map(params![folder_id, low, high], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let unplaced = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE folder_id = ?1 AND uid IS NULL)",
            )?
            .query_row([folder_id], |r| r.get(0))?;
        let next_stored_id = tx
            .prepare_cached(
                "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'stored_messages'), 0),
                            COALESCE((SELECT max(id) FROM stored_messages), 0)) + 1",
            )?
            .query_row([], |r| r.get(0))?;
        Ok(BatchLookups {
            account_id,
            present,
            unplaced,
            next_stored_id,
        })
    }
}

/// Whether `haystack` holds `needle` (ASCII, lower case) in any case.
fn contains_ignoring_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

pub(super) fn address_text(decoded: &mime::Decoded) -> String {
    decoded
        .from
        .iter()
        .chain(&decoded.to)
        .chain(&decoded.cc)
        .map(|m| match &m.name {
            Some(name) => format!("{name} {}", m.address),
            None => m.address.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    pub fn message_count(&self, folder_id: i64) -> Result<usize, StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1",
                [folder_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.error(e))
    }

    /// A page of a folder's message list.
    pub fn messages(
        &self,
        folder_id: i64,
        order: SortOrder,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let direction = match order {
            SortOrder::NewestFirst => "DESC",
            SortOrder::OldestFirst => "ASC",
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.folder_id = ?1
             ORDER BY m.date {direction}, m.id {direction} LIMIT ?2 OFFSET ?3"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_map(
                params![folder_id, limit as i64, offset as i64],
                summary_from_row,
            )
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// A page of all accounts' inboxes together.
    pub fn unified_inbox(
        &self,
        order: SortOrder,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let direction = match order {
            SortOrder::NewestFirst => "DESC",
            SortOrder::OldestFirst => "ASC",
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m JOIN folders f ON f.id = m.folder_id
             WHERE f.role = 'inbox' ORDER BY m.date {direction}, m.id {direction} LIMIT ?1 OFFSET ?2"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_map(params![limit as i64, offset as i64], summary_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    pub fn message(&self, id: i64) -> Result<Option<MessageSummary>, StoreError> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.id = ?1");
        self.conn
            .query_row(&sql, [id], summary_from_row)
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Which account and folder a message is in.
    pub fn message_location(&self, id: i64) -> Result<(String, String), StoreError> {
        self.conn
            .query_row(
                "SELECT a.email, f.name FROM messages m JOIN folders f ON f.id = m.folder_id
                 JOIN accounts a ON a.id = f.account_id WHERE m.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.error(e))?
            .ok_or(StoreError::NoSuchMessage(id))
    }

    /// UIDs stored for a folder, ascending.
    pub fn uids(&self, folder_id: i64) -> Result<Vec<u32>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid FROM messages WHERE folder_id = ?1 AND uid IS NOT NULL ORDER BY uid",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map([folder_id], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// UID → (flags bits, keywords) for a folder, to compare with the server's.
    pub fn flags_by_uid(&self, folder_id: i64) -> Result<HashMap<u32, i64>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid, flags FROM messages WHERE folder_id = ?1 AND uid IS NOT NULL",
            )
            .map_err(|e| self.error(e))?;
        statement
            .query_map([folder_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// Stores new messages' envelopes (one transaction). A row without a UID with the same
    /// Message-ID (a local move, or a UIDVALIDITY change) is adopted instead of duplicated. UIDs
    /// already stored are skipped, so replaying a batch after a crash is harmless. A message
    /// already stored under the same identity ([`message_identity`]) in another folder (or
    /// left by a move whose source was expunged first) gets a membership here and shares its
    /// bytes, search entry and downloaded state: its body is not asked for again.
    pub fn add_envelopes(
        &mut self,
        folder_id: i64,
        envelopes: &[NewEnvelope],
    ) -> Result<usize, StoreError> {
        self.add_prepared_envelopes(folder_id, &PreparedEnvelopes::new(envelopes.to_vec()))
    }

    /// [`Store::add_envelopes`] for envelopes prepared beforehand.
    pub fn add_prepared_envelopes(
        &mut self,
        folder_id: i64,
        prepared: &PreparedEnvelopes,
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        // IMMEDIATE: the stored messages' ids are chosen here (below), so no other writer may
        // come between reading the last one and writing.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| sqlite(&path, e))?;
        let mut added = 0;
        {
            let mut batch =
                BatchLookups::read(&tx, folder_id, prepared).map_err(|e| sqlite(&path, e))?;
            let mut adopt = tx
                .prepare_cached(
                    "UPDATE messages SET uid = ?3, flags = ?4, modseq = ?5
                     WHERE id = (SELECT id FROM messages WHERE folder_id = ?1 AND uid IS NULL
                                 AND message_id = ?2 LIMIT 1)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut find_stored = tx
                .prepare_cached(
                    "SELECT s.id, s.body_state, s.has_attachments,
                            COALESCE((SELECT preview FROM messages WHERE stored_id = s.id LIMIT 1), '')
                     FROM stored_messages s WHERE s.account_id = ?1 AND s.identity = ?2",
                )
                .map_err(|e| sqlite(&path, e))?;
            // The id is given (AUTOINCREMENT still records it, so it is never handed out again),
            // so the search key, which holds it, is written with the row rather than after it.
            let mut insert_stored = tx
                .prepare_cached(
                    "INSERT INTO stored_messages (id, account_id, identity, has_attachments, search_key)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (folder_id, uid, modseq, flags, keywords, internal_date, date,
                         size, subject, from_name, from_addr, recipients, message_id, in_reply_to, refs,
                         thread_id, has_attachments, stored_id, body_state, preview)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                             ?18, ?19, ?20)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut queue = tx
                .prepare_cached("INSERT INTO index_queue (key) VALUES (?1)")
                .map_err(|e| sqlite(&path, e))?;
            let mut next_stored_id = batch.next_stored_id;
            // The subject and addresses go into the search index with the indexer
            // (`Store::build_index`, after the sync pass), not here: the header pass is what the
            // list waits for. The queue is written in ascending key order, as the index is.
            let mut queued = Vec::with_capacity(prepared.len());
            for PreparedEnvelope {
                envelope,
                decoded,
                identity,
                recipients,
                has_attachments,
            } in &prepared.0
            {
                // Skipped when stored already, or when the server named it twice in the batch.
                if !batch.present.insert(envelope.uid) {
                    continue;
                }
                if batch.unplaced
                    && let Some(message_id) = &decoded.message_id
                {
                    let adopted = adopt
                        .execute(params![
                            folder_id,
                            message_id,
                            envelope.uid,
                            envelope.flags.bits(),
                            envelope.modseq.map(|v| v as i64)
                        ])
                        .map_err(|e| sqlite(&path, e))?;
                    if adopted > 0 {
                        added += 1;
                        continue;
                    }
                }
                let thread_id = thread_id(&tx, decoded, folder_id, envelope.uid)
                    .map_err(|e| sqlite(&path, e))?;
                let from = decoded.from.first();
                let subject = decoded.subject.as_deref().unwrap_or_default();
                let known: Option<(i64, i64, bool, String)> = match identity {
                    Some(identity) => find_stored
                        .query_row(params![batch.account_id, identity], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                        })
                        .optional()
                        .map_err(|e| sqlite(&path, e))?,
                    None => None,
                };
                let (stored_id, body_state, has_attachments, preview) = match known {
                    // Downloaded (or kept raw, or stored and waiting for the index) already:
                    // this folder's copy is the same message. Its words are in the index (or
                    // queued for it) under the stored message.
                    Some((
                        stored_id,
                        state @ (1 | 2 | super::index::STORED),
                        attachments,
                        preview,
                    )) => (stored_id, state, attachments, preview),
                    Some((stored_id, _, attachments, _)) => {
                        (stored_id, 0, attachments, String::new())
                    }
                    None => {
                        let has_attachments = *has_attachments;
                        let stored_id = next_stored_id;
                        next_stored_id += 1;
                        let key = search_key(decoded.date.or(envelope.internal_date), stored_id);
                        insert_stored
                            .execute(params![
                                stored_id,
                                batch.account_id,
                                identity,
                                has_attachments,
                                key
                            ])
                            .map_err(|e| sqlite(&path, e))?;
                        queued.push(key);
                        (stored_id, 0, has_attachments, String::new())
                    }
                };
                insert
                    .execute(params![
                        folder_id,
                        envelope.uid,
                        envelope.modseq.map(|v| v as i64),
                        envelope.flags.bits(),
                        (!envelope.keywords.is_empty()).then(|| envelope.keywords.join(" ")),
                        envelope.internal_date,
                        decoded.date.or(envelope.internal_date),
                        envelope.size,
                        subject,
                        from.and_then(|m| m.name.as_deref()),
                        from.map(|m| m.address.as_str()),
                        recipients,
                        decoded.message_id,
                        decoded.in_reply_to.join(" "),
                        decoded.references.join(" "),
                        thread_id,
                        has_attachments,
                        stored_id,
                        body_state,
                        preview,
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                added += 1;
            }
            queued.sort_unstable();
            for key in queued {
                queue.execute([key]).map_err(|e| sqlite(&path, e))?;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(added)
    }

    /// Applies the server's flags for messages that changed.
    pub fn set_flags(
        &mut self,
        folder_id: i64,
        changes: &[(u32, Flags, Option<u64>)],
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut changed = 0;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE messages SET flags = ?3, modseq = COALESCE(?4, modseq)
                     WHERE folder_id = ?1 AND uid = ?2 AND flags != ?3",
                )
                .map_err(|e| sqlite(&path, e))?;
            for (uid, flags, modseq) in changes {
                changed += update
                    .execute(params![
                        folder_id,
                        uid,
                        flags.bits(),
                        modseq.map(|v| v as i64)
                    ])
                    .map_err(|e| sqlite(&path, e))?;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(changed)
    }

    /// Removes messages the server expunged.
    pub fn remove_uids(&mut self, folder_id: i64, uids: &[u32]) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut ids = Vec::new();
        {
            let mut find = tx
                .prepare_cached("SELECT id FROM messages WHERE folder_id = ?1 AND uid = ?2")
                .map_err(|e| sqlite(&path, e))?;
            for uid in uids {
                if let Some(id) = find
                    .query_row(params![folder_id, uid], |r| r.get::<_, i64>(0))
                    .optional()
                    .map_err(|e| sqlite(&path, e))?
                {
                    ids.push(id);
                }
            }
        }
        delete_rows(&tx, &ids).map_err(|e| sqlite(&path, e))?;
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(ids.len())
    }

    /// Whole-account figures for summaries: (messages, bodies downloaded).
    pub fn counts(&self, account_id: i64) -> Result<(usize, usize), StoreError> {
        self.conn
            .query_row(
                "SELECT count(*), COALESCE(sum(m.body_state IN (1, 2, 4)), 0) FROM messages m
                 JOIN folders f ON f.id = m.folder_id WHERE f.account_id = ?1",
                [account_id],
                |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize)),
            )
            .map_err(|e| self.error(e))
    }
}

/// Deletes message rows (a message's membership of its folder). The stored message — its bytes
/// and index entry — stays until [`Store::drop_unreferenced`]: a message moved on the server
/// disappears from its old folder before the next pass finds it in the new one, and must not be
/// downloaded again.
pub(super) fn delete_rows(tx: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    let mut delete = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
    for id in ids {
        delete.execute([id])?;
    }
    Ok(())
}

impl Store {
    /// Drops the account's stored messages that no folder holds any more (with their bytes and
    /// index entries). The sync engine calls it after a complete pass over every folder, when a
    /// message moved elsewhere has been found in its new folder.
    pub fn drop_unreferenced(&mut self, account_id: i64) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let orphans: Vec<(i64, Option<i64>)> = tx
            .prepare(
                "SELECT s.id, s.search_key FROM stored_messages s WHERE s.account_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.stored_id = s.id)",
            )
            .and_then(|mut s| {
                s.query_map([account_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(|e| sqlite(&path, e))?;
        {
            let mut unindex = tx
                .prepare_cached("DELETE FROM message_text WHERE rowid = ?1")
                .map_err(|e| sqlite(&path, e))?;
            let mut unqueue = tx
                .prepare_cached("DELETE FROM index_queue WHERE key = ?1")
                .map_err(|e| sqlite(&path, e))?;
            let mut delete = tx
                .prepare_cached("DELETE FROM stored_messages WHERE id = ?1")
                .map_err(|e| sqlite(&path, e))?;
            for (id, key) in &orphans {
                if let Some(key) = key {
                    unindex.execute([key]).map_err(|e| sqlite(&path, e))?;
                    unqueue.execute([key]).map_err(|e| sqlite(&path, e))?;
                }
                delete.execute([id]).map_err(|e| sqlite(&path, e))?;
            }
        }
        tx.commit().map_err(|e| sqlite(&path, e))?;
        Ok(orphans.len())
    }

    /// Store-wide figures: (stored messages, the size of those downloaded), for summaries and
    /// benchmarks. [`Store::stored_bytes`] is what their bodies take in the store.
    pub fn stored_totals(&self) -> Result<(usize, u64), StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM stored_messages),
                        (SELECT COALESCE(sum(COALESCE(size, length(raw))), 0) FROM bodies)",
                [],
                |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(|e| self.error(e))
    }

    /// The bytes the downloaded bodies take in the store (compressed where that paid).
    pub fn stored_bytes(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT COALESCE(sum(length(raw)), 0) FROM bodies",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.error(e))
    }
}

// ---------------------------------------------------------------------------------------------
// New-mail notifications. Read-only.

impl Store {
    /// The unread messages of a folder whose UIDs are in `first..=last` (the range a sync pass has
    /// just fetched), newest first: how many there are, and the first `limit` of them. Messages
    /// already read elsewhere (`\Seen` on the server) are not counted — nobody wants to be told
    /// about mail they have read on their phone.
    pub fn unread_in_uid_range(
        &self,
        folder_id: i64,
        first: u32,
        last: u32,
        limit: usize,
    ) -> Result<(usize, Vec<MessageSummary>), StoreError> {
        let count = self
            .conn
            .query_row(
                "SELECT count(*) FROM messages
                 WHERE folder_id = ?1 AND uid BETWEEN ?2 AND ?3 AND flags & 1 = 0",
                params![folder_id, first, last],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| self.error(e))? as usize;
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages m
             WHERE m.folder_id = ?1 AND m.uid BETWEEN ?2 AND ?3 AND m.flags & 1 = 0
             ORDER BY COALESCE(m.date, m.internal_date) DESC, m.uid DESC LIMIT ?4"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(
                params![folder_id, first, last, limit as i64],
                summary_from_row,
            )
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))?;
        Ok((count, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::*;

    #[test]
    fn envelopes_then_bodies_fill_the_list_and_the_search_index_in_japanese_too() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let (e1, b1) = message(
            1,
            "会議室の予約について",
            "来週の打ち合わせは第二会議室です。",
        );
        let (e2, b2) = message(2, "Budget review", "Numbers attached.");
        assert_eq!(store.add_envelopes(inbox, &[e1.clone(), e2]).unwrap(), 2);
        // Replaying the same batch after a crash adds nothing.
        assert_eq!(store.add_envelopes(inbox, &[e1]).unwrap(), 0);

        let list = store
            .messages(inbox, SortOrder::NewestFirst, 0, 10)
            .unwrap();
        assert_eq!(list.len(), 2);
        assert!(
            list.iter()
                .all(|m| m.body_state == BodyState::NotDownloaded)
        );
        // The header fields wait for the indexer (the header pass is what the list waits for);
        // a search meanwhile says it is incomplete.
        assert!(store.search("会議室", 10).unwrap().is_empty());
        assert_eq!(store.unindexed_count().unwrap(), 2);
        let stop = std::sync::atomic::AtomicBool::new(false);
        assert_eq!(store.build_index(&stop, &mut |_, _| {}).unwrap(), 2);
        assert_eq!(store.unindexed_count().unwrap(), 0);
        assert_eq!(
            store.search("会議室", 10).unwrap().len(),
            1,
            "subject indexed by the indexer"
        );
        assert!(
            store.search("打ち合わせ", 10).unwrap().is_empty(),
            "body not here yet"
        );
        assert_eq!(
            store.missing_bodies(inbox, BodyWindow::All).unwrap().len(),
            2
        );

        assert_eq!(store.add_bodies(inbox, &[b1, b2]).unwrap(), 2);
        let hits = store.search("打ち合わせ", 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].subject, "会議室の予約について");
        assert!(hits[0].preview.starts_with("来週の打ち合わせ"));
        assert_eq!(store.search("budg", 10).unwrap().len(), 1, "word prefix");
        assert_eq!(store.search("taro", 10).unwrap().len(), 2, "addresses");
        assert!(
            store
                .missing_bodies(inbox, BodyWindow::All)
                .unwrap()
                .is_empty()
        );
        let raw = store.message_raw(hits[0].id).unwrap().unwrap();
        assert!(String::from_utf8(raw).unwrap().contains("第二会議室"));
    }

    #[test]
    fn server_flag_changes_and_expunges_apply() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let (e1, _) = message(1, "a", "");
        let (e2, _) = message(2, "b", "");
        store.add_envelopes(inbox, &[e1, e2]).unwrap();
        let seen = Flags {
            seen: true,
            ..Flags::default()
        };
        assert_eq!(
            store
                .set_flags(inbox, &[(1, seen, Some(9)), (2, Flags::default(), None)])
                .unwrap(),
            1
        );
        assert_eq!(store.remove_uids(inbox, &[2, 99]).unwrap(), 1);
        assert_eq!(store.uids(inbox).unwrap(), [1]);
        assert_eq!(store.flags_by_uid(inbox).unwrap()[&1], seen.bits());
        let folders = store.folders().unwrap();
        assert_eq!(folders[0].role, Some(FolderRole::Inbox));
        assert_eq!((folders[0].total, folders[0].unread), (1, 0));
    }

    #[test]
    fn flags_round_trip_through_imap_words_and_bits() {
        let (flags, keywords) = Flags::from_imap(["\\Seen", "\\Flagged", "$Forwarded", "\\Recent"]);
        assert!(flags.seen && flags.flagged && !flags.answered);
        assert_eq!(keywords, ["$Forwarded"]);
        assert_eq!(Flags::from_bits(flags.bits()), flags);
    }

    #[test]
    fn unread_mail_in_a_uid_range_is_counted_newest_first_without_mail_read_elsewhere() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let envelopes: Vec<NewEnvelope> = (1..=6)
            .map(|uid| {
                let (mut envelope, _) = message(uid, &format!("件名 {uid}"), "");
                // UID 5 was read on another device before this pass fetched it.
                envelope.flags.seen = uid == 5;
                envelope
            })
            .collect();
        store.add_envelopes(inbox, &envelopes).unwrap();
        let (count, newest) = store.unread_in_uid_range(inbox, 3, 6, 2).unwrap();
        assert_eq!(count, 3, "UIDs 3, 4 and 6: 5 was read elsewhere");
        let subjects: Vec<_> = newest.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(subjects, ["件名 6", "件名 4"]);
        assert_eq!(
            newest[0].from.as_ref().map(|a| a.email.as_str()),
            Some("taro@example.jp")
        );
        assert_eq!(store.unread_in_uid_range(inbox, 7, 9, 2).unwrap().0, 0);
    }

    fn stored_count(store: &Store) -> (usize, u64, i64) {
        let (stored, bytes) = store.stored_totals().unwrap();
        let indexed: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM stored_messages WHERE search_key IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (stored, bytes, indexed)
    }

    #[test]
    fn a_message_in_several_folders_is_stored_once_and_its_body_not_asked_for_again() {
        let (_dir, mut store) = open();
        let (_, inbox, trash) = setup(&mut store);
        // The same message under two UIDs (a label, All Mail): the second folder's headers come
        // after the first folder's body was downloaded.
        let (envelope, body) = message(1, "会議室の予約について", "第二会議室です。");
        let raw = body.raw.clone();
        store
            .add_envelopes(inbox, std::slice::from_ref(&envelope))
            .unwrap();
        store.add_bodies(inbox, &[body]).unwrap();
        let mut seen_there = NewEnvelope {
            uid: 40,
            ..envelope.clone()
        };
        seen_there.flags.seen = true;
        assert_eq!(store.add_envelopes(trash, &[seen_there]).unwrap(), 1);
        assert!(
            store
                .missing_bodies(trash, BodyWindow::All)
                .unwrap()
                .is_empty(),
            "the copy's body is here already"
        );
        let copy = &store
            .messages(trash, SortOrder::NewestFirst, 0, 10)
            .unwrap()[0];
        assert_eq!(copy.body_state, BodyState::Downloaded);
        assert!(copy.flags.seen, "each folder keeps its own flags");
        assert!(
            !store
                .messages(inbox, SortOrder::NewestFirst, 0, 10)
                .unwrap()[0]
                .flags
                .seen
        );
        assert_eq!(store.message_raw(copy.id).unwrap().unwrap(), raw);
        assert_eq!(
            stored_count(&store),
            (1, raw.len() as u64, 1),
            "one copy of bytes and words"
        );
        assert_eq!(store.search("会議室", 10).unwrap().len(), 1, "one hit");

        // Both folders' headers before any body: the body downloaded for one serves both.
        let (e2, b2) = message(2, "Budget", "Numbers");
        store
            .add_envelopes(inbox, std::slice::from_ref(&e2))
            .unwrap();
        store
            .add_envelopes(trash, &[NewEnvelope { uid: 41, ..e2 }])
            .unwrap();
        store
            .add_bodies(trash, &[NewBody { uid: 41, ..b2 }])
            .unwrap();
        assert!(
            store
                .missing_bodies(inbox, BodyWindow::All)
                .unwrap()
                .is_empty()
        );
        assert_eq!(stored_count(&store).0, 2);
    }

    #[test]
    fn a_message_moved_on_the_server_is_not_downloaded_again_and_goes_when_no_folder_holds_it() {
        let (_dir, mut store) = open();
        let (account, inbox, trash) = setup(&mut store);
        let (envelope, body) = message(1, "moved", "text");
        store
            .add_envelopes(inbox, std::slice::from_ref(&envelope))
            .unwrap();
        store.add_bodies(inbox, &[body]).unwrap();
        // The source folder is synced first: the message is gone from it…
        store.remove_uids(inbox, &[1]).unwrap();
        // …and found in its new folder later in the same pass.
        store
            .add_envelopes(trash, &[NewEnvelope { uid: 7, ..envelope }])
            .unwrap();
        assert!(
            store
                .missing_bodies(trash, BodyWindow::All)
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.drop_unreferenced(account).unwrap(), 0);
        assert_eq!(store.search("moved", 10).unwrap()[0].folder_id, trash);
        // Expunged for good: the bytes and the index entry go with the last membership.
        store.remove_uids(trash, &[7]).unwrap();
        assert_eq!(store.drop_unreferenced(account).unwrap(), 1);
        assert_eq!(stored_count(&store), (0, 0, 0));
        let words: i64 = store
            .conn
            .query_row("SELECT count(*) FROM message_text", [], |r| r.get(0))
            .unwrap();
        assert_eq!(words, 0);
        assert!(store.search("moved", 10).unwrap().is_empty());
    }

    #[test]
    fn a_stranger_reusing_a_message_id_is_not_taken_for_the_message() {
        let (_dir, mut store) = open();
        let (_, inbox, trash) = setup(&mut store);
        let (envelope, body) = message(1, "the real one", "real");
        store
            .add_envelopes(inbox, std::slice::from_ref(&envelope))
            .unwrap();
        store.add_bodies(inbox, &[body]).unwrap();
        // Same Message-ID, another header (and size): a message of its own, downloaded.
        let (forged, _) = message(1, "the forged one", "forged");
        store
            .add_envelopes(trash, &[NewEnvelope { uid: 9, ..forged }])
            .unwrap();
        assert_eq!(
            store.missing_bodies(trash, BodyWindow::All).unwrap().len(),
            1
        );
        // Without a Message-ID nothing is shared, however alike.
        let bare = b"Subject: no id\r\n\r\n".to_vec();
        let no_id = NewEnvelope {
            uid: 2,
            size: 20,
            header: bare,
            ..envelope.clone()
        };
        store
            .add_envelopes(inbox, std::slice::from_ref(&no_id))
            .unwrap();
        store
            .add_envelopes(trash, &[NewEnvelope { uid: 10, ..no_id }])
            .unwrap();
        assert_eq!(store.stored_totals().unwrap().0, 4);
    }

    #[test]
    fn the_servers_identity_decides_where_it_has_one() {
        let (_dir, mut store) = open();
        let (_, inbox, trash) = setup(&mut store);
        let (envelope, _) = message(1, "gmail", "");
        let gmail = |uid, id: &str| NewEnvelope {
            uid,
            server_identity: Some(format!("x-gm-msgid:{id}")),
            ..envelope.clone()
        };
        store
            .add_envelopes(inbox, &[gmail(1, "1278455344230334865")])
            .unwrap();
        store
            .add_envelopes(trash, &[gmail(5, "1278455344230334865")])
            .unwrap();
        assert_eq!(store.stored_totals().unwrap().0, 1);
        // Same bytes, another server identity: two messages (the server says so).
        store
            .add_envelopes(trash, &[gmail(6, "1278455344230334866")])
            .unwrap();
        assert_eq!(store.stored_totals().unwrap().0, 2);
        assert_eq!(
            message_identity(None, true, 10, b"Message-ID: <a@b>\r\n\r\n")
                .unwrap()
                .len(),
            "rfc5322:".len() + 64
        );
    }
}
