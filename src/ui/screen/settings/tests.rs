//! The settings screen in the whole application, driven in iced's simulator over a real store on
//! disk, the real settings file, the Secret Service of the test session and the rig's Dovecot.

use iced::Theme;
use tayori::account::{Account, AccountAuth, Accounts, Server};
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::config::{LanguageChoice, Paths, Settings, ThemeChoice};
use tayori::discovery::Security;
use tayori::i18n::{Lang, Plural, Text, fill};
use tayori::redact::Secret;
use tayori::store::Store;

use crate::ui::App;
use crate::ui::app::Message;
use crate::ui::context::Context;
use crate::ui::screen::settings::SharedOutcome;
use crate::ui::testing::{self, Person};
use std::time::Duration;

/// A private rig user: no other test signs in as this one.
const RIG_USER: &str = "s19@example.test";

fn account(email: &str, port: (u16, u16)) -> Account {
    let server = |port| Server {
        host: "mail.example.test".into(),
        port,
        security: Security::Tls,
        username: email.into(),
    };
    Account {
        email: email.into(),
        display_name: Some("設定 テスト".into()),
        provider: None,
        imap: server(port.0),
        smtp: server(port.1),
        auth: AccountAuth::Password,
        last_sign_in: None,
        needs_sign_in: None,
        sent_copy: None,
        shared_via: None,
        send_via_graph: None,
        read_via_graph: None,
        read_via_imap_again: None,
    }
}

fn home(accounts: &[Account], settings: &str) -> (tempfile::TempDir, Context) {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    std::fs::write(paths.config_file(), settings).unwrap();
    for account in accounts {
        Accounts::new(&paths).upsert(account.clone()).unwrap();
    }
    let context = Context {
        settings: Settings::load(&paths).unwrap(),
        paths,
        browser: tayori::auth::browser::Browser::Command("true".into()),
    };
    (home, context)
}

fn open_app(context: Context) -> Person<App> {
    let (app, task) = App::with_context(context, None);
    let mut person = Person::start(app, Lang::En, task);
    person.settle_briefly();
    person
}

impl Person<App> {
    /// Runs what the window started, without waiting for the sync engines (they run for as long
    /// as the window is open).
    fn settle_briefly(&mut self) {
        let until = std::time::Instant::now() + std::time::Duration::from_millis(1500);
        while std::time::Instant::now() < until {
            if !self.step(std::time::Duration::from_millis(100)) {
                break;
            }
        }
    }

    fn settings(&self) -> &crate::ui::screen::settings::State {
        self.state.settings_screen().expect("the settings are open")
    }

    fn saved(&self) -> Settings {
        Settings::load(&self.settings().context_paths()).unwrap()
    }
}

#[test]
fn choices_take_effect_at_once_and_are_saved_beside_the_administrators() {
    let hanako = account("hanako@example.test", (993, 465));
    let (_home, context) = home(
        std::slice::from_ref(&hanako),
        "# from IT\n[network]\ndns_server = \"127.0.0.1:1\"\n\n[ui]\nlanguage = \"en\"\n",
    );
    let paths = context.paths.clone();
    let mut person = open_app(context);
    assert_eq!(person.state.lang(), Lang::En);

    person.click(Lang::En.text(Text::SettingsTitle));
    assert!(person.sees(Lang::En.text(Text::SettingsAppearance)));
    assert!(person.sees("hanako@example.test"));
    assert!(person.sees("mail.example.test:993  ·  SSL/TLS"));
    assert!(person.sees(Lang::En.text(Text::AccountSignInPassword)));
    person.picture("settings-en", &Theme::Light);

    // Japanese, at once: the whole window speaks it, and it is remembered.
    person.click(Lang::En.text(Text::LanguageJapanese));
    person.settle_briefly();
    assert_eq!(person.state.lang(), Lang::Ja);
    assert_eq!(person.state.title(), Lang::Ja.text(Text::AppName));
    assert!(person.sees(Lang::Ja.text(Text::SettingsAppearance)));
    assert_eq!(person.saved().ui.language, LanguageChoice::Ja);

    person.click(Lang::Ja.text(Text::ThemeDark));
    person.settle_briefly();
    assert_eq!(person.state.theme(), Some(Theme::Dark));
    // (The switch's label is drawn by the switch itself, which the simulator cannot find by text.)
    person.apply(Message::Settings(
        crate::ui::screen::settings::Message::NewMailNotifications(false),
    ));
    person.settle_briefly();
    let restarts_before = person.state.background().restarts_of("hanako@example.test");
    person.click(&Lang::Ja.plural(Plural::SyncWindowDays, 90));
    person.settle_briefly();
    assert_eq!(
        person.state.background().restarts_of("hanako@example.test"),
        restarts_before + 1,
        "a new download range restarts the account's sync"
    );
    person.picture("settings-ja-dark", &Theme::Dark);

    let saved = Settings::load(&paths).unwrap();
    assert_eq!(saved.ui.language, LanguageChoice::Ja);
    assert_eq!(saved.ui.theme, ThemeChoice::Dark);
    assert!(!saved.notifications.new_mail);
    assert_eq!(saved.sync.body_days, Some(90));
    assert_eq!(saved.network.dns_server.as_deref(), Some("127.0.0.1:1"));
    let text = std::fs::read_to_string(paths.config_file()).unwrap();
    assert!(text.contains("# from IT"), "{text}");

    // "Same as the system" follows the system again; a new window starts as saved.
    person.click(Lang::Ja.text(Text::BackToMail));
    assert!(person.state.settings_screen().is_none());
    assert!(person.sees(Lang::Ja.text(Text::NewMessage)));
    let context = Context::new(paths.clone(), Settings::load(&paths).unwrap());
    let again = open_app(context);
    assert_eq!(again.state.lang(), Lang::Ja);
    assert_eq!(again.state.theme(), Some(Theme::Dark));
}

