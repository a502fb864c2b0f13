//! The packing floor for `benches/sync.sh` (`PACKING_FLOOR=1`): the least a client that keeps the
//! disk goal (everything kept ≤ 0.8x the mail) must do to download a folder, in Rust, with no
//! store around it. One or more TLS connections (rustls), LOGIN, EXAMINE, one `FETCH (BODY.PEEK[])`
//! over each connection's share of the messages; every message is compressed as Tayori packs it
//! (zstd level 1 until a 112 KiB dictionary is trained from the first 400 messages' first 6 KiB,
//! then level 2 with the dictionary) on threads of its own, and appended to one file without
//! fsync (the durability of mbsync `FSync no`). Nothing else: no headers table, no flags, no
//! threads, no search index, no SQLite. So it is a floor for Tayori, not a rival: a client cannot
//! keep the mail in less than this costs.
//!
//! usage: cargo bench --bench packing_floor -- HOST PORT USER PASSWORD CA_FILE OUT_FILE
//!        [CONNECTIONS (default 2)] [COMPRESSING THREADS (default 1)]
//!
//! Prints the messages, the bytes received and the bytes written. Without arguments, or with the
//! test harness's (as `cargo test --all-targets` runs it), it checks its own framing and packing.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, mpsc};

use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use zstd::zstd_safe;

const TRAINING_MESSAGES: usize = 400;
const TRAINING_BYTES_EACH: usize = 6 * 1024;
const DICTIONARY_BYTES: usize = 112 * 1024;

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

struct Connection {
    reader: BufReader<Tls>,
    tag: u32,
}

impl Connection {
    fn open(host: &str, port: u16, ca: &str) -> Connection {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca).expect("CA file") {
            roots.add(cert.expect("CA certificate")).expect("CA added");
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = ServerName::try_from(host.to_owned()).expect("server name");
        let tls = rustls::ClientConnection::new(Arc::new(config), name).expect("TLS client");
        let tcp = TcpStream::connect((host, port)).expect("connect");
        let mut connection = Connection {
            reader: BufReader::with_capacity(1 << 20, rustls::StreamOwned::new(tls, tcp)),
            tag: 0,
        };
        let mut greeting = Vec::new();
        connection.line(&mut greeting);
        connection
    }

    /// A connection signed in with LOGIN and the inbox examined; also how many messages it holds.
    fn examining_inbox(
        host: &str,
        port: u16,
        ca: &str,
        user: &str,
        password: &str,
    ) -> (Connection, usize) {
        let mut connection = Connection::open(host, port, ca);
        connection.command(
            &format!("LOGIN {} {}", quoted(user), quoted(password)),
            drop,
        );
        let total = connection.command("EXAMINE INBOX", drop).expect("EXISTS");
        (connection, total)
    }

    /// One line (with its CRLF) into `line`.
    fn line(&mut self, line: &mut Vec<u8>) {
        line.clear();
        if self.reader.read_until(b'\n', line).expect("read") == 0 {
            panic!("the server closed the connection");
        }
    }

    /// Sends a command; hands each literal of the answer to `literal` and returns the number of
    /// messages an EXISTS line announced, if any.
    fn command(&mut self, text: &str, mut literal: impl FnMut(Vec<u8>)) -> Option<usize> {
        self.tag += 1;
        let tag = format!("f{}", self.tag);
        let stream = self.reader.get_mut();
        stream
            .write_all(format!("{tag} {text}\r\n").as_bytes())
            .expect("write");
        stream.flush().expect("flush");
        let mut exists = None;
        let mut line = Vec::new();
        loop {
            self.line(&mut line);
            if let Some(size) = announced_literal(&line) {
                let mut bytes = vec![0; size];
                self.reader.read_exact(&mut bytes).expect("literal");
                literal(bytes);
                continue;
            }
            let text = String::from_utf8_lossy(&line);
            if let Some(count) = text
                .strip_prefix("* ")
                .and_then(|rest| rest.strip_suffix(" EXISTS\r\n"))
            {
                exists = count.parse().ok();
            }
            if text.starts_with(&format!("{tag} ")) {
                assert!(text.starts_with(&format!("{tag} OK")), "{text}");
                return exists;
            }
        }
    }
}

