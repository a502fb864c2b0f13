//! The conversations view's rows: one per thread, with the expanded threads' messages under their
//! thread's row — which row is which, how expanding and closing moves the rows below and the
//! selection, and how a flag changed here shows at once in every row and thread that holds it.

use tayori::store::{Flags, MessageSummary, ThreadSummary};

use super::{List, PAGE};

/// An expanded conversation: its position in the thread list and its messages (empty until they
/// arrive from the store).
#[derive(Debug, Clone)]
pub struct Expanded {
    pub position: usize,
    pub thread: i64,
    pub messages: Vec<MessageSummary>,
}

/// What row `index` of the conversations view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A thread, by position in the thread list.
    Thread(usize),
    /// Message `1` of expanded thread `0` (an index into `expanded`).
    Child(usize, usize),
}

/// A row of the conversations view, for drawing.
pub enum Entry<'a> {
    Thread {
        position: usize,
        /// `None` until its page arrives.
        summary: Option<&'a ThreadSummary>,
        expanded: bool,
    },
    Child(&'a MessageSummary),
}

impl<'a> Entry<'a> {
    /// The message the row opens: a thread's newest, or the message itself.
    pub fn message(&self) -> Option<&'a MessageSummary> {
        match self {
            Entry::Thread { summary, .. } => summary.map(|t| &t.newest),
            Entry::Child(message) => Some(message),
        }
    }
}

impl List {
    /// Rows in the conversations view: one per thread, plus the expanded threads' messages.
    pub(super) fn thread_len(&self) -> usize {
        self.total.unwrap_or(0)
            + self
                .expanded
                .iter()
                .map(|e| e.messages.len())
                .sum::<usize>()
    }

    /// Walks the (few) expanded threads above `index`: the rows between are threads.
    fn slot(&self, index: usize) -> Slot {
        let mut above = 0;
        for (k, expanded) in self.expanded.iter().enumerate() {
            let row = expanded.position + above;
            if index < row {
                break;
            }
            if index == row {
                return Slot::Thread(expanded.position);
            }
            if index <= row + expanded.messages.len() {
                return Slot::Child(k, index - row - 1);
            }
            above += expanded.messages.len();
        }
        Slot::Thread(index - above)
    }

    /// The thread that row `index` belongs to, by position.
    pub(super) fn thread_of(&self, index: usize) -> usize {
        match self.slot(index) {
            Slot::Thread(position) => position,
            Slot::Child(k, _) => self.expanded[k].position,
        }
    }

    /// The row of the thread at `position`.
    fn thread_row(&self, position: usize) -> usize {
        position
            + self
                .expanded
                .iter()
                .take_while(|e| e.position < position)
                .map(|e| e.messages.len())
                .sum::<usize>()
    }

