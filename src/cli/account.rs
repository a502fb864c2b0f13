//! `tayori account add|list|remove|reauth`: the wizard's job on the command line — discovery, sign-in
//! in the browser (or an app password where OAuth is impossible, saying why), verification of IMAP
//! and SMTP, and saving the account with its secret in the keyring only.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::bail;
use tayori::account::setup::{self, Method, Plan, SetupError};
use tayori::account::{Account, AccountAuth, Accounts, Server};
use tayori::auth::AuthError;
use tayori::auth::Credentials;
use tayori::auth::browser::Browser;
use tayori::auth::flow::OAuthClient;
use tayori::auth::guidance::{self, Advice};
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::auth::refusal::{Refusal, RefusalKind};
use tayori::config::{Paths, Settings};
use tayori::connections::ConnectionLog;
use tayori::discovery::{Discovered, Discoverer};
use tayori::i18n::{Lang, Plural, Text, fill};
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
                device_code,
                trust,
                microsoft,
                name,
            } => {
                let how = if device_code {
                    SignInWith::DeviceCode
                } else {
                    SignInWith::Browser(browser)
                };
                let discovery = DiscoveryChoices { trust, microsoft };
                add(settings, &accounts, &email, auth, how, discovery, name).await
            }
            AccountCommand::AddShared { shared, via, .. } => {
                add_shared(settings, &accounts, &shared, &via).await
            }
            AccountCommand::List => list(&accounts),
            AccountCommand::Remove { email } => remove(paths, &email).await,
            AccountCommand::Connections { email, json } => {
                connections(paths, &accounts, &email, json)
            }
            AccountCommand::Verify { email } => {
                verify_saved(settings, &accounts, email.as_deref()).await
            }
            AccountCommand::Reauth { email, browser } => {
                reauth(settings, &accounts, &email, browser).await
            }
            AccountCommand::CheckImap { email } => check_imap(&accounts, &email),
        }
    });
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tayori: {}", super::error_text(&error, Lang::from_system()));
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
        bail!(super::Told(
            Lang::from_system()
                .text(Text::CliNoPasswordGiven)
                .to_owned()
        ));
    }
    Ok(Secret::new(password))
}

/// Proves the account works: IMAP sign-in and SMTP sign-in.
async fn verify(
    net: &Net,
    imap_server: &Server,
    smtp_server: &Server,
    credentials: &Credentials,
) -> anyhow::Result<(setup::ImapCheck, setup::SmtpCheck)> {
    let lang = Lang::from_system();
    let server = |s: &Server| format!("{}:{}", s.host, s.port);
    print!(
        "{}",
        fill(
            lang.text(Text::CliCheckingImap),
            &[("server", &server(imap_server))]
        )
    );
    let imap = setup::verify_imap(net, imap_server, credentials)
        .await
        .inspect_err(|_| println!("{}", lang.text(Text::CliCheckFailed)))?;
    println!("{}", lang.text(Text::CliCheckOk));
    print!(
        "{}",
        fill(
            lang.text(Text::CliCheckingSmtp),
            &[("server", &server(smtp_server))]
        )
    );
    let check = setup::verify_smtp(net, smtp_server, credentials)
        .await
        .inspect_err(|_| println!("{}", lang.text(Text::CliCheckFailed)))?;
    println!("{}", lang.text(Text::CliCheckOk));
    Ok((imap, check))
}

/// Records how a freshly verified account reads and sends, and tells the person once when it is
/// through Microsoft 365 because their organisation turned IMAP or SMTP sending off.
fn record_and_tell(
    accounts: &Accounts,
    email: &str,
    (imap, smtp): &(setup::ImapCheck, setup::SmtpCheck),
) -> anyhow::Result<()> {
    setup::record_imap_check(accounts, email, imap)?;
    setup::record_smtp_check(accounts, email, smtp)?;
    if matches!(imap, setup::ImapCheck::GraphInstead { .. }) {
        super::mail::tell_read_notices(accounts);
    }
    if matches!(smtp, setup::SmtpCheck::GraphInstead { .. }) {
        super::send::tell_graph_notices(accounts);
    }
    Ok(())
}

