//! An OAuth 2.0 token endpoint (RFC 6749 §5) over HTTPS that answers every refresh in one hostile
//! way: an error whose text is huge and full of terminal control sequences, an answer of 10 MB, or
//! an `expires_in` no clock can add.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// `400 invalid_grant` with a 10 MB `error_description` that holds line breaks and ANSI escape
    /// sequences (which, printed raw, rewrite what a terminal shows).
    HugeErrorDescription,
    /// `200` with a 10 MB JSON body.
    HugeAnswer,
    /// A valid token whose `expires_in` is 2^64 − 1 seconds.
    ExpiresInOverflow,
    /// An outage of the sign-in service: `503` with `temporarily_unavailable` (RFC 6749 §4.1.2.1's
    /// code, which token endpoints answer too), as Entra says it with AADSTS90033.
    Outage,
}

/// What the outage says.
pub const OUTAGE_DESCRIPTION: &str =
    "AADSTS90033: A transient error has occurred. Please try again.";

/// The start of the hostile `error_description`, which a person may be shown (bounded).
pub const DESCRIPTION_START: &str = "AADSTS70000: The provided grant has expired";

pub struct Server {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/token", self.port)
    }
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn body(misbehaviour: Misbehaviour) -> (u16, Vec<u8>) {
    match misbehaviour {
        Misbehaviour::HugeErrorDescription => {
            let mut description = String::from(DESCRIPTION_START);
            // A terminal escape that would clear the screen and fake a success line, then bulk.
            description.push_str("\\u001b[2J\\u001b[H\\r\\nSent. Everything is fine.\\r\\n");
            while description.len() < 10 * 1024 * 1024 {
                description.push_str("padding padding padding padding padding padding\\n");
            }
            (
                400,
                format!(r#"{{"error":"invalid_grant","error_description":"{description}"}}"#)
                    .into_bytes(),
            )
        }
        Misbehaviour::HugeAnswer => {
            let padding = "x".repeat(10 * 1024 * 1024);
            (
                200,
                format!(
                    r#"{{"access_token":"at","token_type":"Bearer","expires_in":3600,"padding":"{padding}"}}"#
                )
                .into_bytes(),
            )
        }
        Misbehaviour::Outage => (
            503,
            format!(
                r#"{{"error":"temporarily_unavailable","error_description":"{OUTAGE_DESCRIPTION}"}}"#
            )
            .into_bytes(),
        ),
        Misbehaviour::ExpiresInOverflow => (
            200,
            br#"{"access_token":"hostile-access-token","token_type":"Bearer","expires_in":18446744073709551615}"#
                .to_vec(),
        ),
    }
}

pub async fn start(misbehaviour: Misbehaviour) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let acceptor = super::tls_acceptor();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut stream = BufReader::new(tls);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut request = vec![0u8; length.min(1 << 20)];
                if stream.read_exact(&mut request).await.is_err() {
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let (status, body) = body(misbehaviour);
                let reason = match status {
                    200 => "OK",
                    503 => "Service Unavailable",
                    _ => "Bad Request",
                };
                let head = format!(
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Server {
        port,
        requests,
        task,
    }
}
