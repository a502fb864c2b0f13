#!/bin/sh
# One-time provisioning of the Tayori test rig on Debian 12 (run as root). Idempotent and fast
# when everything is already there: apt is skipped entirely if every package is installed,
# `npm ci` only runs if idp/node_modules/oidc-provider is missing.
# Installs no services: daemons are started by start.sh, never by apt (policy-rc.d 101 meanwhile).
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

PKGS="dovecot-core dovecot-imapd dovecot-submissiond dovecot-lmtpd postfix dnsmasq-base gnome-keyring \
dbus dbus-daemon keyutils openssl ca-certificates curl python3 libsecret-tools \
squid dante-server mitmproxy nftables iproute2 util-linux libglib2.0-bin gsettings-desktop-schemas \
krb5-kdc krb5-admin-server krb5-user libgssapi-krb5-2 \
isync"
# The line before last is the office network (tests/rig/proxy/): squid, dante and mitmproxy as the
# office's proxies, nftables for its firewall, gsettings to write GNOME's proxy settings in tests,
# and the office's Kerberos realm: MIT's KDC (krb5-kdc; kadmin.local from krb5-admin-server makes
# its principals), kinit for the office PC's ticket (krb5-user), and the GSSAPI library Tayori loads
# at run time to answer a proxy's Negotiate challenge (libgssapi-krb5-2).
# isync: mbsync, the peer benches/sync.sh compares Tayori's sync with.

[ "$(id -u)" = 0 ] || { echo "setup.sh: must run as root" >&2; exit 1; }

missing=""
for p in $PKGS; do
  st="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [ "$st" = "install ok installed" ] || missing="$missing $p"
done

if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  CREATED_POLICY=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, created by tayori tests/rig/setup.sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    CREATED_POLICY=1
  fi
  trap '[ "$CREATED_POLICY" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
  [ "$CREATED_POLICY" = 1 ] && rm -f /usr/sbin/policy-rc.d
  trap - EXIT
fi

# Node.js >= 20 and npm are prerequisites (Debian 12's own nodejs is 18: install Node 20+ from
# NodeSource or similar). oidc-provider 9.13 warns "Unsupported runtime" on 20 but works.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || { echo "setup: node (>= 20) and npm are required for the IdP" >&2; exit 1; }
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] \
  || { echo "setup: node >= 20 required (found $(node --version))" >&2; exit 1; }
if [ ! -d "$SRC/idp/node_modules/oidc-provider" ]; then
  echo "setup: npm ci in $SRC/idp"
  (cd "$SRC/idp" && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "setup done"
