//! Reading IMAP responses off the wire with bounded cost, whatever the server sends.
//!
//! A response is a line, or a line ending in a literal announcement `{n}` followed by `n` bytes and
//! more of the response (RFC 3501 §4.3). [`Reader`] frames responses itself and scans every byte
//! once (a line without CRLF is not re-parsed from its start after each read), and only a complete,
//! framed response is handed to the parser (imap-proto). So:
//!
//! - a literal is refused *before* anything is allocated for it when it is bigger than what was
//!   asked for ([`Limits::literal`]: a fixed cap for headers, the message's RFC822.SIZE plus a
//!   margin for a body);
//! - a line is refused once it is longer than what the command can legitimately return
//!   ([`Limits::line`]: grows with the folder's EXISTS, for UID SEARCH answers);
//! - a server that stops sending, or sends too slowly to ever finish, is given up on
//!   ([`STALL`], [`MIN_RATE`]);
//! - a response the parser cannot read costs that response alone: the framing is ours, so the
//!   connection stays in step and the next response is read as usual.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

/// How long a server may send nothing at all while an answer is awaited.
pub const STALL: Duration = Duration::from_secs(30);
/// Every response may take this long, plus the time its size needs at [`MIN_RATE`].
const BASE_TIME: Duration = Duration::from_secs(20);
/// The slowest transfer accepted (64 kbit/s): a 25 MB message may take about an hour, a message
/// of a few hundred bytes trickled at one byte a second is given up on after about 20 seconds.
const MIN_RATE: u64 = 8 * 1024;
/// The longest line any command may return before the folder is known (LIST, SELECT, CAPABILITY);
/// a selected folder's EXISTS raises it (see [`Limits::line_for_exists`]).
pub const LINE_BASE: usize = 1024 * 1024;
/// How much is asked of the stream at a time.
const READ_CHUNK: usize = 64 * 1024;
/// How much of an incomplete first line is searched for the UID it names.
const FIRST_LINE_PREFIX: usize = 256;
/// How much longer a line may be per message in the selected folder: a UID SEARCH answer holds
/// one UID (up to 10 digits and a space) per message.
const LINE_PER_MESSAGE: usize = 12;

/// What a response may be made of.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The longest line.
    pub line: usize,
    /// The biggest literal, by the UID the response is about.
    pub literal: LiteralLimit,
}

impl Limits {
    /// The longest line a folder of `exists` messages can legitimately produce.
    pub fn line_for_exists(exists: u32) -> usize {
        LINE_BASE.saturating_add((exists as usize).saturating_mul(LINE_PER_MESSAGE))
    }
}

/// The biggest literal a response may carry.
#[derive(Debug, Clone)]
pub enum LiteralLimit {
    Fixed(usize),
    /// Per message (by the UID named in the response), with a limit for responses that name none
    /// or a UID that was not asked for.
    /// The map is shared, not copied: the limits are handed to the reader for every response,
    /// and a FETCH of thousands of messages would otherwise copy thousands of entries each time.
    PerUid {
        limits: std::sync::Arc<std::collections::HashMap<u32, usize>>,
        otherwise: usize,
    },
}

impl LiteralLimit {
    fn for_uid(&self, uid: Option<u32>) -> usize {
        match self {
            LiteralLimit::Fixed(limit) => *limit,
            LiteralLimit::PerUid { limits, otherwise } => uid
                .and_then(|uid| limits.get(&uid).copied())
                .unwrap_or(*otherwise),
        }
    }
}

