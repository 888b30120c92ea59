"""Result files read without following links, blocking, or trusting their size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from self_improving_agent.base.safe_files import (
    SIZE_CAPS,
    UnsafeResult,
    open_result,
    read_result,
    read_result_text,
    write_private,
)

SECRET = "aws_secret_access_key = FAKE-" + "X" * 20


@pytest.fixture
def credential(tmp_path: Path) -> Path:
    """A fake credential file outside scratch."""
    path = tmp_path / "home" / ".aws" / "credentials"
    path.parent.mkdir(parents=True)
    path.write_text(SECRET, encoding="utf-8")
    return path


def test_a_regular_file_reads_and_an_absent_one_is_none(tmp_path: Path) -> None:
    (tmp_path / "imports.json").write_text('{"a": "b"}', encoding="utf-8")
    assert read_result_text(tmp_path, "imports.json", "imports") == '{"a": "b"}'
    assert read_result(tmp_path, "missing.json", "imports") is None
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "junit.xml").write_bytes(b"<x/>")
    assert read_result(tmp_path, "run/junit.xml", "junit") == b"<x/>"


def test_a_symlink_to_a_credential_is_a_finding_and_nothing_is_read(
    tmp_path: Path, credential: Path
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "imports.json").symlink_to(credential)
    with pytest.raises(UnsafeResult, match=r"imports\.json is a symbolic link"):
        read_result(scratch, "imports.json", "imports")


def test_a_linked_folder_on_the_way_is_a_finding(tmp_path: Path, credential: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "run").symlink_to(credential.parent)
    with pytest.raises(UnsafeResult, match="run is a symbolic link"):
        read_result(scratch, "run/credentials", "junit")


def test_a_fifo_is_a_finding_at_once(tmp_path: Path) -> None:
    """Nobody writes to the FIFO: a blocking open would hang this test forever."""
    os.mkfifo(tmp_path / "imports.json")
    with pytest.raises(UnsafeResult, match="is a FIFO"):
        read_result(tmp_path, "imports.json", "imports")


def test_an_oversized_sparse_file_is_refused_before_any_read(tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"
    with path.open("wb") as handle:
        handle.truncate(512 * 1024 * 1024)
    with pytest.raises(UnsafeResult, match=r"over the \d+-byte cap for coverage"):
        read_result(tmp_path, "coverage.json", "coverage")


def test_a_file_growing_past_its_cap_while_read_stops(tmp_path: Path) -> None:
    path = tmp_path / "imports.json"
    path.write_bytes(b"x")
    with open_result(tmp_path, "imports.json", "imports") as stream:
        assert stream is not None
        with path.open("ab") as handle:
            handle.truncate(SIZE_CAPS["imports"] + 10)
        with pytest.raises(UnsafeResult, match="grew past its size cap"):
            stream.read()


def test_a_hard_link_is_a_finding(tmp_path: Path, credential: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    os.link(credential, scratch / "imports.json")
    with pytest.raises(UnsafeResult, match="2 hard links"):
        read_result(scratch, "imports.json", "imports")


def test_a_path_climbing_out_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeResult, match="not a plain path"):
        read_result(tmp_path, "../etc/passwd", "imports")


def test_writing_never_goes_through_a_planted_link(tmp_path: Path) -> None:
    target = tmp_path / "bashrc"
    target.write_text("# mine\n", encoding="utf-8")
    (tmp_path / "coveragerc").symlink_to(target)
    with pytest.raises(OSError):
        write_private(tmp_path / "coveragerc", "[run]\n")
    assert target.read_text(encoding="utf-8") == "# mine\n"
    write_private(tmp_path / "fresh", "[run]\n")
    assert (tmp_path / "fresh").read_text(encoding="utf-8") == "[run]\n"
