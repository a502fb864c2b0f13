//! An IMAP server that holds one folder (INBOX) of generated messages and misbehaves in one named
//! way. It speaks what `tayori sync` asks for (LOGIN, CAPABILITY, LIST, SELECT, UID SEARCH, UID
//! FETCH of headers and of whole messages, IDLE, LOGOUT) like a plain IMAP4rev1 server without
//! extensions, so the sync engine takes its simplest path — and at the named point it breaks.
//!
//! Message UID n is message sequence number n. Message n's subject is "Good message n", except
//! the message a misbehaviour is about, whose subject carries [`super::SECRET_CONTENT`]: a test can
//! then check that none of that message's content reached a log or the terminal.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::SECRET_CONTENT;

/// The one way the server breaks. `uid` names the message it breaks on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misbehaviour {
    /// A server that works.
    None,
    /// `INTERNALDATE NIL` in the header FETCH of `uid` (imap-proto unwraps it).
    InternalDateNil(u32),
    /// The INTERNALDATE of `uid` sent as a literal whose zone holds an 8-bit (UTF-8) character.
    InternalDateLiteral8Bit(u32),
    /// One item in the header FETCH reply of `uid` that no IMAP parser can read.
    UnparseableItem(u32),
    /// The FLAGS-only FETCH reply of `uid` (what a server without CONDSTORE answers on every sync)
    /// carries an item that does not parse.
    UnparseableFlags(u32),
    /// The header of `uid` announced as a literal over async-imap's 512 MiB buffer cap; nothing
    /// follows.
    LiteralOverCap(u32),
    /// A 110-byte line announcing a 400 MB literal for the header of `uid`; nothing follows.
    HugeLiteral(u32),
    /// Instead of the header FETCH reply of `uid`: a 100 MB line without CRLF, then silence.
    EndlessLine(u32),
    /// The body of `uid` (a few hundred bytes by its RFC822.SIZE) announced as a 400 MB literal;
    /// nothing follows.
    HugeBodyLiteral(u32),
    /// The UID SEARCH answer is a 100 MB line without CRLF (for a folder of ten messages).
    EndlessSearch,
    /// The body FETCH of `uid` stops in the middle of its literal and the connection closes.
    DropMidLiteral(u32),
    /// SELECT is answered with a tagged OK carrying another command's tag, then nothing.
    WrongTag,
    /// IDLE is accepted, then the server says BYE and closes; by the next connection one more
    /// message has arrived.
    ByeDuringIdle,
    /// The connection (and TLS) is accepted, the greeting never comes.
    NoGreeting,
    /// The body FETCH reply of `uid` trickles at one byte a second.
    Throttle(u32),
    /// An unsolicited METADATA response (RFC 5464) whose mailbox name is not UTF-8, among the
    /// SELECT responses (imap-proto unwraps `str::from_utf8` on it).
    MetadataNotUtf8,
    /// (STARTTLS servers) The OK to STARTTLS and an injected CAPABILITY line in one write.
    StartTlsInjection,
    /// (STARTTLS servers) The OK to STARTTLS, then a broken TLS record instead of a ServerHello.
    BrokenTlsRecord,
}

/// How the server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Implicit TLS (as on port 993).
    Tls,
    /// Plain text, then STARTTLS (as on port 143).
    StartTls,
}

pub struct Config {
    pub security: Security,
    pub misbehaviour: Misbehaviour,
    /// How many messages INBOX holds at first.
    pub messages: u32,
    /// Whether generated messages are tiny (a big mailbox) and dated 2001 (outside a body window).
    pub tiny_old_messages: bool,
}

impl Config {
    pub fn new(misbehaviour: Misbehaviour) -> Config {
        Config {
            security: Security::Tls,
            misbehaviour,
            messages: 10,
            tiny_old_messages: false,
        }
    }
}

/// What the server saw, for the test's checks.
#[derive(Default)]
pub struct Seen {
    pub connections: AtomicUsize,
    /// Every command line received (LOGIN arguments masked), in order.
    pub commands: Mutex<Vec<String>>,
}

impl Seen {
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How many commands started with `verb` (e.g. "LOGIN", "UID FETCH").
    pub fn count(&self, verb: &str) -> usize {
        self.commands()
            .iter()
            .filter(|line| {
                line.split_once(' ')
                    .is_some_and(|(_, rest)| rest.to_ascii_uppercase().starts_with(verb))
            })
            .count()
    }
}

pub struct Server {
    pub port: u16,
    pub seen: Arc<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    config: Config,
    seen: Arc<Seen>,
    /// Messages in INBOX now (ByeDuringIdle adds one).
    count: AtomicU32,
    acceptor: tokio_rustls::TlsAcceptor,
}

