"""Nothing a person reads slips past the translators, and Vietnamese is complete.

- every template, Python module and script of the app passes ``tests/i18n_lint.py``;
- the catalogues hold every message the code has (``pybabel extract`` run here, in memory);
- every message has its Vietnamese text, none fuzzy, with the same placeholders (English is the
  source language: the messages are the English text, so English needs no catalogue);
- the compiled ``.mo`` files are those of the ``.po`` files (``pybabel compile`` was run).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.i18n_lint import ROOT, check

CATALOGUES = ROOT / "training" / "translations"
LANGUAGES = ("vi",)  # every language but English, the source
# Command-line tools speak English (their readers are whoever runs the server), and these
# modules hold no interface text or only list text for the extractor.
NOT_INTERFACE = {
    "training/cli.py",
    "training/form_messages.py",
    "training/services/backup.py",
    "training/services/restore.py",
    "quizzes/i18n.py",
}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
    "pgettext": ((1, "c"), 2),
}


def _sources() -> list[Path]:
    found = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("quizzes/**/templates/**/*.html")]
    found += [*ROOT.glob("training/**/*.py"), *ROOT.glob("quizzes/**/*.py"), ROOT / "app.py"]
    found += [*ROOT.glob("training/static/js/*.js")]
    return sorted(p for p in found if str(p.relative_to(ROOT)) not in NOT_INTERFACE)


def test_every_string_a_person_reads_goes_through_the_translation_functions():
    findings = [str(f) for path in _sources() for f in check(path)]
    assert not findings, "text outside the translation functions:\n" + "\n".join(findings)


def _extracted() -> set[str]:
    method_map = [
        ("training/**.py", "python"),
        ("quizzes/**.py", "python"),
        ("app.py", "python"),
        ("templates/**.html", "jinja2"),
        ("quizzes/**/templates/**.html", "jinja2"),
    ]
    newstyle = {"newstyle_gettext": "true"}
    options_map = {"templates/**.html": newstyle, "quizzes/**/templates/**.html": newstyle}
    messages = extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS, options_map=options_map, comment_tags=())
    return {message if isinstance(message, str) else message[0] for _f, _l, message, _c, _ctx in messages}


def _catalogue(language: str):
    with open(CATALOGUES / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=language)


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return _extracted()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_every_message_of_the_code(extracted, language):
    catalogue = _catalogue(language)
    missing = sorted(m for m in extracted if m and m not in catalogue)
    assert not missing, f"{language}: run `pybabel extract` and `pybabel update` (README, Languages):\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language):
    catalogue = _catalogue(language)
    untranslated = [m.id for m in catalogue if m.id and (not all(m.string) if m.pluralizable else not m.string)]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"{language}: messages without a translation:\n" + "\n".join(map(str, untranslated))
    assert not fuzzy, f"{language}: fuzzy (unchecked) translations:\n" + "\n".join(map(str, fuzzy))
    problems = [f"{m.id!r}: {errors}" for m, errors in catalogue.check() if errors]
    assert not problems, f"{language}: placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_up_to_date(language):
    catalogue = _catalogue(language)
    with open(CATALOGUES / language / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        compiled = read_mo(fh)
    differ = [m.id for m in catalogue if m.id and (compiled.get(m.id) is None or compiled[m.id].string != m.string)]
    assert not differ, f"{language}: run `pybabel compile -d training/translations`:\n" + "\n".join(map(str, differ))
