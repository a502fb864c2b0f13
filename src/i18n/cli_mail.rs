//! The catalog's area for the command line's mail commands (`tayori sync`, `list`, `search`,
//! `show`): progress, the sync summary, listings and what they say when nothing is there.

catalog! {
    area: CliMail;
    texts {
        CliProgressConnecting { en: "connecting…", ja: "接続しています…" }
        CliProgressSignedIn { en: "signed in", ja: "サインインしました" }
        CliProgressHeaders { en: "{folder}: headers", ja: "{folder}: ヘッダー" }
        CliProgressMessages {
            en: "{folder}: messages ({size})",
            ja: "{folder}: メッセージ（{size}）",
        }
        CliProgressIndexing {
            en: "search index",
            ja: "検索インデックス",
        }
        CliIndexFailed {
            en: "the search index could not be completed: {detail}. The mail is synced and readable; the next `tayori sync` goes on with the index",
            ja: "検索インデックスを完成できませんでした: {detail}。メールは同期済みで読めます。次の `tayori sync` でインデックス作成を続けます",
        }
        CliProgressIdle {
            en: "up to date; waiting for new mail",
            ja: "最新の状態です。新着メールを待っています",
        }
        CliProgressOffline {
            en: "offline: {error} (trying again in {seconds} s)",
            ja: "オフライン: {error}（{seconds} 秒後にもう一度試します）",
        }
        CliProgressSignInRefused {
            en: "sign-in refused: {error}",
            ja: "サインインが拒否されました: {error}",
        }
        CliSyncRetrying {
            en: "{email}: {error} (trying again in {seconds} s)",
            ja: "{email}: {error}（{seconds} 秒後にもう一度試します）",
        }
        /// One line per account after `tayori sync`; the counts are the plurals below.
        CliSyncSummary {
            en: "{email}: {folders} ({checked} checked), {new} new, {flags}, {removed} removed, {downloaded} ({size}), {replayed}, {seconds} s",
            ja: "{email}: {folders}（確認 {checked}）、新着 {new} 件、{flags}、削除 {removed} 件、{downloaded}（{size}）、{replayed}、{seconds} 秒",
        }
        CliNoFolderNothingSynced {
            en: "no folder \"{folder}\" in the local store (nothing synced yet — run `tayori sync`)",
            ja: "このパソコンに「{folder}」フォルダーはありません（まだ同期していません。`tayori sync` を実行してください）",
        }
        CliNoFolderKnown {
            en: "no folder \"{folder}\" in the local store; known folders:",
            ja: "このパソコンに「{folder}」フォルダーはありません。あるフォルダーは次のとおりです:",
        }
        CliFolderHeading {
            en: "{account} {folder} — {messages}, {unread} unread",
            ja: "{account} {folder} — {messages}、未読 {unread} 件",
        }
        CliNoSearchMatch {
            en: "no messages match \"{query}\"",
            ja: "「{query}」に一致するメッセージはありません",
        }
        CliNoSuchMessage {
            en: "there is no message {id} in the local store (it may have been deleted meanwhile)",
            ja: "このパソコンにメッセージ {id} はありません（削除された可能性があります）",
        }
        CliShowDateUtc { en: "{date} (UTC)", ja: "{date}（UTC）" }
        CliShowAttachment {
            en: "Attachment: {name} ({type}, {size})",
            ja: "添付ファイル: {name}（{type}、{size}）",
        }
        CliShowUnnamed { en: "(unnamed)", ja: "（名前なし）" }
        CliShowUnreadable {
            en: "(This message could not be read as a mail message; `tayori show {id} --raw` prints its bytes.)",
            ja: "（このメッセージはメールとして読み取れませんでした。`tayori show {id} --raw` で元のデータを表示できます。）",
        }
    }
    plurals {
        CliSyncFolders {
            en: { one: "{count} folder", other: "{count} folders" },
            ja: { other: "フォルダー {count} 個" },
        }
        CliSyncFlagChanges {
            en: { one: "{count} flag change", other: "{count} flag changes" },
            ja: { other: "フラグの変更 {count} 件" },
        }
        CliSyncDownloaded {
            en: { one: "{count} message downloaded", other: "{count} messages downloaded" },
            ja: { other: "ダウンロード {count} 件" },
        }
        CliSyncReplayed {
            en: { one: "{count} offline change sent", other: "{count} offline changes sent" },
            ja: { other: "オフライン中の変更 {count} 件を反映" },
        }
        CliNewIn {
            en: { one: "{count} new in {folder}", other: "{count} new in {folder}" },
            ja: { other: "{folder} に新着 {count} 件" },
        }
        CliSkippedMore {
            en: {
                one: "and {count} more message skipped (see the log)",
                other: "and {count} more messages skipped (see the log)",
            },
            ja: { other: "ほかに {count} 件を飛ばしました（詳しくはログにあります）" },
        }
        /// After the sync lines: the messages just stored are now found by search too.
        CliIndexComplete {
            en: {
                one: "search index complete ({count} message indexed)",
                other: "search index complete ({count} messages indexed)",
            },
            ja: { other: "検索インデックスが完成しました（{count} 件）" },
        }
        CliSearchIncomplete {
            en: {
                one: "the search index is still being built: {count} message cannot be found by its text yet, so the results may be incomplete (`tayori sync` completes the index)",
                other: "the search index is still being built: {count} messages cannot be found by their text yet, so the results may be incomplete (`tayori sync` completes the index)",
            },
            ja: { other: "検索インデックスを作成中です。まだ {count} 件のメッセージは本文で検索できないため、結果が不完全な場合があります（`tayori sync` でインデックスが完成します）" },
        }
        CliMessages {
            en: { one: "{count} message", other: "{count} messages" },
            ja: { other: "{count} 件" },
        }
    }
}
