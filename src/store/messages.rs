//! Messages as the list shows them: their rows (envelope fields, flags, the thread they belong to),
//! the pages of a folder or of every inbox together, and what the sync engine writes — new
//! envelopes (adopting rows found again by Message-ID), the server's flag changes and expunges.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::search::search_key;
use super::threads::thread_id;
use super::{Store, StoreError, fts, sqlite};
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
    /// already stored are skipped, so replaying a batch after a crash is harmless.
    pub fn add_envelopes(
        &mut self,
        folder_id: i64,
        envelopes: &[NewEnvelope],
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sqlite(&path, e))?;
        let mut added = 0;
        {
            let mut exists = tx
                .prepare_cached("SELECT 1 FROM messages WHERE folder_id = ?1 AND uid = ?2")
                .map_err(|e| sqlite(&path, e))?;
            let mut adopt = tx
                .prepare_cached(
                    "UPDATE messages SET uid = ?3, flags = ?4, modseq = ?5
                     WHERE id = (SELECT id FROM messages WHERE folder_id = ?1 AND uid IS NULL
                                 AND message_id = ?2 LIMIT 1)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (folder_id, uid, modseq, flags, keywords, internal_date, date,
                         size, subject, from_name, from_addr, recipients, message_id, in_reply_to, refs,
                         thread_id, has_attachments)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut index = tx
                .prepare_cached(
                    "INSERT INTO message_text (rowid, subject, addresses, body) VALUES (?1, ?2, ?3, '')",
                )
                .map_err(|e| sqlite(&path, e))?;
            let mut set_key = tx
                .prepare_cached("UPDATE messages SET search_key = ?2 WHERE id = ?1")
                .map_err(|e| sqlite(&path, e))?;
            // Index rows are written after the loop in ascending order: FTS5 keeps them in memory
            // until a lower row number comes, so rows in the order of the envelopes (newest first)
            // would each be flushed to a segment of its own, and merged again later.
            let mut index_rows = Vec::with_capacity(envelopes.len());
            for envelope in envelopes {
                if exists
                    .exists(params![folder_id, envelope.uid])
                    .map_err(|e| sqlite(&path, e))?
                {
                    continue;
                }
                let decoded = mime::decode_for_index(&envelope.header);
                if let Some(message_id) = &decoded.message_id {
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
                let thread_id = thread_id(&tx, &decoded, folder_id, envelope.uid)
                    .map_err(|e| sqlite(&path, e))?;
                let from = decoded.from.first();
                let recipients = address_text(&decoded);
                let subject = decoded.subject.clone().unwrap_or_default();
                // multipart/mixed (or a Content-Disposition: attachment header) announces files;
                // the exact list comes with the body.
                let header_text = String::from_utf8_lossy(&envelope.header).to_ascii_lowercase();
                let has_attachments = header_text.contains("multipart/mixed");
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
                        from.and_then(|m| m.name.clone()),
                        from.map(|m| m.address.clone()),
                        recipients,
                        decoded.message_id,
                        decoded.in_reply_to.join(" "),
                        decoded.references.join(" "),
                        thread_id,
                        has_attachments,
                    ])
                    .map_err(|e| sqlite(&path, e))?;
                let id = tx.last_insert_rowid();
                let key = search_key(decoded.date.or(envelope.internal_date), id);
                set_key
                    .execute(params![id, key])
                    .map_err(|e| sqlite(&path, e))?;
                index_rows.push((key, fts::index_text(&subject), fts::index_text(&recipients)));
                added += 1;
            }
            index_rows.sort_unstable_by_key(|(key, _, _)| *key);
            for (key, subject, addresses) in index_rows {
                index
                    .execute(params![key, subject, addresses])
                    .map_err(|e| sqlite(&path, e))?;
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

/// Deletes message rows with their bodies and index entries.
pub(super) fn delete_rows(tx: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    let mut unindex = tx.prepare_cached(
        "DELETE FROM message_text WHERE rowid = (SELECT search_key FROM messages WHERE id = ?1)",
    )?;
    let mut delete = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
    for id in ids {
        unindex.execute([id])?;
        delete.execute([id])?;
    }
    Ok(())
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
        assert_eq!(
            store.search("会議室", 10).unwrap().len(),
            1,
            "subject indexed at envelope time"
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
}
