"""`python main.py ...` from a checkout: this tree's src/ runs as self_improving_agent."""

import importlib.util
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent / "src"


def register() -> None:
    """Make `self_improving_agent` this checkout's src/, whatever else is installed."""
    spec = importlib.util.spec_from_file_location(
        "self_improving_agent", SRC / "__init__.py", submodule_search_locations=[str(SRC)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["self_improving_agent"] = module
    spec.loader.exec_module(module)


if __name__ == "__main__":
    register()
    from self_improving_agent.cli.app import app

    app()
