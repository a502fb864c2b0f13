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
use tayori::sync::{AccountSync, Summary, SyncEvent, build_search_index, decode_mailbox_name};

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
                tell_read_notices(&accounts);
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
    // Every account's line above says it is synced (everything readable offline); the search
    // index is built from what was stored now, and said complete on a line of its own. Killed
    // meanwhile, the next sync (or the window) goes on where it stopped.
    all_ok &= index_for_search(paths).await;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Tells the person, once per account, that IMAP is off for their mailbox and that Tayori reads
/// through Microsoft 365 instead — or that IMAP is on again and Tayori reads through it again.
pub(super) fn tell_read_notices(accounts: &Accounts) {
    let lang = Lang::from_system();
    for (taken, words) in [
        (accounts.take_read_notices(), Text::ReadViaGraphNotice),
        (
            accounts.take_imap_again_notices(),
            Text::ReadViaImapAgainNotice,
        ),
    ] {
        match taken {
            Ok(untold) => {
                for email in untold {
                    println!("{}", fill(lang.text(words), &[("account", &email)]));
                }
            }
            Err(error) => tracing::warn!(%error, "could not record that the person was told"),
        }
    }
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

/// Builds the search index for the messages a sync stored; false if it could not be completed.
async fn index_for_search(paths: &Paths) -> bool {
    let lang = Lang::from_system();
    let bar = progress_bar(lang.text(Text::CliProgressIndexing));
    let progress: tayori::sync::Progress = {
        let bar = bar.clone();
        Arc::new(move |event| {
            if let SyncEvent::Indexing { done, total } = event {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
        })
    };
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    match build_search_index(Store::path_in(paths), stop, progress).await {
        Ok(indexed) => {
            bar.finish_and_clear();
            if indexed > 0 {
                println!("{}", lang.plural(Plural::CliIndexComplete, indexed as u64));
            }
            true
        }
        Err(error) => {
            bar.abandon();
            eprintln!(
                "tayori sync: {}",
                fill(
                    lang.text(Text::CliIndexFailed),
                    &[("detail", &error.to_string())]
                )
            );
            false
        }
    }
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
        SyncEvent::Offline {
            error, retry_in, ..
        } => bar.println(fill(
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
        SyncEvent::Indexing { done, total } => {
            bar.set_message(lang.text(Text::CliProgressIndexing));
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        SyncEvent::IndexComplete { indexed } => {
            bar.println(lang.plural(Plural::CliIndexComplete, indexed as u64))
        }
        // Told once, after the pass (`tell_read_notices`), from the account list.
        SyncEvent::ReadingThroughGraph { .. }
        | SyncEvent::ReadingThroughImapAgain
        | SyncEvent::ImapChecked
        | SyncEvent::ActionsReplayed(_)
        | SyncEvent::FolderDone { .. }
        | SyncEvent::Finished(_) => {}
    })
}

/// A size in megabytes with one decimal ("1.5 MB"): a unit, the same in every language.
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Messages the server could not deliver, one line each (at most [`SKIPPED_SHOWN`]), and folders it
/// refused to open.
fn print_skipped(email: &str, summary: &Summary) {
    const SKIPPED_SHOWN: usize = 20;
    for skipped in summary.skipped.iter().take(SKIPPED_SHOWN) {
        eprintln!("tayori sync: {email}: {skipped}");
    }
    for refused in &summary.refused_folders {
        eprintln!("tayori sync: {email}: {refused}");
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
    match seconds {
        Some(seconds) => tayori::clock::utc_minute_text(seconds),
        None => "-".repeat(16),
    }
}

fn print_rows(out: &mut Out, rows: &[tayori::store::MessageSummary]) -> std::io::Result<()> {
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
        out.line(&format!(
            "{:>7}  {state}  {}  {:<24}  {}",
            m.id,
            date_text(m.date),
            truncate(&one_line(&from), 24),
            one_line(&m.subject)
        ))?;
    }
    Ok(())
}

/// Standard output for what comes from mail: text from a message never reaches the terminal as a
/// control sequence (ESC, BEL, backspace, C1 controls: `OSC 52` writes the clipboard, `CSI 2J`
/// clears the screen), and a reader that went away (`tayori list | head`) ends the command
/// quietly — see [`quiet_on_closed_pipe`].
pub(super) struct Out {
    writer: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl Out {
    pub(super) fn new() -> Self {
        Self {
            writer: std::io::BufWriter::new(std::io::stdout().lock()),
        }
    }

    /// One line (or several, for a body), control characters shown as `\u{…}`.
    pub(super) fn line(&mut self, text: &str) -> std::io::Result<()> {
        use std::io::Write;
        writeln!(self.writer, "{}", printable(text))
    }

    pub(super) fn finish(mut self) -> std::io::Result<()> {
        use std::io::Write;
        self.writer.flush()
    }
}

/// `text` with every control character except line feed and tab written out as `\u{…}`; a CR
/// before a line feed is dropped.
pub(super) fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\t' => shown.push(c),
            c if c.is_control() => shown.push_str(&c.escape_unicode().to_string()),
            c => shown.push(c),
        }
    }
    shown
}

/// A header field on one line: line breaks and tabs become spaces.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n', '\t'], " ")
}

