//! The reader as drawn: its toolbar and headers, then the body. HTML mail is shown laid out
//! (src/ui/html_page.rs: no script, no network); where it cannot be, as text.

use chrono::{Local, TimeZone};
use iced::widget::{Space, column, container, row, rule, scrollable, text};
use iced::{Element, Fill};
use tayori::compose::ReplyMode;
use tayori::i18n::{Lang, Plural, Text, fill};
use tayori::mime::{Decoded, Mailbox};
use tayori::store::MessageSummary;

use super::super::html;
use super::{
    Content, Message, Notice, PageState, PageView, Reader, Receipt, RemoteState, Selection,
};
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
    // Reader and list actions: each button names its key in a tooltip.
    let action = |key: Text, shortcut: &'static str, message: Message| -> Element<'a, Message> {
        let button = iced::widget::button(text(lang.text(key)).size(style::SMALL))
            .style(style::outline_button)
            .padding([4, 10])
            .on_press(message);
        iced::widget::tooltip(
            button,
            container(
                text(fill(lang.text(Text::ShortcutKey), &[("key", shortcut)])).size(style::TINY),
            )
            .padding([3, 8])
            .style(style::inset),
            iced::widget::tooltip::Position::Bottom,
        )
        .into()
    };
    let mut toolbar = row![].spacing(6).align_y(iced::Center);
    // Replies are made from the message itself, so only once it is here.
    if decoded.is_some() {
        toolbar = toolbar
            .push(action(
                Text::Reply,
                "r",
                Message::Reply(ReplyMode::Sender, lang),
            ))
            .push(action(
                Text::ReplyAll,
                "a",
                Message::Reply(ReplyMode::All, lang),
            ))
            .push(action(Text::Forward, "f", Message::Forward(lang)));
    }
    toolbar = toolbar
        .push(Space::new().width(Fill))
        .push(action(
            if summary.flags.flagged {
                Text::ReaderUnflag
            } else {
                Text::ReaderFlag
            },
            "s",
            Message::ToggleFlagged,
        ))
        .push(action(
            if summary.flags.seen {
                Text::ReaderMarkUnread
            } else {
                Text::ReaderMarkRead
            },
            "u",
            Message::ToggleSeen,
        ))
        .push(action(Text::DeleteMessage, "Delete", Message::Delete));
    let mut block = column![
        toolbar,
        text(subject).size(20).font(style::bold()).width(Fill),
        field(Text::HeaderFrom, from)
    ]
    .spacing(6);
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
                    text(lang.plural(Plural::RemoteImagesBlocked, images as u64))
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
            // A web link is opened only after the reader has shown where it goes.
            .on_link_click(Message::LinkClicked)
            .size(style::BODY)
            .wrapping(style::PROSE)
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

/// Reports the width `content` is given: the HTML page is laid out to it.
fn measured<'a>(content: impl Into<Element<'a, Message>>) -> Element<'a, Message> {
    // Without `on_show`, the sensor reports every size it is given, in view or not (a long page
    // scrolled to its middle is resized too).
    iced::widget::sensor(container(content).width(Fill))
        .on_resize(|size| Message::PageWidth(size.width))
        .into()
}

/// A bar under the headers: what was held back, and the way to load it.
fn notice_bar<'a>(words: String, action: Option<Element<'a, Message>>) -> Element<'a, Message> {
    let mut line = row![
        text(words)
            .size(style::TINY)
            .style(style::muted)
            .width(Fill)
    ]
    .spacing(8)
    .align_y(iced::Center);
    if let Some(action) = action {
        line = line.push(action);
    }
    container(line)
        .padding([6, 10])
        .width(Fill)
        .style(style::inset)
        .into()
}

