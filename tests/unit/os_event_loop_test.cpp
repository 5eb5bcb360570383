// EventLoop against the real kernel (epoll, timerfd, signalfd). No test measures wall-clock
// time: they check that things happened and in which order.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <vector>

#include "os/linux/event_loop.h"
#include "os/linux/unique_fd.h"

namespace shipworm::os {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  if (!loop) ADD_FAILURE() << loop.error().message();
  return std::move(loop).value();
}

struct Pipe {
  UniqueFd r, w;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    r.reset(fds[0]);
    w.reset(fds[1]);
  }
  void poke() const { EXPECT_EQ(write(w.get(), "x", 1), 1); }
};

// docs/os-linux.md: the daemons' clock counts the time the host was suspended
// (CLOCK_BOOTTIME), so that protocol timers are overdue after a resume.
TEST(EventLoop, NowIsBootTime) {
  auto boottime = [] {
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  const auto a = boottime();
  const auto b = EventLoop::now().time_since_epoch();
  const auto c = boottime();
  EXPECT_LE(a, b);
  EXPECT_LE(b, c);
}

TEST(EventLoop, TimerFiresAtTheDeadline) {
  auto loop = make_loop();
  const auto deadline = EventLoop::now() + milliseconds(20);
  bool fired = false;
  EventLoop::TimePoint fired_at{};
  loop->on_deadline([&] {
    fired = true;
    fired_at = EventLoop::now();
    loop->stop();
  });
  loop->set_deadline(deadline);
  ASSERT_TRUE(loop->run().ok());
  EXPECT_TRUE(fired);
  EXPECT_GE(fired_at, deadline);               // never early
  EXPECT_FALSE(loop->deadline().has_value());  // one-shot
}

TEST(EventLoop, LaterSetDeadlineReplacesEarlierOne) {
  auto loop = make_loop();
  std::vector<int> order;
  const auto base = EventLoop::now();
  int fired = 0;
  loop->on_deadline([&] {
    ++fired;
    order.push_back(fired);
    if (fired == 1) {
      loop->set_deadline(base + milliseconds(2));  // already due or nearly: fires next
    } else {
      loop->stop();
    }
  });
  loop->set_deadline(base + milliseconds(3600'000));  // an hour away ...
  loop->set_deadline(base + milliseconds(5));         // ... replaced by a near one
  ASSERT_TRUE(loop->run().ok());
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoop, PastDeadlineFiresOnTheNextRound) {
  auto loop = make_loop();
  bool fired = false;
  loop->on_deadline([&] { fired = true; });
  loop->set_deadline(EventLoop::now() - milliseconds(1000));
  auto n = loop->run_once(milliseconds(-1));
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(fired);
}

TEST(EventLoop, ClearedDeadlineDoesNotFire) {
  auto loop = make_loop();
  bool fired = false;
  loop->on_deadline([&] { fired = true; });
  loop->set_deadline(EventLoop::now() - milliseconds(1));
  loop->clear_deadline();
  auto n = loop->run_once(milliseconds(0));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_FALSE(fired);
}

TEST(EventLoop, ReadableCallbackRunsAndCanRemoveItself) {
  auto loop = make_loop();
  Pipe p;
  int calls = 0;
  ASSERT_TRUE(loop->add(p.r.get(),
                        [&] {
                          ++calls;
                          char c;
                          EXPECT_EQ(read(p.r.get(), &c, 1), 1);
                          EXPECT_TRUE(loop->remove(p.r.get()).ok());
                        })
                  .ok());
  p.poke();
  ASSERT_TRUE(loop->run_once(milliseconds(-1)).ok());
  EXPECT_EQ(calls, 1);
  p.poke();  // no longer registered
  auto n = loop->run_once(milliseconds(0));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(calls, 1);
}

TEST(EventLoop, LevelTriggeredReportsLeftoverData) {
  auto loop = make_loop();
  Pipe p;
  int calls = 0;
  ASSERT_TRUE(loop->add(p.r.get(),
                        [&] {
                          ++calls;
                          char c;
                          EXPECT_EQ(read(p.r.get(), &c, 1), 1);  // one byte per wakeup
                        })
                  .ok());
  p.poke();
  p.poke();
  ASSERT_TRUE(loop->run_once(milliseconds(-1)).ok());
  ASSERT_TRUE(loop->run_once(milliseconds(-1)).ok());
  EXPECT_EQ(calls, 2);
}

TEST(EventLoop, EdgeTriggeredReportsOnlyNewData) {
  auto loop = make_loop();
  Pipe p;
  int calls = 0;
  ASSERT_TRUE(loop->add(
                      p.r.get(), [&] { ++calls; }, EventLoop::Trigger::edge)
                  .ok());
  p.poke();
  ASSERT_TRUE(loop->run_once(milliseconds(-1)).ok());
  auto n = loop->run_once(milliseconds(0));  // data still there, but no new edge
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(calls, 1);
}

TEST(EventLoop, CallbackRemovingAnotherSuppressesItsPendingEvent) {
  auto loop = make_loop();
  Pipe a, b;
  int calls = 0;
  ASSERT_TRUE(loop->add(a.r.get(),
                        [&] {
                          ++calls;
                          (void)loop->remove(b.r.get());
                        })
                  .ok());
  ASSERT_TRUE(loop->add(b.r.get(),
                        [&] {
                          ++calls;
                          (void)loop->remove(a.r.get());
                        })
                  .ok());
  a.poke();
  b.poke();
  ASSERT_TRUE(loop->run_once(milliseconds(-1)).ok());
  EXPECT_EQ(calls, 1);  // whichever ran first removed the other
}

TEST(EventLoop, AddingTwiceFails) {
  auto loop = make_loop();
  Pipe p;
  ASSERT_TRUE(loop->add(p.r.get(), [] {}).ok());
  auto s = loop->add(p.r.get(), [] {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EEXIST);
  EXPECT_FALSE(loop->remove(12345).ok());
}

TEST(EventLoop, SignalfdDeliversSighupToTheCallback) {
  auto loop = make_loop();
  int hups = 0;
  ASSERT_TRUE(loop->on_signal(SIGHUP,
                              [&] {
                                ++hups;
                                loop->stop();
                              })
                  .ok());
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);  // blocked by create(), so it waits in the signalfd
  ASSERT_TRUE(loop->run().ok());
  EXPECT_EQ(hups, 1);
}

TEST(EventLoop, SigtermWithoutHandlerStopsTheLoop) {
  auto loop = make_loop();
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(loop->run().ok());  // returns: stopped by SIGTERM
  EXPECT_TRUE(loop->stopping());
}

TEST(EventLoop, OnlyRoutedSignalsAccepted) {
  auto loop = make_loop();
  EXPECT_TRUE(loop->on_signal(SIGUSR1, [] {}).ok());
  EXPECT_FALSE(loop->on_signal(SIGUSR2, [] {}).ok());
}

}  // namespace
}  // namespace shipworm::os
