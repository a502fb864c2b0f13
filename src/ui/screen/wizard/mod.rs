//! The first-run wizard (and "Add account" later): address → discovery with live progress → sign-in
//! in the browser (or an app password, saying why) → verification of IMAP and SMTP → done.
//!
//! The screen only keeps state and starts work: discovery, sign-in, verification and saving run in
//! the core (`tayori::account::setup`, the same code the command line uses) as `Task`s. The task
//! of the current step is abortable; Cancel aborts it, which drops its future — the loopback
//! listener of a sign-in in progress closes with it.
//!
//! (Over 800 lines, kept whole: it is one state machine — the steps, their messages and the one
//! `update` that moves between them — and its views are already apart, in `steps/`.)

mod steps;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, Instant};

use iced::task::Handle;
use iced::widget::Id;
use iced::{Element, Subscription, Task};
use tayori::account::setup::{self, Check, DiscoveryProgress, Method, Plan, VerifyProgress};
use tayori::account::{Account, AccountAuth, Accounts, Server};
use tayori::auth::Credentials;
use tayori::auth::loopback::BrowserPage;
use tayori::discovery::{Discovered, Discoverer, DiscoveryError, Security, TraceEntry};
use tayori::i18n::Lang;
use tayori::net::Net;

use crate::ui::context::Context;
use crate::ui::failure::Failure;
use crate::ui::proxy_sign_in;

/// The email field, focused when the wizard opens.
pub const EMAIL_INPUT: &str = "wizard-email";
pub const NAME_INPUT: &str = "wizard-name";
pub const PASSWORD_INPUT: &str = "wizard-password";
pub const MANUAL_IMAP_HOST: &str = "manual-imap-host";
pub const MANUAL_IMAP_PORT: &str = "manual-imap-port";
pub const MANUAL_SMTP_HOST: &str = "manual-smtp-host";
pub const MANUAL_SMTP_PORT: &str = "manual-smtp-port";
pub const MANUAL_USERNAME: &str = "manual-username";

pub struct State {
    context: Context,
    email: String,
    name: String,
    /// Domains the person said to trust for this address.
    trusted: Vec<String>,
    /// The person answered yes to "Is this a Microsoft 365 or Exchange account?": Microsoft's
    /// central AutoDiscover may hear the address.
    microsoft: bool,
    step: Step,
    /// Whether the address was submitted once (shows the address hint only then).
    address_checked: bool,
    /// The work of the current step; dropping or replacing it aborts that work.
    running: Option<Handle>,
    /// Whether Cancel on the first step leads back to a mailbox (there are accounts already).
    can_leave: bool,
    /// When the current work started, and the last animation tick (for the activity bar).
    busy_since: Instant,
    now: Instant,
    /// The browser's page of the sign-in being verified: "signed in" once the account is saved.
    browser_page: Option<BrowserPage>,
}

pub enum Step {
    Address,
    Discovering {
        trace: Vec<TraceEntry>,
    },
    Found {
        found: Box<Discovered>,
        plan: Plan,
        show_trace: bool,
    },
    NeedsTrust {
        found: Box<Discovered>,
    },
    NotFound {
        error: DiscoveryError,
        trace: Vec<TraceEntry>,
        show_trace: bool,
        /// Where a proxy asked for its user name and password: the form for them.
        proxy_sign_in: Option<proxy_sign_in::State>,
    },
    Manual(ManualForm),
    SignIn(SignInStep),
    Verifying(VerifyStep),
    Done {
        account: Box<Account>,
    },
}

pub struct SignInStep {
    pub plan: Plan,
    pub method: Method,
    pub password: String,
    pub phase: Phase,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Idle,
    /// Working out the OAuth client (metadata, registration).
    Preparing,
    /// The mail server named its own sign-in service (RFC 7628): the browser would go to `host`,
    /// which the person sees and accepts before anything opens.
    ConfirmHost {
        host: String,
        client: Box<tayori::auth::flow::OAuthClient>,
    },
    /// The browser was opened at `url`; waiting for the person.
    Waiting {
        url: Option<String>,
    },
    /// Sign-in with a code on another device (RFC 8628): the address and code shown, with a
    /// countdown to `expires_at`.
    DeviceCode {
        url: String,
        code: String,
        expires_at: Instant,
    },
    Failed(FailureBox),
}