#[test]
fn removing_an_account_forgets_its_sign_in_and_mail_and_the_last_one_opens_the_wizard() {
    let hanako = account("hanako@example.test", (993, 465));
    let alex = account("alex@corp.example", (993, 465));
    let (_home, context) = home(&[hanako.clone(), alex.clone()], "");
    let paths = context.paths.clone();
    testing::fill_store(&paths, 40);
    let _turn = testing::take_turn();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(keyring_store::save(
            &alex.email,
            SecretKind::AppPassword,
            &Secret::new("alex-secret"),
        ))
        .unwrap();

    // A message Alex wrote still waits in the outbox: removing the account keeps it there.
    let mut draft = tayori::compose::Draft::new(tayori::compose::Mailbox::new(None, &alex.email));
    draft
        .to
        .push(tayori::compose::Mailbox::new(None, "ken@example.test"));
    draft.subject = "未送信".into();
    let outbox = tayori::outbox::Outbox::open_in(&paths.data_dir).unwrap();
    outbox
        .enqueue(&alex.email, "未送信", &draft.build().unwrap(), None)
        .unwrap();

    let mut person = open_app(context);
    person.click(Lang::from_system().text(Text::SettingsTitle));
    let lang = person.state.lang();
    // The first press asks (and counts the outbox); nothing is removed yet.
    person.apply(Message::Settings(
        crate::ui::screen::settings::Message::Remove(alex.email.clone()),
    ));
    person.settle_briefly();
    assert!(person.sees(&fill(
        lang.text(Text::RemoveAccountConfirm),
        &[("email", &alex.email)]
    )));
    assert!(person.sees(&lang.plural(Plural::RemoveAccountUnsent, 1)));
    assert_eq!(Accounts::new(&paths).list().unwrap().len(), 2);
    person.picture("settings-remove-confirm", &Theme::Light);
    person.click(lang.text(Text::RemoveAccountYes));
    person.settle_briefly();

    let left: Vec<String> = Accounts::new(&paths)
        .list()
        .unwrap()
        .into_iter()
        .map(|a| a.email)
        .collect();
    assert_eq!(left, vec![hanako.email.clone()]);
    assert!(
        runtime
            .block_on(keyring_store::load(&alex.email, SecretKind::AppPassword))
            .unwrap()
            .is_none(),
        "the sign-in is gone from the keyring"
    );
    let store = Store::open_in(&paths).unwrap();
    let folders = store.folders().unwrap();
    assert!(folders.iter().all(|f| f.account != alex.email));
    assert!(folders.iter().any(|f| f.account == hanako.email));
    drop(store);
    assert!(!person.sees("alex@corp.example"));
    assert!(person.sees(&fill(
        lang.text(Text::AccountRemovedNotice),
        &[("email", &alex.email)]
    )));
    assert_eq!(
        outbox.list(false).unwrap().len(),
        1,
        "the unsent message is still in the outbox"
    );

    person.apply(Message::Settings(
        crate::ui::screen::settings::Message::Remove(hanako.email.clone()),
    ));
    person.click(lang.text(Text::RemoveAccountYes));
    person.settle_briefly();
    assert!(
        person.state.mailbox().is_none(),
        "no account left: the wizard"
    );
    // The settings stay until the person has read what the removal did: a password account has
    // no sign-in at a provider to withdraw, so only what went and what stays is said.
    assert!(person.sees(&fill(
        lang.text(Text::AccountRemovedNotice),
        &[("email", &hanako.email)]
    )));
    assert!(!person.sees(lang.text(Text::RevocationNotOffered)));
    person.click(lang.text(Text::BackToMail));
    assert!(person.state.settings_screen().is_none());
    assert!(person.sees(lang.text(Text::AddressHeading)));
}

