//! The window's size, place and whether it was maximised, remembered between runs in
//! `window.toml` in the data folder (state, not a setting: it is not in `tayori.toml`).
//!
//! A file that is missing, unreadable or nonsensical (a monitor that is gone, a size of zero)
//! gives the default window rather than an error: nobody should be stopped by where a window was.

use std::path::{Path, PathBuf};

use iced::{Point, Size};

/// The first window: room for three panes on a laptop screen.
pub const DEFAULT_SIZE: Size = Size::new(1100.0, 720.0);
pub const MIN_SIZE: Size = Size::new(640.0, 480.0);
/// Larger than any screen: a saved size beyond it is a broken file.
const MAX_SIDE: f32 = 16384.0;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowState {
    pub width: f32,
    pub height: f32,
    /// Where the window's top-left corner was (not known on Wayland, where windows are placed by
    /// the compositor).
    pub x: Option<f32>,
    pub y: Option<f32>,
    pub maximized: bool,
}

impl Default for WindowState {
    fn default() -> Self {
        WindowState {
            width: DEFAULT_SIZE.width,
            height: DEFAULT_SIZE.height,
            x: None,
            y: None,
            maximized: false,
        }
    }
}

impl WindowState {
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("window.toml")
    }

    /// The remembered window, or the default one.
    pub fn load(data_dir: &Path) -> WindowState {
        let Ok(text) = std::fs::read_to_string(Self::path_in(data_dir)) else {
            return WindowState::default();
        };
        match toml::from_str::<WindowState>(&text) {
            Ok(state) => state.sane(),
            Err(error) => {
                tracing::info!(
                    "window.toml not understood ({}); using the default window",
                    error.message()
                );
                WindowState::default()
            }
        }
    }

    /// Writes it beside the store (a temporary file renamed over the old one).
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        std::fs::create_dir_all(data_dir)?;
        let temporary = data_dir.join(".window.toml.saving");
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, Self::path_in(data_dir))
    }

    /// Values no window can have are replaced by the default's.
    fn sane(self) -> WindowState {
        let fits = |side: f32, min: f32| side.is_finite() && (min..=MAX_SIDE).contains(&side);
        let mut state = self;
        if !fits(state.width, MIN_SIZE.width) || !fits(state.height, MIN_SIZE.height) {
            state.width = DEFAULT_SIZE.width;
            state.height = DEFAULT_SIZE.height;
        }
        // A corner far off every screen (a monitor unplugged): let the system place the window.
        let placed =
            |v: Option<f32>| v.filter(|v| v.is_finite() && (-MAX_SIDE..=MAX_SIDE).contains(v));
        match (placed(state.x), placed(state.y)) {
            (Some(x), Some(y)) => (state.x, state.y) = (Some(x), Some(y)),
            _ => (state.x, state.y) = (None, None),
        }
        state
    }

    pub fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }

    pub fn position(&self) -> iced::window::Position {
        match (self.x, self.y) {
            (Some(x), Some(y)) => iced::window::Position::Specific(Point::new(x, y)),
            _ => iced::window::Position::Centered,
        }
    }

    /// The window moved or was resized. While it is maximised its size is the screen's, not the
    /// one to restore, so only the flag changes then.
    pub fn record(&mut self, event: &iced::window::Event, maximized: bool) {
        self.maximized = maximized;
        if maximized {
            return;
        }
        match event {
            iced::window::Event::Resized(size) => {
                self.width = size.width;
                self.height = size.height;
            }
            iced::window::Event::Moved(point) => {
                self.x = Some(point.x);
                self.y = Some(point.y);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_remembered_and_nonsense_gives_the_default() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(WindowState::load(dir.path()), WindowState::default());

        let mut state = WindowState::default();
        state.record(
            &iced::window::Event::Resized(Size::new(1400.0, 900.0)),
            false,
        );
        state.record(&iced::window::Event::Moved(Point::new(40.0, 30.0)), false);
        // Maximised: the screen-sized window is not what comes back when it is restored.
        state.record(
            &iced::window::Event::Resized(Size::new(2560.0, 1440.0)),
            true,
        );
        state.save(dir.path()).unwrap();
        let loaded = WindowState::load(dir.path());
        assert_eq!(
            loaded,
            WindowState {
                width: 1400.0,
                height: 900.0,
                x: Some(40.0),
                y: Some(30.0),
                maximized: true
            }
        );
        assert!(matches!(
            loaded.position(),
            iced::window::Position::Specific(p) if p == Point::new(40.0, 30.0)
        ));

        std::fs::write(
            WindowState::path_in(dir.path()),
            "width = 0.0\nheight = 1e9\nx = 1e12\ny = 5.0\nmaximized = false\n",
        )
        .unwrap();
        let loaded = WindowState::load(dir.path());
        assert_eq!(loaded.size(), DEFAULT_SIZE);
        assert!(matches!(
            loaded.position(),
            iced::window::Position::Centered
        ));

        std::fs::write(WindowState::path_in(dir.path()), "not toml at all [").unwrap();
        assert_eq!(WindowState::load(dir.path()), WindowState::default());
    }
}
