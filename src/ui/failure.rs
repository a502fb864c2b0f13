//! How a failure during setup is shown: a headline and a hint in the person's language saying what
//! they — or their administrator — can do, the provider's own explanation where its error code is
//! known (`auth::guidance`), and the technical details for whoever helps them.

use iced::widget::{column, container, text};
use iced::{Element, Fill};
use tayori::account::setup::SetupError;
use tayori::auth::flow::OAuthClient;
use tayori::auth::guidance::{Advice, Guidance, WhoActs};
use tayori::i18n::{Lang, Text};

use super::style;

/// The core's kind of failure: the headline and the advice are chosen by it.
pub use tayori::error::ErrorKind as Kind;

/// A failure, ready to show (and cheap to clone into messages).
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: Kind,
    /// The core's own words (English), for the details.
    pub detail: String,
    pub guidance: Option<&'static Guidance>,
    /// The provider refused the app itself: an app password may be the way out.
    pub app_refused: bool,
    /// Where the organisation has not approved Tayori (Entra consent): the admin-consent link for
    /// the person's tenant and Tayori's client id, to copy or mail to the administrator.
    pub admin_consent_link: Option<String>,
    /// The proxy (`host:port`) that asked for its user name and password: the window asks for
    /// them (as `tayori proxy sign-in` does).
    pub proxy_sign_in: Option<String>,
}

impl Failure {
    pub fn from_setup(error: &SetupError) -> Self {
        let kind = error.kind();
        Failure {
            kind,
            detail: error.to_string(),
            guidance: error.guidance(),
            app_refused: error.app_refused(),
            admin_consent_link: None,
            proxy_sign_in: error.proxy_to_sign_in(),
        }
    }

    /// The failure of a browser sign-in with `client` for `email`, with the admin-consent link
    /// where consent is what is missing (then an app password is not the way out: the
    /// administrator's approval is).
    pub fn from_sign_in(error: &SetupError, client: &OAuthClient, email: &str) -> Self {
        let mut failure = Failure::from_setup(error);
        if let SetupError::Auth(auth) = error {
            let advice = Advice::for_error(auth, Some(client), email);
            if let Some(guidance) = advice.guidance {
                failure.guidance = Some(guidance);
            }
            if advice.admin_consent_link.is_some() {
                failure.app_refused = false;
            }
            failure.admin_consent_link = advice.admin_consent_link;
        }
        failure
    }

    /// One line for a banner or a settings row: what happened (the core's words) and what to do,
    /// in the person's language — the provider's guidance where its error code is known.
    pub fn line(&self, lang: Lang) -> String {
        let advice = match self.guidance {
            Some(guidance) => guidance.text(lang),
            None => lang.text(self.hint()),
        };
        match &self.admin_consent_link {
            Some(link) => format!(
                "{} — {advice} {} {link}",
                self.detail,
                lang.text(Text::FailAdminConsentLink)
            ),
            None => format!("{} — {advice}", self.detail),
        }
    }

    pub fn title(&self) -> Text {
        match self.kind {
            Kind::Network => Text::FailNetworkTitle,
            Kind::Tls => Text::FailTlsTitle,
            Kind::Refused => Text::FailRefusedTitle,
            Kind::SignIn => Text::FailSignInTitle,
            Kind::Timeout => Text::FailTimeoutTitle,
            Kind::Browser => Text::FailBrowserTitle,
            Kind::NoClient => Text::FailNoClientTitle,
            Kind::NoBrowserSignIn => Text::FailNoBrowserSignInTitle,
            Kind::KeyringLocked | Kind::Keyring => Text::FailKeyringTitle,
            Kind::Policy => Text::FailPolicyTitle,
            Kind::Save => Text::FailSaveTitle,
            Kind::Other => Text::FailOtherTitle,
        }
    }

    pub fn hint(&self) -> Text {
        match self.kind {
            Kind::Network => Text::FailNetworkHint,
            Kind::Tls => Text::FailTlsHint,
            Kind::Refused => Text::FailRefusedHint,
            Kind::SignIn => Text::FailSignInHint,
            Kind::Timeout => Text::FailTimeoutHint,
            Kind::Browser => Text::FailBrowserHint,
            Kind::NoClient => Text::FailNoClientHint,
            Kind::NoBrowserSignIn => Text::FailNoBrowserSignInHint,
            Kind::KeyringLocked => Text::FailKeyringLockedHint,
            Kind::Keyring => Text::FailKeyringHint,
            Kind::Policy => Text::FailPolicyHint,
            Kind::Save => Text::FailSaveHint,
            Kind::Other => Text::FailOtherHint,
        }
    }

