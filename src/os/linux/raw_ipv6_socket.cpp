#include "os/linux/raw_ipv6_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36  // linux/in6.h; glibc 2.36's netinet/in.h lacks it
#endif

namespace shipworm::os {

Result<RawIpv6Socket> RawIpv6Socket::open() {
  UniqueFd fd(::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!fd.valid()) return errno_error("opening a raw IPv6 socket (needs CAP_NET_RAW)");
  const int on = 1;
  if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_HDRINCL, &on, sizeof on) != 0) {
    return errno_error("setting IPV6_HDRINCL on the raw IPv6 socket");
  }
  // Nothing is read from this socket: make sure no queue builds up if the kernel delivers.
  const int zero = 0;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &zero, sizeof zero);
  return RawIpv6Socket(std::move(fd));
}

IoResult RawIpv6Socket::send(wire::Bytes p) {
  if (p.size() < 40) return {0, EINVAL};
  sockaddr_in6 dst{};
  dst.sin6_family = AF_INET6;
  std::memcpy(&dst.sin6_addr, p.data() + 24, 16);
  for (;;) {
    const ssize_t n = ::sendto(fd_.get(), p.data(), p.size(), 0,
                               reinterpret_cast<const sockaddr*>(&dst), sizeof dst);
    if (n >= 0) return {static_cast<std::size_t>(n), 0};
    if (errno != EINTR) return {0, errno};
  }
}

}  // namespace shipworm::os
