"""`agent vet` by class: writes followed to their target, the environment as a value, foreign
namespaces, forwarded keywords, prose, and paths through links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from tests.conftest import git, make_repo
from tests.gates.test_vet import BASE, vet

runner = CliRunner()

HELD = {
    "append to a dotfile in the home folder": (
        "from pathlib import Path\n\n\ndef f():\n"
        "    rc = Path.home() / '.profile'\n    with rc.open('a') as fh:\n        fh.write('x')\n"
    ),
    "a literal absolute path opened for writing": (
        "def log(m):\n    with open('/var/log/app.log', 'a') as fh:\n        fh.write(m)\n"
    ),
    "a path joined from the file system's root": (
        "import os\n\n\ndef log(m):\n    open(os.path.join(os.sep, 'opt', 'x.log'), 'w').write(m)\n"
    ),
    "a default parameter outside the tree": (
        "def save(data, path='/srv/cache.bin'):\n    open(path, 'wb').write(data)\n"
    ),
    "os.open with creating flags": (
        "import os\n\nfd = os.open('/run/app.pid', os.O_WRONLY | os.O_CREAT)\n"
    ),
    "an expanded user path": (
        "from pathlib import Path\n\nPath('~/.config/app/k').expanduser().write_text('k')\n"
    ),
    "a parent-relative path": "open('../../outside.txt', 'w').write('x')\n",
    "copied into a folder named by the environment": (
        "import os, shutil\n\nshutil.copy('a', os.environ['XDG_DATA_HOME'])\n"
    ),
    "the environment copied into a reply": "import os\n\nREPLY = dict(os.environ)\n",
    "the environment splatted into a payload": "import os\n\nBODY = {'env': {**os.environ}}\n",
    "the environment through getattr": "import os\n\nE = str(getattr(os, 'environ'))\n",
    "a copy of the environment printed": "import os\n\nprint(os.environ.copy())\n",
    "an entry in builtins' namespace": "import builtins\n\nbuiltins.__dict__['len'] = min\n",
    "a caller's globals written": (
        "import sys\n\n\ndef export(n, v):\n    sys._getframe(1).f_globals[n] = v\n"
    ),
    "another module's vars updated": "import json\n\nvars(json).update(dumps=repr)\n",
    "a shell given by name beside forwarded keywords": (
        "import subprocess\n\n\ndef run(**kw):\n"
        "    return subprocess.run(['ls'], shell=True, **kw)\n"
    ),
    "a computed argv beside forwarded keywords": (
        "import subprocess\n\n\ndef run(cmd, **kw):\n    return subprocess.run(cmd, **kw)\n"
    ),
}


@pytest.mark.parametrize("source", HELD.values(), ids=HELD.keys())
def test_gained_capabilities_are_held(tmp_path: Path, source: str) -> None:
    code, report = vet(tmp_path, {"sample/new.py": source})
    assert (code, report["verdict"]) == (3, "person"), report


FINE = {
    "a relative path in the repository": "open('data/out.txt', 'w').write('x')\n",
    "a temporary folder": (
        "import tempfile, os\n\nd = tempfile.mkdtemp()\nopen(os.path.join(d, 'x'), 'w')\n"
    ),
    "reading an absolute path": "TEXT = open('/etc/hostname').read()\n",
    "os.open for reading": "import os\n\nfd = os.open('/etc/hostname', os.O_RDONLY)\n",
    "the null device": "import sys\n\nsys.stderr = open('/dev/null', 'w')\n",
    "one variable read and tested": (
        "import os\n\nDEBUG = os.environ.get('DEBUG')\nCI = 'CI' in os.environ\n"
    ),
    "the environment handed to a child process": (
        "import os, subprocess\n\nenv = os.environ.copy()\nenv['LANG'] = 'C'\n"
        "subprocess.run(['sample'], env=env)\n"
        "subprocess.run(['sample'], env={**os.environ, 'A': '1'})\n"
    ),
    "this module's own globals": "globals()['VERSION'] = '1'\n",
    "a README that mentions suppressions": None,
}


@pytest.mark.parametrize("source", FINE.values(), ids=FINE.keys())
def test_harmless_lookalikes_pass(tmp_path: Path, source: str | None) -> None:
    files = {"sample/new.py": source} if source is not None else {}
    if source is None:
        files["README.md"] = "Never add `# noqa` or `# type: ignore` without a reason.\n"
    code, report = vet(tmp_path, files)
    assert (code, report["verdict"]) == (0, "ok"), report


def test_a_kwargs_wrapper_of_mains_constant_argv_passes(tmp_path: Path) -> None:
    wrapped = (
        "import subprocess\nfrom typing import Any\n\n\ndef _status(**kwargs: Any):\n"
        '    return subprocess.run(["git", "status"], check=False, **kwargs)\n\n\n'
        "def status():\n    return _status(timeout=5)\n"
    )
    code, report = vet(tmp_path, {"sample/core.py": wrapped})
    assert (code, report["verdict"]) == (0, "ok"), report


def test_a_write_through_a_link_the_patch_makes_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", dict(BASE))
    patch = tmp_path / "link.patch"
    patch.write_text(
        "diff --git a/up b/up\nnew file mode 120000\n--- /dev/null\n+++ b/up\n"
        "@@ -0,0 +1 @@\n+..\n\\ No newline at end of file\n"
        "diff --git a/up/escape.txt b/up/escape.txt\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/up/escape.txt\n@@ -0,0 +1 @@\n+escaped\n"
    )
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json", str(patch)])
    assert result.exit_code == 4, result.output
    files = json.loads(result.stdout)["files"]
    assert {f["path"] for f in files} == {"up", "up/escape.txt"}
    assert all(f["refused"][0]["rule"] == "refused/outside-tree" for f in files)
    assert not (tmp_path / "escape.txt").exists()


def test_a_patch_git_would_apply_under_another_strip_is_judged_by_the_paths_it_names(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", dict(BASE))
    patch = tmp_path / "absolute.patch"
    # Under -p1 this writes /etc/cron.d/job; git would still apply it under -p0 as b/etc/...
    patch.write_text(
        "diff --git a//etc/cron.d/job b//etc/cron.d/job\nnew file mode 100644\n"
        "--- /dev/null\n+++ b//etc/cron.d/job\n@@ -0,0 +1 @@\n+* * * * * root id\n"
    )
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json", str(patch)])
    assert result.exit_code == 4, result.output
    files = json.loads(result.stdout)["files"]
    assert [f["path"] for f in files] == ["/etc/cron.d/job"]


@pytest.mark.parametrize(
    "files",
    [
        {"pyproject.toml": BASE["pyproject.toml"] + '\n[tool.radon]\nexclude = "sample/*"\n'},
        {"setup.cfg": "[radon]\ncc_min = F\n"},
        {"tox.ini": "[flake8]\nmax-line-length = 300\n"},
    ],
    ids=["radon table in pyproject", "radon section in setup.cfg", "flake8 section in tox.ini"],
)
def test_every_tool_settings_location_is_compared(tmp_path: Path, files: dict) -> None:
    code, report = vet(tmp_path, files)
    assert code == 3, report
    messages = [i["message"] for f in report["files"] for i in f["person"]]
    assert any("loosened-config" in m for m in messages), messages


OLD_TEST = (
    "import pytest\n\n\n@pytest.mark.parametrize('x', [1, 2])\ndef test_x(x):\n"
    "    assert str(x).isdigit()\n\n\ndef test_raises():\n    with pytest.raises(KeyError):\n"
    "        {}[1]\n"
)
STRONGER = {
    "a parametrized case added": OLD_TEST.replace("[1, 2]", "[1, 2, 3]"),
    "an assertion added after a value is named": OLD_TEST.replace(
        "    assert str(x).isdigit()\n",
        "    s = str(x)\n    assert s.isdigit()\n    assert len(s) == 1\n",
    ),
    "a match added to an expectation": OLD_TEST.replace("(KeyError)", "(KeyError, match='1')"),
}
WEAKER = {
    "a parametrized case removed": OLD_TEST.replace("[1, 2]", "[1]"),
    "an assertion loosened": OLD_TEST.replace("assert str(x).isdigit()", "assert str(x)"),
    "an expectation widened": OLD_TEST.replace("(KeyError)", "(Exception)"),
    "a skip call added": OLD_TEST.replace("    assert str", "    pytest.skip()\n    assert str"),
    "an assertion calling something new": OLD_TEST.replace(
        "    assert str(x).isdigit()\n", "    assert str(x).isdigit()\n    assert pytest.skip()\n"
    ),
    "an unused name bound to a call": OLD_TEST.replace(
        "    assert str", "    _ = pytest.skip()\n    assert str"
    ),
}


def _test_file_change(tmp_path: Path, after: str) -> tuple[int, dict]:
    """Vet a change of an existing test file from OLD_TEST to after."""
    repo = make_repo(tmp_path / "repo", {**BASE, "tests/test_x.py": OLD_TEST})
    (repo / "tests" / "test_x.py").write_text(after, encoding="utf-8")
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("after", STRONGER.values(), ids=STRONGER.keys())
def test_a_strictly_stronger_test_passes(tmp_path: Path, after: str) -> None:
    code, report = _test_file_change(tmp_path, after)
    assert code == 0, report


@pytest.mark.parametrize("after", WEAKER.values(), ids=WEAKER.keys())
def test_a_weaker_or_different_test_is_held(tmp_path: Path, after: str) -> None:
    code, report = _test_file_change(tmp_path, after)
    assert code == 3, report


def test_a_test_file_moved_with_its_module_passes_and_one_moved_alone_is_held(
    tmp_path: Path,
) -> None:

    files = {
        **BASE,
        "sample/fmt.py": "def f():\n    return 1\n",
        "tests/test_fmt.py": "from sample.fmt import f\n\n\ndef test_f():\n    assert f() == 1\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    git(repo, "mv", "sample/fmt.py", "sample/render.py")
    git(repo, "mv", "tests/test_fmt.py", "tests/test_render.py")
    test = repo / "tests" / "test_render.py"
    test.write_text(test.read_text().replace("sample.fmt", "sample.render"), encoding="utf-8")
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json"])
    assert result.exit_code == 0, result.stdout
    git(repo, "mv", "tests/test_render.py", "tests/checks_render.py")
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json"])
    assert result.exit_code == 3, result.stdout
