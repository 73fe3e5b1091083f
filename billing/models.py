"""Billing: the product catalog, subscriptions and their licenses, invoices, payment methods.

Money is ``Decimal`` end to end, rounded explicitly (``billing.pricing.money``).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.models import TenantOwnedModel
from billing.pricing import Frequency
from core import l10n

MONEY = {"max_digits": 12, "decimal_places": 2}


class Product(models.Model):
    """A product in the catalog, run by the platform's operators (no organization)."""

    sku = models.SlugField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    monthly_price = models.DecimalField(
        _("price per license per month"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    offers_monthly = models.BooleanField(_("monthly billing offered"), default=True)
    offers_annual = models.BooleanField(_("annual billing offered"), default=True)
    annual_discount_percent = models.DecimalField(
        _("annual discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    included_services = models.TextField(
        _("included services"), blank=True, help_text=_("One per line.")
    )
    is_active = models.BooleanField(_("for sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def frequencies(self):
        """Return the billing frequencies this product is sold with."""
        return [
            value
            for value, offered in (
                (Frequency.MONTHLY, self.offers_monthly),
                (Frequency.ANNUAL, self.offers_annual),
            )
            if offered
        ]

    @property
    def services(self):
        return [line.strip() for line in self.included_services.splitlines() if line.strip()]


class BillingAccount(TenantOwnedModel):
    """Who the organization's invoices are addressed and sent to."""

    sold_to_name = models.CharField(_("sold-to name"), max_length=200)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country or region"))
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    notify_emails = models.JSONField(
        _("invoice recipients"),
        default=list,
        blank=True,
        help_text=_("Empty: every Global admin and Billing admin."),
    )
    attach_pdf = models.BooleanField(_("attach the PDF to invoice emails"), default=True)
    language = models.CharField(
        _("language of invoice emails"), max_length=10, choices=settings.LANGUAGES, default="en"
    )

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="billing_one_account_per_tenant")
        ]

    def __str__(self):
        return self.sold_to_name

    @property
    def address_lines(self):
        city_line = " ".join(part for part in (self.postal_code, self.city) if part)
        lines = [self.address_line1, self.address_line2, city_line, str(self.country.name)]
        return tuple(line for line in lines if line)


class PaymentMethod(TenantOwnedModel):
    """A card (only the provider's token and what identifies it to people) or invoice."""

    class Kind(models.TextChoices):
        CARD = "card", _("Card")
        INVOICE = "invoice", _("Invoice (bank transfer)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    provider_token = models.CharField(max_length=100, blank=True, editable=False)
    brand = models.CharField(_("brand"), max_length=20, blank=True)
    last4 = models.CharField(_("last 4 digits"), max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"), null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(_("expiry year"), null=True, blank=True)
    holder_name = models.CharField(_("name on card"), max_length=100, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["-is_default", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_default=True),
                name="billing_one_default_payment_method",
            )
        ]

    def __str__(self):
        if self.kind == self.Kind.CARD:
            return _("%(brand)s ending in %(last4)s") % {
                "brand": self.brand.title(),
                "last4": self.last4,
            }
        return str(self.Kind.INVOICE.label)


class Subscription(TenantOwnedModel):
    """An organization's licenses of one product, for one term at a time."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled at term end")
        EXPIRED = "expired", _("Expired")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name=_("product"))
    quantity = models.PositiveIntegerField(_("licenses"))
    frequency = models.CharField(_("billing frequency"), max_length=10, choices=Frequency.choices)
    unit_term_price = models.DecimalField(_("price per license per term"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("next renewal"))
    auto_renew = models.BooleanField(_("auto-renew"), default=True)
    payment_method = models.ForeignKey(
        PaymentMethod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("payment method"),
    )
    created_at = models.DateTimeField(_("bought"), default=timezone.now)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["product__name", "id"]
        constraints = [
            # One live subscription per product: buying more adds licenses to it.
            models.UniqueConstraint(
                fields=["tenant", "product"],
                condition=~models.Q(status="expired"),
                name="billing_one_live_subscription_per_product",
            )
        ]

    def __str__(self):
        return f"{self.product} ({self.quantity})"

    def get_absolute_url(self):
        return reverse("billing:subscription_detail", args=[self.pk])


class License(TenantOwnedModel):
    """One license of a subscription, assigned to one user."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="licenses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="licenses"
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)

    class Meta:
        verbose_name = _("license")
        verbose_name_plural = _("licenses")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "user"], name="billing_one_license")
        ]

    def __str__(self):
        return f"{self.subscription.product}: {self.user}"


class Invoice(TenantOwnedModel):
    """The bill of one billing period (a calendar month) of one organization."""

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        PAID = "paid", _("Paid")
        OVERDUE = "overdue", _("Overdue")

    number = models.CharField(_("number"), max_length=32, unique=True)
    period = models.CharField(_("billing period"), max_length=7)  # YYYY-MM
    issue_date = models.DateField(_("date"))
    due_date = models.DateField(_("due"))
    period_start = models.DateField(_("service from"))
    period_end = models.DateField(_("service to"))
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("subtotal"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), **MONEY)
    reverse_charge = models.BooleanField(_("VAT reverse charged"), default=False)
    total = models.DecimalField(_("total"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    buyer = models.JSONField(_("sold to"), default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "period"], name="billing_one_invoice_a_month")
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("billing:invoice_detail", args=[self.pk])

    @property
    def awaits_payment(self):
        """Return whether the invoice is still to be paid (a credit or a paid one is not)."""
        return self.status != self.Status.PAID and self.total > 0

    @property
    def buyer_address_lines(self):
        """Return the buyer's address as kept on the invoice, its country in the active language."""
        return l10n.localize_country_line(
            self.buyer.get("address_lines", ()), self.buyer.get("country", "")
        )


class Charge(TenantOwnedModel):
    """One priced event on a subscription; the month's invoice gathers its charges."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        RENEWAL = "renewal", _("Renewal")
        QUANTITY_CHANGE = "quantity_change", _("Quantity change")
        CANCELLATION_CREDIT = "cancellation_credit", _("Cancellation credit")

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="charges")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.IntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    occurred_on = models.DateField(_("date"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["occurred_on", "id"]
        indexes = [models.Index(fields=["tenant", "invoice", "occurred_on"])]

    def __str__(self):
        return self.description
