#!/usr/bin/env python3
"""Generates the seed corpus of the fuzz targets: fuzz/corpus/<target>/<name>.bin.

The seeds are the test vectors of docs/rfc-notes.md §6 (a real RS with authentication,
an RA datagram laid out as Miredo's server sends it, bubbles, echo, every RFC 6081 trailer),
TCP and UDP super-packets as a TSO/USO read from the TUN hands them over, plus truncated and
out-of-rule variants, so each fuzzer starts from valid packets and from each early-exit path.
Python standard library only; the output is deterministic.

  python3 fuzz/make_corpus.py           # rewrite fuzz/corpus/
  python3 fuzz/make_corpus.py --check   # exit 1 if the checked-in corpus is out of date
"""

import argparse
import hashlib
import hmac
import ipaddress
import pathlib
import struct
import sys

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"

# --- primitives -----------------------------------------------------------------------------


def v6(text):
    return ipaddress.IPv6Address(text).packed


def v4(text):
    return int(ipaddress.IPv4Address(text))


def csum16(data, initial=0):
    if len(data) % 2:
        data += b"\0"
    s = initial + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def icmpv6_checksum(src, dst, message):
    pseudo = src + dst + struct.pack("!IxxxB", len(message), 58)
    return ~csum16(pseudo + message) & 0xFFFF


def ipv6(src, dst, next_header, hop_limit, payload, payload_length=None, tc_flow=0):
    plen = len(payload) if payload_length is None else payload_length
    return struct.pack("!IHBB", (6 << 28) | tc_flow, plen, next_header, hop_limit) + src + dst + payload


def icmpv6(src, dst, hop_limit, icmp_type, code, body, bad_checksum=False):
    msg = struct.pack("!BBH", icmp_type, code, 0) + body
    c = icmpv6_checksum(src, dst, msg)
    if bad_checksum:
        c ^= 0x0101
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    return ipv6(src, dst, 58, hop_limit, msg)


def auth(nonce, confirmation=0, client_id=b"", auth_value=b""):
    return struct.pack("!HBB", 1, len(client_id), len(auth_value)) + client_id + auth_value + nonce + bytes([confirmation])


def origin(port, address):
    return struct.pack("!HHI", 0, port ^ 0xFFFF, v4(address) ^ 0xFFFFFFFF)


def teredo_hmac(key, nonce, confirmation, origin_raw, packet):
    return hmac.new(key, nonce + bytes([confirmation]) + origin_raw + packet, hashlib.sha1).digest()


def secure_auth(key, client_id, nonce, confirmation, origin_raw, packet):
    value = teredo_hmac(key, nonce, confirmation, origin_raw, packet)
    return auth(nonce, confirmation, client_id, value)


# --- RFC 4380 / 4861 messages ----------------------------------------------------------------

ALL_ROUTERS = v6("ff02::2")
ALL_NODES = v6("ff02::1")
CLIENT_LL = v6("fe80::ffff:ffff:ffff")  # RFC 4380 §5.2.1, C = 0 (Miredo, Windows)
CLIENT_LL_CONE = v6("fe80::8000:ffff:ffff:fffd")
SERVER = "65.54.227.120"
SERVER_LL = v6("fe80::8000:f227:bec9:1c87")  # server_link_local(65.54.227.120), §10.2
CLIENT = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2")  # 192.0.2.45:40000 behind 65.54.227.120
PEER_A = v6("2001:0:cb00:7178:0:efff:3fff:fdfe")  # RFC 6081 §3.1 Fig. 2
PEER_B = v6("2001:0:c633:6476:0:dfff:3fff:fdf5")
NATIVE = v6("2001:db8::1")
NONCE = bytes.fromhex("0102030405060708")
KEY = b"teredo-test-secret"  # fuzz_classify verifies with this key


def rs(src, options=b"", hop_limit=255, code=0):
    return icmpv6(src, ALL_ROUTERS, hop_limit, 133, code, b"\0\0\0\0" + options)


