//! Keyset paging for the message list and the conversations view. A page starts from the sort key
//! of a row the window already has (its date and id: the id breaks ties), so a deep page costs
//! what a first one does — a seek in `messages_by_date` and the page's own rows — where an OFFSET
//! read and threw away every row above it. Rows deleted or arriving between two pages neither
//! repeat a row nor skip one: the next page starts after the last row shown, wherever it now is.
//!
//! A jump to a position no loaded page is near (a scrollbar drag, a list read again after new
//! mail) first finds the key at that position from the nearest known one: counting rows there
//! reads only the date index (`(folder_id, date, id)` holds every column it needs, so no message
//! row is read), from the top, the bottom or a loaded page, whichever is nearer. SQLite keeps no
//! positions in its B-trees, so this is the one walk left; it touches index entries, not rows.
//!
//! The order is the list's as before: by `date` (a message without a Date header has none and
//! comes after every dated one, newest first; before them, oldest first — SQLite's NULL order),
//! then by id. The conversations view orders threads by their newest message in the list's scope
//! (its date, then its id) and walks the same index, keeping the messages that are the newest of
//! their thread (one probe of `messages_by_thread` each).

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Row, params_from_iter};

use super::messages::{MessageSummary, SUMMARY_COLUMNS, SortOrder, summary_from_row};
use super::threads::{ListScope, ThreadSummary};
use super::{Store, StoreError};

/// Where a row sits in the list's order: its `date` (none for a message without a Date header)
/// and its id, which breaks ties. For a conversation, its newest message's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowKey {
    pub date: Option<i64>,
    pub id: i64,
}

/// Where a page starts, in the list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seek {
    /// The rows after `after` (from the top when `None`), past the first `skip` of them.
    Forward { after: Option<RowKey>, skip: usize },
    /// The rows before `before` (from the bottom when `None`), past the `skip` nearest to it;
    /// the page still comes in the list's order.
    Backward { before: Option<RowKey>, skip: usize },
}

/// A page of rows with the keys of its first and last row, where the pages beside it start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub first: Option<RowKey>,
    pub last: Option<RowKey>,
}

impl<T> Page<T> {
    fn from_keyed(rows: Vec<(RowKey, T)>) -> Page<T> {
        let first = rows.first().map(|(k, _)| *k);
        let last = rows.last().map(|(k, _)| *k);
        Page {
            rows: rows.into_iter().map(|(_, row)| row).collect(),
            first,
            last,
        }
    }
}

/// The direction an index walk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Desc,
    Asc,
}

impl Dir {
    fn of(order: SortOrder) -> Dir {
        match order {
            SortOrder::NewestFirst => Dir::Desc,
            SortOrder::OldestFirst => Dir::Asc,
        }
    }

    fn reversed(self) -> Dir {
        match self {
            Dir::Desc => Dir::Asc,
            Dir::Asc => Dir::Desc,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Dir::Desc => "DESC",
            Dir::Asc => "ASC",
        }
    }

    /// The segments of the order: SQLite sorts NULL before every number.
    fn segments(self) -> [Segment; 2] {
        match self {
            Dir::Desc => [Segment::Dated, Segment::Undated],
            Dir::Asc => [Segment::Undated, Segment::Dated],
        }
    }
}

/// Messages with a date and messages without one: each is one range of the date index, so a
/// walk over both is two range walks one after the other (a row value compared with NULL is
/// NULL, so one condition cannot span both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Dated,
    Undated,
}

/// Rows of the message list, or the newest message of each conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Messages,
    Threads(ListScope),
}