/// A password account marked "needs sign-in" signs in again from its settings card against the
/// rig's Dovecot: a wrong password is refused in words, the right one is saved in the keyring and
/// the mark goes.
#[test]
fn an_account_signs_in_again_from_the_settings() {
    let mut s19 = account(RIG_USER, (10993, 10465));
    s19.needs_sign_in = Some("the server refused the saved password".into());
    let (_home, context) = home(
        std::slice::from_ref(&s19),
        "[network]\ndns_server = \"127.0.0.1:10053\"\n",
    );
    let paths = context.paths.clone();
    let _turn = testing::take_turn();
    let mut person = open_app(context);
    let lang = person.state.lang();
    person.click(lang.text(Text::SettingsTitle));
    person.picture("settings-needs-sign-in", &Theme::Light);
    assert!(person.sees(&fill(
        lang.text(Text::AccountNeedsSignInBecause),
        &[("reason", "the server refused the saved password")]
    )));
    let field = fill(lang.text(Text::PasswordForAccount), &[("email", RIG_USER)]);
    person.type_into(&field, "not-the-password");
    person.click(lang.text(Text::SignInAgain));
    person.settle_briefly();
    person.settle_until(|p| !p.settings().busy(RIG_USER));
    assert!(
        person.settings().problem_line(RIG_USER, lang).is_some(),
        "a wrong password is refused"
    );
    assert!(
        Accounts::new(&paths)
            .get(RIG_USER)
            .unwrap()
            .needs_sign_in
            .is_some()
    );

    person.type_into(&field, "s19-app-password");
    person.click(lang.text(Text::SignInAgain));
    person.settle_until(|p| !p.settings().busy(RIG_USER));
    assert_eq!(person.settings().problem_line(RIG_USER, lang), None);
    assert!(person.sees(lang.text(Text::AccountSignedInAgain)));
    assert!(
        Accounts::new(&paths)
            .get(RIG_USER)
            .unwrap()
            .needs_sign_in
            .is_none()
    );
    assert_eq!(person.state.background().restarts_of(RIG_USER), 1);
    let saved = person
        .runtime
        .block_on(keyring_store::load(RIG_USER, SecretKind::AppPassword))
        .unwrap()
        .expect("the password is in the keyring");
    assert_eq!(saved.expose(), "s19-app-password");
}

/// An account whose refresh was refused because the organisation withdrew its consent shows, in
/// its settings card, what that means and the admin-consent link for its tenant — in both languages.
#[test]
fn a_consent_refusal_shows_the_admin_consent_link_in_the_settings() {
    let tid = "aaaabbbb-0000-4fab-8000-000000000002";
    let mut alex = account("alex@fabrikam.example", (993, 587));
    alex.auth = AccountAuth::OAuth2 {
        client_id: "7a3e0000-0000-4000-8000-00000000a001".into(),
        issuer: None,
        authorization_endpoint: format!(
            "https://login.microsoftonline.com/{tid}/oauth2/v2.0/authorize"
        ),
        token_endpoint: format!("https://login.microsoftonline.com/{tid}/oauth2/v2.0/token"),
        iss_required: false,
        scopes: vec!["https://outlook.office.com/IMAP.AccessAsUser.All".into()],
    };
    alex.needs_sign_in = Some(
        "the sign-in service refused: invalid_grant — AADSTS65001: The user or administrator has not consented to use the application.".into(),
    );
    for language in ["en", "ja"] {
        let (_home, context) = home(
            std::slice::from_ref(&alex),
            &format!("[ui]\nlanguage = \"{language}\"\n"),
        );
        let mut person = open_app(context);
        let lang = person.state.lang();
        person.click(lang.text(Text::SettingsTitle));
        assert!(person.sees(lang.text(Text::GuideNoConsent)), "{language}");
        // Where "sign in again" (here: "try again") sends the browser.
        assert!(
            person.sees(lang.text(Text::AccountSignInPage))
                && person.sees("login.microsoftonline.com"),
            "{language}: the sign-in page's host is shown"
        );
        assert!(
            person.sees(&fill(
                lang.text(Text::AccountRefusedBecause),
                &[("reason", alex.needs_sign_in.as_deref().unwrap())]
            )),
            "{language}: told as a refusal, not as 'sign in again'"
        );
        assert!(
            person.sees(lang.text(Text::FailAdminConsentLink)),
            "{language}"
        );
        assert!(
            person.sees(&format!(
                "https://login.microsoftonline.com/{tid}/v2.0/adminconsent?client_id=7a3e0000-0000-4000-8000-00000000a001&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All&redirect_uri=http%3A%2F%2Flocalhost%2F"
            )),
            "{language}"
        );
        assert!(
            person.sees(lang.text(Text::TryAgainAfterAdmin))
                && !person.sees(lang.text(Text::SignInAgain)),
            "{language}: the button is the retry after the admin's approval, not 'sign in again'"
        );
        person.picture(&format!("settings-admin-consent-{language}"), &Theme::Light);
    }
}

