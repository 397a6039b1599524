"""README.md's generated blocks: `make bench` and `make reliability` each rewrite theirs, the
text between `<!-- NAME:start -->` and `<!-- NAME:end -->`, and leave the rest alone."""

from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def replace(name: str, body: str) -> bool:
    """Puts `body` between the markers of block `name`; False when README.md lacks them."""
    text = README.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    README.write_text(f"{head}{start}\n{body.rstrip()}\n{end}{tail}")
    return True
