//! The catalog's area for the mailbox window: accounts and folders, the message list, search, the
//! status bar.

catalog! {
    area: Mailbox;
    texts {
        AddAccount { en: "Add account", ja: "アカウントを追加" }
        UnifiedInbox { en: "All inboxes", ja: "すべての受信トレイ" }
        FolderInbox { en: "Inbox", ja: "受信トレイ" }
        FolderDrafts { en: "Drafts", ja: "下書き" }
        FolderSent { en: "Sent", ja: "送信済み" }
        FolderArchive { en: "Archive", ja: "アーカイブ" }
        FolderJunk { en: "Junk", ja: "迷惑メール" }
        FolderTrash { en: "Trash", ja: "ごみ箱" }
        FolderAll { en: "All mail", ja: "すべてのメール" }
        FolderFlagged { en: "Flagged", ja: "フラグ付き" }
        SearchPlaceholder { en: "Search mail  ( / )", ja: "メールを検索  ( / )" }
        ClearSearch { en: "Clear", ja: "クリア" }
        SortNewest { en: "Newest first", ja: "新しい順" }
        SortOldest { en: "Oldest first", ja: "古い順" }
        NoSubject { en: "(no subject)", ja: "（件名なし）" }
        NoSender { en: "(unknown sender)", ja: "（差出人不明）" }
        EmptyFolder { en: "No messages here.", ja: "メッセージはありません。" }
        Conversations { en: "Conversations", ja: "スレッド表示" }
        SelectAMessage {
            en: "Select a message to read it.",
            ja: "メッセージを選択すると、ここに表示されます。",
        }
        StoreUnavailable {
            en: "The mail on this computer could not be opened: {detail}",
            ja: "このコンピューターのメールを開けませんでした: {detail}",
        }
        ShortcutsHint {
            en: "j/k ↑/↓ move · r reply · a all · f forward · s flag · u unread · / search · c write · F5 check mail",
            ja: "j/k ↑/↓ 移動 · r 返信 · a 全員に返信 · f 転送 · s フラグ · u 未読 · / 検索 · c 新規作成 · F5 受信",
        }
        NeedsSignInBanner {
            en: "{email} needs you to sign in again. Mail already on this computer stays readable.",
            ja: "{email} の再サインインが必要です。このコンピューターにあるメールは引き続き読めます。",
        }
        /// An account stopped by a refusal that signing in again does not fix (consent, conditional
        /// access): the settings say what the administrator can do.
        RefusedBanner {
            en: "Your organisation refused the sign-in of {email} (see Settings for what your administrator can do). Mail already on this computer stays readable.",
            ja: "組織が {email} のサインインを拒否しました（管理者ができることは設定画面をご覧ください）。このコンピューターにあるメールは引き続き読めます。",
        }
        Loading { en: "Loading…", ja: "読み込み中…" }
    }
    plurals {
        SearchCount {
            en: {
                one: "{count} message matches “{query}”",
                other: "{count} messages match “{query}”",
            },
            ja: { other: "「{query}」に一致するメッセージ: {count} 件" },
        }
        /// Under the search results while the search index is still being built after a sync.
        SearchIncomplete {
            en: {
                one: "The search index is still being built: {count} message cannot be found by its text yet, so results may be incomplete.",
                other: "The search index is still being built: {count} messages cannot be found by their text yet, so results may be incomplete.",
            },
            ja: { other: "検索インデックスを作成中です。まだ {count} 件のメッセージは本文で検索できないため、結果が不完全な場合があります。" },
        }
        StatusMessages {
            en: {
                one: "{count} message",
                other: "{count} messages",
            },
            ja: { other: "{count} 件" },
        }
        StatusUnread {
            en: {
                one: "{count} unread",
                other: "{count} unread",
            },
            ja: { other: "未読 {count} 件" },
        }
    }
}
