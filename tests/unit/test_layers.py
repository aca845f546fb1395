"""The direction of imports is the architecture: pure layers never load Qt, widgets never touch httpx."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import artifact_browser

PACKAGE_DIR = Path(artifact_browser.__file__).parent
PURE_PACKAGES = ("api", "core", "devserver")
QT_MODULES = frozenset({"PySide6", "shiboken6", "superqt"})
# Runs inside the Dioptra server's own venv as a script; the app never imports it.
NOT_IMPORTABLE = frozenset({"artifact_browser.devserver.seedtool"})


def _pure_module_names() -> list[str]:
    names = []
    for package in PURE_PACKAGES:
        names.append(f"artifact_browser.{package}")
        for info in pkgutil.walk_packages([str(PACKAGE_DIR / package)], prefix=f"artifact_browser.{package}."):
            if info.name.rsplit(".", 1)[-1] != "__main__" and info.name not in NOT_IMPORTABLE:
                names.append(info.name)
    return names


def _imported_top_levels(path: Path) -> set[str]:
    """The top-level package of every import statement in a file, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _python_files(*parts: str) -> list[Path]:
    root = PACKAGE_DIR.joinpath(*parts)
    return sorted(root.rglob("*.py")) if root.is_dir() else [root]


def test_pure_layers_import_without_loading_qt() -> None:
    modules = _pure_module_names()
    assert "artifact_browser.core.units" in modules  # the walk found the modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(QT_MODULES)!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_no_pure_module_imports_qt() -> None:
    offenders = {
        str(path.relative_to(PACKAGE_DIR)): sorted(_imported_top_levels(path) & QT_MODULES)
        for package in PURE_PACKAGES
        for path in _python_files(package)
        if _imported_top_levels(path) & QT_MODULES
    }
    assert offenders == {}


def test_no_gui_module_imports_httpx() -> None:
    gui_files = _python_files("qt") + _python_files("app.py")
    assert len(gui_files) > 2
    offenders = [str(path.relative_to(PACKAGE_DIR)) for path in gui_files if "httpx" in _imported_top_levels(path)]
    assert offenders == []
