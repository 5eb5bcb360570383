#include "os/linux/udp_socket.h"

#include <arpa/inet.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <string>

#include "os/linux/gso_runs.h"

namespace shipworm::os {
namespace {

Status set_int(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) {
    return errno_error(std::string("setting ") + what + " on UDP socket");
  }
  return {};
}

// Best effort: the FORCE variant (CAP_NET_ADMIN) ignores net.core.[rw]mem_max; without the
// capability the plain option is clamped by the kernel. Neither failure matters.
void set_buffer(int fd, int force_name, int name, int bytes) {
  if (bytes <= 0) return;
  if (setsockopt(fd, SOL_SOCKET, force_name, &bytes, sizeof bytes) == 0) return;
  (void)setsockopt(fd, SOL_SOCKET, name, &bytes, sizeof bytes);
}

// Fills msg's control area with an IP_PKTINFO choosing `source` (unless 0.0.0.0) and a
// UDP_SEGMENT giving the GSO segment size (unless 0), or leaves it empty.
void set_control(msghdr& msg, void* control, std::size_t control_size, wire::Ipv4Address source,
                 std::uint16_t segment = 0) {
  if (source.value == 0 && segment == 0) {
    msg.msg_control = nullptr;
    msg.msg_controllen = 0;
    return;
  }
  std::memset(control, 0, control_size);
  msg.msg_control = control;
  msg.msg_controllen = (source.value != 0 ? CMSG_SPACE(sizeof(in_pktinfo)) : 0) +
                       (segment != 0 ? CMSG_SPACE(sizeof segment) : 0);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (source.value != 0) {
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_ifindex = 0;  // route by destination
    info.ipi_spec_dst.s_addr = htonl(source.value);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    c = CMSG_NXTHDR(&msg, c);
  }
  if (segment != 0) {
    c->cmsg_level = IPPROTO_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof segment);
    std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
  }
}

// The header destination address from a received IP_PKTINFO, or 0.0.0.0.
wire::Ipv4Address destination_of(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      return {ntohl(info.ipi_addr.s_addr)};
    }
  }
  return {};
}

}  // namespace

sockaddr_in to_sockaddr(wire::Endpoint e) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(e.port);
  sa.sin_addr.s_addr = htonl(e.address.value);
  return sa;
}

wire::Endpoint from_sockaddr(const sockaddr_in& sa) {
  return {{ntohl(sa.sin_addr.s_addr)}, ntohs(sa.sin_port)};
}

