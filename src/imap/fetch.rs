//! Reading messages: UID SEARCH, and the FETCHes the sync engine sends — flags (all, or changed
//! since a modification sequence), headers for the list, whole messages for reading and search.

use std::collections::BTreeSet;

use async_imap::imap_proto::{
    AttributeValue, MailboxDatum, MessageSection, RequestId, Response, SectionPath,
};

use super::conn::Item;
use super::reader::LiteralLimit;
use super::syntax::{parse_internal_date, quote, uid_set};
use super::{CommandError, Conn};
use crate::store::{Flags, NewBody, NewEnvelope};

/// A message's new flags as the server reports them: (UID, flags, MODSEQ).
pub type FlagChange = (u32, Flags, Option<u64>);

/// The fields of one FETCH response the engine uses.
#[derive(Default)]
pub(super) struct Fetched<'a> {
    pub(super) uid: Option<u32>,
    pub(super) flags: Option<(Flags, Vec<String>)>,
    pub(super) modseq: Option<u64>,
    internal_date: Option<i64>,
    size: Option<u32>,
    header: Option<&'a [u8]>,
    body: Option<&'a [u8]>,
    /// X-GM-MSGID or EMAILID, as `store::message_identity` takes it.
    server_identity: Option<String>,
}

pub(super) fn fetched<'a>(attributes: &'a [AttributeValue<'a>]) -> Fetched<'a> {
    let mut out = Fetched::default();
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(uid) => out.uid = Some(*uid),
            AttributeValue::Flags(words) => {
                out.flags = Some(Flags::from_imap(words.iter().map(|w| w.as_ref())))
            }
            AttributeValue::ModSeq(modseq) => out.modseq = Some(*modseq),
            AttributeValue::InternalDate(text) => out.internal_date = parse_internal_date(text),
            AttributeValue::Rfc822Size(size) => out.size = Some(*size),
            AttributeValue::BodySection {
                section: Some(SectionPath::Full(MessageSection::Header)),
                data,
                ..
            } => out.header = Some(data.as_deref().unwrap_or(b"")),
            AttributeValue::BodySection {
                section: None,
                data,
                ..
            } => out.body = Some(data.as_deref().unwrap_or(b"")),
            AttributeValue::Rfc822(data) => out.body = Some(data.as_deref().unwrap_or(b"")),
            AttributeValue::GmailMsgId(id) => {
                out.server_identity = Some(format!("x-gm-msgid:{id}"))
            }
            AttributeValue::EmailId(id) if !id.is_empty() => {
                out.server_identity = Some(format!("emailid:{id}"))
            }
            _ => {}
        }
    }
    out
}

/// A message's changed flags from a FETCH response: (UID, flags, MODSEQ).
fn flag_change(response: &Response<'_>) -> Option<FlagChange> {
    let Response::Fetch(_, attributes) = response else {
        return None;
    };
    let fields = fetched(attributes);
    let uid = fields.uid?;
    let (flags, _) = fields.flags?;
    Some((uid, flags, fields.modseq))
}

/// A whole message from a FETCH response, if it is one.
fn body_of(response: &Response<'_>) -> Option<NewBody> {
    let Response::Fetch(_, attributes) = response else {
        return None;
    };
    let fields = fetched(attributes);
    Some(NewBody {
        uid: fields.uid?,
        raw: fields.body?.to_vec(),
    })
}

/// A message's headers from a FETCH response, if it carries them.
fn envelope_of(response: &Response<'_>) -> Option<NewEnvelope> {
    let Response::Fetch(_, attributes) = response else {
        return None;
    };
    let fields = fetched(attributes);
    let (Some(uid), Some(header)) = (fields.uid, fields.header) else {
        return None;
    };
    let (flags, keywords) = fields.flags.unwrap_or_default();
    Some(NewEnvelope {
        server_identity: fields.server_identity,
        uid,
        flags,
        keywords,
        modseq: fields.modseq,
        internal_date: fields.internal_date,
        size: fields.size.unwrap_or(0),
        header: header.to_vec(),
    })
}

