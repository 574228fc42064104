"""Editing a module's draft in the browser: change one part of the document, validate, save.

Every change is applied to a copy of the draft's document (a plain dict) and checked with
the engine's own validator (``Module.model_validate``). A change the validator refuses
raises ``EditError`` with messages keyed by form field ("key", "min", "choices.1.text",
"" for the form as a whole) and saves nothing. Functions flush; the caller commits.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from pydantic import ValidationError

from quizzes.content import SHARED_IN_SLOT, Module
from quizzes.items import ITEM_TYPES

from ..extensions import db
from ..models import ModuleDraft, User
from . import drafts
from .content import lessons
from .edit_feedback import clean_markdown, errors_for
from .errors import NotFound, ServiceError
from .item_documents import item_form_data as _form_data
from .item_documents import item_from_form


class EditError(ServiceError):
    """A change that was refused: messages by form field ("" is the form as a whole)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k or 'form'}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class UnknownPart(NotFound):
    """A case, stage or item index that the draft does not have: the handler answers 404."""

    def __init__(self, part: str):
        super().__init__()
        self.part = part


# ---------------------------------------------------------------- draft and document


def working_copy(draft: ModuleDraft) -> dict:
    """A copy of the draft's document to change."""
    return copy.deepcopy(draft.document)


def _locked_copy(draft: ModuleDraft) -> dict:
    """The draft's current document, its row locked until the commit (PostgreSQL), to change.

    Without the lock two authors saving at once could each write their own copy and lose
    the other's change; SQLite gets the same from its BEGIN IMMEDIATE write transactions.
    """
    db.session.refresh(draft, with_for_update=True)
    return copy.deepcopy(draft.document)


def _check(found: dict, expect: str | None, name: str) -> None:
    """Refuse a change to a part that is no longer the one the author opened (someone moved or changed it)."""
    if expect is not None and found.get(name) != expect:
        raise EditError(
            {
                "": [
                    "This part of the draft changed since you opened it (someone else may be editing it). "
                    "Nothing was saved; open it again from the outline."
                ]
            }
        )


def _validate(doc: dict, mapper: Callable[[ValidationError], dict[str, list[str]]]) -> Module:
    try:
        return Module.model_validate(doc)
    except ValidationError as exc:
        raise EditError(mapper(exc)) from None


def _save(draft: ModuleDraft, doc: dict, user: User | None, mapper, change: str, **audited) -> Module:
    """Validate and save the changed document, and record ``change`` (what the author did) in the audit log."""
    module = _validate(doc, mapper)
    drafts.save_draft(draft, module, user)
    drafts.audit_change(draft, user, change, **audited)
    return module


def _changed(before: dict, after: dict) -> str:
    """The fields whose values differ, as " (a, b)" for an audit summary."""
    # An absent field and an empty one are the same to an author.
    names = sorted(k for k in before.keys() | after.keys() if (before.get(k) or None) != (after.get(k) or None))
    return f" ({', '.join(names)})" if names else " (nothing changed)"


def _case(doc: dict, c: int) -> dict:
    if not 0 <= c < len(doc["cases"]):
        raise UnknownPart(f"case {c}")
    return doc["cases"][c]


def _stage(doc: dict, c: int, s: int) -> dict:
    stages = _case(doc, c)["stages"]
    if not 0 <= s < len(stages):
        raise UnknownPart(f"stage {s}")
    return stages[s]


def _item(doc: dict, c: int, s: int, i: int) -> dict:
    items = _stage(doc, c, s)["items"]
    if not 0 <= i < len(items):
        raise UnknownPart(f"item {i}")
    return items[i]


def locked_copy(draft: ModuleDraft) -> dict:
    """The draft's document to change, its row locked until the commit (see ``_locked_copy``)."""
    return _locked_copy(draft)


def set_case_photo(draft: ModuleDraft, c: int, image: str | None, alt: str, user: User | None) -> None:
    """Give case ``c`` a stored photo and its description, or take it away (``image=None``)."""
    doc = _locked_copy(draft)
    case = _case(doc, c)
    before = case.get("image")
    case.update(image=image, image_alt=alt.strip() if image else "")
    change = f"set the photo of case '{case['key']}'" if image else f"removed the photo of case '{case['key']}'"
    _save(
        draft,
        doc,
        user,
        lambda exc: errors_for(exc, ("cases", c)),
        change,
        action="module.photo",
        before={"case": case["key"], "image": before},
        after={"case": case["key"], "image": image},
    )


