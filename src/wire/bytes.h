// Big-endian reads and a bounds-checked writer. Every codec in wire/ goes through these so
// that no parser reads, and no builder writes, outside the span it was given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shipworm::wire {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

// Callers check lengths first; these assert the precondition in debug builds only.
inline std::uint16_t load_u16(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
inline std::uint32_t load_u32(Bytes b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}
inline void store_u16(MutableBytes b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
inline void store_u32(MutableBytes b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 24);
  b[at + 1] = static_cast<std::uint8_t>(v >> 16);
  b[at + 2] = static_cast<std::uint8_t>(v >> 8);
  b[at + 3] = static_cast<std::uint8_t>(v);
}

// Appends to a caller-owned buffer. On overflow it writes nothing more and ok() turns false;
// builders never allocate, so the hot path can build into a stack or ring buffer.
class Writer {
 public:
  explicit Writer(MutableBytes out) : out_(out) {}

  // Returns a span of n bytes to fill, or an empty span (and !ok()) if they do not fit.
  MutableBytes reserve(std::size_t n) {
    if (failed_ || n > out_.size() - used_) {
      failed_ = true;
      return {};
    }
    MutableBytes r = out_.subspan(used_, n);
    used_ += n;
    return r;
  }
  void u8(std::uint8_t v) {
    if (auto r = reserve(1); !r.empty()) r[0] = v;
  }
  void u16(std::uint16_t v) {
    if (auto r = reserve(2); !r.empty()) store_u16(r, 0, v);
  }
  void u32(std::uint32_t v) {
    if (auto r = reserve(4); !r.empty()) store_u32(r, 0, v);
  }
  void bytes(Bytes b) {
    if (auto r = reserve(b.size()); !r.empty()) std::memcpy(r.data(), b.data(), b.size());
  }
  void zeros(std::size_t n) {
    if (auto r = reserve(n); !r.empty()) std::memset(r.data(), 0, n);
  }

  // For builders that find their arguments cannot be encoded.
  void fail() { failed_ = true; }

  [[nodiscard]] bool ok() const { return !failed_; }
  [[nodiscard]] std::size_t size() const { return used_; }
  // What has been written so far (for patching lengths and checksums in place).
  [[nodiscard]] MutableBytes written() const { return out_.first(used_); }

 private:
  MutableBytes out_;
  std::size_t used_ = 0;
  bool failed_ = false;
};

}  // namespace shipworm::wire
