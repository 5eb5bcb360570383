// HookRunner against real processes: small /bin/sh scripts written into a temporary
// directory. No root needed; the timeout is reached by passing a later `now` to on_timer(),
// so no test waits for it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "daemon/hook_runner.h"

namespace shipworm::daemon {
namespace {

class HookRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shipworm-hook-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto l = os::EventLoop::create();
    ASSERT_TRUE(l.ok()) << l.error().message();
    loop_ = std::move(l).value();
    log_stream_ = std::tmpfile();
    ASSERT_NE(log_stream_, nullptr);
    LogOptions o;
    o.level = LogLevel::info;
    o.stream = log_stream_;
    o.journal = false;
    log_ = std::make_unique<Logger>(o);
  }
  void TearDown() override {
    log_.reset();
    if (log_stream_ != nullptr) std::fclose(log_stream_);
    (void)std::system(("rm -rf " + dir_).c_str());
  }

  // Writes an executable /bin/sh script with this body; returns its path.
  std::string script(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    EXPECT_EQ(::chmod(path.c_str(), 0755), 0);
    return path;
  }
  [[nodiscard]] std::string read(const std::string& name) const {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string log_text() {
    std::fflush(log_stream_);
    std::rewind(log_stream_);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, log_stream_) != nullptr) out += buf;
    return out;
  }
  // Runs the event loop (the pidfd watch) until the runner is idle, at most ~5 s.
  void run_until_idle(HookRunner& hooks) {
    for (int i = 0; i < 500 && !hooks.idle(); ++i) {
      ASSERT_TRUE(loop_->run_once(std::chrono::milliseconds(10)).ok());
      hooks.on_timer(os::EventLoop::now());
    }
    EXPECT_TRUE(hooks.idle());
  }

  std::string dir_;
  std::unique_ptr<os::EventLoop> loop_;
  std::FILE* log_stream_ = nullptr;
  std::unique_ptr<Logger> log_;
};

// Miredo's client-hook contract: the script sees exactly the environment it is given
// (STATE, IFACE, ADDRESS, ...), nothing inherited from the daemon.
TEST_F(HookRunnerTest, HookSeesExactlyTheGivenEnvironment) {
  HookRunner hooks(*log_, *loop_);
  hooks.set_script(script("hook", "env > " + dir_ + "/env.out"));
  ::setenv("SHIPWORM_HOOK_TEST_LEAK", "1", 1);
  hooks.enqueue({"PATH=/usr/bin:/bin", "STATE=up", "IFACE=teredo", "MTU=1280"});
  run_until_idle(hooks);
  ::unsetenv("SHIPWORM_HOOK_TEST_LEAK");
  const std::string env = read("env.out");
  EXPECT_NE(env.find("STATE=up\n"), std::string::npos) << env;
  EXPECT_NE(env.find("IFACE=teredo\n"), std::string::npos) << env;
  EXPECT_NE(env.find("MTU=1280\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("SHIPWORM_HOOK_TEST_LEAK"), std::string::npos) << env;
  EXPECT_NE(log_text().find("(STATE=up) done in"), std::string::npos) << log_text();
}

// "up" and "down" reach the hook in the order they happened: one run at a time, each
// started only after the previous one exited.
TEST_F(HookRunnerTest, HooksRunOneAtATimeInOrder) {
  HookRunner hooks(*log_, *loop_);
  const std::string out = dir_ + "/order.out";
  hooks.set_script(script(
      "hook", "echo \"start $STATE\" >> " + out + "\nsleep 0.05\necho \"end $STATE\" >> " + out));
  for (const char* s : {"1", "2", "3"})
    hooks.enqueue({"PATH=/usr/bin:/bin", std::string("STATE=") + s});
  EXPECT_FALSE(hooks.idle());
  EXPECT_TRUE(hooks.deadline().has_value());
  run_until_idle(hooks);
  EXPECT_EQ(read("order.out"), "start 1\nend 1\nstart 2\nend 2\nstart 3\nend 3\n");
  EXPECT_FALSE(hooks.deadline().has_value());
}

// A hook still running at its timeout is killed (SIGKILL to its session), and the next
// queued hook then runs.
TEST_F(HookRunnerTest, HookPastItsTimeoutIsKilledAndTheNextRuns) {
  HookRunner hooks(*log_, *loop_);
  hooks.set_script(script(
      "hook", "if [ \"$STATE\" = up ]; then exec sleep 30; fi\necho ran > " + dir_ + "/next.out"));
  hooks.enqueue({"PATH=/usr/bin:/bin", "STATE=up"});
  hooks.enqueue({"PATH=/usr/bin:/bin", "STATE=down"});
  const auto deadline = hooks.deadline();
  ASSERT_TRUE(deadline.has_value());
  EXPECT_LE(*deadline, os::EventLoop::now() + kHookTimeout);
  hooks.on_timer(os::EventLoop::now());  // before the timeout: nothing happens
  EXPECT_EQ(log_text().find("killing"), std::string::npos);
  hooks.on_timer(os::EventLoop::now() + kHookTimeout);  // injected: the timeout has passed
  EXPECT_NE(log_text().find("still running after 10 s: killing it"), std::string::npos);
  run_until_idle(hooks);
  EXPECT_NE(log_text().find("(STATE=up) killed by signal 9"), std::string::npos) << log_text();
  EXPECT_EQ(read("next.out"), "ran\n");
}

// drain() (at exit) runs everything still queued and waits for each.
TEST_F(HookRunnerTest, DrainRunsTheQueueToTheEnd) {
  HookRunner hooks(*log_, *loop_);
  hooks.set_script(script("hook", "echo $STATE >> " + dir_ + "/drain.out\nexit 3"));
  hooks.enqueue({"STATE=up"});
  hooks.enqueue({"STATE=down"});
  hooks.drain();
  EXPECT_TRUE(hooks.idle());
  EXPECT_EQ(read("drain.out"), "up\ndown\n");
  EXPECT_NE(log_text().find("(STATE=down) exited with status 3"), std::string::npos);
}

TEST_F(HookRunnerTest, NoScriptRunsNothing) {
  HookRunner hooks(*log_, *loop_);
  hooks.enqueue({"STATE=up"});
  EXPECT_TRUE(hooks.idle());
  EXPECT_FALSE(hooks.deadline().has_value());
}

TEST_F(HookRunnerTest, MissingScriptIsLoggedNotFatal) {
  HookRunner hooks(*log_, *loop_);
  hooks.set_script(dir_ + "/does-not-exist");
  hooks.enqueue({"STATE=up"});
  run_until_idle(hooks);
  const std::string text = log_text();
  EXPECT_TRUE(text.find("cannot run hook") != std::string::npos ||
              text.find("exited with status 127") != std::string::npos)
      << text;
}

}  // namespace
}  // namespace shipworm::daemon
