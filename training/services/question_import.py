"""Bring in questions instructors already have (Moodle GIFT, Aiken) as cases in a module's draft.

Each question becomes a single-stage case (or, with ``case_key``, an item in a new stage
of that case). All or nothing by default: one question that cannot be mapped refuses the
file; ``skip_invalid`` imports the rest. Imported items have no lesson section yet, and a
topic only when their GIFT category names one, so the draft lists what to add before it
can be published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from quizzes.content import Module
from quizzes.formats.aiken import parse_aiken
from quizzes.formats.gift import parse_gift
from quizzes.formats.imported import ImportedQuestion, to_item
from quizzes.formats.packs import Problem, key_path
from quizzes.items import Topic

from ..models import User
from . import authoring, drafts
from .content import module_by_slug

FORMATS = {"gift": parse_gift, "aiken": parse_aiken}
STAGE_LIMIT = 30  # items per stage (the document's limit)


@dataclass
class ImportReport:
    """What an import did or would have done."""

    module: str
    imported: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    refused: bool = False
    new_module: bool = False


def _topic_from(category: str | None) -> str | None:
    """A topic named by the last part of a GIFT category, e.g. ``$CATEGORY: meso/Aftercare``."""
    if not category:
        return None
    name = _slug(category.rsplit("/", 1)[-1])
    return next((t.value for t in Topic if name in (t.value, t.value.split("-")[0], _slug(t.label))), None)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]+", "-", text.lower()).strip("-")


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def import_questions(
    text: str,
    filename: str,
    fmt: str,
    module_slug: str,
    user: User | None,
    *,
    case_key: str | None = None,
    skip_invalid: bool = False,
) -> ImportReport:
    """Parse ``text`` and add its questions to the module's draft (flushes; the caller commits).

    A module that does not exist yet is created as a draft. Nothing is written when the
    report comes back ``refused``.
    """
    report = ImportReport(module=module_slug)
    result = FORMATS[fmt](text, filename)
    report.problems, report.notes = list(result.problems), list(result.notes)
    if not result.questions:
        report.problems.append(Problem(filename, "", "no question could be imported from this file"))
    if report.problems and (not skip_invalid or not result.questions):
        report.refused = True
        return report

    row = module_by_slug(module_slug)
    draft = drafts.start_draft(row, user) if row else None
    if draft is not None:
        data = authoring.locked_copy(draft)  # locked: two imports at once must not lose one
    else:
        report.new_module = True
        data = {
            "slug": module_slug,
            "title": module_slug.replace("-", " ").capitalize(),
            "procedure": "mixed",
            "summary": f"Questions imported from {filename}.",
            "cases": [],
        }
    taken = {item["key"] for case in data["cases"] for stage in case["stages"] for item in stage["items"]}
    case_keys = {case["key"] for case in data["cases"]}
    target = None
    if case_key is not None:
        target = next((case for case in data["cases"] if case["key"] == case_key), None)
        if target is None:
            report.problems.append(Problem(filename, "", f"the module has no case '{case_key}'"))
            report.refused = True
            return report

    items = []
    lines: dict[str, str] = {}  # key -> what the report says of it
    for question in result.questions:
        if question.key and question.key not in taken:
            key = question.key
            taken.add(key)
        else:
            key = _free(f"{module_slug[:40]}-q", taken)
            if question.key:
                report.notes.append(
                    Problem(
                        filename,
                        question.title or "",
                        f"key '{question.key}' is taken: imported as {key}",
                        question.line,
                    )
                )
        items.append((question, to_item(question, key, _topic_from(question.category), None)))
        lines[key] = (
            f"line {question.line}: {question.data['type']} “{_short(question.data['prompt'], 60)}” as {key}"
            + (" (safety-critical)" if question.data.get("safety_critical") else "")
            + (f", a variant of {question.data['variant_of']}" if question.data.get("variant_of") else "")
        )

    # A variant joins its slot's stage (the first item's, in the module or earlier in the file).
    firsts = [(question, item) for question, item in items if not item.get("variant_of")]
    variants = [(question, item) for question, item in items if item.get("variant_of")]
    if target is not None:
        for start in range(0, len(firsts), STAGE_LIMIT):
            target["stages"].append(
                {
                    "title": f"Imported from {filename}",
                    "narrative": "Questions imported from a file. Add what the client reports at this stage.",
                    "items": [item for _, item in firsts[start : start + STAGE_LIMIT]],
                }
            )
    else:
        for question, item in firsts:
            data["cases"].append(_single_stage_case(question, item, _free("imported", case_keys), filename))
    for question, item in variants:
        stage, first = _slot_stage(data, item["variant_of"])
        if stage is None:
            report.problems.append(
                Problem(
                    filename,
                    question.title or "",
                    f"variant-of '{item['variant_of']}': no question of the module or of this file has that key",
                    question.line,
                )
            )
            del lines[item["key"]]
            continue
        # Items of a slot share these (the module validator checks it): the variant takes its slot's.
        item.update({name: first.get(name) for name in authoring.SHARED_IN_SLOT})
        stage["items"].insert(stage["items"].index(first) + 1 + _placed_after(stage, first["key"]), item)
    report.imported = list(lines.values())
    if report.problems and not skip_invalid:
        report.refused = True
        return report

    try:
        document = Module.model_validate(data)
    except ValidationError as exc:
        report.problems += [Problem(filename, key_path(list(e["loc"])), e["msg"]) for e in exc.errors()]
        report.refused = True
        return report
    if draft is None:
        draft = drafts.create_module(document, user)
    else:
        drafts.save_draft(draft, document, user)
    keys = list(lines)
    drafts.audit_change(
        draft,
        user,
        f"imported {len(keys)} question(s) from {filename} ({fmt})"
        + (f", {len(report.problems)} skipped" if report.problems else ""),
        action="module.import_questions",
        after={"file": filename, "format": fmt, "case": case_key, "questions": keys, "skipped": len(report.problems)},
    )
    return report


def _single_stage_case(question: ImportedQuestion, item: dict, key: str, filename: str) -> dict:
    where = f"{filename}, line {question.line}"
    return {
        "key": key,
        "title": question.title or _short(question.data["prompt"]),
        "client": f"Imported question ({where})",
        "stages": [
            {
                "title": question.title or "Question",
                "narrative": f"Imported from {where}"
                + (f", category {question.category}" if question.category else "")
                + ". Add the client's story here.",
                "items": [item],
            }
        ],
    }


def _slot_stage(data: dict, key: str) -> tuple[dict | None, dict | None]:
    """The stage holding the item ``key`` and that item (None, None when no item has it)."""
    for case in data["cases"]:
        for stage in case["stages"]:
            for item in stage["items"]:
                if item["key"] == key:
                    return stage, item
    return None, None


def _placed_after(stage: dict, slot: str) -> int:
    """How many variants of ``slot`` already follow it, so the next goes after them."""
    return sum(1 for item in stage["items"] if item.get("variant_of") == slot)


def _free(prefix: str, taken: set[str]) -> str:
    """The first ``prefix-N`` not in ``taken`` (which it joins)."""
    n = 1
    while f"{prefix}-{n}" in taken:
        n += 1
    taken.add(f"{prefix}-{n}")
    return f"{prefix}-{n}"
