// The bubble schedule of RFC 4380 §5.2.6, kept for each entry of the list of recent peers by
// clients (§5.2.4 case 5, and their answers to indirect bubbles) and relays (§5.4.1 case 3,
// and their answers to clients' bubbles) alike:
//
//   - no bubble within 2 s of the last transmission to that peer (Peer::last_tx):
//     too_soon(), next_allowed();
//   - at most 4 bubbles in 300 s without a direct reply: Peer::bubbles counts the bubbles
//     sent since Peer::bubble_window_start; budget_spent() is true while 4 have gone out and
//     the 300 s have not passed; a direct reply starts the count again (direct_reply());
//   - an exchange sends its first bubble at once and repeats it every 2 s up to 3 times
//     (§5.2.4: "repeat up to 3 times"): bubbles at +0, +2, +4, +6 s, and the exchange fails
//     at +8 s with no reply: retry_at(), exchange_over().
//
// The functions only say what the rule allows; each engine decides what to do when a bubble
// may not go now (wait for next_allowed(), or give up).
#pragma once

#include "core/peer_table.h"
#include "core/time.h"
#include "wire/constants.h"

namespace shipworm::core::bubble_schedule {

// Bubbles of one exchange: the first and its 3 repetitions.
inline constexpr int kTransmissions = 1 + wire::kBubbleRetries;

// Less than 2 s since the last transmission to the peer: no bubble now.
[[nodiscard]] inline bool too_soon(const Peer& p, TimePoint now) {
  return now - p.last_tx < wire::kBubbleMinSpacing;
}

// The first moment the 2 s spacing allows a bubble.
[[nodiscard]] inline TimePoint next_allowed(const Peer& p) {
  return p.last_tx + wire::kBubbleMinSpacing;
}

// 300 s have passed since the first bubble counted in Peer::bubbles.
[[nodiscard]] inline bool window_expired(const Peer& p, TimePoint now) {
  return now - p.bubble_window_start >= wire::kBubbleWindow;
}

// 4 bubbles went out without a direct reply, less than 300 s ago.
[[nodiscard]] inline bool budget_spent(const Peer& p, TimePoint now) {
  return p.bubbles >= wire::kBubblesPerWindow && !window_expired(p, now);
}

// Both rules allow a bubble now.
[[nodiscard]] inline bool may_send(const Peer& p, TimePoint now) {
  return !too_soon(p, now) && !budget_spent(p, now);
}

// Counts a bubble sent at `now`, starting a new 300 s window if none is running. The caller
// records the transmission itself (PeerTable::note_tx, which also sets Peer::last_tx).
inline void count_bubble(Peer& p, TimePoint now) {
  if (p.bubbles == 0 || window_expired(p, now)) {
    p.bubbles = 0;
    p.bubble_window_start = now;
  }
  ++p.bubbles;
}

// A direct packet from the peer: the count is of bubbles *without* a direct reply.
inline void direct_reply(Peer& p) { p.bubbles = 0; }

// When the next bubble of an exchange is due, after one sent at `now`.
[[nodiscard]] inline TimePoint retry_at(TimePoint now) { return now + wire::kBubbleRetry; }

// After `transmissions` bubbles of an exchange, the next timer ends it with a failure.
[[nodiscard]] inline bool exchange_over(int transmissions) {
  return transmissions >= kTransmissions;
}

}  // namespace shipworm::core::bubble_schedule
