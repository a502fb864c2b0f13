//! Access tokens for one account, in memory only, refreshed ahead of expiry. Everyone using the
//! account (sync, sending, the UI) shares one manager, so one refresh serves them all — with rotating
//! refresh tokens, two refreshes racing with the same token would revoke the whole grant.
//!
//! Other processes refresh the same sign-in too (the window and `tayori sync` from cron, a second
//! window started by a `mailto:` click): a refresh holds an OS file lock for the account
//! ([`RefreshLock`]) from reading the refresh token in the keyring to saving the rotated one, so no
//! process ever presents a token another has already rotated. A rotated token whose save fails is
//! kept and saved again, never dropped.
//!
//! A token goes only to the hosts its mail service vouches for ([`Audience`]): every use names the
//! host it is for.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use super::AuthError;
use super::audience::Audience;
use super::flow::{self, OAuthClient, Tokens};
use super::keyring_store::{self, SecretKind};
use crate::connections::{Contact, Detail, Purpose};
use crate::net::http::Http;
use crate::redact::Secret;

/// Refresh this long before the token expires, so a command never starts with a token about to die.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How long a refresh waits for another process's refresh of the same account to end.
const LOCK_WAIT: Duration = Duration::from_secs(90);

/// Saving a rotated refresh token: tries, and the pause before each retry.
const SAVE_RETRIES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(250),
    Duration::from_secs(1),
];

#[derive(Default)]
struct Cached {
    access: Option<Secret>,
    expires_at: Option<SystemTime>,
    /// A rotated refresh token the keyring refused to save: used (and saved again) next time.
    unsaved: Option<Secret>,
}

pub struct TokenManager {
    http: Http,
    client: OAuthClient,
    account: String,
    audience: Audience,
    /// The sign-in's own access token (the mail service's: IMAP, SMTP), and the refresh state.
    cached: Mutex<Cached>,
    /// Access tokens for other resources of the same sign-in (Microsoft Graph), by their scopes:
    /// at Microsoft each access token is for one resource, and the one refresh token redeems for
    /// each ([`TokenManager::resource_token`]).
    resources: Mutex<std::collections::HashMap<String, Cached>>,
    refreshes: AtomicUsize,
}

impl TokenManager {
    /// The manager for `account`'s sign-in with `client`, for an account whose IMAP server is
    /// `mail_host` (with the client, it decides where the tokens may go: [`Audience`]).
    pub fn new(
        http: Http,
        client: OAuthClient,
        account: impl Into<String>,
        mail_host: &str,
    ) -> Arc<Self> {
        Arc::new(Self {
            audience: Audience::new(&client, mail_host),
            http,
            client,
            account: account.into(),
            cached: Mutex::new(Cached::default()),
            resources: Mutex::new(std::collections::HashMap::new()),
            refreshes: AtomicUsize::new(0),
        })
    }

    /// Whether this is a Microsoft (Entra ID) sign-in, whose refresh token also redeems Microsoft
    /// Graph tokens.
    pub fn is_microsoft(&self) -> bool {
        self.audience == Audience::Provider(crate::discovery::KnownProvider::Microsoft)
    }

    /// The app registration this sign-in uses (for an admin-consent link).
    pub fn client(&self) -> &OAuthClient {
        &self.client
    }

    /// Refuses to hand out a token for `host` unless the token's mail service vouches for it.
    fn check_host(&self, host: &str) -> Result<(), AuthError> {
        if self.audience.admits(host) {
            return Ok(());
        }
        tracing::warn!(%host, audience = ?self.audience, "an access token was not sent to a host outside its mail service");
        Err(AuthError::ForeignHost {
            host: crate::redact::server_text(host, 120),
        })
    }

    /// Starts from the tokens of a fresh sign-in (and saves the refresh token in the keyring).
    pub async fn seed(&self, tokens: &Tokens) -> Result<(), AuthError> {
        if let Some(refresh) = &tokens.refresh_token {
            keyring_store::save(&self.account, SecretKind::RefreshToken, refresh).await?;
        }
        // A configured desktop secret is needed again at every refresh; the built-in one is in
        // the program already.
        if let Some(secret) = &self.client.client_secret
            && super::clients::built_in_secret(&self.client.client_id).is_none()
        {
            keyring_store::save(&self.account, SecretKind::ClientSecret, secret).await?;
        }
        let mut cached = self.cached.lock().await;
        cached.access = Some(tokens.access_token.clone());
        cached.expires_at = tokens.expires_at;
        Ok(())
    }

