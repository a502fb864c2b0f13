//! What a provider's refusal means, told as what it is: missing consent, conditional access,
//! multi-factor sign-in, an expired or revoked sign-in, an app the directory does not know. Each kind
//! says whether signing in again can help — only there does Tayori say "sign in again".
//!
//! Entra puts its AADSTS code and a diagnostic tail ("Trace ID: … Correlation ID: … Timestamp: …")
//! into `error_description`; the tail is for the log, not for the person, so [`Refusal::message`]
//! keeps only the first sentence block before it.

use std::fmt;

/// What kind of refusal it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The organisation has not approved the app (AADSTS65001, 65004, 90094, 90095,
    /// `consent_required`): only an administrator can fix it, with admin consent.
    Consent,
    /// A conditional-access policy blocks the sign-in (AADSTS53003, 53000, 53001): the
    /// administrator, or a permitted device or network.
    ConditionalAccess,
    /// Multi-factor sign-in (or its registration) is required (AADSTS50076, 50079, 50074,
    /// `interaction_required`): a new sign-in in the browser helps.
    MultiFactor,
    /// The sign-in expired or was revoked (`invalid_grant`, AADSTS70043 sign-in frequency,
    /// 700082 inactivity, 50173 revoked sessions, 50133 password change): sign in again.
    Expired,
    /// The app itself is refused or unknown (AADSTS700016, 7000218, 50011, 500113, 900971,
    /// `unauthorized_client`, `invalid_client`): the administrator or the app registration.
    App,
    /// The person declined in the browser (`access_denied` without an admin code).
    Declined,
    /// The sign-in service is down or overloaded (`temporarily_unavailable`, `server_error`,
    /// AADSTS90033): not a refusal at all — trying again later helps, a new sign-in does not.
    Unavailable,
    /// Anything else the provider said.
    Other,
}

impl RefusalKind {
    /// Whether signing in again in the browser can fix it.
    pub fn sign_in_again_helps(self) -> bool {
        matches!(
            self,
            RefusalKind::MultiFactor | RefusalKind::Expired | RefusalKind::Declined
        )
    }
}

/// A refusal from an authorization server (the redirect's or the token endpoint's `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The OAuth `error` (`invalid_grant`, `consent_required`, …).
    pub error: String,
    /// Entra's `AADSTS…` code, if the description carries one.
    pub code: Option<String>,
    /// The description without the provider's diagnostic tail.
    pub message: Option<String>,
    pub kind: RefusalKind,
}

const CONSENT: [&str; 5] = ["65001", "65004", "90094", "90095", "650052"];
const CONDITIONAL_ACCESS: [&str; 4] = ["53003", "53000", "53001", "530003"];
const MULTI_FACTOR: [&str; 4] = ["50076", "50079", "50074", "50158"];
const EXPIRED: [&str; 8] = [
    "70043", "700082", "50173", "50133", "700084", "50089", "70008", "50078",
];
const UNAVAILABLE: [&str; 1] = ["90033"];
const APP: [&str; 7] = [
    "700016", "7000218", "50011", "500113", "900971", "50194", "700054",
];

impl Refusal {
    pub fn new(error: &str, description: Option<&str>) -> Refusal {
        let code = description.and_then(aadsts_code);
        let number = code.as_deref().map(|c| c.trim_start_matches("AADSTS"));
        let is = |list: &[&str]| number.is_some_and(|n| list.contains(&n));
        let kind =
            if is(&UNAVAILABLE) || matches!(error, "temporarily_unavailable" | "server_error") {
                RefusalKind::Unavailable
            } else if is(&CONSENT) || error == "consent_required" {
                RefusalKind::Consent
            } else if is(&CONDITIONAL_ACCESS) {
                RefusalKind::ConditionalAccess
            } else if is(&MULTI_FACTOR) {
                RefusalKind::MultiFactor
            } else if is(&EXPIRED) {
                RefusalKind::Expired
            } else if is(&APP) || matches!(error, "unauthorized_client" | "invalid_client") {
                RefusalKind::App
            } else {
                // A code not listed above says no more than the OAuth error itself: `invalid_grant`
                // (AADSTS70000 "the provided grant has expired", a revoked refresh token) is cured by
                // a new sign-in whatever its number.
                match error {
                    "invalid_grant" | "login_required" => RefusalKind::Expired,
                    "interaction_required" => RefusalKind::MultiFactor,
                    "access_denied" => RefusalKind::Declined,
                    _ => RefusalKind::Other,
                }
            };
        Refusal {
            error: error.to_owned(),
            code,
            message: description.map(clean_description).filter(|m| !m.is_empty()),
            kind,
        }
    }