    pub fn entry(&self, index: usize) -> Option<Entry<'_>> {
        if index >= self.len() {
            return None;
        }
        Some(match self.slot(index) {
            Slot::Thread(position) => Entry::Thread {
                position,
                summary: self
                    .thread_pages
                    .get(&(position / PAGE))
                    .and_then(|page| page.get(position % PAGE)),
                expanded: self.expanded.iter().any(|e| e.position == position),
            },
            Slot::Child(k, child) => Entry::Child(self.expanded[k].messages.get(child)?),
        })
    }

    fn thread_at(&self, position: usize) -> Option<&ThreadSummary> {
        self.thread_pages
            .get(&(position / PAGE))
            .and_then(|page| page.get(position % PAGE))
    }

    /// A page of threads arrived. Expanded threads on it that moved (new mail reordered the list)
    /// follow their thread; those no longer there close.
    pub(super) fn thread_page_arrived(&mut self, page: usize, rows: Vec<ThreadSummary>) {
        let range = page * PAGE..(page + 1) * PAGE;
        let first = range.start;
        self.expanded.retain_mut(|e| {
            if !range.contains(&e.position) {
                return true;
            }
            match rows.iter().position(|t| t.newest.thread_id == e.thread) {
                Some(found) => {
                    e.position = first + found;
                    true
                }
                None => false,
            }
        });
        self.expanded.sort_by_key(|e| e.position);
        self.expanded.dedup_by_key(|e| e.position);
        self.thread_pages.insert(page, rows);
    }

    /// Opens or closes the thread at `position`; returns the thread to load when it opened.
    pub(super) fn toggle_thread(&mut self, position: usize) -> Option<i64> {
        let row = self.thread_row(position);
        if let Some(k) = self.expanded.iter().position(|e| e.position == position) {
            let closed = self.expanded.remove(k);
            let shown = closed.messages.len();
            // The selection stays on the same message, or on the thread if it was inside it.
            self.selected = self.selected.map(|s| {
                if s > row + shown {
                    s - shown
                } else if s > row {
                    row
                } else {
                    s
                }
            });
            return None;
        }
        let thread = self.thread_at(position)?.newest.thread_id;
        let at = self.expanded.partition_point(|e| e.position < position);
        self.expanded.insert(
            at,
            Expanded {
                position,
                thread,
                messages: Vec::new(),
            },
        );
        Some(thread)
    }

    /// An expanded thread's messages arrived (or arrived again after a change).
    pub(super) fn thread_arrived(&mut self, thread: i64, messages: Vec<MessageSummary>) {
        let Some(k) = self.expanded.iter().position(|e| e.thread == thread) else {
            return;
        };
        let row = self.thread_row(self.expanded[k].position);
        let before = self.expanded[k].messages.len();
        let after = messages.len();
        self.expanded[k].messages = messages;
        self.selected = self.selected.map(|s| {
            if s > row + before {
                s + after - before
            } else {
                s.min(row + after)
            }
        });
    }

    /// Changes a message's flags in every row that shows it, and the figures of its thread, so
    /// the list shows a change at once (the store has it a moment later).
    pub fn change_flags(&mut self, id: i64, change: impl Fn(&mut Flags)) {
        let mut changed = None;
        let mut apply = |message: &mut MessageSummary| {
            if message.id == id {
                let before = message.flags;
                change(&mut message.flags);
                changed = Some((before, message.flags, message.thread_id));
            }
        };
        self.pages.values_mut().flatten().for_each(&mut apply);
        if let Some((_, Some(results))) = &mut self.search {
            results.iter_mut().for_each(&mut apply);
        }
        self.expanded
            .iter_mut()
            .flat_map(|e| e.messages.iter_mut())
            .for_each(&mut apply);
        self.thread_pages
            .values_mut()
            .flatten()
            .for_each(|t| apply(&mut t.newest));
        let Some((before, after, thread)) = changed else {
            return;
        };
        let members: Option<Vec<Flags>> = self
            .expanded
            .iter()
            .find(|e| e.thread == thread && !e.messages.is_empty())
            .map(|e| e.messages.iter().map(|m| m.flags).collect());
        for summary in self
            .thread_pages
            .values_mut()
            .flatten()
            .filter(|t| t.newest.thread_id == thread)
        {
            if before.seen && !after.seen {
                summary.unread += 1;
            } else if !before.seen && after.seen {
                summary.unread = summary.unread.saturating_sub(1);
            }
            if after.flagged {
                summary.flagged = true;
            } else if before.flagged {
                // Another message of the thread may still be flagged: known when the thread is
                // open or alone; otherwise the store's figures, read again, tell.
                summary.flagged = match &members {
                    Some(flags) => flags.iter().any(|f| f.flagged),
                    None => summary.flagged && summary.count > 1,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Source;
    use super::*;
    use tayori::store::BodyState;
    use tayori::store::SortOrder;

    fn message(id: i64, thread: i64, seen: bool, flagged: bool) -> MessageSummary {
        MessageSummary {
            id,
            folder_id: 1,
            uid: Some(id as u32),
            date: Some(id),
            from: None,
            subject: format!("m{id}"),
            flags: Flags {
                seen,
                flagged,
                ..Flags::default()
            },
            size: 1,
            has_attachments: false,
            thread_id: thread,
            message_id: None,
            body_state: BodyState::Downloaded,
            preview: String::new(),
        }
    }

    fn thread(newest: MessageSummary, count: u32, unread: u32, flagged: bool) -> ThreadSummary {
        ThreadSummary {
            newest,
            count,
            unread,
            flagged,
        }
    }

    /// Five threads: t10 (3 messages, 1 unread, 1 flagged), t20, t30 (2), t40, t50.
    fn list() -> List {
        let mut list = List::new(Source::Unified, SortOrder::NewestFirst, 1, 600.0);
        list.threads = true;
        list.total = Some(5);
        list.thread_page_arrived(
            0,
            vec![
                thread(message(3, 10, false, false), 3, 1, true),
                thread(message(4, 20, true, false), 1, 0, false),
                thread(message(6, 30, true, false), 2, 0, false),
                thread(message(7, 40, true, false), 1, 0, false),
                thread(message(8, 50, true, false), 1, 0, false),
            ],
        );
        list
    }

    fn ids(list: &List) -> Vec<i64> {
        (0..list.len()).map(|i| list.row(i).unwrap().id).collect()
    }

    #[test]
    fn expanded_threads_insert_their_messages_under_their_row_and_close_again() {
        let mut list = list();
        assert_eq!(ids(&list), [3, 4, 6, 7, 8]);
        list.selected = Some(3); // thread t40 (message 7)
        assert_eq!(list.toggle_thread(2), Some(30));
        list.thread_arrived(
            30,
            vec![message(6, 30, true, false), message(5, 30, true, false)],
        );
        assert_eq!(ids(&list), [3, 4, 6, 6, 5, 7, 8]);
        assert_eq!(list.selected, Some(5), "the selection stays on message 7");
        assert_eq!(list.toggle_thread(0), Some(10));
        list.thread_arrived(
            10,
            vec![
                message(3, 10, false, false),
                message(2, 10, true, true),
                message(1, 10, true, false),
            ],
        );
        assert_eq!(ids(&list), [3, 3, 2, 1, 4, 6, 6, 5, 7, 8]);
        assert_eq!(list.selected, Some(8));
        assert!(matches!(
            list.entry(4),
            Some(Entry::Thread { position: 1, .. })
        ));
        assert!(matches!(list.entry(2), Some(Entry::Child(m)) if m.id == 2));
        assert_eq!(list.thread_of(7), 2, "a child row belongs to its thread");
        assert_eq!(list.thread_of(9), 4);

        // Closing the first thread moves the rows below back up; a selection inside a closing
        // thread lands on the thread's row.
        list.selected = Some(7); // message 5, inside t30
        assert_eq!(list.toggle_thread(2), None);
        assert_eq!(ids(&list), [3, 3, 2, 1, 4, 6, 7, 8]);
        assert_eq!(list.selected, Some(5), "on t30's row");
        assert_eq!(list.toggle_thread(0), None);
        assert_eq!(ids(&list), [3, 4, 6, 7, 8]);
        assert_eq!(list.selected, Some(2));
    }

    #[test]
    fn flag_and_read_changes_show_in_the_thread_row_at_once() {
        let mut list = list();
        list.change_flags(3, |f| f.seen = true);
        let Some(Entry::Thread {
            summary: Some(t), ..
        }) = list.entry(0)
        else {
            panic!()
        };
        assert_eq!((t.unread, t.newest.flags.seen), (0, true));
        list.change_flags(3, |f| f.seen = false);
        list.change_flags(4, |f| f.flagged = true);
        let Some(Entry::Thread {
            summary: Some(t), ..
        }) = list.entry(1)
        else {
            panic!()
        };
        assert!(t.flagged);
        // Unflagging a lone message clears its thread; in an open thread, the others decide.
        list.change_flags(4, |f| f.flagged = false);
        let Some(Entry::Thread {
            summary: Some(t), ..
        }) = list.entry(1)
        else {
            panic!()
        };
        assert!(!t.flagged);
        list.toggle_thread(0);
        list.thread_arrived(
            10,
            vec![
                message(3, 10, false, false),
                message(2, 10, true, true),
                message(1, 10, true, false),
            ],
        );
        list.change_flags(2, |f| f.flagged = false);
        let Some(Entry::Thread {
            summary: Some(t), ..
        }) = list.entry(0)
        else {
            panic!()
        };
        assert!(!t.flagged, "no message of the open thread is flagged now");
        assert_eq!(t.unread, 1);
    }

    #[test]
    fn an_expanded_thread_follows_its_conversation_when_new_mail_reorders_the_list() {
        let mut list = list();
        list.toggle_thread(2);
        list.thread_arrived(
            30,
            vec![message(6, 30, true, false), message(5, 30, true, false)],
        );
        // New mail: t30 is now first, t20 is gone.
        list.thread_page_arrived(
            0,
            vec![
                thread(message(9, 30, false, false), 3, 1, false),
                thread(message(3, 10, false, false), 3, 1, true),
                thread(message(7, 40, true, false), 1, 0, false),
            ],
        );
        list.total = Some(3);
        assert_eq!(list.expanded.len(), 1);
        assert_eq!(list.expanded[0].position, 0);
        assert_eq!(ids(&list), [9, 6, 5, 3, 7]);
    }
}
