// XdpPort (the AF_XDP fast path) against the real kernel, inside a private network namespace
// created by a forked child. Needs root (and iproute2's `ip` to create the veth pair);
// skipped without root.
//
//   [ child's netns ]                                    [ second netns ]
//     xa 192.0.2.1/24, 192.0.2.3/24  <---- veth ---->  xb 192.0.2.2/24
//     XdpPort(xa, {192.0.2.1}, 3544)                    UdpSocket (the "client")
//     UdpSocket 0.0.0.0:3544 (the fallback), UdpSocket 192.0.2.1:3545
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "child_test_util.h"
#include "os/linux/netlink.h"
#include "os/linux/private_netns.h"
#include "os/linux/udp_socket.h"
#include "os/linux/unique_fd.h"
#include "os/linux/xdp_port.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

namespace shipworm::os {
namespace {

using wire::Endpoint;
using wire::Ipv4Address;

const Ipv4Address kServer = Ipv4Address::from_octets(192, 0, 2, 1);  // TEST-NET-1
const Ipv4Address kPeer = Ipv4Address::from_octets(192, 0, 2, 2);
const Ipv4Address kOther = Ipv4Address::from_octets(192, 0, 2, 3);  // local, not captured
constexpr std::uint16_t kPort = 3544;

// Ethernet (14) + IPv4 without options (20) + UDP (8).
constexpr std::size_t kEth = 14;
constexpr std::size_t kIp = kEth;
constexpr std::size_t kUdp = kEth + 20;
constexpr std::size_t kPayload = kUdp + 8;

bool wait_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 5000) == 1;
}

