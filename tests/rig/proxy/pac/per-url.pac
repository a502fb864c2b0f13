// A different answer per URL: web traffic through the web proxy (CONNECT to 443 only), mail
// (imap://, imaps://, smtp://, smtps:// as mail programs ask) through the SOCKS server.
function FindProxyForURL(url, host) {
  if (dnsDomainIs(host, ".office.test"))
    return "DIRECT";
  if (shExpMatch(url, "imap:*") || shExpMatch(url, "imaps:*") ||
      shExpMatch(url, "smtp:*") || shExpMatch(url, "smtps:*"))
    return "SOCKS5 proxy.office.test:1080";
  if (shExpMatch(url, "https:*") || shExpMatch(url, "http:*"))
    return "PROXY proxy.office.test:3128";
  return "DIRECT";
}
