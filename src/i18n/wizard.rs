//! The catalog's area for the first-run wizard: address, discovery and its sources, servers by
//! hand, sign-in, checks.

catalog! {
    area: Wizard;
    texts {
        WizardTitle { en: "Add a mail account", ja: "メール アカウントの追加" }
        StepAddress { en: "Address", ja: "アドレス" }
        StepServers { en: "Servers", ja: "サーバー" }
        StepSignIn { en: "Sign-in", ja: "認証" }
        StepCheck { en: "Check", ja: "確認" }
        StepDone { en: "Done", ja: "完了" }
        Continue { en: "Continue", ja: "次へ" }
        Back { en: "Back", ja: "戻る" }
        Cancel { en: "Cancel", ja: "キャンセル" }
        TryAgain { en: "Try again", ja: "もう一度試す" }
        AddressHeading {
            en: "What is your email address?",
            ja: "メール アドレスを入力してください",
        }
        AddressIntro {
            en: "Tayori finds your mail servers from your address and signs you in through your browser, where multi-factor sign-in happens. No app passwords, no weakened security policies.",
            ja: "アドレスからメール サーバーを自動で探し、ブラウザーでサインインします（多要素認証もブラウザーで行います）。アプリ パスワードやセキュリティ ポリシーの緩和は不要です。",
        }
        EmailLabel { en: "Email address", ja: "メール アドレス" }
        EmailPlaceholder { en: "you@example.com", ja: "taro.yamada@example.co.jp" }
        NameLabel {
            en: "Your name, as recipients see it (optional)",
            ja: "差出人名（受信者に表示される名前、省略可）",
        }
        NamePlaceholder { en: "Alex Smith", ja: "山田 太郎" }
        AddressInvalid {
            en: "Type the whole address, for example name@example.com.",
            ja: "name@example.com のように、アドレス全体を入力してください。",
        }
        DiscoveringHeading {
            en: "Looking up the mail servers for {email}",
            ja: "{email} のメール サーバーを探しています",
        }
        DiscoveringNote {
            en: "Tayori asks several sources at once and takes the most trustworthy answer. No password or token is sent while looking.",
            ja: "複数の情報源に同時に問い合わせ、最も信頼できる回答を使います。検索中にパスワードやトークンが送信されることはありません。",
        }
        SourcesAsked { en: "Sources asked", ja: "問い合わせ先" }
        StillAsking {
            en: "Waiting for the other sources…",
            ja: "他の問い合わせ先の応答を待っています…",
        }
        OutcomeFound { en: "found", ja: "見つかりました" }
        OutcomeNotFound { en: "nothing there", ja: "情報なし" }
        OutcomeFailed { en: "failed", ja: "失敗" }
        OutcomeTimedOut { en: "no answer in time", ja: "時間内に応答なし" }
        OutcomeNotNeeded {
            en: "not needed: a better answer was already in",
            ja: "不要（より確かな回答が得られたため）",
        }
        SourceAdminPolicy { en: "Your organisation's policy", ja: "組織のポリシー" }
        SourceAutoconfig {
            en: "Your domain's autoconfig (HTTPS)",
            ja: "ドメインの自動設定（HTTPS）",
        }
        SourceIspdb {
            en: "Mail provider database (ISPDB)",
            ja: "メール プロバイダーのデータベース（ISPDB）",
        }
        SourceKnownProvider { en: "Tayori's list of mail providers", ja: "Tayori のメール プロバイダー一覧" }
        SourceMx { en: "The domain's MX records", ja: "ドメインの MX レコード" }
        SourceAutodiscover { en: "Exchange AutoDiscover", ja: "Exchange 自動検出（AutoDiscover）" }
        SourceSrv { en: "SRV records (RFC 6186)", ja: "SRV レコード（RFC 6186）" }
        SourceGuess { en: "Trying common server names", ja: "一般的なサーバー名を試行" }
        SourceAutoconfigHttp {
            en: "Autoconfig over plain HTTP (legacy)",
            ja: "暗号化されていない HTTP の自動設定（旧方式）",
        }
        FoundHeading { en: "Mail servers found", ja: "メール サーバーが見つかりました" }
        FoundFrom { en: "Found through: {source}", ja: "取得元: {source}" }
        FoundChecked {
            en: "The answer came over a secure connection.",
            ja: "安全な接続で取得した設定です。",
        }
        FoundUnchecked {
            en: "This answer could not be checked; look at the server names before you continue.",
            ja: "この設定は検証できませんでした。続行する前にサーバー名をご確認ください。",
        }
        IncomingMail { en: "Incoming mail (IMAP)", ja: "受信メール（IMAP）" }
        OutgoingMail { en: "Outgoing mail (SMTP)", ja: "送信メール（SMTP）" }
        UserNameLabel { en: "User name", ja: "ユーザー名" }
        EncryptionTls { en: "SSL/TLS", ja: "SSL/TLS" }
        EncryptionStartTls { en: "STARTTLS (required)", ja: "STARTTLS（必須）" }
        ShowSources { en: "Show the sources asked", ja: "問い合わせ先を表示" }
        HideSources { en: "Hide the sources", ja: "問い合わせ先を隠す" }
        EnterManually { en: "Enter server settings by hand", ja: "サーバー設定を手動で入力" }
        TrustHeading {
            en: "Use mail servers at another domain?",
            ja: "別のドメインのメール サーバーを使いますか？",
        }
        TrustBody {
            en: "The settings for {email} lead to {domains} ({reason}). {domain} itself did not confirm this, so nothing has been sent there yet. Continue only if you know that your mail is hosted by {domains} — if unsure, ask your administrator.",
            ja: "{email} の設定は {domains} を指しています（{reason}）。{domain} 自身による確認がないため、まだ何も送信していません。メールが {domains} で運用されていることが確かな場合のみ続行してください。不明な場合は管理者にお問い合わせください。",
        }
        TrustButton { en: "Trust {domains} and continue", ja: "{domains} を信頼して続行" }
        NoSettingsHeading { en: "No settings were found", ja: "設定が見つかりませんでした" }
        NothingFoundBody {
            en: "Nothing about {domain} was found. Ask your mail provider or administrator for the server names and enter them by hand: they are usually imap.{domain} (port 993, SSL/TLS) and smtp.{domain} (port 465 SSL/TLS or 587 STARTTLS).",
            ja: "{domain} の設定は見つかりませんでした。メール プロバイダーまたは管理者にサーバー名を確認し、手動で入力してください。一般的には imap.{domain}（ポート 993、SSL/TLS）と smtp.{domain}（ポート 465 SSL/TLS または 587 STARTTLS）です。",
        }
        MicrosoftQuestion {
            en: "Is this a Microsoft 365 or Exchange account?",
            ja: "Microsoft 365 または Exchange のアカウントですか？",
        }
        MicrosoftQuestionBody {
            en: "Nothing in {domain}'s own records points to Microsoft, so Tayori has not told Microsoft about {email}. If your mail is at Microsoft 365 or Exchange, Tayori can ask Microsoft's AutoDiscover service where your mailbox is; that sends your address to Microsoft.",
            ja: "{domain} 自身の登録情報には Microsoft を示すものがないため、{email} を Microsoft には送っていません。メールが Microsoft 365 または Exchange にある場合は、Microsoft の AutoDiscover サービスにメールボックスの場所を問い合わせることができます（アドレスが Microsoft に送られます）。",
        }
        MicrosoftYes { en: "Yes, ask Microsoft", ja: "はい、Microsoft に問い合わせる" }
        UnsupportedBody {
            en: "{domain} offers no way Tayori can use safely: {reason}. Ask your provider whether IMAP with encryption can be switched on.",
            ja: "{domain} には Tayori が安全に使える接続方法がありません（{reason}）。暗号化された IMAP を有効にできるか、プロバイダーにお問い合わせください。",
        }
        DiscoverySetupBody {
            en: "Tayori could not start looking: {detail}. Check the network settings in tayori.toml, or ask your administrator.",
            ja: "検索を開始できませんでした（{detail}）。tayori.toml のネットワーク設定を確認するか、管理者にお問い合わせください。",
        }
        ManualHeading { en: "Server settings", ja: "サーバー設定" }
        ManualIntro {
            en: "Enter the settings your provider or administrator gave you. Tayori always encrypts the connection: SSL/TLS, or STARTTLS that must succeed.",
            ja: "プロバイダーまたは管理者から案内された設定を入力してください。接続は常に暗号化されます（SSL/TLS、または必須の STARTTLS）。",
        }
        ServerLabel { en: "Server", ja: "サーバー" }
        PortLabel { en: "Port", ja: "ポート" }
        EncryptionLabel { en: "Encryption", ja: "暗号化" }
        ManualPreferBrowser {
            en: "Sign in through the browser if the server supports it",
            ja: "サーバーが対応していればブラウザーでサインインする",
        }
        ManualIncomplete {
            en: "Fill in both server names and the user name, with ports from 1 to 65535.",
            ja: "サーバー名とユーザー名をすべて入力し、ポートには 1〜65535 の番号を指定してください。",
        }
        SignInHeading { en: "Sign in to {email}", ja: "{email} にサインイン" }
        SignInWith { en: "Sign in with {service}", ja: "{service} でサインイン" }
        SignInWithCode { en: "Sign in with a code on another device", ja: "別の端末でコードを使ってサインイン" }
        DeviceCodeHeading { en: "Sign in with a code", ja: "コードでサインイン" }
        DeviceCodeBody {
            en: "On any device — a phone, another computer — open {url} and enter this code. Multi-factor sign-in happens there.",
            ja: "スマートフォンや別のパソコンなど任意の端末で {url} を開き、次のコードを入力してください。多要素認証もそこで行います。",
        }
        DeviceCodeExpiresIn { en: "The code expires in {time}.", ja: "コードの有効期限まで {time}" }
        CopyCode { en: "Copy the code", ja: "コードをコピー" }
        CopyAdminConsentLink { en: "Copy the link for your administrator", ja: "管理者に送るリンクをコピー" }
        SignInWithBrowser { en: "Sign in with your browser", ja: "ブラウザーでサインイン" }
        SignInBrowserNote {
            en: "Your browser opens the sign-in page of {service}. Multi-factor sign-in — an app notification, a code or a security key — happens there, as you are used to. Tayori never sees your password.",
            ja: "ブラウザーで {service} のサインイン ページが開きます。多要素認証（アプリの通知、確認コード、セキュリティ キー）もいつもどおりブラウザーで行います。Tayori がパスワードを見ることはありません。",
        }
        YourProvider { en: "your provider", ja: "ご利用のサービス" }
        SignInPageHost { en: "Sign-in page: {host}", ja: "サインイン ページ: {host}" }
        ConfirmHostHeading {
            en: "Check where you will sign in",
            ja: "サインイン先を確認してください",
        }
        ConfirmHostBody {
            en: "Your mail server names its own sign-in page: your browser will open {host}. Continue only if that is your organisation's or your mail provider's sign-in page. Never enter your password on a page you do not recognise.",
            ja: "メール サーバーがサインイン ページを指定しています。ブラウザーで {host} を開きます。所属する組織またはメール サービスのサインイン ページである場合にだけ続けてください。見覚えのないページにはパスワードを入力しないでください。",
        }
        ContinueToHost { en: "Continue to {host}", ja: "{host} に進む" }
        UsePasswordInstead { en: "Use a password instead", ja: "パスワードを使う" }
        UseBrowserInstead {
            en: "Sign in through the browser instead",
            ja: "ブラウザーでのサインインに戻る",
        }
        PasswordLabel { en: "Password", ja: "パスワード" }
        PasswordPlaceholder {
            en: "Password or app password",
            ja: "パスワードまたはアプリ パスワード",
        }
        SignInButton { en: "Sign in", ja: "サインイン" }
        PolicyOnlyBrowser {
            en: "Your organisation allows only sign-in through the browser for this account.",
            ja: "このアカウントは、組織の設定によりブラウザーでのサインインのみ利用できます。",
        }
        PolicyOnlyPassword {
            en: "Your organisation allows only password sign-in for this account.",
            ja: "このアカウントは、組織の設定によりパスワードでのサインインのみ利用できます。",
        }
        PreparingSignIn {
            en: "Contacting the sign-in service…",
            ja: "サインイン サービスに接続しています…",
        }
        WaitingHeading {
            en: "Finish signing in in your browser",
            ja: "ブラウザーでサインインを完了してください",
        }
        WaitingBody {
            en: "A browser window with the sign-in page of {service} has opened. Sign in there, including any multi-factor step. Tayori continues by itself as soon as you are done.",
            ja: "{service} のサインイン ページをブラウザーで開きました。多要素認証を含め、ブラウザーでサインインを済ませてください。完了すると Tayori は自動的に次へ進みます。",
        }
        WaitingNoWindow {
            en: "No browser window? Open it again, or copy the address into your browser.",
            ja: "ブラウザーが開かない場合は、もう一度開くか、アドレスをコピーしてブラウザーに貼り付けてください。",
        }
        OpenAgain { en: "Open the browser again", ja: "ブラウザーをもう一度開く" }
        CopyAddress { en: "Copy the address", ja: "アドレスをコピー" }
        CheckHeading { en: "Checking your account", ja: "アカウントを確認しています" }
        CheckImap {
            en: "Incoming mail — signing in to {server}",
            ja: "受信メール — {server} にサインイン",
        }
        CheckSmtp {
            en: "Outgoing mail — signing in to {server}",
            ja: "送信メール — {server} にサインイン",
        }
        CheckSave {
            en: "Saving the account; the sign-in goes into the system keyring",
            ja: "アカウントを保存（サインイン情報はシステムのキーリングに保管）",
        }
        CheckFailedHeading {
            en: "The account could not be checked",
            ja: "アカウントを確認できませんでした",
        }
        NothingSaved { en: "Nothing has been saved.", ja: "何も保存されていません。" }
        DoneHeading { en: "All set", ja: "設定が完了しました" }
        DoneBody {
            en: "{email} is ready. Tayori now fetches your mail; new messages appear as they arrive.",
            ja: "{email} の設定が完了しました。メールの受信を開始します。新しいメッセージは届きしだい表示されます。",
        }
        OpenMailbox { en: "Open the mailbox", ja: "メールボックスを開く" }
        UseAppPassword { en: "Use an app password instead", ja: "アプリ パスワードを使う" }
        ReasonRedirect { en: "a redirect", ja: "リダイレクト" }
        ReasonAutodiscoverRedirect {
            en: "an AutoDiscover redirect",
            ja: "AutoDiscover のリダイレクト",
        }
        ReasonMx { en: "the MX record", ja: "MX レコード" }
        ReasonSrv { en: "an SRV record", ja: "SRV レコード" }
        ReasonPlainHttp {
            en: "unencrypted HTTP, which could have been altered on the way",
            ja: "暗号化されていない HTTP（途中で改ざんされた可能性があります）",
        }
    }
    plurals {}
}
