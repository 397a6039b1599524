"""Shared parts of the reliability suite (`scripts/reliability.py`): seeded template databases,
the release server as a child process, a small asyncio HTTP/1.1 client, the ledger of
acknowledged writes, and the checks run on a database afterwards.

Standard library only.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / "target" / "release" / "quire"
CACHE = Path(os.environ.get("RELIABILITY_DIR", Path.home() / ".cache" / "quire" / "reliability"))
DEMO_PASSWORD = "quire demo password"  # every seeded account's (scripts/bench.py)
HOST = "127.0.0.1"

# The server runs on CPU 0 and the clients on CPU 1, when there are two.
SERVER_CPUS = {0}
CLIENT_CPUS = {1}

# Lines in the server's log that are failures whatever the scenario.
BAD_LOG = re.compile(r"database is locked|SQLITE_BUSY|\(code: 5\)|\(code: 517\)|panicked|non-zero transaction depth",
                     re.IGNORECASE)

# What a page that should have loaded must not contain: Leptos's serialised `Err` of a failed
# resource, or the error page.
PAGE_ERROR_MARKERS = (b'{\\"Err\\":', b"Something went wrong", b"not-found-page")


def say(*parts: object) -> None:
    print(*parts, flush=True)


def n(x: int) -> str:
    """12345 -> '12,345'."""
    return f"{x:,}"


def pin_clients() -> str:
    """Pins this process (the clients) to CPU 1 when the server can have CPU 0 to itself."""
    if len(os.sched_getaffinity(0)) >= 2 and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, CLIENT_CPUS)
        return "server on CPU 0, clients on CPU 1"
    return "server and clients share the CPU"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Template databases

def _migrations_digest() -> str:
    h = hashlib.sha256()
    for f in sorted((ROOT / "migrations").glob("*")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def template(users: int, articles: int) -> Path:
    """A database seeded by the release CLI, made once and kept in CACHE (keyed by the
    migrations, so a schema change seeds anew)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / f"template-{users}u-{articles}a-{_migrations_digest()}.db"
    if db.exists():
        return db
    for old in CACHE.glob(f"template-{users}u-{articles}a-*.db"):
        old.unlink()
    partial = db.with_suffix(".partial")
    for side in ("", "-wal", "-shm"):
        Path(f"{partial}{side}").unlink(missing_ok=True)
    started = time.time()
    subprocess.run([BIN, "seed", "--users", str(users), "--articles", str(articles)], cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": f"sqlite://{partial}", "RUST_LOG": "error"},
                   check=True, stdout=subprocess.DEVNULL)
    c = sqlite3.connect(partial)
    c.execute("pragma wal_checkpoint(truncate)")
    c.close()
    for side in ("-wal", "-shm"):
        Path(f"{partial}{side}").unlink(missing_ok=True)
    partial.rename(db)
    say(f"  seeded {n(users)} users and {n(articles)} articles into {db} in {time.time() - started:.1f} s (kept)")
    return db


