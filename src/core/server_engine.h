// The Teredo server (RFC 4380 §5.3, RFC 5991 §3.2), sans-I/O: one received datagram in,
// at most one datagram out. It keeps no per-client state; the only memory is the fixed-size
// rate limiter (rate_limiter.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/rate_limiter.h"
#include "core/time.h"
#include "wire/bytes.h"
#include "wire/constants.h"
#include "wire/drop_reason.h"
#include "wire/encapsulation.h"
#include "wire/icmpv6.h"
#include "wire/ip_address.h"

namespace shipworm::core {

// Why the server dropped a datagram, beyond the codec reasons of wire::DropReason.
#define SHIPWORM_SERVER_DROP_REASONS(X)                                                 \
  X(kNotBubbleOrIcmpv6, "not_bubble_or_icmpv6")              /* §5.3.1 rule 2 */       \
  X(kSourceNotGlobal, "ipv4_source_not_global")              /* §5.3.1 rule 3 */       \
  X(kFromOwnAddress, "loop_from_own_address")                /* Miredo's loop fix */    \
  X(kAuthMissing, "auth_missing")                            /* §5.3.1 rule 4 */       \
  X(kAuthUnknownClient, "auth_unknown_client")               /* §5.3.1 rule 4 */       \
  X(kAuthFailed, "auth_failed")                              /* §5.3.1 rule 4 */       \
  X(kTeredoSourceMismatch, "teredo_source_mismatch")         /* §5.3.1 rules 5, 7 */   \
  X(kNotAccepted, "source_not_accepted")                     /* §5.3.1 rule 7 */       \
  X(kLocalNotHandled, "local_message_not_handled")           /* §5.3.1 ff02::2 / LL */ \
  X(kBubbleToNative, "bubble_to_native_destination")         /* §2.8: Teredo only */   \
  X(kDestinationNotGlobal, "ipv6_destination_not_global")    /* §5.3.1 */              \
  X(kTeredoDestinationInvalid, "teredo_destination_invalid") /* §5.3.1 */              \
  X(kLoopToOwnAddress, "loop_to_own_address")                /* RFC 6324 §3.3 */       \
  X(kIcmpv6TooLarge, "icmpv6_payload_too_large")             /* Miredo's cap */         \
  X(kHopLimitExceeded, "hop_limit_exceeded")                 /* RFC 8200 §3 */         \
  X(kRateLimitedRs, "rate_limited_rs")                                                  \
  X(kRateLimitedForward, "rate_limited_forward")

enum class ServerDrop : std::uint8_t {
#define SHIPWORM_X(name, text) name,
  SHIPWORM_SERVER_DROP_REASONS(SHIPWORM_X)
#undef SHIPWORM_X
      kCount
};
std::string_view to_string(ServerDrop d);

struct ServerCounters {
  std::uint64_t datagrams = 0;
  std::uint64_t rs_received = 0;
  std::uint64_t ra_sent = 0;
  std::uint64_t forwarded_teredo = 0;  // to a Teredo client over UDP
  std::uint64_t forwarded_native = 0;  // to the IPv6 Internet
  std::uint64_t echo_replies = 0;      // echo requests to the server's own link-local address
  std::array<std::uint64_t, static_cast<std::size_t>(wire::DropReason::kCount)> malformed{};
  std::array<std::uint64_t, static_cast<std::size_t>(ServerDrop::kCount)> dropped{};

  [[nodiscard]] std::uint64_t total_dropped() const;
};

struct ServerEngineConfig {
  wire::Ipv4Address primary;    // ServerBindAddress: the address in clients' Teredo addresses
  wire::Ipv4Address secondary;  // ServerBindAddress2 (Miredo: primary + 1)
  std::uint32_t prefix = wire::kTeredoPrefix;  // Miredo's `Prefix`: the /32 service prefix
  std::uint32_t mtu = wire::kDefaultMtu;       // advertised in the RA (RFC 4380 §5.1.2)
  // Miredo (and Microsoft's servers) refuse to relay non-bubble ICMPv6 whose IPv6 payload is
  // larger than 88 bytes, so the server is no general-purpose relay (Miredo's rule, not RFC
  // 4380's). nullopt relays any size, as RFC 4380 §5.3 literally allows.
  std::optional<std::uint16_t> max_icmpv6_payload = 88;
  // Per source IPv4 address. A CGNAT puts thousands of clients behind one address, each
  // sending an RS every ~30 s, hence the generous defaults.
  TokenBucketConfig rs_limit{100, 200};
  TokenBucketConfig forward_limit{500, 1000};
  std::size_t rate_limit_slots = 16384;
  std::uint64_t hash_key = 0;  // from the CSPRNG in the daemon
  // Secure qualification (RFC 4380 §5.2.2): client ID -> shared secret. When required, an RS
  // without a valid HMAC-SHA1 authentication value is dropped (§5.3.1 rule 4).
  bool require_auth = false;
  std::map<std::string, std::string, std::less<>> secrets;
  // shipworm's filtering probe (wire::kTrailerFilteringProbe): an RS carrying the trailer is
  // also answered from this port of the same address; 0 = off.
  std::uint16_t filtering_probe_port = 0;
};

struct ReceivedDatagram {
  wire::Endpoint source;
  wire::Ipv4Address local;  // which of the server's addresses received it (port 3544)
  wire::Bytes payload;
};

struct ServerOutput {
  enum class Kind : std::uint8_t { kNone, kUdp, kIpv6 };
  Kind kind = Kind::kNone;
  wire::Ipv4Address from;  // kUdp: the local address to send from, port 3544
  wire::Endpoint to;       // kUdp: the destination
  wire::Bytes payload;     // a UDP payload (kUdp) or an IPv6 packet (kIpv6); valid until the
                           // next call into the engine
  std::uint16_t also_from_port = 0;  // kUdp: send the same payload also from this local port
};

class ServerEngine {
 public:
  explicit ServerEngine(ServerEngineConfig config);

  ServerOutput on_datagram(TimePoint now, const ReceivedDatagram& d);

  [[nodiscard]] const ServerCounters& counters() const { return counters_; }
  // Carries counters over to a new engine (configuration reload) so they stay monotonic.
  void restore_counters(const ServerCounters& c) { counters_ = c; }
  [[nodiscard]] const ServerEngineConfig& config() const { return config_; }

 private:
  ServerOutput drop(ServerDrop d);
  ServerOutput drop(wire::DropReason r);
  ServerOutput handle_router_solicitation(TimePoint now, const ReceivedDatagram& d,
                                          const wire::TeredoPacket& packet);
  ServerOutput handle_echo_request(TimePoint now, const ReceivedDatagram& d,
                                   const wire::TeredoPacket& packet, const wire::Icmpv6View& icmp);
  bool is_own(wire::Ipv4Address a) const { return a == config_.primary || a == config_.secondary; }

  ServerEngineConfig config_;
  RateLimiter rs_limiter_;
  RateLimiter forward_limiter_;
  ServerCounters counters_;
  std::vector<std::uint8_t> out_;  // scratch for the outgoing datagram; allocated once
};

}  // namespace shipworm::core
