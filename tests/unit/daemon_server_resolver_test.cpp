// The client's server names: literals, names from /etc/hosts ("localhost"), and a name that
// cannot resolve ("no-such-host.invalid": RFC 6761 §6.4 reserves .invalid, so it fails
// without any answer to wait for). No test needs a DNS server.
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>

#include "daemon/server_resolver.h"

namespace shipworm::daemon {
namespace {

using namespace std::chrono_literals;
using wire::Ipv4Address;

constexpr Ipv4Address kLoopback{0x7f000001};

ServerName literal(std::uint32_t a) { return {Ipv4Address{a}.to_string(), Ipv4Address{a}}; }
ServerName name(std::string n) { return {std::move(n), std::nullopt}; }

TEST(ResolveOne, LiteralIsUsedAsIs) {
  std::string error;
  EXPECT_EQ(resolve_one(literal(0xc0000201), error), Ipv4Address{0xc0000201});
  EXPECT_TRUE(error.empty());
}

TEST(ResolveOne, NumericNameResolvesWithoutLookup) {
  std::string error;
  EXPECT_EQ(resolve_one(name("192.0.2.7"), error), Ipv4Address{0xc0000207});
}

TEST(ResolveOne, NameFromHostsFileResolvesToIpv4) {
  std::string error;
  EXPECT_EQ(resolve_one(name("localhost"), error), kLoopback) << error;
}

TEST(ResolveOne, InvalidNameFailsQuicklyWithItsName) {
  std::string error;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(resolve_one(name("no-such-host.invalid"), error).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(error.find("cannot resolve server name 'no-such-host.invalid'"), std::string::npos)
      << error;
}

// RFC 4380 §5.2: the secondary server address is the primary's + 1 unless configured.
TEST(ResolveServers, SecondaryDefaultsToPrimaryPlusOne) {
  ClientConfig c;
  c.server = literal(0xc0000201);
  const Resolved r = resolve_servers(c);
  ASSERT_EQ(r.servers.size(), 1U);
  EXPECT_EQ(r.servers[0], (core::ServerPair{Ipv4Address{0xc0000201}, Ipv4Address{0xc0000202}}));
  EXPECT_TRUE(r.errors.empty());
}

TEST(ResolveServers, FallbacksFollowInOrderWithoutDuplicates) {
  ClientConfig c;
  c.server = name("localhost");
  c.server2 = literal(0x7f000005);
  c.fallback_servers = {literal(0xc0000201), name("no-such-host.invalid"), literal(0xc0000201),
                        literal(0xc6336401)};
  const Resolved r = resolve_servers(c);
  ASSERT_EQ(r.servers.size(), 3U);
  EXPECT_EQ(r.servers[0], (core::ServerPair{kLoopback, Ipv4Address{0x7f000005}}));
  EXPECT_EQ(r.servers[1], (core::ServerPair{Ipv4Address{0xc0000201}, Ipv4Address{0xc0000202}}));
  EXPECT_EQ(r.servers[2], (core::ServerPair{Ipv4Address{0xc6336401}, Ipv4Address{0xc6336402}}));
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_NE(r.errors[0].find("no-such-host.invalid"), std::string::npos);
}

TEST(ResolveServers, UnresolvableSecondaryFallsBackToPrimaryPlusOne) {
  ClientConfig c;
  c.server = literal(0xc0000201);
  c.server2 = name("no-such-host.invalid");
  const Resolved r = resolve_servers(c);
  ASSERT_EQ(r.servers.size(), 1U);
  EXPECT_EQ(r.servers[0].secondary, Ipv4Address{0xc0000202});
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_NE(r.errors[0].find("; using 192.0.2.2 as the secondary"), std::string::npos);
}

TEST(ResolveServers, NothingResolvableGivesNoServer) {
  ClientConfig c;
  c.server = name("no-such-host.invalid");
  const Resolved r = resolve_servers(c);
  EXPECT_TRUE(r.servers.empty());
  EXPECT_EQ(r.errors.size(), 1U);
}

TEST(HasNames, OnlyLiteralsNeedNoReResolution) {
  ClientConfig c;
  c.server = literal(0xc0000201);
  EXPECT_FALSE(has_names(c));
  c.fallback_servers = {name("localhost")};
  EXPECT_TRUE(has_names(c));
  c.fallback_servers.clear();
  c.server2 = name("localhost");
  EXPECT_TRUE(has_names(c));
}

// The thread posts its result through the eventfd; busy() holds until it is taken.
TEST(AsyncResolver, ResultArrivesThroughTheEventfd) {
  AsyncResolver resolver;
  ASSERT_TRUE(resolver.open());
  EXPECT_FALSE(resolver.take().has_value());  // nothing yet
  ClientConfig c;
  c.server = name("localhost");
  resolver.start(c);
  EXPECT_TRUE(resolver.busy());
  resolver.start(c);  // ignored while busy
  pollfd p{resolver.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  auto r = resolver.take();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(resolver.busy());
  ASSERT_EQ(r->servers.size(), 1U);
  EXPECT_EQ(r->servers[0].primary, kLoopback);
  EXPECT_FALSE(resolver.take().has_value());  // taken once
}

// Nothing resolvable: again after 10 s, doubling to 300 s; a success resets the backoff.
TEST(ResolveRetry, BackoffDoublesFromTenSecondsToFiveMinutes) {
  ResolveRetry retry;
  const core::TimePoint t0{};
  EXPECT_FALSE(retry.at().has_value());
  EXPECT_EQ(retry.failed(t0), 10s);
  EXPECT_EQ(retry.at(), t0 + 10s);
  EXPECT_EQ(retry.failed(t0), 20s);
  EXPECT_EQ(retry.failed(t0), 40s);
  EXPECT_EQ(retry.failed(t0), 80s);
  EXPECT_EQ(retry.failed(t0), 160s);
  EXPECT_EQ(retry.failed(t0), 300s);
  EXPECT_EQ(retry.failed(t0), 300s);
  retry.succeeded();
  EXPECT_FALSE(retry.at().has_value());
  EXPECT_EQ(retry.failed(t0), 10s);
}

TEST(ResolveRetry, DueOnceAtTheScheduledTime) {
  ResolveRetry retry;
  const core::TimePoint t0{};
  EXPECT_FALSE(retry.due(t0 + 1h));  // nothing scheduled
  (void)retry.failed(t0);
  EXPECT_FALSE(retry.due(t0 + 9s));
  EXPECT_TRUE(retry.due(t0 + 10s));
  EXPECT_FALSE(retry.due(t0 + 11s));
  EXPECT_FALSE(retry.at().has_value());
}

}  // namespace
}  // namespace shipworm::daemon
