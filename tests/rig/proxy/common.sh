# Shared definitions of the office network and its proxies (sourced by tests/rig/proxy/*.sh after
# ../common.sh, with PROXY_HERE set to tests/rig/proxy). POSIX sh. Not executable on its own.
#
# The "office": a second network namespace joined to the rig's namespace by a veth pair. Tayori runs
# there in the proxy tests. From the office only the proxy host's address is reachable, and on it only
# the proxy, DNS and PAC ports; every rig server (IdP, Dovecot, fixtures: "the internet") listens on
# the rig namespace's loopback, which the office cannot route to. See README.md, "Office network".

# ../common.sh derives its paths from the folder of $0; the proxy scripts live one level below it.
SRC="$(cd "$PROXY_HERE/.." && pwd)"
REPO="$(cd "$SRC/../.." && pwd)"
STATE="${TAYORI_RIG_STATE:-$REPO/target/rig}"
RUN="$STATE/run"; LOG="$STATE/log"; PKI="$STATE/pki"

PROXY_SRC="$SRC/proxy"
PROXY_STATE="$STATE/proxy"
OFFICE_PKI="$PROXY_STATE/pki"

# The office PC's network namespace is held by one process (its pid in run/office.pid) rather than
# named under /run/netns: a name is a bind mount, and mounts made inside `ip netns exec` (how each
# worktree runs its rig) vanish with that command. Enter it with tests/rig/proxy/in-office.sh.
OFFICE_PIDFILE="$RUN/office.pid"
RIG_IF=proxy-rig0          # the rig's end of the veth pair
OFFICE_IF=proxy-ofc0       # the office's end
PROXY_ADDR=10.26.0.1       # the proxy host (proxy.office.test, wpad.office.test, pac.office.test)
OFFICE_ADDR=10.26.0.2      # the office PC (pc.office.test), where Tayori runs
OFFICE_NET=10.26.0.0/24
OFFICE_DOMAIN=office.test

OFFICE_DNS_PORT=53         # office resolver: office.test names, everything else forwarded to the rig DNS
PAC_PORT=80                # PAC files and WPAD (wpad.dat)
SOCKS_PORT=1080            # dante, SOCKS5 without authentication
SQUID_WEB_PORT=3128        # squid, no authentication, CONNECT to 443 only
SQUID_AUTH_HTTP_PORT=3129  # squid, Basic authentication over plain HTTP, CONNECT to 443 only
SQUID_MAIL_PORT=3130       # squid, no authentication, CONNECT to 443 and the mail ports 993/465/587
SQUID_AUTH_TLS_PORT=3443   # squid over TLS (https_port), Basic authentication, CONNECT to 443 only
SQUID_NTLM_PORT=3131       # squid, NTLM authentication only, CONNECT to 443 only
SQUID_KERBEROS_PORT=3132   # squid, Negotiate (Kerberos) authentication only, CONNECT to 443 only
SQUID_MAIL_TLS_PORT=3444   # squid over TLS (https_port), Basic authentication, CONNECT to 443 and the mail ports
KDC_PORT=88                # the office's Kerberos KDC (MIT krb5kdc), realm OFFICE.TEST
MITM_PORT=8080             # mitmproxy, re-signs TLS with the office's inspection CA
DEAD_PROXY_PORT=3999       # nothing listens here: "the proxy is down"

# The office's proxy account (squid Basic authentication). Test credentials, like the rig's app passwords.
OFFICE_PROXY_USER=tanaka
OFFICE_PROXY_PASSWORD=office-proxy-secret
INSPECTION_CA_NAME="Example Office TLS Inspection CA"

# The office's Kerberos realm (the Active Directory domain of a Windows office; here MIT's KDC).
# Its files live in $KRB_STATE: the KDC's database, krb5.conf for the office PC, the proxy's keytab
# (HTTP/proxy.office.test) and the office worker's keytab, from which a test takes a ticket with
# kinit, as signing in to a domain PC does.
KRB_REALM=OFFICE.TEST
KRB_STATE="$PROXY_STATE/krb5"
KRB_USER=tanaka

PROXY_COMPONENTS="office officedns pac kdc squid dante mitm"

# ports each component must accept connections on (from the rig namespace) before it counts as up
proxy_ports_of() {
  case "$1" in
    office)    echo "" ;;
    officedns) echo "$PROXY_ADDR:$OFFICE_DNS_PORT" ;;
    pac)       echo "$PROXY_ADDR:$PAC_PORT" ;;
    kdc)       echo "$PROXY_ADDR:$KDC_PORT" ;;
    squid)     echo "$PROXY_ADDR:$SQUID_WEB_PORT $PROXY_ADDR:$SQUID_AUTH_HTTP_PORT $PROXY_ADDR:$SQUID_MAIL_PORT $PROXY_ADDR:$SQUID_AUTH_TLS_PORT $PROXY_ADDR:$SQUID_NTLM_PORT $PROXY_ADDR:$SQUID_KERBEROS_PORT $PROXY_ADDR:$SQUID_MAIL_TLS_PORT" ;;
    dante)     echo "$PROXY_ADDR:$SOCKS_PORT" ;;
    mitm)      echo "$PROXY_ADDR:$MITM_PORT" ;;
  esac
}

proxy_pidfile_of() {
  case "$1" in
    officedns) echo "$RUN/office-dns.pid" ;; pac) echo "$RUN/pac.pid" ;; kdc) echo "$RUN/krb5kdc.pid" ;;
    squid) echo "$RUN/squid.pid" ;; dante) echo "$RUN/danted.pid" ;; mitm) echo "$RUN/mitm.pid" ;;
  esac
}

proxy_log_of() {
  case "$1" in
    officedns) echo "$LOG/office-dns.log" ;; pac) echo "$LOG/pac.log" ;; kdc) echo "$LOG/krb5kdc.log" ;;
    squid) echo "$LOG/squid-cache.log" ;; dante) echo "$LOG/danted.log" ;; mitm) echo "$LOG/mitmproxy.log" ;;
  esac
}

proxy_alive_pid() { # like alive_pid, for the proxy components
  _pf="$(proxy_pidfile_of "$1")"
  [ -n "$_pf" ] && [ -s "$_pf" ] || return 1
  _pid="$(tr -dc 0-9 < "$_pf")"
  [ -n "$_pid" ] && [ -r "/proc/$_pid/stat" ] || return 1
  _st="$(sed 's/.*) //' "/proc/$_pid/stat" 2>/dev/null | cut -d' ' -f1)"
  [ -n "$_st" ] && [ "$_st" != Z ] || return 1
  echo "$_pid"
}

valid_proxy_component() {
  for _c in $PROXY_COMPONENTS; do [ "$_c" = "$1" ] && return 0; done
  echo "unknown component '$1' (expected one of: $PROXY_COMPONENTS)" >&2
  return 1
}

office_pid() { # prints the pid holding the office namespace, if it lives
  [ -s "$OFFICE_PIDFILE" ] || return 1
  _pid="$(tr -dc 0-9 < "$OFFICE_PIDFILE")"
  [ -n "$_pid" ] && [ -r "/proc/$_pid/stat" ] || return 1
  _st="$(sed 's/.*) //' "/proc/$_pid/stat" 2>/dev/null | cut -d' ' -f1)"
  [ -n "$_st" ] && [ "$_st" != Z ] || return 1
  echo "$_pid"
}

in_office_net() { # CMD...: run CMD in the office's network namespace (no resolver change)
  _op="$(office_pid)" || { echo "the office network is down (tests/rig/proxy/start.sh)" >&2; return 1; }
  nsenter --net="/proc/$_op/ns/net" -- "$@"
}
