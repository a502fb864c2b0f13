//! `tayori account add|list|remove|reauth`: the wizard's job on the command line — discovery, sign-in
//! in the browser (or an app password where OAuth is impossible, saying why), verification of IMAP
//! and SMTP, and saving the account with its secret in the keyring only.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use tayori::account::{Account, AccountAuth, Accounts, Server, now_seconds};
use tayori::auth::browser::Browser;
use tayori::auth::flow::{self, OAuthClient, SignInOptions};
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::auth::tokens::TokenManager;
use tayori::auth::{AuthError, clients, guidance, metadata, sasl};
use tayori::config::{Paths, Settings};
use tayori::discovery::policy::Policy;
use tayori::discovery::{Discovered, Discoverer, KnownProvider, OAuthSettings, SignIn};
use tayori::i18n::Lang;
use tayori::imap::{self, Credentials};
use tayori::net::dns::Dns;
use tayori::net::http::Http;
use tayori::redact::Secret;
use tayori::smtp;

use super::{AccountCommand, AuthChoice};

/// Scopes asked from a generic OpenID provider found through discovery or a server's hint.
const GENERIC_SCOPES: [&str; 3] = ["openid", "email", "offline_access"];

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
            AccountCommand::Remove { email } => remove(&accounts, &email).await,
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

pub(super) struct Net {
    pub(super) dns: Dns,
    pub(super) http: Http,
}

pub(super) fn net(settings: &Settings) -> anyhow::Result<Net> {
    let configured = settings
        .network
        .dns_server
        .as_deref()
        .map(tayori::net::dns::parse_server)
        .transpose()?;
    let dns = Dns::from_env_or(configured, Duration::from_secs(5))?;
    let http = Http::new(dns.clone(), Duration::from_secs(15))?;
    Ok(Net { dns, http })
}

/// The admin policy's client id for this domain, if an admin pinned one.
fn policy_client_id(policy_file: Option<&std::path::Path>, email: &str) -> Option<String> {
    let policy = Policy::load(policy_file?).ok()??;
    let domain = tayori::discovery::domain::email_domain(email)?;
    policy
        .for_domain(&domain)?
        .oauth2
        .as_ref()?
        .client_id
        .clone()
}

/// Asks the IMAP server where to sign in: a bearer attempt with no token is refused with the RFC 7628
/// JSON naming the provider's `openid-configuration` (and the scope it wants).
async fn issuer_hint_from_server(
    net: &Net,
    server: &Server,
) -> anyhow::Result<(String, Option<String>)> {
    let (stream, _) = imap::connect(&net.dns, server).await?;
    let client = async_imap::Client::new(stream);
    struct Probe {
        initial: Vec<u8>,
        sent: bool,
        challenge: Option<Vec<u8>>,
    }
    impl async_imap::Authenticator for &mut Probe {
        type Response = Vec<u8>;
        fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
            if self.sent {
                self.challenge = Some(challenge.to_vec());
                return Vec::new();
            }
            self.sent = true;
            self.initial.clone()
        }
    }
    let empty = Secret::new(String::new());
    let initial = sasl::oauthbearer(&server.username, &server.host, server.port, &empty);
    let mut probe = Probe {
        initial: initial.expose().as_bytes().to_vec(),
        sent: false,
        challenge: None,
    };
    let _ = client.authenticate("OAUTHBEARER", &mut probe).await;
    let failure = probe
        .challenge
        .as_deref()
        .and_then(sasl::BearerFailure::parse)
        .ok_or_else(|| anyhow!("the server does not say where to sign in"))?;
    let configuration = failure
        .openid_configuration
        .ok_or_else(|| anyhow!("the server does not say where to sign in"))?;
    Ok((configuration, failure.scope))
}

