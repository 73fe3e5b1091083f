"""Bills & payments: the invoices, their PDF and CSV, and paying one by card."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_PAYMENT_METHODS, VIEW_INVOICES
from billing import invoicing, pdf, selectors, seller
from billing.forms import InvoiceFilterForm, PaymentMethodPickForm
from billing.models import Invoice, PaymentMethod
from billing.views.base import ActionView
from core.csv_export import streaming_csv_response
from core.pagecache import CachedPageMixin
from core.views.detail import report_form_errors, report_refusal


def _invoices(request):
    form = InvoiceFilterForm(request.GET or None)
    invoices = selectors.invoices_reachable(request.user)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["date_from"]:
            invoices = invoices.filter(issue_date__gte=form.cleaned_data["date_from"])
        if form.cleaned_data["date_to"]:
            invoices = invoices.filter(issue_date__lte=form.cleaned_data["date_to"])
    return form, invoices.order_by("-issue_date", "-id")


class InvoiceListView(TenantScopedMixin, CachedPageMixin, TemplateView):
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


class InvoiceDetailView(TenantScopedMixin, CachedPageMixin, DetailView):
    permission_required = VIEW_INVOICES
    model = Invoice
    template_name = "billing/invoice_detail.html"
    context_object_name = "invoice"

    def get_object(self, queryset=None):
        return selectors.access_invoice_by_id(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lines"] = self.object.lines.order_by("occurred_on", "id")
        context["seller"] = invoicing.seller()
        if self.object.awaits_payment:
            context["bank_account"] = seller.bank_account()
        if self.object.status != Invoice.Status.PAID and self.request.user.has_perm(
            CHANGE_PAYMENT_METHODS
        ):
            context["cards"] = selectors.payment_methods_reachable(self.request.user).filter(
                kind=PaymentMethod.Kind.CARD
            )
        return context


class InvoicePayView(ActionView):
    """Pay a due or overdue invoice now with one of the organization's cards."""

    permission_required = CHANGE_PAYMENT_METHODS
    model = Invoice

    def post(self, request, pk):
        invoice = selectors.access_invoice_by_id(request.user, pk)
        form = PaymentMethodPickForm(request.POST)
        if not form.is_valid():
            report_form_errors(request, form)
            return redirect(invoice)
        method = selectors.access_payment_method_by_id(
            request.user, form.cleaned_data["payment_method"]
        )
        try:
            invoicing.invoice_pay(
                tenant=request.tenant,
                acting_user=request.user,
                invoice=invoice,
                payment_method=method,
                request=request,
            )
        except ValidationError as error:
            report_refusal(request, error)
        else:
            messages.success(request, _("Invoice %(number)s is paid.") % {"number": invoice.number})
        return redirect(invoice)


class InvoicePdfView(TenantScopedMixin, DetailView):
    permission_required = VIEW_INVOICES
    model = Invoice

    def get(self, request, *args, **kwargs):
        invoice = selectors.access_invoice_by_id(request.user, kwargs["pk"])
        data = pdf.render_invoice_pdf(invoicing.invoice_document(invoice))
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response
