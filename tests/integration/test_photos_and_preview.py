"""Case photos (checked, re-encoded, private) and the authors' preview."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from training.extensions import db
from training.services import drafts
from training.services.content import module_by_slug

from .conftest import module_doc

SLUG = "thread-lift-nerve-pain"


def jpeg_with_location() -> bytes:
    """A small JPEG carrying EXIF with a camera model and a GPS position."""
    image = Image.new("RGB", (64, 48), (200, 150, 150))
    exif = Image.Exif()
    exif[0x0110] = "Clinic Camera 3000"  # Model
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(client, data: bytes, name="photo.jpg", alt="Slight swelling along the left cheek, day 4", case=0):
    # Encoded in memory: Werkzeug's own encoder would spill a large body to a temporary
    # file that its test client never closes.
    boundary, body = encode_multipart({"photo": FileStorage(io.BytesIO(data), filename=name), "alt": alt})
    return client.post(
        f"/author/modules/{SLUG}/cases/{case}/photo",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def draft_case(app, index=0):
    with app.app_context():
        draft = drafts.draft_for(module_by_slug(SLUG))
        return draft.content.cases[index] if draft else None


def test_a_photo_is_re_encoded_without_its_metadata_and_stored_under_a_new_name(app, instructor_client, starter):
    response = upload(instructor_client, jpeg_with_location(), name="../../etc/passwd.jpg")
    assert response.status_code == 302
    case = draft_case(app)
    assert re.fullmatch(r"[a-f0-9]{32}\.jpg", case.image) and case.image_alt.startswith("Slight swelling")
    stored = (app.instance_path, case.image)
    with Image.open(f"{stored[0]}/media/{stored[1]}") as saved:
        assert saved.format == "JPEG" and saved.size == (64, 48)
        assert not saved.getexif(), "EXIF (camera, GPS) must not survive"
    assert module_doc(app, SLUG).cases[0].image is None  # students see it only after publishing


def test_photos_are_served_only_to_signed_in_users(app, instructor_client, student_client, starter):
    upload(instructor_client, jpeg_with_location())
    name = draft_case(app).image
    served = student_client.get(f"/media/{name}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    # Case photos show faces: a shared phone or lab PC keeps no copy (as for every signed-in page).
    assert served.headers["Cache-Control"] == "no-store"
    served.close()
    anonymous = app.test_client().get(f"/media/{name}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert student_client.get("/media/../secret_key").status_code == 404
    assert student_client.get("/media/0123456789abcdef0123456789abcdef.jpg").status_code == 404


@pytest.mark.parametrize(
    ("payload", "name", "message"),
    [
        (b"<script>alert(1)</script>", "innocent.png", "not a JPEG, PNG or WebP image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg", "not a JPEG, PNG or WebP image"),
        (b"GIF89a" + b"\x00" * 64, "anim.gif", "not a JPEG, PNG or WebP image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "truncated.jpg", "not a JPEG, PNG or WebP image"),
    ],
)
def test_anything_but_a_real_image_is_refused_with_a_message(app, instructor_client, starter, payload, name, message):
    response = upload(instructor_client, payload, name=name)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert draft_case(app) is None  # no draft was even started


def test_an_oversize_upload_is_refused(app, instructor_client, starter):
    # A raw 50 MB body: refused from its Content-Length before anything is read or stored.
    big = instructor_client.post(
        f"/author/modules/{SLUG}/cases/0/photo",
        data=b"\xff" * (50 * 1024 * 1024),
        content_type="multipart/form-data; boundary=x",
    )
    assert big.status_code == 413 and "up to 5 MB" in big.get_data(as_text=True)
    assert draft_case(app) is None


def test_a_photo_just_over_the_limit_is_refused_with_a_message(app, instructor_client, starter):
    just_over = upload(instructor_client, b"\xff" * (5 * 1024 * 1024 + 10))
    assert "over 5 MB" in just_over.get_data(as_text=True)
    assert draft_case(app) is None


def test_a_photo_needs_words_that_describe_it(app, instructor_client, starter):
    response = upload(instructor_client, jpeg_with_location(), alt="")
    assert "Describe the photo" in response.get_data(as_text=True)
    assert draft_case(app) is None


def test_removing_a_photo_and_students_cannot_manage_photos(app, instructor_client, student_client, starter):
    upload(instructor_client, jpeg_with_location())
    assert instructor_client.post(f"/author/modules/{SLUG}/cases/0/photo/remove").status_code == 302
    assert draft_case(app).image is None
    assert student_client.get(f"/author/modules/{SLUG}/cases/0/photo").status_code == 403
    assert upload(student_client, jpeg_with_location()).status_code == 403
    assert instructor_client.get(f"/author/modules/{SLUG}/cases/99/photo").status_code == 404


def test_preview_shows_the_draft_stage_by_stage_and_records_nothing(app, instructor_client, student_client, starter):
    from sqlalchemy import func, select

    from training.models import Attempt

    upload(instructor_client, jpeg_with_location())
    doc = module_doc(app, SLUG)
    first = instructor_client.get(f"/author/modules/{SLUG}/preview").get_data(as_text=True)
    assert "Preview of the draft" in first and doc.stages()[0].stage.title in first
    assert doc.stages()[1].stage.title not in first
    assert "/media/" in first  # the draft's photo
    assert doc.items().__next__().explanation[:40] not in first
    with_answers = instructor_client.get(f"/author/modules/{SLUG}/preview?stage=1&answers=1").get_data(as_text=True)
    assert doc.stages()[1].stage.title in with_answers and "Correct:" in with_answers
    assert instructor_client.get(f"/author/modules/{SLUG}/preview?stage=99").status_code == 200
    assert student_client.get(f"/author/modules/{SLUG}/preview").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_a_published_photo_shows_on_the_take_page(app, instructor_client, student_client, starter):
    from .conftest import start_attempt

    upload(instructor_client, jpeg_with_location())
    assert instructor_client.post(f"/author/modules/{SLUG}/publish").status_code == 302
    attempt_id = start_attempt(student_client, SLUG)
    page = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'alt="Slight swelling along the left cheek, day 4"' in page
