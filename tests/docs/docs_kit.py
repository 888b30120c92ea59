"""What the manual's tests share: where the pages are, and the generators on the import path."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
REGENERATE = "run `make docs-ref` and commit the result"

if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

from docsgen.anchors import anchors, slug, split_code  # noqa: E402

__all__ = ["DOCS", "README", "REGENERATE", "ROOT", "anchors", "pages", "slug", "split_code"]


def pages() -> list[Path]:
    """Every Markdown page of the manual, and the README that leads into it."""
    return [README, *sorted(DOCS.rglob("*.md"))]
