"""The benchmarks reference: every built-in benchmark from the registry, with its defaults."""

from __future__ import annotations

import importlib

from docsgen.common import cell, page


def render() -> str:
    """The whole page."""
    from self_improving_agent.benchmarks.config import DEFAULT_TIMEOUTS
    from self_improving_agent.benchmarks.registry import REGISTRY

    rows = ["| benchmark | how it runs | default timeout | what it measures |", "|---|---|---|---|"]
    notes: list[str] = []
    for name, bench in REGISTRY.items():
        doc = (importlib.import_module(bench.module).__doc__ or "").strip()
        first, _, rest = doc.partition("\n")
        summary = first.split(":", 1)[1].strip() if first.startswith(f"{name}:") else first
        runs = "reads the shared pytest run" if bench.measure is not None else "its own run"
        timeout = DEFAULT_TIMEOUTS.get(name, DEFAULT_TIMEOUTS["default"])
        rows.append(f"| `{name}` | {runs} | {timeout:g} s | {cell(summary)} |")
        if rest.strip():
            notes += [f"### {name}", "", rest.strip(), ""]
    intro = (
        "The built-in benchmarks, in the order they run and appear in reports. Every score lies "
        "in 0..1, higher is better; each has weight 1 and stage 1 unless `config/benchmarks.json` "
        "says otherwise (see [Configuration](config.md#configbenchmarksjson)). "
        "[Measurement and environments](../concepts/measurement.md) explains the figures."
    )
    return page("Benchmarks", intro, [*rows, "", *notes])
