"""The Active users export: its columns and rows, streamed or written by a background job.

A selection up to ``USERS_EXPORT_BACKGROUND_ROWS`` rows streams straight to the
browser. A larger one is written by a worker (``users.tasks.export_users``) into
an ExportJob, whose page shows the progress, on whichever node, and offers the
file to whoever asked for it, for an hour.
"""

import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from billing import selectors as billing_selectors
from core.csv_export import csv_lines
from users import csv_import, selectors
from users.csv_import import CONTACT_KEYS

# Rows written between two progress updates.
PROGRESS_EVERY = 2000


def selection(tenant, params):
    """Return the users the list's ``params`` (search, filters, sort) select, in order.

    Raise ValidationError when the filters are not valid: exporting everyone
    instead of the selection would hand over more than was asked for.
    """
    users, user_filter = selectors.user_list(tenant=tenant, params=params)
    if user_filter.is_bound and not user_filter.is_valid():
        raise ValidationError(
            _("The filters are not valid. Correct them on the users page."), code="filters"
        )
    return users.order_by(*selectors.sort_expressions(user_filter.sort_key)).only(*FIELDS)


def write(tenant, users, *, progress=None):
    """Return the CSV of ``users`` as text; call ``progress(rows written)`` now and then."""
    out = io.StringIO()
    written = -1  # the header is no row
    for line in csv_lines(header(), rows(tenant, users)):
        out.write(line)
        written += 1
        if progress and written and written % PROGRESS_EVERY == 0:
            progress(written)
    return out.getvalue()


def rows(tenant, users):
    """Yield the CSV row of each of ``users`` (a queryset), reading them in chunks."""
    # Roles belong to few users: one query for all of them, then the users streamed.
    roles = selectors.roles_by_user(tenant=tenant, user_ids=None)
    licenses = billing_selectors.product_names_by_user(tenant=tenant, user_ids=None)
    blocked, allowed = _("Blocked"), _("Allowed")
    for user in users.iterator(chunk_size=2000):
        contact = user.contact_details or {}
        yield [
            user.display_name,
            user.username,
            user.first_name,
            user.last_name,
            user.job_title,
            user.department,
            "; ".join(roles.get(user.pk, ())),
            "; ".join(licenses.get(user.pk, ())),
            blocked if user.is_sign_in_blocked else allowed,
            user.date_joined.date().isoformat(),
            user.office,
            user.business_phone,
            *(contact.get(key, "") for key in CONTACT_KEYS),
            user.usage_location.code or "",
        ]


def header():
    """Return the header row.

    A column the CSV import reads has the import's name (Microsoft 365's, in
    every language), so an export can be imported again; the import reads past
    the export's own columns (Roles, Licenses, Sign-in status, Created).
    """
    return [
        _IMPORT_HEADER["display_name"],
        _IMPORT_HEADER["username"],
        _IMPORT_HEADER["first_name"],
        _IMPORT_HEADER["last_name"],
        _IMPORT_HEADER["job_title"],
        _IMPORT_HEADER["department"],
        *(str(name) for name in csv_import.EXPORT_ONLY_HEADERS),
        _IMPORT_HEADER["office"],
        _IMPORT_HEADER["business_phone"],
        *(_IMPORT_HEADER[key] for key in CONTACT_KEYS),
        _IMPORT_HEADER["usage_location"],
    ]


_IMPORT_HEADER = {column.key: column.header for column in csv_import.COLUMNS}

FIELDS = (
    "id",
    "display_name",
    "username",
    "first_name",
    "last_name",
    "job_title",
    "department",
    "is_sign_in_blocked",
    "date_joined",
    "office",
    "business_phone",
    "usage_location",
    "contact_details",
)
