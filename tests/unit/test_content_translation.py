"""The engine's content translations: paths, status, fallback, keys kept, short answers accepted."""

from __future__ import annotations

from quizzes.content import Module, TranslatedText
from quizzes.formats.packs import read_pack
from quizzes.translation import fingerprint, reading, status, texts_of, translated

SHORT = {
    "key": "sa",
    "type": "short-answer",
    "prompt": "Which nerve?",
    "explanation": "The facial nerve.",
    "topic": "anatomy",
    "answers": [{"text": "facial nerve", "percent": 100}],
}
CHOICE = {
    "key": "mc",
    "type": "single",
    "prompt": "Pick one",
    "explanation": "Because.",
    "topic": "aftercare",
    "choices": [
        {"id": "a", "text": "Cold compress", "correct": True},
        {"id": "b", "text": "Heat", "feedback": "Heat adds swelling."},
    ],
}


def module(**extra) -> Module:
    stage = {"title": "Day 1", "narrative": "She calls.", "items": [CHOICE, SHORT]}
    case = {"key": "c1", "title": "Case", "client": "Woman, 40", "stages": [stage]}
    return Module.model_validate(
        {"slug": "m", "title": "T", "procedure": "mixed", "summary": "S", "cases": [case], **extra}
    )


def entry(text: str, original: str) -> TranslatedText:
    return TranslatedText(text=text, of=fingerprint(original))


def test_paths_are_keys():
    paths = texts_of(module())
    assert paths["cases.c1.stages.1.narrative"] == "She calls."
    assert paths["items.mc.choices.b.feedback"] == "Heat adds swelling."
    assert paths["items.sa.answers.1.text"] == "facial nerve"
    assert "items.mc.choices.a.feedback" not in paths  # empty optional texts are left out


def test_status_missing_and_outdated():
    doc = module()
    entries = {"title": entry("Tiêu đề", "T"), "summary": entry("Tóm tắt", "an older summary")}
    missing, outdated, coverage = status(doc, entries)
    assert outdated == ["summary"] and "title" not in missing and "cases.c1.title" in missing
    assert 0 < coverage < 1


def test_missing_and_outdated_fall_back_and_keys_stay():
    doc = module()
    entries = {
        "items.mc.prompt": entry("Chọn một", "Pick one"),
        "items.mc.choices.a.text": entry("Chườm lạnh", "Cold compress"),
        "items.mc.explanation": entry("Vì sai", "an older explanation"),
    }
    shown, fell_back = translated(doc, entries)
    item = shown.item_map()["mc"]
    assert item.prompt == "Chọn một" and item.choices[0].text == "Chườm lạnh"
    assert item.explanation == "Because." and "items.mc.explanation" in fell_back
    assert [c.id for c in item.choices] == ["a", "b"] and item.key_answer() == doc.item_map()["mc"].key_answer()
    assert item.grade("a") == doc.item_map()["mc"].grade("a")


def test_short_answer_accepts_translation_in_addition_in_every_language():
    vi = {"items.sa.answers.1.text": entry("dây thần kinh mặt", "facial nerve")}
    doc = module(translations={"vi": vi})
    for language in ("vi", "en", None):
        item = reading(doc, language).doc.item_map()["sa"]
        assert item.grade("facial nerve").is_full and item.grade("Dây thần kinh mặt").is_full
    assert not module().item_map()["sa"].grade("dây thần kinh mặt").is_full


def test_no_translation_reads_as_written():
    shown = reading(module(), "vi")
    assert not shown.translated and shown.doc.title == "T"


def test_shipped_translation_is_current():
    pack = read_pack("quizzes/packs")
    doc = next(d for _f, d in pack.modules if d.translations)
    assert not status(doc, doc.translations["vi"]).outdated
    assert not [w for w in pack.warnings if "outdated" in w.message]
