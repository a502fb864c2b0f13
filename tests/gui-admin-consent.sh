#!/usr/bin/env bash
# The admin-consent screens as a person sees them: the real window under Xvfb, against the rig's
# Entra emulator, where Contoso has not approved Tayori (its people may not consent to mail access
# themselves). Called by tests/gui-smoke.sh (which starts Xvfb and sets DISPLAY) inside
# tests/rig/with-secret-service.sh; needs the rig running.
#
# For English and for Japanese:
#  1. the wizard: the address is typed, the primary button (Continue, then "Sign in with
#     Microsoft") is clicked as a person would (found on the screen by its colour), the browser
#     (tests/browser-driver.py) signs in and returns without consent; the window must reach the
#     consent screen (its log records that the admin-consent link is shown), the browser page must
#     not say "signed in", and nothing is saved. Screenshot: wizard-admin-consent-xvfb-{en,ja}.png.
#  2. Settings: a Fabrikam person whose consent was withdrawn after signing in; the window's own
#     sync is refused (AADSTS65001), Ctrl+, opens Settings, which shows the admin-consent link.
#     Screenshot: settings-admin-consent-xvfb-{en,ja}.png.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${TAYORI_BIN:-target/debug/tayori}
OUT=target/screenshots
mkdir -p "$OUT"
[ -n "${DISPLAY:-}" ] || { echo "FAIL: $0 needs DISPLAY (run tests/gui-smoke.sh)" >&2; exit 2; }
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "FAIL: $0 runs inside tests/rig/with-secret-service.sh" >&2; exit 2; }
WORK=$(mktemp -d)
export TAYORI_DNS_SERVER=127.0.0.1:10053 TAYORI_ISPDB_URL=https://ispdb.example.test/v1.1/
export TAYORI_POLICY_FILE="$WORK/no-policy.toml"
TAYORI_MS=$("$BIN" --version | sed -n 's/^Microsoft sign-in: built-in app registration //p')
APP=""
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -n "$TAYORI_MS" ] || fail "this build carries no Microsoft registration (build with TAYORI_MICROSOFT_CLIENT_ID as tests/run.sh does)"

entra() { # method path [json]
  curl -fsS -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "http://127.0.0.30:9000$2" >/dev/null
}

# shellcheck source=tests/gui-window.sh
. tests/gui-window.sh

# Clicks the middle of the window's primary (filled) button, found on the screen as the largest
# area of the primary colour (the step markers share the colour but are small).
click_primary() { # what
  local shot="$WORK/screen.png" box
  import -window root "$shot"
  box=$(convert "$shot" -fuzz 6% -fill black +opaque "$PRIMARY" -fill white -opaque "$PRIMARY" \
    -define connected-components:verbose=true -connected-components 8 null: 2>/dev/null |
    awk '/srgb\(255,255,255\)/ { if ($4 > best) { best = $4; box = $2 } } END { print box }')
  local w h x y
  IFS='x+' read -r w h x y <<<"$box"
  [ -n "${w:-}" ] && [ "$w" -gt 40 ] && [ "$h" -gt 20 ] || fail "no primary button on the screen for $1 (largest: $box)"
  xdotool mousemove --sync $((x + w / 2)) $((y + h / 2)) click 1
}

shot() { # name
  sleep 1
  import -window root "$OUT/$1.png"
  local colours
  colours=$(identify -format '%k' "$OUT/$1.png")
  [ "$colours" -ge 16 ] || fail "the $1 screenshot has only $colours colours"
  echo "window shown ($1): $OUT/$1.png, $colours colours"
}

# iced's light theme's primary colour (the filled buttons).
PRIMARY=${PRIMARY_COLOUR:-"#5865f2"}