// The drawing's topology: xa stays in the test child's namespace, xb moves to a second,
// private one (a datagram between two addresses of one namespace would never touch the
// veth: the kernel delivers it locally). Sockets keep the namespace they were created in.
class Topology {
 public:
  // Returns "" or a failure text.
  std::string create(unsigned rx_queues = 1) {
    here_ = UniqueFd(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (unshare(CLONE_NEWNET) < 0) return std::string("unshare: ") + std::strerror(errno);
    peer_ = UniqueFd(::open("/proc/self/ns/net", O_RDONLY));  // inherited by `ip` below
    if (!here_.valid() || !peer_.valid() || setns(here_.get(), CLONE_NEWNET) < 0) {
      return std::string("namespaces: ") + std::strerror(errno);
    }
    const std::string q = std::to_string(rx_queues);
    const std::string cmd = "ip link add xa numrxqueues " + q + " numtxqueues " + q +
                            " type veth peer name xb numrxqueues " + q + " numtxqueues " + q +
                            " && ip link set xb netns /proc/" + std::to_string(getpid()) + "/fd/" +
                            std::to_string(peer_.get());
    if (std::system(cmd.c_str()) != 0) return "'" + cmd + "' failed (is iproute2 installed?)";
    if (auto bad = configure("xa", {kServer, kOther}); !bad.empty()) return bad;
    return in_peer([] { return configure("xb", {kPeer}); });
  }

  // Runs f() in xb's namespace (sockets it creates stay there).
  template <class F>
  auto in_peer(F&& f) -> decltype(f()) {
    if (setns(peer_.get(), CLONE_NEWNET) < 0) std::abort();
    auto result = f();
    if (setns(here_.get(), CLONE_NEWNET) < 0) std::abort();
    return result;
  }

  // A UDP socket on 192.0.2.2 in xb's namespace: the Teredo client's side.
  Result<UdpSocket> client() {
    return in_peer([] { return UdpSocket::open({kPeer, 0}); });
  }

 private:
  static std::string configure(const char* name, std::initializer_list<Ipv4Address> addresses) {
    auto nl = Netlink::open();
    if (!nl) return nl.error().message();
    auto index = nl->link_index(name);
    if (!index) return index.error().message();
    for (const Ipv4Address a : addresses) {
      if (auto st = nl->add_address(*index, a, 24); !st) return st.error().message();
    }
    if (auto st = nl->set_link_up(*index); !st) return st.error().message();
    return {};
  }

  UniqueFd here_;
  UniqueFd peer_;
};

XdpPortOptions options_for_xa(XdpAttach attach = XdpAttach::automatic) {
  XdpPortOptions o;
  o.interface = "xa";
  o.addresses = {kServer};
  o.port = kPort;
  o.frames_per_queue = 256;
  o.attach = attach;
  return o;
}

std::vector<std::uint8_t> payload_for(std::size_t i) {
  std::vector<std::uint8_t> v(8 + (i * 53) % 1200);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<std::uint8_t>(i * 11 + k);
  return v;
}

// Receives frames from every queue of `port` until `count` arrived (bounded waits).
std::vector<std::vector<std::uint8_t>> receive_frames(XdpPort& port, std::size_t count) {
  std::vector<std::vector<std::uint8_t>> frames;
  std::vector<pollfd> fds;
  for (std::size_t q = 0; q < port.queues(); ++q) fds.push_back({port.fd(q), POLLIN, 0});
  while (frames.size() < count) {
    if (poll(fds.data(), fds.size(), 5000) <= 0) break;  // epoll/poll wakes on RX
    for (std::size_t q = 0; q < port.queues(); ++q) {
      port.receive(q, 64, [&](wire::Bytes f) { frames.emplace_back(f.begin(), f.end()); });
    }
  }
  return frames;
}

// Checks that `f` is the Ethernet/IPv4/UDP frame the peer sent to kServer:kPort.
std::string check_request_frame(const XdpPort& port, const std::vector<std::uint8_t>& f,
                                const std::vector<std::uint8_t>& payload, std::uint16_t from) {
  CHILD_CHECK(f.size() == kPayload + payload.size(), "frame length " + std::to_string(f.size()));
  CHILD_CHECK(std::equal(port.mac().begin(), port.mac().end(), f.begin()), "destination MAC");
  CHILD_CHECK(wire::load_u16(f, 12) == 0x0800, "ethertype");
  CHILD_CHECK(f[kIp] == 0x45, "IPv4 version/IHL");
  CHILD_CHECK(f[kIp + 9] == 17, "protocol UDP");
  CHILD_CHECK(wire::load_u32(f, kIp + 12) == kPeer.value, "source address");
  CHILD_CHECK(wire::load_u32(f, kIp + 16) == kServer.value, "destination address");
  CHILD_CHECK(wire::load_u16(f, kUdp) == from, "source port");
  CHILD_CHECK(wire::load_u16(f, kUdp + 2) == kPort, "destination port");
  CHILD_CHECK(wire::load_u16(f, kUdp + 4) == 8 + payload.size(), "UDP length");
  CHILD_CHECK(std::equal(payload.begin(), payload.end(), f.begin() + kPayload), "UDP payload");
  return {};
}

// Writes into `out` the reply to `request` (MACs, addresses and ports swapped) carrying
// `payload`; the IPv4 header checksum computed, the UDP checksum 0 (legal in IPv4, RFC 768).
std::size_t build_reply(wire::MutableBytes out, const std::vector<std::uint8_t>& request,
                        const std::vector<std::uint8_t>& payload) {
  const std::size_t length = kPayload + payload.size();
  std::memcpy(out.data(), request.data() + 6, 6);  // destination: the request's source
  std::memcpy(out.data() + 6, request.data(), 6);  // source: us
  wire::store_u16(out, 12, 0x0800);
  std::memcpy(out.data() + kIp, request.data() + kIp, 20);
  wire::store_u16(out, kIp + 2, static_cast<std::uint16_t>(length - kEth));  // total length
  wire::store_u16(out, kIp + 4, 0);                                          // identification
  out[kIp + 8] = 64;                                                         // TTL
  wire::store_u16(out, kIp + 10, 0);
  wire::store_u32(out, kIp + 12, wire::load_u32(request, kIp + 16));
  wire::store_u32(out, kIp + 16, wire::load_u32(request, kIp + 12));
  std::uint32_t sum = wire::ones_complement_sum(out.subspan(kIp, 20));
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  wire::store_u16(out, kIp + 10, static_cast<std::uint16_t>(~sum));
  wire::store_u16(out, kUdp, wire::load_u16(request, kUdp + 2));
  wire::store_u16(out, kUdp + 2, wire::load_u16(request, kUdp));
  wire::store_u16(out, kUdp + 4, static_cast<std::uint16_t>(8 + payload.size()));
  wire::store_u16(out, kUdp + 6, 0);
  std::copy(payload.begin(), payload.end(), out.begin() + kPayload);
  return length;
}

// The XDP program id attached to `ifname` (0: none).
std::uint32_t attached_program(const char* ifname) {
  bpf_xdp_query_opts q{};
  q.sz = sizeof q;
  if (bpf_xdp_query(static_cast<int>(if_nametoindex(ifname)), 0, &q) < 0) return ~0U;
  return q.prog_id;
}

TEST(XdpPort, CapturesUdpToItsAddressAndPortAsWholeEthernetFrames) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    Topology net;
    const std::string setup = net.create();
    CHILD_CHECK(setup.empty(), setup);
    auto fallback = UdpSocket::open({{}, kPort});  // the server's ordinary socket stays bound
    CHILD_OK(fallback);
    auto port = XdpPort::open(options_for_xa());
    CHILD_OK(port);
    CHILD_CHECK(port->queues() == 1, "veth has one RX queue");
    CHILD_CHECK(port->attach_mode() == "native", std::string(port->attach_mode()));
    CHILD_CHECK(port->program_id() != 0 && attached_program("xa") == port->program_id(),
                "program id");
    auto client = net.client();
    CHILD_OK(client);

