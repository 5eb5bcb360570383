// parse_udp_frame (Ethernet II + IPv4 + UDP, the AF_XDP path): a drop names the first rule
// the frame breaks, as a separate reference walk with its own RFC 1071 loop finds it; an
// accepted frame's fields are its header bytes and its payload view lies where the headers
// put it; build_udp_frame and build_udp_frame_headers rebuild a frame that parses to the same
// fields (byte for byte when the input made the builder's fixed choices) and refuse a buffer
// one byte short. Mutations rarely keep both checksums right, so every input is tried again
// with its checksums repaired, which lets the fuzzer reach the rules behind them.
#include <cstring>
#include <optional>
#include <vector>

#include "fuzz_support.h"
#include "wire/udp_frame.h"

using namespace shipworm;
using namespace shipworm::fuzz;
using wire::DropReason;

namespace {

// Plain RFC 1071, byte by byte, independent of wire::ones_complement_sum.
std::uint16_t reference_sum(Bytes b, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    sum += (i % 2 == 0) ? std::uint32_t{b[i]} << 8 : std::uint32_t{b[i]};
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(sum);
}

std::uint32_t pseudo_sum(Bytes ip, std::size_t udp_length) {
  std::uint32_t s = 17 + static_cast<std::uint32_t>(udp_length);
  for (std::size_t i = 12; i < 20; i += 2) s += wire::load_u16(ip, i);
  return s;
}

// The rules of udp_frame.h in their documented order; nullopt means "accept".
std::optional<DropReason> reference(Bytes f) {
  if (f.size() < 14) return DropReason::kEthernetTruncated;
  const std::uint16_t type = wire::load_u16(f, 12);
  if (type == 0x8100 || type == 0x88a8) return DropReason::kEthernetVlanTagged;
  if (type != 0x0800) return DropReason::kEthernetNotIpv4;
  const Bytes ip = f.subspan(14);
  if (ip.size() < 20) return DropReason::kIpv4Truncated;
  if (ip[0] >> 4 != 4) return DropReason::kIpv4BadVersion;
  const std::size_t ihl = (ip[0] & 0x0fU) * 4U;
  if (ihl < 20) return DropReason::kIpv4BadHeaderLength;
  if (ihl > ip.size()) return DropReason::kIpv4Truncated;
  if (reference_sum(ip.first(ihl)) != 0xffff) return DropReason::kIpv4BadChecksum;
  const std::size_t total = wire::load_u16(ip, 2);
  if (total < ihl) return DropReason::kIpv4BadHeaderLength;
  if (total > ip.size()) return DropReason::kIpv4LengthExceedsFrame;
  if ((wire::load_u16(ip, 6) & 0x3fff) != 0) return DropReason::kIpv4Fragment;
  if (ip[9] != 17) return DropReason::kIpv4NotUdp;
  const Bytes udp = ip.subspan(ihl, total - ihl);
  if (udp.size() < 8) return DropReason::kUdpTruncated;
  if (wire::load_u16(udp, 4) != udp.size()) return DropReason::kUdpLengthMismatch;
  if (wire::load_u16(udp, 6) != 0 && reference_sum(udp, pseudo_sum(ip, udp.size())) != 0xffff) {
    return DropReason::kUdpBadChecksum;
  }
  return std::nullopt;
}

void check(Bytes in) {
  const auto expected = reference(in);
  auto frame = wire::parse_udp_frame(in);
  FUZZ_CHECK(frame.ok() == !expected.has_value());
  if (!frame) {
    FUZZ_CHECK(frame.reason() == *expected);
    return;
  }

  const Bytes ip = in.subspan(14);
  const std::size_t ihl = (ip[0] & 0x0fU) * 4U;
  const std::size_t total = wire::load_u16(ip, 2);
  FUZZ_CHECK(within(frame->payload, in));
  FUZZ_CHECK(frame->payload.data() == ip.data() + ihl + 8);
  FUZZ_CHECK(frame->payload.size() == total - ihl - 8);
  FUZZ_CHECK(std::memcmp(frame->destination_mac.bytes.data(), in.data(), 6) == 0);
  FUZZ_CHECK(std::memcmp(frame->source_mac.bytes.data(), in.data() + 6, 6) == 0);
  FUZZ_CHECK(frame->ttl == ip[8]);
  FUZZ_CHECK(frame->source.address.value == wire::load_u32(ip, 12));
  FUZZ_CHECK(frame->destination.address.value == wire::load_u32(ip, 16));
  FUZZ_CHECK(frame->source.port == wire::load_u16(ip, ihl));
  FUZZ_CHECK(frame->destination.port == wire::load_u16(ip, ihl + 2));

  const std::uint16_t ip_id = wire::load_u16(ip, 4);
  const std::size_t n = wire::kUdpFrameHeaderLength + frame->payload.size();
  std::vector<std::uint8_t> out(n);
  FUZZ_CHECK(wire::build_udp_frame(out, frame->destination_mac, frame->source_mac, frame->source,
                                   frame->destination, ip_id, frame->payload) == n);
  FUZZ_CHECK(wire::build_udp_frame(MutableBytes(out).first(n - 1), frame->destination_mac,
                                   frame->source_mac, frame->source, frame->destination, ip_id,
                                   frame->payload) == 0);
  auto again = wire::parse_udp_frame(Bytes{out});
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->destination_mac == frame->destination_mac &&
             again->source_mac == frame->source_mac);
  FUZZ_CHECK(again->source == frame->source && again->destination == frame->destination);
  FUZZ_CHECK(again->ttl == wire::kUdpFrameTtl);
  FUZZ_CHECK(again->payload.size() == frame->payload.size() &&
             std::memcmp(again->payload.data(), frame->payload.data(), n - 42) == 0);
  FUZZ_CHECK(wire::load_u16(out, 40) != 0);  // a checksum is always sent
  // The input made every choice the builder makes: it must come out byte for byte. (A
  // header checksum of FFFF is the other form of zero; the builder writes 0000.)
  if (ihl == 20 && ip[1] == 0 && wire::load_u16(ip, 6) == 0 && ip[8] == wire::kUdpFrameTtl &&
      wire::load_u16(ip, 10) != 0xffff && wire::load_u16(ip, 26) != 0) {
    FUZZ_CHECK(std::memcmp(out.data(), in.data(), n) == 0);
  }

