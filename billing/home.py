"""Billing's cards on Home: licenses in use, and the next bill."""

from django.db.models import Count, Min, Q, Sum

from accounts.models import Tenant
from accounts.roles import VIEW_INVOICES, VIEW_LICENSES
from billing.models import Invoice, License, Subscription
from core.pagecache import organization_cached

# The figures are the organization's, the same for every admin: kept until the
# organization changes (every change of a subscription, license or invoice is a
# saved row or an audit event), and at most this long.
FIGURES_SECONDS = 60


def card(request):
    user, tenant = request.user, request.tenant
    if not (user.has_perm(VIEW_LICENSES) or user.has_perm(VIEW_INVOICES)):
        return None
    figures = organization_cached(
        tenant.pk, "home-billing", lambda: _figures(tenant), timeout=FIGURES_SECONDS
    )
    context = {
        "template": "billing/home_card.html",
        "bought": figures["bought"],
        "products": figures["products"],
        "assigned": figures["assigned"],
        "show_bills": user.has_perm(VIEW_INVOICES),
    }
    if context["show_bills"]:
        context["unpaid"] = figures["unpaid"]
        context["next_renewal"] = figures["next_renewal"]
    return context


def _figures(tenant: Tenant) -> dict:
    live = Subscription.objects.for_tenant(tenant).exclude(status=Subscription.Status.EXPIRED)
    # One query for the subscriptions' figures, one for the licenses, one for the bill.
    totals = live.aggregate(
        bought=Sum("quantity"),
        products=Count("id"),
        next_renewal=Min("term_end", filter=Q(auto_renew=True)),
    )
    return {
        "bought": totals["bought"] or 0,
        "products": totals["products"],
        "next_renewal": totals["next_renewal"],
        "assigned": License.objects.for_tenant(tenant).count(),
        # The fields the card shows, not the invoice with its every column.
        "unpaid": Invoice.objects.for_tenant(tenant)
        .exclude(status=Invoice.Status.PAID)
        .order_by("due_date")
        .values("pk", "number", "total", "currency", "due_date")
        .first(),
    }
