//! `tayori account add|list|remove|reauth`: the wizard's job on the command line — discovery, sign-in
//! in the browser (or an app password where OAuth is impossible, saying why), verification of IMAP
//! and SMTP, and saving the account with its secret in the keyring only.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, bail};
use tayori::account::setup::{self, Method, Plan, SetupError};
use tayori::account::{Account, AccountAuth, Accounts, Server};
use tayori::auth::browser::Browser;
use tayori::auth::flow::OAuthClient;
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::auth::tokens::TokenManager;
use tayori::auth::{AuthError, guidance};
use tayori::config::{Paths, Settings};
use tayori::discovery::{Discovered, Discoverer};
use tayori::i18n::Lang;
use tayori::imap::{self, Credentials};
use tayori::net::Net;
use tayori::redact::Secret;

use super::{AccountCommand, AuthChoice};

pub fn run(paths: &Paths, settings: &Settings, action: AccountCommand) -> ExitCode {
    let Some(runtime) = super::runtime() else {
        return ExitCode::FAILURE;
    };
    let accounts = Accounts::new(paths);
    let result = runtime.block_on(async {
        match action {
            AccountCommand::Add {
                email,
                auth,
                browser,
                trust,
                name,
            } => add(settings, &accounts, &email, auth, browser, trust, name).await,
            AccountCommand::List => list(&accounts),
            AccountCommand::Remove { email } => remove(paths, &email).await,
            AccountCommand::Verify { email } => {
                verify_saved(settings, &accounts, email.as_deref()).await
            }
            AccountCommand::Reauth { email, browser } => {
                reauth(settings, &accounts, &email, browser).await
            }
        }
    });
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tayori: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The network for the mail commands (`tayori sync` and friends), as account setup builds it.
pub(super) fn net(settings: &Settings) -> anyhow::Result<Net> {
    Ok(Net::from_settings(settings)?)
}

pub(super) fn read_password(prompt: &str) -> anyhow::Result<Secret> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        bail!("no password given");
    }
    Ok(Secret::new(password))
}

/// Proves the account works: IMAP sign-in and SMTP sign-in.
async fn verify(
    net: &Net,
    imap_server: &Server,
    smtp_server: &Server,
    credentials: &Credentials,
) -> anyhow::Result<()> {
    print!(
        "Checking incoming mail (IMAP {}:{}) … ",
        imap_server.host, imap_server.port
    );
    setup::verify_imap(net, imap_server, credentials)
        .await
        .inspect_err(|_| println!("failed"))?;
    println!("ok");
    print!(
        "Checking outgoing mail (SMTP {}:{}) … ",
        smtp_server.host, smtp_server.port
    );
    setup::verify_smtp(net, smtp_server, credentials)
        .await
        .inspect_err(|_| println!("failed"))?;
    println!("ok");
    Ok(())
}

async fn sign_in_oauth(
    net: &Net,
    client: &OAuthClient,
    email: &str,
    browser: Option<String>,
) -> anyhow::Result<Arc<TokenManager>> {
    println!(
        "Opening your browser to sign in to {}. Multi-factor sign-in, if your organisation uses it, happens there.",
        client
            .issuer
            .as_deref()
            .unwrap_or(&client.authorization_endpoint)
    );
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    setup::sign_in_oauth(net, client, email, Browser::choose(browser), |_| {}, cancel)
        .await
        .map_err(explain_auth)
}

/// Adds the guidance text for a provider's error code, if there is one.
fn explain_auth(error: SetupError) -> anyhow::Error {
    match error.guidance() {
        Some(g) => anyhow!(
            "{error}\n{}\n{}",
            g.text(Lang::from_system()),
            if Lang::from_system() == Lang::En {
                ""
            } else {
                g.text(Lang::En)
            }
        ),
        None => anyhow!(error),
    }
}

