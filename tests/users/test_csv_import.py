"""Bulk add users by CSV: reading the file, checking every row, the error report."""

import csv
import io

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Domain
from tests.factories import make_operator, make_tenant, make_user
from users.csv_import import (
    FILE_ROW,
    TEMPLATE_HEADER,
    RowError,
    errors_csv,
    parse_users_csv,
    template_csv,
)

DOMAIN = "contoso.example"

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(domain=DOMAIN, country="NL")]
HEADER = ["User Name", "Display Name"]

# Text a cell can hold: any character but NUL (a binary file) and lone surrogates (not UTF-8).
CELL_TEXT = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
ONE_LINE = st.characters(exclude_categories=["Cs"], exclude_characters="\x00\r\n")


def csv_bytes(rows, *, header=HEADER, delimiter=",", encoding="utf-8"):
    """Return ``header`` and ``rows`` written as a spreadsheet program writes CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def errors_of(result):
    return [(error.row, error.column, error.message) for error in result.errors]


def only_error(result):
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


# --- Good files -------------------------------------------------------------------


def test_good_file_yields_cleaned_rows(tenant):
    row = [
        " Anna@Contoso.example ",
        "Anna",
        "de Vries",
        "Anna de Vries",
        "Engineer",
        "R&D",
        "3.14",
        "+31 20 123 4567",
        "06 12345678",
        "+31 20 765 4321",
        "anna.private@example.org",
        "Main Street 1",
        "Amsterdam",
        "Noord-Holland",
        "1011 AB",
        "nl",
    ]
    result = parse_users_csv(csv_bytes([row], header=TEMPLATE_HEADER), tenant=tenant)

    assert result.errors == []
    assert result.is_valid
    (user,) = result.rows
    assert user.row == 2
    assert user.username == "anna@contoso.example"
    assert (user.first_name, user.last_name, user.display_name) == (
        "Anna",
        "de Vries",
        "Anna de Vries",
    )
    assert (user.job_title, user.department, user.office) == ("Engineer", "R&D", "3.14")
    assert user.business_phone == "+31 20 123 4567"
    assert user.mobile_phone == "+31612345678"
    assert user.alternate_email == "anna.private@example.org"
    assert user.usage_location == "NL"
    assert user.extra == {
        "fax": "+31 20 765 4321",
        "address": "Main Street 1",
        "city": "Amsterdam",
        "state_or_province": "Noord-Holland",
        "postal_code": "1011 AB",
    }


def test_optional_columns_may_be_left_out_and_header_is_tolerant(tenant):
    data = b"  user   NAME ,DISPLAY name,job title\r\nanna@contoso.example,Anna,\r\n"
    result = parse_users_csv(data, tenant=tenant)
    assert result.is_valid, result.errors
    (user,) = result.rows
    assert (user.username, user.display_name, user.job_title, user.extra) == (
        "anna@contoso.example",
        "Anna",
        "",
        {},
    )


def test_utf8_with_byte_order_mark(tenant):
    data = "\ufeffUser Name,Display Name\r\nzoe@contoso.example,Zoë Brontë\r\n".encode()
    result = parse_users_csv(data, tenant=tenant)
    assert result.is_valid, result.errors
    assert result.rows[0].display_name == "Zoë Brontë"


def test_windows_1252(tenant):
    data = csv_bytes([["zoe@contoso.example", "Zoë “Z” Brontë"]], encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = parse_users_csv(data, tenant=tenant)
    assert result.is_valid, result.errors
    assert result.rows[0].display_name == "Zoë “Z” Brontë"


def test_semicolon_delimiter_as_dutch_excel_writes_it(tenant):
    data = csv_bytes(
        [["anna@contoso.example", "Vries, Anna de", "Sales; North"]],
        header=["User Name", "Display Name", "Department"],
        delimiter=";",
        encoding="utf-8-sig",
    )
    assert data.splitlines()[0] == "\ufeffUser Name;Display Name;Department".encode()
    result = parse_users_csv(data, tenant=tenant)
    assert result.is_valid, result.errors
    assert (result.rows[0].display_name, result.rows[0].department) == (
        "Vries, Anna de",
        "Sales; North",
    )


def test_quoted_fields_with_delimiters_quotes_and_line_breaks(tenant):
    data = (
        b"User Name,Display Name,Address,City\r\n"
        b'anna@contoso.example,"Anna ""The Boss"", de Vries","Main Street 1\r\n2nd floor",A\r\n'
        b'bob@contoso.example,Bob,"Station Road 2\nBack door",B\r\n'
    )
    result = parse_users_csv(data, tenant=tenant)
    assert result.is_valid, result.errors
    anna, bob = result.rows
    assert anna.display_name == 'Anna "The Boss", de Vries'
    assert anna.extra["address"] == "Main Street 1\r\n2nd floor"
    # A record over two lines is one row in a spreadsheet: Bob is on row 3.
    assert (bob.row, bob.extra["address"]) == (3, "Station Road 2\nBack door")


def test_empty_rows_are_skipped_but_counted(tenant):
    data = (
        csv_bytes(
            [
                ["anna@contoso.example", "Anna"],
                [],
                ["", "  "],
                ["bob@contoso.example", ""],
                [],
            ]
        )
        + b",,,,\r\n\r\n"
    )
    result = parse_users_csv(data, tenant=tenant)
    assert [user.row for user in result.rows] == [2]
    assert errors_of(result) == [(5, "Display Name", "This column is required. Enter a value.")]


def test_template_is_the_header_and_reads_back(tenant):
    assert template_csv() == ",".join(TEMPLATE_HEADER) + "\r\n"
    assert TEMPLATE_HEADER[0] == "User Name" and TEMPLATE_HEADER[-1] == "Country or Region"
    data = (template_csv() + "anna@contoso.example" + ",Anna" * 3 + "," * 12 + "\r\n").encode()
    assert parse_users_csv(data, tenant=tenant).is_valid


# --- The file as a whole ---------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf", b",,,\r\n"])
def test_empty_file(tenant, data):
    result = parse_users_csv(data, tenant=tenant)
    assert errors_of(result) == [
        (
            FILE_ROW,
            "",
            "The file is empty. Download the template, add one user per row, and try again.",
        )
    ]
    assert not result.is_valid


def test_header_only(tenant):
    result = parse_users_csv(b"User Name,Display Name\r\n,\r\n\r\n", tenant=tenant)
    assert errors_of(result) == [
        (FILE_ROW, "", "The file has only the header row. Add one user per row below it.")
    ]
    assert not result.is_valid


def test_missing_required_column_is_one_file_error(tenant):
    data = csv_bytes([["Anna"]], header=["First Name"])
    assert errors_of(parse_users_csv(data, tenant=tenant)) == [
        (1, "", "Required columns are missing: User Name, Display Name.")
    ]


def test_unknown_columns_are_one_file_error(tenant):
    data = csv_bytes([["a@contoso.example", "A", "x", "y"]], header=[*HEADER, "Shoe Size", "Pet"])
    error = only_error(parse_users_csv(data, tenant=tenant))
    assert (error.row, error.column) == (1, "")
    assert error.message.startswith("Unknown columns: “Shoe Size”, “Pet”.")


@pytest.mark.parametrize(
    "extra",
    [
        ["Roles", "Licenses", "Sign-in status", "Created"],
        ["Rollen", "Licenties", "Aanmeldingsstatus", "Gemaakt"],
        ["ROLES", " licenses "],
    ],
    ids=["english", "dutch", "case-and-spaces"],
)
def test_the_columns_an_export_adds_are_read_past(tenant, extra):
    data = csv_bytes(
        [["anna@contoso.example", "Anna", *(["x"] * len(extra))]], header=[*HEADER, *extra]
    )
    result = parse_users_csv(data, tenant=tenant)
    assert result.errors == []
    assert [user.username for user in result.rows] == ["anna@contoso.example"]


def test_the_mark_an_export_puts_before_a_formula_like_cell_is_taken_off(tenant):
    header = [*HEADER, "Mobile Phone", "Office Phone", "Job Title", "Last Name", "Department"]
    row = ["anna@contoso.example", "'=Anna", "'+31612345678", "'+31 20 1234567", "'-", "'t Hart"]
    data = csv_bytes([[*row, "'Sales'"]], header=header)
    [user] = parse_users_csv(data, tenant=tenant).rows
    assert (user.display_name, user.mobile_phone) == ("=Anna", "+31612345678")
    assert (user.business_phone, user.job_title) == ("+31 20 1234567", "-")
    # Only that mark: other apostrophes are the name's own.
    assert (user.last_name, user.department) == ("'t Hart", "'Sales'")


def test_a_column_twice_is_a_file_error(tenant):
    data = csv_bytes([["a@contoso.example", "A", "B"]], header=[*HEADER, "display name"])
    assert errors_of(parse_users_csv(data, tenant=tenant)) == [
        (1, "", "These columns appear more than once: Display Name.")
    ]


def test_too_many_rows(tenant):
    rows = [[f"u{n}@contoso.example", "U"] for n in range(4)]
    assert parse_users_csv(csv_bytes(rows[:3]), tenant=tenant, max_rows=3).is_valid
    error = only_error(parse_users_csv(csv_bytes(rows), tenant=tenant, max_rows=3))
    assert error.row == FILE_ROW
    assert "more than 3 users" in error.message


def test_too_large(tenant):
    data = csv_bytes([["anna@contoso.example", "Anna"]])
    error = only_error(parse_users_csv(data, tenant=tenant, max_bytes=len(data) - 1))
    assert error.row == FILE_ROW
    assert error.message.startswith("The file is larger than")


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # a workbook (.xlsx)
        "User Name\tDisplay Name\r\n".encode("utf-16"),  # Excel's "Unicode text"
    ],
)
def test_not_a_text_file(tenant, data):
    error = only_error(parse_users_csv(data, tenant=tenant))
    assert error.message.startswith("This is not a CSV text file.")


def test_bytes_that_windows_1252_leaves_undefined(tenant):
    error = only_error(parse_users_csv(b"User Name,Display Name\r\n\x81\x8d,x\r\n", tenant=tenant))
    assert error.message.startswith("The file's characters can't be read.")


@pytest.mark.parametrize(
    ("data", "row"),
    [
        # The quote opens the sign-in name and runs to the end of the file.
        (b'User Name,Display Name\r\n"anna@contoso.example,Anna\r\n', 2),
        (b'User Name,Display Name\r\n"anna@contoso.example,Anna', 2),
        # ... or opens a later cell, swallowing the rows after it.
        (
            b"User Name,Display Name\r\nanna@contoso.example,Anna\r\n"
            b'bob@contoso.example,"Bob\r\ncarl@contoso.example,Carl\r\n',
            3,
        ),
        # Closed by the quote of a later row, with text right after it.
        (
            b'User Name,Display Name,Address\r\nanna@contoso.example,Anna,"Main Street 1\r\n'
            b'bob@contoso.example,Bob,"Station Road 2"\r\n',
            2,
        ),
        (b'User Name,"Display Name\r\nanna@contoso.example,Anna\r\n', 1),
    ],
    ids=["sign-in-name", "no-final-line-break", "later-row", "closed-by-a-later-quote", "header"],
)
def test_an_unclosed_quotation_mark_is_reported_as_such_and_alone(tenant, data, row):
    error = only_error(parse_users_csv(data, tenant=tenant))
    assert error.row == row
    assert error.message.startswith(f"Row {row} can't be read"), error.message
    assert "quotation mark" in error.message


def test_unclosed_quote_beyond_the_field_limit(tenant):
    data = b'User Name,Display Name\r\na@contoso.example,"A\r\n' + b"x" * 200_000
    error = only_error(parse_users_csv(data, tenant=tenant))
    assert error.row == 2
    assert error.message.startswith("Row 2 can't be read")


# --- Rows ----------------------------------------------------------------------------


def test_errors_in_several_rows_are_all_reported_with_spreadsheet_row_numbers(tenant):
    data = csv_bytes(
        [
            ["anna@contoso.example", "Anna", "06 12345678"],
            ["", "", "not a phone"],
            [],
            ["carl@contoso.example", "Carl\nSmith", ""],
            ["dirk@contoso.example", "Dirk", "06 12345678"],
            ["eve@elsewhere.example", "Eve", "020 1234567"],
        ],
        header=[*HEADER, "Mobile Phone"],
    )
    result = parse_users_csv(data, tenant=tenant)
    assert [(error.row, error.column) for error in result.errors] == [
        (3, "User Name"),
        (3, "Display Name"),
        (3, "Mobile Phone"),
        (5, "Display Name"),
        (7, "User Name"),
        (7, "Mobile Phone"),
    ]
    assert result.errors[3].message.startswith("Remove the line break")
    assert result.errors[4].message == (
        "The domain elsewhere.example is not one of this organization's domains."
    )
    assert result.errors[5].message.startswith("This looks like a landline number")
    assert [user.row for user in result.rows] == [2, 6]
    assert not result.is_valid


def test_duplicate_name_in_the_file_is_reported_on_the_later_row(tenant):
    data = csv_bytes(
        [
            ["anna@contoso.example", "Anna"],
            ["bob@contoso.example", "Bob"],
            ["ANNA@contoso.example ", "Anna again"],
        ]
    )
    result = parse_users_csv(data, tenant=tenant)
    assert errors_of(result) == [(4, "User Name", "This sign-in name is also on row 2.")]
    assert [user.row for user in result.rows] == [2, 3]


def test_names_taken_in_the_database(tenant):
    make_user(tenant, "anna")
    make_user(tenant, "gone", deleted_at=timezone.now())
    # The domain was another organization's before it moved here; its user stays there.
    other = make_tenant(domain="fabrikam.example")
    make_user(other, "carl")
    Domain.objects.filter(name="fabrikam.example").update(tenant=tenant, is_default=False)
    data = csv_bytes(
        [
            ["Anna@Contoso.example", "Anna"],
            ["gone@contoso.example", "Gone"],
            ["carl@fabrikam.example", "Carl"],
            ["new@contoso.example", "New"],
        ]
    )
    result = parse_users_csv(data, tenant=tenant)
    assert errors_of(result) == [
        (2, "User Name", "A user with this sign-in name already exists."),
        (
            3,
            "User Name",
            "A deleted user has this sign-in name. Restore that user from Deleted users, or "
            "choose another name.",
        ),
        (4, "User Name", "A user with this sign-in name already exists."),
    ]
    assert [user.username for user in result.rows] == ["new@contoso.example"]


def test_another_organizations_names_are_never_looked_up(tenant):
    other = make_tenant(domain="fabrikam.example")
    make_user(other, "carl")
    data = csv_bytes([["carl@fabrikam.example", "Carl"]])
    result = parse_users_csv(data, tenant=tenant)
    # Only "not your domain": whether carl exists there is not the admin's business.
    assert errors_of(result) == [
        (2, "User Name", "The domain fabrikam.example is not one of this organization's domains.")
    ]


def test_an_operator_holds_a_name(tenant):
    Domain.objects.create(tenant=tenant, name="platform.example", is_verified=True)
    make_operator("root@platform.example")
    result = parse_users_csv(csv_bytes([["root@platform.example", "Root"]]), tenant=tenant)
    assert errors_of(result) == [(2, "User Name", "A user with this sign-in name already exists.")]


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("anna", "Enter a sign-in name such as name@contoso.example."),
        ("@contoso.example", "Enter a sign-in name such as name@contoso.example."),
        ("anna smith@contoso.example", "Enter a sign-in name such as name@contoso.example."),
        ("a@b@contoso.example", "Enter a sign-in name such as name@contoso.example."),
        (
            "anna@fabrikam.example",
            "The domain fabrikam.example is not one of this organization's domains.",
        ),
        (
            "anna@new.example",
            "The domain new.example is not verified yet. Verify it first, or use another domain.",
        ),
    ],
)
def test_bad_sign_in_names(tenant, username, message):
    Domain.objects.create(tenant=tenant, name="new.example", is_verified=False)
    result = parse_users_csv(csv_bytes([[username, "Anna"]]), tenant=tenant)
    assert errors_of(result) == [(2, "User Name", message)]


def test_internationalized_domain_is_matched_in_ascii(tenant):
    Domain.objects.create(tenant=tenant, name="xn--bcher-kva.example", is_verified=True)
    result = parse_users_csv(csv_bytes([["anna@Bücher.example", "Anna"]]), tenant=tenant)
    assert result.rows[0].username == "anna@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("phone", "stored"),
    [("06 12345678", "+31612345678"), ("+32 470 12 34 56", "+32470123456")],
)
def test_mobile_phone_is_read_in_the_tenants_country_and_stored_e164(tenant, phone, stored):
    data = csv_bytes([["anna@contoso.example", "Anna", phone]], header=[*HEADER, "Mobile Phone"])
    assert parse_users_csv(data, tenant=tenant).rows[0].mobile_phone == stored


@pytest.mark.parametrize(
    ("phone", "start"),
    [
        ("06 1234", "This number is too short."),
        ("call me", "A phone number can only contain digits"),
        ("020 1234567", "This looks like a landline number"),
        ("+81 90 1234 5678", "Text messages can't be sent to numbers in this country (+81)."),
    ],
)
def test_bad_mobile_phone(tenant, phone, start):
    data = csv_bytes([["anna@contoso.example", "Anna", phone]], header=[*HEADER, "Mobile Phone"])
    error = only_error(parse_users_csv(data, tenant=tenant))
    assert (error.row, error.column) == (2, "Mobile Phone")
    assert error.message.startswith(start), error.message


def test_alternate_email_is_normalized(tenant):
    header = [*HEADER, "Alternate email address"]
    data = csv_bytes([["anna@contoso.example", "Anna", "Anna.V@EXAMPLE.org"]], header=header)
    assert parse_users_csv(data, tenant=tenant).rows[0].alternate_email == "Anna.V@example.org"


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("anna@", "This is not a valid email address:"),
        ("anna at example.org", "This is not a valid email address:"),
        ("anna@sales.contoso.example", "Use an address outside the organization (not @contoso"),
        ("ANNA@contoso.example", "This is the user's sign-in name;"),
    ],
)
def test_bad_alternate_email(tenant, email, message):
    header = [*HEADER, "Alternate email address"]
    data = csv_bytes([["anna@contoso.example", "Anna", email]], header=header)
    error = only_error(parse_users_csv(data, tenant=tenant))
    assert (error.row, error.column) == (2, "Alternate email address")
    assert error.message.startswith(message), error.message


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("NL", "NL"),
        ("de", "DE"),
        ("Netherlands", "NL"),
        ("  united   kingdom ", "GB"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Czech Republic", "CZ"),
        ("", ""),
    ],
)
def test_country_by_code_or_english_name(tenant, country, code):
    data = csv_bytes([["a@contoso.example", "A", country]], header=[*HEADER, "Country or Region"])
    result = parse_users_csv(data, tenant=tenant)
    assert result.rows[0].usage_location == code


@pytest.mark.parametrize(
    ("country", "code"),
    [
        # Microsoft 365's own sample file writes "United States".
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("united states of america", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("the Netherlands", "NL"),
        ("Holland", "NL"),
        ("Ivory Coast", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("C\u00f4te d\u2019Ivoire", "CI"),  # a typographic apostrophe
        ("South Korea", "KR"),
        ("Korea (the Republic of)", "KR"),
        ("Russian Federation", "RU"),
        # Dutch, as an organization in the Netherlands writes them.
        ("Nederland", "NL"),
        ("Verenigde Staten", "US"),
        ("Verenigde Staten van Amerika", "US"),
        ("Verenigd Koninkrijk", "GB"),
        ("Groot-Brittannië", "GB"),
        ("België", "BE"),
        ("Belgie", "BE"),
        ("Duitsland", "DE"),
        ("Noord Macedonië", "MK"),
        # ISO 3166-1 codes: two letters, three letters, three digits.
        ("us", "US"),
        ("GBR", "GB"),
        ("840", "US"),
    ],
)
def test_country_by_common_english_or_dutch_name_or_iso_code(tenant, country, code):
    data = csv_bytes([["a@contoso.example", "A", country]], header=[*HEADER, "Country or Region"])
    result = parse_users_csv(data, tenant=tenant)
    assert result.errors == []
    assert result.rows[0].usage_location == code


@pytest.mark.parametrize(
    "country",
    ["²", "1²", "⁵²⁸", "٥٢٨", "①", "Ⅻ", "½", "٣", "\U0001d7d3\U0001d7d0\U0001d7d6", "NL²"],
)
def test_digits_that_are_not_ascii_are_an_unknown_country_not_a_crash(tenant, country):
    # str.isdigit() is true for "²" and others; django-countries then calls int() on them.
    data = csv_bytes([["a@contoso.example", "A", country]], header=[*HEADER, "Country or Region"])
    error = only_error(parse_users_csv(data, tenant=tenant))
    assert (error.row, error.column) == (2, "Country or Region")
    assert error.message.startswith("Enter a two-letter country code such as NL")


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    country=st.one_of(
        st.text(CELL_TEXT, max_size=30),
        # Characters for which str.isdigit() or str.isnumeric() is true, ASCII or not.
        st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4),
        st.sampled_from(["United States", "Nederland", "NLD", "528", "²", "U.K."]),
    ),
    delimiter=st.sampled_from([",", ";"]),
)
def test_any_text_in_the_country_column_gives_a_code_or_a_row_error(tenant, country, delimiter):
    header = [*HEADER, "Country or Region"]
    data = csv_bytes([["a@contoso.example", "A", country]], header=header, delimiter=delimiter)
    result = parse_users_csv(data, tenant=tenant)
    if result.errors:
        assert {(error.row, error.column) for error in result.errors} == {(2, "Country or Region")}
        assert result.rows == []
    else:
        [row] = result.rows
        assert row.usage_location == "" or len(row.usage_location) == 2


@pytest.mark.parametrize("country", ["XX", "Atlantis", "N", "x" * 1000])
def test_unknown_country(tenant, country):
    data = csv_bytes([["a@contoso.example", "A", country]], header=[*HEADER, "Country or Region"])
    error = only_error(parse_users_csv(data, tenant=tenant))
    assert (error.row, error.column) == (2, "Country or Region")
    assert error.message.startswith("Enter a two-letter country code such as NL")


def test_values_longer_than_their_field(tenant):
    header = [*HEADER, "Job Title", "Office Phone", "City"]
    local = "a" * (254 - len("@contoso.example"))
    data = csv_bytes(
        [
            [f"{local}@contoso.example", "D" * 256, "J" * 150, "1" * 40, "C" * 200],
            [f"{local}a@contoso.example", "D" * 257, "J" * 151, "1" * 41, "C" * 201],
        ],
        header=header,
    )
    result = parse_users_csv(data, tenant=tenant)
    assert errors_of(result) == [
        (3, "User Name", "Use at most 254 characters (this has 255)."),
        (3, "Display Name", "Use at most 256 characters (this has 257)."),
        (3, "Job Title", "Use at most 150 characters (this has 151)."),
        (3, "Office Phone", "Use at most 40 characters (this has 41)."),
        (3, "City", "Use at most 200 characters (this has 201)."),
    ]
    assert [user.row for user in result.rows] == [2]


def test_values_beyond_the_header(tenant):
    data = b"User Name,Display Name,\r\na@contoso.example,A,,,\r\nb@contoso.example,B,,x\r\n"
    result = parse_users_csv(data, tenant=tenant)
    assert errors_of(result) == [
        (3, "", "This row has a value in column D, which has no name in the header row.")
    ]


# --- The error report -------------------------------------------------------------------


def test_error_report_defuses_formulas():
    errors = [
        RowError(FILE_ROW, "", "The file is empty."),
        RowError(2, "User Name", '=HYPERLINK("http://evil.example")'),
    ]
    assert list(csv.reader(io.StringIO(errors_csv(errors)))) == [
        ["Row", "Column", "Reason"],
        ["", "", "The file is empty."],
        ["2", "User Name", '\'=HYPERLINK("http://evil.example")'],
    ]


# --- Scale and properties ----------------------------------------------------------------


def test_ten_thousand_rows_take_two_queries(tenant, django_assert_max_num_queries):
    make_user(tenant, "user42")
    rows = [
        [
            f"user{n}@contoso.example",
            f"User {n}",
            f"06 {10_000_000 + n}",
            f"user{n}@example.org",
            ("NL", "Germany", "be")[n % 3],
            f"Street {n}\nFloor {n % 7}",
        ]
        for n in range(10_000)
    ]
    header = [*HEADER, "Mobile Phone", "Alternate email address", "Country or Region", "Address"]
    data = csv_bytes(rows, header=header)
    with django_assert_max_num_queries(5):
        result = parse_users_csv(data, tenant=tenant)
    assert errors_of(result) == [(44, "User Name", "A user with this sign-in name already exists.")]
    assert len(result.rows) == 9_999
    assert result.rows[-1].mobile_phone == "+31610009999"


def _not_marked(value):
    """Return whether ``value`` does not start as an exported, defused cell does ("'=")."""
    value = value.strip()
    return not (value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r"))


ROUND_TRIP_COLUMNS = [
    "First Name",
    "Last Name",
    "Job Title",
    "Department",
    "Office Number",
    "Office Phone",
    "Fax",
    "City",
]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    column=st.sampled_from(TEMPLATE_HEADER[1:]),
    value=st.text(CELL_TEXT, max_size=300),
    delimiter=st.sampled_from([",", ";"]),
)
def test_any_text_in_a_cell_is_read_or_reported_on_its_row(tenant, column, value, delimiter):
    if column == "Display Name":
        header, row = ["User Name", column], ["anna@contoso.example", value]
    else:
        header, row = [*HEADER, column], ["anna@contoso.example", "Anna", value]
    result = parse_users_csv(csv_bytes([row], header=header, delimiter=delimiter), tenant=tenant)
    if result.errors:
        assert {(error.row, error.column) for error in result.errors} == {(2, column)}
        assert result.rows == []
    else:
        assert [user.row for user in result.rows] == [2]


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "Display Name": st.text(ONE_LINE, min_size=1, max_size=40)
                .filter(str.strip)
                .filter(_not_marked),
                "Address": st.text(CELL_TEXT, max_size=40).filter(_not_marked),
                **{
                    name: st.text(ONE_LINE, max_size=40).filter(_not_marked)
                    for name in ROUND_TRIP_COLUMNS
                },
            }
        ),
        min_size=1,
        max_size=5,
    ),
    delimiter=st.sampled_from([",", ";"]),
    bom=st.booleans(),
)
def test_rows_written_by_csv_writer_read_back_the_same(tenant, rows, delimiter, bom):
    names = ["Display Name", "Address", *ROUND_TRIP_COLUMNS]
    header = ["User Name", *names]
    lines = [
        [f"user{n}@contoso.example", *(row[name] for name in names)] for n, row in enumerate(rows)
    ]
    data = csv_bytes(lines, header=header, delimiter=delimiter)
    result = parse_users_csv(b"\xef\xbb\xbf" + data if bom else data, tenant=tenant)

    assert result.errors == []
    for n, (row, user) in enumerate(zip(rows, result.rows, strict=True)):
        assert user.row == n + 2
        assert user.username == f"user{n}@contoso.example"
        read = {
            "Display Name": user.display_name,
            "Address": user.extra.get("address", ""),
            "First Name": user.first_name,
            "Last Name": user.last_name,
            "Job Title": user.job_title,
            "Department": user.department,
            "Office Number": user.office,
            "Office Phone": user.business_phone,
            "Fax": user.extra.get("fax", ""),
            "City": user.extra.get("city", ""),
        }
        assert read == {name: value.strip() for name, value in row.items()}
