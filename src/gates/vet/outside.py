"""Files that run outside the sandbox later (CI, build, hooks, dependencies), and hard refusals."""

from __future__ import annotations

import configparser
import fnmatch
import posixpath
import re
import tomllib
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

OUTSIDE = "outside/runs-outside-sandbox"
DEPENDENCY = "outside/dependencies"
SECRETS = "refused/secrets-file"
STARTUP = "refused/startup-hook"
GIT_DIR = "refused/git-dir"
ESCAPE = "refused/outside-tree"

# Folder prefixes (casefolded) whose every file runs, or decides what runs, outside the sandbox.
OUTSIDE_FOLDERS = {
    ".github/": "GitHub settings and CI workflows run on GitHub's machines",
    ".gitea/": "Gitea Actions workflows run on CI machines",
    ".forgejo/": "Forgejo Actions workflows run on CI machines",
    ".woodpecker/": "Woodpecker pipelines run on CI machines",
    ".gitlab/": "GitLab CI configuration runs on CI machines",
    ".circleci/": "CircleCI configuration runs on CI machines",
    ".buildkite/": "Buildkite pipelines run on CI machines",
    ".devcontainer/": "a dev container definition runs on the developer's machine",
    ".vscode/": "editor tasks and settings run on the developer's machine",
    ".idea/": "editor run configurations run on the developer's machine",
    ".husky/": "git hooks run on the developer's machine",
    ".githooks/": "git hooks run on the developer's machine",
}
# Parts of .github/ GitHub only shows to people (issue and discussion forms, docs, funding).
GITHUB_PAGES = ("issue_template/", "discussion_template/")
GITHUB_PAGE_SUFFIXES = (".md", ".markdown", ".rst", ".txt")
GITHUB_PAGE_NAMES = frozenset({"funding.yml", "funding.yaml"})
OUTSIDE_NAMES = {
    "makefile": "make runs its recipes on the developer's and CI machines",
    "gnumakefile": "make runs its recipes on the developer's and CI machines",
    "justfile": "just runs its recipes on the developer's machine",
    ".justfile": "just runs its recipes on the developer's machine",
    "noxfile.py": "nox runs its sessions outside the sandbox",
    "tox.toml": "tox runs its commands outside the sandbox",
    ".pre-commit-config.yaml": "pre-commit runs its hooks on every commit",
    ".pre-commit-hooks.yaml": "pre-commit runs these hooks on other machines",
    "setup.py": "setup.py runs at every build and install",
    "manifest.in": "MANIFEST.in decides what a build ships",
    "hatch_build.py": "a build hook runs at every build",
    "build.py": "a build script runs at every build",
    ".gitlab-ci.yml": "GitLab CI configuration runs on CI machines",
    ".travis.yml": "Travis CI configuration runs on CI machines",
    "azure-pipelines.yml": "Azure pipelines run on CI machines",
    "bitbucket-pipelines.yml": "Bitbucket pipelines run on CI machines",
    "jenkinsfile": "a Jenkins pipeline runs on CI machines",
    "appveyor.yml": "AppVeyor configuration runs on CI machines",
    ".drone.yml": "Drone CI configuration runs on CI machines",
    ".readthedocs.yaml": "Read the Docs runs the documentation build",
    ".readthedocs.yml": "Read the Docs runs the documentation build",
    ".gitattributes": "git attributes choose filters and hide files from diffs",
    ".gitmodules": "submodules fetch code from elsewhere",
    ".envrc": "direnv runs it on entering the folder",
    ".tool-versions": "version managers install what it names",
    "mise.toml": "mise runs its tasks and installs its tools",
    ".mise.toml": "mise runs its tasks and installs its tools",
    "containerfile": "a container build runs its steps",
    ".dockerignore": "it decides what a container build sees",
    # go-task reads these names in the folder it runs in.
    **dict.fromkeys(
        [f"{stem}.{ext}" for stem in ("taskfile", "taskfile.dist") for ext in ("yml", "yaml")],
        "go-task runs its tasks on the developer's machine",
    ),
    "uv.toml": "uv reads it to choose package indexes, sources and Python builds",
    "poetry.toml": "poetry reads it to choose package sources and virtualenvs",
    "pdm.toml": "pdm reads it to choose package sources and scripts",
    "hatch.toml": "hatch runs its environments' scripts and build hooks",
    ".python-version": "uv and pyenv install and run the interpreter it names",
    ".pdbrc": "pdb runs its commands whenever a debugger starts in this folder",
    ".npmrc": "npm reads it for registries, tokens and install scripts",
    ".yarnrc": "yarn reads it for registries and install scripts",
    ".yarnrc.yml": "yarn reads it for registries and install scripts",
    "pip.conf": "pip reads it (with PIP_CONFIG_FILE) for indexes",
    ".condarc": "conda reads it for channels",
    "procfile": "a process manager runs its commands",
    "vagrantfile": "Vagrant runs it on the developer's machine",
    "earthfile": "Earthly runs its build steps",
    "tiltfile": "Tilt runs it on the developer's machine",
}
DEPENDENCY_NAMES = frozenset(
    {"pipfile", "pipfile.lock", "poetry.lock", "uv.lock", "pdm.lock", "pylock.toml"}
    | {"environment.yml", "environment.yaml", "package.json", "package-lock.json", "yarn.lock"}
    | {"pnpm-lock.yaml", "cargo.toml", "cargo.lock", "gemfile", "gemfile.lock", "go.mod"}
    | {"go.sum", "conda-lock.yml", "pixi.toml", "pixi.lock"}
)
DEPENDENCY_GLOBS = ("requirements*.txt", "requirements*.in", "constraints*.txt", "*.lock")
DOCKER_GLOBS = ("dockerfile*", "*.dockerfile", "docker-compose*.y*ml", "compose.y*ml")
EDITOR_GLOBS = ("*.code-workspace", "*.sublime-project")
# pyproject tables that only describe or configure checking tools (compared elsewhere).
INERT_PROJECT_KEYS = frozenset(
    {"name", "description", "readme", "keywords", "classifiers", "urls", "authors"}
    | {"maintainers", "license", "license-files", "version"}
)
CHECK_TOOLS = frozenset(
    {"ruff", "mypy", "pytest", "coverage", "black", "isort", "pylint", "pyright", "codespell"}
    | {"radon", "bandit", "flake8", "pydocstyle", "interrogate", "docformatter", "vulture"}
)
SECRET_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults", ".tpl", ".in")
STARTUP_STEMS = frozenset({"sitecustomize", "usercustomize"})
# Files programs read credentials from, by the name each program looks for: netrc (curl, pip,
# requests), twine, libpq, git's credential store, ssh, AWS, Google service accounts,
# Streamlit, Vault, Apache, Docker, Java keystores and PKCS#12 bundles.
CREDENTIAL_NAMES = frozenset(
    {".netrc", "_netrc", ".pypirc", ".pgpass", ".git-credentials", ".vault-token", ".htpasswd"}
    | {"credentials.json", "client_secret.json", "service-account.json", "secrets.toml"}
    | {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
)
CREDENTIAL_GLOBS = ("*.p12", "*.pfx", "*.jks", "*.keystore", "client_secret_*.json")
# Files whose name depends on the folder that holds them (~/.aws/credentials, ~/.docker/config).
CREDENTIAL_IN = {".aws": ("credentials",), ".docker": ("config.json",), ".kube": ("config",)}
PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")


def is_secret_file(path: str, blocked: Sequence[str] = (), data: bytes | None = None) -> bool:
    """Whether a file holds credentials: .env and its variants (not templates), files the
    programs that use credentials read them from, the configured patterns, or a private key."""
    folded = [part.casefold() for part in PurePosixPath(path).parts] or [""]
    base = folded[-1]
    if base.endswith(SECRET_TEMPLATES):
        return False
    if data is not None and PRIVATE_KEY.search(data[:1_000_000]):
        return True
    if base == ".env" or base.startswith(".env.") or base.endswith(".env"):
        return True
    if base in CREDENTIAL_NAMES or any(fnmatch.fnmatchcase(base, g) for g in CREDENTIAL_GLOBS):
        return True
    if len(folded) > 1 and base in CREDENTIAL_IN.get(folded[-2], ()):
        return True
    # `.env*` is judged above, so .envrc (a direnv script) and templates are not secrets.
    patterns = [p.casefold() for p in blocked if not p.casefold().startswith(".env")]
    return any(fnmatch.fnmatchcase(base, pattern) for pattern in patterns)


def hard_refusal(
    path: str, blocked: Sequence[str], link_target: str | None = None, data: bytes | None = None
) -> tuple[str, str] | None:
    """(rule, why) when no repository may receive this file, else None."""
    parts = PurePosixPath(path).parts
    folded = [part.casefold() for part in parts]
    if PurePosixPath(path).is_absolute() or ".." in parts or not parts:
        return ESCAPE, "the path leaves the repository"
    if ".git" in folded:
        return GIT_DIR, "git's own files (hooks, config) are never written"
    base = folded[-1]
    stem = base.rsplit(".", 1)[0]
    if base.endswith(".pth") or (stem in STARTUP_STEMS and base.endswith((".py", ".pyc"))):
        return STARTUP, "Python runs startup hooks in every interpreter that sees them"
    if is_secret_file(path, blocked, None if link_target is not None else data):
        return (
            SECRETS,
            "secrets files (.env, keys, credential stores) are never written by a change",
        )
    if link_target is not None:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link_target))
        if link_target.startswith("/") or target == ".." or target.startswith("../"):
            return ESCAPE, f"a symbolic link to {link_target!r} points outside the repository"
        if ".git" in [p.casefold() for p in PurePosixPath(target).parts]:
            return GIT_DIR, f"a symbolic link to {link_target!r} points into .git/"
    return None


