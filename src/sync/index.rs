//! The search index, built after the mail is stored: a sync stores every message's bytes as they
//! arrive and is done ("synced": everything readable offline) before the messages are decoded for
//! the list's preview and the full-text index ([`crate::store::Store::build_index`]). The window
//! and `tayori sync --watch` build it in the background after each pass that downloaded mail;
//! `tayori sync` builds it after printing that the account is synced and says when it is complete.
//! A search meanwhile says that it may be incomplete.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Progress, SyncError, SyncEvent, joined};
use crate::store::{Store, StoreError};

/// Builds the search index of the store at `store_path` on its own connection (so the sync, which
/// writes to the same store, waits at most for one batch), reporting [`SyncEvent::Indexing`] and
/// finally [`SyncEvent::IndexComplete`]. Returns how many messages were indexed.
pub async fn build_search_index(
    store_path: PathBuf,
    stop: Arc<AtomicBool>,
    progress: Progress,
) -> Result<usize, SyncError> {
    let result = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&store_path)?;
        let mut last = 0;
        let indexed = store.build_index(&stop, &mut |done, total| {
            // Not for every batch: a progress event per 1% at most.
            if done == 0 || done == total || done - last >= total.div_ceil(100) {
                last = done;
                progress(SyncEvent::Indexing { done, total });
            }
        })?;
        if !stop.load(Ordering::Relaxed) && indexed > 0 {
            progress(SyncEvent::IndexComplete { indexed });
        }
        Ok::<_, StoreError>(indexed)
    })
    .await;
    joined(result, "building the search index")
}

/// One indexer at a time per engine, started after a pass that stored mail and stopped with the
/// engine.
#[derive(Default)]
pub(super) struct Indexer {
    running: Arc<AtomicBool>,
    /// Set when the engine goes away: the indexer stops after its current batch.
    stop: Arc<AtomicBool>,
}

impl Indexer {
    /// Starts building the index in the background unless it is being built already (that run
    /// picks up what was stored meanwhile before it ends).
    pub(super) fn start(&self, store_path: PathBuf, progress: Progress) {
        if self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let (running, stop) = (self.running.clone(), self.stop.clone());
        tokio::spawn(async move {
            if let Err(error) = build_search_index(store_path, stop, progress).await {
                tracing::warn!(%error, "building the search index stopped; the next pass resumes it");
            }
            running.store(false, Ordering::Release);
        });
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
