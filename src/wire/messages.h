// Whole UDP payloads for the messages Teredo nodes originate: the qualification RS and RA
// (with authentication and origin indication), bubbles with RFC 6081 trailers, and echo.
#pragma once

#include <cstdint>
#include <optional>

#include "wire/bytes.h"
#include "wire/constants.h"
#include "wire/encapsulation.h"
#include "wire/router_discovery.h"

namespace shipworm::wire {

struct SecureQualification {
  Bytes client_id;
  Bytes secret;  // HMAC-SHA1 key (RFC 4380 §5.2.2)
};

// Client → server (RFC 4380 §5.2.1, §5.2.2): auth header with the nonce (confirmation 0),
// then an RS from client_rs_link_local(cone) to ff02::2. With `secure`, the auth header
// carries the client ID and the HMAC-SHA1 value.
bool write_rs_datagram(Writer& w, const Nonce& nonce, bool cone,
                       const std::optional<SecureQualification>& secure = std::nullopt);

struct RaDatagramParams {
  Ipv4Address server;          // the RA comes from server_link_local(server)
  Ipv6Address client_ll;       // the RS source
  Endpoint mapping;            // the RS's UDP source, sent as the origin indication
  std::optional<Nonce> nonce;  // echo the RS nonce when it had one (RFC 4380 §5.3.2)
  std::uint8_t confirmation = 0;
  std::optional<SecureQualification> secure;
  std::optional<std::uint32_t> mtu = 1280;
  std::uint32_t prefix = kTeredoPrefix;  // the service prefix of the advertised /64
};
// Server → client (RFC 4380 §5.3.2): [auth] origin RA with PIO 2001:0:<server>::/64.
bool write_ra_datagram(Writer& w, const RaDatagramParams& p);

}  // namespace shipworm::wire
