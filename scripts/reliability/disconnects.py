"""4. Client disconnects: write requests (articles with tags, comments, favorite toggles; REST
and server functions) whose client hangs up after a random 0-50 ms, some before the body is
complete, some after, half with a reset instead of a FIN; meanwhile ledger writers keep the
single writer connection busy, so requests are cut off while they queue and while they run.

Afterwards writes must still commit: probe writes answer 201 quickly and are visible at once to
another connection (a write left inside an open transaction would not be), and are still there
after a restart. Cut-off articles are all or nothing.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import struct
import time
from pathlib import Path

from harness import (ArticleExpect, Conn, Ledger, Server, TransportError, accounts, api_headers, api_login,
                     bad_log_lines, check_database, copy_db, fetch, form, jbody, markdown, n, new_id, percentile,
                     ro, tidy, verify_ledger)

CONCURRENT = 32
BACKGROUND_WRITERS = 4
PROBES = 20


def rpc_cookie(base: str, email: str) -> str:
    status, headers, body = fetch("POST", base + "/rpc/login",
                                  {"Content-Type": "application/x-www-form-urlencoded", "Origin": base},
                                  form(email=email, password="quire demo password"))
    if status != 200 or "set-cookie" not in headers:
        raise RuntimeError(f"/rpc/login answered {status}: {body[:200]!r}")
    return headers["set-cookie"].split(";", 1)[0]


class Cutter:
    def __init__(self, server: Server, tokens: list[tuple[str, str, int]], cookies: list[str], slugs: list[str],
                 ledger: Ledger, rng: random.Random, tags: list[str]) -> None:
        self.server = server
        self.tokens = tokens
        self.cookies = cookies
        self.slugs = slugs
        self.ledger = ledger
        self.rng = rng
        self.tags = tags
        self.partial = 0
        self.whole = 0
        self.resets = 0
        self.answered_before_cut = 0

    def request(self) -> tuple[bytes, int, ArticleExpect | None]:
        rng = self.rng
        i = rng.randrange(len(self.tokens))
        username, token, _ = self.tokens[i]
        kind = rng.choice(("article", "article", "comment", "favorite", "rpc_article", "rpc_comment"))
        a = None
        base = self.server.base
        if kind in ("article", "rpc_article"):
            a = ArticleExpect(id=new_id(), author=username, description="cut", body="",
                              tags=sorted(rng.sample(self.tags, 3)))
            a.body = markdown(rng, f"ledger-{a.id}", rng.randint(500, 20000))
        if kind == "article":
            path, ctype, auth = "/api/articles", "application/json", f"Authorization: Token {token}\r\n"
            body = jbody({"article": {"title": a.title, "description": a.description, "body": a.body, "tagList": a.tags}})
        elif kind == "rpc_article":
            path, ctype, auth = "/rpc/save_article", "application/x-www-form-urlencoded", f"Cookie: {self.cookies[i]}\r\nOrigin: {base}\r\n"
            body = form(slug="", title=a.title, description=a.description, body=a.body, tags=",".join(a.tags), tag_input="")
        elif kind == "comment":
            path, ctype, auth = f"/api/articles/{rng.choice(self.slugs)}/comments", "application/json", f"Authorization: Token {token}\r\n"
            body = jbody({"comment": {"body": f"cut {new_id()}"}})
        elif kind == "rpc_comment":
            path, ctype, auth = "/rpc/add_comment", "application/x-www-form-urlencoded", f"Cookie: {self.cookies[i]}\r\nOrigin: {base}\r\n"
            body = form(slug=rng.choice(self.slugs), body=f"cut {new_id()}")
        else:
            path, ctype, auth = f"/api/articles/{rng.choice(self.slugs)}/favorite", "application/json", f"Authorization: Token {token}\r\n"
            body = b""
        method = "POST" if kind != "favorite" or rng.random() < 0.5 else "DELETE"
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n{auth}"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        return head + body, len(head), a

    async def one(self) -> None:
        data, head_len, a = self.request()
        if a is not None:
            self.ledger.unacked_articles[a.id] = a
        reader, writer = await asyncio.open_connection("127.0.0.1", self.server.port)
        sock = writer.get_extra_info("socket")
        try:
            if self.rng.random() < 0.4 and len(data) > head_len:
                cut = self.rng.randint(head_len, len(data) - 1)  # the head and part of the body
                writer.write(data[:cut])
                self.partial += 1
            else:
                writer.write(data)
                self.whole += 1
            await writer.drain()
            wait = self.rng.uniform(0, 0.05)
            try:
                await asyncio.wait_for(reader.read(1), wait)
                self.answered_before_cut += 1
            except asyncio.TimeoutError:
                pass
            if self.rng.random() < 0.5:
                # RST instead of FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.resets += 1
        except (OSError, ConnectionError):
            pass
        finally:
            writer.close()

    async def run(self, count: int) -> None:
        queue = list(range(count))

        async def lane() -> None:
            while queue:
                queue.pop()
                await self.one()

        await asyncio.gather(*(lane() for _ in range(CONCURRENT)))


async def background(port: int, tokens, ledger: Ledger, rng: random.Random, tags: list[str], stop: asyncio.Event,
                     problems: list[str]) -> int:
    async def writer(i: int) -> int:
        username, token, _ = tokens[i % len(tokens)]
        conn = Conn(port, timeout=15)
        done = 0
        while not stop.is_set():
            a = ArticleExpect(id=new_id(), author=username, description="alongside", body="",
                              tags=sorted(rng.sample(tags, 3)))
            a.body = markdown(rng, f"ledger-{a.id}", rng.randint(300, 3000))
            ledger.unacked_articles[a.id] = a
            try:
                r = await conn.request("POST", "/api/articles", api_headers(token), jbody(
                    {"article": {"title": a.title, "description": a.description, "body": a.body, "tagList": a.tags}}))
            except TransportError as e:
                problems.append(f"a normal writer alongside the disconnects: {e}")
                return done
            if r.status != 201:
                problems.append(f"a normal writer alongside the disconnects got {r.status}: {tidy(r.body.decode(errors='replace'))}")
                return done
            a.slug = r.json()["article"]["slug"]
            ledger.article(a)
            done += 1
        await conn.close()
        return done

    return sum(await asyncio.gather(*(writer(i) for i in range(BACKGROUND_WRITERS))))


async def storm(cutter: Cutter, count: int, tokens, ledger, rng, tags, problems) -> int:
    stop = asyncio.Event()
    bg = asyncio.create_task(background(cutter.server.port, tokens, ledger, rng, tags, stop, problems))
    await cutter.run(count)
    stop.set()
    return await bg


def probe(server: Server, db: Path, token: str, username: str, ledger: Ledger, rng: random.Random,
          tags: list[str], problems: list[str]) -> list[float]:
    """Writes one at a time; each must answer 201 within 2 s and be visible at once to another
    connection."""
    times = []
    for _ in range(PROBES):
        a = ArticleExpect(id=new_id(), author=username, description="probe", body="", tags=sorted(rng.sample(tags, 3)))
        a.body = markdown(rng, f"ledger-{a.id}", 1000)
        started = time.monotonic()
        try:
            status, _, body = fetch("POST", server.base + "/api/articles", api_headers(token), jbody(
                {"article": {"title": a.title, "description": a.description, "body": a.body, "tagList": a.tags}}), timeout=10)
        except OSError as e:
            problems.append(f"probe write: no answer ({e})")
            continue
        took = time.monotonic() - started
        times.append(took * 1000)
        if status != 201:
            problems.append(f"probe write answered {status}: {tidy(body.decode(errors='replace'))}")
            continue
        if took > 2:
            problems.append(f"probe write took {took:.1f} s")
        a.slug = json.loads(body)["article"]["slug"]
        ledger.article(a)
        with ro(db) as c:
            if c.execute("select count(*) from articles where title = ?", (a.title,)).fetchone()[0] != 1:
                problems.append(f"probe {a.title} answered 201 but another connection cannot see it (left in a transaction?)")
    return times


def run(template: Path, work: Path, count: int, seed: int) -> tuple[bool, str, list[str]]:
    rng = random.Random(seed)
    folder = work / "disconnects"
    db = copy_db(template, folder)
    ledger = Ledger(folder / "ledger.jsonl")
    server = Server(db, folder / "server.log")
    problems: list[str] = []
    users = accounts(db)[:8]
    with ro(db) as c:
        tags = [r[0] for r in c.execute("select name from tags order by id limit 60")]
        slugs = [r[0] for r in c.execute("select slug from articles order by id desc limit 30")]
    times: list[float] = []
    alongside = 0
    storm_s = 0.0
    cutter = None
    v = None
    try:
        server.start()
        tokens = [(u.username, api_login(server.base, u.email), u.id) for u in users]
        cookies = [rpc_cookie(server.base, u.email) for u in users]
        cutter = Cutter(server, tokens, cookies, slugs, ledger, rng, tags)
        started = time.monotonic()
        alongside = asyncio.run(storm(cutter, count, tokens, ledger, rng, tags, problems))
        storm_s = time.monotonic() - started
        if not server.alive():
            problems.append(f"the server died during the disconnects:\n{server.log_tail()}")
        else:
            times = probe(server, db, tokens[0][1], tokens[0][0], ledger, rng, tags, problems)
            status, _, body = fetch("GET", server.base + "/healthz")
            if status != 200:
                problems.append(f"/healthz answered {status} after the disconnects: {body[:200]!r}")
        # Durable: what was answered is still there after a restart.
        code = server.term()
        if code != 0:
            problems.append(f"SIGTERM after the disconnects ended the server with {code}")
        server.start()
        v = verify_ledger(db, ledger)
        problems += v.problems[:20]
        code = server.term()
    finally:
        server.kill()
        ledger.close()
    problems += check_database(db)
    log = server.log_text()
    bad = bad_log_lines(log)
    problems += [f"server log: {tidy(line)}" for line in bad[:10]]
    closed = log.count("closing a database connection left inside a transaction")
    if v is None:
        v = verify_ledger(db, ledger)
    ok = not problems and len(times) == PROBES and v.present == v.acked
    partial, whole, resets = (cutter.partial, cutter.whole, cutter.resets) if cutter else (0, 0, 0)
    unanswered = count - (cutter.answered_before_cut if cutter else 0)
    line = (f"disconnects: {n(count)} writes cut off after 0-50 ms ({n(partial)} mid-body, {n(whole)} after the body, "
            f"{n(resets)} by reset; {n(unanswered)} closed before any answer) in {storm_s:.0f} s beside {n(alongside)} normal writes, then {len(times)}/{PROBES} "
            f"probe writes committed and visible at once (max {max(times, default=0):.0f} ms, p50 {percentile(times, 50):.0f} ms), "
            f"{n(v.present)}/{n(v.acked)} acknowledged writes present after a restart, "
            f"cut-off articles all-or-nothing ({v.unacked_complete} complete, {v.unacked_absent} absent), "
            f"{closed} writer connections found inside a transaction and replaced, {len(bad)} bad log lines")
    return ok, line, problems