fn announced_literal(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"}\r\n")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    let digits = &line[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Tayori's packing, alone: level 1 while the dictionary is being learned, then level 2 with it.
struct Packer {
    samples: Mutex<(Vec<u8>, Vec<usize>)>,
    /// The trained dictionary's bytes (to read frames back in the self-check) and its prepared form.
    dictionary: std::sync::OnceLock<Option<(Vec<u8>, zstd_safe::CDict<'static>)>>,
}

impl Packer {
    fn new() -> Packer {
        Packer {
            samples: Mutex::new((Vec::new(), Vec::new())),
            dictionary: std::sync::OnceLock::new(),
        }
    }

    fn pack(&self, raw: &[u8], context: &mut zstd_safe::CCtx<'static>) -> Vec<u8> {
        let mut packed = Vec::with_capacity(raw.len() + 1024);
        match self.dictionary.get() {
            Some(Some((_, dictionary))) => {
                context
                    .compress_using_cdict(&mut packed, raw, dictionary)
                    .expect("compress");
            }
            _ => {
                self.sample(raw);
                context.compress(&mut packed, raw, 1).expect("compress");
            }
        }
        if packed.len() >= raw.len() - raw.len() / 16 {
            return raw.to_vec();
        }
        packed
    }

    fn sample(&self, raw: &[u8]) {
        let mut samples = self.samples.lock().expect("samples");
        if samples.1.len() >= TRAINING_MESSAGES {
            return;
        }
        let start = &raw[..raw.len().min(TRAINING_BYTES_EACH)];
        samples.0.extend_from_slice(start);
        samples.1.push(start.len());
        if samples.1.len() == TRAINING_MESSAGES {
            let trained = zstd::dict::from_continuous(&samples.0, &samples.1, DICTIONARY_BYTES)
                .ok()
                .map(|bytes| {
                    let prepared = zstd_safe::create_cdict(&bytes, 2);
                    (bytes, prepared)
                });
            let _ = self.dictionary.set(trained);
        }
    }
}

/// What `cargo test --all-targets` runs: literals are found where IMAP announces them, and every
/// message packed (before and after the dictionary) reads back byte-exact and smaller.
fn self_check() {
    assert_eq!(announced_literal(b"* 1 FETCH (BODY[] {123}\r\n"), Some(123));
    assert_eq!(announced_literal(b"* 2 FETCH (BODY[] {5+}\r\n"), Some(5));
    assert_eq!(announced_literal(b"* OK {not a number}\r\n"), None);
    assert_eq!(announced_literal(b"f1 OK done\r\n"), None);
    let packer = Packer::new();
    let mut context = zstd_safe::CCtx::create();
    let (mut raw_bytes, mut packed_bytes) = (0, 0);
    for n in 0..TRAINING_MESSAGES + 100 {
        let line = format!(
            "Line {n} of the quarterly report, figures {} and {}.\r\n",
            n * 31 % 97,
            n * 17 % 89
        );
        let raw = format!(
            "From: Sender {n} <sender{}@example.test>\r\nTo: me@example.test\r\n\
             Subject: Report {n}\r\nMessage-ID: <{n}@example.test>\r\n\r\n{}",
            n % 7,
            line.repeat(20 + n % 13)
        )
        .into_bytes();
        let packed = packer.pack(&raw, &mut context);
        let back = match packer.dictionary.get() {
            Some(Some((bytes, _))) if n >= TRAINING_MESSAGES => {
                zstd::bulk::Decompressor::with_dictionary(bytes)
                    .expect("decompressor")
                    .decompress(&packed, raw.len())
            }
            _ => zstd::bulk::decompress(&packed, raw.len()),
        }
        .expect("a packed message reads back");
        assert_eq!(back, raw, "message {n} reads back byte-exact");
        raw_bytes += raw.len();
        packed_bytes += packed.len();
    }
    assert!(
        matches!(packer.dictionary.get(), Some(Some(_))),
        "a dictionary is trained"
    );
    assert!(
        packed_bytes * 2 < raw_bytes,
        "packing shrinks repetitive mail"
    );
    println!("packing floor: self-check passed ({raw_bytes} bytes packed into {packed_bytes})");
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    // `cargo test --all-targets` runs this with no arguments, or with the test harness's own
    // (`--skip …`), which a bench without a harness does not take: then it checks itself.
    if args.first().is_none_or(|first| first.starts_with("--")) {
        self_check();
        return;
    }
    let [host, port, user, password, ca, out, ..] = &args[..] else {
        eprintln!(
            "usage: packing_floor HOST PORT USER PASSWORD CA_FILE OUT_FILE [CONNECTIONS] [THREADS]"
        );
        std::process::exit(2);
    };
    let port: u16 = port.parse().expect("port");
    let connections: usize = args
        .get(6)
        .map_or(2, |n| n.parse().expect("connections"))
        .max(1);
    let threads: usize = args.get(7).map_or(1, |n| n.parse().expect("threads"));

    // Each connection's messages go to the compressing threads through one bounded queue; they
    // append what they packed to one file.
    let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(64);
    let receiver = Arc::new(Mutex::new(receiver));
    let file = Arc::new(Mutex::new(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(out).expect("output file"),
    )));
    let packer = Arc::new(Packer::new());
    let packers: Vec<_> = (0..threads)
        .map(|_| {
            let (receiver, file, packer) = (receiver.clone(), file.clone(), packer.clone());
            std::thread::spawn(move || {
                let mut context = zstd_safe::CCtx::create();
                let mut written = 0u64;
                loop {
                    let next = receiver.lock().expect("queue").recv();
                    let Ok(raw) = next else { break };
                    let packed = packer.pack(&raw, &mut context);
                    let mut file = file.lock().expect("file");
                    file.write_all(&(packed.len() as u32).to_le_bytes())
                        .expect("write");
                    file.write_all(&packed).expect("write");
                    written += 4 + packed.len() as u64;
                }
                written
            })
        })
        .collect();

    // The first connection learns how many messages there are; each takes its share.
    let (first, total) = Connection::examining_inbox(host, port, ca, user, password);
    let share = total.div_ceil(connections);
    let mut first = Some(first);
    let fetchers: Vec<_> = (0..connections)
        .map(|index| {
            let lowest = index * share + 1;
            let highest = ((index + 1) * share).min(total);
            let sender = sender.clone();
            let opened = if index == 0 { first.take() } else { None };
            let (host, user, password, ca) =
                (host.clone(), user.clone(), password.clone(), ca.clone());
            std::thread::spawn(move || {
                let mut connection = opened.unwrap_or_else(|| {
                    Connection::examining_inbox(&host, port, &ca, &user, &password).0
                });
                let (mut messages, mut bytes) = (0usize, 0u64);
                if lowest <= highest {
                    connection.command(&format!("FETCH {lowest}:{highest} (BODY.PEEK[])"), |raw| {
                        messages += 1;
                        bytes += raw.len() as u64;
                        sender.send(raw).expect("queue");
                    });
                }
                connection.command("LOGOUT", drop);
                (messages, bytes)
            })
        })
        .collect();
    drop(sender);
    let (mut messages, mut received) = (0, 0);
    for fetcher in fetchers {
        let (m, b) = fetcher.join().expect("connection");
        messages += m;
        received += b;
    }
    let written: u64 = packers.into_iter().map(|p| p.join().expect("packer")).sum();
    file.lock().expect("file").flush().expect("flush");
    println!(
        "packing floor: {messages} messages, {received} bytes received, {written} bytes written ({:.2}x), {connections} connections, {threads} compressing threads",
        written as f64 / received.max(1) as f64
    );
}
