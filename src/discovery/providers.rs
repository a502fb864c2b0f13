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
    /// The address domains whose mail the provider itself hosts (its consumer services): an
    /// address there is recognised without asking DNS or any server.
    pub address_domains: &'static [&'static str],
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
            // Outlook.com's domains, as Thunderbird's ISPDB lists them (hotmail.com.xml).
            address_domains: &[
                "hotmail.com",
                "live.com",
                "msn.com",
                "outlook.com",
                "windowslive.com",
                "outlook.at",
                "outlook.be",
                "outlook.cl",
                "outlook.cz",
                "outlook.de",
                "outlook.dk",
                "outlook.es",
                "outlook.fr",
                "outlook.hu",
                "outlook.ie",
                "outlook.in",
                "outlook.it",
                "outlook.jp",
                "outlook.kr",
                "outlook.lv",
                "outlook.my",
                "outlook.ph",
                "outlook.pt",
                "outlook.sa",
                "outlook.sg",
                "outlook.sk",
                "outlook.co.id",
                "outlook.co.il",
                "outlook.co.th",
                "outlook.com.ar",
                "outlook.com.au",
                "outlook.com.br",
                "outlook.com.gr",
                "outlook.com.tr",
                "outlook.com.vn",
                "hotmail.be",
                "hotmail.ca",
                "hotmail.cl",
                "hotmail.cz",
                "hotmail.de",
                "hotmail.dk",
                "hotmail.es",
                "hotmail.fi",
                "hotmail.fr",
                "hotmail.gr",
                "hotmail.hu",
                "hotmail.it",
                "hotmail.lt",
                "hotmail.lv",
                "hotmail.my",
                "hotmail.nl",
                "hotmail.no",
                "hotmail.ph",
                "hotmail.rs",
                "hotmail.se",
                "hotmail.sg",
                "hotmail.sk",
                "hotmail.co.id",
                "hotmail.co.il",
                "hotmail.co.in",
                "hotmail.co.jp",
                "hotmail.co.kr",
                "hotmail.co.th",
                "hotmail.co.uk",
                "hotmail.co.za",
                "hotmail.com.ar",
                "hotmail.com.au",
                "hotmail.com.br",
                "hotmail.com.hk",
                "hotmail.com.tr",
                "hotmail.com.tw",
                "hotmail.com.vn",
                "live.at",
                "live.be",
                "live.ca",
                "live.cl",
                "live.cn",
                "live.de",
                "live.dk",
                "live.fi",
                "live.fr",
                "live.hk",
                "live.ie",
                "live.in",
                "live.it",
                "live.jp",
                "live.nl",
                "live.no",
                "live.ru",
                "live.se",
                "live.co.jp",
                "live.co.kr",
                "live.co.uk",
                "live.co.za",
                "live.com.ar",
                "live.com.au",
                "live.com.mx",
                "live.com.my",
                "live.com.ph",
                "live.com.pt",
                "live.com.sg",
                "livemail.tw",
            ],
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
            address_domains: &["gmail.com", "googlemail.com"],
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

/// The provider whose own consumer service hosts addresses at `domain` (gmail.com, outlook.com,
/// hotmail.co.jp …).
pub fn by_address_domain(domain: &str) -> Option<&'static Provider> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    PROVIDERS
        .iter()
        .find(|p| p.address_domains.contains(&domain.as_str()))
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
    fn the_providers_own_address_domains_are_known() {
        for (domain, id) in [
            ("gmail.com", KnownProvider::Google),
            ("GoogleMail.com.", KnownProvider::Google),
            ("outlook.com", KnownProvider::Microsoft),
            ("hotmail.co.jp", KnownProvider::Microsoft),
            ("live.jp", KnownProvider::Microsoft),
            ("msn.com", KnownProvider::Microsoft),
        ] {
            assert_eq!(
                by_address_domain(domain).map(|p| p.id),
                Some(id),
                "{domain}"
            );
        }
        for other in [
            "contoso.com",
            "gmail.com.evil.test",
            "live.example",
            "google.com",
        ] {
            assert!(by_address_domain(other).is_none(), "{other}");
        }
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