#[allow(clippy::too_many_arguments)]
async fn add(
    settings: &Settings,
    accounts: &Accounts,
    email: &str,
    choice: Option<AuthChoice>,
    browser: Option<String>,
    trust: Vec<String>,
    name: Option<String>,
) -> anyhow::Result<ExitCode> {
    let net = net(settings)?;
    let mut discoverer = Discoverer::from_settings(settings)?;
    discoverer.options_mut().trusted_domains =
        trust.iter().map(|d| d.to_ascii_lowercase()).collect();
    println!("Looking up the mail servers for {email} …");
    let found: Discovered = discoverer.discover(email).await?;
    if let Some(confirmation) = &found.needs_confirmation {
        eprintln!(
            "These settings lead to {} ({}), which your domain did not vouch for. Nothing was sent. \
             If you trust it, run again with {}.",
            confirmation.domains.join(", "),
            confirmation.reason,
            confirmation
                .domains
                .iter()
                .map(|d| format!("--trust {d}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        return Ok(ExitCode::from(super::discover::EXIT_NEEDS_CONFIRMATION));
    }
    let plan = Plan::from_discovered(&found, &discoverer);
    println!(
        "Found ({}): IMAP {}:{} {}, SMTP {}:{} {}",
        found.source.label(),
        plan.imap.host,
        plan.imap.port,
        plan.imap.security,
        plan.smtp.host,
        plan.smtp.port,
        plan.smtp.security
    );
    let method = match choice {
        Some(AuthChoice::Oauth) => Method::OAuth,
        Some(AuthChoice::Password) => Method::Password,
        None => {
            if plan.offers(Method::OAuth) {
                Method::OAuth
            } else {
                Method::Password
            }
        }
    };
    plan.check_allowed(method)?;
    let (auth, credentials) = match method {
        Method::OAuth => {
            let client = match setup::oauth_client(&net, settings, &plan).await {
                Ok(resolved) => {
                    if let Some(configuration) = &resolved.named_by_server {
                        println!("The mail server names its sign-in service: {configuration}");
                    }
                    resolved.client
                }
                Err(error) => {
                    eprintln!("{error}");
                    if plan.offers(Method::Password) {
                        eprintln!(
                            "\n{}",
                            guidance::app_password_help(plan.provider, Lang::from_system())
                        );
                        eprintln!("To use a password: tayori account add {email} --auth password");
                    }
                    return Ok(ExitCode::FAILURE);
                }
            };
            let manager = match sign_in_oauth(&net, &client, email, browser).await {
                Ok(manager) => manager,
                Err(error) => {
                    // The tenant refusing the app is where an app password is the way out — if the
                    // administrator allows them.
                    let text = format!("{error:#}");
                    if setup::app_refused(&text) && plan.offers(Method::Password) {
                        eprintln!(
                            "{text}\n\n{}",
                            guidance::app_password_help(plan.provider, Lang::from_system())
                        );
                        eprintln!(
                            "To use an app password: tayori account add {email} --auth password"
                        );
                        return Ok(ExitCode::FAILURE);
                    }
                    return Err(error);
                }
            };
            (setup::oauth_auth(&client), Credentials::OAuth(manager))
        }
        Method::Password => {
            if plan.offers(Method::OAuth) {
                println!(
                    "{}",
                    guidance::app_password_help(plan.provider, Lang::from_system())
                );
            }
            let password = read_password(&format!("Password for {email}: "))?;
            (AccountAuth::Password, Credentials::Password(password))
        }
    };
    if let Err(error) = verify(&net, &plan.imap, &plan.smtp, &credentials).await {
        // Nothing is kept for an account that does not work.
        setup::forget_unverified(email).await;
        return Err(error);
    }
    setup::save(accounts, &plan, name, auth, &credentials).await?;
    println!("Account {email} added.");
    Ok(ExitCode::SUCCESS)
}

fn list(accounts: &Accounts) -> anyhow::Result<ExitCode> {
    let all = accounts.list()?;
    if all.is_empty() {
        println!("No accounts yet. Add one with: tayori account add you@example.com");
    }
    for account in all {
        let method = match &account.auth {
            AccountAuth::OAuth2 { issuer, .. } => {
                format!("OAuth 2.0 ({})", issuer.as_deref().unwrap_or("provider"))
            }
            AccountAuth::Password => "password".into(),
        };
        let state = match &account.needs_sign_in {
            Some(reason) => format!(
                "needs sign-in: {reason} — run `tayori account reauth {}`",
                account.email
            ),
            None => "ok".into(),
        };
        println!(
            "{}  IMAP {}:{}  SMTP {}:{}  {method}  {state}",
            account.email,
            account.imap.host,
            account.imap.port,
            account.smtp.host,
            account.smtp.port
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn remove(paths: &Paths, email: &str) -> anyhow::Result<ExitCode> {
    let removed = setup::remove_account(paths, email).await?;
    println!(
        "Account {} removed: its sign-in deleted from the keyring and its mail from this computer (the server keeps it).",
        removed.email
    );
    Ok(ExitCode::SUCCESS)
}

async fn verify_saved(
    settings: &Settings,
    accounts: &Accounts,
    only: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let net = net(settings)?;
    let mut all_ok = true;
    let selected: Vec<Account> = match only {
        Some(email) => vec![accounts.get(email)?],
        None => accounts.list()?,
    };
    for account in selected {
        let outcome = match account.credentials(&net.http).await {
            Ok(credentials) => imap::login(&net.dns, &account.imap, &credentials)
                .await
                .map_err(anyhow::Error::from),
            Err(error) => Err(anyhow::Error::from(error)),
        };
        match outcome {
            Ok(mut session) => {
                let _ = session.logout().await;
                accounts.set_needs_sign_in(&account.email, None)?;
                println!("{}: ok", account.email);
            }
            Err(error) => {
                all_ok = false;
                let needs_sign_in = error.downcast_ref::<imap::ImapError>().is_some_and(|e| {
                    matches!(
                        e,
                        imap::ImapError::Auth(AuthError::NeedsSignIn { .. })
                            | imap::ImapError::Refused { .. }
                    )
                });
                if needs_sign_in {
                    accounts.set_needs_sign_in(&account.email, Some(format!("{error}")))?;
                    println!(
                        "{}: needs sign-in — {error}\n  Mail already on this computer stays readable. Sign in again with: tayori account reauth {}",
                        account.email, account.email
                    );
                } else {
                    println!("{}: could not check — {error:#}", account.email);
                }
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn reauth(
    settings: &Settings,
    accounts: &Accounts,
    email: &str,
    browser: Option<String>,
) -> anyhow::Result<ExitCode> {
    let net = net(settings)?;
    let account = accounts.get(email)?;
    if let Some(reason) = &account.needs_sign_in {
        println!("Signing in again ({reason}).");
    }
    let credentials = match setup::saved_oauth_client(&account.auth) {
        Some(client) => {
            Credentials::OAuth(sign_in_oauth(&net, &client, &account.email, browser).await?)
        }
        None => Credentials::Password(read_password(&format!("Password for {}: ", account.email))?),
    };
    verify(&net, &account.imap, &account.smtp, &credentials).await?;
    if let Credentials::Password(password) = &credentials {
        keyring_store::save(&account.email, SecretKind::AppPassword, password).await?;
    }
    accounts.set_needs_sign_in(&account.email, None)?;
    println!("Signed in again: {}.", account.email);
    Ok(ExitCode::SUCCESS)
}
