// The relay's data plane (RFC 4380 §5.4): one thread's worker, which moves packets between
// the UDP socket (the Teredo side) and the TUN device (the native side) through a
// sans-I/O core::RelayEngine, with batched I/O and no copy on the forwarding paths.
//
// Per wakeup of the (single-threaded, level-triggered) event loop:
//   UDP readable  up to kUdpRoundsPerWakeup recvmmsg(2) of up to kBatch datagrams into the
//                 receive batch; each goes through RelayEngine::on_udp_inplace, which
//                 decrements the hop limit in the receive slot. A forwarded packet waits in
//                 that slot until the end of its batch; then runs of one UDP flow or of
//                 following TCP segments (os/linux/tun_runs.h) leave as ONE GSO
//                 super-packet write when the TUN has a virtio_net_hdr, the rest one
//                 write(2) each.
//   TUN readable  up to kTunReadsPerWakeup read(2)s, each straight into the next free slot
//                 of the send batch; RelayEngine::on_tun_inplace decides, and a packet for a
//                 trusted client is committed in that very slot (Teredo adds no header: the
//                 UDP payload is the IPv6 packet), counted in zero_copy_sends. TCP and UDP
//                 super-packets (TSO/USO reads) are cut into the send slots first. Then one
//                 sendmmsg(2) (with UDP GSO for runs to one client).
//   Control       bubbles, ICMPv6 errors and dequeued packets come from engine buffers and
//                 are copied into a small control batch (one more sendmmsg(2) when there
//                 are any): the only user-space copy on any path.
// No heap allocation after start-up or a resize(): every buffer is sized from the slot size.
// docs/os-linux.md ("TUN offloads", "Workers") tells the longer story.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/relay_engine.h"
#include "os/linux/datagram_batch.h"
#include "os/linux/event_loop.h"
#include "os/linux/os_error.h"
#include "os/linux/tcp_segment.h"
#include "os/linux/tun_device.h"
#include "os/linux/tun_runs.h"
#include "os/linux/udp_coalesce.h"
#include "os/linux/udp_segment.h"
#include "os/linux/udp_socket.h"

namespace shipworm::daemon {

// Counters of the I/O layer (the engine counts everything it decides).
struct IoCounters {
  std::uint64_t udp_truncated = 0;  // datagram larger than a slot
  std::uint64_t udp_recv_errors = 0;
  std::uint64_t udp_send_failures = 0;  // refused by the kernel, or send buffer full
  std::uint64_t tun_read_errors = 0;
  std::uint64_t tun_write_failures = 0;
  std::uint64_t control_overflow = 0;  // a control datagram larger than a slot
  std::uint64_t zero_copy_sends = 0;   // TUN packets sent from the slot they were read into
  std::uint64_t recv_batches = 0;
  std::uint64_t send_batches = 0;
  std::uint64_t tun_gso_writes = 0;     // super-packets (UDP GSO or TCP TSO) written to the TUN
  std::uint64_t tun_gso_packets = 0;    // packets they carried
  std::uint64_t tun_gso_fallbacks = 0;  // super-packets refused, written one by one
  std::uint64_t tun_tso_reads = 0;      // TCP super-packets read from the TUN
  std::uint64_t tun_tso_segments = 0;   // segments cut from them
  std::uint64_t tun_uso_reads = 0;      // UDP super-packets read from the TUN
  std::uint64_t tun_uso_segments = 0;   // datagrams cut from them
  std::uint64_t tun_offload_drops = 0;  // unusable offload reads (bad header, unknown GSO)
};

// One thread's share of the data plane: an engine (and so one peer-table shard), a UDP
// socket, a TUN queue and its batches. The ActionSink of its engine.
//
// Udp and Tun are the kernel's os::UdpSocket and os::TunDevice in the daemon (RelayWorker
// below); unit tests put fakes with the same members in their place, so the worker runs
// without root and without a clock of its own, and no call on the packet path is virtual
// but the engine's ActionSink.
template <class Udp, class Tun>
class BasicRelayWorker final : public core::ActionSink {
 public:
  static constexpr std::size_t kBatch = 64;         // datagrams / TUN packets per batch
  static constexpr std::size_t kControlBatch = 16;  // bubbles, errors, dequeued packets
  static constexpr int kUdpRoundsPerWakeup = 4;     // recvmmsg calls before yielding to the TUN
  static constexpr std::size_t kTunReadsPerWakeup = 2 * kBatch;

