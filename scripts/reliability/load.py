"""1. Mixed load: page reads, API reads, searches and writes (articles with tags, edits,
deletes, comments, favorite toggles, sign-ins and sign-outs, through the REST API and the UI's
server functions) on many keep-alive connections for a fixed time. Then every acknowledged
write is looked up in SQLite and through the API.

Each connection is a virtual user that owns a few accounts: an account is only ever used by one
connection, one request at a time, so the state every acknowledged write leaves is known.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from harness import (Account, ArticleExpect, Conn, Ledger, Response, Server, TransportError, Verdict,
                     accounts, api_headers, bad_log_lines, check_database, copy_db, form, jbody,
                     markdown, n, new_id, page_is_broken, percentile, ro, rpc_headers, tidy,
                     verify_ledger)

ERROR_LINE = re.compile(r"\bERROR\b")
# Each connection signs in as its own few accounts (no account is shared between connections).
ACCOUNTS_PER_CONNECTION = 2


@dataclass
class Stats:
    requests: int = 0
    writes: int = 0
    reads: int = 0
    status_5xx: int = 0
    transport: int = 0
    unexpected: int = 0
    broken_pages: int = 0
    latencies: list[float] = field(default_factory=list)
    write_latencies: list[float] = field(default_factory=list)
    # Sign-ins wait for argon2 on two threads: counted apart too, so the other writes' tail shows.
    sign_in_latencies: list[float] = field(default_factory=list)
    other_write_latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_5xx: dict[str, int] = field(default_factory=dict)  # first path segment -> 5xx answers

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)


@dataclass
class World:
    """What the workers read and write: seeded slugs, tags, usernames."""
    base: str
    slugs: list[str]
    hot: list[str]  # articles whose favorites and comments everybody fights over
    tags: list[str]
    usernames: list[str]
    words: list[str]
    favorites: set[tuple[int, str]]  # (user id, slug) at the start


class Worker:
    def __init__(self, number: int, port: int, world: World, users: list[Account], ledger: Ledger,
                 stats: Stats, seed: int) -> None:
        self.number = number
        self.conn = Conn(port)
        self.world = world
        self.users = users
        self.ledger = ledger
        self.stats = stats
        self.rng = random.Random(seed)
        self.tokens: dict[int, str] = {}
        self.cookies: dict[int, str | None] = {}
        self.signed_out: list[tuple[int, str]] = []
        self.own: dict[int, list[ArticleExpect]] = {u.id: [] for u in users}
        self.fav: dict[tuple[int, str], bool] = {
            (u.id, s): (u.id, s) in world.favorites for u in users for s in world.hot
        }

    # -- one request, counted
    async def req(self, kind: str, method: str, path: str, headers: dict[str, str] | None = None,
                  body: bytes | None = None, expect: tuple[int, ...] = (200,), write: bool = False) -> Response | None:
        st = self.stats
        st.requests += 1
        st.by_kind[kind] = st.by_kind.get(kind, 0) + 1
        if write:
            st.writes += 1
        else:
            st.reads += 1
        try:
            r = await self.conn.request(method, path, headers, body)
        except TransportError as e:
            st.transport += 1
            st.problem(f"transport error: {e}")
            return None
        st.latencies.append(r.ms)
        if write:
            st.write_latencies.append(r.ms)
        if kind.startswith("signin."):
            st.sign_in_latencies.append(r.ms)
        elif write:
            st.other_write_latencies.append(r.ms)
        if r.status >= 500:
            st.status_5xx += 1
            route = "/" + path.lstrip("/").split("/")[0].split("?")[0]
            st.by_5xx[route] = st.by_5xx.get(route, 0) + 1
            st.problem(f"{r.status} for {method} {tidy(path, 80)}: {tidy(r.body.decode(errors='replace'))}")
            return None
        if r.status not in expect:
            st.unexpected += 1
            st.problem(f"{r.status} (expected {expect}) for {method} {tidy(path, 80)}: {tidy(r.body.decode(errors='replace'))}")
            return None
        return r

    def user(self) -> Account:
        return self.rng.choice(self.users)

    async def token(self, u: Account) -> str | None:
        if u.id not in self.tokens:
            await self.sign_in_api(u)
        return self.tokens.get(u.id)

    async def cookie(self, u: Account) -> str | None:
        if not self.cookies.get(u.id):
            await self.sign_in_rpc(u)
        return self.cookies.get(u.id)

    # -- sign-ins
    async def sign_in_api(self, u: Account) -> None:
        r = await self.req("signin.api", "POST", "/api/users/login", api_headers(),
                           jbody({"user": {"email": u.email, "password": "quire demo password"}}), write=True)
        if r is not None:
            self.tokens[u.id] = r.json()["user"]["token"]
            self.ledger.other("signin.api", f"token:{u.id}")

    async def sign_in_rpc(self, u: Account) -> None:
        r = await self.req("signin.rpc", "POST", "/rpc/login", rpc_headers(self.world.base),
                           form(email=u.email, password="quire demo password"), write=True)
        if r is not None:
            cookie = r.headers.get("set-cookie", "").split(";", 1)[0]
            if not cookie:
                self.stats.problem(f"/rpc/login for {u.email} set no cookie")
                return
            self.cookies[u.id] = cookie
            self.ledger.other("signin.rpc", f"session:{u.id}")

    async def sign_out_rpc(self) -> None:
        u = self.user()
        cookie = self.cookies.get(u.id)
        if not cookie:
            return await self.sign_in_rpc(u)
        r = await self.req("signout.rpc", "POST", "/rpc/logout", rpc_headers(self.world.base, cookie), b"", write=True)
        if r is not None:
            self.cookies[u.id] = None
            self.signed_out.append((u.id, cookie))
            self.ledger.other("signout.rpc", f"session:{u.id}")

    # -- reads
    async def page(self) -> None:
        w, rng = self.world, self.rng
        choice = rng.random()
        signed_in = None
        if choice < 0.2:
            path = "/"
        elif choice < 0.3:
            path = f"/?page={rng.randint(2, 50)}"
        elif choice < 0.6:
            path = f"/article/{rng.choice(w.slugs)}"
        elif choice < 0.7:
            path = f"/tag/{urllib.parse.quote(rng.choice(w.tags))}"
        elif choice < 0.8:
            path = f"/profile/{rng.choice(w.usernames)}" + ("/favorites" if rng.random() < 0.3 else "")
        elif choice < 0.9:
            path = f"/search?q={urllib.parse.quote(rng.choice(w.words))}"
        else:
            u = self.user()
            signed_in = await self.cookie(u)
            if not signed_in:
                return
            path = "/"
        r = await self.req("page", "GET", path, {"Cookie": signed_in} if signed_in else None)
        if r is None:
            return
        marker = page_is_broken(r.body)
        if marker:
            self.stats.broken_pages += 1
            self.stats.problem(f"page {path} shows an error ({marker})")
        if signed_in and b'href="/settings"' not in r.body:
            self.stats.broken_pages += 1
            self.stats.problem(f"page {path} with a fresh session is not signed in")

    async def api_read(self) -> None:
        w, rng = self.world, self.rng
        choice = rng.random()
        headers = api_headers()
        if choice < 0.25:
            path = f"/api/articles?limit=20&offset={rng.randint(0, 500)}"
        elif choice < 0.4:
            path = f"/api/articles?tag={urllib.parse.quote(rng.choice(w.tags))}&limit=10"
        elif choice < 0.6:
            path = f"/api/search?q={urllib.parse.quote(rng.choice(w.words))}&limit=10"
        elif choice < 0.75:
            path = f"/api/articles/{rng.choice(w.slugs)}"
        elif choice < 0.85:
            path = f"/api/articles/{rng.choice(w.hot)}/comments"
        elif choice < 0.9:
            path = "/api/tags"
        else:
            u = self.user()
            token = await self.token(u)
            if not token:
                return
            headers = api_headers(token)
            path = "/api/articles/feed?limit=10"
        r = await self.req("api", "GET", path, headers)
        if r is not None:
            try:
                r.json()
            except ValueError:
                self.stats.problem(f"{path} answered 200 with no JSON")

    # -- writes
    def new_article(self, u: Account) -> ArticleExpect:
        rng, lid = self.rng, new_id()
        tags = sorted({*rng.sample(self.world.tags, 2), f"rel-{rng.choice(self.world.words)}"})
        while len(tags) < 3:
            tags = sorted({*tags, f"rel-{rng.randint(0, 99)}"})
        return ArticleExpect(id=lid, author=u.username, description=f"reliability {lid[:8]}",
                             body=markdown(rng, f"ledger-{lid}", rng.randint(300, 6000)), tags=tags)

    async def create_article(self) -> None:
        u = self.user()
        a = self.new_article(u)
        self.ledger.unacked_articles[a.id] = a
        if self.rng.random() < 0.25:
            cookie = await self.cookie(u)
            if not cookie:
                return
            r = await self.req("article.rpc", "POST", "/rpc/save_article", rpc_headers(self.world.base, cookie),
                               form(slug="", title=a.title, description=a.description, body=a.body,
                                    tags=",".join(a.tags[:2]), tag_input=a.tags[2]), write=True)
            if r is None:
                return
            a.slug = r.json()
        else:
            token = await self.token(u)
            if not token:
                return
            r = await self.req("article.api", "POST", "/api/articles", api_headers(token),
                               jbody({"article": {"title": a.title, "description": a.description, "body": a.body,
                                                  "tagList": a.tags}}), expect=(201,), write=True)
            if r is None:
                return
            got = r.json()["article"]
            a.slug = got["slug"]
            if got["tagList"] != a.tags or got["body"] != a.body:
                self.stats.problem(f"POST /api/articles answered other content for {a.title}")
        self.ledger.article(a)
        self.own[u.id].append(a)
        # Read your own write, through the page cache and the API.
        if self.rng.random() < 0.3:
            if self.rng.random() < 0.5:
                r = await self.req("page", "GET", f"/article/{a.slug}")
                if r is not None and a.title.encode() not in r.body:
                    self.stats.problem(f"/article/{a.slug} right after it was written does not show it")
            else:
                r = await self.req("api", "GET", f"/api/articles/{a.slug}", api_headers())
                if r is not None and (r.json()["article"]["body"] != a.body):
                    self.stats.problem(f"/api/articles/{a.slug} right after it was written has another body")

    async def edit_or_delete(self) -> None:
        u = self.user()
        mine = [a for a in self.own[u.id] if not a.deleted]
        if not mine:
            return await self.create_article()
        a = self.rng.choice(mine)
        rpc = self.rng.random() < 0.25
        if self.rng.random() < 0.3:
            if rpc:
                cookie = await self.cookie(u)
                if not cookie:
                    return
                r = await self.req("delete.rpc", "POST", "/rpc/delete_article", rpc_headers(self.world.base, cookie),
                                   form(slug=a.slug), write=True)
            else:
                token = await self.token(u)
                if not token:
                    return
                r = await self.req("delete.api", "DELETE", f"/api/articles/{a.slug}", api_headers(token),
                                   expect=(204,), write=True)
            if r is None:
                self.ledger.uncertain.add(f"article:{a.id}")
                return
            a.deleted = True
            self.ledger.article(a, "article.delete")
            return
        fresh = self.new_article(u)
        body, desc, tags = fresh.body.replace(f"ledger-{fresh.id}", a.title), f"edited {fresh.id[:8]}", fresh.tags
        if rpc:
            cookie = await self.cookie(u)
            if not cookie:
                return
            r = await self.req("edit.rpc", "POST", "/rpc/save_article", rpc_headers(self.world.base, cookie),
                               form(slug=a.slug, title=a.title, description=desc, body=body, tags=",".join(tags),
                                    tag_input=""), write=True)
        else:
            token = await self.token(u)
            if not token:
                return
            r = await self.req("edit.api", "PUT", f"/api/articles/{a.slug}", api_headers(token),
                               jbody({"article": {"description": desc, "body": body, "tagList": tags}}), write=True)
        if r is None:
            self.ledger.uncertain.add(f"article:{a.id}")
            return
        a.body, a.description, a.tags = body, desc, tags
        self.ledger.article(a, "article.edit")

    async def comment(self) -> None:
        u, rng = self.user(), self.rng
        slug = rng.choice(self.world.hot)
        lid = new_id()
        body = f"ledger-{lid} " + " ".join(rng.choice(self.world.words) for _ in range(rng.randint(3, 40)))
        self.ledger.unacked_comments.add(lid)
        if rng.random() < 0.25:
            cookie = await self.cookie(u)
            if not cookie:
                return
            r = await self.req("comment.rpc", "POST", "/rpc/add_comment", rpc_headers(self.world.base, cookie),
                               form(slug=slug, body=body), write=True)
            if r is None:
                return
            cid = r.json()["id"]
        else:
            token = await self.token(u)
            if not token:
                return
            r = await self.req("comment.api", "POST", f"/api/articles/{slug}/comments", api_headers(token),
                               jbody({"comment": {"body": body}}), expect=(201,), write=True)
            if r is None:
                return
            cid = r.json()["comment"]["id"]
        self.ledger.comment(lid, cid, slug, body, u.username)

    async def favorite(self) -> None:
        u, rng = self.user(), self.rng
        slug = rng.choice(self.world.hot)
        on = not self.fav[(u.id, slug)]
        if rng.random() < 0.25:
            cookie = await self.cookie(u)
            if not cookie:
                return
            r = await self.req("favorite.rpc", "POST", "/rpc/favorite_article", rpc_headers(self.world.base, cookie),
                               form(slug=slug, favorite="true" if on else "false"), write=True)
            if r is None:
                self.ledger.uncertain.add(f"favorite:{u.id}:{slug}")
                return
            got = r.json()
        else:
            token = await self.token(u)
            if not token:
                return
            r = await self.req("favorite.api", "POST" if on else "DELETE", f"/api/articles/{slug}/favorite",
                               api_headers(token), write=True)
            if r is None:
                self.ledger.uncertain.add(f"favorite:{u.id}:{slug}")
                return
            got = r.json()["article"]
        if got["favorited"] != on:
            self.stats.problem(f"favorite of {slug} answered favorited={got['favorited']}, expected {on}")
        self.fav[(u.id, slug)] = on
        self.ledger.favorite(u.id, slug, on)

    async def sign_in(self) -> None:
        u = self.user()
        if self.rng.random() < 0.6:
            await self.sign_in_api(u)
        else:
            await self.sign_in_rpc(u)

    async def run(self, deadline: float) -> None:
        ops = (self.page, self.api_read, self.create_article, self.comment, self.favorite,
               self.edit_or_delete, self.sign_in, self.sign_out_rpc)
        # Sign-ins are few: each is an Argon2 hash (about 40 ms of the server's one core).
        weights = (60, 15, 4, 5, 6, 5, 0.3, 0.1)
        for u in self.users:  # every account starts signed in through the API
            await self.sign_in_api(u)
        while time.monotonic() < deadline:
            await self.rng.choices(ops, weights)[0]()
        await self.conn.close()


def world(db: Path, base: str) -> World:
    with ro(db) as c:
        slugs = [r[0] for r in c.execute("select slug from articles order by id")]
        hot = [r[0] for r in c.execute("select slug from articles order by id desc limit 40")]
        tags = [r[0] for r in c.execute("select name from tags order by articles_count desc limit 100")]
        usernames = [r[0] for r in c.execute("select username from users")]
        favorites = set(c.execute(
            "select f.user_id, a.slug from favorites f join articles a on a.id = f.article_id "
            "where a.id in (select id from articles order by id desc limit 40)"))
    words = [t.split("-")[0] for t in tags[:30]] + ["rust", "sqlite", "ledger"]
    return World(base, slugs, hot, tags, usernames, words, favorites)


async def drive(server: Server, w: World, users: list[Account], ledger: Ledger, stats: Stats,
                connections: int, seconds: float, seed: int) -> dict:
    users = users[:ACCOUNTS_PER_CONNECTION * connections]
    workers = [Worker(i, server.port, w, users[i::connections], ledger, stats, seed * 1000 + i)
               for i in range(connections)]
    started = time.monotonic()
    deadline = started + seconds
    rss = {}

    async def sample_rss():
        await asyncio.sleep(min(5, seconds / 4))
        rss["warm"] = server.rss_mb()
        while time.monotonic() < deadline:
            rss["peak"] = max(rss.get("peak", 0), server.rss_mb())
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample_rss())
    await asyncio.gather(*(wk.run(deadline) for wk in workers))
    sampler.cancel()
    rss["end"] = server.rss_mb()
    return {"elapsed": time.monotonic() - started, "workers": workers, "rss": rss}


async def verify_api(server: Server, ledger: Ledger, workers: list[Worker], v: Verdict) -> None:
    """The acknowledged writes as the API and the pages show them (through the page cache)."""
    conns = [Conn(server.port) for _ in range(8)]
    queue: asyncio.Queue = asyncio.Queue()
    for a in ledger.articles.values():
        if f"article:{a.id}" not in ledger.uncertain:
            queue.put_nowait(("article", a))
    for wk in workers:
        for uid, token in wk.tokens.items():
            queue.put_nowait(("token", (uid, token, next(u.username for u in wk.users if u.id == uid))))
        for uid, cookie in wk.cookies.items():
            if cookie:
                queue.put_nowait(("session", (uid, cookie, True)))
        for uid, cookie in wk.signed_out:
            queue.put_nowait(("session", (uid, cookie, False)))
    comments_by_slug: dict[str, set[int]] = {}
    for cid, slug, _, _ in ledger.comments.values():
        comments_by_slug.setdefault(slug, set()).add(cid)
    for slug, ids in comments_by_slug.items():
        queue.put_nowait(("comments", (slug, ids)))

    async def check(conn: Conn) -> None:
        while not queue.empty():
            kind, item = queue.get_nowait()
            try:
                if kind == "article":
                    a = item
                    r = await conn.request("GET", f"/api/articles/{a.slug}", api_headers())
                    if a.deleted:
                        if r.status != 404:
                            v.fail(f"API: deleted {a.title} answers {r.status}", f"article:{a.id}")
                        continue
                    if r.status != 200:
                        v.fail(f"API: {a.title} answers {r.status}", f"article:{a.id}")
                        continue
                    got = r.json()["article"]
                    if got["body"] != a.body or got["tagList"] != a.tags or got["description"] != a.description:
                        v.fail(f"API: {a.title} differs from what was acknowledged", f"article:{a.id}")
                elif kind == "token":
                    uid, token, username = item
                    r = await conn.request("GET", "/api/user", api_headers(token))
                    if r.status != 200 or r.json()["user"]["username"] != username:
                        v.fail(f"API: the newest token of user {uid} answers {r.status}", f"token:{uid}")
                elif kind == "session":
                    uid, cookie, signed_in = item
                    r = await conn.request("GET", "/settings", {"Cookie": cookie})
                    shows = r.status == 200 and b'name="email"' in r.body
                    if shows != signed_in:
                        v.fail(f"session of user {uid} should be {'signed in' if signed_in else 'signed out'}"
                               f" (/settings answered {r.status})", f"session:{uid}")
                elif kind == "comments":
                    slug, ids = item
                    r = await conn.request("GET", f"/api/articles/{slug}/comments", api_headers())
                    got = {c["id"] for c in r.json()["comments"]} if r.status == 200 else set()
                    if not ids <= got:
                        v.fail(f"API: {len(ids - got)} acknowledged comments missing on {slug}")
            except TransportError as e:
                v.fail(f"API check: {e}")
        await conn.close()

    await asyncio.gather(*(check(c) for c in conns))


def run(template: Path, work: Path, connections: int, seconds: float, seed: int) -> tuple[bool, str, list[str]]:
    db = copy_db(template, work / "load")
    ledger = Ledger(work / "load" / "ledger.jsonl")
    server = Server(db, work / "load" / "server.log")
    server.start()
    stats = Stats()
    users = accounts(db)
    w = world(db, server.base)
    problems: list[str] = []
    try:
        result = asyncio.run(drive(server, w, users, ledger, stats, connections, seconds, seed))
        v = Verdict()
        asyncio.run(verify_api(server, ledger, result["workers"], v))
        code = server.term(timeout=30)
        if code != 0:
            problems.append(f"after the load, SIGTERM ended the server with {code} (expected 0)")
    finally:
        server.kill()
        ledger.close()
    verify_ledger(db, ledger, v)
    if stats.by_5xx:
        problems.append("5xx by path: " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.by_5xx.items())))
    problems += stats.problems[:20]
    problems += v.problems[:30]
    problems += check_database(db)
    log = server.log_text()
    bad = bad_log_lines(log, ERROR_LINE)
    problems += [f"server log: {tidy(line)}" for line in bad[:10]]
    fav_ok = not any("favorites_count" in p for p in problems)
    ok = (not problems and stats.status_5xx == 0 and stats.transport == 0 and stats.unexpected == 0
          and stats.broken_pages == 0 and v.present == v.acked)
    rss = result["rss"]
    line = (f"load: {n(stats.requests)} requests ({n(stats.writes)} writes) on {connections} connections in "
            f"{result['elapsed']:.0f} s, {stats.status_5xx} 5xx, {stats.transport} transport errors, "
            f"{stats.unexpected} other unexpected answers, {n(v.present)}/{n(v.acked)} acknowledged writes present, "
            f"favorite counts {'equal their rows' if fav_ok else 'WRONG'}, "
            f"{len(bad)} bad log lines, p99 {percentile(stats.latencies, 99):.0f} ms "
            f"(writes {percentile(stats.write_latencies, 99):.0f} ms; of them sign-ins "
            f"{percentile(stats.sign_in_latencies, 99):.0f} ms, the rest "
            f"{percentile(stats.other_write_latencies, 99):.0f} ms), "
            f"RSS {rss.get('warm', 0):.0f} -> {rss.get('end', 0):.0f} MB")
    return ok, line, problems
