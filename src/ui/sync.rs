//! One sync engine per account, as a subscription: it starts when the application has the account
//! and stops (its future dropped, the connection with it) when the account goes away. Each engine
//! first brings the account up to date, then waits in IDLE for new mail; what it reports drives the
//! status bar and refreshes the folders and the list.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use futures::Stream;
use iced::Subscription;
use tayori::account::Account;
use tayori::net::Net;
use tayori::sync::{AccountSync, SyncEvent};

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
        let progress = {
            let report = report.clone();
            Arc::new(move |event: SyncEvent| report(Update::Event(event)))
        };
        // Credentials → engine → a refused sign-in stops it and is recorded: the core's
        // `AccountSync`, which `tayori sync` uses too.
        let account_sync = match AccountSync::open(
            &key.context.paths,
            &key.context.settings,
            &net,
            key.account.clone(),
            progress,
        )
        .await
        {
            Ok(account_sync) => account_sync,
            Err(error) => return report(Update::CouldNotStart(error.to_string())),
        };
        // `watch` runs until the sign-in is refused; dropping this future (the subscription ended)
        // stops it too.
        let wake = Arc::new(tokio::sync::Notify::new());
        report(Update::Ready(Waker(wake.clone())));
        account_sync.watch(wake, std::future::pending()).await;
    };
    let runner = futures::stream::once(work).filter_map(|()| async { None });
    futures::stream::select(receiver, runner)
}
