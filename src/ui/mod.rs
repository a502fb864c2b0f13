//! The iced desktop front end. It only sends messages and renders state; network and disk work runs
//! in the core through `Task`s and subscriptions, never on the UI thread.

mod app;
mod background;
mod context;
mod db;
mod failure;
mod fonts;
mod html_page;
mod notify;
mod outbox;
mod problem;
mod proxy_sign_in;
mod reauth;
mod screen;
mod style;
mod sync;
#[cfg(test)]
mod testing;
mod window_state;

use tayori::config::{Paths, Settings};

pub use app::App;

/// Opens the main window and runs until it is closed.
pub fn run(
    paths: Paths,
    settings: Settings,
    mailto: Option<tayori::mailto::MailtoLink>,
) -> iced::Result {
    fonts::load_own_fonts(&fonts::own_font_dirs(&paths.data_dir));
    let font = fonts::init(settings.ui.language.lang());
    let window = window_state::WindowState::load(&paths.data_dir);
    iced::application(
        move || {
            let (app, task) = App::new(paths.clone(), settings.clone(), mailto.clone());
            (app.with_window(window), task)
        },
        App::update,
        App::view,
    )
    .default_font(font)
    .subscription(App::subscription)
    .title(App::title)
    .theme(App::theme)
    .window(iced::window::Settings {
        size: window.size(),
        position: window.position(),
        maximized: window.maximized,
        min_size: Some(window_state::MIN_SIZE),
        icon: icon(),
        // The window's place is saved before it closes.
        exit_on_close_request: false,
        #[cfg(target_os = "linux")]
        platform_specific: iced::window::settings::PlatformSpecific {
            // Wayland compositors match this to org.tayori.Tayori.desktop (name and icon).
            application_id: "org.tayori.Tayori".to_owned(),
            ..Default::default()
        },
        ..iced::window::Settings::default()
    })
    .run()
}

/// The window's icon (taskbar, window switcher), from the same artwork as the installers'.
fn icon() -> Option<iced::window::Icon> {
    const PNG: &[u8] = include_bytes!("../../assets/icons/png/tayori-64.png");
    let decoder = png::Decoder::new(std::io::Cursor::new(PNG));
    let mut reader = decoder.read_info().ok()?;
    let mut pixels = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut pixels).ok()?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        tracing::warn!("the window icon is not 8-bit RGBA; the system's default icon is used");
        return None;
    }
    pixels.truncate(info.buffer_size());
    iced::window::icon::from_rgba(pixels, info.width, info.height).ok()
}
