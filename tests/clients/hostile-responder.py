#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hostile-responder: a responder taken over, against autowg-helper's socket.

What awg-call raw cannot do (it sends a packet, then waits for its answer):
  nonreader SOCK N      N MSG_REFRESH back to back, never reading a reply
  bigpkt SOCK SIZE      one MSG_REGISTER-typed packet of SIZE bytes
  fds SOCK N K          N MSG_REFRESH, each carrying K descriptors (SCM_RIGHTS)
  churn SOCK N          N connections closed at once, hello unread
  burst SOCK N          N garbage packets back to back on one connection
  random SOCK N SEED    N connections, each one packet of random bytes and length
Prints one line saying what the helper did. Exit 0 unless the tool itself failed.
"""
import errno
import os
import random
import socket
import struct
import sys
import time

MSG_REGISTER, MSG_REFRESH = 2, 4
REFRESH = struct.pack("<II", MSG_REFRESH, 0)
WAIT = 3.0  # seconds to see an answer or a close


def connect(path, read_hello=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    if read_hello:
        s.settimeout(WAIT)
        _, anc, _, _ = s.recvmsg(64, socket.CMSG_SPACE(4 * 4))
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                for fd in struct.unpack("%di" % (len(data) // 4), data[: len(data) // 4 * 4]):
                    os.close(fd)
    return s


def outcome(s):
    """After a packet: 'reply N bytes', 'closed' or 'no answer'."""
    s.settimeout(WAIT)
    try:
        got = s.recv(65536)
    except socket.timeout:
        return "no answer"
    except OSError as e:
        return "closed (%s)" % errno.errorcode.get(e.errno, e.errno)
    return "reply %d bytes" % len(got) if got else "closed"


def nonreader(path, n):
    s = connect(path)
    s.setblocking(False)
    sent, deadline = 0, time.time() + 10
    while sent < n and time.time() < deadline:
        try:
            s.send(REFRESH)
            sent += 1
        except BlockingIOError:
            time.sleep(0.01)
        except OSError as e:
            print("nonreader: dropped after %d requests sent (%s)" % (sent, errno.errorcode.get(e.errno)))
            return
    # Still connected? The helper closes a reader that does not read; the
    # close shows once the queued replies are drained.
    s.setblocking(True)
    s.settimeout(WAIT)
    replies = 0
    try:
        while s.recv(64):
            replies += 1
        print("nonreader: dropped after %d requests sent, %d replies queued" % (sent, replies))
    except socket.timeout:
        print("nonreader: NOT dropped: %d requests sent, %d replies read, still open" % (sent, replies))


def bigpkt(path, size):
    s = connect(path)
    s.send(struct.pack("<II", MSG_REGISTER, 0) + b"A" * (size - 8))
    print("bigpkt %d: %s" % (size, outcome(s)))


def fds(path, n, k):
    s = connect(path)
    null = [os.open("/dev/null", os.O_RDONLY) for _ in range(k)]
    res = {}
    for _ in range(n):
        try:
            s.sendmsg([REFRESH], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("%di" % k, *null))])
        except OSError as e:
            res["send failed " + errno.errorcode.get(e.errno, "?")] = 1
            break
        o = outcome(s)
        res[o] = res.get(o, 0) + 1
        if o != "reply 8 bytes":
            break
    print("fds: " + ", ".join("%s x%d" % kv for kv in sorted(res.items())))


def churn(path, n):
    ok = 0
    for _ in range(n):
        try:
            connect(path, read_hello=False).close()
            ok += 1
        except OSError:
            pass
    print("churn: %d of %d connected and closed" % (ok, n))


def burst(path, n):
    s = connect(path)
    sent = 0
    s.setblocking(False)
    for i in range(n):
        try:
            s.send(struct.pack("<II", 0xFFFFFFFF - i, 0xFFFFFFFF))
            sent += 1
        except OSError:
            break
    s.setblocking(True)
    print("burst: %d sent, then %s" % (sent, outcome(s)))


def rand(path, n, seed):
    r = random.Random(seed)
    res = {}
    for _ in range(n):
        s = connect(path)
        size = r.choice([0, 1, 3, 4, 7, 8, 9, 295, 296, 297, r.randrange(1, 4096)])
        pkt = bytes(r.randrange(256) for _ in range(size))
        if size >= 4 and r.random() < 0.5:  # a known type with random content
            pkt = struct.pack("<I", r.choice([MSG_REGISTER, MSG_REFRESH])) + pkt[4:]
        s.send(pkt)
        o = outcome(s).split(" (")[0]
        res[o] = res.get(o, 0) + 1
        s.close()
    print("random: " + ", ".join("%s x%d" % kv for kv in sorted(res.items())))


def main(a):
    cmds = {"nonreader": (nonreader, 1), "bigpkt": (bigpkt, 1), "fds": (fds, 2),
            "churn": (churn, 1), "burst": (burst, 1), "random": (rand, 2)}
    if len(a) < 3 or a[2] not in cmds or len(a) != 3 + cmds[a[2]][1]:
        sys.stderr.write(__doc__)
        return 2
    cmds[a[2]][0](a[1], *[int(x) for x in a[3:]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
