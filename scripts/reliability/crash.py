"""2. Crash: rounds of `kill -9` at a random moment of a write storm (8 writers creating
articles with 3 tags, a comment and a favorite each), then a restart, on one database that
keeps growing; then SIGTERM with requests in flight.

After each kill, before the restart: `integrity_check`, `foreign_key_check`, the search index
and the kept counts (on a scratch copy of the file and its WAL). After the restart: every write
acknowledged so far (in any round) present and complete; every article whose answer never came
either complete or absent; the API tokens still valid; a new write commits.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

from harness import (ArticleExpect, Conn, Ledger, Server, TransportError, accounts, api_headers,
                     api_login, bad_log_lines, check_database, copy_db, fetch, jbody, markdown, n, new_id,
                     read_body, read_head, ro, tidy, verify_ledger)

WRITERS = 8


class Storm:
    def __init__(self, port: int, tokens: list[tuple[str, str, int]], ledger: Ledger, rng: random.Random,
                 tags: list[str]) -> None:
        self.port = port
        self.tokens = tokens
        self.ledger = ledger
        self.rng = rng
        self.tags = tags
        self.killed = False
        self.problems: list[str] = []
        self.acked = 0

    def article(self, author: str) -> ArticleExpect:
        lid = new_id()
        tags = sorted(self.rng.sample(self.tags, 3))
        return ArticleExpect(id=lid, author=author, description=f"crash {lid[:8]}",
                             body=markdown(self.rng, f"ledger-{lid}", self.rng.randint(200, 4000)), tags=tags)

    async def writer(self, i: int) -> None:
        username, token, user_id = self.tokens[i]
        conn = Conn(self.port, timeout=20)
        headers = api_headers(token)
        while not self.killed:
            a = self.article(username)
            self.ledger.unacked_articles[a.id] = a
            try:
                r = await conn.request("POST", "/api/articles", headers, jbody(
                    {"article": {"title": a.title, "description": a.description, "body": a.body, "tagList": a.tags}}))
                if r.status != 201:
                    self.problems.append(f"POST /api/articles answered {r.status}: {tidy(r.body.decode(errors='replace'))}")
                    return
                a.slug = r.json()["article"]["slug"]
                self.ledger.article(a)
                lid = new_id()
                body = f"ledger-{lid} about {a.title}"
                self.ledger.unacked_comments.add(lid)
                r = await conn.request("POST", f"/api/articles/{a.slug}/comments", headers,
                                       jbody({"comment": {"body": body}}))
                if r.status != 201:
                    self.problems.append(f"POST comment answered {r.status}")
                    return
                self.ledger.comment(lid, r.json()["comment"]["id"], a.slug, body, username)
                key = f"favorite:{user_id}:{a.slug}"
                self.ledger.uncertain.add(key)  # until its answer comes
                r = await conn.request("POST", f"/api/articles/{a.slug}/favorite", headers)
                if r.status != 200:
                    self.problems.append(f"POST favorite answered {r.status}")
                    return
                self.ledger.uncertain.discard(key)
                self.ledger.favorite(user_id, a.slug, True)
                self.acked += 3
            except TransportError as e:
                if not self.killed:
                    self.problems.append(f"transport error before the kill: {e}")
                await conn.close()
                return
        await conn.close()

    async def run(self, server: Server, after: float) -> None:
        async def killer() -> None:
            await asyncio.sleep(after)
            self.killed = True
            server.process.kill()  # SIGKILL
            server.process.wait()
        await asyncio.gather(killer(), *(self.writer(i) for i in range(len(self.tokens))))


async def sigterm_in_flight(server: Server, tokens: list[tuple[str, str, int]], ledger: Ledger,
                            rng: random.Random, tags: list[str], count: int = 16) -> tuple[list[str], int, int | None]:
    """`count` article posts whose headers and half their body are sent; SIGTERM; the rest of
    each body. Every one must be answered 201 and be in the database, and the server exit 0."""
    problems = []
    pending = []
    for i in range(count):
        username = tokens[i % len(tokens)][0]
        a = ArticleExpect(id=new_id(), author=username, description="sigterm",
                          body=markdown(rng, "sigterm", 2000), tags=sorted(rng.sample(tags, 3)))
        a.body = markdown(rng, f"ledger-{a.id}", 2000)
        body = jbody({"article": {"title": a.title, "description": a.description, "body": a.body, "tagList": a.tags}})
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        head = (f"POST /api/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Authorization: Token {tokens[i % len(tokens)][1]}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        half = len(body) // 2
        writer.write(head + body[:half])
        await writer.drain()
        ledger.unacked_articles[a.id] = a
        pending.append((a, body[half:], reader, writer))
    await asyncio.sleep(0.3)  # the server has read every head and waits for the bodies
    server.process.terminate()  # SIGTERM
    await asyncio.sleep(0.5)
    if not server.alive():
        problems.append(f"the server exited ({server.process.returncode}) with {count} requests in flight")
    answered = 0
    for a, rest, reader, writer in pending:
        try:
            writer.write(rest)
            await writer.drain()
            status, hdrs = await asyncio.wait_for(read_head(reader), 10)
            data = await asyncio.wait_for(read_body(reader, hdrs, "POST", status), 10)
            if status == 201:
                a.slug = json.loads(data)["article"]["slug"]
                ledger.article(a)
                answered += 1
            else:
                problems.append(f"an in-flight request got {status} after SIGTERM: {tidy(data.decode(errors='replace'))}")
        except (OSError, ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
            problems.append(f"an in-flight request got no answer after SIGTERM: {type(e).__name__}")
        finally:
            writer.close()
    try:
        code = await asyncio.get_running_loop().run_in_executor(None, lambda: server.process.wait(timeout=15))
    except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
        code = None
        server.kill()
    if code != 0:
        problems.append(f"after SIGTERM the server exited with {code} (expected 0 within 15 s)")
    return problems, answered, code


def run(template: Path, work: Path, rounds: int, seed: int) -> tuple[bool, str, list[str]]:
    rng = random.Random(seed)
    folder = work / "crash"
    db = copy_db(template, folder)
    ledger = Ledger(folder / "ledger.jsonl")
    server = Server(db, folder / "server.log")
    problems: list[str] = []
    users = accounts(db)[:WRITERS]
    with ro(db) as c:
        tags = [r[0] for r in c.execute("select name from tags order by id limit 60")]
    start_times = [0.0]
    kills = []
    answered, code = 0, None
    try:
        server.start()
        tokens = [(u.username, api_login(server.base, u.email), u.id) for u in users]
        for round_ in range(rounds):
            after = rng.uniform(1, 5)
            storm = Storm(server.port, tokens, ledger, rng, tags)
            asyncio.run(storm.run(server, after))
            kills.append(after)
            problems += [f"round {round_ + 1}: {p}" for p in storm.problems[:5]]
            # Before the restart: the files as the kill left them.
            problems += [f"round {round_ + 1}, after kill -9: {p}" for p in check_database(db)]
            start_times.append(server.start())
            v = verify_ledger(db, ledger)
            problems += [f"round {round_ + 1}, after restart: {p}" for p in v.problems[:10]]
            for username, token, _ in tokens:
                status, _, _ = fetch("GET", server.base + "/api/user", api_headers(token))
                if status != 200:
                    problems.append(f"round {round_ + 1}: the token of {username} answers {status} after the restart")
            if problems:
                break
        # SIGTERM with requests in flight.
        term_problems, answered, code = asyncio.run(sigterm_in_flight(server, tokens, ledger, rng, tags))
        problems += term_problems
    finally:
        server.kill()
        ledger.close()
    problems += [f"after SIGTERM: {p}" for p in check_database(db)]
    v = verify_ledger(db, ledger)
    problems += v.problems[:20]
    bad = bad_log_lines(server.log_text())
    problems += [f"server log: {tidy(line)}" for line in bad[:10]]
    unacked = v.unacked_complete + v.unacked_absent
    ok = not problems and v.present == v.acked
    line = (f"crash: {len(kills)} kill -9 rounds (after {min(kills, default=0):.1f}-{max(kills, default=0):.1f} s), "
            f"{n(v.present)}/{n(v.acked)} acknowledged writes present and complete, "
            f"{unacked} unanswered all-or-nothing ({v.unacked_complete} complete, {v.unacked_absent} absent), "
            f"integrity ok {'every round' if not any('after kill' in p for p in problems) else 'NOT every round'}, "
            f"restart <= {max(start_times):.2f} s; "
            f"SIGTERM: {answered}/16 in-flight requests answered 201, exit {code}")
    return ok, line, problems
