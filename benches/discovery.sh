#!/usr/bin/env bash
# Discovery speed, measured end to end through the real `tayori discover` binary against the rig
# (dnsmasq + the HTTPS fixture server). Prints figures; the goals from the discovery issue are shown
# beside them but do not fail the run (speed is judged from these numbers, not by a timed test).
#
#   fast:  autoconfig answers after a 50 ms delay, other sources still in flight  — goal < 300 ms
#   dead:  the preferred source never answers, a lower one does                  — goal < 3 s
#
# usage: benches/discovery.sh [RUNS]   (the rig must be running: tests/rig/start.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${1:-10}
BIN=target/release/tayori
[ -x "$BIN" ] || cargo build --release --locked --bin tayori >/dev/null
HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT
export TAYORI_HOME="$HOME_DIR" TAYORI_DNS_SERVER=127.0.0.1:10053 TAYORI_ISPDB_URL=https://ispdb.example.test/v1.1/
export TAYORI_POLICY_FILE="$HOME_DIR/none.toml"

measure() { # label email goal_ms
  local label=$1 email=$2 goal=$3 times=()
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    "$BIN" discover "$email" --json >/dev/null
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  local min median max
  min=$(echo "$sorted" | head -1)
  max=$(echo "$sorted" | tail -1)
  median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
  local verdict="meets goal"
  [ "$median" -lt "$goal" ] || verdict="MISSES goal"
  printf '%-44s runs=%-3s min=%5s ms  median=%5s ms  max=%5s ms  goal < %s ms: %s\n' \
    "$label" "$RUNS" "$min" "$median" "$max" "$goal" "$verdict"
}

echo "tayori discover, wall time per run including process start ($(nproc) cores)"
measure "autoconfig answers in 50 ms (slow50.test)" taro@slow50.test 300
measure "one dead source in the mix (dead.test)" ju@dead.test 3000
