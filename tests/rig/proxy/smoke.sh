#!/bin/sh
# PASS/FAIL checks of the office network and its proxies (after start.sh; ~5 s). Every check runs
# on the office PC (in-office.sh) with curl or openssl and the system trust store, as a program
# there would. Exit status: the number of failures (0: all passed).
set -u
PROXY_HERE="$(cd "$(dirname "$0")" && pwd)"
. "$PROXY_HERE/../common.sh"
. "$PROXY_HERE/common.sh"
O="$PROXY_HERE/in-office.sh"
FAILS=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; FAILS=$((FAILS + 1)); }
# expect NAME WANTED-SUBSTRING CMD...: runs CMD (stdout+stderr) and looks for the substring
expect() {
  _name="$1"; _want="$2"; shift 2
  _out="$("$@" 2>&1 </dev/null)"
  case "$_out" in *"$_want"*) pass "$_name" ;; *) fail "$_name" "wanted '$_want', got: $(printf %s "$_out" | tail -n 3 | tr '\n' ' ')" ;; esac
}
AC=https://autoconfig.example.test/mail/config-v1.1.xml
IDP=https://127.0.0.1:9443/.well-known/openid-configuration
code() { "$O" curl -sS -m 8 -o /dev/null -w 'http=%{http_code}' "$@"; }
P=proxy.office.test

# the office network itself
expect "office resolver is the office DNS, search office.test" "search office.test" "$O" cat /etc/resolv.conf
expect "office DNS answers office names (wpad.office.test)" "$PROXY_ADDR" "$O" getent hosts wpad.office.test
expect "office DNS forwards Internet names (mail.example.test)" "127.0.0.1" "$O" getent hosts mail.example.test
expect "direct to the IdP refused" "Couldn't connect" "$O" curl -sS -m 5 "$IDP"
expect "direct to the autoconfig server refused" "Couldn't connect" "$O" curl -sS -m 5 "$AC"
expect "direct IMAPS refused" "Connection refused" "$O" openssl s_client -connect mail.example.test:10993
expect "Internet address refused by the office firewall" "Couldn't connect" "$O" curl -sS -m 5 https://198.51.100.7/
expect "proxy host refuses other ports (9443)" "Couldn't connect" "$O" curl -sS -m 5 https://$PROXY_ADDR:9443/
expect "a proxy that is down refuses (3999)" "Couldn't connect" "$O" curl -sS -m 5 -x http://$P:$DEAD_PROXY_PORT "$AC"

# PAC and WPAD
expect "PAC file served with its content type" "application/x-ns-proxy-autoconfig" "$O" curl -sS -m 5 -D - -o /dev/null http://pac.office.test/office.pac
expect "WPAD file at http://wpad.office.test/wpad.dat" "FindProxyForURL" "$O" curl -sS -m 5 http://wpad.office.test/wpad.dat
expect "a missing PAC file is 404" "http=404" code http://pac.office.test/missing.pac

# squid
expect "squid web (3128): HTTPS through CONNECT" "http=200" code -x http://$P:$SQUID_WEB_PORT "$AC"
expect "squid web (3128): the IdP through CONNECT" "http=200" code -x http://$P:$SQUID_WEB_PORT "$IDP"
expect "squid web (3128): plain HTTP" "http=200" code -x http://$P:$SQUID_WEB_PORT http://autoconfig.example.test/mail/config-v1.1.xml
expect "squid web (3128): CONNECT to the IMAPS port refused (403)" "HTTP CONNECT failed, reason= 403" \
  "$O" openssl s_client -proxy $P:$SQUID_WEB_PORT -connect mail.example.test:10993
expect "squid mail (3130): IMAPS through CONNECT, TLS end to end" "Dovecot (Debian) ready" \
  sh -c "(sleep 1; printf 'a LOGOUT\r\n') | '$O' openssl s_client -quiet -proxy $P:$SQUID_MAIL_PORT -connect mail.example.test:10993"
