// Release builds on Windows open no console window behind the app. Such a program cannot print to the
// terminal it was started from, so the installer also ships tayori-cli.exe: this same program marked for
// the console subsystem (packaging/windows/pe-subsystem.py), for `tayori-cli --version`, `account add`…
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]
#![forbid(unsafe_code)]

mod cli;
#[cfg(feature = "gui")]
mod ui;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tayori::config::{Paths, Settings};

fn main() -> ExitCode {
    // Before any thread exists (see the module: the sync's peak memory).
    tayori::memory::limit_allocator_arenas();
    let cli = cli::Cli::parse();
    match start(&cli) {
        Ok((paths, settings)) => match cli.command {
            Some(command) => cli::run(command, &paths, &settings),
            None => match cli.mailto.as_deref().map(tayori::mailto::parse).transpose() {
                Ok(link) => open_window(paths, settings, link),
                Err(error) => {
                    eprintln!("tayori: {error}");
                    ExitCode::from(2)
                }
            },
        },
        Err(error) => {
            eprintln!("tayori: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Folders, logging and settings, before anything else can fail silently.
fn start(cli: &cli::Cli) -> anyhow::Result<(Paths, Settings)> {
    let paths = Paths::from_env()?;
    paths.create_all()?;
    tayori::logging::init(&paths, cli.verbose, None).context("setting up logging")?;
    // Every connection made for an account is recorded in this profile (issue 25).
    tayori::connections::keep_in(&paths);
    tayori::logging::install_panic_hook();
    tracing::info!(version = tayori::VERSION, data = %paths.data_dir.display(), "Tayori starting");
    let settings = Settings::load(&paths)?;
    Ok((paths, settings))
}

#[cfg(feature = "gui")]
fn open_window(
    paths: Paths,
    settings: Settings,
    mailto: Option<tayori::mailto::MailtoLink>,
) -> ExitCode {
    match ui::run(paths, settings, mailto) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("the window could not be opened: {error}");
            eprintln!(
                "tayori: the window could not be opened: {error}\n\
                 On Linux this needs a running X11 or Wayland session."
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_window(
    _paths: Paths,
    _settings: Settings,
    _mailto: Option<tayori::mailto::MailtoLink>,
) -> ExitCode {
    eprintln!(
        "tayori: this build has no desktop window (built without the `gui` feature); use a subcommand, see --help"
    );
    ExitCode::from(cli::EXIT_UNAVAILABLE)
}
