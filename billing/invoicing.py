"""Invoices, renewals and expiry: the periodic side of billing.

``invoices_generate`` gathers one calendar month's charges of each organization
into one invoice. It is idempotent: an organization has at most one invoice a
month (a database constraint), so running it twice creates nothing new.
"""

from collections.abc import Sequence
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Tenant, User
from accounts.roles import BILLING_ADMIN, CHANGE_PAYMENT_METHODS, GLOBAL_ADMIN
from billing import payments, pdf, pricing, vat
from billing import seller as billing_seller
from billing.models import BillingAccount, Charge, Invoice, License, PaymentMethod, Subscription
from core import l10n, outbox
from core.exceptions import Forbidden

PAYMENT_TERM_DAYS = 30


def parse_period(period: str) -> tuple[date, date]:
    """Return the first day of ``period`` ("YYYY-MM") and of the month after it."""
    try:
        year, month = (int(part) for part in period.split("-"))
        start = date(year, month, 1)
    except (TypeError, ValueError):
        raise ValidationError(
            _("Give the period as YYYY-MM, such as 2026-11."), code="period"
        ) from None
    return start, pricing.add_months(start, 1)


def _account(tenant: Tenant) -> BillingAccount:
    account = BillingAccount.objects.for_tenant(tenant).first()
    if account is None:
        account = BillingAccount(tenant=tenant, sold_to_name=tenant.name, country=tenant.country)
        account.address_line1 = tenant.address
    return account


def invoice_number(tenant: Tenant, period: str) -> str:
    """Return the number of ``tenant``'s invoice for ``period`` ("YYYY-MM")."""
    return f"INV-{period.replace('-', '')}-{tenant.pk:06d}"


def previous_period(today: date | None = None) -> str:
    """Return last month as "YYYY-MM": the period the invoices made today are for."""
    first = (today or timezone.localdate()).replace(day=1)
    previous = first.replace(year=first.year - (first.month == 1), month=first.month - 1 or 12)
    return previous.strftime("%Y-%m")


def invoices_generate(*, period: str, today: date | None = None) -> list[Invoice]:
    """Make the invoices of ``period`` that do not exist yet; return them."""
    start, end = parse_period(period)
    today = today or timezone.localdate()
    tenant_ids = (
        Charge.objects.filter(invoice__isnull=True, occurred_on__gte=start, occurred_on__lt=end)
        .values_list("tenant_id", flat=True)
        .distinct()
        .order_by("tenant_id")
    )
    created = []
    for tenant_id in list(tenant_ids):
        invoice = _invoice_for(tenant_id, period, start, end, today)
        if invoice is not None:
            created.append(invoice)
    return created


def _invoice_for(
    tenant_id: int, period: str, start: date, end: date, today: date
) -> Invoice | None:
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant_id)
        if Invoice.objects.filter(tenant=tenant, period=period).exists():
            return None
        charges = list(
            Charge.objects.select_for_update()
            .filter(
                tenant=tenant, invoice__isnull=True, occurred_on__gte=start, occurred_on__lt=end
            )
            .select_related("subscription__product")
        )
        if not charges:
            return None
        invoice = invoice_create(tenant, _account(tenant), period, charges, issued=today)
        _collect(invoice)
        transaction.on_commit(lambda: invoice_email(invoice))
    return invoice


def invoice_create(
    tenant: Tenant,
    account: BillingAccount,
    period: str,
    charges: Sequence[Charge],
    *,
    issued: date,
) -> Invoice:
    """Gather ``charges`` (of ``period``, not yet invoiced) into an invoice dated ``issued``.

    Work out VAT for ``account``'s buyer, link the charges and record the audit
    event; return the invoice (due). Collecting and emailing are the caller's.
    """
    start, end = parse_period(period)
    decision = vat.vat_for(buyer_country=account.country.code, buyer_vat_number=account.vat_number)
    subtotal = pricing.money(sum((charge.amount for charge in charges), start=0))
    vat_amount = vat.vat_amount(subtotal, decision.rate)
    invoice = Invoice.objects.create(
        tenant=tenant,
        number=invoice_number(tenant, period),
        period=period,
        issue_date=issued,
        due_date=issued + timedelta(days=PAYMENT_TERM_DAYS),
        period_start=start,
        period_end=end - timedelta(days=1),
        currency=charges[0].subscription.product.currency,
        subtotal=subtotal,
        vat_rate=decision.rate,
        vat_amount=vat_amount,
        reverse_charge=decision.reverse_charge,
        total=subtotal + vat_amount,
        status=Invoice.Status.DUE,
        buyer={
            "name": account.sold_to_name,
            "address_lines": list(account.address_lines),
            "vat_number": account.vat_number,
            "country": account.country.code,
        },
    )
    Charge.objects.filter(pk__in=[charge.pk for charge in charges]).update(invoice=invoice)
    audit_record(
        action="billing.invoice.create",
        tenant=tenant,
        target=invoice,
        new={"number": invoice.number, "total": str(invoice.total)},
    )
    return invoice


