#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw-socket DERP clients for the hostile-input lab: each case misbehaves in one way and checks
that the server closes that connection (and only that one) when it should.

usage: derp_hostile.py HOST PORT CASE [ARGS]
Cases print "ok CASE ..." and exit 0, or print why and exit 1."""
import json
import os
import resource
import socket
import ssl
import struct
import sys
import time

import nacl.public
import nacl.utils

MAGIC = b"DERP\xf0\x9f\x94\x91"
T_SERVER_KEY, T_CLIENT_INFO, T_SERVER_INFO, T_SEND = 1, 2, 3, 4

host, port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
args = sys.argv[4:]


def tls_connect(rcvbuf=0):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        # before connecting, so the window offered is small from the first segment
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.settimeout(10)
    raw.connect((host, port))
    # Without it each login waits for a delayed ACK.
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return ctx.wrap_socket(raw, server_hostname="derp.test")


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_frame(s):
    t, n = struct.unpack(">BI", read_exact(s, 5))
    return t, read_exact(s, n)


def upgrade(s):
    s.sendall(b"GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: DERP\r\n"
              b"Connection: Upgrade\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += read_exact(s, 1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError("no 101: %r" % head[:40])
    t, payload = read_frame(s)
    if t != T_SERVER_KEY or payload[:8] != MAGIC:
        raise RuntimeError("no ServerKey")
    return nacl.public.PublicKey(payload[8:40])


def client_info(priv, server_pub, text):
    box = nacl.public.Box(priv, server_pub)
    sealed = box.encrypt(text)  # nonce (24) + tag + ciphertext, the DERP layout
    payload = bytes(priv.public_key) + bytes(sealed)
    return struct.pack(">BI", T_CLIENT_INFO, len(payload)) + payload


def login(s):
    server_pub = upgrade(s)
    priv = nacl.public.PrivateKey.generate()
    s.sendall(client_info(priv, server_pub, b'{"version":2,"CanAckPings":true}'))
    t, payload = read_frame(s)
    if t != T_SERVER_INFO:
        raise RuntimeError("no ServerInfo")
    info = json.loads(nacl.public.Box(priv, server_pub).decrypt(payload))
    if info.get("version") != 2:
        raise RuntimeError("ServerInfo version %r" % info)
    return priv


def expect_closed(s, within, at_least=0.0):
    """The server must close the connection within `within` seconds, not before at_least."""
    start = time.monotonic()
    s.settimeout(within + 1)
    try:
        while True:
            if not s.recv(65536):
                break
    except (ConnectionResetError, ssl.SSLError, OSError):
        pass
    elapsed = time.monotonic() - start
    if elapsed > within:
        raise RuntimeError("not closed within %.1fs" % within)
    if elapsed < at_least:
        raise RuntimeError("closed after %.2fs, before the %.2fs deadline" % (elapsed, at_least))
    return elapsed


def main():
    timeout = float(args[0]) if args and case in ("halfopen", "stall-login",
                                                  "stall-midframe") else 1.0
    if case == "garbage":
        raw = socket.create_connection((host, port), timeout=10)
        raw.sendall(b"GET /derp HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(512))
        expect_closed(raw, 3)
    elif case == "halfopen":
        # TCP open, nothing sent: closed at the login-step deadline.
        raw = socket.create_connection((host, port), timeout=10)
        e = expect_closed(raw, timeout + 2, timeout * 0.8)
        print("ok halfopen closed after %.2fs" % e)
        return
    elif case == "stall-login":
        s = tls_connect()
        upgrade(s)
        e = expect_closed(s, timeout + 2, timeout * 0.8)
        print("ok stall-login closed after %.2fs" % e)
        return
    elif case == "stall-midframe":
        s = tls_connect()
        upgrade(s)
        s.sendall(struct.pack(">BI", T_CLIENT_INFO, 200) + b"\x00" * 50)
        e = expect_closed(s, timeout + 2, timeout * 0.8)
        print("ok stall-midframe closed after %.2fs" % e)
        return
    elif case == "clientinfo-huge":
        s = tls_connect()
        upgrade(s)
        s.sendall(struct.pack(">BI", T_CLIENT_INFO, 256 * 1024 + 1) + b"\x00" * 1000)
        expect_closed(s, 3)
    elif case == "clientinfo-badbox":
        s = tls_connect()
        upgrade(s)
        payload = os.urandom(32 + 24 + 16 + 40)
        s.sendall(struct.pack(">BI", T_CLIENT_INFO, len(payload)) + payload)
        expect_closed(s, 3)
    elif case == "clientinfo-badjson":
        s = tls_connect()
        server_pub = upgrade(s)
        priv = nacl.public.PrivateKey.generate()
        s.sendall(client_info(priv, server_pub, b'{"version":2,"version":2}'))
        expect_closed(s, 3)
    elif case == "clientinfo-short":
        s = tls_connect()
        upgrade(s)
        s.sendall(struct.pack(">BI", T_CLIENT_INFO, 0))
        expect_closed(s, 3)
    elif case in ("len0", "lenffffffff", "len64k"):
        s = tls_connect()
        login(s)
        length = {"len0": 0, "lenffffffff": 0xFFFFFFFF, "len64k": 65536 + 64 + 1}[case]
        s.sendall(struct.pack(">BI", T_SEND, length) + b"\x00" * min(length, 2000))
        expect_closed(s, 3)
    elif case == "neverread":
        # Logs in, writes its public key to the file ARGS[0], then reads nothing for ARGS[1]
        # seconds. The lab checks the server's counters: its queue dropped, its stalled
        # writes closed it.
        # A small receive buffer: the server's writes stall after a few kilobytes, not after
        # the megabytes that loopback's buffers would otherwise take.
        s = tls_connect(rcvbuf=4096)
        priv = login(s)
        with open(args[0] + ".tmp", "w") as f:
            f.write(bytes(priv.public_key).hex())
        os.rename(args[0] + ".tmp", args[0])
        time.sleep(float(args[1]))
    elif case == "idle":
        # ARGS: count, ready-file. Logs in count clients and holds them until stdin closes.
        count = int(args[0])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        conns = []
        for _ in range(count):
            s = tls_connect()
            login(s)
            conns.append(s)
        with open(args[1], "w") as f:
            f.write("%d\n" % len(conns))
        sys.stdin.read()
        print("ok idle held %d clients" % len(conns))
        return
    else:
        print("unknown case", case)
        sys.exit(2)
    print("ok", case)


try:
    main()
except Exception as e:  # noqa: BLE001 - any failure is the test's failure
    print("FAIL %s: %s" % (case, e))
    sys.exit(1)
