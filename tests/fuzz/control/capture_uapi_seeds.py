#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the UAPI seeds of fuzz_uapi into seeds_uapi/: the requests the installed `wg`
(wireguard-tools) really sends, captured on a fake UAPI socket that answers like a userspace
WireGuard (a canned get reply with one peer, errno=0 to every set), so that `wg show`, `wg set`,
`wg setconf`, `wg addconf` and `wg syncconf` run to the end. Needs root (the socket directory
/var/run/wireguard). Keys are fixed test keys, so a second run writes the same files unless `wg`
changed. Run it again after upgrading wireguard-tools; the files are committed."""
import base64
import os
import socket
import subprocess
import sys
import tempfile
import threading

SOCKET_DIR = "/var/run/wireguard"
IFNAME = "egfcap%d" % (os.getpid() % 100000)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds_uapi")


def key(fill):
    return base64.b64encode(bytes([fill]) * 31 + bytes([fill & 0x7F])).decode()


def pubkey(private):
    return subprocess.run(["wg", "pubkey"], input=private + "\n", capture_output=True,
                          text=True, check=True).stdout.strip()


def hexkey(b64):
    return base64.b64decode(b64).hex()


PRIVATE = key(0x48)
PEER1, PEER2, PEER3 = pubkey(key(0x11)), pubkey(key(0x22)), pubkey(key(0x33))
PSK = key(0x5A)

# what the fake device answers to get=1: one peer, so that syncconf has something to remove
GET_REPLY = (
    "private_key=%s\nlisten_port=41641\nfwmark=0\n"
    "public_key=%s\npreshared_key=%s\nprotocol_version=1\nendpoint=198.51.100.7:41641\n"
    "last_handshake_time_sec=1700000000\nlast_handshake_time_nsec=5\n"
    "tx_bytes=1000\nrx_bytes=2000\npersistent_keepalive_interval=25\n"
    "allowed_ip=100.64.0.2/32\nallowed_ip=fd7a:115c:a1e0::2/128\nerrno=0\n\n"
    % (hexkey(PRIVATE), hexkey(PEER3), hexkey(PSK))).encode()


class FakeDevice:
    def __init__(self, path):
        self.path = path
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                    end = data.find(b"\n\n")
                    if end < 0:
                        continue
                    request, data = data[:end + 2], data[end + 2:]
                    self.requests.append(request)
                    conn.sendall(GET_REPLY if request == b"get=1\n\n" else b"errno=0\n\n")

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def main():
    if os.geteuid() != 0:
        sys.exit("capture_uapi_seeds: needs root (%s)" % SOCKET_DIR)
    os.makedirs(SOCKET_DIR, exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    files = {"private": PRIVATE, "psk": PSK}
    for name, value in files.items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write(value + "\n")
    conf = os.path.join(tmp, "wg.conf")
    with open(conf, "w") as f:
        f.write("[Interface]\nPrivateKey = %s\nListenPort = 41641\nFwMark = 0x1234\n\n"
                "[Peer]\nPublicKey = %s\nPresharedKey = %s\nEndpoint = 198.51.100.7:41641\n"
                "AllowedIPs = 100.64.0.2/32, fd7a:115c:a1e0::2/128\nPersistentKeepalive = 25\n\n"
                "[Peer]\nPublicKey = %s\nEndpoint = [2001:db8::7]:51820\n"
                "AllowedIPs = 0.0.0.0/0, ::/0\n" % (PRIVATE, PEER1, PSK, PEER2))
    private, psk = os.path.join(tmp, "private"), os.path.join(tmp, "psk")
    commands = {
        "show": ["show", IFNAME],
        "set_interface": ["set", IFNAME, "listen-port", "51820", "private-key", private,
                          "fwmark", "0x1234"],
        "set_fwmark_off": ["set", IFNAME, "fwmark", "off"],
        "set_peer_full": ["set", IFNAME, "peer", PEER1, "preshared-key", psk, "endpoint",
                          "198.51.100.7:41641", "persistent-keepalive", "25", "allowed-ips",
                          "100.64.0.2/32,fd7a:115c:a1e0::2/128"],
        "set_peer_v6_endpoint": ["set", IFNAME, "peer", PEER2, "endpoint", "[2001:db8::7]:51820",
                                 "allowed-ips", "0.0.0.0/0,::/0", "persistent-keepalive", "off"],
        "set_peer_no_allowed_ips": ["set", IFNAME, "peer", PEER1, "allowed-ips", ""],
        "set_peer_remove": ["set", IFNAME, "peer", PEER1, "remove"],
        "set_two_peers": ["set", IFNAME, "peer", PEER1, "allowed-ips", "10.0.0.0/8", "peer",
                          PEER2, "remove"],
        "setconf": ["setconf", IFNAME, conf],
        "addconf": ["addconf", IFNAME, conf],
        "syncconf": ["syncconf", IFNAME, conf],
    }
    device = FakeDevice(os.path.join(SOCKET_DIR, IFNAME + ".sock"))
    try:
        for name, args in commands.items():
            before = len(device.requests)
            subprocess.run(["wg"] + args, check=True, stdout=subprocess.DEVNULL)
            captured = b"".join(device.requests[before:])
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(captured)
            print("%s: %d bytes" % (name, len(captured)))
    finally:
        device.close()
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