/// `Failure` compared by what it says (for `Phase: PartialEq`).
#[derive(Debug, Clone)]
pub struct FailureBox(pub Failure);

impl PartialEq for FailureBox {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind == other.0.kind && self.0.detail == other.0.detail
    }
}
impl Eq for FailureBox {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    Pending,
    Running,
    Passed,
    Failed,
}

pub struct VerifyStep {
    pub plan: Plan,
    pub method: Method,
    pub imap: CheckState,
    pub smtp: CheckState,
    pub save: CheckState,
    pub failure: Option<Failure>,
}

/// The server settings typed by hand.
#[derive(Debug, Clone)]
pub struct ManualForm {
    pub imap_host: String,
    pub imap_port: String,
    pub imap_security: Security,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_security: Security,
    pub username: String,
    pub prefer_browser: bool,
    pub attempted: bool,
}

impl ManualForm {
    /// Starts from what discovery found, else from the usual names for the address's domain.
    fn new(email: &str, found: Option<&Plan>) -> Self {
        match found {
            Some(plan) => ManualForm {
                imap_host: plan.imap.host.clone(),
                imap_port: plan.imap.port.to_string(),
                imap_security: plan.imap.security,
                smtp_host: plan.smtp.host.clone(),
                smtp_port: plan.smtp.port.to_string(),
                smtp_security: plan.smtp.security,
                username: plan.imap.username.clone(),
                prefer_browser: plan.preferred() == Method::OAuth,
                attempted: false,
            },
            None => {
                let domain = email.rsplit_once('@').map_or("", |(_, d)| d).trim();
                ManualForm {
                    imap_host: format!("imap.{domain}"),
                    imap_port: "993".into(),
                    imap_security: Security::Tls,
                    smtp_host: format!("smtp.{domain}"),
                    smtp_port: "465".into(),
                    smtp_security: Security::Tls,
                    username: email.trim().to_owned(),
                    prefer_browser: false,
                    attempted: false,
                }
            }
        }
    }

    /// The plan, if every field makes sense.
    pub fn plan(&self, email: &str) -> Option<Plan> {
        let port = |p: &str| p.trim().parse::<u16>().ok().filter(|p| *p > 0);
        let host = |h: &str| {
            let h = h.trim();
            (!h.is_empty() && !h.contains(char::is_whitespace)).then(|| h.to_owned())
        };
        let username = self.username.trim();
        if username.is_empty() {
            return None;
        }
        let imap = Server {
            host: host(&self.imap_host)?,
            port: port(&self.imap_port)?,
            security: self.imap_security,
            username: username.to_owned(),
        };
        let smtp = Server {
            host: host(&self.smtp_host)?,
            port: port(&self.smtp_port)?,
            security: self.smtp_security,
            username: username.to_owned(),
        };
        Some(Plan::manual(email, imap, smtp, self.prefer_browser))
    }
}

#[derive(Debug, Clone)]
pub enum ManualField {
    ImapHost(String),
    ImapPort(String),
    ImapSecurity(Security),
    SmtpHost(String),
    SmtpPort(String),
    SmtpSecurity(Security),
    Username(String),
    PreferBrowser(bool),
}

