#!/usr/bin/env python3
"""Smoke test of the Tayori test rig (Python 3 stdlib only). Run after tests/rig/start.sh.

Everything is verified with the *system* trust store (no --cacert), the way product code does it.
Prints one PASS/FAIL line per check and exits non-zero if any check failed.
"""
import base64
import hashlib
import html.parser
import http.cookiejar
import http.server
import imaplib
import json
import os
import random
import secrets
import smtplib
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from email.utils import make_msgid

HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.environ.get("TAYORI_RIG_STATE") or os.path.join(HERE, "..", "..", "target", "rig")


def load_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


ENV = load_env(os.path.join(STATE, "rig.env"))
ISSUER = ENV["RIG_ISSUER"]
HOST = ENV.get("RIG_HOST", "127.0.0.1")
ENFORCED = ENV.get("RIG_STARTTLS_ENFORCED_HOST", "127.0.0.2")
IMAPS, IMAP = int(ENV["RIG_IMAPS_PORT"]), int(ENV["RIG_IMAP_PORT"])
SUBMISSION = int(ENV["RIG_SUBMISSION_PORT"])
DNS_HOST, DNS_PORT = ENV["RIG_DNS"].rsplit(":", 1)
FIXTURE_ADDR = ENV.get("RIG_FIXTURE_ADDR", "127.0.0.10")
LOG_DIR = ENV["RIG_LOG_DIR"]

ALICE, ALICE_IDP_PW, ALICE_APP_PW = "alice@example.test", "alice-idp-secret", "alice-app-password"
BOB, BOB_IDP_PW, BOB_APP_PW = "bob@example.test", "bob-idp-secret", "bob-app-password"
CLIENT_ID = "tayori"
SCOPE = "openid email offline_access mail"

CTX = ssl.create_default_context()  # system trust store only
SECRETS = {ALICE_IDP_PW, BOB_IDP_PW, ALICE_APP_PW, BOB_APP_PW, "dovecot-introspection-secret"}
FAILED = []


def check(name, cond, detail=""):
    print(("PASS " if cond else "FAIL ") + name + (("  -- " + str(detail)) if detail and not cond else ""))
    if not cond:
        FAILED.append(name)
    return cond


def guarded(name):
    """Decorator: an exception inside a check group is a FAIL, not a crash."""
    def wrap(fn):
        def run(*a, **kw):
            try:
                return fn(*a, **kw)
            except Exception as e:  # noqa: BLE001 - report anything
                check(name, False, "%s: %s" % (type(e).__name__, e))
                return None
        return run
    return wrap


# ------------------------------------------------------------------------------------------ IMAP
@guarded("IMAPS app-password login")
def imap_app_password():
    m = imaplib.IMAP4_SSL(HOST, IMAPS, ssl_context=CTX)
    typ, _ = m.login(ALICE, ALICE_APP_PW)
    check("IMAPS 10993 LOGIN with app password", typ == "OK")
    typ, data = m.select("INBOX")
    check("IMAPS SELECT INBOX", typ == "OK", data)
    typ, caps = m.capability()
    caps = caps[0].decode().upper().split()
    want = ["IDLE", "CONDSTORE", "QRESYNC", "MOVE", "SPECIAL-USE", "UIDPLUS", "ENABLE"]
    missing = [c for c in want if c not in caps]
    check("IMAP CAPABILITY after login has " + " ".join(want), not missing, "missing %s" % missing)
    typ, lst = m.list()
    listing = b"\n".join(lst).decode()
    for flag, name in [("\\Sent", "Sent"), ("\\Drafts", "Drafts"), ("\\Trash", "Trash"),
                       ("\\Junk", "Junk"), ("\\Archive", "Archive")]:
        check("special-use folder %s %s" % (name, flag), flag in listing and name in listing, listing)
    typ, lsub = m.lsub()
    subscribed = b"\n".join(x for x in lsub if x).decode()
    check("special-use folders auto-subscribed",
          all(n in subscribed for n in ("Sent", "Drafts", "Trash", "Junk", "Archive")), subscribed)
    m.logout()


