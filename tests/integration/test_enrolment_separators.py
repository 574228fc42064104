"""Enrolment files as Excel saves them here: semicolons or commas, UTF-8 with or without a BOM,
Vietnamese names; a file in another encoding is refused with how to save it as UTF-8."""

from __future__ import annotations

import unicodedata

import pytest

from training.services.enrolment import detect_separator

from .conftest import user_by_email
from .test_enrolment import PASSWORD_CELL, cohort_id, member_emails, snapshot, upload  # noqa: F401  (fixture)

SAVE_AS = "File › Save As › CSV UTF-8 (Comma delimited) (*.csv)"
SEMICOLONS = "Read as UTF-8 with semicolons (;) between the columns."
COMMAS = "Read as UTF-8 with commas (,) between the columns."

# As Excel in Vietnamese saves "CSV UTF-8": a byte-order mark, semicolons, CRLF line ends.
VIETNAMESE_SEMICOLONS = (
    "\ufeffname;email;Lớp\r\n"
    "Nguyễn Văn An;an.nguyen@example.com;K1\r\n"
    "Trần Thị Bích Ngọc;ngoc.tran@example.com;K1\r\n"
    '"Lê, Đức Thắng";thang.le@example.com;K1\r\n'
    "Sam;sam@example.com;K1\r\n"
)


def test_a_semicolon_file_with_a_bom_and_vietnamese_names_enrols_everyone(app, admin_client, cohort_id):  # noqa: F811
    page = upload(admin_client, cohort_id, VIETNAMESE_SEMICOLONS.encode("utf-8")).get_data(as_text=True)
    assert "Enrolled 4 students (3 new) in Spring 2027." in page
    assert SEMICOLONS in page
    assert "Columns ignored (only email and name are read): Lớp." in page
    assert len(PASSWORD_CELL.findall(page)) == 3
    with app.app_context():
        assert user_by_email("an.nguyen@example.com").name == "Nguyễn Văn An"
        assert user_by_email("ngoc.tran@example.com").name == "Trần Thị Bích Ngọc"
        assert user_by_email("thang.le@example.com").name == "Lê, Đức Thắng"  # a comma inside a cell stays
    assert {"an.nguyen@example.com", "ngoc.tran@example.com", "sam@example.com"} <= member_emails(app, cohort_id)


def test_a_comma_file_without_a_bom_is_read_with_commas(app, admin_client, cohort_id):  # noqa: F811
    data = 'email,name\nan.nguyen@example.com,Nguyễn Văn An\nbo@example.com,"Phạm; Bơ"\n'.encode()
    page = upload(admin_client, cohort_id, data).get_data(as_text=True)
    assert "Enrolled 2 students (2 new) in Spring 2027." in page and COMMAS in page
    with app.app_context():
        assert user_by_email("bo@example.com").name == "Phạm; Bơ"  # a semicolon inside a quoted cell stays


def test_a_name_with_combining_tone_marks_is_stored_composed(app, admin_client, cohort_id):  # noqa: F811
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert decomposed != "Nguyễn Văn An"
    upload(admin_client, cohort_id, f"email;name\nan@example.com;{decomposed}\n".encode())
    with app.app_context():
        assert user_by_email("an@example.com").name == "Nguyễn Văn An"


def test_a_semicolon_file_with_mistakes_says_how_it_was_read_and_changes_nothing(app, admin_client, cohort_id):  # noqa: F811
    before = snapshot(app)
    response = upload(admin_client, cohort_id, "email;name\nan@example.com;An\nkhông-phải-email;Bình\n".encode())
    text = response.get_data(as_text=True)
    assert "Nothing was changed." in text and SEMICOLONS in text
    assert "1 of 2 rows to fix (the header is row 1)" in text and "is not a valid email address" in text
    assert snapshot(app) == before


# Vietnamese as Windows ("ANSI", code page 1258) saves it: ê + combining tilde for ễ, ă as one byte.
CP1258 = "email;name\nan@example.com;Nguy\u00ea\u0303n V\u0103n An\n".encode("cp1258")
LATIN1 = "email,name\nzoe@example.com,Zoë Ñúñez\n".encode("latin-1")


@pytest.mark.parametrize("data", [CP1258, LATIN1], ids=["cp1258", "latin-1"])
def test_a_file_that_is_not_utf8_is_refused_with_how_to_save_it(app, admin_client, cohort_id, data):  # noqa: F811
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    before = snapshot(app)
    page = upload(admin_client, cohort_id, data).get_data(as_text=True)
    assert "Nothing was changed." in page and "The file is not UTF-8 text" in page
    assert SAVE_AS in page
    assert "Read as UTF-8" not in page  # it was not read
    assert snapshot(app) == before


def test_the_upload_page_says_semicolons_are_fine(admin_client, cohort_id):  # noqa: F811
    page = admin_client.get(f"/cohorts/{cohort_id}/enrol").get_data(as_text=True)
    assert "separated by commas or by semicolons" in page and SAVE_AS in page


def test_the_command_line_says_how_the_file_was_read(app, cohort_id, tmp_path):  # noqa: F811
    path = tmp_path / "lop.csv"
    path.write_bytes(VIETNAMESE_SEMICOLONS.encode("utf-8"))
    result = app.test_cli_runner().invoke(args=["enrol", str(path), "--cohort", "Spring 2027"])
    assert result.exit_code == 0, result.output
    assert f"note: {SEMICOLONS}" in result.output and "row 2: an.nguyen@example.com: created" in result.output


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("email,name\r\na@x.com,A\r\n", ","),
        ("\n\nemail;name\na@x.com;A, B\n", ";"),
        ('"name; as typed",email\na,b\n', ","),  # the semicolon is inside a quoted heading
        ('"name, as typed";email;phone\na;b;c\n', ";"),
        ("email\na@x.com\n", ","),  # one column: nothing to tell, commas
        ("", ","),
    ],
)
def test_the_separator_is_found_on_the_header_line(text, separator):
    assert detect_separator(text) == separator
