"""Views of the certificates blueprint: a student's list, the PDF, public verification, and revocation by admins."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import PUBLIC, SIGNED_IN, allow
from ..extensions import db
from ..models import Role, User
from ..services import certificates
from ..services.errors import FieldError
from . import bp
from .forms import RevokeForm, VerifyForm


@bp.route("/certificates")
@allow(*SIGNED_IN)
def mine():
    """The signed-in user's own certificates, each with its PDF."""
    return render_template(
        "certificates/mine.html",
        certificates=certificates.certificates_of(current_user),
        issued_on=certificates.issued_on,
    )


@bp.route("/certificates/<code>.pdf")
@allow(*SIGNED_IN)
def pdf(code: str):
    """The certificate as a PDF, for its owner, an admin, or an instructor who teaches the student.

    Anyone else gets 404, so a code is never confirmed to the wrong person. A revoked
    certificate is no longer given out (410), to anyone.
    """
    certificate = certificates.downloadable(current_user, code) or abort(404)
    if certificate.is_revoked:
        raise certificates.CertificateRevoked()
    verify_url = url_for("certificates.verify_code", code=certificate.code, _external=True)
    return Response(
        certificates.render_pdf(certificate, verify_url),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{certificates.pdf_filename(certificate)}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/verify", methods=["GET", "POST"])
@allow(PUBLIC)
def verify():
    """The verification form; a well-formed code goes on to its own page."""
    typed = request.form if request.method == "POST" else request.args
    form = VerifyForm(formdata=typed if "code" in typed else None)
    if "code" in typed and form.validate():
        return redirect(url_for("certificates.verify_code", code=certificates.normalise_code(form.code.data)))
    return render_template("certificates/verify.html", form=form, certificate=None, looked_up=False)


@bp.route("/verify/<code>")
@allow(PUBLIC)
def verify_code(code: str):
    """Anyone may check a code: the certificate's facts, and nothing else about the student."""
    certificate = certificates.certificate_by_code(code)
    if certificate is None:
        form = VerifyForm(formdata=None, data={"code": code})
        return render_template("certificates/verify.html", form=form, certificate=None, looked_up=True), 404
    return render_template(
        "certificates/verify.html",
        form=VerifyForm(formdata=None),
        certificate=certificate,
        issued_on=certificates.issued_on(certificate),
        score=certificates.score_text(certificate),
        looked_up=True,
    )


@bp.route("/certificates/<code>/revoke", methods=["GET", "POST"])
@allow(Role.ADMIN)
def revoke(code: str):
    """An admin revokes a certificate with a reason; it then verifies as revoked and is not given out."""
    certificate = certificates.certificate_by_code(code) or abort(404)
    form = RevokeForm()
    if not certificate.is_revoked and form.validate_on_submit():
        try:
            certificates.revoke(current_user, certificate, form.reason.data)
        except FieldError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(exc)]
        else:
            db.session.commit()
            flash(f"Certificate {certificate.code} is revoked. Checking its code now says so.", "success")
            return redirect(url_for("admin.user_detail", user_id=certificate.user_id))
    return render_template(
        "certificates/revoke.html",
        certificate=certificate,
        holder=db.session.get(User, certificate.user_id),
        form=form,
        issued_on=certificates.issued_on(certificate),
        score=certificates.score_text(certificate),
    )
