//! The message list. Virtual: a spacer stands for the rows above the visible ones and another for
//! those below, and only the rows in view are built — with 100,000 messages a frame builds a few
//! dozen rows, not 100,000.

use chrono::{DateTime, Datelike, Local, TimeZone};
use iced::widget::text::Wrapping;
use iced::widget::{Space, button, column, container, row, scrollable, text, text_input};
use iced::{Center, Element, Fill, Length, Theme};
use tayori::i18n::{Lang, Text, fill};
use tayori::store::{MessageSummary, SortOrder};

use super::{LIST_ID, Message, ROW_HEIGHT, SEARCH_ID, State};
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

pub fn header<'a>(state: &'a State, lang: Lang) -> Element<'a, Message> {
    let mut search = text_input(lang.text(Text::SearchPlaceholder), &state.search_text)
        .id(SEARCH_ID)
        .on_input(Message::SearchChanged)
        .on_submit(Message::Search)
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
                .on_press(Message::ClearSearch),
        );
    } else {
        bar = bar.push(
            button(text(format!("⇅ {}", lang.text(order))).size(style::SMALL))
                .style(style::link_button)
                .on_press(Message::ToggleOrder),
        );
    }
    let mut content = column![bar].spacing(6);
    if let Some((query, Some(results))) = &state.list.search {
        content = content.push(
            text(fill(
                lang.text(Text::SearchCount),
                &[("count", &results.len().to_string()), ("query", query)],
            ))
            .size(style::TINY)
            .style(style::muted),
        );
    }
    container(content).padding([10, 12]).width(Fill).into()
}

fn message_row<'a>(
    index: usize,
    message: &'a MessageSummary,
    selected: bool,
    lang: Lang,
    now: DateTime<Local>,
) -> Element<'a, Message> {
    let unread = !message.flags.seen;
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
    if message.flags.flagged {
        marks = marks.push(text("⚑").size(style::SMALL).style(style::danger));
    }
    if message.has_attachments {
        marks = marks.push(text("⎘").size(style::SMALL).style(style::muted));
    }
    if message.flags.answered {
        marks = marks.push(text("↩").size(style::SMALL).style(style::muted));
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
    let line = row![
        container(dot).center_y(Fill).width(12),
        column![top, subject, preview].spacing(1).width(Fill),
    ]
    .spacing(6)
    .height(Fill);
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

pub fn view<'a>(state: &'a State, lang: Lang) -> Element<'a, Message> {
    let list = &state.list;
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
        rows = rows.push(match list.row(index) {
            Some(message) => message_row(index, message, list.selected == Some(index), lang, now),
            None => placeholder(),
        });
    }
    rows = rows.push(Space::new().height(Length::Fixed((len - range.end) as f32 * ROW_HEIGHT)));
    scrollable(rows)
        .id(LIST_ID)
        .on_scroll(Message::Scrolled)
        .height(Fill)
        .width(Fill)
        .into()
}