def copy_db(src: Path, dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / "quire.db"
    for side in ("", "-wal", "-shm"):
        Path(f"{dest}{side}").unlink(missing_ok=True)
    shutil.copyfile(src, dest)
    with open(dest, "rb+") as f:  # on the disk before the server starts (a file system may fail)
        os.fsync(f.fileno())
    return dest


@contextlib.contextmanager
def ro(db: Path):
    """A read-only connection, closed at the end of the `with` block. None may stay open: an
    idle connection of this process across a kill and restart of the server sees the shared
    WAL index as this process last mapped it ("database disk image is malformed")."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        yield c
    finally:
        c.close()


@dataclass
class Account:
    id: int
    username: str
    email: str


def accounts(db: Path) -> list[Account]:
    with ro(db) as c:
        return [Account(*row) for row in c.execute("select id, username, email from users order by id")]


# ---------------------------------------------------------------------------------------------
# The server

def server_env(db: Path, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIRE_")}
    env.update({
        "DATABASE_URL": f"sqlite://{db}",
        "LEPTOS_SITE_ADDR": f"{HOST}:{port}",
        "QUIRE_PUBLIC_URL": f"http://{HOST}:{port}",
        "QUIRE_AUTH_ATTEMPTS_PER_MINUTE": "0",
        "QUIRE_WRITES_PER_MINUTE": "0",
        "QUIRE_SEARCHES_PER_MINUTE": "0",
        "QUIRE_PREVIEWS_PER_MINUTE": "0",
        "QUIRE_COMMON_PASSWORDS": "off",
        "QUIRE_MIN_FREE_DISK_MB": "1",
        "RUST_LOG": "warn",
    })
    env.update(extra or {})
    return env


_SPAWNED: list["Server"] = []


@atexit.register
def _kill_leftovers() -> None:
    for server in _SPAWNED:
        server.kill()


class Server:
    """`quire serve` on one database, on CPU 0, its output appended to `log`. A server still
    running when the suite exits is killed."""

    def __init__(self, db: Path, log: Path, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.db = db
        self.log = log
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.extra = env or {}
        self.process: subprocess.Popen | None = None
        self.log_offset = 0

    def spawn(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.log_offset = out.tell()
            cpus = SERVER_CPUS if len(os.sched_getaffinity(0) | CLIENT_CPUS) >= 2 and (os.cpu_count() or 1) >= 2 else None
            self.process = subprocess.Popen(
                [BIN, "serve"], cwd=ROOT, env=server_env(self.db, self.port, self.extra),
                stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
            )
        _SPAWNED.append(self)

    def start(self, timeout: float = 30) -> float:
        """Starts the server and waits for `/healthz` to answer (any status); the seconds it took."""
        started = time.monotonic()
        self.spawn()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode} on start:\n{self.log_tail()}")
            try:
                status, _, _ = fetch("GET", self.base + "/healthz", timeout=2)
                if status in (200, 503):
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"the server did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()

    def term(self, timeout: float = 30) -> int | None:
        """SIGTERM, then the exit code (None if it had to be killed after `timeout` seconds)."""
        if not self.alive():
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def rss_mb(self) -> float:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
            return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024
        except (OSError, AttributeError):
            return 0.0

    def log_text(self, since_start: bool = False) -> str:
        try:
            data = self.log.read_bytes()
        except OSError:
            return ""
        return data[self.log_offset if since_start else 0:].decode(errors="replace")

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def bad_log_lines(text: str, also: re.Pattern | None = None) -> list[str]:
    return [line for line in text.splitlines() if BAD_LOG.search(line) or (also and also.search(line))]


# ---------------------------------------------------------------------------------------------
# HTTP: a blocking helper for setup and checks, and an asyncio client for load

def fetch(method: str, url: str, headers: dict[str, str] | None = None, body: bytes | None = None,
          timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection (http.client); (status, lower-cased headers, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        hdrs: dict[str, str] = {}
        for k, v in r.getheaders():
            k = k.lower()
            hdrs[k] = f"{hdrs[k]}, {v}" if k in hdrs and k != "set-cookie" else v
        return r.status, hdrs, data
    finally:
        conn.close()


class TransportError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float

    def json(self):
        return json.loads(self.body)


class Conn:
    """One keep-alive HTTP/1.1 connection; reconnects after a failure or `Connection: close`."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (OSError, ConnectionError):
                pass
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> Response:
        started = time.monotonic()
        try:
            return await asyncio.wait_for(self._request(method, path, headers or {}, body, started), self.timeout)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as e:
            await self.close()
            raise TransportError(f"{method} {path}: {type(e).__name__}: {e}") from None

    async def _request(self, method, path, headers, body, started) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        for k, v in headers.items():
            head.append(f"{k}: {v}")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body or b'')}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
        await self.writer.drain()
        status, hdrs = await read_head(self.reader)
        data = await read_body(self.reader, hdrs, method, status)
        if hdrs.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, hdrs, data, (time.monotonic() - started) * 1000)


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    hdrs: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie" and k in hdrs:
                continue  # the first cookie is the session's
            hdrs[k] = v
    return status, hdrs


