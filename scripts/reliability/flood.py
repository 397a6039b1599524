"""The floods of the outside re-test of c0dd389 (issue 32), as loads: part of the hostile tier.

Each runs against a server of its own (the release build, one core), with the rate limits a
real blog has except the search limit (so the search flood reaches the database), and
measures what the tester measured:

- search (F10): four 64 KB articles of one word repeated ("a " * 32,000), then searches for
  that word with unique queries (the page cache cannot help): the server's CPU per search
  (from /proc, utime + stime) must be at most 50 ms, and while 16 of them run at once,
  /healthz must answer 200 every time and an uncached page within 2x its usual time (the
  medians of 20). c0dd389 spent 6.3 s of CPU per such article
  per search, and /healthz answered 503 for two minutes.
- page cache (F8): 3,000 anonymous requests to /api/profiles/<name>?i=<n>&pad=<60 KB>, then
  3,000 with a short pad (kept by the cache): the server's RSS may grow by the cache's budget
  (QUIRE_PAGE_CACHE_MB) + 20 MB at most. c0dd389 grew from 338 to 641 MB in 3 s.
- sign-in limiter (F7): 10 client addresses (127.0.0.2-11) x 21 sign-ins with a 480 KB email
  through the sign-in form: RSS may grow by 5 MB at most. c0dd389 kept each email as a
  limiter key, about 10 MB per address and minute, never freed.

Standard library only.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

CACHE_MB = 32
PASSWORD = "correct horse battery staple"


def request(base: str, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, source: str | None = None,
            timeout: float = 60) -> tuple[int, bytes, float]:
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.monotonic() - started
    except (ConnectionError, http.client.HTTPException, TimeoutError, OSError):
        return 0, b"", time.monotonic() - started
    finally:
        conn.close()


def api(base: str, method: str, path: str, payload=None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(payload).encode() if payload is not None else None
    status, data, _ = request(base, method, path, body, headers)
    try:
        return status, json.loads(data) if data else {}
    except ValueError:
        return status, {}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def search_flood(server, short: bool) -> tuple[bool, str]:
    base, pid = server.base, server.process.pid
    failures = []
    status, body = api(base, "POST", "/api/users",
                       {"user": {"username": "flooder", "email": "flooder@flood.test", "password": PASSWORD}})
    token = body.get("user", {}).get("token")
    if status != 201 or not token:
        return False, f"hostile search flood: FAIL, could not register ({status})"
    for i in range(4):
        status, _ = api(base, "POST", "/api/articles", {"article": {
            "title": f"Flood {i}", "description": "d", "body": "a " * 32_000}}, token)
        if status != 201:
            failures.append(f"article {i}: {status}")
    # CPU per search, each one unique so the page cache cannot answer it.
    searches = 10 if short else 30
    before = cpu_seconds(pid)
    slowest = 0.0
    for i in range(searches):
        status, data, took = request(base, "GET", f"/api/search?q=a&u={random.random()}")
        slowest = max(slowest, took)
        if status != 200 or b'"articlesCount":4' not in data:
            failures.append(f"search {i}: {status} {data[:120]!r}")
    per_search = (cpu_seconds(pid) - before) / searches * 1000
    if per_search > 50:
        failures.append(f"{per_search:.0f} ms of CPU per search")

    def probe(path: str, rounds: int) -> list[float]:
        times = []
        for _ in range(rounds):
            status, _, took = request(base, "GET", path(), headers={"Accept": "text/html"})
            if status != 200:
                failures.append(f"{path()} answered {status} during the flood")
            times.append(took)
        return times

    page = lambda: f"/api/articles?limit=1&offset={random.randrange(3)}&u={random.random()}"  # noqa: E731
    usual = statistics.median(probe(page, 20))
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            request(base, "GET", f"/api/search?q=a&u={random.random()}")

    threads = [threading.Thread(target=flood) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    health = probe(lambda: "/healthz", 20)
    during = statistics.median(probe(page, 20))
    stop.set()
    for t in threads:
        t.join(timeout=60)
    if during > 2 * usual:
        failures.append(f"an uncached page took {during * 1000:.1f} ms during the flood, "
                        f"{usual * 1000:.1f} ms before")
    for failure in failures[:10]:
        print(f"  {failure}", flush=True)
    ok = not failures
    return ok, (f"hostile search flood: {'PASS' if ok else 'FAIL'}, 4 articles of 'a' x 32,000: "
                f"{per_search:.1f} ms of server CPU per search (target <= 50, c0dd389: 6,300 per article), "
                f"slowest {slowest * 1000:.0f} ms; 16 at once: /healthz 200 x {len(health)} "
                f"(median {statistics.median(health) * 1000:.1f} ms), an uncached page "
                f"{usual * 1000:.1f} -> {during * 1000:.1f} ms")


def cache_flood(server, short: bool) -> tuple[bool, str]:
    base = server.base
    api(base, "POST", "/api/users", {"user": {"username": "bob", "email": "bob@flood.test", "password": PASSWORD}})
    before = server.rss_mb()
    count = 1000 if short else 3000
    failures = []
    for pad_len, what in ((60 * 1024, "60 KB"), (900, "900 B")):
        pad = "p" * pad_len
        for i in range(count):
            status, _, _ = request(base, "GET", f"/api/profiles/bob?i={i}&pad={pad}")
            if status != 200:
                failures.append(f"pad {what}, request {i}: {status}")
                break
    after = server.rss_mb()
    growth = after - before
    if growth > CACHE_MB + 20:
        failures.append(f"RSS grew {growth:.0f} MB, more than the cache's {CACHE_MB} MB + 20 MB")
    for failure in failures[:10]:
        print(f"  {failure}", flush=True)
    ok = not failures
    return ok, (f"hostile cache flood: {'PASS' if ok else 'FAIL'}, {count:,} requests with a 60 KB pad and "
                f"{count:,} with 900 B: RSS {before:.0f} -> {after:.0f} MB (+{growth:.1f}, budget {CACHE_MB} + 20)")


def limiter_flood(server, short: bool) -> tuple[bool, str]:
    base = server.base
    email = "a" * (480 * 1024) + "@flood.test"
    body = urllib.parse.urlencode({"email": email, "password": "wrong password"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "Origin": base}
    before = server.rss_mb()
    statuses: dict[int, int] = {}
    for address in range(2, 12):
        for _ in range(21):
            status, _, _ = request(base, "POST", "/rpc/login", body, headers, source=f"127.0.0.{address}")
            statuses[status] = statuses.get(status, 0) + 1
    after = server.rss_mb()
    growth = after - before
    failures = []
    if growth > 5:
        failures.append(f"RSS grew {growth:.1f} MB")
    if set(statuses) - {422, 429}:
        failures.append(f"answers {statuses}")
    for failure in failures:
        print(f"  {failure}", flush=True)
    ok = not failures
    shown = ", ".join(f"{n} x {s}" for s, n in sorted(statuses.items()))
    return ok, (f"hostile limiter flood: {'PASS' if ok else 'FAIL'}, 10 addresses x 21 sign-ins with a 480 KB "
                f"email ({shown}): RSS {before:.0f} -> {after:.0f} MB (+{growth:.1f}, target < 5)")


def main(short: bool) -> list[tuple[bool, str]]:
    import harness  # this folder's
    work = Path(tempfile.mkdtemp(prefix="quire-flood-"))
    server = harness.Server(work / "quire.db", work / "server.log", env={
        "QUIRE_AUTH_ATTEMPTS_PER_MINUTE": "20",
        "QUIRE_WRITES_PER_MINUTE": "0",
        "QUIRE_PAGE_CACHE_MB": str(CACHE_MB),
    })
    results = []
    try:
        server.start()
        for part in (search_flood, cache_flood, limiter_flood):
            try:
                results.append(part(server, short))
            except Exception as error:  # one part's crash is that part's failure
                results.append((False, f"hostile {part.__name__}: FAIL, {type(error).__name__}: {error}"))
        if not server.alive():
            results.append((False, f"hostile floods: FAIL, the server died:\n{server.log_tail()}"))
    finally:
        server.term()
    return results
