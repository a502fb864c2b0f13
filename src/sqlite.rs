//! Opening a SQLite database the one way both of Tayori's databases are opened: the mail store
//! (`store`, a copy of the server) and the outbox (`outbox`, the only copy of what a person wrote).
//!
//! A [`Database`] describes one of them (meli's `DatabaseDescription` plays the same part): its
//! ordered migrations, how durable a commit must be, and what else its connections need. Opening
//! creates the folder and file if needed, sets the connection up (WAL, foreign keys, a busy
//! timeout) and runs the migrations the file lacks:
//!
//! - `PRAGMA user_version` records how many have run. It is read inside an IMMEDIATE transaction
//!   that all the missing migrations share, so two processes opening a new file at once (the
//!   window and `tayori sync`) cannot both migrate, and a failed migration leaves the file as it
//!   was.
//! - Foreign keys are switched off while migrating and checked before the commit: that is SQLite's
//!   own procedure for changing a table by rebuilding it (<https://sqlite.org/lang_altertable.html>,
//!   "Making Other Kinds Of Table Schema Changes"); with them on, dropping the old table would
//!   delete the rows that refer to it.
//! - A file written by a newer Tayori (a higher version than this one knows) is refused and left
//!   untouched, never rewritten: neither database is thrown away to "repair" something.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

/// How long a statement waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// When a commit counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous = NORMAL` (with WAL): a commit survives a crash of Tayori; a power failure may
    /// lose the last commits but never corrupts the file.
    Normal,
    /// `synchronous = FULL`: a commit is on disk before it returns.
    Full,
}

/// One of Tayori's databases.
#[derive(Debug, Clone, Copy)]
pub struct Database {
    /// What the database is called in logs ("mail store", "outbox").
    pub name: &'static str,
    /// Migration `i` brings the schema from version `i` to `i + 1`. Never edit one that has
    /// shipped: append.
    pub migrations: &'static [&'static str],
    pub durability: Durability,
    /// Whether the file is made readable and writable by its owner only (Unix).
    pub owner_only: bool,
    /// Pragmas this database sets beyond the common ones.
    pub configure: fn(&Connection) -> rusqlite::Result<()>,
}

/// Why a database could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The folder for the file could not be created.
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file's permissions could not be set.
    Permissions {
        path: PathBuf,
        source: std::io::Error,
    },
    /// SQLite refused to open or set up the file (`migrating: false`) or to migrate it.
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
        migrating: bool,
    },
    /// The file was written by a newer Tayori.
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

/// No configuration beyond the common one.
pub fn nothing_more(_: &Connection) -> rusqlite::Result<()> {
    Ok(())
}