  BasicRelayWorker(Udp socket, Tun& tun, std::unique_ptr<core::RelayEngine> engine,
                   std::size_t slot)
      : socket_(std::move(socket)),
        tun_(&tun),
        engine_(std::move(engine)),
        tun_gso_(tun.vnet_hdr()) {
    resize(slot);
  }

  void resize(std::size_t slot) {
    if (rx_.slot_size() == slot) return;
    rx_ = os::DatagramBatch(kBatch, slot);
    tx_ = os::DatagramBatch(kBatch, slot);
    // TSO/USO reads: a super-packet starts in the send slot and goes on here; it is then
    // copied whole to the front of this buffer (room for the slot) and cut from there.
    if (tun_->tso()) super_.assign(slot + kMaxSuperPacket, 0);
    ctrl_ = os::DatagramBatch(kControlBatch, slot);
  }

  // From clients: recvmmsg, engine decisions in place, forwarded packets written to the TUN
  // from the receive slot.
  void on_udp_readable() {
    for (int round = 0; round < kUdpRoundsPerWakeup; ++round) {
      const auto r = socket_.recv_batch(rx_);
      if (r.count == 0) {
        if (!r.ok() && !os::would_block(r.error)) ++io_.udp_recv_errors;
        break;
      }
      ++io_.recv_batches;
      const core::TimePoint now = os::EventLoop::now();
      for (std::size_t k = 0; k < rx_.size(); ++k) {
        const os::Datagram& d = rx_[k];
        if (d.truncated) {
          ++io_.udp_truncated;
          continue;
        }
        // The batch owns its slots (non-const storage); payload() only exposes them const.
        const wire::Bytes p = rx_.payload(k);
        current_rx_ = wire::MutableBytes(const_cast<std::uint8_t*>(p.data()), p.size());
        engine_->on_udp_inplace(now, d.peer, current_rx_, *this);
      }
      current_rx_ = {};
      flush_tun();  // before the next recv_batch overwrites the slots
      flush(ctrl_);
      if (rx_.size() < rx_.capacity()) break;
    }
  }

  // From the native side: each read(2) lands in the next outgoing slot; a packet for a
  // trusted client is committed there as it is (encapsulation adds no bytes).
  void on_tun_readable() {
    const core::TimePoint now = os::EventLoop::now();
    for (std::size_t i = 0; i < kTunReadsPerWakeup; ++i) {
      if (tx_.full()) flush(tx_);
      const wire::MutableBytes buf = tx_.next_buffer();
      os::TunReadInfo info;
      const auto r = tun_->tso() ? tun_->read_offload(
                                       buf, wire::MutableBytes(super_).subspan(buf.size()), info)
                                 : tun_->read(buf);
      if (!r.ok()) {
        if (!os::would_block(r.error)) ++io_.tun_read_errors;
        break;
      }
      if (info.tcp6_gso || info.udp_gso || info.other_gso || r.count > buf.size()) {
        on_super_packet(now, buf, r.count, info);
        continue;
      }
      if (info.needs_csum &&
          !os::complete_checksum(buf.first(r.count), info.csum_start, info.csum_offset)) {
        ++io_.tun_offload_drops;
        continue;
      }
      current_ = buf.data();
      engine_->on_tun_inplace(now, buf.first(r.count), *this);
      current_ = nullptr;
    }
    flush(tx_);
    flush(ctrl_);
  }

