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
            // sending
            (Lang::En, ReplyAttribution) => "On {date}, {who} wrote:",
            (Lang::Ja, ReplyAttribution) => "{date}、{who} さんは書きました:",
            (Lang::En, ForwardedMessage) => "---------- Forwarded message ----------",
            (Lang::Ja, ForwardedMessage) => "---------- 転送メッセージ ----------",
            (Lang::En, HeaderFrom) => "From",
            (Lang::Ja, HeaderFrom) => "差出人",
            (Lang::En, HeaderDate) => "Date",
            (Lang::Ja, HeaderDate) => "日付",
            (Lang::En, HeaderSubject) => "Subject",
            (Lang::Ja, HeaderSubject) => "件名",
            (Lang::En, HeaderTo) => "To",
            (Lang::Ja, HeaderTo) => "宛先",
            (Lang::En, HeaderCc) => "Cc",
            (Lang::Ja, HeaderCc) => "CC",
            (Lang::En, OutboxQueued) => "waiting to be sent",
            (Lang::Ja, OutboxQueued) => "送信待ち",
            (Lang::En, OutboxSending) => "sending",
            (Lang::Ja, OutboxSending) => "送信中",
            (Lang::En, OutboxSent) => "sent",
            (Lang::Ja, OutboxSent) => "送信済み",
            (Lang::En, OutboxFailed) => "not sent",
            (Lang::Ja, OutboxFailed) => "未送信（要対応）",
            (Lang::En, SendDone) => "Sent.",
            (Lang::Ja, SendDone) => "送信しました。",
            (Lang::En, SendQueued) => {
                "Not sent yet: the message is safe in the outbox and Tayori will try again."
            }
            (Lang::Ja, SendQueued) => {
                "まだ送信できていません。メッセージは送信トレイに保存されており、Tayori が再度送信を試みます。"
            }
            (Lang::En, SendFailed) => {
                "Not sent: the server refused the message. It stays in the outbox until you retry or discard it."
            }
            (Lang::Ja, SendFailed) => {
                "送信できませんでした。サーバーがメッセージを拒否しました。再送するか破棄するまで、送信トレイに残ります。"
            }
            (Lang::En, SmtpRecipientRejected) => {
                "The server does not accept one of the recipients: check the address for typos. If it is right, the recipient's domain may not take mail from your server."
            }
            (Lang::Ja, SmtpRecipientRejected) => {
                "サーバーが宛先のいずれかを受け付けません。アドレスに誤りがないか確認してください。正しい場合は、宛先のドメインがあなたのサーバーからのメールを受け付けていない可能性があります。"
            }
            (Lang::En, SmtpMailboxFull) => {
                "The recipient's mailbox is full. Try again later or reach them another way."
            }
            (Lang::Ja, SmtpMailboxFull) => {
                "宛先のメールボックスがいっぱいです。時間をおいて再送するか、別の方法で連絡してください。"
            }
            (Lang::En, SmtpTooBig) => {
                "The message is larger than the server accepts. Remove or shrink attachments (or share a link instead) and send again."
            }
            (Lang::Ja, SmtpTooBig) => {
                "メッセージがサーバーの上限より大きすぎます。添付ファイルを削除・縮小する（またはリンクで共有する）などして再送してください。"
            }
            (Lang::En, SmtpPolicy) => {
                "The server's policy does not allow this message (for example: sending as another address, or too many messages). Your administrator can tell you what is allowed."
            }
            (Lang::Ja, SmtpPolicy) => {
                "サーバーのポリシーによりこのメッセージは送信できません（別のアドレスとしての送信、送信数の上限など）。許可されている内容は管理者に確認してください。"
            }
            (Lang::En, SmtpAuthRefused) => {
                "The server refused the sign-in for sending. Sign in again (tayori account reauth), then retry the message."
            }
            (Lang::Ja, SmtpAuthRefused) => {
                "送信用のサインインがサーバーに拒否されました。もう一度サインインしてから（tayori account reauth）、メッセージを再送してください。"
            }
            (Lang::En, SmtpTemporary) => {
                "The server cannot take the message right now; Tayori will try again by itself."
            }
            (Lang::Ja, SmtpTemporary) => {
                "サーバーは現在メッセージを受け付けられません。Tayori が自動的に再送します。"
            }
            (Lang::En, SmtpUnreachable) => {
                "The mail server could not be reached (offline, or the server is down); Tayori will try again by itself."
            }
            (Lang::Ja, SmtpUnreachable) => {
                "メール サーバーに接続できません（オフライン、またはサーバーの停止）。Tayori が自動的に再送します。"
            }
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
    // sending
    ReplyAttribution,
    ForwardedMessage,
    HeaderFrom,
    HeaderDate,
    HeaderSubject,
    HeaderTo,
    HeaderCc,
    OutboxQueued,
    OutboxSending,
    OutboxSent,
    OutboxFailed,
    SendDone,
    SendQueued,
    SendFailed,
    SmtpRecipientRejected,
    SmtpMailboxFull,
    SmtpTooBig,
    SmtpPolicy,
    SmtpAuthRefused,
    SmtpTemporary,
    SmtpUnreachable,
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
            // sending
            ReplyAttribution,
            ForwardedMessage,
            HeaderFrom,
            HeaderDate,
            HeaderSubject,
            HeaderTo,
            HeaderCc,
            OutboxQueued,
            OutboxSending,
            OutboxSent,
            OutboxFailed,
            SendDone,
            SendQueued,
            SendFailed,
            SmtpRecipientRejected,
            SmtpMailboxFull,
            SmtpTooBig,
            SmtpPolicy,
            SmtpAuthRefused,
            SmtpTemporary,
            SmtpUnreachable,
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
