//! Attachments leaving the mail store: a file name that is safe on every system, bytes written so
//! that a full disk leaves no half-written file behind, and the system's own program to open a
//! file with.
//!
//! A file name in a message is input from the network: it may carry a path (`../../.bashrc`),
//! control characters, a right-to-left override that makes `exe.pdf` read as `fdp.exe`, or a name
//! Windows reserves (`CON`). [`safe_file_name`] keeps the person's words — Japanese included — and
//! drops the rest.

use crate::error::ErrorKind;
use std::io::Write;
use std::path::{Path, PathBuf};
#[cfg(not(windows))]
use std::process::Stdio;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AttachmentError {
    #[error("could not write {path}: {source}. {}", advice(.source))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{0} is not a kind of document Tayori opens from mail (it could run a program). Save it and check it first if you trust the sender"
    )]
    Risky(String),
    #[error(
        "no program to open {path} could be started ({detail}). The file is saved there; open it yourself"
    )]
    Open { path: PathBuf, detail: String },
}

impl AttachmentError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AttachmentError::Write { .. } => ErrorKind::Save,
            _ => ErrorKind::Other,
        }
    }
}

/// What the person can do about a failed write.
fn advice(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            "The disk is full: free some space and try again"
        }
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            "You may not write there: choose another folder"
        }
        std::io::ErrorKind::NotFound => "The folder is not there (any more): choose another one",
        _ => "Check that there is free space and that you may write there, then try again",
    }
}

/// The longest name written, in bytes (file systems allow 255; room is left for the extension).
const MAX_NAME_BYTES: usize = 200;

/// Names Windows gives to devices, whatever the extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Characters that change the direction or visibility of text: used to disguise an extension.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        | '\u{061C}')
}

/// A file name to save an attachment under: the last part of the name the message gives (no
/// folders, no `..`), without control or direction characters and without the characters Windows
/// forbids, at most 200 bytes. An attachment without a usable name gets `attachment-<n>` with an
/// extension for its content type.
pub fn safe_file_name(name: Option<&str>, content_type: &str, index: usize) -> String {
    let last = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let mut clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    // Leading dots hide a file (or make `..`); trailing dots and spaces vanish on Windows.
    clean = clean
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_owned();
    if clean.is_empty() {
        // Bytes of unknown kind get no extension rather than a guessed one.
        let extension = match content_type.to_ascii_lowercase().as_str() {
            "application/octet-stream" => None,
            "text/plain" => Some("txt"),
            other => {
                mime_guess::get_mime_extensions_str(other).and_then(|list| list.first().copied())
            }
        }
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
        clean = format!("attachment-{}{extension}", index + 1);
    }
    let stem = clean.split('.').next().unwrap_or_default();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        clean.insert(0, '_');
    }
    if clean.len() > MAX_NAME_BYTES {
        // Cut the stem, keep the extension (the system decides how to open a file by it).
        let extension = match clean.rfind('.') {
            Some(dot) if clean.len() - dot <= 16 => clean[dot..].to_owned(),
            _ => String::new(),
        };
        let mut cut = MAX_NAME_BYTES - extension.len();
        while !clean.is_char_boundary(cut) {
            cut -= 1;
        }
        clean = format!("{}{extension}", &clean[..cut]);
    }
    clean
}

/// The kinds of file Open hands to the system: documents, pictures, sound, video and zip archives
/// people open from mail every day. Everything else — a program, a script, a shortcut, a disk
/// image, an installer, a help file, a type nobody knows — is offered for saving only. An
/// allowlist: Outlook's Level-1 list and macOS's runnable types keep growing (`.appinstaller`,
/// `.settingcontent-ms`, `.terminal`, `.fileloc`), a list of documents does not.
const OPENABLE: &[&str] = &[
    // documents
    "pdf", "txt", "rtf", "csv", "tsv", "ics", "vcf", "doc", "docx", "xls", "xlsx", "ppt", "pptx",
    "odt", "ods", "odp", "odg", "pages", "numbers", "key", "md", // pictures
    "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "avif", "bmp", "tif", "tiff",
    // sound and video
    "mp3", "m4a", "aac", "wav", "flac", "ogg", "oga", "opus", "mp4", "m4v", "mov", "webm", "mkv",
    "avi", "mpg", "mpeg", "3gp", // archives (the system shows what is inside)
    "zip",
];

