// Teredo protocol constants, with the RFC section that defines each one
// (RFC 4380, 5991, 6081). Timers carry their unit in the type.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace shipworm::wire {

using namespace std::chrono_literals;

// --- Addressing (RFC 4380 §2.6, §2.7, §4; RFC 5991 §3.1) ---
inline constexpr std::uint32_t kTeredoPrefix = 0x20010000;  // 2001:0000::/32
inline constexpr std::uint16_t kTeredoPort = 3544;
inline constexpr std::uint16_t kFlagCone = 0x8000;        // C
inline constexpr std::uint16_t kFlagReservedZ = 0x4000;   // MUST be 0 (RFC 5991 §3.1)
inline constexpr std::uint16_t kFlagUniversal = 0x0200;   // U, sent as 0
inline constexpr std::uint16_t kFlagGroup = 0x0100;       // G, sent as 0
inline constexpr std::uint16_t kFlagRandomMask = 0x3CFF;  // Random1 (0x3C00) | Random2 (0x00FF)
inline constexpr std::uint16_t kPortObfuscation = 0xFFFF;
inline constexpr std::uint32_t kIpv4Obfuscation = 0xFFFFFFFF;

// --- Encapsulation (RFC 4380 §5.1.1) ---
inline constexpr std::size_t kOriginIndicationSize = 8;
inline constexpr std::size_t kAuthHeaderMinSize = 13;  // 4 + nonce 8 + confirmation 1
inline constexpr std::size_t kNonceSize = 8;
inline constexpr std::size_t kIpv6HeaderSize = 40;

// --- Link (RFC 4380 §5.1.2) ---
inline constexpr std::uint32_t kDefaultMtu = 1280;
inline constexpr std::size_t kMaxUdpPayload = 65507;

// --- IPv6 / ICMPv6 / ND numbers (RFC 4443, RFC 4861) ---
inline constexpr std::uint8_t kNextHeaderIcmpv6 = 58;
inline constexpr std::uint8_t kNextHeaderNone = 59;  // bubble (RFC 4380 §2.8)
inline constexpr std::uint8_t kIcmpEchoRequest = 128;
inline constexpr std::uint8_t kIcmpEchoReply = 129;
inline constexpr std::uint8_t kIcmpRouterSolicitation = 133;
inline constexpr std::uint8_t kIcmpRouterAdvertisement = 134;
inline constexpr std::uint8_t kNdOptionSourceLinkLayer = 1;
inline constexpr std::uint8_t kNdOptionPrefixInformation = 3;
inline constexpr std::uint8_t kNdOptionMtu = 5;
inline constexpr std::uint8_t kNdHopLimit = 255;  // RFC 4861 §6.1.1, §6.1.2

// --- RFC 6081 §4 trailers ---
inline constexpr std::uint8_t kTrailerNonce = 0x01;
inline constexpr std::uint8_t kTrailerAlternateAddress = 0x03;
inline constexpr std::uint8_t kTrailerNdOption = 0x04;
// §4.5 says 0x05, the §9 IANA table says 0x02 (docs/rfc-notes.md §5.6): accept both.
inline constexpr std::uint8_t kTrailerRandomPort = 0x05;
inline constexpr std::uint8_t kTrailerRandomPortIana = 0x02;
inline constexpr std::size_t kMaxAlternateAddresses = 4;  // length 8..26, 6 bytes each
// shipworm's own trailer (not IANA-assigned): an RS carrying it asks a shipworm server to
// answer also from its filtering-probe port, so `shipworm netcheck` can tell address- from
// port-dependent NAT filtering. The top bits 10 make every other receiver skip it (RFC 6081
// §4.1); the server echoes it on its normal RA to say it understood. Length 0.
inline constexpr std::uint8_t kTrailerFilteringProbe = 0xA5;

// --- Timers (RFC 4380 §5.2.1, §5.2, §5.2.4, §5.2.6; RFC 4861 §10) ---
inline constexpr auto kQualificationTimeout = 4s;  // T
inline constexpr int kQualificationAttempts = 3;   // N, counted as transmissions
inline constexpr auto kDefaultRefreshInterval = 30s;
inline constexpr auto kPeerValidity = 30s;
inline constexpr auto kBubbleMinSpacing = 2s;
inline constexpr int kBubblesPerWindow = 4;
inline constexpr auto kBubbleWindow = 300s;
inline constexpr auto kBubbleRetry = 2s;
inline constexpr int kBubbleRetries = 3;

}  // namespace shipworm::wire
