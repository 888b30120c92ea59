"""Adversarial writes the code scan must stop, and harmless look-alikes it must allow."""

from __future__ import annotations

from tests.analysis.adversarial_spawn import SPAWN_AND_EVAL

# (id, source, rule) — every case must be reported with that rule.
STOPPED: list[tuple[str, str, str]] = [
    *SPAWN_AND_EVAL,
    # lookups that reach os by another road
    (
        "attrgetter",
        "import operator, os\noperator.attrgetter('system')(os)('id')\n",
        "code/os-shell",
    ),
    (
        "attrgetter-alias",
        "from operator import attrgetter\nimport os\ng = attrgetter('sys' + 'tem')\ng(os)('id')\n",
        "code/os-shell",
    ),
    (
        "methodcaller",
        "import operator, os\noperator.methodcaller('system', 'id')(os)\n",
        "code/os-shell",
    ),
    ("getattribute", "import os\nos.__getattribute__('system')('id')\n", "code/os-shell"),
    (
        "object-getattribute",
        "import os\nobject.__getattribute__(os, 'system')('id')\n",
        "code/os-shell",
    ),
    (
        "getattr-static",
        "import inspect, os\ninspect.getattr_static(os, 'system')('id')\n",
        "code/os-shell",
    ),
    ("sys-modules-get", "import sys\nsys.modules.get('os').system('id')\n", "code/os-shell"),
    ("vars-get", "import os\nvars(os).get('system')('id')\n", "code/os-shell"),
    ("dict-get", "import os\nos.__dict__.get('popen')('id')\n", "code/os-shell"),
    (
        "builtins-dict-get",
        "import builtins\nbuiltins.__dict__.get('ev' + 'al')(src)\n",
        "code/eval-exec",
    ),
    (
        "builtins-dict-get-computed",
        "import builtins\nbuiltins.__dict__.get(name)(src)\n",
        "code/builtins-by-string",
    ),
    ("frame-builtins", "import sys\nsys._getframe(0).f_builtins['exec'](src)\n", "code/eval-exec"),
    (
        "frame-globals",
        "import inspect\ninspect.currentframe().f_globals['__builtins__']['eval'](s)\n",
        "code/eval-exec",
    ),
    (
        "frame-computed",
        "import sys\nsys._getframe(1).f_globals[name]\n",
        "code/dynamic-attribute",
    ),
    (
        "module-in-return",
        "import os\ndef get():\n    return os\nget().system('id')\n",
        "code/os-shell",
    ),
    (
        "module-in-class-attr",
        "import os\nclass K:\n    m = os\nK.m.system('id')\n",
        "code/os-shell",
    ),
    (
        "module-in-self-attr",
        "import os\nclass K:\n    def __init__(self):\n        self.m = os\n"
        "    def go(self):\n        self.m.popen('id')\n",
        "code/os-shell",
    ),
    ("module-in-dict", "import os\nd = {'m': os}\nd['m'].system('id')\n", "code/os-shell"),
    ("module-in-list", "import os\nmods = [os]\nmods[0].system('id')\n", "code/os-shell"),
    ("module-in-tuple-loop", "import os\nfor m in (os,):\n    m.system('id')\n", "code/os-shell"),
    (
        "module-through-param",
        "import os\ndef run(m, c):\n    m.system(c)\nrun(os, 'id')\n",
        "code/os-shell",
    ),
    ("shutil-os", "import shutil\nshutil.os.system('id')\n", "code/os-shell"),
    ("subprocess-os", "import subprocess\nsubprocess.os.system('id')\n", "code/os-shell"),
    ("reversed-name", "import os\ngetattr(os, 'metsys'[::-1])('id')\n", "code/os-shell"),
    (
        "rot13-name",
        "import codecs, os\ngetattr(os, codecs.decode('flfgrz', 'rot13'))('x')\n",
        "code/os-shell",
    ),
    ("format-name", "import os\ngetattr(os, '{}{}'.format('sys', 'tem'))('x')\n", "code/os-shell"),
    ("percent-name", "import os\ngetattr(os, 'sys%s' % 'tem')('x')\n", "code/os-shell"),
    ("lambda-returns", "import os\nf = lambda: os\nf().system('id')\n", "code/os-shell"),
    (
        "import-module-attr",
        "import importlib\nimportlib.import_module('subprocess').getoutput('id')\n",
        "code/subprocess-shell",
    ),
    ("dunder-import-literal", "m = __import__('os')\n", "code/dunder-import"),
    ("getattr-os-computed", "import os\ngetattr(os, random_name())\n", "code/dynamic-attribute"),
    ("globals-computed-key", "globals()[key]\n", "code/dynamic-attribute"),
    ("gc-referrers", "import gc\ngc.get_referrers(x)\n", "code/introspection"),
    # parser mismatch
    ("utf7-cookie", "# coding: utf-7\nx = 1\n", "code/encoding"),
    ("latin1-cookie", "# -*- coding: latin-1 -*-\nx = 1\n", "code/encoding"),
    (
        "cookie-second-line",
        "#!/usr/bin/env python\n# vim: set fileencoding=utf_16 :\n",
        "code/encoding",
    ),
    # deserialisation without importing pickle
    (
        "forking-pickler",
        "import multiprocessing.reduction as r\nr.ForkingPickler.loads(data)\n",
        "code/pickle-marshal",
    ),
    (
        "forking-pickler-from",
        "from multiprocessing.reduction import ForkingPickler\nForkingPickler.loads(b)\n",
        "code/pickle-marshal",
    ),
    (
        "numpy-allow-pickle",
        "import numpy as np\nnp.load(f, allow_pickle=True)\n",
        "code/pickle-marshal",
    ),
    ("pandas-read-pickle", "import pandas as pd\npd.read_pickle(path)\n", "code/pickle-marshal"),
    ("torch-load", "import torch\ntorch.load(path)\n", "code/pickle-marshal"),
    ("yaml-unsafe", "import yaml\nyaml.load(text, Loader=yaml.Loader)\n", "code/pickle-marshal"),
    ("yaml-no-loader", "import yaml\nyaml.load(text)\n", "code/pickle-marshal"),
    ("shelve-open", "import shelve\nshelve.open('db')\n", "code/pickle-marshal"),
    ("pickle-unpickler", "import pickle\npickle.Unpickler(f).load()\n", "code/pickle-marshal"),
    (
        "pickle-via-getattr",
        "import pickle\ngetattr(pickle, 'lo' + 'ads')(b)\n",
        "code/pickle-marshal",
    ),
    # code swaps
    ("code-swap", "def f():\n    pass\nf.__code__ = g.__code__\n", "code/code-swap"),
    ("code-swap-setattr", "setattr(f, '__co' + 'de__', g.__code__)\n", "code/code-swap"),
    ("defaults-swap", "f.__defaults__ = (1,)\n", "code/code-swap"),
    # robustness: an internal failure refuses, it never lets through
    ("eval-nested-call", "eval(compile(src, 'f', 'exec'))\n", "code/eval-exec"),
]

