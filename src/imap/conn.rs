//! One signed-in IMAP connection as the sync engine drives it: commands written by hand (so that
//! CONDSTORE/QRESYNC, LIST-STATUS and big pipelined FETCHes are exactly what we ask for) and the
//! responses read one at a time through async-imap's parser (imap-proto).
//!
//! Every read has a time limit, so a server that stops answering is noticed and the connection is
//! dropped and made again rather than hanging the sync forever.

use std::time::Duration;

use async_imap::imap_proto::{RequestId, Response, Status};
use thiserror::Error;
use tokio::sync::Notify;

use super::Session;

/// Why a command on a [`Conn`] did not complete. The sync engine turns these into its own errors
/// (`SyncError::Connection`, `SyncError::Refused`), which say what the person can expect.
#[derive(Debug, Error)]
pub enum CommandError {
    /// The connection broke, timed out or was closed by the server.
    #[error("the connection to {host} was lost: {reason}")]
    Connection { host: String, reason: String },
    /// The server answered NO or BAD.
    #[error("the IMAP server {host} refused a request: {reason}")]
    Refused { host: String, reason: String },
}

/// How long one response may take to start arriving. A big literal (a 25 MB attachment) arrives
/// in pieces, each of which resets nothing here — the limit is generous for that reason.
const READ_LIMIT: Duration = Duration::from_secs(120);

/// A signed-in connection: what it can do (its capabilities) and which mailbox is selected.
pub struct Conn {
    session: Session,
    host: String,
    caps: Vec<String>,
    /// The mailbox currently selected, if any.
    selected: Option<String>,
    selected_uidvalidity: Option<u32>,
}

impl Conn {
    pub fn new(session: Session, host: &str) -> Conn {
        Conn {
            session,
            host: host.to_owned(),
            caps: Vec::new(),
            selected: None,
            selected_uidvalidity: None,
        }
    }

