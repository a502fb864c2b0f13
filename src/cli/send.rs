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
use tayori::i18n::{Lang, Text};
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
            eprintln!("tayori: {error:#}");
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

fn read_body(args: &SendArgs) -> anyhow::Result<String> {
    let bytes = match &args.body_file {
        Some(path) => std::fs::read(path)
            .map_err(|e| ComposeError::Attachment {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
            .context("the message body could not be read")?,
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("Type the message; end it with Ctrl-D on a line of its own.");
            }
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("the message body could not be read from standard input")?;
            bytes
        }
    };
    String::from_utf8(bytes).map_err(|_| {
        anyhow::Error::new(ComposeError::Build(
            "the message body is not UTF-8 text; convert it (e.g. iconv -t UTF-8) and try again"
                .into(),
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
    draft.body = read_body(&args)?;
    for path in &args.attachments {
        draft.attachments.push(Attachment::from_file(path)?);
    }
    // Everything is checked here, before the outbox sees the message.
    let built = draft.build()?;
    let outbox = Outbox::open_in(&paths.data_dir)?;
    let id = outbox.enqueue(&account.email, &draft.subject, &built, None)?;
    println!(
        "Queued as #{id} ({}), Message-ID {}",
        size_text(built.raw.len() as u64),
        built.message_id
    );
    let net = super::account::net(settings)?;
    let mut worker = match Worker::acquire(paths, net.dns, net.http) {
        Ok(worker) => worker,
        Err(OutboxError::Busy) => {
            println!("{}", OutboxError::Busy);
            return Ok(EXIT_QUEUED);
        }
        Err(e) => return Err(e.into()),
    };
    let outcome = worker.send(id).await?;
    let entry = worker.outbox().entry(id)?;
    Ok(report(&entry, &outcome, lang))
}

pub(super) fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b.div_ceil(1024)),
        b => format!("{b} bytes"),
    }
}

fn recipients_text(entry: &Entry) -> String {
    match entry.recipients.as_slice() {
        [] => "(nobody)".into(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    }
}

/// Prints what became of a message and returns the exit status for it.
pub(super) fn report(entry: &Entry, outcome: &Outcome, lang: Lang) -> u8 {
    let id = entry.id;
    println!("#{id} \"{}\" to {}", entry.subject, recipients_text(entry));
    match outcome {
        Outcome::Sent {
            reply,
            copy,
            copy_error,
        } => {
            println!("  {}", lang.text(Text::SendDone));
            println!("  Server: {reply}");
            match (copy, copy_error) {
                (CopyState::ByServer, _) => {
                    println!("  Sent folder: the server files sent mail itself")
                }
                (CopyState::Filed, _) => println!("  Sent folder: copy filed"),
                (CopyState::Pending, error) => println!(
                    "  Sent folder: copy not filed yet ({}); `tayori outbox flush` tries again",
                    error.as_deref().unwrap_or("pending")
                ),
            }
            EXIT_SENT
        }
        Outcome::FoundInSent => {
            println!(
                "  {} (It had gone out before an interruption: it was found in the Sent folder and not sent again.)",
                lang.text(Text::SendDone)
            );
            EXIT_SENT
        }
        Outcome::WillRetry { at, reason } => {
            println!("  {}", lang.text(Text::SendQueued));
            println!("  Reason: {reason}");
            if let Some(words) = tayori::outbox::reason::plain_words(reason, lang) {
                println!("  {words}");
            }
            let wait = (*at - tayori::account::now_seconds() as i64).max(0);
            println!(
                "  Next attempt in {wait} s, by the Tayori window or `tayori outbox flush --wait 600`."
            );
            EXIT_QUEUED
        }
        Outcome::Failed { reason, .. } => {
            println!("  {}", lang.text(Text::SendFailed));
            println!("  Reason: {reason}");
            if let Some(words) = tayori::outbox::reason::plain_words(reason, lang) {
                println!("  {words}");
            }
            println!(
                "  To send it again: tayori outbox retry {id}   To drop it: tayori outbox discard {id}"
            );
            EXIT_FAILED
        }
    }
}
