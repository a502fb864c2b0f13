//! Mail on an office network (tests/rig/proxy/) where the firewall refuses direct IMAP and SMTP:
//! sign-in (the browser step through the office's web proxy), sync and send through an HTTP CONNECT
//! tunnel, a SOCKS5 tunnel, the proxies a PAC file names per URL, and a TLS-inspecting proxy whose
//! root IT installed; TLS (implicit or STARTTLS) runs end to end inside every tunnel. And the
//! refusals of the mail path, in Japanese and English: a CONNECT refused for the IMAP port, a SOCKS
//! rule, a proxy that is down.

mod sending;
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use sending::{delivered, message_id_of};
use support::office::refusal;
use support::office::{
    Lang, LogMark, Office, OfficeRun, office_home, office_kinit, office_tayori, said, write_policy,
};
use support::{
    ALICE, ALICE_IDP_PASSWORD, BOB, BOB_APP_PASSWORD, BOB_IDP_PASSWORD, Rig, driver_command,
};

const CAROL: &str = "carol@example.test";
const CAROL_IDP_PASSWORD: &str = "carol-idp-secret";

fn add_with_browser(
    office: &Office,
    home: &Path,
    user: &str,
    password: &str,
    run: OfficeRun,
) -> Output {
    office_tayori(
        office,
        home,
        &[
            "account",
            "add",
            user,
            "--browser",
            &driver_command(user, password),
        ],
        run,
    )
}

fn add_with_app_password(office: &Office, home: &Path, user: &str, run: OfficeRun) -> Output {
    let password = format!("{}-app-password", user.split('@').next().unwrap());
    office_tayori(
        office,
        home,
        &["account", "add", user, "--auth", "password"],
        run.stdin(&format!("{password}\n")),
    )
}

/// The person adds their account with its app password, syncs, and sends themself a message, each
/// step as `run` says (through the office's proxy); the send's output is returned.
fn add_sync_and_send_to_self(
    office: &Office,
    home: &Path,
    user: &str,
    subject: &str,
    run: impl Fn() -> OfficeRun,
) -> Output {
    assert_ok(
        "account add",
        &add_with_app_password(office, home, user, run()),
    );
    assert_ok("sync", &sync(office, home, run()));
    let out = send(office, home, user, user, subject, run());
    assert_ok("send", &out);
    out
}

fn sync(office: &Office, home: &Path, run: OfficeRun) -> Output {
    office_tayori(office, home, &["sync"], run)
}

fn send(
    office: &Office,
    home: &Path,
    from: &str,
    to: &str,
    subject: &str,
    run: OfficeRun,
) -> Output {
    office_tayori(
        office,
        home,
        &["send", "--from", from, "--to", to, "--subject", subject],
        run.stdin("Sent from the office, through its proxy.\n"),
    )
}

fn assert_ok(what: &str, out: &Output) {
    assert!(out.status.success(), "{what} failed:\n{}", said(out));
}

/// The Dovecot log lines written after `mark` for `user`'s logins.
fn logins(mark: &LogMark, user: &str) -> Vec<String> {
    mark.since()
        .lines()
        .filter(|l| l.contains("Login: user=<") && l.contains(&format!("user=<{user}>")))
        .map(str::to_owned)
        .collect()
}

fn dovecot_log() -> PathBuf {
    Rig::load().log_dir.join("dovecot.log")
}

fn idp_log() -> PathBuf {
    Rig::load().log_dir.join("idp.log")
}

/// An admin policy for example.test with the given IMAP and SMTP servers, app passwords allowed.
fn mail_policy(
    home: &Path,
    imap: (&str, u16, &str),
    smtp: (&str, u16, &str),
    proxy: &str,
) -> PathBuf {
    write_policy(
        home,
        &format!(
            r#"{proxy}
[[provider]]
name = "Example Office mail"
domains = ["example.test"]
imap = {{ host = "{}", port = {}, security = "{}" }}
smtp = {{ host = "{}", port = {}, security = "{}" }}
sign_in = ["password", "oauth2"]
"#,
            imap.0, imap.1, imap.2, smtp.0, smtp.1, smtp.2
        ),
    )
}

// ------------------------------------------------------------------------------ HTTP CONNECT

