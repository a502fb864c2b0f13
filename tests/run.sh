#!/usr/bin/env bash
# The one command that installs everything the tests need and runs the whole suite:
# formatting, lints (with and without the GUI), the GUI-free build boundary, unit and end-to-end tests
# against the real-server rig, a look at the window under Xvfb, and the installers (tests/packaging.sh).
# Exits non-zero on any failure.
# Works on a fresh Debian 12 machine as root (CI) and is idempotent on a developer machine.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$(date +%s)
step() { printf '\n==> %s  (+%ss)\n' "$*" "$(( $(date +%s) - T0 ))"; }

# The build carries the rig's app registrations as its built-in ones, as the release workflow builds
# with the project's own (tests/providers.rs signs in "out of the box" against the rig's Entra and
# Google emulators). Set before any cargo command so that every step builds the same way.
export TAYORI_MICROSOFT_CLIENT_ID=7a3e0000-0000-4000-8000-00000000a001
export TAYORI_GOOGLE_CLIENT_ID=406000000001-tayoririgdesktop.apps.googleusercontent.com
export TAYORI_GOOGLE_CLIENT_SECRET=GOCSPX-rig-desktop-not-a-secret

step "system and npm packages for the rig"
tests/rig/setup.sh

step "packages for the desktop check (Xvfb, CJK fonts, screenshots, a notification server, key presses)"
missing=()
# ibus, ibus-mozc, mozc-server, ibus-gtk3, locales: Japanese typed through a real input method
# (tests/gui-japanese-ime.sh).
for pkg in xvfb xauth x11-utils imagemagick fonts-noto-cjk xdotool python3-xlib dunst sqlite3 \
  ibus ibus-mozc mozc-server ibus-gtk3 locales; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# X input methods need a locale the X library knows (not C.UTF-8); Mozc refuses to run as root, so the
# input-method check types as an ordinary user.
for want in ja_JP en_US; do
  locale -a | grep -qx "$want.utf8" || localedef -i "$want" -f UTF-8 "$want.UTF-8"
done
id tayori-ime >/dev/null 2>&1 || useradd --create-home --shell /bin/sh tayori-ime

step "rustfmt"
cargo fmt --all -- --check

step "clippy (desktop build)"
cargo clippy --all-targets --locked -- -D warnings

step "clippy (GUI-free core and command line, --no-default-features)"
cargo clippy --all-targets --locked --no-default-features -- -D warnings
if cargo tree --no-default-features -e normal,build --prefix none | grep -E '^iced' ; then
  echo "FAIL: the GUI-free build depends on iced" >&2
  exit 1
fi
echo "no iced crate in the --no-default-features dependency tree"

step "every character of Japanese mail drawn by the window's text engine (src/ui/fonts/glyph_test.rs)"
# Its counts and any failures are printed here; the unit and end-to-end step below skips it.
cargo test --locked --bin tayori glyph_test -- --nocapture

step "start the rig"
tests/rig/start.sh
trap 'tests/rig/proxy/stop.sh >/dev/null 2>&1 || true; tests/rig/stop.sh >/dev/null 2>&1 || true' EXIT
python3 tests/rig/smoke.py > target/rig/log/smoke.txt || { cat target/rig/log/smoke.txt; exit 1; }
grep -c '^PASS' target/rig/log/smoke.txt | sed 's/^/rig smoke checks passed: /'

step "start the office network and its proxies (squid, dante, mitmproxy, PAC)"
tests/rig/proxy/start.sh
tests/rig/proxy/smoke.sh > target/rig/log/proxy-smoke.txt || { cat target/rig/log/proxy-smoke.txt; exit 1; }
grep -c '^PASS' target/rig/log/proxy-smoke.txt | sed 's/^/office smoke checks passed: /'