impl Conn {
    /// UIDs in the selected mailbox matching `criteria` (IMAP SEARCH syntax), ascending.
    pub async fn uid_search(&mut self, criteria: &str) -> Result<Vec<u32>, CommandError> {
        let mut uids = Vec::new();
        self.run(&format!("UID SEARCH {criteria}"), |response| {
            if let Response::MailboxData(MailboxDatum::Search(found)) = response {
                uids.extend(found);
            }
        })
        .await?;
        uids.sort_unstable();
        Ok(uids)
    }

    /// UIDs in the selected mailbox of the messages whose Message-ID header is `message_id`.
    pub async fn search_message_id(&mut self, message_id: &str) -> Result<Vec<u32>, CommandError> {
        self.uid_search(&format!("HEADER Message-ID {}", quote(message_id)))
            .await
    }

    /// Flags of the messages up to UID `top` that changed since modification sequence `since`
    /// (CONDSTORE's `CHANGEDSINCE`). A change whose answer cannot be read is passed over (that
    /// message keeps its flags until its next change); one that names no message fails the command.
    pub async fn flags_changed_since(
        &mut self,
        top: u32,
        since: u64,
    ) -> Result<Vec<FlagChange>, CommandError> {
        let mut changes = Vec::new();
        let tag = self
            .send(&format!(
                "UID FETCH 1:{top} (UID FLAGS) (CHANGEDSINCE {since})"
            ))
            .await?;
        let mut unnamed = false;
        while let Some(item) = self.next_item(&tag, flag_change).await? {
            match item {
                Item::Read(change) => changes.extend(change),
                Item::Unreadable { uid: Some(uid), .. } => {
                    tracing::warn!(
                        uid,
                        "the flags of a message could not be read; kept as they were"
                    );
                }
                Item::Unreadable { uid: None, fetch } => unnamed |= fetch,
            }
        }
        if unnamed {
            return Err(self.unreadable_answer());
        }
        Ok(changes)
    }

    /// Every UID up to `top` with its flags: what a server without CONDSTORE offers for finding
    /// flag changes and expunges. A message whose answer cannot be read is still there (its flags
    /// unknown, so unchanged); an unreadable answer that names no message fails the command, since
    /// any message could then look deleted.
    pub async fn all_flags(
        &mut self,
        top: u32,
    ) -> Result<(BTreeSet<u32>, Vec<FlagChange>), CommandError> {
        let tag = self.send(&format!("UID FETCH 1:{top} (UID FLAGS)")).await?;
        self.read_all_flags(&tag).await
    }

