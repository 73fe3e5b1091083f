"""A list page: search, filters, sort and pages in the query string, rows from a table.

In the manner of NetBox's ``ObjectListView``: a subclass names a filterset (or a
selector that returns the filtered queryset and its filterset) and a table
declaration (``core.tables`` columns); this class reads the query string,
pages, sorts, renders the header and rows in Python and answers an htmx
request with the results alone.
"""

from django.core.paginator import Page, Paginator
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from core.csv_export import streaming_csv_response
from core.filters import page_number
from core.pagecache import CachedPageMixin
from core.tables import render_header, render_rows


def query_without(params, *names):
    """Return the query string ``params`` without ``names`` (for links that set them)."""
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def is_htmx_partial(request):
    """Return whether ``request`` asks for a page's results only (htmx, not a history restore)."""
    headers = request.headers
    return bool(headers.get("HX-Request")) and not headers.get("HX-History-Restore-Request")


def get_page(paginator, value):
    """Return ``paginator.get_page(value)``, without counting the rows when the page tells.

    A page that is not full is the last one: the total is the rows before it and
    on it, and the COUNT query is saved (a list of a few rows, or its last page).
    Only a full page, or one out of range, counts the rows.
    """
    number = page_number(value)
    if number < 1:
        return paginator.get_page(number)
    per_page = paginator.per_page
    start = (number - 1) * per_page
    rows = list(paginator.object_list[start : start + per_page])
    if not rows and number > 1:
        return paginator.get_page(number)  # out of range: counts, then the last page
    if len(rows) < per_page:
        paginator.count = start + len(rows)
    return Page(rows, number, paginator)


