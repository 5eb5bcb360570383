// The AF_XDP fast path (docs/os-linux.md, "AF_XDP fast path"): IPv4 UDP datagrams for a
// few local addresses and one destination port, taken off one interface as whole Ethernet
// frames before the kernel's IP/UDP stack sees them, and whole Ethernet frames sent back.
//
// Kernel interfaces: XDP (an eBPF program on the interface's receive path) and AF_XDP
// sockets (Documentation/networking/af_xdp.rst), through libbpf and libxdp's xsk API.
//
//  - The XDP program (bpf/teredo_redirect.bpf.c, compiled at build time and embedded in the
//    library) redirects Ethernet II / IPv4 without options / not fragmented / UDP / to one of
//    `addresses` / to `port` frames into the AF_XDP socket of the queue that received them.
//    Everything else goes on to the kernel (XDP_PASS): ARP, ICMP, other ports, fragments
//    and frames longer than a UMEM frame. The ordinary UdpSocket on the port stays bound
//    as the fallback for what the program passes.
//  - It is attached through a bpf_link: the kernel detaches it when the link's descriptor
//    is closed, by the destructor or by the process dying, so no exit (not even a crash)
//    leaves the interface filtered, and detaching needs no capability. Native (driver) mode
//    first, generic (SKB) mode when the driver has no XDP support (attach_mode()). An
//    interface that already has an XDP program is refused, never taken over.
//  - One AF_XDP socket per RX queue, each with its own UMEM of `frames_per_queue` 2048-byte
//    frames mapped once at open: half of them receive (kept in the fill ring), half
//    transmit. The kernel picks zero-copy when the driver supports it, copy otherwise
//    (copy_mode()). Bound with XDP_USE_NEED_WAKEUP: the kernel is only called when a ring
//    says it must be.
//
// Opening needs CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF (or CAP_SYS_ADMIN) and CAP_IPC_LOCK or
// enough RLIMIT_MEMLOCK for the UMEM; afterwards the descriptors work without them, so a
// server may drop privileges after open().
//
// Threads: each queue may be served by its own thread (receive/tx_*/flush/counters of
// queue q touch only queue q). Nothing on the packet path allocates or throws.
#pragma once

#include <sys/socket.h>
#include <xdp/xsk.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "os/linux/os_error.h"
#include "wire/bytes.h"
#include "wire/ip_address.h"

namespace shipworm::os {

enum class XdpAttach {
  automatic,  // native, falling back to generic when the driver refuses native XDP
  native,     // driver mode only (XDP_FLAGS_DRV_MODE)
  generic,    // SKB mode only (XDP_FLAGS_SKB_MODE): any driver, slower
};

struct XdpPortOptions {
  std::string interface;                     // e.g. "eth0"
  std::vector<wire::Ipv4Address> addresses;  // 1 to kMaxAddresses local addresses
  std::uint16_t port = 3544;                 // UDP destination port (RFC 4380 §4: 3544)
  // UMEM frames per RX queue, half to receive and half to transmit. A power of two,
  // kMinFramesPerQueue to kMaxFramesPerQueue; memory is 2048 bytes per frame per queue.
  std::uint32_t frames_per_queue = 4096;
  XdpAttach attach = XdpAttach::automatic;
};

class XdpPort {
 public:
  static constexpr std::size_t kMaxAddresses = 4;  // the program's address map
  static constexpr std::uint32_t kFrameSize = 2048;
  // Received frames start after the kernel's XDP_PACKET_HEADROOM (256) in their UMEM frame,
  // so this is the longest frame (Ethernet header to end of payload, no FCS) that is
  // redirected; longer ones are passed to the kernel. Transmitted frames may be kFrameSize.
  static constexpr std::uint32_t kMaxReceiveFrame = kFrameSize - 256;
  static constexpr std::uint32_t kMinFramesPerQueue = 64;
  static constexpr std::uint32_t kMaxFramesPerQueue = 1U << 18;
  static constexpr std::uint32_t kMaxBatch = 256;  // frames per receive() call at most

