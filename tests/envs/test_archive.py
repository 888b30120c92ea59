"""Extracting a committed tree: the same files and the same refusals with or without the filter."""

from __future__ import annotations

import io
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from self_improving_agent.envs.archive import HAS_DATA_FILTER, extract_data
from self_improving_agent.envs.model import EnvError

PATHS = [pytest.param(False, id="fallback")]
if HAS_DATA_FILTER:
    PATHS.append(pytest.param(True, id="data-filter"))


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> tarfile.TarFile:
    """An in-memory archive of the given members."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buf.seek(0)
    return tarfile.open(fileobj=buf, mode="r:")


def _file(name: str, data: bytes = b"x", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info, data


def _entry(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, None


@pytest.mark.parametrize("use_filter", PATHS)
def test_plain_tree_with_inner_link_extracts(tmp_path: Path, use_filter: bool) -> None:
    tar = _tar(
        _entry("pkg", tarfile.DIRTYPE),
        _file("pkg/mod.py", b"VALUE = 1\n"),
        _file("run.sh", b"#!/bin/sh\n", mode=0o4777),
        _entry("pkg/alias.py", tarfile.SYMTYPE, "mod.py"),
    )
    extract_data(tar, tmp_path, use_filter=use_filter)
    assert (tmp_path / "pkg/mod.py").read_text() == "VALUE = 1\n"
    assert (tmp_path / "pkg/alias.py").read_text() == "VALUE = 1\n"
    mode = stat.S_IMODE((tmp_path / "run.sh").stat().st_mode)
    assert mode == 0o755, oct(mode)


UNSAFE: dict[str, Callable[[], list[tuple[tarfile.TarInfo, bytes | None]]]] = {
    "absolute path": lambda: [_file("/etc/agent-probe")],
    "dot-dot path": lambda: [_file("../outside")],
    "absolute symlink": lambda: [_entry("etc", tarfile.SYMTYPE, "/etc")],
    "escaping symlink": lambda: [_entry("up", tarfile.SYMTYPE, "../..")],
    "escaping hard link": lambda: [_entry("hard", tarfile.LNKTYPE, "../../etc/passwd")],
    "device": lambda: [_entry("null", tarfile.CHRTYPE)],
    "fifo": lambda: [_entry("pipe", tarfile.FIFOTYPE)],
    "write through an earlier link": lambda: [
        _entry("inner", tarfile.SYMTYPE, "."),
        _file("inner/../../escaped"),
    ],
}


@pytest.mark.parametrize("use_filter", PATHS)
@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_member_is_refused_in_one_sentence(
    tmp_path: Path, use_filter: bool, case: str
) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(EnvError, match="refused to extract the committed tree") as err:
        extract_data(_tar(*UNSAFE[case]()), dest, use_filter=use_filter)
    assert "\n" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest"]
