//! The laid-out page's tiles, drawn one under the other: the darkened ones when the window's
//! theme is dark and the person chose darkened HTML mail. The theme is known only while drawing
//! (it may follow the system's), so the choice is made there.
//!
//! The tiles are painted at the window's scale factor: each holds `scale` device pixels per
//! logical pixel and is drawn at its logical size, so the screen shows its pixels one to one.

use iced::advanced::image::{self, Handle};
use iced::advanced::layout::{self, Layout};
use iced::advanced::mouse;
use iced::advanced::renderer;
use iced::advanced::widget::{Tree, Widget};
use iced::{Element, Length, Rectangle, Size, Theme};

/// Tiles `width` logical pixels wide and their heights in device pixels (`scale` per logical
/// one); `dark` the same tiles darkened, when there are.
pub struct PageTiles<'a> {
    width: f32,
    scale: f32,
    light: &'a [(Handle, u32)],
    dark: Option<&'a [(Handle, u32)]>,
}

impl<'a> PageTiles<'a> {
    pub fn new(
        width: u32,
        scale: f32,
        light: &'a [(Handle, u32)],
        dark: Option<&'a [(Handle, u32)]>,
    ) -> Self {
        PageTiles {
            width: width as f32,
            scale: if scale > 0.0 { scale } else { 1.0 },
            light,
            dark,
        }
    }

    fn height(&self) -> f32 {
        self.light
            .iter()
            .map(|(_, height)| *height as f32 / self.scale)
            .sum()
    }
}

impl<Message> Widget<Message, Theme, iced::Renderer> for PageTiles<'_> {
    fn size(&self) -> Size<Length> {
        Size::new(Length::Fixed(self.width), Length::Fixed(self.height()))
    }

    fn layout(
        &mut self,
        _tree: &mut Tree,
        _renderer: &iced::Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        layout::Node::new(limits.resolve(
            Length::Fixed(self.width),
            Length::Fixed(self.height()),
            Size::new(self.width, self.height()),
        ))
    }

    fn draw(
        &self,
        _tree: &Tree,
        renderer: &mut iced::Renderer,
        theme: &Theme,
        _style: &renderer::Style,
        layout: Layout<'_>,
        _cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        let tiles = match self.dark {
            Some(dark) if theme.extended_palette().is_dark => dark,
            _ => self.light,
        };
        let bounds = layout.bounds();
        let mut top = bounds.y;
        for (handle, height) in tiles {
            let tile = Rectangle::new(
                iced::Point::new(bounds.x, top),
                Size::new(self.width, *height as f32 / self.scale),
            );
            top += *height as f32 / self.scale;
            // Only the tiles in view are drawn.
            let Some(visible) = tile.intersection(viewport) else {
                continue;
            };
            image::Renderer::draw_image(
                renderer,
                image::Image {
                    handle: handle.clone(),
                    filter_method: image::FilterMethod::Nearest,
                    rotation: iced::Radians(0.0),
                    border_radius: Default::default(),
                    opacity: 1.0,
                    snap: true,
                },
                tile,
                visible,
            );
        }
    }
}

impl<'a, Message: 'a> From<PageTiles<'a>> for Element<'a, Message> {
    fn from(tiles: PageTiles<'a>) -> Self {
        Element::new(tiles)
    }
}
