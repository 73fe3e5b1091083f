from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import DetailView, FormView, TemplateView

from accounts.mixins import TenantScopedMixin, active_users_or_404
from accounts.roles import (
    CHANGE_BILLING_ACCOUNTS,
    CHANGE_LICENSES,
    CHANGE_PAYMENT_METHODS,
    CHANGE_SUBSCRIPTIONS,
    VIEW_BILLING_ACCOUNTS,
    VIEW_INVOICES,
    VIEW_LICENSES,
    VIEW_PAYMENT_METHODS,
    VIEW_SUBSCRIPTIONS,
)
from billing import invoicing, pdf, selectors, seller, services
from billing.forms import BillingAccountForm, BuyForm, CardForm, QuantityForm
from billing.models import BillingAccount, Invoice, PaymentMethod, Subscription
from core import l10n
from core.csv_export import streaming_csv_response


def _refuse_unless(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _report(request, error):
    """Show a service's refusal; a forbidden action is a 403."""
    if getattr(error, "code", None) == "forbidden":
        raise PermissionDenied from None
    for message in error.messages:
        messages.error(request, message)


class SubscriptionListView(TenantScopedMixin, TemplateView):
    """Your products: every subscription with its licenses and renewal."""

    permission_required = VIEW_SUBSCRIPTIONS
    template_name = "billing/subscription_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = selectors.subscription_list(tenant=self.request.tenant)
        context["can_change"] = self.request.user.has_perm(CHANGE_SUBSCRIPTIONS)
        return context


class SubscriptionBuyView(TenantScopedMixin, FormView):
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
        context["has_payment_method"] = PaymentMethod.objects.for_tenant(
            self.request.tenant
        ).exists()
        return context

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
            if error.code == "forbidden":
                raise PermissionDenied from None
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("You bought %(count)d licenses of %(product)s.")
            % {"count": subscription.quantity, "product": subscription.product.name},
        )
        return redirect(subscription)


class SubscriptionDetailView(TenantScopedMixin, DetailView):
    """One subscription: change the number of licenses, cancel or reactivate."""

    permission_required = VIEW_SUBSCRIPTIONS
    model = Subscription
    template_name = "billing/subscription_detail.html"
    context_object_name = "subscription"

    def get_queryset(self):
        return selectors.subscription_list(tenant=self.request.tenant)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "quantity_form", QuantityForm(initial={"quantity": self.object.quantity})
        )
        context["can_change"] = self.request.user.has_perm(CHANGE_SUBSCRIPTIONS)
        return context

    def post(self, request, *args, **kwargs):
        _refuse_unless(request, CHANGE_SUBSCRIPTIONS)
        self.object = subscription = self.get_object()
        action = request.POST.get("action")
        try:
            if action == "quantity":
                form = QuantityForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(quantity_form=form))
                amount = services.subscription_quantity_change(
                    tenant=request.tenant,
                    acting_user=request.user,
                    subscription=subscription,
                    quantity=form.cleaned_data["quantity"],
                    request=request,
                )
                messages.success(
                    request,
                    _("You now have %(count)d licenses. %(change)s on your next bill.")
                    % {
                        "count": subscription.quantity,
                        "change": (
                            _("A charge of %(amount)s")
                            if amount >= 0
                            else _("A credit of %(amount)s")
                        )
                        % {"amount": l10n.format_money(abs(amount), subscription.product.currency)},
                    },
                )
            elif action == "cancel":
                services.subscription_cancel(
                    tenant=request.tenant,
                    acting_user=request.user,
                    subscription=subscription,
                    request=request,
                )
                messages.success(
                    request,
                    _("Cancelled. Your licenses stay until %(date)s.")
                    % {"date": l10n.format_date(subscription.term_end)},
                )
            elif action == "payment_method":
                try:
                    method = PaymentMethod.objects.for_tenant(request.tenant).get(
                        pk=int(request.POST.get("payment_method", ""))
                    )
                except (ValueError, PaymentMethod.DoesNotExist):
                    raise Http404 from None
                services.subscription_payment_method_change(
                    tenant=request.tenant,
                    acting_user=request.user,
                    subscription=subscription,
                    payment_method=method,
                    request=request,
                )
                messages.success(request, _("%(method)s now pays for it.") % {"method": method})
            elif action == "reactivate":
                services.subscription_reactivate(
                    tenant=request.tenant,
                    acting_user=request.user,
                    subscription=subscription,
                    request=request,
                )
                messages.success(request, _("The subscription renews again."))
            else:
                messages.error(request, _("Choose an action."))
        except ValidationError as error:
            _report(request, error)
        return redirect(subscription)


