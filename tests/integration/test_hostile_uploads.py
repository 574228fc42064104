"""Hostile uploads: what is not a plain photo or a text file is refused and leaves nothing behind.

``test_photos_and_preview.py`` already covers the simple refusals (a script named .png, an
SVG named .svg, a GIF, a truncated JPEG, a raw 50 MB body). This file adds what an attacker
would try next: SVG and HTML disguised as PNG, a PNG with HTML appended (a polyglot),
a valid image just over the size limit, decompression bombs, and binary files pushed into
the CSV enrolment and GIFT/Aiken import forms. After every refusal, neither the media
folder nor any database table has changed.
"""

from __future__ import annotations

import io
import os
import resource
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from training.database import writing
from training.extensions import db
from training.models import ModuleRow
from training.services import cohorts, drafts
from training.services.content import module_by_slug

SLUG = "thread-lift-nerve-pain"
ALT = "Bruising along the jawline, day 2"
NOT_AN_IMAGE = "not a JPEG, PNG or WebP image"


# --------------------------------------------------------------------------- helpers


def upload_photo(client, data: bytes, name: str):
    boundary, body = encode_multipart({"photo": FileStorage(io.BytesIO(data), filename=name), "alt": ALT})
    return client.post(
        f"/author/modules/{SLUG}/cases/0/photo", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def media_files(app) -> list[str]:
    """Every file under the instance's media folder (temporary ``.part`` files included)."""
    folder = Path(app.instance_path) / "media"
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def row_counts(app) -> dict[str, int]:
    """How many rows every table holds."""
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def state(app) -> tuple[list[str], dict[str, int]]:
    return media_files(app), row_counts(app)


def draft_image(app) -> str | None:
    with app.app_context():
        draft = drafts.draft_for(module_by_slug(SLUG))
        return draft.content.cases[0].image if draft else None


def png(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(side: int) -> bytes:
    """A ``side`` x ``side`` one-colour 1-bit PNG built chunk by chunk: tiny on disk, huge decoded
    (never materialised here: the rows are compressed as they are generated)."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(side)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# --------------------------------------------------------------------------- case photos

HOSTILE_PHOTOS = {
    "svg with a script, named .svg": (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>",
        "face.svg",
    ),
    "svg with a script, named .png": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "face.png",
    ),
    "html named .png": (b"<!doctype html><html><body><script>alert(1)</script></body></html>", "face.png"),
    "javascript named .jpg": (b"fetch('/admin').then(r => r.text()).then(alert)", "face.jpg"),
    "png magic then html": (b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", "face.png"),
    "jpeg magic then html": (b"\xff\xd8\xff\xdb<html><script>alert(1)</script></html>", "face.jpeg"),
    "empty file": (b"", "face.png"),
}


@pytest.mark.parametrize("case", HOSTILE_PHOTOS)
def test_disguised_scripts_are_refused_and_nothing_is_stored(app, instructor_client, starter, case):
    data, name = HOSTILE_PHOTOS[case]
    before = state(app)
    response = upload_photo(instructor_client, data, name)
    assert response.status_code == 200
    assert NOT_AN_IMAGE in response.get_data(as_text=True) or "Choose" in response.get_data(as_text=True)
    assert state(app) == before
    assert draft_image(app) is None


def test_a_png_with_html_appended_is_stored_only_as_re_encoded_pixels(app, instructor_client, student_client, starter):
    payload = b"<html><body><script>alert(document.cookie)</script></body></html>"
    polyglot = png(Image.new("RGB", (32, 24), (180, 120, 120))) + payload
    with Image.open(io.BytesIO(polyglot)) as check:
        assert check.format == "PNG"  # the polyglot really does open as a PNG
    before_files = media_files(app)
    response = upload_photo(instructor_client, polyglot, "face.png")
    if response.status_code != 302:  # refusing it is fine too, as long as nothing stays behind
        assert NOT_AN_IMAGE in response.get_data(as_text=True)
        assert media_files(app) == before_files
        return
    name = draft_image(app)
    assert name and name.endswith(".png")
    served = student_client.get(f"/media/{name}")
    body = served.get_data()
    served.close()
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script" not in body.lower() and b"<html" not in body.lower()
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "PNG" and image.size == (32, 24)
    assert body == (Path(app.instance_path) / "media" / name).read_bytes()


def test_a_real_image_over_5_mb_is_refused_and_nothing_is_stored(app, instructor_client, starter):
    noise = Image.frombytes("RGB", (1350, 1350), os.urandom(1350 * 1350 * 3))  # noise does not compress
    data = png(noise, compress_level=0)
    assert 5 * 1024 * 1024 < len(data) < 6 * 1024 * 1024  # under the request limit: the app itself must refuse
    before = state(app)
    response = upload_photo(instructor_client, data, "big.png")
    assert response.status_code in (200, 413) and "over 5 MB" in response.get_data(as_text=True)
    assert state(app) == before
    assert draft_image(app) is None


def test_a_request_over_the_body_limit_stores_nothing(app, instructor_client, starter):
    before = state(app)
    response = upload_photo(instructor_client, b"\x89PNG\r\n\x1a\n" + b"\x00" * (7 * 1024 * 1024), "huge.png")
    assert response.status_code == 413 and "5 MB" in response.get_data(as_text=True)
    assert state(app) == before


@pytest.mark.parametrize("side", [20_000, 8_000])  # 400 MP (over Pillow's own guard), 64 MP (over the app's 40 MP)
def test_a_decompression_bomb_is_refused_without_being_decoded(app, instructor_client, starter, side):
    bomb = bomb_png(side)
    assert len(bomb) < 1024 * 1024  # tiny on disk
    before = state(app)
    peak, started = peak_rss_mb(), time.monotonic()
    response = upload_photo(instructor_client, bomb, "bomb.png")
    elapsed, grown = time.monotonic() - started, peak_rss_mb() - peak
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and ("too many pixels" in page or NOT_AN_IMAGE in page)
    assert state(app) == before
    # Decoding would need side*side bytes (400 MB / 64 MB) and seconds of CPU.
    assert grown < 48, f"peak memory grew by {grown:.0f} MB: the bomb was decoded"
    assert elapsed < 5, f"refusing the bomb took {elapsed:.1f}s"


def test_a_photo_with_too_many_pixels_says_so(app, instructor_client, starter):
    response = upload_photo(instructor_client, bomb_png(8_000), "bomb.png")
    assert "too many pixels" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_served_photos_are_images_and_never_sniffed(app, instructor_client, student_client, starter, fmt, mime):
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 30)).save(out, format=fmt)
    assert upload_photo(instructor_client, out.getvalue(), "photo.bin").status_code == 302  # the name does not matter
    name = draft_image(app)
    for client in (instructor_client, student_client):
        served = client.get(f"/media/{name}")
        served.close()
        assert served.status_code == 200
        assert served.mimetype == mime and served.mimetype.startswith("image/")
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" not in served.headers.get("Content-Disposition", "")


# --------------------------------------------------------------------------- CSV and question files

BINARY_FILES = {
    "a png named .png": (png(Image.new("RGB", (8, 8), (0, 0, 0))), "students.png"),
    "a png named .csv": (png(Image.new("RGB", (8, 8), (0, 0, 0))), "students.csv"),
    "random bytes": (bytes(range(256)) * 16, "students.csv"),
    "a zip (xlsx)": (b"PK\x03\x04" + b"\x00\xff" * 200, "students.xlsx"),
}


@pytest.fixture
def cohort_id(app, academy):
    with app.app_context(), writing():
        cohort = cohorts.create_cohort(None, "Hostile files")
        db.session.commit()
        return cohort.id


@pytest.mark.parametrize("case", BINARY_FILES)
def test_a_binary_enrolment_file_is_refused_with_a_message(app, admin_client, cohort_id, case):
    data, name = BINARY_FILES[case]
    before = state(app)
    boundary, body = encode_multipart({"upload-file": FileStorage(io.BytesIO(data), filename=name)})
    response = admin_client.post(
        f"/cohorts/{cohort_id}/enrol", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was changed." in page
    assert "not UTF-8" in page or "email" in page  # says what is wrong with the file
    assert state(app) == before


@pytest.mark.parametrize("fmt", ["gift", "aiken"])
@pytest.mark.parametrize("case", BINARY_FILES)
def test_a_binary_question_file_is_refused_with_a_message(app, instructor_client, fmt, case):
    data, name = BINARY_FILES[case]
    before = state(app)
    boundary, body = encode_multipart(
        {"module": "hostile-bank", "format": fmt, "file": FileStorage(io.BytesIO(data), filename=name)}
    )
    response = instructor_client.post(
        "/author/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "not UTF-8" in page
    assert state(app) == before
    with app.app_context():
        assert db.session.scalar(select(ModuleRow).where(ModuleRow.slug == "hostile-bank")) is None