    constexpr std::size_t kCount = 40;
    for (std::size_t i = 0; i < kCount; ++i) {
      const IoResult r = client->send_to({kServer, kPort}, payload_for(i));
      CHILD_CHECK(r.ok(), "send error " + std::to_string(r.error));
    }
    const auto frames = receive_frames(*port, kCount);
    CHILD_CHECK(frames.size() == kCount, "received " + std::to_string(frames.size()));
    for (std::size_t i = 0; i < kCount; ++i) {
      const std::string bad =
          check_request_frame(*port, frames[i], payload_for(i), client->local_endpoint().port);
      CHILD_CHECK(bad.empty(), "frame " + std::to_string(i) + ": " + bad);
    }
    CHILD_CHECK(port->counters(0).rx_frames == kCount, "rx_frames counter");
    // Nothing reached the kernel's UDP socket: the frames were taken before the IP stack.
    std::vector<std::uint8_t> buf(2048);
    Datagram info;
    CHILD_CHECK(fallback->recv_from(buf, info).error == EAGAIN, "fallback socket got a datagram");
    auto k = port->kernel_counters(0);
    CHILD_OK(k);
    CHILD_CHECK(k->rx_dropped == 0 && k->rx_ring_full == 0, "kernel dropped frames");
    return {};
  });
}

TEST(XdpPort, LeavesOtherPortsAddressesAndArpToTheKernel) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    Topology net;
    const std::string setup = net.create();
    CHILD_CHECK(setup.empty(), setup);
    auto fallback = UdpSocket::open({{}, kPort});
    CHILD_OK(fallback);
    auto other_port = UdpSocket::open({kServer, kPort + 1});
    CHILD_OK(other_port);
    auto port = XdpPort::open(options_for_xa());
    CHILD_OK(port);
    auto client = net.client();
    CHILD_OK(client);

    // ARP for 192.0.2.1 and 192.0.2.3 is answered by the kernel (XDP_PASS), or nothing
    // below could be sent at all.
    const std::vector<std::uint8_t> hello{'h', 'i'};
    CHILD_CHECK(client->send_to({kServer, kPort + 1}, hello).ok(), "send to other port");
    CHILD_CHECK(client->send_to({kOther, kPort}, hello).ok(), "send to other address");
    std::vector<std::uint8_t> buf(2048);
    Datagram info;
    CHILD_CHECK(wait_readable(other_port->fd()), "other port never got its datagram");
    CHILD_CHECK(other_port->recv_from(buf, info).count == hello.size(), "other port datagram");
    CHILD_CHECK(wait_readable(fallback->fd()), "other address never reached the UDP socket");
    CHILD_CHECK(fallback->recv_from(buf, info).count == hello.size(), "fallback datagram");
    CHILD_CHECK(info.local == kOther, "fallback destination " + info.local.to_string());

    std::size_t captured = 0;
    captured += port->receive(0, 64, [](wire::Bytes) {});
    CHILD_CHECK(captured == 0, "captured " + std::to_string(captured) + " frames not ours");
    return {};
  });
}

