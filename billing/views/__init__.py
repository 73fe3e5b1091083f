"""The Billing pages, a module per page; billing/urls.py routes them from here."""

from billing.views.accounts import BillingAccountView
from billing.views.invoices import (
    InvoiceDetailView,
    InvoiceExportView,
    InvoiceListView,
    InvoicePayView,
    InvoicePdfView,
)
from billing.views.licenses import (
    LicenseAssignView,
    LicenseDetailView,
    LicenseListView,
    LicenseUnassignView,
)
from billing.views.payment_methods import (
    CardAddView,
    PaymentMethodAddInvoiceView,
    PaymentMethodDefaultView,
    PaymentMethodListView,
    PaymentMethodRemoveView,
)
from billing.views.subscriptions import (
    SubscriptionBuyConfirmView,
    SubscriptionBuyView,
    SubscriptionCancelView,
    SubscriptionDetailView,
    SubscriptionListView,
    SubscriptionPaymentMethodView,
    SubscriptionQuantityConfirmView,
    SubscriptionQuantityView,
    SubscriptionReactivateView,
)

__all__ = [
    "BillingAccountView",
    "CardAddView",
    "InvoiceDetailView",
    "InvoiceExportView",
    "InvoiceListView",
    "InvoicePayView",
    "InvoicePdfView",
    "LicenseAssignView",
    "LicenseDetailView",
    "LicenseListView",
    "LicenseUnassignView",
    "PaymentMethodAddInvoiceView",
    "PaymentMethodDefaultView",
    "PaymentMethodListView",
    "PaymentMethodRemoveView",
    "SubscriptionBuyConfirmView",
    "SubscriptionBuyView",
    "SubscriptionCancelView",
    "SubscriptionDetailView",
    "SubscriptionListView",
    "SubscriptionPaymentMethodView",
    "SubscriptionQuantityConfirmView",
    "SubscriptionQuantityView",
    "SubscriptionReactivateView",
]
