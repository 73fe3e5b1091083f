"""The shared views every area's pages are built on: a list page and a bulk action."""

from core.views.bulk import BulkActionForm, BulkActionView, SelectionField  # noqa: F401
from core.views.lists import ObjectListView, is_htmx_partial, query_without  # noqa: F401
