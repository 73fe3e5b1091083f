"""Active groups: search, type filter, sort and pages; the CSV export."""

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from accounts.mixins import TenantScopedMixin
from accounts.roles import ADD_GROUPS, DELETE_GROUPS, VIEW_GROUPS
from core.csv_export import streaming_csv_response
from core.l10n import format_number
from core.tables import CheckboxColumn, Column, ObjectURL
from core.views import ObjectListView, is_htmx_partial
from groups import selectors
from groups.models import Kind

# The list as a table: the selection box (for the bulk delete form), then
# columns that sort by a key of selectors.SORTS. prepare_rows attaches the
# type's label and the formatted member count to each row.
GROUP_COLUMNS = [
    CheckboxColumn(
        _lazy("Select all groups on this page"),
        row_label=_lazy("Select %(name)s"),
        name="name",
        form="group-bulk",
    ),
    Column(_lazy("Name"), "name", link=ObjectURL("groups:group_detail"), sort="name"),
    Column(_lazy("Type"), "kind_label", sort="kind"),
    Column(_lazy("Email address"), "email", sort="email"),
    Column(_lazy("Members"), "member_text", sort="members"),
]


class GroupListView(TenantScopedMixin, ObjectListView):
    """Active groups: search, type filter, sort, pages; delete the selected ones; CSV export.

    With htmx (live search) only the results are sent back; without JavaScript
    the same URL is the whole page.
    """

    permission_required = VIEW_GROUPS
    template_name = "groups/group_list.html"
    results_template_name = "groups/inc/group_results.html"
    selector = staticmethod(selectors.groups_filtered)
    columns = GROUP_COLUMNS
    page_sizes = (50,)
    sort_keys = selectors.SORTS
    default_sort = "name"
    empty_filtered_text = _lazy("No groups match this search or filter.")

    @property
    def empty_text(self):
        text = _("No groups yet.")
        if not self.request.user.has_perm(ADD_GROUPS):
            return text
        return format_html(
            '{} <a href="{}?start=1">{}</a>',
            text,
            reverse("groups:group_add_start"),
            _("Add the first one"),
        )

    def get_filtered(self, params):
        # The filter validates and shows the query string; group_page reads the rows.
        return None, selectors.group_list_filter(params)

    def get_page(self, queryset, filterset, *, sort, number, per_page):
        return selectors.group_page(
            tenant=self.request.tenant,
            group_filter=filterset,
            sort_key=sort,
            page=number,
            per_page=per_page,
        )

    def prepare_rows(self, rows):
        kinds = {value: str(label) for value, label in Kind.choices}
        for group in rows:
            group.kind_label = kinds.get(group.kind, group.kind)
            count = group.member_count
            group.member_text = str(count) if count < 1000 else format_number(count)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partial = is_htmx_partial(self.request)
        # Live search swaps the results and, out of band, the export link.
        context["partial"] = partial
        if partial:
            return context  # the results alone: no command bar, no filter bar
        actor = self.request.user
        context.update(
            commands=_commands(
                get_language(),
                can_add=actor.has_perm(ADD_GROUPS),
                can_delete=actor.has_perm(DELETE_GROUPS),
            ),
            filter_fields=_filter_fields(context["filter"]),
        )
        return context


@functools.lru_cache(maxsize=64)
def _commands(language, **permissions):
    """Return the command bar but its export link (``language``: a key only).

    It depends only on the permissions: rendered once per process for each
    language and set of them, as the left navigation is.
    """
    html = render_to_string(COMMANDS_TEMPLATE, permissions)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine


COMMANDS_TEMPLATE = "groups/inc/group_commands.html"
FILTER_FIELDS_TEMPLATE = "groups/inc/group_filter_fields.html"
# The filter bar's fields without a query string (the list as first opened) are
# the same for everyone who reads it in one language: rendered once per language.
_rendered_unbound = {}


def _filter_fields(filterset):
    """Return the filter bar's error summary, fields and sort field, as markup."""
    if filterset.is_bound:
        return _render_filter_fields(filterset)
    language = get_language()
    rendered = _rendered_unbound.get(language)
    if rendered is None:
        rendered = _rendered_unbound[language] = _render_filter_fields(filterset)
    return rendered


def _render_filter_fields(filterset):
    html = render_to_string(FILTER_FIELDS_TEMPLATE, {"filter": filterset})
    return mark_safe(html)  # noqa: S308 - rendered by the template engine


@receiver(setting_changed)
def _forget_rendered(setting, **kwargs):
    """Forget the markup kept above when what it was rendered with changes (in tests)."""
    if setting in {"ROOT_URLCONF", "TEMPLATES", "LANGUAGES", "STATIC_URL", "STORAGES"}:
        _commands.cache_clear()
        _rendered_unbound.clear()


class GroupExportView(TenantScopedMixin, View):
    permission_required = VIEW_GROUPS

    def get(self, request):
        groups, group_filter = selectors.group_list(tenant=request.tenant, params=request.GET)
        if group_filter.is_bound and not group_filter.is_valid():
            return HttpResponseBadRequest(
                _("The filters are not valid."), content_type="text/plain; charset=utf-8"
            )
        header = [_("Name"), _("Type"), _("Email address"), _("Members"), _("Created")]
        rows = (
            [g.name, g.get_kind_display(), g.email, g.member_count, g.created_at.date().isoformat()]
            for g in groups.iterator(chunk_size=2000)
        )
        return streaming_csv_response("groups.csv", header, rows)
