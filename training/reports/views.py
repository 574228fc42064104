"""Score review for instructors and admins: cohort matrix, heatmap, student and attempt pages, exports.

Every page asks ``services.scope`` whose work the viewer may see: another cohort's
cohort, student or attempt is a 404, so nothing hints that it exists.
"""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context, url_for
from flask_login import current_user

from ..access import allow
from ..models import Role
from ..models.types import utcnow
from ..params import page_arg
from ..services import attempts, content, exports, progress, reports, scope
from . import bp
from .forms import MatrixFilterForm, SearchForm

STAFF = (Role.INSTRUCTOR, Role.ADMIN)


def _kept_args(**changes) -> dict:
    """This page's query parameters with some changed (None or blank drops one), and its path values:
    the arguments of ``url_for`` for a link to the same page."""
    args = request.args.to_dict() | changes
    args = {key: value for key, value in args.items() if value not in (None, "")}
    # Path values win over a query parameter of the same name (?cohort_id=... must not clash).
    return args | (request.view_args or {})


@bp.context_processor
def _report_helpers() -> dict:
    """``url_with(...)``: this page's URL with some query parameters changed (None drops one);
    ``page_query``: what the pager's links keep (everything but the page)."""

    def url_with(endpoint: str | None = None, **changes) -> str:
        return url_for(endpoint or request.endpoint, **_kept_args(**changes))

    return {"url_with": url_with, "page_query": _kept_args(page=None)}


def _accepted(field) -> str:
    """A validated field's text; blank when it failed validation (its error shows next to it)."""
    return "" if field.errors else (field.data or "").strip()


@bp.route("/")
@allow(*STAFF)
def index():
    """The cohorts the viewer may review, with their sizes."""
    return render_template("reports/index.html", cohorts=reports.cohort_summaries(current_user))


@bp.route("/students")
@allow(*STAFF)
def students():
    """Students by name, 50 a page, searchable: admins see all, instructors their cohorts' students."""
    form = SearchForm(formdata=request.args)
    form.validate()
    q = _accepted(form.q)
    page = reports.student_directory(current_user, q, page_arg())
    return render_template("reports/students.html", form=form, page=page, q=q)


def _matrix_query(form: MatrixFilterForm) -> reports.MatrixQuery:
    """The matrix query from the page's parameters; a filter that failed validation is left out."""
    form.validate()
    return reports.MatrixQuery(
        q=_accepted(form.q),
        status=_accepted(form.status),
        module=_accepted(form.module),
        sort=request.args.get("sort", "name"),
        direction=request.args.get("dir", "asc"),
        page=page_arg(),
    )


@bp.route("/cohorts/<int:cohort_id>")
@allow(*STAFF)
def matrix(cohort_id: int):
    """Students × assigned modules: best, latest, result, attempts, last activity; sortable and filterable."""
    cohort = scope.cohort_or_404(current_user, cohort_id)
    form = MatrixFilterForm(formdata=request.args)
    modules = reports.assigned_modules(cohort)
    form.set_modules(modules)
    result = reports.cohort_matrix(cohort, modules, _matrix_query(form), utcnow())
    return render_template("reports/matrix.html", cohort=cohort, form=form, matrix=result, statuses=reports.STATUSES)


@bp.route("/cohorts/<int:cohort_id>/heatmap")
@allow(*STAFF)
def heatmap(cohort_id: int):
    """Students × topics: mastery on the cohort's assigned modules, coloured by band, with the average."""
    cohort = scope.cohort_or_404(current_user, cohort_id)
    form = SearchForm(formdata=request.args)
    form.validate()
    q = _accepted(form.q)
    result = reports.cohort_heatmap(cohort, q, page_arg())
    return render_template(
        "reports/heatmap.html", cohort=cohort, form=form, heatmap=result, bands=reports.BANDS, band=reports.band
    )


@bp.route("/students/<int:student_id>")
@allow(*STAFF)
def student(student_id: int):
    """One student: cohorts, every attempt newest first, safety misses (safety-critical first), how well
    their certainty matched their answers, and mastery per topic."""
    person = scope.student_or_404(current_user, student_id)
    return render_template(
        "reports/student.html",
        student=person,
        cohorts=reports.student_cohorts(current_user, person),
        history=attempts.history(person),
        misses=reports.safety_misses(person),
        certainty=reports.certainty_by_module(person),
        mastery=progress.topic_mastery(person),
    )


@bp.route("/attempts/<int:attempt_id>")
@allow(*STAFF)
def attempt(attempt_id: int):
    """One attempt as its result page shows it, correct answers included; an open one only says so."""
    found, person = reports.attempt_or_404(current_user, attempt_id)
    items = [] if found.is_open else attempts.result_items(found)
    sections = content.section_titles({r.item.lesson for r in items}) if items else {}
    return render_template("reports/attempt.html", attempt=found, student=person, items=items, sections=sections)


def _download(table: exports.Table, fmt: str, *name: str) -> Response:
    """The table as a CSV attachment streamed as its rows are read, or as an XLSX workbook."""
    filename = exports.download_name(*name, extension=fmt)
    if fmt == "csv":
        body = stream_with_context(exports.csv_chunks(table))
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(body, mimetype="text/csv; charset=utf-8", headers=headers)
    workbook = exports.to_xlsx(table)  # past Excel's row limit: TooManyRows, a 413 saying to take the CSV
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(workbook, mimetype=exports.XLSX_MIMETYPE, headers=headers)


@bp.route("/cohorts/<int:cohort_id>/matrix.<any(csv, xlsx):fmt>")
@allow(*STAFF)
def matrix_export(cohort_id: int, fmt: str):
    """The matrix as filtered and sorted on the page (every page of it)."""
    cohort = scope.cohort_or_404(current_user, cohort_id)
    form = MatrixFilterForm(formdata=request.args)
    modules = reports.assigned_modules(cohort)
    form.set_modules(modules)
    query = reports.clean_query(_matrix_query(form), modules)
    rows = reports.matrix_rows(cohort, modules, query, utcnow())
    return _download(exports.matrix_table(cohort, modules, rows), fmt, cohort.name, "matrix")


@bp.route("/cohorts/<int:cohort_id>/attempts.<any(csv, xlsx):fmt>")
@allow(*STAFF)
def cohort_attempts_export(cohort_id: int, fmt: str):
    """Every attempt of the cohort's students at its assigned modules."""
    cohort = scope.cohort_or_404(current_user, cohort_id)
    return _download(exports.attempts_table(cohort), fmt, cohort.name, "attempts")


@bp.route("/attempts.<any(csv, xlsx):fmt>")
@allow(Role.ADMIN)
def all_attempts_export(fmt: str):
    """Every attempt of every student (admins only)."""
    return _download(exports.attempts_table(), fmt, "all", "attempts")
