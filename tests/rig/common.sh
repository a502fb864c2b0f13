# Shared definitions for the Tayori test rig scripts (sourced by setup.sh, start.sh, stop.sh).
# POSIX sh. Not executable on its own.

SRC="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$SRC/../.." && pwd)"
STATE="${TAYORI_RIG_STATE:-$REPO/target/rig}"
RUN="$STATE/run"
LOG="$STATE/log"
PKI="$STATE/pki"
umask 022

COMPONENTS="dns https idp entra google exchange dovecot postfix"

# ---- addresses and ports (keep in sync with README.md and the config templates) ----
ISSUER="https://127.0.0.1:9443"
IDP_ADDR=127.0.0.1; IDP_PORT=9443
IMAP_PORT=10143; IMAPS_PORT=10993; SUBMISSION_PORT=10587; SUBMISSIONS_PORT=10465
LMTP_PORT=10024
POSTFIX_PORT=10025
DNS_ADDR=127.0.0.1; DNS_PORT=10053
HTTPS_ADDR=127.0.0.10
GUESS_ADDR=127.0.0.20
# provider emulators (tests/rig/idp/entra.mjs, google.mjs): HTTPS on 443 under the providers' own
# names through the rig DNS, and a plain-HTTP admin API (+ Dovecot's introspection) on 9000
ENTRA_ADDR=127.0.0.30
GOOGLE_ADDR=127.0.0.40
# Exchange Online (tests/rig/idp/exchange.mjs): Microsoft Graph (graph.microsoft.com:443) and the
# SMTP AUTH switch in front of Dovecot's submission (smtp.office365.com:587), admin API on 9000
EXCHANGE_ADDR=127.0.0.31
EMULATOR_ADMIN_PORT=9000

# "host:port" (tcp) each component must accept connections on before it counts as up
ports_of() {
  case "$1" in
    idp)     echo "$IDP_ADDR:$IDP_PORT" ;;
    entra)   echo "$ENTRA_ADDR:443 $ENTRA_ADDR:$EMULATOR_ADMIN_PORT" ;;
    google)  echo "$GOOGLE_ADDR:443 $GOOGLE_ADDR:$EMULATOR_ADMIN_PORT" ;;
    exchange) echo "$EXCHANGE_ADDR:443 $EXCHANGE_ADDR:587 $EXCHANGE_ADDR:$EMULATOR_ADMIN_PORT" ;;
    dovecot) echo "127.0.0.1:$IMAP_PORT 127.0.0.1:$IMAPS_PORT 127.0.0.1:$SUBMISSION_PORT 127.0.0.1:$SUBMISSIONS_PORT" \
                  "[::1]:$IMAP_PORT [::1]:$IMAPS_PORT [::1]:$SUBMISSION_PORT [::1]:$SUBMISSIONS_PORT" \
                  "127.0.0.2:$IMAP_PORT 127.0.0.2:$IMAPS_PORT 127.0.0.2:$SUBMISSION_PORT 127.0.0.2:$SUBMISSIONS_PORT" \
                  "$GUESS_ADDR:143 $GUESS_ADDR:993 $GUESS_ADDR:587 $GUESS_ADDR:465 127.0.0.1:$LMTP_PORT" \
                  "$HTTPS_ADDR:993 $HTTPS_ADDR:587" ;;
    postfix) echo "127.0.0.1:$POSTFIX_PORT" ;;
    dns)     echo "$DNS_ADDR:$DNS_PORT" ;;
    https)   echo "$HTTPS_ADDR:443 $HTTPS_ADDR:80" ;;
  esac
}

log_of() {
  case "$1" in
    idp) echo "$LOG/idp.log" ;; entra) echo "$LOG/entra.log" ;; google) echo "$LOG/google.log" ;; exchange) echo "$LOG/exchange.log" ;; dovecot) echo "$LOG/dovecot.log" ;; postfix) echo "$LOG/postfix.log" ;;
    dns) echo "$LOG/dnsmasq.log" ;; https) echo "$LOG/https.log" ;;
  esac
}

# pid file of a component's main process (postfix/dovecot write their own)
pidfile_of() {
  case "$1" in
    idp) echo "$RUN/idp.pid" ;; entra) echo "$RUN/entra.pid" ;; google) echo "$RUN/google.pid" ;; exchange) echo "$RUN/exchange.pid" ;; dovecot) echo "$RUN/dovecot/master.pid" ;;
    postfix) echo "$RUN/postfix-queue/pid/master.pid" ;;
    dns) echo "$RUN/dnsmasq.pid" ;; https) echo "$RUN/https.pid" ;;
  esac
}

# prints the pid if the component's recorded process is alive, else fails. A zombie is not alive
# (daemons are reparented to init, which may reap them late).
alive_pid() {
  _pf="$(pidfile_of "$1")"
  [ -s "$_pf" ] || return 1
  _pid="$(tr -dc 0-9 < "$_pf")"
  [ -n "$_pid" ] && [ -r "/proc/$_pid/stat" ] || return 1
  _st="$(sed 's/.*) //' "/proc/$_pid/stat" 2>/dev/null | cut -d' ' -f1)"
  [ -n "$_st" ] && [ "$_st" != Z ] || return 1
  echo "$_pid"
}

# wait_ports MODE TIMEOUT HOST:PORT...   MODE=open: until all accept; MODE=closed: until none accepts
wait_ports() {
  python3 - "$@" <<'PY'
import socket, sys, time
mode, timeout, targets = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
def split(t):
    h, _, p = t.rpartition(":")
    return h.strip("[]"), int(p)
def accepts(t):
    h, p = split(t)
    fam = socket.AF_INET6 if ":" in h else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(0.5)
    try:
        s.connect((h, p)); return True
    except OSError:
        return False
    finally:
        s.close()
end = time.monotonic() + timeout
pending = list(targets)
while True:
    pending = [t for t in pending if accepts(t) != (mode == "open")]
    if not pending:
        sys.exit(0)
    if time.monotonic() > end:
        print(" ".join(pending)); sys.exit(1)
    time.sleep(0.03)
PY
}

valid_component() {
  for _c in $COMPONENTS; do [ "$_c" = "$1" ] && return 0; done
  echo "unknown component '$1' (expected one of: $COMPONENTS)" >&2
  return 1
}
