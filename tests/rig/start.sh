#!/bin/sh
# Start the Tayori test rig (or some of its components):
#   start.sh                   all: dns https idp entra google exchange dovecot postfix
#   start.sh dovecot [idp...]  only those (for failure tests)
# Idempotent: a component that is already running is left alone. Prints "rig up in N s".
# State (rendered configs, PKI, pids, queues, logs, mail) goes to ${TAYORI_RIG_STATE:-<repo>/target/rig}.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
T0=$(date +%s.%N)

[ "$(id -u)" = 0 ] || { echo "start.sh: must run as root (binds ports < 1024, runs Dovecot/Postfix)" >&2; exit 1; }
if [ $# -eq 0 ]; then TARGETS="$COMPONENTS"; else TARGETS="$*"; fi
for c in $TARGETS; do valid_component "$c"; done
[ -d "$SRC/idp/node_modules/oidc-provider" ] || { echo "start.sh: run tests/rig/setup.sh first (IdP dependencies missing)" >&2; exit 1; }

# ---------------------------------------------------------------- shared preparation (cheap, every start)
mkdir -p "$STATE" "$RUN" "$LOG" "$STATE/dovecot" "$STATE/postfix" "$STATE/mail/example.test" \
  "$RUN/dovecot" "$RUN/dovecot-state" "$RUN/postfix-queue" "$RUN/postfix-data"
chmod 755 "$STATE" "$RUN" "$LOG"

# 1. PKI: CA once per state dir, server cert re-issued when pki/domains.txt changes. Running
#    TLS servers still hold the old certificate then: restart them (and keep them in TARGETS).
cert_before=""; [ -f "$PKI/server.crt" ] && cert_before="$(cksum < "$PKI/server.crt")"
"$SRC/pki/gen-pki.sh" "$PKI" "$SRC/pki/domains.txt"
if [ -n "$cert_before" ] && [ "$cert_before" != "$(cksum < "$PKI/server.crt")" ]; then
  for c in https idp entra google exchange dovecot; do
    if alive_pid "$c" >/dev/null; then
      echo "server certificate changed: restarting $c"
      "$SRC/stop.sh" "$c" >/dev/null
      case " $TARGETS " in *" $c "*) ;; *) TARGETS="$TARGETS $c" ;; esac
    fi
  done
fi

# 2. trust the rig CA system-wide, the way an enterprise deploys its own CA
SYS_CA=/usr/local/share/ca-certificates/tayori-rig-test-ca.crt
if ! cmp -s "$PKI/ca.crt" "$SYS_CA"; then
  mkdir -p /usr/local/share/ca-certificates
  cp "$PKI/ca.crt" "$SYS_CA"; chmod 644 "$SYS_CA"
  update-ca-certificates >/dev/null 2>&1 || { echo "start.sh: update-ca-certificates failed" >&2; exit 1; }
  echo "installed rig CA into the system trust store ($SYS_CA)"
fi

render() { # template -> output; leaves the output untouched (mtime too) when nothing changed.
  # `postfix start` waits until main.cf is about 2 s old, so a changed file is back-dated 10 s
  # (it is complete before any daemon reads it).
  sed -e "s|@STATE@|$STATE|g" -e "s|@SRC@|$SRC|g" "$1" > "$2.tmp"
  if cmp -s "$2.tmp" "$2"; then rm -f "$2.tmp"; return 0; fi
  chmod 644 "$2.tmp"; touch -d "@$(( $(date +%s) - 10 ))" "$2.tmp"; mv "$2.tmp" "$2"
}
render "$SRC/dovecot/dovecot.conf.in" "$STATE/dovecot/dovecot.conf"
render "$SRC/dovecot/oauth2.conf.ext.in" "$STATE/dovecot/oauth2.conf.ext"
render "$SRC/dovecot/oauth2-entra.conf.ext.in" "$STATE/dovecot/oauth2-entra.conf.ext"
render "$SRC/dovecot/oauth2-google.conf.ext.in" "$STATE/dovecot/oauth2-google.conf.ext"
# The Gmail-like layout's All Mail (dovecot.conf: namespace gmail).
mkdir -p "$STATE/dovecot/virtual/All Mail"
render "$SRC/dovecot/all-mail.dovecot-virtual" "$STATE/dovecot/virtual/All Mail/dovecot-virtual"
for shared in info_contoso_test sales_northwind_test; do # Exchange shared mailboxes (README)
  sed "s|^username_attribute = email|username_attribute = fullaccess_$shared|" \
    "$SRC/dovecot/oauth2-entra.conf.ext.in" > "$STATE/dovecot/oauth2-entra-shared.tmp"
  render "$STATE/dovecot/oauth2-entra-shared.tmp" "$STATE/dovecot/oauth2-entra-shared-$shared.conf.ext"
  rm -f "$STATE/dovecot/oauth2-entra-shared.tmp"
