//! `tayori discover EMAIL [--json] [--trust DOMAIN]…`: what the wizard's first step does, printed for
//! people (and for admins debugging a tenant) or as JSON for scripts.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use tayori::config::Settings;
use tayori::discovery::{
    Discovered, Discoverer, DiscoveryError, Outcome, SignIn, Source, TraceEntry,
};
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
    let lang = Lang::from_system();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(found).expect("serializable")
        );
    } else {
        print_human(found, lang);
    }
    match &found.needs_confirmation {
        None => ExitCode::SUCCESS,
        Some(confirmation) => {
            let flags = trust_flags(&confirmation.domains);
            if !json && std::io::stdin().is_terminal() && ask_trust(&confirmation.domains, lang) {
                println!(
                    "\n{}",
                    fill(lang.text(Text::CliDiscoverTrusted), &[("flags", &flags)])
                );
                return ExitCode::SUCCESS;
            }
            eprintln!(
                "\n{}",
                unvouched_text(
                    &confirmation.domains,
                    &confirmation.reason,
                    found.email.rsplit_once('@').map_or("", |(_, d)| d),
                    lang
                )
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

/// `--trust a.example --trust b.example`: what to add to the command to trust `domains`.
fn trust_flags(domains: &[String]) -> String {
    domains
        .iter()
        .map(|d| format!("--trust {d}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Settings that lead to domains the address's own domain did not vouch for: what that means and
/// how to go on (`tayori discover` and `tayori account add` say the same).
pub(super) fn unvouched_text(domains: &[String], reason: &str, domain: &str, lang: Lang) -> String {
    fill(
        lang.text(Text::CliDiscoverUnvouched),
        &[
            ("domains", &domains.join(", ")),
            ("reason", reason),
            ("domain", domain),
            ("flags", &trust_flags(domains)),
        ],
    )
}

fn ask_trust(domains: &[String], lang: Lang) -> bool {
    print!(
        "\n{}",
        fill(
            lang.text(Text::CliDiscoverAskTrust),
            &[("domains", &domains.join(", "))]
        )
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes" | "はい")
}

/// A discovery source as a person reads it (the wizard's words for it).
pub(super) fn source_name(source: Source, lang: Lang) -> &'static str {
    lang.text(match source {
        Source::AdminPolicy => Text::SourceAdminPolicy,
        Source::KnownProvider => Text::SourceKnownProvider,
        Source::Autoconfig => Text::SourceAutoconfig,
        Source::Ispdb => Text::SourceIspdb,
        Source::Mx => Text::SourceMx,
        Source::Autodiscover => Text::SourceAutodiscover,
        Source::Srv => Text::SourceSrv,
        Source::Guess => Text::SourceGuess,
        Source::AutoconfigHttp => Text::SourceAutoconfigHttp,
    })
}

fn print_human(found: &Discovered, lang: Lang) {
    println!(
        "{}",
        fill(
            lang.text(Text::CliDiscoverHeading),
            &[
                ("email", &found.email),
                ("source", source_name(found.source, lang)),
                (
                    "verified",
                    lang.text(if found.verified {
                        Text::CliDiscoverVerified
                    } else {
                        Text::CliDiscoverNotVerified
                    })
                ),
                ("ms", &found.elapsed_ms.to_string()),
            ]
        )
    );
    if let Some(name) = &found.provider_name {
        println!("  {:<17} {name}", lang.text(Text::CliDiscoverProvider));
    }
    for (label, endpoint) in [
        (Text::CliDiscoverIncoming, &found.imap),
        (Text::CliDiscoverOutgoing, &found.smtp),
    ] {
        println!(
            "  {:<17} {}:{}  {}  {}",
            lang.text(label),
            endpoint.host,
            endpoint.port,
            endpoint.security,
            fill(
                lang.text(Text::CliDiscoverUser),
                &[("user", &endpoint.username)]
            )
        );
    }
    for (index, method) in found.sign_in.iter().enumerate() {
        let label = if index == 0 {
            lang.text(Text::CliDiscoverSignIn)
        } else {
            ""
        };
        let text = match method {
            SignIn::OAuth2(oauth) => match &oauth.issuer {
                Some(issuer) => fill(
                    lang.text(Text::CliDiscoverOAuthIssuer),
                    &[("issuer", issuer)],
                ),
                None => lang.text(Text::CliDiscoverOAuthNamedByServer).to_owned(),
            },
            SignIn::Password => lang.text(Text::CliDiscoverPassword).to_owned(),
        };
        println!("  {label:<17} {}. {text}", index + 1);
    }
    print_trace(&found.trace, lang);
}

fn print_trace(trace: &[TraceEntry], lang: Lang) {
    println!("\n  {}", lang.text(Text::CliDiscoverSourcesAsked));
    for entry in trace {
        let (mark, detail) = match &entry.outcome {
            Outcome::Found(detail) => ("✓", detail.as_str()),
            Outcome::NotFound(detail) => ("·", detail.as_str()),
            Outcome::Failed(detail) => ("✗", detail.as_str()),
            Outcome::TimedOut => ("✗", lang.text(Text::OutcomeTimedOut)),
            Outcome::NotNeeded => ("-", lang.text(Text::CliDiscoverStopped)),
        };
        // A source that was stopped or timed out as a whole names itself as its query: its name
        // in the person's language is already on the line.
        let query = if entry.query == entry.source.label() {
            ""
        } else {
            entry.query.as_str()
        };
        println!(
            "  {mark} {:>5} ms  {:<24} {query}",
            entry.elapsed_ms,
            source_name(entry.source, lang),
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
        let lang = Lang::from_system();
        eprintln!("tayori: {}", super::discovery_error_text(error, lang));
        if !trace.is_empty() {
            print_trace(trace, lang);
        }
    }
    match error {
        DiscoveryError::BadAddress(_) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}
