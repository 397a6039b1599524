#!/usr/bin/env python3
"""Which of Quire's modules import which, and whether the arrows all point one way.

Reads every `crate::<module>` path in `src/` (test modules, `#[cfg(test)] mod … { … }`, are
left out), prints each top-level module with the modules it uses, in an order where each
uses only those below it, and fails (exit 1) when:

- two modules use each other, directly or round a longer circle;
- an arrow points up the layers: pages -> components -> context -> server / api -> service
  -> db -> model (a lower layer never names a higher one);
- a page uses another page, or a server function a page;
- a server function or a REST handler names the db layer (they are thin adapters over the
  service layer, which hands out model types: `Account`, never `db::user::UserRecord`).

Usage: python3 scripts/layers.py [--edges]   (--edges also lists where each arrow comes from)
"""

import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
# Lowest first: a module may name only modules after it in this list.
LAYERS = ["pages", "components", "context", "server", "api", "service", "db", "model"]
PATH = re.compile(r"\bcrate::([a-z_]+)(?:::([a-z_]+))?")


def module_of(path):
    rel = path.relative_to(SRC).with_suffix("")
    parts = rel.parts
    top = parts[0]
    sub = parts[1] if len(parts) > 1 and parts[1] != "mod" else None
    return top, sub


def code_of(text):
    """`text` without its test modules (`#[cfg(test)] mod … { … }`) and comments."""
    out, at = [], 0
    for found in re.finditer(r"#\[cfg\(test\)\]\s*mod \w+ \{", text):
        if found.start() < at:
            continue
        out.append(text[at : found.start()])
        depth, i = 1, found.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        # Keep the line count, so that line numbers stay right.
        out.append("\n" * text.count("\n", found.start(), i))
        at = i
    out.append(text[at:])
    # Leave out comments: docs name modules without using them.
    return "\n".join(line.split("//")[0] for line in "".join(out).splitlines())


def main():
    edges = {}  # (from, to) -> [file:line]
    subs = []  # (from top, from sub, to top, to sub, where)
    modules = set()
    for path in sorted(SRC.rglob("*.rs")):
        top, sub = module_of(path)
        if top in ("lib", "main"):
            continue
        modules.add(top)
        for number, line in enumerate(code_of(path.read_text()).splitlines(), 1):
            for to, to_sub in PATH.findall(line):
                where = f"{path.relative_to(SRC.parent)}:{number}"
                if to != top:
                    edges.setdefault((top, to), []).append(where)
                subs.append((top, sub, to, to_sub, where))
    graph = {m: sorted({b for (a, b) in edges if a == m}) for m in sorted(modules)}
    problems = []

    # Circles: strongly connected components with more than one module (Tarjan).
    index, low, stack, on, order, comps = {}, {}, [], set(), [0], []

    def visit(v):
        index[v] = low[v] = order[0]
        order[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comps.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    for comp in comps:
        if len(comp) > 1:
            members = set(comp)
            arrows = [f"{a} -> {b} ({edges[(a, b)][0]})" for (a, b) in edges if a in members and b in members]
            problems.append("circle: " + ", ".join(sorted(arrows)))

    for (a, b), where in sorted(edges.items()):
        if a in LAYERS and b in LAYERS and LAYERS.index(b) < LAYERS.index(a):
            problems.append(f"{a} -> {b} points up the layers ({where[0]})")
    for top, sub, to, to_sub, where in subs:
        if top == "pages" and to == "pages" and to_sub and sub and to_sub != sub:
            problems.append(f"page {sub} uses page {to_sub} ({where})")
        if top == "server" and to == "pages":
            problems.append(f"server function module {sub} uses pages ({where})")
        if top in ("server", "api") and to == "db":
            problems.append(f"{top} skips the service layer for db ({where})")

    # Tarjan emits components in reverse topological order: used before users.
    print("Each module, after every module it uses:")
    for comp in comps:
        for m in sorted(comp):
            print(f"  {m:<11} -> {', '.join(graph[m]) or '(nothing of ours)'}")
            if "--edges" in sys.argv:
                for b in graph[m]:
                    print(f"      {b}: {edges[(m, b)][0]}")
    if problems:
        print("\nProblems:")
        for p in problems:
            print("  " + p)
        return 1
    print("\nNo circles; every arrow points down the layers.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
