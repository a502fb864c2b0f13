#!/usr/bin/env bash
# HTML mail in the real window on a high-density screen (issue 16): the page is painted at the
# window's scale factor, as the system reports it, not at 1x and enlarged. Called by
# tests/gui-smoke.sh inside tests/rig/with-secret-service.sh; needs the rig running. Starts its own
# Xvfb, large enough for a 2x window.
#
# The rig user s10's INBOX holds the Outlook message of tests/html-mail (a table, colours, a cid:
# logo); `tayori sync` copies it into a fresh TAYORI_HOME. The window opens on it twice, with
# WINIT_X11_SCALE_FACTOR=1 and =2 (how X11 tells a program its screen's density), `j` opens the
# message, and the window is saved as target/screenshots/html-mail-{1,2}x.png. Then the page's part
# of each picture is cut out:
#  - the 2x window is twice as large each way (the same logical window);
#  - the 2x page halved is the 1x page, within a tolerance (the same layout: glyph edges differ
#    between text drawn at 1x and at 2x, 37 ‰ of this part's pixels when measured; a page laid out
#    to another width moves every line);
#  - the 2x page is not the 1x page enlarged: a window that did not learn its scale factor draws
#    its 1x tiles doubled (nearest-pixel filtering), every 2×2 block of screen pixels one colour.
#    Of the blocks that are not blank, at least 100 ‰ must hold more than one colour (measured: 388 ‰
#    painted at 2x; 0 ‰ from a build whose reader ignored the scale factor).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${TAYORI_BIN:-target/debug/tayori}
OUT=target/screenshots
ADDR=s10@example.test
MESSAGE=tests/html-mail/outlook-table-signature.eml
# The page's part of the 1x window (logical pixels): the table, the link and the signature.
PAGE=(460 300 612 172)
FUZZ=25%
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "FAIL: $0 runs inside tests/rig/with-secret-service.sh" >&2; exit 2; }
mkdir -p "$OUT"
WORK=$(mktemp -d)
export TAYORI_DNS_SERVER=127.0.0.1:10053 TAYORI_ISPDB_URL=https://ispdb.example.test/v1.1/
export TAYORI_POLICY_FILE="$WORK/no-policy.toml"
export TZ=Asia/Tokyo
APP=""
XVFB=""
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null || true
  [ -n "$XVFB" ] && kill "$XVFB" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=tests/gui-window.sh
. tests/gui-window.sh

DISPLAY_NUM=120
while [ -e "/tmp/.X$DISPLAY_NUM-lock" ] || [ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ]; do
  DISPLAY_NUM=$((DISPLAY_NUM + 1))
done
Xvfb ":$DISPLAY_NUM" -screen 0 2600x1700x24 -nolisten tcp -noreset >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
export DISPLAY=":$DISPLAY_NUM"
for i in $(seq 100); do
  xdpyinfo >/dev/null 2>&1 && break
  [ "$i" -lt 100 ] || { cat "$WORK/xvfb.log" >&2; fail "Xvfb did not start on $DISPLAY"; }
  sleep 0.1
done

seeded=$(python3 tests/gui-mailbox.py only "$ADDR" "$MESSAGE")
[ "$seeded" = 1 ] || fail "the INBOX holds $seeded messages, not 1"
home="$WORK/home"
synced_home "$home" "$ADDR"

shot() { # scale
  local scale=$1 log="$OUT/html-mail-$1x.log" png="$OUT/html-mail-$1x.png"
  # The same logical window each time (the window remembers its place when it closes).
  rm -f "$home"/data/window.toml
  open_window "$home" en_US.UTF-8 "$log" WINIT_X11_SCALE_FACTOR="$scale"
  sleep 2
  focus_window
  sleep 0.5
  xdotool key j
  sleep 3
  import -window "$WIN" "$png"
  close_window
  local w=$((PAGE[0] * scale)) h=$((PAGE[1] * scale)) x=$((PAGE[2] * scale)) y=$((PAGE[3] * scale))
  convert "$png" -crop "${w}x${h}+${x}+${y}" +repage "$OUT/html-mail-$scale-page.png"
  echo "window at ${scale}x: $png, $(identify -format '%wx%h' "$png")"
}

shot 1
shot 2
size1=$(identify -format '%wx%h' "$OUT/html-mail-1x.png")
size2=$(identify -format '%wx%h' "$OUT/html-mail-2x.png")
[ "$size2" = "$((${size1%x*} * 2))x$((${size1#*x} * 2))" ] || fail "the 2x window is $size2, the 1x one $size1"

differ() { # a b → the share of pixels that differ, in per mille
  local count pixels
  count=$(compare -metric AE -fuzz "$FUZZ" "$1" "$2" null: 2>&1 || true)
  count=${count%%.*}
  [[ "$count" =~ ^[0-9]+$ ]] || fail "compare said: $count"
  pixels=$(identify -format '%[fx:w*h]' "$1")
  echo $((count * 1000 / pixels))
}
convert "$OUT/html-mail-2-page.png" -filter box -resize 50% "$WORK/halved.png"
# Not blank: the page's part holds the table's colours and text.
colours=$(identify -format '%k' "$OUT/html-mail-1-page.png")
[ "$colours" -ge 16 ] || fail "the page's part of the 1x window has only $colours colours: no page there"
same=$(differ "$OUT/html-mail-1-page.png" "$WORK/halved.png")
[ "$same" -le 60 ] || fail "the 2x page halved differs from the 1x page in $same ‰ of its pixels (limit 60 ‰)"
# Per mille of the non-blank 2×2 blocks holding more than one colour, at the block alignment
# (even or odd rows and columns) where the fewest do.
mixed=$(python3 - "$OUT/html-mail-2-page.png" <<'PY'
import subprocess, sys
path = sys.argv[1]
w, h = map(int, subprocess.check_output(["identify", "-format", "%w %h", path]).split())
data = subprocess.check_output(["convert", path, "-depth", "8", "rgb:-"])
rows = [data[y * w * 3:(y + 1) * w * 3] for y in range(h)]
white = b"\xff" * 6
shares = []
for dx in (0, 1):
    for dy in (0, 1):
        mixed = content = 0
        for y in range(dy, h - 1, 2):
            top, bottom = rows[y], rows[y + 1]
            for x in range(dx, w - 1, 2):
                a, b = top[x * 3:x * 3 + 6], bottom[x * 3:x * 3 + 6]
                if a == white and b == white:
                    continue
                content += 1
                if not (a == b and a[:3] == a[3:]):
                    mixed += 1
        shares.append(mixed / max(content, 1))
print(round(min(shares) * 1000))
PY
)
[ "$mixed" -ge 100 ] || fail "the 2x page is the 1x page enlarged (only $mixed ‰ of its 2×2 blocks hold more than one colour): it was not painted at the scale factor"
echo "html mail at 2x: the same page as at 1x ($same ‰ of its pixels differ when halved), painted at 2x, not enlarged ($mixed ‰ of its 2×2 blocks hold more than one colour)"
