//! One signed-in IMAP connection as the sync engine drives it: commands written by hand (so that
//! CONDSTORE/QRESYNC, LIST-STATUS and big pipelined FETCHes are exactly what we ask for) and the
//! responses framed by Tayori's own [`Reader`] (bounded lines and literals, deadlines) and parsed
//! one at a time by imap-proto.
//!
//! async-imap signs in; after that its stream is read only here. A response the parser cannot read
//! costs that response alone ([`Item::Unreadable`]); a server that stalls, trickles, or sends more
//! than was asked for ends the connection with an error that says so ([`CommandError`]).

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use async_imap::imap_proto::{RequestId, Response, Status};
use thiserror::Error;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

use super::Session;
use super::reader::{LINE_BASE, Limits, LiteralLimit, ReadError, Reader, STALL, uid_named};
use crate::redact::{SERVER_TEXT_CHARS, server_bytes, server_text};

/// Why a command on a [`Conn`] did not complete. The sync engine turns these into its own errors
/// (`SyncError::Connection`, `SyncError::Refused`, …), which say what the person can expect.
#[derive(Debug, Error)]
pub enum CommandError {
    /// The connection broke or was closed by the server.
    #[error("the connection to {host} was lost: {reason}")]
    Connection { host: String, reason: String },
    /// The server answered NO or BAD.
    #[error("the IMAP server {host} refused a request: {reason}")]
    Refused { host: String, reason: String },
    /// The server stopped answering, or answered too slowly to ever finish.
    #[error("the IMAP server {host} did not answer in time: {reason}")]
    Stalled { host: String, reason: String },
    /// The server broke the protocol in a way that ends the connection (an answer longer than
    /// what was asked for, the tag of a command that was never sent): not a passing network
    /// problem, so trying again at once would only repeat it.
    #[error("the IMAP server {host} broke the protocol: {reason}")]
    Misbehaved { host: String, reason: String },
    /// A response Tayori needs could not be read (the command's answer would be incomplete).
    #[error("the IMAP server {host} sent an answer Tayori cannot read{}", uid.map(|u| format!(" (message UID {u})")).unwrap_or_default())]
    Unreadable { host: String, uid: Option<u32> },
}

/// Whether a command is one line: no CR, LF or NUL anywhere (IMAP quoted strings may hold none of
/// them, RFC 3501 §4.3), so nothing in it can start a second command.
fn is_one_line(command: &str) -> bool {
    !command.contains(['\r', '\n', '\0'])
}

/// One response to a command, or one that could not be read.
pub enum Item<T> {
    Read(T),
    /// The response's bytes did not parse; `uid` is the message it named, if any. The connection
    /// is still in step.
    Unreadable {
        uid: Option<u32>,
        fetch: bool,
    },
}

/// The biggest literal in the answers to commands other than FETCHes of messages (mailbox names,
/// SEARCH with a literal): generous, and far below what a hostile server could announce.
const OTHER_LITERAL: usize = 1024 * 1024;

/// A signed-in connection: what it can do (its capabilities) and which mailbox is selected.
pub struct Conn {
    /// Kept for its stream: after sign-in, the stream is read by `reader` and written here.
    session: Session,
    reader: Reader,
    host: String,
    caps: Vec<String>,
    /// The mailbox currently selected, if any.
    selected: Option<String>,
    selected_uidvalidity: Option<u32>,
    /// The most messages the selected mailbox was said to hold (EXISTS): bounds a line.
    exists: u32,
    /// The biggest literal the running command may return.
    literal: LiteralLimit,
    next_tag: u32,
    /// Set once a read failed: the connection is out of step and takes no more commands.
    broken: Option<String>,
    /// The message the response that broke off was about, if it named one.
    broken_uid: Option<u32>,
}

