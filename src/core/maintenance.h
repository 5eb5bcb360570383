// Client maintenance once qualified (RFC 4380 §5.2, §5.2.5; RFC 6081 §5.1.1), and the choice of
// server after a failure (failover and bounded exponential backoff).
//
//   Idle --start(result)--> Waiting: deadline = last RA + randomized refresh interval
//   Waiting --refresh_now()--> Soliciting (the engine's early probe, same as a deadline)
//   Waiting --deadline--> Soliciting: RS (C = 0, fresh nonce) to primary:3544, T = 4 s, N = 3
//   Soliciting --valid RA, same mapping--> Waiting (kRefreshed; address and random bits kept)
//   Soliciting --valid RA, new mapping--> Waiting (kMappingChanged; new address, new bits)
//   Soliciting --no RA after N--> Idle (kServerLost)
//
// Only a valid RA counts as "a packet from the server": other packets from the server do not
// refresh a NAT's filter state on many NATs, and RFC 6081 §5.1.1 allows extra RSs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/actions.h"
#include "core/client_random.h"
#include "core/client_types.h"
#include "core/qualification.h"
#include "core/time.h"
#include "wire/encapsulation.h"
#include "wire/teredo_address.h"

namespace shipworm::core {

struct MaintenanceConfig {
  // RFC 6081 §5.1.1: configurable, default 30 s.
  Duration refresh_interval = wire::kDefaultRefreshInterval;
  // The randomized interval is uniform in [low, high] x refresh_interval: RFC 4380 §5.2 says
  // [0.75, 1.0]; RFC 6081 §5.1.1 allows any range inside [0.5, 1.5].
  double randomize_low = 0.75;
  double randomize_high = 1.0;
  Duration timeout = wire::kQualificationTimeout;  // T between RSs
  int attempts = wire::kQualificationAttempts;     // N RSs before the server is lost
  std::optional<ClientCredentials> credentials;
};

class Maintenance {
 public:
  enum class Step : std::uint8_t { kNothing, kRefreshed, kMappingChanged, kServerLost };

  Maintenance(MaintenanceConfig config, RandomSource& random, ClientCounters& counters);

  // Takes over from a successful qualification at `now` (its RA counts as the last one).
  void start(TimePoint now, const QualificationResult& qualified);
  void stop();
  Step on_timer(TimePoint now, ActionSink& sink);
  // An early refresh: starts a solicitation round now, unless one is running. RFC 4380
  // §5.2.5 lets the client refresh whenever it wants (RFC 6081 §5.1.1: extra RSs are fine).
  // Returns whether an RS went out.
  bool refresh_now(TimePoint now, ActionSink& sink);
  // A classified datagram that may be an RA from our server.
  Step on_datagram(TimePoint now, const wire::Endpoint& source, const wire::TeredoPacket& packet,
                   ActionSink& sink);

  [[nodiscard]] bool running() const { return running_; }
  [[nodiscard]] bool soliciting() const { return attempts_ > 0; }
  [[nodiscard]] TimePoint deadline() const;  // kNoDeadline when not running
  [[nodiscard]] const wire::TeredoAddress& address() const { return address_; }
  [[nodiscard]] const wire::Endpoint& mapping() const { return address_.mapped; }
  [[nodiscard]] std::uint32_t mtu() const { return mtu_; }
  [[nodiscard]] TimePoint last_server_rx() const { return last_rx_; }
  [[nodiscard]] Duration randomized_interval() const { return interval_; }
  // Why the last kMappingChanged / kServerLost happened.
  [[nodiscard]] const std::string& cause() const { return cause_; }
  [[nodiscard]] const MaintenanceConfig& config() const { return config_; }

 private:
  void draw_interval();
  void send(TimePoint now, ActionSink& sink);

  MaintenanceConfig config_;
  RandomSource& random_;
  ClientCounters& counters_;
  bool running_ = false;
  ServerPair server_;
  wire::TeredoAddress address_;
  std::uint32_t mtu_ = wire::kDefaultMtu;
  TimePoint last_rx_{};
  Duration interval_{};
  int attempts_ = 0;  // RSs sent in the current round; 0 = waiting
  TimePoint retry_at_{};
  wire::Nonce nonce_{};
  bool nonce_valid_ = false;  // a round was started; its nonce (and a duplicate RA) is OK
  std::string cause_;
};

struct RetryConfig {
  Duration initial_backoff = std::chrono::seconds(10);
  Duration max_backoff = std::chrono::seconds(300);
};

// The configured servers, tried in order. A failed qualification moves to the next server at
// once while some server of the list has not failed in the current streak; once every one
// has, the client waits initial_backoff x 2^(rounds - 1), bounded by max_backoff and
// randomized to [75%, 100%] so that clients do not retry in step after an outage.
class ServerRotation {
 public:
  ServerRotation(std::vector<ServerPair> servers, RetryConfig config, RandomSource& random);

  [[nodiscard]] const ServerPair& current() const { return servers_[index_]; }
  [[nodiscard]] std::size_t index() const { return index_; }
  [[nodiscard]] std::size_t size() const { return servers_.size(); }
  [[nodiscard]] int failures() const { return failures_; }

  // After a failed qualification: moves on; returns how long to wait before qualifying.
  Duration after_failure();
  // After losing the server of a working address: moves on, to be tried at once.
  void after_loss();
  void after_success() { failures_ = 0; }

 private:
  std::vector<ServerPair> servers_;
  RetryConfig config_;
  RandomSource& random_;
  std::size_t index_ = 0;
  int failures_ = 0;
};

}  // namespace shipworm::core
