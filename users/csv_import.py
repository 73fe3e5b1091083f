"""Read a CSV file of new users: its columns, the checks on every row, the error report.

Pure parsing and validation: nothing is written here. ``parse_users_csv`` turns
the uploaded bytes into cleaned rows and collects every problem, each with the
row number a spreadsheet shows (the header is row 1), so an admin can fix the
whole file in one go. It reads the database twice, whatever the number of
rows: the tenant's domains, and which of the file's sign-in names exist.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts import addresses
from accounts.models import Domain, Tenant, User, UserManager
from core.csv_export import csv_safe
from groups import selectors as group_selectors
from security_info.selectors import normalize_alternate_email, parse_mobile_number

# Big enough for any organization's first import, small enough to check in one request.
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024

# Columns with no field on the user (fax, postal address) are kept as profile
# data; this bounds them.
EXTRA_MAX_LENGTH = 200

# Sign-in names looked up per query: far below the bind-parameter limits of
# SQLite (32,766 since 3.32) and PostgreSQL (65,535), so 10,000 rows take one query.
NAMES_PER_QUERY = 10_000

# The row of errors about the file as a whole (size, encoding, too many rows).
FILE_ROW = 0


@dataclass(frozen=True)
class Column:
    """One column of the template: its header, and the key of its cleaned value."""

    header: str
    key: str
    required: bool = False
    # Stored on UserRow.extra rather than on a field of the user.
    extra: bool = False
    # Only these may hold line breaks; in a name a line break is a mistake.
    multiline: bool = False

    @property
    def max_length(self):
        if self.extra:
            return EXTRA_MAX_LENGTH
        return User._meta.get_field(self.key).max_length


COLUMNS = (
    Column("User Name", "username", required=True),
    Column("First Name", "first_name"),
    Column("Last Name", "last_name"),
    Column("Display Name", "display_name", required=True),
    Column("Job Title", "job_title"),
    Column("Department", "department"),
    Column("Office Number", "office"),
    Column("Office Phone", "business_phone"),
    Column("Mobile Phone", "mobile_phone"),
    Column("Fax", "fax", extra=True),
    Column("Alternate email address", "alternate_email"),
    Column("Address", "address", extra=True, multiline=True),
    Column("City", "city", extra=True),
    Column("State or Province", "state_or_province", extra=True),
    Column("ZIP or Postal Code", "postal_code", extra=True),
    Column("Country or Region", "usage_location"),
)
TEMPLATE_HEADER = tuple(column.header for column in COLUMNS)

# The columns a user's contact information is kept in (User.contact_details), shown
# and edited on the user's page: the same checks there as here (clean_contact).
CONTACT_KEYS = (
    "mobile_phone",
    "alternate_email",
    "fax",
    "address",
    "city",
    "state_or_province",
    "postal_code",
)

# The columns an Active users export (users.exports) adds after these, in the
# portal's words. The import reads past them, so that an exported file can be
# added again, to another organization say.
EXPORT_ONLY_HEADERS = (_("Roles"), _("Licenses"), _("Sign-in status"), _("Created"))

# Country names people write that django-countries does not know, in English and
# in Dutch (the portal's languages). Its own names, official and common, older
# names, and ISO 3166-1 codes are read without this table.
COUNTRY_ALIASES = {
    "US": ("United States", "USA", "America", "Verenigde Staten", "VS", "Amerika"),
    "GB": ("UK", "Great Britain", "Britain", "England", "Scotland", "Wales", "Groot-Brittannië"),
    "NL": ("Holland",),
    "AE": ("UAE",),
    "CI": ("Ivory Coast",),
    "CV": ("Cape Verde", "Kaapverdië"),
    "MM": ("Burma",),
    "TL": ("East Timor", "Oost-Timor"),
    "CZ": ("Tsjechische Republiek",),
}

_COLUMN_ORDER = {column.header: index for index, column in enumerate(COLUMNS)}
_COLUMN_OF_KEY = {column.key: column for column in COLUMNS}
_HEADER_OF_KEY = {column.key: column.header for column in COLUMNS}
# A country cell longer than this is no country name; refuse it before looking it up.
_COUNTRY_MAX_INPUT_LENGTH = 100
# Unknown header names are quoted back in an error; a long one is cut.
_HEADER_NAME_SHOWN = 50

_MESSAGES = {
    "too_large": _(
        "The file is larger than %(max)s. Split it into smaller files and add them one by one."
    ),
    "encoding": _(
        "The file's characters can't be read. In Excel, save it as “CSV UTF-8 (Comma delimited)”."
    ),
    "not_text": _(
        "This is not a CSV text file. In Excel, save it as “CSV UTF-8 (Comma delimited)”."
    ),
    "empty": _("The file is empty. Download the template, add one user per row, and try again."),
    "no_rows": _("The file has only the header row. Add one user per row below it."),
    "too_many_rows": _(
        "The file has more than %(max)s users. Split it into files of at most %(max)s users."
    ),
    "unreadable": _(
        "Row %(row)s can't be read (%(detail)s). Check it for a quotation mark (\") that is "
        "never closed."
    ),
    "unknown_columns": _(
        "Unknown columns: %(names)s. Use the column names of the template, or remove these columns."
    ),
    "duplicate_columns": _("These columns appear more than once: %(names)s."),
    "missing_columns": _("Required columns are missing: %(names)s."),
    "unnamed_cell": _(
        "This row has a value in column %(letter)s, which has no name in the header row."
    ),
    "required": _("This column is required. Enter a value."),
    "too_long": _("Use at most %(max)s characters (this has %(length)s)."),
    "line_break": _("Remove the line break: only the Address column may have several lines."),
    "username_invalid": _("Enter a sign-in name such as name@%(domain)s."),
    "foreign_domain": _("The domain %(domain)s is not one of this organization's domains."),
    "unverified_domain": _(
        "The domain %(domain)s is not verified yet. Verify it first, or use another domain."
    ),
    "duplicate_name": _("This sign-in name is also on row %(row)s."),
    "name_taken": _("A user with this sign-in name already exists."),
    "name_deleted": _(
        "A deleted user has this sign-in name. Restore that user from Deleted users, or "
        "choose another name."
    ),
    "country": _(
        "Enter a two-letter country code such as NL, or a country name such as Netherlands."
    ),
    # Reworded (see _REWORDED): the validators address people typing their own address.
    "same_as_sign_in": _("This is the user's sign-in name; enter a different, personal address."),
    "own_domain": _(
        "Use an address outside the organization (not @%(domain)s): it must still work "
        "when the work account doesn't."
    ),
}

_REWORDED = frozenset({"same_as_sign_in", "own_domain"})


@dataclass(frozen=True)
class RowError:
    """A problem in the file: its row as a spreadsheet shows it, its column, the reason.

    ``row`` is FILE_ROW (0) for the file as a whole and 1 for the header row;
    ``column`` is "" when the problem is not in one column.
    """

    row: int
    column: str
    message: str


@dataclass
class UserRow:
    """The cleaned values of one valid row of the file."""

    row: int
    username: str
    display_name: str
    first_name: str = ""
    last_name: str = ""
    job_title: str = ""
    department: str = ""
    office: str = ""
    business_phone: str = ""
    # E.164, such as "+31612345678".
    mobile_phone: str = ""
    alternate_email: str = ""
    # An ISO 3166-1 alpha-2 code, such as "NL".
    usage_location: str = ""
    # The filled-in columns that have no field on the user: fax, address, city,
    # state_or_province, postal_code.
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    """What a file holds: the rows without errors, and every error found."""

    rows: list[UserRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        """Return whether every row can be added: no errors, and at least one row."""
        return not self.errors and bool(self.rows)


def template_csv() -> str:
    """Return the template to fill in: the header row only."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(TEMPLATE_HEADER)
    return buffer.getvalue()


