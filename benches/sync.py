#!/usr/bin/env python3
"""Sync figures against the rig's Dovecot, called by benches/sync.sh (which builds Tayori, installs
isync, puts the bench mailbox in place and runs this inside a Secret Service session).

Four programs download the same mailbox in one run, interleaved: round r runs them in the order
A B C D rotated by r, so each program meets a warm or a busy machine alike. Every run starts from
nothing (a new Tayori profile, an empty Maildir) after `sync(2)`, so no program pays for the
previous one's write-back.

No run pays for the one before's deletions either: every program's output is kept until the last
round, and before the first the kernel forgets the inodes freed recently (`sync`, then
`drop_caches`, then the mailbox is read again so its files are cached for every program alike).
On ext4 without a journal (this VM's root) a new inode is never one freed in the last minute
whose inode-table block is still cached (`recently_deleted()`, fs/ext4/ialloc.c), so after a
20,000-file Maildir was deleted, the next mbsync spent 4-10 s in the kernel skipping such inodes
(`find_inode_bit`, `recently_deleted` in `perf`), against 1.4 s without: deleting each mbsync
Maildir after its run doubled the next mbsync's time in most rounds. A cost of the harness, not
of mbsync; Tayori, which creates a few files, never paid it.

  A  Tayori     `tayori sync`: timed to its summary line, printed once every message is stored and
                readable offline (SQLite WAL, synchronous=NORMAL: headers, flags, threads, bytes);
                it then builds the search index and exits, which is timed and printed beside it
  B  mbsync     `FSync no` (isync): a Maildir, no fsync — the comparison at equal durability
  C  mbsync     default `FSync yes`: an fsync per message
  D  floor      benches/floor.py: one `UID FETCH 1:* (BODY.PEEK[])` over TLS, bytes discarded

With GRAPH=1 a fifth program joins the same rounds:

  E  Tayori Graph  `tayori sync` of the same mailbox read through Microsoft Graph: the rig's Graph
                emulator (tests/rig/idp/exchange.mjs, backed by the same Dovecot storage) serves
                bench@contoso.test, whose Maildir holds the same files as bench@example.test's. The
                account is signed in the way a person signs in (the browser driver against the
                rig's Entra emulator, outside the timed part) and pinned to Graph by the
                administrator's policy (`transport = "graph"`). Same store, same durability as A.

With PACKING_FLOOR=1 (benches/sync.sh builds it) another joins them:

  packing floor  benches/packing_floor.rs: two TLS connections, every message compressed as Tayori
                packs it and appended to one file, nothing else: the least a client that keeps
                the disk goal does

With TAYORI_VARIANTS="name=binary;name=binary" (benches/what_if.sh sets it) builds of Tayori
changed for a measurement join them as "Tayori <name>": what the sync would cost without a part
the issue's goals ask for (never shipped; see benches/what_if.sh).

Prints per program min/median wall time and peak RSS (GNU time's maximum resident set), per pair
the ratio of each round and its median, where the machine's CPU went (the program's own
core-seconds, and the rest: mostly the server, on the same cores), and the goals of the sync issue
beside them, with what the <= 0.8x goal leaves the client of these cores. Then, for
Tayori alone: every header in the store (polled read-only from SQLite, as the window would see it),
no-change resync, new mail during IDLE.
"""
import json, os, shutil, smtplib, sqlite3, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = os.environ.get("TAYORI_RIG_STATE", os.path.join(ROOT, "target", "rig"))
BIN = os.environ.get("TAYORI_BENCH_BIN", os.path.join(ROOT, "target", "release", "tayori"))
ROUNDS = int(os.environ.get("ROUNDS", "6"))
# BENCH_USER: another of the rig's mailboxes (benches/resync.sh uses one while sync.sh runs).
USER = os.environ.get("BENCH_USER", "bench@example.test")
PASSWORD = USER.split("@")[0] + "-app-password"
ENV = dict(os.environ, TAYORI_DNS_SERVER="127.0.0.1:10053", LANG="en_US.UTF-8")
# SERVER=exchange: the rig's Exchange-shaped profile (exchange.example.test, 127.0.0.4: no
# CONDSTORE, QRESYNC or LIST-STATUS, a connection limit; tests/rig/README.md). benches/sync.sh maps
# the name to that address for mbsync and the floor; Tayori finds it through the rig's DNS.
SERVER = os.environ.get("SERVER", "dovecot")
HOST = "exchange.example.test" if SERVER == "exchange" else "localhost"
# GRAPH=1: the same mailbox through the rig's Microsoft Graph emulator (Contoso's bench mailbox).
GRAPH = os.environ.get("GRAPH", "") not in ("", "0")
GRAPH_USER = "bench@contoso.test"
GRAPH_PASSWORD = "bench-entra-secret"
CONTOSO_APP = "c0c00000-0000-4000-8000-00000000a004"
CONTOSO_TID = "aaaabbbb-0000-4c0c-8000-000000000001"
ENTRA_ADMIN = ("127.0.0.30", 9000)
GOAL_VS_PEER = 0.8
GOAL_VS_FLOOR = 1.6
GOAL_RSS_MB = 64
GOAL_HEADERS_S = 1.0


