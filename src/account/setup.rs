//! Setting up an account, step by step: what the command line's `tayori account add` and the
//! window's first-run wizard both do, in one place so the two cannot drift apart.
//!
//! The steps: discovery (with live progress for the window), the plan it yields (servers, the sign-in
//! methods offered and what the administrator allows), the OAuth client for the provider (configured,
//! registered on the spot, or named by the mail server itself), the sign-in in the browser or with an
//! app password, verification of IMAP and SMTP, and saving — the account in `accounts.toml`, its
//! secret in the keyring only. Nothing is saved for an account that did not verify.

use std::sync::Arc;
use std::time::Duration;

use futures::channel::mpsc as futures_mpsc;
use futures::{Stream, StreamExt};
use thiserror::Error;

use super::{Account, AccountAuth, Accounts, AccountsError, Server, now_seconds};
use crate::auth::browser::Browser;
use crate::auth::flow::{self, OAuthClient, SignInOptions};
use crate::auth::guidance::{self, Guidance};
use crate::auth::keyring_store::{self, KeyringError, SecretKind};
use crate::auth::tokens::TokenManager;
use crate::auth::{AuthError, clients, metadata, sasl};
use crate::config::Settings;
use crate::discovery::policy::Policy;
use crate::discovery::{
    Discovered, Discoverer, DiscoveryError, KnownProvider, OAuthSettings, SignIn, Source,
    TraceEntry,
};
use crate::imap::{self, Credentials, ImapError};
use crate::net::dns::Dns;
use crate::net::http::Http;
use crate::redact::Secret;
use crate::smtp::{self, SmtpError};

/// Scopes asked from a generic OpenID provider found through discovery or a server's hint.
pub const GENERIC_SCOPES: [&str; 3] = ["openid", "email", "offline_access"];

/// How long the person has to finish in the browser (MFA, a phone in another room).
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(600);

/// Error codes with which a provider refuses the app itself (not the person): where an app password
/// is the way out — if the administrator allows them.
const APP_REFUSED: [&str; 5] = [
    "AADSTS700016",
    "AADSTS65001",
    "AADSTS90094",
    "unauthorized_client",
    "access_denied",
];

#[derive(Debug, Error)]
pub enum SetupError {
    #[error("the network could not be set up: {0}")]
    Network(String),
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error("your administrator allows only {allowed} for {email}")]
    NotAllowed {
        email: String,
        allowed: &'static str,
    },
    #[error("the mail server does not say where to sign in")]
    NoIssuerHint,
    #[error("{0}")]
    NoSignInService(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error("no saved password for {email} — run `tayori account reauth {email}`")]
    NoSavedPassword { email: String },
    #[error("no password given")]
    NoPassword,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl SetupError {
    /// The plain-words explanation for a provider's error code in this error, if there is one.
    pub fn guidance(&self) -> Option<&'static Guidance> {
        guidance::explain(&self.to_string())
    }

    /// Whether the provider refused the app itself, so an app password may be the way out.
    pub fn app_refused(&self) -> bool {
        app_refused(&self.to_string())
    }

    /// Whether the person pressed Cancel (nothing to explain).
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            SetupError::Auth(AuthError::Callback(
                crate::auth::loopback::CallbackError::Cancelled
            ))
        )
    }
}

/// Whether a sign-in failure's text says the provider refused the app itself.
pub fn app_refused(text: &str) -> bool {
    APP_REFUSED.iter().any(|code| text.contains(code))
}

/// The resolver and HTTP client every step uses, from the settings file and the environment.
#[derive(Clone)]
pub struct Net {
    pub dns: Dns,
    pub http: Http,
}

impl Net {
    pub fn from_settings(settings: &Settings) -> Result<Net, SetupError> {
        let network = |e: &dyn std::fmt::Display| SetupError::Network(e.to_string());
        let configured = settings
            .network
            .dns_server
            .as_deref()
            .map(crate::net::dns::parse_server)
            .transpose()
            .map_err(|e| network(&e))?;
        let dns = Dns::from_env_or(configured, Duration::from_secs(5)).map_err(|e| network(&e))?;
        let http = Http::new(dns.clone(), Duration::from_secs(15)).map_err(|e| network(&e))?;
        Ok(Net { dns, http })
    }
}

/// One event of a discovery in progress.
#[derive(Debug, Clone)]
pub enum DiscoveryProgress {
    /// A source answered (or failed, or was stopped).
    Asked(TraceEntry),
    /// Discovery ended.
    Finished(Result<Box<Discovered>, DiscoveryError>),
}

