from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("products/", views.SubscriptionListView.as_view(), name="subscription_list"),
    path("products/buy/", views.SubscriptionBuyView.as_view(), name="subscription_buy"),
    path("products/<int:pk>/", views.SubscriptionDetailView.as_view(), name="subscription_detail"),
    path("licenses/", views.LicenseListView.as_view(), name="license_list"),
    path("licenses/<int:pk>/", views.LicenseDetailView.as_view(), name="license_detail"),
    path("payment-methods/", views.PaymentMethodListView.as_view(), name="paymentmethod_list"),
    path("payment-methods/add-card/", views.CardAddView.as_view(), name="card_add"),
    path("bills/", views.InvoiceListView.as_view(), name="invoice_list"),
    path("bills/export/", views.InvoiceExportView.as_view(), name="invoice_export"),
    path("bills/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("bills/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("accounts/", views.BillingAccountView.as_view(), name="billingaccount_list"),
]
