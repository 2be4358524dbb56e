#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the tailnet fuzz targets from the headscale MapResponses the lab
captured (tests/unit/tailnet/vectors): seeds_netmap/ (sessions of messages separated by NUL, as
fuzz_netmap.c reads them) and seeds_ts2021/ (fuzz_ts2021.c's format: a flags byte, a read-size
byte, then the plaintext stream the client decrypts: the early payload and length-prefixed map
messages, raw or zstd; also raw wire bytes and HTTP heads). Debian's python3 with
python3-zstandard (tools/bootstrap). Run it again after changing a format; the files are
committed."""
import json
import os
import struct

import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "..", "unit", "tailnet", "vectors")
SESSION = ["headscale_initial.json", "headscale_control_time.json",
           "headscale_peers_changed.json", "headscale_patch_online.json",
           "headscale_exit_filter.json", "headscale_peers_removed.json"]
LITE = ["headscale_exit_node_peer.json", "headscale_lite_endpoints.json",
        "headscale_lite_disco.json"]
EXPIRY = ["headscale_peer_expired.json", "headscale_patch_key_expiry.json",
          "headscale_self_expired.json"]


def vector(name):
    with open(os.path.join(VECTORS, name), "rb") as f:
        return f.read().strip()


def write(directory, name, data):
    os.makedirs(os.path.join(HERE, directory), exist_ok=True)
    with open(os.path.join(HERE, directory, name), "wb") as f:
        f.write(data)


def early_payload():
    body = json.dumps({"nodeKeyChallenge": "chalpub:" + "00" * 31 + "01"}).encode()
    return b"\xff\xff\xffTS" + struct.pack(">I", len(body)) + body


def frames(messages, zstd):
    out = b""
    for m in messages:
        if zstd:
            m = zstandard.ZstdCompressor(write_content_size=True).compress(m)
        out += struct.pack("<I", len(m)) + m
    return out


DELTAS = [
    b'{"Peers":[{"ID":1,"Key":"nodekey:' + b"1" * 64 + b'","Addresses":["100.64.0.1/32"],'
    b'"DERP":"127.3.3.40:900","Online":true}]}',
    b'{"PeersRemoved":[1],"PeersChanged":[{"ID":1,"Key":"nodekey:' + b"2" * 64 + b'",'
    b'"AllowedIPs":[],"Endpoints":["[fe80::1%eth0]:1","10.0.0.1:2"]}],'
    b'"PeerSeenChange":{"1":true},"OnlineChange":{"1":false}}',
    b'{"PeersChangedPatch":[{"NodeID":1,"DERPRegion":901,"Endpoints":[],"Key":"nodekey:'
    + b"3" * 64 + b'","DiscoKey":"discokey:' + b"4" * 64 + b'","LastSeen":'
    b'"2026-01-01T00:00:00Z","KeyExpiry":"2027-01-01T00:00:00+01:00"}]}',
    b'{"DERPMap":{"Regions":{"901":{"RegionCode":"x","Nodes":[{"Name":"x1","STUNPort":-1}]},'
    b'"902":null},"HomeParams":{"RegionScore":{"901":0.5}}}}',
    b'{"DERPMap":{},"PacketFilter":[{"SrcIPs":["*","10.0.0.1-10.0.0.9","cap:c"],"DstPorts":'
    b'[{"IP":"fd00::/64","Ports":{"First":1,"Last":2}}],"IPProto":[6,300]}],'
    b'"PacketFilters":{"*":null,"x":[{"SrcIPs":["1.2.3.4"],"CapGrant":[{"Dsts":["1.2.3.4/32"],'
    b'"Caps":["a"],"CapMap":{"b":[{"k":1}]}}]}],"y":null}}',
    b'{"KeepAlive":true}',
]


def main():
    session = [vector(n) for n in SESSION]
    lite = [vector(n) for n in LITE]
    write("seeds_netmap", "headscale_session", b"\0".join(session))
    write("seeds_netmap", "headscale_lite", b"\0".join(lite))
    write("seeds_netmap", "headscale_expiry", b"\0".join(vector(n) for n in EXPIRY))
    write("seeds_netmap", "deltas", b"\0".join(DELTAS))
    stream = early_payload() + frames(session, False)
    write("seeds_ts2021", "plain_session", bytes([0, 40]) + stream)
    write("seeds_ts2021", "zstd_session", bytes([1, 3]) + early_payload() + frames(session, True))
    write("seeds_ts2021", "no_early_payload", bytes([0, 255]) + frames(DELTAS, False))
    write("seeds_ts2021", "flipped_bit", bytes([4 | (3 << 5), 7]) + stream[:2000])
    write("seeds_ts2021", "raw_records", bytes([2, 1]) + b"\x04\x00\x10" + b"\x00" * 16 +
          b"\x04\x0f\xfe" + b"\x01" * 40 + b"\x02\x00\x10")
    write("seeds_ts2021", "http_101", bytes([2, 9]) +
          b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: tailscale-control-protocol\r\n"
          b"Connection: upgrade\r\n\r\n\x02\x00\x30" + b"\x05" * 48)
    write("seeds_ts2021", "http_chunked", bytes([10, 9]) +
          b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    write("seeds_ts2021", "url", bytes([2, 0]) + b"https://[fd00::1]:8443")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
