//! The reader: HTML shown safely, its toolbar and keys (flag, mark unread, reply, forward), links
//! opened only after confirmation, and attachments from the rig's server saved and opened exactly.

use std::time::{Duration, Instant};

use tayori::i18n::{Lang, Text};
use tayori::store::{Flags, Store};

use super::super::reader::RemoteState;
use super::*;
use crate::ui::testing::{rig_account, rig_context};

/// An HTML message in the reader: laid out, its script gone, its remote image held back; Reply and
/// Forward open the composer filled by the core. (Loading remote images: the test below.)
#[test]
fn html_mail_is_shown_safely_and_can_be_answered() {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let raw = b"From: Ken Sato <ken.sato@example.co.jp>\r\nTo: hanako@example.test\r\n\
        Subject: Newsletter\r\nMessage-ID: <news1@example.co.jp>\r\nMIME-Version: 1.0\r\n\
        Content-Type: text/html; charset=utf-8\r\n\r\n\
        <html><body onload=\"x()\"><script>alert(1)</script><p>Hello <b>Hanako</b></p>\
        <img src=\"https://track.example/p.gif\"><ul><li>first point</li></ul></body></html>\r\n"
        .to_vec();
    inbox_with(&paths, &[(1, raw.clone(), Flags::default())]);
    let context = Context {
        paths,
        settings: Settings::default(),
        browser: tayori::auth::browser::Browser::Command("true".into()),
    };
    let mut person = Person::new(context, Lang::En);
    person.settle();
    person.open(0);
    person.settle();
    let Content::Shown { html, .. } = person.state.reader() else {
        panic!("the message is shown");
    };
    let html = html.as_ref().expect("the HTML body is rendered");
    let text: String = html.pieces.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(text, "Hello Hanako\n\n\u{fffc}\n• first point");
    assert!(!person.sees("https://track.example/p.gif"));
    assert!(person.sees("1 remote image was not loaded, to protect your privacy."));
    assert!(laid_out(&person).is_some(), "the HTML body is laid out");
    person.picture("reader-html", &iced::Theme::Light);

    // Reply: the core's reply builder fills the composer.
    let messages: Vec<Message> = {
        let mut ui = person.ui();
        ui.click(Lang::En.text(Text::Reply)).unwrap();
        ui.into_messages().collect()
    };
    for message in messages {
        let (task, _) = person.state.update(message);
        person.spawn(task);
    }
    let composer = person.settle_for_composer();
    let composer = composer.expect("Reply opened the composer");
    assert_eq!(composer.to, "Ken Sato <ken.sato@example.co.jp>");
    assert_eq!(composer.subject, "Re: Newsletter");
    let (_, draft) = composer.draft().unwrap();
    assert_eq!(draft.in_reply_to.as_deref(), Some("<news1@example.co.jp>"));
}

/// A corpus message with `{{HTTP}}` standing for `http://<host>`.
fn corpus_mail(name: &str, host: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/html-mail")
        .join(name);
    // Bytes, not text: the Japanese corpus is in Shift_JIS and ISO-2022-JP.
    let raw = std::fs::read(path).unwrap();
    let base = format!("http://{host}");
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw.as_slice();
    while let Some(at) = rest.windows(8).position(|w| w == b"{{HTTP}}") {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(base.as_bytes());
        rest = &rest[at + 8..];
    }
    out.extend_from_slice(rest);
    out
}

/// The lines a rig log gained since `from` bytes.
fn log_since(name: &str, from: u64) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/rig/log")
        .join(name);
    let all = std::fs::read(path).unwrap_or_default();
    String::from_utf8_lossy(all.get(from as usize..).unwrap_or_default()).into_owned()
}

