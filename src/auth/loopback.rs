//! The loopback redirect listener of a native app (RFC 8252 §7.3): bound to 127.0.0.1 only, on a
//! port the OS picks, for the one request that carries the authorization response. It checks `state`
//! and, where the server promises it, the RFC 9207 `iss`. A refused or forged answer gets a small
//! bilingual error page at once; a good one is answered only when Tayori knows the outcome
//! ([`BrowserPage`]): "signed in" once the account works and is saved, otherwise "return to Tayori".

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::pkce::constant_time_eq;

/// The path of the redirect URI.
pub const CALLBACK_PATH: &str = "/";
/// Largest request the listener reads; a real redirect is far smaller.
const MAX_REQUEST: usize = 16 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallbackError {
    #[error(
        "no answer from the browser within {0} seconds. Sign in again and finish in the browser window that opens."
    )]
    TimedOut(u64),
    #[error("sign-in was cancelled")]
    Cancelled,
    #[error(
        "the answer that came back does not belong to this sign-in (state mismatch); nothing was used. Sign in again."
    )]
    StateMismatch,
    #[error(
        "the answer came from a different sign-in service than the one asked (iss {got:?}, expected {expected}); nothing was used."
    )]
    IssuerMismatch {
        expected: String,
        got: Option<String>,
    },
    #[error("the sign-in service answered: {error}{}", description.as_deref().map(|d| format!(" — {d}")).unwrap_or_default())]
    Provider {
        error: String,
        description: Option<String>,
    },
    #[error("the sign-in service sent no authorization code")]
    NoCode,
    #[error("could not listen for the browser's answer: {0}")]
    Listen(String),
}

/// What the provider sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub code: crate::redact::Secret,
    pub iss: Option<String>,
}

