"""Certificates: issued by a passing attempt, listed, downloaded as PDF, verified by anyone."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from training.database import writing
from training.extensions import db
from training.models import Certificate, User
from training.services import certificates as certificate_service
from training.services import content

from .conftest import count_queries, login, make_user, module_doc, start_attempt, teach_cohort
from .helpers import key_values, page_ref, page_values, wrong_values

CODE_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def take_module(client, app, slug, values=key_values):
    """Start the module and answer every stage with ``values(item)``, then submit; returns the attempt id."""
    doc = module_doc(app, slug)
    attempt_id = start_attempt(client, slug)
    stages = doc.stages()
    for ref in stages:
        action = "submit" if ref.index == len(stages) - 1 else "next"
        data = {"stage": str(ref.index), "action": action, "confirm": action}
        for item in ref.stage.items:
            data[f"item-{page_ref(app, attempt_id, item.key)}"] = page_values(app, attempt_id, item, values(item))
        response = client.post(f"/attempts/{attempt_id}", data=data)
        assert response.status_code == 302, response.data
    return attempt_id


def all_certificates(app) -> list[Certificate]:
    with app.app_context():
        rows = list(db.session.scalars(select(Certificate).order_by(Certificate.id)))
        db.session.expunge_all()
        return rows


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def client_for(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def passed(app, student_client, starter) -> Certificate:
    """The student has passed the starter module once; returns the certificate."""
    take_module(student_client, app, starter)
    (certificate,) = all_certificates(app)
    return certificate


# Issuing


def test_passing_an_attempt_issues_exactly_one_certificate(app, student_client, starter, student):
    attempt_id = take_module(student_client, app, starter)
    (certificate,) = all_certificates(app)
    doc = module_doc(app, starter)
    assert certificate.attempt_id == attempt_id and certificate.user_id == student
    assert certificate.student_name == "Sam"
    assert certificate.academy_name == "Test Academy"
    assert certificate.module_title == doc.title
    assert certificate.version_number == 1
    assert certificate.score_percent == pytest.approx(100.0)
    assert certificate.issued_at.tzinfo is not None
    assert CODE_SHAPE.match(certificate.code)
    with app.app_context():
        assert certificate_service.certificate_for_attempt(attempt_id).code == certificate.code


def test_a_failed_attempt_issues_no_certificate(app, student_client, starter):
    attempt_id = take_module(student_client, app, starter, values=wrong_values)
    assert all_certificates(app) == []
    with app.app_context():
        assert certificate_service.certificate_for_attempt(attempt_id) is None


def test_a_second_pass_of_the_same_version_issues_nothing_new(app, student_client, passed, starter):
    second = take_module(student_client, app, starter)
    assert [c.code for c in all_certificates(app)] == [passed.code]
    with app.app_context():
        assert certificate_service.certificate_for_attempt(second) is None


def test_passing_a_newer_version_issues_a_new_certificate(app, student_client, passed, starter):
    doc = module_doc(app, starter)
    with app.app_context(), writing():
        content.publish(doc.model_copy(update={"title": doc.title + " (revised)"}), None)
        db.session.commit()
    take_module(student_client, app, starter)
    first, second = all_certificates(app)
    assert first.code == passed.code
    assert (second.version_number, second.module_title) == (2, doc.title + " (revised)")
    assert second.code != first.code


def test_codes_are_random_and_read_back_however_they_are_typed(ctx):
    codes = {certificate_service.new_code() for _ in range(200)}
    assert len(codes) == 200 and all(CODE_SHAPE.match(code) for code in codes)
    assert certificate_service.normalise_code(" 7kq2 m9xd-4tpv 8r3c ") == "7KQ2-M9XD-4TPV-8R3C"
    assert certificate_service.normalise_code("OIL0-0000-0000-0000") == "0110-0000-0000-0000"
    for bad in ("", None, "7KQ2-M9XD-4TPV", "7KQ2-M9XD-4TPV-8R3CX", "7KQ2-M9XD-4TPV-8R3U", "<script>"):
        assert certificate_service.normalise_code(bad) is None


# The student's list


def test_my_certificates_lists_module_version_date_score_code_and_download(student_client, passed):
    page = student_client.get("/certificates").get_data(as_text=True)
    assert passed.module_title in page and "version 1" in page
    assert f"{passed.issued_at.day} {passed.issued_at:%b %Y}" in page
    assert "100%" in page and passed.code in page
    assert f'href="/certificates/{passed.code}.pdf"' in page and "Download PDF" in page


def test_my_certificates_shows_only_my_own(other_client, passed):
    page = other_client.get("/certificates").get_data(as_text=True)
    assert passed.code not in page and "No certificates yet" in page


def test_my_certificates_needs_sign_in(app, academy):
    response = app.test_client().get("/certificates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_my_certificates_query_count_does_not_grow_with_certificates(app, student_client, student, starter):
    take_module(student_client, app, starter)
    with count_queries(app) as one:
        assert student_client.get("/certificates").status_code == 200
    doc = module_doc(app, starter)
    for n in range(2, 5):
        with app.app_context(), writing():
            content.publish(doc.model_copy(update={"title": f"{doc.title} {n}"}), None)
            db.session.commit()
        take_module(student_client, app, starter)
    assert len(all_certificates(app)) == 4
    with count_queries(app) as four:
        page = student_client.get("/certificates").get_data(as_text=True)
    assert page.count("Download PDF") == 4
    assert len(four) == len(one)


# The PDF


def test_owner_downloads_the_pdf_with_name_module_score_code_and_link(student_client, passed):
    response = student_client.get(f"/certificates/{passed.code}.pdf")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-thread-lift-nerve-pain-{passed.code}.pdf"'
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response)
    for expected in ("Certificate of completion", "Test Academy".upper(), "Sam", passed.module_title, "100%"):
        assert expected in text, expected
    assert passed.code in text
    assert f"http://localhost/verify/{passed.code}" in text
    assert "Version 1" in text


def test_the_pdf_is_a4_landscape(student_client, passed):
    reader = PdfReader(io.BytesIO(student_client.get(f"/certificates/{passed.code}.pdf").data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


def test_the_pdf_accepts_a_code_typed_in_lower_case(student_client, passed):
    assert student_client.get(f"/certificates/{passed.code.lower()}.pdf").status_code == 200


def test_a_unicode_name_renders_and_glyphs_the_font_lacks_do_not_break_it(app, starter):
    make_user(app, "lz@example.com", name="Łukasz Zoë 王芳")
    client = client_for(app, "lz@example.com")
    take_module(client, app, starter)
    (certificate,) = all_certificates(app)
    assert certificate.student_name == "Łukasz Zoë 王芳"
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response)
    assert "Łukasz Zoë" in text
    # DejaVu has no CJK glyphs: they print as the replacement character, not as nothing.
    assert "Łukasz Zoë \ufffd\ufffd" in text
    # The verification page, drawn by the browser, shows the name exactly.
    assert "Łukasz Zoë 王芳" in app.test_client().get(f"/verify/{certificate.code}").get_data(as_text=True)


def test_another_student_gets_404_for_my_certificate(other_client, passed):
    assert other_client.get(f"/certificates/{passed.code}.pdf").status_code == 404


def test_an_unknown_code_gets_the_same_404(student_client, passed):
    assert student_client.get("/certificates/0000-0000-0000-0000.pdf").status_code == 404
    assert student_client.get("/certificates/not-a-code.pdf").status_code == 404


def test_an_instructor_who_does_not_teach_the_student_gets_404(instructor_client, passed):
    assert instructor_client.get(f"/certificates/{passed.code}.pdf").status_code == 404


def test_an_instructor_who_teaches_the_student_downloads_it(app, instructor_client, instructor, student, passed):
    teach_cohort(app, instructor, student, "Spring 2027 thread lifts")
    response = instructor_client.get(f"/certificates/{passed.code}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_an_admin_downloads_any_certificate(app, passed):
    admin = client_for(app, "admin@example.com")
    assert admin.get(f"/certificates/{passed.code}.pdf").status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in_for_the_pdf(app, passed):
    response = app.test_client().get(f"/certificates/{passed.code}.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Public verification


def test_anyone_can_verify_a_code_and_sees_only_the_certificate(app, starter, passed):
    response = app.test_client().get(f"/verify/{passed.code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Valid certificate" in page
    for expected in ("Test Academy", "Sam", passed.module_title, "version 1", "100%"):
        assert expected in page, expected
    assert f"{passed.issued_at.day} {passed.issued_at:%b %Y}" in page
    assert "sam@example.com" not in page
    assert f"/users/{passed.user_id}" not in page and "Sign out" not in page
    assert '<meta name="robots" content="noindex">' in page


def test_verify_shows_nothing_about_the_students_other_work(app, student_client, passed):
    with app.app_context():
        other_titles = [
            doc.title
            for doc in (content.latest_version(entry.module.id).content for entry in content.catalogue())
            if doc.title != passed.module_title
        ]
    assert other_titles
    page = app.test_client().get(f"/verify/{passed.code}").get_data(as_text=True)
    assert not [title for title in other_titles if title in page]


@pytest.mark.parametrize("typed", ["lower", "spaces", "lookalikes"])
def test_a_code_typed_loosely_still_verifies(app, passed, typed):
    code = passed.code
    if typed == "lower":
        url = f"/verify/{code.lower()}"
    elif typed == "spaces":
        url = f"/verify/{code.replace('-', ' ').lower()}"
    else:
        url = f"/verify/{code.replace('0', 'O').replace('1', 'l').replace('-', '')}"
    response = app.test_client().get(url)
    assert response.status_code == 200 and "Valid certificate" in response.get_data(as_text=True)


@pytest.mark.parametrize("code", ["0000-0000-0000-0000", "not-a-code", "ZZZZ"])
def test_an_unknown_or_malformed_code_is_404_with_the_form_to_try_again(app, passed, code):
    response = app.test_client().get(f"/verify/{code}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "No certificate has this code" in page and "Valid certificate" not in page
    assert 'name="code"' in page and f'value="{code}"' in page


def test_the_verify_form_get_redirects_to_the_code_page(app, passed):
    client = app.test_client()
    assert client.get("/verify").status_code == 200
    response = client.get("/verify", query_string={"code": passed.code.lower().replace("-", " ")})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{passed.code}"
    assert "Valid certificate" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_verify_form_post_redirects_to_the_code_page(app, passed):
    response = app.test_client().post("/verify", data={"code": passed.code})
    assert response.status_code == 302 and response.headers["Location"] == f"/verify/{passed.code}"


def test_the_verify_form_post_needs_a_csrf_token_when_csrf_is_on(app, passed):
    app.config["WTF_CSRF_ENABLED"] = True  # clean_db turns it off again
    assert app.test_client().post("/verify", data={"code": passed.code}).status_code == 400


@pytest.mark.parametrize(
    ("typed", "message"),
    [("", "Enter the code printed on the certificate."), ("12345", "That is not a certificate code")],
)
def test_the_verify_form_explains_bad_input(app, academy, typed, message):
    response = app.test_client().get("/verify", query_string={"code": typed})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page and f'value="{typed}"' in page


def test_the_verify_form_of_an_unknown_well_formed_code_ends_on_the_404_page(app, academy):
    response = app.test_client().get("/verify", query_string={"code": "0000 0000 0000 0000"}, follow_redirects=True)
    assert response.status_code == 404 and "No certificate has this code" in response.get_data(as_text=True)


def test_verify_is_open_before_anyone_signs_in_on_a_fresh_process(app, passed):
    app.extensions.pop("academy_ready", None)  # as after a restart: the first request is a verification
    response = app.test_client().get(f"/verify/{passed.code}")
    assert response.status_code == 200 and "Valid certificate" in response.get_data(as_text=True)


def test_certificates_of_lists_newest_first(app, student_client, passed, starter, student):
    doc = module_doc(app, starter)
    with app.app_context(), writing():
        content.publish(doc.model_copy(update={"title": "Revised"}), None)
        db.session.commit()
    take_module(student_client, app, starter)
    with app.app_context():
        user = db.session.get(User, student)
        assert [c.module_title for c in certificate_service.certificates_of(user)] == ["Revised", passed.module_title]


def test_an_instructor_downloads_their_own_certificate(app, instructor_client, starter):
    take_module(instructor_client, app, starter)  # instructors may take modules too; they are in no cohort
    (certificate,) = all_certificates(app)
    response = instructor_client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