#[test]
fn oauth_sign_in_sync_refresh_and_send_through_an_http_connect_tunnel() {
    let office = Office::load();
    let rig = Rig::load();
    // The short-lived client: its access tokens expire in seconds, so a later sync must refresh
    // through the proxy as well.
    let home = office_home("tayori-short");
    let proxy_url = office.http_proxy(office.squid_mail_port);
    let run = || OfficeRun::default().env("HTTPS_PROXY", &proxy_url);
    let (squid, dovecot) = (
        LogMark::new(&office.squid_log),
        LogMark::new(&dovecot_log()),
    );

    let out = add_with_browser(&office, home.path(), ALICE, ALICE_IDP_PASSWORD, run());
    assert_ok("account add", &out);
    assert_ok("sync", &sync(&office, home.path(), run()));
    let log = squid.since();
    for target in [
        "CONNECT autoconfig.example.test:443",
        "CONNECT 127.0.0.1:9443",
        "CONNECT mail.example.test:10993",
        "CONNECT mail.example.test:10465",
    ] {
        assert!(
            log.contains(target),
            "expected {target} in squid's log:\n{log}"
        );
    }
    let lines = logins(&dovecot, ALICE);
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l.contains(", TLS,")),
        "TLS end to end inside the tunnel: {lines:?}"
    );

    // The access token expires; the next sync refreshes it through the proxy.
    std::thread::sleep(Duration::from_secs(rig_short_ttl(&rig) + 2));
    let idp = LogMark::new(&idp_log());
    assert_ok("sync after expiry", &sync(&office, home.path(), run()));
    assert!(
        idp.since().contains("POST /token 200"),
        "a refresh reached the IdP (only possible through the proxy):\n{}",
        idp.since()
    );

    let out = send(
        &office,
        home.path(),
        ALICE,
        BOB,
        "Through the office proxy",
        run(),
    );
    assert_ok("send", &out);
    let message_id = message_id_of(&out);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = runtime.block_on(delivered(BOB, BOB_APP_PASSWORD, "INBOX", &message_id));
    assert_eq!(received.len(), 1);
    let _ = office_tayori(&office, home.path(), &["account", "remove", ALICE], run());
}

