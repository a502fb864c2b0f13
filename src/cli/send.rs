//! `tayori send`: the compose model from arguments, the outbox, one attempt now.
//!
//! Exit status: 0 sent; 75 (EX_TEMPFAIL) not sent yet — the message is in the outbox and will be
//! retried; 1 the server refused it (it stays in the outbox with the reason); 65 (EX_DATAERR) the
//! input was refused before anything was queued (a line break in a header, a bad address, an
//! unreadable attachment or body).

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::Context;
use tayori::account::Accounts;
use tayori::compose::{Attachment, BodyFormat, ComposeError, Draft, Mailbox};
use tayori::config::{Paths, Settings};
use tayori::i18n::{Lang, Plural, Text, fill};
use tayori::outbox::{CopyState, Entry, Outbox, OutboxError, Outcome, Worker};

use super::SendArgs;

/// Sent, or found already sent.
pub const EXIT_SENT: u8 = 0;
/// Refused by the server (or the sign-in): the person must act.
pub const EXIT_FAILED: u8 = 1;
/// sysexits EX_DATAERR: the input was refused; nothing was queued.
pub const EXIT_REFUSED_INPUT: u8 = 65;
/// sysexits EX_TEMPFAIL: queued, to be retried.
pub const EXIT_QUEUED: u8 = 75;

pub fn run(paths: &Paths, settings: &Settings, args: SendArgs) -> ExitCode {
    let Some(runtime) = super::runtime() else {
        return ExitCode::FAILURE;
    };
    let result = runtime.block_on(send(paths, settings, args));
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("tayori: {}", super::error_text(&error, Lang::from_system()));
            let refused = error.downcast_ref::<ComposeError>().is_some()
                || error
                    .downcast_ref::<OutboxError>()
                    .is_some_and(|e| matches!(e, OutboxError::Compose(_)));
            ExitCode::from(if refused {
                EXIT_REFUSED_INPUT
            } else {
                EXIT_FAILED
            })
        }
    }
}

fn read_body(args: &SendArgs, lang: Lang) -> anyhow::Result<String> {
    let bytes = match &args.body_file {
        Some(path) => std::fs::read(path)
            .map_err(|e| ComposeError::Attachment {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
            .context(super::Told(lang.text(Text::CliBodyUnreadable).to_owned()))?,
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("{}", lang.text(Text::CliTypeMessage));
            }
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context(super::Told(
                    lang.text(Text::CliBodyUnreadableStdin).to_owned(),
                ))?;
            bytes
        }
    };
    String::from_utf8(bytes).map_err(|_| {
        anyhow::Error::new(ComposeError::Build(
            lang.text(Text::CliBodyNotUtf8).to_owned(),
        ))
    })
}

async fn send(paths: &Paths, settings: &Settings, args: SendArgs) -> anyhow::Result<u8> {
    let lang = Lang::from_system();
    let account = Accounts::new(paths).get(&args.from)?;
    let mut draft = Draft::new(Mailbox::new(
        account.display_name.as_deref(),
        &account.email,
    ));
    for (list, texts) in [
        (&mut draft.to, &args.to),
        (&mut draft.cc, &args.cc),
        (&mut draft.bcc, &args.bcc),
    ] {
        for text in texts {
            list.push(Mailbox::parse(text)?);
        }
    }
    draft.subject = args.subject.clone();
    draft.format = if args.plain {
        BodyFormat::Plain
    } else {
        BodyFormat::Flowed
    };
    draft.body = read_body(&args, lang)?;
    for path in &args.attachments {
        draft.attachments.push(Attachment::from_file(path)?);
    }
    // Everything is checked here, before the outbox sees the message.
    let built = draft.build()?;
    let outbox = Outbox::open_in(&paths.data_dir)?;
    let id = outbox.enqueue(&account.email, &draft.subject, &built, None)?;
    println!(
        "{}",
        fill(
            lang.text(Text::CliQueuedAs),
            &[
                ("id", &id.to_string()),
                ("size", &size_text(built.raw.len() as u64, lang)),
                ("msgid", &built.message_id),
            ]
        )
    );
    let net = super::account::net(settings)?;
    let mut worker = match Worker::acquire(paths, net.dns, net.http) {
        Ok(worker) => worker,
        Err(OutboxError::Busy) => {
            println!("{}", lang.text(Text::CliOutboxBusy));
            return Ok(EXIT_QUEUED);
        }
        Err(e) => return Err(e.into()),
    };
    let outcome = worker.send(id).await?;
    let entry = worker.outbox().entry(id)?;
    tell_graph_notices(&Accounts::new(paths));
    Ok(report(&entry, &outcome, lang))
}

