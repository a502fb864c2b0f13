//! Tayori on an office network (tests/rig/proxy/): the PC reaches the Internet only through the
//! office's proxies, and this file shows that discovery and the proxy settings work the way an
//! office's IT department configures them — environment variables, GNOME's and KDE's settings, PAC
//! files and WPAD, the admin policy — with proxy authentication, TLS inspection, and a refusal text
//! in Japanese and English for every way the network can say no. Mail through the proxies (sign-in,
//! sync, send) is in tests/proxy_mail.rs.
//!
//! Every command runs on the office PC (`office_tayori`); the proxies' own logs show which way each
//! connection went.

mod support;

use std::path::Path;

use support::office::refusal::{self, PacProblem};
use support::office::{
    Lang, LogMark, Office, OfficeRun, office_command, office_home, office_kinit, office_tayori,
    said, write_policy,
};

const ALICE: &str = "alice@example.test";

fn discover(office: &Office, home: &Path, email: &str, run: OfficeRun) -> std::process::Output {
    office_tayori(office, home, &["discover", email], run)
}

/// `discover` found the rig's autoconfig document for example.test.
fn assert_found_example_test(out: &std::process::Output) {
    let text = said(out);
    assert!(
        out.status.success() && text.contains("mail.example.test:10993"),
        "discovery through the proxy should find example.test's servers:\n{text}"
    );
}

/// Runs `args` in English and in Japanese and checks each says its text.
fn assert_says_in_both(
    office: &Office,
    home: &Path,
    args: &[&str],
    run: impl Fn() -> OfficeRun,
    text: impl Fn(Lang) -> String,
) {
    for lang in [Lang::En, Lang::Ja] {
        let out = office_tayori(office, home, args, run().lang(lang));
        let expected = text(lang);
        assert!(
            !out.status.success(),
            "{args:?} should fail:\n{}",
            said(&out)
        );
        assert!(
            said(&out).contains(&expected),
            "{lang:?}: expected\n  {expected}\nin:\n{}",
            said(&out)
        );
    }
}

// ------------------------------------------------------------------------------ no proxy at all

#[test]
fn the_office_refuses_direct_connections_and_tayori_says_no_proxy_is_set() {
    let office = Office::load();
    let home = office_home("tayori");
    let squid = LogMark::new(&office.squid_log);
    assert_says_in_both(
        &office,
        home.path(),
        &["discover", ALICE],
        OfficeRun::default,
        refusal::direct_refused_no_proxy,
    );
    assert!(
        squid.since().trim().is_empty(),
        "nothing configured, nothing through the proxy"
    );
}

// ------------------------------------------------------------------------------ environment variables

#[test]
fn discovery_goes_through_the_proxy_named_by_https_proxy() {
    let office = Office::load();
    let home = office_home("tayori");
    let squid = LogMark::new(&office.squid_log);
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default().env("HTTPS_PROXY", office.http_proxy(office.squid_web_port)),
    );
    assert_found_example_test(&out);
    let log = squid.since();
    assert!(
        log.contains("port=3128") && log.contains("CONNECT autoconfig.example.test:443"),
        "the autoconfig document came through squid's CONNECT:\n{log}"
    );
}

#[test]
fn plain_http_goes_through_the_proxy_named_by_http_proxy() {
    let office = Office::load();
    let home = office_home("tayori");
    let squid = LogMark::new(&office.squid_log);
    // http-only.test publishes its autoconfig document over plain HTTP only.
    let out = discover(
        &office,
        home.path(),
        "someone@http-only.test",
        OfficeRun::default()
            .env("HTTP_PROXY", office.http_proxy(office.squid_web_port))
            .env("HTTPS_PROXY", office.http_proxy(office.squid_web_port)),
    );
    let log = squid.since();
    assert!(
        log.contains("GET http://autoconfig.http-only.test/"),
        "plain HTTP is sent to the proxy as an absolute-URI request:\n{log}\n{}",
        said(&out)
    );
}

#[test]
fn no_proxy_names_the_hosts_that_go_direct() {
    let office = Office::load();
    let home = office_home("tayori");
    let squid = LogMark::new(&office.squid_log);
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default()
            .env("HTTPS_PROXY", office.http_proxy(office.squid_mail_port))
            .env("NO_PROXY", "autoconfig.example.test,.office.test"),
    );
    let log = squid.since();
    assert!(
        !log.contains("autoconfig.example.test"),
        "autoconfig.example.test is in NO_PROXY, so it must not go through the proxy:\n{log}"
    );
    assert!(
        log.contains("CONNECT "),
        "the other sources still go through the proxy:\n{log}\n{}",
        said(&out)
    );
}

