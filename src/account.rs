//! Configured accounts: servers, sign-in method and state — never a secret (those live only in the
//! keyring). Kept in `accounts.toml` in the config folder, written atomically.

pub mod setup;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::Paths;
use crate::discovery::{Endpoint, KnownProvider};
use crate::error::ErrorKind;
// Kept at their old paths for the window and the command line, which name them through `account`.
pub use crate::clock::now_seconds;
pub use crate::server::Server;

/// How an account signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum AccountAuth {
    #[serde(rename = "oauth2")]
    OAuth2 {
        client_id: String,
        issuer: Option<String>,
        authorization_endpoint: String,
        token_endpoint: String,
        #[serde(default)]
        iss_required: bool,
        scopes: Vec<String>,
    },
    /// A password or app password, kept in the keyring.
    Password,
}

impl From<&Endpoint> for Server {
    fn from(e: &Endpoint) -> Self {
        Self {
            host: e.host.clone(),
            port: e.port,
            security: e.security,
            username: e.username.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub email: String,
    pub display_name: Option<String>,
    pub provider: Option<KnownProvider>,
    pub imap: Server,
    pub smtp: Server,
    pub auth: AccountAuth,
    /// Seconds since 1970 of the last successful sign-in (shown to explain a later "sign in again").
    pub last_sign_in: Option<u64>,
    /// Why the person must sign in again, if they must. Mail on disk stays readable meanwhile.
    pub needs_sign_in: Option<String>,
    /// Who puts sent mail into the Sent folder; unset means "decide by provider" (see
    /// `crate::outbox::sent_copy_for`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_copy: Option<SentCopy>,
    /// For a shared mailbox (代表アドレス): the signed-in member whose own sign-in opens it. IMAP
    /// signs in as the shared address with the member's token (Exchange Online: XOAUTH2
    /// `user=<shared address>`), SMTP as the member, sending as the shared address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_via: Option<String>,
    /// Set when Exchange Online refused SMTP AUTH for this mailbox (`5.7.139`, `5.7.57`): the
    /// organisation switched SMTP sending off, and Tayori sends through Microsoft Graph instead
    /// (`crate::graph`). The admin policy can also pin the way (`transport`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_via_graph: Option<GraphSending>,
    /// Set when Exchange Online refused IMAP for this mailbox the way it does when IMAP is turned
    /// off for it (`ImapEnabled` false): Tayori reads through Microsoft Graph instead
    /// (`crate::sync`'s Graph engine). The admin policy can also pin the way (`transport`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_via_graph: Option<GraphSending>,
    /// Set when an account that read through Microsoft Graph because IMAP was off for its mailbox
    /// found IMAP on again and reads through IMAP again (told once, like the turn to Graph).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_via_imap_again: Option<ImapAgain>,
}

/// When an account returned to IMAP after reading through Microsoft Graph, and whether the
/// person has been told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapAgain {
    /// Seconds since 1970 when IMAP accepted the mailbox again.
    pub since: u64,
    #[serde(default)]
    pub told: bool,
}

/// How long an account read through Graph because IMAP was off waits before it asks IMAP again
/// whether the administrator turned it back on: a day (one sign-in attempt a day is nothing to
/// Exchange, and an admin's change is not a matter of minutes for the person).
pub const IMAP_CHECK_INTERVAL: u64 = 86_400;

/// Why and since when an account sends through Microsoft Graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphSending {
    /// The SMTP server's refusal that showed SMTP sending is off (its words, bounded).
    pub because: String,
    /// Seconds since 1970 when Tayori learned it.
    pub since: u64,
    /// Whether the person has been told (they are told once).
    #[serde(default)]
    pub told: bool,
    /// For reading: seconds since 1970 when IMAP was last asked whether it is on again for the
    /// mailbox (unset: not since `since`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_checked: Option<u64>,
}

impl GraphSending {
    /// Learned now, from the server's refusal `because` (kept bounded), not yet told.
    fn because(because: &str) -> GraphSending {
        GraphSending {
            because: crate::redact::server_text(because, crate::redact::SERVER_TEXT_CHARS),
            since: now_seconds(),
            told: false,
            imap_checked: None,
        }
    }
}

