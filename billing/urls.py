from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("products/", views.SubscriptionListView.as_view(), name="subscription_list"),
    path("products/buy/", views.SubscriptionBuyView.as_view(), name="subscription_buy"),
    path(
        "products/buy/confirm/",
        views.SubscriptionBuyConfirmView.as_view(),
        name="subscription_buy_confirm",
    ),
    path("products/<int:pk>/", views.SubscriptionDetailView.as_view(), name="subscription_detail"),
    path(
        "products/<int:pk>/quantity/",
        views.SubscriptionQuantityView.as_view(),
        name="subscription_quantity",
    ),
    path(
        "products/<int:pk>/quantity/confirm/",
        views.SubscriptionQuantityConfirmView.as_view(),
        name="subscription_quantity_confirm",
    ),
    path(
        "products/<int:pk>/payment-method/",
        views.SubscriptionPaymentMethodView.as_view(),
        name="subscription_payment_method",
    ),
    path(
        "products/<int:pk>/cancel/",
        views.SubscriptionCancelView.as_view(),
        name="subscription_cancel",
    ),
    path(
        "products/<int:pk>/reactivate/",
        views.SubscriptionReactivateView.as_view(),
        name="subscription_reactivate",
    ),
    path("licenses/", views.LicenseListView.as_view(), name="license_list"),
    path("licenses/<int:pk>/", views.LicenseDetailView.as_view(), name="license_detail"),
    path("licenses/<int:pk>/assign/", views.LicenseAssignView.as_view(), name="license_assign"),
    path(
        "licenses/<int:pk>/unassign/", views.LicenseUnassignView.as_view(), name="license_unassign"
    ),
    path("payment-methods/", views.PaymentMethodListView.as_view(), name="paymentmethod_list"),
    path("payment-methods/add-card/", views.CardAddView.as_view(), name="card_add"),
    path(
        "payment-methods/add-invoice/",
        views.PaymentMethodAddInvoiceView.as_view(),
        name="paymentmethod_add_invoice",
    ),
    path(
        "payment-methods/<int:pk>/default/",
        views.PaymentMethodDefaultView.as_view(),
        name="paymentmethod_default",
    ),
    path(
        "payment-methods/<int:pk>/remove/",
        views.PaymentMethodRemoveView.as_view(),
        name="paymentmethod_remove",
    ),
    path("bills/", views.InvoiceListView.as_view(), name="invoice_list"),
    path("bills/export/", views.InvoiceExportView.as_view(), name="invoice_export"),
    path("bills/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("bills/<int:pk>/pay/", views.InvoicePayView.as_view(), name="invoice_pay"),
    path("bills/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("accounts/", views.BillingAccountView.as_view(), name="billingaccount_list"),
]
