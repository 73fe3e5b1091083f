import math
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.generic import DetailView, TemplateView

from accounts import services as account_services
from accounts.mixins import TenantScopedMixin
from accounts.models import User, UserManager
from accounts.roles import (
    ADD_USERS,
    ASSIGN_ROLES,
    CHANGE_GROUPS,
    CHANGE_LICENSES,
    CHANGE_USERS,
    DELETE_USERS,
    GLOBAL_ADMIN,
    PERMISSION_LABELS,
    RESET_PASSWORDS,
    ROLES,
    VIEW_AUDIT,
    VIEW_GROUPS,
    VIEW_LICENSES,
    VIEW_ROLES,
    VIEW_USERS,
    can_assign_role,
    can_reset_password,
)
from billing import selectors as billing_selectors
from billing import services as billing_services
from core.csv_export import streaming_csv_response
from core.sealing import SealBroken, seal, unseal
from core.tables import EMPTY, esc
from groups import selectors as group_selectors
from groups import services as group_services
from security_info import selectors as security_info_selectors
from security_info import services as security_info_services
from users import csv_import, exports, selectors, services
from users.forms import (
    SignInNameForm,
    UserAddBasicsForm,
    UserAddDetailsForm,
    UserContactForm,
    UserImportForm,
    UserPasswordResetForm,
    UserProfileForm,
    UserRestoreForm,
)
from users.models import DeletedUser, ExportJob, ImportJob

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


