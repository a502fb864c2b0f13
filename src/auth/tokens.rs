//! Access tokens for one account, in memory only, refreshed ahead of expiry. Everyone using the
//! account (sync, sending, the UI) shares one manager, so one refresh serves them all — with rotating
//! refresh tokens, two refreshes racing with the same token would revoke the whole grant.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;

use super::AuthError;
use super::flow::{self, OAuthClient, Tokens};
use super::keyring_store::{self, SecretKind};
use crate::connections::{Contact, Detail, Purpose};
use crate::net::http::Http;
use crate::redact::Secret;

/// Refresh this long before the token expires, so a command never starts with a token about to die.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Cached {
    access: Option<Secret>,
    expires_at: Option<SystemTime>,
}

pub struct TokenManager {
    http: Http,
    client: OAuthClient,
    account: String,
    cached: Mutex<Cached>,
    refreshes: AtomicUsize,
}

impl TokenManager {
    pub fn new(http: Http, client: OAuthClient, account: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            http,
            client,
            account: account.into(),
            cached: Mutex::new(Cached::default()),
            refreshes: AtomicUsize::new(0),
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

    /// A usable access token, refreshing first if the cached one is missing or about to expire.
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = Self::fresh(&cached) {
            return Ok(token);
        }
        self.refresh_locked(&mut cached).await
    }

    /// After a server refused `rejected`: refresh once — unless someone else already replaced it.
    pub async fn refresh_after_rejection(&self, rejected: &Secret) -> Result<Secret, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(current) = &cached.access
            && current != rejected
        {
            return Ok(current.clone());
        }
        self.refresh_locked(&mut cached).await
    }

    async fn refresh_locked(&self, cached: &mut Cached) -> Result<Secret, AuthError> {
        let refresh = keyring_store::load(&self.account, SecretKind::RefreshToken)
            .await?
            .ok_or_else(|| AuthError::NeedsSignIn {
                reason: "no saved sign-in for this account".into(),
            })?;
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
        let tokens = flow::refresh(&self.http, &client, &refresh).await?;
        if let Some(rotated) = &tokens.refresh_token
            && rotated != &refresh
        {
            keyring_store::save(&self.account, SecretKind::RefreshToken, rotated).await?;
        }
        tracing::info!(account = %self.account, "access token refreshed");
        cached.access = Some(tokens.access_token.clone());
        cached.expires_at = tokens.expires_at;
        Ok(tokens.access_token)
    }
}