def errors_csv(errors: list[RowError]) -> str:
    """Return ``errors`` as a CSV report (Row, Column, Reason), safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([gettext("Row"), gettext("Column"), gettext("Reason")])
    for error in errors:
        row = "" if error.row == FILE_ROW else error.row
        writer.writerow([csv_safe(row), csv_safe(error.column), csv_safe(error.message)])
    return buffer.getvalue()


def parse_users_csv(
    data: bytes, *, tenant: Tenant, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES
) -> ImportResult:
    """Read and check a CSV file of new users of ``tenant``; never raise on bad input.

    The file is UTF-8 (with or without a byte order mark) or else Windows-1252,
    delimited by commas or (as Excel writes it in some countries) semicolons.
    A problem with the file as a whole is reported alone; otherwise every row
    is checked and every problem reported.
    """
    if len(data) > max_bytes:
        return _file_error("too_large", max=filesizeformat(max_bytes))
    text = _decode(data)
    if text is None:
        return _file_error("encoding")
    if "\x00" in text:
        # A workbook (.xlsx is a zip), or text saved as UTF-16 ("Unicode text").
        return _file_error("not_text")
    header_line = next((line for line in io.StringIO(text, newline="") if line.strip()), None)
    if header_line is None:
        return _file_error("empty")

    # strict: a quotation mark never closed is an error (at the end of the file), not a
    # cell that swallows the rows after it and fails as a strange name or domain.
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(header_line), strict=True
    )
    records = _numbered_records(reader)
    try:
        first = next(records, None)
        if first is None:
            # Only blank records, such as ",,,".
            return _file_error("empty")
        header_row, header = first
        columns, header_errors = _read_header(header, header_row)
        if header_errors:
            return ImportResult(errors=header_errors)
        return _Checker(tenant).check(records, columns, max_rows=max_rows)
    except csv.Error as error:
        row, detail = error.args
        return _file_error("unreadable", row=row, detail=detail, at=row)


def _file_error(code, *, at=FILE_ROW, **params):
    return ImportResult(errors=[RowError(at, "", _message(code, params))])


def _message(code, params=None):
    message = str(_MESSAGES[code])
    return message % params if params else message


def _decode(data):
    """Return ``data`` as text: UTF-8 if it is valid UTF-8, else Windows-1252, else None.

    Valid UTF-8 is almost never meant as Windows-1252 text, so the order decides
    deterministically.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # Windows-1252 leaves five bytes undefined; no text editor writes them.
    return None


