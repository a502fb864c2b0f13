//! The wizard, driven the way a person drives it — typing into its fields and clicking its buttons in
//! iced's headless simulator — against the rig's real DNS, autoconfig, identity provider, Dovecot and
//! Secret Service. The tasks the wizard starts run for real on a tokio runtime; only the window is
//! simulated.
//!
//! These tests live inside the binary (run with `cargo test --bin tayori`) because the screens are
//! the binary's `ui` module — the library is GUI-free by design. The rig's settings reach the wizard
//! the way an organisation would configure Tayori: through the settings file's values (DNS server,
//! ISPDB mirror, client id) and the browser command, not through any test switch in the wizard.
//!
//! (Over 800 lines, kept whole: one person's walk through the wizard per test, sharing the driver
//! at the top that watches the phases pass.)

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::{BoxStream, SelectAll};
use iced::Task;
use iced::widget::Id;
use iced_test::simulator::Simulator;
use tayori::account::Accounts;
use tayori::account::setup::{DiscoveryProgress, Method};
use tayori::auth::browser::Browser;
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::config::Paths;
use tayori::discovery::Source;
use tayori::i18n::{Lang, Text, fill};

use super::*;
use crate::ui::testing::{require_rig, rig_settings, take_turn};

const ALICE: &str = "alice@example.test";
const ALICE_IDP_PASSWORD: &str = "alice-idp-secret";
const BOB: &str = "bob@example.test";
const BOB_APP_PASSWORD: &str = "bob-app-password";

/// The "browser": tests/browser-driver.py completing the provider's real login form as `user`,
/// keeping the page it ends on in `page`.
fn driver_keeping_page(user: &str, password: &str, page: &std::path::Path) -> Browser {
    Browser::Command(format!(
        "env BROWSER_DRIVER_PAGE_OUT={} python3 {}/tests/browser-driver.py {user} {password}",
        page.display(),
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn context(home: &std::path::Path, browser: Browser) -> Context {
    let paths = Paths::under(home);
    paths.create_all().unwrap();
    Context {
        paths,
        settings: rig_settings(),
        browser,
    }
}

/// A person at the wizard: sees its view, types, clicks; the tasks it starts run on `runtime`.
struct Person {
    state: State,
    lang: Lang,
    runtime: tokio::runtime::Runtime,
    running: SelectAll<BoxStream<'static, Message>>,
    events: Vec<&'static str>,
}

impl Person {
    fn new(context: Context, lang: Lang) -> Self {
        Self {
            state: State::new(context, false),
            lang,
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
            running: SelectAll::new(),
            events: Vec::new(),
        }
    }

    fn ui(&self) -> Simulator<'_, Message> {
        Simulator::with_size(
            iced::Settings {
                default_font: crate::ui::fonts::init(Lang::from_system()),
                ..iced::Settings::default()
            },
            iced::Size::new(1100.0, 900.0),
            self.state.view(self.lang),
        )
    }

    /// Whether the window shows `text` (a label, a button, a heading).
    fn sees(&self, text: &str) -> bool {
        self.ui().find(text).is_ok()
    }

    fn apply(&mut self, message: Message) {
        let (task, event) = self.state.update(message);
        if let Some(event) = event {
            self.events.push(match event {
                Event::SwitchLanguage => "switch-language",
                Event::Finished(_) => "finished",
                Event::Left => "left",
            });
        }
        self.spawn(task);
    }

    fn spawn(&mut self, task: Task<Message>) {
        if let Some(stream) = iced_test::runtime::task::into_stream(task) {
            // Only what the task produces for the screen matters here; focus and clipboard actions
            // are the window's.
            self.running.push(
                stream
                    .filter_map(|action| async move {
                        match action {
                            iced_test::runtime::Action::Output(message) => Some(message),
                            _ => None,
                        }
                    })
                    .boxed(),
            );
        }
    }

    fn click(&mut self, text: &str) {
        let messages: Vec<Message> = {
            let mut ui = self.ui();
            ui.click(text)
                .unwrap_or_else(|e| panic!("no {text:?} to click: {e}"));
            ui.into_messages().collect()
        };
        assert!(!messages.is_empty(), "clicking {text:?} did nothing");
        for message in messages {
            self.apply(message);
        }
    }

    fn type_into(&mut self, id: &'static str, text: &str) {
        let messages: Vec<Message> = {
            let mut ui = self.ui();
            ui.click(Id::new(id))
                .unwrap_or_else(|e| panic!("no field {id}: {e}"));
            let _ = ui.typewrite(text);
            ui.into_messages().collect()
        };
        for message in messages {
            self.apply(message);
        }
    }

    /// Lets the wizard's tasks run until `done` holds, feeding what they produce back to it.
    /// `watch` sees the state after every message (to observe passing phases).
    fn run_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut watch: impl FnMut(&State),
        done: impl Fn(&State) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        while !done(&self.state) {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = self
                .runtime
                .block_on(async { tokio::time::timeout(left, self.running.next()).await });
            match next {
                Ok(Some(message)) => {
                    self.apply(message);
                    watch(&self.state);
                }
                Ok(None) => panic!("the wizard stopped working before {what}"),
                Err(_) => panic!("no {what} within {timeout:?}"),
            }
        }
    }

    /// Runs what is left until the browser (a separate process) saved the page it ended on.
    fn settle_briefly_for_the_page(&mut self, page: &std::path::Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        // The browser driver renames the page into place once written (never half a page).
        while !page.exists() && Instant::now() < deadline {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_millis(200), self.running.next()).await
            });
        }
    }

    /// Runs whatever is left (aborted tasks end at once).
    fn settle(&mut self) {
        let _ = self.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), async {
                while let Some(message) = self.running.next().await {
                    let (task, _) = self.state.update(message);
                    drop(task);
                }
            })
            .await
        });
    }

    fn plan(&self) -> Plan {
        match self.state.step() {
            Step::Found { plan, .. } => plan.clone(),
            Step::SignIn(step) => step.plan.clone(),
            _ => panic!("no plan at this step"),
        }
    }
}

