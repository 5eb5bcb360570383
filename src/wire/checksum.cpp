#include "wire/checksum.h"

#include "wire/constants.h"

namespace shipworm::wire {

std::uint32_t ones_complement_sum(Bytes data, std::uint32_t initial) {
  std::uint64_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += load_u16(data, i);
  if (i < data.size()) sum += std::uint32_t{data[i]} << 8;
  while (sum >> 32) sum = (sum & 0xffffffff) + (sum >> 32);
  return static_cast<std::uint32_t>(sum);
}

std::uint16_t fold_sum(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

std::uint32_t pseudo_header_sum(Bytes ipv6_packet, std::size_t upper_length,
                                std::uint8_t next_header) {
  std::uint8_t tail[8] = {};
  store_u32(tail, 0, static_cast<std::uint32_t>(upper_length));
  tail[7] = next_header;
  return ones_complement_sum(tail, ones_complement_sum(ipv6_packet.subspan(8, 32)));
}

std::uint16_t icmpv6_checksum(const Ipv6Address& src, const Ipv6Address& dst, Bytes message) {
  std::uint8_t pseudo[8] = {};
  store_u32(pseudo, 0, static_cast<std::uint32_t>(message.size()));
  pseudo[7] = kNextHeaderIcmpv6;
  std::uint32_t sum = ones_complement_sum(src.bytes);
  sum = ones_complement_sum(dst.bytes, sum);
  sum = ones_complement_sum(pseudo, sum);
  sum = ones_complement_sum(message, sum);
  return static_cast<std::uint16_t>(~fold_sum(sum));
}

}  // namespace shipworm::wire
