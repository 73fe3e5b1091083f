"""Writes of the Billing area. Each service checks its rules, locks what it counts, audits."""

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts.audit import audit_record
from accounts.models import Tenant, User
from accounts.roles import (
    CHANGE_BILLING_ACCOUNTS,
    CHANGE_LICENSES,
    CHANGE_PAYMENT_METHODS,
    CHANGE_SUBSCRIPTIONS,
)
from billing import payments, pricing
from billing.models import BillingAccount, Charge, License, PaymentMethod, Product, Subscription
from core.exceptions import Forbidden

MAX_QUANTITY = 100_000


def _require(acting_user: User, tenant: Tenant, permission: str) -> None:
    if not acting_user.has_perm(permission) or acting_user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't change billing."))


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(
            _("Choose from 1 to %(max)d licenses."), code="quantity", params={"max": MAX_QUANTITY}
        )


@transaction.atomic
def subscription_buy(
    *,
    tenant: Tenant,
    acting_user: User,
    product: Product,
    quantity: int,
    frequency: str,
    payment_method: PaymentMethod,
    today: date | None = None,
    request: HttpRequest | None = None,
) -> Subscription:
    """Buy ``quantity`` licenses of ``product``; return the subscription.

    The first term starts today and is charged in full (a purchase charge that
    the month's invoice gathers).
    """
    _require(acting_user, tenant, CHANGE_SUBSCRIPTIONS)
    today = _today(today)
    _check_quantity(quantity)
    if not product.is_active or frequency not in product.frequencies:
        raise ValidationError(_("This product is not sold that way."), code="not_offered")
    if payment_method.tenant_id != tenant.pk:
        raise ValidationError(_("Choose one of your payment methods."), code="payment_method")
    if (
        Subscription.objects.for_tenant(tenant)
        .filter(product=product)
        .exclude(status=Subscription.Status.EXPIRED)
        .exists()
    ):
        raise ValidationError(
            _("You have %(product)s already: add licenses to it instead."),
            code="owned",
            params={"product": product.name},
        )
    unit = pricing.term_price(
        monthly_price=product.monthly_price,
        frequency=frequency,
        annual_discount_percent=product.annual_discount_percent,
    )
    subscription = Subscription.objects.create(
        tenant=tenant,
        product=product,
        quantity=quantity,
        frequency=frequency,
        unit_term_price=unit,
        term_start=today,
        term_end=pricing.term_end(today, frequency),
        payment_method=payment_method,
    )
    Charge.objects.create(
        tenant=tenant,
        subscription=subscription,
        kind=Charge.Kind.PURCHASE,
        description=_("%(product)s, %(count)d licenses, first term")
        % {"product": product.name, "count": quantity},
        quantity=quantity,
        unit_price=unit,
        amount=pricing.money(unit * quantity),
        occurred_on=today,
    )
    audit_record(
        action="billing.subscription.buy",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=subscription,
        new={"product": product.sku, "quantity": quantity, "frequency": frequency},
    )
    return subscription


def _locked(tenant: Tenant, subscription: Subscription) -> Subscription:
    return Subscription.objects.for_tenant(tenant).select_for_update().get(pk=subscription.pk)


def subscription_quantity_check(*, subscription: Subscription, quantity: int) -> None:
    """Raise ValidationError when ``subscription`` cannot have ``quantity`` licenses.

    Never below the number assigned: the error says how many to unassign first.
    The quantity page asks this before it shows the cost; the change asks it
    again of the locked row.
    """
    _check_quantity(quantity)
    if subscription.status == Subscription.Status.EXPIRED:
        raise ValidationError(_("This subscription has expired."), code="expired")
    assigned = subscription.licenses.count()
    if quantity < assigned:
        raise ValidationError(
            _(
                "%(assigned)d licenses are assigned. Unassign %(excess)d before you go down "
                "to %(quantity)d."
            ),
            code="below_assigned",
            params={"assigned": assigned, "excess": assigned - quantity, "quantity": quantity},
        )


