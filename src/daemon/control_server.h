// Local request/response endpoints of a running daemon (issue 7):
//  - the control socket, a Unix stream socket (default /run/shipworm/<role>.sock) that
//    `shipworm status` and `shipworm peers` talk to: one request line ("status", "peers"),
//    one JSON document back, then the daemon closes the connection;
//  - the metrics listener, TCP on MetricsAddress (off by default): one HTTP GET, one
//    OpenMetrics text response.
// Both run on the daemon's event loop without blocking it: sockets are non-blocking, a
// request must fit in 4 KiB, at most kMaxConnections are open at once (the oldest is
// dropped when another arrives), and a response is written in one go into a socket buffer
// sized for it (a reader too slow to take it gets a truncated answer, never a stalled
// daemon).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/config_file.h"
#include "os/linux/event_loop.h"
#include "os/linux/os_error.h"
#include "os/linux/unique_fd.h"

namespace shipworm::daemon {

class RequestServer {
 public:
  enum class Framing { kLine, kHttp };
  // The request (a line, or an HTTP request head) in; the full response bytes out.
  using Handler = std::function<std::string(std::string_view request)>;
  static constexpr std::size_t kMaxConnections = 16;
  static constexpr std::size_t kMaxRequest = 4096;

  // A Unix stream socket at `path` (the parent directory is created, mode 0755; the socket
  // is mode 0660). A stale socket file nobody listens on is replaced; a live one is an error
  // (another daemon of the same role is running).
  static os::Result<std::unique_ptr<RequestServer>> open_unix(os::EventLoop& loop,
                                                              const std::string& path,
                                                              Handler handler);
  // A TCP listener (IPv4 or IPv6) for HTTP.
  static os::Result<std::unique_ptr<RequestServer>> open_tcp(os::EventLoop& loop,
                                                             const ListenAddress& address,
                                                             Handler handler);
  ~RequestServer();
  RequestServer(const RequestServer&) = delete;
  RequestServer& operator=(const RequestServer&) = delete;

  [[nodiscard]] const std::string& where() const { return where_; }

 private:
  struct Connection {
    os::UniqueFd fd;
    std::string in;
  };
  RequestServer(os::EventLoop& loop, os::UniqueFd fd, Framing framing, Handler handler,
                std::string where, std::string unlink_path);
  void on_accept();
  void on_readable(int fd);
  void close_connection(int fd);

  os::EventLoop& loop_;
  os::UniqueFd listen_;
  Framing framing_;
  Handler handler_;
  std::string where_;
  std::string unlink_path_;
  std::deque<Connection> connections_;
};

// The client side of the control socket: sends `request` and returns the whole answer.
os::Result<std::string> control_request(const std::string& path, std::string_view request);

// The default control socket of a role: /run/shipworm/<role>.sock.
std::string default_control_socket(Role role);

}  // namespace shipworm::daemon
