// TUN GSO writes (os/linux/tun_device.h, write_udp_gso / write_tcp_gso): which consecutive
// packets of a batch forwarded to the TUN can leave as one super-packet.
//
// The kernel cuts a super-packet back into the original packets (os/linux/udp_coalesce.h),
// so a run is a sequence of CONSECUTIVE coalescable packets (classify_tun_packet):
//  - all UDP of one flow (same_udp_flow), or all TCP segments each of which follows the run
//    so far (tcp_can_follow: same connection, the next sequence number);
//  - all with the first one's payload length except the last, which may be shorter (and then
//    ends the run);
//  - a TCP segment with PSH ends the run (the kernel sets PSH on the last segment only), and
//    a first segment with PSH is a run of its own;
//  - at most kMaxCoalescedSegments packets, and the whole UDP or TCP length (headers of the
//    first packet but IPv6's, plus every payload) at most 65535 bytes: the IPv6 Payload
//    Length field holds it.
// A packet that cannot be coalesced (classify_tun_packet: payload 0) is a run of one.
//
// Pure: no system call, no allocation; unit-tested without the kernel.
#pragma once

#include <cstddef>
#include <span>

#include "os/linux/udp_coalesce.h"
#include "wire/bytes.h"

namespace shipworm::os {

// What a packet brings to a run: its coalescable UDP or TCP payload length (0: not
// coalescable, see udp_coalesce.h), and whether it is TCP.
struct TunRunPacket {
  std::size_t payload = 0;
  bool tcp = false;
};
TunRunPacket classify_tun_packet(wire::Bytes packet);

struct TunRun {
  std::size_t count = 0;    // packets in the run: 1 when packets[from] goes alone
  bool tcp = false;         // the run is TCP (write_tcp_gso), else UDP (write_udp_gso)
  std::size_t header = 0;   // the first packet's headers: 48 for UDP, 40 + TCP header
  std::size_t segment = 0;  // payload length of each packet but the last (the GSO size)
  std::size_t total = 0;    // payload bytes of the whole run
  bool psh = false;         // the run's last segment had PSH (make_tcp_gso_head)
};

// The run that starts at packets[from] (count 0 only when from >= packets.size()).
// `info` holds classify_tun_packet() of each packet (same size as `packets`).
TunRun tun_run(std::span<const wire::Bytes> packets, std::span<const TunRunPacket> info,
               std::size_t from, std::size_t max_segments = kMaxCoalescedSegments);

}  // namespace shipworm::os
