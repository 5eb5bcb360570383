#include "daemon/server_resolver.h"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace shipworm::daemon {

using core::ServerPair;
using wire::Ipv4Address;

std::optional<Ipv4Address> resolve_one(const ServerName& n, std::string& error) {
  if (n.address) return n.address;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(n.name.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    error = fmt::format("cannot resolve server name '{}': {}", n.name,
                        rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
    return std::nullopt;
  }
  std::optional<Ipv4Address> out;
  for (const addrinfo* p = res; p != nullptr; p = p->ai_next) {
    if (p->ai_family == AF_INET && p->ai_addrlen >= sizeof(sockaddr_in)) {
      sockaddr_in sin{};
      std::memcpy(&sin, p->ai_addr, sizeof sin);
      out = Ipv4Address{ntohl(sin.sin_addr.s_addr)};
      break;
    }
  }
  ::freeaddrinfo(res);
  if (!out) error = fmt::format("server name '{}' has no IPv4 address", n.name);
  return out;
}

Resolved resolve_servers(const ClientConfig& c) {
  Resolved r;
  auto add = [&](const ServerName& primary, const std::optional<ServerName>& secondary) {
    std::string error;
    const auto p = resolve_one(primary, error);
    if (!p) {
      r.errors.push_back(error);
      return;
    }
    Ipv4Address s{p->value + 1};
    if (secondary) {
      if (const auto s2 = resolve_one(*secondary, error)) {
        s = *s2;
      } else {
        r.errors.push_back(error + fmt::format("; using {} as the secondary", s.to_string()));
      }
    }
    const ServerPair pair{*p, s};
    if (std::find(r.servers.begin(), r.servers.end(), pair) == r.servers.end()) {
      r.servers.push_back(pair);
    }
  };
  add(c.server, c.server2);
  for (const auto& f : c.fallback_servers) add(f, std::nullopt);
  return r;
}

bool has_names(const ClientConfig& c) {
  if (!c.server.is_literal() || (c.server2 && !c.server2->is_literal())) return true;
  return std::any_of(c.fallback_servers.begin(), c.fallback_servers.end(),
                     [](const ServerName& n) { return !n.is_literal(); });
}

bool AsyncResolver::open() {
  shared_ = std::make_shared<Shared>();
  shared_->event.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  return shared_->event.get() >= 0;
}

void AsyncResolver::start(const ClientConfig& config) {
  if (busy_) return;
  busy_ = true;
  std::thread([shared = shared_, config] {
    Resolved r = resolve_servers(config);
    {
      const std::lock_guard lock(shared->mutex);
      shared->result = std::move(r);
    }
    const std::uint64_t one = 1;
    (void)!::write(shared->event.get(), &one, sizeof one);
  }).detach();
}

std::optional<Resolved> AsyncResolver::take() {
  std::uint64_t n = 0;
  (void)!::read(shared_->event.get(), &n, sizeof n);
  const std::lock_guard lock(shared_->mutex);
  std::optional<Resolved> r = std::move(shared_->result);
  shared_->result.reset();
  if (r) busy_ = false;
  return r;
}

core::Duration ResolveRetry::failed(core::TimePoint now) {
  backoff_ = backoff_ == core::Duration::zero() ? kFirst : std::min(backoff_ * 2, kMax);
  at_ = now + backoff_;
  return backoff_;
}

void ResolveRetry::succeeded() {
  backoff_ = core::Duration::zero();
  at_.reset();
}

bool ResolveRetry::due(core::TimePoint now) {
  if (!at_ || *at_ > now) return false;
  at_.reset();
  return true;
}

}  // namespace shipworm::daemon