/// A bound listener, not yet waiting.
pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    /// Binds 127.0.0.1 on a random free port. Never `0.0.0.0`, never `localhost` (which may resolve
    /// to another interface or to IPv6 only).
    pub async fn bind() -> Result<Self, CallbackError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| CallbackError::Listen(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| CallbackError::Listen(e.to_string()))?
            .port();
        Ok(Self { listener, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>/`
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Waits for the redirect. Requests for other paths (a browser's favicon fetch) get 404 and do not
    /// count; the first request to the callback path that carries this sign-in's `state` ends the
    /// wait, and the listener closes. `cancel` ends the wait early (the person pressed Cancel).
    ///
    /// Any program on the machine can connect here, so connections are read side by side (one
    /// that says nothing holds up no other, and is dropped after [`READ_TIMEOUT`]), and an answer
    /// without this sign-in's `state` is refused with an error page but does not end the wait: a
    /// forged redirect can neither stop nor stall the sign-in.
    pub async fn wait(
        self,
        expected_state: &str,
        expected_issuer: Option<&str>,
        issuer_must_be_present: bool,
        timeout: Duration,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<(AuthorizationResponse, BrowserPage), CallbackError> {
        use futures::StreamExt;
        let forged_seen = std::sync::atomic::AtomicBool::new(false);
        let accept_loop = async {
            let mut reading = futures::stream::FuturesUnordered::new();
            loop {
                tokio::select! {
                    accepted = self.listener.accept() => {
                        // Beyond this many at once, a connection is closed unread.
                        if let Ok((stream, _)) = accepted
                            && reading.len() < MAX_CONNECTIONS
                        {
                            reading.push(handle(
                                stream,
                                expected_state,
                                expected_issuer,
                                issuer_must_be_present,
                            ));
                        }
                    }
                    Some(handled) = reading.next(), if !reading.is_empty() => match handled {
                        Handled::NotTheCallback => {}
                        Handled::NotThisSignIn => forged_seen.store(true, Ordering::Relaxed),
                        Handled::Done(result) => return result,
                    },
                }
            }
        };
        tokio::select! {
            result = accept_loop => result,
            _ = tokio::time::sleep(timeout) => Err(if forged_seen.load(Ordering::Relaxed) {
                // Only answers for another sign-in came (an old browser tab, or a forgery).
                CallbackError::StateMismatch
            } else {
                CallbackError::TimedOut(timeout.as_secs())
            }),
            _ = cancel => Err(CallbackError::Cancelled),
        }
    }
}

/// How many connections the listener reads at once.
const MAX_CONNECTIONS: usize = 256;

enum Handled {
    NotTheCallback,
    /// A redirect without this sign-in's `state`: answered with an error page, not counted.
    NotThisSignIn,
    Done(Result<(AuthorizationResponse, BrowserPage), CallbackError>),
}

/// The browser's request for the redirect, not answered yet: the person's browser shows a loading
/// page until Tayori knows whether the account works. Dropped unanswered, it tells the person to go
/// back to Tayori (which shows what happened).
pub struct BrowserPage {
    stream: Option<TcpStream>,
}

impl BrowserPage {
    /// "You are signed in" — only once the account was verified and saved.
    pub async fn signed_in(mut self) {
        self.answer(PageKind::Done).await;
    }

    /// "Sign-in could not be completed; return to Tayori."
    pub async fn failed(mut self) {
        self.answer(PageKind::Error).await;
    }

    /// "Return to Tayori", where the window itself shows the outcome.
    pub async fn return_to_tayori(mut self) {
        self.answer(PageKind::ReturnToTayori).await;
    }

    async fn answer(&mut self, kind: PageKind) {
        if let Some(mut stream) = self.stream.take() {
            respond(&mut stream, 200, &page(kind)).await;
        }
    }
}

impl std::fmt::Debug for BrowserPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.stream.is_some() {
            "BrowserPage(waiting)"
        } else {
            "BrowserPage(answered)"
        })
    }
}

impl Drop for BrowserPage {
    fn drop(&mut self) {
        // No runtime is needed: a few hundred bytes to a local socket, written blocking.
        if let Some(stream) = self.stream.take()
            && let Ok(mut stream) = stream.into_std()
            && stream.set_nonblocking(false).is_ok()
        {
            use std::io::Write;
            let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(response(200, &page(PageKind::ReturnToTayori)).as_bytes());
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

async fn read_request_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 || head.len() + n > MAX_REQUEST {
                return None;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Some(())
    };
    tokio::time::timeout(READ_TIMEOUT, read).await.ok()??;
    Some(String::from_utf8_lossy(&head).into_owned())
}

async fn handle(
    mut stream: TcpStream,
    expected_state: &str,
    expected_issuer: Option<&str>,
    issuer_must_be_present: bool,
) -> Handled {
    let Some(head) = read_request_head(&mut stream).await else {
        return Handled::NotTheCallback;
    };
    let mut words = head.split_whitespace();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return Handled::NotTheCallback;
    };
    let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
        respond(&mut stream, 400, &page(PageKind::Error)).await;
        return Handled::NotTheCallback;
    };
    if method != "GET" || url.path() != CALLBACK_PATH {
        respond(&mut stream, 404, "").await;
        return Handled::NotTheCallback;
    }
    let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let result = check(
        &params,
        expected_state,
        expected_issuer,
        issuer_must_be_present,
    );
    match result {
        Ok(response) => Handled::Done(Ok((
            response,
            BrowserPage {
                stream: Some(stream),
            },
        ))),
        Err(CallbackError::StateMismatch) => {
            respond(&mut stream, 200, &page(PageKind::Error)).await;
            Handled::NotThisSignIn
        }
        Err(error) => {
            respond(&mut stream, 200, &page(PageKind::Error)).await;
            Handled::Done(Err(error))
        }
    }
}

fn check(
    params: &HashMap<String, String>,
    expected_state: &str,
    expected_issuer: Option<&str>,
    issuer_must_be_present: bool,
) -> Result<AuthorizationResponse, CallbackError> {
    // The state check comes first: an answer to someone else's request is not even read further.
    match params.get("state") {
        Some(state) if constant_time_eq(state, expected_state) => {}
        _ => return Err(CallbackError::StateMismatch),
    }
    let iss = params.get("iss").cloned();
    if let Some(expected) = expected_issuer {
        match &iss {
            Some(got) if got == expected => {}
            None if !issuer_must_be_present => {}
            _ => {
                return Err(CallbackError::IssuerMismatch {
                    expected: expected.to_owned(),
                    got: iss,
                });
            }
        }
    }
    if let Some(error) = params.get("error") {
        // The words come from the redirect's query: bounded and escaped before they are shown.
        return Err(CallbackError::Provider {
            error: crate::redact::server_text(error, 80),
            description: params
                .get("error_description")
                .map(|d| crate::redact::server_words(d, crate::redact::SERVER_TEXT_CHARS)),
        });
    }
    let code = params
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::NoCode)?;
    Ok(AuthorizationResponse {
        code: crate::redact::Secret::new(code.clone()),
        iss,
    })
}

enum PageKind {
    Done,
    Error,
    ReturnToTayori,
}

fn page(kind: PageKind) -> String {
    let (ja, en) = match kind {
        PageKind::Done => (
            "サインインが完了しました。このウィンドウを閉じて Tayori に戻ってください。",
            "You are signed in. You can close this window and return to Tayori.",
        ),
        PageKind::Error => (
            "サインインを完了できませんでした。Tayori に戻って、表示された内容をご確認ください。",
            "Sign-in could not be completed. Return to Tayori to see what happened.",
        ),
        PageKind::ReturnToTayori => (
            "ブラウザーでの手続きは終わりました。Tayori に戻って結果をご確認ください。",
            "You are done in the browser. Return to Tayori to see whether your account is ready.",
        ),
    };
    format!(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>Tayori</title>\
         <style>body{{font-family:sans-serif;max-width:36em;margin:4em auto;line-height:1.6}}</style></head>\
         <body><h1>Tayori（便り）</h1><p lang=\"ja\">{ja}</p><p lang=\"en\">{en}</p></body></html>"
    )
}

async fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    let _ = stream.write_all(response(status, body).as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn response(status: u16, body: &str) -> String {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Cache-Control: no-store\r\n\
         Pragma: no-cache\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Referrer-Policy: no-referrer\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(port: u16, target: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream
            .write_all(format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    fn never() -> impl std::future::Future<Output = ()> {
        std::future::pending()
    }

    #[tokio::test]
    async fn a_good_callback_yields_the_code_and_the_page_waits_for_the_outcome() {
        for signed_in in [true, false] {
            let loopback = Loopback::bind().await.unwrap();
            let port = loopback.port();
            assert!(loopback.redirect_uri().starts_with("http://127.0.0.1:"));
            let waiter = tokio::spawn(async move {
                let (response, page) = loopback
                    .wait(
                        "st4te",
                        Some("https://idp.test"),
                        true,
                        Duration::from_secs(5),
                        never(),
                    )
                    .await?;
                if signed_in {
                    page.signed_in().await;
                } // else dropped: the account did not work
                Ok::<_, CallbackError>(response)
            });
            let favicon = get(port, "/favicon.ico").await;
            assert!(
                favicon.starts_with("HTTP/1.1 404"),
                "other paths do not count: {favicon}"
            );
            let page = get(port, "/?code=c0de&state=st4te&iss=https%3A%2F%2Fidp.test").await;
            assert!(page.starts_with("HTTP/1.1 200"));
            assert!(
                page.contains("Cache-Control: no-store")
                    && page.contains("Content-Security-Policy: default-src 'none'")
            );
            assert_eq!(
                page.contains("You are signed in") && page.contains("閉じて"),
                signed_in,
                "{page}"
            );
            if !signed_in {
                assert!(page.contains("Return to Tayori"), "{page}");
            }
            let response = waiter.await.unwrap().unwrap();
            assert_eq!(response.code.expose(), "c0de");
            // One request only: the listener is gone.
            assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
        }
    }

    #[tokio::test]
    async fn wrong_state_and_wrong_issuer_are_rejected() {
        for (query, expected) in [
            (
                "/?code=x&state=other&iss=https%3A%2F%2Fidp.test",
                CallbackError::StateMismatch,
            ),
            (
                "/?code=x&iss=https%3A%2F%2Fidp.test",
                CallbackError::StateMismatch,
            ),
            (
                "/?code=x&state=s&iss=https%3A%2F%2Fevil.test",
                CallbackError::IssuerMismatch {
                    expected: "https://idp.test".into(),
                    got: Some("https://evil.test".into()),
                },
            ),
            (
                "/?code=x&state=s",
                CallbackError::IssuerMismatch {
                    expected: "https://idp.test".into(),
                    got: None,
                },
            ),
            (
                // Entra lays its text out in lines ("…\r\nTrace ID: …"): spaces, never a
                // literal "\r\n" in what the person reads.
                "/?error=access_denied&error_description=AADSTS65001%3A%20Not%20consented.%0D%0ATrace%20ID%3A%201&state=s&iss=https%3A%2F%2Fidp.test",
                CallbackError::Provider {
                    error: "access_denied".into(),
                    description: Some("AADSTS65001: Not consented. Trace ID: 1".into()),
                },
            ),
        ] {
            let loopback = Loopback::bind().await.unwrap();
            let port = loopback.port();
            // An answer for another sign-in does not end the wait: it is reported when the wait
            // ends without the right one.
            let wait = if expected == CallbackError::StateMismatch {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(5)
            };
            let waiter = tokio::spawn(async move {
                loopback
                    .wait("s", Some("https://idp.test"), true, wait, never())
                    .await
            });
            let page = get(port, query).await;
            assert!(page.contains("could not be completed"), "{page}");
            assert_eq!(waiter.await.unwrap().unwrap_err(), expected, "{query}");
        }
    }

    #[tokio::test]
    async fn silent_connections_and_forged_answers_neither_stall_nor_end_the_wait() {
        let loopback = Loopback::bind().await.unwrap();
        let port = loopback.port();
        let started = std::time::Instant::now();
        let waiter = tokio::spawn(async move {
            loopback
                .wait("s", None, false, Duration::from_secs(30), never())
                .await
        });
        let mut silent = Vec::new();
        for _ in 0..8 {
            silent.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        }
        let forged = get(port, "/?code=forged&state=guess").await;
        assert!(forged.contains("could not be completed"), "{forged}");
        let real = tokio::spawn(get(port, "/?code=real&state=s"));
        let (response, page) = waiter.await.unwrap().unwrap();
        assert_eq!(response.code.expose(), "real");
        assert!(
            started.elapsed() < READ_TIMEOUT,
            "held up for {:?}",
            started.elapsed()
        );
        drop(page);
        real.await.unwrap();
        drop(silent);
    }

    #[tokio::test]
    async fn the_listener_is_on_127_0_0_1_only() {
        let loopback = Loopback::bind().await.unwrap();
        let port = loopback.port();
        for other in ["127.0.0.2", "[::1]"] {
            let addr: SocketAddr = format!("{other}:{port}").parse().unwrap();
            assert!(
                TcpStream::connect(addr).await.is_err(),
                "{other} must be refused"
            );
        }
        drop(loopback);
    }

    #[tokio::test]
    async fn timeout_and_cancel_end_the_wait() {
        let loopback = Loopback::bind().await.unwrap();
        let err = loopback
            .wait("s", None, false, Duration::from_millis(50), never())
            .await
            .unwrap_err();
        assert_eq!(err, CallbackError::TimedOut(0));
        let loopback = Loopback::bind().await.unwrap();
        let err = loopback
            .wait("s", None, false, Duration::from_secs(5), async {})
            .await
            .unwrap_err();
        assert_eq!(err, CallbackError::Cancelled);
    }
}
