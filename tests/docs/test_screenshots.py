"""The screenshot script needs no browser: without one it says so and keeps the pictures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.docs.docs_kit import DOCS, ROOT


def test_without_chromium_it_says_so_and_changes_nothing(tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in (DOCS / "images").glob("*.png")}
    done = subprocess.run(
        [sys.executable, "scripts/screenshots.py"],
        cwd=ROOT,
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no Chromium found" in done.stdout
    assert {p.name: p.read_bytes() for p in (DOCS / "images").glob("*.png")} == before
    assert set(before) >= {"dashboard.png", "demo.png", "bench.png", "report.png"}
