"""Which declarations an environment is built from, in the issue's order of evidence."""

from __future__ import annotations

from self_improving_agent.envs.declarations import Declarations, read_declarations


def declared(files: dict[str, str]) -> Declarations:
    """Declarations of a tree given as texts."""
    return read_declarations(sorted(files), files.get)


BUILD = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'


def test_dependency_groups_named_test_with_includes() -> None:
    text = BUILD + (
        '[project]\nname = "p"\n[dependency-groups]\nbase = ["attrs"]\n'
        'tests = ["freezegun", {include-group = "base"}]\ndev = ["tox"]\n'
    )
    decl = declared({"pyproject.toml": text, "requirements-dev.txt": "black\n"})
    assert (decl.source, decl.requirements) == ("dependency-groups tests", ["freezegun", "attrs"])
    assert decl.installable and decl.build_requires == ["hatchling", "editables"]


def test_extras_named_testing() -> None:
    text = BUILD + '[project]\nname = "p"\noptional-dependencies.testing = ["wcwidth"]\n'
    decl = declared({"pyproject.toml": text})
    assert (decl.source, decl.extras, decl.requirements) == ("extras testing", ["testing"], [])


def test_dev_only_when_nothing_is_named_for_tests() -> None:
    text = BUILD + '[project]\nname = "p"\n[project.optional-dependencies]\ndev = ["x"]\n'
    assert declared({"pyproject.toml": text}).extras == ["dev"]


def test_requirements_files_then_tox_then_the_project_alone() -> None:
    reqs = declared({"setup.py": "", "requirements/testing.txt": "pytest\n", "tox.ini": ""})
    assert (reqs.source, reqs.requirement_files) == (
        "requirements/testing.txt",
        reqs.requirement_files,
    )
    assert reqs.build_requires == ["setuptools", "wheel"]
    tox = declared(
        {
            "setup.py": "",
            "tox.ini": "[testenv]\ndeps =\n    pytest\n    py38: mock\n    -r{toxinidir}/r.txt\n",
        }
    )
    assert (tox.source, tox.requirements) == ("tox.ini [testenv] deps", ["pytest", "-r r.txt"])
    assert declared({"setup.py": ""}).source == "the project alone plus pytest"
    assert declared({"README.md": ""}).source == "nothing (no project files) plus pytest"


def test_the_fingerprint_follows_declarations_and_python() -> None:
    one = declared({"setup.py": "a"})
    assert one.fingerprint("3.11", ("pytest",)) == declared({"setup.py": "a"}).fingerprint(
        "3.11", ("pytest",)
    )
    assert one.fingerprint("3.11", ("pytest",)) != one.fingerprint("3.12", ("pytest",))
    assert one.fingerprint("3.11", ("pytest",)) != declared({"setup.py": "b"}).fingerprint(
        "3.11", ("pytest",)
    )


def test_tox_setenv_keeps_literal_values_only() -> None:
    from self_improving_agent.envs.declarations import tox_setenv

    text = (
        "[testenv]\nsetenv =\n    MODE = test\n    PYTHONPATH = {toxinidir}/src\n"
        "    py38: OLD = 1\n    BAD NAME = x\n    EMPTY =\n"
    )
    assert tox_setenv(text) == {"MODE": "test", "EMPTY": ""}
    assert tox_setenv("[tox]\n") == {} and tox_setenv("not ini [") == {}
