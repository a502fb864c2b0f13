//! Which hosts an account's access token may be sent to. A bearer token works for whoever holds it:
//! a server that receives one can use it against the mailbox until it expires. So a token goes only
//! to hosts its issuer's mail service vouches for, by the same registrable-domain rules discovery
//! uses — never to a host a misconfigured or poisoned account names (an ISPDB entry, an autoconfig
//! answer, a hand-edited accounts.toml, a spoofed DNS answer for a host of another domain).

use url::Url;

use crate::discovery::KnownProvider;
use crate::discovery::domain;
use crate::discovery::providers;

use super::flow::OAuthClient;

/// The hosts one account's access tokens are good for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// A token of a provider Tayori knows (its sign-in service is on the provider's domains): its
    /// own mail hosts and domains only, whatever the account names.
    Provider(KnownProvider),
    /// Any other sign-in service: the account's mail server (the one that named the service, or
    /// was found with it and confirmed by the person), and hosts in that server's registrable
    /// domain or the sign-in service's. A host with no registrable domain (an IP address, a public
    /// suffix) is vouched for by nobody but itself.
    MailService {
        mail_host: String,
        issuer_host: Option<String>,
    },
}

fn normalized(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn host_of(address: &str) -> Option<String> {
    Url::parse(address)
        .ok()?
        .host_str()
        .map(|h| normalized(h.trim_start_matches('[').trim_end_matches(']')))
}

impl Audience {
    /// The audience of `client`'s tokens for an account whose IMAP server is `mail_host`.
    pub fn new(client: &OAuthClient, mail_host: &str) -> Audience {
        let endpoint_hosts = [
            host_of(&client.authorization_endpoint),
            host_of(&client.token_endpoint),
        ];
        let provider = providers::PROVIDERS.iter().find(|provider| {
            endpoint_hosts.iter().flatten().any(|host| {
                domain::registrable(host).is_some_and(|d| provider.domains.contains(&d.as_str()))
            })
        });
        match provider {
            Some(provider) => Audience::Provider(provider.id),
            None => Audience::MailService {
                mail_host: normalized(mail_host),
                issuer_host: client
                    .issuer
                    .as_deref()
                    .and_then(host_of)
                    .or_else(|| host_of(&client.token_endpoint)),
            },
        }
    }

    /// Whether a token may be sent to `host`.
    pub fn admits(&self, host: &str) -> bool {
        let host = normalized(host);
        let registrable = domain::registrable(&host);
        match self {
            Audience::Provider(id) => {
                let provider = providers::get(*id);
                provider.mail_hosts.contains(&host.as_str())
                    || registrable.is_some_and(|d| provider.domains.contains(&d.as_str()))
            }
            Audience::MailService {
                mail_host,
                issuer_host,
            } => {
                let anchors = std::iter::once(mail_host).chain(issuer_host);
                anchors.into_iter().any(|anchor| {
                    *anchor == host
                        || registrable
                            .as_ref()
                            .is_some_and(|d| domain::registrable(anchor).as_ref() == Some(d))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(authorization: &str, token: &str, issuer: Option<&str>) -> OAuthClient {
        OAuthClient {
            client_id: "c".into(),
            authorization_endpoint: authorization.into(),
            token_endpoint: token.into(),
            issuer: issuer.map(str::to_owned),
            iss_required: false,
            scopes: Vec::new(),
            client_secret: None,
        }
    }

    #[test]
    fn a_providers_token_goes_only_to_the_providers_hosts() {
        let microsoft = client(
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/oauth2/v2.0/token",
            None,
        );
        // Whatever the account names as its mail server.
        let audience = Audience::new(&microsoft, "imap.evil.example");
        assert_eq!(audience, Audience::Provider(KnownProvider::Microsoft));
        for good in [
            "outlook.office365.com",
            "smtp.office365.com",
            "SMTP-MAIL.OUTLOOK.COM.",
        ] {
            assert!(audience.admits(good), "{good}");
        }
        for bad in [
            "smtp.gmail.com",
            "imap.evil.example",
            "office365.com.evil.example",
            "203.0.113.5",
        ] {
            assert!(!audience.admits(bad), "{bad}");
        }
        let google = client(
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            Some("https://accounts.google.com"),
        );
        let audience = Audience::new(&google, "imap.gmail.com");
        assert_eq!(audience, Audience::Provider(KnownProvider::Google));
        assert!(audience.admits("smtp.gmail.com") && audience.admits("imap.googlemail.com"));
        assert!(!audience.admits("smtp.office365.com"));
    }

    #[test]
    fn another_services_token_stays_with_its_mail_servers_domain() {
        let own = client(
            "https://sso.example.co.jp/authorize",
            "https://sso.example.co.jp/token",
            Some("https://sso.example.co.jp"),
        );
        let audience = Audience::new(&own, "imap.mail.example.co.jp");
        assert!(audience.admits("imap.mail.example.co.jp"));
        assert!(audience.admits("smtp.example.co.jp"));
        assert!(
            !audience.admits("smtp.other.co.jp"),
            "co.jp is a public suffix"
        );
        assert!(!audience.admits("smtp.office365.com"));
        // The rig's sign-in service is an IP address: it vouches for itself alone; the mail server
        // for its own domain.
        let rig = client(
            "https://127.0.0.1:9443/auth",
            "https://127.0.0.1:9443/token",
            Some("https://127.0.0.1:9443"),
        );
        let audience = Audience::new(&rig, "mail.example.test");
        assert!(audience.admits("mail.example.test") && audience.admits("smtp.example.test"));
        assert!(audience.admits("127.0.0.1"));
        assert!(!audience.admits("127.0.0.2"));
        assert!(!audience.admits("smtp.other-domain.test"));
        let ip_mail = Audience::new(&rig, "127.0.0.5");
        assert!(ip_mail.admits("127.0.0.5"));
        assert!(!ip_mail.admits("mail.example.test"));
    }
}