async def read_body(reader: asyncio.StreamReader, hdrs: dict[str, str], method: str, status: int = 200) -> bytes:
    if method == "HEAD" or status in (204, 304) or status < 200:
        return b""
    if "chunked" in hdrs.get("transfer-encoding", "").lower():
        out = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(out)
            out += await reader.readexactly(size)
            await reader.readexactly(2)
    if "content-length" in hdrs:
        return await reader.readexactly(int(hdrs["content-length"]))
    return await reader.read()


def jbody(obj) -> bytes:
    return json.dumps(obj).encode()


def form(**fields) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def api_headers(token: str | None = None) -> dict[str, str]:
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        h["Authorization"] = f"Token {token}"
    return h


def rpc_headers(base: str, cookie: str | None = None) -> dict[str, str]:
    h = {"Content-Type": "application/x-www-form-urlencoded", "Origin": base, "Accept": "application/json"}
    if cookie:
        h["Cookie"] = cookie
    return h


def api_login(base: str, email: str) -> str:
    status, _, body = fetch("POST", base + "/api/users/login", api_headers(),
                           jbody({"user": {"email": email, "password": DEMO_PASSWORD}}))
    if status != 200:
        raise RuntimeError(f"API sign-in of {email} answered {status}: {body[:200]!r}")
    return json.loads(body)["user"]["token"]


# ---------------------------------------------------------------------------------------------
# Content and the ledger

WORDS = ("rust sqlite quire ledger reliability axum leptos tokio crash disk writer reader page "
         "cache search index tag comment favorite session token commit rollback journal wal "
         "checkpoint durable atomic isolation markdown render hydrate server client").split()


def markdown(rng: random.Random, marker: str, size: int) -> str:
    parts = [f"# {marker}\n"]
    total = 0
    while total < size:
        para = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
        if rng.random() < 0.3:
            para = f"- *{para[:40]}*\n- `{para[40:80]}`"
        parts.append(para)
        total += len(para) + 2
    return "\n\n".join(parts) + f"\n\n{marker}\n"


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class ArticleExpect:
    id: str
    author: str
    description: str
    body: str
    tags: list[str]
    slug: str | None = None
    deleted: bool = False

    @property
    def title(self) -> str:
        return f"ledger-{self.id}"


