"""Licenses: per product, who has one; assign and unassign them in bulk."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import ngettext
from django.views.generic import DetailView, TemplateView

from accounts.mixins import TenantScopedMixin, active_users_or_404
from accounts.roles import CHANGE_LICENSES, VIEW_LICENSES
from billing import selectors, services
from billing.forms import LicenseUsersForm
from billing.models import Subscription
from billing.views.base import ActionView
from core.pagecache import CachedPageMixin
from core.views.detail import report_form_errors, report_refusal


class LicenseListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """Licenses: per product, how many are bought, assigned and free."""

    permission_required = VIEW_LICENSES
    template_name = "billing/license_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = selectors.live_subscriptions(tenant=self.request.tenant)
        return context


class LicenseDetailView(TenantScopedMixin, CachedPageMixin, DetailView):
    """Who has a product's licenses, and a searchable list of who could get one."""

    permission_required = VIEW_LICENSES
    model = Subscription
    template_name = "billing/license_detail.html"
    context_object_name = "subscription"

    def get_object(self, queryset=None):
        return selectors.access_live_subscription_by_id(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = self.request.GET.get("q", "")[:100]
        context.update(
            holders=selectors.license_holders(tenant=self.request.tenant, subscription=self.object),
            candidates=selectors.licensable_users(
                tenant=self.request.tenant, subscription=self.object, search=search
            ),
            search=search,
            can_change=self.request.user.has_perm(CHANGE_LICENSES),
        )
        return context


class _LicenseActionView(ActionView):
    """Give or take licenses of one product; every user id must be an active user of ours."""

    permission_required = CHANGE_LICENSES
    model = Subscription

    def change(self, **kwargs):
        raise NotImplementedError

    def done(self, count):
        raise NotImplementedError

    def post(self, request, pk):
        subscription = selectors.access_live_subscription_by_id(request.user, pk)
        form = LicenseUsersForm(request.POST)
        if not form.is_valid():
            report_form_errors(request, form)
            return redirect("billing:license_detail", pk=subscription.pk)
        users = active_users_or_404(request, form.cleaned_data["users"])
        try:
            count = self.change(
                tenant=request.tenant,
                acting_user=request.user,
                subscription=subscription,
                users=users,
                request=request,
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(request, self.done(count) % {"count": count})
        return redirect("billing:license_detail", pk=subscription.pk)


class LicenseAssignView(_LicenseActionView):
    def change(self, **kwargs):
        return services.license_assign(**kwargs)

    def done(self, count):
        return ngettext("%(count)d license assigned.", "%(count)d licenses assigned.", count)


class LicenseUnassignView(_LicenseActionView):
    def change(self, **kwargs):
        return services.license_unassign(**kwargs)

    def done(self, count):
        return ngettext("%(count)d license unassigned.", "%(count)d licenses unassigned.", count)
