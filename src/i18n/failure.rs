//! The catalog's area for what a failed setup or sign-in says: a headline and a hint per kind of
//! failure, and who can act.

catalog! {
    area: Failure;
    texts {
        WhatYouCanDo { en: "What you can do", ja: "対処方法" }
        WhatYourAdminCanDo { en: "What your administrator can do", ja: "管理者による対処" }
        TechnicalDetails { en: "Technical details", ja: "技術的な詳細" }
        FailNetworkTitle {
            en: "The server could not be reached",
            ja: "サーバーに接続できませんでした",
        }
        FailNetworkHint {
            en: "Check your network connection and try again. If the server name is wrong, go back and enter the settings by hand.",
            ja: "ネットワーク接続を確認して、もう一度お試しください。サーバー名が誤っている場合は、戻って設定を手動で入力してください。",
        }
        FailTlsTitle { en: "The secure connection failed", ja: "安全な接続を確立できませんでした" }
        FailTlsHint {
            en: "The server's certificate was not accepted. If your organisation inspects encrypted traffic, its certificate must be installed on this computer — ask your administrator.",
            ja: "サーバーの証明書を確認できませんでした。組織で暗号化通信を検査している場合は、その証明書をこのコンピューターにインストールする必要があります。管理者にお問い合わせください。",
        }
        FailRefusedTitle {
            en: "The server refused the sign-in",
            ja: "サーバーがサインインを拒否しました",
        }
        FailRefusedHint {
            en: "Check the user name and password. If your account uses multi-factor sign-in, sign in through the browser, or use an app password if your provider gives you one.",
            ja: "ユーザー名とパスワードを確認してください。多要素認証を使っている場合はブラウザーでサインインするか、プロバイダーが発行するアプリ パスワードをお使いください。",
        }
        FailSignInTitle { en: "Sign-in did not complete", ja: "サインインを完了できませんでした" }
        FailAdminConsentLink {
            en: "Send this link to your administrator: opening it approves Tayori for everyone in your organisation.",
            ja: "このリンクを管理者に送ってください。管理者が開くと、組織の全員に対して Tayori が承認されます。",
        }
        FailSignInHint {
            en: "Try again and finish in the browser window that opens. If it keeps failing, the details below help your administrator.",
            ja: "もう一度お試しのうえ、開いたブラウザーでサインインを完了してください。何度も失敗する場合は、下の詳細を管理者にお伝えください。",
        }
        FailTimeoutTitle {
            en: "No answer from the browser in time",
            ja: "ブラウザーからの応答がありませんでした",
        }
        FailTimeoutHint {
            en: "Try again and finish signing in in the browser window that opens.",
            ja: "もう一度お試しのうえ、開いたブラウザーでサインインを完了してください。",
        }
        FailBrowserTitle {
            en: "The browser could not be opened",
            ja: "ブラウザーを開けませんでした",
        }
        FailBrowserHint {
            en: "Copy the address from the details below into your browser, or set your default browser and try again.",
            ja: "下の詳細にあるアドレスをブラウザーに貼り付けるか、既定のブラウザーを設定してからもう一度お試しください。",
        }
        FailNoClientTitle {
            en: "Tayori is not registered with this sign-in service",
            ja: "このサインイン サービスに Tayori が登録されていません",
        }
        FailNoClientHint {
            en: "Ask your administrator for the client ID of your organisation's app registration for Tayori (it goes into Tayori's admin policy or settings), or sign in with a password.",
            ja: "管理者に、組織で Tayori 用に登録したアプリのクライアント ID を確認してください（Tayori の管理ポリシーまたは設定に記入します）。またはパスワードでサインインしてください。",
        }
        FailKeyringTitle {
            en: "The system keyring could not be used",
            ja: "システムのキーリングを利用できませんでした",
        }
        FailKeyringLockedHint {
            en: "Your keyring is locked. Unlock it (sign in to your desktop session, or open your password manager) and try again.",
            ja: "キーリングがロックされています。ロックを解除して（デスクトップにサインインする、またはパスワード マネージャーを開く）、もう一度お試しください。",
        }
        FailKeyringHint {
            en: "Tayori keeps sign-ins only in the system keyring, never in a file. Install and start a keyring service (such as GNOME Keyring or KWallet on Linux), then try again.",
            ja: "Tayori はサインイン情報をシステムのキーリングにのみ保管し、ファイルには保存しません。キーリング サービス（Linux では GNOME Keyring や KWallet など）をインストール・起動してから、もう一度お試しください。",
        }
        FailPolicyTitle {
            en: "Your organisation does not allow this sign-in method",
            ja: "組織の設定でこのサインイン方法は許可されていません",
        }
        FailPolicyHint {
            en: "Use the sign-in method your organisation allows, or ask your administrator.",
            ja: "組織が許可している方法でサインインするか、管理者にお問い合わせください。",
        }
        FailSaveTitle {
            en: "The account could not be saved",
            ja: "アカウントを保存できませんでした",
        }
        FailSaveHint {
            en: "Check that the disk is not full and that Tayori may write to its settings folder.",
            ja: "ディスクの空き容量と、Tayori が設定フォルダーに書き込めることを確認してください。",
        }
        FailOtherTitle { en: "Something went wrong", ja: "問題が発生しました" }
        FailOtherHint {
            en: "Try again. If it keeps failing, the details below help your administrator.",
            ja: "もう一度お試しください。何度も失敗する場合は、下の詳細を管理者にお伝えください。",
        }
        FailNoBrowserSignInTitle {
            en: "This server does not offer sign-in through the browser",
            ja: "このサーバーはブラウザーでのサインインに対応していません",
        }
        FailNoBrowserSignInHint {
            en: "Sign in with the password of your mail account instead (or an app password, if your provider gives you one).",
            ja: "代わりにメール アカウントのパスワード（プロバイダーが発行するアプリ パスワードがあればそれ）でサインインしてください。",
        }
    }
    plurals {}
}
