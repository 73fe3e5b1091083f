"""Billing's cards on Home: licenses in use, and the next bill."""

from django.db.models import Count, Min, Q, Sum

from accounts.roles import VIEW_INVOICES, VIEW_LICENSES
from billing.models import Invoice, License, Subscription


def card(request):
    user, tenant = request.user, request.tenant
    if not (user.has_perm(VIEW_LICENSES) or user.has_perm(VIEW_INVOICES)):
        return None
    live = Subscription.objects.for_tenant(tenant).exclude(status=Subscription.Status.EXPIRED)
    # One query for the subscriptions' figures, one for the licenses, one for the bill.
    totals = live.aggregate(
        bought=Sum("quantity"),
        products=Count("id"),
        next_renewal=Min("term_end", filter=Q(auto_renew=True)),
    )
    context = {
        "template": "billing/home_card.html",
        "bought": totals["bought"] or 0,
        "products": totals["products"],
        "assigned": License.objects.for_tenant(tenant).count(),
        "show_bills": user.has_perm(VIEW_INVOICES),
    }
    if context["show_bills"]:
        context["unpaid"] = (
            Invoice.objects.for_tenant(tenant)
            .exclude(status=Invoice.Status.PAID)
            .order_by("due_date")
            .first()
        )
        context["next_renewal"] = totals["next_renewal"]
    return context