def _github_page(folded: str) -> bool:
    """A .github/ file GitHub only shows to people: forms, templates, docs, funding links."""
    inner = folded.split(".github/", 1)[1]
    base = posixpath.basename(inner)
    if inner.startswith(("workflows/", "actions/")) or (
        "/" in inner and not inner.startswith(GITHUB_PAGES)
    ):
        return False
    return (
        inner.startswith(GITHUB_PAGES)
        or base.endswith(GITHUB_PAGE_SUFFIXES)
        or (base in GITHUB_PAGE_NAMES)
    )


def outside_reason(path: str, backend_paths: Sequence[str] = ()) -> str | None:
    """Why this file runs, or decides what runs, outside the sandbox; None when it does not."""
    folded = path.casefold()
    base = posixpath.basename(folded)
    for folder, why in OUTSIDE_FOLDERS.items():
        if folded.startswith(folder) or f"/{folder}" in folded:
            if folder == ".github/" and _github_page(folded):
                continue
            return why
    if base in OUTSIDE_NAMES:
        return OUTSIDE_NAMES[base]
    if base.endswith(".mk"):
        return OUTSIDE_NAMES["makefile"]
    if any(fnmatch.fnmatchcase(base, glob) for glob in DOCKER_GLOBS):
        return "a container definition runs its steps at build time"
    if any(fnmatch.fnmatchcase(base, glob) for glob in EDITOR_GLOBS):
        return "editor workspace files run tasks on the developer's machine"
    if base in DEPENDENCY_NAMES or any(fnmatch.fnmatchcase(base, g) for g in DEPENDENCY_GLOBS):
        return "it declares or pins dependencies, which are installed outside the sandbox"
    for folder in backend_paths:
        clean = folder.strip("/").casefold()
        if clean in ("", ".") or folded.startswith(clean + "/"):
            return "it is part of the in-tree build backend, which runs at every build"
    return None