/// An HTML body laid out: the page's tiles, its links clickable, what it held back said above.
fn page_body<'a>(
    mut body: iced::widget::Column<'a, Message>,
    view: &'a PageView,
    remote: RemoteState,
    over_link: bool,
    selection: Option<&Selection>,
    lang: Lang,
) -> iced::widget::Column<'a, Message> {
    match remote {
        RemoteState::Blocked if !view.remote.is_empty() => {
            let load =
                iced::widget::button(text(lang.text(Text::LoadRemoteImages)).size(style::TINY))
                    .style(style::outline_button)
                    .padding([3, 10])
                    .on_press(Message::LoadRemoteImages);
            let always = iced::widget::button(
                text(lang.text(Text::LoadRemoteImagesAlways)).size(style::TINY),
            )
            .style(style::outline_button)
            .padding([3, 10])
            .on_press(Message::LoadRemoteImagesAlways);
            body = body.push(notice_bar(
                lang.plural(Plural::RemoteImagesBlocked, view.remote.len() as u64),
                Some(row![load, always].spacing(6).into()),
            ));
        }
        RemoteState::Loading => {
            body = body.push(notice_bar(
                lang.text(Text::RemoteImagesLoading).to_owned(),
                None,
            ));
        }
        RemoteState::Loaded { failed } if failed > 0 => {
            body = body.push(notice_bar(
                lang.plural(Plural::RemoteImagesFailed, failed as u64),
                None,
            ));
        }
        _ => {}
    }
    if view.trackers > 0 {
        body = body.push(notice_bar(
            lang.plural(Plural::TrackersBlocked, view.trackers as u64),
            None,
        ));
    }
    let selected = selection
        .map(|selection| view.selected(selection))
        .unwrap_or_default();
    if selection.is_some_and(|s| !s.dragging) && !selected.is_empty() {
        let copy = iced::widget::button(text(lang.text(Text::CopySelection)).size(style::TINY))
            .style(style::outline_button)
            .padding([3, 10])
            .on_press(Message::CopySelection);
        body = body.push(notice_bar(
            lang.text(Text::SelectionHint).to_owned(),
            Some(copy.into()),
        ));
    }
    let tiles = super::page_tiles::PageTiles::new(
        view.width,
        view.scale,
        &view.tiles,
        view.dark_tiles.as_deref(),
    );
    // The selection: a translucent mark over each selected word, laid over the page.
    let mut layers = iced::widget::Stack::new().push(tiles);
    for run in selected {
        layers = layers.push(
            iced::widget::pin(
                container(Space::new())
                    .width(run.at.width.max(1.0))
                    .height(run.at.height)
                    .style(style::selection_mark),
            )
            .x(run.at.x)
            .y(run.at.y),
        );
    }
    let page = iced::widget::mouse_area(layers)
        .on_move(Message::PageHover)
        .on_press(Message::PagePressed)
        .on_release(Message::PageReleased)
        .interaction(if over_link {
            iced::mouse::Interaction::Pointer
        } else {
            iced::mouse::Interaction::Idle
        });
    body.push(measured(page))
}

