"""Forms for managing cohorts. Choices of instructors and modules are filled in by the views."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..forms import Form
from ..params import DateInRange

# The day is the academy's (its zone is named at the foot of every page).
DUE_HELP = _l("Optional. Work is due by the end of that day (23:59).")


class CohortForm(Form):
    """Create a cohort, or rename it and change its description."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the cohort a name.")), Length(max=120)],
        description=_l("For example “Spring 2027 thread lifts”. Each cohort needs its own name."),
    )
    description = TextAreaField(_l("Description (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class AddStudentForm(Form):
    """Enrol one student by email; a new account is created if they have none."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter the student's email.")), Email(_l("Enter a valid email address."))],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the student's name.")), Length(max=200)],
        description=_l("Used only when the student has no account yet; an existing account keeps its name."),
    )
    submit = SubmitField(_l("Enrol student"))


class UploadForm(Form):
    """A CSV file of students to enrol."""

    file = FileField(
        _l("CSV file of students"),
        validators=[FileRequired(_l("Choose a CSV file to upload."))],
        description=_l(
            "A header row with the columns email and name, then one student per row, separated by commas or "
            "semicolons; UTF-8, up to 2,000 students and 1 MB. Nothing changes unless every row is right."
        ),
    )
    submit = SubmitField(_l("Upload and enrol"))


class AddInstructorForm(Form):
    """Choose an instructor to teach the cohort."""

    instructor = SelectField(_l("Instructor"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Add instructor"))


class AssignModuleForm(Form):
    """Choose a published module for the cohort, with an optional due date."""

    module = SelectField(_l("Module"), coerce=int)
    due = DateField(_l("Due date"), validators=[Optional(), DateInRange()], description=DUE_HELP)
    submit = SubmitField(_l("Assign module"))


class DueDateForm(Form):
    """Change or clear an assigned module's due date."""

    due = DateField(
        _l("Due date"), validators=[Optional(), DateInRange()], description=_l("Leave empty for no due date.")
    )
    submit = SubmitField(_l("Change due date"))
