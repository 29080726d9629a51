"""The package's shape, held by tests: no import cycle anywhere, storage free of domain decisions,
and every write of an interception record going through the lifecycle and the change writer."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(name: str) -> set[str]:
    """The package modules `name` imports anywhere (module level or inside functions), except
    imports made only for type checking. `from a import b` counts `a.b` when `b` is a module."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        found |= {target for target in targets if target in MODULES and target != name}
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_the_package() -> None:
    assert cycles(GRAPH) == []


def test_the_store_makes_no_domain_decision() -> None:
    """Which status is open, which webhooks a change emits, what the rules say: all come in as
    arguments (a `Change` from the lifecycle, webhook bodies), never imported by storage."""
    forbidden = ("chalicelib.domain.lifecycle", "chalicelib.domain.refund_track", "chalicelib.domain.deadlines",
                 "chalicelib.rules", "chalicelib.webhooks", "chalicelib.usecases")
    for name, imported in GRAPH.items():
        if name.startswith("chalicelib.store"):
            assert not {module for module in imported if module.startswith(forbidden)}, name


def test_only_the_change_writer_writes_a_change() -> None:
    """InterceptStore.create/apply write records; only the change writer calls them, and it takes
    only `Change`s, which only the lifecycle builds."""
    writers = {name for name, path in MODULES.items()
               if ".create(change" in path.read_text() or ".apply(change" in path.read_text()}
    assert writers == {"chalicelib.usecases.change_writer"}
    builders = {name for name, path in MODULES.items() if "Change(" in path.read_text()}
    assert builders == {"chalicelib.domain.lifecycle"}
