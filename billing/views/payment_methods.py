"""Payment methods: the cards and the invoice method; add, make default, remove."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_PAYMENT_METHODS, VIEW_PAYMENT_METHODS
from billing import selectors, services
from billing.forms import CardForm
from billing.models import PaymentMethod
from billing.views.base import ActionView
from core.pagecache import CachedPageMixin
from core.views.detail import report_refusal


class PaymentMethodListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    permission_required = VIEW_PAYMENT_METHODS
    template_name = "billing/paymentmethod_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["methods"] = selectors.payment_methods(tenant=self.request.tenant)
        context["can_change"] = self.request.user.has_perm(CHANGE_PAYMENT_METHODS)
        return context


class PaymentMethodAddInvoiceView(ActionView):
    """Let the organization pay by invoice (bank transfer)."""

    permission_required = CHANGE_PAYMENT_METHODS

    def post(self, request):
        try:
            services.payment_method_add_invoice(
                tenant=request.tenant, acting_user=request.user, request=request
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(request, _("You can now pay by invoice."))
        return redirect("billing:paymentmethod_list")


class PaymentMethodDefaultView(ActionView):
    """Make a payment method the one new purchases use first."""

    permission_required = CHANGE_PAYMENT_METHODS
    model = PaymentMethod

    def post(self, request, pk):
        method = selectors.access_payment_method_by_id(request.user, pk)
        try:
            services.payment_method_set_default(
                tenant=request.tenant, acting_user=request.user, method=method, request=request
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(request, _("%(method)s is now the default.") % {"method": method})
        return redirect("billing:paymentmethod_list")


class PaymentMethodRemoveView(ActionView):
    """Remove a payment method that no live subscription pays with."""

    permission_required = CHANGE_PAYMENT_METHODS
    model = PaymentMethod

    def post(self, request, pk):
        method = selectors.access_payment_method_by_id(request.user, pk)
        try:
            services.payment_method_remove(
                tenant=request.tenant, acting_user=request.user, method=method, request=request
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(request, _("%(method)s was removed.") % {"method": method})
        return redirect("billing:paymentmethod_list")


@method_decorator(sensitive_post_parameters("number", "cvc"), name="dispatch")
class CardAddView(TenantScopedMixin, FormView):
    """Add a card. The number goes to the payment provider and is never stored."""

    permission_required = CHANGE_PAYMENT_METHODS
    template_name = "billing/card_add.html"
    form_class = CardForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            method = services.payment_method_add_card(
                tenant=self.request.tenant,
                acting_user=self.request.user,
                number=data["number"],
                exp_month=data["exp_month"],
                exp_year=data["exp_year"],
                cvc=data["cvc"],
                holder_name=data["holder_name"],
                request=self.request,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    target = {"expiry": "exp_month"}.get(field, field)
                    form.add_error(target if target in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(method)s was added.") % {"method": method})
        return redirect("billing:paymentmethod_list")