@dataclass
class Ledger:
    """Writes the server acknowledged (a complete 2xx answer), one JSON line each, appended
    to `path` as they happen; and what the database must hold because of them."""

    path: Path
    articles: dict[str, ArticleExpect] = field(default_factory=dict)
    # ledger id -> (comment id, article slug, body, author)
    comments: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)
    # (user id, article slug) -> favorited
    favorites: dict[tuple[int, str], bool] = field(default_factory=dict)
    # object key -> acknowledged ops on it
    ops: dict[str, int] = field(default_factory=dict)
    # attempts without an answer: ledger ids that may or may not exist
    unacked_articles: dict[str, ArticleExpect] = field(default_factory=dict)
    unacked_comments: set[str] = field(default_factory=set)
    uncertain: set[str] = field(default_factory=set)
    acked: int = 0

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", buffering=1)

    def _write(self, op: str, key: str, **data) -> None:
        self._file.write(json.dumps({"t": round(time.time(), 3), "op": op, "key": key, **data}) + "\n")
        self.ops[key] = self.ops.get(key, 0) + 1
        self.acked += 1

    def article(self, a: ArticleExpect, op: str = "article.create") -> None:
        self.articles[a.id] = a
        self.unacked_articles.pop(a.id, None)
        self._write(op, f"article:{a.id}", slug=a.slug, author=a.author, tags=a.tags, deleted=a.deleted,
                    body_sha256=hashlib.sha256(a.body.encode()).hexdigest())

    def comment(self, lid: str, comment_id: int, slug: str, body: str, author: str) -> None:
        self.comments[lid] = (comment_id, slug, body, author)
        self.unacked_comments.discard(lid)
        self._write("comment.create", f"comment:{lid}", id=comment_id, slug=slug, author=author)

    def favorite(self, user_id: int, slug: str, on: bool) -> None:
        self.favorites[(user_id, slug)] = on
        self._write("favorite.on" if on else "favorite.off", f"favorite:{user_id}:{slug}")

    def other(self, op: str, key: str) -> None:
        self._write(op, key)

    def close(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    present: int = 0  # acknowledged write ops whose effect was found
    acked: int = 0
    unacked_complete: int = 0
    unacked_absent: int = 0
    bad: set[str] = field(default_factory=set)  # ledger keys whose effect is missing or wrong

    def fail(self, message: str, key: str | None = None) -> None:
        if key:
            self.bad.add(key)
        if len(self.problems) < 200:
            self.problems.append(message)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_ledger(db: Path, ledger: Ledger, verdict: Verdict | None = None) -> Verdict:
    """Every acknowledged write is in the database, exactly; no ledger id twice; unacknowledged
    articles are all or nothing (the row with every tag, or no row)."""
    v = verdict or Verdict()
    with ro(db) as c:
        rows: dict[str, list[tuple]] = {}
        for row in c.execute(
            "select a.id, a.slug, a.title, a.description, a.body, u.username, a.tag_list "
            "from articles a join users u on u.id = a.author_id where a.title like 'ledger-%'"
        ):
            rows.setdefault(row[2][len("ledger-"):], []).append(row)
        tags: dict[int, list[str]] = {}
        for article_id, name in c.execute(
            "select x.article_id, t.name from article_tags x join tags t on t.id = x.tag_id "
            "where x.article_id in (select id from articles where title like 'ledger-%') order by t.name"
        ):
            tags.setdefault(article_id, []).append(name)
        bad_keys: set[str] = set()
        for lid, found in rows.items():
            if len(found) > 1:
                v.fail(f"article ledger-{lid} is in the database {len(found)} times")
                bad_keys.add(f"article:{lid}")
        for lid, a in ledger.articles.items():
            key = f"article:{lid}"
            if key in ledger.uncertain:
                continue
            found = rows.get(lid, [])
            if a.deleted:
                if found:
                    v.fail(f"article {a.title} was deleted (acknowledged) but is still there")
                    bad_keys.add(key)
                continue
            if not found:
                v.fail(f"article {a.title} (acknowledged) is missing")
                bad_keys.add(key)
                continue
            aid, slug, title, desc, body, author, tag_list = found[0]
            got_tags = tags.get(aid, [])
            wrong = []
            if desc != a.description:
                wrong.append("description")
            if body != a.body:
                wrong.append("body")
            if author != a.author:
                wrong.append(f"author {author} != {a.author}")
            if got_tags != a.tags:
                wrong.append(f"tags {got_tags} != {a.tags}")
            if tag_list != " ".join(a.tags):
                wrong.append(f"tag_list {tag_list!r}")
            if a.slug and slug != a.slug:
                wrong.append(f"slug {slug} != {a.slug}")
            if wrong:
                v.fail(f"article {a.title} differs: {', '.join(wrong)}")
                bad_keys.add(key)
        for lid, a in ledger.unacked_articles.items():
            found = rows.get(lid, [])
            if not found:
                v.unacked_absent += 1
                continue
            aid = found[0][0]
            if tags.get(aid, []) != a.tags or found[0][4] != a.body:
                v.fail(f"unacknowledged article {a.title} is half there: tags {tags.get(aid, [])} of {a.tags}")
            else:
                v.unacked_complete += 1

        comment_rows = {row[0]: row for row in c.execute(
            "select c.id, a.slug, c.body, u.username from comments c join articles a on a.id = c.article_id "
            "join users u on u.id = c.author_id where c.body like 'ledger-%'")}
        by_lid: dict[str, int] = {}
        for cid, _, body, _ in comment_rows.values():
            lid = body.split()[0][len("ledger-"):]
            by_lid[lid] = by_lid.get(lid, 0) + 1
        for lid, count in by_lid.items():
            if count > 1:
                v.fail(f"comment ledger-{lid} is in the database {count} times")
                bad_keys.add(f"comment:{lid}")
        for lid, (cid, slug, body, author) in ledger.comments.items():
            row = comment_rows.get(cid)
            if row is None:
                v.fail(f"comment {cid} (ledger-{lid}) on {slug} (acknowledged) is missing")
                bad_keys.add(f"comment:{lid}")
            elif row[1:] != (slug, body, author):
                v.fail(f"comment {cid} (ledger-{lid}) differs: {row[1:3]} != {(slug, body[:40])}")
                bad_keys.add(f"comment:{lid}")

        favs = set(c.execute("select f.user_id, a.slug from favorites f join articles a on a.id = f.article_id"))
        for (user_id, slug), on in ledger.favorites.items():
            key = f"favorite:{user_id}:{slug}"
            if key in ledger.uncertain:
                continue
            if ((user_id, slug) in favs) != on:
                v.fail(f"favorite of {slug} by user {user_id} should be {'on' if on else 'off'}")
                bad_keys.add(key)
    v.bad |= bad_keys
    v.acked += sum(ledger.ops.values())
    v.present += sum(count for key, count in ledger.ops.items() if key not in v.bad)
    return v


def check_database(db: Path) -> list[str]:
    """Integrity of a database file (and its WAL) on a scratch copy, so the original is not
    touched: `integrity_check`, `foreign_key_check`, both search indexes against the articles,
    and every count a trigger keeps (favorites, articles per author and per tag, the total)."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="quire-check-") as tmp:
        copy = Path(tmp) / "check.db"
        shutil.copyfile(db, copy)
        if Path(f"{db}-wal").exists():
            shutil.copyfile(f"{db}-wal", f"{copy}-wal")
        c = sqlite3.connect(copy)
        try:
            result = [r[0] for r in c.execute("pragma integrity_check")]
            if result != ["ok"]:
                problems.append(f"integrity_check: {result[:5]}")
            fk = c.execute("pragma foreign_key_check").fetchall()
            if fk:
                problems.append(f"foreign_key_check: {len(fk)} rows, e.g. {fk[:3]}")
            for index, what in (("articles_fts", "the articles"),
                                ("articles_recent_fts", "the newest articles")):
                try:
                    c.execute(f"insert into {index} ({index}, rank) values ('integrity-check', 1)")
                except sqlite3.DatabaseError as e:
                    problems.append(f"search index {index} differs from {what}: {e}")
            for what, sql in (
                ("favorites_count", "select count(*) from articles a where favorites_count <> "
                                    "(select count(*) from favorites f where f.article_id = a.id)"),
                ("users.articles_count", "select count(*) from users u where articles_count <> "
                                         "(select count(*) from articles a where a.author_id = u.id)"),
                ("tags.articles_count", "select count(*) from tags t where articles_count <> "
                                        "(select count(*) from article_tags x where x.tag_id = t.id)"),
                ("article_stats", "select count(*) from article_stats where articles <> (select count(*) from articles)"
                                  " or users <> (select count(*) from users)"
                                  " or comments <> (select count(*) from comments)"
                                  " or favorites <> (select count(*) from favorites)"),
            ):
                wrong = c.execute(sql).fetchone()[0]
                if wrong:
                    problems.append(f"{what} differs from the rows on {wrong} rows")
        finally:
            c.close()
    return problems


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def page_is_broken(body: bytes) -> str | None:
    for marker in PAGE_ERROR_MARKERS:
        if marker in body:
            return marker.decode()
    return None


def tidy(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def python_ok() -> None:
    if sys.version_info < (3, 9):
        sys.exit("the reliability suite needs Python 3.9 or newer")
