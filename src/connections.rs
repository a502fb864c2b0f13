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

/// What exactly a contact was for, within its purpose. Stored as a language-neutral code
/// (`as_str`); the words a person reads come from the catalog at display time (`label`), so the
/// record reads in the window's language, whichever language wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// The domain's own autoconfig document, over HTTPS.
    Autoconfig,
    /// The domain's own autoconfig document over plain HTTP (legacy; never given the address).
    AutoconfigHttp,
    /// The ISPDB's entry for the address's domain (by domain only).
    Ispdb,
    /// The ISPDB's entry for the domain of the domain's mail server (MX).
    IspdbForMx,
    /// Exchange AutoDiscover v1 at the domain's own hosts.
    AutodiscoverV1,
    /// Microsoft's central AutoDiscover v2 service.
    AutodiscoverV2Central,
    /// The domain's AutoDiscover host over plain HTTP, asked only where it redirects.
    AutodiscoverHttpRedirect,
    /// Whether an IMAP server answers, without signing in.
    ImapProbe,
    /// Whether an SMTP server answers, without signing in.
    SmtpProbe,
    /// The sign-in service's metadata (its OpenID configuration).
    SignInMetadata,
    /// The sign-in page, opened in the person's browser (given the address as `login_hint`).
    SignInPage,
    /// Exchanging the browser's code for tokens.
    CodeExchange,
    /// Asking for a code to sign in with on another device (RFC 8628), and waiting for it.
    DeviceCode,
    /// Registering Tayori with a sign-in service that lets apps register themselves (RFC 7591).
    ClientRegistration,
    /// Signing in to the IMAP server once, to check the account works.
    ImapCheck,
    /// Signing in to the SMTP server once, to check the account works.
    SmtpCheck,
    /// Receiving mail.
    ImapSync,
    /// Putting a copy of sent mail in the Sent folder.
    ImapSentCopy,
    /// Sending mail.
    SmtpSending,
    /// Renewing the access token with the saved refresh token.
    TokenRenewal,
    /// Withdrawing the refresh token at the provider (RFC 7009).
    Revocation,
    /// An image in a message, loaded after the person allowed it.
    RemoteImage,
}

impl Detail {
    pub const ALL: [Detail; 22] = [
        Detail::Autoconfig,
        Detail::AutoconfigHttp,
        Detail::Ispdb,
        Detail::IspdbForMx,
        Detail::AutodiscoverV1,
        Detail::AutodiscoverV2Central,
        Detail::AutodiscoverHttpRedirect,
        Detail::ImapProbe,
        Detail::SmtpProbe,
        Detail::SignInMetadata,
        Detail::SignInPage,
        Detail::CodeExchange,
        Detail::DeviceCode,
        Detail::ClientRegistration,
        Detail::ImapCheck,
        Detail::SmtpCheck,
        Detail::ImapSync,
        Detail::ImapSentCopy,
        Detail::SmtpSending,
        Detail::TokenRenewal,
        Detail::Revocation,
        Detail::RemoteImage,
    ];

