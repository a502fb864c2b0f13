//! Every connection Tayori makes for an account, kept as a short record that answers "where did my
//! address go?": which host, on which port, why (discovery, sign-in, token refresh, IMAP, SMTP, a
//! remote image the person chose to load), when first and last, how often, and whether the
//! address itself was sent there.
//!
//! What is never in it: secrets, message contents, full URLs (a query string can carry the
//! address). One row per account, host, port and purpose, so the record stays short however long
//! the account syncs; past [`MAX_PER_ACCOUNT`] rows the least recently used go.
//!
//! Kept in its own small SQLite file (`<data>/connections.sqlite3`, owner-only), apart from the
//! mail store: it is written from the window, the command line and the sync engine alike, and
//! removing an account deletes its rows.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::config::Paths;
use crate::sqlite::{Database, Durability};

/// Rows kept per account; the least recently used go first.
pub const MAX_PER_ACCOUNT: usize = 100;

/// Why Tayori connected to a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Finding the account's servers (autoconfig, ISPDB, AutoDiscover, server probes).
    Discovery,
    /// The sign-in service: its metadata, the code exchange, device authorization.
    SignIn,
    /// Renewing an access token with the saved refresh token.
    TokenRefresh,
    /// Withdrawing the refresh token when the account is removed (RFC 7009).
    Revocation,
    Imap,
    Smtp,
    /// A remote image in a message, loaded after the person allowed it.
    RemoteImage,
}

impl Purpose {
    pub const ALL: [Purpose; 7] = [
        Purpose::Discovery,
        Purpose::SignIn,
        Purpose::TokenRefresh,
        Purpose::Revocation,
        Purpose::Imap,
        Purpose::Smtp,
        Purpose::RemoteImage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Discovery => "discovery",
            Purpose::SignIn => "sign_in",
            Purpose::TokenRefresh => "token_refresh",
            Purpose::Revocation => "revocation",
            Purpose::Imap => "imap",
            Purpose::Smtp => "smtp",
            Purpose::RemoteImage => "remote_image",
        }
    }

    /// What the person reads for it.
    pub fn label(self) -> crate::i18n::Text {
        use crate::i18n::Text;
        match self {
            Purpose::Discovery => Text::PurposeDiscovery,
            Purpose::SignIn => Text::PurposeSignIn,
            Purpose::TokenRefresh => Text::PurposeTokenRefresh,
            Purpose::Revocation => Text::PurposeRevocation,
            Purpose::Imap => Text::PurposeImap,
            Purpose::Smtp => Text::PurposeSmtp,
            Purpose::RemoteImage => Text::PurposeRemoteImage,
        }
    }

    fn parse(text: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// One contact as it happens: the host, why, and whether the address went with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contact {
    pub host: String,
    pub port: u16,
    pub purpose: Purpose,
    /// What for, in a few words ("autoconfig", "Microsoft AutoDiscover v2") — never a URL.
    pub detail: String,
    /// Whether the account's address was sent to this host (a query, a body, a login name).
    pub address_sent: bool,
}

impl Contact {
    pub fn new(
        host: impl Into<String>,
        port: u16,
        purpose: Purpose,
        detail: impl Into<String>,
        address_sent: bool,
    ) -> Self {
        Self {
            host: host.into().trim_end_matches('.').to_ascii_lowercase(),
            port,
            purpose,
            detail: detail.into(),
            address_sent,
        }
    }

    /// The host and port of `url` (its scheme's port when none is written).
    pub fn for_url(
        url: &url::Url,
        purpose: Purpose,
        detail: impl Into<String>,
        address_sent: bool,
    ) -> Option<Self> {
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        Some(Self::new(host, port, purpose, detail, address_sent))
    }
}

/// One row of the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub host: String,
    pub port: u16,
    pub purpose: Purpose,
    pub detail: String,
    /// Whether the address was sent to this host at least once.
    pub address_sent: bool,
    /// Seconds since 1970.
    pub first_at: u64,
    pub last_at: u64,
    pub count: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("the connections record {path} could not be used: {reason}")]
pub struct ConnectionsError {
    pub path: PathBuf,
    pub reason: String,
}

const MIGRATIONS: &[&str] = &["CREATE TABLE connections (
        account TEXT NOT NULL,
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        purpose TEXT NOT NULL,
        detail TEXT NOT NULL,
        address_sent INTEGER NOT NULL,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (account, host, port, purpose)
    ) WITHOUT ROWID;
    CREATE INDEX connections_recent ON connections (account, last_at);"];