def backend_paths(pyproject: str | None) -> list[str]:
    """[build-system] backend-path folders of a pyproject text."""
    try:
        system = tomllib.loads(pyproject or "").get("build-system", {})
    except tomllib.TOMLDecodeError:
        return []
    paths = system.get("backend-path", []) if isinstance(system, dict) else []
    return [str(p) for p in paths] if isinstance(paths, list) else []


def pyproject_changes(before: str | None, after: str | None) -> list[str]:
    """Tables of pyproject.toml that build, install or run things and that the change alters."""
    try:
        old = tomllib.loads(before or "")
    except tomllib.TOMLDecodeError:
        old = {}
    try:
        new = tomllib.loads(after or "")
    except tomllib.TOMLDecodeError:
        return ["pyproject.toml does not parse as TOML any more"]
    changed = []
    for table in sorted(old.keys() | new.keys()):
        if table == "project":
            changed += _project_changes(old.get(table, {}), new.get(table, {}))
        elif table == "tool":
            for tool in sorted(_keys(old.get("tool")) | _keys(new.get("tool"))):
                if tool not in CHECK_TOOLS and _get(old, "tool", tool) != _get(new, "tool", tool):
                    changed.append(f"[tool.{tool}] changed")
        elif old.get(table) != new.get(table):
            changed.append(f"[{table}] changed")
    return changed


def _keys(value: Any) -> set[str]:
    """A table's keys, or none when it is not a table."""
    return set(value) if isinstance(value, dict) else set()


def _get(data: dict[str, Any], *keys: str) -> Any:
    """data[k1][k2]... or None."""
    node: Any = data
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _project_changes(old: Any, new: Any) -> list[str]:
    """[project] keys other than descriptive ones that differ (dependencies, scripts, ...)."""
    old, new = (old if isinstance(old, dict) else {}), (new if isinstance(new, dict) else {})
    return [
        f"[project] {key} changed"
        for key in sorted(old.keys() | new.keys())
        if key not in INERT_PROJECT_KEYS and old.get(key) != new.get(key)
    ]


def ini_build_changes(
    before: str | None, after: str | None, tool_sections: Sequence[str]
) -> list[str]:
    """Sections of setup.cfg or tox.ini other than checking tools' that the change alters."""

    def sections(text: str | None) -> dict[str, dict[str, str]]:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text or "")
        except configparser.Error:
            return {"<unparsable>": {}}
        return {name: dict(parser.items(name)) for name in parser.sections()}

    old, new = sections(before), sections(after)

    def checked(name: str) -> bool:
        return any(name == t or name.startswith((f"{t}:", f"{t}-")) for t in tool_sections)

    return [
        f"[{name}] changed"
        for name in sorted(old.keys() | new.keys())
        if not checked(name) and old.get(name) != new.get(name)
    ]
