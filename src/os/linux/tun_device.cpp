#include "os/linux/tun_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "os/linux/udp_coalesce.h"

namespace shipworm::os {
namespace {

// struct virtio_net_hdr (linux/virtio_net.h, which C++ cannot include: a member is named
// `class`), legacy layout: fields in native byte order (no TUNSETVNETLE/BE).
struct VirtioNetHdr {
  std::uint8_t flags = 0;
  std::uint8_t gso_type = 0;
  std::uint16_t hdr_len = 0;
  std::uint16_t gso_size = 0;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;
};
static_assert(sizeof(VirtioNetHdr) == 10);
constexpr std::uint8_t kNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr std::uint8_t kGsoNone = 0;    // VIRTIO_NET_HDR_GSO_NONE
constexpr std::uint8_t kGsoTcpV6 = 4;   // VIRTIO_NET_HDR_GSO_TCPV6
constexpr std::uint8_t kGsoUdpL4 = 5;   // VIRTIO_NET_HDR_GSO_UDP_L4 (Linux 5.18 uapi)
constexpr int kVnetHeaderSize = sizeof(VirtioNetHdr);
// linux/if_tun.h of Linux 6.2; Debian 12's headers (6.1) predate them.
constexpr unsigned kTunUso4 = 0x20;  // TUN_F_USO4
constexpr unsigned kTunUso6 = 0x40;  // TUN_F_USO6

template <class Op>
IoResult retry(Op op) {
  ssize_t r;
  do {
    r = op();
  } while (r < 0 && errno == EINTR);
  if (r < 0) return {0, errno};
  return {static_cast<std::size_t>(r), 0};
}

}  // namespace

Result<TunDevice> TunDevice::open(const TunOptions& options) {
  const std::string label = options.name.empty() ? "a TUN device" : "TUN device " + options.name;
  if (options.name.size() >= IFNAMSIZ) {
    return OsError(ENAMETOOLONG, "creating " + label + " (at most 15 characters)");
  }
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return errno_error("opening /dev/net/tun to create " + label);

  ifreq ifr{};
  short flags = IFF_TUN | IFF_NO_PI;
  if (options.multi_queue) flags = static_cast<short>(flags | IFF_MULTI_QUEUE);
  if (options.vnet_hdr) flags = static_cast<short>(flags | IFF_VNET_HDR);
  ifr.ifr_flags = flags;
  std::memcpy(ifr.ifr_name, options.name.data(), options.name.size());
  if (ioctl(fd.get(), TUNSETIFF, &ifr) < 0)
    return errno_error("creating " + label + " (TUNSETIFF)");

  // The kernel wrote the actual name back into ifr_name.
  std::string name(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  bool uso = false;
  if (options.vnet_hdr) {
    int size = kVnetHeaderSize;
    if (ioctl(fd.get(), TUNSETVNETHDRSZ, &size) < 0)
      return errno_error("setting the virtio header size of " + name + " (TUNSETVNETHDRSZ)");
    // Without tso, no offload towards us: reads are whole, fully checksummed packets.
    const unsigned offloads = options.tso ? TUN_F_CSUM | TUN_F_TSO6 : 0U;
    uso = options.tso && options.uso &&
          ioctl(fd.get(), TUNSETOFFLOAD, offloads | kTunUso4 | kTunUso6) == 0;
    // EINVAL before Linux 6.2 (no USO): then TCP offloads alone.
    if (!uso && ioctl(fd.get(), TUNSETOFFLOAD, offloads) < 0)
      return errno_error("setting the offloads of " + name + " (TUNSETOFFLOAD)");
  }
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return errno_error("reading the interface index of " + name);
  return TunDevice(std::move(fd), std::move(name), index, options.vnet_hdr,
                   options.vnet_hdr && options.tso, uso);
}

IoResult TunDevice::read(wire::MutableBytes buffer) {
  if (!vnet_hdr_) return retry([&] { return ::read(fd_.get(), buffer.data(), buffer.size()); });
  VirtioNetHdr header{};
  std::array<iovec, 2> iov{{{&header, sizeof header}, {buffer.data(), buffer.size()}}};
  const IoResult r = retry([&] { return ::readv(fd_.get(), iov.data(), 2); });
  if (!r.ok()) return r;
  if (r.count < sizeof header) return {0, EINVAL};
  return {r.count - sizeof header, 0};
}

IoResult TunDevice::read_offload(wire::MutableBytes buffer, wire::MutableBytes overflow,
                                 TunReadInfo& info) {
  VirtioNetHdr header{};
  std::array<iovec, 3> iov{{{&header, sizeof header},
                            {buffer.data(), buffer.size()},
                            {overflow.data(), overflow.size()}}};
  const IoResult r = retry([&] { return ::readv(fd_.get(), iov.data(), 3); });
  if (!r.ok()) return r;
  if (!vnet_hdr_ || r.count < sizeof header) return {0, EINVAL};
  info = {};
  info.needs_csum = (header.flags & kNeedsCsum) != 0;
  info.csum_start = header.csum_start;
  info.csum_offset = header.csum_offset;
  info.tcp6_gso = header.gso_type == kGsoTcpV6;
  info.udp_gso = header.gso_type == kGsoUdpL4;
  info.gso_size = header.gso_size;
  info.other_gso = header.gso_type != kGsoNone && !info.tcp6_gso && !info.udp_gso;
  return {r.count - sizeof header, 0};
}

IoResult TunDevice::read_batch(PacketBatch& batch) {
  batch.clear();
  while (!batch.full()) {
    const IoResult r = read(batch.next_buffer());
    if (!r.ok()) {
      if (would_block(r.error)) break;
      return {batch.size(), r.error};
    }
    batch.commit(r.count);
  }
  return {batch.size(), 0};
}

IoResult TunDevice::write(wire::Bytes packet) {
  if (!vnet_hdr_) return retry([&] { return ::write(fd_.get(), packet.data(), packet.size()); });
  VirtioNetHdr header{};  // VIRTIO_NET_HDR_GSO_NONE, no checksum to complete
  std::array<iovec, 2> iov{
      {{&header, sizeof header}, {const_cast<std::uint8_t*>(packet.data()), packet.size()}}};
  const IoResult r = retry([&] { return ::writev(fd_.get(), iov.data(), 2); });
  if (!r.ok()) return r;
  return {r.count - sizeof header, 0};
}

IoResult TunDevice::write_udp_gso(std::span<const wire::Bytes> parts, std::uint16_t segment) {
  return write_gso(parts, kGsoUdpL4, kIpv6UdpHeaders, 6, segment);
}

IoResult TunDevice::write_tcp_gso(std::span<const wire::Bytes> parts, std::uint16_t header_length,
                                  std::uint16_t segment) {
  return write_gso(parts, kGsoTcpV6, header_length, 16, segment);
}

IoResult TunDevice::write_gso(std::span<const wire::Bytes> parts, std::uint8_t gso_type,
                              std::uint16_t header_length, std::uint16_t csum_offset,
                              std::uint16_t segment) {
  if (!vnet_hdr_ || parts.empty() || parts.size() > 1 + kMaxCoalescedSegments ||
      parts[0].size() < header_length) {
    return {0, EINVAL};
  }
  VirtioNetHdr header{};
  header.flags = kNeedsCsum;
  header.gso_type = gso_type;
  header.hdr_len = header_length;
  header.gso_size = segment;
  header.csum_start = 40;  // the transport header (no extension headers)
  header.csum_offset = csum_offset;
  std::array<iovec, 2 + kMaxCoalescedSegments> iov{};
  iov[0] = {&header, sizeof header};
  std::size_t n = 1;
  for (const wire::Bytes part : parts) {
    iov[n++] = {const_cast<std::uint8_t*>(part.data()), part.size()};
  }
  const IoResult r = retry([&] { return ::writev(fd_.get(), iov.data(), static_cast<int>(n)); });
  if (!r.ok()) return r;
  return {r.count - sizeof header, 0};
}

BatchResult TunDevice::write_batch(const PacketBatch& batch, std::size_t from) {
  BatchResult res;
  std::size_t i = from;
  for (; i < batch.size(); ++i) {
    const IoResult r = write(batch.packet(i));
    if (r.ok()) {
      ++res.sent;
    } else if (would_block(r.error)) {
      res.blocked = true;
      break;
    } else {  // EINVAL (not a valid IP packet), EIO (interface down)...: skip this one
      ++res.dropped;
      res.last_error = r.error;
    }
  }
  res.next = i;
  return res;
}

}  // namespace shipworm::os
