"""Forms for set-up, sign-in and changing one's password."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..forms import Form
from ..services import accounts, passwords


class SetupForm(Form):
    """The academy's name and its first admin."""

    academy_name = StringField(_l("Academy name"), validators=[DataRequired(), Length(max=200)])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Your email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(
                min=accounts.MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least %(min)d characters.", min=accounts.MIN_PASSWORD_LENGTH),
            ),
        ],
        description=_l(
            "At least %(min)d characters: not a common password, nor your name or email.",
            min=accounts.MIN_PASSWORD_LENGTH,
        ),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Create the academy"))

    def validate_password(self, field: PasswordField) -> None:
        """Refuse a common password, or one made of the admin's email or name or the academy's name."""
        problem = passwords.weakness(
            field.data or "",
            email=self.email.data or "",
            name=self.name.data or "",
            academy=self.academy_name.data or "",
        )
        if problem:
            raise ValidationError(problem)


class LoginForm(Form):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(Form):
    """The current password and the new one, twice."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=accounts.MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least %(min)d characters.", min=accounts.MIN_PASSWORD_LENGTH),
            ),
        ],
        description=_l(
            "At least %(min)d characters, different from the current one; "
            "not a common password, nor made of your name or email.",
            min=accounts.MIN_PASSWORD_LENGTH,
        ),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The new passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))
