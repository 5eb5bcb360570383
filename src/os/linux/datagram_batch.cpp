#include "os/linux/datagram_batch.h"

#include <cstring>

namespace shipworm::os {

DatagramBatch::DatagramBatch(std::size_t slots, std::size_t slot_size)
    : slot_size_(slot_size),
      storage_(slots * slot_size),
      meta_(slots),
      msgs_(slots),
      iovs_(slots),
      addrs_(slots),
      controls_(slots),
      message_start_(slots) {}

wire::MutableBytes DatagramBatch::next_buffer() {
  if (full()) return {};
  return {slot(size_), slot_size_};
}

void DatagramBatch::commit(std::size_t length, wire::Endpoint peer, wire::Ipv4Address source) {
  Datagram& d = meta_[size_++];
  d.peer = peer;
  d.local = source;
  d.length = length;
  d.truncated = false;
}

bool DatagramBatch::push(wire::Endpoint peer, wire::Bytes payload, wire::Ipv4Address source) {
  if (full() || payload.size() > slot_size_) return false;
  if (!payload.empty()) std::memcpy(slot(size_), payload.data(), payload.size());
  commit(payload.size(), peer, source);
  return true;
}

}  // namespace shipworm::os
