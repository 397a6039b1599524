#!/usr/bin/env python3
"""Part 5 of the reliability suite: hostile input against a running Quire (release build).

    python3 scripts/reliability/hostile.py --base http://127.0.0.1:3000 --db data/quire.db [--short]

`scripts/reliability.py` calls `main(base_url, db_path, short, server_pid)` on a seeded server
started with QUIRE_AUTH_ATTEMPTS_PER_MINUTE=0, QUIRE_WRITES_PER_MINUTE=0,
QUIRE_SEARCHES_PER_MINUTE=0, QUIRE_PREVIEWS_PER_MINUTE=0 and QUIRE_COMMON_PASSWORDS=off (start
one the same way to run this file on its own; `--pid` lets it measure the server's memory). Seven
parts, one summary line each (the floods three), and the exit status is 1 when any part fails:

1. schemathesis  The RealWorld contract (../shared/realworld/openapi.yml) against `/api`, with a
                 freshly registered user's token, bounded examples per operation and a fixed
                 seed. Passes with zero `not_a_server_error` failures and no failure of the other
                 checks that are run; the checks left out are listed in EXCLUDED_CHECKS with the
                 reason. schemathesis is installed into ~/.cache/quire/venv when missing
                 (python3-venv from apt first, when the venv module is missing).
2. server-fn fuzz  Random form bodies for every `/rpc/<name>` listed in src/server/*.rs: valid,
                 missing and extra keys, nesting deeper than 5, `%FF`, 10^30, repeated (and long
                 repeated) keys,
                 strings past the 512 KB body limit, U+0000, other content types; with and without
                 a session cookie, always with `Origin: <base>`. Passes when every answer is
                 below 500, no connection is reset, the server answers /healthz throughout, and
                 the anonymous calls changed no row of any table (counted in SQLite before and
                 after; `register` and `login` are left out of that phase, since creating an
                 account or a session is what they are for when called without one).
3. limits        security.md §3.5(e) on the release binary, with time: oversized bodies, 10,000
                 and 40,000 tags, U+0000, invalid UTF-8, huge and negative `limit`/`offset`/
                 `page`, deep pages, and the Markdown parser's pathological inputs. Each gets the
                 expected status and answers within 1 s.
4. markdown      security.md §0b: ten 64 KB bodies that the HTML parser behind the sanitiser
                 would make into millions of elements (the outside test's `<p><b title=N></p>`,
                 its variants, a padded table), each twice through the preview, the editor's
                 publish and save, and the API's create and update. Each must be a 422 naming
                 the body within 100 ms, and nothing stored. The server's RSS may grow 64 MB at
                 most in the first round (the two rendering threads keep the memory of their
                 largest render) and 8 MB in the second (the outside test measured 85 MB ->
                 1.76 GB for one such body, 1.47 GB kept).
5. revocation    security.md §0b: a server of its own with a 4 s idle timeout (an active
                 session is then rewritten every second), and rounds of 24 page loads of one
                 session in flight across "sign out everywhere" or `quire user reset-password`
                 run from another process. No session row of the user may be left, and the old
                 cookie must be refused a second later.
6. xss           The payloads of security.md §1.7 test 1 (the title
                 `</title></textarea><script>window.__x=1</script>` and eight bodies) written
                 through the REST API and through the `save_article` server function (and as a
                 description, tag, comment and bio), then `xss.cjs` opens /article/<slug>,
                 /editor/<slug> (signed in as the author), the author's profile, the tag page, a
                 search and the home page in headless Chromium: with JavaScript off (the
                 server's HTML as parsed) and on (after hydration). Passes when no script ran
                 (`window.__x` stays undefined, no dialog), no `<script>` lacks the nonce, no
                 `on*` attribute, no javascript:/data: URL and the title reads as the literal
                 text; CSP violations are counted, and must be zero on normal pages once the
                 server sends a Content-Security-Policy.

7. floods       flood.py: the loads of the outside re-test of c0dd389 (issue 32) on a server
                 of its own: searches over articles of one word repeated (CPU per search,
                 /healthz and an uncached page while 16 run at once), 6,000 padded addresses
                 against the page cache, and 480 KB emails against the sign-in limiter (RSS).

Standard library only (schemathesis runs in its own venv, the browser through Node and
end2end/node_modules/playwright-core with Debian's chromium). Every loop is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = Path.home() / ".cache" / "quire" / "venv"
SCHEMATHESIS = "schemathesis>=4.32,<5"
SEED = 20261122
PASSWORD = "hostile input password"

# schemathesis checks we do not run, and why. Everything else (`--checks all`) must pass; with
# `--checks all` these two are the only ones that fail, for the reasons given.
EXCLUDED_CHECKS = {
    # ST202. The contract gives no lengths, formats or character rules, so values it allows are
    # refused by Quire's own rules with a 422 naming the field: a title of 10,000 characters,
    # U+0000, a malformed email, a body nested 10,000 deep, an offset past 2^63 - 1, following
    # or unfollowing yourself.
    "positive_data_acceptance": "Quire's validation is stricter than the contract's schema",
    # ST103. Quire also answers 400 (a body that is not UTF-8, an unreadable path), 413 (a body
    # over 256 KB) and 415 (not JSON), which the contract does not list; README documents them.
    "status_code_conformance": "400, 413 and 415 are Quire's documented answers the contract omits",
}


# ---------------------------------------------------------------------------------------------
# HTTP

class Reset(Exception):
    """The connection broke before an answer came (reset, closed, timed out)."""


def request(base: str, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes, float]:
    """One request on a fresh connection: (status, lower-cased headers, body, seconds)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        hdrs = {k.lower(): v for k, v in response.getheaders()}
        return response.status, hdrs, data, time.monotonic() - started
    except (ConnectionError, http.client.HTTPException, TimeoutError, OSError) as error:
        raise Reset(f"{type(error).__name__}: {error}") from error
    finally:
        conn.close()


