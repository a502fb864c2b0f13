#!/usr/bin/env python3
"""Sync performance against the rig's Dovecot, with mbsync (Debian's isync) on the same mailbox in
the same run for the ratio. Prints figures; the goals of the sync issue are shown beside them but do
not fail the run. Called by benches/sync.sh (which builds the release binary, installs isync and
runs this inside a Secret Service session).

Measured:
  * full initial sync (headers + whole messages) of the bench mailbox, wall time and peak RSS
  * "list usable": from the start of `tayori sync` until every header is in the store (polled
    read-only from SQLite, like a second process — the window — would see it)
  * no-change resync, whole process (connect, TLS, login, LIST-STATUS, logout)
  * new mail during IDLE: LMTP delivery -> row in the store
  * mbsync: initial with its default durability (FSync yes) and no-change
"""
import os, shutil, smtplib, sqlite3, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = os.environ.get("TAYORI_RIG_STATE", os.path.join(ROOT, "target", "rig"))
BIN = os.path.join(ROOT, "target", "release", "tayori")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
RUNS = int(os.environ.get("RUNS", "2"))
USER = "bench@example.test"
ENV = dict(os.environ, TAYORI_DNS_SERVER="127.0.0.1:10053", LANG="en_US.UTF-8")


def tayori(home, *args, stdin=None, check=True):
    env = dict(ENV, TAYORI_HOME=home, TAYORI_POLICY_FILE=os.path.join(home, "none.toml"),
               TAYORI_ISPDB_URL="https://ispdb.example.test/v1.1/")
    out = subprocess.run([BIN, *args], env=env, input=stdin, capture_output=True, text=True)
    if check and out.returncode != 0:
        sys.exit(f"tayori {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return out


def new_home(user, password):
    home = tempfile.mkdtemp(prefix="tayori-bench-")
    tayori(home, "account", "add", user, "--auth", "password", stdin=password + "\n")
    return home


def count_rows(db, where=""):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(f"SELECT count(*) FROM messages {where}").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def first_pass_done(db):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(
                "SELECT count(*) FROM folders WHERE synced_at IS NOT NULL").fetchone()[0] > 0
        finally:
            con.close()
    except sqlite3.Error:
        return False


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def tayori_initial(home):
    """One full initial sync; returns (wall s, list-usable s, peak RSS MB, store bytes)."""
    db = os.path.join(home, "data", "mail.sqlite3")
    env = dict(ENV, TAYORI_HOME=home, TAYORI_POLICY_FILE=os.path.join(home, "none.toml"))
    start = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", BIN, "sync"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    list_ready = None
    while proc.poll() is None:
        if list_ready is None and os.path.exists(db) and count_rows(db) >= N:
            list_ready = time.monotonic() - start
        time.sleep(0.02)
    wall = time.monotonic() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"tayori sync failed:\n{out}{err}")
    if list_ready is None:
        list_ready = wall
    rss_kb = int(err.strip().splitlines()[-1])
    size = sum(os.path.getsize(os.path.join(os.path.dirname(db), f))
               for f in os.listdir(os.path.dirname(db)) if f.startswith("mail.sqlite3"))
    bodies = count_rows(db, "WHERE body_state != 0")
    if bodies != N:
        sys.exit(f"only {bodies} of {N} bodies stored")
    print(f"    summary: {out.strip()}")
    return wall, list_ready, rss_kb / 1024, size


def mbsync_config(local, fsync):
    os.makedirs(os.path.join(local, "mail"), exist_ok=True)
    path = os.path.join(local, "mbsyncrc")
    with open(path, "w") as f:
        f.write(f"""IMAPAccount bench
Host localhost
Port 10993
User {USER}
Pass bench-app-password
SSLType IMAPS
CertificateFile {STATE}/pki/ca.crt
AuthMechs PLAIN

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path {local}/mail/
Inbox {local}/mail/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:
Near :bench-near:
Patterns *
Create Near
Sync Pull
SyncState *
{"" if fsync else "FSync no"}
""")
    return path


def timed(cmd):
    start = time.monotonic()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    wall = time.monotonic() - start
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed:\n{out.stdout}{out.stderr}")
    return wall, int(out.stderr.strip().splitlines()[-1]) / 1024


