// End-to-end checks of `shipworm addr` as a user runs it (issue 2's acceptance line).
#include <gtest/gtest.h>

#include <string>

#include "cli_test_util.h"

namespace {

using shipworm::test::Run;
Run run(const std::string& args) { return shipworm::test::run_shipworm(args); }

TEST(AddrCli, DecodesTheBriefExampleAsJson) {
  const auto r = run("addr decode 2001:0000:4136:e378:8000:63bf:3fff:fdd2 --json");
  EXPECT_EQ(r.status, 0) << r.out;
  for (const char* want : {R"("server":"65.54.227.120")", R"("cone":true)", R"("port":40000)",
                           R"("mapped":"192.0.2.45")", R"("flags":"0x8000")",
                           R"("random_bits":"0x0000")", R"("rfc5991":true)"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << " in " << r.out;
  }
}

TEST(AddrCli, Rfc5991_3_1_ReportsNonCompliantZBit) {
  const auto r = run("addr decode 2001:0:4136:e378:4000:63bf:3fff:fdd2 --json");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find(R"("rfc5991":false)"), std::string::npos) << r.out;
}

TEST(AddrCli, RejectsNonIpv6AndNonTeredoWithExitCode2AndOneLine) {
  for (const char* bad :
       {"addr decode not-an-address", "addr decode 2002::1", "addr decode 192.0.2.1"}) {
    SCOPED_TRACE(bad);
    const auto r = run(bad);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;  // exactly one line
    EXPECT_NE(r.out.find("error"), std::string::npos);
  }
}

TEST(AddrCli, EncodesWithGivenFlagsAndRoundTrips) {
  const auto r =
      run("addr encode --server 65.54.227.120 --mapped 192.0.2.45 --port 40000 --flags 0x285c");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "2001:0:4136:e378:285c:63bf:3fff:fdd2\n");
}

TEST(AddrCli, Rfc5991_4_EncodeWithoutFlagsDrawsFreshRandomBits) {
  std::string first;
  bool differed = false;
  for (int i = 0; i < 8 && !differed; ++i) {
    const auto r =
        run("addr encode --server 65.54.227.120 --mapped 192.0.2.45 --port 40000 --cone");
    ASSERT_EQ(r.status, 0);
    ASSERT_EQ(r.out.rfind("2001:0:4136:e378:", 0), 0u) << r.out;
    if (i == 0) {
      first = r.out;
    } else {
      differed = r.out != first;
    }
  }
  // Eight identical draws of 12 random bits would happen with probability 2^-84.
  EXPECT_TRUE(differed);
}

TEST(AddrCli, EncodeRejectsBadArgumentsWithExitCode2) {
  for (const char* bad :
       {"addr encode --server x --mapped 192.0.2.45 --port 1",
        "addr encode --server 192.0.2.1 --mapped 192.0.2.45 --port 0",
        "addr encode --server 192.0.2.1 --mapped 192.0.2.45 --port 65536",
        "addr encode --server 192.0.2.1 --mapped 192.0.2.45 --port 1 --flags 0x10000",
        "addr encode --server 192.0.2.1 --mapped 192.0.2.45 --port 1 --flags zz",
        "addr encode --server 192.0.2.1 --mapped 192.0.2.45 --port 1 --flags 0x8000 --cone",
        "addr encode --server 192.0.2.1 --port 1", "addr", "frobnicate"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(run(bad).status, 2);
  }
}

TEST(AddrCli, HelpAndVersionSucceed) {
  for (const char* ok : {"--help", "addr --help", "addr decode --help", "--version"}) {
    SCOPED_TRACE(ok);
    const auto r = run(ok);
    EXPECT_EQ(r.status, 0);
    EXPECT_FALSE(r.out.empty());
  }
  EXPECT_NE(run("--version").out.find("shipworm 0.1.0"), std::string::npos);
}

}  // namespace
