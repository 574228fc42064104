"""Content packs: modules and lessons as human-editable YAML files.

A pack is a YAML file holding one document (``kind: module`` or ``kind: lesson``), or a
folder of them (searched recursively). Reading checks everything and reports every
problem with its file, line and key path; nothing is returned unless the whole pack is
valid, so an import is all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..content import Lesson, Module
from ..items import ITEM_TYPES

KINDS: dict[str, type[Module] | type[Lesson]] = {"module": Module, "lesson": Lesson}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, located as precisely as the file allows."""

    file: str
    where: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"


class PackError(Exception):
    """A pack that cannot be used, with every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Pack:
    """The validated documents of a pack, with the file each came from."""

    modules: list[tuple[str, Module]] = field(default_factory=list)
    lessons: list[tuple[str, Lesson]] = field(default_factory=list)


def pack_files(path: Path) -> list[Path]:
    """The YAML files a pack path stands for, in a stable order."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def read_pack(path: str | Path, known_refs: Iterable[str] = ()) -> Pack:
    """Read and validate every document under ``path``.

    :param known_refs: lesson sections (``slug#anchor``) that exist already, e.g. in the
        database; an item may point at those or at a section of this pack.
    :raises PackError: with every problem found, when anything is wrong.
    """
    root = Path(path)
    if not root.exists():
        raise PackError([Problem(str(root), "", "no such file or folder")])
    files = pack_files(root)
    if not files:
        raise PackError([Problem(str(root), "", "no .yaml files found")])
    pack, problems = Pack(), []
    for file in files:
        raw = file.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            problems.append(Problem(str(file), "", "not UTF-8 text: save the file as UTF-8", line))
            continue
        doc, file_problems = parse_document(text, str(file))
        problems += file_problems
        if isinstance(doc, Module):
            pack.modules.append((str(file), doc))
        elif isinstance(doc, Lesson):
            pack.lessons.append((str(file), doc))
    problems += _check_across(pack, set(known_refs))
    if problems:
        raise PackError(problems)
    return pack


# libyaml's loader when PyYAML has it (several times faster); same nodes, same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once, keeping both the node tree (for line numbers) and the data."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def parse_document(text: str, filename: str = "<text>") -> tuple[Module | Lesson | None, list[Problem]]:
    """Parse one YAML document into a Module or Lesson, or return the problems found."""
    try:
        node, data = _load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        if isinstance(exc, yaml.reader.ReaderError):  # a forbidden character: no mark, but a position
            line = text.count("\n", 0, exc.position) + 1
        return None, [Problem(filename, "", f"not valid YAML: {getattr(exc, 'problem', exc)}", line)]
    if not isinstance(data, dict):
        return None, [Problem(filename, "", "expected a mapping with 'kind: module' or 'kind: lesson'", 1)]
    kind = data.get("kind")
    if kind not in KINDS:
        return None, [Problem(filename, "kind", "expected 'module' or 'lesson'", _line_of(node, ["kind"]))]
    try:
        return KINDS[kind].model_validate(data), []
    except ValidationError as exc:
        return None, [_problem_from(filename, node, err) for err in exc.errors()]


def _problem_from(filename: str, node: yaml.Node | None, err: Mapping[str, Any]) -> Problem:
    loc = list(err["loc"])
    message = err["msg"].removeprefix("Value error, ")
    return Problem(filename, key_path(loc), message, _line_of(node, loc))


def key_path(loc: list[Any]) -> str:
    """pydantic's location as a path people read: ``cases[0].stages[1].items[2].choices``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ITEM_TYPES and out.endswith("]"):
            continue  # the discriminator tag pydantic adds; not a key in the file
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int | None:
    """Follow ``loc`` through the YAML node tree as far as it goes; 1-based line of the deepest node."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            continue
        node, line = match, match.start_mark.line + 1
    return line


def _check_across(pack: Pack, known_refs: set[str]) -> list[Problem]:
    """Rules that span documents: unique slugs, and lesson links that resolve."""
    problems: list[Problem] = []
    for kind, docs in (("module", pack.modules), ("lesson", pack.lessons)):
        seen: dict[str, str] = {}
        for file, doc in docs:
            if doc.slug in seen:
                problems.append(Problem(file, "slug", f"{kind} '{doc.slug}' is also defined in {seen[doc.slug]}"))
            seen[doc.slug] = file
    refs = known_refs | {ref for _, lesson in pack.lessons for ref in lesson.refs()}
    for file, module in pack.modules:
        # A pack is published when imported, so it must be complete.
        problems += [Problem(file, where, message) for where, message in module.publish_problems()]
        for c, case in enumerate(module.cases):
            for s, stage in enumerate(case.stages):
                for i, item in enumerate(stage.items):
                    if item.lesson is not None and item.lesson not in refs:
                        problems.append(
                            Problem(
                                file,
                                f"cases[{c}].stages[{s}].items[{i}].lesson",
                                f"'{item.lesson}' is not a section of any known lesson",
                            )
                        )
    return problems


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text as ``|`` blocks so exported packs stay pleasant to edit."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML writes U+0085 (NEL) unescaped outside double quotes and reads it back as a
    # line break, so such text is double-quoted, where it is escaped as \N.
    style = '"' if "\x85" in value else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def dump_document(doc: Module | Lesson) -> str:
    """Write a document as pack YAML; reading it back gives an equal document."""
    data = doc.model_dump(mode="json")
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