def idle_latency(rounds=10):
    user = "s23@example.test"
    home = new_home(user, "s23-app-password")
    db = os.path.join(home, "data", "mail.sqlite3")
    env = dict(ENV, TAYORI_HOME=home, TAYORI_POLICY_FILE=os.path.join(home, "none.toml"))
    watcher = subprocess.Popen([BIN, "sync", "--watch"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not first_pass_done(db):
            if time.monotonic() > deadline:
                sys.exit("the watcher never finished its first pass")
            time.sleep(0.05)
        time.sleep(1.0)
        times = []
        for i in range(rounds):
            before = count_rows(db)
            msg = (f"From: a@example.jp\r\nTo: {user}\r\nSubject: idle {i}\r\n"
                   f"Message-ID: <idle.{time.time()}.{i}@example.jp>\r\n\r\nhello\r\n")
            start = time.monotonic()
            with smtplib.LMTP("127.0.0.1", 10024) as lmtp:
                lmtp.sendmail("a@example.jp", [user], msg.encode())
            while count_rows(db) <= before:
                if time.monotonic() - start > 10:
                    sys.exit("new mail did not arrive during IDLE")
                time.sleep(0.002)
            times.append(time.monotonic() - start)
            time.sleep(0.3)
        return times
    finally:
        watcher.kill()
        watcher.wait()
        shutil.rmtree(home, ignore_errors=True)


def main():
    status = subprocess.run(["doveadm", "-c", f"{STATE}/dovecot/dovecot.conf", "mailbox", "status",
                             "-u", USER, "messages vsize", "INBOX"], capture_output=True, text=True)
    print(f"mailbox: {status.stdout.strip()}  (Dovecot on loopback, IMAPS 10993, client and server on the same 2 cores)")

    print("\nTayori (release build; store: SQLite WAL, synchronous=NORMAL — a committed transaction "
          "survives a crash of Tayori, an OS crash can lose only the last ones, which the next sync fetches again)")
    results = []
    for run in range(RUNS):
        home = new_home(USER, "bench-app-password")
        wall, ready, rss, size = tayori_initial(home)
        results.append((wall, ready, rss))
        print(f"  initial full sync #{run + 1}: {wall:.2f} s; all {N} headers in the store after "
              f"{ready:.2f} s; peak RSS {rss:.0f} MB; store {size / 1e6:.0f} MB")
        if run < RUNS - 1:
            shutil.rmtree(home, ignore_errors=True)
    nochange = []
    for _ in range(10):
        start = time.monotonic()
        tayori(home, "sync")
        nochange.append(time.monotonic() - start)
    print(f"  no-change resync (whole process, 10 runs): min {ms(min(nochange))}, "
          f"median {ms(statistics.median(nochange))}, max {ms(max(nochange))}")
    shutil.rmtree(home, ignore_errors=True)

    print("\nmbsync (isync, default FSync yes)")
    mb = []
    for run in range(RUNS):
        local = tempfile.mkdtemp(prefix="mbsync-bench-")
        config = mbsync_config(local, fsync=True)
        wall, rss = timed(["mbsync", "-q", "-c", config, "-a"])
        mb.append(wall)
        print(f"  initial full sync #{run + 1}: {wall:.2f} s; peak RSS {rss:.0f} MB")
        if run < RUNS - 1:
            shutil.rmtree(local, ignore_errors=True)
    mb_nochange = [timed(["mbsync", "-q", "-c", config, "-a"])[0] for _ in range(10)]
    print(f"  no-change (10 runs): min {ms(min(mb_nochange))}, median {ms(statistics.median(mb_nochange))}")
    shutil.rmtree(local, ignore_errors=True)

    idle = idle_latency()
    print(f"\nnew mail during IDLE -> in the store (10 deliveries over LMTP): min {ms(min(idle))}, "
          f"median {ms(statistics.median(idle))}, max {ms(max(idle))}")

    best_t = min(r[0] for r in results)
    print("\nagainst the goals:")
    print(f"  full initial sync: Tayori best {best_t:.2f} s vs mbsync best {min(mb):.2f} s "
          f"(ratio {best_t / min(mb):.2f}; goal <= 1)")
    print(f"  all headers in the store: best {min(r[1] for r in results):.2f} s (goal < 2 s)")
    print(f"  no-change resync: median {ms(statistics.median(nochange))} (goal < 200 ms)")
    print(f"  IDLE delivery: median {ms(statistics.median(idle))} (goal < 1 s)")
    print(f"  peak memory during the {N}-message sync: max {max(r[2] for r in results):.0f} MB (goal < 200 MB)")


if __name__ == "__main__":
    main()