/// Issue 25: the account's "Connections" list every host contacted for it — why, when, how often,
/// and whether the address went there — read from the record on disk off the UI thread, in
/// English and Japanese.
#[test]
fn connections_show_every_host_and_whether_the_address_went_there() {
    use tayori::connections::{ConnectionLog, Contact, Detail, Purpose};
    let taro = account("taro.connections@example.test", (993, 465));
    let (_home, context) = home(
        std::slice::from_ref(&taro),
        "[network]\ndns_server = \"127.0.0.1:1\"\n\n[ui]\nlanguage = \"en\"\n",
    );
    let log = ConnectionLog::new(&context.paths);
    let contacts = [
        Contact::new(
            "autoconfig.example.test",
            443,
            Purpose::Discovery,
            Detail::Autoconfig,
            true,
        ),
        Contact::new(
            "ispdb.example.test",
            443,
            Purpose::Discovery,
            Detail::Ispdb,
            false,
        ),
        Contact::new(
            "mail.example.test",
            993,
            Purpose::Imap,
            Detail::ImapSync,
            true,
        ),
    ];
    log.record_at(&taro.email, &contacts[..2], 1_796_540_000)
        .unwrap();
    log.record_at(&taro.email, &contacts[2..], 1_796_544_060)
        .unwrap();
    log.record_at(&taro.email, &contacts[2..], 1_796_544_060)
        .unwrap();
    let mut person = open_app(context);
    person.click(Lang::En.text(Text::SettingsTitle));
    assert!(!person.sees("ispdb.example.test:443"), "closed until asked");
    person.click(Lang::En.text(Text::ConnectionsShow));
    person.settle_briefly();
    assert!(matches!(
        person.settings().connections_of(&taro.email),
        Some(crate::ui::screen::settings::ConnectionsView::Loaded(list)) if list.len() == 3
    ));
    for seen in [
        "mail.example.test:993",
        "autoconfig.example.test:443",
        "ispdb.example.test:443",
        Lang::En.text(Detail::ImapSync.label()),
        Lang::En.text(Detail::Autoconfig.label()),
        Lang::En.text(Detail::Ispdb.label()),
        Lang::En.text(Text::PurposeImap),
        Lang::En.text(Text::PurposeDiscovery),
        Lang::En.text(Text::ConnectionsAddressSent),
        Lang::En.text(Text::ConnectionsNoAddress),
    ] {
        assert!(person.sees(seen), "{seen}");
    }
    assert!(person.sees(&format!(
        "{} · {}",
        fill(
            Lang::En.text(Text::ConnectionsLast),
            &[(
                "when",
                &chrono::DateTime::from_timestamp(1_796_544_060, 0)
                    .unwrap()
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            )]
        ),
        Lang::En.plural(Plural::ConnectionsTimes, 2)
    )));
    person.picture("settings-connections-en", &Theme::Light);

    person.click(Lang::En.text(Text::LanguageJapanese));
    person.settle_briefly();
    for seen in [
        Lang::Ja.text(Text::ConnectionsHide),
        Lang::Ja.text(Text::PurposeImap),
        Lang::Ja.text(Text::ConnectionsAddressSent),
        // What each host was contacted for, in Japanese too (the record keeps codes).
        Lang::Ja.text(Detail::ImapSync.label()),
        Lang::Ja.text(Detail::Autoconfig.label()),
        Lang::Ja.text(Detail::Ispdb.label()),
    ] {
        assert!(person.sees(seen), "{seen}");
    }
    for english in [
        Lang::En.text(Detail::ImapSync.label()),
        Lang::En.text(Detail::Autoconfig.label()),
        Lang::En.text(Detail::Ispdb.label()),
        Lang::En.text(Text::ConnectionsAddressSent),
        Lang::En.text(Text::ConnectionsNoAddress),
    ] {
        assert!(
            !person.sees(english),
            "English in the Japanese window: {english}"
        );
    }
    person.picture("settings-connections-ja", &Theme::Light);
    person.click(Lang::Ja.text(Text::ConnectionsHide));
    assert!(!person.sees("ispdb.example.test:443"));
}

/// The rig's Entra emulator's admin API, with a JSON body (tests/rig/README.md, "Provider
/// emulators").
fn entra_admin(method: &str, path: &str, body: &str) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect("127.0.0.30:9000")
        .expect("the rig's Entra emulator is running (tests/rig/start.sh)");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.30\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 2"),
        "{method} {path}: {answer}"
    );
}