def api(base: str, method: str, path: str, payload=None, token: str | None = None,
        raw: bytes | None = None) -> tuple[int, dict, float]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = raw
    if payload is not None:
        body = json.dumps(payload, separators=(",", ":")).encode()
    if body is not None:
        headers["Content-Type"] = "application/json"
    status, _, data, took = request(base, method, path, body, headers)
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {"raw": data[:200].decode("utf-8", "replace")}
    return status, parsed, took


def rpc(base: str, name: str, body: bytes, cookie: str | None = None,
        content_type: str = "application/x-www-form-urlencoded") -> tuple[int, dict[str, str], bytes, float]:
    headers = {"Content-Type": content_type, "Accept": "application/json", "Origin": base}
    if cookie:
        headers["Cookie"] = cookie
    return request(base, "POST", f"/rpc/{name}", body, headers)


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def session_cookie(headers: dict[str, str]) -> str | None:
    value = headers.get("set-cookie", "")
    match = re.search(r"((?:__Host-)?quire=[^;]+)", value)
    return match.group(1) if match else None


def register_api(base: str, name: str) -> str:
    status, body, _ = api(base, "POST", "/api/users",
                          {"user": {"username": name, "email": f"{name}@hostile.test", "password": PASSWORD}})
    if status != 201:
        raise RuntimeError(f"could not register {name} through the API: {status} {body}")
    return body["user"]["token"]


def login_rpc(base: str, name: str) -> str:
    status, headers, data, _ = rpc(base, "login", form(email=f"{name}@hostile.test", password=PASSWORD))
    cookie = session_cookie(headers)
    if status >= 400 or not cookie:
        raise RuntimeError(f"could not sign {name} in: {status} {data[:200]!r}")
    return cookie


def alive(base: str) -> bool:
    try:
        status, _, _, _ = request(base, "GET", "/healthz", timeout=10)
        return status in (200, 503)
    except Reset:
        return False


def n(x: int) -> str:
    return f"{x:,}"


def say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------------------------------------
# 1. schemathesis

def contract() -> Path:
    shared = ROOT.parent / "shared" / "realworld" / "openapi.yml"
    return shared if shared.exists() else ROOT / "src" / "api" / "openapi.yml"


def ensure_schemathesis() -> Path:
    """The `st` command of the venv, installed into it when missing."""
    st = VENV / "bin" / "st"
    if st.exists():
        return st
    python = shutil.which("python3") or sys.executable
    if subprocess.run([python, "-c", "import ensurepip, venv"], capture_output=True).returncode != 0:
        say("  installing python3-venv (apt)")
        subprocess.run("apt-get update -qq && apt-get install -y -qq python3-venv", shell=True, check=True,
                       stdout=subprocess.DEVNULL)
    say(f"  installing {SCHEMATHESIS} into {VENV}")
    VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", SCHEMATHESIS], check=True)
    return st


def schemathesis(base: str, short: bool, work: Path) -> tuple[bool, str]:
    try:
        st = ensure_schemathesis()
    except (subprocess.CalledProcessError, OSError) as error:
        return False, f"hostile schemathesis: FAIL, could not install schemathesis ({error})"
    token = register_api(base, f"st{random.Random().randrange(10**9)}")
    report = work / "schemathesis.ndjson"
    examples = 15 if short else 100
    args = [
        str(st), "run", str(contract()), "--url", f"{base}/api",
        "--header", f"Authorization: Token {token}",
        "--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS),
        "--max-examples", str(examples), "--seed", str(SEED), "--workers", "1",
        "--request-timeout", "10", "--no-color",
        "--report", "ndjson", "--report-ndjson-path", str(report),
    ]
    if short:
        args += ["--phases", "examples,coverage,fuzzing"]
    started = time.monotonic()
    # In the work folder, which takes schemathesis's own `.schemathesis/` cache too.
    run = subprocess.run(args, capture_output=True, text=True, timeout=1800, cwd=work)
    took = time.monotonic() - started
    (work / "schemathesis.log").write_text(run.stdout + run.stderr)
    requests, operations, failures = read_report(report)
    server_errors = failures.get("not_a_server_error", 0)
    others = {k: v for k, v in failures.items() if k != "not_a_server_error"}
    ok = run.returncode == 0 and server_errors == 0 and not others and requests > 0
    detail = ""
    if others:
        detail = ", other failures: " + ", ".join(f"{k} {v}" for k, v in sorted(others.items()))
    if not ok and run.returncode != 0 and not failures:
        tail = (run.stdout + run.stderr).strip().splitlines()[-3:]
        detail += f" (st exited {run.returncode}: {' | '.join(tail)})"
    if not ok:
        detail += f"; see {work / 'schemathesis.log'}"
    line = (f"hostile schemathesis: {'PASS' if ok else 'FAIL'}, {n(requests)} requests over {operations} "
            f"operations in {took:.0f} s, {server_errors} server errors{detail} "
            f"({len(EXCLUDED_CHECKS)} checks excluded, see hostile.py)")
    return ok, line


