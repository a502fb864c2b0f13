//! The catalog's area for sending: what happened to a message, the SMTP server's refusals in plain
//! words, the outbox.

catalog! {
    area: Send;
    texts {
        SendDone { en: "Sent.", ja: "送信しました。" }
        /// Told once per account, when Tayori learns that Exchange Online refuses SMTP AUTH.
        SendViaGraphNotice {
            en: "Your organisation has turned off sending through SMTP for {account}. Tayori now sends your mail through Microsoft 365 instead: you write and send as before, and each message is sent once and lands in Sent Items.",
            ja: "組織が {account} の SMTP による送信を無効にしています。Tayori は代わりに Microsoft 365 経由でメールを送信します。操作はこれまでと同じで、各メッセージは一度だけ送信され、「送信済みアイテム」に保存されます。",
        }
        /// Account settings: which way the account sends, and why.
        SendsViaSmtp {
            en: "Sends through the SMTP server {server}.",
            ja: "SMTP サーバー {server} 経由で送信します。",
        }
        SendsViaGraphSmtpOff {
            en: "Sends through Microsoft 365 (Microsoft Graph): your organisation turned SMTP sending off for this mailbox.",
            ja: "Microsoft 365（Microsoft Graph）経由で送信します。組織がこのメールボックスの SMTP による送信を無効にしているためです。",
        }
        SendsViaGraphPolicy {
            en: "Sends through Microsoft 365 (Microsoft Graph): your administrator's policy says so.",
            ja: "Microsoft 365（Microsoft Graph）経由で送信します。管理者のポリシーでそう設定されています。",
        }
        /// Graph refused for want of consent: what to do, and the admin-consent link.
        GraphConsentNeeded {
            en: "To send through Microsoft 365, Tayori needs permission to send mail and keep drafts for you (Mail.Send, Mail.ReadWrite). Sign in again (\"Sign in again\" in the account's settings, or tayori account reauth) to give it where your organisation lets you; otherwise your administrator can grant it with the link above. Then send the message again.",
            ja: "Microsoft 365 経由で送信するには、メールの送信と下書きの保存の許可（Mail.Send、Mail.ReadWrite）が Tayori に必要です。組織が許可している場合は、もう一度サインイン（アカウント設定の「もう一度サインイン」、または tayori account reauth）して許可してください。そうでない場合は、上のリンクで管理者が許可できます。その後、メッセージをもう一度送信してください。",
        }
        ReceiptSubject { en: "Read: {subject}", ja: "開封確認: {subject}" }
        ReceiptBody {
            en: "This is a read receipt for your message “{subject}” to {address}.\r\n\r\nIt says only that the message was opened on the recipient’s screen; it does not mean that it was read or understood, or that they agree with its contents.\r\n",
            ja: "{address} 宛てのメッセージ「{subject}」の開封確認です。\r\n\r\nこれは受信者の画面でメッセージが開かれたことを示すだけで、内容が読まれた、理解された、または同意されたことを意味するものではありません。\r\n",
        }
        SendQueued {
            en: "Not sent yet: the message is safe in the outbox and Tayori will try again.",
            ja: "まだ送信できていません。メッセージは送信トレイに保存されており、Tayori が再度送信を試みます。",
        }
        SendFailed {
            en: "Not sent: the server refused the message. It stays in the outbox until you retry or discard it.",
            ja: "送信できませんでした。サーバーがメッセージを拒否しました。再送するか破棄するまで、送信トレイに残ります。",
        }
        SmtpRecipientRejected {
            en: "The server does not accept one of the recipients: check the address for typos. If it is right, the recipient's domain may not take mail from your server.",
            ja: "サーバーが宛先のいずれかを受け付けません。アドレスに誤りがないか確認してください。正しい場合は、宛先のドメインがあなたのサーバーからのメールを受け付けていない可能性があります。",
        }
        SmtpMailboxFull {
            en: "The recipient's mailbox is full. Try again later or reach them another way.",
            ja: "宛先のメールボックスがいっぱいです。時間をおいて再送するか、別の方法で連絡してください。",
        }
        SmtpTooBig {
            en: "The message is larger than the server accepts. Remove or shrink attachments (or share a link instead) and send again.",
            ja: "メッセージがサーバーの上限より大きすぎます。添付ファイルを削除・縮小する（またはリンクで共有する）などして再送してください。",
        }
        SmtpPolicy {
            en: "The server's policy does not allow this message (for example: sending as another address, or too many messages). Your administrator can tell you what is allowed.",
            ja: "サーバーのポリシーによりこのメッセージは送信できません（別のアドレスとしての送信、送信数の上限など）。許可されている内容は管理者に確認してください。",
        }
        /// Exchange's "Send As" refusal: reading a shared mailbox and sending as it are separate
        /// permissions.
        SmtpSendAsDenied {
            en: "You may not send as this address. Sending as a shared mailbox needs the \"Send As\" permission on it (reading it is a separate permission); ask your administrator to give it to you.",
            ja: "このアドレスとして送信する権限がありません。共有メールボックスとして送信するには、その「Send As（送信者として送信）」の権限が必要です（閲覧の権限とは別です）。管理者に付与を依頼してください。",
        }
        SmtpAuthRefused {
            en: "The server refused the sign-in for sending. Sign in again (tayori account reauth), then retry the message.",
            ja: "送信用のサインインがサーバーに拒否されました。もう一度サインインしてから（tayori account reauth）、メッセージを再送してください。",
        }
        SmtpTemporary {
            en: "The server cannot take the message right now; Tayori will try again by itself.",
            ja: "サーバーは現在メッセージを受け付けられません。Tayori が自動的に再送します。",
        }
        SmtpUnreachable {
            en: "The mail server could not be reached (offline, or the server is down); Tayori will try again by itself.",
            ja: "メール サーバーに接続できません（オフライン、またはサーバーの停止）。Tayori が自動的に再送します。",
        }
        SmtpNoEncryption {
            en: "The server no longer offers encryption (STARTTLS), which can mean an attack on the network. Nothing was sent. Try again from another network or ask your administrator; the message stays in the outbox until you retry or discard it.",
            ja: "サーバーが暗号化（STARTTLS）を提供しなくなりました。ネットワーク上の攻撃の可能性があります。何も送信されていません。別のネットワークから再度お試しいただくか、管理者に確認してください。再送するか破棄するまで、メッセージは送信トレイに残ります。",
        }
        SmtpTampered {
            en: "The encrypted connection to the server was tampered with (data arrived before encryption began), which can mean an attack on the network. Nothing was sent. Try again from another network or ask your administrator; the message stays in the outbox until you retry or discard it.",
            ja: "サーバーとの暗号化接続が改ざんされました（暗号化の開始前にデータが届きました）。ネットワーク上の攻撃の可能性があります。何も送信されていません。別のネットワークから再度お試しいただくか、管理者に確認してください。再送するか破棄するまで、メッセージは送信トレイに残ります。",
        }
        OutboxMaybeSent {
            en: "This message may have been sent: Tayori was stopped while the server was taking it, and this server gives no way to check. Choose Send again (a recipient may then get it twice) or Discard (if it arrived).",
            ja: "このメッセージは送信された可能性があります。サーバーが受け取っている最中に Tayori が停止し、このサーバーでは確認する方法がありません。「再送信」（宛先に 2 通届く可能性があります）か「破棄」（届いていた場合）を選んでください。",
        }
        OutboxQueued { en: "waiting to be sent", ja: "送信待ち" }
        OutboxSending { en: "sending", ja: "送信中" }
        OutboxSent { en: "sent", ja: "送信済み" }
        OutboxFailed { en: "not sent", ja: "未送信（要対応）" }
        OutboxTitle { en: "Outbox", ja: "送信トレイ" }
        OutboxRetry { en: "Try again", ja: "再送信" }
        OutboxDiscard { en: "Discard", ja: "破棄" }
        OutboxClose { en: "Close", ja: "閉じる" }
        OutboxEntry {
            en: "{subject} — to {recipients} (from {email})",
            ja: "{subject} — 宛先 {recipients}（差出人 {email}）",
        }
        OutboxNextAttempt { en: "next attempt in {seconds} s", ja: "{seconds} 秒後に再試行します" }
        OutboxReason { en: "Reason: {reason}", ja: "理由: {reason}" }
        OutboxUnreadable {
            en: "The outbox could not be read: {detail}",
            ja: "送信トレイを読み込めませんでした: {detail}",
        }
        OutboxDiscardConfirm { en: "Discard for good?", ja: "完全に破棄しますか？" }
    }
    plurals {
        OutboxWaitingCount {
            en: {
                one: "{count} waiting",
                other: "{count} waiting",
            },
            ja: { other: "送信待ち {count} 件" },
        }
        OutboxFailedCount {
            en: {
                one: "{count} not sent",
                other: "{count} not sent",
            },
            ja: { other: "未送信 {count} 件" },
        }
        OutboxAttempts {
            en: {
                one: "{count} attempt",
                other: "{count} attempts",
            },
            ja: { other: "{count} 回試行" },
        }
    }
}