/// How the person signs in: the browser on this computer, or a code on any device.
enum SignInWith {
    Browser(Option<String>),
    DeviceCode,
}

/// Signs in with a code shown here (RFC 8628), for a browser elsewhere.
async fn sign_in_device(
    net: &Net,
    client: &OAuthClient,
    email: &str,
    mail_host: &str,
) -> Result<
    (
        std::sync::Arc<tayori::auth::tokens::TokenManager>,
        OAuthClient,
    ),
    SetupError,
> {
    let lang = Lang::from_system();
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    setup::sign_in_device(
        net,
        client,
        email,
        mail_host,
        |shown| {
            let minutes = shown.seconds_left().div_ceil(60).to_string();
            println!(
                "{}",
                fill(
                    lang.text(Text::CliDeviceCode),
                    &[
                        ("url", &shown.verification_uri),
                        ("code", &shown.user_code),
                        ("minutes", &minutes)
                    ]
                )
            );
        },
        cancel,
    )
    .await
}

/// Signs in through the browser; the page there waits for the outcome ([`setup::SignedIn`]).
async fn sign_in_oauth(
    net: &Net,
    client: &OAuthClient,
    email: &str,
    mail_host: &str,
    service: &str,
    browser: Option<String>,
) -> Result<setup::SignedIn, SetupError> {
    println!(
        "{}",
        fill(
            Lang::from_system().text(Text::CliOpeningBrowser),
            &[("service", service)]
        )
    );
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    setup::sign_in_oauth(
        net,
        client,
        email,
        mail_host,
        Browser::choose(browser),
        |_| {},
        cancel,
    )
    .await
}

/// What to tell the person after a refused sign-in, in their language (and the explanation in
/// English too, for anyone searching it): what happened, the admin-consent link where the
/// organisation must approve Tayori, and "sign in again" only where that helps.
pub(super) fn advice_lines(advice: &Advice, email: &str) -> Vec<String> {
    let lang = Lang::from_system();
    let mut lines = Vec::new();
    if let Some(guidance) = advice.guidance {
        lines.push(guidance.text(lang).to_owned());
        if lang != Lang::En {
            lines.push(guidance.text(Lang::En).to_owned());
        }
    }
    if let Some(link) = &advice.admin_consent_link {
        lines.push(fill(
            lang.text(Text::CliAdminConsentLink),
            &[("link", link)],
        ));
    }
    if advice.sign_in_again_helps {
        lines.push(lang.text(Text::CliMailStaysReadable).to_owned());
        lines.push(fill(
            lang.text(Text::CliSignInAgainWith),
            &[("email", email)],
        ));
    }
    lines
}

/// The core's words for a setup failure, and the advice for a refused sign-in.
fn explain(error: &SetupError, client: Option<&OAuthClient>, email: &str) -> String {
    let mut lines = vec![error.to_string()];
    let auth = error.auth_error();
    match auth {
        Some(auth) => lines.extend(advice_lines(&Advice::for_error(auth, client, email), email)),
        None => {
            if let Some(g) = error.guidance() {
                lines.push(g.text(Lang::from_system()).to_owned());
            }
        }
    }
    lines.join("\n")
}

/// What the person told discovery on the command line.
struct DiscoveryChoices {
    /// `--trust DOMAIN`…
    trust: Vec<String>,
    /// `--microsoft`: Microsoft's central AutoDiscover may hear the address.
    microsoft: bool,
}

