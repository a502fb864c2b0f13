//! Search over the store's full-text index (`/` puts the cursor here). The results take the list's
//! place until the search is cleared (Escape, "Clear", or an emptied field).

use iced::Task;
use tayori::store::MessageSummary;

use super::list::List;
use crate::ui::db::Db;
use crate::ui::problem::Problem;

pub const SEARCH_ID: &str = "search";
/// Results shown for a search.
const SEARCH_LIMIT: usize = 500;

/// What is typed in the search field.
#[derive(Debug, Default)]
pub struct Search {
    pub text: String,
}

#[derive(Debug, Clone)]
pub enum Message {
    Changed(String),
    Submit,
    /// The rows found, and how many stored messages the index does not cover yet.
    Results(u64, Result<(Vec<MessageSummary>, usize), Problem>),
    Clear,
}

/// What the search asks of the main window.
pub enum Event {
    /// A search started: the reader empties.
    Started,
    /// Back to the list as it was before the search.
    Cleared,
    /// The store could not answer.
    Problem(Problem),
}

impl Search {
    pub fn update(
        &mut self,
        message: Message,
        list: &mut List,
        db: Option<&Db>,
    ) -> (Task<Message>, Option<Event>) {
        match message {
            Message::Changed(text) => {
                self.text = text;
                if self.text.trim().is_empty() {
                    (Task::none(), Some(Event::Cleared))
                } else {
                    (Task::none(), None)
                }
            }
            Message::Submit => self.run(list, db),
            Message::Results(generation, result) => {
                if generation != list.generation {
                    return (Task::none(), None);
                }
                match result {
                    Ok((rows, waiting)) => {
                        if let Some((_, results)) = &mut list.search {
                            *results = Some(rows);
                        }
                        list.search_waiting = waiting;
                        (Task::none(), None)
                    }
                    Err(problem) => (Task::none(), Some(Event::Problem(problem))),
                }
            }
            Message::Clear => {
                self.text.clear();
                (Task::none(), Some(Event::Cleared))
            }
        }
    }

    /// Searches for what is typed (again, after a change to the store); an empty field clears the
    /// search instead.
    pub fn run(&mut self, list: &mut List, db: Option<&Db>) -> (Task<Message>, Option<Event>) {
        let query = self.text.trim().to_owned();
        if query.is_empty() {
            return (Task::none(), Some(Event::Cleared));
        }
        let Some(db) = db.cloned() else {
            return (Task::none(), None);
        };
        let generation = list.begin_search(query.clone());
        let task = Task::batch([
            Task::perform(
                async move {
                    db.run(move |store| {
                        Ok((
                            store.search(&query, SEARCH_LIMIT)?,
                            store.unindexed_count()?,
                        ))
                    })
                    .await
                },
                move |rows| Message::Results(generation, rows),
            ),
            List::scroll_to_top(),
        ]);
        (task, Some(Event::Started))
    }
}