/// Why a response could not be read. After any of these the connection is out of step and must
/// be dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The connection failed (reset, TLS error).
    Io(String),
    /// The server closed the connection (in the middle of a response if `partial`).
    Closed { partial: bool },
    /// Nothing arrived for [`STALL`].
    Stalled { waited: Duration },
    /// The response arrived too slowly to finish in any reasonable time.
    TooSlow { bytes: usize, took: Duration },
    /// A line longer than the command can return.
    LineTooLong { limit: usize },
    /// A literal bigger than what was asked for.
    LiteralTooBig { announced: u64, limit: usize },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(reason) => write!(f, "{reason}"),
            ReadError::Closed { partial: true } => {
                write!(
                    f,
                    "the server closed the connection in the middle of an answer"
                )
            }
            ReadError::Closed { partial: false } => write!(f, "the server closed the connection"),
            ReadError::Stalled { waited } => {
                write!(f, "the server did not answer for {} s", waited.as_secs())
            }
            ReadError::TooSlow { bytes, took } => write!(
                f,
                "the server sent only {bytes} bytes of an answer in {} s",
                took.as_secs()
            ),
            ReadError::LineTooLong { limit } => write!(
                f,
                "the server's answer was too long (a line over {} KiB, more than the request can return)",
                limit / 1024
            ),
            ReadError::LiteralTooBig { announced, limit } => write!(
                f,
                "the server announced {} of data where at most {} was asked for",
                size_text(*announced),
                size_text(*limit as u64)
            ),
        }
    }
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Frames responses from a stream; keeps bytes read past one response for the next.
#[derive(Default)]
pub struct Reader {
    /// Bytes read and not yet handed out; the current response starts at 0.
    buf: Vec<u8>,
    /// Where the current line starts.
    line_start: usize,
    /// How far the current line has been scanned for its end (never scanned twice).
    scanned: usize,
    /// The UID the response being read is about, once its first line named it.
    uid: Option<u32>,
    /// When the first byte of the current response arrived.
    started: Option<Instant>,
}

impl Reader {
    pub fn new() -> Reader {
        Reader::default()
    }

    /// The UID named by the response being read (or the one that broke off), also when its first
    /// line is not complete (cut off, too long, trickling in).
    pub fn current_uid(&self) -> Option<u32> {
        if self.line_start == 0 {
            // Still in the first line: its start is all there is.
            let prefix = &self.buf[..self.buf.len().min(FIRST_LINE_PREFIX)];
            return uid_named(prefix);
        }
        self.uid
    }

    fn too_slow(&self, started: Instant) -> ReadError {
        ReadError::TooSlow {
            bytes: self.buf.len(),
            took: started.elapsed(),
        }
    }

    /// Whether part of a response has been read.
    fn partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Reads one whole response (its bytes, ending in CRLF). Cancel-safe: what was read stays
    /// buffered for the next call.
    pub async fn read<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        limits: &Limits,
        stall: Duration,
    ) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(end) = self.frame(limits)? {
                let rest = self.buf.split_off(end);
                let response = std::mem::replace(&mut self.buf, rest);
                self.line_start = 0;
                self.scanned = 0;
                // The next response's clock starts with its first byte (already here, or not).
                self.started = (!self.buf.is_empty()).then(Instant::now);
                return Ok(response);
            }
            // Waiting for a response to begin costs nothing but `stall` (IDLE waits for minutes);
            // once it began, it must finish in time.
            let started = self.started.unwrap_or_else(Instant::now);
            // The whole response may take BASE_TIME plus what its size needs at MIN_RATE.
            let allowed = BASE_TIME + Duration::from_secs(self.buf.len() as u64 / MIN_RATE);
            let left = allowed.saturating_sub(started.elapsed());
            if self.partial() && left.is_zero() {
                return Err(self.too_slow(started));
            }
            let wait = if self.partial() {
                stall.min(left)
            } else {
                stall
            };
            // Read straight into the buffer (a chunk array would live in this future, which the
            // sync nests deeply: 64 KiB on the stack each time).
            if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
                self.buf.reserve(READ_CHUNK);
            }
            let was_empty = self.buf.is_empty();
            match tokio::time::timeout(wait, stream.read_buf(&mut self.buf)).await {
                Err(_) if self.partial() && wait < stall => return Err(self.too_slow(started)),
                Err(_) => return Err(ReadError::Stalled { waited: wait }),
                Ok(Err(error)) => return Err(ReadError::Io(error.to_string())),
                Ok(Ok(0)) => {
                    return Err(ReadError::Closed {
                        partial: self.partial(),
                    });
                }
                Ok(Ok(_)) => {}
            }
            if was_empty {
                self.started = Some(Instant::now());
            }
        }
    }

    /// Frames as much of the buffer as is there: `Some(end)` once a whole response is buffered.
    /// Scans each byte once; a literal's bytes are never scanned for line ends.
    fn frame(&mut self, limits: &Limits) -> Result<Option<usize>, ReadError> {
        loop {
            if self.scanned > self.buf.len() {
                // Inside a literal that has not fully arrived.
                return Ok(None);
            }
            let Some(offset) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') else {
                self.scanned = self.buf.len();
                if self.buf.len() - self.line_start > limits.line {
                    return Err(ReadError::LineTooLong { limit: limits.line });
                }
                return Ok(None);
            };
            let end = self.scanned + offset + 1;
            if end - self.line_start > limits.line {
                return Err(ReadError::LineTooLong { limit: limits.line });
            }
            let line = &self.buf[self.line_start..end];
            if self.line_start == 0 {
                self.uid = uid_named(line);
            }
            let Some(announced) = literal_announced(line) else {
                return Ok(Some(end));
            };
            let limit = limits.literal.for_uid(self.uid);
            if announced > limit as u64 {
                return Err(ReadError::LiteralTooBig { announced, limit });
            }
            // The response goes on after the literal.
            let after = end + announced as usize;
            self.line_start = after;
            self.scanned = after;
        }
    }
}

