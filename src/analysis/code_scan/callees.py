"""Call targets by what they do: shells, forks, hooks, network, environment, writes, reach."""

from __future__ import annotations

import re

from self_improving_agent.analysis.code_scan.values import UNKNOWN_STR, Values

SHELL_CALLS = frozenset({"os.system", "os.popen", "subprocess.getoutput"})
# Process starts with no argv of their own (a fork, a pool, a Python target).
FORKS = frozenset({"os.fork", "os.forkpty", "pty.fork", "multiprocessing.Process"})
FORKS |= {"multiprocessing.Pool", "multiprocessing.get_context", "os.register_at_fork"}
FORKS |= {"concurrent.futures.ProcessPoolExecutor", "multiprocessing.pool.Pool"}
EXIT_HOOKS = frozenset({"atexit.register", "sys.addaudithook", "sys.settrace", "sys.setprofile"})
EXIT_HOOKS |= {"threading.settrace", "signal.signal"}
REPORT_WORDS = ("junit", ".coverage", "coverage.json", "coverage.xml", ".pytest_cache")
SHELL_CALLS |= {"subprocess.getstatusoutput", "asyncio.create_subprocess_shell"}
NETWORK_ROOTS = frozenset(
    {"socket", "requests", "httpx", "aiohttp", "urllib3", "ftplib", "smtplib", "poplib"}
    | {"imaplib", "telnetlib", "socketserver", "websocket", "websockets", "paramiko"}
    | {"pycurl", "grpc", "boto3", "botocore", "httplib2", "xmlrpc", "nntplib", "ssl"}
)
NETWORK_PREFIXES = ("urllib.request.", "http.client.", "http.server.", "urllib.urlopen")
NETWORK_CALLS = frozenset({"asyncio.open_connection", "asyncio.start_server", "webbrowser.open"})
NETWORK_CALLS |= {"asyncio.open_unix_connection", "asyncio.start_unix_server"}
ENV_READERS = frozenset({"os.getenv", "os.getenvb", "os.environ.get", "os.environ.pop"})
ENV_READERS |= {"os.environ.__getitem__", "os.environb.get"}
ENV_SETS = frozenset({"os.putenv", "os.environ.setdefault", "os.environ.__setitem__"})
SIGNALS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill", "os.pidfd_open"})
ENV_DUMPS = frozenset({"os.environ.items", "os.environ.values", "os.environb.items"})
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|PWD|CREDENTIAL|AUTH|PRIVATE|COOKIE|SESSION", re.I)
WRITE_CALLS = frozenset(
    {"os.remove", "os.unlink", "os.rename", "os.replace", "os.makedirs", "os.mkdir"}
    | {"os.rmdir", "os.symlink", "os.link", "os.chmod", "os.chown", "os.truncate"}
    | {"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move"}
    | {"shutil.rmtree"}
)
WRITE_METHODS = frozenset({"write_text", "write_bytes", "unlink", "mkdir", "touch", "rename"})
WRITE_METHODS |= {"symlink_to", "chmod", "replace", "rmdir", "hardlink_to"}
# Method names that write whatever they are called on (str.replace and the like excluded).
PATH_WRITERS = WRITE_METHODS - {"rename", "replace"}
SCRATCH = ("/tmp/", "/var/tmp/", "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/shm/")
REACHERS = frozenset({"builtins.vars", "inspect.getmembers", "inspect.getmembers_static"})
REACHERS |= {"builtins.dir", "builtins.getattr", "builtins.setattr", "builtins.delattr"}
LOCATORS = frozenset({"pydoc.locate", "pkgutil.resolve_name", "operator.attrgetter"})
LOCATORS |= {"operator.methodcaller", "importlib.reload"}
HANDED_ON = frozenset({"builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.vars"})
# Assigning these is ordinary program plumbing, not reaching into the interpreter.
PLAIN_SYS = frozenset({"sys.argv", "sys.stdout", "sys.stderr", "sys.stdin", "sys.path"})
PLAIN_SYS |= {"sys.dont_write_bytecode", "sys.tracebacklimit", "sys.ps1", "sys.ps2"}


def constant_texts(values: Values) -> list[str] | None:
    """The strings values may be when all are known constants, else None."""
    if not values or UNKNOWN_STR in values or any(not v.startswith("'") for v in values):
        return None
    return sorted(v[1:] for v in values)
