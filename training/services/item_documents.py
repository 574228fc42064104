"""An item's document and the editor's form data, each made from the other, for every type alike.

What a type adds to the common fields (key, prompt, points, topic, lesson, explanation,
safety-critical, variant of) is
read from the fields it declares (``Item.editor``, see ``quizzes/items/editor.py``): how a
value is typed in, which texts are Markdown, which lists are edited as rows. Nothing here
knows one type from another.
"""

from __future__ import annotations

from typing import Any

from quizzes.items import Item
from quizzes.items.editor import Field, Rows, document_value, form_value

from .edit_feedback import clean_markdown

BLANK_ROWS = 3
"""Blank rows a list of rows offers at least, for the parts an author adds (up to the type's limit)."""

_COMMON_MARKDOWN = ("prompt", "explanation")


def _value(field: Field, posted: Any) -> Any:
    """The document value of a posted form value."""
    if field.kind == "check":
        return bool(posted)
    if field.kind == "choice":
        return document_value(field, posted)
    if field.kind == "number":
        return field.default if posted is None else posted
    if field.kind == "pick":
        return (posted or "").strip()
    if field.kind == "picks":
        return [value.strip() for value in posted or [] if value and value.strip()]
    if field.kind == "markdown":
        return clean_markdown(posted or "")
    return posted if posted is not None or field.default is None else field.default


def _blank(row: dict, rows: Rows) -> bool:
    """A row the author left empty (its id may be pre-filled): it is ignored."""
    texts = [f.name for f in rows.fields if f.kind in ("line", "markdown")]
    if not texts:  # a row of picks only (a pair of steps): blank when nothing is picked
        texts = [f.name for f in rows.fields if f.kind == "pick"]
    ticks = [f.name for f in rows.fields if f.kind == "check"]
    return not any((row.get(name) or "").strip() for name in texts) and not any(row.get(name) for name in ticks)


def _rows(posted: list[dict], rows: Rows) -> tuple[list[dict], dict[int, int]]:
    """The filled rows in the order given by their "order" numbers, and document index -> form row."""
    filled = [(n, r) for n, r in enumerate(posted) if not _blank(r, rows)]
    filled.sort(key=lambda nr: (nr[1].get("order") is None, nr[1].get("order") or 0, nr[0]))
    parts = []
    for _, row in filled:
        part: dict[str, Any] = {} if rows.ids is None else {"id": (row.get("id") or "").strip()}
        for field in rows.fields:
            value = row.get(field.name)
            part[field.name] = _value(field, value if field.kind != "line" else value or "")
        parts.append([part[field.name] for field in rows.fields] if rows.pairs else part)
    return parts, {d: n for d, (n, _) in enumerate(filled)}


def item_from_form(item_type: type[Item], data: dict, existing: dict | None = None) -> tuple[dict, dict]:
    """Build an item document from form data; returns it and the row maps for error messages.

    Fields the editor does not show (tags) are kept from the existing item.
    """
    item: dict[str, Any] = {"key": (data.get("key") or "").strip(), "type": item_type.type_name()}
    for name in ("prompt", "points", "explanation"):
        item[name] = data.get(name)
    for name in _COMMON_MARKDOWN:
        if isinstance(item[name], str):
            item[name] = clean_markdown(item[name])
    item["topic"] = data.get("topic") or None
    item["lesson"] = data.get("lesson") or None
    item["safety_critical"] = bool(data.get("safety_critical"))
    item["variant_of"] = (data.get("variant_of") or "").strip() or None
    if existing and existing.get("tags"):
        item["tags"] = existing["tags"]
    for field in item_type.editor.fields():
        item[field.name] = _value(field, data.get(field.name))
    row_maps = {}
    for rows in item_type.editor.rows():
        item[rows.name], row_maps[rows.name] = _rows(data.get(rows.name) or [], rows)
    return item, row_maps


def _next_ids(used: list[str], count: int, prefix: str) -> list[str]:
    """``count`` part ids not in ``used``: a, b, c... without a prefix, s1, s2... with one."""
    letters = [chr(n) for n in range(ord("a"), ord("z") + 1)]
    pool = letters if not prefix else [f"{prefix}{n}" for n in range(1, 60)]
    return [x for x in pool if x not in used][:count]


def _row_data(row: Any, rows: Rows) -> dict:
    """One stored part as a form row (a pair row's values named by its fields)."""
    if rows.pairs:
        return {field.name: value for field, value in zip(rows.fields, row, strict=False)}
    return dict(row)


def item_form_data(item_type: type[Item], item: dict | None) -> dict:
    """What an item form shows: the item's fields, its rows plus blank ones with suggested ids and order numbers."""
    editor = item_type.editor
    defaults = {"points": 1.0} | {f.name: f.default for f in editor.fields() if f.default is not None}
    data = dict(item or defaults)
    data["topic"] = data.get("topic") or ""
    data["lesson"] = data.get("lesson") or ""
    data["variant_of"] = data.get("variant_of") or ""
    data["safety_critical"] = bool(data.get("safety_critical"))
    for field in editor.fields():
        if field.kind == "choice":
            data[field.name] = form_value(data.get(field.name, field.default))
    for rows in editor.rows():
        filled = [_row_data(r, rows) for r in data.get(rows.name) or []]
        blanks = max(BLANK_ROWS, rows.shown - len(filled))
        blanks = min(blanks, max(0, rows.limit - len(filled)))
        fresh = {f.name: f.default for f in rows.fields if f.default is not None}
        if rows.ids is None:
            filled += [dict(fresh) for _ in range(blanks)]
        else:
            filled += [fresh | {"id": x} for x in _next_ids([r["id"] for r in filled], blanks, rows.ids)]
        for n, row in enumerate(filled, 1):
            row["order"] = n
        data[rows.name] = filled
    return data
