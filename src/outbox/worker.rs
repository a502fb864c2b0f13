//! The sender: takes the outbox lock, recovers what a crash left mid-send, submits due messages,
//! retries transient failures with backoff and files Sent copies.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::graph_send;
use super::server_copy::{self, Special};
use super::{CopyState, Failure, GIVE_UP_AFTER, OutboxError, State, backoff, now};
use super::{Entry, Outbox};
use crate::account::{Account, Accounts, AccountsError, SentCopy};
use crate::auth::AuthError;
use crate::auth::Credentials;
use crate::config::Paths;
use crate::discovery::policy::PolicyTransport;
use crate::net::dns::Dns;
use crate::net::http::Http;
use crate::smtp::{self, SubmitError};

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted it.
    Sent {
        reply: String,
        copy: CopyState,
        /// Why the Sent copy is still pending, if it is.
        copy_error: Option<String>,
    },
    /// It had been interrupted by a crash and was found in the Sent folder: it went out before
    /// the crash and was not sent again.
    FoundInSent,
    /// Not now (offline, server busy or down); queued again for `at` (seconds since 1970).
    WillRetry { at: i64, reason: String },
    /// The person must act (fix, sign in again, or discard); it stays in the outbox.
    Failed { failure: Failure, reason: String },
}

/// The one process that sends from an outbox. Holding it holds the outbox lock.
pub struct Worker {
    outbox: Outbox,
    // Held for the worker's life; the OS releases it when the process ends, however it ends.
    _lock: std::fs::File,
    dns: Dns,
    http: Http,
    accounts: Accounts,
    credentials: HashMap<String, Credentials>,
}