/// What a browser sign-in produced: how to store the account and how to prove it.
#[derive(Clone)]
pub struct SignedIn {
    pub auth: AccountAuth,
    pub credentials: Credentials,
    /// The browser's page, waiting to be told "signed in" once the account is verified and saved
    /// (taken by the first to use it; dropped, it sends the person back to Tayori).
    pub page: Option<Arc<std::sync::Mutex<Option<BrowserPage>>>>,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials hold tokens: never printed.
        f.debug_struct("SignedIn").finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub enum SignInEvent {
    /// The mail server named the sign-in service at this host: asked before the browser opens.
    ConfirmHost(String, Box<tayori::auth::flow::OAuthClient>),
    BrowserOpened(String),
    /// The device code to show: the address, the code, when it expires.
    DeviceCode(String, String, Instant),
    SignedIn(Arc<SignedIn>),
    Failed(Failure),
    Cancelled,
}

#[derive(Debug, Clone)]
pub enum VerifyEvent {
    Started(Check),
    Passed(Check),
    Failed(Check, Failure),
    Saved(Box<Account>),
}

impl From<VerifyProgress> for VerifyEvent {
    fn from(progress: VerifyProgress) -> Self {
        match progress {
            VerifyProgress::Started(check) => VerifyEvent::Started(check),
            VerifyProgress::Passed(check) => VerifyEvent::Passed(check),
            VerifyProgress::Failed(check, error) => {
                VerifyEvent::Failed(check, Failure::from_setup(&error))
            }
            VerifyProgress::Saved(account) => VerifyEvent::Saved(account),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Tick(Instant),
    SwitchLanguage,
    EmailChanged(String),
    NameChanged(String),
    SubmitAddress,
    Discovery(DiscoveryProgress),
    CancelDiscovery,
    ToggleTrace,
    Trust,
    /// Yes to "Is this a Microsoft 365 or Exchange account?": look again, Microsoft included.
    MicrosoftAccount,
    BackToAddress,
    EnterManually,
    Manual(ManualField),
    SubmitManual,
    ContinueToSignIn,
    ChooseMethod(Method),
    PasswordChanged(String),
    SignIn,
    SignInEvent(SignInEvent),
    /// The proxy's user name and password, asked where the proxy answered 407.
    ProxySignIn(proxy_sign_in::Message),
    CancelSignIn,
    /// The person accepted the sign-in host the mail server named.
    ContinueToHost,
    OpenAgain,
    CopyAddress,
    /// Signs in with a code on another device instead of the browser here.
    SignInWithCode,
    /// Copies the device code.
    CopyCode,
    /// Copies the admin-consent link of a sign-in refused for missing consent.
    CopyAdminConsentLink,
    Reopened(Result<(), String>),
    Verify(VerifyEvent),
    BackToSignIn,
    OpenMailbox,
    Leave,
}

/// What the wizard asks of the application.
pub enum Event {
    SwitchLanguage,
    /// The account is set up; show the mailbox.
    Finished(Box<Account>),
    /// The person left without adding an account.
    Left,
}

impl State {
    pub fn new(context: Context, can_leave: bool) -> Self {
        Self {
            context,
            email: String::new(),
            name: String::new(),
            trusted: Vec::new(),
            microsoft: false,
            step: Step::Address,
            address_checked: false,
            running: None,
            can_leave,
            busy_since: Instant::now(),
            now: Instant::now(),
            browser_page: None,
        }
    }

    /// Focuses the address field (the first thing to do).
    pub fn focus() -> Task<Message> {
        iced::widget::operation::focus(Id::new(EMAIL_INPUT))
    }

    pub fn step(&self) -> &Step {
        &self.step
    }

    #[cfg(test)]
    pub fn email(&self) -> &str {
        &self.email
    }

    /// Whether work of the current step is under way.
    #[cfg(test)]
    pub fn is_busy(&self) -> bool {
        self.running.as_ref().is_some_and(|h| !h.is_aborted())
    }

    /// Runs `task` as the current step's work, aborting whatever ran before.
    fn start(&mut self, task: Task<Message>) -> Task<Message> {
        self.busy_since = Instant::now();
        self.now = self.busy_since;
        let (task, handle) = task.abortable();
        self.running = Some(handle.abort_on_drop());
        task
    }

    fn stop(&mut self) {
        if let Some(handle) = self.running.take() {
            handle.abort();
        }
    }

    /// Whether something runs that the person waits for: the window then animates.
    fn animating(&self) -> bool {
        match &self.step {
            Step::SignIn(step) => matches!(
                step.phase,
                Phase::Preparing | Phase::Waiting { .. } | Phase::DeviceCode { .. }
            ),
            Step::Verifying(step) => step.failure.is_none(),
            _ => false,
        }
    }

    /// Where the activity bar's segment is: one sweep every 1.6 s.
    pub fn activity_phase(&self) -> f32 {
        self.now
            .saturating_duration_since(self.busy_since)
            .as_secs_f32()
            / 1.6
    }

    pub fn subscription(&self) -> Subscription<Message> {
        if self.animating() {
            iced::time::every(Duration::from_millis(50)).map(Message::Tick)
        } else {
            Subscription::none()
        }
    }

    pub fn address_is_valid(&self) -> bool {
        tayori::discovery::domain::email_domain(self.email.trim()).is_some()
    }

    fn discover(&mut self) -> Task<Message> {
        let mut discoverer = match Discoverer::from_settings(&self.context.settings) {
            Ok(discoverer) => discoverer,
            Err(error) => {
                self.step = Step::NotFound {
                    error,
                    trace: Vec::new(),
                    show_trace: false,
                    proxy_sign_in: None,
                };
                return Task::none();
            }
        };
        discoverer.options_mut().trusted_domains = self.trusted.clone();
        discoverer.options_mut().microsoft_account = self.microsoft;
        self.step = Step::Discovering { trace: Vec::new() };
        let email = self.email.trim().to_owned();
        self.start(Task::run(
            setup::discover_stream(discoverer.clone(), email),
            Message::Discovery,
        ))
    }

    fn discoverer(&self) -> Option<Discoverer> {
        Discoverer::from_settings(&self.context.settings).ok()
    }

    fn go_to_sign_in(&mut self, plan: Plan) {
        let method = if plan.check_allowed(plan.preferred()).is_ok() {
            plan.preferred()
        } else if plan.preferred() == Method::OAuth {
            Method::Password
        } else {
            Method::OAuth
        };
        self.step = Step::SignIn(SignInStep {
            plan,
            method,
            password: String::new(),
            phase: Phase::Idle,
        });
    }

    /// Starts the sign-in with the chosen method. A password needs no network; it goes straight to
    /// verification.
    fn sign_in(&mut self) -> Task<Message> {
        let Step::SignIn(step) = &mut self.step else {
            return Task::none();
        };
        if let Err(error) = step.plan.check_allowed(step.method) {
            step.phase = Phase::Failed(FailureBox(Failure::from_setup(&error)));
            return Task::none();
        }
        match step.method {
            Method::Password => {
                let password = std::mem::take(&mut step.password);
                match setup::non_empty_password(password) {
                    Ok(secret) => {
                        let signed_in = SignedIn {
                            auth: AccountAuth::Password,
                            credentials: Credentials::Password(secret),
                            page: None,
                        };
                        let plan = step.plan.clone();
                        self.verify(plan, Method::Password, signed_in)
                    }
                    Err(error) => {
                        step.phase = Phase::Failed(FailureBox(Failure::from_setup(&error)));
                        Task::none()
                    }
                }
            }
            Method::OAuth if step.plan.policy_device_code && step.plan.offers_device_code() => {
                // The administrator asks for sign-in with a code on another device.
                step.phase = Phase::Preparing;
                let work = device_sign_in(self.context.clone(), step.plan.clone());
                self.start(Task::run(work, Message::SignInEvent))
            }
            Method::OAuth => {
                step.phase = Phase::Preparing;
                let work = oauth_sign_in(self.context.clone(), step.plan.clone(), None);
                self.start(Task::run(work, Message::SignInEvent))
            }
        }
    }

    fn verify(&mut self, plan: Plan, method: Method, signed_in: SignedIn) -> Task<Message> {
        let net = match Net::from_settings(&self.context.settings) {
            Ok(net) => net,
            Err(error) => {
                self.step = Step::Verifying(VerifyStep {
                    plan,
                    method,
                    imap: CheckState::Failed,
                    smtp: CheckState::Pending,
                    save: CheckState::Pending,
                    failure: Some(Failure::from_setup(&error.into())),
                });
                return Task::none();
            }
        };
        self.browser_page = signed_in
            .page
            .as_ref()
            .and_then(|page| page.lock().ok()?.take());
        let accounts = Accounts::new(&self.context.paths);
        let name = Some(self.name.trim().to_owned()).filter(|n| !n.is_empty());
        let stream = setup::verify_and_save_stream(
            net,
            accounts,
            plan.clone(),
            name,
            signed_in.auth,
            signed_in.credentials,
        );
        self.step = Step::Verifying(VerifyStep {
            plan,
            method,
            imap: CheckState::Pending,
            smtp: CheckState::Pending,
            save: CheckState::Pending,
            failure: None,
        });
        self.start(Task::run(stream, |p| Message::Verify(p.into())))
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        match message {
            Message::Tick(now) => self.now = now,
            Message::SwitchLanguage => return (Task::none(), Some(Event::SwitchLanguage)),
            Message::EmailChanged(email) => {
                if matches!(self.step, Step::Address) {
                    self.email = email;
                    self.trusted.clear();
                    self.microsoft = false;
                }
            }
            Message::NameChanged(name) => self.name = name,
            Message::SubmitAddress => {
                if matches!(self.step, Step::Address) {
                    self.address_checked = true;
                    if self.address_is_valid() {
                        return (self.discover(), None);
                    }
                }
            }
            Message::Discovery(progress) => self.on_discovery(progress),
            Message::CancelDiscovery | Message::BackToAddress => {
                self.stop();
                self.step = Step::Address;
                return (Self::focus(), None);
            }
            Message::ToggleTrace => match &mut self.step {
                Step::Found { show_trace, .. } | Step::NotFound { show_trace, .. } => {
                    *show_trace = !*show_trace;
                }
                _ => {}
            },
            Message::Trust => {
                if let Step::NeedsTrust { found } = &self.step
                    && let Some(confirmation) = &found.needs_confirmation
                {
                    self.trusted.extend(confirmation.domains.iter().cloned());
                    return (self.discover(), None);
                }
            }
            Message::MicrosoftAccount => {
                if matches!(self.step, Step::NotFound { .. }) {
                    self.microsoft = true;
                    return (self.discover(), None);
                }
            }
            Message::EnterManually => {
                self.stop();
                let found = match &self.step {
                    Step::Found { plan, .. } => Some(plan.clone()),
                    _ => None,
                };
                self.step = Step::Manual(ManualForm::new(&self.email, found.as_ref()));
            }
            Message::Manual(field) => {
                if let Step::Manual(form) = &mut self.step {
                    match field {
                        ManualField::ImapHost(v) => form.imap_host = v,
                        ManualField::ImapPort(v) => form.imap_port = v,
                        ManualField::ImapSecurity(v) => {
                            // The usual port follows the choice, unless one was typed in.
                            form.imap_port = match (v, form.imap_port.trim()) {
                                (Security::StartTls, "993") => "143".into(),
                                (Security::Tls, "143") => "993".into(),
                                _ => std::mem::take(&mut form.imap_port),
                            };
                            form.imap_security = v;
                        }
                        ManualField::SmtpHost(v) => form.smtp_host = v,
                        ManualField::SmtpPort(v) => form.smtp_port = v,
                        ManualField::SmtpSecurity(v) => {
                            form.smtp_port = match (v, form.smtp_port.trim()) {
                                (Security::StartTls, "465") => "587".into(),
                                (Security::Tls, "587") => "465".into(),
                                _ => std::mem::take(&mut form.smtp_port),
                            };
                            form.smtp_security = v;
                        }
                        ManualField::Username(v) => form.username = v,
                        ManualField::PreferBrowser(v) => form.prefer_browser = v,
                    }
                }
            }
            Message::SubmitManual => {
                if let Step::Manual(form) = &mut self.step {
                    form.attempted = true;
                    if let Some(plan) = form.plan(&self.email) {
                        self.go_to_sign_in(plan);
                    }
                }
            }
            Message::ContinueToSignIn => {
                if let Step::Found { plan, .. } = &self.step {
                    let plan = plan.clone();
                    self.go_to_sign_in(plan);
                    return (self.focus_password(), None);
                }
            }
            Message::ChooseMethod(method) => {
                if let Step::SignIn(step) = &mut self.step {
                    self.running = None;
                    step.method = method;
                    step.phase = Phase::Idle;
                    return (self.focus_password(), None);
                }
            }
            Message::PasswordChanged(password) => {
                if let Step::SignIn(step) = &mut self.step {
                    step.password = password;
                }
            }
            Message::SignIn => return (self.sign_in(), None),
            Message::SignInWithCode => {
                if let Step::SignIn(step) = &mut self.step
                    && step.plan.offers_device_code()
                    && step.plan.check_allowed(Method::OAuth).is_ok()
                {
                    step.method = Method::OAuth;
                    step.phase = Phase::Preparing;
                    let work = device_sign_in(self.context.clone(), step.plan.clone());
                    return (self.start(Task::run(work, Message::SignInEvent)), None);
                }
            }
            Message::CopyCode => {
                if let Step::SignIn(SignInStep {
                    phase: Phase::DeviceCode { code, .. },
                    ..
                }) = &self.step
                {
                    return (iced::clipboard::write(code.clone()), None);
                }
            }
            Message::SignInEvent(event) => return (self.on_sign_in(event), None),
            Message::ProxySignIn(message) => {
                let Step::NotFound {
                    proxy_sign_in: Some(form),
                    ..
                } = &mut self.step
                else {
                    return (Task::none(), None);
                };
                let (task, event) = form.update(message);
                // Saved in the keyring: discovery goes again, now through the signed-in proxy.
                if event == Some(proxy_sign_in::Event::Saved) {
                    return (self.discover(), None);
                }
                return (task.map(Message::ProxySignIn), None);
            }
            Message::ContinueToHost => {
                if let Step::SignIn(step) = &mut self.step
                    && let Phase::ConfirmHost { client, .. } = &step.phase
                {
                    let work = oauth_sign_in(
                        self.context.clone(),
                        step.plan.clone(),
                        Some(*client.clone()),
                    );
                    step.phase = Phase::Preparing;
                    return (self.start(Task::run(work, Message::SignInEvent)), None);
                }
            }
            Message::CancelSignIn => {
                self.stop();
                if let Step::SignIn(step) = &mut self.step {
                    step.phase = Phase::Idle;
                }
            }
            Message::OpenAgain => {
                if let Step::SignIn(SignInStep {
                    phase: Phase::Waiting { url: Some(url) },
                    ..
                }) = &self.step
                {
                    let browser = self.context.browser.clone();
                    let url = url.clone();
                    // Starting a browser may block for a moment: not on the UI thread.
                    return (
                        Task::perform(
                            async move {
                                tokio::task::spawn_blocking(move || {
                                    browser.open(&url).map_err(|e| e.to_string())
                                })
                                .await
                                .unwrap_or_else(|e| Err(e.to_string()))
                            },
                            Message::Reopened,
                        ),
                        None,
                    );
                }
            }
            Message::CopyAddress => {
                if let Step::SignIn(SignInStep {
                    phase: Phase::Waiting { url: Some(url) },
                    ..
                }) = &self.step
                {
                    return (iced::clipboard::write(url.clone()), None);
                }
            }
            Message::CopyAdminConsentLink => {
                if let Step::SignIn(SignInStep {
                    phase: Phase::Failed(failure),
                    ..
                }) = &self.step
                    && let Some(link) = &failure.0.admin_consent_link
                {
                    return (iced::clipboard::write(link.clone()), None);
                }
            }
            Message::Reopened(result) => {
                if let Err(error) = result {
                    tracing::warn!("the browser could not be opened again: {error}");
                }
            }
            Message::Verify(event) => return (self.on_verify(event), None),
            Message::BackToSignIn => {
                self.stop();
                if let Step::Verifying(step) = &self.step {
                    let plan = step.plan.clone();
                    let method = step.method;
                    let failure = step.failure.clone();
                    self.step = Step::SignIn(SignInStep {
                        plan,
                        method,
                        password: String::new(),
                        phase: failure
                            .map(|f| Phase::Failed(FailureBox(f)))
                            .unwrap_or(Phase::Idle),
                    });
                }
            }
            Message::OpenMailbox => {
                if let Step::Done { account } = &self.step {
                    return (Task::none(), Some(Event::Finished(account.clone())));
                }
            }
            Message::Leave => {
                self.stop();
                if self.can_leave {
                    return (Task::none(), Some(Event::Left));
                }
            }
        }
        (Task::none(), None)
    }

    fn focus_password(&self) -> Task<Message> {
        match &self.step {
            Step::SignIn(step) if step.method == Method::Password => {
                iced::widget::operation::focus(Id::new(PASSWORD_INPUT))
            }
            _ => Task::none(),
        }
    }

    fn on_discovery(&mut self, progress: DiscoveryProgress) {
        match progress {
            DiscoveryProgress::Asked(entry) => {
                if let Step::Discovering { trace } = &mut self.step {
                    trace.push(entry);
                }
            }
            DiscoveryProgress::Finished(result) => {
                if !matches!(self.step, Step::Discovering { .. }) {
                    return;
                }
                self.running = None;
                self.step = match result {
                    Ok(found) if found.needs_confirmation.is_some() => Step::NeedsTrust { found },
                    Ok(found) => {
                        let plan = match self.discoverer() {
                            Some(discoverer) => Plan::from_discovered(&found, &discoverer),
                            None => return,
                        };
                        Step::Found {
                            found,
                            plan,
                            show_trace: false,
                        }
                    }
                    Err(error) => {
                        let trace = match &error {
                            DiscoveryError::NothingFound { trace, .. }
                            | DiscoveryError::Unsupported { trace, .. }
                            | DiscoveryError::Refused { trace, .. } => trace.clone(),
                            _ => Vec::new(),
                        };
                        let proxy_sign_in = match &error {
                            DiscoveryError::Refused { refusal, .. } => refusal
                                .proxy_to_sign_in()
                                .map(|proxy| proxy_sign_in::State::new(proxy.to_owned())),
                            _ => None,
                        };
                        Step::NotFound {
                            error,
                            trace,
                            show_trace: false,
                            proxy_sign_in,
                        }
                    }
                };
            }
        }
    }

    fn on_sign_in(&mut self, event: SignInEvent) -> Task<Message> {
        let Step::SignIn(step) = &mut self.step else {
            return Task::none();
        };
        match event {
            SignInEvent::ConfirmHost(host, client) => {
                self.running = None;
                step.phase = Phase::ConfirmHost { host, client };
                Task::none()
            }
            SignInEvent::BrowserOpened(url) => {
                step.phase = Phase::Waiting { url: Some(url) };
                Task::none()
            }
            SignInEvent::DeviceCode(url, code, expires_at) => {
                step.phase = Phase::DeviceCode {
                    url,
                    code,
                    expires_at,
                };
                Task::none()
            }
            SignInEvent::Failed(failure) => {
                self.running = None;
                // What the person is shown, for the log (an admin reading it, the Xvfb check).
                if failure.admin_consent_link.is_some() {
                    tracing::info!("sign-in refused: consent missing, admin-consent link shown");
                } else {
                    tracing::info!("sign-in refused: {}", failure.detail);
                }
                step.phase = Phase::Failed(FailureBox(failure));
                Task::none()
            }
            SignInEvent::Cancelled => {
                self.running = None;
                step.phase = Phase::Idle;
                Task::none()
            }
            SignInEvent::SignedIn(signed_in) => {
                let plan = step.plan.clone();
                let signed_in = Arc::unwrap_or_clone(signed_in);
                self.verify(plan, Method::OAuth, signed_in)
            }
        }
    }

    fn on_verify(&mut self, event: VerifyEvent) -> Task<Message> {
        let Step::Verifying(step) = &mut self.step else {
            return Task::none();
        };
        fn set(step: &mut VerifyStep, check: Check, state: CheckState) {
            match check {
                Check::Imap => step.imap = state,
                Check::Smtp => step.smtp = state,
                Check::Save => step.save = state,
            }
        }
        match event {
            VerifyEvent::Started(check) => set(step, check, CheckState::Running),
            VerifyEvent::Passed(check) => set(step, check, CheckState::Passed),
            VerifyEvent::Failed(check, failure) => {
                set(step, check, CheckState::Failed);
                step.failure = Some(failure);
                self.running = None;
                // Not "signed in": the page sends the person back to Tayori, which says why.
                if let Some(page) = self.browser_page.take() {
                    return Task::future(page.return_to_tayori()).discard();
                }
            }
            VerifyEvent::Saved(account) => {
                self.running = None;
                self.step = Step::Done { account };
                // Verified and saved: now the browser's page may say "signed in".
                if let Some(page) = self.browser_page.take() {
                    return Task::future(page.signed_in()).discard();
                }
            }
        }
        Task::none()
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        steps::view(self, lang)
    }
}

/// The sign-in with a code on another device (RFC 8628) as a stream of events: work out the
/// client, show the code, wait for the person, keep the refresh token in the keyring.
fn device_sign_in(
    context: Context,
    plan: Plan,
) -> impl futures::Stream<Item = SignInEvent> + Send + 'static {
    use futures::StreamExt;
    let (sender, receiver) = futures::channel::mpsc::unbounded();
    let work = async move {
        let net = match Net::from_settings(&context.settings) {
            Ok(net) => net,
            Err(error) => {
                let _ =
                    sender.unbounded_send(SignInEvent::Failed(Failure::from_setup(&error.into())));
                return;
            }
        };
        let client = match setup::oauth_client(&net, &context.settings, &plan).await {
            Ok(resolved) => resolved.client,
            Err(error) => {
                let _ = sender.unbounded_send(SignInEvent::Failed(Failure::from_setup(&error)));
                return;
            }
        };
        let shown = sender.clone();
        let result = setup::sign_in_device(
            &net,
            &client,
            &plan.email,
            &plan.imap.host,
            move |authorization| {
                let _ = shown.unbounded_send(SignInEvent::DeviceCode(
                    authorization.verification_uri.clone(),
                    authorization.user_code.clone(),
                    authorization.expires_at,
                ));
            },
            // Cancel aborts the task, which drops this future and stops the polling.
            std::future::pending(),
        )
        .await;
        let event = match result {
            Ok((manager, client)) => SignInEvent::SignedIn(Arc::new(SignedIn {
                auth: setup::oauth_auth(&client),
                credentials: Credentials::OAuth(manager),
                page: None,
            })),
            Err(error) if error.is_cancelled() => SignInEvent::Cancelled,
            Err(error) => SignInEvent::Failed(Failure::from_sign_in(&error, &client, &plan.email)),
        };
        let _ = sender.unbounded_send(event);
    };
    let runner = futures::stream::once(work).filter_map(|()| async { None });
    futures::stream::select(receiver, runner)
}

/// The browser sign-in as a stream of events: work out the client, open the browser (its address
/// comes back for "open again"), wait, exchange the code, keep the refresh token in the keyring.
/// The browser sign-in as a stream of events. The client is worked out first; when the mail server
/// itself named the sign-in service, the stream ends with [`SignInEvent::ConfirmHost`] and the
/// browser opens only on a second run with the `confirmed` client.
fn oauth_sign_in(
    context: Context,
    plan: Plan,
    confirmed: Option<tayori::auth::flow::OAuthClient>,
) -> impl futures::Stream<Item = SignInEvent> + Send + 'static {
    use futures::StreamExt;
    let (sender, receiver) = futures::channel::mpsc::unbounded();
    let work = async move {
        let fail = |error: &setup::SetupError| {
            if error.is_cancelled() {
                SignInEvent::Cancelled
            } else {
                SignInEvent::Failed(Failure::from_setup(error))
            }
        };
        let net = match Net::from_settings(&context.settings) {
            Ok(net) => net,
            Err(error) => {
                let _ = sender.unbounded_send(fail(&error.into()));
                return;
            }
        };
        let client = match confirmed {
            Some(client) => client,
            None => match setup::oauth_client(&net, &context.settings, &plan).await {
                Ok(resolved) if resolved.named_by_server.is_some() => {
                    let host = url::Url::parse(&resolved.client.authorization_endpoint)
                        .ok()
                        .and_then(|url| url.host_str().map(str::to_owned))
                        .unwrap_or_else(|| resolved.client.authorization_endpoint.clone());
                    let _ = sender
                        .unbounded_send(SignInEvent::ConfirmHost(host, Box::new(resolved.client)));
                    return;
                }
                Ok(resolved) => resolved.client,
                Err(error) => {
                    let _ = sender.unbounded_send(fail(&error));
                    return;
                }
            },
        };
        let opened = sender.clone();
        let email = plan.email.clone();
        let result = setup::sign_in_oauth(
            &net,
            &client,
            &plan.email,
            &plan.imap.host,
            context.browser.clone(),
            move |url| {
                let _ = opened.unbounded_send(SignInEvent::BrowserOpened(url.to_string()));
            },
            // Cancel aborts the task, which drops this future and the listener with it.
            std::future::pending(),
        )
        .await;
        let event = match result {
            Ok(signed_in) => SignInEvent::SignedIn(Arc::new(SignedIn {
                auth: setup::oauth_auth(&signed_in.client),
                credentials: Credentials::OAuth(signed_in.manager),
                // Answered once the account is verified and saved (or dropped: "return to Tayori").
                page: Some(Arc::new(std::sync::Mutex::new(Some(signed_in.page)))),
            })),
            Err(error) if error.is_cancelled() => SignInEvent::Cancelled,
            Err(error) => SignInEvent::Failed(Failure::from_sign_in(&error, &client, &email)),
        };
        let _ = sender.unbounded_send(event);
    };
    let runner = futures::stream::once(work).filter_map(|()| async { None });
    futures::stream::select(receiver, runner)
}