def tayori_env(home):
    # A profile made by new_graph_home carries the Contoso policy; the others none.
    policy = os.path.join(home, "policy.toml")
    return dict(ENV, TAYORI_HOME=home,
                TAYORI_POLICY_FILE=policy if os.path.exists(policy) else os.path.join(home, "none.toml"),
                TAYORI_ISPDB_URL="https://ispdb.example.test/v1.1/")


def tayori(home, *args, stdin=None):
    out = subprocess.run([BIN, *args], env=tayori_env(home), input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"tayori {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return out


def imap_connections():
    """Established TCP connections whose far end is the IMAPS port (10993): one per IMAP client
    connection on this machine (only the bench's clients run meanwhile)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[2].endswith(":2AF1") and fields[3] == "01":
                        count += 1
        except FileNotFoundError:
            pass
    return count


def new_home(user=USER, password=PASSWORD):
    home = tempfile.mkdtemp(prefix="tayori-bench-")
    tayori(home, "account", "add", user, "--auth", "password", stdin=password + "\n")
    if SERVER == "exchange":
        # As a person would enter the server by hand in the manual settings.
        accounts = os.path.join(home, "config", "accounts.toml")
        text = open(accounts).read()
        if 'host = "mail.example.test"' not in text:
            sys.exit(f"unexpected account settings:\n{text}")
        with open(accounts, "w") as f:
            f.write(text.replace('host = "mail.example.test"', f'host = "{HOST}"', 1))
    return home


def contoso_policy(path):
    """The administrator's policy as tests/graph_read.rs writes it: Contoso's own app registration,
    reading and sending pinned to Microsoft Graph."""
    with open(path, "w") as f:
        f.write(f"""[[provider]]
name = "Contoso"
domains = ["contoso.test"]
imap = {{ host = "outlook.office365.com", port = 993, security = "tls" }}
smtp = {{ host = "smtp.office365.com", port = 587, security = "starttls" }}
sign_in = ["oauth2"]
transport = "graph"
[provider.oauth2]
issuer = "https://login.microsoftonline.com/{CONTOSO_TID}/v2.0"
authorization_endpoint = "https://login.microsoftonline.com/{CONTOSO_TID}/oauth2/v2.0/authorize"
token_endpoint = "https://login.microsoftonline.com/{CONTOSO_TID}/oauth2/v2.0/token"
scopes = ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"]
client_id = "{CONTOSO_APP}"
""")


def contoso_grants_graph():
    """Contoso's administrator consents to its app reading mail through Graph (Mail.ReadWrite
    needs an administrator in a default tenant), as tests/graph_read.rs does."""
    import http.client
    scopes = ["openid", "profile", "email", "offline_access",
              "https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send",
              "https://graph.microsoft.com/Mail.ReadWrite", "https://graph.microsoft.com/Mail.Send",
              "https://graph.microsoft.com/Mail.ReadWrite.Shared", "https://graph.microsoft.com/Mail.Send.Shared"]
    conn = http.client.HTTPConnection(*ENTRA_ADMIN, timeout=10)
    conn.request("POST", "/tenants/contoso.test/grants", json.dumps({"client_id": CONTOSO_APP, "scopes": scopes}),
                 {"Content-Type": "application/json"})
    answer = conn.getresponse()
    if answer.status // 100 != 2:
        sys.exit(f"the Entra emulator refused the grant: {answer.status} {answer.read()!r}")


def new_graph_home():
    """A new profile with bench@contoso.test signed in through the browser (the rig's browser
    driver plays the person) under the policy pinning Graph."""
    home = tempfile.mkdtemp(prefix="tayori-bench-graph-")
    contoso_policy(os.path.join(home, "policy.toml"))
    driver = f"python3 {ROOT}/tests/browser-driver.py {GRAPH_USER} {GRAPH_PASSWORD}"
    tayori(home, "account", "add", GRAPH_USER, "--browser", driver)
    return home


def store_path(home):
    return os.path.join(home, "data", "mail.sqlite3")


def query(db, sql, default):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return default


def count_rows(db, where=""):
    return query(db, f"SELECT count(*) FROM messages {where}", 0)


def tree_bytes(path):
    total = 0
    for top, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                pass
    return total


TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy():
    """Core-seconds this machine's CPUs have been busy since boot (every process, kernel included:
    /proc/stat's user, nice, system, irq, softirq and steal)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / TICKS