@guarded("STARTTLS enforcement on 127.0.0.2")
def imap_starttls_enforced():
    m = imaplib.IMAP4(ENFORCED, IMAP)
    caps = [c.upper() for c in m.capabilities]
    check("IMAP %s:%d advertises LOGINDISABLED before STARTTLS" % (ENFORCED, IMAP), "LOGINDISABLED" in caps, caps)
    check("IMAP %s:%d offers no AUTH= before STARTTLS" % (ENFORCED, IMAP),
          not any(c.startswith("AUTH=") for c in caps), caps)
    try:
        m.login(ALICE, ALICE_APP_PW)
        refused = False
    except imaplib.IMAP4.error:
        refused = True
    check("IMAP cleartext LOGIN refused before STARTTLS", refused)
    m.shutdown()
    m = imaplib.IMAP4(ENFORCED, IMAP)
    m.starttls(ssl_context=CTX)
    caps = [c.upper() for c in m.capabilities]
    check("after STARTTLS: AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER offered",
          all(x in caps for x in ("AUTH=PLAIN", "AUTH=XOAUTH2", "AUTH=OAUTHBEARER")), caps)
    typ, _ = m.login(ALICE, ALICE_APP_PW)
    check("IMAP login after STARTTLS", typ == "OK")
    m.logout()


def xoauth2(user, token):
    return "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)


def oauthbearer(user, token, port):
    return "n,a=%s,\x01host=%s\x01port=%d\x01auth=Bearer %s\x01\x01" % (user, HOST, port, token)


def imap_sasl(mech, user, token):
    """AUTHENTICATE over IMAPS. Returns (ok, error challenges seen, connection or None)."""
    seen = []

    def cb(challenge):
        if challenge:  # RFC 7628 error challenge; the client must answer with an empty response
            seen.append(challenge.decode(errors="replace"))
            return b""
        return (xoauth2(user, token) if mech == "XOAUTH2" else oauthbearer(user, token, IMAPS)).encode()

    m = imaplib.IMAP4_SSL(HOST, IMAPS, ssl_context=CTX)
    try:
        m.authenticate(mech, cb)
        return True, seen, m
    except imaplib.IMAP4.error:
        m.shutdown()
        return False, seen, None


# ------------------------------------------------------------------------------------------ OAuth
class Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self._cur = {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._cur = a.get("id") or a.get("action")
            self.forms[self._cur] = {"action": a.get("action"), "fields": {}}
        elif tag == "input" and self._cur and a.get("name"):
            self.forms[self._cur]["fields"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._cur = None


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def http_json(url, form=None, auth=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=10) as r:
            body = r.read()
            return r.status, (json.loads(body) if body else {})
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, {"_raw": body[:200].decode(errors="replace")}


def discovery():
    status, meta = http_json(ISSUER + "/.well-known/openid-configuration")
    assert status == 200, status
    return meta


def authorize(meta, user, password, client_id=CLIENT_ID, scope=SCOPE):
    """Authorization code + PKCE (S256), driven over plain HTTP like an embedded browser would,
    with an RFC 8252 loopback redirect on an ephemeral port. Never sends prompt=consent."""
    verifier = b64url(secrets.token_bytes(48))
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    state = b64url(secrets.token_bytes(16))
    result = {}

    class Catcher(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            result.update(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"You can close this window.")

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Catcher)
    t = threading.Thread(target=srv.handle_request, daemon=True)
    t.start()
    redirect_uri = "http://127.0.0.1:%d/callback" % srv.server_address[1]
    q = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri, "scope": scope,
         "state": state, "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": user}
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                         urllib.request.HTTPSHandler(context=CTX))
    r = opener.open(meta["authorization_endpoint"] + "?" + urllib.parse.urlencode(q), timeout=10)
    pages = []
    for _ in range(4):
        if result:
            break
        body = r.read().decode()
        p = Forms()
        p.feed(body)
        if "login" in p.forms:
            f = p.forms["login"]
            data = dict(f["fields"], username=user, password=password)
            pages.append("login")
        elif "consent" in p.forms:
            f = p.forms["consent"]
            data = f["fields"]
            pages.append("consent:" + body)
        else:
            raise RuntimeError("unexpected page at %s: %s" % (r.url.split("?")[0], body[:300]))
        r = opener.open(urllib.parse.urljoin(r.url, f["action"]), urllib.parse.urlencode(data).encode(), timeout=10)
    t.join(5)
    srv.server_close()
    return result, state, verifier, redirect_uri, pages


