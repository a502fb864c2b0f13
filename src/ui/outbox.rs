//! The outbox while the window is open: a background worker sends queued messages when they are
//! due (the outbox's `Worker`, the same as `tayori outbox flush`), whatever screen is shown; what it
//! reports is kept here for the main window's status bar and panel (`screen::mailbox::outbox`),
//! which say what waits and what was refused, with each refusal's reason and a "Try again".
//!
//! The worker runs as a subscription of the application on the async runtime, never on the UI
//! thread. It takes the
//! outbox lock only while it sends, so the composer (which sends a new message at once) or
//! `tayori outbox flush` in a terminal are never shut out for long; when another process holds the
//! lock, that process sends and this one only watches.

use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use futures::Stream;
use iced::{Subscription, Task};
use tayori::net::Net;
use tayori::outbox::{Outbox, OutboxError, State as Sent, Worker};

use crate::ui::context::Context;

/// How often the worker looks at the outbox (a message the composer could not send at once is
/// picked up within this; a message due later is sent when its time comes).
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// How often a Sent-folder copy that could not be filed is tried again.
const COPIES_EVERY: Duration = Duration::from_secs(300);

/// One message waiting in the outbox, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub account: String,
    pub subject: String,
    pub recipients: Vec<String>,
    pub failed: bool,
    /// Seconds since 1970.
    pub next_attempt_at: i64,
    /// The last failure's reason (the server's words).
    pub reason: Option<String>,
}

/// What the worker reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// Everything not sent yet, oldest first.
    Items(Vec<Item>),
    /// The outbox could not be read (or the network settings are unusable).
    Problem(String),
}

#[derive(Clone)]
struct Key(Context);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "outbox".hash(state);
        self.0.paths.data_dir.hash(state);
    }
}

pub fn subscription(context: Context) -> Subscription<Update> {
    Subscription::run_with(Key(context), |key| run(key.0.clone()))
}

/// The worker's stream, as the subscription runs it (the tests feed it to the window by hand).
#[cfg(test)]
pub fn run_for_test(context: Context) -> impl Stream<Item = Update> + Send + 'static {
    run(context)
}

fn run(context: Context) -> impl Stream<Item = Update> + Send + 'static {
    use futures::StreamExt;
    let (sender, receiver) = futures::channel::mpsc::unbounded();
    let work = async move {
        let report = |update: Update| {
            let _ = sender.unbounded_send(update);
        };
        let mut last: Option<Update> = None;
        let mut copies_tried: Option<Instant> = None;
        // Set after a round of sending: the outbox is read again at once (so the window shows
        // the outcome), but not sent from again before the next look — whatever failed waits.
        let mut worked = false;
        loop {
            let data_dir = context.paths.data_dir.clone();
            let read = tokio::task::spawn_blocking(move || {
                let outbox = Outbox::open_in(&data_dir)?;
                let items = outbox
                    .list(false)?
                    .into_iter()
                    .map(|e| Item {
                        id: e.id,
                        account: e.account,
                        subject: e.subject,
                        recipients: e.recipients,
                        failed: e.state == Sent::Failed,
                        next_attempt_at: e.next_attempt_at,
                        reason: e.last_error,
                    })
                    .collect::<Vec<_>>();
                Ok::<_, OutboxError>((
                    items,
                    outbox.next_due_at()?,
                    !outbox.pending_copies()?.is_empty(),
                ))
            })
            .await;
            let (update, due, copies) = match read {
                Ok(Ok((items, next_due, copies))) => {
                    let now = tayori::account::now_seconds() as i64;
                    (Update::Items(items), next_due.map(|at| at - now), copies)
                }
                Ok(Err(e)) => (Update::Problem(e.to_string()), None, false),
                Err(e) => (Update::Problem(e.to_string()), None, false),
            };
            if last.as_ref() != Some(&update) {
                report(update.clone());
                last = Some(update);
            }
            let send = due.is_some_and(|wait| wait <= 0);
            let file = copies && copies_tried.is_none_or(|t| t.elapsed() >= COPIES_EVERY);
            if !std::mem::take(&mut worked) && (send || file) {
                match Net::from_settings(&context.settings) {
                    Ok(net) => match Worker::acquire(&context.paths, net.dns, net.http) {
                        Ok(mut worker) => {
                            if send {
                                match worker.send_due().await {
                                    Ok(outcomes) => {
                                        tracing::info!(
                                            count = outcomes.len(),
                                            "outbox: due messages tried"
                                        )
                                    }
                                    Err(e) => tracing::warn!(error = %e, "outbox: sending failed"),
                                }
                            }
                            if file || send {
                                copies_tried = Some(Instant::now());
                                if let Err(e) = worker.file_pending_copies().await {
                                    tracing::warn!(error = %e, "outbox: Sent copies not filed");
                                }
                            }
                            // The lock goes with the worker: the composer may send at once again.
                            drop(worker);
                            worked = true;
                            continue;
                        }
                        // Another window or `tayori outbox flush` sends; this one watches.
                        Err(OutboxError::Busy) => {}
                        Err(e) => tracing::warn!(error = %e, "outbox: the worker could not start"),
                    },
                    Err(e) => {
                        let update = Update::Problem(e.to_string());
                        if last.as_ref() != Some(&update) {
                            report(update.clone());
                            last = Some(update);
                        }
                    }
                }
            }
            let wait = match due {
                Some(wait) if wait > 0 => LOOK_EVERY.min(Duration::from_secs(wait as u64)),
                _ => LOOK_EVERY,
            };
            tokio::time::sleep(wait).await;
        }
    };
    let runner = futures::stream::once(work).filter_map(|()| async { None });
    futures::stream::select(receiver, runner)
}