/// Starts the server on 127.0.0.1 and a free port.
pub async fn start(config: Config) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let shared = Arc::new(Shared {
        count: AtomicU32::new(config.messages),
        config,
        seen: seen.clone(),
        acceptor: super::tls_acceptor(),
    });
    let task = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            shared.seen.connections.fetch_add(1, Ordering::SeqCst);
            let shared = shared.clone();
            connections.push(tokio::spawn(async move {
                let _ = connection(shared, tcp).await;
            }));
        }
    });
    Server { port, seen, task }
}

/// The message with this UID, as the server holds it.
pub fn message(uid: u32, bad: bool, tiny_old: bool) -> Vec<u8> {
    if tiny_old {
        return format!(
            "Subject: m{uid}\r\nMessage-ID: <m{uid}@hostile.test>\r\nDate: Mon, 1 Jan 2001 00:00:00 +0000\r\n\r\nx\r\n"
        )
        .into_bytes();
    }
    let subject = if bad {
        format!("Bad message {uid} {SECRET_CONTENT}")
    } else {
        format!("Good message {uid}")
    };
    format!(
        "From: Sender {uid} <sender{uid}@hostile.test>\r\nTo: person@hostile.test\r\n\
         Subject: {subject}\r\nMessage-ID: <msg{uid}@hostile.test>\r\n\
         Date: Mon, 2 Nov 2026 10:00:00 +0900\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Body of message {uid}. {}\r\n",
        if bad {
            SECRET_CONTENT
        } else {
            "Nothing secret here."
        }
    )
    .into_bytes()
}

fn header_of(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(raw.len());
    &raw[..end]
}

impl Shared {
    fn bad_uid(&self) -> Option<u32> {
        match self.config.misbehaviour {
            Misbehaviour::InternalDateNil(uid)
            | Misbehaviour::InternalDateLiteral8Bit(uid)
            | Misbehaviour::UnparseableItem(uid)
            | Misbehaviour::UnparseableFlags(uid)
            | Misbehaviour::LiteralOverCap(uid)
            | Misbehaviour::HugeLiteral(uid)
            | Misbehaviour::EndlessLine(uid)
            | Misbehaviour::HugeBodyLiteral(uid)
            | Misbehaviour::DropMidLiteral(uid)
            | Misbehaviour::Throttle(uid) => Some(uid),
            _ => None,
        }
    }

    fn message(&self, uid: u32) -> Vec<u8> {
        message(
            uid,
            self.bad_uid() == Some(uid),
            self.config.tiny_old_messages,
        )
    }
}

const CAPABILITIES: &str = "IMAP4rev1 IDLE";

async fn connection(shared: Arc<Shared>, tcp: TcpStream) -> std::io::Result<()> {
    let _ = tcp.set_nodelay(true);
    match shared.config.security {
        Security::Tls => {
            let tls = shared.acceptor.accept(tcp).await?;
            if shared.config.misbehaviour == Misbehaviour::NoGreeting {
                return hold_open(tls).await;
            }
            let mut stream = BufReader::new(tls);
            stream
                .write_all(
                    format!("* OK [CAPABILITY {CAPABILITIES}] hostile IMAP ready\r\n").as_bytes(),
                )
                .await?;
            session(&shared, stream).await
        }
        Security::StartTls => {
            let mut plain = BufReader::new(tcp);
            if shared.config.misbehaviour == Misbehaviour::NoGreeting {
                return hold_open(plain).await;
            }
            plain
                .write_all(
                    b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hostile IMAP ready\r\n",
                )
                .await?;
            loop {
                let Some(line) = read_line(&mut plain).await? else {
                    return Ok(());
                };
                shared.seen.commands.lock().unwrap().push(line.clone());
                let (tag, rest) = line.split_once(' ').unwrap_or((&line, ""));
                match rest.to_ascii_uppercase().as_str() {
                    "CAPABILITY" => plain
                        .write_all(
                            format!(
                                "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n{tag} OK done\r\n"
                            )
                            .as_bytes(),
                        )
                        .await?,
                    "STARTTLS" => {
                        match shared.config.misbehaviour {
                            Misbehaviour::StartTlsInjection => {
                                // One write: the OK, and a line the client must not take as
                                // coming from inside TLS (the IMAP form of CVE-2011-0411).
                                plain
                                    .write_all(
                                        format!(
                                            "{tag} OK Begin TLS negotiation now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN-REFERRALS\r\n"
                                        )
                                        .as_bytes(),
                                    )
                                    .await?;
                            }
                            Misbehaviour::BrokenTlsRecord => {
                                plain
                                    .write_all(
                                        format!("{tag} OK Begin TLS negotiation now\r\n")
                                            .as_bytes(),
                                    )
                                    .await?;
                                // Read the ClientHello, then answer with a handshake record whose
                                // content is garbage.
                                let mut hello = [0u8; 512];
                                let _ = tokio::io::AsyncReadExt::read(&mut plain, &mut hello).await;
                                let mut record = vec![0x16, 0x03, 0x03, 0x00, 0x40];
                                record.extend(std::iter::repeat_n(0xAB, 0x40));
                                plain.write_all(&record).await?;
                                return hold_open(plain).await;
                            }
                            _ => {
                                plain
                                    .write_all(
                                        format!("{tag} OK Begin TLS negotiation now\r\n")
                                            .as_bytes(),
                                    )
                                    .await?;
                            }
                        }
                        let tls = shared.acceptor.accept(plain.into_inner()).await?;
                        return session(&shared, BufReader::new(tls)).await;
                    }
                    "LOGOUT" => {
                        plain
                            .write_all(format!("* BYE bye\r\n{tag} OK done\r\n").as_bytes())
                            .await?;
                        return Ok(());
                    }
                    _ => {
                        plain
                            .write_all(format!("{tag} BAD STARTTLS first\r\n").as_bytes())
                            .await?
                    }
                }
            }
        }
    }
}

