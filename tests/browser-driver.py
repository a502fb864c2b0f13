#!/usr/bin/env python3
"""A stand-in for a person at a web browser, for end-to-end sign-in tests.

Tayori opens the sign-in page with `--browser "python3 tests/browser-driver.py USER PASSWORD"`; this
program then does what the person would: loads the page, fills in the provider's real login form,
types the authenticator code when asked (the rig's MFA step), passes Google's "unverified app"
warning, allows access on the consent page, and follows the provider's redirect to Tayori's
loopback listener. Python standard library only; TLS is checked against the system trust store;
host names resolve through the rig's DNS when TAYORI_DNS_SERVER is set (as Tayori's own do).

usage: browser-driver.py USER PASSWORD [--report FILE] [--hostile-neighbour N] URL

With --report, the driver writes one line saying how it ended, for tests that must tell a refusal by
the provider apart from any other failure: `redirected` (the provider sent the browser back to
Tayori), `refused <HTTP status>: <the login form's message>` (the provider showed its login form
again with an error after the password was typed), or `failed: <why>`.

With --hostile-neighbour N, another local program plays with Tayori's loopback listener first, as
any process on the machine can: it opens N connections that send nothing and stay open, and sends
one forged redirect (wrong state, a made-up code), before the person signs in.

Environment (all optional):
  BROWSER_DRIVER_MFA_CODE        the code to type on an MFA page (default 123456, the rig's)
  BROWSER_DRIVER_ADMIN_APPROVAL  on Entra's "Need admin approval" page: "return" presses "Return
                                 to the application without granting consent", "request" asks an
                                 admin (workflow on); unset: stop there, as a person would
  BROWSER_DRIVER_DECLINE         "1": press Cancel on the consent page
  BROWSER_DRIVER_PAGE_OUT        a file: the last page seen (Tayori's loopback answer, or the page
                                 the driver stopped at) is written there, for tests to read
  BROWSER_DRIVER_URL_OUT         a file: the loopback URL the provider sent the browser to (with
                                 its parameters) is written there — also when nothing listens
                                 there (an admin-consent answer to http://localhost/)
  BROWSER_DRIVER_USER_CODE       a device-login page (RFC 8628): the code to enter

With URL "-" the driver reads the address from its first line of standard input (a person who is
told an address and a code, as in the device flow).

TAYORI_TEST_BROWSER_PROXY=http://HOST:PORT (optional) is the proxy the person's browser is set to
use, as in an office where the web is reachable only through it (tests/proxy*.rs). The browser's
redirect to Tayori's own loopback listener never goes through it: browsers send loopback
connections directly.
"""
import html.parser
import http.cookiejar
import os
import re
import socket
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request

LOOPBACK = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:", "http://127.0.0.1/", "http://localhost/")


