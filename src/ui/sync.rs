//! One sync engine per account, as a subscription: it starts when the application has the account
//! and stops (its future dropped, the connection with it) when the account goes away. Each engine
//! first brings the account up to date, then waits in IDLE for new mail; what it reports drives the
//! status bar and refreshes the folders and the list.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use futures::Stream;
use iced::Subscription;
use tayori::account::Account;
use tayori::account::setup::{self, Net};
use tayori::store::Store;
use tayori::sync::{Engine, SyncEvent, SyncOptions};

use crate::ui::context::Context;

/// What identifies one account's engine: the address, and a counter bumped when it must start
/// again (signed in again, or the download range changed in the settings).
#[derive(Clone)]
pub struct Key {
    pub account: Account,
    pub context: Context,
    /// Bumped after the account signs in again: a new key starts a new engine.
    pub restart: u64,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "sync".hash(state);
        self.account.email.hash(state);
        self.restart.hash(state);
    }
}

/// The account's state as the status bar tells it.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// The engine is running; this wakes it (halloy's pattern: the stream first hands back its
    /// controller).
    Ready(Waker),
    Event(SyncEvent),
    /// The engine could not start (no saved sign-in, the store could not be opened).
    CouldNotStart(String),
}

/// Wakes an account's engine out of IDLE for a pass now: changes made in the window (read, flag,
/// delete, move) reach the server at once instead of at the next poll, and F5 checks for mail.
#[derive(Debug, Clone)]
pub struct Waker(Arc<tokio::sync::Notify>);

impl Waker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

impl PartialEq for Waker {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

pub fn subscription(key: Key) -> Subscription<(String, Update)> {
    Subscription::run_with(key, |key| run(key.clone()))
}

/// The engine's stream, as the subscription runs it (the tests feed it to the window by hand).
#[cfg(test)]
pub fn run_for_test(key: Key) -> impl Stream<Item = (String, Update)> + Send + 'static {
    run(key)
}

fn run(key: Key) -> impl Stream<Item = (String, Update)> + Send + 'static {
    use futures::StreamExt;
    let email = key.account.email.clone();
    // Unbounded: a progress event is never dropped, however busy the window is.
    let (sender, receiver) = futures::channel::mpsc::unbounded();
    let work = async move {
        let report = move |update: Update| {
            let _ = sender.unbounded_send((email.clone(), update));
        };
        let net = match Net::from_settings(&key.context.settings) {
            Ok(net) => net,
            Err(error) => return report(Update::CouldNotStart(error.to_string())),
        };
        let credentials = match setup::saved_credentials(&net, &key.account).await {
            Ok(credentials) => credentials,
            Err(error) => return report(Update::CouldNotStart(error.to_string())),
        };
        // A refused sign-in stops the engine: trying the same refused password or token again
        // every few minutes helps nobody (and can get the account locked). The window shows the
        // "sign in again" banner; signing in starts a new engine.
        let stop = Arc::new(tokio::sync::Notify::new());
        let refused = Arc::new(std::sync::Mutex::new(None::<String>));
        let progress = {
            let report = report.clone();
            let (stop, refused) = (stop.clone(), refused.clone());
            Arc::new(move |event: SyncEvent| {
                if let SyncEvent::NeedsSignIn { error } = &event {
                    *refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.clone());
                    stop.notify_one();
                }
                report(Update::Event(event))
            })
        };
        let engine = match Engine::open(
            Store::path_in(&key.context.paths),
            key.account.clone(),
            credentials,
            net.dns.clone(),
            SyncOptions::from_settings(&key.context.settings),
            progress,
        )
        .await
        {
            Ok(engine) => engine,
            Err(error) => return report(Update::CouldNotStart(error.to_string())),
        };
        // `watch` runs until `stop`; dropping this future (the subscription ended) stops it too.
        let wake = Arc::new(tokio::sync::Notify::new());
        report(Update::Ready(Waker(wake.clone())));
        engine.watch(wake, stop).await;
        let refused = refused.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(error) = refused {
            tracing::warn!(%error, "sync stopped: the server refused the sign-in; waiting for the person to sign in again");
            // Kept in the account list, so the next start shows the banner instead of trying again.
            let (paths, email) = (key.context.paths.clone(), key.account.email.clone());
            let saved = tokio::task::spawn_blocking(move || {
                tayori::account::Accounts::new(&paths).set_needs_sign_in(&email, Some(error))
            })
            .await;
            if let Ok(Err(e)) = saved {
                tracing::warn!(error = %e, "could not mark the account as needing sign-in");
            }
        }
    };
    let runner = futures::stream::once(work).filter_map(|()| async { None });
    futures::stream::select(receiver, runner)
}
