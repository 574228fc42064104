"""Each item type has one home: nothing outside ``quizzes/items/<type>/`` (and the registry) names a type.

Read as text, like grep: the web app (``training/``, ``templates/``, ``app.py``) and the engine
outside the type homes must ask the registry, never branch on a type's name or class. And
the services import each other without cycles (what a student sees moved next to the
engine, which ended the one between attempts and review).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from quizzes.items import HOMES, ITEM_TYPES, Item

ROOT = Path(__file__).resolve().parents[2]
ITEMS = ROOT / "quizzes" / "items"
# Folders of types and of the bases two types share, each a home.
HOME_DIRS = {path for path in ITEMS.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
REGISTRY = ITEMS / "__init__.py"


def type_names() -> set[str]:
    """Every name that means one type: its document name, its class and its home's shared bases, its folder."""
    names = set(ITEM_TYPES)
    for item_type in ITEM_TYPES.values():
        names |= {
            k.__name__ for k in item_type.__mro__ if isinstance(k, type) and issubclass(k, Item) and k is not Item
        }
    return names


def naming_patterns() -> list[re.Pattern]:
    quoted = "|".join(re.escape(name) for name in sorted(ITEM_TYPES))
    classes = "|".join(sorted(type_names() - set(ITEM_TYPES)))
    homes = "|".join(sorted(path.name for path in HOME_DIRS))
    return [
        re.compile(rf"""["']({quoted})["']"""),  # a type's name as a string: item_type == "single"
        re.compile(rf"\b({classes})\b"),  # a type's class: isinstance(item, ChoiceItem)
        re.compile(rf"quizzes\.items\.({homes})\b|from \.+items\.({homes})\b"),  # importing a home
        re.compile(r"""(\.type|\[["']type["']\])\s*(==|!=|\bin\b|\bnot in\b)"""),  # branching on a type
    ]


def scanned_files() -> list[Path]:
    """The web app and the engine outside the type homes, the registry and the content packs."""
    files = [ROOT / "app.py"]
    for folder, suffixes in (("training", {".py", ".html"}), ("templates", {".html"}), ("quizzes", {".py", ".html"})):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in suffixes and p.is_file()]
    return [
        p
        for p in files
        if not any(home in p.parents for home in HOME_DIRS)
        and p != REGISTRY
        and ROOT / "quizzes" / "packs" not in p.parents
    ]


def test_the_patterns_catch_what_they_are_for():
    caught = [
        "{% if kind in ('single', 'multiple') %}",
        'if item.type == "true-false":',
        "if isinstance(item, ChoiceItem) and answer:",
        "from quizzes.items.choices import ChoiceItem",
        "{% elif item_type == 'short-answer' %}",
        "if item['type'] in kinds:",
        "{% set kind = iv.item.type %}{% if kind == 'numeric' %}",
    ]
    for line in caught:
        assert any(p.search(line) for p in naming_patterns()), line
    for line in ("single-stage case", "users matching the search", "--single-transaction", "item.type_name()"):
        assert not any(p.search(line) for p in naming_patterns()), line


def test_every_registered_type_has_a_home_with_its_take_page():
    assert len(HOMES) == len(ITEM_TYPES)
    for home, item_type in zip(HOMES, ITEM_TYPES.values(), strict=True):
        assert Path(item_type.template_dirs()[0]).parent == ITEMS / home, item_type
        assert item_type.template_path("take.html") is not None, f"{item_type.label} has no take.html"
        assert item_type.template_path("result.html") is not None and item_type.template_path("editor.html")


def test_no_file_outside_a_type_home_names_an_item_type():
    files = scanned_files()
    assert len(files) > 100 and ROOT / "training" / "services" / "attempts.py" in files
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(p.search(line) for p in naming_patterns())
    ]
    assert not found, "ask the registry instead of naming a type:\n" + "\n".join(found)


# --- import cycles ------------------------------------------------------------------------


def module_imports() -> dict[str, set[str]]:
    """Module -> the modules of ``training`` and ``quizzes`` it imports when it is loaded."""
    modules = {}
    for package in ("training", "quizzes"):
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # imports inside functions run later
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for imp in ast.walk(node):
                if isinstance(imp, ast.Import):
                    found |= {alias.name for alias in imp.names}
                elif isinstance(imp, ast.ImportFrom):
                    base = imp.module or ""
                    if imp.level:
                        up = package.split(".")[: len(package.split(".")) - imp.level + 1]
                        base = ".".join([*up, base] if base else up)
                    found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in imp.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                out.append(sorted([v, *group]))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("package", ["training.services", "quizzes"])
def test_services_and_the_engine_import_without_cycles(package):
    graph = module_imports()
    assert "training.services.review" in graph and "quizzes.views" in graph
    assert not [group for group in cycles(graph) if any(m.startswith(package) for m in group)]


def test_a_new_stage_starts_with_a_valid_question_of_the_first_registered_type():
    first = ITEM_TYPES[next(iter(ITEM_TYPES))]
    item = first.model_validate(first.placeholder("new-question"))
    assert item.key == "new-question" and item.key_answer() is not None
