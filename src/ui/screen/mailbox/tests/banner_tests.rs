//! The "needs sign-in" banner: a password account and an OAuth account sign in again from it
//! against the rig, and the account's engine starts afresh.

use std::time::{Duration, Instant};

use iced::widget::Id;
use tayori::account::AccountAuth;
use tayori::i18n::{Lang, Text, fill};
use tayori::store::FolderRole;

use super::*;
use crate::ui::sync;
use crate::ui::testing::{rig_account, rig_context};

/// The "needs sign-in" banner's button signs a password account in again against the rig's
/// Dovecot (a wrong password is refused in words), saves the password in the keyring, clears the
/// mark in accounts.toml and gives the account's sync engine a new start.
#[test]
fn the_banner_signs_an_account_in_again() {
    let email = "s23@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    let mut s23 = rig_account(email);
    s23.needs_sign_in = Some("the server refused the saved password".into());
    let accounts = tayori::account::Accounts::new(&paths);
    accounts.upsert(s23.clone()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _turn = testing::take_turn();
    let _ = runtime.block_on(tayori::auth::keyring_store::delete(
        email,
        tayori::auth::keyring_store::SecretKind::AppPassword,
    ));
    let (state, load) = Mailbox::new(context, vec![s23], None);
    let mut person = Person::with_runtime(state, Lang::En, runtime);
    person.spawn(load);
    person.settle();
    assert!(person.sees(&tayori::i18n::fill(
        Lang::En.text(Text::NeedsSignInBanner),
        &[("email", email)]
    )));
    let type_password = |person: &mut Person, password: &str| {
        let messages: Vec<Message> = {
            let mut ui = person.ui();
            ui.click(Id::from(format!("reauth-{email}"))).unwrap();
            let _ = ui.typewrite(password);
            ui.into_messages().collect()
        };
        for message in messages {
            person.apply(message);
        }
    };

    type_password(&mut person, "not-the-password");
    person.click(Lang::En.text(Text::SignInAgain));
    person.settle();
    assert!(
        person.state.banner.reauth[email].problem.is_some(),
        "a wrong password is refused"
    );
    let problem = person.state.banner.reauth[email].problem.clone().unwrap();
    let shown = tayori::i18n::fill(
        Lang::En.text(Text::SignInAgainFailed),
        &[("email", email), ("detail", &problem.line(Lang::En))],
    );
    assert!(person.sees(&shown), "the reason is shown: {shown}");
    person.picture("reauth-banner", &iced::Theme::Light);
    assert!(accounts.get(email).unwrap().needs_sign_in.is_some());

    type_password(&mut person, "s23-app-password");
    person.click(Lang::En.text(Text::SignInAgain));
    person.settle();
    assert!(
        person.state.background.accounts()[0]
            .needs_sign_in
            .is_none()
    );
    assert!(accounts.get(email).unwrap().needs_sign_in.is_none());
    assert_eq!(person.state.background.restarts_of(email), 1);
    assert!(!person.sees(Lang::En.text(Text::SignInAgain)));
    let saved = person
        .runtime
        .block_on(tayori::auth::keyring_store::load(
            email,
            tayori::auth::keyring_store::SecretKind::AppPassword,
        ))
        .unwrap();
    assert!(saved.is_some(), "the password is in the keyring");
    let _ = person.runtime.block_on(tayori::auth::keyring_store::delete(
        email,
        tayori::auth::keyring_store::SecretKind::AppPassword,
    ));
}

/// The banner's "Sign in again" for an OAuth account: one click opens the browser (the driver fills
/// in the rig provider's real login form), the new tokens go into the keyring, the banner goes, and
/// the account's sync engine — started afresh — completes a pass with them.
#[test]
fn the_banner_signs_an_oauth_account_in_again_and_sync_runs() {
    let email = "alice@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let mut context = rig_context(&paths);
    context.browser = tayori::auth::browser::Browser::Command(format!(
        "python3 {}/tests/browser-driver.py {email} alice-idp-secret",
        env!("CARGO_MANIFEST_DIR")
    ));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // The account as the wizard saves it for the rig's provider: endpoints from its metadata.
    let net = tayori::net::Net::from_settings(&context.settings).unwrap();
    let meta = runtime
        .block_on(tayori::auth::metadata::for_issuer(
            &net.http,
            "https://127.0.0.1:9443",
        ))
        .expect("the rig's provider answers (is the rig running?)");
    let mut alice = rig_account(email);
    alice.auth = AccountAuth::OAuth2 {
        client_id: "tayori".into(),
        issuer: Some(meta.issuer),
        authorization_endpoint: meta.authorization_endpoint,
        token_endpoint: meta.token_endpoint,
        iss_required: meta.authorization_response_iss_parameter_supported,
        scopes: ["openid", "email", "offline_access", "mail"]
            .map(String::from)
            .to_vec(),
    };
    alice.needs_sign_in = Some("the refresh token has expired".into());
    let accounts = tayori::account::Accounts::new(&paths);
    accounts.upsert(alice.clone()).unwrap();
    let _turn = testing::take_turn();
    let mut person = window(context.clone(), Lang::Ja, runtime);
    let banner = fill(Lang::Ja.text(Text::NeedsSignInBanner), &[("email", email)]);
    assert!(person.sees(&banner));
    // No password box for an OAuth account: the browser does the signing in.
    assert!(
        person
            .ui()
            .find(Id::from(format!("reauth-{email}")))
            .is_err()
    );
    let started = Instant::now();
    person.click(Lang::Ja.text(Text::SignInAgain));
    assert!(person.sees(&fill(
        Lang::Ja.text(Text::SigningInAgain),
        &[("email", email)]
    )));
    person.settle();
    eprintln!(
        "OAuth sign-in again from the banner: {:?}",
        started.elapsed()
    );
    assert!(
        !person.main_window().banner.reauth.contains_key(email),
        "signed in: {:?}",
        person
            .main_window()
            .banner
            .reauth
            .get(email)
            .and_then(|r| r.problem.as_ref())
    );
    assert!(!person.sees(&banner), "the banner is gone");
    assert!(
        person.state.background().accounts()[0]
            .needs_sign_in
            .is_none()
    );
    assert!(accounts.get(email).unwrap().needs_sign_in.is_none());
    assert_eq!(person.state.background().restarts_of(email), 1);

    // The engine the new key starts signs in with the new tokens and completes a pass.
    let account = person.state.background().accounts()[0].clone();
    let mut engine = Box::pin(sync::run_for_test(sync::Key {
        account,
        context,
        restart: 1,
    }));
    loop {
        let next = person
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(120), engine.next()).await })
            .expect("the engine finishes a pass within two minutes");
        let Some((_, update)) = next else {
            panic!("the engine stopped before finishing a pass");
        };
        match &update {
            sync::Update::CouldNotStart(detail) => panic!("the engine could not start: {detail}"),
            sync::Update::Event(tayori::sync::SyncEvent::NeedsSignIn { error }) => {
                panic!("the new sign-in was refused: {error}")
            }
            _ => {}
        }
        let finished = matches!(
            update,
            sync::Update::Event(tayori::sync::SyncEvent::Finished(_))
        );
        person.engine_says(email, update);
        if finished {
            break;
        }
    }
    person.settle();
    assert_eq!(
        person.sync_line(Lang::Ja).as_deref(),
        Some(format!("{email}: {}", Lang::Ja.text(Text::SyncUpToDate)).as_str())
    );
    assert!(
        person
            .main_window()
            .folders()
            .iter()
            .any(|f| f.account == email && f.role == Some(FolderRole::Inbox)),
        "alice's folders arrived"
    );
}

