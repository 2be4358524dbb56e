#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A hostile ts2021 control server for the tailnet lab: it takes headscale's place on the same
address and answers the C client with one kind of trouble (--mode), so that the lab can check
that each closes the connection, is counted, crashes nothing and leaves the netmap alone.

It speaks the real protocol as far as each mode needs: GET /key, the POST /ts2021 upgrade, the
Noise IK responder (from the primitives: BLAKE2s, HMAC-BLAKE2s HKDF, X25519, ChaCha20-Poly1305
with the big-endian nonce), records, the early payload and HTTP/2 (python3-h2) up to the map
poll, and then breaks the step the mode names.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import socketserver
import struct
import sys
import threading

from nacl.bindings import (crypto_aead_chacha20poly1305_ietf_decrypt,
                           crypto_aead_chacha20poly1305_ietf_encrypt, crypto_scalarmult,
                           crypto_scalarmult_base)

MODES = {
    "bad-key": "/key answers a body that is neither JSON nor a key",
    "not-101": "/ts2021 answers 200 instead of switching protocols",
    "garbage-after-upgrade": "101, then bytes that are no Noise message",
    "bad-noise": "101, then a Noise response whose tag is random",
    "noise-error": "101, then a Noise error message",
    "bad-record": "a real handshake, then a record that does not decrypt",
    "garbage-h2": "a real handshake and early payload, then garbage instead of HTTP/2",
    "bad-json": "register accepted, then a map message that is not JSON",
    "hostile-netmap": "a map message of valid JSON with a malformed node key",
    "bad-zstd": "a map message that is not a zstd frame although zstd was asked for",
    "huge-length": "a map message announcing 4 GiB",
    "too-many-peers": "a map message with more peers than the client's limit",
    "stall": "accepts the connection and never answers",
    "silent": "a keepalive on the map poll, then nothing (the client's watchdog)",
}

PROTOCOL_NAME = b"Noise_IK_25519_ChaChaPoly_BLAKE2s"


def blake2s(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def hkdf(ck, ikm, n=2):
    prk = hmac.new(ck, ikm, hashlib.blake2s).digest()
    out, t = [], b""
    for i in range(1, n + 1):
        t = hmac.new(prk, t + bytes([i]), hashlib.blake2s).digest()
        out.append(t)
    return out


def nonce(counter):
    return b"\x00" * 4 + struct.pack(">Q", counter)


def seal(key, counter, plaintext, ad=None):
    return crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, nonce(counter), key)


def open_(key, counter, ciphertext, ad=None):
    return crypto_aead_chacha20poly1305_ietf_decrypt(ciphertext, ad, nonce(counter), key)


class Responder:
    """controlbase.Server for one initiation."""

    def __init__(self, private, initiation):
        public = crypto_scalarmult_base(private)
        if len(initiation) != 101 or initiation[2] != 1:
            raise ValueError("not an initiation")
        version = struct.unpack(">H", initiation[:2])[0]
        e, sealed, tag = initiation[5:37], initiation[37:85], initiation[85:101]
        h = blake2s(PROTOCOL_NAME)
        ck = h
        h = blake2s(h, b"Tailscale Control Protocol v%d" % version)
        h = blake2s(h, public)
        h = blake2s(h, e)
        ck, k = hkdf(ck, crypto_scalarmult(private, e))
        machine = open_(k, 0, sealed, h)
        h = blake2s(h, sealed)
        ck, k = hkdf(ck, crypto_scalarmult(private, machine))
        open_(k, 0, tag, h)
        h = blake2s(h, tag)
        ephemeral = os.urandom(32)
        re = crypto_scalarmult_base(ephemeral)
        h = blake2s(h, re)
        ck, _ = hkdf(ck, crypto_scalarmult(ephemeral, e))
        ck, k = hkdf(ck, crypto_scalarmult(ephemeral, machine))
        tag2 = seal(k, 0, b"", h)
        k1, k2 = hkdf(ck, b"")
        self.response = b"\x02\x00\x30" + re + tag2
        self.tx, self.rx = k2, k1
        self.tx_n = self.rx_n = 0
        self.inbuf = b""

    def record(self, plaintext):
        out = b""
        for i in range(0, max(len(plaintext), 1), 4077):
            chunk = plaintext[i:i + 4077]
            out += b"\x04" + struct.pack(">H", len(chunk) + 16) + seal(self.tx, self.tx_n, chunk)
            self.tx_n += 1
        return out

    def feed(self, data):
        """Ciphertext in, plaintext out."""
        self.inbuf += data
        out = b""
        while len(self.inbuf) >= 3:
            n = 3 + struct.unpack(">H", self.inbuf[1:3])[0]
            if len(self.inbuf) < n:
                break
            out += open_(self.rx, self.rx_n, self.inbuf[3:n])
            self.rx_n += 1
            self.inbuf = self.inbuf[n:]
        return out


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def header(head, name):
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def early_payload():
    body = json.dumps({"nodeKeyChallenge": "chalpub:" + "00" * 31 + "01"}).encode()
    return b"\xff\xff\xffTS" + struct.pack(">I", len(body)) + body


