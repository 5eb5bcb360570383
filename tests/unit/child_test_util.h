// Tests whose body runs in a forked child (os/linux/private_netns.h), usually inside a
// private network namespace: the child's checks return the failure's text instead of
// asserting (gtest cannot report from a forked process), and the wrapper turns the child's
// outcome into pass, fail or skip (not root, or no namespaces on this kernel).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "os/linux/private_netns.h"

// In the child's body: return a failure naming the file, line and condition.
#define CHILD_CHECK(cond, what)                                                                  \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      return std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + std::string(what) + \
             " [" #cond "]";                                                                     \
  } while (0)

// In the child's body: a Result/Status must be ok, else its error message is the failure.
#define CHILD_OK(expr)                                                    \
  do {                                                                    \
    auto&& r_ = (expr);                                                   \
    CHILD_CHECK(r_.ok(), r_.ok() ? std::string() : r_.error().message()); \
  } while (0)

// Runs the body (a std::function<std::string()>; "" = passed) in a child as root; `why`
// says what root is needed for when the test is skipped. Further arguments go to
// run_in_child (private_network, default true).
#define RUN_IN_CHILD_AS_ROOT(why, ...)                                                       \
  do {                                                                                       \
    if (geteuid() != 0) GTEST_SKIP() << "needs root to " why;                                \
    const ::shipworm::os::ChildOutcome outcome_ = ::shipworm::os::run_in_child(__VA_ARGS__); \
    if (outcome_.kind == ::shipworm::os::ChildOutcome::Kind::unsupported)                    \
      GTEST_SKIP() << outcome_.text;                                                         \
    ASSERT_EQ(outcome_.kind, ::shipworm::os::ChildOutcome::Kind::passed) << outcome_.text;   \
  } while (0)

#define RUN_IN_PRIVATE_NETNS(...) RUN_IN_CHILD_AS_ROOT("create a network namespace", __VA_ARGS__)
