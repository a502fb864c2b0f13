#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ from the inputs the tests use: the rig's fixture
documents (tests/rig/https/fixtures), the literals of the unit tests (messages, links, replies,
settings), and a handful of ISPDB files when ../shared/ispdb is present. Run it again after adding
test inputs; it only adds files (named by content hash), never removes the fuzzer's finds.

usage: fuzz/seed.py
"""
import base64
import hashlib
import os
import pathlib
import re

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)


def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def enc(text, charset):
    return text.encode(charset)


# --- mime: the unit tests' messages (Japanese charsets, RFC 2231 names, threading, broken input)
subject_jp = "=?ISO-2022-JP?B?" + base64.b64encode(enc("会議の件", "iso2022_jp")).decode() + "?="
put("mime", crlf(f"""From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>
To: hanako@example.jp, "Bob" <bob@example.test>
Cc: carol@example.test
Subject: {subject_jp}
Date: Tue, 1 Apr 2025 09:30:00 +0900
Message-ID: <a1@example.jp>
In-Reply-To: <a0@example.jp>
References: <root@example.jp> <a0@example.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

""").encode() + enc("お世話になっております。\r\n", "iso2022_jp"))
for charset in ["shift_jis", "euc_jp"]:
    put("mime", crlf(f"""From: a@example.jp
Subject: =?{charset}?Q?test?=
Content-Type: text/plain; charset={charset.replace('_', '-')}
Content-Transfer-Encoding: 8bit

""").encode() + enc("日本語の本文です。\r\n", charset))
put("mime", crlf("""From: a@example.test
To: b@example.test
Subject: attachments
Message-ID: <m2@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"

--XX
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

caf=C3=A9 =E4=BE=BF=E3=82=8A
--XX
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfs
--XX
Content-Type: message/rfc822

From: inner@example.test
Subject: inner

inner body
--XX--
"""))
put("mime", crlf("""From: a@example.test
Subject: html only
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=b

--b
Content-Type: text/html; charset=utf-8

