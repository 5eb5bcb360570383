#include "wire/auth_hmac.h"

#include <gtest/gtest.h>

#include <string_view>

#include "test_util.h"
#include "wire/messages.h"
#include "wire/teredo_address.h"

namespace shipworm::wire {
namespace {

using test::from_hex;
using test::to_hex;

Bytes text(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

constexpr const char* kRs =
    "6000000000083afffe800000000000000000ffffffffffffff02000000000000000000000000000285007d3700"
    "000000";

TEST(AuthHmac, Rfc4380_5_2_2_HmacSha1RegressionVector) {
  // docs/rfc-notes.md §6.3: HMAC-SHA1("teredo-test-secret", nonce | 0x00 | RS).
  const auto rs = from_hex(kRs);
  const auto v =
      teredo_auth_value(text("teredo-test-secret"), Nonce{1, 2, 3, 4, 5, 6, 7, 8}, 0, {}, rs);
  EXPECT_EQ(to_hex(v), "105be706cbcdbd3cf457d91d6f65a357a3587d01");
}

TEST(AuthHmac, Rfc4380_5_2_2_SecureRsVerifiesWithTheRightSecretOnly) {
  test::Buffer b;
  const std::uint8_t id[] = {'c', 'l', 'i'};
  ASSERT_TRUE(write_rs_datagram(b.w, Nonce{1, 2, 3, 4, 5, 6, 7, 8}, false,
                                SecureQualification{id, text("teredo-test-secret")}));
  auto p = classify(b.bytes());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->auth.has_value());
  EXPECT_EQ(to_hex(p->auth->client_id), "636c69");
  // The value is the regression vector: the RS bytes are the same as kRs.
  EXPECT_EQ(to_hex(p->auth->auth_value), "105be706cbcdbd3cf457d91d6f65a357a3587d01");
  EXPECT_TRUE(verify_auth_value(text("teredo-test-secret"), *p));
  EXPECT_FALSE(verify_auth_value(text("teredo-test-secreT"), *p));
}

TEST(AuthHmac, Rfc4380_5_2_2_TamperingWithAnyCoveredByteFailsVerification) {
  test::Buffer b;
  ASSERT_TRUE(write_rs_datagram(b.w, Nonce{9, 9, 9, 9, 9, 9, 9, 9}, true,
                                SecureQualification{{}, text("k")}));
  const auto good = b.vec();
  // Header bytes 0..3 are framing; the value itself is 4..23; nonce, confirmation and the
  // IPv6 packet follow and are covered.
  for (std::size_t i = 24; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x01;
    auto p = classify(bad);
    if (!p.ok()) continue;  // e.g. a flipped IPv6 version nibble
    EXPECT_FALSE(verify_auth_value(text("k"), *p)) << i;
  }
  auto p = classify(good);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(verify_auth_value(text("k"), *p));
}

TEST(AuthHmac, Rfc4380_5_2_2_MissingOrShortValueDoesNotVerify) {
  test::Buffer b;
  ASSERT_TRUE(write_rs_datagram(b.w, Nonce{}, false));
  auto p = classify(b.bytes());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(verify_auth_value(text("k"), *p));
  const auto plain = from_hex(kRs);
  auto q = classify(plain);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(verify_auth_value(text("k"), *q));
}

TEST(AuthHmac, Rfc4380_5_2_2_SecureRaCoversTheOriginIndication) {
  test::Buffer b;
  RaDatagramParams ra;
  ra.server = *Ipv4Address::parse("198.51.100.1");
  ra.client_ll = client_rs_link_local(false);
  ra.mapping = {*Ipv4Address::parse("203.0.113.7"), 4000};
  ra.nonce = Nonce{1, 1, 2, 3, 5, 8, 13, 21};
  ra.secure = SecureQualification{{}, text("s3cret")};
  ASSERT_TRUE(write_ra_datagram(b.w, ra));
  auto p = classify(b.bytes());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(verify_auth_value(text("s3cret"), *p));
  auto bad = b.vec();
  bad[13 + 20 + 3] ^= 1;  // inside the origin indication
  auto q = classify(bad);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(verify_auth_value(text("s3cret"), *q));
}

}  // namespace
}  // namespace shipworm::wire