    /// How many refreshes this manager has made (for logs and tests).
    pub fn refresh_count(&self) -> usize {
        self.refreshes.load(Ordering::Relaxed)
    }

    fn fresh(cached: &Cached) -> Option<Secret> {
        let access = cached.access.as_ref()?;
        match cached.expires_at {
            Some(expires) if SystemTime::now() + REFRESH_MARGIN >= expires => None,
            _ => Some(access.clone()),
        }
    }

    /// A usable access token for `host`, refreshing first if the cached one is missing or about to
    /// expire; an error (and nothing else) for a host the token's mail service does not vouch for.
    pub async fn access_token(&self, host: &str) -> Result<Secret, AuthError> {
        self.check_host(host)?;
        let mut cached = self.cached.lock().await;
        if let Some(token) = Self::fresh(&cached) {
            return Ok(token);
        }
        self.refresh_locked(&mut cached).await
    }

    /// After `host` refused `rejected`: refresh once — unless someone else already replaced it.
    pub async fn refresh_after_rejection(
        &self,
        host: &str,
        rejected: &Secret,
    ) -> Result<Secret, AuthError> {
        self.check_host(host)?;
        let mut cached = self.cached.lock().await;
        if let Some(current) = &cached.access
            && current != rejected
        {
            return Ok(current.clone());
        }
        self.refresh_locked(&mut cached).await
    }

    /// A usable access token for the resource of `scopes` (e.g. Microsoft Graph's
    /// `https://graph.microsoft.com/Mail.Send`), redeemed with the account's one refresh token,
    /// for `host` (which the sign-in's provider must vouch for). Refreshes share the sign-in's
    /// lock, so a rotated refresh token is never presented twice.
    pub async fn resource_token(&self, host: &str, scopes: &[String]) -> Result<Secret, AuthError> {
        self.check_host(host)?;
        let key = scopes.join(" ");
        let mut cached = self.cached.lock().await;
        if let Some(token) = self.resources.lock().await.get(&key).and_then(Self::fresh) {
            return Ok(token);
        }
        let (access, expires_at) = self.refresh_with(&mut cached, Some(scopes)).await?;
        self.resources.lock().await.insert(
            key,
            Cached {
                access: Some(access.clone()),
                expires_at,
                unsaved: None,
            },
        );
        Ok(access)
    }

    /// After `host` refused `rejected` (a token for the resource of `scopes`): refresh once,
    /// unless it was replaced meanwhile.
    pub async fn resource_token_after_rejection(
        &self,
        host: &str,
        scopes: &[String],
        rejected: &Secret,
    ) -> Result<Secret, AuthError> {
        let key = scopes.join(" ");
        {
            let mut resources = self.resources.lock().await;
            match resources.get(&key).and_then(|c| c.access.clone()) {
                Some(current) if &current != rejected => return Ok(current),
                _ => {
                    resources.remove(&key);
                }
            }
        }
        self.resource_token(host, scopes).await
    }

    async fn refresh_locked(&self, cached: &mut Cached) -> Result<Secret, AuthError> {
        let (access, expires_at) = self.refresh_with(cached, None).await?;
        cached.access = Some(access.clone());
        cached.expires_at = expires_at;
        Ok(access)
    }

