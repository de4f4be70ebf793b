"""The shape of the tree that the simplicity issue fixed: one module for parallel work, short
modules and functions, and tests that use only public names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tongxin", "plugins", "federation")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
PARALLEL_WORDS = re.compile(
    r"multiprocessing|ProcessPoolExecutor|gc\.freeze|os\.nice|sched_getaffinity|/proc/|prctl"
)


def production_modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_one_module_runs_work_in_other_processes() -> None:
    found = [
        str(p.relative_to(ROOT))
        for p in production_modules()
        if PARALLEL_WORDS.search(p.read_text(encoding="utf-8"))
    ]
    assert found == ["tongxin/parallel.py"]


def test_no_module_is_too_long() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in production_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_too_long() -> None:
    long = {}
    for path in production_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                # Decorators and the docstring count: they are read with the function.
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if node.end_lineno - start + 1 > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = (
                        node.end_lineno - start + 1
                    )
    assert long == {}


def _private_uses(tree: ast.AST) -> list[str]:
    """Private names of other modules that a test reaches for: ``from m import _x``,
    ``m._x`` on an imported module, ``monkeypatch.setattr(m, "_x", …)``."""
    modules = set()  # names bound to our own modules (other libraries' names are theirs)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name.startswith("tongxin")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tongxin"):
            modules |= {a.asname or a.name for a in node.names}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tongxin"):
            found += [a.name for a in node.names if _private(a.name)]
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in modules:
                found.append(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call) and _is_setattr(node) and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                if _private(name.value.split(".")[-1]):
                    found.append(f"setattr {name.value}")
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_setattr(node: ast.Call) -> bool:
    func = node.func
    return isinstance(func, ast.Attribute) and func.attr in {"setattr", "delattr"}


def test_tests_use_public_names_only() -> None:
    found = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        uses = _private_uses(ast.parse(path.read_text(encoding="utf-8")))
        if uses:
            found[str(path.relative_to(ROOT))] = sorted(set(uses))
    assert found == {}


def test_the_content_types_are_declared_once() -> None:
    """The list of kinds is declared in one place; everything else refers to it."""
    literal = re.compile(r"""["']news["'],\s*["']announcements["'],\s*["']study["']""")
    found = [
        str(p.relative_to(ROOT))
        for p in production_modules()
        if literal.search(p.read_text(encoding="utf-8"))
    ]
    assert len(found) == 1, found