def read_report(path: Path) -> tuple[int, int, dict[str, int]]:
    """Requests sent, operations tested, and failures by check, from schemathesis's NDJSON."""
    requests, operations, failures = 0, set(), {}
    if not path.exists():
        return 0, 0, {}
    for line in path.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for name, data in event.items():
            if name != "ScenarioFinished" or not isinstance(data, dict):
                continue
            recorder = data.get("recorder") or {}
            label = recorder.get("label")
            if label:
                operations.add(label)
            for interactions in (recorder.get("interactions") or {}).values():
                requests += 1 if interactions else 0
            for checks in (recorder.get("checks") or {}).values():
                for check in checks:
                    if str(check.get("status")).lower() == "failure":
                        failures[check["name"]] = failures.get(check["name"], 0) + 1
    return requests, len(operations), failures


# ---------------------------------------------------------------------------------------------
# 2. The server-function fuzzer

SERVER_FN = re.compile(r'#\[server\(prefix = "/rpc", endpoint = "(\w+)"\)\]\s*pub async fn \w+\((.*?)\)\s*->',
                       re.S)


def server_functions() -> dict[str, list[tuple[str, str]]]:
    """Each `/rpc/<name>` of src/server/*.rs with its arguments (name, Rust type)."""
    found = {}
    for path in sorted((ROOT / "src" / "server").glob("*.rs")):
        for name, args in SERVER_FN.findall(path.read_text()):
            params = []
            for arg in re.sub(r"#\[[^\]]*\]", "", args).split(","):
                if ":" in arg:
                    key, kind = arg.split(":", 1)
                    params.append((key.strip(), kind.strip()))
            found[name] = params
    return found


def plausible(rng: random.Random, kind: str) -> str:
    if kind == "bool":
        return rng.choice(["true", "false"])
    if kind in ("u32", "i64", "u64", "usize"):
        return str(rng.choice([0, 1, 2, 7, 1000]))
    if kind == "TableParams":
        return ""
    return rng.choice(["", "alice", "rust", "global", "tag", "a-slug", "hello world", "x" * 40])


def hostile_value(rng: random.Random) -> bytes:
    """A percent-encoded value meant to hurt."""
    choice = rng.randrange(12)
    if choice == 0:
        return b"%FF%FE%FD"
    if choice == 1:
        return b"1" + b"0" * 30
    if choice == 2:
        return b"-" + b"9" * rng.randint(10, 40)
    if choice == 3:
        return b"a%00b"
    if choice == 4:
        return urllib.parse.quote("x" * rng.choice([5_000, 70_000, 300_000, 600_000])).encode()
    if choice == 5:
        return b"%"
    if choice == 6:
        return urllib.parse.quote("</title><script>window.__x=1</script>").encode()
    if choice == 7:
        return urllib.parse.quote(">" * 20_000).encode()
    if choice == 8:
        return urllib.parse.quote(",".join(f"t{i}" for i in range(10_000))).encode()
    if choice == 9:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    if choice == 10:
        return b"1.5e400"
    return urllib.parse.quote("\u202e\u0301🦀" * 50).encode()


