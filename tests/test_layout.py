"""The layout of `bot/` (README "How it is built"): imports run one way, top to bottom, with no circles,
and no module grows past ~450 lines.

Every import is counted, also those inside functions (a lazy import is still a dependency); only
`if TYPE_CHECKING:` blocks are left out (they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"

MAY_IMPORT: dict[str, set[str]] = {
    "report": set(),
    "errors": set(),
    "settings": {"report", "errors"},
    "artifacts": set(),
    "store": {"settings", "errors"},
    "queue": {"store", "settings", "errors"},
    "commands": {"report"},
    "github": {"commands", "queue", "store", "report", "settings", "errors"},
    "jobs": {"github", "commands", "queue", "store", "artifacts", "report", "settings", "errors"},
    "web": {"jobs", "github", "commands", "queue", "store", "artifacts", "report", "settings", "errors"},
    "cli": {
        "web",
        "jobs",
        "github",
        "commands",
        "queue",
        "store",
        "artifacts",
        "report",
        "settings",
        "errors",
    },
}
"""Which packages (first component under `bot.`) each may import, besides itself."""

MAX_LINES = 450


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> set[str]:
    """The `bot.*` modules `path` imports (`from bot.x import y` counts `bot.x.y` when that is a module)."""
    module = _module_name(path)
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("bot"))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}" if base else package
                if base.startswith("bot"):
                    found.add(base)
                    found.update(f"{base}.{a.name}" for a in child.names if _exists(f"{base}.{a.name}"))
            visit(child)

    visit(ast.parse(path.read_text("utf-8")))
    return {name for name in found if _exists(name)}


def _exists(name: str) -> bool:
    rel = Path(*name.split("."))
    return (BOT.parent / rel).with_suffix(".py").is_file() or (BOT.parent / rel / "__init__.py").is_file()


MODULES = sorted(BOT.rglob("*.py"))
GRAPH = {_module_name(p): _imports(p) for p in MODULES}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT.parent)))
def test_imports_run_downward(path: Path) -> None:
    module = _module_name(path)
    own = _package(module)
    if not own:
        return  # bot/__init__.py
    allowed = MAY_IMPORT[own] | {own}
    wrong = sorted(m for m in GRAPH[module] if _package(m) and _package(m) not in allowed)
    assert not wrong, f"{module} ({own}) may import only {sorted(allowed)}, imports {wrong}"


def test_report_imports_only_itself_the_standard_library_and_its_parsers() -> None:
    allowed_third_party = {"markdown", "markdown_it", "mdit_py_plugins", "nh3", "yaml"}
    for path in sorted((BOT / "report").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            for name in names:
                top = name.split(".")[0]
                assert (
                    top == "__future__"
                    or name.startswith("bot.report")
                    or top in allowed_third_party
                    or top in _stdlib()
                ), f"{path.name} imports {name}"


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)


def test_no_import_circle() -> None:
    """Tarjan's strongly connected components over every module: each must be a single module. A package's
    `__init__` importing its own submodules is not a circle of concern, so `bot.x` -> `bot.x.y` edges from
    an `__init__` are left out."""
    edges = {
        m: {t for t in targets if not (t.startswith(m + ".") and (BOT.parent / Path(*m.split("."))).is_dir())}
        for m, targets in GRAPH.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    assert not circles, f"import circles: {circles}"


def test_package_circles_are_absent_too() -> None:
    """No package imports one that imports it back (e.g. github -> commands -> github)."""
    packages: dict[str, set[str]] = {}
    for m, targets in GRAPH.items():
        packages.setdefault(_package(m), set()).update(
            _package(t) for t in targets if _package(t) != _package(m)
        )
    for a, targets in packages.items():
        for b in targets:
            assert a not in packages.get(b, set()), f"{a} and {b} import each other"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT.parent)))
def test_no_module_is_over_the_limit(path: Path) -> None:
    lines = len(path.read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(BOT.parent)} has {lines} lines (split it by concern)"


def test_the_import_walk_sees_lazy_imports() -> None:
    """The walk itself: `cli.main` imports its subcommands inside functions, and they count."""
    assert "bot.cli.check" in GRAPH["bot.cli.main"] and "bot.cli.serve" in GRAPH["bot.cli.main"]
