"""Reads of the Billing area. Every read takes the tenant."""

from django.db.models import Count, F, Q

from billing.models import License, PaymentMethod, Product, Subscription


def subscription_list(*, tenant):
    """Return the tenant's subscriptions with ``assigned`` and ``available`` licenses."""
    return (
        Subscription.objects.for_tenant(tenant)
        .select_related("product", "payment_method")
        .annotate(assigned=Count("licenses"))
        .annotate(available=F("quantity") - F("assigned"))
        .order_by("status", "product__name", "id")
    )


def subscription_get(*, tenant, pk):
    return subscription_list(tenant=tenant).get(pk=pk)


def live_subscriptions(*, tenant):
    return subscription_list(tenant=tenant).exclude(status=Subscription.Status.EXPIRED)


def products_for_sale():
    return Product.objects.filter(is_active=True)


def license_holders(*, tenant, subscription):
    """Return the users holding a license of ``subscription``, by name."""
    return (
        License.objects.for_tenant(tenant)
        .filter(subscription=subscription)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )


def licensable_users(*, tenant, subscription, search="", limit=50):
    """Return up to ``limit`` active users without a license of ``subscription``."""
    from accounts.models import User

    users = (
        User.objects.for_tenant(tenant)
        .active()
        .exclude(licenses__subscription=subscription)
        .only("id", "display_name", "username")
        .order_by("display_name", "id")
    )
    search = " ".join(search.split()).lower()
    if search:
        users = users.filter(Q(display_name__icontains=search) | Q(username__icontains=search))
    return users[:limit]


def payment_methods(*, tenant):
    return PaymentMethod.objects.for_tenant(tenant).annotate(
        in_use=Count("subscriptions", filter=~Q(subscriptions__status="expired"))
    )


def licenses_of_user(*, tenant, user):
    """Return ``user``'s licenses with their products (for the user's page)."""
    return (
        License.objects.for_tenant(tenant)
        .filter(user=user)
        .select_related("subscription__product")
        .order_by("subscription__product__name")
    )


def product_names_by_user(*, tenant, user_ids):
    """Return ``{user id: [product names]}`` for ``user_ids``, or everyone with None (one query)."""
    result = {}
    licenses = License.objects.for_tenant(tenant)
    if user_ids is not None:
        licenses = licenses.filter(user_id__in=user_ids)
    for user_id, name in licenses.order_by("subscription__product__name").values_list(
        "user_id", "subscription__product__name"
    ):
        result.setdefault(user_id, []).append(name)
    return result


def licensed_user_ids(*, tenant):
    """Return a subquery of the ids of the tenant's users with any license."""
    return License.objects.for_tenant(tenant).values("user_id")


def subscriptions_with_holding(*, tenant, user):
    """Return the live subscriptions, each with ``held``: whether ``user`` has a license."""
    from django.db.models import Exists, OuterRef

    return live_subscriptions(tenant=tenant).annotate(
        held=Exists(License.objects.filter(subscription=OuterRef("pk"), user=user))
    )
