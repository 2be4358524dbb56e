#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A UDP server on the lab's internet that answers each datagram with SIZE bytes, DF set.

usage: udp_big_reply.py ADDRESS PORT SIZE
Used to check path MTU discovery through the exit node: a reply bigger than the tunnel MTU
must come back as "fragmentation needed" from the node, and the server's kernel then learns the
smaller path MTU (visible in `ip route get`).
"""
import socket
import sys

IP_MTU_DISCOVER, IP_PMTUDISC_DO = 10, 2
address, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
sock.bind((address, port))
while True:
    data, peer = sock.recvfrom(2048)
    try:
        sock.sendto(b"x" * size, peer)
    except OSError:
        # EMSGSIZE once the kernel learnt the smaller path MTU: answer within it
        sock.sendto(b"small", peer)
