//! Where Tayori keeps its files.
//!
//! Config, data and cache go to the places each OS expects (XDG on Linux, `~/Library/Application
//! Support` on macOS, `%APPDATA%` on Windows). `TAYORI_HOME` moves all three under one folder: that is
//! how a portable install (e.g. on a USB stick) and every test keeps its files in one place.
//! No secret is ever written under these folders — secrets live only in the OS keyring.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Environment variable that puts config, data and cache under one folder.
pub const HOME_ENV: &str = "TAYORI_HOME";

/// Environment variable naming the administrator's policy file (for deployments that cannot write
/// the system folder).
pub const POLICY_FILE_ENV: &str = "TAYORI_POLICY_FILE";

/// Where an administrator puts the policy file on this OS.
pub fn default_policy_file() -> Option<PathBuf> {
    if cfg!(target_os = "windows") {
        std::env::var_os("ProgramData")
            .map(|dir| PathBuf::from(dir).join("Tayori").join("policy.toml"))
    } else if cfg!(target_os = "macos") {
        Some(PathBuf::from(
            "/Library/Application Support/Tayori/policy.toml",
        ))
    } else {
        Some(PathBuf::from("/etc/tayori/policy.toml"))
    }
}

/// The policy file this process reads: the system's where the administrator put one there, else
/// the one `TAYORI_POLICY_FILE` names (for deployments that cannot write the system folder).
/// Whoever controls a person's environment must not replace the organisation's servers, sign-in
/// or proxy. Discovery and the proxy setting both read it from here, so they never disagree.
pub fn policy_file_for_process() -> Option<PathBuf> {
    let system = default_policy_file();
    if system
        .as_deref()
        .is_some_and(|path| std::fs::symlink_metadata(path).is_ok())
    {
        return system;
    }
    std::env::var_os(POLICY_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or(system)
}

#[derive(Debug, Error)]
pub enum PathsError {
    #[error(
        "could not find a home folder for Tayori's files; set {HOME_ENV} to a folder Tayori may write to"
    )]
    NoHome,
    #[error(
        "could not create the folder {path}: {source}. Check that the disk is not full and that you may write there."
    )]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The three folders Tayori writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
}

impl Paths {
    /// Resolves the folders from the environment: `TAYORI_HOME` if set and not empty, else the OS
    /// standard places. Does not create anything.
    pub fn from_env() -> Result<Self, PathsError> {
        match std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            Some(home) => Ok(Self::under(Path::new(&home))),
            None => Self::os_standard(),
        }
    }

    /// All three folders under one root (portable installs, tests).
    pub fn under(root: &Path) -> Self {
        Self {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            cache_dir: root.join("cache"),
        }
    }

    fn os_standard() -> Result<Self, PathsError> {
        let dirs =
            directories::ProjectDirs::from("org", "Tayori", "Tayori").ok_or(PathsError::NoHome)?;
        Ok(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
            cache_dir: dirs.cache_dir().to_path_buf(),
        })
    }

    /// Creates the folders if they are missing. Owner-only permissions on Unix: mail is private.
    pub fn create_all(&self) -> Result<(), PathsError> {
        for dir in [
            &self.config_dir,
            &self.data_dir,
            &self.cache_dir,
            &self.log_dir(),
        ] {
            create_private_dir(dir)?;
        }
        Ok(())
    }

    /// Where the log files go (inside the data folder).
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// The settings file.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("tayori.toml")
    }
}

fn create_private_dir(dir: &Path) -> Result<(), PathsError> {
    let create_error = |source| PathsError::Create {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(create_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(create_error)?;
    }
    Ok(())
}

/// The settings file (`tayori.toml` in the config folder). Everything is optional; no secret is ever
/// stored here.
///
/// ```toml
/// [network]
/// dns_server = "10.0.0.53:53"        # ask this name server instead of the system's
///
/// [discovery]
/// ispdb_url = "https://ispdb.example.com/v1.1/"   # an organisation's ISPDB mirror
///
/// [oauth.client_ids]
/// microsoft = "<application id of the organisation's Entra app registration>"
///
/// [ui]
/// language = "ja"      # "system" (default), "en" or "ja"
/// theme = "dark"       # "system" (default), "light" or "dark"
///
/// [notifications]
/// new_mail = false     # no desktop notification for new mail (default: on)
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub network: NetworkSettings,
    pub discovery: DiscoverySettings,
    pub oauth: OAuthClientSettings,
    pub sync: SyncSettings,
    pub ui: UiSettings,
    pub notifications: NotificationSettings,
    pub proxy: ProxyConfig,
}

/// How the window looks and speaks. Changed from the settings screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiSettings {
    pub language: LanguageChoice,
    pub theme: ThemeChoice,
    /// HTML mail in the dark theme: its own colours on a white page, or darkened.
    pub html_mail_dark: HtmlMailDark,
    /// Senders whose mail shows its remote images without asking ("Always for this sender"),
    /// addresses in lower case. Tracking pixels stay blocked for them too.
    pub remote_images_from: Vec<String>,
}