/// Works out the OAuth client for an account from discovery, the provider's metadata and, failing
/// those, the mail server's own hint.
async fn oauth_client(
    net: &Net,
    settings: &Settings,
    policy_client_id: Option<&str>,
    provider: Option<KnownProvider>,
    found: &OAuthSettings,
    imap_server: &Server,
) -> anyhow::Result<OAuthClient> {
    // Why the metadata could not be had, for the error if discovery gave no endpoints either.
    let mut metadata_problem = None;
    let (meta, mut scopes) = match &found.issuer {
        Some(issuer) => (
            metadata::for_issuer(&net.http, issuer)
                .await
                .map_err(|e| metadata_problem = Some(e.to_string()))
                .ok(),
            found.scopes.clone(),
        ),
        None => {
            let (configuration, scope) = issuer_hint_from_server(net, imap_server).await?;
            println!("The mail server names its sign-in service: {configuration}");
            let meta = metadata::from_configuration_url(&net.http, &configuration).await?;
            let mut scopes: Vec<String> = GENERIC_SCOPES.map(String::from).to_vec();
            scopes.extend(
                scope
                    .iter()
                    .flat_map(|s| s.split_whitespace().map(str::to_owned)),
            );
            (Some(meta), scopes)
        }
    };
    if scopes.is_empty() {
        scopes = GENERIC_SCOPES.map(String::from).to_vec();
    }
    let (authorization_endpoint, token_endpoint, issuer, iss_required, registration) = match &meta {
        Some(m) => (
            m.authorization_endpoint.clone(),
            m.token_endpoint.clone(),
            Some(m.issuer.clone()).filter(|i| !i.contains('{')),
            m.authorization_response_iss_parameter_supported && !m.issuer.contains('{'),
            m.registration_endpoint.clone(),
        ),
        None => (
            found.authorization_endpoint.clone().with_context(|| {
                metadata_problem
                    .clone()
                    .unwrap_or_else(|| "the sign-in service's address is unknown".into())
            })?,
            found.token_endpoint.clone().with_context(|| {
                metadata_problem
                    .clone()
                    .unwrap_or_else(|| "the sign-in service's token address is unknown".into())
            })?,
            None,
            false,
            None,
        ),
    };
    let (client_id, source) = clients::resolve(
        &net.http,
        settings,
        policy_client_id,
        provider,
        issuer.as_deref().or(found.issuer.as_deref()),
        registration.as_deref(),
    )
    .await?;
    tracing::info!(?source, "OAuth client id chosen");
    Ok(OAuthClient {
        client_id,
        authorization_endpoint,
        token_endpoint,
        issuer,
        iss_required,
        scopes,
    })
}

fn read_password(prompt: &str) -> anyhow::Result<Secret> {
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
    let mut session = imap::login(&net.dns, imap_server, credentials)
        .await
        .inspect_err(|_| println!("failed"))?;
    let _ = session.logout().await;
    println!("ok");
    print!(
        "Checking outgoing mail (SMTP {}:{}) … ",
        smtp_server.host, smtp_server.port
    );
    smtp::verify(&net.dns, smtp_server, credentials)
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
) -> anyhow::Result<std::sync::Arc<TokenManager>> {
    println!(
        "Opening your browser to sign in to {}. Multi-factor sign-in, if your organisation uses it, happens there.",
        client
            .issuer
            .as_deref()
            .unwrap_or(&client.authorization_endpoint)
    );
    let options = SignInOptions {
        browser: Browser::choose(browser),
        login_hint: Some(email.to_owned()),
        timeout: Duration::from_secs(600),
    };
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let tokens = flow::sign_in(&net.http, client, &options, cancel)
        .await
        .map_err(explain_auth)?;
    if tokens.refresh_token.is_none() {
        tracing::warn!(
            "the provider issued no refresh token; the person will have to sign in again when the access token expires"
        );
    }
    let manager = TokenManager::new(net.http.clone(), client.clone(), email);
    manager.seed(&tokens).await?;
    Ok(manager)
}

