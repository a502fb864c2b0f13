#!/bin/sh
# Start the office network and its proxies (after tests/rig/start.sh; the proxies reach the rig's
# servers, "the Internet", through the rig's loopback):
#   start.sh                  all: office officedns pac kdc squid dante mitm
#   start.sh squid [pac ...]  only those (failure tests stop and start single components)
# Idempotent. Prints "office up in N s" and writes $TAYORI_RIG_STATE/proxy.env for the tests.
set -eu
PROXY_HERE="$(cd "$(dirname "$0")" && pwd)"
. "$PROXY_HERE/../common.sh"
. "$PROXY_HERE/common.sh"
T0=$(date +%s.%N)

[ "$(id -u)" = 0 ] || { echo "proxy/start.sh: must run as root (network namespaces, port 53/80)" >&2; exit 1; }
if [ $# -eq 0 ]; then TARGETS="$PROXY_COMPONENTS"; else TARGETS="$*"; fi
for c in $TARGETS; do valid_proxy_component "$c"; done
for b in ip nft squid danted mitmdump dnsmasq unshare openssl krb5kdc kdb5_util kadmin.local; do
  command -v "$b" >/dev/null 2>&1 || { echo "proxy/start.sh: $b missing; run tests/rig/setup.sh" >&2; exit 1; }
done
[ -s "$PKI/ca.crt" ] && [ -s "$PKI/ca.key" ] || { echo "proxy/start.sh: start the rig first (tests/rig/start.sh)" >&2; exit 1; }

mkdir -p "$PROXY_STATE" "$RUN" "$LOG" "$RUN/squid"
chmod 755 "$PROXY_STATE"
"$PROXY_SRC/gen-office-pki.sh" "$OFFICE_PKI" "$PKI" "$PROXY_ADDR"

render() { # template -> output, @VAR@ replaced; untouched when unchanged
  sed -e "s|@STATE@|$STATE|g" -e "s|@SRC@|$SRC|g" -e "s|@RUN@|$RUN|g" -e "s|@LOG@|$LOG|g" \
      -e "s|@PROXY_STATE@|$PROXY_STATE|g" -e "s|@OFFICE_PKI@|$OFFICE_PKI|g" \
      -e "s|@PROXY_ADDR@|$PROXY_ADDR|g" -e "s|@OFFICE_NET@|$OFFICE_NET|g" \
      -e "s|@KRB_STATE@|$KRB_STATE|g" -e "s|@KRB_REALM@|$KRB_REALM|g" -e "s|@KDC_PORT@|$KDC_PORT|g" "$1" > "$2.tmp"
  if cmp -s "$2.tmp" "$2"; then rm -f "$2.tmp"; else chmod 644 "$2.tmp"; mv "$2.tmp" "$2"; fi
}
render "$PROXY_SRC/squid.conf.in" "$PROXY_STATE/squid.conf"
render "$PROXY_SRC/krb5.conf.in" "$PROXY_STATE/krb5.conf"
render "$PROXY_SRC/kdc.conf.in" "$PROXY_STATE/kdc.conf"
render "$PROXY_SRC/sockd.conf.in" "$PROXY_STATE/sockd.conf"
# The proxy host resolves through the office DNS (bind-mounted over /etc/resolv.conf for dante and
# mitmproxy only, see on-proxy-host.sh; squid is told with dns_nameservers).
printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$PROXY_ADDR" > "$PROXY_STATE/proxy-host-resolv.conf"
# squid's password file (basic_ncsa_auth, APR1 hash), written once
if [ ! -s "$PROXY_STATE/squid-passwd" ]; then
  printf '%s:%s\n' "$OFFICE_PROXY_USER" "$(openssl passwd -apr1 "$OFFICE_PROXY_PASSWORD")" > "$PROXY_STATE/squid-passwd.tmp"
  chmod 640 "$PROXY_STATE/squid-passwd.tmp"; chgrp proxy "$PROXY_STATE/squid-passwd.tmp" 2>/dev/null || true
  mv "$PROXY_STATE/squid-passwd.tmp" "$PROXY_STATE/squid-passwd"
fi

# The office's Kerberos realm, made once: the KDC's database (a random master key, stashed), the
# proxy's service principal HTTP/proxy.office.test with its keytab for squid's
# negotiate_kerberos_auth, and the office worker's principal with a keytab for kinit (a test's
# "signed in to the domain PC"). Every key is random; nothing here is a password.
ensure_realm() {
  [ -s "$KRB_STATE/proxy.keytab" ] && [ -s "$KRB_STATE/$KRB_USER.keytab" ] && return 0
  rm -rf "$KRB_STATE"; mkdir -p "$KRB_STATE"; chmod 755 "$KRB_STATE"
  export KRB5_CONFIG="$PROXY_STATE/krb5.conf" KRB5_KDC_PROFILE="$PROXY_STATE/kdc.conf"
  kdb5_util create -s -r "$KRB_REALM" -P "$(openssl rand -hex 24)" >/dev/null || return 1
  kadmin.local -r "$KRB_REALM" -q "addprinc -randkey HTTP/proxy.$OFFICE_DOMAIN" >/dev/null &&
    kadmin.local -r "$KRB_REALM" -q "ktadd -k $KRB_STATE/proxy.keytab.tmp HTTP/proxy.$OFFICE_DOMAIN" >/dev/null &&
    kadmin.local -r "$KRB_REALM" -q "addprinc -randkey $KRB_USER" >/dev/null &&
    kadmin.local -r "$KRB_REALM" -q "ktadd -k $KRB_STATE/$KRB_USER.keytab.tmp $KRB_USER" >/dev/null || return 1
  # squid's helper runs as the proxy user; the worker's keytab is readable by the tests only (root).
  chgrp proxy "$KRB_STATE/proxy.keytab.tmp" 2>/dev/null || true
  chmod 640 "$KRB_STATE/proxy.keytab.tmp" "$KRB_STATE/$KRB_USER.keytab.tmp"
  mv "$KRB_STATE/proxy.keytab.tmp" "$KRB_STATE/proxy.keytab"
  mv "$KRB_STATE/$KRB_USER.keytab.tmp" "$KRB_STATE/$KRB_USER.keytab"
}

STARTED=""

# ---------------------------------------------------------------- the office network
start_office() {
  if ! office_pid >/dev/null; then
    rm -f "$OFFICE_PIDFILE"
    (setsid unshare --net sh -c 'echo $$ > "$1"; exec sleep infinity' office-pc "$OFFICE_PIDFILE" \
       </dev/null >/dev/null 2>&1 &)
    i=0; until office_pid >/dev/null; do
      i=$((i + 1)); [ $i -le 100 ] || return 1; sleep 0.02
    done
    ip link del "$RIG_IF" 2>/dev/null || true   # a leftover of an office that is gone
  fi
  pc="$(office_pid)"
  in_office_net ip link set lo up
  if ! ip link show "$RIG_IF" >/dev/null 2>&1; then
    ip link add "$RIG_IF" type veth peer name "$OFFICE_IF" netns "$pc"
  fi
  ip addr replace "$PROXY_ADDR/24" dev "$RIG_IF"
  ip link set "$RIG_IF" up
  in_office_net ip addr replace "$OFFICE_ADDR/24" dev "$OFFICE_IF"
  in_office_net ip link set "$OFFICE_IF" up
  # The office PC's default route leads to the office gateway, which refuses the Internet.
  in_office_net ip route replace default via "$PROXY_ADDR"
  # The proxy host accepts from the office only its services: DNS, the PAC server, the proxies.
  nft -f - <<NFT
table inet tayori_office_gw
delete table inet tayori_office_gw
table inet tayori_office_gw {
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "$RIG_IF" ip daddr $PROXY_ADDR tcp dport { $OFFICE_DNS_PORT, $PAC_PORT, $SOCKS_PORT, $SQUID_WEB_PORT, $SQUID_AUTH_HTTP_PORT, $SQUID_MAIL_PORT, $SQUID_AUTH_TLS_PORT, $SQUID_NTLM_PORT, $SQUID_KERBEROS_PORT, $SQUID_MAIL_TLS_PORT, $MITM_PORT, $KDC_PORT } accept
    iifname "$RIG_IF" ip daddr $PROXY_ADDR udp dport { $OFFICE_DNS_PORT, $KDC_PORT } accept
    iifname "$RIG_IF" icmp type echo-request accept
    iifname "$RIG_IF" meta l4proto tcp reject with tcp reset
    iifname "$RIG_IF" reject with icmpx type admin-prohibited
  }
}
NFT
  # The office firewall: nothing leaves the office network except to the proxy host. A direct
  # connection to the Internet is refused at once (TCP reset), as most office firewalls answer.
  in_office_net nft -f - <<NFT
table inet tayori_office_fw
delete table inet tayori_office_fw
table inet tayori_office_fw {
  chain output {
    type filter hook output priority 0; policy accept;
    oifname "lo" accept
    ip daddr $OFFICE_NET accept
    meta l4proto tcp reject with tcp reset
    reject with icmpx type admin-prohibited
  }
}
NFT
  # The office PC's resolver (DHCP would hand it out): the office DNS and the office's search
  # domain, which WPAD uses. in-office.sh mounts it over /etc/resolv.conf for what it runs.
  printf 'nameserver %s\nsearch %s\noptions timeout:2 attempts:2\n' "$PROXY_ADDR" "$OFFICE_DOMAIN" \
    > "$PROXY_STATE/office-resolv.conf"
  STARTED="$STARTED office"
}

