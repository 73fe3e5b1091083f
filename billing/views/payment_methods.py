"""Payment methods: the cards and the invoice method; add, make default, remove."""

from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_PAYMENT_METHODS, VIEW_PAYMENT_METHODS
from billing import selectors, services
from billing.forms import CardForm
from billing.models import PaymentMethod
from billing.views.base import ActionView
from core.pagecache import CachedPageMixin
from core.views.detail import ServiceFormMixin


class PaymentMethodListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    permission_required = VIEW_PAYMENT_METHODS
    template_name = "billing/paymentmethod_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["methods"] = selectors.payment_methods(tenant=self.request.tenant)
        context["can_change"] = self.request.user.has_perm(CHANGE_PAYMENT_METHODS)
        return context


class _PaymentMethodActionView(ActionView):
    """One change to the payment methods, from a button on their list, then back to it."""

    permission_required = CHANGE_PAYMENT_METHODS
    model = PaymentMethod
    access_object = staticmethod(selectors.access_payment_method_by_id)

    def get_back_url(self):
        return reverse("billing:paymentmethod_list")


class PaymentMethodAddInvoiceView(_PaymentMethodActionView):
    """Let the organization pay by invoice (bank transfer)."""

    model = None
    success_message = gettext_lazy("You can now pay by invoice.")

    def get_object(self):
        # The organization gains the method: no row is named by the URL.
        return None

    def perform(self, form):
        services.payment_method_add_invoice(
            tenant=self.request.tenant, acting_user=self.request.user, request=self.request
        )


class PaymentMethodDefaultView(_PaymentMethodActionView):
    """Make a payment method the one new purchases use first."""

    def perform(self, form):
        services.payment_method_set_default(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            method=self.object,
            request=self.request,
        )

    def get_success_message(self, form, result):
        return _("%(method)s is now the default.") % {"method": self.object}


class PaymentMethodRemoveView(_PaymentMethodActionView):
    """Remove a payment method that no live subscription pays with."""

    def perform(self, form):
        services.payment_method_remove(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            method=self.object,
            request=self.request,
        )

    def get_success_message(self, form, result):
        return _("%(method)s was removed.") % {"method": self.object}


@method_decorator(sensitive_post_parameters("number", "cvc"), name="dispatch")
class CardAddView(ServiceFormMixin, TenantScopedMixin, FormView):
    """Add a card. The number goes to the payment provider and is never stored."""

    permission_required = CHANGE_PAYMENT_METHODS
    template_name = "billing/card_add.html"
    form_class = CardForm
    # The provider names the expiry as one; the form has it in two fields.
    refusal_fields = {"expiry": "exp_month"}
    success_url = reverse_lazy("billing:paymentmethod_list")

    def perform(self, form):
        data = form.cleaned_data
        return services.payment_method_add_card(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            number=data["number"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            cvc=data["cvc"],
            holder_name=data["holder_name"],
            request=self.request,
        )

    def get_success_message(self, form, method):
        return _("%(method)s was added.") % {"method": method}