@guarded("OAuth code + PKCE flow")
def oauth_flow(meta):
    check("discovery: issuer is exactly %s" % ISSUER, meta.get("issuer") == ISSUER, meta.get("issuer"))
    check("discovery: authorization_response_iss_parameter_supported",
          meta.get("authorization_response_iss_parameter_supported") is True)
    for k in ("introspection_endpoint", "revocation_endpoint", "registration_endpoint"):
        check("discovery: %s advertised" % k, bool(meta.get(k)))
    check("discovery: PKCE S256", "S256" in meta.get("code_challenge_methods_supported", []))

    cb, state, verifier, redirect_uri, pages = authorize(meta, ALICE, ALICE_IDP_PW)
    consent = [p for p in pages if p.startswith("consent:")]
    check("login and consent forms were shown", "login" in pages and bool(consent), [p[:7] for p in pages])
    check("consent screen lists offline_access (no prompt=consent sent)",
          bool(consent) and "offline_access" in consent[0])
    check("callback carries a code", "code" in cb, sorted(cb))
    check("callback state matches", cb.get("state") == state)
    check("callback iss (RFC 9207) equals the issuer", cb.get("iss") == ISSUER, cb.get("iss"))
    status, tok = http_json(meta["token_endpoint"], {
        "grant_type": "authorization_code", "code": cb.get("code", ""), "redirect_uri": redirect_uri,
        "client_id": CLIENT_ID, "code_verifier": verifier})
    ok = check("code exchange with code_verifier", status == 200 and "access_token" in tok,
               "%s %s" % (status, tok.get("error")))
    if not ok:
        return None
    SECRETS.update(v for k, v in tok.items() if k in ("access_token", "refresh_token", "id_token"))
    check("token response has a refresh_token without prompt=consent", bool(tok.get("refresh_token")))
    check("token response: token_type Bearer, expires_in 3600",
          tok.get("token_type", "").lower() == "bearer" and tok.get("expires_in") == 3600,
          (tok.get("token_type"), tok.get("expires_in")))
    check("token response scope includes offline_access and mail",
          {"offline_access", "mail"} <= set(tok.get("scope", "").split()), tok.get("scope"))
    # introspection as the resource server (what Dovecot does)
    status, intro = http_json(meta["introspection_endpoint"], {"token": tok["access_token"]},
                              auth=("dovecot", "dovecot-introspection-secret"))
    check("introspection: active, email = alice", status == 200 and intro.get("active") is True
          and intro.get("email") == ALICE, intro)
    return tok


@guarded("IMAP bearer-token authentication")
def imap_oauth(tok):
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        ok, seen, m = imap_sasl(mech, ALICE, tok["access_token"])
        check("IMAP AUTHENTICATE %s with the access token" % mech, ok, seen)
        if m:
            typ, _ = m.select("INBOX")
            check("IMAP SELECT INBOX after %s" % mech, typ == "OK")
            m.logout()
    garbage = "garbage-" + secrets.token_urlsafe(24)
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        ok, seen, _ = imap_sasl(mech, ALICE, garbage)
        check("IMAP %s with a garbage token is refused" % mech, not ok)
        doc = {}
        try:
            doc = json.loads(seen[0]) if seen else {}
        except ValueError:
            pass
        want = ISSUER + "/.well-known/openid-configuration"
        check("IMAP %s failure sends the RFC 7628 JSON challenge naming openid-configuration" % mech,
              doc.get("openid-configuration") == want, seen)