fn rig_short_ttl(rig: &Rig) -> u64 {
    let env = std::fs::read_to_string(rig.state_dir.join("rig.env")).unwrap();
    env.lines()
        .find_map(|l| l.strip_prefix("RIG_SHORT_TTL="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(10)
}

#[test]
fn the_mail_proxy_allows_the_standard_ports_993_and_465() {
    let office = Office::load();
    let home = office_home("tayori");
    // The "guess-only" provider's servers listen on the standard ports (127.0.0.20:993/465).
    let policy = mail_policy(
        home.path(),
        ("imap.guess-only.test", 993, "tls"),
        ("smtp.guess-only.test", 465, "tls"),
        "",
    );
    let proxy_url = office.http_proxy(office.squid_mail_port);
    let run = || {
        OfficeRun::default()
            .policy(&policy)
            .env("HTTPS_PROXY", &proxy_url)
    };
    let squid = LogMark::new(&office.squid_log);
    let out = add_sync_and_send_to_self(
        &office,
        home.path(),
        "px5@example.test",
        "Standard ports through the proxy",
        run,
    );
    let log = squid.since();
    assert!(
        log.contains("CONNECT imap.guess-only.test:993")
            && log.contains("CONNECT smtp.guess-only.test:465"),
        "{log}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = runtime.block_on(delivered(
        "px5@example.test",
        "px5-app-password",
        "INBOX",
        &message_id_of(&out),
    ));
    assert_eq!(received.len(), 1);
}

#[test]
fn the_policy_can_send_mail_through_the_proxy_where_direct_connections_would_work() {
    // Run on the rig's own network, where nothing blocks IMAP: the policy alone sends it through.
    let office = Office::load();
    let home = tempfile::tempdir().unwrap();
    let policy = write_policy(
        home.path(),
        &format!(
            "[proxy]\nurl = \"{}\"\nmail = \"proxy\"\n",
            office.http_proxy(office.squid_mail_port)
        ),
    );
    let squid = LogMark::new(&office.squid_log);
    let env = [("TAYORI_POLICY_FILE", policy.as_os_str())];
    let out = support::run_tayori(
        home.path(),
        &["account", "add", "px2@example.test", "--auth", "password"],
        &env,
        Some("px2-app-password\n"),
    );
    assert_ok("account add", &out);
    assert_ok(
        "sync",
        &support::run_tayori(home.path(), &["sync"], &env, None),
    );
    let log = squid.since();
    assert!(
        log.contains("CONNECT mail.example.test:10993"),
        "the policy's mail = \"proxy\" tunnels IMAP even where it could go direct:\n{log}"
    );
}

// ------------------------------------------------------------------------------ Kerberos proxy

#[test]
fn oauth_sign_in_refresh_sync_and_send_through_a_kerberos_proxy_with_the_computers_ticket() {
    let office = Office::load();
    let rig = Rig::load();
    // The short-lived client: a later sync must refresh its token through the proxy too.
    let home = office_home("tayori-short");
    let ccname = office_kinit(&office, &home.path().join("krb5cc"));
    let proxy_url = office.http_proxy(office.squid_kerberos_port);
    let run = || {
        OfficeRun::default()
            .env("HTTPS_PROXY", &proxy_url)
            .env("KRB5_CONFIG", &office.krb5_config)
            .env("KRB5CCNAME", &ccname)
    };
    let squid = LogMark::new(&office.squid_log);
    let out = add_with_browser(&office, home.path(), ALICE, ALICE_IDP_PASSWORD, run());
    assert_ok("account add", &out);
    assert_ok("sync", &sync(&office, home.path(), run()));
    let log = squid.since();
    // The token exchange (the IdP), IMAP and submission: each through squid, signed in with the
    // ticket (the browser step went through the office's web proxy, as a browser would).
    for target in [
        "CONNECT 127.0.0.1:9443",
        "CONNECT mail.example.test:10993",
        "CONNECT mail.example.test:10465",
    ] {
        let line = format!(
            "port={} user={} {target}",
            office.squid_kerberos_port, office.krb5_principal
        );
        assert!(
            log.contains(&line),
            "expected {line} in squid's log:\n{log}"
        );
    }

    // The access token expires; the next sync (a new process) refreshes it through the proxy.
    std::thread::sleep(Duration::from_secs(rig_short_ttl(&rig) + 2));
    let idp = LogMark::new(&idp_log());
    assert_ok("sync after expiry", &sync(&office, home.path(), run()));
    assert!(
        idp.since().contains("POST /token 200"),
        "a refresh reached the IdP (only possible through the proxy):\n{}",
        idp.since()
    );

    let out = send(
        &office,
        home.path(),
        ALICE,
        BOB,
        "Through the domain's proxy",
        run(),
    );
    assert_ok("send", &out);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = runtime.block_on(delivered(
        BOB,
        BOB_APP_PASSWORD,
        "INBOX",
        &message_id_of(&out),
    ));
    assert_eq!(received.len(), 1);
    let _ = office_tayori(&office, home.path(), &["account", "remove", ALICE], run());
}

// ------------------------------------------------------------------------------ HTTPS proxy

#[test]
fn imap_and_smtp_run_inside_a_tunnel_over_tls_to_an_https_proxy_with_its_saved_sign_in() {
    let office = Office::load();
    let home = office_home("tayori");
    // Implicit TLS for IMAP, STARTTLS for submission: both inside CONNECT inside TLS to squid.
    let policy = mail_policy(
        home.path(),
        ("mail.example.test", 10993, "tls"),
        ("mail.example.test", 10587, "starttls"),
        "",
    );
    let proxy = office.proxy_at(office.squid_mail_tls_port);
    let proxy_url = format!("https://{proxy}");
    let run = || {
        OfficeRun::default()
            .policy(&policy)
            .env("HTTPS_PROXY", &proxy_url)
    };
    // Nothing saved yet (the keyring outlives a failed run of this test): the proxy's 407 is
    // named on the mail path too.
    let _ = office_tayori(&office, home.path(), &["proxy", "forget", &proxy], run());
    assert_add_refused(&office, home.path(), "px7@example.test", run, |lang| {
        refusal::proxy_credentials_needed(lang, &proxy)
    });
    let out = office_tayori(
        &office,
        home.path(),
        &["proxy", "sign-in", &proxy, "--user", &office.proxy_user],
        run().stdin(&format!("{}\n", office.proxy_password)),
    );
    assert_ok("proxy sign-in", &out);

    let (squid, dovecot) = (
        LogMark::new(&office.squid_log),
        LogMark::new(&dovecot_log()),
    );
    let out = add_sync_and_send_to_self(
        &office,
        home.path(),
        "px7@example.test",
        "Through the proxy's TLS",
        run,
    );
    let log = squid.since();
    for target in [
        "CONNECT mail.example.test:10993",
        "CONNECT mail.example.test:10587",
    ] {
        let line = format!(
            "port={} user={} {target}",
            office.squid_mail_tls_port, office.proxy_user
        );
        assert!(
            log.contains(&line),
            "expected {line} in squid's log:\n{log}"
        );
    }
    let lines = logins(&dovecot, "px7@example.test");
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l.contains(", TLS,")),
        "every login over the server's own TLS, inside the proxy's: {lines:?}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = runtime.block_on(delivered(
        "px7@example.test",
        "px7-app-password",
        "INBOX",
        &message_id_of(&out),
    ));
    assert_eq!(received.len(), 1);
    let _ = office_tayori(&office, home.path(), &["proxy", "forget", &proxy], run());
}