impl Worker {
    /// Becomes the sender for the outbox in `paths`' data folder, or [`OutboxError::Busy`] when
    /// another process is. Messages a crashed sender left in `sending` are queued again, marked
    /// interrupted (see the module documentation for what that means).
    pub fn acquire(paths: &Paths, dns: Dns, http: Http) -> Result<Self, OutboxError> {
        let lock_path = paths.data_dir.join(super::LOCK_NAME);
        let open_error = |e: &dyn std::fmt::Display| OutboxError::Open {
            path: lock_path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(&paths.data_dir).map_err(|e| open_error(&e))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| open_error(&e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(OutboxError::Busy),
            Err(std::fs::TryLockError::Error(e)) => return Err(open_error(&e)),
        }
        let outbox = Outbox::open_in(&paths.data_dir)?;
        let interrupted = outbox.recover_interrupted()?;
        if !interrupted.is_empty() {
            tracing::warn!(
                ?interrupted,
                "messages were left mid-send by an earlier run; the Sent folder is checked before any is sent again"
            );
        }
        Ok(Self {
            outbox,
            _lock: lock,
            dns,
            http,
            accounts: Accounts::new(paths),
            credentials: HashMap::new(),
        })
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The account's credentials, shared by every message of this worker (one token refresh).
    async fn credentials(&mut self, account: &Account) -> Result<Credentials, AuthError> {
        let key = account.email.to_lowercase();
        if let Some(credentials) = self.credentials.get(&key) {
            return Ok(credentials.clone());
        }
        let credentials = account.credentials(&self.http).await?;
        self.credentials.insert(key, credentials.clone());
        Ok(credentials)
    }

    fn fail(&self, id: i64, failure: Failure, reason: String) -> Result<Outcome, OutboxError> {
        // Info, not a warning: the caller tells the person (a warning would repeat it on stderr).
        tracing::info!(id, ?failure, %reason, "message not sent; it stays in the outbox");
        self.outbox.mark_failed(id, &reason, failure)?;
        Ok(Outcome::Failed { failure, reason })
    }

    /// A transient failure: queued again with backoff, or failed when it has lasted too long.
    fn retry_later(&self, entry: &Entry, reason: String) -> Result<Outcome, OutboxError> {
        if now() - entry.created_at > GIVE_UP_AFTER.as_secs() as i64 {
            let hours = GIVE_UP_AFTER.as_secs() / 3600;
            return self.fail(
                entry.id,
                Failure::GaveUp,
                format!("could not be sent for {hours} hours; last reason: {reason}"),
            );
        }
        let at = now() + backoff(entry.attempts.max(1));
        tracing::info!(id = entry.id, %reason, retry_in_s = at - now(), "message not sent now; will retry");
        self.outbox.mark_retry(entry.id, &reason, at)?;
        Ok(Outcome::WillRetry { at, reason })
    }

    fn sign_in_failed(
        &self,
        account: &Account,
        id: i64,
        reason: String,
    ) -> Result<Outcome, OutboxError> {
        // The account list shows it too, so the person learns why before opening the outbox.
        if let Err(e) = self
            .accounts
            .set_needs_sign_in(&account.email, Some(reason.clone()))
        {
            tracing::warn!(error = %e, "could not mark the account as needing sign-in");
        }
        self.fail(id, Failure::SignIn, reason)
    }

    /// Sends one queued message now (whatever its due time).
    pub async fn send(&mut self, id: i64) -> Result<Outcome, OutboxError> {
        let entry = self.outbox.entry(id)?;
        if entry.state != State::Queued {
            return Err(OutboxError::WrongState {
                id,
                state: entry.state,
                action: "sent now",
            });
        }
        let account = match self.accounts.get(&entry.account) {
            Ok(account) => account,
            Err(AccountsError::NotFound(_)) => {
                return self.fail(
                    id,
                    Failure::NoAccount,
                    format!(
                        "the account {} is no longer set up in Tayori; add it again, then retry",
                        entry.account
                    ),
                );
            }
            Err(e) => return Err(e.into()),
        };
        let credentials = match self.credentials(&account).await {
            Ok(credentials) => credentials,
            Err(e) => return self.sign_in_failed(&account, id, e.to_string()),
        };
        if let Some(tokens) = graph_route(&account, &credentials) {
            let outcome = self
                .send_through_graph(entry.clone(), &account, tokens)
                .await?;
            if matches!(outcome, Outcome::Sent { .. } | Outcome::FoundInSent) {
                self.remove_sent_draft(&entry, &account, &credentials).await;
            }
            return Ok(outcome);
        }
        if entry.interrupted && !entry.data_started {
            // Interrupted before DATA: the server never had the message.
            tracing::info!(id, "interrupted before DATA; sending it");
            self.outbox.clear_interrupted(id)?;
        } else if entry.interrupted && super::sent_copy_for(&account) == SentCopy::Append {
            // Interrupted after DATA began, and the server does not file Sent itself: nothing
            // can tell whether it took the message (RFC 1047). Never resent on its own.
            tracing::warn!(
                id,
                "interrupted after DATA; it may have been sent: the person decides"
            );
            return self.fail(
                id,
                Failure::MaybeSent,
                "Tayori was interrupted while the server was taking this message, so it may have been sent. Check with a recipient if you can, then send it again or discard it".into(),
            );
        } else if entry.interrupted {
            // Sent before the crash? The server files Sent itself, so the Sent folder has it.
            match server_copy::count(
                &self.dns,
                &account,
                &credentials,
                Special::Sent,
                &entry.message_id,
            )
            .await
            {
                Ok(0) => {
                    tracing::info!(id, "interrupted message is not in Sent; sending it again");
                    self.outbox.clear_interrupted(id)?;
                }
                Ok(_) => {
                    let copy = match super::sent_copy_for(&account) {
                        SentCopy::Server => CopyState::ByServer,
                        SentCopy::Append => CopyState::Filed,
                    };
                    tracing::info!(
                        id,
                        "interrupted message found in Sent; not sending it again"
                    );
                    self.outbox.mark_sent(
                        id,
                        "(found in the Sent folder after an interruption)",
                        copy,
                    )?;
                    return Ok(Outcome::FoundInSent);
                }
                Err(server_copy::CopyError::Imap(
                    e @ (crate::imap::ImapError::Refused { .. } | crate::imap::ImapError::Auth(_)),
                )) => return self.sign_in_failed(&account, id, e.to_string()),
                Err(e) => {
                    return self.retry_later(
                        &entry,
                        format!(
                            "interrupted while sending; the Sent folder must be checked before it is sent again, and that failed: {e}"
                        ),
                    );
                }
            }
        }
        if !self.outbox.claim(id)? {
            return Err(OutboxError::WrongState {
                id,
                state: self.outbox.entry(id)?.state,
                action: "sent now",
            });
        }
        let entry = self.outbox.entry(id)?;
        let raw = self.outbox.raw(id)?;
        let wire = crate::compose::strip_bcc(&raw);
        let started = Instant::now();
        let copy = match super::sent_copy_for(&account) {
            SentCopy::Server => CopyState::ByServer,
            SentCopy::Append => CopyState::Pending,
        };
        let mut recorder = Recorder {
            outbox: &self.outbox,
            id,
            copy,
            recorded: None,
        };
        crate::connections::note(
            &account.email,
            vec![crate::connections::mail_server(
                &account.smtp.host,
                account.smtp.port,
                crate::connections::Purpose::Smtp,
                crate::connections::Detail::SmtpSending,
                &account.smtp.username,
                &account.email,
            )],
        )
        .await;
        let result = smtp::submit(
            &self.dns,
            &account.smtp,
            &credentials,
            &entry.envelope_from,
            &entry.recipients,
            &wire,
            &mut recorder,
        )
        .await;
        let recorded = recorder.recorded.take();
        match result {
            Ok(accepted) => {
                // `sent` was committed on the server's 250, before QUIT and before the Sent copy
                // is appended: a crash from there on only leaves the append to do, never a resend.
                match recorded {
                    Some(result) => result?,
                    None => self.outbox.mark_sent(id, &accepted.reply, copy)?,
                }
                tracing::info!(
                    id,
                    message_id = %entry.message_id,
                    size = wire.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    reply = %accepted.reply,
                    "message sent"
                );
                let (copy, copy_error) = if copy == CopyState::Pending {
                    self.file_copy(id, &account, &credentials, &entry.message_id, &raw)
                        .await?
                } else {
                    (copy, None)
                };
                self.remove_sent_draft(&entry, &account, &credentials).await;
                Ok(Outcome::Sent {
                    reply: accepted.reply,
                    copy,
                    copy_error,
                })
            }
            Err(error) => {
                let transient = error.is_transient();
                match error {
                    _ if transient => self.retry_later(&entry, error_reason(&error)),
                    // Exchange Online has SMTP AUTH off for this mailbox: a new token cannot help,
                    // Microsoft Graph can. Refused at AUTH, before any of the message was sent.
                    SubmitError::SignIn { reason }
                        if smtp::smtp_auth_disabled(&reason)
                            && graph_capable(&credentials).is_some()
                            && crate::discovery::policy::transport_for(&account.email)
                                != Some(PolicyTransport::Imap) =>
                    {
                        tracing::info!(id, %reason, "SMTP AUTH is off for this mailbox; sending through Microsoft Graph from now on");
                        match self.accounts.set_send_via_graph(&account.email, &reason) {
                            Ok(()) => {
                                self.outbox.mark_retry(id, &reason, now())?;
                                Box::pin(self.send(id)).await
                            }
                            Err(e) => self.retry_later(&entry, format!("{reason} ({e})")),
                        }
                    }
                    SubmitError::Permanent { reason, .. } => {
                        self.fail(id, Failure::Rejected, reason)
                    }
                    SubmitError::SignIn { reason } => self.sign_in_failed(&account, id, reason),
                    SubmitError::Auth(e) => self.sign_in_failed(&account, id, e.to_string()),
                    SubmitError::Transient { reason } => self.retry_later(&entry, reason),
                }
            }
        }
    }

    /// The message went out: the server copy of the draft it was written in leaves Drafts, the way
    /// the account reads (Graph or IMAP, whichever way it sent). A failure leaves a stale draft,
    /// not a lost message: it is logged, and the send stands.
    async fn remove_sent_draft(&self, entry: &Entry, account: &Account, credentials: &Credentials) {
        let Some(draft) = &entry.draft_message_id else {
            return;
        };
        let id = entry.id;
        match super::remove_draft_on_server(&self.dns, &self.http, account, credentials, draft)
            .await
        {
            Ok(n) => tracing::info!(id, removed = n, "draft removed from Drafts"),
            Err(e) => tracing::warn!(id, error = %e, "the draft could not be removed from Drafts"),
        }
    }

    /// Sends a message through Microsoft Graph (`super::graph_send`): the draft and Sent Items
    /// decide after an interruption; the outcome recorded as on the SMTP path.
    async fn send_through_graph(
        &mut self,
        entry: Entry,
        account: &Account,
        tokens: std::sync::Arc<crate::auth::tokens::TokenManager>,
    ) -> Result<Outcome, OutboxError> {
        let id = entry.id;
        let graph = graph_send::graph_for(&self.http, tokens.clone(), account);
        if entry.interrupted && entry.data_started {
            match graph_send::recover(&graph, &entry).await? {
                Some(outcome) => return self.graph_outcome(&entry, account, &tokens, outcome),
                None => self.outbox.clear_interrupted(id)?,
            }
        } else if entry.interrupted {
            // Interrupted before the send was asked for: Microsoft 365 never had it to send.
            self.outbox.clear_interrupted(id)?;
        }
        if !self.outbox.claim(id)? {
            return Err(OutboxError::WrongState {
                id,
                state: self.outbox.entry(id)?.state,
                action: "sent now",
            });
        }
        let entry = self.outbox.entry(id)?;
        let raw = self.outbox.raw(id)?;
        crate::connections::note(
            &account.email,
            vec![crate::connections::mail_server(
                crate::graph::GRAPH_HOST,
                443,
                crate::connections::Purpose::Smtp,
                crate::connections::Detail::SmtpSending,
                &account.smtp.username,
                &account.email,
            )],
        )
        .await;
        let outcome = graph_send::send(&self.outbox, &graph, &entry, &raw).await?;
        self.graph_outcome(&entry, account, &tokens, outcome)
    }

    fn graph_outcome(
        &self,
        entry: &Entry,
        account: &Account,
        tokens: &crate::auth::tokens::TokenManager,
        outcome: graph_send::GraphOutcome,
    ) -> Result<Outcome, OutboxError> {
        use graph_send::GraphOutcome;
        let id = entry.id;
        match outcome {
            GraphOutcome::Sent { confirmed } => Ok(Outcome::Sent {
                reply: if confirmed {
                    "202 Accepted (Microsoft 365); in Sent Items".into()
                } else {
                    "202 Accepted (Microsoft 365)".into()
                },
                copy: CopyState::ByServer,
                copy_error: None,
            }),
            GraphOutcome::FoundInSent => {
                tracing::info!(
                    id,
                    "interrupted message found in Sent Items; not sending it again"
                );
                self.outbox.mark_sent(
                    id,
                    "(found in Sent Items after an interruption)",
                    CopyState::ByServer,
                )?;
                Ok(Outcome::FoundInSent)
            }
            GraphOutcome::Retry { reason, uncertain } if uncertain => {
                let at = now() + backoff(entry.attempts.max(1));
                tracing::info!(id, %reason, "the send may have reached Microsoft 365; Sent Items decides at the next attempt");
                self.outbox.mark_uncertain(id, &reason, at)?;
                Ok(Outcome::WillRetry { at, reason })
            }
            GraphOutcome::Retry { reason, .. } => self.retry_later(entry, reason),
            GraphOutcome::Failed {
                failure: Failure::SignIn,
                reason,
            } => {
                // Missing consent: the admin-consent link, with Graph's scopes, goes with it.
                let link = crate::auth::consent::admin_consent_url_with(
                    tokens.client(),
                    &account.email,
                    &crate::graph::SEND_SCOPES,
                )
                .unwrap_or_default();
                let graph = super::reason::GRAPH_REASON;
                let reason = if link.is_empty() {
                    format!("{graph}{reason}")
                } else {
                    format!("{graph}{reason} (an administrator can grant it: {link})")
                };
                self.fail(id, Failure::SignIn, reason)
            }
            GraphOutcome::Failed { failure, reason } => self.fail(id, failure, reason),
        }
    }

    /// Appends the Sent copy (unless one is there); the result is recorded either way.
    async fn file_copy(
        &self,
        id: i64,
        account: &Account,
        credentials: &Credentials,
        message_id: &str,
        raw: &[u8],
    ) -> Result<(CopyState, Option<String>), OutboxError> {
        match server_copy::file_in_sent(&self.dns, account, credentials, message_id, raw).await {
            Ok(filed) => {
                tracing::info!(id, ?filed, "Sent copy filed");
                self.outbox.set_copy(id, CopyState::Filed, None)?;
                Ok((CopyState::Filed, None))
            }
            Err(e) => {
                let reason = e.to_string();
                tracing::warn!(id, %reason, "the Sent copy could not be filed; will retry");
                self.outbox
                    .set_copy(id, CopyState::Pending, Some(&reason))?;
                Ok((CopyState::Pending, Some(reason)))
            }
        }
    }

    /// Files the Sent copies still pending (after an interruption or an IMAP failure).
    pub async fn file_pending_copies(&mut self) -> Result<(), OutboxError> {
        for id in self.outbox.pending_copies()? {
            let entry = self.outbox.entry(id)?;
            let Ok(account) = self.accounts.get(&entry.account) else {
                self.outbox.set_copy(
                    id,
                    CopyState::Pending,
                    Some("the account is no longer set up"),
                )?;
                continue;
            };
            let credentials = match self.credentials(&account).await {
                Ok(credentials) => credentials,
                Err(e) => {
                    self.outbox
                        .set_copy(id, CopyState::Pending, Some(&e.to_string()))?;
                    continue;
                }
            };
            let raw = self.outbox.raw(id)?;
            self.file_copy(id, &account, &credentials, &entry.message_id, &raw)
                .await?;
        }
        Ok(())
    }

    /// Sends every message whose time has come.
    pub async fn send_due(&mut self) -> Result<Vec<(i64, Outcome)>, OutboxError> {
        let mut outcomes = Vec::new();
        for id in self.outbox.due()? {
            outcomes.push((id, self.send(id).await?));
        }
        Ok(outcomes)
    }

    /// Sends what is due, files pending copies, and keeps going — sleeping until the next message
    /// is due — until nothing is queued or `until` would be passed. Returns every outcome.
    pub async fn run(
        &mut self,
        until: Option<Instant>,
    ) -> Result<Vec<(i64, Outcome)>, OutboxError> {
        let mut outcomes = Vec::new();
        loop {
            outcomes.extend(self.send_due().await?);
            self.file_pending_copies().await?;
            let Some(next) = self.outbox.next_due_at()? else {
                break;
            };
            let wait = Duration::from_secs((next - now()).max(0) as u64);
            let wake = Instant::now() + wait;
            if until.is_some_and(|deadline| wake > deadline) {
                break;
            }
            tracing::debug!(wait_s = wait.as_secs(), "waiting for the next attempt");
            tokio::time::sleep_until(wake.into()).await;
        }
        let pruned = self.outbox.prune_sent()?;
        if pruned > 0 {
            tracing::info!(pruned, "old sent messages forgotten");
        }
        Ok(outcomes)
    }
}

/// The account's Microsoft sign-in, if it has one (Graph is reached with it).
fn graph_capable(
    credentials: &Credentials,
) -> Option<std::sync::Arc<crate::auth::tokens::TokenManager>> {
    match credentials {
        Credentials::OAuth(tokens) if tokens.is_microsoft() => Some(tokens.clone()),
        _ => None,
    }
}

/// Whether `account` sends through Microsoft Graph: the admin policy pins it, or Exchange Online
/// refused SMTP AUTH for it (and the policy does not pin IMAP/SMTP). Only with a Microsoft sign-in.
fn graph_route(
    account: &Account,
    credentials: &Credentials,
) -> Option<std::sync::Arc<crate::auth::tokens::TokenManager>> {
    let tokens = graph_capable(credentials)?;
    match crate::discovery::policy::transport_for(&account.email) {
        Some(PolicyTransport::Graph) => Some(tokens),
        Some(PolicyTransport::Imap) => None,
        None => account.send_via_graph.as_ref().map(|_| tokens),
    }
}

fn error_reason(error: &SubmitError) -> String {
    match error {
        SubmitError::Transient { reason }
        | SubmitError::Permanent { reason, .. }
        | SubmitError::SignIn { reason } => reason.clone(),
        SubmitError::Auth(e) => e.to_string(),
    }
}

/// Records the two moments of a submission in the outbox: DATA begun, and the server's 250
/// (`sent`, committed with `synchronous = FULL` before QUIT).
struct Recorder<'a> {
    outbox: &'a Outbox,
    id: i64,
    copy: CopyState,
    recorded: Option<Result<(), OutboxError>>,
}

impl smtp::Submission for Recorder<'_> {
    fn data_begins(&mut self) -> Result<(), String> {
        self.outbox
            .mark_data_started(self.id)
            .map_err(|e| format!("the outbox could not record the sending: {e}"))
    }

