"""Fetch a row by an id that came from outside: the URL, a form or a POST body.

Each area has one ``access_<model>_by_id(actor, id)`` function (in its
selectors) that narrows the model to what the acting user may reach, their
organization first, and hands that queryset to ``object_or_404``. Another
organization's id, a missing id and a malformed one all raise the same 404, so
an id reveals nothing.
"""

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def object_or_404(queryset: QuerySet[M], pk: object) -> M:
    """Return the row ``pk`` of ``queryset``, or raise Http404."""
    try:
        return queryset.get(pk=int(str(pk)))
    except (ValueError, OverflowError, ObjectDoesNotExist):
        raise Http404 from None
