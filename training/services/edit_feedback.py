"""What authors are told and what is kept of what they type: Markdown sanitising, and
the engine's validation errors mapped to the form fields that caused them.

Texts rendered as Markdown are sanitised when saved (a module's summary, a stage's
narrative, an item's prompt and explanation, and the fields an item type declares as
Markdown); other texts are escaped on display.
"""

from __future__ import annotations

import re

import nh3
from pydantic import ValidationError

from quizzes.items.editor import Editor

_ENTITY = re.compile(r"&(gt|amp);")


def clean_markdown(text: str | None) -> str:
    """Strip every HTML tag from authored Markdown, keeping the Markdown itself.

    nh3 removes tags (and the content of script/style) and escapes what is left; ``&gt;``
    and ``&amp;`` are turned back so Markdown quotes work and re-saving the text does not
    escape it again. No ``<`` survives, so no tag can form; rendering sanitises once more.
    """
    cleaned = nh3.clean(text or "", tags=set())
    return _ENTITY.sub(lambda m: ">" if m.group(1) == "gt" else "&", cleaned)


# ---------------------------------------------------------------- error messages


def _friendly(err: dict) -> str:
    """A pydantic error in words an author reads."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in ("string_too_short", "missing") and ctx.get("min_length", 1) == 1:
        return "This cannot be empty."
    if kind == "string_pattern_mismatch":
        return "Use lower-case letters, digits and dashes, starting with a letter or digit."
    if kind == "too_short":
        return f"Give at least {ctx.get('min_length')}."
    if kind == "too_long":
        return f"Give at most {ctx.get('max_length')}."
    if kind in ("float_type", "float_parsing", "finite_number"):
        return "Give a number."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "Give a whole number."
    if kind == "greater_than":
        return f"Must be more than {ctx.get('gt')}."
    if kind == "less_than_equal":
        return f"Must be {ctx.get('le')} or less."
    if kind == "greater_than_equal":
        return f"Must be {ctx.get('ge')} or more."
    message = err["msg"].removeprefix("Value error, ")
    return message[:1].upper() + message[1:]


def errors_for(
    exc: ValidationError,
    prefix: tuple,
    *,
    tag: str | None = None,
    key: str | None = None,
    rows: dict | None = None,
    editor: Editor | None = None,
) -> dict[str, list[str]]:
    """Map validation errors under ``prefix`` (the edited part's place in the document) to form fields.

    :param tag: the item type, which pydantic puts in the path of a discriminated union.
    :param key: the edited part's key, to place "repeated key" errors next to its key field.
    :param rows: document row index -> form row index, per row list (blank rows are left out).
    :param editor: the item type's editor, which says where a message about the whole item
        or one of its rows belongs (found from its words).
    """
    rows = rows or {}
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc, message = tuple(err["loc"]), _friendly(err)
        field = ""
        if loc[: len(prefix)] == prefix:
            tail = list(loc[len(prefix) :])
            if tag and tail and tail[0] == tag:
                tail = tail[1:]
            if len(tail) >= 2 and tail[0] in rows and isinstance(tail[1], int):
                tail[1] = rows[tail[0]].get(tail[1], tail[1])
                # A pair row (an ordering's harmful order) is a list: its positions are its fields.
                spec = _pair_rows(editor, tail[0])
                if spec is not None and len(tail) >= 3 and isinstance(tail[2], int) and tail[2] < len(spec.fields):
                    tail[2] = spec.fields[tail[2]].name
            field = ".".join(str(p) for p in tail)
            # A message about the whole item, or about one row: find its field from what it says.
            if editor is not None and not tail:
                field = editor.field_for(message) or field
            elif editor is not None and len(tail) == 2 and tail[0] in rows:
                hint = editor.field_for(message, row=True)
                field = f"{field}.{hint}" if hint else field
        elif not loc and key and "key must be unique" in message and re.search(rf"\b{re.escape(key)}\b", message):
            field = "key"
        elif not loc and key:
            field = _variant_field(message, key)
        errors.setdefault(field, []).append(message)
    return errors


def _pair_rows(editor: Editor | None, name: str):
    """The rows called ``name`` if the editor stores them as pairs (lists), else None."""
    if editor is None:
        return None
    return next((rows for rows in editor.rows() if rows.name == name and rows.pairs), None)


_DIFFERS = re.compile(r"is a variant of '([^']+)' but its (\w+) differs")


def _variant_field(message: str, key: str) -> str:
    """The field of the edited item a module-wide message about variants belongs next to ("" if none).

    The module validator says which variant is wrong and how; the edited item may be that
    variant (its "Variant of" is wrong, or a shared field differs) or the slot's first item
    (changing its topic, say, leaves a variant behind).
    """
    if message.startswith(f"Item '{key}' is a variant of") or message.startswith(f"item '{key}' is a variant of"):
        differs = _DIFFERS.search(message)
        return differs.group(2) if differs else "variant_of"
    differs = _DIFFERS.search(message)
    if differs and differs.group(1) == key:
        return differs.group(2)
    if f"is a variant of '{key}', which is not a first item" in message:
        return "variant_of"  # it has variants of its own, so it cannot become one
    return ""