    /// The panel: headline, what to do (the provider-specific guidance first, where known), details.
    pub fn view<'a, M: 'a>(&'a self, lang: Lang) -> Element<'a, M> {
        let (who, advice) = match self.guidance {
            Some(g) => (
                match g.who {
                    WhoActs::You => Text::WhatYouCanDo,
                    WhoActs::YourAdmin => Text::WhatYourAdminCanDo,
                },
                g.text(lang),
            ),
            None => (Text::WhatYouCanDo, lang.text(self.hint())),
        };
        container(
            column![
                text(lang.text(self.title()))
                    .size(style::BODY)
                    .font(style::bold())
                    .style(style::danger),
                column![
                    text(lang.text(who)).size(style::SMALL).font(style::bold()),
                    text(advice).size(style::SMALL),
                ]
                .push(self.admin_consent_link.as_ref().map(|link| {
                    column![
                        text(lang.text(Text::FailAdminConsentLink)).size(style::SMALL),
                        text(link)
                            .size(style::SMALL)
                            .font(iced::Font::MONOSPACE)
                            .wrapping(iced::widget::text::Wrapping::Glyph),
                    ]
                    .spacing(2)
                }))
                .spacing(2),
                column![
                    text(lang.text(Text::TechnicalDetails))
                        .size(style::TINY)
                        .style(style::muted),
                    text(&self.detail).size(style::TINY).style(style::muted),
                ]
                .spacing(2),
            ]
            .spacing(10),
        )
        .padding(14)
        .width(Fill)
        .style(style::problem)
        .into()
    }
}

#[cfg(test)]
mod tests {
    use tayori::auth::AuthError;
    use tayori::auth::loopback::CallbackError;
    use tayori::smtp::SmtpError;

    use super::*;

    #[test]
    fn refusals_with_a_known_code_carry_the_providers_explanation() {
        let error = SetupError::Smtp(SmtpError::Refused {
            reason: "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled"
                .into(),
            advice: None,
        });
        let failure = Failure::from_setup(&error);
        assert_eq!(failure.kind, Kind::Refused);
        let guidance = failure.guidance.expect("5.7.139 is explained");
        assert_eq!(guidance.who, WhoActs::YourAdmin);
        assert!(guidance.text(Lang::Ja).contains("SMTP AUTH"));
    }

    #[test]
    fn a_tenant_refusing_the_app_offers_the_app_password_way_out() {
        let error = SetupError::Auth(AuthError::Callback(CallbackError::Provider {
            error: "access_denied".into(),
            description: Some("AADSTS65001: The user or administrator has not consented".into()),
        }));
        let failure = Failure::from_setup(&error);
        assert_eq!(failure.kind, Kind::SignIn);
        assert!(failure.app_refused);
        assert_eq!(failure.guidance.unwrap().key, "AADSTS65001");
    }

    #[test]
    fn every_kind_has_its_own_words_in_both_languages() {
        let kinds = [
            Kind::Network,
            Kind::Tls,
            Kind::Refused,
            Kind::SignIn,
            Kind::Timeout,
            Kind::Browser,
            Kind::NoClient,
            Kind::NoBrowserSignIn,
            Kind::KeyringLocked,
            Kind::Keyring,
            Kind::Policy,
            Kind::Save,
            Kind::Other,
        ];
        let mut hints = std::collections::HashSet::new();
        for kind in kinds {
            let failure = Failure {
                kind,
                detail: String::new(),
                guidance: None,
                app_refused: false,
                admin_consent_link: None,
                proxy_sign_in: None,
            };
            for lang in [Lang::En, Lang::Ja] {
                assert!(!lang.text(failure.title()).is_empty());
            }
            hints.insert(failure.hint());
        }
        assert_eq!(
            hints.len(),
            kinds.len(),
            "each kind says something different"
        );
    }

    #[test]
    fn missing_consent_shows_the_admin_consent_link_in_both_languages() {
        use tayori::auth::AuthError;
        let error = SetupError::Auth(AuthError::Refused(tayori::auth::refusal::Refusal::new(
            "consent_required",
            Some(
                "AADSTS65001: The user or administrator has not consented to use the application.\r\nTrace ID: x",
            ),
        )));
        let client = OAuthClient {
            client_id: "7a3e0000-0000-4000-8000-00000000a001".into(),
            authorization_endpoint:
                "https://login.microsoftonline.com/common/oauth2/v2.0/authorize".into(),
            token_endpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/token".into(),
            issuer: None,
            iss_required: false,
            scopes: vec!["https://outlook.office.com/IMAP.AccessAsUser.All".into()],
            client_secret: None,
        };
        let failure = Failure::from_sign_in(&error, &client, "t03@contoso.com");
        assert!(
            !failure.app_refused,
            "admin consent, not an app password, is the way out"
        );
        assert_eq!(failure.guidance.map(|g| g.who), Some(WhoActs::YourAdmin));
        for lang in [Lang::En, Lang::Ja] {
            let line = failure.line(lang);
            assert!(
                line.contains("https://login.microsoftonline.com/contoso.com/v2.0/adminconsent?client_id=7a3e0000-0000-4000-8000-00000000a001"),
                "{line}"
            );
            assert!(line.contains(lang.text(Text::FailAdminConsentLink)));
            assert!(!line.contains("Trace ID"), "{line}");
        }
    }
}
