//! Discovery as the wizard watches it: each source's answer as it comes, then the result.

use futures::{Stream, StreamExt};

use crate::discovery::{Discovered, Discoverer, DiscoveryError, TraceEntry};

/// One event of a discovery in progress.
#[derive(Debug, Clone)]
pub enum DiscoveryProgress {
    /// A source answered (or failed, or was stopped).
    Asked(TraceEntry),
    /// Discovery ended.
    Finished(Result<Box<Discovered>, DiscoveryError>),
}

/// Runs discovery and streams each source's answer as it comes, then the result. Dropping the
/// stream stops every query still in flight.
pub fn discover_stream(
    discoverer: Discoverer,
    email: String,
) -> impl Stream<Item = DiscoveryProgress> + Send + 'static {
    let (progress, entries) = tokio::sync::mpsc::unbounded_channel();
    let mut entries = entries;
    let asked =
        futures::stream::poll_fn(move |cx| entries.poll_recv(cx)).map(DiscoveryProgress::Asked);
    let finished = futures::stream::once(async move {
        DiscoveryProgress::Finished(
            discoverer
                .discover_with_progress(&email, Some(progress))
                .await
                .map(Box::new),
        )
    });
    // Progress ends when discovery drops its sender, so `select` ends after `Finished`.
    futures::stream::select(asked, finished)
}