#[test]
fn socks5_from_all_proxy_carries_discovery() {
    let office = Office::load();
    let home = office_home("tayori");
    let dante = LogMark::new(&office.dante_log);
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default().env(
            "ALL_PROXY",
            format!("socks5h://{}", office.proxy_at(office.socks_port)),
        ),
    );
    assert_found_example_test(&out);
    let log = dante.since();
    assert!(
        log.contains("127.0.0.10.443"),
        "the autoconfig server (127.0.0.10:443) was reached through dante:\n{log}"
    );
}

// ------------------------------------------------------------------------------ PAC and WPAD

fn pac_policy(home: &Path, url: &str) -> std::path::PathBuf {
    write_policy(home, &format!("[proxy]\npac_url = \"{url}\"\n"))
}

#[test]
fn a_pac_file_pinned_by_the_admin_policy_routes_discovery() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = pac_policy(home.path(), &office.pac("office.pac"));
    let (squid, pac) = (
        LogMark::new(&office.squid_log),
        LogMark::new(&office.pac_log),
    );
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default().policy(&policy),
    );
    assert_found_example_test(&out);
    assert!(
        pac.since().contains("path=/office.pac status=200"),
        "{}",
        pac.since()
    );
    let log = squid.since();
    assert!(
        log.contains("port=3130") && log.contains("CONNECT autoconfig.example.test:443"),
        "office.pac names proxy.office.test:3130 for Internet hosts:\n{log}"
    );
}

#[test]
fn pac_answers_are_per_url_direct_for_one_host_and_the_proxy_for_the_rest() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = pac_policy(home.path(), &office.pac("split.pac"));
    let squid = LogMark::new(&office.squid_log);
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default().policy(&policy),
    );
    let log = squid.since();
    assert!(
        !log.contains("autoconfig.example.test"),
        "split.pac sends autoconfig.example.test DIRECT:\n{log}"
    );
    assert!(
        log.contains("port=3130 ") && log.contains("CONNECT "),
        "and everything else through the proxy:\n{log}\n{}",
        said(&out)
    );
    assert!(
        said(&out).contains("autoconfig.example.test"),
        "the discovery trace names the source that was refused:\n{}",
        said(&out)
    );
}

#[test]
fn pac_fallbacks_are_tried_in_order() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = pac_policy(home.path(), &office.pac("fallback.pac"));
    let squid = LogMark::new(&office.squid_log);
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default().policy(&policy),
    );
    assert_found_example_test(&out);
    assert!(
        squid
            .since()
            .contains("port=3130 user=- CONNECT autoconfig.example.test:443"),
        "after the dead first proxy, the second one: {}",
        squid.since()
    );
}

fn gsettings(office: &Office, home: &Path, key: &str, value: &str) {
    let (schema, key) = key
        .rsplit_once(' ')
        .unwrap_or(("org.gnome.system.proxy", key));
    let out = office_command(
        office,
        home,
        "env",
        &[
            "GSETTINGS_BACKEND=keyfile",
            "gsettings",
            "set",
            schema,
            key,
            value,
        ],
    );
    assert!(out.status.success(), "gsettings: {}", said(&out));
}

/// GNOME's desktop, with its settings in the keyfile backend under the test's desktop folder.
fn gnome(run: OfficeRun) -> OfficeRun {
    run.env("XDG_CURRENT_DESKTOP", "GNOME")
        .env("GSETTINGS_BACKEND", "keyfile")
}

#[test]
fn wpad_finds_the_pac_file_when_gnome_says_automatic_without_a_url() {
    let office = Office::load();
    let home = office_home("tayori");
    gsettings(&office, home.path(), "mode", "auto");
    gsettings(&office, home.path(), "autoconfig-url", "''");
    let (squid, pac) = (
        LogMark::new(&office.squid_log),
        LogMark::new(&office.pac_log),
    );
    let out = discover(&office, home.path(), ALICE, gnome(OfficeRun::default()));
    assert_found_example_test(&out);
    assert!(
        pac.since()
            .contains("host=wpad.office.test path=/wpad.dat status=200"),
        "WPAD: http://wpad.<search domain>/wpad.dat:\n{}",
        pac.since()
    );
    assert!(squid.since().contains("port=3130"), "{}", squid.since());
}

