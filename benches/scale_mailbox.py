#!/usr/bin/env python3
"""A mailbox of N messages made from a generated one of M (benches/gen_mailbox.py), for the scale
figures (benches/sync.sh SCALE=… SCALE_BASE=M): message i is the base's message i mod M; the
first M are hard links to the base's files (no disk), each later round (c = i div M) a copy whose
Message-ID gets a `c<c>.` prefix, so every message is a different message (Tayori stores a message
once by its identity: Message-ID, size and a hash) while the mix of sizes and kinds per message
stays the base's at every size. So the per-message figures of different sizes compare the same
mail: a figure that grows faster than the message count is the program's doing, not the mail's.
Generating 100,000 seeded messages takes an hour of Python on a busy 2-core machine; this takes
a minute.

Usage: scale_mailbox.py BASE_MAILDIR MAILDIR N"""
import os, re, sys

BASE, MAILDIR, N = sys.argv[1], sys.argv[2], int(sys.argv[3])
NAME = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)\.spike-rig,S=\d+,W=\d+:2,(.*)$")


def main():
    base_cur = os.path.join(BASE, "cur")
    base = []
    for name in os.listdir(base_cur):
        found = NAME.match(name)
        if not found:
            sys.exit(f"not a generated message: {name}")
        base.append((int(found.group(3)), int(found.group(1)), found.group(4), name))
    base.sort()
    m = len(base)
    if m == 0:
        sys.exit(f"no messages in {base_cur}")
    cur = os.path.join(MAILDIR, "cur")
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(MAILDIR, d), exist_ok=True)
    total = 0
    for i in range(N):
        index, ts, flags, name = base[i % m]
        copy = i // m
        source = os.path.join(base_cur, name)
        if copy == 0:
            size = os.path.getsize(source)
            os.link(source, os.path.join(cur, name))
            total += size
            continue
        with open(source, "rb") as f:
            data = f.read()
        changed = data.replace(b"\nMessage-ID: <", b"\nMessage-ID: <c%d." % copy, 1)
        if changed == data:
            sys.exit(f"no Message-ID in {name}")
        size, vsize = len(changed), len(changed) + changed.count(b"\n")
        target = os.path.join(cur, "%d.M%dP0Q%d.spike-rig,S=%d,W=%d:2,%s" % (ts, i, i, size, vsize, flags))
        with open(target, "wb") as f:
            f.write(changed)
        os.utime(target, (ts, ts))
        total += size
    print("messages=%d total_bytes=%d (%.1f MiB), from %d generated ones" % (N, total, total / 1048576, m))


if __name__ == "__main__":
    main()
