"""`agent vet` follows values to what they reach: the home folder and /proc, credential stores,
variables the tools read, str.format attribute access, folders above the repository, and
process signals; constant argv moved into a module constant stays the project's own."""

from __future__ import annotations

import pytest

from tests.gates.test_vet import vet

HELD = {
    "a dotfile read from the home folder": (
        "import os\n\n\ndef token():\n"
        "    return open(os.path.join(os.environ['HOME'], '.tok')).read()\n"
    ),
    "a glob under the home folder": (
        "from pathlib import Path\n\nFILES = list(Path.home().glob('.ssh/*'))\n"
    ),
    "a process's environment file": "DATA = open('/proc/1/environ', 'rb').read()\n",
    "a keyring lookup": "import keyring as k\n\nPW = k.get_password('svc', 'me')\n",
    "a variable the interpreter reads, set": "import os\n\nos.environ['PYTHONSTARTUP'] = 'x.py'\n",
    "a variable pytest reads, set through putenv": (
        "from os import putenv as p\n\np('PYTEST_ADDOPTS', '-p no:x')\n"
    ),
    "one of the agent's own settings, set": (
        "import os\n\nos.environ.setdefault('AGENT_SAFETY__BLOCKED_PATTERNS', '1')\n"
    ),
    "the environment read through a format field": (
        "import os as o\n\nprint('{m.environ!r}'.format(m=o))\n"
    ),
    "a write after changing to the root folder": (
        "import os\n\nos.chdir(os.sep)\nopen('x', 'w').write('1')\n"
    ),
    "a write above the working folder": (
        "import os\nfrom pathlib import Path\n\nhere = Path(os.getcwd())\n"
        "(here.parent.parent / 'f').write_text('x')\n"
    ),
    "a write climbing from this file above the repository": (
        "import os\n\nd = os.path.dirname\nTOP = d(d(d(d(__file__))))\n"
        "open(os.path.join(TOP, 'f'), 'w').write('x')\n"
    ),
    "an archive unpacked into the root": (
        "import zipfile\n\nzipfile.ZipFile('a.zip').extractall('/')\n"
    ),
    "a getattr over a literal table of modules and names": (
        "import os\n\nfor mod, name in ((os, 'sy' + 'stem'),):\n    getattr(mod, name)('id')\n"
    ),
    "a signal to another process": "import os, signal\n\nos.killpg(0, signal.SIGTERM)\n",
}
FINE = {
    "an application's own variable set": "import os\n\nos.environ['AGENT_COLOUR'] = 'blue'\n",
    "a write next to this file": (
        "from pathlib import Path\n\n(Path(__file__).parent / 'cache.json').write_text('{}')\n"
    ),
    "a write in the working folder": (
        "from pathlib import Path\n\n(Path.cwd() / 'out.txt').write_text('x')\n"
    ),
    "an archive unpacked into a folder of the repository": (
        "import tarfile\n\ntarfile.open('a.tar').extractall(path='build', filter='data')\n"
    ),
    "a format field of a local value": ("class P:\n    x = 1\n\n\nTEXT = '{0.x}'.format(P())\n"),
    "machine-wide /proc information": "CPU = open('/proc/cpuinfo').read()\n",
}


@pytest.mark.parametrize("source", HELD.values(), ids=HELD.keys())
def test_values_followed_to_what_they_reach_are_held(tmp_path, source: str) -> None:
    code, report = vet(tmp_path, {"sample/deep/new.py": source})
    assert (code, report["verdict"]) == (3, "person"), report


@pytest.mark.parametrize("source", FINE.values(), ids=FINE.keys())
def test_look_alikes_that_stay_in_the_repository_pass(tmp_path, source: str) -> None:
    code, report = vet(tmp_path, {"sample/deep/new.py": source})
    assert (code, report["verdict"]) == (0, "ok"), report


def test_mains_constant_argv_moved_into_a_module_constant_gains_nothing(tmp_path) -> None:
    moved = (
        "import subprocess\n\nSTATUS = ('git', 'status')\n\n\ndef status():\n"
        "    return subprocess.run(list(STATUS), check=False)\n"
    )
    code, report = vet(tmp_path, {"sample/core.py": moved})
    assert code == 0, report
