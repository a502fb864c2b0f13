//! Japanese and English text for everything a person reads, chosen from the OS locale.
//!
//! Every user-visible string goes through [`Text`] and [`Lang::text`], so a missing translation is a
//! compile error (an exhaustive `match`), not an English word surprising a Japanese reader.

/// The languages Tayori speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    /// Picks the language from a locale tag such as `ja_JP.UTF-8`, `ja-JP` or `en_US`.
    /// Anything that is not Japanese gets English.
    pub fn from_locale_tag(tag: &str) -> Self {
        let primary = tag
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if primary == "ja" { Lang::Ja } else { Lang::En }
    }

    /// The language of the running system (`LC_ALL`/`LC_MESSAGES`/`LANG` on Unix, the user's UI
    /// language on Windows and macOS).
    pub fn from_system() -> Self {
        sys_locale::get_locale()
            .map(|tag| Self::from_locale_tag(&tag))
            .unwrap_or_default()
    }

    /// The other language, for a quick switch.
    pub fn other(self) -> Self {
        match self {
            Lang::En => Lang::Ja,
            Lang::Ja => Lang::En,
        }
    }

    /// The language's own name, as shown in a language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ja => "日本語",
        }
    }

    pub fn text(self, text: Text) -> &'static str {
        use Text::*;
        match (self, text) {
            (Lang::En, AppName) => "Tayori",
            (Lang::Ja, AppName) => "便り Tayori",
            (Lang::En, Tagline) => {
                "Mail that signs in the way your organisation does — MFA included."
            }
            (Lang::Ja, Tagline) => {
                "組織のサインイン方法（多要素認証を含む）でそのまま使えるメールソフト"
            }
            (Lang::En, WelcomeBody) => {
                "Tayori finds your mail servers from your email address and signs you in through your browser, where multi-factor sign-in happens. No app passwords, no weakened security policies."
            }
            (Lang::Ja, WelcomeBody) => {
                "メールアドレスを入力するだけでサーバーを自動で見つけ、ブラウザーでサインインします（多要素認証もブラウザーで行います）。アプリ パスワードやセキュリティ ポリシーの緩和は不要です。"
            }
            (Lang::En, AddAccountSoon) => {
                "The account setup assistant is being built. Until then, this window only shows that Tayori runs."
            }
            (Lang::Ja, AddAccountSoon) => {
                "アカウント設定アシスタントは現在準備中です。それまでは、このウィンドウは Tayori が起動することだけを示します。"
            }
            (Lang::En, SwitchLanguage) => "日本語で表示",
            (Lang::Ja, SwitchLanguage) => "Show in English",
            (Lang::En, NotAvailableYet) => "is not available yet in this version of Tayori.",
            (Lang::Ja, NotAvailableYet) => "は、このバージョンの Tayori ではまだ使えません。",
        }
    }
}

/// Keys of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Text {
    AppName,
    Tagline,
    WelcomeBody,
    AddAccountSoon,
    SwitchLanguage,
    NotAvailableYet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags_pick_the_language() {
        for tag in ["ja_JP.UTF-8", "ja-JP", "ja", "JA_jp", "ja_JP@euro"] {
            assert_eq!(Lang::from_locale_tag(tag), Lang::Ja, "{tag}");
        }
        for tag in ["en_US.UTF-8", "en-GB", "C", "POSIX", "de_DE", "", "jam"] {
            assert_eq!(Lang::from_locale_tag(tag), Lang::En, "{tag}");
        }
    }

    #[test]
    fn every_text_differs_between_the_languages() {
        use Text::*;
        for key in [
            AppName,
            Tagline,
            WelcomeBody,
            AddAccountSoon,
            SwitchLanguage,
            NotAvailableYet,
        ] {
            assert_ne!(
                Lang::En.text(key),
                Lang::Ja.text(key),
                "{key:?} is untranslated"
            );
            assert!(!Lang::Ja.text(key).is_empty());
        }
    }
}
