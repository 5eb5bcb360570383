// Pre-allocated slots for TUN packets: several reads per wakeup without heap allocation
// (docs/architecture.md, "House rules"). Same shape as DatagramBatch, without addresses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "wire/bytes.h"

namespace shipworm::os {

class PacketBatch {
 public:
  static constexpr std::size_t kDefaultSlots = 64;
  // The TUN MTU is configurable up to 65535; a slot that small would truncate.
  static constexpr std::size_t kDefaultSlotSize = 65535;

  explicit PacketBatch(std::size_t slots = kDefaultSlots, std::size_t slot_size = kDefaultSlotSize)
      : slot_size_(slot_size), storage_(slots * slot_size), lengths_(slots) {}

  [[nodiscard]] std::size_t capacity() const { return lengths_.size(); }
  [[nodiscard]] std::size_t slot_size() const { return slot_size_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] bool full() const { return size_ == capacity(); }
  void clear() { size_ = 0; }

  [[nodiscard]] wire::Bytes packet(std::size_t i) const {
    return {storage_.data() + i * slot_size_, lengths_[i]};
  }
  [[nodiscard]] wire::MutableBytes next_buffer() {
    if (full()) return {};
    return {storage_.data() + size_ * slot_size_, slot_size_};
  }
  // Precondition: !full(), length <= slot_size().
  void commit(std::size_t length) { lengths_[size_++] = length; }
  bool push(wire::Bytes p) {
    if (full() || p.size() > slot_size_) return false;
    if (!p.empty()) std::memcpy(next_buffer().data(), p.data(), p.size());
    commit(p.size());
    return true;
  }

 private:
  std::size_t slot_size_;
  std::size_t size_ = 0;
  std::vector<std::uint8_t> storage_;
  std::vector<std::size_t> lengths_;
};

}  // namespace shipworm::os