fn log_length(name: &str) -> u64 {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/rig/log")
        .join(name);
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The tests that read the rig's web and DNS logs for the newsletter's host take turns: a lookup
/// by one would be "unasked" in the other's log.
static NEWSLETTER_HOST: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn newsletter_turn() -> std::sync::MutexGuard<'static, ()> {
    NEWSLETTER_HOST
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The paths the rig's web server was asked for on `host`, in order.
fn web_paths(log: &str, host: &str) -> Vec<String> {
    log.lines()
        .filter(|line| line.contains(&format!(" host={host} ")))
        .map(|line| {
            assert!(line.contains(" cookie=no "), "a cookie was sent: {line}");
            assert!(
                line.contains(" agent=tayori "),
                "not Tayori's own client: {line}"
            );
            let path = line.split(" path=").nth(1).unwrap_or_default();
            path.split(' ').next().unwrap_or_default().to_owned()
        })
        .collect()
}

fn remote_state(person: &Person) -> Option<RemoteState> {
    match person.state.reader() {
        Content::Shown { remote, .. } => Some(*remote),
        _ => None,
    }
}

/// Remote content in HTML mail. Before the person asks, the rig's web server and its DNS see
/// nothing of a newsletter (remote images, two tracking pixels) or of a message that tries every
/// way to call home (CSS `url()`, `@import`, `<link>`, fonts, scripts, frames, objects, media,
/// forms, SVG, `srcset`, `ping`, meta refresh, `<base>`, IE behaviours). After "Load remote
/// images", exactly the images are fetched — trackers left out — by Tayori's own client (no
/// cookie, its own User-Agent), and the page shows them.
#[test]
fn remote_content_waits_for_the_person_and_then_loads_exactly_the_images() {
    let _turn = newsletter_turn();
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    const NEWS: &str = "images.newsletter.test";
    const HOSTILE: &str = "calls-home.hostile.test";
    inbox_with(
        &paths,
        &[
            (
                1,
                corpus_mail("newsletter-remote-images.eml", NEWS),
                Flags::default(),
            ),
            (
                2,
                corpus_mail("hostile-calls-home.eml", HOSTILE),
                Flags::default(),
            ),
        ],
    );
    let (web_mark, dns_mark) = (log_length("https.log"), log_length("dnsmasq.log"));
    let mut person = Person::new(context, Lang::En);
    person.settle();
    // Newest first: the hostile message (7 Nov), then the newsletter (6 Nov).
    person.open(0);
    person.settle();
    assert!(
        laid_out(&person).is_some(),
        "the hostile message is laid out"
    );
    assert!(person.sees("1 tracker blocked: it would have told the sender when you read this."));
    person.open(1);
    person.settle();
    assert!(laid_out(&person).is_some(), "the newsletter is laid out");
    assert!(person.sees("3 remote images were not loaded, to protect your privacy."));
    assert!(person.sees("2 trackers blocked: they would have told the sender when you read this."));
    person.picture("reader-html-newsletter-blocked", &iced::Theme::Light);
    let (web, dns) = (
        log_since("https.log", web_mark),
        log_since("dnsmasq.log", dns_mark),
    );
    for host in [NEWS, HOSTILE] {
        assert!(
            !web.contains(host),
            "a request reached {host} unasked:\n{web}"
        );
        assert!(!dns.contains(host), "{host} was looked up unasked:\n{dns}");
    }

    // The person asks, for the newsletter.
    person.click(Lang::En.text(Text::LoadRemoteImages));
    person.settle_until(|p| matches!(remote_state(p), Some(RemoteState::Loaded { .. })));
    person.settle();
    assert_eq!(
        remote_state(&person),
        Some(RemoteState::Loaded { failed: 0 })
    );
    let web = log_since("https.log", web_mark);
    let mut asked = web_paths(&web, NEWS);
    asked.sort();
    assert_eq!(
        asked,
        ["/img/banner.png", "/img/chair.png", "/img/desk.png"]
    );
    assert!(web_paths(&web, HOSTILE).is_empty());
    assert!(log_since("dnsmasq.log", dns_mark).contains(&format!("query[A] {NEWS}")));
    // The banner (a green picture) is on the page now.
    let view = laid_out(&person).expect("the newsletter is laid out again");
    let green = view.tiles.iter().any(|(handle, _)| match handle {
        iced::widget::image::Handle::Rgba { pixels, .. } => {
            pixels.chunks_exact(4).any(|p| p[..3] == [46, 139, 87])
        }
        _ => false,
    });
    assert!(green, "the banner is shown");
    assert!(!person.sees("3 remote images were not loaded, to protect your privacy."));
    person.picture("reader-html-newsletter-loaded", &iced::Theme::Light);

    // And for the hostile message: its images only (CSS backgrounds, the list bullet, the
    // picture's image, the first candidate of an image given only by `srcset`), not its tracker,
    // and nothing else it names.
    person.open(0);
    person.settle();
    let web_mark = log_length("https.log");
    person.click(Lang::En.text(Text::LoadRemoteImages));
    person.settle_until(|p| matches!(remote_state(p), Some(RemoteState::Loaded { .. })));
    let mut asked = web_paths(&log_since("https.log", web_mark), HOSTILE);
    asked.sort();
    assert_eq!(
        asked,
        [
            "/css/body-bg.png",
            "/css/bullet.png",
            "/css/class-bg.png",
            "/css/inline-bg.png",
            "/img/picture.png",
            "/img/srcset-1x.png",
        ]
    );
}

/// "Always for this sender": the images load now, the window is asked to remember the sender, and
/// the next message from that sender shows its images without being asked (trackers still not).
#[test]
fn remote_images_load_without_asking_for_a_sender_the_person_trusts() {
    let _turn = newsletter_turn();
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    const NEWS: &str = "images.newsletter.test";
    let first = corpus_mail("newsletter-remote-images.eml", NEWS);
    let second = String::from_utf8(first.clone())
        .unwrap()
        .replace("<news-1@shop.example.com>", "<news-2@shop.example.com>")
        .replace("Fri, 6 Nov 2026", "Sat, 7 Nov 2026")
        .replace("Winter sale: 30% off", "Winter sale: last days")
        .into_bytes();
    inbox_with(
        &paths,
        &[(1, first, Flags::default()), (2, second, Flags::default())],
    );
    let mut person = Person::new(context, Lang::En);
    person.settle();
    // The older one (6 Nov) first.
    person.open(1);
    person.settle();
    let messages: Vec<Message> = {
        let mut ui = person.ui();
        ui.click(Lang::En.text(Text::LoadRemoteImagesAlways))
            .expect("the button is shown");
        ui.into_messages().collect()
    };
    let mut remembered = Vec::new();
    for message in messages {
        let (task, event) = person.state.update(message);
        person.spawn(task);
        if let Some(Event::LoadRemoteImagesFrom(address)) = event {
            remembered.push(address);
        }
    }
    assert_eq!(remembered, ["news@shop.example.com"]);
    person.settle_until(|p| matches!(remote_state(p), Some(RemoteState::Loaded { .. })));
    // What the application does with the event: the setting, saved and given to every screen.
    let mut settings = person.state.context().settings.clone();
    settings.ui.remote_images_from = remembered;
    person.state.apply_settings(settings);

    let web_mark = log_length("https.log");
    person.open(0);
    person.settle();
    person.settle_until(|p| matches!(remote_state(p), Some(RemoteState::Loaded { .. })));
    let mut asked = web_paths(&log_since("https.log", web_mark), NEWS);
    asked.sort();
    assert_eq!(
        asked,
        ["/img/banner.png", "/img/chair.png", "/img/desk.png"]
    );
    assert!(!person.sees("3 remote images were not loaded, to protect your privacy."));
}

/// Japanese HTML mail (ISO-2022-JP, Shift_JIS) laid out in the Japanese and the English window:
/// pictures to look at (target/screenshots/reader-html-ja-*.png); the page itself is compared with
/// its reference in `html_page::tests`.
#[test]
fn japanese_html_mail_in_both_windows() {
    for lang in [Lang::Ja, Lang::En] {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        paths.create_all().unwrap();
        inbox_with(
            &paths,
            &[
                (
                    1,
                    corpus_mail("ja-iso-2022-jp.eml", "unused.test"),
                    Flags::default(),
                ),
                (
                    2,
                    corpus_mail("ja-shift-jis.eml", "unused.test"),
                    Flags::default(),
                ),
            ],
        );
        // The Japanese window reads HTML mail darkened in the dark theme.
        let mut settings = Settings::default();
        if lang == Lang::Ja {
            settings.ui.html_mail_dark = tayori::config::HtmlMailDark::Darken;
        }
        let context = Context {
            paths,
            settings,
            browser: tayori::auth::browser::Browser::Command("true".into()),
        };
        let mut person = Person::new(context, lang);
        person.settle();
        for (index, name) in [(0, "sjis"), (1, "iso2022jp")] {
            person.open(index);
            person.settle();
            assert!(laid_out(&person).is_some(), "{name} is laid out");
            let window = match lang {
                Lang::Ja => "ja",
                Lang::En => "en",
            };
            person.picture(&format!("reader-html-{name}-{window}"), &iced::Theme::Light);
            person.picture(
                &format!("reader-html-{name}-{window}-dark"),
                &iced::Theme::Dark,
            );
        }
    }
}

/// The corpus in the reader as a person sees it, in the Japanese and the English window, against
/// reference pictures (tests/html-mail/reference/window-*.png): the window's chrome in each
/// language around the page, painted at the simulator's 2x. The references are kept at half
/// that (the window's logical pixels) and compared within the pictures' tolerance;
/// `TAYORI_UPDATE_REFERENCES=1` writes new ones (look at each before committing it).
#[test]
fn the_corpus_in_both_windows_looks_as_its_references() {
    let references =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html-mail/reference");
    let mut failures = Vec::new();
    for name in testing::HTML_CORPUS {
        for (lang, window) in [(Lang::Ja, "ja"), (Lang::En, "en")] {
            let (_home, mut person) = reading(&corpus_mail(name, "images.newsletter.test"), lang);
            person.apply(Message::ScaleFactor(2.0));
            person.settle();
            assert!(
                laid_out(&person).is_some_and(|view| view.scale == 2.0),
                "{name} laid out at 2x"
            );
            let stem = name.trim_end_matches(".eml");
            let shot = person.picture(&format!("window-{stem}-{window}"), &iced::Theme::Light);
            let (width, height, rgba) = testing::pictures::read_png(&shot).expect("the picture");
            let picture = testing::pictures::half_size(width, height, &rgba);
            if let Err(failure) = testing::pictures::check_against(
                &picture,
                &references.join(format!("window-{stem}-{window}.png")),
            ) {
                failures.push(failure);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "see target/screenshots/window-*: {failures:#?}"
    );
}

/// An image the page shows (Outlook's signature logo, a `cid:` part) is part of the page, not
/// listed as an attachment too, as in Outlook and Apple Mail; a part with a Content-ID the page
/// does not show is listed.
#[test]
fn images_shown_on_the_page_are_not_listed_as_attachments() {
    let outlook = corpus_mail("outlook-table-signature.eml", "unused.test");
    let (_home, person) = reading(&outlook, Lang::En);
    let view = laid_out(&person).expect("laid out");
    assert_eq!(view.inline_drawn, ["image001.png@01DB2A4C.5E1F0C30"]);
    assert!(!person.sees("image001.png"), "the logo is on the page only");
    assert!(!person.sees(Lang::En.text(Text::AttachmentsHeading)));

    // The same message whose image part answers to another Content-ID: the page shows no logo,
    // and the part is listed, to be saved or opened.
    let other = String::from_utf8(outlook)
        .unwrap()
        .replace(
            "Content-ID: <image001.png@01DB2A4C.5E1F0C30>",
            "Content-ID: <another@example.com>",
        )
        .into_bytes();
    let (_home, person) = reading(&other, Lang::En);
    assert!(laid_out(&person).expect("laid out").inline_drawn.is_empty());
    assert!(person.sees("image001.png"));
    assert!(person.sees(Lang::En.text(Text::AttachmentsHeading)));
}

/// Text on the laid-out page is selected by dragging across it, marked, and offered for copying;
/// a click on a link still opens the link's confirmation, not a selection.
#[test]
fn text_on_an_html_page_is_selected_by_dragging() {
    let (_home, mut person) = reading(&corpus_mail("gmail-reply.eml", "unused.test"), Lang::En);
    let view = laid_out(&person).expect("the message is laid out");
    let word = |w: &str| {
        view.text
            .iter()
            .find(|run| run.text == w)
            .expect("drawn")
            .at
    };
    let (could, payable) = (word("Could"), word("Payable"));
    let drag = [
        reader::Message::PageHover(iced::Point::new(
            could.x + 1.0,
            could.y + could.height / 2.0,
        )),
        reader::Message::PagePressed,
        reader::Message::PageHover(iced::Point::new(
            payable.x + payable.width,
            payable.y + payable.height / 2.0,
        )),
        reader::Message::PageReleased,
    ];
    for message in drag {
        person.apply(Message::Reader(message));
    }
    person.settle();
    let selection = person.state.reader_selection().expect("a selection");
    // Lines as laid out at the reader's width (a wrapped line is a line, as in a PDF).
    let copied = crate::ui::html_page::selected_text(view.selected(&selection));
    assert_eq!(
        copied.split_whitespace().collect::<Vec<_>>().join(" "),
        "Could you also send the invoice for October? The address is the same as before: \
         Example Trading K.K. Accounts Payable"
    );
    assert!(
        copied.contains("before:\nExample Trading K.K.\nAccounts Payable"),
        "{copied:?}"
    );
    assert!(person.sees(Lang::En.text(Text::CopySelection)));
    person.picture("reader-html-selection", &iced::Theme::Light);

    // "Copy", and Ctrl+C (⌘C on macOS), put the lines on the clipboard.
    person.click(Lang::En.text(Text::CopySelection));
    person.settle();
    let mut ctrl_c = testing::key_event(iced::keyboard::Key::Character("c".into()));
    if let iced::keyboard::Event::KeyPressed { modifiers, .. } = &mut ctrl_c {
        *modifiers = iced::keyboard::Modifiers::COMMAND;
    }
    person.apply(Message::Key(ctrl_c.clone()));
    person.settle();
    assert_eq!(
        *person.clipboard.lock().unwrap(),
        [copied.clone(), copied.clone()],
        "the button and the keys copy the selection"
    );
    assert!(
        person.state.reader_selection().is_some(),
        "Ctrl+C is not 'c' (compose): the selection stays"
    );
    // With nothing selected, Ctrl+C copies nothing.
    person.apply(Message::Reader(reader::Message::PagePressed));
    person.apply(Message::Reader(reader::Message::PageReleased));
    person.settle();
    assert!(person.state.reader_selection().is_none());
    person.apply(Message::Key(ctrl_c));
    person.settle();
    assert_eq!(person.clipboard.lock().unwrap().len(), 2);

    // A press on a link is the link's, not a selection's.
    let link = view
        .links
        .iter()
        .find(|link| link.href == "mailto:ken@example.jp")
        .expect("the mailto link")
        .boxes[0];
    person.apply(Message::Reader(reader::Message::PageHover(
        iced::Point::new(link.x + 2.0, link.y + 2.0),
    )));
    let (_, event) = person
        .state
        .update(Message::Reader(reader::Message::PagePressed));
    assert!(
        matches!(event, Some(Event::Compose(_))),
        "a press on the mailto link composes"
    );
}

/// On a high-density screen the page is painted at the window's scale factor: told when the
/// window opens (or moves to another screen), the reader paints the page again with the device's
/// pixels, drawn at the same size, with its links and words where they were.
#[test]
fn the_page_is_painted_at_the_window_scale_factor() {
    let (_home, mut person) = reading(&corpus_mail("gmail-reply.eml", "unused.test"), Lang::En);
    let single = laid_out(&person).expect("laid out at 1x");
    assert_eq!(single.scale, 1.0);
    person.apply(Message::ScaleFactor(2.0));
    person.settle();
    let double = laid_out(&person).expect("laid out at 2x");
    assert_eq!(double.scale, 2.0);
    assert_eq!(double.width, single.width);
    assert_eq!(double.links, single.links);
    let pixels = |view: &reader::PageView| -> (u32, u32) {
        let rows = view.tiles.iter().map(|(_, rows)| *rows).sum();
        let wide = match view.tiles[0].0 {
            iced::advanced::image::Handle::Rgba { width, .. } => width,
            _ => panic!("tiles are pixels"),
        };
        (wide, rows)
    };
    let ((w1, h1), (w2, h2)) = (pixels(&single), pixels(&double));
    assert_eq!((w2, h2), (2 * w1, 2 * h1));
    // The same scale again lays nothing out; back at 1x, the kept page is shown at once.
    person.apply(Message::ScaleFactor(2.0));
    assert!(std::sync::Arc::ptr_eq(&laid_out(&person).unwrap(), &double));
    person.apply(Message::ScaleFactor(1.0));
    assert!(std::sync::Arc::ptr_eq(&laid_out(&person).unwrap(), &single));
    person.apply(Message::ScaleFactor(2.0));
    person.picture("reader-html-2x", &iced::Theme::Light);
}

/// A hostile HTML body (nesting thousands deep, a huge style attribute) never hangs the window: it
/// is converted off the window's thread, within bounds, and where it is past them the reader shows
/// the message's plain text with a note saying why.
#[test]
fn hostile_html_falls_back_to_the_plain_text_with_a_note() {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let nested = format!(
        "<html><body><p style=\"{}\">Formatted words</p>{}</body></html>",
        "color:red;".repeat(1_000),
        "<div><ul><li>".repeat(1_500)
    );
    let raw = format!(
        "From: Ken Sato <ken.sato@example.co.jp>\r\nTo: hanako@example.test\r\n\
         Subject: Deep\r\nMessage-ID: <deep1@example.co.jp>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain words for everyone\r\n\
         --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{nested}\r\n--b--\r\n"
    )
    .into_bytes();
    inbox_with(&paths, &[(1, raw, Flags::default())]);
    let context = Context {
        paths,
        settings: Settings::default(),
        browser: tayori::auth::browser::Browser::Command("true".into()),
    };
    let mut person = Person::new(context, Lang::En);
    person.settle();
    person.open(0);
    person.settle();
    assert!(
        matches!(person.state.reader(), Content::Shown { .. }),
        "the message is shown"
    );
    assert!(person.sees("Plain words for everyone"));
    assert!(person.sees(Lang::En.text(Text::ReaderHtmlPlainInstead)));
    assert!(!person.sees("Formatted words"), "the HTML is not shown");
}

/// The reader's toolbar and keys: flag and mark unread show in the list row and the sidebar at
/// once and are queued for the server; r, a and f open the composer from the core's builders.
#[test]
fn reader_actions_flag_mark_unread_and_answer_from_keys_and_toolbar() {
    // The newest of 301 (#300) is neither flagged nor unread (see `fill_store`).
    let (home, context) = home_with_mail(301);
    let paths = context.paths.clone();
    {
        // As after a sync: the folder's UIDVALIDITY is known, so changes are queued for the server.
        let store = Store::open_in(&paths).unwrap();
        for folder in store.folders().unwrap() {
            store
                .set_folder_state(folder.id, 7, Some(1000), None, true)
                .unwrap();
        }
    }
    let mut person = Person::new(context, Lang::En);
    person.settle();
    let unread_before = person.inbox_unread();
    person.open(0);
    person.settle();
    let id = person.state.list.row(0).unwrap().id;
    assert!(person.state.list.row(0).unwrap().flags.seen);
    let unread_open = person.inbox_unread();
    for text in [
        Text::Reply,
        Text::ReplyAll,
        Text::Forward,
        Text::ReaderFlag,
        Text::ReaderMarkUnread,
        Text::DeleteMessage,
    ] {
        assert!(person.sees(Lang::En.text(text)), "{text:?} in the toolbar");
    }

    // `s` flags: the row at once, the toolbar says Unflag, the store has it with a queued action.
    person.press("s");
    assert!(
        person.state.list.row(0).unwrap().flags.flagged,
        "the row shows the flag at once"
    );
    assert!(person.sees(Lang::En.text(Text::ReaderUnflag)));
    person.settle();
    let store = Store::open_in(&paths).unwrap();
    assert!(store.message(id).unwrap().unwrap().flags.flagged);
    let account = store.account_id(HANAKO).unwrap();
    let queued = store.queued_actions(account).unwrap();
    assert!(
        queued.iter().any(|a| a.kind
            == tayori::store::ActionKind::AddFlags(Flags {
                flagged: true,
                ..Flags::default()
            })),
        "{queued:?}"
    );

    // `u` marks it unread: the row, the sidebar's count, the store.
    person.press("u");
    assert!(!person.state.list.row(0).unwrap().flags.seen);
    person.settle();
    assert_eq!(person.inbox_unread(), unread_open + 1);
    assert!(!store.message(id).unwrap().unwrap().flags.seen);
    // The toolbar's buttons do the same, back again.
    person.click(Lang::En.text(Text::ReaderMarkRead));
    person.click(Lang::En.text(Text::ReaderUnflag));
    person.settle();
    let now = store.message(id).unwrap().unwrap().flags;
    assert!(now.seen && !now.flagged, "{now:?}");
    assert_eq!(person.inbox_unread(), unread_open);
    assert_eq!(unread_open, unread_before, "it had been read before");

    // r, a (and Shift+R), f: the composer, filled by the core.
    person.press("r");
    let reply = person.settle_for_composer().expect("r replies");
    assert!(reply.subject.starts_with("Re: "), "{}", reply.subject);
    assert!(reply.to.contains("@example"), "{}", reply.to);
    person.press("a");
    let all = person.settle_for_composer().expect("a replies to all");
    assert!(all.subject.starts_with("Re: "));
    person.press("R");
    assert!(
        person.settle_for_composer().is_some(),
        "Shift+R replies to all"
    );
    person.press("f");
    let forward = person.settle_for_composer().expect("f forwards");
    assert!(
        forward.subject.starts_with("Fwd: ") || forward.subject.starts_with("Fw: "),
        "{}",
        forward.subject
    );
    drop(home);
}

/// Links in HTML mail: a web link waits for a confirmation that shows where it goes (and warns
/// when its text names another site), then reaches the browser; a mailto: link opens the
/// composer; any other scheme does nothing.
#[test]
fn links_open_after_confirmation_mailto_composes_and_other_schemes_do_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let opened = scratch.path().join("opened");
    let script = scratch.path().join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> {}\n", opened.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    paths.create_all().unwrap();
    let raw = b"From: Bank <news@bank.example>\r\nTo: hanako@example.test\r\nSubject: Your account\r\n\
        Message-ID: <bank1@bank.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <p>Sign in at <a href=\"https://evil.example/login\">https://bank.example/login</a>.</p>\
        <p><a href=\"https://docs.example/guide\">The guide</a> or \
        <a href=\"mailto:help@bank.example?subject=Help%20please\">write to us</a>.</p>\r\n"
        .to_vec();
    inbox_with(&paths, &[(1, raw, Flags::default())]);
    let context = Context {
        paths,
        settings: Settings::default(),
        browser: tayori::auth::browser::Browser::Command(script.display().to_string()),
    };
    let mut person = Person::new(context, Lang::En);
    person.settle();
    person.open(0);
    person.settle();

    // The disguised link: nothing opened yet, the real site named, a warning.
    person.apply(Message::Reader(reader::Message::LinkClicked(
        "https://evil.example/login".into(),
    )));
    assert!(person.sees(Lang::En.text(Text::LinkConfirm)));
    assert!(person.sees("It goes to evil.example"));
    assert!(
        person.sees(
            "Careful: the link’s text shows bank.example/login, but it leads to evil.example."
                .replace("bank.example/login", "bank.example")
                .as_str()
        )
    );
    person.picture("reader-link-confirm", &iced::Theme::Light);
    person.click(Lang::En.text(Text::LinkCancel));
    person.settle();
    assert!(!opened.exists(), "a cancelled link is not opened");
    assert!(!person.sees(Lang::En.text(Text::LinkConfirm)));

    // An honest link: confirmed, it reaches the browser.
    person.apply(Message::Reader(reader::Message::LinkClicked(
        "https://docs.example/guide".into(),
    )));
    assert!(person.sees("It goes to docs.example"));
    assert!(!person.sees("Careful"), "no warning for plain words");
    person.key(iced::keyboard::Key::Named(
        iced::keyboard::key::Named::Escape,
    ));
    assert!(person.state.reader.link.is_none(), "Escape dismisses it");
    person.apply(Message::Reader(reader::Message::LinkClicked(
        "https://docs.example/guide".into(),
    )));
    person.click(Lang::En.text(Text::LinkOpen));
    person.settle();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !opened.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap(),
        "https://docs.example/guide\n"
    );

    // mailto: the composer, filled from the link.
    let (_, event) = person
        .state
        .update(Message::Reader(reader::Message::LinkClicked(
            "mailto:help@bank.example?subject=Help%20please".into(),
        )));
    let Some(Event::Compose(intent)) = event else {
        panic!("a mailto: link opens the composer");
    };
    let composer = person.state.composer_for(intent);
    assert_eq!(composer.to, "help@bank.example");
    assert_eq!(composer.subject, "Help please");

    // Other schemes: nothing happens.
    for other in [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://bank.example/",
    ] {
        let (_, event) = person
            .state
            .update(Message::Reader(reader::Message::LinkClicked(other.into())));
        assert!(event.is_none(), "{other}");
        assert!(person.state.reader.link.is_none(), "{other}");
    }
    assert_eq!(std::fs::read_to_string(&opened).unwrap().lines().count(), 1);
}

/// The server's flags of every message in s18's INBOX, as IMAP words.
async fn server_flags(session: &mut tayori::imap::Session) -> Vec<String> {
    use futures::TryStreamExt;
    while session.unsolicited_responses.try_recv().is_ok() {}
    session.select("INBOX").await.unwrap();
    let fetches: Vec<_> = session
        .uid_fetch("1:*", "FLAGS")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    fetches
        .iter()
        .map(|f| {
            f.flags()
                .map(|flag| format!("{flag:?}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// A message with attachments delivered to the rig's Dovecot (s18's private mailbox), synced by
/// the engine into the store the window reads: the reader lists the attachments; saving (what
/// follows the save dialog) and opening (the file written to the private cache folder) write
/// the exact bytes. Flag and mark unread from the keyboard reach the server with the next sync.
#[test]
fn an_attachment_from_the_server_is_listed_and_saved_exactly_and_flags_reach_the_server() {
    let email = "s18@example.test";
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let context = rig_context(&paths);
    let settings = context.settings.clone();
    let s18 = rig_account(email);
    let credentials =
        tayori::imap::Credentials::Password(tayori::redact::Secret::new("s18-app-password"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let net = tayori::net::Net::from_settings(&settings).unwrap();

    // Elsewhere: the inbox emptied, then the message arrives.
    let raw = message_with_attachments(
        "attach-rig@example.test",
        chrono::Utc::now().timestamp(),
        None,
    );
    let mut session = runtime.block_on(async {
        let mut session = tayori::imap::login(&net.dns, &s18.imap, &credentials)
            .await
            .expect("s18 signs in on the rig");
        let status = session.select("INBOX").await.unwrap();
        if status.exists > 0 {
            session
                .run_command_and_check_ok("STORE 1:* +FLAGS.SILENT (\\Deleted)")
                .await
                .unwrap();
            session.run_command_and_check_ok("EXPUNGE").await.unwrap();
        }
        session.run_command_and_check_ok("UNSELECT").await.unwrap();
        session
            .append("INBOX", Some("(\\Seen)"), None, &raw)
            .await
            .unwrap();
        session
    });
    let engine = runtime
        .block_on(tayori::sync::Engine::open(
            Store::path_in(&paths),
            s18.clone(),
            credentials,
            net.dns.clone(),
            tayori::sync::SyncOptions::default(),
            std::sync::Arc::new(|_| {}),
        ))
        .unwrap();
    runtime.block_on(engine.sync_once()).expect("a sync pass");

    let (state, load) = Mailbox::new(context, vec![s18], None);
    let mut person = Person::with_runtime(state, Lang::En, runtime);
    person.spawn(load);
    person.settle();
    assert_eq!(person.state.list.len(), 1);
    person.open(0);
    person.settle();
    let Content::Shown {
        summary, decoded, ..
    } = person.state.reader()
    else {
        panic!("the message is shown");
    };
    let id = summary.id;
    assert_eq!(decoded.attachments.len(), 3);
    for shown in [
        "見積書.pdf",
        "application/pdf  ·  5 KB",
        "明細.csv",
        "text/csv  ·  28 bytes",
        "setup.exe",
    ] {
        assert!(person.sees(shown), "{shown} in the reader");
    }
    assert!(person.sees(Lang::En.text(Text::AttachmentSave)));

    // Save…: the dialog's answer is a path; the bytes written there are the attachment's.
    let db = person.state.db().unwrap();
    let target = home.path().join("保存先").join("見積書.pdf");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let saved = person
        .runtime
        .block_on(reader::save_attachment_to(
            db.clone(),
            id,
            0,
            target.clone(),
        ))
        .unwrap();
    assert_eq!(saved, target);
    assert_eq!(std::fs::read(&target).unwrap(), binary_file());
    person.apply(Message::Reader(reader::Message::AttachmentSaved(
        "見積書.pdf".into(),
        Ok(Some(saved)),
    )));
    assert!(person.sees(&format!("Saved “見積書.pdf” as {}.", target.display())));
    // A place that cannot be written: said in the reader, nothing panics.
    let nowhere = home.path().join("no-such-folder").join("x.pdf");
    let failed = person.runtime.block_on(reader::save_attachment_to(
        db.clone(),
        id,
        0,
        nowhere.clone(),
    ));
    let detail = failed.unwrap_err();
    person.apply(Message::Reader(reader::Message::AttachmentSaved(
        "見積書.pdf".into(),
        Err(detail.clone()),
    )));
    assert!(person.sees(&format!("“見積書.pdf” could not be saved: {detail}")));
    assert!(!nowhere.exists());

    // Open: the CSV written under the cache folder with its safe name, exact bytes.
    let cached = person
        .runtime
        .block_on(reader::attachment_to_cache(
            db.clone(),
            paths.cache_dir.clone(),
            id,
            1,
            "明細.csv".into(),
        ))
        .unwrap();
    assert_eq!(
        cached,
        paths
            .cache_dir
            .join("attachments")
            .join(id.to_string())
            .join("明細.csv")
    );
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        "品目,金額\r\n保守,120000".as_bytes()
    );
    // The program is never written out for opening.
    let refused = person.runtime.block_on(reader::attachment_to_cache(
        db,
        paths.cache_dir.clone(),
        id,
        2,
        "setup.exe".into(),
    ));
    assert!(refused.unwrap_err().detail.contains("program"));
    person.picture("reader-attachments-rig", &iced::Theme::Light);

    // `s` and `u`: the store queues them, the next sync pass tells the server.
    person.press("s");
    person.press("u");
    person.settle();
    person
        .runtime
        .block_on(engine.sync_once())
        .expect("a sync pass");
    let flags = person.runtime.block_on(server_flags(&mut session));
    assert_eq!(flags.len(), 1);
    assert!(flags[0].contains("Flagged"), "{flags:?}");
    assert!(!flags[0].contains("Seen"), "{flags:?}");
    let _ = person.runtime.block_on(session.logout());
}

/// HTML mail's figures (issue 16): the time to lay out and paint each corpus message (goal: median
/// < 30 ms, p95 < 100 ms per message in a release build), the memory a rendered message takes, and
/// the frames while scrolling a long HTML message in the reader (< 16 ms). `benches/gui.sh` runs it
/// (the test build: its dependencies, litehtml and the text engine among them, are optimised; the
/// glue is not); `cargo test --release --bin tayori -- --ignored --nocapture html_figures` gives the
/// release build's.
#[test]
#[ignore = "a benchmark: run it and read the figures"]
fn html_figures() {
    use crate::ui::html_page::{Engine, Request};
    use iced_test::runtime::user_interface::{Cache, UserInterface};

    let corpus = testing::HTML_CORPUS
        .iter()
        .chain(&["hostile-calls-home.eml"])
        .copied();
    let font = crate::ui::fonts::init(Lang::from_system());
    let fonts_started = Instant::now();
    let mut engine = Engine::new(iced::advanced::graphics::text::cosmic_text::FontSystem::new());
    println!("html engine (fonts read) in {:?}", fonts_started.elapsed());
    let requests: Vec<(&str, Request)> = corpus
        .map(|name| {
            let decoded = tayori::mime::decode(&corpus_mail(name, "images.newsletter.test"));
            let html = decoded.html.expect("an HTML body");
            let request = Request {
                html: std::sync::Arc::new(
                    crate::ui::screen::mailbox::html::sanitize_for_layout(&html).expect("bounded"),
                ),
                inline: std::sync::Arc::new(
                    decoded
                        .inline_images
                        .into_iter()
                        .map(|image| (image.content_id, image.bytes))
                        .collect(),
                ),
                remote: std::sync::Arc::default(),
                width: 720,
                scale: 1.0,
                darken: false,
            };
            (name, request)
        })
        .collect();
    report_memory("before laying out");
    // At 1x, and at 2x as on a high-density screen (four times the pixels to paint).
    for scale in [1.0, 2.0] {
        let mut all = Vec::new();
        for (name, request) in &requests {
            let request = Request {
                scale,
                ..request.clone()
            };
            let mut times = Vec::new();
            let mut bytes = 0;
            // The first round fills the engine's glyph cache; all rounds are counted.
            for _ in 0..20 {
                let started = Instant::now();
                let page = engine.render(&request).expect("laid out");
                times.push(started.elapsed());
                bytes = page.bytes();
            }
            all.extend_from_slice(&times);
            print_frames(
                &format!(
                    "html layout and paint at {scale}x, {name} (memory: {} KB of pixels)",
                    bytes / 1024
                ),
                &mut times,
            );
        }
        print_frames(
            &format!("html layout and paint at {scale}x, the whole corpus"),
            &mut all,
        );
    }
    report_memory("after laying out the corpus 20 times");

    // A long HTML message (the newsletter's body eight times, about 5,000 pixels) in the reader,
    // scrolled three lines per frame.
    let news = String::from_utf8(corpus_mail(
        "newsletter-remote-images.eml",
        "images.newsletter.test",
    ))
    .unwrap();
    let (head, body) = news.split_once("\r\n\r\n").unwrap();
    let long = format!("{head}\r\n\r\n{}", body.repeat(8));
    let (_home, mut person) = reading(long.as_bytes(), Lang::En);
    let height: u32 = laid_out(&person)
        .expect("the long message is laid out")
        .tiles
        .iter()
        .map(|(_, h)| *h)
        .sum();
    println!("long html message: {height} pixels high");
    report_memory("with the long message open");
    let window = iced::Size::new(1280.0, 800.0);
    let theme = iced::Theme::Light;
    let style = iced::advanced::renderer::Style {
        text_color: theme.palette().text,
    };
    let mut renderer = headless_renderer(font);
    let over_reader = iced::mouse::Cursor::Available(iced::Point::new(1000.0, 500.0));
    let mut cache = Cache::default();
    let mut frames = Vec::new();
    for _ in 0..300 {
        let frame = Instant::now();
        let mut ui = UserInterface::build(
            Screen::view(&person.state, Lang::En),
            window,
            cache,
            &mut renderer,
        );
        let mut messages = Vec::new();
        let _ = ui.update(
            &[iced::Event::Mouse(iced::mouse::Event::WheelScrolled {
                delta: iced::mouse::ScrollDelta::Lines { x: 0.0, y: -3.0 },
            })],
            over_reader,
            &mut renderer,
            &mut iced::advanced::clipboard::Null,
            &mut messages,
        );
        ui.draw(&mut renderer, &theme, &style, over_reader);
        cache = ui.into_cache();
        for message in messages {
            person.apply(message);
        }
        frames.push(frame.elapsed());
    }
    print_frames(
        "scrolling a long html message (update + view + layout + draw)",
        &mut frames,
    );
}
