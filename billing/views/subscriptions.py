"""Your products: the subscriptions, buying one, and what can be done to each."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS
from billing import pricing, selectors, services
from billing.forms import BuyForm, PaymentMethodPickForm, QuantityForm
from billing.models import Subscription
from billing.views.base import ActionView
from core import l10n
from core.pagecache import CachedPageMixin
from core.views.detail import ServiceFormMixin, report_refusal


class SubscriptionListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """Your products: every subscription with its licenses and renewal."""

    permission_required = VIEW_SUBSCRIPTIONS
    template_name = "billing/subscription_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = selectors.subscription_rows(tenant=self.request.tenant)
        context["can_change"] = self.request.user.has_perm(CHANGE_SUBSCRIPTIONS)
        return context


class SubscriptionBuyView(TenantScopedMixin, FormView):
    """Choose a product; a valid choice shows its cost to confirm, and buys nothing yet."""

    permission_required = CHANGE_SUBSCRIPTIONS
    template_name = "billing/subscription_buy.html"
    form_class = BuyForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "tenant": self.request.tenant}

    def get_initial(self):
        product = self.request.GET.get("product")
        return {"product": product} if product and product.isdigit() else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["products"] = selectors.products_for_sale()
        context["has_payment_method"] = selectors.payment_methods_reachable(
            self.request.user
        ).exists()
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        quote = selectors.buy_quote(
            product=data["product"], quantity=data["quantity"], frequency=data["frequency"]
        )
        return self.response_class(
            request=self.request,
            template="billing/subscription_buy_confirm.html",
            context={
                **data,
                "form": form,
                "quote": quote,
                "annual": data["frequency"] == pricing.Frequency.ANNUAL,
                "frequency_label": pricing.Frequency(data["frequency"]).label,
            },
            using=self.template_engine,
        )


class SubscriptionBuyConfirmView(ServiceFormMixin, SubscriptionBuyView):
    """Buy what the confirmation showed; an invalid choice shows the buy page again."""

    http_method_names = ["post"]

    def perform(self, form):
        data = form.cleaned_data
        return services.subscription_buy(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            product=data["product"],
            quantity=data["quantity"],
            frequency=data["frequency"],
            payment_method=data["payment_method"],
            request=self.request,
        )

    def done(self, form, subscription):
        messages.success(
            self.request,
            _("You bought %(count)d licenses of %(product)s.")
            % {"count": subscription.quantity, "product": subscription.product.name},
        )
        return redirect(subscription)


class SubscriptionDetailView(TenantScopedMixin, CachedPageMixin, DetailView):
    """One subscription, with its forms: licenses, payment method, cancel or reactivate."""

    permission_required = VIEW_SUBSCRIPTIONS
    model = Subscription
    template_name = "billing/subscription_detail.html"
    context_object_name = "subscription"

    def get_object(self, queryset=None):
        return selectors.access_subscription_by_id(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "quantity_form", QuantityForm(initial={"quantity": self.object.quantity})
        )
        context["can_change"] = self.request.user.has_perm(CHANGE_SUBSCRIPTIONS)
        if context["can_change"]:
            context["payment_methods"] = selectors.payment_methods_reachable(self.request.user)
        return context


class SubscriptionQuantityView(SubscriptionDetailView):
    """Choose a new number of licenses: shows the cost to confirm and changes nothing yet.

    A bad number shows the page again with the error; one the subscription cannot
    take (below the licenses assigned, or an expired subscription) goes back to the
    page with the service's reason.
    """

    permission_required = CHANGE_SUBSCRIPTIONS
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = subscription = self.get_object()
        form = QuantityForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(quantity_form=form))
        quantity = form.cleaned_data["quantity"]
        try:
            services.subscription_quantity_check(subscription=subscription, quantity=quantity)
        except ValidationError as error:
            report_refusal(request, error)
            return redirect(subscription)
        return self.response_class(
            request=request,
            template="billing/subscription_quantity_confirm.html",
            context={
                "subscription": subscription,
                "quantity": quantity,
                "annual": subscription.frequency == pricing.Frequency.ANNUAL,
                "quote": selectors.quantity_quote(subscription=subscription, quantity=quantity),
            },
            using=self.template_engine,
        )


class SubscriptionActionView(ActionView):
    """One change to a subscription, from a button on its page, then back to it."""

    permission_required = CHANGE_SUBSCRIPTIONS
    model = Subscription
    access_object = staticmethod(selectors.access_subscription_by_id)


class SubscriptionQuantityConfirmView(SubscriptionActionView):
    """Change the number of licenses as confirmed."""

    form_class = QuantityForm

    def perform(self, form):
        return services.subscription_quantity_change(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            subscription=self.object,
            quantity=form.cleaned_data["quantity"],
            request=self.request,
        )

    def get_success_message(self, form, amount):
        subscription = self.object
        change = _("A charge of %(amount)s") if amount >= 0 else _("A credit of %(amount)s")
        return _("You now have %(count)d licenses. %(change)s on your next bill.") % {
            "count": subscription.quantity,
            "change": change
            % {"amount": l10n.format_money(abs(amount), subscription.product.currency)},
        }


class SubscriptionPaymentMethodView(SubscriptionActionView):
    """Pay for the subscription with another of the organization's payment methods."""

    form_class = PaymentMethodPickForm

    def perform(self, form):
        # Another organization's method answers 404, like a missing one.
        method = selectors.access_payment_method_by_id(
            self.request.user, form.cleaned_data["payment_method"]
        )
        services.subscription_payment_method_change(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            subscription=self.object,
            payment_method=method,
            request=self.request,
        )
        return method

    def get_success_message(self, form, method):
        return _("%(method)s now pays for it.") % {"method": method}


class SubscriptionCancelView(SubscriptionActionView):
    """Cancel at the end of the term: the licenses stay until then."""

    def perform(self, form):
        services.subscription_cancel(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            subscription=self.object,
            request=self.request,
        )

    def get_success_message(self, form, result):
        return _("Cancelled. Your licenses stay until %(date)s.") % {
            "date": l10n.format_date(self.object.term_end)
        }


class SubscriptionReactivateView(SubscriptionActionView):
    """Take a cancellation back: the subscription renews again."""

    success_message = gettext_lazy("The subscription renews again.")

    def perform(self, form):
        services.subscription_reactivate(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            subscription=self.object,
            request=self.request,
        )