wizard() { # tag locale upn
  local tag=$1 locale=$2 upn=$3 home="$WORK/wizard-$1"
  mkdir -p "$home"
  entra DELETE "/rules?user=$upn"
  entra DELETE "/users/$upn/grants"
  entra DELETE "/tenants/contoso.test/grants/$TAYORI_MS"
  export BROWSER="env TAYORI_DNS_SERVER=127.0.0.1:10053 BROWSER_DRIVER_ADMIN_APPROVAL=return BROWSER_DRIVER_PAGE_OUT=$WORK/page-$tag.html python3 $ROOT/tests/browser-driver.py $upn ${upn%@*}-entra-secret"
  local log="$OUT/wizard-admin-consent-xvfb-$tag.log"
  open_window "$home" "$locale" "$log"
  focus_window
  sleep 1.5
  xdotool type --delay 20 "$upn"
  xdotool key Return
  sleep 3 # discovery (the known-providers table and AutoDiscover in the rig answer at once)
  click_primary "Continue ($tag)"
  sleep 1.5
  click_primary "Sign in with Microsoft ($tag)"
  for i in $(seq 150); do
    grep -qs "admin-consent link shown" "$home"/data/logs/* && break
    [ "$i" -lt 150 ] || { import -window root "$OUT/wizard-admin-consent-xvfb-$tag.png"; fail "the wizard did not reach the consent screen ($tag): $(tail -5 "$home"/data/logs/* 2>/dev/null)"; }
    sleep 0.2
  done
  shot "wizard-admin-consent-xvfb-$tag"
  unset BROWSER
  close_window
  ! grep -qs "You are signed in" "$WORK/page-$tag.html" || fail "the browser said signed in ($tag)"
  [ -s "$WORK/page-$tag.html" ] || fail "the browser driver kept no page ($tag)"
  [ ! -s "$home/config/accounts.toml" ] || fail "an account was saved without consent ($tag)"
}

settings() { # tag locale upn
  local tag=$1 locale=$2 upn=$3 home="$WORK/settings-$1"
  mkdir -p "$home"
  entra DELETE "/rules?user=$upn"
  entra DELETE "/users/$upn/grants"
  # The administrator approved Tayori; the person signs in (the command line, as in the tests of
  # tests/providers.rs); then the administrator withdraws the approval.
  entra POST /tenants/contoso.test/grants "{\"client_id\":\"$TAYORI_MS\"}"
  TAYORI_HOME="$home" LANG=en_US.UTF-8 "$BIN" account add "$upn" \
    --browser "env TAYORI_DNS_SERVER=127.0.0.1:10053 python3 $ROOT/tests/browser-driver.py $upn ${upn%@*}-entra-secret" \
    >"$WORK/add-$tag.log" 2>&1 || { cat "$WORK/add-$tag.log" >&2; fail "account add $upn ($tag)"; }
  entra DELETE "/tenants/contoso.test/grants/$TAYORI_MS"
  local log="$OUT/settings-admin-consent-xvfb-$tag.log"
  open_window "$home" "$locale" "$log"
  focus_window
  sleep 1.5
  # The window's own sync refreshes the token and is refused for consent: the account records it.
  for i in $(seq 150); do
    grep -qs "AADSTS65001" "$home/config/accounts.toml" && break
    [ "$i" -lt 150 ] || fail "the window's sync did not record the consent refusal ($tag): $(tail -5 "$home"/data/logs/* 2>/dev/null)"
    sleep 0.2
  done
  sleep 1
  xdotool key ctrl+comma
  for i in $(seq 50); do
    grep -qs "settings opened" "$home"/data/logs/* && break
    [ "$i" -lt 50 ] || { import -window root "$OUT/settings-admin-consent-xvfb-$tag.png"; fail "Ctrl+, did not open the settings ($tag)"; }
    sleep 0.2
  done
  shot "settings-admin-consent-xvfb-$tag"
  close_window
  TAYORI_HOME="$home" "$BIN" account remove "$upn" >/dev/null 2>&1 || true
}

wizard en en_US.UTF-8 t10@contoso.test
wizard ja ja_JP.UTF-8 t11@contoso.test
settings en en_US.UTF-8 t12@contoso.test
settings ja ja_JP.UTF-8 t13@contoso.test
