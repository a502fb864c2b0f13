//! The command line. Every subcommand uses the same core API the desktop window uses.
//!
//! A build without the window says so and exits with [`EXIT_UNAVAILABLE`] — a script must never
//! mistake a missing feature for a success.

mod account;
mod discover;
mod mail;
mod outbox;
mod proxy;
mod send;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tayori::account::AccountsError;
use tayori::config::{Paths, Settings};
use tayori::discovery::DiscoveryError;
use tayori::i18n::{Lang, Text, fill};
use tayori::outbox::OutboxError;
use tayori::store::StoreError;

/// `tayori --version`: the version and which app registrations this build carries.
fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{}\n{}",
            env!("CARGO_PKG_VERSION"),
            tayori::auth::clients::built_in_summary()
        )
    })
}

/// Exit status of a subcommand that this version cannot do yet (sysexits' EX_UNAVAILABLE).
#[cfg(not(feature = "gui"))]
pub const EXIT_UNAVAILABLE: u8 = 69;

#[derive(Debug, Parser)]
#[command(
    name = "tayori",
    version,
    long_version = long_version(),
    about = "Tayori (便り) — a desktop mail client that signs in the modern way",
    long_about = "Tayori finds your mail servers from your email address, signs in with OAuth 2.0 in your \
browser (where multi-factor sign-in happens) and keeps your mail readable offline.\n\n\
Run without a command to open the window.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// More detail on standard error (the log file always has the details).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// A `mailto:` link to open in the composer (this is how the desktop hands mail links to Tayori).
    #[arg(value_name = "MAILTO")]
    pub mailto: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find the mail servers and sign-in method for an email address.
    Discover {
        /// The email address to look up.
        email: String,
        /// Print the result as JSON (for scripts).
        #[arg(long)]
        json: bool,
        /// Trust a domain that discovery leads to (e.g. a hosting provider) without asking.
        #[arg(long, value_name = "DOMAIN")]
        trust: Vec<String>,
        /// This is a Microsoft 365 or Exchange account: Microsoft's central AutoDiscover may be
        /// asked (it receives the address) even when the domain's DNS does not point to Microsoft.
        #[arg(long)]
        microsoft: bool,
    },
    /// Add, list, remove or re-authenticate mail accounts.
    Account {
        #[command(subcommand)]
        action: AccountCommand,
    },
    /// Bring the local copy of mail up to date with the server.
    Sync {
        /// Only this account (default: all).
        #[arg(long, value_name = "EMAIL")]
        account: Option<String>,
        /// Only this account (the same as --account).
        #[arg(value_name = "EMAIL", conflicts_with = "account")]
        email: Option<String>,
        /// Keep running: wait for new mail (IDLE) and check all folders every few minutes.
        #[arg(long)]
        watch: bool,
    },
    /// List the messages of a folder from the local store (newest first).
    List {
        /// The folder, e.g. INBOX or Sent.
        #[arg(default_value = "INBOX")]
        folder: String,
        #[arg(long, value_name = "EMAIL")]
        account: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show one message (the number from `tayori list` or `tayori search`).
    Show {
        id: i64,
        /// Print the message exactly as received (RFC 5322 bytes).
        #[arg(long)]
        raw: bool,
    },
    /// Search subject, addresses and text of all stored mail.
    Search {
        #[arg(required = true)]
        query: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Send a message (the body is read from standard input unless --body-file is given).
    ///
    /// The message is saved in the outbox first. Exit status: 0 sent; 75 not sent yet (it waits in
    /// the outbox and is retried); 1 refused by the server (it stays in the outbox with the
    /// reason); 65 refused before queueing (a line break in a header, a bad address, an unreadable
    /// file).
    Send(SendArgs),
    /// Messages waiting to be sent or refused: list them, retry or discard one, or send what is due.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxCommand>,
    },
    /// The proxy Tayori uses: which one for a URL and why, and the proxy sign-in.
    Proxy {
        #[command(subcommand)]
        action: ProxyCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProxyCommand {
    /// Which way Tayori goes for a URL, and which setting says so.
    Show {
        /// e.g. https://login.example.com/ or imaps://mail.example.com:993/
        url: String,
    },
    /// Save the proxy user name and password in the system keyring (asked once; sent only over
    /// an encrypted connection to the proxy).
    SignIn {
        /// The proxy as host:port (default: the proxy Tayori uses for the web).
        proxy: Option<String>,
        #[arg(long)]
        user: String,
    },
    /// Delete the saved proxy password from the keyring.
    Forget {
        /// The proxy as host:port (default: the proxy Tayori uses for the web).
        proxy: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List the messages waiting or refused, with the server's reason (the default).
    List {
        /// Also the messages already sent (kept for 30 days).
        #[arg(long)]
        all: bool,
        /// Print JSON (for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Try a waiting or refused message again now.
    Retry { id: i64 },
    /// Remove a message from the outbox without sending it.
    Discard { id: i64 },
    /// Send every message that is due and file pending Sent copies; with --wait, keep retrying
    /// (with backoff) for up to SECS seconds until the outbox is empty.
    Flush {
        #[arg(long, value_name = "SECS")]
        wait: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Set up an account: discovery, sign-in in the browser, verification of IMAP and SMTP.
    Add {
        email: String,
        /// How to sign in (default: the best the server offers).
        #[arg(long, value_enum)]
        auth: Option<AuthChoice>,
        /// The browser command to open the sign-in page with (default: $BROWSER, else the system's).
        #[arg(long, value_name = "CMD")]
        browser: Option<String>,
        /// Sign in with a code on any device instead of a browser on this computer (RFC 8628; for
        /// remote desktops, VDI and locked-down browsers). Microsoft accounts only.
        #[arg(long, conflicts_with = "browser")]
        device_code: bool,
        /// Trust a domain that discovery leads to (e.g. a hosting provider).
        #[arg(long, value_name = "DOMAIN")]
        trust: Vec<String>,
        /// This is a Microsoft 365 or Exchange account: Microsoft's central AutoDiscover may be
        /// asked (it receives the address) even when the domain's DNS does not point to Microsoft.
        #[arg(long)]
        microsoft: bool,
        /// Your name as recipients see it.
        #[arg(long)]
        name: Option<String>,
    },
    /// Add a shared mailbox (代表アドレス) that a signed-in Microsoft 365 account is a member of: it
    /// opens with the member's own sign-in (no second sign-in).
    AddShared {
        /// The shared mailbox's address.
        shared: String,
        /// The member account (already added) whose sign-in opens it.
        #[arg(long, value_name = "EMAIL")]
        via: String,
        /// Accepted for symmetry with `add`; no browser is needed.
        #[arg(long, value_name = "CMD", hide = true)]
        browser: Option<String>,
    },
    /// List the configured accounts.
    List,
    /// Remove an account and its keyring entries.
    Remove { email: String },
    /// Every host Tayori contacted for an account: why, when, and whether the address was sent.
    Connections {
        email: String,
        /// Print the record as JSON (for scripts and administrators).
        #[arg(long)]
        json: bool,
    },
    /// Sign in to IMAP with the saved sign-in and report each account's state (marks accounts whose
    /// sign-in was revoked or expired as needing a new sign-in).
    Verify {
        /// Only this account (default: all).
        email: Option<String>,
    },
    /// For an account that reads through Microsoft 365 because IMAP was turned off for its
    /// mailbox: ask IMAP at the next sync (instead of at the daily check) whether it is on again.
    CheckImap { email: String },
    /// Sign in again (after a password change, an expired sign-in or a policy change).
    Reauth {
        email: String,
        #[arg(long, value_name = "CMD")]
        browser: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuthChoice {
    Oauth,
    Password,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[arg(long, value_name = "EMAIL")]
    pub from: String,
    #[arg(long, value_name = "ADDRESS", required = true)]
    pub to: Vec<String>,
    #[arg(long, value_name = "ADDRESS")]
    pub cc: Vec<String>,
    #[arg(long, value_name = "ADDRESS")]
    pub bcc: Vec<String>,
    #[arg(long)]
    pub subject: String,
    #[arg(long = "attach", value_name = "FILE")]
    pub attachments: Vec<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Hard-wrap the text instead of sending it as format=flowed.
    #[arg(long)]
    pub plain: bool,
}

impl Command {
    /// The words a person typed, for messages ("tayori account add").
    fn name(&self) -> &'static str {
        match self {
            Command::Discover { .. } => "tayori discover",
            Command::Account { action } => match action {
                AccountCommand::Add { .. } => "tayori account add",
                AccountCommand::AddShared { .. } => "tayori account add-shared",
                AccountCommand::List => "tayori account list",
                AccountCommand::Remove { .. } => "tayori account remove",
                AccountCommand::Connections { .. } => "tayori account connections",
                AccountCommand::Verify { .. } => "tayori account verify",
                AccountCommand::Reauth { .. } => "tayori account reauth",
                AccountCommand::CheckImap { .. } => "tayori account check-imap",
            },
            Command::Sync { .. } => "tayori sync",
            Command::List { .. } => "tayori list",
            Command::Show { .. } => "tayori show",
            Command::Search { .. } => "tayori search",
            Command::Send(_) => "tayori send",
            Command::Outbox { action } => match action {
                None | Some(OutboxCommand::List { .. }) => "tayori outbox list",
                Some(OutboxCommand::Retry { .. }) => "tayori outbox retry",
                Some(OutboxCommand::Discard { .. }) => "tayori outbox discard",
                Some(OutboxCommand::Flush { .. }) => "tayori outbox flush",
            },
            Command::Proxy { action } => match action {
                ProxyCommand::Show { .. } => "tayori proxy show",
                ProxyCommand::SignIn { .. } => "tayori proxy sign-in",
                ProxyCommand::Forget { .. } => "tayori proxy forget",
            },
        }
    }
}

/// Runs a subcommand.
pub fn run(command: Command, paths: &Paths, settings: &Settings) -> ExitCode {
    tracing::info!(command = command.name(), "command");
    match command {
        Command::Discover {
            email,
            json,
            trust,
            microsoft,
        } => discover::run(settings, &email, json, trust, microsoft),
        Command::Account { action } => account::run(paths, settings, action),
        Command::Sync {
            account,
            email,
            watch,
        } => mail::sync(paths, settings, account.or(email).as_deref(), watch),
        Command::List {
            folder,
            account,
            limit,
        } => report(mail::quiet_on_closed_pipe(mail::list(
            paths,
            account.as_deref(),
            &folder,
            limit,
        ))),
        Command::Show { id, raw } => report(mail::quiet_on_closed_pipe(mail::show(
            paths, settings, id, raw,
        ))),
        Command::Search { query, limit } => report(mail::quiet_on_closed_pipe(mail::search(
            paths,
            &query.join(" "),
            limit,
        ))),
        Command::Send(args) => send::run(paths, settings, args),
        Command::Outbox { action } => outbox::run(paths, settings, action),
        Command::Proxy { action } => report(proxy::run(settings, action)),
    }
}

/// Prints a command's error (with its causes) and turns it into exit status 1.
fn report(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("tayori: {}", error_text(&e, Lang::from_system()));
        ExitCode::FAILURE
    })
}

/// A sentence the command line wrote in the person's language (from the catalog), carried as an
/// error or as the context of one: it is shown as it is, with its causes.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Told(pub String);

/// An error as the person reads it. In English, the core's own words (with their causes). In
/// another language: the errors the command line has words for come from the catalog; any other
/// gets a headline in the person's language, then the core's words as details (as the window
/// shows them under "Technical details").
pub(crate) fn error_text(error: &anyhow::Error, lang: Lang) -> String {
    if lang == Lang::En || error.downcast_ref::<Told>().is_some() {
        return format!("{error:#}");
    }
    if let Some(text) = error
        .chain()
        .find_map(|cause| known_error_text(cause, lang))
    {
        return text;
    }
    format!(
        "{}\n  {}",
        lang.text(Text::CliCommandFailed),
        fill(
            lang.text(Text::CliErrorDetails),
            &[("detail", &format!("{error:#}"))]
        )
    )
}

/// The catalog's words for the errors a person meets most on the command line.
fn known_error_text(cause: &(dyn std::error::Error + 'static), lang: Lang) -> Option<String> {
    if let Some(told) = cause.downcast_ref::<Told>() {
        return Some(told.0.clone());
    }
    let no_account = |email: &str| fill(lang.text(Text::CliNoSuchAccount), &[("email", email)]);
    if let Some(AccountsError::NotFound(email)) = cause.downcast_ref::<AccountsError>() {
        return Some(no_account(email));
    }
    if let Some(error) = cause.downcast_ref::<OutboxError>() {
        return match error {
            OutboxError::NotFound(id) => Some(fill(
                lang.text(Text::CliNoSuchOutboxMessage),
                &[("id", &id.to_string())],
            )),
            OutboxError::Busy => Some(lang.text(Text::CliOutboxBusy).to_owned()),
            OutboxError::Accounts(AccountsError::NotFound(email)) => Some(no_account(email)),
            _ => None,
        };
    }
    if let Some(StoreError::NoSuchMessage(id)) = cause.downcast_ref::<StoreError>() {
        return Some(fill(
            lang.text(Text::CliNoSuchMessage),
            &[("id", &id.to_string())],
        ));
    }
    if let Some(error) = cause.downcast_ref::<DiscoveryError>() {
        return Some(discovery_error_text(error, lang));
    }
    None
}

/// What a failed discovery says, as the wizard says it (in English, the core's own words).
pub(crate) fn discovery_error_text(error: &DiscoveryError, lang: Lang) -> String {
    if lang == Lang::En {
        return error.to_string();
    }
    match error {
        DiscoveryError::BadAddress(_) => lang.text(Text::AddressInvalid).to_owned(),
        DiscoveryError::NothingFound { domain, .. } => {
            fill(lang.text(Text::NothingFoundBody), &[("domain", domain)])
        }
        DiscoveryError::Unsupported { domain, reason, .. } => fill(
            lang.text(Text::UnsupportedBody),
            &[("domain", domain), ("reason", reason)],
        ),
        DiscoveryError::Setup(detail) => {
            fill(lang.text(Text::DiscoverySetupBody), &[("detail", detail)])
        }
        // What the network refused is told in the person's language already.
        DiscoveryError::Refused { refusal, .. } => refusal.text(lang),
    }
}

/// The async runtime a command runs on; `None` (after telling the person) if it cannot start.
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            eprintln!(
                "tayori: {}",
                fill(
                    Lang::from_system().text(Text::CliCouldNotStart),
                    &[("detail", &e.to_string())]
                )
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn subcommands_parse() {
        let cli =
            Cli::try_parse_from(["tayori", "discover", "alice@example.test", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Discover { json: true, .. })
        ));
        let cli =
            Cli::try_parse_from(["tayori", "account", "add", "a@b.test", "--auth", "password"])
                .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Account {
                action: AccountCommand::Add {
                    auth: Some(AuthChoice::Password),
                    ..
                }
            })
        ));
        let cli = Cli::try_parse_from([
            "tayori",
            "send",
            "--from",
            "a@b.test",
            "--to",
            "c@d.test",
            "--to",
            "e@f.test",
            "--subject",
            "件名",
            "--attach",
            "x.pdf",
        ])
        .unwrap();
        let Some(Command::Send(args)) = cli.command else {
            panic!("not send")
        };
        assert_eq!(args.to, ["c@d.test", "e@f.test"]);
        assert_eq!(args.subject, "件名");
        let cli = Cli::try_parse_from(["tayori", "outbox", "retry", "7"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Outbox {
                action: Some(OutboxCommand::Retry { id: 7 })
            })
        ));
        let cli = Cli::try_parse_from(["tayori", "outbox"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Outbox { action: None })
        ));
    }

    #[test]
    fn a_mailto_link_is_not_taken_for_a_subcommand() {
        let cli = Cli::try_parse_from(["tayori", "mailto:someone@example.com?subject=hi"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(
            cli.mailto.as_deref(),
            Some("mailto:someone@example.com?subject=hi")
        );
    }

    #[test]
    fn send_without_recipient_is_an_error() {
        assert!(
            Cli::try_parse_from(["tayori", "send", "--from", "a@b.test", "--subject", "x"])
                .is_err()
        );
    }
}
