#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A hostile gateway for the portmap lab: answers on UDP 5351 and SSDP like a port-mapping
gateway, but with garbage. Usage: portmap_hostile.py LAN_ADDRESS HTTP_PORT

NAT-PMP (version 0 requests): each public-address request gets a truncated answer, a wrong
version, a request echoed (no reply bit), a mapping answer (wrong opcode), a short success and an
over-long one, then one valid answer, so the client goes on to ask for a mapping; each mapping
request gets answers for another internal port and an over-long one, never a valid one.
PCP (version 2): each ANNOUNCE gets a truncated answer, a length not a multiple of 4, a request
echoed, version 3, a malformed option and a MAP answer (wrong opcode), then a valid ANNOUNCE
answer; each MAP gets an answer for another nonce, one for another port, and a "success" with the
all-zeros external address.
SSDP: every M-SEARCH gets one answer whose LOCATION is another host, and one whose LOCATION is
this gateway's HTTP_PORT, where the "description" is not XML of an IGD. With a third argument
"tarpit", HTTP connections are accepted and never answered (a UPnP client's calls then block
until its own timeouts).
"""
import select
import socket
import struct
import sys
import time

lan, http_port = sys.argv[1], int(sys.argv[2])
tarpit = len(sys.argv) > 3 and sys.argv[3] == "tarpit"
held = []
start = time.monotonic()


def epoch():
    return int(time.monotonic() - start) + 1000


def natpmp_answers(req):
    op = req[1]
    if op == 0:
        ok = struct.pack("!BBHI4s", 0, 0x80, 0, epoch(), socket.inet_aton("2.0.0.1"))
        return [b"\x00", b"\x01" + ok[1:], b"\x00\x00" + ok[2:], b"\x00\x81" + ok[2:] + b"\0" * 4,
                ok[:8], ok + b"\0" * 4, ok]
    if op == 1 and len(req) >= 12:
        iport, eport = struct.unpack("!HH", req[4:8])
        other = struct.pack("!BBHIHHI", 0, 0x81, 0, epoch(), iport ^ 0x5555, eport, 7200)
        return [other, other[:12] + other[12:] + b"\0\0\0\0"]
    return []


def pcp_answers(req):
    if len(req) < 24:
        return []
    op = req[1] & 0x7f
    head = lambda opcode, result, lifetime: struct.pack("!BBBBII12s", 2, 0x80 | opcode, 0,
                                                        result, lifetime, epoch(), b"\0" * 12)
    if op == 0:
        ok = head(0, 0, 0)
        bad_option = ok + struct.pack("!BBH", 1, 0, 100)
        return [ok[:3], ok + b"\0\0", b"\x02\x00" + ok[2:], b"\x03" + ok[1:], bad_option,
                head(1, 0, 7200) + b"\0" * 36, ok]
    if op == 1 and len(req) >= 60:
        nonce, proto, iport, eport = req[24:36], req[36], req[40:42], req[42:44]
        mapped = b"\0" * 10 + b"\xff\xff" + socket.inet_aton("2.0.0.1")
        data = lambda n, p: n + bytes([proto]) + b"\0\0\0" + p + eport + mapped
        wrong_nonce = head(1, 0, 7200) + data(bytes(b ^ 0xff for b in nonce), iport)
        wrong_port = head(1, 0, 7200) + data(nonce, bytes([iport[0] ^ 0x55, iport[1]]))
        zero = head(1, 0, 7200) + nonce + bytes([proto]) + b"\0\0\0" + iport + eport + \
            b"\0" * 10 + b"\xff\xff" + b"\0" * 4
        return [wrong_nonce, wrong_port, zero]
    return []


pxp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
pxp.bind((lan, 5351))
ssdp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ssdp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ssdp.bind(("0.0.0.0", 1900))
ssdp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                socket.inet_aton("239.255.255.250") + socket.inet_aton(lan))
http = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
http.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
http.bind((lan, http_port))
http.listen(8)
print("hostile gateway ready", flush=True)

while True:
    ready, _, _ = select.select([pxp, ssdp, http], [], [])
    for s in ready:
        if s is pxp:
            req, peer = pxp.recvfrom(2048)
            answers = natpmp_answers(req) if req[:1] == b"\x00" else \
                pcp_answers(req) if req[:1] == b"\x02" else []
            for a in answers:
                pxp.sendto(a, peer)
            print(f"5351 from {peer}: {len(req)} bytes, {len(answers)} answers", flush=True)
        elif s is ssdp:
            req, peer = ssdp.recvfrom(2048)
            if not req.startswith(b"M-SEARCH"):
                continue
            for location in ("http://10.0.0.99:80/rootDesc.xml",
                             f"http://{lan}:{http_port}/rootDesc.xml"):
                ssdp.sendto((
                    "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n"
                    "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                    "USN: uuid:bad::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                    f"LOCATION: {location}\r\nEXT:\r\n\r\n").encode(), peer)
            print(f"ssdp from {peer}", flush=True)
        else:
            conn, peer = http.accept()
            if tarpit:
                held.append(conn)
                print(f"http from {peer}: held", flush=True)
                continue
            conn.settimeout(2)
            try:
                conn.recv(4096)
                body = b"<root><device><deviceType>not-an-igd&&&</device></root\x00\xff"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " +
                             str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            except OSError:
                pass
            conn.close()
            print(f"http from {peer}", flush=True)