def _delimiter(header_line):
    """Return the delimiter of the file: a semicolon if the header has more of those."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _numbered_records(reader):
    """Yield ``(row, cells)`` for each non-blank record; a row as a spreadsheet numbers it.

    A record with line breaks inside quotes is one row, as in a spreadsheet.
    Blank rows (also ",,,," as Excel writes formatted empty rows) are skipped,
    but counted. csv.Error is raised again as ``csv.Error(row, detail)``.
    """
    row = 0
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise csv.Error(row, str(error)) from None
        if any(cell.strip() for cell in cells):
            yield row, cells


def _header_key(name):
    return " ".join(name.replace("\ufeff", "").split()).casefold()


_COLUMNS_BY_KEY = {_header_key(column.header): column for column in COLUMNS}


# The position of a column the import reads past (one an export adds).
_SKIPPED = Column("", "")


def _export_only_keys():
    """Return the header keys of the export's own columns, in every language of the portal."""
    keys = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            keys.update(_header_key(str(header)) for header in EXPORT_ONLY_HEADERS)
    return keys


def _read_header(header, row):
    """Return the Column of each position (None: unnamed), and the header's errors."""
    columns, unknown, duplicates, seen = [], [], [], set()
    skipped = _export_only_keys()
    for name in header:
        key = _header_key(name)
        column = _COLUMNS_BY_KEY.get(key)
        if column is None and key in skipped:
            columns.append(_SKIPPED)
            continue
        if key and column is None:
            shown = " ".join(name.split())
            if len(shown) > _HEADER_NAME_SHOWN:
                shown = shown[: _HEADER_NAME_SHOWN - 1] + "…"
            unknown.append(f"“{shown}”")
        elif column is not None and column in seen:
            duplicates.append(column.header)
            column = None
        if column is not None:
            seen.add(column)
        columns.append(column)
    missing = [column.header for column in COLUMNS if column.required and column not in seen]
    errors = [
        RowError(row, "", _message(code, {"names": ", ".join(names)}))
        for code, names in (
            ("missing_columns", missing),
            ("unknown_columns", unknown),
            ("duplicate_columns", duplicates),
        )
        if names
    ]
    return columns, errors


