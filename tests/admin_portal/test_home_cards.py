"""Home shows each area's card only to the roles that may open the area."""

import pytest

from accounts.roles import BILLING_ADMIN, GLOBAL_ADMIN, HELPDESK_ADMIN
from health.models import Announcement, AnnouncementRead, Incident, Service
from tests.billing.factories import make_subscription
from tests.factories import make_tenant, make_user
from tests.helpers import make_alt_email, make_phone, sign_in

pytestmark = pytest.mark.django_db


def test_global_admin_sees_every_card(client):
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    make_subscription(tenant, quantity=7)
    Incident.objects.create(service=Service.objects.create(name="Mail"), title="Slow mail")
    Announcement.objects.create(category="plan", title="News", body="x")
    sign_in(client, admin)
    page = client.get("/").content.decode()
    assert 'data-testid="home-billing"' in page and "0 / 7" in page
    assert (
        'data-testid="home-health"' in page
        and "1 unread message" in page
        and "open incident" in page
    )
    assert 'data-testid="home-security-info"' in page and "Add a verified mobile phone" in page


def test_helpdesk_sees_no_billing_card(client):
    tenant = make_tenant()
    desk = make_user(tenant, roles=[HELPDESK_ADMIN])
    make_phone(desk)
    make_alt_email(desk)
    sign_in(client, desk)
    page = client.get("/").content.decode()
    assert 'data-testid="home-billing"' not in page
    assert "you can reset your own password" in page


def test_billing_admin_sees_the_unpaid_bill(client):
    from datetime import date

    from billing.invoicing import invoices_generate
    from billing.models import Charge

    tenant = make_tenant()
    subscription = make_subscription(tenant, start=date(2026, 4, 1))
    Charge.objects.create(
        tenant=tenant,
        subscription=subscription,
        kind="purchase",
        description="x",
        quantity=1,
        unit_price=subscription.unit_term_price,
        amount=subscription.unit_term_price,
        occurred_on=date(2026, 4, 1),
    )
    [invoice] = invoices_generate(period="2026-04", today=date(2026, 5, 1))
    sign_in(client, make_user(tenant, roles=[BILLING_ADMIN]))
    assert invoice.number in client.get("/").content.decode()


def test_billing_card_follows_the_organization_changes(client):
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    subscription = make_subscription(tenant, quantity=7)
    sign_in(client, admin)
    assert "0 / 7" in client.get("/", headers={"cache-control": "no-cache"}).content.decode()

    from billing.services import license_assign

    license_assign(tenant=tenant, acting_user=admin, subscription=subscription, users=[admin])
    make_subscription(tenant, quantity=3)
    page = client.get("/", headers={"cache-control": "no-cache"}).content.decode()
    assert "1 / 10" in page and "of 2 products" in page


def test_health_card_counts_open_incidents_and_what_this_admin_has_not_read(client):
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    other = make_user(tenant, roles=[GLOBAL_ADMIN])
    mail = Service.objects.create(name="Mail")
    Incident.objects.create(service=mail, title="Slow mail")
    Incident.objects.create(service=mail, title="Over", status=Incident.Status.RESOLVED)
    read, _unread, read_by_other = (
        Announcement.objects.create(category="plan", title=f"News {i}", body="x") for i in range(3)
    )
    AnnouncementRead.objects.create(announcement=read, user=admin)
    AnnouncementRead.objects.create(announcement=read_by_other, user=other)
    sign_in(client, admin)
    page = client.get("/").content.decode()
    assert "2 unread messages" in page
    assert '<p class="stat-value">1</p>' in page and "open incident ·" in page


def test_security_info_card_wants_both_methods_confirmed(client):
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    make_phone(admin)
    make_alt_email(admin, confirmed=False)
    sign_in(client, admin)
    page = client.get("/").content.decode()
    assert "Add a verified mobile phone" in page
