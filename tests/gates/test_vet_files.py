"""`agent vet` classifies files by what they are to the tools: config they read, files that run
outside the sandbox, ignore files that hide code, credential stores, and tightened settings."""

from __future__ import annotations

import pytest

from tests.gates.test_vet import BASE, vet

PYPROJECT = BASE["pyproject.toml"]
MYPY = '\n[tool.mypy]\nstrict = true\nfiles = ["sample"]\n'

HELD = {
    "a go-task file": {"Taskfile.yml": "tasks:\n  t:\n    cmds: [id]\n"},
    "uv settings": {"uv.toml": 'index-url = "https://mirror.invalid/simple"\n'},
    "an interpreter pin": {".python-version": "3.9\n"},
    "debugger start-up commands": {".pdbrc": "import os\n"},
    "tox in TOML": {"tox.toml": '[env.x]\ncommands = [["id"]]\n'},
    "coverage's TOML rc file": {".coveragerc.toml": '[run]\nomit = ["sample/*"]\n'},
    "dependabot settings": {".github/dependabot.yml": "version: 2\n"},
    "code owners": {".github/CODEOWNERS": "* @someone\n"},
    "a script under .github": {".github/scripts/release.sh": "id\n"},
    "an ignore file that hides a tracked module": {".gitignore": "sample/core.py\n"},
    "an ignore file in a folder that hides its module": {"sample/.ignore": "c*.py\n"},
    "setup.cfg install requirements": {"setup.cfg": "[options]\ninstall_requires = x\n"},
    "a warning filter that ignores": {
        "pytest.ini": "[pytest]\nfilterwarnings =\n    ignore::DeprecationWarning\n"
    },
    "test paths set where pytest looked everywhere": {
        "pyproject.toml": PYPROJECT.replace('addopts = "-q"', 'addopts = "-q"\ntestpaths = ["x"]')
    },
}
FINE = {
    "an issue form": {".github/ISSUE_TEMPLATE/bug.yml": "name: Bug\n"},
    "a pull request template": {".github/pull_request_template.md": "## What\n"},
    "an ignore file for a venv and logs": {".gitignore": ".venv/\n*.log\nbuild/\n"},
    "a warning filter that errors": {
        "pyproject.toml": PYPROJECT.replace(
            'addopts = "-q"', 'addopts = "-q"\nfilterwarnings = ["error"]'
        )
    },
    "a template of the environment": {".env.sample": "TOKEN=\n"},
}
REFUSED = {
    "an ssh key by name": {"deploy/id_ecdsa": "key\n"},
    "a private key under any name": {
        "notes/k.txt": "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n"
    },
    "a netrc": {".netrc": "machine x login a password b\n"},
    "twine's credentials": {".pypirc": "[pypi]\npassword = x\n"},
    "AWS credentials": {"ops/.aws/credentials": "[default]\naws_secret_access_key = x\n"},
    "a secrets table": {"app/.streamlit/secrets.toml": 'KEY = "x"\n'},
}


@pytest.mark.parametrize("files", HELD.values(), ids=HELD.keys())
def test_files_the_tools_read_or_that_run_outside_are_held(tmp_path, files) -> None:
    code, report = vet(tmp_path, files)
    assert (code, report["verdict"]) == (3, "person"), report


@pytest.mark.parametrize("files", FINE.values(), ids=FINE.keys())
def test_look_alikes_that_tighten_or_only_show_pass(tmp_path, files) -> None:
    code, report = vet(tmp_path, files)
    assert (code, report["verdict"]) == (0, "ok"), report


@pytest.mark.parametrize("files", REFUSED.values(), ids=REFUSED.keys())
def test_credential_files_are_refused(tmp_path, files) -> None:
    code, report = vet(tmp_path, files)
    assert code == 4, report
    assert report["files"][0]["refused"][0]["rule"] == "refused/secrets-file"


def test_an_existing_setup_cfg_made_stricter_passes(tmp_path) -> None:
    base = {"setup.cfg": "[mypy]\nstrict = True\n\n[coverage:report]\nfail_under = 80\n"}
    stricter = base["setup.cfg"].replace("80", "85") + "\n[mypy-sample.*]\nwarn_return_any = True\n"
    assert vet(tmp_path, {"setup.cfg": stricter}, base=base)[0] == 0


def test_a_widened_mypy_file_list_passes_and_a_narrowed_one_is_held(tmp_path) -> None:
    wider = PYPROJECT + MYPY.replace('["sample"]', '["sample", "tests"]')
    base = {"pyproject.toml": PYPROJECT + MYPY}
    assert vet(tmp_path / "a", {**base, "pyproject.toml": wider}, base=base)[0] == 0
    narrower = PYPROJECT + MYPY.replace('["sample"]', '["sample/core.py"]')
    assert vet(tmp_path / "b", {"pyproject.toml": narrower}, base=base)[0] == 3


COVERAGE = "[coverage:report]\nexclude_lines =\n    pragma: no cover\n    raise AssertionError\n"
CODE = "def f(x):\n    return x\n"


@pytest.mark.parametrize(
    ("after", "held"),
    [
        (CODE.replace("(x):", "(x):  # never raise AssertionError here"), True),
        (CODE + "\n\ndef g():\n    raise AssertionError('unreachable')\n", False),
        (CODE.replace("return x", "return x  # the identity"), False),
    ],
    ids=["a comment that matches", "code that matches", "a comment that does not"],
)
def test_a_comment_that_matches_mains_coverage_exclusion_is_held(
    tmp_path, after: str, held: bool
) -> None:
    base = {"setup.cfg": COVERAGE, "sample/f.py": CODE}
    code, report = vet(tmp_path, {"sample/f.py": after}, base=base)
    assert code == (3 if held else 0), report
