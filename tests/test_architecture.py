"""The import graph of engine/ and gui/ (imports under TYPE_CHECKING and inside functions count).

The rules, also in README "How it fits together":
- no cycles: no two modules reach each other through imports;
- engine never imports gui;
- engine's sub-packages import only lower layers: cli (engine.cli, engine.check_command) over
  process over io and explain (side by side, neither imports the other) over training over
  data over core;
- gui's sub-packages import only lower layers: app over panels over views over base; the
  trainer link (gui.trainer_link) imports no other gui module;
- only gui.trainer_link imports engine.process (the trainer process, its protocol and wire
  format), so the window talks to the trainer through that one module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ENGINE_LAYERS = {"core": 0, "data": 1, "training": 2, "io": 3, "explain": 3, "process": 4,
                 "cli": 5, "check_command": 5}
GUI_LAYERS = {"base": 0, "trainer_link": 0, "views": 1, "panels": 2, "app": 3}
LAYERS = {"engine": ENGINE_LAYERS, "gui": GUI_LAYERS}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("engine", "gui")


def imports(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Every (importer, imported) pair between two modules of engine/ and gui/."""
    return sorted((importer, imported) for importer in graph.modules
                  for imported in graph.find_modules_directly_imported_by(importer))


def cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    following: dict[str, list[str]] = {}
    for importer, imported in edges:
        following.setdefault(importer, []).append(imported)
        following.setdefault(imported, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(following):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if child < len(following[node]):
                work.append((node, child + 1))
                nxt = following[node][child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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
    return found


def layer(module: str) -> tuple[str, int] | None:
    """(sub-package, rank) of a module of engine/ or gui/; None for the packages themselves."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    group = {"check_command": "cli"}.get(parts[1], parts[1])  # engine's two entry modules
    return group, LAYERS[parts[0]][parts[1]]


def upward(edges: list[tuple[str, str]]) -> list[str]:
    """The imports that break a layering rule, as 'importer -> imported (why)'."""
    broken = []
    for importer, imported in edges:
        top, imported_top = importer.split(".")[0], imported.split(".")[0]
        if top == "engine" and imported_top == "gui":
            broken.append(f"{importer} -> {imported} (engine imports gui)")
            continue
        if imported.startswith("engine.process") and top == "gui" \
                and importer != "gui.trainer_link":
            broken.append(f"{importer} -> {imported} (only gui.trainer_link talks to the "
                          "trainer process)")
            continue
        if top != imported_top:
            continue
        here, there = layer(importer), layer(imported)
        if here is None or there is None or here[0] == there[0]:
            continue
        if here[1] <= there[1]:
            broken.append(f"{importer} -> {imported} ({here[0]} may not import {there[0]})")
    return sorted(broken)


def test_there_are_no_import_cycles(graph: grimp.ImportGraph) -> None:
    found = cycles(imports(graph))
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(cycle) for cycle in found)


def test_imports_follow_the_layers(graph: grimp.ImportGraph) -> None:
    broken = upward(imports(graph))
    assert not broken, "imports against the layers:\n" + "\n".join(broken)


def test_every_module_sits_in_a_known_layer(graph: grimp.ImportGraph) -> None:
    unplaced = sorted(module for module in graph.modules
                      if len(module.split(".")) > 1
                      and module.split(".")[1] not in LAYERS[module.split(".")[0]])
    assert unplaced == []


def test_the_graph_is_the_real_one(graph: grimp.ImportGraph) -> None:
    """The checks see type-only imports and the modules the window is made of."""
    assert "gui.app.main_window" in graph.modules
    assert graph.direct_import_exists(importer="gui.trainer_link",
                                      imported="engine.process.trainer_protocol")
    assert graph.direct_import_exists(importer="gui.app.main_window",
                                      imported="gui.trainer_link")
    assert graph.direct_import_exists(importer="gui.panels.inspector",  # under TYPE_CHECKING
                                      imported="gui.panels.window_api")


def test_the_checks_find_a_planted_cycle_and_upward_import() -> None:
    edges = [("gui.views.a", "gui.views.b"), ("gui.views.b", "gui.views.c"),
             ("gui.views.c", "gui.views.a"), ("gui.views.a", "gui.panels.p"),
             ("engine.core.x", "gui.base.y"), ("gui.panels.p", "engine.process.wire")]
    assert cycles(edges) == [["gui.views.a", "gui.views.b", "gui.views.c"]]
    assert upward(edges) == [
        "engine.core.x -> gui.base.y (engine imports gui)",
        "gui.panels.p -> engine.process.wire (only gui.trainer_link talks to the trainer "
        "process)",
        "gui.views.a -> gui.panels.p (views may not import panels)",
    ]


LONG_MODULE_LINES = 400


def test_a_long_module_says_why_it_is_long() -> None:
    """No module over ~400 lines without a reason at its top ("Why this is long: ...")."""
    root = Path(__file__).resolve().parents[1]
    unexplained = []
    for path in sorted([*(root / "engine").rglob("*.py"), *(root / "gui").rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > LONG_MODULE_LINES and "Why this is long:" not in docstring:
            unexplained.append(f"{path.relative_to(root)}: {text.count(chr(10))} lines")
    assert not unexplained, "long modules without a reason:\n" + "\n".join(unexplained)