done
render "$SRC/postfix/main.cf.in" "$STATE/postfix/main.cf"
render "$SRC/postfix/master.cf.in" "$STATE/postfix/master.cf"
render "$SRC/postfix/send-as.regexp.in" "$STATE/postfix/send-as.regexp"

# Dovecot app passwords (SASL PLAIN/LOGIN), hashed once per state dir; mail uid/gid 5000 needs
# no /etc/passwd entry.
USERS="$STATE/dovecot/users"
# alice, bob, carol: people (carol is also an IdP user, for OAuth sync tests); s01..s24: one
# private mailbox per sync test, so parallel tests never see each other's mail; bench: the
# benchmark's 20,000-message mailbox; k01..k04: the send-kill harness's senders and recipients
# (tests/send_kill.rs), whose trials leave hundreds of messages behind; px1..px7: the proxy tests'
# mailboxes (tests/proxy*.rs).
RIG_MAIL_USERS="alice bob carol $(seq -f 's%02g' 1 24 | tr '\n' ' ') bench k01 k02 k03 k04 px1 px2 px3 px4 px5 px6 px7"
# The provider emulators' people have mailboxes too (tests/rig/idp/*-directory.mjs). Microsoft
# 365 and Outlook.com mailboxes accept no password at all (basic authentication is off in
# Exchange Online): they get the hash of a random string nobody knows. Gmail mailboxes take an
# app password "<local>-app-password" (Google offers them with 2-Step Verification).
ENTRA_MAILBOXES="$(for l in admin adele megan lee diego info bench $(seq -f 't%02g' 1 17); do echo "$l@contoso.test"; done)
$(for l in admin pat $(seq -f 't%02g' 1 9); do echo "$l@fabrikam.test"; done)
$(for l in admin nancy andrew sales $(seq -f 't%02g' 1 4); do echo "$l@northwind.test"; done)
$(for l in admin $(seq -f 't%02g' 1 4); do echo "$l@adatum.test"; done)
$(for l in $(seq -f 't%02g' 1 8); do echo "$l@outlook.com"; done)
taro@hotmail.com"
GOOGLE_MAILBOXES="$(for l in $(seq -f 't%02g' 1 12); do echo "$l@gmail.com"; done)
$(for l in admin kenji $(seq -f 't%02g' 1 4); do echo "$l@workspace.test"; done)"
# cyrus: a mailbox laid out as classic Cyrus, Courier and many hosters do: every folder below
# INBOX with "." as separator (INBOX.Sent, INBOX.Drafts …), set per user by userdb extra fields.
CYRUS_LAYOUT="userdb_namespace/inbox/prefix=INBOX. userdb_namespace/inbox/separator=."
# g01..g04: mailboxes laid out as Gmail's, with an "[Gmail]/All Mail" (\All) folder holding every
# message again (dovecot.conf: namespace gmail), for the one-copy-per-message tests.
GMAIL_LAYOUT="userdb_namespace/gmail/disabled=no"
USERS_VERSION="# users v11 (example.test + send-kill senders + proxy tests px1..px7 + provider emulators + cyrus + adatum + gmail layout g01..g04 + bench@contoso.test)"
if [ ! -s "$USERS" ] || ! grep -qxF "$USERS_VERSION" "$USERS"; then
  {
    echo "# user:password:uid:gid:(gecos):home:(shell):extra_fields  (generated by start.sh)"
    echo "$USERS_VERSION"
    for u in $RIG_MAIL_USERS; do
      h="$(doveadm -c "$STATE/dovecot/dovecot.conf" pw -s SHA512-CRYPT -p "$u-app-password")"
      echo "$u@example.test:$h:5000:5000::$STATE/mail/example.test/$u::"
    done
    nobody="$(doveadm -c "$STATE/dovecot/dovecot.conf" pw -s SHA512-CRYPT -p "$(head -c 24 /dev/urandom | base64)")"
    for a in $ENTRA_MAILBOXES; do
      echo "$a:$nobody:5000:5000::$STATE/mail/${a#*@}/${a%@*}::"
    done
    for a in $GOOGLE_MAILBOXES; do
      h="$(doveadm -c "$STATE/dovecot/dovecot.conf" pw -s SHA512-CRYPT -p "${a%@*}-app-password")"
      echo "$a:$h:5000:5000::$STATE/mail/${a#*@}/${a%@*}::"
    done
    h="$(doveadm -c "$STATE/dovecot/dovecot.conf" pw -s SHA512-CRYPT -p "cyrus-app-password")"
    echo "cyrus@example.test:$h:5000:5000::$STATE/mail/example.test/cyrus::$CYRUS_LAYOUT"
    for u in g01 g02 g03 g04; do
      h="$(doveadm -c "$STATE/dovecot/dovecot.conf" pw -s SHA512-CRYPT -p "$u-app-password")"
      echo "$u@example.test:$h:5000:5000::$STATE/mail/example.test/$u::$GMAIL_LAYOUT"
    done
  } > "$USERS.tmp"
  chmod 644 "$USERS.tmp"; mv "$USERS.tmp" "$USERS"