  // A TCP (TSO) or UDP (USO) super-packet: cut into the packets the native side sent, each
  // decided by the engine in its own send slot as if it had been read alone.
  void on_super_packet(core::TimePoint now, wire::MutableBytes slot, std::size_t length,
                       const os::TunReadInfo& info) {
    // The segments are written into the send slots, starting with this very slot, so the
    // part of the packet read into it moves out first (the rest is already in super_).
    std::copy_n(slot.begin(), std::min(length, slot.size()), super_.begin());
    const wire::Bytes packet = wire::Bytes(super_).first(length);
    if (info.tcp6_gso && tcp_segmenter_.start(packet, info.gso_size) &&
        tcp_segmenter_.header_length() + info.gso_size <= slot.size()) {
      ++io_.tun_tso_reads;
      io_.tun_tso_segments += decide_segments(now, tcp_segmenter_);
    } else if (info.udp_gso && udp_segmenter_.start(packet, info.gso_size) &&
               os::Udp6Segmenter::header_length() + info.gso_size <= slot.size()) {
      ++io_.tun_uso_reads;
      io_.tun_uso_segments += decide_segments(now, udp_segmenter_);
    } else {
      ++io_.tun_offload_drops;
    }
  }

  template <class Segmenter>
  std::size_t decide_segments(core::TimePoint now, Segmenter& segmenter) {
    std::size_t count = 0;
    for (;; ++count) {
      if (tx_.full()) flush(tx_);
      const wire::MutableBytes out = tx_.next_buffer();
      const std::size_t n = segmenter.next(out);
      if (n == 0) return count;
      current_ = out.data();
      engine_->on_tun_inplace(now, out.first(n), *this);
      current_ = nullptr;
    }
  }

  void on_timer(core::TimePoint now) {
    engine_->on_timer(now, *this);
    flush(ctrl_);
  }

  // core::ActionSink
  void send_udp(const wire::Endpoint& to, wire::Bytes payload) override {
    if (current_ != nullptr && payload.data() == current_) {
      tx_.commit(payload.size(), to);  // the packet read from the TUN, in its own slot
      current_ = nullptr;
      ++io_.zero_copy_sends;
      return;
    }
    if (ctrl_.full()) flush(ctrl_);
    if (!ctrl_.push(to, payload)) ++io_.control_overflow;
  }
  // A packet forwarded from the receive slot being decided waits in pending_ until the end
  // of its recvmmsg batch (the slot stays valid until then), so that runs of one flow
  // leave in one TUN write; anything else (ICMPv6 errors from the engine's buffers) is
  // written at once, after what is pending, in order.
  void write_tun(wire::Bytes packet) override {
    const auto at = reinterpret_cast<std::uintptr_t>(packet.data());
    const auto slot = reinterpret_cast<std::uintptr_t>(current_rx_.data());
    if (tun_gso_ && pending_count_ < pending_.size() && at >= slot &&
        at + packet.size() <= slot + current_rx_.size()) {
      pending_[pending_count_++] = current_rx_.subspan(at - slot, packet.size());
      return;
    }
    flush_tun();
    if (!tun_->write(packet).ok()) ++io_.tun_write_failures;
  }

  core::RelayEngine& engine() { return *engine_; }
  [[nodiscard]] const core::RelayEngine& engine() const { return *engine_; }
  void set_engine(std::unique_ptr<core::RelayEngine> e) { engine_ = std::move(e); }
  Udp& socket() { return socket_; }
  [[nodiscard]] const Udp& socket() const { return socket_; }
  void set_socket(Udp s) { socket_ = std::move(s); }
  [[nodiscard]] const IoCounters& io() const { return io_; }
  [[nodiscard]] bool tun_uso() const { return tun_->uso(); }

 private:
  void flush(os::DatagramBatch& b) {
    if (b.empty()) return;
    const auto r = socket_.send_batch(b);
    ++io_.send_batches;
    io_.udp_send_failures += r.dropped;
    // A full send buffer means overload: drop the rest rather than block (it is UDP).
    if (r.blocked) io_.udp_send_failures += b.size() - r.next;
    b.clear();
  }

