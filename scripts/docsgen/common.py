"""What every generated page shares: its banner and table-cell escaping."""

from __future__ import annotations

import html

BANNER = (
    "<!-- Generated from the code by `make docs-ref` (scripts/docs_ref.py); do not edit by hand."
    " -->\n"
)


def cell(text: object) -> str:
    """Prose made safe for one Markdown table cell: one line, no pipes, no stray HTML."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")


def code(text: object) -> str:
    """Text shown as code inside a table cell."""
    plain = " ".join(str(text).split()).replace("|", "\\|")
    return f"`` {plain} ``" if "`" in plain else f"`{plain}`"


def page(title: str, intro: str, body: list[str]) -> str:
    """A whole generated page: banner, title, introduction, body."""
    return "\n".join([BANNER, f"# {title}", "", intro, "", *body]).rstrip() + "\n"
