// Vocabulary shared by the client's concept files (qualification.h, maintenance.h,
// client_engine.h): the server pair, the NAT type, and the drop reasons and counters.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"
#include "wire/constants.h"
#include "wire/drop_reason.h"
#include "wire/ip_address.h"
#include "wire/teredo_address.h"

namespace shipworm::core {

// A Teredo server as the client knows it (RFC 4380 §5.2): the primary
// IPv4 address (the one embedded in the client's address) and the secondary one used to tell
// restricted from symmetric NATs. Miredo's servers use primary + 1.
struct ServerPair {
  wire::Ipv4Address primary;
  wire::Ipv4Address secondary;

  [[nodiscard]] wire::Endpoint primary_endpoint() const;    // primary:3544
  [[nodiscard]] wire::Endpoint secondary_endpoint() const;  // secondary:3544
  [[nodiscard]] std::string to_string() const;              // "198.51.100.1/198.51.100.2"
  auto operator<=>(const ServerPair&) const = default;
};

// What qualification learned about the NAT (RFC 4380 §5.2.1, RFC 5991 §3.2, RFC 6081 §5.2).
// Cone and restricted NATs cannot be told apart without the deprecated cone phase.
enum class NatType : std::uint8_t {
  kUnknown,           // not qualified yet (or the secondary never answered)
  kNone,              // the mapping is the local address and port: no NAT
  kConeOrRestricted,  // same mapping via primary and secondary
  kSymmetric,         // different mappings via primary and secondary
  kBlocked,           // no answer at all: UDP blocked or server down
};
std::string_view to_string(NatType t);

// The client's connectivity status (RFC 4380 §5.2.1: Initial, Starting, Qualified, Off-line).
enum class ClientState : std::uint8_t {
  kInitial,    // not started
  kStarting,   // qualification running
  kQualified,  // address configured; maintenance running
  kOffline,    // qualification failed or server lost; retrying after a backoff
};
std::string_view to_string(ClientState s);

// Why the client re-qualified or took a new address outside its regular schedule. RFC 4380
// §5.2.5 lets a client refresh whenever it wants; these are the moments it does so at once
// instead of waiting for the refresh interval (a host that moves, a NAT that reboots, a
// laptop that resumes).
enum class NetworkTrigger : std::uint8_t {
  kNetwork,      // the host's IPv4 path toward the server changed (address, route, link)
  kDeadMapping,  // traffic to peers went unanswered; an early RS found a new mapping
  kResume,       // the host was asleep (the clock jumped past every deadline)
  kRefresh,      // the regular refresh found a new mapping (RFC 4380 §5.2.5)
  kCount
};
std::string_view to_string(NetworkTrigger t);  // "network", "dead_mapping", "resume", "refresh"

// The last such event, for `shipworm status`: when, why, and how long until the client had a
// working address again (none while it is still recovering).
struct NetworkChange {
  TimePoint at{};
  NetworkTrigger trigger = NetworkTrigger::kNetwork;
  std::string cause;
  std::optional<Duration> recovered_in;
};

// A snapshot of the client state (the state RFC 4380 §5.2 lists), also the state_changed()
// event.
struct ClientStatus {
  ClientState state = ClientState::kInitial;
  TimePoint since{};
  std::string cause;  // why the last transition happened
  std::optional<wire::TeredoAddress> address;
  wire::Endpoint mapping;
  std::optional<wire::Endpoint> secondary_mapping;
  NatType nat = NatType::kUnknown;
  bool port_preserving = false;             // RFC 6081 §5.4.3
  bool symmetric = false;                   // RFC 6081 §5.3.3
  ServerPair server;                        // the server in use (or being tried)
  std::size_t server_index = 0;             // in the configured list
  std::optional<TimePoint> last_server_rx;  // last valid RA
  Duration refresh_interval{};              // the current randomized refresh interval
  std::optional<TimePoint> retry_at;        // kOffline: when qualification restarts
  std::uint32_t mtu = wire::kDefaultMtu;
  std::optional<NetworkChange> last_network_change;
};

// The address_changed() event: the daemon adds new_address (2001::/32 on the Teredo
// interface, link MTU `mtu`) and removes old_address. Either may be absent.
struct AddressChange {
  std::optional<wire::Ipv6Address> old_address;
  std::optional<wire::Ipv6Address> new_address;
  std::uint32_t mtu = wire::kDefaultMtu;
  std::string_view cause;
};

// Why the client dropped a datagram or a TUN packet, beyond wire::DropReason.
#define SHIPWORM_CLIENT_DROP_REASONS(X)                                                     \
  /* RA acceptance (RFC 4380 §5.2.1 step 5, §5.2.5) */                                    \
  X(kRaUnexpected, "ra_unexpected")        /* no solicitation outstanding */                \
  X(kRaWrongSource, "ra_wrong_udp_source") /* not the address:3544 we asked */              \
  X(kRaNoOrigin, "ra_no_origin_indication")                                                 \
  X(kRaNoAuth, "ra_no_auth_header")              /* nonce not echoed */                     \
  X(kRaNonceMismatch, "ra_nonce_mismatch")       /* §5.2.2 MUST discard */                 \
  X(kRaAuthFailed, "ra_auth_failed")             /* §5.2.2 HMAC mismatch */                \
  X(kRaWrongDestination, "ra_wrong_destination") /* not the RS link-local source */         \
  X(kRaPrefixCount, "ra_prefix_count_not_one")                                              \
  X(kRaWrongPrefix, "ra_wrong_prefix")            /* not 2001:0:<server>::/64 */            \
  X(kRaMappingNotGlobal, "ra_mapping_not_global") /* §4: global address embeds global */   \
  /* reception (RFC 4380 §5.2.3) */                                                        \
  X(kNotQualified, "not_qualified")                                                         \
  X(kDestinationNotOwn, "ipv6_destination_not_own")                                         \
  X(kLinkLocalSource, "link_local_source")                                                  \
  X(kServerMessageIgnored, "server_message_ignored")                                        \
  X(kPeerMappingMismatch, "peer_mapping_mismatch") /* cases 1/3 and 6081 nonce failed */    \
  X(kEchoNonceMismatch, "echo_nonce_mismatch")     /* case 2 */                             \
  X(kUnsolicited, "unsolicited_source")            /* case 6 (then a ping test) */          \
  X(kUnsolicitedRateLimited, "unsolicited_rate_limited")                                    \
  X(kLocalDiscoveryUnsupported, "local_discovery_unsupported") /* case 4 (§5.2.8) */       \
  X(kBubbleReplyRateLimited, "bubble_reply_rate_limited")                                   \
  X(kOriginNotGlobal, "origin_not_global")                                                  \
  /* transmission (RFC 4380 §5.2.4) */                                                     \
  X(kTunSourceNotOwn, "tun_source_not_own")                                                 \
  X(kTunMulticast, "tun_multicast_destination")                                             \
  X(kTunToSelf, "tun_destination_is_own_address")                                           \
  X(kTunDestinationNotGlobal, "teredo_destination_not_global") /* cases 4/5 MUST drop */    \
  X(kTunServerNotGlobal, "teredo_server_not_global")           /* indirect bubble target */ \
  X(kQueueFull, "queue_full")                                                               \
  X(kPeerTableFull, "peer_table_full")                                                      \
  X(kPeerUnreachable, "peer_unreachable") /* queued, bubbles/ping unanswered */             \
  X(kTooBig, "packet_too_big")

enum class ClientDrop : std::uint8_t {
#define SHIPWORM_X(name, text) name,
  SHIPWORM_CLIENT_DROP_REASONS(SHIPWORM_X)
#undef SHIPWORM_X
      kCount
};
std::string_view to_string(ClientDrop d);

struct ClientCounters {
  std::uint64_t datagrams = 0;
  std::uint64_t tun_packets = 0;
  std::uint64_t rs_sent = 0;
  std::uint64_t ra_accepted = 0;
  std::uint64_t qualifications = 0;  // successful
  std::uint64_t qualification_failures = 0;
  std::uint64_t server_losses = 0;
  std::uint64_t address_changes = 0;
  std::uint64_t delivered = 0;        // IPv6 packets written to the TUN device
  std::uint64_t delivered_bytes = 0;  // their IPv6 bytes (header included)
  std::uint64_t sent = 0;             // data packets sent to peers or relays
  std::uint64_t sent_bytes = 0;       // their IPv6 bytes (header included)
  std::uint64_t queued = 0;
  std::uint64_t bubbles_direct = 0;
  std::uint64_t bubbles_indirect = 0;
  std::uint64_t bubbles_received = 0;
  std::uint64_t bubble_replies = 0;          // bubbles answered (incl. Miredo link-local ones)
  std::uint64_t pings_sent = 0;              // §5.2.9 echo requests
  std::uint64_t peers_trusted = 0;           // untrusted/absent -> trusted transitions
  std::uint64_t icmp_errors = 0;             // destination unreachable to the local sender
  std::uint64_t icmp_errors_suppressed = 0;  // rate-limited (RFC 4443 §2.4(f))
  std::uint64_t early_probes = 0;            // RSs sent early: traffic went unanswered
  std::array<std::uint64_t, static_cast<std::size_t>(NetworkTrigger::kCount)> network_changes{};
  std::array<std::uint64_t, static_cast<std::size_t>(wire::DropReason::kCount)> malformed{};
  std::array<std::uint64_t, static_cast<std::size_t>(ClientDrop::kCount)> dropped{};

  void drop(ClientDrop d) { ++dropped[static_cast<std::size_t>(d)]; }
  void drop(wire::DropReason r) { ++malformed[static_cast<std::size_t>(r)]; }
  [[nodiscard]] std::uint64_t count(ClientDrop d) const {
    return dropped[static_cast<std::size_t>(d)];
  }
  [[nodiscard]] std::uint64_t count(wire::DropReason r) const {
    return malformed[static_cast<std::size_t>(r)];
  }
  [[nodiscard]] std::uint64_t total_dropped() const;
};

}  // namespace shipworm::core
