#include "os/linux/xdp_port.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "os/linux/unique_fd.h"

namespace shipworm::os {

// The XDP program, compiled from bpf/teredo_redirect.bpf.c at build time (an ELF object),
// generated into the build tree by bpf/embed.cmake.
namespace bpf {
extern const std::uint8_t kTeredoRedirectObject[];
extern const std::size_t kTeredoRedirectObjectSize;
}  // namespace bpf

namespace {

// The value type of the program's `config` map (struct teredo_config in the .bpf.c).
struct ProgramConfig {
  std::uint16_t port_be;  // network byte order
  std::uint16_t reserved;
  std::uint32_t max_frame;
};

constexpr int kBindAttempts = 200;
constexpr std::chrono::nanoseconds kBindRetryPause = std::chrono::milliseconds(10);

OsError failure(int code, const std::string& doing) { return {code, doing}; }

// libbpf and libxdp return -errno (and libbpf also sets errno).
OsError lib_error(int ret, const std::string& doing) { return {ret < 0 ? -ret : EIO, doing}; }

std::string attach_name(bool native) { return native ? "native" : "generic"; }

const char* attached_mode_name(std::uint8_t mode) {
  switch (mode) {
    case XDP_ATTACHED_DRV:
      return "native";
    case XDP_ATTACHED_SKB:
      return "generic";
    case XDP_ATTACHED_HW:
      return "offloaded";
    case XDP_ATTACHED_MULTI:
      return "several modes";
    default:
      return "unknown";
  }
}

// The number of RX queues: ETHTOOL_GCHANNELS (rx + combined channels), 1 for drivers that
// do not report channels. (Not /sys/class/net: sysfs shows the namespace that mounted it.)
Result<std::size_t> rx_queue_count(const std::string& name) {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return errno_error("creating a socket to query " + name);
  ethtool_channels channels{};
  channels.cmd = ETHTOOL_GCHANNELS;
  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size() + 1);
  req.ifr_data = reinterpret_cast<char*>(&channels);
  if (ioctl(s.get(), SIOCETHTOOL, &req) < 0) {
    if (errno == EOPNOTSUPP) return std::size_t{1};
    return errno_error("reading the channel count of " + name + " (ETHTOOL_GCHANNELS)");
  }
  const std::size_t n = std::size_t{channels.rx_count} + channels.combined_count;
  return n == 0 ? std::size_t{1} : n;
}

Result<std::array<std::uint8_t, 6>> hardware_address(const std::string& name) {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return errno_error("creating a socket to query " + name);
  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size() + 1);
  if (ioctl(s.get(), SIOCGIFHWADDR, &req) < 0) {
    return errno_error("reading the MAC address of " + name);
  }
  std::array<std::uint8_t, 6> mac{};
  std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

Status check_options(const XdpPortOptions& o) {
  if (o.interface.empty() || o.interface.size() >= IFNAMSIZ) {
    return failure(EINVAL, "AF_XDP port: interface name '" + o.interface + "' is not valid");
  }
  if (o.addresses.empty() || o.addresses.size() > XdpPort::kMaxAddresses) {
    return failure(EINVAL, "AF_XDP port on " + o.interface + ": " +
                               std::to_string(o.addresses.size()) + " addresses (1 to " +
                               std::to_string(XdpPort::kMaxAddresses) + " allowed)");
  }
  if (o.port == 0) return failure(EINVAL, "AF_XDP port on " + o.interface + ": port 0");
  const std::uint32_t f = o.frames_per_queue;
  if (f < XdpPort::kMinFramesPerQueue || f > XdpPort::kMaxFramesPerQueue || (f & (f - 1)) != 0) {
    return failure(EINVAL, "AF_XDP port on " + o.interface + ": frames_per_queue " +
                               std::to_string(f) + " (a power of two from " +
                               std::to_string(XdpPort::kMinFramesPerQueue) + " to " +
                               std::to_string(XdpPort::kMaxFramesPerQueue) + " allowed)");
  }
  return {};
}

}  // namespace

struct XdpPort::Program {
  bpf_object* object = nullptr;
  int xsks_map = -1;  // owned by `object`
  UniqueFd link;      // closing it detaches the program from the interface

  Program() = default;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  ~Program() {
    link.reset();
    if (object != nullptr) bpf_object__close(object);
  }
};

