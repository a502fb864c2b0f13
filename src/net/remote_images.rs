//! Remote images in a message, fetched only after the person asked ("Load remote images"):
//! through Tayori's own HTTP client ([`Http`]: no cookies, no referrer, no credentials, the
//! person's proxy, bodies capped), a few at a time, and recorded in the connection record as
//! "Remote image" ([`crate::connections::note_remote_images`]).

use futures::StreamExt;
use url::Url;

use super::http::Http;

/// The most images loaded for one message; a newsletter has a few dozen.
pub const MAX_IMAGES: usize = 64;

/// Requests at once.
const AT_ONCE: usize = 4;

/// What loading a message's remote images gave.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Each image that came: its address as the message wrote it, and its bytes.
    pub images: Vec<(String, Vec<u8>)>,
    /// Addresses that could not be loaded (refused, not an image, too large, unreachable).
    pub failed: usize,
    /// The addresses asked for (http and https only), for the connection record.
    pub asked: Vec<Url>,
}

/// Fetches `urls` (http and https only, the first [`MAX_IMAGES`]).
pub async fn fetch(http: &Http, urls: &[String]) -> Loaded {
    let asked: Vec<(String, Url)> = urls
        .iter()
        .filter_map(|written| {
            let url = Url::parse(written.trim()).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| (written.clone(), url))
        })
        .take(MAX_IMAGES)
        .collect();
    let results: Vec<(String, Option<Vec<u8>>)> = futures::stream::iter(asked.clone())
        .map(|(written, url)| async move {
            let host = url.host_str().unwrap_or_default().to_owned();
            match http.get(url).await {
                Ok(fetched) if is_image(fetched.content_type.as_deref(), &fetched.body) => {
                    (written, Some(fetched.body))
                }
                Ok(_) => {
                    tracing::debug!(%host, "a remote image's answer is not an image");
                    (written, None)
                }
                Err(error) => {
                    tracing::debug!(%host, reason = %error.reason(), "a remote image did not load");
                    (written, None)
                }
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let mut loaded = Loaded {
        asked: asked.into_iter().map(|(_, url)| url).collect(),
        ..Loaded::default()
    };
    for (written, body) in results {
        match body {
            Some(bytes) => loaded.images.push((written, bytes)),
            None => loaded.failed += 1,
        }
    }
    loaded
}

/// An image by its declared type, or by its first bytes (servers often say octet-stream).
fn is_image(content_type: Option<&str>, body: &[u8]) -> bool {
    let declared =
        content_type.is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("image/"));
    let sniffed = body.starts_with(b"\x89PNG")
        || body.starts_with(b"\xff\xd8\xff")
        || body.starts_with(b"GIF8")
        || (body.len() > 12 && &body[..4] == b"RIFF" && &body[8..12] == b"WEBP");
    declared || sniffed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_known_by_its_type_or_its_first_bytes() {
        assert!(is_image(Some("image/png"), b""));
        assert!(is_image(
            Some("application/octet-stream"),
            b"\x89PNG\r\n\x1a\n"
        ));
        assert!(is_image(None, b"GIF89a"));
        assert!(!is_image(Some("text/html"), b"<html>"));
    }
}
