//! Checkpoints beside a long write: while the sync stores hundreds of megabytes of mail, a thread
//! of its own copies the WAL into the database and waits for the disk (`fsync`), so the writer
//! does not.
//!
//! Under `synchronous = NORMAL` a commit does not wait for the disk; a checkpoint does, twice (the
//! WAL, then the database). Run by the writer itself (SQLite's autocheckpoint every
//! `wal_autocheckpoint` pages), each one stopped the download for the time the disk takes to
//! write 64 MB — on a machine whose free memory holds every dirty page until then, a few hundred
//! milliseconds each, several times per first sync. With a [`Checkpointer`] running, the
//! writer's own autocheckpoint finds the WAL nearly all copied and synced already: it copies the
//! last few batches, syncs them and starts the WAL over, so the WAL stays as small as before.
//!
//! Durability is unchanged: SQLite's own checkpoint (PASSIVE: it never blocks the writer nor
//! readers, and never copies a frame a reader still needs), nothing skipped or reordered.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How often the WAL is checkpointed: at the sync's pace, some 10–20 MB each time, so each wait
/// for the disk is short and the writer's own checkpoint finds little left.
const INTERVAL: Duration = Duration::from_millis(100);

/// A thread checkpointing the store at a path until dropped.
pub struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the store at `path` on a connection of its own. A store it cannot
    /// open is left to the writer's autocheckpoint, as without it (logged, never an error: this
    /// only moves work off the writer).
    pub fn start(path: &Path) -> Checkpointer {
        let conn = match Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ) {
            Ok(conn) => conn,
            Err(error) => {
                tracing::debug!(%error, "no background checkpoints");
                return Checkpointer {
                    stop: None,
                    thread: None,
                };
            }
        };
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("store checkpoint".into())
            .stack_size(256 * 1024)
            .spawn(move || run(conn, stopped))
            .ok();
        Checkpointer {
            stop: Some(stop),
            thread,
        }
    }
}

fn run(conn: Connection, stopped: mpsc::Receiver<()>) {
    // Its own pages are never read again: the smallest cache.
    let _ = conn.pragma_update(None, "cache_size", 16);
    let _ = conn.pragma_update(None, "synchronous", "NORMAL");
    loop {
        match stopped.recv_timeout(INTERVAL) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Stopped, or the owner is gone.
            _ => return,
        }
        // A checkpoint with nothing new to copy costs a look at the WAL index only.
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::debug!(%error, "a background checkpoint failed; left to the writer");
            return;
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer never checkpoints here (autocheckpoint off): what reaches the database file is
    /// the checkpointer's work, and every row reads back.
    #[test]
    fn the_wal_reaches_the_database_file_without_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                 PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (x BLOB);",
            )
            .unwrap();
        let file_len = || std::fs::metadata(&path).unwrap().len();
        let before = file_len();
        let checkpointer = Checkpointer::start(&path);
        let row = vec![7u8; 64 * 1024];
        for _ in 0..8 {
            let tx = writer.unchecked_transaction().unwrap();
            for _ in 0..16 {
                tx.execute("INSERT INTO t VALUES (?1)", [&row]).unwrap();
            }
            tx.commit().unwrap();
        }
        // 8 MB committed to the WAL; the checkpointer copies it within a few of its rounds.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while file_len() < before + 8 * 1024 * 1024 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(checkpointer);
        assert!(
            file_len() >= before + 8 * 1024 * 1024,
            "the database file holds {} bytes",
            file_len()
        );
        let rows: i64 = writer
            .query_row("SELECT count(*) FROM t WHERE length(x) = 65536", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(rows, 128);
    }
}
