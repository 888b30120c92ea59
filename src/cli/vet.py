"""`agent vet [PATCH | REV..REV | -]`: judge any change as a generation's would be, no model."""

from __future__ import annotations

import json
import os
import posixpath
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from self_improving_agent.base.errors import AgentError, GitError
from self_improving_agent.cli.options import echo

if TYPE_CHECKING:
    from self_improving_agent.gates.vet import VetReport
    from self_improving_agent.git_ops.changeset import ChangeSet

USAGE_EXIT = 2


def _read_patch(target: str) -> tuple[bytes, str]:
    """The patch's bytes and how to name it."""
    if target == "-":
        return sys.stdin.buffer.read(), "the patch on stdin"
    try:
        return Path(target).read_bytes(), target
    except OSError as exc:
        raise GitError(
            f"cannot read the patch {target} ({exc.strerror}); check the path."
        ) from None


def load_change(repo: Path, target: str | None) -> tuple[ChangeSet | None, VetReport | None]:
    """The change to vet, or the refusal of the paths a patch names."""
    from self_improving_agent.git_ops.changeset import from_patch, from_range, from_worktree

    if target is None:
        return from_worktree(repo), None
    if target != "-" and not Path(target).is_file() and ".." in target:
        return from_range(repo, target), None
    if target != "-" and not Path(target).exists():
        raise typer.BadParameter(
            f"{target!r} is neither a patch file nor a range like main..HEAD; give one of them, "
            "- for a patch on stdin, or nothing for the working tree"
        )
    patch, label = _read_patch(target)
    # Judged by the paths the patch names, before git tries it: git may still apply a patch
    # that writes where none may under another prefix strip, or through a link.
    refused = _refused_paths(repo, patch, label)
    if refused is not None:
        return None, refused
    return from_patch(repo, patch, label), None


def _through_links(repo: Path, path: str, links: dict[str, str]) -> str:
    """path with every leading folder that is a symbolic link (the patch's own, or one already
    in the repository) replaced by where the link points, relative to the repository."""
    parts = path.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        prefix = "/".join(parts[:depth])
        target = links.get(prefix)
        if target is None and (repo / prefix).is_symlink():
            target = os.readlink(repo / prefix)
        if target is not None:
            joined = posixpath.join(posixpath.dirname(prefix), target, *parts[depth:])
            return joined if target.startswith("/") else posixpath.normpath(joined)
    return path


def _refused_paths(repo: Path, patch: bytes, label: str) -> VetReport | None:
    """A patch git refuses to apply is still refused by name when it writes where none may,
    its paths followed through the links it makes or the repository has."""
    from self_improving_agent.gates.vet import FileVerdict, VetItem, VetReport
    from self_improving_agent.gates.vet.outside import hard_refusal
    from self_improving_agent.git_ops.changeset import patch_links, patch_paths

    files = []
    links = patch_links(patch)
    for path in patch_paths(patch):
        real = _through_links(repo, path, links)
        hard = hard_refusal(real, [".env*", "*.pem", "*.key"], links.get(path))
        if hard is not None:
            item = VetItem(rule=hard[0], message=hard[1])
            files.append(FileVerdict(path=path, status="in the patch", refused=[item]))
    return VetReport(base="HEAD", change=label, files=files) if files else None


def vet_command(
    target: Annotated[
        str | None,
        typer.Argument(
            help="A patch file, a range REV..REV, or - for a patch on stdin.",
            show_default="the working tree's uncommitted changes against HEAD",
        ),
    ] = None,
    repo: Annotated[
        Path, typer.Option("--repo", help="The repository.", file_okay=False, resolve_path=True)
    ] = Path("."),
    config: Annotated[Path | None, typer.Option("--config", help="Config file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    measure: Annotated[
        bool, typer.Option("--measure", help="Also measure the change against main.")
    ] = False,
) -> None:
    """Judge a change: exit 0 mergeable, 3 needs a person, 4 refused (1 setup error)."""
    from self_improving_agent.base.config_load import load_settings
    from self_improving_agent.gates.vet import vet
    from self_improving_agent.git_ops.runner import repo_root

    try:
        root = repo_root(repo)
        settings = load_settings(root, config)
        changes, report = load_change(root, target)
        if changes is not None:
            report = vet(root, changes, settings.safety, settings.benchmarks.config)
        assert report is not None
        measured = None
        if measure and changes is not None and report.verdict != "refused":
            from self_improving_agent.cli.vet_measure import measure_change

            measured = measure_change(root, changes, settings, lambda s: echo(s, err=True))
    except AgentError as exc:
        echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    code = report.exit_code
    if measured is not None and not measured.get("improved", False) and code == 0:
        code = 3
    if as_json:
        echo(json.dumps({**report.as_json(), "exit_code": code, "measure": measured}))
    else:
        echo("\n".join(report.lines()))
        if measured is not None:
            echo(str(measured.get("summary", "")))
    raise typer.Exit(code)
