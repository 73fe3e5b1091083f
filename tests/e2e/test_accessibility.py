"""axe-core on every page of the portal, in English and Dutch, as an admin and as a user.

Per language, one walk goes through the signed-out pages, the two-gate password
reset and the second sign-in step, then crawls every page an admin reaches by
links in the demo tenant, then the pages that only a form leads to (wizards,
verification steps, forms sent back with errors, error pages), then a user's
pages. At the end it checks that it opened every page route of the portal, so a
new page is checked the day it is routed. Fields are found by id and buttons by
their form, so the same walk runs in both languages.
"""

import base64
import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import expect

from accounts.models import Domain, Tenant, User
from api.models import ApiClient
from billing.models import Subscription
from groups.models import DeletedGroup, Group
from security_info.models import PasskeyDevice
from sso.models import FederatedDomain, IdentityProvider
from tests.e2e.a11y import NOT_PAGES, axe_violations, crawl, route_name
from tests.factories import make_tenant
from tests.helpers import last_file_code, make_alt_email, make_phone
from users.models import DeletedUser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

DEMO_PASSWORD = "Contoso-Demo-2026-a11y"
NEW_PASSWORD = "Accessible-Again-2026"
ADMIN = "admin@contoso.example"
USER = "user@contoso.example"
PARTNER_ADMIN = "partner@fabrikam.example"


@pytest.fixture
def demo(monkeypatch, outboxes):
    """The demo tenant; its admin has a phone and an alternate email, and must use them."""
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", DEMO_PASSWORD)
    call_command("seed_demo", users=30, stdout=open("/dev/null", "w"))  # noqa: SIM115
    tenant = Tenant.objects.get(domain__name="contoso.example")
    admin = User.objects.get(username=ADMIN)
    make_alt_email(admin, "morgan@example.org")
    make_phone(admin, "+31612345670")
    return tenant


class Walk:
    """The pages opened so far and what axe found on them."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.routes = set()
        self.violations = []

    def check(self):
        """Check the page as it is now."""
        self.page.wait_for_load_state()
        self.routes.add(route_name(self.page.url))
        self.violations += axe_violations(self.page)

    def open(self, path):
        self.page.goto(self.base_url + path)
        self.check()

    def submit(self, form="main form[method=post]"):
        """Send a form with its first submit button and wait for the answer."""
        with self.page.expect_navigation():
            self.page.locator(form).first.locator("button[type=submit]").first.click()

    def crawl(self, start_path):
        violations, routes = crawl(self.page, self.base_url + start_path, skip=self.routes)
        self.violations += violations
        self.routes |= routes


def _use_language(tenant, page, language):
    Tenant.objects.filter(pk=tenant.pk).update(preferred_language=language)
    page.set_extra_http_headers({"Accept-Language": language})


def _sign_in(walk, username, password):
    walk.open("/signin/")
    walk.page.locator("#id_username").fill(username)
    walk.page.locator("#id_password").fill(password)
    walk.submit("main form")


def _signed_out_pages(walk, outboxes):
    """Sign-in with a wrong password, and an admin's reset through both gates."""
    page = walk.page
    _sign_in(walk, ADMIN, "not-the-password")
    expect(page.locator(".error-summary, .message-error").first).to_be_visible()
    walk.check()

    walk.open("/password/reset/")
    walk.submit("main form")
    walk.check()  # the form sent back empty
    page.locator("#id_username").fill(ADMIN)
    walk.submit("main form")
    walk.check()  # choose the first gate's method
    walk.submit("main form")
    walk.check()  # sent back: no method chosen
    page.locator("#id_method_0").check()
    page.locator("#id_email").fill("morgan@example.org")
    walk.submit("main form")
    walk.check()
    page.locator("#id_code").fill(last_file_code(outboxes / "mail"))
    walk.submit("main form")
    walk.check()  # choose the second gate
    walk.submit("main form")
    walk.check()
    page.locator("#id_code").fill(last_file_code(outboxes / "sms"))
    walk.submit("main form")
    walk.check()  # choose a new password
    page.locator("#id_new_password1").fill("short")
    page.locator("#id_new_password2").fill("short")
    walk.submit("main form")
    walk.check()
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    walk.submit("main form")
    walk.check()  # back at sign-in, with a toast