/// A command's result with a closed standard output (the reader of a pipe went away) turned into
/// success: there is no one left to tell anything.
pub(super) fn quiet_on_closed_pipe(result: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    match result {
        Err(error)
            if error.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
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

/// The folder a person means by `typed`: its exact name (as the server spells it, or decoded),
/// else the folder with that role (Sent, Drafts, Trash, Archive, Junk, Inbox … in English or
/// Japanese, any case: `Sent` finds `INBOX.Sent` on a Cyrus-style server), else a name that
/// differs only in case.
fn find_folder<'a>(
    folders: &'a [tayori::store::Folder],
    account: Option<&str>,
    typed: &str,
) -> Option<&'a tayori::store::Folder> {
    use tayori::store::FolderRole;
    let mine: Vec<&tayori::store::Folder> = folders
        .iter()
        .filter(|f| account.is_none_or(|a| f.account.eq_ignore_ascii_case(a)))
        .collect();
    let typed = typed.trim();
    if let Some(exact) = mine
        .iter()
        .find(|f| f.name == typed || decode_mailbox_name(&f.name) == typed)
    {
        return Some(exact);
    }
    let role_words = |role: FolderRole| -> Vec<&'static str> {
        let text = match role {
            FolderRole::Inbox => Text::FolderInbox,
            FolderRole::Drafts => Text::FolderDrafts,
            FolderRole::Sent => Text::FolderSent,
            FolderRole::Archive => Text::FolderArchive,
            FolderRole::Junk => Text::FolderJunk,
            FolderRole::Trash => Text::FolderTrash,
            FolderRole::All => Text::FolderAll,
            FolderRole::Flagged => Text::FolderFlagged,
        };
        vec![Lang::En.text(text), Lang::Ja.text(text), role.as_str()]
    };
    if let Some(by_role) = mine.iter().find(|f| {
        f.role.is_some_and(|role| {
            role_words(role)
                .iter()
                .any(|word| word.to_lowercase() == typed.to_lowercase())
        })
    }) {
        return Some(by_role);
    }
    mine.into_iter().find(|f| {
        f.name.to_lowercase() == typed.to_lowercase()
            || decode_mailbox_name(&f.name).to_lowercase() == typed.to_lowercase()
    })
}