# (id, source) — each must give no finding at all.
ALLOWED: list[tuple[str, str]] = [
    ("param-eval", "def evaluate(model, eval=False):\n    if eval:\n        return model\n"),
    ("param-compile", "def build(compile=True):\n    return compile\n"),
    ("kw-eval", "def run(*, eval: bool = False) -> bool:\n    return eval\n"),
    ("sys-modules-self", "import sys\nthis = sys.modules[__name__]\n"),
    ("pickling-error", "from pickle import PicklingError\nraise PicklingError('x')\n"),
    ("pickle-dumps", "import pickle\ndata = pickle.dumps(obj)\n"),
    ("eval-ipython", "try:\n    eval('__IPYTHON__')\nexcept NameError:\n    pass\n"),
    (
        "import-module-tuple",
        "import importlib\nfor name in ('json', 'tomllib'):\n    importlib.import_module(name)\n",
    ),
    (
        "import-module-list-const",
        (
            "import importlib\n"
            "MODS = ['json', 'csv']\n"
            "loaded = [importlib.import_module(m) for m in MODS]\n"
        ),
    ),
    ("subprocess-git", "import subprocess\nsubprocess.run(['git', 'status'], check=True)\n"),
    (
        "python-m-pytest",
        "import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'pytest', *args])\n",
    ),
    ("python-script", "import subprocess, sys\nsubprocess.run([sys.executable, script_path])\n"),
    ("bash-script", "import subprocess\nsubprocess.run(['bash', 'build.sh'])\n"),
    ("subprocess-unknown-argv", "import subprocess\nsubprocess.run(argv, check=True, text=True)\n"),
    ("asyncio-exec-git", "import asyncio\nasyncio.create_subprocess_exec('git', 'log')\n"),
    ("timeit-callable", "import timeit\ntimeit.timeit(lambda: sum(range(9)), number=3)\n"),
    ("timeit-func", "import timeit\ndef f():\n    pass\ntimeit.timeit(f, number=3)\n"),
    ("numpy-load", "import numpy as np\nnp.load('a.npy')\nnp.load(f, allow_pickle=False)\n"),
    ("torch-load-safe", "import torch\ntorch.load(path, weights_only=True)\n"),
    ("yaml-safe", "import yaml\nyaml.safe_load(text)\nyaml.load(text, Loader=yaml.SafeLoader)\n"),
    ("getattr-constant-os", "import os\nsep = getattr(os, 'sep', '/')\n"),
    ("getattr-obj-computed", "def get(obj, name):\n    return getattr(obj, name)\n"),
    (
        "dict-config-plain",
        (
            "import logging.config\n"
            "H = {'h': {'class': 'logging.StreamHandler'}}\n"
            "logging.config.dictConfig({'version': 1, 'handlers': H})\n"
        ),
    ),
    (
        "string-annotation-type",
        "from typing import Optional\ndef f(x: 'Optional[int]') -> 'list[str]':\n    return []\n",
    ),
    (
        "literal-annotation",
        "from typing import Literal\ndef f(mode: Literal['a b', 'c-d']) -> None: ...\n",
    ),
    (
        "annotated-doc",
        "from typing import Annotated\nx: Annotated[int, 'the count, in units'] = 1\n",
    ),
    ("typing-get-type-hints", "import typing\nclass A:\n    x: 'int'\ntyping.get_type_hints(A)\n"),
    ("ctypes-util", "import ctypes.util\nctypes.util.find_library('c')\n"),
    ("ctypes-types", "import ctypes\nx = ctypes.c_int(3)\n"),
    (
        "function-type-isinstance",
        "import types\nok = isinstance(f, (types.FunctionType, types.MethodType))\n",
    ),
    ("function-type-import", "from types import FunctionType\nok = isinstance(f, FunctionType)\n"),
    ("code-type-annotation", "import types\ndef f(c: types.CodeType) -> None: ...\n"),
    (
        "operator-attrgetter-obj",
        "import operator\nkey = operator.attrgetter('name')\nsorted(items, key=key)\n",
    ),
    (
        "methodcaller-obj",
        "from operator import methodcaller\nlist(map(methodcaller('strip'), lines))\n",
    ),
    ("frame-name", "import sys\nname = sys._getframe(1).f_code.co_name\n"),
    ("frame-globals-const", "import sys\nmod = sys._getframe(1).f_globals.get('__name__')\n"),
    ("vars-obj", "def dump(o):\n    return vars(o)\n"),
    ("os-environ", "import os\nos.environ.get('HOME')\nos.environ['X'] = '1'\n"),
    (
        "shutil-which-git",
        "import shutil, subprocess\nsubprocess.run([shutil.which('git'), 'status'])\n",
    ),
    ("popen-annotation", "import subprocess\ndef f(p: 'subprocess.Popen[str]') -> None: ...\n"),
    ("webbrowser-open", "import webbrowser\nwebbrowser.open('https://example.com')\n"),
    ("code-object-read", "def f():\n    pass\nprint(f.__code__.co_name)\n"),
    ("exec-method-other", "cursor.execute(q)\nengine.exec_driver_sql(q)\n"),
    ("compile-method", "import re\npattern = re.compile('a+')\nregex.compile()\n"),
    ("loop-run", "import asyncio\nasyncio.run(main())\n"),
    ("utf8-cookie", "# -*- coding: utf-8 -*-\nx = 1\n"),
    ("long-concat", "x = " + " + ".join(f"'p{i}'" for i in range(1500)) + "\n"),
    ("class-eval-method", "class M:\n    def eval(self):\n        return 1\nM().eval()\n"),
    ("shadowed-compile-local", "def compile(x):\n    return x\ncompile(1)\n"),
]
