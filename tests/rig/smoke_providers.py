"""Smoke checks of the provider emulators (Entra ID and Google), called by smoke.py.

Everything is plain HTTP(S) against the emulators under the providers' own host names, resolved
through the rig's DNS (as an admin-configured resolver would) and verified with the system trust
store. Each check exercises one documented behaviour; tests/rig/README.md names the source.

The smoke test uses its own people (Entra: the Northwind tenant, pat@fabrikam.test,
t08@outlook.com; Google: t09, t10, t12@gmail.com, kenji@workspace.test) so that it never changes
what the project's tests rely on, and puts back every rule it sets.
"""
import base64
import hashlib
import html.parser
import http.cookiejar
import imaplib
import json
import secrets
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

S = None  # the smoke module (check, guarded, CTX, SECRETS, dns_query, ENV)

ENTRA = "https://login.microsoftonline.com"
TAYORI = "7a3e0000-0000-4000-8000-00000000a001"
TAYORI_LOCALHOST_ONLY = "7a3e0000-0000-4000-8000-00000000a002"
TAYORI_NO_PUBLIC_FLOWS = "7a3e0000-0000-4000-8000-00000000a003"
CONTOSO_APP = "c0c00000-0000-4000-8000-00000000a004"
FABRIKAM = "aaaabbbb-0000-4fab-8000-000000000002"
NORTHWIND = "aaaabbbb-0000-4a0a-8000-000000000003"
CONSUMERS = "9188040d-6c67-4c5b-b112-36a304b66dad"
MS_SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access"
GOOGLE_CLIENT = "406000000001-tayoririgdesktop.apps.googleusercontent.com"
GOOGLE_SECRET = "GOCSPX-rig-desktop-not-a-secret"
GOOGLE_TESTING = "406000000002-tayoririgtesting.apps.googleusercontent.com"
GOOGLE_TESTING_SECRET = "GOCSPX-rig-testing-not-a-secret"
GOOGLE_TV = "406000000003-tayoririgtv.apps.googleusercontent.com"
MAIL = "https://mail.google.com/"


def entra_pw(upn):
    password = upn.split("@")[0] + "-entra-secret"
    S.SECRETS.add(password)  # log hygiene: no password may reach a log
    return password


def google_pw(email):
    password = email.split("@")[0] + "-google-secret"
    S.SECRETS.add(password)
    return password


# ------------------------------------------------------------------------------- name resolution
_getaddrinfo = socket.getaddrinfo


def _rig_getaddrinfo(host, port, *args, **kwargs):
    """Names resolve through the rig's DNS server (like Tayori's configured resolver)."""
    if isinstance(host, bytes):
        host = host.decode()
    if host and host != "localhost" and not host.replace(".", "").isdigit() and ":" not in host:
        rcode, answers = S.dns_query(host, 1)
        ips = [a for a in answers if isinstance(a, str)]
        if not ips:
            raise socket.gaierror(socket.EAI_NONAME, "rig DNS: %s: rcode %d" % (host, rcode))
        host = ips[0]
    return _getaddrinfo(host, port, *args, **kwargs)


# ------------------------------------------------------------------------------- a small browser
class Forms(html.parser.HTMLParser):
    """Forms by id, with every field (repeated names kept; unchecked boxes left out)."""

    def __init__(self):
        super().__init__()
        self.forms, self._cur, self.ids = {}, None, set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "form":
            self._cur = a.get("id") or a.get("action")
            self.forms[self._cur] = {"action": a.get("action"), "fields": []}
        elif tag in ("input", "textarea") and self._cur and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.forms[self._cur]["fields"].append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._cur = None


class Page:
    def __init__(self, status, url, body):
        self.status, self.url, self.body = status, url, body
        p = Forms()
        p.feed(body)
        self.forms, self.ids = p.forms, p.ids

    def loopback(self):
        """The parameters the provider sent back to the app's loopback redirect, or None."""
        u = urllib.parse.urlsplit(self.url)
        if u.scheme == "http" and u.hostname in ("127.0.0.1", "localhost", "::1"):
            return dict(urllib.parse.parse_qsl(u.query))
        return None


