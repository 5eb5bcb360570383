// Pre-allocated storage for batched UDP I/O (recvmmsg(2) / sendmmsg(2)).
//
// A batch owns N slots, each with a payload buffer (65535 bytes by default: the largest UDP
// payload over IPv4 is 65507, so nothing is ever truncated), a sockaddr_in, and a control
// buffer sized for one IP_PKTINFO message. All of it, including the mmsghdr/iovec arrays the
// kernel reads, is allocated once in the constructor; receiving and sending only rewrite
// fields, so the packet path does no heap allocation (docs/architecture.md, "House rules").
// With UDP GSO on (UdpOptions::gso) consecutive slots to one peer leave as one message whose
// iovec array spans them (os/linux/gso_runs.h); slots stay one datagram each.
//
// Receive: UdpSocket::recv_batch() fills slots 0..size()-1.
// Send: clear(), then for each datagram either write into next_buffer() and commit() it (no
// copy: the relay encapsulates straight into the slot), or push() a finished payload; then
// UdpSocket::send_batch().
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/bytes.h"
#include "wire/ip_address.h"

namespace shipworm::os {

struct Datagram {
  wire::Endpoint peer;      // receive: who sent it; send: where it goes
  wire::Ipv4Address local;  // receive: the destination address in its IPv4 header
                            // (IP_PKTINFO ipi_addr); send: the source address to use
                            // (0.0.0.0: let the kernel choose by route)
  std::size_t length = 0;   // payload bytes in the slot
  bool truncated = false;   // receive: MSG_TRUNC, the slot was smaller than the datagram
};

class DatagramBatch {
 public:
  static constexpr std::size_t kDefaultSlots = 64;
  static constexpr std::size_t kDefaultSlotSize = 65535;

  explicit DatagramBatch(std::size_t slots = kDefaultSlots,
                         std::size_t slot_size = kDefaultSlotSize);
  DatagramBatch(const DatagramBatch&) = delete;
  DatagramBatch& operator=(const DatagramBatch&) = delete;
  DatagramBatch(DatagramBatch&&) = default;
  DatagramBatch& operator=(DatagramBatch&&) = default;

  [[nodiscard]] std::size_t capacity() const { return meta_.size(); }
  [[nodiscard]] std::size_t slot_size() const { return slot_size_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] bool full() const { return size_ == capacity(); }
  void clear() { size_ = 0; }

  // Slot i's metadata and payload (i < size()).
  [[nodiscard]] const Datagram& operator[](std::size_t i) const { return meta_[i]; }
  [[nodiscard]] Datagram& operator[](std::size_t i) { return meta_[i]; }
  [[nodiscard]] wire::Bytes payload(std::size_t i) const { return {slot(i), meta_[i].length}; }

  // Send side. The buffer of the next free slot (empty span when full()); write into it and
  // commit() the length used.
  [[nodiscard]] wire::MutableBytes next_buffer();
  // Precondition: !full(), length <= slot_size().
  void commit(std::size_t length, wire::Endpoint peer, wire::Ipv4Address source = {});
  // Copies `payload` into the next slot. False (nothing added) when full or too long.
  bool push(wire::Endpoint peer, wire::Bytes payload, wire::Ipv4Address source = {});

 private:
  friend class UdpSocket;
  // Control buffer room for one IP_PKTINFO cmsg and one UDP_SEGMENT cmsg (a uint16_t),
  // aligned as cmsghdr requires.
  struct alignas(cmsghdr) Control {
    std::uint8_t bytes[CMSG_SPACE(sizeof(in_pktinfo)) + CMSG_SPACE(sizeof(std::uint16_t))];
  };
  std::uint8_t* slot(std::size_t i) { return storage_.data() + i * slot_size_; }
  const std::uint8_t* slot(std::size_t i) const { return storage_.data() + i * slot_size_; }

  std::size_t slot_size_;
  std::size_t size_ = 0;
  std::vector<std::uint8_t> storage_;
  std::vector<Datagram> meta_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_in> addrs_;
  std::vector<Control> controls_;
  std::vector<std::size_t> message_start_;  // send: first slot of each message (GSO runs)
};

}  // namespace shipworm::os
