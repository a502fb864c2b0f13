#!/usr/bin/env python3
"""A stand-in for a person at a web browser, for end-to-end sign-in tests.

Tayori opens the sign-in page with `--browser "python3 tests/browser-driver.py USER PASSWORD"`; this
program then does what the person would: loads the page, fills in the provider's real login form,
allows access on the consent page, and follows the provider's redirect to Tayori's loopback
listener. Python standard library only; TLS is checked against the system trust store.

usage: browser-driver.py USER PASSWORD URL
"""
import html.parser
import http.cookiejar
import sys
import urllib.parse
import urllib.request


class Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self._current = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = attrs.get("id") or attrs.get("action")
            self.forms[self._current] = {"action": attrs.get("action"), "fields": {}}
        elif tag == "input" and self._current and attrs.get("name"):
            self.forms[self._current]["fields"][attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def main():
    user, password, url = sys.argv[1], sys.argv[2], sys.argv[3]
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(url, timeout=20)
    for _ in range(4):
        if page.url.startswith("http://127.0.0.1:"):
            return 0  # the redirect reached Tayori
        forms = Forms()
        forms.feed(page.read().decode("utf-8", "replace"))
        if "login" in forms.forms:
            form = forms.forms["login"]
            data = dict(form["fields"], username=user, password=password)
        elif "consent" in forms.forms:
            form = forms.forms["consent"]
            data = form["fields"]
        else:
            print("browser-driver: unexpected page at %s" % page.url, file=sys.stderr)
            return 1
        action = urllib.parse.urljoin(page.url, form["action"])
        page = opener.open(action, urllib.parse.urlencode(data).encode(), timeout=20)
    return 0 if page.url.startswith("http://127.0.0.1:") else 1


if __name__ == "__main__":
    sys.exit(main())