pub fn view<'a>(reader: &'a Reader, lang: Lang) -> Element<'a, Message> {
    match &reader.content {
        Content::Empty => centered(lang.text(Text::SelectAMessage).to_owned()),
        Content::Failed(problem) => centered(fill(
            lang.text(Text::MessageUnreadable),
            &[("detail", &problem.detail)],
        )),
        Content::Loading(summary) => column![
            headers(summary, None, lang),
            text(lang.text(Text::Loading))
                .size(style::SMALL)
                .style(style::muted)
        ]
        .spacing(16)
        .padding(20)
        .into(),
        Content::NotDownloaded(summary) => column![
            headers(summary, None, lang),
            rule::horizontal(1),
            text(lang.text(Text::BodyNotDownloaded))
                .size(style::SMALL)
                .style(style::muted)
        ]
        .spacing(16)
        .padding(20)
        .into(),
        Content::Shown {
            summary,
            decoded,
            html,
            remote_images,
            page,
            remote,
            ..
        } => {
            let mut body = column![headers(summary, Some(decoded), lang), rule::horizontal(1)]
                .spacing(14)
                .padding(20);
            if let Some(receipt) = &reader.receipt {
                body = body.push(receipt_bar(receipt, lang));
            }
            let plain = decoded.text.as_deref().filter(|t| !t.trim().is_empty());
            let html = match page {
                PageState::Ready(view) => {
                    body = page_body(
                        body,
                        view,
                        *remote,
                        reader.hovered.is_some(),
                        reader.selection.as_ref(),
                        lang,
                    );
                    // A page cut at its height limit goes on as text.
                    view.cut
                        .then_some(html.as_ref())
                        .flatten()
                        .filter(|rendered| rendered.limit.is_none())
                }
                // Laid out in a moment (a few milliseconds): the space measures the width.
                PageState::Waiting => {
                    body = body.push(measured(Space::new().width(Fill).height(1)));
                    None
                }
                PageState::Failed(error) => {
                    body = body.push(
                        container(
                            text(fill(
                                lang.text(Text::ReaderHtmlAsText),
                                &[("detail", &error.to_string())],
                            ))
                            .size(style::SMALL),
                        )
                        .padding([6, 10])
                        .width(Fill)
                        .style(style::inset),
                    );
                    html.as_ref()
                }
                PageState::None => html.as_ref(),
            };
            if matches!(page, PageState::Ready(view) if view.cut) && html.is_some() {
                body = body.push(
                    container(text(lang.text(Text::ReaderHtmlLongCut)).size(style::SMALL))
                        .padding([6, 10])
                        .width(Fill)
                        .style(style::inset),
                );
            }
            let waiting_or_laid = matches!(page, PageState::Ready(_) | PageState::Waiting);
            match html {
                None if waiting_or_laid => {}
                // A hostile HTML body met a bound: its plain text is shown instead, if it has one,
                // and the reader says why.
                Some(rendered) if rendered.limit.is_some() => {
                    let (note, shown) = match plain {
                        Some(_) => (Text::ReaderHtmlPlainInstead, None),
                        None => (Text::ReaderHtmlCut, Some(rendered)),
                    };
                    body = body.push(
                        container(text(lang.text(note)).size(style::SMALL))
                            .padding([6, 10])
                            .width(Fill)
                            .style(style::inset),
                    );
                    body = match shown {
                        Some(rendered) => html_body(body, rendered, *remote_images, lang),
                        None => body.push(plain_text(plain.unwrap_or_default())),
                    };
                }
                Some(rendered) => body = html_body(body, rendered, *remote_images, lang),
                None => body = body.push(plain_text(decoded.text.as_deref().unwrap_or_default())),
            }
            // Images the page shows (a signature's logo, a pasted screenshot) are part of it, as
            // in Outlook and Apple Mail; shown as text, the message lists them.
            let on_page: &[String] = match page {
                PageState::Ready(view) => &view.inline_drawn,
                _ => &[],
            };
            let listed: Vec<usize> = (0..decoded.attachments.len())
                .filter(|&index| {
                    decoded.attachments[index]
                        .content_id
                        .as_ref()
                        .is_none_or(|id| !on_page.contains(id))
                })
                .collect();
            if !listed.is_empty() || !decoded.external_bodies.is_empty() {
                body = body
                    .push(rule::horizontal(1))
                    .push(attachments(decoded, &listed, lang));
            }
            let mut pane = column![scrollable(body.push(Space::new().height(20))).height(Fill)];
            // Outside the scrolled text, so it shows wherever the link was.
            if let Some(bar) = action_bar(reader, lang) {
                pane = pane.push(bar);
            }
            pane.into()
        }
    }
}

/// A plain-text body.
fn plain_text(body: &str) -> iced::widget::Text<'_> {
    text(body)
        .size(style::BODY)
        .wrapping(style::PROSE)
        .width(Fill)
}

