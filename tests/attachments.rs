//! Attachments on disk: what may be opened (an allowlist of document types, never a program or a
//! type that runs something: Outlook's Level-1 list and macOS's), and writing that never follows a
//! link an attacker placed in the folder.

use tayori::attachment::{is_risky_to_open, write_file, write_for_opening};

/// Outlook's Level-1 attachment types (blocked there) and macOS types that run something when
/// opened. Every one must be refused for Open (saving stays possible).
const RUNS_SOMETHING: &[&str] = &[
    // Windows
    "msc",
    "chm",
    "url",
    "scf",
    "iso",
    "img",
    "vhd",
    "vhdx",
    "xll",
    "appref-ms",
    "settingcontent-ms",
    "library-ms",
    "wsc",
    "sct",
    "inf",
    "msix",
    "msixbundle",
    "appx",
    "appxbundle",
    "appinstaller",
    "cab",
    "py",
    "pyw",
    "pyc",
    "ps1xml",
    "psc1",
    "psd1",
    "mde",
    "mdb",
    "accde",
    "ade",
    "adp",
    "bas",
    "crt",
    "der",
    "gadget",
    "grp",
    "hlp",
    "hpj",
    "ins",
    "isp",
    "its",
    "jnlp",
    "ksh",
    "mad",
    "maf",
    "mag",
    "mam",
    "maq",
    "mar",
    "mas",
    "mat",
    "mau",
    "mav",
    "maw",
    "mcf",
    "mda",
    "mdt",
    "mdw",
    "mdz",
    "mht",
    "mhtml",
    "mshxsl",
    "msh",
    "msh1",
    "msh2",
    "mst",
    "ops",
    "pcd",
    "pl",
    "plg",
    "prf",
    "prg",
    "pst",
    "search-ms",
    "shb",
    "shs",
    "tmp",
    "vb",
    "vsmacros",
    "vsw",
    "ws",
    "xbap",
    "xnk",
    "diagcab",
    "website",
    "wcx",
    "hta",
    "exe",
    "com",
    "bat",
    "cmd",
    "scr",
    "pif",
    "msi",
    "lnk",
    "reg",
    "js",
    "vbs",
    "wsf",
    "jar",
    // macOS
    "terminal",
    "tool",
    "scpt",
    "scptd",
    "applescript",
    "workflow",
    "fileloc",
    "webloc",
    "inetloc",
    "dmg",
    "app",
    "command",
    "action",
    "prefpane",
    "pkg",
    "mpkg",
    "osax",
    "kext",
    // Linux and everywhere
    "sh",
    "desktop",
    "appimage",
    "run",
    "deb",
    "rpm",
    "flatpakref",
    "snap",
];

/// Documents people open from mail every day.
const DOCUMENTS: &[&str] = &[
    "pdf", "txt", "jpg", "jpeg", "png", "gif", "webp", "heic", "docx", "xlsx", "pptx", "odt",
    "ods", "odp", "csv", "ics", "mp3", "m4a", "mp4", "mov", "wav", "zip",
];

#[test]
fn only_documents_may_be_opened_never_a_type_that_runs_something() {
    let cache = tempfile::tempdir().unwrap();
    let mut opened = Vec::new();
    for extension in RUNS_SOMETHING {
        for name in [
            format!("invoice.{extension}"),
            format!("INVOICE.{}", extension.to_uppercase()),
            format!("invoice.pdf.{extension}"),
            format!("invoice.{extension} "),
            format!("invoice.{extension}."),
        ] {
            if write_for_opening(cache.path(), 1, &name, b"x").is_ok() || !is_risky_to_open(&name) {
                opened.push(name);
            }
        }
    }
    // A type nobody knows is not opened either (an allowlist, not a denylist).
    for name in ["notes.xyz123", "no-extension", "archive.tar.zzz", ".hidden"] {
        if write_for_opening(cache.path(), 2, name, b"x").is_ok() {
            opened.push(name.to_owned());
        }
    }
    assert!(
        opened.is_empty(),
        "{} names would be opened: {opened:?}",
        opened.len()
    );
    for extension in DOCUMENTS {
        let name = format!("document.{extension}");
        write_for_opening(cache.path(), 3, &name, b"x")
            .unwrap_or_else(|e| panic!("{name} is a document and may be opened: {e}"));
    }
}

/// Saving into a folder others can write (Downloads on a shared machine, /tmp): a link placed
/// where the temporary file will go must not lead the write to another file.
#[cfg(unix)]
#[test]
fn writing_an_attachment_never_follows_a_planted_link() {
    let shared = tempfile::tempdir().unwrap();
    let victim = shared.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let target = shared.path().join("report.pdf");
    // Where write_file puts its temporary file, and a guess at any name beside it.
    let planted = shared
        .path()
        .join(format!(".report.pdf.tayori-{}.part", std::process::id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let result = write_file(&target, b"%PDF-1.4 attachment bytes");
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "precious",
        "the write followed the planted link ({result:?})"
    );
    if result.is_ok() {
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"%PDF-1.4 attachment bytes"
        );
        assert!(
            !std::fs::symlink_metadata(&target)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    // A link at the destination itself is replaced, not written through.
    let victim2 = shared.path().join("victim2.txt");
    std::fs::write(&victim2, "precious too").unwrap();
    let link = shared.path().join("photo.jpg");
    std::os::unix::fs::symlink(&victim2, &link).unwrap();
    let _ = write_file(&link, b"jpeg bytes");
    assert_eq!(std::fs::read_to_string(&victim2).unwrap(), "precious too");
}
