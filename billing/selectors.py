"""Reads of the Billing area. Every read takes the tenant, or the acting user's."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Tenant, User
from billing import pricing
from billing.models import BillingAccount, Invoice, License, PaymentMethod, Product, Subscription
from core.access import object_or_404
from core.prepared import PreparedQuery


def subscription_list(*, tenant: Tenant) -> QuerySet[Subscription]:
    """Return the tenant's subscriptions with ``assigned`` and ``available`` licenses."""
    return (
        Subscription.objects.for_tenant(tenant)
        .select_related("product", "payment_method")
        .annotate(assigned=Count("licenses"))
        .annotate(available=F("quantity") - F("assigned"))
        .order_by("status", "product__name", "id")
    )


def subscription_rows(*, tenant: Tenant) -> list[dict[str, Any]]:
    """Return ``subscription_list`` as rows for the products page, in its order.

    Each row has the subscription's ``id``, the product's ``name``, ``quantity``,
    ``assigned``, ``available``, ``status`` with ``status_label``,
    ``frequency_label``, ``term_end`` and ``auto_renew``. One query, no model
    instances.
    """
    statuses, frequencies = dict(Subscription.Status.choices), dict(pricing.Frequency.choices)
    return [
        {
            **row,
            "status_label": statuses.get(row["status"]),
            "frequency_label": frequencies.get(row.pop("frequency")),
        }
        for row in _SUBSCRIPTION_ROWS(tenant=tenant.pk)
    ]


_SUBSCRIPTION_ROWS = PreparedQuery(
    lambda tenant: subscription_list(tenant=tenant).values(
        "id",
        "quantity",
        "assigned",
        "available",
        "status",
        "frequency",
        "term_end",
        "auto_renew",
        name=F("product__name"),
    ),
    tenant=int,
)


def billing_account_get(*, tenant: Tenant) -> BillingAccount | None:
    """Return the tenant's billing account, or None before it is first saved."""
    return BillingAccount.objects.for_tenant(tenant).first()


def live_subscriptions(*, tenant: Tenant) -> QuerySet[Subscription]:
    """Return ``subscription_list`` without the expired subscriptions."""
    return subscription_list(tenant=tenant).exclude(status=Subscription.Status.EXPIRED)


def subscription_is_live(status: str) -> bool:
    """Return whether a subscription with ``status`` counts (as ``live_subscriptions`` does)."""
    return status != Subscription.Status.EXPIRED


def licenses_of_users(*, tenant_id: int, user_ids: list[int]) -> QuerySet[License]:
    """Return the licenses that the users ``user_ids`` of the organization hold."""
    return License.objects.filter(tenant_id=tenant_id, user_id__in=user_ids)


def products_for_sale() -> QuerySet[Product]:
    """Return the products on sale (the same for every organization)."""
    return Product.objects.filter(is_active=True)


def license_holders(*, tenant: Tenant, subscription: Subscription) -> QuerySet[License]:
    """Return the users holding a license of ``subscription``, by name."""
    return (
        License.objects.for_tenant(tenant)
        .filter(subscription=subscription)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )


def payment_methods(*, tenant: Tenant) -> QuerySet[PaymentMethod]:
    """Return the tenant's payment methods, each with ``in_use``: its live subscriptions."""
    return PaymentMethod.objects.for_tenant(tenant).annotate(
        in_use=Count("subscriptions", filter=~Q(subscriptions__status="expired"))
    )


def licenses_of_user(*, tenant: Tenant, user: User) -> QuerySet[License]:
    """Return ``user``'s licenses with their products (for the user's page)."""
    return (
        License.objects.for_tenant(tenant)
        .filter(user=user)
        .select_related("subscription__product")
        .order_by("subscription__product__name")
    )


def product_names_by_user(
    *, tenant: Tenant, user_ids: Iterable[int] | None
) -> dict[int, list[str]]:
    """Return ``{user id: [product names]}`` for ``user_ids``, or everyone with None (one query)."""
    result: dict[int, list[str]] = {}
    licenses = License.objects.for_tenant(tenant)
    if user_ids is not None:
        licenses = licenses.filter(user_id__in=user_ids)
    for user_id, name in licenses.order_by("subscription__product__name").values_list(
        "user_id", "subscription__product__name"
    ):
        result.setdefault(user_id, []).append(name)
    return result


