// Example Office's proxy auto-configuration, in the shape corporate PAC files commonly have: the
// intranet and the office network go direct, everything else through the proxy that also allows
// the mail ports, falling back to a direct connection (which this office's firewall refuses).
// Also served as http://wpad.office.test/wpad.dat (WPAD).
function FindProxyForURL(url, host) {
  if (isPlainHostName(host) || dnsDomainIs(host, ".office.test") || host == "office.test")
    return "DIRECT";
  var ip = dnsResolve(host);
  if (ip && isInNet(ip, "10.26.0.0", "255.255.255.0"))
    return "DIRECT";
  if (isInNet(myIpAddress(), "10.26.0.0", "255.255.255.0"))
    return "PROXY proxy.office.test:3130; DIRECT";
  return "DIRECT";
}
