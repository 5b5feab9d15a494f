"""Copy every config file into docs/configuration.md, so the page reads on GitHub as in the site.

Each file appears as a YAML block after a marker naming it, ``<!-- conf/data/conll.yaml -->``;
the first run turns ``--8<-- "conf/..."`` snippet lines into such blocks. The test suite checks
the blocks equal the files (tests/test_static_checks.py).

    python scripts/sync_configuration_doc.py [--check]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"

SNIPPET = re.compile(r'```yaml\n--8<-- "(conf/[^"]+\.yaml)"\n```')
BLOCK = re.compile(r"<!-- (conf/\S+\.yaml) -->\n```yaml\n.*?```", re.DOTALL)


def synced(text: str, root: Path = ROOT) -> str:
    """``text`` with each config block (or snippet line) holding its file as it is now."""

    def block(match: re.Match[str]) -> str:
        name = match.group(1)
        body = (root / name).read_text(encoding="utf-8")
        return f"<!-- {name} -->\n```yaml\n{body.rstrip()}\n```"

    return BLOCK.sub(block, SNIPPET.sub(block, text))


def main() -> None:
    current = PAGE.read_text(encoding="utf-8")
    wanted = synced(current)
    if "--check" in sys.argv[1:]:
        if wanted != current:
            sys.exit(f"{PAGE.relative_to(ROOT)} is out of date: run python scripts/sync_configuration_doc.py")
        return
    PAGE.write_text(wanted, encoding="utf-8")


if __name__ == "__main__":
    main()
