//! How a failure during setup is shown: a headline and a hint in the person's language saying what
//! they — or their administrator — can do, the provider's own explanation where its error code is
//! known (`auth::guidance`), and the technical details for whoever helps them.

use iced::widget::{column, container, text};
use iced::{Element, Fill};
use tayori::account::setup::SetupError;
use tayori::auth::AuthError;
use tayori::auth::guidance::{Guidance, WhoActs};
use tayori::auth::keyring_store::KeyringError;
use tayori::auth::loopback::CallbackError;
use tayori::i18n::{Lang, Text};
use tayori::imap::ImapError;
use tayori::net::NetError;
use tayori::smtp::SmtpError;

use super::style;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Network,
    Tls,
    Refused,
    SignIn,
    Timeout,
    Browser,
    NoClient,
    NoBrowserSignIn,
    KeyringLocked,
    Keyring,
    Policy,
    Save,
    Other,
}

/// A failure, ready to show (and cheap to clone into messages).
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: Kind,
    /// The core's own words (English), for the details.
    pub detail: String,
    pub guidance: Option<&'static Guidance>,
    /// The provider refused the app itself: an app password may be the way out.
    pub app_refused: bool,
}

fn auth_kind(error: &AuthError) -> Kind {
    match error {
        AuthError::NoClientId { .. } => Kind::NoClient,
        AuthError::Browser(_) => Kind::Browser,
        AuthError::Callback(CallbackError::TimedOut(_)) => Kind::Timeout,
        AuthError::Network(_) | AuthError::Metadata(_) => Kind::Network,
        AuthError::Keyring(KeyringError::Locked) => Kind::KeyringLocked,
        AuthError::Keyring(_) => Kind::Keyring,
        _ => Kind::SignIn,
    }
}

fn net_kind(error: &NetError) -> Kind {
    match error {
        NetError::Tls { .. } | NetError::TrustStore(_) => Kind::Tls,
        NetError::Refused(
            tayori::net::proxy::Refusal::TlsResigned { .. }
            | tayori::net::proxy::Refusal::TlsUnknownIssuer { .. },
        ) => Kind::Tls,
        NetError::Connect { .. } | NetError::BadHostName { .. } | NetError::Refused(_) => {
            Kind::Network
        }
    }
}

impl Failure {
    pub fn from_setup(error: &SetupError) -> Self {
        let kind = match error {
            SetupError::Network(_) => Kind::Network,
            SetupError::Discovery(_) => Kind::Other,
            SetupError::NotAllowed { .. } => Kind::Policy,
            SetupError::NoIssuerHint => Kind::NoBrowserSignIn,
            SetupError::NoSignInService(_) => Kind::SignIn,
            SetupError::Auth(e) => auth_kind(e),
            SetupError::Imap(ImapError::Net(e)) => net_kind(e),
            SetupError::Imap(ImapError::NoStartTls { .. }) => Kind::Tls,
            SetupError::Imap(ImapError::Refused { .. }) => Kind::Refused,
            SetupError::Imap(ImapError::Auth(e)) | SetupError::Smtp(SmtpError::Auth(e)) => {
                auth_kind(e)
            }
            SetupError::Imap(ImapError::Protocol { .. }) => Kind::Other,
            SetupError::Smtp(SmtpError::Refused { .. }) => Kind::Refused,
            SetupError::Smtp(SmtpError::Resolve { .. } | SmtpError::Connection(_)) => Kind::Network,
            SetupError::Keyring(KeyringError::Locked) => Kind::KeyringLocked,
            SetupError::Keyring(_) => Kind::Keyring,
            SetupError::Accounts(_) | SetupError::Store(_) => Kind::Save,
            SetupError::NoPassword => Kind::Refused,
        };
        Failure {
            kind,
            detail: error.to_string(),
            guidance: error.guidance(),
            app_refused: error.app_refused(),
        }
    }

    /// One line for a banner or a settings row: what happened (the core's words) and what to do,
    /// in the person's language — the provider's guidance where its error code is known.
    pub fn line(&self, lang: Lang) -> String {
        let advice = match self.guidance {
            Some(guidance) => guidance.text(lang),
            None => lang.text(self.hint()),
        };
        format!("{} — {advice}", self.detail)
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
}
