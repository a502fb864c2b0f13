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
        CliServerNamesSignIn {
            en: "The mail server names its sign-in service: {service}",
            ja: "メール サーバーがサインイン サービスを指定しています: {service}",
        }
        CliPasswordPrompt { en: "Password for {email}: ", ja: "{email} のパスワード: " }
        CliNoPasswordGiven { en: "no password given", ja: "パスワードが入力されていません" }
        CliNoAccounts {
            en: "No accounts yet. Add one with: tayori account add you@example.com",
            ja: "アカウントはまだありません。追加するには: tayori account add you@example.com",
        }
        CliSignInByPassword { en: "password", ja: "パスワード" }
        CliSignInProvider { en: "provider", ja: "プロバイダー" }
        /// `tayori account list`: a refusal that waits for the administrator, not for a new sign-in.
        CliAccountRefused { en: "refused: {reason}", ja: "拒否されています: {reason}" }
        CliAccountNeedsSignIn {
            en: "needs sign-in: {reason} — run `tayori account reauth {email}`",
            ja: "再サインインが必要です: {reason} — `tayori account reauth {email}` を実行してください",
        }
        CliVerifyOk { en: "{email}: ok", ja: "{email}: 正常" }
        CliVerifyNeedsSignIn {
            en: "{email}: needs sign-in — {error}",
            ja: "{email}: 再サインインが必要です — {error}",
        }
        CliVerifyRefused { en: "{email}: refused — {error}", ja: "{email}: 拒否されました — {error}" }
        CliVerifyCouldNotCheck {
            en: "{email}: could not check — {error}",
            ja: "{email}: 確認できませんでした — {error}",
        }
        CliNoSuchAccount {
            en: "there is no account {email}; `tayori account list` shows the configured ones",
            ja: "アカウント {email} はありません。設定済みのアカウントは `tayori account list` で確認できます",
        }
        /// An error the command line has no words of its own for: what Tayori's core said follows,
        /// as the window shows it under "Technical details".
        CliCommandFailed {
            en: "The command could not finish.",
            ja: "コマンドを完了できませんでした。",
        }
        CliErrorDetails { en: "Details: {detail}", ja: "詳細: {detail}" }
        CliCouldNotStart { en: "could not start: {detail}", ja: "起動できませんでした: {detail}" }
    }
    plurals {}
}
