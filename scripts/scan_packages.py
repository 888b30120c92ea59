"""Run the write gate's code scan over installed packages: files scanned, refused, and why."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from self_improving_agent.analysis.code_scan import scan_source

DEFAULT = [
    "rich",
    "pydantic",
    "requests",
    "_pytest",
    "git",
    "anthropic",
    "markdown_it",
    "urllib3",
    "json",
    "email",
    "http",
    "logging",
    "asyncio",
    "importlib",
    "unittest",
]


def package_dir(name: str) -> Path:
    """Where an importable package lives."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not an installed package; install it or drop it")
    return Path(next(iter(spec.submodule_search_locations)))


def main() -> None:
    """Scan each package and print a summary line per package and one line per refusal."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("packages", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    total_files = total_refused = 0
    slowest = (0.0, "")
    for name in args.packages:
        root = package_dir(name)
        files = sorted(root.rglob("*.py"))
        refused = 0
        rules: Counter[str] = Counter()
        for path in files:
            rel = f"{name}/{path.relative_to(root).as_posix()}"
            text = path.read_text(encoding="utf-8", errors="replace")
            start = time.perf_counter()
            findings = scan_source(text, rel)
            slowest = max(slowest, (time.perf_counter() - start, rel))
            if findings:
                refused += 1
            for finding in findings:
                rules[finding.rule] += 1
                print(f"  {rel}:{finding.line} {finding.rule} {finding.message}")
        total_files += len(files)
        total_refused += refused
        print(f"{name}: {len(files)} files, {refused} refused, {dict(rules)}")
    share = total_refused / max(total_files, 1)
    print(f"TOTAL: {total_files} files, {total_refused} refused ({share:.1%})")
    print(f"slowest file: {slowest[1]} {slowest[0] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