    /// The code kept on disk and printed by `--json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Autoconfig => "autoconfig",
            Detail::AutoconfigHttp => "autoconfig_http",
            Detail::Ispdb => "ispdb",
            Detail::IspdbForMx => "ispdb_for_mx",
            Detail::AutodiscoverV1 => "autodiscover_v1",
            Detail::AutodiscoverV2Central => "autodiscover_v2_central",
            Detail::AutodiscoverHttpRedirect => "autodiscover_http_redirect",
            Detail::ImapProbe => "imap_probe",
            Detail::SmtpProbe => "smtp_probe",
            Detail::SignInMetadata => "sign_in_metadata",
            Detail::SignInPage => "sign_in_page",
            Detail::CodeExchange => "code_exchange",
            Detail::DeviceCode => "device_code",
            Detail::ClientRegistration => "client_registration",
            Detail::ImapCheck => "imap_check",
            Detail::SmtpCheck => "smtp_check",
            Detail::ImapSync => "imap_sync",
            Detail::ImapSentCopy => "imap_sent_copy",
            Detail::SmtpSending => "smtp_sending",
            Detail::TokenRenewal => "token_renewal",
            Detail::Revocation => "revocation",
            Detail::RemoteImage => "remote_image",
        }
    }

    /// What the person reads for it, in their language.
    pub fn label(self) -> crate::i18n::Text {
        use crate::i18n::Text;
        match self {
            Detail::Autoconfig => Text::DetailAutoconfig,
            Detail::AutoconfigHttp => Text::DetailAutoconfigHttp,
            Detail::Ispdb => Text::DetailIspdb,
            Detail::IspdbForMx => Text::DetailIspdbForMx,
            Detail::AutodiscoverV1 => Text::DetailAutodiscoverV1,
            Detail::AutodiscoverV2Central => Text::DetailAutodiscoverV2Central,
            Detail::AutodiscoverHttpRedirect => Text::DetailAutodiscoverHttpRedirect,
            Detail::ImapProbe => Text::DetailImapProbe,
            Detail::SmtpProbe => Text::DetailSmtpProbe,
            Detail::SignInMetadata => Text::DetailSignInMetadata,
            Detail::SignInPage => Text::DetailSignInPage,
            Detail::CodeExchange => Text::DetailCodeExchange,
            Detail::DeviceCode => Text::DetailDeviceCode,
            Detail::ClientRegistration => Text::DetailClientRegistration,
            Detail::ImapCheck => Text::DetailImapCheck,
            Detail::SmtpCheck => Text::DetailSmtpCheck,
            Detail::ImapSync => Text::DetailImapSync,
            Detail::ImapSentCopy => Text::DetailImapSentCopy,
            Detail::SmtpSending => Text::DetailSmtpSending,
            Detail::TokenRenewal => Text::DetailTokenRenewal,
            Detail::Revocation => Text::DetailRevocation,
            Detail::RemoteImage => Text::DetailRemoteImage,
        }
    }

    /// A stored detail: a code, or the English words the first version of the record kept
    /// (before the record stored codes), so an old record reads in the person's language too.
    fn parse(stored: &str) -> Option<Detail> {
        Detail::ALL
            .into_iter()
            .find(|d| d.as_str() == stored)
            .or_else(|| {
                LEGACY_WORDS
                    .iter()
                    .find(|(words, _)| *words == stored)
                    .map(|(_, detail)| *detail)
            })
    }
}

/// The English words the record's first version stored as its detail, and what they stood for.
/// The migration rewrites them as codes; `Detail::parse` still reads them (a record copied in from
/// an older profile).
const LEGACY_WORDS: [(&str, Detail); 17] = [
    ("autoconfig (HTTPS)", Detail::Autoconfig),
    ("autoconfig (plain HTTP, legacy)", Detail::AutoconfigHttp),
    ("ISPDB", Detail::Ispdb),
    ("MX records", Detail::IspdbForMx),
    ("Exchange AutoDiscover v1", Detail::AutodiscoverV1),
    (
        "Microsoft AutoDiscover v2 (central)",
        Detail::AutodiscoverV2Central,
    ),
    (
        "Exchange AutoDiscover (plain HTTP, redirect only)",
        Detail::AutodiscoverHttpRedirect,
    ),
    ("IMAP server check (no sign-in)", Detail::ImapProbe),
    ("SMTP server check (no sign-in)", Detail::SmtpProbe),
    ("sign-in page, in your browser", Detail::SignInPage),
    ("sign-in: code exchange", Detail::CodeExchange),
    ("IMAP account check", Detail::ImapCheck),
    ("SMTP account check", Detail::SmtpCheck),
    ("IMAP sync", Detail::ImapSync),
    ("IMAP (copy of sent mail)", Detail::ImapSentCopy),
    ("SMTP (sending)", Detail::SmtpSending),
    ("access token renewal", Detail::TokenRenewal),
];

