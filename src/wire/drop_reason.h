// Named reasons for dropping a datagram. Bad input from the network is normal
// (docs/architecture.md, "House rules"): every parser answers with a typed view or one of
// these, and the engines count them by name.
#pragma once

#include <cstdint>
#include <string_view>

namespace shipworm::wire {

#define SHIPWORM_WIRE_DROP_REASONS(X)                                \
  X(kEmptyPayload, "empty_payload")                                  \
  X(kUnknownEncapsulation, "unknown_encapsulation")                  \
  X(kEncapsulationOrder, "encapsulation_out_of_order")               \
  X(kAuthTruncated, "auth_truncated")                                \
  X(kOriginTruncated, "origin_truncated")                            \
  X(kIpv6Truncated, "ipv6_truncated_header")                         \
  X(kIpv6BadVersion, "ipv6_bad_version")                             \
  X(kIpv6LengthExceedsDatagram, "ipv6_length_exceeds_datagram")      \
  X(kTrailerUnknownDiscard, "trailer_unknown_discard")               \
  X(kNotIcmpv6, "not_icmpv6")                                        \
  X(kIcmpv6Truncated, "icmpv6_truncated")                            \
  X(kIcmpv6BadChecksum, "icmpv6_bad_checksum")                       \
  X(kIcmpv6UnexpectedType, "icmpv6_unexpected_type")                 \
  X(kNdBadHopLimit, "nd_hop_limit_not_255")                          \
  X(kNdBadCode, "nd_code_not_zero")                                  \
  X(kNdTruncated, "nd_message_truncated")                            \
  X(kNdOptionZeroLength, "nd_option_zero_length")                    \
  X(kNdOptionTruncated, "nd_option_truncated")                       \
  X(kRsUnspecifiedSourceWithSlla, "rs_unspecified_source_with_slla") \
  X(kRaSourceNotLinkLocal, "ra_source_not_link_local")               \
  X(kRaBadPrefixOption, "ra_bad_prefix_option")                      \
  X(kRaBadMtuOption, "ra_bad_mtu_option")                            \
  X(kEchoBadCode, "echo_code_not_zero")                              \
  X(kEchoTruncated, "echo_truncated")                                \
  X(kNotBubble, "not_bubble")                                        \
  X(kEthernetTruncated, "ethernet_truncated")                        \
  X(kEthernetVlanTagged, "ethernet_vlan_tagged")                     \
  X(kEthernetNotIpv4, "ethernet_not_ipv4")                           \
  X(kIpv4Truncated, "ipv4_truncated_header")                         \
  X(kIpv4BadVersion, "ipv4_bad_version")                             \
  X(kIpv4BadHeaderLength, "ipv4_bad_header_length")                  \
  X(kIpv4BadChecksum, "ipv4_bad_header_checksum")                    \
  X(kIpv4LengthExceedsFrame, "ipv4_length_exceeds_frame")            \
  X(kIpv4Fragment, "ipv4_fragment")                                  \
  X(kIpv4NotUdp, "ipv4_not_udp")                                     \
  X(kUdpTruncated, "udp_truncated_header")                           \
  X(kUdpLengthMismatch, "udp_length_mismatch")                       \
  X(kUdpBadChecksum, "udp_bad_checksum")

enum class DropReason : std::uint8_t {
#define SHIPWORM_X(name, text) name,
  SHIPWORM_WIRE_DROP_REASONS(SHIPWORM_X)
#undef SHIPWORM_X
      kCount
};

// Stable snake_case names: they appear in status output, metrics and logs.
std::string_view to_string(DropReason r);

}  // namespace shipworm::wire