XdpPort::Queue::~Queue() {
  if (socket != nullptr) xsk_socket__delete(socket);
  if (umem != nullptr) (void)xsk_umem__delete(umem);
  if (area != nullptr) munmap(area, area_size);
}

XdpPort::XdpPort() = default;
XdpPort::XdpPort(XdpPort&&) noexcept = default;
XdpPort& XdpPort::operator=(XdpPort&&) noexcept = default;

XdpPort::~XdpPort() {
  // Detach first, so that from now on the kernel's stack gets every frame, then close the
  // sockets, then free the program and its maps.
  if (program_) program_->link.reset();
  queues_.clear();
  program_.reset();
}

Result<XdpPort> XdpPort::open(const XdpPortOptions& options) {
  if (auto st = check_options(options); !st) return st.error();
  const std::string& name = options.interface;
  XdpPort port;
  port.interface_ = name;
  port.ifindex_ = if_nametoindex(name.c_str());
  if (port.ifindex_ == 0) return errno_error("looking up interface " + name);
  auto mac = hardware_address(name);
  if (!mac) return mac.error();
  port.mac_ = *mac;
  auto queue_count = rx_queue_count(name);
  if (!queue_count) return queue_count.error();

  // Refuse an interface that already has an XDP program: it belongs to someone else.
  bpf_xdp_query_opts query{};
  query.sz = sizeof query;
  if (int r = bpf_xdp_query(static_cast<int>(port.ifindex_), 0, &query); r < 0) {
    return lib_error(r, "querying the XDP program of " + name);
  }
  if (query.attach_mode != XDP_ATTACHED_NONE) {
    return failure(
        EBUSY, "interface " + name + " already has XDP program " + std::to_string(query.prog_id) +
                   " (" + attached_mode_name(query.attach_mode) + " mode); refusing to replace it");
  }

  // Load the embedded program and fill its maps.
  port.program_ = std::make_unique<Program>();
  Program& prog = *port.program_;
  bpf_object_open_opts open_opts{};
  open_opts.sz = sizeof open_opts;
  open_opts.object_name = "teredo_redirect";
  prog.object =
      bpf_object__open_mem(bpf::kTeredoRedirectObject, bpf::kTeredoRedirectObjectSize, &open_opts);
  if (prog.object == nullptr) return errno_error("opening the embedded XDP program");
  bpf_map* xsks = bpf_object__find_map_by_name(prog.object, "xsks_map");
  bpf_program* program = bpf_object__find_program_by_name(prog.object, "teredo_redirect");
  if (xsks == nullptr || program == nullptr) {
    return failure(0, "the embedded XDP program lacks xsks_map or teredo_redirect");
  }
  if (int r = bpf_map__set_max_entries(xsks, static_cast<std::uint32_t>(*queue_count)); r < 0) {
    return lib_error(r, "sizing the XDP socket map");
  }
  if (int r = bpf_object__load(prog.object); r < 0) {
    return lib_error(r, "loading the XDP program into the kernel");
  }
  prog.xsks_map = bpf_map__fd(xsks);
  const std::uint32_t zero = 0;
  const ProgramConfig config{htons(options.port), 0, kMaxReceiveFrame};
  if (bpf_map_update_elem(bpf_object__find_map_fd_by_name(prog.object, "config"), &zero, &config,
                          BPF_ANY) < 0) {
    return errno_error("setting the XDP program's port");
  }
  const int addrs_map = bpf_object__find_map_fd_by_name(prog.object, "local_addrs");
  for (const wire::Ipv4Address a : options.addresses) {
    const std::uint32_t key = htonl(a.value);
    const std::uint8_t one = 1;
    if (bpf_map_update_elem(addrs_map, &key, &one, BPF_ANY) < 0) {
      return errno_error("adding " + a.to_string() + " to the XDP program's addresses");
    }
  }

  // One AF_XDP socket and UMEM per RX queue.
  const std::uint32_t rx_frames = options.frames_per_queue / 2;
  const std::uint32_t tx_frames = options.frames_per_queue - rx_frames;
  port.queues_.reserve(*queue_count);
  for (std::size_t qi = 0; qi < *queue_count; ++qi) {
    const std::string where = " for " + name + " queue " + std::to_string(qi);
    auto& queue = *port.queues_.emplace_back(std::make_unique<Queue>());
    queue.area_size = std::size_t{options.frames_per_queue} * kFrameSize;
    void* area = mmap(nullptr, queue.area_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (area == MAP_FAILED) return errno_error("mapping the AF_XDP UMEM" + where);
    queue.area = static_cast<std::uint8_t*>(area);

    xsk_umem_config umem_config{};
    umem_config.fill_size = rx_frames;
    umem_config.comp_size = tx_frames;
    umem_config.frame_size = kFrameSize;
    umem_config.frame_headroom = 0;
    umem_config.flags = 0;
    xsk_socket_config socket_config{};
    socket_config.rx_size = rx_frames;
    socket_config.tx_size = tx_frames;
    socket_config.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;  // our program, not libxdp's
    socket_config.xdp_flags = 0;
    // Neither XDP_COPY nor XDP_ZEROCOPY: the kernel uses zero-copy where the driver can.
    socket_config.bind_flags = XDP_USE_NEED_WAKEUP;
    // A queue whose previous AF_XDP socket was closed a moment ago stays bound (EBUSY) until
    // the kernel's deferred release of that socket's buffer pool has run: retry for a while.
    for (int attempt = 0;; ++attempt) {
      if (int r = xsk_umem__create(&queue.umem, queue.area, queue.area_size, &queue.fill,
                                   &queue.comp, &umem_config);
          r < 0) {
        queue.umem = nullptr;
        return lib_error(r, "registering the AF_XDP UMEM" + where);
      }
      const int r = xsk_socket__create(&queue.socket, name.c_str(), static_cast<std::uint32_t>(qi),
                                       queue.umem, &queue.rx, &queue.tx, &socket_config);
      if (r >= 0) break;
      queue.socket = nullptr;
      (void)xsk_umem__delete(queue.umem);
      queue.umem = nullptr;
      if (r != -EBUSY || attempt == kBindAttempts) {
        return lib_error(r, "creating the AF_XDP socket" + where);
      }
      const timespec pause{0, kBindRetryPause.count()};
      nanosleep(&pause, nullptr);
    }
    queue.fd = xsk_socket__fd(queue.socket);

    xdp_options xopts{};
    socklen_t xlen = sizeof xopts;
    if (getsockopt(queue.fd, SOL_XDP, XDP_OPTIONS, &xopts, &xlen) < 0) {
      return errno_error("reading the AF_XDP socket options" + where);
    }
    port.zero_copy_ = (xopts.flags & XDP_OPTIONS_ZEROCOPY) != 0;

    // Every RX frame into the fill ring; every TX frame on the free list.
    std::uint32_t at = 0;
    if (xsk_ring_prod__reserve(&queue.fill, rx_frames, &at) != rx_frames) {
      return failure(0, "filling the AF_XDP fill ring" + where);
    }
    for (std::uint32_t i = 0; i < rx_frames; ++i) {
      *xsk_ring_prod__fill_addr(&queue.fill, at + i) = std::uint64_t{i} * kFrameSize;
    }
    xsk_ring_prod__submit(&queue.fill, rx_frames);
    queue.tx_free.reserve(tx_frames);
    queue.fill_pending.reserve(rx_frames);
    for (std::uint32_t i = options.frames_per_queue; i > rx_frames; --i) {
      queue.tx_free.push_back(std::uint64_t{i - 1} * kFrameSize);
    }

    const auto key = static_cast<std::uint32_t>(qi);
    if (bpf_map_update_elem(prog.xsks_map, &key, &queue.fd, BPF_ANY) < 0) {
      return errno_error("adding the AF_XDP socket to the XDP socket map" + where);
    }
  }

  // Attach through a bpf_link: the program goes away with the link's descriptor.
  const int prog_fd = bpf_program__fd(program);
  const auto attach = [&](bool native) {
    bpf_link_create_opts link_opts{};
    link_opts.sz = sizeof link_opts;
    link_opts.flags = native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    return bpf_link_create(prog_fd, static_cast<int>(port.ifindex_), BPF_XDP, &link_opts);
  };
  std::string tried;
  int link = -1;
  if (options.attach != XdpAttach::generic) {
    link = attach(true);
    port.native_ = link >= 0;
    if (link < 0) {
      if (options.attach == XdpAttach::native) {
        return lib_error(link, "attaching the XDP program to " + name + " (native mode)");
      }
      tried = std::string("native mode: ") + std::strerror(-link) + "; ";
    }
  }
  if (link < 0) {
    link = attach(false);
    if (link < 0) {
      return lib_error(link, "attaching the XDP program to " + name + " (" + tried +
                                 attach_name(false) + " mode)");
    }
  }
  prog.link.reset(link);

  bpf_prog_info info{};
  std::uint32_t info_len = sizeof info;
  if (int r = bpf_obj_get_info_by_fd(prog_fd, &info, &info_len); r < 0) {
    return lib_error(r, "reading the XDP program's id");
  }
  port.program_id_ = info.id;
  return port;
}

int XdpPort::fd(std::size_t q) const { return queues_[q]->fd; }

const XdpPort::Counters& XdpPort::counters(std::size_t q) const { return queues_[q]->counters; }

XdpPort::Counters XdpPort::total_counters() const {
  Counters t;
  for (const auto& q : queues_) {
    const Counters& c = q->counters;
    t.rx_frames += c.rx_frames;
    t.rx_wakeups += c.rx_wakeups;
    t.tx_frames += c.tx_frames;
    t.tx_no_frame += c.tx_no_frame;
    t.tx_wakeups += c.tx_wakeups;
    t.tx_kick_errors += c.tx_kick_errors;
    t.tx_completed += c.tx_completed;
  }
  return t;
}

Result<XdpPort::KernelCounters> XdpPort::kernel_counters(std::size_t q) const {
  xdp_statistics s{};
  socklen_t len = sizeof s;
  if (getsockopt(queues_[q]->fd, SOL_XDP, XDP_STATISTICS, &s, &len) < 0) {
    return errno_error("reading AF_XDP statistics of " + interface_ + " queue " +
                       std::to_string(q));
  }
  KernelCounters k;
  k.rx_dropped = s.rx_dropped;
  k.rx_invalid_descs = s.rx_invalid_descs;
  k.tx_invalid_descs = s.tx_invalid_descs;
  k.rx_ring_full = s.rx_ring_full;
  k.rx_fill_ring_empty_descs = s.rx_fill_ring_empty_descs;
  k.tx_ring_empty_descs = s.tx_ring_empty_descs;
  return k;
}

void XdpPort::reap_completions(Queue& queue) {
  std::uint32_t at = 0;
  const std::uint32_t n = xsk_ring_cons__peek(&queue.comp, queue.comp.size, &at);
  if (n == 0) return;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t addr = *xsk_ring_cons__comp_addr(&queue.comp, at + i);
    queue.tx_free.push_back(addr & ~std::uint64_t{kFrameSize - 1});  // never beyond capacity
  }
  xsk_ring_cons__release(&queue.comp, n);
  queue.counters.tx_completed += n;
}

