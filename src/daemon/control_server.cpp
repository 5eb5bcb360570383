#include "daemon/control_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace shipworm::daemon {
namespace {

os::Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path) {
    return os::OsError(ENAMETOOLONG, "using control socket path '" + path + "'");
  }
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return sa;
}

void make_parent_directory(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  const std::string dir = path.substr(0, slash);
  ::mkdir(dir.c_str(), 0755);  // EEXIST is fine; other failures show up at bind()
}

// Writes what fits without blocking; a response larger than the socket buffer is cut.
void write_response(int fd, std::string_view data) {
  const int want = static_cast<int>(std::min<std::size_t>(data.size() + 4096, 8u << 20));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string default_control_socket(Role role) {
  return "/run/shipworm/" + std::string(to_string(role)) + ".sock";
}

RequestServer::RequestServer(os::EventLoop& loop, os::UniqueFd fd, Framing framing, Handler handler,
                             std::string where, std::string unlink_path)
    : loop_(loop),
      listen_(std::move(fd)),
      framing_(framing),
      handler_(std::move(handler)),
      where_(std::move(where)),
      unlink_path_(std::move(unlink_path)) {}

RequestServer::~RequestServer() {
  for (auto& c : connections_) (void)loop_.remove(c.fd.get());
  if (listen_.valid()) (void)loop_.remove(listen_.get());
  if (!unlink_path_.empty()) ::unlink(unlink_path_.c_str());
}

os::Result<std::unique_ptr<RequestServer>> RequestServer::open_unix(os::EventLoop& loop,
                                                                    const std::string& path,
                                                                    Handler handler) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  make_parent_directory(path);
  os::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return os::errno_error("creating the control socket");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa.value()), sizeof(sockaddr_un)) != 0) {
    if (errno != EADDRINUSE) return os::errno_error("binding the control socket " + path);
    // Someone listening there is another running daemon; a dead socket file is stale.
    os::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&sa.value()),
                  sizeof(sockaddr_un)) == 0) {
      return os::OsError(EADDRINUSE, "binding the control socket " + path +
                                         " (another shipworm daemon is listening there)");
    }
    ::unlink(path.c_str());
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa.value()), sizeof(sockaddr_un)) !=
        0) {
      return os::errno_error("binding the control socket " + path);
    }
  }
  ::chmod(path.c_str(), 0660);
  if (::listen(fd.get(), 16) != 0) return os::errno_error("listening on " + path);
  std::unique_ptr<RequestServer> s(
      new RequestServer(loop, std::move(fd), Framing::kLine, std::move(handler), path, path));
  RequestServer* self = s.get();
  if (auto st = loop.add(self->listen_.get(), [self] { self->on_accept(); }); !st) {
    return st.error();
  }
  return s;
}

os::Result<std::unique_ptr<RequestServer>> RequestServer::open_tcp(os::EventLoop& loop,
                                                                   const ListenAddress& address,
                                                                   Handler handler) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&address.address)) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(address.port);
    sin->sin_addr.s_addr = htonl(v4->value);
    len = sizeof(sockaddr_in);
  } else {
    family = AF_INET6;
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(address.port);
    std::memcpy(&sin6->sin6_addr, std::get<wire::Ipv6Address>(address.address).bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  os::UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return os::errno_error("creating the metrics socket");
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    return os::errno_error("binding the metrics listener to " + address.to_string());
  }
  if (::listen(fd.get(), 16) != 0) return os::errno_error("listening on " + address.to_string());
  std::unique_ptr<RequestServer> s(new RequestServer(loop, std::move(fd), Framing::kHttp,
                                                     std::move(handler), address.to_string(), ""));
  RequestServer* self = s.get();
  if (auto st = loop.add(self->listen_.get(), [self] { self->on_accept(); }); !st) {
    return st.error();
  }
  return s;
}

void RequestServer::on_accept() {
  for (;;) {
    os::UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN, or a transient error: wait for the next event
    if (connections_.size() >= kMaxConnections) close_connection(connections_.front().fd.get());
    const int raw = fd.get();
    if (!loop_.add(raw, [this, raw] { on_readable(raw); })) continue;
    connections_.push_back({std::move(fd), {}});
  }
}

void RequestServer::close_connection(int fd) {
  const auto it = std::find_if(connections_.begin(), connections_.end(),
                               [fd](const Connection& c) { return c.fd.get() == fd; });
  if (it == connections_.end()) return;
  (void)loop_.remove(fd);
  connections_.erase(it);
}

void RequestServer::on_readable(int fd) {
  const auto it = std::find_if(connections_.begin(), connections_.end(),
                               [fd](const Connection& c) { return c.fd.get() == fd; });
  if (it == connections_.end()) return;
  char buf[1024];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    close_connection(fd);
    return;
  }
  it->in.append(buf, static_cast<std::size_t>(n));
  const std::string_view end = framing_ == Framing::kLine ? "\n" : "\r\n\r\n";
  const auto pos = it->in.find(end);
  if (pos == std::string::npos) {
    if (it->in.size() > kMaxRequest) close_connection(fd);
    return;
  }
  std::string_view request(it->in.data(), pos);
  if (!request.empty() && request.back() == '\r') request.remove_suffix(1);
  write_response(fd, handler_(request));
  close_connection(fd);
}

os::Result<std::string> control_request(const std::string& path, std::string_view request) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  os::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return os::errno_error("creating a socket");
  const timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa.value()), sizeof(sockaddr_un)) !=
      0) {
    return os::errno_error("connecting to " + path);
  }
  std::string line(request);
  line += '\n';
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) < 0) {
    return os::errno_error("sending to " + path);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os::errno_error("reading from " + path);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace shipworm::daemon
