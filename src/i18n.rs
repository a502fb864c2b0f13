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
            (Lang::En, SwitchLanguage) => "日本語で表示",
            (Lang::Ja, SwitchLanguage) => "Show in English",
            (Lang::En, NoAccountYet) => {
                "No mail account is set up yet. Add one with `tayori account add EMAIL`, or open the window."
            }
            (Lang::Ja, NoAccountYet) => {
                "メール アカウントがまだ設定されていません。`tayori account add メールアドレス` で追加するか、ウィンドウを開いて追加してください。"
            }
            // wizard
            (Lang::En, WizardTitle) => "Add a mail account",
            (Lang::Ja, WizardTitle) => "メール アカウントの追加",
            (Lang::En, StepAddress) => "Address",
            (Lang::Ja, StepAddress) => "アドレス",
            (Lang::En, StepServers) => "Servers",
            (Lang::Ja, StepServers) => "サーバー",
            (Lang::En, StepSignIn) => "Sign-in",
            (Lang::Ja, StepSignIn) => "認証",
            (Lang::En, StepCheck) => "Check",
            (Lang::Ja, StepCheck) => "確認",
            (Lang::En, StepDone) => "Done",
            (Lang::Ja, StepDone) => "完了",
            (Lang::En, Continue) => "Continue",
            (Lang::Ja, Continue) => "次へ",
            (Lang::En, Back) => "Back",
            (Lang::Ja, Back) => "戻る",
            (Lang::En, Cancel) => "Cancel",
            (Lang::Ja, Cancel) => "キャンセル",
            (Lang::En, TryAgain) => "Try again",
            (Lang::Ja, TryAgain) => "もう一度試す",
            (Lang::En, AddressHeading) => "What is your email address?",
            (Lang::Ja, AddressHeading) => "メール アドレスを入力してください",
            (Lang::En, AddressIntro) => {
                "Tayori finds your mail servers from your address and signs you in through your browser, where multi-factor sign-in happens. No app passwords, no weakened security policies."
            }
            (Lang::Ja, AddressIntro) => {
                "アドレスからメール サーバーを自動で探し、ブラウザーでサインインします（多要素認証もブラウザーで行います）。アプリ パスワードやセキュリティ ポリシーの緩和は不要です。"
            }
            (Lang::En, EmailLabel) => "Email address",
            (Lang::Ja, EmailLabel) => "メール アドレス",
            (Lang::En, EmailPlaceholder) => "you@example.com",
            (Lang::Ja, EmailPlaceholder) => "taro.yamada@example.co.jp",
            (Lang::En, NameLabel) => "Your name, as recipients see it (optional)",
            (Lang::Ja, NameLabel) => "差出人名（受信者に表示される名前、省略可）",
            (Lang::En, NamePlaceholder) => "Alex Smith",
            (Lang::Ja, NamePlaceholder) => "山田 太郎",
            (Lang::En, AddressInvalid) => "Type the whole address, for example name@example.com.",
            (Lang::Ja, AddressInvalid) => {
                "name@example.com のように、アドレス全体を入力してください。"
            }
            (Lang::En, DiscoveringHeading) => "Looking up the mail servers for {email}",
            (Lang::Ja, DiscoveringHeading) => "{email} のメール サーバーを探しています",
            (Lang::En, DiscoveringNote) => {
                "Tayori asks several sources at once and takes the most trustworthy answer. No password or token is sent while looking."
            }
            (Lang::Ja, DiscoveringNote) => {
                "複数の情報源に同時に問い合わせ、最も信頼できる回答を使います。検索中にパスワードやトークンが送信されることはありません。"
            }
            (Lang::En, SourcesAsked) => "Sources asked",
            (Lang::Ja, SourcesAsked) => "問い合わせ先",
            (Lang::En, StillAsking) => "Waiting for the other sources…",
            (Lang::Ja, StillAsking) => "他の問い合わせ先の応答を待っています…",
            (Lang::En, OutcomeFound) => "found",
            (Lang::Ja, OutcomeFound) => "見つかりました",
            (Lang::En, OutcomeNotFound) => "nothing there",
            (Lang::Ja, OutcomeNotFound) => "情報なし",
            (Lang::En, OutcomeFailed) => "failed",
            (Lang::Ja, OutcomeFailed) => "失敗",
            (Lang::En, OutcomeTimedOut) => "no answer in time",
            (Lang::Ja, OutcomeTimedOut) => "時間内に応答なし",
            (Lang::En, OutcomeNotNeeded) => "not needed: a better answer was already in",
            (Lang::Ja, OutcomeNotNeeded) => "不要（より確かな回答が得られたため）",
            (Lang::En, SourceAdminPolicy) => "Your organisation's policy",
            (Lang::Ja, SourceAdminPolicy) => "組織のポリシー",
            (Lang::En, SourceAutoconfig) => "Your domain's autoconfig (HTTPS)",
            (Lang::Ja, SourceAutoconfig) => "ドメインの自動設定（HTTPS）",
            (Lang::En, SourceIspdb) => "Mail provider database (ISPDB)",
            (Lang::Ja, SourceIspdb) => "メール プロバイダーのデータベース（ISPDB）",
            (Lang::En, SourceMx) => "The domain's MX records",
            (Lang::Ja, SourceMx) => "ドメインの MX レコード",
            (Lang::En, SourceAutodiscover) => "Exchange AutoDiscover",
            (Lang::Ja, SourceAutodiscover) => "Exchange 自動検出（AutoDiscover）",
            (Lang::En, SourceSrv) => "SRV records (RFC 6186)",
            (Lang::Ja, SourceSrv) => "SRV レコード（RFC 6186）",
            (Lang::En, SourceGuess) => "Trying common server names",
            (Lang::Ja, SourceGuess) => "一般的なサーバー名を試行",
            (Lang::En, SourceAutoconfigHttp) => "Autoconfig over plain HTTP (legacy)",
            (Lang::Ja, SourceAutoconfigHttp) => "暗号化されていない HTTP の自動設定（旧方式）",
            (Lang::En, FoundHeading) => "Mail servers found",
            (Lang::Ja, FoundHeading) => "メール サーバーが見つかりました",
            (Lang::En, FoundFrom) => "Found through: {source}",
            (Lang::Ja, FoundFrom) => "取得元: {source}",
            (Lang::En, FoundChecked) => "The answer came over a secure connection.",
            (Lang::Ja, FoundChecked) => "安全な接続で取得した設定です。",
            (Lang::En, FoundUnchecked) => {
                "This answer could not be checked; look at the server names before you continue."
            }
            (Lang::Ja, FoundUnchecked) => {
                "この設定は検証できませんでした。続行する前にサーバー名をご確認ください。"
            }
            (Lang::En, IncomingMail) => "Incoming mail (IMAP)",
            (Lang::Ja, IncomingMail) => "受信メール（IMAP）",
            (Lang::En, OutgoingMail) => "Outgoing mail (SMTP)",
            (Lang::Ja, OutgoingMail) => "送信メール（SMTP）",
            (Lang::En, UserNameLabel) => "User name",
            (Lang::Ja, UserNameLabel) => "ユーザー名",
            (Lang::En, EncryptionTls) => "SSL/TLS",
            (Lang::Ja, EncryptionTls) => "SSL/TLS",
            (Lang::En, EncryptionStartTls) => "STARTTLS (required)",
            (Lang::Ja, EncryptionStartTls) => "STARTTLS（必須）",
            (Lang::En, ShowSources) => "Show the sources asked",
            (Lang::Ja, ShowSources) => "問い合わせ先を表示",
            (Lang::En, HideSources) => "Hide the sources",
            (Lang::Ja, HideSources) => "問い合わせ先を隠す",
            (Lang::En, EnterManually) => "Enter server settings by hand",
            (Lang::Ja, EnterManually) => "サーバー設定を手動で入力",
            (Lang::En, TrustHeading) => "Use mail servers at another domain?",
            (Lang::Ja, TrustHeading) => "別のドメインのメール サーバーを使いますか？",
            (Lang::En, TrustBody) => {
                "The settings for {email} lead to {domains} ({reason}). {domain} itself did not confirm this, so nothing has been sent there yet. Continue only if you know that your mail is hosted by {domains} — if unsure, ask your administrator."
            }
            (Lang::Ja, TrustBody) => {
                "{email} の設定は {domains} を指しています（{reason}）。{domain} 自身による確認がないため、まだ何も送信していません。メールが {domains} で運用されていることが確かな場合のみ続行してください。不明な場合は管理者にお問い合わせください。"
            }
            (Lang::En, TrustButton) => "Trust {domains} and continue",
            (Lang::Ja, TrustButton) => "{domains} を信頼して続行",
            (Lang::En, NoSettingsHeading) => "No settings were found",
            (Lang::Ja, NoSettingsHeading) => "設定が見つかりませんでした",
            (Lang::En, NothingFoundBody) => {
                "Nothing about {domain} was found. Ask your mail provider or administrator for the server names and enter them by hand: they are usually imap.{domain} (port 993, SSL/TLS) and smtp.{domain} (port 465 SSL/TLS or 587 STARTTLS)."
            }
            (Lang::Ja, NothingFoundBody) => {
                "{domain} の設定は見つかりませんでした。メール プロバイダーまたは管理者にサーバー名を確認し、手動で入力してください。一般的には imap.{domain}（ポート 993、SSL/TLS）と smtp.{domain}（ポート 465 SSL/TLS または 587 STARTTLS）です。"
            }
            (Lang::En, UnsupportedBody) => {
                "{domain} offers no way Tayori can use safely: {reason}. Ask your provider whether IMAP with encryption can be switched on."
            }
            (Lang::Ja, UnsupportedBody) => {
                "{domain} には Tayori が安全に使える接続方法がありません（{reason}）。暗号化された IMAP を有効にできるか、プロバイダーにお問い合わせください。"
            }
            (Lang::En, DiscoverySetupBody) => {
                "Tayori could not start looking: {detail}. Check the network settings in tayori.toml, or ask your administrator."
            }
            (Lang::Ja, DiscoverySetupBody) => {
                "検索を開始できませんでした（{detail}）。tayori.toml のネットワーク設定を確認するか、管理者にお問い合わせください。"
            }
            (Lang::En, ManualHeading) => "Server settings",
            (Lang::Ja, ManualHeading) => "サーバー設定",
            (Lang::En, ManualIntro) => {
                "Enter the settings your provider or administrator gave you. Tayori always encrypts the connection: SSL/TLS, or STARTTLS that must succeed."
            }
            (Lang::Ja, ManualIntro) => {
                "プロバイダーまたは管理者から案内された設定を入力してください。接続は常に暗号化されます（SSL/TLS、または必須の STARTTLS）。"
            }
            (Lang::En, ServerLabel) => "Server",
            (Lang::Ja, ServerLabel) => "サーバー",
            (Lang::En, PortLabel) => "Port",
            (Lang::Ja, PortLabel) => "ポート",
            (Lang::En, EncryptionLabel) => "Encryption",
            (Lang::Ja, EncryptionLabel) => "暗号化",
            (Lang::En, ManualPreferBrowser) => {
                "Sign in through the browser if the server supports it"
            }
            (Lang::Ja, ManualPreferBrowser) => "サーバーが対応していればブラウザーでサインインする",
            (Lang::En, ManualIncomplete) => {
                "Fill in both server names and the user name, with ports from 1 to 65535."
            }
            (Lang::Ja, ManualIncomplete) => {
                "サーバー名とユーザー名をすべて入力し、ポートには 1〜65535 の番号を指定してください。"
            }
            (Lang::En, SignInHeading) => "Sign in to {email}",
            (Lang::Ja, SignInHeading) => "{email} にサインイン",
            (Lang::En, SignInWith) => "Sign in with {service}",
            (Lang::Ja, SignInWith) => "{service} でサインイン",
            (Lang::En, SignInWithBrowser) => "Sign in with your browser",
            (Lang::Ja, SignInWithBrowser) => "ブラウザーでサインイン",
            (Lang::En, SignInBrowserNote) => {
                "Your browser opens the sign-in page of {service}. Multi-factor sign-in — an app notification, a code or a security key — happens there, as you are used to. Tayori never sees your password."
            }
            (Lang::Ja, SignInBrowserNote) => {
                "ブラウザーで {service} のサインイン ページが開きます。多要素認証（アプリの通知、確認コード、セキュリティ キー）もいつもどおりブラウザーで行います。Tayori がパスワードを見ることはありません。"
            }
            (Lang::En, YourProvider) => "your provider",
            (Lang::Ja, YourProvider) => "ご利用のサービス",
            (Lang::En, UsePasswordInstead) => "Use a password instead",
            (Lang::Ja, UsePasswordInstead) => "パスワードを使う",
            (Lang::En, UseBrowserInstead) => "Sign in through the browser instead",
            (Lang::Ja, UseBrowserInstead) => "ブラウザーでのサインインに戻る",
            (Lang::En, PasswordLabel) => "Password",
            (Lang::Ja, PasswordLabel) => "パスワード",
            (Lang::En, PasswordPlaceholder) => "Password or app password",
            (Lang::Ja, PasswordPlaceholder) => "パスワードまたはアプリ パスワード",
            (Lang::En, SignInButton) => "Sign in",
            (Lang::Ja, SignInButton) => "サインイン",
            (Lang::En, PolicyOnlyBrowser) => {
                "Your organisation allows only sign-in through the browser for this account."
            }
            (Lang::Ja, PolicyOnlyBrowser) => {
                "このアカウントは、組織の設定によりブラウザーでのサインインのみ利用できます。"
            }
            (Lang::En, PolicyOnlyPassword) => {
                "Your organisation allows only password sign-in for this account."
            }
            (Lang::Ja, PolicyOnlyPassword) => {
                "このアカウントは、組織の設定によりパスワードでのサインインのみ利用できます。"
            }
            (Lang::En, PreparingSignIn) => "Contacting the sign-in service…",
            (Lang::Ja, PreparingSignIn) => "サインイン サービスに接続しています…",
            (Lang::En, WaitingHeading) => "Finish signing in in your browser",
            (Lang::Ja, WaitingHeading) => "ブラウザーでサインインを完了してください",
            (Lang::En, WaitingBody) => {
                "A browser window with the sign-in page of {service} has opened. Sign in there, including any multi-factor step. Tayori continues by itself as soon as you are done."
            }
            (Lang::Ja, WaitingBody) => {
                "{service} のサインイン ページをブラウザーで開きました。多要素認証を含め、ブラウザーでサインインを済ませてください。完了すると Tayori は自動的に次へ進みます。"
            }
            (Lang::En, WaitingNoWindow) => {
                "No browser window? Open it again, or copy the address into your browser."
            }
            (Lang::Ja, WaitingNoWindow) => {
                "ブラウザーが開かない場合は、もう一度開くか、アドレスをコピーしてブラウザーに貼り付けてください。"
            }
            (Lang::En, OpenAgain) => "Open the browser again",
            (Lang::Ja, OpenAgain) => "ブラウザーをもう一度開く",
            (Lang::En, CopyAddress) => "Copy the address",
            (Lang::Ja, CopyAddress) => "アドレスをコピー",
            (Lang::En, CheckHeading) => "Checking your account",
            (Lang::Ja, CheckHeading) => "アカウントを確認しています",
            (Lang::En, CheckImap) => "Incoming mail — signing in to {server}",
            (Lang::Ja, CheckImap) => "受信メール — {server} にサインイン",
            (Lang::En, CheckSmtp) => "Outgoing mail — signing in to {server}",
            (Lang::Ja, CheckSmtp) => "送信メール — {server} にサインイン",
            (Lang::En, CheckSave) => "Saving the account; the sign-in goes into the system keyring",
            (Lang::Ja, CheckSave) => {
                "アカウントを保存（サインイン情報はシステムのキーリングに保管）"
            }
            (Lang::En, CheckFailedHeading) => "The account could not be checked",
            (Lang::Ja, CheckFailedHeading) => "アカウントを確認できませんでした",
            (Lang::En, NothingSaved) => "Nothing has been saved.",
            (Lang::Ja, NothingSaved) => "何も保存されていません。",
            (Lang::En, DoneHeading) => "All set",
            (Lang::Ja, DoneHeading) => "設定が完了しました",
            (Lang::En, DoneBody) => {
                "{email} is ready. Tayori now fetches your mail; new messages appear as they arrive."
            }
            (Lang::Ja, DoneBody) => {
                "{email} の設定が完了しました。メールの受信を開始します。新しいメッセージは届きしだい表示されます。"
            }
            (Lang::En, OpenMailbox) => "Open the mailbox",
            (Lang::Ja, OpenMailbox) => "メールボックスを開く",
            (Lang::En, WhatYouCanDo) => "What you can do",
            (Lang::Ja, WhatYouCanDo) => "対処方法",
            (Lang::En, WhatYourAdminCanDo) => "What your administrator can do",
            (Lang::Ja, WhatYourAdminCanDo) => "管理者による対処",
            (Lang::En, TechnicalDetails) => "Technical details",
            (Lang::Ja, TechnicalDetails) => "技術的な詳細",
            (Lang::En, UseAppPassword) => "Use an app password instead",
            (Lang::Ja, UseAppPassword) => "アプリ パスワードを使う",
            (Lang::En, FailNetworkTitle) => "The server could not be reached",
            (Lang::Ja, FailNetworkTitle) => "サーバーに接続できませんでした",
            (Lang::En, FailNetworkHint) => {
                "Check your network connection and try again. If the server name is wrong, go back and enter the settings by hand."
            }
            (Lang::Ja, FailNetworkHint) => {
                "ネットワーク接続を確認して、もう一度お試しください。サーバー名が誤っている場合は、戻って設定を手動で入力してください。"
            }
            (Lang::En, FailTlsTitle) => "The secure connection failed",
            (Lang::Ja, FailTlsTitle) => "安全な接続を確立できませんでした",
            (Lang::En, FailTlsHint) => {
                "The server's certificate was not accepted. If your organisation inspects encrypted traffic, its certificate must be installed on this computer — ask your administrator."
            }
            (Lang::Ja, FailTlsHint) => {
                "サーバーの証明書を確認できませんでした。組織で暗号化通信を検査している場合は、その証明書をこのコンピューターにインストールする必要があります。管理者にお問い合わせください。"
            }
            (Lang::En, FailRefusedTitle) => "The server refused the sign-in",
            (Lang::Ja, FailRefusedTitle) => "サーバーがサインインを拒否しました",
            (Lang::En, FailRefusedHint) => {
                "Check the user name and password. If your account uses multi-factor sign-in, sign in through the browser, or use an app password if your provider gives you one."
            }
            (Lang::Ja, FailRefusedHint) => {
                "ユーザー名とパスワードを確認してください。多要素認証を使っている場合はブラウザーでサインインするか、プロバイダーが発行するアプリ パスワードをお使いください。"
            }
            (Lang::En, FailSignInTitle) => "Sign-in did not complete",
            (Lang::Ja, FailSignInTitle) => "サインインを完了できませんでした",
            (Lang::En, FailSignInHint) => {
                "Try again and finish in the browser window that opens. If it keeps failing, the details below help your administrator."
            }
            (Lang::Ja, FailSignInHint) => {
                "もう一度お試しのうえ、開いたブラウザーでサインインを完了してください。何度も失敗する場合は、下の詳細を管理者にお伝えください。"
            }
            (Lang::En, FailTimeoutTitle) => "No answer from the browser in time",
            (Lang::Ja, FailTimeoutTitle) => "ブラウザーからの応答がありませんでした",
            (Lang::En, FailTimeoutHint) => {
                "Try again and finish signing in in the browser window that opens."
            }
            (Lang::Ja, FailTimeoutHint) => {
                "もう一度お試しのうえ、開いたブラウザーでサインインを完了してください。"
            }
            (Lang::En, FailBrowserTitle) => "The browser could not be opened",
            (Lang::Ja, FailBrowserTitle) => "ブラウザーを開けませんでした",
            (Lang::En, FailBrowserHint) => {
                "Copy the address from the details below into your browser, or set your default browser and try again."
            }
            (Lang::Ja, FailBrowserHint) => {
                "下の詳細にあるアドレスをブラウザーに貼り付けるか、既定のブラウザーを設定してからもう一度お試しください。"
            }
            (Lang::En, FailNoClientTitle) => "Tayori is not registered with this sign-in service",
            (Lang::Ja, FailNoClientTitle) => {
                "このサインイン サービスに Tayori が登録されていません"
            }
            (Lang::En, FailNoClientHint) => {
                "Ask your administrator for the client ID of your organisation's app registration for Tayori (it goes into Tayori's admin policy or settings), or sign in with a password."
            }
            (Lang::Ja, FailNoClientHint) => {
                "管理者に、組織で Tayori 用に登録したアプリのクライアント ID を確認してください（Tayori の管理ポリシーまたは設定に記入します）。またはパスワードでサインインしてください。"
            }
            (Lang::En, FailKeyringTitle) => "The system keyring could not be used",
            (Lang::Ja, FailKeyringTitle) => "システムのキーリングを利用できませんでした",
            (Lang::En, FailKeyringLockedHint) => {
                "Your keyring is locked. Unlock it (sign in to your desktop session, or open your password manager) and try again."
            }
            (Lang::Ja, FailKeyringLockedHint) => {
                "キーリングがロックされています。ロックを解除して（デスクトップにサインインする、またはパスワード マネージャーを開く）、もう一度お試しください。"
            }
            (Lang::En, FailKeyringHint) => {
                "Tayori keeps sign-ins only in the system keyring, never in a file. Install and start a keyring service (such as GNOME Keyring or KWallet on Linux), then try again."
            }
            (Lang::Ja, FailKeyringHint) => {
                "Tayori はサインイン情報をシステムのキーリングにのみ保管し、ファイルには保存しません。キーリング サービス（Linux では GNOME Keyring や KWallet など）をインストール・起動してから、もう一度お試しください。"
            }
            (Lang::En, FailPolicyTitle) => "Your organisation does not allow this sign-in method",
            (Lang::Ja, FailPolicyTitle) => "組織の設定でこのサインイン方法は許可されていません",
            (Lang::En, FailPolicyHint) => {
                "Use the sign-in method your organisation allows, or ask your administrator."
            }
            (Lang::Ja, FailPolicyHint) => {
                "組織が許可している方法でサインインするか、管理者にお問い合わせください。"
            }
            (Lang::En, FailSaveTitle) => "The account could not be saved",
            (Lang::Ja, FailSaveTitle) => "アカウントを保存できませんでした",
            (Lang::En, FailSaveHint) => {
                "Check that the disk is not full and that Tayori may write to its settings folder."
            }
            (Lang::Ja, FailSaveHint) => {
                "ディスクの空き容量と、Tayori が設定フォルダーに書き込めることを確認してください。"
            }
            (Lang::En, FailOtherTitle) => "Something went wrong",
            (Lang::Ja, FailOtherTitle) => "問題が発生しました",
            (Lang::En, FailOtherHint) => {
                "Try again. If it keeps failing, the details below help your administrator."
            }
            (Lang::Ja, FailOtherHint) => {
                "もう一度お試しください。何度も失敗する場合は、下の詳細を管理者にお伝えください。"
            }
            (Lang::En, FailNoBrowserSignInTitle) => {
                "This server does not offer sign-in through the browser"
            }
            (Lang::Ja, FailNoBrowserSignInTitle) => {
                "このサーバーはブラウザーでのサインインに対応していません"
            }
            (Lang::En, FailNoBrowserSignInHint) => {
                "Sign in with the password of your mail account instead (or an app password, if your provider gives you one)."
            }
            (Lang::Ja, FailNoBrowserSignInHint) => {
                "代わりにメール アカウントのパスワード（プロバイダーが発行するアプリ パスワードがあればそれ）でサインインしてください。"
            }
            (Lang::En, ReasonRedirect) => "a redirect",
            (Lang::Ja, ReasonRedirect) => "リダイレクト",
            (Lang::En, ReasonAutodiscoverRedirect) => "an AutoDiscover redirect",
            (Lang::Ja, ReasonAutodiscoverRedirect) => "AutoDiscover のリダイレクト",
            (Lang::En, ReasonMx) => "the MX record",
            (Lang::Ja, ReasonMx) => "MX レコード",
            (Lang::En, ReasonSrv) => "an SRV record",
            (Lang::Ja, ReasonSrv) => "SRV レコード",
            (Lang::En, ReasonPlainHttp) => {
                "unencrypted HTTP, which could have been altered on the way"
            }
            (Lang::Ja, ReasonPlainHttp) => {
                "暗号化されていない HTTP（途中で改ざんされた可能性があります）"
            }
            (Lang::En, AppPasswordGeneric) => {
                "You chose a password instead of signing in through the browser. Type the password of your mail account. If your provider uses multi-factor sign-in, it may ask for an app password instead: you create one in your account's security settings. An app password bypasses multi-factor sign-in, so prefer the browser where you can."
            }
            (Lang::Ja, AppPasswordGeneric) => {
                "ブラウザーでのサインインの代わりにパスワードを使います。メール アカウントのパスワードを入力してください。多要素認証を使っている場合は、アカウントのセキュリティ設定で作成するアプリ パスワードが必要なことがあります。アプリ パスワードは多要素認証を迂回するため、できるだけブラウザーでのサインインをお使いください。"
            }
            // mailbox
            (Lang::En, AccountsHeading) => "Accounts",
            (Lang::Ja, AccountsHeading) => "アカウント",
            (Lang::En, AddAccount) => "Add account",
            (Lang::Ja, AddAccount) => "アカウントを追加",
            (Lang::En, AccountReady) => "Ready",
            (Lang::Ja, AccountReady) => "利用可能",
            (Lang::En, AccountNeedsSignIn) => "Needs sign-in",
            (Lang::Ja, AccountNeedsSignIn) => "再サインインが必要",
            (Lang::En, MailboxPlaceholder) => {
                "The mailbox view (folders, messages, reader) arrives with the next update. Your accounts are set up and saved."
            }
            (Lang::Ja, MailboxPlaceholder) => {
                "メールボックス画面（フォルダー、メッセージ一覧、閲覧）は次の更新で追加されます。アカウントは設定・保存済みです。"
            }
            (Lang::En, AccountsUnreadable) => "The account list could not be read: {detail}",
            (Lang::Ja, AccountsUnreadable) => "アカウント一覧を読み込めませんでした: {detail}",
            (Lang::En, UnifiedInbox) => "All inboxes",
            (Lang::Ja, UnifiedInbox) => "すべての受信トレイ",
            (Lang::En, FolderInbox) => "Inbox",
            (Lang::Ja, FolderInbox) => "受信トレイ",
            (Lang::En, FolderDrafts) => "Drafts",
            (Lang::Ja, FolderDrafts) => "下書き",
            (Lang::En, FolderSent) => "Sent",
            (Lang::Ja, FolderSent) => "送信済み",
            (Lang::En, FolderArchive) => "Archive",
            (Lang::Ja, FolderArchive) => "アーカイブ",
            (Lang::En, FolderJunk) => "Junk",
            (Lang::Ja, FolderJunk) => "迷惑メール",
            (Lang::En, FolderTrash) => "Trash",
            (Lang::Ja, FolderTrash) => "ごみ箱",
            (Lang::En, FolderAll) => "All mail",
            (Lang::Ja, FolderAll) => "すべてのメール",
            (Lang::En, FolderFlagged) => "Flagged",
            (Lang::Ja, FolderFlagged) => "フラグ付き",
            (Lang::En, SearchPlaceholder) => "Search mail  ( / )",
            (Lang::Ja, SearchPlaceholder) => "メールを検索  ( / )",
            (Lang::En, ClearSearch) => "Clear",
            (Lang::Ja, ClearSearch) => "クリア",
            (Lang::En, SortNewest) => "Newest first",
            (Lang::Ja, SortNewest) => "新しい順",
            (Lang::En, SortOldest) => "Oldest first",
            (Lang::Ja, SortOldest) => "古い順",
            (Lang::En, NoSubject) => "(no subject)",
            (Lang::Ja, NoSubject) => "（件名なし）",
            (Lang::En, NoSender) => "(unknown sender)",
            (Lang::Ja, NoSender) => "（差出人不明）",
            (Lang::En, EmptyFolder) => "No messages here.",
            (Lang::Ja, EmptyFolder) => "メッセージはありません。",
            (Lang::En, SearchCount) => "{count} messages match “{query}”",
            (Lang::Ja, SearchCount) => "「{query}」に一致するメッセージ: {count} 件",
            (Lang::En, SelectAMessage) => "Select a message to read it.",
            (Lang::Ja, SelectAMessage) => "メッセージを選択すると、ここに表示されます。",
            (Lang::En, HeaderFrom) => "From",
            (Lang::Ja, HeaderFrom) => "差出人",
            (Lang::En, HeaderTo) => "To",
            (Lang::Ja, HeaderTo) => "宛先",
            (Lang::En, HeaderCc) => "Cc",
            (Lang::Ja, HeaderCc) => "CC",
            (Lang::En, HeaderDate) => "Date",
            (Lang::Ja, HeaderDate) => "日時",
            (Lang::En, AttachmentsHeading) => "Attachments",
            (Lang::Ja, AttachmentsHeading) => "添付ファイル",
            (Lang::En, BodyNotDownloaded) => {
                "This message has not been downloaded yet; it arrives with the next sync."
            }
            (Lang::Ja, BodyNotDownloaded) => {
                "このメッセージはまだダウンロードされていません。次回の同期で取得されます。"
            }
            (Lang::En, MessageUnreadable) => "This message could not be shown: {detail}",
            (Lang::Ja, MessageUnreadable) => "このメッセージを表示できませんでした: {detail}",
            (Lang::En, StatusMessages) => "{count} messages",
            (Lang::Ja, StatusMessages) => "{count} 件",
            (Lang::En, StatusUnread) => "{count} unread",
            (Lang::Ja, StatusUnread) => "未読 {count} 件",
            (Lang::En, StoreUnavailable) => {
                "The mail on this computer could not be opened: {detail}"
            }
            (Lang::Ja, StoreUnavailable) => {
                "このコンピューターのメールを開けませんでした: {detail}"
            }
            (Lang::En, DeleteMessage) => "Delete",
            (Lang::Ja, DeleteMessage) => "削除",
            (Lang::En, ShortcutsHint) => {
                "j/k ↑/↓ move · r reply · a all · f forward · s flag · u unread · / search · c write · F5 check mail"
            }
            (Lang::Ja, ShortcutsHint) => {
                "j/k ↑/↓ 移動 · r 返信 · a 全員に返信 · f 転送 · s フラグ · u 未読 · / 検索 · c 新規作成 · F5 受信"
            }
            (Lang::En, NeedsSignInBanner) => {
                "{email} needs you to sign in again. Mail already on this computer stays readable."
            }
            (Lang::Ja, NeedsSignInBanner) => {
                "{email} の再サインインが必要です。このコンピューターにあるメールは引き続き読めます。"
            }
            (Lang::En, Loading) => "Loading…",
            (Lang::Ja, Loading) => "読み込み中…",
            (Lang::En, SyncConnecting) => "Connecting…",
            (Lang::Ja, SyncConnecting) => "接続しています…",
            (Lang::En, SyncFolder) => "Updating {folder}…",
            (Lang::Ja, SyncFolder) => "{folder} を更新しています…",
            (Lang::En, SyncEnvelopes) => "{folder}: {done} / {total} messages",
            (Lang::Ja, SyncEnvelopes) => "{folder}: {done} / {total} 件",
            (Lang::En, SyncBodies) => "{folder}: downloading {done} / {total}",
            (Lang::Ja, SyncBodies) => "{folder}: 本文をダウンロード中 {done} / {total}",
            (Lang::En, SyncUpToDate) => "Up to date",
            (Lang::Ja, SyncUpToDate) => "最新の状態です",
            (Lang::En, SyncOffline) => "Offline — trying again in {seconds} s",
            (Lang::Ja, SyncOffline) => "オフライン — {seconds} 秒後に再接続します",
            (Lang::En, SyncNeedsSignIn) => "Sign-in needed",
            (Lang::Ja, SyncNeedsSignIn) => "再サインインが必要",
            (Lang::En, SyncNotRunning) => "Not syncing: {detail}",
            (Lang::Ja, SyncNotRunning) => "同期していません: {detail}",
            // sending
            (Lang::En, ReplyAttribution) => "On {date}, {who} wrote:",
            (Lang::Ja, ReplyAttribution) => "{date}、{who} さんは書きました:",
            (Lang::En, ForwardedMessage) => "---------- Forwarded message ----------",
            (Lang::Ja, ForwardedMessage) => "---------- 転送メッセージ ----------",
            (Lang::En, HeaderSubject) => "Subject",
            (Lang::Ja, HeaderSubject) => "件名",
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
            // composer (and reader)
            (Lang::En, NewMessage) => "New message",
            (Lang::Ja, NewMessage) => "新規メッセージ",
            (Lang::En, HeaderBcc) => "Bcc",
            (Lang::Ja, HeaderBcc) => "BCC",
            (Lang::En, ComposeAddressesHint) => "name@example.com, another@example.com",
            (Lang::Ja, ComposeAddressesHint) => {
                "name@example.com, another@example.com（カンマ区切り）"
            }
            (Lang::En, ComposeSend) => "Send",
            (Lang::Ja, ComposeSend) => "送信",
            (Lang::En, ComposeSaveDraft) => "Save draft",
            (Lang::Ja, ComposeSaveDraft) => "下書きを保存",
            (Lang::En, DraftSavedOnServer) => "Draft saved in the Drafts folder on the server.",
            (Lang::Ja, DraftSavedOnServer) => {
                "下書きをサーバーの「下書き」フォルダーに保存しました。"
            }
            (Lang::En, DraftNotOnServer) => {
                "The draft is kept on this computer but could not be saved on the server: {detail}"
            }
            (Lang::Ja, DraftNotOnServer) => {
                "下書きはこのパソコンに保存されていますが、サーバーには保存できませんでした: {detail}"
            }
            (Lang::En, ComposeAttach) => "Attach files…",
            (Lang::Ja, ComposeAttach) => "ファイルを添付…",
            (Lang::En, ComposeRemoveAttachment) => "Remove",
            (Lang::Ja, ComposeRemoveAttachment) => "外す",
            (Lang::En, ComposeClose) => "Close",
            (Lang::Ja, ComposeClose) => "閉じる",
            (Lang::En, ComposeDiscardHint) => "Closing discards this message.",
            (Lang::Ja, ComposeDiscardHint) => "閉じるとこのメッセージは破棄されます。",
            (Lang::En, ComposeSending) => "Sending…",
            (Lang::Ja, ComposeSending) => "送信中…",
            (Lang::En, ComposeRefused) => "Not sent: {detail}",
            (Lang::Ja, ComposeRefused) => "送信できません: {detail}",
            (Lang::En, ComposeNoAccount) => "Add an account before writing a message.",
            (Lang::Ja, ComposeNoAccount) => "メッセージを書く前にアカウントを追加してください。",
            (Lang::En, ComposeReason) => "Reason: {detail}",
            (Lang::Ja, ComposeReason) => "理由: {detail}",
            (Lang::En, ComposeAttachFailed) => "The file could not be attached: {detail}",
            (Lang::Ja, ComposeAttachFailed) => "ファイルを添付できませんでした: {detail}",
            (Lang::En, ComposeOutboxBusy) => {
                "Queued: another Tayori is sending from this outbox and will send it."
            }
            (Lang::Ja, ComposeOutboxBusy) => {
                "送信トレイに入れました。別の Tayori が送信を担当しています。"
            }
            (Lang::En, Reply) => "Reply",
            (Lang::Ja, Reply) => "返信",
            (Lang::En, ReplyAll) => "Reply all",
            (Lang::Ja, ReplyAll) => "全員に返信",
            (Lang::En, Forward) => "Forward",
            (Lang::Ja, Forward) => "転送",
            (Lang::En, LoadRemoteImages) => "Load remote images",
            (Lang::Ja, LoadRemoteImages) => "リモート画像を表示",
            (Lang::En, RemoteImagesBlocked) => {
                "{count} remote images were not loaded, to protect your privacy."
            }
            (Lang::Ja, RemoteImagesBlocked) => {
                "プライバシー保護のため、{count} 件のリモート画像を読み込んでいません。"
            }
            (Lang::En, RemoteImage) => "Image: {url}",
            (Lang::Ja, RemoteImage) => "画像: {url}",
            (Lang::En, ImageNoAddress) => "[image]",
            (Lang::Ja, ImageNoAddress) => "［画像］",
            (Lang::En, SignInAgain) => "Sign in again",
            (Lang::Ja, SignInAgain) => "再度サインイン",
            (Lang::En, SigningInAgain) => {
                "Signing in to {email}… finish in your browser or the password box."
            }
            (Lang::Ja, SigningInAgain) => {
                "{email} にサインイン中… ブラウザーで手続きを完了してください。"
            }
            (Lang::En, SignInAgainFailed) => "Sign-in for {email} did not work: {detail}",
            (Lang::Ja, SignInAgainFailed) => "{email} のサインインに失敗しました: {detail}",
            (Lang::En, PasswordForAccount) => "Password for {email}",
            (Lang::Ja, PasswordForAccount) => "{email} のパスワード",
            // Settings
            (Lang::En, JapaneseFontMissing) => {
                "No Japanese font was found on this computer, so Japanese text may show as empty boxes. Install one (on Debian and Ubuntu: the package fonts-noto-cjk) or put a font file into {folder}, then start Tayori again."
            }
            (Lang::Ja, JapaneseFontMissing) => {
                "このパソコンに日本語フォントが見つからないため、日本語が正しく表示されない場合があります。日本語フォントをインストールするか（Debian・Ubuntu ではパッケージ fonts-noto-cjk）、フォントファイルを {folder} に置いてから Tayori を再起動してください。"
            }
            (Lang::En, SettingsTitle) => "Settings",
            (Lang::Ja, SettingsTitle) => "設定",
            (Lang::En, BackToMail) => "Back to mail",
            (Lang::Ja, BackToMail) => "メールに戻る",
            (Lang::En, SettingsAppearance) => "Appearance",
            (Lang::Ja, SettingsAppearance) => "表示",
            (Lang::En, SettingsLanguage) => "Language",
            (Lang::Ja, SettingsLanguage) => "言語",
            (Lang::En, FollowSystem) => "Same as the system",
            (Lang::Ja, FollowSystem) => "システムの設定に合わせる",
            (Lang::En, LanguageJapanese) => "Japanese (日本語)",
            (Lang::Ja, LanguageJapanese) => "日本語",
            (Lang::En, LanguageEnglish) => "English",
            (Lang::Ja, LanguageEnglish) => "英語 (English)",
            (Lang::En, SettingsTheme) => "Colours",
            (Lang::Ja, SettingsTheme) => "配色",
            (Lang::En, ThemeLight) => "Light",
            (Lang::Ja, ThemeLight) => "ライト",
            (Lang::En, ThemeDark) => "Dark",
            (Lang::Ja, ThemeDark) => "ダーク",
            (Lang::En, SettingsNotifications) => "Notifications",
            (Lang::Ja, SettingsNotifications) => "通知",
            (Lang::En, NotifyNewMail) => "Show a desktop notification when new mail arrives",
            (Lang::Ja, NotifyNewMail) => "新着メールをデスクトップに通知する",
            (Lang::En, SettingsSync) => "Downloading mail",
            (Lang::Ja, SettingsSync) => "メールのダウンロード",
            (Lang::En, SyncWindowLabel) => "Download whole messages of",
            (Lang::Ja, SyncWindowLabel) => "本文のダウンロード範囲",
            (Lang::En, SyncWindowAll) => "All messages",
            (Lang::Ja, SyncWindowAll) => "すべてのメッセージ",
            (Lang::En, SyncWindowDays) => "The last {days} days",
            (Lang::Ja, SyncWindowDays) => "過去 {days} 日間",
            (Lang::En, SyncWindowHint) => {
                "The sender, subject and date of every message are always kept on this computer. Older messages are downloaded when you open them; a shorter range saves disk space and time on a slow connection."
            }
            (Lang::Ja, SyncWindowHint) => {
                "すべてのメッセージの差出人・件名・日付は常にこのパソコンに保存されます。範囲より古いメッセージは開いたときにダウンロードされます。範囲を短くすると、ディスク容量と低速回線での時間を節約できます。"
            }
            (Lang::En, SettingsAccounts) => "Accounts",
            (Lang::Ja, SettingsAccounts) => "アカウント",
            (Lang::En, AccountSignInMethod) => "Sign-in",
            (Lang::Ja, AccountSignInMethod) => "サインイン方法",
            (Lang::En, AccountSignInBrowser) => {
                "In the browser (OAuth 2.0, with your organisation's multi-factor sign-in)"
            }
            (Lang::Ja, AccountSignInBrowser) => "ブラウザー（OAuth 2.0、組織の多要素認証を使用）",
            (Lang::En, AccountSignInPassword) => "App password (kept in the system keyring)",
            (Lang::Ja, AccountSignInPassword) => "アプリパスワード（システムのキーリングに保存）",
            (Lang::En, AccountIncoming) => "Incoming mail (IMAP)",
            (Lang::Ja, AccountIncoming) => "受信サーバー (IMAP)",
            (Lang::En, AccountOutgoing) => "Outgoing mail (SMTP)",
            (Lang::Ja, AccountOutgoing) => "送信サーバー (SMTP)",
            (Lang::En, AccountStatus) => "Status",
            (Lang::Ja, AccountStatus) => "状態",
            (Lang::En, AccountSignedIn) => "Signed in",
            (Lang::Ja, AccountSignedIn) => "サインイン済み",
            (Lang::En, AccountSignedInAgain) => "Signed in again — mail is syncing.",
            (Lang::Ja, AccountSignedInAgain) => "再度サインインしました。同期を再開しています。",
            (Lang::En, AccountNeedsSignInBecause) => "Needs you to sign in again ({reason})",
            (Lang::Ja, AccountNeedsSignInBecause) => "再度サインインが必要です（{reason}）",
            (Lang::En, RemoveAccount) => "Remove from this computer…",
            (Lang::Ja, RemoveAccount) => "このパソコンから削除…",
            (Lang::En, RemoveAccountUnsent) => {
                "Still waiting in the outbox from this account: {count}. Those messages stay there, unsent, until you add the account again (then Try again) or discard them."
            }
            (Lang::Ja, RemoveAccountUnsent) => {
                "このアカウントの未送信メッセージが送信トレイに {count} 件あります。アカウントを追加し直して再送するか、破棄するまで送信トレイに残ります。"
            }
            (Lang::En, RemoveAccountYes) => "Remove",
            (Lang::Ja, RemoveAccountYes) => "削除する",
            (Lang::En, RemoveAccountConfirm) => {
                "Remove {email}? Its sign-in and the mail downloaded to this computer are deleted. The mail on the server is not touched."
            }
            (Lang::Ja, RemoveAccountConfirm) => {
                "{email} を削除しますか？ サインイン情報とこのパソコンにダウンロードしたメールが削除されます。サーバー上のメールはそのまま残ります。"
            }
            (Lang::En, RemoveAccountFailed) => "{email} could not be removed: {detail}",
            (Lang::Ja, RemoveAccountFailed) => "{email} を削除できませんでした: {detail}",
            (Lang::En, SettingsSaveFailed) => {
                "Your choice works now but could not be saved for next time: {detail}"
            }
            (Lang::Ja, SettingsSaveFailed) => {
                "設定は反映されましたが、次回のために保存できませんでした: {detail}"
            }
            // Reader and list actions
            (Lang::En, ReaderFlag) => "⚑ Flag",
            (Lang::Ja, ReaderFlag) => "⚑ フラグを付ける",
            (Lang::En, ReaderUnflag) => "⚑ Unflag",
            (Lang::Ja, ReaderUnflag) => "⚑ フラグを外す",
            (Lang::En, ReaderMarkUnread) => "Mark unread",
            (Lang::Ja, ReaderMarkUnread) => "未読にする",
            (Lang::En, ReaderMarkRead) => "Mark read",
            (Lang::Ja, ReaderMarkRead) => "既読にする",
            (Lang::En, ShortcutKey) => "Shortcut: {key}",
            (Lang::Ja, ShortcutKey) => "ショートカット: {key}",
            (Lang::En, ActionFailed) => "The change could not be saved: {detail}",
            (Lang::Ja, ActionFailed) => "変更を保存できませんでした: {detail}",
            (Lang::En, AttachmentSave) => "Save…",
            (Lang::Ja, AttachmentSave) => "保存…",
            (Lang::En, AttachmentOpen) => "Open",
            (Lang::Ja, AttachmentOpen) => "開く",
            (Lang::En, AttachmentBytes) => "{count} bytes",
            (Lang::Ja, AttachmentBytes) => "{count} バイト",
            (Lang::En, AttachmentSaved) => "Saved “{name}” as {path}.",
            (Lang::Ja, AttachmentSaved) => "「{name}」を {path} に保存しました。",
            (Lang::En, AttachmentSaveFailed) => "“{name}” could not be saved: {detail}",
            (Lang::Ja, AttachmentSaveFailed) => "「{name}」を保存できませんでした: {detail}",
            (Lang::En, AttachmentOpenFailed) => "“{name}” could not be opened: {detail}",
            (Lang::Ja, AttachmentOpenFailed) => "「{name}」を開けませんでした: {detail}",
            (Lang::En, LinkConfirm) => "Open this link in your browser?",
            (Lang::Ja, LinkConfirm) => "このリンクをブラウザーで開きますか？",
            (Lang::En, LinkGoesTo) => "It goes to {host}",
            (Lang::Ja, LinkGoesTo) => "移動先: {host}",
            (Lang::En, LinkDeceptive) => {
                "Careful: the link’s text shows {shown}, but it leads to {real}."
            }
            (Lang::Ja, LinkDeceptive) => {
                "ご注意ください: リンクの表示は {shown} ですが、実際の移動先は {real} です。"
            }
            (Lang::En, LinkOpen) => "Open in browser",
            (Lang::Ja, LinkOpen) => "ブラウザーで開く",
            (Lang::En, LinkCancel) => "Cancel",
            (Lang::Ja, LinkCancel) => "キャンセル",
            (Lang::En, LinkOpenFailed) => "The browser could not be opened: {detail}",
            (Lang::Ja, LinkOpenFailed) => "ブラウザーを開けませんでした: {detail}",
            (Lang::En, MailtoInvalid) => "This mail link could not be read: {detail}",
            (Lang::Ja, MailtoInvalid) => "このメール リンクを読み取れませんでした: {detail}",
            (Lang::En, Conversations) => "Conversations",
            (Lang::Ja, Conversations) => "スレッド表示",
            // Notifications and outbox
            (Lang::En, NewMailFrom) => "New mail from {sender}",
            (Lang::Ja, NewMailFrom) => "{sender} から新着メール",
            (Lang::En, NewMailCount) => "{count} new messages for {email}",
            (Lang::Ja, NewMailCount) => "{email} に新着メール {count} 件",
            (Lang::En, NewMailLine) => "{sender}: {subject}",
            (Lang::Ja, NewMailLine) => "{sender}：{subject}",
            (Lang::En, NewMailMore) => "and {count} more",
            (Lang::Ja, NewMailMore) => "ほか {count} 件",
            (Lang::En, OutboxWaitingCount) => "{count} waiting",
            (Lang::Ja, OutboxWaitingCount) => "送信待ち {count} 件",
            (Lang::En, OutboxFailedCount) => "{count} not sent",
            (Lang::Ja, OutboxFailedCount) => "未送信 {count} 件",
            (Lang::En, OutboxTitle) => "Outbox",
            (Lang::Ja, OutboxTitle) => "送信トレイ",
            (Lang::En, OutboxRetry) => "Try again",
            (Lang::Ja, OutboxRetry) => "再送信",
            (Lang::En, OutboxDiscard) => "Discard",
            (Lang::Ja, OutboxDiscard) => "破棄",
            (Lang::En, OutboxClose) => "Close",
            (Lang::Ja, OutboxClose) => "閉じる",
            (Lang::En, OutboxEntry) => "{subject} — to {recipients} (from {email})",
            (Lang::Ja, OutboxEntry) => "{subject} — 宛先 {recipients}（差出人 {email}）",
            (Lang::En, OutboxNextAttempt) => "next attempt in {seconds} s",
            (Lang::Ja, OutboxNextAttempt) => "{seconds} 秒後に再試行します",
            (Lang::En, OutboxReason) => "Reason: {reason}",
            (Lang::Ja, OutboxReason) => "理由: {reason}",
            (Lang::En, OutboxUnreadable) => "The outbox could not be read: {detail}",
            (Lang::Ja, OutboxUnreadable) => "送信トレイを読み込めませんでした: {detail}",
            (Lang::En, OutboxDiscardConfirm) => "Discard for good?",
            (Lang::Ja, OutboxDiscardConfirm) => "完全に破棄しますか？",
        }
    }
}

