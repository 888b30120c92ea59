"""doc_coverage: what counts as public and documented."""

from __future__ import annotations

from self_improving_agent.benchmarks.doc_coverage import is_public_module, score_docs, undocumented

SOURCE = '''"""Module."""


def documented():
    """Yes."""


def missing():
    pass


def _private():
    pass


class Thing:
    def method(self):
        pass

    def __init__(self):
        pass


class _Hidden:
    def method(self):
        pass
'''


def test_counts_public_objects_and_names_the_undocumented() -> None:
    total, missing = undocumented("pkg/mod.py", SOURCE)
    assert total == 5
    assert missing == ["pkg/mod.py:8 missing", "pkg/mod.py:16 Thing", "pkg/mod.py:17 method"]


def test_private_modules_and_unparsable_files() -> None:
    assert is_public_module("pkg/__init__.py")
    assert not is_public_module("pkg/_impl.py")
    assert undocumented("pkg/_impl.py", "def f():\n    pass\n") == (1, ["pkg/_impl.py:1 f"])
    assert undocumented("bad.py", "def (:\n") == (0, [])


def test_score_is_the_documented_fraction() -> None:
    assert score_docs(5, 7) == 5 / 7
    assert score_docs(0, 0) == 1.0
    assert score_docs(4, 7) < score_docs(5, 7)
