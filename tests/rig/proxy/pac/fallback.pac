// The first proxy is down (nothing listens on 3999): the second one must be tried, in order.
function FindProxyForURL(url, host) {
  return "PROXY proxy.office.test:3999; PROXY proxy.office.test:3130; DIRECT";
}
