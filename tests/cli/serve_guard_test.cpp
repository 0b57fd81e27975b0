// The checks every request to `results serve` passes: Host (DNS rebinding), method,
// token; each case's expected status follows from the rules in cli/serve_guard.h.
#include <gtest/gtest.h>

#include <string>

#include "cli/serve_guard.h"

namespace {

using torchsweep::check_request;
using torchsweep::ServeAddress;

ServeAddress loopback() {
  ServeAddress a;
  a.host = "127.0.0.1";
  a.port = 8050;
  return a;
}

TEST(ServeGuard, LoopbackAcceptsItsOwnNamesOnly) {
  const auto a = loopback();
  EXPECT_EQ(check_request(a, "GET", "127.0.0.1:8050", "", "").status, 200);
  EXPECT_EQ(check_request(a, "GET", "localhost:8050", "", "").status, 200);
  EXPECT_EQ(check_request(a, "GET", "LOCALHOST:8050", "", "").status, 200);
  EXPECT_EQ(check_request(a, "GET", "[::1]:8050", "", "").status, 200);
  // A rebinding page: its own name, or our address with another port, or none.
  EXPECT_EQ(check_request(a, "GET", "attacker.example:8050", "", "").status, 403);
  EXPECT_EQ(check_request(a, "GET", "127.0.0.1:8051", "", "").status, 403);
  EXPECT_EQ(check_request(a, "GET", "127.0.0.1", "", "").status, 403);
  EXPECT_EQ(check_request(a, "GET", "", "", "").status, 403);
}

TEST(ServeGuard, OnlyGetIsServed) {
  const auto a = loopback();
  EXPECT_EQ(check_request(a, "POST", "127.0.0.1:8050", "", "").status, 405);
  EXPECT_EQ(check_request(a, "PUT", "127.0.0.1:8050", "", "").status, 405);
  EXPECT_EQ(check_request(a, "DELETE", "127.0.0.1:8050", "", "").status, 405);
  // The Host check comes first: a foreign page learns nothing of the methods.
  EXPECT_EQ(check_request(a, "POST", "evil.example:8050", "", "").status, 403);
}

TEST(ServeGuard, ANonLoopbackAddressAsksForItsToken) {
  ServeAddress a;
  a.host = "10.1.2.3";
  a.port = 9000;
  a.token = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(check_request(a, "GET", "10.1.2.3:9000", "", "").status, 401);
  EXPECT_EQ(check_request(a, "GET", "10.1.2.3:9000", "", "wrong").status, 401);
  EXPECT_EQ(check_request(a, "GET", "10.1.2.3:9000", "torchsweep_token=wrong", "").status, 401);
  // In the URL: served, and handed over as a cookie.
  const auto first = check_request(a, "GET", "10.1.2.3:9000", "", a.token);
  EXPECT_EQ(first.status, 200);
  EXPECT_TRUE(first.set_cookie);
  // Then the cookie alone, among others.
  const auto later = check_request(a, "GET", "10.1.2.3:9000", "theme=dark; torchsweep_token=" + a.token, "");
  EXPECT_EQ(later.status, 200);
  EXPECT_FALSE(later.set_cookie);
  EXPECT_EQ(check_request(a, "GET", "other.example:9000", "", a.token).status, 403);
}

TEST(ServeGuard, AWildcardBindTakesAnyHostButStillTheToken) {
  ServeAddress a;
  a.host = "0.0.0.0";
  a.port = 9000;
  a.token = "feedfeedfeedfeedfeedfeedfeedfeed";
  EXPECT_EQ(check_request(a, "GET", "login1.cluster:9000", "", "").status, 401);
  EXPECT_EQ(check_request(a, "GET", "login1.cluster:9000", "", a.token).status, 200);
  EXPECT_EQ(torchsweep::serve_url(a, "login1"), "http://login1:9000/?token=" + a.token);
  EXPECT_EQ(torchsweep::serve_url(loopback(), "login1"), "http://127.0.0.1:8050/");
}

TEST(ServeGuard, LoopbackNames) {
  EXPECT_TRUE(torchsweep::is_loopback("127.0.0.1"));
  EXPECT_TRUE(torchsweep::is_loopback("127.3.2.1"));
  EXPECT_TRUE(torchsweep::is_loopback("::1"));
  EXPECT_TRUE(torchsweep::is_loopback("localhost"));
  EXPECT_FALSE(torchsweep::is_loopback("0.0.0.0"));
  EXPECT_FALSE(torchsweep::is_loopback("192.168.1.5"));
  const auto token = torchsweep::random_token();
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
