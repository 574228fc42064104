"""Forms for managing users and filtering the audit log."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SearchField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..forms import Form
from ..models import Role
from ..params import DateInRange
from ..services import users

ROLE_CHOICES = [
    (Role.STUDENT.value, _l("Student")),
    (Role.INSTRUCTOR.value, _l("Instructor")),
    (Role.ADMIN.value, _l("Admin")),
]


def _strip(value: str | None) -> str | None:
    """Pasted text often carries spaces around it."""
    return value.strip() if isinstance(value, str) else value


class UserSearchForm(Form):
    """Narrow the user list (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name or email contains"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[("", _l("Any role")), *ROLE_CHOICES], default="")
    status = SelectField(
        _l("Status"),
        choices=[
            ("", _l("Active and deactivated")),
            (users.ACTIVE, _l("Active")),
            (users.DEACTIVATED, _l("Deactivated")),
        ],
        default="",
    )


class NewUserForm(Form):
    """An account an admin adds; its temporary password is generated."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[_strip],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.STUDENT.value)
    submit = SubmitField(_l("Add the user"))


class RoleForm(Form):
    """Give a user another role."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    submit = SubmitField(_l("Change role"))


class AuditFilterForm(Form):
    """Narrow the audit log (a GET form). The select choices are the values found in the log."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[("", _l("Any action"))], validate_choice=False)
    actor = SearchField(_l("Done by (email contains)"), validators=[Optional(), Length(max=254)])
    target_type = SelectField(_l("Target type"), choices=[("", _l("Any target"))], validate_choice=False)
    target_id = StringField(_l("Target id"), validators=[Optional(), Length(max=80)])
    kind = SelectField(
        _l("Kind"),
        choices=[("", _l("Every event")), ("security", _l("Security events")), ("changes", _l("Changes by staff"))],
        default="",  # without it, a page with no filter said "Not a valid choice." under this select
        description=_l("Security events: sign-ins, failures, throttling, sign-outs, password changes"),
    )
    address = SearchField(_l("From address (starts with)"), validators=[Optional(), Length(max=45)])
    # Whole days of the academy's calendar (``audit_log.AuditFilter``).
    date_from = DateField(_l("From"), validators=[Optional(), DateInRange()], description=_l("Inclusive"))
    date_to = DateField(_l("To"), validators=[Optional(), DateInRange()], description=_l("Inclusive"))

    def set_choices(self, actions: list[str], target_types: list[str]) -> None:
        """Offer the actions and target types that occur in the log."""
        self.action.choices = [("", _l("Any action")), *((a, a) for a in actions)]
        self.target_type.choices = [("", _l("Any target")), *((t, t) for t in target_types)]

    def validate_date_to(self, field: DateField) -> None:
        """The range must not end before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date is before the start date."))
