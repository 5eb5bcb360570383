#include "wire/encapsulation.h"

#include <cstring>

#include "wire/constants.h"
#include "wire/teredo_address.h"

namespace shipworm::wire {

Parsed<AuthHeader> parse_auth_header(Bytes data) {
  if (data.size() < kAuthHeaderMinSize || data[0] != 0 || data[1] != 1) {
    return DropReason::kAuthTruncated;
  }
  const std::size_t id_len = data[2];
  const std::size_t au_len = data[3];
  const std::size_t total = kAuthHeaderMinSize + id_len + au_len;
  if (data.size() < total) return DropReason::kAuthTruncated;
  AuthHeader a;
  a.client_id = data.subspan(4, id_len);
  a.auth_value = data.subspan(4 + id_len, au_len);
  std::memcpy(a.nonce.data(), data.data() + 4 + id_len + au_len, kNonceSize);
  a.confirmation = data[total - 1];
  a.raw = data.first(total);
  return a;
}

void write_auth_header(Writer& w, Bytes client_id, Bytes auth_value, const Nonce& nonce,
                       std::uint8_t confirmation) {
  if (client_id.size() > 255 || auth_value.size() > 255) {
    w.fail();  // the lengths cannot be encoded
    return;
  }
  w.u16(0x0001);
  w.u8(static_cast<std::uint8_t>(client_id.size()));
  w.u8(static_cast<std::uint8_t>(auth_value.size()));
  w.bytes(client_id);
  w.bytes(auth_value);
  w.bytes(nonce);
  w.u8(confirmation);
}

Parsed<Endpoint> parse_origin_indication(Bytes data) {
  if (data.size() < kOriginIndicationSize || data[0] != 0 || data[1] != 0) {
    return DropReason::kOriginTruncated;
  }
  return Endpoint{obfuscate_ipv4(Ipv4Address{load_u32(data, 4)}),
                  obfuscate_port(load_u16(data, 2))};
}

void write_origin_indication(Writer& w, Endpoint origin) {
  w.u16(0x0000);
  w.u16(obfuscate_port(origin.port));
  w.u32(obfuscate_ipv4(origin.address).value);
}

Parsed<TeredoPacket> classify(Bytes p) {
  if (p.empty()) return DropReason::kEmptyPayload;
  TeredoPacket out;
  if (p.size() >= 2 && p[0] == 0 && p[1] == 1) {
    auto auth = parse_auth_header(p);
    if (!auth) return auth.reason();
    out.auth = *auth;
    p = p.subspan(auth->raw.size());
  }
  if (p.size() >= 2 && p[0] == 0 && p[1] == 0) {
    auto origin = parse_origin_indication(p);
    if (!origin) return origin.reason();
    out.origin = *origin;
    out.origin_raw = p.first(kOriginIndicationSize);
    p = p.subspan(kOriginIndicationSize);
  }
  if (p.empty()) return DropReason::kIpv6Truncated;
  if ((p[0] >> 4) != 6) {
    // A second authentication header, or one after the origin indication, is out of order.
    if (p.size() >= 2 && p[0] == 0 && (p[1] == 0 || p[1] == 1)) {
      return DropReason::kEncapsulationOrder;
    }
    return (out.auth || out.origin) ? DropReason::kIpv6BadVersion
                                    : DropReason::kUnknownEncapsulation;
  }
  auto ip = parse_ipv6(p);
  if (!ip) return ip.reason();
  out.ipv6 = *ip;
  return out;
}

}  // namespace shipworm::wire
