#!/usr/bin/env python3
"""`make reliability` (full) and `make reliability-short`: Quire's reliability suite (issue 7).
Expects `make build` to have run; loopback only; every loop is bounded in count and time.

1. load         mixed reads and writes on many connections; zero 5xx and transport errors;
                every acknowledged write present afterwards (a ledger written after each 2xx);
                favorite counts equal their rows; no "database is locked" in the log.
2. crash        kill -9 at a random moment of a write storm, then restart, several rounds:
                integrity_check ok, acknowledged writes present and complete, the others all or
                nothing; then SIGTERM with requests in flight: they finish and the exit is 0.
3. disk         the database folder on a small tmpfs filled up: writes 503 with a clear message,
                reads 200, /healthz degraded, writes again once space returns (no restart); a
                file system the kernel turns read-only under the server (ext4 on a loop device,
                an error remount); a cold start on a read-only mount.
4. disconnects  writes whose client hangs up mid-request; afterwards writes still commit (no
                connection left inside a transaction).
5. hostile      scripts/reliability/hostile.py, when present.

Each scenario prints one summary line; the lines also go to scripts/reliability/latest.md (and,
for the full tier, into README.md between its reliability markers). The
exit status is 1 when any scenario fails. Seeded databases are kept in ~/.cache/quire/reliability.

    python3 scripts/reliability.py [--short] [--only load,crash,...] [--seed N]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import random
import shutil
import sys
import time
import traceback
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent / "reliability"
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import readme_block  # noqa: E402
from harness import BIN, CACHE, ROOT, say  # noqa: E402

SCENARIOS = ("load", "crash", "disk", "disconnects", "hostile")

# Full tier: the numbers of issue 7. Short tier: what `make test` can afford (about 2 minutes).
TIERS = {
    "full": {"load_seconds": 60, "load_connections": 64, "crash_rounds": 10, "disconnects": 1000},
    "short": {"load_seconds": 10, "load_connections": 16, "crash_rounds": 3, "disconnects": 100},
}
SEED_USERS, SEED_ARTICLES = 200, 2000
SMALL_USERS, SMALL_ARTICLES = 20, 100  # fits a 16 MiB tmpfs


class Tee(io.TextIOBase):
    """Writes to the real stdout and keeps a copy (the hostile module's summary lines)."""

    def __init__(self, out) -> None:
        self.out, self.kept = out, io.StringIO()

    def write(self, s: str) -> int:
        self.out.write(s)
        self.out.flush()
        self.kept.write(s)
        return len(s)

    def flush(self) -> None:
        self.out.flush()


def hostile(template: Path, work: Path, short: bool) -> tuple[bool, list[str], list[str]]:
    path = HERE / "hostile.py"
    if not path.exists():
        return True, ["hostile: skipped, scripts/reliability/hostile.py is not there yet"], []
    spec = importlib.util.spec_from_file_location("hostile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    db = harness.copy_db(template, work / "hostile")
    server = harness.Server(db, work / "hostile" / "server.log")
    server.start()
    tee = Tee(sys.stdout)
    try:
        with contextlib.redirect_stdout(tee):
            code = module.main(server.base, str(db), short, server.process.pid)
    finally:
        alive = server.alive()
        exit_code = server.term()
    problems = []
    if not alive:
        problems.append(f"the server died during the hostile tests:\n{server.log_tail()}")
    elif exit_code != 0:
        problems.append(f"after the hostile tests, SIGTERM ended the server with {exit_code}")
    bad = harness.bad_log_lines(server.log_text())
    problems += [f"server log: {harness.tidy(line)}" for line in bad[:10]]
    lines = [line for line in tee.kept.getvalue().splitlines() if line.strip()]
    summary = [line for line in lines
               if line.lower().startswith(("hostile", "xss")) and "logs kept in" not in line] or lines[-1:]
    if problems:
        summary.append(f"hostile: server {'died' if not alive else 'ok'}, {len(bad)} bad log lines")
    return code == 0 and not problems, summary, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="the short tier (make reliability-short)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios to run")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("RELIABILITY_SEED", "0")) or None,
                        help="random seed (default: new each run, printed)")
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    harness.python_ok()
    if not BIN.exists():
        sys.exit("no release binary: run `make build` first")
    tier = "short" if args.short else "full"
    cfg = TIERS[tier]
    seed = args.seed or random.SystemRandom().randrange(1, 2**31)
    placement = harness.pin_clients()
    say(f"reliability ({tier} tier, seed {seed}; {placement})")
    started = time.monotonic()
    template = harness.template(SEED_USERS, SEED_ARTICLES)
    small = harness.template(SMALL_USERS, SMALL_ARTICLES)
    work = CACHE / f"run-{tier}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    results: list[tuple[str, bool, list[str], float]] = []
    for name in only:
        t0 = time.monotonic()
        rng_seed = seed + SCENARIOS.index(name)
        try:
            if name == "load":
                import load
                ok, line, problems = load.run(template, work, cfg["load_connections"], cfg["load_seconds"], rng_seed)
                lines = [line]
            elif name == "crash":
                import crash
                ok, line, problems = crash.run(template, work, cfg["crash_rounds"], rng_seed)
                lines = [line]
            elif name == "disk":
                import disk
                ok, line, problems = disk.run(small, work, rng_seed)
                lines = [line]
            elif name == "disconnects":
                import disconnects
                ok, line, problems = disconnects.run(template, work, cfg["disconnects"], rng_seed)
                lines = [line]
            else:
                ok, lines, problems = hostile(template, work, args.short)
        except Exception:  # a scenario that breaks is a failure, and the others still run
            ok, problems = False, [traceback.format_exc()]
            lines = [f"{name}: FAILED with an exception"]
        took = time.monotonic() - t0
        mark = "" if ok or name == "hostile" else "FAIL "  # the hostile lines say PASS or FAIL themselves
        if name != "hostile":  # the hostile module printed its lines as it went
            for line in lines:
                say(mark + line)
        say(f"    ({name}: {'ok' if ok else 'FAILED'} in {took:.0f} s)")
        for p in problems[:25]:
            say(f"    - {p}")
        if len(problems) > 25:
            say(f"    ... and {len(problems) - 25} more")
        results.append((name, ok, lines, took))

    total = time.monotonic() - started
    failed = [name for name, ok, _, _ in results if not ok]
    verdict = "all passed" if not failed else f"FAILED: {', '.join(failed)}"
    say(f"reliability ({tier}): {verdict} in {total:.0f} s; logs and ledgers in {work}")
    out = [f"`make reliability{'-short' if args.short else ''}` on {time.strftime('%Y-%m-%d')}, "
           f"{os.cpu_count()} cores ({placement}), seed {seed}, {total:.0f} s:", "", "```"]
    for name, ok, lines, took in results:
        mark = "" if ok or name == "hostile" else "FAIL "
        out += [mark + line for line in lines]
    out += ["```", "", f"Result: {verdict}.", ""]
    if set(only) == set(SCENARIOS):  # a partial run (--only) keeps the last complete figures
        target = HERE / ("latest.md" if not args.short else "latest-short.md")
        target.write_text("\n".join(out))
        say(f"wrote {target.relative_to(ROOT)}")
        if not args.short and readme_block.replace("reliability", "\n".join(out)):
            say("updated README.md between its reliability markers")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
