//! The fuzz corpus as ordinary tests: every file under `fuzz/corpus/<target>/` (the seeds taken from
//! the tests, and every input a fuzzing run found interesting or that once crashed) goes through the
//! same target function the fuzzer calls (`fuzz/src/targets.rs`). A crash found by `fuzz/run.sh` is
//! copied into the corpus and so becomes a regression test here.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::PathBuf;

fn corpus(name: &str) -> Vec<PathBuf> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_goes_through_its_target_without_a_panic() {
    let mut replayed = Vec::new();
    for target in targets::TARGETS {
        let files = corpus(target.name);
        assert!(
            !files.is_empty(),
            "fuzz/corpus/{} has no seed (fuzz/seed.py writes them)",
            target.name
        );
        for file in &files {
            let data = std::fs::read(file).unwrap();
            // Named in the panic message: which file of which target failed.
            let outcome = std::panic::catch_unwind(|| (target.run)(&data));
            assert!(
                outcome.is_ok(),
                "{} panicked on {}",
                target.name,
                file.display()
            );
        }
        replayed.push(format!("{} {}", target.name, files.len()));
    }
    println!("replayed: {}", replayed.join(", "));
}

/// Each corpus folder belongs to a target: a folder without one would never be replayed.
#[test]
fn every_corpus_folder_has_a_target() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let known = targets::target(&name).is_some()
            // The HTML reader is part of the desktop build only.
            || (name == "html" && !cfg!(feature = "gui"));
        assert!(
            known,
            "fuzz/corpus/{name} has no target in fuzz/src/targets.rs"
        );
    }
}
