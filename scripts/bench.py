#!/usr/bin/env python3
"""`make bench`: Quire's performance suite. Expects `make build` to have run.

1. Seeds a database of 10,000 and one of 1,000,000 articles with the release CLI (10,000
   users, Markdown bodies of 1-10 KB, 3 tags each from 500, comments, favorites, follows),
   or reuses them. They live in BENCH_DIR (default ~/.cache/quire/bench).
2. Serves both with the release binary, one server each, and drives every reading page with
   wrk at 32 connections: requests/s, p50, p99, errors. Then the same pages once more with
   the page cache off, one request at a time, for what rendering them costs. Each page is
   measured in BENCH_ROUNDS (default 3) rounds of BENCH_SECONDS (default 4) or
   BENCH_COLD_SECONDS (default 2), the pages taking turns and each page measured on both
   databases in a row, and each figure is the median of its rounds: a passing disturbance on
   a shared machine then moves one round, not the result, and a slower machine later in the
   run moves both sizes alike. Each server's peak RSS (VmHWM) is read at the end.
3. The ceiling: `quire ceiling`, a bare axum handler with a fixed body the size of the home
   page, measured with the same wrk command; every figure is also a ratio to it.
4. Writes on the 1,000,000-article database: favorite toggles, then comment posts, at 32
   connections for BENCH_WRITE_SECONDS (default 30) each, then checks that every touched
   article's favorites_count equals its favorites rows.
5. Front end: the release wasm and JS, raw, gzip and brotli; in headless Chromium, the time
   from navigation start to hydrated on an article page (median of 10 cold loads).

Prints PASS/FAIL against each target of issue 6, writes BENCH_OUT/latest.json and latest.md
(default scripts/bench/), and puts the table into README.md between its bench markers. Exits 1
when a target fails, unless BENCH_NO_FAIL=1. wrk and brotli come from Debian when missing.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import readme_block

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "quire"
HERE = ROOT / "scripts" / "bench"
DIR = Path(os.environ.get("BENCH_DIR", Path.home() / ".cache" / "quire" / "bench"))
OUT = Path(os.environ.get("BENCH_OUT", HERE))
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
COLD_SECONDS = int(os.environ.get("BENCH_COLD_SECONDS", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WRITE_SECONDS = int(os.environ.get("BENCH_WRITE_SECONDS", "30"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "10000,1000000").split(",")]
USERS = 10_000
CONNECTIONS = 32
THREADS = 2
PORT = int(os.environ.get("BENCH_PORT", "3190"))
CEILING_PORT = PORT + 9
DEMO_PASSWORD = "quire demo password"

# Targets of issue 6.
MIN_CEILING_SHARE = 0.25
MAX_P99_RATIO = 20.0
MAX_GROWTH = 1.3
MIN_TOGGLES = 2000.0
MAX_RSS_MB = 100.0
MAX_WASM_GZIP = 250 * 1024
MAX_WASM_BROTLI = 200 * 1024
MAX_FIRST_LOAD = 250 * 1024
MAX_SECOND_LOAD = 30 * 1024


def say(*parts: object) -> None:
    print(*parts, flush=True)


def ensure_tools() -> None:
    missing = [pkg for cmd, pkg in (("wrk", "wrk"), ("brotli", "brotli")) if not shutil.which(cmd)]
    if missing:
        say(f"installing {' '.join(missing)} from Debian")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


def seed(articles: int) -> Path:
    db = DIR / f"bench-{articles}.db"
    if db.exists():
        return db
    DIR.mkdir(parents=True, exist_ok=True)
    partial = DIR / f"bench-{articles}.db.partial"
    for side in ("", "-wal", "-shm"):
        Path(f"{partial}{side}").unlink(missing_ok=True)
    say(f"seeding {articles:,} articles and {USERS:,} users into {db} (reused next time)")
    env = {**os.environ, "DATABASE_URL": f"sqlite://{partial}", "RUST_LOG": "error"}
    subprocess.run(
        [BIN, "seed", "--users", str(USERS), "--articles", str(articles)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    for side in ("-wal", "-shm"):
        Path(f"{partial}{side}").unlink(missing_ok=True)
    partial.rename(db)
    return db


def get(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


class Server:
    """The release binary serving one database (or the ceiling), stopped with SIGTERM."""

    def __init__(self, args: list[str], port: int, env: dict[str, str], log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen([BIN, *args], cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 600  # a migration on a big database may take a while
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the server stopped:\n{log.read_text()[-3000:]}")
            try:
                get(self.base + ("/healthz" if args[0] == "serve" else "/"))
                return
            except OSError:
                time.sleep(0.2)
        sys.exit("the server did not start")

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        return kb / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def quire(db: Path, port: int, cache: bool) -> Server:
    env = {
        "DATABASE_URL": f"sqlite://{db}",
        "LEPTOS_SITE_ADDR": f"127.0.0.1:{port}",
        "QUIRE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        # The benchmark signs in a few times a minute from one address.
        "QUIRE_AUTH_ATTEMPTS_PER_MINUTE": "1000",
        # The write benchmark is thousands of writes a second from one address: no write limit.
        "QUIRE_WRITES_PER_MINUTE": "0",
        # Rendered searches are timed one after another from one address: no search limit.
        "QUIRE_SEARCHES_PER_MINUTE": "0",
        # Request lines are logged as in production, to a file.
        "RUST_LOG": os.environ.get("BENCH_RUST_LOG", "info"),
    }
    if not cache:
        env["QUIRE_PAGE_CACHE_MB"] = "0"
    return Server(["serve"], port, env, DIR / f"server-{db.stem}.log")


def wrk(url: str, seconds: int, connections: int = CONNECTIONS, threads: int = THREADS,
        headers: dict[str, str] | None = None, script: Path = HERE / "report.lua",
        env: dict[str, str] | None = None) -> dict:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    done = subprocess.run(args + [url], capture_output=True, text=True, check=True,
                          env={**os.environ, "BENCH_REPORT": str(HERE / "report.lua"), **(env or {})})
    line = next(l for l in done.stdout.splitlines() if l.startswith("BENCH "))
    r = json.loads(line[len("BENCH "):])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


Pages = list[tuple[str, str, dict[str, str]]]


def rounds(sides: list[tuple[str, Pages]], seconds: int, **kw) -> list[dict]:
    """Every page of every side (a server's base address and its pages, the same names on each
    side) for `seconds`, ROUNDS times, after a 1 s warm-up each. Within a round the pages take
    turns, and each page is measured on every side in a row, the sides in turn going first: a
    change in the machine's speed over the minutes of a run then moves the sides alike, and
    their ratio stays true. Per side and page: the median of the rounds' requests/s, p50 and
    p99, and all their errors."""
    for base, pages in sides:
        for _, path, headers in pages:
            wrk(base + path, 1, headers=headers, **kw)
    runs: list[dict[str, list[dict]]] = [{name: [] for name, _, _ in pages} for _, pages in sides]
    for turn in range(ROUNDS):
        for i in range(len(sides[0][1])):
            order = list(range(len(sides)))
            for s in order[turn % len(order):] + order[:turn % len(order)]:
                base, pages = sides[s]
                name, path, headers = pages[i]
                runs[s][name].append(wrk(base + path, seconds, headers=headers, **kw))
    return [
        {
            name: {
                "rps": statistics.median(r["rps"] for r in rs),
                "p50_us": statistics.median(r["p50_us"] for r in rs),
                "p99_us": statistics.median(r["p99_us"] for r in rs),
                "errors": sum(r["errors"] for r in rs),
                "requests": sum(r["requests"] for r in rs),
                "rounds": rs,
            }
            for name, rs in side.items()
        }
        for side in runs
    ]


def sign_in(base: str, email: str) -> str:
    """A session cookie for `email`, through the sign-in form as a browser without JS posts it."""
    body = urllib.parse.urlencode({"email": email, "password": DEMO_PASSWORD}).encode()
    request = urllib.request.Request(base + "/rpc/login", data=body, headers={"Origin": base, "Accept": "application/json"})

    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # keep the first answer's cookie
            return None

    opener = urllib.request.build_opener(Keep)
    try:
        response = opener.open(request, timeout=60)
        headers = response.headers
    except urllib.error.HTTPError as error:
        headers = error.headers
    cookie = headers.get("Set-Cookie", "")
    if not cookie:
        sys.exit(f"signing in as {email} gave no cookie")
    return cookie.split(";", 1)[0]


def api_token(base: str, email: str) -> str:
    body = json.dumps({"user": {"email": email, "password": DEMO_PASSWORD}}).encode()
    status, answer, _ = get(base + "/api/users/login", {"Content-Type": "application/json"}, body)
    if status != 200:
        sys.exit(f"API sign-in failed: {status} {answer[:200]!r}")
    return json.loads(answer)["user"]["token"]


def targets(db: Path, base: str) -> list[tuple[str, str, dict[str, str]]]:
    """The pages of issue 6 on this database: (name, path, headers)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        tag = c.execute("select name from tags order by articles_count desc, name limit 1").fetchone()[0]
        author = c.execute("select username from users order by articles_count desc, id limit 1").fetchone()[0]
        total = c.execute("select articles from article_stats").fetchone()[0]
        # An article from the middle of the archive, with its comments.
        slug = c.execute(
            "select slug from articles where id >= (select min(id) + $1 from articles) order by id limit 1",
            (total // 2,),
        ).fetchone()[0]
        # A reader who follows a handful of authors: their home page is personal.
        reader = c.execute(
            "select u.email from users u where exists (select 1 from follows f where f.follower_id = u.id) order by u.id limit 1"
        ).fetchone()[0]
    cookie = sign_in(base, reader)
    return [
        ("/", "/", {}),
        ("/?page=500", "/?page=500", {}),
        ("/tag/<popular>", f"/tag/{tag}", {}),
        ("/profile/<prolific>", f"/profile/{author}", {}),
        ("/article/<slug>", f"/article/{slug}", {}),
        ("/search?q=rust", "/search?q=rust", {}),
        ("/api/articles?limit=20", "/api/articles?limit=20", {}),
        ("/api/articles?tag=<popular>", f"/api/articles?tag={tag}", {}),
        # As browsers ask: the page cache's gzip copy, the reader's nonce spliced in.
        ("/ gzip", "/", {"Accept-Encoding": "gzip, deflate, br"}),
        ("/article/<slug> gzip", f"/article/{slug}", {"Accept-Encoding": "gzip, deflate, br"}),
        ("/ signed in", "/", {"Cookie": cookie}),
    ]


def check_pages(base: str, pages: list[tuple[str, str, dict[str, str]]]) -> None:
    for name, path, headers in pages:
        status, body, _ = get(base + path, headers)
        if status != 200:
            sys.exit(f"{name} ({path}) answered {status}: {body[:300]!r}")
    # The signed-in page really is signed in.
    _, body, _ = get(base + "/", pages[-1][2])
    if b'href="/settings"' not in body:
        sys.exit("the signed-in home page does not show a signed-in navbar")


def read_pass(dbs: list[Path]) -> list[dict]:
    """Every database served at once, each by its own server, measured in the same rounds."""
    sizes = " and ".join(f"{n:,}" for n in SIZES)
    say(f"\n== {sizes} articles: reading pages, 32 connections, {ROUNDS} rounds of {SECONDS} s each")
    servers = [quire(db, PORT + i, cache=True) for i, db in enumerate(dbs)]
    try:
        sides = [(server.base, targets(db, server.base)) for server, db in zip(servers, dbs)]
        for base, pages in sides:
            check_pages(base, pages)
        home_bytes = [len(get(base + "/")[1]) for base, _ in sides]
        served = rounds(sides, SECONDS)
        rss = [server.peak_rss_mb() for server in servers]
    finally:
        for server in servers:
            server.stop()
    for articles, results, peak, size in zip(SIZES, served, rss, home_bytes):
        say(f"  at {articles:,} articles")
        for name, r in results.items():
            say(f"  {name:<30} {r['rps']:>9,.0f} req/s  p50 {r['p50_us'] / 1000:6.2f} ms  p99 {r['p99_us'] / 1000:6.2f} ms  errors {r['errors']}")
        say(f"  peak RSS {peak:.1f} MB; home page {size:,} bytes")

    say(f"== {sizes} articles: the same pages rendered (page cache off), 1 connection, {ROUNDS} rounds of {COLD_SECONDS} s each")
    servers = [quire(db, PORT + i, cache=False) for i, db in enumerate(dbs)]
    try:
        sides = [(server.base, targets(db, server.base)) for server, db in zip(servers, dbs)]
        rendered = rounds(sides, COLD_SECONDS, connections=1, threads=1)
        cold_rss = [server.peak_rss_mb() for server in servers]
    finally:
        for server in servers:
            server.stop()
    for articles, cold in zip(SIZES, rendered):
        say(f"  at {articles:,} articles")
        for name, r in cold.items():
            say(f"  {name:<30} p50 {r['p50_us'] / 1000:7.2f} ms  p99 {r['p99_us'] / 1000:7.2f} ms  ({r['rps']:,.0f} req/s)  errors {r['errors']}")
    return [
        {"articles": articles, "home_bytes": size, "pages": results, "rendered": cold,
         "peak_rss_mb": peak, "rendered_peak_rss_mb": cold_peak,
         "paths": {name: path for name, path, _ in pages}}
        for articles, size, results, cold, peak, cold_peak, (_, pages)
        in zip(SIZES, home_bytes, served, rendered, rss, cold_rss, sides)
    ]


def ceiling(body_bytes: int) -> dict:
    say(f"\n== ceiling: a bare axum handler, {body_bytes:,} bytes, 32 connections, {ROUNDS} rounds of {SECONDS} s")
    server = Server(["ceiling", "--addr", f"127.0.0.1:{CEILING_PORT}", "--bytes", str(body_bytes)],
                    CEILING_PORT, {}, DIR / "ceiling.log")
    try:
        r = rounds([(server.base, [("ceiling", "/", {})])], SECONDS)[0]["ceiling"]
    finally:
        server.stop()
    say(f"  {r['rps']:,.0f} req/s  p50 {r['p50_us'] / 1000:.2f} ms  p99 {r['p99_us'] / 1000:.2f} ms  errors {r['errors']}")
    return r


def write_pass(db: Path) -> dict:
    say(f"\n== writes on {db.name}: 32 connections, {WRITE_SECONDS} s each")
    server = quire(db, PORT, cache=True)
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            email = c.execute("select email from users order by id desc limit 1").fetchone()[0]
            slugs = [row[0] for row in c.execute("select slug from articles order by id desc limit 2000")]
        slug_file = DIR / "bench-slugs.txt"
        slug_file.write_text("\n".join(slugs) + "\n")
        token = api_token(server.base, email)
        env = {"BENCH_SLUGS": str(slug_file), "BENCH_TOKEN": token}
        out = {}
        for mode in ("favorite", "comment"):
            r = wrk(server.base + "/", WRITE_SECONDS, script=HERE / "writes.lua", env={**env, "BENCH_WRITE": mode})
            out[mode] = r
            say(f"  {mode + ' ' + ('toggles' if mode == 'favorite' else 'posts'):<18} {r['rps']:>8,.0f} ops/s  p50 {r['p50_us'] / 1000:6.2f} ms  p99 {r['p99_us'] / 1000:6.2f} ms  errors {r['errors']}")
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        wrong = c.execute(
            "select count(*) from articles a where a.id in (select id from articles order by id desc limit 2000) "
            "and a.favorites_count <> (select count(*) from favorites f where f.article_id = a.id)"
        ).fetchone()[0]
    say(f"  favorites_count equal to the favorites rows on all 2,000 touched articles: {'yes' if wrong == 0 else f'NO ({wrong} differ)'}")
    out["counts_consistent"] = wrong == 0
    out["peak_rss_mb"] = rss
    return out


def front_end(db: Path) -> dict:
    say("\n== front end")
    pkg = ROOT / "target" / "site" / "pkg"
    sizes = {}
    for f in sorted(pkg.iterdir()):
        if f.suffix not in (".wasm", ".js"):
            continue
        raw = f.read_bytes()
        br = subprocess.run(["brotli", "-c", "-q", "11", str(f)], capture_output=True, check=True).stdout
        sizes[f.name] = {"raw": len(raw), "gzip": len(gzip.compress(raw, 9)), "brotli": len(br)}
        say(f"  {f.name:<14} {len(raw):>9,} bytes raw  {sizes[f.name]['gzip']:>8,} gzip  {len(br):>8,} brotli")
    server = quire(db, PORT, cache=True)
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            slug = c.execute("select slug from articles order by id desc limit 1").fetchone()[0]
            reader = c.execute("select email from users order by id limit 1").fetchone()[0]
        done = subprocess.run(["node", str(HERE / "hydration.cjs"), f"{server.base}/article/{slug}", "10"],
                              capture_output=True, text=True, check=True)
        hydration = json.loads(done.stdout.strip().splitlines()[-1])
        done = subprocess.run(["node", str(HERE / "wire.cjs"), server.base, f"/article/{slug}", sign_in(server.base, reader)],
                              capture_output=True, text=True, check=True)
        wire = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
    say(f"  article page, navigation start to hydrated: median {hydration['hydrated_ms']} ms of {hydration['runs']} cold loads "
        f"(response end {hydration['response_end_ms']} ms, DOMContentLoaded {hydration['dom_content_loaded_ms']} ms)")
    for who, loads in wire.items():
        first, second = loads["first"], loads["second"]
        parts = ", ".join(f"{t} {b:,}" for t, b in sorted(first["by_type"].items()))
        say(f"  {who.replace('_', ' ')}: first article load {first['total']:,} bytes on the wire ({parts}); "
            f"then a full load of / {second['total']:,} bytes "
            f"({sum(1 for f in second['files'] if f['cached'])} files from the browser's cache)")
    return {"sizes": sizes, "hydration": hydration, "wire": wire}


def verdicts(small: dict, big: dict, top: dict, writes: dict | None, fe: dict) -> list[dict]:
    checks = []

    def check(target: str, ok: bool, measured: str) -> None:
        checks.append({"target": target, "pass": ok, "measured": measured})

    for name, r in big["pages"].items():
        share = r["rps"] / top["rps"]
        p99 = r["p99_us"] / max(top["p99_us"], 1)
        check(f"{name} at 1M: >= 25% of the ceiling's throughput", share >= MIN_CEILING_SHARE,
              f"{share:.0%} ({r['rps']:,.0f} / {top['rps']:,.0f} req/s)")
        check(f"{name} at 1M: p99 <= 20x the ceiling's", p99 <= MAX_P99_RATIO,
              f"{p99:.1f}x ({r['p99_us'] / 1000:.2f} / {top['p99_us'] / 1000:.2f} ms)")
        check(f"{name} at 1M: no errors", r["errors"] == 0, f"{r['errors']} errors")
        for kind, label in (("pages", "served"), ("rendered", "rendered")):
            a, b = small[kind][name]["p50_us"], big[kind][name]["p50_us"]
            growth = b / max(a, 1)
            check(f"{name} {label}: median at 1M <= 1.3x at 10k", growth <= MAX_GROWTH,
                  f"{growth:.2f}x ({b / 1000:.2f} / {a / 1000:.2f} ms)")
    if writes is not None:
        fav = writes["favorite"]
        check("favorite toggles >= 2,000/s, no errors", fav["rps"] >= MIN_TOGGLES and fav["errors"] == 0,
              f"{fav['rps']:,.0f}/s, {fav['errors']} errors")
        com = writes["comment"]
        check("comment posts: no errors", com["errors"] == 0, f"{com['rps']:,.0f}/s, {com['errors']} errors")
        check("favorite counts equal their rows after the writes", writes["counts_consistent"],
              "equal" if writes["counts_consistent"] else "differ")
    rss = max(big["peak_rss_mb"], writes["peak_rss_mb"] if writes else 0)
    check("peak RSS under load at 1M <= 100 MB", rss <= MAX_RSS_MB, f"{rss:.1f} MB")
    wasm = next(v for k, v in fe["sizes"].items() if k.endswith(".wasm"))
    check("wasm <= 250 KB gzip", wasm["gzip"] <= MAX_WASM_GZIP, f"{wasm['gzip'] / 1024:.1f} KB gzip")
    check("wasm <= 200 KB brotli", wasm["brotli"] <= MAX_WASM_BROTLI, f"{wasm['brotli'] / 1024:.1f} KB brotli")
    for who, loads in fe["wire"].items():
        label = who.replace("_", " ")
        first, second = loads["first"]["total"], loads["second"]["total"]
        check(f"first article load, {label}: <= 250 KB on the wire", first <= MAX_FIRST_LOAD, f"{first / 1024:.1f} KB")
        if who == "signed_in":
            check("second full page load, signed in: <= 30 KB on the wire", second <= MAX_SECOND_LOAD,
                  f"{second / 1024:.1f} KB")
    return checks


def markdown(small: dict, big: dict, top: dict, writes: dict | None, fe: dict, checks: list[dict], machine: str) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {machine} with `make bench` (wrk, {CONNECTIONS} connections, "
        f"{THREADS} threads; each figure the median of {ROUNDS} rounds of {SECONDS} s per page, the pages taking turns; "
        f"\"rendered\" is the same page with the page cache off, one connection, {ROUNDS} rounds of {COLD_SECONDS} s). Ceiling: a bare axum handler returning {big['home_bytes']:,} bytes: "
        f"**{top['rps']:,.0f} req/s**, p99 {top['p99_us'] / 1000:.2f} ms.",
        "",
        "| Page | req/s at 10k | req/s at 1M | share of ceiling | p99 at 1M | p99 / ceiling | rendered p50 at 10k | rendered p50 at 1M | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in big["pages"]:
        s, b = small["pages"][name], big["pages"][name]
        rs, rb = small["rendered"][name], big["rendered"][name]
        lines.append(
            f"| `{name}` | {s['rps']:,.0f} | {b['rps']:,.0f} | {b['rps'] / top['rps']:.0%} | {b['p99_us'] / 1000:.2f} ms | "
            f"{b['p99_us'] / max(top['p99_us'], 1):.1f}× | {rs['p50_us'] / 1000:.2f} ms | {rb['p50_us'] / 1000:.2f} ms | {b['errors'] + s['errors']} |"
        )
    lines.append("")
    if writes is not None:
        lines.append(
            f"Writes at 1M articles, 32 connections, {WRITE_SECONDS} s each: **{writes['favorite']['rps']:,.0f} favorite toggles/s** "
            f"(p99 {writes['favorite']['p99_us'] / 1000:.1f} ms, {writes['favorite']['errors']} errors), "
            f"**{writes['comment']['rps']:,.0f} comment posts/s** (p99 {writes['comment']['p99_us'] / 1000:.1f} ms, "
            f"{writes['comment']['errors']} errors). Peak server RSS: {big['peak_rss_mb']:.1f} MB reading, "
            f"{writes['peak_rss_mb']:.1f} MB writing (10k: {small['peak_rss_mb']:.1f} MB)."
        )
        lines.append("")
    sizes = ", ".join(f"`{k}` {v['raw'] / 1024:,.0f} KB raw / {v['gzip'] / 1024:,.0f} KB gzip / {v['brotli'] / 1024:,.0f} KB brotli"
                      for k, v in fe["sizes"].items())
    h = fe["hydration"]
    lines.append(f"Front end: {sizes}. Article page in headless Chromium, navigation start to hydrated: "
                 f"**{h['hydrated_ms']} ms** (median of {h['runs']} cold loads; response end {h['response_end_ms']} ms).")
    lines.append("")
    w = fe["wire"]
    lines.append("Bytes on the wire in headless Chromium (accepts br; headers included): " + "; ".join(
        f"{who.replace('_', ' ')}, a first article load **{loads['first']['total'] / 1024:,.1f} KB** with an empty cache, "
        f"then a full load of `/` **{loads['second']['total'] / 1024:,.1f} KB**"
        for who, loads in w.items()) + ".")
    lines.append("")
    passed = sum(c["pass"] for c in checks)
    lines.append(f"Targets: {passed} of {len(checks)} pass.")
    failed = [c for c in checks if not c["pass"]]
    for c in failed:
        lines.append(f"- FAIL: {c['target']}: {c['measured']}")
    return "\n".join(lines) + "\n"


def main() -> int:
    if not BIN.exists():
        sys.exit("no release binary: run `make build` first")
    ensure_tools()
    small_db, big_db = (seed(n) for n in SIZES)
    small, big = read_pass([small_db, big_db])
    top = ceiling(big["home_bytes"])
    writes = write_pass(big_db) if WRITE_SECONDS > 0 else None
    fe = front_end(small_db)
    checks = verdicts(small, big, top, writes, fe)
    say("\n== targets")
    for c in checks:
        say(f"  {'PASS' if c['pass'] else 'FAIL'}  {c['target']}: {c['measured']}")
    machine = f"{os.cpu_count()} cores"
    table = markdown(small, big, top, writes, fe, checks, machine)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "latest.json").write_text(json.dumps(
        {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine,
         "connections": CONNECTIONS, "seconds": SECONDS, "cold_seconds": COLD_SECONDS, "rounds": ROUNDS, "ceiling": top, "small": small, "big": big,
         "writes": writes, "front_end": fe, "targets": checks}, indent=2) + "\n")
    (OUT / "latest.md").write_text(table)
    readme_block.replace("bench", table)
    say(f"\nwrote {OUT / 'latest.json'} and {OUT / 'latest.md'}")
    failed = [c for c in checks if not c["pass"]]
    say(f"targets: {len(checks) - len(failed)} of {len(checks)} pass")
    return 1 if failed and os.environ.get("BENCH_NO_FAIL") != "1" else 0


if __name__ == "__main__":
    sys.exit(main())
