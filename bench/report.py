#!/usr/bin/env python3
"""Turns the samples scripts/bench collected into the results table.

    report.py OUT_DIR [--write BENCHMARKS.md]

Prints a markdown table (medians, each with its reference and the ratio) to stdout. With
--write it replaces the generated parts of BENCHMARKS.md, between the `<!-- bench:… -->`
markers, and leaves the hand-written text alone. The build-time part is replaced only when
this run measured it (scripts/bench --build-time).
"""

import os
import re
import statistics
import sys
from collections import defaultdict

out = sys.argv[1]
write_to = sys.argv[sys.argv.index("--write") + 1] if "--write" in sys.argv else None


def read(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split() for line in f if line.strip()]


def samples(name, col=1):
    got = defaultdict(list)
    for row in read(name):
        got[row[0]].append(float(row[col]))
    return got


meta = {row[0]: " ".join(row[1:]) for row in read("meta.txt")}
med = statistics.median


def ms(us):
    return f"{us / 1000:.2f} ms" if us < 100_000 else f"{us / 1000:.0f} ms"


def ns(v):
    return f"{v / 1000:.1f} µs" if v >= 10_000 else f"{v:.0f} ns"


def x(a, b):
    return f"{a / b:,.0f}×" if a / b >= 10 else f"{a / b:.1f}×"


def ok(cond):
    return "met" if cond else "**missed**"


rows = []  # (item, what, awsdo, reference, ratio, goal, verdict)

def procs_txt(per_100):
    n = per_100 / 100
    return f"{n:g} process{'' if n == 1 else 'es'}"


# 1. Hook per prompt, nothing changed.
procs = {r[0]: (int(r[2]), int(r[4])) for r in read("procs.txt")}
for sh in ("bash", "zsh"):
    s = samples(f"hook-{sh}.txt")
    if not s:
        continue
    bare, awsdo, direnv = med(s["bare"]), med(s["awsdo"]), med(s["direnv"])
    pa, pd = procs.get(f"procs-{sh}", (-1, -1))
    rows.append((
        "1", f"hook per prompt, nothing changed ({sh})",
        f"{ns(awsdo)}, {procs_txt(pa)}",
        f"direnv {ns(direnv)}, {procs_txt(pd)}; empty function {ns(bare)}",
        f"direnv/awsdo {x(direnv, awsdo)}; awsdo − empty = {ns(awsdo - bare)}",
        "no process; ≥ 50× cheaper than direnv",
        ok(pa == 0 and direnv / awsdo >= 50),
    ))

# 2. Profile switch on a warm cache.
s = samples("switch.txt")
if s:
    a, aw, bc, pyo = med(s["awsdo"]), med(s["awsume"]), med(s["botocore"]), med(s["python"])
    awsume_calls = [int(r[2]) for r in read("switch.txt") if r[0] == "awsume"]
    rows.append((
        "2", "profile switch, warm cache (`awsdo export bash` + eval, via the hook)",
        ms(a),
        f"awsume {ms(aw)} ({med(awsume_calls):g} STS call each); "
        f"botocore + CLI cache {ms(bc)}; bare `python3 -c pass` {ms(pyo)}",
        f"awsume/awsdo {x(aw, a)}; botocore/awsdo {x(bc, a)}",
        "< 5 ms; ≥ 50× faster than both",
        ok(a < 5000 and aw / a >= 50 and bc / a >= 50),
    ))
    if "floor" in s:
        ex, fl = med(s["export"]), med(s["floor"])
        rows.append((
            "2", "warm switch against the process floor: `eval \"$(awsdo export bash)\"`"
            + (" (run as the hook runs it: `awsdo-export`)" if "export_size" in meta else ""),
            ms(ex), f"`eval \"$(/bin/true)\"` {ms(fl)} (same loop)"
            + (f"; the smallest Rust program (bench/hello.rs) {ms(med(s['rust']))}"
               if "rust" in s else ""),
            f"awsdo/floor {ex / fl:.2f}×; awsdo − floor = {ms(ex - fl)}"
            + (f"; Rust hello/floor {med(s['rust']) / fl:.2f}×, awsdo/Rust hello "
               f"{ex / med(s['rust']):.2f}×" if "rust" in s else ""),
            "≤ 1.25× floor", ok(ex <= 1.25 * fl),
        ))