    /// Reads the answer to a `UID FETCH … (UID FLAGS)` tagged `tag` (see [`Conn::all_flags`]).
    pub(super) async fn read_all_flags(
        &mut self,
        tag: &RequestId,
    ) -> Result<(BTreeSet<u32>, Vec<FlagChange>), CommandError> {
        let mut on_server = BTreeSet::new();
        let mut flags_by_uid = Vec::new();
        let mut unnamed = false;
        let listed = |response: &Response<'_>| {
            let Response::Fetch(_, attributes) = response else {
                return None;
            };
            let fields = fetched(attributes);
            Some((
                fields.uid?,
                fields.flags.map(|(flags, _)| flags),
                fields.modseq,
            ))
        };
        while let Some(item) = self.next_item(tag, listed).await? {
            match item {
                Item::Read(Some((uid, flags, modseq))) => {
                    on_server.insert(uid);
                    if let Some(flags) = flags {
                        flags_by_uid.push((uid, flags, modseq));
                    }
                }
                Item::Read(None) => {}
                Item::Unreadable { uid: Some(uid), .. } => {
                    tracing::warn!(
                        uid,
                        "the flags of a message could not be read; kept as they were"
                    );
                    on_server.insert(uid);
                }
                Item::Unreadable { uid: None, fetch } => unnamed |= fetch,
            }
        }
        if unnamed {
            return Err(self.unreadable_answer());
        }
        Ok((on_server, flags_by_uid))
    }

    /// The headers, flags, arrival time and size of the messages `uids` (sorted ascending), in the
    /// order the server sends them, added to `envelopes` as they arrive (so that what arrived is
    /// kept when the connection breaks later). The UIDs of responses that could not be read go to
    /// `unreadable` (`None`: the response named no UID).
    pub async fn fetch_envelopes(
        &mut self,
        uids: &[u32],
        envelopes: &mut Vec<NewEnvelope>,
        unreadable: &mut Vec<Option<u32>>,
    ) -> Result<(), CommandError> {
        let tag = self.send_envelope_fetch(uids).await?;
        self.read_envelopes(&tag, envelopes, unreadable).await
    }

    /// Sends the FETCH for the headers of `uids` (sorted ascending) without waiting for its
    /// answer, which [`Conn::read_envelopes`] reads. Sent while the previous FETCH's answer is
    /// still arriving (IMAP allows pipelining, RFC 3501 §5.5), it keeps the server busy instead of
    /// idle for a round trip and its start-up between chunks. The server answers commands in the
    /// order they were sent, so each answer is read after the one before it completed.
    pub async fn send_envelope_fetch(&mut self, uids: &[u32]) -> Result<RequestId, CommandError> {
        let modseq = if self.has_condstore() { " MODSEQ" } else { "" };
        // The server's lasting identity of each message, where it has one, so a copy in another
        // folder (a Gmail label, All Mail) is known as such before its body is downloaded.
        let identity = if self.has("X-GM-EXT-1") {
            " X-GM-MSGID"
        } else if self.has("OBJECTID") {
            " EMAILID"
        } else {
            ""
        };
        self.send(&format!(
            "UID FETCH {} (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER]{modseq}{identity})",
            uid_set(uids)
        ))
        .await
    }

    /// Reads the answer to a FETCH sent by [`Conn::send_envelope_fetch`] (as
    /// [`Conn::fetch_envelopes`] describes). Every FETCH sent before it must have been read.
    pub async fn read_envelopes(
        &mut self,
        tag: &RequestId,
        envelopes: &mut Vec<NewEnvelope>,
        unreadable: &mut Vec<Option<u32>>,
    ) -> Result<(), CommandError> {
        // Set here, not when sent: the completion of the command before it resets the limit.
        self.limit_literals(LiteralLimit::Fixed(HEADER_LITERAL));
        while let Some(item) = self.next_item(tag, envelope_of).await? {
            match item {
                Item::Read(envelope) => envelopes.extend(envelope),
                Item::Unreadable { uid, fetch: true } => unreadable.push(uid),
                Item::Unreadable { fetch: false, .. } => {}
            }
        }
        Ok(())
    }

    /// Reads and drops the answer to a command sent ahead whose results are no longer wanted (the
    /// work it was for stopped), so that the connection stays in step for the next command.
    /// Errors are its own: the caller already has the one that matters.
    pub async fn discard_answer(&mut self, tag: &RequestId) {
        if self.is_broken() {
            return;
        }
        self.limit_literals(LiteralLimit::Fixed(HEADER_LITERAL));
        while let Ok(Some(_)) = self.next_item(tag, |_| ()).await {}
    }

    /// Starts fetching the whole messages `wanted` (UID and RFC822.SIZE, sorted ascending by
    /// UID); [`BodyFetch::next`] reads them one by one as they arrive, so a big batch never has to
    /// fit in memory at once. Each message's literal may be at most what its size allows
    /// ([`body_limit`]).
    pub async fn fetch_bodies(
        &mut self,
        wanted: &[(u32, u32)],
    ) -> Result<BodyFetch<'_>, CommandError> {
        let limits: std::collections::HashMap<u32, usize> = wanted
            .iter()
            .map(|&(uid, size)| (uid, body_limit(size)))
            .collect();
        let otherwise = limits.values().copied().max().unwrap_or(HEADER_LITERAL);
        self.limit_literals(LiteralLimit::PerUid {
            limits: std::sync::Arc::new(limits),
            otherwise,
        });
        let uids: Vec<u32> = wanted.iter().map(|(uid, _)| *uid).collect();
        let tag = self
            .send(&format!("UID FETCH {} (UID BODY.PEEK[])", uid_set(&uids)))
            .await?;
        Ok(BodyFetch { conn: self, tag })
    }
}

