//! The catalog's area for signing in: what a provider's error code means (`auth::guidance`), why an
//! app password is asked for and how to make one, and signing in again.

catalog! {
    area: Auth;
    texts {
        /// AADSTS50076: multi-factor sign-in required.
        GuideMfaRequired {
            en: "Your organisation requires multi-factor sign-in. Sign in again in the browser window and complete the extra step (app notification, code or security key).",
            ja: "組織が多要素認証を求めています。ブラウザーでもう一度サインインし、追加の確認（アプリの通知、コード、セキュリティ キー）を完了してください。",
        }
        /// AADSTS50079: multi-factor sign-in must be registered first.
        GuideMfaRegistration {
            en: "Your organisation requires you to set up multi-factor sign-in first. Sign in again in the browser and follow the registration steps.",
            ja: "多要素認証の登録が必要です。ブラウザーでもう一度サインインし、表示される登録手順に従ってください。",
        }
        /// AADSTS53003: blocked by conditional access.
        GuideConditionalAccess {
            en: "A conditional-access policy of your organisation blocked this sign-in (for example: unmanaged device, location or app). Ask your administrator to allow Tayori, or sign in from a permitted device or network.",
            ja: "組織の条件付きアクセス ポリシーによりサインインがブロックされました（管理されていないデバイス、場所、アプリなど）。管理者に Tayori の許可を依頼するか、許可されたデバイスやネットワークからサインインしてください。",
        }
        /// AADSTS65001: the organisation has not consented to Tayori.
        GuideNoConsent {
            en: "Your organisation has not approved Tayori to read and send mail for you, and you cannot approve it yourself. Ask your administrator to grant admin consent for Tayori (Entra ID → Enterprise applications), or to register the organisation's own app for it.",
            ja: "組織が Tayori によるメールの読み取り・送信を承認しておらず、ご自身では承認できません。管理者に Tayori への管理者の同意（Entra ID → エンタープライズ アプリケーション）を依頼するか、組織独自のアプリ登録を依頼してください。",
        }
        /// AADSTS90094: administrator approval needed.
        GuideAdminApproval {
            en: "Administrator approval is needed before Tayori can access your mailbox. Ask your administrator to grant consent for Tayori in Entra ID.",
            ja: "Tayori がメールボックスにアクセスするには管理者の承認が必要です。Entra ID で Tayori への同意を付与するよう管理者に依頼してください。",
        }
        /// AADSTS70043: sign-in frequency policy.
        GuideSignInFrequency {
            en: "Your organisation requires you to sign in again after a set time (sign-in frequency policy). Sign in again; your mail on this computer stays readable meanwhile.",
            ja: "組織のポリシー（サインインの頻度）により、一定時間ごとに再サインインが必要です。もう一度サインインしてください。その間もこのパソコンにあるメールは読めます。",
        }
        /// AADSTS700082: the refresh token expired through inactivity.
        GuideInactive {
            en: "Your sign-in expired because Tayori was not used for a long time. Sign in again; your mail on this computer stays readable meanwhile.",
            ja: "長期間使用されなかったため、サインインの有効期限が切れました。もう一度サインインしてください。その間もこのパソコンにあるメールは読めます。",
        }
        /// AADSTS700016: the application is not in the directory.
        GuideAppUnknown {
            en: "Tayori's application is not known in your organisation's directory. Your administrator can add it, or configure the organisation's own app registration for Tayori (client id in Tayori's admin policy).",
            ja: "Tayori のアプリケーションが組織のディレクトリに登録されていません。管理者が追加するか、組織独自のアプリ登録（Tayori の管理ポリシーのクライアント ID）を設定できます。",
        }
        /// AADSTS500113: no redirect URI registered.
        GuideNoRedirectUri {
            en: "The app registration has no redirect address for desktop apps. Your administrator must add the redirect URIs http://127.0.0.1 (the address Tayori uses, added in the app's manifest) and http://localhost under \"Mobile and desktop applications\" of the app registration used by Tayori.",
            ja: "アプリ登録にデスクトップ アプリ用のリダイレクト先がありません。Tayori が使うアプリ登録の「モバイル アプリケーションとデスクトップ アプリケーション」に、リダイレクト URI http://127.0.0.1（Tayori が使うアドレス。アプリのマニフェストで追加）と http://localhost を管理者が追加する必要があります。",
        }
        /// AADSTS900971: no redirect address accepted.
        GuideNoRedirectGiven {
            en: "The sign-in request had no redirect address the app registration accepts. Your administrator must add http://127.0.0.1 (in the app's manifest) and http://localhost as desktop redirect URIs of the app registration used by Tayori.",
            ja: "アプリ登録が受け付けるリダイレクト先がありません。Tayori が使うアプリ登録に、デスクトップ用リダイレクト URI として http://127.0.0.1（アプリのマニフェストで追加）と http://localhost を管理者が追加する必要があります。",
        }
        /// SMTP 5.7.139: SMTP AUTH is disabled in Exchange Online.
        GuideSmtpAuthDisabled {
            en: "Sending is switched off for your mailbox: SMTP AUTH is disabled for your organisation or mailbox in Exchange Online. Your administrator can enable \"Authenticated SMTP\" for your mailbox (Microsoft 365 admin center → Users → Mail → Manage email apps), or for the organisation (Set-TransportConfig -SmtpClientAuthenticationDisabled $false).",
            ja: "メールボックスの送信機能（SMTP AUTH）が Exchange Online で無効になっています。管理者がメールボックスの「認証済み SMTP」を有効にする（Microsoft 365 管理センター → ユーザー → メール → メール アプリの管理）か、組織全体で有効にできます（Set-TransportConfig -SmtpClientAuthenticationDisabled $false）。",
        }
        /// An IMAP server that no longer accepts passwords (basic authentication disabled).
        GuideBasicAuthDisabled {
            en: "The server no longer accepts passwords (basic authentication is disabled). Sign in with your organisation's account in the browser instead — Tayori does this with modern authentication, so no app password or policy exception is needed.",
            ja: "サーバーはパスワードでのログイン（基本認証）を受け付けなくなりました。ブラウザーで組織のアカウントにサインインしてください。Tayori は先進認証を使うため、アプリ パスワードやポリシーの例外は不要です。",
        }
        /// Why a password is asked for when browser sign-in exists but the person chose a password.
        AppPasswordGeneric {
            en: "You chose a password instead of signing in through the browser. Type the password of your mail account. If your provider uses multi-factor sign-in, it may ask for an app password instead: you create one in your account's security settings. An app password bypasses multi-factor sign-in, so prefer the browser where you can.",
            ja: "ブラウザーでのサインインの代わりにパスワードを使います。メール アカウントのパスワードを入力してください。多要素認証を使っている場合は、アカウントのセキュリティ設定で作成するアプリ パスワードが必要なことがあります。アプリ パスワードは多要素認証を迂回するため、できるだけブラウザーでのサインインをお使いください。",
        }
        /// Why an app password is offered, and how to make one, for Microsoft 365 / Outlook.com.
        AppPasswordMicrosoft {
            en: "Tayori could not sign you in through the browser, so it offers an app password instead. App passwords exist only if your administrator allowed them and your account uses per-user multi-factor sign-in: create one at https://aka.ms/mfasetup → \"App passwords\". They do not work with conditional-access MFA or security defaults, and they bypass multi-factor sign-in — use one only if your administrator says so.",
            ja: "ブラウザーでのサインインができなかったため、アプリ パスワードでの接続を提案しています。アプリ パスワードは、管理者が許可し、ユーザーごとの多要素認証を使っている場合にのみ作成できます: https://aka.ms/mfasetup →「アプリ パスワード」。条件付きアクセスの多要素認証やセキュリティの既定値では使えず、多要素認証を迂回するため、管理者の指示がある場合にのみ使ってください。",
        }
        /// Why an app password is offered, and how to make one, for Google.
        AppPasswordGoogle {
            en: "Tayori could not sign you in through the browser, so it offers an app password instead. With 2-Step Verification on, create one at https://myaccount.google.com/apppasswords and type it here. App passwords bypass 2-Step Verification; prefer signing in with Google.",
            ja: "ブラウザーでのサインインができなかったため、アプリ パスワードでの接続を提案しています。2 段階認証プロセスが有効な場合、https://myaccount.google.com/apppasswords で作成して入力してください。アプリ パスワードは 2 段階認証を迂回するため、できるだけ Google でのサインインを使ってください。",
        }
        /// Why a password is asked for by a server without browser sign-in.
        AppPasswordServer {
            en: "This server does not offer sign-in through the browser, so Tayori asks for the password of your mail account (or an app password if your provider gives you one).",
            ja: "このサーバーはブラウザーでのサインインに対応していないため、メール アカウントのパスワード（プロバイダーが発行するアプリ パスワードがあればそれ）を入力してください。",
        }
        SignInAgain { en: "Sign in again", ja: "再度サインイン" }
        SigningInAgain {
            en: "Signing in to {email}… finish in your browser or the password box.",
            ja: "{email} にサインイン中… ブラウザーで手続きを完了してください。",
        }
        SignInAgainFailed {
            en: "Sign-in for {email} did not work: {detail}",
            ja: "{email} のサインインに失敗しました: {detail}",
        }
        PasswordForAccount { en: "Password for {email}", ja: "{email} のパスワード" }
    }
    plurals {}
}
