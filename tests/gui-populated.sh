#!/usr/bin/env bash
# The main window with real mail in it, and a real new-mail notification, under Xvfb. Called by
# tests/gui-smoke.sh (which starts Xvfb and sets DISPLAY) inside tests/rig/with-secret-service.sh, so
# the app password sits in a real Secret Service and the notification goes to a real notification
# server (dunst) on the same private session bus; needs the rig running.
#
# For English and for Japanese:
#  1. the rig user s15's INBOX is filled over IMAP (tests/gui-mailbox.py: English and Japanese
#     senders and subjects, some read, a thread) and `tayori sync` copies it into a fresh TAYORI_HOME;
#     the store must hold exactly what the server has;
#  2. the window opens on that home (its own sync engine signs in from the keyring);
#  3. a message is delivered through the rig's LMTP: dunst must receive Tayori's notification with
#     the sender and subject, in the window's language, and the app's log must say it was shown;
#  4. `j` selects the newest message (xdotool) and the screen is saved as
#     target/screenshots/mailbox-populated-{en,ja}.png.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${TAYORI_BIN:-target/debug/tayori}
OUT=target/screenshots
ADDR=s15@example.test
[ -n "${DISPLAY:-}" ] || { echo "FAIL: $0 needs DISPLAY (run tests/gui-smoke.sh)" >&2; exit 2; }
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "FAIL: $0 runs inside tests/rig/with-secret-service.sh" >&2; exit 2; }
WORK=$(mktemp -d)
# How an organisation points Tayori at its own servers (the rig's name server and ISPDB mirror).
export TAYORI_DNS_SERVER=127.0.0.1:10053 TAYORI_ISPDB_URL=https://ispdb.example.test/v1.1/
export TAYORI_POLICY_FILE="$WORK/no-policy.toml"

stdbuf -oL dunst -print >"$OUT/notifications.log" 2>"$WORK/dunst.log" &
DUNST=$!
APP=""
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null || true
  kill "$DUNST" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for i in $(seq 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null |
    grep -q "boolean true" && break
  [ "$i" -lt 100 ] || { echo "FAIL: dunst did not start:" >&2; cat "$WORK/dunst.log" >&2; exit 1; }
  sleep 0.1
done

fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=tests/gui-window.sh
. tests/gui-window.sh

populated() { # tag locale sender subject expected-summary
  local tag=$1 locale=$2 sender=$3 subject=$4 summary=$5
  local home="$WORK/$tag" log="$OUT/mailbox-populated-$tag.log"
  dunstctl close-all 2>/dev/null || true # the previous language's popup off the screenshot
  local seeded stored
  seeded=$(python3 tests/gui-mailbox.py seed "$ADDR")
  synced_home "$home" "$ADDR"
  stored=$(sqlite3 "$home/data/mail.sqlite3" \
    "SELECT count(*) FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.role = 'inbox'")
  [ "$stored" = "$seeded" ] || fail "the store holds $stored inbox messages, the server $seeded ($tag)"

  open_window "$home" "$locale" "$log"
  # The window's own engine has signed in (from the keyring) and is waiting for new mail.
  for i in $(seq 150); do
    grep -qs "IMAP connection ready for sync" "$home"/data/logs/* && break
    [ "$i" -lt 150 ] || fail "the window's sync engine did not connect ($tag): $(cat "$home"/data/logs/* 2>/dev/null | tail -5)"
    sleep 0.2
  done
  sleep 1
  local delivered
  delivered=$(python3 tests/gui-mailbox.py deliver "$ADDR" "$sender" "$subject")
  [ "$delivered" = $((seeded + 1)) ] || fail "delivery: $delivered messages in the INBOX"
  for i in $(seq 150); do
    grep -qF "summary: '$summary'" "$OUT/notifications.log" && break
    [ "$i" -lt 150 ] || { cat "$OUT/notifications.log" >&2; fail "no notification \"$summary\" ($tag)"; }
    sleep 0.2
  done
  grep -qF "body: '$subject'" "$OUT/notifications.log" || fail "the notification does not give the subject ($tag)"
  grep -qF "appname: 'Tayori'" "$OUT/notifications.log" || fail "the notification is not Tayori's ($tag)"
  grep -qF "desktop_entry: 'org.tayori.Tayori'" "$OUT/notifications.log" || fail "no desktop entry in the notification ($tag)"
  grep -qF "category: email.arrived" "$OUT/notifications.log" || fail "the notification is not categorised as new mail ($tag)"
  grep -qs "new-mail notification shown" "$home"/data/logs/* || fail "the app's log does not record the notification ($tag)"
  echo "notification ($tag): \"$summary\" / \"$subject\""

  # Select the newest message with the keyboard, as a person would.
  focus_window
  sleep 0.5
  xdotool key j
  sleep 2
  import -window root "$OUT/mailbox-populated-$tag.png"
  close_window
  local colours
  colours=$(identify -format '%k' "$OUT/mailbox-populated-$tag.png")
  [ "$colours" -ge 16 ] || fail "the populated $tag screenshot has only $colours colours"
  echo "window shown (mailbox-populated, $tag): $OUT/mailbox-populated-$tag.png, $stored + 1 messages, $colours colours"
}

populated en en_US.UTF-8 "Ken Sato <ken.sato@example.co.jp>" "Lunch on Friday?" "New mail from Ken Sato"
populated ja ja_JP.UTF-8 "佐藤 健 <ken.sato@example.co.jp>" "【ご確認】見積書の送付" "佐藤 健 から新着メール"
