//! Runs the real `tayori` binary and measures what a case cost it: exit status, output, wall time
//! and peak resident memory (the kernel's own high-water mark, VmHWM), with a
//! deadline after which it is killed (so a case that hangs today fails in bounded time instead of
//! hanging the suite).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// At most this much of each output stream is kept (a hostile server's 10 MB text printed on stderr
/// must show up as "long", not exhaust the test's memory); the rest is read and counted.
const KEEP: usize = 16 * 1024 * 1024;

/// How one run of `tayori` ended.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    /// Exit code, if it exited.
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Total bytes written to each stream (even beyond what is kept).
    pub stdout_len: usize,
    pub stderr_len: usize,
    pub elapsed: Duration,
    /// Peak resident set size in KiB (the kernel's VmHWM of the process's own address space).
    pub peak_rss_kib: u64,
    /// Whether the test killed it because it ran past its deadline.
    pub hit_deadline: bool,
}

impl Run {
    /// Standard output and standard error, as a person at a terminal reads them.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }

    /// A panic shows as exit status 101 and Rust's panic message on standard error.
    pub fn panicked(&self) -> bool {
        self.code == Some(101) || self.stderr.contains("panicked at")
    }

    /// One line a reader of the test log can compare across runs: the figures for this case.
    pub fn figure(&self, case: &str) {
        eprintln!(
            "FIGURE hostile {case}: `tayori {}` {} in {:.1} s, peak RSS {:.1} MiB, stdout {} B, stderr {} B",
            self.args.join(" "),
            self.ending(),
            self.elapsed.as_secs_f64(),
            self.peak_rss_mib(),
            self.stdout_len,
            self.stderr_len
        );
    }

    pub fn ending(&self) -> String {
        match (self.code, self.signal, self.hit_deadline) {
            (_, _, true) => "killed at the test's deadline".to_owned(),
            (Some(code), _, _) => format!("exit {code}"),
            (None, Some(signal), _) => format!("killed by signal {signal}"),
            (None, None, _) => "ended".to_owned(),
        }
    }

    /// The first check of every case: it ended by itself, without a panic.
    pub fn assert_no_panic(&self) {
        assert!(
            !self.hit_deadline,
            "tayori {} did not finish within the deadline ({:.0} s); output so far:\n{}",
            self.args.join(" "),
            self.elapsed.as_secs_f64(),
            self.excerpt()
        );
        assert!(
            !self.panicked(),
            "tayori {} panicked ({}):\n{}",
            self.args.join(" "),
            self.ending(),
            self.excerpt()
        );
        assert!(
            self.code.is_some(),
            "tayori {} did not exit normally ({})",
            self.args.join(" "),
            self.ending()
        );
    }

    /// The output, cut to something a test failure can print.
    pub fn excerpt(&self) -> String {
        excerpt(&self.text(), 6000)
    }
}

/// At most `limit` bytes of `text` (head and tail), on character boundaries.
pub fn excerpt(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut head = limit / 2;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - limit / 2;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}\n[… {} bytes left out …]\n{}",
        &text[..head],
        tail - head,
        &text[tail..]
    )
}

/// `tayori` with a home, as an organisation would run it against the rig: its name server, no
/// admin policy unless one is given, English output.
pub struct Tayori {
    home: PathBuf,
    args: Vec<String>,
    env: Vec<(String, OsString)>,
    stdin: Option<Vec<u8>>,
    deadline: Duration,
}