/// Keys of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum Text {
    AppName,
    Tagline,
    WelcomeBody,
    SwitchLanguage,
    NoAccountYet,
    // wizard
    WizardTitle,
    StepAddress,
    StepServers,
    StepSignIn,
    StepCheck,
    StepDone,
    Continue,
    Back,
    Cancel,
    TryAgain,
    AddressHeading,
    AddressIntro,
    EmailLabel,
    EmailPlaceholder,
    NameLabel,
    NamePlaceholder,
    AddressInvalid,
    DiscoveringHeading,
    DiscoveringNote,
    SourcesAsked,
    StillAsking,
    OutcomeFound,
    OutcomeNotFound,
    OutcomeFailed,
    OutcomeTimedOut,
    OutcomeNotNeeded,
    SourceAdminPolicy,
    SourceAutoconfig,
    SourceIspdb,
    SourceMx,
    SourceAutodiscover,
    SourceSrv,
    SourceGuess,
    SourceAutoconfigHttp,
    FoundHeading,
    FoundFrom,
    FoundChecked,
    FoundUnchecked,
    IncomingMail,
    OutgoingMail,
    UserNameLabel,
    EncryptionTls,
    EncryptionStartTls,
    ShowSources,
    HideSources,
    EnterManually,
    TrustHeading,
    TrustBody,
    TrustButton,
    NoSettingsHeading,
    NothingFoundBody,
    UnsupportedBody,
    DiscoverySetupBody,
    ManualHeading,
    ManualIntro,
    ServerLabel,
    PortLabel,
    EncryptionLabel,
    ManualPreferBrowser,
    ManualIncomplete,
    SignInHeading,
    SignInWith,
    SignInWithBrowser,
    SignInBrowserNote,
    YourProvider,
    UsePasswordInstead,
    UseBrowserInstead,
    PasswordLabel,
    PasswordPlaceholder,
    SignInButton,
    PolicyOnlyBrowser,
    PolicyOnlyPassword,
    PreparingSignIn,
    WaitingHeading,
    WaitingBody,
    WaitingNoWindow,
    OpenAgain,
    CopyAddress,
    CheckHeading,
    CheckImap,
    CheckSmtp,
    CheckSave,
    CheckFailedHeading,
    NothingSaved,
    DoneHeading,
    DoneBody,
    OpenMailbox,
    WhatYouCanDo,
    WhatYourAdminCanDo,
    TechnicalDetails,
    UseAppPassword,
    FailNetworkTitle,
    FailNetworkHint,
    FailTlsTitle,
    FailTlsHint,
    FailRefusedTitle,
    FailRefusedHint,
    FailSignInTitle,
    FailSignInHint,
    FailTimeoutTitle,
    FailTimeoutHint,
    FailBrowserTitle,
    FailBrowserHint,
    FailNoClientTitle,
    FailNoClientHint,
    FailKeyringTitle,
    FailKeyringLockedHint,
    FailKeyringHint,
    FailPolicyTitle,
    FailPolicyHint,
    FailSaveTitle,
    FailSaveHint,
    FailOtherTitle,
    FailOtherHint,
    FailNoBrowserSignInTitle,
    FailNoBrowserSignInHint,
    ReasonRedirect,
    ReasonAutodiscoverRedirect,
    ReasonMx,
    ReasonSrv,
    ReasonPlainHttp,
    AppPasswordGeneric,
    // mailbox
    AccountsHeading,
    AddAccount,
    AccountReady,
    AccountNeedsSignIn,
    MailboxPlaceholder,
    AccountsUnreadable,
    UnifiedInbox,
    FolderInbox,
    FolderDrafts,
    FolderSent,
    FolderArchive,
    FolderJunk,
    FolderTrash,
    FolderAll,
    FolderFlagged,
    SearchPlaceholder,
    ClearSearch,
    SortNewest,
    SortOldest,
    NoSubject,
    NoSender,
    EmptyFolder,
    SearchCount,
    SelectAMessage,
    HeaderFrom,
    HeaderTo,
    HeaderCc,
    HeaderDate,
    AttachmentsHeading,
    BodyNotDownloaded,
    MessageUnreadable,
    StatusMessages,
    StatusUnread,
    StoreUnavailable,
    DeleteMessage,
    ShortcutsHint,
    NeedsSignInBanner,
    Loading,
    SyncConnecting,
    SyncFolder,
    SyncEnvelopes,
    SyncBodies,
    SyncUpToDate,
    SyncOffline,
    SyncNeedsSignIn,
    SyncNotRunning,
    // sending
    ReplyAttribution,
    ForwardedMessage,
    HeaderSubject,
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
    // composer
    NewMessage,
    HeaderBcc,
    ComposeAddressesHint,
    ComposeSend,
    ComposeSaveDraft,
    DraftSavedOnServer,
    DraftNotOnServer,
    ComposeAttach,
    ComposeRemoveAttachment,
    ComposeClose,
    ComposeDiscardHint,
    ComposeSending,
    ComposeRefused,
    ComposeNoAccount,
    ComposeReason,
    ComposeAttachFailed,
    ComposeOutboxBusy,
    Reply,
    ReplyAll,
    Forward,
    // reader
    LoadRemoteImages,
    RemoteImagesBlocked,
    RemoteImage,
    ImageNoAddress,
    SignInAgain,
    SigningInAgain,
    SignInAgainFailed,
    PasswordForAccount,
    // Settings
    JapaneseFontMissing,
    SettingsTitle,
    BackToMail,
    SettingsAppearance,
    SettingsLanguage,
    FollowSystem,
    LanguageJapanese,
    LanguageEnglish,
    SettingsTheme,
    ThemeLight,
    ThemeDark,
    SettingsNotifications,
    NotifyNewMail,
    SettingsSync,
    SyncWindowLabel,
    SyncWindowAll,
    SyncWindowDays,
    SyncWindowHint,
    SettingsAccounts,
    AccountSignInMethod,
    AccountSignInBrowser,
    AccountSignInPassword,
    AccountIncoming,
    AccountOutgoing,
    AccountStatus,
    AccountSignedIn,
    AccountSignedInAgain,
    AccountNeedsSignInBecause,
    RemoveAccount,
    RemoveAccountUnsent,
    RemoveAccountYes,
    RemoveAccountConfirm,
    RemoveAccountFailed,
    SettingsSaveFailed,
    // Reader and list actions
    ReaderFlag,
    ReaderUnflag,
    ReaderMarkUnread,
    ReaderMarkRead,
    ShortcutKey,
    ActionFailed,
    AttachmentSave,
    AttachmentOpen,
    AttachmentBytes,
    AttachmentSaved,
    AttachmentSaveFailed,
    AttachmentOpenFailed,
    LinkConfirm,
    LinkGoesTo,
    LinkDeceptive,
    LinkOpen,
    LinkCancel,
    LinkOpenFailed,
    MailtoInvalid,
    Conversations,
    // Notifications and outbox
    NewMailFrom,
    NewMailCount,
    NewMailLine,
    NewMailMore,
    OutboxWaitingCount,
    OutboxFailedCount,
    OutboxTitle,
    OutboxRetry,
    OutboxDiscard,
    OutboxClose,
    OutboxEntry,
    OutboxNextAttempt,
    OutboxReason,
    OutboxUnreadable,
    OutboxDiscardConfirm,
}

