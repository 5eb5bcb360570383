// How os/linux/ reports failure: a system call failure carries its errno text and what we
// were trying to do (docs/architecture.md, "House rules").
//
// Two shapes, chosen by where the call sits:
//  - Setup calls (opening sockets, TUN, netlink, privilege drop) return Result<T> / Status.
//    The error is an OsError: the errno value plus a sentence saying what we were doing, e.g.
//    "adding 2001:0:c633:6401::1/32 to teredo: File exists". Building that sentence
//    allocates, which is fine at setup.
//  - Packet-path calls (recv_batch, send_batch, TUN read/write) return IoResult: counts and a
//    bare errno, no strings, no allocation. The caller knows what it was doing and can turn
//    it into an OsError with IoResult::to_error() when it decides to log.
// Nothing in os/linux/ throws; a broken invariant (a bug) aborts.
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace shipworm::os {

class OsError {
 public:
  OsError(int code, std::string doing) : code_(code), doing_(std::move(doing)) {}

  // The errno value (0 when the failure is not a system call's, e.g. a short netlink reply).
  [[nodiscard]] int code() const { return code_; }
  [[nodiscard]] std::error_code error_code() const { return {code_, std::system_category()}; }
  // What we were trying to do: "adding 2001:db8::1/64 to teredo".
  [[nodiscard]] const std::string& doing() const { return doing_; }
  // "adding 2001:db8::1/64 to teredo: File exists".
  [[nodiscard]] std::string message() const;

 private:
  int code_;
  std::string doing_;
};

// Captures errno right now (call it immediately after the failing system call).
OsError errno_error(std::string doing);

// A value or an OsError. Minimal on purpose (std::expected is C++23).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(OsError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Precondition: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  // Precondition: !ok().
  [[nodiscard]] const OsError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, OsError> v_;
};

// Success or an OsError.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(OsError error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  static Status success() { return {}; }

  [[nodiscard]] bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  // Precondition: !ok().
  [[nodiscard]] const OsError& error() const { return error_; }

 private:
  OsError error_{0, {}};
  bool failed_ = false;
};

// Result of a packet-path call: how many items were moved and, if it stopped early, why.
// error == 0 means everything asked for was done (or, for receives, "no more for now").
struct IoResult {
  std::size_t count = 0;  // datagrams / packets / bytes, as documented by the call
  int error = 0;          // errno of the failure that stopped the call, 0 if none

  [[nodiscard]] bool ok() const { return error == 0; }
  [[nodiscard]] OsError to_error(std::string doing) const { return {error, std::move(doing)}; }
};

// What a batch send/write did. Items [from, next) were handled: `sent` of them went to the
// kernel and `dropped` were refused one by one (last_error says why, e.g. EHOSTUNREACH,
// EMSGSIZE). If `blocked`, the kernel buffer is full (EAGAIN) and items [next, size()) are
// still waiting: call again from `next` when writable, or drop them.
struct BatchResult {
  std::size_t sent = 0;
  std::size_t dropped = 0;
  std::size_t next = 0;
  int last_error = 0;
  bool blocked = false;
};

// True for errno values that mean "try again later" rather than "this is broken".
inline bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

}  // namespace shipworm::os
