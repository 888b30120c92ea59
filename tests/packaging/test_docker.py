"""The Dockerfile and docker-compose.yml, checked by parsing them (no Docker engine here)."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "python:3.12-slim"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        word, _, args = pending.partition(" ")
        found.append((word.upper(), args.strip()))
        pending = ""
    return found


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's build stages, each starting with its FROM."""
    split: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            split.append([])
        split[-1].append(instruction)
    return split


def last(stage: list[tuple[str, str]], word: str) -> str:
    """Arguments of the stage's last instruction of this kind."""
    return [args for name, args in stage if name == word][-1]


def copied(stage: list[tuple[str, str]]) -> set[str]:
    """Source paths of the stage's COPY instructions (flags and destinations left out)."""
    return {
        part
        for name, args in stage
        if name == "COPY"
        for part in args.split()[:-1]
        if not part.startswith("--")
    }


def compose_service() -> dict[str, object]:
    """The one service of docker-compose.yml."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    assert list(services) == ["agent"]
    service: dict[str, object] = services["agent"]
    return service


def test_every_stage_starts_from_the_slim_python_image() -> None:
    assert [stage[0][1].split()[0] for stage in stages()] == [BASE_IMAGE] * len(stages())


def test_the_final_image_runs_agent_in_repo_as_a_non_root_user() -> None:
    final = stages()[-1]
    assert json.loads(last(final, "ENTRYPOINT")) == ["agent"]
    assert last(final, "WORKDIR") == "/repo"
    user = last(final, "USER").split(":")[0]
    assert user not in ("root", "0")
    assert [name for name, _ in final].index("USER") > [name for name, _ in final].index("RUN")


def test_the_final_image_installs_git_and_bubblewrap() -> None:
    installs = [args for name, args in stages()[-1] if name == "RUN" and "apt-get install" in args]
    packages = " ".join(installs).split()
    assert "git" in packages
    assert "bubblewrap" in packages


def test_the_build_copies_what_the_wheel_is_made_of_and_installs_the_extras() -> None:
    build = stages()[0]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = project["tool"]["setuptools"]
    # The wheel is made of the package's source folder (package-dir) and nothing at the top.
    needed = {"pyproject.toml", project["project"]["readme"], *setuptools["package-dir"].values()}
    assert needed <= copied(build)
    assert ("ARG", "EXTRAS=aws,github") in build
    assert set(project["project"]["optional-dependencies"]) >= {"aws", "github"}


def test_the_extras_argument_expands_to_a_requirement_pip_accepts() -> None:
    (spec,) = re.findall(r'pip install "([^"]+)"', last(stages()[0], "RUN"))

    def expand(extras: str) -> str:
        """The argument as the build stage's shell passes it to pip."""
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "expand.sh").write_text(f'printf %s "{spec}"\n', encoding="utf-8")
            run = subprocess.run(
                ["sh", "expand.sh"], cwd=folder, env={"EXTRAS": extras}, capture_output=True
            )
        return run.stdout.decode()

    assert expand("aws,github") == "/checkout[aws,github]"
    assert expand("aws") == "/checkout[aws]"
    assert expand("") == "/checkout"


def test_the_build_context_keeps_secrets_and_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".git", ".venv", ".agent"} <= set(ignored)
    assert copied(stages()[0]).isdisjoint(ignored)


def test_compose_mounts_the_target_at_repo_with_keys_from_env() -> None:
    service = compose_service()
    volumes = service["volumes"]
    assert isinstance(volumes, list)
    assert [volume.rsplit(":", 1)[1] for volume in volumes] == ["/repo"]
    assert service["working_dir"] == "/repo"
    assert service["env_file"] == [{"path": ".env", "required": False}]
    command = service["command"]
    assert isinstance(command, list)
    assert command[0] == "loop"
    assert command[command.index("--repo") + 1] == "/repo"


def test_compose_builds_this_dockerfile_with_its_arguments_and_version() -> None:
    service = compose_service()
    build = service["build"]
    assert isinstance(build, dict)
    assert build["context"] == "."
    arguments = {args.split("=")[0] for name, args in stages()[0] if name == "ARG"}
    assert set(build["args"]) <= arguments
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert service["image"] == f"self-improving-agent:{version['version']}"
