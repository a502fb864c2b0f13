//! Microsoft 365, Outlook.com and Gmail as they are (issue 14), end to end through the command line,
//! against the rig's provider emulators (tests/rig/README.md, "Provider emulators"): Tayori resolves
//! login.microsoftonline.com, accounts.google.com, outlook.office365.com … through the rig's DNS
//! and meets Entra's consent policy, conditional access and AADSTS answers, Google's client secret
//! and offline access, and Dovecot checking each provider's tokens.
//!
//! A test that changes an emulator's directory (a rule, a consent) does it for its own people and
//! puts it back. The built-in registrations are the rig's apps: tests/run.sh builds with
//! TAYORI_MICROSOFT_CLIENT_ID / TAYORI_GOOGLE_CLIENT_ID / TAYORI_GOOGLE_CLIENT_SECRET set to them,
//! as the release workflow sets the project's own.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::*;

const ENTRA_ADMIN: &str = "127.0.0.30:9000";
const GOOGLE_ADMIN: &str = "127.0.0.40:9000";
const TAYORI_MS: &str = "7a3e0000-0000-4000-8000-00000000a001";
const TAYORI_MS_NO_PUBLIC_FLOWS: &str = "7a3e0000-0000-4000-8000-00000000a003";
const CONTOSO_APP: &str = "c0c00000-0000-4000-8000-00000000a004";
const CONTOSO_TID: &str = "aaaabbbb-0000-4c0c-8000-000000000001";
const FABRIKAM_TID: &str = "aaaabbbb-0000-4fab-8000-000000000002";
const GOOGLE_DESKTOP: &str = "406000000001-tayoririgdesktop.apps.googleusercontent.com";

fn entra_password(upn: &str) -> String {
    format!("{}-entra-secret", upn.split('@').next().unwrap())
}

fn google_password(email: &str) -> String {
    format!("{}-google-secret", email.split('@').next().unwrap())
}

/// A request to an emulator's admin API (plain HTTP on loopback, JSON).
fn admin(addr: &str, method: &str, path: &str, body: Option<&str>) -> String {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| {
        panic!("the rig's provider emulator at {addr} is not running ({e}): start the rig with tests/rig/start.sh")
    });
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 2"),
        "{method} {path}: {answer}"
    );
    answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

fn entra(method: &str, path: &str, body: Option<&str>) -> String {
    admin(ENTRA_ADMIN, method, path, body)
}

fn google(method: &str, path: &str, body: Option<&str>) -> String {
    admin(GOOGLE_ADMIN, method, path, body)
}

/// The tests that change Contoso's tenant-wide consent for Tayori (grant, withdraw) take turns: one
/// test's admin consent would otherwise let another's person in without the consent page.
static CONTOSO_CONSENT: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn contoso_consent() -> std::sync::MutexGuard<'static, ()> {
    CONTOSO_CONSENT.lock().unwrap_or_else(|p| p.into_inner())
}

