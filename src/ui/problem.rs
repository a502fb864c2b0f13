//! A failure that reached the window, as screens carry it in their messages: the core's kind of
//! failure (what the window branches on) and its words (what it shows). Cheap to clone, which a
//! core error is not.

use std::fmt;

use tayori::attachment::AttachmentError;
use tayori::auth::browser::BrowserError;
use tayori::error::ErrorKind;
use tayori::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ErrorKind,
    /// The core's own words, for the person and whoever helps them.
    pub detail: String,
}

impl Problem {
    /// A failure with no core error behind it (a background task that stopped, a file the
    /// system would not open).
    pub fn other(detail: impl fmt::Display) -> Problem {
        Problem {
            kind: ErrorKind::Other,
            detail: detail.to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        Problem {
            kind: error.kind(),
            detail: error.to_string(),
        }
    }
}

impl From<AttachmentError> for Problem {
    fn from(error: AttachmentError) -> Problem {
        Problem {
            kind: error.kind(),
            detail: error.to_string(),
        }
    }
}

impl From<BrowserError> for Problem {
    fn from(error: BrowserError) -> Problem {
        Problem {
            kind: ErrorKind::Browser,
            detail: error.to_string(),
        }
    }
}

impl From<tokio::task::JoinError> for Problem {
    fn from(error: tokio::task::JoinError) -> Problem {
        Problem::other(error)
    }
}
