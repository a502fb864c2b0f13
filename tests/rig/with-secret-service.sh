#!/bin/sh
# Run a command inside a private D-Bus session bus with gnome-keyring's Secret Service running and
# its default collection ("login") unlocked, in a fresh session keyring (keyctl):
#   tests/rig/with-secret-service.sh CMD [ARGS...]
# The exit status of CMD is propagated. The keyring files live under the rig state dir
# (${TAYORI_RIG_STATE:-<repo>/target/rig}/secret-service, or TAYORI_RIG_KEYRING_DIR), never in $HOME:
# only gnome-keyring-daemon sees the redirected XDG_DATA_HOME, CMD keeps the caller's environment
# (plus DBUS_SESSION_BUS_ADDRESS). TAYORI_RIG_KEYRING_FRESH=1 starts from an empty keyring.
# Does not need the rest of the rig to be running.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

[ $# -ge 1 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
for b in keyctl dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$b" >/dev/null 2>&1 || { echo "$0: $b missing; run tests/rig/setup.sh" >&2; exit 127; }
done

KDIR="${TAYORI_RIG_KEYRING_DIR:-$STATE/secret-service}"
[ "${TAYORI_RIG_KEYRING_FRESH:-0}" = 1 ] && rm -rf "$KDIR"
mkdir -p "$KDIR/data" "$KDIR/runtime"
chmod 700 "$KDIR" "$KDIR/data" "$KDIR/runtime"
# the login keyring's password; the keyring is created with it on first use
export TAYORI_RIG_KEYRING_PW="${TAYORI_RIG_KEYRING_PW:-tayori-rig-keyring}"
export TAYORI_RIG_KEYRING_DATA="$KDIR/data"
export TAYORI_RIG_KEYRING_RUNTIME="$KDIR/runtime"

# keyctl prints "Joined session keyring: N" on stderr: it gets /dev/null, the inner shell gets the
# caller's stderr back from fd 3.
exec 3>&2
exec keyctl session - dbus-run-session -- sh -c '
  exec 2>&3 3>&-
  # --unlock reads the password from stdin, creates the "login" keyring (the default collection)
  # if missing and unlocks it; --start then brings up the Secret Service component in that daemon,
  # which claims org.freedesktop.secrets on this private bus. The daemon exits with the bus.
  (
    export XDG_DATA_HOME="$TAYORI_RIG_KEYRING_DATA" XDG_RUNTIME_DIR="$TAYORI_RIG_KEYRING_RUNTIME"
    unset GNOME_KEYRING_CONTROL
    printf %s "$TAYORI_RIG_KEYRING_PW" | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
      && gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
  ) || { echo "with-secret-service: gnome-keyring-daemon failed" >&2; exit 125; }
  i=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do
    i=$((i + 1))
    [ $i -le 100 ] || { echo "with-secret-service: org.freedesktop.secrets did not appear on the bus" >&2; exit 125; }
    sleep 0.05
  done
  unset TAYORI_RIG_KEYRING_PW TAYORI_RIG_KEYRING_DATA TAYORI_RIG_KEYRING_RUNTIME
  exec "$@"' with-secret-service "$@" 2>/dev/null
