// Who may talk to `torchsweep results serve`: the checks every request passes before
// it is answered, as pure functions of the request's method and headers, so that they
// are tested without a socket. What they promise is in docs/cli.md (results serve).
#pragma once

#include <string>

namespace torchsweep {

/// Where the server listens and the token a non-loopback bind requires.
struct ServeAddress {
  std::string host = "127.0.0.1";  ///< --host as given
  int port = 0;                    ///< the port bound (the one picked for --port 0)
  std::string token;               ///< empty on a loopback address: no token asked
};

/// 127.0.0.0/8, ::1 and localhost: only this machine's processes can connect.
bool is_loopback(const std::string& host);
/// 0.0.0.0 and :: (every interface): any name of the machine may be in the Host header.
bool is_wildcard(const std::string& host);
/// The URL to open: http://HOST:PORT/ (with ?token=… when a token is asked); a
/// wildcard address is shown as this machine's name `hostname`.
std::string serve_url(const ServeAddress& address, const std::string& hostname);

/// The name of the cookie that carries the token after the first request.
inline constexpr const char* kTokenCookie = "torchsweep_token";

/// What to do with one request.
struct GuardVerdict {
  int status = 200;         ///< 200: answer it; else refuse with this status
  std::string reason;       ///< why it was refused, for the response body
  bool set_cookie = false;  ///< the token came in the URL: hand it over as a cookie
};

/// In order: a Host header that is not the address served (DNS rebinding: a page of
/// another site whose name now points here) is 403, except on a wildcard bind, which
/// relies on the token; a method other than GET is 405; without the token (as
/// ?token= or the cookie) where one is asked, 401.
GuardVerdict check_request(const ServeAddress& address, const std::string& method, const std::string& host_header,
                           const std::string& cookie_header, const std::string& query_token);

/// 32 hexadecimal digits from /dev/urandom.
std::string random_token();

}  // namespace torchsweep