async fn add(
    settings: &Settings,
    accounts: &Accounts,
    email: &str,
    choice: Option<AuthChoice>,
    how: SignInWith,
    discovery: DiscoveryChoices,
    name: Option<String>,
) -> anyhow::Result<ExitCode> {
    let net = net(settings)?;
    let mut discoverer = Discoverer::from_settings(settings)?;
    discoverer.options_mut().trusted_domains = discovery
        .trust
        .iter()
        .map(|d| d.to_ascii_lowercase())
        .collect();
    discoverer.options_mut().microsoft_account = discovery.microsoft;
    let lang = Lang::from_system();
    println!(
        "{}",
        fill(lang.text(Text::CliLookingUp), &[("email", email)])
    );
    let found = discoverer.discover(email).await;
    let interactive = std::io::stdin().is_terminal();
    let found: Discovered =
        super::discover::ask_microsoft_if_nothing_found(&discoverer, email, found, interactive)
            .await?;
    if let Some(confirmation) = &found.needs_confirmation {
        eprintln!(
            "{}",
            super::discover::unvouched_text(
                &confirmation.domains,
                &confirmation.reason,
                email.rsplit_once('@').map_or("", |(_, d)| d),
                lang
            )
        );
        return Ok(ExitCode::from(super::discover::EXIT_NEEDS_CONFIRMATION));
    }
    let plan = Plan::from_discovered(&found, &discoverer);
    let imap_line = format!(
        "{}:{} {}",
        plan.imap.host, plan.imap.port, plan.imap.security
    );
    let smtp_line = format!(
        "{}:{} {}",
        plan.smtp.host, plan.smtp.port, plan.smtp.security
    );
    println!(
        "{}",
        fill(
            lang.text(Text::CliFound),
            &[
                ("source", super::discover::source_name(found.source, lang)),
                ("imap", &imap_line),
                ("smtp", &smtp_line)
            ]
        )
    );
    // The administrator may ask for sign-in with a code (the browser cannot come back here).
    let how = match how {
        SignInWith::Browser(_) if plan.policy_device_code && plan.offers_device_code() => {
            SignInWith::DeviceCode
        }
        other => other,
    };
    let method = match choice {
        _ if matches!(how, SignInWith::DeviceCode) => Method::OAuth,
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
    let (auth, credentials, page) = match method {
        Method::OAuth => {
            let client = match setup::oauth_client(&net, settings, &plan).await {
                Ok(resolved) => {
                    if let Some(configuration) = &resolved.named_by_server {
                        println!(
                            "{}",
                            fill(
                                lang.text(Text::CliServerNamesSignIn),
                                &[("service", &configuration.to_string())]
                            )
                        );
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
                        eprintln!(
                            "{}",
                            fill(lang.text(Text::CliUseAppPassword), &[("email", email)])
                        );
                    }
                    return Ok(ExitCode::FAILURE);
                }
            };
            let service = plan
                .sign_in_service_name()
                .unwrap_or_else(|| client.authorization_endpoint.clone());
            let outcome = match how {
                SignInWith::DeviceCode => sign_in_device(&net, &client, email, &plan.imap.host)
                    .await
                    .map(|(manager, client)| (manager, client, None)),
                SignInWith::Browser(browser) => {
                    sign_in_oauth(&net, &client, email, &plan.imap.host, &service, browser)
                        .await
                        .map(|s| (s.manager, s.client, Some(s.page)))
                }
            };
            let signed_in = match outcome {
                Ok(signed_in) => signed_in,
                Err(error) => {
                    eprintln!("{}", explain(&error, Some(&client), email));
                    if let SetupError::Auth(auth) = &error {
                        let code = auth.refusal().and_then(|r| r.code);
                        if code.as_deref() == Some("AADSTS7000218") {
                            eprintln!("{}", lang.text(Text::CliDeviceCodeNotAllowed));
                        }
                        if matches!(
                            auth,
                            AuthError::Callback(tayori::auth::loopback::CallbackError::TimedOut(_))
                                | AuthError::Browser(_)
                        ) && tayori::auth::device::device_endpoint(&client).is_some()
                        {
                            eprintln!(
                                "{}",
                                fill(lang.text(Text::CliTryDeviceCode), &[("email", email)])
                            );
                        }
                    }
                    // The tenant refusing the app is where an app password may be the way out —
                    // if the administrator allows them; not where admin consent is what is missing.
                    let consent_missing = matches!(&error, SetupError::Auth(e)
                        if e.refusal().is_some_and(|r| r.kind == RefusalKind::Consent)
                            && tayori::auth::consent::admin_consent_url(&client, email).is_some());
                    if setup::app_refused(&error.to_string())
                        && !consent_missing
                        && plan.offers(Method::Password)
                    {
                        eprintln!("\n{}", guidance::app_password_help(plan.provider, lang));
                        eprintln!(
                            "{}",
                            fill(lang.text(Text::CliUseAppPassword), &[("email", email)])
                        );
                    }
                    eprintln!(
                        "{}",
                        fill(lang.text(Text::CliNothingSaved), &[("email", email)])
                    );
                    return Ok(ExitCode::FAILURE);
                }
            };
            let (manager, client, page) = signed_in;
            (
                setup::oauth_auth(&client),
                Credentials::OAuth(manager),
                page,
            )
        }
        Method::Password => {
            if plan.offers(Method::OAuth) {
                println!("{}", guidance::app_password_help(plan.provider, lang));
            }
            let password = read_password(&fill(
                lang.text(Text::CliPasswordPrompt),
                &[("email", email)],
            ))?;
            (AccountAuth::Password, Credentials::Password(password), None)
        }
    };
    let check = match verify(&net, &plan.imap, &plan.smtp, &credentials).await {
        Ok(check) => check,
        Err(error) => {
            // Nothing is kept for an account that does not work; the browser's page (dropped here)
            // sends the person back to Tayori instead of saying "signed in".
            drop(page);
            setup::forget_unverified(email).await;
            eprintln!("{error:#}");
            eprintln!(
                "{}",
                fill(lang.text(Text::CliNothingSaved), &[("email", email)])
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    setup::save(accounts, &plan, name, auth, &credentials).await?;
    record_and_tell(accounts, email, &check)?;
    if let Some(page) = page {
        page.signed_in().await;
    }
    println!(
        "{}",
        fill(lang.text(Text::CliAccountAdded), &[("email", email)])
    );
    Ok(ExitCode::SUCCESS)
}

/// Adds a shared mailbox opened with a member's own sign-in: verified (IMAP as the shared address,
/// SMTP as the member) before it is saved; nothing is asked of the person.
async fn add_shared(
    settings: &Settings,
    accounts: &Accounts,
    shared: &str,
    member: &str,
) -> anyhow::Result<ExitCode> {
    let lang = Lang::from_system();
    let net = net(settings)?;
    let member = accounts.get(member)?;
    let account = setup::shared_mailbox(&member, shared)?;
    let credentials = account.credentials(&net.http).await?;
    let check = match verify(&net, &account.imap, &account.smtp, &credentials).await {
        Ok(check) => check,
        Err(error) => {
            eprintln!("{error:#}");
            eprintln!(
                "{}",
                fill(lang.text(Text::CliNothingSaved), &[("email", shared)])
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    accounts.upsert(account.clone())?;
    record_and_tell(accounts, &account.email, &check)?;
    println!(
        "{}",
        fill(
            lang.text(Text::CliSharedAdded),
            &[("shared", &account.email), ("member", &member.email)]
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// "Check again": IMAP is asked at the next sync whether it is on again for the mailbox.
fn check_imap(accounts: &Accounts, email: &str) -> anyhow::Result<ExitCode> {
    let lang = Lang::from_system();
    let account = accounts.get(email)?;
    // (Read through IMAP, or pinned to Graph by the policy: nothing to check; the way is said.)
    if tayori::account::imap_check_at(&account).is_some() && accounts.check_imap_soon(email)? {
        println!("{}", lang.text(Text::CheckImapAgainAsked));
    } else {
        println!(
            "{}",
            tayori::account::reading_way(&account).describe(&account, lang)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(accounts: &Accounts) -> anyhow::Result<ExitCode> {
    let lang = Lang::from_system();
    let all = accounts.list()?;
    if all.is_empty() {
        println!("{}", lang.text(Text::CliNoAccounts));
    }
    for account in all {
        let method = match &account.auth {
            AccountAuth::OAuth2 { issuer, .. } => format!(
                "OAuth 2.0 ({})",
                issuer
                    .as_deref()
                    .unwrap_or(lang.text(Text::CliSignInProvider))
            ),
            AccountAuth::Password => lang.text(Text::CliSignInByPassword).to_owned(),
        };
        let state = match &account.needs_sign_in {
            // "Sign in again" only where it helps: a recorded consent or conditional-access
            // refusal waits for the administrator.
            Some(reason) if !Refusal::new("", Some(reason)).sign_in_again_helps_or_unknown() => {
                fill(lang.text(Text::CliAccountRefused), &[("reason", reason)])
            }
            Some(reason) => fill(
                lang.text(Text::CliAccountNeedsSignIn),
                &[("reason", reason), ("email", &account.email)],
            ),
            None => lang.text(Text::CliCheckOk).to_owned(),
        };
        println!(
            "{}  IMAP {}:{}  SMTP {}:{}  {method}  {state}",
            account.email,
            account.imap.host,
            account.imap.port,
            account.smtp.host,
            account.smtp.port
        );
        let reading = tayori::account::reading_way(&account);
        if reading.through_graph() {
            println!("  {}", reading.describe(&account, lang));
        }
        let way = tayori::account::sending_way(&account);
        if way != tayori::account::SendingWay::Smtp {
            println!("  {}", way.describe(&account, lang));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `tayori account connections EMAIL [--json]`: the account's connections record.
fn connections(
    paths: &Paths,
    accounts: &Accounts,
    email: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    // The account's own spelling of the address (and a clear error for one that is not set up).
    let account = accounts.get(email)?;
    let record = ConnectionLog::new(paths).list(&account.email)?;
    if json {
        let value = serde_json::json!({ "account": account.email, "connections": record });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    let lang = Lang::from_system();
    println!(
        "{}",
        fill(
            lang.text(Text::CliConnectionsHeading),
            &[("email", &account.email)]
        )
    );
    if record.is_empty() {
        println!("  {}", lang.text(Text::ConnectionsEmpty));
    }
    for connection in &record {
        println!(
            "  {}  {}:{}  {}{}",
            tayori::connections::utc_text(connection.last_at),
            connection.host,
            connection.port,
            lang.text(connection.purpose.label()),
            connection
                .detail
                .map(|detail| format!(" — {}", lang.text(detail.label())))
                .unwrap_or_default(),
        );
        println!(
            "  {:<20}  {}; {}",
            "",
            lang.text(if connection.address_sent {
                Text::ConnectionsAddressSent
            } else {
                Text::ConnectionsNoAddress
            }),
            lang.plural(Plural::ConnectionsTimes, connection.count),
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn remove(paths: &Paths, email: &str) -> anyhow::Result<ExitCode> {
    let lang = Lang::from_system();
    let removed = setup::remove_account(paths, email).await?;
    println!(
        "{}",
        fill(
            lang.text(Text::AccountRemovedNotice),
            &[("email", &removed.account.email)]
        )
    );
    match &removed.revocation {
        setup::Revocation::Revoked { host } => {
            println!(
                "{}",
                fill(lang.text(Text::RevokedAtProvider), &[("host", host)])
            )
        }
        setup::Revocation::NotOffered => println!("{}", lang.text(Text::RevocationNotOffered)),
        setup::Revocation::Failed(detail) => println!(
            "{}",
            fill(lang.text(Text::RevocationFailed), &[("detail", detail)])
        ),
        setup::Revocation::NothingToWithdraw => {}
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify_saved(
    settings: &Settings,
    accounts: &Accounts,
    only: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let lang = Lang::from_system();
    let net = net(settings)?;
    let mut all_ok = true;
    let selected: Vec<Account> = match only {
        Some(email) => vec![accounts.get(email)?],
        None => accounts.list()?,
    };
    for account in selected {
        let outcome = match account.credentials(&net.http).await {
            Ok(credentials) => setup::verify_imap(&net, &account.imap, &credentials).await,
            Err(error) => Err(SetupError::from(error)),
        };
        match outcome {
            Ok(check) => {
                setup::record_imap_check(accounts, &account.email, &check)?;
                accounts.set_needs_sign_in(&account.email, None)?;
                println!(
                    "{}",
                    fill(lang.text(Text::CliVerifyOk), &[("email", &account.email)])
                );
            }
            Err(error) => {
                all_ok = false;
                let needs_sign_in = error.kind().needs_sign_in();
                if needs_sign_in {
                    accounts.set_needs_sign_in(&account.email, Some(format!("{error}")))?;
                }
                match error.auth_error() {
                    // What the sign-in service's refusal means; "sign in again" only where it helps.
                    Some(auth) => {
                        let advice = Advice::for_error(
                            auth,
                            account.oauth_client().as_ref(),
                            &account.email,
                        );
                        let said = if advice.sign_in_again_helps {
                            Text::CliVerifyNeedsSignIn
                        } else {
                            Text::CliVerifyRefused
                        };
                        println!(
                            "{}",
                            fill(
                                lang.text(said),
                                &[("email", &account.email), ("error", &error.to_string())]
                            )
                        );
                        for line in advice_lines(&advice, &account.email) {
                            println!("  {line}");
                        }
                    }
                    None if needs_sign_in => {
                        println!(
                            "{}",
                            fill(
                                lang.text(Text::CliVerifyNeedsSignIn),
                                &[("email", &account.email), ("error", &error.to_string())]
                            )
                        );
                        println!("  {}", lang.text(Text::CliMailStaysReadable));
                        println!(
                            "  {}",
                            fill(
                                lang.text(Text::CliSignInAgainWith),
                                &[("email", &account.email)]
                            )
                        );
                    }
                    None => println!(
                        "{}",
                        fill(
                            lang.text(Text::CliVerifyCouldNotCheck),
                            &[("email", &account.email), ("error", &error.to_string())]
                        )
                    ),
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
    // A shared mailbox opens with its member's sign-in: that is the one to renew.
    let account = setup::sign_in_owner(accounts, &account)?;
    let lang = Lang::from_system();
    if let Some(reason) = &account.needs_sign_in {
        println!(
            "{}",
            fill(lang.text(Text::CliSigningInAgain), &[("reason", reason)])
        );
    }
    // The client as this sign-in learned it (an account saved at `common` learns its tenant).
    let mut learned_auth = None;
    let (credentials, page) = match setup::saved_oauth_client(&account.auth)
        .map(|client| setup::with_graph_scopes(client, accounts, &account))
    {
        Some(client) => {
            let service = match account.provider {
                Some(provider) => provider.display_name().to_owned(),
                None => client.authorization_endpoint.clone(),
            };
            match sign_in_oauth(
                &net,
                &client,
                &account.email,
                &account.imap.host,
                &service,
                browser,
            )
            .await
            {
                Ok(signed_in) => {
                    learned_auth = Some(setup::oauth_auth(&signed_in.client));
                    (Credentials::OAuth(signed_in.manager), Some(signed_in.page))
                }
                Err(error) => {
                    eprintln!("{}", explain(&error, Some(&client), &account.email));
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        None => (
            Credentials::Password(read_password(&fill(
                Lang::from_system().text(Text::CliPasswordPrompt),
                &[("email", &account.email)],
            ))?),
            None,
        ),
    };
    let check = verify(&net, &account.imap, &account.smtp, &credentials).await?;
    record_and_tell(accounts, &account.email, &check)?;
    if let Credentials::Password(password) = &credentials {
        keyring_store::save(&account.email, SecretKind::AppPassword, password).await?;
    }
    let signed_in_with = learned_auth.clone().unwrap_or_else(|| account.auth.clone());
    if let Some(auth) = learned_auth.filter(|auth| *auth != account.auth) {
        let mut updated = account.clone();
        updated.auth = auth;
        accounts.upsert(updated)?;
    }
    setup::note_sign_in(&account.email, &signed_in_with).await;
    // The member and the shared mailboxes it opens are all renewed by this one sign-in.
    setup::signed_in_again(accounts, &account.email)?;
    if let Some(page) = page {
        page.signed_in().await;
    }
    println!(
        "{}",
        fill(
            lang.text(Text::CliSignedInAgain),
            &[("email", &account.email)]
        )
    );
    Ok(ExitCode::SUCCESS)
}