#[test]
fn gnome_manual_proxy_settings_are_followed() {
    let office = Office::load();
    let home = office_home("tayori");
    gsettings(&office, home.path(), "mode", "manual");
    gsettings(
        &office,
        home.path(),
        "org.gnome.system.proxy.https host",
        "'proxy.office.test'",
    );
    gsettings(
        &office,
        home.path(),
        "org.gnome.system.proxy.https port",
        &office.squid_web_port.to_string(),
    );
    // The Internet's addresses are loopback addresses in the rig, so GNOME's default exception
    // 127.0.0.0/8 is left out here (README, "Office network").
    gsettings(&office, home.path(), "ignore-hosts", "['localhost', '::1']");
    let squid = LogMark::new(&office.squid_log);
    let out = discover(&office, home.path(), ALICE, gnome(OfficeRun::default()));
    assert_found_example_test(&out);
    assert!(
        squid
            .since()
            .contains("port=3128 user=- CONNECT autoconfig.example.test:443"),
        "{}",
        squid.since()
    );
}

#[test]
fn gnome_automatic_with_a_pac_url_is_followed() {
    let office = Office::load();
    let home = office_home("tayori");
    gsettings(&office, home.path(), "mode", "auto");
    gsettings(
        &office,
        home.path(),
        "autoconfig-url",
        &format!("'{}'", office.pac("office.pac")),
    );
    let pac = LogMark::new(&office.pac_log);
    let out = discover(&office, home.path(), ALICE, gnome(OfficeRun::default()));
    assert_found_example_test(&out);
    assert!(pac.since().contains("path=/office.pac"), "{}", pac.since());
}

#[test]
fn kde_proxy_settings_are_followed() {
    let office = Office::load();
    let home = office_home("tayori");
    // KDE keeps them in kioslaverc: ProxyType 2 is "use a proxy configuration script".
    std::fs::write(
        home.path().join("desktop-config/kioslaverc"),
        format!(
            "[Proxy Settings]\nProxyType=2\nProxy Config Script={}\n",
            office.pac("office.pac")
        ),
    )
    .unwrap();
    let pac = LogMark::new(&office.pac_log);
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default()
            .env("XDG_CURRENT_DESKTOP", "KDE")
            .env("KDE_FULL_SESSION", "true"),
    );
    assert_found_example_test(&out);
    assert!(pac.since().contains("path=/office.pac"), "{}", pac.since());
}

// ------------------------------------------------------------------------------ policy and overrides

#[test]
fn the_admin_policy_pins_the_proxy_and_neither_the_environment_nor_the_person_overrides_it() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = write_policy(
        home.path(),
        &format!(
            "[proxy]\nurl = \"{}\"\nuser_may_override = false\n",
            office.http_proxy(office.squid_mail_port)
        ),
    );
    let dead = office.http_proxy(office.dead_port);
    std::fs::write(
        home.path().join("config/tayori.toml"),
        format!(
            "[oauth.client_ids]\n\"https://127.0.0.1:9443\" = \"tayori\"\n\n[proxy]\nurl = \"{dead}\"\n"
        ),
    )
    .unwrap();
    let run = || {
        OfficeRun::default()
            .policy(&policy)
            .env("HTTPS_PROXY", &dead)
    };
    let squid = LogMark::new(&office.squid_log);
    let out = discover(&office, home.path(), ALICE, run());
    assert_found_example_test(&out);
    assert!(squid.since().contains("port=3130"), "{}", squid.since());

    let out = office_tayori(
        &office,
        home.path(),
        &["proxy", "show", "https://autoconfig.example.test/"],
        run(),
    );
    let text = said(&out);
    assert!(
        out.status.success()
            && text.contains("admin policy")
            && text.contains(&office.proxy_at(office.squid_mail_port)),
        "`tayori proxy show` says where the answer comes from:\n{text}"
    );
}

#[test]
fn where_the_policy_allows_it_the_persons_own_setting_wins() {
    let office = Office::load();
    let home = office_home("tayori");
    let policy = write_policy(
        home.path(),
        &format!(
            "[proxy]\nurl = \"{}\"\nuser_may_override = true\n",
            office.http_proxy(office.squid_mail_port)
        ),
    );
    std::fs::write(
        home.path().join("config/tayori.toml"),
        format!(
            "[oauth.client_ids]\n\"https://127.0.0.1:9443\" = \"tayori\"\n\n[proxy]\nurl = \"{}\"\n",
            office.http_proxy(office.squid_web_port)
        ),
    )
    .unwrap();
    let squid = LogMark::new(&office.squid_log);
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default().policy(&policy),
    );
    assert_found_example_test(&out);
    let log = squid.since();
    assert!(
        log.contains("port=3128") && !log.contains("port=3130"),
        "the person's proxy (3128), not the policy's default (3130):\n{log}"
    );
}