/// An account stopped by conditional access is not told to "sign in again" (that does not help):
/// the banner says the organisation refused it, in both languages.
#[test]
fn a_conditional_access_refusal_is_not_told_as_sign_in_again() {
    let email = "s24@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    let mut s24 = rig_account(email);
    s24.needs_sign_in = Some(
        "the sign-in service refused: interaction_required — AADSTS53003: Access has been blocked by Conditional Access policies.".into(),
    );
    for lang in [Lang::En, Lang::Ja] {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (state, load) = Mailbox::new(context.clone(), vec![s24.clone()], None);
        let mut person = Person::with_runtime(state, lang, runtime);
        person.spawn(load);
        person.settle();
        assert!(person.sees(&fill(lang.text(Text::RefusedBanner), &[("email", email)])));
        assert!(!person.sees(&fill(
            lang.text(Text::NeedsSignInBanner),
            &[("email", email)]
        )));
        // The engine's own report of the refusal: the status bar does not say "sign-in needed"
        // either, but that the sign-in service refused.
        let mut background = crate::ui::background::Background::new(vec![s24.clone()], None);
        let error = s24.needs_sign_in.clone().unwrap();
        background.synced(
            email.into(),
            sync::Update::Event(tayori::sync::SyncEvent::NeedsSignIn { error }),
        );
        let line =
            crate::ui::screen::mailbox::view::sync_line(&background, lang).unwrap_or_default();
        assert!(!line.contains(lang.text(Text::SyncNeedsSignIn)), "{line}");
        assert_eq!(
            line,
            format!("{email}: {}", lang.text(Text::SyncSignInRefused))
        );
    }
}

