"""Active users: the list, its export, and the background export's pages."""

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView

from accounts.mixins import TenantScopedMixin
from accounts.roles import (
    ADD_USERS,
    CHANGE_LICENSES,
    CHANGE_USERS,
    DELETE_USERS,
    GLOBAL_ADMIN,
    RESET_PASSWORDS,
    VIEW_USERS,
)
from core.csv_export import streaming_csv_response
from core.form_renderer import render_field
from core.sealing import SealBroken, unseal
from core.tables import BadgeColumn, CheckboxColumn, Column, ObjectURL
from core.views import ObjectListView, is_htmx_partial
from users import exports, selectors, services
from users.forms import UserExportStartForm
from users.models import ExportJob

# The list as a table: the selection box, then columns that sort by a key of
# selectors.SORTS. Role and license names are attached to each row by prepare_rows.
USER_COLUMNS = [
    CheckboxColumn(
        _lazy("Select all users on this page"),
        row_label=_lazy("Select %(name)s"),
        name="display_name",
    ),
    Column(_lazy("Display name"), "display_name", link=ObjectURL("users:user_detail"), sort="name"),
    Column(_lazy("Sign-in name"), "username", sort="username"),
    Column(_lazy("Roles"), "role_names", sort="roles"),
    Column(_lazy("Licenses"), "license_names"),
    BadgeColumn(
        _lazy("Sign-in status"),
        "is_sign_in_blocked",
        badge=_lazy("Blocked"),
        otherwise=_lazy("Allowed"),
        sort="status",
    ),
]


class UserListView(TenantScopedMixin, ObjectListView):
    """Active users: search, filters, sort and pages in the query string; bulk actions.

    With htmx (live search) only the results are sent back; without JavaScript
    the same URL is the whole page.
    """

    permission_required = VIEW_USERS
    template_name = "users/user_list.html"
    results_template_name = "users/inc/user_results.html"
    columns = USER_COLUMNS
    page_sizes = selectors.PAGE_SIZES
    sort_keys = selectors.SORTS
    default_sort = selectors.DEFAULT_SORT
    empty_text = _lazy("There are no users yet.")
    empty_filtered_text = _lazy("No users match this search or these filters.")

    def get_filtered(self, params):
        # No queryset: user_page builds one only for the pages it cannot read prepared.
        return None, selectors.user_list_filter(tenant=self.request.tenant, params=params)

    def get_page(self, queryset, filterset, *, sort, number, per_page):
        self.facts = selectors.user_list_facts(tenant=self.request.tenant)
        return selectors.user_page(
            tenant=self.request.tenant,
            user_filter=filterset,
            page=number,
            per_page=per_page,
            facts=self.facts,
        )  # its rows come with their role and license names

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if is_htmx_partial(self.request):
            return context  # the results alone: no command bar, no filter bar
        actor, facts = self.request.user, self.facts
        context.update(
            commands=_commands(
                get_language(),
                can_add=actor.has_perm(ADD_USERS),
                can_reset=actor.has_perm(RESET_PASSWORDS),
                can_change=actor.has_perm(CHANGE_USERS),
                can_delete=actor.has_perm(DELETE_USERS),
                license_options=facts.license_options if actor.has_perm(CHANGE_LICENSES) else (),
            ),
            # Only Global admins are told there is only one (only they can fix it).
            only_one_global_admin=facts.global_admins <= 1 and GLOBAL_ADMIN in actor.role_codes,
        )
        context["filter_fields"], context["filter_sort"] = _filter_fields(context["filter"])
        return context


@functools.lru_cache(maxsize=256)
def _commands(language, **context):
    """Return the command bar but its export link (``language``: a key only).

    It depends only on the permissions and the licenses on offer: rendered once
    per process for each language and set of them, as the left navigation is.
    """
    html = render_to_string(COMMANDS_TEMPLATE, context).strip()
    return mark_safe(html)  # noqa: S308 - rendered by the template engine


COMMANDS_TEMPLATE = "users/inc/user_commands.html"


@receiver(setting_changed)
def _forget_rendered(setting, **kwargs):
    """Forget the markup kept above when what it was rendered with changes (in tests)."""
    if setting in {"ROOT_URLCONF", "TEMPLATES", "LANGUAGES", "STATIC_URL", "STORAGES"}:
        _commands.cache_clear()
        _rendered_selects.clear()
        _rendered_unbound.clear()


