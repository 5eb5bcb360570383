// End-to-end checks of `shipworm check-config` as a user runs it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "cli_test_util.h"

namespace {

using shipworm::test::Run;
Run run(const std::string& args) { return shipworm::test::run_shipworm(args); }

// A configuration file in a private temporary directory, removed at the end of the test.
class ConfigFile {
 public:
  ConfigFile(const std::string& name, const std::string& text) {
    std::array<char, 64> tmpl{};
    const std::string t = "/tmp/shipworm-cc-XXXXXX";
    std::copy(t.begin(), t.end(), tmpl.begin());
    dir_ = mkdtemp(tmpl.data());
    path_ = dir_ + "/" + name;
    std::ofstream(path_) << text;
  }
  ~ConfigFile() {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(CheckConfigCli, DebianMiredoConfIsOkAsAClient) {
  ConfigFile f("miredo.conf",
               "# Please refer to the miredo.conf(5) man page for details.\n"
               "InterfaceName\tteredo\n\n#ServerAddress\tteredo.ipv6.microsoft.com\n"
               "ServerAddress\tteredo-debian.remlab.net\n#BindPort\t3545\n");
  const auto r = run("check-config " + f.path());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.rfind(f.path() + ": OK (role client, 2 directives)\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nServerAddress teredo-debian.remlab.net\n"), std::string::npos);
  EXPECT_NE(r.out.find("\nRefreshInterval 30\n"), std::string::npos);
}

TEST(CheckConfigCli, ServerRoleFromServerBindAddress) {
  ConfigFile f("miredo-server.conf", "ServerBindAddress 192.0.2.221\n");
  const auto r = run("check-config " + f.path());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.rfind(f.path() + ": OK (role server, 1 directive)\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nServerBindAddress2 192.0.2.222\n"), std::string::npos) << r.out;
}

TEST(CheckConfigCli, EveryErrorOnItsOwnLineWithExitStatus2) {
  ConfigFile f("bad.conf",
               "RelayType cone\nInterfaceMTU 900\nServerAddress 198.51.100.1\nBindPort x\n");
  const auto r = run("check-config " + f.path());
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_EQ(count_lines(r.out), 3u) << r.out;
  EXPECT_NE(r.out.find(f.path() + ":2: InterfaceMTU: 900 is out of range (valid: 1280..65507"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find(f.path() + ":3: ServerAddress: not valid for role relay (valid for: client)\n"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(f.path() + ":4: BindPort: 'x' is not a whole number"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("OK"), std::string::npos);
}

TEST(CheckConfigCli, RoleFlag) {
  ConfigFile f("relay.conf", "SyslogFacility local2\nInterfaceName tw0\n");
  const auto relay = run("check-config " + f.path() + " --role relay");
  EXPECT_EQ(relay.status, 0) << relay.out;
  EXPECT_EQ(relay.out.rfind(f.path() + ": OK (role relay, 2 directives)\n", 0), 0u) << relay.out;
  const auto server = run("check-config " + f.path() + " --role server");
  EXPECT_EQ(server.status, 2) << server.out;
  EXPECT_NE(server.out.find(":2: InterfaceName: not valid for role server"), std::string::npos);
  EXPECT_NE(server.out.find(": ServerBindAddress: missing"), std::string::npos);
  EXPECT_EQ(run("check-config " + f.path() + " --role host").status, 2);
}

TEST(CheckConfigCli, ShippedExamplesAreValid) {
  for (const char* role : {"client", "relay", "server"}) {
    SCOPED_TRACE(role);
    const std::string path =
        std::string(SHIPWORM_SOURCE_DIR) + "/packaging/examples/" + role + ".conf";
    const auto r = run("check-config " + path);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find(std::string(": OK (role ") + role), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("warning"), std::string::npos) << r.out;
  }
}

TEST(CheckConfigCli, MissingFileAndMissingArgument) {
  const auto r = run("check-config /nonexistent/x.conf");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "/nonexistent/x.conf: cannot read: No such file or directory\n");
  EXPECT_EQ(run("check-config").status, 2);
  EXPECT_EQ(run("check-config --help").status, 0);
}

}  // namespace
