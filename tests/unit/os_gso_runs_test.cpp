// gso_run_length: which consecutive datagrams of a batch can leave as one UDP_SEGMENT
// message. Pure; no kernel.
#include <gtest/gtest.h>

#include <vector>

#include "os/linux/gso_runs.h"

namespace shipworm::os {
namespace {

using wire::Endpoint;
using wire::Ipv4Address;

const Endpoint kA{Ipv4Address::from_octets(192, 0, 2, 10), 4000};
const Endpoint kB{Ipv4Address::from_octets(192, 0, 2, 11), 4000};
const Ipv4Address kSource = Ipv4Address::from_octets(198, 51, 100, 1);

Datagram dg(Endpoint peer, std::size_t length, Ipv4Address local = {}) {
  Datagram d;
  d.peer = peer;
  d.local = local;
  d.length = length;
  return d;
}

// All runs of a batch, as lengths, from `from` on.
std::vector<std::size_t> runs(const std::vector<Datagram>& d, std::size_t from = 0) {
  std::vector<std::size_t> out;
  for (std::size_t i = from; i < d.size();) {
    const std::size_t n = gso_run_length(d, i);
    EXPECT_GE(n, 1U);
    out.push_back(n);
    i += n;
  }
  return out;
}

TEST(GsoRuns, EmptyAndPastTheEnd) {
  const std::vector<Datagram> none;
  EXPECT_EQ(gso_run_length(none, 0), 0U);
  const std::vector<Datagram> one = {dg(kA, 100)};
  EXPECT_EQ(gso_run_length(one, 0), 1U);
  EXPECT_EQ(gso_run_length(one, 1), 0U);
}

TEST(GsoRuns, SameSizeSamePeerIsOneRun) {
  const std::vector<Datagram> d(10, dg(kA, 1280));
  EXPECT_EQ(runs(d), (std::vector<std::size_t>{10}));
  EXPECT_EQ(runs(d, 4), (std::vector<std::size_t>{6}));
}

TEST(GsoRuns, LastMayBeShorterAndEndsTheRun) {
  const std::vector<Datagram> d = {dg(kA, 100), dg(kA, 100), dg(kA, 60), dg(kA, 60)};
  EXPECT_EQ(runs(d), (std::vector<std::size_t>{3, 1}));
}

TEST(GsoRuns, LongerDatagramStartsANewRun) {
  const std::vector<Datagram> d = {dg(kA, 100), dg(kA, 100), dg(kA, 101), dg(kA, 101)};
  EXPECT_EQ(runs(d), (std::vector<std::size_t>{2, 2}));
}

TEST(GsoRuns, PeerOrSourceChangeSplits) {
  const std::vector<Datagram> d = {dg(kA, 64), dg(kA, 64),          dg(kB, 64),
                                   dg(kA, 64), dg(kA, 64, kSource), dg(kA, 64, kSource)};
  EXPECT_EQ(runs(d), (std::vector<std::size_t>{2, 1, 1, 2}));
  // Same address, other port: another peer.
  const std::vector<Datagram> ports = {dg(kA, 64), dg({kA.address, 4001}, 64)};
  EXPECT_EQ(runs(ports), (std::vector<std::size_t>{1, 1}));
}

TEST(GsoRuns, ZeroLengthNeverJoins) {
  const std::vector<Datagram> d = {dg(kA, 0), dg(kA, 0), dg(kA, 10), dg(kA, 0)};
  EXPECT_EQ(runs(d), (std::vector<std::size_t>{1, 1, 1, 1}));
}

TEST(GsoRuns, CappedAtSegmentsAndBytes) {
  const std::vector<Datagram> small(150, dg(kA, 64));
  EXPECT_EQ(runs(small), (std::vector<std::size_t>{64, 64, 22}));
  // 1280-byte datagrams: 50 of them are 64000 bytes, a 51st would pass 65000.
  const std::vector<Datagram> big(60, dg(kA, 1280));
  EXPECT_EQ(runs(big), (std::vector<std::size_t>{50, 10}));
  // A datagram larger than the byte cap alone is sent alone.
  const std::vector<Datagram> huge = {dg(kA, 65001), dg(kA, 65001)};
  EXPECT_EQ(runs(huge), (std::vector<std::size_t>{1, 1}));
  // Explicit caps.
  const std::vector<Datagram> d(10, dg(kA, 100));
  EXPECT_EQ(gso_run_length(d, 0, 4), 4U);
  EXPECT_EQ(gso_run_length(d, 0, 64, 350), 3U);
}

}  // namespace
}  // namespace shipworm::os
