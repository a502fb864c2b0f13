//! One HTTP client for everything Tayori fetches (discovery documents, OAuth metadata): rustls with the
//! platform trust store, names resolved through [`Dns`], no cookies, never any credentials, bodies capped,
//! redirects followed by hand so every hop can be checked (count, https→http downgrade, and — by the
//! caller — which domain the answer finally came from).

use std::time::Duration;

use thiserror::Error;
use url::Url;

use super::dns::Dns;
use super::{NetError, tls_client_config};

/// Bodies larger than this are refused: no discovery document is anywhere near it.
pub const MAX_BODY: usize = 1024 * 1024;
/// Redirect hops followed before giving up.
pub const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Clone, Error)]
pub enum HttpError {
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} sent more than {limit} bytes; refused")]
    TooLarge { url: String, limit: usize },
    #[error("more than {MAX_REDIRECTS} redirects starting at {url}")]
    TooManyRedirects { url: String },
    #[error("{from} redirected to the unencrypted {to}; refused")]
    Downgrade { from: String, to: String },
    #[error("{url} redirected to an invalid location")]
    BadRedirect { url: String },
    #[error("{url} did not answer in time")]
    Timeout { url: String },
    #[error("could not reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

impl HttpError {
    /// What went wrong without the URL, for places that show the URL already (the discovery trace).
    pub fn reason(&self) -> String {
        match self {
            HttpError::Status { status, .. } => format!("HTTP {status}"),
            HttpError::TooLarge { limit, .. } => {
                format!("answer larger than {limit} bytes; refused")
            }
            HttpError::TooManyRedirects { .. } => format!("more than {MAX_REDIRECTS} redirects"),
            HttpError::Downgrade { to, .. } => {
                format!("redirected to the unencrypted {to}; refused")
            }
            HttpError::BadRedirect { .. } => "redirected to an invalid location".into(),
            HttpError::Timeout { .. } => "no answer in time".into(),
            HttpError::Unreachable { reason, .. } => reason.clone(),
        }
    }
}

/// A response that ended in 2xx, with the path that led to it.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Every URL visited, the requested one first and the one that answered last.
    pub hops: Vec<Url>,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn final_url(&self) -> &Url {
        self.hops.last().expect("at least the requested URL")
    }
}

#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
}

impl Http {
    pub fn new(dns: Dns, timeout: Duration) -> Result<Self, NetError> {
        let tls = (*tls_client_config()?).clone();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .dns_resolver(std::sync::Arc::new(dns))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(crate::user_agent())
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .build()
            .map_err(|e| NetError::TrustStore(e.to_string()))?;
        Ok(Self { client })
    }

    /// The underlying client (redirects off, no cookies), for the OAuth library's token requests.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// GET, following redirects by hand.
    pub async fn get(&self, url: Url) -> Result<Fetched, HttpError> {
        self.fetch(url, None).await
    }

