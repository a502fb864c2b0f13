#!/usr/bin/env bash
# What Tayori's full sync would cost without a part the sync issue's goals ask for, measured in the
# same interleaved rounds as benches/sync.sh (Tayori as it is, mbsync FSync no, the raw floor, the
# packing floor; mbsync FSync yes is left out: it decides nothing here and takes 10 s a round).
#
# benches/what_if/lean-store.patch is applied to a copy of HEAD (a git worktree under target/) and
# built once; the build is never shipped. Its two switches give three programs beside Tayori:
#   Tayori outside        the bodies appended to one file beside the store, no fsync, instead of
#                         SQLite rows (no WAL copy, no B-tree): a store redesign's best case
#   Tayori uncompressed   nothing compressed (the disk goal, <= 0.8x the mail, is given up)
#   Tayori outside+raw    both: what is left is the header pass, the rows, the download
#
# usage (the rig running, as root):  benches/what_if.sh [MESSAGES]    (ROUNDS, MAIL, SERVER as
# benches/sync.sh takes them)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${1:-20000}
OUT=$ROOT/target/what-if
TREE=$OUT/tree
mkdir -p "$OUT"
git worktree remove --force "$TREE" 2>/dev/null || rm -rf "$TREE"
git worktree prune
git worktree add --detach "$TREE" HEAD >/dev/null
trap 'git -C "$ROOT" worktree remove --force "$TREE" 2>/dev/null || true' EXIT
git -C "$TREE" apply "$ROOT/benches/what_if/lean-store.patch"
# A target folder of its own: building the copy into target/ would replace the binary measured.
CARGO_TARGET_DIR=$OUT/target cargo build --release --locked --no-default-features --bin tayori \
  --manifest-path "$TREE/Cargo.toml"
cp "$OUT/target/release/tayori" "$OUT/tayori-lean"
# The copy is not needed once built (and the `exec` below would skip the trap).
git worktree remove --force "$TREE"
trap - EXIT

# One wrapper per switch; `exec` keeps the process the benchmark times and samples.
variant() { # name, environment
  printf '#!/bin/sh\nexport %s\nexec "%s" "$@"\n' "$2" "$OUT/tayori-lean" > "$OUT/$1"
  chmod +x "$OUT/$1"
  echo "$1=$OUT/$1"
}
TAYORI_VARIANTS="$(variant outside TAYORI_WHAT_IF_OUTSIDE=1);$(variant uncompressed TAYORI_WHAT_IF_UNCOMPRESSED=1);$(variant outside+raw 'TAYORI_WHAT_IF_OUTSIDE=1 TAYORI_WHAT_IF_UNCOMPRESSED=1')"
export TAYORI_VARIANTS
SKIP=${SKIP:-mbsync FSync yes} PACKING_FLOOR=${PACKING_FLOOR:-1} exec "$ROOT/benches/sync.sh" "$N"
