"""mitmproxy addon for the office's TLS-inspecting proxy: one log line per request and per TLS
handshake, without query strings, bodies or headers (no OAuth code, token or password reaches the
log).

Lines (to the file named by the TAYORI_MITM_LOG environment variable):
  <time> request <METHOD> <host>:<port><path> status=<status>
  <time> tls-client-failed <host> reason=<text>     (the client refused the re-signed certificate)
"""
import os
import time

from mitmproxy import http, tls

LOG = os.environ.get("TAYORI_MITM_LOG", "mitm-requests.log")


def _write(line):
    with open(LOG, "a", encoding="utf-8") as f:
        f.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), line))


class OfficeLog:
    def response(self, flow: http.HTTPFlow):
        req = flow.request
        _write("request %s %s:%d%s status=%d" % (
            req.method, req.pretty_host, req.port, req.path.split("?", 1)[0], flow.response.status_code))

    def error(self, flow: http.HTTPFlow):
        req = flow.request
        _write("request %s %s:%d%s error=%s" % (
            req.method, req.pretty_host, req.port, req.path.split("?", 1)[0],
            str(flow.error).replace("\n", " ")))

    def tls_failed_client(self, data: tls.TlsData):
        sni = data.context.client.sni or "-"
        _write("tls-client-failed %s reason=%s" % (sni, str(data.conn.error).replace("\n", " ")))


addons = [OfficeLog()]
