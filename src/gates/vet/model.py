"""What vetting a change found: per file, what is refused, what needs a person, what is fine."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["ok", "person", "refused"]
EXIT_CODES: dict[str, int] = {"ok": 0, "person": 3, "refused": 4}
STATUS_WORDS = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "type changed",
}
WIDTH = 160


class VetItem(BaseModel):
    """One rule that fired: its id, the line (0: the whole file) and one sentence."""

    model_config = ConfigDict(frozen=True)

    rule: str
    line: int = 0
    message: str


class FileVerdict(BaseModel):
    """One file of the change and what it needs."""

    model_config = ConfigDict(frozen=True)

    path: str
    old_path: str | None = None
    status: str
    refused: list[VetItem] = Field(default_factory=list)
    person: list[VetItem] = Field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        """Refused over needing a person over fine."""
        return "refused" if self.refused else "person" if self.person else "ok"


class VetReport(BaseModel):
    """The judgement of one change against its base commit."""

    model_config = ConfigDict(frozen=True)

    base: str = Field(description="The commit the change is compared with.")
    change: str = Field(description="What was vetted: a patch file, a range, the working tree.")
    files: list[FileVerdict]

    @property
    def verdict(self) -> Verdict:
        """The worst verdict of any file."""
        verdicts = {f.verdict for f in self.files}
        return "refused" if "refused" in verdicts else "person" if "person" in verdicts else "ok"

    @property
    def exit_code(self) -> int:
        """0 mergeable without a person, 3 needs a person, 4 refused."""
        return EXIT_CODES[self.verdict]

    def refusals(self) -> list[str]:
        """Each refusal as one line naming the file."""
        return [
            f"{_place(f.path, i)}: {i.message} [{i.rule}]" for f in self.files for i in f.refused
        ]

    def for_person(self) -> list[str]:
        """Each reason a person must look, as one line naming the file."""
        return [f"{_place(f.path, i)}: {i.message}" for f in self.files for i in f.person]

    def as_json(self) -> dict[str, object]:
        """The machine-readable form `agent vet --json` prints."""
        return {
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "base": self.base,
            "change": self.change,
            "files": [
                {
                    "path": f.path,
                    "old_path": f.old_path,
                    "status": f.status,
                    "verdict": f.verdict,
                    "refused": [i.model_dump() for i in f.refused],
                    "person": [i.model_dump() for i in f.person],
                }
                for f in self.files
            ],
        }

    def lines(self) -> list[str]:
        """The text `agent vet` prints: per file, each rule on its own line, cut to a width."""
        out = []
        for f in self.files:
            moved = f" (from {f.old_path})" if f.old_path else ""
            out.append(_cut(f"{f.verdict.upper():8} {f.path}{moved} [{f.status}]"))
            out += [_cut(f"  refused {_at(i)}{i.message} [{i.rule}]") for i in f.refused]
            out += [_cut(f"  person  {_at(i)}{i.message}") for i in f.person]
        words = {
            "ok": "can merge without a person",
            "person": "needs a person",
            "refused": "refused",
        }
        out.append(f"{self.change}: {len(self.files)} file(s), {words[self.verdict]}")
        return out


def _at(item: VetItem) -> str:
    """'line N: ' or nothing."""
    return f"line {item.line}: " if item.line else ""


def _place(path: str, item: VetItem) -> str:
    """path or path:line."""
    return f"{path}:{item.line}" if item.line else path


def _cut(text: str, width: int = WIDTH) -> str:
    """One line, at most width characters."""
    flat = " ".join(text.splitlines())
    return flat if len(flat) <= width else flat[: width - 3] + "..."
