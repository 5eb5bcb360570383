// The RFC 4380 §5.2.6 bubble schedule (core/bubble_schedule.h) against a fake clock: one
// peer record of a real PeerTable, bubbles "sent" by counting them and noting the
// transmission as the engines do.
#include <gtest/gtest.h>

#include "core/bubble_schedule.h"
#include "core/peer_table.h"
#include "wire/teredo_address.h"

namespace shipworm::core {
namespace {

using namespace std::chrono_literals;
namespace bs = bubble_schedule;

class BubbleSchedule : public ::testing::Test {
 protected:
  void SetUp() override {
    id_ = table_.find_or_create(kPeer, now_).id;
    ASSERT_NE(id_, kNoPeer);
  }
  [[nodiscard]] const Peer& peer() const { return table_[id_]; }
  void advance(Duration d) { now_ += d; }
  // What an engine does when it sends a bubble.
  void send_bubble() {
    ASSERT_TRUE(bs::may_send(peer(), now_));
    bs::count_bubble(table_[id_], now_);
    table_.note_tx(id_, now_);
  }

  static inline const wire::Ipv6Address kPeer = wire::TeredoAddress{
      wire::Ipv4Address::from_octets(198, 51, 100, 1), 0,
      wire::Endpoint{wire::Ipv4Address::from_octets(192, 0, 2, 7),
                     40000}}.to_ipv6();
  TimePoint now_ = TimePoint{} + 1000s;
  PeerTable table_{PeerTableConfig{.capacity = 4, .hash_key = 1}};
  PeerId id_ = kNoPeer;
};

TEST_F(BubbleSchedule, Rfc4380_5_2_6_NewPeerMayBubbleAtOnce) {
  // A new entry is back-dated (last transmission 30 s ago, no bubbles): nothing holds the
  // first bubble back.
  EXPECT_FALSE(bs::too_soon(peer(), now_));
  EXPECT_FALSE(bs::budget_spent(peer(), now_));
  EXPECT_TRUE(bs::may_send(peer(), now_));
}

TEST_F(BubbleSchedule, Rfc4380_5_2_6_NoBubbleWithin2sOfLastTransmission) {
  table_.note_tx(id_, now_);  // any transmission counts, not only a bubble
  EXPECT_EQ(bs::next_allowed(peer()), now_ + 2s);
  advance(1999ms);
  EXPECT_TRUE(bs::too_soon(peer(), now_));
  EXPECT_FALSE(bs::may_send(peer(), now_));
  EXPECT_FALSE(bs::budget_spent(peer(), now_));  // only the spacing holds it back
  advance(1ms);
  EXPECT_FALSE(bs::too_soon(peer(), now_));
  EXPECT_TRUE(bs::may_send(peer(), now_));
}

TEST_F(BubbleSchedule, Rfc4380_5_2_6_AtMostFourBubblesIn300s) {
  const TimePoint first = now_;
  for (int i = 0; i < 4; ++i) {
    send_bubble();
    advance(2s);
  }
  EXPECT_EQ(peer().bubbles, 4);
  EXPECT_TRUE(bs::budget_spent(peer(), now_));
  EXPECT_FALSE(bs::may_send(peer(), now_));
  now_ = first + 299s;
  EXPECT_TRUE(bs::budget_spent(peer(), now_));
  EXPECT_FALSE(bs::may_send(peer(), now_));
  now_ = first + 300s;  // the window of the first bubble is over
  EXPECT_FALSE(bs::budget_spent(peer(), now_));
  EXPECT_TRUE(bs::may_send(peer(), now_));
  send_bubble();  // starts a new window
  EXPECT_EQ(peer().bubbles, 1);
  EXPECT_EQ(peer().bubble_window_start, now_);
}

TEST_F(BubbleSchedule, Rfc4380_5_2_6_DirectReplyStartsTheCountAgain) {
  for (int i = 0; i < 4; ++i) {
    send_bubble();
    advance(2s);
  }
  ASSERT_FALSE(bs::may_send(peer(), now_));
  bs::direct_reply(table_[id_]);
  EXPECT_TRUE(bs::may_send(peer(), now_));
  send_bubble();
  EXPECT_EQ(peer().bubbles, 1);
  EXPECT_EQ(peer().bubble_window_start, now_);
}

TEST_F(BubbleSchedule, Rfc4380_5_2_4_RetriesAt2_4_6sAndFailureAt8s) {
  const TimePoint start = now_;
  std::vector<Duration> sent;
  int transmissions = 0;
  TimePoint timer = now_;
  while (true) {
    now_ = timer;
    if (bs::exchange_over(transmissions)) break;
    send_bubble();
    sent.push_back(now_ - start);
    ++transmissions;
    timer = bs::retry_at(now_);
  }
  EXPECT_EQ(sent, (std::vector<Duration>{0s, 2s, 4s, 6s}));
  EXPECT_EQ(now_ - start, 8s);  // the exchange fails here
  EXPECT_EQ(transmissions, bs::kTransmissions);
}

}  // namespace
}  // namespace shipworm::core
