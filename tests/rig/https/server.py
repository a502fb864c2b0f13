#!/usr/bin/env python3
"""HTTPS + HTTP fixture server for the Tayori test rig (Python 3 stdlib only).

Serves tests/rig/https/fixtures/<host>/<path>, where <host> is the request's Host header
(lowercased, port stripped) and the query string is ignored. Listens on 127.0.0.10:443 (TLS, the
rig's server certificate, which covers every test domain) and 127.0.0.10:80 (plain HTTP, the
"legacy http" autoconfig source).

Per-host behaviours, switched on by files in fixtures/<host>/ (these files are never served):
  _redirect   first line: status code (301/302/303/307/308), second line: Location.
              Every path on that host is redirected there.
  _hang       every request on that host is accepted and read, then left unanswered for 60 s.
  _garbage    every request on that host gets 200 with random bytes.
  _plain_only the host answers only over plain HTTP; HTTPS gets 404 (the legacy-http scenario).
  _delay_ms   first line: milliseconds to wait before answering (a slow but working server).
  _huge       first line: N; every request gets 200 with N MiB of valid JSON (a client id padded out),
              for clients that must cap what they read.
  _by_email_domain/<domain>
              when the request (path or query) carries an email address, the answer is this file
              for the address's domain, or 404 (AutoDiscover v2 answers per mailbox).
  _ispdb      this host is the ISPDB mirror: /v1.1/<domain> is served from <domain>.xml in the
              --ispdb-dir folders (the real ISPDB snapshot in ../shared/ispdb, plus https/ispdb-extra).
Anything not found: 404. Content type by extension (.xml application/xml, .json application/json, .png and .gif images).

Log: one line per request to --log: time, scheme, method, host, path (no query string), status,
whether an Authorization header / a Cookie header was present (never their values), who asked
(`agent=tayori` for Tayori's User-Agent, `other` for anything else), and the email
address the request carried in its path, query or body (`address=` the address, or `-`): the
privacy test reads it to prove which hosts received an address (issue 25).

usage: server.py --fixtures DIR --cert CRT --key KEY --log FILE [--addr 127.0.0.10]
       [--https-port 443] [--http-port 80] [--pid-file FILE]
"""
import argparse
import http.server
import os
import re
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

CONTROL_FILES = {"_redirect", "_hang", "_garbage", "_plain_only", "_delay_ms", "_ispdb", "_by_email_domain", "_huge"}
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+)")
EMAIL_FULL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
TYPES = {
    ".xml": "application/xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".gif": "image/gif",
}
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
HANG_SECONDS = 60


_ISPDB_INDEX = {}
_ISPDB_LOCK = threading.Lock()


