#!/bin/sh
# Test PKI for the Tayori rig.
#   gen-pki.sh STATE_PKI_DIR DOMAINS_FILE
# Creates (once) the CA "Tayori Rig Test CA" and (re)issues the server certificate whenever its
# SAN list changes (e.g. domains.txt was edited). The CA key never leaves STATE_PKI_DIR.
set -eu
DIR="$1"; DOMAINS="$2"
mkdir -p "$DIR"; chmod 755 "$DIR"
cd "$DIR"

if [ ! -s ca.crt ] || [ ! -s ca.key ]; then
  rm -f ca.crt ca.key ca.srl server.crt server.key server.san
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 -keyout ca.key -out ca.crt \
    -subj "/O=Tayori test rig/CN=Tayori Rig Test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
  chmod 600 ca.key; chmod 644 ca.crt
  echo "pki: created CA $DIR/ca.crt"
fi

SAN="DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:::1,IP:127.0.0.10,IP:127.0.0.20,DNS:example.test,DNS:*.example.test"
# strip comments/blank lines/whitespace; each domain d gives d and *.d
for d in $(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$DOMAINS" | tr 'A-Z' 'a-z'); do
  [ -n "$d" ] || continue
  case ",$SAN," in *",DNS:$d,"*) continue ;; esac
  SAN="$SAN,DNS:$d,DNS:*.$d"
done

if [ -s server.crt ] && [ -s server.key ] && [ -s server.san ] && [ "$(cat server.san)" = "$SAN" ] \
   && openssl verify -CAfile ca.crt server.crt >/dev/null 2>&1 \
   && openssl x509 -checkend 86400 -noout -in server.crt >/dev/null 2>&1; then
  exit 0
fi

openssl req -newkey rsa:2048 -nodes -keyout server.key.new -out server.csr \
  -subj "/O=Tayori test rig/CN=mail.example.test" 2>/dev/null
cat > server.ext <<EOT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=$SAN
EOT
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -sha256 \
  -extfile server.ext -out server.crt.new 2>/dev/null
chmod 600 server.key.new; chmod 644 server.crt.new
mv server.key.new server.key; mv server.crt.new server.crt
printf '%s\n' "$SAN" > server.san
rm -f server.csr
echo "pki: issued server certificate ($(echo "$SAN" | tr ',' '\n' | wc -l) SANs)"
