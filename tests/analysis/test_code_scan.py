"""code_scan: each rule with an example and its evasions, and harmless look-alikes that pass."""

from __future__ import annotations

import textwrap

import pytest

from self_improving_agent.analysis import code_scan as cs
from self_improving_agent.analysis.code_scan import scan_source


def rules(source: str) -> set[str]:
    """The rule ids the scanner reports for a snippet."""
    return {f.rule for f in scan_source(textwrap.dedent(source), "snippet.py")}


BLOCKED = [
    # os.system / os.popen
    ("os-system", "import os\nos.system('ls')\n", cs.OS_SHELL),
    ("os-popen", "import os\nos.popen('ls').read()\n", cs.OS_SHELL),
    ("os-alias-module", "import os as o\no.system('ls')\n", cs.OS_SHELL),
    ("os-from-alias", "from os import system as s\ns('ls')\n", cs.OS_SHELL),
    ("os-assign-alias", "import os\nf = os.system\nf('ls')\n", cs.OS_SHELL),
    ("os-getattr-literal", "import os\ngetattr(os, 'system')('ls')\n", cs.OS_SHELL),
    ("os-getattr-concat", "import os\ngetattr(os, 'sys' + 'tem')('ls')\n", cs.OS_SHELL),
    (
        "os-getattr-fstring",
        "import os\nn = 'tem'\ngetattr(os, f'sys{n}')('ls')\n",
        cs.OS_SHELL,
    ),
    ("os-getattr-join", "import os\ngetattr(os, ''.join(['sys', 'tem']))('x')\n", cs.OS_SHELL),
    (
        "os-getattr-computed",
        "import os\nname = input()\ngetattr(os, name)('ls')\n",
        cs.DYNAMIC_ATTRIBUTE,
    ),
    ("os-posix-synonym", "import posix\nposix.system('ls')\n", cs.OS_SHELL),
    ("os-star-import", "from os import *\nsystem('ls')\n", cs.OS_SHELL),
    ("os-vars", "import os\nvars(os)['system']('ls')\n", cs.OS_SHELL),
    ("os-dict-constant", "import os\nk = 'system'\nos.__dict__[k]('ls')\n", cs.OS_SHELL),
    ("os-dict-computed", "import os\nk = input()\nos.__dict__[k]('ls')\n", cs.DYNAMIC_ATTRIBUTE),
    (
        "os-reassigned-constant",
        "import os\nk = 'sep'\nk = 'system'\ngetattr(os, k)('ls')\n",
        cs.OS_SHELL,
    ),
    (
        "os-global-rebinds-constant",
        "import os\nk = 'sep'\ndef f():\n    global k\n    k = 'system'\ngetattr(os, k)('x')\n",
        cs.OS_SHELL,
    ),
    ("os-sys-modules", "import sys\nsys.modules['os'].system('ls')\n", cs.OS_SHELL),
    (
        "os-sys-modules-computed",
        "import sys\nsys.modules['o' + x].system('ls')\n",
        cs.DYNAMIC_ATTRIBUTE,
    ),
    (
        "os-import-module",
        "import importlib\nimportlib.import_module('os').system('x')\n",
        cs.OS_SHELL,
    ),
    ("os-inside-function", "def f():\n    import os as q\n    return q.popen('x')\n", cs.OS_SHELL),
    ("os-chained-alias", "import os\na = os.system\nb = a\nb('ls')\n", cs.OS_SHELL),
    ("os-default-arg", "import os\ndef f(run=os.system):\n    run('ls')\n", cs.OS_SHELL),
    ("os-globals-literal", "import os\nglobals()['os'].system('ls')\n", cs.OS_SHELL),
    ("globals-computed", "import os\nglobals()['o' + x].system('ls')\n", cs.DYNAMIC_ATTRIBUTE),
    # subprocess with a shell
    ("sp-run-shell", "import subprocess\nsubprocess.run('ls', shell=True)\n", cs.SUBPROCESS_SHELL),
    ("sp-call-shell", "import subprocess\nsubprocess.call('ls', shell=1)\n", cs.SUBPROCESS_SHELL),
    (
        "sp-popen-shell",
        "import subprocess\nsubprocess.Popen('ls', shell=True)\n",
        cs.SUBPROCESS_SHELL,
    ),
    (
        "sp-check-output",
        "import subprocess\nsubprocess.check_output('ls', shell=True)\n",
        cs.SUBPROCESS_SHELL,
    ),
    (
        "sp-check-call",
        "from subprocess import check_call\ncheck_call('ls', shell=True)\n",
        cs.SUBPROCESS_SHELL,
    ),
    ("sp-alias-module", "import subprocess as sp\nsp.run('ls', shell=True)\n", cs.SUBPROCESS_SHELL),
    (
        "sp-shell-variable",
        "import subprocess\nflag = True\nsubprocess.run('ls', shell=flag)\n",
        cs.SUBPROCESS_SHELL,
    ),
    (
        "sp-kwargs-dict",
        "import subprocess\nsubprocess.run('ls', **{'shell': True})\n",
        cs.SUBPROCESS_SHELL,
    ),
    ("sp-kwargs-name", "import subprocess\nsubprocess.run('ls', **opts)\n", cs.SUBPROCESS_SHELL),
    (
        "sp-positional-shell",
        "import subprocess\nsubprocess.Popen('ls', -1, None, None, None, None, None, True, True)\n",
        cs.SUBPROCESS_SHELL,
    ),
    ("sp-starred", "import subprocess\nsubprocess.run(*args)\n", cs.SUBPROCESS_SHELL),
    (
        "sp-getattr",
        "import subprocess\ngetattr(subprocess, 'ru' + 'n')('ls', shell=True)\n",
        cs.SUBPROCESS_SHELL,
    ),
    (
        "sp-partial",
        "import functools, subprocess\nfunctools.partial(subprocess.run, shell=True)\n",
        cs.SUBPROCESS_SHELL,
    ),
    ("sp-in-dict", "import subprocess\nRUNNERS = {'run': subprocess.run}\n", cs.SUBPROCESS_SHELL),
    (
        "sp-class-attr",
        "import subprocess\nclass X:\n    run = subprocess.run\n",
        cs.SUBPROCESS_SHELL,
    ),
    (
        "sp-generic-alias",
        "import subprocess\nsubprocess.Popen[str]('ls', shell=True)\n",
        cs.SUBPROCESS_SHELL,
    ),
    ("sp-getoutput", "import subprocess\nsubprocess.getoutput('ls')\n", cs.SUBPROCESS_SHELL),
    (
        "sp-assign-alias",
        "import subprocess\nr = subprocess.run\nr('ls', shell=True)\n",
        cs.SUBPROCESS_SHELL,
    ),
    (
        "asyncio-shell",
        "import asyncio\nasyncio.create_subprocess_shell('ls')\n",
        cs.SUBPROCESS_SHELL,
    ),
    # eval / exec / compile
    ("eval", "eval(source)\n", cs.EVAL_EXEC),
    ("exec", "exec('x = 1')\n", cs.EVAL_EXEC),
    ("compile", "compile('1', 'f', 'eval')\n", cs.EVAL_EXEC),
    ("eval-literal-call", "eval('__import__(\"os\")')\n", cs.EVAL_EXEC),
    ("eval-assign-alias", "e = eval\ne('1')\n", cs.EVAL_EXEC),
    ("eval-walrus", "(e := exec)\n", cs.EVAL_EXEC),
    ("eval-passed-along", "list(map(eval, ['1']))\n", cs.EVAL_EXEC),
    ("eval-builtins-module", "import builtins\nbuiltins.exec('x')\n", cs.EVAL_EXEC),
    ("eval-from-builtins", "from builtins import eval as ev\nev('1')\n", cs.EVAL_EXEC),
    ("eval-dunder-builtins", "__builtins__.eval(s)\n", cs.EVAL_EXEC),
    (
        "eval-class-shadow-no-effect",
        "class M:\n    def eval(self):\n        pass\neval(s)\n",
        cs.EVAL_EXEC,
    ),
    ("eval-tuple-assign", "a, b = print, exec\nb('x')\n", cs.EVAL_EXEC),
    ("eval-for-loop", "for f in (eval,):\n    f('1')\n", cs.EVAL_EXEC),
    # builtins by string
    (
        "builtins-getattr",
        "import builtins\ngetattr(builtins, 'ev' + 'al')(s)\n",
        cs.EVAL_EXEC,
    ),
    ("builtins-getattr-dunder", "getattr(__builtins__, name)('1')\n", cs.BUILTINS_BY_STRING),
    ("builtins-subscript", "__builtins__['eval'](s)\n", cs.EVAL_EXEC),
    ("builtins-vars", "import builtins\nvars(builtins)[name]('1')\n", cs.BUILTINS_BY_STRING),
    ("builtins-dict", "import builtins as b\nb.__dict__['exec'](s)\n", cs.EVAL_EXEC),
    ("builtins-globals", "globals()['__builtins__']['eval'](s)\n", cs.EVAL_EXEC),
    # __import__ and import_module
    ("dunder-import", "__import__('os')\n", cs.DUNDER_IMPORT),
    ("dunder-import-alias", "imp = __import__\nimp('os')\n", cs.DUNDER_IMPORT),
    ("importlib-dunder-import", "import importlib\nimportlib.__import__('os')\n", cs.DUNDER_IMPORT),
    (
        "import-module-computed",
        "import importlib\nimportlib.import_module(name)\n",
        cs.DYNAMIC_IMPORT,
    ),
    (
        "import-module-fstring",
        "import importlib\nimportlib.import_module(f'p.{n}')\n",
        cs.DYNAMIC_IMPORT,
    ),
    (
        "import-module-alias",
        "from importlib import import_module as im\nim(x)\n",
        cs.DYNAMIC_IMPORT,
    ),
    ("import-module-kw", "import importlib\nimportlib.import_module(name=x)\n", cs.DYNAMIC_IMPORT),
    (
        "import-module-passed",
        "import importlib\nlist(map(importlib.import_module, names))\n",
        cs.DYNAMIC_IMPORT,
    ),
    # pickle / marshal
    ("pickle-loads", "import pickle\npickle.loads(data)\n", cs.PICKLE_MARSHAL),
    ("pickle-from", "from pickle import loads\n", cs.PICKLE_MARSHAL),
    ("pickle-alias", "import pickle as p\np.load(f)\n", cs.PICKLE_MARSHAL),
    ("cpickle", "import _pickle\n_pickle.loads(b)\n", cs.PICKLE_MARSHAL),
    ("marshal-loads", "import marshal\nmarshal.loads(b)\n", cs.PICKLE_MARSHAL),
    (
        "pickle-import-module",
        "import importlib\nimportlib.import_module('pick' + 'le').loads(b)\n",
        cs.PICKLE_MARSHAL,
    ),
    # escapes through object internals
    ("subclasses", "().__class__.__bases__[0].__subclasses__()\n", cs.INTROSPECTION),
    ("func-globals", "f.__globals__['os']\n", cs.INTROSPECTION),
    # unparsable
    ("syntax", "def broken(:\n", cs.SYNTAX),
    ("null-byte", "x = 1\0\n", cs.SYNTAX),
]