# ---------------------------------------------------------------- services on the proxy host
start_officedns() {
  if pid=$(proxy_alive_pid officedns); then echo "officedns already running (pid $pid)"; return 0; fi
  duser=dnsmasq; getent passwd dnsmasq >/dev/null 2>&1 || duser=nobody
  touch "$LOG/office-dns.log"; chown "$duser" "$LOG/office-dns.log"
  rm -f "$RUN/office-dns.pid"
  # The office's resolver: answers office.test itself and forwards every other name to the rig's
  # DNS (the Internet's DNS here). No /etc/hosts, no /etc/resolv.conf, no negative cache.
  dnsmasq --no-resolv --no-hosts --no-poll --no-negcache --cache-size=0 \
    --bind-interfaces --listen-address="$PROXY_ADDR" --port="$OFFICE_DNS_PORT" \
    --local=/$OFFICE_DOMAIN/ --server="127.0.0.1#$DNS_PORT" \
    --host-record="proxy.$OFFICE_DOMAIN,$PROXY_ADDR" --host-record="wpad.$OFFICE_DOMAIN,$PROXY_ADDR" \
    --host-record="pac.$OFFICE_DOMAIN,$PROXY_ADDR" --host-record="pc.$OFFICE_DOMAIN,$OFFICE_ADDR" \
    --pid-file="$RUN/office-dns.pid" --log-facility="$LOG/office-dns.log" --log-queries \
    --user="$duser" --group=nogroup </dev/null >>"$LOG/office-dns.log" 2>&1 || return 1
  STARTED="$STARTED officedns"
}

