//! `tayori sync`, `list`, `show`, `search`: the mail store and sync engine from the command line,
//! through the same core API the window uses.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tayori::account::{Account, Accounts};
use tayori::auth::guidance::Advice;
use tayori::config::{Paths, Settings};
use tayori::i18n::{Lang, Plural, Text, fill};
use tayori::mime;
use tayori::store::{BodyState, SortOrder, Store};
use tayori::sync::{AccountSync, Summary, SyncEvent, decode_mailbox_name};

use super::account::net;

/// How often a one-shot `tayori sync` tries again after a lost connection before giving up.
const ATTEMPTS: u32 = 5;

pub fn sync(paths: &Paths, settings: &Settings, only: Option<&str>, watch: bool) -> ExitCode {
    let Some(runtime) = super::runtime() else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(sync_accounts(paths, settings, only, watch)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "tayori sync: {}",
                super::error_text(&e, Lang::from_system())
            );
            ExitCode::FAILURE
        }
    }
}

async fn sync_accounts(
    paths: &Paths,
    settings: &Settings,
    only: Option<&str>,
    watch: bool,
) -> anyhow::Result<ExitCode> {
    let accounts = Accounts::new(paths);
    let selected: Vec<Account> = match only {
        Some(email) => vec![accounts.get(email)?],
        None => accounts.list()?,
    };
    if selected.is_empty() {
        // In the person's language first, and in English too for anyone searching the message.
        let lang = Lang::from_system();
        let mut text = lang.text(Text::NoAccountYet).to_owned();
        if lang != Lang::En {
            text = format!("{text}\n{}", Lang::En.text(Text::NoAccountYet));
        }
        return Err(super::Told(text).into());
    }
    let net = net(settings)?;
    let mut all_ok = true;
    let mut engines = Vec::new();
    for account in selected {
        let email = account.email.clone();
        let bar = progress_bar(&email);
        // Credentials → engine → the sign-in outcome recorded: the core's `AccountSync`, which the
        // window uses too.
        let engine = AccountSync::open(
            paths,
            settings,
            &net,
            account,
            progress_reporter(bar.clone()),
        )
        .await?;
        if watch {
            engines.push(engine);
            continue;
        }
        let started = Instant::now();
        match sync_with_retries(&engine).await {
            Ok(summary) => {
                bar.finish_and_clear();
                println!(
                    "{}",
                    summary_line(&email, &summary, started.elapsed(), Lang::from_system())
                );
                print_skipped(&email, &summary);
            }
            Err(error) => {
                bar.abandon();
                all_ok = false;
                let lang = Lang::from_system();
                eprintln!(
                    "tayori sync: {}",
                    fill(
                        lang.text(Text::CliSyncFailed),
                        &[("email", &email), ("detail", &error.to_string())]
                    )
                );
                if let Some(auth) = error.auth_error() {
                    let client = engine.account().oauth_client();
                    let advice = Advice::for_error(auth, client.as_ref(), &email);
                    for line in super::account::advice_lines(&advice, &email) {
                        eprintln!("  {line}");
                    }
                } else if error.needs_sign_in() {
                    eprintln!(
                        "  {}",
                        fill(lang.text(Text::CliSignInAgainWith), &[("email", &email)])
                    );
                }
            }
        }
    }
    if watch {
        return watch_accounts(engines).await;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One pass, tried again after a lost connection (1, 2, 4, 8 s): each attempt resumes where the
/// last one stopped, since everything fetched so far is committed.
async fn sync_with_retries(engine: &AccountSync) -> Result<Summary, tayori::sync::SyncError> {
    let mut wait = Duration::from_secs(1);
    let mut attempt = 1;
    loop {
        match engine.sync_once().await {
            Ok(summary) => return Ok(summary),
            Err(error) if error.is_transient() && attempt < ATTEMPTS => {
                eprintln!(
                    "tayori sync: {}",
                    fill(
                        Lang::from_system().text(Text::CliSyncRetrying),
                        &[
                            ("email", &engine.account().email),
                            ("error", &error.to_string()),
                            ("seconds", &wait.as_secs().to_string())
                        ]
                    )
                );
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

async fn watch_accounts(engines: Vec<AccountSync>) -> anyhow::Result<ExitCode> {
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopper = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.notify_waiters();
        }
    });
    let watches = engines.iter().map(|engine| {
        let wake = Arc::new(tokio::sync::Notify::new());
        let stopped = stop.notified();
        async move { engine.watch(wake, stopped).await }
    });
    futures::future::join_all(watches).await;
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(email: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{prefix} {wide_msg} {bar:30} {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(email.to_owned());
    bar
}

fn progress_reporter(bar: ProgressBar) -> tayori::sync::Progress {
    let lang = Lang::from_system();
    Arc::new(move |event| match event {
        SyncEvent::Connecting => bar.set_message(lang.text(Text::CliProgressConnecting)),
        SyncEvent::Connected => bar.set_message(lang.text(Text::CliProgressSignedIn)),
        SyncEvent::FolderStarted { folder } => {
            bar.set_message(decode_mailbox_name(&folder));
            bar.set_length(0);
            bar.set_position(0);
        }
        SyncEvent::Envelopes {
            folder,
            done,
            total,
        } => {
            bar.set_message(fill(
                lang.text(Text::CliProgressHeaders),
                &[("folder", &decode_mailbox_name(&folder))],
            ));
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        SyncEvent::Bodies {
            folder,
            done,
            total,
            bytes,
        } => {
            bar.set_message(fill(
                lang.text(Text::CliProgressMessages),
                &[
                    ("folder", &decode_mailbox_name(&folder)),
                    ("size", &megabytes(bytes)),
                ],
            ));
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        SyncEvent::NewMail { folder, count, .. } => {
            bar.println(fill(
                &lang.plural(Plural::CliNewIn, count as u64),
                &[("folder", &decode_mailbox_name(&folder))],
            ));
        }
        SyncEvent::Idle => bar.set_message(lang.text(Text::CliProgressIdle)),
        SyncEvent::Offline { error, retry_in } => bar.println(fill(
            lang.text(Text::CliProgressOffline),
            &[
                ("error", &error.to_string()),
                ("seconds", &retry_in.as_secs().to_string()),
            ],
        )),
        SyncEvent::NeedsSignIn { error } => bar.println(fill(
            lang.text(Text::CliProgressSignInRefused),
            &[("error", &error.to_string())],
        )),
        SyncEvent::ActionsReplayed(_) | SyncEvent::FolderDone { .. } | SyncEvent::Finished(_) => {}
    })
}

/// A size in megabytes with one decimal ("1.5 MB"): a unit, the same in every language.
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Messages the server could not deliver, one line each (at most [`SKIPPED_SHOWN`]).
fn print_skipped(email: &str, summary: &Summary) {
    const SKIPPED_SHOWN: usize = 20;
    for skipped in summary.skipped.iter().take(SKIPPED_SHOWN) {
        eprintln!("tayori sync: {email}: {skipped}");
    }
    if summary.skipped.len() > SKIPPED_SHOWN {
        let more = (summary.skipped.len() - SKIPPED_SHOWN) as u64;
        eprintln!(
            "tayori sync: {email}: {}",
            Lang::from_system().plural(Plural::CliSkippedMore, more)
        );
    }
}

fn summary_line(email: &str, summary: &Summary, elapsed: Duration, lang: Lang) -> String {
    let count = |plural: Plural, n: usize| lang.plural(plural, n as u64);
    fill(
        lang.text(Text::CliSyncSummary),
        &[
            ("email", email),
            ("folders", &count(Plural::CliSyncFolders, summary.folders)),
            ("checked", &summary.folders_checked.to_string()),
            ("new", &summary.new_messages.to_string()),
            (
                "flags",
                &count(Plural::CliSyncFlagChanges, summary.flag_changes),
            ),
            ("removed", &summary.removed.to_string()),
            (
                "downloaded",
                &count(Plural::CliSyncDownloaded, summary.bodies),
            ),
            ("size", &megabytes(summary.body_bytes)),
            (
                "replayed",
                &count(Plural::CliSyncReplayed, summary.actions_replayed),
            ),
            ("seconds", &format!("{:.2}", elapsed.as_secs_f64())),
        ],
    )
}

fn open_store(paths: &Paths) -> anyhow::Result<Store> {
    Ok(Store::open_in(paths)?)
}

fn date_text(seconds: Option<i64>) -> String {
    let Some(seconds) = seconds else {
        return "-".repeat(16);
    };
    let days = seconds.div_euclid(86_400);
    let time = seconds.rem_euclid(86_400);
    // Civil from days (Howard Hinnant), UTC.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        time / 3600,
        time % 3600 / 60
    )
}

fn print_rows(rows: &[tayori::store::MessageSummary]) {
    for m in rows {
        let from = m
            .from
            .as_ref()
            .map(|a| a.name.clone().unwrap_or_else(|| a.email.clone()))
            .unwrap_or_default();
        let state = format!(
            "{}{}{}",
            if m.flags.seen { ' ' } else { 'N' },
            if m.flags.flagged { '*' } else { ' ' },
            if m.has_attachments { '@' } else { ' ' }
        );
        println!(
            "{:>7}  {state}  {}  {:<24}  {}",
            m.id,
            date_text(m.date),
            truncate(&from, 24),
            m.subject
        );
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width - 1).collect();
        cut.push('…');
        cut
    }
}

pub fn list(
    paths: &Paths,
    account: Option<&str>,
    folder: &str,
    limit: usize,
) -> anyhow::Result<ExitCode> {
    let store = open_store(paths)?;
    let folders = store.folders()?;
    let found = folders.iter().find(|f| {
        account.is_none_or(|a| f.account.eq_ignore_ascii_case(a))
            && (f.name == folder
                || decode_mailbox_name(&f.name) == folder
                || (folder.eq_ignore_ascii_case("inbox")
                    && f.role == Some(tayori::store::FolderRole::Inbox)))
    });
    let Some(found) = found else {
        let lang = Lang::from_system();
        let names: Vec<String> = folders
            .iter()
            .map(|f| format!("{} {}", f.account, decode_mailbox_name(&f.name)))
            .collect();
        let text = if names.is_empty() {
            fill(
                lang.text(Text::CliNoFolderNothingSynced),
                &[("folder", folder)],
            )
        } else {
            format!(
                "{}\n  {}",
                fill(lang.text(Text::CliNoFolderKnown), &[("folder", folder)]),
                names.join("\n  ")
            )
        };
        return Err(super::Told(text).into());
    };
    let lang = Lang::from_system();
    println!(
        "{}",
        fill(
            lang.text(Text::CliFolderHeading),
            &[
                ("account", &found.account),
                ("folder", &decode_mailbox_name(&found.name)),
                (
                    "messages",
                    &lang.plural(Plural::CliMessages, found.total as u64)
                ),
                ("unread", &found.unread.to_string()),
            ]
        )
    );
    print_rows(&store.messages(found.id, SortOrder::NewestFirst, 0, limit)?);
    Ok(ExitCode::SUCCESS)
}

pub fn search(paths: &Paths, query: &str, limit: usize) -> anyhow::Result<ExitCode> {
    let store = open_store(paths)?;
    let hits = store.search(query, limit)?;
    if hits.is_empty() {
        eprintln!(
            "{}",
            fill(
                Lang::from_system().text(Text::CliNoSearchMatch),
                &[("query", query)]
            )
        );
        return Ok(ExitCode::from(1));
    }
    print_rows(&hits);
    Ok(ExitCode::SUCCESS)
}

pub fn show(paths: &Paths, settings: &Settings, id: i64, raw: bool) -> anyhow::Result<ExitCode> {
    let lang = Lang::from_system();
    let store = open_store(paths)?;
    let summary = store.message(id)?.with_context(|| {
        super::Told(fill(
            lang.text(Text::CliNoSuchMessage),
            &[("id", &id.to_string())],
        ))
    })?;
    let bytes = match store.message_raw(id)? {
        Some(bytes) => bytes,
        None => {
            // Not downloaded yet (outside the sync window): fetch it now, as opening it would.
            let (email, _) = store.message_location(id)?;
            drop(store);
            let runtime = super::runtime().ok_or_else(|| {
                super::Told(fill(
                    lang.text(Text::CliCouldNotStart),
                    &[("detail", "tokio")],
                ))
            })?;
            runtime.block_on(async {
                let account = Accounts::new(paths).get(&email)?;
                let net = net(settings)?;
                let account_sync =
                    AccountSync::open(paths, settings, &net, account, Arc::new(|_| {})).await?;
                Ok::<_, anyhow::Error>(account_sync.engine().fetch_body_now(id).await?)
            })?
        }
    };
    if raw {
        use std::io::Write;
        std::io::stdout().write_all(&bytes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let decoded = mime::decode(&bytes);
    let addresses = |list: &[mime::Mailbox]| {
        list.iter()
            .map(|m| match &m.name {
                Some(name) => format!("{name} <{}>", m.address),
                None => m.address.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let header = |label: Text, value: &str| {
        // "From:    …": the values line up in English; Japanese labels are wider, one space will do.
        let label = format!("{}:", lang.text(label));
        println!("{label:<8} {value}");
    };
    header(Text::HeaderFrom, &addresses(&decoded.from));
    header(Text::HeaderTo, &addresses(&decoded.to));
    if !decoded.cc.is_empty() {
        header(Text::HeaderCc, &addresses(&decoded.cc));
    }
    header(
        Text::HeaderDate,
        &fill(
            lang.text(Text::CliShowDateUtc),
            &[("date", &date_text(summary.date))],
        ),
    );
    header(
        Text::HeaderSubject,
        decoded.subject.as_deref().unwrap_or(&summary.subject),
    );
    for attachment in &decoded.attachments {
        println!(
            "{}",
            fill(
                lang.text(Text::CliShowAttachment),
                &[
                    (
                        "name",
                        attachment
                            .file_name
                            .as_deref()
                            .unwrap_or(lang.text(Text::CliShowUnnamed))
                    ),
                    ("type", &attachment.content_type),
                    (
                        "size",
                        &lang.plural(Plural::AttachmentBytes, attachment.size as u64)
                    ),
                ]
            )
        );
    }
    println!();
    if summary.body_state == BodyState::Unparseable || !decoded.parse_ok {
        println!(
            "{}",
            fill(
                lang.text(Text::CliShowUnreadable),
                &[("id", &id.to_string())]
            )
        );
    } else {
        println!("{}", decoded.text.as_deref().unwrap_or(""));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_as_utc_calendar_time() {
        assert_eq!(date_text(Some(0)), "1970-01-01 00:00");
        assert_eq!(date_text(Some(1_793_581_200)), "2026-11-02 01:00");
        assert_eq!(date_text(Some(951_782_400)), "2000-02-29 00:00");
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("山田太郎", 10), "山田太郎");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
    }
}
