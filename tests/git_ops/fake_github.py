"""A local stand-in for the GitHub REST API that GitHubIntegration calls, backed by a bare repo."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.git_ops.fake_server import FakeServer, Json

TOKEN = "ghp_fake_token_for_tests"
REPO = "octo/demo"
STAMP = "2026-01-02T03:04:05Z"


@dataclass
class _State:
    """Everything the fake remembers; tests read and change it through FakeGitHub."""

    pulls: dict[int, dict[str, Json]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Json]]] = field(default_factory=dict)
    statuses: dict[str, list[dict[str, Json]]] = field(default_factory=dict)
    check_runs: dict[str, list[dict[str, Json]]] = field(default_factory=dict)
    labels: dict[int, list[str]] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    push_permission: bool | None = True


class FakeGitHub(FakeServer):
    """A threaded HTTP server on 127.0.0.1 that answers like api.github.com (or GHE's /api/v3)."""

    def __init__(self, bare_repo: Path, repo: str = REPO, token: str = TOKEN) -> None:
        super().__init__(token)
        self.bare_repo = bare_repo
        self.repo = repo
        self.state = _State()

    def rate_limit(self, reset_epoch: int, times: int = 1) -> None:
        """Answer the next requests as an exhausted primary rate limit resetting at reset_epoch."""
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset_epoch)}
        self.force(403, "API rate limit exceeded for user ID 1.", headers=headers, times=times)

    def add_review(self, number: int, state: str, body: str = "", author: str = "reviewer") -> None:
        """Submit a review (APPROVED, CHANGES_REQUESTED, COMMENTED) on a pull request."""
        with self._lock:
            reviews = self.state.reviews.setdefault(number, [])
            reviews.append(
                {
                    "id": 1000 + len(reviews),
                    "user": {"login": author, "id": 7, "type": "User"},
                    "body": body,
                    "state": state,
                    "submitted_at": STAMP,
                    "commit_id": self.state.pulls[number]["head"]["sha"],
                }
            )

    def add_status(self, sha: str, context: str, state: str) -> None:
        """Report a commit status (success, failure, error, pending) for sha."""
        with self._lock:
            entries = self.state.statuses.setdefault(sha, [])
            entries[:] = [s for s in entries if s["context"] != context]
            entries.append({"id": len(entries) + 1, "context": context, "state": state})

    def add_check_run(
        self, sha: str, name: str, status: str = "completed", conclusion: str | None = "success"
    ) -> None:
        """Report a check run for sha; conclusion is None until status is completed."""
        with self._lock:
            runs = self.state.check_runs.setdefault(sha, [])
            runs.append(
                {
                    "id": len(runs) + 1,
                    "name": name,
                    "head_sha": sha,
                    "status": status,
                    "conclusion": conclusion,
                }
            )

    def move_head(self, number: int, sha: str) -> None:
        """Pretend someone pushed to the pull request's branch."""
        with self._lock:
            self.state.pulls[number]["head"]["sha"] = sha

    def close_by_person(self, number: int) -> None:
        """Close a pull request the way a person would in the web UI."""
        with self._lock:
            self.state.pulls[number]["state"] = "closed"

    def deny_push(self) -> None:
        """Make the repository report that the token cannot push."""
        with self._lock:
            self.state.push_permission = False

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Json
    ) -> tuple[int, Json, dict[str, str]]:
        """Dispatch on method and path below /repos/{owner}/{repo}."""
        base = f"/repos/{self.repo}"
        if not (path == base or path.startswith(base + "/")):
            return 404, {"message": "Not Found"}, {}
        rest = path[len(base) :]
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"", lambda m: self._repo_json()),
            ("GET", r"/pulls", lambda m: self._list_pulls(query.get("state", ["open"])[0])),
            ("POST", r"/pulls", lambda m: self._create_pull(body)),
            ("GET", r"/pulls/(\d+)", lambda m: self._pull(int(m[1]))),
            ("PATCH", r"/pulls/(\d+)", lambda m: self._update_pull(int(m[1]), body)),
            ("PUT", r"/pulls/(\d+)/merge", lambda m: self._merge(int(m[1]), body)),
            ("GET", r"/pulls/(\d+)/reviews", lambda m: self._reviews(int(m[1]))),
            ("GET", r"/commits/(\w+)/status", lambda m: self._combined_status(m[1])),
            ("GET", r"/commits/(\w+)/check-runs", lambda m: self._check_runs(m[1])),
            ("POST", r"/issues/(\d+)/labels", lambda m: self._add_labels(int(m[1]), body)),
            ("POST", r"/issues/(\d+)/comments", lambda m: self._comment(int(m[1]), body)),
        ]
        for verb, pattern, action in routes:
            match = re.fullmatch(pattern, rest)
            if verb == method and match:
                status, payload = action(match)
                return status, payload, {}
        return 404, {"message": "Not Found"}, {}

    def _api(self, rest: str) -> str:
        """Absolute API URL of a path below the repository."""
        return f"{self.url}/repos/{self.repo}{rest}"

    def _repo_json(self) -> tuple[int, Json]:
        """GET /repos/{owner}/{repo}."""
        owner, name = self.repo.split("/")
        push = self.state.push_permission
        return 200, {
            "id": 1,
            "name": name,
            "full_name": self.repo,
            "owner": {"login": owner, "id": 1, "type": "User"},
            "url": self._api(""),
            "default_branch": "main",
            # None plays an App installation token, whose answer has no permissions object.
            **(
                {}
                if push is None
                else {"permissions": {"admin": False, "push": push, "pull": True}}
            ),
        }

    def _pull_json(self, number: int) -> Json:
        """The stored pull request with the URLs PyGithub follows."""
        pull = dict(self.state.pulls[number])
        pull["url"] = self._api(f"/pulls/{number}")
        pull["issue_url"] = self._api(f"/issues/{number}")
        pull["html_url"] = f"https://github.example/{self.repo}/pull/{number}"
        return pull

    def _list_pulls(self, state: str) -> tuple[int, Json]:
        """GET /pulls?state=open|closed|all."""
        numbers = [n for n, p in self.state.pulls.items() if state in ("all", p["state"])]
        return 200, [self._pull_json(n) for n in numbers]

    def _pull(self, number: int) -> tuple[int, Json]:
        """GET /pulls/{n}."""
        if number not in self.state.pulls:
            return 404, {"message": "Not Found"}
        return 200, self._pull_json(number)

    def _create_pull(self, body: Json) -> tuple[int, Json]:
        """POST /pulls: 422 when the head branch is unknown or already has an open PR."""
        head, base = body["head"], body["base"]
        for pull in self.state.pulls.values():
            if pull["head"]["ref"] == head and pull["state"] == "open":
                owner = self.repo.split("/")[0]
                error = {"resource": "PullRequest", "code": "custom"}
                error["message"] = f"A pull request already exists for {owner}:{head}."
                return 422, {"message": "Validation Failed", "errors": [error]}
        head_sha, base_sha = self._rev(head), self._rev(base)
        if head_sha is None or base_sha is None:
            error = {"resource": "PullRequest", "field": "head", "code": "invalid"}
            return 422, {"message": "Validation Failed", "errors": [error]}
        number = len(self.state.pulls) + 1
        self.state.pulls[number] = {
            "id": 500 + number,
            "number": number,
            "state": "open",
            "title": body.get("title", ""),
            "body": body.get("body"),
            "merged": False,
            "merge_commit_sha": None,
            "draft": False,
            "user": {"login": "agent-bot", "id": 9, "type": "User"},
            "head": {"ref": head, "sha": head_sha, "label": f"octo:{head}"},
            "base": {"ref": base, "sha": base_sha, "label": f"octo:{base}"},
            "created_at": STAMP,
            "updated_at": STAMP,
        }
        return 201, self._pull_json(number)

    def _update_pull(self, number: int, body: Json) -> tuple[int, Json]:
        """PATCH /pulls/{n}: title, body or state."""
        if number not in self.state.pulls:
            return 404, {"message": "Not Found"}
        pull = self.state.pulls[number]
        for key in ("title", "body", "state"):
            if key in body:
                pull[key] = body[key]
        return 200, self._pull_json(number)

    def _merge(self, number: int, body: Json) -> tuple[int, Json]:
        """PUT /pulls/{n}/merge: 409 when sha is not the head, as on GitHub; moves the base."""
        if number not in self.state.pulls:
            return 404, {"message": "Not Found"}
        pull = self.state.pulls[number]
        if pull["state"] != "open" or pull["merged"]:
            return 405, {"message": "Pull Request is not mergeable"}
        if body.get("sha") not in (None, pull["head"]["sha"]):
            return 409, {"message": "Head branch was modified. Review and try the merge again."}
        method = body.get("merge_method", "merge")
        if method not in ("merge", "squash", "rebase"):
            error = {"resource": "PullRequest", "field": "merge_method", "code": "invalid"}
            return 422, {"message": "Validation Failed", "errors": [error]}
        sha = self._merge_in_repo(pull, method)
        if sha is None:
            return 405, {"message": "Merge conflict"}
        pull.update(state="closed", merged=True, merge_commit_sha=sha, merge_method=method)
        return 200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}

    def _reviews(self, number: int) -> tuple[int, Json]:
        """GET /pulls/{n}/reviews."""
        if number not in self.state.pulls:
            return 404, {"message": "Not Found"}
        return 200, self.state.reviews.get(number, [])

    def _combined_status(self, sha: str) -> tuple[int, Json]:
        """GET /commits/{sha}/status, with GitHub's rule that no statuses reads as pending."""
        statuses = self.state.statuses.get(sha, [])
        states = {s["state"] for s in statuses}
        if states & {"failure", "error"}:
            combined = "failure"
        elif not statuses or "pending" in states:
            combined = "pending"
        else:
            combined = "success"
        return 200, {
            "state": combined,
            "sha": sha,
            "total_count": len(statuses),
            "statuses": statuses,
        }

    def _check_runs(self, sha: str) -> tuple[int, Json]:
        """GET /commits/{sha}/check-runs."""
        runs = self.state.check_runs.get(sha, [])
        return 200, {"total_count": len(runs), "check_runs": runs}

    def _add_labels(self, number: int, body: Json) -> tuple[int, Json]:
        """POST /issues/{n}/labels with a JSON list of names."""
        if number not in self.state.pulls:
            return 404, {"message": "Not Found"}
        names = self.state.labels.setdefault(number, [])
        names.extend(name for name in body if name not in names)
        return 200, [{"name": name, "color": "ededed"} for name in names]

    def _comment(self, number: int, body: Json) -> tuple[int, Json]:
        """POST /issues/{n}/comments."""
        if number not in self.state.pulls:
            return 404, {"message": "Not Found"}
        self.state.comments.setdefault(number, []).append(body["body"])
        return 201, {"id": 3000 + number, "body": body["body"], "created_at": STAMP}

    # --- the bare repository behind the API ---

    def _git(self, *args: str) -> str | None:
        """Run git in the bare repository; None when git fails."""
        done = subprocess.run(
            ["git", *args], cwd=self.bare_repo, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else None

    def _rev(self, branch: str) -> str | None:
        """The sha of a branch in the bare repository."""
        return self._git("rev-parse", "--verify", "-q", f"refs/heads/{branch}^{{commit}}")

    def _merge_in_repo(self, pull: Json, method: str) -> str | None:
        """Move the base branch like GitHub would; the new base sha, or None on conflict."""
        head, base = pull["head"]["sha"], self._rev(pull["base"]["ref"])
        if base is None:
            return None
        tree = self._git("merge-tree", "--write-tree", base, head)
        if tree is None:
            return None
        message = f"Merge pull request #{pull['number']}\n\n{pull['title']}"
        if method == "merge":
            sha = self._git("commit-tree", tree, "-p", base, "-p", head, "-m", message)
        elif method == "squash" or self._git("merge-base", "--is-ancestor", base, head) is None:
            sha = self._git("commit-tree", tree, "-p", base, "-m", pull["title"])
        else:
            sha = head
        if sha is None or self._git("update-ref", f"refs/heads/{pull['base']['ref']}", sha) is None:
            return None
        return sha


def make_bare_origin(path: Path) -> Path:
    """An empty bare repository to use as a real `origin` remote."""
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True, capture_output=True
    )
    return path


@pytest.fixture
def fake_github(tmp_path: Path) -> Iterator[FakeGitHub]:
    """A running FakeGitHub whose branches live in a bare repository at tmp_path/origin.git."""
    fake = FakeGitHub(make_bare_origin(tmp_path / "origin.git")).start()
    try:
        yield fake
    finally:
        fake.stop()