/// Which way an account's mail goes out, and why (shown in the account's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendingWay {
    /// Through its SMTP server.
    Smtp,
    /// Through Microsoft Graph: Exchange Online refused SMTP AUTH for the mailbox.
    GraphSmtpOff,
    /// Through Microsoft Graph: the administrator's policy pins it.
    GraphPolicy,
}

/// The way `account` sends (the outbox's worker decides the same way).
pub fn sending_way(account: &Account) -> SendingWay {
    use crate::discovery::policy::{PolicyTransport, transport_for};
    let microsoft = account.oauth_client().is_some_and(|client| {
        crate::auth::audience::Audience::new(&client, &account.imap.host)
            == crate::auth::audience::Audience::Provider(crate::discovery::KnownProvider::Microsoft)
    });
    if !microsoft {
        return SendingWay::Smtp;
    }
    match transport_for(&account.email) {
        Some(PolicyTransport::Graph) => SendingWay::GraphPolicy,
        Some(PolicyTransport::Imap) => SendingWay::Smtp,
        None if account.send_via_graph.is_some() => SendingWay::GraphSmtpOff,
        None => SendingWay::Smtp,
    }
}

impl SendingWay {
    /// "Sends through …", in the person's language.
    pub fn describe(self, account: &Account, lang: crate::i18n::Lang) -> String {
        use crate::i18n::{Text, fill};
        match self {
            SendingWay::Smtp => fill(
                lang.text(Text::SendsViaSmtp),
                &[(
                    "server",
                    &format!("{}:{}", account.smtp.host, account.smtp.port),
                )],
            ),
            SendingWay::GraphSmtpOff => lang.text(Text::SendsViaGraphSmtpOff).to_owned(),
            SendingWay::GraphPolicy => lang.text(Text::SendsViaGraphPolicy).to_owned(),
        }
    }
}

/// Which way an account's mail is read, and why (shown in the account's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingWay {
    /// Through its IMAP server.
    Imap,
    /// Through Microsoft Graph: Exchange Online has IMAP turned off for the mailbox.
    GraphImapOff,
    /// Through Microsoft Graph: the administrator's policy pins it.
    GraphPolicy,
}

/// Whether `account` is a Microsoft 365 (or Outlook.com) account signed in with OAuth.
pub fn is_microsoft(account: &Account) -> bool {
    account.oauth_client().is_some_and(|client| {
        crate::auth::audience::Audience::new(&client, &account.imap.host)
            == crate::auth::audience::Audience::Provider(crate::discovery::KnownProvider::Microsoft)
    })
}

/// The way `account` is read (the sync engine decides the same way).
pub fn reading_way(account: &Account) -> ReadingWay {
    use crate::discovery::policy::{PolicyTransport, transport_for};
    if !is_microsoft(account) {
        return ReadingWay::Imap;
    }
    match transport_for(&account.email) {
        Some(PolicyTransport::Graph) => ReadingWay::GraphPolicy,
        Some(PolicyTransport::Imap) => ReadingWay::Imap,
        None if account.read_via_graph.is_some() => ReadingWay::GraphImapOff,
        None => ReadingWay::Imap,
    }
}

/// When (seconds since 1970) an account read through Graph because IMAP was off for its mailbox
/// next asks IMAP whether the administrator turned it on again: a day after it last asked (or
/// after it turned to Graph). `None`: it does not ask (read through IMAP, or the policy pins
/// Graph, which no answer from IMAP changes).
pub fn imap_check_at(account: &Account) -> Option<u64> {
    if reading_way(account) != ReadingWay::GraphImapOff {
        return None;
    }
    let graph = account.read_via_graph.as_ref()?;
    Some(graph.imap_checked.unwrap_or(graph.since) + IMAP_CHECK_INTERVAL)
}

/// Whether `account`, read through IMAP now, turns to Microsoft Graph should Exchange Online
/// refuse IMAP for its mailbox: a Microsoft 365 account the policy does not pin to IMAP.
pub fn may_turn_to_graph(account: &Account) -> bool {
    use crate::discovery::policy::{PolicyTransport, transport_for};
    is_microsoft(account)
        && reading_way(account) == ReadingWay::Imap
        && transport_for(&account.email) != Some(PolicyTransport::Imap)
}

impl ReadingWay {
    pub fn through_graph(self) -> bool {
        self != ReadingWay::Imap
    }