  // What the packet path did on one queue. Plain integers: one thread per queue.
  struct Counters {
    std::uint64_t rx_frames = 0;       // frames handed to on_frame
    std::uint64_t rx_wakeups = 0;      // recvfrom() calls asking the kernel to refill
    std::uint64_t tx_frames = 0;       // frames committed and handed to the kernel
    std::uint64_t tx_no_frame = 0;     // tx_acquire() found every TX frame (or ring slot) in use
    std::uint64_t tx_wakeups = 0;      // sendto() calls kicking the kernel to transmit
    std::uint64_t tx_kick_errors = 0;  // sendto() failures other than "busy, retry later"
    std::uint64_t tx_completed = 0;    // TX frames the kernel gave back (sent or dropped)
  };

  // The kernel's own per-socket counts (getsockopt XDP_STATISTICS), e.g. frames lost
  // because the RX ring was full or the fill ring empty. Not for the packet path.
  struct KernelCounters {
    std::uint64_t rx_dropped = 0;  // e.g. frame longer than the UMEM frame
    std::uint64_t rx_invalid_descs = 0;
    std::uint64_t tx_invalid_descs = 0;
    std::uint64_t rx_ring_full = 0;              // we did not read fast enough
    std::uint64_t rx_fill_ring_empty_descs = 0;  // no free frame to receive into
    std::uint64_t tx_ring_empty_descs = 0;
  };

  // Loads and attaches the program, creates the sockets, fills the maps. Every failure
  // names the step, the interface and the errno: "attaching XDP program to eth0 (native
  // mode): Operation not supported".
  static Result<XdpPort> open(const XdpPortOptions& options);

  XdpPort(XdpPort&&) noexcept;
  XdpPort& operator=(XdpPort&&) noexcept;
  XdpPort(const XdpPort&) = delete;
  XdpPort& operator=(const XdpPort&) = delete;
  ~XdpPort();  // detaches the program, closes the sockets, unmaps the UMEMs

  [[nodiscard]] std::size_t queues() const { return queues_.size(); }
  // The AF_XDP socket of queue q, for epoll: readable when its RX ring holds frames.
  [[nodiscard]] int fd(std::size_t q) const;
  [[nodiscard]] const std::string& interface() const { return interface_; }
  [[nodiscard]] unsigned ifindex() const { return ifindex_; }
  // The interface's MAC address (the source of the frames a caller builds).
  [[nodiscard]] const std::array<std::uint8_t, 6>& mac() const { return mac_; }
  [[nodiscard]] std::string_view attach_mode() const { return native_ ? "native" : "generic"; }
  [[nodiscard]] std::string_view copy_mode() const { return zero_copy_ ? "zero-copy" : "copy"; }
  // The attached program's kernel id (bpf_xdp_query reports it on the interface).
  [[nodiscard]] std::uint32_t program_id() const { return program_id_; }

  // Calls on_frame(wire::Bytes frame) for up to `max` (at most kMaxBatch) frames waiting on
  // queue q, oldest first, then gives their buffers back to the kernel. A frame's bytes are
  // valid only during its call. Returns how many frames were handled (0: none waiting).
  template <class F>
  std::size_t receive(std::size_t q, std::size_t max, F&& on_frame);

  // Transmit on queue q, three steps: tx_acquire() lends a free TX frame (kFrameSize bytes;
  // an empty span when every TX frame is in flight: drop and count, the frame is not lost
  // to the kernel), the caller writes an Ethernet frame into it, tx_commit(length) queues
  // it. flush() hands the queued frames to the kernel (with a sendto() kick when the ring
  // asks for one) and takes back the frames the kernel has finished with. Call flush()
  // after each batch. tx_commit without a successful tx_acquire before it is a bug.
  wire::MutableBytes tx_acquire(std::size_t q);
  void tx_commit(std::size_t q, std::size_t length);
  void flush(std::size_t q);

  [[nodiscard]] const Counters& counters(std::size_t q) const;
  [[nodiscard]] Counters total_counters() const;
  [[nodiscard]] Result<KernelCounters> kernel_counters(std::size_t q) const;

 private:
  // One RX queue's socket, UMEM and rings. Heap-allocated so that the ring structs libxdp
  // points into keep their address when the XdpPort moves.
  struct Queue {
    xsk_ring_cons rx{};
    xsk_ring_prod tx{};
    xsk_ring_prod fill{};
    xsk_ring_cons comp{};
    xsk_umem* umem = nullptr;
    xsk_socket* socket = nullptr;
    std::uint8_t* area = nullptr;  // the UMEM, mmap()ed
    std::size_t area_size = 0;
    int fd = -1;
    std::vector<std::uint64_t> tx_free;  // free TX frame addresses (capacity fixed at open)
    // RX frames handled but not yet back in the fill ring (capacity fixed at open): the
    // kernel publishes its fill-ring consumer index lazily, so right after a burst the ring
    // may look fuller than it is.
    std::vector<std::uint64_t> fill_pending;
    std::uint32_t tx_pending = 0;  // committed, not yet submitted to the TX ring
    Counters counters;

