//! The plan: the servers and ways to sign in that discovery found (or the person typed), and what
//! the administrator's policy allows.

use super::SetupError;
use crate::account::Server;
use crate::connections::Contact;
use crate::discovery::policy::Policy;
use crate::discovery::{Discovered, Discoverer, KnownProvider, OAuthSettings, SignIn, Source};

/// The sign-in methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// OAuth 2.0 in the system browser (MFA there).
    OAuth,
    /// A password or an app password.
    Password,
}

/// What discovery (or the person, by hand) decided: the servers, the ways to sign in, and what the
/// administrator's policy pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub email: String,
    pub imap: Server,
    pub smtp: Server,
    /// Most preferred first.
    pub sign_in: Vec<SignIn>,
    pub provider: Option<KnownProvider>,
    pub provider_name: Option<String>,
    /// Where the settings came from; `None` when typed in by hand.
    pub source: Option<Source>,
    /// The client id the admin policy pins for this domain.
    pub policy_client_id: Option<String>,
    /// The admin policy asks for sign-in with a code on another device (RFC 8628).
    pub policy_device_code: bool,
    /// The hosts discovery contacted, for the account's connections record once it is saved.
    pub contacted: Vec<Contact>,
}

impl Plan {
    pub fn from_discovered(found: &Discovered, discoverer: &Discoverer) -> Plan {
        Plan {
            email: found.email.clone(),
            imap: Server::from(&found.imap),
            smtp: Server::from(&found.smtp),
            sign_in: found.sign_in.clone(),
            provider: found.provider,
            provider_name: found.provider_name.clone(),
            source: Some(found.source),
            policy_client_id: policy_client_id(
                discoverer.options().policy_file.as_deref(),
                &found.email,
            ),
            policy_device_code: policy_oauth(
                discoverer.options().policy_file.as_deref(),
                &found.email,
            )
            .is_some_and(|o| o.device_code),
            contacted: found.contacted.clone(),
        }
    }

    /// Servers typed in by hand. Browser sign-in is offered too: a server that supports it names
    /// its sign-in service when asked (RFC 7628), so nothing more needs to be typed.
    pub fn manual(email: &str, imap: Server, smtp: Server, prefer_oauth: bool) -> Plan {
        let oauth = SignIn::OAuth2(OAuthSettings::default());
        Plan {
            email: email.trim().to_owned(),
            imap,
            smtp,
            sign_in: if prefer_oauth {
                vec![oauth, SignIn::Password]
            } else {
                vec![SignIn::Password, oauth]
            },
            provider: None,
            provider_name: None,
            source: None,
            policy_client_id: None,
            policy_device_code: false,
            contacted: Vec::new(),
        }
    }

    /// The OAuth settings on offer, if browser sign-in is.
    pub fn oauth_offer(&self) -> Option<&OAuthSettings> {
        self.sign_in.iter().find_map(|m| match m {
            SignIn::OAuth2(o) => Some(o),
            SignIn::Password => None,
        })
    }

    pub fn offers(&self, method: Method) -> bool {
        match method {
            Method::OAuth => self.oauth_offer().is_some(),
            Method::Password => self.sign_in.contains(&SignIn::Password),
        }
    }

    /// Whether sign-in with a code on another device (RFC 8628) is on offer: at Microsoft Entra
    /// (Google's device flow refuses the Gmail scope).
    pub fn offers_device_code(&self) -> bool {
        let Some(oauth) = self.oauth_offer() else {
            return false;
        };
        self.provider == Some(KnownProvider::Microsoft)
            || oauth
                .authorization_endpoint
                .as_deref()
                .is_some_and(|e| e.ends_with("/oauth2/v2.0/authorize"))
    }

    /// The method to preselect: the first on offer.
    pub fn preferred(&self) -> Method {
        match self.sign_in.first() {
            Some(SignIn::Password) => Method::Password,
            Some(SignIn::OAuth2(_)) | None => {
                if self.oauth_offer().is_some() {
                    Method::OAuth
                } else {
                    Method::Password
                }
            }
        }
    }

    /// Whether the settings came from the organisation's admin policy (which then limits the methods).
    pub fn from_admin_policy(&self) -> bool {
        self.source == Some(Source::AdminPolicy)
    }

