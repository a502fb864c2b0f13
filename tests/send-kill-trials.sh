#!/usr/bin/env bash
# The full random kill trials of issue 21: `tayori send` and `tayori outbox flush` killed with
# SIGKILL at random moments while sending through the rig's real Dovecot submission, then flushed
# to the end; the Message-IDs are counted in the recipient's INBOX and the sender's Sent folder.
# It prints one FIGURE line with the counts and fails on any message delivered twice without the
# person's decision, or lost after Tayori said "Queued".
#
#   tests/send-kill-trials.sh [RUNS [MESSAGES_PER_RUN [SEED]]]     (default 50 runs of 30)
#
# CI runs a short form of the same test (2 runs of 8) inside `cargo test`. Run this inside the rig's
# network namespace where there is one (the rig uses fixed loopback ports). About 20-30 minutes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
tests/rig/start.sh >/dev/null
export TAYORI_KILL_RUNS=${1:-50} TAYORI_KILL_MESSAGES=${2:-30}
if [ -n "${3:-}" ]; then export TAYORI_KILL_SEED=$3; fi
if [ "$TAYORI_KILL_RUNS" -lt 50 ]; then
  echo "note: $TAYORI_KILL_RUNS runs is fewer than the 50 the issue asks for" >&2
fi
exec tests/rig/with-secret-service.sh cargo test --locked --test send_kill random_kill_trials -- --exact --nocapture
