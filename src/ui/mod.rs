//! The iced desktop front end. It only sends messages and renders state; network and disk work runs
//! in the core through `Task`s and subscriptions, never on the UI thread.

mod app;
mod context;
mod failure;
mod fonts;
mod reauth;
mod screen;
mod style;

use tayori::config::{Paths, Settings};

pub use app::App;

/// Opens the main window and runs until it is closed.
pub fn run(
    paths: Paths,
    settings: Settings,
    mailto: Option<tayori::mailto::MailtoLink>,
) -> iced::Result {
    let font = fonts::init(tayori::i18n::Lang::from_system());
    iced::application(
        move || App::new(paths.clone(), settings.clone(), mailto.clone()),
        App::update,
        App::view,
    )
    .default_font(font)
    .subscription(App::subscription)
    .title(App::title)
    .theme(App::theme)
    .window(iced::window::Settings {
        size: iced::Size::new(1100.0, 720.0),
        min_size: Some(iced::Size::new(640.0, 480.0)),
        ..iced::window::Settings::default()
    })
    .run()
}
