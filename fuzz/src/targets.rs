//! The fuzz targets: one function per parser of outside input, calling Tayori's parsing and decoding
//! code directly (never through a `catch_unwind` fence), so that a panic is a crash the fuzzer sees.
//!
//! This file is shared: the fuzz crate (`fuzz/`) runs these functions under libFuzzer, and the main
//! crate's `tests/fuzz_corpus.rs` replays every file of `fuzz/corpus/<target>/` through them as an
//! ordinary test. It may use only what both crates have: `tayori` and the main crate's dependencies.

use std::borrow::Cow;

/// The HTML reader (sanitiser and renderer) lives in the desktop front end, outside the library.
#[cfg(feature = "gui")]
#[path = "../../src/ui/screen/mailbox/html.rs"]
#[allow(dead_code)]
pub mod html;

/// One fuzz target: its name (the corpus folder and the `TAYORI_FUZZ_TARGET` value) and function.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every target, in the order `fuzz/run.sh` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "mime",
        run: mime,
    },
    Target {
        name: "autoconfig",
        run: autoconfig,
    },
    Target {
        name: "autodiscover",
        run: autodiscover,
    },
    Target {
        name: "oauth_metadata",
        run: oauth_metadata,
    },
    Target {
        name: "oauth_token",
        run: oauth_token,
    },
    Target {
        name: "imap",
        run: imap,
    },
    Target {
        name: "smtp",
        run: smtp,
    },
    #[cfg(feature = "gui")]
    Target {
        name: "html",
        run: html_reader,
    },
    Target {
        name: "mailto",
        run: mailto,
    },
    Target {
        name: "settings_toml",
        run: settings_toml,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Bytes as the product turns a body into text before parsing it (lossily: a stray byte is not a
/// reason to drop a whole document).
fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A message as sync stores it and the reader shows it: decoded, its attachments' bytes, its thread.
pub fn mime(data: &[u8]) {
    let decoded = tayori::mime::decode(data);
    for index in 0..=decoded.attachments.len() {
        let bytes = tayori::mime::attachment_bytes(data, index);
        if index < decoded.attachments.len() {
            assert!(bytes.is_some(), "attachment {index} listed but not found");
        }
    }
    let _ = tayori::mime::thread_root(&decoded);
}

/// A Thunderbird autoconfig / ISPDB document, and what it offers for an address.
pub fn autoconfig(data: &[u8]) {
    if let Ok(config) = tayori::discovery::autoconfig::parse(&text(data)) {
        let _ = tayori::discovery::autoconfig::offer(&config, "someone@example.test");
        let _ = tayori::discovery::autoconfig::offer(&config, "名前@例え.jp");
    }
}

/// Exchange AutoDiscover: the v2 JSON answer and the v1 POX XML answer.
pub fn autodiscover(data: &[u8]) {
    let _ = tayori::discovery::autodiscover::parse_v2(data);
    let _ = tayori::discovery::autodiscover::parse_v1(&text(data), "someone@example.test");
}

/// Authorization server metadata (RFC 8414 / OIDC discovery) and the RFC 7628 bearer challenge a
/// mail server sends with a refusal.
pub fn oauth_metadata(data: &[u8]) {
    if let Ok(metadata) = serde_json::from_slice::<tayori::auth::metadata::ServerMetadata>(data) {
        use tayori::auth::metadata::{Binding, validate};
        let _ = tayori::auth::metadata::metadata_urls(&metadata.issuer);
        let _ = url::Url::parse(&metadata.authorization_endpoint);
        // Tayori's own checks: HTTPS endpoints, bound to the issuer's domain (or as configured).
        let _ = validate(
            metadata.clone(),
            Some(&metadata.issuer),
            Binding::AsConfigured,
        );
        let _ = validate(metadata, None, Binding::ToIssuer);
    }
    if let Some(failure) = tayori::auth::sasl::BearerFailure::parse(data)
        && let Some(configuration) = failure.openid_configuration
    {
        let _ = url::Url::parse(&configuration);
    }
}

/// A token endpoint's answer: tokens, or an error.
pub fn oauth_token(data: &[u8]) {
    use oauth2::TokenResponse;
    if let Ok(response) = serde_json::from_slice::<oauth2::basic::BasicTokenResponse>(data) {
        let _ = response.access_token().secret().len();
        let _ = response.refresh_token().map(|t| t.secret().len());
        let _ = response.expires_in();
        let _ = response.scopes();
    }
    let _ = serde_json::from_slice::<oauth2::basic::BasicErrorResponse>(data);
}

/// What an IMAP server sends, read as the sync engine reads it: async-imap's framing (literals,
/// partial reads) and imap-proto's parser, then each message body decoded as sync stores it.
pub fn imap(data: &[u8]) {
    use async_imap::imap_proto::{AttributeValue, MailboxDatum, Response};
    let stream = tokio::io::BufReader::with_capacity(
        // Small reads, as a slow network gives them: literals and lines arrive in pieces.
        64,
        std::io::Cursor::new(data.to_vec()),
    );
    let mut client = async_imap::Client::new(DuplexCursor(stream));
    futures::executor::block_on(async {
        // A bound on responses, as a timeout bounds a real session.
        for _ in 0..10_000 {
            let response = match client.read_response().await {
                Ok(Some(response)) => response,
                Ok(None) | Err(_) => break,
            };
            match response.parsed() {
                Response::Fetch(_, attributes) => {
                    for attribute in attributes {
                        match attribute {
                            AttributeValue::BodySection { data: Some(d), .. }
                            | AttributeValue::Rfc822(Some(d)) => {
                                let _ = tayori::mime::decode(d);
                            }
                            AttributeValue::InternalDate(date) => {
                                let _ = date.len();
                            }
                            _ => {}
                        }
                    }
                }
                Response::MailboxData(MailboxDatum::List(list)) => {
                    let _ = (list.name.len(), list.name_attributes.len());
                }
                _ => {}
            }
        }
    });
}

/// A read-only stream for async-imap's client (which also wants to write; writes go nowhere).
#[derive(Debug)]
struct DuplexCursor(tokio::io::BufReader<std::io::Cursor<Vec<u8>>>);

impl tokio::io::AsyncRead for DuplexCursor {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for DuplexCursor {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// An SMTP reply as lettre parses it, then put in plain words for the person.
pub fn smtp(data: &[u8]) {
    let reply = text(data);
    if let Ok(response) = reply.parse::<lettre::transport::smtp::response::Response>() {
        let words = response.message().collect::<Vec<_>>().join(" ");
        let _ = tayori::outbox::reason::plain_words(&words, tayori::i18n::Lang::Ja);
    }
    let _ = tayori::outbox::reason::plain_words(&reply, tayori::i18n::Lang::En);
}

/// An HTML body as the reader shows it: sanitised, turned into pieces, its links sorted.
#[cfg(feature = "gui")]
pub fn html_reader(data: &[u8]) {
    let body = text(data);
    // The sanitiser for the layout engine, and its marking of links and images; then the engine
    // (litehtml, C++) laying out what the sanitiser let through.
    if let Ok(laid) = html::sanitize_for_layout(&body) {
        for (n, href) in laid.links.iter().enumerate() {
            assert!(
                laid.html.contains(&format!("id=\"tayori-link-{n}\"")),
                "{href}"
            );
        }
        layout::lay_out(&laid.html);
    }
    let rendered = html::render(&body);
    for piece in &rendered.pieces {
        if let Some(href) = &piece.link {
            let shown = rendered.link_text(href);
            if let html::LinkTarget::Web(url) = html::link_target(href) {
                let _ = html::deceptive_hosts(&shown, &url);
            }
        }
    }
}

/// litehtml over sanitised HTML, with a container that measures text by its characters and draws
/// nothing: what is fuzzed is the engine's parsing, styling and layout (a crash there is a signal
/// the fuzzer reports; the reader's own painter is tested with the corpus in the desktop crate).
#[cfg(feature = "gui")]
mod layout {
    use litehtml::{
        Color, DocumentContainer, DrawContext, FontDescription, FontHandle, FontMetrics,
        MediaFeatures, MediaType, Position,
    };

    struct Measuring {
        next_font: usize,
        fonts: std::collections::HashMap<usize, f32>,
    }

    impl DocumentContainer for Measuring {
        fn create_font(&mut self, descr: &FontDescription) -> (FontHandle, FontMetrics) {
            let size = descr.size().clamp(1.0, 1000.0);
            self.next_font += 1;
            self.fonts.insert(self.next_font, size);
            let metrics = FontMetrics {
                font_size: size,
                height: (size * 1.2).ceil(),
                ascent: size.round(),
                descent: (size * 0.2).ceil(),
                x_height: size * 0.5,
                ch_width: size * 0.5,
                draw_spaces: true,
                sub_shift: size * 0.3,
                super_shift: size * 0.4,
            };
            (FontHandle(self.next_font), metrics)
        }

        fn delete_font(&mut self, font: FontHandle) {
            self.fonts.remove(&font.0);
        }

        fn text_width(&self, text: &str, font: FontHandle) -> f32 {
            let size = self.fonts.get(&font.0).copied().unwrap_or(16.0);
            text.chars().count() as f32 * size * 0.5
        }

        fn draw_text(
            &mut self,
            _hdc: DrawContext,
            _text: &str,
            _font: FontHandle,
            _color: Color,
            _pos: Position,
        ) {
        }

        fn get_viewport(&self) -> Position {
            Position {
                x: 0.0,
                y: 0.0,
                width: 640.0,
                height: 800.0,
            }
        }

        fn get_media_features(&self) -> MediaFeatures {
            MediaFeatures {
                media_type: MediaType::Screen,
                width: 640.0,
                height: 800.0,
                device_width: 640.0,
                device_height: 800.0,
                color: 8,
                color_index: 0,
                monochrome: 0,
                resolution: 96.0,
            }
        }
    }

    pub fn lay_out(html: &str) {
        let mut container = Measuring {
            next_font: 0,
            fonts: std::collections::HashMap::new(),
        };
        if let Ok(mut document) = litehtml::Document::from_html(html, &mut container, None, None) {
            let _ = document.render(640.0);
            document.draw(DrawContext(0), 0.0, 0.0, None);
        }
    }
}

/// A `mailto:` link handed over by the desktop (from any web page).
pub fn mailto(data: &[u8]) {
    if let Ok(link) = tayori::mailto::parse(&text(data)) {
        // Only the body may hold line breaks: anything else would inject a header.
        let headers = [&link.subject, &link.in_reply_to].into_iter().flatten();
        let addresses = link.to.iter().chain(&link.cc).chain(&link.bcc);
        for field in headers.chain(addresses) {
            assert!(
                !field.contains(['\r', '\n']),
                "a header field kept a line break: {field:?}"
            );
        }
    }
}

/// The settings file and the administrator's policy file.
pub fn settings_toml(data: &[u8]) {
    let source = text(data);
    let _ = toml::from_str::<tayori::config::Settings>(&source);
    if let Ok(policy) = toml::from_str::<tayori::discovery::policy::Policy>(&source)
        && let Some(provider) = policy.for_domain("example.test")
    {
        let _ = provider.endpoints("someone@example.test");
        let _ = provider.sign_in();
    }
}
