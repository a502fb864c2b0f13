#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET…]
#
# Builds the fuzz targets with coverage instrumentation on the stable toolchain and fuzzes each one
# (all of them when none is named) for SECONDS split evenly between them, one job at a time, at
# `nice -n 19` (the machine is shared). Prints, per target: executions, coverage (edges) and crashes.
# Exits 1 when any target crashed; the input that crashed is kept under target/fuzz/artifacts/<target>/
# (turn it into a regression test: copy it into fuzz/corpus/<target>/, which tests/fuzz_corpus.rs
# replays in every `cargo test`).
#
# The working corpus grows under target/fuzz/corpus/<target>/; the seeds in fuzz/corpus/<target>/
# (taken from the tests' inputs) are read, never written. `fuzz/run.sh --merge` folds what the
# working corpus found into the seeds, minimised. `fuzz/run.sh --build` only builds (tests/run.sh builds
# while the end-to-end tests run, then fuzzes after them).
#
# TAYORI_FUZZ_PROFILE=fuzz-ci builds with the profile CI's short form uses (dependencies unoptimised:
# about 40% of the release profile's compile time, fewer executions per second); TAYORI_FUZZ_JOBS sets
# the build's parallelism (default 1: the machine is shared).
#
# How coverage works without nightly: `-Cpasses=sancov-module` and the `-sanitizer-coverage-*` LLVM
# options are stable codegen flags; libfuzzer-sys builds libFuzzer itself. No AddressSanitizer (that
# needs -Zsanitizer): Rust's bounds, overflow and debug-assertion checks turn faults into panics.
set -euo pipefail
FUZZ=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$FUZZ/.." && pwd)
OUT=${TAYORI_FUZZ_OUT:-$ROOT/target/fuzz}
HOST=$(rustc -vV | sed -n 's/^host: //p')
PROFILE=${TAYORI_FUZZ_PROFILE:-release}
JOBS=${TAYORI_FUZZ_JOBS:-1}
BIN=$OUT/$HOST/$PROFILE/tayori-fuzz

merge=0 build_only=0
if [ "${1:-}" = "--merge" ]; then merge=1; shift; fi
if [ "${1:-}" = "--build" ]; then build_only=1; set -- 0; fi
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET…] | fuzz/run.sh --merge [TARGET…] | fuzz/run.sh --build}
[ $merge = 1 ] && seconds=0
shift || true

build() {
  local flags=(
    -Cpasses=sancov-module
    -Cllvm-args=-sanitizer-coverage-level=4
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
    -Cllvm-args=-sanitizer-coverage-pc-table
    -Cllvm-args=-sanitizer-coverage-trace-compares
    --cfg fuzzing
  )
  # --target: the flags reach only what runs in the fuzzer, not build scripts and proc macros.
  # A failed build must not leave an older fuzzer to run: the build's own status decides.
  local log=$OUT/build.log rc=0
  mkdir -p "$OUT"
  (cd "$FUZZ" && RUSTFLAGS="${flags[*]}" CARGO_TARGET_DIR="$OUT" \
    nice -n 19 cargo build --profile "$PROFILE" --locked --target "$HOST" --bin tayori-fuzz -j "$JOBS") \
    >"$log" 2>&1 || rc=$?
  grep -E '^(error|warning: unused)|Finished' "$log" || true
  [ $rc = 0 ] && [ -x "$BIN" ] || { tail -30 "$log" >&2; echo "fuzz/run.sh: the build failed" >&2; exit 1; }
}
build
[ $build_only = 0 ] || exit 0

if [ $# -gt 0 ]; then targets=("$@"); else
  mapfile -t targets < <(sed -n 's/^ *name: "\([a-z_0-9]*\)",$/\1/p' "$FUZZ/src/targets.rs")
fi
per=$(( seconds / ${#targets[@]} ))
[ $merge = 1 ] || [ "$per" -ge 1 ] || per=1

printf '%-16s %12s %8s %8s %s\n' target executions edges crashes "seconds"
total_runs=0; total_crashes=0; t_start=$(date +%s)
for t in "${targets[@]}"; do
  seeds=$FUZZ/corpus/$t; work=$OUT/corpus/$t; art=$OUT/artifacts/$t; log=$OUT/logs/$t.log
  mkdir -p "$seeds" "$work" "$art" "$(dirname "$log")"
  if [ $merge = 1 ]; then
    TAYORI_FUZZ_TARGET=$t nice -n 19 "$BIN" -merge=1 -max_len=65536 "$seeds" "$work" >"$log" 2>&1 || true
    echo "$t: $(find "$seeds" -type f | wc -l) seed files after merge"
    continue
  fi
  before=$(find "$art" -type f | wc -l)
  started=$(date +%s)
  status=0
  TAYORI_FUZZ_TARGET=$t nice -n 19 "$BIN" "$work" "$seeds" \
    -max_total_time="$per" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$art/" >"$log" 2>&1 || status=$?
  took=$(( $(date +%s) - started ))
  if ! grep -q 'inline 8-bit counters' "$log"; then
    echo "fuzz/run.sh: $t ran without coverage instrumentation (see $log)" >&2; exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  crashes=$(( $(find "$art" -type f | wc -l) - before ))
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  printf '%-16s %12s %8s %8s %s\n' "$t" "${runs:-?}" "${edges:-?}" "$crashes" "$took"
  if [ "$crashes" -gt 0 ]; then
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/    /'
  fi
  total_runs=$(( total_runs + ${runs:-0} )); total_crashes=$(( total_crashes + crashes ))
done
[ $merge = 1 ] && exit 0
printf '%-16s %12s %8s %8s %s\n' total "$total_runs" - "$total_crashes" "$(( $(date +%s) - t_start ))"
[ "$total_crashes" -eq 0 ]
