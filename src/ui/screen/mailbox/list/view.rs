//! The message list as drawn. Virtual: a spacer stands for the rows above the visible ones and
//! another for those below, and only the rows in view are built — with 100,000 messages a frame
//! builds a few dozen rows, not 100,000.

use chrono::{DateTime, Datelike, Local, TimeZone};
use iced::widget::text::Wrapping;
use iced::widget::{Space, button, column, container, row, scrollable, text};
use iced::{Center, Element, Fill, Length, Theme};
use tayori::i18n::{Lang, Text};
use tayori::store::MessageSummary;

use super::threads::Entry;
use super::{LIST_ID, List, Message, ROW_HEIGHT};
use crate::ui::style;

/// "14:05" today, "11/23" or "23 Nov" this year, "2023/11/23" before.
pub fn short_date(seconds: Option<i64>, lang: Lang, now: DateTime<Local>) -> String {
    let Some(date) = seconds.and_then(|s| Local.timestamp_opt(s, 0).single()) else {
        return String::new();
    };
    if date.date_naive() == now.date_naive() {
        date.format("%H:%M").to_string()
    } else if date.year() == now.year() {
        match lang {
            Lang::En => date.format("%b %-d").to_string(),
            Lang::Ja => date.format("%-m/%-d").to_string(),
        }
    } else {
        date.format("%Y/%m/%d").to_string()
    }
}

/// How a row sits in the list.
#[derive(Debug, Clone, Copy)]
enum Decor {
    /// A message in a plain list.
    Plain,
    /// A conversation, drawn as its newest message.
    Thread {
        position: usize,
        count: u32,
        unread: bool,
        flagged: bool,
        expanded: bool,
    },
    /// A message of an expanded conversation, indented under it.
    Child,
}

fn message_row<'a>(
    index: usize,
    message: &'a MessageSummary,
    selected: bool,
    lang: Lang,
    now: DateTime<Local>,
    decor: Decor,
) -> Element<'a, Message> {
    let (unread, flagged) = match decor {
        Decor::Thread {
            unread, flagged, ..
        } => (unread, flagged),
        _ => (!message.flags.seen, message.flags.flagged),
    };
    let sender = match &message.from {
        Some(from) => from.name.clone().unwrap_or_else(|| from.email.clone()),
        None => lang.text(Text::NoSender).to_owned(),
    };
    let subject = if message.subject.trim().is_empty() {
        lang.text(Text::NoSubject).to_owned()
    } else {
        message.subject.clone()
    };
    let dot = container(Space::new().width(8).height(8)).style(move |theme: &Theme| {
        iced::widget::container::Style {
            background: unread.then(|| theme.extended_palette().primary.base.color.into()),
            border: iced::border::rounded(4),
            ..Default::default()
        }
    });
    let mut marks = row![].spacing(4);
    if flagged {
        marks = marks.push(text("⚑").size(style::SMALL).style(style::danger));
    }
    if message.has_attachments {
        marks = marks.push(text("❏").size(style::SMALL).style(style::muted));
    }
    if message.flags.answered {
        marks = marks.push(text("↩").size(style::SMALL).style(style::muted));
    }
    if let Decor::Thread { count, .. } = decor
        && count > 1
    {
        // The conversation's size, as a quiet badge before the date.
        marks = marks.push(
            container(
                text(count.to_string())
                    .size(style::TINY)
                    .style(style::muted),
            )
            .padding([0, 6])
            .style(style::inset),
        );
    }
    let top = row![
        text(sender)
            .size(style::SMALL)
            .font_maybe(unread.then(style::bold))
            .wrapping(Wrapping::None)
            .width(Fill),
        marks,
        text(short_date(message.date, lang, now))
            .size(style::TINY)
            .style(style::muted)
            .wrapping(Wrapping::None),
    ]
    .spacing(8)
    .align_y(Center);
    let subject = text(subject)
        .size(style::SMALL)
        .wrapping(Wrapping::None)
        .style(move |theme: &Theme| {
            if unread {
                iced::widget::text::Style::default()
            } else {
                style::muted(theme)
            }
        });
    let preview = text(message.preview.as_str())
        .size(style::TINY)
        .wrapping(Wrapping::None)
        .style(style::muted);
    let mut line = row![].spacing(6).height(Fill);
    match decor {
        Decor::Child => line = line.push(Space::new().width(22)),
        Decor::Thread {
            position,
            count,
            expanded,
            ..
        } if count > 1 => {
            line = line.push(
                container(
                    button(text(if expanded { "▾" } else { "▸" }).size(style::BODY))
                        .padding([0, 4])
                        .style(style::link_button)
                        .on_press(Message::ToggleThread(position)),
                )
                .center_y(Fill),
            );
        }
        Decor::Thread { .. } | Decor::Plain => {}
    }
    line = line.push(container(dot).center_y(Fill).width(12));
    line = line.push(column![top, subject, preview].spacing(1).width(Fill));
    button(container(line).clip(true))
        .padding([6, 10])
        .width(Fill)
        .height(Length::Fixed(ROW_HEIGHT))
        .style(move |theme: &Theme, status| style::row_button(theme, status, selected))
        .on_press(Message::Open(index))
        .into()
}

/// A row whose page has not arrived yet: the same height, quiet.
fn placeholder<'a>() -> Element<'a, Message> {
    container(Space::new())
        .height(Length::Fixed(ROW_HEIGHT))
        .width(Fill)
        .into()
}

pub fn view<'a>(list: &'a List, lang: Lang) -> Element<'a, Message> {
    let len = list.len();
    if list.total.is_some() && len == 0
        || matches!(&list.search, Some((_, Some(r))) if r.is_empty())
    {
        return container(
            text(lang.text(Text::EmptyFolder))
                .size(style::SMALL)
                .style(style::muted),
        )
        .center(Fill)
        .into();
    }
    if list.total.is_none() && list.search.is_none() || matches!(list.search, Some((_, None))) {
        return container(
            text(lang.text(Text::Loading))
                .size(style::SMALL)
                .style(style::muted),
        )
        .center(Fill)
        .into();
    }
    let range = list.visible();
    let now = Local::now();
    let mut rows = column![Space::new().height(Length::Fixed(range.start as f32 * ROW_HEIGHT))]
        .padding([0, 6]);
    for index in range.clone() {
        let selected = list.selected == Some(index);
        let row = if list.threads && list.search.is_none() {
            match list.entry(index) {
                Some(Entry::Thread {
                    position,
                    summary: Some(thread),
                    expanded,
                }) => message_row(
                    index,
                    &thread.newest,
                    selected,
                    lang,
                    now,
                    Decor::Thread {
                        position,
                        count: thread.count,
                        unread: thread.unread > 0,
                        flagged: thread.flagged,
                        expanded,
                    },
                ),
                Some(Entry::Child(message)) => {
                    message_row(index, message, selected, lang, now, Decor::Child)
                }
                _ => placeholder(),
            }
        } else {
            match list.row(index) {
                Some(message) => message_row(index, message, selected, lang, now, Decor::Plain),
                None => placeholder(),
            }
        };
        rows = rows.push(row);
    }
    rows = rows.push(Space::new().height(Length::Fixed((len - range.end) as f32 * ROW_HEIGHT)));
    scrollable(rows)
        .id(LIST_ID)
        .on_scroll(Message::Scrolled)
        .height(Fill)
        .width(Fill)
        .into()
}
