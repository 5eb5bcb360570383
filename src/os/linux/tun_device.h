// The Teredo tunnel interface: a TUN device (Documentation/networking/tuntap.rst) carrying
// bare IPv6 packets.
//
// Opened with IFF_TUN | IFF_NO_PI: layer 3, no 4-byte packet-information prefix, so a read
// returns exactly one IPv6 packet and a write takes exactly one (the kernel learns the
// protocol from the version nibble). Non-blocking, close-on-exec; not persistent, so the
// interface disappears when the last descriptor closes (nothing to clean up after a crash).
//
// Multi-queue (IFF_MULTI_QUEUE): opening the same name again adds a queue; the kernel spreads
// outgoing flows over queues by hash, so each worker thread can own one queue and one
// SO_REUSEPORT socket (see docs/os-linux.md, "Workers").
//
// Offloads (vnet_hdr): with IFF_VNET_HDR every read and write starts with a 10-byte
// struct virtio_net_hdr (TUNSETVNETHDRSZ; linux/virtio_net.h). Without `tso` no TUNSETOFFLOAD
// feature is set, so the kernel never hands us a GSO or partially checksummed packet: read()
// strips a header that says "nothing to do". With `tso`, read_offload() reports TCP
// super-packets and partial checksums; with `uso` as well, UDP super-packets (Linux 6.2+,
// TUN_F_USO4 | TUN_F_USO6; an older kernel refuses them and the device opens without).
// Writes carry an all-zero header, except write_udp_gso() / write_tcp_gso(), which hand the
// kernel one GSO super-packet (VIRTIO_NET_HDR_GSO_UDP_L4 / TCPV6) that it cuts into the
// original packets after the TUN, so the relay pays one write for a run of packets of one
// flow (os/linux/udp_coalesce.h, docs/os-linux.md "TUN offloads").
//
// Addresses, routes, MTU and link state are set with Netlink, using ifindex().
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "os/linux/os_error.h"
#include "os/linux/packet_batch.h"
#include "os/linux/unique_fd.h"
#include "wire/bytes.h"

namespace shipworm::os {

struct TunOptions {
  // Interface name; empty lets the kernel choose ("tun0"...). A "%d" is replaced by the
  // kernel with the first free number ("teredo%d").
  std::string name;
  bool multi_queue = false;
  bool vnet_hdr = false;  // IFF_VNET_HDR: write_udp_gso() available
  // With vnet_hdr: TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO6. The kernel may then hand us
  // packets whose checksum is to be completed and whole TCP super-packets (read_offload).
  bool tso = false;
  // With tso: also TUN_F_USO4 | TUN_F_USO6 (the kernel takes only both), so forwarded UDP
  // that GRO merged, or a local UDP_SEGMENT send, reaches us as one super-packet.
  bool uso = false;
};

// What the virtio_net_hdr of a read says (read_offload).
struct TunReadInfo {
  bool needs_csum = false;  // complete the checksum at csum_start + csum_offset
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;
  bool tcp6_gso = false;  // a TCP/IPv6 super-packet of gso_size segments
  bool udp_gso = false;   // a UDP super-packet of gso_size-byte datagrams (USO)
  std::uint16_t gso_size = 0;
  bool other_gso = false;  // a GSO type we never asked for
};

class TunDevice {
 public:
  static Result<TunDevice> open(const TunOptions& options = {});

  [[nodiscard]] int fd() const { return fd_.get(); }
  // The name the kernel gave the interface, and its index.
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] unsigned ifindex() const { return ifindex_; }

  // One packet into `buffer`; count = its length. Nothing waiting is error EAGAIN.
  IoResult read(wire::MutableBytes buffer);
  // Reads packets until the batch is full or nothing is waiting, replacing its contents.
  // count = packets read; error is set only if a read failed with something other than
  // EAGAIN (packets read before it are kept).
  IoResult read_batch(PacketBatch& batch);
  // With vnet_hdr: one packet into `buffer`, and on into `overflow` when it is longer (a
  // super-packet); count = its whole length; `info` from its virtio_net_hdr.
  IoResult read_offload(wire::MutableBytes buffer, wire::MutableBytes overflow, TunReadInfo& info);
  // One packet; count = bytes written (of the packet, without a virtio_net_hdr).
  IoResult write(wire::Bytes packet);
  // One UDP GSO super-packet (needs vnet_hdr): parts[0] is the first packet, whose IPv6 and
  // UDP headers (48 bytes, no extension headers) describe the whole (make_udp_gso_head),
  // then the UDP payloads of the following packets. `segment` is the UDP payload length of
  // each packet but the last. At most 1 + kMaxCoalescedSegments parts. count = bytes.
  IoResult write_udp_gso(std::span<const wire::Bytes> parts, std::uint16_t segment);
  // The same for a TCP/IPv6 super-packet (VIRTIO_NET_HDR_GSO_TCPV6): parts[0] is the first
  // segment with headers (`header_length` = 40 + its TCP header) for the whole
  // (make_tcp_gso_head), then the payloads of the following segments; `segment` = the MSS.
  IoResult write_tcp_gso(std::span<const wire::Bytes> parts, std::uint16_t header_length,
                         std::uint16_t segment);
  [[nodiscard]] bool vnet_hdr() const { return vnet_hdr_; }
  [[nodiscard]] bool tso() const { return tso_; }
  // UDP super-packets may be read (the kernel took TUN_F_USO4 | TUN_F_USO6).
  [[nodiscard]] bool uso() const { return uso_; }
  // Writes packets [from, batch.size()), skipping ones the kernel refuses, stopping at EAGAIN.
  BatchResult write_batch(const PacketBatch& batch, std::size_t from = 0);

 private:
  TunDevice(UniqueFd fd, std::string name, unsigned ifindex, bool vnet_hdr, bool tso, bool uso)
      : fd_(std::move(fd)),
        name_(std::move(name)),
        ifindex_(ifindex),
        vnet_hdr_(vnet_hdr),
        tso_(tso),
        uso_(uso) {}
  UniqueFd fd_;
  std::string name_;
  unsigned ifindex_ = 0;
  IoResult write_gso(std::span<const wire::Bytes> parts, std::uint8_t gso_type,
                     std::uint16_t header_length, std::uint16_t csum_offset, std::uint16_t segment);
  bool vnet_hdr_ = false;
  bool tso_ = false;
  bool uso_ = false;
};

}  // namespace shipworm::os
