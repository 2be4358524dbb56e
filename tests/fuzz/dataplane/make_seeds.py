#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of fuzz_dataplane into seeds/: frames for the fixture's world
(tools/benchmarks/dp_fixture.h: addresses, MACs, ports) in fuzz_dataplane.c's record format,
with right checksums, and WireGuard transport messages sealed with the keys fuzz_dataplane.c
publishes, so that the decrypt path is reached. Debian's python3 with python3-scapy and
python3-nacl (tools/bootstrap). Run it again after changing the format; the files are
committed."""
import os
import struct

from nacl.bindings import crypto_aead_chacha20poly1305_ietf_encrypt
from scapy.all import (ARP, ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, ICMPv6ND_NS,
                       ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrFragment, Raw, fragment,
                       fragment6)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")

# dp_fixture.h
PUBLIC, EGRESS, INNER = 0, 1, 2
REPLY = 3  # on the egress port, rewritten to answer the last packet it sent (fuzz_dataplane.c)
MAC = {PUBLIC: "02:00:00:00:01:0a", EGRESS: "02:00:00:00:02:0a", INNER: "02:00:00:00:50:01"}
PEER_MAC, LAN_MAC, GATEWAY_MAC = "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:04"
PUBLIC4, PUBLIC6, EGRESS4, EGRESS6 = "10.0.1.10", "fd00:1::10", "10.0.2.10", "fd00:2::10"
PEER4, LAN4, LAN6, TUNNEL4, TUNNEL6 = "10.0.1.2", "192.168.50.2", "fd00:50::2", "10.77.0.2", \
    "fd00:77::2"
LISTEN_PORT, PEER_PORT, MTU = 41641, 51820, 1420
# fuzz_dataplane.c: the peer's send keys for our two keypairs
CURRENT = (0x01000001, bytes([0xA5]) * 32)
NEXT = (0x01000002, bytes([0xC3]) * 32)
# record control bits
BURST_END = 0x80


def record(port, frame, control=0):
    frame = bytes(frame)
    return struct.pack("!BH", port | control, len(frame)) + frame


def transport(keypair, counter, inner):
    """A type-4 message: the inner packet padded to 16 bytes (at most MTU), sealed."""
    index, key = keypair
    inner = bytes(inner)
    padded = inner + bytes(min(-len(inner) % 16, max(MTU - len(inner), 0)))
    nonce = bytes(4) + struct.pack("<Q", counter)
    sealed = crypto_aead_chacha20poly1305_ietf_encrypt(padded, None, nonce, key)
    return struct.pack("<IIQ", 4, index, counter) + sealed


def from_peer(payload):
    """A UDP datagram from the peer's endpoint to the listen port, on the public port."""
    return (Ether(src=PEER_MAC, dst=MAC[PUBLIC]) / IP(src=PEER4, dst=PUBLIC4) /
            UDP(sport=PEER_PORT, dport=LISTEN_PORT, chksum=0) / Raw(bytes(payload)))


def tunnel(counter, inner, keypair=CURRENT):
    return record(PUBLIC, from_peer(transport(keypair, counter, inner)))


