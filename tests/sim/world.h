// The simulated internet: nodes with IPv4 addresses (some behind NAT models), an event queue
// in simulated time, the IPv6 cloud, engine timers, a trace hash and the invariants checked
// after every event.
//
//   client --(NAT)--+                                  +-- native host
//   client --(NAT)--+== IPv4 core ==+ server (2 addrs) |
//   client ---------+               + relay ===== IPv6 cloud (2001::/32 -> nearest relay)
//
// A datagram crosses the sender's access link and the receiver's (link.h); clients behind a
// NAT share the NAT's access link. Hosts are owned by the World; tests keep references.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "event_queue.h"
#include "ipv6_cloud.h"
#include "link.h"
#include "nat_model.h"
#include "sim_random.h"
#include "wire/bytes.h"
#include "wire/ip_address.h"

namespace shipworm::sim {

class World;

// A node of the simulation. Subclasses (sim_host.h) wrap the real engines.
class SimHost {
 public:
  SimHost(World& world, std::string name, int region)
      : world_(world), name_(std::move(name)), region_(region) {}
  virtual ~SimHost() = default;
  SimHost(const SimHost&) = delete;
  SimHost& operator=(const SimHost&) = delete;

  // A datagram for `local` (one of this host's endpoints) from `from`.
  virtual void on_udp(const wire::Endpoint& /*local*/, const wire::Endpoint& /*from*/,
                      wire::Bytes /*payload*/) {}
  // An IPv6 packet from the cloud.
  virtual void on_ipv6(wire::Bytes /*packet*/) {}
  [[nodiscard]] virtual std::optional<core::TimePoint> deadline() const { return std::nullopt; }
  virtual void on_timer() {}
  // Appends a description of each broken invariant.
  virtual void check(std::vector<std::string>& /*violations*/) const {}

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] int region() const { return region_; }
  [[nodiscard]] bool down() const { return down_; }

 protected:
  World& world_;
  std::string name_;
  int region_;
  bool down_ = false;

 private:
  friend class World;
  std::optional<core::TimePoint> scheduled_;
  std::uint64_t timer_gen_ = 0;
  core::TimePoint last_fire_{};
  int same_instant_fires_ = 0;
  NatModel* nat_ = nullptr;  // behind this NAT, if any
  LinkProfile* link_ = nullptr;
};

class World {
 public:
  explicit World(std::uint64_t seed,
                 core::TimePoint start = core::TimePoint{} + std::chrono::hours(1));

  // --- building ---
  template <class Host, class... Args>
  Host& add(Args&&... args) {
    auto h = std::make_unique<Host>(*this, std::forward<Args>(args)...);
    Host& ref = *h;
    hosts_.push_back(std::move(h));
    return ref;
  }
  // A public IPv4 address of `host`, on its own access link.
  void attach_public(SimHost& host, wire::Ipv4Address address, LinkProfile link);
  NatModel& add_nat(NatConfig config, LinkProfile link);
  // A private address of `host` behind `nat` (sharing the NAT's access link).
  void attach_private(SimHost& host, NatModel& nat, wire::Ipv4Address address);
  LinkProfile& link_of(SimHost& host);
  LinkProfile& link_of(NatModel& nat);

  // --- running ---
  void run_until(core::TimePoint t);
  void run_for(core::Duration d) { run_until(now() + d); }
  // Runs until pred() holds or `limit` passes; returns whether it held.
  bool run_until_true(const std::function<bool()>& pred, core::Duration limit);
  [[nodiscard]] core::TimePoint now() const { return queue_.now(); }
  EventQueue& queue() { return queue_; }
  SimRandom& random() { return random_; }
  Ipv6Cloud& cloud() { return cloud_; }

  // --- used by hosts ---
  void send_udp(SimHost& from, const wire::Endpoint& local, const wire::Endpoint& to,
                wire::Bytes payload);
  // After a host handled an event: reschedule its timer and check the invariants.
  void after_event(SimHost& host);
  void set_down(SimHost& host, bool down);
  void note_violation(std::string v) { violations_.push_back(std::move(v)); }
  void trace(std::string_view what, wire::Bytes data);

  // --- results ---
  [[nodiscard]] const std::vector<std::string>& violations() const { return violations_; }
  [[nodiscard]] std::uint64_t trace_hash() const { return trace_hash_; }
  [[nodiscard]] std::uint64_t datagrams_sent() const { return datagrams_sent_; }
  [[nodiscard]] std::uint64_t datagrams_dropped() const { return datagrams_dropped_; }
  [[nodiscard]] std::uint64_t events() const { return queue_.executed(); }
  [[nodiscard]] std::size_t max_queue() const { return max_queue_; }
  std::size_t queue_limit = 200000;  // "queues bounded": the event queue never exceeds this

 private:
  struct Attachment {
    SimHost* host = nullptr;  // public host
    NatModel* nat = nullptr;  // or a NAT's public address
  };
  struct NatBox {
    std::unique_ptr<NatModel> model;
    LinkProfile link;
  };
  void arrive(const wire::Endpoint& from, const wire::Endpoint& to,
              const std::vector<std::uint8_t>& payload);
  void deliver(SimHost& host, const wire::Endpoint& local, const wire::Endpoint& from,
               const std::vector<std::uint8_t>& payload);
  void reschedule(SimHost& host);
  void fire(SimHost& host, std::uint64_t gen);
  void check_invariants();

  EventQueue queue_;
  SimRandom random_;
  Ipv6Cloud cloud_;
  std::vector<std::unique_ptr<SimHost>> hosts_;
  std::vector<std::unique_ptr<NatBox>> nats_;
  std::vector<std::unique_ptr<LinkProfile>> links_;
  std::map<wire::Ipv4Address, Attachment> public_;
  std::map<wire::Ipv4Address, SimHost*> private_;
  std::vector<std::string> violations_;
  std::uint64_t trace_hash_ = 14695981039346656037ULL;
  std::uint64_t datagrams_sent_ = 0;
  std::uint64_t datagrams_dropped_ = 0;
  std::size_t max_queue_ = 0;
};

}  // namespace shipworm::sim
