#!/bin/sh
# Stop the Tayori test rig (or some of its components):
#   stop.sh                   all
#   stop.sh dovecot [idp...]  only those (failure tests)
#   stop.sh --clean           all, then delete mail, run state and the test keyring (PKI, IdP
#                             signing key and logs are kept)
# Stops only what the rig started (its pid files / its own control commands) and waits until the
# ports are free, so a following start.sh does not race. Idempotent.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

CLEAN=0; TARGETS=""
for a in "$@"; do
  case "$a" in
    --clean) CLEAN=1 ;;
    *) valid_component "$a"; TARGETS="$TARGETS $a" ;;
  esac
done
[ -n "$TARGETS" ] || TARGETS="$COMPONENTS"
[ "$CLEAN" = 1 ] && [ "$TARGETS" != "$COMPONENTS" ] && { echo "stop.sh: --clean stops everything; give no components" >&2; exit 2; }

wait_gone() { # pid timeout_s   (a zombie counts as gone: daemons are reparented to init,
               # which may reap them only after a while)
  python3 - "$1" "$2" <<'PY'
import os, sys, time
pid, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                sys.exit(0)
    except (OSError, IndexError):
        sys.exit(0)
    time.sleep(0.03)
sys.exit(1)
PY
}

stop_pid() { # component
  pid=$(alive_pid "$1") || return 0
  kill "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" 10; then
    echo "$1 (pid $pid) did not exit after SIGTERM; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || true
  fi
  echo "stopped $1"
}

stop_postfix() {
  [ -f "$STATE/postfix/main.cf" ] || return 0
  pid=$(alive_pid postfix) || return 0
  postfix -c "$STATE/postfix" stop >>"$LOG/postfix.log" 2>&1 || true
  wait_gone "$pid" 10 || { kill -9 "$pid" 2>/dev/null || true; }
  echo "stopped postfix"
}

RC=0
for c in postfix dovecot exchange google entra idp https dns; do
  case " $TARGETS " in *" $c "*) ;; *) continue ;; esac
  case "$c" in
    postfix) stop_postfix ;;
    *) stop_pid "$c" ;;
  esac
  case "$c" in idp|entra|google|exchange|https|dns) rm -f "$(pidfile_of "$c")" ;; esac
  # shellcheck disable=SC2046
  if ! busy=$(wait_ports closed 10 $(ports_of "$c")); then
    echo "stop.sh: $c ports still in use (not by a process this rig started?): $busy" >&2
    RC=1
  fi
done

if [ "$CLEAN" = 1 ]; then
  rm -rf "$STATE/mail" "$STATE/run" "$STATE/secret-service" "$STATE/rig.env"
  echo "removed mail, run state and test keyring under $STATE"
fi
exit $RC