/// A size as people read it: bytes, KB or MB.
fn size_text(bytes: usize, lang: Lang) -> String {
    if bytes < 1024 {
        lang.plural(Plural::AttachmentBytes, bytes as u64)
    } else if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// The attachments `listed` (indices into the message's): name, type and size, with Save… and —
/// for documents, not programs — Open.
fn attachments<'a>(decoded: &'a Decoded, listed: &[usize], lang: Lang) -> Element<'a, Message> {
    let mut list = column![
        text(lang.text(Text::AttachmentsHeading))
            .size(style::SMALL)
            .font(style::bold())
    ]
    .spacing(6);
    for &index in listed {
        let attachment = &decoded.attachments[index];
        let name = tayori::attachment::safe_file_name(
            attachment.file_name.as_deref(),
            &attachment.content_type,
            index,
        );
        let risky = tayori::attachment::is_risky_to_open(&name);
        let button = |label: Text, message: Message| {
            iced::widget::button(text(lang.text(label)).size(style::TINY))
                .style(style::outline_button)
                .padding([3, 10])
                .on_press(message)
        };
        let mut line = row![
            text("❏").size(style::BODY).style(style::muted),
            column![
                text(name).size(style::SMALL).font(style::bold()),
                text(format!(
                    "{}  ·  {}",
                    attachment.content_type,
                    size_text(attachment.size, lang)
                ))
                .size(style::TINY)
                .style(style::muted),
            ]
            .width(Fill),
            button(Text::AttachmentSave, Message::SaveAttachment(index)),
        ]
        .spacing(8)
        .align_y(iced::Center);
        if !risky {
            line = line.push(button(Text::AttachmentOpen, Message::OpenAttachment(index)));
        }
        list = list.push(
            container(line)
                .padding([6, 10])
                .width(Fill)
                .style(style::inset),
        );
    }
    // References to content elsewhere: what and where, as the sender wrote it, and no button —
    // nothing is fetched or opened from here.
    for external in &decoded.external_bodies {
        let place = match &external.location {
            Some(location) => fill(
                lang.text(Text::ExternalBodyWhere),
                &[("location", location)],
            ),
            None => lang.text(Text::ExternalBodyUnknown).to_owned(),
        };
        let mut kind = fill(
            lang.text(Text::ExternalBodyDetails),
            &[
                ("access", &external.access_type),
                ("type", external.content_type.as_deref().unwrap_or("?")),
            ],
        );
        if let Some(size) = external.size {
            kind.push_str(&format!("  ·  {}", size_text(size as usize, lang)));
        }
        if let Some(expiration) = &external.expiration {
            kind.push_str(&format!("  ·  {expiration}"));
        }
        let line = row![
            text("⇢").size(style::BODY).style(style::muted),
            column![
                text(lang.text(Text::ExternalBodyHeading))
                    .size(style::SMALL)
                    .font(style::bold()),
                text(place)
                    .size(style::TINY)
                    .wrapping(iced::widget::text::Wrapping::WordOrGlyph),
                text(kind).size(style::TINY).style(style::muted),
                text(lang.text(Text::ExternalBodyNotFetched))
                    .size(style::TINY)
                    .style(style::muted),
            ]
            .spacing(2)
            .width(Fill),
        ]
        .spacing(8)
        .align_y(iced::Center);
        list = list.push(
            container(line)
                .padding([6, 10])
                .width(Fill)
                .style(style::inset),
        );
    }
    list.into()
}

/// The question a message's request for a read receipt raises, or what became of the answer.
fn receipt_bar<'a>(receipt: &'a Receipt, lang: Lang) -> Element<'a, Message> {
    let small = |words: String| text(words).size(style::SMALL);
    let content: Element<'a, Message> = match receipt {
        Receipt::Asked {
            sender,
            to,
            elsewhere,
        } => {
            let mut lines = column![small(fill(
                lang.text(Text::ReceiptAsked),
                &[("sender", sender)]
            ))]
            .spacing(3)
            .width(Fill);
            if *elsewhere {
                lines = lines.push(
                    small(fill(
                        lang.text(Text::ReceiptElsewhere),
                        &[("address", &to.address)],
                    ))
                    .style(style::danger),
                );
            }
            row![
                lines,
                iced::widget::button(small(lang.text(Text::ReceiptSend).to_owned()))
                    .style(style::outline_button)
                    .padding([4, 10])
                    .on_press(Message::SendReceipt(lang)),
                iced::widget::button(small(lang.text(Text::ReceiptDecline).to_owned()))
                    .style(style::outline_button)
                    .padding([4, 10])
                    .on_press(Message::DeclineReceipt),
            ]
            .spacing(8)
            .align_y(iced::Center)
            .into()
        }
        Receipt::Sending => small(lang.text(Text::Loading).to_owned()).into(),
        Receipt::Queued { address } => small(fill(
            lang.text(Text::ReceiptQueued),
            &[("address", address)],
        ))
        .into(),
        Receipt::Failed { detail } => {
            small(fill(lang.text(Text::ReceiptFailed), &[("detail", detail)]))
                .style(style::danger)
                .into()
        }
    };
    container(content)
        .padding([8, 12])
        .width(Fill)
        .style(style::inset)
        .into()
}

