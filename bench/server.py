#!/usr/bin/env python3
"""The credential endpoint of `awsdo --server`, measured from the command's side (scripts/bench 7).

    awsdo --server -p PROFILE -- python3 bench/server.py PROXY_LOG REQUESTS SECONDS CLIENTS \
        WRK_ROUNDS WRK_SECONDS

Run as the command, so it has the endpoint and token in its environment and the helper is
its child. Prints, one per line:

    lat 1 P50_US P99_US REF_P50_US REF_P99_US      request latency with 1 client (this
                                                   process, Python sockets) against a bare
                                                   connect + close to the same port
    wrk ok|wrong CLIENTS REQUESTS NON_2XX ERRORS P50_US P99_US MAX_US
                                                   one round of wrk (bench/wrk.lua) with CLIENTS
                                                   connections, with the right token (200 and
                                                   credentials) or a wrong one (the helper's
                                                   cheapest answer, a bare 403): the reference
    rssround N VMRSS_KB THREADS                    the helper's memory after wrk round N
    rss VMRSS_KB VMHWM_KB                          the helper's memory after the load
    renew CLIENTS ASSUMEROLE_CALLS RENEWALS        STS calls while CLIENTS poll for SECONDS
                                                   (RENEWALS: new keys served in that time)

The 1-client latencies are what a client sees (connect, send, read the whole answer, close)
with Python's own cost included, so they are an upper bound on the helper's. The 50-client
rows use wrk, a native load generator (2 threads, event loops), because 50 Python threads on
2 cores measured themselves; the right- and wrong-token rounds alternate so a burst of load
hits both. The token reaches wrk through its environment, never its command line. The
helper closes every connection after its answer (src/server/http.rs), so there is no
keep-alive to use: wrk reconnects before each request, as an SDK client does here.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

log, requests, seconds, clients = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
wrk_rounds, wrk_seconds = int(sys.argv[5]), int(sys.argv[6])
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


fetch()
# 1 client: interleaved in halves, so a burst of load hits both.
lat, ref = [], []
for _ in range(2):
    lat += timed(fetch, requests // 2)
    ref += timed(touch, requests // 2)
print(f"lat 1 {pct(lat, 50):.1f} {pct(lat, 99):.1f} {pct(ref, 50):.1f} {pct(ref, 99):.1f}")


def wrk(kind, conns, secs):
    env = dict(os.environ, BENCH_WRK_PATH=url.path,
               BENCH_WRK_TOKEN=token if kind == "ok" else "0" * len(token))
    got = subprocess.run(
        ["wrk", "-t2", f"-c{conns}", f"-d{secs}s", "--timeout", "10s",
         "-s", os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrk.lua"),
         f"http://{url.netloc}/"],
        env=env, capture_output=True, text=True, timeout=secs + 60, check=True)
    line = [l for l in got.stdout.splitlines() if l.startswith("wrk ")][-1]
    print(f"wrk {kind} {conns} {line[4:]}", flush=True)


def helper_status():
    """The helper's /proc status (it is this process's only child)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rfind(")") + 2:].split()[1]) == os.getpid():
            with open(f"/proc/{pid}/status") as f:
                return dict(line.split(":", 1) for line in f)
    sys.exit("bench/server.py: no helper process found")


# 50 clients: wrk, rounds of the right and a wrong token alternating; the helper's memory
# after each round, so growth from round to round (a leak) shows apart from a plateau.
for n in range(wrk_rounds):
    wrk("ok", clients, wrk_seconds)
    wrk("wrong", clients, wrk_seconds)
    st = helper_status()
    print(f"rssround {n + 1} {st['VmRSS'].split()[0]} {st['Threads'].strip()}", flush=True)

status = helper_status()
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
