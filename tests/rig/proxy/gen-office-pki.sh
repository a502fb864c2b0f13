#!/bin/sh
# Certificates of the office network (tests/rig/proxy/start.sh runs it; idempotent):
#   gen-office-pki.sh OFFICE_PKI_DIR RIG_PKI_DIR PROXY_ADDR
# - proxy.crt/proxy.key: the TLS certificate of the office proxy's own TLS port (squid https_port),
#   issued by the rig's CA, which stands for a public CA (the system trusts it). Its serial file is
#   kept here, so the rig's PKI folder is only read.
# - inspection-ca.crt/.key: "Example Office TLS Inspection CA", the root with which the office's
#   TLS-inspecting proxy (mitmproxy) re-signs every site. It is NOT in the system trust store: a test
#   that plays "IT installed it" trusts it inside a private mount namespace only (see README).
set -eu
DIR="$1"; RIG="$2"; ADDR="$3"
mkdir -p "$DIR"; chmod 755 "$DIR"
cd "$DIR"

if [ ! -s inspection-ca.crt ] || [ ! -s inspection-ca.key ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -keyout inspection-ca.key -out inspection-ca.crt \
    -subj "/O=Example Office/CN=Example Office TLS Inspection CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
  chmod 600 inspection-ca.key; chmod 644 inspection-ca.crt
  rm -rf mitmproxy
  echo "office pki: created the inspection CA $DIR/inspection-ca.crt"
fi
# mitmproxy reads its CA (key and certificate in one file) from its confdir.
if [ ! -s mitmproxy/mitmproxy-ca.pem ]; then
  mkdir -p mitmproxy; chmod 700 mitmproxy
  cat inspection-ca.key inspection-ca.crt > mitmproxy/mitmproxy-ca.pem
  cp inspection-ca.crt mitmproxy/mitmproxy-ca-cert.pem
  chmod 600 mitmproxy/mitmproxy-ca.pem
fi

SAN="DNS:proxy.office.test,IP:$ADDR"
if [ -s proxy.crt ] && [ -s proxy.key ] && [ "$(cat proxy.san 2>/dev/null)" = "$SAN" ] \
   && openssl verify -CAfile "$RIG/ca.crt" proxy.crt >/dev/null 2>&1 \
   && openssl x509 -checkend 86400 -noout -in proxy.crt >/dev/null 2>&1; then
  exit 0
fi
openssl req -newkey rsa:2048 -nodes -keyout proxy.key.new -out proxy.csr \
  -subj "/O=Example Office/CN=proxy.office.test" 2>/dev/null
cat > proxy.ext <<EOT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=$SAN
EOT
openssl x509 -req -in proxy.csr -CA "$RIG/ca.crt" -CAkey "$RIG/ca.key" \
  -CAserial ca.srl -CAcreateserial -days 825 -sha256 -extfile proxy.ext -out proxy.crt.new 2>/dev/null
chmod 640 proxy.key.new; chmod 644 proxy.crt.new
chgrp proxy proxy.key.new 2>/dev/null || true
mv proxy.key.new proxy.key; mv proxy.crt.new proxy.crt
printf '%s\n' "$SAN" > proxy.san
rm -f proxy.csr
echo "office pki: issued the proxy's certificate ($SAN)"