    fn accepted(&mut self, accepted: &smtp::Accepted) {
        self.recorded = Some(self.outbox.mark_sent(self.id, &accepted.reply, self.copy));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{Draft, Mailbox};

    fn net() -> (Dns, Http) {
        let dns = Dns::new(None, Duration::from_secs(1)).unwrap();
        let http = Http::new(dns.clone(), Duration::from_secs(1)).unwrap();
        (dns, http)
    }

    #[tokio::test]
    async fn one_sender_at_a_time_and_a_crashed_send_is_recovered_as_interrupted() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let (dns, http) = net();
        let worker = Worker::acquire(&paths, dns.clone(), http.clone()).unwrap();
        assert!(matches!(
            Worker::acquire(&paths, dns.clone(), http.clone()),
            Err(OutboxError::Busy)
        ));
        let mut draft = Draft::new(Mailbox::new(None, "alice@example.test"));
        draft.to.push(Mailbox::new(None, "bob@example.test"));
        let id = worker
            .outbox()
            .enqueue("alice@example.test", "", &draft.build().unwrap(), None)
            .unwrap();
        // The process "crashes" mid-send: claimed, never finished, lock released by the OS.
        assert!(worker.outbox().claim(id).unwrap());
        drop(worker);
        let mut worker = Worker::acquire(&paths, dns, http).unwrap();
        let entry = worker.outbox().entry(id).unwrap();
        assert_eq!(entry.state, State::Queued);
        assert!(
            entry.interrupted,
            "the Sent folder is checked before a resend"
        );
        // The account is gone: the message fails with a reason and stays in the outbox.
        let outcome = worker.send(id).await.unwrap();
        assert!(
            matches!(
                outcome,
                Outcome::Failed {
                    failure: Failure::NoAccount,
                    ..
                }
            ),
            "{outcome:?}"
        );
        assert_eq!(worker.outbox().entry(id).unwrap().state, State::Failed);
    }
}
