"""The troubleshooting page: each error sentence in the code, with its entry's meaning and fix."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from docsgen.common import page
from docsgen.messages import ROOT, collect

ENTRIES = ROOT / "docs" / "troubleshooting.toml"


@dataclass(frozen=True)
class Entry:
    """One hand-written explanation covering one or more error sentences."""

    area: str
    title: str
    meaning: str
    fix: str
    messages: tuple[str, ...]


def load(path: Path = ENTRIES) -> list[Entry]:
    """The entries of the troubleshooting file, in its order."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Entry(e["area"], e["title"], e["meaning"], e["fix"], tuple(e["messages"]))
        for e in data["entry"]
    ]


def gaps(entries: list[Entry]) -> tuple[list[str], list[str]]:
    """Sentences in the code without an entry, and entry sentences the code no longer has."""
    in_code = {message.template for message in collect()[0]}
    covered = {message for entry in entries for message in entry.messages}
    return sorted(in_code - covered), sorted(covered - in_code)


def render() -> str:
    """The whole page."""
    entries = load()
    _, dynamic = collect()
    body: list[str] = []
    area = ""
    for entry in entries:
        if entry.area != area:
            area = entry.area
            body += [f"## {area}", ""]
        body += [f"### {entry.title}", ""]
        body += [f"- `{message}`" for message in entry.messages]
        body += ["", f"**What it means.** {entry.meaning}", "", f"**What to do.** {entry.fix}", ""]
    intro = (
        "Every error the agent reports is one sentence on stderr, starting `error:`, and a "
        "non-zero [exit code](reference/exit-codes.md). Below, each sentence as the code writes "
        "it (`…` stands for a value filled in at run time), what it means and what to do. "
        f"A further {dynamic} messages are composed at run time from the failing tool's or "
        "service's own words and are not listed. A failing generation is not an error of the "
        "command: its reason is in `agent report`."
    )
    return page("Troubleshooting", intro, body)
