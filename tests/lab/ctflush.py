#!/usr/bin/python3
"""Flush the conntrack table of the current network namespace (stdlib only).

Equivalent of `conntrack -F` (the conntrack tool is not installed): one ctnetlink
IPCTNL_MSG_CT_DELETE request without a tuple attribute, which the kernel treats as
"delete every entry" for the given family. Run it with `ip netns exec NS`.
"""
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_DELETE = 2
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLMSG_ERROR = 2


def flush(family=socket.AF_INET):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    try:
        s.bind((0, 0))
        nfgen = struct.pack("!BBH", family, 0, 0)          # nfgenmsg: family, version, res_id
        msg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE
        hdr = struct.pack("=IHHII", 16 + len(nfgen), msg_type, NLM_F_REQUEST | NLM_F_ACK, 1, 0)
        s.send(hdr + nfgen)
        data = s.recv(65536)
        length, typ = struct.unpack_from("=IH", data)
        if typ == NLMSG_ERROR:
            (err,) = struct.unpack_from("=i", data, 16)
            if err != 0:
                raise OSError(-err, "ctnetlink flush failed")
    finally:
        s.close()


if __name__ == "__main__":
    try:
        flush()
    except OSError as e:
        sys.exit(f"ctflush: {e}")
