//! The reader: headers, then the text. HTML mail is shown as text (mail-parser derives it from the
//! HTML), so scripts, forms and remote content are never loaded.

use chrono::{Local, TimeZone};
use iced::widget::{Space, column, container, row, rule, scrollable, text};
use iced::{Element, Fill};
use tayori::compose::ReplyMode;
use tayori::i18n::{Lang, Text, fill};
use tayori::mime::{Decoded, Mailbox};
use tayori::store::MessageSummary;

use super::{Message, Reader, State, html};
use crate::ui::style;

fn people(list: &[Mailbox]) -> String {
    list.iter()
        .map(|m| match &m.name {
            Some(name) => format!("{name} <{}>", m.address),
            None => m.address.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn long_date(seconds: Option<i64>) -> String {
    seconds
        .and_then(|s| Local.timestamp_opt(s, 0).single())
        .map(|d| d.format("%Y/%m/%d %H:%M").to_string())
        .unwrap_or_default()
}

fn centered<'a>(content: String) -> Element<'a, Message> {
    container(text(content).size(style::SMALL).style(style::muted))
        .center(Fill)
        .into()
}

fn headers<'a>(
    summary: &'a MessageSummary,
    decoded: Option<&'a Decoded>,
    lang: Lang,
) -> Element<'a, Message> {
    let subject = decoded
        .and_then(|d| d.subject.clone())
        .unwrap_or_else(|| summary.subject.clone());
    let subject = if subject.trim().is_empty() {
        lang.text(Text::NoSubject).to_owned()
    } else {
        subject
    };
    let from = match decoded {
        Some(d) if !d.from.is_empty() => people(&d.from),
        _ => summary
            .from
            .as_ref()
            .map(|a| match &a.name {
                Some(name) => format!("{name} <{}>", a.email),
                None => a.email.clone(),
            })
            .unwrap_or_default(),
    };
    let field = |label: Text, value: String| {
        row![
            text(lang.text(label))
                .size(style::SMALL)
                .style(style::muted)
                .width(64),
            text(value).size(style::SMALL).width(Fill),
        ]
        .spacing(8)
    };
    let action = |key: Text, message: Message| {
        iced::widget::button(text(lang.text(key)).size(style::SMALL))
            .style(style::outline_button)
            .padding([5, 12])
            .on_press(message)
    };
    let mut actions = row![text(subject).size(20).font(style::bold()).width(Fill)].spacing(8);
    // Replies are made from the message itself, so only once it is here.
    if decoded.is_some() {
        actions = actions
            .push(action(Text::Reply, Message::Reply(ReplyMode::Sender, lang)))
            .push(action(Text::ReplyAll, Message::Reply(ReplyMode::All, lang)))
            .push(action(Text::Forward, Message::Forward(lang)));
    }
    actions = actions.push(action(Text::DeleteMessage, Message::Delete));
    let mut block = column![actions, field(Text::HeaderFrom, from)].spacing(4);
    if let Some(d) = decoded {
        if !d.to.is_empty() {
            block = block.push(field(Text::HeaderTo, people(&d.to)));
        }
        if !d.cc.is_empty() {
            block = block.push(field(Text::HeaderCc, people(&d.cc)));
        }
    }
    block = block.push(field(
        Text::HeaderDate,
        long_date(decoded.and_then(|d| d.date).or(summary.date)),
    ));
    block.into()
}

/// A sanitised HTML body as styled text; remote images are counted and, on request, listed.
fn html_body<'a>(
    mut body: iced::widget::Column<'a, Message>,
    rendered: &'a html::Rendered,
    remote_images: bool,
    lang: Lang,
) -> iced::widget::Column<'a, Message> {
    let images = rendered.remote_images.len();
    if images > 0 && !remote_images {
        body = body.push(
            container(
                row![
                    text(fill(
                        lang.text(Text::RemoteImagesBlocked),
                        &[("count", &images.to_string())],
                    ))
                    .size(style::TINY)
                    .style(style::muted)
                    .width(Fill),
                    iced::widget::button(text(lang.text(Text::LoadRemoteImages)).size(style::TINY))
                        .style(style::outline_button)
                        .padding([3, 10])
                        .on_press(Message::LoadRemoteImages),
                ]
                .spacing(8)
                .align_y(iced::Center),
            )
            .padding([6, 10])
            .width(Fill)
            .style(style::inset),
        );
    }
    let spans: Vec<iced::advanced::text::Span<'a, String>> = rendered
        .pieces
        .iter()
        .map(|piece| {
            let mut font = iced::Font::default();
            if piece.bold {
                font.weight = iced::font::Weight::Bold;
            }
            if piece.italic {
                font.style = iced::font::Style::Italic;
            }
            let words: std::borrow::Cow<'a, str> = if piece.text.contains(html::IMAGE) {
                piece
                    .text
                    .replace(html::IMAGE, lang.text(Text::ImageNoAddress))
                    .into()
            } else {
                piece.text.as_str().into()
            };
            let mut one = iced::widget::span(words).font(font);
            if let Some(link) = &piece.link {
                one = one.link(link.clone()).underline(true);
            }
            one
        })
        .collect();
    body = body.push(
        iced::widget::rich_text(spans)
            // Links are shown with their address; opening one is left to the person (copying
            // it), so nothing is fetched from the reader.
            .on_link_click(|_: String| Message::LinkClicked)
            .size(style::BODY)
            .width(Fill),
    );
    if remote_images {
        let mut list = column![].spacing(2);
        for url in &rendered.remote_images {
            list = list.push(
                text(fill(lang.text(Text::RemoteImage), &[("url", url)]))
                    .size(style::TINY)
                    .style(style::muted),
            );
        }
        body = body.push(list);
    }
    body
}

