//! New-mail notifications through the desktop's own notification service: on Linux the
//! `org.freedesktop.Notifications` D-Bus service of the session (GNOME Shell, KDE Plasma, dunst,
//! …), toasts on Windows, Notification Center on macOS. What they say is the core's
//! (`tayori::sync::notice`), in the window's language. Talking to the service can block (D-Bus
//! activation of a service that is slow to start), so it runs on a blocking thread from a `Task`,
//! never on the UI thread; a desktop without a service only costs a line in the log.

use iced::Task;
use tayori::config::Settings;
use tayori::i18n::Lang;
use tayori::sync::SyncEvent;
use tayori::sync::notice::{self, Notice};

/// The desktop entry (and icon) name the Linux packages install.
#[cfg(all(unix, not(target_os = "macos")))]
const APP_ID: &str = "org.tayori.Tayori";

/// The notification for `event`, if it deserves one and the person has not turned them off.
pub fn new_mail<T: Send + 'static>(
    settings: &Settings,
    lang: Lang,
    email: &str,
    event: &SyncEvent,
) -> Task<T> {
    if !settings.notifications.new_mail {
        return Task::none();
    }
    let Some(notice) = notice::new_mail(lang, email, event) else {
        return Task::none();
    };
    Task::future(async move {
        let shown = tokio::task::spawn_blocking(move || show(&notice)).await;
        match shown {
            Ok(Ok(())) => tracing::info!("new-mail notification shown"),
            Ok(Err(error)) => {
                tracing::warn!(%error, "the desktop did not take the new-mail notification")
            }
            Err(error) => tracing::warn!(%error, "the new-mail notification was not sent"),
        }
    })
    .discard()
}

fn show(notice: &Notice) -> Result<(), notify_rust::error::Error> {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname(tayori::i18n::Lang::En.text(tayori::i18n::Text::AppName))
        .summary(&notice.summary);
    platform(&mut notification, notice)?;
    notification.show().map(|_| ())
}

#[cfg(all(unix, not(target_os = "macos")))]
fn platform(
    notification: &mut notify_rust::Notification,
    notice: &Notice,
) -> Result<(), notify_rust::error::Error> {
    // Services that advertise "body-markup" read the body as a small HTML subset: a subject like
    // "<b>Sale</b> & more" must show as typed, not as markup (nor be dropped as invalid markup).
    let markup = notify_rust::get_capabilities()?
        .iter()
        .any(|c| c == "body-markup");
    let body = if markup {
        escape_markup(&notice.body)
    } else {
        notice.body.clone()
    };
    notification
        .body(&body)
        .icon(APP_ID)
        .hint(notify_rust::Hint::DesktopEntry(APP_ID.into()))
        .hint(notify_rust::Hint::Category("email.arrived".into()));
    Ok(())
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn platform(
    notification: &mut notify_rust::Notification,
    notice: &Notice,
) -> Result<(), notify_rust::error::Error> {
    // No app id on Windows: toasts for an id no shortcut registers are dropped silently, and
    // notify-rust's default id always shows.
    notification.body(&notice.body);
    Ok(())
}

/// The notification specification's markup escaping (the three characters it reserves).
#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The setting turns notifications off; mail outside the inbox never makes one.
    #[test]
    fn the_setting_and_the_folder_decide_whether_a_notification_is_sent() {
        let summary: tayori::store::MessageSummary = tayori::store::MessageSummary {
            id: 1,
            folder_id: 1,
            uid: Some(9),
            date: None,
            from: Some(tayori::store::Address {
                name: Some("佐藤 健".into()),
                email: "ken@example.co.jp".into(),
            }),
            subject: "見積書".into(),
            flags: tayori::store::Flags::default(),
            size: 10,
            has_attachments: false,
            thread_id: 1,
            message_id: None,
            body_state: tayori::store::BodyState::NotDownloaded,
            preview: String::new(),
        };
        let event = |inbox| SyncEvent::NewMail {
            folder: "INBOX".into(),
            count: 1,
            inbox,
            unread: 1,
            newest: vec![summary.clone()],
        };
        let on = Settings::default();
        assert!(on.notifications.new_mail, "on unless turned off");
        let off: Settings = toml::from_str("[notifications]\nnew_mail = false\n").unwrap();
        let units = |settings: &Settings, event: &SyncEvent| {
            new_mail::<()>(settings, Lang::Ja, "a@example.test", event).units()
        };
        assert_eq!(units(&on, &event(true)), 1);
        assert_eq!(units(&off, &event(true)), 0);
        assert_eq!(units(&on, &event(false)), 0);
    }

    #[test]
    fn markup_in_a_subject_is_shown_as_typed() {
        assert_eq!(
            super::escape_markup("<b>Sale</b> & more"),
            "&lt;b&gt;Sale&lt;/b&gt; &amp; more"
        );
    }
}
