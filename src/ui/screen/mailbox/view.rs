//! The main window as drawn: the sidebar, the list under its search bar (with the "reads through
//! Microsoft 365" notices, the "needs sign-in" banners and any problem with the store above it), the reader, the outbox panel and the status
//! bar. Each part's own view is in its module; this puts them together.

use iced::widget::{button, column, container, row, rule, text, text_input};
use iced::{Center, Element, Fill, FillPortion, Theme};
use tayori::i18n::{Lang, Plural, Text, fill};
use tayori::store::SortOrder;

use super::search::SEARCH_ID;
use super::{Message, Source, State, list, outbox, reader, search, sidebar};
use crate::ui::background::Background;
use crate::ui::style;
use crate::ui::sync;

/// One notice over the list (a proxy asking to be signed in to, a way of reading that changed, an
/// account that must sign in again), framed alike.
fn notice<'a>(content: Element<'a, Message>) -> Element<'a, Message> {
    container(content)
        .padding([8, 12])
        .width(Fill)
        .style(style::notice)
        .into()
}

/// A line over the list that says what is wrong and what it costs.
fn problem_line<'a>(words: String) -> Element<'a, Message> {
    container(text(words).size(style::SMALL))
        .padding([8, 12])
        .width(Fill)
        .style(style::problem)
        .into()
}

pub fn window<'a>(
    state: &'a State,
    background: &'a Background,
    lang: Lang,
) -> Element<'a, Message> {
    let mut middle = column![header(state, lang)];
    if let Some(form) = state.banner.proxy_view(lang) {
        middle = middle.push(notice(form.map(Message::Banner)));
    }
    for email in &state.banner.read_via_graph {
        let view = state.banner.read_notice_view(email, lang);
        middle = middle.push(notice(view.map(Message::Banner)));
    }
    for email in &state.banner.imap_again {
        let view = state.banner.imap_again_view(email, lang);
        middle = middle.push(notice(view.map(Message::Banner)));
    }
    for account in background.accounts() {
        if account.needs_sign_in.is_some() {
            let view = state.banner.view(account, lang);
            middle = middle.push(notice(view.map(Message::Banner)));
        }
    }
    let problems = [
        background.problem(),
        state.store_problem.as_ref().map(|p| p.detail.as_str()),
    ];
    for problem in problems.into_iter().flatten() {
        middle = middle.push(problem_line(fill(
            lang.text(Text::StoreUnavailable),
            &[("detail", problem)],
        )));
    }
    // The folder shown is one the server would not open in the last sync: what the list shows
    // is what the store kept, and the line says why it may be behind.
    if let Source::Folder(id) = state.list.source
        && let Some(why) = state
            .folders()
            .iter()
            .find(|folder| folder.id == id)
            .and_then(|folder| sidebar::refused_because(background, folder, lang))
    {
        middle = middle.push(problem_line(why));
    }
    middle = middle.push(list::view(&state.list, lang).map(Message::List));
    let panes = row![
        sidebar::view(state, lang, background),
        rule::vertical(1),
        container(middle).width(FillPortion(2)).height(Fill),
        rule::vertical(1),
        container(reader::view(&state.reader, lang).map(Message::Reader))
            .width(FillPortion(3))
            .height(Fill),
    ]
    .height(Fill);
    let mut window = column![panes];
    if let Some(panel) = outbox::panel(&background.outbox, lang) {
        window = window
            .push(rule::horizontal(1))
            .push(panel.map(Message::Outbox));
    }
    window
        .push(rule::horizontal(1))
        .push(status_bar(state, background, lang))
        .into()
}

/// The search field, with "Clear" while searching, else the order; the conversations switch.
fn header<'a>(state: &'a State, lang: Lang) -> Element<'a, Message> {
    let mut search = text_input(lang.text(Text::SearchPlaceholder), &state.search.text)
        .id(SEARCH_ID)
        .on_input(|typed| Message::Search(search::Message::Changed(typed)))
        .on_submit(Message::Search(search::Message::Submit))
        .padding([7, 10])
        .size(style::SMALL)
        .width(Fill);
    search = search.style(|theme: &Theme, status| iced::widget::text_input::Style {
        border: iced::Border {
            radius: 6.0.into(),
            ..iced::widget::text_input::default(theme, status).border
        },
        ..iced::widget::text_input::default(theme, status)
    });
    let order = match state.list.order {
        SortOrder::NewestFirst => Text::SortNewest,
        SortOrder::OldestFirst => Text::SortOldest,
    };
    let mut bar = row![search].spacing(8).align_y(Center);
    if state.list.search.is_some() {
        bar = bar.push(
            button(text(lang.text(Text::ClearSearch)).size(style::SMALL))
                .style(style::link_button)
                .on_press(Message::Search(search::Message::Clear)),
        );
    } else {
        bar = bar.push(
            button(text(format!("⇅ {}", lang.text(order))).size(style::SMALL))
                .style(style::link_button)
                .on_press(Message::List(list::Message::ToggleOrder)),
        );
    }
    // The conversations switch (searches list messages, not threads).
    if state.list.search.is_none() {
        let on = state.list.threads;
        bar = bar.push(
            button(
                row![
                    text(if on { "✓" } else { "☰" }).size(style::SMALL),
                    text(lang.text(Text::Conversations)).size(style::SMALL),
                ]
                .spacing(4),
            )
            .padding([5, 10])
            .style(if on {
                style::primary_button
            } else {
                style::outline_button
            })
            .on_press(Message::List(list::Message::ToggleConversations(!on))),
        );
    }
    let mut content = column![bar].spacing(6);
    if let Some((query, Some(results))) = &state.list.search {
        content = content.push(
            text(fill(
                &lang.plural(Plural::SearchCount, results.len() as u64),
                &[("query", query)],
            ))
            .size(style::TINY)
            .style(style::muted),
        );
        if state.list.search_waiting > 0 {
            content = content.push(
                text(lang.plural(Plural::SearchIncomplete, state.list.search_waiting as u64))
                    .size(style::TINY)
                    .style(style::muted),
            );
        }
    }
    container(content).padding([10, 12]).width(Fill).into()
}

