"""Add users from a CSV file: upload, check, confirm, results."""

import secrets

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.generic import DetailView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import (
    ADD_USERS,
)
from core.sealing import SealBroken, seal, unseal
from users import csv_import, selectors, services
from users.forms import (
    UserImportForm,
)
from users.models import ImportJob

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


@method_decorator(never_cache, name="dispatch")
class UserImportConfirmView(TenantScopedMixin, View):
    """Add the users of the file this person checked last (kept for them in the cache)."""

    permission_required = ADD_USERS
    http_method_names = ["post"]

    @method_decorator(sensitive_variables("results"))
    def post(self, request):
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
