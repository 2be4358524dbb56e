#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile clients of exitgated's metrics listener, each beside a real scrape.

usage: metrics_hostile.py HOST PORT CASE
  slowloris   a request head sent a byte a second: the listener closes it after its request
              timeout (5 s), and a scrape made meanwhile is answered
  garbage     random bytes: a 400 and the connection closed; the next scrape answered
  oversized   a head of 9000 bytes without its end: 431 and closed
  flood       40 idle connections (more than the listener's 16): a scrape made after them is
              answered, the idle ones are closed (evicted), none of them got data
Prints what happened; exits 0 when the case behaved, 1 otherwise. Every connection goes to
HOST (a lab namespace), every loop is bounded in count and time.
"""
import os
import socket
import sys
import time

SCRAPE = b"GET /metrics HTTP/1.1\r\nHost: lab\r\nAccept: text/plain\r\n\r\n"


def connect(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(10)
    return s


def read_all(s, limit_s=10):
    data = b""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def scrape(host, port):
    s = connect(host, port)
    s.sendall(SCRAPE)
    reply = read_all(s)
    s.close()
    ok = reply.startswith(b"HTTP/1.1 200 OK") and b"exitgate_build_info" in reply
    return ok, len(reply)


def closed_by_server(s, within_s):
    """True when the server closes s (EOF or reset) within within_s seconds."""
    s.settimeout(within_s)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def case_slowloris(host, port):
    s = connect(host, port)
    start = time.monotonic()
    closed = False
    for byte in SCRAPE[:40]:  # never the whole head
        try:
            s.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        if closed_by_server(s, 1.0):
            closed = True
            break
        if time.monotonic() - start > 12:
            break
    took = time.monotonic() - start
    ok_scrape, size = scrape(host, port)
    print(f"slowloris: closed by the server {closed} after {took:.1f} s; scrape meanwhile "
          f"{'answered' if ok_scrape else 'FAILED'} ({size} bytes)")
    return closed and 4.0 <= took <= 8.0 and ok_scrape


def case_garbage(host, port):
    s = connect(host, port)
    s.sendall(os.urandom(512) + b"\r\n\r\n")
    reply = read_all(s, 5)
    s.close()
    ok_scrape, size = scrape(host, port)
    status = reply.split(b"\r\n", 1)[0].decode(errors="replace")
    print(f"garbage: reply '{status}'; next scrape {'answered' if ok_scrape else 'FAILED'}")
    return status == "HTTP/1.1 400 Bad Request" and ok_scrape


def case_oversized(host, port):
    s = connect(host, port)
    head = b"GET /metrics HTTP/1.1\r\nX-Padding: " + b"a" * 9000
    try:
        s.sendall(head)
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply = read_all(s, 5)
    s.close()
    ok_scrape, _ = scrape(host, port)
    status = reply.split(b"\r\n", 1)[0].decode(errors="replace")
    print(f"oversized: reply '{status}'; next scrape {'answered' if ok_scrape else 'FAILED'}")
    return status == "HTTP/1.1 431 Request Header Fields Too Large" and ok_scrape


def case_flood(host, port):
    idle = [connect(host, port) for _ in range(40)]
    time.sleep(0.5)
    ok_scrape, size = scrape(host, port)
    closed = 0
    got_data = 0
    for s in idle:
        s.settimeout(0.2)
        try:
            data = s.recv(1)
            if data == b"":
                closed += 1
            else:
                got_data += 1
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass
        s.close()
    print(f"flood: scrape after 40 idle connections {'answered' if ok_scrape else 'FAILED'} "
          f"({size} bytes); {closed} idle ones closed by the server, {got_data} got data")
    # the listener holds 16: the 40 idle ones and the scrape made at least 25 evictions
    return ok_scrape and closed >= 25 and got_data == 0


def main():
    host, port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cases = {"slowloris": case_slowloris, "garbage": case_garbage,
             "oversized": case_oversized, "flood": case_flood}
    return 0 if cases[case](host, port) else 1


if __name__ == "__main__":
    sys.exit(main())
