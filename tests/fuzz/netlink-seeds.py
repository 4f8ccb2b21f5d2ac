#!/usr/bin/env python3
# autowg: not a test. Writes the seeds of tests/fuzz/corpus/fuzz_netlink/:
# WG_CMD_GET_DEVICE replies laid out as linux/drivers/net/wireguard/
# netlink.c writes them (device attributes in the first message, peers
# nested, a peer whose allowed IPs do not fit continued in the next message
# with its key only, NLMSG_DONE last), plus the errors and acks a reply can
# be. Each seed is fuzz_netlink's input: a flags byte (1: a dump), then
# datagrams, each a big-endian u16 length and its bytes.
#   tests/fuzz/netlink-seeds.py tests/fuzz/corpus/fuzz_netlink
import os
import struct
import sys

FAMILY, SEQ, PORT = 0x1C, 1, 4242  # fuzz_netlink.c's WG_FUZZ_*
NLM_F_MULTI, NLM_F_DUMP_INTR = 2, 16
NLMSG_ERROR, NLMSG_DONE = 2, 3
NESTED = 0x8000
CMD_GET, CMD_SET = 0, 1
# linux/wireguard.h
D_IFINDEX, D_IFNAME, D_PRIVATE_KEY, D_PUBLIC_KEY, D_FLAGS, D_LISTEN_PORT, D_FWMARK, D_PEERS = range(1, 9)
P_PUBLIC_KEY, P_PRESHARED_KEY, P_FLAGS, P_ENDPOINT, P_KEEPALIVE, P_HANDSHAKE, P_RX, P_TX, P_IPS, P_VERSION = range(1, 11)
A_FAMILY, A_IPADDR, A_CIDR = 1, 2, 3
AF_INET, AF_INET6 = 2, 10


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


def nest(t, items):
    return attr(NESTED | t, b"".join(items))


def msg(typ, payload, flags=NLM_F_MULTI, seq=SEQ, port=PORT):
    return struct.pack("<IHHII", 16 + len(payload), typ, flags, seq, port) + payload


def genl(attrs, cmd=CMD_GET, flags=NLM_F_MULTI):
    return msg(FAMILY, struct.pack("<BBH", cmd, 1, 0) + b"".join(attrs), flags)


def done(err=0):
    return msg(NLMSG_DONE, struct.pack("<i", err))


def error(err, flags=0):
    return msg(NLMSG_ERROR, struct.pack("<i", err) + msg(FAMILY, b"", 0)[:16], flags)


def ip4(a, cidr):
    return nest(0, [attr(A_FAMILY, struct.pack("<H", AF_INET)), attr(A_IPADDR, bytes(a)), attr(A_CIDR, bytes([cidr]))])


def ip6(a, cidr):
    return nest(0, [attr(A_FAMILY, struct.pack("<H", AF_INET6)), attr(A_IPADDR, bytes(a)), attr(A_CIDR, bytes([cidr]))])


def pool(host):
    return bytes.fromhex("fde325fb7f6c00010000000000000000")[:14] + struct.pack(">H", host)


def peer(key, ips, counters=True):
    items = [attr(P_PUBLIC_KEY, key)]
    if counters:
        items += [attr(P_PRESHARED_KEY, b"\0" * 32),
                  attr(P_HANDSHAKE, struct.pack("<qq", 1764000000, 123)),
                  attr(P_RX, struct.pack("<Q", 4096)), attr(P_TX, struct.pack("<Q", 8192)),
                  attr(P_KEEPALIVE, struct.pack("<H", 25)), attr(P_VERSION, struct.pack("<I", 1)),
                  attr(P_ENDPOINT, struct.pack("<HH4s8x", AF_INET, 51820, bytes([192, 0, 2, 7])))]
    return nest(0, items + [nest(P_IPS, ips)])


def device(peers):
    return [attr(D_IFINDEX, struct.pack("<I", 7)), attr(D_IFNAME, b"wg0\0"),
            attr(D_PRIVATE_KEY, bytes(range(1, 33))), attr(D_PUBLIC_KEY, bytes(range(33, 65))),
            attr(D_LISTEN_PORT, struct.pack("<H", 51820)), attr(D_FWMARK, struct.pack("<I", 0)),
            nest(D_PEERS, peers)]


def seed(dump, *dgrams):
    return bytes([1 if dump else 0]) + b"".join(struct.pack(">H", len(d)) + d for d in dgrams)


K = [bytes([i]) * 32 for i in range(1, 6)]
one = peer(K[0], [ip4([10, 0, 0, 1], 32), ip6(bytes.fromhex("fd000001" + "00" * 12), 64)])
two = peer(K[1], [ip6(pool(0x1234), 128)])
seeds = {
    "dump-two-peers": seed(True, genl(device([one, two])) + done()),
    "dump-done-apart": seed(True, genl(device([one])), genl([nest(D_PEERS, [two])]), done()),
    # a peer continued in the next message, its key repeated
    "dump-split-peer": seed(True, genl(device([peer(K[2], [ip6(pool(h), 128) for h in range(1, 40)])])),
                            genl([nest(D_PEERS, [peer(K[2], [ip6(pool(h), 128) for h in range(40, 80)], False),
                                                 two])]) + done()),
    "dump-empty": seed(True, genl(device([])) + done()),
    "dump-no-key": seed(True, genl([attr(D_IFINDEX, struct.pack("<I", 7)), attr(D_IFNAME, b"wg0\0"),
                                    attr(D_LISTEN_PORT, struct.pack("<H", 0))]) + done()),
    "dump-interrupted": seed(True, msg(FAMILY, struct.pack("<BBH", CMD_GET, 1, 0) + b"".join(device([one])),
                                       NLM_F_MULTI | NLM_F_DUMP_INTR) + done()),
    "dump-other-seq-first": seed(True, msg(FAMILY, b"\0" * 4, NLM_F_MULTI, seq=7) + genl(device([two])) + done()),
    "dump-enodev": seed(True, error(-19)),
    "dump-done-error": seed(True, genl(device([one])) + done(-4)),
    "set-ack": seed(False, error(0)),
    "set-einval": seed(False, error(-22)),
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(data)
