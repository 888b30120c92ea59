"""The host's uv installs only named requirements from the user's index: nothing the repository
writes (uv.toml, [tool.uv], option lines, URLs, paths, ${VAR}) reaches it. Real uv, a real
PEP 503 index served on 127.0.0.1 from wheels built here, and a listener that must stay silent."""

from __future__ import annotations

import html
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from self_improving_agent.envs.build import host_env
from self_improving_agent.envs.hostreqs import host_install
from self_improving_agent.envs.model import EnvError
from self_improving_agent.envs.resolve import built_env
from tests.conftest import make_repo
from tests.envs.wheels import make_wheel, repack_closure

TOOLS = ["pytest", "pytest-cov", "pytest-xdist", "coverage", "setuptools"]
PYPROJECT = """[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "tinycalc"
version = "1.0"

[tool.uv]
extra-index-url = ["{trap}/pyproject/simple"]
"""
TEST = "from tinyhelper import double\n\n\ndef test_it():\n    assert double(2) == 4\n"


class _Server:
    """A static server on 127.0.0.1 that records every path asked of it."""

    def __init__(self, root: Path | None) -> None:
        self.paths: list[str] = []
        seen, folder = self.paths, root

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(folder or "/nonexistent"), **kwargs)  # type: ignore[arg-type]

            def do_GET(self) -> None:
                seen.append(self.path)
                if folder is None:
                    self.send_error(404)
                    return
                super().do_GET()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving and wait for the thread."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def _index(wheels: Path, root: Path) -> None:
    """A PEP 503 simple index of the wheels in a folder, written under root/simple."""
    by_name: dict[str, list[Path]] = {}
    for wheel in wheels.glob("*.whl"):
        name = wheel.name.split("-")[0].lower().replace("_", "-").replace(".", "-")
        by_name.setdefault(name, []).append(wheel)
    for name, files in by_name.items():
        page = root / "simple" / name
        page.mkdir(parents=True)
        links = "".join(
            f'<a href="{html.escape(f.name)}">{html.escape(f.name)}</a>\n' for f in files
        )
        (page / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
        for wheel in files:
            (page / wheel.name).write_bytes(wheel.read_bytes())


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_Server, _Server]]:
    """The user's index (serving wheels made here) and a trap the repository names."""
    wheels = tmp_path_factory.mktemp("wheels")
    repack_closure(wheels, TOOLS)
    make_wheel(wheels, "tinyhelper", "1.0", {"tinyhelper.py": "def double(x):\n    return 2 * x\n"})
    root = tmp_path_factory.mktemp("index")
    _index(wheels, root)
    good, trap = _Server(root), _Server(None)
    yield good, trap
    good.close()
    trap.close()


@pytest.fixture
def user_index(
    servers: tuple[_Server, _Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[_Server, _Server]:
    """The user's own settings point uv at the good index; host secrets sit in the environment."""
    good, trap = servers
    for name in ("UV_OFFLINE", "UV_FIND_LINKS", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UV_INDEX_URL", f"{good.url}/simple/")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GH_PAT", "ghp_hostsecret123456")
    good.paths.clear()
    trap.paths.clear()
    return good, trap


def _files(trap: str, requirements: str) -> dict[str, str]:
    """A tiny project whose test requirements file is requirements."""
    return {
        "pyproject.toml": PYPROJECT.replace("{trap}", trap),
        "uv.toml": f'index-url = "{trap}/uvtoml/simple"\nfind-links = ["{trap}/uvtoml/fl"]\n',
        "requirements-test.txt": requirements,
        "src/tinycalc/__init__.py": "def add(a, b):\n    return a + b\n",
        "tests/test_calc.py": TEST,
        ".gitignore": "*.egg-info/\n",
    }


@pytest.mark.slow
def test_a_normal_project_builds_from_the_users_index_never_the_repositorys(
    user_index: tuple[_Server, _Server], tmp_path: Path
) -> None:
    good, trap = user_index
    options = (
        f"--index-url {trap.url}/opt/simple\n--extra-index-url {trap.url}/opt2/simple\n"
        f"--find-links {trap.url}/fl\n-c constraints.txt\n-e .\ntinyhelper>=1.0 --hash=sha256:00\n"
    )
    files = {**_files(trap.url, options), "constraints.txt": "tinyhelper<0.1\n"}
    env = built_env(make_repo(tmp_path / "repo", files), "main", None)
    assert env.packages.get("tinyhelper") == "1.0" and "pytest" in env.packages
    assert any(p.startswith("/simple/tinyhelper") for p in good.paths)
    assert trap.paths == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("tinyhelper @ {trap}/direct/tinyhelper-1.0.tar.gz", "is a URL or path"),
        ("tinyhelper @ {trap}/pat=${GH_PAT}/tinyhelper-1.0.tar.gz", "is a URL or path"),
        ("secret @ file:///etc", "is a URL or path"),
        ("./tools/dep", "a path to a folder other than the project"),
        ("-r ${HOME}/.git-credentials", "names an environment variable"),
    ],
)
def test_urls_paths_and_variables_make_the_build_fail_before_the_host_reaches_anything(
    user_index: tuple[_Server, _Server], tmp_path: Path, line: str, why: str
) -> None:
    good, trap = user_index
    mark = tmp_path / "backend-ran"
    dep = f"import pathlib\npathlib.Path({str(mark)!r}).write_text('ran')\n"
    files = {**_files(trap.url, line.replace("{trap}", trap.url) + "\n")}
    files["tools/dep/setup.py"] = dep
    with pytest.raises(EnvError, match=why) as caught:
        built_env(make_repo(tmp_path / "repo", files), "main", None)
    assert "which the host never installs" in str(caught.value)
    assert (good.paths, trap.paths) == ([], [])
    assert not mark.exists()


def test_the_host_uv_sees_an_allowlist_of_the_environment() -> None:
    environ = {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "UV_INDEX_URL": "https://u:p@idx.example/simple",
        "GH_PAT": "ghp_x",
        "DATABASE_URL": "postgres://a:b@db/x",
        "MYSQL_PWD": "pw",
        "AWS_SECRET_ACCESS_KEY": "k",
        "PYTHONPATH": "/evil",
    }
    env = host_env(environ, {"UV_NO_PROGRESS": "1"})
    assert set(env) == {
        "PATH", "HOME", "UV_INDEX_URL", "UV_NO_CONFIG", "UV_NO_PROGRESS", "PYTHONDONTWRITEBYTECODE"
    }  # fmt: skip


def test_declarations_are_rewritten_options_dropped_and_the_project_gives_extras(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.txt").write_text("# pinned\nattrs \\\n  >=1 ; python_version>'3'\n")
    (tmp_path / "req.txt").write_text("--pre\n-rsub/more.txt\n-e .[test, docs]\n")
    found = host_install(["pytest-mock", "-r req.txt", ".", "-i http://x/simple"], [], tmp_path)
    assert found.requirements == ("pytest-mock", 'attrs>=1; python_version > "3"')
    assert (found.extras, found.dropped) == (("test", "docs"), ("--pre", "-i"))


@pytest.mark.parametrize(
    "line",
    [
        "-r /etc/passwd",
        "-r ../outside.txt",
        "file:///tmp",
        "git+https://h/a/b",
        "../other",
        "x y z",
    ],
)
def test_anything_else_is_one_sentence_naming_it(tmp_path: Path, line: str) -> None:
    (tmp_path / "repo").mkdir()
    with pytest.raises(EnvError) as caught:
        host_install([line], [], tmp_path / "repo")
    assert repr(line)[1:-1] in str(caught.value) and "\n" not in str(caught.value)