def ra_body(pio=True, mtu=1280, extra=b"", prefix_options=1):
    body = struct.pack("!BBHII", 0, 0, 0, 0, 2000)  # as Miredo: only Retrans Timer set
    for i in range(prefix_options if pio else 0):
        prefix = v6("2001:0:4136:e378::") if i == 0 else v6("2001:db8:%x::" % i)
        body += struct.pack("!BBBBIII", 3, 4, 64, 0x40, 0xFFFFFFFF, 0xFFFFFFFF, 0) + prefix
    if mtu is not None:
        body += struct.pack("!BBHI", 5, 1, 0, mtu)
    return body + extra


def ra(src=SERVER_LL, dst=CLIENT_LL, **kw):
    hop_limit = kw.pop("hop_limit", 255)
    return icmpv6(src, dst, hop_limit, 134, 0, ra_body(**kw))


def echo(src, dst, request=True, ident=0x1234, seq=1, data=b"shipworm", code=0, hop_limit=64,
         bad_checksum=False):
    body = struct.pack("!HH", ident, seq) + data
    return icmpv6(src, dst, hop_limit, 128 if request else 129, code, body, bad_checksum)


def bubble(src, dst, hop_limit=64, payload_length=0):
    return ipv6(src, dst, 59, hop_limit, b"", payload_length)


# --- Ethernet II + IPv4 + UDP frames (fuzz_udp_frame, the AF_XDP path) -----------------------

MAC_SERVER = bytes.fromhex("020000000001")
MAC_ROUTER = bytes.fromhex("020000000002")


