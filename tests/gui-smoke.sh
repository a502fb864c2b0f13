#!/usr/bin/env bash
# Opens the real window under Xvfb in English and in Japanese, waits until it is mapped, and saves a
# screenshot of each under target/screenshots/: the first-run wizard (no account yet), the main
# window of a person with accounts, and the composer opened by a mailto: link. Fails if the window
# never appears or the picture is blank (a renderer that draws nothing). Look at the PNGs: that is
# how a person checks the GUI.
# Then the main window with real mail from the rig and a real new-mail notification
# (tests/gui-populated.sh, inside a Secret Service session), Japanese text compared with reference
# pictures (tests/gui-japanese-text.sh), HTML mail at 2x (tests/gui-html-mail.sh) and the
# admin-consent screens (tests/gui-admin-consent.sh):
# these need the rig running, as in tests/run.sh.
# (Every step of the wizard is also drawn headless by `cargo test --bin tayori`, into the same folder.)
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
# -noreset: Xvfb otherwise resets when its last client (the readiness probe) disconnects, and a
# window connecting during that reset fails with XOpenDisplayFailed.
Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp -noreset >"$HOME_DIR/xvfb.log" 2>&1 &
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

# Accounts as the wizard saves them (no secret here: secrets live only in the keyring).
with_accounts() { # home
  mkdir -p "$1/config"
  cat >"$1/config/accounts.toml" <<'TOML'
[[account]]
email = "hanako.yamada@example.test"
display_name = "山田 花子"
imap = { host = "mail.example.test", port = 993, security = "tls", username = "hanako.yamada@example.test" }
smtp = { host = "mail.example.test", port = 465, security = "tls", username = "hanako.yamada@example.test" }
auth = { method = "password" }

[[account]]
email = "alex@corp.example"
imap = { host = "outlook.office365.com", port = 993, security = "tls", username = "alex@corp.example" }
smtp = { host = "smtp.office365.com", port = 587, security = "starttls", username = "alex@corp.example" }
auth = { method = "oauth2", client_id = "tayori", authorization_endpoint = "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize", token_endpoint = "https://login.microsoftonline.com/organizations/oauth2/v2.0/token", scopes = ["offline_access"] }
needs_sign_in = "AADSTS700082: the refresh token has expired due to inactivity"
TOML
}

shoot() { # name lang-tag locale [home-setup] [argument]
  local name=$1 tag=$2 locale=$3 setup=${4:-} arg=${5:-}
  local home="$HOME_DIR/$name-$tag"
  mkdir -p "$home"
  [ -n "$setup" ] && "$setup" "$home"
  TAYORI_HOME="$home" LANG="$locale" LC_ALL="$locale" "$BIN" ${arg:+"$arg"} >"$OUT/$name-$tag.log" 2>&1 &
  local app=$!
  local found=""
  for _ in $(seq 150); do
    if xwininfo -root -tree 2>/dev/null | grep -q 'Tayori'; then found=yes; break; fi
    kill -0 "$app" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$found" ]; then
    echo "FAIL: no Tayori window appeared ($name, $tag); app output:" >&2
    cat "$OUT/$name-$tag.log" >&2
    kill "$app" 2>/dev/null || true
    return 1
  fi
  sleep 2 # let the first frames render
  import -window root "$OUT/$name-$tag.png"
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  # Wait until the window is gone, so the next shot finds its own.
  for _ in $(seq 50); do
    xwininfo -root -tree 2>/dev/null | grep -q 'Tayori' || break
    sleep 0.1
  done
  local colours
  colours=$(identify -format '%k' "$OUT/$name-$tag.png")
  if [ "$colours" -lt 16 ]; then
    echo "FAIL: the $name $tag screenshot has only $colours colours: nothing was drawn" >&2
    return 1
  fi
  echo "window shown ($name, $tag): $OUT/$name-$tag.png, $colours colours"
}

shoot wizard en en_US.UTF-8
shoot wizard ja ja_JP.UTF-8
shoot mailbox en en_US.UTF-8 with_accounts
shoot mailbox ja ja_JP.UTF-8 with_accounts
# A mailto: link opens the composer filled from it.
shoot composer ja ja_JP.UTF-8 with_accounts 'mailto:ken@example.test?subject=%E4%BC%9A%E8%AD%B0%E3%81%AE%E4%BB%B6&body=%E3%82%88%E3%82%8D%E3%81%97%E3%81%8F%E3%81%8A%E9%A1%98%E3%81%84%E3%81%97%E3%81%BE%E3%81%99%E3%80%82'
# The main window with mail in it (and a new-mail notification), in English and Japanese.
TAYORI_BIN="$BIN" tests/rig/with-secret-service.sh tests/gui-populated.sh
# Japanese text (背景, 背中, Latin and kana) in the list, the reader's subject and body, compared
# with reference pictures, in English and Japanese.
TAYORI_BIN="$BIN" tests/rig/with-secret-service.sh tests/gui-japanese-text.sh
# HTML mail on a high-density screen: painted at the window's scale factor (2x), not enlarged.
TAYORI_BIN="$BIN" tests/rig/with-secret-service.sh tests/gui-html-mail.sh
# The admin-consent screens (wizard and Settings) against the rig's Entra emulator with Contoso's
# consent missing, in English and Japanese, clicked and typed as a person would.
TAYORI_BIN="$BIN" tests/rig/with-secret-service.sh tests/gui-admin-consent.sh
# Japanese typed through IBus with Mozc into the composer: pre-edit at the caret, candidates beside
# it, Enter commits without sending (runs as the unprivileged user tests/run.sh creates).
TAYORI_BIN="$BIN" tests/gui-japanese-ime.sh