impl UiSettings {
    /// Whether mail from `address` loads its remote images without asking.
    pub fn loads_remote_images_from(&self, address: &str) -> bool {
        self.remote_images_from
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(address.trim()))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageChoice {
    /// The operating system's language.
    #[default]
    System,
    En,
    Ja,
}

impl LanguageChoice {
    pub fn lang(self) -> crate::i18n::Lang {
        match self {
            LanguageChoice::System => crate::i18n::Lang::from_system(),
            LanguageChoice::En => crate::i18n::Lang::En,
            LanguageChoice::Ja => crate::i18n::Lang::Ja,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            LanguageChoice::System => "system",
            LanguageChoice::En => "en",
            LanguageChoice::Ja => "ja",
        }
    }
}

/// How HTML mail looks in the dark theme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HtmlMailDark {
    /// The sender's colours, on a white page (as in the light theme).
    #[default]
    Keep,
    /// Light turned dark and dark light, each colour's hue kept; pictures as they are.
    Darken,
}

impl HtmlMailDark {
    fn as_str(self) -> &'static str {
        match self {
            HtmlMailDark::Keep => "keep",
            HtmlMailDark::Darken => "darken",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeChoice {
    /// Light or dark as the operating system is set.
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    fn as_str(self) -> &'static str {
        match self {
            ThemeChoice::System => "system",
            ThemeChoice::Light => "light",
            ThemeChoice::Dark => "dark",
        }
    }
}

/// ```toml
/// [notifications]
/// new_mail = true
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// A desktop notification when new mail arrives in an inbox.
    pub new_mail: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings { new_mail: true }
    }
}

/// ```toml
/// [sync]
/// body_days = 90   # download whole messages of the last 90 days in the background (default: all)
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    pub body_days: Option<u32>,
}

/// OAuth client ids (public, not secrets): by provider (`microsoft`, `google`) or by issuer URL.
///
/// ```toml
/// [oauth.client_ids]
/// microsoft = "00000000-0000-0000-0000-000000000000"
/// google = "1234-abc.apps.googleusercontent.com"
/// "https://login.example.com" = "tayori"
/// [oauth.client_secrets]
/// google = "GOCSPX-…"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthClientSettings {
    pub client_ids: std::collections::BTreeMap<String, String>,
    /// Desktop-app client secrets, keyed as `client_ids` (Google issues one with every desktop
    /// client and wants it at its token endpoint; it documents it as not confidential).
    pub client_secrets: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkSettings {
    pub dns_server: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoverySettings {
    pub ispdb_url: Option<String>,
}

#[derive(Debug, Error)]
#[error("the settings file {path} is not valid: {reason}. Fix or remove it.")]
pub struct SettingsError {
    pub path: PathBuf,
    pub reason: String,
}

impl Settings {
    /// Reads the settings file; a missing file means the defaults.
    pub fn load(paths: &Paths) -> Result<Settings, SettingsError> {
        let path = paths.config_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => {
                return Err(SettingsError {
                    path,
                    reason: e.to_string(),
                });
            }
        };
        toml::from_str(&text).map_err(|e| SettingsError {
            path,
            reason: e.message().to_owned(),
        })
    }

    /// Writes the choices a person makes in the settings screen (language, theme, notifications,
    /// sync window) into the settings file. Everything else in the file — an administrator's DNS
    /// server, client ids, their comments — is kept as it was. Written to a temporary file and
    /// renamed, so a full disk or a crash leaves the old file whole.
    pub fn save_preferences(&self, paths: &Paths) -> Result<(), SettingsError> {
        let path = paths.config_file();
        let error = |reason: String| SettingsError {
            path: path.clone(),
            reason,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(error(e.to_string())),
        };
        let mut document: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| error(e.message().to_owned()))?;
        {
            let ui = section(&mut document, "ui");
            ui["language"] = toml_edit::value(self.ui.language.as_str());
            ui["theme"] = toml_edit::value(self.ui.theme.as_str());
            ui["html_mail_dark"] = toml_edit::value(self.ui.html_mail_dark.as_str());
            if self.ui.remote_images_from.is_empty() {
                ui.remove("remote_images_from");
            } else {
                let senders: toml_edit::Array = self.ui.remote_images_from.iter().collect();
                ui["remote_images_from"] = toml_edit::value(senders);
            }
        }
        section(&mut document, "notifications")["new_mail"] =
            toml_edit::value(self.notifications.new_mail);
        {
            let sync = section(&mut document, "sync");
            match self.sync.body_days {
                Some(days) => sync["body_days"] = toml_edit::value(i64::from(days)),
                None => {
                    sync.remove("body_days");
                }
            }
        }
        let parent = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| error(e.to_string()))?;
        let temporary = parent.join(".tayori.toml.saving");
        std::fs::write(&temporary, document.to_string()).map_err(|e| error(e.to_string()))?;
        std::fs::rename(&temporary, &path).map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            error(e.to_string())
        })
    }
}

/// The `[name]` table of the document, made if missing (or if something else had that name).
fn section<'a>(document: &'a mut toml_edit::DocumentMut, name: &str) -> &'a mut toml_edit::Table {
    let item = document
        .entry(name)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    if !item.is_table() {
        *item = toml_edit::Item::Table(toml_edit::Table::new());
    }
    item.as_table_mut().expect("made a table just above")
}