# The filter bar's fields, in order, and its sort (a hidden field). The selects'
# markup depends only on the language and the value chosen (their choices are
# constants), so each is rendered once per process for each; the search box is
# rendered every time it holds a search. Without a query string (the list as
# first opened) the whole bar is the same for everyone: rendered once per
# language, without building the form.
FILTER_FIELDS = ("q", "status", "role", "license")
_STATIC_CHOICE_FIELDS = {"status", "role", "license"}
_rendered_selects = {}
_rendered_unbound = {}


def _filter_fields(filterset):
    """Return the filter bar's visible fields and its sort field, as markup."""
    if filterset.is_bound:
        return _render_filter_fields(filterset.form)
    language = get_language()
    rendered = _rendered_unbound.get(language)
    if rendered is None:
        rendered = _rendered_unbound[language] = _render_filter_fields(filterset.form)
    return rendered


def _render_filter_fields(form):
    fields = mark_safe(  # noqa: S308 - rendered by the form renderer
        "".join(_filter_field(form[name]) for name in FILTER_FIELDS)
    )
    return fields, form["sort"].as_widget()


def _filter_field(field):
    if field.name not in _STATIC_CHOICE_FIELDS or field.errors:
        return render_field(field)
    key = (field.name, field.value() or "", get_language())
    html = _rendered_selects.get(key)
    if html is None:
        html = _rendered_selects[key] = render_field(field)
    return html


class UserExportView(TenantScopedMixin, View):
    """Every user the list's search and filters select, as CSV.

    Up to ``USERS_EXPORT_BACKGROUND_ROWS`` rows the file streams at once; a
    larger selection is offered to a background job, whose page follows it.
    """

    permission_required = VIEW_USERS
    template_name = "users/export_confirm.html"

    def get(self, request):
        try:
            users = exports.selection(request.tenant, request.GET)
        except ValidationError as error:
            return HttpResponseBadRequest(
                error.messages[0], content_type="text/plain; charset=utf-8"
            )
        limit = settings.USERS_EXPORT_BACKGROUND_ROWS
        total = users[: limit + 1].count()
        if total <= limit:
            services.user_export_record(
                tenant=request.tenant,
                acting_user=request.user,
                params={key: request.GET.getlist(key) for key in request.GET},
                total=total,
                request=request,
            )
            return streaming_csv_response(
                "users.csv", exports.header(), exports.rows(request.tenant, users)
            )
        return render(
            request,
            self.template_name,
            {"total": users.count(), "query": request.GET.urlencode()},
        )

    def post(self, request):
        form = UserExportStartForm(request.POST)
        form.is_valid()  # one optional text field: always valid
        query = QueryDict(form.cleaned_data["query"])
        try:
            job = services.user_export_start(
                tenant=request.tenant,
                acting_user=request.user,
                params={key: query.getlist(key) for key in query},
                request=request,
            )
        except ValidationError as error:
            return HttpResponseBadRequest(
                error.messages[0], content_type="text/plain; charset=utf-8"
            )
        return redirect("users:export_detail", pk=job.pk)


class ExportJobDetailView(TenantScopedMixin, DetailView):
    """A large export's progress (polled while it is written) and its file, for who asked."""

    permission_required = VIEW_USERS
    model = ExportJob
    template_name = "users/export_detail.html"
    progress_template_name = "users/inc/export_progress.html"
    context_object_name = "job"

    def get_queryset(self):
        # Only the admin who asked sees the job: the file holds the whole selection.
        return super().get_queryset().filter(created_by=self.request.user)

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return [self.progress_template_name]
        return [self.template_name]


@method_decorator(never_cache, name="dispatch")
class ExportJobDownloadView(ExportJobDetailView):
    """The export's file, while it is kept (an hour after it is ready)."""

    def get(self, request, *args, **kwargs):
        self.object = job = self.get_object()
        try:
            text = job.sealed_file and unseal(
                job.sealed_file,
                purpose=services.EXPORT_SEAL_PURPOSE,
                max_age=services.EXPORT_KEEP_SECONDS,
            )
        except SealBroken:
            text = ""
        if not text:
            return self.render_to_response(self.get_context_data(file_gone=True))
        services.user_export_downloaded(job=job, acting_user=request.user, request=request)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="users-{job.pk}.csv"'
        return response