/// A Contoso member (Microsoft 365 at the rig's Entra emulator) adds the shared mailbox
/// info@contoso.test from its card in the settings — as `tayori account add-shared` does, with no
/// second sign-in — and the shared mailbox's "Sign in again" signs its member in.
#[test]
fn a_shared_mailbox_is_added_in_the_settings_and_signs_in_through_its_member() {
    const MEMBER: &str = "megan@contoso.test";
    const SHARED: &str = "info@contoso.test";
    const SHARED_FIELD: &str = "settings-shared-megan@contoso.test";
    testing::require_rig();
    let _turn = testing::take_turn();
    let client_id = tayori::auth::clients::BUILT_IN_MICROSOFT.expect(
        "this build carries no Microsoft registration: build with TAYORI_MICROSOFT_CLIENT_ID as tests/run.sh does",
    );
    // Contoso's administrator has approved Tayori (its people may not consent themselves).
    entra_admin("DELETE", &format!("/rules?user={MEMBER}"), "");
    entra_admin(
        "POST",
        "/tenants/contoso.test/grants",
        &format!(r#"{{"client_id":"{client_id}"}}"#),
    );
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    // The browser: tests/browser-driver.py signing in as the member; every address it is asked to
    // open is written down.
    let opened = home.path().join("opened.txt");
    let browser = home.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\necho \"$1\" >> {}\nexec env TAYORI_DNS_SERVER=127.0.0.1:10053 python3 {}/tests/browser-driver.py {MEMBER} megan-entra-secret \"$1\"\n",
            opened.display(),
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let context = Context {
        settings: testing::rig_settings(),
        paths: paths.clone(),
        browser: tayori::auth::browser::Browser::Command(browser.display().to_string()),
    };

    // The member signs in as `tayori account add` does (discovery, the browser, saved).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use tayori::account::setup;
        let settings = &context.settings;
        let net = tayori::net::Net::from_settings(settings).unwrap();
        let discoverer = tayori::discovery::Discoverer::from_settings(settings).unwrap();
        let found = discoverer.discover(MEMBER).await.unwrap();
        let plan = setup::Plan::from_discovered(&found, &discoverer);
        let client = setup::oauth_client(&net, settings, &plan)
            .await
            .unwrap()
            .client;
        let signed_in = setup::sign_in_oauth(
            &net,
            &client,
            MEMBER,
            &plan.imap.host,
            context.browser.clone(),
            |_| {},
            futures::future::pending::<()>(),
        )
        .await
        .unwrap_or_else(|e| panic!("{MEMBER} could not sign in: {e}"));
        let credentials = tayori::auth::Credentials::OAuth(signed_in.manager);
        setup::save(
            &Accounts::new(&paths),
            &plan,
            None,
            setup::oauth_auth(&signed_in.client),
            &credentials,
        )
        .await
        .unwrap();
        signed_in.page.signed_in().await;
    });
    let sign_ins = || {
        std::fs::read_to_string(&opened)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(sign_ins().len(), 1, "{:?}", sign_ins());

    for lang in [Lang::En, Lang::Ja] {
        let mut person = open_app(context.clone());
        if lang == Lang::Ja {
            person.click(Lang::En.text(Text::SettingsTitle));
            person.click(Lang::En.text(Text::LanguageJapanese));
            person.settle_briefly();
        } else {
            person.click(lang.text(Text::SettingsTitle));
        }
        assert_eq!(person.state.lang(), lang);
        assert!(person.sees(lang.text(Text::SharedMailboxAdd)), "{lang:?}");
        assert!(person.sees(&fill(
            lang.text(Text::SharedMailboxHint),
            &[("email", MEMBER)]
        )));
        if lang == Lang::Ja {
            person.picture("settings-shared-mailbox-ja", &Theme::Light);
            continue;
        }
        // A shared mailbox the member does not belong to is refused, and nothing is saved.
        person.type_into_id(SHARED_FIELD, "sales@contoso.test");
        person.click(lang.text(Text::SharedMailboxAdd));
        person.settle_briefly();
        person.settle_within(Duration::from_secs(60), "the refusal", |p| {
            !p.settings().shared_busy(MEMBER)
        });
        let Some(SharedOutcome::Failed(address, failure)) =
            person.settings().shared_outcome(MEMBER)
        else {
            panic!("sales@contoso.test is not Megan's: it must be refused");
        };
        assert_eq!(address, "sales@contoso.test");
        assert!(person.sees(&fill(
            lang.text(Text::SharedMailboxFailed),
            &[
                ("shared", "sales@contoso.test"),
                ("detail", &failure.line(lang))
            ],
        )));
        assert!(Accounts::new(&paths).get("sales@contoso.test").is_err());

        // The refused address is left in the field to correct; this person clears it.
        person.apply(Message::Settings(
            crate::ui::screen::settings::Message::SharedAddress(MEMBER.into(), String::new()),
        ));
        person.type_into_id(SHARED_FIELD, SHARED);
        person.click(lang.text(Text::SharedMailboxAdd));
        person.settle_briefly();
        person.settle_within(Duration::from_secs(60), "the shared mailbox added", |p| {
            !p.settings().shared_busy(MEMBER)
        });
        if let Some(SharedOutcome::Failed(address, failure)) =
            person.settings().shared_outcome(MEMBER)
        {
            panic!("{address} was not added: {}", failure.line(lang));
        }
        assert!(person.sees(&fill(
            lang.text(Text::SharedMailboxAdded),
            &[("shared", SHARED)],
        )));
        let shared = Accounts::new(&paths).get(SHARED).expect("saved");
        assert_eq!(shared.shared_via.as_deref(), Some(MEMBER));
        assert_eq!(shared.imap.username, SHARED);
        assert_eq!(sign_ins().len(), 1, "no second sign-in: {:?}", sign_ins());
        // Its card says whose sign-in opens it, and its engine runs.
        assert!(person.sees(&fill(
            lang.text(Text::SharedMailboxOpensWith),
            &[("member", MEMBER)]
        )));
        assert!(
            person
                .state
                .background()
                .accounts()
                .iter()
                .any(|a| a.email == SHARED)
        );
        person.picture("settings-shared-mailbox-en", &Theme::Light);
        drop(person);

        // Its sign-in is refused later (say, a password reset): "Sign in again" on the shared
        // mailbox signs its member in, and both are renewed.
        let accounts = Accounts::new(&paths);
        let reason = "the sign-in service refused: invalid_grant — AADSTS50173: The provided grant has expired due to it being revoked.";
        accounts
            .set_needs_sign_in(SHARED, Some(reason.into()))
            .unwrap();
        accounts
            .set_needs_sign_in(MEMBER, Some(reason.into()))
            .unwrap();
        let mut person = open_app(context.clone());
        person.click(lang.text(Text::SettingsTitle));
        let again = fill(lang.text(Text::SignInAgainAs), &[("member", MEMBER)]);
        assert!(person.sees(&again));
        person.click(&again);
        person.settle_briefly();
        person.settle_within(Duration::from_secs(90), "the member's sign-in", |p| {
            !p.settings().busy(SHARED)
        });
        assert_eq!(person.settings().problem_line(SHARED, lang), None);
        let opened_now = sign_ins();
        assert_eq!(opened_now.len(), 2, "{opened_now:?}");
        assert!(
            opened_now[1].contains(&format!("login_hint={}", MEMBER.replace('@', "%40"))),
            "the member signs in, not the shared mailbox: {}",
            opened_now[1]
        );
        for email in [SHARED, MEMBER] {
            assert!(
                accounts.get(email).unwrap().needs_sign_in.is_none(),
                "{email} renewed by the member's sign-in"
            );
            assert_eq!(person.state.background().restarts_of(email), 1, "{email}");
        }
    }
    runtime.block_on(async {
        for email in [SHARED, MEMBER] {
            let _ = tayori::account::setup::remove_account(&paths, email).await;
        }
    });
    entra_admin(
        "DELETE",
        &format!("/tenants/contoso.test/grants/{client_id}"),
        "",
    );
}

