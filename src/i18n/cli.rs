//! The catalog's area for the command line's own lines (`tayori account …`, `tayori sync`): the
//! CLI speaks the person's language as the window does.

catalog! {
    area: Cli;
    texts {
        CliLookingUp {
            en: "Looking up the mail servers for {email} …",
            ja: "{email} のメール サーバーを探しています…",
        }
        CliFound {
            en: "Found ({source}): IMAP {imap}, SMTP {smtp}",
            ja: "メール サーバーが見つかりました（{source}）: IMAP {imap}、SMTP {smtp}",
        }
        CliOpeningBrowser {
            en: "Opening your browser to sign in with {service}. Multi-factor sign-in, if your organisation uses it, happens there.",
            ja: "{service} にサインインするため、ブラウザーを開きます。組織が多要素認証を使っている場合は、ブラウザーで行います。",
        }
        CliCheckingImap {
            en: "Checking incoming mail (IMAP {server}) … ",
            ja: "受信メール サーバー（IMAP {server}）を確認しています… ",
        }
        CliCheckingSmtp {
            en: "Checking outgoing mail (SMTP {server}) … ",
            ja: "送信メール サーバー（SMTP {server}）を確認しています… ",
        }
        CliCheckOk { en: "ok", ja: "正常" }
        CliCheckFailed { en: "failed", ja: "失敗" }
        CliAccountAdded {
            en: "Account {email} added.",
            ja: "アカウント {email} を追加しました。",
        }
        CliSigningInAgain {
            en: "Signing in again ({reason}).",
            ja: "再度サインインします（{reason}）。",
        }
        CliSignedInAgain {
            en: "Signed in again: {email}.",
            ja: "{email} に再度サインインしました。",
        }
        CliNothingSaved {
            en: "Nothing was saved for {email}.",
            ja: "{email} については何も保存していません。",
        }
        /// The admin-consent link, on its own line so that it can be copied whole.
        CliAdminConsentLink {
            en: "Your administrator can approve Tayori for everyone in your organisation by opening this link (copy it into a message to them):\n{link}",
            ja: "管理者が次のリンクを開くと、組織の全員に対して Tayori を承認できます（コピーして管理者に送ってください）:\n{link}",
        }
        CliSignInAgainWith {
            en: "Sign in again with: tayori account reauth {email}",
            ja: "再度サインインするには: tayori account reauth {email}",
        }
        CliMailStaysReadable {
            en: "Mail already on this computer stays readable.",
            ja: "このパソコンにあるメールはそのまま読めます。",
        }
        CliSyncFailed {
            en: "{email}: sync stopped: {detail}",
            ja: "{email}: 同期を中止しました: {detail}",
        }
        /// The device code (RFC 8628): the address and the code each stand alone between spaces.
        CliDeviceCode {
            en: "To sign in, open {url} on any device and enter the code {code} (it expires in {minutes} min). Tayori waits here; Ctrl+C cancels.",
            ja: "サインインするには、任意の端末で {url} を開き、コード {code} を入力してください（有効期限まで {minutes} 分）。Tayori はここで待ちます。Ctrl+C で中止します。",
        }
        CliDeviceCodeNotAllowed {
            en: "This app registration does not allow sign-in with a code (\"Allow public client flows\" is off). Your administrator can turn it on, or sign in through the browser instead.",
            ja: "このアプリ登録では、コードによるサインインが許可されていません（「パブリック クライアント フローを許可する」がオフ）。管理者が有効にするか、ブラウザーでサインインしてください。",
        }
        CliTryDeviceCode {
            en: "If the browser cannot come back to this computer (remote desktop, a locked-down browser), sign in with a code: tayori account add {email} --device-code",
            ja: "ブラウザーからこのパソコンに戻れない場合（リモート デスクトップ、制限されたブラウザーなど）は、コードでサインインしてください: tayori account add {email} --device-code",
        }
        CliSharedAdded {
            en: "Shared mailbox {shared} added; it opens with the sign-in of {member}.",
            ja: "共有メールボックス {shared} を追加しました。{member} のサインインで開きます。",
        }
        CliConnectionsHeading {
            en: "Connections made for {email}, most recent first (times in UTC):",
            ja: "{email} のための接続（新しい順、時刻は UTC）:",
        }
        CliUseAppPassword {
            en: "To use an app password: tayori account add {email} --auth password",
            ja: "アプリ パスワードを使うには: tayori account add {email} --auth password",
        }
    }
    plurals {}
}