def process_cpu(pid):
    """Core-seconds process pid has used so far (all its threads, user and system), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def timed_child(time_pid):
    """The program GNU time (process time_pid) runs."""
    try:
        with open(f"/proc/{time_pid}/task/{time_pid}/children") as f:
            return int(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None


def timed(cmd, env=None, poll=None, first_line=False, cpu=None):
    """Runs cmd under GNU time; returns (wall s, peak RSS MB, stdout, value of `poll`, time of the
    first line on stdout if `first_line`). With a dict as `cpu`, fills in where the machine's CPU
    went: `machine` (core-s every process used from start to exit) and `client` (the program's own,
    children included), and with `first_line` the same up to that line (`machine_first`,
    `client_first`)."""
    os.sync()
    start = time.monotonic()
    busy_at_start = machine_busy()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", *cmd], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Both pipes read as the program writes (a full pipe would stop it), stdout's first line timed.
    out_lines, err_lines, first = [], [], []

    def read(stream, lines, timed_first):
        for line in stream:
            if timed_first and not first:
                first.append(time.monotonic() - start)
                if cpu is not None:
                    cpu["machine_first"] = machine_busy() - busy_at_start
                    child = timed_child(proc.pid)
                    cpu["client_first"] = process_cpu(child) if child else None
            lines.append(line)

    readers = [threading.Thread(target=read, args=(proc.stdout, out_lines, first_line)),
               threading.Thread(target=read, args=(proc.stderr, err_lines, False))]
    for reader in readers:
        reader.start()
    polled = None
    if poll is not None:
        while proc.poll() is None:
            if polled is None and poll():
                polled = time.monotonic() - start
                break
            time.sleep(0.05)
    proc.wait()
    wall = time.monotonic() - start
    busy = machine_busy() - busy_at_start
    for reader in readers:
        reader.join()
    out, err = "".join(out_lines), "".join(err_lines)
    if proc.returncode != 0:
        sys.exit(f"{os.path.basename(cmd[0])} failed:\n{out}{err}")
    rss_kb, user, system = err.strip().splitlines()[-1].split()
    if cpu is not None:
        cpu["machine"] = busy
        cpu["client"] = float(user) + float(system)
    return wall, int(rss_kb) / 1024, out, polled, (first[0] if first else None)


class Tayori:
    """`tayori sync` prints its summary line when every message is stored (readable offline: the
    figure that is compared), then builds the search index and says when that is complete; the
    time to its exit (index complete) is printed beside it."""
    name = "Tayori sync"

    def __init__(self, n, binary=None):
        self.n = n
        self.binary = binary or BIN
        self.home = None
        self.headers = []
        self.indexed = []
        self.stores = []
        self.connections = []
        self.kept = []
        self.cpu = []

    def new_home(self):
        return new_home()

    def run(self):
        # The run before's profile is kept until the last round (see the top of this file).
        self.home = self.new_home()
        self.kept.append(self.home)
        db = store_path(self.home)
        # The IMAP connections open at once while Tayori syncs (a big folder's headers come over
        # two; the Exchange-shaped profile allows five), counted by the kernel: established TCP
        # connections to the IMAPS port, client side. (Sampling with `doveadm who`, as before,
        # started a process every 50 ms on the 2 cores being measured.)
        stop, peak = threading.Event(), [0]

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], imap_connections())
                stop.wait(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        cpu = {}
        try:
            exit_wall, rss, out, headers, synced = timed(
                [self.binary, "sync"], env=tayori_env(self.home),
                poll=lambda: count_rows(db) >= self.n, first_line=True, cpu=cpu)
        finally:
            stop.set()
            sampler.join()
        self.connections.append(peak[0])
        bodies = count_rows(db, "WHERE body_state != 0")
        if bodies != self.n:
            sys.exit(f"Tayori stored only {bodies} of {self.n} bodies")
        unindexed = count_rows(db, "WHERE body_state = 4")
        if unindexed:
            sys.exit(f"Tayori exited with {unindexed} messages not in the search index")
        wall = synced if synced is not None else exit_wall
        # The CPU up to the figure compared: the summary line ("synced"), not the exit.
        if synced is not None and cpu.get("client_first") is not None:
            self.cpu.append((cpu["machine_first"], cpu["client_first"]))
        else:
            self.cpu.append((cpu["machine"], cpu["client"]))
        self.headers.append(headers if headers is not None else wall)
        self.indexed.append(exit_wall)
        self.stores.append(tree_bytes(self.home))
        self.summary = " / ".join(line for line in out.strip().splitlines()) if out.strip() else ""
        return wall, rss

    def clean(self):
        for home in self.kept:
            shutil.rmtree(home, ignore_errors=True)
        self.kept = []
        self.home = None


class TayoriGraph(Tayori):
    """The same `tayori sync`, the account read through Microsoft Graph (GRAPH=1)."""
    name = "Tayori Graph"

    def new_home(self):
        return new_graph_home()


class Mbsync:
    def __init__(self, fsync):
        self.fsync = fsync
        self.name = "mbsync FSync yes" if fsync else "mbsync FSync no"
        self.dir = None
        self.stores = []
        self.kept = []
        self.cpu = []

    def config(self):
        path = os.path.join(self.dir, "mbsyncrc")
        os.makedirs(os.path.join(self.dir, "mail"))
        with open(path, "w") as f:
            # FSync is a global option: its own section, before the others.
            f.write(f"""FSync {"yes" if self.fsync else "no"}

