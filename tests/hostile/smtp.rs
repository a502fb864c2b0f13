//! An SMTP submission server (RFC 6409) that works — taking messages and handing them on to the
//! rig's Postfix, which delivers them to Dovecot, so recipients really receive them — or misbehaves
//! in one named way. For the send-kill harness it tells the test the instant it reaches a point of
//! the dialogue ([`Point`]) and can stop answering there, so the test kills `tayori` exactly there.
//!
//! Like Microsoft 365 and Gmail, it can file each message it accepts in the sender's Sent folder
//! itself ([`Config::files_sent`]): an IMAP APPEND to the rig's Dovecot, done *before* it answers
//! 250 (a real provider's order may differ; what matters is that the copy exists when Tayori
//! looks for it after a crash).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The one way the server breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    None,
    /// `STARTTLS` is answered with `220` and, in the same write, a fake EHLO reply; after TLS the
    /// server takes the sign-in and refuses every message (554 after the data). A client that keeps
    /// reading the bytes it buffered before TLS is one reply late from then on, and reads the 354
    /// as the answer to its message.
    StartTlsInjection,
    /// The same injection, and the server refuses every sign-in after TLS (535): a client one reply
    /// late reads the EHLO reply as the answer to AUTH.
    StartTlsInjectionRefusingSignIn,
    /// EHLO does not offer STARTTLS (as when something on the network strips it).
    NoStartTls,
    /// Every sign-in is answered `454 4.7.0 Temporary authentication failure` (RFC 4954 §6), as a
    /// server says when the service that checks passwords or tokens is down for a moment.
    SignInTemporarilyFails,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text, then STARTTLS (as on port 587).
    StartTls,
    /// Implicit TLS (as on port 465).
    Tls,
}

/// A point in the dialogue the harness can stop at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// The last RCPT TO arrived; its reply is held back, so the client never gets to send DATA.
    BeforeData,
    /// The end-of-data dot arrived and the message was handed on (delivered); the 250 is held back.
    AfterDot,
    /// The 250 to end-of-data was just written.
    At250,
    /// QUIT arrived (the client is done with the message); its reply is held back.
    Quit,
}

/// What the server tells the harness.
#[derive(Debug, Clone)]
pub struct Event {
    pub point: Point,
    pub message_id: Option<String>,
}

pub struct Config {
    pub security: Security,
    pub misbehaviour: Misbehaviour,
    /// Hand accepted messages on to the rig's Postfix (127.0.0.1:10025).
    pub relay: bool,
    /// File each accepted message in this user's Sent folder on the rig's Dovecot (user, password).
    pub files_sent: Option<(String, String)>,
}

impl Config {
    pub fn new(security: Security, misbehaviour: Misbehaviour) -> Config {
        Config {
            security,
            misbehaviour,
            relay: false,
            files_sent: None,
        }
    }
}

/// What the server saw.
#[derive(Default)]
pub struct Seen {
    pub connections: AtomicUsize,
    /// Every command line (AUTH arguments masked).
    pub commands: Mutex<Vec<String>>,
    /// Message-IDs of the messages the server accepted (answered 250 to, or would have).
    pub accepted: Mutex<Vec<String>>,
}

impl Seen {
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }
    pub fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }
}

pub struct Server {
    pub port: u16,
    /// How clients reach it: plain then STARTTLS, or implicit TLS.
    pub security: Security,
    pub seen: Arc<Seen>,
    /// The points reached, in order.
    pub events: mpsc::UnboundedReceiver<Event>,
    hold: Arc<Mutex<Option<Point>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stop answering the next time `point` is reached (once).
    pub fn hold_at(&self, point: Point) {
        *self.hold.lock().unwrap() = Some(point);
    }

    /// Waits for the next time the dialogue reaches `point`.
    pub async fn reached(&mut self, point: Point) -> Event {
        loop {
            let event = self.events.recv().await.expect("the server is running");
            if event.point == point {
                return event;
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    config: Config,
    seen: Arc<Seen>,
    events: mpsc::UnboundedSender<Event>,
    hold: Arc<Mutex<Option<Point>>>,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl Shared {
    /// Reports `point`; true if the server must now stop answering (the harness kills the client).
    fn reach(&self, point: Point, message_id: Option<String>) -> bool {
        let hold = {
            let mut hold = self.hold.lock().unwrap();
            if *hold == Some(point) {
                hold.take();
                true
            } else {
                false
            }
        };
        let _ = self.events.send(Event { point, message_id });
        hold
    }
}

pub async fn start(config: Config) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let (sender, events) = mpsc::unbounded_channel();
    let hold = Arc::new(Mutex::new(None));
    let security = config.security;
    let shared = Arc::new(Shared {
        config,
        seen: seen.clone(),
        events: sender,
        hold: hold.clone(),
        acceptor: super::tls_acceptor(),
    });
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            shared.seen.connections.fetch_add(1, Ordering::SeqCst);
            let shared = shared.clone();
            tokio::spawn(async move {
                let _ = connection(shared, tcp).await;
            });
        }
    });
    Server {
        port,
        security,
        seen,
        events,
        hold,
        task,
    }
}