fn is_discovered(state: &State) -> bool {
    matches!(
        state.step(),
        Step::Found { .. } | Step::NeedsTrust { .. } | Step::NotFound { .. }
    )
}

/// Address and name typed, Continue clicked, discovery watched until it answers.
fn enter_address(person: &mut Person, email: &str, name: Option<&str>) -> usize {
    assert!(person.sees("What is your email address?"));
    person.type_into(EMAIL_INPUT, email);
    if let Some(name) = name {
        person.type_into(NAME_INPUT, name);
    }
    assert_eq!(person.state.email(), email);
    person.click("Continue");
    assert!(
        matches!(person.state.step(), Step::Discovering { .. }),
        "Continue starts discovery"
    );
    let mut live_entries = 0;
    person.run_until(
        "discovery result",
        Duration::from_secs(30),
        |state| {
            if let Step::Discovering { trace } = state.step() {
                live_entries = live_entries.max(trace.len());
            }
        },
        is_discovered,
    );
    live_entries
}

fn keyring(runtime: &tokio::runtime::Runtime, email: &str, kind: SecretKind) -> Option<String> {
    runtime
        .block_on(keyring_store::load(email, kind))
        .expect("keyring readable (run through tests/rig/with-secret-service.sh)")
        .map(|s| s.expose().to_owned())
}

fn forget(runtime: &tokio::runtime::Runtime, email: &str) {
    for kind in [SecretKind::RefreshToken, SecretKind::AppPassword] {
        let _ = runtime.block_on(keyring_store::delete(email, kind));
    }
}

/// Every file under `dir` is free of `secret`.
fn assert_not_on_disk(dir: &std::path::Path, secret: &str) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let content = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(
                !content.contains(secret),
                "a secret reached {}",
                path.display()
            );
        }
    }
}

#[test]
fn address_discovery_browser_sign_in_verification_done() {
    require_rig();
    let _turn = take_turn();
    let home = tempfile::tempdir().unwrap();
    // The browser keeps the page it ends on: it must say "signed in" only once the account is saved.
    let page = home.path().join("browser-page.html");
    let browser = driver_keeping_page(ALICE, ALICE_IDP_PASSWORD, &page);
    let mut person = Person::new(context(home.path(), browser), Lang::En);
    forget(&person.runtime, ALICE);

    let live_entries = enter_address(&mut person, ALICE, Some("Alice Example"));
    assert!(
        live_entries > 0,
        "the sources' answers were shown while discovery ran"
    );
    let plan = person.plan();
    assert_eq!(plan.imap.host, "mail.example.test");
    assert_eq!(plan.source, Some(Source::Autoconfig));
    assert!(person.sees("Mail servers found"));
    assert!(person.sees("Continue"));

    person.click("Continue");
    let Step::SignIn(step) = person.state.step() else {
        panic!("Continue leads to sign-in");
    };
    assert_eq!(step.method, Method::OAuth, "the browser is preselected");
    assert!(person.sees("Use a password instead"));

    person.click("Sign in with Example Test Mail");
    let mut waited_at = None;
    let mut saw_mfa_note = false;
    person.run_until(
        "the end of verification",
        Duration::from_secs(90),
        |state| {
            if let Step::SignIn(SignInStep {
                phase: Phase::Waiting { url },
                ..
            }) = state.step()
            {
                waited_at = url.clone();
                saw_mfa_note = true;
            }
        },
        |state| {
            matches!(state.step(), Step::Done { .. })
                || matches!(state.step(), Step::Verifying(v) if v.failure.is_some())
                || matches!(state.step(), Step::SignIn(s) if matches!(s.phase, Phase::Failed(_)))
        },
    );
    if let Step::SignIn(SignInStep {
        phase: Phase::Failed(failure),
        ..
    }) = person.state.step()
    {
        panic!("sign-in failed: {:?}", failure.0);
    }
    if let Step::Verifying(step) = person.state.step() {
        panic!("verification failed: {:?}", step.failure);
    }
    let url = waited_at.expect("the wizard waited for the browser, showing the page's address");
    assert!(url.starts_with("https://127.0.0.1:9443/"), "{url}");
    assert!(saw_mfa_note);

    assert!(person.sees("All set"));
    person.settle_briefly_for_the_page(&page);
    let shown = std::fs::read_to_string(&page).unwrap_or_default();
    assert!(
        shown.contains("You are signed in"),
        "the page says signed in once the account is saved: {shown}"
    );
    person.click("Open the mailbox");
    assert_eq!(person.events, ["finished"]);

    let account = Accounts::new(&Paths::under(home.path()))
        .get(ALICE)
        .expect("the account was saved");
    assert_eq!(account.display_name.as_deref(), Some("Alice Example"));
    assert!(matches!(
        account.auth,
        tayori::account::AccountAuth::OAuth2 { ref client_id, .. } if client_id == "tayori"
    ));
    let refresh = keyring(&person.runtime, ALICE, SecretKind::RefreshToken)
        .expect("the refresh token is in the keyring");
    assert_not_on_disk(home.path(), &refresh);
    forget(&person.runtime, ALICE);
}