IMAPAccount bench
Host {HOST}
Port 10993
User {USER}
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {STATE}/pki/ca.crt
AuthMechs PLAIN

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path {self.dir}/mail/
Inbox {self.dir}/mail/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:
Near :bench-near:
Patterns *
Create Near
Sync Pull
SyncState *
""")
        return path

    def run(self):
        # The run before's Maildir is kept until the last round (see the top of this file).
        self.dir = tempfile.mkdtemp(prefix="mbsync-bench-")
        self.kept.append(self.dir)
        cpu = {}
        wall, rss, _, _, _ = timed(["mbsync", "-q", "-c", self.config(), "-a"], cpu=cpu)
        self.cpu.append((cpu["machine"], cpu["client"]))
        self.stores.append(tree_bytes(os.path.join(self.dir, "mail")))
        return wall, rss

    def clean(self):
        for path in self.kept:
            shutil.rmtree(path, ignore_errors=True)
        self.kept = []
        self.dir = None


class Floor:
    name = "raw floor"

    def __init__(self):
        self.cpu = []

    def run(self):
        cpu = {}
        wall, rss, out, _, _ = timed([sys.executable, os.path.join(ROOT, "benches", "floor.py"),
                                   HOST, "10993", USER, PASSWORD, f"{STATE}/pki/ca.crt"], cpu=cpu)
        self.cpu.append((cpu["machine"], cpu["client"]))
        self.summary = out.strip()
        return wall, rss

    def clean(self):
        pass


class PackingFloor:
    """benches/packing_floor.rs (PACKING_FLOOR=1): downloads over two connections and compresses
    every message as Tayori packs it, appending to one file; nothing else."""
    name = "packing floor"

    def __init__(self, binary):
        self.binary = binary
        self.cpu = []
        self.stores = []
        self.kept = []

    def run(self):
        # The run before's file is kept until the last round (see the top of this file).
        out = tempfile.mkdtemp(prefix="packing-floor-")
        self.kept.append(out)
        cpu = {}
        wall, rss, text, _, _ = timed([self.binary, HOST, "10993", USER, PASSWORD,
                                       f"{STATE}/pki/ca.crt", os.path.join(out, "packed")], cpu=cpu)
        self.cpu.append((cpu["machine"], cpu["client"]))
        self.stores.append(tree_bytes(out))
        self.summary = text.strip()
        return wall, rss

    def clean(self):
        for path in self.kept:
            shutil.rmtree(path, ignore_errors=True)
        self.kept = []


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def per_round(firsts, seconds):
    """The ratio of two programs' times, round by round."""
    return [x / y for x, y in zip(firsts, seconds)]


def verdict(value, goal):
    return "met" if value <= goal else "NOT met"


