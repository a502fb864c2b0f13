//! The catalog's area for the settings screen: appearance, language, notifications, sync, accounts.

catalog! {
    area: Settings;
    texts {
        JapaneseFontMissing {
            en: "No Japanese font was found on this computer, so Japanese text may show as empty boxes. Install one (on Debian and Ubuntu: the package fonts-noto-cjk) or put a font file into {folder}, then start Tayori again.",
            ja: "このパソコンに日本語フォントが見つからないため、日本語が正しく表示されない場合があります。日本語フォントをインストールするか（Debian・Ubuntu ではパッケージ fonts-noto-cjk）、フォントファイルを {folder} に置いてから Tayori を再起動してください。",
        }
        SettingsTitle { en: "Settings", ja: "設定" }
        ConnectionsShow { en: "Connections", ja: "接続の記録" }
        ConnectionsHide { en: "Hide connections", ja: "接続の記録を閉じる" }
        ConnectionsIntro {
            en: "Every host Tayori contacted for {email}: why, when, and whether your address was sent there. No passwords, tokens or message contents are kept in this record.",
            ja: "{email} のために Tayori が接続したすべてのホストと、その目的・日時、アドレスを送ったかどうかの記録です。パスワード、トークン、メールの内容は記録しません。",
        }
        ConnectionsEmpty { en: "No connections recorded yet.", ja: "記録された接続はまだありません。" }
        ConnectionsLoading { en: "Reading the record…", ja: "記録を読み込んでいます…" }
        ConnectionsUnreadable {
            en: "The connections record could not be read: {detail}",
            ja: "接続の記録を読み込めませんでした（{detail}）",
        }
        ConnectionsAddressSent { en: "received your address", ja: "アドレスを送信" }
        ConnectionsNoAddress { en: "no address sent", ja: "アドレスは送信していません" }
        ConnectionsLast { en: "last {when}", ja: "最終 {when}" }
        PurposeDiscovery { en: "Finding the servers", ja: "サーバーの検索" }
        PurposeSignIn { en: "Sign-in", ja: "サインイン" }
        PurposeTokenRefresh { en: "Renewing the sign-in", ja: "サインインの更新" }
        PurposeRevocation { en: "Withdrawing the sign-in", ja: "サインインの取り消し" }
        PurposeImap { en: "Receiving mail (IMAP)", ja: "受信 (IMAP)" }
        PurposeSmtp { en: "Sending mail (SMTP)", ja: "送信 (SMTP)" }
        PurposeRemoteImage { en: "Remote image", ja: "外部画像" }
        DetailAutoconfig {
            en: "the domain's own settings file (autoconfig, HTTPS)",
            ja: "ドメイン自身の設定ファイル (Autoconfig, HTTPS)",
        }
        DetailAutoconfigHttp {
            en: "the domain's settings file over plain HTTP (legacy; your address not sent)",
            ja: "暗号化なしの HTTP でのドメインの設定ファイル（旧方式。アドレスは送りません）",
        }
        DetailIspdb {
            en: "Thunderbird's provider database (ISPDB), asked by domain only",
            ja: "Thunderbird のプロバイダー情報 (ISPDB)。ドメイン名だけで問い合わせ",
        }
        DetailIspdbForMx {
            en: "the provider database (ISPDB), for the domain of your mail server",
            ja: "プロバイダー情報 (ISPDB)。メールサーバーのドメインで問い合わせ",
        }
        DetailAutodiscoverV1 {
            en: "Exchange AutoDiscover at the domain's own server",
            ja: "ドメイン自身のサーバーの Exchange AutoDiscover",
        }
        DetailAutodiscoverV2Central {
            en: "Microsoft's central AutoDiscover service (Microsoft 365 and Exchange)",
            ja: "Microsoft の中央 AutoDiscover サービス（Microsoft 365・Exchange 用）",
        }
        DetailAutodiscoverHttpRedirect {
            en: "Exchange AutoDiscover over plain HTTP, only to learn where it redirects",
            ja: "暗号化なしの HTTP での Exchange AutoDiscover（転送先の確認のみ）",
        }
        DetailImapProbe {
            en: "checking the IMAP server answers (without signing in)",
            ja: "IMAP サーバーの応答確認（サインインなし）",
        }
        DetailSmtpProbe {
            en: "checking the SMTP server answers (without signing in)",
            ja: "SMTP サーバーの応答確認（サインインなし）",
        }
        DetailSignInMetadata {
            en: "the sign-in service's settings (OpenID configuration)",
            ja: "サインインサービスの設定情報 (OpenID Configuration)",
        }
        DetailSignInPage {
            en: "the sign-in page, opened in your browser",
            ja: "ブラウザーで開いたサインインページ",
        }
        DetailCodeExchange {
            en: "completing the sign-in (exchanging the browser's code)",
            ja: "サインインの完了（ブラウザーから受け取ったコードの交換）",
        }
        DetailDeviceCode {
            en: "sign-in with a code on another device",
            ja: "別の端末でコードを使うサインイン",
        }
        DetailClientRegistration {
            en: "registering Tayori with the sign-in service",
            ja: "サインインサービスへの Tayori の登録",
        }
        DetailImapCheck {
            en: "checking the account works (IMAP)",
            ja: "アカウントの動作確認 (IMAP)",
        }
        DetailSmtpCheck {
            en: "checking the account works (SMTP)",
            ja: "アカウントの動作確認 (SMTP)",
        }
        DetailImapSync { en: "receiving mail", ja: "メールの受信" }
        DetailImapSentCopy {
            en: "keeping a copy of sent mail in Sent",
            ja: "送信したメールの控えを「送信済み」に保存",
        }
        DetailSmtpSending { en: "sending mail", ja: "メールの送信" }
        DetailTokenRenewal {
            en: "renewing the sign-in (access token)",
            ja: "サインインの更新（アクセストークン）",
        }
        DetailRevocation {
            en: "withdrawing Tayori's sign-in at the provider",
            ja: "プロバイダーでの Tayori のサインインの取り消し",
        }
        DetailRemoteImage {
            en: "an image in a message, loaded after you allowed it",
            ja: "許可したあとに読み込んだメール内の画像",
        }
        BackToMail { en: "Back to mail", ja: "メールに戻る" }
        SettingsAppearance { en: "Appearance", ja: "表示" }
        SettingsLanguage { en: "Language", ja: "言語" }
        SettingsHtmlMailDark { en: "HTML mail, dark theme", ja: "HTML メール（ダーク テーマ）" }
        HtmlMailDarkKeep { en: "Its own colours", ja: "元の色で表示" }
        HtmlMailDarkDarken { en: "Darkened", ja: "暗くして表示" }
        FollowSystem { en: "Same as the system", ja: "システムの設定に合わせる" }
        LanguageJapanese { en: "Japanese (日本語)", ja: "日本語" }
        LanguageEnglish { en: "English", ja: "英語 (English)" }
        SettingsTheme { en: "Colours", ja: "配色" }
        ThemeLight { en: "Light", ja: "ライト" }
        ThemeDark { en: "Dark", ja: "ダーク" }
        SettingsNotifications { en: "Notifications", ja: "通知" }
        NotifyNewMail {
            en: "Show a desktop notification when new mail arrives",
            ja: "新着メールをデスクトップに通知する",
        }
        SettingsSync { en: "Downloading mail", ja: "メールのダウンロード" }
        SyncWindowLabel { en: "Download whole messages of", ja: "本文のダウンロード範囲" }
        SyncWindowAll { en: "All messages", ja: "すべてのメッセージ" }
        SyncWindowHint {
            en: "The sender, subject and date of every message are always kept on this computer. Older messages are downloaded when you open them; a shorter range saves disk space and time on a slow connection.",
            ja: "すべてのメッセージの差出人・件名・日付は常にこのパソコンに保存されます。範囲より古いメッセージは開いたときにダウンロードされます。範囲を短くすると、ディスク容量と低速回線での時間を節約できます。",
        }
        SettingsAccounts { en: "Accounts", ja: "アカウント" }
        AccountSignInMethod { en: "Sign-in", ja: "サインイン方法" }
        AccountSignInPage { en: "Sign-in page", ja: "サインイン ページ" }
        AccountSignInBrowser {
            en: "In the browser (OAuth 2.0, with your organisation's multi-factor sign-in)",
            ja: "ブラウザー（OAuth 2.0、組織の多要素認証を使用）",
        }
        AccountSignInPassword {
            en: "App password (kept in the system keyring)",
            ja: "アプリパスワード（システムのキーリングに保存）",
        }
        AccountIncoming { en: "Incoming mail (IMAP)", ja: "受信サーバー (IMAP)" }
        AccountOutgoing { en: "Outgoing mail (SMTP)", ja: "送信サーバー (SMTP)" }
        /// The same rows for an account that reads or sends through Microsoft 365 (no IMAP, SMTP).
        AccountIncomingGraph { en: "Incoming mail", ja: "受信" }
        AccountOutgoingGraph { en: "Outgoing mail", ja: "送信" }
        AccountStatus { en: "Status", ja: "状態" }
        AccountSignedIn { en: "Signed in", ja: "サインイン済み" }
        AccountSignedInAgain {
            en: "Signed in again — mail is syncing.",
            ja: "再度サインインしました。同期を再開しています。",
        }
        AccountNeedsSignInBecause {
            en: "Needs you to sign in again ({reason})",
            ja: "再度サインインが必要です（{reason}）",
        }
        /// A refusal that signing in again does not fix (consent, conditional access).
        AccountRefusedBecause {
            en: "Sign-in refused by your organisation ({reason})",
            ja: "組織によりサインインが拒否されています（{reason}）",
        }
        RemoveAccount { en: "Remove from this computer…", ja: "このパソコンから削除…" }
        RemoveAccountYes { en: "Remove", ja: "削除する" }
        RemoveAccountConfirm {
            en: "Remove {email}? Its sign-in and the mail downloaded to this computer are deleted. The mail on the server is not touched.",
            ja: "{email} を削除しますか？ サインイン情報とこのパソコンにダウンロードしたメールが削除されます。サーバー上のメールはそのまま残ります。",
        }
        /// What removing an account did, in Settings and from `tayori account remove` alike.
        AccountRemovedNotice {
            en: "Account {email} removed: its sign-in deleted from the keyring, its connections record and its mail from this computer (the server keeps the mail).",
            ja: "アカウント {email} を削除しました。サインイン情報をキーリングから、接続の記録とメールをこのパソコンから削除しました（サーバー上のメールは残ります）。",
        }
        RevokedAtProvider {
            en: "Its sign-in was withdrawn at the provider ({host}).",
            ja: "プロバイダー側のサインインも取り消しました（{host}）。",
        }
        RevocationNotOffered {
            en: "The provider offers programs no way to withdraw a sign-in: it ends when it expires, or when you remove Tayori's access in your account's security settings.",
            ja: "このプロバイダーにはプログラムからサインインを取り消す方法がありません。有効期限が切れると終わります。すぐに終わらせるには、アカウントのセキュリティ設定で Tayori のアクセスを削除してください。",
        }
        RevocationFailed {
            en: "Its sign-in could not be withdrawn at the provider ({detail}); remove Tayori's access in your account's security settings to end it there.",
            ja: "プロバイダー側のサインインを取り消せませんでした（{detail}）。アカウントのセキュリティ設定で Tayori のアクセスを削除してください。",
        }
        DismissNotice { en: "Close", ja: "閉じる" }
        RemoveAccountFailed {
            en: "{email} could not be removed: {detail}",
            ja: "{email} を削除できませんでした: {detail}",
        }
        /// A Microsoft 365 account's card: add a shared mailbox (代表アドレス) it is a member of.
        SharedMailboxAdd { en: "Add a shared mailbox", ja: "共有メールボックスを追加" }
        SharedMailboxHint {
            en: "A shared mailbox (such as info@ or sales@) that {email} is a member of opens with this account's sign-in: no second sign-in.",
            ja: "{email} がメンバーになっている共有メールボックス（info@ や sales@ など）を、このアカウントのサインインで開きます。もう一度サインインする必要はありません。",
        }
        SharedMailboxAddress { en: "Shared mailbox address", ja: "共有メールボックスのアドレス" }
        SharedMailboxChecking {
            en: "Checking {shared} with the sign-in of {member}…",
            ja: "{member} のサインインで {shared} を確認しています…",
        }
        SharedMailboxAdded {
            en: "Shared mailbox {shared} added.",
            ja: "共有メールボックス {shared} を追加しました。",
        }
        SharedMailboxFailed {
            en: "{shared} could not be added: {detail}",
            ja: "{shared} を追加できませんでした: {detail}",
        }
        /// A shared mailbox's card: whose sign-in opens it.
        AccountSharedVia { en: "Opens with", ja: "共有メールボックス" }
        SharedMailboxOpensWith {
            en: "the sign-in of {member} (a shared mailbox)",
            ja: "{member} のサインインで開きます",
        }
        SignInAgainAs { en: "Sign in again as {member}", ja: "{member} として再度サインイン" }
        TryAgainAfterAdmin {
            en: "Try again (once your administrator has acted)",
            ja: "もう一度試す（管理者の対応後）",
        }
        SettingsAbout { en: "About Tayori", ja: "Tayori について" }
        AboutVersion { en: "Version {version}", ja: "バージョン {version}" }
        /// Which app registrations this build carries (as `tayori --version` says).
        AboutBuiltInRegistration {
            en: "{service} sign-in: built-in app registration {id}",
            ja: "{service} のサインイン: 組み込みのアプリ登録 {id}",
        }
        AboutNoBuiltInRegistration {
            en: "{service} sign-in: no built-in app registration (an administrator sets one in policy.toml or [oauth.client_ids])",
            ja: "{service} のサインイン: 組み込みのアプリ登録はありません（管理者が policy.toml または [oauth.client_ids] で設定します）",
        }
        SettingsSaveFailed {
            en: "Your choice works now but could not be saved for next time: {detail}",
            ja: "設定は反映されましたが、次回のために保存できませんでした: {detail}",
        }
    }
    plurals {
        ConnectionsTimes {
            en: { one: "{count} time", other: "{count} times" },
            ja: { other: "{count} 回" },
        }
        SyncWindowDays {
            en: {
                one: "The last {count} day",
                other: "The last {count} days",
            },
            ja: { other: "過去 {count} 日間" },
        }
        RemoveAccountUnsent {
            en: {
                one: "{count} message from this account is still waiting in the outbox. It stays there, unsent, until you add the account again (then Try again) or discard it.",
                other: "{count} messages from this account are still waiting in the outbox. They stay there, unsent, until you add the account again (then Try again) or discard them.",
            },
            ja: { other: "このアカウントの未送信メッセージが送信トレイに {count} 件あります。アカウントを追加し直して再送するか、破棄するまで送信トレイに残ります。" },
        }
    }
}
