//! `tayori discover EMAIL [--json] [--trust DOMAIN]…`: what the wizard's first step does, printed for
//! people (and for admins debugging a tenant) or as JSON for scripts.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use tayori::config::Settings;
use tayori::discovery::{Discovered, Discoverer, DiscoveryError, Outcome, SignIn, TraceEntry};
use tayori::i18n::{Lang, Text, fill};

/// Exit status when the answer leads to another domain the person has not confirmed.
pub const EXIT_NEEDS_CONFIRMATION: u8 = 3;

pub fn run(
    settings: &Settings,
    email: &str,
    json: bool,
    trust: Vec<String>,
    microsoft: bool,
) -> ExitCode {
    let Some(runtime) = super::runtime() else {
        return ExitCode::FAILURE;
    };
    let interactive = !json && std::io::stdin().is_terminal();
    let result = runtime.block_on(async {
        let mut discoverer = Discoverer::from_settings(settings)?;
        discoverer.options_mut().trusted_domains =
            trust.iter().map(|d| d.to_ascii_lowercase()).collect();
        discoverer.options_mut().microsoft_account = microsoft;
        let result = discoverer.discover(email).await;
        ask_microsoft_if_nothing_found(&discoverer, email, result, interactive).await
    });
    // Queries still in flight (a dead server) must not hold the command up.
    runtime.shutdown_background();
    match result {
        Ok(found) => report(&found, json),
        Err(error) => report_error(&error, json),
    }
}

fn report(found: &Discovered, json: bool) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(found).expect("serializable")
        );
    } else {
        print_human(found);
    }
    match &found.needs_confirmation {
        None => ExitCode::SUCCESS,
        Some(confirmation) => {
            if !json && std::io::stdin().is_terminal() && ask_trust(&confirmation.domains) {
                println!(
                    "\nTrusted. Run `tayori account add` with --trust {} to use these settings.",
                    confirmation.domains.join(" --trust ")
                );
                return ExitCode::SUCCESS;
            }
            eprintln!(
                "\nThese settings lead to {} ({}), which {} did not vouch for. No password or token has \
                 been sent. If you trust {}, run again with {}.",
                confirmation.domains.join(", "),
                confirmation.reason,
                found.email.rsplit_once('@').map_or("", |(_, d)| d),
                if confirmation.domains.len() == 1 {
                    "it"
                } else {
                    "them"
                },
                confirmation
                    .domains
                    .iter()
                    .map(|d| format!("--trust {d}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            ExitCode::from(EXIT_NEEDS_CONFIRMATION)
        }
    }
}

/// Nothing found, and Microsoft's central AutoDiscover not asked (the domain's DNS does not point
/// there): at a terminal, the person is asked whether this is a Microsoft account, and on yes
/// Microsoft is asked; otherwise the error says how to ask (`--microsoft`).
pub async fn ask_microsoft_if_nothing_found(
    discoverer: &Discoverer,
    email: &str,
    result: Result<Discovered, DiscoveryError>,
    interactive: bool,
) -> Result<Discovered, DiscoveryError> {
    let Err(DiscoveryError::NothingFound {
        asked_microsoft: false,
        domain,
        ..
    }) = &result
    else {
        return result;
    };
    let lang = Lang::from_system();
    let question = fill(
        lang.text(Text::MicrosoftQuestionBody),
        &[("domain", domain), ("email", email)],
    );
    if !interactive {
        eprintln!(
            "{}
{question}
(--microsoft)",
            lang.text(Text::MicrosoftQuestion)
        );
        return result;
    }
    print!(
        "\n{question}\n{} [y/N] ",
        lang.text(Text::MicrosoftQuestion)
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let yes = std::io::stdin().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes" | "はい");
    if yes {
        discoverer.discover_microsoft(email).await
    } else {
        result
    }
}

fn ask_trust(domains: &[String]) -> bool {
    print!("\nTrust {} for this account? [y/N] ", domains.join(", "));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes" | "はい")
}

fn print_human(found: &Discovered) {
    println!(
        "Settings for {} — from {}{} in {} ms",
        found.email,
        found.source.label(),
        if found.verified {
            ", verified"
        } else {
            ", NOT verified"
        },
        found.elapsed_ms
    );
    if let Some(name) = &found.provider_name {
        println!("  Provider          {name}");
    }
    for (label, endpoint) in [
        ("Incoming (IMAP)", &found.imap),
        ("Outgoing (SMTP)", &found.smtp),
    ] {
        println!(
            "  {label:<17} {}:{}  {}  user {}",
            endpoint.host, endpoint.port, endpoint.security, endpoint.username
        );
    }
    for (index, method) in found.sign_in.iter().enumerate() {
        let label = if index == 0 { "Sign-in" } else { "" };
        let text = match method {
            SignIn::OAuth2(oauth) => match &oauth.issuer {
                Some(issuer) => format!("OAuth 2.0 in the browser — {issuer}"),
                None => "OAuth 2.0 in the browser — the server names its sign-in service".into(),
            },
            SignIn::Password => "password (an app password where the provider requires one)".into(),
        };
        println!("  {label:<17} {}. {text}", index + 1);
    }
    print_trace(&found.trace);
}

fn print_trace(trace: &[TraceEntry]) {
    println!("\n  Sources asked (in the order they answered):");
    for entry in trace {
        let (mark, detail) = match &entry.outcome {
            Outcome::Found(detail) => ("✓", detail.as_str()),
            Outcome::NotFound(detail) => ("·", detail.as_str()),
            Outcome::Failed(detail) => ("✗", detail.as_str()),
            Outcome::TimedOut => ("✗", "no answer in time"),
            Outcome::NotNeeded => ("-", "stopped: a better answer was already in"),
        };
        println!(
            "  {mark} {:>5} ms  {:<24} {}",
            entry.elapsed_ms,
            entry.source.label(),
            entry.query
        );
        if !detail.is_empty() {
            println!("  {:<35}→ {detail}", "");
        }
    }
}

fn report_error(error: &DiscoveryError, json: bool) -> ExitCode {
    let trace = match error {
        DiscoveryError::NothingFound { trace, .. }
        | DiscoveryError::Unsupported { trace, .. }
        | DiscoveryError::Refused { trace, .. } => trace.as_slice(),
        _ => &[],
    };
    if json {
        let value = serde_json::json!({ "error": error.to_string(), "trace": trace });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("serializable")
        );
    } else {
        eprintln!("tayori: {error}");
        if !trace.is_empty() {
            print_trace(trace);
        }
    }
    match error {
        DiscoveryError::BadAddress(_) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}