start_pac() {
  if pid=$(proxy_alive_pid pac); then echo "pac already running (pid $pid)"; return 0; fi
  (setsid python3 "$PROXY_SRC/pac_server.py" --dir "$PROXY_SRC/pac" --addr "$PROXY_ADDR" \
     --port "$PAC_PORT" --log "$LOG/pac.log" --proxy-addr "$PROXY_ADDR" \
     </dev/null >>"$LOG/pac-server.log" 2>&1 &
   echo $! > "$RUN/pac.pid")
  STARTED="$STARTED pac"
}

start_kdc() {
  if pid=$(proxy_alive_pid kdc); then echo "kdc already running (pid $pid)"; return 0; fi
  ensure_realm || return 1
  rm -f "$RUN/krb5kdc.pid"
  # Listens on the proxy host's address only (kdc.conf), like a domain controller on the office LAN.
  KRB5_CONFIG="$PROXY_STATE/krb5.conf" KRB5_KDC_PROFILE="$PROXY_STATE/kdc.conf" \
    krb5kdc -P "$RUN/krb5kdc.pid" </dev/null >>"$LOG/krb5kdc.log" 2>&1 || return 1
  STARTED="$STARTED kdc"
}

start_squid() {
  if pid=$(proxy_alive_pid squid); then echo "squid already running (pid $pid)"; return 0; fi
  ensure_realm || return 1
  for f in squid-access.log squid-cache.log; do touch "$LOG/$f"; chown proxy "$LOG/$f"; done
  chown proxy "$RUN/squid"
  rm -f "$RUN/squid.pid"
  # negotiate_kerberos_auth reads the realm's krb5.conf (it checks tickets with the keytab alone;
  # it never asks the KDC).
  KRB5_CONFIG="$PROXY_STATE/krb5.conf" squid -f "$PROXY_STATE/squid.conf" </dev/null >>"$LOG/squid-cache.log" 2>&1 || return 1
  STARTED="$STARTED squid"
}

start_dante() {
  if pid=$(proxy_alive_pid dante); then echo "dante already running (pid $pid)"; return 0; fi
  rm -f "$RUN/danted.pid"
  "$PROXY_SRC/on-proxy-host.sh" - danted -D -f "$PROXY_STATE/sockd.conf" -p "$RUN/danted.pid" </dev/null >>"$LOG/danted.log" 2>&1 \
    || return 1
  STARTED="$STARTED dante"
}

