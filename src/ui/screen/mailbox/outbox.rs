//! The outbox in the main window: the status bar's count of what waits and what was refused, and
//! the panel that gives each message, the server's reason and a "Try again". What they show is the
//! application's (`crate::ui::outbox`): its worker runs whatever screen is shown.

use iced::widget::{button, column, container, row, scrollable, text};
use iced::{Element, Fill};
use tayori::i18n::{Lang, Plural, Text, fill};

use crate::ui::outbox::{Item, Msg, View};
use crate::ui::style;

/// The status bar's part: how many wait, how many were refused; a click opens the panel.
pub fn status(view: &View, lang: Lang) -> Option<Element<'_, Msg>> {
    if let Some(problem) = &view.problem {
        return Some(
            text(fill(
                lang.text(Text::OutboxUnreadable),
                &[("detail", problem)],
            ))
            .size(style::TINY)
            .style(style::danger)
            .wrapping(iced::widget::text::Wrapping::None)
            .into(),
        );
    }
    if view.items.is_empty() {
        return None;
    }
    let failed = view.items.iter().filter(|i| i.failed).count();
    let waiting = view.items.len() - failed;
    let words = status_words(waiting, failed, lang);
    let label = text(words)
        .size(style::TINY)
        .wrapping(iced::widget::text::Wrapping::None);
    let label = if failed > 0 {
        label.style(style::danger)
    } else {
        label.style(style::accent)
    };
    Some(
        button(label)
            .style(style::link_button)
            .padding(0)
            .on_press(Msg::Toggle)
            .into(),
    )
}

/// "Outbox: 2 waiting · 1 not sent" (a part with nothing in it is left out).
pub fn status_words(waiting: usize, failed: usize, lang: Lang) -> String {
    let mut parts = Vec::new();
    if waiting > 0 {
        parts.push(lang.plural(Plural::OutboxWaitingCount, waiting as u64));
    }
    if failed > 0 {
        parts.push(lang.plural(Plural::OutboxFailedCount, failed as u64));
    }
    format!("{}: {}", lang.text(Text::OutboxTitle), parts.join("  ·  "))
}

/// The panel over the status bar: each message, why it is waiting or was refused, "Try again".
pub fn panel(view: &View, lang: Lang) -> Option<Element<'_, Msg>> {
    if !view.open || view.items.is_empty() {
        return None;
    }
    let now = tayori::account::now_seconds() as i64;
    let mut list = column![].spacing(8);
    // Refused ones first: they need the person.
    let mut items: Vec<&Item> = view.items.iter().collect();
    items.sort_by_key(|i| (!i.failed, i.id));
    for item in items {
        let subject = if item.subject.trim().is_empty() {
            lang.text(Text::NoSubject)
        } else {
            item.subject.as_str()
        };
        let mut entry = column![
            text(fill(
                lang.text(Text::OutboxEntry),
                &[
                    ("subject", subject),
                    ("recipients", &item.recipients.join(", ")),
                    ("email", &item.account),
                ],
            ))
            .size(style::SMALL)
        ]
        .spacing(2);
        let state = if item.failed {
            lang.text(Text::OutboxFailed).to_owned()
        } else {
            let wait = (item.next_attempt_at - now).max(0);
            let mut state = lang.text(Text::OutboxQueued).to_owned();
            if wait > 0 {
                state.push_str("  ·  ");
                state.push_str(&fill(
                    lang.text(Text::OutboxNextAttempt),
                    &[("seconds", &wait.to_string())],
                ));
            }
            state
        };
        entry = entry.push(text(state).size(style::TINY).style(if item.failed {
            style::danger
        } else {
            style::muted
        }));
        if let Some(reason) = &item.reason {
            entry = entry.push(
                text(fill(lang.text(Text::OutboxReason), &[("reason", reason)])).size(style::TINY),
            );
            if let Some(words) = tayori::outbox::reason::plain_words(reason, lang) {
                entry = entry.push(text(words).size(style::TINY).style(style::muted));
            }
        }
        let mut line = row![container(entry).width(Fill)]
            .spacing(8)
            .align_y(iced::Center);
        if item.failed {
            line = line.push(
                button(text(lang.text(Text::OutboxRetry)).size(style::SMALL))
                    .style(style::outline_button)
                    .padding([3, 10])
                    .on_press(Msg::Retry(item.id)),
            );
            let discard = if view.discarding == Some(item.id) {
                Text::OutboxDiscardConfirm
            } else {
                Text::OutboxDiscard
            };
            line = line.push(
                button(text(lang.text(discard)).size(style::SMALL))
                    .style(style::danger_button)
                    .padding([3, 10])
                    .on_press(Msg::Discard(item.id)),
            );
        }
        list = list.push(line);
    }
    let header = row![
        text(lang.text(Text::OutboxTitle))
            .size(style::BODY)
            .width(Fill),
        button(text(lang.text(Text::OutboxClose)).size(style::SMALL))
            .style(style::link_button)
            .padding([2, 8])
            .on_press(Msg::Toggle),
    ]
    .align_y(iced::Center);
    Some(
        container(column![header, scrollable(list).height(iced::Shrink)].spacing(8))
            .padding([10, 14])
            .width(Fill)
            .max_height(260)
            .style(style::notice)
            .into(),
    )
}
