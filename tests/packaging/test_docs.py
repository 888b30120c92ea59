"""The manual's install pages and CONTRIBUTING.md say what the packaging does."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GETTING_STARTED = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
INSTALL = GETTING_STARTED.split("\n## Install\n", 1)[1].split("\n## ", 1)[0] + (
    ROOT / "docs" / "guides" / "docker.md"
).read_text(encoding="utf-8")
MAKEFILE_DOCS = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
CONTRIBUTING = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")


def make_targets() -> set[str]:
    """Targets the Makefile defines."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE))


def test_install_covers_pip_the_makefile_and_docker() -> None:
    for phrase in ("pip install", "make install", "docker build", "docker run", "docker compose"):
        assert phrase in INSTALL, phrase
    assert "A container is not a sandbox" in INSTALL


def test_install_names_the_options_that_let_bubblewrap_work_in_a_container() -> None:
    for option in ("seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"):
        assert f"--security-opt {option}" in INSTALL


def test_every_make_command_the_docs_name_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`make ([a-z][a-z-]*)", INSTALL + CONTRIBUTING + readme))
    named |= set(re.findall(r"^make ([a-z][a-z-]*)", MAKEFILE_DOCS, flags=re.MULTILINE))
    assert named
    assert sorted(named - make_targets()) == []


def test_contributing_covers_setup_layout_tests_style_benchmarks_and_providers() -> None:
    headings = re.findall(r"^## (.+)$", CONTRIBUTING, flags=re.MULTILINE)
    assert headings == [
        "Set-up: two commands",
        "Layout",
        "Tests",
        "Style",
        "Adding a benchmark",
        "Adding a provider",
    ]
    for floor in (p.name for p in (ROOT / "src").iterdir() if (p / "__init__.py").is_file()):
        assert f"`src/{floor}/`" in CONTRIBUTING
