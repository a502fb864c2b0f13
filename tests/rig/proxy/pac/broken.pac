// Not JavaScript that parses: a PAC file broken by an edit.
function FindProxyForURL(url, host) {
  if (dnsDomainIs(host, ".office.test")
    return "DIRECT";
  return "PROXY proxy.office.test:3130";