    /// The server's host name (for errors and logs).
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn has(&self, capability: &str) -> bool {
        self.caps.iter().any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// Whether the server tracks changes by modification sequence (CONDSTORE, or QRESYNC which
    /// implies it).
    pub fn has_condstore(&self) -> bool {
        self.has("CONDSTORE") || self.has("QRESYNC")
    }

    /// The mailbox currently selected, if any.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// The UIDVALIDITY the selected mailbox reported when it was selected.
    pub fn selected_uidvalidity(&self) -> Option<u32> {
        self.selected_uidvalidity
    }

    /// Records what SELECT/EXAMINE chose (`None` while one is under way).
    pub(super) fn set_selected(&mut self, mailbox: Option<String>, uidvalidity: Option<u32>) {
        self.selected = mailbox;
        self.selected_uidvalidity = uidvalidity;
    }

    /// Asks for the capabilities after sign-in (they may differ from before it).
    pub async fn refresh_capabilities(&mut self) -> Result<(), CommandError> {
        let mut caps = Vec::new();
        self.run("CAPABILITY", |response| {
            if let Response::Capabilities(list) = response {
                caps.extend(list.iter().map(capability_text));
            }
        })
        .await?;
        self.caps = caps;
        Ok(())
    }

    /// Turns on change tracking: QRESYNC where offered (flag changes and expunges come with
    /// SELECT), else CONDSTORE.
    pub async fn enable_change_tracking(&mut self) -> Result<(), CommandError> {
        if self.has("QRESYNC") {
            self.run_quietly("ENABLE QRESYNC").await
        } else if self.has("CONDSTORE") {
            self.run_quietly("ENABLE CONDSTORE").await
        } else {
            Ok(())
        }
    }

    pub async fn send(&mut self, command: &str) -> Result<RequestId, CommandError> {
        tracing::trace!(host = %self.host, command, "IMAP command");
        // async-imap parks responses it did not expect (around IDLE and LOGOUT) in a bounded
        // channel and stops reading once that is full: empty it, the engine reads state itself.
        while self.session.unsolicited_responses.try_recv().is_ok() {}
        self.session
            .run_command(command)
            .await
            .map_err(|e| self.broken(e.to_string()))
    }

    /// Reads the next response to the command tagged `tag` and hands it to `look`; `None` once the
    /// command completed with OK. A NO or BAD becomes [`CommandError::Refused`] with the server's
    /// words.
    pub async fn next<T>(
        &mut self,
        tag: &RequestId,
        look: impl FnOnce(&Response<'_>) -> T,
    ) -> Result<Option<T>, CommandError> {
        let response = tokio::time::timeout(READ_LIMIT, self.session.read_response())
            .await
            .map_err(|_| self.broken("no answer for two minutes".into()))?
            .map_err(|e| self.broken(e.to_string()))?
            .ok_or_else(|| self.broken("the server closed the connection".into()))?;
        match response.parsed() {
            Response::Done {
                tag: done,
                status,
                outcome,
            } if done == tag => match status {
                Status::Ok => Ok(None),
                _ => Err(CommandError::Refused {
                    host: self.host.clone(),
                    reason: outcome
                        .information
                        .as_deref()
                        .unwrap_or("(no reason given)")
                        .to_owned(),
                }),
            },
            Response::Data {
                status: Status::Bye,
                outcome,
            } => Err(self.broken(format!(
                "the server ended the session: {}",
                outcome.information.as_deref().unwrap_or("")
            ))),
            parsed => Ok(Some(look(parsed))),
        }
    }

    /// Runs a command, handing each response to `look` until it completes.
    pub async fn run(
        &mut self,
        command: &str,
        mut look: impl FnMut(&Response<'_>),
    ) -> Result<(), CommandError> {
        let tag = self.send(command).await?;
        while self.next(&tag, &mut look).await?.is_some() {}
        Ok(())
    }

    /// Runs a command whose responses need no attention (beyond its OK).
    pub async fn run_quietly(&mut self, command: &str) -> Result<(), CommandError> {
        self.run(command, |_| {}).await
    }

    fn broken(&self, reason: String) -> CommandError {
        CommandError::Connection {
            host: self.host.clone(),
            reason,
        }
    }

    pub async fn logout(mut self) {
        // Best effort: the server may already be gone.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.session.logout()).await;
    }

    /// Waits in IDLE (RFC 2177) on the selected mailbox for up to `limit`. Returns the connection
    /// and whether `wake` ended the wait (rather than the server or the time limit).
    pub async fn idle(self, limit: Duration, wake: &Notify) -> Result<(Conn, bool), CommandError> {
        let Conn {
            session,
            host,
            caps,
            selected,
            selected_uidvalidity,
        } = self;
        let broken = |e: async_imap::error::Error| CommandError::Connection {
            host: host.clone(),
            reason: e.to_string(),
        };
        let mut handle = session.idle();
        handle.init().await.map_err(broken)?;
        let woke = {
            let (wait, _interrupt) = handle.wait_with_timeout(limit);
            tokio::select! {
                response = wait => {
                    let response = response.map_err(broken)?;
                    tracing::debug!(?response, "IDLE ended");
                    false
                }
                _ = wake.notified() => true,
            }
        };
        let session = tokio::time::timeout(Duration::from_secs(30), handle.done())
            .await
            .map_err(|_| CommandError::Connection {
                host: host.clone(),
                reason: "no answer to DONE".into(),
            })?
            .map_err(broken)?;
        Ok((
            Conn {
                session,
                host,
                caps,
                selected,
                selected_uidvalidity,
            },
            woke,
        ))
    }
}

fn capability_text(capability: &async_imap::imap_proto::Capability<'_>) -> String {
    use async_imap::imap_proto::Capability;
    match capability {
        Capability::Imap4rev1 => "IMAP4REV1".into(),
        Capability::Auth(mechanism) => format!("AUTH={}", mechanism.to_ascii_uppercase()),
        Capability::Atom(atom) => atom.to_ascii_uppercase(),
    }
}
