#include "wire/icmpv6_errors.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "wire/bubble.h"
#include "wire/icmpv6.h"

namespace shipworm::wire {
namespace {

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

std::vector<std::uint8_t> echo_packet(std::size_t data, const char* src = "2001:db8::1",
                                      const char* dst = "2001:0:c633:6401::1") {
  test::Buffer b;
  b.storage.resize(4096);
  b.w = Writer{b.storage};
  std::vector<std::uint8_t> payload(data, 0xab);
  EXPECT_TRUE(write_echo(b.w, EchoParams{true, v6(src), v6(dst), 64, 1, 2, payload}));
  return b.vec();
}

TEST(Icmpv6Errors, Rfc4443_3_1_AddressUnreachableCarriesInvokingPacket) {
  const auto inv = echo_packet(16);
  test::Buffer b;
  ASSERT_TRUE(write_icmpv6_error(b.w, v6("2001:db8::ff"), v6("2001:db8::1"),
                                 kIcmpDestinationUnreachable, kUnreachableAddress, inv));
  const auto ip = parse_ipv6(b.bytes());
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->dst, v6("2001:db8::1"));
  EXPECT_EQ(ip->hop_limit, 255);
  const auto icmp = parse_icmpv6(*ip);  // verifies the checksum
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, 1);
  EXPECT_EQ(icmp->code, 3);
  ASSERT_EQ(icmp->message.size(), 8 + inv.size());
  EXPECT_TRUE(std::equal(inv.begin(), inv.end(), icmp->message.begin() + 8));
}

TEST(Icmpv6Errors, Rfc4443_2_4_c_ErrorIsTruncatedTo1280Bytes) {
  const auto inv = echo_packet(2000);
  std::vector<std::uint8_t> out(4096);
  Writer w(out);
  ASSERT_TRUE(write_icmpv6_error(w, v6("2001:db8::ff"), v6("2001:db8::1"), kIcmpTimeExceeded,
                                 kTimeExceededHopLimit, inv));
  EXPECT_EQ(w.size(), 1280u);
  const auto ip = parse_ipv6(w.written());
  ASSERT_TRUE(ip.ok());
  EXPECT_TRUE(parse_icmpv6(*ip).ok());
}

TEST(Icmpv6Errors, Rfc4443_2_4_e_NoErrorAboutErrorsMulticastOrUnspecifiedSource) {
  const auto ok = echo_packet(8);
  EXPECT_TRUE(icmpv6_error_allowed(*parse_ipv6(ok)));

  test::Buffer err;
  ASSERT_TRUE(write_icmpv6_error(err.w, v6("2001:db8::ff"), v6("2001:0:c633:6401::1"),
                                 kIcmpDestinationUnreachable, kUnreachableAddress, ok));
  EXPECT_FALSE(icmpv6_error_allowed(*parse_ipv6(err.bytes())));

  EXPECT_FALSE(icmpv6_error_allowed(*parse_ipv6(echo_packet(8, "2001:db8::1", "ff0e::1"))));
  EXPECT_FALSE(icmpv6_error_allowed(*parse_ipv6(echo_packet(8, "::", "2001:0:c633:6401::1"))));
  EXPECT_FALSE(icmpv6_error_allowed(*parse_ipv6(echo_packet(8, "ff02::1", "2001:0:c633:6401::1"))));

  test::Buffer bubble;
  ASSERT_TRUE(write_bubble(bubble.w, v6("2001:db8::1"), v6("2001:0:c633:6401::1"), 0));
  EXPECT_TRUE(icmpv6_error_allowed(*parse_ipv6(bubble.bytes())));
}

TEST(Icmpv6Errors, OverflowingWriterFails) {
  const auto inv = echo_packet(100);
  std::vector<std::uint8_t> out(60);
  Writer w(out);
  EXPECT_FALSE(
      write_icmpv6_error(w, v6("2001:db8::ff"), v6("2001:db8::1"), kIcmpTimeExceeded, 0, inv));
}

}  // namespace
}  // namespace shipworm::wire
