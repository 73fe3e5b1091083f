"""Active users: the list, its export, and the background export's pages."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, TemplateView

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
from billing import selectors as billing_selectors
from core.csv_export import streaming_csv_response
from core.sealing import SealBroken, unseal
from core.tables import EMPTY, esc
from users import exports, selectors, services
from users.models import ExportJob

# The list's columns: sort key (None: not sortable) and heading.
LIST_COLUMNS = [
    ("name", _lazy("Display name")),
    ("username", _lazy("Sign-in name")),
    ("roles", _lazy("Roles")),
    (None, _lazy("Licenses")),
    ("status", _lazy("Sign-in status")),
]


def _page_size(params):
    try:
        size = int(params.get("per_page", ""))
    except ValueError:
        return selectors.PAGE_SIZES[0]
    return size if size in selectors.PAGE_SIZES else selectors.PAGE_SIZES[0]


def _list_query(params, *drop):
    """Return the list's query string without ``drop`` (for links that change them)."""
    query = params.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


def _sort_headers(user_filter, params):
    """Return the ``<th>`` cells: each heading links to sorting by it, then reversed."""
    current = user_filter.sort_key
    base = _list_query(params, "sort", "page")
    cells = [
        format_html(
            '<th scope="col" class="select-cell">'
            '<input type="checkbox" data-select-all data-js-only hidden aria-label="{}"></th>',
            _("Select all users on this page"),
        )
    ]
    for key, label in LIST_COLUMNS:
        if key is None:  # not sortable
            cells.append(format_html('<th scope="col">{}</th>', label))
            continue
        if current == key:
            aria, next_key, arrow = "ascending", f"-{key}", "▲"
        elif current == f"-{key}":
            aria, next_key, arrow = "descending", key, "▼"
        else:
            aria, next_key, arrow = None, key, ""
        href = f"?{base}&sort={next_key}" if base else f"?sort={next_key}"
        cells.append(
            format_html(
                '<th scope="col"{}><a href="{}">{}<span aria-hidden="true">{}</span></a></th>',
                format_html(' aria-sort="{}"', aria) if aria else "",
                href,
                label,
                arrow,
            )
        )
    return format_html_join("", "{}", ((cell,) for cell in cells))


def _user_rows(users, roles, licenses, *, empty_text):
    """Return the table rows of ``users``, rendered in Python for speed."""
    if not users:
        return format_html(
            '<tr><td colspan="{}" class="empty">{}</td></tr>', len(LIST_COLUMNS) + 1, empty_text
        )
    base = esc(reverse("users:user_list"))
    blocked = f'<span class="badge badge-warning">{esc(_("Blocked"))}</span>'
    allowed = esc(_("Allowed"))
    select = _("Select %(name)s")
    rows = []
    for user in users:
        name = esc(user.display_name)
        label = esc(select % {"name": user.display_name})
        user_roles = roles.get(user.pk)
        user_licenses = licenses.get(user.pk)
        rows.append(
            f'<tr><td class="select-cell"><input type="checkbox" name="ids" value="{user.pk}"'
            f' form="bulk-form" data-row-select aria-label="{label}">'
            f'</td><td><a href="{base}{user.pk}/">{name}</a></td><td>{esc(user.username)}</td>'
            f"<td>{esc(', '.join(user_roles)) if user_roles else EMPTY}</td>"
            f"<td>{esc(', '.join(user_licenses)) if user_licenses else EMPTY}</td>"
            f"<td>{blocked if user.is_sign_in_blocked else allowed}</td></tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value went through esc()


class UserListView(TenantScopedMixin, TemplateView):
    """Active users: search, filters, sort and pages in the query string; bulk actions.

    With htmx (live search) only the results are sent back; without JavaScript
    the same URL is the whole page.
    """

    permission_required = VIEW_USERS
    template_name = "users/user_list.html"
    results_template_name = "users/inc/user_results.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request") and not self.request.headers.get(
            "HX-History-Restore-Request"
        ):
            return [self.results_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tenant, params = self.request.tenant, self.request.GET
        users, user_filter = selectors.user_list(tenant=tenant, params=params)
        page = selectors.user_page(
            tenant=tenant,
            queryset=users,
            user_filter=user_filter,
            page=params.get("page"),
            per_page=_page_size(params),
        )
        rows = list(page.object_list)
        ids = [user.pk for user in rows]
        roles = selectors.roles_by_user(tenant=tenant, user_ids=ids)
        licenses = billing_selectors.product_names_by_user(tenant=tenant, user_ids=ids)
        actor = self.request.user
        context.update(
            filter=user_filter,
            page_obj=page,
            query=_list_query(params, "page"),
            export_query=_list_query(params, "page", "per_page"),
            per_page=page.paginator.per_page,
            page_sizes=selectors.PAGE_SIZES,
            header=_sort_headers(user_filter, params),
            rows=_user_rows(
                rows,
                roles,
                licenses,
                empty_text=_("No users match this search or these filters.")
                if user_filter.narrowed
                else _("There are no users yet."),
            ),
            can_change=actor.has_perm(CHANGE_USERS),
            can_reset=actor.has_perm(RESET_PASSWORDS),
            can_delete=actor.has_perm(DELETE_USERS),
            can_add=actor.has_perm(ADD_USERS),
            license_subscriptions=billing_selectors.live_subscriptions(tenant=tenant)
            if actor.has_perm(CHANGE_LICENSES)
            else (),
            # Only Global admins can fix it, so only they are told.
            only_one_global_admin=GLOBAL_ADMIN in actor.role_codes
            and selectors.global_admin_count(tenant=tenant) <= 1,
        )
        return context


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
        query = QueryDict(request.POST.get("query", ""))
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
