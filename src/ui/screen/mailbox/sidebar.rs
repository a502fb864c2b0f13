//! Accounts and their folders: all inboxes first, then each account with its special-use folders in
//! a fixed order (with a mark each) before the others, and unread counts.

use iced::widget::{Space, button, column, container, row, scrollable, text};
use iced::{Center, Element, Fill, Length, Theme};
use tayori::i18n::{Lang, Text};
use tayori::store::{Folder, FolderRole};

use super::{Message, Source, State};
use crate::ui::background::Background;
use crate::ui::style;

pub fn role_text(role: FolderRole) -> Text {
    match role {
        FolderRole::Inbox => Text::FolderInbox,
        FolderRole::Drafts => Text::FolderDrafts,
        FolderRole::Sent => Text::FolderSent,
        FolderRole::Archive => Text::FolderArchive,
        FolderRole::Junk => Text::FolderJunk,
        FolderRole::Trash => Text::FolderTrash,
        FolderRole::All => Text::FolderAll,
        FolderRole::Flagged => Text::FolderFlagged,
    }
}

/// A mark for each kind of folder, from glyphs every common UI font has.
fn mark(role: Option<FolderRole>) -> &'static str {
    match role {
        Some(FolderRole::Inbox) => "✉",
        Some(FolderRole::Drafts) => "✎",
        Some(FolderRole::Sent) => "➤",
        Some(FolderRole::Archive) => "▤",
        Some(FolderRole::Junk) => "⚠",
        Some(FolderRole::Trash) => "✕",
        Some(FolderRole::All) => "≡",
        Some(FolderRole::Flagged) => "⚑",
        None => "▫",
    }
}

/// A folder's name as shown: the role's own word, else the last part of its path.
fn folder_name(folder: &Folder, lang: Lang) -> String {
    match folder.role {
        Some(role) => lang.text(role_text(role)).to_owned(),
        None => {
            let delimiter = folder.delimiter.as_deref().unwrap_or("/");
            folder
                .name
                .rsplit(delimiter)
                .next()
                .unwrap_or(&folder.name)
                .to_owned()
        }
    }
}

/// One line of the sidebar. `refused`: why the server would not open the folder in the last
/// sync, shown on hover over a mark after its name.
fn entry<'a>(
    glyph: &'a str,
    name: String,
    unread: u32,
    depth: usize,
    selected: bool,
    refused: Option<String>,
    on_press: Message,
) -> Element<'a, Message> {
    let mut line = row![
        Space::new().width(Length::Fixed(depth as f32 * 12.0)),
        container(text(glyph).size(style::SMALL).style(style::muted).center()).width(18),
        text(name)
            .size(style::SMALL)
            .font_maybe((unread > 0).then(style::bold))
            .wrapping(iced::widget::text::Wrapping::None),
        Space::new().width(Fill),
    ]
    .spacing(6)
    .align_y(Center);
    if let Some(why) = refused {
        line = line.push(iced::widget::tooltip(
            text("⚠").size(style::SMALL).style(style::danger),
            container(text(why).size(style::TINY))
                .padding([3, 8])
                .max_width(320)
                .style(style::inset),
            iced::widget::tooltip::Position::Right,
        ));
    }
    if unread > 0 {
        line = line.push(
            container(
                text(unread.to_string())
                    .size(style::TINY)
                    .font(style::bold()),
            )
            .padding([1, 7])
            .style(|theme: &Theme| {
                let palette = theme.extended_palette();
                iced::widget::container::Style {
                    background: Some(palette.primary.weak.color.into()),
                    text_color: Some(palette.primary.weak.text),
                    border: iced::border::rounded(9),
                    ..Default::default()
                }
            }),
        );
    }
    button(line)
        .padding([6, 8])
        .width(Fill)
        .style(move |theme: &Theme, status| style::row_button(theme, status, selected))
        .on_press(on_press)
        .into()
}

/// Why the server would not open `folder` in its account's last sync, in words for the person.
pub fn refused_because(background: &Background, folder: &Folder, lang: Lang) -> Option<String> {
    background
        .refused(&folder.account)
        .iter()
        .find(|refused| refused.folder == folder.name)
        .map(|refused| {
            tayori::i18n::fill(
                lang.text(Text::FolderRefusedTip),
                &[("reason", refused.server_words())],
            )
        })
}

pub fn view<'a>(state: &'a State, lang: Lang, background: &'a Background) -> Element<'a, Message> {
    let selected = state.list.source;
    let folders = state.folders();
    let inbox_unread: u32 = folders
        .iter()
        .filter(|f| f.role == Some(FolderRole::Inbox))
        .map(|f| f.unread)
        .sum();
    let mut list = column![entry(
        "✉",
        lang.text(Text::UnifiedInbox).to_owned(),
        inbox_unread,
        0,
        selected == Source::Unified,
        None,
        Message::Select(Source::Unified),
    )]
    .spacing(2);
    let mut accounts: Vec<&str> = folders.iter().map(|f| f.account.as_str()).collect();
    accounts.dedup();
    for account in accounts {
        list = list.push(
            container(
                text(account)
                    .size(style::TINY)
                    .font(style::bold())
                    .style(style::muted)
                    .wrapping(iced::widget::text::Wrapping::None),
            )
            .padding(iced::Padding {
                top: 14.0,
                right: 8.0,
                bottom: 4.0,
                left: 8.0,
            }),
        );
        for folder in folders.iter().filter(|f| f.account == account) {
            // Sub-folders of ordinary folders are indented by their depth.
            let depth = match (folder.role, folder.delimiter.as_deref()) {
                (None, Some(delimiter)) if !delimiter.is_empty() => {
                    folder.name.matches(delimiter).count()
                }
                _ => 0,
            };
            list = list.push(entry(
                mark(folder.role),
                folder_name(folder, lang),
                folder.unread,
                depth,
                selected == Source::Folder(folder.id),
                refused_because(background, folder, lang),
                Message::Select(Source::Folder(folder.id)),
            ));
        }
    }
    container(
        column![
            button(text(lang.text(Text::NewMessage)).size(style::SMALL))
                .style(style::primary_button)
                .padding([8, 12])
                .width(Fill)
                .on_press(Message::Compose),
            scrollable(list).height(Fill),
            button(text(lang.text(Text::AddAccount)).size(style::SMALL))
                .style(style::outline_button)
                .padding([8, 12])
                .width(Fill)
                .on_press(Message::AddAccount),
            row![
                button(text(lang.text(Text::SettingsTitle)).size(style::TINY))
                    .style(style::link_button)
                    .on_press(Message::OpenSettings),
                Space::new().width(Fill),
                button(text(lang.text(Text::SwitchLanguage)).size(style::TINY))
                    .style(style::link_button)
                    .on_press(Message::SwitchLanguage),
            ],
        ]
        .spacing(8),
    )
    .padding(10)
    .width(Length::Fixed(250.0))
    .height(Fill)
    .style(style::backdrop)
    .into()
}