def _column_letter(index):
    """Return the spreadsheet name of the column at ``index`` (0: "A", 26: "AA")."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _error_messages(error):
    """Return the text of a ValidationError, in our words where the validator's don't fit."""
    if error.code in _REWORDED:
        return _message(error.code, error.params)
    return " ".join(error.messages)


def _check_length(value, max_length):
    if len(value) > max_length:
        raise ValidationError(
            _MESSAGES["too_long"],
            code="too_long",
            params={"max": max_length, "length": len(value)},
        )


def _check_line_break(column, value):
    if not column.multiline and ("\n" in value or "\r" in value):
        raise ValidationError(_MESSAGES["line_break"], code="line_break")


def clean_contact(key, value, *, region, tenant_domains, sign_in_name):
    """Return the contact information ``value`` of column ``key`` as it is stored.

    ``key`` is one of CONTACT_KEYS. The mobile phone is read in ``region`` (the
    tenant's country) and stored E.164; the alternate email is normalized and
    must lie outside ``tenant_domains`` and differ from ``sign_in_name``; the
    rest is text of at most EXTRA_MAX_LENGTH characters, one line but for the
    address. Empty stays empty. Raise ValidationError, in words for an admin.
    """
    value = (value or "").strip()
    if not value:
        return ""
    column = _COLUMN_OF_KEY[key]
    _check_line_break(column, value)
    if key == "mobile_phone":
        return parse_mobile_number(value, region=region)
    if key == "alternate_email":
        try:
            return normalize_alternate_email(
                value, tenant_domains=tenant_domains, sign_in_name=sign_in_name
            )
        except ValidationError as error:
            if error.code in _REWORDED:
                # The validator speaks to people typing their own address.
                raise ValidationError(
                    _MESSAGES[error.code], code=error.code, params=error.params
                ) from None
            raise
    _check_length(value, column.max_length)
    return value


# The marks csv_safe() (core.csv_export) puts before a cell that a
# spreadsheet would read as a formula: an exported "+31612345678" reads "'+31612345678".
_DEFUSED_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _undefused(value):
    """Return ``value`` without the apostrophe an export put before a formula-like cell."""
    if value[:1] == "'" and value[1:2] in _DEFUSED_STARTS:
        return value[1:]
    return value


def _country_code(value):
    """Return the country of an ISO 3166-1 code ("NL", "NLD", "528"), or ""."""
    # Only ASCII: "²" and other characters for which str.isdigit() is true are no
    # digits to int(), and django-countries would raise ValueError on them.
    if not value.isascii() or not value.isalnum():
        return ""
    return countries.alpha2(value)


def _country_key(name):
    """Return ``name`` as country names are compared: no accents, case or punctuation quirks.

    "Côte d'Ivoire" (with either apostrophe), "cote d'ivoire" and "Cote  D'Ivoire"
    are one key; so are "Noord-Macedonië" and "Noord Macedonie", "U.S.A." and
    "USA", "The Gambia" and "Gambia".
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace(".", "").replace("-", " ")
    text = " ".join(text.split()).casefold()
    return text.removeprefix("the ")


class _Checker:
    """The checks of one file, with what they need of the tenant read once."""

    def __init__(self, tenant):
        self.tenant_id = tenant.pk
        self.region = tenant.country
        self.domains = {}
        default = None
        for name, is_verified, is_default in Domain.objects.for_tenant(tenant).values_list(
            "name", "is_verified", "is_default"
        ):
            self.domains[name] = is_verified
            if is_default or default is None:
                default = name
        # Verified or not: an address on any of them is the organization's.
        self.domain_names = list(self.domains)
        self.example_domain = default or "contoso.example"
        self.countries = None
        self.country_codes = {}

    def check(self, records, columns, *, max_rows):
        """Return the ImportResult of the data ``records`` read with ``columns``."""
        errors, rows = [], {}
        first_row_of = {}  # sign-in name -> row it first appears on
        count = 0
        for count, (row, cells) in enumerate(records, start=1):
            if count > max_rows:
                return _file_error(
                    "too_many_rows", max=number_format(max_rows, force_grouping=True)
                )
            values, row_errors = self.check_row(row, cells, columns)
            username = values.get("username")
            if username and not row_errors.get("username"):
                if username in first_row_of:
                    row_errors["username"] = _message(
                        "duplicate_name", {"row": first_row_of[username]}
                    )
                else:
                    first_row_of[username] = row
            errors += self.as_row_errors(row, row_errors)
            if not row_errors:
                rows[row] = values
        if not count:
            return _file_error("no_rows")

        for username, (tenant_id, deleted_at) in self.existing(first_row_of).items():
            row = first_row_of[username]
            own_deleted = deleted_at is not None and tenant_id == self.tenant_id
            code = "name_deleted" if own_deleted else "name_taken"
            errors.append(RowError(row, COLUMNS[0].header, _message(code)))
            rows.pop(row, None)

        errors.sort(key=lambda error: (error.row, _COLUMN_ORDER.get(error.column, len(COLUMNS))))
        return ImportResult(
            rows=[UserRow(row=row, **values) for row, values in rows.items()], errors=errors
        )

    def check_row(self, row, cells, columns):
        """Return the cleaned values of one record, and ``{column key: message}``."""
        raw, row_errors = {}, {}
        for index, cell in enumerate(cells):
            column = columns[index] if index < len(columns) else None
            if column is _SKIPPED:
                continue
            if column is not None:
                raw[column.key] = cell
            elif cell.strip() and "" not in row_errors:
                row_errors[""] = _message("unnamed_cell", {"letter": _column_letter(index)})

        values = {"extra": {}}
        for column in COLUMNS:
            value = _undefused(raw.get(column.key, "").strip())
            try:
                value = self.clean(column, value, values)
            except ValidationError as error:
                row_errors[column.key] = _error_messages(error)
                continue
            if column.extra:
                if value:
                    values["extra"][column.key] = value
            else:
                values[column.key] = value
        return values, row_errors

    def as_row_errors(self, row, row_errors):
        return [
            RowError(row, _HEADER_OF_KEY.get(key, ""), message)
            for key, message in row_errors.items()
        ]

    def clean(self, column, value, values):
        """Return ``value`` cleaned for ``column``, or raise ValidationError."""
        if not value:
            if column.required:
                raise ValidationError(_MESSAGES["required"], code="required")
            return value
        if column.key in CONTACT_KEYS:
            return clean_contact(
                column.key,
                value,
                region=self.region,
                tenant_domains=self.domain_names,
                sign_in_name=values.get("username"),
            )
        _check_line_break(column, value)
        if column.key == "username":
            return self.clean_username(value)
        if column.key == "usage_location":
            return self.clean_country(value)
        self.check_length(value, column.max_length)
        return value

    check_length = staticmethod(_check_length)

    def clean_username(self, value):
        username = UserManager.normalize_username(value)
        self.check_length(username, User._meta.get_field("username").max_length)
        local, sep, domain = username.rpartition("@")
        if not sep or not local or "@" in local or any(char.isspace() for char in local):
            # The model accepts these; a sign-in name with a space is always a typo.
            raise ValidationError(
                _MESSAGES["username_invalid"],
                code="username_invalid",
                params={"domain": self.example_domain},
            )
        if domain not in self.domains:
            raise ValidationError(
                _MESSAGES["foreign_domain"], code="foreign_domain", params={"domain": domain}
            )
        if not self.domains[domain]:
            raise ValidationError(
                _MESSAGES["unverified_domain"], code="unverified_domain", params={"domain": domain}
            )
        return username

    def clean_country(self, value):
        # A file names a handful of countries, thousands of times over.
        if value not in self.country_codes:
            code = ""
            if len(value) <= _COUNTRY_MAX_INPUT_LENGTH:
                code = _country_code(value) or self.country_names().get(_country_key(value), "")
            self.country_codes[value] = code
        code = self.country_codes[value]
        if not code:
            raise ValidationError(_MESSAGES["country"], code="country")
        return code

    def country_names(self):
        """Return ``{country name, case-folded: code}`` in every language the portal speaks.

        English names come first (with the older names by_name() knows), then those
        of the other languages, so "Duitsland" is read as well as "Germany".

        countries.by_name() walks every country on each call (under a millisecond,
        but a file can have 50,000 rows); the same names, read once, make a dict.
        """
        if self.countries is None:
            self.countries = {}
            with translation.override("en"):
                for code, name in countries:
                    self.countries[_country_key(str(name))] = code
                for code, names in countries.shadowed_names.items():
                    for name in names:
                        self.countries.setdefault(_country_key(str(name)), code)
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    for code, name in countries:
                        self.countries.setdefault(_country_key(str(name)), code)
            for code, names in COUNTRY_ALIASES.items():
                for name in names:
                    self.countries.setdefault(_country_key(name), code)
        return self.countries

    def existing(self, usernames):
        """Return ``{username: (tenant id, deleted at)}`` of the users that hold ``usernames``.

        Sign-in names are unique across tenants, so every tenant counts; only names
        on this tenant's own domains are asked about, so the answer tells an admin
        nothing about other organizations' users.
        """
        names = sorted(usernames)
        found = {}
        for start in range(0, len(names), NAMES_PER_QUERY):
            found.update(
                (username, (tenant_id, deleted_at))
                for username, tenant_id, deleted_at in User.objects.filter(
                    username__in=names[start : start + NAMES_PER_QUERY]
                ).values_list("username", "tenant_id", "deleted_at")
            )
            # A group's address is taken as well: addresses are unique across both.
            chunk = names[start : start + NAMES_PER_QUERY]
            for address, tenant_id in group_selectors.group_addresses_in(chunk).items():
                found.setdefault(address, (tenant_id, None))
            # And a resource's, or any other claimed one.
            for address, tenant_id in addresses.claimed_in(chunk).items():
                found.setdefault(address, (tenant_id, None))
        return found
