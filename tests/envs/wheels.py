"""Local wheels for tests: hand-made ones and installed distributions packed back into wheels."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import zipfile
from pathlib import Path

from packaging.requirements import Requirement


def _record_line(name: str, data: bytes) -> str:
    """One RECORD row: path, urlsafe sha256, size."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(folder: Path, stem: str, tag: str, files: dict[str, bytes]) -> Path:
    """A wheel holding files (stem.dist-info included) with a correct RECORD."""
    record = f"{stem}.dist-info/RECORD"
    path = folder / f"{stem}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        rows = []
        for rel, data in files.items():
            archive.writestr(rel, data)
            rows.append(_record_line(rel, data))
        archive.writestr(record, "\n".join([*rows, f"{record},,"]) + "\n")
    return path


def make_wheel(folder: Path, name: str, version: str, modules: dict[str, str]) -> Path:
    """A pure-Python wheel of a tiny distribution written from source texts."""
    info = f"{name.replace('-', '_')}-{version}.dist-info"
    files = {rel: text.encode() for rel, text in modules.items()}
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    )
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    return write_wheel(folder, info.removesuffix(".dist-info"), "py3-none-any", files)


def repack(folder: Path, name: str) -> Path:
    """The installed distribution name packed into a wheel (scripts outside site-packages left)."""
    dist = md.distribution(name)
    base = Path(str(dist.locate_file("")))
    files: dict[str, bytes] = {}
    for entry in dist.files or []:
        rel = str(entry)
        if rel.startswith("..") or rel.endswith(
            (".pyc", "/RECORD", "INSTALLER", "direct_url.json")
        ):
            continue
        files[rel] = (base / rel).read_bytes()
    wheel_meta = dist.read_text("WHEEL") or ""
    tag = next(line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if "Tag:" in line)
    info = next(rel for rel in files if rel.endswith(".dist-info/METADATA")).split("/")[0]
    return write_wheel(folder, info.removesuffix(".dist-info"), tag, files)


def repack_closure(folder: Path, roots: list[str]) -> list[Path]:
    """Wheels of roots and everything they need here, taken from this interpreter's packages."""
    seen: set[str] = set()
    todo = list(roots)
    wheels = []
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        wheels.append(repack(folder, name))
        for text in md.distribution(name).requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": "toml"}):
                todo.append(req.name)
    return wheels