@guarded("SMTP submission")
def smtp_send(tok):
    subject = "rig smoke " + uuid.uuid4().hex
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ALICE, BOB, subject
    msg["Message-ID"] = make_msgid(domain="example.test")
    msg.set_content("Hello Bob, this is the rig smoke test.\n")
    s = smtplib.SMTP(HOST, SUBMISSION, timeout=20)
    s.ehlo()
    check("submission 10587 offers STARTTLS", s.has_extn("starttls"))
    s.starttls(context=CTX)
    s.ehlo()
    auths = s.esmtp_features.get("auth", "").upper().split()
    check("submission after STARTTLS offers AUTH XOAUTH2", "XOAUTH2" in auths, auths)
    size = int(s.esmtp_features.get("size", "0") or 0)
    check("submission SIZE >= 50 MiB", size >= 50 * 1024 * 1024, size)
    sasl = xoauth2(ALICE, tok["access_token"])
    code, resp = s.auth("XOAUTH2", lambda challenge=None: sasl if challenge is None else "",
                        initial_response_ok=True)
    check("SMTP AUTH XOAUTH2 with the access token", code == 235, (code, resp))
    refused = s.send_message(msg)
    check("message to bob accepted", not refused, refused)
    s.quit()
    deadline = time.time() + 10
    found = False
    while time.time() < deadline and not found:
        m = imaplib.IMAP4_SSL(HOST, IMAPS, ssl_context=CTX)
        m.login(BOB, BOB_APP_PW)
        m.select("INBOX", readonly=True)
        typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
        found = typ == "OK" and bool(data[0].split())
        m.logout()
        if not found:
            time.sleep(0.3)
    check("message arrived in bob's INBOX (submission -> Postfix -> LMTP)", found)


@guarded("refresh and revocation")
def refresh_and_revoke(meta, tok):
    status, new = http_json(meta["token_endpoint"], {
        "grant_type": "refresh_token", "refresh_token": tok["refresh_token"], "client_id": CLIENT_ID})
    SECRETS.update(v for k, v in new.items() if k in ("access_token", "refresh_token", "id_token"))
    check("refresh_token grant returns a new access token", status == 200 and bool(new.get("access_token"))
          and new.get("access_token") != tok["access_token"], (status, new.get("error")))
    check("refresh token rotated (new one returned, differs from the old)",
          bool(new.get("refresh_token")) and new.get("refresh_token") != tok["refresh_token"])
    ok, _, m = imap_sasl("XOAUTH2", ALICE, new.get("access_token", ""))
    check("IMAP XOAUTH2 with the refreshed access token", ok)
    if m:
        m.logout()
    status, body = http_json(meta["revocation_endpoint"], {
        "token": new.get("refresh_token", ""), "token_type_hint": "refresh_token", "client_id": CLIENT_ID})
    check("revocation endpoint accepts the refresh token", status == 200, (status, body))
    status, after = http_json(meta["token_endpoint"], {
        "grant_type": "refresh_token", "refresh_token": new.get("refresh_token", ""), "client_id": CLIENT_ID})
    check("refresh with the revoked refresh token fails with invalid_grant",
          status == 400 and after.get("error") == "invalid_grant", (status, after))
    ok, _, m = imap_sasl("XOAUTH2", ALICE, new.get("access_token", ""))
    check("IMAP refuses the access token of the revoked grant", not ok)
    if m:
        m.logout()