/// Puts values into a catalog text's `{name}` placeholders (word order differs between English and
/// Japanese, so placeholders are named, not positional).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The `{name}` placeholders in a catalog text, sorted and without repeats.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names: Vec<&str> = template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn locale_tags_pick_the_language() {
        for tag in ["ja_JP.UTF-8", "ja-JP", "ja", "JA_jp", "ja_JP@euro"] {
            assert_eq!(Lang::from_locale_tag(tag), Lang::Ja, "{tag}");
        }
        for tag in ["en_US.UTF-8", "en-GB", "C", "POSIX", "de_DE", "", "jam"] {
            assert_eq!(Lang::from_locale_tag(tag), Lang::En, "{tag}");
        }
    }

    /// Texts that are the same in both languages on purpose (technical names).
    const SAME_IN_BOTH: [Text; 1] = [Text::EncryptionTls];
    /// Japanese texts written in Latin letters on purpose: the language switch names English in
    /// English; an example address is an address; "CC" is what Japanese mail programs show.
    const LATIN_IN_JAPANESE: [Text; 4] = [
        Text::SwitchLanguage,
        Text::EmailPlaceholder,
        Text::HeaderCc,
        Text::HeaderBcc,
    ];

    #[test]
    fn every_text_is_translated_with_the_same_placeholders() {
        let mut checked = 0;
        for key in Text::iter() {
            let (en, ja) = (Lang::En.text(key), Lang::Ja.text(key));
            assert!(!en.trim().is_empty(), "{key:?} has no English text");
            assert!(!ja.trim().is_empty(), "{key:?} has no Japanese text");
            if !SAME_IN_BOTH.contains(&key) {
                assert_ne!(en, ja, "{key:?} is untranslated");
            }
            if !SAME_IN_BOTH.contains(&key) && !LATIN_IN_JAPANESE.contains(&key) {
                assert!(
                    !ja.is_ascii(),
                    "{key:?}: the Japanese text has no Japanese in it: {ja}"
                );
            }
            assert_eq!(
                placeholders(en),
                placeholders(ja),
                "{key:?}: the two languages fill in different values"
            );
            checked += 1;
        }
        assert!(checked > 100, "only {checked} texts were checked");
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        let ja = Lang::Ja.text(Text::TrustBody);
        assert_eq!(placeholders(ja), ["domain", "domains", "email", "reason"]);
        let filled = fill(
            ja,
            &[
                ("email", "a@corp.test"),
                ("domains", "hoster.test"),
                ("domain", "corp.test"),
                ("reason", "MX"),
            ],
        );
        assert!(!filled.contains('{'), "{filled}");
        assert!(filled.contains("hoster.test を指しています"), "{filled}");
    }
}
