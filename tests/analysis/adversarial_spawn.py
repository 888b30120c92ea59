"""Adversarial writes that start a process or run code from a string, each with its rule.

(id, source, rule): every case must be reported with that rule; adversarial_cases.py joins them
into STOPPED.
"""

SPAWN_AND_EVAL: list[tuple[str, str, str]] = [
    # shells and interpreters by other names
    ("sh-c", "import subprocess\nsubprocess.run(['sh', '-c', cmd])\n", "code/spawn-argv"),
    ("bash-c", "import subprocess\nsubprocess.run(['bash', '-c', cmd])\n", "code/spawn-argv"),
    ("zsh-c", "import subprocess\nsubprocess.call(['/bin/zsh', '-c', c])\n", "code/spawn-argv"),
    ("dash-lc", "import subprocess\nsubprocess.Popen(['dash', '-lc', c])\n", "code/spawn-argv"),
    ("bash-ec", "import subprocess as s\ns.check_call(['bash', '-ec', c])\n", "code/spawn-argv"),
    (
        "argv-from-constants",
        "import subprocess\nSHELL = 'ba' + 'sh'\nFLAG = '-' + 'c'\n"
        "argv = [SHELL, FLAG, 'id']\nsubprocess.run(argv)\n",
        "code/spawn-argv",
    ),
    (
        "argv-appended",
        "import subprocess\nargv = ['sh']\nargv.append('-c')\nargv.append(c)\n"
        "subprocess.run(argv)\n",
        "code/spawn-argv",
    ),
    (
        "argv-concatenated",
        "import subprocess\nsubprocess.run(['sh'] + ['-c', c])\n",
        "code/spawn-argv",
    ),
    (
        "argv-shlex",
        "import shlex, subprocess\nsubprocess.run(shlex.split('sh -c \"id\"'))\n",
        "code/spawn-argv",
    ),
    (
        "argv-str-split",
        "import subprocess\nsubprocess.run('bash -c id'.split())\n",
        "code/spawn-argv",
    ),
    (
        "sys-executable-c",
        "import subprocess, sys\nsubprocess.run([sys.executable, '-c', code])\n",
        "code/spawn-argv",
    ),
    (
        "sys-executable-alias",
        "import subprocess\nfrom sys import executable as py\nsubprocess.run([py, '-c', c])\n",
        "code/spawn-argv",
    ),
    (
        "python3-W-c",
        "import subprocess\nsubprocess.run(['python3.11', '-W', 'ignore', '-c', c])\n",
        "code/spawn-argv",
    ),
    ("perl-e", "import subprocess\nsubprocess.run(['perl', '-e', c])\n", "code/spawn-argv"),
    ("node-e", "import subprocess\nsubprocess.run(['node', '-e', c])\n", "code/spawn-argv"),
    (
        "env-wrapper",
        "import subprocess\nsubprocess.run(['env', 'X=1', 'sh', '-c', c])\n",
        "code/spawn-argv",
    ),
    (
        "shutil-which",
        "import shutil, subprocess\nsubprocess.run([shutil.which('bash'), '-c', c])\n",
        "code/spawn-argv",
    ),
    (
        "executable-kw",
        "import subprocess\nsubprocess.run(['x', '-c', c], executable='/bin/sh')\n",
        "code/spawn-argv",
    ),
    (
        "sh-stdin",
        "import subprocess\nsubprocess.run(['sh'], input=script, text=True)\n",
        "code/spawn-argv",
    ),
    (
        "python-stdin",
        "import subprocess, sys\nsubprocess.run([sys.executable, '-'], input=code)\n",
        "code/spawn-argv",
    ),
    ("os-execv", "import os\nos.execv('/bin/sh', ['sh', '-c', c])\n", "code/spawn-argv"),
    ("os-execl", "import os\nos.execl('/bin/bash', 'bash', '-c', c)\n", "code/spawn-argv"),
    ("os-execvp-unknown", "import os\nos.execvp(prog, args)\n", "code/spawn-argv"),
    (
        "os-spawnv",
        "import os\nos.spawnv(os.P_WAIT, '/bin/sh', ['sh', '-c', c])\n",
        "code/spawn-argv",
    ),
    (
        "os-spawnlp",
        "import os\nos.spawnlp(os.P_NOWAIT, 'sh', 'sh', '-c', c)\n",
        "code/spawn-argv",
    ),
    (
        "posix-spawn",
        "import os\nos.posix_spawn('/bin/sh', ['sh', '-c', c], {})\n",
        "code/spawn-argv",
    ),
    ("pty-spawn", "import pty\npty.spawn(['bash', '-c', c])\n", "code/spawn-argv"),
    ("pty-spawn-str", "import pty\npty.spawn('sh -c id')\n", "code/spawn-argv"),
    (
        "asyncio-exec",
        "import asyncio\nasyncio.create_subprocess_exec('sh', '-c', c)\n",
        "code/spawn-argv",
    ),
    (
        "loop-subprocess-exec",
        "async def f(loop, P):\n    await loop.subprocess_exec(P, 'bash', '-c', c)\n",
        "code/spawn-argv",
    ),
    (
        "loop-subprocess-shell",
        "async def f(loop, P):\n    await loop.subprocess_shell(P, c)\n",
        "code/subprocess-shell",
    ),
    (
        "pydoc-pipepager",
        "import pydoc\npydoc.pipepager('x', 'sh -c id')\n",
        "code/subprocess-shell",
    ),
    (
        "webbrowser-generic",
        "import webbrowser\nwebbrowser.GenericBrowser(['sh', '-c', c])\n",
        "code/subprocess-shell",
    ),
    ("os-startfile", "import os\nos.startfile(path)\n", "code/os-shell"),
    ("os-popen-reexport", "import shutil\nshutil.os.popen('id')\n", "code/os-shell"),
    # code from strings without eval/exec
    (
        "interactive-interpreter",
        "import code\ncode.InteractiveInterpreter().runsource(src)\n",
        "code/eval-exec",
    ),
    (
        "interactive-console",
        "from code import InteractiveConsole\nInteractiveConsole().push(src)\n",
        "code/eval-exec",
    ),
    ("runsource-method", "interp.runsource(src)\n", "code/eval-exec"),
    (
        "codeop-functiontype",
        "import codeop, types\nc = codeop.compile_command(src)\ntypes.FunctionType(c, {})()\n",
        "code/eval-exec",
    ),
    ("function-type-alias", "import types\nF = types.FunctionType\nF(co, g)\n", "code/eval-exec"),
    ("function-type-from", "from types import FunctionType as F\nF(co, {})()\n", "code/eval-exec"),
    ("code-type", "import types\ntypes.CodeType(*args)\n", "code/eval-exec"),
    ("timeit-string", "import timeit\ntimeit.timeit('import os', number=1)\n", "code/eval-exec"),
    ("timeit-stmt-kw", "import timeit\ntimeit.timeit(stmt=src, setup='x=1')\n", "code/eval-exec"),
    ("timeit-timer", "from timeit import Timer\nTimer('x = 1').timeit()\n", "code/eval-exec"),
    ("cprofile-run", "import cProfile\ncProfile.run(src)\n", "code/eval-exec"),
    ("cprofile-runctx", "import cProfile\ncProfile.runctx(src, {}, {})\n", "code/eval-exec"),
    ("profile-method", "import cProfile\ncProfile.Profile().run(src)\n", "code/eval-exec"),
    ("pdb-run", "import pdb\npdb.run(src)\n", "code/eval-exec"),
    (
        "string-annotation",
        "import typing\ndef f(x: \"__import__('os').system('id')\"): ...\n"
        "typing.get_type_hints(f)\n",
        "code/string-annotation",
    ),
    (
        "string-annotation-assign",
        "x: \"(lambda: __import__('os'))()\" = 1\n",
        "code/string-annotation",
    ),
    (
        "forward-ref",
        "import typing\ntyping.ForwardRef(\"__import__('os').system('id')\")\n",
        "code/string-annotation",
    ),
    (
        "forward-ref-evaluate",
        "import typing\ntyping.ForwardRef(src)._evaluate(g, l)\n",
        "code/eval-exec",
    ),
    ("runpy-run-path", "import runpy\nrunpy.run_path('payload.txt')\n", "code/loader"),
    ("runpy-run-module", "from runpy import run_module\nrun_module('x')\n", "code/loader"),
    (
        "source-file-loader",
        "from importlib.machinery import SourceFileLoader\n"
        "SourceFileLoader('m', 'data.txt').load_module()\n",
        "code/loader",
    ),
    (
        "spec-from-file",
        "import importlib.util\nspec = importlib.util.spec_from_file_location('m', 'x.dat')\n",
        "code/loader",
    ),
    ("exec-module", "spec.loader.exec_module(mod)\n", "code/loader"),
    ("bootstrap-gcd", "import importlib\nimportlib._bootstrap._gcd_import('os')\n", "code/loader"),
    (
        "bootstrap-from",
        "from importlib._bootstrap import _gcd_import\n_gcd_import('os')\n",
        "code/loader",
    ),
    ("imp-internal", "import _imp\n_imp.create_builtin(spec)\n", "code/loader"),
    (
        "pkgutil-resolve",
        "import pkgutil\npkgutil.resolve_name('os:system')('id')\n",
        "code/os-shell",
    ),
    (
        "pkgutil-resolve-computed",
        "import pkgutil\npkgutil.resolve_name(target)\n",
        "code/dynamic-import",
    ),
    (
        "dictconfig-factory",
        "import logging.config\nlogging.config.dictConfig("
        "{'version': 1, 'handlers': {'h': {'()': 'os.system', 'command': 'id'}}})\n",
        "code/os-shell",
    ),
    (
        "dictconfig-factory-colon",
        "CONF = {'formatters': {'f': {'()': 'subprocess:getoutput'}}}\n",
        "code/subprocess-shell",
    ),
    (
        "fileconfig",
        "import logging.config\nlogging.config.fileConfig('log.ini')\n",
        "code/eval-exec",
    ),
    ("ctypes-cdll-none", "import ctypes\nctypes.CDLL(None).system(b'id')\n", "code/native"),
    (
        "ctypes-pythonapi",
        "import ctypes\nctypes.pythonapi.PyRun_SimpleString(b'x')\n",
        "code/native",
    ),
    ("ctypes-from", "from ctypes import cdll\ncdll.LoadLibrary('libc.so.6')\n", "code/native"),
    ("cffi-dlopen", "import cffi\ncffi.FFI().dlopen(None)\n", "code/native"),
    ("ffi-dlopen-method", "lib = ffi.dlopen(None)\n", "code/native"),
]
