"""Smoke checks of the Exchange Online emulator (tests/rig/idp/exchange.mjs), called by smoke.py:
one sign-in with scopes for two resources at Entra, Microsoft Graph's send and read paths backed by
Dovecot, and the SMTP AUTH switch at smtp.office365.com. tests/rig/README.md names the source of each.

Uses its own person, t03@northwind.test (the smoke test's tenant), and puts back every setting it
changes (Northwind's grants, its transport settings, throttling).
"""
import base64
import imaplib
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request

import smoke_providers as P

GRAPH = "https://graph.microsoft.com"
OUTLOOK = "https://outlook.office.com"
NORTHWIND = P.NORTHWIND
USER = "t03@northwind.test"
S = None


def graph(method, path, token=None, body=None, headers=None):
    """One Graph request; answers (status, headers, json or None)."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(GRAPH + path if path.startswith("/") else path, body, h, method=method)
    try:
        with urllib.request.urlopen(req, context=S.CTX, timeout=20) as r:
            raw = r.read()
            return r.status, r.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, e.headers, json.loads(raw)
        except ValueError:
            return e.code, e.headers, None


def refresh(rt, scope):
    st, tok = P.entra_token(NORTHWIND, {"grant_type": "refresh_token", "client_id": P.TAYORI,
                                        "refresh_token": rt, "scope": scope})
    P.keep(tok)
    return st, tok


def imap_count(token, folder, message_id):
    m = imaplib.IMAP4_SSL("outlook.office365.com", 993, ssl_context=S.CTX)
    m.authenticate("XOAUTH2", lambda _: ("user=%s\x01auth=Bearer %s\x01\x01" % (USER, token)).encode())
    m.select(folder, readonly=True)
    _, data = m.search(None, "HEADER", "Message-ID", message_id)
    m.logout()
    return len(data[0].split())


def smtp_auth(user, token):
    s = smtplib.SMTP("smtp.office365.com", 587, timeout=20)
    s.starttls(context=S.CTX)
    code, text = s.docmd("AUTH", "XOAUTH2 " + base64.b64encode(
        ("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode()).decode())
    s.quit()
    return code, text.decode()


def mime(message_id, subject):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nsmoke\r\n" % (USER, USER, subject, message_id)).encode()


def one_sign_in():
    """Consent for Exchange and Graph in one authorization request; a token per resource."""
    check = S.check
    base = S.ENV["RIG_ENTRA_ADMIN"]
    P.admin(base, "DELETE", "/users/%s/grants" % USER)
    # Northwind's admin granted the Exchange scopes (users may not consent to IMAP there)
    P.admin(base, "POST", "/tenants/northwind.test/grants",
            {"client_id": P.TAYORI, "scopes": ["openid", "profile", "email", "offline_access",
                                              OUTLOOK + "/IMAP.AccessAsUser.All", OUTLOOK + "/SMTP.Send"]})
    b, page, _, _, _ = P.entra_authorize(USER, P.entra_pw(USER), scope="%s/.default %s/Mail.Send offline_access"
                                         % (OUTLOOK, GRAPH), until="error")
    cb = page.loopback() or {}
    check("Entra: '.default' mixed with a resource scope answers AADSTS70011",
          cb.get("error") == "invalid_scope" and "AADSTS70011" in cb.get("error_description", ""), cb)
    scope = P.MS_SCOPE + " %s/Mail.Send" % GRAPH
    b, page, _, _, _ = P.entra_authorize(USER, P.entra_pw(USER), scope=scope, accept=False)
    check("Entra: an unverified multi-tenant app under risk-based step-up may not get even Mail.Send from "
          "a user (AADSTS90094)", "need-admin-approval" in page.ids, page.ids)
    # a tenant with risk-based step-up off (the admin turned it off, or the app is verified)
    P.admin(base, "PUT", "/tenants/northwind.test/settings", {"risk_based_step_up": False})
    try:
        b, page, verifier, redirect, _ = P.entra_authorize(USER, P.entra_pw(USER), scope=scope, accept=False)
        check("Entra: consent asks only for what is missing (Graph Mail.Send, user-consentable under "
              "Microsoft-managed consent)", "consent" in page.forms and "Mail.Send" in page.body
              and "IMAP.AccessAsUser.All" not in page.body, page.ids)
        page = b.submit(page, "consent")
    finally:
        P.admin(base, "PUT", "/tenants/northwind.test/settings", {"risk_based_step_up": True})
    st, tok = P.entra_code_exchange("common", page, verifier, redirect)
    P.keep(tok)
    check("Entra: a code for two resources redeems for the first one only (Exchange)",
          st == 200 and OUTLOOK + "/IMAP.AccessAsUser.All" in tok.get("scope", "")
          and GRAPH not in tok.get("scope", ""), (st, tok.get("scope"), tok.get("error")))
    rt = tok.get("refresh_token", "")
    st, g = refresh(rt, GRAPH + "/Mail.Send offline_access")
    check("Entra: the same refresh token redeems a Graph token", st == 200 and g.get("scope") == GRAPH + "/Mail.Send",
          (st, g.get("scope"), g.get("error")))
    st, body = refresh(rt, "%s/Mail.Send %s/SMTP.Send offline_access" % (GRAPH, OUTLOOK))
    check("Entra: one token request for two resources answers AADSTS28000",
          st == 400 and P.aadsts(body) == "AADSTS28000", body)
    st, body = refresh(rt, GRAPH + "/Mail.ReadWrite offline_access")
    check("Entra: a refresh for a scope nobody consented to answers invalid_grant AADSTS65001",
          st == 400 and body.get("error") == "invalid_grant" and P.aadsts(body) == "AADSTS65001", body)
    return tok, g, rt


def graph_send(outlook_tok, graph_tok, rt):
    check = S.check
    base = S.ENV["RIG_ENTRA_ADMIN"]
    st, h, body = graph("GET", "/v1.0/me/messages")
    check("Graph: no token answers 401 InvalidAuthenticationToken with a WWW-Authenticate challenge",
          st == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
          and "authorization_uri=" in (h.get("WWW-Authenticate") or ""), (st, body))
    st, h, body = graph("GET", "/v1.0/me/messages", outlook_tok["access_token"])
    check("Graph: an Exchange token (wrong audience) answers 401 'Invalid audience'",
          st == 401 and "Invalid audience" in body["error"]["message"] and h.get("WWW-Authenticate"), (st, body))
    message_id = "<smoke-%d@northwind.test>" % time.time_ns()
    draft = base64.b64encode(mime(message_id, "graph smoke"))
    st, _, body = graph("POST", "/v1.0/me/messages", graph_tok["access_token"], draft, {"Content-Type": "text/plain"})
    check("Graph: creating a draft with Mail.Send only answers 403 ErrorAccessDenied (needs Mail.ReadWrite)",
          st == 403 and body["error"]["code"] == "ErrorAccessDenied", (st, body))
    P.admin(base, "POST", "/tenants/northwind.test/grants",
            {"client_id": P.TAYORI, "scopes": ["openid", "profile", "email", "offline_access",
                                              OUTLOOK + "/IMAP.AccessAsUser.All", OUTLOOK + "/SMTP.Send",
                                              GRAPH + "/Mail.ReadWrite", GRAPH + "/Mail.Send"]})
    st, g = refresh(rt, "%s/Mail.ReadWrite %s/Mail.Send offline_access" % (GRAPH, GRAPH))
    tok = g.get("access_token", "")
    check("Entra: after the admin's grant the same refresh token redeems Mail.ReadWrite", st == 200, g)
    st, _, body = graph("POST", "/v1.0/me/messages", tok, b"not base64!", {"Content-Type": "text/plain"})
    check("Graph: MIME that is not base64 answers 400 ErrorMimeContentInvalidBase64String",
          st == 400 and body["error"]["code"] == "ErrorMimeContentInvalidBase64String", (st, body))
    st, h, body = graph("POST", "/v1.0/me/messages", tok, draft,
                        {"Content-Type": "text/plain", "Prefer": 'IdType="ImmutableId"'})
    check("Graph: POST /me/messages with base64 MIME creates a draft (201, isDraft, internetMessageId)",
          st == 201 and body["isDraft"] and body["internetMessageId"] == message_id, (st, body))
    check("Graph: Prefer IdType=ImmutableId is applied", 'ImmutableId' in (h.get("Preference-Applied") or ""), dict(h))
    draft_id = body["id"]
    check("IMAP sees the Graph draft in Drafts (one mailbox, two protocols)",
          imap_count(outlook_tok["access_token"], "Drafts", message_id) == 1)
    st, _, _ = graph("POST", "/v1.0/me/messages/%s/send" % draft_id, tok)
    check("Graph: POST /me/messages/{id}/send answers 202 Accepted", st == 202, st)
    q = urllib.parse.urlencode({"$filter": "internetMessageId eq '%s'" % message_id, "$select": "id,internetMessageId"})
    found, waited = [], 0.0
    while waited < 15:
        st, _, body = graph("GET", "/v1.0/me/mailFolders/sentitems/messages?" + q, tok)
        found = (body or {}).get("value", [])
        if found:
            break
        time.sleep(0.3)
        waited += 0.3
    check("Graph: the send completes later; Sent Items has it once by internetMessageId",
          len(found) == 1 and found[0]["id"] != draft_id, (found, waited))
    for _ in range(20):  # the draft goes when the send completes, a moment after the Sent copy lands
        st, _, body = graph("GET", "/v1.0/me/messages/%s" % draft_id, tok, headers={"Prefer": 'IdType="ImmutableId"'})
        if st != 200:
            break
        time.sleep(0.25)
    check("Graph: the sent draft is gone (404 ErrorItemNotFound)", st == 404 and body["error"]["code"] == "ErrorItemNotFound",
          (st, body))
    check("IMAP: the message arrived once and has one Sent copy",
          imap_count(outlook_tok["access_token"], "INBOX", message_id) == 1
          and imap_count(outlook_tok["access_token"], "Sent", message_id) == 1)
    # paging
    for i in range(3):
        graph("POST", "/v1.0/me/messages", tok, base64.b64encode(mime("<page-%d-%d@northwind.test>" % (i, time.time_ns()), "page")),
              {"Content-Type": "text/plain"})
    st, _, body = graph("GET", "/v1.0/me/mailFolders/drafts/messages?$top=2", tok)
    nxt = body.get("@odata.nextLink", "")
    st2, _, body2 = graph("GET", nxt, tok) if nxt else (0, None, {})
    check("Graph: $top pages with @odata.nextLink", st == 200 and len(body["value"]) == 2 and nxt.startswith(GRAPH)
          and st2 == 200 and len(body2.get("value", [])) >= 1, (st, nxt, st2))
    # throttling
    ex = S.ENV["RIG_EXCHANGE_ADMIN"]
    P.admin(ex, "PUT", "/throttle/" + USER, {"times": 1, "retry_after": 2})
    st, h, body = graph("GET", "/v1.0/me/messages?$top=1", tok)
    check("Graph: throttled -> 429 with Retry-After", st == 429 and h.get("Retry-After") == "2", (st, body))
    st, _, _ = graph("GET", "/v1.0/me/messages?$top=1", tok)
    early = P.admin(ex, "GET", "/state")["early_retries"].get(USER)
    check("Graph: a retry before Retry-After is refused again and counted", st == 429 and early == 1, (st, early))
    time.sleep(2.1)
    st, _, _ = graph("GET", "/v1.0/me/messages?$top=1", tok)
    check("Graph: after Retry-After the request is served", st == 200, st)
    P.admin(base, "DELETE", "/tenants/northwind.test/grants/" + P.TAYORI)


def graph_read(graph_tok, rt):
    """The read side: folders, a delta round with paging, MIME, changes seen by the next round."""
    check = S.check
    base = S.ENV["RIG_ENTRA_ADMIN"]
    imm = {"Prefer": 'IdType="ImmutableId"'}
    st, _, body = graph("GET", "/v1.0/me/mailFolders/inbox/messages/delta", graph_tok["access_token"], headers=imm)
    check("Graph: a delta query with Mail.Send only answers 403 ErrorAccessDenied",
          st == 403 and body["error"]["code"] == "ErrorAccessDenied", (st, body))
    P.admin(base, "POST", "/tenants/northwind.test/grants",
            {"client_id": P.TAYORI, "scopes": ["openid", "profile", "email", "offline_access",
                                              OUTLOOK + "/IMAP.AccessAsUser.All", OUTLOOK + "/SMTP.Send",
                                              GRAPH + "/Mail.ReadWrite", GRAPH + "/Mail.Send"]})
    st, g = refresh(rt, "%s/Mail.ReadWrite offline_access" % GRAPH)
    tok = g.get("access_token", "")
    message_id = "<read-smoke-%d@northwind.test>" % time.time_ns()
    graph("POST", "/v1.0/me/mailFolders/inbox/messages", tok, base64.b64encode(mime(message_id, "read smoke")),
          {"Content-Type": "text/plain"})
    st, _, body = graph("GET", "/v1.0/me/mailFolders", tok)
    names = [f.get("displayName") for f in (body or {}).get("value", [])]
    check("Graph: GET /me/mailFolders lists the top-level folders (Inbox, Archive, …)",
          st == 200 and "Inbox" in names and "Archive" in names, (st, names))
    st, _, inbox = graph("GET", "/v1.0/me/mailFolders/inbox", tok)
    st2, _, kids = graph("GET", "/v1.0/me/mailFolders/%s/childFolders" % inbox.get("id", "x"), tok)
    check("Graph: a well-known name names a folder; its childFolders list", st == 200 and st2 == 200
          and isinstance(kids.get("value"), list), (st, st2))
    link, pages, items, delta = "/v1.0/me/mailFolders/inbox/messages/delta", 0, [], None
    while link and pages < 200:
        st, h, body = graph("GET", link, tok, headers={**imm, "Prefer": 'IdType="ImmutableId", odata.maxpagesize=1'})
        if st != 200:
            break
        pages += 1
        items += body.get("value", [])
        delta = body.get("@odata.deltaLink")
        link = body.get("@odata.nextLink")
    check("Graph: a delta round pages by odata.maxpagesize with nextLink and ends in a deltaLink",
          st == 200 and pages >= 2 and delta and "$deltatoken=" in delta and len(items) == pages, (st, pages, delta))
    mine = [i for i in items if i.get("internetMessageId") == message_id]
    check("Graph: the delta round lists the new message", len(mine) == 1, len(mine))
    if not mine:
        return
    mid = mine[0]["id"]
    req = urllib.request.Request(GRAPH + "/v1.0/me/messages/%s/$value" % mid,
                                 headers={"Authorization": "Bearer " + tok, **imm})
    with urllib.request.urlopen(req, context=S.CTX, timeout=20) as r:
        raw = r.read()
    check("Graph: $value is the MIME, CRLF lines as IMAP serves them", raw == mime(message_id, "read smoke"), raw[:200])
    st, _, body = graph("PATCH", "/v1.0/me/messages/%s" % mid, tok, json.dumps({"isRead": True}).encode(),
                        {**imm, "Content-Type": "application/json"})
    check("Graph: PATCH isRead answers 200 with the message", st == 200 and body.get("isRead") is True, (st, body))
    st, _, body = graph("GET", delta, tok, headers=imm)
    changed = [i for i in body.get("value", []) if i.get("id") == mid]
    check("Graph: the next round lists the read change", st == 200 and changed and changed[0]["isRead"], (st, body))
    delta = body.get("@odata.deltaLink")
    st, _, body = graph("POST", "/v1.0/me/messages/%s/move" % mid, tok, json.dumps({"destinationId": "archive"}).encode(),
                        {**imm, "Content-Type": "application/json"})
    check("Graph: move answers 201; an immutable id stays", st == 201 and body.get("id") == mid, (st, body))
    st, _, body = graph("GET", delta, tok, headers=imm)
    removed = [i for i in body.get("value", []) if i.get("id") == mid and "@removed" in i]
    check("Graph: the next round lists the moved-out message as @removed", st == 200 and len(removed) == 1, body)
    st, _, body = graph("GET", "/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=forgotten", tok)
    check("Graph: an unknown delta token answers 410 SyncStateNotFound",
          st == 410 and body["error"]["code"] == "SyncStateNotFound", (st, body))
    graph("DELETE", "/v1.0/me/messages/%s" % mid, tok, headers=imm)
    P.admin(base, "DELETE", "/tenants/northwind.test/grants/" + P.TAYORI)


def smtp_switch(outlook_tok):
    check = S.check
    ex = S.ENV["RIG_EXCHANGE_ADMIN"]
    token = outlook_tok["access_token"]
    try:
        P.admin(ex, "PUT", "/tenants/northwind.test/transport", {"smtp_client_auth_disabled": True})
        code, text = smtp_auth(USER, token)
        check("smtp.office365.com: SMTP AUTH off for the tenant -> the exact 535 5.7.139 text",
              code == 535 and text == "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
              "for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.", (code, text))
        P.admin(ex, "PUT", "/mailboxes/" + USER, {"smtp_client_auth_disabled": False})
        code, _ = smtp_auth(USER, token)
        check("smtp.office365.com: the mailbox setting wins over the tenant's (on -> 235)", code == 235, code)
        P.admin(ex, "PUT", "/tenants/northwind.test/transport", {"smtp_client_auth_disabled": False})
        P.admin(ex, "PUT", "/mailboxes/" + USER, {"smtp_client_auth_disabled": True})
        code, text = smtp_auth(USER, token)
        check("smtp.office365.com: SMTP AUTH off for the mailbox -> 535 5.7.139 … disabled for the Mailbox",
              code == 535 and "SmtpClientAuthentication is disabled for the Mailbox" in text, (code, text))
        s = smtplib.SMTP("smtp.office365.com", 587, timeout=20)
        s.starttls(context=S.CTX)
        s.ehlo()
        code, text = s.docmd("MAIL", "FROM:<%s>" % USER)
        s.quit()
        check("smtp.office365.com: MAIL FROM without AUTH -> 530 5.7.57", code == 530 and text.decode().startswith("5.7.57"),
              (code, text))
    finally:
        P.admin(ex, "PUT", "/tenants/northwind.test/transport", {"smtp_client_auth_disabled": False})
        P.admin(ex, "PUT", "/mailboxes/" + USER, {"smtp_client_auth_disabled": None})


def run(smoke):
    global S
    S = smoke
    P.S = smoke
    P.socket.getaddrinfo = P._rig_getaddrinfo
    try:
        state = {}

        def sign_in():
            state["tokens"] = one_sign_in()
        S.guarded("Entra: one sign-in, a token per resource")(sign_in)()
        if "tokens" in state:
            outlook_tok, graph_tok, rt = state["tokens"]
            S.guarded("Graph send path")(graph_send)(outlook_tok, graph_tok, rt)
            S.guarded("Graph read path")(graph_read)(graph_tok, rt)
            S.guarded("SMTP AUTH switch")(smtp_switch)(outlook_tok)
    finally:
        P.socket.getaddrinfo = P._getaddrinfo
        P.admin(S.ENV["RIG_ENTRA_ADMIN"], "DELETE", "/tenants/northwind.test/grants/" + P.TAYORI)
