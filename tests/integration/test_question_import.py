"""Importing GIFT and Aiken questions into a module's draft from the command line."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from training.extensions import db
from training.models import ModuleDraft, ModuleRow, ModuleVersion
from training.services import drafts
from training.services.content import module_by_slug

from .conftest import module_doc

DATA = Path(__file__).parent / "data"
GIFT = DATA / "aftercare.gift"


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["import-questions", *map(str, args)])
    return result.exit_code, result.output


def draft_doc(app, slug):
    with app.app_context():
        draft = drafts.draft_for(module_by_slug(slug))
        return draft.content if draft else None


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count(m.id))) for m in (ModuleRow, ModuleVersion, ModuleDraft))


def test_a_file_with_an_unmappable_question_imports_nothing_by_default(app, academy):
    code, output = run(app, GIFT, "--format", "gift", "--module", "meso-bank")
    assert code == 1 and "nothing was imported" in output
    essay_line = next(n for n, line in enumerate(GIFT.read_text().splitlines(), 1) if line.startswith("::Essay::"))
    assert f"aftercare.gift:{essay_line}" in output and "essay" in output.lower()
    assert counts(app) == (0, 0, 0)


def test_skip_invalid_imports_the_rest_into_a_new_draft_module(app, academy):
    code, output = run(app, GIFT, "--format", "gift", "--module", "meso-bank", "--skip-invalid")
    assert code == 0, output
    assert "3 question(s) imported into a new draft module 'meso-bank'" in output
    assert "skipped:" in output and "essay" in output.lower()
    doc = draft_doc(app, "meso-bank")
    assert [len(case.stages) for case in doc.cases] == [1, 1, 1]
    assert [item.type for item in doc.items()] == ["single", "true-false", "numeric"]
    assert {item.topic.value for item in doc.items()} == {"aftercare"}  # from the GIFT category
    assert all(item.lesson is None for item in doc.items())
    compress = next(doc.items())
    assert compress.explanation.startswith("The academy teaches 10 to 15 minutes")
    assert [c.feedback for c in compress.choices if not c.correct][0].startswith("Far too long")
    assert counts(app) == (1, 0, 1)  # a module row with a draft, nothing published
    with app.app_context():
        problems = drafts.publish_problems(drafts.draft_for(module_by_slug("meso-bank")).content)
    assert len(problems) == 3 and all("lesson section" in message for _, message in problems)


def test_importing_into_a_published_module_starts_its_draft(app, starter):
    code, output = run(app, GIFT, "--format", "gift", "--module", starter, "--skip-invalid")
    assert code == 0, output
    doc = draft_doc(app, starter)
    published = module_doc(app, starter)
    assert len(doc.cases) == len(published.cases) + 3
    assert doc.cases[: len(published.cases)] == published.cases
    assert counts(app)[1] == counts(app)[0]  # still one version per module: students see no change


def test_case_option_puts_the_questions_in_a_new_stage_of_that_case(app, starter):
    first_case = module_doc(app, starter).cases[0]
    code, output = run(app, GIFT, "--format", "gift", "--module", starter, "--case", first_case.key, "--skip-invalid")
    assert code == 0, output
    case = draft_doc(app, starter).cases[0]
    assert len(case.stages) == len(first_case.stages) + 1
    assert len(case.stages[-1].items) == 3


def test_an_unknown_case_is_refused(app, starter):
    code, output = run(app, GIFT, "--format", "gift", "--module", starter, "--case", "nope", "--skip-invalid")
    assert code == 1 and "no case 'nope'" in output
    assert draft_doc(app, starter) is None


def test_malformed_gift_is_refused_with_the_line(app, academy, tmp_path):
    bad = tmp_path / "bad.gift"
    bad.write_text("::One:: Fine? {=yes ~no}\n\n::Two:: Unclosed {=a ~b\n\n::Three:: Weights {~%150%a ~%50%b}\n")
    code, output = run(app, bad, "--format", "gift", "--module", "x-bank")
    assert code == 1
    assert "bad.gift:3" in output and "bad.gift:5" in output and "150%" in output
    assert counts(app) == (0, 0, 0)


def test_aiken_questions_import(app, academy, tmp_path):
    aiken = tmp_path / "q.txt"
    aiken.write_text(
        "Which layer does mesotherapy target?\nA. The mesoderm\nB. The muscle\nANSWER: A\n\n"
        "Where do threads sit?\nA) Beneath the skin\nB) In the bone\nANSWER: A\n"
    )
    code, output = run(app, aiken, "--format", "aiken", "--module", "aiken-bank")
    assert code == 0, output
    doc = draft_doc(app, "aiken-bank")
    assert [item.key_answer() for item in doc.items()] == ["a", "a"]


def test_a_file_that_is_not_utf8_is_refused(app, academy, tmp_path):
    latin = tmp_path / "latin.gift"
    latin.write_bytes("Caf\xe9? {=oui ~non}".encode("latin-1"))
    code, output = run(app, latin, "--format", "gift", "--module", "x-bank")
    assert code != 0 and "not UTF-8" in output


def upload(client, path, **fields):
    import io

    data = {"module": "meso-bank", "format": "gift", **fields}
    data["file"] = (io.BytesIO(Path(path).read_bytes() if not isinstance(path, bytes) else path), "bank.gift")
    return client.post("/author/import", data=data, content_type="multipart/form-data")


def test_upload_form_imports_and_reports(app, instructor_client):
    refused = upload(instructor_client, GIFT)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Nothing was imported." in page and "essay" in page.lower()
    assert counts(app) == (0, 0, 0)
    done = upload(instructor_client, GIFT, skip_invalid="y").get_data(as_text=True)
    assert "3 question(s) imported" in done and "Not imported:" in done
    assert draft_doc(app, "meso-bank") is not None


def test_upload_form_errors_stay_next_to_their_fields(app, instructor_client):
    page = upload(instructor_client, b"\xff\xfe bad bytes", module="Not A Slug").get_data(as_text=True)
    assert "Use lower-case letters" in page and 'value="Not A Slug"' in page
    page = upload(instructor_client, b"Caf\xe9? {=oui ~non}").get_data(as_text=True)
    assert "not UTF-8 text" in page
    assert counts(app) == (0, 0, 0)


def test_students_cannot_import(student_client, academy):
    assert student_client.get("/author/import").status_code == 403
    assert upload(student_client, GIFT).status_code == 403


def test_a_gift_category_names_a_topic_by_its_value_first_word_or_label():
    from training.services.question_import import _topic_from

    assert _topic_from("$course$/Thread lift/Red flags and referral") == "red-flags"
    assert _topic_from("meso/Red flags") == "red-flags"
    assert _topic_from("meso/red-flags") == "red-flags"
    assert _topic_from("meso/Injection volume and product") == "injection-volume"
    assert _topic_from("meso/Injection") == "injection-volume"
    assert _topic_from("meso/Aftercare") == "aftercare"
    assert _topic_from("meso/Flags") is None and _topic_from(None) is None
