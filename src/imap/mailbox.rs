//! Mailboxes: LIST — with the SPECIAL-USE roles (RFC 6154) and, where the server has LIST-STATUS
//! (RFC 5819), every folder's state in the same round trip — and SELECT/EXAMINE, with QRESYNC
//! (RFC 7162) returning flag changes and expunged UIDs in the SELECT itself.

use std::collections::{BTreeSet, HashMap};

use async_imap::imap_proto::{
    MailboxDatum, NameAttribute, RequestId, Response, ResponseCode, Status, StatusAttribute,
};

use super::fetch::{FlagChange, fetched};
use super::syntax::{decode_mailbox_name, quote};
use super::{CommandError, Conn};
use crate::store::FolderRole;

/// A folder as the server lists it.
#[derive(Debug, Clone)]
pub struct ListedFolder {
    /// The name as the server spells it (modified UTF-7), for commands.
    pub name: String,
    pub delimiter: Option<String>,
    pub role: Option<FolderRole>,
    pub selectable: bool,
    /// What LIST-STATUS said, where the server has it.
    pub status: Option<MailboxStatus>,
}

/// A folder's state as STATUS reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxStatus {
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    pub messages: Option<u32>,
}

/// What a SELECT told us.
#[derive(Debug, Default)]
pub struct Selected {
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    pub exists: u32,
    /// Expunged UIDs (QRESYNC's `VANISHED (EARLIER)`).
    pub vanished: Vec<std::ops::RangeInclusive<u32>>,
    /// Flag changes since the known HIGHESTMODSEQ (QRESYNC).
    pub changed: Vec<FlagChange>,
}

/// How a mailbox is opened: SELECT, or EXAMINE (RFC 3501 6.3.2).
#[derive(Clone, Copy)]
enum Open {
    ReadWrite,
    ReadOnly,
}

/// What [`Conn::look_at_folders`] found in one folder.
#[derive(Debug)]
pub struct FolderLook {
    pub selected: Selected,
    /// Every UID in the folder.
    pub on_server: BTreeSet<u32>,
    /// Their flags (a message whose flags could not be read is in `on_server` only).
    pub flags: Vec<FlagChange>,
}

/// The role a LIST attribute marks (`\Sent`, …).
pub(super) fn role_of(attribute: &NameAttribute<'_>) -> Option<FolderRole> {
    match attribute {
        NameAttribute::Sent => Some(FolderRole::Sent),
        NameAttribute::Drafts => Some(FolderRole::Drafts),
        NameAttribute::Trash => Some(FolderRole::Trash),
        NameAttribute::Junk => Some(FolderRole::Junk),
        NameAttribute::Archive => Some(FolderRole::Archive),
        NameAttribute::All => Some(FolderRole::All),
        NameAttribute::Flagged => Some(FolderRole::Flagged),
        _ => None,
    }
}