def seeds():
    s = {}
    s["arp_requests"] = (
        record(PUBLIC, Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc=PEER_MAC, psrc=PEER4, pdst=PUBLIC4)) +
        record(EGRESS, Ether(src=GATEWAY_MAC, dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc=GATEWAY_MAC, psrc="10.0.2.1", pdst=EGRESS4)) +
        # proxy ARP: a LAN host asks for a peer's tunnel address
        record(INNER, Ether(src=LAN_MAC, dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc=LAN_MAC, psrc=LAN4, pdst=TUNNEL4)))
    s["arp_reply"] = record(PUBLIC, Ether(src=PEER_MAC, dst=MAC[PUBLIC]) /
                            ARP(op=2, hwsrc=PEER_MAC, psrc=PEER4, hwdst=MAC[PUBLIC],
                                pdst=PUBLIC4))
    s["icmp_echo"] = (
        record(PUBLIC, Ether(src=PEER_MAC, dst=MAC[PUBLIC]) / IP(src=PEER4, dst=PUBLIC4) /
               ICMP(type=8, id=0x1234, seq=1) / Raw(b"exitgate" * 7)) +
        record(EGRESS, Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) /
               IP(src="198.51.100.7", dst=EGRESS4) / ICMP(type=8, id=7, seq=1)))
    s["nd_solicit"] = (
        record(PUBLIC, Ether(src=PEER_MAC, dst="33:33:ff:00:00:10") /
               IPv6(src="fd00:1::2", dst="ff02::1:ff00:10", hlim=255) /
               ICMPv6ND_NS(tgt=PUBLIC6) / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)) +
        record(PUBLIC, Ether(src=PEER_MAC, dst=MAC[PUBLIC]) /
               IPv6(src="fd00:1::2", dst=PUBLIC6) / ICMPv6EchoRequest(id=9, seq=1)))
    s["handshakes"] = (
        record(PUBLIC, from_peer(struct.pack("<II", 1, 0x11111111) + bytes(range(140)))) +
        record(PUBLIC, from_peer(struct.pack("<III", 2, 0x22222222, 0x02000001) +
                                 bytes(range(80)))) +
        record(PUBLIC, from_peer(struct.pack("<II", 3, 0x01000001) + bytes(range(56)))))
    stun_request = bytes.fromhex("000100002112a442b7e7a701bc34d686fa87dfae")
    disco_ping = b"TS\xf0\x9f\x92\xac" + bytes(32) + bytes(24) + bytes(range(50))
    s["stun_disco"] = record(PUBLIC, from_peer(stun_request)) + \
        record(PUBLIC, from_peer(disco_ping))
    # the decrypt path: to the LAN (inner port), to the internet (exit, NAT, egress port),
    # TTL running out, too big with DF, too big without (fragments), IPv6 to the internet
    udp = UDP(sport=40000, dport=53) / Raw(b"q" * 32)
    s["wg_data_inner"] = tunnel(0, IP(src=TUNNEL4, dst=LAN4) / udp) + \
        tunnel(1, IPv6(src=TUNNEL6, dst=LAN6) / udp)
    s["wg_data_exit"] = (
        tunnel(0, IP(src=TUNNEL4, dst="198.51.100.7") / udp) +
        tunnel(1, IP(src=TUNNEL4, dst="198.51.100.7") / TCP(sport=40001, dport=443, flags="S",
                                                          options=[("MSS", 1460)])) +
        tunnel(2, IP(src=TUNNEL4, dst="198.51.100.7") / ICMP(type=8, id=3, seq=1)) +
        tunnel(3, IPv6(src=TUNNEL6, dst="2001:db8::7") / udp))
    s["wg_data_ttl"] = tunnel(0, IP(src=TUNNEL4, dst="198.51.100.7", ttl=1) / udp)
    big = UDP(sport=40002, dport=9) / Raw(bytes(1350))
    s["wg_data_big"] = tunnel(0, IP(src=TUNNEL4, dst="198.51.100.7", flags="DF") / big) + \
        tunnel(1, IP(src=TUNNEL4, dst="198.51.100.7") / big)
    # a keepalive, then data on the responder's keypair (its first: the confirmation notice)
    s["wg_keepalive_next"] = tunnel(0, b"") + \
        tunnel(0, IP(src=TUNNEL4, dst=LAN4) / udp, keypair=NEXT)
    # the source is not the peer's allowed IP; and a replay of the same counter
    s["wg_data_spoofed"] = tunnel(0, IP(src="10.77.0.9", dst=LAN4) / udp) + \
        tunnel(0, IP(src="10.77.0.9", dst=LAN4) / udp)
    # the encrypt path: a LAN host to the peer's tunnel addresses
    s["inner_to_peer"] = (
        record(INNER, Ether(src=LAN_MAC, dst=MAC[INNER]) / IP(src=LAN4, dst=TUNNEL4) / udp) +
        record(INNER, Ether(src=LAN_MAC, dst=MAC[INNER]) / IPv6(src=LAN6, dst=TUNNEL6) / udp))
    # fragments for the exit address (reassembly, then NAT), IPv4 and IPv6
    whole4 = IP(src="198.51.100.7", dst=EGRESS4, id=0x4242) / UDP(sport=53, dport=30000) / \
        Raw(bytes(range(256)) * 6)
    s["ipv4_fragments"] = b"".join(
        record(EGRESS, Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) / f)
        for f in fragment(whole4, fragsize=1000))
    whole6 = IPv6(src="2001:db8::7", dst=EGRESS6) / IPv6ExtHdrFragment(id=0x4243) / \
        UDP(sport=53, dport=30000) / Raw(bytes(range(256)) * 6)
    s["ipv6_fragments"] = b"".join(
        record(EGRESS, Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) / f)
        for f in fragment6(whole6, 1000))
    # return traffic for the exit address without a session (to the kernel), in one burst
    s["egress_return"] = (
        record(EGRESS, Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) /
               IP(src="198.51.100.7", dst=EGRESS4) / UDP(sport=53, dport=30001) / Raw(b"r"),
               BURST_END) +
        record(EGRESS, Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) /
               IPv6(src="2001:db8::7", dst=EGRESS6) / UDP(sport=53, dport=30001) / Raw(b"r")))
    # return traffic that meets its NAT session: each reply answers the packet before it
    remote = Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) / IP(src="192.0.2.1", dst="192.0.2.2")
    remote6 = Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) / IPv6(src="2001:db8::1",
                                                             dst="2001:db8::2")
    out = IP(src=TUNNEL4, dst="198.51.100.7")
    s["exit_replies"] = (
        tunnel(0, out / udp) + record(REPLY, remote / UDP() / Raw(b"answer")) +
        tunnel(1, out / TCP(sport=40001, dport=443, flags="S", options=[("MSS", 1460)])) +
        record(REPLY, remote / TCP(flags="SA", options=[("MSS", 1460)])) +
        tunnel(2, out / ICMP(type=8, id=3, seq=1)) +
        record(REPLY, remote / ICMP(type=0, seq=1) / Raw(b"pong")) +
        tunnel(3, IPv6(src=TUNNEL6, dst="2001:db8::7") / udp) +
        record(REPLY, remote6 / UDP() / Raw(b"answer")))
    # replies the tunnel cannot take as they are: fragmented (IPv4 without DF), refused with
    # "too big" (DF, and IPv6), TTL running out
    s["exit_replies_big"] = (
        tunnel(0, out / udp) + record(REPLY, remote / UDP() / Raw(bytes(1450))) +
        tunnel(1, out / udp) +
        record(REPLY, Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) / IP(flags="DF") / UDP() /
               Raw(bytes(1450))) +
        tunnel(2, IPv6(src=TUNNEL6, dst="2001:db8::7") / udp) +
        record(REPLY, remote6 / UDP() / Raw(bytes(1420))) +
        tunnel(3, out / udp) +
        record(REPLY, Ether(src=GATEWAY_MAC, dst=MAC[EGRESS]) / IP(ttl=1) / UDP()))
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print("%s: %d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