# 3. awsdo -- true.
s = samples("wrap.txt")
if s:
    t, a = med(s["true"]), med(s["awsdo"])
    rows.append((
        "3", "`awsdo -- true`, warm cache", ms(a), f"`true` {ms(t)}",
        f"added {ms(a - t)} ({x(a, t)} of `true`)", "< 3 ms added", ok(a - t < 3000),
    ))

# CPU time (perf stat task-clock, mean): what the wall-clock rows cost without the waiting.
cpu = {r[0]: float(r[1]) for r in read("cpu.txt")}
if cpu:
    rows.append((
        "2, 3", "CPU time (perf stat task-clock, mean), warm cache",
        f"`awsdo export bash` {ms(cpu['export'])}; `awsdo -- true` {ms(cpu['awsdo'])}",
        f"`true` {ms(cpu['true'])}",
        f"added by awsdo {ms(cpu['awsdo'] - cpu['true'])}", "(load-independent view)", "",
    ))

# 4. Cold path.
cold = read("cold.txt")
for prof, label in (("role", "AssumeRole"), ("chain", "two-role chain"),
                    ("role-https", "AssumeRole over HTTPS (private CA + system store)")):
    def pick(tool):
        return [(float(r[1]), int(r[2]), float(r[3])) for r in cold if r[0] == f"{tool}-{prof}"]
    a, b = pick("awsdo"), pick("botocore")
    if not a:
        continue
    # Every call of an HTTPS row must have come over TLS, none of an HTTP row.
    scheme_ok = all((int(r[4]) == int(r[2])) == prof.endswith("-https") or int(r[2]) == 0
                    for r in cold if r[0].endswith(f"-{prof}"))
    want, https = (2 if prof == "chain" else 1), prof.endswith("-https")
    wall = med([w for w, _, _ in a])
    calls = sorted({c for _, c, _ in a})
    up = med([u for _, _, u in a])
    own = med([w - u for w, _, u in a])
    bwall = med([w for w, _, _ in b])
    bcalls = sorted({c for _, c, _ in b})
    bown = med([w - u for w, _, u in b])
    if prof == "role":
        own_role = own
    rows.append((
        "4", f"cold path: {label}, empty cache",
        f"{ms(wall)}; {'/'.join(map(str, calls))} STS call(s); own overhead {ms(own)} "
        f"(+ {ms(up)} in moto)",
        f"botocore {ms(bwall)}; {'/'.join(map(str, bcalls))} STS call(s); own overhead {ms(bown)}",
        f"botocore/awsdo {x(bwall, wall)}" + (
            f"; own overhead chain − role = {ms(own - own_role)}" if prof == "chain" else ""),
        f"{want} STS call(s)" + ("; own overhead ≤ 3 ms" if https else ""),
        ok(calls == [want] and (own <= 3000 if https else True)) if scheme_ok
        else "**calls on the wrong port**",
    ))

# CPU time of the cold path and of status with 1,000 profiles (perf stat task-clock, mean).
more = {r[0]: float(r[1]) for r in read("cpu-more.txt")}
if len(more) == 4:
    rows.append((
        "4, 9", "CPU time (perf stat task-clock, mean): AssumeRole `--disable-cache`; `awsdo status`",
        f"HTTP {ms(more['cold-http'])}; HTTPS {ms(more['cold-https'])}; "
        f"status, 1,000 profiles {ms(more['status-1000'])}",
        f"status, 4 profiles {ms(more['status-4'])}"
        + (f"; `true` {ms(cpu['true'])}" if cpu else ""),
        f"HTTPS − HTTP = {ms(more['cold-https'] - more['cold-http'])}",
        "(load-independent view)", "",
    ))

# 5. Concurrency.
conc = read("conc.txt")
if conc:
    cold_r = [r for r in conc if r[0] == "cold"]
    warm_r = [r for r in conc if r[0] == "warm"]
    calls = [int(r[2]) for r in cold_r]
    slow = med([float(r[3]) for r in cold_r])
    wslow = med([float(r[3]) for r in warm_r])
    done = min(int(r[4]) for r in conc)
    n = 32
    rows.append((
        "5", f"{n} shells switch at once, cold cache",
        f"{'/'.join(map(str, calls))} STS call(s) per round; slowest shell {ms(slow)}",
        f"same {n} shells, warm cache: slowest {ms(wslow)}",
        f"cold/warm {x(slow, wslow)}",
        "1 STS call", ok(max(calls) == 1 and done == n),
    ))