    /// "Reads through …", in the person's language.
    pub fn describe(self, account: &Account, lang: crate::i18n::Lang) -> String {
        use crate::i18n::{Text, fill};
        match self {
            ReadingWay::Imap => fill(
                lang.text(Text::ReadsViaImap),
                &[(
                    "server",
                    &format!("{}:{}", account.imap.host, account.imap.port),
                )],
            ),
            ReadingWay::GraphImapOff => lang.text(Text::ReadsViaGraphImapOff).to_owned(),
            ReadingWay::GraphPolicy => lang.text(Text::ReadsViaGraphPolicy).to_owned(),
        }
    }
}

/// Who files a copy of each sent message in the Sent folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentCopy {
    /// Tayori appends the copy (IMAP APPEND) after the server accepted the message.
    Append,
    /// The server files submitted mail itself (Microsoft 365, Gmail): a copy from Tayori would be
    /// a duplicate.
    Server,
}

#[derive(Debug, Error)]
pub enum AccountsError {
    #[error("the account list {path} could not be read: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error(
        "the account list {path} could not be saved: {reason}. Check that the disk is not full."
    )]
    Write { path: PathBuf, reason: String },
    #[error("there is no account {0}; `tayori account list` shows the configured ones")]
    NotFound(String),
}

impl AccountsError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AccountsError::Read { .. } | AccountsError::Write { .. } => ErrorKind::Save,
            AccountsError::NotFound(_) => ErrorKind::Other,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct AccountsFile<A = Vec<Account>> {
    #[serde(default, rename = "account")]
    accounts: A,
}

/// The account list on disk.
#[derive(Debug, Clone)]
pub struct Accounts {
    path: PathBuf,
}

