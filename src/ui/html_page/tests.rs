//! The corpus under tests/html-mail, laid out and painted, against reference pictures; the
//! hostile part of it, for what it may not do. (That it makes no request at all, before and after
//! "Load remote images", is checked against the rig's web server and DNS in the reader's tests.)
//!
//! The pictures are written to target/html-pages/ (look at them). After a deliberate change to
//! the layout, `TAYORI_UPDATE_REFERENCES=1 cargo test --bin tayori html_page` writes new
//! references; look at each before committing it.

use std::path::{Path, PathBuf};

use super::*;
use crate::ui::screen::mailbox::html;
use crate::ui::testing::HTML_CORPUS;
use crate::ui::testing::pictures::{
    TOLERANCE, check_against, difference, half_size, read_png, write_png,
};

/// The width the references are laid out at.
const WIDTH: u32 = 640;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html-mail")
}

/// One engine for the whole test program: it reads the system's fonts once.
fn engine() -> std::sync::MutexGuard<'static, Engine> {
    static ENGINE: std::sync::OnceLock<std::sync::Mutex<Engine>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| std::sync::Mutex::new(Engine::new(ct::FontSystem::new())))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A corpus message's HTML body, `{{HTTP}}` standing for `base`, and its inline images.
fn body(name: &str, base: &str) -> (String, Vec<(String, Vec<u8>)>) {
    let raw = std::fs::read(corpus_dir().join(name)).expect("corpus file");
    let decoded = tayori::mime::decode(&raw);
    let inline = decoded
        .inline_images
        .into_iter()
        .map(|image| (image.content_id, image.bytes))
        .collect();
    (
        decoded
            .html
            .expect("an HTML body")
            .replace("{{HTTP}}", base),
        inline,
    )
}

fn request_for(html: &str, inline: Vec<(String, Vec<u8>)>) -> Request {
    Request {
        html: Arc::new(html::sanitize_for_layout(html).expect("within the bounds")),
        inline: Arc::new(inline),
        remote: Arc::default(),
        width: WIDTH,
        scale: 1.0,
        darken: false,
    }
}

fn render(name: &str) -> Page {
    let (html, inline) = body(name, "http://images.example.test");
    engine()
        .render(&request_for(&html, inline))
        .expect("laid out")
}

/// The page as one RGBA picture.
fn pixels(page: &Page) -> Vec<u8> {
    page.tiles
        .iter()
        .flat_map(|tile| tile.rgba.iter().copied())
        .collect()
}

/// Whether any pixel in the rectangle has this colour (within a few steps).
/// (The rectangle in logical pixels, searched in the page's device pixels.)
fn has_colour(page: &Page, area: (u32, u32, u32, u32), rgb: [u8; 3]) -> bool {
    let all = pixels(page);
    let device = |v: u32| (v as f32 * page.scale).round() as u32;
    let (x0, y0, w, h) = (
        device(area.0),
        device(area.1),
        device(area.2),
        device(area.3),
    );
    let rows = (all.len() / 4) as u32 / page.pixels_wide;
    (y0..(y0 + h).min(rows)).any(|y| {
        (x0..(x0 + w).min(page.pixels_wide)).any(|x| {
            let at = ((y * page.pixels_wide + x) * 4) as usize;
            all[at..at + 3]
                .iter()
                .zip(rgb)
                .all(|(p, c)| p.abs_diff(c) <= 3)
        })
    })
}

