#include "os/linux/udp_segment.h"

#include <cstdint>
#include <cstring>

#include "wire/checksum.h"

namespace shipworm::os {
namespace {

using wire::store_u16;

constexpr std::uint8_t kUdp = 17;

}  // namespace

bool Udp6Segmenter::start(wire::Bytes packet, std::size_t segment) {
  packet_ = {};
  offset_ = 0;
  if (segment == 0 || packet.size() <= kHeaders || (packet[0] >> 4) != 6 || packet[6] != kUdp)
    return false;
  // The largest datagram's UDP length must fit its 16-bit field.
  const std::size_t payload = packet.size() - kHeaders;
  if (8 + (segment < payload ? segment : payload) > 0xffff) return false;
  packet_ = packet;
  segment_ = segment;
  return true;
}

std::size_t Udp6Segmenter::next(wire::MutableBytes out) {
  const std::size_t payload = packet_.size() - kHeaders;
  if (packet_.empty() || offset_ >= payload) return 0;
  const std::size_t len = payload - offset_ < segment_ ? payload - offset_ : segment_;
  if (out.size() < kHeaders + len) return 0;
  std::memcpy(out.data(), packet_.data(), kHeaders);
  std::memcpy(out.data() + kHeaders, packet_.data() + kHeaders + offset_, len);
  const auto udp_length = static_cast<std::uint16_t>(8 + len);
  store_u16(out, 4, udp_length);   // IPv6 Payload Length
  store_u16(out, 44, udp_length);  // UDP Length
  store_u16(out, 46, 0);
  // Pseudo-header (RFC 8200 §8.1) + UDP header + payload.
  const std::uint32_t sum = wire::pseudo_header_sum(out, udp_length, kUdp);
  auto check = static_cast<std::uint16_t>(
      ~wire::fold_sum(wire::ones_complement_sum(out.subspan(40, udp_length), sum)));
  if (check == 0) check = 0xffff;  // zero means "no checksum", which IPv6 forbids
  store_u16(out, 46, check);
  offset_ += len;
  return kHeaders + len;
}

}  // namespace shipworm::os