class LicenseListView(TenantScopedMixin, TemplateView):
    """Licenses: per product, how many are bought, assigned and free."""

    permission_required = VIEW_LICENSES
    template_name = "billing/license_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = selectors.live_subscriptions(tenant=self.request.tenant)
        return context


class LicenseDetailView(TenantScopedMixin, DetailView):
    """Who has a product's licenses; assign (searchable picker) and unassign, in bulk."""

    permission_required = VIEW_LICENSES
    model = Subscription
    template_name = "billing/license_detail.html"
    context_object_name = "subscription"

    def get_queryset(self):
        return selectors.live_subscriptions(tenant=self.request.tenant)

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

    def post(self, request, *args, **kwargs):
        _refuse_unless(request, CHANGE_LICENSES)
        self.object = subscription = self.get_object()
        users = active_users_or_404(request, request.POST.getlist("users"))
        if not users:
            messages.error(request, _("Select at least one user first."))
            return redirect("billing:license_detail", pk=subscription.pk)
        action = request.POST.get("action")
        service = {"assign": services.license_assign, "unassign": services.license_unassign}.get(
            action
        )
        if service is None:
            messages.error(request, _("Choose an action."))
            return redirect("billing:license_detail", pk=subscription.pk)
        try:
            count = service(
                tenant=request.tenant,
                acting_user=request.user,
                subscription=subscription,
                users=users,
                request=request,
            )
        except ValidationError as error:
            _report(request, error)
        else:
            text = (
                ngettext("%(count)d license assigned.", "%(count)d licenses assigned.", count)
                if action == "assign"
                else ngettext(
                    "%(count)d license unassigned.", "%(count)d licenses unassigned.", count
                )
            )
            messages.success(request, text % {"count": count})
        return redirect("billing:license_detail", pk=subscription.pk)


class PaymentMethodListView(TenantScopedMixin, TemplateView):
    permission_required = VIEW_PAYMENT_METHODS
    template_name = "billing/paymentmethod_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["methods"] = selectors.payment_methods(tenant=self.request.tenant)
        context["can_change"] = self.request.user.has_perm(CHANGE_PAYMENT_METHODS)
        return context

    def post(self, request, *args, **kwargs):
        _refuse_unless(request, CHANGE_PAYMENT_METHODS)
        action = request.POST.get("action")
        try:
            if action == "add_invoice":
                services.payment_method_add_invoice(
                    tenant=request.tenant, acting_user=request.user, request=request
                )
                messages.success(request, _("You can now pay by invoice."))
            elif action in ("default", "remove"):
                try:
                    method = PaymentMethod.objects.for_tenant(request.tenant).get(
                        pk=int(request.POST.get("method", ""))
                    )
                except (ValueError, PaymentMethod.DoesNotExist):
                    raise Http404 from None
                if action == "default":
                    services.payment_method_set_default(
                        tenant=request.tenant,
                        acting_user=request.user,
                        method=method,
                        request=request,
                    )
                    messages.success(
                        request, _("%(method)s is now the default.") % {"method": method}
                    )
                else:
                    services.payment_method_remove(
                        tenant=request.tenant,
                        acting_user=request.user,
                        method=method,
                        request=request,
                    )
                    messages.success(request, _("%(method)s was removed.") % {"method": method})
            else:
                messages.error(request, _("Choose an action."))
        except ValidationError as error:
            _report(request, error)
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
            if getattr(error, "code", None) == "forbidden":
                raise PermissionDenied from None
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    target = {"expiry": "exp_month"}.get(field, field)
                    form.add_error(target if target in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("%(method)s was added.") % {"method": method})
        return redirect("billing:paymentmethod_list")


