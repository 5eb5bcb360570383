// Scenario building blocks: a standard topology (one server, relays, a native IPv6 host,
// clients each behind its own NAT) and the seed loop every scenario runs in.
//
// Seeds: each scenario runs `count` seeds (SHIPWORM_SIM_SEEDS=N overrides the count). On the
// first failing seed it stops and prints "replay: SHIPWORM_SIM_SEED=<n>"; with that variable
// set only that seed runs, and the run is identical (everything random comes from the seed).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nat_model.h"
#include "sim_host.h"
#include "world.h"

namespace shipworm::sim {

// Runs body(seed) over the seeds of this scenario, stopping at the first failure.
void for_each_seed(std::uint64_t count, const std::function<void(std::uint64_t)>& body);

struct ClientOptions {
  LinkProfile link{};
  core::Duration mapping_timeout = std::chrono::seconds(120);
  bool hairpinning = false;
  NatModel* behind = nullptr;  // share this NAT instead of creating one
  std::function<void(core::ClientEngineConfig&)> tweak;

  static ClientOptions on(LinkProfile l) {
    ClientOptions o;
    o.link = l;
    return o;
  }
};

// A parameter name for gtest ("port_restricted").
std::string nat_param_name(const ::testing::TestParamInfo<NatKind>& info);

class Scenario {
 public:
  explicit Scenario(std::uint64_t seed, LinkProfile infrastructure = {});

  ClientHost& add_client(NatKind kind, const ClientOptions& options = {});
  // nonces: see RelayHost (false: an RFC 4380-only relay, as Miredo's).
  RelayHost& add_relay(int region, std::function<void(core::RelayEngineConfig&)> tweak = {},
                       bool nonces = true);
  NativeHost& add_native(int region);
  NatModel& nat_of(const ClientHost& c) const;

  // Starts every client and runs until all are qualified (or `limit` passes).
  bool qualify_all(core::Duration limit = std::chrono::seconds(60));

  World world;
  ServerHost& server;
  core::ServerPair pair;
  LinkProfile infrastructure;
  std::vector<ClientHost*> clients;
  std::vector<RelayHost*> relays;

 private:
  std::vector<std::pair<const ClientHost*, NatModel*>> nats_;
  int next_nat_ = 0;
  int next_relay_ = 0;
  int next_native_ = 0;
};

// Expectations over the recorded traffic.
std::string describe(const ClientHost& c);

}  // namespace shipworm::sim
