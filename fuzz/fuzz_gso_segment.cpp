// Tcp6Segmenter, Udp6Segmenter and complete_checksum (os/linux/, the TSO/USO reads from the
// TUN). Input: byte 0 picks the segmenter (bit 0: 0 TCP, 1 UDP) and whether
// complete_checksum runs on the packet first (bit 1); bytes 1-2 are the segment size
// (gso_size / MSS), bytes 3-4 csum_start and bytes 5-6 csum_offset (16 bits each, as in
// virtio_net_hdr); the rest is the packet (given to the segmenters cut after 60 + 64 segments,
// which bounds the time per input). Properties, each against a reference written here (its
// own RFC 1071 loop; the code under test computes no expectation):
//   - complete_checksum refuses (false, packet untouched) exactly when start > size or the
//     2-byte field at start + offset does not fit; otherwise it writes the complement of the
//     folded sum of [start, end) there, big-endian, and changes nothing else.
//   - start() accepts exactly what its header comment says: TCP: IPv6 version, Next Header
//     6, at least 60 bytes, data offset >= 5 and the TCP header inside the packet with at
//     least one payload byte after it, mss != 0, the largest segment's TCP length <= 65535
//     (Payload Length is not compared with the packet's size); UDP: IPv6 version, Next
//     Header 17, at least one payload byte after the 48 header bytes, segment != 0, the
//     largest datagram's UDP length <= 65535. A refused start() (after an accepted one, half cut)
//     leaves next() returning 0 and writing nothing.
//   - When accepted: segment i carries payload bytes [i*seg, i*seg + len), len = seg except
//     for a shorter last one, so the payloads concatenate to the input's; the segment is the
//     header + len bytes, and nothing is written past them, let alone past `out`. A buffer
//     one byte short of header + len gives 0, writes nothing and loses no state. After the
//     last segment next() returns 0.
//   - The IPv6 header equals the input's but for Payload Length, which is the segment's.
//     TCP: the header (options included) equals the input's but for Sequence Number (+ the
//     payload before it, mod 2^32), FIN and PSH (kept on the last segment only), CWR (kept
//     on the first only) and the checksum. UDP: same ports, UDP Length = 8 + len.
//   - The transport checksum verifies over the RFC 8200 §8.1 pseudo-header; UDP's is never 0.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "fuzz_support.h"
#include "os/linux/tcp_segment.h"
#include "os/linux/udp_segment.h"

using namespace shipworm;
using namespace shipworm::fuzz;