class BillingAccountView(TenantScopedMixin, FormView):
    """The billing account: sold-to name, address, VAT number, who gets the invoices."""

    permission_required = VIEW_BILLING_ACCOUNTS
    template_name = "billing/billingaccount_form.html"
    form_class = BillingAccountForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        account = BillingAccount.objects.for_tenant(self.request.tenant).first()
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
        _refuse_unless(request, CHANGE_BILLING_ACCOUNTS)
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
            if getattr(error, "code", None) == "forbidden":
                raise PermissionDenied from None
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The billing account was saved."))
        return redirect("billing:billingaccount_list")


class InvoiceFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("date_from"), cleaned_data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to", forms.ValidationError(_lazy("Choose a date after the start."))
            )
        return cleaned_data


def _invoices(request):
    form = InvoiceFilterForm(request.GET or None)
    invoices = Invoice.objects.for_tenant(request.tenant)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["date_from"]:
            invoices = invoices.filter(issue_date__gte=form.cleaned_data["date_from"])
        if form.cleaned_data["date_to"]:
            invoices = invoices.filter(issue_date__lte=form.cleaned_data["date_to"])
    return form, invoices.order_by("-issue_date", "-id")


class InvoiceListView(TenantScopedMixin, TemplateView):
    """Bills & payments: the invoices, filtered by date, with PDF and CSV."""

    permission_required = VIEW_INVOICES
    template_name = "billing/invoice_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, invoices = _invoices(self.request)
        page = Paginator(invoices, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, page_obj=page, invoices=page.object_list, query=query.urlencode())
        return context


class InvoiceExportView(TenantScopedMixin, View):
    permission_required = VIEW_INVOICES

    def get(self, request):
        form, invoices = _invoices(request)
        if form.is_bound and not form.is_valid():
            return HttpResponseBadRequest(
                _("The dates are not valid."), content_type="text/plain; charset=utf-8"
            )
        header = [
            _("Number"),
            _("Date"),
            _("Due"),
            _("Period"),
            _("Subtotal"),
            _("VAT"),
            _("Total"),
            _("Currency"),
            _("Status"),
        ]
        rows = (
            [
                invoice.number,
                invoice.issue_date.isoformat(),
                invoice.due_date.isoformat(),
                invoice.period,
                invoice.subtotal,
                invoice.vat_amount,
                invoice.total,
                invoice.currency,
                invoice.get_status_display(),
            ]
            for invoice in invoices.iterator()
        )
        return streaming_csv_response("invoices.csv", header, rows)


class InvoiceDetailView(TenantScopedMixin, DetailView):
    permission_required = VIEW_INVOICES
    model = Invoice
    template_name = "billing/invoice_detail.html"
    context_object_name = "invoice"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lines"] = self.object.lines.order_by("occurred_on", "id")
        context["seller"] = invoicing.seller()
        if self.object.awaits_payment:
            context["bank_account"] = seller.bank_account()
        if self.object.status != Invoice.Status.PAID and self.request.user.has_perm(
            CHANGE_PAYMENT_METHODS
        ):
            context["cards"] = PaymentMethod.objects.for_tenant(self.request.tenant).filter(
                kind=PaymentMethod.Kind.CARD
            )
        return context

    def post(self, request, *args, **kwargs):
        _refuse_unless(request, CHANGE_PAYMENT_METHODS)
        invoice = self.get_object()
        try:
            method = PaymentMethod.objects.for_tenant(request.tenant).get(
                pk=int(request.POST.get("payment_method", ""))
            )
        except (ValueError, PaymentMethod.DoesNotExist):
            raise Http404 from None
        try:
            invoicing.invoice_pay(
                tenant=request.tenant,
                acting_user=request.user,
                invoice=invoice,
                payment_method=method,
                request=request,
            )
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Invoice %(number)s is paid.") % {"number": invoice.number})
        return redirect(invoice)


class InvoicePdfView(TenantScopedMixin, DetailView):
    permission_required = VIEW_INVOICES
    model = Invoice

    def get(self, request, *args, **kwargs):
        invoice = self.get_object()
        data = pdf.render_invoice_pdf(invoicing.invoice_document(invoice))
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response
