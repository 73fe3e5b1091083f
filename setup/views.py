"""Setup: the guided setup, the recommended actions with their score, and admin access."""

from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import ADMIN_CENTER, VIEW_SETUP, VIEW_USERS
from core.csv_export import streaming_csv_response
from core.pagecache import EVENTS, CachedPageMixin
from setup import selectors, services


class SetupView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """The guided setup: the steps the viewer can do (or all of them), judged on the facts."""

    page_cache_scope = EVENTS  # sign-ins make admins stale or not
    permission_required = ADMIN_CENTER
    template_name = "setup/setup.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        facts = selectors.facts(tenant=self.request.tenant)
        steps = selectors.setup_steps(user=user, facts=facts)
        context = {
            **super().get_context_data(**kwargs),
            "steps": steps,
            "progress": selectors.progress(steps),
        }
        if user.has_perm(VIEW_SETUP):
            context["score"] = selectors.recommended_actions(user=user, facts=facts)
        return context


class RecommendedActionsView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """The recommended actions, each with its points and what it earns now, and the score."""

    page_cache_scope = EVENTS
    permission_required = VIEW_SETUP
    template_name = "setup/recommended_actions.html"

    def get_context_data(self, **kwargs):
        facts = selectors.facts(tenant=self.request.tenant)
        return {
            **super().get_context_data(**kwargs),
            **selectors.recommended_actions(user=self.request.user, facts=facts),
        }


class AdminAccessView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """Every person with a role: roles, methods (masked), self-service reset, last sign-in; CSV."""

    page_cache_scope = EVENTS  # last sign-ins
    permission_required = VIEW_SETUP
    template_name = "setup/admin_access.html"

    def get(self, request, *args, **kwargs):
        rows = selectors.admin_rows(tenant=request.tenant)
        if request.GET.get("format") == "csv":
            services.admin_access_export_record(
                tenant=request.tenant, acting_user=request.user, total=len(rows), request=request
            )
            return streaming_csv_response(
                "admin-access.csv", self.csv_header(), self.csv_rows(rows)
            )
        context = self.get_context_data(
            rows=rows,
            link_people=request.user.has_perm(VIEW_USERS),
            stale_days=selectors.STALE_AFTER.days,
            **kwargs,
        )
        return self.render_to_response(context)

    @staticmethod
    def csv_header():
        return [
            _("Display name"),
            _("Sign-in name"),
            _("Roles"),
            _("Methods"),
            _("Can reset their own password"),
            _("Last sign-in"),
        ]

    @staticmethod
    def csv_rows(rows):
        for row in rows:
            yield [
                row["display_name"],
                row["username"],
                "; ".join(str(role.name) for role in row["roles"]),
                "; ".join(
                    f"{method['label']}: {method['detail']}"
                    if method["detail"]
                    else str(method["label"])
                    for method in row["methods"]
                ),
                _("Yes") if row["can_self_reset"] else _("No"),
                selectors.last_sign_in_text(row["last_login"]),
            ]