/// A sync stopped by the office's proxy asking for its user name and password (over TLS) is
/// answered from the window: the proxy's sign-in form appears over the list, what is typed goes
/// to the system keyring under the proxy's `host:port` (where the core reads it, as after `tayori
/// proxy sign-in`), and every engine starts again through it. (How the core then answers the
/// proxy is tests/proxy_mail.rs.)
#[test]
fn a_proxy_asking_a_sync_for_its_password_is_signed_in_to_from_the_window() {
    use tayori::auth::keyring_store::{self, SecretKind};
    const PROXY: &str = "banner-proxy.office.test:3444";
    let email = "s22@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    tayori::account::Accounts::new(&paths)
        .upsert(rig_account(email))
        .unwrap();
    let _turn = testing::take_turn();
    for lang in [Lang::Ja, Lang::En] {
        let mut person = window(
            context.clone(),
            lang,
            tokio::runtime::Runtime::new().unwrap(),
        );
        let _ = person
            .runtime
            .block_on(keyring_store::delete(PROXY, SecretKind::ProxyPassword));
        let refusal = tayori::net::proxy::Refusal::ProxyCredentialsNeeded {
            proxy: PROXY.into(),
        };
        let asks = |person: &mut Window| {
            person.engine_says(
                email,
                sync::Update::Event(tayori::sync::SyncEvent::Offline {
                    error: refusal.text(lang),
                    retry_in: Duration::from_secs(4),
                    proxy_sign_in: Some(PROXY.into()),
                }),
            );
        };
        asks(&mut person);
        let heading = fill(lang.text(Text::ProxySignInHeading), &[("proxy", PROXY)]);
        assert!(person.sees(&heading), "{heading}");
        person.type_into_id("proxy-sign-in-user", "tanaka");
        // The engine asks again while the person types: nothing typed is lost.
        asks(&mut person);
        person.type_into_id("proxy-sign-in-password", "proxy-secret");
        person.picture(&format!("sync-proxy-sign-in-{lang:?}"), &iced::Theme::Light);
        let before = person.state.background().restarts_of(email);
        person.click(lang.text(Text::ProxySignInSave));
        person.settle_within(
            Duration::from_secs(20),
            "the proxy sign-in saved",
            |person| person.state.background().restarts_of(email) > before,
        );
        assert!(!person.sees(&heading), "the form goes once saved");
        let saved = person
            .runtime
            .block_on(keyring_store::load(PROXY, SecretKind::ProxyPassword))
            .unwrap()
            .expect("the proxy sign-in is in the keyring");
        assert_eq!(saved.expose(), "tanaka:proxy-secret");
        let _ = person
            .runtime
            .block_on(keyring_store::delete(PROXY, SecretKind::ProxyPassword));
    }
}

