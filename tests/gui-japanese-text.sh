#!/usr/bin/env bash
# Japanese text as the window draws it, compared with a reference picture (issue 24: 背 was drawn
# with no advance, so 背景 collapsed into one garbled glyph). Called by tests/gui-smoke.sh (which
# starts Xvfb and sets DISPLAY) inside tests/rig/with-secret-service.sh; needs the rig running.
#
# For English and for Japanese: the rig user s12's INBOX holds one message (tests/gui-mailbox.py
# japanese: subject "背景と背中 — Tayori のテスト", a body with 背景, 背中 and a line of Latin
# letters and kana, a fixed date); `tayori sync` copies it into a fresh TAYORI_HOME, the window
# opens on it, `j` selects it, and the screen is saved as target/screenshots/japanese-text-{en,ja}.png.
# Three parts of it — the list row, the reader's subject line, the reader's body — are cut out and
# compared with tests/reference/japanese-text-{en,ja}-{row,subject,body}.png: at most
# $TOLERANCE_PERMILLE ‰ of the pixels may differ by more than $FUZZ (anti-aliasing, not a glyph moved).
# A collapsed glyph shifts everything after it and fails by far.
#
# JAPANESE_TEXT_UPDATE=1 writes the cut-outs as the new references instead (look at them first).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${TAYORI_BIN:-target/debug/tayori}
OUT=target/screenshots
REF=tests/reference
ADDR=s12@example.test
FUZZ=${FUZZ:-25%}
TOLERANCE_PERMILLE=${TOLERANCE_PERMILLE:-5}
[ -n "${DISPLAY:-}" ] || { echo "FAIL: $0 needs DISPLAY (run tests/gui-smoke.sh)" >&2; exit 2; }
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "FAIL: $0 runs inside tests/rig/with-secret-service.sh" >&2; exit 2; }
mkdir -p "$OUT"
WORK=$(mktemp -d)
export TAYORI_DNS_SERVER=127.0.0.1:10053 TAYORI_ISPDB_URL=https://ispdb.example.test/v1.1/
export TAYORI_POLICY_FILE="$WORK/no-policy.toml"
# The list shows dates in the person's time zone: one zone, one picture.
export TZ=Asia/Tokyo
APP=""
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=tests/gui-window.sh
. tests/gui-window.sh

# The parts of the screen to compare, per language ($tag_row, $tag_subject, $tag_body).
# shellcheck source=/dev/null
. "$REF/japanese-text.geometry"

shot() { # tag locale
  local tag=$1 locale=$2 home="$WORK/$1" log="$OUT/japanese-text-$1.log"
  local seeded
  seeded=$(python3 tests/gui-mailbox.py japanese "$ADDR")
  [ "$seeded" = 1 ] || fail "the INBOX holds $seeded messages, not 1 ($tag)"
  synced_home "$home" "$ADDR"

  open_window "$home" "$locale" "$log"
  sleep 2
  focus_window
  sleep 0.5
  xdotool key j
  sleep 2
  local png="$OUT/japanese-text-$tag.png"
  import -window root "$png"
  close_window

  local part geometry cut ref pixels differing permille
  for part in row subject body; do
    geometry=${tag}_$part
    geometry=${!geometry}
    cut="$OUT/japanese-text-$tag-$part.png"
    ref="$REF/japanese-text-$tag-$part.png"
    convert "$png" -crop "$geometry" +repage "$cut"
    if [ "${JAPANESE_TEXT_UPDATE:-}" = 1 ]; then
      cp "$cut" "$ref"
      echo "reference written: $ref ($geometry)"
      continue
    fi
    [ -f "$ref" ] || fail "no reference $ref (JAPANESE_TEXT_UPDATE=1 writes it)"
    [ "$(identify -format '%wx%h' "$cut")" = "$(identify -format '%wx%h' "$ref")" ] ||
      fail "$cut is $(identify -format '%wx%h' "$cut"), the reference $(identify -format '%wx%h' "$ref")"
    pixels=$(identify -format '%[fx:w*h]' "$ref")
    # `compare` exits 1 when the pictures differ at all; the count is what matters.
    differing=$(compare -metric AE -fuzz "$FUZZ" "$ref" "$cut" "$OUT/japanese-text-$tag-$part-diff.png" 2>&1 >/dev/null || true)
    differing=${differing%%.*}
    [[ "$differing" =~ ^[0-9]+$ ]] || fail "compare said: $differing"
    permille=$((differing * 1000 / pixels))
    if [ "$permille" -gt "$TOLERANCE_PERMILLE" ]; then
      fail "the $part ($tag) differs from $ref in $differing of $pixels pixels ($permille ‰ > $TOLERANCE_PERMILLE ‰); see $OUT/japanese-text-$tag-$part-diff.png"
    fi
    echo "japanese text ($tag, $part): $differing of $pixels pixels differ from the reference ($permille ‰, limit $TOLERANCE_PERMILLE ‰)"
  done
}

shot en en_US.UTF-8
shot ja ja_JP.UTF-8
