#include "cli/serve_guard.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <vector>

#include "base/error.h"

namespace torchsweep {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

/// An IPv6 literal in a URL or Host header is bracketed: [::1]:8050.
std::string host_port(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// Compares without stopping at the first difference, so that the time taken says
/// nothing of how much of a guessed token was right.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

/// The value of cookie `name` in a Cookie header ("a=1; torchsweep_token=…"), or "".
std::string cookie_value(const std::string& header, const std::string& name) {
  size_t at = 0;
  while (at < header.size()) {
    size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    std::string pair = header.substr(at, end - at);
    const size_t start = pair.find_first_not_of(' ');
    pair = start == std::string::npos ? "" : pair.substr(start);
    const size_t eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    at = end + 1;
  }
  return "";
}

}  // namespace

bool is_loopback(const std::string& host) {
  const std::string h = lower(host);
  return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

std::string serve_url(const ServeAddress& address, const std::string& hostname) {
  const std::string host = is_wildcard(address.host) ? hostname : address.host;
  std::string url = "http://" + host_port(host, address.port) + "/";
  if (!address.token.empty()) url += "?token=" + address.token;
  return url;
}

GuardVerdict check_request(const ServeAddress& address, const std::string& method, const std::string& host_header,
                           const std::string& cookie_header, const std::string& query_token) {
  if (!is_wildcard(address.host)) {
    std::vector<std::string> allowed{host_port(address.host, address.port)};
    if (is_loopback(address.host))
      for (const char* name : {"127.0.0.1", "localhost", "::1"}) allowed.push_back(host_port(name, address.port));
    if (std::find(allowed.begin(), allowed.end(), lower(host_header)) == allowed.end())
      return {403, "Host " + host_header + " is not the address served (" + allowed.front() + ")", false};
  }
  if (method != "GET") return {405, "only GET is served", false};
  if (address.token.empty()) return {};
  if (!query_token.empty() && same_secret(query_token, address.token)) return {200, "", true};
  if (same_secret(cookie_value(cookie_header, kTokenCookie), address.token)) return {};
  return {401, "this address needs the token printed with the URL (?token=...)", false};
}

std::string random_token() {
  std::ifstream in("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  if (!in.read(reinterpret_cast<char*>(bytes), sizeof bytes)) throw InputError("results serve: cannot read /dev/urandom for a token");
  std::string token;
  char digits[3];
  for (const unsigned char b : bytes) {
    std::snprintf(digits, sizeof digits, "%02x", b);
    token += digits;
  }
  return token;
}

}  // namespace torchsweep
