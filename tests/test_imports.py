"""Every module of the app can be the first one a fresh interpreter imports.

An import cycle hides behind import order: a module that works after `app.models` was imported
crashes when a script, a worker or a new test module imports it first. Each module is imported
first, with nothing of the app imported before it that could mask the cycle.
"""
from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def app_modules(path: Path = ROOT / "app", prefix: str = "app") -> list[str]:
    """Every module and package under app/, found on disk (importing them here would mask cycles);
    `__main__` modules are left out, as they run their program when imported."""
    names = [prefix]
    for info in pkgutil.iter_modules([str(path)]):
        name = f"{prefix}.{info.name}"
        if info.ispkg:
            names += app_modules(path / info.name, name)
        elif info.name != "__main__":
            names.append(name)
    return names


# Runs in a fresh interpreter that never imports `app`: it loads the other libraries the app uses
# once (they are most of an import's cost), then forks a child per module, which imports that
# module first and reports. A forked child holds nothing of `app`, so it is as fresh as a new
# interpreter for this purpose, at a fraction of the cost.
_RUNNER = r"""
import importlib, json, os, sys, traceback
modules = json.loads(sys.stdin.read())


def ours(name):
    return name.split(".")[0] == modules[0].split(".")[0]


# Every other library the app loads, found by a child that imports all of the app (and told
# through a pipe), so that each child after it imports only the app's own code.
read_end, write_end = os.pipe()
scout = os.fork()
if scout == 0:
    os.close(read_end)
    for module in modules:
        try:
            importlib.import_module(module)
        except BaseException:
            pass
    os.write(write_end, json.dumps([name for name in sys.modules if not ours(name)]).encode())
    os._exit(0)
os.close(write_end)
with os.fdopen(read_end, "rb") as pipe:
    libraries = json.loads(pipe.read().decode() or "[]")
os.waitpid(scout, 0)
for library in libraries:
    if library not in sys.modules and library != "__main__":
        try:
            importlib.import_module(library)
        except BaseException:
            pass
assert not any(ours(name) for name in sys.modules)
failures = {}
running = {}  # pid -> (module, read end of its pipe); two at a time, one per core


def reap():
    pid, status = os.wait()
    module, read_end = running.pop(pid)
    with os.fdopen(read_end, "rb") as pipe:
        error = pipe.read().decode()
    if status != 0:
        failures[module] = error or f"exit status {status}"


for module in modules:
    if len(running) >= 2:
        reap()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        try:
            importlib.import_module(module)
            code = 0
        except BaseException:
            os.write(write_end, "\n".join(traceback.format_exc().strip().splitlines()[-8:]).encode())
            code = 1
        os._exit(code)
    os.close(write_end)
    running[child] = (module, read_end)
while running:
    reap()
print(json.dumps(failures))
"""


def modules_failing_first_import(modules: list[str]) -> dict[str, str]:
    """Module -> the tail of its traceback, for each module that fails when imported first."""
    done = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps(modules), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_module_imports_first_in_a_fresh_interpreter():
    modules = app_modules()
    assert "app.standin.graph" in modules and "app.models" in modules
    failures = modules_failing_first_import(modules)
    assert not failures, f"{len(failures)} of {len(modules)} modules fail when imported first:\n\n" + "\n\n".join(
        f"{module}:\n{error}" for module, error in failures.items())


def test_a_module_in_a_cycle_is_caught(tmp_path, monkeypatch):
    """The runner really imports each module first: a two-module cycle whose first module needs
    a name the second defines only after importing the first fails when imported first."""
    package = tmp_path / "cyclepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclepkg.b import B\nA = 1\n")
    (package / "b.py").write_text("from cyclepkg.a import A\nB = 2\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    failures = modules_failing_first_import(["cyclepkg.a", "cyclepkg.b"])
    assert set(failures) == {"cyclepkg.a", "cyclepkg.b"}
    assert "ImportError" in failures["cyclepkg.a"]
