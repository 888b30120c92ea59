"""The host's own installs (uv with network, outside the sandbox) get an allowlisted environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from self_improving_agent.envs.build import host_install_env, uv

VALUE = "pwd-" + "z9" * 8


def test_only_paths_locale_uv_settings_proxies_and_certificates_pass() -> None:
    host = {
        "PATH": "/bin",
        "HOME": "/h",
        "LC_ALL": "C",
        "UV_INDEX_URL": "https://idx",
        "HTTPS_PROXY": "http://p",
        "no_proxy": "localhost",
        "SSL_CERT_FILE": "/c.pem",
        "MYSQL_PWD": VALUE,
        "GH_PAT": VALUE,
        "DATABASE_URL": f"postgres://u:{VALUE}@db/x",
    }
    env = host_install_env({"UV_NO_PROGRESS": "1"}, host)
    assert VALUE not in "".join(env.values())
    assert set(env) == {
        "PATH",
        "HOME",
        "LC_ALL",
        "UV_INDEX_URL",
        "HTTPS_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
        "UV_NO_PROGRESS",
    }


def test_a_variable_named_in_a_declaration_is_not_expanded_by_uv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv expands ${VAR} in requirements; a host variable off the allowlist stays unexpanded."""
    monkeypatch.setenv("MY_DB_PWD", VALUE)
    (tmp_path / "req.txt").write_text("probe @ file:///nowhere/${MY_DB_PWD}/probe\n")
    args = ["pip", "install", "--dry-run", "--offline", "--python", sys.executable, "-r", "req.txt"]
    run = uv(args, tmp_path)
    assert run.returncode != 0
    assert VALUE not in run.stdout + run.stderr
    assert "nowhere" in run.stdout + run.stderr