impl Conn {
    /// `len` bytes from `offset` of one message's full text (`BODY.PEEK[]<offset.len>`, RFC 3501
    /// §6.4.5): how a message too big to hold whole is downloaded piece by piece. Fewer than `len`
    /// bytes means the message ends there. `None` when the server sent nothing for the message (it
    /// was expunged meanwhile).
    pub async fn fetch_body_part(
        &mut self,
        uid: u32,
        offset: u64,
        len: u32,
    ) -> Result<Option<Vec<u8>>, CommandError> {
        // A server may send no more than was asked for.
        self.limit_literals(LiteralLimit::Fixed(len as usize));
        let tag = self
            .send(&format!(
                "UID FETCH {uid} (UID BODY.PEEK[]<{offset}.{len}>)"
            ))
            .await?;
        let mut part = None;
        let mut unreadable = false;
        while let Some(item) = self.next_item(&tag, body_of).await? {
            match item {
                Item::Read(Some(body)) if body.uid == uid => part = Some(body.raw),
                Item::Read(_) | Item::Unreadable { fetch: false, .. } => {}
                Item::Unreadable { fetch: true, .. } => unreadable = true,
            }
        }
        if part.is_none() && unreadable {
            return Err(CommandError::Unreadable {
                host: self.host().to_owned(),
                uid: Some(uid),
            });
        }
        Ok(part)
    }
}

/// The biggest header block accepted (headers of real mail are a few KiB; a few hundred
/// `Received:` lines stay far below this).
const HEADER_LITERAL: usize = 2 * 1024 * 1024;
/// What a body may exceed its RFC822.SIZE by. Servers' sizes are not always exact (Exchange's are
/// estimates), so the margin is wide; a size of 0 (unknown) allows the biggest mail providers send.
const BODY_MARGIN: usize = 1024 * 1024;
const BODY_UNKNOWN_SIZE: usize = 256 * 1024 * 1024;

/// The biggest literal accepted for a message of RFC822.SIZE `size`.
fn body_limit(size: u32) -> usize {
    if size == 0 {
        BODY_UNKNOWN_SIZE
    } else {
        (size as usize)
            .saturating_mul(2)
            .saturating_add(BODY_MARGIN)
    }
}

/// Whole messages arriving for one FETCH (see [`Conn::fetch_bodies`]).
pub struct BodyFetch<'a> {
    conn: &'a mut Conn,
    tag: RequestId,
}

impl BodyFetch<'_> {
    /// The next message (or a response that could not be read), or `None` once the FETCH
    /// completed.
    pub async fn next(&mut self) -> Result<Option<Item<NewBody>>, CommandError> {
        while let Some(item) = self.conn.next_item(&self.tag, body_of).await? {
            match item {
                Item::Read(Some(body)) => return Ok(Some(Item::Read(body))),
                Item::Read(None) | Item::Unreadable { fetch: false, .. } => {}
                Item::Unreadable { uid, fetch: true } => {
                    return Ok(Some(Item::Unreadable { uid, fetch: true }));
                }
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_may_exceed_its_size_by_a_margin_only() {
        assert_eq!(body_limit(300), 600 + BODY_MARGIN);
        assert!(body_limit(300) < 400_000_000);
        assert_eq!(body_limit(0), BODY_UNKNOWN_SIZE);
        assert!(body_limit(u32::MAX) > u32::MAX as usize);
    }
}