/// "About Tayori" names the version and the app registrations this build signs in with, as
/// `tayori --version` does — in both languages.
#[test]
fn the_about_section_names_the_built_in_registrations() {
    let (_home, context) = home(
        &[account("about@example.test", (993, 465))],
        "[network]\ndns_server = \"127.0.0.1:1\"\n",
    );
    let mut person = open_app(context);
    // Ctrl+, opens the settings from the main window (as in most desktop programs).
    let iced::keyboard::Event::KeyPressed {
        key,
        modified_key,
        physical_key,
        location,
        text,
        repeat,
        ..
    } = testing::key_event(iced::keyboard::Key::Character(",".into()))
    else {
        unreachable!()
    };
    person.apply(Message::Mailbox(crate::ui::screen::mailbox::Message::Key(
        iced::keyboard::Event::KeyPressed {
            key,
            modified_key,
            physical_key,
            location,
            modifiers: iced::keyboard::Modifiers::COMMAND,
            text,
            repeat,
        },
    )));
    assert!(
        person.state.settings_screen().is_some(),
        "Ctrl+, opens the settings"
    );
    for lang in [Lang::En, Lang::Ja] {
        if lang == Lang::Ja {
            person.click(Lang::En.text(Text::LanguageJapanese));
            person.settle_briefly();
        }
        assert!(person.sees(lang.text(Text::SettingsAbout)), "{lang:?}");
        assert!(person.sees(&fill(
            lang.text(Text::AboutVersion),
            &[("version", env!("CARGO_PKG_VERSION"))]
        )));
        for (service, id) in [
            ("Microsoft", tayori::auth::clients::BUILT_IN_MICROSOFT),
            ("Google", tayori::auth::clients::BUILT_IN_GOOGLE),
        ] {
            let line = match id {
                Some(id) => fill(
                    lang.text(Text::AboutBuiltInRegistration),
                    &[("service", service), ("id", id)],
                ),
                None => fill(
                    lang.text(Text::AboutNoBuiltInRegistration),
                    &[("service", service)],
                ),
            };
            assert!(person.sees(&line), "{lang:?}: {line}");
        }
    }
}