def part(draft: ModuleDraft, c: int, s: int | None = None, i: int | None = None) -> dict:
    """The case, stage or item at this place in the draft (a copy), or UnknownPart."""
    doc = working_copy(draft)
    if s is None:
        return _case(doc, c)
    if i is None:
        return _stage(doc, c, s)
    return _item(doc, c, s, i)


def _free_key(doc: dict, base: str) -> str:
    """An item key starting with ``base`` that no item of the document uses."""
    used = {item["key"] for case in doc["cases"] for stage in case["stages"] for item in stage["items"]}
    base = base[:76].strip("-") or "item"
    key, n = base, 2
    while key in used:
        key, n = f"{base}-{n}", n + 1
    return key


def slugify(text: str) -> str:
    """A slug made from a title (lower case, digits and dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")


def placeholder_item(key: str) -> dict:
    """A valid item of the first registered type for the author to rewrite (a new stage needs one item)."""
    return next(iter(ITEM_TYPES.values())).placeholder(key)


def placeholder_stage(key: str, title: str = "Stage 1", narrative: str = "") -> dict:
    """A stage with one placeholder item."""
    return {
        "title": title,
        "narrative": narrative or "Tell what has happened by now.",
        "items": [placeholder_item(key)],
    }


# ---------------------------------------------------------------- module


def new_module(data: dict, user: User | None) -> ModuleDraft:
    """Create a module as a draft: its settings and a first case with a placeholder stage and item.

    :param data: slug, title, procedure, summary, pass_mark, case_title, client.
    """
    case_key = slugify(data.get("case_title") or "") or "case-1"
    doc = {
        "slug": (data.get("slug") or "").strip(),
        "title": data.get("title"),
        "procedure": data.get("procedure"),
        "summary": clean_markdown(data.get("summary")),
        "settings": {"pass_mark": data.get("pass_mark")},
        "cases": [
            {
                "key": case_key,
                "title": data.get("case_title"),
                "client": data.get("client"),
                "stages": [placeholder_stage(f"{case_key}-q1"[:80])],
            }
        ],
    }
    rename = {"settings.pass_mark": "pass_mark", "cases.0.title": "case_title", "cases.0.client": "client"}

    def mapper(exc: ValidationError) -> dict[str, list[str]]:
        return {rename.get(k, k): v for k, v in errors_for(exc, ()).items()}

    module = _validate(doc, mapper)
    try:
        return drafts.create_module(module, user)
    except drafts.DraftError as exc:
        raise EditError({"slug": [exc.problems[0][1].capitalize() + "."]}) from None


SETTINGS_FIELDS = (
    "pass_mark",
    "attempts_allowed",
    "time_limit_minutes",
    "retry_wait_hours",
    "feedback",
    "show_answers",
    "safety_gate",
    "certainty_marking",
    "pass_with_bonus",
)
"""The module settings the settings form changes (every one of ``quizzes.content.Settings``)."""
MARKED_SETTINGS = ("retry_wait_hours", "safety_gate", "certainty_marking", "pass_with_bonus")
"""Changed only when the form says it showed them (``safety_fields``): an unticked box is not posted,
so a form without them must not read as 'safety gate off'."""


def update_settings(draft: ModuleDraft, data: dict, user: User | None) -> Module:
    """Change the module's title, summary, procedure and settings (its attempt and feedback policy)."""
    doc = _locked_copy(draft)
    old = _settings_view(doc)
    doc.update(title=data.get("title"), summary=clean_markdown(data.get("summary")), procedure=data.get("procedure"))
    settings = doc.setdefault("settings", {})
    for name in SETTINGS_FIELDS:
        if name in data and (name not in MARKED_SETTINGS or data.get("safety_fields")):
            settings[name] = data[name]
    new = _settings_view(doc)
    names = [k for k in new if old.get(k) != new[k]]

    def mapper(exc):
        # A rule across settings is shown by the field it is about: passing on the bonus by
        # that box, tutor mode with answers held back by the answers field.
        renamed = {k.removeprefix("settings."): v for k, v in errors_for(exc, ()).items()}
        for message in renamed.pop("settings", []):
            field = "pass_with_bonus" if "certainty bonus" in message else "show_answers"
            renamed.setdefault(field, []).append(message)
        return renamed

    return _save(  # the module's row takes the new title when it is published
        draft,
        doc,
        user,
        mapper,
        "changed the settings" + _changed(old, new),
        before={k: old.get(k) for k in names},
        after={k: new[k] for k in names},
    )


