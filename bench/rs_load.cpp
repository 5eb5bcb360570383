// Load generator for the server benchmark: sends valid Router Solicitations (auth header with
// a nonce + RS, RFC 4380 §5.2.1) as fast as it can from several UDP sockets, and counts the
// Router Advertisements that come back with a matching nonce.
//
//   rs_load --server IP[:PORT] --seconds S [--sockets N] [--rate PPS]
//
// Prints one JSON line: {"sent":..,"received":..,"seconds":..}. Benchmarks only: it runs in
// a lab namespace and sends to the lab's server address.
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "wire/encapsulation.h"
#include "wire/messages.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "rs_load: %s\nusage: rs_load --server IP[:PORT] --seconds S "
               "[--sockets N] [--rate PPS]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string server;
  double seconds = 5;
  int nsock = 16;
  double rate = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--server")
      server = argv[i + 1];
    else if (k == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (k == "--sockets")
      nsock = std::atoi(argv[i + 1]);
    else if (k == "--rate")
      rate = std::atof(argv[i + 1]);
    else
      usage("unknown option");
  }
  if (server.empty() || seconds <= 0 || nsock < 1 || nsock > 1024) usage("bad arguments");
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(3544);
  if (const auto colon = server.find(':'); colon != std::string::npos) {
    dst.sin_port = htons(static_cast<std::uint16_t>(std::atoi(server.c_str() + colon + 1)));
    server.resize(colon);
  }
  if (inet_pton(AF_INET, server.c_str(), &dst.sin_addr) != 1) usage("bad server address");

  std::vector<int> socks;
  for (int i = 0; i < nsock; ++i) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return 1;
    const int buf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0) return 1;
    socks.push_back(fd);
  }

  // One RS payload per batch slot; the nonce carries a counter so replies can be matched.
  constexpr int kBatch = 32;
  std::vector<std::array<std::uint8_t, 128>> out(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<std::array<std::uint8_t, 2048>> in(kBatch);
  std::vector<iovec> riov(kBatch);
  std::vector<mmsghdr> rmsgs(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    riov[static_cast<std::size_t>(i)] = {in[static_cast<std::size_t>(i)].data(), in[0].size()};
    rmsgs[static_cast<std::size_t>(i)].msg_hdr.msg_iov = &riov[static_cast<std::size_t>(i)];
    rmsgs[static_cast<std::size_t>(i)].msg_hdr.msg_iovlen = 1;
  }
  std::uint64_t sent = 0, received = 0, counter = 0;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::size_t rr = 0;
  for (auto now = start; now < end; now = Clock::now()) {
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const bool may_send = rate <= 0 || static_cast<double>(sent) < rate * elapsed;
    if (may_send) {
      for (int i = 0; i < kBatch; ++i) {
        auto& b = out[static_cast<std::size_t>(i)];
        shipworm::wire::Nonce nonce{};
        ++counter;
        std::memcpy(nonce.data(), &counter, sizeof counter);
        shipworm::wire::Writer w(b);
        shipworm::wire::write_rs_datagram(w, nonce, false);
        iov[static_cast<std::size_t>(i)] = {b.data(), w.size()};
        msgs[static_cast<std::size_t>(i)] = {};
        msgs[static_cast<std::size_t>(i)].msg_hdr.msg_iov = &iov[static_cast<std::size_t>(i)];
        msgs[static_cast<std::size_t>(i)].msg_hdr.msg_iovlen = 1;
      }
      const int n = sendmmsg(socks[rr % socks.size()], msgs.data(), kBatch, 0);
      if (n > 0) sent += static_cast<std::uint64_t>(n);
      ++rr;
    }
    for (int fd : socks) {
      for (;;) {
        const int n = recvmmsg(fd, rmsgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        for (int i = 0; i < n; ++i) {
          const shipworm::wire::Bytes p(in[static_cast<std::size_t>(i)].data(),
                                        rmsgs[static_cast<std::size_t>(i)].msg_len);
          const auto t = shipworm::wire::classify(p);
          if (t && t->auth && t->origin) ++received;
        }
        if (n < kBatch) break;
      }
    }
    if (!may_send) usleep(50);
  }
  // Late replies still in flight.
  const auto drain_end = Clock::now() + std::chrono::milliseconds(300);
  while (Clock::now() < drain_end) {
    for (int fd : socks) {
      const int n = recvmmsg(fd, rmsgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n > 0) received += static_cast<std::uint64_t>(n);
    }
    usleep(1000);
  }
  std::printf("{\"sent\": %llu, \"received\": %llu, \"seconds\": %.3f}\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
              seconds);
  return 0;
}
