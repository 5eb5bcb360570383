#include "scenario.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

namespace shipworm::sim {
namespace {

const core::ServerPair kPair{*wire::Ipv4Address::parse("198.51.100.1"),
                             *wire::Ipv4Address::parse("198.51.100.2")};

core::ServerEngineConfig server_config() {
  core::ServerEngineConfig c;
  c.primary = kPair.primary;
  c.secondary = kPair.secondary;
  return c;
}

}  // namespace

void for_each_seed(std::uint64_t count, const std::function<void(std::uint64_t)>& body) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string filter = std::string(info->test_suite_name()) + "." + info->name();
  if (const char* one = std::getenv("SHIPWORM_SIM_SEED")) {
    const std::uint64_t seed = std::strtoull(one, nullptr, 10);
    SCOPED_TRACE("seed " + std::to_string(seed));
    body(seed);
    return;
  }
  if (const char* n = std::getenv("SHIPWORM_SIM_SEEDS")) count = std::strtoull(n, nullptr, 10);
  for (std::uint64_t seed = 1; seed <= count; ++seed) {
    {
      SCOPED_TRACE("seed " + std::to_string(seed));
      body(seed);
    }
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "failing seed " << seed << "; replay: SHIPWORM_SIM_SEED=" << seed
                    << " ./sim_tests --gtest_filter=" << filter;
      return;
    }
  }
}

Scenario::Scenario(std::uint64_t seed, LinkProfile infra)
    : world(seed),
      server(world.add<ServerHost>("server", 0, server_config())),
      pair(kPair),
      infrastructure(infra) {
  world.attach_public(server, pair.primary, infrastructure);
  world.attach_public(server, pair.secondary, infrastructure);
}

ClientHost& Scenario::add_client(NatKind kind, const ClientOptions& o) {
  const int i = next_nat_++;
  NatModel* nat = o.behind;
  if (nat == nullptr) {
    NatConfig nc;
    nc.kind = kind;
    nc.public_ip = wire::Ipv4Address::from_octets(203, 0, 113, static_cast<std::uint8_t>(10 + i));
    nc.mapping_timeout = o.mapping_timeout;
    nc.hairpinning = o.hairpinning;
    nat = &world.add_nat(nc, o.link);
  }
  const auto private_ip = wire::Ipv4Address::from_octets(10, 0, static_cast<std::uint8_t>(i), 2);
  const auto port = static_cast<std::uint16_t>(world.random().between(1024, 65535));
  core::ClientEngineConfig cc;
  cc.servers = {pair};
  if (o.tweak) o.tweak(cc);
  auto& c =
      world.add<ClientHost>("client" + std::to_string(i) + "(" + std::string(to_string(kind)) + ")",
                            0, wire::Endpoint{private_ip, port}, std::move(cc));
  world.attach_private(c, *nat, private_ip);
  nats_.emplace_back(&c, nat);
  clients.push_back(&c);
  return c;
}

RelayHost& Scenario::add_relay(int region, std::function<void(core::RelayEngineConfig&)> tweak,
                               bool nonces) {
  const int i = next_relay_++;
  const wire::Endpoint ep{
      wire::Ipv4Address::from_octets(192, 0, 2, static_cast<std::uint8_t>(10 + i)),
      wire::kTeredoPort};
  core::RelayEngineConfig rc;
  rc.table.capacity = 1024;
  if (tweak) tweak(rc);
  auto& r = world.add<RelayHost>("relay" + std::to_string(i), region, ep, std::move(rc), nonces);
  world.attach_public(r, ep.address, infrastructure);
  world.cloud().add_relay(&r);
  relays.push_back(&r);
  return r;
}

NativeHost& Scenario::add_native(int region) {
  const int i = next_native_++;
  auto a = *wire::Ipv6Address::parse("2001:db8::10");
  a.bytes[15] = static_cast<std::uint8_t>(0x10 + i);
  return world.add<NativeHost>("native" + std::to_string(i), region, a);
}

NatModel& Scenario::nat_of(const ClientHost& c) const {
  for (const auto& [h, n] : nats_) {
    if (h == &c) return *n;
  }
  std::abort();
}

bool Scenario::qualify_all(core::Duration limit) {
  for (auto* c : clients) c->start();
  return world.run_until_true(
      [this] {
        for (auto* c : clients) {
          if (c->engine().state() != core::ClientState::kQualified) return false;
        }
        return true;
      },
      limit);
}

std::string nat_param_name(const ::testing::TestParamInfo<NatKind>& info) {
  std::string n(to_string(info.param));
  for (auto& ch : n) ch = ch == '-' ? '_' : ch;
  return n;
}

std::string describe(const ClientHost& c) {
  const auto& e = c.engine();
  return c.name() + " state=" + std::string(core::to_string(e.state())) +
         " nat=" + std::string(core::to_string(e.nat_type())) + " cause=" + e.cause();
}

}  // namespace shipworm::sim