const DATABASE: Database = Database {
    name: "connections record",
    migrations: MIGRATIONS,
    durability: Durability::Normal,
    owner_only: true,
    configure: crate::sqlite::nothing_more,
};

/// The record on disk. Opened per use: writes are rare (a connection, not a message).
#[derive(Debug, Clone)]
pub struct ConnectionLog {
    path: PathBuf,
}

impl ConnectionLog {
    pub fn new(paths: &Paths) -> Self {
        Self::at(&paths.data_dir.join("connections.sqlite3"))
    }

    pub fn at(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, reason: impl std::fmt::Display) -> ConnectionsError {
        ConnectionsError {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }

    fn open(&self) -> Result<rusqlite::Connection, ConnectionsError> {
        DATABASE
            .open(&self.path)
            .map_err(|e| self.error(format!("{e:?}")))
    }

    /// Adds contacts for `account` at time `at` (seconds since 1970).
    pub fn record_at(
        &self,
        account: &str,
        contacts: &[Contact],
        at: u64,
    ) -> Result<(), ConnectionsError> {
        if contacts.is_empty() {
            return Ok(());
        }
        let account = account.trim().to_ascii_lowercase();
        let mut conn = self.open()?;
        let tx = conn.transaction().map_err(|e| self.error(e))?;
        for contact in contacts {
            tx.execute(
                "INSERT INTO connections
                   (account, host, port, purpose, detail, address_sent, first_at, last_at, count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1)
                 ON CONFLICT (account, host, port, purpose) DO UPDATE SET
                   detail = excluded.detail,
                   address_sent = MAX(address_sent, excluded.address_sent),
                   last_at = MAX(last_at, excluded.last_at),
                   count = count + 1",
                rusqlite::params![
                    account,
                    contact.host,
                    contact.port,
                    contact.purpose.as_str(),
                    contact.detail,
                    contact.address_sent,
                    at as i64,
                ],
            )
            .map_err(|e| self.error(e))?;
        }
        tx.execute(
            "DELETE FROM connections WHERE account = ?1 AND (host, port, purpose) NOT IN (
               SELECT host, port, purpose FROM connections WHERE account = ?1
               ORDER BY last_at DESC, count DESC LIMIT ?2)",
            rusqlite::params![account, MAX_PER_ACCOUNT as i64],
        )
        .map_err(|e| self.error(e))?;
        tx.commit().map_err(|e| self.error(e))
    }

    /// Adds contacts for `account`, now.
    pub fn record(&self, account: &str, contacts: &[Contact]) -> Result<(), ConnectionsError> {
        self.record_at(account, contacts, crate::clock::now_seconds())
    }

    /// The record for `account`, most recent first.
    pub fn list(&self, account: &str) -> Result<Vec<Connection>, ConnectionsError> {
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        let account = account.trim().to_ascii_lowercase();
        let conn = self.open()?;
        let mut statement = conn
            .prepare(
                "SELECT host, port, purpose, detail, address_sent, first_at, last_at, count
                 FROM connections WHERE account = ?1 ORDER BY last_at DESC, host, port",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([account], |row| {
                let purpose: String = row.get(2)?;
                Ok((
                    purpose,
                    Connection {
                        host: row.get(0)?,
                        port: row.get(1)?,
                        purpose: Purpose::Discovery,
                        detail: row.get(3)?,
                        address_sent: row.get(4)?,
                        first_at: row.get::<_, i64>(5)?.max(0) as u64,
                        last_at: row.get::<_, i64>(6)?.max(0) as u64,
                        count: row.get::<_, i64>(7)?.max(0) as u64,
                    },
                ))
            })
            .map_err(|e| self.error(e))?;
        let mut list = Vec::new();
        for row in rows {
            let (purpose, mut connection) = row.map_err(|e| self.error(e))?;
            // A purpose this version does not know (written by a newer one) is skipped, not fatal.
            if let Some(purpose) = Purpose::parse(&purpose) {
                connection.purpose = purpose;
                list.push(connection);
            }
        }
        Ok(list)
    }

    /// Deletes the record of `account`; returns how many rows went.
    pub fn forget(&self, account: &str) -> Result<usize, ConnectionsError> {
        if !self.path.exists() {
            return Ok(0);
        }
        let account = account.trim().to_ascii_lowercase();
        let conn = self.open()?;
        conn.execute("DELETE FROM connections WHERE account = ?1", [account])
            .map_err(|e| self.error(e))
    }
}

