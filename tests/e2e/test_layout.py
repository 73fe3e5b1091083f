"""In Chromium: no page is wider than the window, no table sticks out of its card, and
the left nav runs the page's full height. In English and Dutch (longer words)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditEvent, User
from accounts.roles import GLOBAL_ADMIN
from billing.models import Subscription
from security_info.models import PasskeyDevice
from tests.billing.factories import make_subscription
from tests.factories import PASSWORD, make_user
from tests.helpers import make_alt_email, make_app, make_phone

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser,
    pytest.mark.tenant(name="Contoso Nederland", domain="contoso.example"),
]

WIDE = {"width": 1366, "height": 768}
NARROW = {"width": 390, "height": 844}

# What sticks out: the page itself, and each table outside a card that doesn't scroll.
OVERFLOW = """() => {
  const problems = [];
  const root = document.scrollingElement;
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`page ${root.scrollWidth} > ${window.innerWidth}`);
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 1 && !el.closest('.table-wrap')) {
        problems.push(`${el.tagName}.${el.className} ${Math.round(r.right)}`);
        if (problems.length > 6) break;
      }
    }
  }
  for (const table of document.querySelectorAll('main table')) {
    const box = table.getBoundingClientRect();
    if (box.width === 0) continue;
    const card = table.closest('.table-wrap, .card') || document.querySelector('main');
    const cardBox = card.getBoundingClientRect();
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(card).overflowX);
    if (box.right > cardBox.right + 1 && !scrolls) {
      problems.push(`table ${box.right} outside its card ${cardBox.right}`);
    }
    if (cardBox.right > window.innerWidth + 1) {
      problems.push(`card ${cardBox.right} outside the window ${window.innerWidth}`);
    }
  }
  return problems;
}"""

# Cells cut off inside a scrolling card count too when the card is wide enough to hold them:
# at 1366 px every table should fit without scrolling sideways.
FITS = """() => [...document.querySelectorAll('main .table-wrap')]
  .filter(wrap => wrap.scrollWidth > wrap.clientWidth + 1)
  .map(wrap => `${wrap.scrollWidth} > ${wrap.clientWidth}`)"""


@pytest.fixture
def long_named_admin(tenant):
    """A Global admin with a long name, in an organization full of users and events."""
    user = make_user(tenant, "admin", roles=[GLOBAL_ADMIN], display_name="Megan Bowen-Vandervelde")
    for n in range(40):
        make_user(tenant, f"persoon{n:02d}", display_name=f"Persoon met een lange naam {n:02d}")
    make_subscription(tenant)
    for n in range(60):
        AuditEvent.objects.create(
            tenant=tenant,
            actor=user,
            action="user.updated",
            target_type="user",
            target_label=f"persoon{n:02d}@contoso.example",
        )
    return user


def add_security_info(user):
    """After signing in: with these, signing in would ask for a second step."""
    make_phone(user)
    make_alt_email(user, "megan.bowen-vandervelde@voorbeeld.example.org")
    make_app(user, "Microsoft Authenticator op de telefoon van Megan")
    PasskeyDevice.objects.create(
        user=user,
        name="Beveiligingssleutel in de bovenste la van het bureau",
        credential_id=b"credential",
        credential_key="credential-key",
        public_key=b"public-key",
        user_handle=b"handle",
        confirmed=True,
    )


def pages(live_server, long_named_admin):
    return {
        "security-info": "/security-info/",
        "users": "/users/",
        "user": f"/users/{long_named_admin.pk}/",
        "products": "/billing/products/",
        "audit": "/audit/",
    }


@pytest.mark.parametrize("language", ["en", "nl"])
def test_tables_stay_inside_their_cards(
    page, live_server, sign_in, shot, long_named_admin, language
):
    long_named_admin.preferred_language = language
    long_named_admin.save(update_fields=["preferred_language"])
    sign_in(long_named_admin.username, PASSWORD)
    expect(page.locator("#sidebar")).to_be_visible()
    add_security_info(long_named_admin)
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        for name, path in pages(live_server, long_named_admin).items():
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("main h1")).to_be_visible()
            assert page.url.endswith(path)
            problems = page.evaluate(OVERFLOW)
            assert not problems, f"{name} {language} {viewport}: {problems}"
            if viewport is WIDE:
                assert page.evaluate(FITS) == [], (name, language)
            shot(f"layout-{name}-{language}-{viewport['width']}")


def test_the_nav_runs_the_full_height_of_a_long_page(
    page, live_server, sign_in, shot, long_named_admin
):
    page.set_viewport_size(WIDE)
    sign_in(long_named_admin.username, PASSWORD)
    expect(page.locator("#sidebar")).to_be_visible()
    page.goto(f"{live_server.url}/users/")
    expect(page.locator("main h1")).to_be_visible()
    page_height = page.evaluate("document.scrollingElement.scrollHeight")
    assert page_height > WIDE["height"] + 200
    nav = page.locator("#sidebar")
    topbar = page.locator(".topbar").bounding_box()["height"]
    # The panel (its background and border) runs from the top bar to the page's end...
    assert abs(nav.bounding_box()["height"] - (page_height - topbar)) <= 1
    # ...and its links stay in view when the page is scrolled to the bottom.
    page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
    expect(nav.locator("a").first).to_be_in_viewport()
    shot("layout-nav-long-page")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_active_users_is_a_chart_over_time(
    page, live_server, sign_in, shot, long_named_admin, language
):
    long_named_admin.preferred_language = language
    long_named_admin.save(update_fields=["preferred_language"])
    # A week rhythm over the last 30 days: busy on work days, quiet in the weekend.
    people = list(User.objects.filter(tenant=long_named_admin.tenant)[:30])
    now = timezone.now()
    for days_ago in range(30):
        day = now - timedelta(days=days_ago)
        busy = 4 + (days_ago * 7) % 23 if day.weekday() < 5 else days_ago % 3
        AuditEvent.objects.bulk_create(
            AuditEvent(
                tenant=long_named_admin.tenant, actor=who, action="signin.success", created_at=day
            )
            for who in people[:busy]
        )
    sign_in(long_named_admin.username, PASSWORD)
    expect(page.locator("#sidebar")).to_be_visible()
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/reports/active-users/")
        chart = page.get_by_test_id("report-chart").locator("svg")
        expect(chart).to_be_visible()
        expect(chart.locator("polyline")).to_have_count(1)
        expect(chart.locator("circle")).to_have_count(30)
        assert page.evaluate(OVERFLOW) == []
        shot(f"report-active-users-{language}-{viewport['width']}")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_cost_of_a_quantity_change_reads_well(
    page, live_server, sign_in, shot, long_named_admin, language
):
    long_named_admin.preferred_language = language
    long_named_admin.save(update_fields=["preferred_language"])
    subscription = Subscription.objects.get(tenant=long_named_admin.tenant)
    sign_in(long_named_admin.username, PASSWORD)
    expect(page.locator("#sidebar")).to_be_visible()
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/billing/products/{subscription.pk}/")
        page.get_by_test_id("quantity-form").get_by_role("spinbutton").fill("12")
        page.get_by_test_id("quantity-form").get_by_role("button").click()
        expect(page.get_by_test_id("charge-now")).to_be_visible()
        assert page.evaluate(OVERFLOW) == []
        shot(f"billing-quantity-confirm-{language}-{viewport['width']}")
    assert Subscription.objects.get(pk=subscription.pk).quantity == subscription.quantity