/// Keeps a connection open, reading and ignoring whatever comes, until the client leaves.
async fn hold_open<S: AsyncRead + Unpin>(mut stream: S) -> std::io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        if tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await? == 0 {
            return Ok(());
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

/// A UID set (`1:5,7,9:*`) as a sorted list of existing UIDs.
fn uid_set(text: &str, max: u32) -> Vec<u32> {
    let mut uids = Vec::new();
    let number = |s: &str| {
        if s == "*" {
            max
        } else {
            s.parse().unwrap_or(0)
        }
    };
    for part in text.split(',') {
        let (a, b) = match part.split_once(':') {
            Some((a, b)) => (number(a), number(b)),
            None => (number(part), number(part)),
        };
        let (low, high) = (a.min(b), a.max(b));
        uids.extend((low.max(1)..=high.min(max)).filter(|_| true));
    }
    uids.sort_unstable();
    uids.dedup();
    uids
}

async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    shared: &Shared,
    mut stream: BufReader<S>,
) -> std::io::Result<()> {
    let date = |shared: &Shared| {
        if shared.config.tiny_old_messages {
            "01-Jan-2001 00:00:00 +0000"
        } else {
            "02-Nov-2026 10:00:00 +0900"
        }
    };
    loop {
        let Some(line) = read_line(&mut stream).await? else {
            return Ok(());
        };
        let logged = if line.to_ascii_uppercase().contains(" LOGIN ") {
            let tag = line.split(' ').next().unwrap_or("");
            format!("{tag} LOGIN (credentials)")
        } else {
            line.clone()
        };
        shared.seen.commands.lock().unwrap().push(logged);
        let (tag, rest) = line.split_once(' ').unwrap_or((&line, ""));
        let upper = rest.to_ascii_uppercase();
        let count = shared.count.load(Ordering::SeqCst);
        let verb = upper.split(' ').next().unwrap_or("");
        let reply: Vec<u8> = match verb {
            "CAPABILITY" => {
                format!("* CAPABILITY {CAPABILITIES}\r\n{tag} OK done\r\n").into_bytes()
            }
            "LOGIN" | "AUTHENTICATE" => {
                format!("{tag} OK [CAPABILITY {CAPABILITIES}] signed in\r\n").into_bytes()
            }
            "NOOP" | "CHECK" | "ENABLE" | "UNSELECT" | "CLOSE" => {
                format!("{tag} OK done\r\n").into_bytes()
            }
            "LOGOUT" => {
                stream
                    .write_all(format!("* BYE bye\r\n{tag} OK done\r\n").as_bytes())
                    .await?;
                return Ok(());
            }
            "LIST" => {
                format!("* LIST (\\HasNoChildren) \"/\" INBOX\r\n{tag} OK done\r\n").into_bytes()
            }
            "SELECT" | "EXAMINE" => {
                let data = format!(
                    "* {count} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
                     * OK [PERMANENTFLAGS (\\Seen \\Flagged \\Deleted)] ok\r\n* OK [UIDVALIDITY 42] ok\r\n\
                     * OK [UIDNEXT {}] ok\r\n",
                    count + 1
                );
                if shared.config.misbehaviour == Misbehaviour::MetadataNotUtf8 {
                    let mut out = data.into_bytes();
                    out.extend_from_slice(
                        b"* METADATA \"INBOX\xff\xfe\" (/shared/comment NIL)\r\n",
                    );
                    out.extend_from_slice(format!("{tag} OK [READ-WRITE] done\r\n").as_bytes());
                    stream.write_all(&out).await?;
                    stream.flush().await?;
                    continue;
                }
                if shared.config.misbehaviour == Misbehaviour::WrongTag {
                    // The completion of a command that was never sent, then nothing more.
                    stream
                        .write_all(format!("{data}X{tag}9 OK [READ-WRITE] done\r\n").as_bytes())
                        .await?;
                    return hold_open(stream).await;
                }
                format!("{data}{tag} OK [READ-WRITE] done\r\n").into_bytes()
            }
            "IDLE" => {
                stream.write_all(b"+ idling\r\n").await?;
                if shared.config.misbehaviour == Misbehaviour::ByeDuringIdle {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    shared.count.fetch_add(1, Ordering::SeqCst);
                    stream
                        .write_all(b"* BYE the server is restarting\r\n")
                        .await?;
                    stream.shutdown().await?;
                    return Ok(());
                }
                // Wait for DONE.
                let done = read_line(&mut stream).await?;
                if done.is_none() {
                    return Ok(());
                }
                format!("{tag} OK IDLE done\r\n").into_bytes()
            }
            "UID" => {
                let args: Vec<&str> = rest.splitn(3, ' ').collect();
                let sub = args
                    .get(1)
                    .map(|s| s.to_ascii_uppercase())
                    .unwrap_or_default();
                match sub.as_str() {
                    "SEARCH" if shared.config.misbehaviour == Misbehaviour::EndlessSearch => {
                        stream.write_all(b"* SEARCH 1 2 3").await?;
                        let chunk = " 7".repeat(512 * 1024);
                        for _ in 0..100 {
                            stream.write_all(chunk.as_bytes()).await?;
                        }
                        stream.flush().await?;
                        return hold_open(stream).await;
                    }
                    "SEARCH" => {
                        let criteria = args.get(2).copied().unwrap_or("ALL");
                        let uids = if let Some(range) = criteria
                            .strip_prefix("UID ")
                            .or_else(|| criteria.strip_prefix("uid "))
                        {
                            let found = uid_set(range, count);
                            if found.is_empty() && range.ends_with('*') && count > 0 {
                                vec![count]
                            } else {
                                found
                            }
                        } else {
                            (1..=count).collect()
                        };
                        let mut out = String::with_capacity(uids.len() * 7 + 64);
                        out.push_str("* SEARCH");
                        for uid in uids {
                            out.push(' ');
                            out.push_str(&uid.to_string());
                        }
                        out.push_str(&format!("\r\n{tag} OK search done\r\n"));
                        out.into_bytes()
                    }
                    "FETCH" => {
                        let fetch_args = args.get(2).copied().unwrap_or("");
                        let (set, items) = fetch_args.split_once(' ').unwrap_or((fetch_args, ""));
                        let items = items.to_ascii_uppercase();
                        let uids = uid_set(set, count);
                        if items.contains("BODY.PEEK[HEADER]") {
                            for uid in uids {
                                if !header_fetch(shared, &mut stream, uid, date(shared)).await? {
                                    return Ok(());
                                }
                            }
                        } else if items.contains("BODY.PEEK[]") {
                            for uid in uids {
                                if !body_fetch(shared, &mut stream, uid).await? {
                                    return Ok(());
                                }
                            }
                        } else {
                            let mut out = String::new();
                            for uid in uids {
                                if shared.config.misbehaviour == Misbehaviour::UnparseableFlags(uid)
                                {
                                    out.push_str(&format!(
                                        "* {uid} FETCH (UID {uid} FLAGS (\\Seen X-GARBAGE(((%%%\")\r\n"
                                    ));
                                    continue;
                                }
                                out.push_str(&format!("* {uid} FETCH (UID {uid} FLAGS ())\r\n"));
                            }
                            stream.write_all(out.as_bytes()).await?;
                        }
                        format!("{tag} OK fetch done\r\n").into_bytes()
                    }
                    _ => format!("{tag} OK done\r\n").into_bytes(),
                }
            }
            _ => format!("{tag} BAD unknown command\r\n").into_bytes(),
        };
        stream.write_all(&reply).await?;
        stream.flush().await?;
    }
}

