#!/bin/sh
# Stop the office's proxies and take the office network down:
#   stop.sh                   all (and removes the office namespace, the veth pair and the firewall)
#   stop.sh squid [mitm ...]  only those services (the network stays)
# Stops only what proxy/start.sh started (its pid files). Idempotent.
set -eu
PROXY_HERE="$(cd "$(dirname "$0")" && pwd)"
. "$PROXY_HERE/../common.sh"
. "$PROXY_HERE/common.sh"

if [ $# -eq 0 ]; then TARGETS="$PROXY_COMPONENTS"; else TARGETS="$*"; fi
for c in $TARGETS; do valid_proxy_component "$c"; done

wait_gone() { # pid timeout_s (a zombie counts as gone)
  python3 - "$1" "$2" <<'PY'
import sys, time
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

RC=0
for c in mitm dante squid kdc pac officedns; do
  case " $TARGETS " in *" $c "*) ;; *) continue ;; esac
  if pid=$(proxy_alive_pid "$c"); then
    kill "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 10; then
      echo "$c (pid $pid) did not exit after SIGTERM; sending SIGKILL" >&2
      kill -9 "$pid" 2>/dev/null || true
      wait_gone "$pid" 5 || true
    fi
    echo "stopped $c"
  fi
  rm -f "$(proxy_pidfile_of "$c")"
  ports="$(proxy_ports_of "$c")"
  # shellcheck disable=SC2086
  if [ -n "$ports" ] && ip link show "$RIG_IF" >/dev/null 2>&1 && ! busy=$(wait_ports closed 10 $ports); then
    echo "proxy/stop.sh: $c ports still in use: $busy" >&2
    RC=1
  fi
done

case " $TARGETS " in *" office "*)
  nft delete table inet tayori_office_gw 2>/dev/null || true
  ip link del "$RIG_IF" 2>/dev/null || true
  if pid=$(office_pid); then
    kill "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || kill -9 "$pid" 2>/dev/null || true
    echo "removed the office network"
  fi
  rm -f "$OFFICE_PIDFILE"
  rm -f "$STATE/proxy.env"
  ;;
esac
exit $RC