class ObjectListView(CachedPageMixin, TemplateView):
    """A list page driven by a filterset and a table declaration.

    Set ``columns`` (core.tables columns) and either ``filterset_class`` (a
    django-filter FilterSet over ``get_queryset()``, by default ``model``'s
    rows, which ``TenantScopedMixin`` narrows to the tenant, built with
    ``get_filterset_kwargs()``) or ``selector``, a callable
    ``selector(*, tenant, params)`` returning ``(queryset, filterset)``
    (wrap a plain function in ``staticmethod``). Sort keys are ``sort_keys``
    (key -> ORDER BY fields); a sort value comes from the filterset's
    ``sort`` field, ``-key`` sorting descending. ``results_template_name`` is
    what an htmx request gets back. Set ``csv_filename`` (and ``csv_header``,
    ``csv_rows``) to let ``?export=csv`` download the whole filtered list.

    The context has ``filter``, ``page_obj``, ``query`` (the query string
    without the page, for the pager), ``export_query`` (without the page and
    page size), ``per_page``, ``page_sizes``, ``sort``, ``header`` and
    ``rows``.

    A page is kept for the session that asked until the organization changes
    (``core.pagecache``); set ``page_cache_scope`` to ``EVENTS`` for a list of
    events.
    """

    model = None
    filterset_class = None
    selector = None
    columns = ()
    page_sizes = (50, 100, 200)
    sort_param = "sort"
    sort_keys = {}
    default_sort = None
    results_template_name = None
    empty_text = _lazy("There is nothing here yet.")
    empty_filtered_text = _lazy("Nothing matches this search or these filters.")
    csv_filename = None

    def get(self, request, *args, **kwargs):
        if self.csv_filename and request.GET.get("export") == "csv":
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        if self.results_template_name and is_htmx_partial(self.request):
            return [self.results_template_name]
        return super().get_template_names()

    def get_queryset(self):
        """Return the rows to filter: ``model``'s (a tenant mixin before this narrows them)."""
        if self.model is None:
            raise NotImplementedError("Give model or get_queryset() with a filterset_class.")
        return self.model._default_manager.all()

    def get_filterset_kwargs(self):
        return {}

    def get_filtered(self, params):
        """Return the filtered queryset (unsorted) and its filterset.

        The queryset may be None when ``get_page`` reads the page itself (Groups, Active
        users: prepared reads of their usual pages).
        """
        if self.selector is not None:
            return self.selector(tenant=self.request.tenant, params=params)
        filterset = self.filterset_class(
            params or None, queryset=self.get_queryset(), **self.get_filterset_kwargs()
        )
        return filterset.qs, filterset

    def get_sort(self, filterset):
        """Return the sort key the query string asks for, or ``default_sort``."""
        value = ""
        if filterset.is_bound and filterset.is_valid():
            value = filterset.form.cleaned_data.get(self.sort_param) or ""
        return value if value.lstrip("-") in self.sort_keys else self.default_sort

    def get_per_page(self, params):
        try:
            size = int(params.get("per_page", ""))
        except ValueError:
            return self.page_sizes[0]
        return size if size in self.page_sizes else self.page_sizes[0]

    def order(self, queryset, sort):
        """Return ``queryset`` in the order of ``sort``."""
        if not sort:
            return queryset
        descending = sort.startswith("-")
        fields = self.sort_keys[sort.lstrip("-")]
        return queryset.order_by(
            *(self._reverse(field) if descending else field for field in fields)
        )

    @staticmethod
    def _reverse(field):
        return field[1:] if field.startswith("-") else f"-{field}"

    def get_page(self, queryset, filterset, *, sort, number, per_page):
        """Return one page (a Django ``Page``) of ``queryset`` sorted by ``sort``."""
        return get_page(Paginator(self.order(queryset, sort), per_page), number)

    def prepare_rows(self, rows):
        """Attach to one page of ``rows`` what the columns show beyond their fields.

        A few queries for the whole page, never one per row.
        """

    def is_narrowed(self, filterset):
        """Return whether a search or filter (not the sort) narrows the list."""
        narrowed = getattr(filterset, "narrowed", None)
        if narrowed is not None:
            return narrowed
        if not filterset.is_bound or not filterset.is_valid():
            return False
        data = filterset.form.cleaned_data
        return any(value for name, value in data.items() if name != self.sort_param)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        queryset, filterset = self.get_filtered(params)
        sort = self.get_sort(filterset)
        per_page = self.get_per_page(params)
        page = self.get_page(
            queryset, filterset, sort=sort, number=params.get("page"), per_page=per_page
        )
        rows = list(page.object_list)
        self.prepare_rows(rows)
        # Only an empty page says so (the empty text may cost a permission and a URL).
        empty = ""
        if not rows:
            empty = self.empty_filtered_text if self.is_narrowed(filterset) else self.empty_text
        context.update(
            filter=filterset,
            page_obj=page,
            query=query_without(params, "page"),
            export_query=query_without(params, "page", "per_page"),
            per_page=page.paginator.per_page,
            page_sizes=self.page_sizes,
            sort=sort,
            header=render_header(
                self.columns, sort=sort, query=query_without(params, self.sort_param, "page")
            ),
            rows=render_rows(self.columns, rows, empty_text=empty),
        )
        return context

    def csv_columns(self):
        """Return the columns a CSV export has: those with text (not the selection box)."""
        return [column for column in self.columns if hasattr(column, "text")]

    def csv_header(self):
        """Return the CSV file's header row."""
        return [str(column.label) for column in self.csv_columns()]

    def csv_rows(self, queryset):
        """Yield the CSV rows of ``queryset``."""
        columns = self.csv_columns()
        for obj in queryset.iterator():
            yield [column.text(obj) for column in columns]

    def csv_response(self):
        """Return the whole filtered list, sorted as shown, as a CSV download."""
        queryset, filterset = self.get_filtered(self.request.GET)
        if filterset.is_bound and not filterset.is_valid():
            message = next(iter(filterset.form.errors.values()))[0]
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        queryset = self.order(queryset, self.get_sort(filterset))
        return streaming_csv_response(self.csv_filename, self.csv_header(), self.csv_rows(queryset))
