//! Findings of the independent security review (issue 22), each shown against the real rig: its
//! DNS (tests/rig/dns/zone.conf), fixture HTTPS/HTTP server (tests/rig/https/fixtures), Dovecot
//! and the IdP. Each test fails while its finding is open.

#[path = "hostile/mod.rs"]
mod hostile;
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::discovering::{RIG_DNS, discover, discoverer};
use support::mailbox::{TestMailbox, account_home};
use support::{Rig, run_tayori};
use tayori::discovery::Source;
use tayori::net::dns::Dns;

/// A spoofed SRV answer can name an IP address as its target. No registrable domain vouches for an
/// address, so it is never trusted silently: the person confirms it first.
#[tokio::test]
async fn an_srv_target_that_is_an_ip_address_needs_confirmation() {
    let found = discover("ichi@srv-ip.test").await;
    assert_eq!(found.source, Source::Srv, "{:#?}", found.trace);
    assert_eq!(found.imap.host, "127.0.0.1");
    let confirmation = found.needs_confirmation.unwrap_or_else(|| {
        panic!(
            "credentials would go to {} with no question asked",
            found.imap.host
        )
    });
    assert!(
        confirmation.domains.iter().any(|d| d == "127.0.0.1"),
        "{confirmation:?}"
    );
}

/// The legacy AutoDiscover redirect is fetched over plain HTTP, so whoever is on the network picks
/// the target: here `https://127.0.0.10/`. The answer is unverified and the address is confirmed.
#[tokio::test]
async fn a_plain_http_redirect_to_an_ip_address_is_unverified_and_confirmed() {
    let found = discover("ni@adhttp-ip.test").await;
    assert_eq!(found.source, Source::Autodiscover, "{:#?}", found.trace);
    assert!(
        !found.verified,
        "an answer reached through a plain-HTTP hop is not verified"
    );
    let confirmation = found
        .needs_confirmation
        .expect("a redirect to an IP address is confirmed");
    assert!(
        confirmation.domains.iter().any(|d| d == "127.0.0.10"),
        "{confirmation:?}"
    );
}

/// An autoconfig document fetched over plain HTTP names servers at another domain
/// (mail.example.test for http-only.test): the person is asked about that domain too, since that
/// is where the password would go.
#[tokio::test]
async fn a_plain_http_answer_names_the_domain_of_its_servers_for_confirmation() {
    let found = discover("juni@http-only.test").await;
    assert_eq!(found.source, Source::AutoconfigHttp);
    assert_eq!(found.imap.host, "mail.example.test");
    assert!(!found.verified);
    let confirmation = found.needs_confirmation.expect("confirmed");
    assert!(
        confirmation.domains.iter().any(|d| d == "example.test"),
        "the servers' domain is named: {confirmation:?}"
    );
}

/// An ISPDB mirror configured with `http://` is read over plain HTTP: its answer is not verified.
#[tokio::test]
async fn an_ispdb_over_plain_http_is_not_verified() {
    let _ = Rig::load();
    let https = discoverer(|_| {})
        .discover("jiro@ispdb-only.test")
        .await
        .unwrap();
    assert_eq!(https.source, Source::Ispdb);
    assert!(https.verified, "the same answer over HTTPS is verified");
    let found = discoverer(|o| {
        o.ispdb_url = url::Url::parse("http://ispdb.example.test/v1.1/").unwrap();
    })
    .discover("jiro@ispdb-only.test")
    .await
    .unwrap();
    assert_eq!(found.source, Source::Ispdb, "{:#?}", found.trace);
    assert!(
        !found.verified,
        "an ISPDB answer over plain HTTP is verified"
    );
    assert!(
        found.needs_confirmation.is_some(),
        "and it is used only after the person confirms it"
    );
}