def udp_frame(src, dst, payload, ident=0x1234, ttl=64, frag=0, proto=17, options=b"",
              ether_type=0x0800, version=4, ihl=None, total_length=None, udp_length=None,
              udp_checksum=True, bad_ip_checksum=False, bad_udp_checksum=False, padding=b"",
              macs=MAC_SERVER + MAC_ROUTER):
    """src and dst are (address, port); RFC 791 header checksum, RFC 768 checksum."""
    ulen = 8 + len(payload) if udp_length is None else udp_length
    udp = struct.pack("!HHHH", src[1], dst[1], ulen, 0) + payload
    if udp_checksum:
        pseudo = struct.pack("!IIxBH", v4(src[0]), v4(dst[0]), 17, ulen)
        c = (~csum16(pseudo + udp) & 0xFFFF) or 0xFFFF
        udp = udp[:6] + struct.pack("!H", c ^ (0x0101 if bad_udp_checksum else 0)) + udp[8:]
    hlen = 20 + len(options)
    tl = hlen + len(udp) if total_length is None else total_length
    header = struct.pack("!BBHHHBBHII", (version << 4) | (hlen // 4 if ihl is None else ihl), 0, tl,
                         ident, frag, ttl, proto, 0, v4(src[0]), v4(dst[0])) + options
    c = (~csum16(header) & 0xFFFF) ^ (0x0101 if bad_ip_checksum else 0)
    header = header[:10] + struct.pack("!H", c) + header[12:]
    return macs + struct.pack("!H", ether_type) + header + udp + padding


# --- TUN super-packets (fuzz_gso_segment: TSO/USO reads, os/linux/*_segment.h) ---------------

GSO_TCP, GSO_UDP, GSO_COMPLETE = 0, 1, 2  # input byte 0: segmenter, complete_checksum first


def gso_input(mode, segment, packet, csum_start=0, csum_offset=0):
    """The fuzz_gso_segment layout: mode, segment size, csum_start, csum_offset, packet."""
    return struct.pack("!BHHH", mode, segment, csum_start, csum_offset) + packet


def gso_payload(n, salt=1):
    return bytes((k * 7 + salt) & 0xFF for k in range(n))


def tcp6_super(payload, flags=0x18, seq=0x01020304, options=b"", src=NATIVE, dst=CLIENT,
               data_offset=None, next_header=6, version=6, partial=False):
    """IPv6 + TCP as the kernel hands it over with TSO: lengths for the whole; with `partial`
    the checksum field holds the pseudo-header sum (VIRTIO_NET_HDR_F_NEEDS_CSUM)."""
    doff = (20 + len(options)) // 4 if data_offset is None else data_offset
    tcp = struct.pack("!HHIIBBHHH", 443, 50000, seq, 0xA0B0C0D0, doff << 4, flags, 501, 0, 0)
    tcp += options + payload
    if partial:
        tcp = tcp[:16] + struct.pack("!H", csum16(src + dst + struct.pack("!IxxxB", len(tcp), 6))) + tcp[18:]
    packet = ipv6(src, dst, next_header, 64, tcp, tc_flow=0x00A12345)
    return bytes([(version << 4) | (packet[0] & 0x0F)]) + packet[1:]


def udp6_super(payload, src=NATIVE, dst=CLIENT, next_header=17, version=6, partial=False,
               checksum=0xDEAD):
    """IPv6 + UDP as the kernel hands it over with USO: lengths for the whole, a checksum that
    is partial (the pseudo-header sum) or, by default, garbage the segmenter must ignore."""
    length = 8 + len(payload)
    if partial:
        checksum = csum16(src + dst + struct.pack("!IxxxB", length, 17))
    udp = struct.pack("!HHHH", 5201, 49153, length & 0xFFFF, checksum) + payload
    packet = ipv6(src, dst, next_header, 63, udp, payload_length=length & 0xFFFF, tc_flow=0x0A00042)
    return bytes([(version << 4) | (packet[0] & 0x0F)]) + packet[1:]


def udp6_checksum_zero_payload(n):
    """A payload of n bytes (n even, >= 2) whose datagram's checksum computes to 0 (so it is
    sent as FFFF): the last two bytes make the sum over the rest FFFF."""
    head = gso_payload(n - 2)
    base = udp6_super(head + b"\0\0", checksum=0)
    s = csum16(base[8:40] + struct.pack("!IxxxB", 8 + n, 17) + base[40:])
    return head + struct.pack("!H", 0xFFFF - s)


# --- RFC 6081 trailers ----------------------------------------------------------------------

T_NONCE = bytes.fromhex("0104") + bytes.fromhex("a1b2c3d4")
T_ND_SOL = bytes.fromhex("0404" "00" "000000")
T_ND_ADV = bytes.fromhex("0404" "01" "000000")
T_RANDOM_PORT = bytes.fromhex("0502") + struct.pack("!H", 1201)  # §6.4 Echo Test prediction
T_RANDOM_PORT_IANA = bytes.fromhex("0202") + struct.pack("!H", 1201)
T_ALT_1 = bytes.fromhex("0308" "0000" "c0a80100" "0fff")  # 192.168.1.0:4095 (§10.3)
T_ALT_4 = bytes.fromhex("031a" "0000") + b"".join(
    struct.pack("!IH", v4(f"192.168.1.{i}"), 3544 + i) for i in range(4))
T_UNKNOWN_DISCARD = bytes.fromhex("4102abcd")
T_UNKNOWN_SKIP = bytes.fromhex("8102abcd")
T_MALFORMED = bytes.fromhex("0103abcd")  # length 3, only 2 bytes left


def self_test():
    """The vectors of docs/rfc-notes.md §6 that the generator can check about itself."""
    expected_rs = bytes.fromhex(
        "6000000000083afffe800000000000000000ffffffffffffff020000000000000000000000000002"
        "85007d3700000000")
    assert rs(CLIENT_LL) == expected_rs, rs(CLIENT_LL).hex()
    assert rs(v6("fe80::8000:5445:5245:444f"))[42:44] == bytes.fromhex("125d")
    assert rs(CLIENT_LL_CONE)[42:44] == bytes.fromhex("fd38")
    assert auth(NONCE) == bytes.fromhex("00010000010203040506070800")
    assert teredo_hmac(KEY, NONCE, 0, b"", expected_rs).hex() == \
        "105be706cbcdbd3cf457d91d6f65a357a3587d01"
    assert origin(337, "1.2.3.4") == bytes.fromhex("0000FEAEFEFDFCFB")
    assert origin(40000, "192.0.2.45") == bytes.fromhex("000063BF3FFFFDD2")
    assert origin(3544, SERVER) == bytes.fromhex("0000F227BEC91C87")
    assert CLIENT[8:] == bytes.fromhex("800063bf3ffffdd2")
    # tests/unit/udp_frame_test.cpp kVectorShipworm and kVectorChecksumAllOnes
    frame = udp_frame(("192.0.2.45", 40000), (SERVER, 3544), b"shipworm")
    assert frame.hex() == ("020000000001020000000002080045000024123400004011"
                           "81b9c000022d4136e3789c400dd80010a82373686970776f726d"), frame.hex()
    assert udp_frame(("192.0.2.45", 40000), (SERVER, 3544), bytes.fromhex("6ee5"))[40:42] == b"\xff\xff"
    # fuzz_gso_segment: a datagram whose checksum computes to 0, and a partial TCP checksum
    # that complete_checksum's rule (complement of the sum from csum_start) makes right.
    udp = udp6_super(udp6_checksum_zero_payload(64), checksum=0)
    assert csum16(udp[8:40] + struct.pack("!IxxxB", 72, 17) + udp[40:]) == 0xFFFF
    tcp = tcp6_super(gso_payload(301), partial=True)
    done = tcp[:56] + struct.pack("!H", ~csum16(tcp[40:]) & 0xFFFF) + tcp[58:]
    assert csum16(done[8:40] + struct.pack("!IxxxB", len(done) - 40, 6) + done[40:]) == 0xFFFF


def build():
    self_test()
    c = {}

    rs_plain = rs(CLIENT_LL)
    rs_cone = rs(CLIENT_LL_CONE)
    rs_miredo_id = rs(v6("fe80::8000:5445:5245:444f"))
    rs_auth = auth(NONCE) + rs_plain
    rs_auth_cone = auth(NONCE) + rs_cone
    rs_secure = secure_auth(KEY, b"client-1", NONCE, 0, b"", rs_plain) + rs_plain

    ra_pkt = ra()
    mapping = origin(40000, "192.0.2.45")
    ra_miredo = auth(NONCE) + mapping + ra_pkt  # RFC 4380 §5.3.2: nonce echoed, then origin
    ra_secure = secure_auth(KEY, b"client-1", NONCE, 0, mapping, ra_pkt) + mapping + ra_pkt
    ra_origin_only = mapping + ra_pkt

    echo_req = echo(CLIENT, NATIVE)
    echo_rep = echo(NATIVE, CLIENT, request=False)
    bubble_direct = bubble(PEER_A, PEER_B)
    bubble_discovery = bubble(CLIENT, ALL_NODES, hop_limit=1)
    all_trailers = T_NONCE + T_ALT_1 + T_ND_SOL + T_RANDOM_PORT

    c["fuzz_classify"] = {
        "rs_plain": rs_plain,
        "rs_auth": rs_auth,
        "rs_auth_cone": rs_auth_cone,
        "rs_auth_secure": rs_secure,
        "ra_miredo": ra_miredo,
        "ra_secure": ra_secure,
        "ra_origin_only": ra_origin_only,
        "ra_confirmation": auth(NONCE, 1) + mapping + ra_pkt,
        "bubble_direct": bubble_direct,
        "bubble_indirect": origin(4096, "192.0.2.1") + bubble_direct,
        "bubble_discovery_trailers": bubble_discovery + T_NONCE + T_ND_SOL,
        "bubble_all_trailers": bubble_direct + all_trailers,
        "bubble_trailer_discard": bubble_direct + T_UNKNOWN_DISCARD,
        "bubble_trailer_malformed": bubble_direct + T_NONCE + T_MALFORMED,
        "echo_request": echo_req,
        "echo_reply_with_origin": origin(3544, "203.0.113.1") + echo_rep,
        "echo_request_trailers": echo_req + T_NONCE + T_RANDOM_PORT_IANA,
        "trunc_ra_1": ra_miredo[:1],
        "trunc_ra_in_auth": ra_miredo[:12],
        "trunc_ra_in_origin": ra_miredo[:18],
        "trunc_ra_in_ipv6_header": ra_miredo[:13 + 8 + 39],
        "trunc_ra_last_byte": ra_miredo[:-1],
        "trunc_rs_secure_in_value": rs_secure[:20],
        "order_origin_then_auth": mapping + auth(NONCE) + rs_plain,
        "order_two_auth": auth(NONCE) + auth(NONCE) + rs_plain,
        "unknown_encapsulation": bytes.fromhex("4500001c") + bytes(24),
        "bad_version_after_auth": auth(NONCE) + bytes.fromhex("4500") + bytes(38),
    }

    bad_version = bytearray(rs_plain)
    bad_version[0] = 0x40
    c["fuzz_ipv6"] = {
        "rs": rs_plain,
        "ra": ra_pkt,
        "echo": echo_req,
        "bubble": bubble_direct,
        "bubble_trailers": bubble_direct + all_trailers,
        "tc_flow_label": ipv6(CLIENT, NATIVE, 59, 64, b"", tc_flow=0xAB12345),
        "trunc_39": rs_plain[:39],
        "bad_version": bytes(bad_version),
        "length_exceeds": rs_plain[:-1],
    }

    c["fuzz_icmpv6_echo"] = {
        "request": echo_req,
        "reply": echo_rep,
        "request_no_data": echo(CLIENT, NATIVE, data=b""),
        "request_odd_length": echo(CLIENT, NATIVE, data=b"odd"),
        "request_trailers": echo_req + T_NONCE,
        "bad_checksum": echo(CLIENT, NATIVE, bad_checksum=True),
        "code_1": echo(CLIENT, NATIVE, code=1),
        "truncated_icmp": icmpv6(CLIENT, NATIVE, 64, 128, 0, b"\x12\x34"),
        "icmp_header_only": icmpv6(CLIENT, NATIVE, 64, 128, 0, b""),
        "not_echo_rs": rs_plain,
        "not_icmp_bubble": bubble_direct,
    }

    slla = bytes.fromhex("0101") + bytes.fromhex("020000000001")
    c["fuzz_router_solicitation"] = {
        "rs": rs_plain,
        "rs_cone": rs_cone,
        "rs_miredo_ll": rs_miredo_id,
        "rs_slla": rs(CLIENT_LL, slla),
        "rs_unspecified_slla": rs(bytes(16), slla),
        "rs_unspecified": rs(bytes(16)),
        "rs_hop_limit_64": rs(CLIENT_LL, hop_limit=64),
        "rs_code_1": rs(CLIENT_LL, code=1),
        "rs_option_zero_length": rs(CLIENT_LL, bytes.fromhex("0100") + bytes(6)),
        "rs_option_truncated": rs(CLIENT_LL, bytes.fromhex("0102") + bytes(6)),
        "rs_option_one_byte": rs(CLIENT_LL, b"\x01"),
    }

    c["fuzz_router_advertisement"] = {
        "ra_miredo": ra_pkt,
        "ra_no_mtu": ra(mtu=None),
        "ra_no_pio": ra(pio=False),
        "ra_two_pio": ra(prefix_options=2),
        "ra_unknown_option": ra(extra=bytes.fromhex("1f01") + bytes(6)),
        "ra_slla": ra(extra=bytes.fromhex("0101") + bytes.fromhex("020000000001")),
        "ra_two_mtu": ra(extra=struct.pack("!BBHI", 5, 1, 0, 1400)),
        "ra_bad_pio_length": icmpv6(SERVER_LL, CLIENT_LL, 255, 134, 0,
                                    ra_body(pio=False, mtu=None) + bytes.fromhex("0303") + bytes(22)),
        "ra_bad_prefix_length": icmpv6(SERVER_LL, CLIENT_LL, 255, 134, 0,
                                       ra_body(pio=False, mtu=None) +
                                       struct.pack("!BBBBIII", 3, 4, 129, 0x40, 1, 1, 0) + bytes(16)),
        "ra_bad_mtu_length": ra(mtu=None, extra=bytes.fromhex("0502") + bytes(14)),
        "ra_not_link_local": ra(src=v6("2001:db8::53")),
        "ra_hop_limit_64": ra(hop_limit=64),
        "ra_short": icmpv6(SERVER_LL, CLIENT_LL, 255, 134, 0, bytes(8)),
    }

    c["fuzz_auth_header"] = {
        "minimal": auth(NONCE),
        "minimal_then_rs": rs_auth,
        "secure": rs_secure[:13 + 8 + 20],
        "confirmation": auth(NONCE, 1),
        "trunc_12": auth(NONCE)[:12],
        "lengths_exceed": bytes.fromhex("0001ffff") + NONCE + b"\0",
        "wrong_magic": bytes.fromhex("0002") + auth(NONCE)[2:],
    }

    c["fuzz_origin_indication"] = {
        "rfc4380_337_1.2.3.4": origin(337, "1.2.3.4"),
        "40000_192.0.2.45": mapping,
        "3544_server": origin(3544, SERVER),
        "then_ra": ra_origin_only,
        "trunc_7": mapping[:7],
        "wrong_magic": bytes.fromhex("0001") + mapping[2:],
    }

    c["fuzz_trailers"] = {
        "nonce": T_NONCE,
        "nd_solicitation": T_ND_SOL,
        "nd_advertisement": T_ND_ADV,
        "nd_unknown_value": bytes.fromhex("0404" "02" "000000"),
        "random_port": T_RANDOM_PORT,
        "random_port_iana": T_RANDOM_PORT_IANA,
        "alternate_1": T_ALT_1,
        "alternate_4": T_ALT_4,
        "alternate_bad_length": bytes.fromhex("0309") + bytes(9),
        "nonce_bad_length": bytes.fromhex("0103") + bytes(3),
        "unknown_discard": T_UNKNOWN_DISCARD,
        "unknown_skip": T_UNKNOWN_SKIP,
        "malformed_runs_past_end": T_MALFORMED,
        "single_byte": b"\x01",
        "all": all_trailers + T_UNKNOWN_SKIP,
        "duplicates": T_NONCE + bytes.fromhex("0104deadbeef") + T_RANDOM_PORT + T_RANDOM_PORT_IANA,
        "skip_then_discard": T_UNKNOWN_SKIP + T_UNKNOWN_DISCARD,
        "valid_then_malformed": T_NONCE + T_ND_ADV + T_MALFORMED,
        # shipworm's filtering probe (type 0xA5, length 0), and a bad length of it
        "filtering_probe": bytes.fromhex("a500") + T_NONCE,
        "filtering_probe_bad_length": bytes.fromhex("a504" "04020000" "00"),
    }

    addresses = [
        "2001:0000:4136:e378:8000:63bf:3fff:fdd2",  # §10.1, C = 1
        "2001:0:cb00:7178:0:efff:3fff:fdfe",
        "2001:0:c633:6476:0:dfff:3fff:fdf5",
        "2001:0:cb00:7178:0:f000:39cc:9b89",
        "2001:0:cb00:7178:0:efff:39cc:9b89",
        "2001:0:4136:e378:285c:63bf:3fff:fdd2",  # RFC 5991 random flags
        "2001:0:4136:e378:bcff:63bf:3fff:fdd2",  # all C/random bits
        "2001:0:4136:e378:4000:63bf:3fff:fdd2",  # z bit set: not RFC 5991 compliant
    ]
    c["fuzz_teredo_address"] = {f"bin_{i}": v6(a) for i, a in enumerate(addresses)}
    c["fuzz_teredo_address"].update({
        "bin_not_teredo": v6("2002:c000:22d::1"),
        "bin_server_ll": SERVER_LL,
        "text_teredo": addresses[0].encode(),
        "text_canonical": b"2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "text_v4_mapped": b"::ffff:192.0.2.45",
        "text_unspecified": b"::",
        "text_ipv4": b"192.0.2.45",
        "text_bad": b"2001:::1",
        # Regressions: inet_pton stops at a NUL, so these once parsed (fixed in ip_address.cpp).
        "text_ipv4_embedded_nul": b"192.0.2.45\0\0\0\0",
        "text_ipv6_embedded_nul": b"::1\0garbage",
    })

    c["fuzz_bubble"] = {
        "direct": bubble_direct,
        "discovery": bubble_discovery,
        "with_trailers": bubble_direct + all_trailers,
        "with_discard_trailer": bubble_direct + T_UNKNOWN_DISCARD,
        "payload_length_nonzero": bubble(PEER_A, PEER_B, payload_length=8) + bytes(8),
        "not_bubble_echo": echo_req,
    }

    client, server = ("192.0.2.45", 40000), (SERVER, 3544)
    frame_rs = udp_frame(client, server, rs_auth)
    c["fuzz_udp_frame"] = {
        "rs": frame_rs,
        "ra_reply": udp_frame(server, client, ra_miredo, macs=MAC_ROUTER + MAC_SERVER, ident=1),
        "bubble_no_checksum": udp_frame(client, server, bubble_direct, udp_checksum=False),
        "odd_payload": udp_frame(server, client, b"odd", ident=0xBEEF),
        "checksum_all_ones": udp_frame(client, server, bytes.fromhex("6ee5")),
        "empty_payload_padded": udp_frame(client, server, b"", padding=bytes(18)),
        "options_nop": udp_frame(client, server, rs_plain, options=bytes([1]) * 8),
        "dont_fragment_ttl_1": udp_frame(client, server, rs_plain, frag=0x4000, ttl=1),
        "vlan_tagged": frame_rs[:12] + bytes.fromhex("81000064") + frame_rs[12:],
        "qinq": frame_rs[:12] + bytes.fromhex("88a80064") + frame_rs[14:],
        "arp": udp_frame(client, server, rs_plain, ether_type=0x0806),
        "ipv6_ethertype": udp_frame(client, server, rs_plain, ether_type=0x86DD),
        "trunc_ethernet": frame_rs[:13],
        "trunc_ipv4": frame_rs[:33],
        "trunc_udp_last_byte": frame_rs[:-1],
        "version_6": udp_frame(client, server, rs_plain, version=6),
        "ihl_4": udp_frame(client, server, rs_plain, ihl=4),
        "ihl_15_short": udp_frame(client, server, b"", ihl=15),
        "bad_ip_checksum": udp_frame(client, server, rs_plain, bad_ip_checksum=True),
        "total_below_ihl": udp_frame(client, server, rs_plain, total_length=19),
        "total_exceeds_frame": udp_frame(client, server, rs_plain, total_length=20 + 8 + 49),
        "more_fragments": udp_frame(client, server, rs_plain, frag=0x2000),
        "fragment_offset": udp_frame(client, server, rs_plain, frag=0x00B9),
        "tcp": udp_frame(client, server, rs_plain, proto=6),
        "udp_truncated": udp_frame(client, server, rs_plain, total_length=27),
        "udp_length_short": udp_frame(client, server, rs_plain, udp_length=8),
        "udp_length_long": udp_frame(client, server, rs_plain, udp_length=8 + 49),
        "bad_udp_checksum": udp_frame(client, server, rs_plain, bad_udp_checksum=True),
    }

    T, U, NC = GSO_TCP, GSO_UDP, GSO_COMPLETE
    timestamps = bytes.fromhex("0101080a") + struct.pack("!II", 0x11223344, 0x55667788)
    tcp_3 = tcp6_super(gso_payload(2500), flags=0x80 | 0x18 | 0x01)  # CWR ACK PSH FIN
    udp_3 = udp6_super(gso_payload(3000))
    tcp_partial = tcp6_super(gso_payload(301), partial=True)
    udp_partial = udp6_super(gso_payload(99), partial=True)
    zero_sum = udp6_checksum_zero_payload(64)
    c["fuzz_gso_segment"] = {
        "tcp_3_segments_cwr_psh_fin": gso_input(T, 1000, tcp_3),
        "tcp_options_mss_536": gso_input(T, 536, tcp6_super(gso_payload(1200), options=timestamps)),
        "tcp_exact_multiple": gso_input(T, 700, tcp6_super(gso_payload(2100))),
        "tcp_one_segment": gso_input(T, 1440, tcp6_super(gso_payload(100))),
        "tcp_no_payload": gso_input(T, 1440, tcp6_super(b"", flags=0x11)),
        "tcp_seq_wraps": gso_input(T, 100, tcp6_super(gso_payload(350), seq=0xFFFFFF9C)),
        "tcp_mss_1_odd": gso_input(T, 1, tcp6_super(gso_payload(7))),
        "tcp_mss_huge": gso_input(T, 0xFFFF, tcp6_super(gso_payload(2400))),
        "tcp_options_max": gso_input(T, 64, tcp6_super(gso_payload(200), options=bytes([1]) * 40)),
        "tcp_data_offset_4": gso_input(T, 1000, tcp6_super(gso_payload(100), data_offset=4)),
        "tcp_data_offset_beyond": gso_input(T, 1000, tcp6_super(b"", options=bytes(4), data_offset=15)),
        "tcp_59_bytes": gso_input(T, 1000, tcp6_super(b"")[:59]),
        "tcp_mss_0": gso_input(T, 0, tcp_3),
        "tcp_version_4": gso_input(T, 1000, tcp6_super(gso_payload(100), version=4)),
        "tcp_next_header_udp": gso_input(T, 1000, udp_3),
        "tcp_needs_csum": gso_input(T | NC, 1440, tcp_partial, 40, 16),
        "tcp_needs_csum_then_cut": gso_input(T | NC, 100, tcp_partial, 40, 16),
        "udp_3_segments": gso_input(U, 1200, udp_3),
        "udp_exact_multiple": gso_input(U, 500, udp6_super(gso_payload(1500))),
        "udp_one_segment": gso_input(U, 1452, udp6_super(gso_payload(33))),
        "udp_one_payload_byte": gso_input(U, 1452, udp6_super(b"\x42")),
        "udp_segment_1": gso_input(U, 1, udp6_super(gso_payload(9))),
        "udp_segment_huge": gso_input(U, 0xFFFF, udp6_super(gso_payload(2400))),
        "udp_checksum_ffff": gso_input(U, 64, udp6_super(zero_sum)),
        "udp_checksum_ffff_second": gso_input(U, 64, udp6_super(gso_payload(64, 9) + zero_sum)),
        "udp_headers_only": gso_input(U, 1200, udp6_super(b"")),
        "udp_segment_0": gso_input(U, 0, udp_3),
        "udp_version_4": gso_input(U, 1200, udp6_super(gso_payload(100), version=4)),
        "udp_next_header_tcp": gso_input(U, 1200, tcp_3),
        "udp_needs_csum": gso_input(U | NC, 1452, udp_partial, 40, 6),
        "udp_needs_csum_then_cut": gso_input(U | NC, 40, udp_partial, 40, 6),
        "csum_field_last_bytes": gso_input(U | NC, 1452, udp_partial, len(udp_partial) - 2, 0),
        "csum_field_past_end": gso_input(U | NC, 1452, udp_partial, len(udp_partial) - 2, 1),
        "csum_start_at_end": gso_input(T | NC, 1440, tcp_partial, len(tcp_partial), 0),
        "csum_start_past_end": gso_input(T | NC, 1440, tcp_partial, len(tcp_partial) + 1, 0),
        "short_control": bytes([U, 0, 64, 0, 40, 0]),
    }
    return c


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=pathlib.Path, default=CORPUS, help="corpus root")
    args = parser.parse_args()

    corpus = build()
    stale = []
    for target, seeds in sorted(corpus.items()):
        directory = args.out / target
        wanted = {f"{name}.bin": data for name, data in seeds.items()}
        present = {p.name for p in directory.glob("*")} if directory.is_dir() else set()
        if args.check:
            stale += [f"{target}/{n}" for n in sorted(present - wanted.keys())]
            stale += [f"{target}/{n}" for n, d in sorted(wanted.items())
                      if n not in present or (directory / n).read_bytes() != d]
            continue
        directory.mkdir(parents=True, exist_ok=True)
        for name in present - wanted.keys():
            (directory / name).unlink()
        for name, data in wanted.items():
            (directory / name).write_bytes(data)
    if args.check:
        if stale:
            print("make_corpus: out of date:", *stale, sep="\n  ", file=sys.stderr)
            return 1
        print(f"make_corpus: {sum(map(len, corpus.values()))} seeds in {len(corpus)} targets are current")
        return 0
    print(f"make_corpus: wrote {sum(map(len, corpus.values()))} seeds for {len(corpus)} targets to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