/// Runs discovery and streams each source's answer as it comes, then the result. Dropping the
/// stream stops every query still in flight.
pub fn discover_stream(
    discoverer: Discoverer,
    email: String,
) -> impl Stream<Item = DiscoveryProgress> + Send + 'static {
    let (progress, entries) = tokio::sync::mpsc::unbounded_channel();
    let mut entries = entries;
    let asked =
        futures::stream::poll_fn(move |cx| entries.poll_recv(cx)).map(DiscoveryProgress::Asked);
    let finished = futures::stream::once(async move {
        DiscoveryProgress::Finished(
            discoverer
                .discover_with_progress(&email, Some(progress))
                .await
                .map(Box::new),
        )
    });
    // Progress ends when discovery drops its sender, so `select` ends after `Finished`.
    futures::stream::select(asked, finished)
}

/// The sign-in methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// OAuth 2.0 in the system browser (MFA there).
    OAuth,
    /// A password or an app password.
    Password,
}

/// What discovery (or the person, by hand) decided: the servers, the ways to sign in, and what the
/// administrator's policy pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub email: String,
    pub imap: Server,
    pub smtp: Server,
    /// Most preferred first.
    pub sign_in: Vec<SignIn>,
    pub provider: Option<KnownProvider>,
    pub provider_name: Option<String>,
    /// Where the settings came from; `None` when typed in by hand.
    pub source: Option<Source>,
    /// The client id the admin policy pins for this domain.
    pub policy_client_id: Option<String>,
}

impl Plan {
    pub fn from_discovered(found: &Discovered, discoverer: &Discoverer) -> Plan {
        Plan {
            email: found.email.clone(),
            imap: Server::from(&found.imap),
            smtp: Server::from(&found.smtp),
            sign_in: found.sign_in.clone(),
            provider: found.provider,
            provider_name: found.provider_name.clone(),
            source: Some(found.source),
            policy_client_id: policy_client_id(
                discoverer.options().policy_file.as_deref(),
                &found.email,
            ),
        }
    }

    /// Servers typed in by hand. Browser sign-in is offered too: a server that supports it names
    /// its sign-in service when asked (RFC 7628), so nothing more needs to be typed.
    pub fn manual(email: &str, imap: Server, smtp: Server, prefer_oauth: bool) -> Plan {
        let oauth = SignIn::OAuth2(OAuthSettings::default());
        Plan {
            email: email.trim().to_owned(),
            imap,
            smtp,
            sign_in: if prefer_oauth {
                vec![oauth, SignIn::Password]
            } else {
                vec![SignIn::Password, oauth]
            },
            provider: None,
            provider_name: None,
            source: None,
            policy_client_id: None,
        }
    }

    /// The OAuth settings on offer, if browser sign-in is.
    pub fn oauth_offer(&self) -> Option<&OAuthSettings> {
        self.sign_in.iter().find_map(|m| match m {
            SignIn::OAuth2(o) => Some(o),
            SignIn::Password => None,
        })
    }

    pub fn offers(&self, method: Method) -> bool {
        match method {
            Method::OAuth => self.oauth_offer().is_some(),
            Method::Password => self.sign_in.contains(&SignIn::Password),
        }
    }

    /// The method to preselect: the first on offer.
    pub fn preferred(&self) -> Method {
        match self.sign_in.first() {
            Some(SignIn::Password) => Method::Password,
            Some(SignIn::OAuth2(_)) | None => {
                if self.oauth_offer().is_some() {
                    Method::OAuth
                } else {
                    Method::Password
                }
            }
        }
    }

    /// Whether the settings came from the organisation's admin policy (which then limits the methods).
    pub fn from_admin_policy(&self) -> bool {
        self.source == Some(Source::AdminPolicy)
    }

    /// With an admin policy, only the methods it lists may be used.
    pub fn check_allowed(&self, method: Method) -> Result<(), SetupError> {
        if self.from_admin_policy() && !self.offers(method) {
            return Err(SetupError::NotAllowed {
                email: self.email.clone(),
                allowed: match method {
                    Method::OAuth => "password sign-in",
                    Method::Password => "sign-in through the browser (OAuth)",
                },
            });
        }
        Ok(())
    }