/// Issue 25: removing an account in the settings says what became of its sign-in at the provider,
/// as `tayori account remove` does — here a Gmail account signed in for real at the rig's Google
/// emulator, whose grant Google withdraws (RFC 7009) while the window waits in a task. The
/// emulator's own state shows the grant gone.
#[test]
fn removing_a_google_account_in_the_settings_says_the_sign_in_was_withdrawn() {
    const GMAIL: &str = "t07@gmail.com";
    const GOOGLE_ADMIN: &str = "127.0.0.40:9000";
    testing::require_rig();
    let _turn = testing::take_turn();
    let client_id = tayori::auth::clients::BUILT_IN_GOOGLE.expect(
        "this build carries no Google registration: build with TAYORI_GOOGLE_CLIENT_ID as tests/run.sh does",
    );
    let google_admin = |method: &str, path: &str| -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(GOOGLE_ADMIN)
            .expect("the rig's Google emulator is running (tests/rig/start.sh)");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.40\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let granted = || {
        let answer = google_admin("GET", "/state");
        let json = &answer[answer.find('{').unwrap()..=answer.rfind('}').unwrap()];
        let state: serde_json::Value = serde_json::from_str(json).unwrap();
        !state["grants"][GMAIL][client_id].is_null()
    };
    // A first consent, so Google issues a refresh token.
    google_admin("DELETE", &format!("/grants/{GMAIL}/{client_id}"));
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let browser = home.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nexec env TAYORI_DNS_SERVER=127.0.0.1:10053 python3 {}/tests/browser-driver.py {GMAIL} t07-google-secret \"$1\"\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    // The settings file the window and the removal read (the rig's DNS), in English.
    testing::require_rig();
    std::fs::write(
        paths.config_file(),
        "[network]\ndns_server = \"127.0.0.1:10053\"\n[discovery]\nispdb_url = \"https://ispdb.example.test/v1.1/\"\n[ui]\nlanguage = \"en\"\n",
    )
    .unwrap();
    let context = Context {
        settings: Settings::load(&paths).unwrap(),
        paths: paths.clone(),
        browser: tayori::auth::browser::Browser::Command(browser.display().to_string()),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use tayori::account::setup;
        let settings = &context.settings;
        let net = tayori::net::Net::from_settings(settings).unwrap();
        let discoverer = tayori::discovery::Discoverer::from_settings(settings).unwrap();
        let found = discoverer.discover(GMAIL).await.unwrap();
        let plan = setup::Plan::from_discovered(&found, &discoverer);
        let client = setup::oauth_client(&net, settings, &plan)
            .await
            .unwrap()
            .client;
        let signed_in = setup::sign_in_oauth(
            &net,
            &client,
            GMAIL,
            &plan.imap.host,
            context.browser.clone(),
            |_| {},
            futures::future::pending::<()>(),
        )
        .await
        .unwrap_or_else(|e| panic!("{GMAIL} could not sign in: {e}"));
        let credentials = tayori::auth::Credentials::OAuth(signed_in.manager);
        setup::save(
            &Accounts::new(&paths),
            &plan,
            None,
            setup::oauth_auth(&signed_in.client),
            &credentials,
        )
        .await
        .unwrap();
        signed_in.page.signed_in().await;
    });
    assert!(
        granted(),
        "Google holds the grant while the account is here"
    );

    let mut person = open_app(context);
    let lang = Lang::En;
    person.click(lang.text(Text::SettingsTitle));
    person.apply(Message::Settings(
        crate::ui::screen::settings::Message::Remove(GMAIL.into()),
    ));
    person.settle_briefly();
    person.click(lang.text(Text::RemoveAccountYes));
    let withdrawn = fill(
        lang.text(Text::RevokedAtProvider),
        &[("host", "oauth2.googleapis.com")],
    );
    person.settle();
    person.picture("settings-removed-revoked-en", &Theme::Light);
    assert!(
        person.sees(&withdrawn),
        "see target/screenshots/settings-removed-revoked-en.png"
    );
    assert!(person.sees(&fill(
        lang.text(Text::AccountRemovedNotice),
        &[("email", GMAIL)]
    )));
    assert!(!granted(), "the grant is gone at Google");
    assert!(
        runtime
            .block_on(keyring_store::load(GMAIL, SecretKind::RefreshToken))
            .unwrap()
            .is_none()
    );
    person.click(lang.text(Text::DismissNotice));
    assert!(!person.sees(&withdrawn));
}