def _collect(invoice: Invoice) -> None:
    """Charge the organization's default card for a positive total; else the invoice is due."""
    method = PaymentMethod.objects.for_tenant(invoice.tenant).filter(is_default=True).first()
    if invoice.total <= 0 or method is None or method.kind != PaymentMethod.Kind.CARD:
        return
    try:
        payments.get_provider().charge(
            token=method.provider_token,
            amount=invoice.total,
            currency=invoice.currency,
            description=invoice.number,
        )
    except payments.PaymentDeclined as declined:
        audit_record(
            action="billing.invoice.payment_failed",
            tenant=invoice.tenant,
            target=invoice,
            new={"reason": declined.code},
        )
        return
    invoice.status, invoice.paid_at = Invoice.Status.PAID, timezone.now()
    invoice.save(update_fields=["status", "paid_at"])


def invoices_mark_overdue(*, today: date | None = None) -> int:
    """Mark due invoices past their due date as overdue; return how many."""
    today = today or timezone.localdate()
    return Invoice.objects.filter(status=Invoice.Status.DUE, due_date__lt=today).update(
        status=Invoice.Status.OVERDUE
    )


def seller() -> pdf.Party:
    """Return who sends the invoices, the country of their address in the active language."""
    return pdf.Party(
        name=settings.BILLING_SELLER_NAME,
        address_lines=l10n.localize_country_line(
            settings.BILLING_SELLER_ADDRESS, settings.BILLING_SELLER_COUNTRY
        ),
        vat_number=settings.BILLING_SELLER_VAT_NUMBER,
    )


