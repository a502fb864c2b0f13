//! The outbox database: messages waiting, sending, sent or failed (locally saved drafts are in
//! `drafts.rs`, the schema in `migrations.rs`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::migrations::MIGRATIONS;
use super::{CopyState, Failure, OutboxError, State, now};
use crate::compose::Built;
use crate::sqlite::{Database, Durability, OpenError};

/// One message of the outbox, without its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub account: String,
    pub message_id: String,
    pub subject: String,
    pub recipients: Vec<String>,
    pub state: State,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub interrupted: bool,
    /// DATA was begun in the last attempt: if that attempt was interrupted, the server may have
    /// the message.
    pub data_started: bool,
    pub last_error: Option<String>,
    pub failure: Option<Failure>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub server_reply: Option<String>,
    pub copy_state: CopyState,
    pub copy_error: Option<String>,
    pub draft_message_id: Option<String>,
    pub size: u64,
    pub envelope_from: String,
    /// The Microsoft Graph draft made for this message (sent through Graph), once recorded.
    pub graph_draft_id: Option<String>,
}

/// The outbox as a database: WAL, so readers (the window's list) never block the writer; commits
/// on disk before they return (`synchronous = FULL`), since the outbox holds the only copy of what
/// a person wrote; the file readable by its owner only (mail is private, like the data folder).
const DATABASE: Database = Database {
    name: "outbox",
    migrations: MIGRATIONS,
    durability: Durability::Full,
    owner_only: true,
    configure: crate::sqlite::nothing_more,
};

/// The outbox database. Cheap operations only; sending is the [`super::Worker`]'s.
pub struct Outbox {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const ENTRY_COLUMNS: &str = "id, account, message_id, subject, recipients, state, attempts, \
    next_attempt_at, interrupted, last_error, failure, created_at, submitted_at, server_reply, \
    copy_state, copy_error, draft_message_id, length(raw), envelope_from, data_started, graph_draft_id";

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let bad = |column: usize, text: String| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown value {text:?}").into(),
        )
    };
    let recipients: String = row.get(4)?;
    let state: String = row.get(5)?;
    let failure: Option<String> = row.get(10)?;
    let copy_state: String = row.get(14)?;
    Ok(Entry {
        id: row.get(0)?,
        account: row.get(1)?,
        message_id: row.get(2)?,
        subject: row.get(3)?,
        recipients: serde_json::from_str(&recipients).map_err(|e| bad(4, e.to_string()))?,
        state: State::parse(&state).ok_or_else(|| bad(5, state.clone()))?,
        attempts: row.get(6)?,
        next_attempt_at: row.get(7)?,
        interrupted: row.get(8)?,
        last_error: row.get(9)?,
        failure: match failure {
            Some(f) => Some(Failure::parse(&f).ok_or_else(|| bad(10, f.clone()))?),
            None => None,
        },
        created_at: row.get(11)?,
        submitted_at: row.get(12)?,
        server_reply: row.get(13)?,
        copy_state: CopyState::parse(&copy_state).ok_or_else(|| bad(14, copy_state.clone()))?,
        copy_error: row.get(15)?,
        draft_message_id: row.get(16)?,
        size: row.get::<_, i64>(17)? as u64,
        envelope_from: row.get(18)?,
        data_started: row.get(19)?,
        graph_draft_id: row.get(20)?,
    })
}

impl Outbox {
    /// Opens (creating if needed) the outbox in `data_dir`.
    pub fn open_in(data_dir: &Path) -> Result<Self, OutboxError> {
        Self::open(&data_dir.join(super::FILE_NAME))
    }

