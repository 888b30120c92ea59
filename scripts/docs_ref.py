"""Write the manual's generated pages from the code, or with --check list the stale ones.

Run it as `make docs-ref` after changing commands, config keys, benchmarks, errors or the report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docsgen import (
    bench_ref,
    cli_ref,
    config_ref,
    exits_ref,
    floors,
    schema_ref,
    trouble_ref,
)
from docsgen.messages import ROOT


def _cli() -> str:
    """The CLI page, from the app main.py builds."""
    from self_improving_agent.cli.app import app

    return cli_ref.render(app)


PAGES: dict[str, Callable[[], str]] = {
    "docs/reference/cli.md": _cli,
    "docs/reference/config.md": config_ref.render,
    "docs/reference/benchmarks.md": bench_ref.render,
    "docs/reference/exit-codes.md": exits_ref.render,
    "docs/reference/report-schema.md": schema_ref.render,
    "docs/troubleshooting.md": trouble_ref.render,
    "docs/images/floors.svg": floors.render,
}


def stale() -> list[str]:
    """The generated pages whose committed text differs from what the code gives now."""
    found = []
    for rel, render in PAGES.items():
        path = ROOT / rel
        if not path.exists() or path.read_text(encoding="utf-8") != render():
            found.append(rel)
    return found


def main(argv: list[str]) -> int:
    """Write every page, or check them; exit 1 when a check finds stale pages or gaps."""
    missing, gone = trouble_ref.gaps(trouble_ref.load())
    for message in missing:
        print(f"no troubleshooting entry in docs/troubleshooting.toml for: {message}")
    for message in gone:
        print(f"docs/troubleshooting.toml names a message the code no longer has: {message}")
    if "--check" in argv:
        old = stale()
        for rel in old:
            print(f"{rel} is stale; run `make docs-ref` and commit the result")
        return 1 if old or missing or gone else 0
    for rel, render in PAGES.items():
        path = ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(), encoding="utf-8")
    return 1 if missing or gone else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
