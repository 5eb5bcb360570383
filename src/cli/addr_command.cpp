// `shipworm addr decode|encode`: Teredo addresses by hand (RFC 4380 §4, RFC 5991 §3.1).
#include <fmt/core.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/command.h"
#include "os/linux/csprng.h"
#include "wire/teredo_address.h"

namespace shipworm::cli {
namespace {

using wire::Ipv4Address;
using wire::Ipv6Address;
using wire::TeredoAddress;

struct AddrOptions {
  std::string address;
  bool json = false;
  std::string server;
  std::string mapped;
  long port = -1;
  bool cone = false;
  std::string flags;
};

std::string hex16(std::uint16_t v) { return fmt::format("0x{:04x}", v); }

nlohmann::json to_json(const TeredoAddress& t) {
  return {{"address", t.to_ipv6().to_string()},
          {"server", t.server.to_string()},
          {"server_global", wire::is_global_unicast(t.server)},
          {"flags", hex16(t.flags)},
          {"cone", t.cone()},
          {"random_bits", hex16(t.random_bits())},
          {"port", t.mapped.port},
          {"mapped", t.mapped.address.to_string()},
          {"mapped_global", wire::is_global_unicast(t.mapped.address)},
          {"rfc5991", t.rfc5991_compliant()}};
}

void print_text(const TeredoAddress& t) {
  const auto yes = [](bool b) { return b ? "yes" : "no"; };
  fmt::print("address:      {}\n", t.to_ipv6().to_string());
  fmt::print("server:       {}{}\n", t.server.to_string(),
             wire::is_global_unicast(t.server) ? "" : "  (not global unicast: RFC 4380 §5.2.4)");
  fmt::print("flags:        {}\n", hex16(t.flags));
  fmt::print("cone:         {}\n", yes(t.cone()));
  fmt::print("random bits:  {}{}\n", hex16(t.random_bits()),
             t.random_bits() == 0 ? "  (none: an RFC 4380-era client, or a rare draw)" : "");
  fmt::print("mapped port:  {}\n", t.mapped.port);
  fmt::print(
      "mapped IPv4:  {}{}\n", t.mapped.address.to_string(),
      wire::is_global_unicast(t.mapped.address) ? "" : "  (not global unicast: RFC 4380 §5.2.4)");
  std::string why;
  if ((t.flags & wire::kFlagReservedZ) != 0)
    why = "  (bit 0x4000 is set; RFC 5991 §3.1 requires 0)";
  if ((t.flags & (wire::kFlagUniversal | wire::kFlagGroup)) != 0) {
    why += "  (U/G bits 0x0300 are set; RFC 4380 §4 sends 00)";
  }
  fmt::print("rfc5991:      {}{}\n", yes(t.rfc5991_compliant()), why);
}

int decode(const AddrOptions& o) {
  const auto ip = Ipv6Address::parse(o.address);
  if (!ip) throw UsageError(fmt::format("'{}' is not an IPv6 address", o.address));
  const auto t = TeredoAddress::from_ipv6(*ip);
  if (!t) {
    throw UsageError(fmt::format("'{}' is not a Teredo address (not in 2001::/32)", o.address));
  }
  if (o.json) {
    fmt::print("{}\n", to_json(*t).dump());
  } else {
    print_text(*t);
  }
  return kExitOk;
}

Ipv4Address parse_ipv4(const std::string& what, const std::string& text) {
  const auto a = Ipv4Address::parse(text);
  if (!a) throw UsageError(fmt::format("{} '{}' is not an IPv4 address", what, text));
  return *a;
}

std::uint16_t parse_flags(const std::string& text) {
  std::string_view s = text;
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v > 0xffff) {
    throw UsageError(fmt::format("--flags '{}' is not a 16-bit hex value such as 0x8000", text));
  }
  return static_cast<std::uint16_t>(v);
}

int encode(const AddrOptions& o) {
  TeredoAddress t;
  t.server = parse_ipv4("--server", o.server);
  t.mapped.address = parse_ipv4("--mapped", o.mapped);
  if (o.port < 1 || o.port > 65535) {
    throw UsageError(fmt::format("--port {} is not a UDP port (1-65535)", o.port));
  }
  t.mapped.port = static_cast<std::uint16_t>(o.port);
  // Without --flags the RFC 5991 random bits are drawn fresh from the kernel CSPRNG.
  t.flags = o.flags.empty() ? wire::make_flags(o.cone, os::random_value<std::uint16_t>())
                            : parse_flags(o.flags);
  for (const auto& [name, a] : {std::pair{"server", t.server}, {"mapped", t.mapped.address}}) {
    if (!wire::is_global_unicast(a)) {
      fmt::print(stderr,
                 "shipworm: warning: {} {} is not global unicast; Teredo nodes refuse it "
                 "(RFC 4380 §5.2.4)\n",
                 name, a.to_string());
    }
  }
  if (o.json) {
    fmt::print("{}\n", to_json(t).dump());
  } else {
    fmt::print("{}\n", t.to_ipv6().to_string());
  }
  return kExitOk;
}

}  // namespace

Command add_addr_command(CLI::App& root) {
  auto opts = std::make_shared<AddrOptions>();
  CLI::App* addr = root.add_subcommand("addr", "Decode or encode a Teredo IPv6 address");
  addr->require_subcommand(1);

  CLI::App* dec = addr->add_subcommand(
      "decode", "Show the server, flags, cone bit, RFC 5991 random bits and mapping of ADDR");
  dec->add_option("ADDR", opts->address, "A Teredo address (2001::/32)")->required();
  dec->add_flag("--json", opts->json, "Print one JSON object");

  CLI::App* enc = addr->add_subcommand("encode", "Build a Teredo address from its parts");
  enc->add_option("--server", opts->server, "Teredo server IPv4 address")->required();
  enc->add_option("--mapped", opts->mapped, "Mapped (public) IPv4 address of the client")
      ->required();
  enc->add_option("--port", opts->port, "Mapped UDP port of the client")->required();
  auto* cone = enc->add_flag("--cone", opts->cone, "Set the cone bit (0x8000)");
  enc->add_option("--flags", opts->flags,
                  "All 16 flag bits as hex (e.g. 0x8000); default: C as given, RFC 5991 random "
                  "bits drawn fresh")
      ->excludes(cone);
  enc->add_flag("--json", opts->json, "Print one JSON object");

  return Command{addr, [opts, dec]() { return dec->parsed() ? decode(*opts) : encode(*opts); }};
}

}  // namespace shipworm::cli
