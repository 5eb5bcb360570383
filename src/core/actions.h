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

struct ClientStatus;   // client_types.h
struct AddressChange;  // client_types.h

class ActionSink {
 public:
  virtual ~ActionSink() = default;
  // Send a UDP datagram from the engine's Teredo service socket.
  virtual void send_udp(const wire::Endpoint& to, wire::Bytes payload) = 0;
  // Deliver an IPv6 packet to the local host / native side (the TUN device).
  virtual void write_tun(wire::Bytes ipv6_packet) = 0;
  // Client only: the connectivity state changed (logged with its cause; status output).
  virtual void state_changed(const ClientStatus& /*status*/) {}
  // Client only: configure the new Teredo address, withdraw the old one.
  virtual void address_changed(const AddressChange& /*change*/) {}
};

}  // namespace shipworm::core
