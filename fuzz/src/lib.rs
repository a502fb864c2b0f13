//! Tayori's fuzz targets (see `targets.rs`), for the libFuzzer binary and for replaying the corpus.
pub mod targets;
pub use targets::{TARGETS, Target, target};