def _settings_view(doc: dict) -> dict:
    """The module's title, procedure, summary and settings as one flat dict, to compare before and after."""
    flat = {name: doc.get(name) for name in ("title", "procedure", "summary")}
    return flat | {k: v for k, v in (doc.get("settings") or {}).items()}


# ---------------------------------------------------------------- cases


def _case_fields(data: dict) -> dict:
    return {"key": (data.get("key") or "").strip(), "title": data.get("title"), "client": data.get("client")}


def add_case(draft: ModuleDraft, data: dict, user: User | None) -> int:
    """Add a case (key, title, client) at the end, with a placeholder stage and item; returns its index."""
    doc = _locked_copy(draft)
    fields = _case_fields(data)
    c = len(doc["cases"])
    stage = placeholder_stage(_free_key(doc, f"{fields['key'] or 'case'}-q1"))
    doc["cases"].append(fields | {"stages": [stage]})
    _save(
        draft, doc, user, lambda exc: errors_for(exc, ("cases", c), key=fields["key"]), f"added case '{fields['key']}'"
    )
    return c


def update_case(draft: ModuleDraft, c: int, data: dict, user: User | None, expect: str | None = None) -> None:
    """Change a case's key, title and client."""
    doc = _locked_copy(draft)
    fields = _case_fields(data)
    _check(_case(doc, c), expect, "key")
    old = dict(_case(doc, c))
    _case(doc, c).update(fields)
    change = f"changed case '{old['key']}'" + _changed(old, _case(doc, c))
    _save(draft, doc, user, lambda exc: errors_for(exc, ("cases", c), key=fields["key"]), change)


def delete_case(draft: ModuleDraft, c: int, user: User | None, expect: str | None = None) -> dict:
    """Remove a case (never the last one); returns what was removed."""
    doc = _locked_copy(draft)
    removed = _case(doc, c)
    _check(removed, expect, "key")
    if len(doc["cases"]) == 1:
        raise EditError({"": ["A module needs at least one case, so its last case cannot be deleted."]})
    del doc["cases"][c]
    _save(draft, doc, user, lambda exc: errors_for(exc, ()), f"deleted case '{removed['key']}'")
    return removed


def _move(parts: list, index: int, direction: str) -> int:
    """Swap a part with its neighbour; returns its new index (unchanged at either end)."""
    if direction not in ("up", "down"):
        raise EditError({"": ["Move up or down."]})
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(parts):
        return index
    parts[index], parts[target] = parts[target], parts[index]
    return target


def move_case(draft: ModuleDraft, c: int, direction: str, user: User | None, expect: str | None = None) -> int:
    """Move a case up or down; returns its new index."""
    doc = _locked_copy(draft)
    _check(_case(doc, c), expect, "key")
    new = _move(doc["cases"], c, direction)
    _save(draft, doc, user, lambda exc: errors_for(exc, ()), f"moved case '{doc['cases'][new]['key']}' {direction}")
    return new


# ---------------------------------------------------------------- stages


def _stage_fields(data: dict) -> dict:
    return {"title": data.get("title"), "narrative": clean_markdown(data.get("narrative"))}


def add_stage(draft: ModuleDraft, c: int, data: dict, user: User | None) -> int:
    """Add a stage (title, narrative) at the end of a case, with a placeholder item; returns its index."""
    doc = _locked_copy(draft)
    case = _case(doc, c)
    s = len(case["stages"])
    stage = placeholder_stage(_free_key(doc, f"{case['key']}-s{s + 1}-q1"))
    case["stages"].append(stage | _stage_fields(data))
    change = f"added stage {s + 1} to case '{case['key']}'"
    _save(draft, doc, user, lambda exc: errors_for(exc, ("cases", c, "stages", s)), change)
    return s


