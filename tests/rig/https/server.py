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
Anything not found: 404. Content type by extension (.xml application/xml, .json application/json).

Log: one line per request to --log: time, scheme, method, host, path (no query string), status,
and whether an Authorization header / a Cookie header was present (never their values).

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

CONTROL_FILES = {"_redirect", "_hang", "_garbage"}
TYPES = {
    ".xml": "application/xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")
HANG_SECONDS = 60


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "TayoriRigFixtures/1"
    protocol_version = "HTTP/1.1"
    fixtures = "."
    logfile = None
    log_lock = threading.Lock()
    scheme = "https"

    def log_message(self, fmt, *args):  # silence the default stderr access log
        pass

    def _record(self, host, path, status):
        auth = "yes" if self.headers.get("Authorization") is not None else "no"
        cookie = "yes" if self.headers.get("Cookie") is not None else "no"
        line = "%s %s %s host=%s path=%s status=%s authorization=%s cookie=%s\n" % (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), self.scheme, self.command,
            host or "-", path.replace(" ", "%20") or "-", status, auth, cookie)
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
        n = int(self.headers.get("Content-Length") or 0)
        if 0 < n <= 1 << 20:
            self.rfile.read(n)

    def _handle(self):
        self._drain_body()
        host = self._host()
        path = urllib.parse.urlsplit(self.path).path or "/"
        hostdir = os.path.join(self.fixtures, host) if host else None
        if not hostdir or not os.path.isdir(hostdir):
            self._record(host, path, 404)
            return self._send(404, b"not found\n")
        if os.path.exists(os.path.join(hostdir, "_hang")):
            self._record(host, path, "hang")
            self.close_connection = True
            time.sleep(HANG_SECONDS)
            return None
        redirect = os.path.join(hostdir, "_redirect")
        if os.path.exists(redirect):
            with open(redirect, encoding="utf-8") as f:
                lines = [l.strip() for l in f.read().splitlines()]
            status, location = int(lines[0]), lines[1]
            self._record(host, path, status)
            return self._send(status, b"", extra=[("Location", location)])
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
    a = ap.parse_args()

    def handler(scheme):
        return type("H_" + scheme, (Handler,), {
            "fixtures": os.path.abspath(a.fixtures), "logfile": a.log, "scheme": scheme})

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
