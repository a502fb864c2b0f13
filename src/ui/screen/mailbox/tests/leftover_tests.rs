//! What the reader must not show, and what it must show as what it is (issue 24, item 5), each
//! from a message that shows it: `<noscript>`/`<noframes>` never as source, no `<title>` in the
//! body, `srcset` and `<picture>` sources counted with the remote images, `message/external-body`
//! as a reference and never a file, Safe Links showing the address they wrap, and a read receipt
//! asked about, never sent on its own.

use tayori::i18n::{Lang, Text};
use tayori::outbox::Outbox;

use super::*;

fn html_message(body: &str) -> Vec<u8> {
    format!(
        "From: Ken Sato <ken.sato@example.co.jp>\r\nTo: hanako@example.test\r\n\
         Subject: Leftovers\r\nMessage-ID: <left1@example.co.jp>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// The reader's text for the HTML body and its remote images.
fn shown_html(person: &Person) -> (String, Vec<String>) {
    let Content::Shown { html, .. } = person.state.reader() else {
        panic!("the message is shown");
    };
    let html = html.as_ref().expect("the HTML body is rendered");
    (
        html.pieces.iter().map(|p| p.text.as_str()).collect(),
        html.remote_images.clone(),
    )
}

/// A newsletter built from a web page: its `<title>`, a `<noscript>` with a tracking pixel and a
/// sentence, a `<noframes>` fallback. None of it appears as markup; the title not at all.
#[test]
fn noscript_noframes_and_title_never_show_as_source() {
    let raw = html_message(
        "<html><head><title>Weekly news (internal template v3)</title></head><body>\
         <p>Hello Hanako</p>\
         <noscript><img src=\"https://track.example/ns.gif\" width=\"1\"><p>Turn on <b>scripts</b> \
         for the full view.</p></noscript>\
         <NOFRAMES><p>See the <a href=\"https://news.example/frames\">framed edition</a>.</p></NOFRAMES>\
         <p>Bye</p></body></html>",
    );
    let (_home, person) = reading(&raw, Lang::En);
    let (text, images) = shown_html(&person);
    for source in [
        "<img", "<p>", "</p>", "src=", "noscript", "NOFRAMES", "&lt;",
    ] {
        assert!(!text.contains(source), "{source:?} shown: {text:?}");
    }
    assert!(
        !text.contains("Weekly news"),
        "the title is not part of the letter: {text:?}"
    );
    assert_eq!(
        text,
        "Hello Hanako\n\n\u{fffc}\n\nTurn on scripts for the full view.\n\n\
         See the framed edition <https://news.example/frames>.\n\nBye"
    );
    assert_eq!(images, ["https://track.example/ns.gif"]);
    // Laid out, the `<noscript>` content shows as a browser without scripts shows it; its 1-pixel
    // image is a tracker, never loaded.
    assert!(person.sees("1 tracker blocked: it would have told the sender when you read this."));
}

/// Responsive images: `srcset` alone, and `<picture>` with `<source srcset>`; each address is
/// counted once and listed with the other remote images.
#[test]
fn srcset_and_picture_sources_are_remote_images() {
    let raw = html_message(
        "<p>Products</p>\
         <img srcset=\"https://cdn.example/a-1x.png 1x, https://cdn.example/a-2x.png 2x\" alt=\"A\">\
         <picture><source media=\"(min-width: 600px)\" srcset=\"https://cdn.example/wide.webp 600w,https://cdn.example/wider.webp 1200w\">\
         <source srcset=\"//track.example/p,1.gif\"><img src=\"https://cdn.example/a-1x.png\" alt=\"B\"></picture>\
         <img src=\"data:image/png;base64,AAAA\" srcset=\"cid:logo 1x\" alt=\"inline\">",
    );
    let (_home, person) = reading(&raw, Lang::En);
    let (text, images) = shown_html(&person);
    assert_eq!(
        images,
        [
            "https://cdn.example/a-1x.png",
            "https://cdn.example/a-2x.png",
            "https://cdn.example/wide.webp",
            "https://cdn.example/wider.webp",
            "//track.example/p,1.gif",
        ]
    );
    assert!(text.contains("[A]") && text.contains("[B]"), "{text:?}");
    assert!(!text.contains("cdn.example"), "{text:?}");
    // Laid out, an image given only by `srcset` shows its first candidate, and `<picture>` its
    // `<img>`: one remote image (the same address twice) waits for the person.
    assert!(person.sees("1 remote image was not loaded, to protect your privacy."));
    let view = laid_out(&person).expect("laid out");
    assert_eq!(view.remote, ["https://cdn.example/a-1x.png"]);
    person.picture("reader-html-srcset", &iced::Theme::Light);
}

fn external_body_message() -> Vec<u8> {
    b"From: Ken Sato <ken.sato@example.co.jp>\r\nTo: hanako@example.test\r\n\
Subject: Big file\r\nMessage-ID: <ext1@example.co.jp>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"E\"\r\n\r\n\
--E\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe drawings are on our server.\r\n\
--E\r\nContent-Type: message/external-body; access-type=URL;\r\n\x20URL=\"https://files.example.co.jp/drawings/\r\n  plan-v2.zip\"; size=73400320; expiration=\"Fri, 18 Dec 2026 12:00:00 +0900\"\r\n\r\n\
Content-Type: application/zip\r\nContent-ID: <plan@example.co.jp>\r\n\r\n\
--E\r\nContent-Type: text/csv; name=\"list.csv\"\r\nContent-Disposition: attachment; filename=\"list.csv\"\r\n\r\n\
a,b\r\n1,2\r\n--E--\r\n"
        .to_vec()
}

/// A `message/external-body` part: shown as a reference (where, what type) with no Save… or
/// Open, never counted among the files; the real attachment after it keeps its number.
#[test]
fn external_body_is_shown_as_a_reference_and_never_opened() {
    let raw = external_body_message();
    let decoded = tayori::mime::decode(&raw);
    assert_eq!(decoded.attachments.len(), 1, "{:?}", decoded.attachments);
    assert_eq!(
        decoded.attachments[0].file_name.as_deref(),
        Some("list.csv")
    );
    assert_eq!(
        tayori::mime::attachment_bytes(&raw, 0).as_deref(),
        Some(&b"a,b\r\n1,2"[..]),
        "attachment 0 is the file, not the reference"
    );
    let reference = &decoded.external_bodies[..];
    assert_eq!(reference.len(), 1);
    assert_eq!(
        reference[0].location.as_deref(),
        Some("https://files.example.co.jp/drawings/plan-v2.zip")
    );
    assert_eq!(
        reference[0].content_type.as_deref(),
        Some("application/zip")
    );
    assert_eq!(reference[0].access_type, "URL");
    assert_eq!(reference[0].size, Some(73_400_320));
    assert_eq!(
        reference[0].expiration.as_deref(),
        Some("Fri, 18 Dec 2026 12:00:00 +0900")
    );

    for lang in [Lang::En, Lang::Ja] {
        let (_home, person) = reading(&raw, lang);
        assert!(
            person.sees(lang.text(Text::ExternalBodyHeading)),
            "{lang:?}"
        );
        let place = "https://files.example.co.jp/drawings/plan-v2.zip";
        assert!(
            person.sees(&tayori::i18n::fill(
                lang.text(Text::ExternalBodyWhere),
                &[("location", place)]
            )),
            "{lang:?}"
        );
        assert!(person.sees(lang.text(Text::ExternalBodyNotFetched)));
        // The CSV is a file with Save…; the reference is not among the files.
        assert!(person.sees("list.csv"));
        assert!(person.sees(lang.text(Text::AttachmentSave)));
        let Content::Shown { decoded, .. } = person.state.reader() else {
            panic!("shown");
        };
        assert_eq!(decoded.attachments.len(), 1);
    }
}

/// A link rewritten by Microsoft Defender Safe Links shows where it really leads, in the text and
/// when clicked; its text naming that same site is no warning.
#[test]
fn safe_links_show_the_address_they_wrap() {
    let wrapped = "https://apc01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fportal.example.co.jp%2Freport%3Fid%3D7&data=05%7C02%7Chanako%40example.test%7C0&sdata=abc%3D&reserved=0";
    let raw = html_message(&format!(
        "<p>Report: <a href=\"{}\">the portal</a></p>\
         <p>Or <a href=\"{}\">https://portal.example.co.jp/report?id=7</a></p>",
        wrapped.replace('&', "&amp;"),
        wrapped.replace('&', "&amp;")
    ));
    let (_home, mut person) = reading(&raw, Lang::En);
    let (text, _) = shown_html(&person);
    assert_eq!(
        text,
        "Report: the portal <https://portal.example.co.jp/report?id=7>\n\n\
         Or https://portal.example.co.jp/report?id=7"
    );
    assert!(!text.contains("safelinks"), "{text:?}");
    person.apply(Message::Reader(reader::Message::LinkClicked(
        wrapped.into(),
    )));
    let link = person
        .state
        .reader_link()
        .expect("the link waits for confirmation");
    assert_eq!(
        link.real.as_ref().map(url::Url::as_str),
        Some("https://portal.example.co.jp/report?id=7")
    );
    assert_eq!(link.deceptive, None, "the text names the real site");
    assert!(person.sees("It goes to portal.example.co.jp"));
    assert!(person.sees("https://portal.example.co.jp/report?id=7"));
    assert!(person.sees(Lang::En.text(Text::LinkSafeLinks)));
    // What opens is still the organisation's Safe Links address: its check of each click stays.
    assert_eq!(link.url.as_str(), wrapped);
}

fn asking_for_a_receipt(receipt_to: &str) -> Vec<u8> {
    format!(
        "From: =?UTF-8?B?5L2Q6JekIOWBpQ==?= <ken.sato@example.co.jp>\r\nTo: hanako@example.test\r\n\
         Subject: =?UTF-8?B?5Lya6K2w6LOH5paZ?=\r\nMessage-ID: <mdn1@example.co.jp>\r\n\
         Disposition-Notification-To: {receipt_to}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nご確認ください。\r\n"
    )
    .into_bytes()
}

fn outbox_of(person: &Person) -> Vec<tayori::outbox::Entry> {
    Outbox::open_in(&person.state.context().paths.data_dir)
        .unwrap()
        .list(true)
        .unwrap()
}

/// `Disposition-Notification-To`: the reader asks (in the window's language) and sends nothing
/// until the person says yes; "Don't send" sends nothing and the question does not come back.
#[test]
fn a_read_receipt_is_asked_about_and_never_sent_on_its_own() {
    let raw = asking_for_a_receipt("=?UTF-8?B?5L2Q6JekIOWBpQ==?= <ken.sato@example.co.jp>");
    let (_home, mut person) = reading(&raw, Lang::En);
    let asked = tayori::i18n::fill(
        Lang::En.text(Text::ReceiptAsked),
        &[("sender", "佐藤 健 <ken.sato@example.co.jp>")],
    );
    assert!(person.sees(&asked), "the reader asks");
    assert!(
        !person.sees(
            Lang::En
                .text(Text::ReceiptElsewhere)
                .split('{')
                .next()
                .unwrap()
        )
    );
    person.settle();
    assert!(outbox_of(&person).is_empty(), "nothing is sent on its own");
    person.click(Lang::En.text(Text::ReceiptDecline));
    person.settle();
    assert!(!person.sees(&asked));
    assert!(outbox_of(&person).is_empty(), "declined: nothing sent");
    // Opened again: not asked again.
    person.open(0);
    person.settle();
    assert!(!person.sees(&asked));
    assert!(outbox_of(&person).is_empty());
}

/// In Japanese: asked in Japanese, warned when the receipt would go elsewhere than the sender;
/// "Send receipt" puts one read receipt for the original in the outbox, addressed as asked.
#[test]
fn a_read_receipt_is_sent_through_the_outbox_only_when_the_person_says_yes() {
    let raw = asking_for_a_receipt("<receipts@tracker.example>");
    let (_home, mut person) = reading(&raw, Lang::Ja);
    let asked = tayori::i18n::fill(
        Lang::Ja.text(Text::ReceiptAsked),
        &[("sender", "佐藤 健 <ken.sato@example.co.jp>")],
    );
    assert!(person.sees(&asked));
    assert!(person.sees(&tayori::i18n::fill(
        Lang::Ja.text(Text::ReceiptElsewhere),
        &[("address", "receipts@tracker.example")]
    )));
    assert!(outbox_of(&person).is_empty());
    person.click(Lang::Ja.text(Text::ReceiptSend));
    person.settle();
    let queued = outbox_of(&person);
    assert_eq!(queued.len(), 1, "one receipt");
    assert!(person.sees(&tayori::i18n::fill(
        Lang::Ja.text(Text::ReceiptQueued),
        &[("address", "receipts@tracker.example")]
    )));
    let outbox = Outbox::open_in(&person.state.context().paths.data_dir).unwrap();
    let sent = tayori::mime::decode(&outbox.raw(queued[0].id).unwrap());
    assert_eq!(sent.to[0].address, "receipts@tracker.example");
    assert_eq!(sent.from[0].address, HANAKO);
    assert_eq!(sent.subject.as_deref(), Some("開封確認: 会議資料"));
    assert_eq!(sent.in_reply_to, ["mdn1@example.co.jp"]);
    // Asked once: opened again, no second question and no second receipt.
    person.open(0);
    person.settle();
    assert!(!person.sees(&asked));
    assert_eq!(outbox_of(&person).len(), 1);
}