fi
for d in example.test contoso.test fabrikam.test northwind.test adatum.test outlook.com hotmail.com gmail.com workspace.test; do
  mkdir -p "$STATE/mail/$d"; chown 5000:5000 "$STATE/mail/$d"
done
chown 5000:5000 "$STATE/mail"
chown postfix "$RUN/postfix-data"

# ---------------------------------------------------------------- components
STARTED=""
start_idp() {
  if pid=$(alive_pid idp); then echo "idp already running (pid $pid)"; return 0; fi
  (cd "$SRC/idp" || exit 1
   TAYORI_RIG_STATE="$STATE" IDP_SHORT_TTL="${IDP_SHORT_TTL:-10}" \
     setsid node server.mjs </dev/null >>"$LOG/idp.log" 2>&1 &
   echo $! > "$RUN/idp.pid")
  echo "${IDP_SHORT_TTL:-10}" > "$RUN/idp-short-ttl"
  STARTED="$STARTED idp"
}

start_emulator() { # component script
  if pid=$(alive_pid "$1"); then echo "$1 already running (pid $pid)"; return 0; fi
  (cd "$SRC/idp" || exit 1
   TAYORI_RIG_STATE="$STATE" setsid node "$2" </dev/null >>"$LOG/$1.log" 2>&1 &
   echo $! > "$RUN/$1.pid")
  STARTED="$STARTED $1"
}
start_entra() { start_emulator entra entra.mjs; }
start_google() { start_emulator google google.mjs; }
start_exchange() { start_emulator exchange exchange.mjs; }

start_dovecot() {
  if pid=$(alive_pid dovecot); then echo "dovecot already running (pid $pid)"; return 0; fi
  # The penalty socket is disabled (mode 0); a stale socket file from an older run would make the
  # auth process retry connect() for 5 s on its first request.
  rm -f "$RUN/dovecot/anvil-auth-penalty"
  dovecot -c "$STATE/dovecot/dovecot.conf" </dev/null >>"$LOG/dovecot.log" 2>&1 \
    || return 1
  STARTED="$STARTED dovecot"
}

start_postfix() {
  if pid=$(alive_pid postfix); then echo "postfix already running (pid $pid)"; return 0; fi
  # `postfix start` runs the integrity checks (creating the queue subdirectories; queue_directory
  # itself must exist). They are shell-heavy (0.2-2 s under load), so once they have passed for the
  # current config and queue, later starts skip them via Postfix's own quick-start marker.
  sum="$(cat "$STATE/postfix/main.cf" "$STATE/postfix/master.cf" | cksum)"
  [ "$(cat "$RUN/postfix-checked" 2>/dev/null)" = "$sum" ] && [ -d "$RUN/postfix-queue/pid" ] \
    && touch "$RUN/postfix-queue/quick-start"
  postfix -c "$STATE/postfix" start </dev/null >>"$LOG/postfix.log" 2>&1 \
    || { rm -f "$RUN/postfix-checked"; return 1; }
  echo "$sum" > "$RUN/postfix-checked"
  STARTED="$STARTED postfix"
}