impl Conn {
    /// Every folder with its role: INBOX by name; the others by their SPECIAL-USE attribute, or —
    /// on servers without SPECIAL-USE — by the usual names ([`FolderRole::from_usual_name`]). A role
    /// given twice (a server quirk) stays with the first folder, so the sidebar never shows two
    /// "Sent".
    pub async fn list_folders(&mut self) -> Result<Vec<ListedFolder>, CommandError> {
        let special_use = self.has("SPECIAL-USE");
        let list_status = self.has("LIST-STATUS");
        let condstore = self.has_condstore();
        let mut command = String::from("LIST \"\" \"*\"");
        let mut returns = Vec::new();
        if special_use {
            returns.push("SPECIAL-USE".to_owned());
        }
        if list_status {
            returns.push(format!(
                "STATUS (MESSAGES UIDNEXT UIDVALIDITY{})",
                if condstore { " HIGHESTMODSEQ" } else { "" }
            ));
        }
        if !returns.is_empty() {
            command.push_str(&format!(" RETURN ({})", returns.join(" ")));
        }
        let mut folders: Vec<ListedFolder> = Vec::new();
        let mut statuses: HashMap<String, MailboxStatus> = HashMap::new();
        self.run(&command, |response| match response {
            Response::MailboxData(MailboxDatum::List(list)) => {
                let mut role = None;
                let mut selectable = true;
                for attribute in &list.name_attributes {
                    match attribute {
                        NameAttribute::NoSelect => selectable = false,
                        NameAttribute::Extension(word)
                            if word.eq_ignore_ascii_case("\\NonExistent") =>
                        {
                            selectable = false
                        }
                        other => {
                            if let Some(marked) = role_of(other) {
                                role = Some(marked);
                            }
                        }
                    }
                }
                let name = list.name.to_string();
                if name.eq_ignore_ascii_case("INBOX") {
                    role = Some(FolderRole::Inbox);
                } else if role.is_none() && !special_use {
                    role = FolderRole::from_usual_name(&decode_mailbox_name(&name));
                }
                folders.push(ListedFolder {
                    name,
                    delimiter: list.delimiter.as_ref().map(|d| d.to_string()),
                    role,
                    selectable,
                    status: None,
                });
            }
            Response::MailboxData(MailboxDatum::Status { mailbox, status }) => {
                let mut parsed = MailboxStatus::default();
                for attribute in status {
                    match attribute {
                        StatusAttribute::UidValidity(v) => parsed.uidvalidity = Some(*v),
                        StatusAttribute::UidNext(v) => parsed.uidnext = Some(*v),
                        StatusAttribute::HighestModSeq(v) => parsed.highestmodseq = Some(*v),
                        StatusAttribute::Messages(v) => parsed.messages = Some(*v),
                        _ => {}
                    }
                }
                statuses.insert(mailbox.to_string(), parsed);
            }
            _ => {}
        })
        .await?;
        let mut seen_roles = BTreeSet::new();
        for folder in &mut folders {
            if let Some(role) = folder.role
                && !seen_roles.insert(role)
            {
                folder.role = None;
            }
            folder.status = statuses.remove(&folder.name);
        }
        Ok(folders)
    }

    /// Selects `mailbox` for reading and changing. `known` is the (UIDVALIDITY, HIGHESTMODSEQ) of a
    /// folder completely synced before: with QRESYNC the server then reports what changed since in
    /// the SELECT itself. Without it, CONDSTORE is asked for where the server has it.
    pub async fn select(
        &mut self,
        mailbox: &str,
        known: Option<(u32, u64)>,
    ) -> Result<Selected, CommandError> {
        let tag = self.send_select(Open::ReadWrite, mailbox, known).await?;
        self.read_select(&tag, mailbox).await
    }

    /// Opens `mailbox` read-only (EXAMINE) and reports what [`Conn::select`] does: for a second
    /// connection reading beside the one that syncs, which must change nothing (not even `\Recent`).
    pub async fn examine_reporting(&mut self, mailbox: &str) -> Result<Selected, CommandError> {
        let tag = self.send_select(Open::ReadOnly, mailbox, None).await?;
        self.read_select(&tag, mailbox).await
    }

    /// Sends SELECT or EXAMINE (with QRESYNC or CONDSTORE where the server has them); its answer
    /// is read by [`Conn::read_select`].
    async fn send_select(
        &mut self,
        open: Open,
        mailbox: &str,
        known: Option<(u32, u64)>,
    ) -> Result<RequestId, CommandError> {
        let verb = match open {
            Open::ReadWrite => "SELECT",
            Open::ReadOnly => "EXAMINE",
        };
        let mut command = format!("{verb} {}", quote(mailbox));
        if self.has("QRESYNC")
            && let Some((uidvalidity, modseq)) = known
        {
            command.push_str(&format!(" (QRESYNC ({uidvalidity} {modseq}))"));
        } else if self.has_condstore() {
            command.push_str(" (CONDSTORE)");
        }
        self.send(&command).await
    }