/// Writes one message's header FETCH reply (or its misbehaviour). `false`: the session is over.
async fn header_fetch<S: AsyncRead + AsyncWrite + Unpin>(
    shared: &Shared,
    stream: &mut BufReader<S>,
    uid: u32,
    date: &str,
) -> std::io::Result<bool> {
    let raw = shared.message(uid);
    let header = header_of(&raw);
    let head = format!("* {uid} FETCH (UID {uid} FLAGS () ");
    let size = format!("RFC822.SIZE {} ", raw.len());
    let header_literal = |header: &[u8]| {
        let mut out = format!("BODY[HEADER] {{{}}}\r\n", header.len()).into_bytes();
        out.extend_from_slice(header);
        out
    };
    let target = shared.bad_uid() == Some(uid);
    let mut out: Vec<u8> = Vec::new();
    match &shared.config.misbehaviour {
        Misbehaviour::InternalDateNil(_) if target => {
            out.extend(format!("{head}INTERNALDATE NIL {size}").into_bytes());
            out.extend(header_literal(header));
            out.extend(b")\r\n");
        }
        Misbehaviour::InternalDateLiteral8Bit(_) if target => {
            // 26 bytes: the zone "é000" is five bytes but four characters.
            let value = "02-Nov-2026 10:00:00 é000";
            out.extend(
                format!("{head}INTERNALDATE {{{}}}\r\n{value} {size}", value.len()).into_bytes(),
            );
            out.extend(header_literal(header));
            out.extend(b")\r\n");
        }
        Misbehaviour::UnparseableItem(_) if target => {
            out.extend(format!("{head}INTERNALDATE \"{date}\" {size}").into_bytes());
            out.extend(header_literal(header));
            out.extend(b" X-GARBAGE(((%%%\"\r\n");
        }
        Misbehaviour::LiteralOverCap(_) if target => {
            stream
                .write_all(
                    format!("{head}INTERNALDATE \"{date}\" {size}BODY[HEADER] {{600000000}}\r\n")
                        .as_bytes(),
                )
                .await?;
            stream.flush().await?;
            hold_open(stream).await?;
            return Ok(false);
        }
        Misbehaviour::HugeLiteral(_) if target => {
            stream
                .write_all(
                    format!("{head}INTERNALDATE \"{date}\" {size}BODY[HEADER] {{400000000}}\r\n")
                        .as_bytes(),
                )
                .await?;
            stream.flush().await?;
            hold_open(stream).await?;
            return Ok(false);
        }
        Misbehaviour::EndlessLine(_) if target => {
            stream
                .write_all(format!("{head}INTERNALDATE \"{date}\" ").as_bytes())
                .await?;
            let chunk = vec![b'x'; 1024 * 1024];
            for _ in 0..100 {
                stream.write_all(&chunk).await?;
            }
            stream.flush().await?;
            hold_open(stream).await?;
            return Ok(false);
        }
        _ => {
            out.extend(format!("{head}INTERNALDATE \"{date}\" {size}").into_bytes());
            out.extend(header_literal(header));
            out.extend(b")\r\n");
        }
    }
    stream.write_all(&out).await?;
    Ok(true)
}