/// The same in Japanese, for a provider that offers programs no revocation (an OAuth account
/// whose sign-in service names no revocation endpoint, as Microsoft's does not): the window says
/// how to end the sign-in at the provider, in the person's language.
#[test]
fn removing_an_account_in_japanese_says_how_to_end_the_sign_in_at_the_provider() {
    let mut yuki = account("yuki.remove@example.test", (993, 465));
    yuki.auth = AccountAuth::OAuth2 {
        client_id: "tayori".into(),
        issuer: None,
        authorization_endpoint: "https://login.example.test/authorize".into(),
        token_endpoint: "https://login.example.test/token".into(),
        iss_required: false,
        scopes: vec!["offline_access".into()],
    };
    let (_home, context) = home(
        std::slice::from_ref(&yuki),
        "[network]\ndns_server = \"127.0.0.1:1\"\n\n[ui]\nlanguage = \"ja\"\n",
    );
    let _turn = testing::take_turn();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(keyring_store::save(
            &yuki.email,
            SecretKind::RefreshToken,
            &Secret::new("yuki-refresh-token"),
        ))
        .unwrap();
    let mut person = open_app(context);
    let lang = Lang::Ja;
    person.click(lang.text(Text::SettingsTitle));
    person.apply(Message::Settings(
        crate::ui::screen::settings::Message::Remove(yuki.email.clone()),
    ));
    person.settle_briefly();
    person.click(lang.text(Text::RemoveAccountYes));
    let not_offered = lang.text(Text::RevocationNotOffered);
    person.settle_until(|person| person.sees(not_offered));
    assert!(person.sees(&fill(
        lang.text(Text::AccountRemovedNotice),
        &[("email", &yuki.email)]
    )));
    for english in [
        Lang::En.text(Text::RevocationNotOffered),
        &fill(
            Lang::En.text(Text::AccountRemovedNotice),
            &[("email", &yuki.email)],
        ),
    ] {
        assert!(
            !person.sees(english),
            "English in the Japanese window: {english}"
        );
    }
    person.picture("settings-removed-not-offered-ja", &Theme::Light);
    assert!(
        runtime
            .block_on(keyring_store::load(&yuki.email, SecretKind::RefreshToken))
            .unwrap()
            .is_none(),
        "the refresh token is gone from the keyring"
    );
}

/// An account's sign-in stopped by the office's proxy asking for its user name and password (over
/// TLS) is answered in the settings: the proxy's sign-in form appears on the account's card, what is
/// typed goes to the system keyring under the proxy's `host:port` (where the core reads it, as after
/// `tayori proxy sign-in`), and the sign-in runs again. (How the core then answers the proxy is
/// tests/proxy_mail.rs.)
#[test]
fn a_proxy_asking_a_sign_in_for_its_password_is_signed_in_to_from_the_settings() {
    const PROXY: &str = "settings-proxy.office.test:3444";
    let email = "s20@example.test";
    let (_home, context) = home(&[account(email, (10993, 10465))], "");
    let _turn = testing::take_turn();
    let mut person = open_app(context);
    let _ = person
        .runtime
        .block_on(keyring_store::delete(PROXY, SecretKind::ProxyPassword));
    // In the window's language (the form itself is shown in both by the wizard's and the
    // banner's tests).
    let lang = person.state.lang();
    person.click(lang.text(Text::SettingsTitle));
    {
        let refused = tayori::account::setup::SetupError::Imap(tayori::imap::ImapError::Net(
            tayori::net::NetError::Refused(tayori::net::proxy::Refusal::ProxyCredentialsNeeded {
                proxy: PROXY.into(),
            }),
        ));
        person.apply(Message::Settings(
            crate::ui::screen::settings::Message::SignedInAgain(
                email.into(),
                Err(crate::ui::failure::Failure::from_setup(&refused)),
            ),
        ));
        let heading = fill(lang.text(Text::ProxySignInHeading), &[("proxy", PROXY)]);
        assert!(person.sees(&heading), "{heading}");
        person.type_into_id("proxy-sign-in-user", "tanaka");
        person.type_into_id("proxy-sign-in-password", "proxy-secret");
        person.picture("settings-proxy-sign-in", &Theme::Light);
        person.click(lang.text(Text::ProxySignInSave));
        person.settle_until(|p| !p.sees(&heading));
        let saved = person
            .runtime
            .block_on(keyring_store::load(PROXY, SecretKind::ProxyPassword))
            .unwrap()
            .expect("the proxy sign-in is in the keyring");
        assert_eq!(saved.expose(), "tanaka:proxy-secret");
        let _ = person
            .runtime
            .block_on(keyring_store::delete(PROXY, SecretKind::ProxyPassword));
        person.settle_until(|p| !p.settings().busy(email));
    }
}