namespace {

constexpr std::size_t kControl = 7;  // mode, segment, csum_start, csum_offset
constexpr std::uint8_t kFill = 0xa5;
constexpr std::size_t kGuard = 64;        // checked bytes after every span handed out
constexpr std::size_t kMaxSegments = 64;  // the packet is cut short beyond that (see below)

// The byte loops of the reference below run over every segment; without coverage callbacks
// in them (their comparisons tell the fuzzer nothing) it runs much faster. Not inlined,
// or the callbacks would come back in the caller.
#if defined(__clang__)
#define NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))
#else
#define NO_COVERAGE
#endif

std::uint16_t fold(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// Plain RFC 1071, byte by byte, independent of wire::ones_complement_sum. Chained pieces
// must have even lengths (all but the last one here do).
NO_COVERAGE std::uint16_t reference_sum(Bytes b, std::uint32_t initial = 0) {
  std::uint64_t sum = initial;
  for (std::size_t i = 0; i < b.size(); ++i) {
    sum += (i % 2 == 0) ? std::uint64_t{b[i]} << 8 : std::uint64_t{b[i]};
  }
  return fold(sum);
}

std::uint16_t be16(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>(std::uint32_t{b[at]} << 8 | b[at + 1]);
}

bool equal(Bytes a, Bytes b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

NO_COVERAGE bool all_fill(Bytes b) {
  static const std::array<std::uint8_t, 1024> fill = [] {
    std::array<std::uint8_t, 1024> a{};
    a.fill(kFill);
    return a;
  }();
  while (!b.empty()) {
    const std::size_t n = std::min(b.size(), fill.size());
    if (std::memcmp(b.data(), fill.data(), n) != 0) return false;
    b = b.subspan(n);
  }
  return true;
}

// Sum of the pseudo-header (source, destination, upper-layer length, next header) and the
// upper-layer bytes of `segment`; 0xffff when the checksum in it is right.
std::uint16_t verify_sum(Bytes segment, std::uint8_t next_header) {
  const Bytes upper = segment.subspan(40);
  std::uint32_t s = reference_sum(segment.subspan(8, 32));
  const auto length = static_cast<std::uint32_t>(upper.size());
  s += (length >> 16) + (length & 0xffff) + next_header;  // 3 zero bytes, then next header
  return reference_sum(upper, s);
}

// The output area: a span of `size` bytes followed by kGuard checked bytes, all kFill.
struct Out {
  std::vector<std::uint8_t> storage;
  MutableBytes reset(std::size_t size) {
    storage.assign(size + kGuard, kFill);
    return MutableBytes(storage).first(size);
  }
  [[nodiscard]] Bytes after(std::size_t n) const { return Bytes(storage).subspan(n); }
};

void check_complete_checksum(std::vector<std::uint8_t>& packet, std::size_t size, std::size_t start,
                             std::size_t offset) {
  const std::vector<std::uint8_t> before(packet);
  const bool fits = start <= size && start + offset + 2 <= size;
  const bool ok = os::complete_checksum(MutableBytes(packet).first(size), start, offset);
  FUZZ_CHECK(ok == fits);
  if (!ok) {
    FUZZ_CHECK(packet == before);
    return;
  }
  const auto expected =
      static_cast<std::uint16_t>(~reference_sum(Bytes(before).subspan(start, size - start)));
  const std::size_t at = start + offset;
  FUZZ_CHECK(be16(packet, at) == expected);
  FUZZ_CHECK(
      std::equal(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(at), before.begin()));
  FUZZ_CHECK(std::equal(packet.begin() + static_cast<std::ptrdiff_t>(at + 2), packet.end(),
                        before.begin() + static_cast<std::ptrdiff_t>(at + 2)));
}

// A valid super-packet of either kind (three segments of 4), to leave each segmenter half
// way through something before start() is given the input.
std::vector<std::uint8_t> primer(bool udp) {
  std::vector<std::uint8_t> p(udp ? 48 + 12 : 60 + 12, 0x11);
  p[0] = 0x60;
  p[6] = udp ? 17 : 6;
  if (!udp) p[52] = 0x50;
  return p;
}

template <class Segmenter>
void prime(Segmenter& s, bool udp, Out& out) {
  static const std::vector<std::uint8_t> tcp = primer(false);
  static const std::vector<std::uint8_t> udp_packet = primer(true);
  FUZZ_CHECK(s.start(udp ? Bytes(udp_packet) : Bytes(tcp), 4));
  FUZZ_CHECK(s.next(out.reset(2048)) == (udp ? 48U : 60U) + 4);
}

// The rules of the header comments; 0 means refused, otherwise the header length.
std::size_t reference_start(Bytes p, std::size_t segment, bool udp) {
  if (segment == 0 || p.size() < 40 || (p[0] >> 4) != 6) return 0;
  if (udp) {
    if (p[6] != 17 || p.size() <= 48) return 0;
    return 8 + std::min(segment, p.size() - 48) <= 65535 ? 48 : 0;
  }
  if (p[6] != 6 || p.size() < 60) return 0;
  const std::size_t tcp_header = static_cast<std::size_t>(p[52] >> 4) * 4;
  if (tcp_header < 20 || 40 + tcp_header >= p.size()) return 0;
  return tcp_header + std::min(segment, p.size() - 40 - tcp_header) <= 65535 ? 40 + tcp_header : 0;
}

void check_segment(Bytes in, Bytes seg, std::size_t header, std::size_t offset, bool udp) {
  const std::size_t len = seg.size() - header;
  const bool first = offset == 0;
  const bool last = offset + len == in.size() - header;
  // IPv6 header: all but Payload Length.
  FUZZ_CHECK(equal(seg.first(4), in.first(4)));
  FUZZ_CHECK(be16(seg, 4) == seg.size() - 40);
  FUZZ_CHECK(equal(seg.subspan(6, 34), in.subspan(6, 34)));
  FUZZ_CHECK(equal(seg.subspan(header), in.subspan(header + offset, len)));
  FUZZ_CHECK(equal(seg.subspan(40, 4), in.subspan(40, 4)));  // ports
  if (udp) {
    FUZZ_CHECK(be16(seg, 44) == 8 + len);
    FUZZ_CHECK(be16(seg, 46) != 0);
    FUZZ_CHECK(verify_sum(seg, 17) == 0xffff);
    return;
  }
  const std::uint32_t seq = (std::uint32_t{in[44]} << 24 | std::uint32_t{in[45]} << 16 |
                             std::uint32_t{in[46]} << 8 | std::uint32_t{in[47]}) +
                            static_cast<std::uint32_t>(offset);
  FUZZ_CHECK(seg[44] == static_cast<std::uint8_t>(seq >> 24) &&
             seg[45] == static_cast<std::uint8_t>(seq >> 16) &&
             seg[46] == static_cast<std::uint8_t>(seq >> 8) &&
             seg[47] == static_cast<std::uint8_t>(seq));
  FUZZ_CHECK(equal(seg.subspan(48, 5), in.subspan(48, 5)));  // ack, data offset
  unsigned flags = in[53];
  if (!last) flags &= ~0x09U;   // FIN 0x01, PSH 0x08 on the last segment only
  if (!first) flags &= ~0x80U;  // CWR 0x80 on the first only
  FUZZ_CHECK(seg[53] == flags);
  FUZZ_CHECK(equal(seg.subspan(54, 2), in.subspan(54, 2)));  // window
  FUZZ_CHECK(equal(seg.subspan(58, header - 58), in.subspan(58, header - 58)));
  FUZZ_CHECK(verify_sum(seg, 6) == 0xffff);
}

template <class Segmenter>
void check_segmenter(Bytes in, std::size_t segment, bool udp) {
  static Out out;
  Segmenter s;
  prime(s, udp, out);
  const std::size_t header = reference_start(in, segment, udp);
  const bool ok = s.start(in, segment);
  FUZZ_CHECK(ok == (header != 0));
  if (!ok) {
    FUZZ_CHECK(s.next(out.reset(2048)) == 0 && all_fill(out.after(0)));
    return;
  }
  FUZZ_CHECK(s.header_length() == header);

  const std::size_t payload = in.size() - header;
  std::size_t offset = 0;
  while (offset < payload) {
    const std::size_t len = std::min(segment, payload - offset);
    // One byte short of this segment: nothing written, nothing lost.
    FUZZ_CHECK(s.next(out.reset(header + len - 1)) == 0 && all_fill(out.after(0)));
    // The caller's buffer (header + one segment), capped so that huge segment sizes stay
    // cheap; the cap is never below what this segment needs.
    const std::size_t room = header + std::min(segment, std::max<std::size_t>(len, 2048));
    const std::size_t n = s.next(out.reset(room));
    FUZZ_CHECK(n == header + len);
    FUZZ_CHECK(all_fill(out.after(n)));
    check_segment(in, Bytes(out.storage).first(n), header, offset, udp);
    offset += len;
  }
  FUZZ_CHECK(s.next(out.reset(2048)) == 0 && all_fill(out.after(0)));
  FUZZ_CHECK(s.next(out.reset(2048)) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kControl) return 0;
  const bool udp = (data[0] & 1) != 0;
  const bool complete = (data[0] & 2) != 0;
  const std::size_t segment = be16(as_bytes(data, size), 1);
  const std::size_t size_packet = size - kControl;
  // The packet for complete_checksum, followed by guard bytes that must stay as they are.
  std::vector<std::uint8_t> packet(data + kControl, data + size);
  packet.resize(size_packet + kGuard, kFill);
  if (complete) {
    check_complete_checksum(packet, size_packet, be16(as_bytes(data, size), 3),
                            be16(as_bytes(data, size), 5));
    FUZZ_CHECK(all_fill(Bytes(packet).subspan(size_packet)));
  }
  // The segmenters read from an exact-size copy, so that ASan sees any read past the end.
  // At most kMaxSegments segments (plus a few when the header is short of 60 bytes): a
  // 4 KB packet cut into 1-byte segments costs thousands of next() calls, and runs that
  // drifted into such inputs were ten times slower; a real super-packet (64 KiB at an MSS
  // above 1000) has a few dozen segments.
  const std::size_t cut =
      std::min(size_packet, 60 + kMaxSegments * std::max<std::size_t>(segment, 1));
  const std::vector<std::uint8_t> exact(packet.begin(),
                                        packet.begin() + static_cast<std::ptrdiff_t>(cut));
  const Bytes in{exact};
  if (udp) {
    check_segmenter<os::Udp6Segmenter>(in, segment, true);
  } else {
    check_segmenter<os::Tcp6Segmenter>(in, segment, false);
  }
  return 0;
}