start_dns() {
  if pid=$(alive_pid dns); then echo "dns already running (pid $pid)"; return 0; fi
  duser=dnsmasq; dgroup=nogroup
  getent passwd dnsmasq >/dev/null 2>&1 || duser=nobody
  touch "$LOG/dnsmasq.log"; chown "$duser" "$LOG/dnsmasq.log"
  rm -f "$RUN/dnsmasq.pid"
  # Never read /etc/resolv.conf or /etc/hosts, never forward, no DHCP, loopback only.
  dnsmasq --conf-file="$SRC/dns/zone.conf" \
    --no-resolv --no-hosts --no-poll --no-negcache --cache-size=0 \
    --bind-interfaces --listen-address="$DNS_ADDR" --port="$DNS_PORT" \
    --pid-file="$RUN/dnsmasq.pid" --log-facility="$LOG/dnsmasq.log" --log-queries \
    --user="$duser" --group="$dgroup" </dev/null >>"$LOG/dnsmasq.log" 2>&1 \
    || return 1
  STARTED="$STARTED dns"
}

start_https() {
  if pid=$(alive_pid https); then echo "https already running (pid $pid)"; return 0; fi
  rm -f "$RUN/https.pid"
  (setsid python3 "$SRC/https/server.py" --fixtures "$SRC/https/fixtures" \
     --cert "$PKI/server.crt" --key "$PKI/server.key" --log "$LOG/https.log" \
     --addr "$HTTPS_ADDR" --https-port 443 --http-port 80 \
     --ispdb-dir "$SRC/https/ispdb-extra" --ispdb-dir "${TAYORI_ISPDB_DIR:-$SRC/../../../shared/ispdb}" \
     </dev/null >>"$LOG/https-server.log" 2>&1 &
   echo $! > "$RUN/https.pid")
  STARTED="$STARTED https"
}

fail() { # component message
  echo "rig: $1 FAILED: $2" >&2
  lf="$(log_of "$1")"
  if [ -f "$lf" ]; then echo "--- tail of $lf" >&2; tail -n 25 "$lf" >&2; fi
  [ "$1" = https ] && [ -f "$LOG/https-server.log" ] && { echo "--- tail of $LOG/https-server.log" >&2; tail -n 25 "$LOG/https-server.log" >&2; }
  exit 1
}

# start order: cheap async ones first, so they come up while Dovecot/Postfix are launched
for c in dns https idp entra google exchange dovecot postfix; do
  case " $TARGETS " in *" $c "*) "start_$c" || fail "$c" "could not be started" ;; esac
done

# ---------------------------------------------------------------- readiness
for c in $TARGETS; do
  # shellcheck disable=SC2046
  if ! pending=$(wait_ports open 20 $(ports_of "$c")); then
    fail "$c" "not accepting connections on: $pending"
  fi
done
for c in $TARGETS; do
  alive_pid "$c" >/dev/null || fail "$c" "process exited (port held by something else?)"
done
case " $TARGETS " in *" idp "*)
  # over TLS with the system trust store only (no --cacert): proves the CA install too. Retried
  # briefly, failing at once if our node process died (e.g. EADDRINUSE: 9443 held by a stranger).
  i=0
  until meta=$(curl -sS --fail --max-time 2 "$ISSUER/.well-known/openid-configuration" 2>&1); do
    alive_pid idp >/dev/null || fail idp "process exited (port 9443 held by something else?)"
    i=$((i + 1)); [ $i -lt 5 ] || fail idp "discovery document not served over trusted TLS: $meta"
    sleep 0.2
  done
  case "$meta" in *"\"issuer\":\"$ISSUER\""*) ;; *) fail idp "unexpected issuer in discovery document" ;; esac
  ;;
esac
# the emulators answer under the providers' names through the rig DNS (curl --resolve: the
# system resolver does not know them) and over the system trust store
check_emulator() { # component host path expected
  i=0
  until meta=$(curl -sS --fail --max-time 2 --resolve "$2:443:$3" "https://$2$4" 2>&1); do
    alive_pid "$1" >/dev/null || fail "$1" "process exited (port 443 on $3 held by something else?)"
    i=$((i + 1)); [ $i -lt 10 ] || fail "$1" "metadata not served over trusted TLS: $meta"
    sleep 0.2
  done
  case "$meta" in *"$5"*) ;; *) fail "$1" "unexpected metadata: $meta" ;; esac
}
case " $TARGETS " in *" entra "*)
  check_emulator entra login.microsoftonline.com "$ENTRA_ADDR" /common/v2.0/.well-known/openid-configuration \
    '"issuer":"https://login.microsoftonline.com/{tenantid}/v2.0"' ;;
