"""Admins manage cohorts: students, instructors, assigned modules with due dates, CSV enrolment.

Each view parses a form, calls one service, commits once and redirects; bad input re-renders
the page with the message next to the field and nothing changed.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..forms import ConfirmForm
from ..models import Role
from ..models.types import utcnow
from ..services import cohorts, enrolment, scope
from . import bp
from .forms import AddInstructorForm, AddStudentForm, AssignModuleForm, CohortForm, DueDateForm, UploadForm


def _cohort(cohort_id: int):
    """The cohort with this id, or 404."""
    return scope.cohort_or_404(current_user, cohort_id)


def _field_error(form, exc: cohorts.CohortError) -> None:
    """Show a service's refusal next to the field it concerns (or at the top when it has none)."""
    db.session.rollback()
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, str(exc)]
    else:
        flash(str(exc), "danger")


def _back(cohort_id: int, anchor: str | None = None):
    """Back to the cohort's page, at the section that changed."""
    return redirect(url_for("cohorts.detail", cohort_id=cohort_id, _anchor=anchor))


def _without_cache(response):
    """Temporary passwords must not be kept in the browser's cache or history."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/", methods=["GET", "POST"])
@allow(Role.ADMIN)
def index():
    """Every cohort with its numbers of students, instructors and modules, and a form to add one."""
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = cohorts.create_cohort(current_user, form.name.data, form.description.data)
        except cohorts.CohortError as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"Cohort “{cohort.name}” created. Now add its students, instructors and modules.", "success")
            return _back(cohort.id)
    return render_template("cohorts/index.html", summaries=cohorts.cohort_summaries(), form=form)


def _detail_page(cohort, **forms):
    """The cohort's page; ``forms`` replaces a blank form with one that has errors to show."""
    students = cohorts.students(cohort)
    teachers = cohorts.instructors(cohort)
    assigned = cohorts.assigned_modules(cohort)

    edit = forms.get("edit") or CohortForm(prefix="cohort", obj=cohort)
    add_instructor = forms.get("add_instructor") or AddInstructorForm(prefix="instructor")
    teaching = {user.id for user in teachers}
    add_instructor.instructor.choices = [
        (user.id, f"{user.name} ({user.email})") for user in cohorts.instructor_choices() if user.id not in teaching
    ]
    assign = forms.get("assign") or AssignModuleForm(prefix="module")
    assigned_ids = {entry.module.id for entry in assigned}
    assign.module.choices = [(m.id, m.title) for m in cohorts.published_modules() if m.id not in assigned_ids]
    failed_due = forms.get("due")
    due_forms = {
        entry.module.id: (
            failed_due
            if failed_due is not None and failed_due.module_id == entry.module.id
            else DueDateForm(prefix=f"due-{entry.module.id}", due=entry.due_at.date() if entry.due_at else None)
        )
        for entry in assigned
    }
    return render_template(
        "cohorts/detail.html",
        cohort=cohort,
        students=students,
        instructors=teachers,
        assigned=assigned,
        edit=edit,
        add_student=forms.get("add_student") or AddStudentForm(prefix="student"),
        upload=UploadForm(prefix="upload"),
        add_instructor=add_instructor,
        assign=assign,
        due_forms=due_forms,
        today=utcnow().date(),
    )


@bp.route("/<int:cohort_id>")
@allow(Role.ADMIN)
def detail(cohort_id: int):
    """One cohort: its students, instructors and assigned modules, with the forms that change them."""
    return _detail_page(_cohort(cohort_id))


@bp.route("/<int:cohort_id>/edit", methods=["POST"])
@allow(Role.ADMIN)
def edit(cohort_id: int):
    """Rename the cohort or change its description."""
    cohort = _cohort(cohort_id)
    form = CohortForm(prefix="cohort")
    if form.validate_on_submit():
        try:
            changed = cohorts.update_cohort(current_user, cohort, form.name.data, form.description.data)
        except cohorts.CohortError as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash("Cohort saved." if changed else "Nothing was changed.", "success" if changed else "info")
            return _back(cohort.id)
    return _detail_page(cohort, edit=form)