TEST(XdpPort, TransmitsFramesTheCallerBuildsToThePeer) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    Topology net;
    const std::string setup = net.create();
    CHILD_CHECK(setup.empty(), setup);
    auto port = XdpPort::open(options_for_xa());
    CHILD_OK(port);
    auto client = net.client();
    CHILD_OK(client);
    CHILD_CHECK(client->send_to({kServer, kPort}, payload_for(0)).ok(), "send");
    const auto request = receive_frames(*port, 1);
    CHILD_CHECK(request.size() == 1, "request never captured");

    // More replies than one sendto() kick transmits in copy mode (32), fewer than the 128
    // TX frames of a 256-frame queue.
    constexpr std::size_t kReplies = 100;
    for (std::size_t i = 0; i < kReplies; ++i) {
      const wire::MutableBytes frame = port->tx_acquire(0);
      CHILD_CHECK(frame.size() == XdpPort::kFrameSize,
                  "no TX frame for reply " + std::to_string(i));
      port->tx_commit(0, build_reply(frame, request[0], payload_for(i + 1)));
    }
    port->flush(0);

    std::vector<std::uint8_t> buf(2048);
    for (std::size_t i = 0; i < kReplies; ++i) {
      CHILD_CHECK(wait_readable(client->fd()), "reply " + std::to_string(i) + " never arrived");
      Datagram info;
      const IoResult r = client->recv_from(buf, info);
      const auto want = payload_for(i + 1);
      CHILD_CHECK(r.ok() && r.count == want.size(), "reply " + std::to_string(i) + " length");
      CHILD_CHECK(std::equal(want.begin(), want.end(), buf.begin()), "reply payload");
      CHILD_CHECK(info.peer == (Endpoint{kServer, kPort}), "reply from " + info.peer.to_string());
    }
    for (int i = 0; i < 100 && port->counters(0).tx_completed < kReplies; ++i) port->flush(0);
    const auto& c = port->counters(0);
    CHILD_CHECK(c.tx_frames == kReplies && c.tx_completed == kReplies,
                "tx_frames " + std::to_string(c.tx_frames) + " completed " +
                    std::to_string(c.tx_completed));
    CHILD_CHECK(c.tx_kick_errors == 0, "kick errors");
    return {};
  });
}

TEST(XdpPort, TxAcquireReportsExhaustionInsteadOfBlocking) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    Topology net;
    const std::string setup = net.create();
    CHILD_CHECK(setup.empty(), setup);
    auto port = XdpPort::open(options_for_xa());
    CHILD_OK(port);
    // 256 frames per queue: 128 for TX. Acquire and commit them all without flushing.
    std::vector<std::uint8_t> request(kPayload, 0);
    for (std::size_t i = 0; i < 128; ++i) {
      const wire::MutableBytes frame = port->tx_acquire(0);
      CHILD_CHECK(!frame.empty(), "TX frame " + std::to_string(i));
      port->tx_commit(0, build_reply(frame, request, {}));
    }
    CHILD_CHECK(port->tx_acquire(0).empty(), "a 129th TX frame");
    CHILD_CHECK(port->counters(0).tx_no_frame == 1, "tx_no_frame counter");
    port->flush(0);
    bool freed = false;
    for (int i = 0; i < 100 && !freed; ++i) {
      port->flush(0);
      freed = !port->tx_acquire(0).empty();
    }
    CHILD_CHECK(freed, "completed TX frames came back");
    return {};
  });
}

TEST(XdpPort, DestructionDetachesTheProgram) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    Topology net;
    const std::string setup = net.create();
    CHILD_CHECK(setup.empty(), setup);
    {
      auto port = XdpPort::open(options_for_xa());
      CHILD_OK(port);
      CHILD_CHECK(attached_program("xa") == port->program_id(), "attached");
      XdpPort moved = std::move(*port);  // moving keeps it attached
      CHILD_CHECK(attached_program("xa") == moved.program_id(), "attached after move");
    }
    CHILD_CHECK(attached_program("xa") == 0, "program still attached after destruction");
    // And the kernel stack has the port back.
    auto fallback = UdpSocket::open({{}, kPort});
    CHILD_OK(fallback);
    auto client = net.client();
    CHILD_OK(client);
    CHILD_CHECK(client->send_to({kServer, kPort}, payload_for(1)).ok(), "send");
    CHILD_CHECK(wait_readable(fallback->fd()), "datagram did not reach the UDP socket");
    // A new port opens cleanly on the same interface.
    auto again = XdpPort::open(options_for_xa());
    CHILD_OK(again);
    return {};
  });
}

