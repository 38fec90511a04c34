"""The engine stands alone: no module under core/ imports Qt, pyqtgraph or the GUI."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import core

CORE_DIR = Path(core.__file__).resolve().parent
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "gui")
CORE_MODULES = sorted(
    f"core.{path.stem}" for path in CORE_DIR.glob("*.py") if path.stem != "__init__"
)


_DYNAMIC_IMPORTS = {"import_module", "__import__"}


def _is_forbidden(module: str) -> bool:
    root = module.split(".", maxsplit=1)[0]
    return any(root == name or root.startswith(name) for name in FORBIDDEN)


def test_every_core_module_is_found() -> None:
    expected = {"core.tracker", "core.validation", "core.loading", "core.cli", "core.stats"}
    assert expected <= set(CORE_MODULES)


def test_importing_every_core_module_loads_no_qt_or_gui() -> None:
    script = (
        "import importlib, json, sys\n"
        "import core\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=CORE_DIR.parent,
    )
    loaded = json.loads(result.stdout)
    assert set(CORE_MODULES) <= set(loaded)
    assert [name for name in loaded if _is_forbidden(name)] == []


def _imports(path: Path) -> list[str]:
    """Every module an import statement in ``path`` names, anywhere in the file."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in _DYNAMIC_IMPORTS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append(node.args[0].value)
    return names


def test_no_core_source_file_imports_qt_or_gui() -> None:
    offenders = {
        path.name: [name for name in _imports(path) if _is_forbidden(name)]
        for path in sorted(CORE_DIR.glob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_import_scan_recognises_forbidden_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "from PySide6.QtCore import QObject\n"
        "def f():\n"
        "    import pyqtgraph as pg\n"
        "    from gui import app\n"
        "    importlib.import_module('shiboken6')\n"
        "from core.stats import Snapshot\n"
    )
    found = sorted(name for name in _imports(sample) if _is_forbidden(name))
    assert found == ["PySide6.QtCore", "gui", "pyqtgraph", "shiboken6"]


def _package_graph(folder: Path) -> dict[str, set[str]]:
    """Which modules of the package in ``folder`` each of its modules imports, by its
    source (imports made only for type checking included)."""
    package = folder.name
    modules = {f"{package}.{path.stem}" for path in folder.glob("*.py")}
    modules.discard(f"{package}.__init__")
    graph: dict[str, set[str]] = {}
    for module in modules:
        imported = _imports(folder / f"{module.split('.')[1]}.py")
        graph[module] = {name for name in imported if name in modules and name != module}
    return graph


def _core_graph() -> dict[str, set[str]]:
    """Which core modules each core module imports, by its source."""
    return _package_graph(CORE_DIR)


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle in ``graph`` (its modules in order), or [] when there is none."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> list[str]:
        if module in visiting:
            return [*visiting[visiting.index(module) :], module]
        if module in done:
            return []
        visiting.append(module)
        for imported in sorted(graph.get(module, ())):
            found = visit(imported)
            if found:
                return found
        visiting.pop()
        done.add(module)
        return []

    for module in sorted(graph):
        found = visit(module)
        if found:
            return found
    return []


def test_no_core_modules_import_each_other_even_through_others() -> None:
    # lint-imports' layers say the same in CI; this also runs wherever pytest does.
    assert _cycle(_core_graph()) == []


def test_no_gui_modules_import_each_other_even_through_others() -> None:
    assert _cycle(_package_graph(CORE_DIR.parent / "gui")) == []


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
