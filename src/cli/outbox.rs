//! `tayori outbox [list|retry ID|discard ID|flush]`: what is waiting, what failed and why, and
//! sending it.
//!
//! Exit status of `retry` and `flush`: as `tayori send` — 0 everything sent, 75 something still
//! waits for a retry, 1 something was refused and needs the person.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use tayori::config::{Paths, Settings};
use tayori::i18n::{Lang, Plural, Text, fill};
use tayori::outbox::{Entry, Outbox, OutboxError, State, Worker};

use super::OutboxCommand;
use super::send::{EXIT_FAILED, EXIT_QUEUED, EXIT_SENT, print_reason, report, size_text};

pub fn run(paths: &Paths, settings: &Settings, action: Option<OutboxCommand>) -> ExitCode {
    let Some(runtime) = super::runtime() else {
        return ExitCode::FAILURE;
    };
    let action = action.unwrap_or(OutboxCommand::List {
        all: false,
        json: false,
    });
    let result = runtime.block_on(async {
        match action {
            OutboxCommand::List { all, json } => list(paths, all, json),
            OutboxCommand::Retry { id } => retry(paths, settings, id).await,
            OutboxCommand::Discard { id } => discard(paths, id),
            OutboxCommand::Flush { wait } => flush(paths, settings, wait).await,
        }
    });
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("tayori: {}", super::error_text(&error, Lang::from_system()));
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn open(paths: &Paths) -> anyhow::Result<Outbox> {
    Outbox::open_in(&paths.data_dir).context(super::Told(
        Lang::from_system()
            .text(Text::CliOutboxUnopenable)
            .to_owned(),
    ))
}

fn describe(entry: &Entry, lang: Lang) {
    let now = tayori::account::now_seconds() as i64;
    let mut state = entry.state.label(lang).to_owned();
    if entry.state == State::Queued {
        let wait = (entry.next_attempt_at - now).max(0);
        if wait > 0 {
            state.push_str(&fill(
                lang.text(Text::CliOutboxNextAttempt),
                &[("seconds", &wait.to_string())],
            ));
        }
        if entry.interrupted {
            state.push_str(lang.text(Text::CliOutboxInterrupted));
        }
    }
    println!(
        "{}",
        fill(
            lang.text(Text::CliOutboxRow),
            &[
                ("id", &entry.id.to_string()),
                ("state", &state),
                ("account", &entry.account),
                ("recipients", &entry.recipients.join(", ")),
                ("subject", &entry.subject),
                ("size", &size_text(entry.size, lang)),
                (
                    "attempts",
                    &lang.plural(Plural::OutboxAttempts, entry.attempts.into())
                ),
            ]
        )
    );
    if entry.state == State::Sent {
        if let Some(reply) = &entry.server_reply {
            println!(
                "    {}",
                fill(lang.text(Text::CliServerReply), &[("reply", reply)])
            );
        }
        if let Some(error) = &entry.copy_error {
            println!(
                "    {}",
                fill(lang.text(Text::CliOutboxCopyNotFiled), &[("error", error)])
            );
        }
        return;
    }
    if let Some(reason) = &entry.last_error {
        print_reason("    ", reason, lang);
    }
    if entry.state == State::Failed {
        println!(
            "    tayori outbox retry {}   |   tayori outbox discard {}",
            entry.id, entry.id
        );
    }
}

fn list(paths: &Paths, all: bool, json: bool) -> anyhow::Result<u8> {
    let outbox = open(paths)?;
    let entries = outbox.list(all)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(EXIT_SENT);
    }
    let lang = Lang::from_system();
    if entries.is_empty() {
        println!("{}", lang.text(Text::CliOutboxEmpty));
    }
    for entry in &entries {
        describe(entry, lang);
    }
    Ok(EXIT_SENT)
}

fn acquire(paths: &Paths, settings: &Settings) -> anyhow::Result<Option<Worker>> {
    let net = super::account::net(settings)?;
    match Worker::acquire(paths, net.dns, net.http) {
        Ok(worker) => Ok(Some(worker)),
        Err(OutboxError::Busy) => {
            println!("{}", Lang::from_system().text(Text::CliOutboxBusy));
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

async fn retry(paths: &Paths, settings: &Settings, id: i64) -> anyhow::Result<u8> {
    open(paths)?.retry(id)?;
    let Some(mut worker) = acquire(paths, settings)? else {
        return Ok(EXIT_QUEUED);
    };
    let outcome = worker.send(id).await?;
    let entry = worker.outbox().entry(id)?;
    super::send::tell_graph_notices(&tayori::account::Accounts::new(paths));
    Ok(report(&entry, &outcome, Lang::from_system()))
}

fn discard(paths: &Paths, id: i64) -> anyhow::Result<u8> {
    let entry = open(paths)?.discard(id)?;
    println!(
        "{}",
        fill(
            Lang::from_system().text(Text::CliOutboxDiscarded),
            &[("id", &entry.id.to_string()), ("subject", &entry.subject)]
        )
    );
    Ok(EXIT_SENT)
}

async fn flush(paths: &Paths, settings: &Settings, wait: Option<u64>) -> anyhow::Result<u8> {
    let Some(mut worker) = acquire(paths, settings)? else {
        return Ok(EXIT_QUEUED);
    };
    let until = Instant::now() + Duration::from_secs(wait.unwrap_or(0));
    let outcomes = worker.run(Some(until)).await?;
    let lang = Lang::from_system();
    super::send::tell_graph_notices(&tayori::account::Accounts::new(paths));
    for (id, outcome) in &outcomes {
        let entry = worker.outbox().entry(*id)?;
        report(&entry, outcome, lang);
    }
    let left = worker.outbox().list(false)?;
    let failed = left.iter().filter(|e| e.state == State::Failed).count();
    let queued = left.len() - failed;
    if outcomes.is_empty() && left.is_empty() {
        println!("{}", lang.text(Text::CliOutboxEmpty));
    }
    Ok(if failed > 0 {
        println!("{}", lang.plural(Plural::CliOutboxNeedYou, failed as u64));
        EXIT_FAILED
    } else if queued > 0 {
        println!(
            "{}",
            lang.plural(Plural::CliOutboxStillWaiting, queued as u64)
        );
        EXIT_QUEUED
    } else {
        EXIT_SENT
    })
}
