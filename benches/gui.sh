#!/usr/bin/env bash
# The window's figures over 100,300 cached messages (issue 7's performance goals): launch to first
# frame, frame times while scrolling the list and switching folders, and memory. Headless: iced's
# own renderer draws each frame off screen (wgpu where a GPU or a software Vulkan is there, else
# tiny-skia), so the figures are the program's work, not the display's.
# Also: page fetches by keyset (issue 23, goal 6: p95 < 16 ms at 100k) while scrolling, after a
# scrollbar drag and in the conversations view, the same deep pages by OFFSET and by keyset
# interleaved, and the frames while a first sync writes into the same store (goal 2). Those are
# printed, never a failure: on 2 cores shared with other work they are noisy.
# Then HTML mail's figures (issue 16): layout and paint time per message at 1x and 2x, memory, and
# the frames while scrolling a long HTML message (reader_tests::html_figures).
# `benches/gui.sh --release` runs only the HTML figures, in a release build (the goal's build; it
# compiles the desktop program's dependencies in the release profile first, minutes on 2 cores, so
# CI runs the test build's figures).
# Prints the figures against the goals (first frame < 500 ms; p95 of the frames < 16 ms), met or
# NOT met. A goal missed by a little on a loaded 2-core machine decides nothing (a CI run failed on
# a switching-folders p95 of 20 ms while other builds ran), so the run fails only on a miss ten
# times over: what work on the window's thread (a store query, a network wait) would look like.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
BUILD="test build"
PROFILE=()
if [ "${1:-}" = --release ]; then
  BUILD="release build"
  PROFILE=(--release)
else
cargo test --locked --bin tayori -- --ignored --nocapture --exact ui::screen::mailbox::tests::mailbox_figures 2>&1 | tee "$OUT" | grep -vE '^(running|test |$)'
grep -q 'test result: ok. 1 passed' "$OUT" || { echo "FAIL: the figures run did not pass" >&2; exit 1; }
python3 - "$OUT" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(value):
    number, unit = re.match(r"([0-9.]+)(ns|µs|ms|s)", value).groups()
    return float(number) * {"ns": 1e-6, "µs": 1e-3, "ms": 1.0, "s": 1000.0}[unit]
first = ms(re.search(r"launch to first frame[^:]*: (\S+)", text).group(1))
failed = []
met = lambda ok: "met" if ok else "NOT met"
print(f"goal: first frame {first:.1f} ms (< 500 ms: {met(first < 500)})")
if first >= 5000:
    failed.append("first frame (ten times the goal)")
for what in ("scrolling", "switching folders"):
    line = re.search(rf"^{what}[^\n]*median (\S+), p95 (\S+),", text, re.M)
    median, p95 = ms(line.group(1)), ms(line.group(2))
    print(f"goal: {what} frame median {median:.2f} ms, p95 {p95:.2f} ms (both < 16 ms: {met(max(median, p95) < 16)})")
    if p95 >= 160:
        failed.append(f"{what} (ten times the goal)")
for what in ("page fetches while scrolling", "page fetches after a scrollbar drag",
             "conversations: page fetches", "page fetches while a first sync writes"):
    line = re.search(rf"^{re.escape(what)}[^\n]*median (\S+), p95 (\S+),", text, re.M)
    median, p95 = ms(line.group(1)), ms(line.group(2))
    verdict = "met" if p95 < 16 else "NOT met"
    print(f"goal: {what}: median {median:.2f} ms, p95 {p95:.2f} ms (p95 < 16 ms: {verdict}; printed only)")
line = re.search(r"^scrolling while a first sync writes[^\n]*median (\S+), p95 (\S+),", text, re.M)
print(f"while a first sync writes: frame median {ms(line.group(1)):.2f} ms, p95 {ms(line.group(2)):.2f} ms (printed only)")
if failed:
    sys.exit("FAIL: " + ", ".join(failed))
PY

fi

# HTML mail (issue 16): layout and paint per corpus message, memory, frames while scrolling a long
# HTML message. Printed against the goals; the layout goal is for a release build (the test build's
# dependencies are optimised, its own code is not; `--release` gives the release figures), so only
# a miss ten times over fails.
cargo test --locked "${PROFILE[@]}" --bin tayori -- --ignored --nocapture --exact ui::screen::mailbox::tests::reader_tests::html_figures 2>&1 | tee "$OUT" | grep -vE '^(running|test |$)'
grep -q 'test result: ok. 1 passed' "$OUT" || { echo "FAIL: the HTML figures run did not pass" >&2; exit 1; }
python3 - "$OUT" "$BUILD" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
build = sys.argv[2]
def ms(value):
    number, unit = re.match(r"([0-9.]+)(ns|µs|ms|s)", value).groups()
    return float(number) * {"ns": 1e-6, "µs": 1e-3, "ms": 1.0, "s": 1000.0}[unit]
met = lambda ok: "met" if ok else "NOT met"
p95 = 0.0
for scale in ("1", "2"):
    line = re.search(rf"^html layout and paint at {scale}x, the whole corpus[^\n]*median (\S+), p95 (\S+),", text, re.M)
    median, scale_p95 = ms(line.group(1)), ms(line.group(2))
    p95 = max(p95, scale_p95)
    print(f"goal: html layout and paint at {scale}x median {median:.2f} ms (< 30 ms: {met(median < 30)}), p95 {scale_p95:.2f} ms (< 100 ms: {met(scale_p95 < 100)}) ({build})")
memory = re.findall(r"^html layout and paint at (\d)x, (\S+) \(memory: (\d+) KB of pixels\)", text, re.M)
print("memory per rendered message (pixels): " + ", ".join(f"{name} {kb} KB at {scale}x" for scale, name, kb in memory))
line = re.search(r"^scrolling a long html message[^\n]*median (\S+), p95 (\S+),", text, re.M)
fmedian, fp95 = ms(line.group(1)), ms(line.group(2))
print(f"goal: scrolling a long html message frame median {fmedian:.2f} ms, p95 {fp95:.2f} ms (both < 16 ms: {met(max(fmedian, fp95) < 16)})")
failed = []
if p95 >= 1000:
    failed.append("html layout (ten times the goal)")
if fp95 >= 160:
    failed.append("scrolling a long html message (ten times the goal)")
if failed:
    sys.exit("FAIL: " + ", ".join(failed))
PY
