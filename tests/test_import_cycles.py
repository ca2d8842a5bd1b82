"""No import cycles inside the package: module-level and function-local imports both count."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "planner"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module → planner modules it imports (``from planner.x import y`` counts y when y is a module)."""
    modules = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for t in targets:
                if t in modules and t != name and t != "planner":
                    graph[name].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules, or None (iterative DFS with colours)."""
    colour = dict.fromkeys(graph, 0)
    for root in graph:
        if colour[root]:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        path = [root]
        colour[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour[nxt] == 1:
                return [*path[path.index(nxt) :], nxt]
            elif colour[nxt] == 0:
                colour[nxt] = 1
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
    return None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_planted_cycle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(g) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_lower_stages_do_not_import_later_ones():
    """io → inventory → policy → targets → optimize → scenario → reports → app/cli."""
    order = ["io", "inventory", "policy", "targets", "optimize", "scenario", "reports", "app", "cli"]
    rank = {s: i for i, s in enumerate(order)}
    # shared by every stage: the code lists (grades, industries, levels) the inventory is checked against
    shared = {"planner.policy.vocabulary"}
    bad = []
    for mod, deps in import_graph().items():
        parts = mod.split(".")
        if len(parts) < 2 or parts[1] not in rank:
            continue
        for dep in deps:
            dp = dep.split(".")
            if dep in shared:
                continue
            if len(dp) >= 2 and dp[1] in rank and rank[dp[1]] > rank[parts[1]]:
                bad.append(f"{mod} -> {dep}")
    assert not bad, "a stage imports a later stage: " + "; ".join(sorted(bad))