def _single_sign_on_signed_out_pages(walk):
    """The break-glass sign-in, and the page of a provider that does not answer.

    The pages a provider's answer leads to are checked in tests/e2e/test_sso.py,
    against real providers.
    """
    walk.open("/signin/break-glass/")
    walk.submit("main form")
    walk.check()  # sent back empty
    northwind = make_tenant("Northwind", "northwind.example")
    provider = IdentityProvider.objects.create(
        tenant=northwind,
        name="Northwind Okta",
        protocol=IdentityProvider.Protocol.OIDC,
        issuer="http://127.0.0.1:9",  # nothing listens there: refused at once
        client_id="portal",
        is_enabled=True,
    )
    FederatedDomain.objects.create(provider=provider, domain=northwind.domain_set.get())
    walk.open("/signin/")
    walk.page.locator("#id_username").fill("anyone@northwind.example")
    walk.submit("main form")
    expect(walk.page.get_by_test_id("sso-unreachable")).to_be_visible()
    walk.check()  # the provider can't be reached
    provider.delete()


def _sign_in_with_phone(walk, outboxes):
    _sign_in(walk, ADMIN, NEW_PASSWORD)
    walk.check()  # the second step
    with walk.page.expect_navigation():
        # The walk runs in both languages: the button by where it sends, not its label.
        walk.page.locator("button[formaction$='/signin/verify/send/']").click()
    walk.check()
    walk.page.locator("#id_otp_token").fill(last_file_code(outboxes / "sms"))
    walk.submit("main form")
    expect(walk.page.locator("nav.sidebar")).to_be_visible()


def _security_info_pages(walk, outboxes):
    page = walk.page
    # Just signed in counts as confirmed; the confirm page is opened as it is when not.
    walk.open("/security-info/confirm/?next=/security-info/app/add/")
    page.locator("#id_password").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("button[name=otp_challenge]").click()
    walk.check()
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.locator("#id_otp_token").fill(last_file_code(outboxes / "sms"))
    walk.submit()
    walk.check()
    page.locator("#id_code").fill("000000")
    walk.submit()
    walk.check()  # a wrong code, at the field
    page.wait_for_timeout(1100)  # the back-off after one wrong code
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.locator("#id_code").fill(f"{totp(base64.b32decode(secret)):06d}")
    page.locator("#id_name").fill("Work phone")
    walk.submit()
    walk.check()
    page.locator("[data-testid=method-app] a").last.click()
    walk.check()  # delete the app?
    walk.open("/security-info/phone/delete/")
    walk.open("/security-info/email/delete/")
    walk.open("/security-info/email/")
    page.locator("#id_email").fill("not an address")
    walk.submit()
    walk.check()
    page.locator("#id_email").fill("morgan.lee@example.net")
    walk.submit()
    walk.check()  # enter the code
    walk.open("/security-info/phone/")
    page.locator("#id_number").fill("+31612345671")
    walk.submit()
    walk.check()
    walk.open("/security-info/backup-codes/")
    _passkey_pages(walk)


def _passkey_pages(walk):
    """The passkey pages (made in the browser by tests/e2e/test_passkeys.py; here one is given)."""
    admin = User.objects.get(username=ADMIN)
    key = PasskeyDevice.objects.create(
        user=admin,
        name="Blue key",
        confirmed=True,
        credential_id=b"a11y",
        credential_key="a11y".ljust(64, "0"),
        public_key=b"key",
        user_handle=b"handle",
    )
    walk.open("/security-info/")  # listed
    walk.open("/security-info/passkeys/add/")
    walk.open(f"/security-info/passkeys/{key.pk}/rename/")
    walk.page.locator("#id_name").fill("")
    walk.submit()
    walk.check()  # a name is required
    walk.open(f"/security-info/passkeys/{key.pk}/delete/")
    Tenant.objects.filter(pk=admin.tenant_id).update(require_phishing_resistant_for_admins=True)
    walk.open("/security-info/passkeys/required/")
    Tenant.objects.filter(pk=admin.tenant_id).update(require_phishing_resistant_for_admins=False)
    key.delete()