    /// Opens (creating if needed) the outbox database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, OutboxError> {
        Self::open_with(path, DATABASE)
    }

    /// [`Outbox::open`] with another description of the database (the tests build outboxes of
    /// earlier schemas this way).
    pub(super) fn open_with(path: &Path, database: Database) -> Result<Self, OutboxError> {
        let conn = database.open(path).map_err(|error| match error {
            OpenError::TooNew { path, found, known } => OutboxError::TooNew { path, found, known },
            OpenError::Sqlite {
                source,
                migrating: true,
                ..
            } => OutboxError::Db(source.to_string()),
            OpenError::Sqlite { source, .. } => OutboxError::Open {
                path: path.to_owned(),
                reason: source.to_string(),
            },
            OpenError::Folder { source, .. } | OpenError::Permissions { source, .. } => {
                OutboxError::Open {
                    path: path.to_owned(),
                    reason: source.to_string(),
                }
            }
        })?;
        Ok(Self {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite rolls back an
        // unfinished transaction itself.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The schema version this build writes.
    pub fn schema_version() -> i64 {
        DATABASE.version()
    }

    /// Puts a built message in the outbox, queued for now. When it was a saved draft, the draft is
    /// removed in the same commit: the message is in exactly one place at every moment.
    pub fn enqueue(
        &self,
        account: &str,
        subject: &str,
        built: &Built,
        from_draft: Option<i64>,
    ) -> Result<i64, OutboxError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let draft_message_id: Option<String> = match from_draft {
            Some(id) => {
                let message_id = tx
                    .query_row("SELECT message_id FROM draft WHERE id = ?1", [id], |row| {
                        row.get(0)
                    })
                    .optional()?
                    .ok_or(OutboxError::NoDraft(id))?;
                tx.execute("DELETE FROM draft WHERE id = ?1", [id])?;
                Some(message_id)
            }
            None => None,
        };
        let now = now();
        tx.execute(
            "INSERT INTO message (account, message_id, subject, envelope_from, recipients, raw, state,
                 next_attempt_at, created_at, draft_message_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?7, ?8)",
            params![
                account,
                built.message_id,
                subject,
                built.envelope_from,
                serde_json::to_string(&built.recipients).unwrap_or_else(|_| "[]".into()),
                built.raw,
                now,
                draft_message_id,
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        tracing::info!(id, message_id = %built.message_id, size = built.raw.len(), "message queued in the outbox");
        Ok(id)
    }

    pub fn entry(&self, id: i64) -> Result<Entry, OutboxError> {
        self.conn()
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM message WHERE id = ?1"),
                [id],
                entry_from_row,
            )
            .optional()?
            .ok_or(OutboxError::NotFound(id))
    }

    /// Messages not yet sent (and, with `include_sent`, the sent ones still kept), oldest first.
    pub fn list(&self, include_sent: bool) -> Result<Vec<Entry>, OutboxError> {
        let conn = self.conn();
        let mut statement = conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM message WHERE ?1 OR state != 'sent' ORDER BY id"
        ))?;
        let rows = statement.query_map([include_sent], entry_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The message's bytes (Bcc header included).
    pub fn raw(&self, id: i64) -> Result<Vec<u8>, OutboxError> {
        self.conn()
            .query_row("SELECT raw FROM message WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()?
            .ok_or(OutboxError::NotFound(id))
    }

    /// Queued messages whose time has come, oldest first.
    pub fn due(&self) -> Result<Vec<i64>, OutboxError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT id FROM message WHERE state = 'queued' AND next_attempt_at <= ?1 ORDER BY id",
        )?;
        let rows = statement.query_map([now()], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When the next queued message is due, if any is queued.
    pub fn next_due_at(&self) -> Result<Option<i64>, OutboxError> {
        Ok(self.conn().query_row(
            "SELECT min(next_attempt_at) FROM message WHERE state = 'queued'",
            [],
            |row| row.get(0),
        )?)
    }

    /// Sent messages whose Sent-folder copy is still to be appended.
    pub fn pending_copies(&self) -> Result<Vec<i64>, OutboxError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT id FROM message WHERE state = 'sent' AND copy_state = 'pending' ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Rows left in `sending` — by a process that crashed, since only the lock holder sends — are
    /// queued again, marked interrupted so the Sent folder is checked before any resend.
    /// Call only while holding the outbox lock.
    pub(super) fn recover_interrupted(&self) -> Result<Vec<i64>, OutboxError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let ids: Vec<i64> = {
            let mut statement = tx.prepare("SELECT id FROM message WHERE state = 'sending'")?;
            statement
                .query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        tx.execute(
            "UPDATE message SET state = 'queued', interrupted = 1, next_attempt_at = ?1
             WHERE state = 'sending'",
            [now()],
        )?;
        tx.commit()?;
        Ok(ids)
    }

    /// Takes a queued message for sending (one more attempt). `false` when it is not queued.
    /// Only the holder of the outbox lock (the [`super::Worker`]) should call this.
    pub fn claim(&self, id: i64) -> Result<bool, OutboxError> {
        let changed = self.conn().execute(
            "UPDATE message SET state = 'sending', attempts = attempts + 1, data_started = 0
             WHERE id = ?1 AND state = 'queued'",
            [id],
        )?;
        Ok(changed == 1)
    }

    /// DATA is about to be sent: from here on an interruption may leave the message with the
    /// server (committed on disk before DATA goes out).
    pub fn mark_data_started(&self, id: i64) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE message SET data_started = 1 WHERE id = ?1 AND state = 'sending'",
            [id],
        )?;
        Ok(())
    }

    /// Records the Graph draft made for a message (before it is sent), or forgets it (`None`: it
    /// is gone from the mailbox).
    pub(super) fn set_graph_draft(&self, id: i64, draft: Option<&str>) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE message SET graph_draft_id = ?2 WHERE id = ?1",
            params![id, draft],
        )?;
        Ok(())
    }

    /// The send request may have reached Microsoft 365 but its answer did not reach Tayori: queued
    /// again as interrupted, the send recorded as begun, so the next attempt asks Sent Items and
    /// the draft before anything is sent again.
    pub(super) fn mark_uncertain(&self, id: i64, reason: &str, at: i64) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE message SET state = 'queued', last_error = ?2, next_attempt_at = ?3,
                 interrupted = 1, data_started = 1
             WHERE id = ?1",
            params![id, reason, at],
        )?;
        Ok(())
    }

    /// The server accepted the message: `sent`, with its reply and time, in one commit.
    pub(super) fn mark_sent(
        &self,
        id: i64,
        reply: &str,
        copy: CopyState,
    ) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE message SET state = 'sent', submitted_at = ?2, server_reply = ?3, copy_state = ?4,
                 interrupted = 0, failure = NULL
             WHERE id = ?1",
            params![id, now(), reply, copy.as_str()],
        )?;
        Ok(())
    }

    /// A transient failure: queued again for `at`, with the reason.
    pub(super) fn mark_retry(&self, id: i64, reason: &str, at: i64) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE message SET state = 'queued', last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
            params![id, reason, at],
        )?;
        Ok(())
    }

    /// The Sent folder was checked for an interrupted message and it was not there: it may be
    /// submitted again.
    pub(super) fn clear_interrupted(&self, id: i64) -> Result<(), OutboxError> {
        self.conn()
            .execute("UPDATE message SET interrupted = 0 WHERE id = ?1", [id])?;
        Ok(())
    }

    pub(super) fn mark_failed(
        &self,
        id: i64,
        reason: &str,
        failure: Failure,
    ) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE message SET state = 'failed', last_error = ?2, failure = ?3 WHERE id = ?1",
            params![id, reason, failure.as_str()],
        )?;
        Ok(())
    }

    pub(super) fn set_copy(
        &self,
        id: i64,
        copy: CopyState,
        error: Option<&str>,
    ) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE message SET copy_state = ?2, copy_error = ?3 WHERE id = ?1",
            params![id, copy.as_str(), error],
        )?;
        Ok(())
    }

    /// Queues a failed (or waiting) message for an attempt now.
    pub fn retry(&self, id: i64) -> Result<(), OutboxError> {
        let entry = self.entry(id)?;
        match entry.state {
            State::Queued | State::Failed => {
                // The person's decision: "Send again" also after "may have been sent".
                self.conn().execute(
                    "UPDATE message SET state = 'queued', failure = NULL, next_attempt_at = ?2,
                         interrupted = 0, data_started = 0
                     WHERE id = ?1",
                    params![id, now()],
                )?;
                Ok(())
            }
            state => Err(OutboxError::WrongState {
                id,
                state,
                action: "retried (it is never sent twice)",
            }),
        }
    }

    /// Removes a message the person no longer wants sent. A message being sent cannot be
    /// discarded (it may already be on its way).
    pub fn discard(&self, id: i64) -> Result<Entry, OutboxError> {
        let entry = self.entry(id)?;
        if entry.state == State::Sending {
            return Err(OutboxError::WrongState {
                id,
                state: entry.state,
                action: "discarded (it is being sent right now)",
            });
        }
        let changed = self.conn().execute(
            "DELETE FROM message WHERE id = ?1 AND state != 'sending'",
            [id],
        )?;
        if changed == 0 {
            return Err(OutboxError::NotFound(id));
        }
        Ok(entry)
    }

    /// Forgets sent messages older than [`super::KEEP_SENT`] whose copy is settled.
    pub(super) fn prune_sent(&self) -> Result<usize, OutboxError> {
        let cutoff = now() - super::KEEP_SENT.as_secs() as i64;
        Ok(self.conn().execute(
            "DELETE FROM message WHERE state = 'sent' AND copy_state != 'pending' AND submitted_at < ?1",
            [cutoff],
        )?)
    }

    // ---- drafts ----
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn a_queued_message_is_on_disk_with_its_bytes_and_survives_reopening() {
        let (dir, outbox) = open();
        let (_, message) = built(1);
        let id = outbox
            .enqueue("alice@example.test", "message 1", &message, None)
            .unwrap();
        drop(outbox);
        let outbox = Outbox::open_in(dir.path()).unwrap();
        let entry = outbox.entry(id).unwrap();
        assert_eq!(entry.state, State::Queued);
        assert_eq!(entry.message_id, message.message_id);
        assert_eq!(entry.recipients, ["bob@example.test", "carol@example.test"]);
        assert_eq!(entry.size, message.raw.len() as u64);
        assert_eq!(outbox.raw(id).unwrap(), message.raw);
        assert_eq!(outbox.due().unwrap(), [id]);
        let conn = Connection::open(dir.path().join(super::super::FILE_NAME)).unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = std::fs::metadata(dir.path().join(super::super::FILE_NAME)).unwrap();
            assert_eq!(file.permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn states_move_as_documented() {
        let (_dir, outbox) = open();
        let (_, message) = built(1);
        let id = outbox.enqueue("a", "s", &message, None).unwrap();
        assert!(outbox.claim(id).unwrap());
        assert!(!outbox.claim(id).unwrap(), "a message is claimed once");
        assert_eq!(outbox.entry(id).unwrap().attempts, 1);
        assert!(matches!(
            outbox.discard(id),
            Err(OutboxError::WrongState {
                state: State::Sending,
                ..
            })
        ));
        outbox
            .mark_retry(id, "421 4.4.0 try later", now() + 60)
            .unwrap();
        let entry = outbox.entry(id).unwrap();
        assert_eq!(entry.state, State::Queued);
        assert_eq!(entry.last_error.as_deref(), Some("421 4.4.0 try later"));
        assert!(outbox.due().unwrap().is_empty(), "not due before its time");
        assert!(outbox.next_due_at().unwrap().unwrap() > now());
        outbox.retry(id).unwrap();
        assert_eq!(outbox.due().unwrap(), [id]);
        assert!(outbox.claim(id).unwrap());
        outbox
            .mark_failed(id, "550 5.1.1 unknown user", Failure::Rejected)
            .unwrap();
        let entry = outbox.entry(id).unwrap();
        assert_eq!(
            (entry.state, entry.failure, entry.attempts),
            (State::Failed, Some(Failure::Rejected), 2)
        );
        assert!(outbox.due().unwrap().is_empty());
        outbox.retry(id).unwrap();
        assert!(outbox.claim(id).unwrap());
        outbox
            .mark_sent(id, "250 2.0.0 Ok", CopyState::Pending)
            .unwrap();
        assert_eq!(outbox.pending_copies().unwrap(), [id]);
        assert!(matches!(
            outbox.retry(id),
            Err(OutboxError::WrongState {
                state: State::Sent,
                ..
            })
        ));
        outbox.set_copy(id, CopyState::Filed, None).unwrap();
        assert!(outbox.pending_copies().unwrap().is_empty());
        assert!(outbox.list(false).unwrap().is_empty());
        assert_eq!(outbox.list(true).unwrap().len(), 1);
        outbox.discard(id).unwrap();
        assert!(matches!(outbox.entry(id), Err(OutboxError::NotFound(_))));
    }

    #[test]
    fn a_row_left_sending_is_queued_again_marked_interrupted() {
        let (_dir, outbox) = open();
        let (_, message) = built(1);
        let id = outbox.enqueue("a", "s", &message, None).unwrap();
        outbox.claim(id).unwrap();
        assert_eq!(outbox.recover_interrupted().unwrap(), [id]);
        let entry = outbox.entry(id).unwrap();
        assert!(entry.interrupted && entry.state == State::Queued);
        outbox.clear_interrupted(id).unwrap();
        assert!(!outbox.entry(id).unwrap().interrupted);
    }

    #[test]
    fn the_same_message_id_cannot_be_queued_twice() {
        let (_dir, outbox) = open();
        let (_, message) = built(1);
        outbox.enqueue("a", "s", &message, None).unwrap();
        assert!(matches!(
            outbox.enqueue("a", "s", &message, None),
            Err(OutboxError::Db(_))
        ));
    }

    #[test]
    fn a_schema_from_a_newer_tayori_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(super::super::FILE_NAME);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
                .unwrap();
        }
        assert!(matches!(
            Outbox::open(&path),
            Err(OutboxError::TooNew { found: 99, .. })
        ));
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 99);
    }

    #[test]
    fn migrations_are_recorded_and_reopening_is_idempotent() {
        let (dir, outbox) = open();
        drop(outbox);
        let outbox = Outbox::open_in(dir.path()).unwrap();
        let version: i64 = outbox
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, Outbox::schema_version());
        let synchronous: i64 = outbox
            .conn()
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "synchronous=FULL");
    }
}
