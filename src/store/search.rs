//! Finding mail: full-text search over subject, addresses and body (FTS5, with Japanese text
//! shaped by `fts`), and the senders the composer offers while an address is typed.

use rusqlite::params;

use super::bodies::{PreparedBody, head_of_raw};
use super::messages::{MessageSummary, SUMMARY_COLUMNS, summary_from_row};
use super::{Store, StoreError, fts};

impl Store {
    /// Full-text search over subject, addresses and body text, newest first (as mail programs show
    /// search results; ranking by relevance costs a score for every match, which is slow for
    /// common words in a large mailbox). A message in several folders is one hit (shown in the
    /// folder where it was found first).
    pub fn search(&self, typed: &str, limit: usize) -> Result<Vec<MessageSummary>, StoreError> {
        let Some(query) = fts::query(typed) else {
            return Ok(Vec::new());
        };
        if query.needs_check() {
            return self.search_checked(&query, limit);
        }
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM
                 (SELECT rowid AS key FROM message_text WHERE message_text MATCH ?1
                  ORDER BY rowid DESC LIMIT ?2) t
             JOIN stored_messages s ON s.search_key = t.key
             JOIN messages m ON m.id = (SELECT min(id) FROM messages WHERE stored_id = s.id)
             ORDER BY t.key DESC"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        statement
            .query_map(params![query.fts, limit as i64], summary_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
    }

    /// A search with runs of three or more CJK characters: the index finds the messages holding
    /// every bigram (newest first, read one at a time), and each is kept if it holds each run in
    /// one piece — in its subject or addresses, else in the text the index was built from (the
    /// decoded head of the stored message).
    fn search_checked(
        &self,
        query: &fts::Query,
        limit: usize,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, s.id, m.recipients, s.body_state FROM message_text t
             JOIN stored_messages s ON s.search_key = t.rowid
             JOIN messages m ON m.id = (SELECT min(id) FROM messages WHERE stored_id = s.id)
             WHERE message_text MATCH ?1 ORDER BY t.rowid DESC"
        );
        let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
        let mut rows = statement.query([&query.fts]).map_err(|e| self.error(e))?;
        let mut hits = Vec::new();
        while hits.len() < limit {
            let Some(row) = rows.next().map_err(|e| self.error(e))? else {
                break;
            };
            let summary = summary_from_row(row).map_err(|e| self.error(e))?;
            let stored_id: i64 = row.get(14).map_err(|e| self.error(e))?;
            let recipients: String = row.get(15).map_err(|e| self.error(e))?;
            let body_state: i64 = row.get(16).map_err(|e| self.error(e))?;
            let subject = fts::index_text(&summary.subject);
            let addresses = fts::index_text(&recipients);
            let mut found = query.holds_phrases(&[subject.as_str(), addresses.as_str()]);
            // Only a message whose text is in the index (decoded: 1 or 2) can have matched there.
            if !found
                && matches!(body_state, 1 | 2)
                && let Some(head) = head_of_raw(self, stored_id)?
            {
                let body = PreparedBody::decode_head(&head);
                let [subject, addresses, text] = body.index_fields();
                found = query.holds_phrases(&[subject, addresses, text]);
            }
            if found {
                hits.push(summary);
            }
        }
        Ok(hits)
    }
}

/// The full-text index's row number for a message: its date in the high bits, so that FTS5 —
/// which walks its lists in row-number order — yields the newest matches first and a search can
/// stop after the first page however many messages match. The low 24 bits (the stored message's
/// row id) keep keys unique.
pub(super) fn search_key(date: Option<i64>, id: i64) -> i64 {
    let date = date.unwrap_or(0).clamp(0, (1 << 38) - 1);
    (date << 24) | (id & 0xFF_FFFF)
}

// ---------------------------------------------------------------------------------------------
// Address completion (added for the composer). Read-only.

