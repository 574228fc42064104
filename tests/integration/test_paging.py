"""The one pagination model (``services.paging``) and the one pager, on every paged list."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from training.database import writing
from training.extensions import db
from training.models import Role, User
from training.services import audit
from training.services.paging import Page, count, page_number, paginate

from .conftest import count_queries
from .test_users import add_people


def test_a_page_knows_its_place_in_the_list():
    page = Page(items=list("abc"), number=3, size=5, total=13)
    assert (page.pages, page.first_index, page.last_index) == (3, 11, 13)
    assert page.has_previous and not page.has_next
    first = Page(items=list("abcde"), number=1, size=5, total=13)
    assert (first.first_index, first.last_index, first.has_previous, first.has_next) == (1, 5, False, True)


def test_an_empty_list_is_one_empty_page():
    page = Page(items=[], number=1, size=50, total=0)
    assert (page.pages, page.first_index, page.last_index) == (1, 0, 0)
    assert not page.has_previous and not page.has_next and list(page.numbers()) == [1]


def test_with_items_keeps_the_place_and_swaps_the_rows():
    page = Page(items=[1, 2], number=2, size=2, total=5).with_items(["one", "two"])
    assert page == Page(items=["one", "two"], number=2, size=2, total=5)


@pytest.mark.parametrize(
    ("number", "pages", "shown"),
    [
        (1, 1, [1]),
        (1, 4, [1, 2, 3, 4]),
        (1, 20, [1, 2, 3, None, 20]),
        (7, 20, [1, None, 6, 7, 8, 9, None, 20]),
        (3, 20, [1, 2, 3, 4, 5, None, 20]),
        (17, 20, [1, None, 16, 17, 18, 19, 20]),
        (20, 20, [1, None, 19, 20]),
    ],
)
def test_the_pager_links_the_ends_and_the_pages_around_this_one(number, pages, shown):
    page = Page(items=[], number=number, size=10, total=pages * 10)
    assert list(page.numbers()) == shown


@pytest.mark.parametrize(
    ("asked", "total", "number"), [(0, 120, 1), (-5, 120, 1), (2, 120, 2), (3, 120, 3), (4, 120, 3), (9, 0, 1)]
)
def test_a_page_number_out_of_range_lands_on_the_nearest_page(asked, total, number):
    assert page_number(asked, total, 50) == number


def test_paginate_counts_then_reads_one_page_of_rows_or_of_objects(app, academy):
    add_people(app, 12)
    query = select(User).where(User.role == Role.STUDENT).order_by(User.email)
    with app.app_context(), writing():
        with count_queries(app) as statements:
            page = paginate(query, 2, 5, scalars=True)
        assert len(statements) == 2 and "count(" in statements[0].lower()
        assert [u.email for u in page.items] == [f"person{n:03d}@example.com" for n in range(5, 10)]
        assert (page.number, page.total, page.pages) == (2, 12, 3)
        rows = paginate(select(User.id, User.email).where(User.role == Role.STUDENT).order_by(User.email), 99, 5)
        assert rows.number == 3 and [r.email for r in rows.items] == ["person010@example.com", "person011@example.com"]
        assert count(query) == 12


def test_paginate_takes_a_count_the_caller_already_has(app, academy):
    add_people(app, 3)
    with app.app_context(), writing():
        with count_queries(app) as statements:
            page = paginate(select(User).order_by(User.id), 1, 50, scalars=True, total=4)
        assert len(statements) == 1 and page.total == 4 and len(page.items) == 4


def test_every_paged_list_clamps_a_page_past_the_end(app, admin_client, academy):
    add_people(app, 60)
    with app.app_context(), writing():
        for n in range(55):
            audit.record(None, "user.create", summary=f"Added person {n:02d}")
        db.session.commit()
    people = admin_client.get("/admin/users?page=99").get_data(as_text=True)
    assert "page 2 of 2" in people and people.count('<th scope="row">') == 11
    log = admin_client.get("/admin/audit?page=99&action=user.create").get_data(as_text=True)
    assert "page 2 of 2" in log and log.count("Added person") == 5
    students = admin_client.get("/reports/students?page=99").get_data(as_text=True)
    assert "Showing 51–60 of 60" in students


def test_the_one_pager_links_pages_with_the_filters_kept(app, admin_client, academy):
    add_people(app, 260)  # six pages of 50, in the people list and in the student directory
    people = admin_client.get("/admin/users?role=student&page=1").get_data(as_text=True)
    labels = re.findall(r'class="page-link"[^>]*>([^<]+)<', people)
    assert labels == ["Previous", "1", "2", "3", "…", "6", "Next"]
    assert 'href="/admin/users?page=2&amp;role=student"' in people and 'aria-current="page"' in people
    students = admin_client.get("/reports/students?q=person&page=2").get_data(as_text=True)
    assert 'href="/reports/students?page=3&amp;q=person"' in students
    assert 'href="/reports/students?page=1&amp;q=person"' in students and "Showing 51–100 of 260" in students