expect "squid mail (3130): submission STARTTLS through CONNECT" "250 " \
  sh -c "(sleep 1; printf 'QUIT\r\n') | '$O' openssl s_client -quiet -starttls smtp -proxy $P:$SQUID_MAIL_PORT -connect mail.example.test:10587"
expect "squid Basic over HTTP (3129): 407 without credentials" "response 407" "$O" curl -sS -m 5 -x http://$P:$SQUID_AUTH_HTTP_PORT "$AC"
expect "squid Basic over HTTP (3129): 200 with credentials" "http=200" code -x "http://$OFFICE_PROXY_USER:$OFFICE_PROXY_PASSWORD@$P:$SQUID_AUTH_HTTP_PORT" "$AC"
expect "squid Basic over TLS (3443): 407 without credentials" "response 407" "$O" curl -sS -m 5 -x https://$P:$SQUID_AUTH_TLS_PORT "$AC"
expect "squid Basic over TLS (3443): 200 with credentials" "http=200" code -x "https://$OFFICE_PROXY_USER:$OFFICE_PROXY_PASSWORD@$P:$SQUID_AUTH_TLS_PORT" "$AC"
expect "squid Basic over TLS (3443): wrong password is 407" "response 407" "$O" curl -sS -m 5 -x "https://$OFFICE_PROXY_USER:wrong@$P:$SQUID_AUTH_TLS_PORT" "$AC"
expect "squid NTLM (3131): the 407 offers NTLM only" "schemes=NTLM." \
  sh -c "echo schemes=\$('$O' curl -sS -m 5 -x http://$P:$SQUID_NTLM_PORT -p -v $AC 2>&1 | sed -n 's/^< Proxy-Authenticate: \\([A-Za-z]*\\).*/\\1/ip' | tr '\\n' ' ' | sed 's/ \$/./')"
expect "squid NTLM (3131): an NTLM answer passes" "http=200" code --proxy-ntlm -U x:y -x http://$P:$SQUID_NTLM_PORT "$AC"

# dante
expect "dante SOCKS5: HTTPS" "http=200" code -x socks5h://$P:$SOCKS_PORT "$AC"
expect "dante SOCKS5: IMAP (10143) through the tunnel" "STARTTLS" \
  sh -c "(sleep 1; printf 'a CAPABILITY\r\na LOGOUT\r\n') | '$O' curl -sS -m 5 -x socks5h://$P:$SOCKS_PORT telnet://mail.example.test:10143"
expect "dante SOCKS5: the guess-only host refused by rule" "(2)" "$O" curl -sS -m 5 -x socks5h://$P:$SOCKS_PORT https://mail.guess-only.test:993/

# mitmproxy
expect "mitmproxy re-signs with the inspection CA (untrusted: refused)" "unable to get local issuer certificate" \
  "$O" openssl s_client -proxy $P:$MITM_PORT -connect autoconfig.example.test:443 -servername autoconfig.example.test
expect "mitmproxy's issuer is the inspection CA" "CN = $INSPECTION_CA_NAME" \
  "$O" openssl s_client -proxy $P:$MITM_PORT -connect autoconfig.example.test:443 -servername autoconfig.example.test -showcerts
expect "with the CA installed (private mount): HTTPS through mitmproxy" "http=200" \
  "$O" --trust-inspection-ca curl -sS -m 8 -o /dev/null -w 'http=%{http_code}' -x http://$P:$MITM_PORT "$AC"
expect "the machine's own trust store still lacks the inspection CA" "bundle=0 files=0" \
  sh -c "echo bundle=\$(openssl crl2pkcs7 -nocrl -certfile /etc/ssl/certs/ca-certificates.crt | openssl pkcs7 -print_certs -noout | grep -c 'Example Office') files=\$(ls /etc/ssl/certs | grep -c example-office)"

# log hygiene
if grep -rl "$OFFICE_PROXY_PASSWORD" "$LOG" >/dev/null 2>&1; then
  fail "no proxy password in any rig log" "$(grep -rl "$OFFICE_PROXY_PASSWORD" "$LOG" | tr '\n' ' ')"
else
  pass "no proxy password in any rig log"
fi
exit $FAILS