// ------------------------------------------------------------------------------ proxy authentication

fn proxy_sign_in(office: &Office, home: &Path, run: OfficeRun, password: &str) -> String {
    let out = office_tayori(
        office,
        home,
        &["proxy", "sign-in", "--user", &office.proxy_user],
        run.stdin(&format!("{password}\n")),
    );
    assert!(out.status.success(), "proxy sign-in: {}", said(&out));
    said(&out)
}

/// Every file under `dir` is free of `secret`.
fn assert_not_on_disk(dir: &Path, secret: &str) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "the proxy password is in {}",
                path.display()
            );
        }
    }
}

#[test]
fn basic_authentication_over_tls_is_asked_once_and_kept_in_the_keyring() {
    let office = Office::load();
    let home = office_home("tayori");
    let proxy_url = format!("https://{}", office.proxy_at(office.squid_auth_tls_port));
    let proxy = office.proxy_at(office.squid_auth_tls_port);
    let run = || OfficeRun::default().env("HTTPS_PROXY", &proxy_url);

    // Nothing saved yet: the 407 is reported as what it is.
    assert_says_in_both(&office, home.path(), &["discover", ALICE], run, |lang| {
        refusal::proxy_credentials_needed(lang, &proxy)
    });

    // Entered once…
    let said_sign_in = proxy_sign_in(&office, home.path(), run(), &office.proxy_password);
    assert!(said_sign_in.contains("keyring"), "{said_sign_in}");
    // …then used by every command without asking again.
    let squid = LogMark::new(&office.squid_log);
    for _ in 0..2 {
        let out = discover(&office, home.path(), ALICE, run());
        assert_found_example_test(&out);
    }
    let log = squid.since();
    assert!(
        log.contains(&format!("port=3443 user={}", office.proxy_user)),
        "squid authenticated the office account:\n{log}"
    );
    assert_not_on_disk(home.path(), &office.proxy_password);

    // A wrong password is named as such.
    proxy_sign_in(&office, home.path(), run(), "not-the-proxy-password");
    assert_says_in_both(&office, home.path(), &["discover", ALICE], run, |lang| {
        refusal::proxy_credentials_refused(lang, &proxy, &office.proxy_user)
    });
    let out = office_tayori(&office, home.path(), &["proxy", "forget"], run());
    assert!(out.status.success(), "{}", said(&out));
}

#[test]
fn basic_authentication_over_plain_http_is_refused_before_any_password_is_sent() {
    let office = Office::load();
    let home = office_home("tayori");
    let proxy = office.proxy_at(office.squid_auth_http_port);
    let proxy_url = office.http_proxy(office.squid_auth_http_port);
    let run = || OfficeRun::default().env("HTTPS_PROXY", &proxy_url);
    // Even with the person's password saved for this proxy…
    proxy_sign_in(&office, home.path(), run(), &office.proxy_password);
    let squid = LogMark::new(&office.squid_log);
    assert_says_in_both(&office, home.path(), &["discover", ALICE], run, |lang| {
        refusal::proxy_password_unencrypted(lang, &proxy)
    });
    // …it never crossed the unencrypted connection.
    let log = squid.since();
    assert!(
        log.contains("port=3129 user=-") && !log.contains("user=tanaka"),
        "{log}"
    );
    let _ = office_tayori(&office, home.path(), &["proxy", "forget"], run());
}

#[test]
fn an_ntlm_only_proxy_is_reported_as_a_challenge_tayori_cannot_answer() {
    let office = Office::load();
    let home = office_home("tayori");
    let proxy = office.proxy_at(office.squid_ntlm_port);
    let proxy_url = office.http_proxy(office.squid_ntlm_port);
    assert_says_in_both(
        &office,
        home.path(),
        &["discover", ALICE],
        || OfficeRun::default().env("HTTPS_PROXY", &proxy_url),
        |lang| refusal::proxy_scheme_unsupported(lang, &proxy, "NTLM"),
    );
}