def fuzz_body(rng: random.Random, params: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A form body for a function with `params`, and the content type to send it with."""
    pairs: list[tuple[bytes, bytes]] = [(k.encode(), urllib.parse.quote(plausible(rng, t)).encode())
                                        for k, t in params]
    for _ in range(rng.randint(1, 3)):
        move = rng.randrange(9)
        if move == 0 and pairs:  # a missing key
            pairs.pop(rng.randrange(len(pairs)))
        elif move == 1:  # an extra key
            pairs.append((rng.choice([b"extra", b"__proto__", b"%FF", b"", b"a%00"]), hostile_value(rng)))
        elif move == 2 and pairs:  # nested deeper than serde_qs's 5 levels
            key, value = pairs.pop(rng.randrange(len(pairs)))
            pairs.append((key + b"".join(b"[" + bytes([97 + i]) + b"]" for i in range(rng.randint(1, 9))), value))
        elif move == 3 and pairs:  # a repeated key
            key, _ = rng.choice(pairs)
            pairs.append((key, hostile_value(rng)))
        elif move in (4, 5, 6) and pairs:  # a hostile value
            i = rng.randrange(len(pairs))
            pairs[i] = (pairs[i][0], hostile_value(rng))
        elif move == 7:  # a key of its own kind of nonsense, or a long one twice
            if rng.random() < 0.1:
                key = b"k" * rng.choice([1_000, 100_000])
                pairs += [(key, b"1"), (key, b"2")]
            else:
                pairs.append((rng.choice([b"[]", b"a[", b"a]]", b"a[][]", b"=", b"&&"]), b"1"))
        # move 8: leave it valid-looking
    rng.shuffle(pairs)
    body = b"&".join(k + b"=" + v for k, v in pairs)
    kind = rng.random()
    if kind < 0.05:
        return body, "text/plain"
    if kind < 0.10:
        return json.dumps({k: "x" for k, _ in params}).encode(), "application/json"
    if kind < 0.12:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 200))), "application/x-www-form-urlencoded"
    return body, "application/x-www-form-urlencoded"


def count_rows(db_path: str) -> dict[str, int]:
    c = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        tables = [r[0] for r in c.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")]
        counts = {}
        for table in tables:
            try:
                counts[table] = c.execute(f'select count(*) from "{table}"').fetchone()[0]
            except sqlite3.Error:  # a virtual table whose module this sqlite3 lacks
                continue
        return counts
    finally:
        c.close()


class FuzzTally:
    def __init__(self) -> None:
        self.bodies = 0
        self.server_errors: list[str] = []
        self.resets: list[str] = []
        self.by_status: dict[int, int] = {}
        self.deaths = 0

    def send(self, base: str, name: str, body: bytes, content_type: str, cookie: str | None) -> int | None:
        self.bodies += 1
        try:
            status, _, data, _ = rpc(base, name, body, cookie, content_type)
        except Reset as error:
            self.resets.append(f"{name} ({len(body)} bytes, cookie={bool(cookie)}): {error}")
            return None
        self.by_status[status] = self.by_status.get(status, 0) + 1
        if status >= 500:
            self.server_errors.append(
                f"{status} /rpc/{name} ({n(len(body))} bytes, cookie={bool(cookie)}) {body[:80]!r} -> {data[:120]!r}")
        return status


def fuzz(base: str, db_path: str, short: bool) -> tuple[bool, str]:
    functions = server_functions()
    if not functions:
        return False, "hostile server-fn fuzz: FAIL, found no server functions in src/server/*.rs"
    rng = random.Random(SEED)
    total = 400 if short else 2_000
    anonymous_share = total // 2
    tally = FuzzTally()

    # Phase A: no cookie, every function that should change nothing without a session.
    quiet = sorted(name for name in functions if name not in ("register", "login"))
    before = count_rows(db_path)
    for i in range(anonymous_share):
        name = rng.choice(quiet)
        body, content_type = fuzz_body(rng, functions[name])
        tally.send(base, name, body, content_type, None)
        if i % 100 == 99 and not alive(base):
            tally.deaths += 1
            break
    after = count_rows(db_path)
    changed = {t: (before.get(t), after.get(t)) for t in set(before) | set(after) if before.get(t) != after.get(t)}

    # Phase B: with a session (renewed when a call ends it or changes the account), and the
    # sign-up and sign-in functions without one.
    users = 0

    run_id = random.Random().randrange(10**6)  # names differ between runs on one database

    def fresh_session() -> str:
        nonlocal users
        users += 1
        name = f"fz{run_id}x{users}"
        register_api(base, name)
        return login_rpc(base, name)

    cookie = fresh_session()
    names = sorted(functions)
    for i in range(total - anonymous_share):
        name = rng.choice(names)
        body, content_type = fuzz_body(rng, functions[name])
        with_cookie = name not in ("register", "login") or rng.random() < 0.5
        tally.send(base, name, body, content_type, cookie if with_cookie else None)
        if name in ("logout", "sign_out_everywhere", "update_settings", "login", "register") and with_cookie:
            status, _, data, _ = rpc(base, "current_user", b"", cookie)
            if status != 200 or data.strip() == b"null":
                cookie = fresh_session()
        if i % 100 == 99 and not alive(base):
            tally.deaths += 1
            break
    if not alive(base):
        tally.deaths += 1

    ok = not tally.server_errors and not tally.resets and not tally.deaths and not changed
    statuses = ", ".join(f"{s}: {n(c)}" for s, c in sorted(tally.by_status.items()))
    line = (f"hostile server-fn fuzz: {'PASS' if ok else 'FAIL'}, {n(tally.bodies)} bodies over {len(functions)} "
            f"functions, {len(tally.server_errors)} 5xx, {len(tally.resets)} resets, "
            f"{len(changed)} tables changed by anonymous calls, server {'died' if tally.deaths else 'alive'} "
            f"({statuses})")
    for problem in (tally.server_errors[:5] + tally.resets[:5]
                    + [f"table {t}: {a} -> {b} rows after anonymous calls" for t, (a, b) in changed.items()]):
        say(f"  {problem}")
    return ok, line


# ---------------------------------------------------------------------------------------------
# 3. security.md §3.5(e), timed

def limits(base: str) -> tuple[bool, str]:
    name = f"lim{random.Random().randrange(10**9)}"
    token = register_api(base, name)
    status, created, _ = api(base, "POST", "/api/articles",
                             {"article": {"title": "Limits", "description": "d", "body": "b", "tagList": []}}, token)
    slug = created.get("article", {}).get("slug", "limits")

    def article(**fields):
        body = {"title": "T", "description": "d", "body": "b", "tagList": []}
        body.update(fields)
        return {"article": body}

    def tags(count: int) -> list[str]:
        digits = "abcdefghijklmnopqrstuvwxyz0123456789"
        out = []
        for i in range(count):
            tag = ""
            while True:
                tag += digits[i % 36]
                i //= 36
                if i == 0:
                    break
            out.append(tag)
        return out

    def md(unit: str, times: int) -> str:
        return (unit * times)[:64_000]

    # (what, method, path, JSON payload or raw bytes, expected statuses, field that must be named)
    cases = [
        ("3 MiB body", "POST", "/api/articles", article(body="x" * 3 * 1024 * 1024), {413}, "request"),
        ("title 10,000", "POST", "/api/articles", article(title="t" * 10_000), {422}, "title"),
        ("title 300", "POST", "/api/articles", article(title="t" * 300), {422}, "title"),
        ("title 200", "POST", "/api/articles", article(title="t" * 200), {201}, None),
        ("emoji, RTL, ZWJ, NFD title", "POST", "/api/articles",
         article(title="👩\u200d💻 \u202eabc e\u0301 Ünïcödé"), {201}, None),
        ("U+0000 in title", "POST", "/api/articles", article(title="a\u0000b"), {422}, "title"),
        ("U+0000 in body", "POST", "/api/articles", article(body="a\u0000b"), {422}, "body"),
        ("U+0000 in a tag", "POST", "/api/articles", article(tagList=["a\u0000"]), {422}, "tagList"),
        ("U+0000 in a comment", "POST", f"/api/articles/{slug}/comments", {"comment": {"body": "\u0000"}}, {422},
         "body"),
        ("U+0000 in a bio", "PUT", "/api/user", {"user": {"bio": "\u0000"}}, {422}, "bio"),
        ("invalid UTF-8 in JSON", "POST", "/api/articles",
         b'{"article":{"title":"\xff\xfe","description":"d","body":"b"}}', {400}, "request"),
        ("10,000 tags", "POST", "/api/articles", article(tagList=tags(10_000)), {422}, "tagList"),
        ("40,000 tags", "POST", "/api/articles", article(tagList=tags(40_000)), {422}, "tagList"),
        ("40,000 copies of a tag", "POST", "/api/articles", article(tagList=["x"] * 40_000), {422}, "tagList"),
        ("[a](<b x 50,000", "POST", "/api/articles", article(body="[a](<b" * 50_000), {413}, "request"),
        ("[a](<b to 64 KB", "POST", "/api/articles", article(body=md("[a](<b", 50_000)), {201}, None),
        ("!-- < x 5,000", "POST", "/api/articles", article(body="!-- <" * 5_000), {201}, None),
        ("> x 10,000", "POST", "/api/articles", article(body=">" * 10_000), {422}, "body"),
        ("> x 64,000", "POST", "/api/articles", article(body=">" * 64_000), {422}, "body"),
        ("> - to 64 KB", "POST", "/api/articles", article(body=md("> - ", 20_000)), {422}, "body"),
        ("<ul> to 64 KB", "POST", "/api/articles", article(body=md("<ul>", 20_000)), {422}, "body"),
        ("[^ at line starts x 5,000", "POST", "/api/articles", article(body="[^\n" * 5_000), {201}, None),
    ]
    for value in ("0", "-1", "abc", "9223372036854775808"):
        cases.append((f"limit={value}", "GET", f"/api/articles?limit={value}", None, {422}, "limit"))
    for value in ("1000000000", "9223372036854775807"):
        cases.append((f"limit={value}", "GET", f"/api/articles?limit={value}", None, {200}, None))
    for value in ("-1", "9223372036854775808"):
        cases.append((f"offset={value}", "GET", f"/api/articles?offset={value}", None, {422}, "offset"))
    for value in ("1000000000000", "9223372036854775807", "999990"):
        cases.append((f"offset={value}", "GET", f"/api/articles?offset={value}", None, {200}, None))
    cases.append(("feed offset=10^12", "GET", "/api/articles/feed?offset=1000000000000", None, {200}, None))
    cases.append(("search offset=10^12", "GET", "/api/search?q=rust&offset=1000000000000", None, {200}, None))
    pages = [("/?page=0", 422), ("/?page=-1", 422), ("/?page=99999999999999999999", 422), ("/?page=100000", 200),
             ("/?page=100001", 422), ("/tag/x?page=abc", 422), ("/search?q=rust&page=1000", 200),
             ("/search?q=rust&page=1001", 422), (f"/profile/{name}?page=-1", 422),
             (f"/profile/{name}/favorites?page=0", 422), ("/profile/nobody", 404)]

    failures, slowest, count = [], (0.0, ""), 0
    for what, method, path, payload, expected, field in cases:
        raw = payload if isinstance(payload, bytes) else None
        try:
            status, body, took = api(base, method, path, None if raw else payload, token, raw)
        except Reset as error:
            failures.append(f"{what}: connection broke ({error})")
            continue
        count += 1
        slowest = max(slowest, (took, what))
        if status not in expected:
            failures.append(f"{what}: {status}, expected {sorted(expected)}: {json.dumps(body)[:160]}")
        elif field and not (body.get("errors") or {}).get(field):
            failures.append(f"{what}: {status} without a message for {field}: {json.dumps(body)[:160]}")
        if took > 1.0:
            failures.append(f"{what}: {took:.2f} s")
    for path, expected in pages:
        try:
            status, _, _, took = request(base, "GET", path, headers={"Accept": "text/html"})
        except Reset as error:
            failures.append(f"GET {path}: connection broke ({error})")
            continue
        count += 1
        slowest = max(slowest, (took, f"GET {path}"))
        if status != expected:
            failures.append(f"GET {path}: {status}, expected {expected}")
        if took > 1.0:
            failures.append(f"GET {path}: {took:.2f} s")
    for failure in failures:
        say(f"  {failure}")
    ok = not failures and alive(base)
    return ok, (f"hostile limits: {'PASS' if ok else 'FAIL'}, {count} oversized, Unicode, NUL, tag-flood, "
                f"paging and Markdown requests, {len(failures)} unexpected, slowest {slowest[0]:.2f} s "
                f"({slowest[1]})")


# ---------------------------------------------------------------------------------------------
# 5. The outside test's holes (security.md §0b): Markdown blow-ups and the revocation race

def blow_ups() -> list[tuple[str, str]]:
    """About 64 KB each: bodies that the HTML parser behind the sanitiser would turn into
    millions of elements by copying formatting tags (the outside test's payload first)."""
    def fill(unit) -> str:
        out, i = [], 0
        size = 0
        while size < 64_000:
            piece = unit(i)
            out.append(piece)
            size += len(piece)
            i += 1
        return "".join(out)
    tags = ["b", "i", "em", "strong", "u", "code", "small", "font"]
    return [
        ("<b title=N>", fill(lambda i: f"<p><b title={i}></p>")),
        ("<i title=N>", fill(lambda i: f"<p><i title={i}></p>")),
        ("<a href><b>", fill(lambda i: f'<p><a href="https://x.test/{i}"><b title={i}></p>')),
        ("<s title=N>", fill(lambda i: f"<p><s title={i}></p>")),
        ("<font color=N>", fill(lambda i: f"<p><font color=c{i}></p>")),
        ("mixed", fill(lambda i: f"<p><{tags[i % 8]} title={i}></p>")),
        ("in a list", fill(lambda i: f"- <b title={i}>x\n")),
        ("in a quote", fill(lambda i: f"> <p><i title={i}></p>\n")),
        ("copied flat", fill(lambda i: "".join(f"<b title={j}>" for j in range(60)) if i == 0 else "<p>x</p>")),
        ("padded table", "| a " * 600 + "|\n" + "|---" * 600 + "|\n" + "| x\n" * 2_000),
    ]


def rss_mb(pid: int | None) -> float | None:
    if not pid:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024
    except (OSError, AttributeError):
        return None


def markdown_doors(base: str, pid: int | None) -> tuple[bool, str]:
    """Every blow-up through every door that renders Markdown (the preview, the editor's
    publish and save, the API's create and update), twice over: each must be a 422 naming the
    body within 100 ms, nothing may be stored, and the server's memory must stay flat."""
    name = f"blow{random.Random().randrange(10**9)}"
    token = register_api(base, name)
    cookie = login_rpc(base, name)
    status, created, _ = api(base, "POST", "/api/articles",
                             {"article": {"title": "Kept", "description": "d", "body": "kept", "tagList": []}}, token)
    slug = created.get("article", {}).get("slug", "kept")
    before = rss_mb(pid)
    failures, slowest, count = [], (0.0, ""), 0
    rounds = []
    for _ in range(2):
        for what, body in blow_ups():
            doors = [
                ("preview", lambda: rpc(base, "preview_markdown", form(body=body), cookie)),
                ("editor publish", lambda: rpc(base, "save_article", form(
                    slug="", title="New", description="d", body=body, tags="", tag_input=""), cookie)),
                ("editor save", lambda: rpc(base, "save_article", form(
                    slug=slug, title="Kept", description="d", body=body, tags="", tag_input=""), cookie)),
                ("API create", lambda: api_raw(base, "POST", "/api/articles",
                                               {"article": {"title": "New", "description": "d", "body": body}}, token)),
                ("API update", lambda: api_raw(base, "PUT", f"/api/articles/{slug}",
                                               {"article": {"body": body}}, token)),
            ]
            for door, send in doors:
                try:
                    status, _, data, took = send()
                except Reset as error:
                    failures.append(f"{what} through the {door}: connection broke ({error})")
                    continue
                count += 1
                slowest = max(slowest, (took, f"{what}, {door}"))
                text = data[:400].decode("utf-8", "replace")
                named = ('"body"' in text) and ("nests too deeply" in text or "too large once rendered" in text)
                if status != 422 or not named:
                    failures.append(f"{what} through the {door}: {status} {text[:160]}")
                if took > 0.1:
                    failures.append(f"{what} through the {door}: {took * 1000:.0f} ms")
        rounds.append(rss_mb(pid))
    after = rss_mb(pid)
    status, listed, _ = api(base, "GET", f"/api/articles?author={name}", None, token)
    stored = listed.get("articlesCount")
    if stored != 1:
        failures.append(f"{stored} articles stored by the blow-ups' author, expected only the first")
    growth = None if before is None or after is None else after - before
    # The two rendering threads keep what their largest render allocated (the C allocator's
    # arenas of those threads): a plateau reached in the first round, after which the memory
    # must not move.
    if growth is not None and growth > 64:
        failures.append(f"server memory grew {growth:.0f} MB")
    if growth is not None and rounds[1] - rounds[0] > 8:
        failures.append(f"server memory grew {rounds[1] - rounds[0]:.0f} MB in the second round")
    for failure in failures[:20]:
        say(f"  {failure}")
    ok = not failures and alive(base)
    memory = ("RSS not measured" if growth is None
              else f"RSS {before:.0f} -> {rounds[0]:.0f} MB after the first round, {rounds[1]:.0f} MB after the second")
    return ok, (f"hostile markdown: {'PASS' if ok else 'FAIL'}, {len(blow_ups())} bodies that would render to "
                f"millions of elements, {count} requests through 5 doors, {len(failures)} unexpected, slowest "
                f"{slowest[0] * 1000:.0f} ms ({slowest[1]}), {memory}")


def api_raw(base: str, method: str, path: str, payload, token: str) -> tuple[int, dict[str, str], bytes, float]:
    headers = {"Accept": "application/json", "Content-Type": "application/json", "Authorization": f"Token {token}"}
    return request(base, method, path, json.dumps(payload).encode(), headers)


def revocation(short: bool) -> tuple[bool, str]:
    """Sessions ended while they are in use: a server of its own with a 4 s idle timeout (so an
    active session is rewritten every second, as the 60 s refresh does), a user signed in
    twice, and 24 page loads of one session, each with a refresh due, in flight while the other
    signs out everywhere, or straight after `quire user reset-password` run from another
    process. Passes when no round leaves a session row of the user and the old cookie is
    refused a second later."""
    import harness  # this folder's; only this part needs a server of its own
    rounds = 3 if short else 10
    work = Path(tempfile.mkdtemp(prefix="quire-revocation-"))
    db = work / "quire.db"
    server = harness.Server(db, work / "server.log", env={"QUIRE_SESSION_IDLE_SECS": "4"})
    failures, resurrected = [], 0
    try:
        server.start()
        base = server.base
        for round_ in range(rounds):
            name = f"rev{round_}x{random.Random().randrange(10**6)}"
            register_api(base, name)
            victim = login_rpc(base, name)
            other = login_rpc(base, name)
            by_cli = round_ % 2 == 1
            results: list[int] = []

            def page() -> None:
                try:
                    status, _, _, _ = request(base, "GET", "/settings", headers={"Cookie": victim, "Accept": "text/html"})
                    results.append(status)
                except Reset:
                    results.append(0)

            threads = [threading.Thread(target=page) for _ in range(24)]
            # This server remembers the session; then its refresh comes due.
            rpc(base, "current_user", b"", victim)
            time.sleep(1.1)
            if by_cli:
                # Another process ends it, which this server's memory knows nothing of; the
                # page loads come straight after, each with a refresh due.
                out = subprocess.run([str(harness.BIN), "user", "reset-password", name], cwd=harness.ROOT,
                                     env=harness.server_env(db, server.port), capture_output=True, timeout=60)
                if out.returncode != 0:
                    failures.append(f"round {round_}: the CLI failed: {out.stderr[-200:]!r}")
                for t in threads:
                    t.start()
            else:
                # The page loads are in flight while this server ends it.
                for t in threads:
                    t.start()
                status, _, _, _ = rpc(base, "sign_out_everywhere", b"", other)
                if status >= 400:
                    failures.append(f"round {round_}: sign out everywhere answered {status}")
            for t in threads:
                t.join(timeout=30)
            if any(s == 0 or s >= 500 for s in results):
                failures.append(f"round {round_}: page loads answered {sorted(set(results))}")
            # A second later (a refresh is due again): the old cookie is refused, and asking
            # with it writes nothing back.
            time.sleep(1.1)
            status, _, data, _ = rpc(base, "current_user", b"", victim)
            if status != 200 or data.strip() != b"null":
                failures.append(f"round {round_}: the old cookie still answered {status} {data[:80]!r}")
            request(base, "GET", "/settings", headers={"Cookie": victim, "Accept": "text/html"})
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                rows = conn.execute("select count(*) from sessions s join users u on u.id = s.user_id "
                                    "where u.username = ?", (name,)).fetchone()[0]
            if rows:
                resurrected += 1
                failures.append(f"round {round_} ({'CLI' if by_cli else 'sign out everywhere'}): "
                                f"{rows} session rows came back")
    except Exception as error:  # a server that will not start is this part's failure
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        server.term()
    for failure in failures[:20]:
        say(f"  {failure}")
    ok = not failures
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    return ok, (f"hostile revocation: {'PASS' if ok else 'FAIL'}, {rounds} rounds of 24 page loads with a "
                f"refresh due, in flight across sign out everywhere or right after quire user reset-password, "
                f"{resurrected} sessions came back, {len(failures)} unexpected")


# ---------------------------------------------------------------------------------------------
# 4. XSS in the browser

XSS_TITLE = "</title></textarea><script>window.__x=1</script>"
XSS_BODIES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[a](javascript:alert(1))",
    '<a href="data:text/html,<script>alert(1)</script>">d</a>',
    "<iframe src=//x>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<math><annotation-xml encoding="text/html"><style><img src=x onerror=alert(1)>',
    "<form action=//x><button>",
]
XSS_TAG = "<img src=x onerror=alert(1)>"


def node_and_browser() -> tuple[str | None, str | None]:
    node = shutil.which("node")
    chromium = os.environ.get("CHROMIUM") or next(
        (p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if Path(p).exists()), None)
    return node, chromium


def xss(base: str, work: Path, short: bool) -> tuple[bool, str]:
    node, chromium = node_and_browser()
    playwright = ROOT / "end2end" / "node_modules" / "playwright-core"
    if not node or not chromium or not playwright.exists():
        return False, ("xss: FAIL, needs node, Debian's chromium and end2end/node_modules/playwright-core "
                       "(make setup installs them)")
    name = f"xss{random.Random().randrange(10**9)}"
    token = register_api(base, name)
    cookie = login_rpc(base, name)
    problems: list[str] = []
    slugs: list[dict] = []
    # One article per payload and door; the short tier puts every payload in one body per door.
    bodies = ["\n\n".join(XSS_BODIES)] if short else XSS_BODIES
    for i, body in enumerate(bodies):
        # Through the REST API...
        status, created, _ = api(base, "POST", "/api/articles", {"article": {
            "title": XSS_TITLE, "description": f"{XSS_TITLE} {body}", "body": f"{body}\n\nAPI {i}",
            "tagList": [XSS_TAG]}}, token)
        if status != 201:
            problems.append(f"API create of payload {i}: {status} {created}")
        else:
            slugs.append({"slug": created["article"]["slug"], "body": f"{body}\n\nAPI {i}", "via": "api"})
            got = created["article"]
            if got["title"] != XSS_TITLE or got["body"] != f"{body}\n\nAPI {i}":
                problems.append(f"the API changed payload {i}: {got['title']!r} {got['body']!r}")
        # ...and through the editor's server function.
        status, headers, data, _ = rpc(base, "save_article", form(
            slug="", title=XSS_TITLE, description=body, body=f"{body}\n\nUI {i}", tags=XSS_TAG, tag_input=""),
            cookie)
        if status >= 400:
            problems.append(f"save_article of payload {i}: {status} {data[:200]!r}")
        else:
            slugs.append({"slug": json.loads(data), "body": f"{body}\n\nUI {i}", "via": "ui"})
    api(base, "PUT", "/api/user", {"user": {"bio": XSS_TITLE + XSS_BODIES[1]}}, token)
    if slugs:
        status, _, _ = api(base, "POST", f"/api/articles/{slugs[0]['slug']}/comments",
                           {"comment": {"body": XSS_TITLE + XSS_BODIES[1]}}, token)
        if status != 201:
            problems.append(f"comment with a payload: {status}")
        # The API hands the text back as JSON strings, never as HTML.
        status, hdrs, data, _ = request(base, "GET", f"/api/articles/{slugs[0]['slug']}")
        if not hdrs.get("content-type", "").startswith("application/json") or \
                json.loads(data)["article"]["title"] != XSS_TITLE:
            problems.append("GET /api/articles/<slug> does not return the raw title as JSON")

    _, hdrs, _, _ = request(base, "GET", "/", headers={"Accept": "text/html"})
    csp = hdrs.get("content-security-policy")
    spec = {"base": base, "cookie": cookie, "title": XSS_TITLE, "author": name,
            "tag": XSS_TAG.lower(), "articles": slugs}
    spec_path = work / "xss.json"
    spec_path.write_text(json.dumps(spec))
    run = subprocess.run([node, str(HERE / "xss.cjs"), str(spec_path)], capture_output=True, text=True,
                         timeout=900, env={**os.environ, "CHROMIUM": chromium})
    (work / "xss.log").write_text(run.stdout + run.stderr)
    try:
        result = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return False, f"xss: FAIL, the browser check did not finish: {(run.stderr or run.stdout)[-300:]}"
    problems += result["problems"]
    for problem in problems[:20]:
        say(f"  {problem}")
    normal = result["csp_violations_normal"]
    csp_ok = csp is None or normal == 0
    ok = not problems and run.returncode == 0 and csp_ok
    csp_text = (f"CSP on: {normal} violations on normal pages, {result['csp_violations_hostile']} on hostile pages"
                if csp else f"no CSP header yet: {normal} violations on normal pages")
    return ok, (f"xss: {'PASS' if ok else 'FAIL'}, {1 + len(XSS_BODIES)} payloads via API and UI "
                f"({len(slugs)} articles, {result['loads']} page loads), {result['scripts_ran']} scripts ran, "
                f"{result['dialogs']} dialogs, {result['unsafe_nodes']} unsafe nodes, {csp_text}"
                + (f"; {result['static_404_retries']} loads retried after /pkg files answered 404"
                   if result.get("static_404_retries") else ""))


# ---------------------------------------------------------------------------------------------

def main(base_url: str, db_path: str, short: bool, server_pid: int | None = None) -> int:
    base = base_url.rstrip("/")
    if not alive(base):
        say(f"hostile: FAIL, no server answers {base}/healthz")
        return 1
    work = Path(tempfile.mkdtemp(prefix="quire-hostile-"))
    results = []
    parts = (
        ("hostile server-fn fuzz", lambda: fuzz(base, db_path, short)),
        ("hostile limits", lambda: limits(base)),
        ("hostile markdown", lambda: markdown_doors(base, server_pid)),
        ("hostile revocation", lambda: revocation(short)),
        ("hostile schemathesis", lambda: schemathesis(base, short, work)),
        ("xss", lambda: xss(base, work, short)),
    )
    for label, part in parts:
        try:
            ok, line = part()
        except Exception as error:  # one part's crash is that part's failure, not the suite's
            ok, line = False, f"{label}: FAIL, {type(error).__name__}: {error}"
        say(line)
        results.append(ok)
    if not alive(base):
        say("hostile: FAIL, the server stopped answering")
        results.append(False)
    import flood  # this folder's: the floods of issue 32, each on a server of its own
    try:
        floods = flood.main(short)
    except Exception as error:
        floods = [(False, f"hostile floods: FAIL, {type(error).__name__}: {error}")]
    for ok, line in floods:
        say(line)
        results.append(ok)
    if all(results):
        shutil.rmtree(work, ignore_errors=True)
    else:
        say(f"hostile: logs kept in {work}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:3000")
    parser.add_argument("--db", required=True, help="its SQLite file (read only, to count rows)")
    parser.add_argument("--short", action="store_true", help="fewer examples and bodies")
    parser.add_argument("--pid", type=int, help="the server's process id, to measure its memory")
    args = parser.parse_args()
    sys.exit(main(args.base, args.db, args.short, args.pid))