impl Kind {
    /// The condition that `m` is its thread's newest message in the scope (none for messages).
    fn condition(self, segment: Segment) -> String {
        let scope = match self {
            Kind::Messages => return String::new(),
            Kind::Threads(scope) => scope,
        };
        let in_scope = match scope {
            ListScope::Folder(_) => "n.folder_id = m.folder_id",
            ListScope::UnifiedInbox => {
                "n.folder_id IN (SELECT id FROM folders WHERE role = 'inbox')"
            }
        };
        // A newer message of the thread: a later date, or the same date and a higher id; any
        // dated message is newer than an undated one (the newest is found as `threads.rs` does,
        // date DESC then id DESC). The date range keeps each probe to the thread's newer end.
        let newer = match segment {
            Segment::Dated => "n.date >= m.date AND (n.date > m.date OR n.id > m.id)",
            Segment::Undated => "(n.date IS NOT NULL OR n.id > m.id)",
        };
        format!(
            " AND NOT EXISTS (SELECT 1 FROM messages n INDEXED BY messages_by_thread
               WHERE {in_scope} AND n.thread_id = m.thread_id AND {newer})"
        )
    }
}

/// One range walk: the segment, and the key the walk starts after (if it starts inside it).
struct Range {
    segment: Segment,
    after: Option<RowKey>,
}

/// The ranges a walk in `dir` goes through after `after`, in order.
fn ranges(dir: Dir, after: Option<RowKey>) -> Vec<Range> {
    let segments = dir.segments();
    let Some(key) = after else {
        return segments
            .into_iter()
            .map(|segment| Range {
                segment,
                after: None,
            })
            .collect();
    };
    let start = if key.date.is_some() {
        Segment::Dated
    } else {
        Segment::Undated
    };
    let from = segments.iter().position(|s| *s == start).unwrap_or(0);
    segments[from..]
        .iter()
        .enumerate()
        .map(|(i, &segment)| Range {
            segment,
            after: (i == 0).then_some(key),
        })
        .collect()
}

/// The conditions of one range walk (after the folder's), with their parameters, numbered from
/// `?{first}` on.
fn range_sql(kind: Kind, dir: Dir, range: &Range, first: usize) -> (String, Vec<Value>) {
    let op = match dir {
        Dir::Desc => "<",
        Dir::Asc => ">",
    };
    let mut params = Vec::new();
    let mut clause = match range.segment {
        Segment::Dated => String::from(" AND m.date IS NOT NULL"),
        Segment::Undated => String::from(" AND m.date IS NULL"),
    };
    if let Some(key) = range.after {
        match key.date {
            Some(date) => {
                let second = first + 1;
                clause.push_str(&format!(" AND (m.date, m.id) {op} (?{first}, ?{second})"));
                params.push(Value::Integer(date));
                params.push(Value::Integer(key.id));
            }
            None => {
                clause.push_str(&format!(" AND m.id {op} ?{first}"));
                params.push(Value::Integer(key.id));
            }
        }
    }
    clause.push_str(&kind.condition(range.segment));
    (clause, params)
}

/// How many columns `SUMMARY_COLUMNS` names (the key follows them).
const SUMMARY_COUNT: usize = 14;

fn key_at(row: &Row<'_>, column: usize) -> rusqlite::Result<RowKey> {
    Ok(RowKey {
        date: row.get(column)?,
        id: row.get(column + 1)?,
    })
}

impl Store {
    /// A page of the message list (a folder, or every inbox together) by keyset.
    pub fn message_page(
        &self,
        scope: ListScope,
        order: SortOrder,
        seek: Seek,
        limit: usize,
    ) -> Result<Page<MessageSummary>, StoreError> {
        let rows = self.keyed_page(Kind::Messages, scope, order, seek, limit)?;
        Ok(Page::from_keyed(rows))
    }