    pub fn sign_in_again_helps(&self) -> bool {
        self.kind.sign_in_again_helps()
    }

    /// For a refusal read back from a saved text (the account list's "needs sign-in" reason):
    /// whether a new sign-in may help — yes, unless the text names a refusal that it cannot fix
    /// (consent, conditional access, the app).
    pub fn sign_in_again_helps_or_unknown(&self) -> bool {
        !matches!(
            self.kind,
            RefusalKind::Consent
                | RefusalKind::ConditionalAccess
                | RefusalKind::App
                | RefusalKind::Unavailable
        )
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) if message.contains(&self.error) => f.write_str(message),
            Some(message) => write!(f, "{} — {message}", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// The first `AADSTS<digits>` in a text.
fn aadsts_code(text: &str) -> Option<String> {
    let at = text.find("AADSTS")?;
    let digits: String = text[at + 6..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

/// The description without Entra's diagnostic tail (trace and correlation ids, timestamp), on one
/// line.
pub fn clean_description(description: &str) -> String {
    let mut cut = description.len();
    for marker in ["Trace ID:", "Correlation ID:", "Timestamp:"] {
        if let Some(at) = description.find(marker) {
            cut = cut.min(at);
        }
    }
    description[..cut]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAIL: &str = "\r\nTrace ID: 0b7e5a1c-0000-4000-8000-000000000000\r\nCorrelation ID: 1c2d3e4f-0000-4000-8000-000000000000\r\nTimestamp: 2026-12-06 04:00:00Z";

    #[test]
    fn an_unlisted_aadsts_code_on_invalid_grant_asks_for_a_new_sign_in() {
        let expired = Refusal::new(
            "invalid_grant",
            Some("AADSTS70000: The provided grant has expired"),
        );
        assert_eq!(expired.kind, RefusalKind::Expired);
        assert!(expired.sign_in_again_helps());
        let unknown = Refusal::new("server_error", Some("AADSTS90000: something"));
        assert!(!unknown.sign_in_again_helps());
    }

    #[test]
    fn each_refusal_is_told_as_what_it_is() {
        for (error, description, kind) in [
            (
                "invalid_grant",
                "AADSTS65001: The user or administrator has not consented to use the application.",
                RefusalKind::Consent,
            ),
            (
                "consent_required",
                "AADSTS65001: not consented",
                RefusalKind::Consent,
            ),
            (
                "access_denied",
                "AADSTS65004: User declined to consent to access the app.",
                RefusalKind::Consent,
            ),
            (
                "access_denied",
                "AADSTS90094: The grant requires admin permission.",
                RefusalKind::Consent,
            ),
            (
                "access_denied",
                "AADSTS90095: Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin.",
                RefusalKind::Consent,
            ),
            (
                "interaction_required",
                "AADSTS53003: Access has been blocked by Conditional Access policies.",
                RefusalKind::ConditionalAccess,
            ),
            (
                "interaction_required",
                "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '…'.",
                RefusalKind::MultiFactor,
            ),
            (
                "invalid_grant",
                "AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.",
                RefusalKind::Expired,
            ),
            (
                "invalid_grant",
                "AADSTS50173: The provided grant has expired due to it being revoked.",
                RefusalKind::Expired,
            ),
            (
                "invalid_client",
                "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                RefusalKind::App,
            ),
            (
                "invalid_grant",
                "Token has been expired or revoked.",
                RefusalKind::Expired,
            ),
            (
                "access_denied",
                "The user denied the request",
                RefusalKind::Declined,
            ),
        ] {
            let refusal = Refusal::new(error, Some(&format!("{description}{TAIL}")));
            assert_eq!(refusal.kind, kind, "{description}");
            let shown = refusal.to_string();
            assert!(
                !shown.contains("Trace ID")
                    && !shown.contains('\r')
                    && !shown.contains("Timestamp"),
                "{shown}"
            );
        }
    }

    #[test]
    fn only_where_a_new_sign_in_helps_is_it_suggested() {
        let says =
            |error, description| Refusal::new(error, Some(description)).sign_in_again_helps();
        assert!(says("interaction_required", "AADSTS50076: MFA"));
        assert!(says("invalid_grant", "AADSTS700082: inactive"));
        assert!(!says("invalid_grant", "AADSTS65001: consent"));
        assert!(!says("interaction_required", "AADSTS53003: blocked"));
        assert!(!says("unauthorized_client", "AADSTS700016: not found"));
        assert_eq!(
            Refusal::new("invalid_grant", Some("AADSTS500761 x"))
                .code
                .as_deref(),
            Some("AADSTS500761")
        );
    }
}
