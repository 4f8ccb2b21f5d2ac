#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""slow-client: HTTPS clients that send their body one byte at a time.

    slow-client.py ADDR HOST CERT KEY CLIENTS INTERVAL SECONDS PATH...

CLIENTS connections to ADDR:443 with SNI and Host HOST and the client
certificate CERT/KEY, each a POST to the next PATH (round robin) with
Content-Length 44 whose body then comes one byte every INTERVAL seconds: a
slowloris on the request body. Prints "slow: N sending" once every
connection has sent its headers, and at the end one line per connection:
the status it got, or that it was still sending. Stops after SECONDS, so a
test that forgets it is not held forever.
"""
import socket
import ssl
import sys
import threading
import time

BODY_LEN = 44  # a WireGuard key in base64


def one(i, addr, host, ctx, path, interval, deadline, ready, out):
    try:
        raw = socket.create_connection((addr, 443), timeout=10)
        s = ctx.wrap_socket(raw, server_hostname=host)
        s.sendall(("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
                   "Content-Length: %d\r\n\r\n" % (path, host, BODY_LEN)).encode())
    except OSError as e:
        out[i] = "could not connect: %s" % e
        ready.release()
        return
    ready.release()
    sent = 0
    s.settimeout(interval)
    while sent < BODY_LEN and time.monotonic() < deadline:
        try:
            data = s.recv(4096)  # an answer before the body is done
            out[i] = "answered %s after %d of %d bytes" % (
                data.split(b"\r\n")[0].decode(errors="replace") or "nothing (closed)", sent, BODY_LEN)
            s.close()
            return
        except socket.timeout:
            pass
        except OSError as e:
            out[i] = "closed after %d of %d bytes: %s" % (sent, BODY_LEN, e)
            return
        try:
            s.sendall(b"A")
            sent += 1
        except OSError as e:
            out[i] = "closed after %d of %d bytes: %s" % (sent, BODY_LEN, e)
            return
    out[i] = "still sending after %d of %d bytes" % (sent, BODY_LEN)
    s.close()


def main():
    if len(sys.argv) < 9:
        sys.exit(__doc__)
    addr, host, cert, key = sys.argv[1:5]
    clients, interval, seconds = int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
    paths = sys.argv[8:]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.load_cert_chain(cert, key)
    deadline = time.monotonic() + seconds
    ready = threading.Semaphore(0)
    out = ["?"] * clients
    threads = [threading.Thread(target=one, daemon=True,
                                args=(i, addr, host, ctx, paths[i % len(paths)], interval,
                                      deadline, ready, out)) for i in range(clients)]
    for t in threads:
        t.start()
    for _ in threads:
        ready.acquire()
    print("slow: %d sending" % sum(1 for o in out if o == "?"), flush=True)
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + interval + 1)
    for i, o in enumerate(out):
        print("slow %d (%s): %s" % (i, paths[i % len(paths)], o), flush=True)


if __name__ == "__main__":
    main()