/// Tells the person, once per account, that their organisation turned SMTP sending off and that
/// Tayori sends through Microsoft 365 instead.
pub(super) fn tell_graph_notices(accounts: &Accounts) {
    let lang = Lang::from_system();
    match accounts.take_graph_notices() {
        Ok(untold) => {
            for email in untold {
                println!(
                    "{}",
                    fill(lang.text(Text::SendViaGraphNotice), &[("account", &email)])
                );
            }
        }
        Err(error) => tracing::warn!(%error, "could not record that the person was told"),
    }
}

/// A message's size: bytes in words, kilobytes and megabytes by their unit.
pub(super) fn size_text(bytes: u64, lang: Lang) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b.div_ceil(1024)),
        b => lang.plural(Plural::AttachmentBytes, b),
    }
}

fn recipients_text(entry: &Entry, lang: Lang) -> String {
    match entry.recipients.as_slice() {
        [] => lang.text(Text::CliRecipientsNobody).into(),
        [one] => one.clone(),
        [first, rest @ ..] => fill(
            &lang.plural(Plural::CliRecipientsMore, rest.len() as u64),
            &[("first", first)],
        ),
    }
}

/// "Reason: …" and, where Tayori knows them, the reason in plain words.
pub(super) fn print_reason(indent: &str, reason: &str, lang: Lang) {
    println!(
        "{indent}{}",
        fill(lang.text(Text::CliReason), &[("reason", reason)])
    );
    if let Some(words) = tayori::outbox::reason::plain_words(reason, lang) {
        println!("{indent}{words}");
    }
}

/// Prints what became of a message and returns the exit status for it.
pub(super) fn report(entry: &Entry, outcome: &Outcome, lang: Lang) -> u8 {
    let id = entry.id.to_string();
    println!(
        "{}",
        fill(
            lang.text(Text::CliSentHeading),
            &[
                ("id", &id),
                ("subject", &entry.subject),
                ("recipients", &recipients_text(entry, lang)),
            ]
        )
    );
    match outcome {
        Outcome::Sent {
            reply,
            copy,
            copy_error,
        } => {
            println!("  {}", lang.text(Text::SendDone));
            println!(
                "  {}",
                fill(lang.text(Text::CliServerReply), &[("reply", reply)])
            );
            match (copy, copy_error) {
                (CopyState::ByServer, _) => {
                    println!("  {}", lang.text(Text::CliSentFolderByServer))
                }
                (CopyState::Filed, _) => println!("  {}", lang.text(Text::CliSentFolderFiled)),
                (CopyState::Pending, error) => println!(
                    "  {}",
                    fill(
                        lang.text(Text::CliSentFolderPending),
                        &[(
                            "error",
                            error.as_deref().unwrap_or(lang.text(Text::CliPending))
                        )]
                    )
                ),
            }
            EXIT_SENT
        }
        Outcome::FoundInSent => {
            println!(
                "  {} {}",
                lang.text(Text::SendDone),
                lang.text(Text::CliFoundInSent)
            );
            EXIT_SENT
        }
        Outcome::WillRetry { at, reason } => {
            println!("  {}", lang.text(Text::SendQueued));
            print_reason("  ", reason, lang);
            let wait = (*at - tayori::account::now_seconds() as i64).max(0);
            println!(
                "  {}",
                fill(
                    lang.text(Text::CliNextAttempt),
                    &[("seconds", &wait.to_string())]
                )
            );
            EXIT_QUEUED
        }
        Outcome::Failed { reason, .. } => {
            println!("  {}", lang.text(Text::SendFailed));
            print_reason("  ", reason, lang);
            println!(
                "  {}",
                fill(lang.text(Text::CliRetryOrDiscard), &[("id", &id)])
            );
            EXIT_FAILED
        }
    }
}