class Browser:
    """Follows redirects like a browser, except into the app's loopback listener (captured)."""

    def __init__(self):
        self.caught = None
        outer = self

        class Redirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):
                u = urllib.parse.urlsplit(newurl)
                if u.scheme == "http" and u.hostname in ("127.0.0.1", "localhost", "::1"):
                    outer.caught = newurl
                    return None
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            urllib.request.HTTPSHandler(context=S.CTX), Redirects)

    def open(self, url, data=None):
        self.caught = None
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=15) as r:
                return Page(r.status, r.url, r.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as e:
            if self.caught:
                return Page(e.code, self.caught, "")
            return Page(e.code, url, e.read().decode("utf-8", "replace"))

    def submit(self, page, form_id, **fields):
        form = page.forms[form_id]
        data = [(k, v) for k, v in form["fields"] if k not in fields]
        for k, v in fields.items():
            data.extend((k, x) for x in (v if isinstance(v, list) else [v]))
        return self.open(urllib.parse.urljoin(page.url, form["action"]), data)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pkce():
    verifier = b64url(secrets.token_bytes(48))
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


def post_json(url, form, headers=None):
    req = urllib.request.Request(url, urllib.parse.urlencode(form).encode(), headers or {})
    try:
        with urllib.request.urlopen(req, context=S.CTX, timeout=15) as r:
            body = r.read()
            return r.status, json.loads(body) if body else {}
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, {"_raw": body[:200].decode(errors="replace")}


def get_json(url):
    with urllib.request.urlopen(url, context=S.CTX, timeout=15) as r:
        return json.load(r)


def admin(base, method, path, body=None):
    req = urllib.request.Request(base + path, json.dumps(body).encode() if body is not None else None,
                                 {"Content-Type": "application/json"}, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def keep(tok):
    S.SECRETS.update(v for k, v in tok.items() if k in ("access_token", "refresh_token", "id_token") and v)
    return tok


def jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def imap_xoauth2(host, port, user, token):
    m = imaplib.IMAP4_SSL(host, port, ssl_context=S.CTX)
    seen = []

    def cb(challenge):
        if challenge:
            seen.append(challenge)
            return b""
        return ("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()

    try:
        m.authenticate("XOAUTH2", cb)
        m.select("INBOX")
        m.logout()
        return True
    except imaplib.IMAP4.error:
        m.shutdown()
        return False


# ------------------------------------------------------------------------------- Entra helpers
def entra_authorize(user, password, *, seg="common", client=TAYORI, scope=MS_SCOPE, redirect=None,
                    prompt=None, accept=True, browser=None, until=None):
    """Drives Entra's sign-in pages. Returns (browser, final page, verifier, redirect_uri, state)."""
    browser = browser or Browser()
    verifier, challenge = pkce()
    state = b64url(secrets.token_bytes(12))
    redirect = redirect or "http://127.0.0.1:%d/" % (20000 + secrets.randbelow(30000))
    q = {"client_id": client, "response_type": "code", "redirect_uri": redirect, "scope": scope,
         "state": state, "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": user}
    if prompt:
        q["prompt"] = prompt
    page = browser.open("%s/%s/oauth2/v2.0/authorize?%s" % (ENTRA, seg, urllib.parse.urlencode(q)))
    for _ in range(6):
        if page.loopback() is not None or (until and until in page.ids):
            break
        if "login" in page.forms:
            page = browser.submit(page, "login", username=user, password=password)
        elif "mfa" in page.forms:
            page = browser.submit(page, "mfa", otc="123456")
        elif "consent" in page.forms and accept:
            page = browser.submit(page, "consent")
        else:
            break
    return browser, page, verifier, redirect, state


def entra_token(seg, form):
    return post_json("%s/%s/oauth2/v2.0/token" % (ENTRA, seg), form)


def entra_code_exchange(seg, page, verifier, redirect, client=TAYORI):
    cb = page.loopback() or {}
    return entra_token(seg, {"grant_type": "authorization_code", "client_id": client, "code": cb.get("code", ""),
                             "redirect_uri": redirect, "code_verifier": verifier})


def aadsts(body):
    return str(body.get("error_description", "")).split(":")[0]


# ------------------------------------------------------------------------------- Entra checks
def entra_metadata():
    check = S.check
    common = get_json(ENTRA + "/common/v2.0/.well-known/openid-configuration")
    check("Entra: /common metadata issuer is the {tenantid} template",
          common.get("issuer") == ENTRA + "/{tenantid}/v2.0", common.get("issuer"))
    check("Entra: /common endpoints at Entra's paths",
          common.get("authorization_endpoint") == ENTRA + "/common/oauth2/v2.0/authorize"
          and common.get("token_endpoint") == ENTRA + "/common/oauth2/v2.0/token"
          and common.get("device_authorization_endpoint") == ENTRA + "/common/oauth2/v2.0/devicecode", common)
    check("Entra: no registration, introspection, revocation, PKCE or RFC 9207 fields in the metadata",
          not any(k in common for k in ("registration_endpoint", "introspection_endpoint", "revocation_endpoint",
                                        "code_challenge_methods_supported",
                                        "authorization_response_iss_parameter_supported")), sorted(common))
    orgs = get_json(ENTRA + "/organizations/v2.0/.well-known/openid-configuration")
    check("Entra: /organizations metadata issuer is the {tenantid} template",
          orgs.get("issuer") == ENTRA + "/{tenantid}/v2.0", orgs.get("issuer"))
    by_domain = get_json(ENTRA + "/northwind.test/v2.0/.well-known/openid-configuration")
    check("Entra: a tenant named by domain answers with its tenant issuer and id-based endpoints",
          by_domain.get("issuer") == "%s/%s/v2.0" % (ENTRA, NORTHWIND)
          and by_domain.get("token_endpoint") == "%s/%s/oauth2/v2.0/token" % (ENTRA, NORTHWIND), by_domain)
    consumers = get_json(ENTRA + "/consumers/v2.0/.well-known/openid-configuration")
    check("Entra: /consumers issuer is the personal-account tenant",
          consumers.get("issuer") == "%s/%s/v2.0" % (ENTRA, CONSUMERS), consumers.get("issuer"))
    page = Browser().open(ENTRA + "/no-such-tenant.test/v2.0/.well-known/openid-configuration")
    check("Entra: an unknown tenant answers AADSTS90002", page.status == 400 and "AADSTS90002" in page.body,
          page.status)
    for path in ("/common/oauth2/v2.0/register", "/reg", "/common/oauth2/v2.0/revoke", "/token/introspection"):
        st, body = post_json(ENTRA + path, {"client_name": "x", "application_type": "native"})
        check("Entra: no dynamic registration / revocation / introspection at %s" % path,
              st in (400, 404) and "client_id" not in body, st)


def entra_redirects():
    check = S.check
    q = {"client_id": TAYORI, "response_type": "code", "scope": MS_SCOPE, "state": "s",
         "code_challenge": pkce()[1], "code_challenge_method": "S256"}

    def first_page(client, redirect):
        return Browser().open("%s/common/oauth2/v2.0/authorize?%s" % (
            ENTRA, urllib.parse.urlencode(dict(q, client_id=client, redirect_uri=redirect))))

    for redirect in ("http://127.0.0.1:49152/", "http://127.0.0.1:61000", "http://localhost:50505/",
                     "http://localhost:50506"):
        page = first_page(TAYORI, redirect)
        check("Entra: registered http://127.0.0.1 / http://localhost match %s (port ignored)" % redirect,
              "login" in page.forms, (page.status, page.body[:200]))
    for redirect in ("http://[::1]:50000/", "http://127.0.0.1:50000/callback", "http://127.0.0.2:50000/"):
        page = first_page(TAYORI, redirect)
        check("Entra: %s is refused with AADSTS50011 (no redirect)" % redirect,
              page.status == 400 and "AADSTS50011" in page.body and page.loopback() is None, page.status)
    page = first_page(TAYORI_LOCALHOST_ONLY, "http://127.0.0.1:50000/")
    check("Entra: an app registered with http://localhost only refuses http://127.0.0.1 (AADSTS50011)",
          page.status == 400 and "AADSTS50011" in page.body, page.status)
    page = first_page("00000000-1111-4222-8333-444444444444", "http://127.0.0.1:50000/")
    check("Entra: an unknown client id answers AADSTS700016", page.status == 400 and "AADSTS700016" in page.body,
          page.status)
    page = first_page(CONTOSO_APP, "http://127.0.0.1:50000/")
    check("Entra: a single-tenant app at /common answers AADSTS50194",
          page.status == 400 and "AADSTS50194" in page.body, page.status)
    page = Browser().open("%s/common/oauth2/v2.0/authorize?%s" % (ENTRA, urllib.parse.urlencode(dict(
        q, redirect_uri="http://127.0.0.1:50000/", scope="https://outlook.office.com/.default offline_access "
        "https://outlook.office.com/SMTP.Send"))))
    cb = page.loopback() or {}
    check("Entra: .default mixed with resource scopes is refused (invalid_scope, AADSTS70011) at the redirect",
          cb.get("error") == "invalid_scope" and "AADSTS70011" in cb.get("error_description", ""), cb)


def entra_user_consent_flow():
    """fabrikam.test lets users consent: consent page, code, tokens, IMAP/SMTP, silent second time."""
    check = S.check
    user = "pat@fabrikam.test"
    admin(S.ENV["RIG_ENTRA_ADMIN"], "DELETE", "/users/%s/grants" % user)
    b, page, verifier, redirect, state = entra_authorize(user, entra_pw(user), scope=MS_SCOPE + " openid profile",
                                                         accept=False)
    check("Entra: a tenant that allows user consent shows the consent page", "consent" in page.forms, page.ids)
    page = b.submit(page, "consent")
    cb = page.loopback() or {}
    check("Entra: the redirect carries code and state, no iss (Entra sends none), and session_state",
          cb.get("code") and cb.get("state") == state and "iss" not in cb and "session_state" in cb, sorted(cb))
    check("Entra: the redirect keeps the app's port and trailing slash", page.url.startswith(redirect), page.url)
    status, tok = entra_code_exchange("common", page, verifier, redirect)
    keep(tok)
    check("Entra: code + PKCE at /common/oauth2/v2.0/token gives access, refresh and ID tokens",
          status == 200 and tok.get("access_token") and tok.get("refresh_token") and tok.get("id_token"),
          (status, tok.get("error")))
    check("Entra: token scope lists the Exchange scopes, not offline_access",
          "https://outlook.office.com/IMAP.AccessAsUser.All" in tok.get("scope", "")
          and "offline_access" not in tok.get("scope", "").split(), tok.get("scope"))
    claims = jwt_payload(tok.get("id_token", "e30.e30"))
    check("Entra: the ID token names the tenant (iss https://login.microsoftonline.com/<tid>/v2.0, tid)",
          claims.get("iss") == "%s/%s/v2.0" % (ENTRA, FABRIKAM) and claims.get("tid") == FABRIKAM, claims)
    if tok.get("access_token"):
        check("Entra token: IMAP XOAUTH2 at outlook.office365.com:993 (Dovecot)",
              imap_xoauth2("outlook.office365.com", 993, user, tok["access_token"]))
        s = smtplib.SMTP("smtp.office365.com", 587, timeout=20)
        s.starttls(context=S.CTX)
        code, _ = s.docmd("AUTH", "XOAUTH2 " + base64.b64encode(
            ("user=%s\x01auth=Bearer %s\x01\x01" % (user, tok["access_token"])).encode()).decode())
        s.quit()
        check("Entra token: SMTP AUTH XOAUTH2 at smtp.office365.com:587 (Dovecot submission)", code == 235, code)
    # rotation: every refresh returns a new refresh token; the old one keeps working (Entra)
    st, new = entra_token(FABRIKAM, {"grant_type": "refresh_token", "client_id": TAYORI,
                                     "refresh_token": tok.get("refresh_token", "")})
    keep(new)
    check("Entra: a refresh token from /common refreshes at the tenant's own path",
          st == 200 and new.get("access_token"), (st, new.get("error")))
    check("Entra: refresh tokens rotate (a new one every time)",
          new.get("refresh_token") and new.get("refresh_token") != tok.get("refresh_token"))
    st, again = entra_token("common", {"grant_type": "refresh_token", "client_id": TAYORI,
                                       "refresh_token": tok.get("refresh_token", "")})
    keep(again)
    check("Entra: the previous refresh token still works after rotation", st == 200, (st, again.get("error")))
    st, body = entra_token("common", {"grant_type": "authorization_code", "client_id": TAYORI,
                                      "code": (page.loopback() or {}).get("code", ""), "redirect_uri": redirect,
                                      "code_verifier": verifier})
    check("Entra: a redeemed code answers invalid_grant AADSTS54005",
          st == 400 and body.get("error") == "invalid_grant" and aadsts(body) == "AADSTS54005", body)
    st, body = entra_token("common", {"grant_type": "refresh_token", "client_id": TAYORI, "refresh_token": "garbage"})
    check("Entra: errors carry error_codes, trace_id, correlation_id, timestamp",
          st == 400 and body.get("error_codes") and body.get("trace_id") and body.get("correlation_id")
          and "\r\nTrace ID: " in body.get("error_description", ""), body)
    # the second sign-in needs no consent
    b2, page2, verifier2, redirect2, _ = entra_authorize(user, entra_pw(user), seg=FABRIKAM, accept=False)
    check("Entra: once consented, the next sign-in shows no consent page", page2.loopback() is not None
          and "code" in page2.loopback(), page2.ids)
    st, body = entra_code_exchange("common", page2, verifier2, redirect2)
    check("Entra: a code from the tenant path is refused at /common (AADSTS700005)",
          st == 400 and aadsts(body) == "AADSTS700005", body)


def entra_admin_consent():
    """northwind.test: users may not consent to IMAP; the admin grants it at /adminconsent."""
    check = S.check
    base = S.ENV["RIG_ENTRA_ADMIN"]
    admin(base, "DELETE", "/tenants/northwind.test/grants/" + TAYORI)
    user = "nancy@northwind.test"
    b, page, verifier, redirect, state = entra_authorize(user, entra_pw(user), until="need-admin-approval")
    check("Entra: an unconsented app under Microsoft-managed consent shows 'Need admin approval' (AADSTS90094)",
          "need-admin-approval" in page.ids and "AADSTS90094" in page.body, page.ids)
    page = b.submit(page, "return-without-consent")
    cb = page.loopback() or {}
    check("Entra: 'Return to the application' answers consent_required with AADSTS65001 in error_description",
          cb.get("error") == "consent_required" and "AADSTS65001" in cb.get("error_description", "")
          and cb.get("state") == state, cb)
    consent_url = "%s/northwind.test/v2.0/adminconsent?%s" % (ENTRA, urllib.parse.urlencode({
        "client_id": TAYORI, "scope": MS_SCOPE, "redirect_uri": "http://localhost/", "state": "adm1"}))
    nb = Browser()
    page = nb.open(consent_url)
    page = nb.submit(page, "login", username=user, password=entra_pw(user)) if "login" in page.forms else page
    check("Entra: /adminconsent refuses a non-admin", "need-admin-approval" in page.ids, page.ids)
    ab = Browser()
    page = ab.open(consent_url)
    page = ab.submit(page, "login", username="admin@northwind.test", password=entra_pw("admin@northwind.test"))
    check("Entra: /adminconsent shows the admin the permissions for the organization",
          "consent" in page.forms and "IMAP.AccessAsUser.All" in page.body, page.ids)
    page = ab.submit(page, "consent")
    cb = page.loopback() or {}
    check("Entra: /adminconsent answers admin_consent=True, tenant=<tid>, scope, state",
          cb.get("admin_consent") == "True" and cb.get("tenant") == NORTHWIND and cb.get("state") == "adm1"
          and "https://outlook.office.com/IMAP.AccessAsUser.All" in cb.get("scope", ""), cb)
    grants = admin(base, "GET", "/state")["tenants"][NORTHWIND]["admin_grants"]
    check("Entra: the admin's grant is recorded for the tenant", TAYORI in grants, sorted(grants))
    b, page, verifier, redirect, _ = entra_authorize(user, entra_pw(user), accept=False)
    check("Entra: after admin consent the user signs in with no consent page",
          page.loopback() is not None and "code" in page.loopback(), page.ids)
    tok = keep(entra_code_exchange("common", page, verifier, redirect)[1])
    check("Entra: ... and gets a refresh token (offline_access, no prompt=consent)", bool(tok.get("refresh_token")),
          tok.get("error"))
    if tok.get("access_token"):
        check("Entra token (admin-consented): IMAP XOAUTH2", imap_xoauth2("outlook.office365.com", 993, user,
                                                                          tok["access_token"]))
        check("Entra token: a member opens the shared mailbox (XOAUTH2 user=sales@northwind.test, own token)",
              imap_xoauth2("outlook.office365.com", 993, "sales@northwind.test", tok["access_token"]))
    b, page, _, _, _ = entra_authorize(user, entra_pw(user), prompt="consent", until="need-admin-approval")
    check("Entra: prompt=consent sends the user to 'Need admin approval' despite the admin's grant",
          "need-admin-approval" in page.ids, page.ids)
    # consent withdrawn: the next refresh answers AADSTS65001
    admin(base, "DELETE", "/tenants/northwind.test/grants/" + TAYORI)
    st, body = entra_token("common", {"grant_type": "refresh_token", "client_id": TAYORI,
                                      "refresh_token": tok.get("refresh_token", "")})
    check("Entra: after the admin grant is removed, a refresh answers invalid_grant AADSTS65001",
          st == 400 and body.get("error") == "invalid_grant" and aadsts(body) == "AADSTS65001", body)
    # the older /{tenant}/adminconsent?client_id=… grants the registered permissions
    ab = Browser()
    page = ab.open("%s/%s/adminconsent?client_id=%s" % (ENTRA, NORTHWIND, TAYORI))
    page = ab.submit(page, "login", username="admin@northwind.test", password=entra_pw("admin@northwind.test"))
    page = ab.submit(page, "consent")
    cb = page.loopback() or {}
    grants = admin(base, "GET", "/state")["tenants"][NORTHWIND]["admin_grants"]
    check("Entra: /{tenant}/adminconsent?client_id= alone grants the registered permissions, answers at the "
          "first registered redirect URI",
          cb.get("admin_consent") == "True" and page.url.startswith("http://localhost/")
          and "https://outlook.office.com/IMAP.AccessAsUser.All" in grants.get(TAYORI, {}).get("scopes", []),
          (page.url, grants.get(TAYORI)))
    admin(base, "DELETE", "/tenants/northwind.test/grants/" + TAYORI)
    # the other wording of the refusal, and the admin consent workflow
    admin(base, "PUT", "/tenants/northwind.test/settings", {"consent_return_error": "65004"})
    b, page, _, _, _ = entra_authorize(user, entra_pw(user), until="need-admin-approval")
    page = b.submit(page, "return-without-consent")
    cb = page.loopback() or {}
    check("Entra: consent_return_error 65004 -> access_denied with AADSTS65004",
          cb.get("error") == "access_denied" and "AADSTS65004" in cb.get("error_description", ""), cb)
    admin(base, "PUT", "/tenants/northwind.test/settings", {"consent_return_error": "65001",
                                                            "admin_consent_workflow": True})
    b, page, _, _, _ = entra_authorize(user, entra_pw(user), until="approval-required")
    check("Entra: with the admin consent workflow on, the person sees 'Approval required'",
          "request-approval" in page.forms, page.ids)
    page = b.submit(page, "request-approval", justification="mail")
    cb = page.loopback() or {}
    requests = admin(base, "GET", "/state")["tenants"][NORTHWIND]["consent_requests"]
    check("Entra: 'Request approval' records the request and answers access_denied AADSTS90095",
          cb.get("error") == "access_denied" and "AADSTS90095" in cb.get("error_description", "")
          and any(r.get("by") == user for r in requests), cb)
    admin(base, "PUT", "/tenants/northwind.test/settings", {"admin_consent_workflow": False})


def entra_rules():
    """Conditional access, MFA on refresh, revoked sessions: rules set through the admin API."""
    check = S.check
    base = S.ENV["RIG_ENTRA_ADMIN"]
    admin(base, "POST", "/tenants/northwind.test/grants", {"client_id": TAYORI})
    user = "andrew@northwind.test"
    admin(base, "DELETE", "/rules?user=" + user)
    b, page, verifier, redirect, _ = entra_authorize(user, entra_pw(user))
    st, tok = entra_code_exchange("common", page, verifier, redirect)
    keep(tok)
    check("Entra rules: a first sign-in without rules works", st == 200 and tok.get("refresh_token"), tok.get("error"))
    if tok.get("access_token"):
        check("Entra token: a non-member cannot open the shared mailbox",
              not imap_xoauth2("outlook.office365.com", 993, "sales@northwind.test", tok["access_token"]))
    rt = tok.get("refresh_token", "")
    rule = admin(base, "POST", "/rules", {"kind": "mfa", "user": user})
    st, body = entra_token("common", {"grant_type": "refresh_token", "client_id": TAYORI, "refresh_token": rt})
    check("Entra rules: MFA required -> refresh answers interaction_required AADSTS50076",
          st == 400 and body.get("error") == "interaction_required" and aadsts(body) == "AADSTS50076", body)
    b, page, verifier, redirect, _ = entra_authorize(user, entra_pw(user), until="mfa")
    check("Entra rules: the interactive sign-in then asks for the second factor", "mfa" in page.forms, page.ids)
    page = b.submit(page, "mfa", otc="123456")
    st, tok2 = entra_code_exchange("common", page, verifier, redirect)
    keep(tok2)
    st, body = entra_token("common", {"grant_type": "refresh_token", "client_id": TAYORI,
                                      "refresh_token": tok2.get("refresh_token", "")})
    keep(body)
    check("Entra rules: tokens from the MFA sign-in refresh again", st == 200, body.get("error"))
    admin(base, "DELETE", "/rules/" + rule["id"])
    admin(base, "POST", "/rules", {"kind": "ca_block", "user": user})
    b, page, _, _, _ = entra_authorize(user, entra_pw(user), until="ca-block")
    check("Entra rules: conditional access blocks the sign-in with a page (AADSTS53003), no redirect",
          "ca-block" in page.ids and "53003" in page.body and page.loopback() is None, page.ids)
    st, body = entra_token("common", {"grant_type": "refresh_token", "client_id": TAYORI,
                                      "refresh_token": tok2.get("refresh_token", "")})
    check("Entra rules: ... and a refresh answers interaction_required AADSTS53003 (suberror message_only)",
          st == 400 and body.get("error") == "interaction_required" and aadsts(body) == "AADSTS53003"
          and body.get("suberror") == "message_only", body)
    admin(base, "DELETE", "/rules?user=" + user)
    admin(base, "POST", "/users/%s/revoke-sessions" % user)
    time.sleep(1.1)
    st, body = entra_token("common", {"grant_type": "refresh_token", "client_id": TAYORI,
                                      "refresh_token": tok2.get("refresh_token", "")})
    check("Entra rules: after the admin revokes the sessions a refresh answers invalid_grant AADSTS50173",
          st == 400 and body.get("error") == "invalid_grant" and aadsts(body) == "AADSTS50173", body)
    admin(base, "DELETE", "/tenants/northwind.test/grants/" + TAYORI)


def entra_personal_and_device():
    check = S.check
    user = "t08@outlook.com"
    admin(S.ENV["RIG_ENTRA_ADMIN"], "DELETE", "/users/%s/grants" % user)
    b, page, verifier, redirect, _ = entra_authorize(user, entra_pw(user), accept=False)
    check("Entra: a personal account may consent (no tenant policy)", "consent" in page.forms, page.ids)
    page = b.submit(page, "consent")
    st, tok = entra_code_exchange("common", page, verifier, redirect)
    keep(tok)
    check("Entra: a personal account gets tokens through /common", st == 200 and tok.get("refresh_token"),
          tok.get("error"))
    b, page, _, _, _ = entra_authorize(user, entra_pw(user), seg="organizations")
    check("Entra: /organizations refuses a personal account (AADSTS500200)", "AADSTS500200" in page.body, page.ids)
    # device authorization grant (RFC 8628)
    st, dev = post_json(ENTRA + "/organizations/oauth2/v2.0/devicecode", {"client_id": TAYORI, "scope": MS_SCOPE})
    check("Entra device code: verification_uri https://microsoft.com/devicelogin, 15 minutes, a message",
          st == 200 and dev.get("verification_uri") == "https://microsoft.com/devicelogin"
          and dev.get("expires_in") == 900 and dev.get("user_code", "") in dev.get("message", "")
          and "verification_uri_complete" not in dev, dev)
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": TAYORI,
            "device_code": dev.get("device_code", "")}
    st, body = entra_token("organizations", poll)
    check("Entra device code: polling before sign-in answers authorization_pending (AADSTS70016)",
          st == 400 and body.get("error") == "authorization_pending" and aadsts(body) == "AADSTS70016", body)
    user = "pat@fabrikam.test"
    b = Browser()
    page = b.open("https://microsoft.com/devicelogin")
    page = b.submit(page, "usercode", user_code=dev.get("user_code", ""))
    if "device-confirm" in page.forms:
        page = b.submit(page, "device-confirm")
    for _ in range(4):
        if "login" in page.forms:
            page = b.submit(page, "login", username=user, password=entra_pw(user))
        elif "consent" in page.forms:
            page = b.submit(page, "consent")
        else:
            break
    check("Entra device code: the person signs in at microsoft.com/devicelogin", "device-success" in page.ids,
          (page.ids, page.body[:300]))
    st, tok = entra_token("organizations", poll)
    keep(tok)
    check("Entra device code: the next poll gets the tokens", st == 200 and tok.get("refresh_token"), tok)
    st, dev = post_json(ENTRA + "/organizations/oauth2/v2.0/devicecode",
                        {"client_id": TAYORI_NO_PUBLIC_FLOWS, "scope": MS_SCOPE})
    st, body = entra_token("organizations", dict(poll, client_id=TAYORI_NO_PUBLIC_FLOWS,
                                                 device_code=dev.get("device_code", "")))
    check("Entra device code: an app without public client flows is refused (invalid_client, AADSTS7000218)",
          st == 401 and body.get("error") == "invalid_client" and aadsts(body) == "AADSTS7000218", body)


# ------------------------------------------------------------------------------- Google
def google_authorize(email, *, client=GOOGLE_CLIENT, access_type="offline", prompt=None, accept=True,
                     uncheck_mail=False, until=None, scope=MAIL):
    b = Browser()
    verifier, challenge = pkce()
    state = b64url(secrets.token_bytes(12))
    redirect = "http://127.0.0.1:%d" % (20000 + secrets.randbelow(30000))
    q = {"client_id": client, "response_type": "code", "redirect_uri": redirect, "scope": scope, "state": state,
         "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": email}
    if access_type:
        q["access_type"] = access_type
    if prompt:
        q["prompt"] = prompt
    page = b.open("https://accounts.google.com/o/oauth2/v2/auth?" + urllib.parse.urlencode(q))
    shown = []
    for _ in range(5):
        if page.loopback() is not None or (until and until in page.ids):
            break
        if "login" in page.forms:
            page = b.submit(page, "login", username=email, password=google_pw(email))
        elif "continue" in page.forms:
            shown.append("unverified")
            page = b.submit(page, "continue")
        elif "consent" in page.forms and accept:
            shown.append("consent")
            fields = {"scope": [v for k, v in page.forms["consent"]["fields"] if k == "scope" and v != MAIL]} \
                if uncheck_mail else {}
            page = b.submit(page, "consent", **fields)
        else:
            break
    return page, verifier, redirect, state, shown


def google_token(form, headers=None):
    return post_json("https://oauth2.googleapis.com/token", form, headers)


def google_checks():
    check = S.check
    base = S.ENV["RIG_GOOGLE_ADMIN"]
    meta = get_json("https://accounts.google.com/.well-known/openid-configuration")
    check("Google: discovery names accounts.google.com for authorization, oauth2.googleapis.com for tokens",
          meta.get("issuer") == "https://accounts.google.com"
          and meta.get("authorization_endpoint") == "https://accounts.google.com/o/oauth2/v2/auth"
          and meta.get("token_endpoint") == "https://oauth2.googleapis.com/token"
          and meta.get("revocation_endpoint") == "https://oauth2.googleapis.com/revoke"
          and "registration_endpoint" not in meta, meta)
    st, _ = post_json("https://accounts.google.com/token", {"grant_type": "refresh_token"})
    check("Google: no token endpoint on accounts.google.com (404)", st == 404, st)
    st, _ = post_json("https://oauth2.googleapis.com/register", {"client_name": "x"})
    check("Google: no dynamic registration (404)", st == 404, st)
    page = Browser().open("https://accounts.google.com/o/oauth2/v2/auth?" + urllib.parse.urlencode({
        "client_id": GOOGLE_CLIENT, "response_type": "code", "redirect_uri": "https://evil.test/cb", "scope": MAIL}))
    check("Google: a non-loopback redirect for a desktop client is an error page (redirect_uri_mismatch)",
          page.status == 400 and "redirect_uri_mismatch" in page.body, page.status)
    page = Browser().open("https://accounts.google.com/o/oauth2/v2/auth?" + urllib.parse.urlencode({
        "client_id": "0-unknown.apps.googleusercontent.com", "response_type": "code",
        "redirect_uri": "http://127.0.0.1:5000", "scope": MAIL}))
    check("Google: an unknown client is 'Error 401: invalid_client'", page.status == 401 and "invalid_client" in page.body,
          page.status)

    email = "t09@gmail.com"
    admin(base, "DELETE", "/grants/%s/%s" % (email, GOOGLE_CLIENT))
    page, verifier, redirect, state, shown = google_authorize(email)
    cb = page.loopback() or {}
    check("Google: first sign-in shows the consent page and returns code, state, iss, scope",
          "consent" in shown and cb.get("code") and cb.get("state") == state
          and cb.get("iss") == "https://accounts.google.com" and MAIL in cb.get("scope", ""), (shown, sorted(cb)))
    form = {"grant_type": "authorization_code", "client_id": GOOGLE_CLIENT, "code": cb.get("code", ""),
            "redirect_uri": redirect, "code_verifier": verifier}
    st, body = google_token(form)
    check("Google: the token endpoint wants the desktop client secret (invalid_request 'client_secret is missing.')",
          st == 400 and body == {"error": "invalid_request", "error_description": "client_secret is missing."}, body)
    st, body = google_token(dict(form, client_secret="wrong"))
    check("Google: a wrong client secret is invalid_client 'Unauthorized' (401)",
          st == 401 and body.get("error") == "invalid_client", body)
    basic = base64.b64encode(("%s:%s" % (GOOGLE_CLIENT, GOOGLE_SECRET)).encode()).decode()
    st, tok = google_token({k: v for k, v in form.items() if k != "client_id"}, {"Authorization": "Basic " + basic})
    keep(tok)
    check("Google: code + secret (HTTP Basic accepted too) gives access and refresh token with access_type=offline",
          st == 200 and tok.get("access_token") and tok.get("refresh_token") and tok.get("expires_in") == 3599,
          (st, tok.get("error")))
    if tok.get("access_token"):
        check("Google token: IMAP XOAUTH2 at imap.gmail.com:993 (Dovecot)",
              imap_xoauth2("imap.gmail.com", 993, email, tok["access_token"]))
        s = smtplib.SMTP_SSL("smtp.gmail.com", 465, context=S.CTX, timeout=20)
        code, _ = s.docmd("AUTH", "XOAUTH2 " + base64.b64encode(
            ("user=%s\x01auth=Bearer %s\x01\x01" % (email, tok["access_token"])).encode()).decode())
        s.quit()
        check("Google token: SMTP AUTH XOAUTH2 at smtp.gmail.com:465", code == 235, code)
    refresh = {"grant_type": "refresh_token", "client_id": GOOGLE_CLIENT, "refresh_token": tok.get("refresh_token", "")}
    st, body = google_token(refresh)
    check("Google: a refresh without the secret is refused (client_secret is missing.)",
          st == 400 and body.get("error_description") == "client_secret is missing.", body)
    st, new = google_token(dict(refresh, client_secret=GOOGLE_SECRET))
    keep(new)
    check("Google: a refresh returns a new access token and no refresh token (no rotation)",
          st == 200 and new.get("access_token") and "refresh_token" not in new, (st, sorted(new)))
    st, new2 = google_token(dict(refresh, client_secret=GOOGLE_SECRET))
    keep(new2)
    check("Google: the same refresh token keeps working", st == 200, new2.get("error"))
    page, verifier2, redirect2, _, shown = google_authorize(email)
    cb2 = page.loopback() or {}
    st, tok2 = google_token({"grant_type": "authorization_code", "client_id": GOOGLE_CLIENT,
                             "client_secret": GOOGLE_SECRET, "code": cb2.get("code", ""), "redirect_uri": redirect2,
                             "code_verifier": verifier2})
    keep(tok2)
    check("Google: a later sign-in (no prompt) shows no consent and returns no refresh token",
          "consent" not in shown and st == 200 and tok2.get("access_token") and "refresh_token" not in tok2,
          (shown, st, sorted(tok2)))
    page, verifier3, redirect3, _, shown = google_authorize(email, prompt="consent")
    cb3 = page.loopback() or {}
    st, tok3 = google_token({"grant_type": "authorization_code", "client_id": GOOGLE_CLIENT,
                             "client_secret": GOOGLE_SECRET, "code": cb3.get("code", ""), "redirect_uri": redirect3,
                             "code_verifier": verifier3})
    keep(tok3)
    check("Google: prompt=consent shows consent again and returns a refresh token",
          "consent" in shown and st == 200 and tok3.get("refresh_token"), (shown, st, sorted(tok3)))
    # revocation (RFC 7009 at oauth2.googleapis.com/revoke)
    st, body = post_json("https://oauth2.googleapis.com/revoke", {"token": tok.get("refresh_token", "")})
    check("Google: /revoke accepts the refresh token (200)", st == 200, (st, body))
    st, body = google_token(dict(refresh, client_secret=GOOGLE_SECRET))
    check("Google: the revoked refresh token answers invalid_grant 'Token has been expired or revoked.'",
          st == 400 and body.get("error") == "invalid_grant"
          and body.get("error_description") == "Token has been expired or revoked.", body)
    if new.get("access_token"):
        check("Google: IMAP refuses an access token of the revoked grant",
              not imap_xoauth2("imap.gmail.com", 993, email, new["access_token"]))
    st, body = post_json("https://oauth2.googleapis.com/revoke", {"token": "garbage"})
    check("Google: /revoke of an unknown token is 400 invalid_token", st == 400 and body.get("error") == "invalid_token",
          body)
    page, _, _, _, shown = google_authorize(email)
    check("Google: after revocation the next sign-in is a first consent again", "consent" in shown, shown)

    email = "t10@gmail.com"
    admin(base, "DELETE", "/grants/%s/%s" % (email, GOOGLE_CLIENT))
    page, verifier, redirect, _, _ = google_authorize(email, access_type=None)
    cb = page.loopback() or {}
    st, tok = google_token({"grant_type": "authorization_code", "client_id": GOOGLE_CLIENT, "client_secret": GOOGLE_SECRET,
                            "code": cb.get("code", ""), "redirect_uri": redirect, "code_verifier": verifier})
    keep(tok)
    check("Google: without access_type=offline even a first consent returns no refresh token",
          st == 200 and tok.get("access_token") and "refresh_token" not in tok, (st, sorted(tok)))
    admin(base, "DELETE", "/grants/%s/%s" % (email, GOOGLE_CLIENT))
    page, verifier, redirect, _, _ = google_authorize(email, uncheck_mail=True, scope="openid email " + MAIL)
    cb = page.loopback() or {}
    st, tok = google_token({"grant_type": "authorization_code", "client_id": GOOGLE_CLIENT, "client_secret": GOOGLE_SECRET,
                            "code": cb.get("code", ""), "redirect_uri": redirect, "code_verifier": verifier})
    keep(tok)
    check("Google: granular consent — an unticked Gmail box leaves the scope out of the token",
          st == 200 and MAIL not in tok.get("scope", ""), (st, tok, cb))
    if tok.get("access_token"):
        check("Google: IMAP refuses a token without https://mail.google.com/",
              not imap_xoauth2("imap.gmail.com", 993, email, tok["access_token"]))
    admin(base, "DELETE", "/grants/%s/%s" % (email, GOOGLE_CLIENT))

    st, body = post_json("https://oauth2.googleapis.com/device/code", {"client_id": GOOGLE_CLIENT, "scope": MAIL})
    check("Google device flow: a desktop client is refused (invalid_client: only 'TVs and Limited Input devices')",
          st == 401 and body.get("error") == "invalid_client", body)
    st, body = post_json("https://oauth2.googleapis.com/device/code", {"client_id": GOOGLE_TV, "scope": MAIL})
    check("Google device flow: the Gmail scope is refused (invalid_scope)", st == 400 and body.get("error") == "invalid_scope",
          body)
    page, _, _, _, _ = google_authorize("t09@gmail.com", client=GOOGLE_TESTING, until="error")
    check("Google: an app in Testing refuses people who are not test users (Error 403: access_denied)",
          page.status == 403 and "access_denied" in page.body, page.status)
    email = "t12@gmail.com"
    admin(base, "DELETE", "/grants/%s/%s" % (email, GOOGLE_TESTING))
    page, verifier, redirect, _, shown = google_authorize(email, client=GOOGLE_TESTING)
    cb = page.loopback() or {}
    st, tok = google_token({"grant_type": "authorization_code", "client_id": GOOGLE_TESTING,
                            "client_secret": GOOGLE_TESTING_SECRET, "code": cb.get("code", ""),
                            "redirect_uri": redirect, "code_verifier": verifier})
    keep(tok)
    check("Google: an unverified app shows the warning first; in Testing its refresh token lives 7 days",
          shown[:1] == ["unverified"] and st == 200 and tok.get("refresh_token_expires_in") == 604799,
          (shown, st, tok.get("refresh_token_expires_in")))
    admin(base, "PUT", "/domains/workspace.test", {"block_unconfigured_apps": True})
    page, _, _, _, _ = google_authorize("kenji@workspace.test", until="error")
    check("Google Workspace: an admin who blocks unconfigured apps -> Error 400: admin_policy_enforced",
          "admin_policy_enforced" in page.body, page.status)
    admin(base, "PUT", "/domains/workspace.test", {"block_unconfigured_apps": False})


def run(smoke):
    global S
    S = smoke
    S.SECRETS.update({GOOGLE_SECRET, GOOGLE_TESTING_SECRET})
    socket.getaddrinfo = _rig_getaddrinfo
    try:
        for name, fn in [("Entra metadata", entra_metadata), ("Entra redirect URIs", entra_redirects),
                         ("Entra user consent flow", entra_user_consent_flow),
                         ("Entra admin consent", entra_admin_consent), ("Entra rules", entra_rules),
                         ("Entra personal accounts and device code", entra_personal_and_device),
                         ("Google", google_checks)]:
            S.guarded(name)(fn)()
    finally:
        socket.getaddrinfo = _getaddrinfo