<html><body><p>Hello <b>there</b> <a href="https://example.test/">link</a></p><img src="https://t.example/p.gif"></body></html>
--b--
"""))
put("mime", b"\x00\xff\xfe garbage\r\n\r\n\x80\x81")
put("mime", b"Subject: =?utf-8?B?broken\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n")

# --- autoconfig and autodiscover: the rig's fixture documents, and some ISPDB files
fixtures = ROOT / "tests/rig/https/fixtures"
for path in sorted(fixtures.rglob("*")):
    if not path.is_file() or path.name.startswith("_"):
        continue
    data = path.read_bytes()
    if b"clientConfig" in data:
        put("autoconfig", data)
    elif b"Autodiscover" in data or b'"Protocol"' in data:
        put("autodiscover", data)
for path in fixtures.glob("*/_by_email_domain/*"):
    put("autodiscover", path.read_bytes())
ispdb = pathlib.Path(os.environ.get("TAYORI_ISPDB_DIR", ROOT.parent / "shared/ispdb"))
if ispdb.is_dir():
    for name in ["gmail.com.xml", "outlook.com.xml", "yahoo.com.xml", "t-online.de.xml", "126.com.xml", "freenet.de.xml"]:
        if (ispdb / name).is_file():
            put("autoconfig", (ispdb / name).read_bytes())
put("autodiscover", """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
<Account><AccountType>email</AccountType><Action>redirectUrl</Action>
<RedirectUrl>https://autodiscover.other.test/autodiscover/autodiscover.xml</RedirectUrl></Account>
</Response></Autodiscover>""")
put("autodiscover", """<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><Action>redirectAddr</Action><RedirectAddr>x@other.test</RedirectAddr></Account></Response></Autodiscover>""")

# --- OAuth metadata (the rig provider's shape) and the RFC 7628 challenges (tests/rig/README.md)
put("oauth_metadata", """{"issuer":"https://127.0.0.1:9443","authorization_endpoint":"https://127.0.0.1:9443/auth",
"token_endpoint":"https://127.0.0.1:9443/token","revocation_endpoint":"https://127.0.0.1:9443/token/revocation",
"registration_endpoint":"https://127.0.0.1:9443/reg","code_challenge_methods_supported":["S256"],
"authorization_response_iss_parameter_supported":true,"scopes_supported":["openid","email","offline_access","mail"]}""")
put("oauth_metadata", """{"issuer":"https://login.microsoftonline.com/organizations/v2.0","authorization_endpoint":"https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize","token_endpoint":"https://login.microsoftonline.com/organizations/oauth2/v2.0/token"}""")
put("oauth_metadata", """{"status":"401","schemes":"bearer","scope":"mail","openid-configuration":"https://127.0.0.1:9443/.well-known/openid-configuration"}""")
put("oauth_metadata", """{"status":"invalid_token","openid-configuration":"https://127.0.0.1:9443/.well-known/openid-configuration"}""")

# --- token endpoint answers
put("oauth_token", """{"access_token":"at-123","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-456","scope":"openid email offline_access mail","id_token":"x.y.z"}""")
put("oauth_token", """{"access_token":"at","token_type":"bearer","expires_in":"3599"}""")
put("oauth_token", """{"access_token":"at","token_type":"Bearer","expires_in":18446744073709551615}""")
put("oauth_token", """{"error":"invalid_grant","error_description":"grant request is invalid","error_uri":"https://x.test/e"}""")
put("oauth_token", """{"error":"invalid_client"}""")

# --- IMAP: what Dovecot, Exchange and Gmail send during a sync
put("imap", crlf("""* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=OAUTHBEARER AUTH=XOAUTH2] Dovecot ready.
A0001 OK [CAPABILITY IMAP4rev1 IDLE CONDSTORE QRESYNC MOVE SPECIAL-USE UIDPLUS ENABLE LIST-STATUS] Logged in
* CAPABILITY IMAP4rev1 IDLE CONDSTORE QRESYNC MOVE SPECIAL-USE
A0002 OK Capability completed.
* LIST (\\HasNoChildren) "/" INBOX
* LIST (\\HasNoChildren \\Sent) "/" Sent
* LIST (\\HasNoChildren \\Drafts) "/" "&MMEwwzDIMEQwUw-"
* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 1700000000 HIGHESTMODSEQ 12)
A0003 OK List completed
"""))
put("imap", crlf("""* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.
* 3 EXISTS
* 0 RECENT
* OK [UIDVALIDITY 1700000000] UIDs valid
* OK [UIDNEXT 4] Predicted next UID
* OK [HIGHESTMODSEQ 12] Highest
* VANISHED (EARLIER) 1:2,5
* 1 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (11))
A0004 OK [READ-WRITE] Select completed
* SEARCH 1 2 3
* ESEARCH (TAG "A0005") UID ALL 1:3
A0005 OK Search completed
""").encode() + b"* 1 FETCH (UID 3 RFC822.SIZE 44 INTERNALDATE \"01-Apr-2025 09:30:00 +0900\" FLAGS (\\Seen) BODY[HEADER] {44}\r\nFrom: a@example.test\r\nSubject: hello\r\n\r\n)\r\n"
    + b"* 2 FETCH (UID 4 BODY[] {31}\r\nSubject: x\r\n\r\n\xe4\xbe\xbf\xe3\x82\x8a body\r\n)\r\nA0006 OK Fetch completed\r\n")
put("imap", b"* BYE shutting down\r\n")
put("imap", b"+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=\r\nA1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")

# --- SMTP replies
for reply in ["250 2.0.0 Ok: queued as 4BDF2\r\n", "220 mail.example.test ESMTP ready\r\n",
              "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-AUTH PLAIN XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n",
              "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.\r\n",
              "554 5.7.1 Message rejected as spam\r\n", "552 5.3.4 Message size exceeds fixed limit\r\n",
              "334 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\r\n",
              "421 4.7.0 Try again later, closing connection.\r\n"]:
    put("smtp", reply)

# --- HTML bodies
put("html", """<html><head><style>p{}</style><script>alert(1)</script></head><body>
<p>Hello <b>bold</b> <i>it</i> <a href="https://bank.example/">https://bank.example/</a></p>
<ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li></ul><pre>  kept   space</pre>
<img src="https://tracker.example/p.gif" alt="pixel"><img src="cid:logo"><table><tr><td>cell</td></tr></table>
<a href="javascript:alert(1)">x</a><a href="mailto:a@example.test?subject=hi">mail</a><br>&nbsp;&amp;&lt;</body></html>""")
put("html", "<ul>" * 50 + "<li>deep" * 50)
put("html", "<p>www.paypa1.example/login <a href='https://evil.example/'>www.bank.example</a></p>")

# --- mailto links (the unit tests' RFC 6068 examples and hostile ones)
mailto_src = (ROOT / "src/mailto.rs").read_text()
for link in re.findall(r'"(mailto:[^"]*)"', mailto_src):
    put("mailto", link.replace("\\\\", "\\"))
put("mailto", "MAILTO:a@example.org?SUBJECT=x&cc=&bcc=b@example.org&body=%")

# --- settings and the administrator's policy (the unit tests' files)
put("settings_toml", """[ui]
language = "ja"
theme = "dark"

[sync]
days = 30

[network]
dns_server = "127.0.0.1:10053"

[oauth.client_ids]
"https://127.0.0.1:9443" = "tayori"
microsoft = "00000000-0000-0000-0000-000000000000"
""")
put("settings_toml", """[[provider]]
name = "Example Corp"
domains = ["example.test", "*.corp.example.test"]
username = "%EMAILLOCALPART%"
sign_in = ["oauth2"]
imap = { host = "mail.example.test", port = 10993, security = "tls" }
smtp = { host = "mail.example.test", port = 10587, security = "starttls" }

[provider.oauth2]
issuer = "https://127.0.0.1:9443"
authorization_endpoint = "https://127.0.0.1:9443/auth"
token_endpoint = "https://127.0.0.1:9443/token"
scopes = ["openid", "email", "offline_access", "mail"]
client_id = "tayori"
""")
put("settings_toml", "[ui]\nlanguage = \"klingon\"\nunknown = 1\n")