const NAME: &str = "hostile-submission.example.test";

async fn connection(shared: Arc<Shared>, tcp: TcpStream) -> std::io::Result<()> {
    let _ = tcp.set_nodelay(true);
    match shared.config.security {
        Security::Tls => {
            let tls = shared.acceptor.accept(tcp).await?;
            let mut stream = BufReader::new(tls);
            stream
                .write_all(format!("220 {NAME} ESMTP ready\r\n").as_bytes())
                .await?;
            session(&shared, stream, true).await
        }
        Security::StartTls => {
            let mut plain = BufReader::new(tcp);
            plain
                .write_all(format!("220 {NAME} ESMTP ready\r\n").as_bytes())
                .await?;
            loop {
                let Some(line) = read_line(&mut plain).await? else {
                    return Ok(());
                };
                shared.seen.commands.lock().unwrap().push(line.clone());
                let upper = line.to_ascii_uppercase();
                if upper.starts_with("EHLO") {
                    let starttls = if shared.config.misbehaviour == Misbehaviour::NoStartTls {
                        ""
                    } else {
                        "250-STARTTLS\r\n"
                    };
                    plain
                        .write_all(
                            format!(
                                "250-{NAME}\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n{starttls}250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
                            )
                            .as_bytes(),
                        )
                        .await?;
                    if shared.config.misbehaviour == Misbehaviour::NoStartTls {
                        // Without TLS this server goes on in plain text, as a stripped link
                        // would: whatever the client sends next is taken without encryption.
                        return session(&shared, plain, false).await;
                    }
                } else if upper.starts_with("STARTTLS") {
                    if matches!(
                        shared.config.misbehaviour,
                        Misbehaviour::StartTlsInjection
                            | Misbehaviour::StartTlsInjectionRefusingSignIn
                    ) {
                        plain
                            .write_all(
                                b"220 2.0.0 go ahead\r\n250-injected.example.test\r\n250 AUTH PLAIN LOGIN\r\n",
                            )
                            .await?;
                    } else {
                        plain.write_all(b"220 2.0.0 Ready to start TLS\r\n").await?;
                    }
                    let tls = shared.acceptor.accept(plain.into_inner()).await?;
                    return session(&shared, BufReader::new(tls), true).await;
                } else if upper.starts_with("QUIT") {
                    plain.write_all(b"221 2.0.0 Bye\r\n").await?;
                    return Ok(());
                } else if upper.starts_with("NOOP") || upper.starts_with("RSET") {
                    plain.write_all(b"250 2.0.0 Ok\r\n").await?;
                } else {
                    plain
                        .write_all(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
                        .await?;
                }
            }
        }
    }
}

async fn read_line<S: AsyncRead + Unpin>(
    stream: &mut BufReader<S>,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    if stream.read_until(b'\n', &mut line).await? == 0 {
        return Ok(None);
    }
    Ok(Some(
        String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
    ))
}

/// Waits until the client goes away (killed), answering nothing.
async fn silent<S: AsyncRead + Unpin>(stream: &mut BufReader<S>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while stream.read_until(b'\n', &mut buf).await? > 0 {
        buf.clear();
    }
    Ok(())
}

fn address(arg: &str) -> String {
    let start = arg.find('<').map(|i| i + 1).unwrap_or(0);
    let end = arg[start..]
        .find('>')
        .map(|i| i + start)
        .unwrap_or(arg.len());
    arg[start..end].to_owned()
}

fn message_id(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .take_while(|l| !l.is_empty())
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .map(|l| l["message-id:".len()..].trim().to_owned())
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    shared: &Shared,
    mut stream: BufReader<S>,
    encrypted: bool,
) -> std::io::Result<()> {
    let refuses_messages = shared.config.misbehaviour == Misbehaviour::StartTlsInjection;
    let refuses_sign_in =
        shared.config.misbehaviour == Misbehaviour::StartTlsInjectionRefusingSignIn;
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    loop {
        let Some(line) = read_line(&mut stream).await? else {
            return Ok(());
        };
        let upper = line.to_ascii_uppercase();
        let logged = if upper.starts_with("AUTH") {
            "AUTH (credentials)".to_owned()
        } else {
            line.clone()
        };
        shared.seen.commands.lock().unwrap().push(logged);
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let auth = if encrypted {
                "250-AUTH PLAIN LOGIN XOAUTH2\r\n"
            } else {
                ""
            };
            format!(
                "250-{NAME}\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n{auth}250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
            )
        } else if upper.starts_with("AUTH") {
            if refuses_sign_in {
                "535 5.7.8 Authentication credentials invalid\r\n".into()
            } else if shared.config.misbehaviour == Misbehaviour::SignInTemporarilyFails {
                "454 4.7.0 Temporary authentication failure\r\n".into()
            } else if upper.starts_with("AUTH LOGIN") {
                // Two challenges, any answers.
                stream.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                read_line(&mut stream).await?;
                stream.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                read_line(&mut stream).await?;
                "235 2.7.0 Authentication successful\r\n".into()
            } else {
                "235 2.7.0 Authentication successful\r\n".into()
            }
        } else if upper.starts_with("MAIL FROM") {
            from = address(&line);
            to.clear();
            "250 2.1.0 Ok\r\n".into()
        } else if upper.starts_with("RCPT TO") {
            to.push(address(&line));
            // The harness sends to one recipient: its RCPT is the last command before DATA.
            if shared.reach(Point::BeforeData, None) {
                return silent(&mut stream).await;
            }
            "250 2.1.5 Ok\r\n".into()
        } else if upper.starts_with("DATA") {
            stream
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = Vec::new();
            loop {
                let mut line = Vec::new();
                if stream.read_until(b'\n', &mut line).await? == 0 {
                    return Ok(());
                }
                if line == b".\r\n" || line == b".\n" {
                    break;
                }
                data.extend_from_slice(&line);
            }
            if refuses_messages {
                "554 5.7.1 Message refused\r\n".into()
            } else {
                let id = message_id(&data);
                deliver(shared, &from, &to, &data).await;
                shared
                    .seen
                    .accepted
                    .lock()
                    .unwrap()
                    .push(id.clone().unwrap_or_default());
                if shared.reach(Point::AfterDot, id.clone()) {
                    return silent(&mut stream).await;
                }
                stream
                    .write_all(b"250 2.0.0 Ok: queued as HOSTILE\r\n")
                    .await?;
                stream.flush().await?;
                shared.reach(Point::At250, id);
                continue;
            }
        } else if upper.starts_with("QUIT") {
            if shared.reach(Point::Quit, None) {
                return silent(&mut stream).await;
            }
            stream.write_all(b"221 2.0.0 Bye\r\n").await?;
            stream.flush().await?;
            return Ok(());
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            "250 2.0.0 Ok\r\n".into()
        } else {
            "502 5.5.2 Command not recognised\r\n".into()
        };
        stream.write_all(reply.as_bytes()).await?;
        stream.flush().await?;
    }
}

