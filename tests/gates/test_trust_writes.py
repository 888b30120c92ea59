"""Writes that reach protected names from other modules: constants, functions, classes, imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.gates.safety import SafetyValidator

PEOPLE = "edit it by hand, or in PR mode ask a reviewer"
RULE = "trust/protected-write"
RULES_MOD = "from self_improving_agent.analysis.code_scan import rules\n"
DANGEROUS = "from self_improving_agent.analysis.code_scan.rules import DANGEROUS\n"
DECISION = "from self_improving_agent.gates import decision\n"
MMD = "from self_improving_agent.gates.decision import make_merge_decision\n"

# (id, content) written to src/core/hack.py; each must be refused as a protected write.
REFUSED: list[tuple[str, str]] = [
    # A protected module's own names, through the imported module.
    ("module-constant", DECISION + "decision.THRESHOLD = 0\n"),
    ("import-as", "import self_improving_agent.gates.policy as p\np.ALLOW = True\n"),
    (
        "full-dotted",
        "import self_improving_agent.gates.policy\n"
        "self_improving_agent.gates.policy.ALLOW = True\n",
    ),
    ("augmented", DECISION + "decision.THRESHOLD -= 1000\n"),
    ("delete-name", DECISION + "del decision.make_merge_decision\n"),
    (
        "evasion-alias-chain",
        "from self_improving_agent.gates import policy\na = policy\nb = a\nb.ALLOW = True\n",
    ),
    (
        "evasion-import-module",
        "import importlib\n"
        "importlib.import_module('self_improving_agent.gates.' + 'decision').X = 0\n",
    ),
    (
        "evasion-sys-modules",
        "import sys\nsys.modules['self_improving_agent.gates.decision'].X = 0\n",
    ),
    # A protected constant changed in place through an imported name.
    ("constant-clear", DANGEROUS + "DANGEROUS.clear()\n"),
    ("constant-item", DANGEROUS + "DANGEROUS['os.system'] = None\n"),
    ("constant-del-item", DANGEROUS + "del DANGEROUS['os.system']\n"),
    ("constant-through-module", RULES_MOD + "rules.DANGEROUS['os.system'] = None\n"),
    ("constant-setdefault-alias", RULES_MOD + "x = rules.DANGEROUS\nx.setdefault('a', 1)\n"),
    ("constant-rebound", DANGEROUS + "DANGEROUS |= {'a': 'b'}\n"),
    ("evasion-getattr-folded", RULES_MOD + "getattr(rules, 'DANGER' + 'OUS').update(a=1)\n"),
    (
        "evasion-operator-setitem",
        "import operator\n" + RULES_MOD + "operator.setitem(rules.DANGEROUS, 'a', 1)\n",
    ),
    ("evasion-unbound-method", DANGEROUS + "dict.update(DANGEROUS, a=1)\n"),
    ("evasion-in-function", DANGEROUS + "def f() -> None:\n    DANGEROUS.pop('os.system')\n"),
    # setattr and friends on a protected module or its names.
    ("setattr-module", DECISION + "setattr(decision, 'THRESHOLD', 0)\n"),
    ("delattr-module", DECISION + "delattr(decision, 'make_merge_decision')\n"),
    ("object-setattr", DECISION + "object.__setattr__(decision, 'THRESHOLD', 0)\n"),
    ("dunder-setattr", DECISION + "decision.__setattr__('THRESHOLD', 0)\n"),
    (
        "evasion-setattr-folded",
        "import self_improving_agent.gates.decision as d\n"
        "setattr(d, 'make_' + 'merge_decision', print)\n",
    ),
    # The module's namespace.
    ("vars-item", DECISION + "vars(decision)['THRESHOLD'] = 0\n"),
    ("dict-item", "import self_improving_agent.gates.decision as d\nd.__dict__['THRESHOLD'] = 0\n"),
    ("vars-update", DECISION + "vars(decision).update(THRESHOLD=0)\n"),
    (
        "evasion-sys-modules-dict",
        "import sys\n"
        "sys.modules['self_improving_agent.gates.decision'].__dict__.setdefault('X', 0)\n",
    ),
    # A protected function's code, defaults or wrapper.
    (
        "code-swap-imported",
        "from self_improving_agent.gates.decision import make_merge_decision as m\n"
        "m.__code__ = (lambda: 0).__code__\n",
    ),
    ("defaults-deep", DECISION + "decision.make_merge_decision.__defaults__ = ()\n"),
    ("setattr-code", DECISION + "setattr(decision.make_merge_decision, '__co' + 'de__', None)\n"),
    ("wrapped", MMD + "make_merge_decision.__wrapped__ = print\n"),
    (
        "evasion-unpacked",
        DECISION + "f, g = decision.make_merge_decision, 1\nf.__kwdefaults__ = {}\n",
    ),
    # A protected class's fields.
    (
        "model-fields",
        "from self_improving_agent.gates.decision_model import Decision\n"
        "Decision.model_fields['x'] = None\n",
    ),
    (
        "class-dict",
        "from self_improving_agent.gates.safety import SafetyValidator\n"
        "vars(SafetyValidator).update(x=1)\n",
    ),
    # A second definition, in the importer, of a name imported from a protected module.
    ("redefine-def", MMD + "def make_merge_decision(*args):\n    return None\n"),
    ("redefine-assign", MMD + "make_merge_decision = print\n"),
    (
        "redefine-global",
        MMD + "def f():\n    global make_merge_decision\n    make_merge_decision = print\n",
    ),
    ("redefine-globals-item", MMD + "globals()['make_merge_decision'] = print\n"),
    ("redefine-globals-update", MMD + "globals().update(make_merge_decision=print)\n"),
    ("redefine-module-alias", "import self_improving_agent.gates.decision as d\nd = object()\n"),
    ("redefine-reimport", MMD + "from self_improving_agent.core.fake import make_merge_decision\n"),
    ("evasion-walrus", MMD + "(make_merge_decision := print)\n"),
    ("evasion-globals-folded", MMD + "globals()['make_merge' + '_decision'] = print\n"),
]

ALLOWED: list[tuple[str, str]] = [
    ("own-object", "class C:\n    pass\n\nc = C()\nc.x = 1\nsetattr(c, 'y', 2)\n"),
    (
        "own-self",
        "class C:\n    def __init__(self) -> None:\n"
        "        self.rules = {}\n        self.rules['a'] = 1\n",
    ),
    ("own-constant", "LIMITS = {'a': 1}\nLIMITS['b'] = 2\nLIMITS.update(c=3)\n"),
    (
        "other-module-constant",
        "from self_improving_agent.core import personas\n"
        "personas.DEFAULT = 'x'\npersonas.NAMES.append('y')\n",
    ),
    ("copy-of-constant", DANGEROUS + "mine = dict(DANGEROUS)\nmine['x'] = 1\nmine.update(y=2)\n"),
    (
        "read-constant",
        RULES_MOD
        + "x = rules.DANGEROUS.get('a')\nfor k in sorted(rules.DANGEROUS):\n    print(k)\n",
    ),
    ("method-result", DECISION + "d = decision.FACTS.copy()\nd['x'] = 1\n"),
    (
        "module-functions-named-like-mutators",
        "from self_improving_agent.benchmarks import cache\ncache.clear()\ncache.update(1)\n",
    ),
    (
        "instance-of-protected-class",
        "from self_improving_agent.gates.safety import SafetyValidator\nv = SafetyValidator('.')\n"
        "v.extra = 1\nsetattr(v, 'y', 2)\nv.items = []\nv.items.append(1)\n",
    ),
    ("globals-own-name", MMD + "globals()['mine'] = 1\n"),
    (
        "local-same-name",
        MMD + "def f():\n    make_merge_decision = 1\n    return make_merge_decision\n",
    ),
    (
        "two-imports-share-root",
        "import self_improving_agent.gates.decision\nimport self_improving_agent.core.session\n",
    ),
    ("call-protected", MMD + "result = make_merge_decision\n"),
]


PACKAGE_DIR = '[tool.setuptools]\npackage-dir = { "self_improving_agent" = "src" }\n'


@pytest.fixture
def validator(tmp_path: Path) -> SafetyValidator:
    """A validator over a repository with the shipped config."""
    (tmp_path / "config").mkdir()
    shipped = Path(__file__).resolve().parents[2] / "config" / "agent.toml"
    (tmp_path / "config" / "agent.toml").write_text(shipped.read_text(encoding="utf-8"))
    # The agent's own layout: src/ imports as self_improving_agent.
    (tmp_path / "pyproject.toml").write_text(PACKAGE_DIR, encoding="utf-8")
    return SafetyValidator(tmp_path)


@pytest.mark.parametrize("content", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused(validator: SafetyValidator, content: str) -> None:
    verdict = validator.validate_before_write("src/core/hack.py", content)
    messages = [v.message for v in verdict.violations if v.rule == RULE]
    assert messages, verdict.violations
    assert all(PEOPLE in message for message in messages)


@pytest.mark.parametrize("content", [c[1] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_allowed(validator: SafetyValidator, content: str) -> None:
    verdict = validator.validate_before_write("src/core/hack.py", content)
    assert verdict.violations == []


def test_test_code_may_patch_protected_modules(validator: SafetyValidator) -> None:
    content = DANGEROUS + "def test_x(monkeypatch):\n    DANGEROUS.clear()\n"
    assert validator.validate_before_write("tests/gates/test_x.py", content).violations == []
