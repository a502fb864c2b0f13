//! What runs whatever screen is shown: one sync engine per saved account and the outbox worker, as
//! subscriptions of the application (halloy's pattern: connections belong to the application, not
//! to a screen). "Add account" shows the wizard in place of the main window, and the settings open
//! over it; neither stops an engine or the worker.
//!
//! The application owns this and lends it to the main window, which reads it (the status bar, the
//! "needs sign-in" banners, the outbox panel) and wakes the engines after a change made there.

use std::collections::{BTreeMap, HashMap};

use iced::Subscription;
use tayori::account::{Account, Accounts};
use tayori::config::Paths;
use tayori::sync::{RefusedFolder, SyncEvent};

use super::context::Context;
use super::{outbox, sync};

/// The saved accounts and the work that runs for them.
#[derive(Debug, Default)]
pub struct Background {
    /// The saved accounts, as last read from the account list, with their "needs sign-in" marks.
    accounts: Vec<Account>,
    /// Why the account list could not be read, if it could not.
    problem: Option<String>,
    /// Bumped when an account's engine must start afresh (signed in again, a new download range).
    restarts: HashMap<String, u64>,
    /// Each running engine's waker.
    wakers: HashMap<String, sync::Waker>,
    /// What each account's engine said last.
    sync: BTreeMap<String, sync::Update>,
    /// The folders the server refused to open in each account's last pass (the others were
    /// synced): kept past the events that follow, until a pass opens them.
    refused: HashMap<String, Vec<RefusedFolder>>,
    /// What waits in the outbox, and the panel that shows it.
    pub outbox: outbox::View,
}

/// What the engines and the worker report.
#[derive(Debug, Clone)]
pub enum Report {
    Sync(String, sync::Update),
    Outbox(outbox::Update),
}

impl Background {
    pub fn new(accounts: Vec<Account>, problem: Option<String>) -> Self {
        Background {
            accounts,
            problem,
            ..Background::default()
        }
    }

    /// The account list as saved. A list that cannot be read is not an empty one: the problem is
    /// kept, to be shown.
    pub fn read(paths: &Paths) -> Self {
        let (accounts, problem) = read_accounts(paths);
        Self::new(accounts, problem)
    }

