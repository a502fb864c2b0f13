# shellcheck shell=bash
# Sourced by the tests/gui-*.sh scripts that drive the real window under Xvfb: a home holding a rig
# user's synced mail; open the window and wait until it is shown, focus it, close it and wait until
# it is gone. Needs $BIN, $WORK (a scratch folder) and a `fail` function; sets APP (the program's
# process) and WIN (its window). A trap in the caller kills $APP on failure.

synced_home() { # home address: the rig user added with its app password, its mail synced into home
  local home=$1 address=$2
  mkdir -p "$home"
  printf '%s\n' "${address%@*}-app-password" |
    TAYORI_HOME="$home" LANG=en_US.UTF-8 "$BIN" account add "$address" --auth password >"$WORK/add.log" 2>&1 ||
    { cat "$WORK/add.log" >&2; fail "account add $address"; }
  TAYORI_HOME="$home" LANG=en_US.UTF-8 "$BIN" sync >"$WORK/sync.log" 2>&1 ||
    { cat "$WORK/sync.log" >&2; fail "tayori sync $address"; }
}

open_window() { # home locale log [NAME=value …: more environment for the program]
  local home=$1 locale=$2 log=$3
  shift 3
  env TAYORI_HOME="$home" LANG="$locale" LC_ALL="$locale" "$@" "$BIN" >"$log" 2>&1 &
  APP=$!
  WIN=""
  for _ in $(seq 150); do
    WIN=$(xdotool search --onlyvisible --name 'Tayori' 2>/dev/null | head -1 || true)
    [ -n "$WIN" ] && break
    kill -0 "$APP" 2>/dev/null || { cat "$log" >&2; fail "the window did not open ($log)"; }
    sleep 0.2
  done
  [ -n "$WIN" ] || fail "no Tayori window appeared ($log)"
}

focus_window() {
  xdotool windowfocus --sync "$WIN" 2>/dev/null || xdotool windowfocus "$WIN" || true
}

close_window() {
  kill "$APP" 2>/dev/null || true
  wait "$APP" 2>/dev/null || true
  APP=""
  for _ in $(seq 50); do
    xwininfo -root -tree 2>/dev/null | grep -q 'Tayori' || break
    sleep 0.1
  done
}
