"""A lower-cased copy of a CoNLL corpus folder: the token column lower-cased, tags, blank lines and
``-DOCSTART-`` lines kept, so a model can be measured on text whose capitals cannot be trusted.

    python scripts/make_lowercased_conll.py ../shared/data/conll2003 /tmp/conll_lower
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SPLITS = ("train.txt", "dev.txt", "test.txt")


def lowercased_line(line: str) -> str:
    """``line`` with its first (token) column lower-cased, whatever separates the columns (spaces or
    tabs); blank and ``-DOCSTART-`` lines as they are."""
    if not line.strip() or line.startswith("-DOCSTART-"):
        return line
    token = line.split(maxsplit=1)[0]
    start = line.index(token)
    return line[:start] + token.lower() + line[start + len(token) :]


def lowercase_file(source: Path, target: Path) -> int:
    """Write the lower-cased copy of ``source`` to ``target``; the number of lines written."""
    with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        written = 0
        for line in lines:
            out.write(lowercased_line(line))
            written += 1
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder holding train.txt, dev.txt, test.txt (CoNLL columns)")
    parser.add_argument("out", type=Path, help="folder to write the lower-cased copies to (created)")
    args = parser.parse_args(argv)
    found = [name for name in SPLITS if (args.source / name).is_file()]
    if not found:
        sys.exit(f"{args.source}: expected a folder holding {', '.join(SPLITS)}; none there")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in found:
        lines = lowercase_file(args.source / name, args.out / name)
        print(f"{args.out / name}: {lines} lines")


if __name__ == "__main__":
    main()