@guarded("dynamic client registration")
def registration(meta):
    req = urllib.request.Request(meta["registration_endpoint"], json.dumps({
        "application_type": "native", "client_name": "smoke", "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://127.0.0.1/callback"], "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"]}).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=CTX, timeout=10) as r:
        body = json.load(r)
        status = r.status
    if body.get("registration_access_token"):
        SECRETS.add(body["registration_access_token"])
    check("RFC 7591 open registration of a native public client", status == 201 and bool(body.get("client_id"))
          and body.get("token_endpoint_auth_method") == "none", (status, body.get("error")))
    if body.get("client_id"):
        cb, state, verifier, redirect_uri, _ = authorize(meta, BOB, BOB_IDP_PW, client_id=body["client_id"])
        status, tok = http_json(meta["token_endpoint"], {
            "grant_type": "authorization_code", "code": cb.get("code", ""), "redirect_uri": redirect_uri,
            "client_id": body["client_id"], "code_verifier": verifier})
        SECRETS.update(v for k, v in tok.items() if k in ("access_token", "refresh_token", "id_token"))
        check("registered client gets access + refresh token", status == 200 and bool(tok.get("refresh_token")),
              (status, tok.get("error")))
        # RFC 6749 4.1.2: a reused code is refused and the tokens issued for it are revoked
        status, again = http_json(meta["token_endpoint"], {
            "grant_type": "authorization_code", "code": cb.get("code", ""), "redirect_uri": redirect_uri,
            "client_id": body["client_id"], "code_verifier": verifier})
        check("authorization code is single-use", status == 400 and again.get("error") == "invalid_grant", again)
        status, after = http_json(meta["token_endpoint"], {
            "grant_type": "refresh_token", "refresh_token": tok.get("refresh_token", ""),
            "client_id": body["client_id"]})
        check("code reuse revoked the grant (its refresh token is dead)",
              status == 400 and after.get("error") == "invalid_grant", (status, after))


