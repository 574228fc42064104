"""Forms for set-up, sign-in and changing one's password."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..services import accounts, passwords


class SetupForm(FlaskForm):
    """The academy's name and its first admin."""

    academy_name = StringField("Academy name", validators=[DataRequired(), Length(max=200)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Your email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(
                min=accounts.MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Use at least {accounts.MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
        description=(
            f"At least {accounts.MIN_PASSWORD_LENGTH} characters: not a common password, nor your name or email."
        ),
    )
    confirm = PasswordField(
        "Repeat the password", validators=[DataRequired(), EqualTo("password", message="The passwords differ.")]
    )
    submit = SubmitField("Create the academy")

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


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


class ChangePasswordForm(FlaskForm):
    """The current password and the new one, twice."""

    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(
                min=accounts.MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Use at least {accounts.MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
        description=(
            f"At least {accounts.MIN_PASSWORD_LENGTH} characters, different from the current one; "
            "not a common password, nor made of your name or email."
        ),
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The new passwords differ.")],
    )
    submit = SubmitField("Change password")
