#!/usr/bin/env python3
"""A stand-in for a person at a web browser, for end-to-end sign-in tests.

Tayori opens the sign-in page with `--browser "python3 tests/browser-driver.py USER PASSWORD"`; this
program then does what the person would: loads the page, fills in the provider's real login form,
allows access on the consent page, and follows the provider's redirect to Tayori's loopback
listener. Python standard library only; TLS is checked against the system trust store.

usage: browser-driver.py USER PASSWORD URL

TAYORI_TEST_BROWSER_PROXY=http://HOST:PORT (optional) is the proxy the person's browser is set to
use, as in an office where the web is reachable only through it (tests/proxy*.rs). The browser's
redirect to Tayori's own loopback listener never goes through it: browsers send loopback
connections directly.
"""
import html.parser
import http.cookiejar
import os
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
    handlers = [urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())]
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