/// One contact as it happens: the host, why, and whether the address went with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contact {
    pub host: String,
    pub port: u16,
    pub purpose: Purpose,
    /// What for, as a code the display turns into words — never a URL.
    pub detail: Detail,
    /// Whether the account's address was sent to this host (a query, a body, a login name).
    pub address_sent: bool,
}

impl Contact {
    pub fn new(
        host: impl Into<String>,
        port: u16,
        purpose: Purpose,
        detail: Detail,
        address_sent: bool,
    ) -> Self {
        Self {
            host: host.into().trim_end_matches('.').to_ascii_lowercase(),
            port,
            purpose,
            detail,
            address_sent,
        }
    }

    /// The host and port of `url` (its scheme's port when none is written).
    pub fn for_url(
        url: &url::Url,
        purpose: Purpose,
        detail: Detail,
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
    /// What for; `None` for a code this version does not know (written by a newer one).
    pub detail: Option<Detail>,
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

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE connections (
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
    CREATE INDEX connections_recent ON connections (account, last_at);",
    // The first version stored the detail as English words; the record now keeps codes and the
    // display says them in the person's language (see `LEGACY_WORDS`, the same table).
    "UPDATE connections SET detail = CASE detail
        WHEN 'autoconfig (HTTPS)' THEN 'autoconfig'
        WHEN 'autoconfig (plain HTTP, legacy)' THEN 'autoconfig_http'
        WHEN 'ISPDB' THEN 'ispdb'
        WHEN 'MX records' THEN 'ispdb_for_mx'
        WHEN 'Exchange AutoDiscover v1' THEN 'autodiscover_v1'
        WHEN 'Microsoft AutoDiscover v2 (central)' THEN 'autodiscover_v2_central'
        WHEN 'Exchange AutoDiscover (plain HTTP, redirect only)' THEN 'autodiscover_http_redirect'
        WHEN 'IMAP server check (no sign-in)' THEN 'imap_probe'
        WHEN 'SMTP server check (no sign-in)' THEN 'smtp_probe'
        WHEN 'sign-in page, in your browser' THEN 'sign_in_page'
        WHEN 'sign-in: code exchange' THEN 'code_exchange'
        WHEN 'IMAP account check' THEN 'imap_check'
        WHEN 'SMTP account check' THEN 'smtp_check'
        WHEN 'IMAP sync' THEN 'imap_sync'
        WHEN 'IMAP (copy of sent mail)' THEN 'imap_sent_copy'
        WHEN 'SMTP (sending)' THEN 'smtp_sending'
        WHEN 'access token renewal' THEN 'token_renewal'
        ELSE detail END;",
];

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
                   -- One row per host and purpose: it names what the address went there for,
                   -- if it ever went (the sign-in page, not the code exchange on the same host).
                   detail = CASE WHEN excluded.address_sent >= address_sent
                                 THEN excluded.detail ELSE detail END,
                   address_sent = MAX(address_sent, excluded.address_sent),
                   last_at = MAX(last_at, excluded.last_at),
                   count = count + 1",
                rusqlite::params![
                    account,
                    contact.host,
                    contact.port,
                    contact.purpose.as_str(),
                    contact.detail.as_str(),
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
                let detail: String = row.get(3)?;
                Ok((
                    purpose,
                    Connection {
                        host: row.get(0)?,
                        port: row.get(1)?,
                        purpose: Purpose::Discovery,
                        detail: Detail::parse(&detail),
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
    detail: Detail,
    username: &str,
    account: &str,
) -> Contact {
    let sends_address = username.eq_ignore_ascii_case(account) || username.contains('@');
    Contact::new(host, port, purpose, detail, sends_address)
}

/// Whether a URL carries the address: in its path or query, plain, percent-encoded or as a form
/// value (`+` for a space, any byte escaped).
pub fn url_carries_address(url: &url::Url, email: &str) -> bool {
    let email = email.trim().to_ascii_lowercase();
    if email.is_empty() {
        return false;
    }
    let raw = url.as_str().to_ascii_lowercase();
    if raw.contains(&email) || raw.contains(&email.replace('@', "%40")) {
        return true;
    }
    let path: String = url
        .path_segments()
        .into_iter()
        .flatten()
        .map(|segment| {
            url::form_urlencoded::parse(segment.as_bytes())
                .map(|(k, v)| format!("{k}{v}"))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/");
    let query: String = url
        .query_pairs()
        .map(|(k, v)| format!("{k}={v}&"))
        .collect();
    path.to_ascii_lowercase().contains(&email) || query.to_ascii_lowercase().contains(&email)
}

/// The contacts of remote images a person chose to load in a message of `account`: one per image
/// host, marked as having received the address where an image's URL carries it (a tracking
/// pixel's usual trick).
///
/// This is the hook for the reader: it loads no remote image yet (issue 16), so nothing calls it
/// from the window today. When it does, it passes the URLs it fetched after the person's consent
/// to [`note_remote_images`], and the record shows them under "Remote image".
pub fn remote_image_contacts<'a>(
    account: &str,
    urls: impl IntoIterator<Item = &'a url::Url>,
) -> Vec<Contact> {
    let mut contacts: Vec<Contact> = Vec::new();
    for url in urls {
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let carries = url_carries_address(url, account);
        let Some(contact) =
            Contact::for_url(url, Purpose::RemoteImage, Detail::RemoteImage, carries)
        else {
            continue;
        };
        match contacts
            .iter_mut()
            .find(|c| (c.host.as_str(), c.port) == (contact.host.as_str(), contact.port))
        {
            Some(known) => known.address_sent |= contact.address_sent,
            None => contacts.push(contact),
        }
    }
    contacts
}

/// Records the remote images loaded, after the person's consent, for a message of `account`
/// (see [`remote_image_contacts`]).
pub async fn note_remote_images(account: &str, urls: &[url::Url]) {
    note(account, remote_image_contacts(account, urls)).await;
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
        let imap = Contact::new(
            "IMAP.Example.test.",
            993,
            Purpose::Imap,
            Detail::ImapSync,
            true,
        );
        log.record_at("Taro@Example.test", std::slice::from_ref(&imap), 100)
            .unwrap();
        log.record_at("taro@example.test", &[imap], 200).unwrap();
        let ispdb = Contact::new("ispdb.test", 443, Purpose::Discovery, Detail::Ispdb, false);
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
                Detail::RemoteImage,
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
        let contact = Contact::new(
            "smtp.example.test",
            465,
            Purpose::Smtp,
            Detail::SmtpSending,
            true,
        );
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
    #[test]
    fn the_record_keeps_codes_and_reads_english_of_the_first_version() {
        let (_dir, log) = log();
        // A record as the first version wrote it: schema 1, English words as the detail.
        {
            let conn = rusqlite::Connection::open(log.path()).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            for (host, detail) in [
                (
                    "autodiscover-s.outlook.com",
                    "Microsoft AutoDiscover v2 (central)",
                ),
                ("imap.example.test", "IMAP sync"),
                ("odd.example.test", "words no version wrote"),
            ] {
                conn.execute(
                    "INSERT INTO connections VALUES ('a@example.test', ?1, 443, 'discovery', ?2, 1, 5, 5, 1)",
                    [host, detail],
                )
                .unwrap();
            }
        }
        let list = log.list("a@example.test").unwrap();
        let detail_of = |host: &str| list.iter().find(|c| c.host == host).unwrap().detail;
        assert_eq!(
            detail_of("autodiscover-s.outlook.com"),
            Some(Detail::AutodiscoverV2Central)
        );
        assert_eq!(detail_of("imap.example.test"), Some(Detail::ImapSync));
        assert_eq!(
            detail_of("odd.example.test"),
            None,
            "shown without a detail"
        );
        // On disk: codes now, no English.
        let conn = rusqlite::Connection::open(log.path()).unwrap();
        let stored: Vec<String> = conn
            .prepare("SELECT detail FROM connections ORDER BY host")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            stored,
            [
                "autodiscover_v2_central",
                "imap_sync",
                "words no version wrote"
            ]
        );
        // A new contact is stored as its code.
        log.record_at(
            "a@example.test",
            &[Contact::new(
                "smtp.example.test",
                465,
                Purpose::Smtp,
                Detail::SmtpSending,
                true,
            )],
            6,
        )
        .unwrap();
        let code: String = conn
            .query_row(
                "SELECT detail FROM connections WHERE host = 'smtp.example.test'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(code, "smtp_sending");
    }

    #[test]
    fn every_legacy_word_and_code_reads_back() {
        for detail in Detail::ALL {
            assert_eq!(Detail::parse(detail.as_str()), Some(detail));
        }
        for (words, detail) in LEGACY_WORDS {
            assert_eq!(Detail::parse(words), Some(detail), "{words}");
            assert!(
                MIGRATIONS[1].contains(&format!("WHEN '{words}' THEN '{}'", detail.as_str())),
                "the migration rewrites {words:?}"
            );
        }
    }

    #[test]
    fn the_details_read_in_japanese_without_english_words() {
        use crate::i18n::Lang;
        for detail in Detail::ALL {
            let en = Lang::En.text(detail.label());
            let ja = Lang::Ja.text(detail.label());
            assert_ne!(en, ja, "{detail:?}");
            // Protocol names (IMAP, SMTP, ISPDB, AutoDiscover, HTTP…) stay as they are written;
            // no English word of three letters or more in lower case is left.
            let english_word = ja
                .split(|c: char| !c.is_ascii_alphabetic())
                .find(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_lowercase()));
            assert!(english_word.is_none(), "{detail:?}: {ja}");
        }
    }

    #[test]
    fn remote_images_are_recorded_per_host_and_tracking_addresses_are_marked() {
        let urls: Vec<url::Url> = [
            "https://images.shop.test/banner.png",
            "https://images.shop.test/logo.png",
            "https://track.shop.test/open.gif?r=Taro%40Example.test",
            "https://pixel.test/o/taro%40example.test.gif",
            "cid:part1@example.test",
        ]
        .iter()
        .map(|u| url::Url::parse(u).unwrap())
        .collect();
        let contacts = remote_image_contacts("taro@example.test", &urls);
        let summary: Vec<(&str, bool)> = contacts
            .iter()
            .map(|c| (c.host.as_str(), c.address_sent))
            .collect();
        assert_eq!(
            summary,
            [
                ("images.shop.test", false),
                ("track.shop.test", true),
                ("pixel.test", true)
            ]
        );
        assert!(
            contacts
                .iter()
                .all(|c| c.purpose == Purpose::RemoteImage && c.detail == Detail::RemoteImage)
        );
    }

    #[test]
    fn an_address_is_found_in_any_spelling_of_a_url() {
        let carries =
            |u: &str| url_carries_address(&url::Url::parse(u).unwrap(), "a.b+c@example.test");
        assert!(carries("https://h.test/x?Email=a.b%2Bc%40example.test"));
        assert!(carries("https://h.test/a.b+c@example.test"));
        assert!(carries("https://h.test/x?login_hint=A.B%2BC@Example.Test"));
        assert!(!carries("https://h.test/x?domain=example.test"));
    }
    #[test]
    fn a_row_names_what_the_address_went_there_for() {
        let (_dir, log) = log();
        let host = "login.example.test";
        let page = Contact::new(host, 443, Purpose::SignIn, Detail::SignInPage, true);
        let exchange = Contact::new(host, 443, Purpose::SignIn, Detail::CodeExchange, false);
        log.record_at("a@example.test", &[page, exchange.clone()], 1)
            .unwrap();
        log.record_at("a@example.test", &[exchange], 2).unwrap();
        let list = log.list("a@example.test").unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].detail, list[0].address_sent, list[0].count),
            (Some(Detail::SignInPage), true, 3)
        );
    }
}
