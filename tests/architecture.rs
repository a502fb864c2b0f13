//! The architecture map holds: every arrow between the parts of Tayori that the code draws (each
//! `use crate::…`, `use tayori::…`, `super::…` and inline `crate::x::` path outside comments, strings
//! and test code) must be one that `ARCHITECTURE.md` allows, the lib's parts must not import each
//! other in a circle, and no screen of the window imports another screen.
//!
//! The allowed arrows are read from the fenced block after the heading "## The map" in
//! `ARCHITECTURE.md`, so the document a newcomer reads and the check CI runs cannot drift apart.
//! A failure prints every offending line with its file and line number.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One reference from a file to a module path, where it was written.
#[derive(Debug, Clone)]
struct Reference {
    file: String,
    line: usize,
    text: String,
    /// The absolute module path referred to, e.g. `["tayori", "imap", "login"]` or
    /// `["ui", "screen", "composer"]` (bin modules are rooted at their own name).
    target: Vec<String>,
}

/// Which crate a source file is compiled into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Crate {
    Lib,
    Bin,
}

/// A source file with its module path (`["tayori", "store", "fts"]` for the lib,
/// `["ui", "screen", "mailbox"]` for the binary's modules).
#[derive(Debug)]
struct SourceFile {
    path: PathBuf,
    krate: Crate,
    module: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Lexing: blank out comments, string and char literals so braces and paths are only code.
// ---------------------------------------------------------------------------------------------

/// Returns `source` with every comment and string/char literal replaced by spaces (newlines kept),
/// so that line numbers and brace depth stay right and nothing inside a literal looks like code.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, b: u8| out.push(if b == b'\n' { b'\n' } else { b' ' });
    while i < bytes.len() {
        let b = bytes[i];
        // line comment
        if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
            continue;
        }
        // block comment (nested, as Rust allows)
        if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, bytes[i]);
                    i += 1;
                }
            }
            continue;
        }
        // raw string r"…", r#"…"#, br#"…"#
        if (b == b'r' || (b == b'b' && bytes.get(i + 1) == Some(&b'r')))
            && (i == 0 || !is_ident(bytes[i - 1]))
        {
            let start = if b == b'b' { i + 2 } else { i + 1 };
            let mut j = start;
            while bytes.get(j) == Some(&b'#') {
                j += 1;
            }
            if bytes.get(j) == Some(&b'"') {
                let hashes = j - start;
                let mut k = j + 1;
                loop {
                    if k >= bytes.len() {
                        break;
                    }
                    if bytes[k] == b'"' && bytes[k + 1..].iter().take(hashes).all(|&h| h == b'#') {
                        k += 1 + hashes;
                        break;
                    }
                    k += 1;
                }
                for &c in &bytes[i..k.min(bytes.len())] {
                    blank(&mut out, c);
                }
                i = k;
                continue;
            }
        }
        // string "…" (and b"…")
        if b == b'"' {
            out.push(b' ');
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    blank(&mut out, bytes[i]);
                    i += 1;
                }
                blank(&mut out, bytes[i]);
                i += 1;
            }
            if i < bytes.len() {
                out.push(b' ');
                i += 1;
            }
            continue;
        }
        // char literal '{', '\n', '\'' (a lifetime 'a has no closing quote right after)
        if b == b'\'' {
            let close = if bytes.get(i + 1) == Some(&b'\\') {
                bytes[i + 2..]
                    .iter()
                    .position(|&c| c == b'\'')
                    .map(|p| i + 2 + p)
            } else {
                // one UTF-8 character, then the closing quote
                let len = utf8_len(bytes.get(i + 1).copied().unwrap_or(0));
                (bytes.get(i + 1 + len) == Some(&b'\'')).then_some(i + 1 + len)
            };
            if let Some(end) = close {
                for &c in &bytes[i..=end] {
                    blank(&mut out, c);
                }
                i = end + 1;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).expect("only ASCII spaces replaced whole characters")
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Blanks out test-only code: every item after `#[cfg(test)]` (a `mod tests { … }`, a `use`, a
/// function). Returns the code and the names of `#[cfg(test)] mod name;` declarations, whose
/// files are test-only as a whole.
fn without_test_code(code: &str) -> (String, Vec<String>) {
    let mut out: Vec<u8> = code.as_bytes().to_vec();
    let mut test_modules = Vec::new();
    let mut search_from = 0;
    while let Some(found) = code[search_from..].find("#[cfg(test)]") {
        let attr = search_from + found;
        let item_start = attr + "#[cfg(test)]".len();
        // the item ends at a `;` before any `{`, or at the `}` matching its first `{`
        let bytes = code.as_bytes();
        let mut i = item_start;
        let mut depth = 0usize;
        let mut end = bytes.len();
        while i < bytes.len() {
            match bytes[i] {
                b';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let item = code[item_start..end].trim();
        if let Some(rest) = item.strip_prefix("mod ").or(item.strip_prefix("pub mod ")) {
            let name = rest.trim_end_matches(';').trim();
            if !name.contains('{') {
                test_modules.push(name.to_owned());
            }
        }
        for b in &mut out[attr..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        search_from = end;
    }
    (
        String::from_utf8(out).expect("ASCII blanks only"),
        test_modules,
    )
}

// ---------------------------------------------------------------------------------------------
// Finding references
// ---------------------------------------------------------------------------------------------

/// Expands a use tree (`crate::{a::{b, c}, d}`) into its paths.
fn expand_use_tree(tree: &str) -> Vec<Vec<String>> {
    fn split_top(s: &str) -> Vec<&str> {
        let mut parts = Vec::new();
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&s[start..]);
        parts
    }
    fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if tree.is_empty() {
            return;
        }
        if let Some(brace) = tree.find('{') {
            let head: Vec<String> = tree[..brace]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let inner = &tree[brace + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut base = prefix.to_vec();
            base.extend(head);
            for part in split_top(inner) {
                expand(&base, part, out);
            }
        } else {
            let path = tree.split(" as ").next().unwrap_or(tree);
            let mut full = prefix.to_vec();
            full.extend(
                path.split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && *s != "self" && *s != "*")
                    .map(str::to_owned),
            );
            out.push(full);
        }
    }
    let mut out = Vec::new();
    expand(&[], tree, &mut out);
    out
}

/// Resolves a path as written in `file` to an absolute module path; `None` for paths into other
/// crates (std, iced, …).
fn resolve(file: &SourceFile, written: &[String]) -> Option<Vec<String>> {
    let first = written.first()?.as_str();
    let rest = &written[1..];
    let mut absolute = match (first, file.krate) {
        ("crate", Crate::Lib) => vec!["tayori".to_owned()],
        ("crate", Crate::Bin) => Vec::new(),
        ("tayori", _) => vec!["tayori".to_owned()],
        ("self", _) => file.module.clone(),
        ("super", _) => {
            let mut m = file.module.clone();
            m.pop();
            m
        }
        _ => return None,
    };
    let mut rest = rest;
    while let Some(("super", tail)) = rest.split_first().map(|(h, t)| (h.as_str(), t)) {
        absolute.pop();
        rest = tail;
    }
    absolute.extend(rest.iter().cloned());
    Some(absolute)
}

/// `path` as written from the crate's root (`src/ui/app.rs`), as a person would look for it.
fn relative(path: &Path) -> String {
    let text = path.display().to_string();
    match text.find("src/") {
        Some(at) => text[at..].to_owned(),
        None => text,
    }
}

fn references_in(file: &SourceFile, source: &str) -> (Vec<Reference>, Vec<String>) {
    let code = code_only(source);
    let (code, test_modules) = without_test_code(&code);
    let original_lines: Vec<&str> = source.lines().collect();
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut refs = Vec::new();
    let mut push = |offset: usize, written: Vec<String>| {
        if let Some(target) = resolve(file, &written) {
            let line = line_of(offset);
            refs.push(Reference {
                file: relative(&file.path),
                line,
                text: original_lines
                    .get(line - 1)
                    .map(|l| l.trim().to_owned())
                    .unwrap_or_default(),
                target,
            });
        }
    };
    let bytes = code.as_bytes();
    // `use` declarations, possibly over several lines
    let mut i = 0;
    while let Some(found) = code[i..].find("use ") {
        let at = i + found;
        i = at + 4;
        if at > 0 && is_ident(bytes[at - 1]) {
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            break;
        };
        let tree = code[at + 4..at + end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for path in expand_use_tree(&tree) {
            push(at, path);
        }
        i = at + end;
    }
    // inline paths: crate::x, tayori::x, super::x outside `use` lines
    for keyword in ["crate::", "tayori::", "super::"] {
        let mut from = 0;
        while let Some(found) = code[from..].find(keyword) {
            let at = from + found;
            from = at + keyword.len();
            if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b':') {
                continue;
            }
            // inside a `use` (already counted)?
            let statement_start = code[..at].rfind([';', '{', '}']).map_or(0, |p| p + 1);
            let statement = code[statement_start..at].trim_start();
            if statement.starts_with("use ") || statement.contains(" use ") {
                continue;
            }
            let path_end = code[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |p| at + p);
            let written: Vec<String> = code[at..path_end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            push(at, written);
        }
    }
    (refs, test_modules)
}

// ---------------------------------------------------------------------------------------------
// The map
// ---------------------------------------------------------------------------------------------

/// The parts and the parts each may use, read from ARCHITECTURE.md.
#[derive(Debug, Default)]
struct Map {
    allowed: BTreeMap<String, BTreeSet<String>>,
}

impl Map {
    /// Reads the fenced block after the heading "## The map": one part per line, then the parts it
    /// may use (`-` for none). `#` starts a comment.
    fn parse(markdown: &str) -> Result<Map, String> {
        let after = markdown
            .split("\n## The map")
            .nth(1)
            .ok_or("ARCHITECTURE.md has no heading \"## The map\"")?;
        let fence_start = after
            .find("```")
            .ok_or("no fenced block after \"## The map\"")?;
        let block = &after[fence_start + 3..];
        let block = &block[block.find('\n').unwrap_or(0)..];
        let block = &block[..block.find("```").ok_or("the map's block is not closed")?];
        let mut map = Map::default();
        for line in block.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let part = words.next().expect("non-empty line").trim_end_matches(':');
            let uses: BTreeSet<String> = words
                .filter(|w| *w != "-" && *w != "—")
                .map(|w| w.trim_end_matches(',').to_owned())
                .collect();
            if map.allowed.insert(part.to_owned(), uses).is_some() {
                return Err(format!("part {part} is listed twice in the map"));
            }
        }
        for (part, uses) in &map.allowed {
            for used in uses {
                if !map.allowed.contains_key(used) {
                    return Err(format!(
                        "{part} may use {used}, which is not a part of the map"
                    ));
                }
            }
        }
        Ok(map)
    }
}

/// The part a module path belongs to: the lib's top-level module (`tayori::store::fts` → `store`),
/// or the binary's top-level module (`ui::screen::mailbox` → `ui`).
fn part_of(module: &[String]) -> Option<String> {
    match module.first().map(String::as_str) {
        Some("tayori") => module.get(1).cloned(),
        Some(first) => Some(first.to_owned()),
        None => None,
    }
}

/// The screen a module of the window belongs to (`ui::screen::mailbox::reader` → `mailbox`).
fn screen_of(module: &[String]) -> Option<&str> {
    match module {
        [ui, screen, name, ..] if ui == "ui" && screen == "screen" => Some(name),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Walking src/
// ---------------------------------------------------------------------------------------------

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/`, given the binary's top-level modules.
fn source_file(src: &Path, path: &Path, bin_modules: &BTreeSet<String>) -> Option<SourceFile> {
    let relative = path.strip_prefix(src).ok()?;
    let mut module: Vec<String> = relative
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if module.last().is_some_and(|m| m == "mod") {
        module.pop();
    }
    let top = module.first()?.clone();
    if top == "main" || top == "lib" || top == "build" {
        return None;
    }
    let krate = if bin_modules.contains(&top) {
        Crate::Bin
    } else {
        module.insert(0, "tayori".to_owned());
        Crate::Lib
    };
    Some(SourceFile {
        path: path.to_owned(),
        krate,
        module,
    })
}

/// Everything the check finds wrong, as lines to print.
fn violations(root: &Path) -> Result<Vec<String>, String> {
    let src = root.join("src");
    let map = Map::parse(
        &fs::read_to_string(root.join("ARCHITECTURE.md"))
            .map_err(|e| format!("ARCHITECTURE.md: {e}"))?,
    )?;
    let main = fs::read_to_string(src.join("main.rs")).map_err(|e| e.to_string())?;
    let bin_modules: BTreeSet<String> = code_only(&main)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod "))
        .map(|m| m.trim_end_matches(';').trim().to_owned())
        .collect();

    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let sources: Vec<SourceFile> = files
        .iter()
        .filter_map(|p| source_file(&src, p, &bin_modules))
        .collect();

    // Files of `#[cfg(test)] mod x;` declarations, and files named tests.rs, are test code.
    let mut test_files: BTreeSet<PathBuf> = BTreeSet::new();
    let mut test_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut all_refs: Vec<(Vec<String>, PathBuf, Reference)> = Vec::new();
    for file in &sources {
        let text = fs::read_to_string(&file.path).map_err(|e| e.to_string())?;
        let (refs, test_modules) = references_in(file, &text);
        let dir = if file.path.file_name().is_some_and(|n| n == "mod.rs") {
            file.path.parent().map(Path::to_path_buf)
        } else {
            Some(file.path.with_extension(""))
        };
        if let Some(dir) = dir {
            for name in test_modules {
                test_files.insert(dir.join(format!("{name}.rs")));
                // A test module's own submodules (`tests/mod.rs` declaring `reader_tests`) are
                // test code too.
                test_dirs.insert(dir.join(&name));
            }
        }
        for r in refs {
            all_refs.push((file.module.clone(), file.path.clone(), r));
        }
    }

    // Test code may reach anywhere: files of `#[cfg(test)] mod x;`, everything under such a
    // module's folder, and files named tests.rs.
    let is_test = |path: &Path| {
        test_files.contains(path)
            || test_dirs.iter().any(|dir| path.starts_with(dir))
            || path.file_name().is_some_and(|n| n == "tests.rs")
    };
    let mut problems = Vec::new();
    let mut edges: BTreeMap<(String, String), Vec<Reference>> = BTreeMap::new();
    let mut seen_parts = BTreeSet::new();
    for file in &sources {
        if !is_test(&file.path)
            && let Some(part) = part_of(&file.module)
        {
            seen_parts.insert(part);
        }
    }
    for part in &seen_parts {
        if !map.allowed.contains_key(part) {
            problems.push(format!(
                "src/ has a part `{part}` that ARCHITECTURE.md's map does not list: add it with the parts it may use"
            ));
        }
    }
    for (from_module, path, reference) in &all_refs {
        if is_test(path) {
            continue;
        }
        let (Some(from), Some(to)) = (part_of(from_module), part_of(&reference.target)) else {
            continue;
        };
        // A screen never imports another screen: they talk through the application's messages.
        if let (Some(a), Some(b)) = (screen_of(from_module), screen_of(&reference.target))
            && a != b
        {
            problems.push(format!(
                "{}:{}: screen `{a}` uses screen `{b}` (screens talk through the app's Message/Event): {}",
                reference.file, reference.line, reference.text
            ));
        }
        if from == to || !seen_parts.contains(&to) {
            continue;
        }
        edges
            .entry((from.clone(), to.clone()))
            .or_default()
            .push(reference.clone());
        if let Some(uses) = map.allowed.get(&from)
            && !uses.contains(&to)
        {
            problems.push(format!(
                "{}:{}: `{from}` uses `{to}`, an arrow ARCHITECTURE.md does not allow: {}",
                reference.file, reference.line, reference.text
            ));
        }
    }

    // No circle between the lib's parts (the map could allow both directions by mistake).
    let lib_parts: BTreeSet<String> = sources
        .iter()
        .filter(|f| f.krate == Crate::Lib)
        .filter_map(|f| part_of(&f.module))
        .collect();
    for component in strongly_connected(&lib_parts, &edges) {
        if component.len() < 2 {
            continue;
        }
        let mut lines = vec![format!(
            "an import circle between {}:",
            component.iter().cloned().collect::<Vec<_>>().join(", ")
        )];
        for ((from, to), refs) in &edges {
            if component.contains(from) && component.contains(to) {
                let r = &refs[0];
                lines.push(format!(
                    "    {from} → {to}  {}:{}: {}",
                    r.file, r.line, r.text
                ));
            }
        }
        problems.push(lines.join("\n"));
    }
    // One line per offending place: `use a::{b, c}` names the same arrow once per item.
    let mut seen = BTreeSet::new();
    problems.retain(|problem| seen.insert(problem.clone()));
    Ok(problems)
}

/// Tarjan's strongly connected components over the parts, by the edges found in the code.
fn strongly_connected(
    nodes: &BTreeSet<String>,
    edges: &BTreeMap<(String, String), Vec<Reference>>,
) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(v: &'a str, adjacency: &BTreeMap<&'a str, Vec<&'a str>>, s: &mut State<'a>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in adjacency.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(w, adjacency, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.insert(w.to_owned());
                if w == v {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let mut adjacency: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        if nodes.contains(from) && nodes.contains(to) {
            adjacency.entry(from).or_default().push(to);
        }
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for node in nodes {
        if !state.index.contains_key(node.as_str()) {
            visit(node, &adjacency, &mut state);
        }
    }
    state.out
}

#[test]
fn the_code_keeps_to_the_architecture_map() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let problems = violations(root).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        problems.is_empty(),
        "the code draws arrows ARCHITECTURE.md does not allow:\n{}",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The checker itself, on small trees written for the purpose
// ---------------------------------------------------------------------------------------------

/// Writes a throwaway crate layout and returns what the check says about it.
fn check_tree(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, text).expect("write");
    }
    violations(dir.path()).expect("the tree is readable")
}

const SMALL_MAP: &str = "# A\n\n## The map\n\n```text\nclock   -\nstore   clock\nsync    store clock\nui      sync store\n```\n";

#[test]
fn a_forbidden_arrow_is_reported_with_its_line() {
    let problems = check_tree(&[
        ("ARCHITECTURE.md", SMALL_MAP),
        ("src/main.rs", "mod ui;\nfn main() {}\n"),
        (
            "src/lib.rs",
            "pub mod clock;\npub mod store;\npub mod sync;\n",
        ),
        ("src/clock.rs", "pub fn now() {}\n"),
        (
            "src/store/mod.rs",
            "use crate::clock::now;\n// use crate::sync::Engine;\nuse crate::sync::Engine;\n",
        ),
        ("src/sync.rs", "use crate::store;\npub struct Engine;\n"),
        ("src/ui/mod.rs", "use tayori::sync::Engine;\n"),
    ]);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("src/store/mod.rs:3") && p.contains("`store` uses `sync`")),
        "{problems:#?}"
    );
    // the commented-out line is not code
    assert!(
        !problems.iter().any(|p| p.contains("mod.rs:2")),
        "{problems:#?}"
    );
    // and the circle store ↔ sync is named
    assert!(
        problems
            .iter()
            .any(|p| p.contains("import circle") && p.contains("store, sync")),
        "{problems:#?}"
    );
}

#[test]
fn nested_use_trees_inline_paths_and_super_are_followed() {
    let problems = check_tree(&[
        ("ARCHITECTURE.md", SMALL_MAP),
        ("src/main.rs", "mod ui;\nfn main() {}\n"),
        (
            "src/lib.rs",
            "pub mod clock;\npub mod store;\npub mod sync;\n",
        ),
        (
            "src/clock.rs",
            "pub fn now() { let _ = crate::store::x(); }\n",
        ),
        ("src/store.rs", "pub fn x() {}\n"),
        ("src/sync.rs", "use crate::{clock, store::{x, self}};\n"),
        (
            "src/ui/mod.rs",
            "mod screen;\nfn f() { let s = \"crate::nothing\"; }\n",
        ),
        ("src/ui/screen/mod.rs", "mod a;\nmod b;\n"),
        ("src/ui/screen/a.rs", "use super::b::Thing;\n"),
        ("src/ui/screen/b.rs", "pub struct Thing;\n"),
    ]);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("src/clock.rs:1") && p.contains("`clock` uses `store`")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("screen `a` uses screen `b`")),
        "{problems:#?}"
    );
    assert!(
        !problems.iter().any(|p| p.contains("sync.rs")),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

#[test]
fn test_code_and_unlisted_parts() {
    let problems = check_tree(&[
        ("ARCHITECTURE.md", SMALL_MAP),
        ("src/main.rs", "mod ui;\nfn main() {}\n"),
        (
            "src/lib.rs",
            "pub mod clock;\npub mod store;\npub mod extra;\n",
        ),
        (
            "src/clock.rs",
            "pub fn now() {}\n#[cfg(test)]\nmod tests {\n    use crate::store::x;\n    fn f() { let c = '{'; }\n}\n",
        ),
        (
            "src/store/mod.rs",
            "pub fn x() {}\n#[cfg(test)]\nmod tests;\n",
        ),
        ("src/store/tests.rs", "use crate::extra::y;\n"),
        ("src/extra.rs", "pub fn y() {}\n"),
        ("src/ui/mod.rs", "\n"),
    ]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("part `extra`"), "{problems:#?}");
}