esac
case " $TARGETS " in *" exchange "*)
  # no token: Graph's 401 with its challenge proves the emulator serves under Graph's name
  i=0
  until out=$(curl -sS --max-time 2 --resolve "graph.microsoft.com:443:$EXCHANGE_ADDR" -o /dev/null -w '%{http_code}' https://graph.microsoft.com/v1.0/me/messages 2>&1) && [ "$out" = 401 ]; do
    alive_pid exchange >/dev/null || fail exchange "process exited (port 443/587 on $EXCHANGE_ADDR held by something else?)"
    i=$((i + 1)); [ $i -lt 10 ] || fail exchange "Graph not served over trusted TLS: $out"
    sleep 0.2
  done ;;
esac
case " $TARGETS " in *" google "*)
  check_emulator google accounts.google.com "$GOOGLE_ADDR" /.well-known/openid-configuration \
    '"issuer":"https://accounts.google.com"' ;;
esac

# ---------------------------------------------------------------- environment for tests
cat > "$STATE/rig.env.tmp" <<EOF
TAYORI_RIG_STATE=$STATE
RIG_ISSUER=$ISSUER
RIG_HOST=127.0.0.1
RIG_STARTTLS_ENFORCED_HOST=127.0.0.2
RIG_IMAPS_PORT=$IMAPS_PORT
RIG_IMAP_PORT=$IMAP_PORT
RIG_SUBMISSIONS_PORT=$SUBMISSIONS_PORT
RIG_SUBMISSION_PORT=$SUBMISSION_PORT
RIG_DNS=$DNS_ADDR:$DNS_PORT
RIG_FIXTURE_ADDR=$HTTPS_ADDR
RIG_GUESS_ADDR=$GUESS_ADDR
RIG_SHORT_TTL=$(cat "$RUN/idp-short-ttl" 2>/dev/null || echo "${IDP_SHORT_TTL:-10}")
RIG_CA=$PKI/ca.crt
RIG_LOG_DIR=$LOG
RIG_ENTRA_ADDR=$ENTRA_ADDR
RIG_ENTRA_ADMIN=http://$ENTRA_ADDR:$EMULATOR_ADMIN_PORT
RIG_ENTRA_CLIENT_ID=7a3e0000-0000-4000-8000-00000000a001
RIG_ENTRA_CLIENT_ID_LOCALHOST_ONLY=7a3e0000-0000-4000-8000-00000000a002
RIG_ENTRA_CLIENT_ID_NO_PUBLIC_FLOWS=7a3e0000-0000-4000-8000-00000000a003
RIG_ENTRA_CLIENT_ID_CONTOSO=c0c00000-0000-4000-8000-00000000a004
RIG_ENTRA_TENANT_CONTOSO=aaaabbbb-0000-4c0c-8000-000000000001
RIG_ENTRA_TENANT_FABRIKAM=aaaabbbb-0000-4fab-8000-000000000002
RIG_ENTRA_TENANT_NORTHWIND=aaaabbbb-0000-4a0a-8000-000000000003
RIG_GOOGLE_ADDR=$GOOGLE_ADDR
RIG_EXCHANGE_ADDR=$EXCHANGE_ADDR
RIG_EXCHANGE_ADMIN=http://$EXCHANGE_ADDR:$EMULATOR_ADMIN_PORT
RIG_GOOGLE_ADMIN=http://$GOOGLE_ADDR:$EMULATOR_ADMIN_PORT
RIG_GOOGLE_CLIENT_ID=406000000001-tayoririgdesktop.apps.googleusercontent.com
RIG_GOOGLE_CLIENT_SECRET=GOCSPX-rig-desktop-not-a-secret
RIG_GOOGLE_CLIENT_ID_TESTING=406000000002-tayoririgtesting.apps.googleusercontent.com
RIG_GOOGLE_CLIENT_SECRET_TESTING=GOCSPX-rig-testing-not-a-secret
RIG_GOOGLE_CLIENT_ID_TV=406000000003-tayoririgtv.apps.googleusercontent.com
RIG_GOOGLE_CLIENT_SECRET_TV=GOCSPX-rig-tv-not-a-secret
EOF
mv "$STATE/rig.env.tmp" "$STATE/rig.env"

T1=$(date +%s.%N)
[ -n "$STARTED" ] && echo "started:$STARTED"
echo "rig up in $(awk "BEGIN { printf \"%.1f\", $T1 - $T0 }") s"
