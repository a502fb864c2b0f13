//! Reading messages: UID SEARCH, and the FETCHes the sync engine sends — flags (all, or changed
//! since a modification sequence), headers for the list, whole messages for reading and search.

use std::collections::BTreeSet;

use async_imap::imap_proto::{
    AttributeValue, MailboxDatum, MessageSection, RequestId, Response, SectionPath,
};

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
            _ => {}
        }
    }
    out
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
    /// (CONDSTORE's `CHANGEDSINCE`).
    pub async fn flags_changed_since(
        &mut self,
        top: u32,
        since: u64,
    ) -> Result<Vec<FlagChange>, CommandError> {
        let mut changes = Vec::new();
        self.run(
            &format!("UID FETCH 1:{top} (UID FLAGS) (CHANGEDSINCE {since})"),
            |response| {
                if let Response::Fetch(_, attributes) = response {
                    let fields = fetched(attributes);
                    if let (Some(uid), Some((flags, _))) = (fields.uid, fields.flags) {
                        changes.push((uid, flags, fields.modseq));
                    }
                }
            },
        )
        .await?;
        Ok(changes)
    }

    /// Every UID up to `top` with its flags: what a server without CONDSTORE offers for finding
    /// flag changes and expunges.
    pub async fn all_flags(
        &mut self,
        top: u32,
    ) -> Result<(BTreeSet<u32>, Vec<FlagChange>), CommandError> {
        let mut on_server = BTreeSet::new();
        let mut flags_by_uid = Vec::new();
        self.run(&format!("UID FETCH 1:{top} (UID FLAGS)"), |response| {
            if let Response::Fetch(_, attributes) = response {
                let fields = fetched(attributes);
                if let Some(uid) = fields.uid {
                    on_server.insert(uid);
                    if let Some((flags, _)) = fields.flags {
                        flags_by_uid.push((uid, flags, fields.modseq));
                    }
                }
            }
        })
        .await?;
        Ok((on_server, flags_by_uid))
    }

    /// The headers, flags, arrival time and size of the messages `uids` (sorted ascending), in the
    /// order the server sends them.
    pub async fn fetch_envelopes(
        &mut self,
        uids: &[u32],
    ) -> Result<Vec<NewEnvelope>, CommandError> {
        let modseq = if self.has_condstore() { " MODSEQ" } else { "" };
        let command = format!(
            "UID FETCH {} (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER]{modseq})",
            uid_set(uids)
        );
        let tag = self.send(&command).await?;
        let mut envelopes = Vec::with_capacity(uids.len());
        while let Some(envelope) = self.next(&tag, envelope_of).await? {
            envelopes.extend(envelope);
        }
        Ok(envelopes)
    }

    /// Starts fetching the whole messages `uids` (sorted ascending); [`BodyFetch::next`] reads them
    /// one by one as they arrive, so a big batch never has to fit in memory at once.
    pub async fn fetch_bodies(&mut self, uids: &[u32]) -> Result<BodyFetch<'_>, CommandError> {
        let tag = self
            .send(&format!("UID FETCH {} (UID BODY.PEEK[])", uid_set(uids)))
            .await?;
        Ok(BodyFetch { conn: self, tag })
    }
}

/// Whole messages arriving for one FETCH (see [`Conn::fetch_bodies`]).
pub struct BodyFetch<'a> {
    conn: &'a mut Conn,
    tag: RequestId,
}

impl BodyFetch<'_> {
    /// The next message, or `None` once the FETCH completed.
    pub async fn next(&mut self) -> Result<Option<NewBody>, CommandError> {
        while let Some(body) = self.conn.next(&self.tag, body_of).await? {
            if body.is_some() {
                return Ok(body);
            }
        }
        Ok(None)
    }
}