/// Whether Open must refuse this name: anything but a document type on the allowlist (a program,
/// a script, a shortcut, an unknown type, no extension at all).
pub fn is_risky_to_open(file_name: &str) -> bool {
    let lower = file_name.to_lowercase();
    match lower.rsplit_once('.') {
        // A name with trailing spaces or dots is shown one way and opened another on Windows.
        Some((stem, extension)) if !stem.is_empty() => !OPENABLE.contains(&extension),
        _ => true,
    }
}

/// Writes `bytes` to `path` whole or not at all: into a new temporary file beside it (created
/// exclusively under a random name, so a link planted there is never followed), flushed to disk,
/// then renamed over `path` (which replaces a link at `path` rather than writing through it). A
/// full disk or a missing folder is an error, and no partial file is left behind. The file is
/// private to the person on Unix (0600) and marked as coming from the Internet (Mark-of-the-Web
/// on Windows, quarantine on macOS), so the system warns before running anything in it.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), AttachmentError> {
    let error = |source| AttachmentError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, mut file) = create_temporary(dir, &file_name).map_err(error)?;
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        mark_from_internet(&temp)?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(error)
}

/// A new file beside the destination, created exclusively (`O_CREAT|O_EXCL`: an existing file or
/// link of that name is an error, never opened) under an unpredictable name.
fn create_temporary(dir: &Path, file_name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut last = None;
    for _ in 0..16 {
        let temp = dir.join(format!(
            ".{file_name}.tayori-{}-{:016x}.part",
            std::process::id(),
            rand::random::<u64>()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// The Mark-of-the-Web Windows reads from a file's `Zone.Identifier` stream: zone 3, the Internet.
pub const ZONE_IDENTIFIER: &str = "[ZoneTransfer]\r\nZoneId=3\r\n";

/// The `com.apple.quarantine` value macOS reads: flags 0081 (downloaded, Gatekeeper checks it), the
/// time in hex, the program that wrote it.
pub fn quarantine_value(now: std::time::SystemTime) -> String {
    let seconds = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format!("0081;{seconds:08x};Tayori;")
}

/// Marks a written file as coming from the Internet where the system has such a mark. Linux has
/// none that desktop programs act on.
#[cfg(windows)]
fn mark_from_internet(path: &Path) -> std::io::Result<()> {
    let mut stream = path.as_os_str().to_owned();
    stream.push(":Zone.Identifier");
    std::fs::write(PathBuf::from(stream), ZONE_IDENTIFIER)
}

#[cfg(target_os = "macos")]
fn mark_from_internet(path: &Path) -> std::io::Result<()> {
    use std::ffi::{CString, c_char, c_int, c_void};
    use std::os::unix::ffi::OsStrExt;
    unsafe extern "C" {
        fn setxattr(
            path: *const c_char,
            name: *const c_char,
            value: *const c_void,
            size: usize,
            position: u32,
            options: c_int,
        ) -> c_int;
    }
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let value = quarantine_value(std::time::SystemTime::now());
    // SAFETY: both strings are NUL-terminated and live across the call; value/size describe one
    // byte slice.
    let result = unsafe {
        setxattr(
            c_path.as_ptr(),
            c"com.apple.quarantine".as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
            0,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(any(windows, target_os = "macos")))]
fn mark_from_internet(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Writes an attachment into `<cache>/attachments/<message>/<safe name>` (a private folder) for
/// opening, and returns where. Programs that can run are refused.
pub fn write_for_opening(
    cache_dir: &Path,
    message: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<PathBuf, AttachmentError> {
    if is_risky_to_open(file_name) {
        return Err(AttachmentError::Risky(file_name.to_owned()));
    }
    let dir = cache_dir.join("attachments").join(message.to_string());
    create_private_dir(&dir).map_err(|source| AttachmentError::Write {
        path: dir.clone(),
        source,
    })?;
    let path = dir.join(file_name);
    write_file(&path, bytes)?;
    Ok(path)
}

/// Removes attachments written for opening more than `age` ago (a folder per message whose files
/// are all that old), so the cache does not keep every attachment ever opened. A file still open
/// elsewhere on Windows stays until a later start. Returns how many folders were removed.
pub fn prune_opened(cache_dir: &Path, age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(cache_dir.join("attachments")) else {
        return 0;
    };
    let Some(cutoff) = std::time::SystemTime::now().checked_sub(age) else {
        return 0;
    };
    let old = |dir: &Path| -> bool {
        let Ok(files) = std::fs::read_dir(dir) else {
            return false;
        };
        files.flatten().all(|file| {
            file.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified < cutoff)
        })
    };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|dir| dir.is_dir() && old(dir))
        .filter(|dir| std::fs::remove_dir_all(dir).is_ok())
        .count()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// The system's way of opening a file with the program the person chose for its type: on macOS
/// and Linux a program that takes the path as one argument (no shell reads it); on Windows
/// ShellExecuteW, never `cmd /C start`, where `&` in a name like `Invoice&calc&.pdf` runs a program.
#[cfg(not(windows))]
fn opener_argv(path: &Path) -> Vec<std::ffi::OsString> {
    let path = path.as_os_str().to_owned();
    if cfg!(target_os = "macos") {
        vec!["open".into(), path]
    } else {
        vec!["xdg-open".into(), path]
    }
}

/// Opens a file with the system's program for its type and returns at once.
pub fn open_file(path: &Path) -> Result<(), AttachmentError> {
    if is_risky_to_open(&path.file_name().unwrap_or_default().to_string_lossy()) {
        return Err(AttachmentError::Risky(path.display().to_string()));
    }
    open_with_system(path)
}

#[cfg(not(windows))]
fn open_with_system(path: &Path) -> Result<(), AttachmentError> {
    let argv = opener_argv(path);
    std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| AttachmentError::Open {
            path: path.to_owned(),
            detail: format!("{}: {e}", argv[0].to_string_lossy()),
        })
}

#[cfg(windows)]
#[allow(unsafe_code)] // the crate's one exception (lib.rs): a call into shell32, no shell.
fn open_with_system(path: &Path) -> Result<(), AttachmentError> {
    use std::ffi::c_void;
    use std::os::windows::ffi::OsStrExt;
    #[link(name = "shell32")]
    unsafe extern "system" {
        fn ShellExecuteW(
            hwnd: *mut c_void,
            operation: *const u16,
            file: *const u16,
            parameters: *const u16,
            directory: *const u16,
            show: i32,
        ) -> isize;
    }
    const SW_SHOWNORMAL: i32 = 1;
    let wide = |s: &std::ffi::OsStr| s.encode_wide().chain(Some(0)).collect::<Vec<u16>>();
    let file = wide(path.as_os_str());
    let open = wide(std::ffi::OsStr::new("open"));
    // SAFETY: the strings are NUL-terminated UTF-16 that outlive the call; null handle, parameters
    // and directory are allowed. The path is passed as the file to open, never to a shell.
    let result = unsafe {
        ShellExecuteW(
            std::ptr::null_mut(),
            open.as_ptr(),
            file.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            SW_SHOWNORMAL,
        )
    };
    // Values above 32 mean success (the documented HINSTANCE convention).
    if result > 32 {
        Ok(())
    } else {
        Err(AttachmentError::Open {
            path: path.to_owned(),
            detail: format!("ShellExecuteW error {result}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_opened_long_ago_are_removed_and_recent_ones_kept() {
        let cache = tempfile::tempdir().unwrap();
        let old = write_for_opening(cache.path(), 1, "見積書.pdf", b"old").unwrap();
        let recent = write_for_opening(cache.path(), 2, "memo.txt", b"new").unwrap();
        let week_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(8 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(week_ago)
            .unwrap();
        let removed = prune_opened(cache.path(), std::time::Duration::from_secs(7 * 86_400));
        assert_eq!(removed, 1);
        assert!(!old.exists() && !old.parent().unwrap().exists());
        assert_eq!(std::fs::read(&recent).unwrap(), b"new");
        assert_eq!(
            prune_opened(
                tempfile::tempdir().unwrap().path(),
                std::time::Duration::ZERO
            ),
            0
        );
    }

    #[test]
    fn file_names_lose_paths_controls_and_disguises_but_keep_japanese() {
        let name = |n: &str| safe_file_name(Some(n), "application/octet-stream", 0);
        assert_eq!(name("見積書（2026年度）.pdf"), "見積書（2026年度）.pdf");
        assert_eq!(name("../../.bashrc"), "bashrc");
        assert_eq!(name("..\\..\\Windows\\system.ini"), "system.ini");
        assert_eq!(name("/etc/passwd"), "passwd");
        assert_eq!(name(".."), "attachment-1");
        assert_eq!(name("a\u{0}b\r\nc\u{7f}.txt"), "abc.txt");
        // "invoice_\u{202E}fdp.exe" shows as "invoice_exe.pdf" in a left-to-right line.
        assert_eq!(name("invoice_\u{202E}fdp.exe"), "invoice_fdp.exe");
        assert_eq!(name("a<b>c:d\"e|f?g*.txt"), "a_b_c_d_e_f_g_.txt");
        assert_eq!(name("report.pdf. . "), "report.pdf");
        assert_eq!(name("CON.txt"), "_CON.txt");
        assert_eq!(name("nul"), "_nul");
        let long = format!("{}.pdf", "資".repeat(100));
        let cut = name(&long);
        assert!(cut.len() <= MAX_NAME_BYTES, "{}", cut.len());
        assert!(cut.ends_with("資.pdf"), "{cut}");
        assert_eq!(
            safe_file_name(None, "application/pdf", 2),
            "attachment-3.pdf"
        );
        assert!(safe_file_name(Some("  "), "text/plain", 0).starts_with("attachment-1"));
        assert_eq!(safe_file_name(None, "x-unknown/x-none", 0), "attachment-1");
    }

    #[test]
    fn a_full_disk_says_so() {
        let err = AttachmentError::Write {
            path: "/media/usb/見積書.pdf".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        assert!(err.to_string().contains("The disk is full"), "{err}");
    }

    #[test]
    fn the_marks_of_the_internet_are_what_the_systems_read() {
        assert_eq!(ZONE_IDENTIFIER, "[ZoneTransfer]\r\nZoneId=3\r\n");
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(0x6560_0000);
        assert_eq!(quarantine_value(at), "0081;65600000;Tayori;");
    }

    #[cfg(not(windows))]
    #[test]
    fn the_opener_gets_the_path_as_one_argument_and_no_shell() {
        let path = Path::new("/tmp/Invoice&calc&.pdf");
        let argv = opener_argv(path);
        assert_eq!(argv.len(), 2, "{argv:?}");
        assert_eq!(argv[1], path.as_os_str());
        assert!(argv.iter().all(|a| a != "cmd" && a != "/C" && a != "sh"));
    }

    #[test]
    fn programs_are_not_opened() {
        assert!(is_risky_to_open("setup.EXE"));
        assert!(is_risky_to_open("invoice_fdp.exe"));
        assert!(is_risky_to_open("run.desktop"));
        assert!(!is_risky_to_open("見積書.pdf"));
        // An allowlist: no extension, or one nobody knows, is not opened either.
        assert!(is_risky_to_open("README"));
        assert!(is_risky_to_open("notes.xyz"));
        let dir = tempfile::tempdir().unwrap();
        let err = write_for_opening(dir.path(), 1, "setup.exe", b"MZ").unwrap_err();
        assert!(matches!(err, AttachmentError::Risky(_)), "{err}");
        assert!(!dir.path().join("attachments/1/setup.exe").exists());
    }

    #[test]
    fn writing_is_exact_private_and_leaves_nothing_half_done() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let path = write_for_opening(dir.path(), 42, "見積書.pdf", &bytes).unwrap();
        assert_eq!(path, dir.path().join("attachments/42/見積書.pdf"));
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        // Writing again replaces the file whole.
        write_file(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let folder = std::fs::metadata(path.parent().unwrap()).unwrap();
            assert_eq!(folder.permissions().mode() & 0o777, 0o700);
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        // A folder that is not there: a clear error naming the file, nothing written.
        let missing = dir.path().join("no/such/folder/a.txt");
        let err = write_file(&missing, b"x").unwrap_err();
        assert!(err.to_string().contains("a.txt"), "{err}");
        assert!(err.to_string().contains("choose another one"), "{err}");
        assert!(!missing.exists());
    }
}