impl Accounts {
    pub fn new(paths: &Paths) -> Self {
        Self {
            path: paths.config_dir.join("accounts.toml"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn list(&self) -> Result<Vec<Account>, AccountsError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => toml::from_str::<AccountsFile>(&text)
                .map(|f| f.accounts)
                .map_err(|e| AccountsError::Read {
                    path: self.path.clone(),
                    reason: e.message().to_owned(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(AccountsError::Read {
                path: self.path.clone(),
                reason: e.to_string(),
            }),
        }
    }

    pub fn get(&self, email: &str) -> Result<Account, AccountsError> {
        self.list()?
            .into_iter()
            .find(|a| a.email.eq_ignore_ascii_case(email))
            .ok_or_else(|| AccountsError::NotFound(email.to_owned()))
    }

    /// Adds or replaces the account with the same address.
    pub fn upsert(&self, account: Account) -> Result<(), AccountsError> {
        self.change(|accounts| {
            accounts.retain(|a| !a.email.eq_ignore_ascii_case(&account.email));
            accounts.push(account);
            Ok(())
        })
    }

    pub fn remove(&self, email: &str) -> Result<Account, AccountsError> {
        self.change(|accounts| {
            let index = accounts
                .iter()
                .position(|a| a.email.eq_ignore_ascii_case(email))
                .ok_or_else(|| AccountsError::NotFound(email.to_owned()))?;
            Ok(accounts.remove(index))
        })
    }

    /// Records that the account sends through Microsoft Graph because SMTP AUTH is off
    /// (`because`: the server's refusal), unless that is already known.
    pub fn set_send_via_graph(&self, email: &str, because: &str) -> Result<(), AccountsError> {
        self.change_account(email, |account| {
            if account.send_via_graph.is_none() {
                account.send_via_graph = Some(GraphSending::because(because));
            }
            Ok(())
        })
    }

    /// Records that the account reads through Microsoft Graph because Exchange Online has IMAP
    /// turned off for the mailbox (`because`: the server's refusal), unless that is already known.
    pub fn set_read_via_graph(&self, email: &str, because: &str) -> Result<(), AccountsError> {
        self.change_account(email, |account| {
            // (IMAP off again after it came back: this notice replaces that one)
            account.read_via_imap_again = None;
            if account.read_via_graph.is_none() {
                account.read_via_graph = Some(GraphSending::because(because));
            }
            Ok(())
        })
    }

    /// Records that IMAP was asked (at `when`) whether it is on again for the mailbox of an account
    /// read through Graph because IMAP was off.
    pub fn set_imap_checked(&self, email: &str, when: u64) -> Result<(), AccountsError> {
        self.change_account(email, |account| {
            if let Some(graph) = account.read_via_graph.as_mut() {
                graph.imap_checked = Some(when);
            }
            Ok(())
        })
    }

    /// Asks for IMAP to be checked at the next sync ("Check again" in the account's settings,
    /// `tayori account check-imap`), if the account reads through Graph because IMAP was off.
    /// Answers whether it does.
    pub fn check_imap_soon(&self, email: &str) -> Result<bool, AccountsError> {
        self.change_account(email, |account| {
            Ok(match account.read_via_graph.as_mut() {
                Some(graph) => {
                    graph.imap_checked = Some(0);
                    true
                }
                None => false,
            })
        })
    }

    /// Records that IMAP accepted the mailbox again: the account reads through IMAP from now on
    /// (the person is told once).
    pub fn set_read_via_imap_again(&self, email: &str) -> Result<(), AccountsError> {
        self.change_account(email, |account| {
            if account.read_via_graph.take().is_some() {
                account.read_via_imap_again = Some(ImapAgain {
                    since: now_seconds(),
                    told: false,
                });
            }
            Ok(())
        })
    }

    /// The accounts not yet told that they read through IMAP again, marked told.
    pub fn take_imap_again_notices(&self) -> Result<Vec<String>, AccountsError> {
        self.take_untold(|account| account.read_via_imap_again.as_mut().map(|a| &mut a.told))
    }

    /// The accounts whose person has not yet been told that they send through Microsoft 365,
    /// marked told: each person hears it once.
    pub fn take_graph_notices(&self) -> Result<Vec<String>, AccountsError> {
        self.take_untold(|account| account.send_via_graph.as_mut().map(|g| &mut g.told))
    }

    /// The accounts whose person has not yet been told that they read through Microsoft 365
    /// because IMAP is off for their mailbox, marked told: each person hears it once.
    pub fn take_read_notices(&self) -> Result<Vec<String>, AccountsError> {
        self.take_untold(|account| account.read_via_graph.as_mut().map(|g| &mut g.told))
    }

    /// The accounts whose `way` through Microsoft 365 (reading or sending) is recorded but not yet
    /// told, marked told in the same change.
    fn take_untold(
        &self,
        told: impl Fn(&mut Account) -> Option<&mut bool>,
    ) -> Result<Vec<String>, AccountsError> {
        let mut untold = Vec::new();
        self.change(|accounts| {
            for account in accounts.iter_mut() {
                if let Some(told) = told(account)
                    && !*told
                {
                    *told = true;
                    untold.push(account.email.clone());
                }
            }
            Ok(())
        })?;
        Ok(untold)
    }

    /// Records that the account must sign in again (or, with `None`, that it signed in).
    pub fn set_needs_sign_in(
        &self,
        email: &str,
        reason: Option<String>,
    ) -> Result<(), AccountsError> {
        self.change_account(email, |account| {
            if reason.is_none() {
                account.last_sign_in = Some(now_seconds());
            }
            account.needs_sign_in = reason;
            Ok(())
        })
    }

    /// [`Accounts::change`] for the one account `email` (case-insensitive); `NotFound` if the list
    /// has none.
    fn change_account<T>(
        &self,
        email: &str,
        edit: impl FnOnce(&mut Account) -> Result<T, AccountsError>,
    ) -> Result<T, AccountsError> {
        self.change(|accounts| {
            let account = accounts
                .iter_mut()
                .find(|a| a.email.eq_ignore_ascii_case(email))
                .ok_or_else(|| AccountsError::NotFound(email.to_owned()))?;
            edit(account)
        })
    }

    /// Reads, changes and writes the list under an OS lock (`accounts.toml.lock`): the window and
    /// `tayori sync` from cron both record sign-in states, and neither may undo the other's change
    /// or trip over its half-renamed file.
    fn change<T>(
        &self,
        edit: impl FnOnce(&mut Vec<Account>) -> Result<T, AccountsError>,
    ) -> Result<T, AccountsError> {
        let error = |e: &dyn std::fmt::Display| AccountsError::Write {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| error(&e))?;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path.with_extension("toml.lock"))
            .map_err(|e| error(&e))?;
        lock.lock().map_err(|e| error(&e))?;
        let mut accounts = self.list()?;
        let before = toml::to_string_pretty(&AccountsFile {
            accounts: &accounts,
        });
        let outcome = edit(&mut accounts)?;
        let after = toml::to_string_pretty(&AccountsFile {
            accounts: &accounts,
        })
        .map_err(|e| error(&e))?;
        // A change that changed nothing (a notice already told, a state already recorded) leaves
        // the file alone: a sync asks several such questions each pass.
        if before.ok().as_ref() != Some(&after) {
            self.write(after)?;
        }
        Ok(outcome)
    }

    /// Writes a temporary file and renames it over the old one, so a crash or a full disk never
    /// leaves a half-written list.
    fn write(&self, text: String) -> Result<(), AccountsError> {
        let error = |e: &dyn std::fmt::Display| AccountsError::Write {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        // Its own name per process: another process's temporary file is never written over.
        let temporary = self
            .path
            .with_extension(format!("toml.{}.tmp", std::process::id()));
        std::fs::write(&temporary, text).map_err(|e| error(&e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| error(&e))?;
        }
        std::fs::rename(&temporary, &self.path).map_err(|e| error(&e))
    }
}

impl Account {
    /// The OAuth client the account was set up with; `None` for password accounts.
    pub fn oauth_client(&self) -> Option<crate::auth::flow::OAuthClient> {
        setup::saved_oauth_client(&self.auth)
    }

    /// The account's saved credentials: a token manager on the keyring's refresh token (nothing
    /// is read until a token is needed), or the keyring's app password.
    pub async fn credentials(
        &self,
        http: &crate::net::http::Http,
    ) -> Result<crate::auth::Credentials, crate::auth::AuthError> {
        use crate::auth::keyring_store::{self, SecretKind};
        // A shared mailbox uses its member's sign-in (the refresh token is filed under the member).
        let signed_in_as = self
            .shared_via
            .clone()
            .unwrap_or_else(|| self.email.clone());
        Ok(match self.oauth_client() {
            Some(client) => {
                crate::auth::Credentials::OAuth(crate::auth::tokens::TokenManager::new(
                    http.clone(),
                    client,
                    signed_in_as,
                    &self.imap.host,
                ))
            }
            None => crate::auth::Credentials::Password(
                keyring_store::load(&self.email, SecretKind::AppPassword)
                    .await?
                    .ok_or_else(|| crate::auth::AuthError::NeedsSignIn {
                        reason: format!(
                            "no saved password for {} — run `tayori account reauth {}`",
                            self.email, self.email
                        ),
                    })?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::Security;

    fn sample(email: &str) -> Account {
        let server = Server {
            host: "mail.example.test".into(),
            port: 993,
            security: Security::Tls,
            username: email.into(),
        };
        Account {
            email: email.into(),
            display_name: Some("山田 太郎".into()),
            provider: Some(KnownProvider::Microsoft),
            imap: server.clone(),
            smtp: Server {
                port: 587,
                security: Security::StartTls,
                ..server
            },
            auth: AccountAuth::OAuth2 {
                client_id: "client".into(),
                issuer: Some("https://idp.test".into()),
                authorization_endpoint: "https://idp.test/auth".into(),
                token_endpoint: "https://idp.test/token".into(),
                iss_required: true,
                scopes: vec!["mail".into()],
            },
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        }
    }

    #[test]
    fn accounts_round_trip_and_replace_by_address() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        let accounts = Accounts::new(&paths);
        assert!(accounts.list().unwrap().is_empty());
        accounts.upsert(sample("a@example.test")).unwrap();
        accounts.upsert(sample("b@example.test")).unwrap();
        accounts.upsert(sample("A@example.test")).unwrap();
        let listed = accounts.list().unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(
            accounts.get("b@example.test").unwrap(),
            sample("b@example.test")
        );
        accounts
            .set_needs_sign_in("b@example.test", Some("AADSTS700082".into()))
            .unwrap();
        assert_eq!(
            accounts
                .get("b@example.test")
                .unwrap()
                .needs_sign_in
                .as_deref(),
            Some("AADSTS700082")
        );
        accounts.set_needs_sign_in("b@example.test", None).unwrap();
        let b = accounts.get("b@example.test").unwrap();
        assert!(b.needs_sign_in.is_none() && b.last_sign_in.is_some());
        accounts.remove("a@example.test").unwrap();
        assert!(matches!(
            accounts.get("a@example.test"),
            Err(AccountsError::NotFound(_))
        ));
        let leftovers: Vec<_> = std::fs::read_dir(accounts.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    /// A sync asks several questions that usually change nothing (notices already told); those
    /// leave the file as it is, and a real change still writes it.
    #[test]
    fn a_change_that_changes_nothing_leaves_the_file_alone() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        let accounts = Accounts::new(&paths);
        accounts.upsert(sample("a@example.test")).unwrap();
        // A comment is lost whenever the list is written again: it shows whether it was.
        let file = paths.config_dir.join("accounts.toml");
        let marked = std::fs::read_to_string(&file).unwrap() + "# not written since\n";
        std::fs::write(&file, &marked).unwrap();
        assert!(accounts.take_graph_notices().unwrap().is_empty());
        assert!(accounts.take_read_notices().unwrap().is_empty());
        assert!(accounts.take_imap_again_notices().unwrap().is_empty());
        accounts.set_imap_checked("a@example.test", 1).unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            marked,
            "written again though nothing changed"
        );
        accounts
            .set_needs_sign_in("a@example.test", Some("expired".into()))
            .unwrap();
        assert!(
            !std::fs::read_to_string(&file)
                .unwrap()
                .contains("# not written since")
        );
        assert_eq!(
            accounts
                .get("a@example.test")
                .unwrap()
                .needs_sign_in
                .as_deref(),
            Some("expired")
        );
    }

    /// Two writers at once (the window and `tayori sync`, here threads with their own locks and
    /// files): every change lands, none is undone by the other's stale copy.
    #[test]
    fn changes_made_at_once_all_land() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let accounts = Accounts::new(&paths);
        let writers: Vec<_> = (0..8)
            .map(|n| {
                let accounts = accounts.clone();
                std::thread::spawn(move || {
                    for round in 0..5 {
                        accounts
                            .upsert(sample(&format!("w{n}-{round}@example.test")))
                            .unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        assert_eq!(accounts.list().unwrap().len(), 40);
    }

    #[test]
    fn a_corrupt_list_is_an_error_not_an_empty_list() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        std::fs::write(
            paths.config_dir.join("accounts.toml"),
            "[[account]]\nemail = 5",
        )
        .unwrap();
        assert!(matches!(
            Accounts::new(&paths).list(),
            Err(AccountsError::Read { .. })
        ));
    }

    /// The way back to IMAP in the account list: the check recorded; IMAP on again clears the
    /// turn to Graph and is told once; "Check again" makes the check due; IMAP off once more
    /// replaces the older notice.
    #[test]
    fn imap_on_again_is_recorded_and_told_once() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        let accounts = Accounts::new(&paths);
        let email = "t@contoso.test";
        accounts.upsert(sample(email)).unwrap();
        accounts
            .set_read_via_graph(email, "AUTHENTICATE failed.")
            .unwrap();
        assert_eq!(
            accounts.take_read_notices().unwrap(),
            vec![email.to_owned()]
        );
        accounts.set_imap_checked(email, 1_000).unwrap();
        assert_eq!(
            accounts
                .get(email)
                .unwrap()
                .read_via_graph
                .unwrap()
                .imap_checked,
            Some(1_000)
        );
        assert!(accounts.check_imap_soon(email).unwrap());
        assert_eq!(
            accounts
                .get(email)
                .unwrap()
                .read_via_graph
                .unwrap()
                .imap_checked,
            Some(0),
            "due at once"
        );
        accounts.set_read_via_imap_again(email).unwrap();
        let account = accounts.get(email).unwrap();
        assert!(account.read_via_graph.is_none());
        assert!(account.read_via_imap_again.is_some());
        assert!(
            !accounts.check_imap_soon(email).unwrap(),
            "nothing to check"
        );
        assert_eq!(
            accounts.take_imap_again_notices().unwrap(),
            vec![email.to_owned()]
        );
        assert!(
            accounts.take_imap_again_notices().unwrap().is_empty(),
            "once"
        );
        accounts
            .set_read_via_graph(email, "AUTHENTICATE failed.")
            .unwrap();
        let account = accounts.get(email).unwrap();
        assert!(account.read_via_imap_again.is_none() && account.read_via_graph.is_some());
    }
}
