//! Servers written to misbehave, and a way to run `tayori` against them and measure what it costs.
//!
//! The rig (tests/rig/) runs real servers for how the world behaves; these show how it breaks: an
//! IMAP server ([`imap`]), an SMTP submission server ([`smtp`]) and an OAuth token endpoint
//! ([`token`]), each able to misbehave in one named way, chosen per server. They are written in
//! Rust inside the test crate rather than as scripts beside the rig because
//! - each test starts its own server on a free loopback port (no fixed port, no clash between tests
//!   running at once), and stops it when it ends;
//! - the send-kill harness needs the submission server to tell the test *the instant* it reaches a
//!   point of the SMTP dialogue (the end-of-data dot received, the 250 written), so that the test
//!   can kill `tayori` right there: a channel inside one process is exact, a file or socket between
//!   processes adds its own delay;
//! - the misbehaviours are about bytes on the wire (a reply and injected data in one TCP write, one
//!   byte a second, a line that never ends), which tokio writes exactly as asked.
//!
//! Every server presents the rig's server certificate (issued by the rig's CA, which the system
//! trusts once `tests/rig/start.sh` has run), so Tayori talks to them as to any real server: no test
//! switch in the product.
//!
//! [`measure`] runs the real `tayori` binary and reports its exit, output, wall time and peak
//! resident memory (VmHWM), killing it at a deadline.
#![allow(dead_code)] // each test binary uses a different part

pub mod imap;
pub mod measure;
pub mod smtp;
pub mod token;

use std::path::PathBuf;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;

/// The rig's state folder (where start.sh put the PKI).
pub fn rig_state() -> PathBuf {
    std::env::var_os("TAYORI_RIG_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/rig"))
}

/// A TLS acceptor with the rig's server certificate (SANs: 127.0.0.1, localhost, *.example.test …),
/// signed by the rig's CA.
pub fn tls_acceptor() -> TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let pki = rig_state().join("pki");
    let read = |name: &str| {
        std::fs::read(pki.join(name)).unwrap_or_else(|e| {
            panic!(
                "{}: {e}. The hostile servers use the rig's certificate: run tests/rig/start.sh first",
                pki.join(name).display()
            )
        })
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read("server.crt"))
        .collect::<Result<_, _>>()
        .expect("server.crt");
    let key = PrivateKeyDer::from_pem_slice(&read("server.key")).expect("server.key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("the rig's certificate and key");
    TlsAcceptor::from(Arc::new(config))
}

/// How many messages of `user`'s `folder` on the rig's Dovecot carry each Message-ID (as written
/// in the header, angle brackets included).
pub async fn message_ids(
    user: &str,
    password: &str,
    folder: &str,
) -> std::collections::HashMap<String, usize> {
    use futures::TryStreamExt;
    let mut session = crate::support::imap_connect(10993)
        .await
        .login(user, password)
        .await
        .map_err(|(e, _)| e)
        .expect("IMAP login to count Message-IDs");
    let mut counts = std::collections::HashMap::new();
    let status = session.examine(folder).await.expect("examine");
    if status.exists > 0 {
        let fetches: Vec<_> = session
            .fetch("1:*", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]")
            .await
            .expect("fetch")
            .try_collect()
            .await
            .expect("fetch stream");
        for fetch in &fetches {
            let header = String::from_utf8_lossy(fetch.header().unwrap_or_default()).into_owned();
            let id = header
                .split_once(':')
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default();
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    let _ = session.logout().await;
    counts
}

/// A unique marker for content that must never reach a log, the terminal or the status bar.
pub const SECRET_CONTENT: &str = "CONFIDENTIAL-QUARTERLY-FIGURES-7f3a9c";

/// The checks of one case, collected so that a failing case reports every check it failed (and
/// what the person was shown) rather than only the first.
pub struct Verdict {
    case: String,
    failed: Vec<String>,
    shown: Vec<String>,
}

impl Verdict {
    pub fn new(case: &str) -> Verdict {
        Verdict {
            case: case.to_owned(),
            failed: Vec::new(),
            shown: Vec::new(),
        }
    }

    pub fn check(&mut self, ok: bool, what: impl Into<String>) -> bool {
        if !ok {
            self.failed.push(what.into());
        }
        ok
    }

    /// Keeps a run's output for the report (and prints its figures).
    pub fn saw(&mut self, label: &str, run: &measure::Run) {
        run.figure(&format!("{} ({label})", self.case));
        self.shown.push(format!(
            "--- {label}: `tayori {}` {} in {:.1} s, peak RSS {:.1} MiB\n{}",
            run.args.join(" "),
            run.ending(),
            run.elapsed.as_secs_f64(),
            run.peak_rss_mib(),
            measure::excerpt(&run.text(), 3000)
        ));
    }

    /// No panic, and it ended by itself.
    pub fn no_panic(&mut self, run: &measure::Run) {
        self.check(
            !run.hit_deadline,
            format!(
                "did not finish by itself: killed at the test's deadline after {:.0} s",
                run.elapsed.as_secs_f64()
            ),
        );
        self.check(!run.panicked(), format!("panicked ({})", run.ending()));
    }

    pub fn bounded(&mut self, run: &measure::Run, time: std::time::Duration, memory_mib: f64) {
        self.check(
            run.elapsed <= time,
            format!(
                "took {:.1} s, more than {} s",
                run.elapsed.as_secs_f64(),
                time.as_secs()
            ),
        );
        self.check(
            run.peak_rss_mib() <= memory_mib,
            format!(
                "peak memory {:.0} MiB, more than {memory_mib} MiB",
                run.peak_rss_mib()
            ),
        );
    }

    pub fn exit(&mut self, run: &measure::Run, code: i32, why: &str) {
        self.check(
            run.code == Some(code),
            format!("{} instead of exit {code} ({why})", run.ending()),
        );
    }

    /// Fails the test with every failed check, if any.
    pub fn finish(self) {
        if self.failed.is_empty() {
            eprintln!("VERDICT {}: all checks passed", self.case);
            return;
        }
        eprintln!(
            "VERDICT {}: {} check(s) failed: {}",
            self.case,
            self.failed.len(),
            self.failed.join("; ")
        );
        panic!(
            "{}: {} check(s) failed:\n  - {}\n{}",
            self.case,
            self.failed.len(),
            self.failed.join("\n  - "),
            self.shown.join("\n")
        );
    }
}
