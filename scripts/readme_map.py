"""Where each heading of the README before the manual (44 headings, 1,475 lines) went.

Prints the map as a Markdown table and checks that every destination page and anchor exists;
where git still has the old README, it also checks that the map covers every one of its headings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docsgen.anchors import anchors, headings

ROOT = Path(__file__).resolve().parents[1]
OLD_README = "86de6dd:README.md"
G, M, S = "docs/concepts/generation.md", "docs/concepts/measurement.md", "docs/concepts/gates.md"
P, R = "docs/guides/local-models.md", "docs/guides/pr-mode.md"
Y = "docs/guides/your-repository.md"
MAP: dict[str, list[str]] = {
    "self-improving-agent": ["README.md", "docs/index.md"],
    "Quick start": ["README.md#quick-start", "docs/getting-started.md#the-two-commands"],
    "Install": ["README.md#install", "docs/getting-started.md#install", "docs/guides/docker.md"],
    "Commands": [
        f"{Y}#commands-and-options",
        "docs/reference/cli.md",
        "docs/reference/exit-codes.md",
    ],
    "Configuration": [f"{Y}#configuration", "docs/reference/config.md"],
    "Try it with no key: `make run` (the offline demo)": [
        "docs/getting-started.md#the-offline-demo-make-run"
    ],
    "The offline provider (`--provider offline`)": [f"{P}#the-offline-provider"],
    "Running generations": [f"{G}#how-a-generation-ends"],
    "Repair rounds": [f"{G}#repair-rounds"],
    "Reading the results: `agent report` and `agent dashboard`": [f"{Y}#read-the-results"],
    "Reading a report": [f"{Y}#reading-a-report", "docs/reference/report-schema.md"],
    "The dashboard": [f"{Y}#the-dashboard"],
    "Benchmarks: `agent bench`": [M],
    "What is measured": [f"{M}#what-is-measured", "docs/reference/benchmarks.md"],
    "Configuration: `config/benchmarks.json`": [
        f"{M}#configuration-configbenchmarksjson",
        "docs/reference/config.md#configbenchmarksjson",
    ],
    "Your own evaluators: custom benchmarks": ["docs/guides/custom-evaluators.md"],
    "The measuring environment": [f"{M}#the-measuring-environment"],
    "How it runs": [f"{M}#how-it-runs"],
    "From Python": [f"{M}#from-python"],
    "Performance: `make bench-perf`": [f"{M}#performance-make-bench-perf"],
    "What the models see and how their edits are applied": [f"{G}#what-the-models-see"],
    "Safety gate and anti-gaming checks": [f"{S}#the-write-gate"],
    "Self-hosting and safety in practice": [
        "docs/guides/self-hosting.md",
        f"{S}#flaky-tests",
        f"{S}#mains-tests-judge-a-change-to-the-tests",
        "docs/security.md",
    ],
    "The sandbox: containing the code the model writes": ["docs/concepts/sandbox.md"],
    "Cedar policies and reading model replies": [
        f"{S}#cedar-policies",
        f"{G}#reading-model-replies",
    ],
    "Policies (`policies/`)": [f"{S}#cedar-policies"],
    "Reading model replies": [f"{G}#reading-model-replies"],
    "How generations use git": [f"{G}#how-generations-use-git"],
    "Providers: Anthropic, Bedrock, OpenAI-compatible servers and the mock": [P],
    "Local models: Ollama, vLLM, LM Studio, llama.cpp": [
        f"{P}#local-models-ollama-vllm-lm-studio-llamacpp"
    ],
    "Structured replies, by what the model supports": [
        f"{P}#structured-replies-by-what-the-model-supports"
    ],
    "Anthropic": [f"{P}#anthropic"],
    "Bedrock": [f"{P}#bedrock"],
    "OpenAI-compatible": [f"{P}#openai-compatible"],
    "The model catalogue and cost": [f"{P}#the-model-catalogue-and-cost"],
    "Overhead: `make provider-overhead`": [f"{P}#overhead-make-provider-overhead"],
    "The mock provider": [f"{P}#the-mock-provider"],
    "GitHub PR mode": [R],
    "The GitHub integration": [f"{R}#the-github-integration"],
    "Credentials and repository": [f"{R}#credentials-and-repository"],
    "What it does": [f"{R}#what-it-does"],
    "Errors": [f"{R}#errors", "docs/troubleshooting.md"],
    "The review packet": [f"{R}#the-review-packet"],
    "Development": ["docs/contributing.md#make-targets", "docs/architecture.md#layout"],
}


def missing_destinations() -> list[str]:
    """Destinations whose page or anchor does not exist."""
    bad = []
    for targets in MAP.values():
        for target in targets:
            file, _, anchor = target.partition("#")
            path = ROOT / file
            if not path.is_file() or (anchor and anchor not in anchors(path)):
                bad.append(target)
    return bad


def old_headings() -> list[str] | None:
    """The old README's headings, from git; None where this clone lacks that commit."""
    done = subprocess.run(
        ["git", "show", OLD_README], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return [text for _, text in headings(done.stdout)] if done.returncode == 0 else None


def main() -> int:
    """Print the map; exit 1 when a destination is missing or an old heading is unmapped."""
    print("| README heading (before) | where its content is now |")
    print("|---|---|")
    for heading, targets in MAP.items():
        print(f"| {heading} | {', '.join(targets)} |")
    problems = [f"missing destination: {target}" for target in missing_destinations()]
    old = old_headings()
    if old is None:
        print(f"(git has no {OLD_README} here; the map is not compared with it)", file=sys.stderr)
    else:
        problems += [f"unmapped heading: {h}" for h in old if h not in MAP]
        print(f"\n{len(old)} headings in the old README, {len(MAP)} mapped.")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