/// `TAYORI_POLICY_FILE` is for deployments that cannot write the system folder; it never overrides
/// the policy an administrator put there (here /etc/tayori/policy.toml, for one test-only domain).
#[test]
fn the_environment_cannot_override_the_administrators_policy() {
    let _ = Rig::load();
    let system = std::path::Path::new("/etc/tayori/policy.toml");
    const MARK: &str = "# written by tests/hardening.rs for admin-pinned.test";
    let ours = match std::fs::read_to_string(system) {
        Ok(text) => text.starts_with(MARK),
        Err(_) => true,
    };
    assert!(
        ours,
        "{} exists and is not this test's: not touching it",
        system.display()
    );
    std::fs::create_dir_all(system.parent().unwrap()).unwrap();
    std::fs::write(
        system,
        format!(
            "{MARK}\n[[provider]]\nname = \"Pinned by the administrator\"\ndomains = [\"admin-pinned.test\"]\n\
             imap = {{ host = \"imap.admin-pinned.test\", port = 993, security = \"tls\" }}\n\
             smtp = {{ host = \"smtp.admin-pinned.test\", port = 465, security = \"tls\" }}\n"
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let user_policy = home.path().join("my-policy.toml");
    std::fs::write(
        &user_policy,
        "[[provider]]\nname = \"Set by whoever controls the environment\"\ndomains = [\"admin-pinned.test\"]\n\
         imap = { host = \"imap.elsewhere.test\", port = 993, security = \"tls\" }\n\
         smtp = { host = \"smtp.elsewhere.test\", port = 465, security = \"tls\" }\n",
    )
    .unwrap();
    let out = run_tayori(
        home.path(),
        &["discover", "someone@admin-pinned.test", "--json"],
        &[("TAYORI_POLICY_FILE", user_policy.as_os_str())],
        None,
    );
    let _ = std::fs::remove_file(system);
    let _ = std::fs::remove_dir(system.parent().unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["source"], "admin_policy", "{json:#}");
    assert_eq!(
        json["imap"]["host"], "imap.admin-pinned.test",
        "the administrator's servers: {json:#}"
    );
}

/// The name a client gives in EHLO lands in the Received header of every message it sends: it is
/// not the machine's host name (which often names the person or the organisation).
#[tokio::test]
async fn ehlo_does_not_reveal_the_machines_host_name() {
    let _ = Rig::load();
    let user = "s08@example.test";
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_ascii_lowercase();
    let home = account_home(user);
    let marker = format!("ehlo-{}-{}", std::process::id(), rand::random::<u32>());
    let out = run_tayori(
        home.path(),
        &["send", "--from", user, "--to", user, "--subject", &marker],
        &[],
        Some("Where did this come from?\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = wait_for(user, &marker).await;
    let headers = String::from_utf8_lossy(&raw);
    let helo: Vec<String> = headers
        .lines()
        .filter_map(|l| l.strip_prefix("Received: from "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_ascii_lowercase)
        .collect();
    assert!(!helo.is_empty(), "no Received header: {headers}");
    // The first hop (the last Received header) is Tayori's EHLO at the submission server.
    let ours = helo.last().unwrap();
    assert_ne!(
        ours, &hostname,
        "the EHLO name is the machine's host name:\n{headers}"
    );
}

/// A server name with several addresses: the first has nothing listening. Sending tries the next
/// address, as IMAP does, instead of failing.
#[tokio::test]
async fn smtp_tries_every_address_of_the_server() {
    let _ = Rig::load();
    let user = "s15@example.test";
    let home = account_home(user);
    let paths = tayori::config::Paths::under(home.path());
    let accounts = tayori::account::Accounts::new(&paths);
    let mut account = accounts.get(user).unwrap();
    account.smtp.host = "smtp-multi.example.test".into();
    accounts.upsert(account).unwrap();
    let marker = format!("multi-{}-{}", std::process::id(), rand::random::<u32>());
    let out = run_tayori(
        home.path(),
        &["send", "--from", user, "--to", user, "--subject", &marker],
        &[],
        Some("Sent past a dead address.\n"),
    );
    assert!(
        out.status.success(),
        "the first address (127.0.0.9) refuses; the second works: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for(user, &marker).await;
}

/// The raw message whose subject is `marker` in `user`'s INBOX (delivery takes a moment).
async fn wait_for(user: &str, marker: &str) -> Vec<u8> {
    let mut mailbox = TestMailbox::login(user).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let state = mailbox.state("INBOX").await;
        if let Some(raw) = state
            .values()
            .filter_map(|c| c.raw.clone())
            .find(|raw| String::from_utf8_lossy(raw).contains(marker))
        {
            return raw;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{marker} never arrived"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// `tayori list Sent` on a server whose folders live below INBOX (`INBOX.Sent`: classic Cyrus,
/// Courier, many hosters; the rig's `cyrus` user): the folder is found by its role, in English and
/// Japanese, as well as by its name.
#[tokio::test]
async fn folder_arguments_find_inbox_sent_by_role_on_a_cyrus_style_server() {
    let _ = Rig::load();
    let user = "cyrus@example.test";
    let marker = format!(
        "cyrus-sent-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    );
    let mut mailbox = TestMailbox::login(user).await;
    let raw = format!(
        "From: {user}\r\nTo: someone@example.test\r\nSubject: {marker}\r\n\
         Message-ID: <{marker}@example.test>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n\r\nsent earlier\r\n"
    );
    mailbox.append("INBOX.Sent", raw.as_bytes(), "\\Seen").await;
    let home = account_home(user);
    support::mailbox::sync(home.path());
    for typed in ["INBOX.Sent", "Sent", "sent", "送信済み"] {
        let out = run_tayori(home.path(), &["list", typed], &[], None);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "tayori list {typed}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout
                .lines()
                .next()
                .unwrap_or_default()
                .contains("INBOX.Sent")
                && stdout.contains(&marker),
            "tayori list {typed}:\n{stdout}"
        );
    }
}

/// An SMTP server that says yes to everything and writes down every line it hears (after TLS,
/// implicit, with the rig's certificate): what a misconfigured or poisoned account's server would
/// receive.
struct Recorder {
    port: u16,
    heard: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    async fn start() -> Recorder {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let log = heard.clone();
        let acceptor = hostile::tls_acceptor();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, log) = (acceptor.clone(), log.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut tls = BufReader::new(tls);
                    let _ = tls
                        .get_mut()
                        .write_all(b"220 smtp.other-domain.test ESMTP\r\n")
                        .await;
                    let mut in_data = false;
                    loop {
                        let mut line = String::new();
                        if tls.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        log.lock().unwrap().push(line.trim_end().to_owned());
                        let command = line.trim_end().to_ascii_uppercase();
                        let reply: &[u8] = if in_data {
                            if command == "." {
                                in_data = false;
                                b"250 2.0.0 taken\r\n"
                            } else {
                                continue;
                            }
                        } else if command.starts_with("EHLO") {
                            b"250-smtp.other-domain.test\r\n250-AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n"
                        } else if command.starts_with("AUTH") {
                            b"235 2.7.0 accepted\r\n"
                        } else if command == "DATA" {
                            in_data = true;
                            b"354 go on\r\n"
                        } else if command == "QUIT" {
                            let _ = tls.get_mut().write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 2.0.0 ok\r\n"
                        };
                        if tls.get_mut().write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Recorder { port, heard }
    }

    fn heard(&self) -> Vec<String> {
        self.heard.lock().unwrap().clone()
    }
}

/// An account's access token is issued for its mail service. A misconfigured or poisoned account
/// (an ISPDB entry, an autoconfig answer, a hand-edited accounts.toml) can name an SMTP server of
/// another domain: that server must not get the token — it could use it against the mailbox. A
/// real server on loopback (smtp.other-domain.test in the rig's DNS) records what it hears.
#[tokio::test]
async fn an_access_token_never_goes_to_an_smtp_host_of_another_domain() {
    use base64::Engine;
    use tayori::account::Server;
    use tayori::discovery::Security;
    let rig = Rig::load();
    let client = support::rig_oauth_client(&rig, support::CLIENT_ID).await;
    let tokens =
        support::product_sign_in(&client, support::ALICE, support::ALICE_IDP_PASSWORD).await;
    let keyring_account = format!("audience-{}@example.test", std::process::id());
    let manager = tayori::auth::tokens::TokenManager::new(
        support::product_http(),
        client,
        keyring_account.clone(),
        "mail.example.test",
    );
    manager.seed(&tokens).await.unwrap();
    let credentials = tayori::auth::Credentials::OAuth(manager.clone());
    let dns = Dns::new(Some(RIG_DNS.parse().unwrap()), Duration::from_secs(5)).unwrap();

    let recorder = Recorder::start().await;
    let elsewhere = Server {
        host: "smtp.other-domain.test".into(),
        port: recorder.port,
        security: Security::Tls,
        username: support::ALICE.into(),
    };
    let result = tayori::smtp::verify(&dns, &elsewhere, &credentials).await;
    let heard = recorder.heard();
    let token = tokens.access_token.expose();
    let wire = |raw: String| base64::engine::general_purpose::STANDARD.encode(raw);
    let forms = [
        token.to_owned(),
        wire(format!(
            "user={}\x01auth=Bearer {token}\x01\x01",
            support::ALICE
        )),
    ];
    for line in &heard {
        assert!(
            !line.to_ascii_uppercase().starts_with("AUTH"),
            "smtp.other-domain.test was offered a sign-in: {heard:?}"
        );
        for form in &forms {
            assert!(
                !line.contains(form.as_str()),
                "the token reached smtp.other-domain.test"
            );
        }
    }
    let error = result.expect_err("no sign-in at another domain's server");
    let said = error.to_string();
    assert!(
        said.contains("smtp.other-domain.test"),
        "the error names the host that was refused the token: {said}"
    );

    // The account's own server still gets it.
    let own = Server {
        host: "mail.example.test".into(),
        port: rig.submission_port,
        security: Security::StartTls,
        username: support::ALICE.into(),
    };
    tayori::smtp::verify(&dns, &own, &credentials)
        .await
        .expect("the token works at the account's own server");
    let _ = tayori::auth::keyring_store::delete(
        &keyring_account,
        tayori::auth::keyring_store::SecretKind::RefreshToken,
    )
    .await;
}

/// Two Tayori processes refreshing one account at the same moment (the window and `tayori sync`
/// from cron, or a second window started by a `mailto:` click): the rig's sign-in service rotates
/// refresh tokens and, like providers with reuse detection, revokes the whole grant when a rotated
/// one is presented again (tests/rig/README.md, "Reuse revokes the whole grant"). Neither process
/// may present a token the other has already rotated, nor save a revoked one over the good one:
/// every run signs in, and the keyring ends with a working refresh token.
#[tokio::test(flavor = "multi_thread")]
async fn processes_refreshing_one_account_at_once_never_revoke_its_sign_in() {
    use tayori::account::{Account, AccountAuth, Accounts, Server};
    use tayori::auth::keyring_store::{self, SecretKind};
    use tayori::discovery::Security;
    let rig = Rig::load();
    let client = support::rig_oauth_client(&rig, support::CLIENT_ID).await;
    let tokens =
        support::product_sign_in(&client, support::ALICE, support::ALICE_IDP_PASSWORD).await;
    // Its own keyring entry (the IMAP user is alice), so no other test's sign-in is touched.
    let email = format!("rotation-{}@example.test", std::process::id());
    let home = tempfile::tempdir().unwrap();
    let paths = tayori::config::Paths::under(home.path());
    paths.create_all().unwrap();
    let server = |port| Server {
        host: "mail.example.test".into(),
        port,
        security: Security::Tls,
        username: support::ALICE.into(),
    };
    Accounts::new(&paths)
        .upsert(Account {
            email: email.clone(),
            display_name: None,
            provider: None,
            imap: server(rig.imaps_port),
            smtp: server(rig.submissions_port),
            auth: AccountAuth::OAuth2 {
                client_id: support::CLIENT_ID.into(),
                issuer: client.issuer.clone(),
                authorization_endpoint: client.authorization_endpoint.clone(),
                token_endpoint: client.token_endpoint.clone(),
                iss_required: client.iss_required,
                scopes: client.scopes.clone(),
            },
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        })
        .unwrap();
    keyring_store::save(
        &email,
        SecretKind::RefreshToken,
        tokens.refresh_token.as_ref().unwrap(),
    )
    .await
    .unwrap();
    for round in 0..4 {
        // Three processes at once, each starting without an access token: each refreshes.
        let children: Vec<_> = (0..3)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_tayori"))
                    .args(["account", "verify", &email])
                    .env("TAYORI_HOME", home.path())
                    .env("TAYORI_DNS_SERVER", RIG_DNS)
                    .env("TAYORI_POLICY_FILE", home.path().join("no-policy.toml"))
                    .env("LANG", "en_US.UTF-8")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("start tayori")
            })
            .collect();
        for child in children {
            let out = tokio::task::spawn_blocking(move || child.wait_with_output())
                .await
                .unwrap()
                .unwrap();
            assert!(
                out.status.success(),
                "round {round}: a process lost the sign-in:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let saved = keyring_store::load(&email, SecretKind::RefreshToken)
        .await
        .unwrap()
        .expect("a refresh token in the keyring");
    tayori::auth::flow::refresh(&support::product_http(), &client, &saved)
        .await
        .expect("the saved refresh token still works");
    let _ = keyring_store::delete(&email, SecretKind::RefreshToken).await;
}