pub fn list(
    paths: &Paths,
    account: Option<&str>,
    folder: &str,
    limit: usize,
) -> anyhow::Result<ExitCode> {
    let store = open_store(paths)?;
    let folders = store.folders()?;
    let Some(found) = find_folder(&folders, account, folder) else {
        let lang = Lang::from_system();
        let names: Vec<String> = folders
            .iter()
            .map(|f| format!("{} {}", f.account, printable(&decode_mailbox_name(&f.name))))
            .collect();
        let text = if names.is_empty() {
            fill(
                lang.text(Text::CliNoFolderNothingSynced),
                &[("folder", &printable(folder))],
            )
        } else {
            format!(
                "{}\n  {}",
                fill(
                    lang.text(Text::CliNoFolderKnown),
                    &[("folder", &printable(folder))]
                ),
                names.join("\n  ")
            )
        };
        return Err(super::Told(text).into());
    };
    let lang = Lang::from_system();
    let mut out = Out::new();
    out.line(&fill(
        lang.text(Text::CliFolderHeading),
        &[
            ("account", &found.account),
            ("folder", &one_line(&decode_mailbox_name(&found.name))),
            (
                "messages",
                &lang.plural(Plural::CliMessages, found.total as u64),
            ),
            ("unread", &found.unread.to_string()),
        ],
    ))?;
    print_rows(
        &mut out,
        &store.messages(found.id, SortOrder::NewestFirst, 0, limit)?,
    )?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

pub fn search(paths: &Paths, query: &str, limit: usize) -> anyhow::Result<ExitCode> {
    let store = open_store(paths)?;
    let hits = store.search(query, limit)?;
    // Said before the results, on standard error: a script reading the rows is not disturbed.
    let waiting = store.unindexed_count()?;
    if waiting > 0 {
        eprintln!(
            "{}",
            Lang::from_system().plural(Plural::CliSearchIncomplete, waiting as u64)
        );
    }
    if hits.is_empty() {
        eprintln!(
            "{}",
            fill(
                Lang::from_system().text(Text::CliNoSearchMatch),
                &[("query", &printable(query))]
            )
        );
        return Ok(ExitCode::from(1));
    }
    let mut out = Out::new();
    print_rows(&mut out, &hits)?;
    out.finish()?;
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
            })?;
            // Stored as the sync stores it (a big message never held whole on the way).
            open_store(paths)?
                .message_raw(id)?
                .context("the downloaded message is not in the store")?
        }
    };
    if raw {
        // The message's bytes exactly, as asked (for a file or another program, not a terminal).
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&bytes)?;
        stdout.flush()?;
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
    let mut out = Out::new();
    // "From:    …": the values line up in English; Japanese labels are wider, one space will do.
    let header = |out: &mut Out, label: Text, value: &str| {
        let label = format!("{}:", lang.text(label));
        out.line(&format!("{label:<8} {}", one_line(value)))
    };
    header(&mut out, Text::HeaderFrom, &addresses(&decoded.from))?;
    header(&mut out, Text::HeaderTo, &addresses(&decoded.to))?;
    if !decoded.cc.is_empty() {
        header(&mut out, Text::HeaderCc, &addresses(&decoded.cc))?;
    }
    header(
        &mut out,
        Text::HeaderDate,
        &fill(
            lang.text(Text::CliShowDateUtc),
            &[("date", &date_text(summary.date))],
        ),
    )?;
    header(
        &mut out,
        Text::HeaderSubject,
        decoded.subject.as_deref().unwrap_or(&summary.subject),
    )?;
    for attachment in &decoded.attachments {
        out.line(&fill(
            lang.text(Text::CliShowAttachment),
            &[
                (
                    "name",
                    &one_line(
                        attachment
                            .file_name
                            .as_deref()
                            .unwrap_or(lang.text(Text::CliShowUnnamed)),
                    ),
                ),
                ("type", &one_line(&attachment.content_type)),
                (
                    "size",
                    &lang.plural(Plural::AttachmentBytes, attachment.size as u64),
                ),
            ],
        ))?;
    }
    out.line("")?;
    if summary.body_state == BodyState::Unparseable || !decoded.parse_ok {
        out.line(&fill(
            lang.text(Text::CliShowUnreadable),
            &[("id", &id.to_string())],
        ))?;
    } else {
        out.line(decoded.text.as_deref().unwrap_or(""))?;
    }
    out.finish()?;
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
    fn control_characters_are_written_out_and_line_breaks_kept() {
        assert_eq!(
            printable("a\u{1b}]52;c;SGVsbG8=\u{7}b\r\nc\u{9b}2J\u{8}\td\re"),
            "a\\u{1b}]52;c;SGVsbG8=\\u{7}b\nc\\u{9b}2J\\u{8}\td\\u{d}e"
        );
        assert_eq!(one_line("two\r\nlines\tand"), "two  lines and");
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("山田太郎", 10), "山田太郎");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
    }
}