@pytest.mark.parametrize(
    ("source", "rule"), [(s, r) for _, s, r in BLOCKED], ids=[i for i, _, _ in BLOCKED]
)
def test_blocked(source: str, rule: str) -> None:
    assert rule in rules(source)


HARMLESS = [
    ("model-eval", "model.eval()\nself.eval()\n"),
    ("cursor-execute", "cursor.execute('SELECT 1')\n"),
    ("re-compile", "import re\nre.compile('a+')\n"),
    ("from-re-compile", "from re import compile\ncompile('a+')\n"),
    ("literal-eval", "import ast\nast.literal_eval('[1]')\n"),
    ("from-literal-eval", "from ast import literal_eval\nliteral_eval('[1]')\n"),
    ("words-in-strings", "'''eval exec os.system subprocess shell=True'''\nx = 'eval(1)'\n"),
    ("words-in-comments", "# os.system('rm') eval(x) import pickle\nx = 1\n"),
    ("subprocess-list", "import subprocess\nsubprocess.run(['ls', '-l'], check=True)\n"),
    ("subprocess-shell-false", "import subprocess\nsubprocess.run(['ls'], shell=False)\n"),
    ("subprocess-kwargs-literal", "import subprocess\nsubprocess.run(['ls'], **{'check': True})\n"),
    ("subprocess-alias-no-shell", "import subprocess as sp\nr = sp.run\nr(['ls'])\n"),
    ("subprocess-submitted", "import subprocess\npool.submit(subprocess.run, ['ls'])\n"),
    ("subprocess-constants", "import subprocess\nsubprocess.run(['ls'], stdout=subprocess.PIPE)\n"),
    ("os-path", "import os\nos.path.join('a', 'b')\nos.environ.get('X')\n"),
    ("os-getattr-literal-safe", "import os\ngetattr(os, 'sep')\n"),
    ("getattr-unknown-object", "getattr(settings, name)\n"),
    ("import-module-literal", "import importlib\nimportlib.import_module('json')\n"),
    (
        "import-module-constant",
        "import importlib\nM = 'pkg.' + 'mod'\nimportlib.import_module(M)\n",
    ),
    ("local-compile", "def compile(x):\n    return x\ncompile(1)\n"),
    ("platform-system", "import platform\nplatform.system()\n"),
    ("json-loads", "import json\njson.loads('{}')\n"),
    ("dict-subscript", "d = {}\nd['eval']\nvars(obj)['x']\n"),
    ("exec-method", "import subprocess\nproc.exec('x')\nengine.compile()\n"),
    ("torch-compile", "import torch\ntorch.compile(model)\n"),
    (
        "subprocess-annotation",
        "import subprocess\n"
        "def f(p: subprocess.Popen[str]) -> subprocess.Popen[bytes]:\n"
        "    x: subprocess.Popen[str] = p\n",
    ),
    ("sys-modules-literal", "import sys\nsys.modules['json']\n"),
]


@pytest.mark.parametrize("source", [s for _, s in HARMLESS], ids=[i for i, _ in HARMLESS])
def test_harmless(source: str) -> None:
    assert rules(source) == set()


def test_finding_position_and_message() -> None:
    [finding] = scan_source("x = 1\nimport os\nos.system('ls')\n", "a.py")
    assert (finding.rule, finding.line, finding.col) == (cs.OS_SHELL, 3, 1)
    assert "os.system" in finding.message


def test_syntax_finding_names_path_and_line() -> None:
    [finding] = scan_source("x = 1\ndef broken(:\n", "pkg/mod.py")
    assert finding.rule == cs.SYNTAX
    assert finding.line == 2
    assert finding.message.startswith("pkg/mod.py:2:")


def test_conflicting_aliases_terminate_and_keep_the_dangerous_meaning() -> None:
    source = "import os, subprocess\nf = subprocess.run\nf = os.system\nf = print\nf('x')\n"
    assert cs.OS_SHELL in rules(source)
