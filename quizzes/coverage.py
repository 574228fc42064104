"""What a set of modules covers: cases, stages, items per type and per topic.

Used by ``flask packs summary`` and the instructors' curriculum page, so both always
agree; the shape is plain JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .content import Module
from .items import ITEM_TYPES, Topic


def module_summary(module: Module) -> dict:
    """One module's counts."""
    items = list(module.items())
    return {
        "slug": module.slug,
        "title": module.title,
        "procedure": module.procedure.value,
        "cases": len(module.cases),
        "cases_with_3_stages": sum(1 for c in module.cases if len(c.stages) >= 3),
        "stages": sum(len(c.stages) for c in module.cases),
        "items": len(items),
        "items_by_type": _counts((i.type for i in items), ITEM_TYPES),
        "items_by_topic": _counts((i.topic.value for i in items), [t.value for t in Topic]),
    }


def summarise(modules: Iterable[Module]) -> dict:
    """Per-module counts and their totals: ``{"modules": [...], "totals": {...}}``."""
    rows = [module_summary(m) for m in modules]
    totals: dict = {"modules": len(rows)}
    for field in ("cases", "cases_with_3_stages", "stages", "items"):
        totals[field] = sum(r[field] for r in rows)
    for field in ("items_by_type", "items_by_topic"):
        totals[field] = dict(sum((Counter(r[field]) for r in rows), Counter()))
        totals[field] = {k: totals[field].get(k, 0) for k in rows[0][field]} if rows else {}
    totals["items_by_procedure_topic"] = {
        procedure: {
            topic: sum(r["items_by_topic"][topic] for r in rows if r["procedure"] == procedure)
            for topic in (t.value for t in Topic)
        }
        for procedure in dict.fromkeys(r["procedure"] for r in rows)  # in the order modules come
    }
    return {"modules": rows, "totals": totals}


def _counts(values: Iterable[str], keys: Iterable[str]) -> dict[str, int]:
    counted = Counter(values)
    return {k: counted.get(k, 0) for k in keys}


def format_table(summary: dict) -> str:
    """The summary as a plain-text table for the terminal."""
    types = list(summary["totals"]["items_by_type"]) or list(ITEM_TYPES)
    topics = list(summary["totals"]["items_by_topic"]) or [t.value for t in Topic]
    head = ["module", "procedure", "cases", "3+ stages", "stages", "items", *types, *topics]
    rows = [
        [
            r["slug"],
            r["procedure"],
            r["cases"],
            r["cases_with_3_stages"],
            r["stages"],
            r["items"],
            *(r["items_by_type"][t] for t in types),
            *(r["items_by_topic"][t] for t in topics),
        ]
        for r in summary["modules"]
    ]
    t = summary["totals"]
    rows.append(
        [
            f"TOTAL ({t['modules']} modules)",
            "",
            t["cases"],
            t["cases_with_3_stages"],
            t["stages"],
            t["items"],
            *(t["items_by_type"].get(x, 0) for x in types),
            *(t["items_by_topic"].get(x, 0) for x in topics),
        ]
    )
    table = [head, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
