//! Sending a queued message through Microsoft Graph (`crate::graph`), never twice.
//!
//! The order of things, each recorded in the outbox (`synchronous = FULL`) before the next:
//! 1. the draft: an earlier attempt's recorded draft, else one found in Drafts by the message's
//!    internetMessageId (made by an attempt that was cut off before it could record it), else a
//!    new one (`POST /me/messages` with the MIME) — its id recorded;
//! 2. `data_started`: from here Microsoft 365 may send it;
//! 3. `POST …/send`: on `202 Accepted` the message is `sent` (Exchange files the Sent copy: no
//!    APPEND), then confirmed by its internetMessageId in Sent Items.
//!
//! After an interruption (a crash, kill -9, a lost answer to `send`) Sent Items and the draft
//! decide together: in Sent Items → sent, not again; not there but the draft still there after a
//! wait → the send never took, it is sent from that draft; neither → the person may have deleted
//! the draft in Outlook, or it is on its way: that cannot be told, so it waits for the person
//! ([`Failure::MaybeSent`]), as the SMTP path does.

use std::sync::Arc;
use std::time::Duration;

use super::{CopyState, Entry, Failure, OutboxError, now};
use crate::auth::tokens::TokenManager;
use crate::graph::{Graph, GraphError};
use crate::net::http::Http;

/// How long Sent Items is watched for a message whose send was (or may have been) requested:
/// Exchange completes a send within seconds; this bounds one attempt.
pub const CONFIRM_WAIT: Duration = Duration::from_secs(30);
const CONFIRM_POLL: Duration = Duration::from_millis(500);

/// What the Graph path decided for one message.
pub(super) enum GraphOutcome {
    /// Accepted (`202`): recorded sent; `confirmed` says whether Sent Items showed it in time.
    Sent { confirmed: bool },
    /// Found in Sent Items after an interruption: it went out before, not again.
    FoundInSent,
    /// Try again later, for this reason (`uncertain`: the send may have been requested).
    Retry { reason: String, uncertain: bool },
    /// The person must act.
    Failed { failure: Failure, reason: String },
}

/// The Graph of `account`'s mailbox: its own (`/me`), or a shared mailbox's (`/users/{address}`)
/// with the member's sign-in.
pub(super) fn graph_for(
    http: &Http,
    tokens: Arc<TokenManager>,
    account: &crate::account::Account,
) -> Graph {
    let shared = account.shared_via.as_ref().map(|_| account.email.as_str());
    Graph::new(http.clone(), tokens, shared)
}

/// Watches Sent Items for the message until it shows or `wait` passes.
async fn appears_in_sent(
    graph: &Graph,
    message_id: &str,
    wait: Duration,
) -> Result<bool, GraphError> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if !graph.find("sentitems", message_id).await?.is_empty() {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(CONFIRM_POLL).await;
    }
}

fn graph_failure(error: GraphError, uncertain: bool) -> GraphOutcome {
    if error.is_transient() {
        return GraphOutcome::Retry {
            reason: error.to_string(),
            uncertain,
        };
    }
    let failure = match &error {
        GraphError::Denied { .. } | GraphError::SignIn { .. } | GraphError::Auth(_) => {
            Failure::SignIn
        }
        _ if uncertain => Failure::MaybeSent,
        _ => Failure::Rejected,
    };
    GraphOutcome::Failed {
        failure,
        reason: error.to_string(),
    }
}

/// Decides an interrupted message whose send may have been requested (`data_started`): Sent Items
/// and the draft together. `Ok(None)`: the send never took; send it (from the recorded draft).
pub(super) async fn recover(
    graph: &Graph,
    entry: &Entry,
) -> Result<Option<GraphOutcome>, OutboxError> {
    let decided = async {
        if appears_in_sent(graph, &entry.message_id, Duration::ZERO).await? {
            return Ok(Some(GraphOutcome::FoundInSent));
        }
        let draft_there = match &entry.graph_draft_id {
            Some(id) => graph.exists(id).await?,
            None => !graph.find("drafts", &entry.message_id).await?.is_empty(),
        };
        // A send accepted just before the interruption may still be completing.
        if appears_in_sent(graph, &entry.message_id, CONFIRM_WAIT).await? {
            return Ok(Some(GraphOutcome::FoundInSent));
        }
        let still_there = match &entry.graph_draft_id {
            Some(id) => graph.exists(id).await?,
            None => !graph.find("drafts", &entry.message_id).await?.is_empty(),
        };
        if draft_there && still_there {
            tracing::info!(
                id = entry.id,
                "interrupted Graph send: the draft is still in Drafts and nothing is in Sent Items; sending it"
            );
            return Ok(None);
        }
        Ok(Some(GraphOutcome::Failed {
            failure: Failure::MaybeSent,
            reason: "Tayori was interrupted while Microsoft 365 was taking this message, and since then its draft has left Drafts without the message reaching Sent Items: it may have been deleted in Outlook, or may still be on its way. Check Sent Items, then send it again or discard it".into(),
        }))
    }
    .await;
    Ok(Some(match decided {
        Ok(outcome) => return Ok(outcome),
        Err(error) => graph_failure(error, true),
    }))
}

/// Sends a claimed message through Graph (see the module documentation for the order).
pub(super) async fn send(
    outbox: &super::Outbox,
    graph: &Graph,
    entry: &Entry,
    raw: &[u8],
) -> Result<GraphOutcome, OutboxError> {
    let id = entry.id;
    // 1. the draft
    let draft = match &entry.graph_draft_id {
        Some(draft) => draft.clone(),
        None => {
            let found = match graph.find("drafts", &entry.message_id).await {
                Ok(found) => found,
                Err(error) => return Ok(graph_failure(error, false)),
            };
            let draft = match found.into_iter().next() {
                Some(draft) => {
                    tracing::info!(id, "a draft of this message is already in Drafts; using it");
                    draft
                }
                None => match graph.create_draft(raw).await {
                    Ok(draft) => draft,
                    Err(error) => return Ok(graph_failure(error, false)),
                },
            };
            outbox.set_graph_draft(id, Some(&draft))?;
            draft
        }
    };
    // 2. from here Microsoft 365 may send it
    outbox.mark_data_started(id)?;
    // 3. send
    match graph.send_draft(&draft).await {
        Ok(()) => {}
        Err(GraphError::NotFound) => {
            // The recorded draft is gone (deleted in Outlook) and this attempt never asked for it
            // to be sent: nothing went out. Forgotten; the next attempt makes a new one.
            outbox.set_graph_draft(id, None)?;
            return Ok(GraphOutcome::Retry {
                reason: "the draft Tayori made in Drafts was removed; a new one is made".into(),
                uncertain: false,
            });
        }
        Err(error @ (GraphError::Transient(_) | GraphError::Throttled(_))) => {
            // The request may have reached Microsoft 365: never resent without asking it.
            return Ok(GraphOutcome::Retry {
                reason: error.to_string(),
                uncertain: true,
            });
        }
        Err(error) => return Ok(graph_failure(error, false)),
    }
    outbox.mark_sent(
        id,
        "202 Accepted (Microsoft 365, Microsoft Graph)",
        CopyState::ByServer,
    )?;
    let confirmed = match appears_in_sent(graph, &entry.message_id, CONFIRM_WAIT).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(id, %error, "Sent Items could not be checked after the send");
            false
        }
    };
    tracing::info!(
        id,
        confirmed,
        at = now(),
        "message sent through Microsoft Graph"
    );
    Ok(GraphOutcome::Sent { confirmed })
}
