"""The repo map and the planned files: within budget, no blocked file, no secret content."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from self_improving_agent.analysis.repomap import (
    file_refusal,
    is_blocked,
    looks_secret,
    read_planned_files,
    redact_secrets,
)
from self_improving_agent.base.errors import MindError
from self_improving_agent.base.tokens import estimate_tokens
from self_improving_agent.core.mind_start import export_tree
from self_improving_agent.mind.repomap import map_of
from tests.conftest import make_repo

BLOCKED = [".env*", "*.pem", "*.key"]
# Fake credentials are assembled at run time so this file itself does not look secret.
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
ANTHROPIC = "sk-" + "ant-api03-Xy7Qw2Lm9Pz4"
GITHUB = "ghp" + "_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"
RANDOM_VALUE = "q8Zr2Lk9Xw4Tb7Nc1Vm5Hd3J"


def build_repo_map(repo: Path, budget: int, blocked: list[str]) -> str:
    """The map the mind draws from its view of repo's HEAD, exported as a generation does."""
    with tempfile.TemporaryDirectory() as scratch:
        view = Path(scratch) / "view"
        export_tree(repo, "HEAD", view, blocked)
        return map_of(view, budget, blocked)


SOURCE = '''"""A module."""

import os


class Store(Base):
    """A store."""

    def get(self, key: str) -> str:
        return key

    def _hidden(self) -> None:
        pass


async def fetch(url: str, token: str = "tok-value-123", *, retries: int = 3) -> bytes:
    return b""


def _private() -> None:
    pass
'''


@pytest.mark.parametrize(
    "text",
    [
        PRIVATE_KEY,
        f"aws_access_key_id = {AWS_ID}\n",
        f'client = Client("{ANTHROPIC}")\n',
        f"token: {GITHUB}\n",
        "github_" + "pat_11ABCDEFG0123456789_abcdefghijklmnop\n",
        f'API_KEY = "{RANDOM_VALUE}"\n',
        f"export DB_PASSWORD={RANDOM_VALUE}\n",
        f'{{"service_token": "{RANDOM_VALUE}"}}',
    ],
)
def test_secret_like_content_is_recognised(text: str) -> None:
    assert looks_secret(text)
    assert RANDOM_VALUE not in redact_secrets(text) and "***" in redact_secrets(text)


@pytest.mark.parametrize(
    "text",
    [
        "cache_key = hashlib.sha256(data).hexdigest()\n",
        'API_KEY = os.environ["API_KEY"]\n',
        'password = "hunter2"\n',
        'DEFAULT_TOKEN = "your_token_goes_here_please"\n',
        "patterns mention sk-ant- and ghp_ and -----BEGIN PRIVATE KEY in prose\n",
        'SECRET_NAME_PATTERNS = ("*_TOKEN", "*_KEY")\n',
    ],
)
def test_ordinary_code_is_not_secret(text: str) -> None:
    assert not looks_secret(text)
    assert redact_secrets(text) == text


def test_the_repo_maps_own_source_is_not_secret() -> None:
    source = Path(__file__).parents[2] / "src" / "analysis" / "repomap.py"
    assert not looks_secret(source.read_text(encoding="utf-8"))


def test_blocked_patterns_match_names_case_insensitively() -> None:
    assert is_blocked(".env", BLOCKED) and is_blocked("deploy/.env.production", BLOCKED)
    assert is_blocked("certs/Server.PEM", BLOCKED) and is_blocked("id.key", BLOCKED)
    assert is_blocked("secrets/db.txt", ["secrets/*"])
    assert not is_blocked("src/environment.py", BLOCKED) and not is_blocked("keys.py", BLOCKED)


def test_map_lists_tracked_files_with_symbols_and_no_blocked_files(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "pkg/store.py": SOURCE,
            "pkg/broken.py": "def (:\n",
            "README.md": "# r\n",
            ".env": "API_KEY=x\n",
            "certs/server.pem": "pem\n",
            "config/deploy.key": "k\n",
        },
    )
    (repo / "untracked.py").write_text("U = 1\n", encoding="utf-8")
    text = build_repo_map(repo, 5000, BLOCKED)
    assert text.splitlines()[0].startswith("Repository map: 3 tracked files; 2 Python modules")
    assert "  class Store(Base): get" in text
    assert "  async def fetch(url: str, token: str=..., *, retries: int=...) -> bytes" in text
    assert "tok-value-123" not in text and "_private" not in text and "_hidden" not in text
    assert "broken.py" in text and "README.md" in text
    for hidden in (".env", "server.pem", "deploy.key", "untracked.py"):
        assert hidden not in text


def generated_repo(root: Path, folders: int = 12, modules: int = 10) -> Path:
    """A large repository: folders of modules, each with classes and functions."""
    files = {}
    for f in range(folders):
        for m in range(modules):
            body = "\n".join(
                f"def function_{k}_of_module(arg_one: int, arg_two: str = 'x') -> dict[str, int]:\n"
                f"    return {{}}\n"
                for k in range(6)
            )
            body += f"\nclass Widget{m}(Base):\n    def render(self) -> str:\n        return ''\n"
            files[f"src/area_{f}/sub/module_{m}.py"] = body
            files[f"tests/area_{f}/test_module_{m}.py"] = "def test_it() -> None:\n    pass\n"
    return make_repo(root, files)