#[test]
fn the_corpus_looks_as_its_reference_pictures() {
    let mut failures = Vec::new();
    for name in HTML_CORPUS {
        let page = render(name);
        let picture = (page.pixels_wide, page.height, pixels(&page));
        let png_name = name.replace(".eml", ".png");
        write_png(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/html-pages")
                .join(&png_name),
            picture.0,
            picture.1,
            &picture.2,
        );
        if let Err(failure) =
            check_against(&picture, &corpus_dir().join("reference").join(&png_name))
        {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "see target/html-pages/: {failures:#?}");
}

#[test]
fn a_missing_inline_image_is_seen_by_the_comparison() {
    let (html, _) = body("outlook-table-signature.eml", "http://images.example.test");
    let page = engine()
        .render(&request_for(&html, Vec::new()))
        .expect("laid out");
    let (_, _, expected) = read_png(&corpus_dir().join("reference/outlook-table-signature.png"))
        .expect("the reference");
    let share = difference(&pixels(&page), &expected);
    assert!(
        share.is_none_or(|share| share > TOLERANCE),
        "the picture without the logo passed as the reference ({share:?})"
    );
}

/// What each corpus message must show, whatever the fonts: tables with their colours, the inline
/// logo, links where their words are, Japanese text in both encodings.
#[test]
fn the_corpus_shows_what_its_senders_wrote() {
    let outlook = render("outlook-table-signature.eml");
    // The signature's logo (a cid: part): its blue and its yellow squares.
    assert!(has_colour(
        &outlook,
        (0, 0, WIDTH, outlook.height),
        [20, 70, 140]
    ));
    assert!(has_colour(
        &outlook,
        (0, 0, WIDTH, outlook.height),
        [240, 180, 30]
    ));
    assert_eq!(outlook.inline_drawn, ["image001.png@01DB2A4C.5E1F0C30"]);
    // The table's header cells keep their background, the change columns their colours.
    assert!(has_colour(
        &outlook,
        (0, 0, WIDTH, outlook.height),
        [0xD9, 0xE2, 0xF3]
    ));
    let link = outlook
        .links
        .iter()
        .find(|link| link.href == "https://intranet.example.com/reports/q3")
        .expect("the link was laid out");
    let at = link.boxes[0];
    assert!(at.width > 20.0 && at.height > 8.0, "{at:?}");
    assert!(outlook.remote_asked.is_empty());

    for name in ["ja-iso-2022-jp.eml", "ja-shift-jis.eml"] {
        let page = render(name);
        let ink = pixels(&page)
            .chunks_exact(4)
            .filter(|p| p[0] < 128 && p[1] < 128 && p[2] < 128)
            .count();
        assert!(
            ink > 2_000,
            "{name}: {ink} dark pixels: the text was not drawn"
        );
    }
    let sjis = render("ja-shift-jis.eml");
    assert!(
        has_colour(&sjis, (0, 0, WIDTH, 80), [0xc0, 0, 0]),
        "the red heading"
    );
    assert!(
        has_colour(&sjis, (0, 0, WIDTH, sjis.height), [0xff, 0xf8, 0xe1]),
        "the table"
    );

    let news = render("newsletter-remote-images.eml");
    assert_eq!(
        news.remote_asked,
        [
            "http://images.example.test/img/banner.png",
            "http://images.example.test/img/chair.png",
            "http://images.example.test/img/desk.png",
            "http://images.example.test/open/pixel.gif?u=123",
            "http://images.example.test/open/beacon.png?u=123",
        ]
    );
    assert_eq!(
        news.trackers,
        [
            "http://images.example.test/open/pixel.gif?u=123",
            "http://images.example.test/open/beacon.png?u=123",
        ]
    );
    // The banner's background and the button's colour (the top of its gradient).
    assert!(has_colour(&news, (0, 0, WIDTH, 150), [0x1b, 0x4f, 0x8a]));
    assert!(has_colour(&news, (0, 0, WIDTH, 150), [0xf0, 0xa0, 0x20]));
}

/// Every way a message can call home is either gone before layout or asked of Tayori, which
/// answers nothing: the engine asks only for images (img, CSS backgrounds, list bullets).
#[test]
fn hostile_mail_asks_only_for_images_and_gets_none() {
    let page = render("hostile-calls-home.eml");
    let base = "http://images.example.test";
    let asked: Vec<&str> = page
        .remote_asked
        .iter()
        .map(|url| url.strip_prefix(base).expect("only the test's host"))
        .collect();
    assert_eq!(
        asked,
        [
            "/css/body-bg.png",
            "/css/class-bg.png",
            "/css/inline-bg.png",
            "/css/bullet.png",
            "/img/tracker.gif",
            "/img/srcset-1x.png",
            "/img/picture.png",
        ]
    );
    assert_eq!(page.trackers, [format!("{base}/img/tracker.gif")]);
    // The `javascript:` link and the link to the test's host lost their address; the others keep
    // theirs (and open only after confirmation).
    let links: Vec<&str> = page.links.iter().map(|link| link.href.as_str()).collect();
    assert_eq!(
        links,
        [
            "http://images.example.test/link/plain",
            "https://example.com/"
        ]
    );
    let (html, _) = body("hostile-calls-home.eml", base);
    let laid = html::sanitize_for_layout(&html).expect("within the bounds");
    for gone in [
        "<script",
        "<meta",
        "<base",
        "<link",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<svg",
        "<video",
        "<audio",
        "onload",
        "javascript:",
        "ping=",
        "background=",
        "srcset=",
        "poster",
    ] {
        assert!(
            !laid.html.contains(gone),
            "{gone} survived: {}",
            &laid.html[laid.html.find(gone).unwrap_or(0).saturating_sub(200)..]
        );
    }
}

/// Bounds: nesting, cells and size past them go to the text view; a page past its height is cut
/// there; an image that would decode to gigabytes is not decoded.
#[test]
fn hostile_bodies_meet_bounds_not_the_engine() {
    let (deep, _) = body("hostile-deep-nesting.eml", "");
    assert_eq!(html::sanitize_for_layout(&deep), Err(html::Limit::Depth));
    let cells = format!(
        "<table>{}</table>",
        "<tr><td>x</td><td>y</td></tr>".repeat(html::MAX_LAYOUT_CELLS)
    );
    assert_eq!(html::sanitize_for_layout(&cells), Err(html::Limit::Output));
    let style = format!("<p style=\"{}\">big</p>", "color:red;".repeat(1 << 20));
    assert_eq!(html::sanitize_for_layout(&style), Err(html::Limit::Input));

    let long = format!("<div>{}</div>", "<p>line</p>".repeat(1_000));
    let page = engine()
        .render(&request_for(&long, Vec::new()))
        .expect("laid out");
    assert!(page.cut);
    assert_eq!(page.height, MAX_HEIGHT);
    assert_eq!(page.bytes(), (WIDTH * MAX_HEIGHT * 4) as usize);
    // On a high-density screen, wide: cut at what the pixels may take, not at gigabytes.
    let mut dense = request_for(&long, Vec::new());
    (dense.width, dense.scale) = (4000, 3.0);
    let page = engine().render(&dense).expect("laid out");
    assert!(page.cut && page.height < MAX_HEIGHT, "{}", page.height);
    assert!(page.bytes() as u64 <= MAX_PAGE_BYTES, "{}", page.bytes());
    assert!(page.bytes() as u64 > MAX_PAGE_BYTES / 2, "{}", page.bytes());

    // A PNG whose header claims 100,000 x 100,000 pixels.
    let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bomb.extend_from_slice(&100_000u32.to_be_bytes());
    bomb.extend_from_slice(&100_000u32.to_be_bytes());
    bomb.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    let page = engine()
        .render(&request_for(
            "<p>before</p><img src=\"cid:bomb\"><p>after</p>",
            vec![("bomb".into(), bomb)],
        ))
        .expect("laid out");
    assert!(
        page.height < 200,
        "the image was not laid out: {}",
        page.height
    );
}

/// Text is selected as drawn: from a word to a word, whole words in reading order, lines apart
/// (list bullets are drawn, not text, and are not copied).
#[test]
fn selected_words_read_as_the_lines_they_were_drawn_on() {
    let page = render("gmail-reply.eml");
    let run = |word: &str| {
        page.text
            .iter()
            .find(|run| run.text == word)
            .unwrap_or_else(|| panic!("{word:?} was drawn"))
            .at
    };
    let (could, payable) = (run("Could"), run("Payable"));
    let from = (could.x + 1.0, could.y + could.height / 2.0);
    let to = (payable.x + payable.width, payable.y + payable.height / 2.0);
    let expected = "Could you also send the invoice for October? The address is the same as \
                    before:\nExample Trading K.K.\nAccounts Payable";
    for (a, b) in [(from, to), (to, from)] {
        let (first, last) = text_between(&page.text, a, b);
        assert_eq!(selected_text(&page.text[first..last]), expected);
    }
    // Nothing between a point and itself; a Japanese line selected whole.
    let (first, last) = text_between(&page.text, from, from);
    assert_eq!(first, last);
    let ja = render("ja-shift-jis.eml");
    let line = ja
        .text
        .iter()
        .find(|run| run.text.starts_with('平'))
        .expect("the first paragraph was drawn")
        .at;
    let (first, last) = text_between(
        &ja.text,
        (line.x, line.y + line.height / 2.0),
        (WIDTH as f32, line.y + line.height / 2.0),
    );
    assert_eq!(
        selected_text(&ja.text[first..last]),
        "平素より当社サービスをご利用いただき、誠にありがとうございます。"
    );
}

/// The dark theme's page: the white page near black, black text light, colours keeping their hue,
/// the inline logo's pixels untouched; at 1x and at a high-density screen's 2x.
#[test]
fn a_darkened_page_turns_light_to_dark_and_leaves_pictures_alone() {
    for scale in [1.0, 2.0] {
        darkened_at(scale);
    }
}

fn darkened_at(scale: f32) {
    let (html, inline) = body("outlook-table-signature.eml", "http://images.example.test");
    let mut request = request_for(&html, inline);
    request.darken = true;
    request.scale = scale;
    let page = engine().render(&request).expect("laid out");
    let dark = Page {
        tiles: page.dark_tiles.clone().expect("darkened tiles"),
        ..page.clone()
    };
    let everywhere = (0, 0, WIDTH, page.height);
    // The page's white, and the table header's pale blue turned dark blue.
    assert!(has_colour(&page, (0, 0, 4, 4), [255, 255, 255]));
    assert!(has_colour(&dark, (0, 0, 4, 4), [30, 30, 30]));
    assert!(!has_colour(&dark, everywhere, [0xD9, 0xE2, 0xF3]));
    let ink = |page: &Page| {
        pixels(page)
            .chunks_exact(4)
            .filter(|p| p[0] > 200 && p[1] > 200 && p[2] > 200)
            .count()
    };
    assert!(ink(&dark) > 500, "light text on the dark page");
    // The logo (a picture) keeps its colours: every pixel of them.
    let count = |page: &Page, rgb: [u8; 3]| {
        pixels(page)
            .chunks_exact(4)
            .filter(|p| p[..3] == rgb)
            .count()
    };
    for colour in [[20, 70, 140], [240, 180, 30]] {
        let light = count(&page, colour);
        assert!(light > 100, "{light} logo pixels of {colour:?} at {scale}x");
        assert_eq!(count(&dark, colour), light, "{colour:?} at {scale}x");
    }
    // The green of "+4.2%" stays a green.
    let greens = pixels(&dark)
        .chunks_exact(4)
        .filter(|p| {
            let [r, g, b] = [p[0], p[1], p[2]].map(u16::from);
            g > 120 && g > r + 40 && g > b + 40
        })
        .count();
    assert!(greens > 10, "{greens} green pixels at {scale}x");
}

/// At the window's scale factor (a high-density screen), the page is the same page: laid out in
/// the same logical pixels (links and words where they were), painted with twice the pixels each
/// way, and its text drawn at its size on the screen, not the 1x picture enlarged.
#[test]
fn a_high_density_page_is_the_same_page_painted_sharper() {
    let (html, inline) = body("gmail-reply.eml", "http://images.example.test");
    let single = engine()
        .render(&request_for(&html, inline.clone()))
        .expect("laid out");
    let mut request = request_for(&html, inline);
    request.scale = 2.0;
    let double = engine().render(&request).expect("laid out");
    assert_eq!((double.width, double.height), (single.width, single.height));
    assert_eq!(double.links, single.links);
    assert_eq!(double.text, single.text);
    assert_eq!(double.pixels_wide, 2 * single.pixels_wide);
    let rows = |page: &Page| page.tiles.iter().map(|tile| tile.height).sum::<u32>();
    assert_eq!(rows(&double), 2 * rows(&single));

    let (one, two) = (pixels(&single), pixels(&double));
    let (w1, w2) = (single.pixels_wide as usize, double.pixels_wide as usize);
    // Each 2x2 block averaged: the same picture, within the comparison's tolerance.
    let (_, _, shrunk) = half_size(double.pixels_wide, rows(&double), &two);
    let share = difference(&shrunk, &one).expect("same size");
    assert!(share <= TOLERANCE * 3.0, "{:.2} % differ", share * 100.0);
    // Each pixel doubled: what a 1x page enlarged would be. The 2x page is not that.
    let enlarged: Vec<u8> = (0..rows(&double) as usize)
        .flat_map(|y| (0..w2).map(move |x| (x, y)))
        .flat_map(|(x, y)| {
            let at = ((y / 2) * w1 + x / 2) * 4;
            one[at..at + 4].to_vec()
        })
        .collect();
    let share = difference(&enlarged, &two).expect("same size");
    assert!(share > TOLERANCE, "{:.2} % differ", share * 100.0);
    write_png(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("target/html-pages/gmail-reply-2x.png"),
        double.pixels_wide,
        rows(&double),
        &two,
    );
}

/// Buttons and bars as newsletters and signatures draw them: a gradient runs from its first
/// colour to its last, and a box with rounded corners (filled or outlined) leaves its corners to
/// the page.
#[test]
fn gradients_and_rounded_corners_are_drawn() {
    let page = engine()
        .render(&request_for(
            "<div style=\"width:200px;height:40px;background:linear-gradient(to right,#ff0000,#0000ff)\"></div>\
             <div style=\"margin-top:10px;width:100px;height:60px;background:#00aa00;border-radius:20px\"></div>\
             <div style=\"margin-top:10px;width:100px;height:60px;border:4px solid #000000;border-radius:16px\"></div>",
            Vec::new(),
        ))
        .expect("laid out");
    // body margin 8: the gradient at y 8..48, the green box at 58..118, the outlined one at
    // 128..196 (its border included).
    let pixel = |x: u32, y: u32| {
        let at = ((y * page.pixels_wide + x) * 4) as usize;
        let all = pixels(&page);
        [all[at], all[at + 1], all[at + 2]]
    };
    let (left, middle, right) = (pixel(10, 28), pixel(108, 28), pixel(205, 28));
    assert!(left[0] > 230 && left[2] < 25, "red at the start: {left:?}");
    assert!(
        right[2] > 230 && right[0] < 25,
        "blue at the end: {right:?}"
    );
    assert!(
        (100..160).contains(&middle[0]) && (100..160).contains(&middle[2]),
        "between them half way: {middle:?}"
    );
    assert_eq!(
        pixel(9, 59),
        [255, 255, 255],
        "the green box's corner is the page's"
    );
    assert_eq!(pixel(58, 88), [0, 0xaa, 0], "the green box's middle");
    assert_eq!(pixel(8 + 50, 58), [0, 0xaa, 0], "its straight top edge");
    assert_eq!(
        pixel(9, 129),
        [255, 255, 255],
        "the outlined box's corner is the page's"
    );
    assert_eq!(pixel(8 + 54, 129), [0, 0, 0], "its top edge is drawn");
    assert_eq!(pixel(8 + 54, 160), [255, 255, 255], "and its inside is not");
}