def idle_latency(rounds=10):
    user = "s23@example.test"
    home = new_home(user, "s23-app-password")
    db = store_path(home)
    watcher = subprocess.Popen([BIN, "sync", "--watch"], env=tayori_env(home),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while query(db, "SELECT count(*) FROM folders WHERE synced_at IS NOT NULL", 0) == 0:
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


def forget_freed_inodes():
    """Before the first round: the kernel forgets which inodes were freed lately (see the top of
    this file), and the mailbox's files are read back into the page cache, as benches/sync.sh left
    them, so that every program finds them cached."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError as error:
        # Not root: the inodes freed in the last minute are skipped by then.
        print(f"(could not drop the kernel's caches: {error}; waiting 65 s instead)", flush=True)
        time.sleep(65)
        return
    for user in [USER] + ([GRAPH_USER] if GRAPH else []):
        local, domain = user.split("@")
        for top, _, files in os.walk(os.path.join(STATE, "mail", domain, local)):
            for name in files:
                try:
                    with open(os.path.join(top, name), "rb") as f:
                        while f.read(1 << 20):
                            pass
                except OSError:
                    pass


def enough_room(needed):
    """Every run's output is kept until the last round: stop before the disk fills."""
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < needed:
        sys.exit(f"only {free / 1e9:.1f} GB free in {tempfile.gettempdir()}: the rounds keep every "
                 f"run's output until the end and need about {needed / 1e9:.1f} GB more")


def mailbox_status(user=USER):
    status = subprocess.run(["doveadm", "-c", f"{STATE}/dovecot/dovecot.conf", "mailbox", "status",
                             "-u", user, "messages vsize", "INBOX"], capture_output=True, text=True)
    fields = dict(part.split("=", 1) for part in status.stdout.split() if "=" in part)
    return int(fields["messages"]), int(fields["vsize"])


def interleaved(n):
    messages, vsize = mailbox_status()
    if messages != n:
        sys.exit(f"the bench mailbox holds {messages} messages, not {n}")
    print(f"mailbox: {messages} messages, {vsize / 1e6:.0f} MB as IMAP delivers them (Dovecot on "
          f"loopback, IMAPS; clients and server share this machine's {os.cpu_count()} cores)")
    print(f"mail: {os.environ.get('MAIL', 'synthetic')}; server: {SERVER} ({HOST})")
    tayori_p = Tayori(n)
    programs = [tayori_p, Mbsync(False), Mbsync(True), Floor()]
    if os.environ.get("TAYORI_PACKING_FLOOR_BIN"):
        programs.append(PackingFloor(os.environ["TAYORI_PACKING_FLOOR_BIN"]))
    variants = []
    for variant in filter(None, os.environ.get("TAYORI_VARIANTS", "").split(";")):
        name, binary = variant.split("=", 1)
        program = Tayori(n, binary)
        program.name = f"Tayori {name}"
        variants.append(program)
        print(f"Tayori {name}: {binary}")
    programs += variants
    graph_p = None
    if GRAPH:
        graph_messages, graph_vsize = mailbox_status(GRAPH_USER)
        if (graph_messages, graph_vsize) != (messages, vsize):
            sys.exit(f"{GRAPH_USER}'s INBOX holds {graph_messages} messages ({graph_vsize} bytes), "
                     f"not the bench mailbox's {messages} ({vsize} bytes)")
        print(f"Graph: {GRAPH_USER} holds the same {messages} messages, read through the rig's Graph "
              f"emulator (tests/rig/idp/exchange.mjs over Dovecot; delta pages and $value as Graph serves them)")
        contoso_grants_graph()
        graph_p = TayoriGraph(n)
        programs.append(graph_p)
    letters = " ".join("ABCDEFGHIJ"[:len(programs)])
    print(f"binary: {os.path.relpath(BIN, ROOT)}; {ROUNDS} rounds, order {letters} rotated each round")
    # While iterating, e.g. SKIP="mbsync FSync yes" (on a busy disk it takes minutes a round);
    # the figures that decide come from a run of all four.
    skip = [name.strip() for name in os.environ.get("SKIP", "").split(",") if name.strip()]
    programs = [p for p in programs if p.name not in skip]
    if skip:
        print(f"left out (SKIP): {', '.join(skip)}")
    times = {p.name: [] for p in programs}
    rss = {p.name: [] for p in programs}
    # The short form CI runs (a few hundred messages) only keeps the script working: its figures
    # decide nothing, and dropping the kernel's caches would slow the steps after it.
    if n >= 1000:
        forget_freed_inodes()
    try:
        for r in range(ROUNDS):
            order = programs[r % len(programs):] + programs[:r % len(programs)]
            line = []
            for program in order:
                enough_room(2 * vsize)
                wall, peak = program.run()
                times[program.name].append(wall)
                rss[program.name].append(peak)
                line.append(f"{program.name} {wall:.2f} s/{peak:.0f} MB")
            print(f"  round {r + 1}: " + " | ".join(line), flush=True)
        print(f"  Tayori's last summary: {tayori_p.summary}")
        if graph_p:
            print(f"  Tayori Graph's last summary: {graph_p.summary}")
        floor_p = next((p for p in programs if p.name == "raw floor"), None)
        if floor_p:
            print(f"  floor's last run: {floor_p.summary}")
        packing_p = next((p for p in programs if p.name == "packing floor"), None)
        if packing_p:
            print(f"  packing floor's last run: {packing_p.summary}")

        print(f"\n{'program (' + str(ROUNDS) + ' runs each)':<28}{'min':>9}{'median':>9}"
              f"{'peak RSS med':>14}{'max':>7}  stored")
        for p in programs:
            t, m = times[p.name], rss[p.name]
            stored = ""
            if getattr(p, "stores", None):
                stored = f"{statistics.median(p.stores) / 1e6:.0f} MB ({statistics.median(p.stores) / vsize:.2f}x the mail)"
            print(f"{p.name:<28}{min(t):>8.2f}s{statistics.median(t):>8.2f}s"
                  f"{statistics.median(m):>11.0f} MB{max(m):>4.0f} MB  {stored}")

        pairs = [(a.name, b.name) for i, a in enumerate(programs) for b in programs[i + 1:]]
        print("\nratio per round (first / second), and its median")
        ratios = {}
        for a, b in pairs:
            rounds = per_round(times[a], times[b])
            ratios[(a, b)] = statistics.median(rounds)
            print(f"  {a + ' / ' + b:<38} " + " ".join(f"{x:.2f}" for x in rounds)
                  + f"   median {ratios[(a, b)]:.2f}")

        # Where the machine's CPU went while each program ran (to its compared figure: Tayori's
        # summary line): the program itself, and everything else, which is mostly the server.
        # Clients and server share these cores, so a client's CPU is the server's loss too.
        cores = os.cpu_count()
        print(f"\nwhere the CPU went, medians ({cores} cores shared by client and server; "
              f"Tayori to its summary line)")
        print(f"  {'program':<26}{'cores busy':>11}{'program':>10}{'the rest':>10}  (core-s)")
        # Medians by program: (the program's own core-s, the rest's).
        cpu_medians = {}
        for p in programs:
            busy = [machine / wall for (machine, _), wall in zip(p.cpu, times[p.name])]
            own = statistics.median(client for _, client in p.cpu)
            rest = statistics.median(machine - client for machine, client in p.cpu)
            cpu_medians[p.name] = (own, rest)
            print(f"  {p.name:<26}{statistics.median(busy):>11.2f}{own:>10.2f}{rest:>10.2f}")

        if graph_p:
            # The figure issue 27 asks for: the same mailbox read through Graph beside IMAP.
            rounds = per_round(times[graph_p.name], times[tayori_p.name])
            print(f"\nthe same mailbox through Microsoft Graph beside IMAP (issue 27)\n"
                  f"  {'Tayori Graph / Tayori sync (IMAP)':<38} " + " ".join(f"{x:.2f}" for x in rounds)
                  + f"   median {statistics.median(rounds):.2f}")
            print(f"  Graph: {statistics.median(times[graph_p.name]) / n * 1000:.2f} ms a message "
                  f"(median), IMAP {statistics.median(times[tayori_p.name]) / n * 1000:.2f} ms")

        # `tayori sync` exits once the search index is complete too (it says so on a line of its
        # own); what that costs, for the record beside the figures that decide.
        idx = tayori_p.indexed
        print(f"\n{'Tayori, index complete (exit)':<28}{min(idx):>8.2f}s{statistics.median(idx):>8.2f}s"
              f"  (synced at median {statistics.median(times['Tayori sync']):.2f} s)")
        for other in ("mbsync FSync no", "raw floor"):
            if other in times:
                rounds = per_round(idx, times[other])
                print(f"  {'Tayori index complete / ' + other:<38} " + " ".join(f"{x:.2f}" for x in rounds)
                      + f"   median {statistics.median(rounds):.2f}")

        vs_peer = ratios.get(("Tayori sync", "mbsync FSync no"))
        vs_floor = ratios.get(("Tayori sync", "raw floor"))
        peak = max(rss["Tayori sync"])
        headers = statistics.median(tayori_p.headers)
        print("\nagainst the goals (issue 23)")
        # A program left out (SKIP) leaves its goal undecided, said so rather than guessed.
        if vs_peer is None:
            print("  full sync, median Tayori / mbsync FSync no: not measured (SKIP)")
        else:
            print(f"  full sync, median Tayori / mbsync FSync no (equal durability): {vs_peer:.2f}  "
                  f"goal <= {GOAL_VS_PEER}  {verdict(vs_peer, GOAL_VS_PEER)}")
        if vs_peer is not None:
            # What the goal asks of these cores: the server's share comes first, and what is left
            # is all Tayori could use, were both cores busy throughout.
            target = GOAL_VS_PEER * statistics.median(times["mbsync FSync no"])
            own, rest = cpu_medians["Tayori sync"]
            peer_own, _ = cpu_medians["mbsync FSync no"]
            print(f"    at {GOAL_VS_PEER}x mbsync FSync no ({target:.2f} s) {cores} cores hold "
                  f"{cores * target:.2f} core-s; the rest of the machine (the server) took "
                  f"{rest:.2f} while Tayori synced,\n"
                  f"    leaving Tayori at most {cores * target - rest:.2f} core-s; it used {own:.2f} "
                  f"(mbsync FSync no used {peer_own:.2f} for its whole run)")
        if vs_peer is not None and ("Tayori sync", "packing floor") in ratios:
            # Where the goal stands beside the least a client keeping the disk goal does.
            rounds = per_round(times["packing floor"], times["mbsync FSync no"])
            print(f"    the packing floor (download and compress only, two connections): median "
                  f"{statistics.median(rounds):.2f}x mbsync FSync no, "
                  f"Tayori {ratios[('Tayori sync', 'packing floor')]:.2f}x it")
        for p in variants:
            # benches/what_if.sh: Tayori without a part the goals ask for, beside the goal.
            if p.name in times and "mbsync FSync no" in times:
                rounds = per_round(times[p.name], times["mbsync FSync no"])
                print(f"    what if — {p.name}: median {statistics.median(rounds):.2f}x mbsync "
                      f"FSync no, every header in the store at {statistics.median(p.headers):.2f} s, "
                      f"stored {statistics.median(p.stores) / vsize:.2f}x the mail")
        if vs_floor is None:
            print("  full sync, median Tayori / raw floor: not measured (SKIP)")
        else:
            print(f"  full sync, median Tayori / raw floor: {vs_floor:.2f}  goal <= {GOAL_VS_FLOOR}  "
                  f"{verdict(vs_floor, GOAL_VS_FLOOR)}")
        print(f"  peak RSS of Tayori over {ROUNDS} syncs of {n}: max {peak:.0f} MB  goal <= {GOAL_RSS_MB} MB  "
              f"{verdict(peak, GOAL_RSS_MB)}")
        print(f"  every header in the store: median {headers:.2f} s after start  goal < {GOAL_HEADERS_S:.0f} s  "
              f"{verdict(headers, GOAL_HEADERS_S - 1e-9)}")
        print(f"  IMAP connections at once during Tayori's sync (TCP, sampled every 50 ms): "
              f"max {max(tayori_p.connections)}  limit <= 3")
        if ("Tayori sync", "mbsync FSync yes") in ratios and ("mbsync FSync no", "raw floor") in ratios:
            print(f"  (for the record: Tayori / mbsync FSync yes "
                  f"{ratios[('Tayori sync', 'mbsync FSync yes')]:.2f}; mbsync FSync no / raw floor "
                  f"{ratios[('mbsync FSync no', 'raw floor')]:.2f})")

        nochange = []
        for _ in range(10):
            start = time.monotonic()
            tayori(tayori_p.home, "sync")
            nochange.append(time.monotonic() - start)
        print(f"\nno-change resync, whole process (10 runs): min {ms(min(nochange))}, "
              f"median {ms(statistics.median(nochange))}")
        if graph_p:
            nochange = []
            for _ in range(10):
                start = time.monotonic()
                tayori(graph_p.home, "sync")
                nochange.append(time.monotonic() - start)
            print(f"no-change resync through Graph (delta queries), whole process (10 runs): "
                  f"min {ms(min(nochange))}, median {ms(statistics.median(nochange))}")
    finally:
        for p in programs:
            p.clean()
    idle = idle_latency()
    print(f"new mail during IDLE -> in the store (10 deliveries over LMTP): min {ms(min(idle))}, "
          f"median {ms(statistics.median(idle))}, max {ms(max(idle))}")


def scale(n, results):
    """Tayori alone on an n-message mailbox: one full sync; the figures go to `results`."""
    messages, vsize = mailbox_status()
    if messages != n:
        sys.exit(f"the bench mailbox holds {messages} messages, not {n}")
    t = Tayori(n)
    try:
        wall, peak = t.run()
        home = t.home
        stored = t.stores[0]
        # What the store's bytes are: the database, its WAL, the logs (tree_bytes counts all).
        db_bytes = sum(os.path.getsize(p) for p in (store_path(home), store_path(home) + "-wal")
                       if os.path.exists(p))
        # No-change resync of this account: one folder, so it shows the cost of its size alone.
        nochange = []
        for _ in range(3):
            start = time.monotonic()
            tayori(home, "sync")
            nochange.append(time.monotonic() - start)
    finally:
        t.clean()
    row = {"n": n, "mail": vsize, "wall": wall, "rss": peak, "store": stored, "db": db_bytes,
           "headers": t.headers[0], "indexed": t.indexed[0], "resync": statistics.median(nochange),
           "load": os.getloadavg()[0]}
    print(f"  {n} messages ({vsize / 1e6:.0f} MB): headers {t.headers[0]:.2f} s, synced {wall:.2f} s "
          f"(index complete {t.indexed[0]:.2f} s), peak RSS {peak:.0f} MB, store {stored / 1e6:.0f} MB, "
          f"no-change resync {ms(row['resync'])}, load {row['load']:.2f}", flush=True)
    with open(results, "a") as f:
        f.write(json.dumps(row) + "\n")


def scale_summary(results):
    """The figures by size, each also per message, and how each grows against the smallest size:
    linear growth keeps the per-message figures flat (a ratio near 1.00 at every size)."""
    rows = sorted((json.loads(line) for line in open(results)), key=lambda r: r["n"])
    if not rows:
        sys.exit("no scale figures")
    base = rows[0]
    print(f"\nTayori full sync by mailbox size (mail: {os.environ.get('MAIL', 'synthetic')}; "
          f"server: {SERVER}; binary: {os.path.relpath(BIN, ROOT)})")
    head = (f"  {'messages':>8} {'mail MB':>8} {'headers':>8} {'synced':>8} {'indexed':>8} {'ms/msg':>7}"
            f" {'x':>5} {'peak RSS':>9} {'store MB':>9} {'KB/msg':>7} {'x':>5} {'store/mail':>10}"
            f" {'resync':>7} {'load':>5}")
    print(head)

    def per(r, key):
        return r[key] / r["n"]

    for r in rows:
        print(f"  {r['n']:>8} {r['mail'] / 1e6:>8.0f} {r['headers']:>7.2f}s {r['wall']:>7.2f}s"
              f" {r['indexed']:>7.2f}s {per(r, 'wall') * 1000:>7.3f} {per(r, 'wall') / per(base, 'wall'):>5.2f}"
              f" {r['rss']:>6.0f} MB {r['store'] / 1e6:>9.0f} {per(r, 'store') / 1e3:>7.2f}"
              f" {per(r, 'store') / per(base, 'store'):>5.2f} {r['store'] / r['mail']:>9.2f}x"
              f" {r['resync'] * 1000:>5.0f}ms {r['load']:>5.2f}")
    print(f"  (x: the per-message figure over that of {base['n']} messages; 1.00 = linear. "
          f"Mail per message differs a little between sizes: store/mail is the fair column.)")
    if len(rows) >= 3:
        # (Two sizes always lie on a line: it says something from three on.)
        # Least-squares line through (messages, figure): the fixed cost, the cost per message,
        # and how far the worst size lies from that line.
        for key, unit, scale_ in (("wall", "s", 1), ("store", "MB", 1e-6)):
            xs, ys = [r["n"] for r in rows], [r[key] * scale_ for r in rows]
            mx, my = statistics.mean(xs), statistics.mean(ys)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
            fixed = my - slope * mx
            worst = max(abs(y - (fixed + slope * x)) / y for x, y in zip(xs, ys))
            name = "synced" if key == "wall" else "store"
            print(f"  {name}: {fixed:.2f} {unit} + {slope * 1000:.4f} {unit} per 1,000 messages; "
                  f"the farthest size is {worst * 100:.1f} % off that line")
    peak = max(r["rss"] for r in rows)
    small = [r for r in rows if r["n"] <= 50000]
    spread = max(r["rss"] for r in small) - min(r["rss"] for r in small)
    print(f"  peak RSS (goal <= {GOAL_RSS_MB} MB at every size, flat at 5k/20k/50k): "
          f"max {peak:.0f} MB, spread up to 50k {spread:.0f} MB, "
          f"{rows[-1]['n']} messages {rows[-1]['rss']:.0f} MB  {verdict(peak, GOAL_RSS_MB)}")


if __name__ == "__main__":
    if sys.argv[1] == "--scale":
        scale(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "--scale-summary":
        scale_summary(sys.argv[2])
    else:
        interleaved(int(sys.argv[1]))
