"""Fetch a row by an id that came from outside: the URL, a form or a POST body.

Each area has one ``access_<model>_by_id(actor, id)`` function (in its
selectors) that narrows the model to what the acting user may reach, their
organization first, and hands that queryset to ``object_or_404``. Another
organization's id, a missing id and a malformed one all raise the same 404, so
an id reveals nothing.
"""

from collections.abc import Iterable
from typing import TypeVar

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from core.prepared import PreparedQuery

M = TypeVar("M", bound=Model)


def object_or_404(queryset: QuerySet[M], pk: object) -> M:
    """Return the row ``pk`` of ``queryset``, or raise Http404."""
    try:
        return queryset.get(pk=int(str(pk)))
    except (ValueError, OverflowError, ObjectDoesNotExist):
        raise Http404 from None


def prepared_object_or_404(query: PreparedQuery, pk: object, **params: object) -> Model:
    """Return the first row ``query`` gives for ``pk`` (and ``params``), or raise Http404.

    ``query`` takes the id as its ``pk`` parameter; an id that is no whole number
    a database column can hold is missing, as in ``object_or_404``.
    """
    try:
        number = int(str(pk))
    except (ValueError, OverflowError):
        raise Http404 from None
    if not 0 < number < 2**63:
        raise Http404
    rows = query(pk=number, **params)
    if not rows:
        raise Http404
    return rows[0]


# The codes of a model choice field's errors when an id names no row it offers.
UNREACHABLE_CODES = frozenset({"invalid_choice", "invalid_pk_value", "invalid_list"})


def names_unreachable_rows(form: forms.Form, *, fields: Iterable[str] | None = None) -> bool:
    """Return whether ``form`` was refused because an id in it names no reachable row.

    A form's model choice fields offer only the rows the person may reach, so
    views answer such a form 404, exactly as for an id in the URL: another
    organization's id and a missing one look the same. ``fields`` limits the
    check to those fields.
    """
    errors = form.errors.as_data()
    names = errors.keys() if fields is None else fields
    return any(
        error.code in UNREACHABLE_CODES
        for name in names
        if isinstance(form.fields.get(name), forms.ModelChoiceField)
        for error in errors.get(name, ())
    )