/// `2026-12-06 08:01 UTC` for seconds since 1970 (the command line has no time-zone library).
pub fn utc_text(seconds: u64) -> String {
    format!(
        "{} UTC",
        crate::clock::utc_minute_text(i64::try_from(seconds).unwrap_or(i64::MAX))
    )
}

/// The record this process writes to, set once at start by the program (the window or the
/// command line) for its profile. Library use without it (unit tests, benches) records nothing.
static PROCESS_LOG: OnceLock<ConnectionLog> = OnceLock::new();

/// Makes the profile's record the one [`note`] writes to.
pub fn keep_in(paths: &Paths) {
    let _ = PROCESS_LOG.set(ConnectionLog::new(paths));
}

/// Records contacts made for `account`, on a blocking thread (never the UI's or the reactor's). A
/// failure to record never stops the work that made the contacts: it is logged (naming hosts and
/// a path, no secret).
pub async fn note(account: &str, contacts: Vec<Contact>) {
    let Some(log) = PROCESS_LOG.get().cloned() else {
        return;
    };
    let account = account.to_owned();
    match tokio::task::spawn_blocking(move || log.record(&account, &contacts)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!("{error}"),
        Err(error) => tracing::warn!("recording connections: {error}"),
    }
}

/// The contact of a mail server login: the login name is the address for most accounts.
pub fn mail_server(
    host: &str,
    port: u16,
    purpose: Purpose,
    detail: &str,
    username: &str,
    account: &str,
) -> Contact {
    let sends_address = username.eq_ignore_ascii_case(account) || username.contains('@');
    Contact::new(host, port, purpose, detail, sends_address)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> (tempfile::TempDir, ConnectionLog) {
        let dir = tempfile::tempdir().unwrap();
        let log = ConnectionLog::at(&dir.path().join("connections.sqlite3"));
        (dir, log)
    }

    #[test]
    fn contacts_are_merged_per_host_port_and_purpose() {
        let (_dir, log) = log();
        let imap = Contact::new("IMAP.Example.test.", 993, Purpose::Imap, "IMAP", true);
        log.record_at("Taro@Example.test", std::slice::from_ref(&imap), 100)
            .unwrap();
        log.record_at("taro@example.test", &[imap], 200).unwrap();
        let ispdb = Contact::new("ispdb.test", 443, Purpose::Discovery, "ISPDB", false);
        log.record_at("taro@example.test", &[ispdb], 150).unwrap();
        let list = log.list("taro@example.test").unwrap();
        assert_eq!(list.len(), 2, "{list:?}");
        assert_eq!(
            (
                list[0].host.as_str(),
                list[0].count,
                list[0].first_at,
                list[0].last_at
            ),
            ("imap.example.test", 2, 100, 200)
        );
        assert!(list[0].address_sent);
        assert_eq!(
            (list[1].purpose, list[1].address_sent),
            (Purpose::Discovery, false)
        );
        assert!(log.list("someone@else.test").unwrap().is_empty());
    }

    #[test]
    fn the_record_stays_short() {
        let (_dir, log) = log();
        for i in 0..(MAX_PER_ACCOUNT + 30) {
            let contact = Contact::new(
                format!("img{i}.example.test"),
                443,
                Purpose::RemoteImage,
                "image",
                false,
            );
            log.record_at("a@example.test", &[contact], i as u64)
                .unwrap();
        }
        let list = log.list("a@example.test").unwrap();
        assert_eq!(list.len(), MAX_PER_ACCOUNT);
        assert_eq!(
            list[0].host,
            format!("img{}.example.test", MAX_PER_ACCOUNT + 29),
            "the most recent stay"
        );
    }

    #[test]
    fn forgetting_an_account_removes_only_its_rows() {
        let (_dir, log) = log();
        let contact = Contact::new("smtp.example.test", 465, Purpose::Smtp, "SMTP", true);
        log.record_at("a@example.test", std::slice::from_ref(&contact), 1)
            .unwrap();
        log.record_at("b@example.test", &[contact], 1).unwrap();
        assert_eq!(log.forget("A@example.test").unwrap(), 1);
        assert!(log.list("a@example.test").unwrap().is_empty());
        assert_eq!(log.list("b@example.test").unwrap().len(), 1);
    }

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(utc_text(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_text(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_text(1_796_544_060), "2026-12-06 08:01 UTC");
    }

    #[test]
    fn a_missing_file_is_an_empty_record() {
        let (_dir, log) = log();
        assert!(log.list("a@example.test").unwrap().is_empty());
        assert_eq!(log.forget("a@example.test").unwrap(), 0);
        assert!(!log.path().exists(), "reading creates nothing");
    }
}