/// Adds the guidance text for a provider's error code, if there is one.
fn explain_auth(error: AuthError) -> anyhow::Error {
    let text = error.to_string();
    match guidance::explain(&text) {
        Some(g) => anyhow!(
            "{text}\n{}\n{}",
            g.text(Lang::from_system()),
            if Lang::from_system() == Lang::En {
                ""
            } else {
                g.en
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
    let imap_server = Server::from(&found.imap);
    let smtp_server = Server::from(&found.smtp);
    println!(
        "Found ({}): IMAP {}:{} {}, SMTP {}:{} {}",
        found.source.label(),
        imap_server.host,
        imap_server.port,
        imap_server.security,
        smtp_server.host,
        smtp_server.port,
        smtp_server.security
    );
    let pinned_client_id = policy_client_id(discoverer.options().policy_file.as_deref(), email);
    let oauth_offer = found.sign_in.iter().find_map(|m| match m {
        SignIn::OAuth2(o) => Some(o.clone()),
        SignIn::Password => None,
    });
    let use_oauth = match choice {
        Some(AuthChoice::Oauth) => true,
        Some(AuthChoice::Password) => false,
        None => oauth_offer.is_some(),
    };
    if found.source == tayori::discovery::Source::AdminPolicy {
        let allowed = if use_oauth {
            oauth_offer.is_some()
        } else {
            found.sign_in.contains(&SignIn::Password)
        };
        if !allowed {
            bail!(
                "your administrator allows only {} for {email}",
                if use_oauth {
                    "password sign-in"
                } else {
                    "sign-in through the browser (OAuth)"
                }
            );
        }
    }
    let (auth, credentials) = if use_oauth {
        let offer = oauth_offer.clone().unwrap_or_default();
        let client = match oauth_client(
            &net,
            settings,
            pinned_client_id.as_deref(),
            found.provider,
            &offer,
            &imap_server,
        )
        .await
        {
            Ok(client) => client,
            Err(error) => {
                eprintln!("{error:#}");
                if found.sign_in.contains(&SignIn::Password) {
                    eprintln!(
                        "\n{}",
                        guidance::app_password_help(found.provider, Lang::from_system())
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
                let app_refused = [
                    "AADSTS700016",
                    "AADSTS65001",
                    "AADSTS90094",
                    "unauthorized_client",
                    "access_denied",
                ]
                .iter()
                .any(|code| text.contains(code));
                if app_refused && found.sign_in.contains(&SignIn::Password) {
                    eprintln!(
                        "{text}\n\n{}",
                        guidance::app_password_help(found.provider, Lang::from_system())
                    );
                    eprintln!("To use an app password: tayori account add {email} --auth password");
                    return Ok(ExitCode::FAILURE);
                }
                return Err(error);
            }
        };
        let auth = AccountAuth::OAuth2 {
            client_id: client.client_id.clone(),
            issuer: client.issuer.clone(),
            authorization_endpoint: client.authorization_endpoint.clone(),
            token_endpoint: client.token_endpoint.clone(),
            iss_required: client.iss_required,
            scopes: client.scopes.clone(),
        };
        (auth, Credentials::OAuth(manager))
    } else {
        if oauth_offer.is_some() {
            println!(
                "{}",
                guidance::app_password_help(found.provider, Lang::from_system())
            );
        }
        let password = read_password(&format!("Password for {email}: "))?;
        (AccountAuth::Password, Credentials::Password(password))
    };
    if let Err(error) = verify(&net, &imap_server, &smtp_server, &credentials).await {
        // Nothing is kept for an account that does not work.
        let _ = keyring_store::delete(email, SecretKind::RefreshToken).await;
        return Err(error);
    }
    if let Credentials::Password(password) = &credentials {
        keyring_store::save(email, SecretKind::AppPassword, password).await?;
    }
    accounts.upsert(Account {
        email: email.to_owned(),
        display_name: name,
        provider: found.provider,
        imap: imap_server,
        smtp: smtp_server,
        auth,
        last_sign_in: Some(now_seconds()),
        needs_sign_in: None,
        sent_copy: None,
    })?;
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

async fn remove(accounts: &Accounts, email: &str) -> anyhow::Result<ExitCode> {
    let removed = accounts.remove(email)?;
    keyring_store::delete(&removed.email, SecretKind::RefreshToken).await?;
    keyring_store::delete(&removed.email, SecretKind::AppPassword).await?;
    println!(
        "Account {} removed, and its sign-in deleted from the keyring.",
        removed.email
    );
    Ok(ExitCode::SUCCESS)
}

/// The OAuth client an account was set up with.
fn saved_oauth_client(auth: &AccountAuth) -> Option<OAuthClient> {
    match auth {
        AccountAuth::OAuth2 {
            client_id,
            issuer,
            authorization_endpoint,
            token_endpoint,
            iss_required,
            scopes,
        } => Some(OAuthClient {
            client_id: client_id.clone(),
            authorization_endpoint: authorization_endpoint.clone(),
            token_endpoint: token_endpoint.clone(),
            issuer: issuer.clone(),
            iss_required: *iss_required,
            scopes: scopes.clone(),
        }),
        AccountAuth::Password => None,
    }
}

/// The credentials of a saved account: a token manager on the keyring's refresh token, or the
/// keyring's app password.
pub(super) async fn saved_credentials(net: &Net, account: &Account) -> anyhow::Result<Credentials> {
    Ok(match saved_oauth_client(&account.auth) {
        Some(client) => Credentials::OAuth(TokenManager::new(
            net.http.clone(),
            client,
            account.email.clone(),
        )),
        None => Credentials::Password(
            keyring_store::load(&account.email, SecretKind::AppPassword)
                .await?
                .ok_or_else(|| {
                    anyhow!(
                        "no saved password for {} — run `tayori account reauth {}`",
                        account.email,
                        account.email
                    )
                })?,
        ),
    })
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
        let outcome = match saved_credentials(&net, &account).await {
            Ok(credentials) => imap::login(&net.dns, &account.imap, &credentials)
                .await
                .map_err(anyhow::Error::from),
            Err(error) => Err(error),
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
    let credentials = match saved_oauth_client(&account.auth) {
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
