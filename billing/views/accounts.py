"""The billing account: who is billed, where, and who gets the invoices."""

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_BILLING_ACCOUNTS, VIEW_BILLING_ACCOUNTS
from billing import selectors, services
from billing.forms import BillingAccountForm
from billing.models import BillingAccount
from core.views.detail import ChangePermissionMixin, ServiceFormMixin


class BillingAccountView(ChangePermissionMixin, ServiceFormMixin, TenantScopedMixin, FormView):
    """The billing account: sold-to name, address, VAT number, who gets the invoices.

    Every reader sees it; only who may change billing accounts may save it.
    """

    permission_required = VIEW_BILLING_ACCOUNTS
    change_permission = CHANGE_BILLING_ACCOUNTS
    template_name = "billing/billingaccount_form.html"
    form_class = BillingAccountForm
    success_url = reverse_lazy("billing:billingaccount_list")
    success_message = gettext_lazy("The billing account was saved.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        account = selectors.billing_account_get(tenant=self.request.tenant)
        kwargs["instance"] = account or BillingAccount(
            tenant=self.request.tenant,
            sold_to_name=self.request.tenant.name,
            country=self.request.tenant.country,
            address_line1=self.request.tenant.address,
        )
        return kwargs

    def perform(self, form):
        services.billing_account_update(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            request=self.request,
            **{name: form.cleaned_data[name] for name in BillingAccountForm.Meta.fields},
        )
