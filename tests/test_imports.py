"""Every module of the app can be the first one a fresh interpreter imports.

An import cycle hides behind import order: a module that works after `app.models` was imported
crashes when a script, a worker or a new test module imports it first. Each module is imported
in its own interpreter, so nothing imported before it can mask the cycle.
"""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
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


def import_first(module: str) -> str | None:
    """None if `module` imports in a fresh interpreter, else the tail of what it printed."""
    try:
        done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "still importing after 120 s"
    if done.returncode == 0:
        return None
    return "\n".join(done.stderr.strip().splitlines()[-8:])


def test_every_module_imports_first_in_a_fresh_interpreter():
    modules = app_modules()
    assert "app.standin.graph" in modules and "app.models" in modules
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = {module: error for module, error in zip(modules, pool.map(import_first, modules)) if error}
    assert not failures, f"{len(failures)} of {len(modules)} modules fail when imported first:\n\n" + "\n\n".join(
        f"{module}:\n{error}" for module, error in failures.items())