step "unit and end-to-end tests (inside a Secret Service session)"
# The test programs are built first. Then, at the lowest priority, the builds the later steps need
# start beside the tests (the fuzzer, cargo-deb, the Windows program and its installer; each in its
# own build folder, none touching what the tests run): the tests mostly wait on servers and leave the
# cores idle, so on CI's two cores those builds cost minutes less here than after the tests.
cargo test --all-targets --locked --no-run
BACKGROUND_LOG=target/background-builds.log
setsid bash -c '
  set -euo pipefail
  if [ "${TAYORI_FUZZ_SECONDS:-90}" != 0 ]; then
    (cd fuzz && cargo fetch --locked >/dev/null)
    TAYORI_FUZZ_PROFILE=fuzz-ci TAYORI_FUZZ_JOBS=$(nproc) fuzz/run.sh --build
  fi
  nice -n 19 tests/packaging.sh --prepare
' >"$BACKGROUND_LOG" 2>&1 &
BACKGROUND=$!
trap 'kill -- -$BACKGROUND 2>/dev/null || true; tests/rig/proxy/stop.sh >/dev/null 2>&1 || true; tests/rig/stop.sh >/dev/null 2>&1 || true' EXIT
# (The glyph check ran in its own step above.) --no-fail-fast: every test program runs, so one
# run shows every failure, not only the first program's.
tests/rig/with-secret-service.sh cargo test --all-targets --locked --no-fail-fast -- --skip ui::fonts::glyph_test::

step "the builds started beside the tests (log: $BACKGROUND_LOG)"
wait "$BACKGROUND" || { tail -40 "$BACKGROUND_LOG"; echo "FAIL: a build started beside the tests failed" >&2; exit 1; }
grep -E '^(-->|Finished|fuzz/run.sh)' "$BACKGROUND_LOG" || true

# Fuzzing, in two short forms in every run: tests/fuzz_corpus.rs (in the step above) replays the whole
# corpus (seeds and every crash found so far) through the same target functions; then every target is
# fuzzed, coverage-guided, for TAYORI_FUZZ_SECONDS in all (default 90, 0 skips it), built with the
# fuzz-ci profile (its own instrumented build of every dependency, about 6 CPU-minutes, made beside the
# end-to-end tests above). The long run
# is `fuzz/run.sh 3600`. Any crash fails the suite and leaves its input in target/fuzz/artifacts/.
if [ "${TAYORI_FUZZ_SECONDS:-90}" != 0 ]; then
  step "fuzzing: every parser of outside input, coverage-guided, ${TAYORI_FUZZ_SECONDS:-90} s in all (fuzz/run.sh)"
  TAYORI_FUZZ_PROFILE=fuzz-ci TAYORI_FUZZ_JOBS=$(nproc) fuzz/run.sh "${TAYORI_FUZZ_SECONDS:-90}"
fi

step "no password of the rig's people in any rig log after the whole suite"
# Tokens are dynamic and each test scans for its own; the fixed passwords are checked here once more.
if grep -rlE 'alice-idp-secret|bob-idp-secret|carol-idp-secret|[a-z0-9]+-app-password|dovecot-introspection-secret|[a-z0-9]+-(entra|google)-secret|GOCSPX-rig-|office-proxy-secret' target/rig/log; then
  echo "FAIL: a password reached the log files above" >&2
  exit 1
fi
echo "clean: $(find target/rig/log -type f | wc -l) log files"

step "the window's figures over 100,300 messages (benches/gui.sh)"
benches/gui.sh

step "the sync benchmark's short form (benches/sync.sh: 300 messages, one round of each program, debug build)"
# Keeps the script working; the figures that decide come from its full run (README, Benchmarks). The
# binary is the one the tests above built (a plain `cargo build` would rebuild the GUI crates with
# other features, minutes on CI).
# The same binary joins once more as a variant, so the path benches/what_if.sh takes keeps working;
# and its patch must still apply to this tree.
git apply --check benches/what_if/lean-store.patch
ROUNDS=1 TAYORI_BENCH_BIN="$ROOT/target/debug/tayori" \
  TAYORI_VARIANTS="same binary=$ROOT/target/debug/tayori" benches/sync.sh 300

step "the window under Xvfb"
tests/gui-smoke.sh
tests/gui-window-state.sh

step "installers: the .deb (installed with dpkg -i), the Windows setup.exe (cross-built, run under Wine), the macOS Info.plist"
tests/packaging.sh

step "done in $(( $(date +%s) - T0 )) s"
