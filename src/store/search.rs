//! Finding mail: full-text search over subject, addresses and body (FTS5, with Japanese text
//! shaped by `fts`), and the senders the composer offers while an address is typed.

use rusqlite::params;

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
            .query_map(params![query, limit as i64], summary_from_row)
            .and_then(|rows| rows.collect())
            .map_err(|e| self.error(e))
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