  // In place: the payload already at offset 42 of the slot, nothing copied or written past.
  std::vector<std::uint8_t> slot(n + 1, 0xa5);
  if (n > 42) std::memcpy(slot.data() + 42, frame->payload.data(), n - 42);
  FUZZ_CHECK(wire::build_udp_frame_headers(slot, frame->destination_mac, frame->source_mac,
                                           frame->source, frame->destination, ip_id, n - 42) == n);
  FUZZ_CHECK(std::memcmp(slot.data(), out.data(), n) == 0 && slot[n] == 0xa5);
}

// Makes the IPv4 header checksum right and, where the UDP layer is well formed and asks for
// one, the UDP checksum too. Returns false if the frame is too broken to repair.
bool repair_checksums(MutableBytes f) {
  if (f.size() < 34 || wire::load_u16(f, 12) != 0x0800 || f[14] >> 4 != 4) return false;
  const std::size_t ihl = (f[14] & 0x0fU) * 4U;
  if (ihl < 20 || 14 + ihl > f.size()) return false;
  const MutableBytes ip = f.subspan(14);
  wire::store_u16(ip, 10, 0);
  wire::store_u16(ip, 10, static_cast<std::uint16_t>(~reference_sum(ip.first(ihl))));
  const std::size_t total = wire::load_u16(ip, 2);
  if (total < ihl + 8 || total > ip.size()) return true;
  const MutableBytes udp = ip.subspan(ihl, total - ihl);
  if (wire::load_u16(udp, 4) != udp.size() || wire::load_u16(udp, 6) == 0) return true;
  wire::store_u16(udp, 6, 0);
  const auto c = static_cast<std::uint16_t>(~reference_sum(udp, pseudo_sum(ip, udp.size())));
  wire::store_u16(udp, 6, c == 0 ? 0xffff : c);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  check(in);
  auto copy = copy_of(in);
  if (repair_checksums(copy)) check(copy);
  return 0;
}
