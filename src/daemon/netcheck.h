// `shipworm netcheck`: diagnose the path to Teredo step by step without changing the system
// (no TUN, no addresses, no routes; one UDP socket). Each step reports ok / failed / info,
// what it saw, and for a failure a concrete hint (issue 7).
//
//  1. native IPv6: a global non-Teredo address and a default route mean Teredo should stay
//     idle (RFC 4380 §5.5: "MUST NOT" be a client then).
//  2. the primary server: an RS (C = 0, nonce) answered? RTT, the mapping seen.
//  3. the secondary address: the same; a different mapping is a symmetric NAT (RFC 5991 §3.2,
//     RFC 6081 §5.3.3); the mapping equal to the local address is no NAT.
//  4. filtering: an RS with C = 1 is answered from the *other* address (RFC 4380 §5.3.2), so
//     an RA arriving means the NAT forwards packets from addresses we never sent to: full
//     cone (endpoint-independent filtering). Otherwise a shipworm server's filtering probe
//     (an RS with trailer 0xA5, answered also from FilteringProbePort) tells address- from
//     port-dependent filtering; other servers ignore the trailer, and netcheck says it
//     cannot tell.
//  5. relay reachability (with --target): the ping test of RFC 4380 §5.2.9 through the
//     server, answering the relay's bubble as a client would.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wire/ip_address.h"

namespace shipworm::daemon {

struct NetcheckOptions {
  std::string server;                        // IPv4 literal or host name
  std::optional<wire::Ipv4Address> server2;  // default: primary + 1
  std::optional<wire::Ipv4Address> bind_address;
  std::uint16_t bind_port = 0;
  std::optional<wire::Ipv6Address> target;  // a native IPv6 host for the relay step
  std::uint16_t probe_port = 3545;          // a shipworm server's FilteringProbePort
  int tries = 3;
  double timeout_seconds = 2.0;  // per try
  bool json = false;
};

// Runs the checks, prints the report (text or JSON), and returns the exit status:
// 0 when Teredo would work from here, 1 when a step shows it would not, 2 for bad options.
int run_netcheck(const NetcheckOptions& options);

}  // namespace shipworm::daemon