impl Tayori {
    pub fn new(home: &Path, args: &[&str]) -> Tayori {
        Tayori {
            home: home.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: Vec::new(),
            stdin: None,
            deadline: Duration::from_secs(120),
        }
    }

    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Tayori {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    pub fn stdin(mut self, input: &str) -> Tayori {
        self.stdin = Some(input.as_bytes().to_vec());
        self
    }

    /// Killed after this long (the case then fails, saying so).
    pub fn deadline(mut self, deadline: Duration) -> Tayori {
        self.deadline = deadline;
        self
    }

    /// Starts it; [`Running::finish`] waits for the end.
    pub fn spawn(self) -> Running {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tayori"));
        command
            .args(&self.args)
            .env("TAYORI_HOME", &self.home)
            .env("TAYORI_DNS_SERVER", "127.0.0.1:10053")
            .env("TAYORI_ISPDB_URL", "https://ispdb.example.test/v1.1/")
            .env("TAYORI_POLICY_FILE", self.home.join("no-policy.toml"))
            .env("LANG", "en_US.UTF-8")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let started = Instant::now();
        let mut child = command.spawn().expect("start tayori");
        let pid = child.id() as libc::pid_t;
        let mut stdin = child.stdin.take().unwrap();
        let input = self.stdin.clone();
        std::thread::spawn(move || {
            if let Some(input) = input {
                let _ = stdin.write_all(&input);
            }
        });
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        // The child is reaped with waitpid below (by pid, so `finish` can poll), never through `child`.
        drop(child);
        Running {
            pid,
            args: self.args,
            started,
            deadline: self.deadline,
            stdout: Some(stdout),
            stderr: Some(stderr),
            killed: false,
        }
    }

    /// Runs it to the end (or the deadline).
    pub fn run(self) -> Run {
        self.spawn().finish()
    }
}

/// VmHWM (peak resident set) of a running process, in KiB.
fn vm_hwm_kib(status_file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status_file).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<(Vec<u8>, usize)> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    let room = KEEP.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        (kept, total)
    })
}

/// A started `tayori`.
pub struct Running {
    pub pid: libc::pid_t,
    args: Vec<String>,
    started: Instant,
    deadline: Duration,
    stdout: Option<JoinHandle<(Vec<u8>, usize)>>,
    stderr: Option<JoinHandle<(Vec<u8>, usize)>>,
    killed: bool,
}

impl Running {
    /// kill -9, as a crash, a power cut or the OOM killer would end it.
    pub fn kill9(&mut self) {
        if !self.killed {
            // Safe: the pid is our own unreaped child, so it cannot have been reused.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            self.killed = true;
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits for the end (killing it at the deadline) and collects what it said and cost.
    pub fn finish(mut self) -> Run {
        let mut status: libc::c_int = 0;
        let mut hit_deadline = false;
        // wait4's ru_maxrss would include the test process's own memory (Linux keeps the high-water
        // mark of the address space a child had before exec), so the peak is read from
        // /proc/PID/status while the process runs: VmHWM only grows, so the last reading before
        // the exit misses at most the last two milliseconds.
        let status_file = format!("/proc/{}/status", self.pid);
        let mut peak_rss_kib = 0;
        loop {
            if let Some(hwm) = vm_hwm_kib(&status_file) {
                peak_rss_kib = peak_rss_kib.max(hwm);
            }
            let reaped = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
            if reaped == self.pid {
                break;
            }
            assert!(reaped == 0, "waitpid: {}", std::io::Error::last_os_error());
            if !self.killed && self.started.elapsed() > self.deadline {
                hit_deadline = true;
                self.kill9();
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let elapsed = self.started.elapsed();
        let (stdout, stdout_len) = self.stdout.take().unwrap().join().unwrap();
        let (stderr, stderr_len) = self.stderr.take().unwrap().join().unwrap();
        let (code, signal) = if libc::WIFEXITED(status) {
            (Some(libc::WEXITSTATUS(status)), None)
        } else if libc::WIFSIGNALED(status) {
            (None, Some(libc::WTERMSIG(status)))
        } else {
            (None, None)
        };
        Run {
            args: self.args.clone(),
            code,
            signal,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            stdout_len,
            stderr_len,
            elapsed,
            peak_rss_kib,
            hit_deadline,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A test that fails before `finish` must not leave tayori running against a dead server.
        if self.stdout.is_some() {
            self.kill9();
            let mut status = 0;
            unsafe { libc::waitpid(self.pid, &mut status, 0) };
        }
    }
}