start_mitm() {
  if pid=$(proxy_alive_pid mitm); then echo "mitm already running (pid $pid)"; return 0; fi
  rm -f "$RUN/mitm.pid"
  # The rig's CA stands for the public CAs: mitmproxy checks the real servers against it.
  (TAYORI_MITM_LOG="$LOG/mitm-requests.log" "$PROXY_SRC/on-proxy-host.sh" "$RUN/mitm.pid" mitmdump --mode regular \
     --listen-host "$PROXY_ADDR" --listen-port "$MITM_PORT" \
     --set confdir="$OFFICE_PKI/mitmproxy" --set ssl_verify_upstream_trusted_ca="$PKI/ca.crt" \
     --set flow_detail=0 --set termlog_verbosity=warn -s "$PROXY_SRC/mitm_log.py" \
     </dev/null >>"$LOG/mitmproxy.log" 2>&1 &)
  STARTED="$STARTED mitm"
}

fail() { # component message
  echo "office: $1 FAILED: $2" >&2
  lf="$(proxy_log_of "$1")"
  if [ -n "$lf" ] && [ -f "$lf" ]; then echo "--- tail of $lf" >&2; tail -n 25 "$lf" >&2; fi
  exit 1
}

# the network first: the services bind to its address
for c in office officedns pac kdc squid dante mitm; do
  case " $TARGETS " in *" $c "*) "start_$c" || fail "$c" "could not be started" ;; esac
done
office_pid >/dev/null || fail office "the office network is down (start.sh office)"

# one readiness wait for every port (each python3 start costs ~0.4 s here)
ALL_PORTS=""
for c in $TARGETS; do ALL_PORTS="$ALL_PORTS $(proxy_ports_of "$c")"; done
# shellcheck disable=SC2086
if [ -n "$(echo $ALL_PORTS)" ] && ! pending=$(wait_ports open 30 $ALL_PORTS); then
  for c in $TARGETS; do
    for p in $(proxy_ports_of "$c"); do
      case " $pending " in *" $p "*) fail "$c" "not accepting connections on: $p" ;; esac
    done
  done
fi
for c in $TARGETS; do
  [ "$c" = office ] && continue
  proxy_alive_pid "$c" >/dev/null || fail "$c" "process exited (port held by something else?)"
done

cat > "$STATE/proxy.env.tmp" <<EOF2
RIG_OFFICE_PID=$(office_pid)
RIG_IN_OFFICE=$PROXY_SRC/in-office.sh
RIG_OFFICE_DOMAIN=$OFFICE_DOMAIN
RIG_PROXY_ADDR=$PROXY_ADDR
RIG_OFFICE_ADDR=$OFFICE_ADDR
RIG_OFFICE_DNS=$PROXY_ADDR:$OFFICE_DNS_PORT
RIG_PAC_BASE=http://pac.$OFFICE_DOMAIN
RIG_SOCKS_PORT=$SOCKS_PORT
RIG_SQUID_WEB_PORT=$SQUID_WEB_PORT
RIG_SQUID_AUTH_HTTP_PORT=$SQUID_AUTH_HTTP_PORT
RIG_SQUID_MAIL_PORT=$SQUID_MAIL_PORT
RIG_SQUID_AUTH_TLS_PORT=$SQUID_AUTH_TLS_PORT
RIG_SQUID_NTLM_PORT=$SQUID_NTLM_PORT
RIG_SQUID_KERBEROS_PORT=$SQUID_KERBEROS_PORT
RIG_SQUID_MAIL_TLS_PORT=$SQUID_MAIL_TLS_PORT
RIG_KRB5_CONFIG=$PROXY_STATE/krb5.conf
RIG_KRB5_REALM=$KRB_REALM
RIG_KRB5_USER=$KRB_USER
RIG_KRB5_USER_KEYTAB=$KRB_STATE/$KRB_USER.keytab
RIG_KDC_LOG=$LOG/krb5kdc.log
RIG_MITM_PORT=$MITM_PORT
RIG_DEAD_PROXY_PORT=$DEAD_PROXY_PORT
RIG_OFFICE_PROXY_USER=$OFFICE_PROXY_USER
RIG_OFFICE_PROXY_PASSWORD=$OFFICE_PROXY_PASSWORD
RIG_INSPECTION_CA=$OFFICE_PKI/inspection-ca.crt
RIG_INSPECTION_CA_NAME=$INSPECTION_CA_NAME
RIG_SQUID_ACCESS_LOG=$LOG/squid-access.log
RIG_DANTE_LOG=$LOG/danted.log
RIG_MITM_LOG=$LOG/mitm-requests.log
RIG_PAC_LOG=$LOG/pac.log
EOF2
mv "$STATE/proxy.env.tmp" "$STATE/proxy.env"

T1=$(date +%s.%N)
[ -n "$STARTED" ] && echo "started:$STARTED"
echo "office up in $(awk "BEGIN { printf \"%.1f\", $T1 - $T0 }") s"