def map_message(payload, zstd):
    if zstd:
        import zstandard
        payload = zstandard.ZstdCompressor(write_content_size=True).compress(payload)
    return struct.pack("<I", len(payload)) + payload


def hostile_map(mode, zstd, peers_limit):
    if mode == "bad-json":
        return map_message(b'{"Peers": [{"ID": 1, "Key": ', zstd)
    if mode == "hostile-netmap":
        return map_message(json.dumps({"Peers": [{"ID": 7, "Key": "nodekey:zz"}]}).encode(),
                           zstd)
    if mode == "bad-zstd":
        return struct.pack("<I", 64) + os.urandom(64)
    if mode == "huge-length":
        return struct.pack("<I", 0xffffffff) + b"x" * 1024
    if mode == "silent":
        return map_message(b'{"KeepAlive":true}', zstd)
    if mode == "too-many-peers":
        peers = [{"ID": 1000 + i, "Key": "nodekey:%064x" % (i + 1),
                  "Addresses": ["100.100.%d.%d/32" % (i // 256, i % 256)]}
                 for i in range(peers_limit + 1)]
        return map_message(json.dumps({"Peers": peers}).encode(), zstd)
    raise ValueError(mode)


def serve_h2(sock, noise, mode, peers_limit):
    import h2.config
    import h2.connection
    import h2.events
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    sock.sendall(noise.record(early_payload() + conn.data_to_send()))
    bodies = {}
    while True:
        data = sock.recv(65536)
        if not data:
            return
        for event in conn.receive_data(noise.feed(data)):
            if isinstance(event, h2.events.RequestReceived):
                bodies[event.stream_id] = [dict(event.headers).get(b":path", b""), b""]
            elif isinstance(event, h2.events.DataReceived):
                bodies[event.stream_id][1] += event.data
                conn.acknowledge_received_data(len(event.data), event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                path, body = bodies.pop(event.stream_id)
                conn.send_headers(event.stream_id, [(":status", "200"),
                                                    ("content-type", "application/json")])
                if path == b"/machine/register":
                    answer = json.dumps({"User": {"ID": 1, "LoginName": "hostile"},
                                         "Login": {}, "MachineAuthorized": True}).encode()
                    conn.send_data(event.stream_id, answer, end_stream=True)
                else:
                    request = json.loads(body)
                    zstd = request.get("Compress") == "zstd"
                    conn.send_data(event.stream_id, hostile_map(mode, zstd, peers_limit))
        out = conn.data_to_send()
        if out:
            sock.sendall(noise.record(out))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.serve()
        except Exception as e:  # a client that is not ours (tailscaled holds another key)
            self.server.log("connection from %s closed: %r" % (self.client_address[0], e))

    def serve(self):
        server = self.server
        sock = self.request
        sock.settimeout(None if server.mode == "stall" else 30)
        head, rest = read_head(sock)
        if head is None:
            return
        line = head.split("\r\n")[0]
        server.log("request %s" % line)
        if server.mode == "stall":
            while sock.recv(4096):
                pass
            return
        if line.startswith("GET /key"):
            if server.mode == "bad-key":
                body = b"<html>no key here</html>"
            else:
                body = json.dumps({"legacyPublicKey": "mkey:" + "00" * 32,
                                   "publicKey": "mkey:" + server.public.hex()}).encode()
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            return
        if not line.startswith("POST /ts2021"):
            sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        if server.mode == "not-101":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno")
            return
        switching = (b"HTTP/1.1 101 Switching Protocols\r\n"
                     b"Upgrade: tailscale-control-protocol\r\nConnection: upgrade\r\n\r\n")
        if server.mode == "garbage-after-upgrade":
            sock.sendall(switching + b"\x17garbage" * 64)
            return
        if server.mode == "bad-noise":
            sock.sendall(switching + b"\x02\x00\x30" + os.urandom(48))
            return
        if server.mode == "noise-error":
            text = b"go away"
            sock.sendall(switching + b"\x03" + struct.pack(">H", len(text)) + text)
            return
        initiation = base64.b64decode(header(head, "X-Tailscale-Handshake"))
        noise = Responder(server.private, initiation)
        if server.mode == "bad-record":
            record = bytearray(noise.record(early_payload()))
            record[-1] ^= 0xff
            sock.sendall(switching + noise.response + bytes(record))
            sock.recv(65536)
            return
        if server.mode == "garbage-h2":
            sock.sendall(switching + noise.response + noise.record(early_payload()) +
                         noise.record(b"this is not HTTP/2" * 8))
            sock.recv(65536)
            return
        sock.sendall(switching + noise.response)
        if rest:
            noise.feed(rest)
        serve_h2(sock, noise, server.mode, server.peers_limit)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def log(self, text):
        with self.lock:
            print("hostile %s: %s" % (self.mode, text), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--listen", required=True, help="address:port")
    ap.add_argument("--mode", required=True, choices=sorted(MODES))
    ap.add_argument("--peers-limit", type=int, default=100)
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    server = Server((host, int(port)), Handler)
    server.lock = threading.Lock()
    server.mode = args.mode
    server.peers_limit = args.peers_limit
    server.private = os.urandom(32)
    server.public = crypto_scalarmult_base(server.private)
    server.log("listening on %s (%s)" % (args.listen, MODES[args.mode]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