def licensed_user_ids(*, tenant: Tenant) -> QuerySet[License]:
    """Return a subquery of the ids of the tenant's users with any license."""
    return License.objects.for_tenant(tenant).values("user_id")


def license_rows(*, tenant: Tenant, user: User) -> list[dict[str, Any]]:
    """Return the live subscriptions as rows for a user's page.

    Each row has ``id``, the product's ``name``, the ``available`` licenses and
    ``held``: whether ``user`` has one. One query, no model instances.
    """
    return _LICENSE_ROWS(tenant=tenant.pk, user=user.pk)


_LICENSE_ROWS = PreparedQuery(
    lambda tenant, user: (
        live_subscriptions(tenant=tenant)
        .annotate(held=Exists(License.objects.filter(subscription=OuterRef("pk"), user_id=user)))
        .values("id", "available", "held", name=F("product__name"))
    ),
    tenant=int,
    user=int,
)


# --- Rows named by an id from outside (the URL or a POST body) ---------------------


def subscriptions_reachable(actor: User) -> QuerySet[Subscription]:
    """Return the subscriptions ``actor`` may name by id: their organization's."""
    return subscription_list(tenant=actor.tenant)


def access_subscription_by_id(actor: User, subscription_id: object) -> Subscription:
    """Return the subscription ``subscription_id`` of ``actor``'s organization, or raise Http404.

    The row carries ``assigned`` and ``available`` as in ``subscription_list``.
    Another organization's id looks exactly like a missing one.
    """
    return object_or_404(subscriptions_reachable(actor), subscription_id)


def access_live_subscription_by_id(actor: User, subscription_id: object) -> Subscription:
    """Return the subscription ``subscription_id`` unless it expired, or raise Http404."""
    return object_or_404(live_subscriptions(tenant=actor.tenant), subscription_id)


def payment_methods_reachable(actor: User) -> QuerySet[PaymentMethod]:
    """Return the payment methods ``actor`` may name by id: their organization's."""
    return PaymentMethod.objects.for_tenant(actor.tenant)


def access_payment_method_by_id(actor: User, method_id: object) -> PaymentMethod:
    """Return the payment method ``method_id`` of ``actor``'s organization, or raise Http404."""
    return object_or_404(payment_methods_reachable(actor), method_id)


def invoices_reachable(actor: User) -> QuerySet[Invoice]:
    """Return the invoices ``actor`` may name by id: their organization's."""
    return Invoice.objects.for_tenant(actor.tenant)


def access_invoice_by_id(actor: User, invoice_id: object) -> Invoice:
    """Return the invoice ``invoice_id`` of ``actor``'s organization, or raise Http404."""
    return object_or_404(invoices_reachable(actor), invoice_id)


def buy_quote(
    *, product: Product, quantity: int, frequency: str, today: date | None = None
) -> dict[str, Any]:
    """Return what buying costs, as billing.services.subscription_buy will charge it.

    ``now``: the first term, charged in full today; ``next``: each following term,
    from ``next_on``.
    """
    today = today or timezone.localdate()
    unit = pricing.term_price(
        monthly_price=product.monthly_price,
        frequency=frequency,
        annual_discount_percent=product.annual_discount_percent,
    )
    amount = pricing.money(unit * quantity)
    return {
        "unit": unit,
        "now": amount,
        "next": amount,
        "next_on": pricing.term_end(today, frequency),
    }


def quantity_quote(
    *, subscription: Subscription, quantity: int, today: date | None = None
) -> dict[str, Any]:
    """Return what a quantity change costs, as subscription_quantity_change will charge it.

    ``now``: the prorated difference for the rest of the term (negative: a credit);
    ``next``: each term from the renewal on ``next_on``.
    """
    today = today or timezone.localdate()
    now = pricing.quantity_change_amount(
        unit_term_price=subscription.unit_term_price,
        old_quantity=subscription.quantity,
        new_quantity=quantity,
        term_start=subscription.term_start,
        term_end=subscription.term_end,
        on=today,
    )
    return {
        "now": now,
        "credit": -now if now < 0 else None,
        "next": pricing.money(subscription.unit_term_price * quantity),
        "next_on": subscription.term_end,
    }
