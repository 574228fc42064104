"""Content translations: a module or lesson read in another language, by the same keys.

Every text a person reads in a document has a *path* of keys (``texts_of``):

- module: ``title``, ``summary``; ``cases.<case key>.title`` / ``.client`` / ``.image_alt``;
  ``cases.<case key>.stages.<n>.title`` / ``.narrative`` (stages have no keys: ``n`` counts
  from 1 in the case); ``items.<item key>.<part>``, where the item type says what its parts
  are (``Item.texts``): ``prompt``, ``explanation``, ``choices.<id>.text`` / ``.feedback``,
  ``steps.<id>.text``, ``prompts.<id>.text`` / ``.feedback``, ``options.<id>.text``,
  ``units``, ``feedback_low`` / ``feedback_high``, ``feedback_true`` / ``feedback_false``,
  ``answers.<n>.text`` / ``.feedback`` (short answer, ``n`` from 1), ``feedback_wrong``;
- lesson: ``title``, ``summary``, ``sections.<anchor>.title`` / ``.body``.

A document's ``translations`` maps a language to ``{path: TranslatedText(text, of)}``, where
``of`` is the ``fingerprint`` of the original text the translation was made from. A path
whose translation is empty or absent is *missing*; one whose original has changed since
(fingerprints differ) is *outdated*. Both fall back to the original text: an outdated
translation may say something clinically different, so it is never shown.

Translating changes texts only: keys, ids, answers and points stay, so grading, analysis,
mastery and review treat both languages as one question. The one exception is short
answer, whose answers are words: a translated accepted answer is accepted IN ADDITION to
the originals (``accepting``), in every language, so a mark never depends on the page's
language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import NamedTuple

from .content import Lesson, Module, TranslatedText

Doc = Module | Lesson
Entries = Mapping[str, TranslatedText]


def fingerprint(text: str) -> str:
    """8 hex characters of the SHA-256 of ``text`` (as stored, surrounding spaces removed)."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:8]


def texts_of(doc: Doc) -> dict[str, str]:
    """Every translatable text of ``doc`` by path, in reading order (empty optional texts left out)."""
    out: dict[str, str] = {"title": doc.title, "summary": doc.summary}
    if isinstance(doc, Lesson):
        for section in doc.sections:
            out[f"sections.{section.anchor}.title"] = section.title
            out[f"sections.{section.anchor}.body"] = section.body
        return out
    for case in doc.cases:
        where = f"cases.{case.key}"
        out[f"{where}.title"] = case.title
        out[f"{where}.client"] = case.client
        if case.image_alt:
            out[f"{where}.image_alt"] = case.image_alt
        for n, stage in enumerate(case.stages, start=1):
            out[f"{where}.stages.{n}.title"] = stage.title
            out[f"{where}.stages.{n}.narrative"] = stage.narrative
            for item in stage.items:
                out.update({f"items.{item.key}.{path}": text for path, text in item.texts().items()})
    return out


class Status(NamedTuple):
    """How complete one language's translation is."""

    missing: list[str]  # paths with no translation (or an empty one)
    outdated: list[str]  # paths translated from an earlier original
    coverage: float  # share of the paths with a current translation, 0..1


def status(doc: Doc, entries: Entries) -> Status:
    """Missing and outdated paths of ``entries`` (one language's translation), in reading order."""
    texts = texts_of(doc)
    missing, outdated = [], []
    for path, original in texts.items():
        entry = entries.get(path)
        if entry is None or not entry.text.strip():
            missing.append(path)
        elif entry.of != fingerprint(original):
            outdated.append(path)
    current = len(texts) - len(missing) - len(outdated)
    return Status(missing, outdated, current / len(texts) if texts else 1.0)


def unknown(doc: Doc, entries: Entries) -> list[str]:
    """Paths of ``entries`` that name no text of ``doc`` (a typo, or a part since removed)."""
    texts = texts_of(doc)
    return [path for path in entries if path not in texts]


