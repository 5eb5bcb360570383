// Fakes shared by the client tests: a deterministic random source, a sink that records every
// action, and a minimal scripted Teredo server that answers recorded RSs.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/actions.h"
#include "core/client_random.h"
#include "core/client_types.h"
#include "core/time.h"
#include "test_util.h"
#include "wire/encapsulation.h"
#include "wire/messages.h"
#include "wire/router_discovery.h"
#include "wire/teredo_address.h"

namespace shipworm::core::testing {

using namespace std::chrono_literals;

inline wire::Ipv4Address v4(const char* s) { return *wire::Ipv4Address::parse(s); }
inline wire::Ipv6Address v6(const char* s) { return *wire::Ipv6Address::parse(s); }

inline const TimePoint t0{};
inline const ServerPair kServer{v4("198.51.100.1"), v4("198.51.100.2")};
inline const ServerPair kServer2{v4("198.51.100.65"), v4("198.51.100.66")};
inline constexpr std::uint16_t kLocalPort = 4000;

// Bytes come from a queue when the test scripted some, else from a counter, so that two
// draws never repeat (nonces differ) and every run is identical.
class FakeRandom : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) {
      if (!script_.empty()) {
        b = script_.front();
        script_.pop_front();
      } else {
        b = next_++;
      }
    }
  }
  void script(std::initializer_list<std::uint8_t> bytes) { script_.insert(script_.end(), bytes); }
  void script_u16(std::uint16_t v) {
    script({static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
  }
  // unit() reads 4 bytes: script a fraction of 2^32.
  void script_unit(double f) {
    const auto v = static_cast<std::uint32_t>(f * 4294967296.0);
    script({static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
  }

 private:
  std::deque<std::uint8_t> script_;
  std::uint8_t next_ = 0x11;
};

struct SentUdp {
  wire::Endpoint to;
  std::vector<std::uint8_t> payload;
};

class RecordingSink : public ActionSink {
 public:
  void send_udp(const wire::Endpoint& to, wire::Bytes payload) override {
    udp.push_back({to, {payload.begin(), payload.end()}});
  }
  void write_tun(wire::Bytes p) override { tun.emplace_back(p.begin(), p.end()); }
  void state_changed(const ClientStatus& s) override { states.push_back(s); }
  void address_changed(const AddressChange& c) override {
    addresses.push_back({c.old_address, c.new_address, c.mtu, std::string(c.cause)});
  }
  void clear() {
    udp.clear();
    tun.clear();
    states.clear();
    addresses.clear();
  }

  struct Address {
    std::optional<wire::Ipv6Address> old_address, new_address;
    std::uint32_t mtu;
    std::string cause;
  };
  std::vector<SentUdp> udp;
  std::vector<std::vector<std::uint8_t>> tun;
  std::vector<ClientStatus> states;
  std::vector<Address> addresses;
};

// The nonce of a recorded RS (asserting it is one).
inline wire::Nonce rs_nonce(const SentUdp& s) {
  auto p = wire::classify(s.payload);
  EXPECT_TRUE(p.ok());
  if (!p.ok() || !p->auth) {
    ADD_FAILURE() << "not an RS with an auth header";
    return {};
  }
  return p->auth->nonce;
}

inline bool is_rs(const SentUdp& s) {
  auto p = wire::classify(s.payload);
  if (!p.ok()) return false;
  return p->ipv6.next_header == wire::kNextHeaderIcmpv6 && p->ipv6.payload_length >= 1 &&
         p->ipv6.payload()[0] == wire::kIcmpRouterSolicitation;
}

// A well-formed RA datagram as a Teredo server sends it (wire::write_ra_datagram).
inline std::vector<std::uint8_t> ra_datagram(const wire::Nonce& nonce, wire::Endpoint mapping,
                                             wire::Ipv4Address server = kServer.primary,
                                             std::optional<std::uint32_t> mtu = 1280) {
  test::Buffer b;
  wire::RaDatagramParams p;
  p.server = server;
  p.client_ll = wire::client_rs_link_local(false);
  p.mapping = mapping;
  p.nonce = nonce;
  p.mtu = mtu;
  EXPECT_TRUE(wire::write_ra_datagram(b.w, p));
  return b.vec();
}

// auth(nonce) | origin(mapping) | the given IPv6 packet: for RAs with one defect.
inline std::vector<std::uint8_t> wrap(const std::optional<wire::Nonce>& nonce,
                                      const std::optional<wire::Endpoint>& origin,
                                      const std::vector<std::uint8_t>& ipv6) {
  test::Buffer b;
  if (nonce) wire::write_auth_header(b.w, {}, {}, *nonce, 0);
  if (origin) wire::write_origin_indication(b.w, *origin);
  b.w.bytes(ipv6);
  return b.vec();
}

inline std::vector<std::uint8_t> ra_packet(const wire::RouterAdvertisementParams& p) {
  test::Buffer b;
  EXPECT_TRUE(wire::write_router_advertisement(b.w, p));
  return b.vec();
}

inline wire::RouterAdvertisementParams good_ra_params(wire::Ipv4Address server = kServer.primary) {
  wire::RouterAdvertisementParams p;
  p.src = wire::server_link_local(server);
  p.dst = wire::client_rs_link_local(false);
  p.prefix.prefix = wire::teredo_prefix(server);
  return p;
}

}  // namespace shipworm::core::testing