def update_stage(draft: ModuleDraft, c: int, s: int, data: dict, user: User | None, expect: str | None = None) -> None:
    """Change a stage's title and narrative."""
    doc = _locked_copy(draft)
    _check(_stage(doc, c, s), expect, "title")
    old = dict(_stage(doc, c, s))
    _stage(doc, c, s).update(_stage_fields(data))
    change = f"changed stage {s + 1} of case '{_case(doc, c)['key']}'" + _changed(old, _stage(doc, c, s))
    _save(draft, doc, user, lambda exc: errors_for(exc, ("cases", c, "stages", s)), change)


def delete_stage(draft: ModuleDraft, c: int, s: int, user: User | None, expect: str | None = None) -> dict:
    """Remove a stage (never the last of its case)."""
    doc = _locked_copy(draft)
    removed = _stage(doc, c, s)
    _check(removed, expect, "title")
    if len(doc["cases"][c]["stages"]) == 1:
        raise EditError({"": ["A case needs at least one stage, so its last stage cannot be deleted."]})
    del doc["cases"][c]["stages"][s]
    change = f"deleted stage '{removed['title']}' of case '{_case(doc, c)['key']}'"
    _save(draft, doc, user, lambda exc: errors_for(exc, ()), change)
    return removed


def move_stage(draft: ModuleDraft, c: int, s: int, direction: str, user: User | None, expect: str | None = None) -> int:
    """Move a stage up or down within its case; returns its new index."""
    doc = _locked_copy(draft)
    _check(_stage(doc, c, s), expect, "title")
    new = _move(doc["cases"][c]["stages"], s, direction)
    change = f"moved stage '{_stage(doc, c, new)['title']}' of case '{_case(doc, c)['key']}' {direction}"
    _save(draft, doc, user, lambda exc: errors_for(exc, ()), change)
    return new


# ---------------------------------------------------------------- items


def save_item(
    draft: ModuleDraft,
    c: int,
    s: int,
    i: int | None,
    item_type: str,
    data: dict,
    user: User | None,
    expect: str | None = None,
) -> int:
    """Add (``i`` None, at the end of the stage) or replace an item; returns its index."""
    doc = _locked_copy(draft)
    items = _stage(doc, c, s)["items"]
    existing = None if i is None else _item(doc, c, s, i)
    if existing is not None:
        _check(existing, expect, "key")
    if item_type not in ITEM_TYPES:
        raise UnknownPart(item_type)
    item, rows = item_from_form(ITEM_TYPES[item_type], data, existing)
    if i is None:
        i = len(items)
        items.append(item)
        change = f"added question '{item['key']}'"
    else:
        items[i] = item
        change = f"changed question '{existing['key']}'" + _changed(existing, item)
        _carry_to_variants(items, existing["key"], item)
    prefix = ("cases", c, "stages", s, "items", i)
    editor = ITEM_TYPES[item_type].editor

    def mapper(exc: ValidationError) -> dict[str, list[str]]:
        return errors_for(exc, prefix, tag=item_type, key=item["key"], rows=rows, editor=editor)

    _save(draft, doc, user, mapper, change)
    return i


def _carry_to_variants(items: list[dict], old_key: str, first: dict) -> None:
    """A slot's first item changed: its variants follow its key and what a slot shares."""
    if first.get("variant_of"):
        return
    for other in items:
        if other is not first and other.get("variant_of") == old_key:
            other["variant_of"] = first["key"]
            other.update({name: first.get(name) for name in SHARED_IN_SLOT})


def delete_item(draft: ModuleDraft, c: int, s: int, i: int, user: User | None, expect: str | None = None) -> dict:
    """Remove an item (never the last of its stage)."""
    doc = _locked_copy(draft)
    removed = _item(doc, c, s, i)
    _check(removed, expect, "key")
    if len(doc["cases"][c]["stages"][s]["items"]) == 1:
        raise EditError({"": ["A stage needs at least one item, so its last item cannot be deleted."]})
    variants = [item["key"] for item in _stage(doc, c, s)["items"] if item.get("variant_of") == removed["key"]]
    if variants:
        raise EditError(
            {
                "": [
                    f"Question '{removed['key']}' is the first of its slot, with variants ({', '.join(variants)}): "
                    "delete them first, or make one of them a question of its own."
                ]
            }
        )
    del doc["cases"][c]["stages"][s]["items"][i]
    _save(draft, doc, user, lambda exc: errors_for(exc, ()), f"deleted question '{removed['key']}'")
    return removed