# 6. Size and build.
if "bin_size" in meta:
    size = int(meta["bin_size"])
    rows.append((
        "6", "release binary (stripped)", f"{size / 1e6:.1f} MB"
        + (f"; `awsdo-export` {int(meta['export_size']) / 1e6:.1f} MB" if "export_size" in meta else ""),
        "", "",
        "< 10 MB", ok(size < 10e6),
    ))
build = read("build.txt")
if build:
    b = build[0]
    rows.append((
        "6", "clean `cargo build --release`, 2 cores", f"{float(b[0]):.0f} s",
        f"load {b[1]} {b[2]} {b[3]} before, {b[4]} {b[5]} {b[6]} after", "", "recorded", "",
    ))

# 7. The credential endpoint (awsdo --server).
server = read("server.txt")
if server:
    for r in (r for r in server if r[0] == "lat"):
        n, p50, p99, r50, r99 = int(r[1]), *map(float, r[2:6])
        rows.append((
            "7", f"`--server` endpoint, request latency, {n} client (Python, p50 / p99)",
            f"{p50:.0f} / {p99:.0f} µs",
            f"bare connect + close to the same port: {r50:.0f} / {r99:.0f} µs",
            f"p99 − connect p99 = {p99 - r99:.0f} µs",
            "p99 < 1 ms", ok(p99 < 1000),
        ))
    wrk = defaultdict(list)
    for r in (r for r in server if r[0] == "wrk"):
        wrk[r[1]].append([int(v) for v in r[2:]])
    if wrk["ok"] and wrk["wrong"]:
        conns = wrk["ok"][0][0]
        def stat(kind, i):
            return med([r[i] for r in wrk[kind]])
        p50, p99, r50, r99 = stat("ok", 4), stat("ok", 5), stat("wrong", 4), stat("wrong", 5)
        reqs = sum(r[1] for r in wrk["ok"])
        # Every right-token answer must be a 200, every wrong-token one a 403, no socket error.
        clean = all(r[2] == 0 and r[3] == 0 for r in wrk["ok"]) and all(
            r[2] == r[1] and r[3] == 0 for r in wrk["wrong"])
        rows.append((
            "7", f"`--server` endpoint, request latency, {conns} clients (wrk, p50 / p99)",
            f"{p50:.0f} / {p99:.0f} µs ({reqs:,} requests)",
            f"wrk with a wrong token (the helper's bare 403): {r50:.0f} / {r99:.0f} µs",
            f"p99 − 403 p99 = {p99 - r99:.0f} µs",
            "p99 < 1 ms", ok(clean and p99 < 1000) if clean else "**wrong answers**",
        ))
    rounds = [f"{int(r[2]) / 1024:.1f}" for r in server if r[0] == "rssround"]
    for r in (r for r in server if r[0] == "rss"):
        rows.append((
            "7", "`--server` helper memory after the load (VmRSS; peak VmHWM)",
            f"{int(r[1]) / 1024:.1f} MB (peak {int(r[2]) / 1024:.1f} MB)",
            f"after each wrk round: {' / '.join(rounds)} MB" if rounds else "", "",
            "< 10 MB", ok(int(r[2]) < 10 * 1024),
        ))
    for r in (r for r in server if r[0] == "renew"):
        clients, calls, renewals = map(int, r[1:4])
        rows.append((
            "7", f"`--server` STS calls per renewal, {clients} clients polling",
            f"{calls} AssumeRole for {renewals} renewal(s)", "", "",
            "1 per renewal", ok(renewals > 0 and calls <= renewals + 1),
        ))

