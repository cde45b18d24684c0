#!/usr/bin/env python3
"""The credential endpoint of `awsdo --server`, measured from the command's side (scripts/bench 7).

    awsdo --server -p PROFILE -- python3 bench/server.py PROXY_LOG REQUESTS SECONDS CLIENTS

Run as the command, so it has the endpoint and token in its environment and the helper is
its child. Prints, one per line:

    lat 1|50 P50_US P99_US REF_P50_US REF_P99_US   request latency with 1 and 50 clients,
                                                   each against a reference in the same run:
                                                   a bare connect + close to the same port
    rss VMRSS_KB VMHWM_KB                          the helper's memory after the load
    renew CLIENTS ASSUMEROLE_CALLS RENEWALS        STS calls while CLIENTS poll for SECONDS
                                                   (RENEWALS: new keys served in that time)

Latencies are what a client sees (connect, send, read the whole answer, close) with Python's
own cost included, so they are an upper bound on the helper's.
"""

import json
import os
import socket
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

log, requests, seconds, clients = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
url = urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
addr = (url.hostname, url.port)
request = (f"GET {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: {token}\r\n"
           "Accept: application/json\r\n\r\n").encode()


def fetch():
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(request)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    text = b"".join(chunks)
    if not text.startswith(b"HTTP/1.1 200"):
        sys.exit(f"bench/server.py: {text[:80]!r}")
    return json.loads(text.split(b"\r\n\r\n", 1)[1])


def touch():
    with socket.create_connection(addr, timeout=10):
        pass


def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t) / 1000)
    return out


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def parallel(fn, n, per):
    got, lock = [], threading.Lock()

    def run():
        mine = timed(fn, per)
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


fetch()
for n in (1, 50):
    per = max(1, requests // n)
    # Interleaved in halves, so a burst of load hits both.
    lat, ref = [], []
    for _ in range(2):
        lat += parallel(fetch, n, per // 2 or 1) if n > 1 else timed(fetch, per // 2)
        ref += parallel(touch, n, per // 2 or 1) if n > 1 else timed(touch, per // 2)
    print(f"lat {n} {pct(lat, 50):.1f} {pct(lat, 99):.1f} {pct(ref, 50):.1f} {pct(ref, 99):.1f}")

helper = None
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        continue
    if int(stat[stat.rfind(")") + 2:].split()[1]) == os.getpid():
        helper = pid
with open(f"/proc/{helper}/status") as f:
    status = dict(line.split(":", 1) for line in f)
print(f"rss {status['VmRSS'].split()[0]} {status['VmHWM'].split()[0]}")


def assume_calls():
    with open(log) as f:
        return sum(1 for line in f if line.startswith("AssumeRole\t"))


before, keys, stop = assume_calls(), set(), time.time() + seconds
first = fetch()["AccessKeyId"]


def poll():
    while time.time() < stop:
        k = fetch()["AccessKeyId"]
        with lock:
            keys.add(k)
        time.sleep(0.01)


lock = threading.Lock()
threads = [threading.Thread(target=poll) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
keys.discard(first)
print(f"renew {clients} {assume_calls() - before} {len(keys)}")
