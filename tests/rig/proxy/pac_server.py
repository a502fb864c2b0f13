#!/usr/bin/env python3
"""The office's intranet web server for proxy auto-configuration (Python 3 stdlib only).

Serves the files of tests/rig/proxy/pac/ on the proxy host's address, port 80, for any Host
(pac.office.test, wpad.office.test): GET /<name>.pac and GET /wpad.dat. Content type
application/x-ns-proxy-autoconfig, as browsers expect it (and as Windows' WinHTTP requires it for
WPAD). "@PROXY@" in a file is replaced by the proxy host's address, so the same PAC works wherever the
rig puts the office.

Named behaviours, for the failure tests:
  /hang.pac        accepted and read, then left unanswered for 60 s (a PAC server that hangs)
  /missing.pac     404 (as every other unknown path)
  /redirect.pac    302 to /office.pac (PAC URLs are often redirected by intranet servers)

Log: one line per request to --log: time, method, host, path, status.

usage: pac_server.py --dir DIR --addr ADDR --port 80 --log FILE --proxy-addr ADDR
"""
import argparse
import http.server
import os
import socketserver
import sys
import threading
import time

PAC_TYPE = "application/x-ns-proxy-autoconfig"


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "OfficeIntranet/1"
    protocol_version = "HTTP/1.1"
    directory = "."
    logfile = None
    proxy_addr = ""
    lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def _record(self, status):
        host = (self.headers.get("Host") or "-").split(":")[0].lower()
        path = self.path.split("?", 1)[0]
        line = "%s %s host=%s path=%s status=%s\n" % (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), self.command, host, path, status)
        with self.lock:
            with open(self.logfile, "a", encoding="utf-8") as f:
                f.write(line)

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
        self._record(status)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        name = path.lstrip("/")
        if name == "hang.pac":
            self._record("hang")
            time.sleep(60)
            return
        if name == "redirect.pac":
            self._send(302, extra=[("Location", "/office.pac")])
            return
        if "/" in name or name.startswith(".") or not (name.endswith(".pac") or name == "wpad.dat"):
            self._send(404, b"not found\n")
            return
        full = os.path.join(self.directory, name)
        if not os.path.isfile(full):
            self._send(404, b"not found\n")
            return
        with open(full, "rb") as f:
            body = f.read().replace(b"@PROXY@", self.proxy_addr.encode())
        self._send(200, body, PAC_TYPE)

    do_HEAD = do_GET


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--log", required=True)
    ap.add_argument("--proxy-addr", required=True)
    args = ap.parse_args()
    Handler.directory = args.dir
    Handler.logfile = args.log
    Handler.proxy_addr = args.proxy_addr
    server = Server((args.addr, args.port), Handler)
    print("pac server on %s:%d" % (args.addr, args.port), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