@bp.route("/<int:cohort_id>/delete", methods=["GET", "POST"])
@allow(Role.ADMIN)
def delete(cohort_id: int):
    """Ask, then delete the cohort and its links; students' accounts and attempts are kept."""
    cohort = _cohort(cohort_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = cohort.name
        cohorts.delete_cohort(current_user, cohort)
        db.session.commit()
        flash(f"Cohort “{name}” deleted. Its students' accounts and attempts are kept.", "success")
        return redirect(url_for("cohorts.index"))
    return render_template("cohorts/delete.html", cohort=cohort, members=cohorts.member_count(cohort), form=form)


@bp.route("/<int:cohort_id>/students", methods=["POST"])
@allow(Role.ADMIN)
def add_student(cohort_id: int):
    """Enrol one student, creating their account (with a temporary password) if they have none."""
    cohort = _cohort(cohort_id)
    form = AddStudentForm(prefix="student")
    if form.validate_on_submit():
        report = enrolment.enrol_one(cohort, form.email.data, form.name.data, current_user)
        if report.refused:
            db.session.rollback()
            for row in report.rows:
                for column, message in row.errors:
                    getattr(form, column).errors.append(message)
            form.email.errors.extend(report.problems)
        else:
            db.session.commit()
            if report.created:
                return _without_cache(render_template("cohorts/enrol.html", cohort=cohort, report=report, form=None))
            flash(f"{report.rows[0].email}: {report.rows[0].outcome}.", "success")
            return _back(cohort.id, "students")
    return _detail_page(cohort, add_student=form)


@bp.route("/<int:cohort_id>/enrol", methods=["GET", "POST"])
@allow(Role.ADMIN)
def enrol(cohort_id: int):
    """Upload a CSV file of students: all are enrolled, or none and a report of what to fix."""
    cohort = _cohort(cohort_id)
    form = UploadForm(prefix="upload")
    report = None
    if form.validate_on_submit():
        report = enrolment.enrol_file(cohort, form.file.data.stream.read(enrolment.MAX_BYTES + 1), current_user)
        if report.refused:
            db.session.rollback()
        else:
            db.session.commit()
            form = None
    return _without_cache(render_template("cohorts/enrol.html", cohort=cohort, report=report, form=form))


def _remove(cohort_id: int, user_id: int, remove, done: str, anchor: str):
    """Unlink a person from the cohort with ``remove``; a clear message either way, one commit."""
    cohort = _cohort(cohort_id)
    try:
        person = remove(current_user, cohort, user_id)
    except cohorts.CohortError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(done.format(name=person.name, email=person.email), "success")
    return _back(cohort.id, anchor)


@bp.route("/<int:cohort_id>/students/<int:user_id>/remove", methods=["POST"])
@allow(Role.ADMIN)
def remove_student(cohort_id: int, user_id: int):
    """Take a student out of the cohort; their account and attempts stay."""
    done = "{name} ({email}) was removed from this cohort."
    return _remove(cohort_id, user_id, cohorts.remove_student, done, "students")


@bp.route("/<int:cohort_id>/instructors", methods=["POST"])
@allow(Role.ADMIN)
def add_instructor(cohort_id: int):
    """Let an instructor teach the cohort (they then see its students' work)."""
    cohort = _cohort(cohort_id)
    form = AddInstructorForm(prefix="instructor")
    form.instructor.choices = [(user.id, user.name) for user in cohorts.instructor_choices()]
    if form.validate_on_submit():
        try:
            teacher = cohorts.add_instructor(current_user, cohort, form.instructor.data)
        except cohorts.CohortError as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"{teacher.name} now teaches this cohort.", "success")
            return _back(cohort.id, "instructors")
    return _detail_page(cohort, add_instructor=form)


@bp.route("/<int:cohort_id>/instructors/<int:user_id>/remove", methods=["POST"])
@allow(Role.ADMIN)
def remove_instructor(cohort_id: int, user_id: int):
    """Stop an instructor teaching the cohort."""
    done = "{name} no longer teaches this cohort."
    return _remove(cohort_id, user_id, cohorts.remove_instructor, done, "instructors")


@bp.route("/<int:cohort_id>/modules", methods=["POST"])
@allow(Role.ADMIN)
def assign_module(cohort_id: int):
    """Assign a published module to the cohort, with an optional due date."""
    cohort = _cohort(cohort_id)
    form = AssignModuleForm(prefix="module")
    form.module.choices = [(m.id, m.title) for m in cohorts.published_modules()]
    if form.validate_on_submit():
        try:
            module = cohorts.assign_module(current_user, cohort, form.module.data, form.due.data)
        except cohorts.CohortError as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(f"“{module.title}” is assigned to this cohort.", "success")
            return _back(cohort.id, "modules")
    return _detail_page(cohort, assign=form)


@bp.route("/<int:cohort_id>/modules/<int:module_id>/due", methods=["POST"])
@allow(Role.ADMIN)
def change_due_date(cohort_id: int, module_id: int):
    """Move or clear an assigned module's due date."""
    cohort = _cohort(cohort_id)
    form = DueDateForm(prefix=f"due-{module_id}")
    form.module_id = module_id
    if form.validate_on_submit():
        try:
            changed = cohorts.change_due_date(current_user, cohort, module_id, form.due.data)
        except cohorts.CohortError as exc:
            _field_error(form, exc)
            if exc.field is None:
                return _back(cohort.id, "modules")
        else:
            db.session.commit()
            flash("Due date changed." if changed else "The due date was already that day.", "success")
            return _back(cohort.id, "modules")
    return _detail_page(cohort, due=form)


@bp.route("/<int:cohort_id>/modules/<int:module_id>/unassign", methods=["POST"])
@allow(Role.ADMIN)
def unassign_module(cohort_id: int, module_id: int):
    """Take a module off the cohort; attempts at it are kept."""
    cohort = _cohort(cohort_id)
    try:
        module = cohorts.unassign_module(current_user, cohort, module_id)
    except cohorts.CohortError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(f"“{module.title}” is no longer assigned to this cohort.", "success")
    return _back(cohort.id, "modules")
