// One host goes DIRECT (and this office's firewall refuses it); everything else through the proxy.
function FindProxyForURL(url, host) {
  if (host == "autoconfig.example.test")
    return "DIRECT";
  return "PROXY proxy.office.test:3130";
}