def invoice_document(invoice: Invoice, *, language: str | None = None) -> pdf.InvoiceDocument:
    """Return the PDF renderer's view of ``invoice``, its words in ``language``.

    Without a language: the active one (the reader's, for a download).
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    buyer = invoice.buyer
    with translation.override(language):
        lines = tuple(
            pdf.InvoiceLine(
                description=charge.description,
                kind_label=str(charge.get_kind_display()),
                quantity=charge.quantity,
                unit_price=charge.unit_price,
                amount=charge.amount,
            )
            for charge in invoice.lines.order_by("occurred_on", "id")
        )
        return pdf.InvoiceDocument(
            number=invoice.number,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            seller=seller(),
            buyer=pdf.Party(
                name=buyer.get("name", ""),
                address_lines=invoice.buyer_address_lines,
                vat_number=buyer.get("vat_number", ""),
            ),
            currency=invoice.currency,
            lines=lines,
            subtotal=invoice.subtotal,
            vat_rate=invoice.vat_rate,
            vat_amount=invoice.vat_amount,
            reverse_charge=invoice.reverse_charge,
            total=invoice.total,
            status_label=str(invoice.get_status_display()),
            language=language,
            bank_account=billing_seller.bank_account() if invoice.awaits_payment else None,
        )


def invoice_recipients(tenant: Tenant) -> list[str]:
    """Return who gets the invoice emails: the chosen addresses, else the billing admins."""
    account = BillingAccount.objects.for_tenant(tenant).first()
    if account and account.notify_emails:
        return list(account.notify_emails)
    return sorted(
        set(
            User.objects.for_tenant(tenant)
            .active()
            .filter(role_assignments__role__in=[GLOBAL_ADMIN, BILLING_ADMIN])
            .values_list("username", flat=True)
        )
    )


def invoice_email(invoice: Invoice) -> None:
    """Send ``invoice`` to its recipients, with the PDF attached when they want it."""
    account = _account(invoice.tenant)
    recipients = invoice_recipients(invoice.tenant)
    if not recipients:
        return
    with translation.override(account.language):
        subject = _("Your invoice %(number)s from %(seller)s") % {
            "number": invoice.number,
            "seller": settings.BILLING_SELLER_NAME,
        }
        body = _(
            "Invoice %(number)s for %(period)s: %(total)s, due on %(due)s.\n\n"
            "You can see it under Billing > Bills & payments: %(url)s"
        ) % {
            "number": invoice.number,
            "period": l10n.format_date(invoice.period_start, "YEAR_MONTH_FORMAT"),
            "total": l10n.format_money(invoice.total, invoice.currency),
            "due": l10n.format_date(invoice.due_date),
            "url": f"{settings.PORTAL_BASE_URL}{invoice.get_absolute_url()}",
        }
        message = EmailMessage(subject, body, to=recipients)
        if account.attach_pdf:
            data = pdf.render_invoice_pdf(invoice_document(invoice, language=account.language))
            message.attach(f"{invoice.number}.pdf", data, "application/pdf")
    outbox.send_email(message, kind="invoice")


def subscriptions_renew(*, today: date | None = None) -> tuple[int, int]:
    """Renew the subscriptions whose term ended, expire the cancelled ones; return counts."""
    today = today or timezone.localdate()
    renewed = expired = 0
    due = Subscription.objects.filter(term_end__lte=today).exclude(
        status=Subscription.Status.EXPIRED
    )
    for subscription_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update()
                .select_related("product", "tenant")
                .get(pk=subscription_id)
            )
            if subscription.term_end > today or subscription.status == Subscription.Status.EXPIRED:
                continue
            if subscription.status == Subscription.Status.ACTIVE and subscription.auto_renew:
                _renew(subscription, today)
                renewed += 1
            else:
                _expire(subscription)
                expired += 1
    return renewed, expired


def _renew(subscription: Subscription, today: date) -> None:
    while subscription.term_end <= today:
        subscription.term_start = subscription.term_end
        subscription.term_end = pricing.term_end(subscription.term_start, subscription.frequency)
        Charge.objects.create(
            tenant=subscription.tenant,
            subscription=subscription,
            kind=Charge.Kind.RENEWAL,
            description=_("%(product)s, %(count)d licenses, %(start)s to %(end)s")
            % {
                "product": subscription.product.name,
                "count": subscription.quantity,
                "start": subscription.term_start.isoformat(),
                "end": (subscription.term_end - timedelta(days=1)).isoformat(),
            },
            quantity=subscription.quantity,
            unit_price=subscription.unit_term_price,
            amount=pricing.money(subscription.unit_term_price * subscription.quantity),
            occurred_on=subscription.term_start,
        )
    subscription.save(update_fields=["term_start", "term_end"])
    audit_record(
        action="billing.subscription.renew",
        tenant=subscription.tenant,
        target=subscription,
        new={"term_end": subscription.term_end.isoformat()},
    )


def _expire(subscription: Subscription) -> None:
    holders = list(
        User.objects.filter(licenses__subscription=subscription).values_list("username", flat=True)
    )
    License.objects.filter(subscription=subscription).delete()
    subscription.status = Subscription.Status.EXPIRED
    subscription.save(update_fields=["status"])
    audit_record(
        action="billing.subscription.expire",
        tenant=subscription.tenant,
        target=subscription,
        old={"licenses": len(holders)},
    )
    if holders:
        product = subscription.product.name
        transaction.on_commit(
            lambda: outbox.send_email(
                EmailMessage(
                    _("Your %(product)s license has ended") % {"product": product},
                    _(
                        "Your organization's subscription to %(product)s has ended, and with it "
                        "your license. Ask your administrator if you still need it."
                    )
                    % {"product": product},
                    bcc=holders,
                ),
                kind="license ended",
            )
        )


@transaction.atomic
def invoice_pay(
    *,
    tenant: Tenant,
    acting_user: User,
    invoice: Invoice,
    payment_method: PaymentMethod,
    request: HttpRequest | None = None,
) -> None:
    """Pay a due or overdue invoice now with one of the organization's cards.

    Raise Forbidden unless ``acting_user`` may change the payment methods.
    """
    if not acting_user.has_perm(CHANGE_PAYMENT_METHODS) or acting_user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't pay invoices."))
    locked = Invoice.objects.for_tenant(tenant).select_for_update().get(pk=invoice.pk)
    if locked.status == Invoice.Status.PAID:
        raise ValidationError(_("This invoice is paid already."), code="paid")
    if payment_method.tenant_id != tenant.pk or payment_method.kind != PaymentMethod.Kind.CARD:
        raise ValidationError(_("Choose one of your cards."), code="payment_method")
    try:
        charge = payments.get_provider().charge(
            token=payment_method.provider_token,
            amount=locked.total,
            currency=locked.currency,
            description=locked.number,
        )
    except payments.PaymentDeclined as declined:
        raise ValidationError(str(declined.message), code="declined") from None
    locked.status, locked.paid_at = Invoice.Status.PAID, timezone.now()
    locked.save(update_fields=["status", "paid_at"])
    invoice.status, invoice.paid_at = locked.status, locked.paid_at
    audit_record(
        action="billing.invoice.pay",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=locked,
        new={"charge": charge.id, "method": str(payment_method)},
    )