void XdpPort::flush(std::size_t q) {
  Queue& queue = *queues_[q];
  if (queue.tx_pending > 0) {
    xsk_ring_prod__submit(&queue.tx, queue.tx_pending);
    queue.counters.tx_frames += queue.tx_pending;
    queue.tx_pending = 0;
  }
  // In copy mode each sendto() transmits a bounded batch (32 frames in the kernel's
  // __xsk_generic_xmit) and answers EAGAIN when more are left; EBUSY means one frame was
  // dropped by the device and the rest still wait. Kick until the ring is empty, a bounded
  // number of times; what is left goes with the next flush().
  const auto outstanding = [&queue] {
    return __atomic_load_n(queue.tx.consumer, __ATOMIC_ACQUIRE) != *queue.tx.producer;
  };
  for (std::uint32_t kicks = 0;
       kicks <= queue.tx.size / 32 && outstanding() && xsk_ring_prod__needs_wakeup(&queue.tx) != 0;
       ++kicks) {
    ++queue.counters.tx_wakeups;
    if (sendto(queue.fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) continue;
    if (errno == EAGAIN || errno == EBUSY || errno == EINTR) continue;
    if (errno != ENOBUFS) ++queue.counters.tx_kick_errors;  // ENOBUFS: no skb now, retry later
    break;
  }
  reap_completions(queue);
}

}  // namespace shipworm::os
