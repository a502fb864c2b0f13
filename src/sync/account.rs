//! Running one account's sync, the way the window and `tayori sync` both do it: the account's saved
//! credentials, its engine opened on the store, and a refused sign-in noticed.
//!
//! A refused sign-in stops the engine — trying the same refused password or token again every few
//! minutes helps nobody (and can get the account locked) — and is recorded in the account list, so
//! the next start shows "sign in again" instead of trying. Signing in again starts a new
//! [`AccountSync`]. (halloy's `data::stream::run` plays the same part for its IRC connections: the
//! core opens and drives the connection, the front ends only wrap it.)

use std::future::Future;
use std::sync::{Arc, Mutex};

use thiserror::Error;
use tokio::sync::Notify;

use super::{Engine, Progress, Summary, SyncError, SyncEvent, SyncOptions};
use crate::account::{Account, Accounts};
use crate::auth::AuthError;
use crate::config::{Paths, Settings};
use crate::error::ErrorKind;
use crate::net::Net;
use crate::store::Store;

/// Why an account's sync could not start.
#[derive(Debug, Error)]
pub enum OpenError {
    /// No saved sign-in for the account (or the keyring could not be read).
    #[error(transparent)]
    Credentials(#[from] AuthError),
    /// The mail store could not be opened.
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl OpenError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            OpenError::Credentials(error) => error.kind(),
            OpenError::Sync(error) => error.kind(),
        }
    }
}

/// One account's sync engine, opened and ready to be driven.
pub struct AccountSync {
    engine: Engine,
    accounts: Accounts,
    /// The server's words when it refused the sign-in during [`AccountSync::watch`].
    refused: Arc<Mutex<Option<String>>>,
    /// Stops the engine's watch once the sign-in was refused.
    stop: Arc<Notify>,
}

impl AccountSync {
    /// Opens `account`'s engine on the profile's store with the account's saved credentials and the
    /// sync settings. `progress` receives every [`SyncEvent`], from any thread.
    pub async fn open(
        paths: &Paths,
        settings: &Settings,
        net: &Net,
        account: Account,
        progress: Progress,
    ) -> Result<AccountSync, OpenError> {
        let credentials = account.credentials(&net.http).await?;
        let stop = Arc::new(Notify::new());
        let refused = Arc::new(Mutex::new(None::<String>));
        let noticing: Progress = {
            let (stop, refused) = (stop.clone(), refused.clone());
            let (accounts, email) = (Accounts::new(paths), account.email.clone());
            Arc::new(move |event: SyncEvent| {
                if let SyncEvent::NeedsSignIn { error } = &event {
                    *refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.clone());
                    stop.notify_one();
                }
                // Recorded at once (a small file), so the next start reads through Graph too and
                // the settings say why.
                if let SyncEvent::ReadingThroughGraph { because } = &event
                    && let Err(error) = accounts.set_read_via_graph(&email, because)
                {
                    tracing::warn!(%error, "could not record that the account reads through Microsoft Graph");
                }
                let recorded = match &event {
                    SyncEvent::ImapChecked => {
                        accounts.set_imap_checked(&email, crate::account::now_seconds())
                    }
                    SyncEvent::ReadingThroughImapAgain => accounts.set_read_via_imap_again(&email),
                    _ => Ok(()),
                };
                if let Err(error) = recorded {
                    tracing::warn!(%error, "could not record whether IMAP is on again for the mailbox");
                }
                progress(event)
            })
        };
        let reading = crate::account::reading_way(&account);
        let imap_check_at = crate::account::imap_check_at(&account);
        let graph = match &credentials {
            // A Microsoft 365 account reads through Graph when IMAP is off for the mailbox or
            // the policy says so; one read through IMAP keeps Graph ready for the day Exchange
            // refuses IMAP (an administrator turned it off for the mailbox).
            crate::auth::Credentials::OAuth(tokens)
                if reading.through_graph() || crate::account::is_microsoft(&account) =>
            {
                let shared = account.shared_via.as_ref().map(|_| account.email.as_str());
                Some(crate::graph::Graph::reader(
                    net.http.clone(),
                    tokens.clone(),
                    shared,
                ))
            }
            _ => None,
        };
        let mut engine = Engine::open(
            Store::path_in(paths),
            account,
            credentials,
            net.dns.clone(),
            SyncOptions::from_settings(settings),
            noticing,
        )
        .await?;
        match graph {
            // IMAP was off for the mailbox: Graph, and IMAP asked once a day whether it is on again
            Some(graph) if imap_check_at.is_some() => {
                tracing::info!(
                    "reading the account through Microsoft Graph: IMAP was off for the mailbox"
                );
                engine.read_through_graph_while_imap_off(graph, imap_check_at.unwrap_or_default());
            }
            Some(graph) if reading.through_graph() => {
                tracing::info!(why = ?reading, "reading the account through Microsoft Graph");
                engine.read_through_graph(graph);
            }
            // The policy may pin IMAP; then IMAP it is, whatever Exchange answers.
            Some(graph) if crate::account::may_turn_to_graph(engine.account()) => {
                engine.read_through_graph_if_imap_off(graph)
            }
            _ => {}
        }
        Ok(AccountSync {
            engine,
            accounts: Accounts::new(paths),
            refused,
            stop,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn account(&self) -> &Account {
        self.engine.account()
    }

    /// Keeps the account in step ([`Engine::watch`]: a full pass, then IDLE, a pass whenever `wake`
    /// is notified) until `until` completes or the server refuses the sign-in. A refusal is
    /// recorded in the account list before this returns. Dropping the future stops the engine too.
    pub async fn watch(&self, wake: Arc<Notify>, until: impl Future<Output = ()>) {
        tokio::select! {
            () = self.engine.watch(wake, self.stop.clone()) => {}
            () = until => {}
        }
        let refused = self
            .refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(error) = refused {
            tracing::warn!(%error, "sync stopped: the server refused the sign-in; waiting for the person to sign in again");
            self.record_sign_in(Some(error)).await;
        }
    }

    /// One complete pass ([`Engine::sync_once`]). Its outcome is recorded in the account list: a
    /// pass that signed in clears "sign in again"; a refused sign-in sets it.
    pub async fn sync_once(&self) -> Result<Summary, SyncError> {
        let result = self.engine.sync_once().await;
        match &result {
            Ok(_) => self.record_sign_in(None).await,
            Err(error) if error.needs_sign_in() => {
                self.record_sign_in(Some(error.to_string())).await
            }
            Err(_) => {}
        }
        result
    }

    /// Records in the account list that the account must sign in again (`Some(reason)`) or that
    /// it signed in (`None`). A failure to write is logged: the sync itself is not affected.
    async fn record_sign_in(&self, refusal: Option<String>) {
        let (accounts, email) = (self.accounts.clone(), self.account().email.clone());
        let saved =
            tokio::task::spawn_blocking(move || accounts.set_needs_sign_in(&email, refusal)).await;
        if let Ok(Err(e)) = saved {
            tracing::warn!(error = %e, "could not record the account's sign-in state");
        }
    }
}