/// A person's rules and consents back to the directory's defaults.
fn reset_entra_person(upn: &str) {
    entra("DELETE", &format!("/rules?user={upn}"), None);
    entra("DELETE", &format!("/users/{upn}/grants"), None);
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn accounts_file(home: &Path) -> String {
    std::fs::read_to_string(home.join("config/accounts.toml")).unwrap_or_default()
}

/// `tayori ARGS` with the browser played by tests/browser-driver.py signing in as `user`.
fn with_browser(
    home: &Path,
    args: &[&str],
    user: &str,
    password: &str,
    env: &[(&str, &str)],
) -> Output {
    let driver = driver_command(user, password);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--browser", &driver]);
    let env: Vec<(&str, &std::ffi::OsStr)> = env.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    run_tayori(home, &all, &env, None)
}

fn page_file(home: &Path) -> PathBuf {
    home.join("browser-page.html")
}

fn assert_not_told_to_sign_in_again(said: &str) {
    for words in ["sign in again", "reauth"] {
        assert!(
            !said.to_lowercase().contains(words),
            "signing in again does not help here, yet Tayori says so: {said}"
        );
    }
}

fn assert_no_trace_noise(said: &str) {
    assert!(
        !said.contains("Trace ID") && !said.contains("Correlation ID"),
        "the provider's diagnostics are for the log, not for the person: {said}"
    );
}

// --------------------------------------------------------------------------------------------
// 1. Built-in registrations
// --------------------------------------------------------------------------------------------

#[test]
fn the_version_names_the_built_in_registrations() {
    let out = Command::new(env!("CARGO_BIN_EXE_tayori"))
        .arg("--version")
        .output()
        .unwrap();
    let said = text(&out);
    assert!(
        said.contains("Microsoft") && said.contains(TAYORI_MS),
        "this build carries the rig's Microsoft registration (tests/run.sh builds with \
         TAYORI_MICROSOFT_CLIENT_ID; run the suite through it): {said}"
    );
    assert!(
        said.contains("Google") && said.contains(GOOGLE_DESKTOP),
        "{said}"
    );
    assert!(
        !said.contains("GOCSPX"),
        "the Google secret is configuration, but --version has no reason to print it: {said}"
    );
}

#[test]
fn a_fabrikam_person_signs_in_out_of_the_box_and_the_tenant_is_learned() {
    let _ = Rig::load();
    let upn = "t01@fabrikam.test";
    reset_entra_person(upn);
    let home = tempfile::tempdir().unwrap();
    let page = page_file(home.path());
    let out = with_browser(
        home.path(),
        &["account", "add", upn],
        upn,
        &entra_password(upn),
        &[("BROWSER_DRIVER_PAGE_OUT", page.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", text(&out));
    let saved = accounts_file(home.path());
    assert!(saved.contains(TAYORI_MS), "the built-in client id: {saved}");
    assert!(
        saved.contains(&format!(
            "https://login.microsoftonline.com/{FABRIKAM_TID}/oauth2/v2.0/token"
        )),
        "after the first sign-in the tenant is learned and kept for refreshes: {saved}"
    );
    let shown = std::fs::read_to_string(&page).unwrap();
    assert!(
        shown.contains("signed in") || shown.contains("You are signed in"),
        "the browser page confirms once the account is saved: {shown}"
    );
    // a refresh at the tenant's own path works
    let out = run_tayori(home.path(), &["sync"], &[], None);
    assert!(out.status.success(), "{}", text(&out));
    // an account saved at `common` (by an older Tayori) learns its tenant when it signs in again
    let path = home.path().join("config/accounts.toml");
    std::fs::write(
        &path,
        accounts_file(home.path()).replace(FABRIKAM_TID, "common"),
    )
    .unwrap();
    assert!(!accounts_file(home.path()).contains(FABRIKAM_TID));
    let out = with_browser(
        home.path(),
        &["account", "reauth", upn],
        upn,
        &entra_password(upn),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        accounts_file(home.path()).contains(&format!(
            "https://login.microsoftonline.com/{FABRIKAM_TID}/oauth2/v2.0/token"
        )),
        "{}",
        accounts_file(home.path())
    );
    let _ = run_tayori(home.path(), &["account", "remove", upn], &[], None);
}

// --------------------------------------------------------------------------------------------
// 2. Microsoft: consent, admin consent, interaction_required
// --------------------------------------------------------------------------------------------

fn admin_consent_link(said: &str) -> String {
    let start = said
        .find("https://login.microsoftonline.com/")
        .unwrap_or_else(|| panic!("no admin-consent link: {said}"));
    said[start..].split_whitespace().next().unwrap().to_owned()
}

#[test]
fn missing_consent_shows_the_admin_consent_link_and_the_admin_fixes_it() {
    let _ = Rig::load();
    let _turn = contoso_consent();
    let upn = "t03@contoso.test";
    reset_entra_person(upn);
    entra(
        "DELETE",
        &format!("/tenants/contoso.test/grants/{TAYORI_MS}"),
        None,
    );
    let home = tempfile::tempdir().unwrap();
    let page = page_file(home.path());
    let out = with_browser(
        home.path(),
        &["account", "add", upn],
        upn,
        &entra_password(upn),
        &[
            ("BROWSER_DRIVER_ADMIN_APPROVAL", "return"),
            ("BROWSER_DRIVER_PAGE_OUT", page.to_str().unwrap()),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("administrator"), "{said}");
    assert_not_told_to_sign_in_again(&said);
    assert_no_trace_noise(&said);
    assert!(
        !said.contains("app password"),
        "Exchange Online takes no password; consent is what is missing: {said}"
    );
    let link = admin_consent_link(&said);
    assert!(
        link.starts_with(&format!(
            "https://login.microsoftonline.com/contoso.test/v2.0/adminconsent?client_id={TAYORI_MS}"
        )) && link.contains("IMAP.AccessAsUser.All"),
        "{link}"
    );
    assert!(!accounts_file(home.path()).contains(upn), "nothing saved");
    let shown = std::fs::read_to_string(&page).unwrap();
    assert!(
        !shown.contains("You are signed in"),
        "the browser must not say signed in: {shown}"
    );

    // The administrator opens the link.
    let url_out = home.path().join("admin-consent-answer");
    let admin = Command::new("python3")
        .arg(format!(
            "{}/tests/browser-driver.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args([
            "admin@contoso.test",
            &entra_password("admin@contoso.test"),
            &link,
        ])
        .env("TAYORI_DNS_SERVER", "127.0.0.1:10053")
        .env("BROWSER_DRIVER_URL_OUT", &url_out)
        .output()
        .unwrap();
    assert!(admin.status.success(), "{}", text(&admin));
    let answer = std::fs::read_to_string(&url_out).unwrap();
    assert!(
        answer.contains("admin_consent=True") && answer.contains(CONTOSO_TID),
        "{answer}"
    );

    // Now the person signs in with no consent page.
    let out = with_browser(
        home.path(),
        &["account", "add", upn],
        upn,
        &entra_password(upn),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let _ = run_tayori(home.path(), &["account", "remove", upn], &[], None);
    entra(
        "DELETE",
        &format!("/tenants/contoso.test/grants/{TAYORI_MS}"),
        None,
    );
}

#[test]
fn the_admin_consent_link_is_told_in_japanese_too() {
    let _ = Rig::load();
    let _turn = contoso_consent();
    let upn = "t04@contoso.test";
    reset_entra_person(upn);
    entra(
        "DELETE",
        &format!("/tenants/contoso.test/grants/{TAYORI_MS}"),
        None,
    );
    let home = tempfile::tempdir().unwrap();
    let out = with_browser(
        home.path(),
        &["account", "add", upn],
        upn,
        &entra_password(upn),
        &[
            ("BROWSER_DRIVER_ADMIN_APPROVAL", "return"),
            ("LANG", "ja_JP.UTF-8"),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("管理者"), "{said}");
    assert!(
        said.contains("メール サーバー") || said.contains("メールサーバー"),
        "the command line's own lines are Japanese too: {said}"
    );
    assert!(
        admin_consent_link(&said).contains("/contoso.test/v2.0/adminconsent?client_id="),
        "{said}"
    );
}

/// Adds `upn` (Fabrikam: users may consent) and returns its home.
fn fabrikam_account(upn: &str) -> tempfile::TempDir {
    reset_entra_person(upn);
    let home = tempfile::tempdir().unwrap();
    let out = with_browser(
        home.path(),
        &["account", "add", upn],
        upn,
        &entra_password(upn),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    home
}

#[test]
fn mfa_required_on_refresh_marks_the_account_and_a_new_sign_in_fixes_it() {
    let _ = Rig::load();
    let upn = "t02@fabrikam.test";
    let home = fabrikam_account(upn);
    let out = run_tayori(home.path(), &["sync"], &[], None);
    assert!(out.status.success(), "{}", text(&out));
    let listed_before = run_tayori(home.path(), &["list", "--account", upn], &[], None);
    assert!(listed_before.status.success(), "{}", text(&listed_before));
    entra(
        "POST",
        "/rules",
        Some(&format!(r#"{{"kind":"mfa","user":"{upn}"}}"#)),
    );
    let out = run_tayori(home.path(), &["sync"], &[], None);
    assert!(!out.status.success(), "{}", text(&out));
    // nothing is lost: the mail on disk stays readable while the account waits for a sign-in
    let listed_after = run_tayori(home.path(), &["list", "--account", upn], &[], None);
    assert!(listed_after.status.success(), "{}", text(&listed_after));
    assert_eq!(
        String::from_utf8_lossy(&listed_after.stdout),
        String::from_utf8_lossy(&listed_before.stdout)
    );
    let said = text(&out);
    assert!(
        said.contains("multi-factor"),
        "AADSTS50076 is explained: {said}"
    );
    assert_no_trace_noise(&said);
    let listed = text(&run_tayori(home.path(), &["account", "list"], &[], None));
    assert!(listed.contains("needs sign-in"), "{listed}");
    assert_no_trace_noise(&listed);
    assert!(
        !accounts_file(home.path()).contains("Trace ID"),
        "{}",
        accounts_file(home.path())
    );
    // signing in again, with the second factor, helps here
    let out = with_browser(
        home.path(),
        &["account", "reauth", upn],
        upn,
        &entra_password(upn),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run_tayori(home.path(), &["sync"], &[], None);
    assert!(out.status.success(), "{}", text(&out));
    reset_entra_person(upn);
    let _ = run_tayori(home.path(), &["account", "remove", upn], &[], None);
}

#[test]
fn conditional_access_on_refresh_is_explained_without_sign_in_again() {
    let _ = Rig::load();
    let upn = "t03@fabrikam.test";
    let home = fabrikam_account(upn);
    entra(
        "POST",
        "/rules",
        Some(&format!(
            r#"{{"kind":"ca_block","user":"{upn}","at":["token"]}}"#
        )),
    );
    let out = run_tayori(home.path(), &["sync"], &[], None);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("conditional-access"), "{said}");
    assert_not_told_to_sign_in_again(&said);
    assert_no_trace_noise(&said);
    let out = run_tayori(
        home.path(),
        &["sync"],
        &[("LANG", "ja_JP.UTF-8".as_ref())],
        None,
    );
    assert!(text(&out).contains("条件付きアクセス"), "{}", text(&out));
    reset_entra_person(upn);
    let _ = run_tayori(home.path(), &["account", "remove", upn], &[], None);
}

#[test]
fn consent_withdrawn_on_refresh_is_told_as_consent() {
    let _ = Rig::load();
    let upn = "t04@fabrikam.test";
    let home = fabrikam_account(upn);
    entra("DELETE", &format!("/users/{upn}/grants"), None);
    let out = run_tayori(home.path(), &["sync"], &[], None);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        !said.to_lowercase().starts_with("you need to sign in again")
            && !said.contains("you need to sign in again"),
        "{said}"
    );
    assert!(
        said.contains("permission") || said.contains("consent"),
        "{said}"
    );
    assert!(
        said.contains("/fabrikam.test/v2.0/adminconsent?")
            || said.contains(&format!("/{FABRIKAM_TID}/v2.0/adminconsent?")),
        "{said}"
    );
    assert_no_trace_noise(&said);
    let _ = run_tayori(home.path(), &["account", "remove", upn], &[], None);
}

#[test]
fn the_browser_says_signed_in_only_after_the_account_is_verified_and_saved() {
    let _ = Rig::load();
    let upn = "t05@fabrikam.test";
    reset_entra_person(upn);
    reset_entra_person("t06@fabrikam.test");
    let home = tempfile::tempdir().unwrap();
    let page = page_file(home.path());
    // the person signs in at the provider as someone else: IMAP refuses that token
    let out = with_browser(
        home.path(),
        &["account", "add", upn],
        "t06@fabrikam.test",
        &entra_password("t06@fabrikam.test"),
        &[("BROWSER_DRIVER_PAGE_OUT", page.to_str().unwrap())],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let shown = std::fs::read_to_string(&page).unwrap();
    assert!(
        !shown.contains("You are signed in") && shown.contains("Tayori"),
        "the page sends the person back to Tayori: {shown}"
    );
    assert!(!accounts_file(home.path()).contains(upn));
}

#[test]
fn an_organisations_own_app_pinned_in_the_policy_signs_in_at_its_tenant() {
    let _ = Rig::load();
    let upn = "t05@contoso.test";
    reset_entra_person(upn);
    let home = tempfile::tempdir().unwrap();
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            r#"[[provider]]
name = "Contoso"
domains = ["contoso.test"]
imap = {{ host = "outlook.office365.com", port = 993, security = "tls" }}
smtp = {{ host = "smtp.office365.com", port = 587, security = "starttls" }}
sign_in = ["oauth2"]
[provider.oauth2]
issuer = "https://login.microsoftonline.com/{CONTOSO_TID}/v2.0"
authorization_endpoint = "https://login.microsoftonline.com/{CONTOSO_TID}/oauth2/v2.0/authorize"
token_endpoint = "https://login.microsoftonline.com/{CONTOSO_TID}/oauth2/v2.0/token"
scopes = ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"]
client_id = "{CONTOSO_APP}"
"#
        ),
    )
    .unwrap();
    let driver = driver_command(upn, &entra_password(upn));
    let out = run_tayori(
        home.path(),
        &["account", "add", upn, "--browser", &driver],
        &[("TAYORI_POLICY_FILE", policy.as_os_str())],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(accounts_file(home.path()).contains(CONTOSO_APP));
    let _ = run_tayori(
        home.path(),
        &["account", "remove", upn],
        &[("TAYORI_POLICY_FILE", policy.as_os_str())],
        None,
    );
}

// --------------------------------------------------------------------------------------------
// 3. Google
// --------------------------------------------------------------------------------------------

#[test]
fn gmail_signs_in_with_the_desktop_secret_and_offline_access() {
    let _ = Rig::load();
    let email = "t01@gmail.com";
    google("DELETE", &format!("/grants/{email}/{GOOGLE_DESKTOP}"), None);
    let home = tempfile::tempdir().unwrap();
    let out = with_browser(
        home.path(),
        &["account", "add", email],
        email,
        &google_password(email),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run_tayori(home.path(), &["sync"], &[], None);
    assert!(
        out.status.success(),
        "a refresh with the secret works: {}",
        text(&out)
    );
    // Issue 25: removing the account withdraws its sign-in at Google (RFC 7009, the revocation
    // endpoint Google's metadata names), and the person is told.
    let granted = || {
        // The admin answer may come chunked: the JSON is between the first `{` and the last `}`.
        let answer = google("GET", "/state", None);
        let json = &answer[answer.find('{').unwrap()..=answer.rfind('}').unwrap()];
        let state: serde_json::Value = serde_json::from_str(json).unwrap();
        !state["grants"][email][GOOGLE_DESKTOP].is_null()
    };
    assert!(
        granted(),
        "Google holds the grant while the account is here"
    );
    let out = run_tayori(home.path(), &["account", "remove", email], &[], None);
    assert!(
        out.status.success()
            && text(&out).contains("withdrawn at the provider (oauth2.googleapis.com)"),
        "{}",
        text(&out)
    );
    assert!(!granted(), "the grant is gone at Google");
}

#[test]
fn gmail_without_a_refresh_token_asks_google_once_more() {
    let _ = Rig::load();
    let email = "t02@gmail.com";
    google("DELETE", &format!("/grants/{email}/{GOOGLE_DESKTOP}"), None);
    // the person already allowed Tayori (on another computer): Google sends no refresh token now
    let first = tempfile::tempdir().unwrap();
    let out = with_browser(
        first.path(),
        &["account", "add", email],
        email,
        &google_password(email),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let second = tempfile::tempdir().unwrap();
    let out = with_browser(
        second.path(),
        &["account", "add", email],
        email,
        &google_password(email),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run_tayori(second.path(), &["sync"], &[], None);
    assert!(
        out.status.success(),
        "the second computer has a refresh token too: {}",
        text(&out)
    );
    let _ = run_tayori(second.path(), &["account", "remove", email], &[], None);
}

// --------------------------------------------------------------------------------------------
// 4. Device authorization grant (RFC 8628), Microsoft only
// --------------------------------------------------------------------------------------------

/// `tayori ARGS` where the sign-in is by a code: reads the address and code from Tayori's output and
/// plays the person entering it on another device. Returns whether tayori succeeded, and its output.
fn with_device_code(
    home: &Path,
    args: &[&str],
    upn: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tayori"));
    command
        .args(args)
        .env("TAYORI_HOME", home)
        .env("TAYORI_DNS_SERVER", "127.0.0.1:10053")
        .env("TAYORI_POLICY_FILE", home.join("no-policy.toml"))
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let (url, code) = loop {
        let line = lines.next().expect("tayori shows the code").unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(at) = line.find("https://microsoft.com/devicelogin") {
            let code = line
                .split_whitespace()
                .find(|w| {
                    w.len() == 9
                        && w.chars()
                            .all(|c| c.is_ascii_alphanumeric() && !c.is_ascii_lowercase())
                })
                .map(str::to_owned);
            if let Some(code) = code {
                break (
                    line[at..].split_whitespace().next().unwrap().to_owned(),
                    code,
                );
            }
        }
    };
    let person = Command::new("python3")
        .arg(format!(
            "{}/tests/browser-driver.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args([upn, &entra_password(upn), &url])
        .env("TAYORI_DNS_SERVER", "127.0.0.1:10053")
        .env("BROWSER_DRIVER_USER_CODE", &code)
        .output()
        .unwrap();
    assert!(person.status.success(), "{}", text(&person));
    for line in lines {
        seen.push_str(&line.unwrap());
        seen.push('\n');
    }
    let status = child.wait().unwrap();
    (status.success(), seen)
}

#[test]
fn device_code_sign_in_for_microsoft() {
    let _ = Rig::load();
    let upn = "t07@fabrikam.test";
    reset_entra_person(upn);
    let home = tempfile::tempdir().unwrap();
    let (ok, seen) = with_device_code(
        home.path(),
        &["account", "add", upn, "--device-code"],
        upn,
        &[],
    );
    assert!(ok, "{seen}");
    assert!(accounts_file(home.path()).contains(upn), "{seen}");
    let _ = run_tayori(home.path(), &["account", "remove", upn], &[], None);
}

#[test]
fn the_admin_policy_can_choose_sign_in_with_a_code() {
    let _ = Rig::load();
    let upn = "t09@contoso.test";
    reset_entra_person(upn);
    let home = tempfile::tempdir().unwrap();
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            r#"[[provider]]
name = "Contoso"
domains = ["contoso.test"]
imap = {{ host = "outlook.office365.com", port = 993, security = "tls" }}
smtp = {{ host = "smtp.office365.com", port = 587, security = "starttls" }}
sign_in = ["oauth2"]
[provider.oauth2]
issuer = "https://login.microsoftonline.com/{CONTOSO_TID}/v2.0"
authorization_endpoint = "https://login.microsoftonline.com/{CONTOSO_TID}/oauth2/v2.0/authorize"
token_endpoint = "https://login.microsoftonline.com/{CONTOSO_TID}/oauth2/v2.0/token"
scopes = ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"]
client_id = "{CONTOSO_APP}"
device_code = true
"#
        ),
    )
    .unwrap();
    // no --device-code: the administrator chose it; a browser here would fail
    let (ok, seen) = with_device_code(
        home.path(),
        &["account", "add", upn, "--browser", "false"],
        upn,
        &[("TAYORI_POLICY_FILE", policy.as_os_str())],
    );
    assert!(ok, "{seen}");
    assert!(accounts_file(home.path()).contains(CONTOSO_APP), "{seen}");
    let _ = run_tayori(
        home.path(),
        &["account", "remove", upn],
        &[("TAYORI_POLICY_FILE", policy.as_os_str())],
        None,
    );
}

#[test]
fn device_code_is_never_offered_for_google_and_a_blocked_app_is_told_plainly() {
    let _ = Rig::load();
    let home = tempfile::tempdir().unwrap();
    let out = run_tayori(
        home.path(),
        &["account", "add", "t03@gmail.com", "--device-code"],
        &[],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("Google"), "{}", text(&out));

    let settings = home.path().join("config");
    std::fs::create_dir_all(&settings).unwrap();
    std::fs::write(
        settings.join("tayori.toml"),
        format!("[oauth.client_ids]\nmicrosoft = \"{TAYORI_MS_NO_PUBLIC_FLOWS}\"\n"),
    )
    .unwrap();
    let out = run_tayori(
        home.path(),
        &["account", "add", "t08@fabrikam.test", "--device-code"],
        &[],
        None,
    );
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("code"), "{said}");
    assert_no_trace_noise(&said);
}

// --------------------------------------------------------------------------------------------
// 5. Shared mailboxes
// --------------------------------------------------------------------------------------------

#[test]
fn a_shared_mailbox_opens_with_the_members_own_sign_in() {
    let _ = Rig::load();
    let _turn = contoso_consent();
    let member = "adele@contoso.test";
    reset_entra_person(member);
    entra(
        "POST",
        "/tenants/contoso.test/grants",
        Some(&format!(r#"{{"client_id":"{TAYORI_MS}"}}"#)),
    );
    let home = tempfile::tempdir().unwrap();
    let out = with_browser(
        home.path(),
        &["account", "add", member],
        member,
        &entra_password(member),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    // no second sign-in: a browser command that would fail if it were started
    let out = run_tayori(
        home.path(),
        &[
            "account",
            "add-shared",
            "info@contoso.test",
            "--via",
            member,
            "--browser",
            "false",
        ],
        &[],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run_tayori(home.path(), &["sync", "info@contoso.test"], &[], None);
    assert!(out.status.success(), "{}", text(&out));
    // sending as the shared address: SMTP signs in as the member, the message is from the shared
    // mailbox (exit 0: the server accepted it)
    let out = run_tayori(
        home.path(),
        &[
            "send",
            "--from",
            "info@contoso.test",
            "--to",
            "megan@contoso.test",
            "--subject",
            "From the shared mailbox",
        ],
        &[],
        Some("Sent as info@contoso.test with adele's own sign-in.\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let _ = run_tayori(
        home.path(),
        &["account", "remove", "info@contoso.test"],
        &[],
        None,
    );
    let _ = run_tayori(home.path(), &["account", "remove", member], &[], None);
    entra(
        "DELETE",
        &format!("/tenants/contoso.test/grants/{TAYORI_MS}"),
        None,
    );
}

/// Full Access opens a shared mailbox; sending as it needs "Send As" as well, as Exchange Online
/// enforces (tests/rig/README.md, "Send As"): diego reads info@contoso.test but may not send as it,
/// and is told so in words that name the missing permission.
#[test]
fn a_member_without_send_as_is_refused_with_a_clear_message() {
    let _ = Rig::load();
    let _turn = contoso_consent();
    let member = "diego@contoso.test";
    reset_entra_person(member);
    entra(
        "POST",
        "/tenants/contoso.test/grants",
        Some(&format!(r#"{{"client_id":"{TAYORI_MS}"}}"#)),
    );
    let home = tempfile::tempdir().unwrap();
    let out = with_browser(
        home.path(),
        &["account", "add", member],
        member,
        &entra_password(member),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run_tayori(
        home.path(),
        &[
            "account",
            "add-shared",
            "info@contoso.test",
            "--via",
            member,
        ],
        &[],
        None,
    );
    assert!(out.status.success(), "Full Access opens it: {}", text(&out));
    for (lang, words) in [
        ("en_US.UTF-8", "\"Send As\" permission"),
        ("ja_JP.UTF-8", "Send As（送信者として送信）"),
    ] {
        let out = run_tayori(
            home.path(),
            &[
                "send",
                "--from",
                "info@contoso.test",
                "--to",
                "megan@contoso.test",
                "--subject",
                "Not allowed",
            ],
            &[("LANG", lang.as_ref())],
            Some("diego has no Send As on info@.\n"),
        );
        let said = text(&out);
        assert_eq!(out.status.code(), Some(1), "refused by the server: {said}");
        assert!(
            said.contains("not owned by user"),
            "the server's reason: {said}"
        );
        assert!(said.contains(words), "{lang}: {said}");
    }
    // The person sends as themselves as before.
    let out = run_tayori(
        home.path(),
        &[
            "send",
            "--from",
            member,
            "--to",
            "megan@contoso.test",
            "--subject",
            "From diego himself",
        ],
        &[],
        Some("Sent as myself.\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    for email in ["info@contoso.test", member] {
        let _ = run_tayori(home.path(), &["account", "remove", email], &[], None);
    }
    entra(
        "DELETE",
        &format!("/tenants/contoso.test/grants/{TAYORI_MS}"),
        None,
    );
}

// --------------------------------------------------------------------------------------------
// 6. Known providers without DNS
// --------------------------------------------------------------------------------------------

#[test]
fn known_providers_are_recognised_without_dns() {
    let home = tempfile::tempdir().unwrap();
    for (address, imap) in [
        ("someone@gmail.com", "imap.gmail.com"),
        ("someone@googlemail.com", "imap.gmail.com"),
        ("someone@outlook.com", "outlook.office365.com"),
        ("someone@hotmail.co.jp", "outlook.office365.com"),
        ("someone@live.jp", "outlook.office365.com"),
        ("someone@msn.com", "outlook.office365.com"),
    ] {
        let out = run_tayori(
            home.path(),
            &["discover", address, "--json"],
            &[("TAYORI_DNS_SERVER", "127.0.0.1:9".as_ref())],
            None,
        );
        let said = text(&out);
        assert!(out.status.success(), "{address}: {said}");
        assert!(said.contains(imap), "{address}: {said}");
    }
}
