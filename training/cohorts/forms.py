"""Forms for managing cohorts. Choices of instructors and modules are filled in by the views."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..params import DateInRange

DUE_HELP = "Optional. Work is due by the end of that day (23:59 UTC)."


class CohortForm(FlaskForm):
    """Create a cohort, or rename it and change its description."""

    name = StringField(
        "Name",
        validators=[DataRequired("Give the cohort a name."), Length(max=120)],
        description="For example “Spring 2027 thread lifts”. Each cohort needs its own name.",
    )
    description = TextAreaField("Description (optional)", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save")


class AddStudentForm(FlaskForm):
    """Enrol one student by email; a new account is created if they have none."""

    email = EmailField(
        "Email", validators=[DataRequired("Enter the student's email."), Email("Enter a valid email address.")]
    )
    name = StringField(
        "Name",
        validators=[DataRequired("Enter the student's name."), Length(max=200)],
        description="Used only when the student has no account yet; an existing account keeps its name.",
    )
    submit = SubmitField("Enrol student")


class UploadForm(FlaskForm):
    """A CSV file of students to enrol."""

    file = FileField(
        "CSV file of students",
        validators=[FileRequired("Choose a CSV file to upload.")],
        description="A header row with the columns email and name, then one student per row; "
        "UTF-8, up to 2,000 students and 1 MB. Nothing changes unless every row is right.",
    )
    submit = SubmitField("Upload and enrol")


class AddInstructorForm(FlaskForm):
    """Choose an instructor to teach the cohort."""

    instructor = SelectField("Instructor", coerce=int, validate_choice=True)
    submit = SubmitField("Add instructor")


class AssignModuleForm(FlaskForm):
    """Choose a published module for the cohort, with an optional due date."""

    module = SelectField("Module", coerce=int)
    due = DateField("Due date", validators=[Optional(), DateInRange()], description=DUE_HELP)
    submit = SubmitField("Assign module")


class DueDateForm(FlaskForm):
    """Change or clear an assigned module's due date."""

    due = DateField("Due date", validators=[Optional(), DateInRange()], description="Leave empty for no due date.")
    submit = SubmitField("Change due date")
