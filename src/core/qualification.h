// Client qualification (RFC 4380 §5.2.1 as changed by RFC 5991 §3.2, with the RFC 6081 §5.2-5.4
// flags). Sans-I/O: the engine passes time and received RAs in; RSs go out
// through the ActionSink.
//
//   Idle --start--> Primary: RS (C = 0, fresh nonce) to primary:3544 at t, t+T, t+2T
//     Primary --valid RA--> Secondary: the same to secondary:3544
//     Primary --no RA after N--> Failed (NAT type "blocked": UDP blocked or server down)
//     Secondary --valid RA--> Done (same mapping: cone-or-restricted / none; different: symmetric)
//     Secondary --no RA after N--> Failed (unless the secondary is optional)
//     symmetric + SymmetricNatResponse::kStop --> Failed (RFC 4380: Teredo is unusable)
//
// The cone phase (C = 1) of RFC 4380 is not run: RFC 5991 §3.2 says clients SHOULD skip it,
// and our addresses always carry C = 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/actions.h"
#include "core/client_random.h"
#include "core/client_types.h"
#include "core/time.h"
#include "wire/constants.h"
#include "wire/encapsulation.h"
#include "wire/ip_address.h"
#include "wire/teredo_address.h"

namespace shipworm::core {

// Secure qualification (RFC 4380 §5.2.2): HMAC-SHA1 with a shared secret.
struct ClientCredentials {
  std::vector<std::uint8_t> client_id;
  std::vector<std::uint8_t> secret;
};

// What qualification does behind a symmetric NAT (the daemon's SymmetricNat directive).
enum class SymmetricNatResponse : std::uint8_t {
  kKeepPrimaryMapping,  // RFC 6081 §3.1/§5.2: keep the address from the primary mapping
  kStop,                // RFC 4380 §5.2.1: symmetric NAT -> Teredo is unusable
};

struct QualificationConfig {
  std::uint16_t local_port = 0;                    // service port: Port-Preserving flag
  std::optional<wire::Ipv4Address> local_address;  // bound address: NatType::kNone
  SymmetricNatResponse symmetric_policy = SymmetricNatResponse::kKeepPrimaryMapping;
  // RFC 4380 §5.2.1 step 7: no answer from the secondary address means the service is
  // unusable. With this set, such a client qualifies anyway with NatType::kUnknown.
  bool secondary_optional = false;
  std::optional<ClientCredentials> credentials;
  Duration timeout = wire::kQualificationTimeout;  // T
  int attempts = wire::kQualificationAttempts;     // N, transmissions per phase
};

struct QualificationResult {
  ServerPair server;
  wire::TeredoAddress address;  // prefix of server.primary, C = 0, RFC 5991 random bits
  wire::Endpoint mapping;       // via the primary address (the one in the address)
  std::optional<wire::Endpoint> secondary_mapping;
  NatType nat = NatType::kUnknown;
  bool port_preserving = false;           // RFC 6081 §5.4.3: origin port == local port
  bool symmetric = false;                 // RFC 6081 §5.3.3: secondary mapping differs
  std::uint32_t mtu = wire::kDefaultMtu;  // from the RA's MTU option, at least 1280
  std::string summary;                    // one log line: "qualified via ...: mapping ..., NAT ..."
};

// --- RA acceptance, shared with maintenance (RFC 4380 §5.2.1 step 5, §5.2.5) ---
struct RaExpectation {
  wire::Endpoint from;          // the server address:3544 the RS went to
  wire::Ipv4Address server;     // the primary address: the advertised prefix embeds it
  wire::Ipv6Address rs_source;  // the RS's link-local source: the RA's destination
  wire::Nonce nonce{};          // the RS nonce, to be echoed
  const ClientCredentials* credentials = nullptr;
};
struct AcceptedRa {
  wire::Endpoint mapping;  // from the origin indication
  std::uint32_t mtu = wire::kDefaultMtu;
};
// Checks a classified datagram against every acceptance rule; on failure counts the drop in
// `counters`, stores the reason in `why` (if non-null) and returns nullopt.
std::optional<AcceptedRa> accept_router_advertisement(const RaExpectation& expect,
                                                      const wire::Endpoint& source,
                                                      const wire::TeredoPacket& packet,
                                                      ClientCounters& counters,
                                                      std::string* why = nullptr);

// True if the packet looks like an RA (ICMPv6 type 134 right after the IPv6 header), so the
// engine knows to route it to qualification or maintenance.
bool looks_like_router_advertisement(const wire::TeredoPacket& packet);

// Sends the solicitation of `round`: [auth with nonce] RS from client_rs_link_local(false).
void send_router_solicitation(const wire::Endpoint& to, const wire::Nonce& nonce,
                              const std::optional<ClientCredentials>& credentials, ActionSink& sink,
                              ClientCounters& counters);

class Qualification {
 public:
  enum class Phase : std::uint8_t { kIdle, kPrimary, kSecondary, kDone, kFailed };
  enum class Step : std::uint8_t { kNothing, kQualified, kFailed };

  Qualification(QualificationConfig config, RandomSource& random, ClientCounters& counters);

  // Starts (or restarts) qualification with `server`: sends the first RS to the primary.
  void start(TimePoint now, const ServerPair& server, ActionSink& sink);
  // Retransmits or gives up when the deadline has passed.
  Step on_timer(TimePoint now, ActionSink& sink);
  // A classified datagram that may be the RA we wait for. Invalid RAs are counted and dropped.
  Step on_datagram(TimePoint now, const wire::Endpoint& source, const wire::TeredoPacket& packet,
                   ActionSink& sink);
  void cancel();

  [[nodiscard]] TimePoint deadline() const;  // kNoDeadline when not running
  [[nodiscard]] Phase phase() const { return phase_; }
  [[nodiscard]] bool running() const {
    return phase_ == Phase::kPrimary || phase_ == Phase::kSecondary;
  }
  [[nodiscard]] int attempts() const { return attempts_; }  // in the current phase
  // Valid once phase() == kDone.
  [[nodiscard]] const QualificationResult& result() const { return result_; }
  // Why phase() == kFailed, e.g. "no reply from 198.51.100.1:3544 after 3 tries".
  [[nodiscard]] const std::string& failure_cause() const { return cause_; }
  [[nodiscard]] NatType nat_type() const { return nat_; }
  [[nodiscard]] const QualificationConfig& config() const { return config_; }

 private:
  void send(TimePoint now, ActionSink& sink);
  void begin_phase(TimePoint now, Phase phase, ActionSink& sink);
  Step finish(const wire::Endpoint& secondary_mapping, bool secondary_answered);
  Step fail(NatType nat, std::string cause);
  [[nodiscard]] wire::Endpoint target() const;

  QualificationConfig config_;
  RandomSource& random_;
  ClientCounters& counters_;
  Phase phase_ = Phase::kIdle;
  ServerPair server_;
  wire::Nonce nonce_{};  // one per phase; its retransmissions reuse it
  int attempts_ = 0;
  TimePoint deadline_{};
  wire::Endpoint primary_mapping_;
  std::uint32_t mtu_ = wire::kDefaultMtu;
  std::string last_drop_;  // the last RA we rejected, for the failure cause
  QualificationResult result_;
  NatType nat_ = NatType::kUnknown;
  std::string cause_;
};

}  // namespace shipworm::core
