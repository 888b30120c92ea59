"""The floors picture: the package's folders stacked by what they import, drawn as SVG.

Only the folders and their imports shape it, so it changes when the structure does, not with
every edit inside a floor.
"""

from __future__ import annotations

import ast
from pathlib import Path
from xml.sax.saxutils import escape

from docsgen.messages import ROOT, package_dir

PACKAGES = ("src", "self_improving_agent")
WIDTH = 760
ROW = 58
BOX_H = 40


def _floor_of(module: str) -> str | None:
    """The floor (top folder of the package) an absolute import names, if any."""
    parts = module.split(".")
    return parts[1] if parts[0] in PACKAGES and len(parts) > 1 else None


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Each floor (a top folder of the package) and the floors it imports."""
    package = package_dir(root)
    edges: dict[str, set[str]] = {}
    for folder in sorted(p for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"):
        edges[folder.name] = set()
        for path in folder.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(text)):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                for name in names:
                    floor = _floor_of(name)
                    if floor and floor != folder.name:
                        edges[folder.name].add(floor)
    return edges


def levels(edges: dict[str, set[str]]) -> dict[str, int]:
    """Each floor's height: one above the highest floor it imports (0 for none)."""
    height: dict[str, int] = {}

    def climb(floor: str, seen: frozenset[str]) -> int:
        if floor in height:
            return height[floor]
        below = [d for d in edges.get(floor, set()) if d in edges and d not in seen]
        level = 1 + max((climb(d, seen | {d}) for d in below), default=-1)
        height[floor] = level
        return level

    for floor in sorted(edges):
        climb(floor, frozenset({floor}))
    return height


def upward(edges: dict[str, set[str]], height: dict[str, int]) -> list[tuple[str, str]]:
    """Imports that point sideways or up: a floor importing one at its height or above."""
    return sorted((a, b) for a, deps in edges.items() for b in deps if height[b] >= height[a])


def render(root: Path = ROOT) -> str:
    """The SVG: one row per height, the top floor first."""
    edges = graph(root)
    height = levels(edges)
    top = max(height.values(), default=0)
    bad = upward(edges, height)
    rows = top + 1
    total_h = rows * ROW + 70
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total_h}" '
        f'viewBox="0 0 {WIDTH} {total_h}" font-family="sans-serif" font-size="14">',
        f'<rect width="{WIDTH}" height="{total_h}" fill="#ffffff"/>',
        '<text x="20" y="26" font-size="15" font-weight="bold">'
        "The floors: every import points down (drawn from the code by make docs-ref)</text>",
    ]
    for level in range(top, -1, -1):
        floors = sorted(f for f, h in height.items() if h == level)
        y = 44 + (top - level) * ROW
        box_w = (WIDTH - 40 - 10 * (len(floors) - 1)) / max(len(floors), 1)
        for i, floor in enumerate(floors):
            x = 20 + i * (box_w + 10)
            colour = "#fde2e2" if any(floor in pair for pair in bad) else "#e3ecfa"
            out.append(
                f'<rect x="{x:.0f}" y="{y}" width="{box_w:.0f}" height="{BOX_H}" rx="6" '
                f'fill="{colour}" stroke="#4a6fa5"/>'
            )
            label = f"{floor}/"
            out.append(
                f'<text x="{x + box_w / 2:.0f}" y="{y + 25}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    note = (
        "No import points up or sideways."
        if not bad
        else "Imports against the floors: " + ", ".join(f"{a} -> {b}" for a, b in bad)
    )
    out.append(f'<text x="20" y="{total_h - 12}" font-size="13">{escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
