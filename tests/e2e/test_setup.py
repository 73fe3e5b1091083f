"""End to end in Chromium: Setup as a Global admin, a Global reader (Dutch), a Helpdesk admin."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Tenant, User
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN, USER_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import make_alt_email, make_app, make_phone, totp_code

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _contoso():
    """An organization part way through its setup, with admins in several states."""
    tenant = make_tenant("Contoso", "contoso.example")
    # Who signs in here has an authenticator app as their one sign-in factor.
    admin = make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")
    make_app(admin)
    make_alt_email(admin, "megan@example.org")
    reader = make_user(tenant, "lidia", roles=[GLOBAL_READER], display_name="Lidia Holloway")
    make_app(reader)
    helpdesk = make_user(tenant, "alex", roles=[HELPDESK_ADMIN], display_name="Alex Wilber")
    make_app(helpdesk)
    make_alt_email(helpdesk, "alex@example.org")
    second = make_user(tenant, "nestor", roles=[GLOBAL_ADMIN], display_name="Nestor Wilke")
    make_phone(second, "+31612345678")
    old = make_user(tenant, "diego", roles=[USER_ADMIN], display_name="Diego Siciliani")
    User.objects.filter(pk=old.pk).update(
        date_joined=timezone.now() - timedelta(days=200),
        last_login=timezone.now() - timedelta(days=120),
    )
    for n, name in enumerate(("Adele Vance", "Grady Archie", "Isaiah Langer")):
        person = make_user(tenant, name.split()[0].lower(), display_name=name)
        if n:
            make_alt_email(person, f"{name.split()[0].lower()}@example.org")
    return tenant, admin, reader, helpdesk


def _sign_in(page, live_server, user):
    """Sign in with the password and the authenticator app's code."""
    page.goto(f"{live_server.url}/signin/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.locator("#id_otp_token").fill(totp_code(user.totpdevice_set.get()))
    page.locator("#id_otp_token").press("Enter")
    expect(page.locator("nav.sidebar")).to_be_visible()


def _open(page, name):
    """Open Setup's nav item ``name``, unfolding the group when it is folded."""
    link = page.locator("nav.sidebar").get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        page.locator("nav.sidebar summary", has_text="Setup").click()
    link.click()


def test_a_global_admin_follows_setup_from_not_done_to_done(page, live_server, shot):
    tenant, admin, _reader, _helpdesk = _contoso()
    _sign_in(page, live_server, admin)
    _open(page, "Guided setup")
    expect(page.get_by_role("heading", name="Setup", exact=True)).to_be_visible()
    step = page.get_by_test_id("step-profile")
    expect(step.get_by_test_id("step-state")).to_have_text("Not done")
    expect(step.get_by_test_id("step-figure")).to_have_text(
        "Not filled in: technical contact email, address, phone"
    )
    before = page.get_by_test_id("setup-progress").locator(".stat-value").inner_text()
    shot("setup-global-admin")

    step.get_by_role("link", name="Go to Org profile").click()
    page.get_by_label("Technical contact email").fill("it@contoso.example")
    page.get_by_label("Address").fill("Herengracht 1\n1015 BA Amsterdam")
    page.get_by_label("Phone").fill("+31 20 123 4567")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message-success, .toast").first).to_be_visible()

    _open(page, "Guided setup")
    step = page.get_by_test_id("step-profile")
    expect(step.get_by_test_id("step-state")).to_have_text("Done")
    expect(step.get_by_test_id("step-figure")).to_have_text(
        "Technical contact, address and phone filled in"
    )
    done, total = (int(n) for n in before.split(" of "))
    expect(page.get_by_test_id("setup-progress").locator(".stat-value")).to_have_text(
        f"{done + 1} of {total}"
    )
    tenant.refresh_from_db()
    assert tenant.technical_contact_email == "it@contoso.example"

    page.get_by_role("link", name="Home", exact=True).click()
    expect(page.get_by_test_id("home-setup")).to_contain_text(f"{done + 1} of {total}")
    shot("setup-home")

    _open(page, "Recommended actions")
    expect(page.get_by_test_id("score")).to_contain_text("of 100")
    shot("setup-recommended-actions-global-admin")
    _open(page, "Admin access")
    expect(page.get_by_test_id("admin-access-table")).to_contain_text("Diego Siciliani")
    expect(page.get_by_test_id("admin-access-table")).not_to_contain_text("Adele Vance")
    expect(page.get_by_test_id("admin-access-table")).not_to_contain_text("+31612345678")
    expect(page.get_by_test_id("admin-access-table")).to_contain_text("Nestor Wilke")
    shot("setup-admin-access-global-admin")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "admin-access.csv"


def test_a_global_reader_reads_setup_in_dutch(page, live_server, shot):
    tenant, _admin, reader, _helpdesk = _contoso()
    Tenant.objects.filter(pk=tenant.pk).update(preferred_language="nl")
    page.set_extra_http_headers({"Accept-Language": "nl"})
    _sign_in(page, live_server, reader)
    page.goto(f"{live_server.url}/setup/")
    expect(page.get_by_role("heading", name="Installatie", exact=True)).to_be_visible()
    expect(page.get_by_test_id("setup-steps").locator("li")).to_have_count(8)
    expect(page.get_by_test_id("step-domain").get_by_test_id("step-state")).to_have_text(
        "Niet gereed"
    )
    shot("setup-global-reader-nl")
    page.goto(f"{live_server.url}/setup/recommended-actions/")
    expect(page.get_by_role("heading", name="Aanbevolen acties")).to_be_visible()
    shot("setup-recommended-actions-global-reader-nl")
    page.goto(f"{live_server.url}/setup/admin-access/")
    expect(page.get_by_role("heading", name="Beheerderstoegang")).to_be_visible()
    expect(page.get_by_test_id("admin-access-table")).to_contain_text("Globale lezer")
    shot("setup-admin-access-global-reader-nl")


def test_a_helpdesk_admin_sees_only_their_step(page, live_server, shot):
    _tenant, _admin, _reader, helpdesk = _contoso()
    _sign_in(page, live_server, helpdesk)
    page.locator("summary", has_text="Setup").click()
    expect(page.get_by_role("link", name="Recommended actions")).to_have_count(0)
    expect(page.get_by_role("link", name="Admin access")).to_have_count(0)
    page.get_by_role("link", name="Guided setup").click()
    expect(page.get_by_test_id("setup-steps").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("step-self_reset")).to_be_visible()
    shot("setup-helpdesk-admin")
    for path, name in (
        ("recommended-actions", "recommended-actions"),
        ("admin-access", "admin-access"),
    ):
        response = page.goto(f"{live_server.url}/setup/{path}/")
        assert response.status == 403
        shot(f"setup-{name}-helpdesk-admin")