TEST(XdpPort, RefusesAnInterfaceThatAlreadyHasAnXdpProgram) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    Topology net;
    const std::string setup = net.create();
    CHILD_CHECK(setup.empty(), setup);
    auto first = XdpPort::open(options_for_xa());
    CHILD_OK(first);
    auto second = XdpPort::open(options_for_xa());
    CHILD_CHECK(!second.ok(), "second open succeeded");
    CHILD_CHECK(second.error().code() == EBUSY, second.error().message());
    const std::string want = "interface xa already has XDP program " +
                             std::to_string(first->program_id()) +
                             " (native mode); refusing to replace it";
    CHILD_CHECK(second.error().message().find(want) == 0, second.error().message());
    CHILD_CHECK(attached_program("xa") == first->program_id(), "the first program was replaced");
    // The first port still works.
    auto client = net.client();
    CHILD_OK(client);
    CHILD_CHECK(client->send_to({kServer, kPort}, payload_for(2)).ok(), "send");
    CHILD_CHECK(receive_frames(*first, 1).size() == 1, "first port stopped capturing");
    return {};
  });
}

TEST(XdpPort, GenericModeCapturesAndTransmitsToo) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    Topology net;
    const std::string setup = net.create();
    CHILD_CHECK(setup.empty(), setup);
    auto port = XdpPort::open(options_for_xa(XdpAttach::generic));
    CHILD_OK(port);
    CHILD_CHECK(port->attach_mode() == "generic", std::string(port->attach_mode()));
    auto client = net.client();
    CHILD_OK(client);
    CHILD_CHECK(client->send_to({kServer, kPort}, payload_for(3)).ok(), "send");
    const auto frames = receive_frames(*port, 1);
    CHILD_CHECK(frames.size() == 1, "nothing captured in generic mode");
    const std::string bad =
        check_request_frame(*port, frames[0], payload_for(3), client->local_endpoint().port);
    CHILD_CHECK(bad.empty(), bad);
    port->tx_commit(0, build_reply(port->tx_acquire(0), frames[0], payload_for(4)));
    port->flush(0);
    CHILD_CHECK(wait_readable(client->fd()), "reply never arrived");
    return {};
  });
}

TEST(XdpPort, OpensOneSocketPerRxQueue) {
  RUN_IN_PRIVATE_NETNS([]() -> std::string {
    Topology net;
    const std::string setup = net.create(4);
    CHILD_CHECK(setup.empty(), setup);
    auto port = XdpPort::open(options_for_xa());
    CHILD_OK(port);
    CHILD_CHECK(port->queues() == 4, "queues " + std::to_string(port->queues()));
    for (std::size_t q = 0; q < 4; ++q) {
      for (std::size_t p = 0; p < q; ++p) CHILD_CHECK(port->fd(q) != port->fd(p), "fds");
    }
    // Flows from several source ports: every datagram arrives, on whichever queue.
    std::vector<UdpSocket> clients;
    for (int i = 0; i < 8; ++i) {
      auto c = net.client();
      CHILD_OK(c);
      clients.push_back(std::move(*c));
    }
    for (auto& c : clients) CHILD_CHECK(c.send_to({kServer, kPort}, payload_for(5)).ok(), "send");
    CHILD_CHECK(receive_frames(*port, clients.size()).size() == clients.size(), "all flows");
    return {};
  });
}

TEST(XdpPort, RejectsBadOptionsWithAClearMessage) {
  XdpPortOptions o;
  o.interface = "xa";
  auto none = XdpPort::open(o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(),
            "AF_XDP port on xa: 0 addresses (1 to 4 allowed): Invalid argument");
  o.addresses = {kServer};
  o.frames_per_queue = 1000;
  auto odd = XdpPort::open(o);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message(),
            "AF_XDP port on xa: frames_per_queue 1000 (a power of two from 64 to 262144 "
            "allowed): Invalid argument");
  o.frames_per_queue = 4096;
  o.interface = "no-such-if0";
  auto missing = XdpPort::open(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "looking up interface no-such-if0: No such device");
}

}  // namespace
}  // namespace shipworm::os