#[test]
fn cancel_while_waiting_for_the_browser_closes_the_listener() {
    require_rig();
    let _turn = take_turn();
    let home = tempfile::tempdir().unwrap();
    // A browser that opens nothing: the person never signs in.
    let mut person = Person::new(
        context(home.path(), Browser::Command("true".into())),
        Lang::En,
    );
    enter_address(&mut person, ALICE, None);
    person.click("Continue");
    person.click("Sign in with Example Test Mail");
    person.run_until(
        "the wait for the browser",
        Duration::from_secs(30),
        |_| {},
        |state| {
            matches!(
                state.step(),
                Step::SignIn(SignInStep {
                    phase: Phase::Waiting { url: Some(_) },
                    ..
                })
            )
        },
    );
    assert!(person.sees("Finish signing in in your browser"));
    assert!(person.sees("Open the browser again"));
    assert!(person.sees("Copy the address"));
    let Step::SignIn(SignInStep {
        phase: Phase::Waiting { url: Some(url) },
        ..
    }) = person.state.step()
    else {
        unreachable!()
    };
    let redirect = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .expect("redirect_uri in the sign-in address");
    let port = url::Url::parse(&redirect).unwrap().port().unwrap();
    let listening = |port: u16| {
        std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_secs(1),
        )
        .is_ok()
    };
    assert!(listening(port), "the loopback listener waits on {port}");

    person.click("Cancel");
    person.settle();
    assert!(
        matches!(
            person.state.step(),
            Step::SignIn(SignInStep {
                phase: Phase::Idle,
                ..
            })
        ),
        "back to the sign-in choice"
    );
    assert!(!person.state.is_busy());
    // Closed once the port can be bound again. Connecting to it would not tell: another test's
    // listener may have been given the freed port, and a connection to a free loopback port can
    // meet itself (TCP simultaneous open). The listener goes with the aborted task, so allow it a
    // moment.
    let closed = |port: u16| {
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        loop {
            if std::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
                .is_ok()
            {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert!(closed(port), "Cancel closed the loopback listener");
    assert!(
        person.sees("Sign in with Example Test Mail"),
        "and it can start again"
    );
    assert!(
        !Accounts::new(&Paths::under(home.path())).path().exists(),
        "nothing saved"
    );
}

#[test]
fn a_wrong_app_password_says_what_to_do_and_the_right_one_is_kept_in_the_keyring() {
    require_rig();
    let _turn = take_turn();
    let home = tempfile::tempdir().unwrap();
    let mut person = Person::new(
        context(home.path(), Browser::Command("true".into())),
        Lang::En,
    );
    forget(&person.runtime, BOB);
    enter_address(&mut person, BOB, None);
    person.click("Continue");
    person.click("Use a password instead");
    // Why a password is asked for, and what an app password is.
    assert!(person.sees(Lang::En.text(Text::AppPasswordGeneric)));

    person.type_into(PASSWORD_INPUT, "not-the-password");
    person.click("Sign in");
    person.run_until(
        "the refusal",
        Duration::from_secs(30),
        |_| {},
        |state| matches!(state.step(), Step::Verifying(v) if v.failure.is_some()),
    );
    assert!(person.sees("The server refused the sign-in"));
    assert!(person.sees("Nothing has been saved."));
    person.click("Try again");
    assert!(
        matches!(person.state.step(), Step::SignIn(s) if s.method == Method::Password),
        "back to the password, the failure still shown"
    );
    assert!(person.sees("The server refused the sign-in"));

    person.type_into(PASSWORD_INPUT, BOB_APP_PASSWORD);
    person.click("Sign in");
    person.run_until(
        "the end of verification",
        Duration::from_secs(30),
        |_| {},
        |state| {
            matches!(state.step(), Step::Done { .. })
                || matches!(state.step(), Step::Verifying(v) if v.failure.is_some())
        },
    );
    assert!(
        person.sees("All set"),
        "{:?}",
        match person.state.step() {
            Step::Verifying(v) => v.failure.clone(),
            _ => None,
        }
    );
    assert_eq!(
        keyring(&person.runtime, BOB, SecretKind::AppPassword).as_deref(),
        Some(BOB_APP_PASSWORD)
    );
    let account = Accounts::new(&Paths::under(home.path())).get(BOB).unwrap();
    assert_eq!(account.auth, tayori::account::AccountAuth::Password);
    assert_not_on_disk(home.path(), BOB_APP_PASSWORD);
    forget(&person.runtime, BOB);
}

#[test]
fn another_domain_is_used_only_after_the_person_trusts_it() {
    require_rig();
    let home = tempfile::tempdir().unwrap();
    let mut person = Person::new(
        context(home.path(), Browser::Command("true".into())),
        Lang::En,
    );
    enter_address(&mut person, "nana@srv-elsewhere.test", None);
    assert!(
        matches!(person.state.step(), Step::NeedsTrust { .. }),
        "an SRV record leading to example.test needs confirmation"
    );
    assert!(person.sees("Use mail servers at another domain?"));
    person.click("Trust example.test and continue");
    person.run_until(
        "the trusted result",
        Duration::from_secs(30),
        |_| {},
        is_discovered,
    );
    assert_eq!(person.plan().source, Some(Source::Srv));
    assert_eq!(person.plan().imap.host, "mail.example.test");
}

/// A mail server that names its own sign-in service (RFC 7628's error challenge, here the rig's
/// Dovecot for an address found through SRV alone): before the browser is sent anywhere the wizard
/// shows the host it would be sent to, and waits for the person (the command line prints it too).
#[test]
fn the_sign_in_host_a_mail_server_names_is_shown_before_the_browser_opens() {
    require_rig();
    let home = tempfile::tempdir().unwrap();
    // The "browser" leaves a mark when it is asked to open anything.
    let opened = home.path().join("browser-opened");
    let mut person = Person::new(
        context(
            home.path(),
            Browser::Command(format!("touch {}", opened.display())),
        ),
        Lang::En,
    );
    enter_address(&mut person, "nana@srv-only.test", None);
    assert_eq!(person.plan().source, Some(Source::Srv));
    person.click("Continue");
    assert!(matches!(person.state.step(), Step::SignIn(_)));
    person.click("Sign in with your browser");
    person.run_until(
        "the sign-in service named by the server",
        Duration::from_secs(30),
        |_| {},
        |state| !matches!(state.step(), Step::SignIn(s) if matches!(s.phase, Phase::Preparing)),
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !opened.exists(),
        "the browser was opened before the person saw where it goes"
    );
    assert!(
        person.sees(&tayori::i18n::fill(
            Lang::En.text(Text::ConfirmHostBody),
            &[("host", "127.0.0.1")]
        )),
        "the host the browser would be sent to is shown"
    );
    assert!(person.sees("Check where you will sign in"));
    person.picture("confirm-sign-in-host", &iced::Theme::Light);
    // Accepted: now the browser opens, at that host.
    person.click("Continue to 127.0.0.1");
    person.run_until(
        "the browser opened",
        Duration::from_secs(30),
        |_| {},
        |state| matches!(state.step(), Step::SignIn(s) if matches!(s.phase, Phase::Waiting { .. } | Phase::Failed(_))),
    );
    let Step::SignIn(SignInStep {
        phase: Phase::Waiting { url: Some(url) },
        ..
    }) = person.state.step()
    else {
        panic!("the browser was not opened after the person accepted the host");
    };
    assert!(url.starts_with("https://127.0.0.1:9443/"), "{url}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !opened.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(opened.exists(), "the browser command ran");
    person.click("Cancel");
}

#[test]
fn nothing_found_leads_to_manual_settings_that_work() {
    require_rig();
    let _turn = take_turn();
    let home = tempfile::tempdir().unwrap();
    let mut person = Person::new(
        context(home.path(), Browser::Command("true".into())),
        Lang::En,
    );
    forget(&person.runtime, BOB);
    // Bob's address at a domain nobody knows: nothing is found, and the settings are typed in.
    person.type_into(EMAIL_INPUT, "bob@nowhere-at-all.test");
    person.click("Continue");
    person.run_until("the result", Duration::from_secs(30), |_| {}, is_discovered);
    assert!(matches!(person.state.step(), Step::NotFound { .. }));
    assert!(person.sees("No settings were found"));
    person.click("Enter server settings by hand");
    let Step::Manual(form) = person.state.step() else {
        panic!("the manual form");
    };
    assert_eq!(
        form.imap_host, "imap.nowhere-at-all.test",
        "usual names prefilled"
    );

    // The rig's servers, as an administrator would hand them out. (Each prefilled field is
    // emptied first, as selecting its text and deleting it would.)
    for (id, clear, value) in [
        (
            MANUAL_IMAP_HOST,
            ManualField::ImapHost(String::new()),
            "mail.example.test",
        ),
        (
            MANUAL_IMAP_PORT,
            ManualField::ImapPort(String::new()),
            "10993",
        ),
        (
            MANUAL_SMTP_HOST,
            ManualField::SmtpHost(String::new()),
            "mail.example.test",
        ),
        (
            MANUAL_SMTP_PORT,
            ManualField::SmtpPort(String::new()),
            "10465",
        ),
        (MANUAL_USERNAME, ManualField::Username(String::new()), BOB),
    ] {
        person.apply(Message::Manual(clear));
        person.type_into(id, value);
    }
    person.click("Continue");
    let Step::SignIn(step) = person.state.step() else {
        panic!("sign-in after the manual settings");
    };
    assert_eq!(
        step.method,
        Method::Password,
        "a password unless asked otherwise"
    );
    assert_eq!(step.plan.imap.port, 10993);
    assert_eq!(step.plan.email, "bob@nowhere-at-all.test");
    person.type_into(PASSWORD_INPUT, BOB_APP_PASSWORD);
    person.click("Sign in");
    person.run_until(
        "the end of verification",
        Duration::from_secs(30),
        |_| {},
        |state| {
            matches!(state.step(), Step::Done { .. })
                || matches!(state.step(), Step::Verifying(v) if v.failure.is_some())
        },
    );
    assert!(person.sees("All set"));
    forget(&person.runtime, "bob@nowhere-at-all.test");
}

/// Where the pictures of the screens go, to be looked at.
fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Person {
    /// Draws the window as it is now and saves it as `target/screenshots/wizard-<name>-<renderer>.png`.
    fn picture(&self, name: &str, theme: &iced::Theme) {
        let path = screenshots().join(format!("wizard-{name}.png"));
        let mut ui = self.ui();
        let snapshot = ui.snapshot(theme).expect("the window draws");
        // `matches_image` writes the file when there is none: remove the last run's first.
        for entry in std::fs::read_dir(screenshots()).unwrap() {
            let entry = entry.unwrap().path();
            let stem = entry.file_stem().unwrap().to_string_lossy().into_owned();
            if stem.starts_with(&format!("wizard-{name}-")) {
                std::fs::remove_file(entry).unwrap();
            }
        }
        assert!(snapshot.matches_image(&path).unwrap());
    }
}

fn sample_trace() -> Vec<tayori::discovery::TraceEntry> {
    use tayori::discovery::{Outcome, TraceEntry};
    vec![
        TraceEntry {
            source: Source::Srv,
            query: "_imaps._tcp.example.test".into(),
            outcome: Outcome::Found("mail.example.test:10993".into()),
            elapsed_ms: 4,
        },
        TraceEntry {
            source: Source::Autodiscover,
            query: "https://autodiscover-s.outlook.com/autodiscover/autodiscover.json".into(),
            outcome: Outcome::NotFound("HTTP 404".into()),
            elapsed_ms: 38,
        },
        TraceEntry {
            source: Source::Autoconfig,
            query: "https://autoconfig.example.test/mail/config-v1.1.xml".into(),
            outcome: Outcome::Found("Example Test Mail".into()),
            elapsed_ms: 41,
        },
    ]
}

fn sample_discovered(
    email: &str,
    confirmation: Option<tayori::discovery::NeedsConfirmation>,
) -> Box<tayori::discovery::Discovered> {
    use tayori::discovery::{Discovered, Endpoint, OAuthSettings, SignIn};
    let endpoint = |port| Endpoint {
        host: "mail.example.test".into(),
        port,
        security: tayori::discovery::Security::Tls,
        username: email.into(),
    };
    Box::new(Discovered {
        email: email.into(),
        imap: endpoint(10993),
        smtp: endpoint(10465),
        sign_in: vec![
            SignIn::OAuth2(OAuthSettings {
                issuer: Some("https://127.0.0.1:9443".into()),
                ..OAuthSettings::default()
            }),
            SignIn::Password,
        ],
        provider: None,
        provider_name: Some("Example Test Mail".into()),
        source: Source::Autoconfig,
        verified: true,
        needs_confirmation: confirmation,
        trace: sample_trace(),
        contacted: Vec::new(),
        elapsed_ms: 41,
    })
}

/// Every step, in English and Japanese: the catalog's words are what the window shows (and no
/// English is left in the Japanese window), and a picture of each step is saved for a person to
/// look at. The step contents come from the messages the core's tasks send, fed in directly — no
/// server is involved here.
#[test]
fn every_step_speaks_the_persons_language_and_is_drawn() {
    use tayori::discovery::{DiscoveryError, NeedsConfirmation};
    for lang in [Lang::En, Lang::Ja] {
        let tag = match lang {
            Lang::En => "en",
            Lang::Ja => "ja",
        };
        let home = tempfile::tempdir().unwrap();
        let mut person = Person::new(context(home.path(), Browser::Command("true".into())), lang);
        let other = lang.other();
        let shows = |person: &Person, texts: &[Text]| {
            for text in texts {
                assert!(
                    person.sees(lang.text(*text)),
                    "{tag}: {text:?} ({}) is not shown",
                    lang.text(*text)
                );
                assert!(
                    !person.sees(other.text(*text)),
                    "{tag}: {text:?} is shown in the other language too"
                );
            }
        };

        shows(
            &person,
            &[
                Text::AddressHeading,
                Text::EmailLabel,
                Text::NameLabel,
                Text::Continue,
            ],
        );
        person.type_into(EMAIL_INPUT, "hanako@example.test");
        person.type_into(NAME_INPUT, "山田 花子");
        person.picture(&format!("1-address-{tag}"), &iced::Theme::Light);

        person.click(lang.text(Text::Continue));
        for entry in sample_trace() {
            person.apply(Message::Discovery(
                tayori::account::setup::DiscoveryProgress::Asked(entry),
            ));
        }
        shows(
            &person,
            &[
                Text::SourcesAsked,
                Text::SourceAutoconfig,
                Text::OutcomeFound,
                Text::Cancel,
            ],
        );
        person.picture(&format!("2-discovering-{tag}"), &iced::Theme::Light);

        person.apply(Message::Discovery(
            tayori::account::setup::DiscoveryProgress::Finished(Ok(sample_discovered(
                "hanako@example.test",
                None,
            ))),
        ));
        shows(
            &person,
            &[Text::FoundHeading, Text::IncomingMail, Text::OutgoingMail],
        );
        person.click(lang.text(Text::ShowSources));
        person.picture(&format!("3-found-{tag}"), &iced::Theme::Light);

        person.click(lang.text(Text::Continue));
        shows(&person, &[Text::UsePasswordInstead, Text::Back]);
        person.picture(&format!("4-sign-in-{tag}"), &iced::Theme::Light);
        person.picture(&format!("4-sign-in-dark-{tag}"), &iced::Theme::Dark);

        person.apply(Message::SignInEvent(SignInEvent::BrowserOpened(
            "https://127.0.0.1:9443/auth?client_id=tayori".into(),
        )));
        shows(
            &person,
            &[
                Text::WaitingHeading,
                Text::OpenAgain,
                Text::CopyAddress,
                Text::Cancel,
            ],
        );
        person.picture(&format!("5-waiting-{tag}"), &iced::Theme::Light);

        person.click(lang.text(Text::Cancel));
        person.click(lang.text(Text::UsePasswordInstead));
        shows(&person, &[Text::PasswordLabel, Text::UseBrowserInstead]);
        assert!(person.sees(lang.text(Text::AppPasswordGeneric)));
        person.type_into(PASSWORD_INPUT, "secret");
        person.picture(&format!("6-password-{tag}"), &iced::Theme::Light);

        person.click(lang.text(Text::SignInButton));
        person.apply(Message::Verify(VerifyEvent::Started(Check::Imap)));
        person.apply(Message::Verify(VerifyEvent::Passed(Check::Imap)));
        person.apply(Message::Verify(VerifyEvent::Started(Check::Smtp)));
        shows(&person, &[Text::CheckHeading]);
        person.picture(&format!("7-checking-{tag}"), &iced::Theme::Light);

        let refusal = tayori::account::setup::SetupError::Smtp(
            tayori::smtp::SmtpError::Refused {
                reason: "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.".into(),
                advice: None,
            },
        );
        person.apply(Message::Verify(VerifyEvent::Failed(
            Check::Smtp,
            Failure::from_setup(&refusal),
        )));
        shows(
            &person,
            &[
                Text::CheckFailedHeading,
                Text::FailRefusedTitle,
                Text::WhatYourAdminCanDo,
                Text::NothingSaved,
                Text::TryAgain,
            ],
        );
        person.picture(&format!("8-check-failed-{tag}"), &iced::Theme::Light);

        let account = tayori::account::Account {
            email: "hanako@example.test".into(),
            display_name: Some("山田 花子".into()),
            provider: None,
            imap: person.plan_of_verification().imap,
            smtp: person.plan_of_verification().smtp,
            auth: tayori::account::AccountAuth::Password,
            last_sign_in: None,
            needs_sign_in: None,
            sent_copy: None,
            shared_via: None,
            send_via_graph: None,
            read_via_graph: None,
            read_via_imap_again: None,
        };
        person.apply(Message::Verify(VerifyEvent::Saved(Box::new(account))));
        shows(&person, &[Text::DoneHeading, Text::OpenMailbox]);
        person.picture(&format!("9-done-{tag}"), &iced::Theme::Light);

        // The other ways through step 2: another domain, nothing found, servers by hand.
        let mut person = Person::new(context(home.path(), Browser::Command("true".into())), lang);
        person.type_into(EMAIL_INPUT, "nana@srv-elsewhere.test");
        person.click(lang.text(Text::Continue));
        person.apply(Message::Discovery(
            tayori::account::setup::DiscoveryProgress::Finished(Ok(sample_discovered(
                "nana@srv-elsewhere.test",
                Some(NeedsConfirmation {
                    domains: vec!["example.test".into()],
                    reason: "SRV record".into(),
                }),
            ))),
        ));
        shows(&person, &[Text::TrustHeading, Text::EnterManually]);
        assert!(person.sees(&tayori::i18n::fill(
            lang.text(Text::TrustButton),
            &[("domains", "example.test")]
        )));
        person.picture(&format!("2b-trust-{tag}"), &iced::Theme::Light);

        person.click(lang.text(Text::Back));
        person.click(lang.text(Text::Continue));
        person.apply(Message::Discovery(
            tayori::account::setup::DiscoveryProgress::Finished(Err(
                DiscoveryError::NothingFound {
                    domain: "srv-elsewhere.test".into(),
                    trace: sample_trace(),
                    asked_microsoft: false,
                    contacted: Vec::new(),
                },
            )),
        ));
        shows(
            &person,
            &[
                Text::NoSettingsHeading,
                Text::MicrosoftQuestion,
                Text::ShowSources,
            ],
        );
        person.picture(&format!("2c-not-found-{tag}"), &iced::Theme::Light);

        person.click(lang.text(Text::EnterManually));
        shows(
            &person,
            &[
                Text::ManualHeading,
                Text::ServerLabel,
                Text::PortLabel,
                Text::EncryptionLabel,
                Text::ManualPreferBrowser,
            ],
        );
        person.apply(Message::Manual(ManualField::ImapPort("0".into())));
        person.click(lang.text(Text::Continue));
        shows(&person, &[Text::ManualIncomplete]);
        person.picture(&format!("2d-manual-{tag}"), &iced::Theme::Light);

        // The language switch in the corner.
        person.click(lang.text(Text::SwitchLanguage));
        assert_eq!(person.events.last(), Some(&"switch-language"));
    }
}

impl Person {
    fn plan_of_verification(&self) -> Plan {
        match self.state.step() {
            Step::Verifying(step) => step.plan.clone(),
            _ => panic!("not verifying"),
        }
    }
}

/// The rig's Entra emulator's admin API (tests/rig/README.md, "Provider emulators").
fn entra_admin(method: &str, path: &str) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect("127.0.0.30:9000")
        .expect("the rig's Entra emulator is running (tests/rig/start.sh)");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.30\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 2"),
        "{method} {path}: {answer}"
    );
}

/// A Contoso person (Entra: users may not consent to mail access) signs in with the built-in
/// Microsoft registration, which the tenant has not approved: the wizard says the administrator
/// must approve it, shows the admin-consent link for the tenant and Tayori's client id, offers no
/// app password (Exchange Online takes none) — in English and in Japanese, drawn for a person to
/// look at (`target/screenshots/wizard-admin-consent-{en,ja}-*.png`).
#[test]
fn missing_consent_at_microsoft_shows_the_admin_consent_link() {
    require_rig();
    let _turn = take_turn();
    let Some(client_id) = tayori::auth::clients::BUILT_IN_MICROSOFT else {
        panic!(
            "this build carries no Microsoft registration: build with TAYORI_MICROSOFT_CLIENT_ID as tests/run.sh does"
        );
    };
    for (lang, tag, upn) in [
        (Lang::En, "en", "t06@contoso.test"),
        (Lang::Ja, "ja", "t07@contoso.test"),
    ] {
        entra_admin("DELETE", &format!("/rules?user={upn}"));
        entra_admin("DELETE", &format!("/users/{upn}/grants"));
        entra_admin(
            "DELETE",
            &format!("/tenants/contoso.test/grants/{client_id}"),
        );
        let home = tempfile::tempdir().unwrap();
        let password = format!("{}-entra-secret", upn.split('@').next().unwrap());
        // The person presses "Return to the application without granting consent".
        let browser = Browser::Command(format!(
            "env TAYORI_DNS_SERVER=127.0.0.1:10053 BROWSER_DRIVER_ADMIN_APPROVAL=return python3 {}/tests/browser-driver.py {upn} {password}",
            env!("CARGO_MANIFEST_DIR")
        ));
        let mut person = Person::new(context(home.path(), browser), lang);
        person.type_into(EMAIL_INPUT, upn);
        person.click(lang.text(Text::Continue));
        person.run_until(
            "discovery result",
            Duration::from_secs(30),
            |_| {},
            is_discovered,
        );
        assert_eq!(
            person.plan().provider,
            Some(tayori::discovery::KnownProvider::Microsoft)
        );
        person.click(lang.text(Text::Continue));
        person.click(&tayori::i18n::fill(
            lang.text(Text::SignInWith),
            &[("service", "Microsoft")],
        ));
        person.run_until(
            "the sign-in's outcome",
            Duration::from_secs(60),
            |_| {},
            |state| {
                matches!(state.step(), Step::SignIn(s) if matches!(s.phase, Phase::Failed(_)))
                    || matches!(state.step(), Step::Verifying(_) | Step::Done { .. })
            },
        );
        let Step::SignIn(SignInStep {
            phase: Phase::Failed(failure),
            ..
        }) = person.state.step()
        else {
            panic!("{tag}: the sign-in should have been refused for missing consent");
        };
        let link = failure
            .0
            .admin_consent_link
            .clone()
            .unwrap_or_else(|| panic!("{tag}: no admin-consent link: {:?}", failure.0));
        assert!(
            link.starts_with(&format!(
                "https://login.microsoftonline.com/contoso.test/v2.0/adminconsent?client_id={client_id}"
            )),
            "{link}"
        );
        assert!(!failure.0.app_refused, "{tag}: no app password offered");
        for text in [
            Text::WhatYourAdminCanDo,
            Text::FailAdminConsentLink,
            Text::GuideNoConsent,
        ] {
            assert!(
                person.sees(lang.text(text)),
                "{tag}: {text:?} ({}) is not shown",
                lang.text(text)
            );
        }
        assert!(person.sees(&link), "{tag}: the link is shown whole");
        assert!(
            person.sees(lang.text(Text::CopyAdminConsentLink)),
            "{tag}: ready to copy"
        );
        assert!(
            !person.sees(lang.text(Text::AppPasswordMicrosoft)),
            "{tag}: no app password offered"
        );
        // Exchange Online turned passwords off for mail programs: a password link here would
        // lead to a second refusal, with the approval still missing.
        for dead_end in [Text::UsePasswordInstead, Text::UseAppPassword] {
            assert!(
                !person.sees(lang.text(dead_end)),
                "{tag}: {dead_end:?} offered although only the administrator's approval helps"
            );
        }
        person.picture(&format!("admin-consent-{tag}"), &iced::Theme::Light);
        person.settle();
        assert!(
            Accounts::new(&Paths::under(home.path())).get(upn).is_err(),
            "{tag}: nothing saved"
        );
    }
}

/// Sign-in with a code on another device (RFC 8628) from the wizard, against the Entra emulator:
/// the code and the address are shown with a countdown; Cancel stops the wait (Japanese); the
/// person enters the code on "another device" and the account is checked and saved (English).
/// Drawn to `target/screenshots/wizard-device-code-{en,ja}-*.png`.
#[test]
fn sign_in_with_a_code_on_another_device() {
    require_rig();
    let _turn = take_turn();
    let upn = "t07@fabrikam.test";
    let password = "t07-entra-secret";
    entra_admin("DELETE", &format!("/rules?user={upn}"));
    entra_admin("DELETE", &format!("/users/{upn}/grants"));
    for (lang, tag) in [(Lang::Ja, "ja"), (Lang::En, "en")] {
        let home = tempfile::tempdir().unwrap();
        // No browser on this computer: starting one fails.
        let mut person = Person::new(context(home.path(), Browser::Command("false".into())), lang);
        person.type_into(EMAIL_INPUT, upn);
        person.click(lang.text(Text::Continue));
        person.run_until(
            "discovery result",
            Duration::from_secs(30),
            |_| {},
            is_discovered,
        );
        person.click(lang.text(Text::Continue));
        person.click(lang.text(Text::SignInWithCode));
        person.run_until("the code", Duration::from_secs(30), |_| {}, |state| {
            matches!(state.step(), Step::SignIn(s) if matches!(s.phase, Phase::DeviceCode { .. } | Phase::Failed(_)))
        });
        let Step::SignIn(SignInStep {
            phase: Phase::DeviceCode { url, code, .. },
            ..
        }) = person.state.step()
        else {
            let failure = match person.state.step() {
                Step::SignIn(SignInStep {
                    phase: Phase::Failed(failure),
                    ..
                }) => format!("{:?}", failure.0),
                _ => String::new(),
            };
            panic!("{tag}: no code shown {failure}");
        };
        let (url, code) = (url.clone(), code.clone());
        assert!(
            url.starts_with("https://microsoft.com/devicelogin"),
            "{url}"
        );
        assert!(person.sees(&code), "{tag}: the code is shown");
        for text in [Text::DeviceCodeHeading, Text::CopyCode, Text::Cancel] {
            assert!(person.sees(lang.text(text)), "{tag}: {text:?}");
        }
        person.picture(&format!("device-code-{tag}"), &iced::Theme::Light);
        if lang == Lang::Ja {
            person.click(lang.text(Text::Cancel));
            assert!(
                matches!(person.state.step(), Step::SignIn(s) if s.phase == Phase::Idle),
                "Cancel stops the wait"
            );
            person.settle();
            continue;
        }
        let driver = std::process::Command::new("python3")
            .arg(format!(
                "{}/tests/browser-driver.py",
                env!("CARGO_MANIFEST_DIR")
            ))
            .args([upn, password, &url])
            .env("TAYORI_DNS_SERVER", "127.0.0.1:10053")
            .env("BROWSER_DRIVER_USER_CODE", &code)
            .spawn()
            .unwrap();
        person.run_until(
            "the end of verification",
            Duration::from_secs(90),
            |_| {},
            |state| {
                matches!(state.step(), Step::Done { .. })
                    || matches!(state.step(), Step::Verifying(v) if v.failure.is_some())
                    || matches!(state.step(), Step::SignIn(s) if matches!(s.phase, Phase::Failed(_)))
            },
        );
        let finished = driver.wait_with_output().unwrap();
        assert!(finished.status.success(), "the person at the other device");
        if let Step::SignIn(SignInStep {
            phase: Phase::Failed(failure),
            ..
        }) = person.state.step()
        {
            panic!("sign-in failed: {:?}", failure.0);
        }
        if let Step::Verifying(step) = person.state.step() {
            panic!("verification failed: {:?}", step.failure);
        }
        let account = Accounts::new(&Paths::under(home.path())).get(upn).unwrap();
        assert!(matches!(
            account.auth,
            tayori::account::AccountAuth::OAuth2 { .. }
        ));
        forget(&person.runtime, upn);
    }
}

/// A proxy that answered 407 over TLS is signed in to from the wizard itself: the person types the
/// proxy's user name and password where discovery stopped, they go to the system keyring under the
/// proxy's `host:port` (where the core reads them, as after `tayori proxy sign-in`), and discovery
/// starts again. (How the core then answers the proxy is tests/proxy.rs.)
#[test]
fn a_proxy_asking_for_a_password_is_signed_in_to_from_the_wizard() {
    let home = tempfile::tempdir().unwrap();
    const PROXY: &str = "wizard-proxy.office.test:3443";
    for lang in [Lang::Ja, Lang::En] {
        let mut person = Person::new(context(home.path(), Browser::Command("true".into())), lang);
        let _ = person
            .runtime
            .block_on(keyring_store::delete(PROXY, SecretKind::ProxyPassword));
        person.type_into(EMAIL_INPUT, "tanaka@example.test");
        person.click(lang.text(Text::Continue));
        let refusal = tayori::net::proxy::Refusal::ProxyCredentialsNeeded {
            proxy: PROXY.into(),
        };
        person.apply(Message::Discovery(DiscoveryProgress::Finished(Err(
            DiscoveryError::Refused {
                domain: "example.test".into(),
                refusal: Box::new(refusal.clone()),
                trace: Vec::new(),
            },
        ))));
        assert!(person.sees(&refusal.text(lang)));
        let heading = fill(lang.text(Text::ProxySignInHeading), &[("proxy", PROXY)]);
        assert!(person.sees(&heading), "{heading}");
        person.picture(&format!("proxy-sign-in-{lang:?}"), &iced::Theme::Light);

        // A colon cannot be kept in `user:password`: said, nothing saved, still on this step.
        person.type_into("proxy-sign-in-user", "office:tanaka");
        person.type_into("proxy-sign-in-password", "proxy-secret");
        person.click(lang.text(Text::ProxySignInSave));
        assert!(person.sees(lang.text(Text::ProxySignInColon)));
        assert!(matches!(person.state.step(), Step::NotFound { .. }));

        let mut person = Person::new(context(home.path(), Browser::Command("true".into())), lang);
        person.type_into(EMAIL_INPUT, "tanaka@example.test");
        person.click(lang.text(Text::Continue));
        person.apply(Message::Discovery(DiscoveryProgress::Finished(Err(
            DiscoveryError::Refused {
                domain: "example.test".into(),
                refusal: Box::new(refusal),
                trace: Vec::new(),
            },
        ))));
        person.type_into("proxy-sign-in-user", "tanaka");
        person.type_into("proxy-sign-in-password", "proxy-secret");
        person.click(lang.text(Text::ProxySignInSave));
        person.run_until(
            "discovery again",
            Duration::from_secs(20),
            |_| {},
            |state| matches!(state.step(), Step::Discovering { .. }),
        );
        let saved = person
            .runtime
            .block_on(keyring_store::load(PROXY, SecretKind::ProxyPassword))
            .unwrap()
            .expect("the proxy sign-in is in the keyring");
        assert_eq!(saved.expose(), "tanaka:proxy-secret");
        let _ = person
            .runtime
            .block_on(keyring_store::delete(PROXY, SecretKind::ProxyPassword));
        person.settle();
    }
}
