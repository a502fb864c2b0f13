#!/usr/bin/env python3
"""The header phase of a first sync, two builds compared: each round runs `tayori sync` of the
bench mailbox once with each binary (order rotating), and prints per binary the time until every
header is in the store (polled read-only from SQLite, as benches/sync.py does) and the engine's own
account of its header phase (`fetching headers` at debug level in the log file: total, reading the
server's answers, blocked on the store, waiting for the store at the end), then min/median and
the ratio B/A per round with its median.

usage (the rig running in your namespace, the mailbox in place as benches/sync.sh leaves it):
  tests/rig/with-secret-service.sh python3 benches/headers.py BIN_A BIN_B [MESSAGES]
  ROUNDS (default 5)"""
import glob, json, os, re, shutil, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sync  # noqa: E402  (benches/sync.py: the same homes, environment and timing)

ROUNDS = int(os.environ.get("ROUNDS", "5"))


def phase(home):
    """The `fetching headers` figures of the run's log (JSON or text lines alike)."""
    figures = {}
    for path in glob.glob(os.path.join(home, "data", "logs", "*")):
        with open(path, errors="replace") as f:
            for line in f:
                if "fetching headers" in line:
                    figures = dict(re.findall(r'"?(\w+_?ms|ms)"?\s*[=:]\s*(\d+)', line))
    return figures


def run(binary, n):
    sync.BIN = binary
    home = sync.new_home()
    try:
        env = dict(sync.tayori_env(home), TAYORI_LOG="tayori=debug")
        db = sync.store_path(home)
        wall, rss, _, headers, _ = sync.timed([binary, "sync"], env=env,
                                             poll=lambda: sync.count_rows(db) >= n)
        return headers if headers is not None else wall, rss, phase(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binaries = {"A": sys.argv[1], "B": sys.argv[2]}
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    times = {"A": [], "B": []}
    for round_ in range(ROUNDS):
        order = ["A", "B"] if round_ % 2 == 0 else ["B", "A"]
        for key in order:
            headers, rss, figures = run(binaries[key], n)
            times[key].append(headers)
            print(f"round {round_ + 1} {key}: every header in the store {headers:.2f} s, "
                  f"peak RSS {rss:.0f} MB, header phase {json.dumps(figures)}", flush=True)
    for key in ("A", "B"):
        print(f"{key} {binaries[key]}: min {min(times[key]):.2f} s  "
              f"median {statistics.median(times[key]):.2f} s")
    ratios = [b / a for a, b in zip(times["A"], times["B"])]
    print("B/A per round: " + " ".join(f"{r:.2f}" for r in ratios)
          + f"  median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