pub fn view<'a>(state: &'a State, lang: Lang) -> Element<'a, Message> {
    match state.reader() {
        Reader::Empty => centered(lang.text(Text::SelectAMessage).to_owned()),
        Reader::Failed(problem) => centered(fill(
            lang.text(Text::MessageUnreadable),
            &[("detail", problem)],
        )),
        Reader::Loading(summary) => column![
            headers(summary, None, lang),
            text(lang.text(Text::Loading))
                .size(style::SMALL)
                .style(style::muted)
        ]
        .spacing(16)
        .padding(20)
        .into(),
        Reader::NotDownloaded(summary) => column![
            headers(summary, None, lang),
            rule::horizontal(1),
            text(lang.text(Text::BodyNotDownloaded))
                .size(style::SMALL)
                .style(style::muted)
        ]
        .spacing(16)
        .padding(20)
        .into(),
        Reader::Shown {
            summary,
            decoded,
            html,
            remote_images,
        } => {
            let mut body = column![headers(summary, Some(decoded), lang), rule::horizontal(1)]
                .spacing(14)
                .padding(20);
            match html {
                Some(rendered) => body = html_body(body, rendered, *remote_images, lang),
                None => {
                    body = body.push(
                        text(decoded.text.as_deref().unwrap_or_default())
                            .size(style::BODY)
                            .width(Fill),
                    )
                }
            }
            if !decoded.attachments.is_empty() {
                let mut list = column![
                    text(lang.text(Text::AttachmentsHeading))
                        .size(style::SMALL)
                        .font(style::bold())
                ]
                .spacing(4);
                for attachment in &decoded.attachments {
                    list = list.push(
                        text(format!(
                            "⎘ {}  ({}, {} KB)",
                            attachment.file_name.as_deref().unwrap_or("—"),
                            attachment.content_type,
                            attachment.size.div_ceil(1024)
                        ))
                        .size(style::SMALL),
                    );
                }
                body = body.push(rule::horizontal(1)).push(list);
            }
            scrollable(body.push(Space::new().height(20)))
                .height(Fill)
                .into()
        }
    }
}