def current(doc: Doc, entries: Entries) -> dict[str, str]:
    """The translations that may be shown: present, not empty and made from today's original."""
    texts = texts_of(doc)
    return {
        path: entry.text.strip()
        for path, entry in entries.items()
        if path in texts and entry.text.strip() and entry.of == fingerprint(texts[path])
    }


def translated(doc: Doc, entries: Entries) -> tuple[Doc, list[str]]:
    """``doc`` with its texts in the language of ``entries``, and the paths that fell back to the original.

    Missing and outdated texts keep the original. Not validated again: a view of a validated
    document with the same keys, ids and answers.
    """
    good = current(doc, entries)
    fell_back = [path for path in texts_of(doc) if path not in good]
    return _replaced(doc, good), fell_back


def _replaced(doc: Doc, texts: Mapping[str, str]) -> Doc:
    top = {name: texts[name] for name in ("title", "summary") if name in texts}
    if isinstance(doc, Lesson):
        sections = [
            section.model_copy(update=_fields(texts, f"sections.{section.anchor}", ("title", "body")))
            for section in doc.sections
        ]
        return doc.model_copy(update={**top, "sections": sections})
    cases = []
    for case in doc.cases:
        where = f"cases.{case.key}"
        stages = []
        for n, stage in enumerate(case.stages, start=1):
            items = [item.with_texts(_below(texts, f"items.{item.key}.")) for item in stage.items]
            stages.append(
                stage.model_copy(
                    update={**_fields(texts, f"{where}.stages.{n}", ("title", "narrative")), "items": items}
                )
            )
        update = _fields(texts, where, ("title", "client", "image_alt"))
        cases.append(case.model_copy(update={**update, "stages": stages}))
    return doc.model_copy(update={**top, "cases": cases})


def _fields(texts: Mapping[str, str], where: str, names: tuple[str, ...]) -> dict[str, str]:
    return {name: texts[f"{where}.{name}"] for name in names if f"{where}.{name}" in texts}


def _below(texts: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {path.removeprefix(prefix): text for path, text in texts.items() if path.startswith(prefix)}


def accepting(doc: Module) -> Module:
    """``doc`` whose items also accept the current translated answers of every language (short answer).

    What attempts are graded against, whatever the reader's language; for a module without
    such translations it is ``doc`` itself.
    """
    languages = [current(doc, entries) for entries in doc.translations.values()]
    if not any(path.startswith("items.") and ".answers." in path for texts in languages for path in texts):
        return doc
    cases = [
        case.model_copy(
            update={
                "stages": [
                    stage.model_copy(
                        update={
                            "items": [
                                item.accepting([_below(texts, f"items.{item.key}.") for texts in languages])
                                for item in stage.items
                            ]
                        }
                    )
                    for stage in case.stages
                ]
            }
        )
        for case in doc.cases
    ]
    return doc.model_copy(update={"cases": cases})


class Reading(NamedTuple):
    """A document as one reader gets it."""

    doc: Doc
    language: str  # the language it is shown in (its own when no translation is used)
    translated: bool  # True when a translation into the reader's language exists and is used
    fell_back: list[str]  # paths shown in the original language although a translation exists


def reading(doc: Doc, language: str | None) -> Reading:
    """``doc`` for a reader of ``language``: translated where a translation exists, else as written.

    A module is first made ``accepting`` (see there), so its grading is the same in every language.
    """
    if isinstance(doc, Module):
        doc = accepting(doc)
    entries = doc.translations.get(language or "") if language and language != doc.language else None
    if not entries:
        return Reading(doc, doc.language, False, [])
    shown, fell_back = translated(doc, entries)
    if len(fell_back) == len(texts_of(doc)):  # nothing usable: as good as no translation
        return Reading(doc, doc.language, False, [])
    return Reading(shown, language, True, fell_back)


def template(doc: Doc, language: str) -> dict[str, TranslatedText]:
    """Every path of ``doc`` with its fingerprint, keeping the texts of ``doc.translations[language]``
    that are still current (the start of a translation file, or its refresh)."""
    kept = current(doc, doc.translations.get(language, {}))
    return {path: TranslatedText(text=kept.get(path, ""), of=fingerprint(text)) for path, text in texts_of(doc).items()}
