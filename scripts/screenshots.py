"""Pictures for the manual: the offline demo's terminal output and its HTML dashboard, as PNG.

Runs `agent demo` in a temporary folder, then `agent bench`, `agent report latest` and
`agent dashboard --html` on the demo repository, and photographs each with headless Chromium.
Where Chromium is not installed it says so and exits 0: the committed pictures stay as they are.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
AGENT = Path(sys.executable).with_name("agent")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHAR_W = 8.4
LINE_H = 18
WRAP = 150
TERMINAL = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #1e1f29; }}
.bar {{ height: 26px; background: #383a4a; border-radius: 8px 8px 0 0; }}
.bar i {{ display: inline-block; width: 12px; height: 12px; margin: 7px 0 0 8px;
  border-radius: 6px; background: #ff5f56; }}
pre {{ margin: 0; padding: 12px 16px; color: #e6e6e6; font: 14px/{line}px "DejaVu Sans Mono",
  monospace; white-space: pre; }}
.cmd {{ color: #8be9fd; }}
</style></head><body><div class="bar"><i></i><i style="background:#ffbd2e"></i>
<i style="background:#27c93f"></i></div><pre>{text}</pre></body></html>"""


def browser() -> str | None:
    """The first headless-capable Chromium on PATH."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def run(args: list[str], cwd: Path) -> str:
    """One agent command's output as a terminal shows it: stdout and stderr in their order."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    done = subprocess.run(
        [str(AGENT), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    return done.stdout


def terminal_page(command: str, output: str, work: Path, name: str) -> tuple[Path, int, int]:
    """An HTML page drawing the command and its output as a terminal window, and its size."""
    wrapped = [
        part
        for line in output.rstrip().splitlines()
        for part in textwrap.wrap(line, WRAP, subsequent_indent="    ", drop_whitespace=False)
        or [""]
    ]
    lines = [f"$ {command}", *wrapped]
    body = f'<span class="cmd">{html.escape(lines[0])}</span>\n' + html.escape("\n".join(lines[1:]))
    path = work / f"{name}.html"
    path.write_text(TERMINAL.format(line=LINE_H, text=body), encoding="utf-8")
    width = int(max(len(line) for line in lines) * CHAR_W) + 48
    return path, min(max(width, 640), 1400), len(lines) * LINE_H + 26 + 30


def shoot(chrome: str, page: Path, out: Path, width: int, height: int) -> None:
    """Photograph one local page, scripts and network off, into a PNG."""
    subprocess.run(
        [
            chrome,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--disable-javascript",
            "--proxy-server=127.0.0.1:9",
            f"--window-size={width},{height}",
            f"--screenshot={out}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"wrote {out.relative_to(ROOT)} ({width}x{height})")


def main() -> int:
    """Run the demo, then photograph its terminal output and dashboard."""
    chrome = browser()
    if chrome is None:
        print("no Chromium found (apt-get install chromium); the committed pictures are kept")
        return 0
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        repo = work / "demo"
        demo = run(["demo", "--path", str(repo)], work)
        shots = [
            ("agent demo", demo, "demo"),
            ("agent bench", run(["bench", "--repo", str(repo)], repo), "bench"),
            ("agent report latest", run(["report", "latest", "--repo", str(repo)], repo), "report"),
        ]
        for command, output, name in shots:
            page, width, height = terminal_page(command, output, work, name)
            shoot(chrome, page, IMAGES / f"{name}.png", width, height)
        dashboard = work / "dashboard.html"
        run(["dashboard", "--repo", str(repo), "--html", str(dashboard)], repo)
        shoot(chrome, dashboard, IMAGES / "dashboard.png", 1100, 1462)
    return 0


if __name__ == "__main__":
    sys.exit(main())
