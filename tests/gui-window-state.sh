#!/usr/bin/env bash
# The window opens where it was closed: under Xvfb, the real window is moved and resized, closed
# the way a window manager's close button closes it (WM_DELETE_WINDOW), and opened again; its place
# and size must come back, and window.toml must hold them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${TAYORI_BIN:-target/debug/tayori}
[ -x "$BIN" ] || cargo build --locked --bin tayori
WORK=$(mktemp -d)
DISPLAY_NUM=${WINDOW_STATE_DISPLAY:-93}
while [ -e "/tmp/.X$DISPLAY_NUM-lock" ] || [ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ]; do
  DISPLAY_NUM=$((DISPLAY_NUM + 1))
done
# -noreset: Xvfb otherwise resets when its last client (the readiness probe) disconnects, and a
# window connecting during that reset fails with XOpenDisplayFailed.
Xvfb ":$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp -noreset >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
APP=""
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null || true
  kill "$XVFB" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export DISPLAY=":$DISPLAY_NUM"
ready=""
for _ in $(seq 200); do
  kill -0 "$XVFB" 2>/dev/null || break
  if xdpyinfo >/dev/null 2>&1; then ready=yes; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "FAIL: Xvfb did not start on $DISPLAY:" >&2
  cat "$WORK/xvfb.log" >&2
  exit 1
fi
echo "Xvfb on $DISPLAY"

mkdir -p "$WORK/home/config"
cat >"$WORK/home/config/accounts.toml" <<'TOML'
[[account]]
email = "hanako.yamada@example.test"
imap = { host = "mail.example.test", port = 993, security = "tls", username = "hanako.yamada@example.test" }
smtp = { host = "mail.example.test", port = 465, security = "tls", username = "hanako.yamada@example.test" }
auth = { method = "password" }
TOML

open_window() {
  TAYORI_HOME="$WORK/home" "$BIN" >>"$WORK/app.log" 2>&1 &
  APP=$!
  for _ in $(seq 150); do
    WID=$(xdotool search --name Tayori 2>/dev/null | head -1 || true)
    [ -n "$WID" ] && return 0
    sleep 0.2
  done
  echo "FAIL: no Tayori window appeared on $DISPLAY" >&2
  cat "$WORK/app.log" >&2
  xdpyinfo >/dev/null 2>&1 && echo "(the display answers xdpyinfo)" >&2
  cat "$WORK/xvfb.log" >&2
  return 1
}

open_window
sleep 1
xdotool windowmove "$WID" 230 120
xdotool windowsize "$WID" 1210 790
sleep 1
/usr/bin/python3 tests/close-window.py Tayori
for _ in $(seq 50); do kill -0 "$APP" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$APP" 2>/dev/null; then
  echo "FAIL: the window did not close when asked" >&2
  exit 1
fi
APP=""
grep -q '^width = 1210' "$WORK/home/data/window.toml" && grep -q '^x = 230' "$WORK/home/data/window.toml" || {
  echo "FAIL: window.toml does not hold the window's size and place:" >&2
  cat "$WORK/home/data/window.toml" >&2
  exit 1
}

open_window
sleep 1
geometry=$(xdotool getwindowgeometry "$WID")
echo "$geometry"
echo "$geometry" | grep -q 'Position: 230,120' && echo "$geometry" | grep -q 'Geometry: 1210x790' || {
  echo "FAIL: the window did not open where it was closed" >&2
  exit 1
}
echo "PASS: the window opens where and as large as it was closed"
