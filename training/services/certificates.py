"""Certificates: issued when an attempt passes, verified by code, printed as a PDF.

A certificate copies what it says (academy, student, module title and version, score)
when it is issued, so it reads the same after renames. Its code is random and is the
only thing the public verification page looks up.

An admin may revoke a certificate, with a reason (audited). The row is kept, revoked: the
public page then says only that it is revoked and since when, its PDF is no longer given
out, and no re-grade or later pass of the same module version issues it again.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import bindparam, select, text

from ..extensions import db
from ..models import Attempt, Certificate, ModuleRow, Role, User
from ..models.types import utcnow
from . import accounts, audit
from .errors import Conflict, Forbidden, ServiceError
from .scope import can_see_student
from .times import at


class CertificateRevoked(ServiceError):
    """The certificate was revoked: it is no longer given out (410 Gone)."""

    status_code = 410
    message = "This certificate was revoked and is no longer valid, so it cannot be downloaded."


# Crockford's base32: digits and upper-case letters without I, L, O and U, so a code read
# aloud or copied by hand cannot be mistaken for another.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 16 symbols x 5 bits = 80 random bits
GROUP = 4
# What people type for the symbols Crockford leaves out.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
BRAND = (91, 42, 110)  # the academy colour of the web pages (--brand in app.css)
INK = (33, 37, 41)
MUTED = (108, 117, 125)


def new_code() -> str:
    """A fresh random code in groups of four, e.g. ``7KQ2-M9XD-4TPV-8R3C``."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(symbols[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalise_code(typed: str | None) -> str | None:
    """The stored form of a code as a person typed it, or None if it cannot be a code.

    Case, spaces and dashes do not matter, and O, I and L are read as 0, 1 and 1.
    """
    if not typed:
        return None
    symbols = _SEPARATORS.sub("", typed).upper().translate(_LOOKALIKES)
    if len(symbols) != CODE_LENGTH or any(symbol not in ALPHABET for symbol in symbols):
        return None
    return "-".join(symbols[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


# One statement: the academy's name is read inside it, and the unique constraint on (student,
# module, version) decides whether there is a certificate already, so two passes at once still
# make one. SQL text, the same on SQLite and PostgreSQL: SQLAlchemy cannot cache ON CONFLICT.
_ISSUE = text(
    """
    INSERT INTO certificates (code, user_id, attempt_id, module_id, academy_name, student_name,
                              module_title, version_number, score_percent, issued_at)
    VALUES (:code, :user_id, :attempt_id, :module_id,
            COALESCE((SELECT name FROM academy WHERE id = 1), :default_academy_name), :student_name,
            :module_title, :version_number, :score_percent, :issued_at)
    ON CONFLICT (user_id, module_id, version_number) DO NOTHING
    """
).bindparams(bindparam("issued_at", type_=Certificate.__table__.c.issued_at.type))


def issue_if_passed(attempt: Attempt) -> None:
    """Called when an attempt is graded: issue the module's certificate if it passed.

    One certificate per student and module version: a later pass of the same version
    issues nothing, a pass of a newer version issues a new one. A revoked certificate keeps
    its row, so the same conflict stops a re-grade or another pass of that version from issuing
    it again (the same attempt always has the same student, module and version). The code is 80 random bits
    under a unique constraint of its own; should two ever clash, the INSERT fails, the submit
    rolls back whole and the student's retry draws a new code. The caller commits.
    """
    if not attempt.passed:
        return
    student = db.session.get(User, attempt.user_id)  # the signed-in student: already loaded
    values = {
        "code": new_code(),
        "user_id": attempt.user_id,
        "attempt_id": attempt.id,
        "module_id": attempt.module_id,
        "default_academy_name": accounts.DEFAULT_ACADEMY_NAME,
        "student_name": student.name,
        # The title the student saw in this version, not whatever the module is called later.
        "module_title": attempt.version.content.title,
        "version_number": attempt.version.number,
        "score_percent": attempt.percent,
        "issued_at": utcnow(),
    }
    db.session.execute(_ISSUE, values)


def certificate_for_attempt(attempt_id: int) -> Certificate | None:
    """The certificate an attempt earned, if any (for a link on the result page)."""
    return db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id))


