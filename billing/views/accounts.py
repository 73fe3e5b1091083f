"""The billing account: who is billed, where, and who gets the invoices."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_BILLING_ACCOUNTS, VIEW_BILLING_ACCOUNTS
from billing import selectors, services
from billing.forms import BillingAccountForm
from billing.models import BillingAccount


class BillingAccountView(TenantScopedMixin, FormView):
    """The billing account: sold-to name, address, VAT number, who gets the invoices.

    Every reader sees it; only who may change billing accounts may save it.
    """

    permission_required = VIEW_BILLING_ACCOUNTS
    template_name = "billing/billingaccount_form.html"
    form_class = BillingAccountForm

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

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not self.request.user.has_perm(CHANGE_BILLING_ACCOUNTS):
            for field in form.fields.values():
                field.disabled = True
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_change"] = self.request.user.has_perm(CHANGE_BILLING_ACCOUNTS)
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_BILLING_ACCOUNTS):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            services.billing_account_update(
                tenant=self.request.tenant,
                acting_user=self.request.user,
                request=self.request,
                **{name: form.cleaned_data[name] for name in BillingAccountForm.Meta.fields},
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The billing account was saved."))
        return redirect("billing:billingaccount_list")