/// Hands the message on to the rig's Postfix and files it in Sent if configured — both before the
/// server answers, as a server commits a message before its 250.
async fn deliver(shared: &Shared, from: &str, to: &[String], data: &[u8]) {
    if shared.config.relay {
        relay(from, to, data)
            .await
            .unwrap_or_else(|e| panic!("relay to the rig's Postfix: {e}"));
    }
    if let Some((user, password)) = &shared.config.files_sent {
        // Undo dot-stuffing for the stored copy.
        let mut raw = Vec::with_capacity(data.len());
        for line in data.split_inclusive(|b| *b == b'\n') {
            raw.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        }
        let mut session = crate::support::imap_connect(10993)
            .await
            .login(user, password)
            .await
            .map_err(|(e, _)| e)
            .expect("the server's own login to file Sent");
        session
            .append("Sent", Some("(\\Seen)"), None, &raw)
            .await
            .expect("APPEND to Sent");
        let _ = session.logout().await;
    }
}

/// A minimal SMTP client for Postfix on 127.0.0.1:10025 (no TLS, no auth: mynetworks).
async fn relay(from: &str, to: &[String], data: &[u8]) -> std::io::Result<()> {
    let tcp = TcpStream::connect("127.0.0.1:10025").await?;
    let mut stream = BufReader::new(tcp);
    async fn expect<S: AsyncRead + AsyncWrite + Unpin>(
        stream: &mut BufReader<S>,
        code: &str,
    ) -> std::io::Result<()> {
        loop {
            let line = read_line(stream)
                .await?
                .ok_or_else(|| std::io::Error::other("Postfix closed the connection"))?;
            if line.len() >= 4 && line.as_bytes()[3] == b'-' {
                continue;
            }
            if line.starts_with(code) {
                return Ok(());
            }
            return Err(std::io::Error::other(format!("Postfix said {line:?}")));
        }
    }
    expect(&mut stream, "220").await?;
    stream.write_all(b"EHLO hostile.example.test\r\n").await?;
    expect(&mut stream, "250").await?;
    stream
        .write_all(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        .await?;
    expect(&mut stream, "250").await?;
    for rcpt in to {
        stream
            .write_all(format!("RCPT TO:<{rcpt}>\r\n").as_bytes())
            .await?;
        expect(&mut stream, "250").await?;
    }
    stream.write_all(b"DATA\r\n").await?;
    expect(&mut stream, "354").await?;
    // Still dot-stuffed as received: passed on as it came.
    stream.write_all(data).await?;
    if !data.ends_with(b"\r\n") {
        stream.write_all(b"\r\n").await?;
    }
    stream.write_all(b".\r\n").await?;
    expect(&mut stream, "250").await?;
    stream.write_all(b"QUIT\r\n").await?;
    let _ = expect(&mut stream, "221").await;
    Ok(())
}
