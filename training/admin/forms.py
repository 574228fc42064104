"""Forms for managing users and filtering the audit log."""

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SearchField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..models import Role
from ..params import DateInRange
from ..services import users

ROLE_CHOICES = [(Role.STUDENT.value, "Student"), (Role.INSTRUCTOR.value, "Instructor"), (Role.ADMIN.value, "Admin")]


def _strip(value: str | None) -> str | None:
    """Pasted text often carries spaces around it."""
    return value.strip() if isinstance(value, str) else value


class UserSearchForm(FlaskForm):
    """Narrow the user list (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField("Name or email contains", validators=[Optional(), Length(max=254)])
    role = SelectField("Role", choices=[("", "Any role"), *ROLE_CHOICES], default="")
    status = SelectField(
        "Status",
        choices=[("", "Active and deactivated"), (users.ACTIVE, "Active"), (users.DEACTIVATED, "Deactivated")],
        default="",
    )


class NewUserForm(FlaskForm):
    """An account an admin adds; its temporary password is generated."""

    email = EmailField(
        "Email",
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[_strip],
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[_strip])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.STUDENT.value)
    submit = SubmitField("Add the user")


class RoleForm(FlaskForm):
    """Give a user another role."""

    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Change role")


class AuditFilterForm(FlaskForm):
    """Narrow the audit log (a GET form). The select choices are the values found in the log."""

    class Meta:
        csrf = False

    action = SelectField("Action", choices=[("", "Any action")], validate_choice=False)
    actor = SearchField("Done by (email contains)", validators=[Optional(), Length(max=254)])
    target_type = SelectField("Target type", choices=[("", "Any target")], validate_choice=False)
    target_id = StringField("Target id", validators=[Optional(), Length(max=80)])
    kind = SelectField(
        "Kind",
        choices=[("", "Every event"), ("security", "Security events"), ("changes", "Changes by staff")],
        description="Security events: sign-ins, failures, throttling, sign-outs, password changes",
    )
    address = SearchField("From address (starts with)", validators=[Optional(), Length(max=45)])
    date_from = DateField("From", validators=[Optional(), DateInRange()], description="UTC, inclusive")
    date_to = DateField("To", validators=[Optional(), DateInRange()], description="UTC, inclusive")

    def set_choices(self, actions: list[str], target_types: list[str]) -> None:
        """Offer the actions and target types that occur in the log."""
        self.action.choices = [("", "Any action"), *((a, a) for a in actions)]
        self.target_type.choices = [("", "Any target"), *((t, t) for t in target_types)]

    def validate_date_to(self, field: DateField) -> None:
        """The range must not end before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
