// The nodes of the simulation. Each wraps a real, unchanged engine and drives it only
// through its public API (on_udp / on_datagram / on_tun / on_timer / next_deadline); the
// ActionSink calls go back into the World.
//
//   ClientHost  a ClientEngine on a (usually private) address, with a tiny "application"
//               that sends numbered packets and optionally reflects what it receives
//   ServerHost  a ServerEngine on its primary and secondary addresses, port 3544
//   RelayHost   a RelayEngine on a public address:3544, attached to the IPv6 cloud
//   NativeHost  an IPv6-only host: answers echo requests, reflects application packets
//
// Each also checks its invariants (bounded tables and queues, validation rules never broken
// by what it emits).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/actions.h"
#include "core/client_engine.h"
#include "core/relay_engine.h"
#include "core/server_engine.h"
#include "sim_random.h"
#include "world.h"

namespace shipworm::sim {

// --- application packets: IPv6, next header 253 (RFC 3692 experiment), 16-byte payload
// "SWSIM" + flags + u32 sequence + 6 bytes padding ---
inline constexpr std::uint8_t kAppNextHeader = 253;
std::vector<std::uint8_t> app_packet(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                                     std::uint32_t seq, bool reflection);
struct AppPacket {
  wire::Ipv6Address src, dst;
  std::uint32_t seq = 0;
  bool reflection = false;
};
std::optional<AppPacket> parse_app(wire::Bytes ipv6_packet);

struct Received {
  core::TimePoint at;
  AppPacket packet;
};

// What each host's application saw.
struct AppLog {
  std::vector<Received> received;
  std::vector<core::TimePoint> unreachable;  // ICMPv6 destination unreachable received
  [[nodiscard]] std::size_t count_from(const wire::Ipv6Address& src, bool reflection) const;
  [[nodiscard]] std::optional<core::TimePoint> first_from(const wire::Ipv6Address& src,
                                                          bool reflection,
                                                          core::TimePoint after = {}) const;
};

class ClientHost : public SimHost, public core::ActionSink {
 public:
  ClientHost(World& world, std::string name, int region, wire::Endpoint local,
             core::ClientEngineConfig config);

  void start();
  // Sends application packet `seq` to `dst` through the Teredo interface.
  void send_app(const wire::Ipv6Address& dst, std::uint32_t seq);
  bool reflect = true;  // answer each application packet with a reflection

  [[nodiscard]] core::ClientEngine& engine() { return *engine_; }
  [[nodiscard]] const core::ClientEngine& engine() const { return *engine_; }
  [[nodiscard]] std::optional<wire::Ipv6Address> address() const;
  [[nodiscard]] const wire::Endpoint& local() const { return local_; }
  AppLog app;
  struct AddressEvent {
    core::TimePoint at;
    std::optional<wire::Ipv6Address> old_address, new_address;
  };
  std::vector<AddressEvent> address_events;

  // SimHost
  void on_udp(const wire::Endpoint& local, const wire::Endpoint& from,
              wire::Bytes payload) override;
  [[nodiscard]] std::optional<core::TimePoint> deadline() const override {
    const core::TimePoint d = engine_->next_deadline();
    if (d == core::kNoDeadline) return std::nullopt;
    return d;
  }
  void on_timer() override;
  void check(std::vector<std::string>& violations) const override;
  // ActionSink
  void send_udp(const wire::Endpoint& to, wire::Bytes payload) override;
  void write_tun(wire::Bytes packet) override;
  void address_changed(const core::AddressChange& change) override;

 private:
  wire::Endpoint local_;
  SimRandom random_;
  std::unique_ptr<core::ClientEngine> engine_;
};

class ServerHost : public SimHost {
 public:
  ServerHost(World& world, std::string name, int region, core::ServerEngineConfig config);

  // Replaces the engine with a fresh one (the server keeps no client state, so clients must
  // not notice); the host is unreachable for `downtime` first.
  void restart(core::Duration downtime);
  [[nodiscard]] const core::ServerEngine& engine() const { return *engine_; }

  void on_udp(const wire::Endpoint& local, const wire::Endpoint& from,
              wire::Bytes payload) override;
  void check(std::vector<std::string>& violations) const override;

 private:
  core::ServerEngineConfig config_;
  std::unique_ptr<core::ServerEngine> engine_;
  std::vector<std::string> found_;  // violations seen while forwarding
};

class RelayHost : public SimHost, public core::ActionSink {
 public:
  // nonces: a random source for RFC 6081 §5.2 nonces in indirect bubbles, as the daemon
  // has (relay_daemon.cpp); false models an RFC 4380-only relay such as Miredo's.
  RelayHost(World& world, std::string name, int region, wire::Endpoint endpoint,
            core::RelayEngineConfig config, bool nonces = true);

  void restart(core::Duration downtime);
  [[nodiscard]] const core::RelayEngine& engine() const { return *engine_; }
  [[nodiscard]] const wire::Endpoint& endpoint() const { return endpoint_; }

  void on_udp(const wire::Endpoint& local, const wire::Endpoint& from,
              wire::Bytes payload) override;
  void on_ipv6(wire::Bytes packet) override;
  [[nodiscard]] std::optional<core::TimePoint> deadline() const override;
  void on_timer() override;
  void check(std::vector<std::string>& violations) const override;
  void send_udp(const wire::Endpoint& to, wire::Bytes payload) override;
  void write_tun(wire::Bytes packet) override;

 private:
  wire::Endpoint endpoint_;
  SimRandom random_;  // the RFC 6081 §5.2 nonces of its indirect bubbles (with nonces)
  core::RelayEngineConfig config_;
  std::unique_ptr<core::RelayEngine> engine_;
  std::optional<wire::Endpoint> udp_from_;  // set while on_udp runs
  std::vector<std::string> found_;
};

class NativeHost : public SimHost {
 public:
  NativeHost(World& world, std::string name, int region, wire::Ipv6Address address);
  void send_app(const wire::Ipv6Address& dst, std::uint32_t seq);
  [[nodiscard]] const wire::Ipv6Address& address() const { return address_; }
  bool reflect = true;
  AppLog app;
  std::uint64_t echo_replies_sent = 0;

  void on_ipv6(wire::Bytes packet) override;

 private:
  wire::Ipv6Address address_;
};

}  // namespace shipworm::sim