    /// With an admin policy, only the methods it lists may be used.
    pub fn check_allowed(&self, method: Method) -> Result<(), SetupError> {
        if self.from_admin_policy() && !self.offers(method) {
            return Err(SetupError::NotAllowed {
                email: self.email.clone(),
                allowed: match method {
                    Method::OAuth => "password sign-in",
                    Method::Password => "sign-in through the browser (OAuth)",
                },
            });
        }
        Ok(())
    }

    /// The host the browser is sent to for the sign-in, where it is known before the mail server
    /// is asked (the provider's, the administrator's or the discovery answer's sign-in service).
    pub fn sign_in_host(&self) -> Option<String> {
        let offer = self.oauth_offer()?;
        offer
            .authorization_endpoint
            .as_deref()
            .or(offer.issuer.as_deref())
            .and_then(|address| url::Url::parse(address).ok())
            .and_then(|url| url.host_str().map(str::to_owned))
    }

    /// A name for the sign-in service, for "Sign in with …": the provider, else the issuer's host.
    pub fn sign_in_service_name(&self) -> Option<String> {
        if let Some(provider) = self.provider {
            return Some(
                match provider {
                    KnownProvider::Microsoft => "Microsoft",
                    KnownProvider::Google => "Google",
                }
                .to_owned(),
            );
        }
        if let Some(name) = &self.provider_name {
            return Some(name.clone());
        }
        let issuer = self.oauth_offer()?.issuer.as_deref()?;
        url::Url::parse(issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    }
}

/// The admin policy's client id for this domain, if an admin pinned one.
pub fn policy_client_id(policy_file: Option<&std::path::Path>, email: &str) -> Option<String> {
    policy_oauth(policy_file, email)?.client_id
}

/// The admin policy's OAuth settings for this address's domain.
fn policy_oauth(
    policy_file: Option<&std::path::Path>,
    email: &str,
) -> Option<crate::discovery::policy::PolicyOAuth> {
    let policy = Policy::load(policy_file?).ok()??;
    let domain = crate::discovery::domain::email_domain(email)?;
    policy.for_domain(&domain)?.oauth2.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::Security;

    fn server(host: &str, port: u16) -> Server {
        Server {
            host: host.into(),
            port,
            security: Security::Tls,
            username: "a@example.test".into(),
        }
    }

    #[test]
    fn a_manual_plan_offers_both_methods_in_the_order_asked() {
        let plan = Plan::manual(
            " a@example.test ",
            server("imap.example.test", 993),
            server("smtp.example.test", 465),
            false,
        );
        assert_eq!(plan.email, "a@example.test");
        assert_eq!(plan.preferred(), Method::Password);
        assert!(plan.offers(Method::OAuth) && plan.offers(Method::Password));
        assert!(
            plan.check_allowed(Method::OAuth).is_ok(),
            "no policy, no limit"
        );
        let plan = Plan::manual(
            "a@example.test",
            server("imap.example.test", 993),
            server("smtp.example.test", 465),
            true,
        );
        assert_eq!(plan.preferred(), Method::OAuth);
    }

    #[test]
    fn an_admin_policy_limits_the_methods() {
        let mut plan = Plan::manual(
            "a@example.test",
            server("imap.example.test", 993),
            server("smtp.example.test", 465),
            true,
        );
        plan.source = Some(Source::AdminPolicy);
        plan.sign_in = vec![SignIn::OAuth2(OAuthSettings::default())];
        assert!(plan.check_allowed(Method::OAuth).is_ok());
        let refused = plan.check_allowed(Method::Password).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("allows only sign-in through the browser"),
            "{refused}"
        );
    }

    #[test]
    fn the_sign_in_service_is_named_by_provider_or_issuer_host() {
        let mut plan = Plan::manual(
            "a@example.test",
            server("imap.example.test", 993),
            server("smtp.example.test", 465),
            true,
        );
        assert_eq!(plan.sign_in_service_name(), None);
        plan.sign_in = vec![SignIn::OAuth2(OAuthSettings {
            issuer: Some("https://login.example.test/tenant".into()),
            ..OAuthSettings::default()
        })];
        assert_eq!(
            plan.sign_in_service_name().as_deref(),
            Some("login.example.test")
        );
        plan.provider = Some(KnownProvider::Microsoft);
        assert_eq!(plan.sign_in_service_name().as_deref(), Some("Microsoft"));
    }
}
