// ClientEngine following its host (RFC 4380 §5.2.5: a client may refresh whenever it wants):
// a network change re-qualifies at once, unanswered traffic probes the server early, and a
// host that slept does not trust its old mapping. Fake clock, fake random source.
#include <gtest/gtest.h>

#include "core_client_engine_fixture.h"

namespace shipworm::core {
namespace {

using wire::Endpoint;
using wire::Ipv6Address;
using wire::TeredoAddress;

const Endpoint kNewMapping{v4("203.0.113.99"), 6000};

std::size_t rs_count(const RecordingSink& sink) {
  std::size_t n = 0;
  for (const auto& s : sink.udp) n += is_rs(s) ? 1U : 0U;
  return n;
}

std::uint64_t changes(const ClientEngine& e, NetworkTrigger t) {
  return e.counters().network_changes[static_cast<std::size_t>(t)];
}

class ClientRoamingTest : public ClientEngineTest {
 protected:
  // A trusted direct peer (case 3: its Teredo source embeds its UDP source).
  void trust_peer() {
    udp(kPeerMapping, data_packet(kPeer, own_));
    const PeerId id = e_->peers().find(kPeer);
    ASSERT_NE(id, kNoPeer);
    ASSERT_TRUE(e_->peers()[id].trusted());
  }
};

TEST_F(ClientRoamingTest, Rfc4380_5_2_5_NetworkChangeWithdrawsTheAddressAndRequalifiesAtOnce) {
  qualify();
  trust_peer();
  const std::size_t rs_before = rs_count(sink_);
  now_ = t0 + 5s;
  e_->on_network_change(now_, "the path toward the server changed", sink_);

  // The old address goes at once (hook: STATE=down, OLD_ADDRESS), the peers are forgotten,
  // and an RS goes to the same server now, not at the next refresh.
  ASSERT_EQ(sink_.addresses.size(), 2u);
  EXPECT_EQ(sink_.addresses[1].old_address, own_);
  EXPECT_FALSE(sink_.addresses[1].new_address);
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  EXPECT_EQ(e_->peers().size(), 0u);
  EXPECT_EQ(rs_count(sink_), rs_before + 1);
  EXPECT_EQ(sink_.udp.back().to, kServer.primary_endpoint());
  auto s = e_->status();
  ASSERT_TRUE(s.last_network_change);
  EXPECT_EQ(s.last_network_change->trigger, NetworkTrigger::kNetwork);
  EXPECT_EQ(s.last_network_change->at, now_);
  EXPECT_FALSE(s.last_network_change->recovered_in);
  EXPECT_NE(s.cause.find("the path toward the server changed; re-qualifying at once"),
            std::string::npos)
      << s.cause;

  // The new network's NAT answers with a new mapping: a new address, and the recovery time.
  now_ += 40ms;
  answer_rs(kNewMapping);
  answer_rs(kNewMapping);
  EXPECT_EQ(e_->state(), ClientState::kQualified);
  ASSERT_EQ(sink_.addresses.size(), 3u);
  EXPECT_FALSE(sink_.addresses[2].old_address);
  ASSERT_TRUE(sink_.addresses[2].new_address);
  EXPECT_EQ(TeredoAddress::from_ipv6(*sink_.addresses[2].new_address)->mapped, kNewMapping);
  s = e_->status();
  ASSERT_TRUE(s.last_network_change);
  EXPECT_EQ(s.last_network_change->recovered_in, 40ms);
  EXPECT_EQ(changes(*e_, NetworkTrigger::kNetwork), 1u);
}

// The daemon acts after damping; the recovery a user sees counts from the change itself.
TEST_F(ClientRoamingTest, RecoveryCountsFromTheChangeNotFromTheDecision) {
  qualify();
  now_ = t0 + 5s;
  e_->on_network_change(now_, "link eth0 went down", sink_, now_ - 200ms);
  now_ += 40ms;
  answer_rs(kNewMapping);
  answer_rs(kNewMapping);
  const auto s = e_->status();
  ASSERT_TRUE(s.last_network_change);
  EXPECT_EQ(s.last_network_change->at, t0 + 5s - 200ms);
  EXPECT_EQ(s.last_network_change->recovered_in, 240ms);
}

TEST_F(ClientRoamingTest, NetworkChangeBeforeStartIsIgnored) {
  make(config());
  e_->on_network_change(t0, "link up", sink_);
  EXPECT_EQ(e_->state(), ClientState::kInitial);
  EXPECT_TRUE(sink_.udp.empty());
  EXPECT_FALSE(e_->status().last_network_change);
}

// Off-line, waiting out the backoff after a failure: a new network is worth trying at once.
TEST_F(ClientRoamingTest, Rfc4380_5_2_1_NetworkChangeWhileOfflineQualifiesWithoutWaiting) {
  make(config());
  e_->start(t0, sink_);
  run_until(t0 + 12s, false);
  ASSERT_EQ(e_->state(), ClientState::kOffline);
  ASSERT_GT(e_->next_deadline(), t0 + 12s + 5s);  // the backoff
  const std::size_t rs_before = rs_count(sink_);
  now_ = t0 + 13s;
  e_->on_network_change(now_, "address 10.0.2.10 added", sink_);
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  EXPECT_EQ(rs_count(sink_), rs_before + 1);
  EXPECT_EQ(e_->next_deadline(), now_ + 4s);
}

// A change during qualification restarts it: RSs sent through the old network may never
// come back.
TEST_F(ClientRoamingTest, Rfc4380_5_2_1_NetworkChangeWhileStartingRestartsQualification) {
  make(config());
  e_->start(t0, sink_);
  now_ = t0 + 1s;
  e_->on_network_change(now_, "link eth0 went down", sink_);
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  EXPECT_EQ(rs_count(sink_), 2u);
  EXPECT_EQ(e_->next_deadline(), now_ + 4s);
  answer_rs(kMapping);
  answer_rs(kMapping);
  EXPECT_EQ(e_->state(), ClientState::kQualified);
}

// The NAT rebooted while the host kept its address: data to a trusted peer goes unanswered,
// so the client asks the server early, and the RA's new mapping gives the new address.
TEST_F(ClientRoamingTest, Rfc4380_5_2_5_UnansweredTrafficProbesTheServerEarly) {
  qualify();
  trust_peer();
  const std::size_t rs_before = rs_count(sink_);
  const TimePoint first = now_;
  for (int i = 0; i < 4; ++i) {  // 1.9 s of data, nothing back
    tun(data_packet(own_, kPeer));
    run_until(now_ + (i < 3 ? 500ms : 400ms));
  }
  EXPECT_EQ(rs_count(sink_), rs_before) << "no probe before 2 s of silence";
  now_ = e_->next_deadline();
  EXPECT_EQ(now_, first + 2s);
  e_->on_timer(now_, sink_);
  ASSERT_EQ(rs_count(sink_), rs_before + 1);
  EXPECT_EQ(sink_.udp.back().to, kServer.primary_endpoint());
  EXPECT_EQ(e_->counters().early_probes, 1u);
  now_ += 30ms;
  answer_rs(kNewMapping);
  ASSERT_EQ(sink_.addresses.size(), 2u);
  EXPECT_EQ(sink_.addresses[1].old_address, own_);
  ASSERT_TRUE(sink_.addresses[1].new_address);
  EXPECT_EQ(TeredoAddress::from_ipv6(*sink_.addresses[1].new_address)->mapped, kNewMapping);
  EXPECT_EQ(e_->peers().size(), 0u);  // learned through the old mapping
  const auto s = e_->status();
  ASSERT_TRUE(s.last_network_change);
  EXPECT_EQ(s.last_network_change->trigger, NetworkTrigger::kDeadMapping);
  EXPECT_EQ(s.last_network_change->at, first);
  EXPECT_EQ(s.last_network_change->recovered_in, 2s + 30ms);
  EXPECT_NE(s.cause.find("traffic unanswered for 2.0 s; early refresh: mapping changed from "
                         "203.0.113.7:4000 to 203.0.113.99:6000"),
            std::string::npos)
      << s.cause;
}

// Answering a peer's last request is not traffic that waits for an answer: nothing is
// probed however long the silence after it.
TEST_F(ClientRoamingTest, AReplyToTheLastRequestIsNotUnansweredTraffic) {
  qualify();
  trust_peer();
  for (int i = 0; i < 3; ++i) {
    udp(kPeerMapping, data_packet(kPeer, own_));
    tun(data_packet(own_, kPeer));  // the reply
    run_until(now_ + 1s);
  }
  run_until(now_ + 20s);
  EXPECT_EQ(e_->counters().early_probes, 0u);
}

// A probe that found a new mapping was worth it: a second NAT reboot soon after is probed
// as quickly as the first (only probes that found nothing are spaced).
TEST_F(ClientRoamingTest, Rfc4380_5_2_5_ASuccessfulProbeDoesNotHoldBackTheNext) {
  qualify();
  trust_peer();
  auto lose_mapping = [&](Endpoint next) {
    const TimePoint first = now_;
    while (e_->counters().address_changes == 0 || e_->mapping() != next) {
      ASSERT_LT(now_ - first, 5s) << "no probe within 5 s";
      tun(data_packet(own_, kPeer));
      const std::size_t before = sink_.udp.size();
      now_ += 100ms;
      e_->on_timer(now_, sink_);
      for (std::size_t i = before; i < sink_.udp.size(); ++i) {
        if (is_rs(sink_.udp[i])) answer_rs(next);
      }
    }
    EXPECT_LE(now_ - first, 2100ms);
    own_ = e_->address()->to_ipv6();
    trust_peer();
  };
  lose_mapping(kNewMapping);
  now_ += 1s;
  lose_mapping({kNewMapping.address, 6001});
  EXPECT_EQ(e_->counters().early_probes, 2u);
}

TEST_F(ClientRoamingTest, AnsweredTrafficNeverProbesEarly) {
  qualify();
  trust_peer();
  for (int i = 0; i < 240; ++i) {  // 2 minutes of request/response
    tun(data_packet(own_, kPeer));
    run_until(now_ + 250ms);
    udp(kPeerMapping, data_packet(kPeer, own_));
    run_until(now_ + 250ms);
  }
  EXPECT_EQ(e_->counters().early_probes, 0u);
  // Only the regular refreshes: one per 22.5-30 s.
  EXPECT_LE(rs_count(sink_), 2u + 6u);
}

// Traffic nobody answers (a peer that went away, one-way UDP): the mapping is checked, but
// at most once per 10 s, and an unchanged mapping keeps the address.
TEST_F(ClientRoamingTest, EarlyProbesAreSpacedAndKeepAnUnchangedMapping) {
  qualify();
  trust_peer();
  const TimePoint start = now_;
  while (now_ < start + 60s) {
    tun(data_packet(own_, kPeer));
    run_until(now_ + 200ms);  // run_until answers RSs with the same mapping
  }
  EXPECT_GE(e_->counters().early_probes, 4u);
  EXPECT_LE(e_->counters().early_probes, 6u);
  EXPECT_EQ(sink_.addresses.size(), 1u);
  EXPECT_EQ(e_->state(), ClientState::kQualified);
  EXPECT_FALSE(e_->status().last_network_change);
}

// A laptop resumes after 10 minutes asleep: the timers the daemon runs (on a clock that
// counts suspend, docs/os-linux.md) are long overdue; the mapping may have expired with the
// NAT's state, so the client qualifies again instead of trusting it.
TEST_F(ClientRoamingTest, Rfc4380_5_2_5_ResumeAfterSleepRequalifies) {
  qualify();
  trust_peer();
  const std::size_t rs_before = rs_count(sink_);
  now_ = t0 + 10min;
  e_->on_timer(now_, sink_);
  EXPECT_EQ(e_->state(), ClientState::kStarting);
  ASSERT_EQ(sink_.addresses.size(), 2u);
  EXPECT_FALSE(sink_.addresses[1].new_address);
  EXPECT_EQ(e_->peers().size(), 0u);
  EXPECT_EQ(rs_count(sink_), rs_before + 1);
  const auto s = e_->status();
  ASSERT_TRUE(s.last_network_change);
  EXPECT_EQ(s.last_network_change->trigger, NetworkTrigger::kResume);
  EXPECT_EQ(changes(*e_, NetworkTrigger::kResume), 1u);
  answer_rs(kMapping);
  answer_rs(kMapping);
  EXPECT_EQ(e_->state(), ClientState::kQualified);
}

TEST_F(ClientRoamingTest, TimersRunOnTimeNeverLookLikeSleep) {
  qualify();
  run_until(t0 + 30min);
  EXPECT_EQ(e_->state(), ClientState::kQualified);
  EXPECT_EQ(sink_.addresses.size(), 1u);
  EXPECT_EQ(changes(*e_, NetworkTrigger::kResume), 0u);
}

// A mapping change found by the regular refresh also starts over with every peer, and is
// reported as the last network change.
TEST_F(ClientRoamingTest, Rfc4380_5_2_5_RefreshFindingANewMappingForgetsThePeers) {
  qualify();
  trust_peer();
  now_ = e_->next_deadline();
  e_->on_timer(now_, sink_);
  answer_rs(kNewMapping);
  EXPECT_EQ(sink_.addresses.size(), 2u);
  EXPECT_EQ(e_->peers().size(), 0u);
  const auto s = e_->status();
  ASSERT_TRUE(s.last_network_change);
  EXPECT_EQ(s.last_network_change->trigger, NetworkTrigger::kRefresh);
  EXPECT_EQ(s.last_network_change->recovered_in, 0s);
}

}  // namespace
}  // namespace shipworm::core
