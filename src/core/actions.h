// How the client and relay engines act on the world: the engine calls a sink, the daemon
// (or a test, or the simulator) implements it. Payload spans are valid only during the call:
// the sink copies what it keeps (into its sendmmsg batch, say), so engines build into one
// scratch buffer and never allocate per packet.
//
// The server engine, which answers each datagram with at most one datagram, returns a
// ServerOutput instead (server_engine.h).
#pragma once

#include "wire/bytes.h"
#include "wire/ip_address.h"

namespace shipworm::core {

class ActionSink {
 public:
  virtual ~ActionSink() = default;
  // Send a UDP datagram from the engine's Teredo service socket.
  virtual void send_udp(const wire::Endpoint& to, wire::Bytes payload) = 0;
  // Deliver an IPv6 packet to the local host / native side (the TUN device).
  virtual void write_tun(wire::Bytes ipv6_packet) = 0;
};

}  // namespace shipworm::core
