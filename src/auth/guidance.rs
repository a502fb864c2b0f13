//! What to tell a person when sign-in fails, in Japanese and English: what happened, and what they —
//! or their administrator — can do. Keyed by the codes providers actually send (Microsoft's AADSTS
//! numbers in `error_description`, SMTP enhanced status codes, IMAP server texts).

use crate::i18n::Lang;

/// Who can fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhoActs {
    You,
    YourAdmin,
}

/// One explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guidance {
    pub key: &'static str,
    pub who: WhoActs,
    pub en: &'static str,
    pub ja: &'static str,
}

impl Guidance {
    pub fn text(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Ja => self.ja,
        }
    }
}

const CATALOG: &[Guidance] = &[
    Guidance {
        key: "AADSTS50076",
        who: WhoActs::You,
        en: "Your organisation requires multi-factor sign-in. Sign in again in the browser window and complete the extra step (app notification, code or security key).",
        ja: "組織が多要素認証を求めています。ブラウザーでもう一度サインインし、追加の確認（アプリの通知、コード、セキュリティ キー）を完了してください。",
    },
    Guidance {
        key: "AADSTS50079",
        who: WhoActs::You,
        en: "Your organisation requires you to set up multi-factor sign-in first. Sign in again in the browser and follow the registration steps.",
        ja: "多要素認証の登録が必要です。ブラウザーでもう一度サインインし、表示される登録手順に従ってください。",
    },
    Guidance {
        key: "AADSTS53003",
        who: WhoActs::YourAdmin,
        en: "A conditional-access policy of your organisation blocked this sign-in (for example: unmanaged device, location or app). Ask your administrator to allow Tayori, or sign in from a permitted device or network.",
        ja: "組織の条件付きアクセス ポリシーによりサインインがブロックされました（管理されていないデバイス、場所、アプリなど）。管理者に Tayori の許可を依頼するか、許可されたデバイスやネットワークからサインインしてください。",
    },
    Guidance {
        key: "AADSTS65001",
        who: WhoActs::YourAdmin,
        en: "Your organisation has not approved Tayori to read and send mail for you, and you cannot approve it yourself. Ask your administrator to grant admin consent for Tayori (Entra ID → Enterprise applications), or to register the organisation's own app for it.",
        ja: "組織が Tayori によるメールの読み取り・送信を承認しておらず、ご自身では承認できません。管理者に Tayori への管理者の同意（Entra ID → エンタープライズ アプリケーション）を依頼するか、組織独自のアプリ登録を依頼してください。",
    },
    Guidance {
        key: "AADSTS90094",
        who: WhoActs::YourAdmin,
        en: "Administrator approval is needed before Tayori can access your mailbox. Ask your administrator to grant consent for Tayori in Entra ID.",
        ja: "Tayori がメールボックスにアクセスするには管理者の承認が必要です。Entra ID で Tayori への同意を付与するよう管理者に依頼してください。",
    },
    Guidance {
        key: "AADSTS70043",
        who: WhoActs::You,
        en: "Your organisation requires you to sign in again after a set time (sign-in frequency policy). Sign in again; your mail on this computer stays readable meanwhile.",
        ja: "組織のポリシー（サインインの頻度）により、一定時間ごとに再サインインが必要です。もう一度サインインしてください。その間もこのパソコンにあるメールは読めます。",
    },
    Guidance {
        key: "AADSTS700082",
        who: WhoActs::You,
        en: "Your sign-in expired because Tayori was not used for a long time. Sign in again; your mail on this computer stays readable meanwhile.",
        ja: "長期間使用されなかったため、サインインの有効期限が切れました。もう一度サインインしてください。その間もこのパソコンにあるメールは読めます。",
    },
    Guidance {
        key: "AADSTS700016",
        who: WhoActs::YourAdmin,
        en: "Tayori's application is not known in your organisation's directory. Your administrator can add it, or configure the organisation's own app registration for Tayori (client id in Tayori's admin policy).",
        ja: "Tayori のアプリケーションが組織のディレクトリに登録されていません。管理者が追加するか、組織独自のアプリ登録（Tayori の管理ポリシーのクライアント ID）を設定できます。",
    },
    Guidance {
        key: "AADSTS500113",
        who: WhoActs::YourAdmin,
        en: "The app registration has no redirect address for desktop apps. Your administrator must add the redirect URI http://localhost (mobile and desktop applications) to the app registration used by Tayori.",
        ja: "アプリ登録にデスクトップ アプリ用のリダイレクト先がありません。Tayori が使うアプリ登録に、リダイレクト URI http://localhost（モバイル アプリケーションとデスクトップ アプリケーション）を管理者が追加する必要があります。",
    },
    Guidance {
        key: "AADSTS900971",
        who: WhoActs::YourAdmin,
        en: "The sign-in request had no redirect address the app registration accepts. Your administrator must add http://localhost as a desktop redirect URI of the app registration used by Tayori.",
        ja: "アプリ登録が受け付けるリダイレクト先がありません。Tayori が使うアプリ登録に、デスクトップ用リダイレクト URI として http://localhost を管理者が追加する必要があります。",
    },
    Guidance {
        key: "5.7.139",
        who: WhoActs::YourAdmin,
        en: "Sending is switched off for your mailbox: SMTP AUTH is disabled for your organisation or mailbox in Exchange Online. Your administrator can enable \"Authenticated SMTP\" for your mailbox (Microsoft 365 admin center → Users → Mail → Manage email apps), or for the organisation (Set-TransportConfig -SmtpClientAuthenticationDisabled $false). Your message stays in the outbox.",
        ja: "メールボックスの送信機能（SMTP AUTH）が Exchange Online で無効になっています。管理者がメールボックスの「認証済み SMTP」を有効にする（Microsoft 365 管理センター → ユーザー → メール → メール アプリの管理）か、組織全体で有効にできます（Set-TransportConfig -SmtpClientAuthenticationDisabled $false）。メッセージは送信トレイに残っています。",
    },
    Guidance {
        key: "basic-auth-disabled",
        who: WhoActs::You,
        en: "The server no longer accepts passwords (basic authentication is disabled). Sign in with your organisation's account in the browser instead — Tayori does this with modern authentication, so no app password or policy exception is needed.",
        ja: "サーバーはパスワードでのログイン（基本認証）を受け付けなくなりました。ブラウザーで組織のアカウントにサインインしてください。Tayori は先進認証を使うため、アプリ パスワードやポリシーの例外は不要です。",
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

/// Why an app password is offered, and how to make one, per provider.
pub fn app_password_help(
    provider: Option<crate::discovery::KnownProvider>,
    lang: Lang,
) -> &'static str {
    use crate::discovery::KnownProvider::*;
    match (provider, lang) {
        (Some(Microsoft), Lang::En) => {
            "Tayori could not sign you in through the browser, so it offers an app password instead. App passwords exist only if your administrator allowed them and your account uses per-user multi-factor sign-in: create one at https://aka.ms/mfasetup → \"App passwords\". They do not work with conditional-access MFA or security defaults, and they bypass multi-factor sign-in — use one only if your administrator says so."
        }
        (Some(Microsoft), Lang::Ja) => {
            "ブラウザーでのサインインができなかったため、アプリ パスワードでの接続を提案しています。アプリ パスワードは、管理者が許可し、ユーザーごとの多要素認証を使っている場合にのみ作成できます: https://aka.ms/mfasetup →「アプリ パスワード」。条件付きアクセスの多要素認証やセキュリティの既定値では使えず、多要素認証を迂回するため、管理者の指示がある場合にのみ使ってください。"
        }
        (Some(Google), Lang::En) => {
            "Tayori could not sign you in through the browser, so it offers an app password instead. With 2-Step Verification on, create one at https://myaccount.google.com/apppasswords and type it here. App passwords bypass 2-Step Verification; prefer signing in with Google."
        }
        (Some(Google), Lang::Ja) => {
            "ブラウザーでのサインインができなかったため、アプリ パスワードでの接続を提案しています。2 段階認証プロセスが有効な場合、https://myaccount.google.com/apppasswords で作成して入力してください。アプリ パスワードは 2 段階認証を迂回するため、できるだけ Google でのサインインを使ってください。"
        }
        (None, Lang::En) => {
            "This server does not offer sign-in through the browser, so Tayori asks for the password of your mail account (or an app password if your provider gives you one)."
        }
        (None, Lang::Ja) => {
            "このサーバーはブラウザーでのサインインに対応していないため、メール アカウントのパスワード（プロバイダーが発行するアプリ パスワードがあればそれ）を入力してください。"
        }
    }
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
            assert!(!guidance.en.is_empty() && !guidance.ja.is_empty());
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
                .en
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
