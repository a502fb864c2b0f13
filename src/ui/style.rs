//! The look shared by every screen: cards, headings, quiet text, status marks. Colours come from the
//! theme's palette, so light and dark mode both read well.

use iced::widget::{button, container, text};
use iced::{Border, Color, Element, Font, Shadow, Theme, Vector, border};

/// Sizes, in one place so screens agree.
pub const TITLE: f32 = 24.0;
pub const BODY: f32 = 15.0;
pub const SMALL: f32 = 13.0;
pub const TINY: f32 = 12.0;
/// How message text (the reader's body, the composer's editor) breaks into lines: at the Unicode
/// line-break opportunities (UAX #14, which cosmic-text follows), which keep Japanese kinsoku —
/// no 。、」！？ at the start of a line, no 「（ at its end. `Glyph` would break anywhere.
/// `ui::fonts::line_break_test` checks it through the window's text engine.
pub const PROSE: iced::widget::text::Wrapping = iced::widget::text::Wrapping::Word;

/// The window's font, heavier: headings and labels.
pub fn bold() -> Font {
    super::fonts::bold()
}

pub fn heading<'a, M: 'a>(content: impl text::IntoFragment<'a>) -> Element<'a, M> {
    text(content).size(TITLE).font(bold()).into()
}

/// Text a little quieter than the body: explanations under a heading, labels.
pub fn muted(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(theme.palette().text.scale_alpha(0.68)),
    }
}

pub fn success(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(theme.extended_palette().success.strong.color),
    }
}

pub fn danger(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(theme.extended_palette().danger.base.color),
    }
}

pub fn accent(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(theme.extended_palette().primary.base.color),
    }
}

/// The raised panel a screen's content sits on.
pub fn card(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    container::Style {
        background: Some(palette.background.base.color.into()),
        border: Border {
            color: palette.background.strong.color.scale_alpha(0.6),
            width: 1.0,
            radius: 12.0.into(),
        },
        shadow: Shadow {
            color: Color::BLACK.scale_alpha(if palette.is_dark { 0.5 } else { 0.10 }),
            offset: Vector::new(0.0, 4.0),
            blur_radius: 18.0,
        },
        ..container::Style::default()
    }
}

/// The window behind the card: a shade off the card's own colour.
pub fn backdrop(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    container::Style {
        background: Some(palette.background.weak.color.into()),
        ..container::Style::default()
    }
}

/// A button for something that cannot be undone (removing an account).
pub fn danger_button(theme: &Theme, status: button::Status) -> button::Style {
    button::Style {
        border: border::rounded(6),
        ..button::danger(theme, status)
    }
}

/// A quiet inset box (lists of sources, server details).
pub fn inset(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    container::Style {
        background: Some(palette.background.weaker.color.into()),
        border: border::rounded(8),
        ..container::Style::default()
    }
}

/// Text selected on an HTML page: the theme's primary colour, see-through, over the words.
pub fn selection_mark(theme: &Theme) -> container::Style {
    let primary = theme.extended_palette().primary.base.color;
    container::Style {
        background: Some(Color { a: 0.35, ..primary }.into()),
        ..container::Style::default()
    }
}

/// A box that says something went wrong, tinted with the danger colour.
pub fn problem(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    container::Style {
        background: Some(palette.danger.base.color.scale_alpha(0.08).into()),
        border: Border {
            color: palette.danger.base.color.scale_alpha(0.45),
            width: 1.0,
            radius: 8.0.into(),
        },
        ..container::Style::default()
    }
}

/// A box that asks for a decision (trusting another domain).
pub fn notice(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    container::Style {
        background: Some(palette.warning.base.color.scale_alpha(0.10).into()),
        border: Border {
            color: palette.warning.base.color.scale_alpha(0.55),
            width: 1.0,
            radius: 8.0.into(),
        },
        ..container::Style::default()
    }
}

/// The main action: filled with the accent colour, softly rounded.
pub fn primary_button(theme: &Theme, status: button::Status) -> button::Style {
    button::Style {
        border: border::rounded(6),
        ..button::primary(theme, status)
    }
}

/// Secondary actions (Back, Cancel): an outline that stays quiet next to the main action.
pub fn outline_button(theme: &Theme, status: button::Status) -> button::Style {
    let palette = theme.extended_palette();
    let background = match status {
        button::Status::Hovered => palette.background.weak.color,
        button::Status::Pressed => palette.background.strong.color,
        button::Status::Active | button::Status::Disabled => palette.background.base.color,
    };
    button::Style {
        background: Some(background.into()),
        text_color: if status == button::Status::Disabled {
            palette.background.base.text.scale_alpha(0.5)
        } else {
            palette.background.base.text
        },
        border: Border {
            color: palette.background.strong.color,
            width: 1.0,
            radius: 6.0.into(),
        },
        ..button::Style::default()
    }
}

/// A text link: other ways forward that need no weight (enter settings by hand, use a password).
pub fn link_button(theme: &Theme, status: button::Status) -> button::Style {
    let palette = theme.extended_palette();
    button::Style {
        background: match status {
            button::Status::Hovered | button::Status::Pressed => {
                Some(palette.primary.weak.color.scale_alpha(0.15).into())
            }
            _ => None,
        },
        text_color: palette.primary.strong.color,
        border: border::rounded(6),
        ..button::Style::default()
    }
}

/// An indeterminate activity bar: a segment that travels while something runs. `phase` goes from
/// 0 to 1 and wraps.
pub fn activity<'a, M: 'a>(phase: f32) -> Element<'a, M> {
    use iced::widget::{Space, container, row};
    use iced::{Fill, FillPortion};
    let steps = 40u16;
    let at = ((phase.fract() * f32::from(steps)) as u16).min(steps - 1);
    let track = |theme: &Theme| container::Style {
        background: Some(theme.extended_palette().background.strong.color.into()),
        border: border::rounded(2),
        ..container::Style::default()
    };
    let bar = |theme: &Theme| container::Style {
        background: Some(theme.extended_palette().primary.base.color.into()),
        border: border::rounded(2),
        ..container::Style::default()
    };
    let mut segments = row![];
    if at > 0 {
        segments = segments.push(Space::new().width(FillPortion(at)));
    }
    segments = segments.push(
        container(Space::new())
            .width(FillPortion(10))
            .height(Fill)
            .style(bar),
    );
    segments = segments.push(Space::new().width(FillPortion(steps - at)));
    container(segments.height(Fill))
        .height(4)
        .width(Fill)
        .clip(true)
        .style(track)
        .into()
}

/// A row in a list (a folder, a message): flat, tinted when hovered, accented when selected.
pub fn row_button(theme: &Theme, status: button::Status, selected: bool) -> button::Style {
    let palette = theme.extended_palette();
    let background = if selected {
        Some(palette.primary.weak.color.scale_alpha(0.45).into())
    } else {
        match status {
            button::Status::Hovered | button::Status::Pressed => {
                Some(palette.background.strong.color.scale_alpha(0.45).into())
            }
            _ => None,
        }
    };
    button::Style {
        background,
        text_color: palette.background.base.text,
        border: border::rounded(6),
        ..button::Style::default()
    }
}
