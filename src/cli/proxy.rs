//! `tayori proxy show URL | sign-in [PROXY] --user NAME | forget [PROXY]`: which way Tayori goes
//! and why (for the person and for IT), and the proxy password kept in the keyring.

use std::process::ExitCode;

use anyhow::Context;
use tayori::auth::keyring_store::{self, SecretKind};
use tayori::config::Settings;
use tayori::net::proxy::{ProxySettings, Route};

use super::ProxyCommand;

pub fn run(settings: &Settings, action: ProxyCommand) -> anyhow::Result<ExitCode> {
    let proxy = ProxySettings::for_process(settings).map_err(anyhow::Error::msg)?;
    match action {
        ProxyCommand::Show { url } => {
            let url = url::Url::parse(&url).with_context(|| format!("{url:?} is not a URL"))?;
            println!("Proxy setting from {}", proxy.source.label());
            for (index, route) in proxy.routes(&url).iter().enumerate() {
                println!("  {}. {}", index + 1, describe(route));
            }
            Ok(ExitCode::SUCCESS)
        }
        ProxyCommand::SignIn { proxy: named, user } => {
            let at = which_proxy(&proxy, named)?;
            let password =
                super::account::read_password(&format!("Password for {user} at {at}: "))?;
            let runtime = super::runtime().context("no async runtime")?;
            runtime.block_on(tayori::net::proxy::save_sign_in(&at, &user, password))?;
            println!(
                "Saved the proxy password of {user} for {at} in the system keyring. Tayori sends it only over an encrypted connection to the proxy."
            );
            Ok(ExitCode::SUCCESS)
        }
        ProxyCommand::Forget { proxy: named } => {
            let at = which_proxy(&proxy, named)?;
            let runtime = super::runtime().context("no async runtime")?;
            runtime.block_on(keyring_store::delete(&at, SecretKind::ProxyPassword))?;
            println!("Deleted the proxy password for {at} from the system keyring.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn describe(route: &Route) -> String {
    match route {
        Route::Direct => "DIRECT (no proxy)".into(),
        Route::Http { host, port } => format!("HTTP proxy {host}:{port}"),
        Route::Https { host, port } => format!("HTTPS proxy {host}:{port} (TLS to the proxy)"),
        Route::Socks5 {
            host,
            port,
            remote_dns,
        } => format!(
            "SOCKS5 proxy {host}:{port}{}",
            if *remote_dns {
                " (names resolved by the proxy)"
            } else {
                ""
            }
        ),
    }
}

/// `host:port` of the named proxy, or of the one used for the web.
fn which_proxy(proxy: &ProxySettings, named: Option<String>) -> anyhow::Result<String> {
    if let Some(named) = named {
        return Route::parse(&named)
            .map_err(anyhow::Error::msg)?
            .proxy_at()
            .context("name a proxy, not DIRECT");
    }
    let web = url::Url::parse("https://example.com/").expect("valid");
    proxy.route(&web).proxy_at().context(
        "no proxy is set: name it (tayori proxy sign-in proxy.example.com:8080 --user NAME)",
    )
}
