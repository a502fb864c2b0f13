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
    /// A device sign-in (RFC 8628) during a flaky moment of the service: the device authorization
    /// endpoint (`…/devicecode`) answers a code; then the polls are answered, in turn, the outage
    /// above, `authorization_pending`, a `502` with an HTML page (a gateway's error), and finally the
    /// tokens (the person finished on their phone meanwhile).
    DeviceFlowWithOutages,
}

/// The code [`Misbehaviour::DeviceFlowWithOutages`] gives the person to type.
pub const DEVICE_USER_CODE: &str = "HSTLC0DE9";

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

/// The answer to a request for `path`, the `n`th request (from 1) the server has had.
fn body(misbehaviour: Misbehaviour, path: &str, n: usize) -> (u16, Vec<u8>) {
    match misbehaviour {
        Misbehaviour::DeviceFlowWithOutages if path.ends_with("/devicecode") => (
            200,
            format!(
                r#"{{"device_code":"hostile-device-code","user_code":"{DEVICE_USER_CODE}","verification_uri":"https://microsoft.com/devicelogin","expires_in":120,"interval":1,"message":"To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code {DEVICE_USER_CODE} to authenticate."}}"#
            )
            .into_bytes(),
        ),
        // Request 1 was the device authorization; 2, 3, 4 the failing polls.
        Misbehaviour::DeviceFlowWithOutages => match n {
            2 => body(Misbehaviour::Outage, path, n),
            3 => (
                400,
                br#"{"error":"authorization_pending","error_description":"AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling."}"#
                    .to_vec(),
            ),
            4 => (502, b"<html><body>502 Bad Gateway</body></html>".to_vec()),
            _ => (
                200,
                br#"{"access_token":"hostile-device-access-token","refresh_token":"hostile-device-refresh-token","token_type":"Bearer","expires_in":3600}"#
                    .to_vec(),
            ),
        },
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

/// Reads one HTTP request: its path and body (bounded); `None` when the connection ends first.
async fn read_request<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut BufReader<S>,
) -> Option<(String, Vec<u8>)> {
    let mut length = 0usize;
    let mut path = None;
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if path.is_none() {
            path = Some(line.split(' ').nth(1).unwrap_or("/").to_owned());
        } else if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut request = vec![0u8; length.min(1 << 20)];
    stream.read_exact(&mut request).await.ok()?;
    Some((path.unwrap_or_default(), request))
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
                let Some((path, _)) = read_request(&mut stream).await else {
                    return;
                };
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let (status, body) = body(misbehaviour, &path, n);
                let reason = match status {
                    200 => "OK",
                    502 => "Bad Gateway",
                    503 => "Service Unavailable",
                    _ => "Bad Request",
                };
                let kind = if body.starts_with(b"<") {
                    "text/html"
                } else {
                    "application/json"
                };
                let head = format!(
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nCache-Control: no-store\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
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

/// A token endpoint that rotates refresh tokens, as Entra and many others do: every refresh with a
/// refresh token answers a new access token `at-N` and a new refresh token `rt-N` (N counting from
/// 1). It records which refresh token each request presented, tells the test when one arrived, and
/// answers only when the test lets it ([`Rotating::answer`]), so the test can change the world (lock
/// the keyring) between Tayori reading its refresh token and saving the rotated one.
pub struct Rotating {
    pub port: u16,
    presented: Arc<std::sync::Mutex<Vec<String>>>,
    arrived: tokio::sync::mpsc::UnboundedReceiver<String>,
    gate: Arc<tokio::sync::Semaphore>,
    task: tokio::task::JoinHandle<()>,
}

impl Rotating {
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/token", self.port)
    }
    /// The refresh tokens presented so far, in order.
    pub fn presented(&self) -> Vec<String> {
        self.presented.lock().unwrap().clone()
    }
    /// Waits for the next refresh to arrive; returns the refresh token it presented.
    pub async fn arrived(&mut self) -> String {
        self.arrived.recv().await.expect("the server is running")
    }
    /// Lets one waiting (or the next) refresh be answered.
    pub fn answer(&self) {
        self.gate.add_permits(1);
    }
}

impl Drop for Rotating {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The value of `name` in an `application/x-www-form-urlencoded` body.
fn form_value(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

pub async fn start_rotating() -> Rotating {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let presented = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tell, arrived) = tokio::sync::mpsc::unbounded_channel();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let acceptor = super::tls_acceptor();
    let task = {
        let (presented, gate) = (presented.clone(), gate.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, presented, gate, tell) = (
                    acceptor.clone(),
                    presented.clone(),
                    gate.clone(),
                    tell.clone(),
                );
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut stream = BufReader::new(tls);
                    let Some((_, request)) = read_request(&mut stream).await else {
                        return;
                    };
                    let Some(refresh) = form_value(&request, "refresh_token") else {
                        return;
                    };
                    let n = {
                        let mut presented = presented.lock().unwrap();
                        presented.push(refresh.clone());
                        presented.len()
                    };
                    let _ = tell.send(refresh);
                    let Ok(permit) = gate.acquire().await else {
                        return;
                    };
                    permit.forget();
                    let body = format!(
                        r#"{{"access_token":"at-{n}","refresh_token":"rt-{n}","token_type":"Bearer","expires_in":3600}}"#
                    );
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(body.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        })
    };
    Rotating {
        port,
        presented,
        arrived,
        gate,
        task,
    }
}
