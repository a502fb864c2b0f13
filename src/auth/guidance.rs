//! What to tell a person when sign-in fails: what happened, and what they — or their administrator
//! — can do. Keyed by the codes providers actually send (Microsoft's AADSTS numbers in
//! `error_description`, SMTP enhanced status codes, IMAP server texts). The words, in Japanese and
//! English, are in the catalog (`i18n`, area `auth`); this module knows which code means which.

use super::AuthError;
use super::consent::admin_consent_url;
use super::flow::OAuthClient;
use super::refusal::RefusalKind;
use crate::i18n::{Lang, Text};

/// Who can fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhoActs {
    You,
    YourAdmin,
}

/// One explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guidance {
    /// The provider's code (`AADSTS65001`, `5.7.139`) this explains.
    pub key: &'static str,
    pub who: WhoActs,
    pub explanation: Text,
}

impl Guidance {
    pub fn text(&self, lang: Lang) -> &'static str {
        lang.text(self.explanation)
    }
}

const CATALOG: &[Guidance] = &[
    Guidance {
        key: "AADSTS50076",
        who: WhoActs::You,
        explanation: Text::GuideMfaRequired,
    },
    Guidance {
        key: "AADSTS50079",
        who: WhoActs::You,
        explanation: Text::GuideMfaRegistration,
    },
    Guidance {
        key: "AADSTS53003",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideConditionalAccess,
    },
    Guidance {
        key: "AADSTS65001",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideNoConsent,
    },
    Guidance {
        key: "AADSTS90094",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideAdminApproval,
    },
    Guidance {
        key: "AADSTS90095",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideAdminApproval,
    },
    Guidance {
        key: "AADSTS65004",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideNoConsent,
    },
    Guidance {
        key: "AADSTS70043",
        who: WhoActs::You,
        explanation: Text::GuideSignInFrequency,
    },
    Guidance {
        key: "AADSTS700082",
        who: WhoActs::You,
        explanation: Text::GuideInactive,
    },
    Guidance {
        key: "AADSTS700016",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideAppUnknown,
    },
    Guidance {
        key: "AADSTS500113",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideNoRedirectUri,
    },
    Guidance {
        key: "AADSTS900971",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideNoRedirectGiven,
    },
    Guidance {
        key: "5.7.139",
        who: WhoActs::YourAdmin,
        explanation: Text::GuideSmtpAuthDisabled,
    },
    Guidance {
        key: "basic-auth-disabled",
        who: WhoActs::You,
        explanation: Text::GuideBasicAuthDisabled,
    },
];

/// Finds the explanation for a provider message (an `error_description` with an AADSTS code, an
/// SMTP reply, an IMAP `NO` text).
pub fn explain(message: &str) -> Option<&'static Guidance> {
    let lower = message.to_ascii_lowercase();
    if lower.contains("basic authentication is disabled") || lower.contains("basicauthblocked") {
        return CATALOG.iter().find(|g| g.key == "basic-auth-disabled");
    }
    CATALOG.iter().find(|g| {
        if g.key.starts_with("AADSTS") {
            // "AADSTS50076" must not match inside "AADSTS500761".
            lower
                .match_indices(&g.key.to_ascii_lowercase())
                .any(|(at, m)| !lower[at + m.len()..].starts_with(|c: char| c.is_ascii_digit()))
        } else {
            lower.contains(g.key)
        }
    })
}

/// What to tell a person whose sign-in was refused: the provider code's explanation, the
/// admin-consent link where the organisation has not approved Tayori, and whether signing in again
/// helps (only then is it suggested). The command line and the window word it from this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub guidance: Option<&'static Guidance>,
    pub kind: Option<RefusalKind>,
    pub admin_consent_link: Option<String>,
    pub sign_in_again_helps: bool,
}

