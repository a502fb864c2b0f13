//! The catalog's area for the composer, and the quoted headers of replies and forwards.

catalog! {
    area: Composer;
    texts {
        NewMessage { en: "New message", ja: "新規メッセージ" }
        HeaderSubject { en: "Subject", ja: "件名" }
        HeaderBcc { en: "Bcc", ja: "BCC" }
        ComposeAddressesHint {
            en: "name@example.com, another@example.com",
            ja: "name@example.com, another@example.com（カンマ区切り）",
        }
        ComposeSend { en: "Send", ja: "送信" }
        ComposeSaveDraft { en: "Save draft", ja: "下書きを保存" }
        DraftSavedOnServer {
            en: "Draft saved in the Drafts folder on the server.",
            ja: "下書きをサーバーの「下書き」フォルダーに保存しました。",
        }
        DraftNotOnServer {
            en: "The draft is kept on this computer but could not be saved on the server: {detail}",
            ja: "下書きはこのパソコンに保存されていますが、サーバーには保存できませんでした: {detail}",
        }
        ComposeAttach { en: "Attach files…", ja: "ファイルを添付…" }
        ComposeRemoveAttachment { en: "Remove", ja: "外す" }
        ComposeClose { en: "Close", ja: "閉じる" }
        ComposeSending { en: "Sending…", ja: "送信中…" }
        ComposeRefused { en: "Not sent: {detail}", ja: "送信できません: {detail}" }
        ComposeNoAccount {
            en: "Add an account before writing a message.",
            ja: "メッセージを書く前にアカウントを追加してください。",
        }
        ComposeReason { en: "Reason: {detail}", ja: "理由: {detail}" }
        ComposeAttachFailed {
            en: "The file could not be attached: {detail}",
            ja: "ファイルを添付できませんでした: {detail}",
        }
        ReplyAttribution { en: "On {date}, {who} wrote:", ja: "{date}、{who} さんは書きました:" }
        ForwardedMessage {
            en: "---------- Forwarded message ----------",
            ja: "---------- 転送メッセージ ----------",
        }
    }
    plurals {}
}
