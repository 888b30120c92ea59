"""The generated pages are what the code gives now, and every error sentence is explained."""

from __future__ import annotations

from tests.docs.docs_kit import REGENERATE, ROOT


def test_every_generated_page_is_up_to_date() -> None:
    import docs_ref

    stale = docs_ref.stale()
    assert stale == [], f"{', '.join(stale)} differ from the code; {REGENERATE}"


def test_every_error_sentence_in_the_code_has_a_troubleshooting_entry() -> None:
    from docsgen import trouble_ref

    missing, gone = trouble_ref.gaps(trouble_ref.load())
    assert missing == [], (
        "these error sentences have no entry in docs/troubleshooting.toml; add them to an "
        f"entry (or a new one, with what it means and what to do), then {REGENERATE}: {missing}"
    )
    assert gone == [], (
        f"docs/troubleshooting.toml names sentences the code no longer has; remove or update "
        f"them, then {REGENERATE}: {gone}"
    )


def test_the_collector_finds_sentences_in_raise_statements_only(tmp_path: object) -> None:
    from pathlib import Path

    from docsgen.messages import collect

    root = Path(str(tmp_path))
    (root / "src").mkdir()
    (root / "main.py").write_text("", encoding="utf-8")
    (root / "src" / "errors.py").write_text(
        "class AgentError(Exception):\n    pass\n\n"
        "class GitError(AgentError):\n    pass\n\n"
        "class Other(Exception):\n    pass\n",
        encoding="utf-8",
    )
    (root / "src" / "use.py").write_text(
        "from src.errors import GitError, Other\n\n"
        "def f(x, msg):\n"
        "    if x:\n"
        "        raise GitError(f'branch {x!r} does not exist;'\n"
        "                       ' create it')\n"
        "    if msg:\n"
        "        raise GitError(msg)\n"
        "    raise Other('not an agent error')\n",
        encoding="utf-8",
    )
    found, dynamic = collect(root)
    assert [m.template for m in found] == ["branch … does not exist; create it"]
    assert (found[0].error, found[0].path, dynamic) == ("GitError", "src/use.py", 1)


def test_the_floors_picture_is_drawn_from_the_package() -> None:
    svg = (ROOT / "docs" / "images" / "floors.svg").read_text(encoding="utf-8")
    for floor in ("base/", "cli/", "benchmarks/", "gates/"):
        assert floor in svg
    assert "No import points up or sideways." in svg
