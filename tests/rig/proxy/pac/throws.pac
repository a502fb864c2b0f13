// Parses, but FindProxyForURL throws (it calls a function that does not exist).
function FindProxyForURL(url, host) {
  return proxyForSite(host);
}
