"""The operators' side of billing: the product catalog, and a read-only look at the rest."""

from django.contrib import admin

from accounts.admin import AuditedAdmin
from billing.models import Invoice, Product, Subscription
from core.admin import ReadOnlyAdmin


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = [
        "name",
        "sku",
        "monthly_price",
        "currency",
        "annual_discount_percent",
        "is_active",
    ]
    list_filter = ["is_active", "offers_monthly", "offers_annual"]
    search_fields = ["name", "sku"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["tenant", "product", "quantity", "frequency", "status", "term_end"]
    list_filter = ["status", "frequency", "product"]
    list_select_related = ["tenant", "product"]
    search_fields = ["tenant__name", "product__name"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "tenant", "issue_date", "total", "currency", "status"]
    list_filter = ["status"]
    list_select_related = ["tenant"]
    search_fields = ["number", "tenant__name"]