def ispdb_index(folders):
    """Maps every <domain> named in an ISPDB file to that file, as the real ISPDB answers a config
    under each of its domains (att.net.xml is served for ameritech.net, its first domain, too)."""
    with _ISPDB_LOCK:
        if folders not in _ISPDB_INDEX:
            index = {}
            for folder in folders:
                for name in sorted(os.listdir(folder)):
                    if not name.endswith(".xml"):
                        continue
                    full = os.path.join(folder, name)
                    with open(full, encoding="utf-8", errors="replace") as f:
                        text = f.read()
                    index.setdefault(name[:-4].lower(), full)
                    for domain in re.findall(r"<domain>\s*([^<\s]+)\s*</domain>", text):
                        index.setdefault(domain.lower(), full)
            _ISPDB_INDEX[folders] = index
        return _ISPDB_INDEX[folders]


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "TayoriRigFixtures/1"
    protocol_version = "HTTP/1.1"
    fixtures = "."
    logfile = None
    log_lock = threading.Lock()
    scheme = "https"
    ispdb_dirs = ()

    def log_message(self, fmt, *args):  # silence the default stderr access log
        pass

    def _address(self):
        """The first email address in the request's path, query or body, or '-'."""
        text = urllib.parse.unquote(self.path) + " " + getattr(self, "body_text", "")
        match = EMAIL_FULL_RE.search(text)
        return match.group(0).lower() if match else "-"

    def _record(self, host, path, status):
        auth = "yes" if self.headers.get("Authorization") is not None else "no"
        cookie = "yes" if self.headers.get("Cookie") is not None else "no"
        # Tayori names itself in its User-Agent ("Tayori/<version>" and nothing more, issue 25);
        # "tayori+" marks a Tayori User-Agent that says more; anything else is a browser (the tests'
        # browser driver) or a test's own request.
        ua = self.headers.get("User-Agent") or ""
        agent = ("tayori" if re.fullmatch(r"Tayori/[0-9]+\.[0-9]+\.[0-9]+", ua)
                 else "tayori+" if ua.startswith("Tayori") else "other")
        line = "%s %s %s host=%s path=%s status=%s authorization=%s cookie=%s agent=%s address=%s\n" % (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), self.scheme, self.command,
            host or "-", path.replace(" ", "%20") or "-", status, auth, cookie, agent,
            self._address())
        with self.log_lock:
            with open(self.logfile, "a", encoding="utf-8") as f:
                f.write(line)

    def _host(self):
        raw = (self.headers.get("Host") or "").strip().lower()
        if raw.startswith("["):  # IPv6 literal
            raw = raw[1:raw.find("]")] if "]" in raw else raw
        elif raw.count(":") == 1:
            raw = raw.split(":", 1)[0]
        raw = raw.rstrip(".")
        return raw if HOST_RE.match(raw) else ""

    def _send(self, status, body=b"", ctype="text/plain; charset=utf-8", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drain_body(self):
        self.body_text = ""
        n = int(self.headers.get("Content-Length") or 0)
        if 0 < n <= 1 << 20:
            self.body_text = self.rfile.read(n).decode("utf-8", "replace")

    def _handle(self):
        self._drain_body()
        host = self._host()
        path = urllib.parse.urlsplit(self.path).path or "/"
        hostdir = os.path.join(self.fixtures, host) if host else None
        if not hostdir or not os.path.isdir(hostdir):
            self._record(host, path, 404)
            return self._send(404, b"not found\n")
        if self.scheme == "https" and os.path.exists(os.path.join(hostdir, "_plain_only")):
            self._record(host, path, 404)
            return self._send(404, b"not found\n")
        delay = os.path.join(hostdir, "_delay_ms")
        if os.path.exists(delay):
            with open(delay, encoding="utf-8") as f:
                time.sleep(int(f.read().split()[0]) / 1000.0)
        if os.path.exists(os.path.join(hostdir, "_hang")):
            self._record(host, path, "hang")
            self.close_connection = True
            time.sleep(HANG_SECONDS)
            return None
        huge = os.path.join(hostdir, "_huge")
        if os.path.exists(huge):
            with open(huge, encoding="utf-8") as f:
                mib = int(f.read().split()[0])
            body = b'{"client_id":"huge","pad":"' + b"a" * (mib << 20) + b'"}'
            self._record(host, path, 200)
            return self._send(200, body, "application/json")
        redirect = os.path.join(hostdir, "_redirect")
        if os.path.exists(redirect):
            with open(redirect, encoding="utf-8") as f:
                lines = [l.strip() for l in f.read().splitlines()]
            status, location = int(lines[0]), lines[1]
            self._record(host, path, status)
            return self._send(status, b"", extra=[("Location", location)])
        by_domain = os.path.join(hostdir, "_by_email_domain")
        if os.path.isdir(by_domain):
            match = EMAIL_RE.search(urllib.parse.unquote(self.path))
            domain = match.group(1).lower().rstrip(".") if match else ""
            answer = os.path.join(by_domain, domain)
            if domain and DOMAIN_RE.match(domain) and os.path.isfile(answer):
                with open(answer, "rb") as f:
                    body = f.read()
                self._record(host, path, 200)
                return self._send(200, body, "application/json")
            self._record(host, path, 404)
            return self._send(404, b"not found\n")
        if os.path.exists(os.path.join(hostdir, "_ispdb")):
            domain = path.rstrip("/").rsplit("/", 1)[-1].lower()
            candidate = ispdb_index(self.ispdb_dirs).get(domain)
            if candidate:
                with open(candidate, "rb") as f:
                    body = f.read()
                self._record(host, path, 200)
                return self._send(200, body, "application/xml")
            self._record(host, path, 404)
            return self._send(404, b"not found\n")
        ext = os.path.splitext(path)[1].lower()
        if os.path.exists(os.path.join(hostdir, "_garbage")):
            self._record(host, path, 200)
            return self._send(200, os.urandom(4096), TYPES.get(ext, "application/octet-stream"))
        # static file; refuse traversal and the control files
        rel = urllib.parse.unquote(path).lstrip("/")
        parts = [p for p in rel.split("/") if p]
        if (not parts or any(p in (".", "..") or "\\" in p or "\0" in p for p in parts)
                or (len(parts) == 1 and parts[0] in CONTROL_FILES)):
            self._record(host, path, 404)
            return self._send(404, b"not found\n")
        full = os.path.join(hostdir, *parts)
        if not os.path.isfile(full):
            self._record(host, path, 404)
            return self._send(404, b"not found\n")
        with open(full, "rb") as f:
            body = f.read()
        self._record(host, path, 200)
        return self._send(200, body, TYPES.get(ext, "application/octet-stream"))

    do_GET = do_HEAD = do_POST = _handle


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class TLSServer(Server):
    """Performs the TLS handshake in the request thread, so a stalled client can't block accept()."""
    ssl_context = None

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--addr", default="127.0.0.10")
    ap.add_argument("--https-port", type=int, default=443)
    ap.add_argument("--http-port", type=int, default=80)
    ap.add_argument("--pid-file")
    ap.add_argument("--ispdb-dir", action="append", default=[],
                    help="folder of <domain>.xml ISPDB files for hosts with an _ispdb file (repeatable)")
    a = ap.parse_args()

    def handler(scheme):
        return type("H_" + scheme, (Handler,), {
            "fixtures": os.path.abspath(a.fixtures), "logfile": a.log, "scheme": scheme,
            "ispdb_dirs": tuple(os.path.abspath(d) for d in a.ispdb_dir if os.path.isdir(d))})

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    https_srv = TLSServer((a.addr, a.https_port), handler("https"))
    https_srv.ssl_context = ctx
    http_srv = Server((a.addr, a.http_port), handler("http"))
    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    print("fixture server: https://%s:%d and http://%s:%d serving %s" % (
        a.addr, a.https_port, a.addr, a.http_port, a.fixtures), flush=True)
    threading.Thread(target=http_srv.serve_forever, daemon=True).start()
    try:
        https_srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