/// The UID named in a FETCH response's first line (`* 7 FETCH (UID 7 …`), read from the bytes
/// before any literal (never from message content).
pub fn uid_named(line: &[u8]) -> Option<u32> {
    let upper = line.to_ascii_uppercase();
    let at = upper.windows(4).position(|w| w == b"UID ")?;
    // "UID" must start an item (after "(" or a space), not end another word.
    if at > 0 && !matches!(upper[at - 1], b'(' | b' ') {
        return None;
    }
    let digits: Vec<u8> = upper[at + 4..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .take(11)
        .collect();
    // The number must be complete: a line cut off after "UID 1" may be about UID 12.
    upper.get(at + 4 + digits.len())?;
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// The size of the literal a line announces at its end (`{123}` or `{123+}` before CRLF).
fn literal_announced(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(line: usize, literal: usize) -> Limits {
        Limits {
            line,
            literal: LiteralLimit::Fixed(literal),
        }
    }

    async fn read_all(input: &[u8], limits: &Limits) -> Vec<Result<Vec<u8>, ReadError>> {
        let mut stream = input;
        let mut reader = Reader::new();
        let mut out = Vec::new();
        loop {
            let result = reader.read(&mut stream, limits, STALL).await;
            let stop = result.is_err();
            out.push(result);
            if stop {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn responses_are_framed_with_their_literals() {
        let input = b"* 1 FETCH (UID 5 BODY[] {7}\r\nab\r\ncd\n FLAGS ())\r\n* SEARCH 1 2\r\nA1 OK done\r\n";
        let out = read_all(input, &limits(1000, 1000)).await;
        assert_eq!(
            out[0].as_deref().unwrap(),
            b"* 1 FETCH (UID 5 BODY[] {7}\r\nab\r\ncd\n FLAGS ())\r\n"
        );
        assert_eq!(out[1].as_deref().unwrap(), b"* SEARCH 1 2\r\n");
        assert_eq!(out[2].as_deref().unwrap(), b"A1 OK done\r\n");
        assert_eq!(out[3], Err(ReadError::Closed { partial: false }));
    }

    #[tokio::test]
    async fn a_literal_bigger_than_asked_for_is_refused_before_it_is_read() {
        let input = b"* 7 FETCH (UID 7 BODY[] {400000000}\r\n";
        let out = read_all(input, &limits(1000, 4096)).await;
        assert_eq!(
            out[0],
            Err(ReadError::LiteralTooBig {
                announced: 400_000_000,
                limit: 4096
            })
        );
    }

    #[tokio::test]
    async fn literal_limits_follow_the_uid_the_response_names() {
        let literal = LiteralLimit::PerUid {
            limits: std::sync::Arc::new([(7, 10), (8, 100)].into_iter().collect()),
            otherwise: 1,
        };
        let limits = Limits {
            line: 1000,
            literal,
        };
        let mut reader = Reader::new();
        let mut ok: &[u8] = b"* 2 FETCH (UID 8 BODY[] {50}\r\n";
        let mut input = ok.to_vec();
        input.extend([b'x'; 50]);
        input.extend(b")\r\n");
        ok = &input;
        assert!(reader.read(&mut ok, &limits, STALL).await.is_ok());
        let mut bad: &[u8] = b"* 1 FETCH (UID 7 BODY[] {50}\r\n";
        let mut reader = Reader::new();
        assert!(matches!(
            reader.read(&mut bad, &limits, STALL).await,
            Err(ReadError::LiteralTooBig { limit: 10, .. })
        ));
        assert_eq!(reader.current_uid(), Some(7));
    }

    #[tokio::test]
    async fn an_endless_line_is_refused_at_its_limit() {
        let mut input = b"* SEARCH".to_vec();
        input.extend(std::iter::repeat_n(b" 7", 100_000).flatten());
        let out = read_all(&input, &limits(64 * 1024, 1000)).await;
        assert_eq!(out[0], Err(ReadError::LineTooLong { limit: 64 * 1024 }));
    }

    #[tokio::test]
    async fn a_connection_closed_in_a_literal_is_a_partial_answer() {
        let input = b"* 7 FETCH (UID 7 BODY[] {100}\r\nhalf";
        let mut stream: &[u8] = input;
        let mut reader = Reader::new();
        assert_eq!(
            reader.read(&mut stream, &limits(1000, 1000), STALL).await,
            Err(ReadError::Closed { partial: true })
        );
        assert_eq!(reader.current_uid(), Some(7));
    }

    #[tokio::test]
    async fn a_response_arriving_in_pieces_is_read_whole() {
        let (mut client, mut server) = tokio::io::duplex(16);
        let writer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for piece in [
                &b"* 3 FETCH (UID 3 BODY[] {1"[..],
                b"0}\r\n01234",
                b"56789)\r",
                b"\n",
            ] {
                server.write_all(piece).await.unwrap();
                tokio::task::yield_now().await;
            }
            server
        });
        let mut reader = Reader::new();
        let response = reader
            .read(&mut client, &limits(1000, 1000), STALL)
            .await
            .unwrap();
        assert_eq!(response, b"* 3 FETCH (UID 3 BODY[] {10}\r\n0123456789)\r\n");
        drop(writer.await.unwrap());
    }

    #[tokio::test]
    async fn the_time_limit_of_a_response_starts_with_its_first_byte() {
        // A wait cut short (as IDLE's is, when the window wakes it) leaves no clock running.
        let (mut client, mut server) = tokio::io::duplex(64);
        let mut reader = Reader::new();
        let waited = tokio::time::timeout(
            Duration::from_millis(20),
            reader.read(&mut client, &limits(1000, 1000), STALL),
        )
        .await;
        assert!(waited.is_err());
        assert!(reader.started.is_none());
        use tokio::io::AsyncWriteExt;
        server.write_all(b"* OK fine\r\n").await.unwrap();
        assert_eq!(
            reader
                .read(&mut client, &limits(1000, 1000), STALL)
                .await
                .unwrap(),
            b"* OK fine\r\n"
        );
    }

    #[tokio::test]
    async fn a_silent_server_is_given_up_on() {
        let (mut client, _server) = tokio::io::duplex(16);
        let mut reader = Reader::new();
        let stall = Duration::from_millis(50);
        assert_eq!(
            reader.read(&mut client, &limits(1000, 1000), stall).await,
            Err(ReadError::Stalled { waited: stall })
        );
    }

    #[test]
    fn uids_and_literals_are_found_in_the_first_line_only() {
        assert_eq!(uid_named(b"* 7 FETCH (UID 7 FLAGS ()\r\n"), Some(7));
        assert_eq!(
            uid_named(b"* 7 FETCH (FLAGS () uid 12 BODY[] {3}\r\n"),
            Some(12)
        );
        assert_eq!(uid_named(b"* 7 FETCH (XUID 9)\r\n"), None);
        assert_eq!(uid_named(b"* 7 FETCH (UID 1"), None);
        assert_eq!(uid_named(b"* 7 FETCH (UID 12 BOD"), Some(12));
        assert_eq!(literal_announced(b"BODY[] {42}\r\n"), Some(42));
        assert_eq!(literal_announced(b"BODY[] {42+}\r\n"), Some(42));
        assert_eq!(literal_announced(b"BODY[] {x}\r\n"), None);
        assert_eq!(literal_announced(b"* OK {42} text\r\n"), None);
    }
}
