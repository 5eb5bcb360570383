#include "os/linux/tcp_segment.h"

#include <cstdint>
#include <cstring>

#include "wire/checksum.h"

namespace shipworm::os {
namespace {

using wire::fold_sum;
using wire::store_u16;

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kPsh = 0x08;
constexpr std::uint8_t kCwr = 0x80;

}  // namespace

bool complete_checksum(wire::MutableBytes packet, std::size_t start, std::size_t offset) {
  // Written so that nothing overflows, whatever start and offset are.
  if (start > packet.size() || packet.size() - start < 2 || offset > packet.size() - start - 2)
    return false;
  const std::uint16_t sum = fold_sum(wire::ones_complement_sum(packet.subspan(start)));
  store_u16(packet, start + offset, static_cast<std::uint16_t>(~sum));
  return true;
}

bool Tcp6Segmenter::start(wire::Bytes packet, std::size_t mss) {
  packet_ = {};
  offset_ = 0;
  if (mss == 0 || packet.size() < 60 || (packet[0] >> 4) != 6 || packet[6] != kTcp) return false;
  const std::size_t tcp_header = static_cast<std::size_t>(packet[52] >> 4) * 4;
  // At least one payload byte (a super-packet without data is nothing to cut), and the
  // largest segment's TCP length must fit the 16-bit Payload Length.
  if (tcp_header < 20 || 40 + tcp_header >= packet.size()) return false;
  const std::size_t payload = packet.size() - 40 - tcp_header;
  if (tcp_header + (mss < payload ? mss : payload) > 0xffff) return false;
  packet_ = packet;
  mss_ = mss;
  header_ = 40 + tcp_header;
  return true;
}

std::size_t Tcp6Segmenter::next(wire::MutableBytes out) {
  const std::size_t payload = packet_.size() - header_;
  if (packet_.empty() || offset_ >= payload) return 0;
  const std::size_t len = payload - offset_ < mss_ ? payload - offset_ : mss_;
  if (out.size() < header_ + len) return 0;
  std::memcpy(out.data(), packet_.data(), header_);
  std::memcpy(out.data() + header_, packet_.data() + header_ + offset_, len);
  const bool first = offset_ == 0;
  const bool last = offset_ + len == payload;
  const std::size_t tcp_length = header_ - 40 + len;
  store_u16(out, 4, static_cast<std::uint16_t>(tcp_length));
  wire::store_u32(out, 44, wire::load_u32(out, 44) + static_cast<std::uint32_t>(offset_));
  if (!last) out[53] = static_cast<std::uint8_t>(out[53] & ~(kFin | kPsh));
  if (!first) out[53] = static_cast<std::uint8_t>(out[53] & ~kCwr);
  // Full checksum: pseudo-header (RFC 8200 §8.1) + TCP header + payload.
  store_u16(out, 56, 0);
  const std::uint32_t sum = wire::pseudo_header_sum(out, tcp_length, kTcp);
  store_u16(out, 56,
            static_cast<std::uint16_t>(
                ~fold_sum(wire::ones_complement_sum(out.subspan(40, tcp_length), sum))));
  offset_ += len;
  return header_ + len;
}

}  // namespace shipworm::os
