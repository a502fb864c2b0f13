//! Fixtures for the outbox's unit tests: an outbox in a temporary folder, and messages to put in it.

use super::Outbox;
use crate::compose::{Built, Draft, Mailbox};

pub(super) fn built(n: u32) -> (Draft, Built) {
    let mut draft = Draft::new(Mailbox::new(None, "alice@example.test"));
    draft.to.push(Mailbox::new(None, "bob@example.test"));
    draft.bcc.push(Mailbox::new(None, "carol@example.test"));
    draft.subject = format!("message {n}");
    draft.body = "本文".into();
    let built = draft.build().unwrap();
    (draft, built)
}

pub(super) fn open() -> (tempfile::TempDir, Outbox) {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open_in(dir.path()).unwrap();
    (dir, outbox)
}