def move_item(
    draft: ModuleDraft, c: int, s: int, i: int, direction: str, user: User | None, expect: str | None = None
) -> int:
    """Move an item up or down within its stage; returns its new index."""
    doc = _locked_copy(draft)
    _check(_item(doc, c, s, i), expect, "key")
    new = _move(doc["cases"][c]["stages"][s]["items"], i, direction)
    change = f"moved question '{_item(doc, c, s, new)['key']}' {direction}"
    _save(draft, doc, user, lambda exc: errors_for(exc, ()), change)
    return new


def add_variant(draft: ModuleDraft, c: int, s: int, i: int, user: User | None, expect: str | None = None) -> int:
    """Add a variant of item ``i``'s slot: a copy right after it, for the author to reword; returns its index.

    The copy's key is the slot's key with ``-v2`` (or the next free number); it shares the
    slot's topic, lesson, points and safety-critical mark, as the module validator requires.
    """
    doc = _locked_copy(draft)
    original = _item(doc, c, s, i)
    _check(original, expect, "key")
    slot = original.get("variant_of") or original["key"]
    variant = copy.deepcopy(original)
    variant.update(key=_variant_key(doc, slot), variant_of=slot)
    _stage(doc, c, s)["items"].insert(i + 1, variant)
    _save(
        draft,
        doc,
        user,
        lambda exc: errors_for(exc, ()),
        f"added variant '{variant['key']}' of question '{slot}'",
        after={"key": variant["key"], "variant_of": slot},
    )
    return i + 1


def _variant_key(doc: dict, slot: str) -> str:
    """``<slot>-v2``, or the next number no item of the document uses."""
    used = {item["key"] for case in doc["cases"] for stage in case["stages"] for item in stage["items"]}
    base = slot[:76].rstrip("-") or "item"
    n = 2
    while f"{base}-v{n}" in used:
        n += 1
    return f"{base}-v{n}"


# ---------------------------------------------------------------- what the forms show


def variant_choices(draft: ModuleDraft, c: int, s: int, i: int | None) -> list[tuple[str, str]]:
    """The slots an item of stage ``s`` may be a variant of: the stage's first items other than item ``i``."""
    items = part(draft, c, s)["items"]
    return [
        (item["key"], f"{item['key']}: {_words(item['prompt'])}")
        for n, item in enumerate(items)
        if n != i and not item.get("variant_of")
    ]


def _words(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def slot_positions(module: Module) -> dict[str, tuple[int, int]]:
    """Item key -> (its place in its slot from 1, the slot's size), for items in a slot of two or more."""
    out = {}
    for keys in module.slots().values():
        if len(keys) > 1:
            out.update({key: (n, len(keys)) for n, key in enumerate(keys, 1)})
    return out


def safety_counts(modules) -> dict[str, dict[str, int]]:
    """Per module slug: safety-critical questions, questions with a harmful answer marked, slots with variants."""
    out = {}
    for module in modules:
        items = list(module.items())
        out[module.slug] = {
            "safety_critical": sum(1 for item in items if item.safety_critical),
            "harmful": sum(1 for item in items if item.harmful_parts()),
            "varied_slots": sum(1 for keys in module.slots().values() if len(keys) > 1),
        }
    return out


def item_form_data(item_type: str, item: dict | None) -> dict:
    """What the form of an item of ``item_type`` shows: the item's fields, its rows plus blank ones."""
    return _form_data(ITEM_TYPES[item_type], item)


def lesson_choices(current: str | None = None) -> list[tuple[str, str]]:
    """Every known lesson section as (``slug#anchor``, "Section (lesson)"), in teaching order.

    The section comes first: it is what tells the choices apart when a narrow select cuts the text.

    A reference to a section that no longer exists stays selectable, marked as missing,
    so editing an item never drops it silently.
    """
    out = [(f"{row.slug}#{s.anchor}", f"{s.title} ({row.title})") for row in lessons() for s in row.content.sections]
    if current and current not in {v for v, _ in out}:
        out.insert(0, (current, f"{current} (no such lesson section)"))
    return out