@pytest.fixture(scope="module")
def large_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated 240-file repository shared by the budget tests."""
    return generated_repo(tmp_path_factory.mktemp("large") / "repo")


@pytest.mark.parametrize("budget", [100_000, 16_000, 6_000, 1_200, 1_050, 200, 5])
def test_map_stays_within_budget(large_repo: Path, budget: int) -> None:
    assert estimate_tokens(build_repo_map(large_repo, budget, BLOCKED)) <= budget


def test_map_degrades_from_signatures_to_names_to_folder_counts(large_repo: Path) -> None:
    full = build_repo_map(large_repo, 100_000, BLOCKED)
    assert full.splitlines()[0].endswith("120 test modules, 0 other files")
    assert "  def function_5_of_module(arg_one: int, arg_two: str=...) -> dict[str, int]" in full
    assert "  also: Widget0" in full and "class Widget0(Base): render" not in full
    assert "  tests/area_0/: test_module_0.py, " in full
    partial = build_repo_map(large_repo, 6_000, BLOCKED)
    assert "(signatures for " in partial.splitlines()[0]
    assert "Other Python modules (most used first):" in partial
    assert "  tests/area_0/: 10 files" in partial
    small = build_repo_map(large_repo, 400, BLOCKED)
    assert "  src/area_0/sub/: 10 files" in small
    assert "truncated" in build_repo_map(large_repo, 5, BLOCKED)


# A repository shaped like the retry library of the issue: few modules, many release notes.
RETRYING = {
    "tenacity/__init__.py": (
        "from tenacity.retry import retry_if_exception\nfrom tenacity.stop import stop_after\n"
        "def retry(fn):\n    return fn\n"
    ),
    "tenacity/retry.py": "def retry_if_exception(kind: type) -> bool:\n    return True\n",
    "tenacity/stop.py": "def stop_after(attempts: int) -> bool:\n    return False\n",
    "tenacity/asyncio/__init__.py": (
        "from ..retry import retry_if_exception\nfrom .. import stop\n"
        "def wrap() -> None:\n    stop.stop_after(1)\n"
    ),
    "tests/test_retry.py": (
        "from tenacity.retry import retry_if_exception\n"
        "def test_retry() -> None:\n    assert retry_if_exception(ValueError)\n"
    ),
    "doc/source/conf.py": "project = 'tenacity'\n",
    **{f"releasenotes/notes/change-{i:03}-{'x' * 30}.yaml": "---\nfixes: []\n" for i in range(64)},
}


def test_code_comes_first_ranked_by_use_and_data_files_are_counted(tmp_path: Path) -> None:
    text = build_repo_map(make_repo(tmp_path / "r", RETRYING), 600, BLOCKED)
    lines = text.splitlines()
    assert lines[0].startswith("Repository map: 70 tracked files; 4 Python modules")
    assert "signatures for" not in lines[0]
    assert lines[1] == "tenacity/retry.py (used by 3)"
    assert lines[2] == "  def retry_if_exception(kind: type) -> bool"
    assert lines[3] == "tenacity/stop.py (used by 2)"
    assert "  releasenotes/notes/: 64 files (.yaml 64)" in lines
    assert "  doc/source/: conf.py" in lines
    assert lines.index("  def stop_after(attempts: int) -> bool") < lines.index("Tests:")
    assert "change-000" not in text


def test_map_of_a_non_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MindError, match="cannot be made"):
        build_repo_map(tmp_path, 1000, BLOCKED)


@pytest.fixture
def worktree(tmp_path: Path) -> Path:
    """A worktree with ordinary, blocked, secret, binary and large files."""
    repo = make_repo(
        tmp_path / "wt",
        {
            "src/app.py": "A = 1\n",
            "src/empty.py": "",
            ".env.local": "X=1\n",
            "src/creds.py": f'AWS = "{AWS_ID}"\n',
            "big.txt": "x" * 2000,
        },
    )
    (repo / "logo.png").write_bytes(b"\x89PNG\x00\x01")
    (tmp_path / "outside.py").write_text("O = 1\n", encoding="utf-8")
    return repo


def test_planned_files_are_read_and_new_ones_are_empty(worktree: Path) -> None:
    files = read_planned_files(
        worktree, ["src/app.py", "src/new.py", "src/empty.py", "src/app.py"], BLOCKED
    )
    assert files == {"src/app.py": "A = 1\n", "src/new.py": "", "src/empty.py": ""}


@pytest.mark.parametrize(
    ("rel", "reason"),
    [
        (".env.local", "blocked pattern"),
        ("src/creds.py", "secret"),
        ("logo.png", "binary"),
        ("big.txt", "larger than 1000 bytes"),
        ("../outside.py", "outside the worktree"),
        (".git/config", ".git/"),
        ("src", "not a regular file"),
    ],
)
def test_refused_files_are_left_out(worktree: Path, rel: str, reason: str) -> None:
    assert reason in (file_refusal(worktree, rel, BLOCKED, max_bytes=1000) or "")
    assert read_planned_files(worktree, [rel, "src/app.py"], BLOCKED, max_bytes=1000) == {
        "src/app.py": "A = 1\n"
    }
