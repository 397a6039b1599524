"""3. Disk full and read-only storage (needs root, for mount).

a) Full: the database folder on a 16 MiB tmpfs, filled with a filler file to under 1 MiB free
   (QUIRE_MIN_FREE_DISK_MB=1), then written to until the disk refuses: every write answers 2xx
   or 503 with a clear message (never 500), reads keep answering 200, /healthz says degraded;
   the filler removed, the next write succeeds without a restart.
b) Read-only, cold: a server started on the tmpfs remounted read-only exits non-zero with one
   clear line (or, if it starts, refuses writes with 503 and serves reads); remounted
   read-write, it starts and writes. A running server cannot see a read-only remount: Linux
   refuses `mount -o remount,ro` ("mount point is busy") while a file there is open for writing.
c) Read-only, live: what does happen to a running server: the kernel turns its file system
   read-only after an error (ext4 on a loop device, errors=remount-ro, an error triggered through
   /sys/fs/ext4/<dev>/trigger_fs_error). Writes answer 503 with a clear message, reads 200,
   /healthz degraded; SIGTERM stops the server; after e2fsck and a fresh mount, every
   acknowledged write is there and the server writes again. Skipped (with a note) where there
   is no loop device or ext4.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

from harness import (ArticleExpect, Ledger, Server, api_headers, api_login, bad_log_lines, check_database,
                     copy_db, fetch, jbody, markdown, n, new_id, page_is_broken, ro, tidy, verify_ledger)

TMPFS_SIZE = "16m"
LEAVE_FREE = 600 * 1024  # under QUIRE_MIN_FREE_DISK_MB=1


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def unmount(path: Path) -> None:
    if path.is_mount():
        if sh("umount", str(path), check=False).returncode != 0:
            sh("umount", "-l", str(path), check=False)


def first_user(db: Path) -> tuple[str, str, list[str]]:
    """Who writes in these scenarios: the first seeded user's name and email, and the slugs of
    the five newest articles."""
    with ro(db) as c:
        username, email = c.execute("select username, email from users order by id limit 1").fetchone()
        slugs = [r[0] for r in c.execute("select slug from articles order by id desc limit 5")]
    return username, email, slugs


class Disk:
    def __init__(self, server: Server, ledger: Ledger, rng: random.Random, token: str, username: str,
                 slugs: list[str]) -> None:
        self.server = server
        self.ledger = ledger
        self.rng = rng
        self.token = token
        self.username = username
        self.slugs = slugs
        self.problems: list[str] = []
        self.refused = 0
        self.others = 0  # answers neither 2xx nor 503
        self.refusal_messages: set[str] = set()

    def write(self, kind: str = "article", size: int = 12000) -> int:
        """One write; acknowledged ones go to the ledger. Its status (0: no answer)."""
        base, rng = self.server.base, self.rng
        a = None
        if kind == "article":
            a = ArticleExpect(id=new_id(), author=self.username, description="disk", body="",
                              tags=sorted({f"disk-{rng.randint(0, 9)}", "disk", f"size-{size // 1000}k"}))
            a.body = markdown(rng, f"ledger-{a.id}", size)
            self.ledger.unacked_articles[a.id] = a
            req = ("POST", "/api/articles", jbody({"article": {"title": a.title, "description": a.description,
                                                              "body": a.body, "tagList": a.tags}}))
        elif kind == "comment":
            lid = new_id()
            body = f"ledger-{lid} on a full disk"
            req = ("POST", f"/api/articles/{self.slugs[0]}/comments", jbody({"comment": {"body": body}}))
        elif kind == "favorite":
            req = (rng.choice(("POST", "DELETE")), f"/api/articles/{rng.choice(self.slugs)}/favorite", None)
        else:  # a sign-in writes a token row
            req = ("POST", "/api/users/login", None)
        method, path, body = req
        headers = api_headers(self.token)
        if kind == "signin":
            with ro(self.server.db) as c:
                email = c.execute("select email from users where username = ?", (self.username,)).fetchone()[0]
            body = jbody({"user": {"email": email, "password": "quire demo password"}})
            headers = api_headers()
        try:
            status, _, answer = fetch(method, base + path, headers, body, timeout=15)
        except OSError as e:
            self.problems.append(f"{kind}: no answer ({e})")
            return 0
        text = answer.decode(errors="replace")
        if 200 <= status < 300:
            if kind == "article":
                a.slug = json.loads(answer)["article"]["slug"]
                self.ledger.article(a)
            elif kind == "comment":
                c = json.loads(answer)["comment"]
                self.ledger.comment(lid, c["id"], self.slugs[0], c["body"], self.username)
        elif status == 503:
            self.refused += 1
            try:
                message = json.loads(answer)["errors"]["request"][0]
            except (ValueError, KeyError, IndexError, TypeError):
                message = ""
            if "storage" not in message:
                self.problems.append(f"{kind} refused with 503 but no clear message: {tidy(text)}")
            self.refusal_messages.add(message)
        else:
            self.others += 1
            self.problems.append(f"{kind} answered {status} (expected 2xx or 503): {tidy(text)}")
        return status

    def reads(self, label: str) -> int:
        """The pages and API reads that must keep working; how many answered 200."""
        slug = self.slugs[1]
        good = 0
        paths = ["/", f"/article/{slug}", "/search?q=rust", f"/profile/{self.username}",
                 "/api/articles?limit=20", f"/api/articles/{slug}", f"/api/articles/{slug}/comments", "/api/tags",
                 "/api/search?q=rust"]
        for path in paths:
            try:
                status, _, body = fetch("GET", self.server.base + path, timeout=15)
            except OSError as e:
                self.problems.append(f"{label}: GET {path}: no answer ({e})")
                continue
            broken = page_is_broken(body) if not path.startswith("/api") else None
            if status != 200 or broken:
                self.problems.append(f"{label}: GET {path} answered {status}{' showing ' + broken if broken else ''}")
            else:
                good += 1
        return good

    def health(self) -> tuple[int, dict]:
        status, _, body = fetch("GET", self.server.base + "/healthz")
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {}


def fill(folder: Path, leave: int) -> Path:
    filler = folder / "filler"
    st = os.statvfs(folder)
    size = max(0, st.f_bavail * st.f_frsize - leave)
    with open(filler, "wb") as f:
        chunk = b"\0" * (1 << 20)
        while size > 0:
            f.write(chunk[:min(size, len(chunk))])
            size -= min(size, len(chunk))
    return filler


def full_disk(small: Path, folder: Path, rng: random.Random, problems: list[str]) -> dict:
    mnt = folder / "tmpfs"
    mnt.mkdir(parents=True, exist_ok=True)
    unmount(mnt)
    sh("mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(mnt))
    out = {"ok_before": 0, "refused": 0, "reads": 0, "health": None, "after": None, "cold_ro": "", "ro_start": ""}
    server = None
    try:
        db = copy_db(small, mnt)
        ledger = Ledger(folder / "ledger-full.jsonl")
        server = Server(db, folder / "server-full.log")
        server.start()
        username, email, slugs = first_user(db)
        disk = Disk(server, ledger, rng, api_login(server.base, email), username, slugs)
        if disk.write() != 201:
            problems.append("a write before the disk filled up failed")
        filler = fill(mnt, LEAVE_FREE)
        status, health = disk.health()
        if status != 503 or health.get("status") != "degraded":
            problems.append(f"/healthz with {LEAVE_FREE // 1024} KiB free answered {status} {health}")
        # Write until the disk refuses, then a few more of every kind.
        for _ in range(2000):
            st = disk.write()
            if st == 503:
                break
            if st == 201:
                out["ok_before"] += 1
            else:
                break
        else:
            problems.append("2,000 writes on a full disk and none was refused")
        for kind in ("article", "comment", "favorite", "signin") * 3:
            disk.write(kind, size=20000)
        out["refused"] = disk.refused
        out["others"] = disk.others
        out["messages"] = sorted(disk.refusal_messages)
        out["reads"] = disk.reads("disk full")
        status, health = disk.health()
        out["health"] = f"{status} {health.get('status')} (disk {health.get('disk', {}).get('status')})"
        if status != 503 or health.get("status") != "degraded":
            problems.append(f"/healthz on a full disk answered {status} {health}")
        if not server.alive():
            problems.append(f"the server died on the full disk:\n{server.log_tail()}")
        # Space returns: the next write must commit, without a restart.
        filler.unlink()
        st = disk.write()
        out["after"] = st
        if st != 201:
            problems.append(f"the first write after space returned answered {st}")
        for kind in ("article", "comment", "favorite", "signin"):
            if disk.write(kind) not in (200, 201):
                problems.append(f"{kind} after space returned failed")
        status, health = disk.health()
        if status != 200:
            problems.append(f"/healthz after space returned answered {status} {health}")
        problems += disk.problems[:10]
        code = server.term()
        if code != 0:
            problems.append(f"SIGTERM after the full disk ended the server with {code}")
        problems += [f"full disk: {p}" for p in check_database(db)]
        v = verify_ledger(db, ledger)
        ledger.close()
        problems += [f"full disk: {p}" for p in v.problems[:10]]
        out["verdict"] = v
        out["bad_log"] = bad_log_lines(server.log_text())
        out["replaced"] = server.log_text().count("closing a database connection left inside a transaction")
        problems += [f"server log: {tidy(line)}" for line in out["bad_log"][:10]]

        # b) Cold start on a read-only mount.
        sh("mount", "-o", "remount,ro", str(mnt))
        cold = Server(db, folder / "server-cold-ro.log")
        cold.spawn()
        try:
            cold.process.wait(timeout=15)
            lines = [line for line in cold.log_text(since_start=True).splitlines() if line.strip()]
            out["cold_ro"] = f"exit {cold.process.returncode}: {lines[-1] if lines else '(nothing logged)'}"
            if cold.process.returncode == 0 or not lines:
                problems.append(f"a start on a read-only disk: {out['cold_ro']}")
        except subprocess.TimeoutExpired:
            # It started: then it must serve reads, refuse writes clearly and say degraded.
            cold_ledger = Ledger(folder / "ledger-cold.jsonl")
            try:
                d = Disk(cold, cold_ledger, rng, disk.token, username, slugs)
                st = d.write()
                reads = d.reads("started read-only")
                status, health = d.health()
                out["cold_ro"] = (f"started, a write {st} {' / '.join(repr(m) for m in sorted(d.refusal_messages))}, "
                                  f"reads {reads}/9 ok, /healthz {status} {health.get('status')} "
                                  f"(disk {health.get('disk', {}).get('status')})")
                if st != 503:
                    problems.append(f"a server started on a read-only disk answered a write with {st}")
                if status != 503 or health.get("status") != "degraded":
                    problems.append(f"/healthz of a server started on a read-only disk: {status} {health}")
                problems += [f"started read-only: {p}" for p in d.problems[:5]]
            finally:
                cold.kill()
                cold_ledger.close()
        sh("mount", "-o", "remount,rw", str(mnt))
        again = Server(db, folder / "server-rw-again.log")
        ledger_again = Ledger(folder / "ledger-rw.jsonl")
        try:
            again.start()
            d = Disk(again, ledger_again, rng, api_login(again.base, email), username, slugs)
            st = d.write()
            out["ro_start"] = st
            if st != 201:
                problems.append(f"after remounting read-write, a write answered {st}")
            problems += d.problems[:5]
        finally:
            again.term()
            ledger_again.close()
    finally:
        if server is not None:
            server.kill()
        unmount(mnt)
    return out


def loop_ext4_available() -> str | None:
    """Why the live read-only test cannot run here, or None."""
    for tool in ("mkfs.ext4", "losetup", "e2fsck"):
        if not shutil.which(tool):
            return f"no {tool}"
    if not Path("/dev/loop-control").exists():
        return "no loop devices"
    if "ext4" not in Path("/proc/filesystems").read_text():
        return "no ext4 in this kernel"
    return None


def live_read_only(small: Path, folder: Path, rng: random.Random, problems: list[str]) -> dict:
    mnt = folder / "ext4"
    image = folder / "ext4.img"
    mnt.mkdir(parents=True, exist_ok=True)
    unmount(mnt)
    image.unlink(missing_ok=True)
    with open(image, "wb") as f:
        f.truncate(32 << 20)
    sh("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
    sh("mount", "-o", "loop,errors=remount-ro", str(image), str(mnt))
    out: dict = {}
    server = None
    try:
        db = copy_db(small, mnt)
        ledger = Ledger(folder / "ledger-ro.jsonl")
        server = Server(db, folder / "server-ro.log")
        server.start()
        username, email, slugs = first_user(db)
        disk = Disk(server, ledger, rng, api_login(server.base, email), username, slugs)
        for _ in range(5):
            if disk.write() != 201:
                problems.append("a write before the file system turned read-only failed")
        device = next(line.split()[0] for line in Path("/proc/mounts").read_text().splitlines()
                      if line.split()[1] == str(mnt))
        Path(f"/sys/fs/ext4/{Path(device).name}/trigger_fs_error").write_text("reliability suite\n")
        statuses = [disk.write(kind) for kind in ("article", "comment", "favorite", "signin", "article", "article")]
        out["statuses"] = statuses
        out["refused"] = disk.refused
        out["messages"] = sorted(disk.refusal_messages)
        if disk.refused == 0:
            problems.append(f"writes on a read-only file system: {statuses}, none refused with 503")
        out["reads"] = disk.reads("read-only")
        status, health = disk.health()
        out["health"] = f"{status} {health.get('status')} (disk {health.get('disk', {}).get('status')})"
        if status != 503 or health.get("status") != "degraded":
            problems.append(f"/healthz on a read-only file system answered {status} {health}")
        if not server.alive():
            problems.append(f"the server died when its file system turned read-only:\n{server.log_tail()}")
        problems += [f"read-only: {p}" for p in disk.problems[:10]]
        out["exit"] = server.term(timeout=15)
        if out["exit"] is None:
            problems.append("after SIGTERM on a read-only file system the server did not exit within 15 s")
        out["bad_log"] = bad_log_lines(server.log_text())
        problems += [f"server log: {tidy(line)}" for line in out["bad_log"][:10]]
        # The operator's repair: unmount, fsck, mount, start.
        unmount(mnt)
        fsck = sh("e2fsck", "-fy", str(image), check=False)
        if fsck.returncode not in (0, 1):
            problems.append(f"e2fsck answered {fsck.returncode}: {fsck.stdout[-300:]}")
        sh("mount", "-o", "loop,errors=remount-ro", str(image), str(mnt))
        problems += [f"after the repair: {p}" for p in check_database(db)]
        v = verify_ledger(db, ledger)
        problems += [f"after the repair: {p}" for p in v.problems[:10]]
        out["verdict"] = v
        server = Server(db, folder / "server-ro-repaired.log")
        server.start()
        disk = Disk(server, ledger, rng, disk.token, username, slugs)
        out["after"] = disk.write()
        if out["after"] != 201:
            problems.append(f"after the repair a write answered {out['after']}")
        server.term()
        ledger.close()
    finally:
        if server is not None:
            server.kill()
        unmount(mnt)
        image.unlink(missing_ok=True)
    return out


def run(small: Path, work: Path, seed: int) -> tuple[bool, str, list[str]]:
    if os.geteuid() != 0:
        return False, "disk: needs root (it mounts a tmpfs and a loop device)", ["not root"]
    rng = random.Random(seed)
    folder = work / "disk"
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    full = full_disk(small, folder, rng, problems)
    why_not = loop_ext4_available()
    live = live_read_only(small, folder, rng, problems) if why_not is None else None
    fv = full.get("verdict")
    line = (f"disk: full tmpfs: {n(full['ok_before'])} writes fit, then {full['refused']} refused with 503 "
            f"{' / '.join(repr(m) for m in full.get('messages', [])) or '(none)'}, {full.get('others', 0)} other answers, reads {full['reads']}/9 ok, "
            f"/healthz {full['health']}, first write after space returned {full['after']} (no restart; "
            f"writer connection replaced {full.get('replaced', 0)} times)")
    if fv:
        line += f", {n(fv.present)}/{n(fv.acked)} acknowledged writes present"
    line += f"; cold start read-only: {full['cold_ro']}, then read-write {full['ro_start']}"
    if live is not None:
        lv = live.get("verdict")
        line += (f"; live read-only (ext4 error remount): writes {live.get('statuses')} "
                 f"{' / '.join(repr(m) for m in live.get('messages', []))}, reads {live.get('reads')}/9 ok, "
                 f"/healthz {live.get('health')}, SIGTERM exit {live.get('exit')}, after fsck "
                 f"{(str(lv.present) + '/' + str(lv.acked)) if lv else '?'} acknowledged writes present and a write {live.get('after')}")
    else:
        line += f"; live read-only skipped ({why_not})"
    line += f"; integrity ok" if not any("integrity" in p for p in problems) else "; INTEGRITY FAILED"
    return not problems, line, problems