// ------------------------------------------------------------------------------ SOCKS5

#[test]
fn starttls_runs_end_to_end_inside_a_socks5_tunnel() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = mail_policy(
        home.path(),
        ("mail.example.test", 10143, "starttls"),
        ("mail.example.test", 10587, "starttls"),
        "",
    );
    let socks = format!("socks5h://{}", office.proxy_at(office.socks_port));
    let run = || {
        OfficeRun::default()
            .policy(&policy)
            .env("ALL_PROXY", &socks)
    };
    let (dante, dovecot) = (
        LogMark::new(&office.dante_log),
        LogMark::new(&dovecot_log()),
    );
    let out = add_sync_and_send_to_self(
        &office,
        home.path(),
        "px1@example.test",
        "STARTTLS through SOCKS",
        run,
    );
    let log = dante.since();
    assert!(
        log.contains("127.0.0.1.10143") && log.contains("127.0.0.1.10587"),
        "IMAP and submission went through dante:\n{log}"
    );
    let lines = logins(&dovecot, "px1@example.test");
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l.contains(", TLS,")),
        "every login after STARTTLS, inside the tunnel: {lines:?}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = runtime.block_on(delivered(
        "px1@example.test",
        "px1-app-password",
        "INBOX",
        &message_id_of(&out),
    ));
    assert_eq!(received.len(), 1);
}

// ------------------------------------------------------------------------------ PAC per URL

#[test]
fn a_per_url_pac_sends_the_web_through_squid_and_mail_through_socks() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = write_policy(
        home.path(),
        &format!("[proxy]\npac_url = \"{}\"\n", office.pac("per-url.pac")),
    );
    let run = || OfficeRun::default().policy(&policy);
    let (squid, dante) = (
        LogMark::new(&office.squid_log),
        LogMark::new(&office.dante_log),
    );
    assert_ok(
        "account add",
        &add_with_browser(&office, home.path(), BOB, BOB_IDP_PASSWORD, run()),
    );
    assert_ok("sync", &sync(&office, home.path(), run()));
    let out = send(&office, home.path(), BOB, BOB, "Per-URL PAC", run());
    assert_ok("send", &out);
    let (web, mail) = (squid.since(), dante.since());
    assert!(
        web.contains("port=3128") && web.contains("CONNECT 127.0.0.1:9443"),
        "sign-in through the web proxy:\n{web}"
    );
    assert!(
        !web.contains("mail.example.test"),
        "no mail through the web proxy:\n{web}"
    );
    assert!(
        mail.contains("127.0.0.1.10993") && mail.contains("127.0.0.1.10465"),
        "mail through SOCKS:\n{mail}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = runtime.block_on(delivered(
        BOB,
        BOB_APP_PASSWORD,
        "INBOX",
        &message_id_of(&out),
    ));
    assert_eq!(received.len(), 1);
    let _ = office_tayori(&office, home.path(), &["account", "remove", BOB], run());
}

// ------------------------------------------------------------------------------ TLS inspection

#[test]
fn with_the_inspection_root_installed_sign_in_sync_and_send_work_through_the_inspecting_proxy() {
    let office = Office::load();
    let home = office_home("tayori");
    let proxy_url = office.http_proxy(office.mitm_port);
    let run = || {
        OfficeRun::default()
            .env("HTTPS_PROXY", &proxy_url)
            .trusting_inspection_ca()
    };
    let mitm = LogMark::new(&office.mitm_log);
    assert_ok(
        "account add",
        &add_with_browser(&office, home.path(), CAROL, CAROL_IDP_PASSWORD, run()),
    );
    assert_ok("sync", &sync(&office, home.path(), run()));
    let out = send(
        &office,
        home.path(),
        CAROL,
        CAROL,
        "Inspected, and fine",
        run(),
    );
    assert_ok("send", &out);
    let log = mitm.since();
    assert!(
        log.contains("request POST 127.0.0.1:9443/token status=200"),
        "the token exchange went through the inspecting proxy:\n{log}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = runtime.block_on(delivered(
        CAROL,
        "carol-app-password",
        "INBOX",
        &message_id_of(&out),
    ));
    assert_eq!(received.len(), 1);
    let _ = office_tayori(&office, home.path(), &["account", "remove", CAROL], run());
}