#[test]
fn a_kerberos_proxy_is_answered_with_the_computers_ticket_and_its_absence_is_named() {
    let office = Office::load();
    let home = office_home("tayori");
    let proxy = office.proxy_at(office.squid_kerberos_port);
    let proxy_url = office.http_proxy(office.squid_kerberos_port);
    let run = |ccname: &str| {
        OfficeRun::default()
            .env("HTTPS_PROXY", &proxy_url)
            .env("KRB5_CONFIG", &office.krb5_config)
            .env("KRB5CCNAME", ccname)
    };

    // Not signed in to the domain (an empty ticket cache): the 407 is named for what it asks.
    let nobody = format!("FILE:{}", home.path().join("no-tickets").display());
    assert_says_in_both(
        &office,
        home.path(),
        &["discover", ALICE],
        || run(&nobody),
        |lang| refusal::proxy_kerberos_unavailable(lang, &proxy),
    );

    // Signed in (kinit with the worker's keytab, as a domain PC holds a ticket after sign-in):
    // discovery goes through squid, which checked each ticket against the proxy's keytab.
    let ccname = office_kinit(&office, &home.path().join("krb5cc"));
    let (squid, kdc) = (
        LogMark::new(&office.squid_log),
        LogMark::new(&office.kdc_log),
    );
    for _ in 0..2 {
        assert_found_example_test(&discover(&office, home.path(), ALICE, run(&ccname)));
    }
    let log = squid.since();
    let signed_in = format!(
        "port={} user={} CONNECT",
        office.squid_kerberos_port, office.krb5_principal
    );
    // Several requests, each with its own token: squid's replay cache refuses a token seen twice.
    assert!(
        log.matches(&signed_in).count() >= 2,
        "squid should log requests signed in as {}:\n{log}",
        office.krb5_principal
    );
    assert!(
        kdc.since().contains("HTTP/proxy.office.test@OFFICE.TEST"),
        "the ticket for the proxy came from the office's KDC:\n{}",
        kdc.since()
    );
}

// ------------------------------------------------------------------------------ the other refusals

#[test]
fn a_proxy_that_is_down_is_named() {
    let office = Office::load();
    let home = office_home("tayori");
    let proxy = office.proxy_at(office.dead_port);
    let proxy_url = office.http_proxy(office.dead_port);
    assert_says_in_both(
        &office,
        home.path(),
        &["discover", ALICE],
        || OfficeRun::default().env("HTTPS_PROXY", &proxy_url),
        |lang| refusal::proxy_unreachable(lang, &proxy),
    );
}

#[test]
fn an_unusable_pac_file_is_named_with_what_went_wrong() {
    let office = Office::load();
    let cases = [
        ("missing.pac", PacProblem::Http404),
        ("broken.pac", PacProblem::NotJavaScript),
        ("throws.pac", PacProblem::FindProxyFailed),
        ("hang.pac", PacProblem::NoAnswer),
    ];
    std::thread::scope(|scope| {
        for (name, problem) in cases {
            let office = &office;
            scope.spawn(move || {
                let home = office_home("tayori");
                let url = office.pac(name);
                let policy = pac_policy(home.path(), &url);
                assert_says_in_both(
                    office,
                    home.path(),
                    &["discover", ALICE],
                    || OfficeRun::default().policy(&policy),
                    |lang| refusal::pac_unusable(lang, &url, problem),
                );
            });
        }
    });
}

#[test]
fn tls_inspection_without_its_root_names_the_issuer_and_that_it_must_be_installed() {
    let office = Office::load();
    let home = office_home("tayori");
    let proxy_url = office.http_proxy(office.mitm_port);
    let mitm = LogMark::new(&office.mitm_log);
    assert_says_in_both(
        &office,
        home.path(),
        &["discover", ALICE],
        || OfficeRun::default().env("HTTPS_PROXY", &proxy_url),
        |lang| refusal::tls_resigned(lang, "autoconfig.example.test", &office.inspection_ca_name),
    );
    let log = mitm.since();
    assert!(
        log.contains("tls-client-failed autoconfig.example.test"),
        "Tayori refused the re-signed certificate in the handshake:\n{log}"
    );
    // mitmproxy logs the CONNECTs themselves as requests too (those to hosts that do not exist
    // end in 502); what must be missing is any request inside a re-signed connection.
    assert!(
        !log.lines()
            .any(|l| l.contains(" request ") && !l.contains(" request CONNECT ")),
        "no request crossed the untrusted connection:\n{log}"
    );
}

#[test]
fn tls_inspection_with_its_root_installed_works_like_any_trusted_site() {
    let office = Office::load();
    let home = office_home("tayori");
    let mitm = LogMark::new(&office.mitm_log);
    let out = discover(
        &office,
        home.path(),
        ALICE,
        OfficeRun::default()
            .env("HTTPS_PROXY", office.http_proxy(office.mitm_port))
            .trusting_inspection_ca(),
    );
    assert_found_example_test(&out);
    assert!(
        mitm.since()
            .contains("request GET autoconfig.example.test:443/mail/config-v1.1.xml status=200"),
        "the inspecting proxy saw the request it re-signed:\n{}",
        mitm.since()
    );
}
