#!/bin/sh
# Run a command on the office PC: in the office's network namespace, with the office's resolver
# (the office DNS and search domain office.test) mounted over /etc/resolv.conf in a private mount
# namespace. Nothing else on the machine sees either.
#   in-office.sh CMD [ARGS...]
#   in-office.sh --trust-inspection-ca CMD [ARGS...]
#       ... and the office's TLS inspection root installed in the system trust store, as IT
#       would install it (update-ca-certificates' result: /etc/ssl/certs with the root added),
#       for CMD only: a copy of /etc/ssl/certs is bind-mounted over the real one.
# CMD keeps the caller's environment; the exit status is CMD's.
set -eu
PROXY_HERE="$(cd "$(dirname "$0")" && pwd)"
. "$PROXY_HERE/../common.sh"
. "$PROXY_HERE/common.sh"

TRUST=0
if [ "${1:-}" = --trust-inspection-ca ]; then TRUST=1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [--trust-inspection-ca] CMD [ARGS...]" >&2; exit 2; }
pc="$(office_pid)" || { echo "in-office.sh: the office network is down; run tests/rig/proxy/start.sh" >&2; exit 125; }

CERTS=-
if [ "$TRUST" = 1 ]; then
  CERTS="$PROXY_STATE/certs-with-inspection-ca"
  ca="$OFFICE_PKI/inspection-ca.crt"
  # Rebuilt when the system's bundle or the inspection CA changed.
  stamp="$(cat /etc/ssl/certs/ca-certificates.crt "$ca" | cksum)"
  if [ "$(cat "$CERTS.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$CERTS.new"; mkdir -p "$CERTS.new"
    cp -a /etc/ssl/certs/. "$CERTS.new/"
    # as update-ca-certificates does: the PEM under its name, its hash link, and the bundle
    cp "$ca" "$CERTS.new/example-office-inspection-ca.pem"
    ln -sf example-office-inspection-ca.pem "$CERTS.new/$(openssl x509 -hash -noout -in "$ca").0"
    cat "$ca" >> "$CERTS.new/ca-certificates.crt"
    rm -rf "$CERTS"; mv "$CERTS.new" "$CERTS"
    echo "$stamp" > "$CERTS.stamp"
  fi
fi

exec nsenter --net="/proc/$pc/ns/net" -- unshare -m --propagation private sh -c '
  mount --bind "$1" /etc/resolv.conf || exit 125
  if [ "$2" != - ]; then mount --bind "$2" /etc/ssl/certs || exit 125; fi
  shift 2
  exec "$@"' in-office "$PROXY_STATE/office-resolv.conf" "$CERTS" "$@"