/// The bar under the reader: a link waiting for confirmation, or what the last action said.
fn action_bar<'a>(reader: &'a Reader, lang: Lang) -> Option<Element<'a, Message>> {
    if let Some(link) = &reader.link {
        // Where it really leads: the address a Safe Links wrapping hides, else the link's own.
        let target = link.real.as_ref().unwrap_or(&link.url);
        let host = target.host_str().unwrap_or_default();
        let mut lines = column![
            text(lang.text(Text::LinkConfirm))
                .size(style::SMALL)
                .font(style::bold()),
            text(fill(lang.text(Text::LinkGoesTo), &[("host", host)])).size(style::SMALL),
            text(target.as_str())
                .size(style::TINY)
                .style(style::muted)
                .wrapping(iced::widget::text::Wrapping::Glyph),
        ]
        .spacing(3)
        .width(Fill);
        if link.real.is_some() {
            lines = lines.push(
                text(lang.text(Text::LinkSafeLinks))
                    .size(style::TINY)
                    .style(style::muted),
            );
        }
        if let Some((shown, real)) = &link.deceptive {
            lines = lines.push(
                text(fill(
                    lang.text(Text::LinkDeceptive),
                    &[("shown", shown), ("real", real)],
                ))
                .size(style::SMALL)
                .style(style::danger),
            );
        }
        let bar = row![
            lines,
            iced::widget::button(text(lang.text(Text::LinkOpen)).size(style::SMALL))
                .style(style::primary_button)
                .padding([5, 12])
                .on_press(Message::OpenLink),
            iced::widget::button(text(lang.text(Text::LinkCancel)).size(style::SMALL))
                .style(style::outline_button)
                .padding([5, 12])
                .on_press(Message::CancelLink),
        ]
        .spacing(8)
        .align_y(iced::Center);
        let style = if link.deceptive.is_some() {
            style::problem
        } else {
            style::notice
        };
        return Some(
            container(bar)
                .padding([10, 14])
                .width(Fill)
                .style(style)
                .into(),
        );
    }
    let notice = reader.notice.as_ref()?;
    let (words, problem) = match notice {
        Notice::Saved { name, path } => (
            fill(
                lang.text(Text::AttachmentSaved),
                &[("name", name), ("path", &path.display().to_string())],
            ),
            false,
        ),
        Notice::SaveFailed { name, detail } => (
            fill(
                lang.text(Text::AttachmentSaveFailed),
                &[("name", name), ("detail", detail)],
            ),
            true,
        ),
        Notice::OpenFailed { name, detail } => (
            fill(
                lang.text(Text::AttachmentOpenFailed),
                &[("name", name), ("detail", detail)],
            ),
            true,
        ),
        Notice::LinkFailed { detail } => (
            fill(lang.text(Text::LinkOpenFailed), &[("detail", detail)]),
            true,
        ),
        Notice::MailtoInvalid { detail } => (
            fill(lang.text(Text::MailtoInvalid), &[("detail", detail)]),
            true,
        ),
        Notice::ActionFailed { detail } => (
            fill(lang.text(Text::ActionFailed), &[("detail", detail)]),
            true,
        ),
    };
    Some(
        container(text(words).size(style::SMALL))
            .padding([8, 14])
            .width(Fill)
            .style(if problem {
                style::problem
            } else {
                style::notice
            })
            .into(),
    )
}
