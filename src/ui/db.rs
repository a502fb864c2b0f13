//! The mail store, from the window's side: one SQLite connection shared behind a lock, and every call
//! made on a blocking thread from a `Task`, never in `update` or `view`. The main window opens it;
//! the composer completes addresses from it.

use std::sync::{Arc, Mutex};

use tayori::store::{Store, StoreError};

use super::problem::Problem;

/// The store, shared by the screens' tasks.
#[derive(Clone)]
pub struct Db(Arc<Mutex<Store>>);

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db")
    }
}

impl Db {
    /// Opens (and creates or migrates) the store at `path`, off the UI thread.
    pub async fn open(path: std::path::PathBuf) -> Result<Db, Problem> {
        Ok(tokio::task::spawn_blocking(move || Store::open(&path))
            .await?
            .map(|store| Db(Arc::new(Mutex::new(store))))?)
    }

    /// Runs `work` with the store on a blocking thread.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut store)
        })
        .await?
        .map_err(Problem::from)
    }
}