impl Store {
    /// People who have written to this mailbox whose address or name starts with `typed` (any
    /// case), most frequent first: what the composer offers while an address is typed.
    pub fn known_senders(
        &self,
        typed: &str,
        limit: usize,
    ) -> Result<Vec<(Option<String>, String)>, StoreError> {
        // LIKE's wildcards in what was typed are matched literally.
        let escaped = typed
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("{escaped}%");
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT max(from_name), lower(from_addr) AS addr FROM messages
                 WHERE from_addr IS NOT NULL AND from_addr != ''
                   AND (lower(from_addr) LIKE ?1 ESCAPE '\\' OR lower(from_name) LIKE ?1 ESCAPE '\\')
                 GROUP BY addr ORDER BY count(*) DESC, addr LIMIT ?2",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(rusqlite::params![pattern, limit as i64], |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::store::*;

    /// The index keeps no positions (schema 10): a typed Japanese run is asked as its bigrams,
    /// and a message holding them apart is not a hit — in the subject, the addresses or the text,
    /// whether the text was indexed with the body or the message is headers only.
    #[test]
    fn a_japanese_phrase_is_found_only_where_its_characters_are_together() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let mail = [
            (1, "会議室の予約", "特になし"),
            (2, "会議の議事録", "第二議室です。"),
            (3, "お知らせ", "来週は第二会議室で打ち合わせです。"),
            (4, "お知らせ", "会議は議室で打ち合わせ。"),
            (5, "Meeting room", "The 会議室 is booked."),
        ];
        let mut envelopes = Vec::new();
        let mut bodies = Vec::new();
        for (uid, subject, text) in mail {
            let (envelope, body) = message(uid, subject, text);
            envelopes.push(envelope);
            if uid != 1 {
                bodies.push(body);
            }
        }
        store.add_envelopes(inbox, &envelopes).unwrap();
        // 2 and 3 are decoded as they are stored; 4 and 5 by the indexer; 1 stays headers only.
        store.add_bodies(inbox, &bodies[..2]).unwrap();
        let undecoded = bodies[2..]
            .iter()
            .cloned()
            .map(PreparedBody::undecoded)
            .collect();
        store.add_prepared_bodies(inbox, undecoded).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        store.build_index(&stop, &mut |_, _| {}).unwrap();
        let uids = |typed: &str| -> Vec<u32> {
            let mut uids: Vec<u32> = store
                .search(typed, 10)
                .unwrap()
                .iter()
                .map(|m| m.uid.unwrap())
                .collect();
            uids.sort_unstable();
            uids
        };
        assert_eq!(uids("会議室"), [1, 3, 5]);
        assert_eq!(uids("第二会議室"), [3]);
        assert_eq!(uids("会議"), [1, 2, 3, 4, 5], "two characters: one token");
        assert_eq!(uids("議室"), [1, 2, 3, 4, 5]);
        assert_eq!(uids("会議室 booked"), [5]);
        assert_eq!(uids("打ち合わせ 第二"), [3]);
        assert!(uids("議室会").is_empty());
        // The page stops at the limit, counting only real hits.
        assert_eq!(store.search("会議室", 2).unwrap().len(), 2);
    }

    #[test]
    fn search_results_come_newest_first_and_stop_at_the_page_size() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        let mut envelopes = Vec::new();
        // Inserted oldest last (as a first sync does, newest first), dates one day apart.
        for uid in (1..=30u32).rev() {
            let (mut envelope, _) = message(uid, &format!("report {uid}"), "");
            envelope.header = String::from_utf8(envelope.header)
                .unwrap()
                .replace("Mon, 2 Nov 2026", &format!("{} Oct 2026", uid.min(28)))
                .into_bytes();
            envelope.internal_date = Some(1_790_000_000 + i64::from(uid) * 86_400);
            envelopes.push(envelope);
        }
        store.add_envelopes(inbox, &envelopes).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        store.build_index(&stop, &mut |_, _| {}).unwrap();
        let hits = store.search("report", 5).unwrap();
        assert_eq!(hits.len(), 5);
        let dates: Vec<i64> = hits.iter().map(|h| h.date.unwrap()).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
        let newest = store.messages(inbox, SortOrder::NewestFirst, 0, 1).unwrap()[0].date;
        assert_eq!(
            Some(dates[0]),
            newest,
            "the first hit is the newest message"
        );
    }
}
