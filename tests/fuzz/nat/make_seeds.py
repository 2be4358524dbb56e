#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_nat into corpus/: short conversations (outbound packets, the
replies and ICMP errors that belong to them) in fuzz_nat.c's record format, with correct
checksums, for the fuzz target's configuration (worker 0 of 2, ports 1024-1087: inner port 1040
is kept). Run it again after changing the format; the files are committed."""
import ipaddress
import os
import struct

INNER4, EGRESS4, REMOTE4, ROUTER4 = "100.64.0.2", "203.0.113.1", "198.51.100.7", "192.0.2.254"
INNER6, EGRESS6, REMOTE6, ROUTER6 = ("fd7a:115c:a1e0::2", "2001:db8:ffff::1", "2001:db8:1234::7",
                                     "2001:db8:9999::fe")
OUT, IN = 0, 1


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip(src, dst, proto, l4):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    cks = {6: 16, 17: 6, 1: 2, 58: 2}.get(proto)
    if cks is not None:
        l4 = l4[:cks] + b"\0\0" + l4[cks + 2:]
        if proto == 1:
            c = csum(l4)
        elif s.version == 4:
            c = csum(s.packed + d.packed + struct.pack("!BBH", 0, proto, len(l4)) + l4)
        else:
            c = csum(s.packed + d.packed + struct.pack("!IxxxB", len(l4), proto) + l4)
        if proto == 17 and c == 0:
            c = 0xFFFF
        l4 = l4[:cks] + struct.pack("!H", c) + l4[cks + 2:]
    if s.version == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0x4242, 0, 64, proto, 0,
                        s.packed, d.packed)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return h + l4
    return struct.pack("!IHBB16s16s", 0x60012345, len(l4), proto, 64, s.packed, d.packed) + l4


def with_hop_by_hop(pkt):
    """An IPv6 packet with an empty hop-by-hop options header (PadN) in front of its payload."""
    plen, nh = struct.unpack("!HB", pkt[4:7])
    hbh = bytes([nh, 0, 1, 4, 0, 0, 0, 0])
    return pkt[:4] + struct.pack("!HB", plen + 8, 0) + pkt[7:40] + hbh + pkt[40:]


def udp(src, sport, dst, dport, n=16):
    payload = bytes((i * 7 + 3) & 0xFF for i in range(n))
    return ip(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + n, 0) + payload)


def tcp(src, sport, dst, dport, flags, n=0):
    payload = bytes((i * 7 + 3) & 0xFF for i in range(n))
    return ip(src, dst, 6, struct.pack("!HHIIBBHHH", sport, dport, 0x11112222, 0, 0x50, flags,
                                       64240, 0, 0) + payload)


def icmp(src, dst, typ, code, rest, body):
    proto = 58 if ":" in src else 1
    return ip(src, dst, proto, struct.pack("!BBHI", typ, code, 0, rest) + body)


def record(direction, pkt, seconds=0, burst=False):
    control = direction | (2 if (pkt[0] >> 4) == 6 else 0) | (8 if burst else 0) | (seconds << 4)
    return struct.pack("!BH", control, len(pkt)) + pkt


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    seeds = {}
    out4 = udp(INNER4, 1040, REMOTE4, 53)
    sent4 = udp(EGRESS4, 1040, REMOTE4, 53)
    seeds["udp4_out_in"] = record(OUT, out4) + record(IN, udp(REMOTE4, 53, EGRESS4, 1040))
    seeds["tcp6_handshake"] = (record(OUT, tcp(INNER6, 1040, REMOTE6, 443, 0x02)) +
                               record(IN, tcp(REMOTE6, 443, EGRESS6, 1040, 0x12)) +
                               record(OUT, tcp(INNER6, 1040, REMOTE6, 443, 0x10, 20), 1) +
                               record(IN, tcp(REMOTE6, 443, EGRESS6, 1040, 0x04), 2))
    echo = icmp(INNER4, REMOTE4, 8, 0, 1040 << 16 | 1, b"ping" * 4)
    echo_sent = icmp(EGRESS4, REMOTE4, 8, 0, 1040 << 16 | 1, b"ping" * 4)
    seeds["echo4_traceroute"] = (record(OUT, echo) +
                                 record(IN, icmp(ROUTER4, EGRESS4, 11, 0, 0, echo_sent)) +
                                 record(IN, icmp(REMOTE4, EGRESS4, 0, 0, 1040 << 16 | 1,
                                                 b"ping" * 4)))
    sent6 = udp(EGRESS6, 1040, REMOTE6, 33434)
    seeds["udp6_unreachable"] = (record(OUT, udp(INNER6, 1040, REMOTE6, 33434)) +
                                 record(IN, icmp(REMOTE6, EGRESS6, 1, 4, 0, sent6)) +
                                 record(IN, icmp(ROUTER6, EGRESS6, 2, 0, 1280, sent6[:48])))
    seeds["udp4_frag_needed"] = (record(OUT, out4) +
                                 record(IN, icmp(ROUTER4, EGRESS4, 3, 4, 1280, sent4[:28])))
    delivered = udp(REMOTE4, 53, INNER4, 1040)
    seeds["udp4_peer_error"] = (record(OUT, out4) + record(IN, udp(REMOTE4, 53, EGRESS4, 1040)) +
                                record(OUT, icmp(INNER4, REMOTE4, 3, 3, 0, delivered)))
    seeds["udp6_hop_by_hop"] = record(OUT, with_hop_by_hop(udp(INNER6, 1041, REMOTE6, 53)))
    burst = b""
    for port in range(1040, 1046):
        burst += record(OUT, udp(INNER4, port, REMOTE4, 53), burst=True)
    burst += record(OUT, tcp(INNER6, 1046, REMOTE6, 443, 0x02), burst=True)
    for port in range(1040, 1046):
        burst += record(IN, udp(REMOTE4, 53, EGRESS4, port), burst=True)
    burst += record(IN, icmp(ROUTER4, EGRESS4, 3, 4, 1280, sent4[:28]), burst=True)
    seeds["bursts"] = burst
    for name, data in seeds.items():
        with open(os.path.join(here, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
