#!/usr/bin/env bash
# Sync speed and memory on a generated mailbox (default 20,000 messages, ~425 MB) in the rig's Dovecot,
# with mbsync from Debian's isync on the same mailbox in the same run. Prints figures (see
# benches/sync.py for what is measured); the goals are printed beside them.
#
# usage: benches/sync.sh [MESSAGES]     (the rig must be running: tests/rig/start.sh; run as root)
#        RUNS=3 benches/sync.sh         (initial syncs per client; default 2)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-20000}
STATE=${TAYORI_RIG_STATE:-$ROOT/target/rig}
[ -f "$STATE/rig.env" ] || { echo "start the rig first: tests/rig/start.sh" >&2; exit 1; }
command -v mbsync >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq isync; }
cargo build --release --locked --no-default-features --bin tayori

# The mailbox is written straight into Dovecot's Maildir (seeded, reproducible), once.
MD=$STATE/mail/example.test/bench/Maildir
if [ ! -d "$MD/cur" ] || [ "$(ls "$MD/cur" | wc -l)" -ne "$N" ]; then
  rm -rf "$STATE/mail/example.test/bench"
  echo "generating $N messages…"
  python3 benches/gen_mailbox.py "$MD" "$N" 42 >/dev/null
  chown -R 5000:5000 "$STATE/mail/example.test/bench"
fi
# Index and page cache warm for both clients alike.
doveadm -c "$STATE/dovecot/dovecot.conf" force-resync -u bench@example.test INBOX
doveadm -c "$STATE/dovecot/dovecot.conf" fetch -u bench@example.test 'uid flags text' mailbox INBOX >/dev/null
exec tests/rig/with-secret-service.sh python3 benches/sync.py "$N"
