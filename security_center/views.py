"""Admin centers: the tiles, and the Security center's pages."""

from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import ADMIN_CENTER, VIEW_SIGNINS, VIEW_TENANT
from core.pagecache import EVENTS, CachedPageMixin
from core.tables import Column, EventTimeColumn
from core.views import ObjectListView
from core.views.lists import get_page, query_without
from security_center import selectors
from security_center.models import SignIn


class AdminCenterListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """Admin centers: the Security center and the external centers of the user's roles."""

    permission_required = ADMIN_CENTER
    template_name = "security_center/admin_center_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            security_center=selectors.can_open_security_center(user=user),
            centers=selectors.admin_centers_for(user=user),
            **kwargs,
        )


class SecurityCenterView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """The Security center's start: its pages, and the last day's sign-ins at a glance."""

    page_cache_scope = EVENTS  # sign-ins count here
    permission_required = VIEW_SIGNINS
    template_name = "security_center/security_center.html"

    def get_context_data(self, **kwargs):
        since = timezone.now() - timedelta(days=1)
        day = (
            SignIn.objects.for_tenant(self.request.tenant)
            .filter(created_at__gte=since)
            .aggregate(
                succeeded=Count("pk", filter=Q(result=SignIn.Result.SUCCESS)),
                failed=Count("pk", filter=Q(result=SignIn.Result.FAILURE)),
            )
        )
        return super().get_context_data(day=day, **kwargs)


def _reason(signin):
    return signin.get_reason_display() if signin.reason else ""


def _method(signin):
    return signin.get_method_display() if signin.method else ""


def _outcome(signin):
    if not signin.reason:
        return signin.get_result_display()
    return _("%(result)s: %(reason)s") % {
        "result": signin.get_result_display(),
        "reason": signin.get_reason_display(),
    }


def _client(signin):
    if signin.browser and signin.operating_system:
        return _("%(browser)s on %(system)s") % {
            "browser": signin.browser,
            "system": signin.operating_system,
        }
    return signin.browser or signin.operating_system


# The page: the result with its reason, and the browser with its system, in one cell each.
SIGNIN_COLUMNS = [
    EventTimeColumn(_lazy("Time"), "created_at", seconds=True),
    Column(_lazy("Person"), "username"),
    Column(_lazy("Result"), _outcome),
    Column(_lazy("Second step"), _method),
    Column(_lazy("Browser and operating system"), _client),
    Column(_lazy("IP address"), "ip_address"),
]

# The export: a column for each.
SIGNIN_CSV_COLUMNS = [
    EventTimeColumn(_lazy("Time"), "created_at", seconds=True),
    Column(_lazy("Person"), "username"),
    Column(_lazy("Result"), lambda signin: signin.get_result_display()),
    Column(_lazy("Failure reason"), _reason),
    Column(_lazy("Second step"), _method),
    Column(_lazy("Browser"), "browser"),
    Column(_lazy("Operating system"), "operating_system"),
    Column(_lazy("IP address"), "ip_address"),
]


class SignInListView(TenantScopedMixin, ObjectListView):
    """Sign-in logs: every sign-in attempt of the organization's people, newest first."""

    page_cache_scope = EVENTS  # sign-ins count here
    permission_required = VIEW_SIGNINS
    template_name = "security_center/signin_list.html"
    selector = staticmethod(selectors.signin_list)
    columns = SIGNIN_COLUMNS
    sort_keys = {"time": ("created_at", "id")}
    default_sort = "-time"
    empty_text = _lazy("No sign-ins have been recorded yet.")
    empty_filtered_text = _lazy("No sign-ins match these filters.")
    csv_filename = "sign-ins.csv"

    def get_context_data(self, **kwargs):
        return super().get_context_data(retention_days=settings.PORTAL_SIGNIN_LOG_DAYS, **kwargs)

    def csv_columns(self):
        return SIGNIN_CSV_COLUMNS

    def csv_header(self):
        return [*super().csv_header(), _("Failure reason code"), _("User agent")]

    def csv_rows(self, queryset):
        columns = self.csv_columns()
        for signin in queryset.iterator(chunk_size=2000):
            yield [
                *(column.text(signin) for column in columns),
                signin.reason,
                signin.user_agent,
            ]


class MethodsActivityView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """Authentication methods activity: registrations and self-service resets, and who is stuck.

    Who cannot reset their own password is a list in pages (``?page=``), so everyone
    on it can be seen.
    """

    page_cache_scope = EVENTS  # read from the audit events
    permission_required = VIEW_SIGNINS
    template_name = "security_center/methods_activity.html"
    stuck_per_page = 50

    def get_context_data(self, **kwargs):
        tenant = self.request.tenant
        stuck = Paginator(selectors.users_unable_to_reset(tenant=tenant), self.stuck_per_page)
        return super().get_context_data(
            activity=selectors.methods_activity(tenant=tenant),
            registrations=selectors.REGISTRATIONS,
            reset_methods=selectors.RESET_METHODS,
            readiness=selectors.reset_readiness(tenant=tenant),
            page_obj=get_page(stuck, self.request.GET.get("page")),
            query=query_without(self.request.GET, "page"),
            **kwargs,
        )


class SignInSettingsView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """The organization's sign-in settings and the platform's lockout limits, in one place."""

    permission_required = VIEW_SIGNINS
    template_name = "security_center/signin_settings.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            settings_in_force=selectors.signin_settings(tenant=self.request.tenant),
            can_open_settings=self.request.user.has_perm(VIEW_TENANT),
            **kwargs,
        )