@transaction.atomic
def subscription_quantity_change(
    *,
    tenant: Tenant,
    acting_user: User,
    subscription: Subscription,
    quantity: int,
    today: date | None = None,
    request: HttpRequest | None = None,
) -> Decimal:
    """Change the number of licenses; return the prorated charge (negative: a credit).

    Never below the number assigned: the error says how many to unassign first.
    """
    _require(acting_user, tenant, CHANGE_SUBSCRIPTIONS)
    today = _today(today)
    locked = _locked(tenant, subscription)
    subscription_quantity_check(subscription=locked, quantity=quantity)
    old = locked.quantity
    if quantity == old:
        return pricing.money(0)
    amount = pricing.quantity_change_amount(
        unit_term_price=locked.unit_term_price,
        old_quantity=old,
        new_quantity=quantity,
        term_start=locked.term_start,
        term_end=locked.term_end,
        on=today,
    )
    Charge.objects.create(
        tenant=tenant,
        subscription=locked,
        kind=Charge.Kind.QUANTITY_CHANGE,
        description=_("%(product)s: %(old)d → %(new)d licenses, rest of the term")
        % {"product": locked.product.name, "old": old, "new": quantity},
        quantity=quantity - old,
        unit_price=locked.unit_term_price,
        amount=amount,
        occurred_on=today,
    )
    locked.quantity = quantity
    locked.save(update_fields=["quantity"])
    subscription.quantity = quantity
    audit_record(
        action="billing.subscription.quantity",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=locked,
        old={"quantity": old},
        new={"quantity": quantity, "amount": str(amount)},
    )
    return amount


@transaction.atomic
def subscription_cancel(
    *,
    tenant: Tenant,
    acting_user: User,
    subscription: Subscription,
    request: HttpRequest | None = None,
) -> None:
    """Cancel at the end of the current term; licenses stay until then."""
    _require(acting_user, tenant, CHANGE_SUBSCRIPTIONS)
    locked = _locked(tenant, subscription)
    if locked.status != Subscription.Status.ACTIVE:
        raise ValidationError(_("Only an active subscription can be cancelled."), code="status")
    locked.status, locked.auto_renew = Subscription.Status.CANCELLED, False
    locked.save(update_fields=["status", "auto_renew"])
    subscription.status, subscription.auto_renew = locked.status, False
    audit_record(
        action="billing.subscription.cancel",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=locked,
        new={"ends_on": locked.term_end.isoformat()},
    )


