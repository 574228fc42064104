"""Forms of the certificates blueprint."""

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import reason_field
from ..services import certificates


class VerifyForm(FlaskForm):
    """Look a certificate up by its code. A lookup changes nothing, so it is sent by GET
    (bookmarkable, no session needed); a POST is still checked by the global CSRF guard."""

    class Meta:
        csrf = False

    code = StringField(
        "Certificate code",
        validators=[DataRequired("Enter the code printed on the certificate."), Length(max=64)],
        description="Sixteen letters and digits, as printed on the certificate, e.g. 7KQ2-M9XD-4TPV-8R3C.",
    )

    def validate_code(self, field: StringField) -> None:
        """Refuse what cannot be a code, before looking anything up."""
        if certificates.normalise_code(field.data) is None:
            raise ValidationError(
                "That is not a certificate code: a code has 16 letters and digits, e.g. 7KQ2-M9XD-4TPV-8R3C."
            )


class RevokeForm(FlaskForm):
    """An admin revokes a certificate, saying why (kept in the audit log, never shown publicly)."""

    reason = reason_field(
        "Say why the certificate is revoked.",
        "Kept with the certificate and in the audit log; the public check page shows only that it "
        "is revoked and since when.",
    )
    submit = SubmitField("Revoke certificate")
