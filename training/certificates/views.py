"""Views of the certificates blueprint: a student's list, the PDF, and public verification."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import PUBLIC, SIGNED_IN, allow
from ..services import certificates
from . import bp
from .forms import VerifyForm


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

    Anyone else gets 404, so a code is never confirmed to the wrong person.
    """
    certificate = certificates.downloadable(current_user, code) or abort(404)
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
