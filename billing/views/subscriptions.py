"""Your products: the subscriptions, buying one, and what can be done to each."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS
from billing import pricing, selectors, services
from billing.forms import BuyForm, PaymentMethodPickForm, QuantityForm
from billing.models import Subscription
from billing.views.base import ActionView
from core import l10n
from core.pagecache import CachedPageMixin
from core.views.detail import report_form_errors, report_refusal


class SubscriptionListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """Your products: every subscription with its licenses and renewal."""

    permission_required = VIEW_SUBSCRIPTIONS
    template_name = "billing/subscription_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = selectors.subscription_list(tenant=self.request.tenant)
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


class SubscriptionBuyConfirmView(SubscriptionBuyView):
    """Buy what the confirmation showed; an invalid choice shows the buy page again."""

    http_method_names = ["post"]

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            subscription = services.subscription_buy(
                tenant=self.request.tenant,
                acting_user=self.request.user,
                product=data["product"],
                quantity=data["quantity"],
                frequency=data["frequency"],
                payment_method=data["payment_method"],
                request=self.request,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
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

    A bad number shows the page again with the error; one below the licenses assigned
    (or an expired subscription) goes back to the page with a message.
    """

    permission_required = CHANGE_SUBSCRIPTIONS
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = subscription = self.get_object()
        form = QuantityForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(quantity_form=form))
        quantity = form.cleaned_data["quantity"]
        if subscription.status == Subscription.Status.EXPIRED:
            report_refusal(request, ValidationError(_("This subscription has expired.")))
            return redirect(subscription)
        assigned = subscription.licenses.count()
        if quantity < assigned:
            report_refusal(
                request,
                ValidationError(
                    _(
                        "%(assigned)d licenses are assigned. Unassign %(excess)d before you go "
                        "down to %(quantity)d."
                    ),
                    params={
                        "assigned": assigned,
                        "excess": assigned - quantity,
                        "quantity": quantity,
                    },
                ),
            )
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


class SubscriptionQuantityConfirmView(SubscriptionDetailView):
    """Change the number of licenses as confirmed; a bad number shows the page again."""

    permission_required = CHANGE_SUBSCRIPTIONS
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = subscription = self.get_object()
        form = QuantityForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(quantity_form=form))
        try:
            amount = services.subscription_quantity_change(
                tenant=request.tenant,
                acting_user=request.user,
                subscription=subscription,
                quantity=form.cleaned_data["quantity"],
                request=request,
            )
        except ValidationError as error:
            report_refusal(request, error)
            return redirect(subscription)
        change = _("A charge of %(amount)s") if amount >= 0 else _("A credit of %(amount)s")
        messages.success(
            request,
            _("You now have %(count)d licenses. %(change)s on your next bill.")
            % {
                "count": subscription.quantity,
                "change": change
                % {"amount": l10n.format_money(abs(amount), subscription.product.currency)},
            },
        )
        return redirect(subscription)


class SubscriptionPaymentMethodView(ActionView):
    """Pay for the subscription with another of the organization's payment methods."""

    permission_required = CHANGE_SUBSCRIPTIONS
    model = Subscription

    def post(self, request, pk):
        subscription = selectors.access_subscription_by_id(request.user, pk)
        form = PaymentMethodPickForm(request.POST)
        if not form.is_valid():
            report_form_errors(request, form)
            return redirect(subscription)
        method = selectors.access_payment_method_by_id(
            request.user, form.cleaned_data["payment_method"]
        )
        try:
            services.subscription_payment_method_change(
                tenant=request.tenant,
                acting_user=request.user,
                subscription=subscription,
                payment_method=method,
                request=request,
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(request, _("%(method)s now pays for it.") % {"method": method})
        return redirect(subscription)


class SubscriptionCancelView(ActionView):
    """Cancel at the end of the term: the licenses stay until then."""

    permission_required = CHANGE_SUBSCRIPTIONS
    model = Subscription

    def post(self, request, pk):
        subscription = selectors.access_subscription_by_id(request.user, pk)
        try:
            services.subscription_cancel(
                tenant=request.tenant,
                acting_user=request.user,
                subscription=subscription,
                request=request,
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(
                request,
                _("Cancelled. Your licenses stay until %(date)s.")
                % {"date": l10n.format_date(subscription.term_end)},
            )
        return redirect(subscription)


class SubscriptionReactivateView(ActionView):
    """Take a cancellation back: the subscription renews again."""

    permission_required = CHANGE_SUBSCRIPTIONS
    model = Subscription

    def post(self, request, pk):
        subscription = selectors.access_subscription_by_id(request.user, pk)
        try:
            services.subscription_reactivate(
                tenant=request.tenant,
                acting_user=request.user,
                subscription=subscription,
                request=request,
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(request, _("The subscription renews again."))
        return redirect(subscription)