#[test]
fn imaps_re_signed_by_an_inspecting_proxy_without_its_root_names_the_issuer() {
    // The policy sends mail through the inspecting proxy, whose root this computer lacks: IMAPS is
    // re-signed like the web, and the refusal names the inspection CA for IT, in both languages.
    let office = Office::load();
    let home = office_home("tayori");
    let policy = mail_policy(
        home.path(),
        ("imap.guess-only.test", 993, "tls"),
        ("smtp.guess-only.test", 465, "tls"),
        &format!(
            "[proxy]\nurl = \"{}\"\nmail = \"proxy\"\n",
            office.http_proxy(office.mitm_port)
        ),
    );
    assert_add_refused(
        &office,
        home.path(),
        "px3@example.test",
        || OfficeRun::default().policy(&policy),
        |lang| {
            refusal::tls_unknown_issuer(lang, "imap.guess-only.test", &office.inspection_ca_name)
        },
    );
}

// ------------------------------------------------------------------------------ refusals of the mail path

/// `account add` with an app password, in both languages: it fails at "Checking incoming mail" with
/// the given text.
fn assert_add_refused(
    office: &Office,
    home: &Path,
    user: &str,
    run: impl Fn() -> OfficeRun,
    text: impl Fn(Lang) -> String,
) {
    for lang in [Lang::En, Lang::Ja] {
        let out = add_with_app_password(office, home, user, run().lang(lang));
        assert!(!out.status.success(), "{}", said(&out));
        let expected = text(lang);
        assert!(
            said(&out).contains(&expected),
            "{lang:?}: expected\n  {expected}\nin:\n{}",
            said(&out)
        );
    }
}

#[test]
fn a_connect_refused_for_the_imap_port_993_is_named() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = mail_policy(
        home.path(),
        ("imap.guess-only.test", 993, "tls"),
        ("smtp.guess-only.test", 465, "tls"),
        "",
    );
    // The web proxy allows CONNECT to 443 only.
    let proxy = office.proxy_at(office.squid_web_port);
    let proxy_url = office.http_proxy(office.squid_web_port);
    assert_add_refused(
        &office,
        home.path(),
        "px3@example.test",
        || {
            OfficeRun::default()
                .policy(&policy)
                .env("HTTPS_PROXY", &proxy_url)
        },
        |lang| refusal::connect_refused(lang, &proxy, "imap.guess-only.test", 993, "403 Forbidden"),
    );
}

#[test]
fn a_socks_rule_refusal_is_named() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = mail_policy(
        home.path(),
        ("imap.guess-only.test", 993, "tls"),
        ("smtp.guess-only.test", 465, "tls"),
        "",
    );
    let proxy = office.proxy_at(office.socks_port);
    let socks = format!("socks5h://{proxy}");
    assert_add_refused(
        &office,
        home.path(),
        "px4@example.test",
        || {
            OfficeRun::default()
                .policy(&policy)
                .env("ALL_PROXY", &socks)
        },
        |lang| refusal::socks_refused(lang, &proxy, "imap.guess-only.test", 993),
    );
}

#[test]
fn sync_through_a_proxy_that_is_down_names_the_proxy() {
    let office = Office::load();
    let home = office_home("tayori");
    let working = office.http_proxy(office.squid_mail_port);
    assert_ok(
        "account add",
        &add_with_app_password(
            &office,
            home.path(),
            "px6@example.test",
            OfficeRun::default().env("HTTPS_PROXY", &working),
        ),
    );
    let dead = office.proxy_at(office.dead_port);
    let dead_url = office.http_proxy(office.dead_port);
    for lang in [Lang::En, Lang::Ja] {
        let out = sync(
            &office,
            home.path(),
            OfficeRun::default()
                .env("HTTPS_PROXY", &dead_url)
                .lang(lang),
        );
        assert!(!out.status.success(), "{}", said(&out));
        let expected = refusal::proxy_unreachable(lang, &dead);
        assert!(
            said(&out).contains(&expected),
            "{lang:?}: expected\n  {expected}\nin:\n{}",
            said(&out)
        );
    }
}
