//! The catalog's area for the reader: headers, the body, remote images, attachments, links, and the
//! actions on a message.

catalog! {
    area: Reader;
    texts {
        HeaderFrom { en: "From", ja: "差出人" }
        HeaderTo { en: "To", ja: "宛先" }
        HeaderCc { en: "Cc", ja: "CC" }
        HeaderDate { en: "Date", ja: "日時" }
        AttachmentsHeading { en: "Attachments", ja: "添付ファイル" }
        BodyNotDownloaded {
            en: "This message has not been downloaded yet; it arrives with the next sync.",
            ja: "このメッセージはまだダウンロードされていません。次回の同期で取得されます。",
        }
        MessageUnreadable {
            en: "This message could not be shown: {detail}",
            ja: "このメッセージを表示できませんでした: {detail}",
        }
        DeleteMessage { en: "Delete", ja: "削除" }
        Reply { en: "Reply", ja: "返信" }
        ReplyAll { en: "Reply all", ja: "全員に返信" }
        Forward { en: "Forward", ja: "転送" }
        LoadRemoteImages { en: "Load remote images", ja: "リモート画像を表示" }
        LoadRemoteImagesAlways {
            en: "Always for this sender",
            ja: "この差出人からは常に表示",
        }
        RemoteImage { en: "Image: {url}", ja: "画像: {url}" }
        ImageNoAddress { en: "[image]", ja: "［画像］" }
        CopySelection { en: "Copy", ja: "コピー" }
        SelectionHint {
            en: "Selected text: Copy puts it on the clipboard.",
            ja: "選択したテキスト: 「コピー」でクリップボードに入れます。",
        }
        RemoteImagesLoading { en: "Loading remote images…", ja: "リモート画像を読み込んでいます…" }
        ReaderHtmlAsText {
            en: "This message could not be laid out ({detail}), so it is shown as text.",
            ja: "このメッセージをレイアウトできなかったため（{detail}）、テキストで表示しています。",
        }
        ReaderHtmlLongCut {
            en: "This message is very long: only its beginning is shown laid out. The whole text follows.",
            ja: "このメッセージは非常に長いため、レイアウト表示は冒頭のみです。続けて全文をテキストで表示します。",
        }
        ReaderHtmlPlainInstead {
            en: "This message's formatting is too complex to show safely (nested too deeply or too large), so its plain text is shown.",
            ja: "このメッセージの書式は複雑すぎて安全に表示できないため（入れ子が深すぎるか、大きすぎます）、テキスト版を表示しています。",
        }
        ReaderHtmlCut {
            en: "This message's formatting is too complex to show safely (nested too deeply or too large), and it has no plain-text version: only what could be shown is here.",
            ja: "このメッセージの書式は複雑すぎて安全に表示できず（入れ子が深すぎるか、大きすぎます）、テキスト版もないため、表示できた部分だけを表示しています。",
        }
        ReaderFlag { en: "⚑ Flag", ja: "⚑ フラグを付ける" }
        ReaderUnflag { en: "⚑ Unflag", ja: "⚑ フラグを外す" }
        ReaderMarkUnread { en: "Mark unread", ja: "未読にする" }
        ReaderMarkRead { en: "Mark read", ja: "既読にする" }
        ShortcutKey { en: "Shortcut: {key}", ja: "ショートカット: {key}" }
        ActionFailed {
            en: "The change could not be saved: {detail}",
            ja: "変更を保存できませんでした: {detail}",
        }
        ExternalBodyHeading {
            en: "Reference to content outside this message",
            ja: "このメッセージに含まれていない内容への参照",
        }
        ExternalBodyWhere { en: "Where: {location}", ja: "場所: {location}" }
        ExternalBodyUnknown {
            en: "The reference does not say where.",
            ja: "参照先は示されていません。",
        }
        ExternalBodyDetails {
            en: "Access: {access} · Type: {type}",
            ja: "アクセス方法: {access} · 種類: {type}",
        }
        ExternalBodyNotFetched {
            en: "Only the sender’s description of where it is; Tayori does not fetch or open it.",
            ja: "送信者が示した場所の情報のみです。Tayori はこれを取得したり開いたりしません。",
        }
        ReceiptAsked {
            en: "{sender} asks for a read receipt: a note telling them you have opened this message. Send one?",
            ja: "{sender} から開封確認（このメッセージを開いたことを知らせる通知）を求められています。送信しますか？",
        }
        ReceiptElsewhere {
            en: "The receipt would go to {address}, not to the sender’s address.",
            ja: "開封確認の送信先は差出人のアドレスではなく {address} です。",
        }
        ReceiptSend { en: "Send receipt", ja: "開封確認を送信" }
        ReceiptDecline { en: "Don’t send", ja: "送信しない" }
        ReceiptQueued {
            en: "A read receipt to {address} is in the outbox.",
            ja: "{address} 宛ての開封確認を送信トレイに入れました。",
        }
        ReceiptFailed {
            en: "The read receipt could not be queued: {detail}",
            ja: "開封確認を送信トレイに入れられませんでした: {detail}",
        }
        AttachmentSave { en: "Save…", ja: "保存…" }
        AttachmentOpen { en: "Open", ja: "開く" }
        AttachmentSaved {
            en: "Saved “{name}” as {path}.",
            ja: "「{name}」を {path} に保存しました。",
        }
        AttachmentSaveFailed {
            en: "“{name}” could not be saved: {detail}",
            ja: "「{name}」を保存できませんでした: {detail}",
        }
        AttachmentOpenFailed {
            en: "“{name}” could not be opened: {detail}",
            ja: "「{name}」を開けませんでした: {detail}",
        }
        LinkConfirm {
            en: "Open this link in your browser?",
            ja: "このリンクをブラウザーで開きますか？",
        }
        LinkGoesTo { en: "It goes to {host}", ja: "移動先: {host}" }
        LinkDeceptive {
            en: "Careful: the link’s text shows {shown}, but it leads to {real}.",
            ja: "ご注意ください: リンクの表示は {shown} ですが、実際の移動先は {real} です。",
        }
        LinkSafeLinks {
            en: "The link passes through your organisation’s Microsoft Defender Safe Links, which checks it when you open it.",
            ja: "このリンクは組織の Microsoft Defender セーフ リンクを経由し、開くときに安全性が確認されます。",
        }
        LinkOpen { en: "Open in browser", ja: "ブラウザーで開く" }
        LinkCancel { en: "Cancel", ja: "キャンセル" }
        LinkOpenFailed {
            en: "The browser could not be opened: {detail}",
            ja: "ブラウザーを開けませんでした: {detail}",
        }
        MailtoInvalid {
            en: "This mail link could not be read: {detail}",
            ja: "このメール リンクを読み取れませんでした: {detail}",
        }
    }
    plurals {
        RemoteImagesBlocked {
            en: {
                one: "{count} remote image was not loaded, to protect your privacy.",
                other: "{count} remote images were not loaded, to protect your privacy.",
            },
            ja: { other: "プライバシー保護のため、{count} 件のリモート画像を読み込んでいません。" },
        }
        TrackersBlocked {
            en: {
                one: "{count} tracker blocked: it would have told the sender when you read this.",
                other: "{count} trackers blocked: they would have told the sender when you read this.",
            },
            ja: { other: "{count} 件のトラッカーをブロックしました（開封したことを送信者に知らせるものです）。" },
        }
        RemoteImagesFailed {
            en: {
                one: "{count} remote image could not be loaded.",
                other: "{count} remote images could not be loaded.",
            },
            ja: { other: "{count} 件のリモート画像を読み込めませんでした。" },
        }
        AttachmentBytes {
            en: {
                one: "{count} byte",
                other: "{count} bytes",
            },
            ja: { other: "{count} バイト" },
        }
    }
}