@method_decorator(never_cache, name="dispatch")
class UserBulkView(TenantScopedMixin, View):
    """The list's actions on the selected users: block, unblock, reset password, export."""

    permission_required = VIEW_USERS
    confirm_reset_template = "users/user_bulk_reset.html"
    confirm_delete_template = "users/user_bulk_delete.html"
    reset_done_template = "users/user_bulk_reset_done.html"

    def post(self, request):
        action = request.POST.get("action", "")
        back = self.back_url()
        try:
            ids = [int(value) for value in request.POST.getlist("ids")]
        except ValueError:
            raise Http404 from None
        if not ids:
            messages.error(request, _("Select at least one user first."))
            return redirect(back)
        try:
            users = services.bulk_targets(tenant=request.tenant, user_ids=ids)
        except ValidationError as error:
            if error.code == "not_found":
                raise Http404 from None
            messages.error(request, error.messages[0])
            return redirect(back)
        if action in ("block", "unblock"):
            return self.block(request, users, blocked=action == "block", back=back)
        if action == "reset":
            return self.reset(request, users, back=back)
        if action == "delete":
            return self.delete(request, users, back=back)
        if action in ("assign_license", "unassign_license"):
            return self.licenses(request, users, assign=action == "assign_license", back=back)
        if action == "export":
            services.user_export_record(
                tenant=request.tenant,
                acting_user=request.user,
                params={"ids": [str(user.pk) for user in users]},
                total=len(users),
                request=request,
            )
            return streaming_csv_response(
                "users-selected.csv",
                exports.header(),
                exports.rows(
                    request.tenant,
                    selectors.user_list(tenant=request.tenant)[0]
                    .filter(pk__in=[user.pk for user in users])
                    .order_by(*selectors.sort_expressions(selectors.DEFAULT_SORT))
                    .only(*exports.FIELDS),
                ),
            )
        messages.error(request, _("Choose an action."))
        return redirect(back)

    def back_url(self):
        """Return where the action was started: a user's page, or the list as it was."""
        ids = self.request.POST.getlist("ids")
        if self.request.POST.get("return_to") == "detail" and len(ids) == 1 and ids[0].isdigit():
            return reverse("users:user_detail", args=[int(ids[0])])
        # Parsed and encoded again: only a query string of our own list comes back.
        query = QueryDict(self.request.POST.get("query", "")).urlencode()
        base = reverse("users:user_list")
        return f"{base}?{query}" if query else base

    def licenses(self, request, users, *, assign, back):
        if not request.user.has_perm(CHANGE_LICENSES):
            raise PermissionDenied
        try:
            subscription = billing_selectors.live_subscriptions(tenant=request.tenant).get(
                pk=int(request.POST.get("subscription", ""))
            )
        except (ValueError, ObjectDoesNotExist):
            messages.error(request, _("Choose a product first."))
            return redirect(back)
        service = billing_services.license_assign if assign else billing_services.license_unassign
        try:
            count = service(
                tenant=request.tenant,
                acting_user=request.user,
                subscription=subscription,
                users=users,
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            messages.error(request, error.messages[0])
            return redirect(back)
        text = (
            ngettext(
                "%(product)s assigned to %(count)d user.",
                "%(product)s assigned to %(count)d users.",
                count,
            )
            if assign
            else ngettext(
                "%(product)s taken away from %(count)d user.",
                "%(product)s taken away from %(count)d users.",
                count,
            )
        )
        messages.success(request, text % {"product": subscription.product.name, "count": count})
        return redirect(back)

    def delete(self, request, users, *, back):
        if not request.user.has_perm(DELETE_USERS):
            raise PermissionDenied
        if request.POST.get("confirm") != "yes":
            allowed = [user for user in users if services.can_delete(request.user, user)]
            return render(
                request,
                self.confirm_delete_template,
                {
                    "allowed": allowed,
                    "refused": [user for user in users if user not in allowed],
                    "query": request.POST.get("query", ""),
                    "back": back,
                    "restore_days": services.RESTORE_DAYS,
                },
            )
        try:
            deleted = services.users_delete(
                tenant=request.tenant, acting_user=request.user, users=users, request=request
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied(error.messages[0]) from None
            messages.error(request, error.messages[0])
            return redirect(back)
        messages.success(
            request,
            ngettext(
                "%(count)d user was deleted. You can restore them from Deleted users "
                "within %(days)d days.",
                "%(count)d users were deleted. You can restore them from Deleted users "
                "within %(days)d days.",
                deleted,
            )
            % {"count": deleted, "days": services.RESTORE_DAYS},
        )
        # A deleted user's page is gone from the list: go back to the list.
        query = QueryDict(request.POST.get("query", "")).urlencode()
        return redirect(f"{reverse('users:user_list')}?{query}" if query else "users:user_list")

    def block(self, request, users, *, blocked, back):
        if not request.user.has_perm(CHANGE_USERS):
            raise PermissionDenied
        try:
            changed = services.users_sign_in_block(
                tenant=request.tenant,
                acting_user=request.user,
                users=users,
                blocked=blocked,
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied(error.messages[0]) from None
            messages.error(request, error.messages[0])
            return redirect(back)
        if blocked:
            text = ngettext(
                "Sign-in blocked for %(count)d user.",
                "Sign-in blocked for %(count)d users.",
                changed,
            )
        else:
            text = ngettext(
                "Sign-in allowed again for %(count)d user.",
                "Sign-in allowed again for %(count)d users.",
                changed,
            )
        messages.success(request, text % {"count": changed})
        return redirect(back)

    @method_decorator(sensitive_variables("passwords"))
    def reset(self, request, users, *, back):
        if not request.user.has_perm(RESET_PASSWORDS):
            for user in users:
                account_services.password_reset_denied(
                    tenant=request.tenant, acting_user=request.user, user=user, request=request
                )
            raise PermissionDenied
        if request.POST.get("confirm") != "yes":
            allowed = [user for user in users if can_reset_password(request.user, user)]
            refused = [user for user in users if user not in allowed]
            return render(
                request,
                self.confirm_reset_template,
                {
                    "allowed": allowed,
                    "refused": refused,
                    "query": request.POST.get("query", ""),
                    "back": back,
                },
            )
        try:
            passwords = services.users_password_reset(
                tenant=request.tenant,
                acting_user=request.user,
                users=users,
                require_change=request.POST.get("require_change") == "on",
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied(error.messages[0]) from None
            raise
        return render(
            request,
            self.reset_done_template,
            {
                "passwords": passwords,
                "require_change": request.POST.get("require_change") == "on",
                "back": back,
            },
        )


def _license_context(request, person):
    """Return the Licenses section of a user's page: each product, held or not."""
    return {
        "license_rows": [
            {"subscription": sub, "held": sub.held}
            for sub in billing_selectors.subscriptions_with_holding(
                tenant=request.tenant, user=person
            )
        ],
        "can_change_licenses": request.user.has_perm(CHANGE_LICENSES) and not person.deleted_at,
    }


class UserDetailView(TenantScopedMixin, DetailView):
    """A user's page: account, contact information, licenses, groups, and (when allowed)
    authentication methods and activity.
    """

    permission_required = VIEW_USERS
    model = User
    template_name = "users/user_detail.html"
    context_object_name = "person"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person, actor = self.object, self.request.user
        context["roles"] = [ROLES[code] for code in sorted(person.role_codes)]
        context["contact_rows"] = selectors.contact_rows(person)
        # One rule for the methods, the password and the sessions of this user.
        context["can_manage_methods"] = can_reset_password(actor, person)
        context["can_manage"] = services.can_manage(actor, person)
        context["can_delete"] = services.can_delete(actor, person)
        context["can_assign_roles"] = actor.has_perm(ASSIGN_ROLES)
        if actor.has_perm(VIEW_LICENSES):
            context.update(_license_context(self.request, person))
        if actor.has_perm(VIEW_GROUPS):
            context["group_memberships"] = group_selectors.groups_of_user(
                tenant=self.request.tenant, user=person
            )
            context["can_change_groups"] = actor.has_perm(CHANGE_GROUPS) and not person.deleted_at
        if context["can_manage_methods"]:
            context["methods"] = security_info_selectors.methods_for_admin(user=person)
            context["can_issue_pass"] = not person.is_admin or GLOBAL_ADMIN in actor.role_codes
            context["pass_hours"] = security_info_services.TEMPORARY_PASS_HOURS
        if actor.has_perm(VIEW_AUDIT):
            # Sign-ins and method changes are the audit log's: only its readers see them.
            context["activity"] = selectors.user_activity(tenant=self.request.tenant, user=person)
        return context

    def post(self, request, *args, **kwargs):
        """Remove one of the user's methods, make them register again, or sign them out."""
        person = self.get_object()
        if not can_reset_password(request.user, person):
            # Not allowed to see this user's methods: as if the section did not exist.
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action == "signout_all":
            account_services.user_sessions_end(
                tenant=request.tenant, user=person, acting_user=request.user, request=request
            )
            messages.success(
                request,
                _("%(name)s was signed out of all sessions.") % {"name": person.display_name},
            )
        elif action == "reregister":
            security_info_services.reregistration_require(
                user=person, acting_user=request.user, request=request
            )
            messages.success(
                request,
                _("%(name)s must register their security info again at the next sign-in.")
                % {"name": person.display_name},
            )
        elif action == "temporary_pass":
            return self.issue_temporary_pass(request, person)
        elif action in security_info_services.ADMIN_REMOVABLE:
            security_info_services.method_remove_by_admin(
                user=person, method=action, acting_user=request.user, request=request
            )
            messages.success(request, _("The method was removed."))
        else:
            messages.error(request, _("Choose what to remove."))
        return redirect("users:user_detail", pk=person.pk)

    def issue_temporary_pass(self, request, person):
        try:
            hours = int(request.POST.get("hours", ""))
        except ValueError:
            hours = 0
        try:
            token = security_info_services.temporary_pass_issue(
                user=person, acting_user=request.user, hours=hours, request=request
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("users:user_detail", pk=person.pk)
        # Shown once, here; never stored in the clear, never cached.
        response = render(
            request,
            "users/temporary_pass_done.html",
            {"person": person, "token": token, "hours": hours},
        )
        add_never_cache_headers(response)
        return response


@method_decorator([sensitive_post_parameters("password"), never_cache], name="dispatch")
class UserPasswordResetView(TenantScopedMixin, DetailView):
    """Reset a user's password for them (the helpdesk's job).

    A generated password is shown once, on the answer to the POST: it is never
    stored, and the answer is not cached.
    """

    permission_required = VIEW_USERS
    model = User
    template_name = "users/user_password_reset.html"
    done_template_name = "users/user_password_reset_done.html"
    context_object_name = "person"

    def get_queryset(self):
        # A deleted user gets a new password when restored, not before.
        return super().get_queryset().active()

    def handle_no_permission(self):
        request = self.request
        if request.method == "POST" and request.user.is_authenticated:
            # Refused before the user is looked up, so only the id asked for is known.
            account_services.password_reset_denied(
                tenant=request.tenant,
                acting_user=request.user,
                target_id=str(self.kwargs["pk"]),
                request=request,
            )
        return super().handle_no_permission()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not can_reset_password(request.user, self.object):
            raise PermissionDenied
        return self.render_to_response(self.get_context_data(form=UserPasswordResetForm()))

    @method_decorator(sensitive_variables("password"))
    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        if not can_reset_password(request.user, person):
            account_services.password_reset_denied(
                tenant=request.tenant, acting_user=request.user, user=person, request=request
            )
            raise PermissionDenied
        form = UserPasswordResetForm(request.POST)
        if form.is_valid():
            try:
                password = account_services.password_reset_by_admin(
                    tenant=request.tenant,
                    user=person,
                    acting_user=request.user,
                    new_password=form.new_password,
                    require_change=form.cleaned_data["require_change"],
                    request=request,
                )
            except ValidationError as error:
                if getattr(error, "code", None) == "forbidden":  # roles changed meanwhile
                    raise PermissionDenied from None
                # The password validators' messages, at the field they are about.
                form.add_error("password", error)
            else:
                return self.response_class(
                    request=request,
                    template=[self.done_template_name],
                    context=self.get_context_data(
                        password=password,
                        generated=form.new_password is None,
                        require_change=form.cleaned_data["require_change"],
                    ),
                    using=self.template_engine,
                )
        return self.render_to_response(self.get_context_data(form=form))


class DeletedUserListView(TenantScopedMixin, TemplateView):
    """Deleted users with the days left to restore them, newest first."""

    permission_required = VIEW_USERS
    template_name = "users/user_deleted_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = " ".join(self.request.GET.get("q", "").split())[: selectors.SEARCH_MAX_LENGTH]
        users = selectors.deleted_user_list(tenant=self.request.tenant, search=search)
        page = Paginator(users, self.paginate_by).get_page(self.request.GET.get("page"))
        now = timezone.now()
        for user in page.object_list:
            user.restore_until = services.restore_deadline(user)
            # Started days count: a user deleted a minute ago has 30 days left.
            user.days_left = max(math.ceil((user.restore_until - now).total_seconds() / 86400), 0)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            page_obj=page,
            deleted_users=page.object_list,
            search=search,
            query=query.urlencode(),
            can_restore=self.request.user.has_perm(DELETE_USERS),
            restore_days=services.RESTORE_DAYS,
        )
        return context


@method_decorator(never_cache, name="dispatch")
class UserRestoreView(TenantScopedMixin, DetailView):
    """Restore a deleted user under their old (or a new) sign-in name."""

    permission_required = DELETE_USERS
    model = DeletedUser
    template_name = "users/user_restore.html"
    done_template_name = "users/user_restore_done.html"
    context_object_name = "person"

    def get_form(self, data=None):
        return UserRestoreForm(
            data, tenant=self.request.tenant, initial={"username": self.object.deleted_username}
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["released_licenses"] = selectors.released_license_names(
            tenant=self.request.tenant, user=self.object
        )
        return context

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not services.can_delete(request.user, self.object):
            raise PermissionDenied
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    @method_decorator(sensitive_variables("restored"))
    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        if not services.can_delete(request.user, person):
            raise PermissionDenied
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                restored = services.user_restore(
                    tenant=request.tenant,
                    acting_user=request.user,
                    user=person,
                    username=form.cleaned_data["username"],
                    request=request,
                )
            except ValidationError as error:
                if getattr(error, "code", None) == "forbidden":
                    raise PermissionDenied from None
                if hasattr(error, "error_dict"):
                    # Every field error here is about the sign-in name given.
                    for field_errors in error.error_dict.values():
                        form.add_error("username", field_errors)
                else:
                    form.add_error(None, error)
            else:
                return render(
                    request,
                    self.done_template_name,
                    {"person": person, "restored": restored},
                )
        return self.render_to_response(self.get_context_data(form=form))


class _ManagedUserMixin(TenantScopedMixin):
    """A form page about one active user whom the signed-in admin may manage."""

    permission_required = CHANGE_USERS
    model = User
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().active()

    def get_person(self):
        person = self.get_object()
        if not services.can_manage(self.request.user, person):
            raise PermissionDenied
        return person


class UserEditView(_ManagedUserMixin, DetailView):
    """Edit a user's profile."""

    template_name = "users/user_edit.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_person()
        form = UserProfileForm(instance=self.object)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_person()
        form = UserProfileForm(request.POST, instance=person)
        if form.is_valid():
            try:
                changed = services.user_update(
                    tenant=request.tenant,
                    acting_user=request.user,
                    user=person,
                    request=request,
                    **{name: form.cleaned_data[name] for name in services.PROFILE_FIELDS},
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if changed:
                    messages.success(request, _("The profile was saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("users:user_detail", pk=person.pk)
        return self.render_to_response(self.get_context_data(form=form))


class UserContactView(_ManagedUserMixin, DetailView):
    """Edit a user's contact information: mobile phone, alternate email, fax, address."""

    template_name = "users/user_contact.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_person()
        form = UserContactForm(initial=UserContactForm.initial_for(self.object))
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_person()
        form = UserContactForm(request.POST)
        if form.is_valid():
            try:
                changed = services.user_contact_update(
                    tenant=request.tenant,
                    acting_user=request.user,
                    user=person,
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                if getattr(error, "code", None) == "forbidden":
                    raise PermissionDenied from None
                # One error per value, at its field.
                for name, field_errors in error.error_dict.items():
                    form.add_error(name, field_errors)
            else:
                if changed:
                    messages.success(request, _("The contact information was saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("users:user_detail", pk=person.pk)
        return self.render_to_response(self.get_context_data(form=form))


class UserRenameView(_ManagedUserMixin, DetailView):
    """Change a user's sign-in name: a new local part and one of the verified domains."""

    template_name = "users/user_rename.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_person()
        form = SignInNameForm(
            tenant=request.tenant, initial=SignInNameForm.initial_for(self.object.username)
        )
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_person()
        form = SignInNameForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            try:
                changed = services.user_username_change(
                    tenant=request.tenant,
                    acting_user=request.user,
                    user=person,
                    username=form.username,
                    request=request,
                )
            except ValidationError as error:
                for field_errors in getattr(error, "error_dict", {"": error}).values():
                    form.add_error("local_part", field_errors)
            else:
                if changed:
                    messages.success(
                        request,
                        _("%(name)s now signs in as %(username)s.")
                        % {"name": person.display_name, "username": person.username},
                    )
                return redirect("users:user_detail", pk=person.pk)
        return self.render_to_response(self.get_context_data(form=form))


class UserRolesView(TenantScopedMixin, DetailView):
    """Give or take away a user's roles (only those the admin may assign)."""

    permission_required = ASSIGN_ROLES
    model = User
    template_name = "users/user_roles.html"
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().active()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        held = self.object.role_codes
        actor = self.request.user
        context["role_rows"] = [
            {
                "role": role,
                "held": role.code in held,
                "can_change": can_assign_role(actor, role.code),
            }
            for role in ROLES.values()
        ]
        return context

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        try:
            added, removed = services.user_roles_set(
                tenant=request.tenant,
                acting_user=request.user,
                user=person,
                roles=request.POST.getlist("roles"),
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            if error.code == "unknown_role":
                return HttpResponseBadRequest(error.messages[0], content_type="text/plain")
            messages.error(request, error.messages[0])
            return redirect("users:user_roles", pk=person.pk)
        if added or removed:
            messages.success(request, _("The roles were saved."))
        return redirect("users:user_detail", pk=person.pk)


class UserLicensesView(TenantScopedMixin, DetailView):
    """Set the licenses of one user (also the Licenses section of their page)."""

    permission_required = CHANGE_LICENSES
    model = User
    template_name = "users/user_licenses.html"
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().active()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_license_context(self.request, self.object))
        return context

    def post(self, request, *args, **kwargs):
        person = self.get_object()
        try:
            wanted = [int(value) for value in request.POST.getlist("subscriptions")]
        except ValueError:
            raise Http404 from None
        try:
            added, removed = billing_services.user_licenses_set(
                tenant=request.tenant,
                acting_user=request.user,
                user=person,
                subscription_ids=wanted,
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            if error.code == "unknown_subscription":
                raise Http404 from None
            messages.error(request, error.messages[0])
        else:
            if added or removed:
                messages.success(request, _("The licenses were saved."))
        return redirect("users:user_detail", pk=person.pk)


class UserGroupsView(TenantScopedMixin, DetailView):
    """A user's groups: join one (by its address or name) or leave some."""

    permission_required = CHANGE_GROUPS
    model = User
    template_name = "users/user_groups.html"
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().active()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = self.request.GET.get("q", "")[:100]
        context.update(
            group_memberships=group_selectors.groups_of_user(
                tenant=self.request.tenant, user=self.object
            ),
            search=search,
            group_candidates=group_selectors.group_list(
                tenant=self.request.tenant, params={"q": search}
            )[0][:20]
            if search
            else (),
            can_change_groups=True,
        )
        return context

    def post(self, request, *args, **kwargs):
        person = self.get_object()
        role = request.POST.get("role", "member")
        if role not in ("member", "owner"):
            return HttpResponseBadRequest(_("Unknown role."), content_type="text/plain")
        try:
            ids = {int(value) for value in request.POST.getlist("groups")}
        except ValueError:
            raise Http404 from None
        groups = list(group_selectors.group_list(tenant=request.tenant)[0].filter(pk__in=ids))
        if len(groups) != len(ids):
            raise Http404
        adding = request.POST.get("action") == "join"
        try:
            for group in groups:
                service = (
                    group_services.group_people_add
                    if adding
                    else group_services.group_people_remove
                )
                service(
                    tenant=request.tenant,
                    acting_user=request.user,
                    group=group,
                    users=[person],
                    role=role,
                    request=request,
                )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            messages.error(request, error.messages[0])
        else:
            if groups:
                messages.success(request, _("The groups were saved."))
        return redirect("users:user_detail", pk=person.pk)


class UsernameCheckView(TenantScopedMixin, View):
    """Say whether a sign-in name is free (the add-user and rename forms ask live)."""

    permission_required = VIEW_USERS

    def get(self, request):
        if not (request.user.has_perm(ADD_USERS) or request.user.has_perm(CHANGE_USERS)):
            raise PermissionDenied
        form = SignInNameForm(request.GET, tenant=request.tenant)
        if not form.is_valid():
            state, text = "invalid", _("Enter a username and choose a domain.")
        elif services.username_available(form.username):
            state, text = "free", _("%(username)s is available.") % {"username": form.username}
        else:
            state, text = "taken", _("%(username)s is taken.") % {"username": form.username}
        return render(request, "users/inc/username_check.html", {"state": state, "text": text})


WIZARD_KEY = "users_add"
WIZARD_STEPS = [
    ("users:user_add", _lazy("Basics")),
    ("users:user_add_details", _lazy("Licenses, roles and profile")),
    ("users:user_add_review", _lazy("Review and finish")),
]


@method_decorator(never_cache, name="dispatch")
class _UserAddStep(TenantScopedMixin, TemplateView):
    """One step of the add-user wizard; the answers so far live in the session."""

    permission_required = ADD_USERS
    template_name = "users/user_add.html"
    step = 0

    def wizard(self):
        return self.request.session.get(WIZARD_KEY) or {}

    def save_wizard(self, **parts):
        self.request.session[WIZARD_KEY] = {**self.wizard(), **parts}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reached = 1 + ("basics" in self.wizard()) + ("details" in self.wizard())
        context["steps"] = [
            {
                "url": reverse(name),
                "label": label,
                "number": index + 1,
                "current": index == self.step,
                "reachable": index < reached,
            }
            for index, (name, label) in enumerate(WIZARD_STEPS)
        ]
        context["step"] = self.step
        return context

    def assignable_roles(self):
        return [role for role in ROLES.values() if can_assign_role(self.request.user, role.code)]

    def subscriptions(self):
        """Return the products whose licenses this admin may hand out here."""
        if not self.request.user.has_perm(CHANGE_LICENSES):
            return []
        return list(billing_selectors.live_subscriptions(tenant=self.request.tenant))


class UserAddView(_UserAddStep):
    """Add user, step 1: names, sign-in name, password."""

    step = 0

    def get(self, request, *args, **kwargs):
        if "start" in request.GET:
            request.session.pop(WIZARD_KEY, None)
        basics = self.wizard().get("basics", {})
        initial = {key: value for key, value in basics.items() if key != "password_hash"}
        form = UserAddBasicsForm(tenant=request.tenant, initial=initial or None)
        return self.render_to_response(self.get_context_data(form=form))

    @method_decorator(sensitive_post_parameters("password"))
    def post(self, request, *args, **kwargs):
        form = UserAddBasicsForm(request.POST, tenant=request.tenant)
        if form.is_valid() and not services.username_available(form.username):
            form.add_error(
                "local_part",
                ValidationError(
                    _("%(username)s is taken. Choose another sign-in name."),
                    code="name_taken",
                    params={"username": form.username},
                ),
            )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        basics = {
            key: data[key]
            for key in (
                "first_name",
                "last_name",
                "display_name",
                "local_part",
                "domain",
                "mode",
                "require_change",
            )
        }
        # A typed password is kept only as its hash until the user is created.
        basics["password_hash"] = make_password(data["password"]) if form.new_password else None
        self.save_wizard(basics=basics)
        return redirect("users:user_add_details")


class UserAddDetailsView(_UserAddStep):
    """Add user, step 2: roles and profile info."""

    step = 1

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "basics" not in self.wizard():
            return redirect("users:user_add")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        form = UserAddDetailsForm(
            assignable_roles=self.assignable_roles(),
            subscriptions=self.subscriptions(),
            initial=self.wizard().get("details"),
        )
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = UserAddDetailsForm(
            request.POST,
            assignable_roles=self.assignable_roles(),
            subscriptions=self.subscriptions(),
        )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        details = {
            **form.cleaned_data,
            "usage_location": str(form.cleaned_data["usage_location"]),
            "licenses": [int(pk) for pk in form.cleaned_data.get("licenses", [])],
        }
        self.save_wizard(details=details)
        return redirect("users:user_add_review")


class UserAddReviewView(_UserAddStep):
    """Add user, step 3: what will be created; the finish shows the password once."""

    step = 2
    done_template_name = "users/user_add_done.html"

    def dispatch(self, request, *args, **kwargs):
        wizard = self.wizard()
        if request.user.is_authenticated and "basics" not in wizard:
            return redirect("users:user_add")
        if request.user.is_authenticated and "details" not in wizard:
            return redirect("users:user_add_details")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        wizard = self.wizard()
        basics, details = wizard["basics"], wizard["details"]
        context.update(
            basics=basics,
            details=details,
            username=f"{basics['local_part']}@{basics['domain']}",
            role_names=[ROLES[code].name for code in details["roles"] if code in ROLES],
            license_names=[
                sub.product.name for sub in self.subscriptions() if sub.pk in details["licenses"]
            ],
        )
        return context

    def post(self, request, *args, **kwargs):
        wizard = self.wizard()
        basics, details = wizard["basics"], wizard["details"]
        profile = {
            key: details[key]
            for key in ("job_title", "department", "office", "business_phone", "usage_location")
        }
        try:
            user, generated = services.user_create(
                tenant=request.tenant,
                acting_user=request.user,
                username=f"{basics['local_part']}@{basics['domain']}",
                display_name=basics["display_name"],
                first_name=basics["first_name"],
                last_name=basics["last_name"],
                password_hash=basics["password_hash"],
                require_change=basics["require_change"],
                roles=details["roles"],
                subscriptions=[
                    sub for sub in self.subscriptions() if sub.pk in details["licenses"]
                ],
                profile=profile,
                request=request,
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "forbidden":
                raise PermissionDenied from None
            return self.render_to_response(self.get_context_data(errors=error.messages))
        request.session.pop(WIZARD_KEY, None)
        return render(
            request,
            self.done_template_name,
            {
                "person": user,
                "password": generated,
                "require_change": basics["require_change"],
            },
        )


IMPORT_CACHE_SECONDS = 60 * 60
IMPORT_ERRORS_SHOWN = 200
IMPORT_SESSION_KEY = "users_import"
# The results CSV holds one-time passwords: the shared cache (Redis) keeps it sealed.
IMPORT_RESULTS_PURPOSE = "users.import.results"


def _import_key(kind, token):
    return f"users-import:{kind}:{token}"


@method_decorator(never_cache, name="dispatch")
class UserImportView(TenantScopedMixin, TemplateView):
    """Bulk add users: upload a CSV, see every problem or confirm, then watch the job."""

    permission_required = ADD_USERS
    template_name = "users/user_import.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", UserImportForm())
        context["jobs"] = selectors.import_jobs(tenant=self.request.tenant)[:5]
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "confirm":
            return self.confirm(request)
        form = UserImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        data = upload.read(csv_import.MAX_BYTES + 1)
        result = csv_import.parse_users_csv(data, tenant=request.tenant)
        token = secrets.token_urlsafe(16)
        request.session[IMPORT_SESSION_KEY] = token
        if not result.is_valid:
            cache.set(
                _import_key("errors", token),
                csv_import.errors_csv(result.errors),
                IMPORT_CACHE_SECONDS,
            )
            return self.render_to_response(
                self.get_context_data(
                    form=form,
                    errors=result.errors[:IMPORT_ERRORS_SHOWN],
                    error_count=len(result.errors),
                    file_name=upload.name,
                )
            )
        cache.set(
            _import_key("rows", token),
            {
                "tenant": request.tenant.pk,
                "user": request.user.pk,
                "file_name": upload.name,
                "rows": result.rows,
            },
            IMPORT_CACHE_SECONDS,
        )
        return self.render_to_response(
            self.get_context_data(
                form=form,
                checked=result.rows[:20],
                row_count=len(result.rows),
                file_name=upload.name,
            )
        )

    @method_decorator(sensitive_variables("results"))
    def confirm(self, request):
        token = request.session.get(IMPORT_SESSION_KEY)
        pending = cache.get(_import_key("rows", token)) if token else None
        if (
            not pending
            or pending["tenant"] != request.tenant.pk
            or pending["user"] != request.user.pk
        ):
            messages.error(request, _("That checked file has expired. Upload it again."))
            return redirect("users:user_import")
        try:
            job, results = services.users_import(
                tenant=request.tenant,
                acting_user=request.user,
                rows=pending["rows"],
                file_name=pending["file_name"],
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            messages.error(request, error.messages[0])
            return redirect("users:user_import")
        cache.delete(_import_key("rows", token))
        results_token = secrets.token_urlsafe(16)
        cache.set(
            _import_key(f"results:{job.pk}", results_token),
            seal(results, purpose=IMPORT_RESULTS_PURPOSE),
            IMPORT_CACHE_SECONDS,
        )
        request.session[f"{IMPORT_SESSION_KEY}:{job.pk}"] = results_token
        messages.success(
            request,
            ngettext("%(count)d user was added.", "%(count)d users were added.", job.total)
            % {"count": job.total},
        )
        return redirect("users:import_detail", pk=job.pk)


class UserImportTemplateView(TenantScopedMixin, View):
    """The CSV template to fill in, with a byte order mark so Excel reads UTF-8."""

    permission_required = ADD_USERS

    def get(self, request):
        response = HttpResponse(
            "\ufeff" + csv_import.template_csv(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="users-template.csv"'
        return response


class UserImportErrorsView(TenantScopedMixin, View):
    """The full error report of the last file checked in this session."""

    permission_required = ADD_USERS

    def get(self, request):
        token = request.session.get(IMPORT_SESSION_KEY)
        report = cache.get(_import_key("errors", token)) if token else None
        if report is None:
            raise Http404
        response = HttpResponse("\ufeff" + report, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="users-import-errors.csv"'
        return response


@method_decorator(never_cache, name="dispatch")
class ImportJobDetailView(TenantScopedMixin, DetailView):
    """An import's progress (polled while passwords are set) and its one-time results."""

    permission_required = ADD_USERS
    model = ImportJob
    template_name = "users/import_detail.html"
    progress_template_name = "users/inc/import_progress.html"
    context_object_name = "job"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return [self.progress_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        key = f"{IMPORT_SESSION_KEY}:{self.object.pk}"
        context["results_available"] = (
            not self.object.results_downloaded and key in self.request.session
        )
        return context


@method_decorator(never_cache, name="dispatch")
class ImportResultsView(ImportJobDetailView):
    """The results CSV (sign-in names and one-time passwords): downloadable once."""

    @method_decorator(sensitive_variables("results"))
    def get(self, request, *args, **kwargs):
        self.object = job = self.get_object()
        token = request.session.pop(f"{IMPORT_SESSION_KEY}:{job.pk}", None)
        key = _import_key(f"results:{job.pk}", token)
        sealed = cache.get(key) if token else None
        try:
            results = sealed and unseal(
                sealed, purpose=IMPORT_RESULTS_PURPOSE, max_age=IMPORT_CACHE_SECONDS
            )
        except SealBroken:
            results = None
        if not results or job.results_downloaded:
            # Gone: downloaded already, expired, or started in another session.
            return self.render_to_response(self.get_context_data(results_gone=True))
        cache.delete(key)
        services.import_results_downloaded(job=job, acting_user=request.user, request=request)
        response = HttpResponse("\ufeff" + results, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="users-import-{job.pk}.csv"'
        return response


class RoleListView(TenantScopedMixin, TemplateView):
    """Roles: what each admin role may do and who holds it; give and take away."""

    permission_required = VIEW_ROLES
    template_name = "users/role_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actor = self.request.user
        overview = selectors.role_overview(tenant=self.request.tenant)
        for entry in overview:
            entry["permissions"] = [
                PERMISSION_LABELS[perm]
                for perm in sorted(entry["role"].permissions)
                if perm in PERMISSION_LABELS
            ]
            entry["can_change"] = actor.has_perm(ASSIGN_ROLES) and can_assign_role(
                actor, entry["role"].code
            )
        context["roles"] = overview
        # Blocked Global admins hold the role but can't sign in: they don't count.
        context["only_one_global_admin"] = (
            selectors.global_admin_count(tenant=self.request.tenant) <= 1
        )
        return context

    def post(self, request, *args, **kwargs):
        code = request.POST.get("role", "")
        if code not in ROLES:
            return HttpResponseBadRequest(_("Unknown role."), content_type="text/plain")
        if not request.user.has_perm(ASSIGN_ROLES) or not can_assign_role(request.user, code):
            raise PermissionDenied
        action = request.POST.get("action")
        users = User.objects.for_tenant(request.tenant).active()
        if action == "assign":
            username = UserManager.normalize_username(request.POST.get("username", ""))
            person = users.filter(username=username).first()
            if person is None:
                messages.error(
                    request,
                    _("There is no user %(username)s in your organization.")
                    % {"username": username or "—"},
                )
                return redirect("users:role_list")
            service, text = account_services.role_assign, _("%(name)s is now %(role)s.")
        elif action == "remove":
            try:
                person = users.get(pk=int(request.POST.get("user", "")))
            except (ValueError, User.DoesNotExist):
                raise Http404 from None
            service, text = account_services.role_remove, _("%(name)s is no longer %(role)s.")
        else:
            return HttpResponseBadRequest(_("Unknown action."), content_type="text/plain")
        try:
            service(
                tenant=request.tenant,
                user=person,
                role=code,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request, text % {"name": person.display_name, "role": ROLES[code].name}
            )
        return redirect("users:role_list")