def _users_pages(walk, tmp_path):
    page = walk.page
    step = "main form[data-testid^=add-user]"  # the step list above is a form too
    walk.open("/users/add/")
    walk.submit(step)
    walk.check()  # the first step sent back empty
    page.locator("#id_first_name").fill("Adele")
    page.locator("#id_last_name").fill("Vance")
    page.locator("#id_local_part").fill("adele")
    walk.submit(step)
    walk.check()
    walk.submit(step)
    walk.check()  # review
    walk.submit("main form.wizard-steps-form")
    walk.check()  # back to the first step by the step list, its answers kept
    walk.submit(step)
    walk.submit(step)
    walk.submit(step)
    walk.check()  # the one-time password

    person = User.objects.get(username=USER)
    walk.open(f"/users/{person.pk}/licenses/")
    walk.open(f"/users/{person.pk}/edit/")
    page.locator("#id_first_name").fill("")
    walk.submit()
    walk.check()

    for action in ("sign-out/", "reregister/", "methods/remove/", "temporary-pass/", "block/"):
        walk.open(f"/users/{person.pk}/{action}")  # each action's confirmation page
    walk.open(f"/users/{person.pk}/methods/remove/")
    walk.submit()
    walk.check()  # no method chosen
    walk.open(f"/users/{person.pk}/groups/join/")
    walk.open(f"/users/{person.pk}/groups/leave/")
    walk.open("/users/roles/assign/")
    walk.open("/users/roles/remove/")

    deleted = DeletedUser.objects.first()
    walk.open(f"/users/deleted/{deleted.pk}/restore/")

    bad = tmp_path / "bad.csv"
    bad.write_text("User Name,First Name,Last Name,Display Name\nnot a name,,,\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(
        "User Name,First Name,Last Name,Display Name\n"
        "grady@contoso.example,Grady,Archie,Grady Archie\n",
        encoding="utf-8",
    )
    for upload in (bad, good):
        walk.open("/users/import/")
        page.locator("input[type=file]").set_input_files(str(upload))
        walk.submit()
        walk.check()
    walk.submit("main form[method=post][action$='/users/import/confirm/']")
    walk.check()  # the import's progress and result

    walk.open("/users/export/")  # more users than USERS_EXPORT_BACKGROUND_ROWS
    walk.submit()
    walk.check()  # the background export's progress and file

    walk.open("/users/999999/")  # the portal's 404 page


def _groups_pages(walk):
    page = walk.page
    walk.open("/groups/add/")
    walk.submit()
    walk.check()  # no type chosen
    page.locator("#kind-security").check()
    walk.submit()
    walk.check()
    page.locator("#id_name").fill("Accessibility reviewers")
    walk.submit()
    walk.check()  # owners
    # The people picker open, with its matches, and its search step without JavaScript.
    page.locator("#id_owners").fill("a")
    expect(page.locator("#id_owners-listbox [role=option]").first).to_be_visible()
    walk.check()
    page.locator("#id_owners").press("ArrowDown")
    page.locator("#id_owners").press("Enter")
    walk.open("/groups/add/owners/?people_q=a")
    walk.submit("main form[data-testid=group-add-owners]")
    walk.check()  # settings
    walk.submit()
    walk.check()  # review
    walk.open(f"/groups/deleted/{DeletedGroup.objects.first().pk}/restore/")
    walk.open(f"/groups/delete/?ids={Group.objects.filter(deleted_at=None).first().pk}")


def _partner_pages(walk):
    """The demo partner's Global admin: its customers, and a request sent back with errors."""
    Tenant.objects.filter(is_partner=True).update(require_mfa_for_admins=False)
    _sign_in(walk, PARTNER_ADMIN, DEMO_PASSWORD)
    walk.crawl("/settings/partners/")
    walk.open("/settings/partners/request/")
    walk.submit("[data-testid=partner-request-form]")
    walk.check()


def _other_forms(walk):
    walk.open("/")
    walk.page.locator("#id_top_search").fill("ad")
    with walk.page.expect_navigation():
        walk.page.locator("#id_top_search").press("Enter")
    walk.check()  # the search's results
    for path in ("/resources/add/", "/support/new/", "/billing/payment-methods/add-card/"):
        walk.open(path)
        walk.submit()
        walk.check()
    # The cost shown before a purchase and before a change of licenses.
    walk.open("/billing/products/buy/")
    if walk.page.locator("[data-testid=buy-form]").count():
        walk.submit("[data-testid=buy-form]")
        walk.check()
    subscription = Subscription.objects.exclude(status="expired").first()
    walk.open(f"/billing/products/{subscription.pk}/")
    walk.submit("[data-testid=quantity-form]")
    walk.check()
    # API access: the add form sent back, a client added (its secret, shown once), and
    # the client's own pages (the demo has no client).
    walk.open("/settings/api/add/")
    walk.submit("[data-testid=api-client-add-form]")
    walk.check()
    walk.page.locator("#id_name").fill("HR sync")
    walk.page.locator("#id_roles_2").check()
    walk.submit("[data-testid=api-client-add-form]")
    walk.check()
    api_client = ApiClient.objects.get(name="HR sync")
    walk.open(f"/settings/api/{api_client.pk}/")
    walk.open(f"/settings/api/{api_client.pk}/revoke/")
    walk.open(f"/settings/api/{api_client.pk}/rotate/")
    walk.page.locator("#id_grace_hours").select_option("24")
    walk.submit("[data-testid=api-client-rotate-form]")
    walk.check()


