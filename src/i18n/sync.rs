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
