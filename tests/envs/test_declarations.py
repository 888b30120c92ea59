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


def test_requirements_files_then_the_project_alone() -> None:
    reqs = declared({"setup.py": "", "requirements/testing.txt": "pytest\n"})
    assert (reqs.source, reqs.requirement_files) == (
        "requirements/testing.txt",
        ["requirements/testing.txt"],
    )
    assert reqs.build_requires == ["setuptools", "wheel"]
    assert declared({"setup.py": ""}).source == "the project alone plus pytest"
    assert declared({"README.md": ""}).source == "nothing (no project files) plus pytest"


def test_tox_default_environment_comes_first() -> None:
    pyproject = BUILD + (
        '[project]\nname = "p"\n[project.optional-dependencies]\ndev = ["black"]\n'
        'test = ["pytest"]\n[dependency-groups]\ntesting = ["hypothesis"]\nbase = ["attrs"]\n'
    )
    tox = (
        "[tox]\nenvlist = py3\n[testenv]\ndeps =\n    mock\n    py38: six\n"
        "    -r{toxinidir}/r.txt\nextras = test\ndependency_groups = base\n"
    )
    decl = declared({"pyproject.toml": pyproject, "tox.ini": tox, "r.txt": "x\n"})
    assert (decl.source, decl.reason) == ("tox.ini [testenv]", "tox's default test environment")
    assert decl.requirements == ["mock", "-r r.txt", "attrs"]
    assert decl.extras == ["test"]
    assert "r.txt" in decl.digests


def test_tox_in_toml_and_nox_sessions() -> None:
    toml = '[tool.tox.env_run_base]\ndeps = ["mock", "pytest>=7"]\n'
    assert declared({"pyproject.toml": toml}).requirements == ["mock", "pytest>=7"]
    nox = (
        "import nox\n\nDEPS = ['freezegun']\n\n@nox.session(python=['3.9'])\n"
        "def tests(session):\n    session.install('-e', '.[test]')\n"
        "    session.install('mock', *DEPS, '-r', 'req.txt')\n    session.run('pytest')\n"
    )
    decl = declared({"setup.py": "", "noxfile.py": nox})
    assert decl.source == "noxfile.py session tests"
    assert (decl.requirements, decl.extras) == (["mock", "freezegun", "-r req.txt"], ["test"])
    # An install call that is not literal is not guessed at.
    dynamic = nox.replace("*DEPS", "*session.posargs")
    assert declared({"setup.py": "", "noxfile.py": dynamic}).source.startswith("the project")


def test_poetry_groups_before_extras() -> None:
    poetry = (
        '[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\npython = "^3.9"\n'
        '[tool.poetry.group.test.dependencies]\npytest = "^7.2"\nmock = {version = "~4.0",'
        ' extras = ["x"]}\nlocal = {path = "../local"}\n[tool.poetry.extras]\ntest = ["a"]\n'
    )
    decl = declared({"pyproject.toml": poetry})
    assert (decl.source, decl.requirements) == (
        "Poetry group test",
        ["pytest>=7.2,<8", "mock[x]>=4.0,<4.1"],
    )
    legacy = '[tool.poetry]\nname = "p"\n[tool.poetry.dev-dependencies]\nfreezegun = "*"\n'
    assert declared({"pyproject.toml": legacy}).requirements == ["freezegun"]


def test_extras_of_setup_cfg_and_setup_py() -> None:
    cfg = "[options.extras_require]\ntesting =\n    pytest\n"
    assert declared({"setup.cfg": cfg}).extras == ["testing"]
    setup = "from setuptools import setup\nsetup(extras_require={'tests': ['mock']})\n"
    assert declared({"setup.py": setup}).extras == ["tests"]


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


def test_a_poetry_dependency_with_multiple_constraints_is_one_requirement_per_python() -> None:
    poetry = (
        '[tool.poetry]\nname = "p"\n[tool.poetry.group.dev.dependencies]\nmypy = [\n'
        '  {version = "^1.0", python = "<3.8"},\n'
        '  {version = "^1.5", python = ">=3.8", markers = "sys_platform != \'win32\'"},\n]\n'
        'tox = {version = "^4", python = "^3.9.1"}\n'
    )
    assert declared({"pyproject.toml": poetry}).requirements == [
        'mypy>=1.0,<2; (python_version < "3.8")',
        "mypy>=1.5,<2; (sys_platform != 'win32') and (python_version >= \"3.8\")",
        'tox>=4,<5; (python_full_version >= "3.9.1" and python_version < "4")',
    ]
