"""In-process benchmarks never run CPython's parser from two threads at once."""

from __future__ import annotations

import ast
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from self_improving_agent.benchmarks.code_complexity import measure_sources
from self_improving_agent.benchmarks.doc_coverage import undocumented
from self_improving_agent.benchmarks.file_organization import python_parses
from self_improving_agent.benchmarks.sources import SourceTree

TEXTS = {f"m{i}.py": f'"""Doc."""\n\n\ndef f{i}(a):\n    return a\n' for i in range(20)}


def test_parses_are_serialized_across_benchmark_threads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    real_parse = ast.parse
    active, peak = [0], [0]
    guard = threading.Lock()

    def spying_parse(*args: Any, **kwargs: Any) -> Any:
        with guard:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.001)  # widens the window in which an unlocked caller would overlap
        try:
            return real_parse(*args, **kwargs)
        finally:
            with guard:
                active[0] -= 1

    monkeypatch.setattr(ast, "parse", spying_parse)
    tree = SourceTree(tmp_path, list(TEXTS), dict(TEXTS))
    jobs = [
        lambda: measure_sources(TEXTS),
        lambda: [undocumented(rel, text) for rel, text in TEXTS.items()],
        lambda: python_parses(tree),
    ] * 3
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()
    assert peak[0] == 1
