"""The one base error of the services and its one handler: a refusal becomes its status and its message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from training import service_errors
from training.access import PUBLIC, allow
from training.database import writing
from training.extensions import db
from training.models import Cohort, CohortMember, Role, User
from training.services import accounts, backup, cohorts, drafts, exports, media, module_editors, scope, users
from training.services.errors import Conflict, Forbidden, NotFound, ServiceError

from .conftest import make_user


@pytest.fixture(scope="module")
def throwaway(app: Flask, tmp_path_factory) -> Iterator[Flask]:
    """A second app from the factory on the test database, with the handler and routes that raise."""
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "LOAD_STARTER_CONTENT": False,
            "AUTO_MIGRATE": False,  # the session's app migrated the database already
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("throwaway")),
        }
    )
    service_errors.register(other)
    errors = {
        "not-found": NotFound(),
        "forbidden": Forbidden(),
        "conflict": Conflict("Ina already teaches this cohort."),
        "teapot": ServiceError("Short and stout.", 418),
        "account": accounts.AccountError("sam@example.com is already active."),
        "rows": exports.TooManyRows("More than 1,048,575 rows do not fit in an Excel sheet; download the CSV."),
    }

    @other.route("/raise/<name>", methods=["GET", "POST"])
    @allow(PUBLIC)
    def raise_(name: str):
        if name == "after-a-write":
            db.session.add(Cohort(name="Half-written"))
            db.session.flush()
            raise Conflict("Nothing was changed.")
        raise errors[name]

    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()  # its pooled connections close now, not when the collector finds them


@pytest.mark.parametrize(
    ("name", "status", "heading", "message"),
    [
        ("not-found", 404, "Not found", "There is nothing here."),
        ("forbidden", 403, "Not allowed", "You do not have access to this page."),
        ("conflict", 409, "Not possible now", "Ina already teaches this cohort."),
        ("teapot", 418, "Something went wrong", "Short and stout."),
        ("account", 409, "Not possible now", "sam@example.com is already active."),
        ("rows", 413, "Too large", "download the CSV."),
    ],
)
def test_a_service_error_becomes_its_status_and_the_error_page(throwaway, academy, name, status, heading, message):
    response = throwaway.test_client().get(f"/raise/{name}")
    page = response.get_data(as_text=True)
    assert response.status_code == status and response.mimetype == "text/html"
    assert heading in page and message in page and "Traceback" not in page


def test_a_json_request_gets_the_error_as_json(throwaway, academy):
    response = throwaway.test_client().get("/raise/conflict", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert response.get_json() == {"error": "Ina already teaches this cohort.", "status": 409}


def test_the_handler_rolls_back_what_the_request_flushed(throwaway, academy):
    response = throwaway.test_client().post("/raise/after-a-write")
    assert response.status_code == 409 and "Nothing was changed." in response.get_data(as_text=True)
    with throwaway.app_context():
        assert db.session.query(Cohort).filter_by(name="Half-written").count() == 0


def test_an_error_carries_its_message_and_status_or_its_class_defaults():
    assert (NotFound().message, NotFound().status_code) == ("There is nothing here.", 404)
    assert (Forbidden().status_code, Conflict().status_code, ServiceError().status_code) == (403, 409, 400)
    custom = ServiceError("Short and stout.", 418)
    assert str(custom) == "Short and stout." and custom.status_code == 418 and ServiceError.status_code == 400
    assert custom.to_dict() == {"error": "Short and stout.", "status": 418}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (accounts.AccountError("x", field="email"), 409),
        (cohorts.CohortError("x", field="name"), 409),
        (module_editors.EditorError("x"), 409),
        (media.MediaError("x"), 400),
        (drafts.DraftError([("cases[0]", "x")]), 400),
        (exports.TooManyRows("x"), 413),
        (backup.BackupError("x"), 409),
    ],
)
def test_the_services_errors_are_service_errors_with_a_status(error, status):
    assert isinstance(error, ServiceError) and error.status_code == status
    assert str(error) == error.message and error.message.endswith("x")


def test_the_value_errors_stay_value_errors():
    # Views and ``media.save_image`` catch some of them as ValueError.
    for error in (accounts.AccountError, cohorts.CohortError, module_editors.EditorError, media.MediaError):
        assert issubclass(error, ValueError)
    assert accounts.AccountError("x", field="email").field == "email"
    assert drafts.DraftError([("a", "b")]).problems == [("a", "b")]


def test_scope_refuses_with_not_found_for_a_hidden_cohort_or_student(app, academy):
    teacher_id = make_user(app, "ina@example.com", Role.INSTRUCTOR, "Ina")
    stranger = make_user(app, "sam@example.com", name="Sam")
    with app.app_context(), writing():
        teacher = db.session.get(User, teacher_id)
        cohort = Cohort(name="Not Ina's")
        db.session.add(cohort)
        db.session.flush()
        for refused in (
            lambda: scope.cohort_or_404(teacher, cohort.id),
            lambda: scope.cohort_or_404(teacher, cohort.id + 1000),
            lambda: scope.student_or_404(teacher, stranger),
            lambda: scope.student_or_404(teacher, stranger + 1000),
            lambda: users.user_or_404(stranger + 1000),
        ):
            with pytest.raises(NotFound):
                refused()
        assert scope.student_or_404(db.session.get(User, academy), stranger).id == stranger
        db.session.rollback()


def test_an_export_too_long_for_excel_is_a_413_that_says_to_take_the_csv(app, admin_client, monkeypatch):
    student = make_user(app, "sam@example.com", name="Sam")
    with app.app_context(), writing():
        cohort = Cohort(name="Spring")
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=student))
        db.session.commit()
        cohort_id = cohort.id
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 0)
    response = admin_client.get(f"/reports/cohorts/{cohort_id}/matrix.xlsx")
    assert response.status_code == 413 and "download the CSV" in response.get_data(as_text=True)
    assert admin_client.get(f"/reports/cohorts/{cohort_id}/matrix.csv").status_code == 200
