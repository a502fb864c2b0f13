//! The catalog's area for `tayori discover` (and the trust question `tayori account add` asks):
//! where the settings came from, the servers, the sign-in methods and the sources asked.

catalog! {
    area: CliDiscover;
    texts {
        CliDiscoverHeading {
            en: "Settings for {email} — from {source}{verified} in {ms} ms",
            ja: "{email} の設定 — {source}{verified}、{ms} ミリ秒",
        }
        CliDiscoverVerified { en: ", verified", ja: "（検証済み）" }
        CliDiscoverNotVerified { en: ", NOT verified", ja: "（未検証）" }
        CliDiscoverProvider { en: "Provider", ja: "プロバイダー" }
        CliDiscoverIncoming { en: "Incoming (IMAP)", ja: "受信（IMAP）" }
        CliDiscoverOutgoing { en: "Outgoing (SMTP)", ja: "送信（SMTP）" }
        CliDiscoverUser { en: "user {user}", ja: "ユーザー {user}" }
        CliDiscoverSignIn { en: "Sign-in", ja: "サインイン" }
        CliDiscoverOAuthIssuer {
            en: "OAuth 2.0 in the browser — {issuer}",
            ja: "ブラウザーで OAuth 2.0 — {issuer}",
        }
        CliDiscoverOAuthNamedByServer {
            en: "OAuth 2.0 in the browser — the server names its sign-in service",
            ja: "ブラウザーで OAuth 2.0 — サインイン サービスはサーバーが指定します",
        }
        CliDiscoverPassword {
            en: "password (an app password where the provider requires one)",
            ja: "パスワード（プロバイダーが求める場合はアプリ パスワード）",
        }
        CliDiscoverSourcesAsked {
            en: "Sources asked (in the order they answered):",
            ja: "問い合わせ先（応答した順）:",
        }
        CliDiscoverStopped {
            en: "stopped: a better answer was already in",
            ja: "中止: より確かな答えが先に届きました",
        }
        CliDiscoverAskTrust {
            en: "Trust {domains} for this account? [y/N] ",
            ja: "このアカウントで {domains} を信頼しますか? [y/N] ",
        }
        CliDiscoverTrusted {
            en: "Trusted. Run `tayori account add` with {flags} to use these settings.",
            ja: "信頼しました。この設定を使うには、`tayori account add` に {flags} を付けて実行してください。",
        }
        /// Discovery led to domains the address's own domain did not vouch for.
        CliDiscoverUnvouched {
            en: "These settings lead to {domains} ({reason}), which {domain} did not vouch for. No password or token has been sent. If you trust {domains}, run again with {flags}.",
            ja: "この設定は {domains}（{reason}）を指していますが、{domain} はそれを保証していません。パスワードもトークンも送信していません。{domains} を信頼する場合は、{flags} を付けてもう一度実行してください。",
        }
    }
    plurals {}
}