    Queue() = default;
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;
    ~Queue();
  };
  struct Program;  // the loaded BPF object and its link (libbpf types stay in the .cpp)

  XdpPort();
  // Asks the kernel to take the fill ring's frames, when the ring says it waits for that.
  static void kick_fill(Queue& queue) {
    if (xsk_ring_prod__needs_wakeup(&queue.fill) != 0) {
      ++queue.counters.rx_wakeups;
      (void)recvfrom(queue.fd, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
    }
  }
  static void reap_completions(Queue& queue);
  // Gives fill_pending back to the fill ring, as much as it has room for now.
  static void refill(Queue& queue) {
    const auto pending = static_cast<std::uint32_t>(queue.fill_pending.size());
    if (pending == 0) return;
    std::uint32_t room = xsk_prod_nb_free(&queue.fill, pending);
    if (room > pending) room = pending;
    std::uint32_t at = 0;
    if (room == 0 || xsk_ring_prod__reserve(&queue.fill, room, &at) != room) return;
    for (std::uint32_t i = 0; i < room; ++i) {
      *xsk_ring_prod__fill_addr(&queue.fill, at + i) = queue.fill_pending[pending - 1 - i];
    }
    xsk_ring_prod__submit(&queue.fill, room);
    queue.fill_pending.resize(pending - room);
  }

  std::string interface_;
  unsigned ifindex_ = 0;
  std::array<std::uint8_t, 6> mac_{};
  bool native_ = false;
  bool zero_copy_ = false;
  std::uint32_t program_id_ = 0;
  // Destroyed in reverse order: the sockets and UMEMs first, then the program (link first).
  std::unique_ptr<Program> program_;
  std::vector<std::unique_ptr<Queue>> queues_;
};

template <class F>
std::size_t XdpPort::receive(std::size_t q, std::size_t max, F&& on_frame) {
  Queue& queue = *queues_[q];
  const auto want = static_cast<std::uint32_t>(max < kMaxBatch ? max : kMaxBatch);
  std::uint32_t rx_at = 0;
  const std::uint32_t n = xsk_ring_cons__peek(&queue.rx, want, &rx_at);
  if (n == 0) {
    refill(queue);
    kick_fill(queue);
    return 0;
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(&queue.rx, rx_at + i);
    const std::uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);
    on_frame(wire::Bytes(queue.area + addr, d->len));
    queue.fill_pending.push_back(addr & ~std::uint64_t{kFrameSize - 1});  // never beyond capacity
  }
  xsk_ring_cons__release(&queue.rx, n);
  refill(queue);
  queue.counters.rx_frames += n;
  kick_fill(queue);
  return n;
}

inline wire::MutableBytes XdpPort::tx_acquire(std::size_t q) {
  Queue& queue = *queues_[q];
  if (queue.tx_free.empty()) reap_completions(queue);
  // The kernel publishes its TX-ring consumer index lazily, so a free frame does not
  // always mean a free ring slot: lend a frame only when its slot is there too.
  if (queue.tx_free.empty() || xsk_prod_nb_free(&queue.tx, 1) < 1) {
    ++queue.counters.tx_no_frame;
    return {};
  }
  return {queue.area + queue.tx_free.back(), kFrameSize};
}

inline void XdpPort::tx_commit(std::size_t q, std::size_t length) {
  Queue& queue = *queues_[q];
  if (queue.tx_free.empty() || length > kFrameSize) std::abort();  // a bug in the caller
  // tx_acquire() saw a free slot, and nothing else reserves one in between.
  std::uint32_t at = 0;
  if (xsk_ring_prod__reserve(&queue.tx, 1, &at) != 1) std::abort();
  xdp_desc* d = xsk_ring_prod__tx_desc(&queue.tx, at);
  d->addr = queue.tx_free.back();
  d->len = static_cast<std::uint32_t>(length);
  d->options = 0;
  queue.tx_free.pop_back();
  ++queue.tx_pending;
}

}  // namespace shipworm::os