def certificates_of(user: User) -> list[Certificate]:
    """The user's own certificates, newest first."""
    query = select(Certificate).where(Certificate.user_id == user.id)
    return list(db.session.scalars(query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def certificate_by_code(typed: str | None) -> Certificate | None:
    """The certificate with this code however it was typed; None if there is none."""
    code = normalise_code(typed)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def downloadable(viewer: User, typed: str | None) -> Certificate | None:
    """The certificate if ``viewer`` may download it (its owner, an admin, or an instructor
    who teaches its student); None otherwise, so callers answer 404 and confirm nothing."""
    certificate = certificate_by_code(typed)
    if certificate is None:
        return None
    if certificate.user_id != viewer.id and not can_see_student(viewer, certificate.user_id):
        return None  # an instructor's own certificate is theirs, though they are in no cohort
    return certificate


def revoke(actor: User, certificate: Certificate, reason: str | None, now: datetime | None = None) -> Certificate:
    """Revoke the certificate for ``reason``; audited. Admins only; the row stays, marked revoked.

    :raises Forbidden: ``actor`` is not an admin.
    :raises FieldError: no reason given, or too long (``field`` is ``reason``).
    :raises Conflict: it is revoked already (nothing changes: the first revocation stands).
    """
    if actor.role != Role.ADMIN:
        raise Forbidden("Only an admin may revoke a certificate.")
    why = audit.reason(reason, "Say why the certificate is revoked")
    if certificate.is_revoked:
        raise Conflict(f"This certificate was revoked already, on {at(certificate.revoked_at)}; nothing was changed.")
    certificate.revoked_at = now or utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revoked_reason = why
    audit.record(
        actor,
        "certificate.revoke",
        target_type="user",
        target_id=certificate.user_id,
        summary=f"Revoked certificate {certificate.code} ({certificate.module_title}, "
        f"version {certificate.version_number}) of {certificate.student_name}",
        before={"code": certificate.code, "revoked_at": None},
        after={"code": certificate.code, "revoked_at": certificate.revoked_at.isoformat(), "reason": why},
    )
    db.session.flush()
    return certificate


def pdf_filename(certificate: Certificate) -> str:
    """The download name: ``certificate-<module-slug>-<code>.pdf``."""
    slug = db.session.scalar(select(ModuleRow.slug).where(ModuleRow.id == certificate.module_id)) or "module"
    return f"certificate-{re.sub(r'[^a-z0-9-]+', '-', slug.lower())}-{certificate.code}.pdf"


def issued_on(certificate: Certificate) -> str:
    """The issue date as people write it, e.g. ``21 Nov 2026``."""
    return f"{certificate.issued_at.day} {certificate.issued_at:%b %Y}"


def score_text(certificate: Certificate) -> str:
    """The score as printed, e.g. ``92%``."""
    return f"{certificate.score_percent:.0f}%"


class _CertificatePage(FPDF):
    """An A4 landscape page with the bundled Unicode font."""

    def __init__(self) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.add_font("body", "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font("body", "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        # Both faces cover the same characters; what neither has is replaced, never dropped.
        self.glyphs = set(self.fonts["body"].cmap)

    def printable(self, text: str) -> str:
        """``text`` with characters the font cannot draw shown as U+FFFD instead of vanishing."""
        return "".join(ch if ch.isspace() or ord(ch) in self.glyphs else "\ufffd" for ch in text)

    def centred(self, text: str, y: float, size: float, *, bold: bool = False, colour=INK, fit: float = 0) -> float:
        """Write centred text at ``y``; with ``fit``, shrink and then wrap it to stay that wide.

        Long text first shrinks to 60% of ``size`` on one line, then keeps shrinking while it
        would need more than two lines. Returns the height used, so the next line can sit below.
        """
        text = self.printable(text)
        self.set_font("body", "B" if bold else "", size)
        one_line_floor = max(12, size * 0.6)
        while fit and size > 12:
            lines_allowed = 1 if size > one_line_floor else 1.8  # word wrap never fills a line
            if self.get_string_width(text) <= fit * lines_allowed:
                break
            size -= 1
            self.set_font_size(size)
        self.set_text_color(*colour)
        if fit and self.get_string_width(text) > fit:
            # Still too long at the smallest size: wrap rather than run off the page.
            self.set_xy((self.w - fit) / 2, y)
            self.multi_cell(fit, size * 0.45, text, align="C")
            return self.get_y() - y
        self.set_xy(0, y)
        self.cell(self.w, size * 0.45, text, align="C")
        return size * 0.45


def render_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate as a one-page A4 landscape PDF."""
    pdf = _CertificatePage()
    pdf.set_title(f"Certificate of completion: {certificate.module_title}")
    pdf.set_author(certificate.academy_name)
    pdf.set_creation_date(certificate.issued_at)
    pdf.add_page()

    # Frame: a heavy outer rule in the academy colour and a fine inner one.
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.6)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(15, 15, pdf.w - 30, pdf.h - 30)

    width = pdf.w - 70
    pdf.centred(certificate.academy_name.upper(), 30, 14, bold=True, colour=BRAND, fit=width)
    pdf.centred("Certificate of completion", 45, 32, bold=True, fit=width)
    pdf.set_draw_color(*BRAND)
    pdf.line(pdf.w / 2 - 30, 65, pdf.w / 2 + 30, 65)
    pdf.centred("This certifies that", 75, 13, colour=MUTED)
    y = 88 + pdf.centred(certificate.student_name, 88, 36, bold=True, fit=width)
    pdf.centred("has completed the module", y + 8, 13, colour=MUTED)
    y += 20
    y += pdf.centred(certificate.module_title, y, 22, bold=True, fit=width)
    pdf.centred(
        f"Version {certificate.version_number}  ·  Score {score_text(certificate)}  ·  Issued {issued_on(certificate)}",
        y + 6,
        13,
        fit=width,
    )

    pdf.centred(f"Certificate code  {certificate.code}", pdf.h - 45, 12, bold=True, fit=width)
    pdf.centred(f"Check this certificate at {verify_url}", pdf.h - 37, 10, colour=MUTED, fit=width)
    return bytes(pdf.output())
