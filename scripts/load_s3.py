#!/usr/bin/env python3
"""Issue 13 load runs: the release sfd-server on SeaweedFS (and a local
folder for listing at scale), with the new paths (group commit, validated
cache, summaries) on and off, against SeaweedFS's own rate, in one run.

Run through `scripts/load-s3`, which builds the server, starts SeaweedFS
and exports SFD_TEST_S3_ENDPOINT / SFD_TEST_S3_BUCKET. Needs wrk. All
traffic stays on 127.0.0.1; every server is stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

BIN = "./target/release/sfd-server"
S3 = os.environ.get("SFD_TEST_S3_ENDPOINT", "")
BUCKET = os.environ.get("SFD_TEST_S3_BUCKET", "")
FIXTURE = json.load(open("fixtures/corgi_musk_v5.json"))
OFF = {"SFD_GROUP_COMMIT": "false", "SFD_CACHE_BYTES": "0", "SFD_SUMMARIES": "false"}
TTL = {"SFD_CACHE_TTL_MS": "1000"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_storage(prefix: str) -> str:
    return (
        f"s3://{BUCKET}/{prefix}?endpoint={S3}&region=us-east-1&access_key_id=sfd&secret_access_key=sfd"
    )


class Server:
    """One release sfd-server on `storage` with extra environment `env`."""

    def __init__(self, storage: str, env: Optional[Dict[str, str]] = None) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        full = dict(os.environ, RUST_LOG="warn", **(env or {}))
        self.proc = subprocess.Popen(
            [BIN, "--port", str(port), "--storage", storage],
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + "/health", timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sfd-server did not start")

    def rss_mib(self) -> float:
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def call(method: str, url: str, body: Optional[dict] = None, headers: Optional[dict] = None) -> Tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    h = {"content-type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_drama(base: str, drama: dict) -> None:
    status, body = call("POST", base + "/dramas", {"drama": drama})
    if status not in (200, 201):
        raise RuntimeError(f"POST /dramas: {status} {body[:200]!r}")


def small(i: int) -> dict:
    return {"id": f"s{i:06d}", "title": f"Drama {i}", "description": "d", "premise": "p", "episodes": []}


def big(i: int) -> dict:
    d = dict(FIXTURE)
    d["id"] = f"d{i:04d}"
    return d


def seed(base: str, make, n: int, workers: int = 16) -> float:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(lambda i: post_drama(base, make(i)), range(n)))
    return time.perf_counter() - t0


def wrk(url: str, connections: int = 32, seconds: int = 10, header: Optional[str] = None) -> Tuple[float, str, str]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if header:
        args += ["-H", header]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    codes = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if codes:
        print(f"  (wrk: {codes.group(1)} non-2xx/3xx answers)", file=sys.stderr)
    return rps, p50, p99


def row(name: str, value: str, note: str = "") -> None:
    print(f"| {name} | {value} | {note} |", flush=True)


def w1(prefix: str) -> None:
    print("\n### W1 GET of the 38 KB v5 drama, c=32, 10 s\n\n| run | req/s | p50 / p99 |\n|---|---|---|")
    seeder = Server(s3_storage(prefix))
    post_drama(seeder.base, FIXTURE)
    seeder.stop()
    key = f"{S3}/{BUCKET}/{prefix}/dramas/{FIXTURE['id']}.json"
    head = urllib.request.urlopen(urllib.request.Request(key, method="HEAD"))
    etag = head.headers["ETag"]
    rps, p50, p99 = wrk(key, header=f"If-None-Match: {etag}")
    row("baseline: SeaweedFS conditional GET of the object (304)", f"{rps:,.0f}", f"{p50} / {p99}")
    base_rps = rps
    rps, p50, p99 = wrk(key)
    row("baseline: SeaweedFS plain GET of the object", f"{rps:,.0f}", f"{p50} / {p99}")
    for name, env in (("sfd, new paths off", OFF), ("sfd, validated cache (default)", None), ("sfd, SFD_CACHE_TTL_MS=1000", TTL)):
        s = Server(s3_storage(prefix), env)
        rps, p50, p99 = wrk(f"{s.base}/dramas/{FIXTURE['id']}")
        row(name, f"{rps:,.0f}", f"{p50} / {p99}; {rps / base_rps:.2f}× SeaweedFS's conditional GET")
        s.stop()


def busy_drama(id: str) -> dict:
    return {
        "id": id, "title": "t", "description": "x", "premise": "p",
        "episodes": [
            {"id": f"ep{e}", "title": "t", "description": "x",
             "scenes": [{"id": f"ep{e}-sc{n}", "description": "x"} for n in range(1, 51)]}
            for e in range(1, 5)
        ],
    }


def patches(bases: List[str], drama_id: str) -> Tuple[float, int, int]:
    pairs = [(f"ep{e}", f"ep{e}-sc{n}") for e in range(1, 5) for n in range(1, 51)]

    def patch(i_pair):
        i, (e, sc) = i_pair
        base = bases[i % len(bases)]
        return call("PATCH", f"{base}/dramas/{drama_id}/episodes/{e}/scenes/{sc}", {"description": f"edited {sc}"})[0]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(200) as ex:
        statuses = list(ex.map(patch, enumerate(pairs)))
    took = time.perf_counter() - t0
    after = json.loads(call("GET", f"{bases[0]}/dramas/{drama_id}")[1])
    lost = sum(1 for e in after["episodes"] for s in e["scenes"] if s["description"] != f"edited {s['id']}")
    return 200 / took, statuses.count(200), lost


def w2(prefix: str, rounds: int) -> None:
    print("\n### W2 200 concurrent PATCHes on distinct scenes of one drama\n")
    print(f"Median of {rounds} rounds, each on a fresh drama.\n\n| run | edits/s | 200s | lost |\n|---|---|---|---|")
    for name, env, processes in (
        ("one process, new paths off (baseline)", OFF, 1),
        ("one process, group commit (default)", None, 1),
        ("two processes on one bucket, group commit", None, 2),
    ):
        servers = [Server(s3_storage(prefix), env) for _ in range(processes)]
        results = []
        for r in range(rounds):
            drama_id = f"busy-{len(name)}-{processes}-{r}"
            post_drama(servers[0].base, busy_drama(drama_id))
            results.append(patches([s.base for s in servers], drama_id))
        rate = statistics.median(x[0] for x in results)
        ok = min(x[1] for x in results)
        lost = max(x[2] for x in results)
        row(name, f"{rate:,.0f}", f"{ok} | {lost}")
        for s in servers:
            s.stop()


def cursor_after(id: str) -> str:
    """The listing cursor that starts after `id` (the server's own format)."""
    h = 0xCBF29CE484222325
    for b in ("c1" + id).encode():
        h ^= b
        h = (h * 0x100000001B3) % (1 << 64)
    return "c1." + id.encode().hex() + ".%016x" % h


def page_ms(base: str, after: str, n: int = 30) -> float:
    url = f"{base}/dramas?limit=100&cursor={cursor_after(after)}"
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, body = call("GET", url)
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200 or len(json.loads(body)["dramas"]) != 100:
            raise RuntimeError(f"page: {status}")
    return statistics.median(times)


def walk_ms(base: str, n: int = 5) -> Tuple[float, int]:
    times, count = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        cursor, count = None, 0
        while True:
            url = f"{base}/dramas?limit=100" + (f"&cursor={cursor}" if cursor else "")
            page = json.loads(call("GET", url)[1])
            count += len(page["dramas"])
            cursor = page.get("cursor")
            if not cursor:
                break
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), count


