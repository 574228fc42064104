"""A small academy with someone else's work in it, shared by the security tests.

Two cohorts: A (student S, taught by instructor I) and B (student S2, taught by I2), an
admin, the starter modules assigned to both, and S's work on the starter module: a failed
attempt (so review cards exist), a passed one (so a certificate exists) and an open one.
A draft of the starter module and an uploaded case photo complete the objects that routes
take ids of. Every id a route is tried with belongs to S or to cohort A. I edits the starter
module; I2 does not (the packs bring it in without editors; an admin added I).
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from functools import cache

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from tests.feature_pack import feature_pack
from training.database import writing
from training.extensions import db
from training.models import (
    Academy,
    Certificate,
    Cohort,
    CohortInstructor,
    CohortMember,
    CohortModule,
    LessonRow,
    ModuleEditor,
    ReviewCard,
    Role,
    User,
)
from training.services import accounts, content, drafts, media
from training.services import attempts as attempt_service

from .conftest import PASSWORD
from .helpers import key_values, wrong_values

SLUG = "thread-lift-nerve-pain"
# The people of the world, in the order the access matrix lists them.
ROLES = ("anonymous", "owner", "other_student", "other_instructor", "instructor", "admin")
EMAILS = {
    "owner": "sam@example.com",
    "other_student": "olu@example.com",
    "other_instructor": "ivo@example.com",
    "instructor": "ina@example.com",
    "admin": "admin@example.com",
}


@dataclass(frozen=True)
class World:
    """Ids of everything the world holds; ``users`` maps a role of ``ROLES`` to a user id."""

    users: dict[str, int]
    cohort: int
    other_cohort: int
    module: int
    slug: str
    lesson: str
    failed_attempt: int
    passed_attempt: int
    open_attempt: int
    card: int
    certificate: str
    photo: str
    item: str = ""  # what the open attempt's page calls its first item (autosave's ``item``)
    # Per role, the token of the server-side session opened for it (what signing in makes).
    tokens: dict[str, str] | None = None

    @property
    def owner(self) -> int:
        """S, whose work every object-id route is tried with."""
        return self.users["owner"]


@cache
def _password_hash() -> str:
    """One argon2 hash for everybody: hashing per user would make every world slow to build."""
    return accounts.hash_password(PASSWORD)


def _tiny_png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 90)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def take(attempt, values) -> None:
    """Answer every stage of an open attempt with ``values(item)`` and submit it (services only)."""
    tokens = attempt_service.attempt_tokens(attempt.id)  # save_answers takes what the page posts
    for ref in attempt.version.content.stages():
        answers = {item.key: tokens.encode(item, values(item)) for item in ref.stage.items}
        attempt_service.save_answers(attempt, ref.index, answers)
        if ref.index + 1 < len(attempt.version.content.stages()):
            attempt_service.advance(attempt, ref.index)
    attempt_service.submit(attempt)


def build_world(app: Flask) -> World:
    """Fill the (empty) database with the world and return its ids."""
    with app.app_context(), writing():
        db.session.add(Academy(id=1, name="Test Academy"))
        people = {
            role: User(email=email, name=email.split("@")[0].title(), role=_role(role), password_hash=_password_hash())
            for role, email in EMAILS.items()
        }
        db.session.add_all(people.values())
        content.import_pack(feature_pack())
        module = content.module_by_slug(SLUG)
        a, b = Cohort(name="Cohort A"), Cohort(name="Cohort B")
        db.session.add_all([a, b])
        db.session.flush()
        db.session.add_all(
            [
                CohortMember(cohort_id=a.id, user_id=people["owner"].id),
                CohortMember(cohort_id=b.id, user_id=people["other_student"].id),
                CohortInstructor(cohort_id=a.id, user_id=people["instructor"].id),
                CohortInstructor(cohort_id=b.id, user_id=people["other_instructor"].id),
                CohortModule(cohort_id=a.id, module_id=module.id),
                CohortModule(cohort_id=b.id, module_id=module.id),
                ModuleEditor(module_id=module.id, user_id=people["instructor"].id, added_by_id=people["admin"].id),
            ]
        )
        owner = people["owner"]
        failed = attempt_service.start_or_resume(owner, module)
        take(failed, wrong_values)
        passed = attempt_service.start_or_resume(owner, module)
        take(passed, key_values)
        still_open = attempt_service.start_or_resume(owner, module)
        db.session.flush()
        drafts.start_draft(module, people["admin"])
        photo = media.save_image(_tiny_png(), app.instance_path)
        tokens = {}
        for role, user in people.items():
            accounts.open_session(user)
            tokens[role] = user.session_token
        world = World(
            users={"anonymous": 0} | {role: user.id for role, user in people.items()},
            cohort=a.id,
            other_cohort=b.id,
            module=module.id,
            slug=SLUG,
            lesson=db.session.scalar(select(LessonRow.slug).order_by(LessonRow.slug).limit(1)),
            failed_attempt=failed.id,
            passed_attempt=passed.id,
            open_attempt=still_open.id,
            card=db.session.scalar(select(func.min(ReviewCard.id)).where(ReviewCard.user_id == owner.id)),
            certificate=db.session.scalar(select(Certificate.code).where(Certificate.user_id == owner.id)),
            photo=photo,
            item=attempt_service.attempt_tokens(still_open.id).item_ref(
                still_open.content.stages()[0].stage.items[0].key
            ),
            tokens=tokens,
        )
        db.session.commit()
    assert world.card and world.certificate, "the world needs a review card and a certificate"
    return world


def _role(who: str) -> str:
    if who == "admin":
        return Role.ADMIN
    return Role.INSTRUCTOR if who.endswith("instructor") else Role.STUDENT


def empty_database(app: Flask) -> None:
    """Delete every row (the schema stays), as the suite's ``clean_db`` does between tests."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


def client_as(app: Flask, world: World, role: str) -> FlaskClient:
    """A test client signed in as ``role`` of the world (anonymous: signed in as nobody).

    The session is written directly, as Flask-Login would after the sign-in form, naming the
    server-side session the world opened for the role, so a world can be rebuilt many times
    without paying for a password check each time.
    """
    client = app.test_client()
    if role != "anonymous":
        with app.app_context():
            user = db.session.get(User, world.users[role])
            user.session_token = world.tokens[role]
            session_id = user.get_id()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
            session["seen"] = int(time.time())  # as sign_in notes it: the session is not idle
    return client


def fingerprint(app: Flask) -> dict[str, tuple[int, str]]:
    """Per table: its row count and a hash of every row, to show that a request changed nothing."""
    prints = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
            prints[table.name] = (len(rows), digest)
        db.session.remove()
    return prints
