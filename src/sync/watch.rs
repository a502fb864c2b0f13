//! Keeping an account in step: one connection kept open, waiting in IDLE (RFC 2177) on INBOX so new
//! mail lands without polling, the other folders checked every few minutes, a pass whenever the
//! window queues a change, and a reconnect with backoff after any error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::{Engine, Summary, SyncError, SyncEvent};

impl Engine {
    /// Keeps the account in step until `stop` is notified: a full pass, then IDLE on INBOX (new
    /// mail lands within a moment), a check of all folders every `poll_interval`, and a pass
    /// whenever `wake` is notified (a change was queued here). Network errors lead to a reconnect
    /// after 1, 2, 4 … 300 seconds; a refused sign-in is reported and waited out the same way.
    pub async fn watch(&self, wake: Arc<Notify>, stop: Arc<Notify>) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let session = self.watch_session(&wake, &mut backoff);
            tokio::select! {
                _ = stop.notified() => return,
                result = session => {
                    let error = match result {
                        Ok(()) => return,
                        Err(error) => error,
                    };
                    if error.needs_sign_in() {
                        self.emit(SyncEvent::NeedsSignIn { error: error.to_string() });
                    } else {
                        self.emit(SyncEvent::Offline {
                            error: error.to_string(),
                            retry_in: backoff,
                            proxy_sign_in: error.proxy_to_sign_in(),
                        });
                    }
                    tracing::warn!(error = %error, retry_in = ?backoff, "sync interrupted");
                }
            }
            tokio::select! {
                _ = stop.notified() => return,
                _ = tokio::time::sleep(backoff) => {}
                _ = wake.notified() => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(300));
        }
    }

    /// Builds the search index for what the pass stored, beside the next steps (IDLE goes on).
    fn index_in_background(&self) {
        self.indexer
            .start(self.store_path.clone(), self.progress.clone());
    }

    /// Graph has no IDLE for a desktop client: a pass every poll interval, and at once when a
    /// change was queued here. Read through Graph because IMAP was off, the account asks IMAP once
    /// a day whether it is on again: then this answers IMAP's connection, and the watch goes on
    /// through IMAP.
    async fn watch_graph(
        &self,
        graph: &crate::graph::Graph,
        wake: &Notify,
        backoff: &mut Duration,
    ) -> Result<crate::imap::Conn, SyncError> {
        loop {
            if let Some(conn) = self.imap_on_again(graph).await? {
                return Ok(conn);
            }
            self.graph_sync_once(graph).await?;
            self.index_in_background();
            *backoff = Duration::from_secs(1);
            self.emit(SyncEvent::Idle);
            tokio::select! {
                _ = tokio::time::sleep(self.options.poll_interval.min(Duration::from_secs(120))) => {}
                _ = wake.notified() => {}
            }
        }
    }

    async fn watch_session(&self, wake: &Notify, backoff: &mut Duration) -> Result<(), SyncError> {
        let mut conn = match self.reading_graph() {
            Some(graph) => self.watch_graph(graph, wake, backoff).await?,
            None => match self.connect().await {
                Ok(conn) => conn,
                Err(error) => {
                    let graph = self.turn_to_graph_if_imap_off(error).await?;
                    self.watch_graph(graph, wake, backoff).await?
                }
            },
        };
        self.sync_all(&mut conn).await?;
        self.index_in_background();
        *backoff = Duration::from_secs(1);
        let mut last_full = Instant::now();
        loop {
            let inbox = self.inbox_state().await?;
            let woke = if conn.has("IDLE") {
                if conn.selected() != inbox.as_ref().map(|s| s.name.as_str())
                    && let Some(state) = &inbox
                {
                    self.select(&mut conn, state).await?;
                }
                let until_poll = self
                    .options
                    .poll_interval
                    .saturating_sub(last_full.elapsed());
                // Servers drop IDLE after 30 minutes; renew well before.
                let limit = until_poll.min(Duration::from_secs(25 * 60));
                self.emit(SyncEvent::Idle);
                let (returned, woke) = conn.idle(limit, wake).await?;
                conn = returned;
                woke
            } else {
                self.emit(SyncEvent::Idle);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(60)) => false,
                    _ = wake.notified() => true,
                }
            };
            if woke || last_full.elapsed() >= self.options.poll_interval {
                self.sync_all(&mut conn).await?;
                last_full = Instant::now();
            } else if let Some(state) = inbox {
                let mut summary = Summary::default();
                self.replay_actions(&mut conn).await?;
                self.sync_folder(&mut conn, state, &mut summary).await?;
            }
            self.index_in_background();
        }
    }
}