  // Writes the pending forwarded packets in order; the runs of os/linux/tun_runs.h (one UDP
  // flow, or TCP segments that follow each other) go as one GSO super-packet each, which the
  // kernel cuts back into the same packets after the TUN.
  void flush_tun() {
    const std::size_t n = pending_count_;
    pending_count_ = 0;
    for (std::size_t k = 0; k < n; ++k) pending_info_[k] = os::classify_tun_packet(pending_[k]);
    const auto packets = std::span<const wire::Bytes>(pending_.data(), n);
    const auto info = std::span<const os::TunRunPacket>(pending_info_.data(), n);
    for (std::size_t i = 0; i < n;) {
      const os::TunRun run = os::tun_run(packets, info, i);
      if (run.count == 1) {
        if (!tun_->write(pending_[i]).ok()) ++io_.tun_write_failures;
      } else {
        write_gso(packets.subspan(i, run.count), run);
      }
      i += run.count;
    }
  }

  // One run as one super-packet: the first packet's headers are rewritten for the whole
  // (and restored if the kernel refuses it), the others contribute their payloads.
  void write_gso(std::span<const wire::Bytes> run_packets, const os::TunRun& run) {
    // The pending packets are views of the receive slots, which this worker owns.
    const wire::MutableBytes first(const_cast<std::uint8_t*>(run_packets[0].data()),
                                   run_packets[0].size());
    std::array<wire::Bytes, 1 + os::kMaxCoalescedSegments> parts;
    parts[0] = first;
    for (std::size_t k = 1; k < run.count; ++k) parts[k] = run_packets[k].subspan(run.header);
    const auto count = std::span(parts.data(), run.count);
    const auto mss = static_cast<std::uint16_t>(run.segment);
    os::UdpHeadBackup udp_backup;
    os::TcpHeadBackup tcp_backup;
    os::IoResult r;
    if (run.tcp) {
      tcp_backup = os::make_tcp_gso_head(first, run.total, run.psh);
      r = tun_->write_tcp_gso(count, static_cast<std::uint16_t>(run.header), mss);
    } else {
      udp_backup = os::make_udp_gso_head(first, run.total);
      r = tun_->write_udp_gso(count, mss);
    }
    if (r.ok()) {
      ++io_.tun_gso_writes;
      io_.tun_gso_packets += run.count;
    } else if (os::would_block(r.error)) {
      io_.tun_write_failures += run.count;
    } else {  // refused as a super-packet: the same packets one by one, and no more
      ++io_.tun_gso_fallbacks;  // super-packets (the kernel will not change its mind)
      tun_gso_ = false;
      if (run.tcp) {
        os::restore_tcp_head(first, tcp_backup);
      } else {
        os::restore_udp_head(first, udp_backup);
      }
      for (const wire::Bytes p : run_packets) {
        if (!tun_->write(p).ok()) ++io_.tun_write_failures;
      }
    }
  }

  Udp socket_;
  Tun* tun_;
  std::unique_ptr<core::RelayEngine> engine_;
  os::DatagramBatch rx_{1, 1};
  os::DatagramBatch tx_{1, 1};
  os::DatagramBatch ctrl_{1, 1};
  std::uint8_t* current_ = nullptr;                      // the slot of the TUN packet being decided
  wire::MutableBytes current_rx_;                        // the receive slot being decided
  std::array<wire::Bytes, kBatch> pending_{};            // forwarded, not yet written
  std::array<os::TunRunPacket, kBatch> pending_info_{};  // classify_tun_packet() of each
  std::size_t pending_count_ = 0;
  bool tun_gso_ = false;  // coalesce into UDP GSO super-packets (the TUN has a vnet header)
  static constexpr std::size_t kMaxSuperPacket = 65536 + 256;
  std::vector<std::uint8_t> super_;  // TSO reads (see resize)
  os::Tcp6Segmenter tcp_segmenter_;
  os::Udp6Segmenter udp_segmenter_;
  IoCounters io_;
};

// The daemon's worker, on the kernel's socket and TUN device (instantiated once, in
// relay_worker.cpp).
using RelayWorker = BasicRelayWorker<os::UdpSocket, os::TunDevice>;
extern template class BasicRelayWorker<os::UdpSocket, os::TunDevice>;

}  // namespace shipworm::daemon
