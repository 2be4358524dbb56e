#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Open COUNT distinct UDP flows (one datagram each, different source ports) to HOST:PORT,
from SOURCE when given.

usage: udp_flows.py HOST PORT COUNT [SOURCE]
"""
import socket
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
source = sys.argv[4] if len(sys.argv) > 4 else ""
socks = []
for i in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.sendto(b"flow", (host, port))
    socks.append(s)
    if len(socks) > 200:
        socks.pop(0).close()
print(count)
