//! The catalog's area for `tayori send` and `tayori outbox`: what became of a message, what waits,
//! and what the person can do next.

catalog! {
    area: CliSend;
    texts {
        CliTypeMessage {
            en: "Type the message; end it with Ctrl-D on a line of its own.",
            ja: "本文を入力してください。最後は、行の先頭で Ctrl-D を押します。",
        }
        CliBodyUnreadable {
            en: "the message body could not be read",
            ja: "本文を読み込めませんでした",
        }
        CliBodyUnreadableStdin {
            en: "the message body could not be read from standard input",
            ja: "標準入力から本文を読み込めませんでした",
        }
        CliBodyNotUtf8 {
            en: "the message body is not UTF-8 text; convert it (e.g. iconv -t UTF-8) and try again",
            ja: "本文が UTF-8 のテキストではありません。変換して（例: iconv -t UTF-8）もう一度お試しください",
        }
        CliQueuedAs {
            en: "Queued as #{id} ({size}), Message-ID {msgid}",
            ja: "送信トレイに #{id} として入れました（{size}）。Message-ID {msgid}",
        }
        CliSentHeading {
            en: "#{id} \"{subject}\" to {recipients}",
            ja: "#{id}「{subject}」 宛先: {recipients}",
        }
        CliRecipientsNobody { en: "(nobody)", ja: "（宛先なし）" }
        CliServerReply { en: "Server: {reply}", ja: "サーバーの応答: {reply}" }
        CliSentFolderByServer {
            en: "Sent folder: the server files sent mail itself",
            ja: "送信済みフォルダー: サーバーが自動で保存します",
        }
        CliSentFolderFiled {
            en: "Sent folder: copy filed",
            ja: "送信済みフォルダー: コピーを保存しました",
        }
        CliSentFolderPending {
            en: "Sent folder: copy not filed yet ({error}); `tayori outbox flush` tries again",
            ja: "送信済みフォルダー: コピーはまだ保存していません（{error}）。`tayori outbox flush` でもう一度試します",
        }
        CliPending { en: "pending", ja: "保留中" }
        CliFoundInSent {
            en: "(It had gone out before an interruption: it was found in the Sent folder and not sent again.)",
            ja: "（中断の前に送信されていました。送信済みフォルダーで見つかったため、再送信していません。）",
        }
        CliReason { en: "Reason: {reason}", ja: "理由: {reason}" }
        CliNextAttempt {
            en: "Next attempt in {seconds} s, by the Tayori window or `tayori outbox flush --wait 600`.",
            ja: "{seconds} 秒後に、Tayori のウィンドウまたは `tayori outbox flush --wait 600` でもう一度送信します。",
        }
        CliRetryOrDiscard {
            en: "To send it again: tayori outbox retry {id}   To drop it: tayori outbox discard {id}",
            ja: "もう一度送信するには: tayori outbox retry {id}   破棄するには: tayori outbox discard {id}",
        }
        CliOutboxNextAttempt {
            en: ", next attempt in {seconds} s",
            ja: "、{seconds} 秒後にもう一度送信",
        }
        CliOutboxInterrupted {
            en: ", interrupted: the Sent folder is checked before it is sent again",
            ja: "、中断あり: もう一度送信する前に送信済みフォルダーを確認します",
        }
        CliOutboxRow {
            en: "#{id}  {state}  {account} → {recipients}  \"{subject}\"  {size}  {attempts}",
            ja: "#{id}  {state}  {account} → {recipients}  「{subject}」  {size}  {attempts}",
        }
        CliOutboxCopyNotFiled {
            en: "Sent folder copy not filed yet: {error}",
            ja: "送信済みフォルダーへのコピーはまだ保存していません: {error}",
        }
        CliOutboxEmpty {
            en: "The outbox is empty: nothing waits to be sent.",
            ja: "送信トレイは空です。送信を待っているメッセージはありません。",
        }
        CliOutboxDiscarded {
            en: "Discarded #{id} \"{subject}\"; it will not be sent.",
            ja: "#{id}「{subject}」を破棄しました。送信されません。",
        }
        CliOutboxUnopenable {
            en: "the outbox could not be opened",
            ja: "送信トレイを開けませんでした",
        }
        CliOutboxBusy {
            en: "another Tayori (the window, or another command) is sending from this outbox right now; it will send this message too",
            ja: "別の Tayori（ウィンドウまたは別のコマンド）がこの送信トレイから送信しています。このメッセージもそちらが送信します",
        }
        CliNoSuchOutboxMessage {
            en: "there is no message {id} in the outbox; `tayori outbox` lists them",
            ja: "送信トレイにメッセージ {id} はありません。`tayori outbox` で一覧を表示できます",
        }
    }
    plurals {
        CliRecipientsMore {
            en: { one: "{first} and {count} more", other: "{first} and {count} more" },
            ja: { other: "{first} ほか {count} 名" },
        }
        CliOutboxNeedYou {
            en: {
                one: "{count} message needs you: `tayori outbox` shows why.",
                other: "{count} messages need you: `tayori outbox` shows why.",
            },
            ja: { other: "{count} 件のメッセージに対応が必要です。理由は `tayori outbox` で確認できます。" },
        }
        CliOutboxStillWaiting {
            en: {
                one: "{count} message still waits to be sent.",
                other: "{count} messages still wait to be sent.",
            },
            ja: { other: "{count} 件のメッセージが送信を待っています。" },
        }
    }
}
