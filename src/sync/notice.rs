//! What a new-mail notification says, in the person's language. Plain text only: the window hands
//! it to the desktop's notification service (the binary's `ui::notify`), which escapes it for
//! services that read markup.

use crate::i18n::{Lang, Plural, Text, fill};
use crate::store::MessageSummary;

use super::SyncEvent;

/// A notification's title and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub summary: String,
    pub body: String,
}

/// The notification for a sync event of `email`'s account, if it deserves one: new unread mail in
/// the inbox. One message: who sent it and its subject. Several: how many, and the newest few.
/// Other folders (rules filing mail into them, a Sent copy) and mail already read elsewhere stay
/// quiet; the first pass over a folder never produces a `NewMail` event at all.
pub fn new_mail(lang: Lang, email: &str, event: &SyncEvent) -> Option<Notice> {
    let SyncEvent::NewMail {
        inbox: true,
        unread,
        newest,
        ..
    } = event
    else {
        return None;
    };
    let first = newest.first()?;
    if *unread == 1 {
        return Some(Notice {
            summary: fill(
                lang.text(Text::NewMailFrom),
                &[("sender", &sender(lang, first))],
            ),
            body: subject(lang, first),
        });
    }
    let mut lines: Vec<String> = newest
        .iter()
        .map(|m| {
            fill(
                lang.text(Text::NewMailLine),
                &[("sender", &sender(lang, m)), ("subject", &subject(lang, m))],
            )
        })
        .collect();
    if *unread > newest.len() {
        lines.push(lang.plural(Plural::NewMailMore, (unread - newest.len()) as u64));
    }
    Some(Notice {
        summary: fill(
            &lang.plural(Plural::NewMailCount, *unread as u64),
            &[("email", email)],
        ),
        body: lines.join("\n"),
    })
}

fn sender(lang: Lang, message: &MessageSummary) -> String {
    match &message.from {
        Some(from) => match from.name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => from.email.clone(),
        },
        None => lang.text(Text::NoSender).to_owned(),
    }
}

fn subject(lang: Lang, message: &MessageSummary) -> String {
    // One line: a notification is no place for a subject folded over several.
    let subject = message
        .subject
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if subject.is_empty() {
        lang.text(Text::NoSubject).to_owned()
    } else {
        subject
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Address, BodyState, Flags};

    fn summary(name: Option<&str>, email: &str, subject: &str) -> MessageSummary {
        MessageSummary {
            id: 1,
            folder_id: 1,
            uid: Some(1),
            date: None,
            from: Some(Address {
                name: name.map(str::to_owned),
                email: email.into(),
            }),
            subject: subject.into(),
            flags: Flags::default(),
            size: 1,
            has_attachments: false,
            thread_id: 1,
            message_id: None,
            body_state: BodyState::NotDownloaded,
            preview: String::new(),
        }
    }

    fn event(inbox: bool, unread: usize, newest: Vec<MessageSummary>) -> SyncEvent {
        SyncEvent::NewMail {
            folder: "INBOX".into(),
            count: unread + 1,
            inbox,
            unread,
            newest,
        }
    }

    #[test]
    fn one_message_names_its_sender_and_subject() {
        let one = event(
            true,
            1,
            vec![summary(Some("佐藤 健"), "ken@example.jp", "会議の件")],
        );
        assert_eq!(
            new_mail(Lang::Ja, "a@example.test", &one),
            Some(Notice {
                summary: "佐藤 健 から新着メール".into(),
                body: "会議の件".into()
            })
        );
        let bare = event(true, 1, vec![summary(None, "ken@example.jp", "  ")]);
        assert_eq!(
            new_mail(Lang::En, "a@example.test", &bare),
            Some(Notice {
                summary: "New mail from ken@example.jp".into(),
                body: "(no subject)".into()
            })
        );
    }

    #[test]
    fn several_messages_are_counted_and_the_newest_listed() {
        let several = event(
            true,
            5,
            vec![
                summary(Some("Ken"), "ken@example.jp", "Budget\r\n review"),
                summary(None, "noreply@example.test", "Build failed"),
            ],
        );
        let notice = new_mail(Lang::En, "a@example.test", &several).unwrap();
        assert_eq!(notice.summary, "5 new messages for a@example.test");
        assert_eq!(
            notice.body,
            "Ken: Budget review\nnoreply@example.test: Build failed\nand 3 more"
        );
        let ja = new_mail(Lang::Ja, "a@example.test", &several).unwrap();
        assert_eq!(ja.summary, "a@example.test に新着メール 5 件");
        assert!(ja.body.ends_with("ほか 3 件"), "{}", ja.body);
    }

    #[test]
    fn other_folders_and_mail_read_elsewhere_stay_quiet() {
        let one = vec![summary(Some("Ken"), "ken@example.jp", "x")];
        assert_eq!(new_mail(Lang::En, "a@x", &event(false, 1, one)), None);
        assert_eq!(new_mail(Lang::En, "a@x", &event(true, 0, vec![])), None);
        assert_eq!(new_mail(Lang::En, "a@x", &SyncEvent::Idle), None);
    }
}
