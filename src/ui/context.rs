//! What every screen needs to start work in the core: where the files are, the settings, and the
//! browser to sign in with.

use tayori::auth::browser::Browser;
use tayori::config::{Paths, Settings};

#[derive(Debug, Clone)]
pub struct Context {
    pub paths: Paths,
    pub settings: Settings,
    /// The browser command (`BROWSER`), else the system's default browser — as on the command line.
    pub browser: Browser,
}

impl Context {
    pub fn new(paths: Paths, settings: Settings) -> Self {
        Self {
            paths,
            settings,
            browser: Browser::choose(None),
        }
    }
}
