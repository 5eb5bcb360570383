// The ClientEngine test fixture: a fake clock, a fake random source and a recording sink,
// qualification in one call, and packet builders. Shared by core_client_engine_test.cpp and
// core_client_roaming_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include "core/client_engine.h"
#include "core_client_test_fakes.h"
#include "wire/bubble.h"
#include "wire/icmpv6.h"
#include "wire/trailers.h"

namespace shipworm::core {
namespace {

using namespace testing;  // core_client_test_fakes.h: v4, kServer, t0, FakeRandom, RecordingSink

using wire::Endpoint;
using wire::Ipv6Address;
using wire::TeredoAddress;

const Endpoint kMapping{v4("203.0.113.7"), 4000};
const Endpoint kPeerMapping{v4("192.0.2.20"), 50000};
const Ipv6Address kPeer = TeredoAddress{kServer2.primary, 0x0123, kPeerMapping}.to_ipv6();
const Ipv6Address kNative = v6("2001:db8::10");
const Endpoint kRelay{v4("192.0.2.99"), 3544};
const Endpoint kRelay2{v4("192.0.2.98"), 3544};

std::vector<std::uint8_t> data_packet(const Ipv6Address& src, const Ipv6Address& dst,
                                      std::size_t len = 20, std::uint8_t fill = 0xab) {
  test::Buffer b;
  b.storage.resize(2048);
  b.w = wire::Writer(b.storage);
  wire::write_ipv6_header(b.w, {src, dst, 17, 64, static_cast<std::uint16_t>(len), 0, 0});
  b.w.bytes(std::vector<std::uint8_t>(len, fill));
  return b.vec();
}

[[maybe_unused]] std::vector<std::uint8_t> bubble(const Ipv6Address& src, const Ipv6Address& dst,
                                                  std::optional<wire::Nonce32> nonce = std::nullopt,
                                                  std::optional<Endpoint> origin = std::nullopt) {
  test::Buffer b;
  if (origin) wire::write_origin_indication(b.w, *origin);
  wire::write_bubble(b.w, src, dst, 0);
  if (nonce) wire::write_nonce_trailer(b.w, *nonce);
  return b.vec();
}

[[maybe_unused]] std::vector<std::uint8_t> echo(bool request, const Ipv6Address& src,
                                                const Ipv6Address& dst, wire::Bytes data) {
  test::Buffer b;
  EXPECT_TRUE(wire::write_echo(b.w, wire::EchoParams{request, src, dst, 64, 1, 1, data}));
  return b.vec();
}

// Move-only: `packet` points into `bytes`, so a copy would point into the original.
struct Parsed {
  Parsed() = default;
  Parsed(Parsed&&) = default;
  Parsed& operator=(Parsed&&) = default;
  Parsed(const Parsed&) = delete;
  Parsed& operator=(const Parsed&) = delete;
  wire::TeredoPacket packet;
  std::vector<std::uint8_t> bytes;  // keeps the spans alive
};

class ClientEngineTest : public ::testing::Test {
 protected:
  ClientEngineConfig config() {
    ClientEngineConfig c;
    c.servers = {kServer};
    c.qualification.local_port = 5000;
    c.peers.hash_key = 7;
    c.hash_key = 9;
    return c;
  }
  void make(ClientEngineConfig c) { e_ = std::make_unique<ClientEngine>(std::move(c), random_); }

  // Runs qualification at t0 with the given mappings; afterwards now_ = t0 + 100 ms.
  void qualify(Endpoint primary = kMapping, Endpoint secondary = kMapping) {
    if (!e_) make(config());
    now_ = t0;
    e_->start(now_, sink_);
    answer_rs(primary);
    answer_rs(secondary);
    now_ = t0 + 100ms;
    ASSERT_EQ(e_->state(), ClientState::kQualified) << e_->cause();
    own_ = e_->address()->to_ipv6();
  }
  // Answers the last RS the engine sent with a good RA.
  void answer_rs(Endpoint mapping) {
    ASSERT_FALSE(sink_.udp.empty());
    const SentUdp rs = sink_.udp.back();
    ASSERT_TRUE(is_rs(rs));
    const auto ra = ra_datagram(rs_nonce(rs), mapping);
    e_->on_udp(now_, rs.to, ra, sink_);
  }
  // Moves time to `to`, running every timer on the way; RSs to the server are answered with
  // kMapping (so maintenance keeps the address) unless `server_up` is false.
  void run_until(TimePoint to, bool server_up = true) {
    for (int guard = 0; guard < 10000; ++guard) {
      const TimePoint d = e_->next_deadline();
      if (d == kNoDeadline || d > to) break;
      now_ = std::max(now_, d);
      const std::size_t before = sink_.udp.size();
      e_->on_timer(now_, sink_);
      for (std::size_t i = before; i < sink_.udp.size(); ++i) {
        if (server_up && is_rs(sink_.udp[i]) && sink_.udp[i].to == kServer.primary_endpoint()) {
          const auto ra = ra_datagram(rs_nonce(sink_.udp[i]), kMapping);
          e_->on_udp(now_, sink_.udp[i].to, ra, sink_);
        }
      }
    }
    now_ = to;
    e_->on_timer(now_, sink_);
  }
  void udp(Endpoint from, const std::vector<std::uint8_t>& payload) {
    e_->on_udp(now_, from, payload, sink_);
  }
  void tun(const std::vector<std::uint8_t>& packet) { e_->on_tun(now_, packet, sink_); }
  std::uint64_t dropped(ClientDrop d) const { return e_->counters().count(d); }

  // Sent datagrams to `to` (excluding RSs), parsed.
  std::vector<Parsed> sent_to(Endpoint to) const {
    std::vector<Parsed> out;
    for (const auto& s : sink_.udp) {
      if (s.to != to || is_rs(s)) continue;
      Parsed p;
      p.bytes = s.payload;
      auto c = wire::classify(p.bytes);
      EXPECT_TRUE(c.ok());
      if (!c.ok()) continue;
      p.packet = *c;
      out.push_back(std::move(p));
    }
    return out;
  }
  // Note: Parsed::packet spans point into Parsed::bytes; vectors move their buffer, so the
  // spans stay valid after push_back.

  FakeRandom random_;
  RecordingSink sink_;
  std::unique_ptr<ClientEngine> e_;
  TimePoint now_ = t0;
  Ipv6Address own_;
};

}  // namespace
}  // namespace shipworm::core
