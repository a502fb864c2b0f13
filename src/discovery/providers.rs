//! What Tayori knows about the big providers without asking anyone: their servers, their OAuth
//! endpoints and scopes, how to recognise them by MX, and the domains that are theirs (so a move to
//! those domains needs no confirmation).

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::{OAuthSettings, Security};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnownProvider {
    /// Microsoft Entra ID / Microsoft 365 / Outlook.com
    Microsoft,
    Google,
}

impl KnownProvider {
    pub fn display_name(self) -> &'static str {
        match self {
            KnownProvider::Microsoft => "Microsoft 365 / Outlook.com",
            KnownProvider::Google => "Google",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerTemplate {
    pub host: &'static str,
    pub port: u16,
    pub security: Security,
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: KnownProvider,
    pub imap: ServerTemplate,
    pub smtp: ServerTemplate,
    pub oauth: Option<OAuthSettings>,
    /// IMAP/SMTP host names that identify the provider in a discovery document.
    pub mail_hosts: &'static [&'static str],
    /// MX host name suffixes that identify a domain hosted there.
    pub mx_suffixes: &'static [&'static str],
    /// Registrable domains that belong to the provider.
    pub domains: &'static [&'static str],
    /// Whether the provider files submitted mail in Sent itself (a client copy would duplicate it).
    pub files_sent_mail: bool,
}

/// Microsoft's `common` authority accepts work and school accounts and personal ones; an admin policy
/// can pin a tenant instead.
const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com/common";

pub static PROVIDERS: LazyLock<Vec<Provider>> = LazyLock::new(|| {
    vec![
        Provider {
            id: KnownProvider::Microsoft,
            imap: ServerTemplate {
                host: "outlook.office365.com",
                port: 993,
                security: Security::Tls,
            },
            smtp: ServerTemplate {
                host: "smtp.office365.com",
                port: 587,
                security: Security::StartTls,
            },
            oauth: Some(OAuthSettings {
                issuer: Some(format!("{MICROSOFT_AUTHORITY}/v2.0")),
                authorization_endpoint: Some(format!(
                    "{MICROSOFT_AUTHORITY}/oauth2/v2.0/authorize"
                )),
                token_endpoint: Some(format!("{MICROSOFT_AUTHORITY}/oauth2/v2.0/token")),
                // The outlook.office.com form works for work and personal accounts (`.default` breaks
                // personal ones). `openid` brings the ID token whose `tid` names the person's
                // tenant, used for refreshes from then on.
                scopes: vec![
                    "https://outlook.office.com/IMAP.AccessAsUser.All".into(),
                    "https://outlook.office.com/SMTP.Send".into(),
                    "offline_access".into(),
                    "openid".into(),
                ],
            }),
            mail_hosts: &[
                "outlook.office365.com",
                "smtp.office365.com",
                "outlook.office.com",
                "imap-mail.outlook.com",
                "smtp-mail.outlook.com",
            ],
            mx_suffixes: &[
                ".mail.protection.outlook.com",
                ".olc.protection.outlook.com",
            ],
            domains: &[
                "office365.com",
                "outlook.com",
                "office.com",
                "microsoft.com",
                "microsoftonline.com",
                "hotmail.com",
                "live.com",
            ],
            files_sent_mail: true,
        },
        Provider {
            id: KnownProvider::Google,
            imap: ServerTemplate {
                host: "imap.gmail.com",
                port: 993,
                security: Security::Tls,
            },
            smtp: ServerTemplate {
                host: "smtp.gmail.com",
                port: 465,
                security: Security::Tls,
            },
            oauth: Some(OAuthSettings {
                issuer: Some("https://accounts.google.com".into()),
                authorization_endpoint: Some("https://accounts.google.com/o/oauth2/v2/auth".into()),
                token_endpoint: Some("https://oauth2.googleapis.com/token".into()),
                scopes: vec!["https://mail.google.com/".into()],
            }),
            mail_hosts: &[
                "imap.gmail.com",
                "smtp.gmail.com",
                "imap.googlemail.com",
                "smtp.googlemail.com",
            ],
            mx_suffixes: &[".google.com", ".googlemail.com"],
            domains: &["google.com", "googlemail.com", "gmail.com"],
            files_sent_mail: true,
        },
    ]
});

pub fn get(id: KnownProvider) -> &'static Provider {
    PROVIDERS
        .iter()
        .find(|p| p.id == id)
        .expect("every known provider is in the table")
}

/// The provider whose IMAP or SMTP host this is.
pub fn by_mail_host(host: &str) -> Option<&'static Provider> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    PROVIDERS
        .iter()
        .find(|p| p.mail_hosts.contains(&host.as_str()))
}

/// The provider that hosts a domain whose MX is `mx_host`.
pub fn by_mx(mx_host: &str) -> Option<&'static Provider> {
    let host = format!(".{}", mx_host.trim_end_matches('.').to_ascii_lowercase());
    PROVIDERS
        .iter()
        .find(|p| p.mx_suffixes.iter().any(|suffix| host.ends_with(suffix)))
}

/// Whether a registrable domain belongs to a known provider (a move there needs no confirmation).
pub fn is_provider_domain(registrable: &str) -> bool {
    PROVIDERS.iter().any(|p| p.domains.contains(&registrable))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_is_recognised_by_its_mx() {
        let p = by_mx("contoso-com.mail.protection.outlook.com.").unwrap();
        assert_eq!(p.id, KnownProvider::Microsoft);
        assert_eq!(p.imap.host, "outlook.office365.com");
        let scopes = &p.oauth.as_ref().unwrap().scopes;
        assert!(scopes.contains(&"https://outlook.office.com/SMTP.Send".to_string()));
        assert!(scopes.contains(&"offline_access".to_string()));
    }

    #[test]
    fn google_is_recognised_by_its_mx_and_hosts() {
        assert_eq!(
            by_mx("aspmx.l.google.com").unwrap().id,
            KnownProvider::Google
        );
        assert_eq!(
            by_mx("alt1.aspmx.l.google.com").unwrap().id,
            KnownProvider::Google
        );
        assert_eq!(
            by_mail_host("IMAP.gmail.com").unwrap().id,
            KnownProvider::Google
        );
    }

    #[test]
    fn lookalike_names_are_not_providers() {
        assert!(by_mx("mail.protection.outlook.com.evil.test").is_none());
        assert!(by_mx("notgoogle.com").is_none());
        assert!(by_mx("google.com.evil.test").is_none());
        assert!(!is_provider_domain("outlook.com.evil.test"));
        assert!(is_provider_domain("office365.com"));
    }
}
