//! Why a message waits or was refused, in words a person understands: the SMTP server's reply
//! (kept with the message as its reason) explained by its reply code and enhanced status code, or
//! by the provider's own explanation where its code is known (`auth::guidance`).

use crate::auth::guidance;
use crate::i18n::{Lang, Text};

/// How the reason of a refusal on the Microsoft Graph path begins.
pub const GRAPH_REASON: &str = "Microsoft Graph: ";

/// The server's reason in plain words, in `lang`: what happened and what the person (or their
/// administrator) can do. `None` when the reply says nothing Tayori can explain better.
pub fn plain_words(reason: &str, lang: Lang) -> Option<&'static str> {
    // Microsoft Graph (sending where SMTP AUTH is off) without the permission to send.
    if reason.starts_with(GRAPH_REASON)
        && [
            "AADSTS65001",
            "AADSTS90094",
            "AADSTS65004",
            "ErrorAccessDenied",
        ]
        .iter()
        .any(|code| reason.contains(code))
    {
        return Some(lang.text(Text::GraphConsentNeeded));
    }
    if let Some(guidance) = guidance::explain(reason) {
        return Some(guidance.text(lang));
    }
    // Tayori's own reasons (kept with the message as text): these are not server replies.
    if reason.contains("no longer offers encryption") {
        return Some(lang.text(Text::SmtpNoEncryption));
    }
    if reason.contains("was tampered with") {
        return Some(lang.text(Text::SmtpTampered));
    }
    if reason.contains("it may have been sent") {
        return Some(lang.text(Text::OutboxMaybeSent));
    }
    // Sending as an address the signed-in person may not send as: Exchange Online's 5.7.60 (and
    // its NDR's SendAsDenied), Postfix's reject_sender_login_mismatch.
    if reason.contains("5.7.60")
        || reason.contains("SendAsDenied")
        || reason.contains("not owned by user")
        || reason.contains("permissions to send as")
    {
        return Some(lang.text(Text::SmtpSendAsDenied));
    }
    let reason = reason.trim_start();
    let code = reason
        .get(..3)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
    // The enhanced status code (RFC 3463) after the reply code says more than the code itself.
    let enhanced = reason
        .split_whitespace()
        .find(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .unwrap_or("");
    let text = match (code, enhanced) {
        (Some("535" | "534" | "530"), _) => Text::SmtpAuthRefused,
        (_, e) if e.starts_with("5.1.") => Text::SmtpRecipientRejected,
        (_, "5.2.2" | "4.2.2") => Text::SmtpMailboxFull,
        (_, "5.3.4" | "5.2.3") | (Some("552"), "") => Text::SmtpTooBig,
        (_, e) if e.starts_with("5.7.") => Text::SmtpPolicy,
        (Some("550" | "553"), "") => Text::SmtpRecipientRejected,
        (Some(c), _) if c.starts_with('4') => Text::SmtpTemporary,
        (None, _) => Text::SmtpUnreachable,
        _ => return None,
    };
    Some(lang.text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_for_the_replies_people_meet() {
        let en = |r: &str| plain_words(r, Lang::En).unwrap_or("(none)");
        assert!(en("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.")
            .contains("Set-TransportConfig"));
        assert!(
            plain_words("535 5.7.139 Authentication unsuccessful", Lang::Ja)
                .unwrap()
                .contains("SMTP AUTH")
        );
        assert!(en("550 5.1.1 <x@y>: Recipient address rejected").contains("recipients"));
        assert!(en("552 5.2.2 Mailbox full").contains("full"));
        assert!(en("552 5.3.4 Message size exceeds fixed limit").contains("larger"));
        assert!(en("552 Too much mail data").contains("larger"));
        assert!(en("550 5.7.1 Sender not allowed").contains("policy"));
        // Send As: Exchange Online's words and Postfix's.
        for reply in [
            "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
            "553 5.7.1 <info@contoso.test>: Sender address rejected: not owned by user diego@contoso.test",
        ] {
            assert!(en(reply).contains("\"Send As\" permission"), "{reply}");
            assert!(
                plain_words(reply, Lang::Ja).unwrap().contains("Send As"),
                "{reply}"
            );
        }
        assert!(en("535 5.7.8 Authentication credentials invalid").contains("Sign in again"));
        assert!(en("421 4.4.0 Failed to connect to relay server").contains("try again"));
        assert!(en("Connection refused (os error 111)").contains("could not be reached"));
        assert_eq!(plain_words("554 Transaction failed", Lang::En), None);
        let graph = "Microsoft Graph: the sign-in service refused: invalid_grant — AADSTS65001: The user or administrator has not consented";
        assert!(en(graph).contains("Mail.Send"), "{}", en(graph));
        assert!(
            plain_words(graph, Lang::Ja)
                .unwrap()
                .contains("Microsoft 365 経由")
        );
    }
}