# ------------------------------------------------------------------------------------------ DNS
def dns_query(name, qtype, tcp=False):
    tid = random.randrange(65536)
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.rstrip(".").split(".")) + b"\0"
    pkt = struct.pack(">HHHHHH", tid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", qtype, 1)
    addr = (DNS_HOST, int(DNS_PORT))
    if tcp:
        with socket.create_connection(addr, timeout=3) as s:
            s.sendall(struct.pack(">H", len(pkt)) + pkt)
            n = struct.unpack(">H", s.recv(2))[0]
            data = b""
            while len(data) < n:
                data += s.recv(n - len(data))
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(pkt, addr)
            data, _ = s.recvfrom(4096)
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", data[:12])
    assert rid == tid
    pos = 12
    for _ in range(qd):
        pos = _skip_name(data, pos) + 4
    answers = []
    for _ in range(an):
        pos = _skip_name(data, pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
        pos += 10
        rdata = data[pos:pos + rdlen]
        pos += rdlen
        if rtype == 1:
            answers.append(socket.inet_ntoa(rdata))
        elif rtype == 33:
            answers.append(struct.unpack(">HHH", rdata[:6]))
        else:
            answers.append((rtype, rdata))
    return flags & 0xF, answers


def _skip_name(data, pos):
    while True:
        n = data[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += n + 1


@guarded("DNS")
def dns_checks():
    rcode, ans = dns_query("mail.example.test", 1)
    check("DNS mail.example.test A 127.0.0.1 via %s:%s" % (DNS_HOST, DNS_PORT), rcode == 0 and ans == ["127.0.0.1"],
          (rcode, ans))
    rcode, ans = dns_query("mail.example.test", 1, tcp=True)
    check("DNS over TCP works", rcode == 0 and ans == ["127.0.0.1"], (rcode, ans))
    rcode, ans = dns_query("_imaps._tcp.example.test", 33)
    check("DNS SRV _imaps._tcp.example.test -> 10993", rcode == 0 and any(
        isinstance(a, tuple) and len(a) == 3 and a[2] == 10993 for a in ans), (rcode, ans))
    t0 = time.monotonic()
    rcode, ans = dns_query("no-such-host-%s.example.test" % uuid.uuid4().hex[:8], 1)
    dt = time.monotonic() - t0
    check("DNS unknown name -> NXDOMAIN quickly", rcode == 3 and not ans and dt < 1, (rcode, ans, dt))
    rcode, ans = dns_query("www.debian.org", 1)
    check("DNS never forwards: an Internet name -> NXDOMAIN", rcode == 3 and not ans, (rcode, ans))


# ------------------------------------------------------------------------------------------ HTTPS fixtures
def https_log_size():
    try:
        return os.path.getsize(os.path.join(LOG_DIR, "https.log"))
    except OSError:
        return 0


@guarded("HTTPS fixture server")
def https_fixture():
    host, path = "autoconfig.example.test", "/mail/config-v1.1.xml?emailaddress=" + urllib.parse.quote(ALICE)
    raw = socket.create_connection((FIXTURE_ADDR, 443), timeout=10)
    s = CTX.wrap_socket(raw, server_hostname=host)  # verifies the chain + name with the system store
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].decode()
    check("GET https://%s/mail/config-v1.1.xml -> 200" % host, " 200 " in status_line, status_line)
    check("fixture content type application/xml", b"content-type: application/xml" in head.lower())
    root = ET.fromstring(body)
    check("fixture is a Thunderbird clientConfig for example.test", root.tag == "clientConfig"
          and root.find("emailProvider/domain").text == "example.test")
    check("fixture oAuth2 authURL is the IdP's real authorization endpoint",
          root.find("oAuth2/authURL").text == discovery()["authorization_endpoint"])


def http_get_plain(host, path):
    with socket.create_connection((FIXTURE_ADDR, 80), timeout=10) as s:
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n")[0].decode()


@guarded("HTTP fixture server")
def http_fixture(log_offset):
    status = http_get_plain("autoconfig.example.test", "/mail/config-v1.1.xml")
    check("plain http://autoconfig.example.test/mail/config-v1.1.xml -> 200", " 200 " in status, status)
    status = http_get_plain("autoconfig.example.test", "/_nothing_here")
    check("unknown fixture path -> 404", " 404 " in status, status)
    with open(os.path.join(LOG_DIR, "https.log"), encoding="utf-8") as f:
        f.seek(log_offset)
        lines = f.read().splitlines()
    mine = [l for l in lines if "host=autoconfig.example.test path=/mail/config-v1.1.xml" in l]
    check("fixture log records requests without query string, with authorization=no cookie=no",
          bool(mine) and all("?" not in l and "authorization=no cookie=no" in l for l in mine), mine[-2:])


# ------------------------------------------------------------------------------------------ log hygiene
def log_hygiene():
    leaks = []
    for root, _, files in os.walk(LOG_DIR):
        for fn in files:
            p = os.path.join(root, fn)
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            for s in SECRETS:
                if s and s.encode() in data:
                    leaks.append((fn, s[:6] + "…"))
    check("no token, app password or IdP password in any log under %s (%d secrets checked)"
          % (LOG_DIR, len(SECRETS)), not leaks, leaks)


def main():
    imap_app_password()
    imap_starttls_enforced()
    meta = discovery()
    tok = oauth_flow(meta)
    if tok:
        imap_oauth(tok)
        smtp_send(tok)
        refresh_and_revoke(meta, tok)
    registration(meta)
    dns_checks()
    log_offset = https_log_size()
    https_fixture()
    http_fixture(log_offset)
    import smoke_providers  # the Entra ID and Google emulators
    smoke_providers.run(sys.modules[__name__])
    import smoke_graph  # the Exchange Online emulator: Graph's send path, the SMTP AUTH switch
    smoke_graph.run(sys.modules[__name__])
    time.sleep(0.3)  # let daemons flush their logs
    log_hygiene()
    print("%s: %d check(s) failed" % ("FAILED" if FAILED else "OK", len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
