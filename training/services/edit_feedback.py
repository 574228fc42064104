"""What authors are told and what is kept of what they type: Markdown sanitising, and
the engine's validation errors mapped to the form fields that caused them."""

from __future__ import annotations

import re

import nh3
from pydantic import ValidationError

# Texts rendered as Markdown (and so sanitised when saved); other texts are escaped on display.
MARKDOWN_FIELDS = {"prompt", "explanation", "narrative", "summary", "feedback", "feedback_true", "feedback_false"}
MARKDOWN_FIELDS |= {"feedback_low", "feedback_high"}
# The repeated parts of each item type, and the text fields a row of each has.
ROW_FIELDS = {
    "choices": ("text", "feedback"),
    "steps": ("text",),
    "prompts": ("text", "feedback"),
    "options": ("text",),
}
_ENTITY = re.compile(r"&(gt|amp);")


def clean_markdown(text: str | None) -> str:
    """Strip every HTML tag from authored Markdown, keeping the Markdown itself.

    nh3 removes tags (and the content of script/style) and escapes what is left; ``&gt;``
    and ``&amp;`` are turned back so Markdown quotes work and re-saving the text does not
    escape it again. No ``<`` survives, so no tag can form; rendering sanitises once more.
    """
    cleaned = nh3.clean(text or "", tags=set())
    return _ENTITY.sub(lambda m: ">" if m.group(1) == "gt" else "&", cleaned)


def clean_texts(data: dict) -> dict:
    """Sanitise the Markdown fields of a part and of its rows."""
    out = dict(data)
    for name in MARKDOWN_FIELDS & out.keys():
        if isinstance(out[name], str):
            out[name] = clean_markdown(out[name])
    for rows in ROW_FIELDS:
        if isinstance(out.get(rows), list):
            out[rows] = [clean_texts(r) for r in out[rows]]
    return out


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


# Messages of whole-object validators, and the field they belong next to.
_MESSAGE_FIELDS = (
    ("range is reversed", "min"),
    ("correct choice", "choices"),
    ("choice ids", "choices"),
    ("step ids", "steps"),
    ("prompt ids", "prompts"),
    ("which is not an option", "prompts"),
    ("option ids", "options"),
    ("needs feedback", "feedback"),
)


def errors_for(
    exc: ValidationError, prefix: tuple, *, tag: str | None = None, key: str | None = None, rows: dict | None = None
) -> dict[str, list[str]]:
    """Map validation errors under ``prefix`` (the edited part's place in the document) to form fields.

    :param tag: the item type, which pydantic puts in the path of a discriminated union.
    :param key: the edited part's key, to place "repeated key" errors next to its key field.
    :param rows: document row index -> form row index, per row list (blank rows are left out).
    """
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc, message = tuple(err["loc"]), _friendly(err)
        field = ""
        if loc[: len(prefix)] == prefix:
            tail = list(loc[len(prefix) :])
            if tag and tail and tail[0] == tag:
                tail = tail[1:]
            if len(tail) >= 2 and tail[0] in ROW_FIELDS and isinstance(tail[1], int) and rows:
                tail[1] = rows.get(tail[0], {}).get(tail[1], tail[1])
            field = ".".join(str(p) for p in tail)
            if len(tail) <= 2:  # an object-level message: find its field from what it says
                hint = next((f for text, f in _MESSAGE_FIELDS if text in message), None)
                if hint == "feedback" and len(tail) == 2:
                    field = f"{field}.feedback"
                elif hint and not tail:
                    field = hint
        elif not loc and key and "key must be unique" in message and re.search(rf"\b{re.escape(key)}\b", message):
            field = "key"
        errors.setdefault(field, []).append(message)
    return errors
