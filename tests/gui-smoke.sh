#!/usr/bin/env bash
# Opens the real window under Xvfb in English and in Japanese, waits until it is mapped, and saves a
# screenshot of each under target/screenshots/. Fails if the window never appears or the picture is
# blank (a renderer that draws nothing). Look at the PNGs: that is how a person checks the GUI.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${TAYORI_BIN:-target/debug/tayori}
[ -x "$BIN" ] || cargo build --locked --bin tayori
OUT=target/screenshots
mkdir -p "$OUT"
HOME_DIR=$(mktemp -d)

# A display number nobody holds (a previous run's server may still be shutting down on the old one).
DISPLAY_NUM=${SMOKE_DISPLAY:-97}
while [ -e "/tmp/.X$DISPLAY_NUM-lock" ] || [ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ]; do
  DISPLAY_NUM=$((DISPLAY_NUM + 1))
done
Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$HOME_DIR/xvfb.log" 2>&1 &
XVFB=$!
cleanup() { kill "$XVFB" 2>/dev/null || true; wait "$XVFB" 2>/dev/null || true; rm -rf "$HOME_DIR"; }
trap cleanup EXIT
export DISPLAY=":$DISPLAY_NUM"
ready=""
for _ in $(seq 100); do
  kill -0 "$XVFB" 2>/dev/null || break
  if xdpyinfo >/dev/null 2>&1; then ready=yes; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "FAIL: Xvfb did not start on $DISPLAY:" >&2
  cat "$HOME_DIR/xvfb.log" >&2
  exit 1
fi

shoot() { # lang-tag locale
  local tag=$1 locale=$2
  TAYORI_HOME="$HOME_DIR/$tag" LANG="$locale" LC_ALL="$locale" "$BIN" >"$OUT/welcome-$tag.log" 2>&1 &
  local app=$!
  local found=""
  for _ in $(seq 150); do
    if xwininfo -root -tree 2>/dev/null | grep -q 'Tayori'; then found=yes; break; fi
    kill -0 "$app" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$found" ]; then
    echo "FAIL: no Tayori window appeared ($tag); app output:" >&2
    cat "$OUT/welcome-$tag.log" >&2
    kill "$app" 2>/dev/null || true
    return 1
  fi
  sleep 2 # let the first frames render
  import -window root "$OUT/welcome-$tag.png"
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  local colours
  colours=$(identify -format '%k' "$OUT/welcome-$tag.png")
  if [ "$colours" -lt 16 ]; then
    echo "FAIL: the $tag screenshot has only $colours colours: nothing was drawn" >&2
    return 1
  fi
  echo "window shown ($tag): $OUT/welcome-$tag.png, $colours colours"
}

shoot en en_US.UTF-8
shoot ja ja_JP.UTF-8
