// parse_ipv6: the view's spans partition the input, its fields are the header's bytes, and
// write_ipv6_header rebuilds the same 40 bytes from them.
#include <array>
#include <cstring>

#include "fuzz_support.h"
#include "wire/ipv6_packet.h"

using namespace shipworm;
using namespace shipworm::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  auto ip = wire::parse_ipv6(in);
  if (!ip) {
    const wire::DropReason r = ip.reason();
    if (size < wire::kIpv6HeaderSize) {
      FUZZ_CHECK(r == wire::DropReason::kIpv6Truncated);
    } else if ((data[0] >> 4) != 6) {
      FUZZ_CHECK(r == wire::DropReason::kIpv6BadVersion);
    } else {
      FUZZ_CHECK(r == wire::DropReason::kIpv6LengthExceedsDatagram);
      FUZZ_CHECK(wire::kIpv6HeaderSize + wire::load_u16(in, 4) > size);
    }
    return 0;
  }
  FUZZ_CHECK(size >= wire::kIpv6HeaderSize && (data[0] >> 4) == 6);
  FUZZ_CHECK(ip->packet.data() == data);
  FUZZ_CHECK(ip->packet.size() == wire::kIpv6HeaderSize + ip->payload_length);
  FUZZ_CHECK(within(ip->trailing, in));
  FUZZ_CHECK(ip->trailing.data() == data + ip->packet.size());
  FUZZ_CHECK(ip->packet.size() + ip->trailing.size() == size);
  FUZZ_CHECK(ip->payload().size() == ip->payload_length);
  FUZZ_CHECK(ip->flow_label <= 0xfffff);

  std::array<std::uint8_t, wire::kIpv6HeaderSize> header{};
  wire::Writer w(header);
  wire::write_ipv6_header(
      w, wire::Ipv6Header{ip->src, ip->dst, ip->next_header, ip->hop_limit, ip->payload_length,
                          ip->traffic_class, ip->flow_label});
  FUZZ_CHECK(w.ok() && w.size() == header.size());
  FUZZ_CHECK(std::memcmp(header.data(), data, header.size()) == 0);

  // The re-parsed header alone gives the same fields (the payload length then overflows
  // unless it is zero).
  auto again = wire::parse_ipv6(Bytes{header});
  if (ip->payload_length == 0) {
    FUZZ_CHECK(again && again->src == ip->src && again->dst == ip->dst &&
               again->hop_limit == ip->hop_limit && again->next_header == ip->next_header);
  } else {
    FUZZ_CHECK(!again && again.reason() == wire::DropReason::kIpv6LengthExceedsDatagram);
  }
  return 0;
}