Result<UdpSocket> UdpSocket::open(wire::Endpoint local, const UdpOptions& options) {
  const std::string where = " for " + local.to_string();
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd.valid()) return errno_error("creating UDP socket" + where);
  const int s = fd.get();

  if (options.reuse_port) {
    if (auto st = set_int(s, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT"); !st) return st.error();
  }
  if (auto st = set_int(s, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT,
                        "IP_MTU_DISCOVER=IP_PMTUDISC_DONT");
      !st) {
    return st.error();
  }
  if (auto st = set_int(s, IPPROTO_IP, IP_TOS, 0, "IP_TOS=0"); !st) return st.error();
  if (auto st = set_int(s, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO"); !st) return st.error();
  set_buffer(s, SO_RCVBUFFORCE, SO_RCVBUF, options.receive_buffer);
  set_buffer(s, SO_SNDBUFFORCE, SO_SNDBUF, options.send_buffer);
  // A socket-wide segment size of 0 changes nothing (each message brings its own); the call
  // only tells whether this kernel knows UDP_SEGMENT (4.18+). Without it, no GSO.
  const bool gso = options.gso && set_int(s, IPPROTO_UDP, UDP_SEGMENT, 0, "UDP_SEGMENT").ok();

  const sockaddr_in sa = to_sockaddr(local);
  if (bind(s, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) < 0) {
    return errno_error("binding UDP socket to " + local.to_string());
  }
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  if (getsockname(s, reinterpret_cast<sockaddr*>(&bound), &len) < 0) {
    return errno_error("reading the bound address of UDP socket" + where);
  }
  UdpSocket sock(std::move(fd));
  sock.local_ = from_sockaddr(bound);
  sock.gso_ = gso;
  return sock;
}

IoResult UdpSocket::recv_batch(DatagramBatch& batch) {
  batch.clear();
  const std::size_t n = batch.capacity();
  for (std::size_t i = 0; i < n; ++i) {
    batch.iovs_[i] = {batch.slot(i), batch.slot_size_};
    msghdr& h = batch.msgs_[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &batch.addrs_[i];
    h.msg_namelen = sizeof(sockaddr_in);
    h.msg_iov = &batch.iovs_[i];
    h.msg_iovlen = 1;
    h.msg_control = batch.controls_[i].bytes;
    h.msg_controllen = sizeof batch.controls_[i].bytes;
    batch.msgs_[i].msg_len = 0;
  }
  int r;
  do {
    r = recvmmsg(fd_.get(), batch.msgs_.data(), static_cast<unsigned>(n), 0, nullptr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (would_block(errno)) return {};
    return {0, errno};
  }
  const auto got = static_cast<std::size_t>(r);
  for (std::size_t i = 0; i < got; ++i) {
    msghdr& h = batch.msgs_[i].msg_hdr;
    Datagram& d = batch.meta_[i];
    d.peer = from_sockaddr(batch.addrs_[i]);
    d.local = destination_of(h);
    d.length = batch.msgs_[i].msg_len;
    d.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    if (d.length > batch.slot_size_) d.length = batch.slot_size_;
  }
  batch.size_ = got;
  return {got, 0};
}

BatchResult UdpSocket::send_batch(DatagramBatch& batch, std::size_t from) {
  BatchResult res;
  const std::size_t n = batch.size();
  const std::span<const Datagram> meta(batch.meta_.data(), n);
  // One message per datagram, or per GSO run: message m covers slots
  // [message_start_[m], message_start_[m + 1]) (the last one up to n), and its iovec array
  // is those slots' iovecs, which are consecutive.
  std::size_t messages = 0;
  for (std::size_t i = from; i < n;) {
    const std::size_t run = gso_ ? gso_run_length(meta, i) : 1;
    for (std::size_t k = i; k < i + run; ++k) batch.iovs_[k] = {batch.slot(k), meta[k].length};
    batch.addrs_[i] = to_sockaddr(meta[i].peer);
    msghdr& h = batch.msgs_[messages].msg_hdr;
    h = msghdr{};
    h.msg_name = &batch.addrs_[i];
    h.msg_namelen = sizeof(sockaddr_in);
    h.msg_iov = &batch.iovs_[i];
    h.msg_iovlen = run;
    const auto segment = static_cast<std::uint16_t>(run > 1 ? meta[i].length : 0);
    set_control(h, batch.controls_[messages].bytes, sizeof batch.controls_[messages].bytes,
                meta[i].local, segment);
    batch.message_start_[messages++] = i;
    i += run;
  }
  const auto end_of = [&](std::size_t m) {
    return m + 1 < messages ? batch.message_start_[m + 1] : n;
  };
  std::size_t m = 0;
  while (m < messages) {
    // sendmmsg(2): returns how many were sent; an error on the first message is returned as
    // -1/errno, an error after some were sent is reported by the next call.
    const int r =
        sendmmsg(fd_.get(), batch.msgs_.data() + m, static_cast<unsigned>(messages - m), 0);
    if (r > 0) {
      for (int k = 0; k < r; ++k, ++m) {
        const std::size_t count = end_of(m) - batch.message_start_[m];
        res.sent += count;
        if (count > 1) ++gso_messages_;
      }
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && would_block(errno)) {
      res.blocked = true;
      break;
    }
    const int error = r < 0 ? errno : EIO;
    const std::size_t first = batch.message_start_[m];
    const std::size_t last = end_of(m);
    ++m;
    if (last - first > 1 && (error == EIO || error == EINVAL || error == EMSGSIZE)) {
      // The kernel refused the GSO message as such (udp_send_skb: EIO when the route's
      // device cannot checksum; a segment plus headers larger than the path MTU is EMSGSIZE
      // on recent kernels, EINVAL on older ones): the same datagrams one at a time (an oversized
      // one is then fragmented, DF being clear). EIO will not go away: GSO off for good.
      ++gso_fallbacks_;
      if (error == EIO) gso_ = false;
      for (std::size_t k = first; k < last; ++k) {
        const IoResult one = send_to(meta[k].peer, batch.payload(k), meta[k].local);
        if (one.ok()) {
          ++res.sent;
        } else if (would_block(one.error)) {
          res.blocked = true;
          res.next = k;
          return res;
        } else {
          res.last_error = one.error;
          ++res.dropped;
        }
      }
      continue;
    }
    // This datagram (or run) is refused (EHOSTUNREACH, ENETUNREACH, EMSGSIZE, EPERM,
    // ECONNREFUSED...): skip it and carry on with the rest.
    res.last_error = error;
    res.dropped += last - first;
  }
  res.next = m < messages ? batch.message_start_[m] : n;
  return res;
}

IoResult UdpSocket::send_to(wire::Endpoint peer, wire::Bytes payload, wire::Ipv4Address source) {
  sockaddr_in sa = to_sockaddr(peer);
  iovec iov{const_cast<std::uint8_t*>(payload.data()), payload.size()};
  alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in_pktinfo))];
  msghdr h{};
  h.msg_name = &sa;
  h.msg_namelen = sizeof sa;
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  set_control(h, control, sizeof control, source);
  ssize_t r;
  do {
    r = sendmsg(fd_.get(), &h, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return {0, errno};
  return {static_cast<std::size_t>(r), 0};
}

IoResult UdpSocket::recv_from(wire::MutableBytes buffer, Datagram& info) {
  sockaddr_in sa{};
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in_pktinfo))];
  msghdr h{};
  h.msg_name = &sa;
  h.msg_namelen = sizeof sa;
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = control;
  h.msg_controllen = sizeof control;
  ssize_t r;
  do {
    r = recvmsg(fd_.get(), &h, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return {0, errno};
  info.peer = from_sockaddr(sa);
  info.local = destination_of(h);
  info.truncated = (h.msg_flags & MSG_TRUNC) != 0;
  info.length = static_cast<std::size_t>(r);
  return {info.length, 0};
}

}  // namespace shipworm::os