/// Exchange refused IMAP for an account's mailbox and its engine turned to Microsoft Graph (it
/// recorded the turn in the account list, then said so): the window tells the person in a notice
/// over the list, in ja and en, that stays when the engine's next report replaces the status line,
/// goes when closed, is marked told in the account list, and is not shown again by the next
/// start. An account that turned while no window told it (the window was closed first) is told
/// by the next start, once.
#[test]
fn the_window_tells_once_that_imap_is_off_and_it_reads_through_microsoft_365() {
    use tayori::sync::SyncEvent;
    let email = "s21@example.test";
    let because = "NO AUTHENTICATE failed.";
    for lang in [Lang::Ja, Lang::En] {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        let context = rig_context(&paths);
        let accounts = tayori::account::Accounts::new(&paths);
        accounts.upsert(rig_account(email)).unwrap();
        let notice = fill(lang.text(Text::ReadViaGraphNotice), &[("account", email)]);
        let told = || {
            accounts
                .get(email)
                .unwrap()
                .read_via_graph
                .is_some_and(|graph| graph.told)
        };

        let mut person = window(
            context.clone(),
            lang,
            tokio::runtime::Runtime::new().unwrap(),
        );
        assert!(!person.sees(&notice));
        // What the engine does (src/sync/account.rs): records the turn, then reports it.
        accounts.set_read_via_graph(email, because).unwrap();
        person.engine_says(
            email,
            sync::Update::Event(SyncEvent::ReadingThroughGraph {
                because: because.into(),
            }),
        );
        person.settle();
        assert!(
            person.sees(&notice),
            "the notice is over the list: {notice}"
        );
        assert!(told(), "marked told in the account list");
        // The engine moves on: the status line says so, the notice stays.
        person.engine_says(email, sync::Update::Event(SyncEvent::Idle));
        person.settle();
        let line = person.sync_line(lang).unwrap_or_default();
        assert!(!line.contains(&notice), "{line}");
        assert!(
            person.sees(&notice),
            "still shown after the status line moved on"
        );
        person.picture(
            &format!("read-via-graph-notice-{lang:?}"),
            &iced::Theme::Light,
        );
        person.click(lang.text(Text::DismissNotice));
        person.settle();
        assert!(!person.sees(&notice), "closed");

        // The next start does not tell it again.
        let again = window(
            context.clone(),
            lang,
            tokio::runtime::Runtime::new().unwrap(),
        );
        assert!(!again.sees(&notice), "told once");

        // Turned while no window told it: the next start tells it, once.
        let other = "s20@example.test";
        accounts.upsert(rig_account(other)).unwrap();
        accounts.set_read_via_graph(other, because).unwrap();
        let other_notice = fill(lang.text(Text::ReadViaGraphNotice), &[("account", other)]);
        let start = window(
            context.clone(),
            lang,
            tokio::runtime::Runtime::new().unwrap(),
        );
        assert!(
            start.sees(&other_notice),
            "told at the start: {other_notice}"
        );
        assert!(!start.sees(&notice));
        let again = window(context, lang, tokio::runtime::Runtime::new().unwrap());
        assert!(!again.sees(&other_notice), "and only then");
    }
}

/// The daily check found IMAP on again for an account read through Microsoft 365 (its engine
/// recorded it in the account list, then said so): the window tells it once, in ja and en, in a
/// notice over the list that takes the place of the "reads through Microsoft 365" notice; closed,
/// it is not shown by the next start.
#[test]
fn the_window_tells_once_that_imap_is_on_again() {
    use tayori::sync::SyncEvent;
    let email = "s21@example.test";
    for lang in [Lang::Ja, Lang::En] {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        let context = rig_context(&paths);
        let accounts = tayori::account::Accounts::new(&paths);
        accounts.upsert(rig_account(email)).unwrap();
        let graph_notice = fill(lang.text(Text::ReadViaGraphNotice), &[("account", email)]);
        let notice = fill(
            lang.text(Text::ReadViaImapAgainNotice),
            &[("account", email)],
        );

        // Read through Graph, told at the start and still shown.
        accounts
            .set_read_via_graph(email, "NO AUTHENTICATE failed.")
            .unwrap();
        let mut person = window(
            context.clone(),
            lang,
            tokio::runtime::Runtime::new().unwrap(),
        );
        assert!(person.sees(&graph_notice), "{graph_notice}");
        assert!(!person.sees(&notice));

        // What the engine does (src/sync/account.rs): records it, then reports it.
        accounts.set_read_via_imap_again(email).unwrap();
        person.engine_says(
            email,
            sync::Update::Event(SyncEvent::ReadingThroughImapAgain),
        );
        person.settle();
        assert!(
            person.sees(&notice),
            "the notice is over the list: {notice}"
        );
        assert!(
            !person.sees(&graph_notice),
            "the Microsoft 365 notice no longer holds"
        );
        assert!(
            accounts
                .get(email)
                .unwrap()
                .read_via_imap_again
                .is_some_and(|again| again.told),
            "marked told in the account list"
        );
        person.engine_says(email, sync::Update::Event(SyncEvent::Idle));
        person.settle();
        assert!(person.sees(&notice), "stays when the status line moves on");
        person.picture(
            &format!("read-via-imap-again-notice-{lang:?}"),
            &iced::Theme::Light,
        );
        person.click(lang.text(Text::DismissNotice));
        person.settle();
        assert!(!person.sees(&notice), "closed");

        let again = window(context, lang, tokio::runtime::Runtime::new().unwrap());
        assert!(!again.sees(&notice), "told once");
        assert!(!again.sees(&graph_notice));
    }
}