@transaction.atomic
def subscription_reactivate(
    *,
    tenant: Tenant,
    acting_user: User,
    subscription: Subscription,
    today: date | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Undo a cancellation before the term ends."""
    _require(acting_user, tenant, CHANGE_SUBSCRIPTIONS)
    locked = _locked(tenant, subscription)
    if locked.status != Subscription.Status.CANCELLED or _today(today) >= locked.term_end:
        raise ValidationError(
            _("Only a cancelled subscription whose term has not ended can be reactivated."),
            code="status",
        )
    locked.status, locked.auto_renew = Subscription.Status.ACTIVE, True
    locked.save(update_fields=["status", "auto_renew"])
    subscription.status, subscription.auto_renew = locked.status, True
    audit_record(
        action="billing.subscription.reactivate",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=locked,
    )


@transaction.atomic
def license_assign(
    *,
    tenant: Tenant,
    acting_user: User,
    subscription: Subscription,
    users: Sequence[User],
    request: HttpRequest | None = None,
) -> int:
    """Give each of ``users`` a license of ``subscription``; return how many were new.

    Counted under a row lock on the subscription: parallel assignments queue on
    it, so licenses are never over-assigned. All or none.
    """
    _require(acting_user, tenant, CHANGE_LICENSES)
    locked = _locked(tenant, subscription)
    if locked.status == Subscription.Status.EXPIRED:
        raise ValidationError(_("This subscription has expired."), code="expired")
    if any(user.tenant_id != tenant.pk or user.deleted_at is not None for user in users):
        raise ValidationError(_("Choose active users of your organization."), code="foreign_user")
    holders = set(locked.licenses.values_list("user_id", flat=True))
    new = [user for user in users if user.pk not in holders]
    free = locked.quantity - len(holders)
    if len(new) > free:
        raise ValidationError(
            _("No licenses left: %(free)d free for %(wanted)d users. Buy more licenses first.")
            if free
            else _("No licenses left — buy more."),
            code="no_licenses",
            params={"free": free, "wanted": len(new)},
        )
    License.objects.bulk_create(
        [License(tenant=tenant, subscription=locked, user=user) for user in new]
    )
    for user in new:
        audit_record(
            action="billing.license.assign",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=user,
            new={"product": locked.product.sku},
        )
    return len(new)


@transaction.atomic
def license_unassign(
    *,
    tenant: Tenant,
    acting_user: User,
    subscription: Subscription,
    users: Sequence[User],
    request: HttpRequest | None = None,
) -> int:
    """Take the licenses of ``subscription`` away from ``users``; return how many went."""
    _require(acting_user, tenant, CHANGE_LICENSES)
    locked = _locked(tenant, subscription)
    removed = list(locked.licenses.filter(user__in=users).select_related("user"))
    License.objects.filter(pk__in=[lic.pk for lic in removed]).delete()
    for lic in removed:
        audit_record(
            action="billing.license.unassign",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=lic.user,
            old={"product": locked.product.sku},
        )
    return len(removed)


@sensitive_variables("number", "cvc")
@transaction.atomic
def payment_method_add_card(
    *,
    tenant: Tenant,
    acting_user: User,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str,
    holder_name: str,
    request: HttpRequest | None = None,
) -> PaymentMethod:
    """Hand a card to the payment provider and keep only its token and description.

    The number is checked (Luhn, expiry) and then exists only in this call: it is
    never stored or logged. A decline raises ValidationError with the
    provider's message and creates nothing.
    """
    _require(acting_user, tenant, CHANGE_PAYMENT_METHODS)
    payments.validate_card(number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc)
    try:
        card = payments.get_provider().tokenize_card(
            number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, holder_name=holder_name
        )
    except payments.PaymentDeclined as declined:
        raise ValidationError(str(declined.message), code="declined") from None
    method = PaymentMethod.objects.create(
        tenant=tenant,
        kind=PaymentMethod.Kind.CARD,
        provider_token=card.token,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        holder_name=holder_name,
        is_default=not PaymentMethod.objects.for_tenant(tenant).exists(),
    )
    audit_record(
        action="billing.payment_method.add",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=method,
        new={"kind": "card", "brand": card.brand, "last4": card.last4},
    )
    return method


@transaction.atomic
def payment_method_add_invoice(
    *, tenant: Tenant, acting_user: User, request: HttpRequest | None = None
) -> PaymentMethod:
    """Add "pay by invoice (bank transfer)"; there is at most one."""
    _require(acting_user, tenant, CHANGE_PAYMENT_METHODS)
    existing = PaymentMethod.objects.for_tenant(tenant).filter(kind=PaymentMethod.Kind.INVOICE)
    if existing.exists():
        raise ValidationError(_("Paying by invoice is set up already."), code="exists")
    method = PaymentMethod.objects.create(
        tenant=tenant,
        kind=PaymentMethod.Kind.INVOICE,
        is_default=not PaymentMethod.objects.for_tenant(tenant).exists(),
    )
    audit_record(
        action="billing.payment_method.add",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=method,
        new={"kind": "invoice"},
    )
    return method


@transaction.atomic
def payment_method_set_default(
    *, tenant: Tenant, acting_user: User, method: PaymentMethod, request: HttpRequest | None = None
) -> None:
    """Make ``method`` the one new purchases use first."""
    _require(acting_user, tenant, CHANGE_PAYMENT_METHODS)
    PaymentMethod.objects.for_tenant(tenant).filter(is_default=True).update(is_default=False)
    PaymentMethod.objects.for_tenant(tenant).filter(pk=method.pk).update(is_default=True)
    method.is_default = True
    audit_record(
        action="billing.payment_method.default",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=method,
    )


@transaction.atomic
def payment_method_remove(
    *, tenant: Tenant, acting_user: User, method: PaymentMethod, request: HttpRequest | None = None
) -> None:
    """Remove a payment method that no live subscription pays with."""
    _require(acting_user, tenant, CHANGE_PAYMENT_METHODS)
    in_use = method.subscriptions.exclude(status=Subscription.Status.EXPIRED).count()
    if in_use:
        raise ValidationError(
            _("%(count)d subscriptions pay with this method. Change them first."),
            code="in_use",
            params={"count": in_use},
        )
    Subscription.objects.filter(payment_method=method).update(payment_method=None)
    was_default = method.is_default
    label = str(method)
    method.delete()
    if was_default:
        successor = PaymentMethod.objects.for_tenant(tenant).first()
        if successor:
            PaymentMethod.objects.filter(pk=successor.pk).update(is_default=True)
    audit_record(
        action="billing.payment_method.remove",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target_type="billing.paymentmethod",
        target_label=label,
    )


@transaction.atomic
def billing_account_update(
    *, tenant: Tenant, acting_user: User, request: HttpRequest | None = None, **fields: object
) -> BillingAccount:
    """Create or change the organization's billing account; return it."""
    _require(acting_user, tenant, CHANGE_BILLING_ACCOUNTS)
    account = BillingAccount.objects.for_tenant(tenant).first() or BillingAccount(tenant=tenant)
    old = {name: str(getattr(account, name, "")) for name in fields}
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    account.save()
    audit_record(
        action="billing.account.change",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=account,
        old=old,
        new={name: str(value) for name, value in fields.items()},
    )
    return account


@transaction.atomic
def user_licenses_set(
    *,
    tenant: Tenant,
    acting_user: User,
    user: User,
    subscription_ids: Iterable[int],
    request: HttpRequest | None = None,
) -> tuple[list[int], list[int]]:
    """Give ``user`` exactly the licenses of ``subscription_ids``; return (added, removed).

    All or nothing: a product without a free license refuses the whole change.
    """
    _require(acting_user, tenant, CHANGE_LICENSES)
    live = {
        sub.pk: sub
        for sub in Subscription.objects.for_tenant(tenant).exclude(
            status=Subscription.Status.EXPIRED
        )
    }
    wanted = set(subscription_ids)
    if wanted - set(live):
        raise ValidationError(_("Choose among your products."), code="unknown_subscription")
    held = set(
        License.objects.for_tenant(tenant)
        .filter(user=user)
        .values_list("subscription_id", flat=True)
    )
    added, removed = sorted(wanted - held), sorted(held - wanted)
    for pk in added:
        license_assign(
            tenant=tenant,
            acting_user=acting_user,
            subscription=live[pk],
            users=[user],
            request=request,
        )
    for pk in removed:
        license_unassign(
            tenant=tenant,
            acting_user=acting_user,
            subscription=live[pk],
            users=[user],
            request=request,
        )
    return added, removed


@transaction.atomic
def subscription_payment_method_change(
    *,
    tenant: Tenant,
    acting_user: User,
    subscription: Subscription,
    payment_method: PaymentMethod,
    request: HttpRequest | None = None,
) -> None:
    """Pay ``subscription`` with another of the organization's payment methods."""
    _require(acting_user, tenant, CHANGE_SUBSCRIPTIONS)
    if payment_method.tenant_id != tenant.pk:
        raise ValidationError(_("Choose one of your payment methods."), code="payment_method")
    locked = _locked(tenant, subscription)
    old = str(locked.payment_method or "")
    locked.payment_method = payment_method
    locked.save(update_fields=["payment_method"])
    subscription.payment_method = payment_method
    audit_record(
        action="billing.subscription.payment_method",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=locked,
        old={"payment_method": old},
        new={"payment_method": str(payment_method)},
    )