impl Advice {
    /// Advice for `error`, met while signing in `email` with `client` (if known).
    pub fn for_error(error: &AuthError, client: Option<&OAuthClient>, email: &str) -> Advice {
        let refusal = error.refusal();
        let kind = refusal.as_ref().map(|r| r.kind);
        let admin_consent_link = (kind == Some(RefusalKind::Consent))
            .then(|| client.and_then(|c| admin_consent_url(c, email)))
            .flatten();
        Advice {
            guidance: refusal
                .as_ref()
                .and_then(|r| r.code.as_deref().and_then(explain))
                .or_else(|| explain(&error.to_string())),
            kind,
            admin_consent_link,
            sign_in_again_helps: error.sign_in_again_helps(),
        }
    }
}

impl Advice {
    /// Advice for a refusal recorded earlier (the account list's "needs sign-in" reason), for the
    /// account's saved `client` and `email`.
    pub fn for_recorded(reason: &str, client: Option<&OAuthClient>, email: &str) -> Advice {
        let refusal = super::refusal::Refusal::new("", Some(reason));
        let kind = refusal.code.is_some().then_some(refusal.kind);
        Advice {
            guidance: explain(reason),
            kind,
            admin_consent_link: (kind == Some(RefusalKind::Consent))
                .then(|| client.and_then(|c| admin_consent_url(c, email)))
                .flatten(),
            sign_in_again_helps: refusal.sign_in_again_helps_or_unknown(),
        }
    }
}

/// Why an app password is offered, and how to make one, per provider.
pub fn app_password_help(
    provider: Option<crate::discovery::KnownProvider>,
    lang: Lang,
) -> &'static str {
    use crate::discovery::KnownProvider::*;
    lang.text(match provider {
        Some(Microsoft) => Text::AppPasswordMicrosoft,
        Some(Google) => Text::AppPasswordGoogle,
        None => Text::AppPasswordServer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_code_is_explained_in_both_languages() {
        for message in [
            "AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication",
            "AADSTS50079: The user is required to use multi-factor authentication.",
            "AADSTS53003: Access has been blocked by Conditional Access policies.",
            "AADSTS65001: The user or administrator has not consented to use the application",
            "AADSTS90094: The grant requires admin permission.",
            "AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.",
            "AADSTS700082: The refresh token has expired due to inactivity.",
            "AADSTS700016: Application with identifier 'x' was not found in the directory 'contoso'.",
            "AADSTS500113: No reply address is registered for the application.",
            "AADSTS900971: No reply address provided.",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            "NO AUTHENTICATE failed: basic authentication is disabled",
        ] {
            let guidance = explain(message).unwrap_or_else(|| panic!("no guidance for {message}"));
            assert!(!guidance.text(Lang::En).is_empty() && !guidance.text(Lang::Ja).is_empty());
            assert_ne!(guidance.text(Lang::En), guidance.text(Lang::Ja));
        }
    }

    #[test]
    fn codes_match_exactly_and_admin_actions_are_marked() {
        assert_eq!(
            explain("AADSTS700082: expired").unwrap().key,
            "AADSTS700082"
        );
        assert_eq!(
            explain("AADSTS70043: frequency").unwrap().key,
            "AADSTS70043"
        );
        assert!(explain("AADSTS500761 something else").is_none());
        assert_eq!(explain("AADSTS65001").unwrap().who, WhoActs::YourAdmin);
        assert!(
            explain("535 5.7.139 x")
                .unwrap()
                .text(Lang::En)
                .contains("SmtpClientAuthenticationDisabled")
        );
        assert!(explain("an unrelated error").is_none());
    }

    #[test]
    fn app_password_help_names_the_right_page() {
        use crate::discovery::KnownProvider;
        assert!(
            app_password_help(Some(KnownProvider::Microsoft), Lang::En)
                .contains("https://aka.ms/mfasetup")
        );
        assert!(
            app_password_help(Some(KnownProvider::Microsoft), Lang::Ja)
                .contains("https://aka.ms/mfasetup")
        );
        assert!(app_password_help(Some(KnownProvider::Google), Lang::En).contains("apppasswords"));
    }
}
