"""Case photos: checked by content, re-encoded with Pillow, stored under ``instance/media``.

Re-encoding keeps only the pixels: the stored file is written from a new image built from
them, so no metadata survives (EXIF with camera, time and GPS location; JPEG comments, XMP,
IPTC, colour profiles, thumbnails and any other APPn segment; PNG text and EXIF chunks). That
matters because case photos show clients' faces and editors write names into captions.
The file name is generated, so nothing the uploader chose reaches the file system.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ServiceError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they exhaust memory
MAX_SIDE = 2400  # larger photos are scaled down: nobody needs more on a case page
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
NAME = re.compile(r"^[a-f0-9]{32}\.(jpg|png|webp)$")


class MediaError(ServiceError, ValueError):
    """An upload that is not an acceptable image, with a message for people (400)."""

    status_code = 400


def media_dir(instance_path: str | Path) -> Path:
    """Where photos live (created on demand)."""
    path = Path(instance_path) / "media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_image(stream: BinaryIO, instance_path: str | Path) -> str:
    """Check, re-encode and store an uploaded photo; returns its generated file name.

    :raises MediaError: over 5 MB, not a JPEG/PNG/WebP image (whatever its name says), or too large in pixels.
    """
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise MediaError("The photo is over 5 MB. Make it smaller and try again.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise MediaError("The photo has too many pixels. Make it smaller and try again.")
        image.load()
    except MediaError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit (a warning, or an error when far over it): too many pixels either way.
        raise MediaError("The photo has too many pixels. Make it smaller and try again.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise MediaError("That file is not a JPEG, PNG or WebP image.") from None
    if kind not in FORMATS:
        raise MediaError("That file is not a JPEG, PNG or WebP image.")
    image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if kind == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA") or "transparency" in image.info:
        # A transparent colour (PNG tRNS) lives in the metadata dropped below: make it real alpha.
        image = image.convert("RGBA")
    clean = pixels_only(image)
    name = f"{secrets.token_hex(16)}.{FORMATS[kind]}"
    target = media_dir(instance_path) / name
    temporary = target.with_suffix(".part")
    clean.save(temporary, format=kind, quality=88)  # no exif=, icc_profile=, comment= or pnginfo=
    os.replace(temporary, target)
    return name


def pixels_only(image: Image.Image) -> Image.Image:
    """A new image with ``image``'s pixels and nothing else, so no metadata can reach the saved file.

    Pillow carries what it read (a JPEG comment, a PNG colour profile, text chunks) in
    ``image.info`` and writes some of it back on save; an image made from raw pixel bytes has
    an empty ``info``, whatever the next Pillow release decides to preserve.
    """
    return Image.frombytes(image.mode, image.size, image.tobytes())