    /// Reads the answer to the SELECT of `mailbox` tagged `tag`. From its first response on, no
    /// mailbox counts as selected until it succeeds (a failed SELECT leaves none selected).
    async fn read_select(
        &mut self,
        tag: &RequestId,
        mailbox: &str,
    ) -> Result<Selected, CommandError> {
        let mut selected = Selected::default();
        let previous_uidvalidity = self.selected_uidvalidity();
        self.set_selected(None, previous_uidvalidity);
        let mut look = |response: &Response<'_>| match response {
            Response::Data {
                status: Status::Ok,
                outcome,
            } => match &outcome.code {
                Some(ResponseCode::UidValidity(v)) => selected.uidvalidity = Some(*v),
                Some(ResponseCode::UidNext(v)) => selected.uidnext = Some(*v),
                Some(ResponseCode::HighestModSeq(v)) => selected.highestmodseq = Some(*v),
                _ => {}
            },
            Response::MailboxData(MailboxDatum::Exists(n)) => selected.exists = *n,
            Response::Vanished { uids, .. } => selected.vanished.extend(uids.iter().cloned()),
            Response::Fetch(_, attributes) => {
                let fields = fetched(attributes);
                if let (Some(uid), Some((flags, _))) = (fields.uid, fields.flags) {
                    selected.changed.push((uid, flags, fields.modseq));
                }
            }
            _ => {}
        };
        while self.next(tag, &mut look).await?.is_some() {}
        if !self.has_condstore() {
            // A mod-sequence from a server that does not announce CONDSTORE (Dovecot sends one in
            // every SELECT once any client turned tracking on for the mailbox) is not a promise to
            // track changes: kept, it would look like a CONDSTORE state to later passes and to a
            // server that starts announcing it. Such a server is synced by comparing UIDs and flags.
            selected.highestmodseq = None;
        }
        self.set_selected(Some(mailbox.to_owned()), selected.uidvalidity);
        Ok(selected)
    }

    /// SELECT and `UID FETCH 1:* (UID FLAGS)` for each of `mailboxes`, every command sent before
    /// any answer is read: one round trip for the lot where one at a time costs two per folder.
    /// What a server without CONDSTORE and LIST-STATUS (Exchange Online) offers for finding which
    /// folders changed since the last pass. Pipelining them is safe (RFC 3501, 5.5): the server
    /// runs them in order, and a SELECT that fails leaves no mailbox selected, so the FETCH after it
    /// fails too rather than answering for another folder. One answer per mailbox, in order; a
    /// refusal is that folder's alone, a broken connection fails the lot.
    pub async fn look_at_folders(
        &mut self,
        mailboxes: &[&str],
    ) -> Result<Vec<Result<FolderLook, CommandError>>, CommandError> {
        let mut sent = Vec::with_capacity(mailboxes.len());
        for mailbox in mailboxes {
            let select = self.send_select(Open::ReadWrite, mailbox, None).await?;
            let fetch = self.send("UID FETCH 1:* (UID FLAGS)").await?;
            sent.push((mailbox, select, fetch));
        }
        let mut looks = Vec::with_capacity(sent.len());
        for (mailbox, select, fetch) in sent {
            let selected = self.read_select(&select, mailbox).await;
            let flags = self.read_all_flags(&fetch).await;
            if self.is_broken() {
                return Err(selected
                    .and(flags)
                    .err()
                    .unwrap_or_else(|| self.unreadable_answer()));
            }
            looks.push(selected.and_then(|selected| {
                let (on_server, flags) = flags?;
                Ok(FolderLook {
                    selected,
                    on_server,
                    flags,
                })
            }));
        }
        Ok(looks)
    }

    /// Opens `mailbox` read-only (EXAMINE), for fetching one message outside the sync pass.
    pub async fn examine(&mut self, mailbox: &str) -> Result<(), CommandError> {
        self.run_quietly(&format!("EXAMINE {}", quote(mailbox)))
            .await
    }
}