    /// The account list was read again (an account was added or removed). The engines of the
    /// accounts still there go on; what the removed ones said goes with them.
    pub fn set_accounts(&mut self, accounts: Vec<Account>, problem: Option<String>) {
        let kept = |email: &String| accounts.iter().any(|a| &a.email == email);
        self.restarts.retain(|email, _| kept(email));
        self.wakers.retain(|email, _| kept(email));
        self.sync.retain(|email, _| kept(email));
        self.refused.retain(|email, _| kept(email));
        self.accounts = accounts;
        self.problem = problem;
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// What each account's engine said last, by address.
    pub fn sync(&self) -> &BTreeMap<String, sync::Update> {
        &self.sync
    }

    /// The folders of `email` the server refused to open in its engine's last pass.
    pub fn refused(&self, email: &str) -> &[RefusedFolder] {
        self.refused.get(email).map_or(&[], Vec::as_slice)
    }

    /// Whether the engine of this account runs and can be woken.
    #[cfg(test)]
    pub fn is_awake(&self, email: &str) -> bool {
        self.wakers.contains_key(email)
    }

    #[cfg(test)]
    pub fn restarts_of(&self, email: &str) -> u64 {
        self.restarts.get(email).copied().unwrap_or(0)
    }

    /// One engine per account that may sign in, and the outbox worker.
    pub fn subscription(&self, context: &Context) -> Subscription<Report> {
        // No engine for an account that must sign in again: it would only be refused again. The
        // engine that was refused ends here too (its subscription goes); signing in again clears
        // the mark and bumps `restarts`, which starts a new one.
        let engines = self
            .accounts
            .iter()
            .filter(|a| a.needs_sign_in.is_none())
            .map(|account| {
                sync::subscription(sync::Key {
                    account: account.clone(),
                    context: context.clone(),
                    restart: self.restarts.get(&account.email).copied().unwrap_or(0),
                })
                .map(|(email, update)| Report::Sync(email, update))
            });
        // The worker runs from the moment there is a main window to show (an account, or a list
        // that could not be read); the first run's wizard has nothing to send.
        let worker = (!self.accounts.is_empty() || self.problem.is_some())
            .then(|| outbox::subscription(context.clone()).map(Report::Outbox));
        Subscription::batch(engines.chain(worker))
    }

    /// An engine reported: kept for the status bar. What the main window should follow (new mail,
    /// a folder done) is handed back.
    pub fn synced(&mut self, email: String, update: sync::Update) -> Option<SyncEvent> {
        if let sync::Update::Ready(waker) = update {
            self.wakers.insert(email, waker);
            return None;
        }
        if let sync::Update::Event(SyncEvent::NeedsSignIn { error }) = &update
            && let Some(account) = self.accounts.iter_mut().find(|a| a.email == email)
        {
            account.needs_sign_in = Some(error.clone());
            // The engine stops; the next one (after signing in again) hands back a new waker.
            self.wakers.remove(&email);
        }
        // Each pass looks at every folder, so its summary replaces what the one before found.
        if let sync::Update::Event(SyncEvent::Finished(summary)) = &update {
            if summary.refused_folders.is_empty() {
                self.refused.remove(&email);
            } else {
                self.refused
                    .insert(email.clone(), summary.refused_folders.clone());
            }
        }
        let event = match &update {
            sync::Update::Event(event) => Some(event.clone()),
            sync::Update::Ready(_) | sync::Update::CouldNotStart(_) => None,
        };
        // Progress within a folder is kept; the other events replace it.
        self.sync.insert(email, update);
        event
    }

    /// Asks every running engine for a pass now: a change made in the window (queued in the store)
    /// goes to the server at once, and new mail elsewhere than the inbox is fetched.
    pub fn wake(&self) {
        for waker in self.wakers.values() {
            waker.wake();
        }
    }

    /// The account signed in again (from its banner or the settings): its mark goes and its
    /// engine starts afresh.
    pub fn signed_in_again(&mut self, email: &str) {
        // One sign-in renews a member and the shared mailboxes it opens: their engines all start
        // again, signed in.
        let member = self
            .accounts
            .iter()
            .find(|a| a.email == email)
            .and_then(|a| a.shared_via.clone())
            .unwrap_or_else(|| email.to_owned());
        for account in self.accounts.iter_mut().filter(|a| {
            a.email.eq_ignore_ascii_case(&member)
                || a.shared_via
                    .as_deref()
                    .is_some_and(|via| via.eq_ignore_ascii_case(&member))
        }) {
            account.needs_sign_in = None;
            self.sync.remove(&account.email);
            *self.restarts.entry(account.email.clone()).or_default() += 1;
        }
    }

    /// The person asked for IMAP to be checked now ("Check again" in the settings, recorded in the
    /// account list): the account's engine starts afresh and asks at its first pass.
    pub fn check_imap_again(&mut self, email: &str) {
        if let Some(account) = self.accounts.iter_mut().find(|a| a.email == email) {
            if let Some(graph) = account.read_via_graph.as_mut() {
                graph.imap_checked = Some(0);
            }
            self.sync.remove(&account.email);
            *self.restarts.entry(account.email.clone()).or_default() += 1;
        }
    }

    /// Every engine starts afresh (the download range changed in the settings).
    pub fn restart_all(&mut self) {
        for account in &self.accounts {
            *self.restarts.entry(account.email.clone()).or_default() += 1;
        }
    }
}

/// The saved accounts, or why they could not be read.
pub fn read_accounts(paths: &Paths) -> (Vec<Account>, Option<String>) {
    match Accounts::new(paths).list() {
        Ok(accounts) => (accounts, None),
        Err(error) => (Vec::new(), Some(error.to_string())),
    }
}
