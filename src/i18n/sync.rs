//! The catalog's area for sync as the person sees it: the status line, and new-mail notifications.

catalog! {
    area: Sync;
    texts {
        SyncConnecting { en: "Connecting…", ja: "接続しています…" }
        SyncFolder { en: "Updating {folder}…", ja: "{folder} を更新しています…" }
        SyncBodies {
            en: "{folder}: downloading {done} / {total}",
            ja: "{folder}: 本文をダウンロード中 {done} / {total}",
        }
        SyncIndexing {
            en: "Mail synced; building the search index {done} / {total}",
            ja: "同期しました。検索インデックスを作成中 {done} / {total}",
        }
        SyncUpToDate { en: "Up to date", ja: "最新の状態です" }
        /// The last pass synced every folder but those the server refused to open.
        SyncUpToDateExcept {
            en: "Up to date, except {folders}: the server would not open it",
            ja: "最新の状態です（{folders} はサーバーが開けませんでした）",
        }
        /// Beside a folder the server refused to open, on hover.
        FolderRefusedTip {
            en: "The server would not open this folder: {reason}. The other folders are up to date; Tayori tries again at the next sync.",
            ja: "サーバーがこのフォルダーを開けませんでした: {reason}。ほかのフォルダーは最新の状態です。次の同期でもう一度試します。",
        }
        /// Account settings: which way the account is read, and why.
        ReadsViaImap {
            en: "Reads mail through the IMAP server {server}.",
            ja: "IMAP サーバー {server} 経由でメールを受信します。",
        }
        ReadsViaGraphImapOff {
            en: "Reads mail through Microsoft 365 (Microsoft Graph): IMAP is turned off for your mailbox.",
            ja: "Microsoft 365（Microsoft Graph）経由でメールを受信します。このメールボックスでは IMAP が無効になっているためです。",
        }
        /// Told once when an account turned to Microsoft Graph because IMAP is off.
        ReadViaGraphNotice {
            en: "IMAP is turned off for your mailbox {account}; Tayori reads through Microsoft 365 instead. Your mail, folders and flags stay as they are.",
            ja: "メールボックス {account} では IMAP が無効になっています。Tayori は代わりに Microsoft 365 経由でメールを受信します。メール、フォルダー、フラグはこれまでどおりです。",
        }
        /// Told once when an account that read through Microsoft Graph because IMAP was off found
        /// IMAP on again (checked once a day).
        ReadViaImapAgainNotice {
            en: "IMAP is turned on again for your mailbox {account}; Tayori reads through IMAP again. Your mail, folders and flags stay as they are.",
            ja: "メールボックス {account} で IMAP が再び有効になりました。Tayori は再び IMAP でメールを受信します。メール、フォルダー、フラグはこれまでどおりです。",
        }
        /// Account settings, beside "IMAP is turned off": ask IMAP now instead of at the daily check.
        CheckImapAgain { en: "Check again", ja: "もう一度確認" }
        CheckImapAgainAsked {
            en: "IMAP will be checked at the next sync.",
            ja: "次回の同期で IMAP を確認します。",
        }
        ReadsViaGraphPolicy {
            en: "Reads mail through Microsoft 365 (Microsoft Graph): your administrator's policy says so.",
            ja: "Microsoft 365（Microsoft Graph）経由でメールを受信します。管理者のポリシーでそう設定されています。",
        }
        SyncOffline {
            en: "Offline — trying again in {seconds} s",
            ja: "オフライン — {seconds} 秒後に再接続します",
        }
        SyncNeedsSignIn { en: "Sign-in needed", ja: "再サインインが必要" }
        SyncSignInRefused {
            en: "Stopped: the sign-in service refused",
            ja: "停止中: サインイン サービスが拒否しました",
        }
        SyncNotRunning { en: "Not syncing: {detail}", ja: "同期していません: {detail}" }
        NewMailFrom { en: "New mail from {sender}", ja: "{sender} から新着メール" }
        NewMailLine { en: "{sender}: {subject}", ja: "{sender}：{subject}" }
    }
    plurals {
        SyncEnvelopes {
            en: {
                one: "{folder}: {done} / {count} message",
                other: "{folder}: {done} / {count} messages",
            },
            ja: { other: "{folder}: {done} / {count} 件" },
        }
        NewMailCount {
            en: {
                one: "{count} new message for {email}",
                other: "{count} new messages for {email}",
            },
            ja: { other: "{email} に新着メール {count} 件" },
        }
        NewMailMore {
            en: {
                one: "and {count} more",
                other: "and {count} more",
            },
            ja: { other: "ほか {count} 件" },
        }
    }
}
