#include "os/linux/udp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

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

// Fills msg's control area with an IP_PKTINFO choosing `source`, or leaves it empty.
void set_source(msghdr& msg, void* control, std::size_t control_size, wire::Ipv4Address source) {
  if (source.value == 0) {
    msg.msg_control = nullptr;
    msg.msg_controllen = 0;
    return;
  }
  std::memset(control, 0, control_size);
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  in_pktinfo info{};
  info.ipi_ifindex = 0;  // route by destination
  info.ipi_spec_dst.s_addr = htonl(source.value);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
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
  for (std::size_t i = from; i < n; ++i) {
    const Datagram& d = batch.meta_[i];
    batch.addrs_[i] = to_sockaddr(d.peer);
    batch.iovs_[i] = {batch.slot(i), d.length};
    msghdr& h = batch.msgs_[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &batch.addrs_[i];
    h.msg_namelen = sizeof(sockaddr_in);
    h.msg_iov = &batch.iovs_[i];
    h.msg_iovlen = 1;
    set_source(h, batch.controls_[i].bytes, sizeof batch.controls_[i].bytes, d.local);
  }
  std::size_t i = from;
  while (i < n) {
    // sendmmsg(2): returns how many were sent; an error on the first message is returned as
    // -1/errno, an error after some were sent is reported by the next call.
    const int r = sendmmsg(fd_.get(), batch.msgs_.data() + i, static_cast<unsigned>(n - i), 0);
    if (r > 0) {
      i += static_cast<std::size_t>(r);
      res.sent += static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && would_block(errno)) {
      res.blocked = true;
      break;
    }
    // This datagram is refused (EHOSTUNREACH, ENETUNREACH, EMSGSIZE, EPERM, ECONNREFUSED...):
    // skip it and carry on with the rest.
    res.last_error = r < 0 ? errno : EIO;
    ++res.dropped;
    ++i;
  }
  res.next = i;
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
  set_source(h, control, sizeof control, source);
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