impl Conn {
    pub fn new(session: Session, host: &str) -> Conn {
        Conn {
            session,
            reader: Reader::new(),
            host: host.to_owned(),
            caps: Vec::new(),
            selected: None,
            selected_uidvalidity: None,
            exists: 0,
            literal: LiteralLimit::Fixed(OTHER_LITERAL),
            next_tag: 1,
            broken: None,
            broken_uid: None,
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
        if mailbox.is_none() {
            self.exists = 0;
        }
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

    /// The message whose response broke off when the connection failed, if it named one: the
    /// sync skips that message and goes on with the others on a new connection.
    pub fn broken_uid(&self) -> Option<u32> {
        self.broken_uid
    }

    /// Whether the connection is out of step (or gone): no further command can be sent on it.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// The biggest literal the next command's answers may carry (reset when it completes).
    pub(super) fn limit_literals(&mut self, limit: LiteralLimit) {
        self.literal = limit;
    }

    fn limits(&self) -> Limits {
        Limits {
            line: Limits::line_for_exists(self.exists).max(LINE_BASE),
            literal: self.literal.clone(),
        }
    }

    pub async fn send(&mut self, command: &str) -> Result<RequestId, CommandError> {
        if let Some(reason) = &self.broken {
            return Err(CommandError::Connection {
                host: self.host.clone(),
                reason: reason.clone(),
            });
        }
        if !is_one_line(command) {
            // A folder name or Message-ID from the server with a line break in it would end this
            // command early and start another one the server would run: never sent.
            return Err(CommandError::Refused {
                host: self.host.clone(),
                reason: "a name in this request has a line break in it; the request was not sent"
                    .into(),
            });
        }
        tracing::trace!(host = %self.host, command, "IMAP command");
        let tag = format!("t{}", self.next_tag);
        self.next_tag += 1;
        self.write(format!("{tag} {command}\r\n").as_bytes())
            .await?;
        Ok(RequestId(tag))
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), CommandError> {
        let stream = self.session.get_mut();
        let written = tokio::time::timeout(STALL, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await;
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(self.broke(ReadError::Io(error.to_string()))),
            Err(_) => Err(self.broke(ReadError::Stalled { waited: STALL })),
        }
    }

    /// Records that the connection is out of step and says why.
    fn broke(&mut self, error: ReadError) -> CommandError {
        self.broken_uid = self.reader.current_uid();
        self.broken = Some(error.to_string());
        let host = self.host.clone();
        let reason = error.to_string();
        match error {
            ReadError::Io(_) | ReadError::Closed { .. } => {
                CommandError::Connection { host, reason }
            }
            ReadError::Stalled { .. } | ReadError::TooSlow { .. } => {
                CommandError::Stalled { host, reason }
            }
            ReadError::LineTooLong { .. } | ReadError::LiteralTooBig { .. } => {
                CommandError::Misbehaved { host, reason }
            }
        }
    }

    fn misbehaved(&mut self, reason: String) -> CommandError {
        self.broken = Some(reason.clone());
        CommandError::Misbehaved {
            host: self.host.clone(),
            reason,
        }
    }

    /// Reads the next response to the command tagged `tag` and hands it to `look`; `None` once
    /// the command completed with OK. A NO or BAD becomes [`CommandError::Refused`] with the
    /// server's words; a response that does not parse becomes [`Item::Unreadable`].
    pub async fn next_item<T>(
        &mut self,
        tag: &RequestId,
        look: impl FnOnce(&Response<'_>) -> T,
    ) -> Result<Option<Item<T>>, CommandError> {
        let limits = self.limits();
        let bytes = match self
            .reader
            .read(self.session.get_mut(), &limits, STALL)
            .await
        {
            Ok(bytes) => bytes,
            Err(error) => return Err(self.broke(error)),
        };
        // The parser's panics on server input are fixed where known (third_party/imap-proto);
        // this is the last fence for the ones not yet found.
        let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| Response::parse(&bytes)));
        let response = match parsed {
            Ok(Ok((_, response))) => response,
            _ => return self.unreadable(tag, &bytes),
        };
        match response {
            Response::Done {
                tag: done,
                status,
                outcome,
            } => {
                if done != *tag {
                    return Err(self.misbehaved(format!(
                        "it answered with the tag {:?} of a command Tayori did not send",
                        server_text(&done.0, 40)
                    )));
                }
                self.literal = LiteralLimit::Fixed(OTHER_LITERAL);
                match status {
                    Status::Ok => Ok(None),
                    _ => Err(CommandError::Refused {
                        host: self.host.clone(),
                        reason: server_text(
                            outcome
                                .information
                                .as_deref()
                                .unwrap_or("(no reason given)"),
                            SERVER_TEXT_CHARS,
                        ),
                    }),
                }
            }
            Response::Data {
                status: Status::Bye,
                outcome,
            } => {
                let words = server_text(
                    outcome.information.as_deref().unwrap_or(""),
                    SERVER_TEXT_CHARS,
                );
                Err(self.ended(words))
            }
            response => {
                if let Response::MailboxData(async_imap::imap_proto::MailboxDatum::Exists(n)) =
                    &response
                {
                    self.exists = self.exists.max(*n);
                }
                Ok(Some(Item::Read(look(&response))))
            }
        }
    }

    /// A command's answer held a response that could not be read and named no message.
    pub(super) fn unreadable_answer(&self) -> CommandError {
        CommandError::Unreadable {
            host: self.host.clone(),
            uid: None,
        }
    }

    /// The server said BYE: the session is over, in its words.
    fn ended(&mut self, words: String) -> CommandError {
        let reason = format!("the server ended the session: {words}");
        self.broken = Some(reason.clone());
        CommandError::Connection {
            host: self.host.clone(),
            reason,
        }
    }

    /// A response that did not parse: the command's completion is still recognised by its tag
    /// (so the connection stays in step); anything else is one unreadable response.
    fn unreadable<T>(
        &mut self,
        tag: &RequestId,
        bytes: &[u8],
    ) -> Result<Option<Item<T>>, CommandError> {
        let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let words: Vec<&[u8]> = first_line.splitn(4, |&b| b == b' ').collect();
        if words.first() == Some(&tag.0.as_bytes()) {
            self.literal = LiteralLimit::Fixed(OTHER_LITERAL);
            let status = words.get(1).map(|w| w.to_ascii_uppercase());
            return match status.as_deref() {
                Some(b"OK") => Ok(None),
                _ => Err(CommandError::Refused {
                    host: self.host.clone(),
                    reason: server_bytes(first_line, SERVER_TEXT_CHARS),
                }),
            };
        }
        let upper = first_line.to_ascii_uppercase();
        let fetch = words.len() >= 3
            && words[0] == b"*"
            && upper
                .split(|&b| b == b' ')
                .nth(2)
                .is_some_and(|w| w.starts_with(b"FETCH"));
        let search = upper.starts_with(b"* SEARCH") || upper.starts_with(b"* ESEARCH");
        let uid = uid_named(first_line);
        // Only the shape is logged: the bytes may be mail.
        tracing::warn!(
            host = %self.host,
            uid,
            bytes = bytes.len(),
            "an answer from the server could not be read; passed over"
        );
        if search {
            // A SEARCH answer cannot be skipped without losing what it lists.
            return Err(CommandError::Unreadable {
                host: self.host.clone(),
                uid: None,
            });
        }
        Ok(Some(Item::Unreadable { uid, fetch }))
    }

    /// Reads the next response to the command tagged `tag` and hands it to `look`; `None` once the
    /// command completed with OK. A NO or BAD becomes [`CommandError::Refused`] with the server's
    /// words. A FETCH response that cannot be read fails the command (once it completed, so the
    /// connection stays usable): its caller would otherwise take the message for missing. Other
    /// unreadable responses (ones Tayori has no use for) are passed over.
    pub async fn next<T>(
        &mut self,
        tag: &RequestId,
        mut look: impl FnMut(&Response<'_>) -> T,
    ) -> Result<Option<T>, CommandError> {
        let mut spoiled: Option<Option<u32>> = None;
        loop {
            match self.next_item(tag, &mut look).await? {
                Some(Item::Read(value)) => {
                    if spoiled.is_none() {
                        return Ok(Some(value));
                    }
                }
                Some(Item::Unreadable { uid, fetch }) => {
                    if fetch && spoiled.is_none() {
                        spoiled = Some(uid);
                    }
                }
                None => {
                    return match spoiled {
                        Some(uid) => Err(CommandError::Unreadable {
                            host: self.host.clone(),
                            uid,
                        }),
                        None => Ok(None),
                    };
                }
            }
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

    pub async fn logout(mut self) {
        // Best effort: the server may already be gone.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            let tag = self.send("LOGOUT").await?;
            while self.next(&tag, |_| ()).await?.is_some() {}
            Ok::<_, CommandError>(())
        })
        .await;
    }

    /// Waits in IDLE (RFC 2177) on the selected mailbox for up to `limit`. Returns the connection
    /// and whether `wake` ended the wait (rather than the server or the time limit). A BYE while
    /// waiting is an error carrying the server's words.
    pub async fn idle(
        mut self,
        limit: Duration,
        wake: &Notify,
    ) -> Result<(Conn, bool), CommandError> {
        let tag = self.send("IDLE").await?;
        loop {
            match self
                .next(&tag, |r| matches!(r, Response::Continue { .. }))
                .await?
            {
                Some(true) => break,
                Some(false) => continue,
                None => {
                    return Err(self.misbehaved("it ended IDLE before it began".into()));
                }
            }
        }
        let limits = self.limits();
        let waited = {
            let Conn {
                session, reader, ..
            } = &mut self;
            tokio::select! {
                read = reader.read(session.get_mut(), &limits, limit) => Some(read),
                _ = wake.notified() => None,
            }
        };
        let woke = match waited {
            None => true,
            // The time limit: renew the IDLE.
            Some(Err(ReadError::Stalled { .. })) => false,
            Some(Err(error)) => return Err(self.broke(error)),
            Some(Ok(bytes)) => {
                let bye =
                    std::panic::catch_unwind(AssertUnwindSafe(|| match Response::parse(&bytes) {
                        Ok((
                            _,
                            Response::Data {
                                status: Status::Bye,
                                outcome,
                            },
                        )) => Some(server_text(
                            outcome.information.as_deref().unwrap_or(""),
                            SERVER_TEXT_CHARS,
                        )),
                        _ => None,
                    }))
                    .unwrap_or(None);
                if let Some(words) = bye {
                    return Err(self.ended(words));
                }
                tracing::debug!(bytes = bytes.len(), "IDLE ended by the server");
                false
            }
        };
        self.write(b"DONE\r\n").await?;
        while self.next(&tag, |_| ()).await?.is_some() {}
        Ok((self, woke))
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

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn a_command_with_a_line_break_is_never_one_line() {
        use super::super::syntax::quote;
        assert!(is_one_line(&format!("SELECT {}", quote("INBOX.Sent"))));
        for hostile in ["INBOX\r\nt9 DELETE INBOX", "a\nb", "a\rb", "a\0b"] {
            assert!(
                !is_one_line(&format!("SELECT {}", quote(hostile))),
                "{hostile:?}"
            );
        }
    }
}