def w3(prefix: str, scale: int) -> None:
    print("\n### W3 listing\n\n| run | time | note |\n|---|---|---|")
    seeder = Server(s3_storage(f"{prefix}-1k"))
    took = seed(seeder.base, big, 1000)
    seeder.stop()
    print(f"(seeded 1,000 dramas of 38 KB on SeaweedFS in {took:.0f} s)", file=sys.stderr)
    for name, env in (("new paths off (baseline)", OFF), ("summaries (default)", None)):
        s = Server(s3_storage(f"{prefix}-1k"), env)
        row(f"SeaweedFS, a page of 100 from 1,000, {name}", f"{page_ms(s.base, 'd0499'):.1f} ms", "median of 30")
        ms, count = walk_ms(s.base)
        row(f"SeaweedFS, full walk of 1,000, {name}", f"{ms:.0f} ms", f"{count} dramas, median of 5")
        if env is None:
            for i in range(1000):
                call("GET", f"{s.base}/dramas/d{i:04d}")
            row("RSS with the cache full (1,000 × 38 KB read through it)", f"{s.rss_mib():.0f} MiB", "SFD_CACHE_BYTES default")
        s.stop()
    folder = tempfile.mkdtemp(prefix="sfd-load-")
    for where, storage_of in (
        ("local folder", lambda tag: os.path.join(folder, tag)),
        ("SeaweedFS", lambda tag: s3_storage(f"{prefix}-{tag}")),
    ):
        times = {}
        for n in (1000, scale):
            s = Server(storage_of(f"small{n}"))
            took = seed(s.base, small, n, workers=32)
            print(f"(seeded {n:,} small dramas on the {where} in {took:.0f} s)", file=sys.stderr)
            # Measure the steady state: the local folder's listing snapshot is
            # trusted once the folder has been still for 2 s.
            time.sleep(2.5)
            times[n] = page_ms(s.base, f"s{n // 2:06d}")
            s.stop()
        row(
            f"{where}, a page of 100 from {scale:,} small dramas",
            f"{times[scale]:.1f} ms",
            f"{times[scale] / times[1000]:.2f}× the page at 1,000 ({times[1000]:.1f} ms)",
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scale", type=int, default=100_000, help="dramas for the listing-at-scale run")
    p.add_argument("--rounds", type=int, default=5, help="W2 rounds per configuration")
    p.add_argument("--only", choices=["w1", "w2", "w3"], help="run one workload")
    a = p.parse_args()
    if not (S3 and BUCKET):
        sys.exit("run through scripts/load-s3 (it starts SeaweedFS)")
    prefix = f"load-{os.getpid()}"
    if a.only in (None, "w1"):
        w1(prefix + "-w1")
    if a.only in (None, "w2"):
        w2(prefix + "-w2", a.rounds)
    if a.only in (None, "w3"):
        w3(prefix + "-w3", a.scale)


if __name__ == "__main__":
    main()
