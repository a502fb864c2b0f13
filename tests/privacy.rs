//! Issue 25, end to end: discovery **and sign-in** for each kind of address, against the rig's DNS,
//! its fixture server (standing in for the domains' own hosts, the ISPDB and Microsoft's central
//! AutoDiscover) and the provider emulators (Entra, Google) and the rig's own OpenID provider. Each
//! of those servers logs, per request, the host asked, who asked (Tayori by its User-Agent, or the
//! person's browser) and the address the request carried in its path, query or body (`address=`;
//! tests/rig/README.md, "Privacy log fields"). The test reads those logs — not Tayori's word — and
//! asserts, for every kind of address:
//!
//! - exactly which hosts received the address: the chosen sign-in service (the browser's
//!   `login_hint` and login form), the domain's own hosts and, for a Microsoft domain, Microsoft's
//!   central AutoDiscover — never another provider's sign-in service;
//! - that every host Tayori or the browser contacted is in the account's connections record
//!   (`tayori account connections --json`), and every host that received the address is marked so;
//! - that removing the account sends the address nowhere (Google's revocation takes the token only).
//!
//! One test in its own binary: the servers' logs are shared, and test binaries run one after
//! another, so what is appended while it runs is its own.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use support::office::LogMark;
use support::*;

const CENTRAL: [&str; 2] = ["autodiscover-s.outlook.com", "outlook.office365.com"];
const ENTRA: &str = "login.microsoftonline.com";
const GOOGLE_SIGN_IN: &str = "accounts.google.com";
const GOOGLE_ADMIN: &str = "127.0.0.40:9000";
const GOOGLE_DESKTOP: &str = "406000000001-tayoririgdesktop.apps.googleusercontent.com";

/// One request as a server logged it.
#[derive(Debug, Clone)]
struct Request {
    /// Which server's log: https (the fixture server), entra, google, idp.
    server: &'static str,
    host: String,
    /// `tayori` (User-Agent exactly `Tayori/<version>`), `tayori+` (Tayori, saying more) or
    /// `other` (the browser driver).
    agent: String,
    address: Option<String>,
}

/// The servers' logs from the marks on.
struct Logs {
    marks: Vec<(&'static str, LogMark)>,
}

impl Logs {
    fn mark(rig: &Rig) -> Logs {
        Logs {
            marks: ["https", "entra", "google", "idp"]
                .into_iter()
                .map(|server| {
                    (
                        server,
                        LogMark::new(&rig.log_dir.join(format!("{server}.log"))),
                    )
                })
                .collect(),
        }
    }