# 8. SSO token refresh (CreateToken with the refresh token, then GetRoleCredentials).
sso = read("sso.txt")
if sso:
    def sso_pick(tool):
        return [(float(r[1]), tuple(int(v) for v in r[2:6])) for r in sso if r[0] == tool]
    a, b = sso_pick("awsdo"), sso_pick("botocore")
    # (CreateToken, GetRoleCredentials, refused, STS) per run: exactly (1, 1, 0, 0) each.
    right = all(c == (1, 1, 0, 0) for _, c in a + b)
    calls = lambda runs: "/".join(sorted({f"{c[0]}+{c[1]}" for _, c in runs}))
    wall, bwall = med([w for w, _ in a]), med([w for w, _ in b])
    rows.append((
        "8", "SSO token refresh: `awsdo -p PROFILE -- true`, token 10 min from expiry, "
        "no cached role credentials",
        f"{ms(wall)}; {calls(a)} calls (CreateToken + GetRoleCredentials)",
        f"botocore (SSOTokenProvider + SSO provider) {ms(bwall)}; {calls(b)} calls",
        f"botocore/awsdo {x(bwall, wall)}",
        "1 + 1 calls per run", ok(True) if right else "**wrong calls: row invalid**",
    ))

# 9. A 1,000-profile config against the bench's 4-profile one, same loop.
s = samples("many.txt")
if s:
    for key, what, earlier in (
        ("status", "`awsdo status`", 20),
        ("complete", "bash completion of `awsdo -p org-05<TAB>` (runs `awsdo status --names`)", 15),
        ("explain", "`awsdo -p org-0517 explain` (a 4-step chain with MFA)", 7),
    ):
        big, small = med(s[f"{key}-1000"]), med(s[f"{key}-4"])
        rows.append((
            "9", f"1,000-profile config: {what}", ms(big),
            (f"`awsdo -p bench-chain explain` (2 steps), the bench's 4-profile config: "
             if key == "explain" else "same command, the bench's 4-profile config: ") + ms(small),
            f"1,000/4 profiles {x(big, small)}",
            f"≤ {earlier} ms (the earlier figure)", ok(big <= earlier * 1000),
        ))

header = ("#", "measurement", "awsdo (median)", "reference (median, same run)", "ratio",
          "goal", "")
table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
table += ["| " + " | ".join(r) + " |" for r in rows]

load = f"load average {meta.get('load_start', '?')} at the start, {meta.get('load_end', '?')} at the end"
machine = (
    f"{meta.get('date', '?')}, commit {meta.get('commit', '?')}; {meta.get('cpu', '?')}, "
    f"{meta.get('cores', '?')} cores, {meta.get('kernel', '?')}; {load}"
)
versions = (
    f"bash {meta.get('bash', '?')}, zsh {meta.get('zsh', '?')}, direnv {meta.get('direnv', '?')}, "
    f"Python {meta.get('python', '?')}, botocore {meta.get('botocore', '?')}, "
    f"awsume {meta.get('awsume', '?')}, moto {meta.get('moto', '?')}, rustc {meta.get('rustc', '?')}"
)
result = "\n".join([
    f"Machine: {machine}.",
    "",
    f"Versions: {versions}. Repetitions: {meta.get('repeats', '?')}.",
    "",
    *table,
    "",
])
print(result)

if write_to:
    if os.path.exists(write_to):
        with open(write_to) as f:
            doc = f.read()
    else:
        doc = ("# Benchmarks\n\n<!-- bench:results:begin -->\n<!-- bench:results:end -->\n\n"
               "<!-- bench:build:begin -->\n<!-- bench:build:end -->\n")

    def put(doc, name, text):
        pat = re.compile(rf"(<!-- bench:{name}:begin -->\n).*?(<!-- bench:{name}:end -->)", re.S)
        if not pat.search(doc):
            sys.exit(f"report.py: no bench:{name} markers in {write_to}")
        return pat.sub(lambda m: m.group(1) + text + m.group(2), doc)

    doc = put(doc, "results", result)
    if build:
        b = build[0]
        doc = put(doc, "build", (
            f"Last clean release build (`scripts/bench --build-time`): **{float(b[0]):.0f} s** "
            f"on {meta.get('cores', '?')} cores, {meta.get('date', '?')}, commit "
            f"{meta.get('commit', '?')}; load average {b[1]} {b[2]} {b[3]} before, "
            f"{b[4]} {b[5]} {b[6]} after.\n"))
    with open(write_to, "w") as f:
        f.write(doc)
    print(f"bench: wrote {write_to}", file=sys.stderr)
