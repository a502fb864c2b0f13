//! Drafts saved locally as the person types — the only copy of what they wrote until it is sent,
//! so they live in the outbox's database (not the mail store, which can be rebuilt from the
//! server). A draft keeps one Message-ID across versions, so its copy in the server's Drafts folder
//! can be found and replaced.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Outbox, OutboxError, now};
use crate::compose::{Attachment, Draft};

/// A locally saved draft, for lists.
#[derive(Debug, Clone, Serialize)]
pub struct DraftEntry {
    pub id: i64,
    pub account: String,
    pub message_id: String,
    pub subject: String,
    pub updated_at: i64,
    pub server_saved_at: Option<i64>,
}

impl Outbox {
    /// Saves a draft locally (as the person types). `id` `None` creates one with a new Message-ID;
    /// returns the draft's id and Message-ID.
    pub fn save_draft(
        &self,
        id: Option<i64>,
        account: &str,
        draft: &Draft,
    ) -> Result<(i64, String), OutboxError> {
        let content = serde_json::to_string(draft).map_err(|e| OutboxError::Db(e.to_string()))?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let now = now();
        let (id, message_id) = match id {
            Some(id) => {
                let message_id: String = tx
                    .query_row("SELECT message_id FROM draft WHERE id = ?1", [id], |row| {
                        row.get(0)
                    })
                    .optional()?
                    .ok_or(OutboxError::NoDraft(id))?;
                tx.execute(
                    "UPDATE draft SET account = ?2, content = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id, account, content, now],
                )?;
                tx.execute("DELETE FROM draft_attachment WHERE draft_id = ?1", [id])?;
                (id, message_id)
            }
            None => {
                let message_id = crate::compose::new_message_id(&draft.from.address);
                tx.execute(
                    "INSERT INTO draft (account, message_id, content, updated_at) VALUES (?1, ?2, ?3, ?4)",
                    params![account, message_id, content, now],
                )?;
                (tx.last_insert_rowid(), message_id)
            }
        };
        for (position, attachment) in draft.attachments.iter().enumerate() {
            tx.execute(
                "INSERT INTO draft_attachment (draft_id, position, file_name, content_type, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    position as i64,
                    attachment.file_name,
                    attachment.content_type,
                    attachment.data
                ],
            )?;
        }
        tx.commit()?;
        Ok((id, message_id))
    }

    /// A saved draft: its account, content (attachments included) and Message-ID.
    pub fn load_draft(&self, id: i64) -> Result<(String, Draft, String), OutboxError> {
        let conn = self.conn();
        let (account, content, message_id): (String, String, String) = conn
            .query_row(
                "SELECT account, content, message_id FROM draft WHERE id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?
            .ok_or(OutboxError::NoDraft(id))?;
        let mut draft: Draft =
            serde_json::from_str(&content).map_err(|e| OutboxError::Db(e.to_string()))?;
        let mut statement = conn.prepare(
            "SELECT file_name, content_type, data FROM draft_attachment WHERE draft_id = ?1 ORDER BY position",
        )?;
        draft.attachments = statement
            .query_map([id], |row| {
                Ok(Attachment {
                    file_name: row.get(0)?,
                    content_type: row.get(1)?,
                    data: row.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok((account, draft, message_id))
    }

    pub fn list_drafts(&self) -> Result<Vec<DraftEntry>, OutboxError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT id, account, message_id, content, updated_at, server_saved_at FROM draft ORDER BY updated_at DESC, id DESC",
        )?;
        let rows = statement.query_map([], |row| {
            let content: String = row.get(3)?;
            let subject = serde_json::from_str::<Draft>(&content)
                .map(|d| d.subject)
                .unwrap_or_default();
            Ok(DraftEntry {
                id: row.get(0)?,
                account: row.get(1)?,
                message_id: row.get(2)?,
                subject,
                updated_at: row.get(4)?,
                server_saved_at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn delete_draft(&self, id: i64) -> Result<(), OutboxError> {
        let changed = self
            .conn()
            .execute("DELETE FROM draft WHERE id = ?1", [id])?;
        if changed == 0 {
            return Err(OutboxError::NoDraft(id));
        }
        Ok(())
    }

    /// Records that the draft's current version is in the server's Drafts folder.
    pub fn mark_draft_on_server(&self, id: i64) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE draft SET server_saved_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn drafts_keep_their_attachments_and_leave_when_queued() {
        let (_dir, outbox) = open();
        let (mut draft, _) = built(1);
        draft
            .attachments
            .push(Attachment::new("資料.pdf".into(), vec![0, 1, 2, 255]));
        let (id, message_id) = outbox
            .save_draft(None, "alice@example.test", &draft)
            .unwrap();
        draft.subject = "edited".into();
        let (same, same_message_id) = outbox
            .save_draft(Some(id), "alice@example.test", &draft)
            .unwrap();
        assert_eq!((same, &same_message_id), (id, &message_id));
        let (account, loaded, _) = outbox.load_draft(id).unwrap();
        assert_eq!(account, "alice@example.test");
        assert_eq!(loaded, draft);
        assert_eq!(loaded.attachments[0].data, [0, 1, 2, 255]);
        assert_eq!(outbox.list_drafts().unwrap()[0].subject, "edited");

        let message = loaded.build().unwrap();
        let queued = outbox
            .enqueue("alice@example.test", "edited", &message, Some(id))
            .unwrap();
        assert!(outbox.list_drafts().unwrap().is_empty());
        assert_eq!(
            outbox.entry(queued).unwrap().draft_message_id.as_deref(),
            Some(message_id.as_str())
        );
        assert!(matches!(
            outbox.load_draft(id),
            Err(OutboxError::NoDraft(_))
        ));
    }
}