def _single_sign_on_pages(walk):
    """Settings > Single sign-on with a provider of each protocol, and its forms sent back."""
    for protocol in ("oidc", "saml"):
        walk.open(f"/settings/sso/add/{protocol}/")
        walk.submit("[data-testid=sso-provider-form]")
        walk.check()  # sent back: no name, no issuer or metadata
    domain = Domain.objects.get(name="contoso.example")
    tested = IdentityProvider.objects.create(
        tenant=domain.tenant,
        name="Contoso Entra ID",
        protocol=IdentityProvider.Protocol.OIDC,
        issuer="https://login.contoso.example/v2.0",
        client_id="portal",
        tested_at=timezone.now(),
        test_claims={
            "email": ADMIN,
            "amr": ["pwd", "mfa"],
            "_portal": {"sign_in_name": ADMIN, "second_factor": True},
        },
    )
    FederatedDomain.objects.create(provider=tested, domain=domain)
    saml = IdentityProvider.objects.create(
        tenant=domain.tenant,
        name="Contoso ADFS",
        protocol=IdentityProvider.Protocol.SAML,
        metadata_url="https://adfs.contoso.example/FederationMetadata.xml",
        idp_entity_id="http://adfs.contoso.example/adfs/services/trust",
    )
    walk.open("/settings/sso/")  # listed
    for provider in (tested, saml):
        walk.open(f"/settings/sso/{provider.pk}/")
        walk.open(f"/settings/sso/{provider.pk}/change/")
        walk.open(f"/settings/sso/{provider.pk}/remove/")
    tested.delete()
    saml.delete()


def _page_routes():
    def walk(resolver, namespace=None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                if namespace and inner:
                    inner = f"{namespace}:{inner}"
                yield from walk(pattern, inner or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    # The operators' site is Django's own; the REST API and SCIM answer JSON, not pages
    # (.ci/schemathesis and .ci/scim check them).
    skipped = ("admin", "api-v1:", "scim:")
    return {name for name in walk(get_resolver()) if not name.startswith(skipped)}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_page_has_no_serious_axe_violations(
    page, live_server, demo, outboxes, tmp_path, language, settings
):
    settings.USERS_EXPORT_BACKGROUND_ROWS = 5
    _use_language(demo, page, language)
    walk = Walk(page, live_server.url)

    _signed_out_pages(walk, outboxes)
    assert page.locator("html").get_attribute("lang") == language
    _single_sign_on_signed_out_pages(walk)
    _sign_in_with_phone(walk, outboxes)
    _security_info_pages(walk, outboxes)
    walk.crawl("/")
    _users_pages(walk, tmp_path)
    _groups_pages(walk)
    _other_forms(walk)
    _single_sign_on_pages(walk)

    page.context.clear_cookies()
    _partner_pages(walk)

    page.context.clear_cookies()
    _sign_in(walk, USER, DEMO_PASSWORD)
    walk.crawl("/account/")
    walk.open("/users/")  # the portal's 403 page

    assert not walk.violations, "\n".join(walk.violations)
    missing = _page_routes() - walk.routes - set(NOT_PAGES)
    assert not missing, f"pages no test opened: {sorted(missing)}"


def test_admin_pages_in_the_dark_theme_have_no_serious_axe_violations(page, live_server, demo):
    page.emulate_media(color_scheme="dark")
    Tenant.objects.filter(pk=demo.pk).update(require_mfa_for_admins=False)
    walk = Walk(page, live_server.url)
    _sign_in(walk, ADMIN, DEMO_PASSWORD)
    walk.crawl("/")
    assert not walk.violations, "\n".join(walk.violations)


def test_not_pages_are_routes():
    assert set(NOT_PAGES) <= _page_routes()


def test_the_walk_reports_a_violation(page, live_server):
    """The check is not blind: a field without a label is reported."""
    page.set_content('<html lang="en"><title>t</title><main><input id="x"></main></html>')
    assert any(re.search(r"\blabel\b", line) for line in axe_violations(page))
