// The whole receive path of a Teredo UDP payload: classify (RFC 4380 §5.1.1, §5.2.3; RFC 6081
// §4), then everything a node does next with the views it returns: the trailers, ICMPv6, RS,
// RA, echo and bubble parsers, the HMAC check of secure qualification (§5.2.2) with a fixed
// key, and the ICMPv6 error a relay may send back (RFC 4443 §2.4).
//
// Invariants: the headers and the packet tile the input in order (auth | origin | IPv6 |
// trailers) and agree with the stand-alone parsers. Each input is run a second time with its
// ICMPv6 checksum repaired and, when it carries a 20-byte authentication value, with that
// value replaced by the correct HMAC, after which verify_auth_value must accept it.
#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "wire/auth_hmac.h"
#include "wire/bubble.h"
#include "wire/encapsulation.h"
#include "wire/icmpv6.h"
#include "wire/icmpv6_errors.h"
#include "wire/router_discovery.h"
#include "wire/teredo_address.h"
#include "wire/trailers.h"

using namespace shipworm;
using namespace shipworm::fuzz;

namespace {

// The regression key of docs/rfc-notes.md §6.3; the seed corpus signs with it.
constexpr std::string_view kKey = "teredo-test-secret";
Bytes key() { return {reinterpret_cast<const std::uint8_t*>(kKey.data()), kKey.size()}; }

// Runs the receive path; returns the packet so the caller can build the repaired variant.
std::optional<wire::TeredoPacket> receive(Bytes in) {
  auto pkt = wire::classify(in);
  if (!pkt) {
    FUZZ_CHECK(pkt.reason() != wire::DropReason::kCount);
    return std::nullopt;
  }

  // auth | origin | IPv6 | trailers, in that order, covering the input exactly.
  const std::uint8_t* at = in.data();
  if (pkt->auth) {
    const wire::AuthHeader& a = *pkt->auth;
    FUZZ_CHECK(a.raw.data() == at && within(a.raw, in));
    FUZZ_CHECK(within(a.client_id, a.raw) && within(a.auth_value, a.raw));
    auto alone = wire::parse_auth_header(in);
    FUZZ_CHECK(alone && alone->raw.size() == a.raw.size() && alone->nonce == a.nonce);
    at += a.raw.size();
  }
  FUZZ_CHECK(pkt->origin.has_value() == !pkt->origin_raw.empty());
  if (pkt->origin) {
    FUZZ_CHECK(pkt->origin_raw.data() == at && pkt->origin_raw.size() == 8);
    FUZZ_CHECK(within(pkt->origin_raw, in));
    auto alone = wire::parse_origin_indication(pkt->origin_raw);
    FUZZ_CHECK(alone && *alone == *pkt->origin);
    at += pkt->origin_raw.size();
  }
  const wire::Ipv6View& ip = pkt->ipv6;
  FUZZ_CHECK(ip.packet.data() == at && within(ip.packet, in));
  FUZZ_CHECK(ip.trailing.data() == at + ip.packet.size() && within(ip.trailing, in));
  FUZZ_CHECK(ip.trailing.data() + ip.trailing.size() == in.data() + in.size());

  auto trailers = wire::parse_trailers(ip.trailing);
  FUZZ_CHECK(trailers.ok() || trailers.reason() == wire::DropReason::kTrailerUnknownDiscard);

  if (auto icmp = wire::parse_icmpv6(ip)) {
    FUZZ_CHECK(within(icmp->message, ip.packet));
    if (auto echo = wire::parse_echo(*icmp)) FUZZ_CHECK(within(echo->data, icmp->message));
  }
  if (auto rs = wire::parse_router_solicitation(ip)) {
    FUZZ_CHECK(ip.hop_limit == wire::kNdHopLimit);
  }
  if (auto ra = wire::parse_router_advertisement(ip)) {
    FUZZ_CHECK(ip.src.is_link_local() &&
               (ra->prefix_count == 0 || ra->prefix.prefix_length <= 128));
  }
  if (auto bubble = wire::parse_bubble(ip)) FUZZ_CHECK(bubble->payload_length == 0);

  // A relay may answer this packet with an ICMPv6 error (RFC 4443 §2.4(e)); the error it
  // builds is at most 1280 bytes, valid ICMPv6, and quotes a prefix of the packet.
  if (wire::icmpv6_error_allowed(ip)) {
    FUZZ_CHECK(!ip.dst.is_multicast() && !ip.src.is_multicast() && !ip.src.is_unspecified());
    std::array<std::uint8_t, wire::kIcmpv6ErrorMaxSize + 64> buf{};
    wire::Writer w(buf);
    const wire::Ipv6Address relay = wire::teredo_prefix(wire::Ipv4Address{0xc0000201});
    FUZZ_CHECK(wire::write_icmpv6_error(w, relay, ip.src, wire::kIcmpDestinationUnreachable,
                                        wire::kUnreachableAddress, ip.packet));
    FUZZ_CHECK(w.size() <= wire::kIcmpv6ErrorMaxSize);
    auto err_ip = wire::parse_ipv6(w.written());
    FUZZ_CHECK(err_ip && err_ip->trailing.empty() && err_ip->dst == ip.src);
    auto err = wire::parse_icmpv6(*err_ip);
    FUZZ_CHECK(err && err->type == wire::kIcmpDestinationUnreachable && err->message.size() >= 8);
    const Bytes quoted = err->message.subspan(8);
    FUZZ_CHECK(quoted.size() <= ip.packet.size() &&
               std::equal(quoted.begin(), quoted.end(), ip.packet.begin()));
    FUZZ_CHECK(!wire::icmpv6_error_allowed(*err_ip));  // never an error about an error
  }

  if (pkt->auth) {
    const bool verified = wire::verify_auth_value(key(), *pkt);
    if (verified) FUZZ_CHECK(pkt->auth->auth_value.size() == wire::kHmacSha1Size);
  } else {
    FUZZ_CHECK(!wire::verify_auth_value(key(), *pkt));
  }
  return *pkt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  const auto pkt = receive(in);
  if (!pkt) return 0;

  // The repaired variant: fix the ICMPv6 checksum, then sign with the fixed key.
  std::vector<std::uint8_t> fixed = copy_of(in);
  const auto ip_offset = static_cast<std::size_t>(pkt->ipv6.packet.data() - data);
  bool changed = repair_icmpv6_checksum(MutableBytes{fixed}.subspan(ip_offset));
  const bool signable = pkt->auth && pkt->auth->auth_value.size() == wire::kHmacSha1Size;
  if (signable) {
    const Bytes origin_raw = pkt->origin ? Bytes{fixed}.subspan(ip_offset - 8, 8) : Bytes{};
    const wire::AuthValue v =
        wire::teredo_auth_value(key(), pkt->auth->nonce, pkt->auth->confirmation, origin_raw,
                                Bytes{fixed}.subspan(ip_offset, pkt->ipv6.packet.size()));
    const auto value_at = static_cast<std::size_t>(pkt->auth->auth_value.data() - data);
    changed = changed || !std::equal(v.begin(), v.end(),
                                     fixed.begin() + static_cast<std::ptrdiff_t>(value_at));
    std::copy(v.begin(), v.end(), fixed.begin() + static_cast<std::ptrdiff_t>(value_at));
  }
  if (!changed) {
    if (signable) FUZZ_CHECK(wire::verify_auth_value(key(), *pkt));
    return 0;
  }
  const auto again = receive(fixed);
  FUZZ_CHECK(again.has_value());  // neither repair changes the layout
  if (signable) FUZZ_CHECK(wire::verify_auth_value(key(), *again));
  return 0;
}
