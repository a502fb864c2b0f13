#!/bin/sh
# Run a daemon on the "proxy host": in its own session, with the office DNS as its resolver (a
# private mount namespace bind-mounts run-state proxy-host-resolv.conf over /etc/resolv.conf; nothing
# else on the machine sees it). PIDFILE gets the daemon's pid; "-" when the daemon writes its own.
#   on-proxy-host.sh PIDFILE CMD [ARGS...]
set -eu
PROXY_HERE="$(cd "$(dirname "$0")" && pwd)"
. "$PROXY_HERE/../common.sh"
. "$PROXY_HERE/common.sh"
exec setsid unshare -m --propagation private sh -c '
  mount --bind "$1" /etc/resolv.conf || exit 1
  [ "$2" = - ] || echo $$ > "$2"
  shift 2; exec "$@"' on-proxy-host "$PROXY_STATE/proxy-host-resolv.conf" "$@"