    /// A page of the conversations view by keyset: threads ordered by their newest message in the
    /// scope, each with its count, unread count and whether any message is flagged.
    pub fn thread_page(
        &self,
        scope: ListScope,
        order: SortOrder,
        seek: Seek,
        limit: usize,
    ) -> Result<Page<ThreadSummary>, StoreError> {
        let newest = self.keyed_page(Kind::Threads(scope), scope, order, seek, limit)?;
        // The figures of the page's threads in one statement (one walk of `messages_by_thread`
        // per thread; thread ids are the store's own integers, written into it).
        let (condition, param) = scope.condition();
        let mut figures: HashMap<i64, (u32, u32, bool)> = HashMap::new();
        if !newest.is_empty() {
            let threads = newest
                .iter()
                .map(|(_, m)| m.thread_id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let figures_sql = format!(
                "SELECT m.thread_id, count(*), coalesce(sum((m.flags & 1) = 0), 0),
                        coalesce(max((m.flags & 4) != 0), 0)
                 FROM messages m INDEXED BY messages_by_thread
                 WHERE {condition} AND m.thread_id IN ({threads}) GROUP BY m.thread_id"
            );
            let mut statement = self.conn.prepare(&figures_sql).map_err(|e| self.error(e))?;
            let rows = statement
                .query_map([param], |r| {
                    Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| self.error(e))?;
            figures.extend(rows);
        }
        let threads = newest
            .into_iter()
            .map(|(key, message)| {
                // A thread's newest message is in it: found. (A message without a thread, id 0,
                // counts as itself.)
                let (count, unread, flagged) = figures
                    .get(&message.thread_id)
                    .copied()
                    .unwrap_or((1, u32::from(!message.flags.seen), message.flags.flagged));
                (
                    key,
                    ThreadSummary {
                        newest: message,
                        count,
                        unread,
                        flagged,
                    },
                )
            })
            .collect();
        Ok(Page::from_keyed(threads))
    }

    /// The folders a scope's rows are in.
    fn scope_folders(&self, scope: ListScope) -> Result<Vec<i64>, StoreError> {
        match scope {
            ListScope::Folder(id) => Ok(vec![id]),
            ListScope::UnifiedInbox => self
                .conn
                .prepare_cached("SELECT id FROM folders WHERE role = 'inbox' ORDER BY id")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .map_err(|e| self.error(e)),
        }
    }

    /// A page of `kind`'s rows: found by `seek`, in the list's order. Every inbox of the unified
    /// inbox is walked on its own index range and the walks merged.
    fn keyed_page(
        &self,
        kind: Kind,
        scope: ListScope,
        order: SortOrder,
        seek: Seek,
        limit: usize,
    ) -> Result<Vec<(RowKey, MessageSummary)>, StoreError> {
        let folders = self.scope_folders(scope)?;
        let (dir, from, skip) = match seek {
            Seek::Forward { after, skip } => (Dir::of(order), after, skip),
            Seek::Backward { before, skip } => (Dir::of(order).reversed(), before, skip),
        };
        let from = if skip == 0 {
            from
        } else {
            match self.skip(kind, &folders, dir, from, skip)? {
                Some(key) => Some(key),
                None => return Ok(Vec::new()),
            }
        };
        let mut rows = self.walk(kind, &folders, dir, from, limit)?;
        if dir != Dir::of(order) {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Up to `limit` rows of the folders after `after`, walking in `dir`, each with its key. The
    /// folders' walks are one compound SELECT that SQLite merges in order (`MERGE (UNION ALL)`:
    /// each walks its own index range, no sort), so only the page's rows are read.
    fn walk(
        &self,
        kind: Kind,
        folders: &[i64],
        dir: Dir,
        after: Option<RowKey>,
        limit: usize,
    ) -> Result<Vec<(RowKey, MessageSummary)>, StoreError> {
        let mut rows = Vec::new();
        for range in ranges(dir, after) {
            if rows.len() >= limit || folders.is_empty() {
                break;
            }
            let (clause, params) = range_sql(kind, dir, &range, 1);
            // Folder ids are the store's own integers: written into the statement, so every arm
            // shares the key's parameters.
            let arms = folders
                .iter()
                .map(|folder| {
                    format!(
                        "SELECT {SUMMARY_COLUMNS}, m.date, m.id FROM messages m
                         WHERE m.folder_id = {folder}{clause}"
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            let sql = format!(
                "{arms} ORDER BY {date} {dir}, {id} {dir} LIMIT {}",
                limit - rows.len(),
                date = SUMMARY_COUNT + 1,
                id = SUMMARY_COUNT + 2,
                dir = dir.sql(),
            );
            let mut statement = self.conn.prepare_cached(&sql).map_err(|e| self.error(e))?;
            let found = statement
                .query_map(params_from_iter(params), |row| {
                    Ok((key_at(row, SUMMARY_COUNT)?, summary_from_row(row)?))
                })
                .and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| self.error(e))?;
            rows.extend(found);
        }
        Ok(rows)
    }

    /// The key of the `skip`th row after `after` in `dir` (the last row a jump passes over), or
    /// `None` when there are not that many. SQLite counts along the date index by OFFSET, reading
    /// no message row; the inboxes of the unified inbox are one compound SELECT that SQLite merges
    /// walking each inbox's index range (`MERGE (UNION ALL)`: no sort).
    fn skip(
        &self,
        kind: Kind,
        folders: &[i64],
        dir: Dir,
        after: Option<RowKey>,
        skip: usize,
    ) -> Result<Option<RowKey>, StoreError> {
        let mut left = skip;
        for range in ranges(dir, after) {
            let (clause, params) = range_sql(kind, dir, &range, 1);
            // Folder ids are the store's own integers: written into the statement, so each arm
            // shares the key's parameters.
            let arms = folders
                .iter()
                .map(|folder| {
                    format!(
                        "SELECT m.date, m.id FROM messages m WHERE m.folder_id = {folder}{clause}"
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            if arms.is_empty() {
                return Ok(None);
            }
            let sql = format!(
                "{arms} ORDER BY 1 {dir}, 2 {dir} LIMIT 1 OFFSET {}",
                left - 1,
                dir = dir.sql()
            );
            let found = self
                .conn
                .prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_map(params_from_iter(params.iter()), |r| key_at(r, 0))?
                        .next()
                        .transpose()
                })
                .map_err(|e| self.error(e))?;
            if found.is_some() {
                return Ok(found);
            }
            let count: i64 = self
                .conn
                .prepare_cached(&format!("SELECT count(*) FROM ({arms})"))
                .and_then(|mut s| s.query_row(params_from_iter(params.iter()), |r| r.get(0)))
                .map_err(|e| self.error(e))?;
            // Fewer rows than `left` here (else the OFFSET found one): the rest is further on.
            left -= (count as usize).min(left - 1);
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::*;

    /// A message with a Date on `day` of November 2026 at 10:00 (none when `None`: the list sorts
    /// it after every dated one), replying to message `parent` when given.
    fn envelope(uid: u32, day: Option<u32>, parent: Option<u32>) -> NewEnvelope {
        let references = parent
            .map(|p| format!("In-Reply-To: <p{p}@example.jp>\r\nReferences: <p{p}@example.jp>\r\n"))
            .unwrap_or_default();
        let date = day
            .map(|d| format!("Date: {d} Nov 2026 10:00:00 +0900\r\n"))
            .unwrap_or_default();
        let header = format!(
            "From: Taro <taro@example.jp>\r\nTo: alice@example.test\r\nSubject: message {uid}\r\n\
             Message-ID: <p{uid}@example.jp>\r\n{references}{date}\r\n"
        );
        NewEnvelope {
            server_identity: None,
            uid,
            flags: Flags::default(),
            keywords: vec![],
            modseq: Some(1),
            internal_date: None,
            size: header.len() as u32,
            header: header.into_bytes(),
        }
    }

    /// `count` messages from uid `first` on, on a handful of days (so most share their date with
    /// others: ties the id must break), every ninth without a date.
    fn fill(store: &mut Store, folder: i64, first: u32, count: u32) {
        let envelopes: Vec<_> = (first..first + count)
            .map(|uid| envelope(uid, (uid % 9 != 0).then_some(1 + uid % 4), None))
            .collect();
        store.add_envelopes(folder, &envelopes).unwrap();
    }

    fn ids(rows: &[MessageSummary]) -> Vec<i64> {
        rows.iter().map(|m| m.id).collect()
    }

    /// Every page read forward after the last row of the one before, joined.
    fn forward_pages(store: &Store, scope: ListScope, order: SortOrder, size: usize) -> Vec<i64> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .message_page(scope, order, Seek::Forward { after, skip: 0 }, size)
                .unwrap();
            all.extend(ids(&page.rows));
            if page.rows.len() < size {
                return all;
            }
            after = page.last;
        }
    }

    fn offset_pages(store: &Store, scope: ListScope, order: SortOrder) -> Vec<i64> {
        ids(&match scope {
            ListScope::Folder(id) => store.messages(id, order, 0, 10_000).unwrap(),
            ListScope::UnifiedInbox => store.unified_inbox(order, 0, 10_000).unwrap(),
        })
    }

    /// Each page found by every kind of seek — from the top, from the bottom, from the page
    /// before or after — is the OFFSET page at that position.
    fn every_seek_finds_the_offset_page(store: &Store, scope: ListScope, order: SortOrder) {
        let reference = offset_pages(store, scope, order);
        let size = 7;
        let total = reference.len();
        for page in 0..total.div_ceil(size) {
            let start = page * size;
            let end = (start + size).min(total);
            let want = &reference[start..end];
            let from_top = store
                .message_page(
                    scope,
                    order,
                    Seek::Forward {
                        after: None,
                        skip: start,
                    },
                    size,
                )
                .unwrap();
            assert_eq!(ids(&from_top.rows), want, "page {page} from the top");
            let from_bottom = store
                .message_page(
                    scope,
                    order,
                    Seek::Backward {
                        before: None,
                        skip: total - end,
                    },
                    end - start,
                )
                .unwrap();
            assert_eq!(ids(&from_bottom.rows), want, "page {page} from the bottom");
            assert_eq!(
                (from_bottom.first, from_bottom.last),
                (from_top.first, from_top.last)
            );
            if page > 0 {
                let above = store
                    .message_page(
                        scope,
                        order,
                        Seek::Forward {
                            after: None,
                            skip: start - size,
                        },
                        size,
                    )
                    .unwrap();
                let after_above = store
                    .message_page(
                        scope,
                        order,
                        Seek::Forward {
                            after: above.last,
                            skip: 0,
                        },
                        size,
                    )
                    .unwrap();
                assert_eq!(
                    ids(&after_above.rows),
                    want,
                    "page {page} after the one above"
                );
                // Two pages past a loaded one (a jump near it).
                if page > 1 {
                    let two_above = store
                        .message_page(
                            scope,
                            order,
                            Seek::Forward {
                                after: None,
                                skip: start - 2 * size,
                            },
                            size,
                        )
                        .unwrap();
                    let jumped = store
                        .message_page(
                            scope,
                            order,
                            Seek::Forward {
                                after: two_above.last,
                                skip: size,
                            },
                            size,
                        )
                        .unwrap();
                    assert_eq!(ids(&jumped.rows), want, "page {page} jumped to");
                }
            }
            if end < total {
                let below = store
                    .message_page(
                        scope,
                        order,
                        Seek::Forward {
                            after: None,
                            skip: end,
                        },
                        size,
                    )
                    .unwrap();
                let before_below = store
                    .message_page(
                        scope,
                        order,
                        Seek::Backward {
                            before: below.first,
                            skip: 0,
                        },
                        end - start,
                    )
                    .unwrap();
                assert_eq!(
                    ids(&before_below.rows),
                    want,
                    "page {page} before the one below"
                );
            }
        }
        let past_the_end = store
            .message_page(
                scope,
                order,
                Seek::Forward {
                    after: None,
                    skip: total + 3,
                },
                size,
            )
            .unwrap();
        assert!(past_the_end.rows.is_empty());
    }

    #[test]
    fn keyset_pages_are_the_offset_pages_in_the_same_order_ties_and_undated_included() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        fill(&mut store, inbox, 1, 60);
        let scope = ListScope::Folder(inbox);
        let dates: Vec<_> = store
            .messages(inbox, SortOrder::NewestFirst, 0, 100)
            .unwrap()
            .iter()
            .map(|m| m.date)
            .collect();
        assert!(dates.contains(&None), "some messages have no date");
        for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
            let reference = offset_pages(&store, scope, order);
            assert_eq!(reference.len(), 60);
            for size in [1, 7, 60, 200] {
                assert_eq!(forward_pages(&store, scope, order, size), reference);
            }
            every_seek_finds_the_offset_page(&store, scope, order);
        }
    }

    #[test]
    fn unified_inbox_pages_merge_every_inbox_as_the_offset_query_did() {
        let (_dir, mut store) = open();
        let (_, inbox, trash) = setup(&mut store);
        let (_, bob_inbox) = account_with_inbox(&mut store, "bob@example.test");
        // Added in turns, so the ids of the two inboxes interleave.
        for turn in 0..4 {
            fill(&mut store, inbox, 1 + turn * 10, 10);
            fill(&mut store, bob_inbox, 1 + turn * 5, 5);
        }
        fill(&mut store, trash, 1, 10);
        let scope = ListScope::UnifiedInbox;
        for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
            let reference = offset_pages(&store, scope, order);
            assert_eq!(reference.len(), 60, "both inboxes, not the trash");
            for size in [1, 7, 200] {
                assert_eq!(forward_pages(&store, scope, order, size), reference);
            }
            every_seek_finds_the_offset_page(&store, scope, order);
        }
    }

    #[test]
    fn rows_deleted_between_pages_are_neither_repeated_nor_skipped_past() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        fill(&mut store, inbox, 1, 30);
        let scope = ListScope::Folder(inbox);
        let order = SortOrder::NewestFirst;
        let before = offset_pages(&store, scope, order);
        let first = store
            .message_page(
                scope,
                order,
                Seek::Forward {
                    after: None,
                    skip: 0,
                },
                10,
            )
            .unwrap();
        // The last row shown and the first two of the next page go (to the trash) meanwhile.
        for id in [before[9], before[10], before[11]] {
            store.delete(id).unwrap();
        }
        let second = store
            .message_page(
                scope,
                order,
                Seek::Forward {
                    after: first.last,
                    skip: 0,
                },
                10,
            )
            .unwrap();
        assert_eq!(
            ids(&second.rows),
            before[12..22],
            "the page goes on where the first ended"
        );
        // OFFSET would have skipped three rows: what the next page must start with.
        let by_offset = store.messages(inbox, order, 10, 10).unwrap();
        assert_ne!(ids(&by_offset)[0], before[12]);
    }

    #[test]
    fn new_mail_arriving_at_the_top_while_scrolling_repeats_no_row() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        fill(&mut store, inbox, 1, 30);
        let scope = ListScope::Folder(inbox);
        for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
            let before = offset_pages(&store, scope, order);
            let first = store
                .message_page(
                    scope,
                    order,
                    Seek::Forward {
                        after: None,
                        skip: 0,
                    },
                    10,
                )
                .unwrap();
            assert_eq!(ids(&first.rows), before[..10]);
            // Newer mail arrives (dated later than all, and undated: the two ends of the order).
            let uid = 100 + store.message_count(inbox).unwrap() as u32;
            store
                .add_envelopes(
                    inbox,
                    &[envelope(uid, Some(20), None), envelope(uid + 1, None, None)],
                )
                .unwrap();
            let second = store
                .message_page(
                    scope,
                    order,
                    Seek::Forward {
                        after: first.last,
                        skip: 0,
                    },
                    10,
                )
                .unwrap();
            assert_eq!(ids(&second.rows), before[10..20], "{order:?}");
        }
    }

    /// The conversations view computed from every message: threads by their newest message in
    /// the folder (date, then id; undated after dated), with counts.
    fn reference_threads(store: &Store, folder: i64, order: SortOrder) -> Vec<(i64, u32, u32)> {
        let all = store
            .messages(folder, SortOrder::NewestFirst, 0, 10_000)
            .unwrap();
        // (thread, its newest message's key, count, unread)
        let mut threads: Vec<(i64, RowKey, u32, u32)> = Vec::new();
        for message in &all {
            // `messages` comes newest first: a thread's first row is its newest.
            match threads.iter_mut().find(|t| t.0 == message.thread_id) {
                Some(thread) => {
                    thread.2 += 1;
                    thread.3 += u32::from(!message.flags.seen);
                }
                None => threads.push((
                    message.thread_id,
                    RowKey {
                        date: store_date(store, message.id),
                        id: message.id,
                    },
                    1,
                    u32::from(!message.flags.seen),
                )),
            }
        }
        threads.sort_by(|a, b| {
            let ascending = (a.1.date, a.1.id).cmp(&(b.1.date, b.1.id));
            match order {
                SortOrder::OldestFirst => ascending,
                SortOrder::NewestFirst => ascending.reverse(),
            }
        });
        threads.into_iter().map(|t| (t.1.id, t.2, t.3)).collect()
    }

    fn store_date(store: &Store, id: i64) -> Option<i64> {
        store
            .conn
            .query_row("SELECT date FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap()
    }

    #[test]
    fn conversation_pages_by_keyset_are_the_threads_by_their_newest_message() {
        let (_dir, mut store) = open();
        let (_, inbox, _) = setup(&mut store);
        // Threads of one to five messages, on a few days (ties), some undated.
        let envelopes: Vec<_> = (1..=80u32)
            .map(|uid| {
                let parent = (uid % 5 != 1)
                    .then(|| uid - uid % 5 + 1)
                    .filter(|p| *p < uid);
                envelope(uid, (uid % 7 != 0).then_some(1 + uid % 3), parent)
            })
            .collect();
        store.add_envelopes(inbox, &envelopes).unwrap();
        let all = store
            .messages(inbox, SortOrder::NewestFirst, 0, 100)
            .unwrap();
        store.set_seen(all[3].id, true).unwrap();
        store.set_seen(all[40].id, true).unwrap();
        let scope = ListScope::Folder(inbox);
        for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
            let reference = reference_threads(&store, inbox, order);
            assert_eq!(reference.len(), store.thread_count(scope).unwrap());
            let shape = |page: &Page<ThreadSummary>| -> Vec<(i64, u32, u32)> {
                page.rows
                    .iter()
                    .map(|t| (t.newest.id, t.count, t.unread))
                    .collect()
            };
            let mut joined = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .thread_page(scope, order, Seek::Forward { after, skip: 0 }, 3)
                    .unwrap();
                joined.extend(shape(&page));
                if page.rows.len() < 3 {
                    break;
                }
                after = page.last;
            }
            assert_eq!(joined, reference, "{order:?}");
            for start in [0, 4, 9, reference.len() - 2] {
                let jumped = store
                    .thread_page(
                        scope,
                        order,
                        Seek::Forward {
                            after: None,
                            skip: start,
                        },
                        3,
                    )
                    .unwrap();
                let end = (start + 3).min(reference.len());
                assert_eq!(
                    shape(&jumped),
                    reference[start..end],
                    "from the top to {start}"
                );
                let from_bottom = store
                    .thread_page(
                        scope,
                        order,
                        Seek::Backward {
                            before: None,
                            skip: reference.len() - end,
                        },
                        end - start,
                    )
                    .unwrap();
                assert_eq!(
                    shape(&from_bottom),
                    reference[start..end],
                    "from the bottom"
                );
            }
        }
    }
}