fn status_bar<'a>(
    state: &'a State,
    background: &'a Background,
    lang: Lang,
) -> Element<'a, Message> {
    let folders = state.folders();
    let (total, unread) = match state.list.source {
        Source::Unified => folders
            .iter()
            .filter(|f| f.role == Some(tayori::store::FolderRole::Inbox))
            .fold((0, 0), |(t, u), f| (t + f.total, u + f.unread)),
        Source::Folder(id) => folders
            .iter()
            .find(|f| f.id == id)
            .map_or((0, 0), |f| (f.total, f.unread)),
    };
    let count = |plural: Plural, n: u32| lang.plural(plural, n.into());
    let outbox = outbox::status(&background.outbox, lang).map(|status| status.map(Message::Outbox));
    container(
        row![
            text(format!(
                "{}  ·  {}",
                count(Plural::StatusMessages, total),
                count(Plural::StatusUnread, unread)
            ))
            .size(style::TINY),
            // What waits in the outbox; a click shows each message and why.
            outbox,
            // The sync line takes the room there is and is cut, never wrapped: the bar stays
            // one line high whatever an engine reports.
            container(
                text(sync_line(background, lang).unwrap_or_default())
                    .size(style::TINY)
                    .style(style::accent)
                    .wrapping(iced::widget::text::Wrapping::None),
            )
            .width(Fill)
            .clip(true),
            text(lang.text(Text::ShortcutsHint))
                .size(style::TINY)
                .style(style::muted)
                .wrapping(iced::widget::text::Wrapping::None),
        ]
        .spacing(12),
    )
    .padding([5, 12])
    .width(Fill)
    .style(style::backdrop)
    .into()
}

/// One line for the status bar: the busiest account's state.
pub fn sync_line(background: &Background, lang: Lang) -> Option<String> {
    use tayori::sync::SyncEvent;
    let n = |v: usize| v.to_string();
    let mut lines = background.sync().iter().map(|(email, update)| {
        let line = match update {
            sync::Update::Ready(_) => lang.text(Text::SyncConnecting).to_owned(),
            sync::Update::CouldNotStart(detail) => {
                fill(lang.text(Text::SyncNotRunning), &[("detail", detail)])
            }
            sync::Update::Event(event) => match event {
                SyncEvent::Connecting | SyncEvent::Connected => {
                    lang.text(Text::SyncConnecting).to_owned()
                }
                SyncEvent::ActionsReplayed(_) | SyncEvent::FolderDone { .. } => {
                    lang.text(Text::SyncConnecting).to_owned()
                }
                SyncEvent::FolderStarted { folder } => {
                    fill(lang.text(Text::SyncFolder), &[("folder", folder)])
                }
                SyncEvent::Envelopes {
                    folder,
                    done,
                    total,
                } => fill(
                    &lang.plural(Plural::SyncEnvelopes, *total as u64),
                    &[("folder", folder), ("done", &n(*done))],
                ),
                SyncEvent::Bodies {
                    folder,
                    done,
                    total,
                    ..
                } => fill(
                    lang.text(Text::SyncBodies),
                    &[
                        ("folder", folder),
                        ("done", &n(*done)),
                        ("total", &n(*total)),
                    ],
                ),
                SyncEvent::Indexing { done, total } => fill(
                    lang.text(Text::SyncIndexing),
                    &[("done", &n(*done)), ("total", &n(*total))],
                ),
                SyncEvent::Finished(_)
                | SyncEvent::Idle
                | SyncEvent::NewMail { .. }
                | SyncEvent::IndexComplete { .. } => {
                    let refused = background.refused(email);
                    if refused.is_empty() {
                        lang.text(Text::SyncUpToDate).to_owned()
                    } else {
                        let folders: Vec<String> = refused.iter().map(|r| r.name()).collect();
                        fill(
                            lang.text(Text::SyncUpToDateExcept),
                            &[("folders", &folders.join(", "))],
                        )
                    }
                }
                SyncEvent::ReadingThroughGraph { .. } => {
                    fill(lang.text(Text::ReadViaGraphNotice), &[("account", email)])
                }
                SyncEvent::ReadingThroughImapAgain => fill(
                    lang.text(Text::ReadViaImapAgainNotice),
                    &[("account", email)],
                ),
                SyncEvent::ImapChecked => lang.text(Text::SyncConnecting).to_owned(),
                SyncEvent::Offline { retry_in, .. } => fill(
                    lang.text(Text::SyncOffline),
                    &[("seconds", &retry_in.as_secs().to_string())],
                ),
                // Only where a new sign-in can help does the line say so (consent, conditional
                // access and a refused app are for the administrator; the banner says which).
                SyncEvent::NeedsSignIn { error } => {
                    let refusal = tayori::auth::refusal::Refusal::new("", Some(error));
                    if refusal.sign_in_again_helps_or_unknown() {
                        lang.text(Text::SyncNeedsSignIn).to_owned()
                    } else {
                        lang.text(Text::SyncSignInRefused).to_owned()
                    }
                }
            },
        };
        format!("{email}: {line}")
    });
    let first = lines.next()?;
    Some(match lines.next() {
        None => first,
        Some(second) => format!("{first}  ·  {second}"),
    })
}