/// How IMAP and SMTP use the proxy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailMode {
    /// Direct first; through the proxy where the network refuses the direct connection.
    #[default]
    Auto,
    /// Always through the proxy.
    Proxy,
    /// Never through the proxy.
    Direct,
}

/// The person's own proxy setting (`tayori.toml`):
///
/// ```toml
/// [proxy]
/// url = "http://proxy.example.com:8080"   # or https://…, socks5://…, socks5h://…, "direct"
/// exceptions = ["intranet.example.com", ".corp.example.com", "10.0.0.0/8"]
/// mail = "auto"                           # "proxy", "direct"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    pub url: Option<String>,
    pub pac_url: Option<String>,
    pub wpad: bool,
    pub exceptions: Vec<String>,
    pub mail: Option<MailMode>,
}

impl ProxyConfig {
    /// Whether the person set anything at all (else the environment and the desktop decide).
    pub fn says_anything(&self) -> bool {
        self.url.is_some() || self.pac_url.is_some() || self.wpad || self.mail.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_load_with_defaults_and_reject_typos() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        assert_eq!(Settings::load(&paths).unwrap(), Settings::default());
        std::fs::write(
            paths.config_file(),
            "[network]\ndns_server = \"127.0.0.1:53\"\n",
        )
        .unwrap();
        assert_eq!(
            Settings::load(&paths)
                .unwrap()
                .network
                .dns_server
                .as_deref(),
            Some("127.0.0.1:53")
        );
        std::fs::write(paths.config_file(), "[network]\ndns_sever = \"x\"\n").unwrap();
        let err = Settings::load(&paths).unwrap_err();
        assert!(err.to_string().contains("tayori.toml"), "{err}");
    }

    #[test]
    fn preferences_are_saved_without_touching_the_administrators_settings() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        std::fs::write(
            paths.config_file(),
            "# set by IT\n[network]\ndns_server = \"10.0.0.53:53\" # the office resolver\n",
        )
        .unwrap();
        let mut settings = Settings::load(&paths).unwrap();
        assert_eq!(settings.ui.language, LanguageChoice::System);
        assert!(
            settings.notifications.new_mail,
            "notifications are on by default"
        );
        settings.ui.language = LanguageChoice::Ja;
        settings.ui.theme = ThemeChoice::Dark;
        settings.notifications.new_mail = false;
        settings.sync.body_days = Some(30);
        settings.ui.remote_images_from = vec!["news@shop.example.com".into()];
        settings.ui.html_mail_dark = HtmlMailDark::Darken;
        settings.save_preferences(&paths).unwrap();

        let text = std::fs::read_to_string(paths.config_file()).unwrap();
        assert!(
            settings
                .ui
                .loads_remote_images_from("News@Shop.example.com")
        );
        assert!(
            !settings
                .ui
                .loads_remote_images_from("other@shop.example.com")
        );
        assert!(text.contains("# set by IT"), "{text}");
        assert!(text.contains("# the office resolver"), "{text}");
        assert_eq!(Settings::load(&paths).unwrap(), settings);

        settings.sync.body_days = None;
        settings.save_preferences(&paths).unwrap();
        assert_eq!(Settings::load(&paths).unwrap().sync.body_days, None);
        assert!(!root.path().join("config/.tayori.toml.saving").exists());
    }

    #[test]
    fn a_settings_file_that_does_not_parse_is_not_overwritten() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        std::fs::write(paths.config_file(), "[network\n").unwrap();
        let err = Settings::default().save_preferences(&paths).unwrap_err();
        assert!(err.to_string().contains("tayori.toml"), "{err}");
        assert_eq!(
            std::fs::read_to_string(paths.config_file()).unwrap(),
            "[network\n"
        );
    }

    #[test]
    fn tayori_home_puts_everything_under_one_root() {
        let paths = Paths::under(Path::new("/portable/tayori"));
        assert_eq!(paths.config_dir, Path::new("/portable/tayori/config"));
        assert_eq!(paths.data_dir, Path::new("/portable/tayori/data"));
        assert_eq!(paths.cache_dir, Path::new("/portable/tayori/cache"));
        assert_eq!(paths.log_dir(), Path::new("/portable/tayori/data/logs"));
    }

    #[test]
    fn create_all_makes_private_folders() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        paths.create_all().unwrap();
        for dir in [
            &paths.config_dir,
            &paths.data_dir,
            &paths.cache_dir,
            &paths.log_dir(),
        ] {
            assert!(dir.is_dir(), "{} missing", dir.display());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o700, "{} is not owner-only", dir.display());
            }
        }
    }

    #[test]
    fn create_all_reports_the_folder_it_could_not_make() {
        let root = tempfile::tempdir().unwrap();
        let blocker = root.path().join("file");
        std::fs::write(&blocker, b"not a folder").unwrap();
        let err = Paths::under(&blocker).create_all().unwrap_err();
        assert!(
            err.to_string().contains("could not create the folder"),
            "{err}"
        );
    }
}