/// What the window keeps of the outbox.
#[derive(Debug, Default)]
pub struct View {
    pub items: Vec<Item>,
    pub problem: Option<String>,
    /// The panel with each message and its reason is open.
    pub open: bool,
    /// The message whose "Discard" was pressed once: a second press discards it (it is the only
    /// copy of what the person wrote).
    pub discarding: Option<i64>,
}

/// What the person does in the outbox panel, and what came of it.
#[derive(Debug, Clone)]
pub enum Msg {
    Toggle,
    Retry(i64),
    Retried(Result<(), String>),
    Discard(i64),
    Discarded(i64, Result<(), String>),
}

impl View {
    /// What the worker reported.
    pub fn report(&mut self, update: Update) {
        match update {
            Update::Items(items) => {
                self.problem = None;
                if items.is_empty() {
                    self.open = false;
                }
                self.items = items;
            }
            Update::Problem(problem) => self.problem = Some(problem),
        }
    }

    /// What the person did in the panel. Retrying and discarding change the outbox file off the
    /// UI thread.
    pub fn update(&mut self, message: Msg, context: &Context) -> Task<Msg> {
        let outbox = self;
        match message {
            Msg::Toggle => outbox.open = !outbox.open && !outbox.items.is_empty(),
            Msg::Retry(id) => {
                outbox.discarding = None;
                // Shown as waiting at once; the worker's next look confirms it.
                if let Some(item) = outbox.items.iter_mut().find(|i| i.id == id) {
                    item.failed = false;
                    item.next_attempt_at = 0;
                }
                let data_dir = context.paths.data_dir.clone();
                // Queued for now: the worker sends it within a few seconds.
                return Task::perform(
                    async move {
                        tokio::task::spawn_blocking(move || Outbox::open_in(&data_dir)?.retry(id))
                            .await
                            .map_err(|e| e.to_string())?
                            .map_err(|e| e.to_string())
                    },
                    Msg::Retried,
                );
            }
            Msg::Retried(Ok(())) => {}
            Msg::Retried(Err(problem)) => outbox.problem = Some(problem),
            Msg::Discard(id) if outbox.discarding != Some(id) => outbox.discarding = Some(id),
            Msg::Discard(id) => {
                outbox.discarding = None;
                let data_dir = context.paths.data_dir.clone();
                return Task::perform(
                    async move {
                        tokio::task::spawn_blocking(move || {
                            Outbox::open_in(&data_dir)?.discard(id).map(|_| ())
                        })
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())
                    },
                    move |result| Msg::Discarded(id, result),
                );
            }
            Msg::Discarded(id, Ok(())) => {
                tracing::info!(id, "message discarded from the outbox");
                outbox.items.retain(|i| i.id != id);
                if outbox.items.is_empty() {
                    outbox.open = false;
                }
            }
            Msg::Discarded(_, Err(problem)) => outbox.problem = Some(problem),
        }
        Task::none()
    }
}
