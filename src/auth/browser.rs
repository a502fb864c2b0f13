//! Opening the sign-in page in the person's own browser (RFC 8252: never an embedded web view — the
//! system browser has their passkeys, their MFA cookie and their company's conditional-access device
//! state).
//!
//! Overrides, in order: the `--browser CMD` option, then the `BROWSER` environment variable, then the
//! platform's default browser. `CMD` is split on spaces; a `%s` in it is replaced by the URL, otherwise
//! the URL is appended. Tests use this to drive the provider's real login form.

use std::process::Stdio;

use thiserror::Error;

/// Environment variable naming a browser command (the Unix convention).
pub const BROWSER_ENV: &str = "BROWSER";

#[derive(Debug, Clone, Error)]
pub enum BrowserError {
    #[error(
        "the browser could not be opened ({0}). Copy this address into your browser to sign in: {1}"
    )]
    Open(String, String),
}

/// How to open a URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Browser {
    /// The platform's default browser.
    #[default]
    System,
    /// A command line (`--browser` or `BROWSER`).
    Command(String),
}

impl Browser {
    /// `--browser` if given, else `BROWSER`, else the system browser.
    pub fn choose(option: Option<String>) -> Self {
        option
            .or_else(|| std::env::var(BROWSER_ENV).ok())
            .filter(|cmd| !cmd.trim().is_empty())
            .map(Browser::Command)
            .unwrap_or_default()
    }

    /// The program and arguments for a command browser.
    fn argv(command: &str, url: &str) -> Vec<String> {
        let mut parts: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        if parts.iter().any(|p| p.contains("%s")) {
            for part in &mut parts {
                *part = part.replace("%s", url);
            }
        } else {
            parts.push(url.to_owned());
        }
        parts
    }

    /// Opens the URL and returns at once; the person continues in the browser.
    pub fn open(&self, url: &str) -> Result<(), BrowserError> {
        match self {
            Browser::System => {
                webbrowser::open(url).map_err(|e| BrowserError::Open(e.to_string(), url.to_owned()))
            }
            Browser::Command(command) => {
                let argv = Self::argv(command, url);
                let Some((program, args)) = argv.split_first() else {
                    return Err(BrowserError::Open(
                        "empty browser command".into(),
                        url.to_owned(),
                    ));
                };
                std::process::Command::new(program)
                    .args(args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .map(|_| ())
                    .map_err(|e| BrowserError::Open(format!("{program}: {e}"), url.to_owned()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_take_the_url_in_place_or_at_the_end() {
        assert_eq!(
            Browser::argv("firefox --new-window", "https://x/a?b=c"),
            ["firefox", "--new-window", "https://x/a?b=c"]
        );
        assert_eq!(
            Browser::argv("open -a Safari %s --fresh", "https://x/"),
            ["open", "-a", "Safari", "https://x/", "--fresh"]
        );
    }

    #[test]
    fn the_option_beats_the_environment() {
        assert_eq!(
            Browser::choose(Some("my-browser".into())),
            Browser::Command("my-browser".into())
        );
    }

    #[test]
    fn a_missing_browser_program_is_a_clear_error_with_the_address() {
        let err = Browser::Command("/nonexistent/browser".into())
            .open("https://idp.test/auth")
            .unwrap_err();
        assert!(err.to_string().contains("https://idp.test/auth"), "{err}");
    }
}