    /// Every request logged since the mark (the fixture server's lines and the emulators'
    /// `request` lines carry `host=`, `agent=` and `address=`).
    fn requests(&self) -> Vec<Request> {
        let field = |line: &str, name: &str| -> Option<String> {
            line.split(' ')
                .find_map(|word| word.strip_prefix(name))
                .map(str::to_owned)
        };
        let mut requests = Vec::new();
        for (server, mark) in &self.marks {
            for line in mark.since().lines() {
                let (Some(host), Some(agent), Some(address)) = (
                    field(line, "host="),
                    field(line, "agent="),
                    field(line, "address="),
                ) else {
                    continue;
                };
                requests.push(Request {
                    server,
                    host,
                    agent,
                    address: (address != "-").then_some(address),
                });
            }
        }
        requests
    }
}

/// The hosts that received `email`, by any server's log.
fn received(requests: &[Request], email: &str) -> BTreeSet<String> {
    requests
        .iter()
        .filter(|r| r.address.as_deref() == Some(email.to_ascii_lowercase().as_str()))
        .map(|r| r.host.clone())
        .collect()
}

fn set(hosts: &[&str]) -> BTreeSet<String> {
    hosts.iter().map(|h| h.to_string()).collect()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `tayori account add EMAIL`, the browser played by tests/browser-driver.py as `user`.
fn add_with_browser(home: &Path, email: &str, password: &str) -> Output {
    let driver = driver_command(email, password);
    run_tayori(
        home,
        &["account", "add", email, "--browser", &driver],
        &[],
        None,
    )
}

/// The account's connections record as `tayori account connections --json` prints it:
/// (host, address sent) per row.
fn record(home: &Path, email: &str) -> Vec<(String, bool)> {
    let out = run_tayori(
        home,
        &["account", "connections", email, "--json"],
        &[],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    value["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["host"].as_str().unwrap().to_owned(),
                row["address_sent"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn google_admin(method: &str, path: &str) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(GOOGLE_ADMIN)
        .expect("the rig's Google emulator (tests/rig/start.sh)");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.40\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 2"), "{answer}");
}

/// One kind of address: who it is, how it signs in, and where its address may go.
struct Kind {
    name: &'static str,
    email: String,
    password: String,
    /// Hosts that must have received the address.
    must: BTreeSet<String>,
    /// Hosts that may have received it (a superset of `must`).
    may: BTreeSet<String>,
}

#[test]
fn the_address_reaches_only_the_chosen_sign_in_service_and_every_host_is_in_the_record() {
    let rig = Rig::load();
    // Google sends a refresh token at the first consent only; start each person afresh.
    for email in ["t05@gmail.com", "t01@workspace.test"] {
        google_admin("DELETE", &format!("/grants/{email}/{GOOGLE_DESKTOP}"));
    }
    let microsoft = |extra: &[&str]| {
        let mut hosts = set(&CENTRAL);
        hosts.insert(ENTRA.into());
        hosts.extend(extra.iter().map(|h| h.to_string()));
        hosts
    };
    let kinds = [
        Kind {
            name: "Gmail",
            email: "t05@gmail.com".into(),
            password: "t05-google-secret".into(),
            must: set(&[GOOGLE_SIGN_IN]),
            may: set(&[GOOGLE_SIGN_IN]),
        },
        Kind {
            name: "a Google Workspace domain (MX at Google)",
            email: "t01@workspace.test".into(),
            password: "t01-google-secret".into(),
            must: set(&[GOOGLE_SIGN_IN]),
            may: set(&[GOOGLE_SIGN_IN]),
        },
        Kind {
            name: "a Microsoft 365 domain known by its MX only",
            email: "t09@fabrikam.test".into(),
            password: "t09-entra-secret".into(),
            must: set(&[ENTRA]),
            may: microsoft(&[]),
        },
        Kind {
            name: "a domain whose autodiscover CNAME points to Microsoft",
            email: "t01@adatum.test".into(),
            password: "t01-entra-secret".into(),
            must: set(&[ENTRA, CENTRAL[0]]),
            // The domain's own AutoDiscover host is Microsoft's, by the domain's choice.
            may: microsoft(&["autodiscover.adatum.test"]),
        },
    ];

    for kind in &kinds {
        let home = tempfile::tempdir().unwrap();
        let logs = Logs::mark(&rig);
        let out = add_with_browser(home.path(), &kind.email, &kind.password);
        assert!(out.status.success(), "{}: {}", kind.name, text(&out));
        let requests = logs.requests();
        // Tayori names itself and its version, nothing more (no system, no host name).
        for request in &requests {
            assert_ne!(request.agent, "tayori+", "{}: {request:?}", kind.name);
        }
        let got = received(&requests, &kind.email);
        assert!(
            got.is_superset(&kind.must) && got.is_subset(&kind.may),
            "{}: the address reached {got:?}; it must reach {:?} and may reach only {:?}.\n{requests:#?}",
            kind.name,
            kind.must,
            kind.may
        );
        // For the closing note: where each kind of address went (run with --nocapture).
        let by = |agent: &str| -> BTreeSet<&str> {
            requests
                .iter()
                .filter(|r| r.agent == agent)
                .map(|r| r.host.as_str())
                .collect()
        };
        eprintln!(
            "{} ({}): the address reached {got:?}; Tayori contacted {:?}; the browser {:?}",
            kind.name,
            kind.email,
            by("tayori"),
            by("other")
        );
        // Never another provider's sign-in service, nor the rig's own OpenID provider.
        let google = kind.must.contains(GOOGLE_SIGN_IN);
        for request in requests
            .iter()
            .filter(|r| r.address.as_deref() == Some(kind.email.as_str()))
        {
            let other_provider = match request.server {
                "google" => !google,
                "entra" => google,
                "idp" => true,
                _ => false,
            };
            assert!(
                !other_provider,
                "{}: the address went to another provider's service: {request:?}",
                kind.name
            );
        }

        // Every host contacted, by Tayori or by the browser it opened, is in the account's record;
        // every host that received the address is marked so.
        let record = record(home.path(), &kind.email);
        let recorded: BTreeSet<&str> = record.iter().map(|(h, _)| h.as_str()).collect();
        for request in &requests {
            assert!(
                recorded.contains(request.host.as_str()),
                "{}: {} contacted {} ({}), which is not in the record {record:#?}",
                kind.name,
                if request.agent.starts_with("tayori") {
                    "Tayori"
                } else {
                    "the browser"
                },
                request.host,
                request.server
            );
        }
        for host in &got {
            assert!(
                record.iter().any(|(h, sent)| h == host && *sent),
                "{}: {host} received the address, but the record does not say so: {record:#?}",
                kind.name
            );
        }

        // Removing the account sends the address nowhere (Google's revocation takes the token).
        let logs = Logs::mark(&rig);
        let out = run_tayori(home.path(), &["account", "remove", &kind.email], &[], None);
        assert!(out.status.success(), "{}: {}", kind.name, text(&out));
        let requests = logs.requests();
        assert_eq!(
            received(&requests, &kind.email),
            set(&[]),
            "{}: {requests:#?}",
            kind.name
        );
        if google {
            assert!(
                requests
                    .iter()
                    .any(|r| r.host == "oauth2.googleapis.com" && r.agent.starts_with("tayori")),
                "{}: the grant is withdrawn at Google: {requests:#?}",
                kind.name
            );
        }
    }

    // A domain with nothing at all: discovery finds nothing, nobody is asked to sign in, and the
    // address goes nowhere — not to Microsoft unless the person says it is a Microsoft account.
    let nobody = format!("privacy.{}@nothing.test", std::process::id());
    let home = tempfile::tempdir().unwrap();
    let logs = Logs::mark(&rig);
    let out = run_tayori(home.path(), &["account", "add", &nobody], &[], None);
    assert!(!out.status.success(), "{}", text(&out));
    let requests = logs.requests();
    eprintln!(
        "a domain with nothing ({nobody}): the address reached {:?}; Tayori contacted {:?}",
        received(&requests, &nobody),
        requests
            .iter()
            .map(|r| r.host.as_str())
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(
        received(&requests, &nobody),
        set(&[]),
        "nothing.test: {requests:#?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| !CENTRAL.contains(&r.host.as_str()) && r.server == "https"),
        "nothing.test: no central service and no sign-in service was contacted: {requests:#?}"
    );
}