    /// POST a body (AutoDiscover v1 asks with an XML POST); redirects re-POST, as Outlook does.
    pub async fn post(
        &self,
        url: Url,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Fetched, HttpError> {
        self.fetch(url, Some((content_type.to_owned(), body))).await
    }

    /// One GET without following: the `Location` of a redirect, or `None` when the answer is not one.
    pub async fn redirect_target(&self, url: Url) -> Result<Option<Url>, HttpError> {
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| classify(&url, &e))?;
        if !response.status().is_redirection() {
            return Ok(None);
        }
        response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| url.join(location).ok())
            .map(Some)
            .ok_or_else(|| HttpError::BadRedirect {
                url: url.to_string(),
            })
    }

    async fn fetch(&self, url: Url, post: Option<(String, Vec<u8>)>) -> Result<Fetched, HttpError> {
        let mut hops = vec![url];
        loop {
            let current = hops.last().expect("non-empty").clone();
            let request = match &post {
                Some((content_type, body)) => self
                    .client
                    .post(current.clone())
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(body.clone()),
                None => self.client.get(current.clone()),
            };
            let mut response = request.send().await.map_err(|e| classify(&current, &e))?;
            let status = response.status();
            if status.is_redirection() {
                if hops.len() > MAX_REDIRECTS {
                    return Err(HttpError::TooManyRedirects {
                        url: hops[0].to_string(),
                    });
                }
                let next = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|location| current.join(location).ok())
                    .filter(|next| matches!(next.scheme(), "http" | "https"))
                    .ok_or_else(|| HttpError::BadRedirect {
                        url: current.to_string(),
                    })?;
                if current.scheme() == "https" && next.scheme() == "http" {
                    return Err(HttpError::Downgrade {
                        from: current.to_string(),
                        to: next.to_string(),
                    });
                }
                hops.push(next);
                continue;
            }
            if !status.is_success() {
                return Err(HttpError::Status {
                    url: current.to_string(),
                    status: status.as_u16(),
                });
            }
            if response
                .content_length()
                .is_some_and(|len| len > MAX_BODY as u64)
            {
                return Err(HttpError::TooLarge {
                    url: current.to_string(),
                    limit: MAX_BODY,
                });
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| classify(&current, &e))? {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(HttpError::TooLarge {
                        url: current.to_string(),
                        limit: MAX_BODY,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(Fetched {
                hops,
                status: status.as_u16(),
                content_type,
                body,
            });
        }
    }
}

/// Reads at most `limit` bytes of an answer that came outside [`Http::get`]/[`Http::post`] (a
/// JSON POST to a sign-in service); `Err` names the cause, and says so when the answer was larger.
pub async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(format!(
            "the answer was larger than {} KiB; not read",
            limit / 1024
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| root_cause(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(format!(
                "the answer was larger than {} KiB; not read",
                limit / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn classify(url: &Url, error: &reqwest::Error) -> HttpError {
    if error.is_timeout() {
        return HttpError::Timeout {
            url: url.to_string(),
        };
    }
    HttpError::Unreachable {
        url: url.to_string(),
        reason: root_cause(error),
    }
}

/// The innermost cause: reqwest's outer messages only repeat the URL ("error sending request for
/// url …: client error (Connect)"), the last one says what happened ("certificate not trusted",
/// "connection refused", "… does not exist in DNS").
pub fn root_cause(error: &dyn std::error::Error) -> String {
    let mut deepest = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        deepest = inner.to_string();
        source = inner.source();
    }
    deepest
}

/// "outer: inner: innermost" — reqwest's own message alone rarely says what went wrong.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A tiny plain-HTTP server on loopback answering each connection with the next canned reply.
    async fn serve(replies: Vec<String>) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = tokio::spawn(async move {
            let mut requests = Vec::new();
            for reply in replies {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap();
                requests.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                socket
                    .write_all(reply.replace("{port}", &port.to_string()).as_bytes())
                    .await
                    .unwrap();
                let _ = socket.shutdown().await;
            }
            requests
        });
        (port, handle)
    }

    fn http() -> Http {
        Http::new(
            Dns::new(None, Duration::from_secs(2)).unwrap(),
            Duration::from_secs(2),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn redirects_are_followed_and_recorded_without_credentials() {
        let (port, server) = serve(vec![
            "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n".into(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5\r\n\r\n<ok/>".into(),
        ])
        .await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/start")).unwrap();
        let fetched = http().get(url).await.unwrap();
        assert_eq!(fetched.body, b"<ok/>");
        assert_eq!(fetched.hops.len(), 2);
        assert_eq!(fetched.final_url().path(), "/next");
        for request in server.await.unwrap() {
            let lower = request.to_ascii_lowercase();
            assert!(
                !lower.contains("authorization:") && !lower.contains("cookie:"),
                "{request}"
            );
            assert!(lower.contains("user-agent: tayori/"), "{request}");
        }
    }

    #[tokio::test]
    async fn bodies_over_the_cap_are_refused() {
        let big = "x".repeat(MAX_BODY + 10);
        let (port, _server) = serve(vec![format!(
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{big}"
        )])
        .await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/big")).unwrap();
        assert!(matches!(
            http().get(url).await,
            Err(HttpError::TooLarge { .. })
        ));
    }

    #[tokio::test]
    async fn endless_redirects_stop() {
        let loop_reply =
            "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n".to_string();
        let (port, _server) = serve(vec![loop_reply; MAX_REDIRECTS + 2]).await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/again")).unwrap();
        assert!(matches!(
            http().get(url).await,
            Err(HttpError::TooManyRedirects { .. })
        ));
    }

    #[tokio::test]
    async fn error_statuses_are_errors() {
        let (port, _server) = serve(vec![
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".into(),
        ])
        .await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/missing")).unwrap();
        assert!(matches!(
            http().get(url).await,
            Err(HttpError::Status { status: 404, .. })
        ));
    }
}
