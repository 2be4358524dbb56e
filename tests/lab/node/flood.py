#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Garbage for exitgated's listen port, from a client namespace.

usage: flood.py HOST PORT REPLAY_PCAP COUNT
Sends COUNT datagrams of each kind and prints "kind count" lines:
  random      random bytes whose first word is never a WireGuard type
  truncated   a type-1 message cut to 100 bytes
  oversized   a type-1 message of 1000 bytes
  bad_mac1    a 148-byte initiation whose mac1 is garbage
  bad_index   a type-4 message for a receiver index nobody has
  replayed    a captured type-4 message sent again (the first UDP payload in REPLAY_PCAP,
              a classic pcap of Ethernet frames as tcpdump -w writes them)
"""
import os
import socket
import struct
import time
import sys

host, port, replay_pcap, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def first_udp_payload(path):
    data = open(path, "rb").read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    incl_len = struct.unpack(endian + "I", data[24 + 8:24 + 12])[0]
    frame = data[24 + 16:24 + 16 + incl_len]
    ihl = (frame[14] & 0x0F) * 4
    udp = frame[14 + ihl:]
    udp_len = struct.unpack(">H", udp[4:6])[0]
    return udp[8:udp_len]


replayed = first_udp_payload(replay_pcap)


def random_payload():
    while True:
        b = bytearray(os.urandom(64))
        b[0] = 5 + b[0] % 200  # never 1..4: not WireGuard; never STUN/disco magic
        if b[0] & 0xC0 == 0 and b[4:8] == b"\x21\x12\xa4\x42":
            continue
        return bytes(b)


kinds = {
    "random": random_payload,
    "truncated": lambda: struct.pack("<I", 1) + os.urandom(96),
    "oversized": lambda: struct.pack("<I", 1) + os.urandom(996),
    "bad_mac1": lambda: struct.pack("<I", 1) + os.urandom(144),
    "bad_index": lambda: struct.pack("<IIQ", 4, 0x7EADBEEF, 1) + os.urandom(48),
    "replayed": lambda: replayed,
}
# Paced: the test counts every datagram by its drop reason, so none may be lost before the data
# plane sees it (an af_packet ring overflows when a sanitizer build's worker shares a busy CPU).
for kind, make in kinds.items():
    for i in range(count):
        sock.sendto(make(), (host, port))
        if i % 16 == 15:
            time.sleep(0.002)
    print(kind, count)
