#!/usr/bin/env python3
"""A rig mailbox with mail in it, for the window's screenshots (tests/gui-smoke.sh).

  tests/gui-mailbox.py seed USER      empties USER's INBOX and fills it over IMAP (APPEND):
                                       English and Japanese senders and subjects, some read, a thread
  tests/gui-mailbox.py japanese USER   empties USER's INBOX and appends one message whose subject and
                                       body hold 背景, 背中 and a line of Latin letters and kana, dated
                                       2024-06-14 (a fixed date: the screenshot is compared with a
                                       reference, tests/gui-japanese-text.sh)
  tests/gui-mailbox.py only USER FILE  empties USER's INBOX and appends the message in FILE as it is
                                       (an HTML message of tests/html-mail, tests/gui-html-mail.sh)
  tests/gui-mailbox.py deliver USER FROM SUBJECT
                                       delivers one new message through the rig's LMTP (the path
                                       mail from outside takes), as a new-mail notification needs

Prints the number of messages in the INBOX afterwards. Uses the rig's Dovecot on 127.0.0.1
(IMAPS 10993, LMTP 10024) with the user's app password; the rig's CA is in the system trust store.
"""
import email
import email.utils
import imaplib
import smtplib
import ssl
import sys
import time
from email.header import Header
from email.mime.text import MIMEText

HOST = "127.0.0.1"
IMAPS = 10993
LMTP = 10024
DAY = 86400

# (sender name, address, subject, body, read, days ago, thread)
MAIL = [
    ("佐藤 健", "ken.sato@example.co.jp", "来週の定例会議について",
     "お疲れさまです。佐藤です。\n\n来週の定例会議は火曜 10 時からに変更になりました。\n", False, 0.1, None),
    ("Alex Smith", "alex@corp.example", "Quarterly report draft — please review",
     "Hi,\n\nthe draft is attached as a link in our wiki. Comments by Friday, please.\n\nAlex\n", False, 0.3, None),
    ("経理部", "keiri@example.co.jp", "【至急】請求書の確認をお願いします",
     "各位\n\n今月分の請求書をご確認のうえ、承認をお願いいたします。\n", True, 0.6, None),
    ("鈴木 一郎", "ichiro@example.ne.jp", "出張申請の件",
     "出張申請を提出しました。ご確認ください。\n", True, 1.2, "trip"),
    ("山田 花子", "hanako.yamada@example.co.jp", "Re: 出張申請の件",
     "承認しました。気をつけて行ってらっしゃい。\n", False, 1.0, "trip"),
    ("鈴木 一郎", "ichiro@example.ne.jp", "Re: 出張申請の件",
     "ありがとうございます。\n", True, 0.9, "trip"),
    ("GitHub", "noreply@github.example", "[tayori] Build failed on main",
     "The workflow 'ci' failed on main.\n", True, 2.0, None),
    ("Maria García", "maria@partner.example", "Lunch on Thursday?",
     "Are you free for lunch on Thursday? There is a new ramen place near the office.\n", False, 2.5, None),
    ("総務部", "soumu@example.co.jp", "新年会のお知らせ",
     "今年の新年会は 1 月 15 日（金）に開催します。\n", True, 3.0, None),
    ("Newsletter", "news@shop.example", "Your weekly digest",
     "Ten things we think you will like this week.\n", True, 4.0, None),
]


def login(user):
    imap = imaplib.IMAP4_SSL(HOST, IMAPS, ssl_context=ssl.create_default_context())
    imap.login(user, user.split("@")[0] + "-app-password")
    return imap


def build(user, name, address, subject, body, when, message_id, parent=None):
    msg = MIMEText(body, "plain", "utf-8")
    msg["From"] = email.utils.formataddr((str(Header(name, "utf-8")), address))
    msg["To"] = user
    msg["Subject"] = Header(subject, "utf-8")
    msg["Date"] = email.utils.formatdate(when, localtime=False)
    msg["Message-ID"] = message_id
    if parent:
        msg["In-Reply-To"] = parent
        msg["References"] = parent
    return msg.as_bytes()


def inbox_count(imap):
    typ, data = imap.select("INBOX")
    assert typ == "OK", data
    return int(data[0])


def emptied(user):
    """The user's IMAP session with an empty INBOX (not selected)."""
    imap = login(user)
    if inbox_count(imap) > 0:
        imap.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
        imap.expunge()
    imap.close()
    return imap


def seed(user):
    imap = emptied(user)
    now = time.time()
    roots = {}
    for i, (name, address, subject, body, read, days, thread) in enumerate(MAIL):
        message_id = f"<gui-{i}-{int(now)}@example.test>"
        parent = roots.get(thread) if thread else None
        if thread and thread not in roots:
            roots[thread] = message_id
        when = now - days * DAY
        raw = build(user, name, address, subject, body, when, message_id, parent)
        flags = "(\\Seen)" if read else "()"
        typ, data = imap.append("INBOX", flags, imaplib.Time2Internaldate(when), raw)
        assert typ == "OK", data
    print(inbox_count(imap))
    imap.logout()


JAPANESE_TEXT = (
    "山田 花子", "hanako.yamada@example.co.jp", "背景と背中 — Tayori のテスト",
    "背景\n背中\nTayori は OAuth でサインインし、メール 3 通を確認しました。\n",
)


def only(user, path):
    imap = emptied(user)
    with open(path, "rb") as file:
        raw = file.read()
    when = email.utils.parsedate_to_datetime(
        email.message_from_bytes(raw)["Date"]).timestamp()
    typ, data = imap.append("INBOX", "()", imaplib.Time2Internaldate(when), raw)
    assert typ == "OK", data
    print(inbox_count(imap))
    imap.logout()


def japanese(user):
    imap = emptied(user)
    name, address, subject, body = JAPANESE_TEXT
    when = 1718325000  # 2024-06-14 09:30 +0900
    raw = build(user, name, address, subject, body, when, "<japanese-text@example.test>")
    typ, data = imap.append("INBOX", "()", imaplib.Time2Internaldate(when), raw)
    assert typ == "OK", data
    print(inbox_count(imap))
    imap.logout()


def deliver(user, sender, subject):
    name, address = email.utils.parseaddr(sender)
    raw = build(user, name, address, subject, "Delivered while the window was open.\n", time.time(),
                email.utils.make_msgid(domain="example.test"))
    with smtplib.LMTP(HOST, LMTP) as lmtp:
        refused = lmtp.sendmail(address, [user], raw)
        assert not refused, refused
    imap = login(user)
    print(inbox_count(imap))
    imap.logout()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "seed":
        seed(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "japanese":
        japanese(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "only":
        only(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "deliver":
        deliver(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
