//! Logging to stderr and to a daily log file in the data folder, every line through [`redact`].
//!
//! The file is what a person attaches to a bug report, so it must be safe to share: passwords, tokens,
//! `Authorization` values and SASL payloads are blanked before a byte reaches any writer. Panics go
//! through the same filter (see [`install_panic_hook`]).

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use thiserror::Error;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::Paths;
use crate::redact::redact;

/// Environment variable with a `tracing` filter for the log file (default `info`); stderr uses
/// `RUST_LOG` (default `warn`, so the command line stays quiet).
pub const FILE_FILTER_ENV: &str = "TAYORI_LOG";

/// Protocol libraries trace raw wire data (async-imap logs every line it sends, including base64 SASL
/// continuations that no pattern can tell from other data). These caps are appended after any
/// user-chosen filter, so even `TAYORI_LOG=trace` never lets wire data reach a log.
const WIRE_CAPS: &[&str] = &[
    "async_imap=info",
    "imap_proto=info",
    "lettre=info",
    "hyper=info",
    "hyper_util=info",
    "h2=info",
    "reqwest=info",
    "rustls=info",
    "tokio_rustls=info",
    "hickory_proto=info",
    "hickory_resolver=info",
    "zbus=info",
];

/// A filter from user directives with the wire caps added last (later directives win).
fn filter_with_caps(directives: &str) -> EnvFilter {
    let mut all = directives.to_owned();
    for cap in WIRE_CAPS {
        all.push(',');
        all.push_str(cap);
    }
    EnvFilter::try_new(&all).unwrap_or_else(|_| {
        eprintln!("tayori: ignoring invalid log filter {directives:?}");
        filter_with_caps("info")
    })
}

/// Days of log files kept.
const KEEP_LOG_FILES: usize = 7;

#[derive(Debug, Error)]
pub enum LoggingError {
    #[error("could not open the log folder {path}: {reason}")]
    LogFile { path: String, reason: String },
    #[error("logging was already set up in this process")]
    AlreadySet,
}

/// Sets up logging for the process. `verbose` raises stderr to `debug`; `file_filter` overrides
/// [`FILE_FILTER_ENV`] for the log file.
pub fn init(paths: &Paths, verbose: bool, file_filter: Option<&str>) -> Result<(), LoggingError> {
    let log_dir = paths.log_dir();
    let file = file_appender(&log_dir)?;
    // On the command line only Tayori's own warnings by default: graphics and windowing libraries
    // warn about things a person can do nothing about (they still reach the log file).
    let default_stderr = if verbose {
        "info,tayori=debug"
    } else {
        "error,tayori=warn"
    };
    let stderr_directives = std::env::var("RUST_LOG").unwrap_or_else(|_| default_stderr.into());
    let stderr_filter = filter_with_caps(&stderr_directives);
    let file_directives = match file_filter {
        Some(directives) => directives.to_owned(),
        None => std::env::var(FILE_FILTER_ENV).unwrap_or_else(|_| "info".to_owned()),
    };
    let file_filter = filter_with_caps(&file_directives);

    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(Redacting(io::stderr))
        .with_ansi(io::stderr().is_terminal())
        .with_target(false)
        .with_filter(stderr_filter);
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(Redacting(file))
        .with_ansi(false)
        .with_filter(file_filter);
    tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init()
        .map_err(|_| LoggingError::AlreadySet)
}

fn file_appender(
    log_dir: &Path,
) -> Result<tracing_appender::rolling::RollingFileAppender, LoggingError> {
    tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("tayori")
        .filename_suffix("log")
        .max_log_files(KEEP_LOG_FILES)
        .build(log_dir)
        .map_err(|e| LoggingError::LogFile {
            path: log_dir.display().to_string(),
            reason: e.to_string(),
        })
}

/// Wraps any `tracing` writer so each formatted event is redacted before it is written.
#[derive(Debug, Clone)]
pub struct Redacting<M>(pub M);

impl<'a, M> MakeWriter<'a> for Redacting<M>
where
    M: MakeWriter<'a>,
{
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.0.make_writer(),
            pending: Vec::new(),
        }
    }
}

/// Collects one event, then writes it redacted when flushed or dropped. `tracing` makes one writer
/// per event, so a whole line is always redacted at once — a token is never split across two writes.
pub struct RedactingWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.pending);
        let clean = redact(&text);
        self.inner.write_all(clean.as_bytes())?;
        self.pending.clear();
        self.inner.flush()
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // Nowhere to report a failed log write; losing a log line must not crash the app.
        let _ = self.write_pending();
    }
}

/// Replaces the default panic output with a redacted one that also goes to the log file, so a crash
/// report never carries a token that happened to be in a panic message.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        let message = redact(&payload).into_owned();
        tracing::error!(%location, "Tayori stopped unexpectedly: {message}");
        eprintln!("Tayori stopped unexpectedly at {location}: {message}");
    }));
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// An in-memory `MakeWriter`, so the test reads exactly what would have reached the file.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn secrets_logged_through_tracing_never_reach_the_writer() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Redacting(captured.clone()))
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        let token = "2YotnFZFEjr1zCsicMWpAA";
        let refresh = "tGzv3JOkF0XG5Qx2TlKWIA";
        let sasl = "dXNlcj1hbGljZQFhdXRoPUJlYXJlciAyWW90bkZaRkVqcjF6Q3NpY01XcEFBAQE=";
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(authorization = %format!("Bearer {token}"), "calling the token endpoint");
            tracing::debug!("C: a1 AUTHENTICATE XOAUTH2 {sasl}");
            tracing::warn!(body = %format!(r#"{{"access_token":"{token}","refresh_token":"{refresh}"}}"#), "token response");
            tracing::error!("S: a2 LOGIN alice@example.test app-pass-98765");
            tracing::info!(password = ?crate::redact::Secret::new("typed-by-user-555"), "saving");
        });
        let written = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        for secret in [token, refresh, sasl, "app-pass-98765", "typed-by-user-555"] {
            assert!(
                !written.contains(secret),
                "{secret} reached the log:\n{written}"
            );
        }
        // The log is still useful: the events are there, with their context.
        assert_eq!(written.lines().count(), 5, "{written}");
        assert!(written.contains("calling the token endpoint"));
        assert!(written.contains("alice@example.test"));
    }

    #[test]
    fn wire_traces_of_protocol_libraries_are_capped_even_at_trace_level() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Redacting(captured.clone()))
            .with_ansi(false)
            .with_env_filter(filter_with_caps("trace,async_imap=trace"))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "async_imap::imap_stream", "encode: input: None, Ok(\"dXNlcj1h\")");
            tracing::trace!(target: "lettre::transport::smtp", "wire line");
            tracing::trace!(target: "tayori::imap", "our own trace stays");
        });
        let written = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            !written.contains("dXNlcj1h") && !written.contains("wire line"),
            "{written}"
        );
        assert!(written.contains("our own trace stays"), "{written}");
    }

    #[test]
    fn init_writes_a_log_file_in_the_data_folder() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        let appender = file_appender(&paths.log_dir()).unwrap();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Redacting(appender))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("refresh_token=rt-should-not-appear hello");
        });
        let files: Vec<_> = std::fs::read_dir(paths.log_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let content = std::fs::read_to_string(&files[0]).unwrap();
        assert!(content.contains("hello"), "{content}");
        assert!(!content.contains("rt-should-not-appear"), "{content}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("tayori.") && name.ends_with(".log"),
            "{name}"
        );
    }
}