    /// A name for the sign-in service, for "Sign in with …": the provider, else the issuer's host.
    pub fn sign_in_service_name(&self) -> Option<String> {
        if let Some(provider) = self.provider {
            return Some(
                match provider {
                    KnownProvider::Microsoft => "Microsoft",
                    KnownProvider::Google => "Google",
                }
                .to_owned(),
            );
        }
        if let Some(name) = &self.provider_name {
            return Some(name.clone());
        }
        let issuer = self.oauth_offer()?.issuer.as_deref()?;
        url::Url::parse(issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    }
}

/// The admin policy's client id for this domain, if an admin pinned one.
pub fn policy_client_id(policy_file: Option<&std::path::Path>, email: &str) -> Option<String> {
    let policy = Policy::load(policy_file?).ok()??;
    let domain = crate::discovery::domain::email_domain(email)?;
    policy
        .for_domain(&domain)?
        .oauth2
        .as_ref()?
        .client_id
        .clone()
}

/// Asks the IMAP server where to sign in: a bearer attempt with no token is refused with the RFC 7628
/// JSON naming the provider's `openid-configuration` (and the scope it wants).
pub async fn issuer_hint_from_server(
    net: &Net,
    server: &Server,
) -> Result<(String, Option<String>), SetupError> {
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
        .ok_or(SetupError::NoIssuerHint)?;
    let configuration = failure
        .openid_configuration
        .ok_or(SetupError::NoIssuerHint)?;
    Ok((configuration, failure.scope))
}

/// The OAuth client for an account, and — when the mail server had to be asked — the address of the
/// sign-in service it named.
#[derive(Debug, Clone)]
pub struct ResolvedClient {
    pub client: OAuthClient,
    pub named_by_server: Option<String>,
}

/// Works out the OAuth client from discovery, the provider's metadata and, failing those, the mail
/// server's own hint.
pub async fn oauth_client(
    net: &Net,
    settings: &Settings,
    plan: &Plan,
) -> Result<ResolvedClient, SetupError> {
    let found = plan.oauth_offer().cloned().unwrap_or_default();
    // Why the metadata could not be had, for the error if discovery gave no endpoints either.
    let mut metadata_problem = None;
    let mut named_by_server = None;
    let (meta, mut scopes) = match &found.issuer {
        Some(issuer) => (
            metadata::for_issuer(&net.http, issuer)
                .await
                .map_err(|e| metadata_problem = Some(e.to_string()))
                .ok(),
            found.scopes.clone(),
        ),
        None => {
            let (configuration, scope) = issuer_hint_from_server(net, &plan.imap).await?;
            let meta = metadata::from_configuration_url(&net.http, &configuration).await?;
            named_by_server = Some(configuration);
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
    let unknown = |what: &str| {
        SetupError::NoSignInService(
            metadata_problem
                .clone()
                .unwrap_or_else(|| format!("the sign-in service's {what} is unknown")),
        )
    };
    let (authorization_endpoint, token_endpoint, issuer, iss_required, registration) = match &meta {
        Some(m) => (
            m.authorization_endpoint.clone(),
            m.token_endpoint.clone(),
            Some(m.issuer.clone()).filter(|i| !i.contains('{')),
            m.authorization_response_iss_parameter_supported && !m.issuer.contains('{'),
            m.registration_endpoint.clone(),
        ),
        None => (
            found
                .authorization_endpoint
                .clone()
                .ok_or_else(|| unknown("address"))?,
            found
                .token_endpoint
                .clone()
                .ok_or_else(|| unknown("token address"))?,
            None,
            false,
            None,
        ),
    };
    let (client_id, source) = clients::resolve(
        &net.http,
        settings,
        plan.policy_client_id.as_deref(),
        plan.provider,
        issuer.as_deref().or(found.issuer.as_deref()),
        registration.as_deref(),
    )
    .await?;
    tracing::info!(?source, "OAuth client id chosen");
    Ok(ResolvedClient {
        client: OAuthClient {
            client_id,
            authorization_endpoint,
            token_endpoint,
            issuer,
            iss_required,
            scopes,
        },
        named_by_server,
    })
}

/// Signs in through the browser and keeps the refresh token in the keyring. `opened` gets the
/// sign-in page's address once the browser was asked to open it. Dropping the future (or `cancel`
/// finishing) stops the wait and closes the loopback listener.
pub async fn sign_in_oauth(
    net: &Net,
    client: &OAuthClient,
    email: &str,
    browser: Browser,
    opened: impl FnOnce(&url::Url),
    cancel: impl std::future::Future<Output = ()>,
) -> Result<Arc<TokenManager>, SetupError> {
    let options = SignInOptions {
        browser,
        login_hint: Some(email.to_owned()),
        timeout: SIGN_IN_TIMEOUT,
    };
    let tokens = flow::sign_in_reporting(&net.http, client, &options, opened, cancel).await?;
    if tokens.refresh_token.is_none() {
        tracing::warn!(
            "the provider issued no refresh token; the person will have to sign in again when the access token expires"
        );
    }
    let manager = TokenManager::new(net.http.clone(), client.clone(), email);
    manager.seed(&tokens).await?;
    Ok(manager)
}

/// How an OAuth account is stored.
pub fn oauth_auth(client: &OAuthClient) -> AccountAuth {
    AccountAuth::OAuth2 {
        client_id: client.client_id.clone(),
        issuer: client.issuer.clone(),
        authorization_endpoint: client.authorization_endpoint.clone(),
        token_endpoint: client.token_endpoint.clone(),
        iss_required: client.iss_required,
        scopes: client.scopes.clone(),
    }
}

/// The OAuth client an account was set up with.
pub fn saved_oauth_client(auth: &AccountAuth) -> Option<OAuthClient> {
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
pub async fn saved_credentials(net: &Net, account: &Account) -> Result<Credentials, SetupError> {
    Ok(match saved_oauth_client(&account.auth) {
        Some(client) => Credentials::OAuth(TokenManager::new(
            net.http.clone(),
            client,
            account.email.clone(),
        )),
        None => Credentials::Password(
            keyring_store::load(&account.email, SecretKind::AppPassword)
                .await?
                .ok_or_else(|| SetupError::NoSavedPassword {
                    email: account.email.clone(),
                })?,
        ),
    })
}

/// Proves incoming mail works: signs in to IMAP and out again.
pub async fn verify_imap(
    net: &Net,
    server: &Server,
    credentials: &Credentials,
) -> Result<(), SetupError> {
    let mut session = imap::login(&net.dns, server, credentials).await?;
    let _ = session.logout().await;
    Ok(())
}

/// Proves outgoing mail works: signs in to SMTP submission.
pub async fn verify_smtp(
    net: &Net,
    server: &Server,
    credentials: &Credentials,
) -> Result<(), SetupError> {
    smtp::verify(&net.dns, server, credentials).await?;
    Ok(())
}

/// Forgets the sign-in of an account that did not verify: nothing is kept for an account that does
/// not work.
pub async fn forget_unverified(email: &str) {
    let _ = keyring_store::delete(email, SecretKind::RefreshToken).await;
}

/// Removes an account from this computer: from the account list first (so it is gone even if a
/// later step fails), then its sign-in from the keyring, then its mail from the local store. The
/// mail on the server is not touched.
pub async fn remove_account(
    paths: &crate::config::Paths,
    email: &str,
) -> Result<Account, SetupError> {
    let removed = Accounts::new(paths).remove(email)?;
    keyring_store::delete(&removed.email, SecretKind::RefreshToken).await?;
    keyring_store::delete(&removed.email, SecretKind::AppPassword).await?;
    let store_path = crate::store::Store::path_in(paths);
    if store_path.exists() {
        let email = removed.email.clone();
        tokio::task::spawn_blocking(move || {
            crate::store::Store::open(&store_path)?.remove_account(&email)
        })
        .await
        .map_err(|e| SetupError::Network(e.to_string()))??;
    }
    Ok(removed)
}

/// Saves a verified account: an app password into the keyring (the refresh token is already there),
/// the account into `accounts.toml`.
pub async fn save(
    accounts: &Accounts,
    plan: &Plan,
    display_name: Option<String>,
    auth: AccountAuth,
    credentials: &Credentials,
) -> Result<Account, SetupError> {
    if let Credentials::Password(password) = credentials {
        keyring_store::save(&plan.email, SecretKind::AppPassword, password).await?;
    }
    let account = Account {
        email: plan.email.clone(),
        display_name: display_name.filter(|n| !n.trim().is_empty()),
        provider: plan.provider,
        imap: plan.imap.clone(),
        smtp: plan.smtp.clone(),
        auth,
        last_sign_in: Some(now_seconds()),
        needs_sign_in: None,
        // Decided from the provider when sending (`outbox::sent_copy_for`) unless set by hand.
        sent_copy: None,
    };
    accounts.upsert(account.clone())?;
    Ok(account)
}

/// One step of verification, for a live view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Imap,
    Smtp,
    Save,
}

/// An event of verification in progress.
#[derive(Debug)]
pub enum VerifyProgress {
    Started(Check),
    Passed(Check),
    /// The step failed; nothing was saved and the sign-in was forgotten.
    Failed(Check, SetupError),
    /// Verified and saved.
    Saved(Box<Account>),
}

/// Verifies IMAP, then SMTP, then saves — streaming each step. On a failure the sign-in is
/// forgotten and the stream ends.
pub fn verify_and_save_stream(
    net: Net,
    accounts: Accounts,
    plan: Plan,
    display_name: Option<String>,
    auth: AccountAuth,
    credentials: Credentials,
) -> impl Stream<Item = VerifyProgress> + Send + 'static {
    let (mut sender, receiver) = futures_mpsc::channel(8);
    let work = async move {
        use futures::SinkExt;
        let steps: [Check; 3] = [Check::Imap, Check::Smtp, Check::Save];
        for check in steps {
            let _ = sender.send(VerifyProgress::Started(check)).await;
            let result = match check {
                Check::Imap => verify_imap(&net, &plan.imap, &credentials).await,
                Check::Smtp => verify_smtp(&net, &plan.smtp, &credentials).await,
                Check::Save => {
                    match save(
                        &accounts,
                        &plan,
                        display_name.clone(),
                        auth.clone(),
                        &credentials,
                    )
                    .await
                    {
                        Ok(account) => {
                            let _ = sender.send(VerifyProgress::Passed(check)).await;
                            let _ = sender.send(VerifyProgress::Saved(Box::new(account))).await;
                            return;
                        }
                        Err(error) => Err(error),
                    }
                }
            };
            match result {
                Ok(()) => {
                    let _ = sender.send(VerifyProgress::Passed(check)).await;
                }
                Err(error) => {
                    forget_unverified(&plan.email).await;
                    let _ = sender.send(VerifyProgress::Failed(check, error)).await;
                    return;
                }
            }
        }
    };
    let runner = futures::stream::once(work).filter_map(|()| async { None });
    futures::stream::select(receiver, runner)
}

/// Reads a password that must not be empty.
pub fn non_empty_password(password: String) -> Result<Secret, SetupError> {
    if password.is_empty() {
        return Err(SetupError::NoPassword);
    }
    Ok(Secret::new(password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::Security;

    fn server(host: &str, port: u16) -> Server {
        Server {
            host: host.into(),
            port,
            security: Security::Tls,
            username: "a@example.test".into(),
        }
    }

    #[test]
    fn a_manual_plan_offers_both_methods_in_the_order_asked() {
        let plan = Plan::manual(
            " a@example.test ",
            server("imap.example.test", 993),
            server("smtp.example.test", 465),
            false,
        );
        assert_eq!(plan.email, "a@example.test");
        assert_eq!(plan.preferred(), Method::Password);
        assert!(plan.offers(Method::OAuth) && plan.offers(Method::Password));
        assert!(
            plan.check_allowed(Method::OAuth).is_ok(),
            "no policy, no limit"
        );
        let plan = Plan::manual(
            "a@example.test",
            server("imap.example.test", 993),
            server("smtp.example.test", 465),
            true,
        );
        assert_eq!(plan.preferred(), Method::OAuth);
    }

    #[test]
    fn an_admin_policy_limits_the_methods() {
        let mut plan = Plan::manual(
            "a@example.test",
            server("imap.example.test", 993),
            server("smtp.example.test", 465),
            true,
        );
        plan.source = Some(Source::AdminPolicy);
        plan.sign_in = vec![SignIn::OAuth2(OAuthSettings::default())];
        assert!(plan.check_allowed(Method::OAuth).is_ok());
        let refused = plan.check_allowed(Method::Password).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("allows only sign-in through the browser"),
            "{refused}"
        );
    }

    #[test]
    fn the_sign_in_service_is_named_by_provider_or_issuer_host() {
        let mut plan = Plan::manual(
            "a@example.test",
            server("imap.example.test", 993),
            server("smtp.example.test", 465),
            true,
        );
        assert_eq!(plan.sign_in_service_name(), None);
        plan.sign_in = vec![SignIn::OAuth2(OAuthSettings {
            issuer: Some("https://login.example.test/tenant".into()),
            ..OAuthSettings::default()
        })];
        assert_eq!(
            plan.sign_in_service_name().as_deref(),
            Some("login.example.test")
        );
        plan.provider = Some(KnownProvider::Microsoft);
        assert_eq!(plan.sign_in_service_name().as_deref(), Some("Microsoft"));
    }

    #[test]
    fn the_app_being_refused_is_recognised() {
        assert!(app_refused("the sign-in service answered: access_denied"));
        assert!(app_refused("AADSTS65001: consent"));
        assert!(!app_refused("invalid_grant"));
    }
}