impl Database {
    /// The schema version this build writes.
    pub fn version(&self) -> i64 {
        self.migrations.len() as i64
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(&self, path: &Path) -> Result<Connection, OpenError> {
        let sqlite = |source, migrating| OpenError::Sqlite {
            path: path.to_owned(),
            source,
            migrating,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| OpenError::Folder {
                path: parent.to_owned(),
                source,
            })?;
        }
        let mut conn = Connection::open(path).map_err(|e| sqlite(e, false))?;
        #[cfg(unix)]
        if self.owner_only {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| OpenError::Permissions {
                    path: path.to_owned(),
                    source,
                },
            )?;
        }
        self.set_up(&conn).map_err(|e| sqlite(e, false))?;
        let migrated = self.migrate(&mut conn, path);
        // Back on whatever happened: the connection enforces foreign keys from here on.
        let enforced = conn.pragma_update(None, "foreign_keys", "ON");
        migrated?;
        enforced.map_err(|e| sqlite(e, false))?;
        Ok(conn)
    }

    fn set_up(&self, conn: &Connection) -> rusqlite::Result<()> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let synchronous = match self.durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        (self.configure)(conn)
    }

    /// Runs the missing migrations in one IMMEDIATE transaction, foreign keys off and checked
    /// before the commit.
    fn migrate(&self, conn: &mut Connection, path: &Path) -> Result<(), OpenError> {
        let sqlite = |source| OpenError::Sqlite {
            path: path.to_owned(),
            source,
            migrating: true,
        };
        // A no-op inside a transaction, so before it.
        conn.pragma_update(None, "foreign_keys", "OFF")
            .map_err(sqlite)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let found: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sqlite)?;
        let known = self.version();
        if found > known {
            return Err(OpenError::TooNew {
                path: path.to_owned(),
                found,
                known,
            });
        }
        for (index, sql) in self.migrations.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql)
                .and_then(|_| tx.pragma_update(None, "user_version", index as i64 + 1))
                .map_err(sqlite)?;
            tracing::info!(version = index + 1, "{} schema migrated", self.name);
        }
        if found < known {
            let broken: Option<String> = tx
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })
                .map_err(sqlite)?;
            if let Some(table) = broken {
                return Err(sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                    Some(format!(
                        "migrating left rows in {table} that refer to nothing; nothing was changed"
                    )),
                )));
            }
        }
        tx.commit().map_err(sqlite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &[&str] = &[
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
                             note TEXT);",
        // A rebuild, as SQLite's procedure has it: the children must survive it.
        "CREATE TABLE parent_new (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
         INSERT INTO parent_new (id, name) SELECT id, name FROM parent;
         DROP TABLE parent;
         ALTER TABLE parent_new RENAME TO parent;",
    ];

    fn database(migrations: &'static [&'static str]) -> Database {
        Database {
            name: "test",
            migrations,
            durability: Durability::Full,
            owner_only: true,
            configure: nothing_more,
        }
    }

    #[test]
    fn a_table_rebuilt_by_a_migration_keeps_the_rows_that_refer_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("test.sqlite3");
        {
            let conn = database(&MIGRATIONS[..1]).open(&path).unwrap();
            conn.execute_batch(
                "INSERT INTO parent (id, name) VALUES (1, 'a'), (2, 'b');
                 INSERT INTO child VALUES (1, 'x'), (2, 'y');",
            )
            .unwrap();
        }
        let conn = database(MIGRATIONS).open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2);
        let children: i64 = conn
            .query_row("SELECT count(*) FROM child", [], |r| r.get(0))
            .unwrap();
        assert_eq!(children, 2, "the rebuild did not cascade into the children");
        let enforced: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(enforced, 1, "foreign keys are back on after migrating");
        conn.execute("DELETE FROM parent WHERE id = 1", []).unwrap();
        let children: i64 = conn
            .query_row("SELECT count(*) FROM child", [], |r| r.get(0))
            .unwrap();
        assert_eq!(children, 1, "and enforced again");
        let synchronous: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_failed_migration_leaves_the_file_as_it_was() {
        const BROKEN: &[&str] = &[MIGRATIONS[0], "CREATE TABLE half (x); THIS IS NOT SQL;"];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.sqlite3");
        drop(database(&MIGRATIONS[..1]).open(&path).unwrap());
        let error = database(BROKEN).open(&path).unwrap_err();
        assert!(
            matches!(
                error,
                OpenError::Sqlite {
                    migrating: true,
                    ..
                }
            ),
            "{error:?}"
        );
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let half: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'half'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!((version, half), (1, 0));
    }

    #[test]
    fn migrations_that_orphan_rows_are_rolled_back() {
        const ORPHANING: &[&str] = &[MIGRATIONS[0], "DELETE FROM parent;"];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.sqlite3");
        {
            let conn = database(&MIGRATIONS[..1]).open(&path).unwrap();
            conn.execute_batch(
                "INSERT INTO parent (id, name) VALUES (1, 'a'); INSERT INTO child VALUES (1, 'x');",
            )
            .unwrap();
        }
        let error = database(ORPHANING).open(&path).unwrap_err();
        assert!(
            matches!(
                error,
                OpenError::Sqlite {
                    migrating: true,
                    ..
                }
            ),
            "{error:?}"
        );
        let conn = database(&MIGRATIONS[..1]).open(&path).unwrap();
        let parents: i64 = conn
            .query_row("SELECT count(*) FROM parent", [], |r| r.get(0))
            .unwrap();
        assert_eq!(parents, 1);
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
                .unwrap();
        }
        assert!(matches!(
            database(MIGRATIONS).open(&path),
            Err(OpenError::TooNew {
                found: 99,
                known: 2,
                ..
            })
        ));
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 99);
    }
}
