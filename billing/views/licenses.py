"""Licenses: per product, who has one; assign and unassign them in bulk."""

from django.urls import reverse
from django.utils.translation import ngettext
from django.views.generic import DetailView, TemplateView

from accounts.mixins import TenantScopedMixin, active_users_or_404
from accounts.roles import CHANGE_LICENSES, VIEW_LICENSES
from billing import selectors, services
from billing.forms import LicenseAssignForm, LicenseUsersForm
from billing.models import Subscription
from billing.views.base import ActionView
from core.pagecache import CachedPageMixin
from core.people_picker import people_search


class LicenseListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """Licenses: per product, how many are bought, assigned and free."""

    permission_required = VIEW_LICENSES
    template_name = "billing/license_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = selectors.live_subscriptions(tenant=self.request.tenant)
        return context


class LicenseDetailView(TenantScopedMixin, CachedPageMixin, DetailView):
    """Who has a product's licenses; the people picker gives more people one."""

    permission_required = VIEW_LICENSES
    model = Subscription
    template_name = "billing/license_detail.html"
    context_object_name = "subscription"

    def get_object(self, queryset=None):
        return selectors.access_live_subscription_by_id(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            holders=selectors.license_holders(tenant=self.request.tenant, subscription=self.object),
            assign_form=people_search(
                LicenseAssignForm(actor=self.request.user, auto_id="assign-%s"), self.request.GET
            ),
            can_change=self.request.user.has_perm(CHANGE_LICENSES),
        )
        return context


class _LicenseActionView(ActionView):
    """Give or take licenses of one product; every user id must be an active user of ours.

    Subclasses give ``change(**kwargs)``, which calls the service, and
    ``counted(count)``, which says what it did.
    """

    permission_required = CHANGE_LICENSES
    model = Subscription
    access_object = staticmethod(selectors.access_live_subscription_by_id)
    form_class = LicenseUsersForm

    def get_back_url(self):
        return reverse("billing:license_detail", args=[self.object.pk])

    def perform(self, form):
        return self.change(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            subscription=self.object,
            users=self.users(form),
            request=self.request,
        )

    def get_success_message(self, form, count):
        return self.counted(count) % {"count": count}

    def users(self, form):
        """Return the users the valid ``form`` names, or raise Http404."""
        return active_users_or_404(self.request, form.cleaned_data["users"])

    def change(self, **kwargs):
        raise NotImplementedError

    def counted(self, count):
        raise NotImplementedError


class LicenseAssignView(_LicenseActionView):
    form_class = LicenseAssignForm

    def get_form_kwargs(self):
        return {"actor": self.request.user}

    def users(self, form):
        return list(form.cleaned_data["users"])

    def change(self, **kwargs):
        return services.license_assign(**kwargs)

    def counted(self, count):
        return ngettext("%(count)d license assigned.", "%(count)d licenses assigned.", count)


class LicenseUnassignView(_LicenseActionView):
    def change(self, **kwargs):
        return services.license_unassign(**kwargs)

    def counted(self, count):
        return ngettext("%(count)d license unassigned.", "%(count)d licenses unassigned.", count)