/// Writes one message's body FETCH reply (or its misbehaviour). `false`: the session is over.
async fn body_fetch<S: AsyncRead + AsyncWrite + Unpin>(
    shared: &Shared,
    stream: &mut BufReader<S>,
    uid: u32,
) -> std::io::Result<bool> {
    let raw = shared.message(uid);
    let mut out = format!("* {uid} FETCH (UID {uid} BODY[] {{{}}}\r\n", raw.len()).into_bytes();
    out.extend_from_slice(&raw);
    out.extend(b")\r\n");
    let target = shared.bad_uid() == Some(uid);
    match &shared.config.misbehaviour {
        Misbehaviour::DropMidLiteral(_) if target => {
            let cut = out.len() - raw.len() / 2 - 3;
            stream.write_all(&out[..cut]).await?;
            stream.flush().await?;
            stream.shutdown().await?;
            Ok(false)
        }
        Misbehaviour::HugeBodyLiteral(_) if target => {
            stream
                .write_all(format!("* {uid} FETCH (UID {uid} BODY[] {{400000000}}\r\n").as_bytes())
                .await?;
            stream.flush().await?;
            hold_open(stream).await?;
            Ok(false)
        }
        Misbehaviour::Throttle(_) if target => {
            for byte in out {
                stream.write_all(&[byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(true)
        }
        _ => {
            stream.write_all(&out).await?;
            Ok(true)
        }
    }
}
