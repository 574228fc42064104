"""Case photos keep nothing but their pixels: every metadata segment or chunk is dropped.

Photos are built byte by byte with a distinctive marker in every kind of metadata a camera,
phone or editor writes (JPEG comment and APP0-APP15 segments; PNG text, EXIF and colour
profile chunks), uploaded through the real form, and the stored file is read segment by
segment: the marker must appear nowhere.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

from .test_photos_and_preview import draft_case, upload

MARKER = b"SECRET-PATIENT-ID-4711"


# --------------------------------------------------------------------------- JPEG


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _exif() -> bytes:
    """A real EXIF block (so the upright-turning code reads it) naming the camera and client, turned 90 degrees."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was held sideways
    exif[0x0110] = MARKER.decode()  # Model
    exif[0x010E] = MARKER.decode()  # ImageDescription
    return b"Exif\x00\x00" + exif.tobytes()


def _thumbnail() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format="JPEG")
    return out.getvalue()


def metadata_segments() -> list[bytes]:
    """A COM segment and one segment for each of APP0 to APP15, each carrying the marker."""
    photoshop = b"Photoshop 3.0\x00" + b"8BIM" + struct.pack(">HBxI", 0x0404, 0, len(MARKER)) + MARKER
    known = {
        0: b"JFXX\x00\x10" + _thumbnail() + MARKER,  # a JFIF extension holding a thumbnail
        1: _exif(),
        2: b"ICC_PROFILE\x00\x01\x01" + MARKER * 8,
        13: photoshop,  # IPTC caption, keywords, by-line ...
        14: b"Adobe\x00\x64\x00\x00\x00\x00\x01" + MARKER,  # transform 1: YCbCr, as the pixels really are
    }
    segments = [_segment(0xFE, b"Client: " + MARKER)]
    segments.append(_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + MARKER + b"</x:xmpmeta>"))
    for n in range(16):
        segments.append(_segment(0xE0 + n, known.get(n, b"Custom\x00" + MARKER)))
    return segments


def hostile_jpeg() -> bytes:
    """A 64 x 48 JPEG with every metadata segment inserted right after its start marker."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 150, 150)).save(out, format="JPEG")
    plain = out.getvalue()
    assert plain[:2] == b"\xff\xd8"
    return plain[:2] + b"".join(metadata_segments()) + plain[2:]


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The (marker, payload) of every segment before the image data starts."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    found, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF, f"lost sync at byte {at}"
        marker = data[at + 1]
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        found.append((marker, data[at + 4 : at + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        at += 2 + length
    return found


def test_a_jpeg_keeps_no_comment_and_no_app_segment(app, instructor_client, starter):
    data = hostile_jpeg()
    with Image.open(io.BytesIO(data)) as check:  # the upload really is a readable JPEG with all of it
        assert check.format == "JPEG" and MARKER in check.info["comment"]
        assert {name for name, _ in check.applist} == {"COM"} | {f"APP{n}" for n in range(16)}

    assert upload(instructor_client, data).status_code == 302
    stored = (Path(app.instance_path) / "media" / draft_case(app).image).read_bytes()

    assert MARKER not in stored
    segments = jpeg_segments(stored)
    assert not [m for m, _ in segments if m == 0xFE], "a comment survived"
    apps = [(m, payload) for m, payload in segments if 0xE0 <= m <= 0xEF]
    assert all(m == 0xE0 and payload.startswith(b"JFIF\x00") for m, payload in apps), [hex(m) for m, _ in apps]
    with Image.open(io.BytesIO(stored)) as saved:
        assert saved.size == (48, 64)  # still turned upright before the EXIF went
        assert not saved.getexif() and "icc_profile" not in saved.info


# --------------------------------------------------------------------------- PNG


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def hostile_png() -> bytes:
    """A 40 x 30 PNG with text, compressed text, international text, EXIF, XMP, colour profile and custom chunks."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (180, 120, 120)).save(out, format="PNG")
    plain = out.getvalue()
    header_end = 8 + 8 + 13 + 4  # signature, then the IHDR chunk
    extra = [
        _chunk(b"tEXt", b"Comment\x00" + MARKER),
        _chunk(b"zTXt", b"Author\x00\x00" + zlib.compress(MARKER)),
        _chunk(b"iTXt", b"Description\x00\x00\x00en\x00\x00" + MARKER),
        _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>" + MARKER + b"</x:xmpmeta>"),
        _chunk(b"eXIf", Image.Exif().tobytes() + MARKER),
        _chunk(b"iCCP", b"camera\x00\x00" + zlib.compress(MARKER * 8)),
        _chunk(b"tIME", b"\x07\xea\x01\x02\x03\x04\x05"),
        _chunk(b"prVt", MARKER),  # a private ancillary chunk
    ]
    return plain[:header_end] + b"".join(extra) + plain[header_end:]


def png_chunks(data: bytes) -> list[bytes]:
    """The type of every chunk, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    kinds, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kinds.append(data[at + 4 : at + 8])
        at += 12 + length
    return kinds


def test_a_png_keeps_no_text_exif_or_colour_profile_chunk(app, instructor_client, starter):
    data = hostile_png()
    with Image.open(io.BytesIO(data)) as check:
        check.load()
        assert check.format == "PNG" and "icc_profile" in check.info and "Comment" in check.info

    assert upload(instructor_client, data, name="photo.png").status_code == 302
    stored = (Path(app.instance_path) / "media" / draft_case(app).image).read_bytes()

    assert MARKER not in stored and zlib.compress(MARKER) not in stored
    assert set(png_chunks(stored)) <= {b"IHDR", b"IDAT", b"IEND"}, png_chunks(stored)
    with Image.open(io.BytesIO(stored)) as saved:
        assert saved.size == (40, 30)


def test_a_transparent_colour_survives_as_pixels_not_as_a_chunk(app, instructor_client, starter):
    image = Image.new("RGB", (20, 20), (255, 0, 255))
    image.paste((10, 200, 30), (5, 5, 15, 15))
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=(255, 0, 255))  # a tRNS chunk: magenta is see-through
    assert upload(instructor_client, out.getvalue(), name="photo.png").status_code == 302
    with Image.open(Path(app.instance_path) / "media" / draft_case(app).image) as saved:
        assert saved.mode == "RGBA" and "transparency" not in saved.info
        assert saved.getpixel((0, 0))[3] == 0 and saved.getpixel((10, 10)) == (10, 200, 30, 255)