    /// One refresh (for the sign-in's own scopes, or for `scopes`), saving the rotated refresh
    /// token; answers the new access token and its expiry.
    async fn refresh_with(
        &self,
        cached: &mut Cached,
        scopes: Option<&[String]>,
    ) -> Result<(Secret, Option<SystemTime>), AuthError> {
        // One refresh of this sign-in at a time on this computer, whichever process makes it; the
        // refresh token is read only once the lock is held (another process may have just
        // rotated it).
        let _lock = RefreshLock::acquire(&self.account).await?;
        let refresh = match cached.unsaved.clone() {
            Some(unsaved) => unsaved,
            None => keyring_store::load(&self.account, SecretKind::RefreshToken)
                .await?
                .ok_or_else(|| AuthError::NeedsSignIn {
                    reason: "no saved sign-in for this account".into(),
                })?,
        };
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let mut client = self.client.clone();
        if client.client_secret.is_none() && client.is_google() {
            client.client_secret = keyring_store::load(&self.account, SecretKind::ClientSecret)
                .await
                .ok()
                .flatten();
        }
        if let Some(contact) = url::Url::parse(&client.token_endpoint)
            .ok()
            .and_then(|url| {
                Contact::for_url(&url, Purpose::TokenRefresh, Detail::TokenRenewal, false)
            })
        {
            crate::connections::note(&self.account, vec![contact]).await;
        }
        let tokens = flow::refresh_for(&self.http, &client, &refresh, scopes).await?;
        let rotated = tokens
            .refresh_token
            .clone()
            .filter(|rotated| rotated != &refresh)
            .or_else(|| cached.unsaved.take());
        if let Some(rotated) = rotated {
            // The old token is spent: the rotated one must reach the keyring before the lock is
            // released, or the next process would present the spent one.
            match self.save_refresh_token(&rotated).await {
                Ok(()) => cached.unsaved = None,
                Err(error) => {
                    tracing::error!(account = %self.account, %error, "the renewed sign-in could not be saved in the keyring; kept in memory and saved at the next renewal");
                    cached.unsaved = Some(rotated);
                }
            }
        }
        tracing::info!(account = %self.account, resource_scopes = scopes.is_some(), "access token refreshed");
        Ok((tokens.access_token, tokens.expires_at))
    }

    /// Saves a rotated refresh token, trying again after a moment: a keyring busy with another
    /// program's request must not cost the sign-in.
    async fn save_refresh_token(&self, token: &Secret) -> Result<(), AuthError> {
        let mut last = None;
        for pause in SAVE_RETRIES {
            tokio::time::sleep(pause).await;
            match keyring_store::save(&self.account, SecretKind::RefreshToken, token).await {
                Ok(()) => return Ok(()),
                Err(error) => last = Some(error),
            }
        }
        Err(last
            .map(AuthError::Keyring)
            .unwrap_or_else(|| AuthError::Network("the keyring did not answer".into())))
    }
}

/// An exclusive OS lock on one account's refresh (a file in the data folder's `locks`), held from
/// reading the refresh token to saving its successor. The OS releases it when the process ends,
/// however it ends.
struct RefreshLock {
    _file: std::fs::File,
}

impl RefreshLock {
    async fn acquire(account: &str) -> Result<RefreshLock, AuthError> {
        let path = lock_dir().join(format!("refresh-{}.lock", file_name_for(account)));
        let waited = tokio::task::spawn_blocking(move || {
            let unusable = |e: std::io::Error| {
                AuthError::Network(format!(
                    "the sign-in renewal lock {} could not be used: {e}",
                    path.display()
                ))
            };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(unusable)?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(unusable)?;
            let started = std::time::Instant::now();
            loop {
                match file.try_lock() {
                    Ok(()) => return Ok(RefreshLock { _file: file }),
                    Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                        std::thread::sleep(Duration::from_millis(25));
                    }
                    Err(std::fs::TryLockError::WouldBlock) => {
                        return Err(AuthError::Network(format!(
                            "another Tayori has been renewing this sign-in for over {} s",
                            LOCK_WAIT.as_secs()
                        )));
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(unusable(e)),
                }
            }
        })
        .await;
        waited.unwrap_or_else(|_| {
            Err(AuthError::Network(
                "waiting for the sign-in renewal lock failed".into(),
            ))
        })
    }
}

/// Where the renewal locks live: the data folder every Tayori process of this person uses (the
/// outbox's lock is there too).
fn lock_dir() -> std::path::PathBuf {
    crate::config::Paths::from_env()
        .map(|paths| paths.data_dir)
        .unwrap_or_else(|_| std::env::temp_dir().join("tayori"))
        .join("locks")
}

/// `account` as a file name: letters, digits and `@._-` kept, anything else `_`.
fn file_name_for(account: &str) -> String {
    account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