class Loopback(urllib.request.HTTPRedirectHandler):
    """Remembers the redirect into a loopback address (the app's listener)."""

    reached = None

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if newurl.startswith(LOOPBACK):
            Loopback.reached = newurl
            out = os.environ.get("BROWSER_DRIVER_URL_OUT")
            if out:
                with open(out + ".part", "w", encoding="utf-8") as f:
                    f.write(newurl)
                os.replace(out + ".part", out)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Forms(html.parser.HTMLParser):
    """Forms by id with their fields (repeated names kept, unchecked boxes left out); element ids."""

    def __init__(self):
        super().__init__()
        self.forms, self.ids, self._current = {}, set(), None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "form":
            self._current = attrs.get("id") or attrs.get("action")
            self.forms[self._current] = {"action": attrs.get("action"), "fields": []}
        elif tag in ("input", "textarea") and self._current and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[self._current]["fields"].append((attrs["name"], attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def rig_resolver(server):
    """getaddrinfo through a DNS server "IP:PORT" (A records over UDP), for names it knows."""
    host, port = server.rsplit(":", 1)
    original = socket.getaddrinfo

    def query(name):
        tid = os.getpid() & 0xFFFF
        qname = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
        packet = struct.pack(">HHHHHH", tid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(packet, (host, int(port)))
            data, _ = s.recvfrom(4096)
        _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", data[:12])
        pos = 12
        for _ in range(qd):
            while data[pos]:
                pos += data[pos] + 1 if data[pos] < 0xC0 else 1
            pos += 5
        for _ in range(an):
            pos += 2 if data[pos] >= 0xC0 else len(qname)
            rtype, _, _, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
            pos += 10
            if rtype == 1:
                return socket.inet_ntoa(data[pos:pos + rdlen])
            pos += rdlen
        return None

    def getaddrinfo(name, *args, **kwargs):
        if isinstance(name, str) and name != "localhost" and not name.replace(".", "").isdigit() and ":" not in name:
            address = query(name)
            if address:
                name = address
        return original(name, *args, **kwargs)

    return getaddrinfo


def write_page(body):
    out = os.environ.get("BROWSER_DRIVER_PAGE_OUT")
    if out:
        # Written beside it and renamed: a test waiting for the file never reads half a page.
        with open(out + ".part", "w", encoding="utf-8") as f:
            f.write(body)
        os.replace(out + ".part", out)


def report(path, line):
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.write(line + "\n")


def main():
    args = sys.argv[1:]
    report_path = None
    if "--report" in args:
        at = args.index("--report")
        report_path = args[at + 1]
        del args[at:at + 2]
    neighbours = 0
    if "--hostile-neighbour" in args:
        at = args.index("--hostile-neighbour")
        neighbours = int(args[at + 1])
        del args[at:at + 2]
    user, password, url = args[0], args[1], args[2]
    if url == "-":
        url = sys.stdin.readline().strip()
    held = hostile_neighbour(url, neighbours) if neighbours else []
    try:
        outcome = sign_in(user, password, url)
    except Exception as error:  # noqa: BLE001 - any other ending is reported as a failure
        outcome = "failed: %s" % error
    report(report_path, outcome)
    for connection in held:
        connection.close()
    return 0 if outcome == "redirected" else 1


def hostile_neighbour(url, count):
    """Connections to the loopback listener that say nothing, and one forged redirect."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    redirect = urllib.parse.urlsplit(query["redirect_uri"][0])
    address = (redirect.hostname, redirect.port)
    held = []
    for _ in range(count):
        held.append(socket.create_connection(address, timeout=5))
    forged = socket.create_connection(address, timeout=5)
    forged.sendall(b"GET /?code=forged-code&state=forged-state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    held.append(forged)
    return held


def sign_in(user, password, url):
    """Signs in as a person would; says how it ended: redirected, refused …, failed: …"""
    if os.environ.get("TAYORI_DNS_SERVER"):
        socket.getaddrinfo = rig_resolver(os.environ["TAYORI_DNS_SERVER"])
    handlers = [urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), Loopback]
    proxy = os.environ.get("TAYORI_TEST_BROWSER_PROXY")
    if proxy:
        # Only the browser's own proxy, not the environment's; Tayori's listener (the origin of
        # redirect_uri) is reached directly.
        for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            os.environ.pop(name, None)
        redirect = urllib.parse.urlsplit(
            dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)).get("redirect_uri", ""))
        os.environ["no_proxy"] = redirect.netloc
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
    opener = urllib.request.build_opener(*handlers)
    admin_approval = os.environ.get("BROWSER_DRIVER_ADMIN_APPROVAL", "")

    def visit(target, data=None):
        try:
            # A browser waits minutes for a page; Tayori answers its loopback request only once the
            # account is verified and saved, which takes a while on a busy machine.
            return opener.open(target, data, timeout=90)
        except urllib.error.HTTPError as e:
            return e  # the provider's error page (e.g. a refused redirect URI) is still a page
        except urllib.error.URLError:
            if Loopback.reached:
                return None  # nothing listens at the loopback address: the answer was recorded
            raise

    page = visit(url)
    if page is None:
        return "redirected"
    body = ""
    name = None
    for _ in range(10):
        body = page.read().decode("utf-8", "replace")
        if page.url.startswith(LOOPBACK):
            write_page(body)
            return "redirected"  # the redirect reached Tayori
        forms = Forms()
        forms.feed(body)
        fields = {}
        if "device-success" in forms.ids:
            write_page(body)
            return "redirected"  # the device flow's "you have signed in" page
        if name == "login" and "login" in forms.forms:
            # The provider showed its login form again after the password: it refused it.
            write_page(body)
            message = re.search(r'id="error"[^>]*>([^<]*)<', body)
            return "refused %d: %s" % (getattr(page, "code", 200), message.group(1) if message else "")
        if "usercode" in forms.forms:
            name, fields = "usercode", {"user_code": os.environ.get("BROWSER_DRIVER_USER_CODE", "")}
        elif "device-confirm" in forms.forms:
            name = "device-confirm"
        elif "login" in forms.forms:
            name, fields = "login", {"username": user, "password": password}
        elif "mfa" in forms.forms:
            name, fields = "mfa", {"otc": os.environ.get("BROWSER_DRIVER_MFA_CODE", "123456")}
        elif "continue" in forms.forms:
            name = "continue"  # Google's "unverified app" warning
        elif "consent" in forms.forms:
            name = "abort" if os.environ.get("BROWSER_DRIVER_DECLINE") == "1" else "consent"
        elif admin_approval == "return" and "return-without-consent" in forms.forms:
            name = "return-without-consent"
        elif admin_approval == "request" and "request-approval" in forms.forms:
            name, fields = "request-approval", {"justification": "needed for mail"}
        else:
            write_page(body)
            stop = sorted(forms.ids) or ["(no ids)"]
            print("browser-driver: stopped at %s (%s)" % (page.url.split("?")[0], ", ".join(stop)), file=sys.stderr)
            return "failed: stopped at %s (%s)" % (page.url.split("?")[0], ", ".join(stop))
        form = forms.forms[name]
        data = [(k, v) for k, v in form["fields"] if k not in fields] + list(fields.items())
        action = urllib.parse.urljoin(page.url, form["action"])
        page = visit(action, urllib.parse.urlencode(data).encode())
        if page is None:
            return "redirected"
    if page.url.startswith(LOOPBACK):
        write_page(page.read().decode("utf-8", "replace"))
        return "redirected"
    write_page(body)
    return "failed: no redirect"


if __name__ == "__main__":
    sys.exit(main())
