#!/usr/bin/env bash
# Full initial sync of a generated mailbox (default 20,000 messages, ~426 MB as IMAP delivers them)
# in the rig's Dovecot: Tayori, mbsync `FSync no`, mbsync default (`FSync yes`) and the raw-fetch
# floor (benches/floor.py), interleaved in one run with the order rotating each round. Prints per
# program min/median time and peak RSS, per pair the ratio of each round and its median, where the
# CPU went (the program's core-seconds and the server's) and the goals beside the figures
# (benches/sync.py). It never fails on a missed goal: figures decide.
#
# usage (the rig running in your namespace, as root):
#   benches/sync.sh [MESSAGES]                  ROUNDS (default 6) interleaved rounds
#   ROUNDS=1 PROFILE=debug benches/sync.sh 300  the short form CI runs (the suite's debug build)
#   SCALE="5000 20000 50000 100000" benches/sync.sh
#                                               Tayori alone at each size: time, peak RSS, store,
#                                               each also per message and against the smallest
#                                               size (linear = flat), and a no-change resync;
#                                               DROP_MAIL=1 deletes each size's generated mail
#                                               after it (100,000 messages are 2 GB);
#                                               SCALE_BASE=20000 makes every other size from the
#                                               20,000 generated messages (benches/scale_mailbox.py:
#                                               the same mail per message at every size, in a
#                                               minute instead of an hour of generating)
#   TAYORI_BENCH_BIN=path benches/sync.sh       measures that binary (e.g. an older build) as it is
#   MAIL=realistic benches/sync.sh              mail that looks real (benches/gen_mailbox.py): JPEG,
#                                               PDF and ZIP attachments that do not compress, HTML
#                                               newsletters, ISO-2022-JP, one 30 MB message; the
#                                               default (MAIL=synthetic) keeps earlier figures comparable
#   SERVER=exchange benches/sync.sh             against the rig's Exchange-shaped profile (no
#                                               CONDSTORE/QRESYNC/LIST-STATUS, a connection limit)
#   GRAPH=1 benches/sync.sh                     adds "Tayori Graph" to the same rounds: the same
#                                               mailbox (bench@contoso.test, the same files) read
#                                               through the rig's Microsoft Graph emulator, the
#                                               account pinned to Graph by the admin policy
#                                               (issue 27); off in CI's short form
#   PACKING_FLOOR=1 benches/sync.sh             adds "packing floor" (benches/packing_floor.rs): a
#                                               Rust client on two connections that only downloads
#                                               and compresses as Tayori packs, appending to one
#                                               file: the least a client keeping the disk goal does
# Each size's mailbox is generated once (seeded) under target/bench-mail/N and hard-linked into
# Dovecot's Maildir, so switching sizes costs nothing.
set -euo pipefail
# The Exchange-shaped profile answers on exchange.example.test (127.0.0.4). Tayori asks the rig's
# DNS; mbsync and the floor resolve through /etc/hosts, so the name is added there in a mount
# namespace of this script's own (the machine's /etc/hosts is untouched).
if [ "${SERVER:-dovecot}" = exchange ] && [ -z "${TAYORI_BENCH_HOSTS:-}" ]; then
  TAYORI_BENCH_HOSTS=$(mktemp)
  { cat /etc/hosts; echo "127.0.0.4 exchange.example.test"; } > "$TAYORI_BENCH_HOSTS"
  export TAYORI_BENCH_HOSTS
  exec unshare --mount --propagation private \
    sh -c 'mount --bind "$TAYORI_BENCH_HOSTS" /etc/hosts && exec "$0" "$@"' "$0" "$@"
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-20000}
PROFILE=${PROFILE:-release}
STATE=${TAYORI_RIG_STATE:-$ROOT/target/rig}
[ -f "$STATE/rig.env" ] || { echo "start the rig first: tests/rig/start.sh" >&2; exit 1; }
command -v mbsync >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq isync; }
# PACKING_FLOOR=1: benches/packing_floor.rs joins the rounds. Built before Tayori: building a bench
# also builds the package's programs into target/release, which would replace the one measured.
if [ "${PACKING_FLOOR:-0}" != 0 ]; then
  TAYORI_PACKING_FLOOR_BIN=$(cargo bench --locked --bench packing_floor --no-run --message-format=json \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "packing_floor" and m.get("executable"):
        print(m["executable"])')
  export TAYORI_PACKING_FLOOR_BIN
fi

if [ -n "${TAYORI_BENCH_BIN:-}" ]; then
  echo "measuring $TAYORI_BENCH_BIN as it is (not rebuilt)"
elif [ "$PROFILE" = release ]; then
  cargo build --release --locked --no-default-features --bin tayori
  export TAYORI_BENCH_BIN=$ROOT/target/release/tayori
else
  cargo build --locked --bin tayori
  export TAYORI_BENCH_BIN=$ROOT/target/debug/tayori
fi

DOVECOT="doveadm -c $STATE/dovecot/dovecot.conf"
# BENCH_USER: another of the rig's mailboxes (its password is the rig's "<local>-app-password"),
# so that two runs can go on side by side.
BENCH_USER=${BENCH_USER:-bench@example.test}
export BENCH_USER
HOME_DIR=$STATE/mail/example.test/${BENCH_USER%@*}
MD=$HOME_DIR/Maildir
BENCH_USERS=$BENCH_USER
# GRAPH=1: Contoso's bench mailbox, which the Graph emulator serves, holds the same files.
if [ "${GRAPH:-0}" != 0 ]; then BENCH_USERS="$BENCH_USERS bench@contoso.test"; fi

# Puts the seeded N-message mailbox in place (generated once per size) with a fresh Dovecot index,
# then reads it once so that the page cache is warm for every program alike.
export MAIL=${MAIL:-synthetic}
mailbox() {
  local n=$1 src=$ROOT/target/bench-mail/$1 key=$1
  if [ "$MAIL" = realistic ]; then src=$ROOT/target/bench-mail/realistic-$1; key=realistic-$1; fi
  if [ -n "${SCALE_BASE:-}" ] && [ "$n" != "$SCALE_BASE" ]; then
    # The base's mail at another size (benches/scale_mailbox.py): the same mix per message.
    local base=$ROOT/target/bench-mail/$SCALE_BASE
    if [ "$MAIL" = realistic ]; then base=$ROOT/target/bench-mail/realistic-$SCALE_BASE; fi
    src=$src-from-$SCALE_BASE
    key=$key-from-$SCALE_BASE
    if [ ! -f "$base/complete" ]; then
      rm -rf "$base"
      echo "generating $SCALE_BASE messages ($MAIL, once)…"
      python3 benches/gen_mailbox.py "$base" "$SCALE_BASE" 42
      touch "$base/complete"
    fi
    if [ ! -f "$src/complete" ]; then
      rm -rf "$src"
      echo "making $n messages from the $SCALE_BASE generated ones…"
      python3 benches/scale_mailbox.py "$base" "$src" "$n"
      touch "$src/complete"
    fi
  elif [ ! -f "$src/complete" ]; then
    rm -rf "$src"
    echo "generating $n messages ($MAIL, once)…"
    python3 benches/gen_mailbox.py "$src" "$n" 42
    touch "$src/complete"
  fi
  MAILBOX_SRC=$src
  local user home_dir md
  for user in $BENCH_USERS; do
    home_dir=$STATE/mail/${user#*@}/${user%@*} md=$STATE/mail/${user#*@}/${user%@*}/Maildir
    if [ "$(cat "$home_dir/bench-source" 2>/dev/null)" != "$key" ]; then
      rm -rf "$home_dir"
      mkdir -p "$md/new" "$md/tmp"
      cp -al "$src/cur" "$md/cur"
      echo "$key" > "$home_dir/bench-source"
      chown -R 5000:5000 "$home_dir"
    fi
    $DOVECOT force-resync -u "$user" INBOX
    $DOVECOT fetch -u "$user" 'uid flags text' mailbox INBOX >/dev/null
  done
}

if [ -n "${SCALE:-}" ]; then
  results=$(mktemp)
  trap 'rm -f "$results"' EXIT
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
  for n in $SCALE; do
    mailbox "$n"
    tests/rig/with-secret-service.sh python3 benches/sync.py --scale "$n" "$results"
    if [ "${DROP_MAIL:-0}" = 1 ] && [ "$n" != "${SCALE_BASE:-}" ]; then
      # A 100,000-message mailbox is 2 GB (and Dovecot's index of it): one size on disk at a time.
      rm -rf "$HOME_DIR" "$MAILBOX_SRC"
    fi
  done
  if [ "${DROP_MAIL:-0}" = 1 ] && [ -n "${SCALE_BASE:-}" ]; then
    rm -rf "$HOME_DIR" "$ROOT/target/bench-mail/$SCALE_BASE" "$ROOT/target/bench-mail/realistic-$SCALE_BASE"
  fi
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 benches/sync.py --scale-summary "$results"
  exit 0
fi
mailbox "$N"
exec tests/rig/with-secret-service.sh python3 benches/sync.py "$N"
